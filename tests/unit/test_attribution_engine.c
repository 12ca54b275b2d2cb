/* test_attribution_engine.c -- attribution over the engine's own data:
 * buying groups (account vs contact scope), the lookback boundary,
 * excluded types, groupings, W/Z markers, currencies, non-converting
 * journeys, rows summing to totals for every model, an engine left
 * untouched, and allocation failures.  Every credit is computed by hand
 * in the comments. */
#include "test.h"
#include "failalloc.h"
#include "dump.h"
#include "attribution.h"

#define D0 INT64_C(1767225600000) /* 2026-01-01 */
#define HOUR INT64_C(3600000)
#define DAY INT64_C(86400000)
#define EPS 1e-9

static failalloc fa;

static fnl_engine *open_engine(void)
{
    fnl_engine *e = NULL;
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_allocator a = fa_table(&fa);
    fa_disarm(&fa);
    cfg.allocator = &a;
    if (fnl_engine_open(&e, &cfg) != FNL_OK)
        return NULL;
    return e;
}

static int touch(fnl_engine *e, const char *email, int64_t t,
                 const char *channel, const char *type, const char *campaign)
{
    fnl_touch tc = FNL_TOUCH_INIT;
    fnl_key k;
    k.kind = "email";
    k.value = email;
    tc.keys = &k;
    tc.key_count = 1;
    tc.time = t;
    tc.channel = channel;
    tc.type = type;
    tc.campaign = campaign;
    return fnl_touch_add(e, &tc, NULL);
}

static int deal(fnl_engine *e, const char *id, const char *account,
                const char *const *emails, size_t n, int64_t amount,
                const char *currency, int64_t created, int64_t closed,
                uint32_t status)
{
    fnl_deal_update u = FNL_DEAL_UPDATE_INIT;
    fnl_deal_contact dc[8];
    size_t i;
    memset(dc, 0, sizeof(dc));
    for (i = 0; i < n; i++) {
        dc[i].key.kind = "email";
        dc[i].key.value = emails[i];
        dc[i].role = FNL_ROLE_USER;
    }
    u.id = id;
    u.account = account;
    u.contacts = dc;
    u.contact_count = n;
    u.amount = amount;
    u.currency = currency;
    u.created = created;
    u.closed = closed;
    u.status = status;
    return fnl_deal_upsert(e, &u, NULL);
}

static int set_attr(fnl_engine *e, const char *email, const char *name,
                    const char *value, const char *owner)
{
    fnl_contact_update u = FNL_CONTACT_UPDATE_INIT;
    fnl_key k;
    fnl_attr a;
    k.kind = "email";
    k.value = email;
    a.name = name;
    a.type = FNL_ATTR_STRING;
    a.str = value;
    a.num = 0;
    u.keys = &k;
    u.key_count = 1;
    u.attrs = &a;
    u.attr_count = name ? 1 : 0;
    u.owner = owner;
    u.time = D0;
    return fnl_contact_upsert(e, &u, NULL);
}

static double conv_of(const fnl_attribution *r, const char *key)
{
    size_t i, n = fnl_attribution_row_count(r);
    for (i = 0; i < n; i++) {
        fnl_attribution_row row = FNL_ATTRIBUTION_ROW_INIT;
        if (fnl_attribution_row_get(r, i, &row) == FNL_OK &&
            strcmp(row.key, key) == 0)
            return row.conversions;
    }
    return -1;
}

static double value_of(const fnl_attribution *r, const char *key)
{
    size_t i, n = fnl_attribution_row_count(r);
    for (i = 0; i < n; i++) {
        fnl_attribution_row row = FNL_ATTRIBUTION_ROW_INIT;
        if (fnl_attribution_row_get(r, i, &row) == FNL_OK &&
            strcmp(row.key, key) == 0)
            return row.value;
    }
    return -1;
}

/* The acme.com buying group:
 *   ana  D0+1d paid_search visit (campaign spring)
 *        D0+5d email form_submit
 *   bob  D0+2d organic_search visit
 *        D0+3d events event_visit
 *   cai  D0+4d referral visit
 * deal d1: account acme.com, contact ana only, 10,000 USD, created
 * D0+4d+12h, won at D0+10d. */
static fnl_engine *acme(void)
{
    static const char *const ana[1] = { "ana@acme.com" };
    fnl_engine *e = open_engine();
    if (e == NULL ||
        touch(e, "ana@acme.com", D0 + 1 * DAY, "paid_search", "visit",
              "spring") ||
        touch(e, "bob@acme.com", D0 + 2 * DAY, "organic_search", NULL,
              NULL) ||
        touch(e, "bob@acme.com", D0 + 3 * DAY, "events", "event_visit",
              NULL) ||
        touch(e, "cai@acme.com", D0 + 4 * DAY, "referral", NULL, NULL) ||
        touch(e, "ana@acme.com", D0 + 5 * DAY, "email", "form_submit",
              NULL) ||
        deal(e, "d1", "acme.com", ana, 1, 10000, "USD", D0 + 4 * DAY + 12 * HOUR,
             D0 + 10 * DAY, FNL_DEAL_WON)) {
        fnl_engine_close(e);
        return NULL;
    }
    return e;
}

static fnl_attribution *run(const fnl_engine *e,
                            const fnl_engine_attribution_options *o,
                            uint32_t model)
{
    fnl_attribution *r = NULL;
    if (fnl_engine_attribute(e, o, model, &r, NULL) != FNL_OK)
        return NULL;
    return r;
}

/* ---- buying groups -------------------------------------------------------- */

TEST(account_scope_credits_the_whole_buying_group)
{
    fnl_engine *e = acme();
    fnl_engine_attribution_options o = FNL_ENGINE_ATTRIBUTION_OPTIONS_INIT;
    fnl_attribution *r;
    CHECK(e != NULL);
    /* five touches: linear 1/5 each, 2,000 of value each */
    r = run(e, &o, FNL_ATTR_LINEAR);
    CHECK(r != NULL);
    CHECK_INT(fnl_attribution_row_count(r), 5);
    CHECK_NEAR(conv_of(r, "paid_search"), 0.2, EPS);
    CHECK_NEAR(conv_of(r, "organic_search"), 0.2, EPS);
    CHECK_NEAR(conv_of(r, "referral"), 0.2, EPS);
    CHECK_NEAR(value_of(r, "events"), 2000, 1e-6);
    fnl_attribution_free(r);
    r = run(e, &o, FNL_ATTR_FIRST_TOUCH);
    CHECK(r != NULL);
    CHECK_NEAR(conv_of(r, "paid_search"), 1, EPS);
    fnl_attribution_free(r);
    r = run(e, &o, FNL_ATTR_LAST_TOUCH);
    CHECK(r != NULL);
    CHECK_NEAR(conv_of(r, "email"), 1, EPS);
    CHECK_NEAR(value_of(r, "email"), 10000, 1e-6);
    fnl_attribution_free(r);
    fnl_engine_close(e);
}

TEST(contact_scope_credits_the_deal_contacts_only)
{
    fnl_engine *e = acme();
    fnl_engine_attribution_options o = FNL_ENGINE_ATTRIBUTION_OPTIONS_INIT;
    fnl_engine_attribution_stats st = FNL_ENGINE_ATTRIBUTION_STATS_INIT;
    fnl_attribution *r = NULL;
    CHECK(e != NULL);
    o.scope = FNL_SCOPE_CONTACT;
    /* ana alone: paid_search, email: 1/2 each */
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, &st));
    CHECK_INT(fnl_attribution_row_count(r), 2);
    CHECK_NEAR(conv_of(r, "paid_search"), 0.5, EPS);
    CHECK_NEAR(value_of(r, "email"), 5000, 1e-6);
    CHECK_INT(st.conversions, 1);
    CHECK_INT(st.touches, 2);
    CHECK_STR(st.currency, "USD");
    fnl_attribution_free(r);
    fnl_engine_close(e);
}

TEST(w_and_z_markers_follow_lead_opportunity_and_close)
{
    fnl_engine *e = acme();
    fnl_engine_attribution_options o = FNL_ENGINE_ATTRIBUTION_OPTIONS_INIT;
    fnl_journeys *js = NULL;
    fnli_journey j;
    fnl_attribution *r;
    CHECK(e != NULL);
    /* journey: paid_search, organic_search, events, referral, email.
     * lead = first form_submit = 4; opportunity = last touch at or before
     * created (D0+4.5d) = referral, 3; close = last touch, 4 */
    CHECK_OK(fnl_engine_journeys(e, &o, &js, NULL));
    CHECK_INT(fnl_journeys_count(js), 1);
    fnli_journeys_view(js, 0, &j);
    CHECK_INT(j.n, 5);
    CHECK_INT(j.lead, 4);
    CHECK_INT(j.opportunity, 3);
    CHECK_INT(j.close, 4);
    CHECK_INT(j.conversion_time, D0 + 10 * DAY);
    CHECK_INT(j.value, 10000);
    CHECK(j.times != NULL);
    CHECK_INT(j.times[0], D0 + DAY);
    fnl_journeys_free(js);
    /* W: t0 30, opp 30, lead 30, the two others 5 each */
    r = run(e, &o, FNL_ATTR_W_SHAPED);
    CHECK(r != NULL);
    CHECK_NEAR(conv_of(r, "paid_search"), 0.30, EPS);
    CHECK_NEAR(conv_of(r, "organic_search"), 0.05, EPS);
    CHECK_NEAR(conv_of(r, "events"), 0.05, EPS);
    CHECK_NEAR(conv_of(r, "referral"), 0.30, EPS);
    CHECK_NEAR(conv_of(r, "email"), 0.30, EPS);
    fnl_attribution_free(r);
    /* Z: t0 22.5, opp 22.5, lead + close both on email 45, others 5 */
    r = run(e, &o, FNL_ATTR_Z_SHAPED);
    CHECK(r != NULL);
    CHECK_NEAR(conv_of(r, "paid_search"), 0.225, EPS);
    CHECK_NEAR(conv_of(r, "organic_search"), 0.05, EPS);
    CHECK_NEAR(conv_of(r, "referral"), 0.225, EPS);
    CHECK_NEAR(conv_of(r, "email"), 0.45, EPS);
    fnl_attribution_free(r);
    fnl_engine_close(e);
}

