/* report.h -- internals shared by the report modules: building an
 * immutable fnl_report, grouping keys, money arithmetic, periods and
 * currency lookups.  Reports only read the engine. */
#ifndef FNL_REPORT_H
#define FNL_REPORT_H

#include <stdint.h>
#include "funnelcore.h"
#include "funnelcore.h"
#include "mem.h"

#define DAY_MS INT64_C(86400000)

/* ---- the report table (report.c) ----------------------------------------- */

typedef struct fnli_colspec {
    const char *name;
    uint32_t type;
    uint32_t unit;
} fnli_colspec;

typedef struct fnli_cell {
    uint32_t type;
    uint32_t str;         /* STRING: offset + 1 into the text */
    union {
        int64_t i;
        double d;
    } v;
} fnli_cell;

typedef struct fnli_rcol {
    uint32_t name;        /* offset + 1 into the text */
    uint32_t type;
    uint32_t unit;
} fnli_rcol;

struct fnl_report {
    fnli_mem mem;
    uint32_t kind;
    char currency[4];
    size_t ncols, nrows, nsum;
    int has_totals;
    fnli_rcol *cols;
    fnli_cell *cells;     /* (nrows + has_totals) x ncols */
    fnli_rcol *sumcols;
    fnli_cell *sum;
    char *text;
    size_t text_len, text_cap;
};

/* A new report with every cell null.  alloc NULL: libc. */
int fnli_report_create(fnl_report **out, const fnl_allocator *alloc,
                       uint32_t kind, const char *currency,
                       const fnli_colspec *cols, size_t ncols, size_t nrows,
                       int totals, const fnli_colspec *sums, size_t nsum);
/* Row nrows is the totals row. */
static inline fnli_cell *fnli_cell_at(fnl_report *r, size_t row, size_t col)
{
    return &r->cells[row * r->ncols + col];
}
static inline void fnli_set_int(fnli_cell *c, int64_t v)
{
    c->type = FNL_VALUE_INT;
    c->v.i = v;
}
static inline void fnli_set_bool(fnli_cell *c, int v)
{
    c->type = FNL_VALUE_BOOL;
    c->v.i = v != 0;
}
/* Non-finite numbers become null. */
void fnli_set_num(fnli_cell *c, double v);
/* num / den, null when den is 0 or either is negative (unknown). */
void fnli_set_ratio(fnli_cell *c, double num, double den);
/* Copies s[0..n) into the report; FNL_ENOMEM. s NULL: the cell stays null. */
int fnli_set_str(fnl_report *r, fnli_cell *c, const char *s, size_t n);

/* ---- string keys -> dense indices (report.c) ---------------------------- */

typedef struct fnli_kent {
    const char *s;
    size_t n;
} fnli_kent;

typedef struct fnli_keyset {
    fnli_mem *mem;
    uint32_t *slots;      /* index + 1; 0 empty */
    uint32_t mask;
    size_t n, cap;
    fnli_kent *ents;      /* keys, borrowed */
} fnli_keyset;

void fnli_keyset_init(fnli_keyset *k, fnli_mem *mem);
void fnli_keyset_free(fnli_keyset *k);
/* The index of key s[0..n), added when missing (the bytes are borrowed:
 * they must outlive the set).  FNL_ENOMEM. */
int fnli_keyset_add(fnli_keyset *k, const char *s, size_t n, size_t *idx);
/* Index or SIZE_MAX. */
size_t fnli_keyset_find(const fnli_keyset *k, const char *s, size_t n);
/* order[0..n) = indices sorted bytewise by key.  FNL_ENOMEM. */
int fnli_keyset_order(const fnli_keyset *k, size_t **order);

/* ---- money -------------------------------------------------------------- */

/* Round half away from zero into int64; FNL_ERANGE when out of range or
 * not finite. */
int fnli_round_i64(double v, int64_t *out);

