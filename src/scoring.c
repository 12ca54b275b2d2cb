/* scoring.c -- the scoring math: fit from a profile, engagement from a
 * timeline with caps, windows, key events and exact lazy decay, and the
 * per-contact state the engine keeps (layout in scoring.h, semantics in
 * docs/scoring.md). */
#include <math.h>
#include <string.h>
#include "freemail.h"
#include "model.h"
#include "scoring.h"
#include "text.h"

#define NONE INT64_MIN
/* Re-anchor when a touch lies this many half-lives after the anchor:
 * values in anchored units then stay below 2^64 times their real size. */
#define REANCHOR_HALF_LIVES 64

/* ---- string matching (ASCII case ignored) ---------------------------------- */

static int has_sub(const char *s, size_t n, const char *v, size_t vn)
{
    size_t i;
    if (vn > n)
        return 0;
    for (i = 0; i + vn <= n; i++)
        if (fnli_ascii_casecmp_n(s + i, vn, v, vn) == 0)
            return 1;
    return 0;
}

static const char *domain_of(const char *s, size_t n, size_t *dn)
{
    const char *at = NULL;
    size_t i;
    for (i = 0; i < n; i++)
        if (s[i] == '@')
            at = s + i;
    if (at == NULL) {
        *dn = n;
        return s;
    }
    *dn = n - (size_t)(at + 1 - s);
    return at + 1;
}

/* Does the string s[0..n) (n > 0) pass condition c? */
static int match_str(const fnli_cond *c, const char *s, size_t n,
                     fnli_freemail_fn freemail, void *ctx)
{
    size_t i, dn;
    const char *d;
    int r = 0;
    switch (c->op) {
    case FNL_MATCH_EQUALS: case FNL_MATCH_IN:
        for (i = 0; i < c->nvalues && !r; i++)
            r = fnli_ascii_casecmp_n(s, n, c->values[i], c->lens[i]) == 0;
        break;
    case FNL_MATCH_CONTAINS:
        r = has_sub(s, n, c->values[0], c->lens[0]);
        break;
    case FNL_MATCH_PREFIX:
        r = c->lens[0] <= n &&
            fnli_ascii_casecmp_n(s, c->lens[0], c->values[0], c->lens[0]) == 0;
        break;
    case FNL_MATCH_SUFFIX:
        r = c->lens[0] <= n &&
            fnli_ascii_casecmp_n(s + n - c->lens[0], c->lens[0], c->values[0],
                                 c->lens[0]) == 0;
        break;
    case FNL_MATCH_EXISTS:
        return 1;
    case FNL_MATCH_MISSING:
        return 0;
    case FNL_MATCH_FREEMAIL:
        d = domain_of(s, n, &dn);
        r = dn > 0 && (freemail != NULL ? freemail(ctx, d, dn) != 0
                                        : fnli_freemail_builtin(d, dn));
        break;
    case FNL_MATCH_DOMAIN:
        d = domain_of(s, n, &dn);
        for (i = 0; i < c->nvalues && !r; i++) {
            size_t vn = c->lens[i];
            r = (dn == vn && fnli_ascii_casecmp_n(d, dn, c->values[i], vn) == 0) ||
                (dn > vn && d[dn - vn - 1] == '.' &&
                 fnli_ascii_casecmp_n(d + dn - vn, vn, c->values[i], vn) == 0);
        }
        break;
    default:
        return 0; /* numeric tests on text: see match_num */
    }
    return c->negate ? !r : r;
}

static int match_num(const fnli_cond *c, double x)
{
    switch (c->op) {
    case FNL_MATCH_NUM_EQ: return x == c->num1;
    case FNL_MATCH_GE: return x >= c->num1;
    case FNL_MATCH_GT: return x > c->num1;
    case FNL_MATCH_LE: return x <= c->num1;
    case FNL_MATCH_LT: return x < c->num1;
    case FNL_MATCH_BETWEEN: return x >= c->num1 && x <= c->num2;
    case FNL_MATCH_EXISTS: return 1;
    default: return 0;
    }
}

static int op_numeric(uint32_t op)
{
    return op >= FNL_MATCH_NUM_EQ && op <= FNL_MATCH_BETWEEN;
}

/* ---- fit ---------------------------------------------------------------------- */

/* A number written in a text attribute ("500", " 1200.5 "): at most 15
 * digits, as fnli_parse_decimal() reads them. */
static int text_number(const char *s, size_t n, double *out)
{
    fnli_trim(&s, &n);
    return fnli_parse_decimal(s, n, out) == FNL_OK;
}

