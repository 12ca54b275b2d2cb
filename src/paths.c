/* paths.c -- the ChannelAttribution-compatible paths CSV reader.
 *
 * Columns (header names ASCII case-insensitive, any order, others
 * ignored): path ("a > b > c"), total_conversions, and optionally
 * total_conversion_value and total_null.  One journey per data row.  The
 * grammar is RFC 4180 with LF or CRLF line ends and an optional UTF-8 BOM;
 * every error names its line and byte column.
 *
 * Two row readers.  The fast one takes the common row -- no field starts
 * with a quote, numbers written "12" or "12.50" -- in one pass: it finds
 * the delimiters eight bytes at a time, splits the path into channel
 * names, looks each up in the name cache and notes a byte >= 0x80 (then
 * UTF-8 is checked) as it goes, and parses the numbers while it walks
 * over them.  On anything else, an error included, it gives the row back
 * untouched and the general reader (read_field, emit) reads it again from
 * its start, so every message, every limit and every result are the
 * general reader's.  Both run on the caller's thread. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "attribution.h"
#include "paths_scan.h"

enum { COL_PATH, COL_CONV, COL_VALUE, COL_NULL, NCOLS };

static const char *const col_names[NCOLS] = {
    "path", "total_conversions", "total_conversion_value", "total_null"
};

typedef struct field {
    const char *s;
    size_t n;
    int quoted;          /* contains "" escapes to undo */
    uint64_t line;
    uint64_t col;
} field;

/* Names up to 16 bytes are looked up in a small direct-mapped cache keyed
 * by their bytes themselves (two words and the length), so a repeated
 * channel name costs no hashing of text, no table probe, no memcmp. */
#define NCACHE 512
typedef struct ncache {
    uint64_t x, y;
    uint32_t n;          /* 0: empty */
    uint32_t id;
} ncache;

/* The fast reader handles files of at most FAST_COLS columns, and rows
 * whose path has at most FAST_NAMES channel names. */
#define FAST_COLS 64
#define FAST_NAMES 512
enum { ROLE_OTHER, ROLE_PATH, ROLE_CONV, ROLE_VALUE, ROLE_NULL, ROLE_STOP };
/* Not an FNL_* code: "read this row with the general reader". */
#define ROW_GENERAL 1

typedef struct name_span {
    const char *s;
    size_t n;
} name_span;

typedef struct parser {
    fnl_journeys *js;    /* the sink: a journeys container, or */
    fnli_attr *a;        /* a partial */
    fnli_mem *mem;       /* scratch */
    ncache cache[NCACHE];
    const char *p, *end, *line_start;
    uint64_t line;
    char sep;
    uint64_t sepw;       /* sep in every byte */
    uint32_t decimals;
    unsigned flags;      /* FNLI_PATHS_* */
    fnl_paths_error *err;
    char *unq;           /* unescape scratch */
    size_t unq_cap;
    uint32_t *ids;
    size_t ids_cap;
    int fast;            /* the fast reader may be tried */
    long nfields;
    unsigned char role[FAST_COLS + 1];
    name_span names[FAST_NAMES];
    uint32_t fast_ids[FAST_NAMES];
    size_t misses;       /* names of this row not in the cache */
} parser;

/* Fill *err, when the caller gave one, and return code.  line 0: not
 * about a position. */
static int set_error(fnl_paths_error *err, int code, uint64_t line,
                     uint64_t col, const char *what)
{
    fnl_paths_error e;
    if (err == NULL || err->size < sizeof(uint32_t))
        return code;
    memset(&e, 0, sizeof(e));
    e.size = err->size;
    e.line = line;
    e.column = col;
    if (line)
        snprintf(e.message, sizeof(e.message), "line %llu, column %llu: %s",
                 (unsigned long long)line, (unsigned long long)col, what);
    else
        snprintf(e.message, sizeof(e.message), "%s", what);
    memcpy(err, &e, err->size < sizeof(e) ? err->size : sizeof(e));
    return code;
}

static int fail(parser *ps, int code, uint64_t line, uint64_t col,
                const char *what)
{
    return set_error(ps->err, code, line, col, what);
}

/* Read one field at ps->p; leaves ps->p on the delimiter (',' / CR / LF)
 * or at the end. */
static int read_field(parser *ps, field *f)
{
    const char *p = ps->p, *end = ps->end;
    f->line = ps->line;
    f->col = (uint64_t)(p - ps->line_start) + 1;
    f->quoted = 0;
    if (p < end && *p == '"') {
        const char *s = ++p;
        for (;;) {
            const char *q = memchr(p, '"', (size_t)(end - p));
            const char *nl;
            /* keep line numbers right across embedded line ends */
            for (nl = p; (nl = memchr(nl, '\n', (size_t)((q ? q : end) - nl)));
                 nl++) {
                ps->line++;
                ps->line_start = nl + 1;
            }
            if (q == NULL)
                return fail(ps, FNL_ECORRUPT, f->line, f->col,
                            "unterminated quoted field");
            if (q + 1 < end && q[1] == '"') {
                f->quoted = 1;
                p = q + 2;
                continue;
            }
            f->s = s;
            f->n = (size_t)(q - s);
            p = q + 1;
            break;
        }
        if (p < end && *p != ',' && *p != '\n' && *p != '\r')
            return fail(ps, FNL_ECORRUPT, ps->line,
                        (uint64_t)(p - ps->line_start) + 1,
                        "unexpected character after a closing quote");
        ps->p = p;
        return FNL_OK;
    }
    f->s = p;
    /* eight bytes at a time while none is a delimiter: a byte b is ','
     * '\n' or '\r' when b ^ that has a zero byte */
    while (end - p >= 8) {
        uint64_t w, a, b, c;
        const uint64_t ones = UINT64_C(0x0101010101010101);
        const uint64_t highs = UINT64_C(0x8080808080808080);
        memcpy(&w, p, 8);
        a = w ^ (ones * ',');
        b = w ^ (ones * '\n');
        c = w ^ (ones * '\r');
        if ((((a - ones) & ~a) | ((b - ones) & ~b) | ((c - ones) & ~c)) &
            highs)
            break;
        p += 8;
    }
    while (p < end) {
        char c = *p;
        /* one test for the common case: every delimiter is below '-' */
        if (c > ',' || (c != ',' && c != '\n' && c != '\r'))
            p++;
        else
            break;
    }
    f->n = (size_t)(p - f->s);
    ps->p = p;
    return FNL_OK;
}

