/* test_stage_sim.h -- a miniature engine for the stage-machine tests: it
 * keeps per-contact stage states, a timer queue and the routing state, and
 * drives them exactly as the engine is meant to (evaluate -> reserve ->
 * apply; tick pops due timers and evaluates them at their due time), with
 * a deterministic clock.  Every record and every fired step is logged. */
#ifndef TEST_STAGE_SIM_H
#define TEST_STAGE_SIM_H

#include "nurture.h"
#include "routing.h"
#include "sla.h"
#include "stage.h"
#include "test.h"
#include "timerq.h"

#define SIM_CONTACTS 64
#define SIM_LOG 4096
#define HOUR INT64_C(3600000)
#define DAY INT64_C(86400000)
#define MIN INT64_C(60000)
/* 2026-01-05T00:00:00Z, a Monday */
#define MON INT64_C(1767571200000)

typedef struct sim {
    fnl_machine *m;
    fnli_mem mem;
    fnli_timerq q;
    fnli_routing_state *rs;
    size_t rs_size;
    fnli_stage_state st[SIM_CONTACTS];
    fnli_score_view view[SIM_CONTACTS][2];
    size_t nviews[SIM_CONTACTS];
    fnl_attr attrs[SIM_CONTACTS][4];
    size_t nattrs[SIM_CONTACTS];
    const char *account_owner[SIM_CONTACTS];
    const char *source[SIM_CONTACTS];
    fnli_stage_rec log[SIM_LOG];
    size_t nlog;
    fnli_step_fire fired[256];
    size_t nfired, nstopped;
    fnli_stage_rec recbuf[1024];
    fnli_timer stepbuf[256];
    int evals;
} sim;

static const char *const sim_thresholds[] = {"mql", "hot"};

static inline int sim_open(sim *s, const char *text)
{
    fnl_parse_error err = FNL_PARSE_ERROR_INIT;
    int c, rc;
    memset(s, 0, sizeof(*s));
    fnli_mem_init(&s->mem, NULL);
    fnli_timerq_init(&s->q, &s->mem);
    rc = text ? fnl_machine_parse(&s->m, text, strlen(text), NULL, &err)
              : fnl_machine_default(&s->m, NULL);
    if (rc != FNL_OK) {
        fprintf(stderr, "machine: %u:%u: %s\n", err.line, err.column,
                err.message);
        return rc;
    }
    s->rs_size = fnli_routing_state_size(s->m);
    s->rs = malloc(s->rs_size);
    fnli_routing_state_init(s->m, s->rs);
    for (c = 0; c < SIM_CONTACTS; c++) {
        fnli_stage_state_init(&s->st[c]);
        s->view[c][0].model = "default";
        s->view[c][0].threshold_names = sim_thresholds;
        s->view[c][0].threshold_count = 2;
        s->view[c][1].model = "m2";
        s->nviews[c] = 2;
    }
    return FNL_OK;
}

static inline void sim_close(sim *s)
{
    fnli_timerq_free(&s->q);
    free(s->rs);
    fnl_machine_free(s->m);
}

static inline void sim_input(sim *s, int c, uint32_t kind, int64_t t,
                      fnli_stage_input *in)
{
    static fnli_attr_array arrays[SIM_CONTACTS];
    memset(in, 0, sizeof(*in));
    in->kind = kind;
    in->time = t;
    in->contact = (uint64_t)c;
    in->views = s->view[c];
    in->nviews = s->nviews[c];
    arrays[c].attrs = s->attrs[c];
    arrays[c].count = s->nattrs[c];
    in->attr = fnli_attr_array_lookup;
    in->attr_ctx = &arrays[c];
    in->source = s->source[c];
    in->account_owner = s->account_owner[c];
    in->routing = s->rs;
}

