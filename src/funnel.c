/* funnel.c -- funnel and velocity from deals (fnl_report_deals): win rate,
 * sales cycle (median, p90), pipeline and forecast per grouping (owner,
 * stage, account, a deal, account or owner-record attribute, currency,
 * status), with benchmark flags.  Stage-history funnels will come from the
 * stage machine; this reads the deal store, accounts and owner records.
 * Formulas: docs/roi.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "normalize.h"
#include "owner.h"
#include "report.h"
#include "text.h"

static const char *const status_names[] = {"open", "won", "lost"};
static const char *const by_names[] = {
    "none",     "owner",  "stage", "account", "account_attr",
    "currency", "status", "attr",  "owner_attr"};

typedef struct dgroup {
    int64_t deals, open, won, lost;
    int64_t won_amount, lost_amount, open_amount;
    size_t cyc_first, cyc_n;    /* slice of the sorted cycle array */
    double forecast;
    int64_t forecast_deals;
    int forecast_unknown;
} dgroup;

typedef struct cyc {
    size_t g;
    double days;
} cyc;

typedef struct dwork {
    const fnl_engine *e;
    fnli_mem mem;
    fnli_keyset keys;
    dgroup *g;
    size_t gcap;
    dgroup none;
    int has_none;
    uint32_t by, attr;          /* attr: interned name id */
    char (*curs)[4];            /* distinct deal currencies (BY_CURRENCY) */
    size_t ncurs, curcap;
    cyc *cyc;
    size_t ncyc, cyccap;
} dwork;

/* The value of a string attribute (name id `attr`) on a list, or 0. */
static uint32_t attr_str(const fnl_engine *e, uint32_t head, uint32_t attr)
{
    uint32_t x = fnli_attr_node(e, head, attr);
    return x != 0 && ATTRNODE(e, x)->type == FNL_ATTR_STRING
               ? ATTRNODE(e, x)->str
               : 0;
}

/* The deal's group key, or NULL (the null group).  FNL_ENOMEM only for
 * BY_CURRENCY's small table. */
static int deal_key(dwork *w, const fnli_deal *d, const char **key)
{
    const fnl_engine *e = w->e;
    uint32_t id = 0;
    *key = NULL;
    switch (w->by) {
    case FNL_DEAL_BY_NONE:
        *key = "all";
        return FNL_OK;
    case FNL_DEAL_BY_OWNER:
        id = d->owner;
        break;
    case FNL_DEAL_BY_STAGE:
        id = d->stage;
        break;
    case FNL_DEAL_BY_ACCOUNT:
        id = d->account ? ACCOUNT(e, d->account)->name : 0;
        break;
    case FNL_DEAL_BY_ACCOUNT_ATTR:
        if (d->account != 0)
            id = attr_str(e, ACCOUNT(e, d->account)->attrs, w->attr);
        break;
    case FNL_DEAL_BY_ATTR:
        id = attr_str(e, d->attrs, w->attr);
        break;
    case FNL_DEAL_BY_OWNER_ATTR:
        id = fnli_owner_attr_str(e, d->owner, w->attr);
        break;
    case FNL_DEAL_BY_CURRENCY: {
        char c[4];
        size_t i;
        void *p = w->curs;
        fnli_cur_unpack(d->currency, c);
        for (i = 0; i < w->ncurs; i++)
            if (memcmp(w->curs[i], c, 4) == 0) {
                *key = w->curs[i];
                return FNL_OK;
            }
        /* the table never moves once keys point into it: size it for
         * every deal's currency up front (see report_deals) */
        if (w->ncurs == w->curcap) {
            if (fnli_grow(&w->mem, &p, &w->curcap, w->ncurs + 1, 4, 64))
                return FNL_ENOMEM;
            w->curs = p;
        }
        memcpy(w->curs[w->ncurs], c, 4);
        *key = w->curs[w->ncurs++];
        return FNL_OK;
    }
    default:
        *key = status_names[d->status <= FNL_DEAL_LOST ? d->status : 0];
        return FNL_OK;
    }
    *key = fnli_str(&e->strings, id);
    return FNL_OK;
}

