/* score_expr.c -- score expressions: the guards of thresholds ("mql when
 * score >= 60 and grade >= B") and of the account "engaged" test.
 * Parsed into a small node array, evaluated against an fnl_score_result,
 * printed back in canonical form. */
#include <string.h>
#include "model.h"
#include "text.h"

#define MAX_DEPTH 64
#define MAX_NODES 1024

typedef struct eparse {
    fnli_lexer *lx;
    fnli_mem *mem;
    const fnl_model *model;
    fnli_expr e;
    size_t cap;
    const char *why;
    size_t col;
    int rc;
    int depth;
} eparse;

static int efail(eparse *p, const char *why)
{
    p->rc = FNL_EINVAL;
    p->why = why;
    p->col = p->lx->tok.col;
    return -1;
}

static int enext(eparse *p)
{
    if (fnli_lex_next(p->lx) != FNL_OK) {
        p->rc = FNL_EINVAL;
        p->why = p->lx->err;
        p->col = p->lx->err_col;
        return -1;
    }
    return 0;
}

/* Append a node; its index, or -1. */
static long node(eparse *p, uint8_t kind, uint8_t cmp, uint32_t a, uint32_t b,
                 double num)
{
    void *arr = p->e.n;
    fnli_enode *n;
    if (p->e.count >= MAX_NODES) {
        efail(p, "expression too long");
        p->rc = FNL_ELIMIT;
        return -1;
    }
    if (fnli_grow(p->mem, &arr, &p->cap, p->e.count + 1, sizeof(fnli_enode),
                  8) != FNL_OK) {
        p->rc = FNL_ENOMEM;
        p->why = "out of memory";
        return -1;
    }
    p->e.n = arr;
    n = &p->e.n[p->e.count];
    memset(n, 0, sizeof(*n));
    n->kind = kind;
    n->cmp = cmp;
    n->a = a;
    n->b = b;
    n->num = num;
    return (long)p->e.count++;
}

static long expr_or(eparse *p);

static int cell_bit(const fnli_token *t)
{
    char g, b;
    if (t->kind != FNLI_T_WORD || t->n != 2)
        return -1;
    g = fnli_upper(t->p[0]);
    b = t->p[1];
    if (g < 'A' || g > 'D' || b < '1' || b > '4')
        return -1;
    return (g - 'A') * 4 + (b - '1');
}

