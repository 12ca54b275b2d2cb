/* test_model_parse -- the scoring model text format: parsing, canonical
 * printing and round trips, error positions and messages, the builder API
 * giving the same model, expressions, and allocation failures on the
 * parse / build / compile paths. */
#include "failalloc.h"
#include "funnelcore.h"
#include "funnelcore.h"
#include "test.h"

#define DAY INT64_C(86400000)

static const char *example =
    "# the issue's example, in the documented syntax\n"
    "model \"enterprise\" version 1\n"
    "decay half_life 30d\n"
    "fit title contains \"director\" +10\n"
    "fit company_size between 200 and 5000 +15\n"
    "fit email freemail -20\n"
    "fit email domain in (rival.com, \"other.io\") -100\n"
    "fit Country IN (\"DE\", at, ch) and industry not equals student +2.5\n"
    "engage type = pricing_view +5 cap 25 per_window 3 in 7d\n"
    "engage type = unsubscribe -50\n"
    "engage channel = email and value >= 1000 +0.125\n"
    "key_event \"pricing x3\" when type = pricing_view count 3 within 7d +20\n"
    "key_event trial when type = trial_request +30\n"
    "grade A fit >= 40\n"
    "grade B fit >= 25\n"
    "band 1 engagement >= 60\n"
    "threshold mql when score >= 60 and grade >= B\n"
    "threshold hot when (band <= 2 or key_event trial) and not cell = D4\n"
    "account rollup top 3\n"
    "account engaged when engagement >= 10\n"
    "account roles decision_maker, economic_buyer\n";

static const char *canonical =
    "model \"enterprise\" version 1\n"
    "decay half_life 30d\n"
    "fit title contains director +10\n"
    "fit company_size between 200 and 5000 +15\n"
    "fit email freemail -20\n"
    "fit email domain in (rival.com, other.io) -100\n"
    "fit country in (DE, at, ch) and industry != student +2.5\n"
    "engage type = pricing_view +5 cap 25 per_window 3 in 7d\n"
    "engage type = unsubscribe -50\n"
    "engage channel = email and value >= 1000 +0.125\n"
    "key_event \"pricing x3\" when type = pricing_view count 3 within 7d +20\n"
    "key_event \"trial\" when type = trial_request +30\n"
    "grade A fit >= 40\n"
    "grade B fit >= 25\n"
    "band 1 engagement >= 60\n"
    "threshold mql when score >= 60 and grade >= B\n"
    "threshold hot when (band <= 2 or key_event \"trial\") and not cell = D4\n"
    "account rollup top 3\n"
    "account engaged when engagement >= 10\n"
    "account roles decision_maker, economic_buyer\n";

static int text_of(const fnl_model *m, char *buf, size_t cap)
{
    size_t len;
    return fnl_model_to_text(m, buf, cap, &len);
}

TEST(example_parses_to_canonical_text_and_round_trips)
{
    fnl_model *m, *m2;
    fnl_parse_error err = FNL_PARSE_ERROR_INIT;
    char buf[4096], buf2[4096];
    fnl_model_info info = FNL_MODEL_INFO_INIT;
    CHECK_OK(fnl_model_parse(&m, example, strlen(example), NULL, &err));
    CHECK_STR(err.message, "");
    CHECK_OK(text_of(m, buf, sizeof(buf)));
    CHECK_STR(buf, canonical);
    CHECK_STR(fnl_model_name(m), "enterprise");
    CHECK_OK(fnl_model_get_info(m, &info));
    CHECK_INT(info.version, 1);
    CHECK_INT(info.half_life, 30 * DAY);
    CHECK_INT(info.fit_rules, 5);
    CHECK_INT(info.engage_rules, 3);
    CHECK_INT(info.key_events, 2);
    CHECK_INT(info.thresholds, 2);
    CHECK_STR(fnl_model_key_event_name(m, 0), "pricing x3");
    CHECK(fnl_model_key_event_name(m, 2) == NULL);
    /* canonical text parses back to the same text, byte for byte */
    CHECK_OK(fnl_model_parse(&m2, buf, strlen(buf), NULL, &err));
    CHECK_OK(text_of(m2, buf2, sizeof(buf2)));
    CHECK_STR(buf2, buf);
    fnl_model_free(m);
    fnl_model_free(m2);
}

