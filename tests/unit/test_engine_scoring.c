/* Scoring models attached to an engine: live scores, key events, merges,
 * out-of-order arrival, cancel, persistence, fault injection. */
#include "../dump.h"
#include "../failalloc.h"
#include "../teststore.h"
#include "../test.h"
#include "funnelcore.h"

#define DAY INT64_C(86400000)
#define T0 INT64_C(1767225600000) /* 2026-01-01 */

static const char *MODEL =
    "model lead\n"
    "fit title contains director +10\n"
    "fit email freemail -20\n"
    "engage type = pricing_view +5 cap 25\n"
    "engage type = webinar_attend +15\n"
    "key_event \"pricing x3\" when type = pricing_view count 3 within 7d +20\n"
    "grade A fit >= 10\n"
    "band 1 engagement >= 40\n"
    "threshold mql when score >= 40\n";

static fnl_model *parse_model(const char *text)
{
    fnl_model *m = NULL;
    fnl_parse_error err = FNL_PARSE_ERROR_INIT;
    if (fnl_model_parse(&m, text, strlen(text), NULL, &err) != FNL_OK) {
        fprintf(stderr, "model: %u:%u %s\n", err.line, err.column,
                err.message);
        return NULL;
    }
    return m;
}

static int touch(fnl_engine *e, const char *kind, const char *value,
                 const char *type, int64_t t)
{
    fnl_touch x = FNL_TOUCH_INIT;
    fnl_key k;
    k.kind = kind;
    k.value = value;
    x.keys = &k;
    x.key_count = 1;
    x.type = type;
    x.channel = "web";
    x.time = t;
    return fnl_touch_add(e, &x, NULL);
}

static int director(fnl_engine *e, const char *email)
{
    fnl_contact_update u = FNL_CONTACT_UPDATE_INIT;
    fnl_key k = {"email", NULL};
    fnl_attr a = {"title", FNL_ATTR_STRING, "Marketing Director", 0};
    k.value = email;
    u.keys = &k;
    u.key_count = 1;
    u.attrs = &a;
    u.attr_count = 1;
    u.time = T0;
    return fnl_contact_upsert(e, &u, NULL);
}

static double score_of(fnl_engine *e, const char *email, int64_t t,
                       fnl_score_result *r)
{
    fnl_contact_id c;
    fnl_score_result tmp = FNL_SCORE_RESULT_INIT;
    if (r == NULL)
        r = &tmp;
    if (fnl_contact_find(e, "email", email, &c) != FNL_OK ||
        fnl_contact_score(e, c, "lead", t, r) != FNL_OK)
        return -9999;
    return r->total;
}

typedef struct kelog {
    int n;
    char model[32], name[32];
    int64_t time;
} kelog;

static void on_event(void *ctx, const fnl_event *ev)
{
    kelog *k = ctx;
    if (ev->kind != FNL_EVENT_KEY_EVENT)
        return;
    k->n++;
    snprintf(k->model, sizeof(k->model), "%s", ev->model ? ev->model : "?");
    snprintf(k->name, sizeof(k->name), "%s", ev->name ? ev->name : "?");
    k->time = ev->time;
}

/* ann: title director -> fit 10 (acme.com is not free mail).  Pricing
 * views on days 0, 1, 2: 3 x 5 = 15 (under the cap of 25), and the third
 * fires "pricing x3" (+20); a webinar on day 3: +15.  Engagement
 * 15 + 20 + 15 = 50, total 60, grade A (fit >= 10), band 1 (>= 40), and
 * threshold mql (60 >= 40) holds.  No decay in this model. */
