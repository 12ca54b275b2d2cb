/* touch.c -- touchpoints: the ingest hot path (resolve, reserve, apply),
 * touch classes, the column store and per-contact timelines. */
#include <stdio.h>
#include <stdlib.h>
#include "channel.h"
#include "normalize.h"
#include "score_engine.h"
#include "stage_engine.h"
#include "store.h"
#include "text.h"
#include "url.h"

#define CLASS_SEED UINT64_C(0x636c617373657321)

typedef struct rtouch {
    int64_t time;
    int64_t value;
    fnli_rkey *keys;
    size_t nkeys;
    uint32_t contact;
    fnli_sv f[TF_COUNT];
    uint32_t fid[TF_COUNT]; /* string ids known at resolve time, 0: intern
                               at apply */
    fnli_sv account;
    fnli_sv domain;        /* business e-mail domain (see fnli_rcontact) */
    fnli_sv by;            /* the actor, absent: none */
    uint32_t byid;         /* its string id if known at resolve time */
} rtouch;

/* A batch: one journal record, all or nothing. */
typedef struct rtouches {
    rtouch *t;
    size_t n;
    uint32_t *result;      /* per touch: the contact (scratch) */
} rtouches;

/* ---- column store -------------------------------------------------------- */

#define TOUCH_BYTES (sizeof(int64_t) * 2 + sizeof(uint32_t) * 3)

int fnli_touches_reserve(fnl_engine *e, size_t n)
{
    fnli_touches *ts = &e->touches;
    size_t need = (size_t)ts->count + n;
    if (need > UINT32_MAX)
        return FNL_ELIMIT;
    while (((size_t)ts->nchunks << TOUCH_SHIFT) < need) {
        fnli_tchunk *c;
        char *blk;
        if (ts->nchunks == ts->cap) {
            void *v = ts->chunks;
            size_t cap = ts->cap;
            int rc = fnli_grow(&e->mem, &v, &cap, (size_t)ts->nchunks + 1,
                               sizeof(fnli_tchunk), 16);
            if (rc != FNL_OK)
                return rc;
            ts->chunks = v;
            ts->cap = (uint32_t)cap;
        }
        blk = fnli_malloc(&e->mem, (size_t)TOUCH_CHUNK * TOUCH_BYTES);
        if (blk == NULL)
            return FNL_ENOMEM;
        c = &ts->chunks[ts->nchunks++];
        c->time = (int64_t *)(void *)blk;
        c->value = c->time + TOUCH_CHUNK;
        c->contact = (uint32_t *)(void *)(c->value + TOUCH_CHUNK);
        c->cls = c->contact + TOUCH_CHUNK;
        c->next = c->cls + TOUCH_CHUNK;
    }
    return FNL_OK;
}

void fnli_touches_free(fnl_engine *e, fnli_mem *mem)
{
    fnli_touches *ts = &e->touches;
    uint32_t i;
    for (i = 0; i < ts->nchunks; i++)
        fnli_free(mem, ts->chunks[i].time, (size_t)TOUCH_CHUNK * TOUCH_BYTES);
    if (ts->chunks != NULL)
        fnli_free(mem, ts->chunks, ts->cap * sizeof(fnli_tchunk));
    memset(ts, 0, sizeof(*ts));
}

/* ---- classes ------------------------------------------------------------- */

static int class_eq(const void *ctx, uint32_t idx, const void *key)
{
    return memcmp(TCLASS((const fnl_engine *)ctx, idx)->f, key,
                  sizeof(fnli_tclass)) == 0;
}

static uint32_t class_hash(const uint32_t *f)
{
    uint64_t h = CLASS_SEED;
    int i;
    for (i = 0; i < TC_FIELDS; i++)
        h = (h ^ f[i]) * UINT64_C(0x100000001b3);
    return (uint32_t)fnli_hash_u64(h);
}

static uint32_t class_get(fnl_engine *e, const uint32_t *f)
{
    uint32_t h = class_hash(f);
    uint32_t c = fnli_map_find(&e->classmap, h, class_eq, e, f);
    if (c != 0)
        return c;
    c = fnli_pool_take(&e->classes);
    memcpy(TCLASS(e, c)->f, f, sizeof(fnli_tclass));
    fnli_map_insert(&e->classmap, h, c);
    return c;
}

