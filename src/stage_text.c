/* stage_text.c -- the canonical text of a compiled machine, built once at
 * compile time so fnl_machine_to_text() never allocates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "stage_syntax.h"

void fnli_sbuf_put(fnli_sbuf *b, const char *s, size_t n)
{
    void *p;
    if (b->failed)
        return;
    p = b->p;
    if (fnli_grow(b->mem, &p, &b->cap, b->n + n + 1, 1, 256) != FNL_OK) {
        b->failed = 1;
        return;
    }
    b->p = p;
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

void fnli_sbuf_str(fnli_sbuf *b, const char *s)
{
    fnli_sbuf_put(b, s, strlen(s));
}

void fnli_sbuf_int(fnli_sbuf *b, int64_t v)
{
    char t[32];
    int n = snprintf(t, sizeof(t), "%lld", (long long)v);
    fnli_sbuf_put(b, t, (size_t)n);
}

void fnli_sbuf_num(fnli_sbuf *b, double v)
{
    char t[40];
    int prec, n = 0;
    if (v == (double)(int64_t)v && v > -1e15 && v < 1e15) {
        fnli_sbuf_int(b, (int64_t)v);
        return;
    }
    for (prec = 1; prec <= 17; prec++) {
        n = snprintf(t, sizeof(t), "%.*g", prec, v);
        if (strtod(t, NULL) == v)
            break;
    }
    fnli_sbuf_put(b, t, (size_t)n);
}

void fnli_sbuf_quoted(fnli_sbuf *b, const char *s)
{
    const char *start = s;
    fnli_sbuf_put(b, "\"", 1);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') {
            fnli_sbuf_put(b, start, (size_t)(s - start));
            fnli_sbuf_put(b, "\\", 1);
            start = s;
        }
    }
    fnli_sbuf_put(b, start, (size_t)(s - start));
    fnli_sbuf_put(b, "\"", 1);
}

void fnli_sbuf_duration(fnli_sbuf *b, int64_t ms, int days)
{
    static const struct { const char *u; int64_t ms; } units[] = {
        {"h", 3600000}, {"m", 60000}, {"s", 1000}, {"ms", 1}};
    size_t k;
    if (ms == 0) {
        fnli_sbuf_str(b, "0s");
        return;
    }
    if (days && ms % FNLI_DAY_MS == 0) {
        fnli_sbuf_int(b, ms / FNLI_DAY_MS);
        fnli_sbuf_str(b, "d");
        return;
    }
    for (k = 0; k < sizeof(units) / sizeof(units[0]); k++) {
        if (ms % units[k].ms == 0) {
            fnli_sbuf_int(b, ms / units[k].ms);
            fnli_sbuf_str(b, units[k].u);
            return;
        }
    }
}

static const char *sname(const fnl_machine *m, uint32_t stage)
{
    return m->str[m->stages[stage].name].p;
}

static void print_filter(fnli_sbuf *b, const fnl_machine *m,
                         const fnli_tfilter *f)
{
    if (f->type != FNLI_NONE) {
        fnli_sbuf_str(b, " type = ");
        fnli_sbuf_quoted(b, m->str[f->type].p);
    }
    if (f->channel != FNLI_NONE) {
        fnli_sbuf_str(b, " channel = ");
        fnli_sbuf_quoted(b, m->str[f->channel].p);
    }
    if (f->campaign != FNLI_NONE) {
        fnli_sbuf_str(b, " campaign = ");
        fnli_sbuf_quoted(b, m->str[f->campaign].p);
    }
}

static void print_when(fnli_sbuf *b, const fnl_machine *m, const char *kw,
                       uint32_t cond)
{
    if (cond == FNLI_NONE)
        return;
    fnli_sbuf_str(b, kw);
    fnli_cond_print(b, m, cond);
}

static void print_transition(fnli_sbuf *b, const fnl_machine *m,
                             const fnli_mtrans *t)
{
    fnli_sbuf_str(b, "transition ");
    fnli_sbuf_str(b, t->from == FNLI_ANY_STAGE ? "*" : sname(m, t->from));
    fnli_sbuf_str(b, " -> ");
    fnli_sbuf_str(b, sname(m, t->to));
    if (t->back)
        fnli_sbuf_str(b, " back");
    switch (t->trigger) {
    case FNL_TRIGGER_EVENT:
        fnli_sbuf_str(b, " on event ");
        fnli_sbuf_str(b, m->str[t->name].p);
        if (t->reason != FNLI_NONE) {
            fnli_sbuf_str(b, " reason ");
            fnli_sbuf_quoted(b, m->str[t->reason].p);
        }
        break;
    case FNL_TRIGGER_KEY_EVENT:
        fnli_sbuf_str(b, " on key_event ");
        fnli_sbuf_quoted(b, m->str[t->name].p);
        break;
    case FNL_TRIGGER_TOUCH:
        fnli_sbuf_str(b, " on touch");
        print_filter(b, m, &t->touch);
        break;
    case FNL_TRIGGER_IDLE:
    case FNL_TRIGGER_STAY:
        fnli_sbuf_str(b, t->trigger == FNL_TRIGGER_IDLE ? " on idle "
                                                        : " on stay ");
        fnli_sbuf_duration(b, t->duration, 1);
        break;
    default:
        break;
    }
    print_when(b, m, " when ", t->when);
    if (t->priority != 0) {
        fnli_sbuf_str(b, " priority ");
        fnli_sbuf_int(b, t->priority);
    }
    fnli_sbuf_str(b, "\n");
}

static void print_route(fnli_sbuf *b, const fnl_machine *m,
                        const fnli_mroute *r)
{
    fnli_sbuf_str(b, "route on ");
    fnli_sbuf_str(b, sname(m, r->stage));
    print_when(b, m, " when ", r->when);
    switch (r->target) {
    case FNL_ROUTE_OWNER:
    case FNL_ROUTE_QUEUE:
        fnli_sbuf_str(b, r->target == FNL_ROUTE_OWNER ? " to owner "
                                                      : " to queue ");
        fnli_sbuf_quoted(b, fnli_machine_owner_name(m, r->ref));
        break;
    case FNL_ROUTE_GROUP:
        fnli_sbuf_str(b, " to group ");
        fnli_sbuf_str(b, m->str[m->groups[r->ref].name].p);
        fnli_sbuf_str(b, r->mode == FNL_ROUTE_LEAST_LOADED ? " least_loaded"
                                                           : " round_robin");
        break;
    default:
        fnli_sbuf_str(b, " to account_owner");
        break;
    }
    fnli_sbuf_str(b, "\n");
}

static void print_sla(fnli_sbuf *b, const fnl_machine *m, const fnli_msla *s)
{
    const char *def = s->kind == FNL_SLA_ACCEPT ? "accept"
                      : s->kind == FNL_SLA_TOUCH ? "touch"
                                                 : m->str[s->event].p;
    fnli_sbuf_str(b, "sla ");
    fnli_sbuf_str(b, sname(m, s->stage));
    if (strcmp(m->str[s->name].p, def) != 0) {
        fnli_sbuf_str(b, " ");
        fnli_sbuf_str(b, m->str[s->name].p);
    }
    switch (s->kind) {
    case FNL_SLA_ACCEPT: fnli_sbuf_str(b, " accept"); break;
    case FNL_SLA_EVENT:
        fnli_sbuf_str(b, " event ");
        fnli_sbuf_str(b, m->str[s->event].p);
        break;
    default:
        fnli_sbuf_str(b, " touch");
        if (s->count != 1) {
            fnli_sbuf_str(b, " ");
            fnli_sbuf_int(b, s->count);
        }
        if (s->by_owner)
            fnli_sbuf_str(b, " by owner");
        print_filter(b, m, &s->touch);
        break;
    }
    fnli_sbuf_str(b, " within ");
    fnli_sbuf_duration(b, s->within, s->days);
    if (s->cal.days != 0) {
        char cal[64];
        fnli_calendar_format(&s->cal, cal, sizeof(cal));
        fnli_sbuf_str(b, " calendar ");
        fnli_sbuf_quoted(b, cal);
    }
    if (s->breach == FNL_SLA_BREACH_STAGE) {
        fnli_sbuf_str(b, " breach -> ");
        fnli_sbuf_str(b, sname(m, s->breach_stage));
    } else if (s->breach == FNL_SLA_BREACH_REROUTE) {
        fnli_sbuf_str(b, " breach reroute");
    }
    fnli_sbuf_str(b, "\n");
}

static void print_step(fnli_sbuf *b, const fnl_machine *m,
                       const fnli_mstep *s)
{
    fnli_sbuf_str(b, "step ");
    fnli_sbuf_str(b, m->str[s->name].p);
    switch (s->trigger) {
    case FNL_TRIGGER_ENTER:
        fnli_sbuf_str(b, " on enter ");
        fnli_sbuf_str(b, sname(m, s->stage));
        break;
    case FNL_TRIGGER_EVENT:
        fnli_sbuf_str(b, " on event ");
        fnli_sbuf_str(b, m->str[s->event].p);
        break;
    case FNL_TRIGGER_KEY_EVENT:
        fnli_sbuf_str(b, " on key_event ");
        fnli_sbuf_quoted(b, m->str[s->event].p);
        break;
    default:
        fnli_sbuf_str(b, " on touch");
        print_filter(b, m, &s->touch);
        break;
    }
    print_when(b, m, " when ", s->when);
    if (s->after != 0) {
        fnli_sbuf_str(b, " after ");
        fnli_sbuf_duration(b, s->after, 1);
    }
    fnli_sbuf_str(b, " notify ");
    fnli_sbuf_quoted(b, m->str[s->action].p);
    print_when(b, m, " unless ", s->unless);
    fnli_sbuf_str(b, "\n");
}

int fnli_machine_render(fnl_machine *m)
{
    fnli_sbuf b;
    size_t i, k;
    memset(&b, 0, sizeof(b));
    b.mem = &m->mem;
    fnli_sbuf_str(&b, "machine ");
    fnli_sbuf_quoted(&b, m->str[m->name].p);
    fnli_sbuf_str(&b, " version ");
    fnli_sbuf_int(&b, m->version);
    fnli_sbuf_str(&b, "\n");
    for (i = 0; i < m->nstages; i++) {
        const fnli_mstage *s = &m->stages[i];
        fnli_sbuf_str(&b, "stage ");
        fnli_sbuf_str(&b, m->str[s->name].p);
        if (i == m->initial)
            fnli_sbuf_str(&b, " initial");
        if (s->flags & FNL_STAGE_SIDE)
            fnli_sbuf_str(&b, " side");
        if (s->flags & FNL_STAGE_CLOSED)
            fnli_sbuf_str(&b, " closed");
        fnli_sbuf_str(&b, "\n");
    }
    for (i = 0; i < m->ngroups; i++) {
        const fnli_mgroup *g = &m->groups[i];
        fnli_sbuf_str(&b, "group ");
        fnli_sbuf_str(&b, m->str[g->name].p);
        fnli_sbuf_str(&b, " members ");
        for (k = 0; k < g->count; k++) {
            if (k)
                fnli_sbuf_str(&b, ", ");
            fnli_sbuf_quoted(&b,
                             fnli_machine_owner_name(m, m->members[g->first + k]));
        }
        fnli_sbuf_str(&b, "\n");
    }
    if (m->fallback != 0) {
        fnli_sbuf_str(&b, "fallback queue ");
        fnli_sbuf_quoted(&b, fnli_machine_owner_name(m, m->fallback));
        fnli_sbuf_str(&b, "\n");
    }
    for (i = 0; i < m->ntrans; i++)
        print_transition(&b, m, &m->trans[i]);
    for (i = 0; i < m->nroutes; i++)
        print_route(&b, m, &m->routes[i]);
    for (i = 0; i < m->nslas; i++)
        print_sla(&b, m, &m->slas[i]);
    for (i = 0; i < m->nsteps; i++)
        print_step(&b, m, &m->steps[i]);
    if (b.failed) {
        fnli_free(&m->mem, b.p, b.cap);
        return FNL_ENOMEM;
    }
    /* shrink to exactly len + 1 so the free size is known */
    if (b.cap != b.n + 1) {
        char *t = fnli_malloc(&m->mem, b.n + 1);
        if (t == NULL) {
            fnli_free(&m->mem, b.p, b.cap);
            return FNL_ENOMEM;
        }
        memcpy(t, b.p, b.n + 1);
        fnli_free(&m->mem, b.p, b.cap);
        b.p = t;
    }
    m->text = b.p;
    m->text_len = b.n;
    return FNL_OK;
}
