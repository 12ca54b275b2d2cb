/* Budget allocation: proportional within minimums and caps, phased, and
 * exact to the minor unit. */
#include "../failalloc.h"
#include "../test.h"
#include "funnelcore.h"
#include "funnelcore.h"

static fnl_report_value at(const fnl_report *r, size_t row, const char *col)
{
    fnl_report_value v = FNL_REPORT_VALUE_INIT;
    size_t c;
    v.type = 99;
    if (fnl_report_column_find(r, col, &c) == FNL_OK)
        fnl_report_value_get(r, row, c, &v);
    return v;
}

TEST(budget_splits_by_contribution_within_minimums_and_caps)
{
    /* total 1,000,000.  A 50, B 30 capped at 200,000, C 20 with minimum
     * 150,000, D weight 0 with minimum 50,000.  Try lambda with B capped
     * and C at its minimum: 50 l + 200,000 + 150,000 + 50,000 = 1,000,000
     * gives l = 12,000, but then C = 240,000 is above its minimum, so C is
     * proportional: 70 l = 1,000,000 - 250,000, l = 10,714.2857; B's 30 l =
     * 321,428 is above its cap (so capped: consistent).  A = 535,714.29,
     * C = 214,285.71, B = 200,000, D = 50,000.  Floors sum to 999,999;
     * the unit goes to the larger remainder (C: .71): C = 214,286. */
    fnl_budget_line l[4] = {{"A", 50, 0, -1},
                            {"B", 30, 0, 200000},
                            {"C", 20, 150000, -1},
                            {"D", 0, 50000, -1}};
    fnl_budget_request q = FNL_BUDGET_REQUEST_INIT;
    fnl_report *r;
    char csv[1024];
    q.total = 1000000;
    q.lines = l;
    q.line_count = 4;
    CHECK_OK(fnl_budget_allocate(&q, &r));
    CHECK_INT(fnl_report_row_count(r), 4);
    CHECK_INT(at(r, 0, "amount").i, 535714);
    CHECK_INT(at(r, 1, "amount").i, 200000);
    CHECK_INT(at(r, 2, "amount").i, 214286);
    CHECK_INT(at(r, 3, "amount").i, 50000);
    CHECK_NEAR(at(r, 0, "share").num, 0.535714, 1e-12);
    CHECK_INT(at(r, 0, "cap").type, FNL_VALUE_NULL);
    /* quarters: A 535,714 / 4 = 133,928.5: two units to q1, q2 (equal
     * remainders, earlier first); C 214,286 / 4 = 53,571.5 likewise */
    CHECK_INT(at(r, 0, "q1").i, 133929);
    CHECK_INT(at(r, 0, "q2").i, 133929);
    CHECK_INT(at(r, 0, "q3").i, 133928);
    CHECK_INT(at(r, 0, "q4").i, 133928);
    CHECK_INT(at(r, 2, "q1").i, 53572);
    CHECK_INT(at(r, 2, "q4").i, 53571);
    CHECK_INT(at(r, 3, "q3").i, 12500);
    /* totals: 133,929 + 50,000 + 53,572 + 12,500 = 250,001 */
    CHECK_INT(at(r, FNL_REPORT_TOTALS, "amount").i, 1000000);
    CHECK_INT(at(r, FNL_REPORT_TOTALS, "q1").i, 250001);
    CHECK_INT(at(r, FNL_REPORT_TOTALS, "q4").i, 249999);
    CHECK_OK(fnl_report_csv(r, csv, sizeof(csv), NULL));
    CHECK_STR(csv, "line,weight,share,min,cap,amount,q1,q2,q3,q4\n"
                   "A,50,0.535714,0,,535714,133929,133929,133928,133928\n"
                   "B,30,0.2,0,200000,200000,50000,50000,50000,50000\n"
                   "C,20,0.214286,150000,,214286,53572,53572,53571,53571\n"
                   "D,0,0.05,50000,,50000,12500,12500,12500,12500\n");
    fnl_report_free(r);
}

