/* Periods, proration, currency rates, spend and ROI reports: values
 * computed by hand (arithmetic in the comments). */
#include "../dump.h"
#include "../failalloc.h"
#include "../test.h"
#include "funnelcore.h"
#include "funnelcore.h"

/* A naive civil-date to epoch-ms conversion (counts days year by year),
 * independent of the library's algorithm. */
static int64_t ymd(int y, int m, int d)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t days = 0;
    int i;
    for (i = 1970; i < y; i++)
        days += (i % 4 == 0 && (i % 100 != 0 || i % 400 == 0)) ? 366 : 365;
    for (i = 1; i < m; i++)
        days += mdays[i - 1] +
                (i == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)));
    return (days + d - 1) * INT64_C(86400000);
}

#define DAY INT64_C(86400000)

static char *json_of(const fnl_report *r)
{
    size_t n;
    char *b;
    if (fnl_report_json(r, NULL, 0, &n) != FNL_ERANGE)
        return NULL;
    b = malloc(n);
    if (b && fnl_report_json(r, b, n, NULL) != FNL_OK) {
        free(b);
        return NULL;
    }
    return b;
}

/* Cell (row, column name). */
static fnl_report_value cell(const fnl_report *r, size_t row, const char *col)
{
    fnl_report_value v = FNL_REPORT_VALUE_INIT;
    size_t c;
    v.type = 99;
    if (fnl_report_column_find(r, col, &c) == FNL_OK)
        fnl_report_value_get(r, row, c, &v);
    return v;
}

TEST(period_floor_next_and_labels_follow_the_utc_calendar)
{
    int64_t t = ymd(2024, 3, 5) + 10 * 3600000, s, n;
    char b[32];
    size_t need;
    CHECK_OK(fnl_period_floor(FNL_PERIOD_DAY, t, &s));
    CHECK_INT(s, ymd(2024, 3, 5));
    /* 2024-03-05 is a Tuesday: its ISO week starts Monday 03-04 */
    CHECK_OK(fnl_period_floor(FNL_PERIOD_WEEK, t, &s));
    CHECK_INT(s, ymd(2024, 3, 4));
    CHECK_OK(fnl_period_next(FNL_PERIOD_WEEK, t, &n));
    CHECK_INT(n, ymd(2024, 3, 11));
    CHECK_OK(fnl_period_floor(FNL_PERIOD_MONTH, t, &s));
    CHECK_INT(s, ymd(2024, 3, 1));
    CHECK_OK(fnl_period_next(FNL_PERIOD_MONTH, ymd(2024, 12, 31), &n));
    CHECK_INT(n, ymd(2025, 1, 1));
    CHECK_OK(fnl_period_floor(FNL_PERIOD_QUARTER, t, &s));
    CHECK_INT(s, ymd(2024, 1, 1));
    CHECK_OK(fnl_period_next(FNL_PERIOD_QUARTER, t, &n));
    CHECK_INT(n, ymd(2024, 4, 1));
    CHECK_OK(fnl_period_floor(FNL_PERIOD_YEAR, t, &s));
    CHECK_INT(s, ymd(2024, 1, 1));
    /* the last millisecond of a month belongs to it */
    CHECK_OK(fnl_period_floor(FNL_PERIOD_MONTH, ymd(2024, 3, 1) - 1, &s));
    CHECK_INT(s, ymd(2024, 2, 1));
    CHECK_OK(fnl_period_label(FNL_PERIOD_DAY, t, b, sizeof(b), &need));
    CHECK_STR(b, "2024-03-05");
    CHECK_INT(need, 11);
    CHECK_OK(fnl_period_label(FNL_PERIOD_WEEK, t, b, sizeof(b), NULL));
    CHECK_STR(b, "2024-W10");
    /* 2021-01-03 (Sunday) is in 2020-W53; 2024-12-30 (Monday) in 2025-W01 */
    CHECK_OK(fnl_period_label(FNL_PERIOD_WEEK, ymd(2021, 1, 3), b, 32, NULL));
    CHECK_STR(b, "2020-W53");
    CHECK_OK(fnl_period_floor(FNL_PERIOD_WEEK, ymd(2021, 1, 3), &s));
    CHECK_INT(s, ymd(2020, 12, 28));
    CHECK_OK(fnl_period_label(FNL_PERIOD_WEEK, ymd(2024, 12, 30), b, 32, NULL));
    CHECK_STR(b, "2025-W01");
    CHECK_OK(fnl_period_label(FNL_PERIOD_MONTH, t, b, sizeof(b), NULL));
    CHECK_STR(b, "2024-03");
    CHECK_OK(fnl_period_label(FNL_PERIOD_QUARTER, ymd(2024, 9, 30), b, 32,
                              NULL));
    CHECK_STR(b, "2024-Q3");
    CHECK_OK(fnl_period_label(FNL_PERIOD_YEAR, t, b, sizeof(b), NULL));
    CHECK_STR(b, "2024");
    CHECK_INT(fnl_period_label(FNL_PERIOD_YEAR, t, b, 4, &need), FNL_ERANGE);
    CHECK_INT(need, 5);
    CHECK_INT(fnl_period_floor(FNL_PERIOD_CUSTOM, t, &s), FNL_EINVAL);
    CHECK_INT(fnl_period_floor(FNL_PERIOD_DAY, -1, &s), FNL_EINVAL);
    CHECK_STR(fnl_period_name(FNL_PERIOD_QUARTER), "quarter");
}

