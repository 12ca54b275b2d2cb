/* stage_report.c -- reports from the stage history of the attached
 * machine: the lifecycle funnel with conversions, velocity and benchmarks
 * (fnl_report_stage_funnel), cohorts by stage entry
 * (fnl_report_stage_cohort), Kaplan-Meier time from one stage to another
 * (fnl_report_stage_time_to_convert), sales rejections per group and
 * reason (fnl_report_rejections), and funnel counts for ROI
 * (fnl_engine_stage_counts).  Definitions: docs/reports.md, "Reports from
 * the stage history".
 *
 * Everything reads the engine through the stage module's read-only
 * accessors (stage_engine.h).  A person is a live contact with a stage
 * state together with the contacts merged into it: one walk over their
 * records gives the person's first entry per stage, and every report is
 * built from that.  Reports only read: nothing here changes the engine. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "normalize.h"
#include "report.h"
#include "stage.h"
#include "stage_engine.h"
#include "store.h"

#define NO_TIME INT64_MAX
/* fnl_survival_km() refuses longer times (survival.c bounds its cold-day
 * scan by it); a longer wait is read as this many days, as survival.c's
 * own deal report does. */
#define MAX_DAYS 1000000.0

static const char *const group_names[] = {"none", "channel", "campaign",
                                          "owner", "attr"};

static uint64_t sbit(uint32_t s)
{
    return UINT64_C(1) << s;
}

/* Index of the lowest set bit of b (b != 0). */
static uint32_t low_bit(uint64_t b)
{
#if defined(__GNUC__)
    return (uint32_t)__builtin_ctzll(b);
#else
    uint32_t i = 0;
    while (!(b & 1u)) {
        b >>= 1;
        i++;
    }
    return i;
#endif
}

/* ---- persons: a survivor and the contacts merged into it ----------------- */

typedef struct scan {
    const fnl_engine *e;
    const fnl_machine *m;
    fnli_mem *mem;
    uint32_t ncontacts;       /* e->contacts.count */
    uint32_t *child;          /* per survivor: a contact merged into it, 0
                                 none; NULL when nothing was merged */
    uint32_t *sibling;        /* the next contact merged into the same one */
    int64_t from, to;         /* the period [from, to) */
    int64_t as_of;
    uint32_t by;              /* fnl_stage_group */
    uint32_t attr;            /* FNL_STAGE_BY_ATTR: the name's string id
                                 (0: no contact has it) */
    uint16_t rank[FNL_MACHINE_MAX_STAGES];
    uint16_t by_rank[FNL_MACHINE_MAX_STAGES + 2]; /* rank -> stage */
    uint32_t nfunnel;
} scan;

typedef struct person {
    uint32_t root;
    uint64_t reached;         /* stages entered or passed by as_of */
    uint64_t real;            /* ... whose first entry was a transition
                                 (not a pass) */
    uint64_t inper;           /* ... with an entry in [from, to) */
    int64_t first[FNL_MACHINE_MAX_STAGES]; /* first entry (reached only) */
} person;

/* The attached machine, or FNL_ENOTFOUND with a message. */
static int scan_open(scan *sc, const fnl_engine *e, const char *what)
{
    const fnl_machine *m = fnli_stages_machine(e);
    size_t s;
    memset(sc, 0, sizeof(*sc));
    if (m == NULL)
        return fnli_fail(e, FNL_ENOTFOUND, "%s: no stage machine is attached",
                         what);
    sc->e = e;
    sc->m = m;
    sc->ncontacts = e->contacts.count;
    sc->to = NO_TIME;
    for (s = 0; s < FNL_MACHINE_MAX_STAGES + 2; s++)
        sc->by_rank[s] = FNLI_NO_STAGE;
    for (s = 0; s < m->nstages && s < FNL_MACHINE_MAX_STAGES; s++) {
        uint16_t r = m->stages[s].rank;
        sc->rank[s] = r;
        if (r > 0 && r <= FNL_MACHINE_MAX_STAGES) {
            sc->by_rank[r] = (uint16_t)s;
            if (r > sc->nfunnel)
                sc->nfunnel = r;
        }
    }
    return FNL_OK;
}

/* The first funnel stage, FNLI_NO_STAGE when the machine has none. */
static uint32_t first_stage(const scan *sc)
{
    return sc->by_rank[1];
}

/* The funnel stage after s, FNLI_NO_STAGE for the last and side stages. */
static uint32_t next_stage(const scan *sc, uint32_t s)
{
    return sc->rank[s] > 0 ? sc->by_rank[sc->rank[s] + 1] : FNLI_NO_STAGE;
}

static void scan_close(scan *sc)
{
    if (sc->child != NULL)
        fnli_free(sc->mem, sc->child, sc->ncontacts * sizeof(uint32_t));
    if (sc->sibling != NULL)
        fnli_free(sc->mem, sc->sibling, sc->ncontacts * sizeof(uint32_t));
    sc->child = sc->sibling = NULL;
}

/* Link every merged contact to the live survivor it folds into. */
static int scan_merged(scan *sc, fnli_mem *mem)
{
    const fnl_engine *e = sc->e;
    uint32_t c, n = sc->ncontacts;
    int any = 0;
    sc->mem = mem;
    for (c = 1; c < n && !any; c++)
        any = CONTACT(e, c)->state == CONTACT_MERGED;
    if (!any)
        return FNL_OK;
    sc->child = fnli_calloc(mem, n, sizeof(uint32_t));
    sc->sibling = fnli_calloc(mem, n, sizeof(uint32_t));
    if (sc->child == NULL || sc->sibling == NULL) {
        scan_close(sc);
        return FNL_ENOMEM;
    }
    for (c = 1; c < n; c++) {
        uint32_t r;
        if (CONTACT(e, c)->state != CONTACT_MERGED)
            continue;
        r = fnli_find(e, c);
        if (CONTACT(e, r)->state != CONTACT_LIVE)
            continue;
        sc->sibling[c] = sc->child[r];
        sc->child[r] = c;
    }
    return FNL_OK;
}

/* The member of root's person after k (root first), 0 at the end. */
static uint32_t next_member(const scan *sc, uint32_t root, uint32_t k)
{
    if (sc->child == NULL)
        return 0;
    return k == root ? sc->child[root] : sc->sibling[k];
}

/* Does record r enter a stage (by as_of)?  A merge moves no one: the
 * merged contact's own records tell when the person got there. */
static int is_entry(const scan *sc, const fnli_stage_rec *r)
{
    return (r->kind == FNLI_REC_TRANSITION || r->kind == FNLI_REC_PASSED) &&
           r->cause != FNLI_CAUSE_MERGE && r->to < sc->m->nstages &&
           r->time <= sc->as_of;
}

static int in_period(const scan *sc, int64_t t)
{
    return t >= sc->from && t < sc->to;
}

/* Record r into person p (an entry updates its first entry). */
static void take(const scan *sc, person *p, const fnli_stage_rec *r)
{
    uint64_t b;
    if (!is_entry(sc, r))
        return;
    b = sbit(r->to);
    if (!(p->reached & b) || r->time < p->first[r->to]) {
        p->reached |= b;
        p->first[r->to] = r->time;
        p->real &= ~b;
    }
    if (r->kind == FNLI_REC_TRANSITION && r->time == p->first[r->to])
        p->real |= b;
    if (in_period(sc, r->time))
        p->inper |= b;
}

/* Persons are loaded LANES at a time.  A history is a linked list whose
 * nodes were appended as things happened, so each record of a person is
 * likely a cache miss that depends on the one before: walking several
 * persons' lists side by side keeps several misses in flight. */
#define LANES 8

typedef struct pbatch {
    person p[LANES];
    size_t n;                 /* persons loaded */
    uint32_t next;            /* the next contact to look at (start: 1) */
} pbatch;

/* What a walk does with each record of person `lane` (besides take()):
 * nonzero stops the walk with that code. */
typedef int (*rec_fn)(void *ctx, size_t lane, const person *p,
                      const fnli_stage_rec *r);

/* Load the next persons into b (b->n of them, 0 at the end): live
 * contacts with a stage state, each with the contacts merged into it. */
static int scan_batch(const scan *sc, pbatch *b, rec_fn fn, void *ctx)
{
    const fnl_engine *e = sc->e;
    const fnli_stage_rec *cur[LANES];
    uint32_t at[LANES];
    size_t n = 0, j, live;
    int rc;
    while (n < LANES && b->next < sc->ncontacts) {
        uint32_t c = b->next++;
        person *p = &b->p[n];
        if (CONTACT(e, c)->state != CONTACT_LIVE ||
            fnli_stages_state(e, c) == NULL)
            continue;
        p->root = c;
        p->reached = p->real = p->inper = 0;
        at[n] = c;
        cur[n] = fnli_stages_first(e, c);
        FNL_PREFETCH(cur[n]);
        n++;
    }
    b->n = n;
    do {
        live = 0;
        for (j = 0; j < n; j++) {
            const fnli_stage_rec *r = cur[j];
            while (r == NULL && at[j] != 0) {
                at[j] = next_member(sc, b->p[j].root, at[j]);
                r = at[j] != 0 ? fnli_stages_first(e, at[j]) : NULL;
            }
            if (r == NULL)
                continue;
            take(sc, &b->p[j], r);
            if (fn != NULL && (rc = fn(ctx, j, &b->p[j], r)) != 0)
                return rc;
            cur[j] = fnli_stages_next(e, r);
            FNL_PREFETCH(cur[j]);
            live++;
        }
    } while (live > 0);
    return FNL_OK;
}

