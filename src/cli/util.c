/* util.c -- string buffers, escaping, dates and amounts for the CLI. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

void cli_err(const char *fmt, ...)
{
    va_list ap;
    fputs("funnelcore: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void *cli_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL) {
        cli_err("out of memory");
        exit(CLI_EXIT_DATA);
    }
    return p;
}

/* A whole file ("-": stdin) as NUL-terminated bytes, at most `max`;
 * NULL when it cannot be read or is larger. */
char *cli_read_file(const char *path, size_t max, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    char *p = NULL;
    size_t n = 0, cap = 0;
    if (f == NULL)
        return NULL;
    for (;;) {
        size_t got;
        if (n + 4096 > cap) {
            cap = cap ? cap * 2 : 8192;
            p = cli_xrealloc(p, cap);
        }
        got = fread(p + n, 1, cap - n - 1, f);
        n += got;
        if (n > max) {
            free(p);
            p = NULL;
            break;
        }
        if (got == 0)
            break;
    }
    if (p && ferror(f)) {
        free(p);
        p = NULL;
    }
    if (f != stdin)
        fclose(f);
    if (p) {
        p[n] = 0;
        *len = n;
    }
    return p;
}

void *cli_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL) {
        cli_err("out of memory");
        exit(CLI_EXIT_DATA);
    }
    return q;
}

char *cli_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = cli_xmalloc(n);
    memcpy(p, s, n);
    return p;
}

/* ---- buffers ------------------------------------------------------------ */

void cli_buf_free(cli_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

void cli_buf_reset(cli_buf *b)
{
    b->len = 0;
    if (b->p)
        b->p[0] = 0;
}

static void buf_reserve(cli_buf *b, size_t n)
{
    if (b->len + n + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1)
        cap *= 2;
    b->p = cli_xrealloc(b->p, cap);
    b->cap = cap;
}

void cli_buf_add(cli_buf *b, const char *s, size_t n)
{
    buf_reserve(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

void cli_buf_puts(cli_buf *b, const char *s) { cli_buf_add(b, s, strlen(s)); }

void cli_buf_putc(cli_buf *b, char c) { cli_buf_add(b, &c, 1); }

/* Every caller passes a literal format, and nonnull says so.  It matters:
 * under -fsanitize=undefined GCC guards each vsnprintf below with a null
 * check on fmt, threads the failing branch into vsnprintf(NULL, 0, NULL)
 * and warns "null format string" about that call.  With fmt known non-null
 * the check and the branch go away. */
__attribute__((nonnull(1, 2)))
void cli_buf_printf(cli_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void cli_buf_json_str(cli_buf *b, const char *s)
{
    cli_buf_putc(b, '"');
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '"': cli_buf_puts(b, "\\\""); break;
        case '\\': cli_buf_puts(b, "\\\\"); break;
        case '\n': cli_buf_puts(b, "\\n"); break;
        case '\r': cli_buf_puts(b, "\\r"); break;
        case '\t': cli_buf_puts(b, "\\t"); break;
        default:
            if (c < 0x20)
                cli_buf_printf(b, "\\u%04x", c);
            else
                cli_buf_putc(b, (char)c);
        }
    }
    cli_buf_putc(b, '"');
}

void cli_buf_num(cli_buf *b, double v)
{
    char tmp[40];
    if (!isfinite(v)) {
        cli_buf_puts(b, "null");
        return;
    }
    if (v == 0) {
        cli_buf_puts(b, "0");
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    cli_buf_puts(b, tmp);
}

void cli_buf_csv_field(cli_buf *b, const char *s)
{
    if (s == NULL)
        return;
    if (strpbrk(s, ",\"\r\n") == NULL) {
        cli_buf_puts(b, s);
        return;
    }
    cli_buf_putc(b, '"');
    for (; *s; s++) {
        if (*s == '"')
            cli_buf_putc(b, '"');
        cli_buf_putc(b, *s);
    }
    cli_buf_putc(b, '"');
}

void cli_buf_html(cli_buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': cli_buf_puts(b, "&lt;"); break;
        case '>': cli_buf_puts(b, "&gt;"); break;
        case '&': cli_buf_puts(b, "&amp;"); break;
        case '"': cli_buf_puts(b, "&quot;"); break;
        default: cli_buf_putc(b, *s);
        }
    }
}

/* ---- text --------------------------------------------------------------- */

int cli_strieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return 0;
    return *a == *b;
}