/* Undo "" escapes into the scratch buffer. */
static int unquote(parser *ps, field *f)
{
    size_t i, k = 0;
    int rc;
    if (!f->quoted)
        return FNL_OK;
    /* 16 bytes of slack: name_id() reads names 8 or 16 bytes at a time,
     * and a name may end at the end of this buffer */
    if (f->n + 16 > ps->unq_cap) {
        rc = fnli_grow(ps->mem, (void **)&ps->unq, &ps->unq_cap, f->n + 16,
                       1, 256);
        if (rc)
            return fail(ps, rc, 0, 0, "out of memory");
    }
    for (i = 0; i < f->n; i++) {
        ps->unq[k++] = f->s[i];
        if (f->s[i] == '"')
            i++;
    }
    f->s = ps->unq;
    f->n = k;
    f->quoted = 0;
    return FNL_OK;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* A non-negative decimal ("12", "3.50", "1e+05"), scaled by 10^decimals
 * and rounded half away from zero.  whole: the scaled number must be an
 * integer. */
/* The common forms, "123" and "123.45" with at most `decimals` digits
 * after the point, without the general reader; 0 if not that simple. */
static int quick_number(const field *f, uint32_t decimals, uint64_t max,
                        uint64_t *out)
{
    const char *s = f->s, *e = f->s + f->n;
    uint64_t v = 0;
    uint32_t frac = 0;
    if (f->n == 0 || f->n + decimals > 18)
        return 0;
    while (s < e && (unsigned)(*s - '0') < 10)
        v = v * 10 + (uint64_t)(*s++ - '0');
    if (s == f->s)
        return 0;
    if (s < e && *s == '.') {
        s++;
        while (s < e && (unsigned)(*s - '0') < 10 && frac < decimals) {
            v = v * 10 + (uint64_t)(*s++ - '0');
            frac++;
        }
    }
    if (s != e)
        return 0;
    for (; frac < decimals; frac++)
        v *= 10;
    if (v > max)
        return 0;
    *out = v;
    return 1;
}

static int parse_number(parser *ps, const field *f, uint32_t decimals,
                        int whole, uint64_t max, uint64_t *out)
{
    char dig[48];
    size_t nd = 0, i = 0, n = f->n;
    const char *s = f->s;
    long intd = 0, ex = 0, pos, k;
    int seen = 0, esign = 1, point = 0;
    uint64_t v = 0;
    if (quick_number(f, decimals, max, out))
        return FNL_OK;
    while (i < n && is_space(s[i]))
        i++;
    while (n > i && is_space(s[n - 1]))
        n--;
    if (i < n && s[i] == '+')
        i++;
    for (; i < n; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            seen = 1;
            if (nd == 0 && c == '0') {
                if (point)
                    intd--; /* leading zeros after the point shift it */
                continue;
            }
            if (nd >= sizeof(dig))
                return fail(ps, FNL_ELIMIT, f->line, f->col,
                            "number has too many digits");
            dig[nd++] = c;
            if (!point)
                intd++;
        } else if (c == '.' && !point) {
            point = 1;
        } else {
            break;
        }
    }
    if (!seen)
        return fail(ps, FNL_ECORRUPT, f->line, f->col,
                    "expected a non-negative number");
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        int ed = 0;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            esign = s[i++] == '-' ? -1 : 1;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            if (ex < 100000)
                ex = ex * 10 + (s[i] - '0');
            ed = 1;
        }
        if (!ed)
            return fail(ps, FNL_ECORRUPT, f->line, f->col,
                        "malformed exponent");
    }
    if (i != n)
        return fail(ps, FNL_ECORRUPT, f->line, f->col,
                    "expected a non-negative number");
    /* the scaled integer is dig[0 .. pos) followed by zeros */
    pos = intd + esign * ex + (long)decimals;
    for (k = 0; k < pos; k++) {
        int d = k < (long)nd ? dig[k] - '0' : 0;
        if (v > (max - (uint64_t)d) / 10)
            return fail(ps, FNL_ELIMIT, f->line, f->col,
                        "number is too large");
        v = v * 10 + (uint64_t)d;
    }
    if (pos < (long)nd) {
        long first = pos < 0 ? 0 : pos;
        for (k = first; whole && k < (long)nd; k++) {
            if (dig[k] != '0')
                return fail(ps, FNL_ECORRUPT, f->line, f->col,
                            "expected a whole number");
        }
        if (pos >= 0 && dig[first] >= '5') {
            if (v >= max)
                return fail(ps, FNL_ELIMIT, f->line, f->col,
                            "number is too large");
            v++;
        }
    }
    *out = v;
    return FNL_OK;
}

static int ieq(const char *a, size_t n, const char *b)
{
    size_t i;
    if (strlen(b) != n)
        return 0;
    for (i = 0; i < n; i++) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != b[i])
            return 0;
    }
    return 1;
}