/* When the person entered the funnel: its first entry into the first
 * funnel stage (every funnel entry passes it); for a machine without
 * funnel stages, its first entry into any stage. */
static int64_t person_anchor(const scan *sc, const person *p)
{
    uint32_t s = first_stage(sc);
    uint64_t b;
    int64_t t = NO_TIME;
    if (s != FNLI_NO_STAGE)
        return (p->reached & sbit(s)) ? p->first[s] : NO_TIME;
    for (b = p->reached; b != 0; b &= b - 1)
        if (p->first[low_bit(b)] < t)
            t = p->first[low_bit(b)];
    return t;
}

/* The earliest entry (by as_of) into a stage of `mask` at or after t0. */
static int64_t entry_after(const scan *sc, uint32_t root, uint64_t mask,
                           int64_t t0)
{
    int64_t best = NO_TIME;
    uint32_t k;
    for (k = root; k != 0; k = next_member(sc, root, k)) {
        const fnli_stage_rec *r;
        for (r = fnli_stages_first(sc->e, k); r != NULL;
             r = fnli_stages_next(sc->e, r))
            if (is_entry(sc, r) && (mask & sbit(r->to)) && r->time >= t0 &&
                r->time < best)
                best = r->time;
    }
    return best;
}

/* The earliest entry into a stage of `mask` at or after t0; NO_TIME if
 * none.  Mostly the first entries are it, and no walk is needed. */
static int64_t mask_after(const scan *sc, const person *p, uint64_t mask,
                          int64_t t0)
{
    int64_t best = NO_TIME;
    uint64_t b;
    for (b = mask & p->reached; b != 0; b &= b - 1) {
        uint32_t s = low_bit(b);
        if (p->first[s] < t0)
            return entry_after(sc, p->root, mask, t0);
        if (p->first[s] < best)
            best = p->first[s];
    }
    return best;
}

static int64_t reach_after(const scan *sc, const person *p, uint32_t t,
                           int64_t t0)
{
    return mask_after(sc, p, sbit(t), t0);
}

/* ---- group keys ---------------------------------------------------------- */

/* Check group_by / group_attr and remember them. */
static int group_setup(scan *sc, const char *what, uint32_t by,
                       const char *attr)
{
    char name[FNL_MAX_NAME + 1];
    if (by > FNL_STAGE_BY_ATTR)
        return fnli_fail(sc->e, FNL_EINVAL, "%s: unknown group_by %u", what,
                         (unsigned)by);
    sc->by = by;
    if (by != FNL_STAGE_BY_ATTR)
        return FNL_OK;
    if (attr == NULL ||
        fnli_name_fold(attr, 1, name, sizeof(name), NULL) < 0)
        return fnli_fail(sc->e, FNL_EINVAL, "%s: bad group_attr", what);
    sc->attr = fnli_intern_find(&sc->e->strings, name, strlen(name));
    return FNL_OK;
}

static int text_key(const char *p, const char **s, size_t *n)
{
    if (p == NULL || p[0] == '\0')
        return 0; /* an erased string reads as "" */
    *s = p;
    *n = strlen(p);
    return 1;
}

static int id_key(const fnl_engine *e, uint32_t id, const char **s, size_t *n)
{
    return text_key(fnli_str(&e->strings, id), s, n);
}

/* The group key of a person (1, key in *s / *n) or the null group (0).
 * The bytes stay valid while the engine is not changed. */
static int person_key(const scan *sc, uint32_t root, const char **s,
                      size_t *n)
{
    const fnl_engine *e = sc->e;
    uint32_t x;
    switch (sc->by) {
    case FNL_STAGE_BY_NONE:
        *s = "all";
        *n = 3;
        return 1;
    case FNL_STAGE_BY_CHANNEL:
    case FNL_STAGE_BY_CAMPAIGN:
        x = fnli_stages_first_touch(e, root);
        if (x == 0)
            return 0;
        return id_key(e,
                      TCLASS(e, T_CLASS(&e->touches, x))
                          ->f[sc->by == FNL_STAGE_BY_CHANNEL ? TF_CHANNEL
                                                             : TF_CAMPAIGN],
                      s, n);
    case FNL_STAGE_BY_OWNER: {
        const fnli_stage_state *st = fnli_stages_state(e, root);
        return st != NULL &&
               text_key(fnli_stages_owner(e, root, st->owner), s, n);
    }
    default:
        x = fnli_attr_node(e, CONTACT(e, root)->attrs, sc->attr);
        return x != 0 && ATTRNODE(e, x)->type == FNL_ATTR_STRING &&
               id_key(e, ATTRNODE(e, x)->str, s, n);
    }
}

/* Slot of a key: 0 for the null group, keyset index + 1 for the others. */
static int key_slot(fnli_keyset *keys, int has, const char *s, size_t n,
                    size_t *slot)
{
    size_t idx;
    if (!has) {
        *slot = 0;
        return FNL_OK;
    }
    if (fnli_keyset_add(keys, s, n, &idx) != FNL_OK)
        return FNL_ENOMEM;
    *slot = idx + 1;
    return FNL_OK;
}

/* Stage index of a request's stage name: FNL_EINVAL for none,
 * FNL_ENOTFOUND (as attribution's stage entries) for a name the machine
 * lacks, with a message. */
static int stage_arg(const scan *sc, const char *what, const char *field,
                     const char *name, uint32_t *out)
{
    uint32_t s;
    if (name == NULL)
        return fnli_fail(sc->e, FNL_EINVAL, "%s: %s: no stage given", what,
                         field);
    if (fnl_machine_stage_find(sc->m, name, &s) != FNL_OK ||
        s >= FNL_MACHINE_MAX_STAGES)
        return fnli_fail(sc->e, FNL_ENOTFOUND, "%s: %s: no stage '%.64s' in "
                         "the machine", what, field, name);
    *out = s;
    return FNL_OK;
}

/* The request's period: [from, to), to = 0 meaning no upper bound. */
static int period_arg(scan *sc, const char *what, int64_t from, int64_t to)
{
    if (from < 0 || to < 0 || (to != 0 && to <= from))
        return fnli_fail(sc->e, FNL_EINVAL, "%s: bad period", what);
    sc->from = from;
    sc->to = to == 0 ? NO_TIME : to;
    return FNL_OK;
}

static int set_text(fnl_report *r, fnli_cell *c, const char *s)
{
    return s != NULL ? fnli_set_str(r, c, s, strlen(s)) : FNL_OK;
}

/* ---- the funnel tally (funnel report and stage counts) ------------------- */

typedef struct rdef {
    uint16_t s;               /* the row's stage */
    uint16_t t;               /* its target, FNLI_NO_STAGE: none */
    uint8_t pair;             /* a row added by a request pair */
    uint8_t bench;            /* has a benchmark */
    double low, high;         /* benchmark bounds; negative: none */
} rdef;

typedef struct svec {
    double *v;                /* days */
    size_t n, cap;
} svec;

typedef struct fwork {
    scan sc;
    fnli_mem mem;
    fnli_keyset keys;
    int has_none;             /* some person fell in the null group */
    size_t nst;               /* stages */
    uint16_t order[FNL_MACHINE_MAX_STAGES];
    rdef *rows;               /* per group, in report order */
    size_t nrow, rows_cap;
    size_t ncnt;              /* counters per slot: reached per stage,
                                 entered per stage, converted per row */
    int64_t *cnt;
    size_t cnt_cap;           /* slots */
    svec *vel;                /* per slot and row: velocity samples */
    size_t vel_cap;
    int velocity;
    int64_t cohort;           /* persons in the cumulative cohort */
    int64_t active;           /* persons counted in either view */
} fwork;

static void fwork_free(fwork *w)
{
    size_t i;
    if (w->vel != NULL) {
        for (i = 0; i < w->vel_cap * w->nrow; i++)
            if (w->vel[i].v != NULL)
                fnli_free(&w->mem, w->vel[i].v,
                          w->vel[i].cap * sizeof(double));
        fnli_free(&w->mem, w->vel, w->vel_cap * w->nrow * sizeof(svec));
    }
    if (w->cnt != NULL)
        fnli_free(&w->mem, w->cnt, w->cnt_cap * w->ncnt * sizeof(int64_t));
    if (w->rows != NULL)
        fnli_free(&w->mem, w->rows, w->rows_cap * sizeof(rdef));
    fnli_keyset_free(&w->keys);
    scan_close(&w->sc);
}

/* Stage order: funnel stages by rank, then side stages as defined. */
static void stage_order(fwork *w)
{
    const scan *sc = &w->sc;
    size_t s, k = 0;
    uint32_t r;
    w->nst = sc->m->nstages;
    for (r = 1; r <= sc->nfunnel; r++)
        if (sc->by_rank[r] != FNLI_NO_STAGE)
            w->order[k++] = sc->by_rank[r];
    for (s = 0; s < w->nst; s++)
        if (sc->rank[s] == 0)
            w->order[k++] = (uint16_t)s;
}

static int add_row(fwork *w, uint32_t s, uint32_t t, int pair)
{
    void *p = w->rows;
    rdef *d;
    if (fnli_grow(&w->mem, &p, &w->rows_cap, w->nrow + 1, sizeof(rdef), 16))
        return FNL_ENOMEM;
    w->rows = p;
    d = &w->rows[w->nrow++];
    memset(d, 0, sizeof(*d));
    d->s = (uint16_t)s;
    d->t = (uint16_t)t;
    d->pair = (uint8_t)pair;
    d->low = d->high = -1.0;
    return FNL_OK;
}

