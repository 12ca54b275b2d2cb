/* test_nurture -- nurture steps: triggered by stage entry, touches (a
 * matrix on source and touch channel) and key events; fired exactly once
 * when the clock reaches the due time (inclusive); stopped by their
 * `unless` condition; pending steps survive a restart as POD timers. */
#include "test_stage_sim.h"

static const char *flows =
    "machine \"flows\" version 1\n"
    "stage inquiry initial\n"
    "stage mql\n"
    "stage sal\n"
    "transition inquiry -> mql on touch type = \"trial_request\"\n"
    "transition mql -> sal on event sales_accept\n"
    "step alert on enter mql notify \"notify_owner\"\n"
    "step follow on enter mql after 1d notify \"follow_up\" "
    "unless reached sal or unsubscribed\n"
    "step wecom on touch type = \"trial_request\" when source_channel = "
    "\"paid_search\" and touch_channel = \"wechat\" notify \"wecom_alert\"\n"
    "step pricing on key_event \"pricing x3\" after 2h notify \"call\"\n";

static int fired(const sim *s, const char *name)
{
    size_t k;
    int n = 0;
    for (k = 0; k < s->nfired; k++)
        n += strcmp(s->fired[k].name, name) == 0;
    return n;
}

TEST(steps_fire_once_at_their_due_time)
{
    sim s;
    int64_t t = MON + 10 * HOUR;
    CHECK_OK(sim_open(&s, flows));
    s.source[0] = "paid_search";
    CHECK_OK(sim_start(&s, 0, MON));
    CHECK_OK(sim_touch(&s, 0, t, "trial_request", "WeChat", 1, 0));
    CHECK_INT(s.st[0].stage, sim_stage(&s, "mql"));
    /* pending: alert (due t), follow (t + 1d), wecom (t) */
    CHECK_INT(fnli_timerq_count(&s.q), 3 + (s.st[0].timer_id != 0));
    CHECK_OK(sim_tick(&s, t - 1));
    CHECK_INT(s.nfired, 0);
    CHECK_OK(sim_tick(&s, t));  /* "immediately" = due at the trigger */
    CHECK_INT(s.nfired, 2);
    CHECK_INT(fired(&s, "alert"), 1);
    CHECK_INT(fired(&s, "wecom"), 1);
    CHECK_STR(s.fired[0].action, "notify_owner");
    CHECK_OK(sim_tick(&s, t + DAY - 1));
    CHECK_INT(s.nfired, 2);
    CHECK_OK(sim_tick(&s, t + DAY));
    CHECK_INT(fired(&s, "follow"), 1);
    CHECK_INT(s.fired[2].due, t + DAY);
    CHECK_INT(s.fired[2].origin, t);
    CHECK_OK(sim_tick(&s, t + 30 * DAY));  /* exactly once */
    CHECK_INT(s.nfired, 3);
    sim_close(&s);
}

TEST(matrix_and_stop_conditions)
{
    sim s;
    CHECK_OK(sim_open(&s, flows));
    /* 0: source events, wechat: no wecom; accepted before the follow-up
     * is due: stopped */
    s.source[0] = "events";
    CHECK_OK(sim_start(&s, 0, MON));
    CHECK_OK(sim_touch(&s, 0, MON, "trial_request", "wechat", 1, 0));
    CHECK_OK(sim_event(&s, 0, MON + HOUR, "sales_accept", NULL, 0));
    /* 1: paid_search via email: no wecom; unsubscribes: stopped */
    s.source[1] = "paid_search";
    CHECK_OK(sim_start(&s, 1, MON));
    CHECK_OK(sim_touch(&s, 1, MON, "trial_request", "email", 1, 0));
    CHECK_OK(sim_event(&s, 1, MON + HOUR, "unsubscribe", NULL, 0));
    /* 2: no source at all, stays in mql: the follow-up fires */
    CHECK_OK(sim_start(&s, 2, MON));
    CHECK_OK(sim_touch(&s, 2, MON, "trial_request", "wechat", 1, 0));
    CHECK_OK(sim_tick(&s, MON + 2 * DAY));
    CHECK_INT(fired(&s, "wecom"), 0);
    CHECK_INT(fired(&s, "alert"), 3);
    CHECK_INT(fired(&s, "follow"), 1);
    CHECK_INT(s.fired[s.nfired - 1].contact, 2);
    CHECK_INT(s.nstopped, 2);
    sim_close(&s);
}

TEST(key_event_steps)
{
    sim s;
    fnli_stage_input in;
    const char *ev[1] = {"Pricing X3"};
    CHECK_OK(sim_open(&s, flows));
    CHECK_OK(sim_start(&s, 0, MON));
    sim_input(&s, 0, FNLI_TRIG_TOUCH, MON + HOUR, &in);
    in.touch_type = "pricing_view";
    in.key_events = ev;
    in.nkey_events = 1;
    CHECK_OK(sim_eval(&s, 0, &in));
    CHECK_OK(sim_tick(&s, MON + 3 * HOUR - 1));
    CHECK_INT(s.nfired, 0);
    CHECK_OK(sim_tick(&s, MON + 3 * HOUR));
    CHECK_INT(fired(&s, "pricing"), 1);
    sim_close(&s);
}

static void save(void *ctx, const fnli_timer *t)
{
    sim *s = ctx;
    s->stepbuf[s->nstopped++] = *t;  /* borrow two fields as scratch */
}

TEST(pending_steps_survive_a_restart)
{
    sim s;
    fnli_timer saved[16];
    size_t n, k;
    CHECK_OK(sim_open(&s, flows));
    CHECK_OK(sim_start(&s, 0, MON));
    CHECK_OK(sim_touch(&s, 0, MON, "trial_request", "web", 1, 0));
    CHECK_OK(sim_tick(&s, MON));  /* alert fires */
    CHECK_INT(s.nfired, 1);
    /* "persist": the pending timers as POD records, then a new queue */
    s.nstopped = 0;
    fnli_timerq_each(&s.q, save, &s);
    n = s.nstopped;
    s.nstopped = 0;
    CHECK(n >= 1 && n <= 16);
    for (k = 0; k < n; k++)
        saved[k] = s.stepbuf[k];
    fnli_timerq_free(&s.q);
    CHECK_INT(fnli_timerq_count(&s.q), 0);
    CHECK_OK(fnli_timerq_restore(&s.q, saved, n));
    /* the stage state's timer id is still valid in the restored queue */
    CHECK(s.st[0].timer_id == 0 ||
          fnli_timerq_get(&s.q, s.st[0].timer_id) != NULL);
    CHECK_OK(sim_tick(&s, MON + DAY));
    CHECK_INT(fired(&s, "follow"), 1);
    CHECK_INT(s.nfired, 2);
    sim_close(&s);
}

int main(void)
{
    RUN(steps_fire_once_at_their_due_time);
    RUN(matrix_and_stop_conditions);
    RUN(key_event_steps);
    RUN(pending_steps_survive_a_restart);
    TEST_MAIN_END();
}
