/* report.c -- the immutable report table: building, reading, and its JSON
 * and CSV renderings (schemas: docs/reports.md).  Also the small shared
 * pieces every report module uses: grouping keys and money rounding. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "report.h"

/* ---- building ------------------------------------------------------------ */

static int text_add(fnl_report *r, const char *s, size_t n, uint32_t *off)
{
    void *p = r->text;
    size_t need = r->text_len + n + 1;
    if (need > UINT32_MAX - 1)
        return FNL_ENOMEM;
    if (fnli_grow(&r->mem, &p, &r->text_cap, need, 1, 256) != FNL_OK)
        return FNL_ENOMEM;
    r->text = p;
    if (n)
        memcpy(r->text + r->text_len, s, n);
    r->text[r->text_len + n] = '\0';
    *off = (uint32_t)r->text_len + 1;
    r->text_len += n + 1;
    return FNL_OK;
}

static const char *text_at(const fnl_report *r, uint32_t off)
{
    return off ? r->text + off - 1 : NULL;
}

int fnli_report_create(fnl_report **out, const fnl_allocator *alloc,
                       uint32_t kind, const char *currency,
                       const fnli_colspec *cols, size_t ncols, size_t nrows,
                       int totals, const fnli_colspec *sums, size_t nsum)
{
    fnli_mem mem;
    fnl_report *r;
    size_t i, ncells;
    int rc;
    if ((rc = fnli_mem_init(&mem, alloc)) != FNL_OK)
        return rc;
    r = fnli_calloc(&mem, 1, sizeof(*r));
    if (r == NULL)
        return FNL_ENOMEM;
    r->mem = mem;
    r->kind = kind;
    if (currency != NULL)
        memcpy(r->currency, currency, 4);
    r->ncols = ncols;
    r->nrows = nrows;
    r->nsum = nsum;
    r->has_totals = totals != 0;
    ncells = nrows + (size_t)r->has_totals;
    if (ncols != 0 && ncells > SIZE_MAX / sizeof(fnli_cell) / ncols)
        goto nomem;
    r->cols = fnli_calloc(&r->mem, ncols ? ncols : 1, sizeof(fnli_rcol));
    ncells *= ncols;
    r->cells = fnli_calloc(&r->mem, ncells ? ncells : 1, sizeof(fnli_cell));
    r->sumcols = fnli_calloc(&r->mem, nsum ? nsum : 1, sizeof(fnli_rcol));
    r->sum = fnli_calloc(&r->mem, nsum ? nsum : 1, sizeof(fnli_cell));
    if (r->cols == NULL || r->cells == NULL || r->sumcols == NULL ||
        r->sum == NULL)
        goto nomem;
    for (i = 0; i < ncols; i++) {
        if (text_add(r, cols[i].name, strlen(cols[i].name), &r->cols[i].name))
            goto nomem;
        r->cols[i].type = cols[i].type;
        r->cols[i].unit = cols[i].unit;
    }
    for (i = 0; i < nsum; i++) {
        if (text_add(r, sums[i].name, strlen(sums[i].name),
                     &r->sumcols[i].name))
            goto nomem;
        r->sumcols[i].type = sums[i].type;
        r->sumcols[i].unit = sums[i].unit;
    }
    *out = r;
    return FNL_OK;
nomem:
    fnl_report_free(r);
    return FNL_ENOMEM;
}

void fnli_set_num(fnli_cell *c, double v)
{
    if (!isfinite(v)) {
        c->type = FNL_VALUE_NULL;
        return;
    }
    c->type = FNL_VALUE_NUMBER;
    c->v.d = v == 0 ? 0.0 : v; /* no -0 in the output */
}

void fnli_set_ratio(fnli_cell *c, double num, double den)
{
    if (!(den > 0) || !(num >= 0)) {
        /* a negative numerator is a real value (ROI of a loss) only when
         * the caller passes it deliberately through fnli_set_num */
        c->type = FNL_VALUE_NULL;
        return;
    }
    fnli_set_num(c, num / den);
}

