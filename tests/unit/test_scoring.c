/* test_scoring -- the scoring math against hand-computed scenarios (the
 * arithmetic is in the comments), the engine interface (incremental,
 * out-of-order, recompute, merge), a randomised comparison with a naive
 * second implementation, explanations, account roll-ups and allocation
 * failures on the scoring paths. */
#include "failalloc.h"
#include "funnelcore.h"
#include "scoring.h"
#include "funnelcore.h"
#include "test.h"

#define HOUR INT64_C(3600000)
#define DAY INT64_C(86400000)
#define T0 INT64_C(1767225600000) /* 2026-01-01T00:00:00Z */

static fnl_model *parse(const char *text)
{
    fnl_model *m = NULL;
    fnl_parse_error err = FNL_PARSE_ERROR_INIT;
    if (fnl_model_parse(&m, text, strlen(text), NULL, &err) != FNL_OK)
        fprintf(stderr, "parse: line %u col %u: %s\n", err.line, err.column,
                err.message);
    return m;
}

static fnl_touch_info tv(int64_t time, const char *type, const char *channel,
                         int64_t value)
{
    fnl_touch_info t;
    memset(&t, 0, sizeof(t));
    t.size = sizeof(t);
    t.time = time;
    t.type = type;
    t.channel = channel;
    t.value = value;
    return t;
}

static int score(const fnl_model *m, const fnl_attr *a, size_t na,
                 const fnl_touch_info *t, size_t nt, int64_t at,
                 fnl_score_result *r)
{
    fnl_score_result init = FNL_SCORE_RESULT_INIT;
    *r = init;
    return fnl_model_score(m, a, na, t, sizeof(*t), nt, at, r);
}

/* A touch as the engine hands it to scoring. */
static fnli_score_tv view(const fnl_model *m, const fnl_touch_info *t)
{
    fnli_class_fields f;
    fnli_class_match cm;
    fnli_score_tv v;
    memset(&f, 0, sizeof(f));
    f.p[0] = t->type, f.n[0] = t->type ? strlen(t->type) : 0;
    f.p[1] = t->channel, f.n[1] = t->channel ? strlen(t->channel) : 0;
    fnli_model_match_class(m, &f, &cm);
    v.time = t->time;
    v.value = t->value;
    v.engage = cm.engage;
    v.events = cm.events;
    return v;
}

/* ---- fit ------------------------------------------------------------------- */

static const char *fit_model =
    "model f\n"
    "fit title contains director +10\n"
    "fit company_size between 200 and 5000 +15\n"
    "fit email freemail -20\n"
    "fit email domain in (rival.com) -100\n"
    "fit country in (de, at) and industry != student +2.5\n"
    "fit phone missing -1\n"
    "fit title starts_with vp +3\n"
    "fit title ends_with \"of sales\" +4\n"
    "fit revenue >= 1000000 +6\n"
    "grade A fit >= 40\n"
    "grade B fit >= 25\n"
    "grade C fit >= 10\n";

TEST(fit_rules_match_as_documented)
{
    fnl_model *m = parse(fit_model);
    fnl_score_result r;
    fnl_attr p1[6] = {
        {"Title", FNL_ATTR_STRING, "Sales DIRECTOR", 0},
        {"company_size", FNL_ATTR_NUMBER, NULL, 500},
        {"email", FNL_ATTR_STRING, "ana@Gmail.com", 0},
        {"country", FNL_ATTR_STRING, "DE", 0},
        {"industry", FNL_ATTR_STRING, "Software", 0},
        {"revenue", FNL_ATTR_STRING, " 2000000 ", 0}};
    fnl_attr p2[6] = {
        {"title", FNL_ATTR_STRING, "VP of Sales", 0},
        {"company_size", FNL_ATTR_STRING, "150", 0},
        {"email", FNL_ATTR_STRING, "bob@eu.rival.com", 0},
        {"industry", FNL_ATTR_STRING, "student", 0},
        {"phone", FNL_ATTR_STRING, "+4930123456", 0},
        {"revenue", FNL_ATTR_NUMBER, NULL, 999999}};
    CHECK(m != NULL);
    /* p1: director +10, size 500 in [200,5000] +15, gmail free-mail -20,
     * not rival, DE and not student +2.5, phone missing -1, not "vp...",
     * not "...of sales", revenue "2000000" >= 1e6 +6:
     * 10 + 15 - 20 + 2.5 - 1 + 6 = 12.5 -> grade C (>= 10, < 25) */
    CHECK_OK(score(m, p1, 6, NULL, 0, T0, &r));
    CHECK(r.fit == 12.5);
    CHECK(r.engagement == 0);
    CHECK(r.total == 12.5);
    CHECK_STR(r.grade, "C");
    CHECK_INT(r.band, 4);
    CHECK_STR(r.cell, "C4");
    /* p2: "150" < 200, eu.rival.com is a subdomain of rival.com -100,
     * country missing (the "in" fails), phone present, "VP of Sales"
     * starts with vp +3 and ends with "of sales" +4, 999999 < 1e6:
     * -100 + 3 + 4 = -93 -> grade D */
    CHECK_OK(score(m, p2, 6, NULL, 0, T0, &r));
    CHECK(r.fit == -93);
    CHECK_STR(r.cell, "D4");
    /* no attributes at all: only "phone missing" -1 */
    CHECK_OK(score(m, NULL, 0, NULL, 0, T0, &r));
    CHECK(r.fit == -1);
    fnl_model_free(m);
}

