/* layout_check.c -- the public structs of 0.1 keep their layout.
 *
 * Every member of every struct of the frozen 0.1 header must sit at the
 * same offset with the same size in today's header, and every 0.1 constant
 * and enumerator keeps its value.  A struct may grow only if it begins with
 * `uint32_t size` or `uint32_t version` (the library then reads only what
 * the caller's size or version covers); any other struct is embedded in
 * arrays or other structs by callers, so its size is frozen.  A removed
 * member or constant does not even compile. */
#include <stdio.h>
#include <string.h>

#include "layout.h"

static int growable(const char *type)
{
    size_t i;
    for (i = 0; i < fnl_frozen_member_count; i++)
        if (strcmp(fnl_frozen_members[i].type, type) == 0)
            return fnl_frozen_members[i].offset == 0 &&
                   fnl_frozen_members[i].size == 4 &&
                   (strcmp(fnl_frozen_members[i].member, "size") == 0 ||
                    strcmp(fnl_frozen_members[i].member, "version") == 0);
    return 0;
}

int main(void)
{
    size_t i;
    int bad = 0;
    for (i = 0; i < fnl_frozen_member_count; i++) {
        const struct fnl_layout_member *f = &fnl_frozen_members[i];
        const struct fnl_layout_member *c = &fnl_current_members[i];
        if (f->offset != c->offset || f->size != c->size) {
            printf("not ok - %s.%s: offset %zu size %zu in 0.1, now offset "
                   "%zu size %zu\n", f->type, f->member, f->offset, f->size,
                   c->offset, c->size);
            bad++;
        }
        if (i > 0 && strcmp(f->type, fnl_frozen_members[i - 1].type) == 0)
            continue; /* struct sizes: once per struct */
        if (c->type_size < f->type_size ||
            (c->type_size != f->type_size && !growable(f->type))) {
            printf("not ok - sizeof(%s) was %zu in 0.1, is %zu now%s\n",
                   f->type, f->type_size, c->type_size,
                   growable(f->type) ? " (it may grow, never shrink)"
                                     : " (it does not begin with a size or "
                                       "version field, so it may not grow)");
            bad++;
        }
    }
    for (i = 0; i < fnl_frozen_value_count; i++) {
        if (fnl_frozen_values[i].value != fnl_current_values[i].value) {
            printf("not ok - %s was %lld in 0.1, is %lld now\n",
                   fnl_frozen_values[i].name, fnl_frozen_values[i].value,
                   fnl_current_values[i].value);
            bad++;
        }
    }
    if (bad) {
        printf("%d layout differences: programs built against 0.1 would "
               "break (see docs/abi.md)\n", bad);
        return 1;
    }
    printf("ok - %zu members of the 0.1 structs and %zu constants keep "
           "their layout and values\n", fnl_frozen_member_count,
           fnl_frozen_value_count);
    return 0;
}