char *cli_trim(char *s)
{
    size_t n;
    while (*s == ' ' || *s == '\t')
        s++;
    n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = 0;
    return s;
}

size_t cli_utf8_invalid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t k;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            k = 1, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF)
            k = 2, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4)
            k = 3, cp = c & 0x07;
        else
            return i;
        if (i + k >= n)
            return i;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                return i;
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += k + 1;
    }
    return (size_t)-1;
}

static int wide(uint32_t cp)
{
    return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
           (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
           (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
           (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1FAFF) ||
           (cp >= 0x20000 && cp <= 0x3FFFD);
}

size_t cli_utf8_width(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t w = 0;
    while (s && *s) {
        uint32_t cp = *s;
        size_t k = 0;
        if (cp >= 0xF0)
            k = 3, cp &= 0x07;
        else if (cp >= 0xE0)
            k = 2, cp &= 0x0F;
        else if (cp >= 0xC0)
            k = 1, cp &= 0x1F;
        s++;
        while (k-- > 0 && (*s & 0xC0) == 0x80)
            cp = (cp << 6) | (*s++ & 0x3F);
        w += wide(cp) ? 2 : 1;
    }
    return w;
}

/* ---- dates -------------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * algorithm). */
int64_t cli_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, unsigned m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

/* Read exactly `min`..`max` digits. */
static int digits(const char **p, int min, int max, int64_t *out)
{
    int n = 0;
    int64_t v = 0;
    while (n < max && isdigit((unsigned char)**p)) {
        v = v * 10 + (**p - '0');
        (*p)++;
        n++;
    }
    if (n < min)
        return -1;
    *out = v;
    return 0;
}

static int make_time(int64_t y, int64_t mo, int64_t d, int64_t h, int64_t mi,
                     int64_t s, int64_t ms, int64_t *out)
{
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 ||
        d > days_in_month(y, (unsigned)mo) || h > 23 || mi > 59 || s > 60)
        return -1;
    *out = ((cli_days_from_civil(y, (unsigned)mo, (unsigned)d) * 24 + h) * 60 +
            mi) * 60000 + s * 1000 + ms;
    return 0;
}

static const char *const months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                     "jul", "aug", "sep", "oct", "nov", "dec"};

static int parse_iso(const char *s, int64_t *out, size_t *col)
{
    const char *p = s;
    int64_t y, mo, d, h = 0, mi = 0, sec = 0, ms = 0, off = 0;
    if (digits(&p, 4, 4, &y) || *p++ != '-' || digits(&p, 2, 2, &mo) ||
        *p++ != '-' || digits(&p, 2, 2, &d))
        goto bad;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (digits(&p, 2, 2, &h) || *p++ != ':' || digits(&p, 2, 2, &mi))
            goto bad;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, 2, &sec))
                goto bad;
            if (*p == '.' || *p == ',') {
                int n = 0;
                p++;
                if (!isdigit((unsigned char)*p))
                    goto bad;
                while (isdigit((unsigned char)*p)) {
                    if (n < 3)
                        ms = ms * 10 + (*p - '0');
                    n++, p++;
                }
                while (n < 3)
                    ms *= 10, n++;
            }
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1;
            int64_t oh, om = 0;
            if (digits(&p, 2, 2, &oh))
                goto bad;
            if (*p == ':')
                p++;
            if (isdigit((unsigned char)*p) && digits(&p, 2, 2, &om))
                goto bad;
            if (oh > 23 || om > 59)
                goto bad;
            off = sign * (oh * 60 + om) * 60000;
        }
    }
    if (*p != 0 || make_time(y, mo, d, h, mi, sec, ms, out))
        goto bad;
    *out -= off;
    return 0;
