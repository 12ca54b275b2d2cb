/* test_scoring_edges -- scoring corners that test_scoring leaves out: every
 * numeric comparison, text and number attributes meeting the "wrong" kind
 * of test, sub-domains, missing touch fields, key events gated on a
 * touch's value, ties in time, the readers' argument checks, and account
 * roll-ups with fewer members than the top-N.  Expected scores are summed
 * by hand in the comments. */
#include "funnelcore.h"
#include "test.h"

#define DAY INT64_C(86400000)
#define T0 INT64_C(1767225600000) /* 2026-01-01 */

static fnl_model *parse(const char *text)
{
    fnl_model *m = NULL;
    fnl_parse_error err = FNL_PARSE_ERROR_INIT;
    if (fnl_model_parse(&m, text, strlen(text), NULL, &err) != FNL_OK)
        fprintf(stderr, "model: %u:%u %s\n", err.line, err.column,
                err.message);
    return m;
}

static fnl_touch_info touch(int64_t t, const char *type, const char *campaign,
                            int64_t value)
{
    fnl_touch_info x;
    memset(&x, 0, sizeof(x));
    x.size = sizeof(x);
    x.time = t;
    x.type = type;
    x.campaign = campaign;
    x.value = value;
    return x;
}

TEST(fit_tests_meet_numbers_and_text_as_documented)
{
    /* n = 12 (a number), s = "7" (text), e = x@eu.acme.com, t absent:
     *   n > 10        +1    12 > 10
     *   n <= 5        +2    no
     *   n < 100       +4    yes
     *   n exists      +8    yes
     *   n = "12"      +16   a text test on a number: no
     *   s > 3         +32   "7" reads as 7: yes
     *   e domain in   +64   eu.acme.com is under acme.com: yes
     *   t missing     +128  yes
     *   s contains 7  +256  yes (text)
     *   e domain in (cme.com) +512: "eu.acme.com" ends in "cme.com" but
     *                        not after a dot: no
     * fit = 1 + 4 + 8 + 32 + 64 + 128 + 256 = 493 */
    const char *text = "model m\n"
                       "fit n > 10 +1\n"
                       "fit n <= 5 +2\n"
                       "fit n < 100 +4\n"
                       "fit n exists +8\n"
                       "fit n = \"12\" +16\n"
                       "fit s > 3 +32\n"
                       "fit e domain in (acme.com) +64\n"
                       "fit t missing +128\n"
                       "fit s contains \"7\" +256\n"
                       "fit e domain in (cme.com) +512\n";
    fnl_model *m = parse(text);
    fnl_attr a[3];
    fnl_score_result r = FNL_SCORE_RESULT_INIT;
    CHECK(m != NULL);
    memset(a, 0, sizeof(a));
    a[0].name = "N";
    a[0].type = FNL_ATTR_NUMBER;
    a[0].num = 12;
    a[1].name = "s";
    a[1].type = FNL_ATTR_STRING;
    a[1].str = "7";
    a[2].name = "e";
    a[2].type = FNL_ATTR_STRING;
    a[2].str = "x@eu.acme.com";
    CHECK_OK(fnl_model_score(m, a, 3, NULL, sizeof(fnl_touch_info), 0, T0,
                             &r));
    CHECK_NEAR(r.fit, 493, 0);
    fnl_model_free(m);
}

