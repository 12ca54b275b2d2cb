/* bench_stages -- the stage machine at 1,000,000 contacts: evaluation
 * throughput, and clock ticks over 1M pending timers (the default
 * machine's SLA and idle timers), from a tick that finds nothing due to
 * one that finds every timer due.  Then the same through the engine: a
 * million contacts, each with a pending stage timer, and one
 * fnl_engine_tick that finds them all due.  Figures are printed; nothing
 * is asserted (the target is a tick under 200 ms). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "funnelcore.h"
#include "routing.h"
#include "stage.h"
#include "timerq.h"

#define N 1000000
#define MINUTE INT64_C(60000)
#define DAY INT64_C(86400000)
#define T0 INT64_C(1767571200000)

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

typedef struct bench {
    fnl_machine *m;
    fnli_mem mem;
    fnli_timerq q;
    fnli_routing_state *rs;
    fnli_stage_state *st;
    fnli_stage_rec recs[512];
    fnli_timer steps[64];
    fnli_score_view view;
    uint64_t records;
} bench;

static const char *const thr[] = {"mql"};

static void eval(bench *b, uint32_t c, uint32_t kind, int64_t t,
                 uint64_t timer_id)
{
    fnli_stage_input in;
    fnli_stage_result res;
    fnli_stage_state before = b->st[c];
    memset(&in, 0, sizeof(in));
    in.kind = kind;
    in.time = t;
    in.contact = c;
    in.views = &b->view;
    in.nviews = 1;
    in.timer_id = timer_id;
    in.routing = b->rs;
    memset(&res, 0, sizeof(res));
    res.recs = b->recs;
    res.cap_recs = 512;
    res.steps = b->steps;
    res.cap_steps = 64;
    if (fnli_stage_eval(b->m, &b->st[c], &in, &res) != FNL_OK ||
        fnli_stage_reserve(&b->q, &res) != FNL_OK) {
        fprintf(stderr, "eval failed\n");
        exit(1);
    }
    fnli_stage_apply(b->m, &b->q, b->rs, c, &before, &res, &b->st[c]);
    b->records += res.nrecs;
}

/* One tick: pop every timer due <= now and evaluate it at its due time. */
static size_t tick(bench *b, int64_t now)
{
    fnli_timer t;
    size_t n = 0;
    /* as the engine's tick does: due runs, one after the other */
    int run = fnli_timerq_take_due(&b->q, now);
    for (;;) {
        if (run && !fnli_timerq_in_run(&b->q))
            run = fnli_timerq_take_due(&b->q, now);
        if (!fnli_timerq_pop_due(&b->q, now, &t))
            break;
        eval(b, (uint32_t)t.contact, FNLI_TRIG_TIMER, t.due, t.id);
        n++;
    }
    return n;
}

/* A machine that gives every contact a stage timer: a form fill makes it
 * an mql, which must be accepted within 2 days and goes to nurture after
 * 30 idle days. */
static const char tick_machine[] =
    "machine \"tick\" version 1\n"
    "stage inquiry initial\n"
    "stage mql\n"
    "stage nurture side\n"
    "transition inquiry -> mql on touch type = \"form_submit\"\n"
    "transition mql -> nurture back on idle 30d\n"
    "sla mql accept within 2d\n";

/* The engine: 1M contacts (one form fill each, over a day), then ticks:
 * before any deadline, through the first tenth of the SLA deadlines,
 * through the rest of them, and past every idle deadline (every contact
 * goes to nurture). */
static int engine_tick(void)
{
    fnl_engine *e;
    fnl_machine *m = NULL;
    fnl_touch *tb = malloc(10000 * sizeof(*tb));
    fnl_key *keys = malloc(10000 * sizeof(*keys));
    char (*emails)[32] = malloc(10000 * sizeof(*emails));
    fnl_stats st = FNL_STATS_INIT;
    size_t i, j;
    double t0, t1;
    if (tb == NULL || keys == NULL || emails == NULL ||
        fnl_engine_open(&e, NULL) != FNL_OK ||
        fnl_machine_parse(&m, tick_machine, sizeof(tick_machine) - 1, NULL,
                          NULL) != FNL_OK ||
        fnl_engine_attach_machine(e, m) != FNL_OK)
        return 1;
    fnl_machine_free(m);
    for (i = 0; i < N; i += 10000) {
        for (j = 0; j < 10000; j++) {
            fnl_touch t = FNL_TOUCH_INIT;
            snprintf(emails[j], sizeof(emails[j]), "u%07zu@corp%04zu.com",
                     i + j, (i + j) % 5000);
            keys[j].kind = "email";
            keys[j].value = emails[j];
            t.keys = &keys[j];
            t.key_count = 1;
            t.type = "form_submit";
            t.channel = "paid_search";
            t.time = T0 + (int64_t)(i + j) * (DAY / N);
            tb[j] = t;
        }
        if (fnl_touch_add_batch(e, tb, 10000, NULL) != FNL_OK) {
            fprintf(stderr, "ingest: %s\n", fnl_errmsg(e));
            return 1;
        }
    }
    fnl_engine_stats(e, &st);
    printf("engine: %llu contacts, each with a pending stage timer\n",
           (unsigned long long)st.contacts);
    {
        static const struct {
            const char *what;
            int64_t at;
        } et[] = {
            {"nothing due", 2 * DAY - 1},
            {"10 % due (SLA breaches)", 2 * DAY + DAY / 10},
            /* every other SLA timer (each contact then gets its idle
               timer, 30 days on) */
            {"the other 90 % due (SLA breaches)", 3 * DAY},
            /* every idle timer: a million contacts to nurture */
            {"all 1M due (idle: to nurture)", 40 * DAY},
        };
        for (i = 0; i < sizeof(et) / sizeof(et[0]); i++) {
            t0 = now_ms();
            if (fnl_engine_tick(e, T0 + et[i].at) != FNL_OK) {
                fprintf(stderr, "tick: %s\n", fnl_errmsg(e));
                return 1;
            }
            t1 = now_ms();
            printf("engine tick, %-38s %8.2f ms%s\n", et[i].what, t1 - t0,
                   t1 - t0 < 200 ? "" : "  (over 200 ms)");
        }
    }
    fnl_engine_close(e);
    free(tb);
    free(keys);
    free(emails);
    return 0;
}

