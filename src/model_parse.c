/* model_parse.c -- the text format of scoring models (docs/scoring.md):
 * one statement per line, parsed into the same calls the builder makes,
 * then compiled.  Any error frees everything: no partial model. */
#include <stdio.h>
#include <string.h>
#include "model.h"
#include "text.h"

#define MAXV (FNL_MODEL_MAX_CONDS * FNL_MODEL_MAX_VALUES)

typedef struct pctx {
    fnl_model *m;
    fnli_lexer lx;
    uint32_t line;
    /* the statement being parsed */
    fnl_match conds[FNL_MODEL_MAX_CONDS];
    size_t nconds;
    size_t voff[MAXV];        /* value offsets into text */
    const char *vptr[MAXV];
    size_t nv;
    size_t name_off[FNL_MODEL_MAX_CONDS];
    size_t value_first[FNL_MODEL_MAX_CONDS]; /* index of its first value */
    fnli_buf text;            /* NUL-terminated values */
    /* error */
    int rc;
    uint32_t err_col;
    const char *why;
    const char *detail;
    size_t detail_n;
    /* singletons seen */
    uint32_t seen;
    uint32_t order_line;      /* last grade/band line, for finish errors */
    char sbuf[FNL_MAX_STRING];
} pctx;

enum { SEEN_DECAY = 1, SEEN_ROLLUP = 2, SEEN_ENGAGED = 4, SEEN_ROLES = 8 };

void fnli_parse_error_set(fnl_parse_error *err, uint32_t line, uint32_t col,
                          const char *msg, const char *detail, size_t dn)
{
    if (err == NULL)
        return;
    err->line = line;
    err->column = col;
    if (detail != NULL) {
        if (dn > 64)
            dn = 64;
        snprintf(err->message, sizeof(err->message), "%s '%.*s'", msg,
                 (int)dn, detail);
    } else {
        snprintf(err->message, sizeof(err->message), "%s", msg);
    }
}

static int perr(pctx *c, const char *why)
{
    c->rc = FNL_EINVAL;
    c->why = why;
    c->err_col = (uint32_t)c->lx.tok.col;
    c->detail = NULL;
    return FNL_EINVAL;
}

/* An error naming the current token. */
static int perr_tok(pctx *c, const char *why)
{
    perr(c, why);
    if (c->lx.tok.kind != FNLI_T_END) {
        c->detail = c->lx.tok.p;
        c->detail_n = c->lx.tok.n;
    }
    return FNL_EINVAL;
}

static int next(pctx *c)
{
    if (fnli_lex_next(&c->lx) != FNL_OK) {
        c->rc = FNL_EINVAL;
        c->why = c->lx.err;
        c->err_col = (uint32_t)c->lx.err_col;
        c->detail = NULL;
        return FNL_EINVAL;
    }
    return FNL_OK;
}

static int expect_word(pctx *c, const char *kw, const char *why)
{
    if (!fnli_lex_is(&c->lx, kw))
        return perr_tok(c, why);
    return next(c);
}

static int is_kind(pctx *c, int kind)
{
    return c->lx.tok.kind == kind;
}

/* Store the current token's text (decoded for strings) as a value. */
static int take_value(pctx *c)
{
    size_t n = c->lx.tok.n;
    if (c->nv >= MAXV)
        return perr(c, "too many values");
    if (n == 0)
        return perr(c, "empty value");
    c->voff[c->nv++] = c->text.n;
    fnli_buf_put(&c->text, c->lx.tok.p, n);
    fnli_buf_put(&c->text, "", 1);
    if (c->text.failed) {
        c->rc = FNL_ENOMEM;
        return FNL_ENOMEM;
    }
    return next(c);
}

static int is_value(pctx *c)
{
    return is_kind(c, FNLI_T_STRING) || is_kind(c, FNLI_T_WORD) ||
           is_kind(c, FNLI_T_NUMBER);
}

static int number(pctx *c, double *out, const char *why)
{
    if (!is_kind(c, FNLI_T_NUMBER))
        return perr_tok(c, why);
    *out = c->lx.tok.num;
    return next(c);
}