TEST(to_text_reports_needed_size_and_writes_nothing_when_short)
{
    fnl_model *m;
    char buf[8];
    size_t len = 0;
    const char *t = "model m\n";
    const char *want = "model \"m\" version 1\ndecay none\naccount rollup sum\n"
                       "account roles user, influencer, decision_maker, "
                       "economic_buyer\n";
    CHECK_OK(fnl_model_parse(&m, t, strlen(t), NULL, NULL));
    memset(buf, 'x', sizeof(buf));
    CHECK_INT(fnl_model_to_text(m, buf, sizeof(buf), &len), FNL_ERANGE);
    CHECK_INT(len, strlen(want));
    CHECK(buf[0] == 'x');
    CHECK_INT(fnl_model_to_text(m, NULL, 0, &len), FNL_ERANGE);
    CHECK_INT(fnl_model_to_text(m, NULL, 5, &len), FNL_EINVAL);
    {
        char big[256];
        CHECK_OK(fnl_model_to_text(m, big, len + 1, &len));
        CHECK_STR(big, want);
    }
    fnl_model_free(m);
}

TEST(numbers_and_durations_print_exactly)
{
    fnl_model *m;
    char buf[1024];
    const char *t =
        "model n\n"
        "decay half_life 90m\n"
        "fit a >= 0.1 +0.000000001\n"
        "fit a < -7.25 -1000000000000\n"
        "engage type = x +1 per_window 1 in 36h\n"
        "engage type = y +1 per_window 2 in 1500ms\n"
        "key_event k when type = z within 2w +0\n";
    const char *want =
        "model \"n\" version 1\n"
        "decay half_life 90m\n"
        "fit a >= 0.1 +0.000000001\n"
        "fit a < -7.25 -1000000000000\n"
        "engage type = x +1 per_window 1 in 36h\n"
        "engage type = y +1 per_window 2 in 1500ms\n"
        "key_event \"k\" when type = z within 14d +0\n";
    CHECK_OK(fnl_model_parse(&m, t, strlen(t), NULL, NULL));
    CHECK_OK(text_of(m, buf, sizeof(buf)));
    CHECK(strncmp(buf, want, strlen(want)) == 0);
    fnl_model_free(m);
}

typedef struct bad_case {
    const char *text;
    int rc;
    uint32_t line, column;
    const char *message;
} bad_case;

