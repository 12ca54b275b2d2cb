/* score_engine.c -- scoring models attached to an engine: per-contact
 * score states kept up to date by ingest, rescoring on attach, reads.
 *
 * Touches take the O(1) incremental path of scoring.c.  What it cannot do
 * in place (a touch older than the contact's latest, a merge, a profile
 * change) marks the contact dirty; apply never allocates, so dirty contacts
 * are recomputed right after apply by fnli_scores_settle() (which may fail
 * harmlessly: a contact that stays dirty is recomputed when next read). */
#include <stdlib.h>
#include "score_engine.h"
#include "scoring.h"
#include "store.h"

#define STATE_SHIFT 10
#define STATE_CHUNK (1u << STATE_SHIFT)

typedef struct fnli_attached fnli_attached;
struct clsmemo {
    fnli_class_match m;
    uint32_t known;
};
struct fnli_attached {
    fnl_model *model;
    size_t state_size;
    unsigned char **chunks;   /* STATE_CHUNK states each */
    size_t nchunks, chunks_cap;
    struct clsmemo *cls;      /* per touch class */
    size_t cls_cap;
};

/* ---- storage of states --------------------------------------------------- */

static fnli_score_state *state_of(const fnli_attached *a, uint32_t c)
{
    return (fnli_score_state *)(void *)(a->chunks[c >> STATE_SHIFT] +
                                        (size_t)(c & (STATE_CHUNK - 1)) *
                                            a->state_size);
}

static int grow_states(fnl_engine *e, fnli_attached *a, size_t contacts)
{
    while ((a->nchunks << STATE_SHIFT) < contacts) {
        unsigned char *ch;
        if (a->nchunks == a->chunks_cap) {
            void *v = a->chunks;
            int rc = fnli_grow(&e->mem, &v, &a->chunks_cap, a->nchunks + 1,
                               sizeof(*a->chunks), 16);
            if (rc != FNL_OK)
                return rc;
            a->chunks = v;
        }
        ch = fnli_malloc(&e->mem, STATE_CHUNK * a->state_size);
        if (ch == NULL)
            return FNL_ENOMEM;
        a->chunks[a->nchunks++] = ch;
    }
    return FNL_OK;
}

static int grow_classes(fnl_engine *e, fnli_attached *a, size_t classes)
{
    size_t old = a->cls_cap;
    void *v = a->cls;
    int rc;
    if (classes <= a->cls_cap)
        return FNL_OK;
    rc = fnli_grow(&e->mem, &v, &a->cls_cap, classes, sizeof(*a->cls), 64);
    if (rc != FNL_OK)
        return rc;
    a->cls = v;
    memset(a->cls + old, 0, (a->cls_cap - old) * sizeof(*a->cls));
    return FNL_OK;
}

static void attached_free(fnl_engine *e, fnli_attached *a)
{
    size_t i;
    if (a == NULL)
        return;
    for (i = 0; i < a->nchunks; i++)
        fnli_free(&e->mem, a->chunks[i], STATE_CHUNK * a->state_size);
    if (a->chunks != NULL)
        fnli_free(&e->mem, a->chunks, a->chunks_cap * sizeof(*a->chunks));
    if (a->cls != NULL)
        fnli_free(&e->mem, a->cls, a->cls_cap * sizeof(*a->cls));
    fnl_model_free(a->model);
    fnli_free(&e->mem, a, sizeof(*a));
}

void fnli_scores_free(fnl_engine *e)
{
    size_t i;
    for (i = 0; i < e->nmodels; i++)
        attached_free(e, e->models[i]);
    e->nmodels = 0;
    if (e->dirty != NULL)
        fnli_free(&e->mem, e->dirty, e->dirty_cap);
    if (e->dirty_list != NULL)
        fnli_free(&e->mem, e->dirty_list,
                  e->dirty_list_cap * sizeof(*e->dirty_list));
    e->dirty = NULL;
    e->dirty_list = NULL;
}

static int grow_dirty(fnl_engine *e, size_t ncontacts)
{
    size_t cap = e->dirty_cap;
    void *v = e->dirty;
    int rc;
    if (ncontacts <= e->dirty_cap)
        return FNL_OK;
    if ((rc = fnli_grow(&e->mem, &v, &cap, ncontacts, 1, 4096)) != FNL_OK)
        return rc;
    memset((unsigned char *)v + e->dirty_cap, 0, cap - e->dirty_cap);
    e->dirty = v;
    e->dirty_cap = cap;
    return FNL_OK;
}

