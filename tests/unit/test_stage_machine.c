/* test_stage_machine -- the machine text format and builder: the default
 * machine's exact text, canonical round trips, error positions and
 * messages, the builder API giving the same machine as the text, lookups,
 * and allocation failures on parse, on every builder call and on finish:
 * every failure is FNL_ENOMEM, leaks nothing and changes nothing. */
#include "failalloc.h"
#include "stage.h"
#include "test.h"

static const char *default_text =
    "machine \"waterfall\" version 1\n"
    "stage inquiry initial\n"
    "stage mql\n"
    "stage sal\n"
    "stage sql\n"
    "stage opportunity\n"
    "stage customer closed\n"
    "stage nurture side\n"
    "stage recycled side\n"
    "stage disqualified side closed\n"
    "fallback queue \"unassigned\"\n"
    "transition inquiry -> mql when threshold \"mql\"\n"
    "transition nurture -> mql on touch when threshold \"mql\"\n"
    "transition recycled -> mql on touch when threshold \"mql\"\n"
    "transition mql -> sal on event sales_accept\n"
    "transition mql -> recycled back on event sales_reject\n"
    "transition sal -> sql on event sales_qualify\n"
    "transition sal -> recycled back on event sales_reject\n"
    "transition sql -> recycled back on event sales_reject\n"
    "transition * -> opportunity on event opportunity_created\n"
    "transition * -> customer on event deal_won\n"
    "transition opportunity -> recycled back on event deal_lost\n"
    "transition * -> disqualified back on event disqualify priority 100\n"
    "transition mql -> nurture back on idle 30d\n"
    "transition recycled -> nurture back on idle 30d\n"
    "route on mql to account_owner\n"
    "route on sal to account_owner\n"
    "sla mql accept within 2d\n"
    "sla sal first_touch touch by owner within 1d\n"
    "sla sal call_attempts touch 3 by owner type = \"call\" within 5d\n";

/* Every statement form, written loosely (case, spacing, comments, bare
 * words, defaults) ... */
static const char *loose =
    "# a full example\n"
    "MACHINE \"Full \\\"one\\\"\"  version 7   # trailing comment\n"
    "\n"
    "stage Inquiry\n"
    "stage mql initial\n"
    "stage sal closed\n"
    "stage parked side\n"
    "group apac_sdr members li, \"wang\" ,\"王伟\"\n"
    "route on mql when region = APAC and attr priority >= 2.5 to group "
    "apac_sdr least_loaded\n"
    "route on mql to account_owner\n"
    "route on sal when not (industry in (a, b) or title contains \"VP\") to "
    "owner \"ana\"\n"
    "fallback queue \"triage\"\n"
    "transition inquiry->mql when score >= 60 and grade >= b priority 10\n"
    "transition mql -> sal on event SALES_ACCEPT\n"
    "transition * -> sal on key_event trial when band(\"m2\") <= 2\n"
    "transition mql -> parked back on idle 720h when not owned\n"
    "transition parked -> mql on touch channel = wechat type = demo when "
    "source_channel exists\n"
    "transition sal -> parked back on event sales_reject reason bad_fit\n"
    "transition parked -> sal on stay 90m when (fit > -5 or engagement < 1) "
    "and reached sal and stage = parked\n"
    "sla mql accept within 48h calendar \"mon-fri 9:00\" \n";

static int text_of(const fnl_machine *m, char *buf, size_t cap)
{
    size_t len;
    return fnl_machine_to_text(m, buf, cap, &len);
}

TEST(default_machine_text_is_exact_and_round_trips)
{
    fnl_machine *m, *m2;
    static char buf[8192], buf2[8192];
    size_t len;
    CHECK_OK(fnl_machine_default(&m, NULL));
    CHECK_OK(text_of(m, buf, sizeof(buf)));
    CHECK_STR(buf, default_text);
    /* to_text: exact size reporting */
    CHECK_INT(fnl_machine_to_text(m, buf2, 10, &len), FNL_ERANGE);
    CHECK_INT(len, strlen(default_text));
    CHECK_INT(fnl_machine_to_text(m, buf2, len, &len), FNL_ERANGE);
    CHECK_OK(fnl_machine_to_text(m, buf2, len + 1, &len));
    CHECK_OK(fnl_machine_parse(&m2, buf, strlen(buf), NULL, NULL));
    CHECK_OK(text_of(m2, buf2, sizeof(buf2)));
    CHECK_STR(buf2, buf);
    CHECK_STR(fnl_machine_name(m), "waterfall");
    CHECK_INT(fnl_machine_version(m), 1);
    CHECK_INT(fnl_machine_stage_count(m), 9);
    fnl_machine_free(m);
    fnl_machine_free(m2);
}

