/* roi.c -- spend joined to attributed revenue and pipeline: ROI, revenue /
 * cost, ROAS, cost per funnel stage (fnl_report_roi), and spend bucketed by
 * period (fnl_report_spend).  Formulas: docs/roi.md. */
#include <math.h>
#include <string.h>
#include "engine.h"
#include "normalize.h"
#include "report.h"
#include "text.h"

/* One cost record, from the engine or the caller, as the reports see it. */
typedef struct costv {
    const char *channel, *campaign, *region;
    uint32_t currency;
    int64_t start, end, amount;
} costv;

typedef struct cost_src {
    const fnl_engine *e;
    const fnl_cost *arr;
    size_t narr;
    size_t elem;
} cost_src;

static size_t cost_total(const cost_src *s)
{
    return (s->e ? (size_t)s->e->costs.count - 1 : 0) + s->narr;
}

static int opt_str(const char *s)
{
    return s == NULL || (s[0] != '\0' && strlen(s) <= FNL_MAX_STRING &&
                         fnli_utf8_valid(s, strlen(s)));
}

/* Cost i of the source (engine records first). */
static int cost_at(const cost_src *s, size_t i, costv *out)
{
    size_t ne = s->e ? (size_t)s->e->costs.count - 1 : 0;
    if (i < ne) {
        const fnli_costrec *r = COSTREC(s->e, (uint32_t)i + 1);
        out->channel = fnli_str(&s->e->strings, r->channel);
        out->campaign = fnli_str(&s->e->strings, r->campaign);
        out->region = fnli_str(&s->e->strings, r->region);
        out->currency = r->currency;
        out->start = r->start;
        out->end = r->end;
        out->amount = r->amount;
        return FNL_OK;
    } else {
        fnl_cost c = FNL_COST_INIT;
        char cur[4];
        const char *p = (const char *)s->arr + (i - ne) * s->elem;
        memcpy(&c, p, s->elem < sizeof(c) ? s->elem : sizeof(c));
        if (!opt_str(c.channel) || !opt_str(c.campaign) || !opt_str(c.region) ||
            (c.channel == NULL && c.campaign == NULL) || c.end <= c.start ||
            c.start < FNL_TIME_MIN || c.end > FNL_TIME_MAX || c.amount < 0 ||
            fnli_report_currency(c.currency, &out->currency, cur) != FNL_OK)
            return fnli_fail(s->e, FNL_EINVAL, "report: cost %zu is invalid",
                             i - ne);
        out->channel = c.channel;
        out->campaign = c.campaign;
        out->region = c.region;
        out->start = c.start;
        out->end = c.end;
        out->amount = c.amount;
        return FNL_OK;
    }
}

static int cost_src_init(cost_src *s, const fnl_engine *e, const fnl_cost *arr,
                         size_t n)
{
    s->e = e;
    s->arr = arr;
    s->narr = n;
    s->elem = 0;
    if (n > 0) {
        uint32_t size;
        if (arr == NULL)
            return FNL_EINVAL;
        memcpy(&size, arr, sizeof(size));
        if (size < offsetof(fnl_cost, amount) + sizeof(int64_t))
            return FNL_EINVAL;
        s->elem = size;
    }
    return FNL_OK;
}

static const char *cost_key(const costv *c, uint32_t by)
{
    return by == FNL_BY_CHANNEL    ? c->channel
           : by == FNL_BY_CAMPAIGN ? c->campaign
                                   : c->region;
}

static int region_ok(const costv *c, const char *region)
{
    /* cost_at() sets c->region on success, and its error path returns
       fnli_fail()'s nonzero code, which the analyzer cannot see */
    return region == NULL ||
           /* NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult) */
           (c->region != NULL && strcmp(c->region, region) == 0);
}

static const char *const group_names[] = {NULL, "channel", "campaign",
                                          "region"};

/* ---- ROI ----------------------------------------------------------------- */

