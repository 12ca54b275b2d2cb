/* intern.h -- one copy of each repeated string per engine (channels,
 * campaigns, attribute names and values, tags, owners, stage names).
 * Ids are dense 32-bit numbers, 0 meaning "no string".  Strings never move,
 * so a returned pointer stays valid until the engine closes. */
#ifndef FNL_INTERN_H
#define FNL_INTERN_H

#include <stddef.h>
#include <stdint.h>
#include "arena.h"
#include "hash.h"
#include "pool.h"

typedef struct fnli_intern {
    fnli_arena text;   /* [u32 len][bytes][NUL] per string */
    fnli_pool ptrs;    /* id -> const char * */
    fnli_map map;
    uint64_t text_bytes;
} fnli_intern;

void fnli_intern_init(fnli_intern *t);
void fnli_intern_free(fnli_intern *t, fnli_mem *mem);
uint32_t fnli_intern_find(const fnli_intern *t, const char *s, size_t n);
/* Room for `count` new strings of `bytes` total length. */
int fnli_intern_reserve(fnli_intern *t, fnli_mem *mem, size_t count,
                        size_t bytes);
/* Find or add (room reserved). */
uint32_t fnli_intern_put(fnli_intern *t, const char *s, size_t n);
/* Reserve and put in one fallible step: 0 on failure. */
uint32_t fnli_intern_add(fnli_intern *t, fnli_mem *mem, const char *s, size_t n);

/* A tombstone id (a string erased at a checkpoint): reads as "", is never
 * found.  Room must have been reserved. */
uint32_t fnli_intern_put_dead(fnli_intern *t);
/* Erase a string: its bytes are zeroed, it reads as "" and is never found
 * again; its id stays allocated. */
void fnli_intern_wipe(fnli_intern *t, uint32_t id);

static inline const char *fnli_str(const fnli_intern *t, uint32_t id)
{
    const char *p;
    if (id == 0)
        return NULL;
    memcpy(&p, fnli_pool_at(&t->ptrs, id), sizeof(p));
    return p;
}

static inline uint32_t fnli_str_len(const fnli_intern *t, uint32_t id)
{
    uint32_t n;
    const char *p = fnli_str(t, id);
    if (p == NULL)
        return 0;
    memcpy(&n, p - sizeof(uint32_t), sizeof(n));
    return n;
}

static inline uint32_t fnli_intern_count(const fnli_intern *t)
{
    return t->ptrs.count - 1;
}

#endif
