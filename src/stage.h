/* stage.h -- the lifecycle stage machine: compiled layout, the per-contact
 * state the engine keeps, and the evaluation the engine calls.
 *
 * The module never touches engine structures.  The engine gives it:
 *   - the contact's stage state (fnli_stage_state, 64 bytes, POD);
 *   - a trigger (fnli_stage_input): a touch, a profile or score change, a
 *     host event, a timer, or "recheck";
 *   - score views filled from whatever scoring models it runs
 *     (fnli_score_view: fit, engagement, total, grade, band, thresholds),
 *     and an attribute lookup callback;
 *   - the routing state (routing.h) it keeps per machine;
 * and gets back, without anything changed (fnli_stage_eval is pure and
 * does not allocate):
 *   - the new state, transition / passed-through / assignment / breach
 *     records (fnli_stage_rec, 40 bytes, POD) to store and report,
 *   - nurture steps to schedule (fnli_timer records, nurture.h),
 *   - what to do with the contact's one stage timer (timerq.h).
 * Then, in its apply step, fnli_stage_apply() pushes / cancels timers and
 * updates the routing state; it cannot fail after fnli_stage_reserve().
 *
 * Semantics are documented in docs/stages.md; the summary:
 *   - Time guards and SLA deadlines are inclusive: due at d means it fires
 *     on the first evaluation (tick) at a time >= d and is recorded at d.
 *     Before it applies a trigger at time t, the evaluation first catches
 *     up every time guard and deadline due <= t, in due order, so results
 *     do not depend on how often the engine ticks.
 *   - A trigger earlier than the current stage's entry is applied at the
 *     entry time (a contact's history never runs backwards).
 *   - Transition choice: among the enabled transitions of the current
 *     stage, the highest priority wins; ties go to a transition from the
 *     named stage over a wildcard `*`, then to the one defined first.  A
 *     trigger (event, key event, touch) is consumed by the first
 *     transition; the new stage's condition-only transitions are then
 *     tried (chaining), never re-entering a stage within one evaluation,
 *     at most FNLI_STAGE_MAX_CHAIN transitions per evaluation.
 *   - Entering a funnel stage records every funnel stage of lower rank
 *     that the contact never reached as "passed through", in rank order,
 *     at the same time, so cumulative funnel counts stay consistent.
 *   - Routing and SLAs apply to the stage the contact rests in at the end
 *     of an evaluation; steps on `enter` fire for every stage entered.
 */
#ifndef FNL_STAGE_H
#define FNL_STAGE_H

#include <stddef.h>
#include <stdint.h>
#include "funnelcore.h"
#include "calendar.h"
#include "mem.h"
#include "timerq.h"

#define FNLI_NONE UINT32_MAX       /* no string / node / rule */
#define FNLI_NO_STAGE 0xFFFFu
#define FNLI_ANY_STAGE 0xFFFEu     /* `*` in a transition's from */
#define FNLI_STAGE_MAX_CHAIN 64    /* transitions per evaluation */

/* ---- compiled machine ----------------------------------------------------- */

/* Touch filters: string indices, FNLI_NONE for "any". */
typedef struct fnli_tfilter {
    uint32_t type, channel, campaign;
} fnli_tfilter;

typedef struct fnli_mstage {
    uint32_t name;
    uint16_t rank;        /* 1.. funnel order; 0 side */
    uint16_t flags;       /* FNL_STAGE_* */
    uint32_t tfirst, tcount;  /* into machine->torder: transitions that
                                 may leave it, in priority order */
    uint32_t sfirst, scount;  /* its SLAs (consecutive in machine->slas) */
    uint32_t rfirst, rcount;  /* into machine->rorder: its routes */
    uint32_t timed_first, ntimed; /* into machine->torder: of its
                                     transitions, the idle / stay ones, in
                                     priority order */
} fnli_mstage;

typedef struct fnli_mtrans {
    uint16_t from;        /* stage or FNLI_ANY_STAGE */
    uint16_t to;
    uint8_t trigger;      /* fnl_trigger */
    uint8_t back;
    uint16_t pad;
    uint32_t name;        /* EVENT / KEY_EVENT */
    uint32_t reason;      /* EVENT: FNLI_NONE = any */
    fnli_tfilter touch;
    int64_t duration;     /* IDLE / STAY */
    uint32_t when;        /* condition root, FNLI_NONE: true */
    int32_t priority;
} fnli_mtrans;

