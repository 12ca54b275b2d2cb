/* model.h -- the compiled scoring model, shared by the files that build,
 * parse, print and evaluate it (model.c, model_lex.c, model_parse.c,
 * model_text.c, score_expr.c, scoring.c, score_eval.c).  The engine does
 * not include this header: it uses scoring.h. */
#ifndef FNL_MODEL_H
#define FNL_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include "funnelcore.h"
#include "mem.h"
#include "funnelcore.h"

/* Touch string fields, in the order of engine.h's TF_* enum.  Conditions
 * on "value" use FNLI_SF_VALUE. */
enum {
    FNLI_SF_TYPE, FNLI_SF_CHANNEL, FNLI_SF_CAMPAIGN, FNLI_SF_CONTENT,
    FNLI_SF_UTM_SOURCE, FNLI_SF_UTM_MEDIUM, FNLI_SF_UTM_CAMPAIGN,
    FNLI_SF_UTM_TERM, FNLI_SF_UTM_CONTENT, FNLI_SF_COUNT,
    FNLI_SF_VALUE = FNLI_SF_COUNT
};

/* The field's name ("type", ..., "value"), or NULL. */
const char *fnli_score_field_name(uint32_t field);
/* The field of a name (exact, lower case), or -1. */
int fnli_score_field_find(const char *s, size_t n);

/* One compiled condition.  Strings are owned, NUL-terminated. */
typedef struct fnli_cond {
    char *name;               /* fit: folded attribute name; else field */
    uint32_t field;           /* engagement: FNLI_SF_* */
    uint32_t op;              /* fnl_match_op */
    uint32_t negate;
    char **values;
    size_t *lens;
    size_t nvalues;
    double num1, num2;
} fnli_cond;

enum { FNLI_RULE_FIT = 1, FNLI_RULE_ENGAGE = 2, FNLI_RULE_EVENT = 3 };

typedef struct fnli_rule {
    uint32_t kind;
    fnli_cond *conds;
    size_t nconds;
    double points;
    double cap;               /* engage: 0 none */
    uint32_t count;           /* engage: window count (0 none); event: N */
    int64_t period;           /* engage: window ms; event: within ms */
    char *name;               /* event: its name */
    int has_value;            /* a condition on "value" */
    /* Compiled layout in the per-contact state (scoring.c). */
    uint32_t cap_off;         /* capped engage rule: offset of its double */
    uint32_t ring_off;        /* window / event ring: offset, 0 none */
    char *text;               /* canonical line, set at finish */
} fnli_rule;

/* Expressions: nodes in one array, children by index. */
enum {
    FNLI_E_AND = 1, FNLI_E_OR, FNLI_E_NOT, FNLI_E_SCORE, FNLI_E_FIT,
    FNLI_E_ENG, FNLI_E_GRADE, FNLI_E_BAND, FNLI_E_EVENT, FNLI_E_CELL
};
enum { FNLI_CMP_GE = 1, FNLI_CMP_GT, FNLI_CMP_LE, FNLI_CMP_LT, FNLI_CMP_EQ,
       FNLI_CMP_NE };

typedef struct fnli_enode {
    uint8_t kind;
    uint8_t cmp;              /* FNLI_CMP_* for comparisons */
    uint32_t a, b;            /* children; EVENT: index; CELL: cell mask */
    double num;               /* GRADE: 4=A..1=D; BAND: 1..4 */
} fnli_enode;

typedef struct fnli_expr {
    fnli_enode *n;
    size_t count;
    uint32_t root;
} fnli_expr;

typedef struct fnli_threshold {
    char *name;
    fnli_expr expr;
} fnli_threshold;

struct fnl_model {
    fnli_mem mem;
    char *name;
    uint32_t version;
    int64_t half_life;
    fnli_rule *fit, *eng, *ev;
    size_t nfit, neng, nev;
    size_t capfit, capeng, capev;
    double grade_min[3];      /* A, B, C */
    uint32_t grade_set;       /* bit i: grade_min[i] defined */
    double band_min[3];       /* 1, 2, 3 */
    uint32_t band_set;
    fnli_threshold *th;
    size_t nth, capth;
    uint32_t rollup, top_n;
    fnli_expr engaged;        /* count 0: default (engagement > 0) */
    uint32_t roles;
    /* Set at finish. */
    uint64_t value_eng;       /* engage rules with a value condition */
    uint64_t value_ev;        /* key events with one */
    uint64_t capped;          /* capped engage rules */
    uint64_t windowed;        /* engage rules with a window */
    uint32_t state_size;
    uint64_t fingerprint;
    char *text;
    size_t text_len;
    int finished;
};

/* A model under construction is a fnl_model with finished == 0. */
struct fnl_model_builder {
    fnl_model *m;             /* NULL once spent */
    fnli_mem mem;             /* the builder block's own allocator */
};

