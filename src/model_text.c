/* model_text.c -- the canonical text of a model: one line per statement
 * in a fixed order, numbers in their shortest exact decimal form,
 * durations in the largest whole unit.  Parsing the text gives the same
 * model, and printing that gives the same text (docs/scoring.md). */
#include <math.h>
#include <string.h>
#include "model.h"
#include "text.h"

void fnli_buf_put(fnli_buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->n + n + 1 > b->cap) {
        void *p = b->p;
        size_t cap = b->cap;
        if (fnli_grow(b->mem, &p, &cap, b->n + n + 1, 1, 128) != FNL_OK) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

void fnli_buf_str(fnli_buf *b, const char *s)
{
    fnli_buf_put(b, s, strlen(s));
}

static void put_u64(fnli_buf *b, uint64_t v, size_t min_digits)
{
    char d[24];
    size_t n = 0;
    do {
        d[sizeof(d) - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0 || n < min_digits);
    fnli_buf_put(b, d + sizeof(d) - n, n);
}

/* Shortest exact decimal of x (fnli_number_ok() numbers): locale-free. */
void fnli_buf_num(fnli_buf *b, double x)
{
    /* 10^k, exact in a double: the loop counts with an integer */
    static const double scale[] = {1e0, 1e1, 1e2, 1e3, 1e4,
                                   1e5, 1e6, 1e7, 1e8, 1e9};
    uint64_t pow = 1;
    size_t k;
    if (x < 0) {
        fnli_buf_put(b, "-", 1);
        x = -x;
    }
    for (k = 0; k < sizeof(scale) / sizeof(scale[0]); k++, pow *= 10) {
        double r = round(x * scale[k]);
        if (r < 9007199254740992.0 && r / scale[k] == x) {
            uint64_t m = (uint64_t)r;
            put_u64(b, m / pow, 1);
            if (k > 0) {
                fnli_buf_put(b, ".", 1);
                put_u64(b, m % pow, k);
            }
            return;
        }
    }
    fnli_buf_put(b, "0", 1); /* not reached for validated numbers */
}

static void points(fnli_buf *b, double x)
{
    if (x >= 0)
        fnli_buf_put(b, "+", 1);
    fnli_buf_num(b, x);
}

static void duration(fnli_buf *b, int64_t ms)
{
    static const struct { const char *u; int64_t ms; } units[] = {
        {"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000},
        {"ms", 1}};
    size_t i;
    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (ms % units[i].ms == 0) {
            put_u64(b, (uint64_t)(ms / units[i].ms), 1);
            fnli_buf_str(b, units[i].u);
            return;
        }
}

void fnli_buf_quoted(fnli_buf *b, const char *s, size_t n)
{
    size_t i, run = 0;
    fnli_buf_put(b, "\"", 1);
    for (i = 0; i < n; i++) {
        const char *esc = s[i] == '"' ? "\\\"" : s[i] == '\\' ? "\\\\"
                          : s[i] == '\n' ? "\\n" : s[i] == '\t' ? "\\t" : NULL;
        if (esc == NULL)
            continue;
        fnli_buf_put(b, s + run, i - run);
        fnli_buf_str(b, esc);
        run = i + 1;
    }
    fnli_buf_put(b, s + run, n - run);
    fnli_buf_put(b, "\"", 1);
}

/* Words the parser gives a meaning after a field name or in a rule's
 * tail; a value spelled like one is quoted. */
static const char *const keywords[] = {
    "and", "or", "not", "in", "equals", "contains", "starts_with",
    "ends_with", "exists", "missing", "between", "domain", "freemail",
    "cap", "per_window", "count", "within", "when"};

void fnli_buf_value(fnli_buf *b, const char *s, size_t n)
{
    size_t i;
    int word = n > 0 && (fnli_is_alpha(s[0]) || s[0] == '_');
    for (i = 1; word && i < n; i++)
        word = fnli_is_alpha(s[i]) || fnli_is_digit(s[i]) || s[i] == '_' ||
               s[i] == '.' || s[i] == '-';
    for (i = 0; word && i < sizeof(keywords) / sizeof(keywords[0]); i++)
        if (fnli_ascii_casecmp_n(s, n, keywords[i], strlen(keywords[i])) == 0)
            word = 0;
    if (word)
        fnli_buf_put(b, s, n);
    else
        fnli_buf_quoted(b, s, n);
}

static void value_list(fnli_buf *b, const fnli_cond *c)
{
    size_t i;
    fnli_buf_put(b, "(", 1);
    for (i = 0; i < c->nvalues; i++) {
        if (i > 0)
            fnli_buf_put(b, ", ", 2);
        fnli_buf_value(b, c->values[i], c->lens[i]);
    }
    fnli_buf_put(b, ")", 1);
}

static void cond(fnli_buf *b, const fnli_cond *c)
{
    static const char *const cmp[] = {">= ", "> ", "<= ", "< "};
    const char *neg = c->negate ? "not " : "";
    fnli_buf_str(b, c->name);
    fnli_buf_put(b, " ", 1);
    switch (c->op) {
    case FNL_MATCH_EQUALS:
        fnli_buf_str(b, c->negate ? "!= " : "= ");
        fnli_buf_value(b, c->values[0], c->lens[0]);
        break;
    case FNL_MATCH_IN:
        fnli_buf_str(b, neg);
        fnli_buf_str(b, "in ");
        value_list(b, c);
        break;
    case FNL_MATCH_CONTAINS: case FNL_MATCH_PREFIX: case FNL_MATCH_SUFFIX:
        fnli_buf_str(b, neg);
        fnli_buf_str(b, c->op == FNL_MATCH_CONTAINS ? "contains "
                        : c->op == FNL_MATCH_PREFIX ? "starts_with "
                                                    : "ends_with ");
        fnli_buf_value(b, c->values[0], c->lens[0]);
        break;
    case FNL_MATCH_EXISTS:
        fnli_buf_str(b, "exists");
        break;
    case FNL_MATCH_MISSING:
        fnli_buf_str(b, "missing");
        break;
    case FNL_MATCH_NUM_EQ:
        fnli_buf_str(b, "= ");
        fnli_buf_num(b, c->num1);
        break;
    case FNL_MATCH_GE: case FNL_MATCH_GT: case FNL_MATCH_LE: case FNL_MATCH_LT:
        fnli_buf_str(b, cmp[c->op - FNL_MATCH_GE]);
        fnli_buf_num(b, c->num1);
        break;
    case FNL_MATCH_BETWEEN:
        fnli_buf_str(b, "between ");
        fnli_buf_num(b, c->num1);
        fnli_buf_str(b, " and ");
        fnli_buf_num(b, c->num2);
        break;
    case FNL_MATCH_FREEMAIL:
        fnli_buf_str(b, neg);
        fnli_buf_str(b, "freemail");
        break;
    case FNL_MATCH_DOMAIN:
        fnli_buf_str(b, neg);
        fnli_buf_str(b, "domain in ");
        value_list(b, c);
        break;
    default:
        break;
    }
}

static void rule(fnli_buf *b, const fnli_rule *r)
{
    size_t i;
    if (r->kind == FNLI_RULE_FIT) {
        fnli_buf_str(b, "fit ");
    } else if (r->kind == FNLI_RULE_ENGAGE) {
        fnli_buf_str(b, "engage ");
    } else {
        fnli_buf_str(b, "key_event ");
        fnli_buf_quoted(b, r->name, strlen(r->name));
        fnli_buf_str(b, " when ");
    }
    for (i = 0; i < r->nconds; i++) {
        if (i > 0)
            fnli_buf_str(b, " and ");
        cond(b, &r->conds[i]);
    }
    if (r->kind == FNLI_RULE_EVENT) {
        if (r->count > 1) {
            fnli_buf_str(b, " count ");
            put_u64(b, r->count, 1);
        }
        if (r->period > 0) {
            fnli_buf_str(b, " within ");
            duration(b, r->period);
        }
    }
    fnli_buf_put(b, " ", 1);
    points(b, r->points);
    if (r->kind == FNLI_RULE_ENGAGE) {
        if (r->cap > 0) {
            fnli_buf_str(b, " cap ");
            fnli_buf_num(b, r->cap);
        }
        if (r->count > 0) {
            fnli_buf_str(b, " per_window ");
            put_u64(b, r->count, 1);
            fnli_buf_str(b, " in ");
            duration(b, r->period);
        }
    }
}

static int render_rules(fnl_model *m, fnli_rule *rules, size_t n)
{
    size_t i;
    fnli_buf b;
    memset(&b, 0, sizeof(b));
    b.mem = &m->mem;
    for (i = 0; i < n; i++) {
        char *t;
        b.n = 0;
        rule(&b, &rules[i]);
        if (b.failed)
            break;
        t = fnli_strndup(&m->mem, b.p, b.n);
        if (t == NULL) {
            b.failed = 1;
            break;
        }
        if (rules[i].text != NULL)
            fnli_free(&m->mem, rules[i].text, strlen(rules[i].text) + 1);
        rules[i].text = t;
    }
    if (b.p != NULL)
        fnli_free(&m->mem, b.p, b.cap);
    return b.failed ? FNL_ENOMEM : FNL_OK;
}

static void model_text(fnli_buf *b, const fnl_model *m)
{
    size_t i;
    uint32_t r;
    int first;
    fnli_buf_str(b, "model ");
    fnli_buf_quoted(b, m->name, strlen(m->name));
    fnli_buf_str(b, " version ");
    put_u64(b, m->version, 1);
    fnli_buf_str(b, "\ndecay ");
    if (m->half_life > 0) {
        fnli_buf_str(b, "half_life ");
        duration(b, m->half_life);
    } else {
        fnli_buf_str(b, "none");
    }
    fnli_buf_str(b, "\n");
    for (i = 0; i < m->nfit; i++) {
        fnli_buf_str(b, m->fit[i].text);
        fnli_buf_str(b, "\n");
    }
    for (i = 0; i < m->neng; i++) {
        fnli_buf_str(b, m->eng[i].text);
        fnli_buf_str(b, "\n");
    }
    for (i = 0; i < m->nev; i++) {
        fnli_buf_str(b, m->ev[i].text);
        fnli_buf_str(b, "\n");
    }
    for (i = 0; i < 3; i++)
        if (m->grade_set >> i & 1) {
            char g[] = "grade A fit >= ";
            g[6] = (char)('A' + i);
            fnli_buf_str(b, g);
            fnli_buf_num(b, m->grade_min[i]);
            fnli_buf_str(b, "\n");
        }
    for (i = 0; i < 3; i++)
        if (m->band_set >> i & 1) {
            char g[] = "band 1 engagement >= ";
            g[5] = (char)('1' + i);
            fnli_buf_str(b, g);
            fnli_buf_num(b, m->band_min[i]);
            fnli_buf_str(b, "\n");
        }
    for (i = 0; i < m->nth; i++) {
        fnli_buf_str(b, "threshold ");
        fnli_buf_str(b, m->th[i].name);
        fnli_buf_str(b, " when ");
        fnli_expr_print(b, &m->th[i].expr, m);
        fnli_buf_str(b, "\n");
    }
    fnli_buf_str(b, "account rollup ");
    if (m->rollup == FNL_ROLLUP_TOP) {
        fnli_buf_str(b, "top ");
        put_u64(b, m->top_n, 1);
    } else {
        fnli_buf_str(b, m->rollup == FNL_ROLLUP_MAX ? "max" : "sum");
    }
    fnli_buf_str(b, "\n");
    if (m->engaged.count > 0) {
        fnli_buf_str(b, "account engaged when ");
        fnli_expr_print(b, &m->engaged, m);
        fnli_buf_str(b, "\n");
    }
    fnli_buf_str(b, "account roles ");
    for (r = 1, first = 1; r <= FNL_ROLE_OTHER; r++)
        if (m->roles >> r & 1) {
            if (!first)
                fnli_buf_str(b, ", ");
            fnli_buf_str(b, fnl_role_name(r));
            first = 0;
        }
    fnli_buf_str(b, "\n");
}

int fnli_model_render(fnl_model *m)
{
    fnli_buf b;
    if (render_rules(m, m->fit, m->nfit) != FNL_OK ||
        render_rules(m, m->eng, m->neng) != FNL_OK ||
        render_rules(m, m->ev, m->nev) != FNL_OK)
        return FNL_ENOMEM;
    memset(&b, 0, sizeof(b));
    b.mem = &m->mem;
    model_text(&b, m);
    if (b.failed) {
        if (b.p != NULL)
            fnli_free(&m->mem, b.p, b.cap);
        return FNL_ENOMEM;
    }
    /* keep exactly len + 1 bytes so the free size is known */
    if (m->text != NULL)
        fnli_free(&m->mem, m->text, m->text_len + 1);
    m->text = fnli_strndup(&m->mem, b.p, b.n);
    fnli_free(&m->mem, b.p, b.cap);
    if (m->text == NULL)
        return FNL_ENOMEM;
    m->text_len = b.n;
    return FNL_OK;
}