typedef struct fnli_mroute {
    uint16_t stage;
    uint8_t target;       /* fnl_route_target */
    uint8_t mode;         /* fnl_route_mode */
    uint32_t when;
    uint32_t ref;         /* OWNER / QUEUE: owner index (1-based);
                             GROUP: group index; ACCOUNT_OWNER: 0 */
} fnli_mroute;

typedef struct fnli_mgroup {
    uint32_t name;
    uint32_t first;       /* into machine->members (owner indices) */
    uint32_t count;
} fnli_mgroup;

typedef struct fnli_msla {
    uint32_t name;
    uint16_t stage;
    uint8_t kind;         /* fnl_sla_kind */
    uint8_t by_owner;
    uint32_t event;       /* FNL_SLA_EVENT (ACCEPT: "sales_accept") */
    uint32_t count;
    fnli_tfilter touch;
    int64_t within;
    uint8_t days;         /* `within` is whole days (working days with a
                             calendar) */
    uint8_t breach;       /* fnl_sla_breach */
    uint16_t breach_stage;
    fnli_calendar cal;    /* days 0: none */
} fnli_msla;

typedef struct fnli_mstep {
    uint32_t name;
    uint8_t trigger;      /* fnl_trigger */
    uint8_t pad;
    uint16_t stage;       /* ENTER */
    uint32_t event;       /* EVENT / KEY_EVENT */
    fnli_tfilter touch;
    uint32_t when;
    uint32_t unless;
    uint32_t action;
    int64_t after;
} fnli_mstep;

/* Condition nodes. */
enum {
    FNLI_C_AND = 1, FNLI_C_OR, FNLI_C_NOT,
    FNLI_C_SCORE,     /* field: FNLI_SF_*; a: model or NONE; op; num */
    FNLI_C_THRESHOLD, /* a: model or NONE; b: threshold name */
    FNLI_C_STR,       /* field: FNLI_SRC_*; a: attribute name; op; b/n */
    FNLI_C_STAGE,     /* op; a: stage */
    FNLI_C_REACHED,   /* a: stage */
    FNLI_C_UNSUB,
    FNLI_C_OWNED
};
enum { FNLI_SF_SCORE = 1, FNLI_SF_FIT, FNLI_SF_ENGAGEMENT, FNLI_SF_GRADE,
       FNLI_SF_BAND };
enum { FNLI_SRC_ATTR = 1, FNLI_SRC_SOURCE, FNLI_SRC_TOUCH_TYPE,
       FNLI_SRC_TOUCH_CHANNEL, FNLI_SRC_TOUCH_CAMPAIGN };
enum { FNLI_OP_EQ = 1, FNLI_OP_NE, FNLI_OP_LT, FNLI_OP_LE, FNLI_OP_GT,
       FNLI_OP_GE, FNLI_OP_IN, FNLI_OP_CONTAINS, FNLI_OP_EXISTS,
       FNLI_OP_MISSING };

typedef struct fnli_cnode {
    uint8_t kind, op, field, numeric;  /* numeric: the literal is num */
    uint32_t a, b;        /* children, or string indices (see kinds) */
    uint32_t n;           /* FNLI_OP_IN: values lists[b .. b + n) */
    double num;
} fnli_cnode;

typedef struct fnli_mstring {
    char *p;
    uint32_t n;
} fnli_mstring;

typedef struct fnli_mowner {
    uint32_t name;        /* string index */
    uint32_t queue;       /* 1: a queue, not a person */
} fnli_mowner;

