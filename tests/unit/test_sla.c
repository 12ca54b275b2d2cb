/* test_sla -- working-hours calendars (parsing, canonical text, deadline
 * arithmetic across nights and weekends) and SLAs: accept within 48h,
 * first touch by the owner, call attempts, breaches exactly at the
 * deadline, breach actions (escalate to a stage, re-route), and breach
 * counts per owner. */
#include "calendar.h"
#include "test_stage_sim.h"

/* "Mon-Fri 09:00-18:00 +08:00": local = UTC + 8 h.  MON is Monday
 * 00:00 UTC = Monday 08:00 local.  LOCAL(d, h) is day d (0 = that Monday)
 * at local hour h, in UTC ms. */
#define LOCAL(d, h) (MON + (int64_t)(d) * DAY + (int64_t)(h) * HOUR - 8 * HOUR)

TEST(calendar_parses_and_prints_canonically)
{
    fnli_calendar c;
    char buf[64];
    const char *why;
    size_t col;
    const char *s = "sun-thu 08:00-17:30 -05:00";
    CHECK_OK(fnli_calendar_parse(s, strlen(s), &c, &why, &col));
    CHECK_INT(c.days, 0x4F);  /* Mon..Thu (bits 0-3) + Sun (bit 6) */
    CHECK_INT(c.open_min, 480);
    CHECK_INT(c.close_min, 1050);
    CHECK_INT(c.offset_min, -300);
    fnli_calendar_format(&c, buf, sizeof(buf));
    CHECK_STR(buf, "Mon-Thu,Sun 08:00-17:30 -05:00");
    s = "Mon,Wed,Fri 00:00-24:00";
    CHECK_OK(fnli_calendar_parse(s, strlen(s), &c, &why, &col));
    fnli_calendar_format(&c, buf, sizeof(buf));
    CHECK_STR(buf, "Mon,Wed,Fri 00:00-24:00 +00:00");
    s = "Mon-Fri 18:00-09:00";
    CHECK_INT(fnli_calendar_parse(s, strlen(s), &c, &why, &col), FNL_EINVAL);
    CHECK_STR(why, "the window must close after it opens");
    s = "Mon-Fry 09:00-18:00";
    CHECK_INT(fnli_calendar_parse(s, strlen(s), &c, &why, &col), FNL_EINVAL);
    CHECK_INT(col, 4);
    s = "Mon-Fri 09:00-18:00 +15:00";
    CHECK_INT(fnli_calendar_parse(s, strlen(s), &c, &why, &col), FNL_EINVAL);
}

TEST(calendar_deadlines)
{
    fnli_calendar c;
    const char *s = "Mon-Fri 09:00-18:00 +08:00";
    const char *why;
    size_t col;
    CHECK_OK(fnli_calendar_parse(s, strlen(s), &c, &why, &col));
    CHECK_INT(fnli_calendar_day_ms(&c), 9 * HOUR);
    /* filling a day exactly lands on its close, not the next opening */
    CHECK_INT(fnli_calendar_add(&c, LOCAL(0, 9), 9 * HOUR), LOCAL(0, 18));
    /* Fri 16:00 + 48 working hours: Fri 2h (46 left), days 7..10 Mon..Thu
     * 36h (10 left), day 11 Fri 9h (1 left), day 14 Mon 09:00 + 1h */
    CHECK_INT(fnli_calendar_add(&c, LOCAL(4, 16), 48 * HOUR), LOCAL(14, 10));
    /* Saturday noon counts from Monday's opening */
    CHECK_INT(fnli_calendar_add(&c, LOCAL(5, 12), HOUR), LOCAL(7, 10));
    /* after closing: the next morning */
    CHECK_INT(fnli_calendar_add(&c, LOCAL(0, 20), HOUR), LOCAL(1, 10));
    /* before opening */
    CHECK_INT(fnli_calendar_add(&c, LOCAL(0, 3), 30 * MIN), LOCAL(0, 9) +
                                                                  30 * MIN);
    /* whole weeks at once: 3 weeks of 45 h from Mon 09:00 = Fri 18:00 of
     * the third week (day 18) */
    CHECK_INT(fnli_calendar_add(&c, LOCAL(0, 9), 135 * HOUR), LOCAL(18, 18));
    CHECK_INT(fnli_calendar_add(&c, LOCAL(0, 9), 0), LOCAL(0, 9));
    /* without a calendar: plain addition */
    CHECK_INT(fnli_calendar_add(NULL, 1000, 500), 1500);
}

static const char *slam =
    "machine \"sla\" version 1\n"
    "stage new initial\n"
    "stage mql\n"
    "stage sal\n"
    "group sdr members \"ana\", \"bo\", \"cy\"\n"
    "transition new -> mql on event qualify\n"
    "transition mql -> sal on event sales_accept\n"
    "route on mql to group sdr round_robin\n"
    "sla mql accept within 48h\n"
    "sla sal first_touch touch by owner within 1d\n"
    "sla sal call_attempts touch 3 by owner type = \"call\" within 5d\n";

