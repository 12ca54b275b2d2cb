/* Funnel and velocity from deals, cohorts, the report handle's accessors
 * and renderings, and an import of the real CRM sample checked against a
 * naive second implementation. */
#include "../data/crm_slice.h"
#include "../dump.h"
#include "../failalloc.h"
#include "../test.h"
#include "funnelcore.h"
#include "funnelcore.h"

#define DAY INT64_C(86400000)

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
    return (days + d - 1) * DAY;
}

static fnl_report_value at(const fnl_report *r, size_t row, const char *col)
{
    fnl_report_value v = FNL_REPORT_VALUE_INIT;
    size_t c;
    v.type = 99;
    if (fnl_report_column_find(r, col, &c) == FNL_OK)
        fnl_report_value_get(r, row, c, &v);
    return v;
}

static int deal(fnl_engine *e, const char *id, const char *owner,
                const char *account, const char *stage, int64_t amount,
                const char *cur, int64_t created, int64_t closed,
                uint32_t status)
{
    fnl_deal_update u = FNL_DEAL_UPDATE_INIT;
    u.id = id;
    u.owner = owner;
    u.account = account;
    u.stage = stage;
    u.amount = amount;
    u.currency = cur;
    u.created = created;
    u.closed = closed;
    u.status = status;
    return fnl_deal_upsert(e, &u, NULL);
}

/* ana: won 1,000.00 in 10 days, won 3,000.00 in 30 days, lost 500.00,
 *      open 2,000.00 (Engaging), account acme (sector tech)
 * bo:  won EUR 400.00 in 20 days, lost 0, lost 100.00, open 1,000.00
 *      (Prospecting), account globex (no sector)
 * nobody: open 700.00, no stage, no account */
static fnl_engine *sample(const fnl_allocator *a)
{
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_account_update au = FNL_ACCOUNT_UPDATE_INIT;
    fnl_attr sector = {"sector", FNL_ATTR_STRING, "tech", 0};
    fnl_engine *e;
    cfg.allocator = a;
    if (fnl_engine_open(&e, &cfg) != FNL_OK)
        return NULL;
    au.id = "acme";
    au.attrs = &sector;
    au.attr_count = 1;
    au.time = ymd(2024, 1, 1);
    if (fnl_account_upsert(e, &au, NULL) ||
        deal(e, "a1", "ana", "acme", "Won", 100000, NULL, ymd(2024, 1, 1),
             ymd(2024, 1, 11), FNL_DEAL_WON) ||
        deal(e, "a2", "ana", "acme", "Won", 300000, NULL, ymd(2024, 1, 5),
             ymd(2024, 2, 4), FNL_DEAL_WON) ||
        deal(e, "a3", "ana", "acme", "Lost", 50000, NULL, ymd(2024, 1, 10),
             ymd(2024, 1, 20), FNL_DEAL_LOST) ||
        deal(e, "a4", "ana", "acme", "Engaging", 200000, NULL,
             ymd(2024, 3, 1), 0, FNL_DEAL_OPEN) ||
        deal(e, "b1", "bo", "globex", "Won", 40000, "EUR", ymd(2024, 2, 1),
             ymd(2024, 2, 21), FNL_DEAL_WON) ||
        deal(e, "b2", "bo", "globex", "Lost", 0, NULL, ymd(2024, 2, 2),
             ymd(2024, 2, 12), FNL_DEAL_LOST) ||
        deal(e, "b3", "bo", "globex", "Lost", 10000, NULL, ymd(2024, 2, 3),
             ymd(2024, 3, 3), FNL_DEAL_LOST) ||
        deal(e, "b4", "bo", "globex", "Prospecting", 100000, NULL,
             ymd(2024, 6, 1), 0, FNL_DEAL_OPEN) ||
        deal(e, "n1", NULL, NULL, NULL, 70000, NULL, ymd(2024, 6, 20), 0,
             FNL_DEAL_OPEN))
        return NULL;
    return e;
}

