/* text.c -- UTF-8 validation, ASCII case-insensitive comparison, trimming. */
#include "text.h"

#include <stdint.h>
#include <string.h>

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* 1 if the eight bytes at p are all ASCII and none is NUL. */
static inline int ascii8(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return ((v | ((v - ONES) & ~v)) & HIGHS) == 0;
}

int fnli_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    const unsigned char *end = p + len;

    if (len == 0)
        return 1;
    if (s == NULL)
        return 0;
    while (p < end) {
        unsigned c = *p;
        if (c < 0x80) {
            /* ASCII fast path: sixteen, then eight bytes at a time while
             * none has its high bit set and none is NUL. */
            while ((size_t)(end - p) >= 16 && ascii8(p) && ascii8(p + 8))
                p += 16;
            while ((size_t)(end - p) >= 8 && ascii8(p))
                p += 8;
            if (p >= end)
                break;
            /* a short tail: check the last eight bytes at once (the
             * overlap was validated already) */
            if ((size_t)(end - p) < 8 && len >= 8 && ascii8(end - 8))
                break;
            c = *p;
            if (c < 0x80) {
                if (c == 0)
                    return 0;
                p++;
                continue;
            }
        }
        size_t left = (size_t)(end - p);
        if (c < 0xC2) {
            /* 0x80..0xBF: stray continuation; 0xC0, 0xC1: overlong. */
            return 0;
        } else if (c < 0xE0) {
            if (left < 2 || (p[1] & 0xC0) != 0x80)
                return 0;
            p += 2;
        } else if (c < 0xF0) {
            if (left < 3)
                return 0;
            unsigned c1 = p[1];
            /* E0 needs A0..BF (no overlongs); ED needs 80..9F (no
             * surrogates); the rest 80..BF. */
            unsigned lo = (c == 0xE0) ? 0xA0 : 0x80;
            unsigned hi = (c == 0xED) ? 0x9F : 0xBF;
            if (c1 < lo || c1 > hi || (p[2] & 0xC0) != 0x80)
                return 0;
            p += 3;
        } else if (c < 0xF5) {
            if (left < 4)
                return 0;
            unsigned c1 = p[1];
            /* F0 needs 90..BF (no overlongs); F4 needs 80..8F (<= U+10FFFF). */
            unsigned lo = (c == 0xF0) ? 0x90 : 0x80;
            unsigned hi = (c == 0xF4) ? 0x8F : 0xBF;
            if (c1 < lo || c1 > hi || (p[2] & 0xC0) != 0x80 ||
                (p[3] & 0xC0) != 0x80)
                return 0;
            p += 4;
        } else {
            return 0; /* F5..FF never occur in UTF-8 */
        }
    }
    return 1;
}

int fnli_ascii_casecmp_n(const char *a, size_t an, const char *b, size_t bn)
{
    size_t n = an < bn ? an : bn;
    for (size_t i = 0; i < n; i++) {
        unsigned char ca = (unsigned char)fnli_lower(a[i]);
        unsigned char cb = (unsigned char)fnli_lower(b[i]);
        if (ca != cb)
            return ca < cb ? -1 : 1;
    }
    if (an == bn)
        return 0;
    return an < bn ? -1 : 1;
}

int fnli_ascii_prefix(const char *s, size_t n, const char *p)
{
    size_t i = 0;
    for (; p[i] != '\0'; i++) {
        if (i >= n || fnli_lower(s[i]) != fnli_lower(p[i]))
            return 0;
    }
    return 1;
}

/* Length of the white space that starts at p (at most n bytes), 0 if none. */
static size_t space_at_start(const unsigned char *p, size_t n)
{
    if (n == 0)
        return 0;
    if (fnli_is_space((char)p[0]))
        return 1;
    if (n >= 2 && p[0] == 0xC2 && p[1] == 0xA0)
        return 2;
    if (n >= 3 && p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80)
        return 3;
    return 0;
}

/* Length of the white space that ends at p + n, 0 if none. */
static size_t space_at_end(const unsigned char *p, size_t n)
{
    if (n == 0)
        return 0;
    if (fnli_is_space((char)p[n - 1]))
        return 1;
    if (n >= 2 && p[n - 2] == 0xC2 && p[n - 1] == 0xA0)
        return 2;
    if (n >= 3 && p[n - 3] == 0xE3 && p[n - 2] == 0x80 && p[n - 1] == 0x80)
        return 3;
    return 0;
}

void fnli_trim(const char **s, size_t *len)
{
    const unsigned char *p = (const unsigned char *)*s;
    size_t n = *len, k;

    if (p == NULL)
        return;
    while ((k = space_at_start(p, n)) != 0) {
        p += k;
        n -= k;
    }
    while ((k = space_at_end(p, n)) != 0)
        n -= k;
    *s = (const char *)p;
    *len = n;
}
