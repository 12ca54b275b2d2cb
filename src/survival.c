/* survival.c -- Kaplan-Meier estimate of "not converted yet" from entry,
 * median time to convert and the day a lead goes cold (fnl_survival_km),
 * and the same over the engine's deals (fnl_report_time_to_convert).
 * Definitions: docs/roi.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "report.h"

/* Longest time accepted, in days (the cold-day scan walks whole days). */
#define MAX_DAYS 1000000.0

typedef struct obs {
    double t;
    uint8_t ev;
} obs;

static int cmp_obs(const void *a, const void *b)
{
    const obs *x = a, *y = b;
    return (x->t > y->t) - (x->t < y->t);
}

enum { V_TIME, V_AT_RISK, V_CONV, V_CENS, V_SURV, V_CUM, V_HAZ, V_SE,
       V_NCOLS };

static const fnli_colspec km_cols[V_NCOLS] = {
    {"days", FNL_VALUE_NUMBER, FNL_UNIT_DAYS},
    {"at_risk", FNL_VALUE_INT, FNL_UNIT_COUNT},
    {"converted", FNL_VALUE_INT, FNL_UNIT_COUNT},
    {"censored", FNL_VALUE_INT, FNL_UNIT_COUNT},
    {"survival", FNL_VALUE_NUMBER, FNL_UNIT_RATIO},
    {"conversion", FNL_VALUE_NUMBER, FNL_UNIT_RATIO},
    {"hazard", FNL_VALUE_NUMBER, FNL_UNIT_RATIO},
    {"std_error", FNL_VALUE_NUMBER, FNL_UNIT_RATIO},
};

enum { M_N, M_CONV, M_CENS, M_MEDIAN, M_COLD, M_WINDOW, M_THRESH, M_NSUM };

static const fnli_colspec km_sums[M_NSUM] = {
    {"n", FNL_VALUE_INT, FNL_UNIT_COUNT},
    {"conversions", FNL_VALUE_INT, FNL_UNIT_COUNT},
    {"censored", FNL_VALUE_INT, FNL_UNIT_COUNT},
    {"median_days", FNL_VALUE_NUMBER, FNL_UNIT_DAYS},
    {"cold_day", FNL_VALUE_INT, FNL_UNIT_DAYS},
    {"window_days", FNL_VALUE_NUMBER, FNL_UNIT_DAYS},
    {"cold_threshold", FNL_VALUE_NUMBER, FNL_UNIT_RATIO},
};

/* S(t): the survival after the last distinct time <= t (1 before the
 * first).  times[0..n) increasing, surv[i] the value after times[i]. */