int fnli_scores_reserve(fnl_engine *e, size_t contacts, size_t classes,
                        size_t dirty)
{
    size_t i, ncontacts = (size_t)e->contacts.count + contacts;
    int rc;
    void *v;
    if (e->nmodels == 0)
        return FNL_OK;
    for (i = 0; i < e->nmodels; i++) {
        if ((rc = grow_states(e, e->models[i], ncontacts)) != FNL_OK ||
            (rc = grow_classes(e, e->models[i],
                               (size_t)e->classes.count + classes)) != FNL_OK)
            return rc;
    }
    if ((rc = grow_dirty(e, ncontacts)) != FNL_OK)
        return rc;
    v = e->dirty_list;
    rc = fnli_grow(&e->mem, &v, &e->dirty_list_cap, e->ndirty + dirty,
                   sizeof(*e->dirty_list), 64);
    e->dirty_list = v;
    return rc;
}

/* ---- the profile a fit rule sees ---------------------------------------- */

/* Attributes, then the first key of each kind as an attribute of that name
 * (so "email freemail" works on the identity key), at most `cap`. */
static size_t profile_of(const fnl_engine *e, uint32_t c, fnl_attr *out,
                         size_t cap)
{
    const fnli_contact *cr = CONTACT(e, c);
    uint32_t x;
    size_t n = 0;
    for (x = cr->attrs; x != 0 && n < cap; x = ATTRNODE(e, x)->next) {
        const fnli_attrnode *a = ATTRNODE(e, x);
        out[n].name = fnli_str(&e->strings, a->name);
        out[n].type = a->type;
        out[n].str = a->type == FNL_ATTR_STRING ? fnli_str(&e->strings, a->str)
                                                : NULL;
        out[n].num = a->num;
        n++;
    }
    for (x = cr->keys; x != 0 && n < cap; x = KEYNODE(e, x)->next) {
        const fnli_keynode *k = KEYNODE(e, x);
        size_t j;
        const char *kind = fnli_str(&e->strings, k->kind);
        for (j = 0; j < n && strcmp(out[j].name, kind) != 0; j++)
            ;
        if (j < n)
            continue;
        out[n].name = kind;
        out[n].type = FNL_ATTR_STRING;
        out[n].str = fnli_key_value(k);
        out[n].num = 0;
        n++;
    }
    return n;
}

static int is_freemail_cb(void *ctx, const char *d, size_t n)
{
    return fnli_is_freemail(ctx, d, n);
}

/* ---- apply hooks (infallible) -------------------------------------------- */

void fnli_scores_dirty(fnl_engine *e, uint32_t c)
{
    if (e->nmodels == 0 || e->dirty[c])
        return;
    e->dirty[c] = 1;
    /* the list is reserved for every contact a call can touch; if a
     * settle failed earlier, the flag alone keeps the contact dirty */
    if (e->ndirty < e->dirty_list_cap)
        e->dirty_list[e->ndirty++] = c;
}

void fnli_scores_new_contact(fnl_engine *e, uint32_t c)
{
    size_t i;
    for (i = 0; i < e->nmodels; i++) {
        fnli_attached *a = e->models[i];
        fnli_score_state_init(a->model, state_of(a, c));
        fnli_score_profile(a->model, state_of(a, c), NULL, 0, is_freemail_cb,
                           e);
    }
    if (e->nmodels > 0)
        e->dirty[c] = 0;
}

static const fnli_class_match *class_match(fnl_engine *e, fnli_attached *a,
                                           uint32_t cls)
{
    if (!a->cls[cls].known) {
        const fnli_tclass *tc = TCLASS(e, cls);
        fnli_class_fields f;
        int i;
        for (i = 0; i < TF_COUNT; i++) {
            f.p[i] = fnli_str(&e->strings, tc->f[i]);
            f.n[i] = fnli_str_len(&e->strings, tc->f[i]);
        }
        fnli_model_match_class(a->model, &f, &a->cls[cls].m);
        a->cls[cls].known = 1;
    }
    return &a->cls[cls].m;
}

