/* Allocation-failure injection over the ingest and merge paths.
 *
 * For every step of a workload that exercises each mutation (contact
 * upserts with attributes, tags and merges, touch batches that create,
 * merge and join accounts, account and deal upserts, costs), fail the 1st,
 * 2nd, ... Nth allocation of the call until it succeeds.  Every failed run
 * must return FNL_ENOMEM and leave the engine byte-for-byte as it was
 * (compared through the public API), no event may be delivered for it, and
 * after the step succeeds the engine must equal a reference engine that ran
 * the same steps without faults.  At the end nothing is left allocated. */
#include "../dump.h"
#include "../failalloc.h"
#include "../teststore.h"
#include "../test.h"
#include "funnelcore.h"

static int g_events;

static void count_event(void *ctx, const fnl_event *ev)
{
    (void)ctx;
    (void)ev;
    g_events++;
}

typedef int (*step_fn)(fnl_engine *e);

static int step_contact(fnl_engine *e)
{
    fnl_contact_update u = FNL_CONTACT_UPDATE_INIT;
    fnl_key k[2] = {{"email", "ann@acme.com"}, {"phone", "+1 415 555 0100"}};
    fnl_attr a[3] = {{"title", FNL_ATTR_STRING, "CTO", 0},
                     {"employees", FNL_ATTR_NUMBER, NULL, 1200},
                     {"region", FNL_ATTR_STRING, "NA", 0}};
    const char *tags[2] = {"webinar", "vip"};
    u.keys = k;
    u.key_count = 2;
    u.attrs = a;
    u.attr_count = 3;
    u.tags_add = tags;
    u.tags_add_count = 2;
    u.owner = "Mia";
    u.role = FNL_ROLE_DECISION_MAKER;
    u.time = 1000;
    return fnl_contact_upsert(e, &u, NULL);
}

static int step_anonymous_touches(fnl_engine *e)
{
    fnl_touch t[3];
    fnl_key k[3] = {{"cookie_id", "ck-1"}, {"cookie_id", "ck-2"},
                    {"wechat_id", "wx-9"}};
    int i;
    for (i = 0; i < 3; i++) {
        fnl_touch x = FNL_TOUCH_INIT;
        x.keys = &k[i];
        x.key_count = 1;
        x.time = 2000 + i;
        x.url = "https://acme.com/pricing?utm_source=baidu&utm_medium=cpc"
                "&utm_campaign=q3";
        t[i] = x;
    }
    return fnl_touch_add_batch(e, t, 3, NULL);
}

static int step_merging_touch(fnl_engine *e)
{
    fnl_touch t = FNL_TOUCH_INIT;
    fnl_key k[3] = {{"cookie_id", "ck-1"}, {"cookie_id", "ck-2"},
                    {"email", "ann@acme.com"}};
    t.keys = k;
    t.key_count = 3;
    t.time = 3000;
    t.type = "form_submit";
    t.channel = "seo";
    t.content = "whitepaper";
    t.value = 10;
    return fnl_touch_add(e, &t, NULL);
}

static int step_contact_merge_attrs(fnl_engine *e)
{
    fnl_contact_update u = FNL_CONTACT_UPDATE_INIT;
    fnl_key k[2] = {{"wechat_id", "wx-9"}, {"email", "bob@beta.io"}};
    fnl_attr a[1] = {{"title", FNL_ATTR_STRING, "Buyer", 0}};
    const char *tags[1] = {"trade_show"};
    const char *del[1] = {"never"};
    u.keys = k;
    u.key_count = 2;
    u.attrs = a;
    u.attr_count = 1;
    u.tags_add = tags;
    u.tags_add_count = 1;
    u.tags_remove = del;
    u.tags_remove_count = 1;
    u.account = "beta-corp";
    u.time = 4000;
    return fnl_contact_upsert(e, &u, NULL);
}

static int step_join_everything(fnl_engine *e)
{
    fnl_touch t = FNL_TOUCH_INIT;
    fnl_key k[2] = {{"email", "bob@beta.io"}, {"phone", "+14155550100"}};
    t.keys = k;
    t.key_count = 2;
    t.time = 5000;
    t.referrer = "https://www.linkedin.com/feed";
    t.type = "webinar_attend";
    return fnl_touch_add(e, &t, NULL);
}