TEST(budget_edge_cases_are_exact_or_refused)
{
    fnl_budget_line z[3] = {{"x", 0, 0, -1}, {"y", 0, 0, -1}, {"z", 0, 0, -1}};
    fnl_budget_line c[2] = {{"a", 1, 0, 100}, {"b", 3, 0, 100}};
    fnl_budget_line m[2] = {{"a", 1, 60, -1}, {"b", 3, 40, -1}};
    fnl_budget_line one[1] = {{"solo", 1, 0, -1}};
    double pw[4] = {1, 1, 1, 2};
    fnl_budget_request q = FNL_BUDGET_REQUEST_INIT;
    fnl_report *r;
    /* all weights 0: equal shares, 100 / 3 = 33.33: 34, 33, 33 */
    q.total = 100;
    q.lines = z;
    q.line_count = 3;
    CHECK_OK(fnl_budget_allocate(&q, &r));
    CHECK_INT(at(r, 0, "amount").i, 34);
    CHECK_INT(at(r, 1, "amount").i, 33);
    CHECK_INT(at(r, 2, "amount").i, 33);
    fnl_report_free(r);
    /* caps that cannot take the total: refused */
    q.lines = c;
    q.line_count = 2;
    q.total = 201;
    CHECK_INT(fnl_budget_allocate(&q, &r), FNL_ERANGE);
    /* exactly the caps: both capped */
    q.total = 200;
    CHECK_OK(fnl_budget_allocate(&q, &r));
    CHECK_INT(at(r, 0, "amount").i, 100);
    CHECK_INT(at(r, 1, "amount").i, 100);
    fnl_report_free(r);
    /* 120 with caps 100: were b capped, a = 20 = l and b = 3 l = 60 < 100,
     * a contradiction; so neither is capped: 4 l = 120, a = 30, b = 90 */
    q.total = 120;
    CHECK_OK(fnl_budget_allocate(&q, &r));
    CHECK_INT(at(r, 0, "amount").i, 30);
    CHECK_INT(at(r, 1, "amount").i, 90);
    fnl_report_free(r);
    /* 160: 4 l = 160 gives b = 120 > 100, so b = 100 and a = 60 */
    q.total = 160;
    CHECK_OK(fnl_budget_allocate(&q, &r));
    CHECK_INT(at(r, 0, "amount").i, 60);
    CHECK_INT(at(r, 1, "amount").i, 100);
    fnl_report_free(r);
    /* minimums above the total: refused; equal to it: all at minimum */
    q.lines = m;
    q.total = 99;
    CHECK_INT(fnl_budget_allocate(&q, &r), FNL_ERANGE);
    q.total = 100;
    CHECK_OK(fnl_budget_allocate(&q, &r));
    CHECK_INT(at(r, 0, "amount").i, 60);
    CHECK_INT(at(r, 1, "amount").i, 40);
    fnl_report_free(r);
    /* 200 with minimums 60 / 40, weights 1 / 3: proportional would give
     * a 50 (< 60), so a = 60 and b = 140 */
    q.total = 200;
    CHECK_OK(fnl_budget_allocate(&q, &r));
    CHECK_INT(at(r, 0, "amount").i, 60);
    CHECK_INT(at(r, 1, "amount").i, 140);
    fnl_report_free(r);
    /* phases weighted 1, 1, 1, 2 of 100: 20, 20, 20, 40; named phase_N */
    q.lines = one;
    q.line_count = 1;
    q.total = 100;
    q.phases = 4;
    q.phase_weights = pw;
    CHECK_OK(fnl_budget_allocate(&q, &r));
    CHECK_INT(at(r, 0, "phase_1").i, 20);
    CHECK_INT(at(r, 0, "phase_4").i, 40);
    fnl_report_free(r);
    /* zero total */
    q.total = 0;
    CHECK_OK(fnl_budget_allocate(&q, &r));
    CHECK_INT(at(r, 0, "amount").i, 0);
    CHECK_INT(at(r, 0, "share").type, FNL_VALUE_NULL);
    fnl_report_free(r);
    q.total = -1;
    CHECK_INT(fnl_budget_allocate(&q, &r), FNL_EINVAL);
    q.total = 1;
    q.line_count = 0;
    CHECK_INT(fnl_budget_allocate(&q, &r), FNL_EINVAL);
}

