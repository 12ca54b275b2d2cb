/* The 0.1 layout, from the frozen header (see layout_check.c). */
#include "funnelcore-0.1-baseline.h"
#include "layout.h"
#define MEMBERS fnl_frozen_members
#define MEMBER_COUNT fnl_frozen_member_count
#define VALUES fnl_frozen_values
#define VALUE_COUNT fnl_frozen_value_count
#include "layout_tables.inc"
