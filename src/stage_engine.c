/* stage_engine.c -- the lifecycle stage machine attached to an engine.
 *
 * The engine keeps, with the machine: one fnli_stage_state per contact,
 * a list of history records per contact, the routing state and the timer
 * queue.  Three journaled mutations belong to it: attaching a machine
 * (its canonical text), a host event, and a tick ("the clock reached T").
 * Each of them evaluates before fnli_commit (in resolve, or in decode on
 * replay) and reserves what applying the result needs, so it changes
 * nothing when it fails.
 *
 * Contacts created, touched, updated or merged by the other mutations are
 * evaluated right after their apply, in fnli_commit, live and on replay
 * alike (the same records give the same evaluations), once the scores of
 * the contact are settled: the apply hooks only queue the evaluation
 * (room reserved in fnli_reserve). */
#include <stdlib.h>
#include "nurture.h"
#include "routing.h"
#include "score_engine.h"
#include "stage.h"
#include "stage_engine.h"

typedef struct cslot {
    fnli_stage_state st;
    uint32_t head, tail;      /* history list, oldest first */
    uint32_t count;
    uint32_t first;           /* the contact's first touch (the earliest,
                                 then the first to arrive); 0: none.  A
                                 cache, rebuilt on attach, load and merge */
    int64_t first_time;       /* its time (0: none) */
} cslot;

typedef struct hnode {
    fnli_stage_rec rec;
    uint32_t next;
    uint32_t pad;
} hnode;

enum { P_START = 1, P_TOUCH, P_PROFILE, P_MERGE, P_TICK, P_DEAL,
       P_RECHECK };

/* A queued evaluation.  The queue is worked off in order after apply; an
 * allocation failure stops it where it is (the rest stays queued, and the
 * next mutating call completes it first), so every pend must be safe to
 * run again from its start: `done` records the progress of those that do
 * several things. */
typedef struct pend {
    uint32_t kind;
    uint32_t c;               /* the contact; DEAL: the deal */
    uint32_t arg;             /* TOUCH: the touch; MERGE: merged away;
                                 DEAL: its status before */
    uint32_t arg2;            /* DEAL: its number of contacts before */
    int64_t time;
    uint32_t done;            /* DEAL: events already evaluated */
    uint32_t pad;
} pend;

struct fnli_stages {
    fnl_machine *m;
    cslot *slots;             /* per contact index */
    size_t nslots, cap_slots;
    hnode *hist;              /* [0] unused */
    size_t nhist, cap_hist;
    fnli_routing_state *rs;
    size_t rs_size;
    fnli_timerq q;
    int64_t clock;            /* the last tick, FNL_TIME_MIN before any */
    pend *pend;
    size_t npend, cap_pend;
    fnli_stage_rec *recbuf;
    size_t cap_recs;
    fnli_timer *stepbuf;
    size_t cap_steps;
};

typedef struct fnli_stages stages;

/* ---- the structure ---------------------------------------------------------- */

static void stages_destroy(fnl_engine *e, stages *s)
{
    if (s == NULL)
        return;
    if (s->slots != NULL)
        fnli_free(&e->mem, s->slots, s->cap_slots * sizeof(*s->slots));
    if (s->hist != NULL)
        fnli_free(&e->mem, s->hist, s->cap_hist * sizeof(*s->hist));
    if (s->rs != NULL)
        fnli_free(&e->mem, s->rs, s->rs_size);
    fnli_timerq_free(&s->q);
    if (s->pend != NULL)
        fnli_free(&e->mem, s->pend, s->cap_pend * sizeof(*s->pend));
    if (s->recbuf != NULL)
        fnli_free(&e->mem, s->recbuf, s->cap_recs * sizeof(*s->recbuf));
    if (s->stepbuf != NULL)
        fnli_free(&e->mem, s->stepbuf, s->cap_steps * sizeof(*s->stepbuf));
    fnl_machine_free(s->m);
    fnli_free(&e->mem, s, sizeof(*s));
}

void fnli_stages_free(fnl_engine *e)
{
    stages_destroy(e, e->stages);
    e->stages = NULL;
}

static int grow_slots(fnl_engine *e, stages *s, size_t n)
{
    void *v = s->slots;
    size_t old = s->cap_slots;
    int rc;
    if (n <= s->cap_slots)
        return FNL_OK;
    rc = fnli_grow(&e->mem, &v, &s->cap_slots, n, sizeof(*s->slots), 256);
    if (rc != FNL_OK)
        return rc;
    s->slots = v;
    memset(s->slots + old, 0, (s->cap_slots - old) * sizeof(*s->slots));
    return FNL_OK;
}

static int grow_hist(fnl_engine *e, stages *s, size_t more)
{
    void *v = s->hist;
    int rc;
    if (s->nhist + more <= s->cap_hist)
        return FNL_OK;
    if (s->nhist + more > UINT32_MAX)
        return FNL_ELIMIT;
    rc = fnli_grow(&e->mem, &v, &s->cap_hist, s->nhist + more,
                   sizeof(*s->hist), 256);
    s->hist = v;
    return rc;
}

/* A machine copy parsed from text, with its empty state (no contact). */
static int stages_new(fnl_engine *e, fnli_sv text, stages **out)
{
    fnl_parse_error err = FNL_PARSE_ERROR_INIT;
    stages *s = fnli_calloc(&e->mem, 1, sizeof(*s));
    int rc;
    if (s == NULL)
        return FNL_ENOMEM;
    fnli_timerq_init(&s->q, &e->mem);
    s->clock = FNL_TIME_MIN;
    s->nhist = 1;
    rc = fnl_machine_parse(&s->m, text.p, text.n, &e->mem.a, &err);
    if (rc != FNL_OK) {
        s->m = NULL;
        stages_destroy(e, s);
        return rc == FNL_ENOMEM ? rc : FNL_ECORRUPT;
    }
    s->rs_size = fnli_routing_state_size(s->m);
    s->rs = fnli_malloc(&e->mem, s->rs_size);
    s->cap_recs = fnli_stage_max_recs(s->m);
    s->cap_steps = fnli_stage_max_steps(s->m);
    if (s->cap_steps == 0)
        s->cap_steps = 1;
    s->recbuf = fnli_malloc(&e->mem, s->cap_recs * sizeof(*s->recbuf));
    s->stepbuf = fnli_malloc(&e->mem, s->cap_steps * sizeof(*s->stepbuf));
    if (s->rs == NULL || s->recbuf == NULL || s->stepbuf == NULL ||
        grow_hist(e, s, 1) != FNL_OK ||
        grow_slots(e, s, e->contacts.count) != FNL_OK) {
        stages_destroy(e, s);
        return FNL_ENOMEM;
    }
    fnli_routing_state_init(s->m, s->rs);
    s->nslots = e->contacts.count;
    *out = s;
    return FNL_OK;
}

int fnli_stages_reserve(fnl_engine *e, const fnli_need *n)
{
    stages *s = e->stages;
    size_t more = 2 * n->contacts + n->touches + n->keys + 8;
    void *v = s->pend;
    int rc = grow_slots(e, s, (size_t)e->contacts.count + n->contacts);
    if (rc != FNL_OK)
        return rc;
    rc = fnli_grow(&e->mem, &v, &s->cap_pend, s->npend + more,
                   sizeof(*s->pend), 16);
    s->pend = v;
    return rc;
}

/* ---- apply hooks ---------------------------------------------------------- */

static void push_pend(stages *s, uint32_t kind, uint32_t c, uint32_t arg,
                      int64_t time)
{
    pend *p;
    if (s->npend == s->cap_pend)
        return; /* reserved by fnli_stages_reserve: cannot happen */
    p = &s->pend[s->npend++];
    memset(p, 0, sizeof(*p));
    p->kind = kind;
    p->c = c;
    p->arg = arg;
    p->time = time;
}

void fnli_stages_new_contact(fnl_engine *e, uint32_t c, int64_t time)
{
    stages *s = e->stages;
    if (s == NULL || c >= s->cap_slots)
        return;
    memset(&s->slots[c], 0, sizeof(s->slots[c]));
    fnli_stage_state_init(&s->slots[c].st);
    if (c >= s->nslots)
        s->nslots = (size_t)c + 1;
    push_pend(s, P_START, c, 0, time);
}

