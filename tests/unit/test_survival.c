/* Kaplan-Meier time to convert, checked against a table computed by hand. */
#include "../dump.h"
#include "../failalloc.h"
#include "../test.h"
#include "funnelcore.h"
#include "funnelcore.h"

#define DAY INT64_C(86400000)
#define JAN1 INT64_C(1704067200000) /* 2024-01-01T00:00:00Z */

static fnl_report_value at(const fnl_report *r, size_t row, const char *col)
{
    fnl_report_value v = FNL_REPORT_VALUE_INIT;
    size_t c;
    v.type = 99;
    if (fnl_report_column_find(r, col, &c) == FNL_OK)
        fnl_report_value_get(r, row, c, &v);
    return v;
}

static fnl_report_value sum(const fnl_report *r, const char *name)
{
    fnl_report_value v = FNL_REPORT_VALUE_INIT;
    v.type = 99;
    fnl_report_summary_find(r, name, &v);
    return v;
}

/* Ten observations (days, converted), in no particular order:
 *
 *   t   at risk  conv  cens  S(t)                          Greenwood sum
 *   2     10      1     0    1 - 1/10       = 0.9           1/90
 *   3      9      1     1    0.9 x 8/9      = 0.8           + 1/72
 *   5      7      1     1    0.8 x 6/7      = 0.6857142857  + 1/42
 *   8      5      1     0    x 4/5          = 0.5485714286  + 1/20
 *  10      4      0     1    unchanged
 *  12      3      2     0    x 1/3          = 0.1828571429  + 2/3
 *  15      1      0     1    unchanged
 *
 * Median: the first time S <= 0.5: 12 days.  SE at 8: S x sqrt(1/90 +
 * 1/72 + 1/42 + 1/20) = 0.5485714286 x sqrt(0.0988095238) = 0.1724377. */
static const double T[] = {12, 3, 5, 2, 15, 8, 5, 12, 10, 3};
static const uint8_t E[] = {1, 0, 1, 1, 0, 1, 0, 1, 0, 1};

static int check_table(const fnl_report *r)
{
    static const double t[] = {2, 3, 5, 8, 10, 12, 15};
    static const int64_t risk[] = {10, 9, 7, 5, 4, 3, 1};
    static const int64_t conv[] = {1, 1, 1, 1, 0, 2, 0};
    static const int64_t cens[] = {0, 1, 1, 0, 1, 0, 1};
    const double s[] = {0.9, 0.8, 0.8 * 6 / 7, 0.8 * 6 / 7 * 4 / 5,
                        0.8 * 6 / 7 * 4 / 5, 0.8 * 6 / 7 * 4 / 5 / 3,
                        0.8 * 6 / 7 * 4 / 5 / 3};
    size_t i;
    if (fnl_report_row_count(r) != 7)
        return 0;
    for (i = 0; i < 7; i++) {
        if (at(r, i, "days").num != t[i] || at(r, i, "at_risk").i != risk[i] ||
            at(r, i, "converted").i != conv[i] ||
            at(r, i, "censored").i != cens[i] ||
            fabs(at(r, i, "survival").num - s[i]) > 1e-12 ||
            fabs(at(r, i, "conversion").num - (1 - s[i])) > 1e-12 ||
            fabs(at(r, i, "hazard").num - (double)conv[i] / (double)risk[i]) >
                1e-12)
            return 0;
    }
    if (fabs(at(r, 3, "std_error").num - 0.1724377) > 1e-6 ||
        fabs(s[3] - 0.5485714286) > 1e-9)
        return 0;
    return sum(r, "n").i == 10 && sum(r, "conversions").i == 6 &&
           sum(r, "censored").i == 4 && sum(r, "median_days").num == 12;
}

