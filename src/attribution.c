/* attribution.c -- the attribution partial: tables, one-pass accumulation
 * of the heuristic models in fixed point, merging, and immutable results.
 * Markov lives in markov.c, Shapley in shapley.c, the paths CSV reader in
 * paths.c.  Definitions of every model: docs/attribution.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "attribution.h"

/* ------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------ */

double fnli_u128_double(const fnli_u128 *a)
{
    return (double)a->hi * 18446744073709551616.0 + (double)a->lo;
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 32;
    x *= UINT64_C(0xd6e8feb86659fd93);
    x ^= x >> 32;
    x *= UINT64_C(0xd6e8feb86659fd93);
    x ^= x >> 32;
    return x;
}

static uint32_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = UINT64_C(0x9e3779b97f4a7c15) ^ (uint64_t)n;
    uint64_t v;
    while (n >= 8) {
        memcpy(&v, s, 8);
        h = (h ^ v) * UINT64_C(0xff51afd7ed558ccd);
        h ^= h >> 29;
        s += 8;
        n -= 8;
    }
    v = 0;
    memcpy(&v, s, n);
    h = (h ^ v) * UINT64_C(0xc4ceb9fe1a85ec53);
    h ^= h >> 32;
    return (uint32_t)h;
}

uint32_t fnli_attr_hash_seq(const uint32_t *s, uint32_t n)
{
    uint64_t h = UINT64_C(0x2545f4914f6cdd1d) + n;
    uint32_t i;
    for (i = 0; i < n; i++)
        h = (h ^ s[i]) * UINT64_C(0x9e3779b97f4a7c15) + (h >> 31);
    return (uint32_t)mix64(h);
}

int fnli_grow_parallel(fnli_mem *m, void **const arrs[], const size_t *elem,
                       int k, size_t *cap, size_t need)
{
    void *nw[16];
    size_t ncap, old = *cap;
    int i;
    if (need <= old)
        return FNL_OK;
    if (k > 16)
        return FNL_EINVAL;
    ncap = old ? old : 16;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 4)
            return FNL_ELIMIT;
        ncap *= 2;
    }
    for (i = 0; i < k; i++) {
        if (ncap > SIZE_MAX / elem[i])
            return FNL_ELIMIT;
    }
    for (i = 0; i < k; i++) {
        nw[i] = fnli_malloc(m, ncap * elem[i]);
        if (nw[i] == NULL) {
            while (i-- > 0)
                fnli_free(m, nw[i], ncap * elem[i]);
            return FNL_ENOMEM;
        }
    }
    for (i = 0; i < k; i++) {
        if (old)
            memcpy(nw[i], *arrs[i], old * elem[i]);
        memset((char *)nw[i] + old * elem[i], 0, (ncap - old) * elem[i]);
        fnli_free(m, *arrs[i], old * elem[i]);
        *arrs[i] = nw[i];
    }
    *cap = ncap;
    return FNL_OK;
}

/* Grow an open-addressing slot array so that `n` entries keep the load at
 * most one half; `rehash` re-inserts entry ids. */
static int slots_for(size_t n, size_t *out)
{
    size_t s = 16;
    while (s < 2 * n) {
        if (s > SIZE_MAX / 4)
            return FNL_ELIMIT;
        s *= 2;
    }
    *out = s;
    return FNL_OK;
}

/* ------------------------------------------------------------------------
 * Group name table
 * ------------------------------------------------------------------------ */

void fnli_gtab_free(fnli_gtab *t, fnli_mem *m)
{
    fnli_free(m, t->text, t->text_cap);
    fnli_free(m, t->off, t->cap * sizeof(*t->off));
    fnli_free(m, t->len, t->cap * sizeof(*t->len));
    fnli_free(m, t->hash, t->cap * sizeof(*t->hash));
    fnli_free(m, t->slots, t->nslots * sizeof(*t->slots));
    memset(t, 0, sizeof(*t));
}

static void gtab_place(uint32_t *slots, size_t nslots, uint32_t h,
                       uint32_t id)
{
    size_t mask = nslots - 1, i = h & mask;
    while (slots[i] != 0)
        i = (i + 1) & mask;
    slots[i] = id + 1;
}

int fnli_gtab_reserve(fnli_gtab *t, fnli_mem *m, size_t names, size_t bytes)
{
    size_t need = t->count + names, ns, i;
    int rc;
    if (need < t->count)
        return FNL_ELIMIT;
    if (need > UINT32_MAX - 1)
        return FNL_ELIMIT;
    if (need > t->cap) {
        void **const arrs[3] = { (void **)&t->off, (void **)&t->len,
                                 (void **)&t->hash };
        const size_t el[3] = { sizeof(*t->off), sizeof(*t->len),
                               sizeof(*t->hash) };
        rc = fnli_grow_parallel(m, arrs, el, 3, &t->cap, need);
        if (rc)
            return rc;
    }
    if (bytes > SIZE_MAX - names - t->text_len)
        return FNL_ELIMIT;
    if (t->text_len + bytes + names > t->text_cap) {
        rc = fnli_grow(m, (void **)&t->text, &t->text_cap,
                       t->text_len + bytes + names, 1, 256);
        if (rc)
            return rc;
    }
    rc = slots_for(need, &ns);
    if (rc)
        return rc;
    if (ns > t->nslots) {
        uint32_t *s = fnli_calloc(m, ns, sizeof(*s));
        if (s == NULL)
            return FNL_ENOMEM;
        for (i = 0; i < t->count; i++)
            gtab_place(s, ns, t->hash[i], (uint32_t)i);
        fnli_free(m, t->slots, t->nslots * sizeof(*t->slots));
        t->slots = s;
        t->nslots = ns;
    }
    return FNL_OK;
}

static uint32_t gtab_lookup(const fnli_gtab *t, const char *s, size_t n,
                            uint32_t h)
{
    size_t mask, i;
    if (t->nslots == 0)
        return FNLI_NONE;
    mask = t->nslots - 1;
    i = h & mask;
    while (t->slots[i] != 0) {
        uint32_t id = t->slots[i] - 1;
        if (t->hash[id] == h && t->len[id] == n &&
            memcmp(t->text + t->off[id], s, n) == 0)
            return id;
        i = (i + 1) & mask;
    }
    return FNLI_NONE;
}

uint32_t fnli_gtab_find(const fnli_gtab *t, const char *s, size_t n)
{
    return gtab_lookup(t, s, n, hash_bytes(s, n));
}

int fnli_gtab_intern(fnli_gtab *t, fnli_mem *m, const char *s, size_t n,
                     uint32_t *id)
{
    uint32_t h, got;
    int rc;
    if (n == 0 || n > FNL_MAX_STRING || memchr(s, 0, n) != NULL)
        return FNL_EINVAL;
    h = hash_bytes(s, n);
    got = gtab_lookup(t, s, n, h);
    if (got != FNLI_NONE) {
        *id = got;
        return FNL_OK;
    }
    rc = fnli_gtab_reserve(t, m, 1, n);
    if (rc)
        return rc;
    got = (uint32_t)t->count;
    t->off[got] = t->text_len;
    t->len[got] = (uint32_t)n;
    t->hash[got] = h;
    memcpy(t->text + t->text_len, s, n);
    t->text[t->text_len + n] = '\0';
    t->text_len += n + 1;
    t->count++;
    gtab_place(t->slots, t->nslots, h, got);
    *id = got;
    return FNL_OK;
}

/* ------------------------------------------------------------------------
 * Sequence table
 * ------------------------------------------------------------------------ */

void fnli_seqtab_free(fnli_seqtab *t, fnli_mem *m)
{
    fnli_free(m, t->ids, t->ids_cap * sizeof(*t->ids));
    fnli_free(m, t->off, t->cap * sizeof(*t->off));
    fnli_free(m, t->len, t->cap * sizeof(*t->len));
    fnli_free(m, t->hash, t->cap * sizeof(*t->hash));
    fnli_free(m, t->slots, t->nslots * sizeof(*t->slots));
    memset(t, 0, sizeof(*t));
}

