/* stage_syntax.h -- shared by the machine builder, the text parser, the
 * condition language and the canonical printer: the lexer, builder entry
 * points taking string slices, and error reporting. */
#ifndef FNL_STAGE_SYNTAX_H
#define FNL_STAGE_SYNTAX_H

#include <stddef.h>
#include <stdint.h>
#include "stage.h"

/* ---- lexer ---------------------------------------------------------------- */

enum {
    FNLI_TK_END = 0, FNLI_TK_NL, FNLI_TK_WORD, FNLI_TK_STRING,
    FNLI_TK_NUMBER, FNLI_TK_ARROW, FNLI_TK_CMP, FNLI_TK_LPAREN,
    FNLI_TK_RPAREN, FNLI_TK_COMMA, FNLI_TK_STAR
};

typedef struct fnli_stok {
    int kind;
    const char *p;        /* WORD: the word; STRING: between the quotes
                             (escapes not yet resolved); NUMBER: digits */
    size_t n;
    int esc;              /* STRING with a backslash escape */
    double num;           /* NUMBER */
    const char *unit;     /* NUMBER: letters right after it ("d", "ms") */
    size_t unit_n;
    uint8_t cmp;          /* CMP: FNLI_OP_EQ .. FNLI_OP_GE */
    uint32_t line, col;   /* 1-based */
} fnli_stok;

typedef struct fnli_slex {
    const char *s;
    size_t n, i;
    uint32_t line;
    size_t line_start;
    uint32_t col_base;    /* added to columns (conditions inside a line) */
    fnli_stok tok;
    const char *err;
} fnli_slex;

void fnli_slex_init(fnli_slex *lx, const char *s, size_t n, uint32_t line,
                    uint32_t col_base);
/* Advance; FNL_OK or FNL_EINVAL with lx->err set (position: lx->tok). */
int fnli_slex_next(fnli_slex *lx);
/* The current token is the WORD w (ASCII case ignored). */
int fnli_slex_is(const fnli_slex *lx, const char *w);

/* A string slice; esc: a STRING token body whose escapes (\" \\) are
 * resolved when it is copied. */
typedef struct fnli_txt {
    const char *p;
    size_t n;
    int esc;
} fnli_txt;

static inline fnli_txt fnli_txt_of(const char *s);

/* ---- errors --------------------------------------------------------------- */

typedef struct fnli_perr {
    int set;
    uint32_t line, col;   /* 0: unknown */
    char msg[200];
} fnli_perr;

void fnli_perr_set(fnli_perr *e, uint32_t line, uint32_t col,
                   const char *why, const char *name, size_t name_n);
void fnli_perr_copy(fnl_parse_error *err, const fnli_perr *e);

/* ---- builder, on slices --------------------------------------------------- */

struct fnl_machine_builder {
    fnl_machine *m;
    fnli_mem mem;         /* the builder's own: it may outlive m */
    int spent;
};

typedef struct fnli_trans_in {
    fnli_txt from, to;    /* from "*": wildcard */
    int back;
    uint32_t trigger;
    fnli_txt name, reason;
    fnli_txt type, channel, campaign;
    int64_t duration;
    fnli_txt when;        /* p NULL: none */
    uint32_t when_line, when_col;
    int32_t priority;
} fnli_trans_in;

typedef struct fnli_route_in {
    fnli_txt stage, when, name;
    uint32_t when_line, when_col;
    uint32_t target, mode;
} fnli_route_in;

typedef struct fnli_sla_in {
    fnli_txt stage, name, event;
    uint32_t kind, count, by_owner;
    fnli_txt type, channel, campaign;
    int64_t within;
    int days;
    fnli_txt calendar;
    uint32_t cal_line, cal_col;
    uint32_t breach;
    fnli_txt breach_stage;
} fnli_sla_in;

typedef struct fnli_step_in {
    fnli_txt name, stage, event;
    uint32_t trigger;
    fnli_txt type, channel, campaign;
    fnli_txt when, unless, action;
    uint32_t when_line, when_col, unless_line, unless_col;
    int64_t after;
} fnli_step_in;