void fnli_stages_on_touch(fnl_engine *e, uint32_t c, uint32_t t)
{
    if (e->stages != NULL)
        push_pend(e->stages, P_TOUCH, c, t, T_TIME(&e->touches, t));
}

void fnli_stages_on_profile(fnl_engine *e, uint32_t c, int64_t time)
{
    if (e->stages != NULL)
        push_pend(e->stages, P_PROFILE, c, 0, time);
}

void fnli_stages_on_merge(fnl_engine *e, uint32_t w, uint32_t l,
                          int64_t time)
{
    if (e->stages != NULL)
        push_pend(e->stages, P_MERGE, w, l, time);
}

void fnli_stages_on_deal(fnl_engine *e, uint32_t d, uint32_t was,
                         uint32_t had)
{
    stages *s = e->stages;
    if (s == NULL)
        return;
    push_pend(s, P_DEAL, d, was, DEAL(e, d)->created);
    if (s->npend > 0 && s->pend[s->npend - 1].kind == P_DEAL)
        s->pend[s->npend - 1].arg2 = had;
}

void fnli_stages_forget(fnl_engine *e, uint32_t c)
{
    stages *s = e->stages;
    cslot *sl;
    if (s == NULL || c >= s->nslots)
        return;
    sl = &s->slots[c];
    if (sl->st.timer_id != 0)
        (void)fnli_timerq_cancel(&s->q, sl->st.timer_id);
    if (sl->st.flags & FNLI_ST_STARTED)
        fnli_routing_track(s->m, s->rs, &sl->st, NULL);
    /* the records go with the person; their nodes stay unreferenced */
    memset(sl, 0, sizeof(*sl));
    fnli_stage_state_init(&sl->st);
}

/* ---- evaluation --------------------------------------------------------- */

/* What an evaluation of contact c reads, filled on first use (fill_input):
 * a touch in a stage whose guards only look at the score reads nothing
 * else, so it never touches the account, the first touch or the key
 * events. */
typedef struct evalctx {
    fnl_engine *e;
    stages *s;
    uint32_t c;
    uint32_t touch;           /* TOUCH: the touch */
    fnli_score_view views[FNL_MAX_MODELS];
    const char *tnames[FNL_MAX_MODELS][FNL_MODEL_MAX_THRESHOLDS];
    const char *kev[FNL_MAX_MODELS * FNL_MODEL_MAX_KEY_EVENTS];
} evalctx;

/* Is touch a (at time ta) earlier than touch b at tb (b 0: none)? */
static int touch_before(uint32_t a, int64_t ta, uint32_t b, int64_t tb)
{
    return b == 0 || ta < tb || (ta == tb && a < b);
}

/* Make touch t (0: none) the cached first touch of slot sl. */
static void set_first(const fnl_engine *e, cslot *sl, uint32_t t)
{
    sl->first = t;
    sl->first_time = t != 0 ? T_TIME(&e->touches, t) : 0;
}

static void scan_first(const fnl_engine *e, cslot *sl, uint32_t c)
{
    uint32_t x, best = 0;
    int64_t bt = 0;
    for (x = CONTACT(e, c)->touch_head; x != 0; x = T_NEXT(&e->touches, x)) {
        int64_t tx = T_TIME(&e->touches, x);
        if (touch_before(x, tx, best, bt)) {
            best = x;
            bt = tx;
        }
    }
    sl->first = best;
    sl->first_time = bt;
}

static const char *touch_field(const fnl_engine *e, uint32_t t, int f)
{
    return fnli_str(&e->strings, TCLASS(e, T_CLASS(&e->touches, t))->f[f]);
}

static int attr_lookup(void *ctx, const char *name, size_t len, fnl_attr *out)
{
    const evalctx *x = ctx;
    const fnl_engine *e = x->e;
    const fnli_contact *cr = CONTACT(e, x->c);
    uint32_t a;
    for (a = cr->attrs; a != 0; a = ATTRNODE(e, a)->next) {
        const fnli_attrnode *an = ATTRNODE(e, a);
        if (fnli_str_len(&e->strings, an->name) != len ||
            memcmp(fnli_str(&e->strings, an->name), name, len) != 0)
            continue;
        out->name = fnli_str(&e->strings, an->name);
        out->type = an->type;
        out->str = an->type == FNL_ATTR_STRING ? fnli_str(&e->strings, an->str)
                                               : NULL;
        out->num = an->num;
        return 1;
    }
    for (a = cr->keys; a != 0; a = KEYNODE(e, a)->next) {
        const fnli_keynode *k = KEYNODE(e, a);
        if (fnli_str_len(&e->strings, k->kind) != len ||
            memcmp(fnli_str(&e->strings, k->kind), name, len) != 0)
            continue;
        out->name = fnli_str(&e->strings, k->kind);
        out->type = FNL_ATTR_STRING;
        out->str = fnli_key_value(k);
        out->num = 0;
        return 1;
    }
    return 0;
}

static const char *owner_text(const fnl_engine *e, const stages *s,
                              uint32_t c, uint32_t owner);

/* The score views of every attached model at the input's time. */
static void fill_views(evalctx *x, fnli_stage_input *in)
{
    fnl_engine *e = x->e;
    size_t i;
    for (i = 0; i < e->nmodels && i < FNL_MAX_MODELS; i++) {
        fnl_score_result r = FNL_SCORE_RESULT_INIT;
        const fnl_model *m = fnli_scores_result(e, i, x->c, in->time, &r);
        fnli_score_view *v = &x->views[i];
        uint32_t k = 0;
        memset(v, 0, sizeof(*v));
        v->model = fnl_model_name(m);
        v->fit = r.fit;
        v->engagement = r.engagement;
        v->total = r.total;
        v->grade = r.grade[0];
        v->band = (uint8_t)r.band;
        v->thresholds = r.thresholds;
        while (k < FNL_MODEL_MAX_THRESHOLDS &&
               (x->tnames[i][k] = fnl_model_threshold_name(m, k)) != NULL)
            k++;
        v->threshold_names = x->tnames[i];
        v->threshold_count = k;
    }
    in->views = e->nmodels > 0 ? x->views : NULL;
    in->nviews = e->nmodels;
}

/* The key events of the attached models that touch x->touch stands for:
 * it matches the event's condition, and the event has fired. */
static void fill_key_events(evalctx *x, fnli_stage_input *in)
{
    fnl_engine *e = x->e;
    size_t i, n = 0;
    for (i = 0; i < e->nmodels && i < FNL_MAX_MODELS; i++) {
        uint64_t bits = fnli_scores_touch_events(e, i, x->c, x->touch);
        const fnl_model *m = fnli_scores_model(e, i);
        uint32_t b;
        for (b = 0; bits != 0; b++, bits >>= 1)
            if (bits & 1u)
                x->kev[n++] = fnl_model_key_event_name(m, b);
    }
    in->key_events = n > 0 ? x->kev : NULL;
    in->nkey_events = n;
}

static void fill_input(void *ctx, fnli_stage_input *in, unsigned parts)
{
    evalctx *x = ctx;
    fnl_engine *e = x->e;
    const cslot *sl = &x->s->slots[x->c];
    if (parts & FNLI_IN_VIEWS)
        fill_views(x, in);
    if ((parts & FNLI_IN_SOURCE) && sl->first != 0)
        in->source = touch_field(e, sl->first, TF_CHANNEL);
    if (parts & FNLI_IN_ACCOUNT_OWNER) {
        const fnli_contact *cr = CONTACT(e, x->c);
        if (cr->account != 0 && ACCOUNT(e, cr->account)->owner != 0)
            in->account_owner =
                fnli_str(&e->strings, ACCOUNT(e, cr->account)->owner);
    }
    if (x->touch == 0)
        return; /* the touch parts stay empty */
    if (parts & FNLI_IN_TOUCH) {
        const fnli_tclass *tc = TCLASS(e, T_CLASS(&e->touches, x->touch));
        in->touch_type = fnli_str(&e->strings, tc->f[TF_TYPE]);
        in->touch_channel = fnli_str(&e->strings, tc->f[TF_CHANNEL]);
        in->touch_campaign = fnli_str(&e->strings, tc->f[TF_CAMPAIGN]);
    }
    if (parts & FNLI_IN_BY_OWNER) {
        /* made by the contact's owner: the actor and the owner's name are
         * the same bytes */
        uint32_t by = fnli_touch_by(e, x->touch);
        const char *owner = by != 0 ? owner_text(e, x->s, x->c,
                                                 in->by_owner_for)
                                    : NULL;
        in->by_owner = owner != NULL &&
                       strcmp(fnli_str(&e->strings, by), owner) == 0;
    }
    if (parts & FNLI_IN_KEY_EVENTS)
        fill_key_events(x, in);
}

