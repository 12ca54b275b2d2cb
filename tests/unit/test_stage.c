/* test_stage -- the stage machine's evaluation, scenario by scenario with a
 * deterministic clock: each guard kind (score and grade thresholds of a
 * named model, key events, touch matches, host events with reasons, idle
 * and time in stage, attributes), priorities, chaining, passed-through
 * stages, recycling, timers at their exact deadline, results independent
 * of tick frequency, merges, rejection feedback, and purity of eval. */
#include "test_stage_sim.h"

static const char *guards =
    "machine \"guards\" version 1\n"
    "stage a initial\n"
    "stage b\n"
    "stage c\n"
    "stage d\n"
    "stage parked side\n"
    "transition a -> b when score(\"m2\") >= 60 and grade(\"m2\") >= B\n"
    "transition a -> c on key_event \"trial\" priority 5\n"
    "transition a -> d on touch type = \"demo\" channel = \"wechat\"\n"
    "transition b -> c on event sales_reject reason \"bad_fit\"\n"
    "transition b -> d on event sales_reject\n"
    "transition b -> parked back on idle 10d\n"
    "transition c -> parked back on stay 3d\n"
    "transition c -> d when region = \"APAC\" and company_size >= 200\n";

TEST(new_contact_enters_the_initial_stage)
{
    sim s;
    CHECK_OK(sim_open(&s, NULL));
    CHECK_OK(sim_start(&s, 0, MON));
    CHECK_INT(s.st[0].stage, sim_stage(&s, "inquiry"));
    CHECK_INT(s.st[0].entered, MON);
    CHECK_INT(s.nlog, 1);
    CHECK_INT(s.log[0].kind, FNLI_REC_TRANSITION);
    CHECK_INT(s.log[0].from, FNLI_NO_STAGE);
    CHECK_INT(s.log[0].cause, FNLI_TRIG_START);
    /* starting twice is refused */
    CHECK_INT(sim_start(&s, 0, MON), FNL_EINVAL);
    /* anything but START on a fresh state is refused */
    CHECK_INT(sim_simple(&s, 1, FNLI_TRIG_RECHECK, MON), FNL_EINVAL);
    sim_close(&s);
}

TEST(score_and_grade_of_a_named_model)
{
    sim s;
    CHECK_OK(sim_open(&s, guards));
    CHECK_OK(sim_start(&s, 0, MON));
    /* m2 (views[1]) 59.5 points, grade A: score fails (59.5 < 60) */
    s.view[0][1].total = 59.5;
    s.view[0][1].grade = 'A';
    CHECK_OK(sim_simple(&s, 0, FNLI_TRIG_SCORE, MON + 1));
    CHECK_INT(s.st[0].stage, sim_stage(&s, "a"));
    /* 60 exactly with grade C: grade fails (C < B) */
    s.view[0][1].total = 60;
    s.view[0][1].grade = 'C';
    CHECK_OK(sim_simple(&s, 0, FNLI_TRIG_SCORE, MON + 2));
    CHECK_INT(s.st[0].stage, sim_stage(&s, "a"));
    /* the default model (views[0]) scoring 100 / A does not count */
    s.view[0][0].total = 100;
    s.view[0][0].grade = 'A';
    CHECK_OK(sim_simple(&s, 0, FNLI_TRIG_SCORE, MON + 3));
    CHECK_INT(s.st[0].stage, sim_stage(&s, "a"));
    /* 60 and B: both inclusive bounds hold */
    s.view[0][1].grade = 'B';
    CHECK_OK(sim_simple(&s, 0, FNLI_TRIG_SCORE, MON + 4));
    CHECK_INT(s.st[0].stage, sim_stage(&s, "b"));
    CHECK_INT(s.log[s.nlog - 1].time, MON + 4);
    CHECK_INT(s.log[s.nlog - 1].cause, FNLI_TRIG_SCORE);
    CHECK_INT(s.log[s.nlog - 1].rule, 0);
    /* without the m2 view the guard is false */
    CHECK_OK(sim_start(&s, 1, MON));
    s.nviews[1] = 1;
    s.view[1][1].total = 99;
    s.view[1][1].grade = 'A';
    CHECK_OK(sim_simple(&s, 1, FNLI_TRIG_SCORE, MON + 5));
    CHECK_INT(s.st[1].stage, sim_stage(&s, "a"));
    sim_close(&s);
}