int fnli_seqtab_reserve(fnli_seqtab *t, fnli_mem *m, size_t seqs,
                        size_t ids)
{
    size_t need = t->count + seqs, ns, i;
    int rc;
    if (need <= t->cap && need * 2 <= t->nslots && need >= t->count &&
        ids <= t->ids_cap - t->ids_len)
        return FNL_OK;
    if (need < t->count || need > UINT32_MAX - 1)
        return FNL_ELIMIT;
    if (need > t->cap) {
        void **const arrs[3] = { (void **)&t->off, (void **)&t->len,
                                 (void **)&t->hash };
        const size_t el[3] = { sizeof(*t->off), sizeof(*t->len),
                               sizeof(*t->hash) };
        rc = fnli_grow_parallel(m, arrs, el, 3, &t->cap, need);
        if (rc)
            return rc;
    }
    if (ids > SIZE_MAX - t->ids_len)
        return FNL_ELIMIT;
    if (t->ids_len + ids > t->ids_cap) {
        rc = fnli_grow(m, (void **)&t->ids, &t->ids_cap, t->ids_len + ids,
                       sizeof(*t->ids), 64);
        if (rc)
            return rc;
    }
    rc = slots_for(need, &ns);
    if (rc)
        return rc;
    if (ns > t->nslots) {
        uint32_t *s = fnli_calloc(m, ns, sizeof(*s));
        if (s == NULL)
            return FNL_ENOMEM;
        for (i = 0; i < t->count; i++)
            gtab_place(s, ns, t->hash[i], (uint32_t)i);
        fnli_free(m, t->slots, t->nslots * sizeof(*t->slots));
        t->slots = s;
        t->nslots = ns;
    }
    return FNL_OK;
}

static uint32_t seq_lookup(const fnli_seqtab *t, const uint32_t *s,
                           uint32_t n, uint32_t h, size_t *slot)
{
    size_t mask, i;
    if (t->nslots == 0) {
        *slot = 0;
        return FNLI_NONE;
    }
    mask = t->nslots - 1;
    i = h & mask;
    while (t->slots[i] != 0) {
        uint32_t id = t->slots[i] - 1;
        if (t->hash[id] == h && t->len[id] == n &&
            memcmp(t->ids + t->off[id], s, n * sizeof(*s)) == 0)
            return id;
        i = (i + 1) & mask;
    }
    *slot = i;
    return FNLI_NONE;
}

uint32_t fnli_seqtab_find(const fnli_seqtab *t, const uint32_t *s,
                          uint32_t n)
{
    size_t slot;
    return seq_lookup(t, s, n, fnli_attr_hash_seq(s, n), &slot);
}

uint32_t fnli_seqtab_put(fnli_seqtab *t, const uint32_t *s, uint32_t n)
{
    uint32_t h = fnli_attr_hash_seq(s, n), id;
    size_t slot;
    id = seq_lookup(t, s, n, h, &slot);
    if (id != FNLI_NONE)
        return id;
    id = (uint32_t)t->count++;
    t->off[id] = t->ids_len;
    t->len[id] = n;
    t->hash[id] = h;
    memcpy(t->ids + t->ids_len, s, n * sizeof(*s));
    t->ids_len += n;
    t->slots[slot] = id + 1;
    return id;
}

/* ------------------------------------------------------------------------
 * (from, to) -> count
 * ------------------------------------------------------------------------ */

void fnli_pairtab_free(fnli_pairtab *t, fnli_mem *m)
{
    fnli_free(m, t->keys, t->nslots * sizeof(*t->keys));
    fnli_free(m, t->vals, t->nslots * sizeof(*t->vals));
    memset(t, 0, sizeof(*t));
}

int fnli_pairtab_reserve(fnli_pairtab *t, fnli_mem *m, size_t extra)
{
    size_t ns, i, mask;
    uint64_t *k, *v;
    int rc;
    if (extra > SIZE_MAX / 4 - t->count)
        return FNL_ELIMIT;
    if ((t->count + extra) * 2 <= t->nslots)
        return FNL_OK;
    rc = slots_for(t->count + extra, &ns);
    if (rc)
        return rc;
    if (ns <= t->nslots)
        return FNL_OK;
    if (ns > SIZE_MAX / sizeof(*k))
        return FNL_ELIMIT;
    k = fnli_malloc(m, ns * sizeof(*k));
    if (k == NULL)
        return FNL_ENOMEM;
    v = fnli_calloc(m, ns, sizeof(*v));
    if (v == NULL) {
        fnli_free(m, k, ns * sizeof(*k));
        return FNL_ENOMEM;
    }
    memset(k, 0xff, ns * sizeof(*k));
    mask = ns - 1;
    for (i = 0; i < t->nslots; i++) {
        size_t j;
        if (t->keys[i] == UINT64_MAX)
            continue;
        j = mix64(t->keys[i]) & mask;
        while (k[j] != UINT64_MAX)
            j = (j + 1) & mask;
        k[j] = t->keys[i];
        v[j] = t->vals[i];
    }
    fnli_free(m, t->keys, t->nslots * sizeof(*t->keys));
    fnli_free(m, t->vals, t->nslots * sizeof(*t->vals));
    t->keys = k;
    t->vals = v;
    t->nslots = ns;
    return FNL_OK;
}

void fnli_pairtab_add(fnli_pairtab *t, uint64_t key, uint64_t v, int neg)
{
    size_t mask = t->nslots - 1, j = mix64(key) & mask;
    while (t->keys[j] != key) {
        if (t->keys[j] == UINT64_MAX) {
            t->keys[j] = key;
            t->vals[j] = 0;
            t->count++;
            break;
        }
        j = (j + 1) & mask;
    }
    t->vals[j] = neg ? t->vals[j] - v : t->vals[j] + v;
}

/* ------------------------------------------------------------------------
 * Options and model names
 * ------------------------------------------------------------------------ */

static const char *const model_names[] = {
    NULL, "first", "last", "last_non_direct", "linear", "time_decay",
    "u_shaped", "w_shaped", "z_shaped", "j_shaped", "inverse_j", "custom",
    "markov", "shapley", "shapley_ordered"
};
#define MODEL_MAX 14u
#define HEURISTIC(m) ((m) >= FNL_ATTR_FIRST_TOUCH && (m) <= FNL_ATTR_CUSTOM)

FNL_API const char *fnl_attr_model_name(uint32_t model)
{
    if (model == 0 || model > MODEL_MAX)
        return NULL;
    return model_names[model];
}

/* Other names people use for the same models. */
static const struct {
    const char *name;
    uint32_t model;
} model_aliases[] = {
    { "first_touch", FNL_ATTR_FIRST_TOUCH },
    { "last_touch", FNL_ATTR_LAST_TOUCH },
    { "last_non_direct_touch", FNL_ATTR_LAST_NON_DIRECT },
    { "position_based", FNL_ATTR_U_SHAPED },
    { "full_path", FNL_ATTR_Z_SHAPED },
    { "markov_chain", FNL_ATTR_MARKOV },
};

/* ASCII case-insensitive, '-' matching '_'. */
static int name_eq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a, y = *b;
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (x == '-')
            x = '_';
        if (x != y)
            return 0;
    }
    return *a == *b;
}

FNL_API int fnl_attr_model_parse(const char *name, uint32_t *out)
{
    uint32_t m;
    size_t i;
    if (name == NULL || out == NULL)
        return FNL_EINVAL;
    for (m = 1; m <= MODEL_MAX; m++) {
        if (name_eq(name, model_names[m])) {
            *out = m;
            return FNL_OK;
        }
    }
    for (i = 0; i < sizeof(model_aliases) / sizeof(model_aliases[0]); i++) {
        if (name_eq(name, model_aliases[i].name)) {
            *out = model_aliases[i].model;
            return FNL_OK;
        }
    }
    return FNL_EINVAL;
}

FNLI_DEFINE_INIT(fnl_attribution_options_init, fnl_attribution_options,
                 FNL_ATTRIBUTION_OPTIONS_INIT)

/* Read a caller's options struct of any (older) size: fields beyond its
 * size keep their defaults. */
int fnli_attr_copy_options(fnl_attribution_options *o,
                           const fnl_attribution_options *in)
{
    fnl_attribution_options d = FNL_ATTRIBUTION_OPTIONS_INIT;
    *o = d;
    if (in == NULL)
        return FNL_OK;
    if (in->size < sizeof(uint32_t) * 2)
        return FNL_EINVAL;
    memcpy(o, in, in->size < sizeof(*o) ? in->size : sizeof(*o));
    o->size = sizeof(*o);
    return FNL_OK;
}