int fnli_set_str(fnl_report *r, fnli_cell *c, const char *s, size_t n)
{
    uint32_t off;
    if (s == NULL)
        return FNL_OK;
    if (text_add(r, s, n, &off) != FNL_OK)
        return FNL_ENOMEM;
    c->type = FNL_VALUE_STRING;
    c->str = off;
    return FNL_OK;
}

FNL_API void fnl_report_free(fnl_report *r)
{
    fnli_mem mem;
    size_t ncells;
    if (r == NULL)
        return;
    mem = r->mem;
    ncells = (r->nrows + (size_t)r->has_totals) * r->ncols;
    fnli_free(&mem, r->cols, (r->ncols ? r->ncols : 1) * sizeof(fnli_rcol));
    fnli_free(&mem, r->cells, (ncells ? ncells : 1) * sizeof(fnli_cell));
    fnli_free(&mem, r->sumcols, (r->nsum ? r->nsum : 1) * sizeof(fnli_rcol));
    fnli_free(&mem, r->sum, (r->nsum ? r->nsum : 1) * sizeof(fnli_cell));
    fnli_free(&mem, r->text, r->text_cap);
    fnli_free(&mem, r, sizeof(*r));
}

/* ---- reading ------------------------------------------------------------- */

static const char *const kind_names[] = {NULL,     "roi",    "spend",
                                         "deals",  "cohort", "survival",
                                         "budget", "stage_funnel",
                                         "stage_cohort",
                                         "stage_time_to_convert",
                                         "rejections"};

FNL_API const char *fnl_report_kind_name(uint32_t kind)
{
    return kind < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[kind]
                                                             : NULL;
}

FNLI_DEFINE_INIT(fnl_report_info_init, fnl_report_info, FNL_REPORT_INFO_INIT)
FNLI_DEFINE_INIT(fnl_report_column_init, fnl_report_column,
                 FNL_REPORT_COLUMN_INIT)
FNLI_DEFINE_INIT(fnl_report_value_init, fnl_report_value,
                 FNL_REPORT_VALUE_INIT)
FNLI_DEFINE_INIT(fnl_roi_request_init, fnl_roi_request, FNL_ROI_REQUEST_INIT)
FNLI_DEFINE_INIT(fnl_spend_request_init, fnl_spend_request,
                 FNL_SPEND_REQUEST_INIT)
FNLI_DEFINE_INIT(fnl_deal_report_request_init, fnl_deal_report_request,
                 FNL_DEAL_REPORT_REQUEST_INIT)
FNLI_DEFINE_INIT(fnl_cohort_request_init, fnl_cohort_request,
                 FNL_COHORT_REQUEST_INIT)
FNLI_DEFINE_INIT(fnl_survival_request_init, fnl_survival_request,
                 FNL_SURVIVAL_REQUEST_INIT)
FNLI_DEFINE_INIT(fnl_time_to_convert_request_init,
                 fnl_time_to_convert_request,
                 FNL_TIME_TO_CONVERT_REQUEST_INIT)
FNLI_DEFINE_INIT(fnl_budget_request_init, fnl_budget_request,
                 FNL_BUDGET_REQUEST_INIT)

/* Copy a struct of the caller's size out. */
static int copy_out(void *out, const void *full, size_t full_size)
{
    uint32_t size;
    memcpy(&size, out, sizeof(size));
    if (size < sizeof(uint32_t))
        return FNL_EINVAL;
    memcpy((char *)out + sizeof(uint32_t),
           (const char *)full + sizeof(uint32_t),
           (size < full_size ? size : full_size) - sizeof(uint32_t));
    return FNL_OK;
}

