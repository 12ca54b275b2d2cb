/* stage_cond.c -- the lexer of the machine language and its condition
 * sub-language: parsing into the machine's node pool, evaluation against
 * a contact, and canonical printing. */
#include <math.h>
#include <string.h>
#include "stage_syntax.h"
#include "text.h"

/* ---- lexer ------------------------------------------------------------------ */

void fnli_slex_init(fnli_slex *lx, const char *s, size_t n, uint32_t line,
                    uint32_t col_base)
{
    memset(lx, 0, sizeof(*lx));
    lx->s = s;
    lx->n = n;
    lx->line = line;
    lx->col_base = col_base;
}

static int lex_fail(fnli_slex *lx, const char *why)
{
    lx->err = why;
    return FNL_EINVAL;
}

static int word_char(char c)
{
    return fnli_is_alpha(c) || fnli_is_digit(c) || c == '_' || c == '.';
}

int fnli_slex_next(fnli_slex *lx)
{
    fnli_stok *t = &lx->tok;
    const char *s = lx->s;
    size_t n = lx->n, i = lx->i;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
        i++;
    if (i < n && s[i] == '#')
        while (i < n && s[i] != '\n')
            i++;
    memset(t, 0, sizeof(*t));
    t->line = lx->line;
    t->col = (uint32_t)(i - lx->line_start) + 1 + lx->col_base;
    t->p = s + i;
    if (i >= n) {
        t->kind = FNLI_TK_END;
        lx->i = i;
        return FNL_OK;
    }
    if (s[i] == '\n') {
        t->kind = FNLI_TK_NL;
        lx->i = i + 1;
        lx->line++;
        lx->line_start = i + 1;
        return FNL_OK;
    }
    if (fnli_is_alpha(s[i]) || s[i] == '_') {
        size_t j = i;
        while (j < n && (word_char(s[j]) ||
                         (s[j] == '-' && j + 1 < n && s[j + 1] != '>' &&
                          word_char(s[j + 1]))))
            j++;
        t->kind = FNLI_TK_WORD;
        t->n = j - i;
        lx->i = j;
        return FNL_OK;
    }
    if (fnli_is_digit(s[i]) ||
        ((s[i] == '-' || s[i] == '+') && i + 1 < n && fnli_is_digit(s[i + 1]))) {
        size_t j = i + 1;
        double v = 0, scale = 1;
        int neg = s[i] == '-', frac = 0, digits = 0;
        if (s[i] == '-' || s[i] == '+')
            ;
        else
            j = i;
        for (; j < n && (fnli_is_digit(s[j]) || (s[j] == '.' && !frac)); j++) {
            if (s[j] == '.') {
                if (j + 1 >= n || !fnli_is_digit(s[j + 1]))
                    break;
                frac = 1;
                continue;
            }
            if (++digits > 18)
                return lex_fail(lx, "number too long");
            if (frac) {
                scale /= 10;
                v += (s[j] - '0') * scale;
            } else {
                v = v * 10 + (s[j] - '0');
            }
        }
        t->kind = FNLI_TK_NUMBER;
        t->num = neg ? -v : v;
        t->n = j - i;
        t->unit = s + j;
        while (j < n && fnli_is_alpha(s[j]))
            j++;
        t->unit_n = (size_t)(s + j - t->unit);
        lx->i = j;
        return FNL_OK;
    }
    if (s[i] == '"') {
        size_t j = i + 1;
        t->kind = FNLI_TK_STRING;
        t->p = s + j;
        for (; j < n && s[j] != '"'; j++) {
            if (s[j] == '\n')
                return lex_fail(lx, "unterminated string");
            if (s[j] == '\\') {
                if (j + 1 >= n || (s[j + 1] != '"' && s[j + 1] != '\\'))
                    return lex_fail(lx, "unknown escape (only \\\" and \\\\)");
                t->esc = 1;
                j++;
            }
        }
        if (j >= n)
            return lex_fail(lx, "unterminated string");
        t->n = (size_t)(s + j - t->p);
        lx->i = j + 1;
        return FNL_OK;
    }
    lx->i = i + 1;
    switch (s[i]) {
    case '(': t->kind = FNLI_TK_LPAREN; return FNL_OK;
    case ')': t->kind = FNLI_TK_RPAREN; return FNL_OK;
    case ',': t->kind = FNLI_TK_COMMA; return FNL_OK;
    case '*': t->kind = FNLI_TK_STAR; t->n = 1; return FNL_OK;
    case '=': t->kind = FNLI_TK_CMP; t->cmp = FNLI_OP_EQ; return FNL_OK;
    case '-':
        if (i + 1 < n && s[i + 1] == '>') {
            t->kind = FNLI_TK_ARROW;
            lx->i = i + 2;
            return FNL_OK;
        }
        break;
    case '!':
        if (i + 1 < n && s[i + 1] == '=') {
            t->kind = FNLI_TK_CMP;
            t->cmp = FNLI_OP_NE;
            lx->i = i + 2;
            return FNL_OK;
        }
        break;
    case '<':
    case '>': {
        int eq = i + 1 < n && s[i + 1] == '=';
        t->kind = FNLI_TK_CMP;
        t->cmp = (uint8_t)(s[i] == '<' ? (eq ? FNLI_OP_LE : FNLI_OP_LT)
                                       : (eq ? FNLI_OP_GE : FNLI_OP_GT));
        lx->i = i + 1 + (size_t)eq;
        return FNL_OK;
    }
    default:
        break;
    }
    lx->i = i;
    return lex_fail(lx, "unexpected character");
}