static int group_for(dwork *w, const fnli_deal *d, dgroup **out, size_t *gi)
{
    const char *key;
    size_t idx;
    void *p = w->g;
    if (deal_key(w, d, &key) != FNL_OK)
        return FNL_ENOMEM;
    if (key == NULL) {
        w->has_none = 1;
        *out = &w->none;
        *gi = SIZE_MAX;
        return FNL_OK;
    }
    if (fnli_keyset_add(&w->keys, key, strlen(key), &idx) != FNL_OK)
        return FNL_ENOMEM;
    if (idx >= w->gcap) {
        size_t old = w->gcap;
        if (fnli_grow(&w->mem, &p, &w->gcap, idx + 1, sizeof(dgroup), 16))
            return FNL_ENOMEM;
        w->g = p;
        memset(w->g + old, 0, (w->gcap - old) * sizeof(dgroup));
    }
    *out = &w->g[idx];
    *gi = idx;
    return FNL_OK;
}

static int cmp_cyc(const void *a, const void *b)
{
    const cyc *x = a, *y = b;
    if (x->g != y->g)
        return x->g < y->g ? -1 : 1;
    return (x->days > y->days) - (x->days < y->days);
}

static void group_cycles(const dwork *w, const dgroup *g, double *med,
                         double *p90, double *tmp)
{
    size_t i;
    for (i = 0; i < g->cyc_n; i++)
        tmp[i] = w->cyc[g->cyc_first + i].days;
    fnli_median_p90(tmp, g->cyc_n, med, p90);
}

static int in_range(const fnli_deal *d, int64_t from, int64_t to)
{
    return d->created >= from && (to == 0 || d->created < to);
}

enum {
    D_GROUP, D_DEALS, D_OPEN, D_WON, D_LOST, D_WIN_RATE, D_WON_AMT,
    D_LOST_AMT, D_PIPELINE, D_AVG, D_MED, D_P90, D_FORECAST, D_FDEALS,
    D_F_WIN, D_F_CYCLE, D_F_SIZE, D_NCOLS
};

static const fnli_colspec deal_cols[D_NCOLS] = {
    {"group", FNL_VALUE_STRING, FNL_UNIT_LABEL},
    {"deals", FNL_VALUE_INT, FNL_UNIT_COUNT},
    {"open", FNL_VALUE_INT, FNL_UNIT_COUNT},
    {"won", FNL_VALUE_INT, FNL_UNIT_COUNT},
    {"lost", FNL_VALUE_INT, FNL_UNIT_COUNT},
    {"win_rate", FNL_VALUE_NUMBER, FNL_UNIT_RATIO},
    {"won_amount", FNL_VALUE_INT, FNL_UNIT_MONEY},
    {"lost_amount", FNL_VALUE_INT, FNL_UNIT_MONEY},
    {"pipeline", FNL_VALUE_INT, FNL_UNIT_MONEY},
    {"avg_deal_size", FNL_VALUE_INT, FNL_UNIT_MONEY},
    {"cycle_median_days", FNL_VALUE_NUMBER, FNL_UNIT_DAYS},
    {"cycle_p90_days", FNL_VALUE_NUMBER, FNL_UNIT_DAYS},
    {"forecast", FNL_VALUE_INT, FNL_UNIT_MONEY},
    {"forecast_deals", FNL_VALUE_INT, FNL_UNIT_COUNT},
    {"below_win_rate_benchmark", FNL_VALUE_BOOL, FNL_UNIT_FLAG},
    {"above_cycle_benchmark", FNL_VALUE_BOOL, FNL_UNIT_FLAG},
    {"below_deal_size_benchmark", FNL_VALUE_BOOL, FNL_UNIT_FLAG},
};