TEST(loose_text_prints_canonically_and_round_trips)
{
    fnl_machine *m, *m2;
    fnl_parse_error err = FNL_PARSE_ERROR_INIT;
    static char buf[8192], buf2[8192];
    const char *calendar_fixed;
    char *fixed;
    size_t n;
    /* the calendar in `loose` is malformed on purpose: check the error
     * first (line 20, at the calendar's first bad byte) */
    CHECK_INT(fnl_machine_parse(&m, loose, strlen(loose), NULL, &err),
              FNL_EINVAL);
    CHECK_INT(err.line, 20);
    CHECK(strstr(err.message, "HH:MM") != NULL);
    calendar_fixed = "sla mql accept within 48h calendar "
                     "\"mon-fri 09:00-18:00 +08:00\"\n";
    n = strlen(loose);
    fixed = malloc(n + 100);
    memcpy(fixed, loose, n);
    strcpy(strstr(fixed, "sla mql"), calendar_fixed);
    CHECK_OK(fnl_machine_parse(&m, fixed, strlen(fixed), NULL, &err));
    CHECK_OK(text_of(m, buf, sizeof(buf)));
    CHECK_STR(buf,
        "machine \"Full \\\"one\\\"\" version 7\n"
        "stage inquiry\n"
        "stage mql initial\n"
        "stage sal closed\n"
        "stage parked side\n"
        "group apac_sdr members \"li\", \"wang\", \"王伟\"\n"
        "fallback queue \"triage\"\n"
        "transition inquiry -> mql when score >= 60 and grade >= B "
        "priority 10\n"
        "transition mql -> sal on event sales_accept\n"
        "transition * -> sal on key_event \"trial\" when band(\"m2\") <= 2\n"
        "transition mql -> parked back on idle 30d when not owned\n"
        "transition parked -> mql on touch type = \"demo\" channel = "
        "\"wechat\" when source_channel exists\n"
        "transition sal -> parked back on event sales_reject reason "
        "\"bad_fit\"\n"
        "transition parked -> sal on stay 90m when (fit > -5 or engagement "
        "< 1) and reached sal and stage = parked\n"
        "route on mql when region = \"APAC\" and attr priority >= 2.5 to "
        "group apac_sdr least_loaded\n"
        "route on mql to account_owner\n"
        "route on sal when not (industry in (\"a\", \"b\") or title contains "
        "\"VP\") to owner \"ana\"\n"
        "sla mql accept within 48h calendar \"Mon-Fri 09:00-18:00 +08:00\"\n");
    CHECK_OK(fnl_machine_parse(&m2, buf, strlen(buf), NULL, &err));
    CHECK_OK(text_of(m2, buf2, sizeof(buf2)));
    CHECK_STR(buf2, buf);
    free(fixed);
    fnl_machine_free(m);
    fnl_machine_free(m2);
}