FNL_API int fnl_report_get_info(const fnl_report *r, fnl_report_info *out)
{
    fnl_report_info info = FNL_REPORT_INFO_INIT;
    if (r == NULL || out == NULL)
        return FNL_EINVAL;
    info.kind = r->kind;
    info.name = fnl_report_kind_name(r->kind);
    memcpy(info.currency, r->currency, 4);
    info.row_count = r->nrows;
    info.column_count = (uint32_t)r->ncols;
    info.summary_count = (uint32_t)r->nsum;
    info.has_totals = (uint32_t)r->has_totals;
    return copy_out(out, &info, sizeof(info));
}

FNL_API int fnl_report_column_get(const fnl_report *r, size_t index,
                                  fnl_report_column *out)
{
    fnl_report_column c = FNL_REPORT_COLUMN_INIT;
    if (r == NULL || out == NULL)
        return FNL_EINVAL;
    if (index >= r->ncols)
        return FNL_ENOTFOUND;
    c.name = text_at(r, r->cols[index].name);
    c.type = r->cols[index].type;
    c.unit = r->cols[index].unit;
    return copy_out(out, &c, sizeof(c));
}

FNL_API int fnl_report_column_find(const fnl_report *r, const char *name,
                                   size_t *index)
{
    size_t i;
    if (r == NULL || name == NULL || index == NULL)
        return FNL_EINVAL;
    for (i = 0; i < r->ncols; i++)
        if (strcmp(text_at(r, r->cols[i].name), name) == 0) {
            *index = i;
            return FNL_OK;
        }
    return FNL_ENOTFOUND;
}

FNL_API size_t fnl_report_row_count(const fnl_report *r)
{
    return r ? r->nrows : 0;
}

static int value_out(const fnl_report *r, const fnli_cell *c,
                     fnl_report_value *out)
{
    fnl_report_value v = FNL_REPORT_VALUE_INIT;
    v.type = c->type;
    switch (c->type) {
    case FNL_VALUE_STRING:
        v.str = text_at(r, c->str);
        break;
    case FNL_VALUE_INT:
    case FNL_VALUE_BOOL:
        v.i = c->v.i;
        v.num = (double)c->v.i;
        break;
    case FNL_VALUE_NUMBER:
        v.num = c->v.d;
        break;
    default:
        break;
    }
    return copy_out(out, &v, sizeof(v));
}

FNL_API int fnl_report_value_get(const fnl_report *r, size_t row, size_t col,
                                 fnl_report_value *out)
{
    if (r == NULL || out == NULL)
        return FNL_EINVAL;
    if (row == FNL_REPORT_TOTALS) {
        if (!r->has_totals)
            return FNL_ENOTFOUND;
        row = r->nrows;
    } else if (row >= r->nrows) {
        return FNL_ENOTFOUND;
    }
    if (col >= r->ncols)
        return FNL_ENOTFOUND;
    return value_out(r, &r->cells[row * r->ncols + col], out);
}

FNL_API int fnl_report_summary_get(const fnl_report *r, size_t index,
                                   const char **name, fnl_report_value *out)
{
    if (r == NULL || out == NULL)
        return FNL_EINVAL;
    if (index >= r->nsum)
        return FNL_ENOTFOUND;
    if (name != NULL)
        *name = text_at(r, r->sumcols[index].name);
    return value_out(r, &r->sum[index], out);
}

FNL_API int fnl_report_summary_find(const fnl_report *r, const char *name,
                                    fnl_report_value *out)
{
    size_t i;
    if (r == NULL || name == NULL || out == NULL)
        return FNL_EINVAL;
    for (i = 0; i < r->nsum; i++)
        if (strcmp(text_at(r, r->sumcols[i].name), name) == 0)
            return value_out(r, &r->sum[i], out);
    return FNL_ENOTFOUND;
}

/* ---- rendering ----------------------------------------------------------- */

/* Counts every byte; stores them only while they fit. */
typedef struct sink {
    char *buf;
    size_t cap;
    size_t n;
} sink;

