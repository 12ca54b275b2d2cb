/* arena.h -- bump allocation in blocks that never move.
 *
 * Used for interned strings and identity-key bytes (which live as long as
 * the engine) and for the per-call scratch space (reset after each call).
 * As with pools, a reserve (fallible) guarantees that takes totalling the
 * reserved bytes then succeed. */
#ifndef FNL_ARENA_H
#define FNL_ARENA_H

#include <stddef.h>
#include "mem.h"

typedef struct fnli_block {
    struct fnli_block *prev;
    size_t cap;
    size_t used;
    /* data follows, 8-aligned */
} fnli_block;

typedef struct fnli_arena {
    fnli_block *cur;
    fnli_block *spare; /* allocated by reserve when cur is too full */
    size_t block_size; /* default block payload */
    size_t bytes;      /* bytes of all blocks, for accounting */
} fnli_arena;

void fnli_arena_init(fnli_arena *a, size_t block_size);
void fnli_arena_free(fnli_arena *a, fnli_mem *mem);
/* Guarantee that takes totalling n bytes (each rounded up to `align`
 * multiples by the caller's own accounting) will succeed. */
int fnli_arena_reserve(fnli_arena *a, fnli_mem *mem, size_t n);
/* n bytes (aligned to 8 when align8); room must have been reserved. */
void *fnli_arena_take(fnli_arena *a, size_t n, int align8);
/* Reserve-and-take in one step (for fallible phases). */
void *fnli_arena_alloc(fnli_arena *a, fnli_mem *mem, size_t n);
/* Forget every take; keep the largest block for reuse. */
void fnli_arena_reset(fnli_arena *a, fnli_mem *mem);

#endif
