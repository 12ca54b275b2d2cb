/* model.c -- the scoring model: validation of rules, the builder API and
 * compilation into an immutable fnl_model (state layout, canonical text,
 * fingerprint).  The text parser builds models through the same calls. */
#include <math.h>
#include <string.h>
#include "model.h"
#include "normalize.h"
#include "scoring.h"
#include "text.h"

#define NAME_FIELDS 10
static const char *const field_names[NAME_FIELDS] = {
    "type", "channel", "campaign", "content", "utm_source", "utm_medium",
    "utm_campaign", "utm_term", "utm_content", "value"};

const char *fnli_score_field_name(uint32_t field)
{
    return field < NAME_FIELDS ? field_names[field] : NULL;
}

int fnli_score_field_find(const char *s, size_t n)
{
    int i;
    for (i = 0; i < NAME_FIELDS; i++)
        if (strlen(field_names[i]) == n && memcmp(field_names[i], s, n) == 0)
            return i;
    return -1;
}

int fnli_number_ok(double x)
{
    /* 10^k, exact in a double: the loop counts with an integer */
    static const double scale[] = {1e0, 1e1, 1e2, 1e3, 1e4,
                                   1e5, 1e6, 1e7, 1e8, 1e9};
    size_t k;
    if (!isfinite(x) || fabs(x) > FNL_MODEL_MAX_POINTS)
        return 0;
    for (k = 0; k < sizeof(scale) / sizeof(scale[0]); k++) {
        double r = round(x * scale[k]);
        if (fabs(r) < 9007199254740992.0 && r / scale[k] == x)
            return 1;
    }
    return 0;
}

/* ---- lifetime ------------------------------------------------------------ */

int fnli_model_new(fnl_model **out, const char *name, size_t len,
                   const fnl_allocator *alloc)
{
    fnli_mem mem;
    fnl_model *m;
    int rc = fnli_mem_init(&mem, alloc);
    if (rc != FNL_OK)
        return rc;
    m = fnli_calloc(&mem, 1, sizeof(*m));
    if (m == NULL)
        return FNL_ENOMEM;
    m->mem = mem;
    m->name = fnli_strndup(&m->mem, name, len);
    if (m->name == NULL) {
        fnli_free(&mem, m, sizeof(*m));
        return FNL_ENOMEM;
    }
    m->version = 1;
    m->rollup = FNL_ROLLUP_SUM;
    m->roles = (1u << FNL_ROLE_USER) | (1u << FNL_ROLE_INFLUENCER) |
               (1u << FNL_ROLE_DECISION_MAKER) |
               (1u << FNL_ROLE_ECONOMIC_BUYER);
    *out = m;
    return FNL_OK;
}

static void cond_free(fnli_mem *mem, fnli_cond *c)
{
    size_t i;
    if (c->values != NULL) {
        for (i = 0; i < c->nvalues; i++)
            if (c->values[i] != NULL)
                fnli_free(mem, c->values[i], c->lens[i] + 1);
        fnli_free(mem, c->values, c->nvalues * sizeof(char *));
        fnli_free(mem, c->lens, c->nvalues * sizeof(size_t));
    }
    if (c->name != NULL)
        fnli_free(mem, c->name, strlen(c->name) + 1);
}

static void rule_free(fnli_mem *mem, fnli_rule *r)
{
    size_t i;
    if (r->conds != NULL) {
        for (i = 0; i < r->nconds; i++)
            cond_free(mem, &r->conds[i]);
        fnli_free(mem, r->conds, r->nconds * sizeof(fnli_cond));
    }
    if (r->name != NULL)
        fnli_free(mem, r->name, strlen(r->name) + 1);
    if (r->text != NULL)
        fnli_free(mem, r->text, strlen(r->text) + 1);
}

void fnli_expr_free(fnli_mem *mem, fnli_expr *e)
{
    if (e->n != NULL)
        fnli_free(mem, e->n, e->count * sizeof(fnli_enode));
    e->n = NULL;
    e->count = 0;
}