/* ---- decay ----------------------------------------------------------------- */

TEST(decay_halves_at_each_exact_half_life)
{
    fnl_model *m = parse("model d\ndecay half_life 1d\nengage type = visit +8\n");
    fnl_touch_info t[2] = {tv(T0, "visit", NULL, 0),
                           tv(T0 + DAY, "visit", NULL, 0)};
    fnl_score_result r;
    CHECK(m != NULL);
    /* one visit of 8 points: 8, 4, 2, 1 at 0, 1, 2, 3 half-lives */
    CHECK_OK(score(m, NULL, 0, t, 1, T0, &r));
    CHECK(r.engagement == 8);
    CHECK_OK(score(m, NULL, 0, t, 1, T0 + DAY, &r));
    CHECK(r.engagement == 4);
    CHECK_OK(score(m, NULL, 0, t, 1, T0 + 2 * DAY, &r));
    CHECK(r.engagement == 2);
    CHECK_OK(score(m, NULL, 0, t, 1, T0 + 3 * DAY, &r));
    CHECK(r.engagement == 1);
    /* half a half-life: 8 / sqrt(2) */
    CHECK_OK(score(m, NULL, 0, t, 1, T0 + 12 * HOUR, &r));
    CHECK_NEAR(r.engagement, 5.656854249492380, 1e-12);
    /* a second visit one day later: 4 + 8 = 12 then, (12) / 2 = 6 a day
     * after; the second touch is ignored when scoring before it */
    CHECK_OK(score(m, NULL, 0, t, 2, T0 + DAY, &r));
    CHECK(r.engagement == 12);
    CHECK_OK(score(m, NULL, 0, t, 2, T0 + 2 * DAY, &r));
    CHECK(r.engagement == 6);
    CHECK_OK(score(m, NULL, 0, t, 2, T0 + DAY - 1, &r));
    CHECK(r.engagement < 4.0001 && r.engagement > 4);
    fnl_model_free(m);
}

TEST(decay_survives_reanchoring_far_in_the_future)
{
    /* half-life 1h; touches 100 h apart force re-anchoring (64 half-lives):
     * after the second touch the first has decayed by 2^-100, so the score
     * is 8 (+ 8 * 2^-100), and 1 h later 4. */
    fnl_model *m = parse("model d\ndecay half_life 1h\nengage type = v +8\n");
    fnl_touch_info t[3] = {tv(T0, "v", NULL, 0),
                           tv(T0 + 100 * HOUR, "v", NULL, 0),
                           tv(T0 + 2000 * HOUR, "v", NULL, 0)};
    fnl_score_result r;
    CHECK(m != NULL);
    CHECK_OK(score(m, NULL, 0, t, 2, T0 + 101 * HOUR, &r));
    CHECK_NEAR(r.engagement, 4, 1e-12);
    CHECK_OK(score(m, NULL, 0, t, 3, T0 + 2003 * HOUR, &r));
    CHECK_NEAR(r.engagement, 1, 1e-12);
    /* 10000 half-lives later the value underflows to 0, not NaN */
    CHECK_OK(score(m, NULL, 0, t, 3, T0 + 12000 * HOUR, &r));
    CHECK(r.engagement == 0);
    fnl_model_free(m);
}

/* ---- caps and windows ------------------------------------------------------ */

TEST(caps_hold_the_rule_value_at_the_cap)
{
    fnl_model *m = parse("model c\nengage type = p +5 cap 12\n"
                         "engage type = bounce -10 cap 25\n");
    fnl_model *md = parse("model c\ndecay half_life 1d\n"
                          "engage type = p +5 cap 12\n");
    fnl_touch_info t[6];
    fnl_score_result r;
    int i;
    CHECK(m != NULL && md != NULL);
    for (i = 0; i < 4; i++)
        t[i] = tv(T0 + i, "p", NULL, 0);
    /* 5, 10, then min(12, 15) = 12, min(12, 17) = 12 */
    CHECK_OK(score(m, NULL, 0, t, 1, T0 + 10, &r));
    CHECK(r.engagement == 5);
    CHECK_OK(score(m, NULL, 0, t, 2, T0 + 10, &r));
    CHECK(r.engagement == 10);
    CHECK_OK(score(m, NULL, 0, t, 3, T0 + 10, &r));
    CHECK(r.engagement == 12);
    CHECK_OK(score(m, NULL, 0, t, 4, T0 + 10, &r));
    CHECK(r.engagement == 12);
    /* negative: -10, -20, max(-25, -30) = -25 */
    for (i = 0; i < 3; i++)
        t[i] = tv(T0 + i, "bounce", NULL, 0);
    CHECK_OK(score(m, NULL, 0, t, 3, T0 + 10, &r));
    CHECK(r.engagement == -25);
    /* with decay (h = 1 d): three at T0 -> 12; at T0+1d it is 6 and a
     * touch makes 6 + 5 = 11; another makes min(12, 16) = 12; a day later
     * 12 / 2 = 6 */
    t[0] = t[1] = t[2] = tv(T0, "p", NULL, 0);
    t[3] = t[4] = tv(T0 + DAY, "p", NULL, 0);
    CHECK_OK(score(md, NULL, 0, t, 3, T0, &r));
    CHECK(r.engagement == 12);
    CHECK_OK(score(md, NULL, 0, t, 3, T0 + DAY, &r));
    CHECK(r.engagement == 6);
    CHECK_OK(score(md, NULL, 0, t, 4, T0 + DAY, &r));
    CHECK(r.engagement == 11);
    CHECK_OK(score(md, NULL, 0, t, 5, T0 + DAY, &r));
    CHECK(r.engagement == 12);
    CHECK_OK(score(md, NULL, 0, t, 5, T0 + 2 * DAY, &r));
    CHECK(r.engagement == 6);
    fnl_model_free(m);
    fnl_model_free(md);
}