TEST(key_event_and_touch_guards)
{
    sim s;
    fnli_stage_input in;
    const char *fired[1] = {"Trial"};
    CHECK_OK(sim_open(&s, guards));
    CHECK_OK(sim_start(&s, 0, MON));
    CHECK_OK(sim_start(&s, 1, MON));
    /* a touch of the right type on the wrong channel: no move */
    CHECK_OK(sim_touch(&s, 1, MON + 1, "demo", "email", 1, 0));
    CHECK_INT(s.st[1].stage, sim_stage(&s, "a"));
    /* type and channel match (case ignored): a -> d */
    CHECK_OK(sim_touch(&s, 1, MON + 2, "DEMO", "WeChat", 1, 0));
    CHECK_INT(s.st[1].stage, sim_stage(&s, "d"));
    /* a touch that fires key event "trial" AND matches the demo touch:
     * the key-event transition has priority 5 > 0, so a -> c */
    sim_input(&s, 0, FNLI_TRIG_TOUCH, MON + 3, &in);
    in.touch_type = "demo";
    in.touch_channel = "wechat";
    in.key_events = fired;
    in.nkey_events = 1;
    CHECK_OK(sim_eval(&s, 0, &in));
    CHECK_INT(s.st[0].stage, sim_stage(&s, "c"));
    CHECK_INT(s.log[s.nlog - 1].rule, 1);
    sim_close(&s);
}

TEST(host_event_with_reason)
{
    sim s;
    CHECK_OK(sim_open(&s, guards));
    s.view[0][1].total = s.view[1][1].total = 80;
    s.view[0][1].grade = s.view[1][1].grade = 'A';
    /* the score guard holds at creation, so start chains a -> b */
    CHECK_OK(sim_start(&s, 0, MON));
    CHECK_OK(sim_start(&s, 1, MON));
    CHECK_INT(s.st[0].stage, sim_stage(&s, "b"));
    CHECK_INT(s.nlog, 4);  /* two starts, two chained transitions */
    /* sales_reject with reason bad_fit takes the specific rule (first
     * defined, equal priority); another reason takes the generic one */
    CHECK_OK(sim_event(&s, 0, MON + HOUR, "sales_reject", "Bad_Fit", 7));
    CHECK_OK(sim_event(&s, 1, MON + HOUR, "sales_reject", "timing", 8));
    CHECK_INT(s.st[0].stage, sim_stage(&s, "c"));
    CHECK_INT(s.st[1].stage, sim_stage(&s, "d"));
    CHECK_INT(s.log[sim_find(&s, 0, FNLI_REC_TRANSITION, 2)].reason, 7);
    CHECK_INT(s.log[sim_find(&s, 0, FNLI_REC_TRANSITION, 2)].rule, 3);
    /* b (rank 2) -> d (rank 4) passes c, recorded with the same cause */
    CHECK_INT(s.log[sim_find(&s, 1, FNLI_REC_PASSED, 0)].to,
              sim_stage(&s, "c"));
    CHECK_INT(s.log[sim_find(&s, 1, FNLI_REC_TRANSITION, 2)].reason, 8);
    CHECK_INT(s.log[sim_find(&s, 1, FNLI_REC_TRANSITION, 2)].rule, 4);
    /* an event no transition of the stage knows changes nothing */
    CHECK_OK(sim_event(&s, 1, MON + 2 * HOUR, "deal_won", NULL, 0));
    CHECK_INT(s.st[1].stage, sim_stage(&s, "d"));
    sim_close(&s);
}