/* Room for counters and velocity samples of slot `slot`. */
static int fwork_slot(fwork *w, size_t slot)
{
    size_t old;
    void *p;
    if (slot >= w->cnt_cap) {
        old = w->cnt_cap;
        p = w->cnt;
        if (fnli_grow(&w->mem, &p, &w->cnt_cap, slot + 1,
                      w->ncnt * sizeof(int64_t), 16))
            return FNL_ENOMEM;
        w->cnt = p;
        memset(w->cnt + old * w->ncnt, 0,
               (w->cnt_cap - old) * w->ncnt * sizeof(int64_t));
    }
    if (w->velocity && w->nrow > 0 && slot >= w->vel_cap) {
        old = w->vel_cap;
        p = w->vel;
        if (fnli_grow(&w->mem, &p, &w->vel_cap, slot + 1,
                      w->nrow * sizeof(svec), 16))
            return FNL_ENOMEM;
        w->vel = p;
        memset(w->vel + old * w->nrow, 0,
               (w->vel_cap - old) * w->nrow * sizeof(svec));
    }
    return FNL_OK;
}

/* A velocity sample of x milliseconds, kept in days. */
static int vel_push(fwork *w, svec *v, int64_t x)
{
    void *p = v->v;
    if (v->n == v->cap) {
        if (fnli_grow(&w->mem, &p, &v->cap, v->n + 1, sizeof(double), 16))
            return FNL_ENOMEM;
        v->v = p;
    }
    v->v[v->n++] = (double)x / (double)DAY_MS;
    return FNL_OK;
}

/* One person into the tally. */
static int tally_person(fwork *w, const person *p)
{
    const scan *sc = &w->sc;
    int64_t anchor = person_anchor(sc, p), *cnt;
    int cohort = anchor != NO_TIME && in_period(sc, anchor);
    const char *ks = NULL;
    size_t kn = 0, slot, r;
    uint64_t b;
    int has;
    if (!cohort && p->inper == 0)
        return FNL_OK;
    has = person_key(sc, p->root, &ks, &kn);
    if (key_slot(&w->keys, has, ks, kn, &slot) != FNL_OK ||
        fwork_slot(w, slot) != FNL_OK)
        return FNL_ENOMEM;
    w->has_none |= !has;
    w->active++;
    cnt = w->cnt + slot * w->ncnt;
    for (b = p->inper; b != 0; b &= b - 1)
        cnt[w->nst + low_bit(b)]++;
    if (!cohort)
        return FNL_OK;
    w->cohort++;
    for (b = p->reached; b != 0; b &= b - 1)
        cnt[low_bit(b)]++;
    for (r = 0; r < w->nrow; r++) {
        const rdef *d = &w->rows[r];
        int64_t ts, tt;
        if (d->t == FNLI_NO_STAGE || !(p->reached & sbit(d->s)))
            continue;
        ts = p->first[d->s];
        tt = reach_after(sc, p, d->t, ts);
        if (tt == NO_TIME)
            continue;
        cnt[2 * w->nst + r]++;
        if (w->velocity && (p->real & sbit(d->s)) &&
            vel_push(w, &w->vel[slot * w->nrow + r], tt - ts) != FNL_OK)
            return FNL_ENOMEM;
    }
    return FNL_OK;
}

/* Walk every person once.  The work's scan, rows and flags are set. */
static int funnel_tally(fwork *w)
{
    pbatch b;
    size_t j;
    w->ncnt = 2 * w->nst + w->nrow;
    if (scan_merged(&w->sc, &w->mem) != FNL_OK)
        return FNL_ENOMEM;
    b.next = 1;
    for (;;) {
        (void)scan_batch(&w->sc, &b, NULL, NULL);
        if (b.n == 0)
            return FNL_OK;
        for (j = 0; j < b.n; j++)
            if (tally_person(w, &b.p[j]) != FNL_OK)
                return FNL_ENOMEM;
    }
}

/* Group slots in report order: keys bytewise, then the null group.
 * *order has keys.n + has_none entries. */
static int group_order(fwork *w, size_t **slots, size_t *n)
{
    size_t *o = NULL, *s, i;
    size_t cnt = w->keys.n + (size_t)w->has_none;
    if (fnli_keyset_order(&w->keys, &o) != FNL_OK)
        return FNL_ENOMEM;
    s = fnli_malloc(&w->mem, (cnt ? cnt : 1) * sizeof(size_t));
    if (s == NULL) {
        fnli_free(&w->mem, o, (w->keys.n ? w->keys.n : 1) * sizeof(size_t));
        return FNL_ENOMEM;
    }
    for (i = 0; i < w->keys.n; i++)
        s[i] = o[i] + 1;
    if (w->has_none)
        s[w->keys.n] = 0;
    fnli_free(&w->mem, o, (w->keys.n ? w->keys.n : 1) * sizeof(size_t));
    *slots = s;
    *n = cnt;
    return FNL_OK;
}

/* The bytes of slot's key (NULL for the null group). */
static const char *slot_key(const fwork *w, size_t slot, size_t *n)
{
    if (slot == 0) {
        *n = 0;
        return NULL;
    }
    *n = w->keys.ents[slot - 1].n;
    return w->keys.ents[slot - 1].s;
}

/* Validation, machine and grouping shared by the funnel and the counts. */
static int fwork_open(fwork *w, const fnl_engine *e, const char *what,
                      uint32_t by, const char *attr, int64_t from, int64_t to,
                      int64_t as_of, const fnl_allocator *alloc)
{
    int rc;
    memset(w, 0, sizeof(*w));
    if ((rc = scan_open(&w->sc, e, what)) != FNL_OK ||
        (rc = group_setup(&w->sc, what, by, attr)) != FNL_OK ||
        (rc = period_arg(&w->sc, what, from, to)) != FNL_OK ||
        (rc = fnli_report_now(e, as_of, &w->sc.as_of)) != FNL_OK)
        return rc;
    if ((rc = fnli_mem_init(&w->mem, fnli_report_alloc(e, alloc))) != FNL_OK)
        return fnli_fail(e, rc, "%s: bad allocator", what);
    w->sc.mem = &w->mem;
    fnli_keyset_init(&w->keys, &w->mem);
    stage_order(w);
    return FNL_OK;
}

/* ---- the funnel report --------------------------------------------------- */

FNLI_DEFINE_INIT(fnl_stage_funnel_request_init, fnl_stage_funnel_request,
                 FNL_STAGE_FUNNEL_REQUEST_INIT)
FNLI_DEFINE_INIT(fnl_stage_cohort_request_init, fnl_stage_cohort_request,
                 FNL_STAGE_COHORT_REQUEST_INIT)
FNLI_DEFINE_INIT(fnl_stage_time_to_convert_request_init,
                 fnl_stage_time_to_convert_request,
                 FNL_STAGE_TIME_TO_CONVERT_REQUEST_INIT)
FNLI_DEFINE_INIT(fnl_rejection_request_init, fnl_rejection_request,
                 FNL_REJECTION_REQUEST_INIT)
FNLI_DEFINE_INIT(fnl_stage_counts_request_init, fnl_stage_counts_request,
                 FNL_STAGE_COUNTS_REQUEST_INIT)

enum {
    F_GROUP, F_STAGE, F_RANK, F_KIND, F_REACHED, F_ENTERED, F_TO, F_CONVERTED,
    F_CONV, F_VN, F_VMED, F_VP90, F_BLOW, F_BHIGH, F_BFLAG, F_NCOLS
};

static const fnli_colspec funnel_cols[F_NCOLS] = {
    {"group", FNL_VALUE_STRING, FNL_UNIT_LABEL},
    {"stage", FNL_VALUE_STRING, FNL_UNIT_LABEL},
    {"rank", FNL_VALUE_INT, FNL_UNIT_LABEL},
    {"kind", FNL_VALUE_STRING, FNL_UNIT_LABEL},
    {"reached", FNL_VALUE_INT, FNL_UNIT_COUNT},
    {"entered", FNL_VALUE_INT, FNL_UNIT_COUNT},
    {"to_stage", FNL_VALUE_STRING, FNL_UNIT_LABEL},
    {"converted", FNL_VALUE_INT, FNL_UNIT_COUNT},
    {"conversion", FNL_VALUE_NUMBER, FNL_UNIT_RATIO},
    {"velocity_contacts", FNL_VALUE_INT, FNL_UNIT_COUNT},
    {"velocity_median_days", FNL_VALUE_NUMBER, FNL_UNIT_DAYS},
    {"velocity_p90_days", FNL_VALUE_NUMBER, FNL_UNIT_DAYS},
    {"benchmark_low", FNL_VALUE_NUMBER, FNL_UNIT_RATIO},
    {"benchmark_high", FNL_VALUE_NUMBER, FNL_UNIT_RATIO},
    {"benchmark", FNL_VALUE_STRING, FNL_UNIT_LABEL},
};

enum { FS_BY, FS_ATTR, FS_FROM, FS_TO, FS_AS_OF, FS_MACHINE, FS_COHORT,
       FS_CONTACTS, FS_PAIRS, FS_NSUM };

static const fnli_colspec funnel_sums[FS_NSUM] = {
    {"group_by", FNL_VALUE_STRING, FNL_UNIT_LABEL},
    {"group_attr", FNL_VALUE_STRING, FNL_UNIT_LABEL},
    {"from", FNL_VALUE_INT, FNL_UNIT_TIME},
    {"to", FNL_VALUE_INT, FNL_UNIT_TIME},
    {"as_of", FNL_VALUE_INT, FNL_UNIT_TIME},
    {"machine", FNL_VALUE_STRING, FNL_UNIT_LABEL},
    {"cohort", FNL_VALUE_INT, FNL_UNIT_COUNT},
    {"contacts", FNL_VALUE_INT, FNL_UNIT_COUNT},
    {"pairs", FNL_VALUE_INT, FNL_UNIT_COUNT},
};

