/* Reports from the stage history: the lifecycle funnel (both views,
 * conversions, velocity, benchmarks, groupings), cohorts by stage entry,
 * time to convert between stages, rejections, and the funnel counts ROI
 * reads.  Scenario engines run the default waterfall on a fixed clock;
 * every expected value is worked out by hand in the comments, and a
 * random workload is checked against a naive count over the public
 * history.  Also: merge folding, forgotten contacts, no machine, bad
 * requests and allocation failure at every step. */
#include "../dump.h"
#include "../failalloc.h"
#include "../test.h"
#include "funnelcore.h"

#define HOUR INT64_C(3600000)
#define DAY INT64_C(86400000)
#define T0 INT64_C(1767225600000) /* 2026-01-01 00:00 UTC */
#define D(n) (T0 + (int64_t)(n) * DAY)

/* mql: score >= 50, i.e. two webinars (no decay) */
static const char *MODEL = "model lead\n"
                           "engage type = webinar_attend +30\n"
                           "threshold mql when score >= 50\n";

static int64_t fixed_now(void *ctx)
{
    (void)ctx;
    return T0;
}

/* An engine on the fixed clock with the scoring model and the default
 * machine attached at T0, before any contact exists. */
static fnl_engine *open_engine(const fnl_allocator *a, int machine)
{
    static fnl_clock clk;
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_parse_error err = FNL_PARSE_ERROR_INIT;
    fnl_engine *e = NULL;
    fnl_model *mo = NULL;
    fnl_machine *ma = NULL;
    int rc;
    clk.version = FNL_CLOCK_VERSION;
    clk.ctx = NULL;
    clk.now = fixed_now;
    cfg.clock = &clk;
    cfg.allocator = a;
    if (fnl_engine_open(&e, &cfg) != FNL_OK)
        return NULL;
    if (!machine)
        return e;
    rc = fnl_model_parse(&mo, MODEL, strlen(MODEL), NULL, &err);
    if (rc == FNL_OK)
        rc = fnl_engine_attach_model(e, mo, NULL);
    if (rc == FNL_OK)
        rc = fnl_machine_default(&ma, NULL);
    if (rc == FNL_OK)
        rc = fnl_engine_attach_machine(e, ma);
    fnl_model_free(mo);
    fnl_machine_free(ma);
    if (rc != FNL_OK) {
        fnl_engine_close(e);
        return NULL;
    }
    return e;
}

static int touch_key(fnl_engine *e, const char *kind, const char *value,
                     const char *type, const char *channel,
                     const char *campaign, int64_t t)
{
    fnl_touch x = FNL_TOUCH_INIT;
    fnl_key k;
    k.kind = kind;
    k.value = value;
    x.keys = &k;
    x.key_count = 1;
    x.type = type;
    x.channel = channel;
    x.campaign = campaign;
    x.time = t;
    return fnl_touch_add(e, &x, NULL);
}

static int touch(fnl_engine *e, const char *email, const char *type,
                 const char *channel, const char *campaign, int64_t t)
{
    return touch_key(e, "email", email, type, channel, campaign, t);
}

static fnl_contact_id cid(fnl_engine *e, const char *email)
{
    fnl_contact_id c = 0;
    if (fnl_contact_find(e, "email", email, &c) != FNL_OK)
        return 0;
    return c;
}

static int ev(fnl_engine *e, const char *email, const char *event,
              const char *reason, int64_t t)
{
    return fnl_contact_event(e, cid(e, email), event, reason, t);
}

static int region(fnl_engine *e, const char *email, const char *value,
                  int64_t t)
{
    fnl_contact_update u = FNL_CONTACT_UPDATE_INIT;
    fnl_key k = {"email", NULL};
    fnl_attr a = {"region", FNL_ATTR_STRING, NULL, 0};
    k.value = email;
    a.str = value;
    u.keys = &k;
    u.key_count = 1;
    u.attrs = &a;
    u.attr_count = 1;
    u.time = t;
    return fnl_contact_upsert(e, &u, NULL);
}

static const char *stage_of(fnl_engine *e, const char *email)
{
    static fnl_stage_status st;
    fnl_stage_status init = FNL_STAGE_STATUS_INIT;
    st = init;
    if (fnl_contact_stage(e, cid(e, email), &st) != FNL_OK)
        return "";
    return st.name;
}

/* The base scenario (D(n): day n after T0; T: transition, P: passed).
 *   ann  web/spring, EMEA    inquiry D1 T, mql D2 T, sal D4 T, sql D7 T,
 *                            opportunity D10 T, customer D20 T
 *   bob  email/newsletter,   inquiry D1 T, mql D3 T, sal D5 T,
 *        APAC                recycled D6 T ("no budget"), nurture D36 T
 *                            (idle 30d)
 *   cy   web/spring, EMEA    inquiry D2 T, mql/sal/sql D8 P,
 *                            opportunity D8 T
 *   dee  email/newsletter,   inquiry D1 T, mql D1+1h T, recycled D2 T
 *        no region           ("bad fit"), nurture D32 T (idle 30d)
 *   eve  ads, APAC           inquiry D40 T
 * Owners: ann, bob, dee were routed to the fallback queue "unassigned" on
 * entering mql; cy never rested in a routed stage (no owner). */