TEST(lead_marker_falls_back_to_the_first_touch)
{
    fnl_engine *e = acme();
    fnl_engine_attribution_options o = FNL_ENGINE_ATTRIBUTION_OPTIONS_INIT;
    static const char *const lead[1] = { "event_visit" };
    fnl_journeys *js = NULL;
    fnli_journey j;
    CHECK(e != NULL);
    o.scope = FNL_SCOPE_CONTACT;
    o.lead_types = lead;
    o.lead_type_count = 1;
    /* ana's journey has no event_visit: lead = 0 */
    CHECK_OK(fnl_engine_journeys(e, &o, &js, NULL));
    fnli_journeys_view(js, 0, &j);
    CHECK_INT(j.n, 2);
    CHECK_INT(j.lead, 0);
    CHECK_INT(j.opportunity, 0); /* only paid_search is before created */
    fnl_journeys_free(js);
    /* account scope: bob's event_visit is touch 2 */
    o.scope = FNL_SCOPE_ACCOUNT;
    CHECK_OK(fnl_engine_journeys(e, &o, &js, NULL));
    fnli_journeys_view(js, 0, &j);
    CHECK_INT(j.lead, 2);
    fnl_journeys_free(js);
    fnl_engine_close(e);
}

/* ---- the lookback window ------------------------------------------------- */

TEST(lookback_includes_both_ends_of_the_window)
{
    static const char *const who[1] = { "zoe@zeta.io" };
    fnl_engine *e = open_engine();
    fnl_engine_attribution_options o = FNL_ENGINE_ATTRIBUTION_OPTIONS_INIT;
    fnl_engine_attribution_stats st = FNL_ENGINE_ATTRIBUTION_STATS_INIT;
    fnl_attribution *r = NULL;
    int64_t T = D0 + 200 * DAY;
    CHECK(e != NULL);
    /* T - 90d - 1ms: out; T - 90d exactly: in; T: in; T + 1ms: out */
    CHECK_OK(touch(e, "zoe@zeta.io", T - 90 * DAY - 1, "display", NULL,
                   NULL));
    CHECK_OK(touch(e, "zoe@zeta.io", T - 90 * DAY, "paid_social", NULL,
                   NULL));
    CHECK_OK(touch(e, "zoe@zeta.io", T, "email", NULL, NULL));
    CHECK_OK(touch(e, "zoe@zeta.io", T + 1, "direct", NULL, NULL));
    CHECK_OK(deal(e, "z1", NULL, who, 1, 500, "EUR", D0, T, FNL_DEAL_WON));
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, &st));
    CHECK_INT(st.touches, 2);
    CHECK_INT(fnl_attribution_row_count(r), 2);
    CHECK_NEAR(conv_of(r, "paid_social"), 0.5, EPS);
    CHECK_NEAR(conv_of(r, "email"), 0.5, EPS);
    CHECK_NEAR(conv_of(r, "display"), -1, 0);
    fnl_attribution_free(r);
    /* one more ms of lookback takes display in; unlimited too */
    o.lookback_ms = 90 * DAY + 1;
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, &st));
    CHECK_INT(st.touches, 3);
    fnl_attribution_free(r);
    o.lookback_ms = FNL_LOOKBACK_UNLIMITED;
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_FIRST_TOUCH, &r, &st));
    CHECK_NEAR(conv_of(r, "display"), 1, EPS);
    fnl_attribution_free(r);
    /* lookback 0: only the touch at T itself */
    o.lookback_ms = 0;
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, &st));
    CHECK_INT(st.touches, 1);
    CHECK_NEAR(conv_of(r, "email"), 1, EPS);
    fnl_attribution_free(r);
    fnl_engine_close(e);
}

TEST(excluded_types_leave_the_journey)
{
    fnl_engine *e = acme();
    fnl_engine_attribution_options o = FNL_ENGINE_ATTRIBUTION_OPTIONS_INIT;
    static const char *const ex[2] = { "Event_Visit", "email_open" };
    fnl_attribution *r;
    CHECK(e != NULL);
    CHECK_OK(touch(e, "bob@acme.com", D0 + 6 * DAY, "email", "email_open",
                   NULL));
    o.exclude_types = ex;
    o.exclude_type_count = 2;
    /* events (event_visit) and the email_open go: 4 touches left, the
     * last is ana's form_submit e-mail */
    r = run(e, &o, FNL_ATTR_LINEAR);
    CHECK(r != NULL);
    CHECK_INT(fnl_attribution_row_count(r), 4);
    CHECK_NEAR(conv_of(r, "events"), -1, 0);
    CHECK_NEAR(conv_of(r, "paid_search"), 0.25, EPS);
    fnl_attribution_free(r);
    /* without the exclusion the email_open is the last touch */
    o.exclude_type_count = 0;
    r = run(e, &o, FNL_ATTR_LINEAR);
    CHECK(r != NULL);
    CHECK_NEAR(conv_of(r, "email"), 2.0 / 6, EPS);
    fnl_attribution_free(r);
    fnl_engine_close(e);
}

/* ---- grouping --------------------------------------------------------------- */

TEST(grouping_by_attributes_owner_type_and_channel_campaign)
{
    fnl_engine *e = acme();
    fnl_engine_attribution_options o = FNL_ENGINE_ATTRIBUTION_OPTIONS_INIT;
    fnl_account_update au = FNL_ACCOUNT_UPDATE_INIT;
    fnl_attr ind;
    fnl_attribution *r;
    CHECK(e != NULL);
    CHECK_OK(set_attr(e, "ana@acme.com", "region", "emea", "olga"));
    CHECK_OK(set_attr(e, "bob@acme.com", "region", "apac", NULL));
    ind.name = "industry";
    ind.type = FNL_ATTR_STRING;
    ind.str = "software";
    ind.num = 0;
    au.id = "acme.com";
    au.attrs = &ind;
    au.attr_count = 1;
    au.time = D0;
    CHECK_OK(fnl_account_upsert(e, &au, NULL));
    /* region: ana 2 touches (emea), bob 2 (apac), cai 1 (none) */
    o.group_by = FNL_GROUP_CONTACT_ATTR;
    o.group_attr = "Region";
    r = run(e, &o, FNL_ATTR_LINEAR);
    CHECK(r != NULL);
    CHECK_INT(fnl_attribution_row_count(r), 3);
    CHECK_NEAR(conv_of(r, "emea"), 0.4, EPS);
    CHECK_NEAR(conv_of(r, "apac"), 0.4, EPS);
    CHECK_NEAR(conv_of(r, FNL_GROUP_NONE_KEY), 0.2, EPS);
    fnl_attribution_free(r);
    /* account industry: everything to software */
    o.group_by = FNL_GROUP_ACCOUNT_ATTR;
    o.group_attr = "industry";
    r = run(e, &o, FNL_ATTR_LINEAR);
    CHECK(r != NULL);
    CHECK_INT(fnl_attribution_row_count(r), 1);
    CHECK_NEAR(conv_of(r, "software"), 1, EPS);
    fnl_attribution_free(r);
    /* owner: ana's two touches to olga */
    o.group_by = FNL_GROUP_OWNER;
    r = run(e, &o, FNL_ATTR_LINEAR);
    CHECK(r != NULL);
    CHECK_NEAR(conv_of(r, "olga"), 0.4, EPS);
    CHECK_NEAR(conv_of(r, FNL_GROUP_NONE_KEY), 0.6, EPS);
    fnl_attribution_free(r);
    /* type: visit x3 (default type), event_visit, form_submit */
    o.group_by = FNL_GROUP_TYPE;
    r = run(e, &o, FNL_ATTR_LINEAR);
    CHECK(r != NULL);
    CHECK_NEAR(conv_of(r, "visit"), 0.6, EPS);
    CHECK_NEAR(conv_of(r, "form_submit"), 0.2, EPS);
    fnl_attribution_free(r);
    /* campaign: only paid_search has one */
    o.group_by = FNL_GROUP_CAMPAIGN;
    r = run(e, &o, FNL_ATTR_LINEAR);
    CHECK(r != NULL);
    CHECK_NEAR(conv_of(r, "spring"), 0.2, EPS);
    CHECK_NEAR(conv_of(r, FNL_GROUP_NONE_KEY), 0.8, EPS);
    fnl_attribution_free(r);
    /* channel > campaign; channel alone without a campaign */
    o.group_by = FNL_GROUP_CHANNEL_CAMPAIGN;
    r = run(e, &o, FNL_ATTR_FIRST_TOUCH);
    CHECK(r != NULL);
    CHECK_NEAR(conv_of(r, "paid_search > spring"), 1, EPS);
    fnl_attribution_free(r);
    r = run(e, &o, FNL_ATTR_LAST_TOUCH);
    CHECK(r != NULL);
    CHECK_NEAR(conv_of(r, "email"), 1, EPS);
    fnl_attribution_free(r);
    fnl_engine_close(e);
}

TEST(last_non_direct_skips_direct_touches)
{
    fnl_engine *e = acme();
    fnl_engine_attribution_options o = FNL_ENGINE_ATTRIBUTION_OPTIONS_INIT;
    fnl_attribution *r;
    CHECK(e != NULL);
    CHECK_OK(touch(e, "cai@acme.com", D0 + 7 * DAY, "direct", NULL, NULL));
    r = run(e, &o, FNL_ATTR_LAST_NON_DIRECT);
    CHECK(r != NULL);
    CHECK_NEAR(conv_of(r, "email"), 1, EPS);
    CHECK_NEAR(conv_of(r, "direct"), 0, EPS);
    fnl_attribution_free(r);
    r = run(e, &o, FNL_ATTR_LAST_TOUCH);
    CHECK(r != NULL);
    CHECK_NEAR(conv_of(r, "direct"), 1, EPS);
    fnl_attribution_free(r);
    fnl_engine_close(e);
}