static int value_list(pctx *c, fnl_match *mt)
{
    size_t first = c->nv;
    if (!is_kind(c, FNLI_T_LPAREN))
        return perr_tok(c, "expected '(' and a list of values");
    if (next(c) != FNL_OK)
        return c->rc;
    for (;;) {
        if (!is_value(c))
            return perr_tok(c, "expected a value");
        if (c->nv - first >= FNL_MODEL_MAX_VALUES) {
            perr(c, "too many values in one list");
            c->rc = FNL_ELIMIT;
            return c->rc;
        }
        if (take_value(c) != FNL_OK)
            return c->rc;
        if (is_kind(c, FNLI_T_RPAREN))
            break;
        if (!is_kind(c, FNLI_T_COMMA))
            return perr_tok(c, "expected ',' or ')'");
        if (next(c) != FNL_OK)
            return c->rc;
    }
    mt->value_count = c->nv - first; /* values: pointers in resolve() */
    return next(c);
}

static int one_value(pctx *c, fnl_match *mt)
{
    if (!is_value(c))
        return perr_tok(c, "expected a value");
    if (take_value(c) != FNL_OK)
        return c->rc;
    mt->value_count = 1;
    return FNL_OK;
}

/* cond := NAME test */
static int cond(pctx *c, int fit)
{
    fnl_match *mt;
    static const struct { const char *kw; uint32_t op; } sops[] = {
        {"equals", FNL_MATCH_EQUALS}, {"contains", FNL_MATCH_CONTAINS},
        {"starts_with", FNL_MATCH_PREFIX}, {"ends_with", FNL_MATCH_SUFFIX}};
    size_t i;
    if (c->nconds >= FNL_MODEL_MAX_CONDS) {
        perr(c, "too many conditions in one rule");
        c->rc = FNL_ELIMIT;
        return c->rc;
    }
    mt = &c->conds[c->nconds];
    memset(mt, 0, sizeof(*mt));
    if (!is_kind(c, FNLI_T_WORD))
        return perr_tok(c, fit ? "expected an attribute name"
                               : "expected a touch field");
    if (!fit && fnli_score_field_find(c->lx.tok.p, c->lx.tok.n) < 0)
        return perr_tok(c, "unknown touch field");
    if (fit && c->lx.tok.n > FNL_MAX_NAME)
        return perr_tok(c, "attribute name too long");
    /* names and values are stored as offsets now, pointers in resolve() */
    c->name_off[c->nconds] = c->text.n;
    c->value_first[c->nconds] = c->nv;
    fnli_buf_put(&c->text, c->lx.tok.p, c->lx.tok.n);
    fnli_buf_put(&c->text, "", 1);
    if (c->text.failed) {
        c->rc = FNL_ENOMEM;
        return FNL_ENOMEM;
    }
    if (next(c) != FNL_OK)
        return c->rc;
    if (fnli_lex_is(&c->lx, "not")) {
        mt->negate = 1;
        if (next(c) != FNL_OK)
            return c->rc;
    }
    if (is_kind(c, FNLI_T_OP)) {
        int cmp = c->lx.tok.cmp;
        if (next(c) != FNL_OK)
            return c->rc;
        if (cmp == FNLI_CMP_EQ || cmp == FNLI_CMP_NE) {
            if (cmp == FNLI_CMP_NE) {
                if (mt->negate)
                    return perr(c, "'not' and '!=' together");
                mt->negate = 1;
            }
            if (is_kind(c, FNLI_T_NUMBER)) {
                if (mt->negate)
                    return perr(c, "numeric comparisons cannot be negated");
                mt->op = FNL_MATCH_NUM_EQ;
                return number(c, &mt->num1, "expected a number");
            }
            mt->op = FNL_MATCH_EQUALS;
            return one_value(c, mt);
        }
        if (mt->negate)
            return perr(c, "numeric comparisons cannot be negated");
        mt->op = cmp == FNLI_CMP_GE ? FNL_MATCH_GE
                 : cmp == FNLI_CMP_GT ? FNL_MATCH_GT
                 : cmp == FNLI_CMP_LE ? FNL_MATCH_LE : FNL_MATCH_LT;
        return number(c, &mt->num1, "expected a number");
    }
    for (i = 0; i < sizeof(sops) / sizeof(sops[0]); i++)
        if (fnli_lex_is(&c->lx, sops[i].kw)) {
            mt->op = sops[i].op;
            if (next(c) != FNL_OK)
                return c->rc;
            return one_value(c, mt);
        }
    if (fnli_lex_is(&c->lx, "in")) {
        mt->op = FNL_MATCH_IN;
        if (next(c) != FNL_OK)
            return c->rc;
        return value_list(c, mt);
    }
    if (fnli_lex_is(&c->lx, "domain")) {
        if (!fit)
            return perr_tok(c, "domain applies to profile attributes only");
        mt->op = FNL_MATCH_DOMAIN;
        if (next(c) != FNL_OK || expect_word(c, "in", "expected 'in'") != FNL_OK)
            return c->rc;
        return value_list(c, mt);
    }
    if (fnli_lex_is(&c->lx, "freemail")) {
        if (!fit)
            return perr_tok(c, "freemail applies to profile attributes only");
        mt->op = FNL_MATCH_FREEMAIL;
        return next(c);
    }
    if (mt->negate)
        return perr_tok(c, "expected =, equals, in, contains, starts_with, "
                           "ends_with, domain or freemail after 'not'");
    if (fnli_lex_is(&c->lx, "exists") || fnli_lex_is(&c->lx, "missing")) {
        mt->op = fnli_lex_is(&c->lx, "exists") ? FNL_MATCH_EXISTS
                                               : FNL_MATCH_MISSING;
        return next(c);
    }
    if (fnli_lex_is(&c->lx, "between")) {
        mt->op = FNL_MATCH_BETWEEN;
        if (next(c) != FNL_OK ||
            number(c, &mt->num1, "expected a number") != FNL_OK ||
            expect_word(c, "and", "expected 'and'") != FNL_OK ||
            number(c, &mt->num2, "expected a number") != FNL_OK)
            return c->rc;
        return FNL_OK;
    }
    return perr_tok(c, "unknown test (expected =, !=, equals, in, contains, "
                       "starts_with, ends_with, exists, missing, >=, >, <=, <, "
                       "between, domain or freemail)");
}

