/* stage.c -- evaluating the stage machine for one contact: catching up
 * time guards and SLA deadlines, choosing transitions by priority,
 * passed-through stages, routing on entry, steps, the contact's one stage
 * timer; applying a result; merging two contacts' states; rejection
 * feedback. */
#include <string.h>
#include "nurture.h"
#include "routing.h"
#include "sla.h"
#include "stage.h"

void fnli_stage_state_init(fnli_stage_state *st)
{
    memset(st, 0, sizeof(*st));
    st->engaged = INT64_MIN;
    st->timer_due = INT64_MAX;
    st->stage = FNLI_NO_STAGE;
}

typedef struct ev {
    const fnl_machine *m;
    const fnli_stage_input *in;
    fnli_stage_result *res;
    fnli_stage_state st;
    fnli_cond_ctx c;
    fnli_route_overlay ov;
    int chain;            /* transitions so far */
    int64_t instant;      /* time of the entries in `entered` */
    uint64_t entered;     /* stages entered at `instant` */
    int routed_final;     /* the resting stage was routed already */
    int rc;
} ev;

static void emit(ev *e, uint8_t kind, uint8_t cause, uint8_t flags,
                 int64_t t, uint16_t from, uint16_t to, uint16_t rule,
                 uint32_t prev, uint32_t arg)
{
    fnli_stage_result *r = e->res;
    fnli_stage_rec *x;
    if (r->nrecs >= r->cap_recs) {
        e->rc = FNL_ERANGE;
        return;
    }
    x = &r->recs[r->nrecs++];
    memset(x, 0, sizeof(*x));
    x->contact = e->in->contact;
    x->time = t;
    x->kind = kind;
    x->cause = cause;
    x->flags = flags;
    x->from = from;
    x->to = to;
    x->rule = rule;
    x->owner = e->st.owner;
    x->prev = prev;
    x->reason = cause == FNLI_TRIG_EVENT ? e->in->reason_id : 0;
    x->arg = (uint16_t)arg;
}

static uint64_t bit(uint32_t s)
{
    return UINT64_C(1) << s;
}

/* Route the contact in its current stage at time t. */
static void route(ev *e, int64_t t, uint8_t cause, uint32_t exclude,
                  uint8_t flags)
{
    fnli_route_pick pick;
    uint32_t prev = e->st.owner;
    if (fnli_route_pick_owner(&e->c, e->st.stage, exclude, &e->ov, &pick) != 1)
        return;
    if (pick.owner == prev)
        return;
    e->st.owner = pick.owner;
    emit(e, FNLI_REC_ASSIGN, cause, flags, t, e->st.stage, e->st.stage,
         pick.rule, prev, pick.group);
}

static void enter(ev *e, uint16_t to, int64_t t, uint8_t cause, uint16_t rule,
                  uint8_t flags)
{
    const fnl_machine *m = e->m;
    uint16_t from = e->st.stage;
    uint32_t rank = m->stages[to].rank, s;
    if (rank > 0) {  /* funnel stages of lower rank never reached */
        for (s = 0; s < m->nstages; s++) {
            uint32_t r = m->stages[s].rank;
            if (r == 0 || r >= rank || (e->st.reached & bit(s)))
                continue;
            e->st.reached |= bit(s);
            emit(e, FNLI_REC_PASSED, cause, 0, t, from, (uint16_t)s, rule,
                 e->st.owner, 0);
        }
    }
    if (t != e->instant) {
        e->instant = t;
        e->entered = 0;
    }
    e->entered |= bit(to);
    e->st.stage = to;
    e->st.entered = t;
    e->st.sla_base = t;
    e->st.sla_done = 0;
    e->st.sla_breached = 0;
    memset(e->st.sla_count, 0, sizeof(e->st.sla_count));
    e->st.reached |= bit(to);
    e->chain++;
    e->routed_final = 0;
    emit(e, FNLI_REC_TRANSITION, cause, flags, t, from, to, rule, e->st.owner,
         0);
    if (fnli_nurture_on_enter(&e->c, to, t, e->res) != FNL_OK)
        e->rc = FNL_ERANGE;
}

/* The due time of a time transition from the current state. */
static int64_t time_due(const ev *e, const fnli_mtrans *t)
{
    int64_t base = e->st.entered;
    if (t->trigger == FNL_TRIGGER_IDLE && e->st.engaged > base)
        base = e->st.engaged;
    return base > INT64_MAX - t->duration ? INT64_MAX : base + t->duration;
}