struct fnl_machine {
    fnli_mem mem;
    uint32_t name;                 /* string index */
    uint32_t version;
    /* strings: NUL-terminated copies, deduplicated byte for byte */
    fnli_mstring *str;
    size_t nstr, cap_str;
    fnli_mstage *stages;
    size_t nstages, cap_stages;
    uint32_t initial;              /* stage index, FNLI_NONE until set */
    uint16_t nfunnel;              /* funnel (ranked) stages */
    fnli_mtrans *trans;
    size_t ntrans, cap_trans;
    fnli_cnode *nodes;
    size_t nnodes, cap_nodes;
    uint32_t *lists;
    size_t nlists, cap_lists;
    fnli_mowner *owners;           /* owner i+1 is owners[i] */
    size_t nowners, cap_owners;
    fnli_mgroup *groups;
    size_t ngroups, cap_groups;
    uint32_t *members;
    size_t nmembers, cap_members;
    fnli_mroute *routes;
    size_t nroutes, cap_routes;
    uint32_t fallback;             /* owner index (queue), 0: none */
    fnli_msla *slas;               /* in definition order */
    size_t nslas, cap_slas;
    fnli_mstep *steps;
    size_t nsteps, cap_steps;
    /* compiled at finish */
    uint32_t *torder;              /* per stage: transition indices */
    size_t ntorder;
    uint32_t *rorder;              /* per stage: route indices */
    uint32_t *sorder;              /* per stage: SLA indices */
    char *text;                    /* canonical text */
    size_t text_len;
    int finished;
};

/* String index of s[0..n) in the machine, or FNLI_NONE; ASCII case
 * ignored when fold is set. */
uint32_t fnli_machine_str_find(const fnl_machine *m, const char *s, size_t n,
                               int fold);
static inline const char *fnli_mstr(const fnl_machine *m, uint32_t i)
{
    return i == FNLI_NONE ? NULL : m->str[i].p;
}
/* Stage index of a name, or FNLI_NO_STAGE. */
uint32_t fnli_machine_stage_index(const fnl_machine *m, const char *s,
                                  size_t n);
/* Owner index (1-based) of an owner or queue name (exact bytes), or 0. */
uint32_t fnli_machine_owner_find(const fnl_machine *m, const char *s,
                                 size_t n);
/* The name of owner index i (1-based), or NULL. */
const char *fnli_machine_owner_name(const fnl_machine *m, uint32_t owner);

/* Bounds for the caller buffers of fnli_stage_eval(): enough for every
 * evaluation of this machine. */
size_t fnli_stage_max_recs(const fnl_machine *m);
size_t fnli_stage_max_steps(const fnl_machine *m);

/* ---- per-contact state ---------------------------------------------------- */

/* Owner values in a state and in records. */
#define FNLI_OWNER_NONE 0u
/* 1..nowners: the machine's owners and queues (fnli_machine_owner_name) */
#define FNLI_OWNER_ACCOUNT 0xFFFFFFFEu /* the account's owner, a name the
                                          machine does not list */
#define FNLI_OWNER_HOST 0xFFFFFFFFu    /* set by the host, not listed */

/* State flags. */
#define FNLI_ST_STARTED 1u       /* fnli_stage_start() ran */
#define FNLI_ST_UNSUBSCRIBED 2u

/* The stage state of one contact: 64 bytes, no pointers; the engine keeps
 * one per contact, copies it with memcpy and persists it as bytes. */
typedef struct fnli_stage_state {
    int64_t entered;      /* 0   when the current stage was entered */
    int64_t engaged;      /* 8   last engagement touch; INT64_MIN none */
    int64_t sla_base;     /* 16  start of the SLA clocks (entry or the
                                 last re-route) */
    int64_t timer_due;    /* 24  due of the scheduled stage timer;
                                 INT64_MAX: none */
    uint64_t timer_id;    /* 32  its id in the timer queue; 0: none */
    uint64_t reached;     /* 40  bit i: stage i entered or passed */
    uint32_t owner;       /* 48  FNLI_OWNER_* or owner index */
    uint16_t stage;       /* 52  current stage */
    uint8_t flags;        /* 54  FNLI_ST_* */
    uint8_t sla_done;     /* 55  bit k: SLA k of the stage met/breached */
    uint8_t sla_breached; /* 56  bit k: breached */
    uint8_t sla_count[FNL_MACHINE_MAX_SLAS]; /* 57 touch SLA progress */
    uint8_t pad[3];       /* 61 */
} fnli_stage_state;