/* A new machine under construction (finished = 0). */
int fnli_machine_new(fnl_machine **out, const fnl_allocator *alloc,
                     fnli_txt name, uint32_t version, fnli_perr *e);
void fnli_machine_destroy(fnl_machine *m);
int fnli_mb_stage(fnl_machine *m, fnli_txt name, uint32_t flags,
                  fnli_perr *e);
int fnli_mb_transition(fnl_machine *m, const fnli_trans_in *t, fnli_perr *e);
int fnli_mb_group(fnl_machine *m, fnli_txt name, const fnli_txt *members,
                  size_t count, fnli_perr *e);
int fnli_mb_route(fnl_machine *m, const fnli_route_in *r, fnli_perr *e);
int fnli_mb_fallback(fnl_machine *m, fnli_txt queue, fnli_perr *e);
int fnli_mb_sla(fnl_machine *m, const fnli_sla_in *s, fnli_perr *e);
int fnli_mb_step(fnl_machine *m, const fnli_step_in *s, fnli_perr *e);
/* Validate and compile (orders, canonical text).  On failure the machine
 * is as before. */
int fnli_mb_finish(fnl_machine *m, fnli_perr *e);

/* Marks for rolling back a failed add. */
typedef struct fnli_mmark {
    size_t nstr, nnodes, nlists, nowners, nmembers;
} fnli_mmark;
void fnli_mb_mark(const fnl_machine *m, fnli_mmark *mk);
void fnli_mb_rollback(fnl_machine *m, const fnli_mmark *mk);

/* Intern a string (escapes resolved; validated as UTF-8, 1..FNL_MAX_STRING
 * bytes, or a folded name when name_kind is 1 ([a-z0-9_]) or 2 (also .-)).
 * FNL_OK with *idx, or FNL_EINVAL / FNL_ENOMEM with *e set. */
int fnli_mb_intern(fnl_machine *m, fnli_txt s, int name_kind, uint32_t *idx,
                   fnli_perr *e, uint32_t line, uint32_t col);

/* Parse a condition into the machine's node pool: *root.  The lexer is
 * positioned on its first token; parsing stops at the first token that
 * cannot continue it (a clause keyword, a newline, the end). */
int fnli_cond_parse(fnl_machine *m, fnli_slex *lx, uint32_t *root,
                    fnli_perr *e);
/* 1 if w[0..n) is a keyword that cannot be a bare attribute name. */
int fnli_cond_reserved(const char *w, size_t n);
/* Parse a duration token ("30d", "48h", "90m", "10s", "250ms", "0"):
 * FNL_OK with *ms and *days (unit d), FNL_EINVAL otherwise. */
int fnli_duration_parse(const fnli_stok *t, int64_t *ms, int *days);

/* ---- printing ------------------------------------------------------------- */

typedef struct fnli_sbuf {
    fnli_mem *mem;
    char *p;
    size_t n, cap;
    int failed;
} fnli_sbuf;

void fnli_sbuf_put(fnli_sbuf *b, const char *s, size_t n);
void fnli_sbuf_str(fnli_sbuf *b, const char *s);
void fnli_sbuf_int(fnli_sbuf *b, int64_t v);
void fnli_sbuf_num(fnli_sbuf *b, double v);
void fnli_sbuf_quoted(fnli_sbuf *b, const char *s);
/* "30d" / "48h" / "90m" / "10s" / "250ms" / "0s"; days: whole days are
 * printed in d (else never in d). */
void fnli_sbuf_duration(fnli_sbuf *b, int64_t ms, int days);
void fnli_cond_print(fnli_sbuf *b, const fnl_machine *m, uint32_t root);
/* Build m->text. */
int fnli_machine_render(fnl_machine *m);

static inline fnli_txt fnli_txt_of(const char *s)
{
    fnli_txt t;
    size_t n = 0;
    if (s != NULL)
        while (s[n] != '\0')
            n++;
    t.p = s;
    t.n = n;
    t.esc = 0;
    return t;
}

#endif
