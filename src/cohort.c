/* cohort.c -- deals grouped by the period they were created in, with their
 * conversion to won by age (fnl_report_cohort).  Formulas: docs/roi.md. */
#include <stdio.h>
#include <string.h>
#include "engine.h"
#include "report.h"

enum { K_COHORT, K_START, K_END, K_DEALS, K_WON, K_LOST, K_OPEN, K_WON_AMT,
       K_WIN_RATE, K_CONV, K_FIXED };

static const fnli_colspec fixed_cols[K_FIXED] = {
    {"cohort", FNL_VALUE_STRING, FNL_UNIT_LABEL},
    {"cohort_start", FNL_VALUE_INT, FNL_UNIT_TIME},
    {"cohort_end", FNL_VALUE_INT, FNL_UNIT_TIME},
    {"deals", FNL_VALUE_INT, FNL_UNIT_COUNT},
    {"won", FNL_VALUE_INT, FNL_UNIT_COUNT},
    {"lost", FNL_VALUE_INT, FNL_UNIT_COUNT},
    {"open", FNL_VALUE_INT, FNL_UNIT_COUNT},
    {"won_amount", FNL_VALUE_INT, FNL_UNIT_MONEY},
    {"win_rate", FNL_VALUE_NUMBER, FNL_UNIT_RATIO},
    {"won_share", FNL_VALUE_NUMBER, FNL_UNIT_RATIO},
};

static const fnli_colspec cohort_sums[] = {
    {"period", FNL_VALUE_STRING, FNL_UNIT_LABEL},
    {"as_of", FNL_VALUE_INT, FNL_UNIT_TIME},
    {"deals", FNL_VALUE_INT, FNL_UNIT_COUNT},
};

typedef struct cacc {
    int64_t deals, won, lost, open, won_amount;
    int64_t elig[FNL_COHORT_MAX_AGES], conv[FNL_COHORT_MAX_AGES];
} cacc;

static const uint32_t default_ages[] = {30, 60, 90, 180};