static int step_account(fnl_engine *e)
{
    fnl_account_update u = FNL_ACCOUNT_UPDATE_INIT;
    const char *d[2] = {"gamma.com", "gamma.cn"};
    fnl_attr a[1] = {{"industry", FNL_ATTR_STRING, "Logistics", 0}};
    u.id = "CRM-7";
    u.domains = d;
    u.domain_count = 2;
    u.attrs = a;
    u.attr_count = 1;
    u.owner = "Leo";
    u.time = 6000;
    return fnl_account_upsert(e, &u, NULL);
}

static int step_deal(fnl_engine *e)
{
    fnl_deal_update u = FNL_DEAL_UPDATE_INIT;
    fnl_deal_contact dc[2];
    dc[0].contact = 0;
    dc[0].key.kind = "email";
    dc[0].key.value = "cfo@gamma.com";
    dc[0].role = FNL_ROLE_ECONOMIC_BUYER;
    dc[1].contact = 0;
    dc[1].key.kind = "email";
    dc[1].key.value = "ann@acme.com";
    dc[1].role = FNL_ROLE_CHAMPION;
    u.id = "OPP-9";
    u.account = "CRM-7";
    u.contacts = dc;
    u.contact_count = 2;
    u.amount = 990000;
    u.currency = "CNY";
    u.created = 7000;
    u.stage = "Proposal";
    u.owner = "Leo";
    return fnl_deal_upsert(e, &u, NULL);
}

static int step_cost(fnl_engine *e)
{
    fnl_cost c = FNL_COST_INIT;
    c.channel = "paid_search";
    c.campaign = "q3";
    c.region = "APAC";
    c.start = 0;
    c.end = 86400000;
    c.amount = 1000000;
    return fnl_cost_add(e, &c, NULL);
}

static int step_many_new_strings(fnl_engine *e)
{
    /* enough new touches and strings to cross pool and map growth */
    static fnl_touch t[300];
    static fnl_key k[300];
    static char ids[300][40], camp[300][24];
    int i;
    for (i = 0; i < 300; i++) {
        fnl_touch x = FNL_TOUCH_INIT;
        snprintf(ids[i], sizeof(ids[i]), "u%d@corp%d.com", i, i % 37);
        snprintf(camp[i], sizeof(camp[i]), "camp-%d", i % 71);
        k[i].kind = "email";
        k[i].value = ids[i];
        x.keys = &k[i];
        x.key_count = 1;
        x.time = 8000 + i;
        x.channel = i % 2 ? "email" : "events";
        x.campaign = camp[i];
        t[i] = x;
    }
    return fnl_touch_add_batch(e, t, 300, NULL);
}

static int step_forget(fnl_engine *e)
{
    fnl_contact_id c;
    int rc = fnl_contact_find(e, "email", "bob@beta.io", &c);
    if (rc == FNL_ENOTFOUND) {
        /* alone on a fresh engine: make someone to forget */
        fnl_contact_update u = FNL_CONTACT_UPDATE_INIT;
        fnl_key k = {"email", "bob@beta.io"};
        u.keys = &k;
        u.key_count = 1;
        u.time = 1;
        if ((rc = fnl_contact_upsert(e, &u, &c)) != FNL_OK)
            return rc;
    }
    return rc != FNL_OK ? rc : fnl_contact_forget(e, c);
}

static const step_fn steps[] = {
    step_contact, step_anonymous_touches, step_merging_touch,
    step_contact_merge_attrs, step_join_everything, step_account, step_deal,
    step_cost, step_many_new_strings, step_forget};
#define NSTEPS (sizeof(steps) / sizeof(steps[0]))