/* ---- channel grouping ---------------------------------------------------- */

static const char *derive_channel(const fnl_engine *e, const rtouch *r,
                                  const char *url, const char *referrer)
{
    fnli_channel_input in;
    size_t i;
    in.utm_source = r->f[TF_UTM_SOURCE].p;
    in.utm_medium = r->f[TF_UTM_MEDIUM].p;
    in.utm_campaign = r->f[TF_UTM_CAMPAIGN].p;
    in.type = r->f[TF_TYPE].p;
    in.referrer = referrer;
    in.url = url;
    for (i = 0; i < e->nrules; i++) {
        const char *v;
        size_t n;
        if (fnli_channel_field(&in, e->rules[i].field, &v, &n) &&
            fnli_pattern_match(e->rules[i].pattern, v, n))
            return fnli_str(&e->strings, e->rules[i].channel);
    }
    return fnli_channel_builtin(&in);
}

/* ---- resolve ------------------------------------------------------------- */

static const char default_type[] = "visit";

/* One dimension of a touch: validated (the type also folded, so
 * "Form_Submit" counts as form_submit) once per distinct caller pointer
 * per call. */
static int resolve_field(fnl_engine *e, int i, const char *what,
                         const char *s, rtouch *r)
{
    fnli_memo *m;
    int hit, rc;
    r->f[i].p = NULL;
    r->f[i].n = 0;
    r->fid[i] = 0;
    if (s == NULL) {
        if (i != TF_TYPE)
            return FNL_OK;
        s = default_type;
    }
    m = fnli_memo_slot(e, s, (uint32_t)i, &hit);
    if (!hit) {
        fnli_sv v;
        if ((rc = fnli_check_str(e, what, s, 0, &v)) != FNL_OK)
            return rc;
        if (i == TF_TYPE) {
            char buf[FNL_MAX_NAME + 1];
            const char *why = "invalid";
            int n = fnli_name_fold(s, 1, buf, sizeof(buf), &why);
            if (n < 0)
                return fnli_fail(e, FNL_EINVAL, "touch type: %s", why);
            if ((size_t)n != v.n || memcmp(buf, v.p, v.n) != 0) {
                v.p = fnli_scratch_dup(e, buf, (size_t)n);
                v.n = (size_t)n;
                if (v.p == NULL)
                    return fnli_fail(e, FNL_ENOMEM, "allocation failed");
            }
        }
        fnli_memo_fill(e, m, s, (uint32_t)i, v,
                       fnli_intern_find(&e->strings, v.p, v.n));
    }
    r->f[i] = m->sv;
    r->fid[i] = m->id;
    return FNL_OK;
}

/* The memo field of actors: after the dimensions (TF_*), key kinds
 * (TF_COUNT, identity.c) and derived channels (TF_COUNT + 2). */
#define MEMO_BY (TF_COUNT + 3)

/* Who made the touch: checked like any touch string, never folded (it
 * must compare equal to an owner name of the same spelling). */
static int resolve_by(fnl_engine *e, const char *s, rtouch *r)
{
    fnli_memo *m;
    int hit, rc;
    if (s == NULL)
        return FNL_OK;
    m = fnli_memo_slot(e, s, MEMO_BY, &hit);
    if (!hit) {
        fnli_sv v;
        if ((rc = fnli_check_str(e, "touch by", s, 0, &v)) != FNL_OK)
            return rc;
        fnli_memo_fill(e, m, s, MEMO_BY, v,
                       fnli_intern_find(&e->strings, v.p, v.n));
    }
    r->by = m->sv;
    r->byid = m->id;
    return FNL_OK;
}