int fnli_slex_is(const fnli_slex *lx, const char *w)
{
    size_t n = strlen(w);
    return lx->tok.kind == FNLI_TK_WORD && lx->tok.n == n &&
           fnli_ascii_casecmp_n(lx->tok.p, n, w, n) == 0;
}

int fnli_duration_parse(const fnli_stok *t, int64_t *ms, int *days)
{
    static const struct { const char *u; int64_t ms; } units[] = {
        {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000},
        {"d", INT64_C(86400000)}};
    size_t k;
    if (t->kind != FNLI_TK_NUMBER || t->num < 0 || t->num != floor(t->num) ||
        t->num > 1e15)
        return FNL_EINVAL;
    if (t->unit_n == 0) {
        if (t->num != 0)
            return FNL_EINVAL;
        *ms = 0;
        *days = 0;
        return FNL_OK;
    }
    for (k = 0; k < sizeof(units) / sizeof(units[0]); k++) {
        size_t n = strlen(units[k].u);
        if (t->unit_n == n && memcmp(t->unit, units[k].u, n) == 0) {
            if (t->num > (double)FNL_MACHINE_MAX_DURATION / (double)units[k].ms)
                return FNL_EINVAL;
            *ms = (int64_t)t->num * units[k].ms;
            *days = units[k].ms == INT64_C(86400000);
            return FNL_OK;
        }
    }
    return FNL_EINVAL;
}

/* ---- parsing ---------------------------------------------------------------- */

static const char *const reserved[] = {
    "and", "or", "not", "in", "score", "fit", "engagement", "grade", "band",
    "threshold", "stage", "reached", "unsubscribed", "owned", "attr",
    "source_channel", "touch_type", "touch_channel", "touch_campaign",
    "contains", "exists", "missing", "priority", "after", "notify", "unless",
    "to", "when", "on", "within", "calendar", "breach", NULL};

int fnli_cond_reserved(const char *w, size_t n)
{
    size_t k;
    for (k = 0; reserved[k] != NULL; k++)
        if (strlen(reserved[k]) == n &&
            fnli_ascii_casecmp_n(reserved[k], n, w, n) == 0)
            return 1;
    return 0;
}

typedef struct cparse {
    fnl_machine *m;
    fnli_slex *lx;
    fnli_perr *e;
    int depth;
} cparse;

static int cfail(cparse *p, const char *why)
{
    fnli_perr_set(p->e, p->lx->tok.line, p->lx->tok.col, why, NULL, 0);
    return FNL_EINVAL;
}

static int cnext(cparse *p)
{
    if (fnli_slex_next(p->lx) != FNL_OK)
        return cfail(p, p->lx->err);
    return FNL_OK;
}