/* Skip a line end at ps->p (CRLF, LF or a lone CR). */
static inline void eol(parser *ps)
{
    if (ps->p < ps->end && *ps->p == '\r')
        ps->p++;
    if (ps->p < ps->end && *ps->p == '\n')
        ps->p++;
    ps->line++;
    ps->line_start = ps->p;
}

static int read_header(parser *ps, long *colidx, long *nfields)
{
    field f;
    long i = 0;
    int c, rc;
    for (c = 0; c < NCOLS; c++)
        colidx[c] = -1;
    for (;;) {
        rc = read_field(ps, &f);
        if (rc)
            return rc;
        rc = unquote(ps, &f);
        if (rc)
            return rc;
        while (f.n && is_space(f.s[0])) {
            f.s++;
            f.n--;
        }
        while (f.n && is_space(f.s[f.n - 1]))
            f.n--;
        for (c = 0; c < NCOLS; c++) {
            if (ieq(f.s, f.n, col_names[c])) {
                if (colidx[c] >= 0)
                    return fail(ps, FNL_ECORRUPT, f.line, f.col,
                                "duplicate column");
                colidx[c] = i;
            }
        }
        i++;
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        break;
    }
    *nfields = i;
    if (colidx[COL_PATH] < 0)
        return fail(ps, FNL_ECORRUPT, 1, 1, "missing column \"path\"");
    if (colidx[COL_CONV] < 0)
        return fail(ps, FNL_ECORRUPT, 1, 1,
                    "missing column \"total_conversions\"");
    eol(ps);
    return FNL_OK;
}

static int intern_slow(parser *ps, const char *s, size_t n, uint32_t *id)
{
    if (ps->a != NULL)
        return fnli_attr_group(ps->a, s, n, id);
    return fnli_gtab_intern(&ps->js->groups, &ps->js->mem, s, n, id);
}

/* The low n bytes of a loaded word (fnli_paths_load), n = 0..8. */
static const uint64_t low_bytes[9] = {
    0, UINT64_C(0xff), UINT64_C(0xffff), UINT64_C(0xffffff),
    UINT64_C(0xffffffff), UINT64_C(0xffffffffff), UINT64_C(0xffffffffffff),
    UINT64_C(0xffffffffffffff), UINT64_C(0xffffffffffffffff)
};

/* The cache entry for name s[0..n) and its key; NULL when the name is
 * not cached (longer than 16 bytes, or too near the end of the buffer to
 * read 16 bytes). */
static inline ncache *cache_slot(parser *ps, const char *s, size_t n,
                                 uint64_t *x, uint64_t *y)
{
    size_t nx = n < 8 ? n : 8;
    if (n > 16 || ps->end - s < 16)
        return NULL;
    /* the key is the name's bytes themselves, in memory order */
    *x = fnli_paths_load(s) & low_bytes[nx];
    *y = fnli_paths_load(s + 8) & low_bytes[n - nx];
    return &ps->cache[((*x * UINT64_C(0x9e3779b97f4a7c15)) ^
                       (*y * UINT64_C(0xc2b2ae3d27d4eb4f)) ^ n) >> 55];
}

/* The id of a name already in the cache (which holds only interned
 * names, so a hit changes nothing), else FNLI_NONE. */
static inline uint32_t cached_id(parser *ps, const char *s, size_t n)
{
    uint64_t x, y;
    const ncache *c = cache_slot(ps, s, n, &x, &y);
    if (c != NULL && c->n == n && c->x == x && c->y == y)
        return c->id;
    return FNLI_NONE;
}

static int name_id(parser *ps, const char *s, size_t n, uint32_t *id)
{
    uint64_t x = 0, y = 0;
    ncache *c = cache_slot(ps, s, n, &x, &y);
    int rc;
    if (c != NULL && c->n == n && c->x == x && c->y == y) {
        *id = c->id;
        return FNL_OK;
    }
    rc = intern_slow(ps, s, n, id);
    if (rc == FNL_OK && c != NULL) {
        c->x = x;
        c->y = y;
        c->n = (uint32_t)n;
        c->id = *id;
    }
    return rc;
}

static int sink(parser *ps, const fnli_journey *j)
{
    if (ps->a != NULL)
        return fnli_attr_add_trusted(ps->a, j);
    return fnli_journeys_push(ps->js, j);
}

/* Hand one parsed row to the sink (both readers end here). */
static int emit_row(parser *ps, const uint32_t *ids, size_t n, uint64_t conv,
                    uint64_t nulls, uint64_t value)
{
    fnli_journey j = FNLI_JOURNEY_INIT;
    int rc;
    j.groups = ids;
    j.n = (uint32_t)n;
    j.conversions = conv;
    j.nulls = nulls;
    j.value = (int64_t)value;
    rc = sink(ps, &j);
    if (rc)
        return fail(ps, rc, 0, 0,
                    rc == FNL_ENOMEM ? "out of memory" : "over a limit");
    return FNL_OK;
}