TEST(parse_errors_give_line_column_and_message)
{
    static const bad_case cases[] = {
        {"model m\nfitt x = y +1\n", FNL_EINVAL, 2, 1,
         "unknown keyword 'fitt'"},
        {"model m\nfit title contains \"x\" 10\n", FNL_EINVAL, 2, 24,
         "points need a sign, e.g. +10 or -5 '10'"},
        {"model m\n\nengage typ = x +1\n", FNL_EINVAL, 3, 8,
         "unknown touch field 'typ'"},
        {"model m\ndecay half_life 30y\n", FNL_EINVAL, 2, 19,
         "unknown duration unit (use ms, s, m, h, d or w)"},
        {"model m\nfit t = \"abc +1\n", FNL_EINVAL, 2, 9,
         "unterminated string"},
        {"model m\nthreshold x when key_event nope\n", FNL_EINVAL, 2, 28,
         "unknown key event"},
        {"model m\nthreshold x when scor >= 1\n", FNL_EINVAL, 2, 18,
         "unknown term (expected score, fit, engagement, grade, band, cell, "
         "key_event, not or '(')"},
        {"model m\ngrade A fit >= 10\ngrade B fit >= 20\n", FNL_EINVAL, 3, 1,
         "grade thresholds must not increase from A to C"},
        {"fit x exists +1\n", FNL_EINVAL, 1, 1,
         "a model starts with 'model \"name\"'; found 'fit'"},
        {"# nothing\n\n", FNL_EINVAL, 1, 1,
         "empty model: expected 'model \"name\"'"},
        {"model m\nkey_event a when type = x +1\nkey_event A when type = y +1\n",
         FNL_EEXIST, 3, 1, "a key event of that name exists"},
        {"model m\nfit x wibble 3 +1\n", FNL_EINVAL, 2, 7,
         "unknown test (expected =, !=, equals, in, contains, starts_with, "
         "ends_with, exists, missing, >=, >, <=, <, between, domain or "
         "freemail) 'wibble'"},
        {"model m\nengage type = x +1 cap\n", FNL_EINVAL, 2, 23,
         "cap needs a positive number"},
        {"model m\nengage value contains x +1\n", FNL_EINVAL, 2, 1,
         "\"value\" takes numeric comparisons only"},
        {"model m\nengage type freemail +1\n", FNL_EINVAL, 2, 13,
         "freemail applies to profile attributes only 'freemail'"},
        {"model m\nfit a between 5 and 1 +1\n", FNL_EINVAL, 2, 1,
         "between: the low bound exceeds the high bound"},
        {"model m\nfit a >= 1.0000000001 +1\n", FNL_EINVAL, 2, 10,
         "malformed number (at most 9 decimals and 15 digits)"},
        {"model m\nfit a exists +1 extra\n", FNL_EINVAL, 2, 17,
         "unexpected text at the end of the statement 'extra'"},
        {"model m\nmodel n\n", FNL_EINVAL, 2, 1,
         "a file holds one model; second 'model'"},
        {"model m\nengage type = x +1 per_window 300 in 1d\n", FNL_ELIMIT, 2,
         31, "per_window needs a count of 1..256 '300'"},
        {"model m\nfit a = \"\xff\" +1\n", FNL_EINVAL, 2, 1, "invalid UTF-8"},
    };
    size_t i;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fnl_model *m = (fnl_model *)&i; /* must stay untouched */
        fnl_parse_error err = FNL_PARSE_ERROR_INIT;
        int rc = fnl_model_parse(&m, cases[i].text, strlen(cases[i].text),
                                 NULL, &err);
        if (rc != cases[i].rc || err.line != cases[i].line ||
            err.column != cases[i].column ||
            strcmp(err.message, cases[i].message) != 0)
            fprintf(stderr, "case %zu: rc %d line %u col %u: %s\n", i, rc,
                    err.line, err.column, err.message);
        CHECK_INT(rc, cases[i].rc);
        CHECK_INT(err.line, cases[i].line);
        CHECK_INT(err.column, cases[i].column);
        CHECK_STR(err.message, cases[i].message);
        CHECK(m == (fnl_model *)&i);
    }
}

TEST(unknown_attributes_are_allowed)
{
    fnl_model *m;
    const char *t = "model m\nfit no_such_attribute.ever exists +1\n";
    CHECK_OK(fnl_model_parse(&m, t, strlen(t), NULL, NULL));
    fnl_model_free(m);
}

TEST(too_many_engagement_rules_is_a_limit)
{
    char text[8192];
    size_t n = 0;
    int i;
    fnl_model *m;
    fnl_parse_error err = FNL_PARSE_ERROR_INIT;
    n += (size_t)snprintf(text + n, sizeof(text) - n, "model m\n");
    for (i = 0; i < 65; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n,
                              "engage type = t%d +1\n", i);
    CHECK_INT(fnl_model_parse(&m, text, n, NULL, &err), FNL_ELIMIT);
    CHECK_INT(err.line, 66);
    CHECK_STR(err.message, "too many engagement rules");
}