int main(int argc, char **argv)
{
    /* argv[1] "engine": only the engine's tick */
    bench b;
    double t0, t1;
    uint32_t c;
    size_t n;
    int64_t clock;
    static const struct {
        const char *what;
        int64_t advance;
    } ticks[] = {
        {"nothing due (1 ms)", 1},
        {"1 minute of deadlines", MINUTE},
        {"1 hour of deadlines", 60 * MINUTE},
        {"3 days of deadlines (10%)", 3 * DAY},
        {"the rest of the month", 40 * DAY},
    };
    size_t k;
    if (argc > 1 && strcmp(argv[1], "engine") == 0)
        return engine_tick();
    memset(&b, 0, sizeof(b));
    fnli_mem_init(&b.mem, NULL);
    fnli_timerq_init(&b.q, &b.mem);
    if (fnl_machine_default(&b.m, NULL) != FNL_OK)
        return 1;
    b.rs = malloc(fnli_routing_state_size(b.m));
    fnli_routing_state_init(b.m, b.rs);
    b.st = malloc(sizeof(*b.st) * N);
    b.view.model = "default";
    b.view.threshold_names = thr;
    b.view.threshold_count = 1;
    b.view.thresholds = 1;
    if (b.st == NULL || b.rs == NULL)
        return 1;
    /* 1M contacts created over 30 days (one every 2.6 s); each reaches mql
     * at once (threshold "mql" holds), is routed to the fallback queue and
     * gets one stage timer: its SLA "accept within 2d" */
    t0 = now_ms();
    for (c = 0; c < N; c++) {
        int64_t t = T0 + (int64_t)c * (30 * DAY / N);
        fnli_stage_state_init(&b.st[c]);
        eval(&b, c, FNLI_TRIG_START, t, 0);
    }
    t1 = now_ms();
    printf("start + mql for %d contacts: %.0f ms (%.2f M evaluations/s), "
           "%zu timers pending, %llu records\n", N, t1 - t0,
           N / (t1 - t0) / 1e3, fnli_timerq_count(&b.q),
           (unsigned long long)b.records);
    printf("memory: stage states %.1f MB (%zu B each), timer queue %.1f MB\n",
           (double)sizeof(*b.st) * N / 1e6, sizeof(*b.st),
           (double)b.mem.bytes / 1e6);
    clock = T0 + 2 * DAY;  /* the first SLA deadline */
    for (k = 0; k < sizeof(ticks) / sizeof(ticks[0]); k++) {
        clock += ticks[k].advance;
        t0 = now_ms();
        n = tick(&b, clock);
        t1 = now_ms();
        printf("tick, %-28s %8zu due of %7zu pending: %8.2f ms%s\n",
               ticks[k].what, n, fnli_timerq_count(&b.q) + 0, t1 - t0,
               t1 - t0 < 200 ? "" : "  (over 200 ms)");
    }
    /* raw queue: 1M pushes and pops without evaluation */
    {
        fnli_timerq q;
        fnli_timer t, out;
        fnli_timerq_init(&q, &b.mem);
        memset(&t, 0, sizeof(t));
        t0 = now_ms();
        fnli_timerq_reserve(&q, N);
        for (c = 0; c < N; c++) {
            t.due = (int64_t)((c * 2654435761u) % 1000003u);
            t.contact = c;
            fnli_timerq_push(&q, &t, NULL);
        }
        t1 = now_ms();
        printf("timer queue: 1M pushes %.0f ms", t1 - t0);
        t0 = now_ms();
        while (fnli_timerq_pop_due(&q, INT64_MAX, &out))
            ;
        t1 = now_ms();
        printf(", 1M pops %.0f ms\n", t1 - t0);
        fnli_timerq_free(&q);
    }
    fnli_timerq_free(&b.q);
    free(b.st);
    free(b.rs);
    fnl_machine_free(b.m);
    return engine_tick();
}