TEST(windows_count_at_most_n_in_any_half_open_window)
{
    fnl_model *m = parse("model w\nengage type = p +1 per_window 2 in 7d\n");
    fnl_touch_info t[6] = {
        tv(T0, "p", NULL, 0),                  /* counted (1st)           */
        tv(T0 + HOUR, "p", NULL, 0),           /* counted (2nd)           */
        tv(T0 + 7 * DAY - 1, "p", NULL, 0),    /* (T0-1ms, ..] holds 2: no */
        tv(T0 + 7 * DAY, "p", NULL, 0),        /* (T0, ..] holds 1h only  */
        tv(T0 + 7 * DAY + HOUR, "p", NULL, 0), /* (T0+1h, ..] holds 7d    */
        tv(T0 + 7 * DAY + HOUR, "p", NULL, 0)  /* now 7d and 7d+1h: no    */
    };
    fnl_score_result r;
    fnl_score_row rows[1];
    size_t n;
    CHECK(m != NULL);
    CHECK_OK(score(m, NULL, 0, t, 6, T0 + 30 * DAY, &r));
    CHECK(r.engagement == 4);
    CHECK_OK(fnl_model_explain(m, NULL, 0, t, sizeof(t[0]), 6, T0 + 30 * DAY,
                               rows, 1, &n));
    CHECK_INT(n, 1);
    CHECK_INT(rows[0].matched, 6);
    CHECK_INT(rows[0].counted, 4);
    CHECK(rows[0].raw == 4 && rows[0].value == 4);
    CHECK_STR(rows[0].rule, "engage type = p +1 per_window 2 in 7d");
    fnl_model_free(m);
}

TEST(value_conditions_are_checked_per_touch)
{
    fnl_model *m = parse("model v\nengage channel = email and value >= 1000 +2\n");
    fnl_touch_info t[3] = {tv(T0, "visit", "email", 999),
                           tv(T0 + 1, "visit", "Email", 1000),
                           tv(T0 + 2, "visit", "web", 5000)};
    fnl_score_result r;
    CHECK(m != NULL);
    CHECK_OK(score(m, NULL, 0, t, 3, T0 + 3, &r));
    CHECK(r.engagement == 2); /* only the second */
    fnl_model_free(m);
}

/* ---- key events ------------------------------------------------------------ */

static const char *key_model =
    "model k\n"
    "key_event \"pricing x3\" when type = p count 3 within 7d +20\n"
    "key_event trial when type = trial_request +30\n";

TEST(key_events_fire_once_per_window)
{
    fnl_model *m = parse(key_model);
    /* pricing on days 0 1 2 3 9 10 11 12 and trials on days 5 and 20:
     *  d2:  0 1 2 within 7d, never fired              -> fires
     *  d3:  1 2 3 within, but fired at d2 > d3-7d      -> no
     *  d9:  2 3 9: 2 is not in (d2, d9]                -> no
     *  d10: 3 9 10: 3 is not in (d3, d10]              -> no
     *  d11: 9 10 11 within, last firing d2 <= d4        -> fires
     *  d12: fired at d11 > d5                          -> no
     *  trial: fires at d5, never again (no window)
     * engagement (no decay) = 20 + 30 + 20 = 70, 3 firings */
    static const int pd[] = {0, 1, 2, 3, 9, 10, 11, 12};
    fnl_touch_info t[10];
    fnl_key_event_fire f[4];
    fnl_score_result r;
    size_t i, n;
    CHECK(m != NULL);
    for (i = 0; i < 8; i++)
        t[i] = tv(T0 + pd[i] * DAY, "p", NULL, 0);
    t[8] = tv(T0 + 20 * DAY, "trial_request", NULL, 0);
    t[9] = tv(T0 + 5 * DAY, "trial_request", NULL, 0);
    CHECK_OK(score(m, NULL, 0, t, 10, T0 + 30 * DAY, &r));
    CHECK(r.engagement == 70);
    CHECK_INT(r.firings, 3);
    CHECK_INT(r.key_events, 3);
    CHECK_INT(fnl_model_key_event_history(m, t, sizeof(t[0]), 10,
                                          T0 + 30 * DAY, f, 2, &n),
              FNL_ERANGE);
    CHECK_INT(n, 3);
    CHECK_OK(fnl_model_key_event_history(m, t, sizeof(t[0]), 10, T0 + 30 * DAY,
                                         f, 4, &n));
    CHECK_INT(n, 3);
    CHECK_INT(f[0].event, 0);
    CHECK_INT(f[0].time, T0 + 2 * DAY);
    CHECK_STR(f[0].name, "pricing x3");
    CHECK_INT(f[1].event, 1);
    CHECK_INT(f[1].time, T0 + 5 * DAY);
    CHECK_STR(f[1].name, "trial");
    CHECK_INT(f[2].event, 0);
    CHECK_INT(f[2].time, T0 + 11 * DAY);
    /* scored at day 4 only the first firing counts */
    CHECK_OK(score(m, NULL, 0, t, 10, T0 + 4 * DAY, &r));
    CHECK(r.engagement == 20);
    CHECK_INT(r.key_events, 1);
    fnl_model_free(m);
}

