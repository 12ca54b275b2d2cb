/* hash.h -- hashing and an open-addressing index map.
 *
 * The map stores 32-bit element indices (0 = empty) with 32 bits of their
 * hash; the elements live elsewhere (pools), so one map type serves every
 * store.  Growth is separated from insertion: fnli_map_reserve() may fail,
 * fnli_map_insert() after a successful reserve cannot.  That split is what
 * lets a mutation reserve everything first and then apply infallibly. */
#ifndef FNL_HASH_H
#define FNL_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "mem.h"

uint64_t fnli_hash_bytes(const void *p, size_t n, uint64_t seed);

static inline uint64_t fnli_hash_u64(uint64_t x)
{
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    return x;
}

typedef struct fnli_map {
    uint64_t *slots; /* (hash32 << 32) | index; 0 = empty */
    uint32_t mask;   /* capacity - 1; capacity is a power of two */
    uint32_t count;
} fnli_map;

/* Equality of element `idx` with the probe key. */
typedef int (*fnli_map_eq)(const void *ctx, uint32_t idx, const void *key);

void fnli_map_free(fnli_map *m, fnli_mem *mem);
/* Make room for `extra` more insertions without growth. */
int fnli_map_reserve(fnli_map *m, fnli_mem *mem, size_t extra);
/* Index of the matching element, or 0. */
uint32_t fnli_map_find(const fnli_map *m, uint32_t hash, fnli_map_eq eq,
                       const void *ctx, const void *key);
/* Insert (room must have been reserved; the key must not be present). */
void fnli_map_insert(fnli_map *m, uint32_t hash, uint32_t idx);
/* Remove element idx stored under hash; no-op if absent. */
void fnli_map_remove(fnli_map *m, uint32_t hash, uint32_t idx);
size_t fnli_map_bytes(const fnli_map *m);

#endif