static int resolve_touch(fnl_engine *e, const fnl_touch *t, rtouch *r)
{
    static const char *const what[TF_COUNT] = {
        "touch type", "touch channel", "touch campaign", "touch content",
        "touch utm_source", "touch utm_medium", "touch utm_campaign",
        "touch utm_term", "touch utm_content"};
    const char *in[TF_COUNT];
    fnli_sv url, referrer;
    int rc, i;

    memset(r, 0, sizeof(*r));
    if ((rc = fnli_check_time(e, "touch time", t->time, &r->time)) != FNL_OK)
        return rc;
    if (t->value < 0)
        return fnli_fail(e, FNL_EINVAL, "touch value %lld is negative",
                         (long long)t->value);
    r->value = t->value;
    if (t->key_count == 0 && t->contact == 0)
        return fnli_fail(e, FNL_EINVAL,
                         "touch needs an identity key or a contact handle");
    if (t->contact != 0 &&
        (rc = fnli_contact_index(e, t->contact, &r->contact)) != FNL_OK)
        return rc;
    if ((rc = fnli_resolve_keys(e, "touch", t->keys, t->key_count,
                                &r->keys)) != FNL_OK)
        return rc;
    r->nkeys = t->key_count;
    r->domain = fnli_business_domain(e, r->keys, r->nkeys);

    in[TF_TYPE] = t->type;
    in[TF_CHANNEL] = t->channel;
    in[TF_CAMPAIGN] = t->campaign;
    in[TF_CONTENT] = t->content;
    in[TF_UTM_SOURCE] = t->utm_source;
    in[TF_UTM_MEDIUM] = t->utm_medium;
    in[TF_UTM_CAMPAIGN] = t->utm_campaign;
    in[TF_UTM_TERM] = t->utm_term;
    in[TF_UTM_CONTENT] = t->utm_content;
    for (i = 0; i < TF_COUNT; i++)
        if ((rc = resolve_field(e, i, what[i], in[i], r)) != FNL_OK)
            return rc;
    if ((rc = fnli_check_str(e, "touch url", t->url, 0, &url)) != FNL_OK ||
        (rc = fnli_check_str(e, "touch referrer", t->referrer, 0,
                             &referrer)) != FNL_OK ||
        (rc = fnli_check_str(e, "touch account", t->account, 0,
                             &r->account)) != FNL_OK ||
        (rc = resolve_by(e, t->by, r)) != FNL_OK)
        return rc;

    /* UTM fields the caller did not give come from the URL */
    if (url.p != NULL && (!r->f[TF_UTM_SOURCE].p || !r->f[TF_UTM_MEDIUM].p ||
                          !r->f[TF_UTM_CAMPAIGN].p || !r->f[TF_UTM_TERM].p ||
                          !r->f[TF_UTM_CONTENT].p)) {
        fnli_utm utm;
        const char *parsed[5];
        size_t cap = url.n + 5;
        char *buf = fnli_arena_alloc(&e->scratch, &e->mem, cap);
        if (buf == NULL)
            return fnli_fail(e, FNL_ENOMEM, "allocation failed");
        if (fnli_utm_parse(url.p, url.n, buf, cap, &utm) == FNL_OK) {
            parsed[0] = utm.source;
            parsed[1] = utm.medium;
            parsed[2] = utm.campaign;
            parsed[3] = utm.term;
            parsed[4] = utm.content;
            for (i = 0; i < 5; i++) {
                fnli_sv *f = &r->f[TF_UTM_SOURCE + i];
                if (f->p == NULL && parsed[i] != NULL && parsed[i][0] != '\0') {
                    f->p = parsed[i];
                    f->n = strlen(parsed[i]);
                    r->fid[TF_UTM_SOURCE + i] = 0;
                }
            }
        }
    }
    if (r->f[TF_CAMPAIGN].p == NULL) {
        r->f[TF_CAMPAIGN] = r->f[TF_UTM_CAMPAIGN];
        r->fid[TF_CAMPAIGN] = r->fid[TF_UTM_CAMPAIGN];
    }
    if (r->f[TF_CONTENT].p == NULL) {
        r->f[TF_CONTENT] = r->f[TF_UTM_CONTENT];
        r->fid[TF_CONTENT] = r->fid[TF_UTM_CONTENT];
    }
    if (r->f[TF_CHANNEL].p == NULL) {
        /* a built-in name (static) or a rule's (interned): memo by pointer */
        const char *ch = derive_channel(e, r, url.p, referrer.p);
        int hit;
        fnli_memo *m = fnli_memo_slot(e, ch, TF_COUNT + 2, &hit);
        if (!hit) {
            fnli_sv v;
            v.p = ch;
            v.n = strlen(ch);
            fnli_memo_fill(e, m, ch, TF_COUNT + 2, v,
                           fnli_intern_find(&e->strings, v.p, v.n));
        }
        r->f[TF_CHANNEL] = m->sv;
        r->fid[TF_CHANNEL] = m->id;
    }

    return FNL_OK;
}