TEST(deal_funnel_by_owner_with_velocity_forecast_and_benchmarks)
{
    fnl_engine *e = sample(NULL);
    fnl_fx *fx;
    fnl_stage_probability sp = {"Prospecting", 0.1};
    fnl_deal_report_request q = FNL_DEAL_REPORT_REQUEST_INIT;
    fnl_report *r;
    size_t n;
    char *js;
    CHECK(e != NULL);
    CHECK_OK(fnl_fx_new(&fx, NULL));
    CHECK_OK(fnl_fx_add(fx, "EUR", "USD", 1.25, 0, 0));
    q.group_by = FNL_DEAL_BY_OWNER;
    q.as_of = ymd(2024, 7, 1);
    /* bo's EUR deal needs a rate */
    CHECK_INT(fnl_report_deals(e, &q, &r), FNL_ENOTFOUND);
    CHECK(strstr(fnl_errmsg(e), "EUR->USD at 2024-02-21") != NULL);
    q.fx = fx;
    q.stage_probabilities = &sp;
    q.stage_probability_count = 1;
    q.benchmark_win_rate = 0.5;
    q.benchmark_cycle_days = 15;
    q.benchmark_deal_size = 100000;
    CHECK_OK(fnl_report_deals(e, &q, &r));
    CHECK_INT(fnl_report_row_count(r), 3);
    /* ana: 4 deals, 2 won, 1 lost, 1 open; win rate 2 / 3; won 400,000,
     * lost 50,000, pipeline 200,000; average won 200,000; cycles 10 and
     * 30: median 20, p90 the ceil(0.9 x 2) = 2nd: 30 */
    CHECK_STR(at(r, 0, "group").str, "ana");
    CHECK_INT(at(r, 0, "deals").i, 4);
    CHECK_INT(at(r, 0, "won").i, 2);
    CHECK_INT(at(r, 0, "lost").i, 1);
    CHECK_INT(at(r, 0, "open").i, 1);
    CHECK_NEAR(at(r, 0, "win_rate").num, 2.0 / 3.0, 1e-15);
    CHECK_INT(at(r, 0, "won_amount").i, 400000);
    CHECK_INT(at(r, 0, "lost_amount").i, 50000);
    CHECK_INT(at(r, 0, "pipeline").i, 200000);
    CHECK_INT(at(r, 0, "avg_deal_size").i, 200000);
    CHECK_NEAR(at(r, 0, "cycle_median_days").num, 20, 0);
    CHECK_NEAR(at(r, 0, "cycle_p90_days").num, 30, 0);
    /* forecast: a4's stage is not listed: ana's win rate, 200,000 x 2 / 3
     * = 133,333.33 -> 133,333 */
    CHECK_INT(at(r, 0, "forecast").i, 133333);
    CHECK_INT(at(r, 0, "below_win_rate_benchmark").i, 0);
    CHECK_INT(at(r, 0, "above_cycle_benchmark").i, 1);
    CHECK_INT(at(r, 0, "below_deal_size_benchmark").i, 0);
    /* bo: EUR 400.00 x 1.25 = 50,000 cents; win rate 1 / 3; one cycle of
     * 20 days; Prospecting at 0.1: 100,000 x 0.1 = 10,000 */
    CHECK_STR(at(r, 1, "group").str, "bo");
    CHECK_INT(at(r, 1, "won_amount").i, 50000);
    CHECK_NEAR(at(r, 1, "win_rate").num, 1.0 / 3.0, 1e-15);
    CHECK_NEAR(at(r, 1, "cycle_median_days").num, 20, 0);
    CHECK_NEAR(at(r, 1, "cycle_p90_days").num, 20, 0);
    CHECK_INT(at(r, 1, "forecast").i, 10000);
    CHECK_INT(at(r, 1, "below_win_rate_benchmark").i, 1);
    CHECK_INT(at(r, 1, "below_deal_size_benchmark").i, 1);
    /* no owner: one open deal, nothing closed: win rate, cycles, average
     * and flags are null; its forecast uses the overall win rate 3 / 6:
     * 70,000 x 0.5 = 35,000 */
    CHECK_INT(at(r, 2, "group").type, FNL_VALUE_NULL);
    CHECK_INT(at(r, 2, "win_rate").type, FNL_VALUE_NULL);
    CHECK_INT(at(r, 2, "cycle_median_days").type, FNL_VALUE_NULL);
    CHECK_INT(at(r, 2, "avg_deal_size").type, FNL_VALUE_NULL);
    CHECK_INT(at(r, 2, "below_win_rate_benchmark").type, FNL_VALUE_NULL);
    CHECK_INT(at(r, 2, "forecast").i, 35000);
    /* totals: 9 deals, 3 won of 6 closed, cycles 10, 20, 30: median 20,
     * p90 the ceil(2.7) = 3rd: 30; forecast 133,333.33 + 10,000 + 35,000
     * = 178,333.33 -> 178,333 */
    CHECK_INT(at(r, FNL_REPORT_TOTALS, "deals").i, 9);
    CHECK_NEAR(at(r, FNL_REPORT_TOTALS, "win_rate").num, 0.5, 0);
    CHECK_INT(at(r, FNL_REPORT_TOTALS, "won_amount").i, 450000);
    CHECK_INT(at(r, FNL_REPORT_TOTALS, "pipeline").i, 370000);
    CHECK_INT(at(r, FNL_REPORT_TOTALS, "avg_deal_size").i, 150000);
    CHECK_NEAR(at(r, FNL_REPORT_TOTALS, "cycle_p90_days").num, 30, 0);
    CHECK_INT(at(r, FNL_REPORT_TOTALS, "forecast").i, 178333);
    CHECK_OK(fnl_report_json(r, NULL, 0, &n) == FNL_ERANGE ? FNL_OK : -1);
    js = malloc(n);
    CHECK_OK(fnl_report_json(r, js, n, NULL));
    CHECK_INT(strlen(js) + 1, n);
    CHECK(strstr(js, "\"totals\":{\"group\":null,\"deals\":9,\"open\":3,"
                     "\"won\":3,\"lost\":3,\"win_rate\":0.5,"
                     "\"won_amount\":450000,\"lost_amount\":60000,"
                     "\"pipeline\":370000,\"avg_deal_size\":150000,"
                     "\"cycle_median_days\":20,\"cycle_p90_days\":30,"
                     "\"forecast\":178333,\"forecast_deals\":3,"
                     "\"below_win_rate_benchmark\":false,"
                     "\"above_cycle_benchmark\":true,"
                     "\"below_deal_size_benchmark\":false}}") != NULL);
    CHECK(strstr(js, "\"win_rate\":0.6666666666666666,") != NULL);
    /* a short buffer is refused and left alone */
    js[0] = 'X';
    CHECK_INT(fnl_report_json(r, js, n - 1, NULL), FNL_ERANGE);
    CHECK(js[0] == 'X');
    free(js);
    fnl_report_free(r);
    /* velocity horizon: n1 is expected to close at Jun 20 + 20 days (the
     * overall median) = Jul 10, after Jul 5: left out; a4 and b4 are due
     * (their expected dates have passed: due now) */
    q.forecast_until = ymd(2024, 7, 5);
    CHECK_OK(fnl_report_deals(e, &q, &r));
    CHECK_INT(at(r, 2, "forecast").i, 0);
    CHECK_INT(at(r, 2, "forecast_deals").i, 0);
    CHECK_INT(at(r, FNL_REPORT_TOTALS, "forecast").i, 143333);
    fnl_report_free(r);
    fnl_fx_free(fx);
    fnl_engine_close(e);
}

/* No deal won: no cycles to sort (the array stays NULL), a win rate of 0
 * and no cycle figures.  (UBSan caught qsort being handed that NULL.) */
TEST(deal_funnel_with_no_won_deal)
{
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_deal_report_request q = FNL_DEAL_REPORT_REQUEST_INIT;
    fnl_report *r;
    fnl_engine *e;
    CHECK_OK(fnl_engine_open(&e, &cfg));
    CHECK_OK(deal(e, "x1", "ana", NULL, "Lost", 1000, NULL, ymd(2024, 1, 1),
                  ymd(2024, 1, 5), FNL_DEAL_LOST));
    CHECK_OK(deal(e, "x2", "ana", NULL, "Open", 2000, NULL, ymd(2024, 1, 2),
                  0, FNL_DEAL_OPEN));
    q.group_by = FNL_DEAL_BY_OWNER;
    q.as_of = ymd(2024, 7, 1);
    CHECK_OK(fnl_report_deals(e, &q, &r));
    CHECK_INT(fnl_report_row_count(r), 1);
    CHECK_INT(at(r, FNL_REPORT_TOTALS, "deals").i, 2);
    CHECK_INT(at(r, FNL_REPORT_TOTALS, "won").i, 0);
    CHECK_NEAR(at(r, FNL_REPORT_TOTALS, "win_rate").num, 0, 0);
    CHECK_INT(at(r, FNL_REPORT_TOTALS, "pipeline").i, 2000);
    fnl_report_free(r);
    fnl_engine_close(e);
}