static int scenario(fnl_engine *e)
{
    if (touch(e, "ann@a.com", "webinar_attend", "web", "spring", D(1)) ||
        region(e, "ann@a.com", "EMEA", D(1)) ||
        touch(e, "bob@b.com", "webinar_attend", "email", "newsletter",
              D(1)) ||
        region(e, "bob@b.com", "APAC", D(1)) ||
        touch(e, "dee@d.com", "webinar_attend", "email", "newsletter",
              D(1)) ||
        touch(e, "dee@d.com", "webinar_attend", "email", "newsletter",
              D(1) + HOUR) ||
        touch(e, "ann@a.com", "webinar_attend", "web", "spring", D(2)) ||
        touch(e, "cy@c.com", "page_view", "web", "spring", D(2)) ||
        region(e, "cy@c.com", "EMEA", D(2)) ||
        ev(e, "dee@d.com", "sales_reject", "bad fit", D(2)) ||
        touch(e, "bob@b.com", "webinar_attend", "email", "newsletter",
              D(3)) ||
        ev(e, "ann@a.com", "sales_accept", NULL, D(4)) ||
        ev(e, "bob@b.com", "sales_accept", NULL, D(5)) ||
        ev(e, "bob@b.com", "sales_reject", "no budget", D(6)) ||
        ev(e, "ann@a.com", "sales_qualify", NULL, D(7)) ||
        ev(e, "cy@c.com", "opportunity_created", NULL, D(8)) ||
        ev(e, "ann@a.com", "opportunity_created", NULL, D(10)) ||
        ev(e, "ann@a.com", "deal_won", NULL, D(20)) ||
        touch(e, "eve@e.com", "page_view", "ads", NULL, D(40)) ||
        region(e, "eve@e.com", "APAC", D(40)))
        return -1;
    return fnl_engine_tick(e, D(60));
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

static int str_is(fnl_report_value v, const char *s)
{
    if (s == NULL)
        return v.type == FNL_VALUE_NULL;
    return v.type == FNL_VALUE_STRING && strcmp(v.str, s) == 0;
}

/* The funnel row (group, stage, to_stage); SIZE_MAX if none.  A NULL
 * group is the null group; a NULL to is a row without target. */
static size_t frow(const fnl_report *r, const char *group, const char *stage,
                   const char *to)
{
    size_t i, n = fnl_report_row_count(r);
    for (i = 0; i < n; i++)
        if (str_is(at(r, i, "group"), group) &&
            str_is(at(r, i, "stage"), stage) && str_is(at(r, i, "to_stage"), to))
            return i;
    return SIZE_MAX;
}

static int64_t iv(const fnl_report *r, size_t row, const char *col)
{
    fnl_report_value v = at(r, row, col);
    return v.type == FNL_VALUE_INT ? v.i : INT64_MIN;
}

static double nv(const fnl_report *r, size_t row, const char *col)
{
    fnl_report_value v = at(r, row, col);
    return v.type == FNL_VALUE_NUMBER ? v.num : -12345.0;
}

static int is_null(const fnl_report *r, size_t row, const char *col)
{
    return at(r, row, col).type == FNL_VALUE_NULL;
}

static fnl_report_value sum(const fnl_report *r, const char *name)
{
    fnl_report_value v = FNL_REPORT_VALUE_INIT;
    v.type = 99;
    fnl_report_summary_find(r, name, &v);
    return v;
}

TEST(funnel_counts_conversions_velocity_and_benchmarks_match_the_hand_count)
{
    fnl_engine *e = open_engine(NULL, 1);
    fnl_stage_funnel_request q = FNL_STAGE_FUNNEL_REQUEST_INIT;
    fnl_stage_pair pairs[3] = {{"MQL", "sql", 0.15, 0.25},
                               {"mql", "recycled", -1, -1},
                               {"inquiry", "mql", 0.9, -1}};
    fnl_report *r = NULL;
    fnl_report_info info = FNL_REPORT_INFO_INIT;
    size_t x;
    CHECK(e != NULL);
    CHECK_OK(scenario(e));
    CHECK_STR(stage_of(e, "ann@a.com"), "customer");
    CHECK_STR(stage_of(e, "bob@b.com"), "nurture");
    CHECK_STR(stage_of(e, "cy@c.com"), "opportunity");
    CHECK_STR(stage_of(e, "dee@d.com"), "nurture");
    CHECK_STR(stage_of(e, "eve@e.com"), "inquiry");
    q.from = D(0);
    q.to = D(30);
    q.as_of = D(60);
    q.pairs = pairs;
    q.pair_count = 3;
    CHECK_OK(fnl_report_stage_funnel(e, &q, &r));
    CHECK_OK(fnl_report_get_info(r, &info));
    CHECK_INT(info.kind, FNL_REPORT_STAGE_FUNNEL);
    CHECK_STR(info.name, "stage_funnel");
    CHECK_INT(info.has_totals, 0);
    /* 9 stages + 2 pair rows (inquiry -> mql is the next stage: its
     * benchmark goes on the inquiry row) */
    CHECK_INT(fnl_report_row_count(r), 11);
    /* row order: funnel by rank, each stage's pairs after it, side stages */
    CHECK(str_is(at(r, 0, "stage"), "inquiry"));
    CHECK(str_is(at(r, 1, "stage"), "mql"));
    CHECK(str_is(at(r, 2, "to_stage"), "sql"));
    CHECK(str_is(at(r, 2, "kind"), "pair"));
    CHECK(str_is(at(r, 3, "to_stage"), "recycled"));
    CHECK(str_is(at(r, 4, "stage"), "sal"));
    CHECK(str_is(at(r, 8, "stage"), "nurture"));
    CHECK(str_is(at(r, 9, "stage"), "recycled"));
    CHECK(str_is(at(r, 10, "stage"), "disqualified"));
    CHECK_INT(iv(r, 10, "rank"), 0);
    CHECK_INT(iv(r, 4, "rank"), 3);
    /* cohort: ann, bob, cy, dee entered inquiry in [D0, D30); eve (D40)
     * did not, and has no entry in the period either */
    CHECK_INT(sum(r, "cohort").i, 4);
    CHECK_INT(sum(r, "contacts").i, 4);
    CHECK(str_is(sum(r, "group_by"), "none"));
    CHECK(str_is(sum(r, "machine"), "waterfall"));
    CHECK_INT(sum(r, "as_of").i, D(60));

    /* inquiry: 4 reached, all entered mql: 4/4.  Velocity (all entered
     * inquiry): ann 1 d, bob 2 d, cy 6 d, dee 1 h -> sorted 1/24, 1, 2, 6:
     * median (1 + 2) / 2 = 1.5, p90 the ceil(3.6) = 4th = 6 */
    x = frow(r, "all", "inquiry", "mql");
    CHECK(x == 0);
    CHECK(str_is(at(r, x, "kind"), "stage"));
    CHECK_INT(iv(r, x, "reached"), 4);
    CHECK_INT(iv(r, x, "entered"), 4);
    CHECK_INT(iv(r, x, "converted"), 4);
    CHECK_NEAR(nv(r, x, "conversion"), 1.0, 1e-12);
    CHECK_INT(iv(r, x, "velocity_contacts"), 4);
    CHECK_NEAR(nv(r, x, "velocity_median_days"), 1.5, 1e-12);
    CHECK_NEAR(nv(r, x, "velocity_p90_days"), 6.0, 1e-12);
    CHECK_NEAR(nv(r, x, "benchmark_low"), 0.9, 1e-12);
    CHECK(is_null(r, x, "benchmark_high"));
    CHECK(str_is(at(r, x, "benchmark"), "within"));

    /* mql: 4 reached (cy passed); to sal: ann D4, bob D5, cy D8 (passed
     * with its mql): 3/4.  Velocity only for those who entered mql: ann
     * 2 d, bob 2 d (cy skipped mql, dee never got to sal) */
    x = frow(r, "all", "mql", "sal");
    CHECK_INT(iv(r, x, "reached"), 4);
    CHECK_INT(iv(r, x, "entered"), 4);
    CHECK_INT(iv(r, x, "converted"), 3);
    CHECK_NEAR(nv(r, x, "conversion"), 0.75, 1e-12);
    CHECK_INT(iv(r, x, "velocity_contacts"), 2);
    CHECK_NEAR(nv(r, x, "velocity_median_days"), 2.0, 1e-12);
    CHECK_NEAR(nv(r, x, "velocity_p90_days"), 2.0, 1e-12);
    CHECK(is_null(r, x, "benchmark"));
    CHECK(is_null(r, x, "benchmark_low"));

    /* pair mql -> sql: ann (D7), cy (D8): 2/4 = 50 % > 25 %: above.
     * Velocity: ann 7 - 2 = 5 d */
    x = frow(r, "all", "mql", "sql");
    CHECK(x == 2);
    CHECK_INT(iv(r, x, "reached"), 4);
    CHECK_INT(iv(r, x, "converted"), 2);
    CHECK_NEAR(nv(r, x, "conversion"), 0.5, 1e-12);
    CHECK_INT(iv(r, x, "velocity_contacts"), 1);
    CHECK_NEAR(nv(r, x, "velocity_median_days"), 5.0, 1e-12);
    CHECK_NEAR(nv(r, x, "benchmark_low"), 0.15, 1e-12);
    CHECK_NEAR(nv(r, x, "benchmark_high"), 0.25, 1e-12);
    CHECK(str_is(at(r, x, "benchmark"), "above"));

    /* pair mql -> recycled (a side stage): bob D6 (after mql D3), dee D2
     * (after D1+1h): 2/4.  Velocity bob 3 d, dee 23 h: median
     * (23/24 + 3) / 2, p90 3 */
    x = frow(r, "all", "mql", "recycled");
    CHECK_INT(iv(r, x, "converted"), 2);
    CHECK_NEAR(nv(r, x, "conversion"), 0.5, 1e-12);
    CHECK_NEAR(nv(r, x, "velocity_median_days"), (23.0 / 24 + 3) / 2, 1e-12);
    CHECK_NEAR(nv(r, x, "velocity_p90_days"), 3.0, 1e-12);
    CHECK(is_null(r, x, "benchmark"));

    /* sal: ann, bob, cy (passed) -> sql ann D7, cy D8: 2/3; velocity ann
     * 7 - 4 = 3 d (bob entered sal but left for recycled) */
    x = frow(r, "all", "sal", "sql");
    CHECK_INT(iv(r, x, "reached"), 3);
    CHECK_INT(iv(r, x, "converted"), 2);
    CHECK_NEAR(nv(r, x, "conversion"), 2.0 / 3, 1e-12);
    CHECK_INT(iv(r, x, "velocity_contacts"), 1);
    CHECK_NEAR(nv(r, x, "velocity_median_days"), 3.0, 1e-12);
    /* sql: ann, cy -> opportunity both; velocity ann 10 - 7 = 3 */
    x = frow(r, "all", "sql", "opportunity");
    CHECK_INT(iv(r, x, "reached"), 2);
    CHECK_INT(iv(r, x, "converted"), 2);
    CHECK_NEAR(nv(r, x, "velocity_median_days"), 3.0, 1e-12);
    /* opportunity: ann, cy -> customer ann: 1/2; velocity 20 - 10 */
    x = frow(r, "all", "opportunity", "customer");
    CHECK_INT(iv(r, x, "reached"), 2);
    CHECK_INT(iv(r, x, "converted"), 1);
    CHECK_NEAR(nv(r, x, "conversion"), 0.5, 1e-12);
    CHECK_INT(iv(r, x, "velocity_contacts"), 1);
    CHECK_NEAR(nv(r, x, "velocity_p90_days"), 10.0, 1e-12);
    /* customer: the last stage has no next one */
    x = frow(r, "all", "customer", NULL);
    CHECK_INT(iv(r, x, "reached"), 1);
    CHECK_INT(iv(r, x, "entered"), 1);
    CHECK(is_null(r, x, "converted"));
    CHECK(is_null(r, x, "conversion"));
    CHECK(is_null(r, x, "velocity_median_days"));
    /* side stages: nurture reached by bob (D36) and dee (D32) by as_of,
     * but neither entry is in the period */
    x = frow(r, "all", "nurture", NULL);
    CHECK_INT(iv(r, x, "reached"), 2);
    CHECK_INT(iv(r, x, "entered"), 0);
    x = frow(r, "all", "recycled", NULL);
    CHECK_INT(iv(r, x, "reached"), 2);
    CHECK_INT(iv(r, x, "entered"), 2);
    x = frow(r, "all", "disqualified", NULL);
    CHECK_INT(iv(r, x, "reached"), 0);
    /* cumulative counts never increase down the funnel */
    CHECK(iv(r, 0, "reached") >= iv(r, 1, "reached"));
    CHECK(iv(r, 1, "reached") >= iv(r, 4, "reached"));
    CHECK(iv(r, 4, "reached") >= iv(r, 5, "reached"));
    fnl_report_free(r);
    fnl_engine_close(e);
}

TEST(the_in_period_view_counts_entries_and_as_of_cuts_the_history)
{
    fnl_engine *e = open_engine(NULL, 1);
    fnl_stage_funnel_request q = FNL_STAGE_FUNNEL_REQUEST_INIT;
    fnl_report *r = NULL;
    size_t x;
    CHECK(e != NULL);
    CHECK_OK(scenario(e));
    /* [D0, D5): the cohort is the same four (inquiry D1-D2), reached as
     * before; entries in the period: mql ann D2, bob D3, dee D1+1h (cy
     * passed it at D8); sal ann D4 (bob D5 is out); recycled dee D2 */
    q.from = D(0);
    q.to = D(5);
    q.as_of = D(60);
    CHECK_OK(fnl_report_stage_funnel(e, &q, &r));
    CHECK_INT(fnl_report_row_count(r), 9);
    x = frow(r, "all", "mql", "sal");
    CHECK_INT(iv(r, x, "reached"), 4);
    CHECK_INT(iv(r, x, "entered"), 3);
    x = frow(r, "all", "sal", "sql");
    CHECK_INT(iv(r, x, "reached"), 3);
    CHECK_INT(iv(r, x, "entered"), 1);
    x = frow(r, "all", "sql", "opportunity");
    CHECK_INT(iv(r, x, "entered"), 0);
    x = frow(r, "all", "recycled", NULL);
    CHECK_INT(iv(r, x, "entered"), 1);
    CHECK(is_null(r, 0, "benchmark"));
    fnl_report_free(r);

    /* all time, as of D6: ann inquiry, mql, sal; bob inquiry, mql, sal,
     * recycled (D6 <= as_of); cy inquiry only; dee inquiry, mql,
     * recycled; eve not yet.  inquiry -> mql velocity: ann 1, bob 2, dee
     * 1/24 d: median 1, p90 the 3rd = 2 */
    q.from = 0;
    q.to = 0;
    q.as_of = D(6);
    CHECK_OK(fnl_report_stage_funnel(e, &q, &r));
    CHECK_INT(sum(r, "cohort").i, 4);
    CHECK(sum(r, "from").type == FNL_VALUE_NULL);
    x = frow(r, "all", "inquiry", "mql");
    CHECK_INT(iv(r, x, "reached"), 4);
    CHECK_INT(iv(r, x, "converted"), 3);
    CHECK_NEAR(nv(r, x, "velocity_median_days"), 1.0, 1e-12);
    CHECK_NEAR(nv(r, x, "velocity_p90_days"), 2.0, 1e-12);
    CHECK_INT(iv(r, frow(r, "all", "mql", "sal"), "reached"), 3);
    CHECK_INT(iv(r, frow(r, "all", "sal", "sql"), "reached"), 2);
    CHECK_INT(iv(r, frow(r, "all", "sql", "opportunity"), "reached"), 0);
    CHECK_INT(iv(r, frow(r, "all", "recycled", NULL), "reached"), 2);
    CHECK_INT(iv(r, frow(r, "all", "nurture", NULL), "reached"), 0);
    fnl_report_free(r);
    fnl_engine_close(e);
}

TEST(funnel_groups_by_first_touch_channel_campaign_owner_and_attribute)
{
    fnl_engine *e = open_engine(NULL, 1);
    fnl_stage_funnel_request q = FNL_STAGE_FUNNEL_REQUEST_INIT;
    fnl_report *r = NULL;
    size_t x;
    CHECK(e != NULL);
    CHECK_OK(scenario(e));
    q.from = D(0);
    q.to = D(30);
    q.as_of = D(60);

    /* channel: email = bob, dee; web = ann, cy; eve (ads) counts in no
     * view, so there is no "ads" group */
    q.group_by = FNL_STAGE_BY_CHANNEL;
    CHECK_OK(fnl_report_stage_funnel(e, &q, &r));
    CHECK_INT(fnl_report_row_count(r), 18);
    CHECK(str_is(at(r, 0, "group"), "email"));
    CHECK(str_is(at(r, 9, "group"), "web"));
    CHECK(frow(r, "ads", "inquiry", "mql") == SIZE_MAX);
    x = frow(r, "email", "mql", "sal");
    CHECK_INT(iv(r, x, "reached"), 2);
    CHECK_INT(iv(r, x, "converted"), 1);  /* bob */
    CHECK_NEAR(nv(r, x, "conversion"), 0.5, 1e-12);
    CHECK_INT(iv(r, frow(r, "email", "sal", "sql"), "converted"), 0);
    CHECK(is_null(r, frow(r, "email", "sal", "sql"), "velocity_median_days"));
    CHECK_INT(iv(r, frow(r, "email", "recycled", NULL), "reached"), 2);
    x = frow(r, "web", "sql", "opportunity");
    CHECK_INT(iv(r, x, "reached"), 2);
    CHECK_INT(iv(r, frow(r, "web", "customer", NULL), "reached"), 1);
    CHECK(str_is(sum(r, "group_by"), "channel"));
    fnl_report_free(r);

    /* campaign: newsletter = bob, dee; spring = ann, cy */
    q.group_by = FNL_STAGE_BY_CAMPAIGN;
    CHECK_OK(fnl_report_stage_funnel(e, &q, &r));
    CHECK_INT(fnl_report_row_count(r), 18);
    CHECK_INT(iv(r, frow(r, "newsletter", "inquiry", "mql"), "reached"), 2);
    CHECK_INT(iv(r, frow(r, "spring", "sql", "opportunity"), "reached"), 2);
    fnl_report_free(r);

    /* owner: "unassigned" = ann, bob, dee; cy (no owner) is the null
     * group, listed last */
    q.group_by = FNL_STAGE_BY_OWNER;
    CHECK_OK(fnl_report_stage_funnel(e, &q, &r));
    CHECK_INT(fnl_report_row_count(r), 18);
    CHECK(str_is(at(r, 0, "group"), "unassigned"));
    CHECK(at(r, 9, "group").type == FNL_VALUE_NULL);
    CHECK_INT(iv(r, frow(r, "unassigned", "inquiry", "mql"), "reached"), 3);
    CHECK_INT(iv(r, frow(r, "unassigned", "sal", "sql"), "reached"), 2);
    CHECK_INT(iv(r, frow(r, NULL, "sal", "sql"), "reached"), 1);
    CHECK_INT(iv(r, frow(r, NULL, "opportunity", "customer"), "reached"), 1);
    CHECK_INT(iv(r, frow(r, NULL, "opportunity", "customer"), "converted"),
              0);
    fnl_report_free(r);

    /* attribute region: APAC = bob (eve is not counted), EMEA = ann, cy,
     * null = dee */
    q.group_by = FNL_STAGE_BY_ATTR;
    q.group_attr = "Region";
    CHECK_OK(fnl_report_stage_funnel(e, &q, &r));
    CHECK_INT(fnl_report_row_count(r), 27);
    CHECK(str_is(at(r, 0, "group"), "APAC"));
    CHECK(str_is(at(r, 9, "group"), "EMEA"));
    CHECK(at(r, 18, "group").type == FNL_VALUE_NULL);
    CHECK_INT(iv(r, frow(r, "APAC", "sal", "sql"), "reached"), 1);
    CHECK_INT(iv(r, frow(r, "APAC", "nurture", NULL), "reached"), 1);
    CHECK_INT(iv(r, frow(r, "EMEA", "opportunity", "customer"), "reached"),
              2);
    CHECK_INT(iv(r, frow(r, NULL, "mql", "sal"), "reached"), 1);
    CHECK_INT(iv(r, frow(r, NULL, "mql", "sal"), "converted"), 0);
    CHECK(str_is(sum(r, "group_attr"), "Region"));
    fnl_report_free(r);

    /* an attribute nobody has: everyone in the null group */
    q.group_attr = "industry";
    CHECK_OK(fnl_report_stage_funnel(e, &q, &r));
    CHECK_INT(fnl_report_row_count(r), 9);
    CHECK_INT(iv(r, frow(r, NULL, "inquiry", "mql"), "reached"), 4);
    fnl_report_free(r);
    fnl_engine_close(e);
}

/* x (older) is an inquiry from D1 (web); the crm contact 77 enters
 * inquiry D2 and mql D3 (email) and sal D4; they merge at D5, when the
 * survivor's history gets one "merge" transition to sal.  z is
 * forgotten. */
static int merge_scenario(fnl_engine *e)
{
    fnl_contact_update u = FNL_CONTACT_UPDATE_INIT;
    fnl_key k[2] = {{"email", "x@m.com"}, {"crm_id", "77"}};
    fnl_contact_id y = 0;
    int rc;
    if (touch(e, "x@m.com", "page_view", "web", NULL, D(1)) ||
        touch(e, "z@m.com", "webinar_attend", "web", NULL, D(1)) ||
        touch_key(e, "crm_id", "77", "webinar_attend", "email", NULL, D(2)) ||
        touch_key(e, "crm_id", "77", "webinar_attend", "email", NULL, D(3)) ||
        fnl_contact_find(e, "crm_id", "77", &y) ||
        fnl_contact_event(e, y, "sales_accept", NULL, D(4)) ||
        fnl_contact_forget(e, cid(e, "z@m.com")))
        return -1;
    u.keys = k;
    u.key_count = 2;
    u.time = D(5);
    rc = fnl_contact_upsert(e, &u, NULL);
    return rc;
}

TEST(a_merged_contact_counts_once_with_the_earliest_entry_per_stage)
{
    fnl_engine *e = open_engine(NULL, 1);
    fnl_stage_funnel_request q = FNL_STAGE_FUNNEL_REQUEST_INIT;
    fnl_stats st = FNL_STATS_INIT;
    fnl_report *r = NULL;
    size_t x;
    CHECK(e != NULL);
    CHECK_OK(merge_scenario(e));
    CHECK_OK(fnl_engine_stats(e, &st));
    CHECK_INT(st.merges, 1);
    CHECK_STR(stage_of(e, "x@m.com"), "sal");
    q.group_by = FNL_STAGE_BY_CHANNEL;
    q.as_of = D(60);
    CHECK_OK(fnl_report_stage_funnel(e, &q, &r));
    /* one person, grouped by the earlier first touch (x's, web): inquiry
     * D1 (x), mql D3 and sal D4 (the crm contact's own records); the
     * merge transition is no entry.  Velocity inquiry -> mql 2 d, mql ->
     * sal 1 d.  z is forgotten: not counted */
    CHECK_INT(sum(r, "cohort").i, 1);
    CHECK_INT(fnl_report_row_count(r), 9);
    x = frow(r, "web", "inquiry", "mql");
    CHECK_INT(iv(r, x, "reached"), 1);
    CHECK_INT(iv(r, x, "converted"), 1);
    CHECK_NEAR(nv(r, x, "velocity_median_days"), 2.0, 1e-12);
    x = frow(r, "web", "mql", "sal");
    CHECK_INT(iv(r, x, "reached"), 1);
    CHECK_INT(iv(r, x, "entered"), 1);
    CHECK_INT(iv(r, x, "converted"), 1);
    CHECK_NEAR(nv(r, x, "velocity_median_days"), 1.0, 1e-12);
    CHECK_INT(iv(r, frow(r, "web", "sal", "sql"), "reached"), 1);
    CHECK_INT(iv(r, frow(r, "web", "sal", "sql"), "converted"), 0);
    fnl_report_free(r);
    fnl_engine_close(e);
}

TEST(stage_cohorts_give_shares_by_age_and_censor_the_young)
{
    fnl_engine *e = open_engine(NULL, 1);
    fnl_stage_cohort_request q = FNL_STAGE_COHORT_REQUEST_INIT;
    const uint32_t ages[3] = {1, 3, 7};
    fnl_report *r = NULL;
    fnl_report_info info = FNL_REPORT_INFO_INIT;
    size_t T = FNL_REPORT_TOTALS;
    CHECK(e != NULL);
    CHECK_OK(scenario(e));
    q.stage = "mql";
    q.ages = ages;
    q.age_count = 3;
    q.as_of = D(60);
    CHECK_OK(fnl_report_stage_cohort(e, &q, &r));
    CHECK_OK(fnl_report_get_info(r, &info));
    CHECK_INT(info.kind, FNL_REPORT_STAGE_COHORT);
    CHECK_STR(info.name, "stage_cohort");
    /* 4 fixed columns + 4 targets (sal, sql, opportunity, customer) x
     * (count, share, 3 ages) */
    CHECK_INT(info.column_count, 24);
    /* mql entries D1+1h (dee), D2 (ann), D3 (bob), D8 (cy): January */
    CHECK_INT(fnl_report_row_count(r), 1);
    CHECK(str_is(at(r, 0, "cohort"), "2026-01"));
    CHECK_INT(iv(r, 0, "cohort_start"), T0);
    CHECK_INT(iv(r, 0, "contacts"), 4);
    /* delays from mql: sal ann 2, bob 2, cy 0; sql ann 5, cy 0;
     * opportunity ann 8, cy 0; customer ann 18; everyone is over 7 days
     * old at D60 */
    CHECK_INT(iv(r, 0, "to_sal"), 3);
    CHECK_NEAR(nv(r, 0, "to_sal_share"), 0.75, 1e-12);
    CHECK_NEAR(nv(r, 0, "to_sal_within_1d"), 0.25, 1e-12);
    CHECK_NEAR(nv(r, 0, "to_sal_within_3d"), 0.75, 1e-12);
    CHECK_NEAR(nv(r, 0, "to_sal_within_7d"), 0.75, 1e-12);
    CHECK_INT(iv(r, 0, "to_sql"), 2);
    CHECK_NEAR(nv(r, 0, "to_sql_within_3d"), 0.25, 1e-12);
    CHECK_NEAR(nv(r, 0, "to_sql_within_7d"), 0.5, 1e-12);
    CHECK_NEAR(nv(r, 0, "to_opportunity_within_7d"), 0.25, 1e-12);
    CHECK_INT(iv(r, 0, "to_customer"), 1);
    CHECK_NEAR(nv(r, 0, "to_customer_within_7d"), 0.0, 1e-12);
    CHECK_INT(iv(r, T, "contacts"), 4);
    CHECK(at(r, T, "cohort").type == FNL_VALUE_NULL);
    CHECK(str_is(sum(r, "stage"), "mql"));
    CHECK(str_is(sum(r, "period"), "month"));
    fnl_report_free(r);

    /* as of D6: cy's mql (D8) is not yet, the rest of the history is cut
     * at D6.  Members dee D1+1h, ann D2, bob D3; to sal ann, bob (2 d).
     * Age 1 d: all three are old enough, none in 1 d: 0/3.  Age 3 d:
     * entry <= D3, all three: 2/3.  Age 7 d: nobody is 7 days past entry:
     * null (not 0) */
    q.as_of = D(6);
    CHECK_OK(fnl_report_stage_cohort(e, &q, &r));
    CHECK_INT(iv(r, 0, "contacts"), 3);
    CHECK_INT(iv(r, 0, "to_sal"), 2);
    CHECK_NEAR(nv(r, 0, "to_sal_share"), 2.0 / 3, 1e-12);
    CHECK_NEAR(nv(r, 0, "to_sal_within_1d"), 0.0, 1e-12);
    CHECK_NEAR(nv(r, 0, "to_sal_within_3d"), 2.0 / 3, 1e-12);
    CHECK(is_null(r, 0, "to_sal_within_7d"));
    CHECK_INT(iv(r, 0, "to_sql"), 0);
    fnl_report_free(r);

    /* explicit targets (a side stage too), weekly periods over a range:
     * ISO weeks of 2026-01-01 (Thursday) .. : dee, ann, bob in the week
     * of 2025-12-29, cy (D8 = Jan 9) in the next; the range [D0, D14)
     * makes weeks W01..W03 */
    {
        const char *targets[2] = {"recycled", "sql"};
        q.as_of = D(60);
        q.targets = targets;
        q.target_count = 2;
        q.period = FNL_PERIOD_WEEK;
        q.from = D(0);
        q.to = D(14);
        CHECK_OK(fnl_report_stage_cohort(e, &q, &r));
        CHECK_INT(fnl_report_row_count(r), 3);
        CHECK(str_is(at(r, 0, "cohort"), "2026-W01"));
        CHECK_INT(iv(r, 0, "contacts"), 3);
        CHECK_INT(iv(r, 0, "to_recycled"), 2); /* bob, dee */
        CHECK_INT(iv(r, 0, "to_sql"), 1);      /* ann */
        CHECK_INT(iv(r, 1, "contacts"), 1);    /* cy */
        CHECK_INT(iv(r, 1, "to_sql"), 1);
        CHECK_NEAR(nv(r, 1, "to_sql_within_1d"), 1.0, 1e-12);
        CHECK_INT(iv(r, 2, "contacts"), 0);
        CHECK(is_null(r, 2, "to_sql_share"));
        CHECK_INT(iv(r, T, "to_recycled"), 2);
        fnl_report_free(r);
    }
    fnl_engine_close(e);
}

TEST(stage_time_to_convert_is_the_hand_computed_kaplan_meier_table)
{
    fnl_engine *e = open_engine(NULL, 1);
    fnl_stage_time_to_convert_request q =
        FNL_STAGE_TIME_TO_CONVERT_REQUEST_INIT;
    fnl_report *r = NULL;
    fnl_report_info info = FNL_REPORT_INFO_INIT;
    CHECK(e != NULL);
    CHECK_OK(scenario(e));
    q.from_stage = "mql";
    q.to_stage = "sql";
    q.as_of = D(60);
    CHECK_OK(fnl_report_stage_time_to_convert(e, &q, &r));
    CHECK_OK(fnl_report_get_info(r, &info));
    CHECK_INT(info.kind, FNL_REPORT_STAGE_TIME_TO_CONVERT);
    /* from the first mql entry: cy converts at once (sql passed with its
     * mql, 0 d); dee leaves for recycled after 23 h and bob after 3 d
     * (censored: they left the path); ann reaches sql after 5 d.
     *   t       at risk  conv  cens  S
     *   0       4        1     0     3/4
     *   23/24   3        0     1     3/4
     *   3       2        0     1     3/4
     *   5       1        1     0     0
     * Greenwood at 0: 3/4 sqrt(1 / (4 x 3)); median: S first <= 1/2 at 5;
     * cold day (30 d window, 5 %): day 5 (S = 0 from there; at day 4 the
     * next 30 days convert everyone left) */
    CHECK_INT(fnl_report_row_count(r), 4);
    CHECK_NEAR(nv(r, 0, "days"), 0.0, 1e-12);
    CHECK_INT(iv(r, 0, "at_risk"), 4);
    CHECK_INT(iv(r, 0, "converted"), 1);
    CHECK_NEAR(nv(r, 0, "survival"), 0.75, 1e-12);
    CHECK_NEAR(nv(r, 0, "hazard"), 0.25, 1e-12);
    CHECK_NEAR(nv(r, 0, "std_error"), 0.75 * sqrt(1.0 / 12), 1e-12);
    CHECK_NEAR(nv(r, 1, "days"), 23.0 / 24, 1e-12);
    CHECK_INT(iv(r, 1, "at_risk"), 3);
    CHECK_INT(iv(r, 1, "censored"), 1);
    CHECK_NEAR(nv(r, 1, "survival"), 0.75, 1e-12);
    CHECK_NEAR(nv(r, 2, "days"), 3.0, 1e-12);
    CHECK_INT(iv(r, 2, "censored"), 1);
    CHECK_NEAR(nv(r, 3, "days"), 5.0, 1e-12);
    CHECK_INT(iv(r, 3, "at_risk"), 1);
    CHECK_NEAR(nv(r, 3, "survival"), 0.0, 1e-12);
    CHECK_NEAR(nv(r, 3, "conversion"), 1.0, 1e-12);
    CHECK(is_null(r, 3, "std_error"));
    CHECK_INT(sum(r, "n").i, 4);
    CHECK_INT(sum(r, "conversions").i, 2);
    CHECK_INT(sum(r, "censored").i, 2);
    CHECK_INT(sum(r, "left").i, 2);
    CHECK_NEAR(sum(r, "median_days").num, 5.0, 1e-12);
    CHECK_INT(sum(r, "cold_day").i, 5);
    CHECK(str_is(sum(r, "from_stage"), "mql"));
    CHECK(str_is(sum(r, "to_stage"), "sql"));
    CHECK_INT(sum(r, "as_of").i, D(60));
    fnl_report_free(r);

    /* as of D4: ann is still open (censored at as_of, 2 d), bob (1 d)
     * and dee (left at 23 h) as before; cy is not an mql yet.  No
     * conversion: S stays 1, no median */
    q.as_of = D(4);
    CHECK_OK(fnl_report_stage_time_to_convert(e, &q, &r));
    CHECK_INT(sum(r, "n").i, 3);
    CHECK_INT(sum(r, "conversions").i, 0);
    CHECK_INT(sum(r, "left").i, 1);
    CHECK(sum(r, "median_days").type == FNL_VALUE_NULL);
    CHECK_NEAR(nv(r, 0, "days"), 23.0 / 24, 1e-12);
    CHECK_NEAR(nv(r, 1, "days"), 1.0, 1e-12);
    CHECK_NEAR(nv(r, 2, "days"), 2.0, 1e-12);
    fnl_report_free(r);

    /* from the first funnel stage (default) to customer, entered in
     * [D0, D30): ann converts after 19 d (D1 -> D20); bob leaves at D6
     * (5 d), dee at D2 (1 d), cy is still open at D60 (58 d) */
    q.from_stage = NULL;
    q.to_stage = "customer";
    q.from = D(0);
    q.to = D(30);
    q.as_of = D(60);
    CHECK_OK(fnl_report_stage_time_to_convert(e, &q, &r));
    CHECK_INT(sum(r, "n").i, 4);
    CHECK_INT(sum(r, "conversions").i, 1);
    CHECK_INT(sum(r, "left").i, 2);
    CHECK_NEAR(nv(r, 2, "days"), 19.0, 1e-12);
    CHECK_INT(iv(r, 2, "converted"), 1);
    CHECK_NEAR(nv(r, 3, "days"), 58.0, 1e-12);
    CHECK_INT(iv(r, 3, "censored"), 1);
    CHECK(str_is(sum(r, "from_stage"), "inquiry"));
    fnl_report_free(r);
    fnl_engine_close(e);
}

/* Rejections: r1 web rejected "no budget" at D2, requalifies on a touch
 * at D5 and is rejected "bad fit" at D6; r2 web "no budget" D3; r3 web
 * accepted D2, rejected from sal "bad fit" D3; r4 email, no reason, D2;
 * r5 email "no budget" D4; r6 email disqualified (not a rejection). */
static int reject_scenario(fnl_engine *e)
{
    static const char *const who[6] = {"r1@x.com", "r2@x.com", "r3@x.com",
                                       "r4@x.com", "r5@x.com", "r6@x.com"};
    int i;
    for (i = 0; i < 6; i++) {
        const char *ch = i < 3 ? "web" : "email";
        if (touch(e, who[i], "webinar_attend", ch, NULL, D(1)) ||
            touch(e, who[i], "webinar_attend", ch, NULL, D(1) + HOUR))
            return -1;
    }
    if (ev(e, "r1@x.com", "sales_reject", "no budget", D(2)) ||
        ev(e, "r2@x.com", "sales_reject", "no budget", D(3)) ||
        ev(e, "r3@x.com", "sales_accept", NULL, D(2)) ||
        ev(e, "r3@x.com", "sales_reject", "bad fit", D(3)) ||
        ev(e, "r4@x.com", "sales_reject", NULL, D(2)) ||
        ev(e, "r5@x.com", "sales_reject", "no budget", D(4)) ||
        ev(e, "r6@x.com", "disqualify", "spam", D(2)) ||
        touch(e, "r1@x.com", "webinar_attend", "web", NULL, D(5)))
        return -1;
    if (strcmp(stage_of(e, "r1@x.com"), "mql") != 0)
        return -2;
    return ev(e, "r1@x.com", "sales_reject", "bad fit", D(6));
}

TEST(rejections_count_reasons_per_channel_owner_and_period)
{
    fnl_engine *e = open_engine(NULL, 1);
    fnl_rejection_request q = FNL_REJECTION_REQUEST_INIT;
    fnl_report *r = NULL;
    fnl_report_info info = FNL_REPORT_INFO_INIT;
    size_t T = FNL_REPORT_TOTALS;
    CHECK(e != NULL);
    CHECK_OK(reject_scenario(e));
    /* by channel: email "no budget" 1 and no reason 1; web "bad fit" 2
     * (r1, r3) and "no budget" 2 (r1, r2); groups and reasons bytewise,
     * no reason last */
    CHECK_OK(fnl_report_rejections(e, &q, &r));
    CHECK_OK(fnl_report_get_info(r, &info));
    CHECK_INT(info.kind, FNL_REPORT_REJECTIONS);
    CHECK_STR(info.name, "rejections");
    CHECK_INT(fnl_report_row_count(r), 4);
    CHECK(str_is(at(r, 0, "group"), "email"));
    CHECK(str_is(at(r, 0, "reason"), "no budget"));
    CHECK_INT(iv(r, 0, "rejections"), 1);
    CHECK_NEAR(nv(r, 0, "share"), 0.5, 1e-12);
    CHECK(str_is(at(r, 1, "group"), "email"));
    CHECK(str_is(at(r, 1, "reason"), NULL));
    CHECK_INT(iv(r, 1, "rejections"), 1);
    CHECK(str_is(at(r, 2, "group"), "web"));
    CHECK(str_is(at(r, 2, "reason"), "bad fit"));
    CHECK_INT(iv(r, 2, "rejections"), 2);
    CHECK_NEAR(nv(r, 2, "share"), 0.5, 1e-12);
    CHECK(str_is(at(r, 3, "reason"), "no budget"));
    CHECK_INT(iv(r, 3, "rejections"), 2);
    CHECK_INT(iv(r, T, "rejections"), 6);
    CHECK_INT(sum(r, "rejections").i, 6);
    CHECK(str_is(sum(r, "group_by"), "channel"));
    fnl_report_free(r);

    /* [D2, D3): r1 "no budget" (web) and r4 (email, no reason) */
    q.from = D(2);
    q.to = D(3);
    CHECK_OK(fnl_report_rejections(e, &q, &r));
    CHECK_INT(fnl_report_row_count(r), 2);
    CHECK(str_is(at(r, 0, "group"), "email"));
    CHECK(str_is(at(r, 0, "reason"), NULL));
    CHECK(str_is(at(r, 1, "group"), "web"));
    CHECK(str_is(at(r, 1, "reason"), "no budget"));
    CHECK_INT(iv(r, T, "rejections"), 2);
    fnl_report_free(r);

    /* by the owner who rejected: all were with the fallback queue */
    q.from = q.to = 0;
    q.group_by = FNL_STAGE_BY_OWNER;
    CHECK_OK(fnl_report_rejections(e, &q, &r));
    CHECK_INT(fnl_report_row_count(r), 3);
    CHECK(str_is(at(r, 0, "group"), "unassigned"));
    CHECK(str_is(at(r, 0, "reason"), "bad fit"));
    CHECK_INT(iv(r, 0, "rejections"), 2);
    CHECK_INT(iv(r, 1, "rejections"), 3);
    CHECK_NEAR(nv(r, 1, "share"), 0.5, 1e-12);
    CHECK(str_is(at(r, 2, "reason"), NULL));
    fnl_report_free(r);

    /* no grouping */
    q.group_by = FNL_STAGE_BY_NONE;
    CHECK_OK(fnl_report_rejections(e, &q, &r));
    CHECK_INT(fnl_report_row_count(r), 3);
    CHECK(str_is(at(r, 0, "group"), "all"));
    fnl_report_free(r);
    fnl_engine_close(e);
}

TEST(stage_counts_are_the_funnel_counts_and_feed_roi)
{
    fnl_engine *e = open_engine(NULL, 1);
    fnl_stage_counts_request q = FNL_STAGE_COUNTS_REQUEST_INIT;
    fnl_stage_counts *c = NULL;
    fnl_roi_request rq = FNL_ROI_REQUEST_INIT;
    fnl_report *r = NULL;
    size_t n = 99, row;
    CHECK(e != NULL);
    CHECK_OK(scenario(e));
    q.from = D(0);
    q.to = D(30);
    q.as_of = D(60);
    /* cumulative by channel: email (bob, dee) leads 2, mqls 2, sqls 0;
     * web (ann, cy) 2, 2, 2; opportunities and customers not asked: -1 */
    CHECK_OK(fnl_engine_stage_counts(e, &q, &c, &n));
    CHECK_INT(n, 2);
    CHECK_STR(c[0].group, "email");
    CHECK(c[0].leads == 2 && c[0].mqls == 2 && c[0].sqls == 0);
    CHECK(c[0].opportunities == -1 && c[0].customers == -1);
    CHECK_STR(c[1].group, "web");
    CHECK(c[1].leads == 2 && c[1].mqls == 2 && c[1].sqls == 2);

    /* ROI takes them as they are */
    rq.stage_counts = c;
    rq.stage_count_count = n;
    CHECK_OK(fnl_report_roi(e, &rq, &r));
    for (row = 0; row < fnl_report_row_count(r); row++)
        if (str_is(at(r, row, "group"), "web"))
            break;
    CHECK(row < fnl_report_row_count(r));
    CHECK_NEAR(nv(r, row, "leads"), 2.0, 1e-12);
    CHECK_NEAR(nv(r, row, "sqls"), 2.0, 1e-12);
    fnl_report_free(r);
    fnl_stage_counts_free(c);

    /* in-period view over [D0, D5): email inquiry bob, dee; mql bob D3,
     * dee D1+1h; web inquiry ann, cy; mql ann D2 only.  Opportunities
     * and customers asked for: web 0 in the period */
    q.view = FNL_STAGE_VIEW_IN_PERIOD;
    q.to = D(5);
    q.opportunity_stage = "opportunity";
    q.customer_stage = "customer";
    CHECK_OK(fnl_engine_stage_counts(e, &q, &c, &n));
    CHECK_INT(n, 2);
    CHECK(c[0].leads == 2 && c[0].mqls == 2 && c[0].sqls == 0);
    CHECK(c[1].leads == 2 && c[1].mqls == 1 && c[1].sqls == 0);
    CHECK(c[1].opportunities == 0 && c[1].customers == 0);
    fnl_stage_counts_free(c);

    /* cumulative, by owner: cy has no owner and is left out */
    q.view = FNL_STAGE_VIEW_CUMULATIVE;
    q.to = D(30);
    q.group_by = FNL_STAGE_BY_OWNER;
    CHECK_OK(fnl_engine_stage_counts(e, &q, &c, &n));
    CHECK_INT(n, 1);
    CHECK_STR(c[0].group, "unassigned");
    CHECK(c[0].leads == 3 && c[0].sqls == 1 && c[0].opportunities == 1 &&
          c[0].customers == 1);
    fnl_stage_counts_free(c);

    /* nobody in the period: no groups, NULL */
    q.from = D(100);
    q.to = D(101);
    c = (fnl_stage_counts *)&n;
    CHECK_OK(fnl_engine_stage_counts(e, &q, &c, &n));
    CHECK_INT(n, 0);
    CHECK(c == NULL);
    fnl_stage_counts_free(NULL);
    fnl_engine_close(e);
}

TEST(without_a_machine_every_stage_report_is_enotfound)
{
    fnl_engine *e = open_engine(NULL, 0);
    fnl_stage_funnel_request fq = FNL_STAGE_FUNNEL_REQUEST_INIT;
    fnl_stage_cohort_request cq = FNL_STAGE_COHORT_REQUEST_INIT;
    fnl_stage_time_to_convert_request tq =
        FNL_STAGE_TIME_TO_CONVERT_REQUEST_INIT;
    fnl_rejection_request jq = FNL_REJECTION_REQUEST_INIT;
    fnl_stage_counts_request sq = FNL_STAGE_COUNTS_REQUEST_INIT;
    fnl_report *r = NULL;
    fnl_stage_counts *c = NULL;
    size_t n = 7;
    CHECK(e != NULL);
    CHECK_OK(touch(e, "ann@a.com", "page_view", "web", NULL, D(1)));
    tq.to_stage = "sql";
    CHECK_INT(fnl_report_stage_funnel(e, &fq, &r), FNL_ENOTFOUND);
    CHECK(strstr(fnl_errmsg(e), "no stage machine") != NULL);
    CHECK_INT(fnl_report_stage_cohort(e, &cq, &r), FNL_ENOTFOUND);
    CHECK(strstr(fnl_errmsg(e), "report_stage_cohort") != NULL);
    CHECK_INT(fnl_report_stage_time_to_convert(e, &tq, &r), FNL_ENOTFOUND);
    CHECK_INT(fnl_report_rejections(e, &jq, &r), FNL_ENOTFOUND);
    CHECK_INT(fnl_engine_stage_counts(e, &sq, &c, &n), FNL_ENOTFOUND);
    CHECK(strstr(fnl_errmsg(e), "no stage machine") != NULL);
    CHECK(r == NULL);
    CHECK(c == NULL);
    CHECK_INT(n, 7);
    fnl_engine_close(e);
}

TEST(bad_requests_are_einval_with_a_message)
{
    fnl_engine *e = open_engine(NULL, 1);
    fnl_stage_funnel_request q = FNL_STAGE_FUNNEL_REQUEST_INIT;
    fnl_stage_cohort_request cq = FNL_STAGE_COHORT_REQUEST_INIT;
    fnl_stage_time_to_convert_request tq =
        FNL_STAGE_TIME_TO_CONVERT_REQUEST_INIT;
    fnl_stage_counts_request sq = FNL_STAGE_COUNTS_REQUEST_INIT;
    fnl_rejection_request jq = FNL_REJECTION_REQUEST_INIT;
    fnl_stage_pair p[2] = {{"mql", "sql", -1, -1}, {"mql", "sql", -1, -1}};
    fnl_report *r = NULL;
    fnl_stage_counts *c = NULL;
    const char *bad_target[1] = {"mql"};
    size_t n = 0;
    CHECK(e != NULL);
    CHECK_OK(scenario(e));
    CHECK_INT(fnl_report_stage_funnel(NULL, &q, &r), FNL_EINVAL);
    CHECK_INT(fnl_report_stage_funnel(e, NULL, &r), FNL_EINVAL);
    CHECK_INT(fnl_report_stage_funnel(e, &q, NULL), FNL_EINVAL);
    q.size = 0;
    CHECK_INT(fnl_report_stage_funnel(e, &q, &r), FNL_EINVAL);
    CHECK_OK(fnl_stage_funnel_request_init(&q, sizeof(q)));
    CHECK_INT(q.as_of, FNL_TIME_NOW);
    q.group_by = 9;
    CHECK_INT(fnl_report_stage_funnel(e, &q, &r), FNL_EINVAL);
    q.group_by = FNL_STAGE_BY_ATTR;
    CHECK_INT(fnl_report_stage_funnel(e, &q, &r), FNL_EINVAL);
    q.group_attr = "bad name!";
    CHECK_INT(fnl_report_stage_funnel(e, &q, &r), FNL_EINVAL);
    q.group_by = FNL_STAGE_BY_NONE;
    q.from = D(5);
    q.to = D(5);
    CHECK_INT(fnl_report_stage_funnel(e, &q, &r), FNL_EINVAL);
    q.from = q.to = 0;
    q.pairs = p;
    q.pair_count = 2; /* repeated */
    CHECK_INT(fnl_report_stage_funnel(e, &q, &r), FNL_EINVAL);
    p[1].to = "sqll";
    CHECK_INT(fnl_report_stage_funnel(e, &q, &r), FNL_ENOTFOUND);
    CHECK(strstr(fnl_errmsg(e), "sqll") != NULL);
    p[1].to = "mql";
    CHECK_INT(fnl_report_stage_funnel(e, &q, &r), FNL_EINVAL);
    p[1].to = "customer";
    p[1].low = 0.5;
    p[1].high = 0.25;
    CHECK_INT(fnl_report_stage_funnel(e, &q, &r), FNL_EINVAL);
    p[1].low = NAN;
    CHECK_INT(fnl_report_stage_funnel(e, &q, &r), FNL_EINVAL);
    q.pairs = NULL;
    CHECK_INT(fnl_report_stage_funnel(e, &q, &r), FNL_EINVAL);
    q.as_of = -5;
    q.pair_count = 0;
    CHECK_INT(fnl_report_stage_funnel(e, &q, &r), FNL_EINVAL);
    CHECK(r == NULL);

    cq.stage = "nope";
    CHECK_INT(fnl_report_stage_cohort(e, &cq, &r), FNL_ENOTFOUND);
    cq.stage = "mql";
    cq.targets = bad_target;
    cq.target_count = 1; /* the cohort stage itself */
    CHECK_INT(fnl_report_stage_cohort(e, &cq, &r), FNL_EINVAL);
    cq.targets = NULL;
    cq.target_count = 0;
    cq.period = 42;
    CHECK_INT(fnl_report_stage_cohort(e, &cq, &r), FNL_EINVAL);
    cq.period = FNL_PERIOD_MONTH;
    cq.age_count = 2;
    cq.ages = (const uint32_t[]){30, 30};
    CHECK_INT(fnl_report_stage_cohort(e, &cq, &r), FNL_EINVAL);

    CHECK_INT(fnl_report_stage_time_to_convert(e, &tq, &r), FNL_EINVAL);
    tq.to_stage = "inquiry"; /* the default from_stage */
    CHECK_INT(fnl_report_stage_time_to_convert(e, &tq, &r), FNL_EINVAL);
    tq.to_stage = "sql";
    tq.window_days = 0;
    CHECK_INT(fnl_report_stage_time_to_convert(e, &tq, &r), FNL_EINVAL);

    sq.lead_stage = "lead"; /* not in the waterfall */
    CHECK_INT(fnl_engine_stage_counts(e, &sq, &c, &n), FNL_ENOTFOUND);
    CHECK(strstr(fnl_errmsg(e), "lead_stage") != NULL);
    sq.lead_stage = NULL;
    sq.view = 3;
    CHECK_INT(fnl_engine_stage_counts(e, &sq, &c, &n), FNL_EINVAL);

    jq.group_by = 77;
    CHECK_INT(fnl_report_rejections(e, &jq, &r), FNL_EINVAL);
    CHECK(r == NULL);
    CHECK(c == NULL);
    fnl_engine_close(e);
}

TEST(the_funnel_renders_as_json_and_csv)
{
    fnl_engine *e = open_engine(NULL, 1);
    fnl_stage_funnel_request q = FNL_STAGE_FUNNEL_REQUEST_INIT;
    fnl_report *r = NULL;
    char *buf;
    size_t need = 0;
    CHECK(e != NULL);
    CHECK_OK(merge_scenario(e));
    q.as_of = D(60);
    CHECK_OK(fnl_report_stage_funnel(e, &q, &r));
    CHECK_INT(fnl_report_json(r, NULL, 0, &need), FNL_ERANGE);
    buf = malloc(need);
    CHECK(buf != NULL);
    CHECK_OK(fnl_report_json(r, buf, need, NULL));
    CHECK(strncmp(buf, "{\"report\":\"stage_funnel\",\"schema_version\":1,"
                       "\"currency\":null,\"summary\":{\"group_by\":\"none\","
                       "\"group_attr\":null,\"from\":null,\"to\":null,"
                       "\"as_of\":1772409600000,\"machine\":\"waterfall\","
                       "\"cohort\":1,\"contacts\":1,\"pairs\":0}",
                  strlen("{\"report\":\"stage_funnel\",\"schema_version\":1,"
                         "\"currency\":null,\"summary\":{\"group_by\":"
                         "\"none\",\"group_attr\":null,\"from\":null,\"to\":"
                         "null,\"as_of\":1772409600000,\"machine\":"
                         "\"waterfall\",\"cohort\":1,\"contacts\":1,"
                         "\"pairs\":0}")) == 0);
    CHECK(strstr(buf, "{\"group\":\"all\",\"stage\":\"mql\",\"rank\":2,"
                      "\"kind\":\"stage\",\"reached\":1,\"entered\":1,"
                      "\"to_stage\":\"sal\",\"converted\":1,\"conversion\":1,"
                      "\"velocity_contacts\":1,\"velocity_median_days\":1,"
                      "\"velocity_p90_days\":1,\"benchmark_low\":null,"
                      "\"benchmark_high\":null,\"benchmark\":null}") != NULL);
    CHECK(strstr(buf, "\"totals\"") == NULL);
    free(buf);
    CHECK_INT(fnl_report_csv(r, NULL, 0, &need), FNL_ERANGE);
    buf = malloc(need);
    CHECK(buf != NULL);
    CHECK_OK(fnl_report_csv(r, buf, need, NULL));
    CHECK(strncmp(buf, "group,stage,rank,kind,reached,entered,to_stage,"
                       "converted,conversion,velocity_contacts,"
                       "velocity_median_days,velocity_p90_days,"
                       "benchmark_low,benchmark_high,benchmark\n"
                       "all,inquiry,1,stage,1,1,mql,1,1,1,2,2,,,\n",
                  strlen("group,stage,rank,kind,reached,entered,to_stage,"
                         "converted,conversion,velocity_contacts,"
                         "velocity_median_days,velocity_p90_days,"
                         "benchmark_low,benchmark_high,benchmark\n"
                         "all,inquiry,1,stage,1,1,mql,1,1,1,2,2,,,\n")) == 0);
    free(buf);
    fnl_report_free(r);
    fnl_engine_close(e);
}

/* ---- a random workload against a naive count over the public history -- */

static uint32_t rnd_state = 2024;
static uint32_t rnd(uint32_t n)
{
    rnd_state = rnd_state * 1103515245u + 12345u;
    return (rnd_state >> 8) % n;
}

#define NR 160
#define NST 9

typedef struct naive {
    int64_t first[NST];
    int real[NST];
} naive;

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Stage index of a name in the waterfall, by fnl_machine_stage_find. */
static int sidx(const fnl_machine *m, const char *name)
{
    uint32_t s = 0;
    if (name == NULL || fnl_machine_stage_find(m, name, &s) != FNL_OK)
        return -1;
    return (int)s;
}

TEST(a_random_workload_matches_a_naive_count_over_the_public_history)
{
    static const char *const evs[] = {"sales_accept", "sales_reject",
                                      "sales_qualify", "opportunity_created",
                                      "deal_won", "deal_lost", "disqualify"};
    static const char *const chans[] = {"web", "email", "ads"};
    fnl_engine *e = open_engine(NULL, 1);
    fnl_machine *m = NULL;
    fnl_stage_funnel_request q = FNL_STAGE_FUNNEL_REQUEST_INIT;
    fnl_report *r = NULL;
    static naive nv_[NR];
    static fnl_stage_record hist[256];
    char email[NR][32];
    int64_t from = D(3), to = D(12), as_of = D(40);
    int chan[NR];
    int i, s, g;
    CHECK(e != NULL);
    CHECK_OK(fnl_machine_default(&m, NULL));
    CHECK(fnl_machine_stage_count(m) == NST);
    for (i = 0; i < NR; i++) {
        int64_t t = D(rnd(15)) + (int64_t)rnd(24) * HOUR;
        int k, steps = (int)rnd(7);
        snprintf(email[i], sizeof(email[i]), "p%d@r.com", i);
        chan[i] = (int)rnd(3);
        CHECK_OK(touch(e, email[i], rnd(2) ? "webinar_attend" : "page_view",
                       chans[chan[i]], NULL, t));
        for (k = 0; k < steps; k++) {
            t += (int64_t)rnd(72) * HOUR;
            if (rnd(3) == 0)
                CHECK_OK(touch(e, email[i], "webinar_attend", "ads", NULL, t));
            else
                CHECK_OK(ev(e, email[i], evs[rnd(7)], rnd(2) ? "x" : NULL, t));
        }
    }
    CHECK_OK(fnl_engine_tick(e, D(50)));
    q.group_by = FNL_STAGE_BY_CHANNEL;
    q.from = from;
    q.to = to;
    q.as_of = as_of;
    CHECK_OK(fnl_report_stage_funnel(e, &q, &r));

    /* naive: first entry per stage from the public history */
    for (i = 0; i < NR; i++) {
        size_t n = 0, k;
        CHECK_OK(fnl_contact_stage_history(e, cid(e, email[i]), hist, 256,
                                           &n));
        for (s = 0; s < NST; s++) {
            nv_[i].first[s] = INT64_MAX;
            nv_[i].real[s] = 0;
        }
        for (k = 0; k < n; k++) {
            int x = sidx(m, hist[k].to);
            if ((hist[k].kind != FNL_STAGE_REC_TRANSITION &&
                 hist[k].kind != FNL_STAGE_REC_PASSED) ||
                hist[k].cause == FNL_STAGE_CAUSE_MERGE ||
                hist[k].time > as_of || x < 0)
                continue;
            if (hist[k].time < nv_[i].first[x]) {
                nv_[i].first[x] = hist[k].time;
                nv_[i].real[x] = 0;
            }
            if (hist[k].time == nv_[i].first[x] &&
                hist[k].kind == FNL_STAGE_REC_TRANSITION)
                nv_[i].real[x] = 1;
        }
    }
    for (g = 0; g < 3; g++) {
        for (s = 0; s < NST; s++) {
            fnl_stage_info si = FNL_STAGE_INFO_INIT;
            int next = -1, k;
            int64_t reached = 0, entered = 0, conv = 0, vel[NR];
            size_t nvel = 0, row;
            CHECK_OK(fnl_machine_stage_info(m, (uint32_t)s, &si));
            for (k = 0; k < NST; k++) {
                fnl_stage_info sk = FNL_STAGE_INFO_INIT;
                fnl_machine_stage_info(m, (uint32_t)k, &sk);
                if (si.rank > 0 && sk.rank == si.rank + 1)
                    next = k;
            }
            for (i = 0; i < NR; i++) {
                size_t n = 0, h;
                int in_cohort = nv_[i].first[0] >= from &&
                                nv_[i].first[0] < to;
                if (chan[i] != g)
                    continue;
                /* in-period: any entry into s in [from, to) */
                fnl_contact_stage_history(e, cid(e, email[i]), hist, 256, &n);
                for (h = 0; h < n; h++)
                    if ((hist[h].kind == FNL_STAGE_REC_TRANSITION ||
                         hist[h].kind == FNL_STAGE_REC_PASSED) &&
                        hist[h].cause != FNL_STAGE_CAUSE_MERGE &&
                        sidx(m, hist[h].to) == s && hist[h].time >= from &&
                        hist[h].time < to && hist[h].time <= as_of) {
                        entered++;
                        break;
                    }
                if (!in_cohort || nv_[i].first[s] == INT64_MAX)
                    continue;
                reached++;
                if (next < 0)
                    continue;
                /* the first entry into next at or after first(s) */
                {
                    int64_t t = INT64_MAX;
                    for (h = 0; h < n; h++)
                        if ((hist[h].kind == FNL_STAGE_REC_TRANSITION ||
                             hist[h].kind == FNL_STAGE_REC_PASSED) &&
                            sidx(m, hist[h].to) == next &&
                            hist[h].time >= nv_[i].first[s] &&
                            hist[h].time <= as_of && hist[h].time < t)
                            t = hist[h].time;
                    if (t == INT64_MAX)
                        continue;
                    conv++;
                    if (nv_[i].real[s])
                        vel[nvel++] = t - nv_[i].first[s];
                }
            }
            row = frow(r, chans[g], fnl_machine_stage_name(m, (uint32_t)s),
                       next >= 0 ? fnl_machine_stage_name(m, (uint32_t)next)
                                 : NULL);
            if (reached == 0 && entered == 0 && row == SIZE_MAX)
                continue; /* a group with nobody is not listed */
            CHECK(row != SIZE_MAX);
            CHECK_INT(iv(r, row, "reached"), reached);
            CHECK_INT(iv(r, row, "entered"), entered);
            if (next < 0)
                continue;
            CHECK_INT(iv(r, row, "converted"), conv);
            CHECK_INT(iv(r, row, "velocity_contacts"), (int64_t)nvel);
            if (nvel > 0) {
                double med;
                qsort(vel, nvel, sizeof(int64_t), cmp_i64);
                med = nvel % 2 ? (double)vel[nvel / 2]
                               : ((double)vel[nvel / 2 - 1] +
                                  (double)vel[nvel / 2]) / 2;
                CHECK_NEAR(nv(r, row, "velocity_median_days"),
                           med / (double)DAY, 1e-9);
                CHECK_NEAR(nv(r, row, "velocity_p90_days"),
                           (double)vel[(9 * nvel + 9) / 10 - 1] / (double)DAY,
                           1e-9);
            }
        }
    }
    fnl_report_free(r);
    fnl_machine_free(m);
    fnl_engine_close(e);
}

/* ---- allocation failures ------------------------------------------------ */

/* Stage states and histories of the scenario contacts. */
static char *dump_stages(fnl_engine *e)
{
    static const char *const who[] = {"ann@a.com", "bob@b.com", "cy@c.com",
                                      "dee@d.com", "eve@e.com", "x@m.com"};
    static fnl_stage_record h[64];
    dumpbuf b = {NULL, 0, 0};
    char *eng = dump_engine(e);
    size_t i, k, n;
    fnl_stats st = FNL_STATS_INIT;
    fnl_engine_stats(e, &st);
    db_printf(&b, "%s memory=%llu\n", eng, (unsigned long long)st.memory_bytes);
    free(eng);
    for (i = 0; i < sizeof(who) / sizeof(who[0]); i++) {
        fnl_stage_status s = FNL_STAGE_STATUS_INIT;
        fnl_contact_stage(e, cid(e, who[i]), &s);
        db_printf(&b, "%s %s %lld\n", who[i], S(s.name), (long long)s.entered);
        if (fnl_contact_stage_history(e, cid(e, who[i]), h, 64, &n) == FNL_OK)
            for (k = 0; k < n; k++)
                db_printf(&b, " %u %u %s>%s %lld %s\n", h[k].kind, h[k].cause,
                          S(h[k].from), S(h[k].to), (long long)h[k].time,
                          S(h[k].reason));
    }
    return b.p;
}

static int run_report(fnl_engine *e, int which, fnl_report **r,
                      fnl_stage_counts **c, size_t *n)
{
    static fnl_stage_pair pairs[2] = {{"mql", "sql", 0.1, 0.2},
                                      {"mql", "recycled", -1, -1}};
    switch (which) {
    case 0: {
        fnl_stage_funnel_request q = FNL_STAGE_FUNNEL_REQUEST_INIT;
        q.group_by = FNL_STAGE_BY_CHANNEL;
        q.as_of = D(60);
        q.pairs = pairs;
        q.pair_count = 2;
        return fnl_report_stage_funnel(e, &q, r);
    }
    case 1: {
        fnl_stage_cohort_request q = FNL_STAGE_COHORT_REQUEST_INIT;
        q.stage = "mql";
        q.period = FNL_PERIOD_WEEK;
        q.as_of = D(60);
        return fnl_report_stage_cohort(e, &q, r);
    }
    case 2: {
        fnl_stage_time_to_convert_request q =
            FNL_STAGE_TIME_TO_CONVERT_REQUEST_INIT;
        q.from_stage = "mql";
        q.to_stage = "sql";
        q.as_of = D(60);
        return fnl_report_stage_time_to_convert(e, &q, r);
    }
    case 3: {
        fnl_rejection_request q = FNL_REJECTION_REQUEST_INIT;
        q.group_by = FNL_STAGE_BY_OWNER;
        return fnl_report_rejections(e, &q, r);
    }
    default: {
        fnl_stage_counts_request q = FNL_STAGE_COUNTS_REQUEST_INIT;
        q.group_by = FNL_STAGE_BY_ATTR;
        q.group_attr = "region";
        q.as_of = D(60);
        return fnl_engine_stage_counts(e, &q, c, n);
    }
    }
}

TEST(every_allocation_failure_is_enomem_and_changes_nothing)
{
    failalloc fa = {-1, 0, 0, 0, 0};
    fnl_allocator a = fa_table(&fa);
    fnl_engine *e = open_engine(&a, 1);
    char *before, *after;
    int which;
    CHECK(e != NULL);
    CHECK_OK(scenario(e));
    CHECK_OK(merge_scenario(e));
    before = dump_stages(e);
    for (which = 0; which < 5; which++) {
        long n;
        for (n = 0;; n++) {
            fnl_report *r = NULL;
            fnl_stage_counts *c = NULL;
            size_t cnt = 12345;
            long long out0 = fa.outstanding;
            int rc;
            fa_arm(&fa, n, 1);
            rc = run_report(e, which, &r, &c, &cnt);
            fa_disarm(&fa);
            if (rc == FNL_OK) {
                CHECK(r != NULL || c != NULL);
                fnl_report_free(r);
                fnl_stage_counts_free(c);
                CHECK_INT(fa.outstanding, out0);
                break;
            }
            CHECK_INT(rc, FNL_ENOMEM);
            CHECK(r == NULL);
            CHECK(c == NULL);
            CHECK_INT(cnt, 12345);
            CHECK_INT(fa.outstanding, out0);
        }
        CHECK(n >= 3);
    }
    after = dump_stages(e);
    CHECK_STR(after, before);
    free(before);
    free(after);
    fnl_engine_close(e);
    CHECK_INT(fa.outstanding, 0);
}

int main(void)
{
    RUN(funnel_counts_conversions_velocity_and_benchmarks_match_the_hand_count);
    RUN(the_in_period_view_counts_entries_and_as_of_cuts_the_history);
    RUN(funnel_groups_by_first_touch_channel_campaign_owner_and_attribute);
    RUN(a_merged_contact_counts_once_with_the_earliest_entry_per_stage);
    RUN(stage_cohorts_give_shares_by_age_and_censor_the_young);
    RUN(stage_time_to_convert_is_the_hand_computed_kaplan_meier_table);
    RUN(rejections_count_reasons_per_channel_owner_and_period);
    RUN(stage_counts_are_the_funnel_counts_and_feed_roi);
    RUN(without_a_machine_every_stage_report_is_enotfound);
    RUN(bad_requests_are_einval_with_a_message);
    RUN(the_funnel_renders_as_json_and_csv);
    RUN(a_random_workload_matches_a_naive_count_over_the_public_history);
    RUN(every_allocation_failure_is_enomem_and_changes_nothing);
    TEST_MAIN_END();
}