static int conds(pctx *c, int fit)
{
    c->nconds = 0;
    c->nv = 0;
    c->text.n = 0;
    for (;;) {
        if (cond(c, fit) != FNL_OK)
            return c->rc;
        c->nconds++;
        if (!fnli_lex_is(&c->lx, "and"))
            return FNL_OK;
        if (next(c) != FNL_OK)
            return c->rc;
    }
}

/* Turn the offsets stored in conds[] into pointers (the text buffer no
 * longer moves). */
static void resolve(pctx *c)
{
    size_t i;
    for (i = 0; i < c->nv; i++)
        c->vptr[i] = c->text.p + c->voff[i];
    for (i = 0; i < c->nconds; i++) {
        fnl_match *mt = &c->conds[i];
        mt->name = c->text.p + c->name_off[i];
        mt->values = mt->value_count ? &c->vptr[c->value_first[i]] : NULL;
    }
}

static int points(pctx *c, double *out)
{
    if (!is_kind(c, FNLI_T_NUMBER))
        return perr_tok(c, "expected points, e.g. +10 or -5");
    if (!c->lx.tok.sign)
        return perr_tok(c, "points need a sign, e.g. +10 or -5");
    *out = c->lx.tok.num;
    return next(c);
}

static int end(pctx *c)
{
    if (!is_kind(c, FNLI_T_END))
        return perr_tok(c, "unexpected text at the end of the statement");
    return FNL_OK;
}

static int count_num(pctx *c, uint32_t *out, uint32_t max, const char *why)
{
    double v = c->lx.tok.num;
    /* range first: converting an out-of-range double is undefined */
    if (!is_kind(c, FNLI_T_NUMBER) || c->lx.tok.sign || !(v >= 1) ||
        (v <= (double)UINT32_MAX && v != (double)(uint32_t)v))
        return perr_tok(c, why);
    if (v > max) {
        perr_tok(c, why);
        c->rc = FNL_ELIMIT;
        return c->rc;
    }
    *out = (uint32_t)v;
    return next(c);
}

static int add(pctx *c, uint32_t kind, const char *name, double pts,
               double cap, uint32_t count, int64_t period, size_t col)
{
    const char *why;
    int rc;
    resolve(c);
    rc = fnli_model_add_rule(c->m, kind, name, c->conds, c->nconds, pts, cap,
                             count, period, &why);
    if (rc != FNL_OK) {
        c->rc = rc;
        c->why = why;
        c->err_col = (uint32_t)col;
        c->detail = NULL;
    }
    return rc;
}

