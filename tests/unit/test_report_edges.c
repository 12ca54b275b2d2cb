/* test_report_edges -- the corners of the report building blocks that the
 * main tests (test_reports, test_budget, test_survival) leave out: period
 * arithmetic at its limits, proration ties, currency rates, the report
 * readers' argument checks, JSON and CSV escaping, budget and survival
 * request checks, working-hours calendars (parse errors with their byte
 * columns, formatting, saturation), and report buckets.  Expected values
 * are worked out by hand in the comments. */
#include "calendar.h"
#include "failalloc.h"
#include "funnelcore.h"
#include "report.h"
#include "test.h"

#define DAY INT64_C(86400000)
/* 2024-01-01T00:00:00Z (a Monday) */
#define Y2024 INT64_C(1704067200000)

TEST(periods_at_their_limits)
{
    int64_t t;
    char buf[16];
    size_t need;
    CHECK_STR(fnl_period_name(FNL_PERIOD_ALL), "all");
    CHECK_STR(fnl_period_name(FNL_PERIOD_CUSTOM), "custom");
    CHECK(fnl_period_name(7) == NULL);
    CHECK_INT(fnl_period_floor(FNL_PERIOD_DAY, 0, NULL), FNL_EINVAL);
    CHECK_INT(fnl_period_floor(FNL_PERIOD_ALL, 0, &t), FNL_EINVAL);
    CHECK_INT(fnl_period_floor(FNL_PERIOD_CUSTOM, 0, &t), FNL_EINVAL);
    CHECK_INT(fnl_period_floor(FNL_PERIOD_DAY, -1, &t), FNL_EINVAL);
    CHECK_INT(fnl_period_floor(FNL_PERIOD_DAY, FNL_TIME_MAX + 1, &t),
              FNL_EINVAL);
    CHECK_INT(fnl_period_next(FNL_PERIOD_DAY, 0, NULL), FNL_EINVAL);
    CHECK_INT(fnl_period_next(FNL_PERIOD_ALL, 0, &t), FNL_EINVAL);
    CHECK_INT(fnl_period_next(FNL_PERIOD_DAY, -1, &t), FNL_EINVAL);
    CHECK_INT(fnl_period_next(FNL_PERIOD_DAY, FNL_TIME_MAX + 1, &t),
              FNL_EINVAL);
    /* the year after mid-2024 starts 2025-01-01: 2024 has 366 days */
    CHECK_OK(fnl_period_next(FNL_PERIOD_YEAR, Y2024 + 166 * DAY, &t));
    CHECK_INT(t, Y2024 + 366 * DAY);
    /* 9999-12-31 is a Friday: the next ISO week starts 10000-01-03,
     * past FNL_TIME_MAX + 1 (10000-01-01); the next day is exactly it */
    CHECK_INT(fnl_period_next(FNL_PERIOD_WEEK, FNL_TIME_MAX, &t),
              FNL_ERANGE);
    CHECK_OK(fnl_period_next(FNL_PERIOD_DAY, FNL_TIME_MAX, &t));
    CHECK_INT(t, FNL_TIME_MAX + 1);
    /* labels: arguments, a short buffer, the ISO week-year */
    CHECK_INT(fnl_period_label(FNL_PERIOD_ALL, 0, buf, sizeof(buf), &need),
              FNL_EINVAL);
    CHECK_INT(fnl_period_label(FNL_PERIOD_DAY, -1, buf, sizeof(buf), &need),
              FNL_EINVAL);
    CHECK_INT(fnl_period_label(FNL_PERIOD_DAY, 0, NULL, 4, &need),
              FNL_EINVAL);
    /* "2024-01-01" needs 11 bytes */
    CHECK_INT(fnl_period_label(FNL_PERIOD_DAY, Y2024, buf, 10, &need),
              FNL_ERANGE);
    CHECK_INT(need, 11);
    CHECK_INT(fnl_period_label(FNL_PERIOD_DAY, Y2024, NULL, 0, NULL),
              FNL_ERANGE);
    /* 2021-01-01 was a Friday: ISO week 53 of 2020 */
    CHECK_OK(fnl_period_label(FNL_PERIOD_WEEK, INT64_C(1609459200000), buf,
                              sizeof(buf), NULL));
    CHECK_STR(buf, "2020-W53");
    /* 2024-05-10: Q2 */
    CHECK_OK(fnl_period_label(FNL_PERIOD_QUARTER, Y2024 + 130 * DAY, buf,
                              sizeof(buf), NULL));
    CHECK_STR(buf, "2024-Q2");
    CHECK_OK(fnl_period_label(FNL_PERIOD_YEAR, Y2024, buf, sizeof(buf),
                              NULL));
    CHECK_STR(buf, "2024");
    /* a time of day prints in full, a midnight as a date */
    {
        char b[40];
        fnli_iso_time(Y2024 + 12 * 3600000 + 34 * 60000 + 56789, b,
                      sizeof(b));
        CHECK_STR(b, "2024-01-01T12:34:56.789Z");
        fnli_iso_time(Y2024, b, sizeof(b));
        CHECK_STR(b, "2024-01-01");
        CHECK_OK(fnli_bucket_label(FNL_PERIOD_CUSTOM, Y2024 + 1, b,
                                   sizeof(b)));
        CHECK_STR(b, "2024-01-01T00:00:00.001Z");
    }
}