/* The input for contact c (scores settled by the caller) at time t; for
 * a touch trigger, `touch` is the touch (else 0).  Everything but the
 * trigger itself is filled on first use. */
static void make_input(evalctx *x, fnl_engine *e, stages *s, uint32_t c,
                       uint32_t kind, int64_t t, uint32_t touch,
                       fnli_stage_input *in)
{
    x->e = e;
    x->s = s;
    x->c = c;
    static const fnli_stage_input empty; /* copied, not memset: GCC
                                             makes the memset a slow
                                             `rep stos` */
    x->touch = kind == FNLI_TRIG_TOUCH ? touch : 0;
    *in = empty;
    in->kind = kind;
    in->time = t;
    in->contact = fnli_handle(CONTACT(e, c)->gen, c);
    in->attr = attr_lookup;
    in->attr_ctx = x;
    in->routing = s->rs;
    in->engaged = x->touch != 0;
    in->missing = FNLI_IN_VIEWS | FNLI_IN_SOURCE | FNLI_IN_ACCOUNT_OWNER |
                  FNLI_IN_TOUCH | FNLI_IN_BY_OWNER | FNLI_IN_KEY_EVENTS;
    in->fill = fill_input;
    in->fill_ctx = x;
}

static void init_result(stages *s, fnli_stage_result *res)
{
    static const fnli_stage_result empty; /* see make_input */
    *res = empty;
    res->recs = s->recbuf;
    res->cap_recs = s->cap_recs;
    res->steps = s->stepbuf;
    res->cap_steps = s->cap_steps;
}

/* Evaluate and reserve what applying the result needs (fallible). */
static int eval_reserve(fnl_engine *e, stages *s, uint32_t c,
                        const fnli_stage_input *in, fnli_stage_result *res,
                        int notify)
{
    int rc;
    init_result(s, res);
    rc = fnli_stage_eval(s->m, &s->slots[c].st, in, res);
    if (rc == FNL_OK)
        rc = fnli_stage_reserve(&s->q, res);
    if (rc == FNL_OK)
        rc = grow_hist(e, s, res->nrecs);
    if (rc == FNL_OK && notify)
        rc = fnli_queue_reserve(e, res->nrecs);
    return rc;
}

static const char *owner_text(const fnl_engine *e, const stages *s,
                              uint32_t c, uint32_t owner)
{
    const fnli_contact *cr = CONTACT(e, c);
    if (owner == FNLI_OWNER_NONE)
        return NULL;
    if (owner == FNLI_OWNER_ACCOUNT)
        return cr->account ? fnli_str(&e->strings,
                                      ACCOUNT(e, cr->account)->owner)
                           : NULL;
    if (owner == FNLI_OWNER_HOST)
        return fnli_str(&e->strings, cr->owner);
    return fnli_machine_owner_name(s->m, owner);
}

/* Append a record to c's history and tell the listener (infallible after
 * grow_hist and fnli_queue_reserve). */
static void add_rec(fnl_engine *e, stages *s, uint32_t c,
                    const fnli_stage_rec *r, int notify)
{
    cslot *sl = &s->slots[c];
    uint32_t h;
    if (s->nhist >= s->cap_hist)
        return; /* reserved: cannot happen */
    h = (uint32_t)s->nhist++;
    s->hist[h].rec = *r;
    s->hist[h].next = 0;
    s->hist[h].pad = 0;
    if (sl->tail != 0)
        s->hist[sl->tail].next = h;
    else
        sl->head = h;
    sl->tail = h;
    sl->count++;
    if (!notify || !e->has_listener)
        return;
    switch (r->kind) {
    case FNLI_REC_TRANSITION:
        fnli_queue(e, FNL_EVENT_STAGE_CHANGED, c, 0, 0, 0, r->time);
        e->events[e->nevents - 1].text = fnli_mstr(s->m,
                                                   s->m->stages[r->to].name);
        break;
    case FNLI_REC_ASSIGN:
        fnli_queue(e, FNL_EVENT_ROUTED, c, 0, 0, 0, r->time);
        e->events[e->nevents - 1].text = owner_text(e, s, c, r->owner);
        break;
    case FNLI_REC_BREACH:
        fnli_queue(e, FNL_EVENT_SLA_BREACH, c, 0, 0, 0, r->time);
        if (r->rule < s->m->nslas)
            e->events[e->nevents - 1].text =
                fnli_mstr(s->m, s->m->slas[r->rule].name);
        break;
    default:
        break;
    }
}

static void apply_result(fnl_engine *e, stages *s, uint32_t c,
                         const fnli_stage_result *res, uint32_t reason,
                         int notify)
{
    fnli_stage_state before = s->slots[c].st;
    size_t k;
    fnli_stage_apply(s->m, &s->q, s->rs,
                     fnli_handle(CONTACT(e, c)->gen, c), &before, res,
                     &s->slots[c].st);
    for (k = 0; k < res->nrecs; k++) {
        fnli_stage_rec r = res->recs[k];
        if (reason != 0 && r.cause == FNLI_TRIG_EVENT)
            r.reason = reason;
        add_rec(e, s, c, &r, notify);
    }
}

/* Evaluate a trigger on contact c and apply it.  FNL_ENOMEM (scores or
 * room for the result) leaves the contact as it was and is the only
 * failure the caller retries: every other outcome is the same live and on
 * replay. */
static int run(fnl_engine *e, stages *s, uint32_t c, uint32_t kind,
               int64_t t, uint32_t touch)
{
    evalctx x;
    fnli_stage_input in;
    fnli_stage_result res;
    int rc;
    if ((rc = fnli_scores_settle_one(e, c)) != FNL_OK)
        return rc;
    make_input(&x, e, s, c, kind, t, touch, &in);
    rc = eval_reserve(e, s, c, &in, &res, 1);
    if (rc == FNL_OK)
        apply_result(e, s, c, &res, 0, 1);
    return rc;
}

/* Merge loser l's stage state into survivor w at time *t (moved forward
 * so that no history runs backwards).  Fallible only before it changes
 * anything. */
static int merge_states(fnl_engine *e, stages *s, uint32_t w, uint32_t l,
                        int64_t *t)
{
    cslot *a = &s->slots[w], *b = &s->slots[l];
    fnli_stage_state out;
    fnli_stage_rec rec;
    int n, rc;
    scan_first(e, a, w); /* the lists are merged already */
    if (!(b->st.flags & FNLI_ST_STARTED))
        return FNL_OK;
    if (*t < b->st.entered)
        *t = b->st.entered;
    if ((a->st.flags & FNLI_ST_STARTED) && *t < a->st.entered)
        *t = a->st.entered;
    if ((rc = grow_hist(e, s, 1)) != FNL_OK ||
        (rc = fnli_queue_reserve(e, 1)) != FNL_OK)
        return rc;
    n = fnli_stage_merge(s->m, &a->st, &b->st,
                         fnli_handle(CONTACT(e, w)->gen, w), *t, &out, &rec);
    if (b->st.timer_id != 0)
        (void)fnli_timerq_cancel(&s->q, b->st.timer_id);
    fnli_routing_track(s->m, s->rs, &b->st, NULL);
    if (a->st.flags & FNLI_ST_STARTED)
        fnli_routing_track(s->m, s->rs, &a->st, &out);
    else
        fnli_routing_track(s->m, s->rs, NULL, &out);
    a->st = out;
    b->st.timer_id = 0;
    b->st.timer_due = INT64_MAX;
    if (n == 1)
        add_rec(e, s, w, &rec, 1);
    return FNL_OK;
}

/* How far ahead of its evaluation a pend's or a timer's contact is
 * prefetched: far enough to cover a miss, near enough to stay in cache. */
#define PEND_AHEAD 8

