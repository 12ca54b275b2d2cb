/* pool.c -- chunked record pools. */
#include <string.h>
#include "pool.h"

void fnli_pool_init(fnli_pool *p, uint32_t elem, uint32_t shift)
{
    memset(p, 0, sizeof(*p));
    p->elem = elem < sizeof(uint32_t) ? (uint32_t)sizeof(uint32_t) : elem;
    p->shift = shift;
    p->count = 1; /* index 0 is "none" */
}

static size_t chunk_bytes(const fnli_pool *p)
{
    return ((size_t)1 << p->shift) * p->elem;
}

void fnli_pool_free(fnli_pool *p, fnli_mem *mem)
{
    uint32_t i;
    for (i = 0; i < p->nchunks; i++)
        fnli_free(mem, p->chunks[i], chunk_bytes(p));
    if (p->chunks != NULL)
        fnli_free(mem, p->chunks, p->chunks_cap * sizeof(char *));
    fnli_pool_init(p, p->elem, p->shift);
}

int fnli_pool_reserve(fnli_pool *p, fnli_mem *mem, size_t n)
{
    /* Freed records are not counted: the reserve holds even if a take
     * after it finds the free list empty. */
    size_t need = (size_t)p->count + n;
    size_t have = (size_t)p->nchunks << p->shift;
    if (need <= have)
        return FNL_OK;
    if (need > UINT32_MAX)
        return FNL_ELIMIT;
    while (have < need) {
        char *c;
        if (p->nchunks == p->chunks_cap) {
            void *v = p->chunks;
            size_t cap = p->chunks_cap;
            int rc = fnli_grow(mem, &v, &cap, (size_t)p->nchunks + 1,
                               sizeof(char *), 8);
            if (rc != FNL_OK)
                return rc;
            p->chunks = v;
            p->chunks_cap = (uint32_t)cap;
        }
        c = fnli_malloc(mem, chunk_bytes(p));
        if (c == NULL)
            return FNL_ENOMEM;
        p->chunks[p->nchunks++] = c;
        have += (size_t)1 << p->shift;
    }
    return FNL_OK;
}

uint32_t fnli_pool_take(fnli_pool *p)
{
    uint32_t idx;
    void *r;
    if (p->free_head != 0) {
        idx = p->free_head;
        r = fnli_pool_at(p, idx);
        memcpy(&p->free_head, r, sizeof(uint32_t));
        p->nfree--;
    } else {
        idx = p->count++;
        r = fnli_pool_at(p, idx);
    }
    memset(r, 0, p->elem);
    return idx;
}

void fnli_pool_put(fnli_pool *p, uint32_t idx)
{
    void *r = fnli_pool_at(p, idx);
    memset(r, 0, p->elem);
    memcpy(r, &p->free_head, sizeof(uint32_t));
    p->free_head = idx;
    p->nfree++;
}

size_t fnli_pool_bytes(const fnli_pool *p)
{
    return (size_t)p->nchunks * chunk_bytes(p) + p->chunks_cap * sizeof(char *);
}