TEST(buckets_check_their_bounds)
{
    fnli_mem mem;
    int64_t *b = NULL, custom[3] = {Y2024, Y2024 + DAY, Y2024 + 2 * DAY};
    int64_t bad[3] = {Y2024, Y2024, Y2024 + DAY};
    size_t n;
    CHECK_OK(fnli_mem_init(&mem, NULL));
    /* custom: NULL, one bound, not increasing, out of range */
    CHECK_INT(fnli_buckets(&mem, FNL_PERIOD_CUSTOM, 0, 0, NULL, 3, &b, &n),
              FNL_EINVAL);
    CHECK_INT(fnli_buckets(&mem, FNL_PERIOD_CUSTOM, 0, 0, custom, 1, &b, &n),
              FNL_EINVAL);
    CHECK_INT(fnli_buckets(&mem, FNL_PERIOD_CUSTOM, 0, 0, bad, 3, &b, &n),
              FNL_EINVAL);
    bad[0] = -1;
    bad[1] = 5;
    CHECK_INT(fnli_buckets(&mem, FNL_PERIOD_CUSTOM, 0, 0, bad, 3, &b, &n),
              FNL_EINVAL);
    /* more than FNLI_MAX_BUCKETS custom buckets: a limit (the array is
     * not read past the count check) */
    CHECK_INT(fnli_buckets(&mem, FNL_PERIOD_CUSTOM, 0, 0, custom,
                           FNLI_MAX_BUCKETS + 2, &b, &n),
              FNL_ELIMIT);
    CHECK_OK(fnli_buckets(&mem, FNL_PERIOD_CUSTOM, 0, 0, custom, 3, &b, &n));
    CHECK_INT(n, 2);
    CHECK_INT(fnli_bucket_of(b, n, Y2024 - 1), SIZE_MAX);
    CHECK_INT(fnli_bucket_of(b, n, Y2024 + 2 * DAY), SIZE_MAX);
    CHECK_INT(fnli_bucket_of(b, n, Y2024 + DAY), 1);
    CHECK_INT(fnli_bucket_of(b, 0, Y2024), SIZE_MAX);
    fnli_free(&mem, b, 3 * sizeof(*b));
    /* ALL: one bucket [from, to) */
    CHECK_OK(fnli_buckets(&mem, FNL_PERIOD_ALL, 5, 9, NULL, 0, &b, &n));
    CHECK_INT(n, 1);
    CHECK_INT(b[0], 5);
    CHECK_INT(b[1], 9);
    fnli_free(&mem, b, 2 * sizeof(*b));
    /* bad ranges and kinds */
    CHECK_INT(fnli_buckets(&mem, FNL_PERIOD_DAY, 9, 9, NULL, 0, &b, &n),
              FNL_EINVAL);
    CHECK_INT(fnli_buckets(&mem, FNL_PERIOD_DAY, -1, 9, NULL, 0, &b, &n),
              FNL_EINVAL);
    CHECK_INT(fnli_buckets(&mem, 9, 0, 9, NULL, 0, &b, &n), FNL_EINVAL);
    /* days over 300 years: more than 100,000 buckets */
    CHECK_INT(fnli_buckets(&mem, FNL_PERIOD_DAY, 0, 300 * 366 * DAY, NULL, 0,
                           &b, &n),
              FNL_ELIMIT);
    CHECK_INT(mem.bytes, 0);
}

TEST(bucket_allocation_failures_are_enomem)
{
    failalloc fa = {-1, 0, 0, 0, 0};
    fnl_allocator a = fa_table(&fa);
    fnli_mem mem;
    int64_t *b = NULL, custom[2] = {0, 1};
    size_t n;
    CHECK_OK(fnli_mem_init(&mem, &a));
    fa_arm(&fa, 0, 0);
    CHECK_INT(fnli_buckets(&mem, FNL_PERIOD_CUSTOM, 0, 0, custom, 2, &b, &n),
              FNL_ENOMEM);
    fa_arm(&fa, 0, 0);
    CHECK_INT(fnli_buckets(&mem, FNL_PERIOD_ALL, 0, 5, NULL, 0, &b, &n),
              FNL_ENOMEM);
    fa_arm(&fa, 0, 0);
    CHECK_INT(fnli_buckets(&mem, FNL_PERIOD_MONTH, 0, 5 * DAY, NULL, 0, &b,
                           &n),
              FNL_ENOMEM);
    fa_disarm(&fa);
    CHECK(b == NULL);
    CHECK_INT(fa.outstanding, 0);
}

