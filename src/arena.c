/* arena.c -- blocks of bump-allocated bytes. */
#include <string.h>
#include "arena.h"

#define HDR ((sizeof(fnli_block) + 7) & ~(size_t)7)

void fnli_arena_init(fnli_arena *a, size_t block_size)
{
    memset(a, 0, sizeof(*a));
    a->block_size = block_size;
}

static void block_free(fnli_arena *a, fnli_mem *mem, fnli_block *b)
{
    a->bytes -= HDR + b->cap;
    fnli_free(mem, b, HDR + b->cap);
}

void fnli_arena_free(fnli_arena *a, fnli_mem *mem)
{
    fnli_block *b = a->cur;
    while (b != NULL) {
        fnli_block *p = b->prev;
        block_free(a, mem, b);
        b = p;
    }
    if (a->spare != NULL)
        block_free(a, mem, a->spare);
    a->cur = a->spare = NULL;
}

static size_t room(const fnli_block *b)
{
    return b ? b->cap - b->used : 0;
}

int fnli_arena_reserve(fnli_arena *a, fnli_mem *mem, size_t n)
{
    size_t cap;
    fnli_block *b;
    /* Each take may waste up to 7 bytes of alignment. */
    if (n > SIZE_MAX / 2)
        return FNL_ELIMIT;
    n += 8;
    if (room(a->cur) >= n || (a->spare != NULL && a->spare->cap >= n))
        return FNL_OK;
    cap = n > a->block_size ? n : a->block_size;
    b = fnli_malloc(mem, HDR + cap);
    if (b == NULL)
        return FNL_ENOMEM;
    b->prev = NULL;
    b->cap = cap;
    b->used = 0;
    a->bytes += HDR + cap;
    if (a->spare != NULL)
        block_free(a, mem, a->spare);
    a->spare = b;
    return FNL_OK;
}

void *fnli_arena_take(fnli_arena *a, size_t n, int align8)
{
    fnli_block *b = a->cur;
    size_t off;
    if (b != NULL) {
        off = align8 ? (b->used + 7) & ~(size_t)7 : b->used;
        if (off <= b->cap && b->cap - off >= n) {
            b->used = off + n;
            return (char *)b + HDR + off;
        }
    }
    /* The reserve made sure the spare holds everything still to come. */
    b = a->spare;
    a->spare = NULL;
    b->prev = a->cur;
    a->cur = b;
    b->used = n;
    return (char *)b + HDR;
}

void *fnli_arena_alloc(fnli_arena *a, fnli_mem *mem, size_t n)
{
    if (fnli_arena_reserve(a, mem, n) != FNL_OK)
        return NULL;
    return fnli_arena_take(a, n, 1);
}

void fnli_arena_reset(fnli_arena *a, fnli_mem *mem)
{
    fnli_block *keep = a->spare, *b = a->cur;
    a->spare = NULL;
    while (b != NULL) {
        fnli_block *p = b->prev;
        if (keep == NULL || b->cap > keep->cap) {
            if (keep != NULL)
                block_free(a, mem, keep);
            keep = b;
        } else {
            block_free(a, mem, b);
        }
        b = p;
    }
    a->cur = keep;
    if (keep != NULL) {
        keep->prev = NULL;
        keep->used = 0;
    }
}