static const struct {
    const char *text;
    int rc;
    uint32_t line, col;
    const char *msg;
} errors[] = {
    {"stage a\n", FNL_EINVAL, 1, 1, "expected 'machine"},
    {"machine \"m\" version 1\nstage a\nstage a\n", FNL_EEXIST, 3, 1,
     "stage defined twice: 'a'"},
    {"machine \"m\" version 1\nstage a initial\nstage b initial\n",
     FNL_EEXIST, 3, 1, "a second initial stage"},
    {"machine \"m\" version 1\nstage a\nstage b\ntransition a => b\n",
     FNL_EINVAL, 4, 14, "expected '->'"},
    {"machine \"m\" version 1\nstage a\nstage b\ntransition a -> c\n",
     FNL_EINVAL, 4, 17, "unknown stage 'c'"},
    {"machine \"m\" version 1\nstage a\nstage b\ntransition a -> b\n",
     FNL_EINVAL, 4, 1, "needs a trigger or a condition"},
    {"machine \"m\" version 1\nstage a\nstage b\n"
     "transition a -> b when score >= high\n", FNL_EINVAL, 4, 33,
     "expected a number"},
    {"machine \"m\" version 1\nstage a\nstage b\n"
     "transition a -> b when grade > E\n", FNL_EINVAL, 4, 32,
     "expected a grade A..D"},
    {"machine \"m\" version 1\nstage a\nstage b\n"
     "transition a -> b when stage >= zz\n", FNL_EINVAL, 4, 33,
     "unknown stage 'zz'"},
    {"machine \"m\" version 1\nstage a\nstage b\n"
     "transition a -> b when priority = 1\n", FNL_EINVAL, 4, 24,
     "expected a condition"},
    {"machine \"m\" version 1\nstage a\nstage b\n"
     "transition a -> b on idle 30x\n", FNL_EINVAL, 4, 27,
     "expected a duration"},
    {"machine \"m\" version 1\nstage a\nstage b\n"
     "transition a -> b on event x when (score > 1\n", FNL_EINVAL, 4, 45,
     "expected ')'"},
    {"machine \"m\" version 1\nstage a\nroute on a to group g\n",
     FNL_EINVAL, 3, 1, "unknown group 'g'"},
    {"machine \"m\" version 1\nstage a\nsla a accept within 1h\n"
     "sla a accept within 2h\n", FNL_EEXIST, 4, 1, "SLA defined twice"},
    {"machine \"m\" version 1\nstage a\nstep s on enter a notify\n",
     FNL_EINVAL, 3, 25, "expected a quoted action"},
    {"machine \"m\" version 1\nstage a\nstage b\n"
     "transition a -> b on event \"x\n", FNL_EINVAL, 4, 28,
     "unterminated string"},
    {"machine \"m\" version 1\nstage a extra\n", FNL_EINVAL, 2, 9,
     "unexpected text at the end of the line"},
};

TEST(errors_say_where_and_why)
{
    size_t i;
    for (i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
        fnl_machine *m = NULL;
        fnl_parse_error err = FNL_PARSE_ERROR_INIT;
        int rc = fnl_machine_parse(&m, errors[i].text, strlen(errors[i].text),
                                   NULL, &err);
        if (rc != errors[i].rc || err.line != errors[i].line ||
            err.column != errors[i].col ||
            strstr(err.message, errors[i].msg) == NULL)
            fprintf(stderr, "case %zu: rc %d %u:%u '%s'\n", i, rc, err.line,
                    err.column, err.message);
        CHECK_INT(rc, errors[i].rc);
        CHECK_INT(err.line, errors[i].line);
        CHECK_INT(err.column, errors[i].col);
        CHECK(strstr(err.message, errors[i].msg) != NULL);
        CHECK(m == NULL);
    }
}

static const char *built_text =
    "machine \"api\" version 3\n"
    "stage lead initial\n"
    "stage mql\n"
    "stage nurture side\n"
    "group sdr members \"ana\", \"bo\"\n"
    "fallback queue \"unassigned\"\n"
    "transition lead -> mql when score >= 60 and grade >= B priority 10\n"
    "transition mql -> nurture back on idle 30d\n"
    "transition nurture -> mql on touch type = \"trial_request\"\n"
    "route on mql when region = \"APAC\" to group sdr round_robin\n"
    "sla mql accept within 2d calendar \"Mon-Fri 09:00-18:00 +08:00\" "
    "breach reroute\n"
    "step welcome on enter mql notify \"owner\" unless stage >= mql and "
    "owned\n";