static long atom(eparse *p)
{
    fnli_lexer *lx = p->lx;
    uint8_t kind = 0;
    int cmp;
    double num;
    if (fnli_lex_is(lx, "key_event")) {
        int ev;
        if (enext(p) < 0)
            return -1;
        if (lx->tok.kind != FNLI_T_STRING && lx->tok.kind != FNLI_T_WORD)
            return efail(p, "expected a key event name");
        if (p->model == NULL)
            return efail(p, "key_event needs a model");
        ev = fnli_event_find(p->model, lx->tok.p, lx->tok.n);
        if (ev < 0)
            return efail(p, "unknown key event");
        if (enext(p) < 0)
            return -1;
        return node(p, FNLI_E_EVENT, 0, (uint32_t)ev, 0, 0);
    }
    if (fnli_lex_is(lx, "cell")) {
        uint32_t mask = 0;
        int bit;
        if (enext(p) < 0)
            return -1;
        if (lx->tok.kind == FNLI_T_OP && lx->tok.cmp == FNLI_CMP_EQ) {
            if (enext(p) < 0)
                return -1;
            if ((bit = cell_bit(&lx->tok)) < 0)
                return efail(p, "expected a cell A1..D4");
            mask = 1u << bit;
        } else if (fnli_lex_is(lx, "in")) {
            if (enext(p) < 0)
                return -1;
            if (lx->tok.kind != FNLI_T_LPAREN)
                return efail(p, "expected '('");
            do {
                if (enext(p) < 0)
                    return -1;
                if ((bit = cell_bit(&lx->tok)) < 0)
                    return efail(p, "expected a cell A1..D4");
                mask |= 1u << bit;
                if (enext(p) < 0)
                    return -1;
            } while (lx->tok.kind == FNLI_T_COMMA);
            if (lx->tok.kind != FNLI_T_RPAREN)
                return efail(p, "expected ',' or ')'");
        } else {
            return efail(p, "expected '=' or 'in' after cell");
        }
        if (enext(p) < 0)
            return -1;
        return node(p, FNLI_E_CELL, 0, mask, 0, 0);
    }
    if (fnli_lex_is(lx, "score"))
        kind = FNLI_E_SCORE;
    else if (fnli_lex_is(lx, "fit"))
        kind = FNLI_E_FIT;
    else if (fnli_lex_is(lx, "engagement"))
        kind = FNLI_E_ENG;
    else if (fnli_lex_is(lx, "grade"))
        kind = FNLI_E_GRADE;
    else if (fnli_lex_is(lx, "band"))
        kind = FNLI_E_BAND;
    else if (lx->tok.kind == FNLI_T_END)
        return efail(p, "expression ends too early");
    else
        return efail(p, "unknown term (expected score, fit, engagement, "
                        "grade, band, cell, key_event, not or '(')");
    if (enext(p) < 0)
        return -1;
    if (lx->tok.kind != FNLI_T_OP)
        return efail(p, "expected a comparison (>=, >, <=, <, =, !=)");
    cmp = lx->tok.cmp;
    if (enext(p) < 0)
        return -1;
    if (kind == FNLI_E_GRADE) {
        char g = lx->tok.n == 1 ? fnli_upper(lx->tok.p[0]) : 0;
        if (lx->tok.kind != FNLI_T_WORD || g < 'A' || g > 'D')
            return efail(p, "expected a grade A..D");
        num = 4 - (g - 'A');
    } else {
        if (lx->tok.kind != FNLI_T_NUMBER)
            return efail(p, "expected a number");
        num = lx->tok.num;
        if (kind == FNLI_E_BAND && num != 1 && num != 2 && num != 3 && num != 4)
            return efail(p, "expected a band 1..4");
        if (!fnli_number_ok(num))
            return efail(p, "number out of range");
    }
    if (enext(p) < 0)
        return -1;
    return node(p, kind, (uint8_t)cmp, 0, 0, num);
}

static long factor(eparse *p)
{
    long r;
    if (++p->depth > MAX_DEPTH)
        return efail(p, "expression nested too deeply");
    if (fnli_lex_is(p->lx, "not")) {
        long c;
        if (enext(p) < 0 || (c = factor(p)) < 0)
            return -1;
        r = node(p, FNLI_E_NOT, 0, (uint32_t)c, 0, 0);
    } else if (p->lx->tok.kind == FNLI_T_LPAREN) {
        if (enext(p) < 0 || (r = expr_or(p)) < 0)
            return -1;
        if (p->lx->tok.kind != FNLI_T_RPAREN)
            return efail(p, "expected ')'");
        if (enext(p) < 0)
            return -1;
    } else {
        r = atom(p);
    }
    p->depth--;
    return r;
}

static long term(eparse *p)
{
    long l = factor(p), r;
    while (l >= 0 && fnli_lex_is(p->lx, "and")) {
        if (enext(p) < 0 || (r = factor(p)) < 0)
            return -1;
        l = node(p, FNLI_E_AND, 0, (uint32_t)l, (uint32_t)r, 0);
    }
    return l;
}

static long expr_or(eparse *p)
{
    long l = term(p), r;
    while (l >= 0 && fnli_lex_is(p->lx, "or")) {
        if (enext(p) < 0 || (r = term(p)) < 0)
            return -1;
        l = node(p, FNLI_E_OR, 0, (uint32_t)l, (uint32_t)r, 0);
    }
    return l;
}

