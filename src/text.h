/* text.h -- allocation-free, locale-free text primitives used on the ingest
 * hot path: UTF-8 validation, ASCII case folding and white-space trimming.
 *
 * Nothing here looks at the C locale: "letter" and "white space" mean the
 * ASCII ones (plus the two non-ASCII spaces fnli_trim() names). */
#ifndef FNL_TEXT_H
#define FNL_TEXT_H

#include <stddef.h>

/* 1 if s[0..len) is well-formed UTF-8 (shortest form, no surrogates
 * U+D800..U+DFFF, nothing above U+10FFFF) and contains no NUL byte, else 0.
 * An empty string is valid.  s may be NULL only when len is 0. */
int fnli_utf8_valid(const char *s, size_t len);

/* ASCII-only case folding: 'A'..'Z' become 'a'..'z', every other byte
 * (including bytes >= 0x80) is returned unchanged. */
static inline char fnli_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
}

static inline char fnli_upper(char c)
{
    return (c >= 'a' && c <= 'z') ? (char)(c - ('a' - 'A')) : c;
}

static inline int fnli_is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline int fnli_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* ASCII white space: space, \t, \n, \v, \f, \r. */
static inline int fnli_is_space(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Compare a[0..an) with b[0..bn) ignoring ASCII case: 0 when equal, else
 * <0 or >0 as the first differing folded byte (compared unsigned) or the
 * shorter length orders them. */
int fnli_ascii_casecmp_n(const char *a, size_t an, const char *b, size_t bn);

/* 1 if s[0..n) begins with the NUL-terminated prefix p, ignoring ASCII
 * case. */
int fnli_ascii_prefix(const char *s, size_t n, const char *p);

/* Trim white space from both ends of (*s, *len): the ASCII white space
 * above, U+00A0 NO-BREAK SPACE (C2 A0) and U+3000 IDEOGRAPHIC SPACE
 * (E3 80 80).  *s moves forward and *len shrinks; nothing is written. */
void fnli_trim(const char **s, size_t *len);

#endif