/* Start loading what evaluating contact c reads first. */
static void prefetch_contact(const fnl_engine *e, const stages *s, uint32_t c)
{
    if (c >= s->nslots || c >= e->contacts.count)
        return;
    FNL_PREFETCH(&s->slots[c]);
    FNL_PREFETCH((const char *)&s->slots[c] + sizeof(cslot) - 1);
    FNL_PREFETCH(CONTACT(e, c));
    fnli_scores_prefetch(e, c);
}

static void prefetch_pend(const fnl_engine *e, const stages *s,
                          const pend *p)
{
    if (p->kind != P_TOUCH)
        return;
    prefetch_contact(e, s, p->c);
    FNL_PREFETCH(TCLASS(e, T_CLASS(&e->touches, p->arg)));
}

/* In a due run, the timers coming next are known: load the timer two
 * strides ahead, and the contact of the one a stride ahead. */
static void prefetch_timers(const fnl_engine *e, const stages *s)
{
    const fnli_timer *far = fnli_timerq_ahead(&s->q, 2 * PEND_AHEAD);
    const fnli_timer *near = fnli_timerq_ahead(&s->q, PEND_AHEAD);
    if (far != NULL)
        FNL_PREFETCH(far);
    if (near != NULL)
        prefetch_contact(e, s, (uint32_t)near->contact);
}

/* Pop and fire every timer due <= now, in due order.  FNL_ENOMEM stops
 * before the timer that could not be evaluated (it stays queued). */
static int run_tick(fnl_engine *e, stages *s, int64_t now)
{
    int run = fnli_timerq_take_due(&s->q, now);
    for (;;) {
        const fnli_timer *pk;
        fnli_timer t;
        uint32_t c;
        int rc;
        /* a run over: the timers its evaluations pushed may make another */
        if (run && !fnli_timerq_in_run(&s->q))
            run = fnli_timerq_take_due(&s->q, now);
        if (run)
            prefetch_timers(e, s);
        pk = fnli_timerq_peek(&s->q);
        if (pk == NULL || pk->due > now)
            return FNL_OK;
        t = *pk;
        c = (uint32_t)t.contact;
        if (c == 0 || c >= e->contacts.count || c >= s->nslots ||
            CONTACT(e, c)->gen != (uint16_t)(t.contact >> 32) ||
            CONTACT(e, c)->state == CONTACT_FORGOTTEN) {
            (void)fnli_timerq_pop_due(&s->q, now, &t);
            continue;
        }
        c = fnli_find(e, c);
        if (t.kind == FNLI_TIMER_STAGE) {
            evalctx x;
            fnli_stage_input in;
            fnli_stage_result res;
            if (t.id != s->slots[c].st.timer_id) {
                (void)fnli_timerq_pop_due(&s->q, now, &t);
                continue; /* stale: replaced or merged away */
            }
            if ((rc = fnli_scores_settle_one(e, c)) != FNL_OK)
                return rc;
            make_input(&x, e, s, c, FNLI_TRIG_TIMER, t.due, 0, &in);
            in.timer_id = t.id;
            if ((rc = eval_reserve(e, s, c, &in, &res, 1)) == FNL_ENOMEM)
                return rc;
            (void)fnli_timerq_pop_due(&s->q, now, &t);
            if (rc == FNL_OK)
                apply_result(e, s, c, &res, 0, 1);
        } else if (t.kind == FNLI_TIMER_STEP) {
            evalctx x;
            fnli_stage_input in;
            fnli_cond_ctx cc;
            fnli_step_fire f;
            if ((rc = fnli_queue_reserve(e, 1)) != FNL_OK ||
                (rc = fnli_scores_settle_one(e, c)) != FNL_OK)
                return rc;
            (void)fnli_timerq_pop_due(&s->q, now, &t);
            make_input(&x, e, s, c, FNLI_TRIG_TIMER, t.due, 0, &in);
            cc.m = s->m;
            cc.st = &s->slots[c].st;
            cc.in = &in;
            if (fnli_nurture_due(&cc, &t, &f) == 1 && e->has_listener) {
                fnli_queue(e, FNL_EVENT_STEP_DUE, c, 0, 0, 0, t.due);
                e->events[e->nevents - 1].text = f.action;
            }
        } else {
            (void)fnli_timerq_pop_due(&s->q, now, &t);
        }
    }
}

/* A host event raised by the engine itself, at time t (moved forward to
 * the contact's stage entry so its history never runs backwards). */
static int run_event(fnl_engine *e, stages *s, uint32_t c, const char *event,
                     int64_t t)
{
    evalctx x;
    fnli_stage_input in;
    fnli_stage_result res;
    int rc;
    if (t < s->slots[c].st.entered)
        t = s->slots[c].st.entered;
    if ((rc = fnli_scores_settle_one(e, c)) != FNL_OK)
        return rc;
    make_input(&x, e, s, c, FNLI_TRIG_EVENT, t, 0, &in);
    in.event = event;
    rc = eval_reserve(e, s, c, &in, &res, 1);
    if (rc == FNL_OK)
        apply_result(e, s, c, &res, 0, 1);
    return rc;
}

/* Deal p->c was upserted: its contacts get opportunity_created (when the
 * deal is new, or they are new on it) at its creation, and deal_won /
 * deal_lost (when its status just became that, or they are new on a
 * closed deal) at its close.  Resumable:
 * p->done counts the events already evaluated. */
static int run_deal(fnl_engine *e, stages *s, pend *p)
{
    const fnli_deal *d = DEAL(e, p->c);
    int64_t closed = d->closed != 0 ? d->closed : d->created;
    const char *close_event = NULL;
    uint32_t x, k, u = 0;
    if (d->status == FNL_DEAL_WON)
        close_event = "deal_won";
    else if (d->status == FNL_DEAL_LOST)
        close_event = "deal_lost";
    for (x = d->contacts, k = 0; x != 0; x = DEALCONTACT(e, x)->next, k++) {
        uint32_t c = fnli_find(e, DEALCONTACT(e, x)->contact);
        int live = c < s->nslots && CONTACT(e, c)->state == CONTACT_LIVE &&
                   (s->slots[c].st.flags & FNLI_ST_STARTED);
        int added = p->arg == FNLI_DEAL_NEW || k >= p->arg2;
        int rc;
        if (added) {
            if (u++ >= p->done) {
                if (live && (rc = run_event(e, s, c, "opportunity_created",
                                            d->created)) == FNL_ENOMEM)
                    return rc;
                p->done = u;
            }
        }
        /* the close, when it just happened or is news to the contact */
        if (close_event != NULL && (added || d->status != p->arg) &&
            u++ >= p->done) {
            if (live &&
                (rc = run_event(e, s, c, close_event, closed)) == FNL_ENOMEM)
                return rc;
            p->done = u;
        }
    }
    return FNL_OK;
}


/* Work off the queue in order.  FNL_ENOMEM stops at the evaluation that
 * could not get memory; it and the rest stay queued. */
int fnli_stages_settle(fnl_engine *e)
{
    stages *s = e->stages;
    size_t i;
    int rc = FNL_OK;
    if (s == NULL || s->npend == 0)
        return FNL_OK;
    if (!e->replaying)
        fnli_scores_settle(e); /* key events are reported from here */
    for (i = 0; i < s->npend && rc != FNL_ENOMEM; i++) {
        pend *p = &s->pend[i];
        uint8_t state;
        if (i + PEND_AHEAD < s->npend)
            prefetch_pend(e, s, &s->pend[i + PEND_AHEAD]);
        if (p->kind == P_TICK) {
            rc = run_tick(e, s, p->time);
            continue;
        }
        if (p->kind == P_DEAL) {
            rc = run_deal(e, s, p);
            continue;
        }
        if (p->c >= s->nslots)
            continue;
        state = CONTACT(e, p->c)->state;
        switch (p->kind) {
        case P_START:
            if (state != CONTACT_FORGOTTEN) {
                scan_first(e, &s->slots[p->c], p->c);
                rc = run(e, s, p->c, FNLI_TRIG_START, p->time, 0);
            }
            break;
        case P_TOUCH:
            if (state == CONTACT_LIVE) {
                cslot *sl = &s->slots[p->c];
                if (touch_before(p->arg, p->time, sl->first, sl->first_time))
                    set_first(e, sl, p->arg);
                rc = run(e, s, p->c, FNLI_TRIG_TOUCH, p->time, p->arg);
            }
            break;
        case P_PROFILE:
            if (state == CONTACT_LIVE)
                rc = run(e, s, p->c, FNLI_TRIG_PROFILE, p->time, 0);
            break;
        case P_MERGE:
            if (p->arg >= s->nslots)
                break;
            if ((rc = merge_states(e, s, p->c, p->arg, &p->time)) != FNL_OK)
                break;
            p->kind = P_RECHECK; /* a retry only re-evaluates */
            /* fall through */
        case P_RECHECK:
            rc = run(e, s, p->c, FNLI_TRIG_RECHECK, p->time, 0);
            break;
        default:
            break;
        }
    }
    if (rc == FNL_ENOMEM) {
        i--; /* the pend that failed stays */
        memmove(s->pend, s->pend + i, (s->npend - i) * sizeof(*s->pend));
        s->npend -= i;
        return rc;
    }
    s->npend = 0;
    return FNL_OK;
}