/* ---- the touch-batch mutation -------------------------------------------- */

static void touches_need(const fnl_engine *e, const void *rv, fnli_need *n)
{
    const rtouches *b = rv;
    size_t k;
    int i;
    (void)e;
    for (k = 0; k < b->n; k++) {
        const rtouch *r = &b->t[k];
        for (i = 0; i < TF_COUNT; i++)
            if (r->fid[i] == 0)
                fnli_need_str(n, r->f[i]);
        fnli_need_str(n, r->account);
        fnli_need_str(n, r->domain);
        if (r->byid == 0)
            fnli_need_str(n, r->by);
        fnli_need_keys(n, r->keys, r->nkeys);
    }
    n->contacts += b->n;
    n->accounts += 2 * b->n;
    n->names += 2 * b->n;
    n->classes += b->n;
    n->touches += b->n;
    n->events += 6 * b->n;
}

/* The TOUCHES record: uv n, then n touches (time, value, keys, contact,
 * the nine dimensions, account, domain), then optional tagged sections
 * (uv tag, payload), in increasing tag order, each written only when it
 * has something to say -- so a batch that uses none is byte for byte the
 * record of the first format, and records written before a section
 * existed replay unchanged.
 *   TS_ACTORS  who made the touches: uv m >= 1, then m pairs (uv skip,
 *              str by): a pair's touch is `skip` touches after the
 *              previous pair's (the first pair counts from touch 0).
 *              Touches without a pair have no actor. */
enum { TS_ACTORS = 1 };

static void encode_actors(fnli_wbuf *w, const rtouches *b)
{
    size_t k, m = 0, next = 0;
    for (k = 0; k < b->n; k++)
        m += b->t[k].by.p != NULL;
    if (m == 0)
        return;
    fnli_w_uv(w, TS_ACTORS);
    fnli_w_uv(w, m);
    for (k = 0; k < b->n; k++) {
        if (b->t[k].by.p == NULL)
            continue;
        fnli_w_uv(w, k - next);
        fnli_w_str(w, b->t[k].by);
        next = k + 1;
    }
}

static int decode_actors(fnli_rbuf *rb, rtouches *b)
{
    size_t m = fnli_r_count(rb, b->n, 2), j, k = 0;
    if (rb->bad || m == 0)
        return FNL_ECORRUPT;
    for (j = 0; j < m; j++) {
        uint64_t skip = fnli_r_uv(rb);
        fnli_sv by;
        if (rb->bad || skip >= b->n - k)
            return FNL_ECORRUPT;
        k += (size_t)skip;
        by = fnli_r_str(rb, FNL_MAX_STRING);
        if (rb->bad || by.p == NULL || by.n == 0)
            return FNL_ECORRUPT;
        b->t[k++].by = by;
    }
    return FNL_OK;
}

static void touches_encode(fnli_wbuf *w, const void *rv)
{
    const rtouches *b = rv;
    size_t k;
    int i;
    fnli_w_uv(w, b->n);
    for (k = 0; k < b->n; k++) {
        const rtouch *r = &b->t[k];
        fnli_w_sv(w, r->time);
        fnli_w_uv(w, (uint64_t)r->value);
        fnli_w_keys(w, r->keys, r->nkeys);
        fnli_w_uv(w, r->contact);
        for (i = 0; i < TF_COUNT; i++)
            fnli_w_str(w, r->f[i]);
        fnli_w_str(w, r->account);
        fnli_w_str(w, r->domain);
    }
    encode_actors(w, b);
}