TEST(proration_is_by_milliseconds_with_largest_remainders)
{
    int64_t out[4];
    int64_t cut[3];
    /* 3100 over [Jan 15, Feb 15) 2024 = 31 days; Jan 15..31 is 17 days:
     * 3100 x 17 / 31 = 1700 exactly, Feb 1..14 gets 1400 */
    cut[0] = ymd(2024, 2, 1);
    CHECK_OK(fnl_prorate(3100, ymd(2024, 1, 15), ymd(2024, 2, 15), cut, 1,
                         out));
    CHECK_INT(out[0], 1700);
    CHECK_INT(out[1], 1400);
    /* 100 over three equal days: 33.33 each, floors 99, the one unit left
     * goes to the earliest of equal remainders: 34, 33, 33 */
    cut[0] = DAY;
    cut[1] = 2 * DAY;
    CHECK_OK(fnl_prorate(100, 0, 3 * DAY, cut, 2, out));
    CHECK_INT(out[0], 34);
    CHECK_INT(out[1], 33);
    CHECK_INT(out[2], 33);
    /* 200 over [0, 3 days), cuts at 1 and 2 days: 66.67 each; two units
     * left go to the first two (equal remainders, earlier first) */
    CHECK_OK(fnl_prorate(200, 0, 3 * DAY, cut, 2, out));
    CHECK_INT(out[0], 67);
    CHECK_INT(out[1], 67);
    CHECK_INT(out[2], 66);
    /* a cut exactly at the start or the end: all on one side */
    cut[0] = 5 * DAY;
    cut[1] = 7 * DAY;
    CHECK_OK(fnl_prorate(999, 5 * DAY, 7 * DAY, cut, 2, out));
    CHECK_INT(out[0], 0);
    CHECK_INT(out[1], 999);
    CHECK_INT(out[2], 0);
    /* 1 ms of a 1-day cost before a cut: 1000 x 1 / 86400000 = 0.0000116;
     * floors 0 and 999, the unit goes to the larger remainder (after) */
    cut[0] = 1;
    CHECK_OK(fnl_prorate(1000, 0, DAY, cut, 1, out));
    CHECK_INT(out[0], 0);
    CHECK_INT(out[1], 1000);
    /* 10 over [0, 10 days) against the range [2 days, 5 days):
     * before 2, inside 3, after 5 */
    cut[0] = 2 * DAY;
    cut[1] = 5 * DAY;
    CHECK_OK(fnl_prorate(10, 0, 10 * DAY, cut, 2, out));
    CHECK_INT(out[0], 2);
    CHECK_INT(out[1], 3);
    CHECK_INT(out[2], 5);
    /* no cuts: everything in the one slice; large amounts stay exact */
    CHECK_OK(fnl_prorate(INT64_MAX, 0, 3, NULL, 0, out));
    CHECK_INT(out[0], INT64_MAX);
    cut[0] = 1;
    cut[1] = 2;
    CHECK_OK(fnl_prorate(INT64_MAX, 0, 3, cut, 2, out));
    /* (2^63 - 1) / 3 = 3074457345618258602 rem 1: the unit to slice 0 */
    CHECK_INT(out[0], INT64_C(3074457345618258603));
    CHECK_INT(out[1], INT64_C(3074457345618258602));
    CHECK_INT(out[2], INT64_C(3074457345618258602));
    CHECK_INT(fnl_prorate(1, 5, 5, NULL, 0, out), FNL_EINVAL);
    CHECK_INT(fnl_prorate(-1, 0, 5, NULL, 0, out), FNL_EINVAL);
    cut[0] = 3;
    cut[1] = 3;
    CHECK_INT(fnl_prorate(1, 0, 5, cut, 2, out), FNL_EINVAL);
}

TEST(exchange_rates_convert_by_period_and_minor_units)
{
    fnl_fx *fx;
    int64_t v;
    CHECK_OK(fnl_fx_new(&fx, NULL));
    CHECK_OK(fnl_fx_add(fx, "EUR", "usd", 1.10, ymd(2024, 1, 1),
                        ymd(2024, 2, 1)));
    CHECK_OK(fnl_fx_add(fx, "EUR", "USD", 1.20, ymd(2024, 2, 1), 0));
    CHECK_OK(fnl_fx_add(fx, "USD", "JPY", 150.0, 0, 0));
    CHECK_INT(fnl_fx_add(fx, "EUR", "USD", 1.3, ymd(2024, 3, 1), 0),
              FNL_EEXIST);
    CHECK_INT(fnl_fx_add(fx, "EUR", "EUR", 1.0, 0, 0), FNL_EINVAL);
    CHECK_INT(fnl_fx_add(fx, "EURO", "USD", 1.0, 0, 0), FNL_EINVAL);
    CHECK_INT(fnl_fx_add(fx, "GBP", "USD", 0.0, 0, 0), FNL_EINVAL);
    /* EUR 100.00 on Jan 15 at 1.10: USD 110.00 */
    CHECK_OK(fnl_fx_convert(fx, 10000, "EUR", "USD", ymd(2024, 1, 15), &v));
    CHECK_INT(v, 11000);
    /* in February at 1.20: USD 120.00; the end of January is exclusive */
    CHECK_OK(fnl_fx_convert(fx, 10000, "EUR", "USD", ymd(2024, 2, 1), &v));
    CHECK_INT(v, 12000);
    /* the inverse pair: USD 110.00 in January is EUR 100.00 */
    CHECK_OK(fnl_fx_convert(fx, 11000, "USD", "EUR", ymd(2024, 1, 31), &v));
    CHECK_INT(v, 10000);
    /* USD 1.23 (123 cents) at 150 JPY: 184.5 yen, JPY has no minor unit:
     * 123 x 150 x 10^(0 - 2) = 184.5, half away from zero: 185 */
    CHECK_OK(fnl_fx_convert(fx, 123, "USD", "JPY", 0, &v));
    CHECK_INT(v, 185);
    CHECK_OK(fnl_fx_convert(fx, 185, "JPY", "USD", 0, &v));
    /* 185 / 150 x 100 = 123.33: 123 */
    CHECK_INT(v, 123);
    CHECK_OK(fnl_fx_convert(NULL, 77, "CNY", "cny", 0, &v));
    CHECK_INT(v, 77);
    CHECK_INT(fnl_fx_convert(fx, 1, "EUR", "USD", ymd(2023, 12, 31), &v),
              FNL_ENOTFOUND);
    CHECK_INT(fnl_fx_convert(fx, 1, "GBP", "USD", 0, &v), FNL_ENOTFOUND);
    CHECK_INT(fnl_currency_digits("jpy"), 0);
    CHECK_INT(fnl_currency_digits("KWD"), 3);
    CHECK_INT(fnl_currency_digits("EUR"), 2);
    CHECK_INT(fnl_currency_digits("E1R"), -1);
    fnl_fx_free(fx);
    fnl_fx_free(NULL);
}

