/* normalize.c -- names, identity-key values, e-mail domains, currencies.
 * See normalize.h for the exact rules. */
#include "normalize.h"

#include <string.h>
#include "text.h"

static int fail(const char **why, const char *reason)
{
    if (why != NULL)
        *why = reason;
    return FNL_EINVAL;
}

/* ------------------------------------------------------------------------
 * Names
 * ------------------------------------------------------------------------ */

int fnli_name_fold(const char *name, int allow_punct, char *out, size_t cap,
                   const char **why)
{
    size_t i;

    if (out == NULL || cap < FNL_MAX_NAME + 1) {
        if (why != NULL)
            *why = "buffer too small";
        return FNL_ERANGE;
    }
    if (name == NULL || name[0] == '\0')
        return fail(why, "empty");
    for (i = 0; name[i] != '\0'; i++) {
        char c = name[i];
        if (i >= FNL_MAX_NAME)
            return fail(why, "too long");
        if (c >= 'A' && c <= 'Z') {
            c = fnli_lower(c);
        } else if (!((c >= 'a' && c <= 'z') || fnli_is_digit(c) || c == '_' ||
                     (allow_punct && (c == '.' || c == '-')))) {
            return fail(why, allow_punct
                                 ? "contains a character other than a-z, 0-9, "
                                   "_, ., -"
                                 : "contains a character other than a-z, 0-9, _");
        }
        out[i] = c;
    }
    out[i] = '\0';
    return (int)i;
}

/* ------------------------------------------------------------------------
 * E-mail
 * ------------------------------------------------------------------------ */

static const char NOT_EMAIL[] = "not an e-mail address";
static const char NOT_PHONE[] = "not a phone number";

static int email_normalize(const char *s, size_t n, char *out,
                           const char **why)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t at = (size_t)-1;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (c <= 0x20 || c == 0x7F)
            return fail(why, NOT_EMAIL);
        if (c == 0xC2 && i + 1 < n && p[i + 1] == 0xA0)
            return fail(why, NOT_EMAIL);
        if (c == 0xE3 && i + 2 < n && p[i + 1] == 0x80 && p[i + 2] == 0x80)
            return fail(why, NOT_EMAIL);
        if (c == '@') {
            if (at != (size_t)-1)
                return fail(why, NOT_EMAIL);
            at = i;
        }
        out[i] = fnli_lower((char)c);
    }
    if (at == (size_t)-1 || at == 0 || at + 1 >= n)
        return fail(why, NOT_EMAIL);

    /* Domain: labels of [a-z0-9-] or non-ASCII bytes, at least two, none
     * empty. */
    size_t labels = 0, label_len = 0;
    for (size_t i = at + 1; i < n; i++) {
        unsigned char c = (unsigned char)out[i];
        if (c == '.') {
            if (label_len == 0)
                return fail(why, NOT_EMAIL);
            labels++;
            label_len = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                   c == '-' || c >= 0x80) {
            label_len++;
        } else {
            return fail(why, NOT_EMAIL);
        }
    }
    if (label_len == 0 || labels < 1)
        return fail(why, NOT_EMAIL);
    out[n] = '\0';
    return (int)n;
}

int fnli_email_domain(const char *email, size_t len, const char **dom,
                      size_t *dom_len)
{
    if (email == NULL)
        return FNL_EINVAL;
    for (size_t i = len; i > 0; i--) {
        if (email[i - 1] == '@') {
            if (i == len)
                return FNL_EINVAL;
            *dom = email + i;
            *dom_len = len - i;
            return FNL_OK;
        }
    }
    return FNL_EINVAL;
}

/* ------------------------------------------------------------------------
 * Phone
 * ------------------------------------------------------------------------ */

enum {
    PT_OTHER = 0,
    PT_DIGIT, /* *digit holds '0'..'9' */
    PT_PLUS,
    PT_LPAREN,
    PT_RPAREN,
    PT_SEP,
    PT_LETTER, /* ASCII letter */
    PT_EXTMARK /* '#' or U+8F6C */
};

/* Classify the character at p (n > 0 bytes left); *adv receives its
 * length in bytes. */