int fnli_attr_params_from(fnli_attr_params *p,
                          const fnl_attribution_options *o)
{
    size_t n;
    uint32_t bad = ~(uint32_t)0;
    uint32_t m;
    memset(p, 0, sizeof(*p));
    for (m = 1; m <= MODEL_MAX; m++)
        bad &= ~FNL_ATTR_BIT(m);
    if (o->models == 0 || (o->models & bad))
        return FNL_EINVAL;
    if (o->markov_order < 1 || o->markov_order > FNL_ATTR_MAX_ORDER)
        return FNL_EINVAL;
    if (o->shapley_value > FNL_SHAPLEY_CONVERSIONS)
        return FNL_EINVAL;
    if (o->half_life_ms <= 0)
        return FNL_EINVAL;
    if (o->value_decimals > 9)
        return FNL_EINVAL;
    if (!isfinite(o->custom_first) || !isfinite(o->custom_middle) ||
        !isfinite(o->custom_last) || o->custom_first < 0 ||
        o->custom_middle < 0 || o->custom_last < 0 ||
        !(o->custom_first + o->custom_middle + o->custom_last > 0))
        return FNL_EINVAL;
    n = o->direct_group ? strlen(o->direct_group) : 0;
    if (n > FNL_MAX_NAME)
        return FNL_EINVAL;
    p->models = o->models;
    p->markov_order = o->markov_order;
    p->shapley_value = o->shapley_value;
    p->value_decimals = o->value_decimals;
    p->half_life_ms = o->half_life_ms;
    p->custom[0] = o->custom_first;
    p->custom[1] = o->custom_middle;
    p->custom[2] = o->custom_last;
    if (n)
        memcpy(p->direct, o->direct_group, n);
    p->direct[n] = '\0';
    return FNL_OK;
}

static int params_equal(const fnli_attr_params *a, const fnli_attr_params *b)
{
    return a->models == b->models && a->markov_order == b->markov_order &&
           a->shapley_value == b->shapley_value &&
           a->value_decimals == b->value_decimals &&
           a->half_life_ms == b->half_life_ms &&
           a->custom[0] == b->custom[0] && a->custom[1] == b->custom[1] &&
           a->custom[2] == b->custom[2] && strcmp(a->direct, b->direct) == 0;
}

/* ------------------------------------------------------------------------
 * The partial
 * ------------------------------------------------------------------------ */

static int wants(const fnli_attr *p, uint32_t model)
{
    return (p->par.models & FNL_ATTR_BIT(model)) != 0;
}

int fnli_attr_init(fnli_attr *p, fnli_mem *mem, const fnli_attr_params *par)
{
    int rc;
    memset(p, 0, sizeof(*p));
    p->mem = mem;
    p->par = *par;
    p->direct = FNLI_NONE;
    rc = fnli_markov_init(&p->mk, par->markov_order);
    if (rc)
        return rc;
    if (par->direct[0] != '\0') {
        rc = fnli_gtab_intern(&p->groups, mem, par->direct,
                              strlen(par->direct), &p->direct);
        if (rc) {
            fnli_attr_free(p);
            return rc;
        }
    }
    return FNL_OK;
}

void fnli_attr_free(fnli_attr *p)
{
    fnli_mem *m = p->mem;
    int i;
    if (m == NULL)
        return;
    fnli_gtab_free(&p->groups, m);
    fnli_free(m, p->touches, p->gcap * sizeof(*p->touches));
    for (i = 0; i < FNLI_MAX_MODELS; i++)
        fnli_free(m, p->credit[i], p->gcap * 2 * sizeof(fnli_u128));
    fnli_free(m, p->stamp, p->gcap * sizeof(*p->stamp));
    fnli_free(m, p->w, p->scap * sizeof(*p->w));
    fnli_free(m, p->tmp, p->scap * sizeof(*p->tmp));
    fnli_markov_free(&p->mk, m);
    fnli_coal_free(&p->sets, m);
    fnli_coal_free(&p->seqs, m);
    memset(p, 0, sizeof(*p));
}

int fnli_attr_group(fnli_attr *p, const char *name, size_t len, uint32_t *id)
{
    return fnli_gtab_intern(&p->groups, p->mem, name, len, id);
}

/* Per-group arrays follow the name table. */
int fnli_attr_grow_groups(fnli_attr *p, size_t need)
{
    void **arrs[2 + FNLI_MAX_MODELS];
    size_t el[2 + FNLI_MAX_MODELS];
    int k = 0, rc;
    uint32_t m;
    if (need <= p->gcap)
        return FNL_OK;
    arrs[k] = (void **)&p->touches;
    el[k++] = sizeof(*p->touches);
    arrs[k] = (void **)&p->stamp;
    el[k++] = sizeof(*p->stamp);
    for (m = FNL_ATTR_FIRST_TOUCH; m <= FNL_ATTR_CUSTOM; m++) {
        if (!wants(p, m))
            continue;
        arrs[k] = (void **)&p->credit[m];
        el[k++] = 2 * sizeof(fnli_u128);
    }
    rc = fnli_grow_parallel(p->mem, (void **const *)arrs, el, k, &p->gcap,
                            need);
    return rc;
}

static int grow_scratch(fnli_attr *p, size_t need)
{
    void **const arrs[2] = { (void **)&p->w, (void **)&p->tmp };
    const size_t el[2] = { sizeof(*p->w), sizeof(*p->tmp) };
    return fnli_grow_parallel(p->mem, arrs, el, 2, &p->scap, need);
}

int fnli_attr_check(const fnli_attr *p, const fnli_journey *j)
{
    uint32_t i, n = j->n, bad = 0;
    size_t gc = p->groups.count;
    if (n == 0 || n > FNLI_MAX_JOURNEY_TOUCHES || j->groups == NULL)
        return n > FNLI_MAX_JOURNEY_TOUCHES ? FNL_ELIMIT : FNL_EINVAL;
    if (j->conversions > FNLI_MAX_JOURNEY_CONV ||
        j->nulls > FNLI_MAX_JOURNEY_CONV || j->value > FNLI_MAX_JOURNEY_VALUE)
        return FNL_ELIMIT;
    if (j->value < 0 || (j->value > 0 && j->conversions == 0))
        return FNL_EINVAL;
    for (i = 0; i < n; i++)
        bad |= j->groups[i] >= gc;
    if (bad)
        return FNL_EINVAL;
    if (j->lead < -1 || j->lead >= (int64_t)n || j->opportunity < -1 ||
        j->opportunity >= (int64_t)n || j->close < -1 ||
        j->close >= (int64_t)n)
        return FNL_EINVAL;
    if (j->times != NULL) {
        /* only time decay reads the times */
        for (i = 1; i < n && wants(p, FNL_ATTR_TIME_DECAY); i++)
            bad |= j->times[i] < j->times[i - 1];
        if (bad || (j->conversion_time != FNL_ATTR_TIME_UNSET &&
                    j->conversion_time < j->times[n - 1]))
            return FNL_EINVAL;
    } else if (wants(p, FNL_ATTR_TIME_DECAY) &&
               j->conversions + j->nulls > 0) {
        return FNL_EINVAL;
    }
    return FNL_OK;
}

/* Whether j fits without growing anything: the common case of a pass
 * (touch counts, heuristics, order-1 Markov in the dense matrix). */
static int has_room(const fnli_attr *p, const fnli_journey *j)
{
    size_t gc = p->groups.count;
    const fnli_markov *mk = &p->mk;
    if (gc > p->gcap || j->n > p->scap ||
        (p->par.models & (FNL_ATTR_BIT(FNL_ATTR_SHAPLEY) |
                          FNL_ATTR_BIT(FNL_ATTR_SHAPLEY_ORDERED))))
        return 0;
    return !wants(p, FNL_ATTR_MARKOV) ||
           (mk->dense != NULL && gc < mk->ddim && gc < mk->scap);
}

int fnli_attr_reserve(fnli_attr *p, const fnli_journey *j)
{
    int rc;
    if (has_room(p, j))
        return FNL_OK;
    if (p->groups.count > p->gcap) {
        rc = fnli_attr_grow_groups(p, p->groups.count);
        if (rc)
            return rc;
    }
    if (j->n > p->scap) {
        rc = grow_scratch(p, j->n);
        if (rc)
            return rc;
    }
    if (wants(p, FNL_ATTR_MARKOV)) {
        rc = fnli_markov_reserve(p, j);
        if (rc)
            return rc;
    }
    if (wants(p, FNL_ATTR_SHAPLEY) || wants(p, FNL_ATTR_SHAPLEY_ORDERED)) {
        rc = fnli_shapley_reserve(p, j);
        if (rc)
            return rc;
    }
    return FNL_OK;
}

/* Split cu conversion units and vu value units over the touches in
 * proportion to w[], so that the parts sum exactly to cu and vu: touch i
 * gets round(cu * W_i) - round(cu * W_{i-1}) with W the normalised
 * cumulative weight (W_n = 1 exactly). */
static void spread(fnli_u128 *cr, const uint32_t *g, const double *w,
                   uint32_t n, uint64_t cu, uint64_t vu, int neg)
{
    double total = 0, cum = 0, dc = (double)cu, dv = (double)vu, inv;
    uint64_t pc = 0, pv = 0;
    uint32_t i;
    for (i = 0; i < n; i++)
        total += w[i];
    inv = 1.0 / total;
    for (i = 0; i < n; i++) {
        uint64_t c, v;
        cum += w[i];
        if (i + 1 == n) {
            c = cu;
            v = vu;
        } else {
            double f = cum * inv;
            if (f > 1)
                f = 1;
            c = (uint64_t)(f * dc + 0.5);
            v = (uint64_t)(f * dv + 0.5);
            if (c < pc)
                c = pc;
            if (c > cu)
                c = cu;
            if (v < pv)
                v = pv;
            if (v > vu)
                v = vu;
        }
        if (c != pc)
            fnli_u128_add(&cr[2 * (size_t)g[i]], c - pc, neg);
        if (v != pv)
            fnli_u128_add(&cr[2 * (size_t)g[i] + 1], v - pv, neg);
        pc = c;
        pv = v;
    }
}