/* A revenue attribution: one journey per (group, customers, revenue in
 * major units), first touch. */
static fnl_attribution *revenue_of(const char *const *groups,
                                   const uint64_t *conv, const int64_t *value,
                                   size_t n)
{
    fnl_journeys *j;
    fnl_attribution *a = NULL;
    size_t i;
    if (fnl_journeys_new(&j, 0, NULL) != FNL_OK)
        return NULL;
    for (i = 0; i < n; i++) {
        fnl_journey jr = FNL_JOURNEY_INIT;
        jr.groups = &groups[i];
        jr.touch_count = 1;
        jr.conversions = conv[i];
        jr.value = value[i];
        jr.nulls = conv[i] ? 0 : 1;
        if (fnl_journeys_add(j, &jr) != FNL_OK)
            goto out;
    }
    fnl_attribution_run(&a, j, FNL_ATTR_FIRST_TOUCH, NULL);
out:
    fnl_journeys_free(j);
    return a;
}

static fnl_cost cost_rec(const char *channel, int64_t amount, int64_t start,
                         int64_t end, const char *currency)
{
    fnl_cost c = FNL_COST_INIT;
    c.channel = channel;
    c.amount = amount;
    c.start = start;
    c.end = end;
    c.currency = currency;
    return c;
}

TEST(roi_reproduces_the_worked_examples_of_practice)
{
    /* webinar: 1,000,000.00 spent, 1,000 MQLs, 1 % of them (10) become
     * customers buying 1,000,000.00 each.  nurture: 10,000.00 wakes one
     * dormant customer buying 1,000,000.00.  organic: no cost, 2
     * customers.  display: 5,000.00 and nothing won. */
    static const char *const groups[] = {"webinar", "nurture", "organic",
                                         "display"};
    static const uint64_t conv[] = {10, 1, 2, 0};
    static const int64_t value[] = {10000000, 1000000, 300000, 0};
    fnl_cost costs[3];
    fnl_stage_counts sc[1];
    fnl_roi_request q = FNL_ROI_REQUEST_INIT;
    fnl_attribution *rev = revenue_of(groups, conv, value, 4);
    fnl_report *r;
    fnl_report_info info = FNL_REPORT_INFO_INIT;
    char *js;
    CHECK(rev != NULL);
    costs[0] = cost_rec("webinar", INT64_C(100000000), ymd(2024, 1, 1),
                        ymd(2024, 2, 1), NULL);
    costs[1] = cost_rec("nurture", 1000000, ymd(2024, 1, 1), ymd(2024, 2, 1),
                        "USD");
    costs[2] = cost_rec("display", 500000, ymd(2024, 1, 1), ymd(2024, 2, 1),
                        NULL);
    sc[0].group = "webinar";
    sc[0].leads = -1;
    sc[0].mqls = 1000;
    sc[0].sqls = -1;
    sc[0].opportunities = -1;
    sc[0].customers = -1;
    q.costs = costs;
    q.cost_count = 3;
    q.revenue = rev;
    q.stage_counts = sc;
    q.stage_count_count = 1;
    q.benchmark_revenue_to_cost = 5;
    CHECK_OK(fnl_report_roi(NULL, &q, &r));
    CHECK_OK(fnl_report_get_info(r, &info));
    CHECK_STR(info.name, "roi");
    CHECK_STR(info.currency, "USD");
    CHECK_INT(info.row_count, 4);
    CHECK_INT(info.has_totals, 1);
    /* rows sorted bytewise: display, nurture, organic, webinar */
    CHECK_STR(cell(r, 0, "group").str, "display");
    CHECK_STR(cell(r, 3, "group").str, "webinar");
    /* webinar: cost per MQL 100,000,000 / 1,000 = 100,000 cents = 1,000.00;
     * customers 10 (attributed), MQL -> customer 10 / 1,000 = 1 %;
     * acquisition cost 100,000,000 / 10 = 10,000,000 cents = 100,000.00;
     * revenue 10,000,000.00 = 1,000,000,000 cents; revenue / cost = 10,
     * ROI (revenue - cost) / cost = 9; average deal 1,000,000.00 */
    CHECK_INT(cell(r, 3, "cost").i, 100000000);
    CHECK_INT(cell(r, 3, "revenue").i, INT64_C(1000000000));
    CHECK_INT(cell(r, 3, "cost_per_mql").i, 100000);
    CHECK_NEAR(cell(r, 3, "mql_to_customer").num, 0.01, 1e-15);
    CHECK_INT(cell(r, 3, "cost_per_customer").i, 10000000);
    CHECK_NEAR(cell(r, 3, "revenue_to_cost").num, 10.0, 0);
    CHECK_NEAR(cell(r, 3, "roas").num, 10.0, 0);
    CHECK_NEAR(cell(r, 3, "roi").num, 9.0, 0);
    CHECK_INT(cell(r, 3, "avg_deal_size").i, 100000000);
    CHECK_INT(cell(r, 3, "below_benchmark").i, 0);
    /* unknown stages: null, not zero */
    CHECK_INT(cell(r, 3, "cost_per_lead").type, FNL_VALUE_NULL);
    CHECK_INT(cell(r, 3, "win_rate").type, FNL_VALUE_NULL);
    CHECK_INT(cell(r, 3, "pipeline").type, FNL_VALUE_NULL);
    /* nurture: 1,000,000.00 / 10,000.00 = 100; ROI 99 */
    CHECK_NEAR(cell(r, 1, "revenue_to_cost").num, 100.0, 0);
    CHECK_NEAR(cell(r, 1, "roi").num, 99.0, 0);
    CHECK_INT(cell(r, 1, "cost_per_customer").i, 1000000);
    /* organic: zero cost: ROI and revenue / cost undefined (null), cost
     * per customer 0 / 2 = 0 */
    CHECK_INT(cell(r, 2, "cost").i, 0);
    CHECK_INT(cell(r, 2, "roi").type, FNL_VALUE_NULL);
    CHECK_INT(cell(r, 2, "revenue_to_cost").type, FNL_VALUE_NULL);
    CHECK_INT(cell(r, 2, "below_benchmark").type, FNL_VALUE_NULL);
    CHECK_INT(cell(r, 2, "cost_per_customer").i, 0);
    CHECK_INT(cell(r, 2, "avg_deal_size").i, 15000000);
    /* display: zero conversions: no cost per customer, no average deal;
     * revenue 0 so ROI -1 and revenue / cost 0, below the benchmark 5 */
    CHECK_INT(cell(r, 0, "customers").type, FNL_VALUE_NUMBER);
    CHECK_NEAR(cell(r, 0, "customers").num, 0, 0);
    CHECK_INT(cell(r, 0, "cost_per_customer").type, FNL_VALUE_NULL);
    CHECK_INT(cell(r, 0, "avg_deal_size").type, FNL_VALUE_NULL);
    CHECK_NEAR(cell(r, 0, "roi").num, -1.0, 0);
    CHECK_NEAR(cell(r, 0, "revenue_to_cost").num, 0.0, 0);
    CHECK_INT(cell(r, 0, "below_benchmark").i, 1);
    /* totals: cost 100,000,000 + 1,000,000 + 500,000 = 101,500,000;
     * revenue (10,000,000 + 1,000,000 + 300,000) x 100 = 1,130,000,000;
     * revenue / cost = 1,130 / 101.5 = 11.1330049...; customers 13 */
    CHECK_INT(cell(r, FNL_REPORT_TOTALS, "cost").i, 101500000);
    CHECK_INT(cell(r, FNL_REPORT_TOTALS, "revenue").i, INT64_C(1130000000));
    CHECK_NEAR(cell(r, FNL_REPORT_TOTALS, "revenue_to_cost").num,
               1130.0 / 101.5, 1e-12);
    CHECK_NEAR(cell(r, FNL_REPORT_TOTALS, "customers").num, 13, 0);
    CHECK_INT(cell(r, FNL_REPORT_TOTALS, "group").type, FNL_VALUE_NULL);
    js = json_of(r);
    CHECK(js != NULL);
    CHECK(strstr(js, "{\"report\":\"roi\",\"schema_version\":1,"
                     "\"currency\":\"USD\",\"summary\":{\"group_by\":"
                     "\"channel\",\"from\":null,\"to\":null,\"region\":null,"
                     "\"value_scale\":100,\"benchmark_revenue_to_cost\":5,"
                     "\"cost_records\":3},\"columns\":[{\"name\":\"group\","
                     "\"type\":\"string\",\"unit\":\"label\"},") == js);
    CHECK(strstr(js, "{\"group\":\"organic\",\"cost\":0,\"revenue\":30000000,"
                     "\"pipeline\":null,\"leads\":null,\"mqls\":null,"
                     "\"sqls\":null,\"opportunities\":null,\"customers\":2,"
                     "\"roi\":null,\"revenue_to_cost\":null,\"roas\":null,")
          != NULL);
    CHECK(strstr(js, "\"roi\":99,\"revenue_to_cost\":100,\"roas\":100,") !=
          NULL);
    CHECK(strstr(js, "Infinity") == NULL && strstr(js, "nan") == NULL);
    free(js);
    fnl_report_free(r);
    fnl_attribution_free(rev);
    fnl_report_free(NULL);
}

