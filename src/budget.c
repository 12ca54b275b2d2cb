/* budget.c -- top-down budget allocation in proportion to last period's
 * contribution, within per-line minimums and caps, phased over quarters
 * (or any number of phases), rounded to minor units by largest remainder
 * so that everything sums exactly (fnl_budget_allocate).  Definition:
 * docs/roi.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "report.h"
#include "text.h"

typedef struct frac {
    double f;
    size_t i;
} frac;

static int cmp_frac(const void *a, const void *b)
{
    const frac *x = a, *y = b;
    if (x->f != y->f)
        return x->f > y->f ? -1 : 1; /* larger remainder first */
    return (x->i > y->i) - (x->i < y->i);
}

/* Round x[0..n) (each within [lim[i].min, lim[i].cap], cap < 0: none;
 * lim NULL: no bounds) to integers summing to total: floors, then +1 to the
 * largest remainders (ties: lower index).  Float error in x is absorbed:
 * the correction never leaves the bounds. */
static void lr_round(const double *x, size_t n, int64_t total,
                     const fnl_budget_line *lim, int64_t *out, frac *tmp)
{
    int64_t sum = 0, k;
    size_t i, pass;
    for (i = 0; i < n; i++) {
        double f = floor(x[i]);
        int64_t v = (int64_t)f;
        if (lim && v < lim[i].min)
            v = lim[i].min;
        if (lim && lim[i].cap >= 0 && v > lim[i].cap)
            v = lim[i].cap;
        out[i] = v;
        sum += v;
        tmp[i].f = x[i] - (double)v;
        tmp[i].i = i;
    }
    fnli_qsort(tmp, n, sizeof(*tmp), cmp_frac);
    k = total - sum;
    for (pass = 0; k > 0 && pass < 64; pass++)
        for (i = 0; i < n && k > 0; i++) {
            size_t j = tmp[i].i;
            if (lim && lim[j].cap >= 0 && out[j] >= lim[j].cap)
                continue;
            out[j]++;
            k--;
        }
    for (pass = 0; k < 0 && pass < 64; pass++)
        for (i = n; i > 0 && k < 0; i--) {
            size_t j = tmp[i - 1].i;
            if ((lim && out[j] <= lim[j].min) || out[j] <= 0)
                continue;
            out[j]--;
            k++;
        }
}