static int key_event_fired(const ev *e, uint32_t name)
{
    const fnli_stage_input *in = e->in;
    size_t i;
    if (in->kind != FNLI_TRIG_TOUCH && in->kind != FNLI_TRIG_SCORE)
        return 0;
    in = fnli_in(in, FNLI_IN_KEY_EVENTS);
    for (i = 0; i < in->nkey_events; i++)
        if (fnli_mstr_eq(e->m, name, in->key_events[i]))
            return 1;
    return 0;
}

/* The first enabled transition of the current stage at time t, in
 * priority order, or FNLI_NONE.  consumed: the trigger was used. */
static uint32_t choose(ev *e, int64_t t, int consumed)
{
    const fnl_machine *m = e->m;
    const fnli_mstage *s = &m->stages[e->st.stage];
    const fnli_stage_input *in = e->in;
    uint32_t k;
    for (k = 0; k < s->tcount; k++) {
        uint32_t ti = m->torder[s->tfirst + k];
        const fnli_mtrans *x = &m->trans[ti];
        int on;
        if (t == e->instant && (e->entered & bit(x->to)))
            continue;
        switch (x->trigger) {
        case FNL_TRIGGER_NONE: on = 1; break;
        case FNL_TRIGGER_EVENT:
            on = !consumed && in->kind == FNLI_TRIG_EVENT &&
                 fnli_mstr_eq(m, x->name, in->event) &&
                 (x->reason == FNLI_NONE || fnli_mstr_eq(m, x->reason,
                                                         in->reason));
            break;
        case FNL_TRIGGER_KEY_EVENT:
            on = !consumed && key_event_fired(e, x->name);
            break;
        case FNL_TRIGGER_TOUCH:
            on = !consumed && fnli_tfilter_match(m, &x->touch, in);
            break;
        case FNL_TRIGGER_IDLE:
        case FNL_TRIGGER_STAY:
            on = time_due(e, x) <= t;
            break;
        default: on = 0; break;
        }
        if (on && fnli_cond_eval(&e->c, x->when))
            return ti;
    }
    return FNLI_NONE;
}

/* The earliest pending SLA deadline of the current stage (not met nor
 * breached); *slot receives its slot or -1 when there is none. */
static int64_t sla_due(const ev *e, int *slot)
{
    const fnl_machine *m = e->m;
    const fnli_mstage *s = &m->stages[e->st.stage];
    int64_t best = INT64_MAX;
    uint32_t k;
    *slot = -1;
    for (k = 0; k < s->scount; k++) {
        int64_t d;
        if (e->st.sla_done & (1u << k))
            continue;
        d = fnli_sla_deadline(&m->slas[m->sorder[s->sfirst + k]],
                              e->st.sla_base);
        if (d < best) {
            best = d;
            *slot = (int)k;
        }
    }
    return best;
}

/* The earliest due time of the current stage's time transitions: with
 * enabled set, only those whose condition holds now; else only those due
 * after `after` (an earlier one waits for its condition, which only
 * another trigger can change). */
static int64_t time_due_min(const ev *e, int enabled, int64_t after)
{
    const fnl_machine *m = e->m;
    const fnli_mstage *s = &m->stages[e->st.stage];
    int64_t best = INT64_MAX;
    uint32_t k;
    for (k = 0; k < s->ntimed; k++) {
        const fnli_mtrans *x = &m->trans[m->torder[s->timed_first + k]];
        int64_t d = time_due(e, x);
        if (d >= best)
            continue;
        if (enabled ? fnli_cond_eval(&e->c, x->when) : d > after)
            best = d;
    }
    return best;
}

static void breach(ev *e, int slot, int64_t d)
{
    const fnl_machine *m = e->m;
    const fnli_mstage *s = &m->stages[e->st.stage];
    uint32_t si = m->sorder[s->sfirst + (uint32_t)slot];
    const fnli_msla *x = &m->slas[si];
    e->st.sla_done |= (uint8_t)(1u << slot);
    e->st.sla_breached |= (uint8_t)(1u << slot);
    emit(e, FNLI_REC_BREACH, FNLI_TRIG_TIMER, 0, d, e->st.stage, e->st.stage,
         (uint16_t)si, e->st.owner, 0);
    if (x->breach == FNL_SLA_BREACH_STAGE) {
        enter(e, x->breach_stage, d, FNLI_CAUSE_SLA, FNLI_NO_RULE,
              m->stages[x->breach_stage].rank <= s->rank ? FNLI_RF_BACK : 0);
    } else if (x->breach == FNL_SLA_BREACH_REROUTE) {
        route(e, d, FNLI_CAUSE_SLA, e->st.owner == FNLI_OWNER_NONE
                                        ? FNLI_OWNER_NONE
                                        : e->st.owner,
              FNLI_RF_REROUTE);
        e->st.sla_base = d;
        e->st.sla_done = 0;
        e->st.sla_breached = 0;
        memset(e->st.sla_count, 0, sizeof(e->st.sla_count));
    }
}