TEST(proration_checks_and_ties)
{
    int64_t out[4], cuts[3] = {10, 20, 30};
    int64_t same[2] = {10, 10};
    CHECK_INT(fnl_prorate(5, 0, 10, cuts, 3, NULL), FNL_EINVAL);
    CHECK_INT(fnl_prorate(5, 0, 10, NULL, 2, out), FNL_EINVAL);
    CHECK_INT(fnl_prorate(5, 10, 10, cuts, 3, out), FNL_EINVAL);
    CHECK_INT(fnl_prorate(-5, 0, 10, cuts, 3, out), FNL_EINVAL);
    CHECK_INT(fnl_prorate(5, 0, 10, same, 2, out), FNL_EINVAL);
    /* 2 units over [9, 12) cut at 10 and 11: three slices of 1 ms (plus
     * the empty slice after 30... here cuts are {10, 11}: slices (..10),
     * [10, 11), [11, ..)), each 2/3: floors 0, remainders all equal, so
     * the units go to the two earliest slices: 1, 1, 0 */
    {
        int64_t c2[2] = {10, 11}, o3[3];
        CHECK_OK(fnl_prorate(2, 9, 12, c2, 2, o3));
        CHECK_INT(o3[0], 1);
        CHECK_INT(o3[1], 1);
        CHECK_INT(o3[2], 0);
    }
    /* no cuts: everything in the one slice */
    CHECK_OK(fnl_prorate(7, 0, 10, NULL, 0, out));
    CHECK_INT(out[0], 7);
}

TEST(currency_rates_check_and_convert)
{
    fnl_fx *fx;
    int64_t v;
    CHECK_INT(fnl_fx_new(NULL, NULL), FNL_EINVAL);
    {
        fnl_allocator newer = {FNL_ALLOCATOR_VERSION + 1, NULL, NULL, NULL,
                               NULL};
        CHECK_INT(fnl_fx_new(&fx, &newer), FNL_EVERSION);
    }
    {
        failalloc fa = {-1, 0, 0, 0, 0};
        fnl_allocator a = fa_table(&fa);
        fa_arm(&fa, 0, 0);
        CHECK_INT(fnl_fx_new(&fx, &a), FNL_ENOMEM);
        fa_disarm(&fa);
        CHECK_OK(fnl_fx_new(&fx, &a));
        fa_arm(&fa, 0, 0);
        CHECK_INT(fnl_fx_add(fx, "EUR", "USD", 1.1, 0, 0), FNL_ENOMEM);
        fa_disarm(&fa);
        CHECK_INT(fnl_fx_convert(fx, 100, "EUR", "USD", 5, &v),
                  FNL_ENOTFOUND);
        fnl_fx_free(fx);
        CHECK_INT(fa.outstanding, 0);
    }
    CHECK_OK(fnl_fx_new(&fx, NULL));
    CHECK_INT(fnl_fx_add(NULL, "EUR", "USD", 1.1, 0, 0), FNL_EINVAL);
    CHECK_INT(fnl_fx_add(fx, "EU", "USD", 1.1, 0, 0), FNL_EINVAL);
    CHECK_INT(fnl_fx_add(fx, "EUR", "US1", 1.1, 0, 0), FNL_EINVAL);
    CHECK_INT(fnl_fx_add(fx, "EUR", "USD", 0, 0, 0), FNL_EINVAL);
    CHECK_INT(fnl_fx_add(fx, "EUR", "USD", NAN, 0, 0), FNL_EINVAL);
    CHECK_INT(fnl_fx_add(fx, "EUR", "USD", INFINITY, 0, 0), FNL_EINVAL);
    CHECK_INT(fnl_fx_add(fx, "EUR", "USD", 1.1, -1, 0), FNL_EINVAL);
    CHECK_INT(fnl_fx_add(fx, "EUR", "USD", 1.1, 0, FNL_TIME_MAX + 2),
              FNL_EINVAL);
    CHECK_INT(fnl_fx_add(fx, "EUR", "USD", 1.1, 10, 10), FNL_EINVAL);
    CHECK_INT(fnl_fx_add(fx, "usd", "USD", 1.1, 0, 0), FNL_EINVAL);
    /* EUR->USD 1.25 on [0, 100); 2.0 from 100 on; overlapping: EEXIST */
    CHECK_OK(fnl_fx_add(fx, "EUR", "USD", 1.25, 0, 100));
    CHECK_OK(fnl_fx_add(fx, "eur", "usd", 2.0, 100, 0));
    CHECK_INT(fnl_fx_add(fx, "EUR", "USD", 3.0, 50, 150), FNL_EEXIST);
    /* the reverse pair is another pair: no overlap */
    CHECK_OK(fnl_fx_add(fx, "USD", "JPY", 150, 0, 0));
    /* 400 cents at 1.25: 500 cents; at 2.0 (t 100): 800 */
    CHECK_OK(fnl_fx_convert(fx, 400, "EUR", "USD", 99, &v));
    CHECK_INT(v, 500);
    CHECK_OK(fnl_fx_convert(fx, 400, "EUR", "USD", 100, &v));
    CHECK_INT(v, 800);
    /* the inverse: 500 US cents at 1 / 1.25 are 400 euro cents */
    CHECK_OK(fnl_fx_convert(fx, 500, "USD", "EUR", 5, &v));
    CHECK_INT(v, 400);
    /* digits: 250 US cents (2.50 USD) at 150 are 375 yen (0 digits) */
    CHECK_OK(fnl_fx_convert(fx, 250, "USD", "JPY", 5, &v));
    CHECK_INT(v, 375);
    /* 3 yen back to cents: 3 / 150 USD = 2 cents */
    CHECK_OK(fnl_fx_convert(fx, 3, "JPY", "USD", 5, &v));
    CHECK_INT(v, 2);
    /* no rate for the pair; overflow; argument checks */
    CHECK_INT(fnl_fx_convert(fx, 1, "GBP", "USD", 5, &v), FNL_ENOTFOUND);
    CHECK_INT(fnl_fx_convert(fx, INT64_MAX, "EUR", "USD", 100, &v),
              FNL_ERANGE);
    CHECK_INT(fnl_fx_convert(fx, 1, "EUR", "USD", 5, NULL), FNL_EINVAL);
    CHECK_INT(fnl_fx_convert(fx, 1, "E", "USD", 5, &v), FNL_EINVAL);
    CHECK_INT(fnl_fx_convert(fx, 1, "EUR", NULL, 5, &v), FNL_EINVAL);
    /* no table: only the same currency converts */
    CHECK_OK(fnl_fx_convert(NULL, 42, "EUR", "eur", 5, &v));
    CHECK_INT(v, 42);
    CHECK_INT(fnl_fx_convert(NULL, 42, "EUR", "USD", 5, &v), FNL_ENOTFOUND);
    CHECK_INT(fnl_currency_digits("JPY"), 0);
    CHECK_INT(fnl_currency_digits("kwd"), 3);
    CHECK_INT(fnl_currency_digits("USD"), 2);
    CHECK_INT(fnl_currency_digits("U$D"), -1);
    CHECK_INT(fnl_currency_digits(NULL), -1);
    fnl_fx_free(fx);
    fnl_fx_free(NULL);
}

