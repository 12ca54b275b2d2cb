/* layout.h -- tables that layout_frozen.c and layout_current.c fill from
 * the same member lists, one against each header (wayland-egl-abi-check
 * style, with the frozen structs kept as a frozen header). */
#ifndef FNL_TEST_LAYOUT_H
#define FNL_TEST_LAYOUT_H

#include <stddef.h>

struct fnl_layout_member {
    const char *type, *member;
    size_t offset, size, type_size;
};

struct fnl_layout_value {
    const char *name;
    long long value;
};

extern const struct fnl_layout_member fnl_frozen_members[];
extern const size_t fnl_frozen_member_count;
extern const struct fnl_layout_value fnl_frozen_values[];
extern const size_t fnl_frozen_value_count;
extern const struct fnl_layout_member fnl_current_members[];
extern const size_t fnl_current_member_count;
extern const struct fnl_layout_value fnl_current_values[];
extern const size_t fnl_current_value_count;

#endif