static int take(ev *e, uint32_t ti, int64_t t, uint8_t cause)
{
    const fnli_mtrans *x = &e->m->trans[ti];
    enter(e, x->to, t, cause, (uint16_t)ti, x->back ? FNLI_RF_BACK : 0);
    return e->rc;
}

/* Fire, in due order, every deadline and enabled time guard due <= t (a
 * breach before a transition due at the same time).  Returns 1 when the
 * chain limit stopped it early. */
static int catch_up(ev *e, int64_t t)
{
    while (e->rc == FNL_OK) {
        int slot;
        int64_t ds = sla_due(e, &slot), dt = time_due_min(e, 1, 0);
        uint32_t ti;
        /* slot < 0 (no deadline) means ds == INT64_MAX, which t never
           reaches; testing slot too keeps breach() from a slot of -1 */
        if ((slot < 0 || ds > t) && dt > t)
            return 0;
        if (e->chain >= FNLI_STAGE_MAX_CHAIN)
            return 1;
        if (slot >= 0 && ds <= dt) {
            breach(e, slot, ds);
            continue;
        }
        ti = choose(e, dt, 1);
        if (ti == FNLI_NONE)  /* cannot happen: dt's transition holds */
            return 0;
        take(e, ti, dt, FNLI_TRIG_TIMER);
    }
    return 0;
}

static void apply_trigger(ev *e, int64_t t)
{
    const fnl_machine *m = e->m;
    const fnli_stage_input *in = e->in;
    const fnli_mstage *s = &m->stages[e->st.stage];
    uint32_t k;
    if (in->kind == FNLI_TRIG_TOUCH) {
        if (in->engaged && t > e->st.engaged)
            e->st.engaged = t;
        if (fnli_in(in, FNLI_IN_TOUCH)->touch_type != NULL &&
            strcmp(in->touch_type, "unsubscribe") == 0)
            e->st.flags |= FNLI_ST_UNSUBSCRIBED;
    } else if (in->kind == FNLI_TRIG_EVENT && in->event != NULL) {
        if (strcmp(in->event, "unsubscribe") == 0)
            e->st.flags |= FNLI_ST_UNSUBSCRIBED;
        else if (strcmp(in->event, "resubscribe") == 0)
            e->st.flags &= (uint8_t)~FNLI_ST_UNSUBSCRIBED;
    }
    for (k = 0; k < s->scount; k++) {
        const fnli_msla *x = &m->slas[m->sorder[s->sfirst + k]];
        if ((e->st.sla_done & (1u << k)) || !fnli_sla_progress(m, x, in, e->st.owner))
            continue;
        if (x->kind == FNL_SLA_TOUCH && ++e->st.sla_count[k] < x->count)
            continue;
        e->st.sla_done |= (uint8_t)(1u << k);
    }
}

static void timer_plan(ev *e, int64_t t, int stopped)
{
    fnli_stage_result *r = e->res;
    int slot;
    int64_t d = sla_due(e, &slot), dt = time_due_min(e, 0, t);
    int64_t have = e->st.timer_id != 0 ? e->st.timer_due : INT64_MAX;
    if (dt < d)
        d = dt;
    if (stopped)
        d = t;
    r->timer_due = d;
    if (d == INT64_MAX)
        r->timer_op = e->st.timer_id != 0 ? FNLI_TIMER_CANCEL : FNLI_TIMER_KEEP;
    else if (d < have)
        r->timer_op = FNLI_TIMER_SET;
    else
        r->timer_op = FNLI_TIMER_KEEP;  /* an earlier timer re-plans */
}