TEST(incremental_touch_reports_the_events_it_fires)
{
    fnl_model *m = parse(key_model);
    unsigned char buf[1024];
    fnli_score_state *st = (fnli_score_state *)(void *)buf;
    fnl_touch_info t;
    fnli_score_tv v;
    uint64_t fired = 99;
    int i;
    CHECK(m != NULL);
    CHECK(fnli_model_state_size(m) <= sizeof(buf));
    fnli_score_state_init(m, st);
    for (i = 0; i < 3; i++) {
        t = tv(T0 + i * HOUR, "p", NULL, 0);
        v = view(m, &t);
        CHECK_OK(fnli_score_touch(m, st, &v, &fired));
        CHECK_INT(fired, i == 2 ? 1 : 0);
    }
    t = tv(T0 + 4 * HOUR, "trial_request", NULL, 0);
    v = view(m, &t);
    CHECK_OK(fnli_score_touch(m, st, &v, &fired));
    CHECK_INT(fired, 2);
    v.time += HOUR;
    CHECK_OK(fnli_score_touch(m, st, &v, &fired));
    CHECK_INT(fired, 0);
    fnl_model_free(m);
}

/* ---- grades, bands, thresholds --------------------------------------------- */

TEST(grades_bands_cells_and_thresholds)
{
    fnl_model *m = parse(
        "model g\n"
        "fit level = 1 +30\nfit level = 2 +45\n"
        "engage type = e +5\n"
        "grade A fit >= 40\ngrade B fit >= 25\ngrade C fit >= 10\n"
        "band 1 engagement >= 60\nband 2 engagement >= 30\n"
        "band 3 engagement >= 10\n"
        "threshold mql when score >= 60 and grade >= B\n"
        "threshold top when cell in (A1, A2, B1)\n");
    fnl_attr l1 = {"level", FNL_ATTR_NUMBER, NULL, 1};
    fnl_attr l2 = {"level", FNL_ATTR_STRING, "2", 0};
    fnl_touch_info t[12];
    fnl_score_result r;
    uint32_t idx;
    int i, v;
    CHECK(m != NULL);
    for (i = 0; i < 12; i++)
        t[i] = tv(T0 + i, "e", NULL, 0);
    /* fit 30 (B), engagement 7 x 5 = 35 (band 2): B2, total 65 -> mql */
    CHECK_OK(score(m, &l1, 1, t, 7, T0 + DAY, &r));
    CHECK_STR(r.cell, "B2");
    CHECK(r.total == 65);
    CHECK_INT(r.thresholds, 1);
    /* fit 45 (A), engagement 1 x 5 = 5 (band 4): A4, total 50 -> none */
    CHECK_OK(score(m, &l2, 1, t, 1, T0 + DAY, &r));
    CHECK_STR(r.cell, "A4");
    CHECK_INT(r.thresholds, 0);
    /* fit 45, engagement 12 x 5 = 60 (band 1 at its boundary): A1 */
    CHECK_OK(score(m, &l2, 1, t, 12, T0 + DAY, &r));
    CHECK_STR(r.cell, "A1");
    CHECK_INT(r.thresholds, 3);
    CHECK_OK(fnl_model_threshold_find(m, "TOP", &idx));
    CHECK_INT(idx, 1);
    CHECK_OK(fnl_model_threshold_eval(m, idx, &r, &v));
    CHECK_INT(v, 1);
    CHECK_INT(fnl_model_threshold_find(m, "nope", &idx), FNL_ENOTFOUND);
    CHECK_INT(fnl_model_threshold_eval(m, 2, &r, &v), FNL_ENOTFOUND);
    CHECK_STR(fnl_model_threshold_name(m, 0), "mql");
    fnl_model_free(m);
}

/* ---- explanations -------------------------------------------------------- */