enum { DS_BY, DS_ATTR, DS_FROM, DS_TO, DS_AS_OF, DS_UNTIL, DS_BWIN,
       DS_BCYC, DS_BSIZE, DS_PROBS, DS_NSUM };

static const fnli_colspec deal_sums[DS_NSUM] = {
    {"group_by", FNL_VALUE_STRING, FNL_UNIT_LABEL},
    {"group_attr", FNL_VALUE_STRING, FNL_UNIT_LABEL},
    {"from", FNL_VALUE_INT, FNL_UNIT_TIME},
    {"to", FNL_VALUE_INT, FNL_UNIT_TIME},
    {"as_of", FNL_VALUE_INT, FNL_UNIT_TIME},
    {"forecast_until", FNL_VALUE_INT, FNL_UNIT_TIME},
    {"benchmark_win_rate", FNL_VALUE_NUMBER, FNL_UNIT_RATIO},
    {"benchmark_cycle_days", FNL_VALUE_NUMBER, FNL_UNIT_DAYS},
    {"benchmark_deal_size", FNL_VALUE_INT, FNL_UNIT_MONEY},
    {"stage_probabilities", FNL_VALUE_INT, FNL_UNIT_COUNT},
};

static void dwork_free(dwork *w)
{
    fnli_keyset_free(&w->keys);
    fnli_free(&w->mem, w->g, w->gcap * sizeof(dgroup));
    fnli_free(&w->mem, w->curs, w->curcap * 4);
    fnli_free(&w->mem, w->cyc, w->cyccap * sizeof(cyc));
}

/* One row (or the totals row) of the deal report. */
static void deal_row(fnli_cell *c, const dgroup *g, double med, double p90,
                     const fnl_deal_report_request *q)
{
    int64_t avg;
    fnli_set_int(&c[D_DEALS], g->deals);
    fnli_set_int(&c[D_OPEN], g->open);
    fnli_set_int(&c[D_WON], g->won);
    fnli_set_int(&c[D_LOST], g->lost);
    fnli_set_ratio(&c[D_WIN_RATE], (double)g->won,
                   (double)(g->won + g->lost));
    fnli_set_int(&c[D_WON_AMT], g->won_amount);
    fnli_set_int(&c[D_LOST_AMT], g->lost_amount);
    fnli_set_int(&c[D_PIPELINE], g->open_amount);
    if (g->won > 0 &&
        fnli_round_i64((double)g->won_amount / (double)g->won, &avg) == FNL_OK)
        fnli_set_int(&c[D_AVG], avg);
    fnli_set_num(&c[D_MED], med);
    fnli_set_num(&c[D_P90], p90);
    if (!g->forecast_unknown) {
        int64_t f;
        if (fnli_round_i64(g->forecast, &f) == FNL_OK)
            fnli_set_int(&c[D_FORECAST], f);
    }
    fnli_set_int(&c[D_FDEALS], g->forecast_deals);
    if (q->benchmark_win_rate >= 0 && g->won + g->lost > 0)
        fnli_set_bool(&c[D_F_WIN], (double)g->won / (double)(g->won + g->lost) <
                                       q->benchmark_win_rate);
    if (q->benchmark_cycle_days >= 0 && isfinite(med))
        fnli_set_bool(&c[D_F_CYCLE], med > q->benchmark_cycle_days);
    if (q->benchmark_deal_size >= 0 && c[D_AVG].type == FNL_VALUE_INT)
        fnli_set_bool(&c[D_F_SIZE], c[D_AVG].v.i < q->benchmark_deal_size);
}

/* Groupings by an attribute named in group_attr. */
static int by_attr(uint32_t by)
{
    return by == FNL_DEAL_BY_ACCOUNT_ATTR || by == FNL_DEAL_BY_ATTR ||
           by == FNL_DEAL_BY_OWNER_ATTR;
}