enum {
    C_GROUP, C_COST, C_REVENUE, C_PIPELINE, C_LEADS, C_MQLS, C_SQLS, C_OPPS,
    C_CUSTOMERS, C_ROI, C_REV_COST, C_ROAS, C_CPL, C_CPMQL, C_CPSQL, C_CPOPP,
    C_CAC, C_AVG_DEAL, C_WIN_RATE, C_LEAD_MQL, C_MQL_SQL, C_SQL_OPP,
    C_MQL_CUST, C_BELOW, C_NCOLS
};

static const fnli_colspec roi_cols[C_NCOLS] = {
    {"group", FNL_VALUE_STRING, FNL_UNIT_LABEL},
    {"cost", FNL_VALUE_INT, FNL_UNIT_MONEY},
    {"revenue", FNL_VALUE_INT, FNL_UNIT_MONEY},
    {"pipeline", FNL_VALUE_INT, FNL_UNIT_MONEY},
    {"leads", FNL_VALUE_NUMBER, FNL_UNIT_COUNT},
    {"mqls", FNL_VALUE_NUMBER, FNL_UNIT_COUNT},
    {"sqls", FNL_VALUE_NUMBER, FNL_UNIT_COUNT},
    {"opportunities", FNL_VALUE_NUMBER, FNL_UNIT_COUNT},
    {"customers", FNL_VALUE_NUMBER, FNL_UNIT_COUNT},
    {"roi", FNL_VALUE_NUMBER, FNL_UNIT_RATIO},
    {"revenue_to_cost", FNL_VALUE_NUMBER, FNL_UNIT_RATIO},
    {"roas", FNL_VALUE_NUMBER, FNL_UNIT_RATIO},
    {"cost_per_lead", FNL_VALUE_INT, FNL_UNIT_MONEY},
    {"cost_per_mql", FNL_VALUE_INT, FNL_UNIT_MONEY},
    {"cost_per_sql", FNL_VALUE_INT, FNL_UNIT_MONEY},
    {"cost_per_opportunity", FNL_VALUE_INT, FNL_UNIT_MONEY},
    {"cost_per_customer", FNL_VALUE_INT, FNL_UNIT_MONEY},
    {"avg_deal_size", FNL_VALUE_INT, FNL_UNIT_MONEY},
    {"win_rate", FNL_VALUE_NUMBER, FNL_UNIT_RATIO},
    {"lead_to_mql", FNL_VALUE_NUMBER, FNL_UNIT_RATIO},
    {"mql_to_sql", FNL_VALUE_NUMBER, FNL_UNIT_RATIO},
    {"sql_to_opportunity", FNL_VALUE_NUMBER, FNL_UNIT_RATIO},
    {"mql_to_customer", FNL_VALUE_NUMBER, FNL_UNIT_RATIO},
    {"below_benchmark", FNL_VALUE_BOOL, FNL_UNIT_FLAG},
};

enum { S_GROUP_BY, S_FROM, S_TO, S_REGION, S_VALUE_SCALE, S_BENCH, S_COSTS,
       S_NSUM };

static const fnli_colspec roi_sums[S_NSUM] = {
    {"group_by", FNL_VALUE_STRING, FNL_UNIT_LABEL},
    {"from", FNL_VALUE_INT, FNL_UNIT_TIME},
    {"to", FNL_VALUE_INT, FNL_UNIT_TIME},
    {"region", FNL_VALUE_STRING, FNL_UNIT_LABEL},
    {"value_scale", FNL_VALUE_NUMBER, FNL_UNIT_RATIO},
    {"benchmark_revenue_to_cost", FNL_VALUE_NUMBER, FNL_UNIT_RATIO},
    {"cost_records", FNL_VALUE_INT, FNL_UNIT_COUNT},
};

/* Stage counts: index 0 leads .. 4 customers.  known[] says whether any
 * non-negative value was given.  attr_stage[0..2]: leads, MQLs, SQLs
 * credited by the request's attributions of those conversions. */