/* ---- conversions, currencies, untouched deals ------------------------------- */

TEST(created_deals_convert_at_their_created_time)
{
    fnl_engine *e = acme();
    fnl_engine_attribution_options o = FNL_ENGINE_ATTRIBUTION_OPTIONS_INIT;
    fnl_engine_attribution_stats st = FNL_ENGINE_ATTRIBUTION_STATS_INIT;
    static const char *const bob[1] = { "bob@acme.com" };
    fnl_attribution *r = NULL;
    fnl_journeys *js = NULL;
    fnli_journey j;
    CHECK(e != NULL);
    /* an open deal counts as pipeline too */
    CHECK_OK(deal(e, "d2", NULL, bob, 1, 3000, "USD", D0 + 2 * DAY + HOUR, 0,
                  FNL_DEAL_OPEN));
    o.conversion = FNL_CONVERSION_DEAL_CREATED;
    o.scope = FNL_SCOPE_CONTACT;
    /* d1 at D0+4.5d: ana's paid_search only; d2 at D0+2d+1h: bob's
     * organic_search only */
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, &st));
    CHECK_INT(st.conversions, 2);
    CHECK_NEAR(conv_of(r, "paid_search"), 1, EPS);
    CHECK_NEAR(value_of(r, "paid_search"), 10000, 1e-6);
    CHECK_NEAR(value_of(r, "organic_search"), 3000, 1e-6);
    fnl_attribution_free(r);
    CHECK_OK(fnl_engine_journeys(e, &o, &js, NULL));
    fnli_journeys_view(js, 0, &j);
    CHECK_INT(j.close, -1);
    CHECK_INT(j.opportunity, 0);
    fnl_journeys_free(js);
    /* the won-deal run does not see the open deal */
    o.conversion = FNL_CONVERSION_DEAL_WON;
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, &st));
    CHECK_INT(st.conversions, 1);
    fnl_attribution_free(r);
    fnl_engine_close(e);
}

TEST(mixed_currencies_need_a_filter)
{
    fnl_engine *e = acme();
    fnl_engine_attribution_options o = FNL_ENGINE_ATTRIBUTION_OPTIONS_INIT;
    fnl_engine_attribution_stats st = FNL_ENGINE_ATTRIBUTION_STATS_INIT;
    static const char *const cai[1] = { "cai@acme.com" };
    fnl_attribution *r = NULL;
    CHECK(e != NULL);
    CHECK_OK(deal(e, "d3", NULL, cai, 1, 7000, "EUR", D0, D0 + 4 * DAY,
                  FNL_DEAL_WON));
    CHECK_INT(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, &st),
              FNL_EINVAL);
    CHECK(r == NULL);
    CHECK(strstr(fnl_errmsg(e), "USD") != NULL);
    CHECK(strstr(fnl_errmsg(e), "EUR") != NULL);
    CHECK(strstr(fnl_errmsg(e), "currency filter") != NULL);
    o.currency = "eur";
    o.scope = FNL_SCOPE_CONTACT;
    /* d3: cai's referral at D0+4d, closed D0+4d: included (end of window) */
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, &st));
    CHECK_STR(st.currency, "EUR");
    CHECK_INT(st.other_currency, 1);
    CHECK_INT(st.conversions, 1);
    CHECK_NEAR(value_of(r, "referral"), 7000, 1e-6);
    fnl_attribution_free(r);
    /* the USD run sees d1 alone */
    o.currency = "USD";
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, &st));
    CHECK_NEAR(value_of(r, "email"), 5000, 1e-6);
    fnl_attribution_free(r);
    CHECK_STR(fnl_errmsg(e), "");
    fnl_engine_close(e);
}

TEST(conversions_without_touches_are_counted_or_keyed)
{
    fnl_engine *e = acme();
    fnl_engine_attribution_options o = FNL_ENGINE_ATTRIBUTION_OPTIONS_INIT;
    fnl_engine_attribution_stats st = FNL_ENGINE_ATTRIBUTION_STATS_INIT;
    static const char *const dan[1] = { "dan@other.org" };
    fnl_attribution *r = NULL;
    fnl_attribution_info info = FNL_ATTRIBUTION_INFO_INIT;
    CHECK(e != NULL);
    CHECK_OK(deal(e, "d4", NULL, dan, 1, 900, "USD", D0, D0 + DAY,
                  FNL_DEAL_WON));
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, &st));
    CHECK_INT(st.conversions, 1);
    CHECK_INT(st.untouched, 1);
    CHECK_INT(st.untouched_value, 900);
    CHECK_OK(fnl_attribution_get_info(r, &info));
    CHECK_NEAR(info.total_value, 10000, 1e-6);
    fnl_attribution_free(r);
    o.unattributed_key = "(no touch)";
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, &st));
    CHECK_INT(st.conversions, 2);
    CHECK_NEAR(value_of(r, "(no touch)"), 900, 1e-6);
    CHECK_OK(fnl_attribution_get_info(r, &info));
    CHECK_NEAR(info.total_value, 10900, 1e-6);
    fnl_attribution_free(r);
    fnl_engine_close(e);
}

TEST(time_filter_selects_conversions)
{
    fnl_engine *e = acme();
    fnl_engine_attribution_options o = FNL_ENGINE_ATTRIBUTION_OPTIONS_INIT;
    fnl_engine_attribution_stats st = FNL_ENGINE_ATTRIBUTION_STATS_INIT;
    fnl_attribution *r = NULL;
    CHECK(e != NULL);
    /* d1 closes at D0+10d: [from, until) */
    o.from = D0 + 10 * DAY + 1;
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, &st));
    CHECK_INT(st.conversions, 0);
    CHECK_INT(fnl_attribution_row_count(r), 0);
    fnl_attribution_free(r);
    o.from = D0;
    o.until = D0 + 10 * DAY;
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, &st));
    CHECK_INT(st.conversions, 0);
    fnl_attribution_free(r);
    o.until = D0 + 10 * DAY + 1;
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, &st));
    CHECK_INT(st.conversions, 1);
    fnl_attribution_free(r);
    fnl_engine_close(e);
}

/* ---- non-converting journeys ------------------------------------------------ */

/* won w1 (ann@a.com): paid_search; lost l1 (lee@b.com): display; no deal:
 * dan@c.com organic_search, eve@c.com email (account c.com), and
 * fay@gmail.com referral (no account). */
static fnl_engine *mixed(void)
{
    static const char *const ann[1] = { "ann@a.com" };
    static const char *const lee[1] = { "lee@b.com" };
    fnl_engine *e = open_engine();
    if (e == NULL ||
        touch(e, "ann@a.com", D0 + DAY, "paid_search", NULL, NULL) ||
        touch(e, "lee@b.com", D0 + DAY, "display", NULL, NULL) ||
        touch(e, "dan@c.com", D0 + DAY, "organic_search", NULL, NULL) ||
        touch(e, "eve@c.com", D0 + 2 * DAY, "email", NULL, NULL) ||
        touch(e, "fay@gmail.com", D0 + 3 * DAY, "referral", NULL, NULL) ||
        deal(e, "w1", NULL, ann, 1, 100, "USD", D0, D0 + 5 * DAY,
             FNL_DEAL_WON) ||
        deal(e, "l1", NULL, lee, 1, 100, "USD", D0, D0 + 5 * DAY,
             FNL_DEAL_LOST)) {
        fnl_engine_close(e);
        return NULL;
    }
    return e;
}

TEST(lost_deals_and_dealless_units_are_null_journeys)
{
    fnl_engine *e = mixed();
    fnl_engine_attribution_options o = FNL_ENGINE_ATTRIBUTION_OPTIONS_INIT;
    fnl_engine_attribution_stats st = FNL_ENGINE_ATTRIBUTION_STATS_INIT;
    fnl_attribution *r = NULL;
    fnl_attribution_info info = FNL_ATTRIBUTION_INFO_INIT;
    CHECK(e != NULL);
    o.nonconverting = FNL_NONCONV_LOST_DEALS;
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_MARKOV, &r, &st));
    CHECK_INT(st.conversions, 1);
    CHECK_INT(st.nonconverting, 1);
    /* start -> paid_search -> conv, start -> display -> null: P = 1/2,
     * removing paid_search gives 0, removing display leaves 1/2 */
    CHECK_NEAR(conv_of(r, "paid_search"), 1, EPS);
    CHECK_NEAR(conv_of(r, "display"), 0, EPS);
    CHECK_OK(fnl_attribution_get_info(r, &info));
    CHECK_NEAR(info.markov_conversion_probability, 0.5, EPS);
    fnl_attribution_free(r);
    /* account scope: units c.com (dan + eve together) and fay */
    o.nonconverting = FNL_NONCONV_LOST_DEALS | FNL_NONCONV_NO_DEAL;
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_MARKOV, &r, &st));
    CHECK_INT(st.nonconverting, 3);
    CHECK_INT(st.touches, 5);
    CHECK_OK(fnl_attribution_get_info(r, &info));
    CHECK_NEAR(info.total_nulls, 3, 0);
    CHECK_NEAR(info.markov_conversion_probability, 0.25, EPS);
    fnl_attribution_free(r);
    /* contact scope: dan and eve are units of their own */
    o.scope = FNL_SCOPE_CONTACT;
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_SHAPLEY, &r, &st));
    CHECK_INT(st.nonconverting, 4);
    CHECK_NEAR(conv_of(r, "paid_search"), 1, EPS);
    fnl_attribution_free(r);
    /* lost deals are conversions of the created kind */
    o.conversion = FNL_CONVERSION_DEAL_CREATED;
    CHECK_INT(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, &st),
              FNL_EINVAL);
    o.nonconverting = FNL_NONCONV_NO_DEAL;
    /* both deals were created at D0, before every touch: untouched */
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, &st));
    CHECK_INT(st.conversions, 0);
    CHECK_INT(st.untouched, 2);
    CHECK_INT(st.nonconverting, 3);
    fnl_attribution_free(r);
    fnl_engine_close(e);
}