TEST(live_scores_match_the_hand_computed_scenario)
{
    kelog log;
    fnl_listener l = {FNL_LISTENER_VERSION, &log, on_event};
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_engine *e;
    fnl_model *m = parse_model(MODEL);
    fnl_score_result r = FNL_SCORE_RESULT_INIT;
    fnl_score_row rows[8];
    size_t n;
    fnl_contact_id c;
    memset(&log, 0, sizeof(log));
    CHECK(m != NULL);
    cfg.listener = &l;
    CHECK_OK(fnl_engine_open(&e, &cfg));
    CHECK_OK(fnl_engine_attach_model(e, m, NULL));
    fnl_model_free(m); /* the engine keeps its own copy */
    CHECK_OK(director(e, "ann@acme.com"));
    CHECK_OK(touch(e, "email", "ann@acme.com", "pricing_view", T0));
    CHECK_OK(touch(e, "email", "ann@acme.com", "pricing_view", T0 + DAY));
    CHECK_INT(log.n, 0);
    CHECK_OK(touch(e, "email", "ann@acme.com", "pricing_view", T0 + 2 * DAY));
    CHECK_INT(log.n, 1);
    CHECK_STR(log.model, "lead");
    CHECK_STR(log.name, "pricing x3");
    CHECK_INT(log.time, T0 + 2 * DAY);
    CHECK_OK(touch(e, "email", "ann@acme.com", "webinar_attend", T0 + 3 * DAY));
    CHECK_NEAR(score_of(e, "ann@acme.com", T0 + 4 * DAY, &r), 60, 1e-9);
    CHECK_NEAR(r.fit, 10, 1e-9);
    CHECK_NEAR(r.engagement, 50, 1e-9);
    CHECK_STR(r.grade, "A");
    CHECK_INT(r.band, 1);
    CHECK_STR(r.cell, "A1");
    CHECK_INT(r.thresholds & 1, 1);
    CHECK_INT(log.n, 1);
    /* a free-mail contact gets -20 from the e-mail key */
    CHECK_OK(touch(e, "email", "bo@gmail.com", "visit", T0));
    CHECK_NEAR(score_of(e, "bo@gmail.com", T0 + DAY, &r), -20, 1e-9);
    /* explanation rows add up to the total */
    CHECK_OK(fnl_contact_find(e, "email", "ann@acme.com", &c));
    CHECK_OK(fnl_contact_explain(e, c, NULL, T0 + 4 * DAY, rows, 8, &n));
    CHECK(n >= 4);
    {
        double sum = 0;
        size_t i;
        for (i = 0; i < n; i++)
            sum += rows[i].value;
        CHECK_NEAR(sum, 60, 1e-9);
    }
    CHECK_INT(fnl_contact_score(e, c, "nope", T0, &r), FNL_ENOTFOUND);
    fnl_engine_close(e);
}

TEST(out_of_order_and_merged_touches_score_like_in_order_ones)
{
    fnl_engine *a, *b;
    fnl_model *m = parse_model(MODEL);
    fnl_touch x = FNL_TOUCH_INIT;
    fnl_key both[2] = {{"cookie_id", "ck-1"}, {"email", "ann@acme.com"}};
    kelog log;
    fnl_listener l = {FNL_LISTENER_VERSION, &log, on_event};
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    memset(&log, 0, sizeof(log));
    cfg.listener = &l;
    CHECK_OK(fnl_engine_open(&a, NULL));
    CHECK_OK(fnl_engine_open(&b, &cfg));
    CHECK_OK(fnl_engine_attach_model(a, m, NULL));
    CHECK_OK(fnl_engine_attach_model(b, m, NULL));
    /* a: all four touches, newest first */
    CHECK_OK(director(a, "ann@acme.com"));
    CHECK_OK(touch(a, "email", "ann@acme.com", "webinar_attend", T0 + 3 * DAY));
    CHECK_OK(touch(a, "email", "ann@acme.com", "pricing_view", T0 + 2 * DAY));
    CHECK_OK(touch(a, "email", "ann@acme.com", "pricing_view", T0 + DAY));
    CHECK_OK(touch(a, "email", "ann@acme.com", "pricing_view", T0));
    CHECK_NEAR(score_of(a, "ann@acme.com", T0 + 4 * DAY, NULL), 60, 1e-9);
    /* b: two views as ann, one as an anonymous cookie, then the webinar
     * form carries both keys and merges them */
    CHECK_OK(director(b, "ann@acme.com"));
    CHECK_OK(touch(b, "email", "ann@acme.com", "pricing_view", T0));
    CHECK_OK(touch(b, "email", "ann@acme.com", "pricing_view", T0 + DAY));
    CHECK_OK(touch(b, "cookie_id", "ck-1", "pricing_view", T0 + 2 * DAY));
    CHECK_INT(log.n, 0);
    x.keys = both;
    x.key_count = 2;
    x.type = "webinar_attend";
    x.channel = "web";
    x.time = T0 + 3 * DAY;
    CHECK_OK(fnl_touch_add(b, &x, NULL));
    CHECK_NEAR(score_of(b, "ann@acme.com", T0 + 4 * DAY, NULL), 60, 1e-9);
    CHECK_INT(log.n, 1); /* the merge revealed the third view */
    CHECK_STR(log.name, "pricing x3");
    fnl_model_free(m);
    fnl_engine_close(a);
    fnl_engine_close(b);
}