bad:
    *col = (size_t)(p - s);
    return -1;
}

static int parse_fmt(const char *s, const char *fmt, int64_t *out, size_t *col)
{
    const char *p = s;
    int64_t y = 1970, mo = 1, d = 1, h = 0, mi = 0, sec = 0, v;
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            if (*p != *fmt)
                goto bad;
            p++;
            continue;
        }
        switch (*++fmt) {
        case 'Y': if (digits(&p, 4, 4, &y)) goto bad; break;
        case 'y':
            if (digits(&p, 2, 2, &v))
                goto bad;
            y = v < 69 ? 2000 + v : 1900 + v; /* POSIX strptime's pivot */
            break;
        case 'm': if (digits(&p, 1, 2, &mo)) goto bad; break;
        case 'd': if (digits(&p, 1, 2, &d)) goto bad; break;
        case 'H': if (digits(&p, 1, 2, &h)) goto bad; break;
        case 'M': if (digits(&p, 1, 2, &mi)) goto bad; break;
        case 'S': if (digits(&p, 1, 2, &sec)) goto bad; break;
        case 'b': {
            int k;
            for (k = 0; k < 12; k++)
                if (strncasecmp(p, months[k], 3) == 0)
                    break;
            if (k == 12)
                goto bad;
            mo = k + 1;
            p += 3;
            break;
        }
        case '%': if (*p++ != '%') goto bad; break;
        default: goto bad;
        }
    }
    if (*p != 0 || make_time(y, mo, d, h, mi, sec, 0, out))
        goto bad;
    return 0;
bad:
    *col = (size_t)(p - s);
    return -1;
}

int cli_parse_time(const char *s, const char *fmt, int64_t *out,
                   size_t *err_col)
{
    size_t col = 0;
    if (fmt != NULL && parse_fmt(s, fmt, out, &col) == 0)
        return 0;
    if (fmt == NULL) {
        const char *p = s;
        while (isdigit((unsigned char)*p))
            p++;
        if (*p == 0 && p > s && p - s <= 15) {
            *out = strtoll(s, NULL, 10);
            if (*out <= FNL_TIME_MAX)
                return 0;
        }
        if (parse_iso(s, out, &col) == 0)
            return 0;
    }
    if (err_col)
        *err_col = col;
    return -1;
}

void cli_fmt_date(int64_t ms, char out[16])
{
    int64_t y;
    unsigned m, d;
    int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
    civil_from_days(days, &y, &m, &d);
    snprintf(out, 16, "%04d-%02u-%02u", (int)(y % 10000), m % 13u, d % 32u);
}

void cli_fmt_time(int64_t ms, char out[32])
{
    char d[16];
    int64_t rem = ms % 86400000;
    if (rem < 0)
        rem += 86400000;
    cli_fmt_date(ms, d);
    if (rem == 0) {
        snprintf(out, 32, "%s", d);
        return;
    }
    snprintf(out, 32, "%sT%02d:%02d:%02dZ", d, (int)(rem / 3600000),
             (int)(rem / 60000 % 60), (int)(rem / 1000 % 60));
}

/* ---- amounts ------------------------------------------------------------ */