static void give_all(fnli_u128 *cr, uint32_t g, uint64_t cu, uint64_t vu,
                     int neg)
{
    fnli_u128_add(&cr[2 * (size_t)g], cu, neg);
    fnli_u128_add(&cr[2 * (size_t)g + 1], vu, neg);
}

/* first / middle (all together) / last; docs/attribution.md "position". */
static void position_weights(double *w, uint32_t n, double f, double m,
                             double l)
{
    uint32_t i;
    if (n == 1) {
        w[0] = 1;
        return;
    }
    if (n == 2) {
        if (f + l > 0) {
            w[0] = f;
            w[1] = l;
        } else {
            w[0] = w[1] = 1;
        }
        return;
    }
    w[0] = f;
    w[n - 1] = l;
    for (i = 1; i + 1 < n; i++)
        w[i] = m / (double)(n - 2);
    if (f + l == 0 && m == 0)
        w[0] = w[n - 1] = 1;
}

/* W (3 roles x 30) and full path (4 roles x 22.5): each role adds its
 * share to its touch (coinciding roles add up, missing roles give
 * nothing), the other touches share 10 equally; then normalised. */
static void role_weights(double *w, uint32_t *key, const fnli_journey *j,
                         double share, int nroles)
{
    int32_t idx[4];
    uint32_t i, others = 0, n = j->n;
    int r;
    idx[0] = 0;
    idx[1] = j->lead;
    idx[2] = j->opportunity;
    idx[3] = j->close;
    for (i = 0; i < n; i++) {
        w[i] = 0;
        key[i] = 0;
    }
    for (r = 0; r < nroles; r++) {
        if (idx[r] >= 0) {
            w[idx[r]] += share;
            key[idx[r]] = 1;
        }
    }
    for (i = 0; i < n; i++)
        others += !key[i];
    if (others) {
        for (i = 0; i < n; i++) {
            if (!key[i])
                w[i] = 10.0 / (double)others;
        }
    }
}

static void apply_heuristics(fnli_attr *p, const fnli_journey *j, int neg)
{
    uint64_t cu = j->conversions << FNLI_CONV_SHIFT;
    uint64_t vu = (uint64_t)j->value << FNLI_VALUE_SHIFT;
    const uint32_t *g = j->groups;
    uint32_t n = j->n, i;
    double *w = p->w;
    uint32_t m;
    if (n == 1) {
        /* one touch: every model gives it everything */
        for (m = FNL_ATTR_FIRST_TOUCH; m <= FNL_ATTR_CUSTOM; m++) {
            if (wants(p, m))
                give_all(p->credit[m], g[0], cu, vu, neg);
        }
        return;
    }
    for (m = FNL_ATTR_FIRST_TOUCH; m <= FNL_ATTR_CUSTOM; m++) {
        fnli_u128 *cr = p->credit[m];
        if (!wants(p, m))
            continue;
        switch (m) {
        case FNL_ATTR_FIRST_TOUCH:
            give_all(cr, g[0], cu, vu, neg);
            continue;
        case FNL_ATTR_LAST_TOUCH:
            give_all(cr, g[n - 1], cu, vu, neg);
            continue;
        case FNL_ATTR_LAST_NON_DIRECT:
            i = n - 1;
            if (p->direct != FNLI_NONE) {
                uint32_t k = n;
                while (k-- > 0) {
                    if (g[k] != p->direct) {
                        i = k;
                        break;
                    }
                }
            }
            give_all(cr, g[i], cu, vu, neg);
            continue;
        case FNL_ATTR_LINEAR:
            for (i = 0; i < n; i++)
                w[i] = 1;
            break;
        case FNL_ATTR_TIME_DECAY:
            for (i = 0; i < n; i++)
                w[i] = exp2(-(double)(j->times[n - 1] - j->times[i]) /
                            (double)p->par.half_life_ms);
            break;
        case FNL_ATTR_U_SHAPED:
            position_weights(w, n, 40, 20, 40);
            break;
        case FNL_ATTR_J_SHAPED:
            position_weights(w, n, 20, 20, 60);
            break;
        case FNL_ATTR_INVERSE_J:
            position_weights(w, n, 60, 20, 20);
            break;
        case FNL_ATTR_CUSTOM:
            position_weights(w, n, p->par.custom[0], p->par.custom[1],
                             p->par.custom[2]);
            break;
        case FNL_ATTR_W_SHAPED:
            role_weights(w, p->tmp, j, 30, 3);
            break;
        case FNL_ATTR_Z_SHAPED:
            role_weights(w, p->tmp, j, 22.5, 4);
            break;
        default:
            continue;
        }
        spread(cr, g, w, n, cu, vu, neg);
    }
}

/* The hot loop of a pass: every touch adds the journey's weight to its
 * group and, for order-1 Markov with the dense matrix, the transition from
 * the previous distinct group; one loop over the touches does both. */
static void count_dense(fnli_attr *p, const fnli_journey *j, uint64_t w)
{
    fnli_markov *mk = &p->mk;
    uint64_t *d = mk->dense, *touches = p->touches;
    const uint32_t *g = j->groups;
    size_t dim = mk->ddim, prev = 0;
    uint32_t i, n = j->n;
    for (i = 0; i < n; i++) {
        size_t s = (size_t)g[i] + 1;
        touches[s - 1] += w;
        if (s != prev) {
            d[prev * dim + s] += w;
            prev = s;
        }
    }
    mk->conv[prev] += j->conversions;
    mk->nulls[prev] += j->nulls;
    if (j->value)
        fnli_u128_add(&mk->value[prev], (uint64_t)j->value, 0);
}

void fnli_attr_apply(fnli_attr *p, const fnli_journey *j, int neg)
{
    uint64_t w = j->conversions + j->nulls;
    uint32_t i;
    int markov = wants(p, FNL_ATTR_MARKOV), counted = 0;
    if (w == 0)
        return;
    if (neg) {
        p->journeys--;
        p->conversions -= j->conversions;
        p->nulls -= j->nulls;
        p->touch_total -= w * j->n;
        for (i = 0; i < j->n; i++)
            p->touches[j->groups[i]] -= w;
    } else {
        p->journeys++;
        p->conversions += j->conversions;
        p->nulls += j->nulls;
        p->touch_total += w * j->n;
        if (markov && p->mk.dense != NULL) {
            count_dense(p, j, w);
            counted = 1;
        } else {
            for (i = 0; i < j->n; i++)
                p->touches[j->groups[i]] += w;
        }
    }
    if (j->value)
        fnli_u128_add(&p->value, (uint64_t)j->value, neg);
    if (j->conversions)
        apply_heuristics(p, j, neg);
    if (markov && !counted)
        fnli_markov_apply(p, j, w, neg);
    if (wants(p, FNL_ATTR_SHAPLEY) || wants(p, FNL_ATTR_SHAPLEY_ORDERED))
        fnli_shapley_apply(p, j, w, neg);
}

int fnli_attr_add(fnli_attr *p, const fnli_journey *j)
{
    int rc = fnli_attr_check(p, j);
    if (rc)
        return rc;
    rc = fnli_attr_reserve(p, j);
    if (rc)
        return rc;
    fnli_attr_apply(p, j, 0);
    return FNL_OK;
}

int fnli_attr_add_trusted(fnli_attr *p, const fnli_journey *j)
{
    if (!has_room(p, j)) {
        int rc = fnli_attr_reserve(p, j);
        if (rc)
            return rc;
    }
    fnli_attr_apply(p, j, 0);
    return FNL_OK;
}