static int emit(parser *ps, field *fs, const long *colidx)
{
    field *pf = &fs[colidx[COL_PATH]];
    uint64_t conv = 0, nulls = 0, value = 0;
    const char *s, *e;
    size_t n = 0;
    int rc;
    rc = parse_number(ps, &fs[colidx[COL_CONV]], 0, 1,
                      FNLI_MAX_JOURNEY_CONV, &conv);
    if (rc)
        return rc;
    if (colidx[COL_NULL] >= 0 && fs[colidx[COL_NULL]].n) {
        rc = parse_number(ps, &fs[colidx[COL_NULL]], 0, 1,
                          FNLI_MAX_JOURNEY_CONV, &nulls);
        if (rc)
            return rc;
    }
    if (colidx[COL_VALUE] >= 0 && fs[colidx[COL_VALUE]].n) {
        rc = parse_number(ps, &fs[colidx[COL_VALUE]], ps->decimals, 0,
                          (uint64_t)FNLI_MAX_JOURNEY_VALUE, &value);
        if (rc)
            return rc;
        if (value > 0 && conv == 0)
            return fail(ps, FNL_ECORRUPT, fs[colidx[COL_VALUE]].line,
                        fs[colidx[COL_VALUE]].col,
                        "conversion value on a row without conversions");
    }
    rc = unquote(ps, pf);
    if (rc)
        return rc;
    if (!fnli_attr_utf8_ok(pf->s, pf->n))
        return fail(ps, FNL_ECORRUPT, pf->line, pf->col,
                    "path is not valid UTF-8");
    s = pf->s;
    e = pf->s + pf->n;
    for (;;) {
        /* the name is [a, b), the separator after it (if any) at t */
        const char *t = s, *a = s, *b;
        while (e - t >= 8) {
            uint64_t w;
            memcpy(&w, t, 8);
            if (fnli_paths_zero_bytes(w ^ ps->sepw))
                break;
            t += 8;
        }
        while (t < e && *t != ps->sep)
            t++;
        b = t;
        while (a < b && is_space(*a))
            a++;
        while (b > a && is_space(b[-1]))
            b--;
        if (a < b) {
            if (n >= FNLI_MAX_JOURNEY_TOUCHES)
                return fail(ps, FNL_ELIMIT, pf->line, pf->col,
                            "path has too many touches");
            if (n >= ps->ids_cap) {
                rc = fnli_grow(ps->mem, (void **)&ps->ids, &ps->ids_cap,
                               n + 1, sizeof(*ps->ids), 64);
                if (rc)
                    return fail(ps, rc, 0, 0, "out of memory");
            }
            rc = name_id(ps, a, (size_t)(b - a), &ps->ids[n]);
            if (rc)
                return fail(ps, rc, pf->line, pf->col,
                            rc == FNL_EINVAL ? "bad channel name"
                                             : "out of memory");
            n++;
        }
        if (t == e)
            break;
        s = t + 1;
    }
    if (n == 0)
        return fail(ps, FNL_ECORRUPT, pf->line, pf->col,
                    "path has no channel");
    return emit_row(ps, ps->ids, n, conv, nulls, value);
}

/* ---- the general row reader ------------------------------------------ */

/* One row of any form at ps->p (not an empty line), up to its line end. */
static int row_general(parser *ps, field *f, const long *colidx)
{
    long i = 0;
    uint64_t line = ps->line;
    int rc;
    for (;;) {
        field tmp;
        rc = read_field(ps, i < ps->nfields ? &f[i] : &tmp);
        if (rc)
            return rc;
        i++;
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        break;
    }
    if (i != ps->nfields) {
        char msg[80];
        snprintf(msg, sizeof(msg), "expected %ld fields, found %ld",
                 ps->nfields, i);
        return fail(ps, FNL_ECORRUPT, line, 1, msg);
    }
    return emit(ps, f, colidx);
}

/* ---- the fast row reader --------------------------------------------- */

/* The end of an unquoted field at p: its ',', CR or LF, or the end. */
static const char *field_end(const char *p, const char *end)
{
    while (end - p >= 8) {
        uint64_t m = fnli_paths_field_ends(fnli_paths_load(p));
        if (m)
            return p + fnli_paths_first(m);
        p += 8;
    }
    while (p < end && *p != ',' && *p != '\n' && *p != '\r')
        p++;
    return p;
}

/* Adds the channel name [a, b), trimmed of spaces and tabs, unless it is
 * empty, with its id when the name cache knows it (the common case: the
 * lookup happens while the path is scanned) and FNLI_NONE otherwise.
 * ROW_GENERAL past FAST_NAMES names. */
static inline int add_name(parser *ps, const char *a, const char *b, size_t *n)
{
    while (a < b && is_space(*a))
        a++;
    while (b > a && is_space(b[-1]))
        b--;
    if (a == b)
        return FNL_OK;
    if (*n == FAST_NAMES)
        return ROW_GENERAL;
    ps->names[*n].s = a;
    ps->names[*n].n = (size_t)(b - a);
    ps->fast_ids[*n] = cached_id(ps, a, (size_t)(b - a));
    ps->misses += ps->fast_ids[*n] == FNLI_NONE;
    (*n)++;
    return FNL_OK;
}

/* The path field at *pp: its names into ps->names and their number into
 * *count; *pp is left on the field's end, *high says whether a byte
 * >= 0x80 occurs in it.  Eight bytes at a time: one mask of the field's
 * possible ends, one of separators, and every separator before the end
 * closes a name -- the loads do not wait for the previous name's end. */
static int scan_path(parser *ps, const char **pp, size_t *count, int *high)
{
    const char *q = *pp, *name = q, *end = ps->end;
    uint64_t hi = 0;
    size_t n = 0;
    for (;;) {
        uint64_t w, me, ms;
        if (end - q >= 8) {
            w = fnli_paths_load(q);
        } else {
            /* the last bytes, with a line end put right after them */
            char tail[8] = { 0 };
            memcpy(tail, q, (size_t)(end - q));
            tail[end - q] = '\n';
            w = fnli_paths_load(tail);
        }
        me = fnli_paths_field_ends(w);
        ms = fnli_paths_zero_bytes(w ^ ps->sepw);
        if (me) {
            ms = fnli_paths_before(ms, me);
            hi |= fnli_paths_before(w & FNLI_HIGHS, me);
        } else {
            hi |= w & FNLI_HIGHS;
        }
        while (ms) {
            const char *s = q + fnli_paths_first(ms);
            if (add_name(ps, name, s, &n))
                return ROW_GENERAL;
            name = s + 1;
            ms &= ms - 1;
        }
        if (me) {
            q += fnli_paths_first(me);
            if (add_name(ps, name, q, &n))
                return ROW_GENERAL;
            *pp = q;
            *count = n;
            *high = hi != 0;
            return FNL_OK;
        }
        q += 8;
    }
}