/* The engine's road: evaluate (pure) -> reserve -> apply (cannot fail). */
static inline int sim_eval(sim *s, int c, const fnli_stage_input *in)
{
    fnli_stage_result res;
    fnli_stage_state before = s->st[c];
    size_t k;
    int rc;
    memset(&res, 0, sizeof(res));
    res.recs = s->recbuf;
    res.cap_recs = sizeof(s->recbuf) / sizeof(s->recbuf[0]);
    res.steps = s->stepbuf;
    res.cap_steps = sizeof(s->stepbuf) / sizeof(s->stepbuf[0]);
    rc = fnli_stage_eval(s->m, &s->st[c], in, &res);
    if (rc != FNL_OK)
        return rc;
    if (memcmp(&before, &s->st[c], sizeof(before)) != 0)
        return -100;  /* eval must not touch the state */
    rc = fnli_stage_reserve(&s->q, &res);
    if (rc != FNL_OK)
        return rc;
    fnli_stage_apply(s->m, &s->q, s->rs, (uint64_t)c, &before, &res,
                     &s->st[c]);
    for (k = 0; k < res.nrecs && s->nlog < SIM_LOG; k++)
        s->log[s->nlog++] = res.recs[k];
    s->evals++;
    return FNL_OK;
}

static inline int sim_start(sim *s, int c, int64_t t)
{
    fnli_stage_input in;
    sim_input(s, c, FNLI_TRIG_START, t, &in);
    return sim_eval(s, c, &in);
}

static inline int sim_touch(sim *s, int c, int64_t t, const char *type,
                     const char *channel, int engaged, int by_owner)
{
    fnli_stage_input in;
    sim_input(s, c, FNLI_TRIG_TOUCH, t, &in);
    in.touch_type = type;
    in.touch_channel = channel;
    in.engaged = (uint32_t)engaged;
    in.by_owner = (uint32_t)by_owner;
    return sim_eval(s, c, &in);
}

static inline int sim_event(sim *s, int c, int64_t t, const char *name,
                     const char *reason, uint32_t reason_id)
{
    fnli_stage_input in;
    sim_input(s, c, FNLI_TRIG_EVENT, t, &in);
    in.event = name;
    in.reason = reason;
    in.reason_id = reason_id;
    return sim_eval(s, c, &in);
}

static inline int sim_simple(sim *s, int c, uint32_t kind, int64_t t)
{
    fnli_stage_input in;
    sim_input(s, c, kind, t, &in);
    return sim_eval(s, c, &in);
}

/* Advance the clock to now: pop every timer due <= now, in due order. */
static inline int sim_tick(sim *s, int64_t now)
{
    fnli_timer t;
    while (fnli_timerq_pop_due(&s->q, now, &t)) {
        int c = (int)t.contact;
        fnli_stage_input in;
        sim_input(s, c, FNLI_TRIG_TIMER, t.due, &in);
        if (t.kind == FNLI_TIMER_STAGE) {
            int rc;
            in.timer_id = t.id;
            if ((rc = sim_eval(s, c, &in)) != FNL_OK)
                return rc;
        } else {
            fnli_cond_ctx cc;
            fnli_step_fire f;
            int r;
            cc.m = s->m;
            cc.st = &s->st[c];
            cc.in = &in;
            r = fnli_nurture_due(&cc, &t, &f);
            if (r < 0)
                return r;
            if (r == 1 && s->nfired < 256)
                s->fired[s->nfired++] = f;
            else
                s->nstopped++;
        }
    }
    return FNL_OK;
}

static inline uint32_t sim_stage(const sim *s, const char *name)
{
    uint32_t i = 0;
    if (fnl_machine_stage_find(s->m, name, &i) != FNL_OK)
        return 0xFFFFu;
    return i;
}

/* Index of the n-th (0-based) log record of this kind for contact c, or
 * -1. */
static inline long sim_find(const sim *s, int c, int kind, int n)
{
    size_t k;
    for (k = 0; k < s->nlog; k++)
        if (s->log[k].kind == kind && s->log[k].contact == (uint64_t)c &&
            n-- == 0)
            return (long)k;
    return -1;
}

static inline int sim_count(const sim *s, int c, int kind)
{
    size_t k;
    int n = 0;
    for (k = 0; k < s->nlog; k++)
        n += s->log[k].kind == kind && (c < 0 || s->log[k].contact ==
                                                     (uint64_t)c);
    return n;
}

#endif