/* The example model, through the builder. */
static int build_example(fnl_model **out, const fnl_allocator *alloc)
{
    fnl_model_builder *b;
    fnl_fit_rule fr = FNL_FIT_RULE_INIT;
    fnl_engage_rule er = FNL_ENGAGE_RULE_INIT;
    fnl_key_event_rule kr = FNL_KEY_EVENT_RULE_INIT;
    static const char *director[] = {"director"};
    static const char *doms[] = {"rival.com", "other.io"};
    static const char *countries[] = {"DE", "at", "ch"};
    static const char *student[] = {"student"};
    static const char *pv[] = {"pricing_view"}, *unsub[] = {"unsubscribe"},
                      *email[] = {"email"}, *trial[] = {"trial_request"};
    fnl_match c[2];
    int rc;
    memset(c, 0, sizeof(c));
    if ((rc = fnl_model_builder_new(&b, "enterprise", alloc)) != FNL_OK)
        return rc;
#define TRY(x) do { if ((rc = (x)) != FNL_OK) goto out; } while (0)
    TRY(fnl_model_builder_decay(b, 30 * DAY));
    fr.conds = c, fr.cond_count = 1;
    c[0].name = "title", c[0].op = FNL_MATCH_CONTAINS, c[0].values = director,
    c[0].value_count = 1, fr.points = 10;
    TRY(fnl_model_builder_fit(b, &fr));
    memset(c, 0, sizeof(c));
    c[0].name = "company_size", c[0].op = FNL_MATCH_BETWEEN, c[0].num1 = 200,
    c[0].num2 = 5000, fr.points = 15;
    TRY(fnl_model_builder_fit(b, &fr));
    memset(c, 0, sizeof(c));
    c[0].name = "email", c[0].op = FNL_MATCH_FREEMAIL, fr.points = -20;
    TRY(fnl_model_builder_fit(b, &fr));
    c[0].op = FNL_MATCH_DOMAIN, c[0].values = doms, c[0].value_count = 2,
    fr.points = -100;
    TRY(fnl_model_builder_fit(b, &fr));
    memset(c, 0, sizeof(c));
    c[0].name = "Country", c[0].op = FNL_MATCH_IN, c[0].values = countries,
    c[0].value_count = 3;
    c[1].name = "industry", c[1].op = FNL_MATCH_EQUALS, c[1].negate = 1,
    c[1].values = student, c[1].value_count = 1;
    fr.cond_count = 2, fr.points = 2.5;
    TRY(fnl_model_builder_fit(b, &fr));
    memset(c, 0, sizeof(c));
    er.conds = c, er.cond_count = 1;
    c[0].name = "type", c[0].op = FNL_MATCH_EQUALS, c[0].values = pv,
    c[0].value_count = 1;
    er.points = 5, er.cap = 25, er.window_count = 3, er.window_ms = 7 * DAY;
    TRY(fnl_model_builder_engage(b, &er));
    c[0].values = unsub, er.points = -50, er.cap = 0, er.window_count = 0,
    er.window_ms = 0;
    TRY(fnl_model_builder_engage(b, &er));
    c[0].name = "channel", c[0].values = email;
    c[1].name = "value", c[1].op = FNL_MATCH_GE, c[1].num1 = 1000;
    er.cond_count = 2, er.points = 0.125;
    TRY(fnl_model_builder_engage(b, &er));
    memset(c, 0, sizeof(c));
    c[0].name = "type", c[0].op = FNL_MATCH_EQUALS, c[0].values = pv,
    c[0].value_count = 1;
    kr.name = "pricing x3", kr.conds = c, kr.cond_count = 1, kr.count = 3,
    kr.within_ms = 7 * DAY, kr.points = 20;
    TRY(fnl_model_builder_key_event(b, &kr));
    c[0].values = trial;
    kr.name = "trial", kr.count = 1, kr.within_ms = 0, kr.points = 30;
    TRY(fnl_model_builder_key_event(b, &kr));
    TRY(fnl_model_builder_grade(b, 'A', 40));
    TRY(fnl_model_builder_grade(b, 'b', 25));
    TRY(fnl_model_builder_band(b, 1, 60));
    TRY(fnl_model_builder_threshold(b, "mql", "score >= 60 and grade >= B",
                                    NULL));
    TRY(fnl_model_builder_threshold(
        b, "hot", "(band <= 2 or key_event trial) and not cell in (D4)", NULL));
    TRY(fnl_model_builder_rollup(b, FNL_ROLLUP_TOP, 3));
    TRY(fnl_model_builder_engaged(b, "engagement>=10", NULL));
    TRY(fnl_model_builder_roles(b, (1u << FNL_ROLE_DECISION_MAKER) |
                                       (1u << FNL_ROLE_ECONOMIC_BUYER)));
    TRY(fnl_model_builder_finish(b, out));
#undef TRY
out:
    fnl_model_builder_free(b);
    return rc;
}