TEST(touch_fields_and_values_gate_rules_and_key_events)
{
    /* engage campaign missing +3: touches without a campaign;
     * engage campaign = x +5: the touch with campaign x;
     * key_event big when value >= 100 +50: fires once on the touch of
     * value 150, not on 50.  Touches: (t0, no campaign, 50), (t0 + 1 day,
     * campaign x, 150), (t0 + 2 days, no campaign, 200).
     * engagement = 3 + 5 + 3 + 50 = 61 (no decay) */
    const char *text = "model m\n"
                       "engage campaign missing +3\n"
                       "engage campaign = x +5\n"
                       "key_event big when value >= 100 +50\n";
    fnl_model *m = parse(text);
    fnl_touch_info t[3];
    fnl_score_result r = FNL_SCORE_RESULT_INIT;
    fnl_key_event_fire f[4];
    size_t n;
    CHECK(m != NULL);
    t[0] = touch(T0, "visit", NULL, 50);
    t[1] = touch(T0 + DAY, "visit", "x", 150);
    t[2] = touch(T0 + 2 * DAY, "visit", NULL, 200);
    CHECK_OK(fnl_model_score(m, NULL, 0, t, sizeof(t[0]), 3, T0 + 3 * DAY,
                             &r));
    CHECK_NEAR(r.engagement, 61, 0);
    CHECK_INT(r.key_events, 1);
    CHECK_INT(r.firings, 1);
    CHECK_OK(fnl_model_key_event_history(m, t, sizeof(t[0]), 3,
                                         T0 + 3 * DAY, f, 4, &n));
    CHECK_INT(n, 1);
    CHECK_INT(f[0].time, T0 + DAY);
    CHECK_STR(f[0].name, "big");
    fnl_model_free(m);
}

TEST(ties_in_time_keep_array_order)
{
    /* key events ea (type a) and eb (type b); two touches at the same
     * time, b given first: both fire at t0, in array order (eb, then ea) */
    const char *text = "model m\n"
                       "key_event ea when type = a +1\n"
                       "key_event eb when type = b +1\n";
    fnl_model *m = parse(text);
    fnl_touch_info t[2];
    fnl_key_event_fire f[2];
    size_t n;
    CHECK(m != NULL);
    t[0] = touch(T0, "b", NULL, 0);
    t[1] = touch(T0, "a", NULL, 0);
    CHECK_OK(fnl_model_key_event_history(m, t, sizeof(t[0]), 2, T0, f, 2,
                                         &n));
    CHECK_INT(n, 2);
    CHECK_STR(f[0].name, "eb");
    CHECK_STR(f[1].name, "ea");
    fnl_model_free(m);
}

TEST(readers_check_their_arguments)
{
    fnl_model *m = parse("model m\nfit a exists +1\nengage type = v +2\n");
    fnl_score_result r = FNL_SCORE_RESULT_INIT;
    fnl_score_row rows[2];
    fnl_key_event_fire f[1];
    fnl_attr a;
    fnl_touch_info t = touch(T0, "v", NULL, 0);
    size_t n;
    CHECK(m != NULL);
    memset(&a, 0, sizeof(a));
    CHECK_INT(fnl_model_score(NULL, NULL, 0, NULL, sizeof(t), 0, T0, &r),
              FNL_EINVAL);
    CHECK_INT(fnl_model_score(m, NULL, 1, NULL, sizeof(t), 0, T0, &r),
              FNL_EINVAL);
    CHECK_INT(fnl_model_score(m, NULL, 0, NULL, sizeof(t), 1, T0, &r),
              FNL_EINVAL);
    CHECK_INT(fnl_model_score(m, NULL, 0, NULL, sizeof(t), 0, -1, &r),
              FNL_EINVAL);
    CHECK_INT(fnl_model_score(m, NULL, 0, NULL, sizeof(t), 0,
                              FNL_TIME_MAX + 1, &r),
              FNL_EINVAL);
    CHECK_INT(fnl_model_score(m, NULL, 0, &t, 8, 1, T0, &r), FNL_EINVAL);
    CHECK_INT(fnl_model_score(m, NULL, 0, NULL, sizeof(t), 0, T0, NULL),
              FNL_EINVAL);
    r.size = 2;
    CHECK_INT(fnl_model_score(m, NULL, 0, NULL, sizeof(t), 0, T0, &r),
              FNL_EINVAL);
    r.size = sizeof(r);
    CHECK_INT(fnl_model_explain(m, NULL, 0, &t, sizeof(t), 1, T0, rows, 2,
                                NULL),
              FNL_EINVAL);
    CHECK_INT(fnl_model_explain(m, NULL, 0, &t, sizeof(t), 1, T0, NULL, 2,
                                &n),
              FNL_EINVAL);
    CHECK_INT(fnl_model_explain(m, NULL, 0, &t, sizeof(t), 1, T0, rows, 1,
                                &n),
              FNL_ERANGE);
    CHECK_INT(n, 2);
    /* engagement 2 at t0, evaluated a day before it: the touch is later
     * than t and ignored */
    CHECK_OK(fnl_model_explain(m, NULL, 0, &t, sizeof(t), 1, T0 - DAY, rows,
                               2, &n));
    CHECK_NEAR(rows[1].value, 0, 0);
    CHECK_INT(fnl_model_key_event_history(m, &t, sizeof(t), 1, T0, f, 1,
                                          NULL),
              FNL_EINVAL);
    CHECK_INT(fnl_model_key_event_history(m, &t, sizeof(t), 1, T0, NULL, 1,
                                          &n),
              FNL_EINVAL);
    CHECK_OK(fnl_model_key_event_history(m, &t, sizeof(t), 1, T0, NULL, 0,
                                         &n));
    CHECK_INT(n, 0);
    fnl_model_free(m);
}

