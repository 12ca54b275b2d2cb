/* intern.c -- string interning. */
#include "intern.h"

#define SEED UINT64_C(0x5f3759df1234abcd)

void fnli_intern_init(fnli_intern *t)
{
    memset(t, 0, sizeof(*t));
    fnli_arena_init(&t->text, 64 * 1024);
    fnli_pool_init(&t->ptrs, sizeof(char *), 12);
}

void fnli_intern_free(fnli_intern *t, fnli_mem *mem)
{
    fnli_arena_free(&t->text, mem);
    fnli_pool_free(&t->ptrs, mem);
    fnli_map_free(&t->map, mem);
}

typedef struct probe {
    const char *s;
    size_t n;
} probe;

static int eq(const void *ctx, uint32_t idx, const void *key)
{
    const fnli_intern *t = ctx;
    const probe *k = key;
    return fnli_str_len(t, idx) == k->n &&
           memcmp(fnli_str(t, idx), k->s, k->n) == 0;
}

static uint32_t hash(const char *s, size_t n)
{
    return (uint32_t)fnli_hash_bytes(s, n, SEED);
}

uint32_t fnli_intern_find(const fnli_intern *t, const char *s, size_t n)
{
    probe k;
    k.s = s;
    k.n = n;
    return fnli_map_find(&t->map, hash(s, n), eq, t, &k);
}

int fnli_intern_reserve(fnli_intern *t, fnli_mem *mem, size_t count,
                        size_t bytes)
{
    int rc;
    if (count == 0)
        return FNL_OK;
    if ((size_t)fnli_intern_count(t) + count > UINT32_MAX / 2)
        return FNL_ELIMIT;
    /* Per string: a 4-byte length, the text, the NUL, 3 bytes of
     * alignment slack (lengths are stored 4-aligned). */
    rc = fnli_arena_reserve(&t->text, mem, bytes + count * 8);
    if (rc == FNL_OK)
        rc = fnli_pool_reserve(&t->ptrs, mem, count);
    if (rc == FNL_OK)
        rc = fnli_map_reserve(&t->map, mem, count);
    return rc;
}

uint32_t fnli_intern_put(fnli_intern *t, const char *s, size_t n)
{
    probe k;
    uint32_t h = hash(s, n), id, len32 = (uint32_t)n;
    char *p;
    k.s = s;
    k.n = n;
    id = fnli_map_find(&t->map, h, eq, t, &k);
    if (id != 0)
        return id;
    p = fnli_arena_take(&t->text, sizeof(uint32_t) + n + 1, 0);
    memcpy(p, &len32, sizeof(len32));
    p += sizeof(uint32_t);
    memcpy(p, s, n);
    p[n] = '\0';
    id = fnli_pool_take(&t->ptrs);
    memcpy(fnli_pool_at(&t->ptrs, id), &p, sizeof(p));
    fnli_map_insert(&t->map, h, id);
    t->text_bytes += n;
    return id;
}

uint32_t fnli_intern_put_dead(fnli_intern *t)
{
    uint32_t zero = 0, id;
    char *p = fnli_arena_take(&t->text, sizeof(uint32_t) + 1, 0);
    memcpy(p, &zero, sizeof(zero));
    p += sizeof(uint32_t);
    p[0] = '\0';
    id = fnli_pool_take(&t->ptrs);
    memcpy(fnli_pool_at(&t->ptrs, id), &p, sizeof(p));
    return id;
}

void fnli_intern_wipe(fnli_intern *t, uint32_t id)
{
    char *p = (char *)fnli_str(t, id);
    uint32_t n = fnli_str_len(t, id), zero = 0;
    if (n == 0)
        return;
    fnli_map_remove(&t->map, hash(p, n), id);
    memset(p, 0, n);
    memcpy(p - sizeof(uint32_t), &zero, sizeof(zero));
    t->text_bytes -= n;
}

uint32_t fnli_intern_add(fnli_intern *t, fnli_mem *mem, const char *s, size_t n)
{
    uint32_t id = fnli_intern_find(t, s, n);
    if (id != 0)
        return id;
    if (fnli_intern_reserve(t, mem, 1, n) != FNL_OK)
        return 0;
    return fnli_intern_put(t, s, n);
}