static int phone_tok(const unsigned char *p, size_t n, size_t *adv,
                     char *digit)
{
    unsigned char c = p[0];

    *adv = 1;
    if (c < 0x80) {
        if (c >= '0' && c <= '9') {
            *digit = (char)c;
            return PT_DIGIT;
        }
        switch (c) {
        case '+': return PT_PLUS;
        case '(': return PT_LPAREN;
        case ')': return PT_RPAREN;
        case '#': return PT_EXTMARK;
        case ' ': case '-': case '.': case '/':
        case '\t': case '\n': case '\v': case '\f': case '\r':
            return PT_SEP;
        default:
            return fnli_is_alpha((char)c) ? PT_LETTER : PT_OTHER;
        }
    }
    if (c == 0xC2 && n >= 2 && p[1] == 0xA0) {
        *adv = 2;
        return PT_SEP; /* U+00A0 */
    }
    if (n >= 3) {
        *adv = 3;
        if (c == 0xEF && p[1] == 0xBC) {
            unsigned char d = p[2];
            if (d >= 0x90 && d <= 0x99) { /* U+FF10..U+FF19 */
                *digit = (char)('0' + (d - 0x90));
                return PT_DIGIT;
            }
            switch (d) {
            case 0x88: return PT_LPAREN; /* U+FF08 */
            case 0x89: return PT_RPAREN; /* U+FF09 */
            case 0x8B: return PT_PLUS;   /* U+FF0B */
            case 0x8D: return PT_SEP;    /* U+FF0D */
            default: break;
            }
        } else if (c == 0xE3 && p[1] == 0x80 && p[2] == 0x80) {
            return PT_SEP; /* U+3000 */
        } else if (c == 0xE2 && p[1] == 0x80 && p[2] >= 0x90 && p[2] <= 0x95) {
            return PT_SEP; /* U+2010..U+2015 dashes */
        } else if (c == 0xE8 && p[1] == 0xBD && p[2] == 0xAC) {
            return PT_EXTMARK; /* U+8F6C */
        }
    }
    *adv = 1;
    return PT_OTHER;
}

#define PHONE_MAX_DIGITS 20
#define PHONE_MAX_EXT 8

/* Parse an extension starting at s[i] (a letter or an extension mark) to
 * the end: writes its digits to ext and returns their count, or 0 if it is
 * not a valid extension. */
static size_t phone_ext(const unsigned char *s, size_t n, size_t i,
                        char ext[PHONE_MAX_EXT])
{
    size_t adv, m = 0;
    char d = 0;
    int t = phone_tok(s + i, n - i, &adv, &d);

    if (t == PT_LETTER) {
        size_t w = i;
        while (w < n && fnli_is_alpha((char)s[w]))
            w++;
        const char *word = (const char *)s + i;
        size_t wl = w - i;
        if (fnli_ascii_casecmp_n(word, wl, "x", 1) != 0 &&
            fnli_ascii_casecmp_n(word, wl, "ext", 3) != 0 &&
            fnli_ascii_casecmp_n(word, wl, "extn", 4) != 0 &&
            fnli_ascii_casecmp_n(word, wl, "extension", 9) != 0)
            return 0;
        i = w;
    } else {
        i += adv; /* '#' or U+8F6C */
    }
    /* separators (and ':') between the mark and the digits */
    while (i < n) {
        if (s[i] == ':') {
            i++;
            continue;
        }
        t = phone_tok(s + i, n - i, &adv, &d);
        if (t != PT_SEP)
            break;
        i += adv;
    }
    while (i < n) {
        t = phone_tok(s + i, n - i, &adv, &d);
        if (t != PT_DIGIT)
            break;
        if (m == PHONE_MAX_EXT)
            return 0;
        ext[m++] = d;
        i += adv;
    }
    /* only white space may follow */
    while (i < n) {
        t = phone_tok(s + i, n - i, &adv, &d);
        if (t != PT_SEP)
            return 0;
        i += adv;
    }
    return m;
}

static int cc_valid(const char *cc, size_t *len)
{
    size_t n = 0;
    while (cc[n] != '\0') {
        if (!fnli_is_digit(cc[n]) || n >= 4)
            return 0;
        n++;
    }
    if (n == 0 || cc[0] == '0')
        return 0;
    *len = n;
    return 1;
}

