/* url.c -- host names and UTM parameters of URLs.  See url.h. */
#include "url.h"

#include <string.h>
#include "text.h"

static int is_scheme_char(char c)
{
    return fnli_is_alpha(c) || fnli_is_digit(c) || c == '+' || c == '-' ||
           c == '.';
}

static inline int ends_authority(char c)
{
    return c == '/' || c == '?' || c == '#' || c == '\\';
}

int fnli_url_host(const char *url, size_t len, fnli_span *host)
{
    const char *s = url;
    size_t n = len, a, e, i;
    int bare = 0;

    if (url == NULL || host == NULL)
        return FNL_EINVAL;
    fnli_trim(&s, &n);
    if (n >= 2 && s[0] == '/' && s[1] == '/') {
        a = 2;
    } else {
        a = 0;
        bare = 1;
        if (n > 0 && fnli_is_alpha(s[0])) {
            size_t j = 1;
            while (j < n && is_scheme_char(s[j]))
                j++;
            if (j < n && s[j] == ':') {
                if (j + 2 < n && s[j + 1] == '/' && s[j + 2] == '/') {
                    a = j + 3;
                    bare = 0;
                } else {
                    /* "host:port..." is a bare host; anything else with a
                     * scheme but no "//" ("mailto:", "about:") has none. */
                    size_t k = j + 1;
                    while (k < n && fnli_is_digit(s[k]))
                        k++;
                    if (k == j + 1 || (k < n && !ends_authority(s[k])))
                        return FNL_EINVAL;
                }
            }
        }
    }
    /* one pass to the end of the authority, noting the last '@' (the end
     * of any userinfo) */
    size_t hs = a, he;
    for (e = a; e < n; e++) {
        char c = s[e];
        if (ends_authority(c))
            break;
        if (c == '@')
            hs = e + 1;
    }
    if (hs < e && s[hs] == '[') {
        size_t rb = hs + 1;
        while (rb < e && s[rb] != ']')
            rb++;
        if (rb >= e || (rb + 1 < e && s[rb + 1] != ':'))
            return FNL_EINVAL;
        hs++;
        he = rb;
        for (i = hs; i < he; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c <= 0x20 || c == 0x7F)
                return FNL_EINVAL;
        }
    } else {
        /* the host runs to the port's ':' */
        for (he = hs; he < e; he++) {
            unsigned char c = (unsigned char)s[he];
            if (c == ':')
                break;
            if (c <= 0x20 || c == 0x7F)
                return FNL_EINVAL;
        }
        if (he > hs && s[he - 1] == '.')
            he--;
    }
    if (he <= hs)
        return FNL_EINVAL;
    /* a bare "host/path" needs a '.' before any trailing one */
    if (bare && memchr(s + hs, '.', he - hs) == NULL)
        return FNL_EINVAL;
    host->p = s + hs;
    host->n = he - hs;
    return FNL_OK;
}

/* ------------------------------------------------------------------------
 * UTM parameters
 * ------------------------------------------------------------------------ */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Index 0..4 of a UTM parameter name, or -1. */
static int utm_index(const char *p, size_t n)
{
    if (n < 8 || n > 12 || fnli_lower(p[0]) != 'u' || fnli_lower(p[1]) != 't' ||
        fnli_lower(p[2]) != 'm' || p[3] != '_')
        return -1;
    p += 4;
    n -= 4;
    switch (n) {
    case 4:
        return fnli_ascii_casecmp_n(p, n, "term", 4) == 0 ? 3 : -1;
    case 6:
        if (fnli_ascii_casecmp_n(p, n, "source", 6) == 0)
            return 0;
        return fnli_ascii_casecmp_n(p, n, "medium", 6) == 0 ? 1 : -1;
    case 7:
        return fnli_ascii_casecmp_n(p, n, "content", 7) == 0 ? 4 : -1;
    case 8:
        return fnli_ascii_casecmp_n(p, n, "campaign", 8) == 0 ? 2 : -1;
    default:
        return -1;
    }
}