/* ---- records -------------------------------------------------------------- */

enum {
    FNLI_REC_TRANSITION = 1, /* from -> to (rule: transition index, or
                                FNLI_NO_RULE for start / merge / breach) */
    FNLI_REC_PASSED = 2,     /* `to` was passed through (skipped) on the
                                way from `from` */
    FNLI_REC_ASSIGN = 3,     /* owner: new owner, prev: old; rule: route
                                index (FNLI_NO_RULE: fallback); arg: group
                                index + 1 or 0 */
    FNLI_REC_BREACH = 4      /* SLA `rule` of stage `from` breached at
                                its deadline; owner: the owner then */
};

/* Causes: what the evaluation was given (FNLI_TRIG_*), or: */
#define FNLI_CAUSE_SLA 32    /* an SLA breach action */
#define FNLI_CAUSE_MERGE 33  /* fnli_stage_merge() */
#define FNLI_NO_RULE 0xFFFFu

/* Record flags. */
#define FNLI_RF_BACK 1u      /* a backward transition */
#define FNLI_RF_REROUTE 2u   /* an assignment by an SLA re-route */

typedef struct fnli_stage_rec {
    uint64_t contact;
    int64_t time;
    uint8_t kind;         /* FNLI_REC_* */
    uint8_t cause;        /* FNLI_TRIG_* or FNLI_CAUSE_* */
    uint8_t flags;        /* FNLI_RF_* */
    uint8_t pad;
    uint16_t from;        /* stage before (FNLI_NO_STAGE at start) */
    uint16_t to;          /* stage after */
    uint16_t rule;
    uint16_t arg;         /* ASSIGN: group index + 1, 0: none */
    uint32_t owner;       /* owner after */
    uint32_t prev;        /* owner before */
    uint32_t reason;      /* the host's reason id of the trigger (e.g. an
                             interned sales_reject reason); 0 none */
} fnli_stage_rec;

/* ---- evaluation input ----------------------------------------------------- */

/* A scoring model's view of the contact, filled by the engine. */
typedef struct fnli_score_view {
    const char *model;    /* model name (NUL-terminated) */
    double fit, engagement, total;
    char grade;           /* 'A'..'D'; 0: unknown */
    uint8_t band;         /* 1..4; 0: unknown */
    uint64_t thresholds;  /* bit i: threshold i holds */
    const char *const *threshold_names; /* the model's, index order */
    uint32_t threshold_count;
} fnli_score_view;

/* Attribute lookup: 1 with *out filled when the contact has `name` (folded
 * [a-z0-9_.-]), else 0. */
typedef int (*fnli_attr_fn)(void *ctx, const char *name, size_t len,
                            fnl_attr *out);
/* A ready-made lookup over an fnl_attr array (ctx: fnli_attr_array). */
typedef struct fnli_attr_array {
    const fnl_attr *attrs;
    size_t count;
} fnli_attr_array;
int fnli_attr_array_lookup(void *ctx, const char *name, size_t len,
                           fnl_attr *out);

enum {
    FNLI_TRIG_START = 1,   /* a new contact enters the initial stage */
    FNLI_TRIG_TOUCH = 2,
    FNLI_TRIG_PROFILE = 3, /* attributes changed */
    FNLI_TRIG_SCORE = 4,   /* scores changed (and key events fired) */
    FNLI_TRIG_EVENT = 5,   /* a host event */
    FNLI_TRIG_TIMER = 6,   /* the contact's stage timer fired */
    FNLI_TRIG_RECHECK = 7  /* re-evaluate (after a merge, a new machine) */
};

typedef struct fnli_routing_state fnli_routing_state;

