/* markov.c -- Markov chain removal-effect attribution of order 1..4.
 *
 * States follow the R package ChannelAttribution (2.x): a journey's
 * touches g0..g(n-1) become the sliding windows (g_i..g_{i+k-1}),
 * i = 0..n-k, or one state (g0..g(n-1)) when n <= k; a window equal to the
 * one before it is dropped.  A journey standing for C conversions and N
 * non-converting paths adds C + N to each transition start -> s1 -> ... ->
 * s_last, C to s_last -> conversion and N to s_last -> null.
 *
 * Finishing solves the absorbing chain exactly (a linear system, not a
 * simulation): dense Gaussian elimination up to DENSE_MAX states,
 * Gauss-Seidel to machine precision above.  Removing a channel sends every
 * state containing it to null.  Value uses the same chain with the reward
 * "value of journeys ending in s / paths leaving s" (the expected absorbed
 * value).  docs/attribution.md has the formulas. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "attribution.h"

#define DENSE_MAX 256
#define GS_MAX_SWEEPS 200000
#define MATRIX_DIM_MAX 128 /* order 1: dense transition counts up to here */

int fnli_markov_init(fnli_markov *mk, uint32_t order)
{
    memset(mk, 0, sizeof(*mk));
    mk->order = order;
    return FNL_OK;
}

void fnli_markov_free(fnli_markov *mk, fnli_mem *m)
{
    fnli_seqtab_free(&mk->states, m);
    fnli_pairtab_free(&mk->trans, m);
    fnli_free(m, mk->dense, mk->ddim * mk->ddim * sizeof(*mk->dense));
    fnli_free(m, mk->conv, mk->scap * sizeof(*mk->conv));
    fnli_free(m, mk->nulls, mk->scap * sizeof(*mk->nulls));
    fnli_free(m, mk->value, mk->scap * sizeof(*mk->value));
    fnli_free(m, mk->seq, mk->seq_cap * sizeof(*mk->seq));
    memset(mk, 0, sizeof(*mk));
}

static int grow_states(fnli_markov *mk, fnli_mem *m, size_t need)
{
    void **const arrs[3] = { (void **)&mk->conv, (void **)&mk->nulls,
                             (void **)&mk->value };
    const size_t el[3] = { sizeof(*mk->conv), sizeof(*mk->nulls),
                           sizeof(*mk->value) };
    return fnli_grow_parallel(m, arrs, el, 3, &mk->scap, need);
}

/* Non-zero transitions kept in the dense matrix. */
static size_t dense_count(const fnli_markov *mk)
{
    size_t i, n = 0;
    for (i = 0; mk->dense && i < mk->ddim * mk->ddim; i++)
        n += mk->dense[i] != 0;
    return n;
}

/* Order 1: room for states 0..nstates-1 and `pairs` new transitions.
 * Keeps the dense matrix while it is small; past MATRIX_DIM_MAX it moves
 * every count into the hash table once, for good. */
static int room_order1(fnli_markov *mk, fnli_mem *m, size_t nstates,
                       size_t pairs)
{
    size_t dim, i, j;
    uint64_t *d;
    int rc;
    if (!mk->spilled && nstates <= mk->ddim)
        return FNL_OK;
    if (!mk->spilled && nstates <= MATRIX_DIM_MAX) {
        dim = mk->ddim ? mk->ddim : 32;
        while (dim < nstates)
            dim *= 2;
        d = fnli_calloc(m, dim * dim, sizeof(*d));
        if (d == NULL)
            return FNL_ENOMEM;
        for (i = 0; i < mk->ddim; i++)
            memcpy(d + i * dim, mk->dense + i * mk->ddim,
                   mk->ddim * sizeof(*d));
        fnli_free(m, mk->dense, mk->ddim * mk->ddim * sizeof(*d));
        mk->dense = d;
        mk->ddim = dim;
        return FNL_OK;
    }
    rc = fnli_pairtab_reserve(&mk->trans, m, pairs + dense_count(mk));
    if (rc || mk->spilled)
        return rc;
    for (i = 0; i < mk->ddim; i++) {
        for (j = 0; j < mk->ddim; j++) {
            uint64_t v = mk->dense[i * mk->ddim + j];
            if (v)
                fnli_pairtab_add(&mk->trans, ((uint64_t)i << 32) | j, v, 0);
        }
    }
    fnli_free(m, mk->dense, mk->ddim * mk->ddim * sizeof(*mk->dense));
    mk->dense = NULL;
    mk->ddim = 0;
    mk->spilled = 1;
    return FNL_OK;
}