TEST(attribute_guard_on_profile_change)
{
    sim s;
    CHECK_OK(sim_open(&s, guards));
    CHECK_OK(sim_start(&s, 0, MON));
    CHECK_OK(sim_touch(&s, 0, MON, "demo", "wechat", 1, 0));  /* a -> d */
    CHECK_OK(sim_start(&s, 1, MON));
    s.view[1][0].total = 0;
    /* contact 1 to c via the key event */
    {
        fnli_stage_input in;
        const char *ev[1] = {"trial"};
        sim_input(&s, 1, FNLI_TRIG_SCORE, MON + 1, &in);
        in.key_events = ev;
        in.nkey_events = 1;
        CHECK_OK(sim_eval(&s, 1, &in));
    }
    CHECK_INT(s.st[1].stage, sim_stage(&s, "c"));
    s.attrs[1][0].name = "region";
    s.attrs[1][0].type = FNL_ATTR_STRING;
    s.attrs[1][0].str = "apac";
    s.attrs[1][1].name = "company_size";
    s.attrs[1][1].type = FNL_ATTR_NUMBER;
    s.attrs[1][1].num = 199;
    s.nattrs[1] = 2;
    CHECK_OK(sim_simple(&s, 1, FNLI_TRIG_PROFILE, MON + 2));
    CHECK_INT(s.st[1].stage, sim_stage(&s, "c"));  /* 199 < 200 */
    s.attrs[1][1].num = 200;
    CHECK_OK(sim_simple(&s, 1, FNLI_TRIG_PROFILE, MON + 3));
    CHECK_INT(s.st[1].stage, sim_stage(&s, "d"));
    CHECK_INT(s.log[s.nlog - 1].cause, FNLI_TRIG_PROFILE);
    sim_close(&s);
}

TEST(idle_transition_fires_exactly_at_its_deadline)
{
    sim s;
    int64_t t0 = MON;
    CHECK_OK(sim_open(&s, guards));
    s.view[0][1].total = 70;
    s.view[0][1].grade = 'A';
    CHECK_OK(sim_start(&s, 0, t0));  /* a -> b at t0 */
    CHECK_INT(s.st[0].stage, sim_stage(&s, "b"));
    /* idle 10d from entry: due t0 + 10d; a timer is scheduled for it */
    CHECK_INT(s.st[0].timer_due, t0 + 10 * DAY);
    /* an engagement touch at t0 + 4d moves the idle deadline to t0 + 14d;
     * the existing timer is kept (it fires early and re-plans) */
    CHECK_OK(sim_touch(&s, 0, t0 + 4 * DAY, "visit", "web", 1, 0));
    CHECK_INT(s.st[0].timer_due, t0 + 10 * DAY);
    /* a non-engagement touch changes nothing */
    CHECK_OK(sim_touch(&s, 0, t0 + 5 * DAY, "email_open", "email", 0, 0));
    CHECK_OK(sim_tick(&s, t0 + 10 * DAY));
    CHECK_INT(s.st[0].stage, sim_stage(&s, "b"));
    CHECK_INT(s.st[0].timer_due, t0 + 14 * DAY);
    CHECK_OK(sim_tick(&s, t0 + 14 * DAY - 1));  /* one ms early */
    CHECK_INT(s.st[0].stage, sim_stage(&s, "b"));
    CHECK_OK(sim_tick(&s, t0 + 20 * DAY));      /* late tick */
    CHECK_INT(s.st[0].stage, sim_stage(&s, "parked"));
    /* recorded at the deadline, not at the tick */
    CHECK_INT(s.log[s.nlog - 1].time, t0 + 14 * DAY);
    CHECK_INT(s.log[s.nlog - 1].cause, FNLI_TRIG_TIMER);
    CHECK_INT(s.log[s.nlog - 1].flags, FNLI_RF_BACK);
    CHECK_INT(s.st[0].timer_id, 0);   /* parked has no timers */
    CHECK_INT(fnli_timerq_count(&s.q), 0);
    sim_close(&s);
}