static void run_sticky_on(int sticky, int with_storage)
{
    teststore ts;
    failalloc fa = {-1, 0, 0, 0, 0};
    fnl_allocator a = fa_table(&fa);
    fnl_listener l = {FNL_LISTENER_VERSION, NULL, count_event};
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_engine *e, *ref;
    size_t s;
    long failures = 0;

    cfg.allocator = &a;
    cfg.listener = &l;
    ts_init(&ts);
    if (with_storage)
        cfg.storage = &ts.table;
    CHECK_OK(fnl_engine_open(&e, &cfg));
    CHECK_OK(fnl_engine_open(&ref, NULL));
    for (s = 0; s < NSTEPS; s++) {
        char *before = dump_engine(e), *now, *want;
        long n;
        int rc = -1;
        for (n = 0; n < 100000; n++) {
            int events_before = g_events;
            fa_arm(&fa, n, sticky);
            rc = steps[s](e);
            fa_disarm(&fa);
            if (rc == FNL_OK)
                break;
            failures++;
            if (rc != FNL_ENOMEM) {
                fprintf(stderr, "step %zu, allocation %ld: rc %d (%s)\n", s,
                        n, rc, fnl_errmsg(e));
                CHECK_INT(rc, FNL_ENOMEM);
            }
            CHECK(fa.fired > 0);
            CHECK_INT(g_events, events_before);
            now = dump_engine(e);
            if (strcmp(now, before) != 0)
                fprintf(stderr, "step %zu changed the engine at allocation "
                        "%ld\n", s, n);
            CHECK_STR(now, before);
            free(now);
        }
        CHECK_OK(rc);
        CHECK_OK(steps[s](ref));
        now = dump_engine(e);
        want = dump_engine(ref);
        CHECK_STR(now, want);
        free(now);
        free(want);
        free(before);
    }
    /* every step needed allocations, so faults must have fired */
    printf("# %s%s: %ld injected allocation failures over %zu steps\n",
           sticky ? "sticky" : "once", with_storage ? ", journaled" : "",
           failures, NSTEPS);
    CHECK(failures >= (long)NSTEPS);
    if (with_storage) {
        /* every acknowledged step, and nothing else, was journaled */
        fnl_engine *re;
        char *d1, *d2;
        fnl_engine_config rc2 = FNL_ENGINE_CONFIG_INIT;
        rc2.storage = &ts.table;
        CHECK_OK(fnl_engine_open(&re, &rc2));
        d1 = dump_engine(re);
        d2 = dump_engine(e);
        CHECK_STR(d1, d2);
        free(d1);
        free(d2);
        fnl_engine_close(re);
    }
    fnl_engine_close(e);
    fnl_engine_close(ref);
    ts_free(&ts);
    CHECK_INT(fa.outstanding, 0);
}

static void run_sticky(int sticky)
{
    run_sticky_on(sticky, 0);
}

TEST(every_allocation_failure_of_a_journaled_engine_changes_nothing)
{
    run_sticky_on(1, 1);
}

TEST(every_allocation_failure_changes_nothing_once)
{
    run_sticky(0);
}

TEST(every_allocation_failure_changes_nothing_sticky)
{
    run_sticky(1);
}

/* Each step alone on a fresh engine, where every pool, map and arena it
 * touches must be created: the most allocation points per step. */
TEST(each_step_on_a_fresh_engine_fails_cleanly)
{
    size_t s;
    long failures = 0;
    for (s = 0; s < NSTEPS; s++) {
        failalloc fa = {-1, 0, 0, 0, 0};
        fnl_allocator a = fa_table(&fa);
        fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
        fnl_engine *e, *ref;
        char *empty, *now, *want;
        long n;
        int rc = -1;
        cfg.allocator = &a;
        CHECK_OK(fnl_engine_open(&e, &cfg));
        CHECK_OK(fnl_engine_open(&ref, NULL));
        empty = dump_engine(e);
        for (n = 0; n < 100000; n++) {
            fa_arm(&fa, n, 0);
            rc = steps[s](e);
            fa_disarm(&fa);
            if (rc == FNL_OK)
                break;
            failures++;
            CHECK_INT(rc, FNL_ENOMEM);
            now = dump_engine(e);
            CHECK_STR(now, empty);
            free(now);
        }
        CHECK_OK(rc);
        CHECK(n >= 3); /* a fresh engine needs several allocations */
        CHECK_OK(steps[s](ref));
        now = dump_engine(e);
        want = dump_engine(ref);
        CHECK_STR(now, want);
        free(now);
        free(want);
        free(empty);
        fnl_engine_close(e);
        fnl_engine_close(ref);
        CHECK_INT(fa.outstanding, 0);
    }
    printf("# fresh: %ld injected allocation failures over %zu steps\n",
           failures, NSTEPS);
}

int main(void)
{
    RUN(every_allocation_failure_changes_nothing_once);
    RUN(every_allocation_failure_changes_nothing_sticky);
    RUN(each_step_on_a_fresh_engine_fails_cleanly);
    RUN(every_allocation_failure_of_a_journaled_engine_changes_nothing);
    TEST_MAIN_END();
}