int fnli_stages_pending(const fnl_engine *e)
{
    return e->stages != NULL && e->stages->npend > 0;
}

/* ---- attaching a machine ---------------------------------------------------- */

typedef struct rmachine {
    fnli_sv text;
    int64_t time;
    stages *built;
} rmachine;

/* The new machine with every live contact started at time t. */
static int build_stages(fnl_engine *e, fnli_sv text, int64_t t, stages **out)
{
    stages *s = NULL;
    uint32_t c;
    int rc = stages_new(e, text, &s);
    if (rc != FNL_OK)
        return rc;
    for (c = 1; c < e->contacts.count; c++) {
        fnli_stage_state_init(&s->slots[c].st);
        if (CONTACT(e, c)->state == CONTACT_LIVE) {
            evalctx x;
            fnli_stage_input in;
            fnli_stage_result res;
            if ((rc = fnli_scores_settle_one(e, c)) != FNL_OK)
                break;
            scan_first(e, &s->slots[c], c);
            make_input(&x, e, s, c, FNLI_TRIG_START, t, 0, &in);
            if ((rc = eval_reserve(e, s, c, &in, &res, 0)) != FNL_OK)
                break;
            apply_result(e, s, c, &res, 0, 0);
        }
    }
    if (rc != FNL_OK) {
        stages_destroy(e, s);
        return rc == FNL_EINVAL ? FNL_ECORRUPT : rc;
    }
    *out = s;
    return FNL_OK;
}

static void machine_need(const fnl_engine *e, const void *rv, fnli_need *n)
{
    (void)e;
    (void)rv;
    (void)n;
}

static void machine_encode(fnli_wbuf *w, const void *rv)
{
    const rmachine *r = rv;
    fnli_w_sv(w, r->time);
    fnli_w_str(w, r->text);
}

static int machine_decode(fnl_engine *e, fnli_rbuf *rb, void *out)
{
    rmachine *r = out;
    r->time = fnli_r_sv(rb);
    r->text = fnli_r_str(rb, (size_t)1 << 24);
    if (rb->bad || r->text.n == 0 || r->time < FNL_TIME_MIN ||
        r->time > FNL_TIME_MAX)
        return FNL_ECORRUPT;
    return build_stages(e, r->text, r->time, &r->built);
}

static void machine_apply(fnl_engine *e, void *rv)
{
    rmachine *r = rv;
    fnli_stages_free(e);
    e->stages = r->built;
    r->built = NULL;
}

static void machine_done(fnl_engine *e, void *rv)
{
    rmachine *r = rv;
    stages_destroy(e, r->built);
    r->built = NULL;
}

const fnli_opdef fnli_op_machine = {REC_MACHINE, machine_decode,
                                    machine_need, machine_encode,
                                    machine_apply, machine_done};

FNL_API int fnl_engine_attach_machine(fnl_engine *e, const fnl_machine *m)
{
    rmachine r;
    size_t len = 0;
    char *text;
    int rc;
    if (e == NULL || m == NULL)
        return fnli_fail(e, FNL_EINVAL, "attach_machine: NULL argument");
    if ((rc = fnli_begin(e)) != FNL_OK)
        return rc;
    memset(&r, 0, sizeof(r));
    fnl_machine_to_text(m, NULL, 0, &len);
    text = fnli_arena_alloc(&e->scratch, &e->mem, len + 1);
    if (text == NULL || len == 0 ||
        fnl_machine_to_text(m, text, len + 1, &len) != FNL_OK) {
        rc = fnli_fail(e, text == NULL ? FNL_ENOMEM : FNL_EINVAL,
                       "attach_machine: %s",
                       text == NULL ? "allocation failed" : "no text");
        goto done;
    }
    r.text.p = text;
    r.text.n = len;
    r.time = e->clock.now(e->clock.ctx);
    if (r.time < FNL_TIME_MIN || r.time > FNL_TIME_MAX) {
        rc = fnli_fail(e, FNL_EINVAL, "attach_machine: the clock is out of "
                                      "range");
        goto done;
    }
    if ((rc = build_stages(e, r.text, r.time, &r.built)) != FNL_OK) {
        rc = fnli_fail(e, rc == FNL_ENOMEM ? rc : FNL_EINVAL,
                       "attach_machine: %s", fnl_strerror(rc));
        goto done;
    }
    rc = fnli_commit(e, &fnli_op_machine, &r);
done:
    machine_done(e, &r);
    return fnli_end(e, rc);
}

/* ---- host events ------------------------------------------------------------- */

typedef struct revent {
    uint32_t c;
    fnli_sv event, reason;
    int64_t time;
    int prepared;
    fnli_stage_result res;    /* buffers: the machine's */
} revent;

static int check_event_name(fnli_sv v)
{
    size_t i;
    if (v.p == NULL || v.n == 0 || v.n > FNL_MAX_NAME)
        return 0;
    for (i = 0; i < v.n; i++) {
        char ch = v.p[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '_'))
            return 0;
    }
    return 1;
}

/* Evaluate the event and reserve its apply (before the commit). */
static int event_prepare(fnl_engine *e, revent *r)
{
    stages *s = e->stages;
    evalctx x;
    fnli_stage_input in;
    int rc;
    if ((rc = fnli_scores_settle_one(e, r->c)) != FNL_OK)
        return rc;
    make_input(&x, e, s, r->c, FNLI_TRIG_EVENT, r->time, 0, &in);
    in.event = r->event.p;
    in.reason = r->reason.p;
    rc = eval_reserve(e, s, r->c, &in, &r->res, 1);
    if (rc == FNL_OK)
        r->prepared = 1;
    return rc;
}

static void event_need(const fnl_engine *e, const void *rv, fnli_need *n)
{
    const revent *r = rv;
    (void)e;
    fnli_need_str(n, r->reason);
}

static void event_encode(fnli_wbuf *w, const void *rv)
{
    const revent *r = rv;
    fnli_w_uv(w, r->c);
    fnli_w_str(w, r->event);
    fnli_w_str(w, r->reason);
    fnli_w_sv(w, r->time);
}

static int event_decode(fnl_engine *e, fnli_rbuf *rb, void *out)
{
    revent *r = out;
    int rc;
    if ((rc = fnli_r_contact(e, rb, &r->c)) != FNL_OK)
        return rc;
    r->event = fnli_r_str(rb, FNL_MAX_NAME);
    r->reason = fnli_r_str(rb, FNL_MAX_STRING);
    r->time = fnli_r_sv(rb);
    if (rb->bad || e->stages == NULL || !check_event_name(r->event) ||
        (r->reason.p != NULL && r->reason.n == 0) ||
        CONTACT(e, r->c)->state != CONTACT_LIVE ||
        r->time < FNL_TIME_MIN || r->time > FNL_TIME_MAX)
        return FNL_ECORRUPT;
    /* the strings must be NUL-terminated for the evaluation */
    r->event.p = fnli_scratch_dup(e, r->event.p, r->event.n);
    if (r->reason.p != NULL)
        r->reason.p = fnli_scratch_dup(e, r->reason.p, r->reason.n);
    if (r->event.p == NULL || (r->reason.n > 0 && r->reason.p == NULL))
        return FNL_ENOMEM;
    rc = event_prepare(e, r);
    return rc == FNL_EINVAL ? FNL_ECORRUPT : rc;
}