TEST(roi_joins_engine_costs_in_several_currencies_over_a_range)
{
    fnl_engine *e;
    fnl_cost c;
    fnl_fx *fx;
    fnl_roi_request q = FNL_ROI_REQUEST_INIT;
    fnl_report *r;
    CHECK_OK(fnl_engine_open(&e, NULL));
    c = cost_rec("email", 10000, ymd(2024, 1, 1), ymd(2024, 2, 1), "EUR");
    c.region = "emea";
    CHECK_OK(fnl_cost_add(e, &c, NULL));
    c = cost_rec("email", 5000, ymd(2024, 1, 1), ymd(2024, 2, 1), "USD");
    c.region = "amer";
    CHECK_OK(fnl_cost_add(e, &c, NULL));
    c = cost_rec(NULL, 700, ymd(2024, 1, 1), ymd(2024, 2, 1), "USD");
    c.campaign = "spring";
    CHECK_OK(fnl_cost_add(e, &c, NULL));
    /* no rate: a clear error naming the pair and the time */
    CHECK_INT(fnl_report_roi(e, &q, &r), FNL_ENOTFOUND);
    CHECK(strstr(fnl_errmsg(e), "no exchange rate EUR->USD at 2024-01-01") !=
          NULL);
    CHECK_OK(fnl_fx_new(&fx, NULL));
    CHECK_OK(fnl_fx_add(fx, "EUR", "USD", 1.10, ymd(2024, 1, 1),
                        ymd(2024, 2, 1)));
    q.fx = fx;
    /* whole spend: 10000 EUR x 1.10 = 11000 + 5000 = 16000; the campaign-
     * only cost has no channel: the null group, last */
    CHECK_OK(fnl_report_roi(e, &q, &r));
    CHECK_INT(fnl_report_row_count(r), 2);
    CHECK_STR(cell(r, 0, "group").str, "email");
    CHECK_INT(cell(r, 0, "cost").i, 16000);
    CHECK_INT(cell(r, 1, "group").type, FNL_VALUE_NULL);
    CHECK_INT(cell(r, 1, "cost").i, 700);
    CHECK_INT(cell(r, FNL_REPORT_TOTALS, "cost").i, 16700);
    CHECK_INT(cell(r, 0, "revenue").type, FNL_VALUE_NULL);
    fnl_report_free(r);
    /* [Jan 1, Jan 16): 15 of 31 days.  EUR 10000 x 15 / 31 = 4838.71:
     * slices 4838 | 5161 (remainders .71, .29): the unit goes inside:
     * 4839, x 1.10 = 5322.9 -> 5323.  USD 5000 x 15 / 31 = 2419.35: 2419 |
     * 2580.65: the unit goes after: 2419.  5323 + 2419 = 7742 */
    q.from = ymd(2024, 1, 1);
    q.to = ymd(2024, 1, 16);
    CHECK_OK(fnl_report_roi(e, &q, &r));
    CHECK_INT(cell(r, 0, "cost").i, 7742);
    fnl_report_free(r);
    /* by region, only emea: 11000 for the whole month */
    q.from = q.to = 0;
    q.group_by = FNL_BY_REGION;
    q.region = "emea";
    CHECK_OK(fnl_report_roi(e, &q, &r));
    CHECK_INT(fnl_report_row_count(r), 1);
    CHECK_STR(cell(r, 0, "group").str, "emea");
    CHECK_INT(cell(r, 0, "cost").i, 11000);
    fnl_report_free(r);
    q.group_by = 9;
    CHECK_INT(fnl_report_roi(e, &q, &r), FNL_EINVAL);
    fnl_fx_free(fx);
    fnl_engine_close(e);
}