int cli_parse_amount(const char *s, int64_t scale, int64_t *out,
                     const char **why)
{
    int64_t ip = 0, fp = 0, fscale = scale;
    const char *p = s;
    int nd = 0;
    while (*p == ' ')
        p++;
    if (*p == '-') {
        *why = "negative amount";
        return -1;
    }
    if (*p == '+')
        p++;
    for (; isdigit((unsigned char)*p) || *p == '_'; p++) {
        if (*p == '_')
            continue;
        if (ip > (INT64_MAX - 9) / 10) {
            *why = "amount too large";
            return -1;
        }
        ip = ip * 10 + (*p - '0');
        nd++;
    }
    if (*p == '.') {
        p++;
        for (; isdigit((unsigned char)*p); p++) {
            nd++;
            if (fscale <= 1) {
                if (*p != '0') {
                    *why = "more decimals than --amount-scale allows";
                    return -1;
                }
                continue;
            }
            fscale /= 10;
            fp += (*p - '0') * fscale;
        }
    }
    while (*p == ' ')
        p++;
    if (*p != 0 || nd == 0) {
        *why = "not a number";
        return -1;
    }
    if (ip > (INT64_MAX - fp) / scale) {
        *why = "amount too large";
        return -1;
    }
    *out = ip * scale + fp;
    return 0;
}

static void group3(uint64_t v, char *out, size_t cap)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v);
    size_t o = 0;
    for (int i = 0; i < n && o + 2 < cap; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = tmp[i];
    }
    out[o] = 0;
}

void cli_fmt_count(uint64_t n, char out[32]) { group3(n, out, 32); }

void cli_fmt_money(int64_t minor, int decimals, char out[40])
{
    uint64_t a = minor < 0 ? (uint64_t)(-(minor + 1)) + 1 : (uint64_t)minor;
    uint64_t scale = 1;
    char ip[32];
    if (decimals > 9)
        decimals = 9;
    for (int i = 0; i < decimals; i++)
        scale *= 10;
    group3(a / scale, ip, sizeof(ip));
    char tmp[80];
    if (decimals > 0)
        snprintf(tmp, sizeof(tmp), "%s%s.%0*llu", minor < 0 ? "-" : "", ip,
                 decimals % 10, (unsigned long long)(a % scale));
    else
        snprintf(tmp, sizeof(tmp), "%s%s", minor < 0 ? "-" : "", ip);
    memcpy(out, tmp, 39);
    out[39] = 0;
}

/* ---- string map --------------------------------------------------------- */

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h ^ (h >> 29);
}

static size_t find_slot(const cli_strmap *m, const char *key)
{
    size_t i = (size_t)hash_str(key) & (m->cap - 1);
    while (m->slots[i] != 0 && strcmp(m->keys.p + m->slots[i] - 1, key) != 0)
        i = (i + 1) & (m->cap - 1);
    return i;
}

int cli_strmap_get(const cli_strmap *m, const char *key, uint32_t *val)
{
    size_t i;
    if (m->cap == 0)
        return 0;
    i = find_slot(m, key);
    if (m->slots[i] == 0)
        return 0;
    *val = m->vals[i];
    return 1;
}

static void strmap_grow(cli_strmap *m)
{
    size_t oldcap = m->cap;
    size_t *os = m->slots;
    uint32_t *ov = m->vals;
    m->cap = oldcap ? oldcap * 2 : 64;
    m->slots = cli_xmalloc(m->cap * sizeof(size_t));
    m->vals = cli_xmalloc(m->cap * sizeof(uint32_t));
    memset(m->slots, 0, m->cap * sizeof(size_t));
    for (size_t i = 0; i < oldcap; i++) {
        if (os[i] == 0)
            continue;
        size_t j = find_slot(m, m->keys.p + os[i] - 1);
        m->slots[j] = os[i];
        m->vals[j] = ov[i];
    }
    free(os);
    free(ov);
}

void cli_strmap_put(cli_strmap *m, const char *key, uint32_t val)
{
    size_t i;
    if ((m->count + 1) * 4 > m->cap * 3)
        strmap_grow(m);
    i = find_slot(m, key);
    if (m->slots[i] == 0) {
        size_t off = m->keys.len;
        cli_buf_add(&m->keys, key, strlen(key) + 1);
        m->slots[i] = off + 1;
        m->count++;
    }
    m->vals[i] = val;
}

void cli_strmap_free(cli_strmap *m)
{
    cli_buf_free(&m->keys);
    free(m->slots);
    free(m->vals);
    memset(m, 0, sizeof(*m));
}