/* The rows of one group: every stage in order, each followed by the
 * request's pairs from it (a pair to the next stage only sets that row's
 * benchmark).  Validates the pairs. */
static int funnel_rows(fwork *w, const char *what,
                       const fnl_stage_funnel_request *q)
{
    const scan *sc = &w->sc;
    uint64_t seen[FNL_MACHINE_MAX_STAGES];
    uint32_t *pf = NULL, *pt = NULL;
    size_t i, k, np = q->pair_count;
    int rc = FNL_OK;
    memset(seen, 0, sizeof(seen));
    if (np > FNL_STAGE_MAX_PAIRS || (np > 0 && q->pairs == NULL))
        return fnli_fail(sc->e, FNL_EINVAL, "%s: bad pairs", what);
    pf = fnli_malloc(&w->mem, (np ? np : 1) * sizeof(uint32_t));
    pt = fnli_malloc(&w->mem, (np ? np : 1) * sizeof(uint32_t));
    if (pf == NULL || pt == NULL) {
        rc = FNL_ENOMEM;
        goto out;
    }
    for (i = 0; i < np; i++) {
        const fnl_stage_pair *x = &q->pairs[i];
        if ((rc = stage_arg(sc, what, "pair from", x->from, &pf[i])) ||
            (rc = stage_arg(sc, what, "pair to", x->to, &pt[i])))
            goto out;
        if (pf[i] == pt[i] || (seen[pf[i]] & sbit(pt[i])) ||
            !isfinite(x->low) || !isfinite(x->high) ||
            (x->low >= 0 && x->high >= 0 && x->low > x->high)) {
            rc = fnli_fail(sc->e, FNL_EINVAL, "%s: bad or repeated pair %zu",
                           what, i);
            goto out;
        }
        seen[pf[i]] |= sbit(pt[i]);
    }
    for (k = 0; k < w->nst; k++) {
        uint32_t s = w->order[k];
        size_t row = w->nrow;
        if ((rc = add_row(w, s, next_stage(sc, s), 0)) != FNL_OK)
            goto out;
        for (i = 0; i < np; i++) {
            rdef *d;
            if (pf[i] != s)
                continue;
            if (pt[i] == next_stage(sc, s)) {
                d = &w->rows[row];
            } else {
                if ((rc = add_row(w, s, pt[i], 1)) != FNL_OK)
                    goto out;
                d = &w->rows[w->nrow - 1];
            }
            d->low = q->pairs[i].low;
            d->high = q->pairs[i].high;
            d->bench = d->low >= 0 || d->high >= 0;
        }
    }
out:
    if (pf != NULL)
        fnli_free(&w->mem, pf, (np ? np : 1) * sizeof(uint32_t));
    if (pt != NULL)
        fnli_free(&w->mem, pt, (np ? np : 1) * sizeof(uint32_t));
    return rc == FNL_ENOMEM ? fnli_fail(sc->e, rc, "allocation failed") : rc;
}

static const char *stage_name(const fnl_machine *m, uint32_t s)
{
    return fnli_mstr(m, m->stages[s].name);
}

/* Fill one row's cells. */
static int funnel_row(fwork *w, fnl_report *r, fnli_cell *c, size_t slot,
                      size_t ri)
{
    const rdef *d = &w->rows[ri];
    const fnl_machine *m = w->sc.m;
    const int64_t *cnt = w->cnt + slot * w->ncnt;
    const char *ks;
    size_t kn;
    int64_t reached = cnt[d->s];
    ks = slot_key(w, slot, &kn);
    if ((ks != NULL && fnli_set_str(r, &c[F_GROUP], ks, kn)) ||
        set_text(r, &c[F_STAGE], stage_name(m, d->s)) ||
        set_text(r, &c[F_KIND], d->pair ? "pair" : "stage"))
        return FNL_ENOMEM;
    fnli_set_int(&c[F_RANK], w->sc.rank[d->s]);
    fnli_set_int(&c[F_REACHED], reached);
    fnli_set_int(&c[F_ENTERED], cnt[w->nst + d->s]);
    if (d->t != FNLI_NO_STAGE) {
        int64_t conv = cnt[2 * w->nst + ri];
        double med = NAN, p90 = NAN;
        size_t nv = 0;
        if (set_text(r, &c[F_TO], stage_name(m, d->t)))
            return FNL_ENOMEM;
        fnli_set_int(&c[F_CONVERTED], conv);
        fnli_set_ratio(&c[F_CONV], (double)conv, (double)reached);
        if (w->vel != NULL) {
            svec *v = &w->vel[slot * w->nrow + ri];
            nv = v->n;
            fnli_median_p90(v->v, v->n, &med, &p90);
        }
        fnli_set_int(&c[F_VN], (int64_t)nv);
        fnli_set_num(&c[F_VMED], med);
        fnli_set_num(&c[F_VP90], p90);
    }
    if (d->bench) {
        if (d->low >= 0)
            fnli_set_num(&c[F_BLOW], d->low);
        if (d->high >= 0)
            fnli_set_num(&c[F_BHIGH], d->high);
        if (c[F_CONV].type == FNL_VALUE_NUMBER) {
            double x = c[F_CONV].v.d;
            const char *flag = d->low >= 0 && x < d->low     ? "below"
                               : d->high >= 0 && x > d->high ? "above"
                                                             : "within";
            if (set_text(r, &c[F_BFLAG], flag))
                return FNL_ENOMEM;
        }
    }
    return FNL_OK;
}

FNL_API int fnl_report_stage_funnel(const fnl_engine *e,
                                    const fnl_stage_funnel_request *rq,
                                    fnl_report **out)
{
    static const char what[] = "report_stage_funnel";
    fnl_stage_funnel_request q = FNL_STAGE_FUNNEL_REQUEST_INIT;
    fwork w;
    fnl_report *r = NULL;
    size_t *slots = NULL, ng = 0, g, ri;
    int rc;
    if (e == NULL || rq == NULL || out == NULL)
        return fnli_fail(e, FNL_EINVAL, "%s: NULL argument", what);
    if (fnli_copy_in(&q, sizeof(q), rq, sizeof(uint32_t)) != FNL_OK)
        return fnli_fail(e, FNL_EINVAL, "%s: size not set", what);
    if ((rc = fwork_open(&w, e, what, q.group_by, q.group_attr, q.from, q.to,
                         q.as_of, q.allocator)) != FNL_OK)
        return rc;
    w.velocity = 1;
    if ((rc = funnel_rows(&w, what, &q)) != FNL_OK)
        goto done;
    if (funnel_tally(&w) != FNL_OK || group_order(&w, &slots, &ng) != FNL_OK)
        goto nomem;
    if (fnli_report_create(&r, fnli_report_alloc(e, q.allocator),
                           FNL_REPORT_STAGE_FUNNEL, NULL, funnel_cols,
                           F_NCOLS, ng * w.nrow, 0, funnel_sums,
                           FS_NSUM) != FNL_OK)
        goto nomem;
    for (g = 0; g < ng; g++)
        for (ri = 0; ri < w.nrow; ri++)
            if (funnel_row(&w, r, fnli_cell_at(r, g * w.nrow + ri, 0),
                           slots[g], ri) != FNL_OK)
                goto nomem;
    if (set_text(r, &r->sum[FS_BY], group_names[q.group_by]) ||
        (q.group_by == FNL_STAGE_BY_ATTR &&
         set_text(r, &r->sum[FS_ATTR], q.group_attr)) ||
        set_text(r, &r->sum[FS_MACHINE], fnl_machine_name(w.sc.m)))
        goto nomem;
    if (q.from != 0)
        fnli_set_int(&r->sum[FS_FROM], q.from);
    if (q.to != 0)
        fnli_set_int(&r->sum[FS_TO], q.to);
    fnli_set_int(&r->sum[FS_AS_OF], w.sc.as_of);
    fnli_set_int(&r->sum[FS_COHORT], w.cohort);
    fnli_set_int(&r->sum[FS_CONTACTS], w.active);
    fnli_set_int(&r->sum[FS_PAIRS], (int64_t)q.pair_count);
    *out = r;
    r = NULL;
    rc = FNL_OK;
    fnli_clear(e);
    goto done;
nomem:
    rc = fnli_fail(e, FNL_ENOMEM, "allocation failed");
done:
    fnl_report_free(r);
    if (slots != NULL)
        fnli_free(&w.mem, slots, (ng ? ng : 1) * sizeof(size_t));
    fwork_free(&w);
    return rc;
}

/* ---- funnel counts for ROI ----------------------------------------------- */

/* The block fnl_engine_stage_counts() hands out: this header, the array,
 * then the group strings.  The header keeps what freeing needs. */
typedef struct counts_head {
    fnli_mem mem;
    size_t bytes;
} counts_head;

#define COUNTS_HEAD ((sizeof(counts_head) + 15) / 16 * 16)

static int counts_stage(fwork *w, const char *field, const char *name,
                        uint32_t *s)
{
    if (name == NULL) {
        *s = FNLI_NO_STAGE;
        return FNL_OK;
    }
    return stage_arg(&w->sc, "engine_stage_counts", field, name, s);
}

