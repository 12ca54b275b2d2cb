/* nurture.c -- scheduling and firing nurture steps. */
#include <string.h>
#include "nurture.h"

static int schedule(const fnli_cond_ctx *c, uint32_t k, int64_t t,
                    fnli_stage_result *res)
{
    const fnli_mstep *s = &c->m->steps[k];
    fnli_timer *tm;
    if (!fnli_cond_eval(c, s->when))
        return FNL_OK;
    if (res->nsteps >= res->cap_steps)
        return FNL_ERANGE;
    tm = &res->steps[res->nsteps++];
    memset(tm, 0, sizeof(*tm));
    tm->kind = FNLI_TIMER_STEP;
    tm->contact = c->in->contact;
    tm->arg = k;
    tm->origin = t;
    tm->due = t > INT64_MAX - s->after ? INT64_MAX : t + s->after;
    return FNL_OK;
}

static int key_event_in(const fnl_machine *m, uint32_t name,
                        const fnli_stage_input *in)
{
    size_t i;
    if (in->kind != FNLI_TRIG_TOUCH && in->kind != FNLI_TRIG_SCORE)
        return 0;
    in = fnli_in(in, FNLI_IN_KEY_EVENTS);
    for (i = 0; i < in->nkey_events; i++)
        if (fnli_mstr_eq(m, name, in->key_events[i]))
            return 1;
    return 0;
}

int fnli_nurture_on_input(const fnli_cond_ctx *c, int64_t t,
                          fnli_stage_result *res)
{
    const fnl_machine *m = c->m;
    const fnli_stage_input *in = c->in;
    size_t k;
    for (k = 0; k < m->nsteps; k++) {
        const fnli_mstep *s = &m->steps[k];
        int hit = 0, rc;
        switch (s->trigger) {
        case FNL_TRIGGER_EVENT:
            hit = in->kind == FNLI_TRIG_EVENT && fnli_mstr_eq(m, s->event,
                                                              in->event);
            break;
        case FNL_TRIGGER_KEY_EVENT:
            hit = key_event_in(m, s->event, in);
            break;
        case FNL_TRIGGER_TOUCH:
            hit = fnli_tfilter_match(m, &s->touch, in);
            break;
        default:
            break;
        }
        if (hit && (rc = schedule(c, (uint32_t)k, t, res)) != FNL_OK)
            return rc;
    }
    return FNL_OK;
}

int fnli_nurture_on_enter(const fnli_cond_ctx *c, uint16_t stage, int64_t t,
                          fnli_stage_result *res)
{
    const fnl_machine *m = c->m;
    size_t k;
    for (k = 0; k < m->nsteps; k++) {
        int rc;
        if (m->steps[k].trigger != FNL_TRIGGER_ENTER ||
            m->steps[k].stage != stage)
            continue;
        if ((rc = schedule(c, (uint32_t)k, t, res)) != FNL_OK)
            return rc;
    }
    return FNL_OK;
}

int fnli_nurture_due(const fnli_cond_ctx *c, const fnli_timer *t,
                     fnli_step_fire *out)
{
    const fnl_machine *m = c->m;
    const fnli_mstep *s;
    if (t->kind != FNLI_TIMER_STEP || t->arg >= m->nsteps)
        return FNL_EINVAL;
    s = &m->steps[t->arg];
    if (s->unless != FNLI_NONE && fnli_cond_eval(c, s->unless))
        return 0;
    out->contact = t->contact;
    out->step = t->arg;
    out->name = m->str[s->name].p;
    out->action = m->str[s->action].p;
    out->due = t->due;
    out->origin = t->origin;
    return 1;
}