TEST(explanation_rows_add_up_to_the_score)
{
    fnl_model *m = parse(
        "model x\ndecay half_life 2d\n"
        "fit title contains director +10\nfit email freemail -20\n"
        "engage type = p +5 cap 12\nengage type = v +1\n"
        "key_event k when type = p count 2 within 1d +7\n");
    fnl_attr a = {"title", FNL_ATTR_STRING, "Director", 0};
    fnl_touch_info t[5] = {tv(T0, "p", NULL, 0), tv(T0 + HOUR, "p", NULL, 0),
                           tv(T0 + 2 * HOUR, "p", NULL, 0),
                           tv(T0 + 2 * DAY, "v", NULL, 0),
                           tv(T0 + 2 * DAY, "x", NULL, 0)};
    fnl_score_row rows[5];
    fnl_score_result r;
    size_t n, i;
    double sum = 0;
    CHECK(m != NULL);
    CHECK_INT(fnl_model_explain(m, &a, 1, t, sizeof(t[0]), 5, T0 + 4 * DAY,
                                rows, 4, &n), FNL_ERANGE);
    CHECK_INT(n, 5);
    CHECK_OK(fnl_model_explain(m, &a, 1, t, sizeof(t[0]), 5, T0 + 4 * DAY, rows,
                               5, &n));
    CHECK_OK(score(m, &a, 1, t, 5, T0 + 4 * DAY, &r));
    for (i = 0; i < n; i++)
        sum += rows[i].value;
    CHECK_NEAR(sum, r.total, 1e-9);
    CHECK_INT(rows[0].kind, FNL_RULE_FIT);
    CHECK(rows[0].value == 10);
    CHECK(rows[1].value == 0 && rows[1].matched == 0);
    /* p at 0h, 1h, 2h: 5 + 5 + 5 decayed a little, capped at 12 (raw
     * 5 + 5 + (12 - 10 * 2^(-1h/2d) ...) < 15): raw <= 12 + rounding;
     * 3 matched and counted */
    CHECK_INT(rows[2].kind, FNL_RULE_ENGAGE);
    CHECK_INT(rows[2].matched, 3);
    CHECK_INT(rows[2].counted, 3);
    CHECK(rows[2].raw > 12 && rows[2].raw < 12.3);
    /* v at 2d, read at 4d: 1 * 2^-1 = 0.5 */
    CHECK_NEAR(rows[3].value, 0.5, 1e-12);
    /* k fires at 1h (0h and 1h within 1d) and, after a day has passed
     * since, not at 2h: one firing of 7 at T0+1h */
    CHECK_INT(rows[4].kind, FNL_RULE_KEY_EVENT);
    CHECK_INT(rows[4].counted, 1);
    CHECK_NEAR(rows[4].value, 7 * exp2(-(4.0 * 24 - 1) / 48.0), 1e-12);
    fnl_model_free(m);
}

/* ---- engine interface: out of order, merges ------------------------------- */

/* The model of the randomised tests: every feature at once. */
static const char *rand_model =
    "model r\ndecay half_life 2d\n"
    "engage type = a +3 cap 10\n"
    "engage type = b +2 per_window 2 in 1d\n"
    "engage type = c -4 cap 9 per_window 3 in 2d\n"
    "engage channel = email +1\n"
    "engage type = a and value >= 50 +1.5\n"
    "key_event a3 when type = a count 3 within 3d +7\n"
    "key_event c1 when type = c within 5d +2\n";

TEST(state_layout_is_as_documented)
{
    fnl_model *m = parse(rand_model);
    CHECK(m != NULL);
    /* 56 header + 2 capped rules x 8 + windows (2: 8*2+8, 3: 8*3+8)
     * + key events (3: 8*3+16, 1: 8*1+16) = 56 + 16 + 24 + 32 + 40 + 24 */
    CHECK_INT(sizeof(fnli_score_hdr), 56);
    CHECK_INT(fnli_model_state_size(m), 192);
    fnl_model_free(m);
}

typedef struct rng {
    uint64_t s;
} rng;

static uint32_t rnd(rng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return (uint32_t)(r->s >> 11);
}

/* ---- the naive second implementation ----------------------------------- */

typedef struct nrule {
    const char *type, *channel;
    double points, cap;
    int win_n;
    int64_t win;
    int64_t vmin;       /* value >= vmin, or -1 */
} nrule;

typedef struct nevent {
    const char *type;
    int n;
    int64_t within;
    double points;
} nevent;

static const nrule nrules[] = {
    {"a", NULL, 3, 10, 0, 0, -1}, {"b", NULL, 2, 0, 2, DAY, -1},
    {"c", NULL, -4, 9, 3, 2 * DAY, -1}, {NULL, "email", 1, 0, 0, 0, -1},
    {"a", NULL, 1.5, 0, 0, 0, 50}};
static const nevent nevents[] = {{"a", 3, 3 * DAY, 7}, {"c", 1, 5 * DAY, 2}};

static double decay(double v, int64_t from, int64_t to)
{
    return v * pow(2.0, -(double)(to - from) / (double)(2 * DAY));
}

/* Per rule: walk the sorted timeline, decay the rule's own value from its
 * previous change, clamp at the cap, count windows from explicit lists. */
static double naive(const fnl_touch_info *t, size_t n, int64_t at)
{
    double total = 0;
    size_t r, i, j;
    for (r = 0; r < 5; r++) {
        const nrule *q = &nrules[r];
        double v = 0;
        int64_t prev = 0, counted[64];
        size_t nc = 0;
        for (i = 0; i < n; i++) {
            size_t in_win = 0;
            if (q->type && strcmp(t[i].type, q->type) != 0)
                continue;
            if (q->channel && strcmp(t[i].channel, q->channel) != 0)
                continue;
            if (q->vmin >= 0 && t[i].value < q->vmin)
                continue;
            if (q->win_n) {
                for (j = 0; j < nc; j++)
                    if (counted[j] > t[i].time - q->win)
                        in_win++;
                if (in_win >= (size_t)q->win_n)
                    continue;
                counted[nc++] = t[i].time;
            }
            v = decay(v, prev, t[i].time) + q->points;
            if (q->cap > 0 && v > q->cap)
                v = q->cap;
            if (q->cap > 0 && v < -q->cap)
                v = -q->cap;
            prev = t[i].time;
        }
        total += decay(v, prev, at);
    }
    for (r = 0; r < 2; r++) {
        const nevent *e = &nevents[r];
        int64_t times[64], last = 0;
        size_t nt = 0;
        int fired = 0;
        for (i = 0; i < n; i++) {
            if (strcmp(t[i].type, e->type) != 0)
                continue;
            times[nt++] = t[i].time;
            if ((int)nt < e->n ||
                times[nt - (size_t)e->n] <= t[i].time - e->within)
                continue;
            if (fired && last > t[i].time - e->within)
                continue;
            fired = 1;
            last = t[i].time;
            total += decay(e->points, t[i].time, at);
        }
    }
    return total;
}