TEST(dealless_window_ends_at_the_units_last_touch)
{
    fnl_engine *e = open_engine();
    fnl_engine_attribution_options o = FNL_ENGINE_ATTRIBUTION_OPTIONS_INIT;
    fnl_journeys *js = NULL;
    fnli_journey j;
    CHECK(e != NULL);
    CHECK_OK(touch(e, "kim@k.com", D0, "display", NULL, NULL));
    CHECK_OK(touch(e, "kim@k.com", D0 + 100 * DAY, "email", NULL, NULL));
    CHECK_OK(touch(e, "kim@k.com", D0 + 190 * DAY, "events", NULL, NULL));
    o.nonconverting = FNL_NONCONV_NO_DEAL;
    CHECK_OK(fnl_engine_journeys(e, &o, &js, NULL));
    CHECK_INT(fnl_journeys_count(js), 1);
    fnli_journeys_view(js, 0, &j);
    /* window [D0+100d, D0+190d]: email and events */
    CHECK_INT(j.n, 2);
    CHECK_INT(j.nulls, 1);
    CHECK_INT(j.conversions, 0);
    CHECK_INT(j.times[0], D0 + 100 * DAY);
    fnl_journeys_free(js);
    fnl_engine_close(e);
}

/* ---- invariants ------------------------------------------------------------- */

/* A richer engine: 6 accounts x 3 contacts, touches over 9 channels and
 * 3 types, won, lost and open deals. */
static fnl_engine *bigger(void)
{
    static const char *const ch[9] = {
        "paid_search", "organic_search", "email", "direct", "referral",
        "events", "paid_social", "display", "webinar"
    };
    static const char *const ty[3] = { "visit", "form_submit", "email_open" };
    fnl_engine *e = open_engine();
    uint64_t s = 7;
    int a, c, k;
    char em[64], id[16];
    if (e == NULL)
        return NULL;
    for (a = 0; a < 6; a++) {
        for (c = 0; c < 3; c++) {
            snprintf(em, sizeof(em), "p%d@acct%d.com", c, a);
            for (k = 0; k < 4 + (a + c) % 3; k++) {
                s = s * 6364136223846793005u + 1442695040888963407u;
                if (touch(e, em, D0 + (int64_t)((s >> 33) % 60) * DAY +
                                     (int64_t)(s % 1000),
                          ch[(s >> 20) % 9], ty[(s >> 40) % 3],
                          (s >> 50) % 2 ? "q1" : NULL))
                    goto fail;
            }
        }
        {
            const char *who[2];
            char e0[64], e1[64];
            snprintf(e0, sizeof(e0), "p0@acct%d.com", a);
            snprintf(e1, sizeof(e1), "p1@acct%d.com", a);
            who[0] = e0;
            who[1] = e1;
            snprintf(id, sizeof(id), "deal%d", a);
            snprintf(em, sizeof(em), "acct%d.com", a);
            if (deal(e, id, em, who, a % 2 + 1, 1000 * (a + 1), "USD",
                     D0 + 20 * DAY, a % 3 == 2 ? 0 : D0 + (40 + a) * DAY,
                     a % 3 == 0 ? FNL_DEAL_WON
                                : a % 3 == 1 ? FNL_DEAL_LOST
                                             : FNL_DEAL_OPEN))
                goto fail;
        }
    }
    if (touch(e, "solo@gmail.com", D0 + 3 * DAY, "direct", NULL, NULL))
        goto fail;
    return e;
fail:
    fnl_engine_close(e);
    return NULL;
}

TEST(rows_sum_to_totals_for_every_model)
{
    fnl_engine *e = bigger();
    fnl_engine_attribution_options o = FNL_ENGINE_ATTRIBUTION_OPTIONS_INIT;
    uint32_t model, scope, conv;
    CHECK(e != NULL);
    o.nonconverting = FNL_NONCONV_NO_DEAL;
    for (conv = 1; conv <= 2; conv++) {
        for (scope = 0; scope <= 1; scope++) {
            for (model = 1; model <= 14; model++) {
                fnl_attribution *r = NULL;
                fnl_attribution_info info = FNL_ATTRIBUTION_INFO_INIT;
                double sc = 0, sv = 0;
                size_t i, n;
                o.conversion = conv;
                o.scope = scope;
                o.nonconverting = conv == 1 ? FNL_NONCONV_LOST_DEALS |
                                                  FNL_NONCONV_NO_DEAL
                                            : FNL_NONCONV_NO_DEAL;
                CHECK_OK(fnl_engine_attribute(e, &o, model, &r, NULL));
                CHECK_OK(fnl_attribution_get_info(r, &info));
                CHECK(info.total_conversions > 0);
                n = fnl_attribution_row_count(r);
                for (i = 0; i < n; i++) {
                    fnl_attribution_row row = FNL_ATTRIBUTION_ROW_INIT;
                    CHECK_OK(fnl_attribution_row_get(r, i, &row));
                    sc += row.conversions;
                    sv += row.value;
                }
                CHECK_NEAR(sc, info.total_conversions, 1e-9);
                CHECK_NEAR(sv, info.total_value, 1e-6);
                fnl_attribution_free(r);
            }
        }
    }
    fnl_engine_close(e);
}

TEST(engine_partial_matches_its_journeys)
{
    fnl_engine *e = bigger();
    fnl_engine_attribution_options o = FNL_ENGINE_ATTRIBUTION_OPTIONS_INIT;
    fnl_attribution_options ao = FNL_ATTRIBUTION_OPTIONS_INIT;
    fnl_attribution_partial *p = NULL;
    fnl_journeys *js = NULL;
    uint32_t model;
    CHECK(e != NULL);
    ao.models |= FNL_ATTR_BIT(FNL_ATTR_TIME_DECAY);
    o.attribution = &ao;
    o.nonconverting = FNL_NONCONV_LOST_DEALS | FNL_NONCONV_NO_DEAL;
    CHECK_OK(fnl_engine_attribution_partial(e, &o, &p, NULL));
    CHECK_OK(fnl_engine_journeys(e, &o, &js, NULL));
    for (model = 1; model <= 14; model++) {
        fnl_attribution *x = NULL, *y = NULL;
        size_t i, n;
        CHECK_OK(fnl_attribution_partial_finish(p, model, &x));
        CHECK_OK(fnl_attribution_run(&y, js, model, &ao));
        n = fnl_attribution_row_count(x);
        CHECK_INT(n, fnl_attribution_row_count(y));
        for (i = 0; i < n; i++) {
            fnl_attribution_row rx = FNL_ATTRIBUTION_ROW_INIT;
            fnl_attribution_row ry = FNL_ATTRIBUTION_ROW_INIT;
            fnl_attribution_row_get(x, i, &rx);
            fnl_attribution_row_get(y, i, &ry);
            CHECK_STR(rx.key, ry.key);
            CHECK(memcmp(&rx.conversions, &ry.conversions, 8) == 0);
            CHECK(memcmp(&rx.value, &ry.value, 8) == 0);
        }
        fnl_attribution_free(x);
        fnl_attribution_free(y);
    }
    fnl_attribution_partial_free(p);
    fnl_journeys_free(js);
    fnl_engine_close(e);
}

TEST(attribution_leaves_the_engine_unchanged)
{
    fnl_engine *e = bigger();
    fnl_engine_attribution_options o = FNL_ENGINE_ATTRIBUTION_OPTIONS_INIT;
    fnl_stats s0 = FNL_STATS_INIT, s1 = FNL_STATS_INIT;
    char *before, *after;
    fnl_attribution *r = NULL;
    fnl_journeys *js = NULL;
    CHECK(e != NULL);
    before = dump_engine(e);
    CHECK_OK(fnl_engine_stats(e, &s0));
    o.nonconverting = FNL_NONCONV_LOST_DEALS | FNL_NONCONV_NO_DEAL;
    o.group_by = FNL_GROUP_CHANNEL_CAMPAIGN;
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_MARKOV, &r, NULL));
    fnl_attribution_free(r);
    o.group_by = FNL_GROUP_CONTACT_ATTR;
    o.group_attr = "region";
    CHECK_OK(fnl_engine_journeys(e, &o, &js, NULL));
    fnl_journeys_free(js);
    CHECK_OK(fnl_engine_stats(e, &s1));
    CHECK(memcmp(&s0, &s1, sizeof(s0)) == 0); /* memory counters too */
    after = dump_engine(e);
    CHECK_STR(after, before);
    free(before);
    free(after);
    fnl_engine_close(e);
}

