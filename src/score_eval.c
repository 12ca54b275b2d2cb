/* score_eval.c -- the standalone evaluation API: score, explain and list
 * the key events of one contact from its profile and timeline, and roll
 * contacts up into an account score.  Every call is a full, exact replay
 * through the same code the engine's incremental path uses (scoring.c). */
#include <stdlib.h>
#include <string.h>
#include "model.h"
#include "scoring.h"

/* Scratch of one evaluation: the touches up to t, matched and sorted,
 * and a state.  Allocated from a private copy of the model's allocator
 * (the model itself is never written, so it may be shared by threads). */
typedef struct scratch {
    fnli_mem mem;
    fnli_score_tv *touches;
    size_t n;
    size_t cap;
    fnli_score_state *st;
    size_t st_size;
} scratch;

typedef struct keyed {
    int64_t time;
    size_t idx;
} keyed;

static int keyed_cmp(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static const fnl_touch_info *touch_at(const fnl_touch_info *t, size_t elem,
                                      size_t i)
{
    return (const fnl_touch_info *)(const void *)((const char *)t + elem * i);
}

static void scratch_free(scratch *s)
{
    if (s->touches != NULL)
        fnli_free(&s->mem, s->touches, s->cap * sizeof(fnli_score_tv));
    if (s->st != NULL)
        fnli_free(&s->mem, s->st, s->st_size);
}

static int scratch_fill(scratch *s, const fnl_model *m,
                        const fnl_touch_info *touches, size_t elem, size_t n,
                        int64_t t)
{
    keyed *keys = NULL;
    size_t i, k = 0;
    int sorted = 1;
    memset(s, 0, sizeof(*s));
    s->mem = m->mem;
    s->mem.bytes = s->mem.peak = 0;
    s->st = fnli_malloc(&s->mem, m->state_size);
    if (s->st == NULL)
        return FNL_ENOMEM;
    s->st_size = m->state_size;
    fnli_score_state_init(m, s->st);
    if (n == 0)
        return FNL_OK;
    s->touches = fnli_calloc(&s->mem, n, sizeof(fnli_score_tv));
    keys = fnli_calloc(&s->mem, n, sizeof(keyed));
    if (s->touches == NULL || keys == NULL) {
        if (keys != NULL)
            fnli_free(&s->mem, keys, n * sizeof(keyed));
        s->cap = n; /* scratch_free() frees touches of n entries */
        scratch_free(s);
        return FNL_ENOMEM;
    }
    s->cap = n;
    for (i = 0; i < n; i++) {
        const fnl_touch_info *ti = touch_at(touches, elem, i);
        if (ti->time > t)
            continue;
        if (k > 0 && ti->time < keys[k - 1].time)
            sorted = 0;
        keys[k].time = ti->time;
        keys[k].idx = i;
        k++;
    }
    if (!sorted)
        fnli_qsort(keys, k, sizeof(keyed), keyed_cmp);
    for (i = 0; i < k; i++) {
        const fnl_touch_info *ti = touch_at(touches, elem, keys[i].idx);
        const char *f[9];
        fnli_class_fields cf;
        fnli_class_match cm;
        size_t j;
        f[0] = ti->type, f[1] = ti->channel, f[2] = ti->campaign;
        f[3] = ti->content, f[4] = ti->utm_source, f[5] = ti->utm_medium;
        f[6] = ti->utm_campaign, f[7] = ti->utm_term, f[8] = ti->utm_content;
        for (j = 0; j < 9; j++) {
            cf.p[j] = f[j];
            cf.n[j] = f[j] != NULL ? strlen(f[j]) : 0;
        }
        fnli_model_match_class(m, &cf, &cm);
        s->touches[i].time = ti->time;
        s->touches[i].value = ti->value;
        s->touches[i].engage = cm.engage;
        s->touches[i].events = cm.events;
    }
    s->n = k;
    fnli_free(&s->mem, keys, n * sizeof(keyed));
    return FNL_OK;
}

static int check_args(const fnl_model *m, const fnl_attr *attrs, size_t na,
                      const fnl_touch_info *touches, size_t elem, size_t nt,
                      int64_t t)
{
    if (m == NULL || (attrs == NULL && na != 0) ||
        (touches == NULL && nt != 0) || t < FNL_TIME_MIN || t > FNL_TIME_MAX)
        return FNL_EINVAL;
    if (nt != 0 && elem < offsetof(fnl_touch_info, by))
        return FNL_EINVAL;
    return FNL_OK;
}

FNL_API int fnl_model_score(const fnl_model *model, const fnl_attr *attrs,
                            size_t attr_count, const fnl_touch_info *touches,
                            size_t elem_size, size_t touch_count, int64_t t,
                            fnl_score_result *out)
{
    scratch s;
    int rc = check_args(model, attrs, attr_count, touches, elem_size,
                        touch_count, t);
    if (rc != FNL_OK || out == NULL || out->size < sizeof(uint32_t))
        return FNL_EINVAL;
    rc = scratch_fill(&s, model, touches, elem_size, touch_count, t);
    if (rc != FNL_OK)
        return rc;
    fnli_score_profile(model, s.st, attrs, attr_count, NULL, NULL);
    fnli_score_replay(model, s.st, s.touches, s.n, NULL, NULL, NULL);
    fnli_score_at(model, s.st, t, out);
    scratch_free(&s);
    return FNL_OK;
}

FNL_API int fnl_model_explain(const fnl_model *model, const fnl_attr *attrs,
                              size_t attr_count, const fnl_touch_info *touches,
                              size_t elem_size, size_t touch_count, int64_t t,
                              fnl_score_row *rows, size_t cap, size_t *count)
{
    scratch s;
    fnli_score_detail d;
    size_t nr, i, nd;
    double f;
    uint64_t *u64;
    double *dbl;
    int rc = check_args(model, attrs, attr_count, touches, elem_size,
                        touch_count, t);
    if (rc != FNL_OK || count == NULL || (rows == NULL && cap != 0))
        return FNL_EINVAL;
    nr = model->nfit + model->neng + model->nev;
    *count = nr;
    if (cap < nr)
        return FNL_ERANGE;
    rc = scratch_fill(&s, model, touches, elem_size, touch_count, t);
    if (rc != FNL_OK)
        return rc;
    nd = model->neng + model->nev;
    u64 = fnli_calloc(&s.mem, 2 * nd + 1, sizeof(uint64_t));
    dbl = fnli_calloc(&s.mem, 2 * nd + 1, sizeof(double));
    if (u64 == NULL || dbl == NULL) {
        if (u64 != NULL)
            fnli_free(&s.mem, u64, (2 * nd + 1) * sizeof(uint64_t));
        if (dbl != NULL)
            fnli_free(&s.mem, dbl, (2 * nd + 1) * sizeof(double));
        fnli_free(&s.mem, s.st, model->state_size);
        s.st = NULL;
        scratch_free(&s);
        return FNL_ENOMEM;
    }
    d.matched = u64;
    d.counted = u64 + nd;
    d.raw = dbl;
    d.anchored = dbl + nd;
    fnli_score_replay(model, s.st, s.touches, s.n, NULL, NULL, &d);
    f = fnli_score_factor(model, s.st, s.st->h.last != INT64_MIN &&
                                               t < s.st->h.last
                                           ? s.st->h.last
                                           : t);
    for (i = 0; i < nr; i++) {
        fnl_score_row r;
        memset(&r, 0, sizeof(r));
        if (i < model->nfit) {
            int hit = fnli_fit_rule_matches(model, i, attrs, attr_count, NULL,
                                            NULL);
            r.kind = FNL_RULE_FIT;
            r.index = (uint32_t)i;
            r.rule = model->fit[i].text;
            r.points = model->fit[i].points;
            r.matched = r.counted = (uint64_t)hit;
            r.raw = r.value = hit ? r.points : 0.0;
        } else {
            size_t k = i - model->nfit;
            const fnli_rule *ru = k < model->neng ? &model->eng[k]
                                                  : &model->ev[k - model->neng];
            r.kind = k < model->neng ? FNL_RULE_ENGAGE : FNL_RULE_KEY_EVENT;
            r.index = (uint32_t)(k < model->neng ? k : k - model->neng);
            r.rule = ru->text;
            r.points = ru->points;
            r.matched = d.matched[k];
            r.counted = d.counted[k];
            r.raw = d.raw[k];
            r.value = d.anchored[k] * f;
            if (r.value == 0)
                r.value = 0;
        }
        rows[i] = r;
    }
    fnli_free(&s.mem, u64, (2 * nd + 1) * sizeof(uint64_t));
    fnli_free(&s.mem, dbl, (2 * nd + 1) * sizeof(double));
    scratch_free(&s);
    return FNL_OK;
}

typedef struct fires {
    const fnl_model *m;
    fnl_key_event_fire *out;
    size_t n;
} fires;

static void on_fire(void *ctx, uint32_t event, int64_t time)
{
    fires *f = ctx;
    if (f->out != NULL) {
        f->out[f->n].event = event;
        f->out[f->n].name = f->m->ev[event].name;
        f->out[f->n].time = time;
    }
    f->n++;
}

FNL_API int fnl_model_key_event_history(const fnl_model *model,
                                        const fnl_touch_info *touches,
                                        size_t elem_size, size_t touch_count,
                                        int64_t t, fnl_key_event_fire *out,
                                        size_t cap, size_t *count)
{
    scratch s;
    fires f;
    int rc = check_args(model, NULL, 0, touches, elem_size, touch_count, t);
    if (rc != FNL_OK || count == NULL || (out == NULL && cap != 0))
        return FNL_EINVAL;
    rc = scratch_fill(&s, model, touches, elem_size, touch_count, t);
    if (rc != FNL_OK)
        return rc;
    /* count first, so that a short buffer is left untouched */
    f.m = model;
    f.out = NULL;
    f.n = 0;
    fnli_score_replay(model, s.st, s.touches, s.n, on_fire, &f, NULL);
    *count = f.n;
    if (f.n <= cap && f.n > 0) {
        f.out = out;
        f.n = 0;
        fnli_score_replay(model, s.st, s.touches, s.n, on_fire, &f, NULL);
    }
    scratch_free(&s);
    return *count <= cap ? FNL_OK : FNL_ERANGE;
}

/* ---- accounts -------------------------------------------------------------- */

static int engaged(const fnl_model *m, const fnl_score_result *r)
{
    if (m->engaged.count == 0)
        return r->engagement > 0;
    return fnli_expr_eval(&m->engaged, r);
}

static uint32_t popcount32(uint32_t x)
{
    uint32_t n = 0;
    for (; x != 0; x &= x - 1)
        n++;
    return n;
}

/* Keep the n largest values seen, in descending order. */
static void top_insert(double *top, size_t *ntop, size_t n, double x)
{
    size_t j;
    if (n == 0)
        return;
    if (*ntop < n)
        j = (*ntop)++;
    else if (x > top[*ntop - 1])
        j = *ntop - 1;
    else
        return;
    while (j > 0 && top[j - 1] < x) {
        top[j] = top[j - 1];
        j--;
    }
    top[j] = x;
}

FNL_API int fnl_model_account_score(const fnl_model *model,
                                    const fnl_account_member *members,
                                    size_t count, fnl_account_score *out)
{
    fnl_account_score a = FNL_ACCOUNT_SCORE_INIT;
    double top[FNL_MODEL_MAX_TOP_N];
    size_t i, ntop = 0;
    uint32_t size;
    if (model == NULL || out == NULL || out->size < sizeof(uint32_t) ||
        (members == NULL && count != 0))
        return FNL_EINVAL;
    for (i = 0; i < count; i++)
        if (members[i].score == NULL || members[i].role > FNL_ROLE_OTHER)
            return FNL_EINVAL;
    for (i = 0; i < count; i++) {
        const fnl_score_result *r = members[i].score;
        double x = r->total;
        if (model->rollup == FNL_ROLLUP_SUM) {
            a.score += x;
        } else if (model->rollup == FNL_ROLLUP_MAX) {
            if (i == 0 || x > a.score)
                a.score = x;
        } else {
            top_insert(top, &ntop, model->top_n, x);
        }
        if (engaged(model, r)) {
            a.engaged++;
            if (members[i].role != FNL_ROLE_NONE)
                a.roles_engaged |= 1u << members[i].role;
        }
    }
    if (model->rollup == FNL_ROLLUP_TOP && ntop > 0) {
        double sum = 0;
        for (i = 0; i < ntop; i++)
            sum += top[i];
        a.score = sum / (double)ntop;
    }
    a.contacts = (uint32_t)(count > UINT32_MAX ? UINT32_MAX : count);
    a.roles_required = model->roles;
    a.roles_covered = popcount32(a.roles_engaged & model->roles);
    a.coverage = model->roles != 0
                     ? (double)a.roles_covered / (double)popcount32(model->roles)
                     : 0.0;
    size = out->size < sizeof(a) ? out->size : (uint32_t)sizeof(a);
    a.size = size;
    memcpy(out, &a, size);
    return FNL_OK;
}