static int st_rule(pctx *c, uint32_t kind)
{
    double pts = 0, cap = 0;
    uint32_t count = 0;
    int64_t period = 0;
    int have_pts = 0, have_cap = 0, have_win = 0, have_count = 0,
        have_within = 0;
    size_t col = c->lx.tok.col;
    char name[FNL_MAX_NAME + 1];

    if (next(c) != FNL_OK)
        return c->rc;
    if (kind == FNLI_RULE_EVENT) {
        if (!is_kind(c, FNLI_T_STRING) && !is_kind(c, FNLI_T_WORD))
            return perr_tok(c, "expected the key event's name");
        if (c->lx.tok.n > FNL_MAX_NAME)
            return perr(c, "key event name too long (at most 64 bytes)");
        memcpy(name, c->lx.tok.p, c->lx.tok.n);
        name[c->lx.tok.n] = '\0';
        if (next(c) != FNL_OK ||
            expect_word(c, "when", "expected 'when'") != FNL_OK)
            return c->rc;
    }
    if (conds(c, kind == FNLI_RULE_FIT) != FNL_OK)
        return c->rc;
    for (;;) {
        if (is_kind(c, FNLI_T_NUMBER) && !have_pts) {
            if (points(c, &pts) != FNL_OK)
                return c->rc;
            have_pts = 1;
        } else if (kind == FNLI_RULE_ENGAGE && fnli_lex_is(&c->lx, "cap") &&
                   !have_cap) {
            if (next(c) != FNL_OK)
                return c->rc;
            if (!is_kind(c, FNLI_T_NUMBER) || c->lx.tok.sign ||
                c->lx.tok.num <= 0)
                return perr_tok(c, "cap needs a positive number");
            cap = c->lx.tok.num;
            have_cap = 1;
            if (next(c) != FNL_OK)
                return c->rc;
        } else if (kind == FNLI_RULE_ENGAGE &&
                   fnli_lex_is(&c->lx, "per_window") && !have_win) {
            if (next(c) != FNL_OK ||
                count_num(c, &count, FNL_MODEL_MAX_WINDOW,
                          "per_window needs a count of 1..256") != FNL_OK ||
                expect_word(c, "in", "expected 'in' and a duration") != FNL_OK)
                return c->rc;
            if (!is_kind(c, FNLI_T_DURATION) || c->lx.tok.ms <= 0)
                return perr_tok(c, "expected a duration, e.g. 7d");
            period = c->lx.tok.ms;
            have_win = 1;
            if (next(c) != FNL_OK)
                return c->rc;
        } else if (kind == FNLI_RULE_EVENT && fnli_lex_is(&c->lx, "count") &&
                   !have_count) {
            if (next(c) != FNL_OK ||
                count_num(c, &count, FNL_MODEL_MAX_WINDOW,
                          "count needs a number of 1..256") != FNL_OK)
                return c->rc;
            have_count = 1;
        } else if (kind == FNLI_RULE_EVENT && fnli_lex_is(&c->lx, "within") &&
                   !have_within) {
            if (next(c) != FNL_OK)
                return c->rc;
            if (!is_kind(c, FNLI_T_DURATION) || c->lx.tok.ms <= 0)
                return perr_tok(c, "expected a duration, e.g. 7d");
            period = c->lx.tok.ms;
            have_within = 1;
            if (next(c) != FNL_OK)
                return c->rc;
        } else {
            break;
        }
    }
    if (!have_pts)
        return perr_tok(c, is_kind(c, FNLI_T_END)
                               ? "expected points, e.g. +10 or -5"
                               : "unexpected word (expected points, e.g. +10)");
    if (end(c) != FNL_OK)
        return c->rc;
    return add(c, kind, kind == FNLI_RULE_EVENT ? name : NULL, pts, cap, count,
               period, col);
}

