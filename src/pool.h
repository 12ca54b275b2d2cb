/* pool.h -- chunked pools of fixed-size records addressed by 32-bit index.
 *
 * Records never move (chunks are never reallocated), growth never copies,
 * and slack is at most one chunk, which keeps bytes per record close to the
 * record size at millions of records.  Index 0 is reserved as "none".
 * Reserve first (fallible), take after (infallible). */
#ifndef FNL_POOL_H
#define FNL_POOL_H

#include <stdint.h>
#include "mem.h"

typedef struct fnli_pool {
    char **chunks;
    uint32_t nchunks;
    uint32_t chunks_cap;
    uint32_t elem;      /* record size in bytes */
    uint32_t shift;     /* records per chunk = 1 << shift */
    uint32_t count;     /* records handed out, including index 0 */
    uint32_t free_head; /* freed records (first 4 bytes link them), 0: none */
    uint32_t nfree;
} fnli_pool;

void fnli_pool_init(fnli_pool *p, uint32_t elem, uint32_t shift);
void fnli_pool_free(fnli_pool *p, fnli_mem *mem);
/* Make room for n more takes. */
int fnli_pool_reserve(fnli_pool *p, fnli_mem *mem, size_t n);
/* A zeroed record; room must have been reserved. */
uint32_t fnli_pool_take(fnli_pool *p);
/* Return a record for reuse by a later take. */
void fnli_pool_put(fnli_pool *p, uint32_t idx);
size_t fnli_pool_bytes(const fnli_pool *p);

static inline void *fnli_pool_at(const fnli_pool *p, uint32_t idx)
{
    return p->chunks[idx >> p->shift] +
           (size_t)(idx & ((1u << p->shift) - 1)) * p->elem;
}

/* Number of live records (handed out, not freed, not counting index 0). */
static inline uint32_t fnli_pool_live(const fnli_pool *p)
{
    return p->count - 1 - p->nfree;
}

#endif