static double surv_at(const double *times, const double *surv, size_t n,
                      double t)
{
    size_t lo = 0, hi = n;
    if (n == 0 || t < times[0])
        return 1.0;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (times[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return surv[lo];
}

/* Build the report from observations (sorted here). */
static int km_build(obs *o, size_t n, double window, double thr,
                    const fnl_allocator *alloc, fnli_mem *mem,
                    fnl_report **out)
{
    size_t i, j, nd = 0, row;
    double s = 1.0, gw = 0.0, *times = NULL, *surv = NULL, median = NAN;
    int64_t conv = 0, at_risk = (int64_t)n, cold = -1;
    fnl_report *r = NULL;

    fnli_qsort(o, n, sizeof(*o), cmp_obs);
    for (i = 0; i < n; i = j) {
        for (j = i; j < n && o[j].t == o[i].t; j++)
            ;
        nd++;
    }
    times = fnli_malloc(mem, (nd ? nd : 1) * sizeof(double));
    surv = fnli_malloc(mem, (nd ? nd : 1) * sizeof(double));
    if (times == NULL || surv == NULL ||
        fnli_report_create(&r, alloc, FNL_REPORT_SURVIVAL, NULL, km_cols,
                           V_NCOLS, nd, 0, km_sums, M_NSUM) != FNL_OK)
        goto nomem;
    for (i = 0, row = 0; i < n; i = j, row++) {
        int64_t d = 0, c = 0;
        fnli_cell *cell = fnli_cell_at(r, row, 0);
        for (j = i; j < n && o[j].t == o[i].t; j++) {
            d += o[j].ev;
            c += !o[j].ev;
        }
        /* events at t happen before censoring at t: the censored are still
         * at risk at t (the usual convention) */
        s *= 1.0 - (double)d / (double)at_risk;
        if (at_risk > d)
            gw += (double)d / ((double)at_risk * (double)(at_risk - d));
        times[row] = o[i].t;
        surv[row] = s;
        if (isnan(median) && s <= 0.5)
            median = o[i].t;
        fnli_set_num(&cell[V_TIME], o[i].t);
        fnli_set_int(&cell[V_AT_RISK], at_risk);
        fnli_set_int(&cell[V_CONV], d);
        fnli_set_int(&cell[V_CENS], c);
        fnli_set_num(&cell[V_SURV], s);
        fnli_set_num(&cell[V_CUM], 1.0 - s);
        fnli_set_num(&cell[V_HAZ], (double)d / (double)at_risk);
        /* Greenwood; undefined once S reaches 0 */
        if (s > 0)
            fnli_set_num(&cell[V_SE], s * sqrt(gw));
        conv += d;
        at_risk -= d + c;
    }
    if (n > 0) {
        /* cold day: the first whole day d from which on every day's
         * conditional conversion over the window stays below thr; past the
         * last observed time S is taken as flat */
        int64_t last = (int64_t)floor(o[n - 1].t), dd;
        cold = last + 1;
        for (dd = last; dd >= 0; dd--) {
            double s0 = surv_at(times, surv, nd, (double)dd);
            double s1 = surv_at(times, surv, nd, (double)dd + window);
            double cp = s0 > 0 ? 1.0 - s1 / s0 : 0.0;
            if (cp >= thr)
                break;
            cold = dd;
        }
    }
    fnli_set_int(&r->sum[M_N], (int64_t)n);
    fnli_set_int(&r->sum[M_CONV], conv);
    fnli_set_int(&r->sum[M_CENS], (int64_t)n - conv);
    fnli_set_num(&r->sum[M_MEDIAN], median);
    if (cold >= 0)
        fnli_set_int(&r->sum[M_COLD], cold);
    fnli_set_num(&r->sum[M_WINDOW], window);
    fnli_set_num(&r->sum[M_THRESH], thr);
    fnli_free(mem, times, (nd ? nd : 1) * sizeof(double));
    fnli_free(mem, surv, (nd ? nd : 1) * sizeof(double));
    *out = r;
    return FNL_OK;
nomem:
    fnli_free(mem, times, (nd ? nd : 1) * sizeof(double));
    fnli_free(mem, surv, (nd ? nd : 1) * sizeof(double));
    fnl_report_free(r);
    return FNL_ENOMEM;
}

static int check_params(double window, double thr)
{
    return isfinite(window) && window > 0 && window <= MAX_DAYS &&
           thr >= 0 && thr <= 1;
}

FNL_API int fnl_survival_km(const fnl_survival_request *rq, fnl_report **out)
{
    fnl_survival_request q = FNL_SURVIVAL_REQUEST_INIT;
    fnli_mem mem;
    obs *o;
    size_t i;
    int rc;
    if (rq == NULL || out == NULL ||
        fnli_copy_in(&q, sizeof(q), rq, sizeof(uint32_t)) != FNL_OK)
        return FNL_EINVAL;
    if ((q.n > 0 && (q.days == NULL || q.converted == NULL)) ||
        q.n > SIZE_MAX / sizeof(obs) || !check_params(q.window_days,
                                                      q.cold_threshold))
        return FNL_EINVAL;
    for (i = 0; i < q.n; i++)
        if (!(q.days[i] >= 0 && q.days[i] <= MAX_DAYS) || q.converted[i] > 1)
            return FNL_EINVAL;
    if ((rc = fnli_mem_init(&mem, q.allocator)) != FNL_OK)
        return rc;
    o = fnli_malloc(&mem, (q.n ? q.n : 1) * sizeof(obs));
    if (o == NULL)
        return FNL_ENOMEM;
    for (i = 0; i < q.n; i++) {
        o[i].t = q.days[i];
        o[i].ev = q.converted[i];
    }
    rc = km_build(o, q.n, q.window_days, q.cold_threshold, q.allocator, &mem,
                  out);
    fnli_free(&mem, o, (q.n ? q.n : 1) * sizeof(obs));
    return rc;
}

FNL_API int fnl_report_time_to_convert(const fnl_engine *e,
                                       const fnl_time_to_convert_request *rq,
                                       fnl_report **out)
{
    fnl_time_to_convert_request q = FNL_TIME_TO_CONVERT_REQUEST_INIT;
    const fnl_allocator *alloc;
    fnli_mem mem;
    obs *o;
    size_t n = 0, nd;
    uint32_t d;
    int64_t as_of;
    int rc;
    if (e == NULL || rq == NULL || out == NULL)
        return fnli_fail(e, FNL_EINVAL, "time_to_convert: NULL argument");
    if (fnli_copy_in(&q, sizeof(q), rq, sizeof(uint32_t)) != FNL_OK)
        return fnli_fail(e, FNL_EINVAL, "time_to_convert: size not set");
    if (!check_params(q.window_days, q.cold_threshold) || q.from < 0 ||
        q.to < 0 || (q.to != 0 && q.to <= q.from))
        return fnli_fail(e, FNL_EINVAL, "time_to_convert: bad request");
    if ((rc = fnli_report_now(e, q.as_of, &as_of)) != FNL_OK)
        return rc;
    alloc = fnli_report_alloc(e, q.allocator);
    if ((rc = fnli_mem_init(&mem, alloc)) != FNL_OK)
        return fnli_fail(e, rc, "time_to_convert: bad allocator");
    nd = e->dealpool.count - 1;
    o = fnli_malloc(&mem, (nd ? nd : 1) * sizeof(obs));
    if (o == NULL)
        return fnli_fail(e, FNL_ENOMEM, "allocation failed");
    for (d = 1; d <= nd; d++) {
        const fnli_deal *x = DEAL(e, d);
        int64_t end;
        if (x->created < q.from || (q.to != 0 && x->created >= q.to) ||
            x->created > as_of)
            continue;
        /* a deal closed after as_of is still open as of then */
        if (x->status != FNL_DEAL_OPEN && x->closed <= as_of) {
            end = x->closed;
            o[n].ev = x->status == FNL_DEAL_WON;
        } else {
            end = as_of;
            o[n].ev = 0;
        }
        o[n].t = (double)(end - x->created) / (double)DAY_MS;
        if (o[n].t > MAX_DAYS)
            o[n].t = MAX_DAYS;
        n++;
    }
    rc = km_build(o, n, q.window_days, q.cold_threshold, alloc, &mem, out);
    fnli_free(&mem, o, (nd ? nd : 1) * sizeof(obs));
    if (rc != FNL_OK)
        return fnli_fail(e, rc, "allocation failed");
    fnli_clear(e);
    return FNL_OK;
}
