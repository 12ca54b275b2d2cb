/* attribution_io.c -- the serialised form of an attribution partial, so
 * partials built in other processes (Python / Dask workers) can be shipped
 * to a driver and merged there into exactly the one-pass result.
 *
 * Layout (every integer little-endian; docs/attribution.md):
 *
 *   header   "FNLPART\0", u32 version (1), u32 flags (0), u64 body bytes
 *   body     params, totals, groups, [markov], [shapley sets], [sequences]
 *   trailer  u32 CRC-32C of header and body
 *
 * The body holds the partial's integer accumulators as they are (names by
 * text, ids as the partial numbered them).  Loading rebuilds a partial
 * with the same ids and merges it into a fresh one, so every check and
 * every canonicalisation of the merge applies to loaded data too. */
#include <string.h>
#include "attribution.h"
#include "crc32c.h"

#define MAGIC "FNLPART"   /* with its NUL: 8 bytes */
#define FORMAT_VERSION 1u
#define HEADER_BYTES 24u

/* ---- writing (count only when p is NULL) -------------------------------- */

typedef struct wr {
    unsigned char *p;
    size_t n;
} wr;

static void put(wr *w, const void *s, size_t n)
{
    if (w->p != NULL)
        memcpy(w->p + w->n, s, n);
    w->n += n;
}