/* A one-line budget report whose line name holds every character JSON
 * and CSV escape. */
static int name_report(const char *name, fnl_report **r)
{
    fnl_budget_line l[1];
    fnl_budget_request q = FNL_BUDGET_REQUEST_INIT;
    l[0].name = name;
    l[0].weight = 1;
    l[0].min = 0;
    l[0].cap = -1;
    q.total = 100;
    q.lines = l;
    q.line_count = 1;
    q.phases = 1;
    return fnl_budget_allocate(&q, r);
}

TEST(json_and_csv_escape_what_they_must)
{
    const char *name = "a\"b\\c\nd\te\rf\001g\177h,i";
    fnl_report *r;
    char buf[2048];
    size_t need;
    CHECK_OK(name_report(name, &r));
    CHECK_OK(fnl_report_json(r, buf, sizeof(buf), &need));
    CHECK_INT(need, strlen(buf) + 1);
    CHECK(strstr(buf, "{\"line\":\"a\\\"b\\\\c\\nd\\te\\rf\\u0001g\\u007fh,i\","
                      "\"weight\":1,\"share\":1,\"min\":0,\"cap\":null,"
                      "\"amount\":100,\"phase_1\":100}") != NULL);
    /* CSV: quoted, quotes doubled, the rest verbatim; a null cap is
     * empty */
    CHECK_OK(fnl_report_csv(r, buf, sizeof(buf), &need));
    CHECK_STR(buf, "line,weight,share,min,cap,amount,phase_1\n"
                   "\"a\"\"b\\c\nd\te\rf\001g\177h,i\",1,1,0,,100,100\n");
    /* short buffers: nothing written, the size reported */
    buf[0] = 'x';
    CHECK_INT(fnl_report_csv(r, buf, 10, &need), FNL_ERANGE);
    CHECK_INT(buf[0], 'x');
    CHECK_INT(fnl_report_json(r, NULL, 5, &need), FNL_EINVAL);
    CHECK_INT(fnl_report_json(NULL, buf, sizeof(buf), &need), FNL_EINVAL);
    CHECK_INT(fnl_report_csv(NULL, buf, sizeof(buf), &need), FNL_EINVAL);
    CHECK_INT(fnl_report_json(r, NULL, 0, NULL), FNL_ERANGE);
    fnl_report_free(r);
}