static int phone_normalize(const char *str, size_t n, const char *default_cc,
                           char *out, const char **why)
{
    const unsigned char *s = (const unsigned char *)str;
    char digits[PHONE_MAX_DIGITS + 2];
    char ext[PHONE_MAX_EXT];
    size_t nd = 0, next = 0, i = 0, adv;
    size_t cc_len = 0;
    int plus = 0;
    char d = 0;

    if (default_cc != NULL && default_cc[0] == '+')
        default_cc++;
    if (default_cc != NULL && default_cc[0] != '\0' &&
        !cc_valid(default_cc, &cc_len))
        return fail(why, "invalid default country code");

    while (i < n) {
        int t = phone_tok(s + i, n - i, &adv, &d);
        switch (t) {
        case PT_DIGIT:
            if (nd == sizeof digits)
                return fail(why, NOT_PHONE);
            digits[nd++] = d;
            i += adv;
            break;
        case PT_PLUS:
            if (plus || nd != 0)
                return fail(why, NOT_PHONE);
            plus = 1;
            i += adv;
            break;
        case PT_LPAREN: {
            /* "(0)" after the country code of an international number is
             * a trunk marker: drop it. */
            int intl = plus || (nd >= 2 && digits[0] == '0' && digits[1] == '0');
            size_t prefix = plus ? 0 : 2;
            size_t a2, a3;
            char d2 = 0, d3 = 0;
            if (intl && nd > prefix && i + adv < n &&
                phone_tok(s + i + adv, n - i - adv, &a2, &d2) == PT_DIGIT &&
                d2 == '0' && i + adv + a2 < n &&
                phone_tok(s + i + adv + a2, n - i - adv - a2, &a3, &d3) ==
                    PT_RPAREN) {
                i += adv + a2 + a3;
            } else {
                i += adv;
            }
            break;
        }
        case PT_RPAREN:
        case PT_SEP:
            i += adv;
            break;
        case PT_LETTER:
        case PT_EXTMARK:
            next = nd == 0 ? 0 : phone_ext(s, n, i, ext);
            if (next == 0)
                return fail(why, NOT_PHONE);
            i = n;
            break;
        default:
            return fail(why, NOT_PHONE);
        }
    }

    const char *sig = digits;
    size_t ns = nd;
    int intl = plus;
    if (!plus && nd >= 2 && digits[0] == '0' && digits[1] == '0') {
        intl = 1;
        sig += 2;
        ns -= 2;
    }
    if (ns < 4 || ns > PHONE_MAX_DIGITS)
        return fail(why, NOT_PHONE);
    if (intl && sig[0] == '0')
        return fail(why, NOT_PHONE);

    size_t o = 0;
    if (intl) {
        out[o++] = '+';
    } else if (cc_len != 0) {
        out[o++] = '+';
        memcpy(out + o, default_cc, cc_len);
        o += cc_len;
        if (sig[0] == '0') {
            sig++;
            ns--;
        }
    }
    memcpy(out + o, sig, ns);
    o += ns;
    if (next != 0) {
        memcpy(out + o, ";ext=", 5);
        o += 5;
        memcpy(out + o, ext, next);
        o += next;
    }
    out[o] = '\0';
    return (int)o;
}

/* ------------------------------------------------------------------------
 * Keys
 * ------------------------------------------------------------------------ */

/* Longest phone result: '+', 4 cc digits, 20 digits, ";ext=", 8 digits. */
#define PHONE_OUT_MAX (1 + 4 + PHONE_MAX_DIGITS + 5 + PHONE_MAX_EXT)

int fnli_key_normalize(const char *kind, size_t kind_len, const char *value,
                       const char *default_cc, char *out, size_t cap,
                       const char **why)
{
    if (value == NULL)
        return fail(why, "empty");
    size_t len = strnlen(value, (size_t)FNL_MAX_STRING + 1);
    if (len > FNL_MAX_STRING)
        return fail(why, "too long");
    if (!fnli_utf8_valid(value, len))
        return fail(why, "invalid UTF-8");
    const char *s = value;
    size_t n = len;
    fnli_trim(&s, &n);
    if (n == 0)
        return fail(why, "empty");

    int is_email = kind != NULL && kind_len == 5 && memcmp(kind, "email", 5) == 0;
    int is_phone = kind != NULL && kind_len == 5 && memcmp(kind, "phone", 5) == 0;
    size_t need = is_phone ? PHONE_OUT_MAX + 1 : n + 1;
    if (out == NULL || cap < need) {
        if (why != NULL)
            *why = "buffer too small";
        return FNL_ERANGE;
    }
    if (is_email)
        return email_normalize(s, n, out, why);
    if (is_phone)
        return phone_normalize(s, n, default_cc, out, why);
    memcpy(out, s, n);
    out[n] = '\0';
    return (int)n;
}

/* ------------------------------------------------------------------------
 * Currency
 * ------------------------------------------------------------------------ */

int fnli_currency_parse(const char *s, char out[4])
{
    if (s == NULL || out == NULL)
        return FNL_EINVAL;
    for (int i = 0; i < 3; i++) {
        if (!fnli_is_alpha(s[i]))
            return FNL_EINVAL;
    }
    if (s[3] != '\0')
        return FNL_EINVAL;
    for (int i = 0; i < 3; i++)
        out[i] = fnli_upper(s[i]);
    out[3] = '\0';
    return FNL_OK;
}