/* A value field at p written "123" or "123.45" (at most `decimals`
 * digits after the point), as quick_number() accepts it: its value into
 * *out and the field's end returned; an empty field is 0.  NULL for any
 * other form: the general reader decides. */
static inline const char *quick_field(const char *p, const char *end,
                                      uint32_t decimals, uint64_t max,
                                      uint64_t *out)
{
    const char *s = p;
    uint64_t v = 0;
    uint32_t frac = 0;
    while (p < end && (unsigned)(*p - '0') < 10)
        v = v * 10 + (uint64_t)(*p++ - '0');
    if (p == s) {
        if (p < end && *p != ',' && *p != '\n' && *p != '\r')
            return NULL;
        *out = 0;
        return p;
    }
    if (p < end && *p == '.') {
        p++;
        while (p < end && (unsigned)(*p - '0') < 10 && frac < decimals) {
            v = v * 10 + (uint64_t)(*p++ - '0');
            frac++;
        }
    }
    if (p < end && *p != ',' && *p != '\n' && *p != '\r')
        return NULL;
    /* at most 18 digits once scaled: no overflow above */
    if ((size_t)(p - s) + decimals > 18)
        return NULL;
    for (; frac < decimals; frac++)
        v *= 10;
    if (v > max)
        return NULL;
    *out = v;
    return p;
}

/* A count field at p (total_conversions, total_null) written as digits
 * only, at most 10 and at most FNLI_MAX_JOURNEY_CONV: its value into *out
 * and the field's end returned.  An empty field is 0 when empty_ok.  NULL
 * for any other form: the general reader decides. */
static inline const char *quick_count(const char *p, const char *end,
                                      int empty_ok, uint64_t *out)
{
    const char *s = p;
    uint64_t v = 0;
    while (p < end && (unsigned)(*p - '0') < 10)
        v = v * 10 + (uint64_t)(*p++ - '0');
    if ((p == s && !empty_ok) || p - s > 10 || v > FNLI_MAX_JOURNEY_CONV ||
        (p < end && *p != ',' && *p != '\n' && *p != '\r'))
        return NULL;
    *out = v;
    return p;
}

/* One row at ps->p the fast way.  ROW_GENERAL, with nothing changed and
 * ps->p where it was, for a row it does not take -- a quoted field, a
 * number in another form, any error -- up to the point where it starts
 * looking names up: from there on it fails as emit() does. */
static int row_fast(parser *ps)
{
    const char *p = ps->p, *end = ps->end, *path = NULL, *path_end = NULL;
    uint64_t conv = 0, nulls = 0, value = 0, col;
    size_t names = 0, k;
    long i;
    int high = 0, rc;
    ps->misses = 0;
    for (i = 0;; i++) {
        if (p < end && *p == '"')
            return ROW_GENERAL;
        switch (ps->role[i]) {
        case ROLE_PATH:
            path = p;
            if (scan_path(ps, &p, &names, &high))
                return ROW_GENERAL;
            path_end = p;
            break;
        case ROLE_CONV:
            p = quick_count(p, end, 0, &conv);
            break;
        case ROLE_NULL:
            p = quick_count(p, end, 1, &nulls);
            break;
        case ROLE_VALUE:
            p = quick_field(p, end, ps->decimals,
                            (uint64_t)FNLI_MAX_JOURNEY_VALUE, &value);
            break;
        case ROLE_OTHER:
            p = field_end(p, end);
            break;
        default: /* ROLE_STOP: more fields than the header */
            return ROW_GENERAL;
        }
        if (p == NULL)
            return ROW_GENERAL;
        if (p < end && *p == ',') {
            p++;
            continue;
        }
        break;
    }
    if (i + 1 != ps->nfields || names == 0 || (value > 0 && conv == 0) ||
        (high && !fnli_attr_utf8_ok(path, (size_t)(path_end - path))))
        return ROW_GENERAL;
    /* names new to the cache, in row order as emit() interns them */
    col = (uint64_t)(path - ps->line_start) + 1;
    for (k = 0; ps->misses && k < names; k++) {
        if (ps->fast_ids[k] != FNLI_NONE)
            continue;
        rc = name_id(ps, ps->names[k].s, ps->names[k].n, &ps->fast_ids[k]);
        if (rc)
            return fail(ps, rc, ps->line, col,
                        rc == FNL_EINVAL ? "bad channel name"
                                         : "out of memory");
    }
    if ((rc = emit_row(ps, ps->fast_ids, names, conv, nulls, value)) != 0)
        return rc;
    ps->p = p;
    return FNL_OK;
}

/* Which column is what, for the fast reader; ROLE_STOP just past the
 * last.  The fast reader is off for a header of more than FAST_COLS
 * columns, or when the caller asked for the general reader only. */