void fnli_model_destroy(fnl_model *m)
{
    fnli_mem mem;
    size_t i;
    if (m == NULL)
        return;
    mem = m->mem;
    for (i = 0; i < m->nfit; i++)
        rule_free(&mem, &m->fit[i]);
    for (i = 0; i < m->neng; i++)
        rule_free(&mem, &m->eng[i]);
    for (i = 0; i < m->nev; i++)
        rule_free(&mem, &m->ev[i]);
    fnli_free(&mem, m->fit, m->capfit * sizeof(fnli_rule));
    fnli_free(&mem, m->eng, m->capeng * sizeof(fnli_rule));
    fnli_free(&mem, m->ev, m->capev * sizeof(fnli_rule));
    for (i = 0; i < m->nth; i++) {
        fnli_free(&mem, m->th[i].name, strlen(m->th[i].name) + 1);
        fnli_expr_free(&mem, &m->th[i].expr);
    }
    fnli_free(&mem, m->th, m->capth * sizeof(fnli_threshold));
    fnli_expr_free(&mem, &m->engaged);
    if (m->text != NULL)
        fnli_free(&mem, m->text, m->text_len + 1);
    fnli_free(&mem, m->name, strlen(m->name) + 1);
    fnli_free(&mem, m, sizeof(*m));
}

/* ---- rules ----------------------------------------------------------------- */

static int op_numeric(uint32_t op)
{
    return op >= FNL_MATCH_NUM_EQ && op <= FNL_MATCH_BETWEEN;
}