int fnli_expr_parse(fnli_lexer *lx, fnli_mem *mem, const fnl_model *model,
                    fnli_expr *out, const char **why, size_t *col)
{
    eparse p;
    long root;
    memset(&p, 0, sizeof(p));
    p.lx = lx;
    p.mem = mem;
    p.model = model;
    root = expr_or(&p);
    if (root >= 0 && lx->tok.kind != FNLI_T_END) {
        efail(&p, "unexpected text after the expression");
        root = -1;
    }
    if (root < 0) {
        if (p.e.n != NULL)
            fnli_free(mem, p.e.n, p.cap * sizeof(fnli_enode));
        *why = p.why;
        *col = p.col;
        return p.rc;
    }
    /* shrink to count so that fnli_expr_free() knows the size */
    if (p.cap != p.e.count) {
        void *q = fnli_realloc(mem, p.e.n, p.cap * sizeof(fnli_enode),
                               p.e.count * sizeof(fnli_enode));
        if (q == NULL) {
            /* a shrinking realloc failing: copy to an exact block */
            fnli_enode *c = fnli_malloc(mem, p.e.count * sizeof(fnli_enode));
            if (c == NULL) {
                fnli_free(mem, p.e.n, p.cap * sizeof(fnli_enode));
                *why = "out of memory";
                *col = 0;
                return FNL_ENOMEM;
            }
            memcpy(c, p.e.n, p.e.count * sizeof(fnli_enode));
            fnli_free(mem, p.e.n, p.cap * sizeof(fnli_enode));
            q = c;
        }
        p.e.n = q;
    }
    p.e.root = (uint32_t)root;
    *out = p.e;
    return FNL_OK;
}

/* ---- evaluation ------------------------------------------------------------ */

static int compare(double a, int cmp, double b)
{
    switch (cmp) {
    case FNLI_CMP_GE: return a >= b;
    case FNLI_CMP_GT: return a > b;
    case FNLI_CMP_LE: return a <= b;
    case FNLI_CMP_LT: return a < b;
    case FNLI_CMP_EQ: return a == b;
    default: return a != b;
    }
}

static int eval(const fnli_expr *e, uint32_t i, const fnl_score_result *r)
{
    const fnli_enode *n = &e->n[i];
    int g = r->grade[0] >= 'A' && r->grade[0] <= 'D' ? 4 - (r->grade[0] - 'A')
                                                     : 0;
    switch (n->kind) {
    case FNLI_E_AND: return eval(e, n->a, r) && eval(e, n->b, r);
    case FNLI_E_OR: return eval(e, n->a, r) || eval(e, n->b, r);
    case FNLI_E_NOT: return !eval(e, n->a, r);
    case FNLI_E_SCORE: return compare(r->total, n->cmp, n->num);
    case FNLI_E_FIT: return compare(r->fit, n->cmp, n->num);
    case FNLI_E_ENG: return compare(r->engagement, n->cmp, n->num);
    case FNLI_E_GRADE: return g != 0 && compare(g, n->cmp, n->num);
    case FNLI_E_BAND: return compare(r->band, n->cmp, n->num);
    case FNLI_E_EVENT: return (int)(r->key_events >> n->a & 1);
    case FNLI_E_CELL:
        if (g == 0 || r->band < 1 || r->band > 4)
            return 0;
        /* bit (4 - g) * 4 + band - 1: g in 1..4 here, so never negative */
        return (int)(n->a >> ((uint32_t)(4 - g) * 4 + (r->band - 1)) & 1);
    default: return 0;
    }
}

int fnli_expr_eval(const fnli_expr *e, const fnl_score_result *r)
{
    return e->count > 0 ? eval(e, e->root, r) : 0;
}

/* ---- printing -------------------------------------------------------------- */

static int prec(uint8_t kind)
{
    return kind == FNLI_E_OR ? 1 : kind == FNLI_E_AND ? 2
           : kind == FNLI_E_NOT ? 3 : 4;
}