static int add_node(cparse *p, const fnli_cnode *n, uint32_t *out)
{
    fnl_machine *m = p->m;
    void *arr = m->nodes;
    if (m->nnodes >= 65536)
        return fnli_perr_set(p->e, 0, 0, "conditions too long", NULL, 0),
               FNL_ELIMIT;
    if (fnli_grow(&m->mem, &arr, &m->cap_nodes, m->nnodes + 1,
                  sizeof(*m->nodes), 16) != FNL_OK) {
        fnli_perr_set(p->e, 0, 0, "out of memory", NULL, 0);
        return FNL_ENOMEM;
    }
    m->nodes = arr;
    m->nodes[m->nnodes] = *n;
    *out = (uint32_t)m->nnodes++;
    return FNL_OK;
}

static int intern_tok(cparse *p, int name_kind, uint32_t *idx)
{
    fnli_txt t;
    t.p = p->lx->tok.p;
    t.n = p->lx->tok.n;
    t.esc = p->lx->tok.esc;
    return fnli_mb_intern(p->m, t, name_kind, idx, p->e, p->lx->tok.line,
                          p->lx->tok.col);
}

static int is_name_tok(const fnli_slex *lx)
{
    return lx->tok.kind == FNLI_TK_WORD || lx->tok.kind == FNLI_TK_STRING;
}

/* Optional "(model)" after a score term. */
static int model_qual(cparse *p, uint32_t *model)
{
    int rc;
    *model = FNLI_NONE;
    if (p->lx->tok.kind != FNLI_TK_LPAREN)
        return FNL_OK;
    if ((rc = cnext(p)) != FNL_OK)
        return rc;
    if (!is_name_tok(p->lx))
        return cfail(p, "expected a model name");
    if ((rc = intern_tok(p, 0, model)) != FNL_OK)
        return rc;
    if ((rc = cnext(p)) != FNL_OK)
        return rc;
    if (p->lx->tok.kind != FNLI_TK_RPAREN)
        return cfail(p, "expected ')'");
    return cnext(p);
}

static int stage_tok(cparse *p, uint32_t *out)
{
    uint32_t s;
    if (p->lx->tok.kind != FNLI_TK_WORD)
        return cfail(p, "expected a stage name");
    s = fnli_machine_stage_index(p->m, p->lx->tok.p, p->lx->tok.n);
    if (s == FNLI_NO_STAGE) {
        fnli_perr_set(p->e, p->lx->tok.line, p->lx->tok.col, "unknown stage",
                      p->lx->tok.p, p->lx->tok.n);
        return FNL_EINVAL;
    }
    *out = s;
    return cnext(p);
}

static int str_value(cparse *p, fnli_cnode *n, int allow_num)
{
    const fnli_stok *t = &p->lx->tok;
    if (t->kind == FNLI_TK_NUMBER && t->unit_n == 0) {
        if (!allow_num)
            return cfail(p, "expected a string");
        n->numeric = 1;
        n->num = t->num;
        n->b = FNLI_NONE;
        return cnext(p);
    }
    int rc;
    if (t->kind != FNLI_TK_STRING && t->kind != FNLI_TK_WORD)
        return cfail(p, "expected a value");
    if ((rc = intern_tok(p, 0, &n->b)) != FNL_OK)
        return rc;
    return cnext(p);
}

static int str_op(cparse *p, fnli_cnode *n, int allow_num)
{
    fnli_slex *lx = p->lx;
    int rc;
    if (lx->tok.kind == FNLI_TK_CMP) {
        n->op = lx->tok.cmp;
        if ((rc = cnext(p)) != FNL_OK)
            return rc;
        if ((rc = str_value(p, n, allow_num)) != FNL_OK)
            return rc;
        if (n->op != FNLI_OP_EQ && n->op != FNLI_OP_NE && !n->numeric)
            return cfail(p, "ordering needs a number");
        return FNL_OK;
    }
    if (fnli_slex_is(lx, "exists") || fnli_slex_is(lx, "missing")) {
        n->op = fnli_slex_is(lx, "exists") ? FNLI_OP_EXISTS : FNLI_OP_MISSING;
        return cnext(p);
    }
    if (fnli_slex_is(lx, "contains")) {
        n->op = FNLI_OP_CONTAINS;
        if ((rc = cnext(p)) != FNL_OK)
            return rc;
        return str_value(p, n, 0);
    }
    if (fnli_slex_is(lx, "in")) {
        fnl_machine *m = p->m;
        size_t first = m->nlists;
        n->op = FNLI_OP_IN;
        if ((rc = cnext(p)) != FNL_OK)
            return rc;
        if (lx->tok.kind != FNLI_TK_LPAREN)
            return cfail(p, "expected '('");
        do {
            uint32_t v;
            void *arr = m->lists;
            if ((rc = cnext(p)) != FNL_OK)
                return rc;
            if (lx->tok.kind != FNLI_TK_STRING && lx->tok.kind != FNLI_TK_WORD)
                return cfail(p, "expected a value");
            if ((rc = intern_tok(p, 0, &v)) != FNL_OK)
                return rc;
            if (m->nlists - first >= 256)
                return cfail(p, "too many values");
            if (fnli_grow(&m->mem, &arr, &m->cap_lists, m->nlists + 1,
                          sizeof(*m->lists), 16) != FNL_OK) {
                fnli_perr_set(p->e, 0, 0, "out of memory", NULL, 0);
                return FNL_ENOMEM;
            }
            m->lists = arr;
            m->lists[m->nlists++] = v;
            if ((rc = cnext(p)) != FNL_OK)
                return rc;
        } while (lx->tok.kind == FNLI_TK_COMMA);
        if (lx->tok.kind != FNLI_TK_RPAREN)
            return cfail(p, "expected ',' or ')'");
        n->b = (uint32_t)first;
        n->n = (uint32_t)(m->nlists - first);
        return cnext(p);
    }
    return cfail(p, "expected a comparison, in, contains, exists or missing");
}