TEST(stay_transition_counts_from_entry)
{
    sim s;
    fnli_stage_input in;
    const char *ev[1] = {"trial"};
    CHECK_OK(sim_open(&s, guards));
    CHECK_OK(sim_start(&s, 0, MON));
    sim_input(&s, 0, FNLI_TRIG_SCORE, MON + HOUR, &in);
    in.key_events = ev;
    in.nkey_events = 1;
    CHECK_OK(sim_eval(&s, 0, &in));  /* a -> c at MON + 1h */
    /* engagement does not extend "stay" */
    CHECK_OK(sim_touch(&s, 0, MON + 2 * DAY, "visit", "web", 1, 0));
    CHECK_OK(sim_tick(&s, MON + HOUR + 3 * DAY - 1));
    CHECK_INT(s.st[0].stage, sim_stage(&s, "c"));
    CHECK_OK(sim_tick(&s, MON + HOUR + 3 * DAY));
    CHECK_INT(s.st[0].stage, sim_stage(&s, "parked"));
    CHECK_INT(s.log[s.nlog - 1].time, MON + HOUR + 3 * DAY);
    sim_close(&s);
}

TEST(results_do_not_depend_on_tick_frequency)
{
    /* Two contacts, same history; one engine ticks every hour, the other
     * never: the catch-up inside evaluation gives identical records. */
    sim a, b;
    int64_t t;
    size_t k;
    CHECK_OK(sim_open(&a, guards));
    CHECK_OK(sim_open(&b, guards));
    a.view[0][1].total = b.view[0][1].total = 70;
    a.view[0][1].grade = b.view[0][1].grade = 'A';
    CHECK_OK(sim_start(&a, 0, MON));
    CHECK_OK(sim_start(&b, 0, MON));
    for (t = MON; t <= MON + 12 * DAY; t += HOUR)
        CHECK_OK(sim_tick(&a, t));
    /* b sees nothing until a touch at MON + 12d: idle (due MON + 10d)
     * fired first, at its deadline */
    CHECK_OK(sim_touch(&a, 0, MON + 12 * DAY, "visit", "web", 1, 0));
    CHECK_OK(sim_touch(&b, 0, MON + 12 * DAY, "visit", "web", 1, 0));
    CHECK_INT(a.nlog, b.nlog);
    for (k = 0; k < a.nlog; k++) {
        CHECK_INT(a.log[k].time, b.log[k].time);
        CHECK_INT(a.log[k].to, b.log[k].to);
    }
    CHECK_INT(b.st[0].stage, sim_stage(&b, "parked"));
    CHECK_INT(b.log[b.nlog - 1].time, MON + 10 * DAY);
    CHECK(a.evals > b.evals);
    sim_close(&a);
    sim_close(&b);
}

static const char *prio =
    "machine \"prio\" version 1\n"
    "stage a initial\n"
    "stage b\n"
    "stage c\n"
    "stage d\n"
    "transition * -> d on event go\n"
    "transition a -> c on event go\n"
    "transition a -> b on event go\n"
    "transition a -> b on event jump priority -1\n"
    "transition * -> c on event jump priority -1\n"
    "transition a -> d on event hop priority 2\n"
    "transition a -> c on event hop priority 3\n";

TEST(priorities_break_ties_as_documented)
{
    sim s;
    CHECK_OK(sim_open(&s, prio));
    CHECK_OK(sim_start(&s, 0, MON));
    CHECK_OK(sim_start(&s, 1, MON));
    CHECK_OK(sim_start(&s, 2, MON));
    /* go: all priority 0; named-stage rules beat the wildcard, then the
     * first defined (a -> c) wins */
    CHECK_OK(sim_event(&s, 0, MON + 1, "go", NULL, 0));
    CHECK_INT(s.st[0].stage, sim_stage(&s, "c"));
    /* jump: both priority -1; the named a -> b beats the earlier * -> c */
    CHECK_OK(sim_event(&s, 1, MON + 1, "jump", NULL, 0));
    CHECK_INT(s.st[1].stage, sim_stage(&s, "b"));
    /* hop: priority 3 beats 2 although defined later */
    CHECK_OK(sim_event(&s, 2, MON + 1, "hop", NULL, 0));
    CHECK_INT(s.st[2].stage, sim_stage(&s, "c"));
    /* an event is consumed by one transition: from c, "go" would go to
     * d via the wildcard, but the event was used up by a -> c */
    CHECK_INT(sim_count(&s, 0, FNLI_REC_TRANSITION), 2);
    sim_close(&s);
}

