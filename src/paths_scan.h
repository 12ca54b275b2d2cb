/* paths_scan.h -- word-at-a-time byte search for the paths CSV reader
 * (paths.c), and the reader's internal entry point with flags.
 *
 * The fast row reader looks at eight bytes at once.  A byte equal to c
 * makes the byte w ^ (c * 0x01...01) zero, and fnli_paths_zero_bytes()
 * marks zero bytes exactly: no borrow runs from one byte into the next,
 * unlike the shorter (x - 0x01..) & ~x form, so every mark is a real
 * match and a mask can be walked mark by mark. */
#ifndef FNL_PATHS_SCAN_H
#define FNL_PATHS_SCAN_H

#include <stdint.h>
#include <string.h>
#include "attribution.h"

#define FNLI_ONES UINT64_C(0x0101010101010101)
#define FNLI_HIGHS UINT64_C(0x8080808080808080)

/* 0x80 in every byte of x that is not zero, 0 elsewhere. */
static inline uint64_t fnli_paths_nonzero(uint64_t x)
{
    const uint64_t low7 = ~FNLI_HIGHS;
    return ((x & low7) + low7) | x;
}

/* 0x80 in every byte of x that is zero, 0 elsewhere. */
static inline uint64_t fnli_paths_zero_bytes(uint64_t x)
{
    return ~fnli_paths_nonzero(x) & FNLI_HIGHS;
}

/* Marks the bytes of w that end an unquoted CSV field: ',' LF CR. */
static inline uint64_t fnli_paths_field_ends(uint64_t w)
{
    return ~(fnli_paths_nonzero(w ^ (FNLI_ONES * ',')) &
             fnli_paths_nonzero(w ^ (FNLI_ONES * '\n')) &
             fnli_paths_nonzero(w ^ (FNLI_ONES * '\r'))) &
           FNLI_HIGHS;
}

/* The same plus the channel separator (sepw: the separator in every
 * byte). */
static inline uint64_t fnli_paths_name_ends(uint64_t w, uint64_t sepw)
{
    return ~(fnli_paths_nonzero(w ^ (FNLI_ONES * ',')) &
             fnli_paths_nonzero(w ^ (FNLI_ONES * '\n')) &
             fnli_paths_nonzero(w ^ (FNLI_ONES * '\r')) &
             fnli_paths_nonzero(w ^ sepw)) &
           FNLI_HIGHS;
}

/* Eight bytes at p as a word whose least significant byte is p[0], so
 * that the lowest mark of a mask is the first match in memory order. */
static inline uint64_t fnli_paths_load(const char *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w;
}

/* Index (0..7) of the first marked byte of a mask of loaded bytes;
 * m != 0. */
static inline unsigned fnli_paths_first(uint64_t m)
{
    return (unsigned)__builtin_ctzll(m) >> 3;
}

/* A mask of loaded bytes cut to the marks before the first mark of m
 * (m != 0): (m & -m) - 1 keeps every bit below that first 0x80 bit. */
static inline uint64_t fnli_paths_before(uint64_t marks, uint64_t m)
{
    return marks & ((m & (0 - m)) - 1);
}

/* Reader flag of fnli_paths_parse_flags(): every row through the general
 * RFC 4180 row reader, never the fast one -- the reference the fast
 * reader is tested against. */
#define FNLI_PATHS_GENERAL_ONLY 1u

/* fnli_paths_parse() with reader flags (tests). */
int fnli_paths_parse_flags(fnl_journeys *js, const char *buf, size_t len,
                           const fnl_paths_options *opts,
                           fnl_paths_error *err, unsigned flags);

#endif
