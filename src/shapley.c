/* shapley.c -- Shapley value attribution (Zhao, Mahboobi and Bagheri 2018).
 *
 * A journey's coalition is the set of distinct groups it touched (ordered
 * variant: the sequence of distinct groups in order of first touch).  The
 * partial tallies, per coalition T, its conversions, paths (conversions +
 * nulls) and value, in integers.  The game is v(S) = sum of r(T) over the
 * observed coalitions T contained in S, with r(T) the conversion rate
 * conv(T) / paths(T) (or conv(T)); it is a sum of unanimity games, so its
 * Shapley value is exactly phi_j = sum over T containing j of r(T) / |T|
 * (the paper's simplified formula): no 2^n enumeration, no channel limit.
 * Credits are scaled so that they sum to the observed conversions (value:
 * the same with value in place of conversions).  docs/attribution.md. */
#include <stdlib.h>
#include <string.h>
#include "attribution.h"

void fnli_coal_free(fnli_coal *c, fnli_mem *m)
{
    fnli_seqtab_free(&c->tab, m);
    fnli_free(m, c->conv, c->cap * sizeof(*c->conv));
    fnli_free(m, c->paths, c->cap * sizeof(*c->paths));
    fnli_free(m, c->value, c->cap * sizeof(*c->value));
    memset(c, 0, sizeof(*c));
}

int fnli_coal_grow(fnli_coal *c, fnli_mem *m, size_t need)
{
    void **const arrs[3] = { (void **)&c->conv, (void **)&c->paths,
                             (void **)&c->value };
    const size_t el[3] = { sizeof(*c->conv), sizeof(*c->paths),
                           sizeof(*c->value) };
    return fnli_grow_parallel(m, arrs, el, 3, &c->cap, need);
}

static int want_sets(const fnli_attr *p)
{
    return (p->par.models & FNL_ATTR_BIT(FNL_ATTR_SHAPLEY)) != 0;
}

static int want_seqs(const fnli_attr *p)
{
    return (p->par.models & FNL_ATTR_BIT(FNL_ATTR_SHAPLEY_ORDERED)) != 0;
}

static int coal_reserve(fnli_coal *c, fnli_mem *m, size_t seqs, size_t ids)
{
    int rc = fnli_seqtab_reserve(&c->tab, m, seqs, ids);
    if (rc)
        return rc;
    return fnli_coal_grow(c, m, c->tab.count + seqs);
}