int fnli_attr_merge(fnli_attr *dst, const fnli_attr *src)
{
    uint32_t *map = NULL;
    size_t i, n = src->groups.count;
    uint32_t m;
    int rc;
    if (!params_equal(&dst->par, &src->par))
        return FNL_EINVAL;
    if (n) {
        map = fnli_malloc(dst->mem, n * sizeof(*map));
        if (map == NULL)
            return FNL_ENOMEM;
    }
    /* Names first: a name added here but used by nothing is invisible. */
    rc = fnli_gtab_reserve(&dst->groups, dst->mem, n, src->groups.text_len);
    if (rc)
        goto out;
    for (i = 0; i < n; i++) {
        rc = fnli_gtab_intern(&dst->groups, dst->mem,
                              fnli_gtab_name(&src->groups, (uint32_t)i),
                              src->groups.len[i], &map[i]);
        if (rc)
            goto out;
    }
    rc = fnli_attr_grow_groups(dst, dst->groups.count);
    if (rc == FNL_OK && src->scap)
        rc = grow_scratch(dst, src->scap);
    if (rc == FNL_OK && wants(dst, FNL_ATTR_MARKOV))
        rc = fnli_markov_merge(dst, src, map, 1);
    if (rc == FNL_OK &&
        (wants(dst, FNL_ATTR_SHAPLEY) || wants(dst, FNL_ATTR_SHAPLEY_ORDERED)))
        rc = fnli_shapley_merge(dst, src, map, 1);
    if (rc)
        goto out;
    /* Nothing below fails. */
    for (i = 0; i < n && i < src->gcap; i++) {
        dst->touches[map[i]] += src->touches[i];
        for (m = FNL_ATTR_FIRST_TOUCH; m <= FNL_ATTR_CUSTOM; m++) {
            if (!wants(dst, m))
                continue;
            fnli_u128_add128(&dst->credit[m][2 * (size_t)map[i]],
                             &src->credit[m][2 * i]);
            fnli_u128_add128(&dst->credit[m][2 * (size_t)map[i] + 1],
                             &src->credit[m][2 * i + 1]);
        }
    }
    dst->journeys += src->journeys;
    dst->conversions += src->conversions;
    dst->nulls += src->nulls;
    dst->touch_total += src->touch_total;
    fnli_u128_add128(&dst->value, &src->value);
    if (wants(dst, FNL_ATTR_MARKOV))
        fnli_markov_merge(dst, src, map, 0);
    if (wants(dst, FNL_ATTR_SHAPLEY) || wants(dst, FNL_ATTR_SHAPLEY_ORDERED))
        fnli_shapley_merge(dst, src, map, 0);
out:
    fnli_free(dst->mem, map, n * sizeof(*map));
    return rc;
}

/* ------------------------------------------------------------------------
 * Results
 * ------------------------------------------------------------------------ */

struct fnl_attribution {
    fnli_mem mem;
    fnli_attr_params par;
    uint32_t model;
    size_t n;
    char *text;             /* keys, NUL-terminated, back to back */
    size_t text_len;
    size_t *key_off;
    double *conv;
    double *value;
    double *re;
    double *vre;
    uint64_t *touches;
    double *pos;
    uint32_t npos;
    uint64_t journeys;
    uint64_t touch_total;
    double total_conv;
    double total_value;
    double total_nulls;
    double markov_p;
    uint64_t markov_states;
};

static void result_free(fnl_attribution *r)
{
    fnli_mem m;
    size_t n;
    if (r == NULL)
        return;
    m = r->mem;
    n = r->n;
    fnli_free(&m, r->text, r->text_len);
    fnli_free(&m, r->key_off, n * sizeof(size_t));
    fnli_free(&m, r->conv, n * sizeof(double));
    fnli_free(&m, r->value, n * sizeof(double));
    fnli_free(&m, r->re, n * sizeof(double));
    fnli_free(&m, r->vre, n * sizeof(double));
    fnli_free(&m, r->touches, n * sizeof(uint64_t));
    fnli_free(&m, r->pos, (size_t)r->npos * n * sizeof(double));
    fnli_free(&m, r, sizeof(*r));
}

FNL_API void fnl_attribution_free(fnl_attribution *result)
{
    result_free(result);
}

typedef struct name_ref {
    const char *s;
    uint32_t id;
} name_ref;

static int cmp_name(const void *a, const void *b)
{
    return strcmp(((const name_ref *)a)->s, ((const name_ref *)b)->s);
}

static void rows_free(fnli_rows *rw, fnli_mem *m, size_t gcount)
{
    size_t n = rw->n;
    fnli_free(m, rw->order, n * sizeof(uint32_t));
    fnli_free(m, rw->rank, gcount * sizeof(uint32_t));
    fnli_free(m, rw->conv, n * sizeof(double));
    fnli_free(m, rw->value, n * sizeof(double));
    fnli_free(m, rw->re, n * sizeof(double));
    fnli_free(m, rw->vre, n * sizeof(double));
    fnli_free(m, rw->pos, (size_t)rw->npos * n * sizeof(double));
}

/* Rows: groups present (touches != 0), sorted by name. */
static int rows_build(const fnli_attr *p, fnli_rows *rw)
{
    fnli_mem *m = p->mem;
    size_t gc = p->groups.count, i, n = 0;
    name_ref *refs;
    memset(rw, 0, sizeof(*rw));
    for (i = 0; i < gc && i < p->gcap; i++)
        n += p->touches[i] != 0;
    refs = fnli_malloc(m, (n ? n : 1) * sizeof(*refs));
    if (refs == NULL)
        return FNL_ENOMEM;
    n = 0;
    for (i = 0; i < gc && i < p->gcap; i++) {
        if (p->touches[i] != 0) {
            refs[n].s = fnli_gtab_name(&p->groups, (uint32_t)i);
            refs[n].id = (uint32_t)i;
            n++;
        }
    }
    fnli_qsort(refs, n, sizeof(*refs), cmp_name);
    rw->n = n;
    rw->order = fnli_malloc(m, n * sizeof(uint32_t));
    rw->rank = fnli_malloc(m, gc * sizeof(uint32_t));
    rw->conv = fnli_calloc(m, n, sizeof(double));
    rw->value = fnli_calloc(m, n, sizeof(double));
    rw->re = fnli_calloc(m, n, sizeof(double));
    rw->vre = fnli_calloc(m, n, sizeof(double));
    if (!rw->order || !rw->rank || !rw->conv || !rw->value || !rw->re ||
        !rw->vre) {
        fnli_free(m, refs, (n ? n : 1) * sizeof(*refs));
        rows_free(rw, m, gc);
        return FNL_ENOMEM;
    }
    for (i = 0; i < gc; i++)
        rw->rank[i] = FNLI_NONE;
    for (i = 0; i < n; i++) {
        rw->order[i] = refs[i].id;
        rw->rank[refs[i].id] = (uint32_t)i;
    }
    fnli_free(m, refs, (n ? n : 1) * sizeof(*refs));
    rw->total_conv = (double)p->conversions;
    rw->total_value = fnli_u128_double(&p->value);
    return FNL_OK;
}

static int result_make(const fnli_attr *p, uint32_t model, fnli_rows *rw,
                       fnl_attribution **out)
{
    fnli_mem m;
    fnl_attribution *r;
    size_t i, n = rw->n, text = 0;
    double scale = 1;
    uint32_t d;
    m.a = p->mem->a;
    m.bytes = m.peak = 0;
    for (i = 0; i < n; i++)
        text += p->groups.len[rw->order[i]] + 1;
    r = fnli_calloc(&m, 1, sizeof(*r));
    if (r == NULL)
        return FNL_ENOMEM;
    r->n = n;
    r->text_len = text;
    r->npos = rw->npos;
    r->text = fnli_malloc(&m, text);
    r->key_off = fnli_malloc(&m, n * sizeof(size_t));
    r->touches = fnli_malloc(&m, n * sizeof(uint64_t));
    if (r->text && r->key_off && r->touches) {
        /* take over the rows' double arrays (same allocator) */
        r->conv = rw->conv;
        r->value = rw->value;
        r->re = rw->re;
        r->vre = rw->vre;
        r->pos = rw->pos;
        rw->conv = rw->value = rw->re = rw->vre = rw->pos = NULL;
    } else {
        r->mem = m;
        r->n = n;
        result_free(r);
        return FNL_ENOMEM;
    }
    for (d = 0; d < p->par.value_decimals; d++)
        scale *= 10;
    text = 0;
    for (i = 0; i < n; i++) {
        uint32_t g = rw->order[i];
        size_t len = p->groups.len[g];
        memcpy(r->text + text, fnli_gtab_name(&p->groups, g), len + 1);
        r->key_off[i] = text;
        text += len + 1;
        r->touches[i] = p->touches[g];
        r->value[i] /= scale;
    }
    r->par = p->par;
    r->model = model;
    r->journeys = p->journeys;
    r->touch_total = p->touch_total;
    r->total_conv = rw->total_conv;
    r->total_value = rw->total_value / scale;
    r->total_nulls = (double)p->nulls;
    r->markov_p = rw->markov_p;
    r->markov_states = rw->markov_states;
    /* the row arrays were allocated through p->mem: move their bytes to
     * the result's own counter so each side balances on its own */
    {
        size_t one = n ? n * sizeof(double) : 1;
        size_t moved = 4 * one;
        if (r->pos != NULL)
            moved += (size_t)rw->npos * n != 0
                         ? (size_t)rw->npos * n * sizeof(double) : 1;
        p->mem->bytes -= moved;
        m.bytes += moved;
        if (m.bytes > m.peak)
            m.peak = m.bytes;
    }
    r->mem = m;
    *out = r;
    return FNL_OK;
}