TEST(skipped_stages_are_recorded_as_passed_through)
{
    sim s;
    uint32_t expect[3];
    int i;
    CHECK_OK(sim_open(&s, NULL));
    CHECK_OK(sim_start(&s, 0, MON));
    /* a deal opened on a never-scored inquiry */
    CHECK_OK(sim_event(&s, 0, MON + DAY, "opportunity_created", NULL, 0));
    CHECK_INT(s.st[0].stage, sim_stage(&s, "opportunity"));
    expect[0] = sim_stage(&s, "mql");
    expect[1] = sim_stage(&s, "sal");
    expect[2] = sim_stage(&s, "sql");
    CHECK_INT(sim_count(&s, 0, FNLI_REC_PASSED), 3);
    for (i = 0; i < 3; i++) {
        const fnli_stage_rec *r = &s.log[sim_find(&s, 0, FNLI_REC_PASSED, i)];
        CHECK_INT(r->to, expect[i]);  /* in funnel order */
        CHECK_INT(r->from, sim_stage(&s, "inquiry"));
        CHECK_INT(r->time, MON + DAY);
    }
    /* the transition itself comes after them */
    CHECK(sim_find(&s, 0, FNLI_REC_TRANSITION, 1) >
          sim_find(&s, 0, FNLI_REC_PASSED, 2));
    /* reached: inquiry, mql, sal, sql, opportunity = bits 0..4 */
    CHECK_INT(s.st[0].reached, 0x1F);
    /* then won: customer, no more passed stages */
    CHECK_OK(sim_event(&s, 0, MON + 9 * DAY, "deal_won", NULL, 0));
    CHECK_INT(s.st[0].stage, sim_stage(&s, "customer"));
    CHECK_INT(sim_count(&s, 0, FNLI_REC_PASSED), 3);
    sim_close(&s);
}

TEST(recycling_goes_back_and_counts_stay_cumulative)
{
    sim s;
    CHECK_OK(sim_open(&s, NULL));
    CHECK_OK(sim_start(&s, 0, MON));
    s.view[0][0].thresholds = 1;  /* threshold "mql" holds */
    CHECK_OK(sim_simple(&s, 0, FNLI_TRIG_SCORE, MON + HOUR));
    CHECK_INT(s.st[0].stage, sim_stage(&s, "mql"));
    CHECK_OK(sim_event(&s, 0, MON + 2 * HOUR, "sales_accept", NULL, 0));
    CHECK_INT(s.st[0].stage, sim_stage(&s, "sal"));
    s.view[0][0].thresholds = 0;
    CHECK_OK(sim_event(&s, 0, MON + 3 * HOUR, "sales_reject", "timing", 3));
    CHECK_INT(s.st[0].stage, sim_stage(&s, "recycled"));
    CHECK_INT(s.log[s.nlog - 1].flags & FNLI_RF_BACK, FNLI_RF_BACK);
    /* the threshold alone does not requalify a recycled lead ... */
    s.view[0][0].thresholds = 1;
    CHECK_OK(sim_simple(&s, 0, FNLI_TRIG_SCORE, MON + DAY));
    CHECK_INT(s.st[0].stage, sim_stage(&s, "recycled"));
    /* ... new activity does: recycled -> mql is forward (side rank 0 ->
     * 2), and nothing is passed through again (inquiry was reached) */
    CHECK_OK(sim_touch(&s, 0, MON + DAY, "visit", "web", 1, 0));
    CHECK_INT(s.st[0].stage, sim_stage(&s, "mql"));
    CHECK_INT(sim_count(&s, 0, FNLI_REC_PASSED), 0);
    CHECK_INT(s.log[s.nlog - 1].flags & FNLI_RF_BACK, 0);
    /* reached: inquiry(0) mql(1) sal(2) recycled(7) */
    CHECK_INT(s.st[0].reached, 0x87);
    sim_close(&s);
}