typedef struct gacc {
    int64_t cost;
    double revenue, pipeline;
    double attr_customers, attr_opps;
    double attr_stage[3];
    double counts[5];
    uint8_t known[5];
} gacc;

typedef struct roi_work {
    fnli_mem mem;
    fnli_keyset keys;
    gacc *acc;
    size_t cap;
    gacc none;            /* costs without the grouped dimension */
    int has_none;
} roi_work;

static int group_of(roi_work *w, const char *s, gacc **out)
{
    size_t idx;
    void *p = w->acc;
    if (fnli_keyset_add(&w->keys, s, strlen(s), &idx) != FNL_OK)
        return FNL_ENOMEM;
    if (idx >= w->cap) {
        size_t old = w->cap;
        if (fnli_grow(&w->mem, &p, &w->cap, idx + 1, sizeof(gacc), 16) !=
            FNL_OK)
            return FNL_ENOMEM;
        w->acc = p;
        memset(w->acc + old, 0, (w->cap - old) * sizeof(gacc));
    }
    *out = &w->acc[idx];
    return FNL_OK;
}

/* What an attribution of the request stands for. */
enum { A_REVENUE, A_PIPELINE, A_LEADS, A_MQLS, A_SQLS };

static int add_attribution(const fnl_engine *e, roi_work *w,
                           const fnl_attribution *a, double scale, int kind)
{
    size_t i, n = fnl_attribution_row_count(a);
    for (i = 0; i < n; i++) {
        fnl_attribution_row row = FNL_ATTRIBUTION_ROW_INIT;
        gacc *g;
        if (fnl_attribution_row_get(a, i, &row) != FNL_OK)
            return fnli_fail(e, FNL_EINVAL, "report: attribution row %zu", i);
        if (group_of(w, row.key, &g) != FNL_OK)
            return fnli_fail(e, FNL_ENOMEM, "allocation failed");
        if (kind == A_PIPELINE) {
            g->pipeline += row.value * scale;
            g->attr_opps += row.conversions;
        } else if (kind == A_REVENUE) {
            g->revenue += row.value * scale;
            g->attr_customers += row.conversions;
        } else {
            g->attr_stage[kind - A_LEADS] += row.conversions;
        }
    }
    return FNL_OK;
}

static void set_money_ratio(fnli_cell *c, int64_t money, double count,
                            int known)
{
    int64_t v;
    if (!known || !(count > 0) || fnli_round_i64((double)money / count, &v))
        return;
    fnli_set_int(c, v);
}

/* Fill one ROI row from its sums.  has_rev / has_pipe: whether a revenue
 * or pipeline source exists at all (else those cells stay null). */
static int roi_row(fnl_report *r, size_t row, const char *key, int64_t cost,
                   const int64_t *rev, const int64_t *pipe,
                   const double *counts, const uint8_t *known, double bench)
{
    fnli_cell *c = fnli_cell_at(r, row, 0);
    double cst = (double)cost;
    if (key != NULL && fnli_set_str(r, &c[C_GROUP], key, strlen(key)))
        return FNL_ENOMEM;
    fnli_set_int(&c[C_COST], cost);
    if (rev != NULL)
        fnli_set_int(&c[C_REVENUE], *rev);
    if (pipe != NULL)
        fnli_set_int(&c[C_PIPELINE], *pipe);
    for (int k = 0; k < 5; k++)
        if (known[k])
            fnli_set_num(&c[C_LEADS + k], counts[k]);
    if (rev != NULL && cost > 0) {
        fnli_set_num(&c[C_ROI], ((double)*rev - cst) / cst);
        fnli_set_num(&c[C_REV_COST], (double)*rev / cst);
        fnli_set_num(&c[C_ROAS], (double)*rev / cst);
        if (bench > 0)
            fnli_set_bool(&c[C_BELOW], (double)*rev / cst < bench);
    }
    for (int k = 0; k < 5; k++)
        set_money_ratio(&c[C_CPL + k], cost, counts[k], known[k]);
    if (rev != NULL)
        set_money_ratio(&c[C_AVG_DEAL], *rev, counts[4], known[4]);
    if (known[3] && known[4])
        fnli_set_ratio(&c[C_WIN_RATE], counts[4], counts[3]);
    if (known[0] && known[1])
        fnli_set_ratio(&c[C_LEAD_MQL], counts[1], counts[0]);
    if (known[1] && known[2])
        fnli_set_ratio(&c[C_MQL_SQL], counts[2], counts[1]);
    if (known[2] && known[3])
        fnli_set_ratio(&c[C_SQL_OPP], counts[3], counts[2]);
    if (known[1] && known[4])
        fnli_set_ratio(&c[C_MQL_CUST], counts[4], counts[1]);
    return FNL_OK;
}