TEST(deal_funnel_groups_by_account_attribute_status_and_currency)
{
    fnl_engine *e = sample(NULL);
    fnl_fx *fx;
    fnl_deal_report_request q = FNL_DEAL_REPORT_REQUEST_INIT;
    fnl_report *r;
    CHECK(e != NULL);
    CHECK_OK(fnl_fx_new(&fx, NULL));
    CHECK_OK(fnl_fx_add(fx, "EUR", "USD", 1.25, 0, 0));
    q.fx = fx;
    q.as_of = ymd(2024, 7, 1);
    q.group_by = FNL_DEAL_BY_ACCOUNT_ATTR;
    q.group_attr = "Sector";
    CHECK_OK(fnl_report_deals(e, &q, &r));
    CHECK_INT(fnl_report_row_count(r), 2);
    CHECK_STR(at(r, 0, "group").str, "tech");
    CHECK_INT(at(r, 0, "deals").i, 4);
    CHECK_INT(at(r, 1, "group").type, FNL_VALUE_NULL);
    CHECK_INT(at(r, 1, "deals").i, 5);
    fnl_report_free(r);
    q.group_by = FNL_DEAL_BY_STATUS;
    CHECK_OK(fnl_report_deals(e, &q, &r));
    CHECK_STR(at(r, 0, "group").str, "lost");
    CHECK_INT(at(r, 0, "deals").i, 3);
    CHECK_STR(at(r, 1, "group").str, "open");
    CHECK_STR(at(r, 2, "group").str, "won");
    fnl_report_free(r);
    q.group_by = FNL_DEAL_BY_CURRENCY;
    CHECK_OK(fnl_report_deals(e, &q, &r));
    CHECK_STR(at(r, 0, "group").str, "EUR");
    CHECK_INT(at(r, 0, "deals").i, 1);
    CHECK_STR(at(r, 1, "group").str, "USD");
    fnl_report_free(r);
    /* created in February only */
    q.group_by = FNL_DEAL_BY_NONE;
    q.from = ymd(2024, 2, 1);
    q.to = ymd(2024, 3, 1);
    CHECK_OK(fnl_report_deals(e, &q, &r));
    CHECK_INT(at(r, 0, "deals").i, 3);
    fnl_report_free(r);
    q.group_by = FNL_DEAL_BY_ACCOUNT_ATTR;
    q.group_attr = "bad name!";
    CHECK_INT(fnl_report_deals(e, &q, &r), FNL_EINVAL);
    fnl_fx_free(fx);
    fnl_engine_close(e);
}

TEST(cohorts_by_created_month_convert_to_won_by_age)
{
    fnl_engine *e = sample(NULL);
    fnl_fx *fx;
    fnl_cohort_request q = FNL_COHORT_REQUEST_INIT;
    fnl_report *r;
    uint32_t ages[2] = {15, 30};
    CHECK(e != NULL);
    CHECK_OK(fnl_fx_new(&fx, NULL));
    CHECK_OK(fnl_fx_add(fx, "EUR", "USD", 1.25, 0, 0));
    q.fx = fx;
    q.as_of = ymd(2024, 7, 1);
    q.ages = ages;
    q.age_count = 2;
    CHECK_OK(fnl_report_cohort(e, &q, &r));
    /* January to June, empty April and May included */
    CHECK_INT(fnl_report_row_count(r), 6);
    CHECK_STR(at(r, 0, "cohort").str, "2024-01");
    CHECK_STR(at(r, 5, "cohort").str, "2024-06");
    /* January: a1 (10 days), a2 (30 days) won, a3 lost: won within 15
     * days 1 / 3, within 30 days 2 / 3 */
    CHECK_INT(at(r, 0, "deals").i, 3);
    CHECK_INT(at(r, 0, "won_amount").i, 400000);
    CHECK_NEAR(at(r, 0, "won_within_15d").num, 1.0 / 3.0, 1e-15);
    CHECK_NEAR(at(r, 0, "won_within_30d").num, 2.0 / 3.0, 1e-15);
    CHECK_NEAR(at(r, 0, "won_share").num, 2.0 / 3.0, 1e-15);
    /* February: b1 won in 20 days: 0 within 15, 1 / 3 within 30 */
    CHECK_NEAR(at(r, 1, "won_within_15d").num, 0, 0);
    CHECK_NEAR(at(r, 1, "won_within_30d").num, 1.0 / 3.0, 1e-15);
    CHECK_INT(at(r, 1, "won_amount").i, 50000);
    /* March: one open deal: win rate null, won share 0 */
    CHECK_INT(at(r, 2, "win_rate").type, FNL_VALUE_NULL);
    CHECK_NEAR(at(r, 2, "won_share").num, 0, 0);
    /* April: empty: ratios null */
    CHECK_INT(at(r, 3, "deals").i, 0);
    CHECK_INT(at(r, 3, "won_within_15d").type, FNL_VALUE_NULL);
    /* June: b4 is exactly 30 days old at as_of (eligible), n1 only 11 */
    CHECK_NEAR(at(r, 5, "won_within_30d").num, 0, 0);
    CHECK_INT(at(r, 5, "deals").i, 2);
    /* totals: 8 eligible deals, won within 15 days 1, within 30 days 3 */
    CHECK_NEAR(at(r, FNL_REPORT_TOTALS, "won_within_15d").num, 0.125, 0);
    CHECK_NEAR(at(r, FNL_REPORT_TOTALS, "won_within_30d").num, 0.375, 0);
    CHECK_INT(at(r, FNL_REPORT_TOTALS, "deals").i, 9);
    fnl_report_free(r);
    /* quarterly: Q1 7 deals, Q2 2 */
    q.period = FNL_PERIOD_QUARTER;
    CHECK_OK(fnl_report_cohort(e, &q, &r));
    CHECK_INT(fnl_report_row_count(r), 2);
    CHECK_STR(at(r, 0, "cohort").str, "2024-Q1");
    CHECK_INT(at(r, 0, "deals").i, 7);
    fnl_report_free(r);
    ages[1] = 10;
    CHECK_INT(fnl_report_cohort(e, &q, &r), FNL_EINVAL);
    fnl_fx_free(fx);
    fnl_engine_close(e);
}