static void set_roles(parser *ps, const long *colidx)
{
    static const unsigned char roles[NCOLS] = { ROLE_PATH, ROLE_CONV,
                                                ROLE_VALUE, ROLE_NULL };
    int c;
    ps->fast = !(ps->flags & FNLI_PATHS_GENERAL_ONLY) &&
               ps->nfields <= FAST_COLS;
    if (!ps->fast)
        return;
    memset(ps->role, ROLE_OTHER, sizeof(ps->role));
    ps->role[ps->nfields] = ROLE_STOP;
    for (c = 0; c < NCOLS; c++) {
        if (colidx[c] >= 0)
            ps->role[colidx[c]] = roles[c];
    }
}

static int parse_rows(parser *ps, const long *colidx, long nfields)
{
    field fs[64];
    field *f = fs;
    int rc = FNL_OK;
    if (nfields > 64) {
        f = fnli_malloc(ps->mem, (size_t)nfields * sizeof(*f));
        if (f == NULL)
            return fail(ps, FNL_ENOMEM, 0, 0, "out of memory");
    }
    ps->nfields = nfields;
    set_roles(ps, colidx);
    while (ps->p < ps->end) {
        if (*ps->p == '\n' || *ps->p == '\r') {
            eol(ps);
            continue;
        }
        rc = ps->fast ? row_fast(ps) : ROW_GENERAL;
        if (rc == ROW_GENERAL)
            rc = row_general(ps, f, colidx);
        if (rc)
            break;
        eol(ps);
    }
    if (f != fs)
        fnli_free(ps->mem, f, (size_t)nfields * sizeof(*f));
    return rc;
}

/* ---- room for the journeys of a whole file ---------------------------- */

/* The sum of the eight bytes of x. */
static size_t byte_sum(uint64_t x)
{
    const uint64_t m = UINT64_C(0x00ff00ff00ff00ff);
    x = (x & m) + ((x >> 8) & m);    /* four sums of two bytes, <= 510 */
    return (size_t)((x * UINT64_C(0x0001000100010001)) >> 48);
}

/* The LF bytes and the separator bytes of buf[0..len), eight bytes at a
 * time: each byte of a and b counts the matches at its place, for at most
 * 255 words before they are added up. */
static void count_bytes(const char *buf, size_t len, char sep, size_t *lfs,
                        size_t *seps)
{
    const char *p = buf, *end = buf + len;
    const uint64_t lfw = FNLI_ONES * '\n';
    const uint64_t sepw = FNLI_ONES * (unsigned char)sep;
    size_t nl = 0, ns = 0;
    while (end - p >= 8) {
        uint64_t a = 0, b = 0;
        size_t k = (size_t)(end - p) / 8;
        for (k = k < 255 ? k : 255; k > 0; k--, p += 8) {
            uint64_t w = fnli_paths_load(p);
            a += fnli_paths_zero_bytes(w ^ lfw) >> 7;
            b += fnli_paths_zero_bytes(w ^ sepw) >> 7;
        }
        nl += byte_sum(a);
        ns += byte_sum(b);
    }
    for (; p < end; p++) {
        nl += *p == '\n';
        ns += *p == sep;
    }
    *lfs = nl;
    *seps = ns;
}

/* Room in a new, empty container for all the rows in p[0..n) (the
 * file after its header) at once.  Grown by doubling instead, a big
 * file's arrays were copied and zeroed at every step, and those copies
 * with their page faults took about 40 % of a read's time
 * (docs/attribution.md has the figures).
 *
 * The sizes are upper bounds from one count of LF and separator bytes:
 * every row but the last ends in a LF, and so does the last unless the
 * file stops without one, so rows <= LFs (+ 1 for that last row); a path
 * with k separators holds at most k + 1 names.  They are capped by what
 * the bytes can hold -- a row takes at least 4 bytes ("a,1" and its line
 * end), a name at least 2 (with the separator or delimiter after it) --
 * so that blank lines, or separators in other columns, reserve at most
 * 37 / 4 bytes of rows and 2 bytes of touches per byte of input.  The
 * arrays are allocated, not written, so the part no row uses costs no
 * page.  A file with lone CR line ends counts no row and grows as
 * before.
 *
 * fnli_journeys_presize allocates them (pushes past them grow as
 * usual). */
static int reserve_journeys(fnl_journeys *js, const char *p, size_t n,
                            char sep)
{
    size_t rows, seps, touches;
    if (js->cap != 0 || js->tcap != 0 || n == 0)
        return FNL_OK;
    count_bytes(p, n, sep, &rows, &seps);
    rows += p[n - 1] != '\n' && p[n - 1] != '\r';
    if (rows > (n + 1) / 4)
        rows = (n + 1) / 4;
    if (rows == 0)
        return FNL_OK;
    touches = seps < (n + 1) / 2 - rows ? seps + rows : (n + 1) / 2;
    return fnli_journeys_presize(js, rows, touches);
}

static int parse(parser *ps, const char *buf, size_t len,
                 const fnl_paths_options *o, fnl_paths_error *err)
{
    long colidx[NCOLS], nfields = 0;
    int rc;
    ps->p = buf;
    ps->end = buf + len;
    ps->line = 1;
    ps->sep = o->separator;
    ps->sepw = FNLI_ONES * (unsigned char)o->separator;
    ps->err = err;
    if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
        ps->p += 3;
    ps->line_start = ps->p;
    if (ps->p == ps->end)
        return fail(ps, FNL_ECORRUPT, 1, 1, "empty file: no header");
    rc = read_header(ps, colidx, &nfields);
    if (rc == FNL_OK && ps->js != NULL) {
        rc = reserve_journeys(ps->js, ps->p, (size_t)(ps->end - ps->p),
                              ps->sep);
        if (rc)
            fail(ps, rc, 0, 0, "out of memory");
    }
    if (rc == FNL_OK)
        rc = parse_rows(ps, colidx, nfields);
    fnli_free(ps->mem, ps->unq, ps->unq_cap);
    fnli_free(ps->mem, ps->ids, ps->ids_cap * sizeof(*ps->ids));
    return rc;
}