static void put_u32(wr *w, uint32_t v)
{
    unsigned char b[4];
    int i;
    for (i = 0; i < 4; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    put(w, b, 4);
}

static void put_u64(wr *w, uint64_t v)
{
    unsigned char b[8];
    int i;
    for (i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    put(w, b, 8);
}

static void put_u128(wr *w, const fnli_u128 *v)
{
    put_u64(w, v->lo);
    put_u64(w, v->hi);
}

static void put_f64(wr *w, double d)
{
    uint64_t v;
    memcpy(&v, &d, 8);
    put_u64(w, v);
}

static int wants(const fnli_attr *a, uint32_t m)
{
    return (a->par.models & FNL_ATTR_BIT(m)) != 0;
}

static void write_coal(wr *w, const fnli_coal *c)
{
    size_t i, n = 0;
    for (i = 0; i < c->tab.count; i++)
        n += c->paths[i] != 0 || c->conv[i] != 0;
    put_u64(w, n);
    for (i = 0; i < c->tab.count; i++) {
        uint32_t len, k;
        const uint32_t *ids;
        if (c->paths[i] == 0 && c->conv[i] == 0)
            continue;
        ids = fnli_seqtab_at(&c->tab, (uint32_t)i, &len);
        put_u32(w, len);
        for (k = 0; k < len; k++)
            put_u32(w, ids[k]);
        put_u64(w, c->conv[i]);
        put_u64(w, c->paths[i]);
        put_u128(w, &c->value[i]);
    }
}

static void write_markov(wr *w, const fnli_markov *mk)
{
    size_t i, n = 0;
    put_u32(w, mk->order);
    if (mk->order > 1) {
        put_u64(w, mk->states.count);
        for (i = 0; i < mk->states.count; i++) {
            uint32_t len, k;
            const uint32_t *ids = fnli_seqtab_at(&mk->states, (uint32_t)i,
                                                 &len);
            put_u32(w, len);
            for (k = 0; k < len; k++)
                put_u32(w, ids[k]);
        }
    } else {
        put_u64(w, 0);
    }
    /* transitions: dense matrix and hash table alike */
    for (i = 0; mk->dense && i < mk->ddim * mk->ddim; i++)
        n += mk->dense[i] != 0;
    for (i = 0; i < mk->trans.nslots; i++)
        n += mk->trans.keys[i] != UINT64_MAX && mk->trans.vals[i] != 0;
    put_u64(w, n);
    for (i = 0; mk->dense && i < mk->ddim * mk->ddim; i++) {
        if (mk->dense[i] == 0)
            continue;
        put_u32(w, (uint32_t)(i / mk->ddim));
        put_u32(w, (uint32_t)(i % mk->ddim));
        put_u64(w, mk->dense[i]);
    }
    for (i = 0; i < mk->trans.nslots; i++) {
        uint64_t key = mk->trans.keys[i];
        if (key == UINT64_MAX || mk->trans.vals[i] == 0)
            continue;
        put_u32(w, (uint32_t)(key >> 32));
        put_u32(w, (uint32_t)key);
        put_u64(w, mk->trans.vals[i]);
    }
    /* per-state sums */
    n = 0;
    for (i = 1; i < mk->scap; i++)
        n += mk->conv[i] || mk->nulls[i] || mk->value[i].lo ||
             mk->value[i].hi;
    put_u64(w, n);
    for (i = 1; i < mk->scap; i++) {
        if (!(mk->conv[i] || mk->nulls[i] || mk->value[i].lo ||
              mk->value[i].hi))
            continue;
        put_u32(w, (uint32_t)i);
        put_u64(w, mk->conv[i]);
        put_u64(w, mk->nulls[i]);
        put_u128(w, &mk->value[i]);
    }
}

static void write_partial(wr *w, const fnli_attr *a)
{
    static const fnli_u128 zero = { 0, 0 };
    size_t i, body0, dl = strlen(a->par.direct);
    uint32_t m;
    put(w, MAGIC, 8);
    put_u32(w, FORMAT_VERSION);
    put_u32(w, 0);
    body0 = w->n;
    put_u64(w, 0); /* body length, patched below */
    /* params */
    put_u32(w, a->par.models);
    put_u32(w, a->par.markov_order);
    put_u32(w, a->par.shapley_value);
    put_u32(w, a->par.value_decimals);
    put_u64(w, (uint64_t)a->par.half_life_ms);
    put_f64(w, a->par.custom[0]);
    put_f64(w, a->par.custom[1]);
    put_f64(w, a->par.custom[2]);
    put_u32(w, (uint32_t)dl);
    put(w, a->par.direct, dl);
    /* totals */
    put_u64(w, a->journeys);
    put_u64(w, a->conversions);
    put_u64(w, a->nulls);
    put_u64(w, a->touch_total);
    put_u128(w, &a->value);
    /* groups */
    put_u64(w, a->groups.count);
    for (i = 0; i < a->groups.count; i++) {
        int have = i < a->gcap;
        put_u32(w, a->groups.len[i]);
        put(w, fnli_gtab_name(&a->groups, (uint32_t)i), a->groups.len[i]);
        put_u64(w, have ? a->touches[i] : 0);
        for (m = FNL_ATTR_FIRST_TOUCH; m <= FNL_ATTR_CUSTOM; m++) {
            if (!wants(a, m))
                continue;
            put_u128(w, have ? &a->credit[m][2 * i] : &zero);
            put_u128(w, have ? &a->credit[m][2 * i + 1] : &zero);
        }
    }
    if (wants(a, FNL_ATTR_MARKOV))
        write_markov(w, &a->mk);
    if (wants(a, FNL_ATTR_SHAPLEY))
        write_coal(w, &a->sets);
    if (wants(a, FNL_ATTR_SHAPLEY_ORDERED))
        write_coal(w, &a->seqs);
    if (w->p != NULL) {
        wr patch;
        patch.p = w->p;
        patch.n = body0;
        put_u64(&patch, (uint64_t)(w->n - HEADER_BYTES));
        put_u32(w, fnli_crc32c(0, w->p, w->n));
    } else {
        w->n += 4;
    }
}

FNL_API size_t fnl_attribution_partial_save_bound(
    const fnl_attribution_partial *p)
{
    wr w;
    if (p == NULL)
        return 0;
    w.p = NULL;
    w.n = 0;
    write_partial(&w, &p->a);
    return w.n;
}

FNL_API int fnl_attribution_partial_save(const fnl_attribution_partial *p,
                                         void *buf, size_t cap,
                                         size_t *written)
{
    wr w;
    size_t need;
    if (p == NULL || written == NULL || (buf == NULL && cap != 0))
        return FNL_EINVAL;
    need = fnl_attribution_partial_save_bound(p);
    if (cap < need) {
        *written = need;
        return FNL_ERANGE;
    }
    w.p = buf;
    w.n = 0;
    write_partial(&w, &p->a);
    *written = w.n;
    return FNL_OK;
}

/* ---- reading ------------------------------------------------------------ */

typedef struct rd {
    const unsigned char *p;
    size_t n, at;
    int bad;
} rd;

static const unsigned char *take(rd *r, size_t n)
{
    const unsigned char *s;
    if (r->bad || n > r->n - r->at) {
        r->bad = 1;
        return NULL;
    }
    s = r->p + r->at;
    r->at += n;
    return s;
}

static uint64_t get_le(rd *r, int bytes)
{
    const unsigned char *s = take(r, (size_t)bytes);
    uint64_t v = 0;
    int i;
    if (s == NULL)
        return 0;
    for (i = bytes; i-- > 0;)
        v = (v << 8) | s[i];
    return v;
}

static uint32_t get_u32(rd *r)
{
    return (uint32_t)get_le(r, 4);
}

static uint64_t get_u64(rd *r)
{
    return get_le(r, 8);
}

static void get_u128(rd *r, fnli_u128 *v)
{
    v->lo = get_u64(r);
    v->hi = get_u64(r);
}

static double get_f64(rd *r)
{
    uint64_t v = get_u64(r);
    double d;
    memcpy(&d, &v, 8);
    return d;
}

/* A count of entries of at least `min` bytes each that can still follow. */
static int get_count(rd *r, size_t min, size_t *out)
{
    uint64_t n = get_u64(r);
    if (r->bad || n > UINT32_MAX - 2 || n > (r->n - r->at) / min)
        return FNL_ECORRUPT;
    *out = (size_t)n;
    return FNL_OK;
}

/* A sequence of 1..maxlen ids below `limit` into buf. */
static int get_seq(rd *r, uint32_t maxlen, size_t limit, uint32_t *buf,
                   uint32_t *len)
{
    uint32_t n = get_u32(r), k;
    if (r->bad || n == 0 || n > maxlen || n > (r->n - r->at) / 4)
        return FNL_ECORRUPT;
    for (k = 0; k < n; k++) {
        buf[k] = get_u32(r);
        if (buf[k] >= limit)
            return FNL_ECORRUPT;
    }
    *len = n;
    return FNL_OK;
}

static int read_coal(rd *r, fnli_attr *t, fnli_coal *c, uint32_t **scratch,
                     size_t *scap)
{
    size_t n, i;
    int rc = get_count(r, 4 + 4 + 32, &n);
    if (rc)
        return rc;
    for (i = 0; i < n; i++) {
        uint32_t len, id;
        size_t save = r->at;
        uint32_t peek = get_u32(r);
        if (r->bad || peek == 0 || peek > FNLI_MAX_JOURNEY_TOUCHES)
            return FNL_ECORRUPT;
        r->at = save;
        if (peek > *scap) {
            rc = fnli_grow(t->mem, (void **)scratch, scap, peek,
                           sizeof(**scratch), 64);
            if (rc)
                return rc;
        }
        rc = get_seq(r, FNLI_MAX_JOURNEY_TOUCHES, t->groups.count, *scratch,
                     &len);
        if (rc)
            return rc;
        rc = fnli_seqtab_reserve(&c->tab, t->mem, 1, len);
        if (rc == FNL_OK)
            rc = fnli_coal_grow(c, t->mem, c->tab.count + 1);
        if (rc)
            return rc;
        id = fnli_seqtab_put(&c->tab, *scratch, len);
        if (id != c->tab.count - 1 || c->paths[id] != 0)
            return FNL_ECORRUPT; /* a coalition twice */
        if (len > t->scap)
            t->scap = len;
        c->conv[id] = get_u64(r);
        c->paths[id] = get_u64(r);
        get_u128(r, &c->value[id]);
    }
    return r->bad ? FNL_ECORRUPT : FNL_OK;
}

static int read_markov(rd *r, fnli_attr *t)
{
    fnli_markov *mk = &t->mk;
    size_t ns, ne, nsum, i, nstates;
    uint32_t seq[FNL_ATTR_MAX_ORDER];
    int rc;
    if (get_u32(r) != mk->order)
        return FNL_ECORRUPT;
    rc = get_count(r, 8, &ns);
    if (rc)
        return rc;
    if (mk->order == 1 && ns != 0)
        return FNL_ECORRUPT;
    for (i = 0; i < ns; i++) {
        uint32_t len, id;
        rc = get_seq(r, mk->order, t->groups.count, seq, &len);
        if (rc == FNL_OK)
            rc = fnli_seqtab_reserve(&mk->states, t->mem, 1, len);
        if (rc)
            return rc;
        id = fnli_seqtab_put(&mk->states, seq, len);
        if (id != mk->states.count - 1)
            return FNL_ECORRUPT;
    }
    nstates = (mk->order == 1 ? t->groups.count : ns) + 1;
    rc = get_count(r, 16, &ne);
    if (rc == FNL_OK)
        rc = fnli_pairtab_reserve(&mk->trans, t->mem, ne);
    if (rc)
        return rc;
    mk->spilled = 1; /* counts live in the hash table only */
    for (i = 0; i < ne; i++) {
        uint32_t from = get_u32(r), to = get_u32(r);
        uint64_t v = get_u64(r);
        if (r->bad || from >= nstates || to >= nstates || to == 0 || v == 0)
            return FNL_ECORRUPT;
        fnli_pairtab_add(&mk->trans, ((uint64_t)from << 32) | to, v, 0);
    }
    {
        void **const arrs[3] = { (void **)&mk->conv, (void **)&mk->nulls,
                                 (void **)&mk->value };
        const size_t el[3] = { sizeof(*mk->conv), sizeof(*mk->nulls),
                               sizeof(*mk->value) };
        rc = fnli_grow_parallel(t->mem, arrs, el, 3, &mk->scap, nstates);
        if (rc)
            return rc;
    }
    rc = get_count(r, 36, &nsum);
    if (rc)
        return rc;
    for (i = 0; i < nsum; i++) {
        uint32_t s = get_u32(r);
        if (r->bad || s == 0 || s >= nstates)
            return FNL_ECORRUPT;
        mk->conv[s] = get_u64(r);
        mk->nulls[s] = get_u64(r);
        get_u128(r, &mk->value[s]);
    }
    return r->bad ? FNL_ECORRUPT : FNL_OK;
}

static int read_params(rd *r, fnli_attr_params *par)
{
    fnl_attribution_options o = FNL_ATTRIBUTION_OPTIONS_INIT;
    char direct[FNL_MAX_NAME + 1];
    const unsigned char *s;
    uint32_t dl;
    o.models = get_u32(r);
    o.markov_order = get_u32(r);
    o.shapley_value = get_u32(r);
    o.value_decimals = get_u32(r);
    o.half_life_ms = (int64_t)get_u64(r);
    o.custom_first = get_f64(r);
    o.custom_middle = get_f64(r);
    o.custom_last = get_f64(r);
    dl = get_u32(r);
    if (r->bad || dl > FNL_MAX_NAME || (s = take(r, dl)) == NULL ||
        memchr(s, 0, dl) != NULL)
        return FNL_ECORRUPT;
    memcpy(direct, s, dl);
    direct[dl] = '\0';
    o.direct_group = direct;
    return fnli_attr_params_from(par, &o) ? FNL_ECORRUPT : FNL_OK;
}

/* Rebuild the saved partial into t (ids as saved). */
static int read_body(rd *r, fnli_attr *t)
{
    size_t ng, i;
    uint32_t m, *scratch = NULL;
    size_t scap = 0;
    int rc;
    t->journeys = get_u64(r);
    t->conversions = get_u64(r);
    t->nulls = get_u64(r);
    t->touch_total = get_u64(r);
    get_u128(r, &t->value);
    rc = get_count(r, 4 + 1 + 8, &ng);
    if (rc)
        return rc;
    rc = fnli_gtab_reserve(&t->groups, t->mem, ng, 0);
    if (rc == FNL_OK)
        rc = fnli_attr_grow_groups(t, ng ? ng : 1);
    if (rc)
        return rc;
    for (i = 0; i < ng; i++) {
        uint32_t len = get_u32(r), id;
        const unsigned char *s = take(r, len);
        if (s == NULL || len == 0 || len > FNL_MAX_STRING ||
            !fnli_attr_utf8_ok((const char *)s, len))
            return FNL_ECORRUPT;
        rc = fnli_gtab_intern(&t->groups, t->mem, (const char *)s, len, &id);
        if (rc)
            return rc == FNL_EINVAL ? FNL_ECORRUPT : rc;
        if (id != i)
            return FNL_ECORRUPT; /* a name twice */
        t->touches[i] = get_u64(r);
        for (m = FNL_ATTR_FIRST_TOUCH; m <= FNL_ATTR_CUSTOM; m++) {
            if (!wants(t, m))
                continue;
            get_u128(r, &t->credit[m][2 * i]);
            get_u128(r, &t->credit[m][2 * i + 1]);
        }
    }
    if (r->bad)
        return FNL_ECORRUPT;
    if (wants(t, FNL_ATTR_MARKOV) && (rc = read_markov(r, t)) != FNL_OK)
        return rc;
    if (wants(t, FNL_ATTR_SHAPLEY))
        rc = read_coal(r, t, &t->sets, &scratch, &scap);
    if (rc == FNL_OK && wants(t, FNL_ATTR_SHAPLEY_ORDERED))
        rc = read_coal(r, t, &t->seqs, &scratch, &scap);
    fnli_free(t->mem, scratch, scap * sizeof(*scratch));
    if (rc == FNL_OK && r->at != r->n)
        rc = FNL_ECORRUPT; /* trailing bytes */
    return rc;
}

FNL_API int fnl_attribution_partial_load(fnl_attribution_partial **out,
                                         const void *buf, size_t len,
                                         const fnl_allocator *allocator)
{
    fnl_attribution_options o = FNL_ATTRIBUTION_OPTIONS_INIT;
    fnl_attribution_partial *p;
    fnli_attr_params par;
    fnli_attr t;
    rd r;
    uint32_t crc;
    uint64_t body;
    int rc;
    if (out == NULL || (buf == NULL && len != 0))
        return FNL_EINVAL;
    r.p = buf;
    r.n = len;
    r.at = 0;
    r.bad = 0;
    if (len < HEADER_BYTES + 4 || memcmp(buf, MAGIC, 8) != 0)
        return FNL_ECORRUPT;
    r.at = 8;
    if (get_u32(&r) > FORMAT_VERSION)
        return FNL_EVERSION;
    if (get_u32(&r) != 0)
        return FNL_ECORRUPT;
    body = get_u64(&r);
    if (body != len - HEADER_BYTES - 4)
        return FNL_ECORRUPT;
    r.n = len - 4;
    crc = (uint32_t)r.p[r.n] | (uint32_t)r.p[r.n + 1] << 8 |
          (uint32_t)r.p[r.n + 2] << 16 | (uint32_t)r.p[r.n + 3] << 24;
    if (fnli_crc32c(0, buf, r.n) != crc)
        return FNL_ECORRUPT;
    rc = read_params(&r, &par);
    if (rc)
        return rc;
    /* the fresh partial that receives the merge */
    o.models = par.models;
    o.markov_order = par.markov_order;
    o.shapley_value = par.shapley_value;
    o.value_decimals = par.value_decimals;
    o.half_life_ms = par.half_life_ms;
    o.custom_first = par.custom[0];
    o.custom_middle = par.custom[1];
    o.custom_last = par.custom[2];
    o.direct_group = par.direct;
    o.allocator = allocator;
    rc = fnl_attribution_partial_new(&p, &o);
    if (rc)
        return rc;
    memset(&t, 0, sizeof(t));
    t.mem = &p->mem;
    t.par = p->a.par;
    t.direct = FNLI_NONE;
    rc = fnli_markov_init(&t.mk, par.markov_order);
    if (rc == FNL_OK)
        rc = read_body(&r, &t);
    if (rc == FNL_OK)
        rc = fnli_attr_merge(&p->a, &t);
    fnli_attr_free(&t);
    if (rc) {
        fnl_attribution_partial_free(p);
        return rc;
    }
    *out = p;
    return FNL_OK;
}