TEST(report_accessors_validate_their_arguments)
{
    fnl_budget_line l[1] = {{"x", 1, 0, -1}};
    fnl_budget_request q = FNL_BUDGET_REQUEST_INIT;
    fnl_report *r;
    fnl_report_column col = FNL_REPORT_COLUMN_INIT;
    fnl_report_value v = FNL_REPORT_VALUE_INIT;
    fnl_report_info info;
    const char *name;
    char buf[8];
    size_t idx;
    q.total = 5;
    q.lines = l;
    q.line_count = 1;
    q.phases = 1;
    CHECK_OK(fnl_budget_allocate(&q, &r));
    CHECK_OK(fnl_report_info_init(&info, sizeof(info)));
    CHECK_OK(fnl_report_get_info(r, &info));
    CHECK_INT(info.kind, FNL_REPORT_BUDGET);
    CHECK_INT(info.column_count, 7);
    CHECK_OK(fnl_report_column_get(r, 6, &col));
    CHECK_STR(col.name, "phase_1");
    CHECK_INT(col.unit, FNL_UNIT_MONEY);
    CHECK_INT(fnl_report_column_get(r, 7, &col), FNL_ENOTFOUND);
    CHECK_INT(fnl_report_column_find(r, "nope", &idx), FNL_ENOTFOUND);
    CHECK_INT(fnl_report_value_get(r, 1, 0, &v), FNL_ENOTFOUND);
    CHECK_INT(fnl_report_value_get(r, 0, 9, &v), FNL_ENOTFOUND);
    CHECK_INT(fnl_report_value_get(NULL, 0, 0, &v), FNL_EINVAL);
    CHECK_OK(fnl_report_summary_get(r, 0, &name, &v));
    CHECK_STR(name, "total");
    CHECK_INT(v.i, 5);
    CHECK_INT(fnl_report_summary_get(r, 9, &name, &v), FNL_ENOTFOUND);
    CHECK_INT(fnl_report_json(r, NULL, 5, NULL), FNL_EINVAL);
    CHECK_INT(fnl_report_csv(r, buf, sizeof(buf), &idx), FNL_ERANGE);
    CHECK_INT(idx, strlen("line,weight,share,min,cap,amount,phase_1\n"
                          "x,1,1,0,,5,5\n") + 1);
    CHECK_INT(fnl_report_row_count(NULL), 0);
    CHECK_STR(fnl_report_kind_name(FNL_REPORT_COHORT), "cohort");
    CHECK(fnl_report_kind_name(99) == NULL);
    fnl_report_free(r);
}

/* ---- the real CRM sample ------------------------------------------------- */

/* Split one CSV line (no quoted fields in this data set) into fields. */
static size_t split(const char *line, char *buf, size_t cap, char **f,
                    size_t maxf)
{
    size_t n = 0;
    char *p;
    snprintf(buf, cap, "%s", line);
    f[n++] = buf;
    for (p = buf; *p && n < maxf; p++)
        if (*p == ',') {
            *p = '\0';
            f[n++] = p + 1;
        }
    return n;
}

/* "DD-MM-YY" to ms (20YY). */
static int64_t ddmmyy(const char *s)
{
    return ymd(2000 + atoi(s + 6), atoi(s + 3), atoi(s));
}

#define IMPORT_TIME ymd(2018, 1, 1)
#define MAXAG 64

typedef struct naive_agent {
    char name[64];
    int won, lost, open;
    int64_t won_value;
    double cycles[600];
    int ncycles;
} naive_agent;

static naive_agent agents[MAXAG];
static int nagents;

static naive_agent *agent(const char *name)
{
    int i;
    for (i = 0; i < nagents; i++)
        if (strcmp(agents[i].name, name) == 0)
            return &agents[i];
    snprintf(agents[nagents].name, sizeof(agents[0].name), "%s", name);
    return &agents[nagents++];
}

static fnl_engine *import_crm(void)
{
    fnl_engine *e;
    char buf[512], *f[16];
    size_t i;
    if (fnl_engine_open(&e, NULL) != FNL_OK)
        return NULL;
    for (i = 1; i < sizeof(crm_accounts) / sizeof(crm_accounts[0]); i++) {
        fnl_account_update u = FNL_ACCOUNT_UPDATE_INIT;
        fnl_attr a[2] = {{"sector", FNL_ATTR_STRING, NULL, 0},
                         {"office_location", FNL_ATTR_STRING, NULL, 0}};
        if (split(crm_accounts[i], buf, sizeof(buf), f, 16) < 7)
            return NULL;
        a[0].str = f[1];
        a[1].str = f[5];
        u.id = f[0];
        u.attrs = a;
        u.attr_count = 2;
        u.time = IMPORT_TIME;
        if (fnl_account_upsert(e, &u, NULL) != FNL_OK)
            return NULL;
    }
    nagents = 0;
    memset(agents, 0, sizeof(agents));
    for (i = 1; i < sizeof(crm_pipeline) / sizeof(crm_pipeline[0]); i++) {
        fnl_deal_update u = FNL_DEAL_UPDATE_INIT;
        naive_agent *ag;
        if (split(crm_pipeline[i], buf, sizeof(buf), f, 16) < 8)
            return NULL;
        /* opportunity_id, sales_agent, product, account, deal_stage,
         * engage_date, close_date, close_value */
        u.id = f[0];
        u.owner = f[1];
        u.account = f[3][0] ? f[3] : NULL;
        u.stage = f[4];
        u.created = f[5][0] ? ddmmyy(f[5]) : IMPORT_TIME;
        u.amount = f[7][0] ? (int64_t)atoll(f[7]) * 100 : 0;
        u.status = strcmp(f[4], "Won") == 0    ? FNL_DEAL_WON
                   : strcmp(f[4], "Lost") == 0 ? FNL_DEAL_LOST
                                               : FNL_DEAL_OPEN;
        if (u.status != FNL_DEAL_OPEN)
            u.closed = ddmmyy(f[6]);
        if (fnl_deal_upsert(e, &u, NULL) != FNL_OK)
            return NULL;
        /* the naive side */
        ag = agent(f[1]);
        if (u.status == FNL_DEAL_WON) {
            ag->won++;
            ag->won_value += u.amount;
            ag->cycles[ag->ncycles++] =
                (double)(u.closed - u.created) / (double)DAY;
        } else if (u.status == FNL_DEAL_LOST) {
            ag->lost++;
        } else {
            ag->open++;
        }
    }
    return e;
}

static double naive_median(double *x, int n)
{
    int i, j;
    for (i = 1; i < n; i++) /* insertion sort */
        for (j = i; j > 0 && x[j - 1] > x[j]; j--) {
            double t = x[j];
            x[j] = x[j - 1];
            x[j - 1] = t;
        }
    return n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
}

TEST(crm_sample_win_rate_and_median_cycle_by_agent_match_a_naive_count)
{
    fnl_engine *e = import_crm();
    fnl_deal_report_request q = FNL_DEAL_REPORT_REQUEST_INIT;
    fnl_report *r;
    size_t i, rows;
    int seen = 0;
    CHECK(e != NULL);
    q.group_by = FNL_DEAL_BY_OWNER;
    q.as_of = IMPORT_TIME;
    CHECK_OK(fnl_report_deals(e, &q, &r));
    rows = fnl_report_row_count(r);
    CHECK_INT(rows, nagents);
    CHECK_INT(at(r, FNL_REPORT_TOTALS, "deals").i, 500);
    for (i = 0; i < rows; i++) {
        naive_agent *ag = agent(at(r, i, "group").str);
        CHECK_INT(at(r, i, "won").i, ag->won);
        CHECK_INT(at(r, i, "lost").i, ag->lost);
        CHECK_INT(at(r, i, "open").i, ag->open);
        CHECK_INT(at(r, i, "won_amount").i, ag->won_value);
        if (ag->won + ag->lost > 0)
            CHECK_NEAR(at(r, i, "win_rate").num,
                       (double)ag->won / (double)(ag->won + ag->lost), 1e-15);
        else
            CHECK_INT(at(r, i, "win_rate").type, FNL_VALUE_NULL);
        if (ag->ncycles > 0) {
            CHECK_NEAR(at(r, i, "cycle_median_days").num,
                       naive_median(ag->cycles, ag->ncycles), 1e-12);
            seen++;
        }
    }
    CHECK(seen >= 20);
    fnl_report_free(r);
    /* by sector: every deal with an account has one; deals without an
     * account (early stages) form the null group */
    q.group_by = FNL_DEAL_BY_ACCOUNT_ATTR;
    q.group_attr = "sector";
    CHECK_OK(fnl_report_deals(e, &q, &r));
    CHECK(fnl_report_row_count(r) >= 5);
    CHECK_INT(at(r, FNL_REPORT_TOTALS, "deals").i, 500);
    fnl_report_free(r);
    fnl_engine_close(e);
}