static void print(fnli_buf *b, const fnli_expr *e, uint32_t i, int min,
                  const fnl_model *m)
{
    static const char *const cmps[] = {"", " >= ", " > ", " <= ", " < ",
                                       " = ", " != "};
    static const char *const names[] = {"", "", "", "", "score", "fit",
                                        "engagement", "grade", "band"};
    const fnli_enode *n = &e->n[i];
    int paren = prec(n->kind) < min;
    if (paren)
        fnli_buf_str(b, "(");
    switch (n->kind) {
    case FNLI_E_AND: case FNLI_E_OR:
        print(b, e, n->a, prec(n->kind), m);
        fnli_buf_str(b, n->kind == FNLI_E_AND ? " and " : " or ");
        print(b, e, n->b, prec(n->kind) + 1, m);
        break;
    case FNLI_E_NOT:
        fnli_buf_str(b, "not ");
        print(b, e, n->a, 3, m);
        break;
    case FNLI_E_EVENT:
        fnli_buf_str(b, "key_event ");
        fnli_buf_quoted(b, m->ev[n->a].name, strlen(m->ev[n->a].name));
        break;
    case FNLI_E_CELL: {
        uint32_t bit, k = 0, many = (n->a & (n->a - 1)) != 0;
        fnli_buf_str(b, many ? "cell in (" : "cell = ");
        for (bit = 0; bit < 16; bit++)
            if (n->a >> bit & 1) {
                char c[2];
                c[0] = (char)('A' + bit / 4);
                c[1] = (char)('1' + bit % 4);
                if (k++ > 0)
                    fnli_buf_str(b, ", ");
                fnli_buf_put(b, c, 2);
            }
        if (many)
            fnli_buf_str(b, ")");
        break;
    }
    default:
        fnli_buf_str(b, names[n->kind]);
        fnli_buf_str(b, cmps[n->cmp]);
        if (n->kind == FNLI_E_GRADE) {
            char g = (char)('A' + (4 - (int)n->num));
            fnli_buf_put(b, &g, 1);
        } else {
            fnli_buf_num(b, n->num);
        }
        break;
    }
    if (paren)
        fnli_buf_str(b, ")");
}

void fnli_expr_print(fnli_buf *b, const fnli_expr *e, const fnl_model *m)
{
    if (e->count > 0)
        print(b, e, e->root, 0, m);
}

/* ---- public ------------------------------------------------------------------ */

struct fnl_score_expr {
    fnli_mem mem;
    fnli_expr e;
};

FNL_API int fnl_score_expr_parse(fnl_score_expr **out, const char *text,
                                 size_t len, const fnl_model *model,
                                 const fnl_allocator *alloc,
                                 fnl_parse_error *err)
{
    fnli_mem mem;
    fnl_score_expr *x;
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
    x = fnli_malloc(&mem, sizeof(*x));
    if (x == NULL) {
        fnli_parse_error_set(err, 0, 0, "out of memory", NULL, 0);
        return FNL_ENOMEM;
    }
    x->mem = mem;
    rc = fnli_expr_parse_text(text, len, &x->mem, model, &x->e, err);
    if (rc != FNL_OK) {
        fnli_free(&mem, x, sizeof(*x));
        return rc;
    }
    *out = x;
    return FNL_OK;
}

FNL_API int fnl_score_expr_eval(const fnl_score_expr *expr,
                                const fnl_score_result *r, int *out)
{
    if (expr == NULL || r == NULL || out == NULL)
        return FNL_EINVAL;
    *out = fnli_expr_eval(&expr->e, r);
    return FNL_OK;
}

FNL_API void fnl_score_expr_free(fnl_score_expr *expr)
{
    fnli_mem mem;
    if (expr == NULL)
        return;
    mem = expr->mem;
    fnli_expr_free(&mem, &expr->e);
    fnli_free(&mem, expr, sizeof(*expr));
}
