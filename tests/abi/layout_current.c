/* Today's layout of the 0.1 members, from include/funnelcore.h. */
#include "funnelcore.h"
#include "layout.h"
#define MEMBERS fnl_current_members
#define MEMBER_COUNT fnl_current_member_count
#define VALUES fnl_current_values
#define VALUE_COUNT fnl_current_value_count
#include "layout_tables.inc"