static void event_apply(fnl_engine *e, void *rv)
{
    revent *r = rv;
    uint32_t reason = fnli_put_str(e, r->reason);
    if (r->prepared)
        apply_result(e, e->stages, r->c, &r->res, reason, 1);
}

const fnli_opdef fnli_op_event = {REC_EVENT, event_decode, event_need,
                                  event_encode, event_apply, NULL};

FNL_API int fnl_contact_event(fnl_engine *e, fnl_contact_id id,
                              const char *event, const char *reason,
                              int64_t time)
{
    revent r;
    char name[FNL_MAX_NAME + 1];
    size_t i;
    int rc;
    if (e == NULL || event == NULL)
        return fnli_fail(e, FNL_EINVAL, "contact_event: NULL argument");
    if ((rc = fnli_begin(e)) != FNL_OK)
        return rc;
    memset(&r, 0, sizeof(r));
    if (e->stages == NULL) {
        rc = fnli_fail(e, FNL_ENOTFOUND, "no stage machine is attached");
        goto done;
    }
    if ((rc = fnli_contact_index(e, id, &r.c)) != FNL_OK ||
        (rc = fnli_check_str(e, "event", event, 1, &r.event)) != FNL_OK ||
        (rc = fnli_check_str(e, "reason", reason, 0, &r.reason)) != FNL_OK ||
        (rc = fnli_check_time(e, "event time", time, &r.time)) != FNL_OK)
        goto done;
    if (r.event.n > FNL_MAX_NAME) {
        rc = fnli_fail(e, FNL_EINVAL, "event: longer than %d bytes",
                       FNL_MAX_NAME);
        goto done;
    }
    for (i = 0; i < r.event.n; i++) {
        char ch = r.event.p[i];
        name[i] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
    }
    name[r.event.n] = '\0';
    r.event.p = name;
    if (!check_event_name(r.event)) {
        rc = fnli_fail(e, FNL_EINVAL, "event: '%s' is not [a-z0-9_]", name);
        goto done;
    }
    if ((rc = event_prepare(e, &r)) != FNL_OK) {
        rc = fnli_fail(e, rc, "contact_event: %s", fnl_strerror(rc));
        goto done;
    }
    rc = fnli_commit(e, &fnli_op_event, &r);
done:
    return fnli_end(e, rc);
}

/* ---- ticks ---------------------------------------------------------------- */

typedef struct rtick {
    int64_t time;
} rtick;

static void tick_need(const fnl_engine *e, const void *rv, fnli_need *n)
{
    (void)e;
    (void)rv;
    (void)n;
}

static void tick_encode(fnli_wbuf *w, const void *rv)
{
    fnli_w_sv(w, ((const rtick *)rv)->time);
}

static int tick_decode(fnl_engine *e, fnli_rbuf *rb, void *out)
{
    rtick *r = out;
    r->time = fnli_r_sv(rb);
    if (rb->bad || e->stages == NULL || r->time < FNL_TIME_MIN ||
        r->time > FNL_TIME_MAX)
        return FNL_ECORRUPT;
    return FNL_OK;
}

static void tick_apply(fnl_engine *e, void *rv)
{
    const rtick *r = rv;
    stages *s = e->stages;
    if (r->time > s->clock)
        s->clock = r->time;
    push_pend(s, P_TICK, 0, 0, r->time);
}

const fnli_opdef fnli_op_tick = {REC_TICK, tick_decode, tick_need,
                                 tick_encode, tick_apply, NULL};

FNL_API int fnl_engine_tick(fnl_engine *e, int64_t now)
{
    rtick r;
    int rc;
    if (e == NULL)
        return fnli_fail(e, FNL_EINVAL, "engine_tick: NULL engine");
    if ((rc = fnli_begin(e)) != FNL_OK)
        return rc;
    if ((rc = fnli_check_time(e, "tick time", now, &r.time)) == FNL_OK &&
        e->stages != NULL)
        rc = fnli_commit(e, &fnli_op_tick, &r);
    return fnli_end(e, rc);
}

/* ---- reads ------------------------------------------------------------------ */

FNL_API int fnl_stage_status_init(fnl_stage_status *status, size_t size)
{
    static const fnl_stage_status init = FNL_STAGE_STATUS_INIT;
    return fnli_init_struct(status, size, &init, sizeof(init));
}

static int stage_contact(const fnl_engine *e, fnl_contact_id id, uint32_t *c)
{
    int rc;
    if (e->stages == NULL)
        return fnli_fail(e, FNL_ENOTFOUND, "no stage machine is attached");
    if ((rc = fnli_contact_index(e, id, c)) != FNL_OK)
        return rc;
    if (*c >= e->stages->nslots)
        return fnli_fail(e, FNL_ENOTFOUND, "contact has no stage");
    return FNL_OK;
}

FNL_API int fnl_contact_stage(const fnl_engine *e, fnl_contact_id id,
                              fnl_stage_status *out)
{
    fnl_stage_status r = FNL_STAGE_STATUS_INIT;
    const stages *s;
    const cslot *sl;
    uint32_t size, c, i;
    int rc;
    if (e == NULL || out == NULL)
        return fnli_fail(e, FNL_EINVAL, "contact_stage: NULL argument");
    memcpy(&size, out, sizeof(size));
    if (size < sizeof(uint32_t))
        return fnli_fail(e, FNL_EINVAL, "contact_stage: size not set");
    if ((rc = stage_contact(e, id, &c)) != FNL_OK)
        return rc;
    s = e->stages;
    sl = &s->slots[c];
    if (!(sl->st.flags & FNLI_ST_STARTED) || sl->st.stage >= s->m->nstages)
        return fnli_fail(e, FNL_ENOTFOUND, "contact has no stage");
    r.stage = sl->st.stage;
    r.name = fnli_mstr(s->m, s->m->stages[sl->st.stage].name);
    r.entered = sl->st.entered;
    r.owner = owner_text(e, s, c, sl->st.owner);
    r.reached = sl->st.reached;
    for (i = 0; i < 64; i++)
        r.reached_count += (uint32_t)((sl->st.reached >> i) & 1u);
    r.unsubscribed = (sl->st.flags & FNLI_ST_UNSUBSCRIBED) ? 1u : 0u;
    r.history = sl->count;
    r.size = size;
    memcpy(out, &r, size < sizeof(r) ? size : sizeof(r));
    fnli_clear(e);
    return FNL_OK;
}

FNL_API int fnl_contact_stage_history(const fnl_engine *e, fnl_contact_id id,
                                      fnl_stage_record *out, size_t cap,
                                      size_t *count)
{
    const stages *s;
    uint32_t c, h;
    size_t k = 0;
    int rc;
    if (e == NULL)
        return FNL_EINVAL;
    if ((rc = stage_contact(e, id, &c)) != FNL_OK)
        return rc;
    s = e->stages;
    if ((rc = fnli_copyout(e, out, cap, s->slots[c].count, count)) != FNL_OK)
        return rc;
    for (h = s->slots[c].head; h != 0 && k < cap; h = s->hist[h].next, k++) {
        const fnli_stage_rec *r = &s->hist[h].rec;
        fnl_stage_record *o = &out[k];
        memset(o, 0, sizeof(*o));
        o->time = r->time;
        o->kind = r->kind;
        o->cause = r->cause;
        o->from = r->from < s->m->nstages
                      ? fnli_mstr(s->m, s->m->stages[r->from].name)
                      : NULL;
        o->to = r->to < s->m->nstages
                    ? fnli_mstr(s->m, s->m->stages[r->to].name)
                    : NULL;
        o->rule = r->rule == FNLI_NO_RULE ? UINT32_MAX : r->rule;
        o->back = (r->flags & FNLI_RF_BACK) ? 1u : 0u;
        o->owner = owner_text(e, s, c, r->owner);
        o->prev_owner = owner_text(e, s, c, r->prev);
        o->reason = r->reason ? fnli_str(&e->strings, r->reason) : NULL;
    }
    *count = k;
    fnli_clear(e);
    return FNL_OK;
}