TEST(bad_options_are_rejected)
{
    fnl_engine *e = acme();
    fnl_engine_attribution_options o = FNL_ENGINE_ATTRIBUTION_OPTIONS_INIT;
    fnl_attribution *r = NULL;
    static const char *const bad[1] = { "no spaces" };
    CHECK(e != NULL);
    o.conversion = FNL_CONVERSION_STAGE_ENTRY;
    o.stage = "mql";
    /* no machine attached: not found (stage_entry_errors_name_the_stage) */
    CHECK_INT(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, NULL),
              FNL_ENOTFOUND);
    CHECK(strstr(fnl_errmsg(e), "mql") != NULL);
    o.stage = NULL;
    o.conversion = 9;
    CHECK_INT(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, NULL),
              FNL_EINVAL);
    o.conversion = FNL_CONVERSION_DEAL_WON;
    o.lookback_ms = -2;
    CHECK_INT(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, NULL),
              FNL_EINVAL);
    o.lookback_ms = FNL_LOOKBACK_DEFAULT;
    o.group_by = FNL_GROUP_CONTACT_ATTR;
    CHECK_INT(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, NULL),
              FNL_EINVAL);
    o.group_by = 99;
    CHECK_INT(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, NULL),
              FNL_EINVAL);
    o.group_by = FNL_GROUP_CHANNEL;
    o.exclude_types = bad;
    o.exclude_type_count = 1;
    CHECK_INT(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, NULL),
              FNL_EINVAL);
    o.exclude_type_count = 0;
    o.currency = "euro";
    CHECK_INT(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, NULL),
              FNL_EINVAL);
    o.currency = NULL;
    CHECK_INT(fnl_engine_attribute(e, &o, 0, &r, NULL), FNL_EINVAL);
    CHECK_INT(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, NULL, NULL),
              FNL_EINVAL);
    CHECK_INT(fnl_engine_attribute(NULL, &o, FNL_ATTR_LINEAR, &r, NULL),
              FNL_EINVAL);
    CHECK(r == NULL);
    /* an options struct from an older caller: defaults for the rest */
    {
        fnl_engine_attribution_options old;
        fnl_engine_attribution_options_init(
            &old, offsetof(fnl_engine_attribution_options, group_attr));
        old.scope = FNL_SCOPE_CONTACT;
        CHECK_OK(fnl_engine_attribute(e, &old, FNL_ATTR_LINEAR, &r, NULL));
        CHECK_NEAR(conv_of(r, "paid_search"), 0.5, EPS);
        fnl_attribution_free(r);
    }
    fnl_engine_close(e);
}

TEST(allocation_failures_are_enomem_and_leak_nothing)
{
    fnl_engine *e = bigger();
    fnl_engine_attribution_options o = FNL_ENGINE_ATTRIBUTION_OPTIONS_INIT;
    fnl_attribution_options ao = FNL_ATTRIBUTION_OPTIONS_INIT;
    char *before, *after;
    long n, failures = 0;
    int which;
    CHECK(e != NULL);
    before = dump_engine(e);
    ao.models = FNL_ATTR_MODELS_DEFAULT;
    o.attribution = &ao;
    o.nonconverting = FNL_NONCONV_LOST_DEALS | FNL_NONCONV_NO_DEAL;
    o.group_by = FNL_GROUP_CHANNEL_CAMPAIGN;
    for (which = 0; which < 3; which++) {
        for (n = 0;; n++) {
            long long out0 = fa.outstanding;
            fnl_attribution *r = NULL;
            fnl_attribution_partial *p = NULL;
            fnl_journeys *js = NULL;
            int rc;
            fa_arm(&fa, n, which == 1);
            if (which == 0)
                rc = fnl_engine_attribute(e, &o, FNL_ATTR_MARKOV, &r, NULL);
            else if (which == 1)
                rc = fnl_engine_attribution_partial(e, &o, &p, NULL);
            else
                rc = fnl_engine_journeys(e, &o, &js, NULL);
            fa_disarm(&fa);
            if (fa.fired == 0) {
                CHECK_OK(rc);
                fnl_attribution_free(r);
                fnl_attribution_partial_free(p);
                fnl_journeys_free(js);
                CHECK(fa.outstanding == out0);
                break;
            }
            failures++;
            CHECK_INT(rc, FNL_ENOMEM);
            CHECK(r == NULL && p == NULL && js == NULL);
            CHECK(fa.outstanding == out0);
        }
    }
    CHECK(failures > 30);
    after = dump_engine(e);
    CHECK_STR(after, before);
    free(before);
    free(after);
    fnl_engine_close(e);
}

/* ---- stage-entry conversions ------------------------------------------------ */

/* lead -> mql on "qualify"; sql on "sales_qualify" from lead, mql or
 * nurture (so a lead qualified by sales passes mql through); nurture is a
 * side stage a parked MQL leaves by qualifying again. */
static const char *const MACHINE =
    "machine \"t\" version 1\n"
    "stage lead initial\n"
    "stage mql\n"
    "stage sql\n"
    "stage customer\n"
    "stage nurture side\n"
    "transition lead -> mql on event qualify\n"
    "transition * -> sql on event sales_qualify\n"
    "transition mql -> nurture back on event park\n"
    "transition nurture -> mql on event qualify\n";

static int attach(fnl_engine *e)
{
    fnl_machine *m = NULL;
    fnl_parse_error err = FNL_PARSE_ERROR_INIT;
    int rc = fnl_machine_parse(&m, MACHINE, strlen(MACHINE), NULL, &err);
    if (rc == FNL_OK)
        rc = fnl_engine_attach_machine(e, m);
    fnl_machine_free(m);
    return rc;
}

static int event_by(fnl_engine *e, const char *kind, const char *value,
                    const char *ev, int64_t t)
{
    fnl_contact_id c = 0;
    int rc = fnl_contact_find(e, kind, value, &c);
    return rc ? rc : fnl_contact_event(e, c, ev, NULL, t);
}

static int event(fnl_engine *e, const char *email, const char *ev, int64_t t)
{
    return event_by(e, "email", email, ev, t);
}

/* The funnel (machine attached first, so a contact starts in lead when
 * its first touch creates it, at that touch's time):
 *   ana@acme.com   D0+1d paid_search visit, D0+3d email form_submit,
 *                  qualify D0+4d (mql), D0+6d webinar visit,
 *                  sales_qualify D0+7d (sql)
 *   bob@acme.com   D0+2d organic_search visit; sales_qualify D0+5d:
 *                  lead -> sql, mql passed through at D0+5d
 *   cai@beta.io    D0+2d display visit (stays a lead)
 *   dan@gmail.com  D0+1d referral visit (stays a lead, no account) */
static fnl_engine *funnel(void)
{
    fnl_engine *e = open_engine();
    if (e == NULL || attach(e) ||
        touch(e, "ana@acme.com", D0 + 1 * DAY, "paid_search", NULL, NULL) ||
        touch(e, "dan@gmail.com", D0 + 1 * DAY, "referral", NULL, NULL) ||
        touch(e, "bob@acme.com", D0 + 2 * DAY, "organic_search", NULL,
              NULL) ||
        touch(e, "cai@beta.io", D0 + 2 * DAY, "display", NULL, NULL) ||
        touch(e, "ana@acme.com", D0 + 3 * DAY, "email", "form_submit",
              NULL) ||
        event(e, "ana@acme.com", "qualify", D0 + 4 * DAY) ||
        event(e, "bob@acme.com", "sales_qualify", D0 + 5 * DAY) ||
        touch(e, "ana@acme.com", D0 + 6 * DAY, "webinar", NULL, NULL) ||
        event(e, "ana@acme.com", "sales_qualify", D0 + 7 * DAY)) {
        fnl_engine_close(e);
        return NULL;
    }
    return e;
}

static fnl_engine_attribution_options stage_opts(const char *stage,
                                                 uint32_t scope)
{
    fnl_engine_attribution_options o = FNL_ENGINE_ATTRIBUTION_OPTIONS_INIT;
    o.conversion = FNL_CONVERSION_STAGE_ENTRY;
    o.stage = stage;
    o.scope = scope;
    return o;
}

TEST(stage_entries_convert_once_at_the_first_entry)
{
    fnl_engine *e = funnel();
    fnl_engine_attribution_options o = stage_opts("mql", FNL_SCOPE_CONTACT);
    fnl_engine_attribution_stats st = FNL_ENGINE_ATTRIBUTION_STATS_INIT;
    fnl_attribution *r = NULL;
    fnl_attribution_info info = FNL_ATTRIBUTION_INFO_INIT;
    fnl_journeys *js = NULL;
    fnli_journey j;
    CHECK(e != NULL);
    /* mql, contact scope: ana at D0+4d over paid_search, email (1/2
     * each; the webinar at D0+6d is later); bob at D0+5d (passed through)
     * over organic_search (1) */
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, &st));
    CHECK_INT(st.conversions, 2);
    CHECK_INT(st.nonconverting, 0);
    CHECK_INT(st.touches, 3);
    CHECK_INT(st.untouched, 0);
    CHECK_STR(st.currency, "");
    CHECK_INT(fnl_attribution_row_count(r), 3);
    CHECK_NEAR(conv_of(r, "paid_search"), 0.5, EPS);
    CHECK_NEAR(conv_of(r, "email"), 0.5, EPS);
    CHECK_NEAR(conv_of(r, "organic_search"), 1, EPS);
    CHECK_NEAR(value_of(r, "organic_search"), 0, 0);
    CHECK_OK(fnl_attribution_get_info(r, &info));
    CHECK_NEAR(info.total_conversions, 2, 0);
    CHECK_NEAR(info.total_value, 0, 0);
    fnl_attribution_free(r);
    /* the journeys, in contact order: ana's marks her form_submit as the
     * lead touch and has no opportunity or close; bob's converts at the
     * time mql was passed */
    CHECK_OK(fnl_engine_journeys(e, &o, &js, NULL));
    CHECK_INT(fnl_journeys_count(js), 2);
    fnli_journeys_view(js, 0, &j);
    CHECK_INT(j.n, 2);
    CHECK_INT(j.conversion_time, D0 + 4 * DAY);
    CHECK_INT(j.conversions, 1);
    CHECK_INT(j.value, 0);
    CHECK_INT(j.lead, 1);
    CHECK_INT(j.opportunity, -1);
    CHECK_INT(j.close, -1);
    fnli_journeys_view(js, 1, &j);
    CHECK_INT(j.n, 1);
    CHECK_INT(j.conversion_time, D0 + 5 * DAY);
    CHECK_INT(j.times[0], D0 + 2 * DAY);
    fnl_journeys_free(js);
    /* account scope: acme.com's touches up to each entry: ana at D0+4d
     * and bob at D0+5d both see paid_search, organic_search, email, so
     * each channel gets 1/3 + 1/3 */
    o.scope = FNL_SCOPE_ACCOUNT;
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, &st));
    CHECK_INT(st.conversions, 2);
    CHECK_INT(st.touches, 6);
    CHECK_NEAR(conv_of(r, "paid_search"), 2.0 / 3, EPS);
    CHECK_NEAR(conv_of(r, "organic_search"), 2.0 / 3, EPS);
    CHECK_NEAR(conv_of(r, "email"), 2.0 / 3, EPS);
    fnl_attribution_free(r);
    /* sql (name case ignored), contact scope: ana at D0+7d over
     * paid_search, email, webinar (1/3 each); bob at D0+5d, organic */
    o = stage_opts("SQL", FNL_SCOPE_CONTACT);
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, &st));
    CHECK_INT(st.conversions, 2);
    CHECK_NEAR(conv_of(r, "webinar"), 1.0 / 3, EPS);
    CHECK_NEAR(conv_of(r, "email"), 1.0 / 3, EPS);
    CHECK_NEAR(conv_of(r, "organic_search"), 1, EPS);
    fnl_attribution_free(r);
    /* lead, the initial stage: every contact enters it when its first
     * touch creates it, and that touch (at the entry's own millisecond)
     * is its journey */
    o = stage_opts("lead", FNL_SCOPE_CONTACT);
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_LAST_TOUCH, &r, &st));
    CHECK_INT(st.conversions, 4);
    CHECK_INT(st.touches, 4);
    CHECK_INT(fnl_attribution_row_count(r), 4);
    CHECK_NEAR(conv_of(r, "paid_search"), 1, EPS);
    CHECK_NEAR(conv_of(r, "organic_search"), 1, EPS);
    CHECK_NEAR(conv_of(r, "display"), 1, EPS);
    CHECK_NEAR(conv_of(r, "referral"), 1, EPS);
    fnl_attribution_free(r);
    /* customer: nobody entered it */
    o = stage_opts("customer", FNL_SCOPE_CONTACT);
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, &st));
    CHECK_INT(st.conversions, 0);
    CHECK_INT(fnl_attribution_row_count(r), 0);
    fnl_attribution_free(r);
    CHECK_STR(fnl_errmsg(e), "");
    fnl_engine_close(e);
}