static int atom(cparse *p, uint32_t *out)
{
    fnli_slex *lx = p->lx;
    fnli_cnode n;
    int rc;
    static const struct { const char *w; uint8_t f; } score_terms[] = {
        {"score", FNLI_SF_SCORE}, {"fit", FNLI_SF_FIT},
        {"engagement", FNLI_SF_ENGAGEMENT}, {"grade", FNLI_SF_GRADE},
        {"band", FNLI_SF_BAND}};
    static const struct { const char *w; uint8_t f; } str_terms[] = {
        {"source_channel", FNLI_SRC_SOURCE},
        {"touch_type", FNLI_SRC_TOUCH_TYPE},
        {"touch_channel", FNLI_SRC_TOUCH_CHANNEL},
        {"touch_campaign", FNLI_SRC_TOUCH_CAMPAIGN}};
    size_t k;
    memset(&n, 0, sizeof(n));
    n.a = n.b = FNLI_NONE;
    if (lx->tok.kind != FNLI_TK_WORD)
        return cfail(p, lx->tok.kind == FNLI_TK_END || lx->tok.kind == FNLI_TK_NL
                            ? "condition ends too early"
                            : "expected a condition");
    for (k = 0; k < sizeof(score_terms) / sizeof(score_terms[0]); k++) {
        if (!fnli_slex_is(lx, score_terms[k].w))
            continue;
        n.kind = FNLI_C_SCORE;
        n.field = score_terms[k].f;
        if ((rc = cnext(p)) != FNL_OK || (rc = model_qual(p, &n.a)) != FNL_OK)
            return rc;
        if (lx->tok.kind != FNLI_TK_CMP)
            return cfail(p, "expected a comparison (>=, >, <=, <, =, !=)");
        n.op = lx->tok.cmp;
        if ((rc = cnext(p)) != FNL_OK)
            return rc;
        if (n.field == FNLI_SF_GRADE) {
            char g = lx->tok.n == 1 ? fnli_upper(lx->tok.p[0]) : 0;
            if (lx->tok.kind != FNLI_TK_WORD || g < 'A' || g > 'D')
                return cfail(p, "expected a grade A..D");
            n.num = 4 - (g - 'A');
        } else {
            if (lx->tok.kind != FNLI_TK_NUMBER || lx->tok.unit_n != 0)
                return cfail(p, "expected a number");
            n.num = lx->tok.num;
            if (n.field == FNLI_SF_BAND &&
                (n.num < 1 || n.num > 4 || n.num != floor(n.num)))
                return cfail(p, "expected a band 1..4");
        }
        if ((rc = cnext(p)) != FNL_OK)
            return rc;
        return add_node(p, &n, out);
    }
    if (fnli_slex_is(lx, "threshold")) {
        n.kind = FNLI_C_THRESHOLD;
        if ((rc = cnext(p)) != FNL_OK || (rc = model_qual(p, &n.a)) != FNL_OK)
            return rc;
        if (!is_name_tok(lx))
            return cfail(p, "expected a threshold name");
        if ((rc = intern_tok(p, 0, &n.b)) != FNL_OK || (rc = cnext(p)) != FNL_OK)
            return rc;
        return add_node(p, &n, out);
    }
    if (fnli_slex_is(lx, "stage")) {
        n.kind = FNLI_C_STAGE;
        if ((rc = cnext(p)) != FNL_OK)
            return rc;
        if (lx->tok.kind != FNLI_TK_CMP)
            return cfail(p, "expected a comparison (>=, >, <=, <, =, !=)");
        n.op = lx->tok.cmp;
        if ((rc = cnext(p)) != FNL_OK || (rc = stage_tok(p, &n.a)) != FNL_OK)
            return rc;
        return add_node(p, &n, out);
    }
    if (fnli_slex_is(lx, "reached")) {
        n.kind = FNLI_C_REACHED;
        if ((rc = cnext(p)) != FNL_OK || (rc = stage_tok(p, &n.a)) != FNL_OK)
            return rc;
        return add_node(p, &n, out);
    }
    if (fnli_slex_is(lx, "unsubscribed") || fnli_slex_is(lx, "owned")) {
        n.kind = fnli_slex_is(lx, "owned") ? FNLI_C_OWNED : FNLI_C_UNSUB;
        if ((rc = cnext(p)) != FNL_OK)
            return rc;
        return add_node(p, &n, out);
    }
    for (k = 0; k < sizeof(str_terms) / sizeof(str_terms[0]); k++) {
        if (!fnli_slex_is(lx, str_terms[k].w))
            continue;
        n.kind = FNLI_C_STR;
        n.field = str_terms[k].f;
        if ((rc = cnext(p)) != FNL_OK || (rc = str_op(p, &n, 0)) != FNL_OK)
            return rc;
        return add_node(p, &n, out);
    }
    if (fnli_slex_is(lx, "attr")) {
        if ((rc = cnext(p)) != FNL_OK)
            return rc;
        if (!is_name_tok(lx))
            return cfail(p, "expected an attribute name");
    } else if (fnli_cond_reserved(lx->tok.p, lx->tok.n)) {
        return cfail(p, "a keyword here (write attr NAME for an attribute "
                        "of that name)");
    }
    n.kind = FNLI_C_STR;
    n.field = FNLI_SRC_ATTR;
    if ((rc = intern_tok(p, 2, &n.a)) != FNL_OK || (rc = cnext(p)) != FNL_OK)
        return rc;
    if ((rc = str_op(p, &n, 1)) != FNL_OK)
        return rc;
    return add_node(p, &n, out);
}