static void put(sink *s, const char *p, size_t n)
{
    if (s->buf != NULL && s->n + n <= s->cap)
        memcpy(s->buf + s->n, p, n);
    s->n += n;
}

static void puts_(sink *s, const char *p)
{
    put(s, p, strlen(p));
}

/* The shortest of %.15g, %.16g, %.17g that reads back exactly. */
static void put_double(sink *s, double d)
{
    char b[40];
    int prec;
    for (prec = 15; prec <= 17; prec++) {
        snprintf(b, sizeof(b), "%.*g", prec, d);
        if (strtod(b, NULL) == d)
            break;
    }
    puts_(s, b);
}

static void put_i64(sink *s, int64_t v)
{
    char b[24];
    snprintf(b, sizeof(b), "%lld", (long long)v);
    puts_(s, b);
}

static void json_str(sink *s, const char *p)
{
    static const char hex[] = "0123456789abcdef";
    put(s, "\"", 1);
    for (; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            put(s, e, 2);
        } else if (c == '\n') {
            put(s, "\\n", 2);
        } else if (c == '\t') {
            put(s, "\\t", 2);
        } else if (c == '\r') {
            put(s, "\\r", 2);
        } else if (c < 0x20 || c == 0x7f) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            put(s, e, 6);
        } else {
            put(s, (const char *)&c, 1);
        }
    }
    put(s, "\"", 1);
}

static void json_cell(sink *s, const fnl_report *r, const fnli_cell *c)
{
    switch (c->type) {
    case FNL_VALUE_STRING:
        json_str(s, text_at(r, c->str));
        break;
    case FNL_VALUE_INT:
        put_i64(s, c->v.i);
        break;
    case FNL_VALUE_NUMBER:
        put_double(s, c->v.d);
        break;
    case FNL_VALUE_BOOL:
        puts_(s, c->v.i ? "true" : "false");
        break;
    default:
        puts_(s, "null");
    }
}

static const char *const type_names[] = {"null", "string", "int", "number",
                                         "bool"};
static const char *const unit_names[] = {"label", "count", "money", "ratio",
                                         "days",  "time",  "flag"};

static void json_row(sink *s, const fnl_report *r, const fnli_cell *row)
{
    size_t j;
    put(s, "{", 1);
    for (j = 0; j < r->ncols; j++) {
        if (j)
            put(s, ",", 1);
        json_str(s, text_at(r, r->cols[j].name));
        put(s, ":", 1);
        json_cell(s, r, &row[j]);
    }
    put(s, "}", 1);
}

static void render_json(sink *s, const fnl_report *r)
{
    size_t i;
    puts_(s, "{\"report\":");
    json_str(s, fnl_report_kind_name(r->kind));
    puts_(s, ",\"schema_version\":1,\"currency\":");
    if (r->currency[0])
        json_str(s, r->currency);
    else
        puts_(s, "null");
    puts_(s, ",\"summary\":{");
    for (i = 0; i < r->nsum; i++) {
        if (i)
            put(s, ",", 1);
        json_str(s, text_at(r, r->sumcols[i].name));
        put(s, ":", 1);
        json_cell(s, r, &r->sum[i]);
    }
    puts_(s, "},\"columns\":[");
    for (i = 0; i < r->ncols; i++) {
        if (i)
            put(s, ",", 1);
        puts_(s, "{\"name\":");
        json_str(s, text_at(r, r->cols[i].name));
        puts_(s, ",\"type\":\"");
        puts_(s, type_names[r->cols[i].type]);
        puts_(s, "\",\"unit\":\"");
        puts_(s, unit_names[r->cols[i].unit]);
        puts_(s, "\"}");
    }
    puts_(s, "],\"rows\":[");
    for (i = 0; i < r->nrows; i++) {
        if (i)
            put(s, ",", 1);
        json_row(s, r, &r->cells[i * r->ncols]);
    }
    put(s, "]", 1);
    if (r->has_totals) {
        puts_(s, ",\"totals\":");
        json_row(s, r, &r->cells[r->nrows * r->ncols]);
    }
    put(s, "}", 1);
}