TEST(contacts_that_never_entered_are_the_null_journeys)
{
    fnl_engine *e = funnel();
    fnl_engine_attribution_options o = stage_opts("mql", FNL_SCOPE_CONTACT);
    fnl_engine_attribution_stats st = FNL_ENGINE_ATTRIBUTION_STATS_INIT;
    fnl_attribution *r = NULL;
    fnl_attribution_info info = FNL_ATTRIBUTION_INFO_INIT;
    CHECK(e != NULL);
    /* eve joins beta.io with an events touch and stays a lead */
    CHECK_OK(touch(e, "eve@beta.io", D0 + 3 * DAY, "events", NULL, NULL));
    o.nonconverting = FNL_NONCONV_NOT_ENTERED;
    /* contact scope: paths ps > email -> conv, organic -> conv, and the
     * nulls display, referral, events.  P = 2/5; removing paid_search
     * (or email) leaves organic alone: 1/5, RE = 1/2; removing organic:
     * 1/5, RE = 1/2; the null-only channels have RE 0.  Credit
     * (1/2) / (3/2) x 2 = 2/3 each */
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_MARKOV, &r, &st));
    CHECK_INT(st.conversions, 2);
    CHECK_INT(st.nonconverting, 3);
    CHECK_OK(fnl_attribution_get_info(r, &info));
    CHECK_NEAR(info.total_nulls, 3, 0);
    CHECK_NEAR(info.markov_conversion_probability, 0.4, EPS);
    CHECK_NEAR(conv_of(r, "paid_search"), 2.0 / 3, EPS);
    CHECK_NEAR(conv_of(r, "email"), 2.0 / 3, EPS);
    CHECK_NEAR(conv_of(r, "organic_search"), 2.0 / 3, EPS);
    CHECK_NEAR(conv_of(r, "display"), 0, EPS);
    fnl_attribution_free(r);
    /* account scope: beta.io (cai and eve together) and dan are the two
     * nulls; acme.com converted */
    o.scope = FNL_SCOPE_ACCOUNT;
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_SHAPLEY, &r, &st));
    CHECK_INT(st.nonconverting, 2);
    CHECK_INT(st.touches, 6 + 3);
    fnl_attribution_free(r);
    /* heuristic models ignore the nulls: linear as without them */
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, &st));
    CHECK_NEAR(conv_of(r, "email"), 2.0 / 3, EPS);
    fnl_attribution_free(r);
    r = NULL;
    /* the deal bits do not apply, nor this one to deals */
    o.nonconverting = FNL_NONCONV_NO_DEAL;
    CHECK_INT(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, &st),
              FNL_EINVAL);
    CHECK(strstr(fnl_errmsg(e), "FNL_NONCONV_NOT_ENTERED") != NULL);
    o.nonconverting = FNL_NONCONV_LOST_DEALS;
    CHECK_INT(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, &st),
              FNL_EINVAL);
    o.conversion = FNL_CONVERSION_DEAL_WON;
    o.nonconverting = FNL_NONCONV_NOT_ENTERED;
    CHECK_INT(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, &st),
              FNL_EINVAL);
    CHECK(r == NULL);
    fnl_engine_close(e);
}

static int touch_keys(fnl_engine *e, const fnl_key *k, size_t n, int64_t t,
                      const char *channel)
{
    fnl_touch tc = FNL_TOUCH_INIT;
    tc.keys = k;
    tc.key_count = n;
    tc.time = t;
    tc.channel = channel;
    return fnl_touch_add(e, &tc, NULL);
}

TEST(a_merged_contact_converts_once_at_the_earliest_entry)
{
    fnl_engine *e = open_engine();
    fnl_engine_attribution_options o = stage_opts("mql", FNL_SCOPE_CONTACT);
    fnl_engine_attribution_stats st = FNL_ENGINE_ATTRIBUTION_STATS_INIT;
    fnl_attribution *r = NULL;
    fnl_journeys *js = NULL;
    fnli_journey j;
    fnl_key k[2];
    fnl_contact_id a = 0, b = 0;
    k[0].kind = "email";
    k[0].value = "max@x.com";
    k[1].kind = "cookie_id";
    k[1].value = "ck1";
    CHECK(e != NULL);
    CHECK_OK(attach(e));
    /* an anonymous cookie: display at D0+12h, qualified at D0+1d;
     * max: paid_search at D0+1d, qualified at D0+2d */
    CHECK_OK(touch_keys(e, &k[1], 1, D0 + 12 * HOUR, "display"));
    CHECK_OK(touch_keys(e, &k[0], 1, D0 + DAY, "paid_search"));
    CHECK_OK(event_by(e, "cookie_id", "ck1", "qualify", D0 + DAY));
    CHECK_OK(event(e, "max@x.com", "qualify", D0 + 2 * DAY));
    /* two people so far: two conversions of one touch each */
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, &st));
    CHECK_INT(st.conversions, 2);
    CHECK_NEAR(conv_of(r, "display"), 1, EPS);
    CHECK_NEAR(conv_of(r, "paid_search"), 1, EPS);
    fnl_attribution_free(r);
    /* an email touch at D0+5d carries both keys: one person, who
     * converted once, at the earlier entry D0+1d, over the display touch
     * and the paid_search touch of that same millisecond */
    CHECK_OK(touch_keys(e, k, 2, D0 + 5 * DAY, "email"));
    CHECK_OK(fnl_contact_find(e, "email", "max@x.com", &a));
    CHECK_OK(fnl_contact_find(e, "cookie_id", "ck1", &b));
    CHECK(a == b);
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, &st));
    CHECK_INT(st.conversions, 1);
    CHECK_INT(st.touches, 2);
    CHECK_NEAR(conv_of(r, "display"), 0.5, EPS);
    CHECK_NEAR(conv_of(r, "paid_search"), 0.5, EPS);
    CHECK_NEAR(conv_of(r, "email"), -1, 0);
    fnl_attribution_free(r);
    CHECK_OK(fnl_engine_journeys(e, &o, &js, NULL));
    CHECK_INT(fnl_journeys_count(js), 1);
    fnli_journeys_view(js, 0, &j);
    CHECK_INT(j.conversion_time, D0 + DAY);
    fnl_journeys_free(js);
    /* and it is no longer a non-converting unit of its own */
    o.nonconverting = FNL_NONCONV_NOT_ENTERED;
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_MARKOV, &r, &st));
    CHECK_INT(st.nonconverting, 0);
    fnl_attribution_free(r);
    fnl_engine_close(e);
}