TEST(spend_is_prorated_over_calendar_and_custom_periods)
{
    fnl_cost costs[2];
    fnl_spend_request q = FNL_SPEND_REQUEST_INIT;
    fnl_report *r;
    int64_t bounds[3];
    char csv[1024];
    costs[0] = cost_rec("search", 3100, ymd(2024, 1, 15), ymd(2024, 2, 15),
                        NULL);
    costs[1] = cost_rec(NULL, 200, ymd(2024, 2, 1), ymd(2024, 2, 3), NULL);
    costs[1].campaign = "x";
    q.costs = costs;
    q.cost_count = 2;
    CHECK_OK(fnl_report_spend(NULL, &q, &r));
    /* months Jan and Feb; search 1700 | 1400 (17 and 14 of 31 days); the
     * campaign-only cost 200 in February, in the null group */
    CHECK_INT(fnl_report_row_count(r), 4);
    CHECK_STR(cell(r, 0, "group").str, "search");
    CHECK_STR(cell(r, 0, "period").str, "2024-01");
    CHECK_INT(cell(r, 0, "period_start").i, ymd(2024, 1, 1));
    CHECK_INT(cell(r, 0, "cost").i, 1700);
    CHECK_STR(cell(r, 1, "period").str, "2024-02");
    CHECK_INT(cell(r, 1, "cost").i, 1400);
    CHECK_INT(cell(r, 2, "group").type, FNL_VALUE_NULL);
    CHECK_INT(cell(r, 2, "cost").i, 0);
    CHECK_INT(cell(r, 3, "cost").i, 200);
    CHECK_INT(cell(r, FNL_REPORT_TOTALS, "cost").i, 3300);
    CHECK_OK(fnl_report_csv(r, csv, sizeof(csv), NULL));
    CHECK_STR(csv, "group,period,period_start,period_end,cost\n"
                   "search,2024-01,1704067200000,1706745600000,1700\n"
                   "search,2024-02,1706745600000,1709251200000,1400\n"
                   ",2024-01,1704067200000,1706745600000,0\n"
                   ",2024-02,1706745600000,1709251200000,200\n");
    fnl_report_free(r);
    /* custom buckets [Jan 15, Jan 25) and [Jan 25, Feb 15): 3100 x 10 / 31
     * = 1000 and 2100; the campaign cost falls in the second */
    bounds[0] = ymd(2024, 1, 15);
    bounds[1] = ymd(2024, 1, 25);
    bounds[2] = ymd(2024, 2, 15);
    q.period = FNL_PERIOD_CUSTOM;
    q.boundaries = bounds;
    q.boundary_count = 3;
    CHECK_OK(fnl_report_spend(NULL, &q, &r));
    CHECK_STR(cell(r, 0, "period").str, "2024-01-15");
    CHECK_INT(cell(r, 0, "cost").i, 1000);
    CHECK_INT(cell(r, 1, "cost").i, 2100);
    CHECK_INT(cell(r, 3, "cost").i, 200);
    fnl_report_free(r);
    /* daily buckets over two years are fine; a million are not */
    q.period = FNL_PERIOD_DAY;
    q.from = 0;
    q.to = ymd(2300, 1, 1);
    CHECK_INT(fnl_report_spend(NULL, &q, &r), FNL_ELIMIT);
}