int fnli_attr_finish(const fnli_attr *p, uint32_t model,
                     fnl_attribution **out)
{
    fnli_rows rw;
    size_t i;
    int rc;
    if (out == NULL || model == 0 || model > MODEL_MAX || !wants(p, model))
        return FNL_EINVAL;
    rc = rows_build(p, &rw);
    if (rc)
        return rc;
    if (HEURISTIC(model)) {
        const fnli_u128 *cr = p->credit[model];
        for (i = 0; i < rw.n; i++) {
            size_t g = rw.order[i];
            rw.conv[i] = ldexp(fnli_u128_double(&cr[2 * g]),
                               -FNLI_CONV_SHIFT);
            rw.value[i] = ldexp(fnli_u128_double(&cr[2 * g + 1]),
                                -FNLI_VALUE_SHIFT);
        }
    } else if (model == FNL_ATTR_MARKOV) {
        rc = fnli_markov_finish(p, &rw);
    } else {
        rc = fnli_shapley_finish(p, model == FNL_ATTR_SHAPLEY_ORDERED, &rw);
    }
    if (rc == FNL_OK)
        rc = result_make(p, model, &rw, out);
    rows_free(&rw, p->mem, p->groups.count);
    return rc;
}

FNLI_DEFINE_INIT(fnl_attribution_info_init, fnl_attribution_info,
                 FNL_ATTRIBUTION_INFO_INIT)

FNL_API int fnl_attribution_get_info(const fnl_attribution *r,
                                     fnl_attribution_info *out)
{
    fnl_attribution_info i;
    uint32_t size;
    if (r == NULL || out == NULL || out->size < sizeof(uint32_t))
        return FNL_EINVAL;
    size = out->size;
    memset(&i, 0, sizeof(i));
    i.size = size;
    i.model = r->model;
    i.markov_order = r->par.markov_order;
    i.shapley_value = r->par.shapley_value;
    i.half_life_ms = r->par.half_life_ms;
    i.direct_group = r->par.direct;
    i.custom_first = r->par.custom[0];
    i.custom_middle = r->par.custom[1];
    i.custom_last = r->par.custom[2];
    i.value_decimals = r->par.value_decimals;
    i.row_count = r->n;
    i.journeys = r->journeys;
    i.touches = r->touch_total;
    i.total_conversions = r->total_conv;
    i.total_value = r->total_value;
    i.total_nulls = r->total_nulls;
    i.markov_conversion_probability = r->markov_p;
    i.markov_states = r->markov_states;
    i.positions = r->npos;
    memcpy(out, &i, size < sizeof(i) ? size : sizeof(i));
    return FNL_OK;
}

FNLI_DEFINE_INIT(fnl_attribution_row_init, fnl_attribution_row,
                 FNL_ATTRIBUTION_ROW_INIT)

FNL_API size_t fnl_attribution_row_count(const fnl_attribution *r)
{
    return r ? r->n : 0;
}

FNL_API int fnl_attribution_row_get(const fnl_attribution *r, size_t index,
                                    fnl_attribution_row *out)
{
    fnl_attribution_row row;
    uint32_t size;
    if (r == NULL || out == NULL || out->size < sizeof(uint32_t))
        return FNL_EINVAL;
    if (index >= r->n)
        return FNL_ENOTFOUND;
    size = out->size;
    row.size = size;
    row.key = r->text + r->key_off[index];
    row.conversions = r->conv[index];
    row.value = r->value[index];
    row.touches = r->touches[index];
    row.removal_effect = r->re[index];
    row.value_removal_effect = r->vre[index];
    memcpy(out, &row, size < sizeof(row) ? size : sizeof(row));
    return FNL_OK;
}

FNL_API int fnl_attribution_positions(const fnl_attribution *r, size_t index,
                                      double *out, size_t cap, size_t *count)
{
    if (r == NULL || count == NULL || (out == NULL && cap != 0))
        return FNL_EINVAL;
    if (index >= r->n)
        return FNL_ENOTFOUND;
    *count = r->npos;
    if (cap < r->npos)
        return FNL_ERANGE;
    if (r->npos)
        memcpy(out, r->pos + index * r->npos, r->npos * sizeof(double));
    return FNL_OK;
}

/* ------------------------------------------------------------------------
 * Journeys built by a caller
 * ------------------------------------------------------------------------ */

int fnli_journeys_new(fnl_journeys **out, const fnl_allocator *a,
                      uint32_t value_decimals)
{
    fnli_mem m;
    fnl_journeys *js;
    int rc;
    if (out == NULL || value_decimals > 9)
        return FNL_EINVAL;
    rc = fnli_mem_init(&m, a);
    if (rc)
        return rc;
    js = fnli_calloc(&m, 1, sizeof(*js));
    if (js == NULL)
        return FNL_ENOMEM;
    js->mem = m;
    js->value_decimals = value_decimals;
    *out = js;
    return FNL_OK;
}

FNL_API int fnl_journeys_new(fnl_journeys **out, uint32_t value_decimals,
                             const fnl_allocator *allocator)
{
    return fnli_journeys_new(out, allocator, value_decimals);
}

FNL_API void fnl_journeys_free(fnl_journeys *js)
{
    fnli_mem *m;
    if (js == NULL)
        return;
    m = &js->mem;
    fnli_gtab_free(&js->groups, m);
    fnli_free(m, js->start, js->cap * sizeof(*js->start));
    fnli_free(m, js->len, js->cap * sizeof(*js->len));
    fnli_free(m, js->conv, js->cap * sizeof(*js->conv));
    fnli_free(m, js->nulls, js->cap * sizeof(*js->nulls));
    fnli_free(m, js->value, js->cap * sizeof(*js->value));
    fnli_free(m, js->flags, js->cap * sizeof(*js->flags));
    fnli_free(m, js->ctime, js->ecap * sizeof(*js->ctime));
    fnli_free(m, js->marks, js->ecap * 3 * sizeof(*js->marks));
    fnli_free(m, js->touch, js->tcap * sizeof(*js->touch));
    fnli_free(m, js->times, js->timecap * sizeof(*js->times));
    {
        fnli_mem mm = js->mem;
        fnli_free(&mm, js, sizeof(*js));
    }
}

FNL_API size_t fnl_journeys_count(const fnl_journeys *js)
{
    return js ? js->n : 0;
}

FNL_API size_t fnl_journeys_group_count(const fnl_journeys *js)
{
    return js ? js->groups.count : 0;
}

static int has_extra(const fnli_journey *j)
{
    return j->conversion_time != FNL_ATTR_TIME_UNSET || j->lead >= 0 ||
           j->opportunity >= 0 || j->close >= 0;
}

/* The six arrays with one entry per journey, and their entry sizes. */
#define JOURNEY_ARRAYS 6
static void journey_arrays(fnl_journeys *js, void **arrs[JOURNEY_ARRAYS],
                           size_t el[JOURNEY_ARRAYS])
{
    arrs[0] = (void **)&js->start;
    el[0] = sizeof(*js->start);
    arrs[1] = (void **)&js->len;
    el[1] = sizeof(*js->len);
    arrs[2] = (void **)&js->conv;
    el[2] = sizeof(*js->conv);
    arrs[3] = (void **)&js->nulls;
    el[3] = sizeof(*js->nulls);
    arrs[4] = (void **)&js->value;
    el[4] = sizeof(*js->value);
    arrs[5] = (void **)&js->flags;
    el[5] = sizeof(*js->flags);
}

int fnli_journeys_presize(fnl_journeys *js, size_t rows, size_t touches)
{
    void **arrs[JOURNEY_ARRAYS], *nw[JOURNEY_ARRAYS];
    size_t el[JOURNEY_ARRAYS];
    uint32_t *touch;
    int i;
    if (js->cap != 0 || js->tcap != 0 || rows == 0)
        return FNL_OK;
    if (touches > SIZE_MAX / sizeof(*touch) || rows > SIZE_MAX / 8)
        return FNL_OK; /* never on a 64-bit system; grow as before */
    journey_arrays(js, arrs, el);
    touch = fnli_malloc(&js->mem, touches * sizeof(*touch));
    if (touch == NULL)
        return FNL_ENOMEM;
    for (i = 0; i < JOURNEY_ARRAYS; i++) {
        nw[i] = fnli_malloc(&js->mem, rows * el[i]);
        if (nw[i] == NULL) {
            while (i-- > 0)
                fnli_free(&js->mem, nw[i], rows * el[i]);
            fnli_free(&js->mem, touch, touches * sizeof(*touch));
            return FNL_ENOMEM;
        }
    }
    for (i = 0; i < JOURNEY_ARRAYS; i++)
        *arrs[i] = nw[i];
    js->cap = rows;
    js->touch = touch;
    js->tcap = touches;
    return FNL_OK;
}