static int by_time(const void *a, const void *b)
{
    const fnl_touch_info *x = a, *y = b;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    /* ties: arrival order; the arrival index is kept in .size */
    return x->size < y->size ? -1 : x->size > y->size;
}

static void sorted_views(const fnl_model *m, fnl_touch_info *t, size_t n,
                         fnli_score_tv *out)
{
    size_t i;
    qsort(t, n, sizeof(*t), by_time);
    for (i = 0; i < n; i++)
        out[i] = view(m, &t[i]);
}

TEST(out_of_order_arrival_equals_in_order_and_the_naive_model)
{
    static const char *types[] = {"a", "b", "c", "d"};
    static const char *chans[] = {"email", "web"};
    fnl_model *m = parse(rand_model);
    rng g = {0x1234567887654321ULL};
    int round, recomputes = 0, fast = 0;
    CHECK(m != NULL);
    for (round = 0; round < 300; round++) {
        fnl_touch_info t[40], arrived[40], sorted[40];
        fnli_score_tv v[40];
        unsigned char s1[256], s2[256];
        fnli_score_state *inc = (fnli_score_state *)(void *)s1;
        fnli_score_state *ref = (fnli_score_state *)(void *)s2;
        fnl_score_result ri = FNL_SCORE_RESULT_INIT,
                         rr = FNL_SCORE_RESULT_INIT;
        size_t n = 1 + rnd(&g) % 40, i;
        int64_t at;
        for (i = 0; i < n; i++) {
            /* hours on a 10-day grid: ties are frequent */
            t[i] = tv(T0 + (int64_t)(rnd(&g) % 240) * HOUR,
                      types[rnd(&g) % 4], chans[rnd(&g) % 2], rnd(&g) % 100);
        }
        /* arrival: mostly in order, with late arrivals */
        memcpy(arrived, t, n * sizeof(t[0]));
        qsort(arrived, n, sizeof(t[0]), by_time);
        for (i = 0; i + 1 < n; i++)
            if (rnd(&g) % 3 == 0) {
                size_t j = i + 1 + rnd(&g) % (n - i - 1);
                fnl_touch_info x = arrived[i];
                arrived[i] = arrived[j];
                arrived[j] = x;
            }
        for (i = 0; i < n; i++)
            arrived[i].size = (uint32_t)i; /* arrival index, for ties */
        fnli_score_state_init(m, inc);
        for (i = 0; i < n; i++) {
            fnli_score_tv one = view(m, &arrived[i]);
            unsigned char before[256];
            int rc;
            memcpy(before, s1, sizeof(before));
            rc = fnli_score_touch(m, inc, &one, NULL);
            if (rc == FNLI_SCORE_RECOMPUTE) {
                CHECK(memcmp(before, s1, fnli_model_state_size(m)) == 0);
                memcpy(sorted, arrived, (i + 1) * sizeof(t[0]));
                sorted_views(m, sorted, i + 1, v);
                CHECK_OK(fnli_score_recompute(m, inc, v, i + 1, NULL, NULL));
                recomputes++;
            } else {
                CHECK_OK(rc);
                fast++;
            }
        }
        /* reference: one replay of the sorted timeline */
        memcpy(sorted, arrived, n * sizeof(t[0]));
        sorted_views(m, sorted, n, v);
        fnli_score_state_init(m, ref);
        CHECK_OK(fnli_score_recompute(m, ref, v, n, NULL, NULL));
        CHECK(memcmp(s1, s2, fnli_model_state_size(m)) == 0);
        at = T0 + 12 * DAY;
        fnli_score_at(m, inc, at, &ri);
        fnli_score_at(m, ref, at, &rr);
        CHECK(ri.engagement == rr.engagement);
        CHECK_NEAR(ri.engagement, naive(sorted, n, at),
                   1e-9 * (1 + fabs(ri.engagement)));
    }
    CHECK(recomputes > 100 && fast > 1000);
    fnl_model_free(m);
}

TEST(out_of_order_touch_asks_for_recompute_only_when_it_matches)
{
    fnl_model *m = parse(rand_model);
    unsigned char s[256], before[256];
    fnli_score_state *st = (fnli_score_state *)(void *)s;
    fnl_touch_info a = tv(T0 + DAY, "a", "web", 0),
                   late = tv(T0, "d", "web", 0),
                   late2 = tv(T0, "b", "web", 0),
                   unsorted[2];
    fnli_score_tv v;
    fnli_score_tv vs[2];
    fnl_score_result r = FNL_SCORE_RESULT_INIT;
    CHECK(m != NULL);
    fnli_score_state_init(m, st);
    CHECK(fnli_score_state_valid(m, st));
    v = view(m, &a);
    CHECK_OK(fnli_score_touch(m, st, &v, NULL));
    memcpy(before, s, sizeof(s));
    v = view(m, &late); /* matches nothing: nothing to do */
    CHECK_OK(fnli_score_touch(m, st, &v, NULL));
    CHECK(memcmp(before, s, fnli_model_state_size(m)) == 0);
    v = view(m, &late2);
    CHECK_INT(fnli_score_touch(m, st, &v, NULL), FNLI_SCORE_RECOMPUTE);
    CHECK(memcmp(before, s, fnli_model_state_size(m)) == 0);
    /* reading before the latest touch reads at it: 3 points, no decay */
    fnli_score_at(m, st, T0, &r);
    CHECK_INT(r.time, T0 + DAY);
    CHECK(r.engagement == 3);
    /* recompute refuses an unsorted timeline and changes nothing */
    unsorted[0] = a, unsorted[1] = late2;
    vs[0] = view(m, &unsorted[0]);
    vs[1] = view(m, &unsorted[1]);
    CHECK_INT(fnli_score_recompute(m, st, vs, 2, NULL, NULL), FNL_EINVAL);
    CHECK(memcmp(before, s, fnli_model_state_size(m)) == 0);
    fnl_model_free(m);
}