static int touches_decode(fnl_engine *e, fnli_rbuf *rb, void *out)
{
    rtouches *b = out;
    size_t k;
    int i, rc;
    b->n = fnli_r_count(rb, (size_t)1 << 24, 14);
    if (rb->bad || b->n == 0)
        return FNL_ECORRUPT;
    b->t = fnli_arena_alloc(&e->scratch, &e->mem, b->n * sizeof(rtouch));
    b->result = fnli_arena_alloc(&e->scratch, &e->mem,
                                 b->n * sizeof(uint32_t));
    if (b->t == NULL || b->result == NULL)
        return FNL_ENOMEM;
    memset(b->t, 0, b->n * sizeof(rtouch));
    for (k = 0; k < b->n; k++) {
        rtouch *r = &b->t[k];
        uint64_t v;
        r->time = fnli_r_sv(rb);
        v = fnli_r_uv(rb);
        if ((rc = fnli_r_keys(e, rb, &r->keys, &r->nkeys)) != FNL_OK ||
            (rc = fnli_r_contact(e, rb, &r->contact)) != FNL_OK)
            return rc;
        for (i = 0; i < TF_COUNT; i++)
            r->f[i] = fnli_r_str(rb, FNL_MAX_STRING);
        r->account = fnli_r_str(rb, FNL_MAX_STRING);
        r->domain = fnli_r_str(rb, FNL_MAX_STRING);
        if (rb->bad || v > (uint64_t)INT64_MAX || r->time < FNL_TIME_MIN ||
            r->time > FNL_TIME_MAX || (r->nkeys == 0 && r->contact == 0) ||
            r->f[TF_TYPE].n == 0 || r->f[TF_CHANNEL].n == 0)
            return FNL_ECORRUPT;
        r->value = (int64_t)v;
    }
    /* optional sections; an unknown tag comes from a newer library */
    if (rb->off < rb->n) {
        uint64_t tag = fnli_r_uv(rb);
        if (rb->bad)
            return FNL_ECORRUPT;
        if (tag != TS_ACTORS)
            return FNL_EVERSION;
        if ((rc = decode_actors(rb, b)) != FNL_OK)
            return rc;
    }
    return FNL_OK;
}

/* ---- apply --------------------------------------------------------------- */

static uint32_t apply_touch(fnl_engine *e, const rtouch *r)
{
    fnli_touches *ts = &e->touches;
    uint32_t f[TC_FIELDS];
    uint32_t c, t, i;
    fnli_contact *cr;

    c = fnli_identify(e, r->keys, r->nkeys, r->contact, r->time);
    if (r->account.p != NULL)
        fnli_contact_join(e, c, fnli_account_for(e, r->account, 0, r->time),
                          r->time);
    else
        fnli_join_domain(e, c, r->domain, r->time);
    for (i = 0; i < TF_COUNT; i++)
        f[i] = r->fid[i] ? r->fid[i] : fnli_put_str(e, r->f[i]);
    f[TF_BY] = r->byid ? r->byid : r->by.p ? fnli_put_str(e, r->by) : 0;

    t = ts->count++;
    T_TIME(ts, t) = r->time;
    T_VALUE(ts, t) = r->value;
    T_CONTACT(ts, t) = c;
    T_CLASS(ts, t) = class_get(e, f);
    cr = CONTACT(e, c);
    T_NEXT(ts, t) = cr->touch_head;
    cr->touch_head = t;
    cr->touch_count++;
    fnli_scores_on_touch(e, c, t);
    fnli_stages_on_touch(e, c, t);
    return c;
}

static int load_touch(const fnl_engine *e, const fnl_touch *src, size_t i,
                      fnl_touch *dst)
{
    fnl_touch init = FNL_TOUCH_INIT;
    *dst = init;
    if (fnli_copy_in(dst, sizeof(*dst), src,
                     offsetof(fnl_touch, contact) + sizeof(src->contact)) !=
        FNL_OK)
        return fnli_fail(e, FNL_EINVAL, "touch %zu: size not set", i);
    return FNL_OK;
}

/* A three-stage prefetch pipeline: index slot, key node, contact.  Memory
 * latency, not instructions, bounds ingest at millions of contacts;
 * overlapping the misses of touches i+6..i+32 with the work on touch i is
 * what makes batches fast. */