FNL_API int fnl_engine_stage_counts(const fnl_engine *e,
                                    const fnl_stage_counts_request *rq,
                                    fnl_stage_counts **out, size_t *count)
{
    static const char what[] = "engine_stage_counts";
    fnl_stage_counts_request q = FNL_STAGE_COUNTS_REQUEST_INIT;
    fwork w;
    uint32_t st[5];
    size_t *slots = NULL, ng = 0, g, k, bytes, nkeys = 0;
    char *block = NULL, *text;
    fnl_stage_counts *arr;
    counts_head *h;
    int rc;
    if (e == NULL || rq == NULL || out == NULL || count == NULL)
        return fnli_fail(e, FNL_EINVAL, "%s: NULL argument", what);
    if (fnli_copy_in(&q, sizeof(q), rq, sizeof(uint32_t)) != FNL_OK)
        return fnli_fail(e, FNL_EINVAL, "%s: size not set", what);
    if (q.view > FNL_STAGE_VIEW_IN_PERIOD)
        return fnli_fail(e, FNL_EINVAL, "%s: unknown view %u", what,
                         (unsigned)q.view);
    if ((rc = fwork_open(&w, e, what, q.group_by, q.group_attr, q.from, q.to,
                         q.as_of, q.allocator)) != FNL_OK)
        return rc;
    if ((rc = counts_stage(&w, "lead_stage", q.lead_stage, &st[0])) ||
        (rc = counts_stage(&w, "mql_stage", q.mql_stage, &st[1])) ||
        (rc = counts_stage(&w, "sql_stage", q.sql_stage, &st[2])) ||
        (rc = counts_stage(&w, "opportunity_stage", q.opportunity_stage,
                           &st[3])) ||
        (rc = counts_stage(&w, "customer_stage", q.customer_stage, &st[4])))
        goto done;
    if (funnel_tally(&w) != FNL_OK || group_order(&w, &slots, &ng) != FNL_OK)
        goto nomem;
    bytes = COUNTS_HEAD;
    for (g = 0; g < ng; g++) {
        size_t kn;
        if (slot_key(&w, slots[g], &kn) == NULL)
            continue;
        bytes += sizeof(fnl_stage_counts) + kn + 1;
        nkeys++;
    }
    if (nkeys > 0) {
        block = fnli_malloc(&w.mem, bytes);
        if (block == NULL)
            goto nomem;
        h = (counts_head *)(void *)block;
        h->mem = w.mem;
        h->bytes = bytes;
        arr = (fnl_stage_counts *)(void *)(block + COUNTS_HEAD);
        text = (char *)(arr + nkeys);
        for (g = 0, k = 0; g < ng; g++) {
            const int64_t *cnt = w.cnt + slots[g] * w.ncnt;
            size_t kn, base = q.view == FNL_STAGE_VIEW_IN_PERIOD ? w.nst : 0;
            const char *ks = slot_key(&w, slots[g], &kn);
            double *v[5];
            int j;
            if (ks == NULL)
                continue;
            memcpy(text, ks, kn);
            text[kn] = '\0';
            arr[k].group = text;
            text += kn + 1;
            v[0] = &arr[k].leads, v[1] = &arr[k].mqls, v[2] = &arr[k].sqls;
            v[3] = &arr[k].opportunities, v[4] = &arr[k].customers;
            for (j = 0; j < 5; j++)
                *v[j] = st[j] == FNLI_NO_STAGE ? -1.0
                                               : (double)cnt[base + st[j]];
            k++;
        }
    }
    *out = nkeys > 0 ? (fnl_stage_counts *)(void *)(block + COUNTS_HEAD)
                     : NULL;
    *count = nkeys;
    rc = FNL_OK;
    fnli_clear(e);
    goto done;
nomem:
    rc = fnli_fail(e, FNL_ENOMEM, "allocation failed");
done:
    if (slots != NULL)
        fnli_free(&w.mem, slots, (ng ? ng : 1) * sizeof(size_t));
    fwork_free(&w);
    return rc;
}

FNL_API void fnl_stage_counts_free(fnl_stage_counts *counts)
{
    counts_head *h;
    fnli_mem mem;
    if (counts == NULL)
        return;
    h = (counts_head *)(void *)((char *)counts - COUNTS_HEAD);
    mem = h->mem;
    fnli_free(&mem, h, h->bytes);
}

/* ---- cohorts by stage entry ---------------------------------------------- */

static const uint32_t default_ages[] = {30, 60, 90, 180};

static const fnli_colspec cohort_fixed[] = {
    {"cohort", FNL_VALUE_STRING, FNL_UNIT_LABEL},
    {"cohort_start", FNL_VALUE_INT, FNL_UNIT_TIME},
    {"cohort_end", FNL_VALUE_INT, FNL_UNIT_TIME},
    {"contacts", FNL_VALUE_INT, FNL_UNIT_COUNT},
};
#define C_FIXED 4

static const fnli_colspec cohort_sums[] = {
    {"stage", FNL_VALUE_STRING, FNL_UNIT_LABEL},
    {"period", FNL_VALUE_STRING, FNL_UNIT_LABEL},
    {"as_of", FNL_VALUE_INT, FNL_UNIT_TIME},
    {"contacts", FNL_VALUE_INT, FNL_UNIT_COUNT},
};

/* Cohort work: per member its entry time and, per target, the delay to
 * the first entry into the target after it (-1: not entered). */
typedef struct cwork {
    scan sc;
    fnli_mem mem;
    uint32_t stage;
    uint32_t tgt[FNL_MACHINE_MAX_STAGES];
    size_t nt;
    const uint32_t *ages;
    size_t nages;
    int64_t *mrow;            /* per member: entry, then per target the
                                 delay to it (-1: not entered) */
    size_t nmem, mem_cap;     /* members; capacity in members */
    int64_t *b;               /* bucket bounds */
    size_t nb;
    int64_t *acc;             /* per bucket (and totals): contacts,
                                 reached[nt], elig[nages], conv[nt][nages] */
    size_t nacc;
    char *names;
    size_t names_size;
    fnli_colspec *cols;
    size_t ncols;
} cwork;

static void cwork_free(cwork *w)
{
    if (w->mrow != NULL)
        fnli_free(&w->mem, w->mrow,
                  w->mem_cap * (1 + w->nt) * sizeof(int64_t));
    if (w->b != NULL)
        fnli_free(&w->mem, w->b, (w->nb + 1) * sizeof(int64_t));
    if (w->acc != NULL)
        fnli_free(&w->mem, w->acc, w->nacc * sizeof(int64_t));
    if (w->names != NULL)
        fnli_free(&w->mem, w->names, w->names_size);
    if (w->cols != NULL)
        fnli_free(&w->mem, w->cols, w->ncols * sizeof(fnli_colspec));
    scan_close(&w->sc);
}

/* Cohort stage and targets from the request. */
static int cohort_stages(cwork *w, const char *what,
                         const fnl_stage_cohort_request *q)
{
    scan *sc = &w->sc;
    uint64_t seen;
    size_t i;
    uint32_t r;
    int rc;
    if (q->stage != NULL) {
        if ((rc = stage_arg(sc, what, "stage", q->stage, &w->stage)))
            return rc;
    } else if ((w->stage = first_stage(sc)) == FNLI_NO_STAGE) {
        return fnli_fail(sc->e, FNL_EINVAL, "%s: the machine has no funnel "
                         "stage", what);
    }
    if (q->targets == NULL) {
        if (q->target_count != 0)
            return fnli_fail(sc->e, FNL_EINVAL, "%s: NULL targets", what);
        for (r = sc->rank[w->stage] + 1; r <= sc->nfunnel; r++)
            if (sc->by_rank[r] != FNLI_NO_STAGE)
                w->tgt[w->nt++] = sc->by_rank[r];
        return FNL_OK;
    }
    if (q->target_count > FNL_MACHINE_MAX_STAGES)
        return fnli_fail(sc->e, FNL_EINVAL, "%s: too many targets", what);
    seen = sbit(w->stage);
    for (i = 0; i < q->target_count; i++) {
        uint32_t t = 0;
        if ((rc = stage_arg(sc, what, "target", q->targets[i], &t)))
            return rc;
        if (seen & sbit(t))
            return fnli_fail(sc->e, FNL_EINVAL, "%s: target %zu repeats a "
                             "stage", what, i);
        seen |= sbit(t);
        w->tgt[w->nt++] = t;
    }
    return FNL_OK;
}

/* Members: every person whose first entry into the stage falls in the
 * request's range (all when from = to = 0). */
static int cohort_members(cwork *w, int ranged)
{
    pbatch b;
    size_t j, k, row = 1 + w->nt;
    if (scan_merged(&w->sc, &w->mem) != FNL_OK)
        return FNL_ENOMEM;
    b.next = 1;
    for (;;) {
        (void)scan_batch(&w->sc, &b, NULL, NULL);
        if (b.n == 0)
            return FNL_OK;
        for (j = 0; j < b.n; j++) {
            const person *p = &b.p[j];
            int64_t t0, *m;
            void *v = w->mrow;
            if (!(p->reached & sbit(w->stage)))
                continue;
            t0 = p->first[w->stage];
            if (ranged && !in_period(&w->sc, t0))
                continue;
            if (fnli_grow(&w->mem, &v, &w->mem_cap, w->nmem + 1,
                          row * sizeof(int64_t), 256))
                return FNL_ENOMEM;
            w->mrow = v;
            m = w->mrow + w->nmem++ * row;
            m[0] = t0;
            for (k = 0; k < w->nt; k++) {
                int64_t t = reach_after(&w->sc, p, w->tgt[k], t0);
                m[1 + k] = t == NO_TIME ? -1 : t - t0;
            }
        }
    }
}