TEST(builder_gives_the_same_model_as_the_text)
{
    fnl_model *m;
    char buf[4096];
    CHECK_OK(build_example(&m, NULL));
    CHECK_OK(text_of(m, buf, sizeof(buf)));
    CHECK_STR(buf, canonical);
    fnl_model_free(m);
}

TEST(builder_rejects_bad_rules_and_changes_nothing)
{
    fnl_model_builder *b;
    fnl_model *m;
    fnl_fit_rule fr = FNL_FIT_RULE_INIT;
    fnl_engage_rule er = FNL_ENGAGE_RULE_INIT;
    fnl_match c;
    static const char *v[] = {"x"};
    char buf[512];
    fnl_parse_error err = FNL_PARSE_ERROR_INIT;
    CHECK_INT(fnl_model_builder_new(&b, "", NULL), FNL_EINVAL);
    CHECK_OK(fnl_model_builder_new(&b, "m", NULL));
    memset(&c, 0, sizeof(c));
    fr.conds = &c, fr.cond_count = 1;
    c.name = "a", c.op = FNL_MATCH_GE, c.num1 = 1.0 / 3.0, fr.points = 1;
    CHECK_INT(fnl_model_builder_fit(b, &fr), FNL_EINVAL); /* not exact */
    c.num1 = 1, fr.points = 0.1 + 0.2;                   /* 0.30000000000000004 */
    CHECK_INT(fnl_model_builder_fit(b, &fr), FNL_EINVAL);
    c.name = "9lives", fr.points = 1;
    CHECK_INT(fnl_model_builder_fit(b, &fr), FNL_EINVAL);
    c.name = "a", c.op = 99;
    CHECK_INT(fnl_model_builder_fit(b, &fr), FNL_EINVAL);
    c.op = FNL_MATCH_GE, c.negate = 1;
    CHECK_INT(fnl_model_builder_fit(b, &fr), FNL_EINVAL);
    memset(&c, 0, sizeof(c));
    er.conds = &c, er.cond_count = 1, er.points = 1;
    c.name = "channel", c.op = FNL_MATCH_GE, c.num1 = 1;
    CHECK_INT(fnl_model_builder_engage(b, &er), FNL_EINVAL);
    c.op = FNL_MATCH_DOMAIN, c.values = v, c.value_count = 1;
    CHECK_INT(fnl_model_builder_engage(b, &er), FNL_EINVAL);
    c.op = FNL_MATCH_EQUALS, er.window_count = 2, er.window_ms = 0;
    CHECK_INT(fnl_model_builder_engage(b, &er), FNL_EINVAL);
    er.window_count = 0, er.cap = -1;
    CHECK_INT(fnl_model_builder_engage(b, &er), FNL_EINVAL);
    CHECK_INT(fnl_model_builder_threshold(b, "x", "grade >= E", &err),
              FNL_EINVAL);
    CHECK_INT(err.column, 10);
    CHECK_STR(err.message, "expected a grade A..D");
    CHECK_INT(fnl_model_builder_threshold(b, "Bad", "score > 1", NULL),
              FNL_EINVAL);
    CHECK_INT(fnl_model_builder_band(b, 4, 1), FNL_EINVAL);
    CHECK_INT(fnl_model_builder_roles(b, 1), FNL_EINVAL);
    CHECK_INT(fnl_model_builder_rollup(b, FNL_ROLLUP_TOP, 0), FNL_EINVAL);
    CHECK_OK(fnl_model_builder_band(b, 1, 10));
    CHECK_OK(fnl_model_builder_band(b, 2, 20));
    CHECK_INT(fnl_model_builder_finish(b, &m), FNL_EINVAL); /* 1 < 2 */
    CHECK_OK(fnl_model_builder_band(b, 2, 5));
    CHECK_OK(fnl_model_builder_finish(b, &m));
    /* spent */
    CHECK_INT(fnl_model_builder_version(b, 2), FNL_EINVAL);
    CHECK_INT(fnl_model_builder_finish(b, &m), FNL_EINVAL);
    fnl_model_builder_free(b);
    CHECK_OK(text_of(m, buf, sizeof(buf)));
    CHECK_STR(buf, "model \"m\" version 1\ndecay none\n"
                   "band 1 engagement >= 10\nband 2 engagement >= 5\n"
                   "account rollup sum\naccount roles user, influencer, "
                   "decision_maker, economic_buyer\n");
    fnl_model_free(m);
}