TEST(backward_needs_back)
{
    fnl_machine *m = NULL;
    fnl_parse_error err = FNL_PARSE_ERROR_INIT;
    const char *t = "machine \"x\" version 1\nstage a\nstage b\nstage n side\n"
                    "transition b -> a on event x\n";
    CHECK_INT(fnl_machine_parse(&m, t, strlen(t), NULL, &err), FNL_EINVAL);
    CHECK_INT(err.line, 5);
    CHECK(strstr(err.message, "needs 'back'") != NULL);
    t = "machine \"x\" version 1\nstage a\nstage b\nstage n side\n"
        "transition a -> n on event x\n";
    CHECK_INT(fnl_machine_parse(&m, t, strlen(t), NULL, &err), FNL_EINVAL);
    t = "machine \"x\" version 1\nstage a\nstage b\nstage n side\n"
        "transition * -> n on event x\n";
    CHECK_INT(fnl_machine_parse(&m, t, strlen(t), NULL, &err), FNL_EINVAL);
    t = "machine \"x\" version 1\nstage a\nstage b\nstage n side\n"
        "transition b -> a back on event x\ntransition n -> b on event y\n";
    CHECK_OK(fnl_machine_parse(&m, t, strlen(t), NULL, &err));
    fnl_machine_free(m);
}

TEST(wildcard_without_back_only_moves_forward)
{
    sim s;
    CHECK_OK(sim_open(&s, NULL));
    CHECK_OK(sim_start(&s, 0, MON));
    CHECK_OK(sim_event(&s, 0, MON + 1, "deal_won", NULL, 0));
    CHECK_INT(s.st[0].stage, sim_stage(&s, "customer"));
    /* customer (rank 6) -> opportunity (rank 5) is not offered by the
     * wildcard "* -> opportunity" */
    CHECK_OK(sim_event(&s, 0, MON + 2, "opportunity_created", NULL, 0));
    CHECK_INT(s.st[0].stage, sim_stage(&s, "customer"));
    /* but "* -> disqualified back" is */
    CHECK_OK(sim_event(&s, 0, MON + 3, "disqualify", NULL, 0));
    CHECK_INT(s.st[0].stage, sim_stage(&s, "disqualified"));
    sim_close(&s);
}

TEST(merge_keeps_the_more_advanced_stage)
{
    sim s;
    fnli_stage_state out;
    fnli_stage_rec rec;
    CHECK_OK(sim_open(&s, NULL));
    CHECK_OK(sim_start(&s, 0, MON));
    CHECK_OK(sim_start(&s, 1, MON + DAY));
    s.view[0][0].thresholds = 1;
    CHECK_OK(sim_simple(&s, 0, FNLI_TRIG_SCORE, MON + HOUR));        /* mql */
    CHECK_OK(sim_event(&s, 1, MON + 2 * DAY, "opportunity_created", NULL, 0));
    CHECK_OK(sim_touch(&s, 0, MON + 3 * DAY, "visit", "web", 1, 0));
    /* survivor 0 (mql) absorbs 1 (opportunity): opportunity wins */
    CHECK_INT(fnli_stage_merge(s.m, &s.st[0], &s.st[1], 0, MON + 4 * DAY,
                               &out, &rec), 1);
    CHECK_INT(out.stage, sim_stage(&s, "opportunity"));
    CHECK_INT(out.entered, MON + 2 * DAY);          /* the winner's */
    CHECK_INT(out.engaged, MON + 3 * DAY);          /* the later */
    CHECK_INT(out.reached, s.st[0].reached | s.st[1].reached);
    CHECK_INT(out.timer_id, s.st[0].timer_id);      /* the survivor's */
    CHECK_INT(rec.from, sim_stage(&s, "mql"));
    CHECK_INT(rec.to, sim_stage(&s, "opportunity"));
    CHECK_INT(rec.cause, FNLI_CAUSE_MERGE);
    /* the other way round no stage changes and no record */
    CHECK_INT(fnli_stage_merge(s.m, &s.st[1], &s.st[0], 1, MON + 4 * DAY,
                               &out, &rec), 0);
    CHECK_INT(out.stage, sim_stage(&s, "opportunity"));
    /* a funnel stage beats a side stage (nurture has rank 0) */
    CHECK_OK(sim_start(&s, 2, MON));
    s.view[2][0].thresholds = 1;
    CHECK_OK(sim_simple(&s, 2, FNLI_TRIG_SCORE, MON));
    CHECK_OK(sim_tick(&s, MON + 31 * DAY));  /* contact 2: mql -> nurture */
    CHECK_INT(s.st[2].stage, sim_stage(&s, "nurture"));
    CHECK_OK(sim_start(&s, 3, MON));
    CHECK_INT(fnli_stage_merge(s.m, &s.st[2], &s.st[3], 2, MON + 32 * DAY,
                               &out, &rec), 1);
    CHECK_INT(out.stage, sim_stage(&s, "inquiry"));
    sim_close(&s);
}