/* Column names and specs: to_<T>, to_<T>_share, to_<T>_within_<A>d. */
static int cohort_columns(cwork *w)
{
    const size_t per = 2 + w->nages, width = FNL_MAX_NAME + 32;
    size_t k, j, col = C_FIXED;
    w->ncols = C_FIXED + w->nt * per;
    w->names_size = (w->nt * per != 0 ? w->nt * per : 1) * width;
    w->names = fnli_malloc(&w->mem, w->names_size);
    w->cols = fnli_malloc(&w->mem, w->ncols * sizeof(fnli_colspec));
    if (w->names == NULL || w->cols == NULL)
        return FNL_ENOMEM;
    memcpy(w->cols, cohort_fixed, sizeof(cohort_fixed));
    for (k = 0; k < w->nt; k++) {
        const char *sn = stage_name(w->sc.m, w->tgt[k]);
        for (j = 0; j < per; j++, col++) {
            char *nm = w->names + (col - C_FIXED) * width;
            if (j == 0)
                (void)snprintf(nm, width, "to_%s", sn);
            else if (j == 1)
                (void)snprintf(nm, width, "to_%s_share", sn);
            else
                (void)snprintf(nm, width, "to_%s_within_%ud", sn,
                               (unsigned)w->ages[j - 2]);
            w->cols[col].name = nm;
            w->cols[col].type = j == 0 ? FNL_VALUE_INT : FNL_VALUE_NUMBER;
            w->cols[col].unit = j == 0 ? FNL_UNIT_COUNT : FNL_UNIT_RATIO;
        }
    }
    return FNL_OK;
}

FNL_API int fnl_report_stage_cohort(const fnl_engine *e,
                                    const fnl_stage_cohort_request *rq,
                                    fnl_report **out)
{
    static const char what[] = "report_stage_cohort";
    fnl_stage_cohort_request q = FNL_STAGE_COHORT_REQUEST_INIT;
    cwork w;
    fnl_report *r = NULL;
    size_t i, k, j, per, row;
    int64_t from, to;
    int ranged;
    int rc;
    if (e == NULL || rq == NULL || out == NULL)
        return fnli_fail(e, FNL_EINVAL, "%s: NULL argument", what);
    if (fnli_copy_in(&q, sizeof(q), rq, sizeof(uint32_t)) != FNL_OK)
        return fnli_fail(e, FNL_EINVAL, "%s: size not set", what);
    memset(&w, 0, sizeof(w));
    if ((rc = scan_open(&w.sc, e, what)) != FNL_OK)
        return rc;
    if (q.period > FNL_PERIOD_CUSTOM || q.from < 0 || q.to < 0)
        return fnli_fail(e, FNL_EINVAL, "%s: bad period", what);
    w.ages = q.ages ? q.ages : default_ages;
    w.nages = q.ages ? q.age_count : 4;
    if (w.nages > FNL_COHORT_MAX_AGES)
        return fnli_fail(e, FNL_EINVAL, "%s: more than %d ages", what,
                         FNL_COHORT_MAX_AGES);
    for (k = 0; k < w.nages; k++)
        if (w.ages[k] < 1 || w.ages[k] > 36500 ||
            (k && w.ages[k] <= w.ages[k - 1]))
            return fnli_fail(e, FNL_EINVAL, "%s: bad age %zu", what, k);
    if ((rc = cohort_stages(&w, what, &q)) != FNL_OK ||
        (rc = fnli_report_now(e, q.as_of, &w.sc.as_of)) != FNL_OK)
        return rc;
    if ((rc = fnli_mem_init(&w.mem, fnli_report_alloc(e, q.allocator))) !=
        FNL_OK)
        return fnli_fail(e, rc, "%s: bad allocator", what);
    w.sc.mem = &w.mem;
    /* with from = to = 0 every entry counts and the periods span them */
    ranged = q.period != FNL_PERIOD_CUSTOM && (q.from != 0 || q.to != 0);
    w.sc.from = q.from;
    w.sc.to = q.to;
    if (cohort_members(&w, ranged) != FNL_OK)
        goto nomem;
    row = 1 + w.nt;
    from = q.from;
    to = q.to;
    if (from == 0 && to == 0) {
        from = INT64_MAX;
        to = INT64_MIN;
        for (i = 0; i < w.nmem; i++) {
            int64_t t = w.mrow[i * row];
            from = t < from ? t : from;
            to = t + 1 > to ? t + 1 : to;
        }
        if (from > to) {
            from = 0;
            to = DAY_MS;
        }
    }
    rc = fnli_buckets(&w.mem, q.period, from, to, q.boundaries,
                      q.boundary_count, &w.b, &w.nb);
    if (rc != FNL_OK) {
        w.b = NULL;
        w.nb = 0;
        if (rc == FNL_ENOMEM)
            goto nomem;
        rc = fnli_fail(e, rc, "%s: bad or too many periods", what);
        goto done;
    }
    per = 1 + w.nt + w.nages + w.nt * w.nages;
    if (w.nb + 1 > SIZE_MAX / sizeof(int64_t) / per)
        goto nomem;
    w.nacc = (w.nb + 1) * per;
    w.acc = fnli_calloc(&w.mem, w.nacc, sizeof(int64_t));
    if (w.acc == NULL)
        goto nomem;
    for (i = 0; i < w.nmem; i++) {
        const int64_t *m = w.mrow + i * row;
        size_t bi = fnli_bucket_of(w.b, w.nb, m[0]);
        int64_t *a[2];
        int side;
        if (bi == SIZE_MAX)
            continue;
        a[0] = w.acc + bi * per;
        a[1] = w.acc + w.nb * per; /* totals */
        for (side = 0; side < 2; side++) {
            int64_t *x = a[side];
            x[0]++;
            for (k = 0; k < w.nt; k++)
                x[1 + k] += m[1 + k] >= 0;
            for (j = 0; j < w.nages; j++) {
                int64_t age = (int64_t)w.ages[j] * DAY_MS;
                if (w.sc.as_of - m[0] < age)
                    break; /* ages increase: too young for the rest */
                x[1 + w.nt + j]++;
                for (k = 0; k < w.nt; k++)
                    x[1 + w.nt + w.nages + k * w.nages + j] +=
                        m[1 + k] >= 0 && m[1 + k] <= age;
            }
        }
    }
    if (cohort_columns(&w) != FNL_OK ||
        fnli_report_create(&r, fnli_report_alloc(e, q.allocator),
                           FNL_REPORT_STAGE_COHORT, NULL, w.cols, w.ncols,
                           w.nb, 1, cohort_sums, 4) != FNL_OK)
        goto nomem;
    for (i = 0; i <= w.nb; i++) {
        fnli_cell *c = fnli_cell_at(r, i, 0);
        const int64_t *x = w.acc + i * per;
        size_t col = C_FIXED;
        if (i < w.nb) {
            char lab[48];
            fnli_bucket_label(q.period, w.b[i], lab, sizeof(lab));
            if (set_text(r, &c[0], lab))
                goto nomem;
            fnli_set_int(&c[1], w.b[i]);
            fnli_set_int(&c[2], w.b[i + 1]);
        }
        fnli_set_int(&c[3], x[0]);
        for (k = 0; k < w.nt; k++) {
            fnli_set_int(&c[col++], x[1 + k]);
            fnli_set_ratio(&c[col++], (double)x[1 + k], (double)x[0]);
            for (j = 0; j < w.nages; j++)
                fnli_set_ratio(&c[col++],
                               (double)x[1 + w.nt + w.nages + k * w.nages + j],
                               (double)x[1 + w.nt + j]);
        }
    }
    if (set_text(r, &r->sum[0], stage_name(w.sc.m, w.stage)) ||
        set_text(r, &r->sum[1], fnl_period_name(q.period)))
        goto nomem;
    fnli_set_int(&r->sum[2], w.sc.as_of);
    fnli_set_int(&r->sum[3], w.acc[w.nb * per]);
    *out = r;
    r = NULL;
    rc = FNL_OK;
    fnli_clear(e);
    goto done;
nomem:
    rc = fnli_fail(e, FNL_ENOMEM, "allocation failed");
done:
    fnl_report_free(r);
    cwork_free(&w);
    return rc;
}

/* ---- time to convert between two stages ---------------------------------- */

enum { K_FROM_STAGE, K_TO_STAGE, K_FROM, K_TO, K_AS_OF, K_LEFT, K_NEXTRA };

static const fnli_colspec ttc_extra[K_NEXTRA] = {
    {"from_stage", FNL_VALUE_STRING, FNL_UNIT_LABEL},
    {"to_stage", FNL_VALUE_STRING, FNL_UNIT_LABEL},
    {"from", FNL_VALUE_INT, FNL_UNIT_TIME},
    {"to", FNL_VALUE_INT, FNL_UNIT_TIME},
    {"as_of", FNL_VALUE_INT, FNL_UNIT_TIME},
    {"left", FNL_VALUE_INT, FNL_UNIT_COUNT},
};

/* Most columns and summary values of fnl_survival_km()'s table. */
#define KM_MAX 16

/* km's table under this report's kind, with the extra summary values
 * appended (null; the caller fills them).  The rows move from km to the
 * new report (both live on the same allocator), so a large table is not
 * copied; km is left without rows.  km's cells are numbers only. */