int fnli_paths_parse_flags(fnl_journeys *js, const char *buf, size_t len,
                           const fnl_paths_options *o, fnl_paths_error *err,
                           unsigned flags)
{
    parser *ps = fnli_calloc(&js->mem, 1, sizeof(*ps));
    int rc;
    if (ps == NULL)
        return set_error(err, FNL_ENOMEM, 0, 0, "out of memory");
    ps->js = js;
    ps->mem = &js->mem;
    ps->decimals = o->value_decimals;
    ps->flags = flags;
    rc = parse(ps, buf, len, o, err);
    fnli_free(&js->mem, ps, sizeof(*ps));
    return rc;
}

int fnli_paths_parse(fnl_journeys *js, const char *buf, size_t len,
                     const fnl_paths_options *o, fnl_paths_error *err)
{
    return fnli_paths_parse_flags(js, buf, len, o, err, 0);
}

int fnli_paths_parse_into(fnli_attr *a, const char *buf, size_t len,
                          const fnl_paths_options *o, fnl_paths_error *err)
{
    parser *ps = fnli_calloc(a->mem, 1, sizeof(*ps));
    int rc;
    if (ps == NULL)
        return set_error(err, FNL_ENOMEM, 0, 0, "out of memory");
    ps->a = a;
    ps->mem = a->mem;
    ps->decimals = a->par.value_decimals;
    rc = parse(ps, buf, len, o, err);
    fnli_free(a->mem, ps, sizeof(*ps));
    return rc;
}

FNLI_DEFINE_INIT(fnl_paths_options_init, fnl_paths_options,
                 FNL_PATHS_OPTIONS_INIT)

/* The caller's options over the defaults, checked; a bad one is
 * FNL_EINVAL with *err saying which. */
static int paths_opts(fnl_paths_options *o, const fnl_paths_options *in,
                      fnl_paths_error *err)
{
    fnl_paths_options d = FNL_PATHS_OPTIONS_INIT;
    unsigned char sep;
    *o = d;
    if (in != NULL) {
        if (in->size < sizeof(uint32_t))
            return set_error(err, FNL_EINVAL, 0, 0,
                             "options: size is too small");
        memcpy(o, in, in->size < sizeof(*o) ? in->size : sizeof(*o));
    }
    if (o->value_decimals > 9)
        return set_error(err, FNL_EINVAL, 0, 0,
                         "options: value_decimals must be 0..9");
    sep = (unsigned char)o->separator;
    /* paths are UTF-8: a byte >= 0x80 is part of a multi-byte character,
     * and splitting on it would cut characters in two */
    if (sep >= 0x80)
        return set_error(err, FNL_EINVAL, 0, 0,
                         "options: separator must be an ASCII character "
                         "(a byte >= 0x80 would split UTF-8 characters)");
    if (sep == '\0' || sep == '"' || sep == ',' || sep == '\n' ||
        sep == '\r' || sep == ' ' || sep == '\t')
        return set_error(err, FNL_EINVAL, 0, 0,
                         "options: separator must not be NUL, '\"', ',', "
                         "a space, a tab or a line end");
    return FNL_OK;
}

/* The message of a failed fnli_mem_init / fnli_journeys_new. */
static const char *setup_error(int rc)
{
    return rc == FNL_ENOMEM ? "out of memory"
                            : "options: bad allocator table";
}

FNL_API int fnl_paths_parse(fnl_journeys **out, const char *buf, size_t len,
                            const fnl_paths_options *opts,
                            fnl_paths_error *err)
{
    fnl_paths_options o;
    fnl_journeys *js;
    int rc;
    if (out == NULL || (buf == NULL && len != 0))
        return FNL_EINVAL;
    rc = paths_opts(&o, opts, err);
    if (rc)
        return rc;
    rc = fnli_journeys_new(&js, o.allocator, o.value_decimals);
    if (rc)
        return set_error(err, rc, 0, 0, setup_error(rc));
    rc = fnli_paths_parse(js, buf ? buf : "", len, &o, err);
    if (rc) {
        fnl_journeys_free(js);
        return rc;
    }
    *out = js;
    return FNL_OK;
}

/* A file's bytes: mapped when the system can (no copy, no page zeroing),
 * else read into memory from `m`. */
typedef struct filebuf {
    const char *p;
    size_t len;
    void *map;           /* mmap'ed region, or NULL */
    char *buf;           /* read buffer, or NULL */
    size_t cap;
} filebuf;

/* FNL_EIO, with *err naming what failed, the file -- its tail when the
 * whole message would not fit, so that the reason always does -- and
 * the system's reason for errno value `e`. */
static int io_error(fnl_paths_error *err, const char *what,
                    const char *filename, int e)
{
    char reason[96], msg[sizeof(err->message)];
    const char *name = filename, *dots = "";
    size_t n = strlen(filename), room;
    if (e == 0)
        e = EIO; /* the call failed without saying why */
    if (strerror_r(e, reason, sizeof(reason)) != 0)
        snprintf(reason, sizeof(reason), "error %d", e);
    /* what, ' "', the name, '": ', the reason and the NUL */
    room = sizeof(msg) - (strlen(what) + strlen(reason) + 6);
    if (n > room) {
        dots = "...";
        name = filename + n - (room - 3);
        /* start on a character, not inside a UTF-8 sequence */
        while (((unsigned char)*name & 0xc0) == 0x80)
            name++;
    }
    snprintf(msg, sizeof(msg), "%s \"%s%s\": %s", what, dots, name, reason);
    return set_error(err, FNL_EIO, 0, 0, msg);
}