static const fnl_attr *find_attr(const fnl_attr *attrs, size_t n,
                                 const char *name)
{
    size_t i, len = strlen(name);
    for (i = 0; i < n; i++) {
        const char *an = attrs[i].name;
        /* the model's names are folded; a caller's may not be */
        if (an != NULL && fnli_lower(an[0]) == name[0] &&
            fnli_ascii_casecmp_n(an, strlen(an), name, len) == 0)
            return &attrs[i];
    }
    return NULL;
}

static int fit_cond(const fnli_cond *c, const fnl_attr *attrs, size_t n,
                    fnli_freemail_fn freemail, void *ctx)
{
    const fnl_attr *a = find_attr(attrs, n, c->name);
    int present = a != NULL &&
                  ((a->type == FNL_ATTR_STRING && a->str != NULL &&
                    a->str[0] != '\0') ||
                   (a->type == FNL_ATTR_NUMBER && isfinite(a->num)));
    double x;
    if (c->op == FNL_MATCH_MISSING)
        return !present;
    if (!present)
        return 0;
    if (a->type == FNL_ATTR_NUMBER) {
        if (op_numeric(c->op) || c->op == FNL_MATCH_EXISTS)
            return match_num(c, a->num);
        return 0; /* text tests on a number do not match */
    }
    if (op_numeric(c->op))
        return text_number(a->str, strlen(a->str), &x) && match_num(c, x);
    return match_str(c, a->str, strlen(a->str), freemail, ctx);
}

int fnli_fit_rule_matches(const fnl_model *m, size_t i, const fnl_attr *attrs,
                          size_t n, fnli_freemail_fn freemail, void *ctx)
{
    const fnli_rule *r = &m->fit[i];
    size_t j;
    for (j = 0; j < r->nconds; j++)
        if (!fit_cond(&r->conds[j], attrs, n, freemail, ctx))
            return 0;
    return 1;
}

double fnli_model_fit(const fnl_model *m, const fnl_attr *attrs, size_t n,
                      fnli_freemail_fn freemail, void *ctx)
{
    double fit = 0;
    size_t i;
    for (i = 0; i < m->nfit; i++)
        if (fnli_fit_rule_matches(m, i, attrs, n, freemail, ctx))
            fit += m->fit[i].points;
    return fit;
}

void fnli_score_profile(const fnl_model *m, fnli_score_state *st,
                        const fnl_attr *attrs, size_t n,
                        fnli_freemail_fn freemail, void *ctx)
{
    st->h.fit = fnli_model_fit(m, attrs, n, freemail, ctx);
}

/* ---- classes ---------------------------------------------------------------- */

static int class_rule(const fnli_rule *r, const fnli_class_fields *f)
{
    size_t j;
    for (j = 0; j < r->nconds; j++) {
        const fnli_cond *c = &r->conds[j];
        const char *s;
        size_t n;
        if (c->field == FNLI_SF_VALUE)
            continue; /* per touch */
        s = f->p[c->field];
        n = s != NULL ? f->n[c->field] : 0;
        if (n == 0) {
            if (c->op != FNL_MATCH_MISSING)
                return 0;
        } else if (!match_str(c, s, n, NULL, NULL)) {
            return 0;
        }
    }
    return 1;
}

void fnli_model_match_class(const fnl_model *m, const fnli_class_fields *f,
                            fnli_class_match *out)
{
    size_t i;
    out->engage = out->events = 0;
    for (i = 0; i < m->neng; i++)
        if (class_rule(&m->eng[i], f))
            out->engage |= UINT64_C(1) << i;
    for (i = 0; i < m->nev; i++)
        if (class_rule(&m->ev[i], f))
            out->events |= UINT64_C(1) << i;
}

static int value_ok(const fnli_rule *r, int64_t value)
{
    size_t j;
    for (j = 0; j < r->nconds; j++)
        if (r->conds[j].field == FNLI_SF_VALUE &&
            !match_num(&r->conds[j], (double)value))
            return 0;
    return 1;
}

/* ---- state ------------------------------------------------------------------- */

size_t fnli_model_state_size(const fnl_model *m)
{
    return m->state_size;
}

void fnli_score_state_init(const fnl_model *m, fnli_score_state *st)
{
    memset(st, 0, m->state_size);
    st->h.model = m->fingerprint;
    st->h.anchor = NONE;
    st->h.last = NONE;
}

int fnli_score_state_valid(const fnl_model *m, const fnli_score_state *st)
{
    return st->h.model == m->fingerprint;
}

static unsigned char *bytes(fnli_score_state *st)
{
    return (unsigned char *)st;
}

static double *cap_slot(fnli_score_state *st, const fnli_rule *r)
{
    return (double *)(void *)(bytes(st) + r->cap_off);
}