static uint32_t channel_of(void *ctx, const fnli_stage_rec *r)
{
    const uint32_t *chan = ctx;
    return chan[r->contact];
}

TEST(rejection_reasons_are_counted_per_owner_and_channel)
{
    static const char *m =
        "machine \"r\" version 1\n"
        "stage mql initial\n"
        "stage sal\n"
        "stage recycled side\n"
        "group sdr members \"ana\", \"bo\"\n"
        "transition mql -> recycled back on event sales_reject\n"
        "transition recycled -> mql on event requalify\n"
        "route on mql to group sdr round_robin\n";
    sim s;
    fnli_reject_row *rows = NULL;
    size_t n = 0;
    uint32_t chan[4] = {100, 100, 200, 100};  /* interned channel ids */
    int c;
    CHECK_OK(sim_open(&s, m));
    /* round robin: 0 -> ana(1), 1 -> bo(2), 2 -> ana, 3 -> bo */
    for (c = 0; c < 4; c++)
        CHECK_OK(sim_start(&s, c, MON));
    CHECK_INT(s.st[2].owner, 1);
    CHECK_INT(s.st[3].owner, 2);
    /* reasons: 0 bad_fit(5) by ana, 1 bad_fit(5) by bo, 2 timing(6) by
     * ana, 3 bad_fit(5) by bo; 3 again after requalifying: timing(6) */
    CHECK_OK(sim_event(&s, 0, MON + 1, "sales_reject", "bad_fit", 5));
    CHECK_OK(sim_event(&s, 1, MON + 1, "sales_reject", "bad_fit", 5));
    CHECK_OK(sim_event(&s, 2, MON + 1, "sales_reject", "timing", 6));
    CHECK_OK(sim_event(&s, 3, MON + 1, "sales_reject", "bad_fit", 5));
    CHECK_OK(sim_event(&s, 3, MON + 2, "requalify", NULL, 0));
    CHECK_OK(sim_event(&s, 3, MON + 3, "sales_reject", "timing", 6));
    /* re-entering mql routes contact 3 again: the cursor stood after bo,
     * so it goes to ana */
    CHECK_INT(s.st[3].owner, 1);
    /* by owner (the owner at the rejection, rec->prev):
     * ana: bad_fit 1 (c0), timing 2 (c2, c3's second); bo: bad_fit 2 */
    CHECK_OK(fnli_stage_reject_counts(s.m, &s.mem, s.log, s.nlog, NULL, NULL,
                                      &rows, &n));
    CHECK_INT(n, 3);
    CHECK_INT(rows[0].key, 1);
    CHECK_INT(rows[0].reason, 5);
    CHECK_INT(rows[0].count, 1);
    CHECK_INT(rows[1].key, 1);
    CHECK_INT(rows[1].reason, 6);
    CHECK_INT(rows[1].count, 2);
    CHECK_INT(rows[2].key, 2);
    CHECK_INT(rows[2].reason, 5);
    CHECK_INT(rows[2].count, 2);
    fnli_free(&s.mem, rows, n * sizeof(*rows));
    /* by channel: 100 -> bad_fit 3 (contacts 0, 1, 3), timing 1 (3);
     * 200 -> timing 1 */
    CHECK_OK(fnli_stage_reject_counts(s.m, &s.mem, s.log, s.nlog, channel_of,
                                      chan, &rows, &n));
    CHECK_INT(n, 3);
    CHECK_INT(rows[0].key, 100);
    CHECK_INT(rows[0].count, 3);
    CHECK_INT(rows[1].key, 100);
    CHECK_INT(rows[1].reason, 6);
    CHECK_INT(rows[1].count, 1);
    CHECK_INT(rows[2].key, 200);
    CHECK_INT(rows[2].count, 1);
    fnli_free(&s.mem, rows, n * sizeof(*rows));
    sim_close(&s);
}