static int st_grade(pctx *c, int band)
{
    double min;
    uint32_t idx;
    size_t col;
    if (next(c) != FNL_OK)
        return c->rc;
    col = c->lx.tok.col;
    if (!band) {
        if (!is_kind(c, FNLI_T_WORD) || c->lx.tok.n != 1 ||
            fnli_upper(c->lx.tok.p[0]) < 'A' || fnli_upper(c->lx.tok.p[0]) > 'C')
            return perr_tok(c, "expected grade A, B or C (D is what remains)");
        idx = (uint32_t)(fnli_upper(c->lx.tok.p[0]) - 'A');
    } else {
        if (!is_kind(c, FNLI_T_NUMBER) || c->lx.tok.sign ||
            (c->lx.tok.num != 1 && c->lx.tok.num != 2 && c->lx.tok.num != 3))
            return perr_tok(c, "expected band 1, 2 or 3 (4 is what remains)");
        idx = (uint32_t)c->lx.tok.num - 1;
    }
    if (((band ? c->m->band_set : c->m->grade_set) >> idx) & 1) {
        c->lx.tok.col = col;
        return perr(c, band ? "band defined twice" : "grade defined twice");
    }
    if (next(c) != FNL_OK ||
        expect_word(c, band ? "engagement" : "fit",
                    band ? "expected 'engagement >='" : "expected 'fit >='") !=
            FNL_OK)
        return c->rc;
    if (!is_kind(c, FNLI_T_OP) || c->lx.tok.cmp != FNLI_CMP_GE)
        return perr_tok(c, "expected '>='");
    if (next(c) != FNL_OK || number(c, &min, "expected a number") != FNL_OK ||
        end(c) != FNL_OK)
        return c->rc;
    if (!fnli_number_ok(min))
        return perr(c, "number out of range");
    if (band) {
        c->m->band_min[idx] = min;
        c->m->band_set |= 1u << idx;
    } else {
        c->m->grade_min[idx] = min;
        c->m->grade_set |= 1u << idx;
    }
    c->order_line = c->line;
    return FNL_OK;
}

static int expr_here(pctx *c, fnli_expr *e)
{
    const char *why;
    size_t col;
    int rc = fnli_expr_parse(&c->lx, &c->m->mem, c->m, e, &why, &col);
    if (rc != FNL_OK) {
        c->rc = rc;
        c->why = why;
        c->err_col = (uint32_t)col;
        c->detail = NULL;
    }
    return rc;
}

static int st_threshold(pctx *c)
{
    fnli_expr e;
    const char *name, *why;
    size_t n, col;
    int rc;
    if (next(c) != FNL_OK)
        return c->rc;
    if (!is_kind(c, FNLI_T_WORD))
        return perr_tok(c, "expected the threshold's name");
    name = c->lx.tok.p;
    n = c->lx.tok.n;
    col = c->lx.tok.col;
    if (next(c) != FNL_OK || expect_word(c, "when", "expected 'when'") != FNL_OK)
        return c->rc;
    if (expr_here(c, &e) != FNL_OK)
        return c->rc;
    rc = fnli_model_add_threshold(c->m, name, n, &e, &why);
    if (rc != FNL_OK) {
        fnli_expr_free(&c->m->mem, &e);
        c->rc = rc;
        c->why = why;
        c->err_col = (uint32_t)col;
        c->detail = NULL;
    }
    return rc;
}

static int st_account(pctx *c)
{
    if (next(c) != FNL_OK)
        return c->rc;
    if (fnli_lex_is(&c->lx, "rollup")) {
        if (c->seen & SEEN_ROLLUP)
            return perr(c, "account rollup given twice");
        c->seen |= SEEN_ROLLUP;
        if (next(c) != FNL_OK)
            return c->rc;
        if (fnli_lex_is(&c->lx, "sum") || fnli_lex_is(&c->lx, "max")) {
            c->m->rollup = fnli_lex_is(&c->lx, "sum") ? FNL_ROLLUP_SUM
                                                      : FNL_ROLLUP_MAX;
            c->m->top_n = 0;
            if (next(c) != FNL_OK)
                return c->rc;
        } else if (fnli_lex_is(&c->lx, "top")) {
            c->m->rollup = FNL_ROLLUP_TOP;
            if (next(c) != FNL_OK ||
                count_num(c, &c->m->top_n, FNL_MODEL_MAX_TOP_N,
                          "top needs a count of 1..64") != FNL_OK)
                return c->rc;
        } else {
            return perr_tok(c, "expected sum, max or top N");
        }
        return end(c);
    }
    if (fnli_lex_is(&c->lx, "engaged")) {
        fnli_expr e;
        if (c->seen & SEEN_ENGAGED)
            return perr(c, "account engaged given twice");
        c->seen |= SEEN_ENGAGED;
        if (next(c) != FNL_OK ||
            expect_word(c, "when", "expected 'when'") != FNL_OK)
            return c->rc;
        if (expr_here(c, &e) != FNL_OK)
            return c->rc;
        c->m->engaged = e;
        return FNL_OK;
    }
    if (fnli_lex_is(&c->lx, "roles")) {
        uint32_t mask = 0, role;
        if (c->seen & SEEN_ROLES)
            return perr(c, "account roles given twice");
        c->seen |= SEEN_ROLES;
        if (next(c) != FNL_OK)
            return c->rc;
        for (;;) {
            char nm[32];
            if (!is_kind(c, FNLI_T_WORD) || c->lx.tok.n >= sizeof(nm))
                return perr_tok(c, "expected a role (user, influencer, "
                                   "decision_maker, economic_buyer, "
                                   "champion, other)");
            memcpy(nm, c->lx.tok.p, c->lx.tok.n);
            nm[c->lx.tok.n] = '\0';
            if (fnl_role_parse(nm, &role) != FNL_OK || role == FNL_ROLE_NONE)
                return perr_tok(c, "unknown role");
            mask |= 1u << role;
            if (next(c) != FNL_OK)
                return c->rc;
            if (!is_kind(c, FNLI_T_COMMA))
                break;
            if (next(c) != FNL_OK)
                return c->rc;
        }
        c->m->roles = mask;
        return end(c);
    }
    return perr_tok(c, "expected rollup, engaged or roles");
}