/* ---- funnel counts from stage-entry attribution ------------------------- */

static int64_t jan2026(void *ctx)
{
    (void)ctx;
    return INT64_C(1767225600000); /* 2026-01-01 00:00 UTC */
}

static int roi_touch(fnl_engine *e, const char *email, const char *channel,
                     const char *type, int64_t t)
{
    fnl_touch x = FNL_TOUCH_INIT;
    fnl_key k;
    k.kind = "email";
    k.value = email;
    x.keys = &k;
    x.key_count = 1;
    x.channel = channel;
    x.type = type;
    x.time = t;
    return fnl_touch_add(e, &x, NULL);
}

static int roi_event(fnl_engine *e, const char *email, const char *ev,
                     int64_t t)
{
    fnl_contact_id c = 0;
    int rc = fnl_contact_find(e, "email", email, &c);
    return rc ? rc : fnl_contact_event(e, c, ev, NULL, t);
}

/* The issue's funnel, played through the default waterfall machine and a
 * scoring model (two webinar attendances, 60 points, reach the mql
 * threshold of 50), January 2026, free-mail contacts (no accounts):
 *   webinar: 10,000,000 cents (100,000.00 USD) of cost; 500 leads
 *            (w000..w499, one visit each, hour i); w000..w099 attend two
 *            webinars (days 1 and 2 after their visit): 100 MQLs;
 *            w000..w019 are accepted and qualified by sales: 20 SQLs;
 *            w000 wins a deal of 100,000,000 cents (1,000,000.00 USD):
 *            1 customer
 *   organic: no cost; 100 leads (o000..o099, one visit each), no MQL */
static fnl_engine *issue_funnel(fnl_clock *clk)
{
    static const char *const MODEL =
        "model lead\n"
        "engage type = webinar_attend +30\n"
        "threshold mql when score >= 50\n";
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_parse_error err = FNL_PARSE_ERROR_INIT;
    fnl_model *mo = NULL;
    fnl_machine *ma = NULL;
    fnl_engine *e = NULL;
    fnl_cost c = cost_rec("webinar", 10000000, ymd(2026, 1, 1),
                          ymd(2026, 2, 1), "USD");
    fnl_deal_update d = FNL_DEAL_UPDATE_INIT;
    fnl_deal_contact dc;
    int64_t t0 = ymd(2026, 1, 1);
    char em[32];
    int i, rc;
    clk->version = FNL_CLOCK_VERSION;
    clk->ctx = NULL;
    clk->now = jan2026;
    cfg.clock = clk;
    rc = fnl_engine_open(&e, &cfg);
    if (rc == FNL_OK)
        rc = fnl_model_parse(&mo, MODEL, strlen(MODEL), NULL, &err);
    if (rc == FNL_OK)
        rc = fnl_machine_default(&ma, NULL);
    if (rc == FNL_OK)
        rc = fnl_engine_attach_model(e, mo, NULL);
    if (rc == FNL_OK)
        rc = fnl_engine_attach_machine(e, ma);
    if (rc == FNL_OK)
        rc = fnl_cost_add(e, &c, NULL);
    fnl_model_free(mo);
    fnl_machine_free(ma);
    for (i = 0; rc == FNL_OK && i < 500; i++) {
        int64_t t = t0 + i * INT64_C(3600000);
        snprintf(em, sizeof(em), "w%03d@gmail.com", i);
        rc = roi_touch(e, em, "webinar", "visit", t);
        if (rc == FNL_OK && i < 100)
            rc = roi_touch(e, em, "webinar", "webinar_attend", t + DAY);
        if (rc == FNL_OK && i < 100)
            rc = roi_touch(e, em, "webinar", "webinar_attend", t + 2 * DAY);
        if (rc == FNL_OK && i < 20)
            rc = roi_event(e, em, "sales_accept", t + 2 * DAY + 3600000);
        if (rc == FNL_OK && i < 20)
            rc = roi_event(e, em, "sales_qualify", t + 2 * DAY + 7200000);
    }
    for (i = 0; rc == FNL_OK && i < 100; i++) {
        snprintf(em, sizeof(em), "o%03d@gmail.com", i);
        rc = roi_touch(e, em, "organic", "visit", t0 + i * INT64_C(3600000));
    }
    if (rc == FNL_OK) {
        memset(&dc, 0, sizeof(dc));
        dc.key.kind = "email";
        dc.key.value = "w000@gmail.com";
        dc.role = FNL_ROLE_DECISION_MAKER;
        d.id = "big";
        d.contacts = &dc;
        d.contact_count = 1;
        d.amount = 100000000;
        d.currency = "USD";
        d.created = t0 + 3 * DAY;
        d.closed = t0 + 10 * DAY;
        d.status = FNL_DEAL_WON;
        rc = fnl_deal_upsert(e, &d, NULL);
    }
    if (rc != FNL_OK) {
        fnl_engine_close(e);
        return NULL;
    }
    return e;
}