static int journeys_reserve(fnl_journeys *js, uint32_t n, int times,
                            int extra)
{
    fnli_mem *m = &js->mem;
    int rc;
    if (js->n + 1 > js->cap) {
        void **arrs[JOURNEY_ARRAYS];
        size_t el[JOURNEY_ARRAYS];
        journey_arrays(js, arrs, el);
        rc = fnli_grow_parallel(m, (void **const *)arrs, el, JOURNEY_ARRAYS,
                                &js->cap, js->n + 1);
        if (rc)
            return rc;
    }
    if (js->nt + n > js->tcap) {
        rc = fnli_grow(m, (void **)&js->touch, &js->tcap, js->nt + n,
                       sizeof(*js->touch), 256);
        if (rc)
            return rc;
    }
    if ((times || js->times != NULL) && js->nt + n > js->timecap) {
        /* fnli_grow_parallel zero-fills journeys that had no times */
        void **const arrs[1] = { (void **)&js->times };
        const size_t el[1] = { sizeof(*js->times) };
        size_t need = js->tcap > js->nt + n ? js->tcap : js->nt + n;
        rc = fnli_grow_parallel(m, arrs, el, 1, &js->timecap, need);
        if (rc)
            return rc;
    }
    if ((extra || js->ctime != NULL) && js->n + 1 > js->ecap) {
        size_t old = js->ecap, i;
        void **const arrs[2] = { (void **)&js->ctime, (void **)&js->marks };
        const size_t el[2] = { sizeof(*js->ctime), 3 * sizeof(*js->marks) };
        size_t need = js->cap > js->n + 1 ? js->cap : js->n + 1;
        rc = fnli_grow_parallel(m, arrs, el, 2, &js->ecap, need);
        if (rc)
            return rc;
        for (i = old; i < js->ecap; i++) {
            js->ctime[i] = FNL_ATTR_TIME_UNSET;
            js->marks[3 * i] = js->marks[3 * i + 1] = js->marks[3 * i + 2] =
                -1;
        }
    }
    return FNL_OK;
}

static void journeys_append(fnl_journeys *js, const fnli_journey *j)
{
    size_t i = js->n;
    js->start[i] = js->nt;
    js->len[i] = j->n;
    js->conv[i] = j->conversions;
    js->nulls[i] = j->nulls;
    js->value[i] = j->value;
    js->flags[i] = (uint8_t)((j->times ? FNLI_J_TIMES : 0) |
                             (has_extra(j) ? FNLI_J_EXTRA : 0));
    if (j->groups != js->touch + js->nt)
        memcpy(js->touch + js->nt, j->groups, j->n * sizeof(uint32_t));
    if (j->times)
        memcpy(js->times + js->nt, j->times, j->n * sizeof(int64_t));
    if (js->ctime) {
        js->ctime[i] = j->conversion_time;
        js->marks[3 * i] = j->lead;
        js->marks[3 * i + 1] = j->opportunity;
        js->marks[3 * i + 2] = j->close;
    }
    if (j->n > js->maxlen)
        js->maxlen = j->n;
    if (j->times == NULL && j->conversions + j->nulls > 0)
        js->untimed++;
    js->nt += j->n;
    js->n++;
}

int fnli_journeys_push(fnl_journeys *js, const fnli_journey *j)
{
    int rc = journeys_reserve(js, j->n, j->times != NULL, has_extra(j));
    if (rc)
        return rc;
    journeys_append(js, j);
    return FNL_OK;
}

void fnli_journeys_view(const fnl_journeys *js, size_t i, fnli_journey *out)
{
    fnli_journey j = FNLI_JOURNEY_INIT;
    j.groups = js->touch + js->start[i];
    j.n = js->len[i];
    j.conversions = js->conv[i];
    j.nulls = js->nulls[i];
    j.value = js->value[i];
    if (js->flags[i] & FNLI_J_TIMES)
        j.times = js->times + js->start[i];
    if (js->flags[i] & FNLI_J_EXTRA) {
        j.conversion_time = js->ctime[i];
        j.lead = js->marks[3 * i];
        j.opportunity = js->marks[3 * i + 1];
        j.close = js->marks[3 * i + 2];
    }
    *out = j;
}

FNLI_DEFINE_INIT(fnl_journey_init, fnl_journey, FNL_JOURNEY_INIT)

int fnli_attr_utf8_ok(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        unsigned c;
        size_t k, len;
        uint32_t cp;
        uint64_t w;
        /* ASCII runs, eight bytes at a time */
        while (n - i >= 8) {
            memcpy(&w, s + i, 8);
            if (w & UINT64_C(0x8080808080808080))
                break;
            i += 8;
        }
        if (i >= n)
            break;
        c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (n - i < len)
            return 0;
        for (k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += len;
    }
    return 1;
}

FNL_API int fnl_journeys_add(fnl_journeys *js, const fnl_journey *in)
{
    fnl_journey jr = FNL_JOURNEY_INIT;
    fnli_journey j = FNLI_JOURNEY_INIT;
    size_t i, bytes = 0;
    uint32_t n;
    int rc;
    if (js == NULL || in == NULL || in->size < sizeof(uint32_t))
        return FNL_EINVAL;
    memcpy(&jr, in, in->size < sizeof(jr) ? in->size : sizeof(jr));
    if (jr.touch_count > FNL_ATTR_MAX_TOUCHES)
        return FNL_ELIMIT;
    if (jr.touch_count == 0 || jr.groups == NULL)
        return FNL_EINVAL;
    n = (uint32_t)jr.touch_count;
    if (jr.conversions > (uint64_t)FNL_ATTR_MAX_CONVERSIONS ||
        jr.nulls > (uint64_t)FNL_ATTR_MAX_CONVERSIONS ||
        jr.value > FNL_ATTR_MAX_VALUE)
        return FNL_ELIMIT;
    if (jr.value < 0 || (jr.value > 0 && jr.conversions == 0))
        return FNL_EINVAL;
    if (jr.lead_index < -1 || jr.lead_index >= (int64_t)n ||
        jr.opportunity_index < -1 || jr.opportunity_index >= (int64_t)n ||
        jr.close_index < -1 || jr.close_index >= (int64_t)n)
        return FNL_EINVAL;
    if (jr.conversion_time != FNL_ATTR_TIME_UNSET &&
        (jr.conversion_time < FNL_TIME_MIN ||
         jr.conversion_time > FNL_TIME_MAX))
        return FNL_EINVAL;
    for (i = 0; i < n; i++) {
        size_t len;
        if (jr.groups[i] == NULL)
            return FNL_EINVAL;
        len = strlen(jr.groups[i]);
        if (len == 0 || len > FNL_MAX_STRING ||
            !fnli_attr_utf8_ok(jr.groups[i], len))
            return FNL_EINVAL;
        bytes += len;
        if (jr.times) {
            if (jr.times[i] < FNL_TIME_MIN || jr.times[i] > FNL_TIME_MAX ||
                (i > 0 && jr.times[i] < jr.times[i - 1]))
                return FNL_EINVAL;
        }
    }
    if (jr.times && jr.conversion_time != FNL_ATTR_TIME_UNSET &&
        jr.conversion_time < jr.times[n - 1])
        return FNL_EINVAL;
    j.n = n;
    j.times = jr.times;
    j.conversions = jr.conversions;
    j.nulls = jr.nulls;
    j.value = jr.value;
    j.conversion_time = jr.conversion_time;
    j.lead = jr.lead_index;
    j.opportunity = jr.opportunity_index;
    j.close = jr.close_index;
    /* reserve everything, then nothing below can fail */
    rc = fnli_gtab_reserve(&js->groups, &js->mem, n, bytes);
    if (rc)
        return rc;
    rc = journeys_reserve(js, n, jr.times != NULL, has_extra(&j));
    if (rc)
        return rc;
    for (i = 0; i < n; i++) {
        rc = fnli_gtab_intern(&js->groups, &js->mem, jr.groups[i],
                              strlen(jr.groups[i]), &js->touch[js->nt + i]);
        if (rc)
            return rc; /* unreachable after the reserve */
    }
    j.groups = js->touch + js->nt;
    journeys_append(js, &j);
    return FNL_OK;
}

/* ------------------------------------------------------------------------
 * Public partials and runs
 * ------------------------------------------------------------------------ */

