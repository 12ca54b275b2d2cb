/* alloc.c -- allocator plumbing and accounting. */
#include <stdlib.h>
#include <string.h>
#include "mem.h"

static void *libc_malloc(void *ctx, size_t size)
{
    (void)ctx;
    return malloc(size);
}

static void *libc_realloc(void *ctx, void *p, size_t old_size, size_t size)
{
    (void)ctx;
    (void)old_size;
    return realloc(p, size);
}

static void libc_free(void *ctx, void *p, size_t size)
{
    (void)ctx;
    (void)size;
    free(p);
}

int fnli_mem_init(fnli_mem *m, const fnl_allocator *a)
{
    memset(m, 0, sizeof(*m));
    if (a == NULL) {
        m->a.version = FNL_ALLOCATOR_VERSION;
        m->a.malloc = libc_malloc;
        m->a.realloc = libc_realloc;
        m->a.free = libc_free;
        return FNL_OK;
    }
    if (a->version == 0)
        return FNL_EINVAL;
    if (a->version > FNL_ALLOCATOR_VERSION)
        return FNL_EVERSION;
    if (a->malloc == NULL || a->realloc == NULL || a->free == NULL)
        return FNL_EINVAL;
    m->a = *a;
    return FNL_OK;
}

static void account(fnli_mem *m, size_t add, size_t sub)
{
    m->bytes = m->bytes + add - sub;
    if (m->bytes > m->peak)
        m->peak = m->bytes;
}

void *fnli_malloc(fnli_mem *m, size_t size)
{
    void *p;
    if (size == 0)
        size = 1;
    p = m->a.malloc(m->a.ctx, size);
    if (p != NULL)
        account(m, size, 0);
    return p;
}

void *fnli_calloc(fnli_mem *m, size_t n, size_t size)
{
    void *p;
    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    p = fnli_malloc(m, n * size);
    if (p != NULL)
        memset(p, 0, (n * size) != 0 ? n * size : 1);
    return p;
}

void *fnli_realloc(fnli_mem *m, void *p, size_t old_size, size_t new_size)
{
    void *q;
    if (p == NULL)
        return fnli_malloc(m, new_size);
    if (new_size == 0)
        new_size = 1;
    q = m->a.realloc(m->a.ctx, p, old_size, new_size);
    if (q != NULL)
        account(m, new_size, old_size);
    return q;
}

void fnli_free(fnli_mem *m, void *p, size_t size)
{
    if (p == NULL)
        return;
    if (size == 0)
        size = 1;
    m->a.free(m->a.ctx, p, size);
    account(m, 0, size);
}

char *fnli_strndup(fnli_mem *m, const char *s, size_t len)
{
    char *d = fnli_malloc(m, len + 1);
    if (d == NULL)
        return NULL;
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

int fnli_grow(fnli_mem *m, void **items, size_t *cap, size_t need,
              size_t elem, size_t min_cap)
{
    size_t ncap;
    void *p;
    if (need <= *cap)
        return FNL_OK;
    ncap = *cap ? *cap : min_cap;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2)
            return FNL_ELIMIT;
        ncap *= 2;
    }
    if (ncap > SIZE_MAX / elem)
        return FNL_ELIMIT;
    p = fnli_realloc(m, *items, *cap * elem, ncap * elem);
    if (p == NULL)
        return FNL_ENOMEM;
    *items = p;
    *cap = ncap;
    return FNL_OK;
}