static int km_extend(fnl_report *km, const fnl_allocator *alloc,
                     fnl_report **out)
{
    fnli_colspec cols[KM_MAX], sums[KM_MAX + K_NEXTRA];
    size_t i, bytes;
    fnli_cell *t;
    fnl_report *r = NULL;
    if (km->ncols > KM_MAX || km->nsum > KM_MAX || km->has_totals)
        return FNL_EINVAL;
    for (i = 0; i < km->ncols; i++) {
        fnl_report_column c = FNL_REPORT_COLUMN_INIT;
        fnl_report_column_get(km, i, &c);
        if (c.type == FNL_VALUE_STRING)
            return FNL_EINVAL; /* text cells would point into km */
        cols[i].name = c.name;
        cols[i].type = c.type;
        cols[i].unit = c.unit;
    }
    for (i = 0; i < km->nsum; i++) {
        fnl_report_value v = FNL_REPORT_VALUE_INIT;
        const char *name = NULL;
        fnl_report_summary_get(km, i, &name, &v);
        if (km->sum[i].type == FNL_VALUE_STRING)
            return FNL_EINVAL;
        sums[i].name = name;
        sums[i].type = km->sumcols[i].type;
        sums[i].unit = km->sumcols[i].unit;
    }
    memcpy(sums + km->nsum, ttc_extra, sizeof(ttc_extra));
    if (fnli_report_create(&r, alloc, FNL_REPORT_STAGE_TIME_TO_CONVERT, NULL,
                           cols, km->ncols, 0, 0, sums,
                           km->nsum + K_NEXTRA) != FNL_OK)
        return FNL_ENOMEM;
    /* swap r's one-cell block for km's rows; each report frees (and
     * counts) the block it holds then */
    bytes = (km->nrows * km->ncols != 0 ? km->nrows * km->ncols : 1) *
            sizeof(fnli_cell);
    t = r->cells;
    r->cells = km->cells;
    km->cells = t;
    r->nrows = km->nrows;
    km->nrows = 0;
    r->mem.bytes = r->mem.bytes + bytes - sizeof(fnli_cell);
    km->mem.bytes = km->mem.bytes + sizeof(fnli_cell) - bytes;
    if (km->nsum > 0)
        memcpy(r->sum, km->sum, km->nsum * sizeof(fnli_cell));
    *out = r;
    return FNL_OK;
}

static int ttc_params(double window, double thr)
{
    return isfinite(window) && window > 0 && window <= MAX_DAYS &&
           thr >= 0 && thr <= 1;
}

FNL_API int fnl_report_stage_time_to_convert(
    const fnl_engine *e, const fnl_stage_time_to_convert_request *rq,
    fnl_report **out)
{
    static const char what[] = "report_stage_time_to_convert";
    fnl_stage_time_to_convert_request q =
        FNL_STAGE_TIME_TO_CONVERT_REQUEST_INIT;
    fnl_survival_request sq = FNL_SURVIVAL_REQUEST_INIT;
    const fnl_allocator *alloc;
    scan sc;
    fnli_mem mem;
    pbatch pb;
    uint32_t a, b, s;
    size_t j;
    uint64_t leave = 0;
    double *days = NULL;
    uint8_t *conv = NULL;
    size_t n = 0, cap_d = 0, cap_c = 0;
    int64_t left = 0;
    fnl_report *km = NULL, *r = NULL;
    int rc;
    if (e == NULL || rq == NULL || out == NULL)
        return fnli_fail(e, FNL_EINVAL, "%s: NULL argument", what);
    if (fnli_copy_in(&q, sizeof(q), rq, sizeof(uint32_t)) != FNL_OK)
        return fnli_fail(e, FNL_EINVAL, "%s: size not set", what);
    if ((rc = scan_open(&sc, e, what)) != FNL_OK)
        return rc;
    if (!ttc_params(q.window_days, q.cold_threshold))
        return fnli_fail(e, FNL_EINVAL, "%s: bad window or threshold", what);
    if (q.from_stage != NULL) {
        if ((rc = stage_arg(&sc, what, "from_stage", q.from_stage, &a)))
            return rc;
    } else if ((a = first_stage(&sc)) == FNLI_NO_STAGE) {
        return fnli_fail(e, FNL_EINVAL, "%s: the machine has no funnel "
                         "stage", what);
    }
    if ((rc = stage_arg(&sc, what, "to_stage", q.to_stage, &b)))
        return rc;
    if (a == b)
        return fnli_fail(e, FNL_EINVAL, "%s: from_stage is to_stage", what);
    if ((rc = period_arg(&sc, what, q.from, q.to)) != FNL_OK ||
        (rc = fnli_report_now(e, q.as_of, &sc.as_of)) != FNL_OK)
        return rc;
    alloc = fnli_report_alloc(e, q.allocator);
    if ((rc = fnli_mem_init(&mem, alloc)) != FNL_OK)
        return fnli_fail(e, rc, "%s: bad allocator", what);
    /* leaving the path: entering a side or closed stage but these two */
    for (s = 0; s < sc.m->nstages && s < FNL_MACHINE_MAX_STAGES; s++)
        if ((sc.rank[s] == 0 || (sc.m->stages[s].flags & FNL_STAGE_CLOSED)) &&
            s != a && s != b)
            leave |= sbit(s);
    if (scan_merged(&sc, &mem) != FNL_OK)
        goto nomem;
    pb.next = 1;
    for (;;) {
        (void)scan_batch(&sc, &pb, NULL, NULL);
        if (pb.n == 0)
            break;
        for (j = 0; j < pb.n; j++) {
            const person *p = &pb.p[j];
            int64_t t0, tb, tl, end;
            void *v;
            if (!(p->reached & sbit(a)) || !in_period(&sc, p->first[a]))
                continue;
            t0 = p->first[a];
            tb = reach_after(&sc, p, b, t0);
            tl = mask_after(&sc, p, leave, t0);
            v = days;
            if (fnli_grow(&mem, &v, &cap_d, n + 1, sizeof(double), 256))
                goto nomem;
            days = v;
            v = conv;
            if (fnli_grow(&mem, &v, &cap_c, n + 1, 1, 256))
                goto nomem;
            conv = v;
            if (tb != NO_TIME && tb <= tl) {
                end = tb;
                conv[n] = 1;
            } else {
                end = tl != NO_TIME ? tl : sc.as_of;
                left += tl != NO_TIME;
                conv[n] = 0;
            }
            days[n] = (double)(end - t0) / (double)DAY_MS;
            if (days[n] > MAX_DAYS)
                days[n] = MAX_DAYS;
            n++;
        }
    }
    sq.days = days;
    sq.converted = conv;
    sq.n = n;
    sq.window_days = q.window_days;
    sq.cold_threshold = q.cold_threshold;
    sq.allocator = alloc;
    if ((rc = fnl_survival_km(&sq, &km)) != FNL_OK) {
        rc = fnli_fail(e, rc, "%s: %s", what, fnl_strerror(rc));
        goto done;
    }
    if ((rc = km_extend(km, alloc, &r)) != FNL_OK) {
        rc = fnli_fail(e, rc, "%s: %s", what, rc == FNL_ENOMEM
                       ? "allocation failed" : "unexpected survival table");
        goto done;
    }
    {
        size_t base = km->nsum;
        if (set_text(r, &r->sum[base + K_FROM_STAGE], stage_name(sc.m, a)) ||
            set_text(r, &r->sum[base + K_TO_STAGE], stage_name(sc.m, b)))
            goto nomem;
        if (q.from != 0)
            fnli_set_int(&r->sum[base + K_FROM], q.from);
        if (q.to != 0)
            fnli_set_int(&r->sum[base + K_TO], q.to);
        fnli_set_int(&r->sum[base + K_AS_OF], sc.as_of);
        fnli_set_int(&r->sum[base + K_LEFT], left);
    }
    *out = r;
    r = NULL;
    rc = FNL_OK;
    fnli_clear(e);
    goto done;
nomem:
    rc = fnli_fail(e, FNL_ENOMEM, "allocation failed");
done:
    fnl_report_free(r);
    fnl_report_free(km);
    if (days != NULL)
        fnli_free(&mem, days, cap_d * sizeof(double));
    if (conv != NULL)
        fnli_free(&mem, conv, cap_c);
    sc.mem = &mem;
    scan_close(&sc);
    return rc;
}

/* ---- rejections ---------------------------------------------------------- */

enum { J_GROUP, J_REASON, J_COUNT, J_SHARE, J_NCOLS };

static const fnli_colspec rej_cols[J_NCOLS] = {
    {"group", FNL_VALUE_STRING, FNL_UNIT_LABEL},
    {"reason", FNL_VALUE_STRING, FNL_UNIT_LABEL},
    {"rejections", FNL_VALUE_INT, FNL_UNIT_COUNT},
    {"share", FNL_VALUE_NUMBER, FNL_UNIT_RATIO},
};

enum { JS_BY, JS_ATTR, JS_FROM, JS_TO, JS_TOTAL, JS_NSUM };

static const fnli_colspec rej_sums[JS_NSUM] = {
    {"group_by", FNL_VALUE_STRING, FNL_UNIT_LABEL},
    {"group_attr", FNL_VALUE_STRING, FNL_UNIT_LABEL},
    {"from", FNL_VALUE_INT, FNL_UNIT_TIME},
    {"to", FNL_VALUE_INT, FNL_UNIT_TIME},
    {"rejections", FNL_VALUE_INT, FNL_UNIT_COUNT},
};