TEST(stage_lookback_edges_and_entries_without_touches)
{
    fnl_engine *e = open_engine();
    fnl_engine_attribution_options o = stage_opts("mql", FNL_SCOPE_CONTACT);
    fnl_engine_attribution_stats st = FNL_ENGINE_ATTRIBUTION_STATS_INIT;
    fnl_attribution *r = NULL;
    int64_t T = D0 + 200 * DAY;
    CHECK(e != NULL);
    CHECK_OK(attach(e));
    /* zoe, qualified at T: T - 90d - 1ms out; T - 90d in; T in; T + 1ms
     * out */
    CHECK_OK(touch(e, "zoe@zeta.io", T - 90 * DAY - 1, "display", NULL,
                   NULL));
    CHECK_OK(touch(e, "zoe@zeta.io", T - 90 * DAY, "paid_social", NULL,
                   NULL));
    CHECK_OK(touch(e, "zoe@zeta.io", T, "email", NULL, NULL));
    CHECK_OK(touch(e, "zoe@zeta.io", T + 1, "direct", NULL, NULL));
    CHECK_OK(event(e, "zoe@zeta.io", "qualify", T));
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, &st));
    CHECK_INT(st.touches, 2);
    CHECK_NEAR(conv_of(r, "paid_social"), 0.5, EPS);
    CHECK_NEAR(conv_of(r, "email"), 0.5, EPS);
    CHECK_NEAR(conv_of(r, "display"), -1, 0);
    fnl_attribution_free(r);
    o.lookback_ms = 90 * DAY + 1;
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_FIRST_TOUCH, &r, &st));
    CHECK_INT(st.touches, 3);
    CHECK_NEAR(conv_of(r, "display"), 1, EPS);
    fnl_attribution_free(r);
    o.lookback_ms = 0;
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, &st));
    CHECK_INT(st.touches, 1);
    CHECK_NEAR(conv_of(r, "email"), 1, EPS);
    fnl_attribution_free(r);
    /* nat: a contact from a profile at D0, qualified at D0+1d, first
     * touched at D0+2d: a conversion with nothing before it */
    o.lookback_ms = FNL_LOOKBACK_DEFAULT;
    CHECK_OK(set_attr(e, "nat@nat.org", NULL, NULL, NULL));
    CHECK_OK(event(e, "nat@nat.org", "qualify", D0 + DAY));
    CHECK_OK(touch(e, "nat@nat.org", D0 + 2 * DAY, "organic_search", NULL,
                   NULL));
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, &st));
    CHECK_INT(st.conversions, 1);
    CHECK_INT(st.untouched, 1);
    CHECK_INT(st.untouched_value, 0);
    CHECK_NEAR(conv_of(r, "organic_search"), -1, 0);
    fnl_attribution_free(r);
    o.unattributed_key = "(no touch)";
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, &st));
    CHECK_INT(st.conversions, 2);
    CHECK_INT(st.untouched, 0);
    CHECK_NEAR(conv_of(r, "(no touch)"), 1, EPS);
    fnl_attribution_free(r);
    fnl_engine_close(e);
}

TEST(stage_runs_keep_exclusions_grouping_and_time_filters)
{
    fnl_engine *e = funnel();
    fnl_engine_attribution_options o = stage_opts("mql", FNL_SCOPE_CONTACT);
    fnl_engine_attribution_stats st = FNL_ENGINE_ATTRIBUTION_STATS_INIT;
    static const char *const ex[1] = { "form_submit" };
    fnl_attribution *r = NULL;
    CHECK(e != NULL);
    /* without ana's form_submit her journey is paid_search alone */
    o.exclude_types = ex;
    o.exclude_type_count = 1;
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, &st));
    CHECK_NEAR(conv_of(r, "paid_search"), 1, EPS);
    CHECK_NEAR(conv_of(r, "email"), -1, 0);
    fnl_attribution_free(r);
    o.exclude_type_count = 0;
    /* by type: ana visit + form_submit (1/2 each), bob visit (1) */
    o.group_by = FNL_GROUP_TYPE;
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, &st));
    CHECK_NEAR(conv_of(r, "visit"), 1.5, EPS);
    CHECK_NEAR(conv_of(r, "form_submit"), 0.5, EPS);
    fnl_attribution_free(r);
    /* W: ana's two touches are first touch and lead touch, no
     * opportunity: 30 / 30, i.e. 1/2 each */
    o.group_by = FNL_GROUP_CHANNEL;
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_W_SHAPED, &r, &st));
    CHECK_NEAR(conv_of(r, "email"), 0.5, EPS);
    fnl_attribution_free(r);
    /* [from, until): bob's entry at D0+5d is outside [D0, D0+5d) */
    o.from = D0;
    o.until = D0 + 5 * DAY;
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, &st));
    CHECK_INT(st.conversions, 1);
    CHECK_NEAR(conv_of(r, "organic_search"), -1, 0);
    fnl_attribution_free(r);
    /* a currency filter is checked but selects nothing for stages */
    o.from = FNL_TIME_MIN;
    o.until = FNL_TIME_MAX;
    o.currency = "EUR";
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, &st));
    CHECK_INT(st.conversions, 2);
    CHECK_STR(st.currency, "");
    fnl_attribution_free(r);
    o.currency = "euro";
    CHECK_INT(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, &st),
              FNL_EINVAL);
    fnl_engine_close(e);
}

TEST(stage_entry_errors_name_the_stage)
{
    fnl_engine *e = acme();
    fnl_engine_attribution_options o = stage_opts("mql", FNL_SCOPE_ACCOUNT);
    fnl_attribution *r = NULL;
    fnl_journeys *js = NULL;
    fnl_attribution_partial *p = NULL;
    char *before, *after;
    CHECK(e != NULL);
    CHECK_INT(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, NULL),
              FNL_ENOTFOUND);
    CHECK(strstr(fnl_errmsg(e), "'mql'") != NULL);
    CHECK(strstr(fnl_errmsg(e), "no stage machine") != NULL);
    CHECK_OK(attach(e));
    before = dump_engine(e);
    o.stage = "mqll";
    CHECK_INT(fnl_engine_journeys(e, &o, &js, NULL), FNL_ENOTFOUND);
    CHECK(strstr(fnl_errmsg(e), "'mqll'") != NULL);
    CHECK(strstr(fnl_errmsg(e), "'t'") != NULL);
    CHECK_INT(fnl_engine_attribution_partial(e, &o, &p, NULL),
              FNL_ENOTFOUND);
    o.stage = NULL;
    CHECK_INT(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, NULL),
              FNL_EINVAL);
    o.stage = "";
    CHECK_INT(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, NULL),
              FNL_EINVAL);
    CHECK(r == NULL && js == NULL && p == NULL);
    after = dump_engine(e);
    CHECK_STR(after, before);
    free(before);
    free(after);
    /* a deal run ignores the stage name */
    o.conversion = FNL_CONVERSION_DEAL_WON;
    o.stage = "nonsense";
    CHECK_OK(fnl_engine_attribute(e, &o, FNL_ATTR_LINEAR, &r, NULL));
    fnl_attribution_free(r);
    fnl_engine_close(e);
}

/* ---- stage invariants and partitions ----------------------------------------- */

static uint64_t rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005u + 1442695040888963407u;
    return *s >> 33;
}

/* 8 accounts x 4 contacts and 8 free-mail contacts, each a random
 * sequence of touches (6 channels, 3 types) and the events qualify,
 * sales_qualify and park, in time order.  Contact i's mutations go to
 * es[part % k], where part is its account (free-mail: its own number), so
 * k engines hold a partition of the one-engine data. */
static int gen_funnel(fnl_engine **es, int k)
{
    static const char *const ch[6] = { "paid_search", "organic_search",
                                       "email", "webinar", "display",
                                       "direct" };
    static const char *const ty[3] = { "visit", "form_submit",
                                       "email_open" };
    static const char *const ev[3] = { "qualify", "sales_qualify", "park" };
    uint64_t s = 42;
    int i, n, c;
    for (i = 0; i < k; i++)
        if (attach(es[i]))
            return -1;
    for (c = 0; c < 40; c++) {
        char em[64];
        int part = c < 32 ? c / 4 : c;
        fnl_engine *e = es[part % k];
        int64_t t = D0 + (int64_t)(rnd(&s) % 40) * DAY;
        if (c < 32)
            snprintf(em, sizeof(em), "p%d@acct%d.com", c % 4, c / 4);
        else
            snprintf(em, sizeof(em), "u%d@gmail.com", c);
        n = 2 + (int)(rnd(&s) % 7);
        for (i = 0; i < n; i++) {
            uint64_t r = rnd(&s);
            int rc;
            if (i == 0 || r % 10 < 6)
                rc = touch(e, em, t, ch[(r >> 4) % 6], ty[(r >> 8) % 3],
                           NULL);
            else
                rc = event(e, em, ev[(r >> 4) % 3], t);
            if (rc)
                return -1;
            t += (int64_t)(rnd(&s) % (6 * DAY));
        }
    }
    return 0;
}

static fnl_engine *big_funnel(void)
{
    fnl_engine *e = open_engine();
    if (e != NULL && gen_funnel(&e, 1) != 0) {
        fnl_engine_close(e);
        return NULL;
    }
    return e;
}

/* Contacts that ever entered or passed `stage`, read from the public
 * history of every live contact (the independent count). */
static long count_entered(const fnl_engine *e, const char *stage,
                          long *live_out)
{
    fnl_contact_id c = 0;
    long n = 0, live_n = 0;
    while (fnl_contact_next(e, c, &c) == FNL_OK) {
        fnl_stage_record rec[256];
        size_t cnt = 0, i;
        live_n++;
        if (fnl_contact_stage_history(e, c, rec, 256, &cnt) != FNL_OK)
            return -1;
        for (i = 0; i < cnt; i++) {
            if ((rec[i].kind == FNL_STAGE_REC_TRANSITION ||
                 rec[i].kind == FNL_STAGE_REC_PASSED) &&
                strcmp(rec[i].to, stage) == 0) {
                n++;
                break;
            }
        }
    }
    *live_out = live_n;
    return n;
}