int fnli_stage_eval(const fnl_machine *m, const fnli_stage_state *st,
                    const fnli_stage_input *in, fnli_stage_result *res)
{
    ev e;
    int64_t t;
    int stopped = 0, consumed = 0;
    uint16_t start_stage;
    if (m == NULL || st == NULL || in == NULL || res == NULL ||
        !m->finished || in->time < FNL_TIME_MIN || in->time > FNL_TIME_MAX ||
        (res->cap_recs > 0 && res->recs == NULL) ||
        (res->cap_steps > 0 && res->steps == NULL))
        return FNL_EINVAL;
    if (in->kind == FNLI_TRIG_START) {
        if (st->flags & FNLI_ST_STARTED)
            return FNL_EINVAL;
    } else if (!(st->flags & FNLI_ST_STARTED) || st->stage >= m->nstages ||
               in->kind < FNLI_TRIG_TOUCH || in->kind > FNLI_TRIG_RECHECK) {
        return FNL_EINVAL;
    }
    /* each member set (no memset: the overlay is half a kilobyte and
       only its first n entries are ever read) */
    e.m = m;
    e.in = in;
    e.res = res;
    e.st = *st;
    e.c.m = m;
    e.c.st = &e.st;
    e.c.in = in;
    e.ov.n = 0;
    e.chain = 0;
    e.instant = INT64_MIN;
    e.entered = 0;
    e.routed_final = 0;
    e.rc = FNL_OK;
    res->nrecs = 0;
    res->nsteps = 0;
    res->timer_op = FNLI_TIMER_KEEP;
    res->timer_due = INT64_MAX;
    t = in->time;
    if (in->kind == FNLI_TRIG_TIMER && in->timer_id != 0 &&
        in->timer_id == e.st.timer_id) {
        e.st.timer_id = 0;  /* it was popped */
        e.st.timer_due = INT64_MAX;
    }
    if (in->kind == FNLI_TRIG_START) {
        e.st.flags |= FNLI_ST_STARTED;
        e.st.stage = FNLI_NO_STAGE;
        enter(&e, (uint16_t)m->initial, t, FNLI_TRIG_START, FNLI_NO_RULE, 0);
        consumed = 1;
        start_stage = FNLI_NO_STAGE;
    } else {
        if (t < e.st.entered)
            t = e.st.entered;
        start_stage = e.st.stage;
        stopped = catch_up(&e, t);
        if (!stopped)
            apply_trigger(&e, t);
    }
    while (!stopped && e.rc == FNL_OK) {
        uint32_t ti;
        if (e.chain >= FNLI_STAGE_MAX_CHAIN) {
            stopped = 1;
            break;
        }
        ti = choose(&e, t, consumed);
        if (ti == FNLI_NONE)
            break;
        take(&e, ti, t, (uint8_t)in->kind);
        consumed = 1;
    }
    if (e.rc == FNL_OK && (e.st.stage != start_stage || e.instant == t) &&
        !e.routed_final)
        route(&e, t, (uint8_t)in->kind, FNLI_OWNER_NONE, 0);
    if (e.rc == FNL_OK && in->kind != FNLI_TRIG_START)
        e.rc = fnli_nurture_on_input(&e.c, t, res);
    if (e.rc != FNL_OK)
        return e.rc;
    timer_plan(&e, t, stopped);
    res->state = e.st;
    return FNL_OK;
}

int fnli_stage_reserve(fnli_timerq *q, const fnli_stage_result *res)
{
    return fnli_timerq_reserve(q, res->nsteps +
                                      (res->timer_op == FNLI_TIMER_SET));
}

void fnli_stage_apply(const fnl_machine *m, fnli_timerq *q,
                      fnli_routing_state *rs, uint64_t contact,
                      const fnli_stage_state *before,
                      const fnli_stage_result *res, fnli_stage_state *st)
{
    fnli_stage_state s = res->state;
    size_t k;
    if (res->timer_op != FNLI_TIMER_KEEP && s.timer_id != 0) {
        (void)fnli_timerq_cancel(q, s.timer_id);
        s.timer_id = 0;
        s.timer_due = INT64_MAX;
    }
    if (res->timer_op == FNLI_TIMER_SET) {
        fnli_timer t;
        memset(&t, 0, sizeof(t));
        t.due = res->timer_due;
        t.contact = contact;
        t.kind = FNLI_TIMER_STAGE;
        (void)fnli_timerq_push(q, &t, &s.timer_id);
        s.timer_due = res->timer_due;
    }
    for (k = 0; k < res->nsteps; k++)
        (void)fnli_timerq_push(q, &res->steps[k], NULL);
    if (rs != NULL) {
        fnli_routing_apply_recs(m, rs, res->recs, res->nrecs);
        fnli_routing_track(m, rs, before, &s);
    }
    *st = s;
}

/* ---- merge -------------------------------------------------------------------- */