TEST(report_readers_check_their_arguments)
{
    fnl_report *r, *s;
    fnl_report_info info = FNL_REPORT_INFO_INIT;
    fnl_report_column col = FNL_REPORT_COLUMN_INIT;
    fnl_report_value v = FNL_REPORT_VALUE_INIT;
    fnl_survival_request sq = FNL_SURVIVAL_REQUEST_INIT;
    const char *nm;
    size_t idx;
    CHECK_OK(name_report("x", &r));
    CHECK(fnl_report_kind_name(0) == NULL);
    CHECK(fnl_report_kind_name(99) == NULL);
    CHECK_STR(fnl_report_kind_name(FNL_REPORT_BUDGET), "budget");
    CHECK_INT(fnl_report_get_info(NULL, &info), FNL_EINVAL);
    CHECK_INT(fnl_report_get_info(r, NULL), FNL_EINVAL);
    info.size = 2;
    CHECK_INT(fnl_report_get_info(r, &info), FNL_EINVAL);
    /* an info that ends before `name`: only kind is written */
    memset(&info, 0x5a, sizeof(info));
    info.size = (uint32_t)offsetof(fnl_report_info, name);
    CHECK_OK(fnl_report_get_info(r, &info));
    CHECK_INT(info.kind, FNL_REPORT_BUDGET);
    CHECK_INT(((unsigned char *)&info)[offsetof(fnl_report_info, name)],
              0x5a);
    CHECK_INT(fnl_report_column_get(NULL, 0, &col), FNL_EINVAL);
    CHECK_INT(fnl_report_column_get(r, 0, NULL), FNL_EINVAL);
    CHECK_INT(fnl_report_column_get(r, 7, &col), FNL_ENOTFOUND);
    CHECK_OK(fnl_report_column_get(r, 6, &col));
    CHECK_STR(col.name, "phase_1");
    CHECK_INT(fnl_report_column_find(NULL, "line", &idx), FNL_EINVAL);
    CHECK_INT(fnl_report_column_find(r, NULL, &idx), FNL_EINVAL);
    CHECK_INT(fnl_report_column_find(r, "line", NULL), FNL_EINVAL);
    CHECK_INT(fnl_report_column_find(r, "nope", &idx), FNL_ENOTFOUND);
    CHECK_INT(fnl_report_row_count(NULL), 0);
    CHECK_INT(fnl_report_value_get(NULL, 0, 0, &v), FNL_EINVAL);
    CHECK_INT(fnl_report_value_get(r, 0, 0, NULL), FNL_EINVAL);
    CHECK_INT(fnl_report_value_get(r, 1, 0, &v), FNL_ENOTFOUND);
    CHECK_INT(fnl_report_value_get(r, 0, 7, &v), FNL_ENOTFOUND);
    CHECK_OK(fnl_report_value_get(r, FNL_REPORT_TOTALS, 5, &v));
    CHECK_INT(v.i, 100);
    CHECK_INT(fnl_report_summary_get(NULL, 0, &nm, &v), FNL_EINVAL);
    CHECK_INT(fnl_report_summary_get(r, 0, &nm, NULL), FNL_EINVAL);
    CHECK_INT(fnl_report_summary_get(r, 4, &nm, &v), FNL_ENOTFOUND);
    CHECK_OK(fnl_report_summary_get(r, 1, NULL, &v));
    CHECK_INT(v.i, 1); /* lines */
    CHECK_INT(fnl_report_summary_find(NULL, "lines", &v), FNL_EINVAL);
    CHECK_INT(fnl_report_summary_find(r, NULL, &v), FNL_EINVAL);
    CHECK_INT(fnl_report_summary_find(r, "lines", NULL), FNL_EINVAL);
    CHECK_INT(fnl_report_summary_find(r, "nope", &v), FNL_ENOTFOUND);
    /* a value that ends after `type`: i is not written */
    memset(&v, 0x5a, sizeof(v));
    v.size = (uint32_t)offsetof(fnl_report_value, i);
    CHECK_OK(fnl_report_summary_find(r, "total", &v));
    CHECK_INT(v.type, FNL_VALUE_INT);
    CHECK_INT(((unsigned char *)&v)[offsetof(fnl_report_value, i)], 0x5a);
    fnl_report_free(r);
    fnl_report_free(NULL);
    /* a survival report has no totals row */
    CHECK_OK(fnl_survival_km(&sq, &s));
    v.size = sizeof(v);
    CHECK_INT(fnl_report_value_get(s, FNL_REPORT_TOTALS, 0, &v),
              FNL_ENOTFOUND);
    fnl_report_free(s);
}