/* Counts of a group: stage counts given win over attribution credit.
 * has_stage[k]: a leads / MQLs / SQLs attribution was given. */
static void group_counts(const gacc *g, int has_rev, int has_pipe,
                         const uint8_t has_stage[3], double counts[5],
                         uint8_t known[5])
{
    for (int k = 0; k < 5; k++) {
        counts[k] = g->counts[k];
        known[k] = g->known[k];
    }
    for (int k = 0; k < 3; k++) {
        if (!known[k] && has_stage[k]) {
            counts[k] = g->attr_stage[k];
            known[k] = 1;
        }
    }
    if (!known[3] && has_pipe) {
        counts[3] = g->attr_opps;
        known[3] = 1;
    }
    if (!known[4] && has_rev) {
        counts[4] = g->attr_customers;
        known[4] = 1;
    }
}

static void roi_work_free(roi_work *w)
{
    fnli_keyset_free(&w->keys);
    fnli_free(&w->mem, w->acc, w->cap * sizeof(gacc));
}

FNL_API int fnl_report_roi(const fnl_engine *e, const fnl_roi_request *rq,
                           fnl_report **out)
{
    fnl_roi_request q = FNL_ROI_REQUEST_INIT;
    roi_work w;
    cost_src src;
    fnl_report *r = NULL;
    size_t i, n, *order = NULL, nrows = 0;
    uint32_t cur;
    char curs[4];
    double scale;
    int rc, ranged;
    int has_rev, has_pipe;
    uint8_t has_stage[3];
    const fnl_attribution *stage_attr[3];
    int64_t tot_cost = 0, tot_rev = 0, tot_pipe = 0;
    double tot_counts[5] = {0, 0, 0, 0, 0};
    uint8_t tot_known[5] = {0, 0, 0, 0, 0};

    if (rq == NULL || out == NULL)
        return fnli_fail(e, FNL_EINVAL, "report_roi: NULL argument");
    if (fnli_copy_in(&q, sizeof(q), rq, sizeof(uint32_t) * 2) != FNL_OK)
        return fnli_fail(e, FNL_EINVAL, "report_roi: size not set");
    if (q.group_by < FNL_BY_CHANNEL || q.group_by > FNL_BY_REGION)
        return fnli_fail(e, FNL_EINVAL, "report_roi: unknown group_by %u",
                         (unsigned)q.group_by);
    ranged = !(q.from == 0 && q.to == 0);
    if (ranged && (q.from < FNL_TIME_MIN || q.to > FNL_TIME_MAX + 1 ||
                   q.to <= q.from))
        return fnli_fail(e, FNL_EINVAL, "report_roi: bad range");
    if (fnli_report_currency(q.currency, &cur, curs) != FNL_OK)
        return fnli_fail(e, FNL_EINVAL, "report_roi: bad currency");
    if (!opt_str(q.region))
        return fnli_fail(e, FNL_EINVAL, "report_roi: bad region");
    scale = q.value_scale;
    if (scale == 0)
        scale = pow(10.0, fnli_cur_digits(cur));
    if (!isfinite(scale) || scale < 0 ||
        !isfinite(q.benchmark_revenue_to_cost))
        return fnli_fail(e, FNL_EINVAL, "report_roi: bad value_scale or "
                         "benchmark");
    if (q.stage_count_count > 0 && q.stage_counts == NULL)
        return fnli_fail(e, FNL_EINVAL, "report_roi: NULL stage_counts");
    if (cost_src_init(&src, e, q.costs, q.cost_count) != FNL_OK)
        return fnli_fail(e, FNL_EINVAL, "report_roi: bad costs array");
    has_rev = q.revenue != NULL;
    has_pipe = q.pipeline != NULL;
    stage_attr[0] = q.leads;
    stage_attr[1] = q.mqls;
    stage_attr[2] = q.sqls;
    for (i = 0; i < 3; i++)
        has_stage[i] = stage_attr[i] != NULL;

    memset(&w, 0, sizeof(w));
    if ((rc = fnli_mem_init(&w.mem, fnli_report_alloc(e, q.allocator))) !=
        FNL_OK)
        return fnli_fail(e, rc, "report_roi: bad allocator");
    fnli_keyset_init(&w.keys, &w.mem);

    n = cost_total(&src);
    for (i = 0; i < n; i++) {
        costv c;
        const char *key;
        int64_t part = 0, conv;
        gacc *g;
        if ((rc = cost_at(&src, i, &c)) != FNL_OK)
            goto fail;
        if (!region_ok(&c, q.region))
            continue;
        if (ranged) {
            int64_t cuts[2] = {q.from, q.to}, sl[3];
            fnl_prorate(c.amount, c.start, c.end, cuts, 2, sl);
            part = sl[1];
            if (c.end <= q.from || c.start >= q.to)
                continue;
        } else {
            part = c.amount;
        }
        if ((rc = fnli_report_convert(e, q.fx, part, c.currency, cur,
                          ranged && c.start < q.from ? q.from : c.start,
                          &conv)) != FNL_OK)
            goto fail;
        key = cost_key(&c, q.group_by);
        if (key == NULL) {
            g = &w.none;
            w.has_none = 1;
        } else if (group_of(&w, key, &g) != FNL_OK) {
            rc = fnli_fail(e, FNL_ENOMEM, "allocation failed");
            goto fail;
        }
        if (fnli_add_i64(&g->cost, conv) != FNL_OK) {
            rc = fnli_fail(e, FNL_ERANGE, "report_roi: cost sum overflows");
            goto fail;
        }
    }
    if ((has_rev &&
         (rc = add_attribution(e, &w, q.revenue, scale, A_REVENUE))) ||
        (has_pipe &&
         (rc = add_attribution(e, &w, q.pipeline, scale, A_PIPELINE))))
        goto fail;
    for (i = 0; i < 3; i++)
        if (has_stage[i] &&
            (rc = add_attribution(e, &w, stage_attr[i], scale,
                                  A_LEADS + (int)i)) != FNL_OK)
            goto fail;
    for (i = 0; i < q.stage_count_count; i++) {
        const fnl_stage_counts *sc = &q.stage_counts[i];
        double v[5];
        gacc *g;
        if (sc->group == NULL || !opt_str(sc->group)) {
            rc = fnli_fail(e, FNL_EINVAL, "report_roi: stage_counts %zu: bad "
                           "group", i);
            goto fail;
        }
        v[0] = sc->leads, v[1] = sc->mqls, v[2] = sc->sqls;
        v[3] = sc->opportunities, v[4] = sc->customers;
        if (group_of(&w, sc->group, &g) != FNL_OK) {
            rc = fnli_fail(e, FNL_ENOMEM, "allocation failed");
            goto fail;
        }
        for (int k = 0; k < 5; k++) {
            if (!isfinite(v[k])) {
                rc = fnli_fail(e, FNL_EINVAL, "report_roi: stage_counts %zu: "
                               "not finite", i);
                goto fail;
            }
            if (v[k] >= 0) {
                g->counts[k] += v[k];
                g->known[k] = 1;
            }
        }
    }

    if (fnli_keyset_order(&w.keys, &order) != FNL_OK) {
        rc = fnli_fail(e, FNL_ENOMEM, "allocation failed");
        goto fail;
    }
    nrows = w.keys.n + (size_t)w.has_none;
    if ((rc = fnli_report_create(&r, fnli_report_alloc(e, q.allocator),
                                 FNL_REPORT_ROI, curs, roi_cols, C_NCOLS,
                                 nrows, 1, roi_sums, S_NSUM)) != FNL_OK) {
        rc = fnli_fail(e, rc, "allocation failed");
        goto fail;
    }
    for (i = 0; i < nrows; i++) {
        const gacc *g = i < w.keys.n ? &w.acc[order[i]] : &w.none;
        const char *key = i < w.keys.n ? w.keys.ents[order[i]].s : NULL;
        double counts[5];
        uint8_t known[5];
        int64_t rev = 0, pipe = 0;
        if ((has_rev && fnli_round_i64(g->revenue, &rev)) ||
            (has_pipe && fnli_round_i64(g->pipeline, &pipe)) ||
            fnli_add_i64(&tot_cost, g->cost) || fnli_add_i64(&tot_rev, rev) ||
            fnli_add_i64(&tot_pipe, pipe)) {
            rc = fnli_fail(e, FNL_ERANGE, "report_roi: a sum overflows");
            goto fail;
        }
        group_counts(g, has_rev, has_pipe, has_stage, counts, known);
        for (int k = 0; k < 5; k++)
            if (known[k]) {
                tot_counts[k] += counts[k];
                tot_known[k] = 1;
            }
        if (roi_row(r, i, key, g->cost, has_rev ? &rev : NULL,
                    has_pipe ? &pipe : NULL, counts, known,
                    q.benchmark_revenue_to_cost) != FNL_OK) {
            rc = fnli_fail(e, FNL_ENOMEM, "allocation failed");
            goto fail;
        }
    }
    if (roi_row(r, nrows, NULL, tot_cost, has_rev ? &tot_rev : NULL,
                has_pipe ? &tot_pipe : NULL, tot_counts, tot_known,
                q.benchmark_revenue_to_cost) != FNL_OK ||
        fnli_set_str(r, &r->sum[S_GROUP_BY], group_names[q.group_by],
                     strlen(group_names[q.group_by])) ||
        (q.region && fnli_set_str(r, &r->sum[S_REGION], q.region,
                                  strlen(q.region)))) {
        rc = fnli_fail(e, FNL_ENOMEM, "allocation failed");
        goto fail;
    }
    if (ranged) {
        fnli_set_int(&r->sum[S_FROM], q.from);
        fnli_set_int(&r->sum[S_TO], q.to);
    }
    fnli_set_num(&r->sum[S_VALUE_SCALE], scale);
    if (q.benchmark_revenue_to_cost > 0)
        fnli_set_num(&r->sum[S_BENCH], q.benchmark_revenue_to_cost);
    fnli_set_int(&r->sum[S_COSTS], (int64_t)n);
    fnli_free(&w.mem, order, (w.keys.n ? w.keys.n : 1) * sizeof(size_t));
    roi_work_free(&w);
    *out = r;
    if (e)
        fnli_clear(e);
    return FNL_OK;
fail:
    if (order)
        fnli_free(&w.mem, order, (w.keys.n ? w.keys.n : 1) * sizeof(size_t));
    roi_work_free(&w);
    fnl_report_free(r);
    return rc;
}