FNL_API int fnl_report_deals(const fnl_engine *e,
                             const fnl_deal_report_request *rq,
                             fnl_report **out)
{
    fnl_deal_report_request q = FNL_DEAL_REPORT_REQUEST_INIT;
    dwork w;
    fnl_report *r = NULL;
    dgroup tot;
    uint32_t cur, i;
    char curs[4];
    int64_t as_of;
    size_t k, nrows = 0, *order = NULL, ndeals, ntmp = 0;
    double *tmp = NULL, *meds = NULL, *p90s = NULL, all_med, all_p90;
    int rc;

    if (e == NULL || rq == NULL || out == NULL)
        return fnli_fail(e, FNL_EINVAL, "report_deals: NULL argument");
    if (fnli_copy_in(&q, sizeof(q), rq, sizeof(uint32_t) * 2) != FNL_OK)
        return fnli_fail(e, FNL_EINVAL, "report_deals: size not set");
    if (q.group_by > FNL_DEAL_BY_OWNER_ATTR)
        return fnli_fail(e, FNL_EINVAL, "report_deals: unknown group_by %u",
                         (unsigned)q.group_by);
    if (fnli_report_currency(q.currency, &cur, curs) != FNL_OK)
        return fnli_fail(e, FNL_EINVAL, "report_deals: bad currency");
    if (q.from < 0 || q.to < 0 || (q.to != 0 && q.to <= q.from) ||
        q.forecast_until < 0 || !isfinite(q.benchmark_win_rate) ||
        !isfinite(q.benchmark_cycle_days) ||
        (q.stage_probability_count > 0 && q.stage_probabilities == NULL))
        return fnli_fail(e, FNL_EINVAL, "report_deals: bad request");
    for (k = 0; k < q.stage_probability_count; k++) {
        const fnl_stage_probability *sp = &q.stage_probabilities[k];
        if (sp->stage == NULL || !(sp->probability >= 0 &&
                                   sp->probability <= 1))
            return fnli_fail(e, FNL_EINVAL, "report_deals: stage probability "
                             "%zu", k);
    }
    if ((rc = fnli_report_now(e, q.as_of, &as_of)) != FNL_OK)
        return rc;
    memset(&w, 0, sizeof(w));
    w.e = e;
    w.by = q.group_by;
    if ((rc = fnli_mem_init(&w.mem, fnli_report_alloc(e, q.allocator))) !=
        FNL_OK)
        return fnli_fail(e, rc, "report_deals: bad allocator");
    fnli_keyset_init(&w.keys, &w.mem);
    if (by_attr(q.group_by)) {
        char name[FNL_MAX_NAME + 1];
        if (q.group_attr == NULL ||
            fnli_name_fold(q.group_attr, 1, name, sizeof(name), NULL) < 0)
            return fnli_fail(e, FNL_EINVAL, "report_deals: bad group_attr");
        w.attr = fnli_intern_find(&e->strings, name, strlen(name));
    }
    ndeals = e->dealpool.count - 1;
    if (q.group_by == FNL_DEAL_BY_CURRENCY) {
        /* key pointers point into this table: it must not move */
        void *p = NULL;
        if (fnli_grow(&w.mem, &p, &w.curcap, ndeals + 1, 4, 1))
            goto nomem;
        w.curs = p;
    }

    /* pass 1: counts, amounts, won cycles */
    for (i = 1; i <= ndeals; i++) {
        const fnli_deal *d = DEAL(e, i);
        dgroup *g;
        size_t gi;
        int64_t amt;
        if (!in_range(d, q.from, q.to))
            continue;
        if (group_for(&w, d, &g, &gi) != FNL_OK)
            goto nomem;
        if ((rc = fnli_report_convert(e, q.fx, d->amount, d->currency, cur,
                                      d->status == FNL_DEAL_OPEN ? as_of
                                                                 : d->closed,
                                      &amt)) != FNL_OK)
            goto fail;
        g->deals++;
        if (d->status == FNL_DEAL_WON) {
            void *p = w.cyc;
            g->won++;
            rc = fnli_add_i64(&g->won_amount, amt);
            if (fnli_grow(&w.mem, &p, &w.cyccap, w.ncyc + 1, sizeof(cyc), 64))
                goto nomem;
            w.cyc = p;
            w.cyc[w.ncyc].g = gi;
            w.cyc[w.ncyc++].days = (double)(d->closed - d->created) /
                                   (double)DAY_MS;
        } else if (d->status == FNL_DEAL_LOST) {
            g->lost++;
            rc = fnli_add_i64(&g->lost_amount, amt);
        } else {
            g->open++;
            rc = fnli_add_i64(&g->open_amount, amt);
        }
        if (rc != FNL_OK) {
            rc = fnli_fail(e, FNL_ERANGE, "report_deals: sum overflows");
            goto fail;
        }
    }
    /* cycles grouped and sorted: group slices, per-group median and p90 */
    fnli_qsort(w.cyc, w.ncyc, sizeof(cyc), cmp_cyc);
    for (k = 0; k < w.ncyc; k++) {
        dgroup *g = w.cyc[k].g == SIZE_MAX ? &w.none : &w.g[w.cyc[k].g];
        if (g->cyc_n == 0)
            g->cyc_first = k;
        g->cyc_n++;
    }
    ntmp = w.ncyc ? w.ncyc : 1;
    tmp = fnli_malloc(&w.mem, ntmp * sizeof(double));
    nrows = w.keys.n + (size_t)w.has_none;
    meds = fnli_malloc(&w.mem, (nrows + 1) * sizeof(double));
    p90s = fnli_malloc(&w.mem, (nrows + 1) * sizeof(double));
    if (tmp == NULL || meds == NULL || p90s == NULL)
        goto nomem;
    for (k = 0; k < nrows; k++) {
        const dgroup *g = k < w.keys.n ? &w.g[k] : &w.none;
        group_cycles(&w, g, &meds[k], &p90s[k], tmp);
    }
    for (k = 0; k < w.ncyc; k++)
        tmp[k] = w.cyc[k].days;
    fnli_median_p90(tmp, w.ncyc, &all_med, &all_p90);

    /* pass 2: forecast of open deals */
    memset(&tot, 0, sizeof(tot));
    for (k = 0; k < nrows; k++) {
        const dgroup *g = k < w.keys.n ? &w.g[k] : &w.none;
        tot.deals += g->deals, tot.open += g->open;
        tot.won += g->won, tot.lost += g->lost;
        if (fnli_add_i64(&tot.won_amount, g->won_amount) ||
            fnli_add_i64(&tot.lost_amount, g->lost_amount) ||
            fnli_add_i64(&tot.open_amount, g->open_amount)) {
            rc = fnli_fail(e, FNL_ERANGE, "report_deals: sum overflows");
            goto fail;
        }
    }
    for (i = 1; i <= ndeals; i++) {
        const fnli_deal *d = DEAL(e, i);
        const char *stage = fnli_str(&e->strings, d->stage);
        dgroup *g;
        size_t gi, row;
        double p = NAN, med;
        int64_t amt, due;
        if (d->status != FNL_DEAL_OPEN || !in_range(d, q.from, q.to))
            continue;
        if (group_for(&w, d, &g, &gi) != FNL_OK)
            goto nomem; /* cannot happen: every key exists already */
        row = gi == SIZE_MAX ? w.keys.n : gi;
        for (k = 0; stage && k < q.stage_probability_count; k++)
            if (strcmp(q.stage_probabilities[k].stage, stage) == 0) {
                p = q.stage_probabilities[k].probability;
                break;
            }
        if (isnan(p) && g->won + g->lost > 0)
            p = (double)g->won / (double)(g->won + g->lost);
        if (isnan(p) && tot.won + tot.lost > 0)
            p = (double)tot.won / (double)(tot.won + tot.lost);
        med = isfinite(meds[row]) ? meds[row] : all_med;
        due = as_of;
        if (isfinite(med)) {
            double t = (double)d->created + med * (double)DAY_MS;
            if (t > (double)as_of)
                due = t > (double)FNL_TIME_MAX ? FNL_TIME_MAX : (int64_t)t;
        }
        if (q.forecast_until != 0 && due >= q.forecast_until)
            continue;
        fnli_report_convert(e, q.fx, d->amount, d->currency, cur, as_of, &amt);
        if (isnan(p)) {
            g->forecast_unknown = 1;
            tot.forecast_unknown = 1;
        } else {
            g->forecast += (double)amt * p;
            tot.forecast += (double)amt * p;
        }
        g->forecast_deals++;
        tot.forecast_deals++;
    }

    if (fnli_keyset_order(&w.keys, &order) != FNL_OK)
        goto nomem;
    if (fnli_report_create(&r, fnli_report_alloc(e, q.allocator),
                           FNL_REPORT_DEALS, curs, deal_cols, D_NCOLS, nrows,
                           1, deal_sums, DS_NSUM) != FNL_OK)
        goto nomem;
    for (k = 0; k < nrows; k++) {
        size_t gi = k < w.keys.n ? order[k] : SIZE_MAX;
        const dgroup *g = gi == SIZE_MAX ? &w.none : &w.g[gi];
        size_t mi = gi == SIZE_MAX ? w.keys.n : gi;
        fnli_cell *c = fnli_cell_at(r, k, 0);
        if (gi != SIZE_MAX &&
            fnli_set_str(r, &c[D_GROUP], w.keys.ents[gi].s,
                         w.keys.ents[gi].n))
            goto nomem;
        deal_row(c, g, meds[mi], p90s[mi], &q);
    }
    deal_row(fnli_cell_at(r, nrows, 0), &tot, all_med, all_p90, &q);
    if (fnli_set_str(r, &r->sum[DS_BY], by_names[q.group_by],
                     strlen(by_names[q.group_by])) ||
        (by_attr(q.group_by) &&
         fnli_set_str(r, &r->sum[DS_ATTR], q.group_attr,
                      strlen(q.group_attr))))
        goto nomem;
    if (q.from != 0)
        fnli_set_int(&r->sum[DS_FROM], q.from);
    if (q.to != 0)
        fnli_set_int(&r->sum[DS_TO], q.to);
    fnli_set_int(&r->sum[DS_AS_OF], as_of);
    if (q.forecast_until != 0)
        fnli_set_int(&r->sum[DS_UNTIL], q.forecast_until);
    if (q.benchmark_win_rate >= 0)
        fnli_set_num(&r->sum[DS_BWIN], q.benchmark_win_rate);
    if (q.benchmark_cycle_days >= 0)
        fnli_set_num(&r->sum[DS_BCYC], q.benchmark_cycle_days);
    if (q.benchmark_deal_size >= 0)
        fnli_set_int(&r->sum[DS_BSIZE], q.benchmark_deal_size);
    fnli_set_int(&r->sum[DS_PROBS], (int64_t)q.stage_probability_count);
    *out = r;
    r = NULL;
    rc = FNL_OK;
    fnli_clear(e);
    goto done;
nomem:
    rc = fnli_fail(e, FNL_ENOMEM, "allocation failed");
fail:
done:
    fnl_report_free(r);
    if (order)
        fnli_free(&w.mem, order, (w.keys.n ? w.keys.n : 1) * sizeof(size_t));
    if (tmp)
        fnli_free(&w.mem, tmp, ntmp * sizeof(double));
    if (meds)
        fnli_free(&w.mem, meds, (nrows + 1) * sizeof(double));
    if (p90s)
        fnli_free(&w.mem, p90s, (nrows + 1) * sizeof(double));
    dwork_free(&w);
    return rc;
}