/* model.c */
int fnli_model_new(fnl_model **out, const char *name, size_t len,
                   const fnl_allocator *alloc);
void fnli_model_destroy(fnl_model *m);
/* Validate and add rules (the builder's and the parser's one road).  On
 * failure *why (static English) says what is wrong and nothing changed. */
int fnli_model_add_rule(fnl_model *m, uint32_t kind, const char *name,
                        const fnl_match *conds, size_t nconds, double points,
                        double cap, uint32_t count, int64_t period,
                        const char **why);
int fnli_model_add_threshold(fnl_model *m, const char *name, size_t nlen,
                             fnli_expr *expr, const char **why);
int fnli_model_finish(fnl_model *m, const char **why);
/* 1 if x is finite, |x| <= FNL_MODEL_MAX_POINTS and has at most 9
 * decimals, so that the text form is exact. */
int fnli_number_ok(double x);
int fnli_event_find(const fnl_model *m, const char *s, size_t n);
void fnli_expr_free(fnli_mem *mem, fnli_expr *e);

/* model_lex.c: the tokenizer shared by the model and expression parsers.
 * Locale-free. */
enum {
    FNLI_T_END = 0, FNLI_T_WORD, FNLI_T_STRING, FNLI_T_NUMBER,
    FNLI_T_DURATION, FNLI_T_OP, FNLI_T_LPAREN, FNLI_T_RPAREN, FNLI_T_COMMA
};

typedef struct fnli_token {
    int kind;
    const char *p;            /* the token's bytes in the input */
    size_t n;
    size_t col;               /* 1-based byte column */
    double num;               /* NUMBER */
    int sign;                 /* NUMBER: 1 if written with + or - */
    int64_t ms;               /* DURATION */
    int cmp;                  /* OP: FNLI_CMP_* */
} fnli_token;

typedef struct fnli_lexer {
    const char *s;            /* the line */
    size_t len;
    size_t pos;
    fnli_token tok;           /* current token */
    const char *err;          /* set on a lexical error */
    size_t err_col;
    char *sbuf;               /* decoded STRING (caller's buffer) */
    size_t sbuf_cap;
    size_t slen;
} fnli_lexer;

void fnli_lex_init(fnli_lexer *lx, const char *s, size_t len, char *sbuf,
                   size_t sbuf_cap);
/* Advance; FNL_OK or FNL_EINVAL with lx->err / err_col set. */
int fnli_lex_next(fnli_lexer *lx);
/* 1 if the current token is the word kw (ASCII case ignored). */
int fnli_lex_is(const fnli_lexer *lx, const char *kw);
/* Parse a decimal number s[0..n) (optional sign, digits, optional '.'
 * and up to 9 decimals) exactly.  FNL_OK or FNL_EINVAL. */
int fnli_parse_decimal(const char *s, size_t n, double *out);

/* model_text.c */
/* Append the canonical text of a number / duration / string to a
 * growable buffer; the buffer type is private to model_text.c and
 * score_expr.c shares it through these. */
typedef struct fnli_buf {
    fnli_mem *mem;
    char *p;
    size_t n, cap;
    int failed;               /* an allocation failed: output is void */
} fnli_buf;
void fnli_buf_put(fnli_buf *b, const char *s, size_t n);
void fnli_buf_str(fnli_buf *b, const char *s);
void fnli_buf_num(fnli_buf *b, double x);
void fnli_buf_quoted(fnli_buf *b, const char *s, size_t n);
/* A bare word if it lexes as one and is no keyword, else quoted. */
void fnli_buf_value(fnli_buf *b, const char *s, size_t n);
int fnli_model_render(fnl_model *m);   /* rule texts and model text */

/* score_expr.c */
/* Parse an expression from the lexer's current token to the end of the
 * line.  FNL_EINVAL with *why and *col; FNL_ENOMEM. */
int fnli_expr_parse(fnli_lexer *lx, fnli_mem *mem, const fnl_model *model,
                    fnli_expr *out, const char **why, size_t *col);
int fnli_expr_eval(const fnli_expr *e, const fnl_score_result *r);
void fnli_expr_print(fnli_buf *b, const fnli_expr *e, const fnl_model *m);

/* model_parse.c: parse an expression given as a whole string (for the
 * builder's threshold and engaged calls and fnl_score_expr_parse). */
int fnli_expr_parse_text(const char *text, size_t len, fnli_mem *mem,
                         const fnl_model *model, fnli_expr *out,
                         fnl_parse_error *err);
void fnli_parse_error_set(fnl_parse_error *err, uint32_t line, uint32_t col,
                          const char *msg, const char *detail, size_t dn);

#endif