static int expr_or(cparse *p, uint32_t *out);

static int unary(cparse *p, uint32_t *out)
{
    int rc;
    if (++p->depth > 64)
        return cfail(p, "condition nested too deeply");
    if (fnli_slex_is(p->lx, "not")) {
        fnli_cnode n;
        memset(&n, 0, sizeof(n));
        n.kind = FNLI_C_NOT;
        n.b = FNLI_NONE;
        if ((rc = cnext(p)) != FNL_OK || (rc = unary(p, &n.a)) != FNL_OK)
            return rc;
        rc = add_node(p, &n, out);
    } else if (p->lx->tok.kind == FNLI_TK_LPAREN) {
        if ((rc = cnext(p)) != FNL_OK || (rc = expr_or(p, out)) != FNL_OK)
            return rc;
        if (p->lx->tok.kind != FNLI_TK_RPAREN)
            return cfail(p, "expected ')'");
        rc = cnext(p);
    } else {
        rc = atom(p, out);
    }
    p->depth--;
    return rc;
}

static int chain(cparse *p, uint32_t *out, const char *word, uint8_t kind,
                 int (*sub)(cparse *, uint32_t *))
{
    uint32_t l;
    int rc = sub(p, &l);
    while (rc == FNL_OK && fnli_slex_is(p->lx, word)) {
        fnli_cnode n;
        memset(&n, 0, sizeof(n));
        n.kind = kind;
        n.a = l;
        if ((rc = cnext(p)) != FNL_OK || (rc = sub(p, &n.b)) != FNL_OK)
            return rc;
        rc = add_node(p, &n, &l);
    }
    if (rc == FNL_OK)
        *out = l;
    return rc;
}

static int expr_and(cparse *p, uint32_t *out)
{
    return chain(p, out, "and", FNLI_C_AND, unary);
}