static void add_trans(fnli_markov *mk, uint32_t from, uint32_t to,
                      uint64_t w, int neg)
{
    if (mk->dense) {
        uint64_t *c = &mk->dense[(size_t)from * mk->ddim + to];
        *c = neg ? *c - w : *c + w;
    } else {
        fnli_pairtab_add(&mk->trans, ((uint64_t)from << 32) | to, w, neg);
    }
}

/* Every live transition, from either store; returns the count.  out may
 * be NULL to count only. */
typedef struct edge {
    uint32_t from, to;
    uint64_t count;
} edge;

static size_t collect_edges(const fnli_markov *mk, edge *out)
{
    size_t i, j, n = 0;
    for (i = 0; mk->dense && i < mk->ddim; i++) {
        for (j = 0; j < mk->ddim; j++) {
            uint64_t v = mk->dense[i * mk->ddim + j];
            if (v == 0)
                continue;
            if (out) {
                out[n].from = (uint32_t)i;
                out[n].to = (uint32_t)j;
                out[n].count = v;
            }
            n++;
        }
    }
    for (i = 0; i < mk->trans.nslots; i++) {
        uint64_t key = mk->trans.keys[i];
        if (key == UINT64_MAX || mk->trans.vals[i] == 0)
            continue;
        if (out) {
            out[n].from = (uint32_t)(key >> 32);
            out[n].to = (uint32_t)key;
            out[n].count = mk->trans.vals[i];
        }
        n++;
    }
    return n;
}

int fnli_markov_reserve(fnli_attr *p, const fnli_journey *j)
{
    fnli_markov *mk = &p->mk;
    size_t need;
    int rc;
    if (mk->order == 1 && mk->dense && p->groups.count < mk->ddim &&
        p->groups.count < mk->scap && j->n <= mk->seq_cap)
        return FNL_OK; /* the common case: nothing to grow */
    if (mk->order > 1) {
        rc = fnli_seqtab_reserve(&mk->states, p->mem, j->n,
                                 (size_t)j->n * mk->order);
        if (rc)
            return rc;
        need = mk->states.count + j->n + 1;
        rc = fnli_pairtab_reserve(&mk->trans, p->mem, (size_t)j->n + 1);
    } else {
        need = p->groups.count + 1;
        rc = room_order1(mk, p->mem, need, (size_t)j->n + 1);
    }
    if (rc)
        return rc;
    rc = grow_states(mk, p->mem, need);
    if (rc)
        return rc;
    if (j->n > mk->seq_cap)
        rc = fnli_grow(p->mem, (void **)&mk->seq, &mk->seq_cap, j->n,
                       sizeof(*mk->seq), 64);
    return rc;
}

/* The journey's state sequence into mk->seq; returns its length. */
static uint32_t journey_states(fnli_markov *mk, const fnli_journey *j)
{
    const uint32_t *g = j->groups;
    uint32_t n = j->n, k = mk->order, len = 0, i, s;
    if (k == 1) {
        for (i = 0; i < n; i++) {
            s = g[i] + 1;
            if (len == 0 || mk->seq[len - 1] != s)
                mk->seq[len++] = s;
        }
        return len;
    }
    if (n <= k) {
        mk->seq[0] = fnli_seqtab_put(&mk->states, g, n) + 1;
        return 1;
    }
    for (i = 0; i + k <= n; i++) {
        s = fnli_seqtab_put(&mk->states, g + i, k) + 1;
        if (len == 0 || mk->seq[len - 1] != s)
            mk->seq[len++] = s;
    }
    return len;
}