FNL_API int fnl_attribution_partial_new(fnl_attribution_partial **out,
                                        const fnl_attribution_options *opts)
{
    fnl_attribution_options o;
    fnli_attr_params par;
    fnli_mem m;
    fnl_attribution_partial *p;
    int rc;
    if (out == NULL)
        return FNL_EINVAL;
    rc = fnli_attr_copy_options(&o, opts);
    if (rc)
        return rc;
    rc = fnli_attr_params_from(&par, &o);
    if (rc)
        return rc;
    rc = fnli_mem_init(&m, o.allocator);
    if (rc)
        return rc;
    p = fnli_calloc(&m, 1, sizeof(*p));
    if (p == NULL)
        return FNL_ENOMEM;
    p->mem = m;
    rc = fnli_attr_init(&p->a, &p->mem, &par);
    if (rc) {
        m = p->mem;
        fnli_free(&m, p, sizeof(*p));
        return rc;
    }
    *out = p;
    return FNL_OK;
}

FNL_API void fnl_attribution_partial_free(fnl_attribution_partial *p)
{
    fnli_mem m;
    if (p == NULL)
        return;
    fnli_attr_free(&p->a);
    m = p->mem;
    fnli_free(&m, p, sizeof(*p));
}

/* The batch road of partial_add when everything is reserved and no model
 * needs per-journey tables (Shapley, Markov beyond the dense matrix): one
 * loop straight over the container's columns, touch ids mapped on the
 * fly; only converting journeys go through the heuristic models.  Exactly
 * what fnli_attr_apply() would do, journey by journey. */
static void fast_pass(fnli_attr *a, const fnl_journeys *js, size_t first,
                      size_t count, const uint32_t *map, uint32_t *ids)
{
    fnli_markov *mk = &a->mk;
    uint64_t *restrict touches = a->touches;
    uint64_t *restrict d = mk->dense;
    uint64_t *restrict mconv = mk->conv;
    uint64_t *restrict mnull = mk->nulls;
    const uint64_t *restrict jconv = js->conv;
    const uint64_t *restrict jnull = js->nulls;
    const int64_t *restrict jvalue = js->value;
    const uint64_t *restrict jstart = js->start;
    const uint32_t *restrict jlen = js->len;
    const uint32_t *restrict tch = js->touch;
    const uint32_t *restrict gmap = map;
    size_t dim = mk->ddim, i, end = first + count;
    uint64_t nj = 0, conv = 0, nulls = 0, tt = 0;
    for (i = first; i < end; i++) {
        uint64_t c = jconv[i], nl = jnull[i], w = c + nl;
        const uint32_t *src = tch + jstart[i];
        uint32_t n = jlen[i], k;
        size_t prev = 0;
        if (w == 0)
            continue;
        nj++;
        conv += c;
        nulls += nl;
        tt += w * n;
        if (d != NULL) {
            for (k = 0; k < n; k++) {
                size_t s = (size_t)gmap[src[k]] + 1;
                touches[s - 1] += w;
                /* branch-free: a repeated group adds 0 to its diagonal,
                 * which the chain never reads (a state's self-loop is
                 * never counted, so the cell stays 0) */
                d[prev * dim + s] += s != prev ? w : 0;
                prev = s;
            }
            mconv[prev] += c;
            mnull[prev] += nl;
        } else {
            for (k = 0; k < n; k++)
                touches[gmap[src[k]]] += w;
        }
        if (c) {
            fnli_journey j;
            if (jvalue[i]) {
                fnli_u128_add(&a->value, (uint64_t)jvalue[i], 0);
                if (d != NULL)
                    fnli_u128_add(&mk->value[prev], (uint64_t)jvalue[i], 0);
            }
            fnli_journeys_view(js, i, &j);
            for (k = 0; k < n; k++)
                ids[k] = gmap[src[k]];
            j.groups = ids;
            apply_heuristics(a, &j, 0);
        }
    }
    a->journeys += nj;
    a->conversions += conv;
    a->nulls += nulls;
    a->touch_total += tt;
}

static int partial_add(fnli_attr *a, const fnl_journeys *js, size_t first,
                       size_t count)
{
    uint32_t *map = NULL, *ids = NULL;
    size_t gn = js->groups.count, i, k, maxlen = js->maxlen;
    fnli_journey j = FNLI_JOURNEY_INIT;
    int rc = FNL_OK, identity = 1;
    if (first > js->n || count > js->n - first)
        return FNL_EINVAL;
    if (js->value_decimals != a->par.value_decimals)
        return FNL_EINVAL;
    if (count == 0)
        return FNL_OK;
    if ((a->par.models & FNL_ATTR_BIT(FNL_ATTR_TIME_DECAY)) && js->untimed) {
        for (i = first; i < first + count; i++) {
            if (!(js->flags[i] & FNLI_J_TIMES) && js->conv[i] + js->nulls[i])
                return FNL_EINVAL;
        }
    }
    map = fnli_malloc(a->mem, (gn ? gn : 1) * sizeof(*map));
    ids = fnli_malloc(a->mem, maxlen * sizeof(*ids));
    if (map == NULL || ids == NULL) {
        rc = FNL_ENOMEM;
        goto out;
    }
    rc = fnli_gtab_reserve(&a->groups, a->mem, gn, js->groups.text_len);
    for (i = 0; rc == FNL_OK && i < gn; i++) {
        rc = fnli_gtab_intern(&a->groups, a->mem,
                              fnli_gtab_name(&js->groups, (uint32_t)i),
                              js->groups.len[i], &map[i]);
        identity &= map[i] == i;
    }
    /* Grow for the longest journey once; then the loop below reserves
     * nothing in the common case (has_room). */
    j.n = (uint32_t)maxlen;
    if (rc == FNL_OK)
        rc = fnli_attr_reserve(a, &j);
    if (rc == FNL_OK && has_room(a, &j) &&
        (!wants(a, FNL_ATTR_MARKOV) || a->mk.dense != NULL)) {
        fast_pass(a, js, first, count, map, ids);
        goto out;
    }
    for (i = first; rc == FNL_OK && i < first + count; i++) {
        fnli_journeys_view(js, i, &j);
        if (!identity) {
            for (k = 0; k < j.n; k++)
                ids[k] = map[j.groups[k]];
            j.groups = ids;
        }
        if (!has_room(a, &j) && (rc = fnli_attr_reserve(a, &j)) != FNL_OK) {
            /* roll back what this call applied, exactly */
            while (i-- > first) {
                fnli_journeys_view(js, i, &j);
                if (!identity) {
                    for (k = 0; k < j.n; k++)
                        ids[k] = map[j.groups[k]];
                    j.groups = ids;
                }
                fnli_attr_apply(a, &j, 1);
            }
            break;
        }
        fnli_attr_apply(a, &j, 0);
    }
out:
    fnli_free(a->mem, ids, maxlen * sizeof(*ids));
    fnli_free(a->mem, map, (gn ? gn : 1) * sizeof(*map));
    return rc;
}

FNL_API int fnl_attribution_partial_add(fnl_attribution_partial *p,
                                        const fnl_journeys *js, size_t first,
                                        size_t count)
{
    if (p == NULL || js == NULL)
        return FNL_EINVAL;
    return partial_add(&p->a, js, first, count);
}

FNL_API int fnl_attribution_partial_merge(fnl_attribution_partial *dst,
                                          const fnl_attribution_partial *src)
{
    if (dst == NULL || src == NULL || dst == src)
        return FNL_EINVAL;
    return fnli_attr_merge(&dst->a, &src->a);
}

FNL_API int fnl_attribution_partial_finish(const fnl_attribution_partial *p,
                                           uint32_t model,
                                           fnl_attribution **out)
{
    if (p == NULL || out == NULL)
        return FNL_EINVAL;
    return fnli_attr_finish(&p->a, model, out);
}

FNL_API int fnl_attribution_run(fnl_attribution **out,
                                const fnl_journeys *js, uint32_t model,
                                const fnl_attribution_options *opts)
{
    fnl_attribution_options o;
    fnli_attr_params par;
    fnli_attr a;
    fnli_mem m;
    int rc;
    if (out == NULL || js == NULL || model == 0 || model > MODEL_MAX)
        return FNL_EINVAL;
    rc = fnli_attr_copy_options(&o, opts);
    if (rc)
        return rc;
    o.models = FNL_ATTR_BIT(model);
    o.value_decimals = js->value_decimals;
    rc = fnli_attr_params_from(&par, &o);
    if (rc)
        return rc;
    rc = fnli_mem_init(&m, o.allocator);
    if (rc)
        return rc;
    rc = fnli_attr_init(&a, &m, &par);
    if (rc)
        return rc;
    rc = partial_add(&a, js, 0, js->n);
    if (rc == FNL_OK)
        rc = fnli_attr_finish(&a, model, out);
    fnli_attr_free(&a);
    return rc;
}