TEST(kaplan_meier_matches_the_hand_computed_table)
{
    fnl_survival_request q = FNL_SURVIVAL_REQUEST_INIT;
    fnl_report *r;
    q.days = T;
    q.converted = E;
    q.n = 10;
    /* cold point, window 5 days: c(d) = 1 - S(d + 5) / S(d).  From day 12
     * on S is flat: c = 0.  Day 11: 1 - S(16) / S(11) = 1 - 0.18286 /
     * 0.54857 = 0.667 >= 0.2, so with threshold 0.2 the cold day is 12 */
    q.window_days = 5;
    q.cold_threshold = 0.2;
    CHECK_OK(fnl_survival_km(&q, &r));
    CHECK(check_table(r));
    CHECK_INT(sum(r, "cold_day").i, 12);
    CHECK_NEAR(sum(r, "window_days").num, 5, 0);
    fnl_report_free(r);
    /* threshold 0.7: days 8..11 give 0.667 < 0.7; day 7: 1 - S(12) / S(7)
     * = 1 - 0.18286 / 0.68571 = 0.733 >= 0.7: the cold day is 8 */
    q.cold_threshold = 0.7;
    CHECK_OK(fnl_survival_km(&q, &r));
    CHECK_INT(sum(r, "cold_day").i, 8);
    fnl_report_free(r);
}

TEST(survival_edge_cases_nothing_converts_and_no_data)
{
    static const double t[] = {1, 2, 3};
    static const uint8_t none[] = {0, 0, 0}, bad[] = {0, 2, 0};
    fnl_survival_request q = FNL_SURVIVAL_REQUEST_INIT;
    fnl_report *r;
    char js[2048];
    q.days = t;
    q.converted = none;
    q.n = 3;
    CHECK_OK(fnl_survival_km(&q, &r));
    /* S stays 1: no median, cold from day 0 */
    CHECK_NEAR(at(r, 2, "survival").num, 1, 0);
    CHECK_INT(sum(r, "median_days").type, FNL_VALUE_NULL);
    CHECK_INT(sum(r, "cold_day").i, 0);
    fnl_report_free(r);
    q.n = 0;
    CHECK_OK(fnl_survival_km(&q, &r));
    CHECK_INT(fnl_report_row_count(r), 0);
    CHECK_INT(sum(r, "cold_day").type, FNL_VALUE_NULL);
    CHECK_OK(fnl_report_json(r, js, sizeof(js), NULL));
    CHECK(strstr(js, "\"summary\":{\"n\":0,\"conversions\":0,\"censored\":0,"
                     "\"median_days\":null,\"cold_day\":null,"
                     "\"window_days\":30,\"cold_threshold\":0.05}") != NULL);
    CHECK(strstr(js, "\"rows\":[]}") != NULL);
    CHECK(strstr(js, "\"currency\":null") != NULL);
    fnl_report_free(r);
    q.n = 3;
    q.converted = bad;
    CHECK_INT(fnl_survival_km(&q, &r), FNL_EINVAL);
    q.converted = none;
    q.window_days = 0;
    CHECK_INT(fnl_survival_km(&q, &r), FNL_EINVAL);
    q.window_days = 5;
    q.days = NULL;
    CHECK_INT(fnl_survival_km(&q, &r), FNL_EINVAL);
}

static int add_deal(fnl_engine *e, const char *id, int64_t created,
                    int64_t closed, uint32_t status)
{
    fnl_deal_update u = FNL_DEAL_UPDATE_INIT;
    u.id = id;
    u.created = created;
    u.closed = closed;
    u.status = status;
    u.amount = 100;
    return fnl_deal_upsert(e, &u, NULL);
}

/* The same ten observations as deals: won = converted at close, lost =
 * censored at close, open = censored at as_of (Jan 16). */