static int cancel_at_once(void *ctx, uint64_t done, uint64_t total)
{
    (void)ctx;
    (void)done;
    (void)total;
    return 1;
}

TEST(a_canceled_attach_changes_nothing)
{
    fnl_engine *e;
    fnl_model *m = parse_model(MODEL);
    fnl_model *m2 = parse_model(
        "model lead\nengage type = pricing_view +1\n");
    fnl_progress p = {FNL_PROGRESS_VERSION, NULL, cancel_at_once};
    const fnl_model *got;
    int i;
    char id[32];
    CHECK_OK(fnl_engine_open(&e, NULL));
    for (i = 0; i < 5000; i++) {
        snprintf(id, sizeof(id), "u%d@acme.com", i);
        CHECK_OK(touch(e, "email", id, "pricing_view", T0));
    }
    CHECK_INT(fnl_engine_attach_model(e, m, &p), FNL_ECANCELED);
    CHECK_INT(fnl_engine_model(e, 0, &got), FNL_ENOTFOUND);
    CHECK_OK(fnl_engine_attach_model(e, m, NULL));
    CHECK_NEAR(score_of(e, "u7@acme.com", T0, NULL), 5, 1e-9);
    /* replacing it, canceled: the old model and scores stand */
    CHECK_INT(fnl_engine_attach_model(e, m2, &p), FNL_ECANCELED);
    CHECK_NEAR(score_of(e, "u7@acme.com", T0, NULL), 5, 1e-9);
    CHECK_OK(fnl_engine_attach_model(e, m2, NULL));
    CHECK_NEAR(score_of(e, "u7@acme.com", T0, NULL), 1, 1e-9);
    CHECK_OK(fnl_engine_model(e, 0, &got));
    CHECK_STR(fnl_model_name(got), "lead");
    CHECK_INT(fnl_engine_model(e, 1, &got), FNL_ENOTFOUND);
    CHECK_OK(fnl_engine_detach_model(e, "lead"));
    CHECK_INT(fnl_engine_detach_model(e, "lead"), FNL_ENOTFOUND);
    fnl_model_free(m);
    fnl_model_free(m2);
    fnl_engine_close(e);
}

TEST(models_and_scores_survive_replay_and_snapshots)
{
    teststore ts;
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_engine *a, *b;
    fnl_model *m = parse_model(MODEL);
    ts_init(&ts);
    cfg.storage = &ts.table;
    CHECK_OK(fnl_engine_open(&a, &cfg));
    CHECK_OK(director(a, "ann@acme.com"));
    CHECK_OK(touch(a, "email", "ann@acme.com", "pricing_view", T0));
    CHECK_OK(fnl_engine_attach_model(a, m, NULL));
    CHECK_OK(touch(a, "email", "ann@acme.com", "pricing_view", T0 + DAY));
    CHECK_OK(touch(a, "email", "ann@acme.com", "pricing_view", T0 + 2 * DAY));
    CHECK_OK(touch(a, "email", "ann@acme.com", "webinar_attend", T0 + 3 * DAY));
    CHECK_OK(fnl_engine_open(&b, &cfg)); /* journal replay */
    CHECK_NEAR(score_of(b, "ann@acme.com", T0 + 4 * DAY, NULL), 60, 1e-9);
    fnl_engine_close(b);
    CHECK_OK(fnl_engine_checkpoint(a));
    CHECK_OK(fnl_engine_open(&b, &cfg)); /* snapshot */
    CHECK_NEAR(score_of(b, "ann@acme.com", T0 + 4 * DAY, NULL), 60, 1e-9);
    fnl_engine_close(b);
    fnl_engine_close(a);
    fnl_model_free(m);
    ts_free(&ts);
}