typedef struct fnli_stage_input {
    uint32_t kind;                /* FNLI_TRIG_* */
    int64_t time;                 /* of the trigger (timer: its due) */
    uint64_t contact;             /* copied into records and timers */
    const fnli_score_view *views; /* views[0]: the default model */
    size_t nviews;
    fnli_attr_fn attr;            /* NULL: no attributes */
    void *attr_ctx;
    const char *source;           /* the contact's source channel, NULL */
    const char *account_owner;    /* owner of its account, NULL: none */
    /* TOUCH */
    const char *touch_type, *touch_channel, *touch_campaign;
    uint32_t engaged;             /* the touch counts as engagement */
    uint32_t by_owner;            /* made by the contact's owner */
    /* TOUCH / SCORE: key events fired by this change */
    const char *const *key_events;
    size_t nkey_events;
    /* EVENT */
    const char *event;            /* host event name */
    const char *reason;           /* its reason text, NULL */
    uint32_t reason_id;           /* copied into records */
    /* TIMER */
    uint64_t timer_id;            /* the popped timer's id */
    /* routing: cursors and open-lead counts; NULL: routing not kept (all
       counts 0, cursors 0) */
    const fnli_routing_state *routing;
    /* Parts left to fill on first use: `missing` holds FNLI_IN_* bits,
       and fill(fill_ctx, in, parts) fills those parts (it cannot fail).
       The engine fills lazily what most evaluations never read; callers
       that fill everything up front leave missing 0. */
    unsigned missing;
    void (*fill)(void *ctx, struct fnli_stage_input *in, unsigned parts);
    void *fill_ctx;
    /* with fill: the owner by_owner was computed for */
    uint32_t by_owner_for;
} fnli_stage_input;

enum {
    FNLI_IN_VIEWS = 1u,          /* views, nviews */
    FNLI_IN_SOURCE = 2u,         /* source */
    FNLI_IN_ACCOUNT_OWNER = 4u,  /* account_owner */
    FNLI_IN_TOUCH = 8u,          /* touch_type, _channel, _campaign */
    FNLI_IN_BY_OWNER = 16u,      /* by_owner (for by_owner_for) */
    FNLI_IN_KEY_EVENTS = 32u     /* key_events, nkey_events */
};

/* Was the touch made by `owner`?  An evaluation may change the owner
 * before it applies the touch (an SLA re-route it caught up first), so a
 * lazily filled input answers for the owner asked; an input filled up
 * front answers for the owner the contact had before the evaluation. */
static inline int fnli_in_by_owner(const fnli_stage_input *in, uint32_t owner)
{
    if ((in->missing & FNLI_IN_BY_OWNER) ||
        (in->fill != NULL && in->by_owner_for != owner)) {
        fnli_stage_input *w = (fnli_stage_input *)(uintptr_t)in;
        w->missing &= ~FNLI_IN_BY_OWNER;
        w->by_owner_for = owner;
        w->fill(w->fill_ctx, w, FNLI_IN_BY_OWNER);
    }
    return in->by_owner != 0;
}

/* `in` with `parts` filled.  An input is the caller's scratch (never an
 * object defined const), so filling it behind a const pointer is sound;
 * the evaluation reads it as immutable either way. */
static inline const fnli_stage_input *fnli_in(const fnli_stage_input *in,
                                              unsigned parts)
{
    if (in->missing & parts) {
        fnli_stage_input *w = (fnli_stage_input *)(uintptr_t)in;
        unsigned want = w->missing & parts;
        w->missing &= ~want;
        w->fill(w->fill_ctx, w, want);
    }
    return in;
}

/* ---- evaluation ----------------------------------------------------------- */

enum { FNLI_TIMER_KEEP = 0, FNLI_TIMER_SET = 1, FNLI_TIMER_CANCEL = 2 };

typedef struct fnli_stage_result {
    fnli_stage_state state;   /* the state after (timer fields as before
                                 until fnli_stage_apply()) */
    fnli_stage_rec *recs;     /* caller buffer, cap_recs entries */
    size_t cap_recs, nrecs;
    fnli_timer *steps;        /* caller buffer: steps to schedule */
    size_t cap_steps, nsteps;
    uint32_t timer_op;        /* FNLI_TIMER_*: the contact's stage timer */
    int64_t timer_due;        /* SET: the new due */
} fnli_stage_result;

/* A fresh state: no stage yet (call fnli_stage_start). */
void fnli_stage_state_init(fnli_stage_state *st);