/* A ring of n times at `off`: times[n], then pos and used. */
typedef struct ring {
    int64_t *t;
    uint32_t *pos, *used;
    uint32_t n;
} ring;

static ring ring_at(fnli_score_state *st, uint32_t off, uint32_t n)
{
    ring r;
    r.t = (int64_t *)(void *)(bytes(st) + off);
    r.pos = (uint32_t *)(void *)(bytes(st) + off + 8 * (size_t)n);
    r.used = r.pos + 1;
    r.n = n;
    return r;
}

/* The oldest of the last n times (ring full). */
static int64_t ring_oldest(const ring *r)
{
    return r->t[*r->pos];
}

static void ring_push(ring *r, int64_t t)
{
    r->t[*r->pos] = t;
    *r->pos = (*r->pos + 1) % r->n;
    if (*r->used < r->n)
        (*r->used)++;
}

double fnli_score_factor(const fnl_model *m, const fnli_score_state *st,
                         int64_t t)
{
    if (m->half_life == 0 || st->h.anchor == NONE)
        return 1.0;
    return exp2(-(double)(t - st->h.anchor) / (double)m->half_life);
}

static void reanchor(const fnl_model *m, fnli_score_state *st, int64_t t,
                     fnli_score_detail *d)
{
    double s = fnli_score_factor(m, st, t);
    size_t i;
    st->h.eng *= s;
    for (i = 0; i < m->neng; i++)
        if (m->eng[i].cap > 0)
            *cap_slot(st, &m->eng[i]) *= s;
    if (d != NULL)
        for (i = 0; i < m->neng + m->nev; i++)
            d->anchored[i] *= s;
    st->h.anchor = t;
}

/* Apply one in-order touch; returns the key events it fired. */
static uint64_t step(const fnl_model *m, fnli_score_state *st,
                     const fnli_score_tv *t, fnli_score_detail *d)
{
    uint64_t eng = t->engage, ev = t->events, fired = 0, bits;
    double g = 1.0;
    int64_t now = t->time;

    for (bits = eng & m->value_eng; bits != 0; bits &= bits - 1) {
        unsigned i = (unsigned)__builtin_ctzll(bits);
        if (!value_ok(&m->eng[i], t->value))
            eng &= ~(UINT64_C(1) << i);
    }
    for (bits = ev & m->value_ev; bits != 0; bits &= bits - 1) {
        unsigned i = (unsigned)__builtin_ctzll(bits);
        if (!value_ok(&m->ev[i], t->value))
            ev &= ~(UINT64_C(1) << i);
    }
    if (eng == 0 && ev == 0)
        return 0;
    if (st->h.anchor == NONE)
        st->h.anchor = now;
    if (m->half_life > 0) {
        if (now - st->h.anchor > REANCHOR_HALF_LIVES * m->half_life)
            reanchor(m, st, now, d);
        g = exp2((double)(now - st->h.anchor) / (double)m->half_life);
    }
    for (bits = eng; bits != 0; bits &= bits - 1) {
        unsigned i = (unsigned)__builtin_ctzll(bits);
        const fnli_rule *r = &m->eng[i];
        double add = r->points * g;
        if (d != NULL)
            d->matched[i]++;
        if (r->count > 0) {
            ring w = ring_at(st, r->ring_off, r->count);
            /* counted iff fewer than N counted ones lie in (t - W, t] */
            if (*w.used == w.n && ring_oldest(&w) > now - r->period)
                continue;
            ring_push(&w, now);
        }
        if (r->cap > 0) {
            double *v = cap_slot(st, r), lim = r->cap * g, nv;
            nv = r->points >= 0 ? fmin(lim, *v + add) : fmax(-lim, *v + add);
            add = nv - *v;
            *v = nv;
        } else {
            st->h.eng += add;
        }
        if (d != NULL) {
            d->counted[i]++;
            d->anchored[i] += add;
            d->raw[i] += add / g;
        }
    }
    for (bits = ev; bits != 0; bits &= bits - 1) {
        unsigned i = (unsigned)__builtin_ctzll(bits);
        const fnli_rule *r = &m->ev[i];
        int64_t *last_fire = (int64_t *)(void *)(bytes(st) + r->ring_off);
        ring w = ring_at(st, r->ring_off + 8, r->count);
        size_t k = m->neng + i;
        ring_push(&w, now);
        if (d != NULL)
            d->matched[k]++;
        if (*w.used < w.n)
            continue;
        if (r->period > 0 ? ring_oldest(&w) <= now - r->period : 0)
            continue; /* the last N are spread wider than the window */
        if (st->h.fired >> i & 1) {
            /* fired before: again only once no firing lies in the
             * window (t - W, t]; without a window, never again */
            if (r->period == 0 || *last_fire > now - r->period)
                continue;
        }
        *last_fire = now;
        st->h.fired |= UINT64_C(1) << i;
        if (st->h.firings != UINT32_MAX)
            st->h.firings++;
        st->h.eng += r->points * g;
        fired |= UINT64_C(1) << i;
        if (d != NULL) {
            d->counted[k]++;
            d->anchored[k] += r->points * g;
            d->raw[k] += r->points;
        }
    }
    st->h.last = now;
    return fired;
}