static int st_decay(pctx *c)
{
    if (c->seen & SEEN_DECAY)
        return perr(c, "decay given twice");
    c->seen |= SEEN_DECAY;
    if (next(c) != FNL_OK)
        return c->rc;
    if (fnli_lex_is(&c->lx, "none")) {
        c->m->half_life = 0;
        if (next(c) != FNL_OK)
            return c->rc;
        return end(c);
    }
    if (expect_word(c, "half_life", "expected half_life or none") != FNL_OK)
        return c->rc;
    if (!is_kind(c, FNLI_T_DURATION) || c->lx.tok.ms <= 0)
        return perr_tok(c, "expected a duration, e.g. 30d");
    c->m->half_life = c->lx.tok.ms;
    if (next(c) != FNL_OK)
        return c->rc;
    return end(c);
}

static int st_model(pctx *c, const fnl_allocator *alloc)
{
    const char *name;
    size_t n;
    int rc;
    double v;
    if (next(c) != FNL_OK)
        return c->rc;
    if (!is_kind(c, FNLI_T_STRING) && !is_kind(c, FNLI_T_WORD))
        return perr_tok(c, "expected the model's name");
    name = c->lx.tok.p;
    n = c->lx.tok.n;
    if (n == 0 || n > FNL_MAX_NAME)
        return perr(c, "a model name has 1..64 bytes");
    rc = fnli_model_new(&c->m, name, n, alloc);
    if (rc != FNL_OK) {
        c->rc = rc;
        c->why = "out of memory";
        return rc;
    }
    if (next(c) != FNL_OK)
        return c->rc;
    if (fnli_lex_is(&c->lx, "version")) {
        if (next(c) != FNL_OK)
            return c->rc;
        v = c->lx.tok.num;
        if (!is_kind(c, FNLI_T_NUMBER) || c->lx.tok.sign || v < 0 ||
            v > 4294967295.0 || v != (double)(uint32_t)v)
            return perr_tok(c, "expected a version number");
        c->m->version = (uint32_t)v;
        if (next(c) != FNL_OK)
            return c->rc;
    }
    return end(c);
}

static int statement(pctx *c, const fnl_allocator *alloc)
{
    if (next(c) != FNL_OK)
        return c->rc;
    if (is_kind(c, FNLI_T_END))
        return FNL_OK;
    if (c->m == NULL) {
        if (!fnli_lex_is(&c->lx, "model"))
            return perr_tok(c, "a model starts with 'model \"name\"'; found");
        return st_model(c, alloc);
    }
    if (fnli_lex_is(&c->lx, "fit"))
        return st_rule(c, FNLI_RULE_FIT);
    if (fnli_lex_is(&c->lx, "engage"))
        return st_rule(c, FNLI_RULE_ENGAGE);
    if (fnli_lex_is(&c->lx, "key_event"))
        return st_rule(c, FNLI_RULE_EVENT);
    if (fnli_lex_is(&c->lx, "grade"))
        return st_grade(c, 0);
    if (fnli_lex_is(&c->lx, "band"))
        return st_grade(c, 1);
    if (fnli_lex_is(&c->lx, "threshold"))
        return st_threshold(c);
    if (fnli_lex_is(&c->lx, "decay"))
        return st_decay(c);
    if (fnli_lex_is(&c->lx, "account"))
        return st_account(c);
    if (fnli_lex_is(&c->lx, "model"))
        return perr_tok(c, "a file holds one model; second");
    return perr_tok(c, "unknown keyword");
}