TEST(account_rollups_check_and_rank)
{
    fnl_model *m = parse("model m\naccount rollup top 3\n");
    fnl_score_result s[2];
    fnl_account_member mem[2];
    fnl_account_score out = FNL_ACCOUNT_SCORE_INIT;
    CHECK(m != NULL);
    fnl_score_result_init(&s[0], sizeof(s[0]));
    fnl_score_result_init(&s[1], sizeof(s[1]));
    s[0].total = 10;
    s[1].total = 30;
    mem[0].score = &s[0];
    mem[0].role = FNL_ROLE_USER;
    mem[1].score = &s[1];
    mem[1].role = FNL_ROLE_CHAMPION;
    CHECK_INT(fnl_model_account_score(NULL, mem, 2, &out), FNL_EINVAL);
    CHECK_INT(fnl_model_account_score(m, mem, 2, NULL), FNL_EINVAL);
    CHECK_INT(fnl_model_account_score(m, NULL, 2, &out), FNL_EINVAL);
    out.size = 2;
    CHECK_INT(fnl_model_account_score(m, mem, 2, &out), FNL_EINVAL);
    out.size = sizeof(out);
    mem[1].score = NULL;
    CHECK_INT(fnl_model_account_score(m, mem, 2, &out), FNL_EINVAL);
    mem[1].score = &s[1];
    mem[1].role = FNL_ROLE_OTHER + 1;
    CHECK_INT(fnl_model_account_score(m, mem, 2, &out), FNL_EINVAL);
    mem[1].role = FNL_ROLE_CHAMPION;
    /* top 3 of two members: the mean of both, (10 + 30) / 2 = 20 */
    CHECK_OK(fnl_model_account_score(m, mem, 2, &out));
    CHECK_NEAR(out.score, 20, 0);
    CHECK_INT(out.contacts, 2);
    /* no members: score 0 */
    CHECK_OK(fnl_model_account_score(m, NULL, 0, &out));
    CHECK_NEAR(out.score, 0, 0);
    fnl_model_free(m);
}

TEST(top_n_keeps_the_best_totals)
{
    /* top 2 of 10, 40, 5, 30 (5 and 10 never enter once the list is full
     * of better ones): (40 + 30) / 2 = 35 */
    fnl_model *m = parse("model m\naccount rollup top 2\n");
    fnl_score_result s[4];
    fnl_account_member mem[4];
    fnl_account_score out = FNL_ACCOUNT_SCORE_INIT;
    static const double totals[4] = {10, 40, 5, 30};
    int i;
    CHECK(m != NULL);
    for (i = 0; i < 4; i++) {
        fnl_score_result_init(&s[i], sizeof(s[i]));
        s[i].total = totals[i];
        mem[i].score = &s[i];
        mem[i].role = FNL_ROLE_NONE;
    }
    CHECK_OK(fnl_model_account_score(m, mem, 4, &out));
    CHECK_NEAR(out.score, 35, 0);
    fnl_model_free(m);
}

int main(void)
{
    RUN(fit_tests_meet_numbers_and_text_as_documented);
    RUN(touch_fields_and_values_gate_rules_and_key_events);
    RUN(ties_in_time_keep_array_order);
    RUN(readers_check_their_arguments);
    RUN(account_rollups_check_and_rank);
    RUN(top_n_keeps_the_best_totals);
    TEST_MAIN_END();
}