/* Evaluate a trigger.  Nothing is changed and nothing allocated: the
 * result holds the state after and what to record and schedule.  For a
 * new contact, in->kind is FNLI_TRIG_START and st a fresh state.
 * FNL_EINVAL: bad arguments (a state whose stage is not the machine's, a
 * time outside FNL_TIME_MIN..MAX, a START on a started state, anything
 * but START on a fresh state); FNL_ERANGE: a caller buffer is too small
 * (fnli_stage_max_recs / _steps are always enough). */
int fnli_stage_eval(const fnl_machine *m, const fnli_stage_state *st,
                    const fnli_stage_input *in, fnli_stage_result *res);

/* Make fnli_stage_apply() for this result infallible. */
int fnli_stage_reserve(fnli_timerq *q, const fnli_stage_result *res);

/* Apply a result: cancel / push the contact's stage timer, push its steps,
 * advance routing cursors and open-lead counts (rs may be NULL), and write
 * the new state (with the timer id) to *st.  Cannot fail after
 * fnli_stage_reserve(q, res). */
void fnli_stage_apply(const fnl_machine *m, fnli_timerq *q,
                      fnli_routing_state *rs, uint64_t contact,
                      const fnli_stage_state *before,
                      const fnli_stage_result *res, fnli_stage_state *st);

/* Merge the states of two contacts (survivor a, merged-away b) at time t:
 * the more advanced stage wins (higher rank; a funnel stage beats a side
 * stage; equal ranks: the survivor's); reached = union; engaged = the
 * later; the unsubscribed flag if either has it; the winner's owner (the
 * other's when the winner has none), entry time and SLA progress.  The
 * timer fields are the survivor's (the engine cancels b's timer and then
 * evaluates FNLI_TRIG_RECHECK on the merged state).  When the winner's
 * stage differs from a's, one FNLI_REC_TRANSITION with cause
 * FNLI_CAUSE_MERGE is written to *rec (rule FNLI_NO_RULE) and 1 returned;
 * else 0.  Stages the merged contact now counts as passed are b's. */
int fnli_stage_merge(const fnl_machine *m, const fnli_stage_state *a,
                     const fnli_stage_state *b, uint64_t contact, int64_t t,
                     fnli_stage_state *out, fnli_stage_rec *rec);

/* ---- sales rejection feedback ---------------------------------------------- */

/* One row of a rejection count: how many sales_reject transitions carried
 * `reason` for a contact whose dimension value was `key`. */
typedef struct fnli_reject_row {
    uint32_t key;         /* the dimension value (e.g. an interned
                             channel); for FNLI_KEY_OWNER the owner */
    uint32_t reason;      /* the record's reason id */
    uint64_t count;
} fnli_reject_row;

/* The dimension value of a record: source, channel, campaign (the engine
 * knows them per contact) -- or NULL to count by owner (rec->prev: the
 * owner who rejected). */
typedef uint32_t (*fnli_reject_key_fn)(void *ctx, const fnli_stage_rec *rec);

/* Count the rejections among n records: transitions caused by the host
 * event sales_reject.  *out (allocated from mem, freed by the caller with
 * fnli_free(mem, *out, *count * sizeof(**out))) receives the rows sorted
 * by (key, reason).  FNL_ENOMEM with *out untouched. */
int fnli_stage_reject_counts(const fnl_machine *m, fnli_mem *mem,
                             const fnli_stage_rec *recs, size_t n,
                             fnli_reject_key_fn key, void *ctx,
                             fnli_reject_row **out, size_t *count);

/* ---- conditions (stage_cond.c) --------------------------------------------- */

typedef struct fnli_cond_ctx {
    const fnl_machine *m;
    const fnli_stage_state *st;
    const fnli_stage_input *in;
} fnli_cond_ctx;

/* Evaluate condition `root` (FNLI_NONE: true). */
int fnli_cond_eval(const fnli_cond_ctx *c, uint32_t root);

/* Touch filter test against the input's touch. */
int fnli_tfilter_match(const fnl_machine *m, const fnli_tfilter *f,
                       const fnli_stage_input *in);

/* ASCII case-insensitive: string index i equals NUL-terminated s. */
int fnli_mstr_eq(const fnl_machine *m, uint32_t i, const char *s);

#endif