TEST(expressions_parse_print_and_evaluate)
{
    fnl_model *m;
    char buf[4096];
    fnl_score_expr *x;
    fnl_score_result r = FNL_SCORE_RESULT_INIT;
    fnl_parse_error err = FNL_PARSE_ERROR_INIT;
    int v;
    const char *t =
        "model m\nkey_event k when type = x +1\n"
        "threshold a when score >= 1 or fit > 2 and engagement < 3\n"
        "threshold b when (score >= 1 or fit > 2) and not not band != 4\n"
        "threshold c when score >= 1 or (fit > 2 or grade = A)\n"
        "threshold d when cell in (b2, A1, D4) and key_event K\n";
    CHECK_OK(fnl_model_parse(&m, t, strlen(t), NULL, &err));
    CHECK_OK(text_of(m, buf, sizeof(buf)));
    CHECK(strstr(buf, "threshold a when score >= 1 or fit > 2 and "
                      "engagement < 3\n") != NULL);
    CHECK(strstr(buf, "threshold b when (score >= 1 or fit > 2) and not not "
                      "band != 4\n") != NULL);
    CHECK(strstr(buf, "threshold c when score >= 1 or (fit > 2 or grade = A)\n")
          != NULL);
    CHECK(strstr(buf, "threshold d when cell in (A1, B2, D4) and key_event "
                      "\"k\"\n") != NULL);
    /* and binds tighter than or: a = score>=1 or (fit>2 and eng<3) */
    r.total = 0, r.fit = 3, r.engagement = 5, r.grade[0] = 'B', r.band = 2;
    r.key_events = 1;
    {
        const char *e = "score >= 1 or fit > 2 and engagement < 3";
        CHECK_OK(fnl_score_expr_parse(&x, e, strlen(e), m, NULL, NULL));
    }
    CHECK_OK(fnl_score_expr_eval(x, &r, &v));
    CHECK_INT(v, 0);
    r.engagement = 2;
    CHECK_OK(fnl_score_expr_eval(x, &r, &v));
    CHECK_INT(v, 1);
    fnl_score_expr_free(x);
    CHECK_OK(fnl_score_expr_parse(&x, "cell in (B2) and key_event k", 28, m,
                                  NULL, NULL));
    CHECK_OK(fnl_score_expr_eval(x, &r, &v));
    CHECK_INT(v, 1);
    r.key_events = 0;
    CHECK_OK(fnl_score_expr_eval(x, &r, &v));
    CHECK_INT(v, 0);
    fnl_score_expr_free(x);
    /* grade >= B: A or B */
    CHECK_OK(fnl_score_expr_parse(&x, "grade >= b", 10, NULL, NULL, NULL));
    r.grade[0] = 'A';
    CHECK_OK(fnl_score_expr_eval(x, &r, &v));
    CHECK_INT(v, 1);
    r.grade[0] = 'C';
    CHECK_OK(fnl_score_expr_eval(x, &r, &v));
    CHECK_INT(v, 0);
    fnl_score_expr_free(x);
    CHECK_INT(fnl_score_expr_parse(&x, "key_event k", 11, NULL, NULL, &err),
              FNL_EINVAL);
    CHECK_STR(err.message, "key_event needs a model");
    CHECK_INT(fnl_score_expr_parse(&x, "score >= 1 )", 12, NULL, NULL, &err),
              FNL_EINVAL);
    CHECK_INT(err.column, 12);
    fnl_model_free(m);
}