FNL_API int fnl_model_parse(fnl_model **out, const char *text, size_t len,
                            const fnl_allocator *alloc, fnl_parse_error *err)
{
    fnli_mem mem;
    pctx *c;
    size_t pos = 0;
    int rc;
    if (err != NULL) {
        if (err->size < sizeof(fnl_parse_error))
            return FNL_EINVAL;
        fnli_parse_error_set(err, 0, 0, "", NULL, 0);
    }
    if (out == NULL || (text == NULL && len != 0))
        return FNL_EINVAL;
    rc = fnli_mem_init(&mem, alloc);
    if (rc != FNL_OK)
        return rc;
    c = fnli_calloc(&mem, 1, sizeof(*c));
    if (c == NULL) {
        fnli_parse_error_set(err, 0, 0, "out of memory", NULL, 0);
        return FNL_ENOMEM;
    }
    c->text.mem = &mem;
    c->rc = FNL_OK;
    while (pos < len || (pos == 0 && len == 0)) {
        const char *nl = len ? memchr(text + pos, '\n', len - pos) : NULL;
        size_t n = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;
        c->line++;
        if (len == 0)
            break;
        if (!fnli_utf8_valid(text + pos, n)) {
            c->rc = FNL_EINVAL;
            c->why = "invalid UTF-8";
            c->err_col = 1;
            break;
        }
        fnli_lex_init(&c->lx, text + pos, n, c->sbuf, sizeof(c->sbuf));
        if (statement(c, alloc) != FNL_OK)
            break;
        pos += n + 1;
    }
    if (c->rc == FNL_OK && c->m == NULL) {
        c->rc = FNL_EINVAL;
        c->why = "empty model: expected 'model \"name\"'";
        c->line = 1;
        c->err_col = 1;
    }
    if (c->rc == FNL_OK) {
        const char *why;
        rc = fnli_model_finish(c->m, &why);
        if (rc != FNL_OK) {
            c->rc = rc;
            c->why = why;
            c->line = rc == FNL_ENOMEM ? 0 : c->order_line;
            c->err_col = rc == FNL_ENOMEM ? 0 : 1;
        }
    }
    rc = c->rc;
    if (rc == FNL_OK) {
        *out = c->m;
    } else {
        if (rc == FNL_ENOMEM)
            fnli_parse_error_set(err, 0, 0, "out of memory", NULL, 0);
        else
            fnli_parse_error_set(err, c->line, c->err_col, c->why, c->detail,
                                 c->detail_n);
        fnli_model_destroy(c->m);
    }
    if (c->text.p != NULL)
        fnli_free(&mem, c->text.p, c->text.cap);
    fnli_free(&mem, c, sizeof(*c));
    return rc;
}

int fnli_expr_parse_text(const char *text, size_t len, fnli_mem *mem,
                         const fnl_model *model, fnli_expr *out,
                         fnl_parse_error *err)
{
    fnli_lexer lx;
    char sbuf[FNL_MAX_NAME * 2];
    const char *why;
    size_t col;
    int rc;
    if (!fnli_utf8_valid(text, len)) {
        fnli_parse_error_set(err, 1, 1, "invalid UTF-8", NULL, 0);
        return FNL_EINVAL;
    }
    fnli_lex_init(&lx, text, len, sbuf, sizeof(sbuf));
    if (fnli_lex_next(&lx) != FNL_OK) {
        fnli_parse_error_set(err, 1, (uint32_t)lx.err_col, lx.err, NULL, 0);
        return FNL_EINVAL;
    }
    rc = fnli_expr_parse(&lx, mem, model, out, &why, &col);
    if (rc == FNL_ENOMEM)
        fnli_parse_error_set(err, 0, 0, "out of memory", NULL, 0);
    else if (rc != FNL_OK)
        fnli_parse_error_set(err, 1, (uint32_t)col, why, NULL, 0);
    return rc;
}