static int expr_or(cparse *p, uint32_t *out)
{
    return chain(p, out, "or", FNLI_C_OR, expr_and);
}

int fnli_cond_parse(fnl_machine *m, fnli_slex *lx, uint32_t *root,
                    fnli_perr *e)
{
    cparse p;
    p.m = m;
    p.lx = lx;
    p.e = e;
    p.depth = 0;
    return expr_or(&p, root);
}

/* ---- evaluation --------------------------------------------------------------- */

int fnli_attr_array_lookup(void *ctx, const char *name, size_t len,
                           fnl_attr *out)
{
    const fnli_attr_array *a = ctx;
    size_t i;
    for (i = 0; i < a->count; i++) {
        const char *nm = a->attrs[i].name;
        size_t n = strlen(nm);
        if (n == len && fnli_ascii_casecmp_n(nm, n, name, len) == 0) {
            *out = a->attrs[i];
            return 1;
        }
    }
    return 0;
}

static const fnli_score_view *view_of(const fnli_cond_ctx *c, uint32_t model)
{
    const fnli_stage_input *in = fnli_in(c->in, FNLI_IN_VIEWS);
    size_t i;
    if (in->nviews == 0 || in->views == NULL)
        return NULL;
    if (model == FNLI_NONE)
        return &in->views[0];
    for (i = 0; i < in->nviews; i++)
        if (fnli_mstr_eq(c->m, model, in->views[i].model))
            return &in->views[i];
    return NULL;
}

static int compare(double x, int op, double v)
{
    switch (op) {
    case FNLI_OP_EQ: return x == v;
    case FNLI_OP_NE: return x != v;
    case FNLI_OP_LT: return x < v;
    case FNLI_OP_LE: return x <= v;
    case FNLI_OP_GT: return x > v;
    case FNLI_OP_GE: return x >= v;
    default: return 0;
    }
}

static int contains_ci(const char *h, size_t hn, const char *nd, size_t nn)
{
    size_t i;
    if (nn > hn)
        return 0;
    for (i = 0; i + nn <= hn; i++)
        if (fnli_ascii_casecmp_n(h + i, nn, nd, nn) == 0)
            return 1;
    return 0;
}

static int eq_ci(const fnl_machine *m, uint32_t i, const char *s, size_t n)
{
    return m->str[i].n == n && fnli_ascii_casecmp_n(m->str[i].p, n, s, n) == 0;
}

static int eval_str(const fnli_cond_ctx *c, const fnli_cnode *n)
{
    const fnli_stage_input *in = c->in;
    const fnl_machine *m = c->m;
    fnl_attr a;
    const char *s = NULL;
    size_t len, k;
    int have = 0, isnum = 0;
    double num = 0;
    switch (n->field) {
    case FNLI_SRC_ATTR:
        if (in->attr != NULL &&
            in->attr(in->attr_ctx, m->str[n->a].p, m->str[n->a].n, &a)) {
            if (a.type == FNL_ATTR_NUMBER) {
                isnum = 1;
                num = a.num;
                have = 1;
            } else if (a.type == FNL_ATTR_STRING && a.str != NULL) {
                s = a.str;
            }
        }
        break;
    case FNLI_SRC_SOURCE: s = fnli_in(in, FNLI_IN_SOURCE)->source; break;
    case FNLI_SRC_TOUCH_TYPE:
        s = in->kind == FNLI_TRIG_TOUCH ? fnli_in(in, FNLI_IN_TOUCH)->touch_type
                                        : NULL;
        break;
    case FNLI_SRC_TOUCH_CHANNEL:
        s = in->kind == FNLI_TRIG_TOUCH
                ? fnli_in(in, FNLI_IN_TOUCH)->touch_channel
                : NULL;
        break;
    case FNLI_SRC_TOUCH_CAMPAIGN:
        s = in->kind == FNLI_TRIG_TOUCH
                ? fnli_in(in, FNLI_IN_TOUCH)->touch_campaign
                : NULL;
        break;
    default: break;
    }
    len = s != NULL ? strlen(s) : 0;
    if (s != NULL && len > 0)
        have = 1;
    if (n->op == FNLI_OP_EXISTS)
        return have;
    if (n->op == FNLI_OP_MISSING)
        return !have;
    if (!have)
        return 0;
    if (n->numeric)
        return isnum && compare(num, n->op, n->num);
    if (isnum)
        return 0;
    switch (n->op) {
    case FNLI_OP_EQ: return eq_ci(m, n->b, s, len);
    case FNLI_OP_NE: return !eq_ci(m, n->b, s, len);
    case FNLI_OP_CONTAINS:
        return contains_ci(s, len, m->str[n->b].p, m->str[n->b].n);
    case FNLI_OP_IN:
        for (k = 0; k < n->n; k++)
            if (eq_ci(m, m->lists[n->b + k], s, len))
                return 1;
        return 0;
    default: return 0;
    }
}