/* Build built_text through the API; returns the first failing status. */
static int build(const fnl_allocator *a, fnl_machine **out)
{
    fnl_machine_builder *b;
    fnl_transition_def t = FNL_TRANSITION_DEF_INIT;
    fnl_route_def r = FNL_ROUTE_DEF_INIT;
    fnl_sla_def s = FNL_SLA_DEF_INIT;
    fnl_step_def st = FNL_STEP_DEF_INIT;
    const char *members[2] = {"ana", "bo"};
    int rc;
    if ((rc = fnl_machine_builder_new(&b, "api", 3, a)) != FNL_OK)
        return rc;
#define TRY(x) do { if ((rc = (x)) != FNL_OK) goto done; } while (0)
    TRY(fnl_machine_builder_stage(b, "lead", FNL_STAGE_INITIAL));
    TRY(fnl_machine_builder_stage(b, "MQL", 0));
    TRY(fnl_machine_builder_stage(b, "nurture", FNL_STAGE_SIDE));
    TRY(fnl_machine_builder_group(b, "sdr", members, 2));
    TRY(fnl_machine_builder_fallback(b, "unassigned"));
    t.from = "lead";
    t.to = "mql";
    t.when = "score >= 60 and grade >= B";
    t.priority = 10;
    TRY(fnl_machine_builder_transition(b, &t, NULL));
    t.from = "mql";
    t.to = "nurture";
    t.back = 1;
    t.trigger = FNL_TRIGGER_IDLE;
    t.duration = INT64_C(30) * 86400000;
    t.when = NULL;
    t.priority = 0;
    TRY(fnl_machine_builder_transition(b, &t, NULL));
    t.from = "nurture";
    t.to = "mql";
    t.back = 0;
    t.trigger = FNL_TRIGGER_TOUCH;
    t.touch.type = "trial_request";
    TRY(fnl_machine_builder_transition(b, &t, NULL));
    r.stage = "mql";
    r.when = "region = \"APAC\"";
    r.target = FNL_ROUTE_GROUP;
    r.name = "sdr";
    TRY(fnl_machine_builder_route(b, &r, NULL));
    s.stage = "mql";
    s.within = INT64_C(2) * 86400000;
    s.within_days = 1;
    s.calendar = "Mon-Fri 09:00-18:00 +08:00";
    s.breach = FNL_SLA_BREACH_REROUTE;
    TRY(fnl_machine_builder_sla(b, &s, NULL));
    st.name = "welcome";
    st.stage = "mql";
    st.action = "owner";
    st.unless = "stage >= mql and owned";
    TRY(fnl_machine_builder_step(b, &st, NULL));
    TRY(fnl_machine_builder_finish(b, out));
#undef TRY
done:
    fnl_machine_builder_free(b);
    return rc;
}

TEST(builder_gives_the_same_machine_as_the_text)
{
    fnl_machine *m;
    fnl_machine_builder *b;
    fnl_transition_def t = FNL_TRANSITION_DEF_INIT;
    fnl_parse_error err = FNL_PARSE_ERROR_INIT;
    static char buf[4096];
    uint32_t idx;
    fnl_stage_info info = FNL_STAGE_INFO_INIT;
    CHECK_OK(build(NULL, &m));
    CHECK_OK(text_of(m, buf, sizeof(buf)));
    CHECK_STR(buf, built_text);
    CHECK_OK(fnl_machine_stage_find(m, "Mql", &idx));
    CHECK_INT(idx, 1);
    CHECK_INT(fnl_machine_stage_find(m, "sql", &idx), FNL_ENOTFOUND);
    CHECK_STR(fnl_machine_stage_name(m, 2), "nurture");
    CHECK(fnl_machine_stage_name(m, 3) == NULL);
    CHECK_OK(fnl_machine_stage_info(m, 1, &info));
    CHECK_INT(info.rank, 2);
    CHECK_INT(info.transitions, 1);
    CHECK_INT(info.slas, 1);
    CHECK_INT(info.routes, 1);
    CHECK_OK(fnl_machine_stage_info(m, 2, &info));
    CHECK_INT(info.rank, 0);
    CHECK_INT(info.flags, FNL_STAGE_SIDE);
    fnl_machine_free(m);
    /* a bad condition through the API: column within the condition */
    CHECK_OK(fnl_machine_builder_new(&b, "x", 1, NULL));
    CHECK_OK(fnl_machine_builder_stage(b, "a", 0));
    CHECK_OK(fnl_machine_builder_stage(b, "b", 0));
    t.from = "a";
    t.to = "b";
    t.when = "score >= 1 andd fit > 2";
    CHECK_INT(fnl_machine_builder_transition(b, &t, &err), FNL_EINVAL);
    CHECK_INT(err.column, 12);
    /* the spent-builder rule */
    CHECK_OK(fnl_machine_builder_finish(b, &m));
    CHECK_INT(fnl_machine_builder_stage(b, "c", 0), FNL_EINVAL);
    fnl_machine_builder_free(b);
    CHECK_INT(fnl_machine_stage_count(m), 2);
    fnl_machine_free(m);
    CHECK_STR(fnl_host_event_name(FNL_HOST_SALES_REJECT), "sales_reject");
    CHECK(fnl_host_event_name(0) == NULL);
}