static void touches_apply(fnl_engine *e, void *rv)
{
    rtouches *b = rv;
    rtouch *r = b->t;
    size_t i, count = b->n;
    for (i = 0; i < count; i++) {
        if (i + 32 < count && r[i + 32].nkeys > 0)
            fnli_key_prefetch(e, &r[i + 32].keys[0], 0);
        if (i + 16 < count && r[i + 16].nkeys > 0)
            fnli_key_prefetch(e, &r[i + 16].keys[0], 1);
        if (i + 6 < count && r[i + 6].nkeys > 0)
            fnli_key_prefetch(e, &r[i + 6].keys[0], 2);
        b->result[i] = apply_touch(e, &r[i]);
    }
}

const fnli_opdef fnli_op_touches = {REC_TOUCHES, touches_decode, touches_need,
                                    touches_encode, touches_apply, NULL};

FNL_API int fnl_touch_add(fnl_engine *e, const fnl_touch *t,
                          fnl_contact_id *contact)
{
    return fnl_touch_add_batch(e, t, 1, contact);
}

FNL_API int fnl_touch_add_batch(fnl_engine *e, const fnl_touch *touches,
                                size_t count, fnl_contact_id *contacts)
{
    rtouches b;
    uint32_t size;
    size_t i;
    int rc;

    if (e == NULL || touches == NULL)
        return fnli_fail(e, FNL_EINVAL, "touch_add: NULL argument");
    if ((rc = fnli_begin(e)) != FNL_OK)
        return rc;
    memcpy(&size, touches, sizeof(size));
    if (count == 0)
        goto done;
    if (count > (size_t)1 << 24) {
        rc = fnli_fail(e, FNL_ELIMIT, "touch batch larger than 16777216");
        goto done;
    }
    b.n = count;
    b.t = fnli_arena_alloc(&e->scratch, &e->mem, count * sizeof(rtouch));
    b.result = fnli_arena_alloc(&e->scratch, &e->mem,
                                count * sizeof(uint32_t));
    if (b.t == NULL || b.result == NULL) {
        rc = fnli_fail(e, FNL_ENOMEM, "allocation failed");
        goto done;
    }
    for (i = 0; i < count; i++) {
        const fnl_touch *src =
            (const fnl_touch *)(const void *)((const char *)touches +
                                              i * (size_t)size);
        fnl_touch t;
        uint32_t s;
        memcpy(&s, src, sizeof(s));
        if (s != size) {
            rc = fnli_fail(e, FNL_EINVAL,
                           "touch %zu: size %u differs from touch 0's %u", i,
                           (unsigned)s, (unsigned)size);
            goto done;
        }
        if ((rc = load_touch(e, src, i, &t)) != FNL_OK)
            goto done;
        if ((rc = resolve_touch(e, &t, &b.t[i])) != FNL_OK) {
            if (count > 1) {
                /* name the touch; keep the detail, not its code prefix */
                char detail[sizeof(e->errmsg)];
                const char *d = e->errmsg;
                size_t pl = strlen(fnl_strerror(rc));
                if (strncmp(d, fnl_strerror(rc), pl) == 0 && d[pl] == ':')
                    d += pl + 2;
                snprintf(detail, sizeof(detail), "%s", d);
                fnli_fail(e, rc, "touch %zu: %s", i, detail);
            }
            goto done;
        }
    }
    if ((rc = fnli_commit(e, &fnli_op_touches, &b)) != FNL_OK)
        goto done;
    if (contacts != NULL)
        for (i = 0; i < count; i++)
            contacts[i] = fnli_handle(CONTACT(e, b.result[i])->gen,
                                      b.result[i]);
done:
    return fnli_end(e, rc);
}

FNL_API int fnl_touch_channel(fnl_engine *e, const fnl_touch *tt,
                              const char **out)
{
    fnl_touch t;
    rtouch r;
    int rc;
    if (e == NULL || tt == NULL || out == NULL)
        return fnli_fail(e, FNL_EINVAL, "touch_channel: NULL argument");
    /* A pure question: no fnli_begin(), so the listener may ask it too. */
    fnli_clear(e);
    fnli_memo_new_call(e);
    if ((rc = load_touch(e, tt, 0, &t)) == FNL_OK) {
        /* the grouping reads no identity: a placeholder passes the check */
        static const fnl_key placeholder = {"x", "x"};
        t.keys = &placeholder;
        t.key_count = 1;
        t.contact = 0;
        t.by = NULL; /* not read */
        rc = resolve_touch(e, &t, &r);
    }
    /* The channel is the caller's own string, a static built-in name or a
     * host rule's interned name: none lives in scratch. */
    if (rc == FNL_OK)
        *out = r.f[TF_CHANNEL].p;
    fnli_arena_reset(&e->scratch, &e->mem);
    return rc;
}