static int matches(const fnl_model *m, const fnli_score_tv *t)
{
    uint64_t eng = t->engage, ev = t->events, bits;
    for (bits = eng & m->value_eng; bits != 0; bits &= bits - 1) {
        unsigned i = (unsigned)__builtin_ctzll(bits);
        if (!value_ok(&m->eng[i], t->value))
            eng &= ~(UINT64_C(1) << i);
    }
    for (bits = ev & m->value_ev; bits != 0; bits &= bits - 1) {
        unsigned i = (unsigned)__builtin_ctzll(bits);
        if (!value_ok(&m->ev[i], t->value))
            ev &= ~(UINT64_C(1) << i);
    }
    return eng != 0 || ev != 0;
}

int fnli_score_touch(const fnl_model *m, fnli_score_state *st,
                     const fnli_score_tv *t, uint64_t *fired)
{
    uint64_t f = 0;
    if (st->h.last != NONE && t->time < st->h.last) {
        if (matches(m, t))
            return FNLI_SCORE_RECOMPUTE;
    } else {
        f = step(m, st, t, NULL);
    }
    if (fired != NULL)
        *fired = f;
    return FNL_OK;
}

static void reset_engagement(const fnl_model *m, fnli_score_state *st)
{
    double fit = st->h.fit;
    fnli_score_state_init(m, st);
    st->h.fit = fit;
}

void fnli_score_replay(const fnl_model *m, fnli_score_state *st,
                       const fnli_score_tv *sorted, size_t n,
                       fnli_fire_fn fire, void *ctx, fnli_score_detail *d)
{
    size_t i;
    reset_engagement(m, st);
    for (i = 0; i < n; i++) {
        uint64_t f = step(m, st, &sorted[i], d);
        for (; f != 0 && fire != NULL; f &= f - 1)
            fire(ctx, (uint32_t)__builtin_ctzll(f), sorted[i].time);
    }
}

int fnli_score_recompute(const fnl_model *m, fnli_score_state *st,
                         const fnli_score_tv *sorted, size_t n,
                         fnli_fire_fn fire, void *ctx)
{
    size_t i;
    if (n > 0 && sorted == NULL)
        return FNL_EINVAL;
    for (i = 1; i < n; i++)
        if (sorted[i].time < sorted[i - 1].time)
            return FNL_EINVAL;
    fnli_score_replay(m, st, sorted, n, fire, ctx, NULL);
    return FNL_OK;
}

/* ---- reading ------------------------------------------------------------------ */

void fnli_score_at(const fnl_model *m, const fnli_score_state *st, int64_t t,
                   fnl_score_result *out)
{
    fnl_score_result r = FNL_SCORE_RESULT_INIT;
    double sum = st->h.eng;
    uint32_t size = out->size < sizeof(r) ? out->size : (uint32_t)sizeof(r);
    int grade = 3, band = 4;
    size_t i;

    if (st->h.last != NONE && t < st->h.last)
        t = st->h.last;
    for (i = 0; i < m->neng; i++)
        if (m->eng[i].cap > 0)
            sum += *(const double *)(const void *)((const unsigned char *)st +
                                                   m->eng[i].cap_off);
    r.time = t;
    r.fit = st->h.fit;
    r.engagement = sum * fnli_score_factor(m, st, t);
    if (r.engagement == 0)
        r.engagement = 0; /* no negative zero */
    r.total = r.fit + r.engagement;
    for (i = 3; i-- > 0;)
        if ((m->grade_set >> i & 1) && r.fit >= m->grade_min[i])
            grade = (int)i;
    for (i = 3; i-- > 0;)
        if ((m->band_set >> i & 1) && r.engagement >= m->band_min[i])
            band = (int)i + 1;
    r.grade[0] = (char)('A' + grade);
    r.band = (uint32_t)band;
    r.cell[0] = r.grade[0];
    r.cell[1] = (char)('0' + band);
    r.key_events = st->h.fired;
    r.firings = st->h.firings;
    for (i = 0; i < m->nth; i++)
        if (fnli_expr_eval(&m->th[i].expr, &r))
            r.thresholds |= UINT64_C(1) << i;
    r.size = size;
    memcpy(out, &r, size);
}