void fnli_markov_apply(fnli_attr *p, const fnli_journey *j, uint64_t w,
                       int neg)
{
    fnli_markov *mk = &p->mk;
    uint32_t len, i, prev = 0;
    if (mk->dense) {
        /* order 1, dense counts (needs no state scratch, so a rollback
         * needs no room either) */
        uint64_t *d = mk->dense;
        size_t dim = mk->ddim;
        uint64_t dw = neg ? (uint64_t)0 - w : w;
        for (i = 0; i < j->n; i++) {
            uint32_t s = j->groups[i] + 1;
            if (s != prev) {
                d[(size_t)prev * dim + s] += dw;
                prev = s;
            }
        }
        mk->conv[prev] += neg ? (uint64_t)0 - j->conversions : j->conversions;
        mk->nulls[prev] += neg ? (uint64_t)0 - j->nulls : j->nulls;
        fnli_u128_add(&mk->value[prev], (uint64_t)j->value, neg);
        return;
    }
    len = journey_states(mk, j);
    for (i = 0; i < len; i++) {
        add_trans(mk, prev, mk->seq[i], w, neg);
        prev = mk->seq[i];
    }
    if (neg) {
        mk->conv[prev] -= j->conversions;
        mk->nulls[prev] -= j->nulls;
    } else {
        mk->conv[prev] += j->conversions;
        mk->nulls[prev] += j->nulls;
    }
    fnli_u128_add(&mk->value[prev], (uint64_t)j->value, neg);
}

/* Map a state of src into dst (inserting it). */
static uint32_t map_state(fnli_attr *dst, const fnli_attr *src,
                          const uint32_t *map, uint32_t s)
{
    uint32_t t[FNL_ATTR_MAX_ORDER], n, i;
    const uint32_t *ids;
    if (s == 0)
        return 0;
    if (src->mk.order == 1)
        return map[s - 1] + 1;
    ids = fnli_seqtab_at(&src->mk.states, s - 1, &n);
    for (i = 0; i < n; i++)
        t[i] = map[ids[i]];
    return fnli_seqtab_put(&dst->mk.states, t, n) + 1;
}

int fnli_markov_merge(fnli_attr *dst, const fnli_attr *src,
                      const uint32_t *map, int dry)
{
    fnli_markov *d = &dst->mk;
    const fnli_markov *s = &src->mk;
    size_t i;
    if (dry) {
        size_t need;
        int rc;
        if (d->order > 1) {
            rc = fnli_seqtab_reserve(&d->states, dst->mem, s->states.count,
                                     s->states.ids_len);
            if (rc)
                return rc;
            need = d->states.count + s->states.count + 1;
            rc = fnli_pairtab_reserve(&d->trans, dst->mem, s->trans.count);
        } else {
            need = dst->groups.count + 1;
            rc = room_order1(d, dst->mem, need,
                             s->trans.count + dense_count(s));
        }
        if (rc)
            return rc;
        return grow_states(d, dst->mem, need);
    }
    for (i = 0; s->dense && i < s->ddim * s->ddim; i++) {
        if (s->dense[i] == 0)
            continue;
        add_trans(d, map_state(dst, src, map, (uint32_t)(i / s->ddim)),
                  map_state(dst, src, map, (uint32_t)(i % s->ddim)),
                  s->dense[i], 0);
    }
    for (i = 0; i < s->trans.nslots; i++) {
        uint64_t key = s->trans.keys[i];
        uint32_t from, to;
        if (key == UINT64_MAX || s->trans.vals[i] == 0)
            continue;
        from = map_state(dst, src, map, (uint32_t)(key >> 32));
        to = map_state(dst, src, map, (uint32_t)key);
        add_trans(d, from, to, s->trans.vals[i], 0);
    }
    for (i = 1; i < s->scap; i++) {
        uint32_t t;
        if (s->conv[i] == 0 && s->nulls[i] == 0 && s->value[i].lo == 0 &&
            s->value[i].hi == 0)
            continue;
        t = map_state(dst, src, map, (uint32_t)i);
        d->conv[t] += s->conv[i];
        d->nulls[t] += s->nulls[i];
        fnli_u128_add128(&d->value[t], &s->value[i]);
    }
    return FNL_OK;
}

/* ------------------------------------------------------------------------
 * Finishing: canonical chain, exact solve, removal effects
 * ------------------------------------------------------------------------ */

typedef struct cstate {
    uint32_t key[FNL_ATTR_MAX_ORDER]; /* canonical group ranks */
    uint32_t len;
    uint32_t raw;                     /* state id in the partial */
} cstate;