int fnli_stage_merge(const fnl_machine *m, const fnli_stage_state *a,
                     const fnli_stage_state *b, uint64_t contact, int64_t t,
                     fnli_stage_state *out, fnli_stage_rec *rec)
{
    const fnli_stage_state *w = a;
    fnli_stage_state r;
    int a_ok = (a->flags & FNLI_ST_STARTED) && a->stage < m->nstages;
    int b_ok = (b->flags & FNLI_ST_STARTED) && b->stage < m->nstages;
    /* b wins when it is the only valid state, or when both are valid
       and b's stage ranks higher (a's stage is read only when a_ok) */
    if (b_ok &&
        (!a_ok || m->stages[b->stage].rank > m->stages[a->stage].rank))
        w = b;
    r = *w;
    r.reached = a->reached | b->reached;
    r.engaged = a->engaged > b->engaged ? a->engaged : b->engaged;
    r.flags = (uint8_t)(a->flags | b->flags);
    if (r.owner == FNLI_OWNER_NONE)
        r.owner = w == a ? b->owner : a->owner;
    r.timer_id = a->timer_id;
    r.timer_due = a->timer_due;
    *out = r;
    if (w == a || !a_ok)
        return 0;
    memset(rec, 0, sizeof(*rec));
    rec->contact = contact;
    rec->time = t;
    rec->kind = FNLI_REC_TRANSITION;
    rec->cause = FNLI_CAUSE_MERGE;
    rec->from = a->stage;
    rec->to = r.stage;
    rec->rule = FNLI_NO_RULE;
    rec->owner = r.owner;
    rec->prev = a->owner;
    return 1;
}

/* ---- rejection feedback ----------------------------------------------------------- */

static int row_before(const fnli_reject_row *x, const fnli_reject_row *y)
{
    return x->key < y->key || (x->key == y->key && x->reason < y->reason);
}

static void sort_rows(fnli_reject_row *a, size_t n)
{
    /* heap sort: no recursion, no allocation */
    size_t i = n / 2, end = n;
    for (;;) {
        size_t root, child;
        fnli_reject_row tmp;
        if (i > 0) {
            i--;
            root = i;
        } else {
            if (end <= 1)
                return;
            end--;
            tmp = a[0];
            a[0] = a[end];
            a[end] = tmp;
            root = 0;
        }
        while ((child = 2 * root + 1) < end) {
            if (child + 1 < end && row_before(&a[child], &a[child + 1]))
                child++;
            if (!row_before(&a[root], &a[child]))
                break;
            tmp = a[root];
            a[root] = a[child];
            a[child] = tmp;
            root = child;
        }
    }
}

static int is_reject(const fnl_machine *m, const fnli_stage_rec *r)
{
    return r->kind == FNLI_REC_TRANSITION && r->cause == FNLI_TRIG_EVENT &&
           r->rule < m->ntrans &&
           m->trans[r->rule].trigger == FNL_TRIGGER_EVENT &&
           fnli_mstr_eq(m, m->trans[r->rule].name, "sales_reject");
}

int fnli_stage_reject_counts(const fnl_machine *m, fnli_mem *mem,
                             const fnli_stage_rec *recs, size_t n,
                             fnli_reject_key_fn key, void *ctx,
                             fnli_reject_row **out, size_t *count)
{
    size_t k, nr = 0, w = 0;
    fnli_reject_row *rows;
    for (k = 0; k < n; k++)
        nr += is_reject(m, &recs[k]);
    rows = fnli_malloc(mem, (nr ? nr : 1) * sizeof(*rows));
    if (rows == NULL)
        return FNL_ENOMEM;
    for (k = 0; k < n; k++) {
        if (!is_reject(m, &recs[k]))
            continue;
        rows[w].key = key != NULL ? key(ctx, &recs[k]) : recs[k].prev;
        rows[w].reason = recs[k].reason;
        rows[w].count = 1;
        w++;
    }
    sort_rows(rows, nr);
    w = 0;
    for (k = 0; k < nr; k++) {
        if (w > 0 && rows[w - 1].key == rows[k].key &&
            rows[w - 1].reason == rows[k].reason) {
            rows[w - 1].count++;
            continue;
        }
        rows[w++] = rows[k];
    }
    if (w < nr) {  /* shrink so the caller frees count * sizeof */
        fnli_reject_row *t = w == 0 ? rows
                             : fnli_realloc(mem, rows, nr * sizeof(*rows),
                                            w * sizeof(*rows));
        if (t == NULL) {
            /* keep the longer block: free it now, hand out an exact one */
            fnli_reject_row *c = fnli_malloc(mem, (w ? w : 1) * sizeof(*c));
            if (c == NULL) {
                fnli_free(mem, rows, nr * sizeof(*rows));
                return FNL_ENOMEM;
            }
            memcpy(c, rows, w * sizeof(*c));
            fnli_free(mem, rows, nr * sizeof(*rows));
            t = c;
        }
        rows = t;
    }
    if (w == 0) {
        fnli_free(mem, rows, sizeof(*rows));
        rows = NULL;
    }
    *out = rows;
    *count = w;
    return FNL_OK;
}