static void queue_fired(fnl_engine *e, uint32_t model, uint32_t c,
                        uint64_t fired, int64_t time)
{
    for (; fired != 0; fired &= fired - 1) {
        uint32_t b = (uint32_t)__builtin_ctzll(fired);
        fnli_queue(e, FNL_EVENT_KEY_EVENT, c, 0, 0, 0, time);
        if (e->has_listener) {
            e->events[e->nevents - 1].model = model + 1;
            e->events[e->nevents - 1].key_event = b;
        }
    }
}

void fnli_scores_on_touch(fnl_engine *e, uint32_t c, uint32_t t)
{
    size_t i;
    if (e->nmodels == 0 || e->dirty[c])
        return;
    for (i = 0; i < e->nmodels; i++) {
        fnli_attached *a = e->models[i];
        const fnli_class_match *m = class_match(e, a, T_CLASS(&e->touches, t));
        fnli_score_tv tv;
        uint64_t fired = 0;
        if (m->engage == 0 && m->events == 0)
            continue;
        tv.time = T_TIME(&e->touches, t);
        tv.value = T_VALUE(&e->touches, t);
        tv.engage = m->engage;
        tv.events = m->events;
        if (fnli_score_touch(a->model, state_of(a, c), &tv, &fired) != FNL_OK) {
            fnli_scores_dirty(e, c);
            return;
        }
        queue_fired(e, (uint32_t)i, c, fired, tv.time);
    }
}

/* ---- recompute (fallible) ------------------------------------------------ */

typedef struct tref {
    int64_t time;
    uint32_t idx;
} tref;

static int cmp_tref(const void *x, const void *y)
{
    const tref *p = x, *q = y;
    if (p->time != q->time)
        return p->time < q->time ? -1 : 1;
    return p->idx < q->idx ? -1 : (p->idx > q->idx);
}

typedef struct firectx {
    fnl_engine *e;
    uint32_t model, contact;
    uint64_t before;          /* events fired before the recompute */
    int64_t after;            /* the old state's latest touch */
    int notify;
} firectx;

static void on_fire(void *ctx, uint32_t ev, int64_t time)
{
    firectx *f = ctx;
    /* report firings the contact had not had before: a new event, or one
     * later than everything the old state had seen */
    if (!f->notify)
        return;
    if ((f->before & ((uint64_t)1 << ev)) && time <= f->after)
        return;
    if (fnli_queue_reserve(f->e, 1) == FNL_OK)
        queue_fired(f->e, f->model, f->contact, (uint64_t)1 << ev, time);
}

/* Recompute every model's state of contact c from its timeline, sorted
 * by (time, arrival), using tv (n entries) as scratch. */