static int cmp_cstate(const void *a, const void *b)
{
    const cstate *x = a, *y = b;
    uint32_t i, n = x->len < y->len ? x->len : y->len;
    for (i = 0; i < n; i++) {
        if (x->key[i] != y->key[i])
            return x->key[i] < y->key[i] ? -1 : 1;
    }
    return (x->len > y->len) - (x->len < y->len);
}

static int cmp_edge(const void *a, const void *b)
{
    const edge *x = a, *y = b;
    if (x->from != y->from)
        return x->from < y->from ? -1 : 1;
    return (x->to > y->to) - (x->to < y->to);
}

/* The chain in canonical order: state 0 is the start. */
typedef struct chain {
    size_t n;          /* states, start included */
    size_t *rowp;      /* n + 1 */
    uint32_t *col;
    double *q;         /* transition probabilities among states */
    double *bc;        /* one-step conversion probability */
    double *bv;        /* one-step expected value (units) */
    cstate *st;        /* n - 1 non-start states (st[i-1] is state i) */
    size_t nedge;
} chain;

static void chain_free(chain *c, fnli_mem *m)
{
    fnli_free(m, c->rowp, (c->n + 1) * sizeof(*c->rowp));
    fnli_free(m, c->col, c->nedge * sizeof(*c->col));
    fnli_free(m, c->q, c->nedge * sizeof(*c->q));
    fnli_free(m, c->bc, c->n * sizeof(*c->bc));
    fnli_free(m, c->bv, c->n * sizeof(*c->bv));
    fnli_free(m, c->st, c->n * sizeof(*c->st));
}

static int chain_build(const fnli_attr *p, const fnli_rows *rw, chain *c)
{
    const fnli_markov *mk = &p->mk;
    fnli_mem *m = p->mem;
    size_t raw_n = (mk->order == 1 ? p->groups.count : mk->states.count) + 1;
    uint32_t *canon = NULL;    /* raw state -> canonical index */
    uint64_t *outc = NULL;     /* per canonical state: paths leaving */
    edge *e = NULL;
    size_t i, ns = 0, ne = 0, k;
    int rc = FNL_ENOMEM;
    memset(c, 0, sizeof(*c));
    canon = fnli_malloc(m, raw_n * sizeof(*canon));
    if (canon == NULL)
        return FNL_ENOMEM;
    for (i = 0; i < raw_n; i++)
        canon[i] = FNLI_NONE;
    /* states in use: endpoints of live transitions */
    ne = collect_edges(mk, NULL);
    e = fnli_malloc(m, (ne ? ne : 1) * sizeof(*e));
    if (e == NULL)
        goto fail;
    collect_edges(mk, e);
    for (i = 0; i < ne; i++) {
        canon[e[i].from] = 0;
        canon[e[i].to] = 0;
    }
    for (i = 1; i < raw_n; i++)
        ns += canon[i] == 0;
    c->n = ns + 1;
    c->st = fnli_malloc(m, c->n * sizeof(*c->st));
    if (c->st == NULL)
        goto fail;
    k = 0;
    for (i = 1; i < raw_n; i++) {
        cstate *s;
        const uint32_t *ids;
        uint32_t n, t, gid;
        if (canon[i] != 0)
            continue;
        s = &c->st[k++];
        memset(s, 0, sizeof(*s));
        s->raw = (uint32_t)i;
        if (mk->order == 1) {
            gid = (uint32_t)i - 1;
            ids = &gid;
            n = 1;
        } else {
            ids = fnli_seqtab_at(&mk->states, (uint32_t)i - 1, &n);
        }
        s->len = n;
        for (t = 0; t < n; t++)
            s->key[t] = rw->rank[ids[t]];
    }
    fnli_qsort(c->st, ns, sizeof(*c->st), cmp_cstate);
    canon[0] = 0;
    for (i = 0; i < ns; i++)
        canon[c->st[i].raw] = (uint32_t)(i + 1);
    for (i = 0; i < ne; i++) {
        e[i].from = canon[e[i].from];
        e[i].to = canon[e[i].to];
    }
    fnli_qsort(e, ne, sizeof(*e), cmp_edge);
    c->nedge = ne;
    c->rowp = fnli_calloc(m, c->n + 1, sizeof(*c->rowp));
    c->col = fnli_malloc(m, (ne ? ne : 1) * sizeof(*c->col));
    c->q = fnli_malloc(m, (ne ? ne : 1) * sizeof(*c->q));
    c->bc = fnli_calloc(m, c->n, sizeof(*c->bc));
    c->bv = fnli_calloc(m, c->n, sizeof(*c->bv));
    outc = fnli_calloc(m, c->n, sizeof(*outc));
    if (!c->rowp || !c->col || !c->q || !c->bc || !c->bv || !outc)
        goto fail;
    for (i = 0; i < ne; i++) {
        c->rowp[e[i].from + 1]++;
        outc[e[i].from] += e[i].count;
    }
    for (i = 0; i < c->n; i++)
        c->rowp[i + 1] += c->rowp[i];
    for (i = 1; i < c->n; i++) {
        uint32_t raw = c->st[i - 1].raw;
        double tot;
        outc[i] += mk->conv[raw] + mk->nulls[raw];
        tot = (double)outc[i];
        if (outc[i] == 0)
            continue;
        c->bc[i] = (double)mk->conv[raw] / tot;
        c->bv[i] = fnli_u128_double(&mk->value[raw]) / tot;
    }
    for (i = 0; i < ne; i++) {
        c->col[i] = e[i].to;
        c->q[i] = (double)e[i].count / (double)outc[e[i].from];
    }
    rc = FNL_OK;
fail:
    fnli_free(m, outc, c->n * sizeof(*outc));
    fnli_free(m, e, (ne ? ne : 1) * sizeof(*e));
    fnli_free(m, canon, raw_n * sizeof(*canon));
    if (rc) {
        c->nedge = ne ? ne : 1;
        if (c->col == NULL && c->q == NULL)
            c->nedge = ne ? ne : 1;
        chain_free(c, m);
        memset(c, 0, sizeof(*c));
    } else if (ne == 0) {
        /* keep sizes consistent with the 1-element allocations */
        c->nedge = 1;
    }
    return rc;
}