int fnli_cond_eval(const fnli_cond_ctx *c, uint32_t root)
{
    const fnli_cnode *n;
    const fnli_score_view *v;
    const fnl_machine *m = c->m;
    if (root == FNLI_NONE)
        return 1;
    n = &m->nodes[root];
    switch (n->kind) {
    case FNLI_C_AND: return fnli_cond_eval(c, n->a) && fnli_cond_eval(c, n->b);
    case FNLI_C_OR: return fnli_cond_eval(c, n->a) || fnli_cond_eval(c, n->b);
    case FNLI_C_NOT: return !fnli_cond_eval(c, n->a);
    case FNLI_C_SCORE:
        if ((v = view_of(c, n->a)) == NULL)
            return 0;
        switch (n->field) {
        case FNLI_SF_SCORE: return compare(v->total, n->op, n->num);
        case FNLI_SF_FIT: return compare(v->fit, n->op, n->num);
        case FNLI_SF_ENGAGEMENT: return compare(v->engagement, n->op, n->num);
        case FNLI_SF_GRADE:
            if (v->grade < 'A' || v->grade > 'D')
                return 0;
            return compare(4 - (v->grade - 'A'), n->op, n->num);
        case FNLI_SF_BAND:
            if (v->band < 1 || v->band > 4)
                return 0;
            return compare(v->band, n->op, n->num);
        default: return 0;
        }
    case FNLI_C_THRESHOLD: {
        uint32_t i;
        if ((v = view_of(c, n->a)) == NULL || v->threshold_names == NULL)
            return 0;
        for (i = 0; i < v->threshold_count && i < 64; i++)
            if (fnli_mstr_eq(m, n->b, v->threshold_names[i]))
                return (int)((v->thresholds >> i) & 1);
        return 0;
    }
    case FNLI_C_STR: return eval_str(c, n);
    case FNLI_C_STAGE:
        if (n->op == FNLI_OP_EQ)
            return c->st->stage == n->a;
        if (n->op == FNLI_OP_NE)
            return c->st->stage != n->a;
        return compare(m->stages[c->st->stage].rank, n->op,
                       m->stages[n->a].rank);
    case FNLI_C_REACHED: return (int)((c->st->reached >> n->a) & 1);
    case FNLI_C_UNSUB: return (c->st->flags & FNLI_ST_UNSUBSCRIBED) != 0;
    case FNLI_C_OWNED: return c->st->owner != FNLI_OWNER_NONE;
    default: return 0;
    }
}

int fnli_tfilter_match(const fnl_machine *m, const fnli_tfilter *f,
                       const fnli_stage_input *in)
{
    if (in->kind != FNLI_TRIG_TOUCH)
        return 0;
    if (f->type == FNLI_NONE && f->channel == FNLI_NONE &&
        f->campaign == FNLI_NONE)
        return 1;
    in = fnli_in(in, FNLI_IN_TOUCH);
    if (f->type != FNLI_NONE && !fnli_mstr_eq(m, f->type, in->touch_type))
        return 0;
    if (f->channel != FNLI_NONE &&
        !fnli_mstr_eq(m, f->channel, in->touch_channel))
        return 0;
    if (f->campaign != FNLI_NONE &&
        !fnli_mstr_eq(m, f->campaign, in->touch_campaign))
        return 0;
    return 1;
}

/* ---- printing ----------------------------------------------------------------- */

static const char *const op_text[] = {"", " = ", " != ", " < ", " <= ", " > ",
                                      " >= "};

static void print_model(fnli_sbuf *b, const fnl_machine *m, uint32_t model)
{
    if (model == FNLI_NONE)
        return;
    fnli_sbuf_str(b, "(");
    fnli_sbuf_quoted(b, m->str[model].p);
    fnli_sbuf_str(b, ")");
}