TEST(eval_is_pure_and_reports_short_buffers)
{
    sim s;
    fnli_stage_input in;
    fnli_stage_result res;
    fnli_stage_rec one[1];
    fnli_stage_state before;
    CHECK_OK(sim_open(&s, NULL));
    CHECK_OK(sim_start(&s, 0, MON));
    before = s.st[0];
    sim_input(&s, 0, FNLI_TRIG_EVENT, MON + 1, &in);
    in.event = "opportunity_created";  /* 3 passed + 1 transition */
    memset(&res, 0, sizeof(res));
    res.recs = one;
    res.cap_recs = 1;
    CHECK_INT(fnli_stage_eval(s.m, &s.st[0], &in, &res), FNL_ERANGE);
    CHECK(memcmp(&before, &s.st[0], sizeof(before)) == 0);
    CHECK(fnli_stage_max_recs(s.m) >= 4);
    /* bad times and kinds */
    in.time = -1;
    CHECK_INT(fnli_stage_eval(s.m, &s.st[0], &in, &res), FNL_EINVAL);
    in.time = MON;
    in.kind = 99;
    CHECK_INT(fnli_stage_eval(s.m, &s.st[0], &in, &res), FNL_EINVAL);
    CHECK_INT(sizeof(fnli_stage_state), 64);
    CHECK_INT(sizeof(fnli_stage_rec), 40);
    CHECK_INT(sizeof(fnli_timer), 48);
    sim_close(&s);
}

TEST(a_trigger_before_the_stage_entry_is_applied_at_the_entry)
{
    sim s;
    CHECK_OK(sim_open(&s, NULL));
    CHECK_OK(sim_start(&s, 0, MON + DAY));
    CHECK_OK(sim_event(&s, 0, MON, "opportunity_created", NULL, 0));
    CHECK_INT(s.log[s.nlog - 1].time, MON + DAY);
    sim_close(&s);
}

int main(void)
{
    RUN(new_contact_enters_the_initial_stage);
    RUN(score_and_grade_of_a_named_model);
    RUN(key_event_and_touch_guards);
    RUN(host_event_with_reason);
    RUN(attribute_guard_on_profile_change);
    RUN(idle_transition_fires_exactly_at_its_deadline);
    RUN(stay_transition_counts_from_entry);
    RUN(results_do_not_depend_on_tick_frequency);
    RUN(priorities_break_ties_as_documented);
    RUN(skipped_stages_are_recorded_as_passed_through);
    RUN(recycling_goes_back_and_counts_stay_cumulative);
    RUN(backward_needs_back);
    RUN(wildcard_without_back_only_moves_forward);
    RUN(merge_keeps_the_more_advanced_stage);
    RUN(rejection_reasons_are_counted_per_owner_and_channel);
    RUN(eval_is_pure_and_reports_short_buffers);
    RUN(a_trigger_before_the_stage_entry_is_applied_at_the_entry);
    TEST_MAIN_END();
}