TEST(every_allocation_failure_in_deal_reports_is_enomem_and_changes_nothing)
{
    failalloc fa = {-1, 0, 0, 0, 0};
    fnl_allocator a = fa_table(&fa);
    fnl_engine *e = sample(&a);
    fnl_fx *fx;
    char *before, *after;
    int which;
    long n;
    CHECK(e != NULL);
    CHECK_OK(fnl_fx_new(&fx, NULL));
    CHECK_OK(fnl_fx_add(fx, "EUR", "USD", 1.25, 0, 0));
    before = dump_engine(e);
    for (which = 0; which < 3; which++) {
        for (n = 0;; n++) {
            fnl_report *r = NULL;
            long long out0 = fa.outstanding;
            int rc;
            fa_arm(&fa, n, 1);
            if (which < 2) {
                fnl_deal_report_request q = FNL_DEAL_REPORT_REQUEST_INIT;
                q.group_by = which ? FNL_DEAL_BY_CURRENCY : FNL_DEAL_BY_OWNER;
                q.as_of = ymd(2024, 7, 1);
                q.fx = fx;
                rc = fnl_report_deals(e, &q, &r);
            } else {
                fnl_cohort_request q = FNL_COHORT_REQUEST_INIT;
                q.as_of = ymd(2024, 7, 1);
                q.fx = fx;
                rc = fnl_report_cohort(e, &q, &r);
            }
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
    }
    after = dump_engine(e);
    CHECK_STR(after, before);
    free(before);
    free(after);
    fnl_fx_free(fx);
    fnl_engine_close(e);
}

/* ---- groupings by deal attributes and owner records ---------------------- */

static int adeal(fnl_engine *e, const char *id, const char *owner,
                 const char *product, int64_t amount, int64_t created,
                 int64_t closed, uint32_t status)
{
    fnl_deal_update u = FNL_DEAL_UPDATE_INIT;
    fnl_attr a = {"product", FNL_ATTR_STRING, product, 0};
    if (product != NULL && strcmp(product, "#7") == 0) {
        a.type = FNL_ATTR_NUMBER; /* a number groups as null */
        a.str = NULL;
        a.num = 7;
    }
    u.id = id;
    u.owner = owner;
    u.amount = amount;
    u.created = created;
    u.closed = closed;
    u.status = status;
    u.attrs = &a;
    u.attr_count = product ? 1 : 0;
    return fnl_deal_upsert(e, &u, NULL);
}

static int aowner(fnl_engine *e, const char *name, const char *manager,
                  const char *office, int64_t t)
{
    fnl_owner_update u = FNL_OWNER_UPDATE_INIT;
    fnl_attr a[3] = {{"manager", FNL_ATTR_STRING, manager, 0},
                     {"office", FNL_ATTR_STRING, office, 0},
                     {"quota", FNL_ATTR_NUMBER, NULL, 5}};
    u.name = name;
    u.attrs = a;
    u.attr_count = 3;
    u.time = t;
    return fnl_owner_upsert(e, &u);
}

/* Owners: ana (manager Cara, office East), bo (Cara, West), cy (Dan,
 * East), dee (no record).  Deals, with product:
 *   p1  ana GTX  won  Jan 1 -> Jan 11 (10 d)  1,000.00
 *   p2  ana MG   won  Jan 1 -> Jan 31 (30 d)    500.00
 *   p10 ana MG   lost Jan 2 -> Jan 12           200.00
 *   p3  bo  GTX  lost Jan 5 -> Jan 25           800.00
 *   p4  bo  GTX  won  Feb 1 -> Feb 21 (20 d)  1,200.00
 *   p5  cy  MG   lost Feb 1 -> Feb 11           300.00
 *   p6  cy  MG   won  Feb 1 -> Feb 6 (5 d)      400.00
 *   p7  dee 7    won  Mar 1 -> Mar 15 (14 d)    900.00  (product a number)
 *   p8  cy  -    open Mar 10                  2,000.00  (no product)
 *   p9  -   GTX  open Mar 12                    700.00  (no owner) */
static fnl_engine *sample_attrs(const fnl_allocator *al)
{
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_engine *e;
    cfg.allocator = al;
    if (fnl_engine_open(&e, &cfg) != FNL_OK)
        return NULL;
    if (aowner(e, "ana", "Cara", "East", ymd(2024, 1, 1)) ||
        aowner(e, "bo", "Cara", "West", ymd(2024, 1, 1)) ||
        aowner(e, "cy", "Dan", "East", ymd(2024, 1, 1)) ||
        adeal(e, "p1", "ana", "GTX", 100000, ymd(2024, 1, 1),
              ymd(2024, 1, 11), FNL_DEAL_WON) ||
        adeal(e, "p2", "ana", "MG", 50000, ymd(2024, 1, 1), ymd(2024, 1, 31),
              FNL_DEAL_WON) ||
        adeal(e, "p10", "ana", "MG", 20000, ymd(2024, 1, 2),
              ymd(2024, 1, 12), FNL_DEAL_LOST) ||
        adeal(e, "p3", "bo", "GTX", 80000, ymd(2024, 1, 5), ymd(2024, 1, 25),
              FNL_DEAL_LOST) ||
        adeal(e, "p4", "bo", "GTX", 120000, ymd(2024, 2, 1),
              ymd(2024, 2, 21), FNL_DEAL_WON) ||
        adeal(e, "p5", "cy", "MG", 30000, ymd(2024, 2, 1), ymd(2024, 2, 11),
              FNL_DEAL_LOST) ||
        adeal(e, "p6", "cy", "MG", 40000, ymd(2024, 2, 1), ymd(2024, 2, 6),
              FNL_DEAL_WON) ||
        adeal(e, "p7", "dee", "#7", 90000, ymd(2024, 3, 1), ymd(2024, 3, 15),
              FNL_DEAL_WON) ||
        adeal(e, "p8", "cy", NULL, 200000, ymd(2024, 3, 10), 0,
              FNL_DEAL_OPEN) ||
        adeal(e, "p9", NULL, "GTX", 70000, ymd(2024, 3, 12), 0,
              FNL_DEAL_OPEN)) {
        fnl_engine_close(e);
        return NULL;
    }
    return e;
}

TEST(deal_funnel_by_product_from_deal_attributes)
{
    fnl_engine *e = sample_attrs(NULL);
    fnl_deal_report_request q = FNL_DEAL_REPORT_REQUEST_INIT;
    fnl_report *r;
    fnl_report_value v = FNL_REPORT_VALUE_INIT;
    const char *name;
    CHECK(e != NULL);
    q.group_by = FNL_DEAL_BY_ATTR;
    q.group_attr = "Product"; /* folded like attribute names on input */
    q.as_of = ymd(2024, 7, 1);
    CHECK_OK(fnl_report_deals(e, &q, &r));
    CHECK_INT(fnl_report_row_count(r), 3);
    /* GTX: p1 won (10 d), p3 lost, p4 won (20 d), p9 open: win rate 2 / 3,
     * won 2,200.00, lost 800.00, pipeline 700.00, average 1,100.00,
     * cycles 10 and 20: median 15, p90 the 2nd of 2: 20 */
    CHECK_STR(at(r, 0, "group").str, "GTX");
    CHECK_INT(at(r, 0, "deals").i, 4);
    CHECK_INT(at(r, 0, "won").i, 2);
    CHECK_INT(at(r, 0, "lost").i, 1);
    CHECK_INT(at(r, 0, "open").i, 1);
    CHECK_NEAR(at(r, 0, "win_rate").num, 2.0 / 3.0, 1e-15);
    CHECK_INT(at(r, 0, "won_amount").i, 220000);
    CHECK_INT(at(r, 0, "lost_amount").i, 80000);
    CHECK_INT(at(r, 0, "pipeline").i, 70000);
    CHECK_INT(at(r, 0, "avg_deal_size").i, 110000);
    CHECK_NEAR(at(r, 0, "cycle_median_days").num, 15, 0);
    CHECK_NEAR(at(r, 0, "cycle_p90_days").num, 20, 0);
    /* MG: p2 won (30 d), p10 lost, p5 lost, p6 won (5 d): 2 / 4; median
     * (5 + 30) / 2 = 17.5; p90 30 */
    CHECK_STR(at(r, 1, "group").str, "MG");
    CHECK_INT(at(r, 1, "deals").i, 4);
    CHECK_NEAR(at(r, 1, "win_rate").num, 0.5, 0);
    CHECK_INT(at(r, 1, "won_amount").i, 90000);
    CHECK_INT(at(r, 1, "lost_amount").i, 50000);
    CHECK_NEAR(at(r, 1, "cycle_median_days").num, 17.5, 0);
    CHECK_NEAR(at(r, 1, "cycle_p90_days").num, 30, 0);
    /* null: p7 (a number) won in 14 days, p8 (no product) open */
    CHECK_INT(at(r, 2, "group").type, FNL_VALUE_NULL);
    CHECK_INT(at(r, 2, "deals").i, 2);
    CHECK_NEAR(at(r, 2, "win_rate").num, 1, 0);
    CHECK_NEAR(at(r, 2, "cycle_median_days").num, 14, 0);
    /* totals: 5 won of 8 closed; cycles 5, 10, 14, 20, 30: median 14,
     * p90 the ceil(4.5) = 5th: 30 */
    CHECK_INT(at(r, FNL_REPORT_TOTALS, "deals").i, 10);
    CHECK_NEAR(at(r, FNL_REPORT_TOTALS, "win_rate").num, 0.625, 0);
    CHECK_NEAR(at(r, FNL_REPORT_TOTALS, "cycle_median_days").num, 14, 0);
    CHECK_NEAR(at(r, FNL_REPORT_TOTALS, "cycle_p90_days").num, 30, 0);
    CHECK_OK(fnl_report_summary_get(r, 0, &name, &v));
    CHECK_STR(name, "group_by");
    CHECK_STR(v.str, "attr");
    CHECK_OK(fnl_report_summary_get(r, 1, &name, &v));
    CHECK_STR(name, "group_attr");
    CHECK_STR(v.str, "Product");
    fnl_report_free(r);
    /* an attribute no deal has: one null row */
    q.group_attr = "never_seen";
    CHECK_OK(fnl_report_deals(e, &q, &r));
    CHECK_INT(fnl_report_row_count(r), 1);
    CHECK_INT(at(r, 0, "group").type, FNL_VALUE_NULL);
    CHECK_INT(at(r, 0, "deals").i, 10);
    fnl_report_free(r);
    q.group_attr = NULL;
    CHECK_INT(fnl_report_deals(e, &q, &r), FNL_EINVAL);
    q.group_attr = "no spaces";
    CHECK_INT(fnl_report_deals(e, &q, &r), FNL_EINVAL);
    q.group_by = FNL_DEAL_BY_OWNER_ATTR + 1;
    q.group_attr = "product";
    CHECK_INT(fnl_report_deals(e, &q, &r), FNL_EINVAL);
    fnl_engine_close(e);
}

TEST(deal_funnel_by_manager_and_office_from_owner_records)
{
    fnl_engine *e = sample_attrs(NULL);
    fnl_deal_report_request q = FNL_DEAL_REPORT_REQUEST_INIT;
    fnl_report *r;
    fnl_report_value v = FNL_REPORT_VALUE_INIT;
    const char *name;
    CHECK(e != NULL);
    q.group_by = FNL_DEAL_BY_OWNER_ATTR;
    q.group_attr = "manager";
    q.as_of = ymd(2024, 7, 1);
    CHECK_OK(fnl_report_deals(e, &q, &r));
    CHECK_INT(fnl_report_row_count(r), 3);
    /* Cara (ana, bo): p1 won 10 d, p2 won 30 d, p10 lost, p3 lost, p4 won
     * 20 d: 3 / 5; won 1,000 + 500 + 1,200; median 20, p90 the 3rd: 30 */
    CHECK_STR(at(r, 0, "group").str, "Cara");
    CHECK_INT(at(r, 0, "deals").i, 5);
    CHECK_NEAR(at(r, 0, "win_rate").num, 0.6, 1e-15);
    CHECK_INT(at(r, 0, "won_amount").i, 270000);
    CHECK_INT(at(r, 0, "lost_amount").i, 100000);
    CHECK_NEAR(at(r, 0, "cycle_median_days").num, 20, 0);
    CHECK_NEAR(at(r, 0, "cycle_p90_days").num, 30, 0);
    /* Dan (cy): p5 lost, p6 won 5 d, p8 open: 1 / 2; median 5; the open
     * 2,000.00 forecast at Dan's win rate: 1,000.00 */
    CHECK_STR(at(r, 1, "group").str, "Dan");
    CHECK_INT(at(r, 1, "deals").i, 3);
    CHECK_NEAR(at(r, 1, "win_rate").num, 0.5, 0);
    CHECK_NEAR(at(r, 1, "cycle_median_days").num, 5, 0);
    CHECK_INT(at(r, 1, "pipeline").i, 200000);
    CHECK_INT(at(r, 1, "forecast").i, 100000);
    /* null: dee has no record (p7 won in 14 d), p9 has no owner */
    CHECK_INT(at(r, 2, "group").type, FNL_VALUE_NULL);
    CHECK_INT(at(r, 2, "deals").i, 2);
    CHECK_NEAR(at(r, 2, "cycle_median_days").num, 14, 0);
    CHECK_OK(fnl_report_summary_get(r, 0, &name, &v));
    CHECK_STR(v.str, "owner_attr");
    fnl_report_free(r);
    /* by office: East (ana, cy) p1, p2, p10, p5, p6, p8: 3 won (10, 30,
     * 5 d), 2 lost: 0.6, median 10; West (bo): 1 / 2, median 20 */
    q.group_attr = "office";
    CHECK_OK(fnl_report_deals(e, &q, &r));
    CHECK_STR(at(r, 0, "group").str, "East");
    CHECK_INT(at(r, 0, "deals").i, 6);
    CHECK_NEAR(at(r, 0, "win_rate").num, 0.6, 1e-15);
    CHECK_NEAR(at(r, 0, "cycle_median_days").num, 10, 0);
    CHECK_STR(at(r, 1, "group").str, "West");
    CHECK_INT(at(r, 1, "deals").i, 2);
    CHECK_NEAR(at(r, 1, "cycle_median_days").num, 20, 0);
    fnl_report_free(r);
    /* a numeric owner attribute groups everything as null */
    q.group_attr = "quota";
    CHECK_OK(fnl_report_deals(e, &q, &r));
    CHECK_INT(fnl_report_row_count(r), 1);
    CHECK_INT(at(r, 0, "deals").i, 10);
    fnl_report_free(r);
    /* bo moves to Dan: reports read the current record.  Cara (ana): p1
     * won 10 d, p2 won 30 d, p10 lost: 2 / 3, median 20; Dan (bo, cy):
     * p3 lost, p4 won 20 d, p5 lost, p6 won 5 d, p8 open: 2 / 4, median
     * (5 + 20) / 2 = 12.5 */
    CHECK_OK(aowner(e, "bo", "Dan", "West", ymd(2024, 4, 1)));
    q.group_attr = "manager";
    CHECK_OK(fnl_report_deals(e, &q, &r));
    CHECK_STR(at(r, 0, "group").str, "Cara");
    CHECK_INT(at(r, 0, "deals").i, 3);
    CHECK_NEAR(at(r, 0, "win_rate").num, 2.0 / 3.0, 1e-15);
    CHECK_NEAR(at(r, 0, "cycle_median_days").num, 20, 0);
    CHECK_STR(at(r, 1, "group").str, "Dan");
    CHECK_INT(at(r, 1, "deals").i, 5);
    CHECK_NEAR(at(r, 1, "win_rate").num, 0.5, 0);
    CHECK_NEAR(at(r, 1, "cycle_median_days").num, 12.5, 0);
    fnl_report_free(r);
    fnl_engine_close(e);
}

TEST(every_allocation_failure_in_attribute_groupings_is_enomem)
{
    failalloc fa = {-1, 0, 0, 0, 0};
    fnl_allocator a = fa_table(&fa);
    fnl_engine *e = sample_attrs(&a);
    char *before, *after;
    int which;
    long n;
    CHECK(e != NULL);
    before = dump_engine(e);
    for (which = 0; which < 2; which++) {
        for (n = 0;; n++) {
            fnl_deal_report_request q = FNL_DEAL_REPORT_REQUEST_INIT;
            fnl_report *r = NULL;
            long long out0 = fa.outstanding;
            int rc;
            q.group_by = which ? FNL_DEAL_BY_OWNER_ATTR : FNL_DEAL_BY_ATTR;
            q.group_attr = which ? "manager" : "product";
            q.as_of = ymd(2024, 7, 1);
            fa_arm(&fa, n, 1);
            rc = fnl_report_deals(e, &q, &r);
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
    }
    after = dump_engine(e);
    CHECK_STR(after, before);
    free(before);
    free(after);
    fnl_engine_close(e);
}

/* sales_teams.csv of the same sample: agent, manager, regional office */
static const char *const crm_teams[][3] = {
    {"Anna Snelling", "Dustin Brinkmann", "Central"},
    {"Cecily Lampkin", "Dustin Brinkmann", "Central"},
    {"Versie Hillebrand", "Dustin Brinkmann", "Central"},
    {"Lajuana Vencill", "Dustin Brinkmann", "Central"},
    {"Moses Frase", "Dustin Brinkmann", "Central"},
    {"Jonathan Berthelot", "Melvin Marxen", "Central"},
    {"Marty Freudenburg", "Melvin Marxen", "Central"},
    {"Gladys Colclough", "Melvin Marxen", "Central"},
    {"Niesha Huffines", "Melvin Marxen", "Central"},
    {"Darcel Schlecht", "Melvin Marxen", "Central"},
    {"Mei-Mei Johns", "Melvin Marxen", "Central"},
    {"Violet Mclelland", "Cara Losch", "East"},
    {"Corliss Cosme", "Cara Losch", "East"},
    {"Rosie Papadopoulos", "Cara Losch", "East"},
    {"Garret Kinder", "Cara Losch", "East"},
    {"Wilburn Farren", "Cara Losch", "East"},
    {"Elizabeth Anderson", "Cara Losch", "East"},
    {"Daniell Hammack", "Rocco Neubert", "East"},
    {"Cassey Cress", "Rocco Neubert", "East"},
    {"Donn Cantrell", "Rocco Neubert", "East"},
    {"Reed Clapper", "Rocco Neubert", "East"},
    {"Boris Faz", "Rocco Neubert", "East"},
    {"Natalya Ivanova", "Rocco Neubert", "East"},
    {"Vicki Laflamme", "Celia Rouche", "West"},
    {"Rosalina Dieter", "Celia Rouche", "West"},
    {"Hayden Neloms", "Celia Rouche", "West"},
    {"Markita Hansen", "Celia Rouche", "West"},
    {"Elease Gluck", "Celia Rouche", "West"},
    {"Carol Thompson", "Celia Rouche", "West"},
    {"James Ascencio", "Summer Sewald", "West"},
    {"Kary Hendrixson", "Summer Sewald", "West"},
    {"Kami Bicknell", "Summer Sewald", "West"},
    {"Zane Levy", "Summer Sewald", "West"},
    {"Maureen Marcano", "Summer Sewald", "West"},
    {"Carl Lin", "Summer Sewald", "West"},
};

/* A naive second count of one grouping of the CRM slice: the product
 * column (dim 0) or the agent's manager (dim 1). */
typedef struct naive_grp {
    char key[64];
    int deals, won, lost;
    double cycles[600];
    int ncycles;
} naive_grp;

static naive_grp ngrp[64];
static int nngrp;

static const char *crm_manager(const char *agent)
{
    size_t i;
    for (i = 0; i < sizeof(crm_teams) / sizeof(crm_teams[0]); i++)
        if (strcmp(crm_teams[i][0], agent) == 0)
            return crm_teams[i][1];
    return NULL;
}

static void naive_by(int dim)
{
    char buf[512], *f[16];
    size_t i;
    int g;
    nngrp = 0;
    memset(ngrp, 0, sizeof(ngrp));
    for (i = 1; i < sizeof(crm_pipeline) / sizeof(crm_pipeline[0]); i++) {
        const char *key;
        int64_t created, closed;
        split(crm_pipeline[i], buf, sizeof(buf), f, 16);
        key = dim == 0 ? f[2] : crm_manager(f[1]);
        for (g = 0; g < nngrp; g++)
            if (strcmp(ngrp[g].key, key) == 0)
                break;
        if (g == nngrp)
            snprintf(ngrp[nngrp++].key, sizeof(ngrp[0].key), "%s", key);
        ngrp[g].deals++;
        if (strcmp(f[4], "Won") == 0) {
            created = f[5][0] ? ddmmyy(f[5]) : IMPORT_TIME;
            closed = ddmmyy(f[6]);
            ngrp[g].won++;
            ngrp[g].cycles[ngrp[g].ncycles++] =
                (double)(closed - created) / (double)DAY;
        } else if (strcmp(f[4], "Lost") == 0) {
            ngrp[g].lost++;
        }
    }
}

static naive_grp *ngrp_of(const char *key)
{
    int g;
    for (g = 0; g < nngrp; g++)
        if (key != NULL && strcmp(ngrp[g].key, key) == 0)
            return &ngrp[g];
    return NULL;
}

TEST(crm_sample_by_product_and_manager_match_a_naive_count)
{
    fnl_engine *e = import_crm();
    fnl_deal_report_request q = FNL_DEAL_REPORT_REQUEST_INIT;
    fnl_report *r;
    char buf[512], *f[16];
    size_t i, t;
    int dim;
    CHECK(e != NULL);
    /* the product as a deal attribute, the teams as owner records */
    for (i = 1; i < sizeof(crm_pipeline) / sizeof(crm_pipeline[0]); i++) {
        fnl_deal_update u = FNL_DEAL_UPDATE_INIT;
        fnl_attr a = {"product", FNL_ATTR_STRING, NULL, 0};
        split(crm_pipeline[i], buf, sizeof(buf), f, 16);
        a.str = f[2];
        u.id = f[0];
        u.created = FNL_TIME_NOW; /* keep the imported times */
        u.amount = f[7][0] ? (int64_t)atoll(f[7]) * 100 : 0;
        u.status = strcmp(f[4], "Won") == 0    ? FNL_DEAL_WON
                   : strcmp(f[4], "Lost") == 0 ? FNL_DEAL_LOST
                                               : FNL_DEAL_OPEN;
        if (u.status != FNL_DEAL_OPEN)
            u.closed = ddmmyy(f[6]);
        u.attrs = &a;
        u.attr_count = 1;
        CHECK_OK(fnl_deal_upsert(e, &u, NULL));
    }
    for (t = 0; t < sizeof(crm_teams) / sizeof(crm_teams[0]); t++) {
        fnl_owner_update u = FNL_OWNER_UPDATE_INIT;
        fnl_attr a[2] = {{"manager", FNL_ATTR_STRING, NULL, 0},
                         {"regional_office", FNL_ATTR_STRING, NULL, 0}};
        a[0].str = crm_teams[t][1];
        a[1].str = crm_teams[t][2];
        u.name = crm_teams[t][0];
        u.attrs = a;
        u.attr_count = 2;
        u.time = IMPORT_TIME;
        CHECK_OK(fnl_owner_upsert(e, &u));
    }
    q.as_of = IMPORT_TIME;
    for (dim = 0; dim < 2; dim++) {
        size_t rows;
        int with_cycles = 0;
        naive_by(dim);
        q.group_by = dim == 0 ? FNL_DEAL_BY_ATTR : FNL_DEAL_BY_OWNER_ATTR;
        q.group_attr = dim == 0 ? "product" : "manager";
        CHECK_OK(fnl_report_deals(e, &q, &r));
        rows = fnl_report_row_count(r);
        CHECK_INT(rows, nngrp);
        CHECK(rows >= (dim == 0 ? 7u : 6u));
        CHECK_INT(at(r, FNL_REPORT_TOTALS, "deals").i, 500);
        for (i = 0; i < rows; i++) {
            naive_grp *g = ngrp_of(at(r, i, "group").str);
            CHECK(g != NULL);
            CHECK_INT(at(r, i, "deals").i, g->deals);
            CHECK_INT(at(r, i, "won").i, g->won);
            CHECK_INT(at(r, i, "lost").i, g->lost);
            CHECK_NEAR(at(r, i, "win_rate").num,
                       (double)g->won / (double)(g->won + g->lost), 1e-15);
            if (g->ncycles > 0) {
                CHECK_NEAR(at(r, i, "cycle_median_days").num,
                           naive_median(g->cycles, g->ncycles), 1e-12);
                with_cycles++;
            }
        }
        CHECK(with_cycles >= 6);
        fnl_report_free(r);
    }
    fnl_engine_close(e);
}

int main(void)
{
    RUN(deal_funnel_by_owner_with_velocity_forecast_and_benchmarks);
    RUN(deal_funnel_with_no_won_deal);
    RUN(deal_funnel_groups_by_account_attribute_status_and_currency);
    RUN(cohorts_by_created_month_convert_to_won_by_age);
    RUN(report_accessors_validate_their_arguments);
    RUN(crm_sample_win_rate_and_median_cycle_by_agent_match_a_naive_count);
    RUN(every_allocation_failure_in_deal_reports_is_enomem_and_changes_nothing);
    RUN(deal_funnel_by_product_from_deal_attributes);
    RUN(deal_funnel_by_manager_and_office_from_owner_records);
    RUN(every_allocation_failure_in_attribute_groupings_is_enomem);
    RUN(crm_sample_by_product_and_manager_match_a_naive_count);
    TEST_MAIN_END();
}