typedef struct fire_log {
    uint32_t ev[8];
    int64_t t[8];
    int n;
} fire_log;

static void log_fire(void *ctx, uint32_t ev, int64_t time)
{
    fire_log *l = ctx;
    if (l->n < 8) {
        l->ev[l->n] = ev;
        l->t[l->n] = time;
    }
    l->n++;
}

TEST(merge_is_a_recompute_on_the_union_timeline)
{
    fnl_model *m = parse("model mg\nfit title exists +1\n"
                         "engage type = p +5 cap 12\n"
                         "key_event \"p3\" when type = p count 3 within 7d +20\n");
    fnl_touch_info ta[2] = {tv(T0, "p", NULL, 0), tv(T0 + DAY, "p", NULL, 0)};
    fnl_touch_info tb[2] = {tv(T0 + 3 * DAY, "p", NULL, 0),
                            tv(T0 + 20 * DAY, "p", NULL, 0)};
    fnl_attr title = {"title", FNL_ATTR_STRING, "cto", 0};
    fnli_score_tv v[4];
    unsigned char sa[256], sb[256];
    fnli_score_state *a = (fnli_score_state *)(void *)sa;
    fnli_score_state *b = (fnli_score_state *)(void *)sb;
    fnl_score_result r = FNL_SCORE_RESULT_INIT;
    fire_log log;
    size_t i;
    CHECK(m != NULL);
    fnli_score_state_init(m, a);
    fnli_score_state_init(m, b);
    fnli_score_profile(m, a, &title, 1, NULL, NULL);
    for (i = 0; i < 2; i++) {
        v[0] = view(m, &ta[i]);
        CHECK_OK(fnli_score_touch(m, a, &v[0], NULL));
        v[0] = view(m, &tb[i]);
        CHECK_OK(fnli_score_touch(m, b, &v[0], NULL));
    }
    /* apart: A has 5 + 5 = 10 (+1 fit), B has 10; no key event */
    fnli_score_at(m, a, T0 + 30 * DAY, &r);
    CHECK(r.engagement == 10 && r.total == 11);
    fnli_score_at(m, b, T0 + 30 * DAY, &r);
    CHECK(r.engagement == 10 && r.key_events == 0);
    /* merged: days 0 1 3 20 -> cap: 5, 10, 12, 12; key event at day 3
     * (0, 1, 3 within 7 d) +20: 32 engagement, +1 fit (kept) = 33 */
    v[0] = view(m, &ta[0]), v[1] = view(m, &ta[1]);
    v[2] = view(m, &tb[0]), v[3] = view(m, &tb[1]);
    memset(&log, 0, sizeof(log));
    CHECK_OK(fnli_score_recompute(m, a, v, 4, log_fire, &log));
    fnli_score_at(m, a, T0 + 30 * DAY, &r);
    CHECK(r.engagement == 32);
    CHECK(r.total == 33);
    CHECK_INT(r.key_events, 1);
    CHECK_INT(log.n, 1);
    CHECK_INT(log.ev[0], 0);
    CHECK_INT(log.t[0], T0 + 3 * DAY);
    /* a state copied as bytes reads the same (the engine persists it) */
    memcpy(sb, sa, fnli_model_state_size(m));
    {
        fnl_score_result r2 = FNL_SCORE_RESULT_INIT;
        fnli_score_at(m, b, T0 + 30 * DAY, &r2);
        CHECK(memcmp(&r, &r2, sizeof(r)) == 0);
    }
    fnl_model_free(m);
}

/* ---- accounts ------------------------------------------------------------ */