static int recompute_sorted(fnl_engine *e, uint32_t c, const tref *refs,
                            size_t n, fnli_score_tv *tv, int notify)
{
    fnl_attr prof[128];
    size_t np, k, i;
    int rc = FNL_OK;
    np = profile_of(e, c, prof, sizeof(prof) / sizeof(prof[0]));
    for (i = 0; i < e->nmodels; i++) {
        fnli_attached *a = e->models[i];
        fnli_score_state *st = state_of(a, c);
        firectx f;
        f.e = e;
        f.model = (uint32_t)i;
        f.contact = c;
        f.before = st->h.fired;
        f.after = st->h.last;
        f.notify = notify && e->has_listener;
        for (k = 0; k < n; k++) {
            /* refs is NULL only with n == 0 (rescore_all) */
            const fnli_class_match *m = class_match(
                e, a,
                /* NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
                T_CLASS(&e->touches, refs[k].idx));
            tv[k].time = refs[k].time;
            tv[k].value = T_VALUE(&e->touches, refs[k].idx);
            tv[k].engage = m->engage;
            tv[k].events = m->events;
        }
        fnli_score_state_init(a->model, st);
        fnli_score_profile(a->model, st, prof, np, is_freemail_cb, e);
        if (fnli_score_recompute(a->model, st, tv, n, on_fire, &f) != FNL_OK)
            rc = FNL_ECORRUPT; /* unsorted: cannot happen */
    }
    return rc;
}

/* Recompute contact c: gather and sort its timeline first. */
static int recompute(fnl_engine *e, uint32_t c, int notify)
{
    const fnli_contact *cr = CONTACT(e, c);
    size_t n = cr->touch_count, k;
    tref *refs = NULL;
    fnli_score_tv *tv = NULL;
    uint32_t x;
    int rc = FNL_OK;
    if (n > 0) {
        refs = fnli_malloc(&e->mem, n * sizeof(*refs));
        tv = fnli_malloc(&e->mem, n * sizeof(*tv));
        if (refs == NULL || tv == NULL) {
            rc = FNL_ENOMEM;
            goto out;
        }
        for (x = cr->touch_head, k = 0; x != 0 && k < n;
             x = T_NEXT(&e->touches, x), k++) {
            refs[k].time = T_TIME(&e->touches, x);
            refs[k].idx = x;
        }
        n = k;
        fnli_qsort(refs, n, sizeof(*refs), cmp_tref);
    }
    rc = recompute_sorted(e, c, refs, n, tv, notify);
out:
    if (refs != NULL)
        fnli_free(&e->mem, refs, cr->touch_count * sizeof(*refs));
    if (tv != NULL)
        fnli_free(&e->mem, tv, cr->touch_count * sizeof(*tv));
    return rc;
}

int fnli_scores_settle_one(const fnl_engine *ce, uint32_t c)
{
    fnl_engine *e = (fnl_engine *)ce; /* the states are a cache */
    int rc;
    if (e->nmodels == 0 || !e->dirty[c])
        return FNL_OK;
    if ((rc = recompute(e, c, 0)) == FNL_OK)
        e->dirty[c] = 0;
    return rc;
}

void fnli_scores_prefetch(const fnl_engine *e, uint32_t c)
{
    size_t i;
    if (e->nmodels == 0)
        return;
    FNL_PREFETCH(&e->dirty[c]);
    for (i = 0; i < e->nmodels; i++) {
        const fnli_attached *a = e->models[i];
        const char *p = (const char *)state_of(a, c);
        size_t off, n = a->state_size < 256 ? a->state_size : 256;
        for (off = 0; off < n; off += 64)
            FNL_PREFETCH(p + off);
    }
}

void fnli_scores_settle(fnl_engine *e)
{
    size_t i;
    for (i = 0; i < e->ndirty; i++) {
        uint32_t c = e->dirty_list[i];
        if (!e->dirty[c] || CONTACT(e, c)->state != CONTACT_LIVE)
            continue;
        if (recompute(e, c, 1) == FNL_OK)
            e->dirty[c] = 0;
    }
    e->ndirty = 0;
}

/* ---- attaching models ---------------------------------------------------- */

static int progress_tick(const fnl_progress *p, uint64_t done, uint64_t total)
{
    if (p == NULL || p->report == NULL)
        return 0;
    return p->report(p->ctx, done, total) != 0;
}

/* Rescore every live contact.  Walking each contact's touch list is one
 * random memory access per touch; instead the touch store is read once,
 * in order, and bucketed by contact (a counting sort), so each contact's
 * timeline is contiguous and nearly sorted already. */
static int rescore_all(fnl_engine *e, const fnl_progress *progress)
{
    size_t nc = e->contacts.count, nt = e->touches.count, c, t, maxn = 0;
    uint32_t *start = NULL;
    tref *refs = NULL;
    fnli_score_tv *tv = NULL;
    int rc = FNL_OK;
    start = fnli_calloc(&e->mem, nc + 1, sizeof(*start));
    if (start == NULL)
        return FNL_ENOMEM;
    for (t = 1; t < nt; t++)
        start[T_CONTACT(&e->touches, t) + 1]++;
    for (c = 1; c <= nc; c++) {
        if (start[c] > maxn)
            maxn = start[c];
        start[c] += start[c - 1];
    }
    if (nt > 1) {
        refs = fnli_malloc(&e->mem, (nt - 1) * sizeof(*refs));
        tv = fnli_malloc(&e->mem, (maxn ? maxn : 1) * sizeof(*tv));
        if (refs == NULL || tv == NULL) {
            rc = FNL_ENOMEM;
            goto out;
        }
        /* start[c] becomes the end of c's bucket as it is filled */
        for (t = 1; t < nt; t++) {
            uint32_t owner = T_CONTACT(&e->touches, t);
            tref *r = &refs[start[owner]++];
            r->time = T_TIME(&e->touches, t);
            r->idx = (uint32_t)t;
        }
    }
    for (c = 1; c < nc && rc == FNL_OK; c++) {
        size_t end = start[c], begin = c > 1 ? start[c - 1] : 0, i;
        if ((c & 4095) == 0 && progress_tick(progress, c, nc - 1)) {
            rc = FNL_ECANCELED;
            break;
        }
        if (CONTACT(e, (uint32_t)c)->state != CONTACT_LIVE)
            continue;
        /* arrival order already; sort by time: insertion for the usual
         * short, nearly sorted timelines, qsort for long ones */
        /* refs is NULL only when there are no touches; then every
           bucket is empty (end == begin) and refs is not read. */
        if (end - begin > 64)
            /* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker) */
            fnli_qsort(refs + begin, end - begin, sizeof(*refs), cmp_tref);
        for (i = begin + 1; i < end && end - begin <= 64; i++) {
            tref x = refs[i]; /* NOLINT(clang-analyzer-core.NullDereference) */
            size_t j = i;
            while (j > begin && cmp_tref(&refs[j - 1], &x) > 0) {
                refs[j] = refs[j - 1];
                j--;
            }
            refs[j] = x;
        }
        rc = recompute_sorted(e, (uint32_t)c, refs + begin, end - begin, tv,
                              0);
    }
out:
    fnli_free(&e->mem, start, (nc + 1) * sizeof(*start));
    if (refs != NULL)
        fnli_free(&e->mem, refs, (nt - 1) * sizeof(*refs));
    if (tv != NULL)
        fnli_free(&e->mem, tv, (maxn ? maxn : 1) * sizeof(*tv));
    return rc;
}

/* Build an attached model with every contact scored; nothing of the engine
 * changes (the states are new memory). */
static int build_attached(fnl_engine *e, fnl_model *model,
                          const fnl_progress *progress, fnli_attached **out)
{
    fnli_attached *a = fnli_calloc(&e->mem, 1, sizeof(*a));
    fnli_attached *saved[FNL_MAX_MODELS];
    size_t nsaved = e->nmodels;
    uint32_t c;
    int rc;
    if (a == NULL) {
        fnl_model_free(model);
        return FNL_ENOMEM;
    }
    a->model = model;
    a->state_size = fnli_model_state_size(model);
    if ((rc = grow_dirty(e, e->contacts.count)) != FNL_OK ||
        (rc = grow_states(e, a, e->contacts.count)) != FNL_OK ||
        (rc = grow_classes(e, a, e->classes.count)) != FNL_OK) {
        attached_free(e, a);
        return rc;
    }
    /* score with this model alone, through the same recompute */
    /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
    memcpy(saved, e->models, nsaved * sizeof(*saved));
    e->models[0] = a;
    e->nmodels = 1;
    rc = rescore_all(e, progress);
    for (c = 1; c < e->contacts.count && rc == FNL_OK; c++)
        if (CONTACT(e, c)->state != CONTACT_LIVE)
            fnli_score_state_init(model, state_of(a, c));
    /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
    memcpy(e->models, saved, nsaved * sizeof(*saved));
    e->nmodels = nsaved;
    if (rc != FNL_OK) {
        attached_free(e, a);
        return rc;
    }
    progress_tick(progress, e->contacts.count - 1, e->contacts.count - 1);
    *out = a;
    return FNL_OK;
}

static int model_slot(const fnl_engine *e, const char *name)
{
    size_t i;
    for (i = 0; i < e->nmodels; i++)
        if (strcmp(fnl_model_name(e->models[i]->model), name) == 0)
            return (int)i;
    return -1;
}

/* The attach mutation: the record is the model's text. */
typedef struct rmodel {
    fnli_sv text;
    fnli_attached *built;     /* prepared before the journal append */
    uint8_t detach;
} rmodel;

static void model_need(const fnl_engine *e, const void *rv, fnli_need *n)
{
    (void)e;
    (void)rv;
    (void)n;
}

static void model_encode(fnli_wbuf *w, const void *rv)
{
    const rmodel *r = rv;
    fnli_w_u8(w, r->detach);
    fnli_w_str(w, r->text);
}

static int parse_owned(fnl_engine *e, fnli_sv text, fnl_model **out)
{
    fnl_parse_error err = FNL_PARSE_ERROR_INIT;
    int rc = fnl_model_parse(out, text.p, text.n, &e->mem.a, &err);
    if (rc != FNL_OK && rc != FNL_ENOMEM)
        return fnli_fail(e, rc, "model line %u column %u: %s",
                         (unsigned)err.line, (unsigned)err.column,
                         err.message);
    return rc;
}

static int model_decode(fnl_engine *e, fnli_rbuf *rb, void *out)
{
    rmodel *r = out;
    fnl_model *m = NULL;
    int rc;
    r->detach = (uint8_t)fnli_r_u8(rb);
    r->text = fnli_r_str(rb, (size_t)1 << 24);
    if (rb->bad || r->text.n == 0 || r->detach > 1)
        return FNL_ECORRUPT;
    if (r->detach)
        return FNL_OK; /* detaching a model that is not there is a no-op */
    if ((rc = parse_owned(e, r->text, &m)) != FNL_OK)
        return rc == FNL_ENOMEM ? rc : FNL_ECORRUPT;
    return build_attached(e, m, NULL, &r->built);
}

static void model_apply(fnl_engine *e, void *rv)
{
    rmodel *r = rv;
    char name[FNL_MAX_STRING + 1];
    int slot;
    if (r->detach) {
        memcpy(name, r->text.p, r->text.n);
        name[r->text.n] = '\0';
        slot = model_slot(e, name);
        if (slot >= 0) {
            attached_free(e, e->models[slot]);
            /* models[] is an array of pointers: sizeof(e->models[0]) is
               meant (bugprone-sizeof-expression) */
            memmove(&e->models[slot], &e->models[slot + 1],
                    /* NOLINTNEXTLINE(bugprone-sizeof-expression) */
                    (e->nmodels - (size_t)slot - 1) * sizeof(e->models[0]));
            e->nmodels--;
        }
        return;
    }
    slot = model_slot(e, fnl_model_name(r->built->model));
    if (slot >= 0) {
        attached_free(e, e->models[slot]);
        e->models[slot] = r->built;
    } else {
        e->models[e->nmodels++] = r->built;
    }
    r->built = NULL;
}

static void model_done(fnl_engine *e, void *rv);

const fnli_opdef fnli_op_model = {REC_MODEL, model_decode, model_need,
                                  model_encode, model_apply, model_done};

static void model_done(fnl_engine *e, void *rv)
{
    rmodel *r = rv;
    if (r->built != NULL)
        attached_free(e, r->built);
    r->built = NULL;
}

FNL_API int fnl_engine_attach_model(fnl_engine *e, const fnl_model *model,
                                    const fnl_progress *progress)
{
    rmodel r;
    fnl_model *own = NULL;
    size_t cap = 0, len = 0;
    char *text = NULL;
    int rc;
    if (e == NULL || model == NULL)
        return fnli_fail(e, FNL_EINVAL, "attach_model: NULL argument");
    if ((rc = fnli_begin(e)) != FNL_OK)
        return rc;
    memset(&r, 0, sizeof(r));
    if (progress != NULL && (progress->version == 0 ||
                             progress->version > FNL_PROGRESS_VERSION)) {
        rc = fnli_fail(e, FNL_EINVAL, "attach_model: bad progress table");
        goto done;
    }
    if (model_slot(e, fnl_model_name(model)) < 0 &&
        e->nmodels == FNL_MAX_MODELS) {
        rc = fnli_fail(e, FNL_ELIMIT, "attach_model: %d models attached",
                       FNL_MAX_MODELS);
        goto done;
    }
    /* the engine keeps its own copy, in its own memory, made from the
     * text: the same text the journal holds, so replay builds the same */
    fnl_model_to_text(model, NULL, 0, &cap);
    text = fnli_arena_alloc(&e->scratch, &e->mem, cap + 1);
    if (text == NULL || fnl_model_to_text(model, text, cap + 1, &len) != FNL_OK) {
        rc = fnli_fail(e, FNL_ENOMEM, "allocation failed");
        goto done;
    }
    r.text.p = text;
    r.text.n = len;
    if ((rc = parse_owned(e, r.text, &own)) != FNL_OK)
        goto done;
    if ((rc = build_attached(e, own, progress, &r.built)) != FNL_OK) {
        if (rc == FNL_ECANCELED)
            fnli_fail(e, rc, "attach_model: canceled; the old scores stand");
        goto done;
    }
    rc = fnli_commit(e, &fnli_op_model, &r);
done:
    model_done(e, &r);
    return fnli_end(e, rc);
}

FNL_API int fnl_engine_detach_model(fnl_engine *e, const char *name)
{
    rmodel r;
    int rc;
    if (e == NULL || name == NULL)
        return fnli_fail(e, FNL_EINVAL, "detach_model: NULL argument");
    if ((rc = fnli_begin(e)) != FNL_OK)
        return rc;
    memset(&r, 0, sizeof(r));
    r.detach = 1;
    if ((rc = fnli_check_str(e, "model name", name, 1, &r.text)) == FNL_OK) {
        if (model_slot(e, name) < 0)
            rc = fnli_fail(e, FNL_ENOTFOUND, "no model '%s' is attached",
                           name);
        else
            rc = fnli_commit(e, &fnli_op_model, &r);
    }
    return fnli_end(e, rc);
}

/* ---- reads --------------------------------------------------------------- */

static int find_model(const fnl_engine *e, const char *name, size_t *slot)
{
    int s;
    /* Explicit error returns: fnli_fail() returns its code, but the
       analyzer cannot see that across files (docs/lint.md). */
    if (e->nmodels == 0) {
        (void)fnli_fail(e, FNL_ENOTFOUND, "no scoring model is attached");
        return FNL_ENOTFOUND;
    }
    if (name == NULL) {
        *slot = 0;
        return FNL_OK;
    }
    s = model_slot(e, name);
    if (s < 0) {
        (void)fnli_fail(e, FNL_ENOTFOUND, "no model '%.64s' is attached",
                        name);
        return FNL_ENOTFOUND;
    }
    *slot = (size_t)s;
    return FNL_OK;
}

FNL_API int fnl_engine_model(const fnl_engine *e, size_t index,
                             const fnl_model **out)
{
    if (e == NULL || out == NULL)
        return fnli_fail(e, FNL_EINVAL, "engine_model: NULL argument");
    if (index >= e->nmodels)
        return fnli_fail(e, FNL_ENOTFOUND, "no model at index %zu", index);
    *out = e->models[index]->model;
    fnli_clear(e);
    return FNL_OK;
}

FNL_API int fnl_contact_score(const fnl_engine *e, fnl_contact_id id,
                              const char *model, int64_t t,
                              fnl_score_result *out)
{
    fnl_score_result r = FNL_SCORE_RESULT_INIT;
    uint32_t c, size;
    size_t slot;
    int rc;
    if (e == NULL || out == NULL)
        return fnli_fail(e, FNL_EINVAL, "contact_score: NULL argument");
    memcpy(&size, out, sizeof(size));
    if (size < sizeof(uint32_t))
        return fnli_fail(e, FNL_EINVAL, "contact_score: size not set");
    if ((rc = fnli_contact_index(e, id, &c)) != FNL_OK ||
        (rc = find_model(e, model, &slot)) != FNL_OK ||
        (rc = fnli_check_time(e, "score time", t, &t)) != FNL_OK)
        return rc;
    if ((rc = fnli_scores_settle_one(e, c)) != FNL_OK)
        return fnli_fail(e, rc, "rescoring the contact failed");
    fnli_score_at(e->models[slot]->model, state_of(e->models[slot], c), t, &r);
    r.size = size;
    memcpy(out, &r, size < sizeof(r) ? size : sizeof(r));
    fnli_clear(e);
    return FNL_OK;
}

FNL_API int fnl_contact_explain(const fnl_engine *e, fnl_contact_id id,
                                const char *model, int64_t t,
                                fnl_score_row *rows, size_t cap,
                                size_t *count)
{
    fnl_attr prof[128];
    fnl_touch_info *tl = NULL;
    size_t slot, n = 0, np;
    uint32_t c;
    int rc;
    if (e == NULL || count == NULL)
        return fnli_fail(e, FNL_EINVAL, "contact_explain: NULL argument");
    if ((rc = fnli_contact_index(e, id, &c)) != FNL_OK ||
        (rc = find_model(e, model, &slot)) != FNL_OK ||
        (rc = fnli_check_time(e, "score time", t, &t)) != FNL_OK)
        return rc;
    if (CONTACT(e, c)->touch_count > 0) {
        tl = fnli_malloc((fnli_mem *)&e->mem,
                         CONTACT(e, c)->touch_count * sizeof(*tl));
        if (tl == NULL)
            return fnli_fail(e, FNL_ENOMEM, "allocation failed");
        rc = fnl_contact_touches(e, id, tl, sizeof(*tl),
                                 CONTACT(e, c)->touch_count, &n);
    }
    np = profile_of(e, c, prof, sizeof(prof) / sizeof(prof[0]));
    if (rc == FNL_OK)
        rc = fnl_model_explain(e->models[slot]->model, prof, np, tl,
                               sizeof(*tl), n, t, rows, cap, count);
    if (tl != NULL)
        fnli_free((fnli_mem *)&e->mem, tl,
                  CONTACT(e, c)->touch_count * sizeof(*tl));
    if (rc != FNL_OK)
        return fnli_fail(e, rc, "contact_explain: %s", fnl_strerror(rc));
    fnli_clear(e);
    return FNL_OK;
}

FNL_API int fnl_account_score_get(const fnl_engine *e, fnl_account_id id,
                                  const char *model, int64_t t,
                                  fnl_account_score *out)
{
    fnl_account_member *m = NULL;
    fnl_score_result *res = NULL;
    size_t slot, n, k = 0;
    uint32_t a, c;
    int rc;
    if (e == NULL || out == NULL)
        return fnli_fail(e, FNL_EINVAL, "account_score: NULL argument");
    if ((rc = fnli_account_index(e, id, &a)) != FNL_OK ||
        (rc = find_model(e, model, &slot)) != FNL_OK ||
        (rc = fnli_check_time(e, "score time", t, &t)) != FNL_OK)
        return rc;
    n = ACCOUNT(e, a)->ncontacts;
    if (n > 0) {
        m = fnli_malloc((fnli_mem *)&e->mem, n * sizeof(*m));
        res = fnli_malloc((fnli_mem *)&e->mem, n * sizeof(*res));
        if (m == NULL || res == NULL) {
            rc = fnli_fail(e, FNL_ENOMEM, "allocation failed");
            goto out;
        }
    }
    for (c = ACCOUNT(e, a)->contacts; c != 0 && k < n;
         c = CONTACT(e, c)->acct_next, k++) {
        fnl_score_result r = FNL_SCORE_RESULT_INIT;
        if ((rc = fnli_scores_settle_one(e, c)) != FNL_OK)
            goto out;
        fnli_score_at(e->models[slot]->model, state_of(e->models[slot], c), t,
                      &r);
        res[k] = r;
        m[k].score = &res[k];
        m[k].role = CONTACT(e, c)->role;
    }
    rc = fnl_model_account_score(e->models[slot]->model, m, k, out);
out:
    if (m != NULL)
        fnli_free((fnli_mem *)&e->mem, m, n * sizeof(*m));
    if (res != NULL)
        fnli_free((fnli_mem *)&e->mem, res, n * sizeof(*res));
    if (rc != FNL_OK)
        return fnli_fail(e, rc, "account_score: %s", fnl_strerror(rc));
    fnli_clear(e);
    return FNL_OK;
}

uint64_t fnli_scores_touch_events(fnl_engine *e, size_t i, uint32_t c,
                                  uint32_t t)
{
    fnli_attached *a = e->models[i];
    return class_match(e, a, T_CLASS(&e->touches, t))->events &
           state_of(a, c)->h.fired;
}

/* The score of contact c under attached model i at time t (the state as
 * it is: settle it first).  Returns the model. */
const fnl_model *fnli_scores_result(const fnl_engine *e, size_t i, uint32_t c,
                                    int64_t t, fnl_score_result *r)
{
    fnli_score_at(e->models[i]->model, state_of(e->models[i], c), t, r);
    return e->models[i]->model;
}

/* ---- snapshots: the models' texts; states are recomputed on load ------- */

size_t fnli_scores_count(const fnl_engine *e)
{
    return e->nmodels;
}

const fnl_model *fnli_scores_model(const fnl_engine *e, size_t i)
{
    return e->models[i]->model;
}

int fnli_scores_load(fnl_engine *e, fnli_sv text)
{
    fnl_model *m = NULL;
    fnli_attached *a = NULL;
    int rc;
    if (e->nmodels == FNL_MAX_MODELS)
        return FNL_ECORRUPT;
    if ((rc = parse_owned(e, text, &m)) != FNL_OK)
        return rc == FNL_ENOMEM ? rc : FNL_ECORRUPT;
    if (model_slot(e, fnl_model_name(m)) >= 0) {
        fnl_model_free(m);
        return FNL_ECORRUPT;
    }
    if ((rc = build_attached(e, m, NULL, &a)) != FNL_OK)
        return rc;
    e->models[e->nmodels++] = a;
    return FNL_OK;
}