TEST(accept_within_48h_breaches_exactly_at_the_deadline)
{
    sim s;
    uint64_t counts[5] = {0, 0, 0, 0, 0};
    int c;
    CHECK_OK(sim_open(&s, slam));
    for (c = 0; c < 3; c++) {
        CHECK_OK(sim_start(&s, c, MON));
        CHECK_OK(sim_event(&s, c, MON, "qualify", NULL, 0));
    }
    /* round robin: 0 -> ana (1), 1 -> bo (2), 2 -> cy (3) */
    CHECK_INT(s.st[0].owner, 1);
    CHECK_INT(s.st[2].owner, 3);
    CHECK_INT(s.st[0].timer_due, MON + 48 * HOUR);
    CHECK_OK(sim_event(&s, 1, MON + 47 * HOUR, "sales_accept", NULL, 0));
    CHECK_OK(sim_tick(&s, MON + 48 * HOUR - 1));
    CHECK_INT(sim_count(&s, -1, FNLI_REC_BREACH), 0);
    CHECK_OK(sim_tick(&s, MON + 48 * HOUR));
    /* contact 0 breached at the deadline; contact 2 too (its timer was
     * due at the same instant) */
    CHECK_INT(sim_count(&s, 0, FNLI_REC_BREACH), 1);
    CHECK_INT(s.log[sim_find(&s, 0, FNLI_REC_BREACH, 0)].time,
              MON + 48 * HOUR);
    CHECK_INT(s.log[sim_find(&s, 0, FNLI_REC_BREACH, 0)].owner, 1);
    CHECK_INT(sim_count(&s, 2, FNLI_REC_BREACH), 1);
    /* contact 1 accepted in time; it is in sal, whose SLAs differ */
    CHECK_INT(sim_count(&s, 1, FNLI_REC_BREACH), 0);
    /* an accept at the deadline itself is late, but still moves on */
    CHECK_OK(sim_event(&s, 0, MON + 48 * HOUR, "sales_accept", NULL, 0));
    CHECK_INT(s.st[0].stage, sim_stage(&s, "sal"));
    CHECK_INT(sim_count(&s, 0, FNLI_REC_BREACH), 1);  /* once only */
    /* per owner: ana 1, cy 1 */
    fnli_sla_breach_counts(s.m, s.log, s.nlog, counts);
    CHECK_INT(counts[1], 1);
    CHECK_INT(counts[2], 0);
    CHECK_INT(counts[3], 1);
    sim_close(&s);
}

TEST(accept_at_the_deadline_without_a_tick_breaches_first)
{
    sim s;
    CHECK_OK(sim_open(&s, slam));
    CHECK_OK(sim_start(&s, 0, MON));
    CHECK_OK(sim_event(&s, 0, MON, "qualify", NULL, 0));
    CHECK_OK(sim_event(&s, 0, MON + 48 * HOUR, "sales_accept", NULL, 0));
    CHECK(sim_find(&s, 0, FNLI_REC_BREACH, 0) <
          sim_find(&s, 0, FNLI_REC_TRANSITION, 2));
    sim_close(&s);
}

TEST(first_touch_and_call_attempts_by_the_owner)
{
    sim s;
    int c;
    int64_t t0 = MON + HOUR;
    CHECK_OK(sim_open(&s, slam));
    for (c = 0; c < 2; c++) {
        CHECK_OK(sim_start(&s, c, MON));
        CHECK_OK(sim_event(&s, c, MON, "qualify", NULL, 0));
        CHECK_OK(sim_event(&s, c, t0, "sales_accept", NULL, 0));
    }
    /* contact 0: a touch by someone else does not count; the owner's
     * first touch at t0 + 2h does; two owner calls only */
    CHECK_OK(sim_touch(&s, 0, t0 + HOUR, "call", "phone", 1, 0));
    CHECK_OK(sim_touch(&s, 0, t0 + 2 * HOUR, "email", "email", 1, 1));
    CHECK_OK(sim_touch(&s, 0, t0 + DAY, "call", "phone", 1, 1));
    CHECK_OK(sim_touch(&s, 0, t0 + 2 * DAY, "call", "phone", 1, 1));
    /* contact 1: no touch within a day, three owner calls in time */
    CHECK_OK(sim_touch(&s, 1, t0 + 2 * DAY, "call", "phone", 1, 1));
    CHECK_OK(sim_touch(&s, 1, t0 + 3 * DAY, "call", "phone", 1, 1));
    CHECK_OK(sim_touch(&s, 1, t0 + 5 * DAY - 1, "call", "phone", 1, 1));
    CHECK_OK(sim_tick(&s, t0 + 30 * DAY));
    /* contact 0: call_attempts (rule 2) breached at t0 + 5d */
    CHECK_INT(sim_count(&s, 0, FNLI_REC_BREACH), 1);
    CHECK_INT(s.log[sim_find(&s, 0, FNLI_REC_BREACH, 0)].rule, 2);
    CHECK_INT(s.log[sim_find(&s, 0, FNLI_REC_BREACH, 0)].time, t0 + 5 * DAY);
    /* contact 1: first_touch (rule 1) breached at t0 + 1d: its first
     * touch (a call at t0 + 2d) came late, but its calls met rule 2 */
    CHECK_INT(sim_count(&s, 1, FNLI_REC_BREACH), 1);
    CHECK_INT(s.log[sim_find(&s, 1, FNLI_REC_BREACH, 0)].rule, 1);
    CHECK_INT(s.log[sim_find(&s, 1, FNLI_REC_BREACH, 0)].time, t0 + DAY);
    sim_close(&s);
}