static void csv_field(sink *s, const char *p)
{
    const char *q;
    if (strpbrk(p, ",\"\r\n") == NULL) {
        puts_(s, p);
        return;
    }
    put(s, "\"", 1);
    for (q = p; *q; q++) {
        if (*q == '"')
            put(s, "\"", 1);
        put(s, q, 1);
    }
    put(s, "\"", 1);
}

static void render_csv(sink *s, const fnl_report *r)
{
    size_t i, j;
    for (j = 0; j < r->ncols; j++) {
        if (j)
            put(s, ",", 1);
        csv_field(s, text_at(r, r->cols[j].name));
    }
    put(s, "\n", 1);
    for (i = 0; i < r->nrows; i++) {
        for (j = 0; j < r->ncols; j++) {
            const fnli_cell *c = &r->cells[i * r->ncols + j];
            if (j)
                put(s, ",", 1);
            if (c->type == FNL_VALUE_STRING)
                csv_field(s, text_at(r, c->str));
            else if (c->type != FNL_VALUE_NULL)
                json_cell(s, r, c);
        }
        put(s, "\n", 1);
    }
}

static int render(const fnl_report *r, char *buf, size_t cap, size_t *needed,
                  void (*fn)(sink *, const fnl_report *))
{
    sink s = {NULL, 0, 0};
    if (r == NULL || (buf == NULL && cap > 0))
        return FNL_EINVAL;
    fn(&s, r); /* count first: a short buffer is left untouched */
    if (needed != NULL)
        *needed = s.n + 1;
    if (cap < s.n + 1)
        return FNL_ERANGE;
    s.buf = buf;
    s.cap = cap;
    s.n = 0;
    fn(&s, r);
    buf[s.n] = '\0';
    return FNL_OK;
}

FNL_API int fnl_report_json(const fnl_report *r, char *buf, size_t cap,
                            size_t *needed)
{
    return render(r, buf, cap, needed, render_json);
}

FNL_API int fnl_report_csv(const fnl_report *r, char *buf, size_t cap,
                           size_t *needed)
{
    return render(r, buf, cap, needed, render_csv);
}

/* ---- keys ---------------------------------------------------------------- */

void fnli_keyset_init(fnli_keyset *k, fnli_mem *mem)
{
    memset(k, 0, sizeof(*k));
    k->mem = mem;
}

void fnli_keyset_free(fnli_keyset *k)
{
    if (k->slots)
        fnli_free(k->mem, k->slots, ((size_t)k->mask + 1) * sizeof(uint32_t));
    fnli_free(k->mem, k->ents, k->cap * sizeof(*k->ents));
    memset(k, 0, sizeof(*k));
}

static size_t probe(const fnli_keyset *k, const char *s, size_t n,
                    uint64_t h)
{
    size_t i = (size_t)h & k->mask;
    for (;; i = (i + 1) & k->mask) {
        uint32_t x = k->slots[i];
        if (x == 0)
            return i;
        if (k->ents[x - 1].n == n && memcmp(k->ents[x - 1].s, s, n) == 0)
            return i;
    }
}

size_t fnli_keyset_find(const fnli_keyset *k, const char *s, size_t n)
{
    size_t i;
    if (k->slots == NULL)
        return SIZE_MAX;
    i = probe(k, s, n, fnli_hash_bytes(s, n, 0));
    return k->slots[i] ? k->slots[i] - 1 : SIZE_MAX;
}

