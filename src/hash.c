/* hash.c -- a fast non-cryptographic hash and the index map. */
#include "hash.h"

#define K1 UINT64_C(0x9E3779B97F4A7C15)
#define K2 UINT64_C(0xC2B2AE3D27D4EB4F)

static inline uint64_t rd64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint64_t rotl(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

uint64_t fnli_hash_bytes(const void *p, size_t n, uint64_t seed)
{
    const unsigned char *s = p;
    uint64_t h = seed ^ ((uint64_t)n * K2);
    while (n >= 8) {
        h = rotl((h ^ rd64(s)) * K1, 31);
        s += 8;
        n -= 8;
    }
    if (n > 0) {
        uint64_t t = 0;
        memcpy(&t, s, n);
        h = rotl((h ^ t) * K1, 31);
    }
    return fnli_hash_u64(h ^ K2);
}

void fnli_map_free(fnli_map *m, fnli_mem *mem)
{
    if (m->slots != NULL)
        fnli_free(mem, m->slots, ((size_t)m->mask + 1) * sizeof(uint64_t));
    memset(m, 0, sizeof(*m));
}

static void place(uint64_t *slots, uint32_t mask, uint64_t v)
{
    uint32_t i = (uint32_t)(v >> 32) & mask;
    while (slots[i] != 0)
        i = (i + 1) & mask;
    slots[i] = v;
}

/* Load factor at most 3/4. */
int fnli_map_reserve(fnli_map *m, fnli_mem *mem, size_t extra)
{
    size_t need = (size_t)m->count + extra, cap, old_cap, i;
    uint64_t *ns;
    cap = m->slots ? (size_t)m->mask + 1 : 0;
    if (cap != 0 && need <= cap / 4 * 3)
        return FNL_OK;
    if (need > (size_t)UINT32_MAX / 2)
        return FNL_ELIMIT;
    old_cap = cap;
    cap = cap ? cap : 16;
    while (need > cap / 4 * 3)
        cap *= 2;
    ns = fnli_calloc(mem, cap, sizeof(uint64_t));
    if (ns == NULL)
        return FNL_ENOMEM;
    for (i = 0; i < old_cap; i++)
        if (m->slots[i] != 0)
            place(ns, (uint32_t)(cap - 1), m->slots[i]);
    if (m->slots != NULL)
        fnli_free(mem, m->slots, old_cap * sizeof(uint64_t));
    m->slots = ns;
    m->mask = (uint32_t)(cap - 1);
    return FNL_OK;
}

uint32_t fnli_map_find(const fnli_map *m, uint32_t hash, fnli_map_eq eq,
                       const void *ctx, const void *key)
{
    uint32_t i;
    if (m->slots == NULL)
        return 0;
    for (i = hash & m->mask;; i = (i + 1) & m->mask) {
        uint64_t v = m->slots[i];
        if (v == 0)
            return 0;
        if ((uint32_t)(v >> 32) == hash && eq(ctx, (uint32_t)v, key))
            return (uint32_t)v;
    }
}

void fnli_map_insert(fnli_map *m, uint32_t hash, uint32_t idx)
{
    place(m->slots, m->mask, ((uint64_t)hash << 32) | idx);
    m->count++;
}

/* Backward-shift deletion keeps every probe chain intact. */
void fnli_map_remove(fnli_map *m, uint32_t hash, uint32_t idx)
{
    uint64_t want = ((uint64_t)hash << 32) | idx;
    uint32_t i, j;
    if (m->slots == NULL)
        return;
    for (i = hash & m->mask; m->slots[i] != want; i = (i + 1) & m->mask)
        if (m->slots[i] == 0)
            return;
    for (j = (i + 1) & m->mask; m->slots[j] != 0; j = (j + 1) & m->mask) {
        uint32_t home = (uint32_t)(m->slots[j] >> 32) & m->mask;
        /* Move slot j back into the hole at i unless its home lies in the
         * cyclic range (i, j]. */
        if (((j - home) & m->mask) >= ((j - i) & m->mask)) {
            m->slots[i] = m->slots[j];
            i = j;
        }
    }
    m->slots[i] = 0;
    m->count--;
}

size_t fnli_map_bytes(const fnli_map *m)
{
    return m->slots ? ((size_t)m->mask + 1) * sizeof(uint64_t) : 0;
}