/* Dense Gaussian elimination with partial pivoting on (I - Q) x = b for
 * both right-hand sides; removed states are fixed at 0. */
static void solve_dense(const chain *c, const uint8_t *removed, double *a,
                        double *xc, double *xv)
{
    size_t n = c->n, w = n + 2, i, j, k;
    memset(a, 0, n * w * sizeof(*a));
    for (i = 0; i < n; i++) {
        double *row = a + i * w;
        row[i] = 1;
        if (removed[i])
            continue;
        for (k = c->rowp[i]; k < c->rowp[i + 1]; k++) {
            if (!removed[c->col[k]] && c->col[k] < n)
                row[c->col[k]] -= c->q[k];
        }
        row[n] = c->bc[i];
        row[n + 1] = c->bv[i];
    }
    for (k = 0; k < n; k++) {
        size_t piv = k;
        double best = fabs(a[k * w + k]);
        for (i = k + 1; i < n; i++) {
            if (fabs(a[i * w + k]) > best) {
                best = fabs(a[i * w + k]);
                piv = i;
            }
        }
        if (piv != k) {
            for (j = k; j < w; j++) {
                double t = a[k * w + j];
                a[k * w + j] = a[piv * w + j];
                a[piv * w + j] = t;
            }
        }
        if (a[k * w + k] == 0)
            continue;
        for (i = k + 1; i < n; i++) {
            double f = a[i * w + k] / a[k * w + k];
            if (f == 0)
                continue;
            for (j = k; j < w; j++)
                a[i * w + j] -= f * a[k * w + j];
        }
    }
    for (i = n; i-- > 0;) {
        double sc = a[i * w + n], sv = a[i * w + n + 1];
        for (j = i + 1; j < n; j++) {
            sc -= a[i * w + j] * xc[j];
            sv -= a[i * w + j] * xv[j];
        }
        xc[i] = a[i * w + i] != 0 ? sc / a[i * w + i] : 0;
        xv[i] = a[i * w + i] != 0 ? sv / a[i * w + i] : 0;
    }
}

/* Gauss-Seidel from the given start vector until no component moves by
 * more than 1e-15 relative. */