static uint64_t rng(uint64_t *s)
{
    uint64_t x = *s += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

/* Random budgets: sums exact, bounds kept, and (naive check of
 * proportionality) lines strictly inside their bounds get amounts within
 * one unit of lambda x weight for one common lambda. */
TEST(random_budgets_sum_exactly_and_stay_proportional)
{
    uint64_t seed = 7;
    int round;
    for (round = 0; round < 300; round++) {
        fnl_budget_line l[12];
        char names[12][24];
        fnl_budget_request q = FNL_BUDGET_REQUEST_INIT;
        fnl_report *r;
        size_t n = 1 + rng(&seed) % 12, i;
        int64_t minsum = 0, sum = 0;
        double a0 = -1, w0 = 0;
        int rc, p;
        for (i = 0; i < n; i++) {
            snprintf(names[i], sizeof(names[i]), "l%zu", i);
            l[i].name = names[i];
            l[i].weight = (double)(rng(&seed) % 1000) / 7.0;
            l[i].min = (int64_t)(rng(&seed) % 3 ? 0 : rng(&seed) % 50000);
            l[i].cap = rng(&seed) % 3
                           ? -1
                           : l[i].min + (int64_t)(rng(&seed) % 90000);
            minsum += l[i].min;
        }
        q.total = minsum + (int64_t)(rng(&seed) % 1000000);
        q.lines = l;
        q.line_count = n;
        q.phases = 1 + (uint32_t)(rng(&seed) % 12);
        rc = fnl_budget_allocate(&q, &r);
        if (rc == FNL_ERANGE)
            continue;
        CHECK_OK(rc);
        for (i = 0; i < n; i++) {
            int64_t a = at(r, i, "amount").i, ps = 0;
            char pn[24];
            CHECK(a >= l[i].min && (l[i].cap < 0 || a <= l[i].cap));
            sum += a;
            for (p = 1; p <= (int)q.phases; p++) {
                snprintf(pn, sizeof(pn), "phase_%d", p);
                ps += at(r, i, pn).i;
            }
            CHECK_INT(ps, a);
            if (l[i].weight > 1 && a > l[i].min + 1 &&
                (l[i].cap < 0 || a < l[i].cap - 1)) {
                /* |a_i - lambda w_i| <= 1 for each such line, so against
                 * the first one: |a_i - a_0 w_i / w_0| <= 1 + w_i / w_0 */
                if (a0 < 0) {
                    a0 = (double)a;
                    w0 = l[i].weight;
                }
                CHECK(fabs((double)a - a0 * l[i].weight / w0) <=
                      1 + l[i].weight / w0 + 1e-6);
            }
        }
        CHECK_INT(sum, q.total);
        fnl_report_free(r);
    }
}

TEST(every_allocation_failure_in_budget_is_enomem_and_leaks_nothing)
{
    failalloc fa = {-1, 0, 0, 0, 0};
    fnl_allocator a = fa_table(&fa);
    fnl_budget_line l[3] = {
        {"a", 1, 0, -1}, {"b", 2, 10, 500}, {"c", 0, 5, -1}};
    fnl_budget_request q = FNL_BUDGET_REQUEST_INIT;
    long n;
    q.total = 10000;
    q.lines = l;
    q.line_count = 3;
    q.allocator = &a;
    for (n = 0;; n++) {
        fnl_report *r = NULL;
        int rc;
        fa_arm(&fa, n, 1);
        rc = fnl_budget_allocate(&q, &r);
        fa_disarm(&fa);
        if (rc == FNL_OK) {
            fnl_report_free(r);
            break;
        }
        CHECK_INT(rc, FNL_ENOMEM);
        CHECK(r == NULL);
        CHECK_INT(fa.outstanding, 0);
    }
    CHECK(n > 5);
    CHECK_INT(fa.outstanding, 0);
}

int main(void)
{
    RUN(budget_splits_by_contribution_within_minimums_and_caps);
    RUN(budget_edge_cases_are_exact_or_refused);
    RUN(random_budgets_sum_exactly_and_stay_proportional);
    RUN(every_allocation_failure_in_budget_is_enomem_and_leaks_nothing);
    TEST_MAIN_END();
}