static double clampd(double v, double lo, double hi)
{
    if (v < lo)
        v = lo;
    if (hi >= 0 && v > hi)
        v = hi;
    return v;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* f(lambda) = sum clamp(lambda w_i, min_i, cap_i). */
static double fsum(const fnl_budget_line *l, const double *w, size_t n,
                   double lam)
{
    double s = 0;
    size_t i;
    for (i = 0; i < n; i++)
        s += clampd(lam * w[i], (double)l[i].min,
                    l[i].cap < 0 ? -1.0 : (double)l[i].cap);
    return s;
}

/* lambda with f(lambda) = total, exactly on the linear piece it lies on. */
static double solve_lambda(const fnl_budget_line *l, const double *w,
                           size_t n, double total, double *bp)
{
    size_t nb = 0, k, i;
    double lo = 0, hi, mid, c = 0, ws = 0;
    for (i = 0; i < n; i++) {
        if (w[i] <= 0)
            continue;
        bp[nb++] = (double)l[i].min / w[i];
        if (l[i].cap >= 0)
            bp[nb++] = (double)l[i].cap / w[i];
    }
    fnli_qsort(bp, nb, sizeof(double), cmp_dbl);
    for (k = 0; k < nb && fsum(l, w, n, bp[k]) < total; k++)
        lo = bp[k];
    hi = k < nb ? bp[k] : (lo > 0 ? lo * 2 : 1);
    /* classify every line at the middle of the piece: fixed or linear */
    mid = k < nb ? (lo + hi) / 2 : hi;
    for (i = 0; i < n; i++) {
        double v = mid * w[i];
        if (w[i] > 0 && v > (double)l[i].min &&
            (l[i].cap < 0 || v < (double)l[i].cap))
            ws += w[i];
        else
            c += clampd(v, (double)l[i].min,
                        l[i].cap < 0 ? -1.0 : (double)l[i].cap);
    }
    return ws > 0 ? (total - c) / ws : lo;
}

static const fnli_colspec fixed_cols[] = {
    {"line", FNL_VALUE_STRING, FNL_UNIT_LABEL},
    {"weight", FNL_VALUE_NUMBER, FNL_UNIT_COUNT},
    {"share", FNL_VALUE_NUMBER, FNL_UNIT_RATIO},
    {"min", FNL_VALUE_INT, FNL_UNIT_MONEY},
    {"cap", FNL_VALUE_INT, FNL_UNIT_MONEY},
    {"amount", FNL_VALUE_INT, FNL_UNIT_MONEY},
};
#define NFIXED 6

static const fnli_colspec budget_sums[] = {
    {"total", FNL_VALUE_INT, FNL_UNIT_MONEY},
    {"lines", FNL_VALUE_INT, FNL_UNIT_COUNT},
    {"phases", FNL_VALUE_INT, FNL_UNIT_COUNT},
    {"per_weight", FNL_VALUE_NUMBER, FNL_UNIT_MONEY},
};

FNL_API int fnl_budget_allocate(const fnl_budget_request *rq,
                                fnl_report **out)
{
    fnl_budget_request q = FNL_BUDGET_REQUEST_INIT;
    fnli_mem mem;
    fnli_colspec *cols = NULL;
    char (*pnames)[24] = NULL;
    double *w = NULL, *x = NULL, *bp = NULL, *px = NULL, wsum = 0, psum = 0;
    double lam = 0;
    int64_t *amt = NULL, *ph = NULL, minsum = 0, maxsum = 0, *phtot = NULL;
    frac *tmp = NULL;
    fnl_report *r = NULL;
    uint32_t cur, np;
    char curs[4];
    size_t n, i, j, tn;
    int rc = FNL_ENOMEM, unbounded = 0;

    if (rq == NULL || out == NULL ||
        fnli_copy_in(&q, sizeof(q), rq, sizeof(uint32_t)) != FNL_OK)
        return FNL_EINVAL;
    n = q.line_count;
    np = q.phases ? q.phases : 4;
    if (q.total < 0 || q.lines == NULL || n < 1 || n > FNL_BUDGET_MAX_LINES ||
        np > FNL_BUDGET_MAX_PHASES ||
        fnli_report_currency(q.currency, &cur, curs) != FNL_OK)
        return FNL_EINVAL;
    for (i = 0; i < n; i++) {
        const fnl_budget_line *l = &q.lines[i];
        if (l->name == NULL || l->name[0] == '\0' ||
            strlen(l->name) > FNL_MAX_STRING ||
            !fnli_utf8_valid(l->name, strlen(l->name)) ||
            !isfinite(l->weight) || l->weight < 0 || l->min < 0 ||
            (l->cap >= 0 && l->cap < l->min))
            return FNL_EINVAL;
        if (fnli_add_i64(&minsum, l->min))
            return FNL_ERANGE;
        wsum += l->weight;
    }
    for (j = 0; q.phase_weights && j < np; j++) {
        if (!isfinite(q.phase_weights[j]) || q.phase_weights[j] < 0)
            return FNL_EINVAL;
        psum += q.phase_weights[j];
    }
    if (q.phase_weights && !(psum > 0))
        return FNL_EINVAL;
    if (minsum > q.total)
        return FNL_ERANGE;
    if ((rc = fnli_mem_init(&mem, q.allocator)) != FNL_OK)
        return rc;
    rc = FNL_ENOMEM;
    tn = n > np ? n : np;
    w = fnli_malloc(&mem, n * sizeof(double));
    x = fnli_malloc(&mem, n * sizeof(double));
    bp = fnli_malloc(&mem, 2 * n * sizeof(double));
    amt = fnli_malloc(&mem, n * sizeof(int64_t));
    tmp = fnli_malloc(&mem, tn * sizeof(frac));
    px = fnli_malloc(&mem, np * sizeof(double));
    ph = fnli_malloc(&mem, np * sizeof(int64_t));
    phtot = fnli_calloc(&mem, np, sizeof(int64_t));
    cols = fnli_malloc(&mem, (NFIXED + np) * sizeof(fnli_colspec));
    pnames = fnli_malloc(&mem, np * sizeof(*pnames));
    if (!w || !x || !bp || !amt || !tmp || !px || !ph || !phtot || !cols ||
        !pnames)
        goto done;
    /* weights: all zero means equal shares */
    for (i = 0; i < n; i++) {
        const fnl_budget_line *l = &q.lines[i];
        w[i] = wsum > 0 ? q.lines[i].weight : 1.0;
        /* no limit: a weighted line without a cap, or caps (and the
         * minimums of unweighted lines) that alone exceed int64 */
        if ((w[i] > 0 && l->cap < 0) ||
            (!unbounded &&
             fnli_add_i64(&maxsum, w[i] > 0 ? l->cap : l->min)))
            unbounded = 1;
    }
    if (!unbounded && maxsum < q.total) {
        rc = FNL_ERANGE;
        goto done;
    }
    if (minsum == q.total) {
        for (i = 0; i < n; i++)
            x[i] = (double)q.lines[i].min;
    } else {
        lam = solve_lambda(q.lines, w, n, (double)q.total, bp);
        for (i = 0; i < n; i++)
            x[i] = clampd(lam * w[i], (double)q.lines[i].min,
                          q.lines[i].cap < 0 ? -1.0
                                             : (double)q.lines[i].cap);
    }
    lr_round(x, n, q.total, q.lines, amt, tmp);
    memcpy(cols, fixed_cols, sizeof(fixed_cols));
    for (j = 0; j < np; j++) {
        if (q.phases == 0)
            snprintf(pnames[j], sizeof(pnames[j]), "q%u", (unsigned)j + 1);
        else
            snprintf(pnames[j], sizeof(pnames[j]), "phase_%u",
                     (unsigned)j + 1);
        cols[NFIXED + j].name = pnames[j];
        cols[NFIXED + j].type = FNL_VALUE_INT;
        cols[NFIXED + j].unit = FNL_UNIT_MONEY;
    }
    if (fnli_report_create(&r, q.allocator, FNL_REPORT_BUDGET, curs, cols,
                           NFIXED + np, n, 1, budget_sums, 4) != FNL_OK)
        goto done;
    for (i = 0; i < n; i++) {
        fnli_cell *c = fnli_cell_at(r, i, 0);
        const fnl_budget_line *l = &q.lines[i];
        if (fnli_set_str(r, &c[0], l->name, strlen(l->name)))
            goto done;
        fnli_set_num(&c[1], l->weight);
        fnli_set_ratio(&c[2], (double)amt[i], (double)q.total);
        fnli_set_int(&c[3], l->min);
        if (l->cap >= 0)
            fnli_set_int(&c[4], l->cap);
        fnli_set_int(&c[5], amt[i]);
        for (j = 0; j < np; j++)
            px[j] = (double)amt[i] *
                    (q.phase_weights ? q.phase_weights[j] / psum
                                     : 1.0 / (double)np);
        lr_round(px, np, amt[i], NULL, ph, tmp);
        for (j = 0; j < np; j++) {
            fnli_set_int(&c[NFIXED + j], ph[j]);
            phtot[j] += ph[j];
        }
    }
    {
        fnli_cell *c = fnli_cell_at(r, n, 0);
        fnli_set_num(&c[1], wsum);
        fnli_set_ratio(&c[2], (double)q.total, (double)q.total);
        fnli_set_int(&c[3], minsum);
        fnli_set_int(&c[5], q.total);
        for (j = 0; j < np; j++)
            fnli_set_int(&c[NFIXED + j], phtot[j]);
    }
    fnli_set_int(&r->sum[0], q.total);
    fnli_set_int(&r->sum[1], (int64_t)n);
    fnli_set_int(&r->sum[2], np);
    if (minsum != q.total)
        fnli_set_num(&r->sum[3], lam);
    *out = r;
    r = NULL;
    rc = FNL_OK;
done:
    fnl_report_free(r);
    fnli_free(&mem, w, n * sizeof(double));
    fnli_free(&mem, x, n * sizeof(double));
    fnli_free(&mem, bp, 2 * n * sizeof(double));
    fnli_free(&mem, amt, n * sizeof(int64_t));
    fnli_free(&mem, tmp, tn * sizeof(frac));
    fnli_free(&mem, px, np * sizeof(double));
    fnli_free(&mem, ph, np * sizeof(int64_t));
    fnli_free(&mem, phtot, np * sizeof(int64_t));
    fnli_free(&mem, cols, (NFIXED + np) * sizeof(fnli_colspec));
    fnli_free(&mem, pnames, np * sizeof(*pnames));
    return rc;
}