/* Fail every allocation in turn: each failure is FNL_ENOMEM, nothing is
 * produced, nothing leaks; once no failure fires, the call succeeds. */
TEST(parse_survives_every_allocation_failure)
{
    failalloc fa;
    fnl_allocator a;
    long n;
    int ok = 0;
    memset(&fa, 0, sizeof(fa));
    a = fa_table(&fa);
    for (n = 0; n < 5000 && !ok; n++) {
        fnl_model *m = NULL;
        fnl_parse_error err = FNL_PARSE_ERROR_INIT;
        int rc;
        fa_arm(&fa, n, 0);
        rc = fnl_model_parse(&m, example, strlen(example), &a, &err);
        if (fa.fired == 0) {
            CHECK_OK(rc);
            ok = 1;
        } else {
            CHECK_INT(rc, FNL_ENOMEM);
            CHECK(m == NULL);
            CHECK_STR(err.message, "out of memory");
            CHECK_INT(err.line, 0);
        }
        fnl_model_free(m);
        CHECK_INT(fa.outstanding, 0);
    }
    CHECK(ok);
    CHECK(n > 20);
}

TEST(build_survives_every_allocation_failure)
{
    failalloc fa;
    fnl_allocator a;
    long n;
    int ok = 0;
    memset(&fa, 0, sizeof(fa));
    a = fa_table(&fa);
    for (n = 0; n < 5000 && !ok; n++) {
        fnl_model *m = NULL;
        int rc;
        fa_arm(&fa, n, 0);
        rc = build_example(&m, &a);
        if (fa.fired == 0) {
            char buf[4096];
            CHECK_OK(rc);
            CHECK_OK(text_of(m, buf, sizeof(buf)));
            CHECK_STR(buf, canonical);
            ok = 1;
        } else {
            CHECK_INT(rc, FNL_ENOMEM);
            CHECK(m == NULL);
        }
        fnl_model_free(m);
        CHECK_INT(fa.outstanding, 0);
    }
    CHECK(ok);
}

TEST(expression_parse_survives_every_allocation_failure)
{
    failalloc fa;
    fnl_allocator a;
    long n;
    int ok = 0;
    const char *t = "(score >= 1 or fit > 2) and not band = 4 or cell = A1";
    memset(&fa, 0, sizeof(fa));
    a = fa_table(&fa);
    for (n = 0; n < 100 && !ok; n++) {
        fnl_score_expr *x = NULL;
        int rc;
        fa_arm(&fa, n, 0);
        rc = fnl_score_expr_parse(&x, t, strlen(t), NULL, &a, NULL);
        if (fa.fired == 0) {
            CHECK_OK(rc);
            ok = 1;
        } else {
            CHECK_INT(rc, FNL_ENOMEM);
            CHECK(x == NULL);
        }
        fnl_score_expr_free(x);
        CHECK_INT(fa.outstanding, 0);
    }
    fa_disarm(&fa);
    CHECK(ok);
}

int main(void)
{
    RUN(example_parses_to_canonical_text_and_round_trips);
    RUN(to_text_reports_needed_size_and_writes_nothing_when_short);
    RUN(numbers_and_durations_print_exactly);
    RUN(parse_errors_give_line_column_and_message);
    RUN(unknown_attributes_are_allowed);
    RUN(too_many_engagement_rules_is_a_limit);
    RUN(builder_gives_the_same_model_as_the_text);
    RUN(builder_rejects_bad_rules_and_changes_nothing);
    RUN(expressions_parse_print_and_evaluate);
    RUN(parse_survives_every_allocation_failure);
    RUN(build_survives_every_allocation_failure);
    RUN(expression_parse_survives_every_allocation_failure);
    TEST_MAIN_END();
}