static fnl_engine *ten_deals(const fnl_allocator *a)
{
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_engine *e;
    cfg.allocator = a;
    if (fnl_engine_open(&e, &cfg) != FNL_OK)
        return NULL;
    if (add_deal(e, "w2", JAN1, JAN1 + 2 * DAY, FNL_DEAL_WON) ||
        add_deal(e, "l3", JAN1, JAN1 + 3 * DAY, FNL_DEAL_LOST) ||
        add_deal(e, "w3", JAN1, JAN1 + 3 * DAY, FNL_DEAL_WON) ||
        add_deal(e, "w5", JAN1, JAN1 + 5 * DAY, FNL_DEAL_WON) ||
        add_deal(e, "l5", JAN1, JAN1 + 5 * DAY, FNL_DEAL_LOST) ||
        add_deal(e, "w8", JAN1, JAN1 + 8 * DAY, FNL_DEAL_WON) ||
        add_deal(e, "o10", JAN1 + 5 * DAY, 0, FNL_DEAL_OPEN) ||
        add_deal(e, "w12a", JAN1, JAN1 + 12 * DAY, FNL_DEAL_WON) ||
        add_deal(e, "w12b", JAN1 + DAY, JAN1 + 13 * DAY, FNL_DEAL_WON) ||
        add_deal(e, "o15", JAN1, 0, FNL_DEAL_OPEN) ||
        /* created after as_of: not observed yet */
        add_deal(e, "late", JAN1 + 20 * DAY, JAN1 + 21 * DAY, FNL_DEAL_WON))
        return NULL;
    return e;
}

TEST(time_to_convert_over_deals_censors_lost_and_open_deals)
{
    fnl_engine *e = ten_deals(NULL);
    fnl_time_to_convert_request q = FNL_TIME_TO_CONVERT_REQUEST_INIT;
    fnl_report *r;
    CHECK(e != NULL);
    q.as_of = JAN1 + 15 * DAY;
    q.window_days = 5;
    q.cold_threshold = 0.2;
    CHECK_OK(fnl_report_time_to_convert(e, &q, &r));
    CHECK(check_table(r));
    CHECK_INT(sum(r, "cold_day").i, 12);
    fnl_report_free(r);
    q.window_days = -1;
    CHECK_INT(fnl_report_time_to_convert(e, &q, &r), FNL_EINVAL);
    fnl_engine_close(e);
}

TEST(every_allocation_failure_in_survival_is_enomem_and_changes_nothing)
{
    failalloc fa = {-1, 0, 0, 0, 0};
    fnl_allocator a = fa_table(&fa);
    fnl_engine *e = ten_deals(&a);
    char *before, *after;
    long n;
    CHECK(e != NULL);
    before = dump_engine(e);
    for (n = 0;; n++) {
        fnl_time_to_convert_request q = FNL_TIME_TO_CONVERT_REQUEST_INIT;
        fnl_report *r = NULL;
        long long out0 = fa.outstanding;
        int rc;
        q.as_of = JAN1 + 15 * DAY;
        fa_arm(&fa, n, 1);
        rc = fnl_report_time_to_convert(e, &q, &r);
        fa_disarm(&fa);
        if (rc == FNL_OK) {
            fnl_report_free(r);
            CHECK_INT(fa.outstanding, out0);
            break;
        }
        CHECK_INT(rc, FNL_ENOMEM);
        CHECK(r == NULL);
        CHECK_INT(fa.outstanding, out0);
    }
    CHECK(n >= 3);
    for (n = 0;; n++) {
        fnl_survival_request q = FNL_SURVIVAL_REQUEST_INIT;
        fnl_report *r = NULL;
        int rc;
        q.days = T;
        q.converted = E;
        q.n = 10;
        q.allocator = &a;
        fa_arm(&fa, n, 0);
        rc = fnl_survival_km(&q, &r);
        fa_disarm(&fa);
        if (rc == FNL_OK) {
            fnl_report_free(r);
            break;
        }
        CHECK_INT(rc, FNL_ENOMEM);
    }
    after = dump_engine(e);
    CHECK_STR(after, before);
    free(before);
    free(after);
    fnl_engine_close(e);
    CHECK_INT(fa.outstanding, 0);
}

int main(void)
{
    RUN(kaplan_meier_matches_the_hand_computed_table);
    RUN(survival_edge_cases_nothing_converts_and_no_data);
    RUN(time_to_convert_over_deals_censors_lost_and_open_deals);
    RUN(every_allocation_failure_in_survival_is_enomem_and_changes_nothing);
    TEST_MAIN_END();
}