TEST(allocation_failures_on_parse)
{
    failalloc fa = {-1, 0, 0, 0, 0};
    fnl_allocator a = fa_table(&fa);
    long n;
    int done = 0;
    for (n = 0; n < 5000 && !done; n++) {
        fnl_machine *m = NULL;
        fnl_parse_error err = FNL_PARSE_ERROR_INIT;
        int rc;
        fa_arm(&fa, n, 0);
        rc = fnl_machine_parse(&m, default_text, strlen(default_text), &a,
                               &err);
        if (fa.fired == 0) {
            CHECK_OK(rc);
            fnl_machine_free(m);
            done = 1;
        } else {
            CHECK_INT(rc, FNL_ENOMEM);
            CHECK(m == NULL);
            CHECK_STR(err.message, "out of memory");
            CHECK_INT(err.line, 0);
        }
        CHECK_INT(fa.outstanding, 0);
    }
    CHECK(done);
    /* the loop really walked through the allocations: the machine, its
     * 31 distinct strings and its arrays (40 allocations in all) */
    CHECK(n > 35);
}

TEST(allocation_failures_on_build_and_finish)
{
    failalloc fa = {-1, 0, 0, 0, 0};
    fnl_allocator a = fa_table(&fa);
    long n;
    int done = 0;
    static char buf[4096];
    for (n = 0; n < 5000 && !done; n++) {
        fnl_machine *m = NULL;
        int rc;
        fa_arm(&fa, n, 0);
        rc = build(&a, &m);
        if (fa.fired == 0) {
            CHECK_OK(rc);
            CHECK_OK(text_of(m, buf, sizeof(buf)));
            CHECK_STR(buf, built_text);
            fnl_machine_free(m);
            done = 1;
        } else {
            CHECK_INT(rc, FNL_ENOMEM);
        }
        CHECK_INT(fa.outstanding, 0);
    }
    CHECK(done);
}

TEST(a_failed_builder_call_changes_nothing)
{
    /* Each call of build() that fails under an injected failure is retried
     * after disarming: the machine must come out exactly as without
     * failures (a failed call added nothing half-way). */
    failalloc fa = {-1, 0, 0, 0, 0};
    fnl_allocator a = fa_table(&fa);
    fnl_machine_builder *b;
    fnl_transition_def t = FNL_TRANSITION_DEF_INIT;
    fnl_machine *m;
    static char buf[4096];
    long n;
    int rc;
    CHECK_OK(fnl_machine_builder_new(&b, "x", 1, &a));
    CHECK_OK(fnl_machine_builder_stage(b, "a", 0));
    CHECK_OK(fnl_machine_builder_stage(b, "b", 0));
    t.from = "a";
    t.to = "b";
    t.when = "region in (\"APAC\", \"EMEA\", \"LATAM\") and score(\"m\") > 3";
    for (n = 0;; n++) {
        fa_arm(&fa, n, 0);
        rc = fnl_machine_builder_transition(b, &t, NULL);
        fa_disarm(&fa);
        if (rc == FNL_OK)
            break;
        CHECK_INT(rc, FNL_ENOMEM);
    }
    CHECK(n > 3);
    CHECK_OK(fnl_machine_builder_finish(b, &m));
    CHECK_OK(text_of(m, buf, sizeof(buf)));
    CHECK_STR(buf, "machine \"x\" version 1\nstage a initial\nstage b\n"
                   "transition a -> b when region in (\"APAC\", \"EMEA\", "
                   "\"LATAM\") and score(\"m\") > 3\n");
    CHECK_INT(m->ntrans, 1);
    fnl_machine_builder_free(b);
    fnl_machine_free(m);
    CHECK_INT(fa.outstanding, 0);
}

int main(void)
{
    RUN(default_machine_text_is_exact_and_round_trips);
    RUN(loose_text_prints_canonically_and_round_trips);
    RUN(errors_say_where_and_why);
    RUN(builder_gives_the_same_machine_as_the_text);
    RUN(allocation_failures_on_parse);
    RUN(allocation_failures_on_build_and_finish);
    RUN(a_failed_builder_call_changes_nothing);
    TEST_MAIN_END();
}