TEST(budget_requests_are_checked)
{
    fnl_budget_line l[2] = {{"a", 1, 0, -1}, {"b", 1, 0, -1}};
    fnl_budget_request q = FNL_BUDGET_REQUEST_INIT;
    fnl_report *r = NULL;
    double pw[4] = {1, 1, 1, 1};
    char *longname = malloc(FNL_MAX_STRING + 2);
    CHECK(longname != NULL);
    memset(longname, 'n', FNL_MAX_STRING + 1);
    longname[FNL_MAX_STRING + 1] = '\0';
    q.total = 100;
    q.lines = l;
    q.line_count = 2;
    CHECK_INT(fnl_budget_allocate(NULL, &r), FNL_EINVAL);
    CHECK_INT(fnl_budget_allocate(&q, NULL), FNL_EINVAL);
    q.size = 0;
    CHECK_INT(fnl_budget_allocate(&q, &r), FNL_EINVAL);
    q.size = sizeof(q);
#define BAD(stmt, undo, want)                                                \
    do {                                                                     \
        stmt;                                                                \
        CHECK_INT(fnl_budget_allocate(&q, &r), want);                        \
        undo;                                                                \
    } while (0)
    BAD(q.total = -1, q.total = 100, FNL_EINVAL);
    BAD(q.lines = NULL, q.lines = l, FNL_EINVAL);
    BAD(q.line_count = 0, q.line_count = 2, FNL_EINVAL);
    BAD(q.line_count = FNL_BUDGET_MAX_LINES + 1, q.line_count = 2,
        FNL_EINVAL);
    BAD(q.phases = FNL_BUDGET_MAX_PHASES + 1, q.phases = 0, FNL_EINVAL);
    BAD(q.currency = "DOLLARS", q.currency = NULL, FNL_EINVAL);
    BAD(l[1].name = NULL, l[1].name = "b", FNL_EINVAL);
    BAD(l[1].name = "", l[1].name = "b", FNL_EINVAL);
    BAD(l[1].name = longname, l[1].name = "b", FNL_EINVAL);
    BAD(l[1].name = "\xff", l[1].name = "b", FNL_EINVAL);
    BAD(l[1].weight = NAN, l[1].weight = 1, FNL_EINVAL);
    BAD(l[1].weight = -1, l[1].weight = 1, FNL_EINVAL);
    BAD(l[1].min = -1, l[1].min = 0, FNL_EINVAL);
    BAD((l[1].min = 10, l[1].cap = 5), (l[1].min = 0, l[1].cap = -1),
        FNL_EINVAL);
    /* minimums that overflow int64 */
    BAD((l[0].min = INT64_MAX / 2 + 1, l[1].min = INT64_MAX / 2 + 1),
        (l[0].min = 0, l[1].min = 0), FNL_ERANGE);
    /* phase weights: NaN, negative, all zero */
    q.phase_weights = pw;
    BAD(pw[2] = NAN, pw[2] = 1, FNL_EINVAL);
    BAD(pw[2] = -1, pw[2] = 1, FNL_EINVAL);
    BAD((pw[0] = pw[1] = pw[2] = pw[3] = 0),
        (pw[0] = pw[1] = pw[2] = pw[3] = 1), FNL_EINVAL);
    q.phase_weights = NULL;
    /* infeasible: minimums above the total; caps below it */
    BAD(l[0].min = 101, l[0].min = 0, FNL_ERANGE);
    BAD((l[0].cap = 10, l[1].cap = 20), (l[0].cap = -1, l[1].cap = -1),
        FNL_ERANGE);
    {
        fnl_allocator newer = {FNL_ALLOCATOR_VERSION + 1, NULL, NULL, NULL,
                               NULL};
        BAD(q.allocator = &newer, q.allocator = NULL, FNL_EVERSION);
    }
#undef BAD
    CHECK(r == NULL);
    free(longname);
}

TEST(budget_caps_beyond_int64_mean_no_limit)
{
    /* two lines capped at 2^62 + 1 each: the caps sum past INT64_MAX, so
     * the total is never above what they can take.  Equal weights: 50 and
     * 50 of 100 */
    fnl_budget_line l[2] = {{"a", 1, 0, INT64_MAX / 2 + 1},
                            {"b", 1, 0, INT64_MAX / 2 + 1}};
    fnl_budget_request q = FNL_BUDGET_REQUEST_INIT;
    fnl_report *r;
    fnl_report_value v = FNL_REPORT_VALUE_INIT;
    size_t c;
    q.total = 100;
    q.lines = l;
    q.line_count = 2;
    CHECK_OK(fnl_budget_allocate(&q, &r));
    CHECK_OK(fnl_report_column_find(r, "amount", &c));
    CHECK_OK(fnl_report_value_get(r, 0, c, &v));
    CHECK_INT(v.i, 50);
    CHECK_OK(fnl_report_value_get(r, 1, c, &v));
    CHECK_INT(v.i, 50);
    fnl_report_free(r);
}

TEST(survival_requests_are_checked)
{
    fnl_survival_request q = FNL_SURVIVAL_REQUEST_INIT;
    fnl_report *r = NULL;
    double days[2] = {1, 2};
    uint8_t conv[2] = {1, 0};
    CHECK_INT(fnl_survival_km(NULL, &r), FNL_EINVAL);
    CHECK_INT(fnl_survival_km(&q, NULL), FNL_EINVAL);
    q.size = 0;
    CHECK_INT(fnl_survival_km(&q, &r), FNL_EINVAL);
    q.size = sizeof(q);
    q.n = 2;
    CHECK_INT(fnl_survival_km(&q, &r), FNL_EINVAL); /* NULL arrays */
    q.days = days;
    CHECK_INT(fnl_survival_km(&q, &r), FNL_EINVAL);
    q.converted = conv;
    q.window_days = 0;
    CHECK_INT(fnl_survival_km(&q, &r), FNL_EINVAL);
    q.window_days = NAN;
    CHECK_INT(fnl_survival_km(&q, &r), FNL_EINVAL);
    q.window_days = 2000000;
    CHECK_INT(fnl_survival_km(&q, &r), FNL_EINVAL);
    q.window_days = 30;
    q.cold_threshold = 1.5;
    CHECK_INT(fnl_survival_km(&q, &r), FNL_EINVAL);
    q.cold_threshold = -0.1;
    CHECK_INT(fnl_survival_km(&q, &r), FNL_EINVAL);
    q.cold_threshold = 0.05;
    days[1] = -1;
    CHECK_INT(fnl_survival_km(&q, &r), FNL_EINVAL);
    days[1] = NAN;
    CHECK_INT(fnl_survival_km(&q, &r), FNL_EINVAL);
    days[1] = 2;
    conv[1] = 2;
    CHECK_INT(fnl_survival_km(&q, &r), FNL_EINVAL);
    conv[1] = 0;
    {
        fnl_allocator newer = {FNL_ALLOCATOR_VERSION + 1, NULL, NULL, NULL,
                               NULL};
        q.allocator = &newer;
        CHECK_INT(fnl_survival_km(&q, &r), FNL_EVERSION);
        q.allocator = NULL;
    }
    CHECK(r == NULL);
    /* day 1: 2 at risk, 1 converts: S = 1/2; day 2: censored */
    CHECK_OK(fnl_survival_km(&q, &r));
    {
        fnl_report_value v = FNL_REPORT_VALUE_INIT;
        size_t c;
        CHECK_OK(fnl_report_column_find(r, "survival", &c));
        CHECK_OK(fnl_report_value_get(r, 0, c, &v));
        CHECK_NEAR(v.num, 0.5, 1e-15);
    }
    fnl_report_free(r);
}