FNL_API int fnl_report_cohort(const fnl_engine *e,
                              const fnl_cohort_request *rq, fnl_report **out)
{
    fnl_cohort_request q = FNL_COHORT_REQUEST_INIT;
    fnli_mem mem;
    fnli_colspec cols[K_FIXED + FNL_COHORT_MAX_AGES];
    char names[FNL_COHORT_MAX_AGES][32];
    const uint32_t *ages;
    size_t nages, nb = 0, i, k, ndeals;
    int64_t *b = NULL, as_of, from, to, total = 0;
    cacc *acc = NULL, tot;
    fnl_report *r = NULL;
    uint32_t cur, d;
    char curs[4];
    int rc;

    if (e == NULL || rq == NULL || out == NULL)
        return fnli_fail(e, FNL_EINVAL, "report_cohort: NULL argument");
    if (fnli_copy_in(&q, sizeof(q), rq, sizeof(uint32_t) * 2) != FNL_OK)
        return fnli_fail(e, FNL_EINVAL, "report_cohort: size not set");
    if (fnli_report_currency(q.currency, &cur, curs) != FNL_OK ||
        q.period > FNL_PERIOD_CUSTOM)
        return fnli_fail(e, FNL_EINVAL, "report_cohort: bad request");
    ages = q.ages ? q.ages : default_ages;
    nages = q.ages ? q.age_count : 4;
    if (nages > FNL_COHORT_MAX_AGES)
        return fnli_fail(e, FNL_EINVAL, "report_cohort: more than %d ages",
                         FNL_COHORT_MAX_AGES);
    for (k = 0; k < nages; k++)
        if (ages[k] < 1 || ages[k] > 36500 || (k && ages[k] <= ages[k - 1]))
            return fnli_fail(e, FNL_EINVAL, "report_cohort: bad age %zu", k);
    if ((rc = fnli_report_now(e, q.as_of, &as_of)) != FNL_OK)
        return rc;
    if ((rc = fnli_mem_init(&mem, fnli_report_alloc(e, q.allocator))) !=
        FNL_OK)
        return fnli_fail(e, rc, "report_cohort: bad allocator");

    ndeals = e->dealpool.count - 1;
    from = q.from;
    to = q.to;
    if (from == 0 && to == 0) {
        from = INT64_MAX;
        to = INT64_MIN;
        for (d = 1; d <= ndeals; d++) {
            int64_t c = DEAL(e, d)->created;
            from = c < from ? c : from;
            to = c + 1 > to ? c + 1 : to;
        }
        if (from > to) {
            from = 0;
            to = DAY_MS;
        }
    }
    rc = fnli_buckets(&mem, q.period, from, to, q.boundaries,
                      q.boundary_count, &b, &nb);
    if (rc != FNL_OK)
        return fnli_fail(e, rc, "report_cohort: bad or too many periods");
    acc = fnli_calloc(&mem, nb, sizeof(cacc));
    if (acc == NULL)
        goto nomem;
    for (d = 1; d <= ndeals; d++) {
        const fnli_deal *x = DEAL(e, d);
        size_t bi = fnli_bucket_of(b, nb, x->created);
        cacc *a;
        if (bi == SIZE_MAX)
            continue;
        if (q.period != FNL_PERIOD_CUSTOM && (x->created < from ||
                                              x->created >= to))
            continue;
        a = &acc[bi];
        a->deals++;
        total++;
        if (x->status == FNL_DEAL_WON) {
            int64_t amt;
            if ((rc = fnli_report_convert(e, q.fx, x->amount, x->currency, cur,
                                          x->closed, &amt)) != FNL_OK)
                goto fail;
            a->won++;
            if (fnli_add_i64(&a->won_amount, amt)) {
                rc = fnli_fail(e, FNL_ERANGE, "report_cohort: sum overflows");
                goto fail;
            }
        } else if (x->status == FNL_DEAL_LOST) {
            a->lost++;
        } else {
            a->open++;
        }
        for (k = 0; k < nages; k++) {
            int64_t age_ms = (int64_t)ages[k] * DAY_MS;
            if (as_of - x->created < age_ms)
                break; /* ages increase: not old enough for the rest */
            a->elig[k]++;
            if (x->status == FNL_DEAL_WON && x->closed <= as_of &&
                x->closed - x->created <= age_ms)
                a->conv[k]++;
        }
    }
    for (k = 0; k < nages; k++) {
        snprintf(names[k], sizeof(names[k]), "won_within_%ud",
                 (unsigned)ages[k]);
        cols[K_FIXED + k].name = names[k];
        cols[K_FIXED + k].type = FNL_VALUE_NUMBER;
        cols[K_FIXED + k].unit = FNL_UNIT_RATIO;
    }
    memcpy(cols, fixed_cols, sizeof(fixed_cols));
    if (fnli_report_create(&r, fnli_report_alloc(e, q.allocator),
                           FNL_REPORT_COHORT, curs, cols, K_FIXED + nages, nb,
                           1, cohort_sums, 3) != FNL_OK)
        goto nomem;
    memset(&tot, 0, sizeof(tot));
    for (i = 0; i <= nb; i++) {
        fnli_cell *c = fnli_cell_at(r, i, 0);
        const cacc *a = i < nb ? &acc[i] : &tot;
        if (i < nb) {
            char lab[48];
            fnli_bucket_label(q.period, b[i], lab, sizeof(lab));
            if (fnli_set_str(r, &c[K_COHORT], lab, strlen(lab)))
                goto nomem;
            fnli_set_int(&c[K_START], b[i]);
            fnli_set_int(&c[K_END], b[i + 1]);
            tot.deals += a->deals, tot.won += a->won, tot.lost += a->lost;
            tot.open += a->open;
            if (fnli_add_i64(&tot.won_amount, a->won_amount)) {
                rc = fnli_fail(e, FNL_ERANGE, "report_cohort: sum overflows");
                goto fail;
            }
            for (k = 0; k < nages; k++) {
                tot.elig[k] += a->elig[k];
                tot.conv[k] += a->conv[k];
            }
        }
        fnli_set_int(&c[K_DEALS], a->deals);
        fnli_set_int(&c[K_WON], a->won);
        fnli_set_int(&c[K_LOST], a->lost);
        fnli_set_int(&c[K_OPEN], a->open);
        fnli_set_int(&c[K_WON_AMT], a->won_amount);
        fnli_set_ratio(&c[K_WIN_RATE], (double)a->won,
                       (double)(a->won + a->lost));
        fnli_set_ratio(&c[K_CONV], (double)a->won, (double)a->deals);
        for (k = 0; k < nages; k++)
            fnli_set_ratio(&c[K_FIXED + k], (double)a->conv[k],
                           (double)a->elig[k]);
    }
    if (fnli_set_str(r, &r->sum[0], fnl_period_name(q.period),
                     strlen(fnl_period_name(q.period))))
        goto nomem;
    fnli_set_int(&r->sum[1], as_of);
    fnli_set_int(&r->sum[2], total);
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
    if (acc)
        fnli_free(&mem, acc, nb * sizeof(cacc));
    fnli_free(&mem, b, (nb + 1) * sizeof(int64_t));
    return rc;
}