/* The median (mean of the two middle values when n is even) and p90
 * (nearest rank: the ceil(0.9 n)-th smallest) of x[0..n), which is
 * reordered (selection, linear); both NAN when n is 0.  Every report's
 * median and p90 are these. */
void fnli_median_p90(double *x, size_t n, double *med, double *p90);
/* *acc += v, FNL_ERANGE on overflow. */
static inline int fnli_add_i64(int64_t *acc, int64_t v)
{
    if ((v > 0 && *acc > INT64_MAX - v) || (v < 0 && *acc < INT64_MIN - v))
        return FNL_ERANGE;
    *acc += v;
    return FNL_OK;
}
/* floor(a * b / c) and the remainder, a, b >= 0, c > 0, exact. */
void fnli_muldiv(uint64_t a, uint64_t b, uint64_t c, uint64_t *q,
                 uint64_t *rem);

/* ---- periods (period.c) -------------------------------------------------- */

/* Bucket boundaries b[0] < ... < b[n] for kind over [from, to): calendar
 * kinds start at the period containing from and end with the period
 * containing to - 1; ALL gives {from, to}; CUSTOM copies `custom`.
 * *bounds is allocated from mem; *n is the number of buckets.
 * FNL_EINVAL, FNL_ELIMIT (over FNLI_MAX_BUCKETS), FNL_ENOMEM. */
#define FNLI_MAX_BUCKETS 100000
int fnli_buckets(fnli_mem *mem, uint32_t kind, int64_t from, int64_t to,
                 const int64_t *custom, size_t ncustom, int64_t **bounds,
                 size_t *n);
/* The bucket of t: i with b[i] <= t < b[i+1], or SIZE_MAX. */
size_t fnli_bucket_of(const int64_t *b, size_t n, int64_t t);
/* Label of bucket [start, end) of kind: calendar label, or for ALL and
 * CUSTOM the ISO date (or date-time) of start. */
int fnli_bucket_label(uint32_t kind, int64_t start, char *buf, size_t cap);
/* ISO 8601 "YYYY-MM-DD" (midnight) or "YYYY-MM-DDTHH:MM:SS.mmmZ". */
void fnli_iso_time(int64_t t, char *buf, size_t cap);

/* ---- currencies (fx.c) --------------------------------------------------- */

/* Packed ISO 4217 code as in deal.c: c0 | c1 << 8 | c2 << 16. */
static inline uint32_t fnli_cur_pack(const char c[3])
{
    return (uint32_t)(unsigned char)c[0] | (uint32_t)(unsigned char)c[1] << 8 |
           (uint32_t)(unsigned char)c[2] << 16;
}
static inline void fnli_cur_unpack(uint32_t v, char out[4])
{
    out[0] = (char)(v & 0xff);
    out[1] = (char)((v >> 8) & 0xff);
    out[2] = (char)((v >> 16) & 0xff);
    out[3] = '\0';
}
int fnli_cur_digits(uint32_t packed);
/* Convert between packed codes at t: FNL_ENOTFOUND, FNL_ERANGE. */
int fnli_fx_convert(const fnl_fx *fx, int64_t amount, uint32_t from,
                    uint32_t to, int64_t t, int64_t *out);
/* A request's currency: NULL gives USD.  FNL_EINVAL. */
int fnli_report_currency(const char *s, uint32_t *packed, char out[4]);

/* ---- engine helpers (report.c) ------------------------------------------- */

/* The allocator a report uses: the request's, else the engine's, else
 * libc (NULL). */
const fnl_allocator *fnli_report_alloc(const fnl_engine *e,
                                       const fnl_allocator *req);
/* fnli_fx_convert() with the failure recorded on e ("no exchange rate
 * EUR->USD at 2024-03-01"). */
int fnli_report_convert(const fnl_engine *e, const fnl_fx *fx, int64_t amount,
                        uint32_t from, uint32_t to, int64_t t, int64_t *out);
/* Resolve an as_of time (FNL_TIME_NOW: the engine clock). */
int fnli_report_now(const fnl_engine *e, int64_t t, int64_t *out);

#endif