TEST(working_hours_deadline_crosses_a_weekend_and_escalates)
{
    static const char *m =
        "machine \"cal\" version 1\n"
        "stage new initial\n"
        "stage mql\n"
        "stage sal\n"
        "stage nurture side\n"
        "transition new -> mql on event qualify\n"
        "transition mql -> sal on event sales_accept\n"
        "sla mql accept within 2d calendar \"Mon-Fri 09:00-18:00 +08:00\" "
        "breach -> nurture\n";
    sim s;
    /* 2 working days = 18 working hours from Fri 17:00 local: Fri 1h, Mon
     * 9h (10), Tue 09:00 + 8h = Tue 17:00 local, i.e. day 8 */
    int64_t entry = LOCAL(4, 17), deadline = LOCAL(8, 17);
    CHECK_OK(sim_open(&s, m));
    CHECK_OK(sim_start(&s, 0, entry));
    CHECK_OK(sim_event(&s, 0, entry, "qualify", NULL, 0));
    CHECK_INT(s.st[0].timer_due, deadline);
    CHECK_OK(sim_tick(&s, deadline - 1));
    CHECK_INT(s.st[0].stage, sim_stage(&s, "mql"));
    CHECK_OK(sim_tick(&s, deadline));
    CHECK_INT(s.st[0].stage, sim_stage(&s, "nurture"));
    CHECK_INT(s.log[s.nlog - 1].time, deadline);
    CHECK_INT(s.log[s.nlog - 1].cause, FNLI_CAUSE_SLA);
    CHECK_INT(s.log[s.nlog - 2].kind, FNLI_REC_BREACH);
    sim_close(&s);
}

TEST(breach_reroutes_to_the_next_owner_and_restarts_the_clock)
{
    static const char *m =
        "machine \"rr\" version 1\n"
        "stage mql initial\n"
        "stage sal\n"
        "group sdr members \"ana\", \"bo\", \"cy\"\n"
        "transition mql -> sal on event sales_accept\n"
        "route on mql to group sdr round_robin\n"
        "sla mql accept within 4h breach reroute\n";
    sim s;
    const fnli_stage_rec *r;
    CHECK_OK(sim_open(&s, m));
    CHECK_OK(sim_start(&s, 0, MON));
    CHECK_INT(s.st[0].owner, 1);  /* ana */
    CHECK_INT(fnli_routing_open(s.rs, 1), 1);
    CHECK_OK(sim_tick(&s, MON + 4 * HOUR));
    CHECK_INT(s.st[0].owner, 2);  /* bo, at the breach */
    r = &s.log[sim_find(&s, 0, FNLI_REC_ASSIGN, 1)];
    CHECK_INT(r->time, MON + 4 * HOUR);
    CHECK_INT(r->prev, 1);
    CHECK_INT(r->flags, FNLI_RF_REROUTE);
    CHECK_INT(r->cause, FNLI_CAUSE_SLA);
    /* open-lead counts followed the lead */
    CHECK_INT(fnli_routing_open(s.rs, 1), 0);
    CHECK_INT(fnli_routing_open(s.rs, 2), 1);
    /* the clock restarted: next breach 4 h later, to cy */
    CHECK_OK(sim_tick(&s, MON + 8 * HOUR - 1));
    CHECK_INT(s.st[0].owner, 2);
    CHECK_OK(sim_tick(&s, MON + 8 * HOUR));
    CHECK_INT(s.st[0].owner, 3);
    CHECK_INT(sim_count(&s, 0, FNLI_REC_BREACH), 2);
    /* accepted in time now: no more breaches */
    CHECK_OK(sim_event(&s, 0, MON + 9 * HOUR, "sales_accept", NULL, 0));
    CHECK_OK(sim_tick(&s, MON + 30 * DAY));
    CHECK_INT(sim_count(&s, 0, FNLI_REC_BREACH), 2);
    sim_close(&s);
}

int main(void)
{
    RUN(calendar_parses_and_prints_canonically);
    RUN(calendar_deadlines);
    RUN(accept_within_48h_breaches_exactly_at_the_deadline);
    RUN(accept_at_the_deadline_without_a_tick_breaches_first);
    RUN(first_touch_and_call_attempts_by_the_owner);
    RUN(working_hours_deadline_crosses_a_weekend_and_escalates);
    RUN(breach_reroutes_to_the_next_owner_and_restarts_the_clock);
    TEST_MAIN_END();
}