FNL_API int fnl_engine_machine(const fnl_engine *e, const fnl_machine **out)
{
    if (e == NULL || out == NULL)
        return fnli_fail(e, FNL_EINVAL, "engine_machine: NULL argument");
    if (e->stages == NULL)
        return fnli_fail(e, FNL_ENOTFOUND, "no stage machine is attached");
    *out = e->stages->m;
    fnli_clear(e);
    return FNL_OK;
}

/* ---- internal reads ------------------------------------------------------- */

const fnl_machine *fnli_stages_machine(const fnl_engine *e)
{
    return e->stages != NULL ? e->stages->m : NULL;
}

const fnli_stage_state *fnli_stages_state(const fnl_engine *e, uint32_t c)
{
    const stages *s = e->stages;
    if (s == NULL || c >= s->nslots ||
        !(s->slots[c].st.flags & FNLI_ST_STARTED))
        return NULL;
    return &s->slots[c].st;
}

const fnli_stage_rec *fnli_stages_first(const fnl_engine *e, uint32_t c)
{
    const stages *s = e->stages;
    if (s == NULL || c >= s->nslots || s->slots[c].head == 0)
        return NULL;
    return &s->hist[s->slots[c].head].rec;
}

const fnli_stage_rec *fnli_stages_next(const fnl_engine *e,
                                       const fnli_stage_rec *r)
{
    const stages *s = e->stages;
    /* rec is the first member of hnode */
    const hnode *h = (const hnode *)(const void *)r;
    return h->next != 0 ? &s->hist[h->next].rec : NULL;
}

uint32_t fnli_stages_first_touch(const fnl_engine *e, uint32_t c)
{
    const stages *s = e->stages;
    return s != NULL && c < s->nslots ? s->slots[c].first : 0;
}

const char *fnli_stages_owner(const fnl_engine *e, uint32_t c,
                              uint32_t owner)
{
    return e->stages != NULL ? owner_text(e, e->stages, c, owner) : NULL;
}

/* ---- snapshots -------------------------------------------------------------- */

/* ---- snapshot codecs ------------------------------------------------------
 * The section keeps the byte layout of the structs as they were first
 * written raw on little-endian hosts (fnli_stage_state 64 bytes,
 * fnli_stage_rec 40, fnli_timer 48, the routing state as 32-bit words), but
 * every field is now written and read little-endian explicitly, so a
 * snapshot moves between hosts of either byte order and the files written
 * before load unchanged. */

#define ST_BYTES 64
#define REC_BYTES 40
#define TIMER_BYTES 48
_Static_assert(57 + FNL_MACHINE_MAX_SLAS <= ST_BYTES,
               "the stage state's SLA counters fit its 64 bytes");

static void put_u16le(fnli_wbuf *w, uint16_t v)
{
    fnli_w_u8(w, v & 0xFFu);
    fnli_w_u8(w, v >> 8);
}

static uint16_t get_u16le(fnli_rbuf *rb)
{
    unsigned lo = fnli_r_u8(rb);
    return (uint16_t)(lo | fnli_r_u8(rb) << 8);
}

static void put_state(fnli_wbuf *w, const fnli_stage_state *st)
{
    size_t i;
    fnli_w_u64le(w, (uint64_t)st->entered);
    fnli_w_u64le(w, (uint64_t)st->engaged);
    fnli_w_u64le(w, (uint64_t)st->sla_base);
    fnli_w_u64le(w, (uint64_t)st->timer_due);
    fnli_w_u64le(w, st->timer_id);
    fnli_w_u64le(w, st->reached);
    fnli_w_u32le(w, st->owner);
    put_u16le(w, st->stage);
    fnli_w_u8(w, st->flags);
    fnli_w_u8(w, st->sla_done);
    fnli_w_u8(w, st->sla_breached);
    for (i = 0; i < FNL_MACHINE_MAX_SLAS; i++)
        fnli_w_u8(w, st->sla_count[i]);
    for (i = 57 + FNL_MACHINE_MAX_SLAS; i < ST_BYTES; i++)
        fnli_w_u8(w, 0);
}

/* (rb->bad on a short read) */
static void get_state(fnli_rbuf *rb, fnli_stage_state *st)
{
    size_t i;
    memset(st, 0, sizeof(*st));
    st->entered = (int64_t)fnli_r_u64le(rb);
    st->engaged = (int64_t)fnli_r_u64le(rb);
    st->sla_base = (int64_t)fnli_r_u64le(rb);
    st->timer_due = (int64_t)fnli_r_u64le(rb);
    st->timer_id = fnli_r_u64le(rb);
    st->reached = fnli_r_u64le(rb);
    st->owner = fnli_r_u32le(rb);
    st->stage = get_u16le(rb);
    st->flags = (uint8_t)fnli_r_u8(rb);
    st->sla_done = (uint8_t)fnli_r_u8(rb);
    st->sla_breached = (uint8_t)fnli_r_u8(rb);
    for (i = 0; i < FNL_MACHINE_MAX_SLAS; i++)
        st->sla_count[i] = (uint8_t)fnli_r_u8(rb);
    (void)fnli_r_bytes(rb, ST_BYTES - 57 - FNL_MACHINE_MAX_SLAS);
}

static void put_rec(fnli_wbuf *w, const fnli_stage_rec *r)
{
    fnli_w_u64le(w, r->contact);
    fnli_w_u64le(w, (uint64_t)r->time);
    fnli_w_u8(w, r->kind);
    fnli_w_u8(w, r->cause);
    fnli_w_u8(w, r->flags);
    fnli_w_u8(w, 0);
    put_u16le(w, r->from);
    put_u16le(w, r->to);
    put_u16le(w, r->rule);
    put_u16le(w, r->arg);
    fnli_w_u32le(w, r->owner);
    fnli_w_u32le(w, r->prev);
    fnli_w_u32le(w, r->reason);
}

static void get_rec(fnli_rbuf *rb, fnli_stage_rec *r)
{
    memset(r, 0, sizeof(*r));
    r->contact = fnli_r_u64le(rb);
    r->time = (int64_t)fnli_r_u64le(rb);
    r->kind = (uint8_t)fnli_r_u8(rb);
    r->cause = (uint8_t)fnli_r_u8(rb);
    r->flags = (uint8_t)fnli_r_u8(rb);
    (void)fnli_r_u8(rb);
    r->from = get_u16le(rb);
    r->to = get_u16le(rb);
    r->rule = get_u16le(rb);
    r->arg = get_u16le(rb);
    r->owner = fnli_r_u32le(rb);
    r->prev = fnli_r_u32le(rb);
    r->reason = fnli_r_u32le(rb);
}

static void get_timer(fnli_rbuf *rb, fnli_timer *t)
{
    t->due = (int64_t)fnli_r_u64le(rb);
    t->contact = fnli_r_u64le(rb);
    t->id = fnli_r_u64le(rb);
    t->seq = fnli_r_u64le(rb);
    t->kind = fnli_r_u32le(rb);
    t->arg = fnli_r_u32le(rb);
    t->origin = (int64_t)fnli_r_u64le(rb);
}

typedef struct tvisit {
    fnli_wbuf *w;
    uint64_t n;
} tvisit;

static void put_timer(void *ctx, const fnli_timer *t)
{
    tvisit *v = ctx;
    fnli_w_u64le(v->w, (uint64_t)t->due);
    fnli_w_u64le(v->w, t->contact);
    fnli_w_u64le(v->w, t->id);
    fnli_w_u64le(v->w, t->seq);
    fnli_w_u32le(v->w, t->kind);
    fnli_w_u32le(v->w, t->arg);
    fnli_w_u64le(v->w, (uint64_t)t->origin);
    v->n++;
}

static void count_timer(void *ctx, const fnli_timer *t)
{
    (void)t;
    ((tvisit *)ctx)->n++;
}