TEST(time_to_convert_requests_are_checked)
{
    fnl_engine *e;
    fnl_time_to_convert_request q = FNL_TIME_TO_CONVERT_REQUEST_INIT;
    fnl_report *r = NULL;
    CHECK_OK(fnl_engine_open(&e, NULL));
    CHECK_INT(fnl_report_time_to_convert(NULL, &q, &r), FNL_EINVAL);
    CHECK_INT(fnl_report_time_to_convert(e, NULL, &r), FNL_EINVAL);
    CHECK_STR(fnl_errmsg(e), "invalid argument: time_to_convert: NULL "
                              "argument");
    CHECK_INT(fnl_report_time_to_convert(e, &q, NULL), FNL_EINVAL);
    q.size = 0;
    CHECK_INT(fnl_report_time_to_convert(e, &q, &r), FNL_EINVAL);
    CHECK_STR(fnl_errmsg(e),
              "invalid argument: time_to_convert: size not set");
    q.size = sizeof(q);
    q.from = -1;
    CHECK_INT(fnl_report_time_to_convert(e, &q, &r), FNL_EINVAL);
    CHECK_STR(fnl_errmsg(e),
              "invalid argument: time_to_convert: bad request");
    q.from = 10;
    q.to = 10;
    CHECK_INT(fnl_report_time_to_convert(e, &q, &r), FNL_EINVAL);
    q.from = 0;
    q.to = 0;
    q.as_of = -5;
    CHECK_INT(fnl_report_time_to_convert(e, &q, &r), FNL_EINVAL);
    q.as_of = FNL_TIME_NOW;
    {
        fnl_allocator newer = {FNL_ALLOCATOR_VERSION + 1, NULL, NULL, NULL,
                               NULL};
        q.allocator = &newer;
        CHECK_INT(fnl_report_time_to_convert(e, &q, &r), FNL_EVERSION);
        CHECK_STR(fnl_errmsg(e), "unsupported version: time_to_convert: "
                                  "bad allocator");
        q.allocator = NULL;
    }
    CHECK(r == NULL);
    /* no deals: an empty table */
    CHECK_OK(fnl_report_time_to_convert(e, &q, &r));
    CHECK_INT(fnl_report_row_count(r), 0);
    fnl_report_free(r);
    fnl_engine_close(e);
}

typedef struct cal_bad {
    const char *text;
    size_t col; /* 0-based, as fnli_calendar_parse reports it */
    const char *why;
} cal_bad;

TEST(calendars_parse_with_positions)
{
    static const cal_bad cases[] = {
        {"", 0, "expected a day name (Mon..Sun)"},
        {"Mo", 0, "expected a day name (Mon..Sun)"},
        {"Xyz 09:00-17:00", 0, "expected a day name (Mon..Sun)"},
        {"Mon-Xyz 09:00-17:00", 4, "expected a day name (Mon..Sun)"},
        {"Mon,Xy 09:00-17:00", 4, "expected a day name (Mon..Sun)"},
        {"Mon09:00-17:00", 3, "expected a space before the hours"},
        {"Mon", 3, "expected a space before the hours"},
        {"Mon 9:00-17:00", 4, "expected opening time HH:MM"},
        {"Mon 09-17:00", 6, "expected opening time HH:MM"},
        {"Mon 09:60-17:00", 9, "expected opening time HH:MM"},
        {"Mon 24:00-17:00", 9, "expected opening time HH:MM"},
        {"Mon 09:00 17:00", 9, "expected '-' between the hours"},
        {"Mon 09:00", 9, "expected '-' between the hours"},
        {"Mon 09:00-25:00", 15, "expected closing time HH:MM"},
        {"Mon 09:00-24:30", 15, "expected closing time HH:MM"},
        {"Mon 09:00-1", 10, "expected closing time HH:MM"},
        {"Mon 09:00-09:00", 15, "the window must close after it opens"},
        {"Mon 09:00-17:00 +15:00", 22,
         "expected a UTC offset +HH:MM (at most 14:00)"},
        {"Mon 09:00-17:00 +14:30", 22,
         "expected a UTC offset +HH:MM (at most 14:00)"},
        {"Mon 09:00-17:00 X", 16,
         "expected a UTC offset (+HH:MM, -HH:MM, Z)"},
        {"Mon 09:00-17:00 Z x", 16,
         "expected a UTC offset (+HH:MM, -HH:MM, Z)"},
        {"Mon 09:00-17:00 +08:00 x", 23,
         "unexpected text after the calendar"},
    };
    size_t i;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fnli_calendar c;
        const char *why = NULL;
        size_t col = 999;
        int rc = fnli_calendar_parse(cases[i].text, strlen(cases[i].text), &c,
                                     &why, &col);
        if (rc != FNL_EINVAL || col != cases[i].col || why == NULL ||
            strcmp(why, cases[i].why) != 0)
            fprintf(stderr, "'%s': rc %d col %zu: %s\n", cases[i].text, rc,
                    col, why ? why : "(null)");
        CHECK_INT(rc, FNL_EINVAL);
        CHECK_INT(col, cases[i].col);
        CHECK_STR(why, cases[i].why);
    }
    /* no why / col pointers: still refused */
    {
        fnli_calendar c;
        CHECK_INT(fnli_calendar_parse("x", 1, &c, NULL, NULL), FNL_EINVAL);
    }
}