int fnli_shapley_reserve(fnli_attr *p, const fnli_journey *j)
{
    int rc;
    if (want_sets(p)) {
        rc = coal_reserve(&p->sets, p->mem, 1, j->n);
        if (rc)
            return rc;
    }
    if (want_seqs(p)) {
        rc = coal_reserve(&p->seqs, p->mem, 1, j->n);
        if (rc)
            return rc;
    }
    return FNL_OK;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static void sort_u32(uint32_t *a, size_t n)
{
    size_t i, k;
    if (n > 24) {
        fnli_qsort(a, n, sizeof(*a), cmp_u32);
        return;
    }
    for (i = 1; i < n; i++) {
        uint32_t v = a[i];
        for (k = i; k > 0 && a[k - 1] > v; k--)
            a[k] = a[k - 1];
        a[k] = v;
    }
}

static void tally(fnli_coal *c, const uint32_t *ids, uint32_t n,
                  const fnli_journey *j, uint64_t w, int neg)
{
    uint32_t id = fnli_seqtab_put(&c->tab, ids, n);
    if (neg) {
        c->conv[id] -= j->conversions;
        c->paths[id] -= w;
    } else {
        c->conv[id] += j->conversions;
        c->paths[id] += w;
    }
    fnli_u128_add(&c->value[id], (uint64_t)j->value, neg);
}

void fnli_shapley_apply(fnli_attr *p, const fnli_journey *j, uint64_t w,
                        int neg)
{
    uint32_t *d = p->tmp, n = 0, i;
    if (++p->epoch == 0) {
        memset(p->stamp, 0, p->gcap * sizeof(*p->stamp));
        p->epoch = 1;
    }
    for (i = 0; i < j->n; i++) {
        uint32_t g = j->groups[i];
        if (p->stamp[g] != p->epoch) {
            p->stamp[g] = p->epoch;
            d[n++] = g;
        }
    }
    if (want_seqs(p))
        tally(&p->seqs, d, n, j, w, neg);
    if (want_sets(p)) {
        sort_u32(d, n);
        tally(&p->sets, d, n, j, w, neg);
    }
}

static int coal_merge(fnli_attr *dst, fnli_coal *dc, const fnli_coal *sc,
                      const uint32_t *map, int sorted, int dry)
{
    size_t i;
    if (dry)
        return coal_reserve(dc, dst->mem, sc->tab.count, sc->tab.ids_len);
    for (i = 0; i < sc->tab.count; i++) {
        uint32_t n, k, id;
        const uint32_t *ids;
        if (sc->paths[i] == 0 && sc->conv[i] == 0)
            continue;
        ids = fnli_seqtab_at(&sc->tab, (uint32_t)i, &n);
        for (k = 0; k < n; k++)
            dst->tmp[k] = map[ids[k]];
        if (sorted)
            sort_u32(dst->tmp, n);
        id = fnli_seqtab_put(&dc->tab, dst->tmp, n);
        dc->conv[id] += sc->conv[i];
        dc->paths[id] += sc->paths[i];
        fnli_u128_add128(&dc->value[id], &sc->value[i]);
    }
    return FNL_OK;
}

int fnli_shapley_merge(fnli_attr *dst, const fnli_attr *src,
                       const uint32_t *map, int dry)
{
    int rc;
    if (want_sets(dst)) {
        rc = coal_merge(dst, &dst->sets, &src->sets, map, 1, dry);
        if (rc)
            return rc;
    }
    if (want_seqs(dst)) {
        rc = coal_merge(dst, &dst->seqs, &src->seqs, map, 0, dry);
        if (rc)
            return rc;
    }
    return FNL_OK;
}

/* ------------------------------------------------------------------------
 * Finishing
 * ------------------------------------------------------------------------ */

typedef struct ccoal {
    const uint32_t *key;   /* canonical ranks */
    uint32_t len;
    uint32_t raw;
} ccoal;

static int cmp_ccoal(const void *a, const void *b)
{
    const ccoal *x = a, *y = b;
    uint32_t i, n = x->len < y->len ? x->len : y->len;
    for (i = 0; i < n; i++) {
        if (x->key[i] != y->key[i])
            return x->key[i] < y->key[i] ? -1 : 1;
    }
    return (x->len > y->len) - (x->len < y->len);
}

int fnli_shapley_finish(const fnli_attr *p, int ordered, fnli_rows *rw)
{
    const fnli_coal *c = ordered ? &p->seqs : &p->sets;
    fnli_mem *m = p->mem;
    size_t nc = 0, nalloc, nids = 0, i, off = 0;
    ccoal *cc = NULL;
    uint32_t *keys = NULL, maxlen = 0;
    double sc = 0, sv = 0, fc, fv;
    int rc = FNL_ENOMEM;
    for (i = 0; i < c->tab.count; i++) {
        if (c->paths[i] == 0)
            continue;
        nc++;
        nids += c->tab.len[i];
        if (c->tab.len[i] > maxlen)
            maxlen = c->tab.len[i];
    }
    nalloc = nc ? nc : 1;
    cc = fnli_malloc(m, nalloc * sizeof(*cc));
    keys = fnli_malloc(m, (nids ? nids : 1) * sizeof(*keys));
    if (cc == NULL || keys == NULL)
        goto out;
    if (ordered) {
        rw->npos = maxlen < FNLI_MAX_POSITIONS ? maxlen : FNLI_MAX_POSITIONS;
        rw->pos = fnli_calloc(m, (size_t)rw->npos * rw->n, sizeof(double));
        if (rw->pos == NULL) {
            rw->npos = 0;
            goto out;
        }
    }
    nc = 0;
    for (i = 0; i < c->tab.count; i++) {
        uint32_t n, k;
        const uint32_t *ids;
        if (c->paths[i] == 0)
            continue;
        ids = fnli_seqtab_at(&c->tab, (uint32_t)i, &n);
        for (k = 0; k < n; k++)
            keys[off + k] = rw->rank[ids[k]];
        if (!ordered)
            sort_u32(keys + off, n);
        cc[nc].key = keys + off;
        cc[nc].len = n;
        cc[nc].raw = (uint32_t)i;
        off += n;
        nc++;
    }
    fnli_qsort(cc, nc, sizeof(*cc), cmp_ccoal);
    for (i = 0; i < nc; i++) {
        uint32_t raw = cc[i].raw, k, n = cc[i].len;
        double conv = (double)c->conv[raw];
        double val = fnli_u128_double(&c->value[raw]);
        double rc_, rv;
        if (p->par.shapley_value == FNL_SHAPLEY_RATE) {
            rc_ = conv / (double)c->paths[raw];
            rv = val / (double)c->paths[raw];
        } else {
            rc_ = conv;
            rv = val;
        }
        rc_ /= n;
        rv /= n;
        for (k = 0; k < n; k++) {
            uint32_t r = cc[i].key[k];
            rw->conv[r] += rc_;
            rw->value[r] += rv;
            if (ordered) {
                uint32_t pos = k < rw->npos ? k : rw->npos - 1;
                rw->pos[(size_t)r * rw->npos + pos] += rc_;
            }
        }
    }
    for (i = 0; i < rw->n; i++) {
        sc += rw->conv[i];
        sv += rw->value[i];
    }
    fc = sc > 0 ? rw->total_conv / sc : 0;
    fv = sv > 0 ? rw->total_value / sv : 0;
    for (i = 0; i < rw->n; i++) {
        rw->conv[i] *= fc;
        rw->value[i] *= fv;
    }
    if (ordered) {
        for (i = 0; i < (size_t)rw->npos * rw->n; i++)
            rw->pos[i] *= fc;
    }
    rc = FNL_OK;
out:
    fnli_free(m, cc, nalloc * sizeof(*cc));
    fnli_free(m, keys, (nids ? nids : 1) * sizeof(*keys));
    return rc;
}