TEST(account_scores_roll_up_members)
{
    fnl_engine *e;
    fnl_model *m = parse_model(
        "model lead\nengage type = pricing_view +5\naccount rollup sum\n");
    fnl_account_id acc;
    fnl_account_score s = FNL_ACCOUNT_SCORE_INIT;
    CHECK_OK(fnl_engine_open(&e, NULL));
    CHECK_OK(fnl_engine_attach_model(e, m, NULL));
    CHECK_OK(touch(e, "email", "a@initech.com", "pricing_view", T0));
    CHECK_OK(touch(e, "email", "b@initech.com", "pricing_view", T0));
    CHECK_OK(touch(e, "email", "b@initech.com", "pricing_view", T0 + 1));
    CHECK_OK(fnl_account_find(e, "initech.com", &acc));
    CHECK_OK(fnl_account_score_get(e, acc, "lead", T0 + 2, &s));
    CHECK_NEAR(s.score, 15, 1e-9); /* 5 + 10 */
    CHECK_INT(s.contacts, 2);
    fnl_model_free(m);
    fnl_engine_close(e);
}

TEST(attach_fails_cleanly_at_every_allocation)
{
    failalloc fa = {-1, 0, 0, 0, 0};
    fnl_allocator al = fa_table(&fa);
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_engine *e;
    fnl_model *m = parse_model(MODEL);
    const fnl_model *got;
    long n;
    int rc = -1;
    char *before, *after;
    cfg.allocator = &al;
    CHECK_OK(fnl_engine_open(&e, &cfg));
    CHECK_OK(director(e, "ann@acme.com"));
    CHECK_OK(touch(e, "email", "ann@acme.com", "pricing_view", T0));
    before = dump_engine(e);
    for (n = 0; n < 10000; n++) {
        fa_arm(&fa, n, 1);
        rc = fnl_engine_attach_model(e, m, NULL);
        fa_disarm(&fa);
        if (rc == FNL_OK)
            break;
        CHECK_INT(rc, FNL_ENOMEM);
        CHECK_INT(fnl_engine_model(e, 0, &got), FNL_ENOTFOUND);
        after = dump_engine(e);
        CHECK_STR(after, before);
        free(after);
    }
    CHECK_OK(rc);
    CHECK(n > 3);
    /* touches with scoring attached also fail cleanly */
    for (n = 0; n < 10000; n++) {
        fa_arm(&fa, n, 1);
        rc = touch(e, "email", "zed@acme.com", "pricing_view", T0 + 1);
        fa_disarm(&fa);
        if (rc == FNL_OK)
            break;
        CHECK_INT(rc, FNL_ENOMEM);
    }
    CHECK_OK(rc);
    CHECK_NEAR(score_of(e, "zed@acme.com", T0 + 2, NULL), 5, 1e-9);
    free(before);
    fnl_model_free(m);
    fnl_engine_close(e);
    CHECK_INT(fa.outstanding, 0);
}

int main(void)
{
    RUN(live_scores_match_the_hand_computed_scenario);
    RUN(out_of_order_and_merged_touches_score_like_in_order_ones);
    RUN(a_canceled_attach_changes_nothing);
    RUN(models_and_scores_survive_replay_and_snapshots);
    RUN(account_scores_roll_up_members);
    RUN(attach_fails_cleanly_at_every_allocation);
    TEST_MAIN_END();
}