static int keyset_rehash(fnli_keyset *k, size_t nslots)
{
    uint32_t *ns = fnli_calloc(k->mem, nslots, sizeof(uint32_t));
    uint32_t *old = k->slots;
    size_t oldn = old ? (size_t)k->mask + 1 : 0, i;
    if (ns == NULL)
        return FNL_ENOMEM;
    k->slots = ns;
    k->mask = (uint32_t)(nslots - 1);
    for (i = 0; i < k->n; i++) {
        const fnli_kent *x = &k->ents[i];
        ns[probe(k, x->s, x->n, fnli_hash_bytes(x->s, x->n, 0))] =
            (uint32_t)i + 1;
    }
    if (old)
        fnli_free(k->mem, old, oldn * sizeof(uint32_t));
    return FNL_OK;
}

int fnli_keyset_add(fnli_keyset *k, const char *s, size_t n, size_t *idx)
{
    uint64_t h = fnli_hash_bytes(s, n, 0);
    void *ents = k->ents;
    size_t p;
    if (k->slots != NULL) {
        p = probe(k, s, n, h);
        if (k->slots[p]) {
            *idx = k->slots[p] - 1;
            return FNL_OK;
        }
    }
    if (k->n + 1 > UINT32_MAX / 4)
        return FNL_ENOMEM;
    if (fnli_grow(k->mem, &ents, &k->cap, k->n + 1, sizeof(fnli_kent), 32) !=
        FNL_OK)
        return FNL_ENOMEM;
    k->ents = ents;
    if (k->slots == NULL || (k->n + 1) * 2 > (size_t)k->mask + 1) {
        if (keyset_rehash(k, k->slots ? ((size_t)k->mask + 1) * 2 : 64) !=
            FNL_OK)
            return FNL_ENOMEM;
    }
    k->ents[k->n].s = s;
    k->ents[k->n].n = n;
    k->slots[probe(k, s, n, h)] = (uint32_t)k->n + 1;
    *idx = k->n++;
    return FNL_OK;
}

typedef struct korder {
    const char *s;
    size_t n, idx;
} korder;

static int cmp_korder(const void *a, const void *b)
{
    const korder *x = a, *y = b;
    size_t m = x->n < y->n ? x->n : y->n;
    int c = m ? memcmp(x->s, y->s, m) : 0;
    if (c != 0)
        return c;
    return (x->n > y->n) - (x->n < y->n);
}

int fnli_keyset_order(const fnli_keyset *k, size_t **order)
{
    size_t i, nn = k->n ? k->n : 1, *o;
    korder *t = fnli_malloc(k->mem, nn * sizeof(*t));
    if (t == NULL)
        return FNL_ENOMEM;
    o = fnli_malloc(k->mem, nn * sizeof(*o));
    if (o == NULL) {
        fnli_free(k->mem, t, nn * sizeof(*t));
        return FNL_ENOMEM;
    }
    for (i = 0; i < k->n; i++) {
        t[i].s = k->ents[i].s;
        t[i].n = k->ents[i].n;
        t[i].idx = i;
    }
    fnli_qsort(t, k->n, sizeof(*t), cmp_korder);
    for (i = 0; i < k->n; i++)
        o[i] = t[i].idx;
    fnli_free(k->mem, t, nn * sizeof(*t));
    *order = o;
    return FNL_OK;
}

/* ---- money --------------------------------------------------------------- */

int fnli_round_i64(double v, int64_t *out)
{
    double r;
    if (!isfinite(v))
        return FNL_ERANGE;
    r = v < 0 ? -floor(-v + 0.5) : floor(v + 0.5);
    /* 2^63 is exactly representable; anything at or above it overflows */
    if (r >= 9223372036854775808.0 || r < -9223372036854775808.0)
        return FNL_ERANGE;
    *out = (int64_t)r;
    return FNL_OK;
}