/* ---- timeline ------------------------------------------------------------ */

typedef struct tref {
    int64_t time;
    uint32_t idx;
} tref;

static int cmp_tref(const void *a, const void *b)
{
    const tref *x = a, *y = b;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    return x->idx < y->idx ? -1 : (x->idx > y->idx);
}

FNL_API int fnl_contact_touches(const fnl_engine *e, fnl_contact_id id,
                                fnl_touch_info *out, size_t elem_size,
                                size_t cap, size_t *count)
{
    const fnli_touches *ts;
    const fnli_contact *c;
    tref *refs;
    uint32_t i, x;
    size_t n = 0, k;
    int rc;
    if (e == NULL)
        return FNL_EINVAL;
    if (elem_size < offsetof(fnl_touch_info, time) + sizeof(int64_t) ||
        elem_size > UINT32_MAX)
        return fnli_fail(e, FNL_EINVAL, "contact_touches: bad element size");
    if ((rc = fnli_contact_index(e, id, &i)) != FNL_OK)
        return rc;
    c = CONTACT(e, i);
    if ((rc = fnli_copyout(e, out, cap, c->touch_count, count)) != FNL_OK)
        return rc;
    if (c->touch_count == 0) {
        fnli_clear(e);
        return FNL_OK;
    }
    refs = fnli_malloc((fnli_mem *)&e->mem, c->touch_count * sizeof(tref));
    if (refs == NULL)
        return fnli_fail(e, FNL_ENOMEM, "allocation failed");
    ts = &e->touches;
    for (x = c->touch_head; x != 0 && n < c->touch_count; x = T_NEXT(ts, x)) {
        refs[n].time = T_TIME(ts, x);
        refs[n].idx = x;
        n++;
    }
    fnli_qsort(refs, n, sizeof(*refs), cmp_tref);
    /* report exactly what was filled (a damaged list may be shorter than
     * its count; the caller never sees an unwritten entry) */
    *count = n;
    for (k = 0; k < n; k++) {
        fnl_touch_info ti;
        const fnli_tclass *cl = TCLASS(e, T_CLASS(ts, refs[k].idx));
        const fnli_intern *s = &e->strings;
        ti.size = (uint32_t)elem_size;
        ti.time = refs[k].time;
        ti.contact = fnli_handle(c->gen, i);
        ti.type = fnli_str(s, cl->f[TF_TYPE]);
        ti.channel = fnli_str(s, cl->f[TF_CHANNEL]);
        ti.campaign = fnli_str(s, cl->f[TF_CAMPAIGN]);
        ti.content = fnli_str(s, cl->f[TF_CONTENT]);
        ti.utm_source = fnli_str(s, cl->f[TF_UTM_SOURCE]);
        ti.utm_medium = fnli_str(s, cl->f[TF_UTM_MEDIUM]);
        ti.utm_campaign = fnli_str(s, cl->f[TF_UTM_CAMPAIGN]);
        ti.utm_term = fnli_str(s, cl->f[TF_UTM_TERM]);
        ti.utm_content = fnli_str(s, cl->f[TF_UTM_CONTENT]);
        ti.value = T_VALUE(ts, refs[k].idx);
        ti.by = fnli_str(s, cl->f[TF_BY]);
        memcpy((char *)out + k * elem_size, &ti,
               elem_size < sizeof(ti) ? elem_size : sizeof(ti));
    }
    fnli_free((fnli_mem *)&e->mem, refs, c->touch_count * sizeof(tref));
    fnli_clear(e);
    return FNL_OK;
}

void fnli_class_index_add(fnl_engine *e, uint32_t c)
{
    fnli_map_insert(&e->classmap, class_hash(TCLASS(e, c)->f), c);
}

uint32_t fnli_touch_by(const fnl_engine *e, uint32_t t)
{
    return TCLASS(e, T_CLASS(&e->touches, t))->f[TF_BY];
}