static fnl_attribution *entries_of(const fnl_engine *e, const char *stage)
{
    fnl_engine_attribution_options o = FNL_ENGINE_ATTRIBUTION_OPTIONS_INIT;
    fnl_attribution *a = NULL;
    o.conversion = FNL_CONVERSION_STAGE_ENTRY;
    o.stage = stage;
    o.scope = FNL_SCOPE_CONTACT;
    if (fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &a, NULL) != FNL_OK)
        return NULL;
    return a;
}

TEST(roi_counts_leads_mqls_and_sqls_from_stage_attribution)
{
    fnl_clock clk;
    fnl_engine *e = issue_funnel(&clk);
    fnl_engine_attribution_options o = FNL_ENGINE_ATTRIBUTION_OPTIONS_INIT;
    fnl_attribution *rev = NULL, *leads, *mqls, *sqls;
    fnl_roi_request q = FNL_ROI_REQUEST_INIT;
    fnl_stage_counts sc[2];
    fnl_report *r = NULL;
    CHECK(e != NULL);
    o.scope = FNL_SCOPE_CONTACT;
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &rev, NULL));
    leads = entries_of(e, "inquiry");
    mqls = entries_of(e, "mql");
    sqls = entries_of(e, "sql");
    CHECK(leads != NULL && mqls != NULL && sqls != NULL);
    q.currency = "USD";
    q.value_scale = 1; /* engine attribution values are minor units */
    q.revenue = rev;
    q.leads = leads;
    q.mqls = mqls;
    q.sqls = sqls;
    CHECK_OK(fnl_report_roi(e, &q, &r));
    /* rows: organic, webinar */
    CHECK_STR(cell(r, 1, "group").str, "webinar");
    /* webinar: 500 leads, 100 MQLs, 20 SQLs, 1 customer;
     * cost per lead 10,000,000 / 500 = 20,000 (200.00);
     * cost per MQL 10,000,000 / 100 = 100,000 (1,000.00);
     * cost per SQL 10,000,000 / 20 = 500,000 (5,000.00);
     * lead -> MQL 100 / 500 = 0.2; MQL -> SQL 20 / 100 = 0.2;
     * MQL -> customer 1 / 100 = 1 %, so the acquisition cost is
     * 10,000,000 / 1 = 10,000,000 (100,000.00) = cost per MQL / 1 %;
     * revenue 100,000,000 / cost 10,000,000 = 10 ("ROI 10"), ROI 9 */
    CHECK_NEAR(cell(r, 1, "leads").num, 500, 1e-9);
    CHECK_NEAR(cell(r, 1, "mqls").num, 100, 1e-9);
    CHECK_NEAR(cell(r, 1, "sqls").num, 20, 1e-9);
    CHECK_NEAR(cell(r, 1, "customers").num, 1, 1e-9);
    CHECK_INT(cell(r, 1, "cost").i, 10000000);
    CHECK_INT(cell(r, 1, "cost_per_lead").i, 20000);
    CHECK_INT(cell(r, 1, "cost_per_mql").i, 100000);
    CHECK_INT(cell(r, 1, "cost_per_sql").i, 500000);
    CHECK_NEAR(cell(r, 1, "lead_to_mql").num, 0.2, 1e-12);
    CHECK_NEAR(cell(r, 1, "mql_to_sql").num, 0.2, 1e-12);
    CHECK_NEAR(cell(r, 1, "mql_to_customer").num, 0.01, 1e-12);
    CHECK_INT(cell(r, 1, "cost_per_customer").i, 10000000);
    CHECK_INT(cell(r, 1, "revenue").i, 100000000);
    CHECK_NEAR(cell(r, 1, "revenue_to_cost").num, 10, 1e-12);
    CHECK_NEAR(cell(r, 1, "roi").num, 9, 1e-12);
    /* organic: 100 free leads, no MQL (a real 0, not unknown) */
    CHECK_STR(cell(r, 0, "group").str, "organic");
    CHECK_NEAR(cell(r, 0, "leads").num, 100, 1e-9);
    CHECK_INT(cell(r, 0, "mqls").type, FNL_VALUE_NUMBER);
    CHECK_NEAR(cell(r, 0, "mqls").num, 0, 0);
    CHECK_INT(cell(r, 0, "cost_per_lead").i, 0);
    CHECK_NEAR(cell(r, 0, "lead_to_mql").num, 0, 0);
    CHECK_INT(cell(r, 0, "cost_per_mql").type, FNL_VALUE_NULL);
    /* totals: 600 leads, 100 MQLs; 10,000,000 / 600 = 16,666.67 -> 16,667 */
    CHECK_NEAR(cell(r, FNL_REPORT_TOTALS, "leads").num, 600, 1e-9);
    CHECK_INT(cell(r, FNL_REPORT_TOTALS, "cost_per_lead").i, 16667);
    CHECK_INT(cell(r, FNL_REPORT_TOTALS, "cost_per_mql").i, 100000);
    fnl_report_free(r);
    /* precedence: a stage count >= 0 wins over the attribution for its
     * group and stage, a negative one falls back to it */
    sc[0].group = "webinar";
    sc[0].leads = -1;
    sc[0].mqls = 50;       /* cost per MQL 10,000,000 / 50 = 200,000 */
    sc[0].sqls = -1;       /* the attribution's 20 */
    sc[0].opportunities = -1;
    sc[0].customers = -1;
    sc[1] = sc[0];
    sc[1].group = "events"; /* a group only the stage counts know */
    sc[1].mqls = 4;
    q.stage_counts = sc;
    q.stage_count_count = 2;
    CHECK_OK(fnl_report_roi(e, &q, &r));
    CHECK_STR(cell(r, 2, "group").str, "webinar");
    CHECK_NEAR(cell(r, 2, "mqls").num, 50, 0);
    CHECK_INT(cell(r, 2, "cost_per_mql").i, 200000);
    CHECK_NEAR(cell(r, 2, "sqls").num, 20, 1e-9);
    CHECK_NEAR(cell(r, 2, "leads").num, 500, 1e-9);
    CHECK_STR(cell(r, 0, "group").str, "events");
    CHECK_NEAR(cell(r, 0, "mqls").num, 4, 0);
    CHECK_NEAR(cell(r, 0, "leads").num, 0, 0); /* not in the attribution */
    CHECK_NEAR(cell(r, FNL_REPORT_TOTALS, "mqls").num, 54, 1e-9);
    fnl_report_free(r);
    /* an older caller's request (without the three fields) still works:
     * no stage attribution, counts unknown */
    {
        fnl_roi_request old = q;
        old.size = (uint32_t)offsetof(fnl_roi_request, leads);
        old.stage_count_count = 0;
        CHECK_OK(fnl_report_roi(e, &old, &r));
        /* one row: webinar (cost, revenue); organic came from the leads */
        CHECK_STR(cell(r, 0, "group").str, "webinar");
        CHECK_INT(cell(r, 1, "group").type, 99);
        CHECK_INT(cell(r, 0, "mqls").type, FNL_VALUE_NULL);
        CHECK_INT(cell(r, 0, "cost_per_mql").type, FNL_VALUE_NULL);
        fnl_report_free(r);
    }
    fnl_attribution_free(rev);
    fnl_attribution_free(leads);
    fnl_attribution_free(mqls);
    fnl_attribution_free(sqls);
    fnl_engine_close(e);
}

