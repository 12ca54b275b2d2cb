/* mem.h -- the engine's allocator wrapper: every byte the library holds
 * goes through one fnli_mem, which counts it (fnl_stats.memory_bytes) and
 * routes it to the host's allocator. */
#ifndef FNL_MEM_H
#define FNL_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include "funnelcore.h"

typedef struct fnli_mem {
    fnl_allocator a;
    size_t bytes;
    size_t peak;
} fnli_mem;

/* Use the host allocator, or libc when a is NULL.  FNL_EINVAL/FNL_EVERSION
 * for a malformed table. */
int fnli_mem_init(fnli_mem *m, const fnl_allocator *a);

/* NULL on failure (including size 0 overflow checks done by callers). */
void *fnli_malloc(fnli_mem *m, size_t size);
void *fnli_calloc(fnli_mem *m, size_t n, size_t size);
/* On failure returns NULL and leaves p untouched. */
void *fnli_realloc(fnli_mem *m, void *p, size_t old_size, size_t new_size);
void fnli_free(fnli_mem *m, void *p, size_t size);
/* A NUL-terminated copy of s[0..len). */
char *fnli_strndup(fnli_mem *m, const char *s, size_t len);

/* Grow a vector's capacity so that it holds at least `need` elements of
 * `elem` bytes (doubling, at least `min_cap`).  FNL_ENOMEM on failure with
 * *items and *cap unchanged; FNL_ELIMIT if the size would overflow. */
int fnli_grow(fnli_mem *m, void **items, size_t *cap, size_t need,
              size_t elem, size_t min_cap);

/* The body of every public fnl_*_init(p, size) (docs/abi.md, "The *_init
 * functions"): reset the caller's struct of `size` bytes from its INIT value
 * `init`, which is this library's struct of `full` bytes.
 *  - FNL_EINVAL, writing nothing, when dst is NULL or size is below
 *    sizeof(uint32_t) (no room for the size field) or above UINT32_MAX;
 *  - else the first min(size, full) bytes are the INIT value's, the size
 *    field holds min(size, full) (what this library reads and writes), and
 *    bytes from `full` up to `size` (a newer caller's members) are zeroed.
 * Bytes past `size` are never touched. */
int fnli_init_struct(void *dst, size_t size, const void *init, size_t full);

/* Define a public fnl_*_init for `type` from its INIT macro. */
#define FNLI_DEFINE_INIT(fn, type, INIT)                                     \
    /* NOLINTNEXTLINE(bugprone-macro-parentheses): `type` is a type name */  \
    FNL_API int fn(type *p, size_t size)                                     \
    {                                                                        \
        static const type init_ = INIT;                                      \
        return fnli_init_struct(p, size, &init_, sizeof(type));              \
    }

/* A growable byte buffer that remembers an allocation failure (record.c). */
typedef struct fnli_wbuf {
    unsigned char *p;
    size_t n, cap;
    fnli_mem *mem;
    int failed;
} fnli_wbuf;

/* qsort, except that fewer than two items (where the array may be NULL,
 * which qsort's contract does not allow) are left alone. */
static inline void fnli_qsort(void *base, size_t n, size_t size,
                              int (*cmp)(const void *, const void *))
{
    if (n > 1)
        qsort(base, n, size, cmp);
}

#endif