static int file_open(filebuf *fb, fnli_mem *m, const char *filename,
                     fnl_paths_error *err)
{
    FILE *fp;
    size_t len = 0;
    int fd, rc = FNL_OK, e = 0;
    struct stat st;
    memset(fb, 0, sizeof(*fb));
    fd = open(filename, O_RDONLY);
    if (fd < 0)
        return io_error(err, "cannot open", filename, errno);
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
        (uint64_t)st.st_size <= (uint64_t)SIZE_MAX) {
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd,
                       0);
        if (p != MAP_FAILED) {
            posix_madvise(p, (size_t)st.st_size, POSIX_MADV_SEQUENTIAL);
            close(fd);
            fb->map = p;
            fb->p = p;
            fb->len = (size_t)st.st_size;
            return FNL_OK;
        }
    }
    /* not a regular file (a pipe, a directory: read() says EISDIR), or
     * not mappable: read it */
    fp = fdopen(fd, "rb");
    if (fp == NULL) {
        e = errno;
        close(fd);
        return io_error(err, "cannot open", filename, e);
    }
    for (;;) {
        size_t got;
        if (len == fb->cap) {
            rc = fnli_grow(m, (void **)&fb->buf, &fb->cap, len + 1, 1, 65536);
            if (rc)
                break;
        }
        errno = 0;
        got = fread(fb->buf + len, 1, fb->cap - len, fp);
        len += got;
        if (got == 0) {
            if (ferror(fp)) {
                e = errno;
                rc = FNL_EIO;
            }
            break;
        }
    }
    /* a read-only stream's close fails only when the system reports an
     * error it deferred (NFS and the like): the bytes are then suspect */
    if (fclose(fp) != 0 && rc == FNL_OK) {
        e = errno;
        rc = FNL_EIO;
    }
    if (rc) {
        fnli_free(m, fb->buf, fb->cap);
        fb->buf = NULL;
        if (rc == FNL_EIO)
            return io_error(err, "cannot read", filename, e);
        return set_error(err, rc, 0, 0,
                         rc == FNL_ENOMEM ? "out of memory"
                                          : "file is too large");
    }
    fb->p = fb->buf ? fb->buf : "";
    fb->len = len;
    return FNL_OK;
}

static void file_close(filebuf *fb, fnli_mem *m)
{
    if (fb->map != NULL)
        munmap(fb->map, fb->len);
    fnli_free(m, fb->buf, fb->cap);
}

FNL_API int fnl_paths_read(fnl_journeys **out, const char *filename,
                           const fnl_paths_options *opts,
                           fnl_paths_error *err)
{
    fnl_paths_options o;
    fnli_mem m;
    filebuf fb;
    int rc;
    if (out == NULL || filename == NULL)
        return FNL_EINVAL;
    rc = paths_opts(&o, opts, err);
    if (rc)
        return rc;
    rc = fnli_mem_init(&m, o.allocator);
    if (rc)
        return set_error(err, rc, 0, 0, setup_error(rc));
    rc = file_open(&fb, &m, filename, err);
    if (rc)
        return rc;
    rc = fnl_paths_parse(out, fb.p, fb.len, &o, err);
    file_close(&fb, &m);
    return rc;
}

/* Parse into a scratch partial of the same options, then merge: the
 * target changes only when the whole file was good. */
static int parse_partial(fnl_attribution_partial *p, const char *buf,
                         size_t len, const fnl_paths_options *o,
                         fnl_paths_error *err)
{
    fnli_attr t;
    int rc;
    if (p->a.par.models & FNL_ATTR_BIT(FNL_ATTR_TIME_DECAY))
        return set_error(err, FNL_EINVAL, 0, 0,
                         "paths carry no times: the partial must not "
                         "accumulate time decay");
    rc = fnli_attr_init(&t, &p->mem, &p->a.par);
    if (rc)
        return set_error(err, rc, 0, 0,
                         rc == FNL_ENOMEM ? "out of memory"
                                          : fnl_strerror(rc));
    rc = fnli_paths_parse_into(&t, buf, len, o, err);
    if (rc == FNL_OK) {
        rc = fnli_attr_merge(&p->a, &t);
        if (rc)
            set_error(err, rc, 0, 0,
                      rc == FNL_ENOMEM ? "out of memory" : fnl_strerror(rc));
    }
    fnli_attr_free(&t);
    return rc;
}

FNL_API int fnl_paths_parse_partial(fnl_attribution_partial *partial,
                                    const char *buf, size_t len,
                                    const fnl_paths_options *opts,
                                    fnl_paths_error *err)
{
    fnl_paths_options o;
    int rc;
    if (partial == NULL || (buf == NULL && len != 0))
        return FNL_EINVAL;
    rc = paths_opts(&o, opts, err);
    if (rc)
        return rc;
    return parse_partial(partial, buf ? buf : "", len, &o, err);
}

FNL_API int fnl_paths_read_partial(fnl_attribution_partial *partial,
                                   const char *filename,
                                   const fnl_paths_options *opts,
                                   fnl_paths_error *err)
{
    fnl_paths_options o;
    filebuf fb;
    int rc;
    if (partial == NULL || filename == NULL)
        return FNL_EINVAL;
    rc = paths_opts(&o, opts, err);
    if (rc)
        return rc;
    rc = file_open(&fb, &partial->mem, filename, err);
    if (rc)
        return rc;
    rc = parse_partial(partial, fb.p, fb.len, &o, err);
    file_close(&fb, &partial->mem);
    return rc;
}