int fnli_stages_save(const fnl_engine *e, fnli_wbuf *w)
{
    const stages *s = e->stages;
    tvisit v;
    size_t c;
    if (s == NULL)
        return FNL_OK;
    fnli_w_uv(w, 1);
    {
        fnli_sv text;
        text.p = s->m->text;
        text.n = s->m->text_len;
        fnli_w_str(w, text);
    }
    fnli_w_sv(w, s->clock);
    fnli_w_uv(w, s->rs_size);
    {
        const uint32_t *word = (const uint32_t *)(const void *)s->rs;
        for (c = 0; c < s->rs_size / 4; c++)
            fnli_w_u32le(w, word[c]);
    }
    fnli_w_uv(w, s->nslots);
    for (c = 1; c < s->nslots; c++) {
        uint32_t h;
        put_state(w, &s->slots[c].st);
        fnli_w_uv(w, s->slots[c].count);
        for (h = s->slots[c].head; h != 0; h = s->hist[h].next)
            put_rec(w, &s->hist[h].rec);
    }
    v.w = w;
    v.n = 0;
    fnli_timerq_each(&s->q, count_timer, &v);
    fnli_w_uv(w, v.n);
    v.n = 0;
    fnli_timerq_each(&s->q, put_timer, &v);
    return w->failed ? FNL_ENOMEM : FNL_OK;
}

void fnli_stages_mark(const fnl_engine *e, unsigned char *mark, size_t n)
{
    const stages *s = e->stages;
    size_t h;
    if (s == NULL)
        return;
    for (h = 1; h < s->nhist; h++)
        if (s->hist[h].rec.reason < n)
            mark[s->hist[h].rec.reason] = 1;
}

static int owner_ok(const fnl_machine *m, uint32_t o)
{
    return o <= m->nowners || o == FNLI_OWNER_ACCOUNT ||
           o == FNLI_OWNER_HOST;
}

static int state_ok(const fnl_machine *m, const fnli_stage_state *st)
{
    if (!(st->flags & FNLI_ST_STARTED))
        return st->stage == FNLI_NO_STAGE && st->timer_id == 0;
    return st->stage < m->nstages && owner_ok(m, st->owner) &&
           st->entered >= FNL_TIME_MIN && st->entered <= FNL_TIME_MAX;
}

static int rec_ok(const fnl_engine *e, const fnl_machine *m,
                  const fnli_stage_rec *r)
{
    return r->kind >= FNLI_REC_TRANSITION && r->kind <= FNLI_REC_BREACH &&
           (r->from < m->nstages || r->from == FNLI_NO_STAGE) &&
           r->to < m->nstages && owner_ok(m, r->owner) &&
           owner_ok(m, r->prev) &&
           r->reason <= fnli_intern_count(&e->strings) &&
           (r->kind != FNLI_REC_BREACH || r->rule < m->nslas) &&
           r->time >= FNL_TIME_MIN && r->time <= FNL_TIME_MAX;
}

typedef struct idmap {
    uint64_t old;
    uint64_t k;
} idmap;

static int cmp_idmap(const void *x, const void *y)
{
    const idmap *a = x, *b = y;
    return a->old < b->old ? -1 : a->old > b->old;
}

/* Give the loaded timers the slots 1..n (so bad ids cannot make the queue
 * allocate for slots that do not exist) and the states their new ids.
 * Ids are internal: only their identity matters. */
static int renumber_timers(stages *s, fnli_timer *timers, size_t n,
                           idmap *map)
{
    size_t k, c;
    for (k = 0; k < n; k++) {
        if ((timers[k].id & 0xFFFFFFFFu) == 0 || timers[k].seq == 0)
            return FNL_ECORRUPT;
        map[k].old = timers[k].id;
        map[k].k = k;
        timers[k].id = (uint64_t)(uint32_t)timers[k].seq << 32 | (k + 1);
    }
    if (n > 1)
        fnli_qsort(map, n, sizeof(*map), cmp_idmap);
    for (k = 1; k < n; k++)
        if (map[k].old == map[k - 1].old)
            return FNL_ECORRUPT;
    for (c = 1; c < s->nslots; c++) {
        fnli_stage_state *st = &s->slots[c].st;
        idmap key, *hit;
        if (st->timer_id == 0)
            continue;
        key.old = st->timer_id;
        key.k = 0;
        hit = n > 0 ? bsearch(&key, map, n, sizeof(*map), cmp_idmap) : NULL;
        if (hit == NULL || timers[hit->k].kind != FNLI_TIMER_STAGE)
            return FNL_ECORRUPT;
        st->timer_id = timers[hit->k].id;
    }
    return FNL_OK;
}

int fnli_stages_load(fnl_engine *e, const void *p, size_t n)
{
    idmap *map = NULL;
    fnli_rbuf rb;
    stages *s = NULL;
    fnli_sv text;
    fnli_timer *timers = NULL;
    size_t ntimers = 0, c, k;
    uint64_t nslots;
    int rc = FNL_ECORRUPT;
    if (n == 0)
        return FNL_OK;
    fnli_r_init(&rb, p, n);
    if (fnli_r_uv(&rb) != 1)
        return FNL_ECORRUPT;
    text = fnli_r_str(&rb, n);
    if (rb.bad || text.n == 0)
        return FNL_ECORRUPT;
    if ((rc = stages_new(e, text, &s)) != FNL_OK)
        return rc;
    rc = FNL_ECORRUPT;
    s->clock = fnli_r_sv(&rb);
    if (fnli_r_uv(&rb) != s->rs_size)
        goto out;
    {
        uint32_t *word = (uint32_t *)(void *)s->rs;
        for (k = 0; k < s->rs_size / 4; k++)
            word[k] = fnli_r_u32le(&rb);
        if (rb.bad || !fnli_routing_state_valid(s->m, s->rs))
            goto out;
    }
    nslots = fnli_r_uv(&rb);
    if (rb.bad || nslots != e->contacts.count)
        goto out;
    for (c = 1; c < nslots; c++) {
        cslot *sl = &s->slots[c];
        size_t cnt;
        get_state(&rb, &sl->st);
        if (rb.bad || !state_ok(s->m, &sl->st))
            goto out;
        cnt = fnli_r_count(&rb, UINT32_MAX, REC_BYTES);
        if (rb.bad)
            goto out;
        if (grow_hist(e, s, cnt) != FNL_OK) {
            rc = FNL_ENOMEM;
            goto out;
        }
        for (k = 0; k < cnt; k++) {
            fnli_stage_rec r;
            get_rec(&rb, &r);
            if (rb.bad || !rec_ok(e, s->m, &r))
                goto out;
            add_rec(e, s, (uint32_t)c, &r, 0);
        }
    }
    s->nslots = nslots;
    for (c = 1; c < nslots; c++)
        if (CONTACT(e, c)->state == CONTACT_LIVE)
            scan_first(e, &s->slots[c], (uint32_t)c);
    ntimers = fnli_r_count(&rb, UINT32_MAX, TIMER_BYTES);
    if (rb.bad)
        goto out;
    if (ntimers > 0) {
        timers = fnli_malloc(&e->mem, ntimers * sizeof(*timers));
        map = fnli_malloc(&e->mem, ntimers * sizeof(*map));
        if (timers == NULL || map == NULL) {
            rc = FNL_ENOMEM;
            goto out;
        }
    }
    for (k = 0; k < ntimers; k++) {
        get_timer(&rb, &timers[k]);
        if (rb.bad || (timers[k].kind != FNLI_TIMER_STAGE &&
             timers[k].kind != FNLI_TIMER_STEP) ||
            (timers[k].kind == FNLI_TIMER_STEP &&
             timers[k].arg >= s->m->nsteps) ||
            timers[k].due < FNL_TIME_MIN || timers[k].due > FNL_TIME_MAX)
            goto out;
    }
    if (rb.bad || rb.off != rb.n ||
        renumber_timers(s, timers, ntimers, map) != FNL_OK)
        goto out;
    rc = fnli_timerq_restore(&s->q, timers, ntimers);
    if (rc != FNL_OK) {
        rc = rc == FNL_ENOMEM ? rc : FNL_ECORRUPT;
        goto out;
    }
    rc = FNL_ECORRUPT;
    for (c = 1; c < nslots; c++) {
        const fnli_stage_state *st = &s->slots[c].st;
        const fnli_timer *t;
        if (st->timer_id == 0)
            continue;
        t = fnli_timerq_get(&s->q, st->timer_id);
        if (t == NULL || t->kind != FNLI_TIMER_STAGE)
            goto out;
    }
    fnli_stages_free(e);
    e->stages = s;
    s = NULL;
    rc = FNL_OK;
out:
    if (timers != NULL)
        fnli_free(&e->mem, timers, ntimers * sizeof(*timers));
    if (map != NULL)
        fnli_free(&e->mem, map, ntimers * sizeof(*map));
    stages_destroy(e, s);
    return rc;
}
