/* model_lex.c -- the tokenizer of the model language and of score
 * expressions: one line at a time, locale-free, exact decimal numbers. */
#include <string.h>
#include "model.h"
#include "text.h"

void fnli_lex_init(fnli_lexer *lx, const char *s, size_t len, char *sbuf,
                   size_t sbuf_cap)
{
    memset(lx, 0, sizeof(*lx));
    lx->s = s;
    lx->len = len;
    lx->sbuf = sbuf;
    lx->sbuf_cap = sbuf_cap;
}

static const double pow10_tab[10] = {1e0, 1e1, 1e2, 1e3, 1e4,
                                     1e5, 1e6, 1e7, 1e8, 1e9};

int fnli_parse_decimal(const char *s, size_t n, double *out)
{
    size_t i = 0;
    int neg = 0, frac = -1, digits = 0;
    uint64_t m = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    for (; i < n; i++) {
        if (s[i] == '.' && frac < 0) {
            frac = 0;
            continue;
        }
        if (!fnli_is_digit(s[i]))
            return FNL_EINVAL;
        if (m > (UINT64_C(1) << 53) / 10)
            return FNL_EINVAL; /* too many digits to be exact */
        m = m * 10 + (uint64_t)(s[i] - '0');
        digits++;
        if (frac >= 0 && ++frac > 9)
            return FNL_EINVAL;
    }
    if (digits == 0 || frac == 0 || m >= (UINT64_C(1) << 53))
        return FNL_EINVAL;
    /* both operands are exact doubles, so one division rounds correctly */
    *out = (double)m / pow10_tab[frac < 0 ? 0 : frac];
    if (neg)
        *out = -*out;
    return FNL_OK;
}

static int word_start(char c)
{
    return fnli_is_alpha(c) || c == '_';
}

static int word_char(char c)
{
    return fnli_is_alpha(c) || fnli_is_digit(c) || c == '_' || c == '.' ||
           c == '-';
}

static int fail(fnli_lexer *lx, const char *why, size_t at)
{
    lx->err = why;
    lx->err_col = at + 1;
    return FNL_EINVAL;
}

/* A duration: digits then a unit. */
static int duration(fnli_lexer *lx, const char *p, size_t dn, const char *u,
                    size_t un, size_t at)
{
    static const struct { const char *u; int64_t ms; } units[] = {
        {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000},
        {"d", 86400000}, {"w", 604800000}};
    int64_t v = 0;
    size_t i;
    for (i = 0; i < dn; i++) {
        if (v > INT64_C(1000000000000000))
            return fail(lx, "duration too long", at);
        v = v * 10 + (p[i] - '0');
    }
    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (strlen(units[i].u) == un && memcmp(units[i].u, u, un) == 0) {
            if (v > FNL_MODEL_MAX_DURATION / units[i].ms)
                return fail(lx, "duration too long (at most 100 years)", at);
            lx->tok.ms = v * units[i].ms;
            return FNL_OK;
        }
    return fail(lx, "unknown duration unit (use ms, s, m, h, d or w)",
                at + dn);
}

static int string_tok(fnli_lexer *lx, size_t at)
{
    size_t i = at + 1, o = 0;
    while (i < lx->len && lx->s[i] != '"') {
        char c = lx->s[i];
        if (c == '\\') {
            if (++i >= lx->len)
                break;
            switch (lx->s[i]) {
            case '"': c = '"'; break;
            case '\\': c = '\\'; break;
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            default:
                return fail(lx, "unknown escape (use \\\" \\\\ \\n \\t)", i - 1);
            }
        } else if ((unsigned char)c < 0x20) {
            return fail(lx, "control character in a string", i);
        }
        if (o >= lx->sbuf_cap)
            return fail(lx, "string too long", at);
        lx->sbuf[o++] = c;
        i++;
    }
    if (i >= lx->len)
        return fail(lx, "unterminated string", at);
    if (!fnli_utf8_valid(lx->sbuf, o))
        return fail(lx, "invalid UTF-8 in a string", at);
    lx->slen = o;
    lx->tok.kind = FNLI_T_STRING;
    lx->tok.p = lx->sbuf;
    lx->tok.n = o;
    lx->pos = i + 1;
    return FNL_OK;
}

int fnli_lex_next(fnli_lexer *lx)
{
    const char *s = lx->s;
    size_t i = lx->pos, start;
    char c;
    while (i < lx->len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
        i++;
    memset(&lx->tok, 0, sizeof(lx->tok));
    lx->tok.col = i + 1;
    if (i >= lx->len || s[i] == '#') {
        lx->tok.kind = FNLI_T_END;
        lx->pos = lx->len;
        return FNL_OK;
    }
    start = i;
    c = s[i];
    lx->tok.p = s + i;
    if (c == '"')
        return string_tok(lx, i);
    if (word_start(c)) {
        while (i < lx->len && word_char(s[i]))
            i++;
        lx->tok.kind = FNLI_T_WORD;
    } else if (fnli_is_digit(c) ||
               ((c == '+' || c == '-') && i + 1 < lx->len &&
                fnli_is_digit(s[i + 1]))) {
        size_t d0 = i, dn;
        if (c == '+' || c == '-') {
            lx->tok.sign = 1;
            i++;
        }
        while (i < lx->len && (fnli_is_digit(s[i]) || s[i] == '.'))
            i++;
        dn = i - d0;
        if (i < lx->len && fnli_is_alpha(s[i])) {
            size_t u0 = i;
            while (i < lx->len && fnli_is_alpha(s[i]))
                i++;
            if (lx->tok.sign || memchr(s + d0, '.', dn) != NULL)
                return fail(lx, "a duration is a whole number and a unit, "
                                "e.g. 7d", start);
            lx->tok.kind = FNLI_T_DURATION;
            lx->tok.n = i - start;
            lx->pos = i;
            return duration(lx, s + d0, dn, s + u0, i - u0, start);
        }
        if (i < lx->len && word_char(s[i]))
            return fail(lx, "malformed number", start);
        if (fnli_parse_decimal(s + d0, dn, &lx->tok.num) != FNL_OK)
            return fail(lx, "malformed number (at most 9 decimals and 15 "
                            "digits)", start);
        lx->tok.kind = FNLI_T_NUMBER;
    } else if (c == '(' || c == ')' || c == ',') {
        i++;
        lx->tok.kind = c == '(' ? FNLI_T_LPAREN
                       : c == ')' ? FNLI_T_RPAREN : FNLI_T_COMMA;
    } else if (c == '>' || c == '<' || c == '=' || c == '!') {
        int eq = i + 1 < lx->len && s[i + 1] == '=';
        lx->tok.kind = FNLI_T_OP;
        if (c == '>')
            lx->tok.cmp = eq ? FNLI_CMP_GE : FNLI_CMP_GT;
        else if (c == '<')
            lx->tok.cmp = eq ? FNLI_CMP_LE : FNLI_CMP_LT;
        else if (c == '=')
            lx->tok.cmp = FNLI_CMP_EQ;
        else if (eq)
            lx->tok.cmp = FNLI_CMP_NE;
        else
            return fail(lx, "unexpected '!' (did you mean '!=')", start);
        i += eq ? 2 : 1;
    } else {
        return fail(lx, "unexpected character", start);
    }
    lx->tok.n = i - start;
    lx->pos = i;
    return FNL_OK;
}

int fnli_lex_is(const fnli_lexer *lx, const char *kw)
{
    return lx->tok.kind == FNLI_T_WORD &&
           fnli_ascii_casecmp_n(lx->tok.p, lx->tok.n, kw, strlen(kw)) == 0;
}