typedef struct utm_state {
    const char *v[5];
    char *buf;
    size_t cap, pos;
    unsigned found;
} utm_state;

static int is_escape(const char *p, size_t n, size_t i)
{
    return p[i] == '%' && i + 2 < n && hexval(p[i + 1]) >= 0 &&
           hexval(p[i + 2]) >= 0;
}

/* Percent-decode p[0..n) into out ('+' is a space; malformed escapes stay
 * literal); returns the decoded length (<= n). */
static size_t decode(char *out, const char *p, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%' && is_escape(p, n, i)) {
            c = (char)(hexval(p[i + 1]) * 16 + hexval(p[i + 2]));
            i += 2;
        }
        out[o++] = c;
    }
    return o;
}

/* The length decode() would give. */
static size_t decoded_len(const char *p, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++, o++) {
        if (p[i] == '%' && is_escape(p, n, i))
            i += 2;
    }
    return o;
}

/* Decode one value into the buffer and record it; FNL_ERANGE if it does
 * not fit. */
static int utm_take(utm_state *st, int k, const char *p, size_t n)
{
    size_t start = st->pos;

    if (n == 0)
        return FNL_OK; /* empty: absent */
    /* decoding only shrinks, so measuring is needed on tight buffers only */
    if (st->cap - start < n + 1 && st->cap - start < decoded_len(p, n) + 1)
        return FNL_ERANGE;
    size_t o = start + decode(st->buf + start, p, n);
    const char *v = st->buf + start;
    size_t vn = o - start;
    if (!fnli_utf8_valid(v, vn))
        return FNL_OK; /* treated as absent */
    fnli_trim(&v, &vn);
    if (vn == 0)
        return FNL_OK;
    st->buf[(size_t)(v - st->buf) + vn] = '\0';
    st->v[k] = v;
    st->found |= 1u << k;
    st->pos = o + 1;
    return FNL_OK;
}

static int utm_region(utm_state *st, const char *p, size_t n, int frag)
{
    const char *end = p + n;
    while (p < end && st->found != 0x1Fu) {
        const char *e = memchr(p, '&', (size_t)(end - p));
        if (e == NULL)
            e = end;
        if (frag) {
            const char *q = memchr(p, '?', (size_t)(e - p));
            if (q != NULL)
                e = q;
        }
        const char *eq = memchr(p, '=', (size_t)(e - p));
        if (eq != NULL) {
            int k = utm_index(p, (size_t)(eq - p));
            if (k >= 0 && !(st->found & (1u << k))) {
                int rc = utm_take(st, k, eq + 1, (size_t)(e - eq - 1));
                if (rc != FNL_OK)
                    return rc;
            }
        }
        if (e == end)
            break;
        p = e + 1;
    }
    return FNL_OK;
}

int fnli_utm_parse(const char *url, size_t len, char *buf, size_t cap,
                   fnli_utm *out)
{
    utm_state st;
    size_t q = len, h = len;

    if (out == NULL || (url == NULL && len > 0))
        return FNL_EINVAL;
    memset(&st, 0, sizeof st);
    st.buf = buf;
    st.cap = buf != NULL ? cap : 0;
    if (len > 0) {
        const char *hp = memchr(url, '#', len);
        const char *qp;
        if (hp != NULL)
            h = (size_t)(hp - url);
        qp = h > 0 ? memchr(url, '?', h) : NULL;
        if (qp != NULL)
            q = (size_t)(qp - url);
    }
    int rc = FNL_OK;
    if (q < h)
        rc = utm_region(&st, url + q + 1, h - q - 1, 0);
    if (rc == FNL_OK && h < len)
        rc = utm_region(&st, url + h + 1, len - h - 1, 1);
    if (rc != FNL_OK)
        return rc;
    out->source = st.v[0];
    out->medium = st.v[1];
    out->campaign = st.v[2];
    out->term = st.v[3];
    out->content = st.v[4];
    return FNL_OK;
}