TEST(stage_totals_equal_observed_entries_for_every_model)
{
    static const char *const stages[3] = { "lead", "mql", "sql" };
    fnl_engine *e = big_funnel();
    uint32_t model, scope;
    int si;
    CHECK(e != NULL);
    for (si = 0; si < 3; si++) {
        long live_n = 0, entered = count_entered(e, stages[si], &live_n);
        CHECK(entered > 0);
        if (si > 0)
            CHECK(entered < live_n); /* some contacts never got there */
        for (scope = 0; scope <= 1; scope++) {
            for (model = 1; model <= 14; model++) {
                fnl_engine_attribution_options o =
                    stage_opts(stages[si], scope);
                fnl_engine_attribution_stats st =
                    FNL_ENGINE_ATTRIBUTION_STATS_INIT;
                fnl_attribution *r = NULL;
                fnl_attribution_info info = FNL_ATTRIBUTION_INFO_INIT;
                double sc = 0;
                size_t i, n;
                o.nonconverting = FNL_NONCONV_NOT_ENTERED;
                o.unattributed_key = "(untouched)";
                CHECK_OK(fnl_engine_attribute(e, &o, model, &r, &st));
                CHECK_OK(fnl_attribution_get_info(r, &info));
                CHECK_INT(st.conversions, entered);
                CHECK_NEAR(info.total_conversions, (double)entered, 0);
                CHECK_NEAR(info.total_value, 0, 0);
                if (scope == FNL_SCOPE_CONTACT)
                    CHECK_INT(st.nonconverting, live_n - entered);
                n = fnl_attribution_row_count(r);
                for (i = 0; i < n; i++) {
                    fnl_attribution_row row = FNL_ATTRIBUTION_ROW_INIT;
                    CHECK_OK(fnl_attribution_row_get(r, i, &row));
                    sc += row.conversions;
                }
                CHECK_NEAR(sc, (double)entered, 1e-9);
                fnl_attribution_free(r);
            }
        }
    }
    fnl_engine_close(e);
}

static void all_models(fnl_attribution_options *ao)
{
    uint32_t m;
    ao->models = 0;
    for (m = 1; m <= 14; m++)
        ao->models |= FNL_ATTR_BIT(m);
}

/* Every model of two partials gives bit-identical rows. */
static int same_results(const fnl_attribution_partial *x,
                        const fnl_attribution_partial *y)
{
    uint32_t model;
    for (model = 1; model <= 14; model++) {
        fnl_attribution *a = NULL, *b = NULL;
        size_t i, n;
        int same = fnl_attribution_partial_finish(x, model, &a) == FNL_OK &&
                   fnl_attribution_partial_finish(y, model, &b) == FNL_OK &&
                   fnl_attribution_row_count(a) == fnl_attribution_row_count(b);
        n = same ? fnl_attribution_row_count(a) : 0;
        for (i = 0; i < n && same; i++) {
            fnl_attribution_row ra = FNL_ATTRIBUTION_ROW_INIT;
            fnl_attribution_row rb = FNL_ATTRIBUTION_ROW_INIT;
            fnl_attribution_row_get(a, i, &ra);
            fnl_attribution_row_get(b, i, &rb);
            same = strcmp(ra.key, rb.key) == 0 &&
                   memcmp(&ra.conversions, &rb.conversions, 8) == 0 &&
                   memcmp(&ra.value, &rb.value, 8) == 0;
        }
        fnl_attribution_free(a);
        fnl_attribution_free(b);
        if (!same)
            return 0;
    }
    return 1;
}

TEST(stage_partitions_merge_bit_identical_to_one_pass)
{
    static const int parts[3] = { 1, 2, 7 };
    fnl_engine *one = big_funnel();
    fnl_attribution_options ao = FNL_ATTRIBUTION_OPTIONS_INIT;
    uint32_t scope;
    int pi, i;
    CHECK(one != NULL);
    all_models(&ao);
    ao.markov_order = 2;
    for (scope = 0; scope <= 1; scope++) {
        fnl_engine_attribution_options o = stage_opts("mql", scope);
        fnl_attribution_partial *whole = NULL;
        o.attribution = &ao;
        o.nonconverting = FNL_NONCONV_NOT_ENTERED;
        CHECK_OK(fnl_engine_attribution_partial(one, &o, &whole, NULL));
        for (pi = 0; pi < 3; pi++) {
            int k = parts[pi];
            fnl_engine *es[7];
            fnl_attribution_partial *acc = NULL, *p = NULL;
            /* (a) one engine, conversions cut into k time slices of
             * [from, until): every journey falls in exactly one */
            CHECK_OK(fnl_attribution_partial_new(&acc, &ao));
            for (i = 0; i < k; i++) {
                fnl_engine_attribution_options oi = o;
                oi.from = i == 0 ? FNL_TIME_MIN : D0 + 60 * DAY * i / k;
                oi.until = i == k - 1 ? FNL_TIME_MAX
                                      : D0 + 60 * DAY * (i + 1) / k;
                CHECK_OK(fnl_engine_attribution_partial(one, &oi, &p, NULL));
                CHECK_OK(fnl_attribution_partial_merge(acc, p));
                fnl_attribution_partial_free(p);
            }
            CHECK(same_results(acc, whole));
            fnl_attribution_partial_free(acc);
            /* (b) k engines, each holding whole accounts: workers that
             * each own a share of the data */
            for (i = 0; i < k; i++)
                es[i] = open_engine();
            for (i = 0; i < k; i++)
                CHECK(es[i] != NULL);
            CHECK_OK(gen_funnel(es, k));
            CHECK_OK(fnl_attribution_partial_new(&acc, &ao));
            for (i = k - 1; i >= 0; i--) {
                CHECK_OK(fnl_engine_attribution_partial(es[i], &o, &p, NULL));
                CHECK_OK(fnl_attribution_partial_merge(acc, p));
                fnl_attribution_partial_free(p);
            }
            CHECK(same_results(acc, whole));
            fnl_attribution_partial_free(acc);
            for (i = 0; i < k; i++)
                fnl_engine_close(es[i]);
        }
        fnl_attribution_partial_free(whole);
    }
    fnl_engine_close(one);
}

TEST(stage_attribution_leaves_the_engine_unchanged_under_failures)
{
    fnl_engine *e = big_funnel();
    fnl_engine_attribution_options o = stage_opts("mql", FNL_SCOPE_ACCOUNT);
    fnl_attribution_options ao = FNL_ATTRIBUTION_OPTIONS_INIT;
    fnl_stats s0 = FNL_STATS_INIT, s1 = FNL_STATS_INIT;
    char *before, *after;
    long n, failures = 0;
    int which;
    CHECK(e != NULL);
    before = dump_engine(e);
    CHECK_OK(fnl_engine_stats(e, &s0));
    ao.models = FNL_ATTR_MODELS_DEFAULT;
    o.attribution = &ao;
    o.nonconverting = FNL_NONCONV_NOT_ENTERED;
    o.group_by = FNL_GROUP_CHANNEL_CAMPAIGN;
    o.unattributed_key = "(untouched)";
    for (which = 0; which < 4; which++) {
        o.scope = which == 3 ? FNL_SCOPE_CONTACT : FNL_SCOPE_ACCOUNT;
        for (n = 0;; n++) {
            long long out0 = fa.outstanding;
            fnl_attribution *r = NULL;
            fnl_attribution_partial *p = NULL;
            fnl_journeys *js = NULL;
            int rc;
            fa_arm(&fa, n, which == 1);
            if (which == 0 || which == 3)
                rc = fnl_engine_attribute(e, &o, FNL_ATTR_MARKOV, &r, NULL);
            else if (which == 1)
                rc = fnl_engine_attribution_partial(e, &o, &p, NULL);
            else
                rc = fnl_engine_journeys(e, &o, &js, NULL);
            fa_disarm(&fa);
            if (fa.fired == 0) {
                CHECK_OK(rc);
                fnl_attribution_free(r);
                fnl_attribution_partial_free(p);
                fnl_journeys_free(js);
                CHECK(fa.outstanding == out0);
                break;
            }
            failures++;
            CHECK_INT(rc, FNL_ENOMEM);
            CHECK(strncmp(fnl_errmsg(e), "out of memory", 13) == 0);
            CHECK(r == NULL && p == NULL && js == NULL);
            CHECK(fa.outstanding == out0);
        }
    }
    CHECK(failures > 30);
    CHECK_OK(fnl_engine_stats(e, &s1));
    CHECK(memcmp(&s0, &s1, sizeof(s0)) == 0);
    after = dump_engine(e);
    CHECK_STR(after, before);
    free(before);
    free(after);
    fnl_engine_close(e);
}

int main(void)
{
    RUN(account_scope_credits_the_whole_buying_group);
    RUN(contact_scope_credits_the_deal_contacts_only);
    RUN(w_and_z_markers_follow_lead_opportunity_and_close);
    RUN(lead_marker_falls_back_to_the_first_touch);
    RUN(lookback_includes_both_ends_of_the_window);
    RUN(excluded_types_leave_the_journey);
    RUN(grouping_by_attributes_owner_type_and_channel_campaign);
    RUN(last_non_direct_skips_direct_touches);
    RUN(created_deals_convert_at_their_created_time);
    RUN(mixed_currencies_need_a_filter);
    RUN(conversions_without_touches_are_counted_or_keyed);
    RUN(time_filter_selects_conversions);
    RUN(lost_deals_and_dealless_units_are_null_journeys);
    RUN(dealless_window_ends_at_the_units_last_touch);
    RUN(rows_sum_to_totals_for_every_model);
    RUN(engine_partial_matches_its_journeys);
    RUN(attribution_leaves_the_engine_unchanged);
    RUN(bad_options_are_rejected);
    RUN(allocation_failures_are_enomem_and_leak_nothing);
    RUN(stage_entries_convert_once_at_the_first_entry);
    RUN(contacts_that_never_entered_are_the_null_journeys);
    RUN(a_merged_contact_converts_once_at_the_earliest_entry);
    RUN(stage_lookback_edges_and_entries_without_touches);
    RUN(stage_runs_keep_exclusions_grouping_and_time_filters);
    RUN(stage_entry_errors_name_the_stage);
    RUN(stage_totals_equal_observed_entries_for_every_model);
    RUN(stage_partitions_merge_bit_identical_to_one_pass);
    RUN(stage_attribution_leaves_the_engine_unchanged_under_failures);
    TEST_MAIN_END();
}