static int text_ok(const char *s, size_t max)
{
    size_t n, i;
    if (s == NULL)
        return 0;
    n = strlen(s);
    if (n == 0 || n > max || !fnli_utf8_valid(s, n))
        return 0;
    for (i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

/* Check one condition of a rule of `kind`; *why on failure. */
static int cond_check(uint32_t kind, const fnl_match *c, const char **why)
{
    size_t i, want_min = 0, want_max = 0;
    int field = -1;
    char folded[FNL_MAX_NAME + 1];
    if (c->name == NULL) {
        *why = "condition without a name";
        return FNL_EINVAL;
    }
    if (kind == FNLI_RULE_FIT) {
        if (fnli_name_fold(c->name, 1, folded, sizeof(folded), NULL) < 0 ||
            !(fnli_is_alpha(folded[0]) || folded[0] == '_')) {
            *why = "bad attribute name ([a-z0-9_.-], starting with a letter "
                   "or '_')";
            return FNL_EINVAL;
        }
    } else {
        field = fnli_score_field_find(c->name, strlen(c->name));
        if (field < 0) {
            *why = "unknown touch field";
            return FNL_EINVAL;
        }
    }
    if (c->op < FNL_MATCH_EQUALS || c->op > FNL_MATCH_DOMAIN) {
        *why = "unknown operator";
        return FNL_EINVAL;
    }
    if (kind != FNLI_RULE_FIT &&
        (c->op == FNL_MATCH_FREEMAIL || c->op == FNL_MATCH_DOMAIN)) {
        *why = "freemail and domain apply to profile attributes only";
        return FNL_EINVAL;
    }
    if (field == FNLI_SF_VALUE && !op_numeric(c->op)) {
        *why = "\"value\" takes numeric comparisons only";
        return FNL_EINVAL;
    }
    if (field >= 0 && field != FNLI_SF_VALUE && op_numeric(c->op)) {
        *why = "numeric comparison on a text field";
        return FNL_EINVAL;
    }
    if (c->negate > 1 ||
        (c->negate && (c->op == FNL_MATCH_EXISTS || c->op == FNL_MATCH_MISSING ||
                       op_numeric(c->op)))) {
        *why = "this operator cannot be negated";
        return FNL_EINVAL;
    }
    switch (c->op) {
    case FNL_MATCH_EQUALS: case FNL_MATCH_CONTAINS: case FNL_MATCH_PREFIX:
    case FNL_MATCH_SUFFIX:
        want_min = want_max = 1;
        break;
    case FNL_MATCH_IN: case FNL_MATCH_DOMAIN:
        want_min = 1;
        want_max = FNL_MODEL_MAX_VALUES;
        break;
    default:
        break;
    }
    if (c->value_count < want_min || c->value_count > want_max ||
        (c->value_count > 0 && c->values == NULL)) {
        *why = want_max == 0 ? "this operator takes no values"
                             : "wrong number of values";
        return c->value_count > FNL_MODEL_MAX_VALUES ? FNL_ELIMIT : FNL_EINVAL;
    }
    for (i = 0; i < c->value_count; i++)
        if (!text_ok(c->values[i], FNL_MAX_STRING)) {
            *why = "values must be non-empty UTF-8 without control characters";
            return FNL_EINVAL;
        }
    if (op_numeric(c->op)) {
        if (!fnli_number_ok(c->num1) ||
            (c->op == FNL_MATCH_BETWEEN && !fnli_number_ok(c->num2))) {
            *why = "numbers must be finite, at most 1e12, with at most 9 decimals";
            return FNL_EINVAL;
        }
        if (c->op == FNL_MATCH_BETWEEN && c->num1 > c->num2) {
            *why = "between: the low bound exceeds the high bound";
            return FNL_EINVAL;
        }
    }
    return FNL_OK;
}

static int cond_copy(fnli_mem *mem, uint32_t kind, const fnl_match *c,
                     fnli_cond *d)
{
    size_t i;
    memset(d, 0, sizeof(*d));
    d->op = c->op;
    d->negate = c->negate;
    d->num1 = op_numeric(c->op) ? c->num1 : 0.0;
    d->num2 = c->op == FNL_MATCH_BETWEEN ? c->num2 : 0.0;
    if (kind == FNLI_RULE_FIT) {
        char folded[FNL_MAX_NAME + 1];
        int n = fnli_name_fold(c->name, 1, folded, sizeof(folded), NULL);
        d->name = fnli_strndup(mem, folded, (size_t)n);
    } else {
        d->field = (uint32_t)fnli_score_field_find(c->name, strlen(c->name));
        d->name = fnli_strndup(mem, c->name, strlen(c->name));
    }
    if (d->name == NULL)
        return FNL_ENOMEM;
    if (c->value_count == 0)
        return FNL_OK;
    d->values = fnli_calloc(mem, c->value_count, sizeof(char *));
    d->lens = fnli_calloc(mem, c->value_count, sizeof(size_t));
    if (d->values == NULL || d->lens == NULL) {
        if (d->values != NULL)
            fnli_free(mem, d->values, c->value_count * sizeof(char *));
        if (d->lens != NULL)
            fnli_free(mem, d->lens, c->value_count * sizeof(size_t));
        d->values = NULL;
        d->lens = NULL;
        return FNL_ENOMEM;
    }
    d->nvalues = c->value_count;
    for (i = 0; i < c->value_count; i++) {
        d->lens[i] = strlen(c->values[i]);
        d->values[i] = fnli_strndup(mem, c->values[i], d->lens[i]);
        if (d->values[i] == NULL)
            return FNL_ENOMEM; /* the caller frees the partial copy */
    }
    return FNL_OK;
}

int fnli_event_find(const fnl_model *m, const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < m->nev; i++)
        if (fnli_ascii_casecmp_n(m->ev[i].name, strlen(m->ev[i].name), s, n) ==
            0)
            return (int)i;
    return -1;
}

int fnli_model_add_rule(fnl_model *m, uint32_t kind, const char *name,
                        const fnl_match *conds, size_t nconds, double points,
                        double cap, uint32_t count, int64_t period,
                        const char **why)
{
    fnli_rule r;
    fnli_rule **arr;
    size_t *n, *capa, limit, i;
    int rc;

    if (kind == FNLI_RULE_FIT) {
        arr = &m->fit, n = &m->nfit, capa = &m->capfit;
        limit = FNL_MODEL_MAX_FIT;
    } else if (kind == FNLI_RULE_ENGAGE) {
        arr = &m->eng, n = &m->neng, capa = &m->capeng;
        limit = FNL_MODEL_MAX_ENGAGE;
    } else {
        arr = &m->ev, n = &m->nev, capa = &m->capev;
        limit = FNL_MODEL_MAX_KEY_EVENTS;
    }
    if (conds == NULL || nconds == 0) {
        *why = "a rule needs at least one condition";
        return FNL_EINVAL;
    }
    if (nconds > FNL_MODEL_MAX_CONDS) {
        *why = "too many conditions in one rule";
        return FNL_ELIMIT;
    }
    for (i = 0; i < nconds; i++)
        if ((rc = cond_check(kind, &conds[i], why)) != FNL_OK)
            return rc;
    if (!fnli_number_ok(points)) {
        *why = "points must be finite, at most 1e12, with at most 9 decimals";
        return FNL_EINVAL;
    }
    if (kind == FNLI_RULE_ENGAGE) {
        if (cap < 0 || (cap > 0 && !fnli_number_ok(cap)) || isnan(cap)) {
            *why = "cap must be positive, at most 1e12, with at most 9 decimals";
            return FNL_EINVAL;
        }
        if (count > FNL_MODEL_MAX_WINDOW) {
            *why = "per_window count too large";
            return FNL_ELIMIT;
        }
        if ((count == 0) != (period == 0) || period < 0 ||
            period > FNL_MODEL_MAX_DURATION) {
            *why = "per_window needs a count of 1..256 and a period of 1ms..100 years";
            return FNL_EINVAL;
        }
    }
    if (kind == FNLI_RULE_EVENT) {
        if (!text_ok(name, FNL_MAX_NAME)) {
            *why = "a key event needs a name of 1..64 bytes of UTF-8";
            return FNL_EINVAL;
        }
        if (fnli_event_find(m, name, strlen(name)) >= 0) {
            *why = "a key event of that name exists";
            return FNL_EEXIST;
        }
        if (count == 0)
            count = 1;
        if (count > FNL_MODEL_MAX_WINDOW) {
            *why = "key event count too large";
            return FNL_ELIMIT;
        }
        if (period < 0 || period > FNL_MODEL_MAX_DURATION) {
            *why = "within must lie in 1ms..100 years";
            return FNL_EINVAL;
        }
    }
    if (*n >= limit) {
        *why = kind == FNLI_RULE_FIT ? "too many fit rules"
               : kind == FNLI_RULE_ENGAGE ? "too many engagement rules"
                                          : "too many key events";
        return FNL_ELIMIT;
    }
    rc = fnli_grow(&m->mem, (void **)arr, capa, *n + 1, sizeof(fnli_rule), 8);
    if (rc != FNL_OK) {
        *why = "out of memory";
        return rc;
    }
    memset(&r, 0, sizeof(r));
    r.kind = kind;
    r.points = points;
    r.cap = kind == FNLI_RULE_ENGAGE ? cap : 0.0;
    r.count = kind == FNLI_RULE_FIT ? 0 : count;
    r.period = kind == FNLI_RULE_FIT ? 0 : period;
    r.conds = fnli_calloc(&m->mem, nconds, sizeof(fnli_cond));
    if (r.conds == NULL)
        goto nomem;
    for (i = 0; i < nconds; i++) {
        if (cond_copy(&m->mem, kind, &conds[i], &r.conds[i]) != FNL_OK)
            goto nomem_conds;
        r.nconds = i + 1;
        if (r.conds[i].field == FNLI_SF_VALUE && kind != FNLI_RULE_FIT)
            r.has_value = 1;
    }
    if (kind == FNLI_RULE_EVENT) {
        r.name = fnli_strndup(&m->mem, name, strlen(name));
        if (r.name == NULL)
            goto nomem_conds;
    }
    (*arr)[(*n)++] = r;
    return FNL_OK;

nomem_conds:
    /* conds[0..nconds) are zeroed or complete: free the array whole */
    r.nconds = nconds;
    rule_free(&m->mem, &r);
    *why = "out of memory";
    return FNL_ENOMEM;
nomem:
    *why = "out of memory";
    return FNL_ENOMEM;
}

int fnli_model_add_threshold(fnl_model *m, const char *name, size_t nlen,
                             fnli_expr *expr, const char **why)
{
    size_t i;
    fnli_threshold t;
    int rc;
    if (nlen == 0 || nlen > FNL_MAX_NAME) {
        *why = "a threshold needs a name of 1..64 characters";
        return FNL_EINVAL;
    }
    for (i = 0; i < nlen; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || fnli_is_digit(name[i]) ||
              name[i] == '_')) {
            *why = "threshold names are [a-z0-9_]";
            return FNL_EINVAL;
        }
    for (i = 0; i < m->nth; i++)
        if (strlen(m->th[i].name) == nlen &&
            memcmp(m->th[i].name, name, nlen) == 0) {
            *why = "a threshold of that name exists";
            return FNL_EEXIST;
        }
    if (m->nth >= FNL_MODEL_MAX_THRESHOLDS) {
        *why = "too many thresholds";
        return FNL_ELIMIT;
    }
    rc = fnli_grow(&m->mem, (void **)&m->th, &m->capth, m->nth + 1,
                   sizeof(fnli_threshold), 4);
    if (rc != FNL_OK) {
        *why = "out of memory";
        return rc;
    }
    t.name = fnli_strndup(&m->mem, name, nlen);
    if (t.name == NULL) {
        *why = "out of memory";
        return FNL_ENOMEM;
    }
    t.expr = *expr;
    m->th[m->nth++] = t;
    expr->n = NULL;
    expr->count = 0;
    return FNL_OK;
}