static fnl_engine *engine_with_costs(const fnl_allocator *a)
{
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_engine *e;
    int i;
    cfg.allocator = a;
    if (fnl_engine_open(&e, &cfg) != FNL_OK)
        return NULL;
    for (i = 0; i < 40; i++) {
        char ch[16];
        fnl_cost c;
        snprintf(ch, sizeof(ch), "ch%02d", i % 13);
        c = cost_rec(ch, 1000 + i, ymd(2024, 1, 1) + i * DAY,
                     ymd(2024, 3, 1) + i * DAY, i % 3 ? "USD" : "EUR");
        if (fnl_cost_add(e, &c, NULL) != FNL_OK)
            return NULL;
    }
    return e;
}

TEST(allocation_failures_in_roi_and_spend_are_enomem_and_change_nothing)
{
    failalloc fa = {-1, 0, 0, 0, 0};
    fnl_allocator a = fa_table(&fa);
    fnl_engine *e = engine_with_costs(&a);
    fnl_fx *fx;
    fnl_stage_counts sc = {"ch01", 10, 5, 2, 1, 1};
    static const char *const groups[] = {"ch01", "ch02", "zz"};
    static const uint64_t conv[] = {3, 1, 1};
    static const int64_t value[] = {5000, 100, 7};
    fnl_attribution *rev = revenue_of(groups, conv, value, 3);
    char *before, *after;
    long n;
    int which;
    CHECK(e != NULL && rev != NULL);
    CHECK_OK(fnl_fx_new(&fx, NULL));
    CHECK_OK(fnl_fx_add(fx, "EUR", "USD", 1.1, 0, 0));
    before = dump_engine(e);
    for (which = 0; which < 2; which++) {
        for (n = 0;; n++) {
            fnl_report *r = NULL;
            long long out0 = fa.outstanding;
            int rc;
            fa_arm(&fa, n, 1);
            if (which == 0) {
                fnl_roi_request q = FNL_ROI_REQUEST_INIT;
                q.fx = fx;
                q.revenue = rev;
                q.pipeline = rev;
                q.leads = rev;
                q.mqls = rev;
                q.sqls = rev;
                q.stage_counts = &sc;
                q.stage_count_count = 1;
                q.from = ymd(2024, 1, 20);
                q.to = ymd(2024, 2, 20);
                rc = fnl_report_roi(e, &q, &r);
            } else {
                fnl_spend_request q = FNL_SPEND_REQUEST_INIT;
                q.fx = fx;
                q.period = FNL_PERIOD_WEEK;
                rc = fnl_report_spend(e, &q, &r);
            }
            fa_disarm(&fa);
            if (rc == FNL_OK) {
                CHECK(fa.fired == 0);
                fnl_report_free(r);
                CHECK_INT(fa.outstanding, out0);
                break;
            }
            CHECK_INT(rc, FNL_ENOMEM);
            CHECK(r == NULL);
            CHECK_INT(fa.outstanding, out0);
        }
        CHECK(n > 5);
    }
    after = dump_engine(e);
    CHECK_STR(after, before);
    free(before);
    free(after);
    fnl_fx_free(fx);
    fnl_attribution_free(rev);
    fnl_engine_close(e);
}

int main(void)
{
    RUN(period_floor_next_and_labels_follow_the_utc_calendar);
    RUN(proration_is_by_milliseconds_with_largest_remainders);
    RUN(exchange_rates_convert_by_period_and_minor_units);
    RUN(roi_reproduces_the_worked_examples_of_practice);
    RUN(roi_joins_engine_costs_in_several_currencies_over_a_range);
    RUN(roi_counts_leads_mqls_and_sqls_from_stage_attribution);
    RUN(spend_is_prorated_over_calendar_and_custom_periods);
    RUN(allocation_failures_in_roi_and_spend_are_enomem_and_change_nothing);
    TEST_MAIN_END();
}