void fnli_muldiv(uint64_t a, uint64_t b, uint64_t c, uint64_t *q,
                 uint64_t *rem)
{
#if defined(__SIZEOF_INT128__)
    __extension__ unsigned __int128 p = (unsigned __int128)a * b;
    *q = (uint64_t)(p / c);
    *rem = (uint64_t)(p % c);
#else
    /* 128-bit product in (hi, lo), then restoring division bit by bit */
    uint64_t al = a & 0xffffffffu, ah = a >> 32, bl = b & 0xffffffffu,
             bh = b >> 32;
    uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint64_t mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);
    uint64_t lo = (ll & 0xffffffffu) | (mid << 32);
    uint64_t hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
    uint64_t r = 0, qq = 0;
    int i;
    for (i = 127; i >= 0; i--) {
        uint64_t bit = i >= 64 ? (hi >> (i - 64)) & 1 : (lo >> i) & 1;
        int carry = (r >> 63) != 0;
        r = (r << 1) | bit;
        qq <<= 1;
        if (carry || r >= c) {
            r -= c;
            qq |= 1;
        }
    }
    *q = qq;
    *rem = r;
#endif
}

/* ---- engine helpers ------------------------------------------------------ */

const fnl_allocator *fnli_report_alloc(const fnl_engine *e,
                                       const fnl_allocator *req)
{
    if (req != NULL)
        return req;
    return e != NULL ? &e->mem.a : NULL;
}

int fnli_report_now(const fnl_engine *e, int64_t t, int64_t *out)
{
    if (t == FNL_TIME_NOW) {
        if (e == NULL)
            return FNL_EINVAL;
        t = e->clock.now(e->clock.ctx);
    }
    if (t < FNL_TIME_MIN || t > FNL_TIME_MAX)
        return fnli_fail(e, FNL_EINVAL, "report: as_of %lld is out of range",
                         (long long)t);
    *out = t;
    return FNL_OK;
}

int fnli_report_convert(const fnl_engine *e, const fnl_fx *fx, int64_t amount,
                        uint32_t from, uint32_t to, int64_t t, int64_t *out)
{
    int rc = fnli_fx_convert(fx, amount, from, to, t, out);
    if (rc == FNL_ENOTFOUND) {
        char f[4], c[4], when[40];
        fnli_cur_unpack(from, f);
        fnli_cur_unpack(to, c);
        fnli_iso_time(t, when, sizeof(when));
        return fnli_fail(e, rc, "report: no exchange rate %s->%s at %s", f, c,
                         when);
    }
    if (rc != FNL_OK)
        return fnli_fail(e, rc, "report: currency conversion overflows");
    return FNL_OK;
}

/* ---- quantiles ----------------------------------------------------------- */

static void swap_d(double *a, double *b)
{
    double t = *a;
    *a = *b;
    *b = t;
}

/* The k-th smallest of a[0..n) (k < n), by three-way selection: a is
 * reordered so that what is before k is not larger and what is after is
 * not smaller. */
static double select_k(double *a, size_t n, size_t k)
{
    size_t lo = 0, hi = n;
    while (hi - lo > 1) {
        double x = a[lo], y = a[lo + (hi - lo) / 2], z = a[hi - 1], p;
        size_t lt = lo, gt = hi, i = lo;
        if (x < y)
            p = y < z ? y : (x < z ? z : x);
        else
            p = x < z ? x : (y < z ? z : y);
        while (i < gt) {
            if (a[i] < p)
                swap_d(&a[lt++], &a[i++]);
            else if (a[i] > p)
                swap_d(&a[i], &a[--gt]);
            else
                i++;
        }
        if (k < lt)
            hi = lt;
        else if (k >= gt)
            lo = gt;
        else
            return p;
    }
    return a[k];
}

void fnli_median_p90(double *x, size_t n, double *med, double *p90)
{
    size_t i;
    if (n == 0) {
        *med = *p90 = NAN;
        return;
    }
    if (n % 2) {
        *med = select_k(x, n, n / 2);
    } else {
        double lo = select_k(x, n, n / 2 - 1), hi = x[n / 2];
        for (i = n / 2 + 1; i < n; i++) /* the next one up */
            if (x[i] < hi)
                hi = x[i];
        *med = (lo + hi) / 2;
    }
    *p90 = select_k(x, n, (9 * n + 9) / 10 - 1);
}