static int ordered(const double *min, uint32_t set)
{
    int i, j;
    for (i = 0; i < 3; i++)
        for (j = i + 1; j < 3; j++)
            if ((set >> i & 1) && (set >> j & 1) && min[i] < min[j])
                return 0;
    return 1;
}

static uint64_t fnv1a(const char *s, size_t n)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    size_t i;
    for (i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

int fnli_model_finish(fnl_model *m, const char **why)
{
    size_t i, off = sizeof(fnli_score_hdr);
    int rc;
    if (!ordered(m->grade_min, m->grade_set)) {
        *why = "grade thresholds must not increase from A to C";
        return FNL_EINVAL;
    }
    if (!ordered(m->band_min, m->band_set)) {
        *why = "band thresholds must not increase from 1 to 3";
        return FNL_EINVAL;
    }
    m->value_eng = m->value_ev = m->capped = m->windowed = 0;
    for (i = 0; i < m->neng; i++) {
        fnli_rule *r = &m->eng[i];
        r->cap_off = r->ring_off = 0;
        if (r->has_value)
            m->value_eng |= UINT64_C(1) << i;
        if (r->cap > 0) {
            m->capped |= UINT64_C(1) << i;
            r->cap_off = (uint32_t)off;
            off += 8;
        }
    }
    for (i = 0; i < m->neng; i++) {
        fnli_rule *r = &m->eng[i];
        if (r->count > 0) {
            m->windowed |= UINT64_C(1) << i;
            r->ring_off = (uint32_t)off;
            off += 8 * (size_t)r->count + 8;
        }
    }
    for (i = 0; i < m->nev; i++) {
        fnli_rule *r = &m->ev[i];
        if (r->has_value)
            m->value_ev |= UINT64_C(1) << i;
        r->ring_off = (uint32_t)off;
        off += 8 * (size_t)r->count + 16;
    }
    if (off > 65536) {
        *why = "per-contact state would exceed 64 KiB (windows too large)";
        return FNL_ELIMIT;
    }
    rc = fnli_model_render(m);
    if (rc != FNL_OK) {
        *why = "out of memory";
        return rc;
    }
    m->state_size = (uint32_t)off;
    m->fingerprint = fnv1a(m->text, m->text_len);
    m->finished = 1;
    return FNL_OK;
}

/* ---- public: builder -------------------------------------------------------- */

static fnl_model *live(fnl_model_builder *b)
{
    return b != NULL ? b->m : NULL;
}

FNL_API int fnl_model_builder_new(fnl_model_builder **out, const char *name,
                                  const fnl_allocator *alloc)
{
    fnl_model *m;
    fnl_model_builder *b;
    int rc;
    if (out == NULL || !text_ok(name, FNL_MAX_NAME))
        return FNL_EINVAL;
    rc = fnli_model_new(&m, name, strlen(name), alloc);
    if (rc != FNL_OK)
        return rc;
    b = fnli_malloc(&m->mem, sizeof(*b));
    if (b == NULL) {
        fnli_model_destroy(m);
        return FNL_ENOMEM;
    }
    b->m = m;
    b->mem = m->mem;
    *out = b;
    return FNL_OK;
}

FNL_API void fnl_model_builder_free(fnl_model_builder *b)
{
    fnli_mem mem;
    if (b == NULL)
        return;
    mem = b->mem;
    fnli_model_destroy(b->m);
    fnli_free(&mem, b, sizeof(*b));
}

FNL_API int fnl_model_builder_version(fnl_model_builder *b, uint32_t version)
{
    fnl_model *m = live(b);
    if (m == NULL)
        return FNL_EINVAL;
    m->version = version;
    return FNL_OK;
}

FNL_API int fnl_model_builder_decay(fnl_model_builder *b, int64_t half_life)
{
    fnl_model *m = live(b);
    if (m == NULL || half_life < 0 || half_life > FNL_MODEL_MAX_DURATION)
        return FNL_EINVAL;
    m->half_life = half_life;
    return FNL_OK;
}

static int size_ok(uint32_t size, size_t need)
{
    return size >= need;
}

FNL_API int fnl_model_builder_fit(fnl_model_builder *b, const fnl_fit_rule *r)
{
    fnl_model *m = live(b);
    const char *why;
    if (m == NULL || r == NULL ||
        !size_ok(r->size, offsetof(fnl_fit_rule, points) + sizeof(double)))
        return FNL_EINVAL;
    return fnli_model_add_rule(m, FNLI_RULE_FIT, NULL, r->conds, r->cond_count,
                               r->points, 0, 0, 0, &why);
}

FNL_API int fnl_model_builder_engage(fnl_model_builder *b,
                                     const fnl_engage_rule *r)
{
    fnl_model *m = live(b);
    const char *why;
    if (m == NULL || r == NULL ||
        !size_ok(r->size, offsetof(fnl_engage_rule, window_ms) + 8))
        return FNL_EINVAL;
    return fnli_model_add_rule(m, FNLI_RULE_ENGAGE, NULL, r->conds,
                               r->cond_count, r->points, r->cap,
                               r->window_count, r->window_ms, &why);
}

FNL_API int fnl_model_builder_key_event(fnl_model_builder *b,
                                        const fnl_key_event_rule *r)
{
    fnl_model *m = live(b);
    const char *why;
    if (m == NULL || r == NULL ||
        !size_ok(r->size, offsetof(fnl_key_event_rule, points) + 8))
        return FNL_EINVAL;
    return fnli_model_add_rule(m, FNLI_RULE_EVENT, r->name, r->conds,
                               r->cond_count, r->points, 0, r->count,
                               r->within_ms, &why);
}

FNL_API int fnl_model_builder_grade(fnl_model_builder *b, char grade,
                                    double min_fit)
{
    fnl_model *m = live(b);
    int i = fnli_upper(grade) - 'A';
    if (m == NULL || i < 0 || i > 2 || !fnli_number_ok(min_fit))
        return FNL_EINVAL;
    m->grade_min[i] = min_fit;
    m->grade_set |= 1u << i;
    return FNL_OK;
}

FNL_API int fnl_model_builder_band(fnl_model_builder *b, uint32_t band,
                                   double min_engagement)
{
    fnl_model *m = live(b);
    if (m == NULL || band < 1 || band > 3 || !fnli_number_ok(min_engagement))
        return FNL_EINVAL;
    m->band_min[band - 1] = min_engagement;
    m->band_set |= 1u << (band - 1);
    return FNL_OK;
}

FNL_API int fnl_model_builder_threshold(fnl_model_builder *b, const char *name,
                                        const char *expr, fnl_parse_error *err)
{
    fnl_model *m = live(b);
    fnli_expr e;
    const char *why;
    int rc;
    if (m == NULL || name == NULL || expr == NULL ||
        (err != NULL && err->size < sizeof(fnl_parse_error)))
        return FNL_EINVAL;
    rc = fnli_expr_parse_text(expr, strlen(expr), &m->mem, m, &e, err);
    if (rc != FNL_OK)
        return rc;
    rc = fnli_model_add_threshold(m, name, strlen(name), &e, &why);
    if (rc != FNL_OK) {
        fnli_expr_free(&m->mem, &e);
        fnli_parse_error_set(err, 0, 0, why, NULL, 0);
    }
    return rc;
}

FNL_API int fnl_model_builder_rollup(fnl_model_builder *b, uint32_t mode,
                                     uint32_t top_n)
{
    fnl_model *m = live(b);
    if (m == NULL || mode < FNL_ROLLUP_SUM || mode > FNL_ROLLUP_TOP)
        return FNL_EINVAL;
    if (mode == FNL_ROLLUP_TOP ? (top_n < 1 || top_n > FNL_MODEL_MAX_TOP_N)
                               : top_n != 0)
        return FNL_EINVAL;
    m->rollup = mode;
    m->top_n = top_n;
    return FNL_OK;
}

FNL_API int fnl_model_builder_engaged(fnl_model_builder *b, const char *expr,
                                      fnl_parse_error *err)
{
    fnl_model *m = live(b);
    fnli_expr e;
    int rc;
    if (m == NULL || expr == NULL ||
        (err != NULL && err->size < sizeof(fnl_parse_error)))
        return FNL_EINVAL;
    rc = fnli_expr_parse_text(expr, strlen(expr), &m->mem, m, &e, err);
    if (rc != FNL_OK)
        return rc;
    fnli_expr_free(&m->mem, &m->engaged);
    m->engaged = e;
    return FNL_OK;
}

FNL_API int fnl_model_builder_roles(fnl_model_builder *b, uint32_t role_mask)
{
    fnl_model *m = live(b);
    if (m == NULL || role_mask == 0 || (role_mask & ~UINT32_C(0x7e)) != 0)
        return FNL_EINVAL;
    m->roles = role_mask;
    return FNL_OK;
}

FNL_API int fnl_model_builder_finish(fnl_model_builder *b, fnl_model **out)
{
    fnl_model *m = live(b);
    const char *why;
    int rc;
    if (m == NULL || out == NULL)
        return FNL_EINVAL;
    rc = fnli_model_finish(m, &why);
    if (rc != FNL_OK)
        return rc;
    b->m = NULL; /* spent */
    *out = m;
    return FNL_OK;
}

/* ---- public: model --------------------------------------------------------- */

FNL_API void fnl_model_free(fnl_model *model)
{
    fnli_model_destroy(model);
}

FNL_API const char *fnl_model_name(const fnl_model *model)
{
    return model != NULL ? model->name : "";
}

FNLI_DEFINE_INIT(fnl_model_info_init, fnl_model_info, FNL_MODEL_INFO_INIT)

FNL_API int fnl_model_get_info(const fnl_model *model, fnl_model_info *out)
{
    fnl_model_info i = FNL_MODEL_INFO_INIT;
    uint32_t size;
    if (model == NULL || out == NULL || out->size < sizeof(uint32_t))
        return FNL_EINVAL;
    size = out->size < sizeof(i) ? out->size : (uint32_t)sizeof(i);
    i.name = model->name;
    i.version = model->version;
    i.half_life = model->half_life;
    i.fit_rules = (uint32_t)model->nfit;
    i.engage_rules = (uint32_t)model->neng;
    i.key_events = (uint32_t)model->nev;
    i.thresholds = (uint32_t)model->nth;
    i.fingerprint = model->fingerprint;
    i.size = size;
    memcpy(out, &i, size);
    return FNL_OK;
}

FNL_API int fnl_model_to_text(const fnl_model *model, char *buf, size_t cap,
                              size_t *len)
{
    if (model == NULL || len == NULL || (buf == NULL && cap != 0))
        return FNL_EINVAL;
    *len = model->text_len;
    if (cap <= model->text_len)
        return FNL_ERANGE;
    memcpy(buf, model->text, model->text_len + 1);
    return FNL_OK;
}

FNL_API const char *fnl_model_key_event_name(const fnl_model *model,
                                             uint32_t index)
{
    if (model == NULL || index >= model->nev)
        return NULL;
    return model->ev[index].name;
}

FNL_API const char *fnl_model_threshold_name(const fnl_model *model,
                                             uint32_t index)
{
    if (model == NULL || index >= model->nth)
        return NULL;
    return model->th[index].name;
}

FNL_API int fnl_model_threshold_find(const fnl_model *model, const char *name,
                                     uint32_t *index)
{
    size_t i;
    if (model == NULL || name == NULL || index == NULL)
        return FNL_EINVAL;
    for (i = 0; i < model->nth; i++)
        if (fnli_ascii_casecmp_n(model->th[i].name, strlen(model->th[i].name),
                                 name, strlen(name)) == 0) {
            *index = (uint32_t)i;
            return FNL_OK;
        }
    return FNL_ENOTFOUND;
}

FNL_API int fnl_model_threshold_eval(const fnl_model *model, uint32_t index,
                                     const fnl_score_result *r, int *out)
{
    if (model == NULL || r == NULL || out == NULL)
        return FNL_EINVAL;
    if (index >= model->nth)
        return FNL_ENOTFOUND;
    *out = fnli_expr_eval(&model->th[index].expr, r);
    return FNL_OK;
}

FNLI_DEFINE_INIT(fnl_fit_rule_init, fnl_fit_rule, FNL_FIT_RULE_INIT)
FNLI_DEFINE_INIT(fnl_engage_rule_init, fnl_engage_rule, FNL_ENGAGE_RULE_INIT)
FNLI_DEFINE_INIT(fnl_key_event_rule_init, fnl_key_event_rule,
                 FNL_KEY_EVENT_RULE_INIT)
FNLI_DEFINE_INIT(fnl_score_result_init, fnl_score_result,
                 FNL_SCORE_RESULT_INIT)
FNLI_DEFINE_INIT(fnl_account_score_init, fnl_account_score,
                 FNL_ACCOUNT_SCORE_INIT)
FNLI_DEFINE_INIT(fnl_parse_error_init, fnl_parse_error, FNL_PARSE_ERROR_INIT)