static void print_str(fnli_sbuf *b, const fnl_machine *m, const fnli_cnode *n)
{
    static const char *const names[] = {"", "", "source_channel", "touch_type",
                                        "touch_channel", "touch_campaign"};
    uint32_t k;
    if (n->field == FNLI_SRC_ATTR) {
        const fnli_mstring *a = &m->str[n->a];
        if (fnli_cond_reserved(a->p, a->n))
            fnli_sbuf_str(b, "attr ");
        fnli_sbuf_put(b, a->p, a->n);
    } else {
        fnli_sbuf_str(b, names[n->field]);
    }
    switch (n->op) {
    case FNLI_OP_EXISTS: fnli_sbuf_str(b, " exists"); return;
    case FNLI_OP_MISSING: fnli_sbuf_str(b, " missing"); return;
    case FNLI_OP_CONTAINS:
        fnli_sbuf_str(b, " contains ");
        fnli_sbuf_quoted(b, m->str[n->b].p);
        return;
    case FNLI_OP_IN:
        fnli_sbuf_str(b, " in (");
        for (k = 0; k < n->n; k++) {
            if (k)
                fnli_sbuf_str(b, ", ");
            fnli_sbuf_quoted(b, m->str[m->lists[n->b + k]].p);
        }
        fnli_sbuf_str(b, ")");
        return;
    default:
        fnli_sbuf_str(b, op_text[n->op]);
        if (n->numeric)
            fnli_sbuf_num(b, n->num);
        else
            fnli_sbuf_quoted(b, m->str[n->b].p);
    }
}

static int prec(const fnli_cnode *n)
{
    return n->kind == FNLI_C_OR ? 1 : n->kind == FNLI_C_AND ? 2 : 3;
}

static void print_node(fnli_sbuf *b, const fnl_machine *m, uint32_t i,
                       int min_prec)
{
    static const char *const score_names[] = {"", "score", "fit",
                                              "engagement", "grade", "band"};
    const fnli_cnode *n = &m->nodes[i];
    int paren = prec(n) < min_prec;
    if (paren)
        fnli_sbuf_str(b, "(");
    switch (n->kind) {
    case FNLI_C_AND:
    case FNLI_C_OR:
        print_node(b, m, n->a, prec(n));
        fnli_sbuf_str(b, n->kind == FNLI_C_AND ? " and " : " or ");
        print_node(b, m, n->b, prec(n) + 1);
        break;
    case FNLI_C_NOT:
        fnli_sbuf_str(b, "not ");
        print_node(b, m, n->a, 3);
        break;
    case FNLI_C_SCORE:
        fnli_sbuf_str(b, score_names[n->field]);
        print_model(b, m, n->a);
        fnli_sbuf_str(b, op_text[n->op]);
        if (n->field == FNLI_SF_GRADE) {
            char g[2];
            g[0] = (char)('A' + (4 - (int)n->num));
            g[1] = '\0';
            fnli_sbuf_str(b, g);
        } else {
            fnli_sbuf_num(b, n->num);
        }
        break;
    case FNLI_C_THRESHOLD:
        fnli_sbuf_str(b, "threshold");
        print_model(b, m, n->a);
        fnli_sbuf_str(b, " ");
        fnli_sbuf_quoted(b, m->str[n->b].p);
        break;
    case FNLI_C_STR: print_str(b, m, n); break;
    case FNLI_C_STAGE:
        fnli_sbuf_str(b, "stage");
        fnli_sbuf_str(b, op_text[n->op]);
        fnli_sbuf_str(b, m->str[m->stages[n->a].name].p);
        break;
    case FNLI_C_REACHED:
        fnli_sbuf_str(b, "reached ");
        fnli_sbuf_str(b, m->str[m->stages[n->a].name].p);
        break;
    case FNLI_C_UNSUB: fnli_sbuf_str(b, "unsubscribed"); break;
    case FNLI_C_OWNED: fnli_sbuf_str(b, "owned"); break;
    default: break;
    }
    if (paren)
        fnli_sbuf_str(b, ")");
}

void fnli_cond_print(fnli_sbuf *b, const fnl_machine *m, uint32_t root)
{
    if (root != FNLI_NONE)
        print_node(b, m, root, 1);
}