/* A counted row in report order. */
typedef struct jrow {
    const char *g, *why;      /* NULL: the null group / no reason */
    size_t gn, whyn;
    size_t slot;
    uint64_t count;
} jrow;

/* Bytewise, NULL last. */
static int cmp_bytes(const char *a, size_t an, const char *b, size_t bn)
{
    size_t m;
    int c;
    if (a == NULL || b == NULL)
        return (a == NULL) - (b == NULL);
    m = an < bn ? an : bn;
    c = m ? memcmp(a, b, m) : 0;
    return c != 0 ? c : (an > bn) - (an < bn);
}

static int cmp_jrow(const void *x, const void *y)
{
    const jrow *a = x, *b = y;
    int c = cmp_bytes(a->g, a->gn, b->g, b->gn);
    return c != 0 ? c : cmp_bytes(a->why, a->whyn, b->why, b->whyn);
}

/* fnli_stage_reject_counts() keys each record by its contact field: here
 * the record copies carry their group slot there. */
static uint32_t rec_slot(void *ctx, const fnli_stage_rec *rec)
{
    (void)ctx;
    return (uint32_t)rec->contact;
}

typedef struct jwork {
    scan sc;
    fnli_mem mem;
    fnli_keyset keys;
    fnli_stage_rec *recs;     /* candidate records, contact := group slot */
    size_t nrecs, recs_cap;
    fnli_reject_row *rows;
    size_t nrows;
    jrow *out;
    uint64_t *gtot;           /* rejections per slot */
    size_t nslots;
} jwork;

static void jwork_free(jwork *w)
{
    if (w->recs != NULL)
        fnli_free(&w->mem, w->recs, w->recs_cap * sizeof(fnli_stage_rec));
    if (w->rows != NULL)
        fnli_free(&w->mem, w->rows, w->nrows * sizeof(fnli_reject_row));
    if (w->out != NULL)
        fnli_free(&w->mem, w->out, (w->nrows ? w->nrows : 1) * sizeof(jrow));
    if (w->gtot != NULL)
        fnli_free(&w->mem, w->gtot, w->nslots * sizeof(uint64_t));
    fnli_keyset_free(&w->keys);
    scan_close(&w->sc);
}

/* Keep an event transition of the window: for owners with its group slot
 * (the owner the contact had then), else with its lane for now. */
static int rej_take(void *ctx, size_t lane, const person *p,
                    const fnli_stage_rec *r)
{
    jwork *w = ctx;
    const scan *sc = &w->sc;
    void *v = w->recs;
    size_t slot = lane;
    if (r->kind != FNLI_REC_TRANSITION || r->cause != FNLI_TRIG_EVENT ||
        !in_period(sc, r->time))
        return FNL_OK;
    if (sc->by == FNL_STAGE_BY_OWNER) {
        const char *ks = NULL;
        size_t kn = 0;
        int has = text_key(fnli_stages_owner(sc->e, p->root, r->prev), &ks,
                           &kn);
        if (key_slot(&w->keys, has, ks, kn, &slot) != FNL_OK)
            return FNL_ENOMEM;
    }
    if (fnli_grow(&w->mem, &v, &w->recs_cap, w->nrecs + 1,
                  sizeof(fnli_stage_rec), 64))
        return FNL_ENOMEM;
    w->recs = v;
    w->recs[w->nrecs] = *r;
    w->recs[w->nrecs++].contact = slot;
    return FNL_OK;
}

/* Copy every event transition of the window, its contact field set to its
 * group slot: the person's key, or for owners the owner then. */
static int rej_collect(jwork *w)
{
    pbatch b;
    size_t j, k, start;
    b.next = 1;
    for (;;) {
        size_t slots[LANES];
        start = w->nrecs;
        if (scan_batch(&w->sc, &b, rej_take, w) != FNL_OK)
            return FNL_ENOMEM;
        if (b.n == 0)
            return FNL_OK;
        if (w->sc.by == FNL_STAGE_BY_OWNER)
            continue;
        for (j = 0; j < LANES; j++)
            slots[j] = SIZE_MAX;
        for (k = start; k < w->nrecs; k++) {
            size_t lane = (size_t)w->recs[k].contact;
            if (slots[lane] == SIZE_MAX) {
                const char *ks = NULL;
                size_t kn = 0;
                int has = person_key(&w->sc, b.p[lane].root, &ks, &kn);
                if (key_slot(&w->keys, has, ks, kn, &slots[lane]) != FNL_OK)
                    return FNL_ENOMEM;
            }
            w->recs[k].contact = slots[lane];
        }
    }
}

FNL_API int fnl_report_rejections(const fnl_engine *e,
                                  const fnl_rejection_request *rq,
                                  fnl_report **out)
{
    static const char what[] = "report_rejections";
    fnl_rejection_request q = FNL_REJECTION_REQUEST_INIT;
    jwork w;
    fnl_report *r = NULL;
    uint64_t total = 0;
    size_t i;
    int rc;
    if (e == NULL || rq == NULL || out == NULL)
        return fnli_fail(e, FNL_EINVAL, "%s: NULL argument", what);
    if (fnli_copy_in(&q, sizeof(q), rq, sizeof(uint32_t)) != FNL_OK)
        return fnli_fail(e, FNL_EINVAL, "%s: size not set", what);
    memset(&w, 0, sizeof(w));
    if ((rc = scan_open(&w.sc, e, what)) != FNL_OK ||
        (rc = group_setup(&w.sc, what, q.group_by, q.group_attr)) != FNL_OK ||
        (rc = period_arg(&w.sc, what, q.from, q.to)) != FNL_OK)
        return rc;
    w.sc.as_of = NO_TIME;
    if ((rc = fnli_mem_init(&w.mem, fnli_report_alloc(e, q.allocator))) !=
        FNL_OK)
        return fnli_fail(e, rc, "%s: bad allocator", what);
    w.sc.mem = &w.mem;
    fnli_keyset_init(&w.keys, &w.mem);
    if (scan_merged(&w.sc, &w.mem) != FNL_OK || rej_collect(&w) != FNL_OK ||
        fnli_stage_reject_counts(w.sc.m, &w.mem, w.recs, w.nrecs, rec_slot,
                                 NULL, &w.rows, &w.nrows) != FNL_OK)
        goto nomem;
    w.nslots = w.keys.n + 1;
    w.gtot = fnli_calloc(&w.mem, w.nslots, sizeof(uint64_t));
    w.out = fnli_malloc(&w.mem, (w.nrows ? w.nrows : 1) * sizeof(jrow));
    if (w.gtot == NULL || w.out == NULL)
        goto nomem;
    for (i = 0; i < w.nrows; i++) {
        const fnli_reject_row *x = &w.rows[i];
        jrow *o = &w.out[i];
        const char *why = fnli_str(&e->strings, x->reason);
        o->slot = x->key;
        o->g = o->slot ? w.keys.ents[o->slot - 1].s : NULL;
        o->gn = o->slot ? w.keys.ents[o->slot - 1].n : 0;
        o->why = why != NULL && why[0] != '\0' ? why : NULL;
        o->whyn = o->why ? strlen(o->why) : 0;
        o->count = x->count;
        w.gtot[o->slot] += x->count;
        total += x->count;
    }
    /* rows without a reason text fold into one "no reason" row per group:
     * after sorting they are adjacent */
    fnli_qsort(w.out, w.nrows, sizeof(jrow), cmp_jrow);
    {
        size_t wr = 0;
        for (i = 0; i < w.nrows; i++) {
            if (wr > 0 && cmp_jrow(&w.out[wr - 1], &w.out[i]) == 0) {
                w.out[wr - 1].count += w.out[i].count;
                continue;
            }
            w.out[wr++] = w.out[i];
        }
        if (fnli_report_create(&r, fnli_report_alloc(e, q.allocator),
                               FNL_REPORT_REJECTIONS, NULL, rej_cols, J_NCOLS,
                               wr, 1, rej_sums, JS_NSUM) != FNL_OK)
            goto nomem;
        for (i = 0; i < wr; i++) {
            const jrow *o = &w.out[i];
            fnli_cell *c = fnli_cell_at(r, i, 0);
            if ((o->g != NULL && fnli_set_str(r, &c[J_GROUP], o->g, o->gn)) ||
                (o->why != NULL &&
                 fnli_set_str(r, &c[J_REASON], o->why, o->whyn)))
                goto nomem;
            fnli_set_int(&c[J_COUNT], (int64_t)o->count);
            fnli_set_ratio(&c[J_SHARE], (double)o->count,
                           (double)w.gtot[o->slot]);
        }
        fnli_set_int(&fnli_cell_at(r, wr, 0)[J_COUNT], (int64_t)total);
        fnli_set_ratio(&fnli_cell_at(r, wr, 0)[J_SHARE], (double)total,
                       (double)total);
    }
    if (set_text(r, &r->sum[JS_BY], group_names[q.group_by]) ||
        (q.group_by == FNL_STAGE_BY_ATTR &&
         set_text(r, &r->sum[JS_ATTR], q.group_attr)))
        goto nomem;
    if (q.from != 0)
        fnli_set_int(&r->sum[JS_FROM], q.from);
    if (q.to != 0)
        fnli_set_int(&r->sum[JS_TO], q.to);
    fnli_set_int(&r->sum[JS_TOTAL], (int64_t)total);
    *out = r;
    r = NULL;
    rc = FNL_OK;
    fnli_clear(e);
    goto done;
nomem:
    rc = fnli_fail(e, FNL_ENOMEM, "allocation failed");
done:
    fnl_report_free(r);
    jwork_free(&w);
    return rc;
}