/* ---- spend by period ----------------------------------------------------- */

static const fnli_colspec spend_cols[] = {
    {"group", FNL_VALUE_STRING, FNL_UNIT_LABEL},
    {"period", FNL_VALUE_STRING, FNL_UNIT_LABEL},
    {"period_start", FNL_VALUE_INT, FNL_UNIT_TIME},
    {"period_end", FNL_VALUE_INT, FNL_UNIT_TIME},
    {"cost", FNL_VALUE_INT, FNL_UNIT_MONEY},
};

static const fnli_colspec spend_sums[] = {
    {"group_by", FNL_VALUE_STRING, FNL_UNIT_LABEL},
    {"period", FNL_VALUE_STRING, FNL_UNIT_LABEL},
    {"from", FNL_VALUE_INT, FNL_UNIT_TIME},
    {"to", FNL_VALUE_INT, FNL_UNIT_TIME},
    {"region", FNL_VALUE_STRING, FNL_UNIT_LABEL},
};

FNL_API int fnl_report_spend(const fnl_engine *e, const fnl_spend_request *rq,
                             fnl_report **out)
{
    fnl_spend_request q = FNL_SPEND_REQUEST_INIT;
    fnli_mem mem;
    fnli_keyset keys;
    cost_src src;
    fnl_report *r = NULL;
    int64_t *b = NULL, *sl = NULL, *mat = NULL, from, to, tot = 0;
    size_t nb = 0, i, j, n, ng, nrows, *order = NULL, has_none = 0, matn = 0;
    uint32_t cur;
    char curs[4];
    int rc;

    if (rq == NULL || out == NULL)
        return fnli_fail(e, FNL_EINVAL, "report_spend: NULL argument");
    if (fnli_copy_in(&q, sizeof(q), rq, sizeof(uint32_t) * 2) != FNL_OK)
        return fnli_fail(e, FNL_EINVAL, "report_spend: size not set");
    if (q.group_by < FNL_BY_CHANNEL || q.group_by > FNL_BY_REGION ||
        q.period > FNL_PERIOD_CUSTOM || !opt_str(q.region) ||
        fnli_report_currency(q.currency, &cur, curs) != FNL_OK)
        return fnli_fail(e, FNL_EINVAL, "report_spend: bad request");
    if (cost_src_init(&src, e, q.costs, q.cost_count) != FNL_OK)
        return fnli_fail(e, FNL_EINVAL, "report_spend: bad costs array");
    if ((rc = fnli_mem_init(&mem, fnli_report_alloc(e, q.allocator))) !=
        FNL_OK)
        return fnli_fail(e, rc, "report_spend: bad allocator");
    fnli_keyset_init(&keys, &mem);

    /* pass 1: validate, collect groups, find the range */
    n = cost_total(&src);
    from = INT64_MAX;
    to = INT64_MIN;
    for (i = 0; i < n; i++) {
        costv c;
        const char *key;
        size_t idx;
        if ((rc = cost_at(&src, i, &c)) != FNL_OK)
            goto fail;
        if (!region_ok(&c, q.region))
            continue;
        key = cost_key(&c, q.group_by);
        if (key == NULL)
            has_none = 1;
        else if (fnli_keyset_add(&keys, key, strlen(key), &idx) != FNL_OK)
            goto nomem;
        from = c.start < from ? c.start : from;
        to = c.end > to ? c.end : to;
    }
    if (!(q.from == 0 && q.to == 0)) {
        from = q.from;
        to = q.to;
    } else if (from > to) {
        from = 0; /* no costs: one empty day */
        to = DAY_MS;
    }
    rc = fnli_buckets(&mem, q.period, from, to, q.boundaries,
                      q.boundary_count, &b, &nb);
    if (rc != FNL_OK) {
        rc = fnli_fail(e, rc, "report_spend: bad or too many periods");
        goto fail;
    }
    ng = keys.n + has_none;
    if (nb != 0 && ng > SIZE_MAX / 16 / nb) {
        rc = fnli_fail(e, FNL_ELIMIT, "report_spend: too many rows");
        goto fail;
    }
    matn = ng * nb;
    mat = fnli_calloc(&mem, matn ? matn : 1, sizeof(int64_t));
    sl = fnli_malloc(&mem, (nb + 2) * sizeof(int64_t));
    if (mat == NULL || sl == NULL)
        goto nomem;
    /* pass 2: prorate onto the buckets (the cuts are the bucket bounds) */
    for (i = 0; i < n; i++) {
        costv c;
        const char *key;
        size_t g;
        /* validated by pass 1; checked again so c is never read unset */
        if ((rc = cost_at(&src, i, &c)) != FNL_OK)
            goto fail;
        if (!region_ok(&c, q.region))
            continue;
        key = cost_key(&c, q.group_by);
        g = key ? fnli_keyset_find(&keys, key, strlen(key)) : keys.n;
        fnl_prorate(c.amount, c.start, c.end, b, nb + 1, sl);
        for (j = 0; j < nb; j++) {
            int64_t conv;
            if (sl[j + 1] == 0)
                continue;
            if ((rc = fnli_report_convert(e, q.fx, sl[j + 1], c.currency, cur,
                              b[j] > c.start ? b[j] : c.start, &conv)) !=
                FNL_OK)
                goto fail;
            if (fnli_add_i64(&mat[g * nb + j], conv) ||
                fnli_add_i64(&tot, conv)) {
                rc = fnli_fail(e, FNL_ERANGE, "report_spend: sum overflows");
                goto fail;
            }
        }
    }
    if (fnli_keyset_order(&keys, &order) != FNL_OK)
        goto nomem;
    nrows = ng * nb;
    if (fnli_report_create(&r, fnli_report_alloc(e, q.allocator),
                           FNL_REPORT_SPEND, curs, spend_cols, 5, nrows, 1,
                           spend_sums, 5) != FNL_OK)
        goto nomem;
    for (i = 0; i < ng; i++) {
        size_t g = i < keys.n ? order[i] : keys.n;
        for (j = 0; j < nb; j++) {
            fnli_cell *c = fnli_cell_at(r, i * nb + j, 0);
            char lab[48];
            fnli_bucket_label(q.period, b[j], lab, sizeof(lab));
            if ((i < keys.n &&
                 fnli_set_str(r, &c[0], keys.ents[g].s, keys.ents[g].n)) ||
                fnli_set_str(r, &c[1], lab, strlen(lab)))
                goto nomem;
            fnli_set_int(&c[2], b[j]);
            fnli_set_int(&c[3], b[j + 1]);
            fnli_set_int(&c[4], mat[g * nb + j]);
        }
    }
    fnli_set_int(fnli_cell_at(r, nrows, 4), tot);
    if (fnli_set_str(r, &r->sum[0], group_names[q.group_by],
                     strlen(group_names[q.group_by])) ||
        fnli_set_str(r, &r->sum[1], fnl_period_name(q.period),
                     strlen(fnl_period_name(q.period))) ||
        (q.region &&
         fnli_set_str(r, &r->sum[4], q.region, strlen(q.region))))
        goto nomem;
    fnli_set_int(&r->sum[2], b[0]);
    fnli_set_int(&r->sum[3], b[nb]);
    *out = r;
    r = NULL;
    rc = FNL_OK;
    if (e)
        fnli_clear(e);
    goto done;
nomem:
    rc = fnli_fail(e, FNL_ENOMEM, "allocation failed");
fail:
done:
    fnl_report_free(r);
    if (order)
        fnli_free(&mem, order, (keys.n ? keys.n : 1) * sizeof(size_t));
    if (b)
        fnli_free(&mem, b, (nb + 1) * sizeof(int64_t));
    if (sl)
        fnli_free(&mem, sl, (nb + 2) * sizeof(int64_t));
    if (mat)
        fnli_free(&mem, mat, (matn ? matn : 1) * sizeof(int64_t));
    fnli_keyset_free(&keys);
    return rc;
}