static int solve_gs(const chain *c, const uint8_t *removed, double *xc,
                    double *xv)
{
    size_t n = c->n, i, k;
    long sweep;
    for (i = 0; i < n; i++) {
        if (removed[i])
            xc[i] = xv[i] = 0;
    }
    for (sweep = 0; sweep < GS_MAX_SWEEPS; sweep++) {
        double dc = 0, dv = 0, mc = 0, mv = 0;
        for (i = n; i-- > 0;) {
            double sc, sv;
            if (removed[i])
                continue;
            sc = c->bc[i];
            sv = c->bv[i];
            for (k = c->rowp[i]; k < c->rowp[i + 1]; k++) {
                uint32_t j = c->col[k];
                sc += c->q[k] * xc[j];
                sv += c->q[k] * xv[j];
            }
            if (fabs(sc - xc[i]) > dc)
                dc = fabs(sc - xc[i]);
            if (fabs(sv - xv[i]) > dv)
                dv = fabs(sv - xv[i]);
            xc[i] = sc;
            xv[i] = sv;
            if (sc > mc)
                mc = sc;
            if (sv > mv)
                mv = sv;
        }
        if (dc <= 1e-15 * mc && dv <= 1e-15 * mv)
            return FNL_OK;
    }
    return FNL_ERANGE;
}

static int solve(const chain *c, const uint8_t *removed, double *a,
                 double *xc, double *xv)
{
    if (c->n <= DENSE_MAX) {
        solve_dense(c, removed, a, xc, xv);
        return FNL_OK;
    }
    return solve_gs(c, removed, xc, xv);
}

int fnli_markov_finish(const fnli_attr *p, fnli_rows *rw)
{
    fnli_mem *m = p->mem;
    chain c;
    double *a = NULL, *xc = NULL, *xv = NULL, *fc = NULL, *fv = NULL;
    uint8_t *removed = NULL;
    double pf, vf, sre = 0, svre = 0;
    size_t i, r, asz = 0;
    int rc = chain_build(p, rw, &c);
    if (rc)
        return rc;
    if (c.n <= DENSE_MAX)
        asz = c.n * (c.n + 2);
    a = fnli_malloc(m, (asz ? asz : 1) * sizeof(*a));
    xc = fnli_calloc(m, c.n, sizeof(*xc));
    xv = fnli_calloc(m, c.n, sizeof(*xv));
    fc = fnli_calloc(m, c.n, sizeof(*fc));
    fv = fnli_calloc(m, c.n, sizeof(*fv));
    removed = fnli_calloc(m, c.n, 1);
    rc = FNL_ENOMEM;
    if (!a || !xc || !xv || !fc || !fv || !removed)
        goto out;
    rc = solve(&c, removed, a, fc, fv);
    if (rc)
        goto out;
    pf = fc[0];
    vf = fv[0];
    for (r = 0; r < rw->n; r++) {
        double pr, vr, re, vre;
        for (i = 1; i < c.n; i++) {
            const cstate *s = &c.st[i - 1];
            uint32_t t;
            removed[i] = 0;
            for (t = 0; t < s->len; t++) {
                if (s->key[t] == r)
                    removed[i] = 1;
            }
        }
        memcpy(xc, fc, c.n * sizeof(*xc));
        memcpy(xv, fv, c.n * sizeof(*xv));
        rc = solve(&c, removed, a, xc, xv);
        if (rc)
            goto out;
        pr = xc[0];
        vr = xv[0];
        re = pf > 0 ? (pf - pr) / pf : 0;
        vre = vf > 0 ? (vf - vr) / vf : 0;
        rw->re[r] = re < 0 ? 0 : re > 1 ? 1 : re;
        rw->vre[r] = vre < 0 ? 0 : vre > 1 ? 1 : vre;
        sre += rw->re[r];
        svre += rw->vre[r];
    }
    for (r = 0; r < rw->n; r++) {
        rw->conv[r] = sre > 0 ? rw->re[r] / sre * rw->total_conv : 0;
        rw->value[r] = svre > 0 ? rw->vre[r] / svre * rw->total_value : 0;
    }
    rw->markov_p = pf;
    rw->markov_states = c.n - 1;
    rc = FNL_OK;
out:
    fnli_free(m, a, (asz ? asz : 1) * sizeof(*a));
    fnli_free(m, xc, c.n * sizeof(*xc));
    fnli_free(m, xv, c.n * sizeof(*xv));
    fnli_free(m, fc, c.n * sizeof(*fc));
    fnli_free(m, fv, c.n * sizeof(*fv));
    fnli_free(m, removed, c.n);
    chain_free(&c, m);
    return rc;
}