TEST(account_rollups_and_buying_group_coverage)
{
    fnl_model *sum = parse("model a\n");
    fnl_model *max = parse("model a\naccount rollup max\n");
    fnl_model *top = parse("model a\naccount rollup top 3\n"
                           "account engaged when engagement >= 5\n"
                           "account roles user, champion\n");
    fnl_score_result r[4];
    fnl_account_member mb[4];
    fnl_account_score s = FNL_ACCOUNT_SCORE_INIT;
    static const double totals[4] = {10, 50, 30, 20};
    static const double eng[4] = {5, 1, 0, 7};
    static const uint32_t roles[4] = {FNL_ROLE_USER, FNL_ROLE_DECISION_MAKER,
                                      FNL_ROLE_ECONOMIC_BUYER, FNL_ROLE_NONE};
    int i;
    CHECK(sum != NULL && max != NULL && top != NULL);
    for (i = 0; i < 4; i++) {
        fnl_score_result init = FNL_SCORE_RESULT_INIT;
        r[i] = init;
        r[i].total = totals[i];
        r[i].engagement = eng[i];
        mb[i].score = &r[i];
        mb[i].role = roles[i];
    }
    /* sum 10 + 50 + 30 + 20 = 110; engaged (engagement > 0): user, DM and
     * the role-less contact; required user, influencer, DM, EB: 2 of 4 */
    CHECK_OK(fnl_model_account_score(sum, mb, 4, &s));
    CHECK(s.score == 110);
    CHECK_INT(s.contacts, 4);
    CHECK_INT(s.engaged, 3);
    CHECK_INT(s.roles_engaged, (1 << FNL_ROLE_USER) |
                                   (1 << FNL_ROLE_DECISION_MAKER));
    CHECK_INT(s.roles_covered, 2);
    CHECK(s.coverage == 0.5);
    CHECK_OK(fnl_model_account_score(max, mb, 4, &s));
    CHECK(s.score == 50);
    /* top 3: (50 + 30 + 20) / 3; engaged (>= 5): user and role-less;
     * required user, champion: 1 of 2 */
    CHECK_OK(fnl_model_account_score(top, mb, 4, &s));
    CHECK_NEAR(s.score, 100.0 / 3.0, 1e-12);
    CHECK_INT(s.engaged, 2);
    CHECK_INT(s.roles_covered, 1);
    CHECK(s.coverage == 0.5);
    /* fewer members than N: the mean of those there */
    CHECK_OK(fnl_model_account_score(top, mb, 2, &s));
    CHECK(s.score == 30);
    CHECK_OK(fnl_model_account_score(top, NULL, 0, &s));
    CHECK(s.score == 0);
    mb[0].role = 7;
    CHECK_INT(fnl_model_account_score(top, mb, 4, &s), FNL_EINVAL);
    fnl_model_free(sum);
    fnl_model_free(max);
    fnl_model_free(top);
}

/* ---- allocation failures --------------------------------------------------- */

TEST(scoring_paths_survive_every_allocation_failure)
{
    failalloc fa;
    fnl_allocator al;
    fnl_model *m;
    fnl_parse_error err = FNL_PARSE_ERROR_INIT;
    fnl_touch_info t[3] = {tv(T0 + 2, "a", "email", 60),
                           tv(T0, "c", "web", 0), tv(T0 + 1, "a", "web", 0)};
    long n;
    int done = 0;
    memset(&fa, 0, sizeof(fa));
    al = fa_table(&fa);
    fa_disarm(&fa);
    CHECK_OK(fnl_model_parse(&m, rand_model, strlen(rand_model), &al, &err));
    for (n = 0; n < 100 && !done; n++) {
        fnl_score_result r = FNL_SCORE_RESULT_INIT;
        fnl_score_row rows[7];
        fnl_key_event_fire f[4];
        size_t cnt = 12345;
        long long before = fa.outstanding;
        int rc1, rc2, rc3;
        fa_arm(&fa, n, 1);
        rc1 = fnl_model_score(m, NULL, 0, t, sizeof(t[0]), 3, T0 + 5, &r);
        rc2 = fnl_model_explain(m, NULL, 0, t, sizeof(t[0]), 3, T0 + 5, rows,
                                7, &cnt);
        rc3 = fnl_model_key_event_history(m, t, sizeof(t[0]), 3, T0 + 5, f, 4,
                                          &cnt);
        fa_disarm(&fa);
        CHECK_INT(fa.outstanding, before);
        if (fa.fired == 0) {
            CHECK_OK(rc1);
            CHECK_OK(rc2);
            CHECK_OK(rc3);
            done = 1;
        } else {
            CHECK(rc1 == FNL_OK || rc1 == FNL_ENOMEM);
            CHECK(rc2 == FNL_OK || rc2 == FNL_ENOMEM);
            CHECK(rc3 == FNL_OK || rc3 == FNL_ENOMEM);
            /* sticky: once one fails, every later one fails too */
            CHECK(rc3 == FNL_ENOMEM);
            if (rc1 == FNL_ENOMEM)
                CHECK(r.engagement == 0 && r.grade[0] == 0);
        }
    }
    CHECK(done);
    fnl_model_free(m);
    CHECK_INT(fa.outstanding, 0);
}

int main(void)
{
    RUN(fit_rules_match_as_documented);
    RUN(decay_halves_at_each_exact_half_life);
    RUN(decay_survives_reanchoring_far_in_the_future);
    RUN(caps_hold_the_rule_value_at_the_cap);
    RUN(windows_count_at_most_n_in_any_half_open_window);
    RUN(value_conditions_are_checked_per_touch);
    RUN(key_events_fire_once_per_window);
    RUN(incremental_touch_reports_the_events_it_fires);
    RUN(grades_bands_cells_and_thresholds);
    RUN(explanation_rows_add_up_to_the_score);
    RUN(state_layout_is_as_documented);
    RUN(out_of_order_arrival_equals_in_order_and_the_naive_model);
    RUN(out_of_order_touch_asks_for_recompute_only_when_it_matches);
    RUN(merge_is_a_recompute_on_the_union_timeline);
    RUN(account_rollups_and_buying_group_coverage);
    RUN(scoring_paths_survive_every_allocation_failure);
    TEST_MAIN_END();
}
