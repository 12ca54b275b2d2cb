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

int main(void)
{
    RUN(deal_funnel_by_owner_with_velocity_forecast_and_benchmarks);
    RUN(deal_funnel_groups_by_account_attribute_status_and_currency);
    RUN(cohorts_by_created_month_convert_to_won_by_age);
    RUN(report_accessors_validate_their_arguments);
    RUN(crm_sample_win_rate_and_median_cycle_by_agent_match_a_naive_count);
    RUN(every_allocation_failure_in_deal_reports_is_enomem_and_changes_nothing);
    TEST_MAIN_END();
}
