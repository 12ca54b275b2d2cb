/* normalize.h -- validation and normalisation of names and identity keys.
 *
 * All functions are pure: no allocation, no global state, no locale.  Error
 * reasons (*why) are static English strings meant for fnl_errmsg(). */
#ifndef FNL_NORMALIZE_H
#define FNL_NORMALIZE_H

#include <stddef.h>
#include "funnelcore.h"

/* Validate and fold an identity-key kind (allow_punct 0: [a-z0-9_]) or an
 * attribute name (allow_punct 1: also '.' and '-'); ASCII upper case is
 * folded to lower case, nothing is trimmed, 1..FNL_MAX_NAME bytes.
 * Writes the folded, NUL-terminated name to out and returns its length.
 * FNL_EINVAL with *why set for a bad name ("empty", "too long",
 * "contains a character other than ..."); FNL_ERANGE (why "buffer too
 * small") if cap < FNL_MAX_NAME + 1.  why may be NULL. */
int fnli_name_fold(const char *name, int allow_punct, char *out, size_t cap,
                   const char **why);

/* Normalise the NUL-terminated identity-key value `value` for the folded
 * kind kind[0..kind_len).  The value must be valid UTF-8, at most
 * FNL_MAX_STRING bytes, and non-empty after trimming (fnli_trim()).
 *
 *  "email": trimmed, ASCII letters lower-cased (other bytes kept as they
 *    are).  Exactly one '@'; a non-empty local part; a domain of at least
 *    two labels separated by '.', with no empty label (so no leading,
 *    trailing or doubled '.'); ASCII characters of the domain limited to
 *    a-z 0-9 '-' (non-ASCII bytes are allowed for internationalised
 *    names); no white space or control characters anywhere (ASCII, U+00A0,
 *    U+3000).  Reason: "not an e-mail address".
 *
 *  "phone": digits 0-9 and full-width digits U+FF10..U+FF19.  Allowed
 *    separators: space - . ( ) / and their full-width forms U+FF08 U+FF09
 *    U+FF0D, the dashes U+2010..U+2015, U+00A0 and U+3000.  A '+' (or
 *    U+FF0B) before the first digit, or "00" as the first two digits, means
 *    an international number: the result is "+<digits>" (without the "00"),
 *    and a "(0)" trunk marker after the country code ("+49 (0)30 ...") is
 *    dropped.  A national number gets "+<default_cc>" with one leading
 *    trunk '0' removed when default_cc (1..4 ASCII digits) is given, and
 *    stays the bare digits otherwise.  The number must have 4..20 digits
 *    (not counting a "00" prefix or the default country code); an
 *    international number cannot start with 0 after its prefix.
 *    Extensions: a trailing "x", "ext", "ext.", "extn", "extension", '#' or
 *    U+8F6C (转) followed by 1..8 digits is kept as ";ext=<digits>" (the
 *    RFC 3966 form), so two desk lines of one switchboard stay two keys and
 *    never collide with a longer number.  Any other letter or character is
 *    an error.  Reason: "not a phone number".
 *
 *  any other kind: trimmed only.
 *
 * Writes the NUL-terminated result to out (cap >= FNL_MAX_STRING + 32 is
 * always enough) and returns its length; FNL_EINVAL with *why ("empty",
 * "too long", "invalid UTF-8", "not an e-mail address", "not a phone
 * number", "invalid default country code"); FNL_ERANGE if out is too
 * small.  why may be NULL. */
int fnli_key_normalize(const char *kind, size_t kind_len, const char *value,
                       const char *default_cc, char *out, size_t cap,
                       const char **why);

/* The domain of an e-mail address (the bytes after its last '@'):
 * FNL_OK with *dom pointing into email, or FNL_EINVAL when there is no
 * '@' or nothing after it. */
int fnli_email_domain(const char *email, size_t len, const char **dom,
                      size_t *dom_len);

/* Validate a NUL-terminated ISO 4217 code: exactly 3 ASCII letters, any
 * case.  Writes the upper-case code and a NUL to out; FNL_EINVAL (out
 * untouched) otherwise. */
int fnli_currency_parse(const char *s, char out[4]);

#endif