static int cal_text(const char *in, char *out, size_t cap)
{
    fnli_calendar c;
    if (fnli_calendar_parse(in, strlen(in), &c, NULL, NULL) != FNL_OK)
        return -1;
    return (int)fnli_calendar_format(&c, out, cap);
}

TEST(calendars_print_canonically)
{
    char b[64];
    /* a wrapping range prints in Monday-first runs; UTC is +00:00 */
    CHECK_INT(cal_text("sun-TUE 08:30-24:00 utc", b, sizeof(b)), 30);
    CHECK_STR(b, "Mon-Tue,Sun 08:30-24:00 +00:00");
    CHECK_INT(cal_text("Wed,Fri 09:00-17:00 -05:30", b, sizeof(b)), 26);
    CHECK_STR(b, "Wed,Fri 09:00-17:00 -05:30");
    CHECK_INT(cal_text("  Mon 00:00-00:01 Z", b, sizeof(b)), 22);
    CHECK_STR(b, "Mon 00:00-00:01 +00:00");
    /* a short buffer holds a cut, terminated prefix; the length is whole */
    CHECK_INT(cal_text("Mon 09:00-17:00 Z", b, 5), 22);
    CHECK_STR(b, "Mon ");
    /* a cut inside a piece keeps the part that fits, with no gap of
       unwritten bytes before the NUL */
    memset(b, 'x', sizeof(b));
    CHECK_INT(cal_text("Mon 09:00-17:00 Z", b, 7), 22);
    CHECK_STR(b, "Mon 09");
    memset(b, 'x', sizeof(b));
    CHECK_INT(cal_text("Mon-Fri 09:00-17:00 Z", b, 3), 26);
    CHECK_STR(b, "Mo");
    CHECK_INT(cal_text("Mon 09:00-17:00 Z", NULL, 0), 22);
}

TEST(calendar_deadlines_at_the_edges)
{
    /* 2026-01-05 is a Monday */
    const int64_t mon = INT64_C(1767571200000), hour = 3600000;
    fnli_calendar c;
    CHECK_OK(fnli_calendar_parse("Mon-Fri 09:00-18:00 Z", 21, &c, NULL,
                                 NULL));
    CHECK_INT(fnli_calendar_day_ms(&c), 9 * hour);
    /* no work: the start itself */
    CHECK_INT(fnli_calendar_add(&c, mon + 5 * DAY, 0), mon + 5 * DAY);
    /* Saturday 00:00 + 1 h: Monday 10:00 */
    CHECK_INT(fnli_calendar_add(&c, mon + 5 * DAY, hour),
              mon + 7 * DAY + 10 * hour);
    /* no calendar: plain addition, saturating */
    CHECK_INT(fnli_calendar_add(NULL, 5, 10), 15);
    CHECK_INT(fnli_calendar_add(NULL, INT64_MAX - 5, 10), INT64_MAX);
    /* so much work that the weeks overflow: saturates */
    CHECK_INT(fnli_calendar_add(&c, mon, INT64_MAX / 2), INT64_MAX);
}

int main(void)
{
    RUN(periods_at_their_limits);
    RUN(buckets_check_their_bounds);
    RUN(bucket_allocation_failures_are_enomem);
    RUN(proration_checks_and_ties);
    RUN(currency_rates_check_and_convert);
    RUN(json_and_csv_escape_what_they_must);
    RUN(report_readers_check_their_arguments);
    RUN(budget_requests_are_checked);
    RUN(budget_caps_beyond_int64_mean_no_limit);
    RUN(survival_requests_are_checked);
    RUN(time_to_convert_requests_are_checked);
    RUN(calendars_parse_with_positions);
    RUN(calendars_print_canonically);
    RUN(calendar_deadlines_at_the_edges);
    TEST_MAIN_END();
}
