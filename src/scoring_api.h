/* scoring_api.h -- DRAFT of the public lead-scoring declarations.
 *
 * Everything here is meant to move, as is, into include/funnelcore.h
 * (section "Lead scoring"); until then the library's .c files include it
 * and export these symbols with FNL_API.  The model language, the exact
 * semantics of caps, windows, key events and decay, and worked examples
 * are in docs/scoring.md.
 *
 * Overview.  A scoring model is built with the builder calls below or
 * parsed from its text format, and compiled into an immutable fnl_model.
 * A model gives every contact:
 *
 *   fit         the sum of the points of the fit rules its profile
 *               attributes match (no decay);
 *   engagement  the points its touches earned through engagement rules
 *               and key events, each decaying with the model's half-life
 *               from the time it was earned;
 *   total       fit + engagement;
 *   grade       'A'..'D' from fit, band 1..4 from engagement, and the
 *               matrix cell "A1".."D4" (A1 best);
 *   thresholds  named boolean expressions ("mql when score >= 60 and
 *               grade >= B") a stage machine can use as guards.
 *
 * The functions below need no engine: memory comes from the allocator
 * given to the builder or parser (NULL: libc), which the model keeps.  A
 * model is immutable, so one model may be read from several threads at
 * once; builders and expressions are used by one thread at a time.
 */
#ifndef FNL_SCORING_API_H
#define FNL_SCORING_API_H

#include <stddef.h>
#include <stdint.h>
#include "funnelcore.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Limits
 * ------------------------------------------------------------------------ */

/** Most engagement rules, key events and thresholds in one model (each). */
#define FNL_MODEL_MAX_ENGAGE 64
#define FNL_MODEL_MAX_KEY_EVENTS 64
#define FNL_MODEL_MAX_THRESHOLDS 64
/** Most fit rules in one model. */
#define FNL_MODEL_MAX_FIT 1024
/** Most conditions in one rule, and values in one `in (...)` list. */
#define FNL_MODEL_MAX_CONDS 16
#define FNL_MODEL_MAX_VALUES 256
/** Largest N of "per_window N in W" and of a key event's "count N". */
#define FNL_MODEL_MAX_WINDOW 256
/** Longest half-life, window or key-event period: 100 years of 365 days. */
#define FNL_MODEL_MAX_DURATION INT64_C(3153600000000)
/** Largest magnitude of points, caps and thresholds. */
#define FNL_MODEL_MAX_POINTS 1e12
/** Largest top-N of an account roll-up. */
#define FNL_MODEL_MAX_TOP_N 64

/* ------------------------------------------------------------------------
 * Models
 * ------------------------------------------------------------------------ */

typedef struct fnl_model fnl_model;
typedef struct fnl_model_builder fnl_model_builder;

/**
 * Where and why parsing failed.  line and column count from 1 (column in
 * bytes); message is an English, NUL-terminated description ("unknown
 * keyword 'fitt'", "points need a sign, e.g. +10 or -5").  On an
 * allocation failure line and column are 0 and message is "out of
 * memory".  On success line and column are 0 and message is "".
 */
typedef struct fnl_parse_error {
    uint32_t size;
    uint32_t line;
    uint32_t column;
    char message[256];
} fnl_parse_error;

#define FNL_PARSE_ERROR_INIT { sizeof(fnl_parse_error), 0, 0, { 0 } }
/** Reset *err for a caller whose struct is `size` bytes.  FNL_EINVAL if
 *  err is NULL or size is smaller than the size field. */
FNL_API int fnl_parse_error_init(fnl_parse_error *err, size_t size);

/**
 * Parse a model from its text format (docs/scoring.md) and compile it.
 * text[0..len) need not be NUL-terminated; it must be UTF-8.  alloc (NULL:
 * libc) is copied and used for everything the model holds.  err may be
 * NULL; when given, its size field must be set.
 *
 * On success *out owns a new model, freed with fnl_model_free().  On
 * failure *out is not written and no model exists: there are no partial
 * models.  Attribute names the model refers to need not exist anywhere
 * (a contact lacking one simply does not match); unknown keywords, fields,
 * units and key-event names are errors.
 * Errors: FNL_EINVAL (out or text NULL, bad allocator; or a syntax or
 * semantic error, described in *err), FNL_ELIMIT (a limit above exceeded,
 * described in *err), FNL_EVERSION (allocator table too new), FNL_ENOMEM.
 */
FNL_API int fnl_model_parse(fnl_model **out, const char *text, size_t len,
                            const fnl_allocator *alloc, fnl_parse_error *err);

/** Free a model.  NULL is a no-op.  Strings borrowed from it die with it. */
FNL_API void fnl_model_free(fnl_model *model);

/** The model's name, borrowed until fnl_model_free(); "" for NULL. */
FNL_API const char *fnl_model_name(const fnl_model *model);

/** Facts about a model. */
typedef struct fnl_model_info {
    uint32_t size;
    const char *name;        /* borrowed from the model */
    uint32_t version;
    int64_t half_life;       /* ms; 0: no decay */
    uint32_t fit_rules;
    uint32_t engage_rules;
    uint32_t key_events;
    uint32_t thresholds;
    uint64_t fingerprint;    /* hash of the canonical text */
} fnl_model_info;

#define FNL_MODEL_INFO_INIT \
    { sizeof(fnl_model_info), NULL, 0, 0, 0, 0, 0, 0, 0 }
FNL_API int fnl_model_info_init(fnl_model_info *info, size_t size);
/** Fill *out (whose size the caller set).  FNL_EINVAL on NULL. */
FNL_API int fnl_model_get_info(const fnl_model *model, fnl_model_info *out);

/**
 * The model in canonical text form: parsing it gives the same model, and
 * printing that model gives the same text byte for byte.  Writes the text
 * and a NUL to buf when cap > the text's length; *len (required) receives
 * the length without the NUL.  When cap is too small nothing is written
 * and FNL_ERANGE is returned with *len set, so a caller can size a buffer
 * (len + 1) and call again.  buf may be NULL when cap is 0.
 * The text is built when the model is compiled, so this never allocates.
 */
FNL_API int fnl_model_to_text(const fnl_model *model, char *buf, size_t cap,
                              size_t *len);

/** The name of key event `index` (0-based, in definition order), borrowed
 *  from the model; NULL when out of range. */
FNL_API const char *fnl_model_key_event_name(const fnl_model *model,
                                             uint32_t index);
/** The name of threshold `index`, borrowed; NULL when out of range. */
FNL_API const char *fnl_model_threshold_name(const fnl_model *model,
                                             uint32_t index);
/** The index of the threshold called `name` (ASCII case ignored).
 *  FNL_ENOTFOUND when there is none; FNL_EINVAL on NULL. */
FNL_API int fnl_model_threshold_find(const fnl_model *model, const char *name,
                                     uint32_t *index);

/* ------------------------------------------------------------------------
 * Building a model through the API
 *
 * Each add call validates its input completely and either adds the rule
 * or changes nothing (FNL_EINVAL, FNL_ELIMIT, FNL_ENOMEM).  Strings and
 * arrays are copied.  Rules keep the order in which they were added.
 * ------------------------------------------------------------------------ */

/** Match operators (values stable). */
typedef enum fnl_match_op {
    FNL_MATCH_EQUALS = 1,      /* string equal to values[0] (ASCII case
                                  ignored) */
    FNL_MATCH_IN = 2,          /* equal to one of values[] */
    FNL_MATCH_CONTAINS = 3,    /* contains values[0] (case ignored) */
    FNL_MATCH_PREFIX = 4,      /* starts with values[0] */
    FNL_MATCH_SUFFIX = 5,      /* ends with values[0] */
    FNL_MATCH_EXISTS = 6,      /* present (and not empty) */
    FNL_MATCH_MISSING = 7,     /* absent or empty */
    FNL_MATCH_NUM_EQ = 8,      /* number == num1 */
    FNL_MATCH_GE = 9,          /* number >= num1 */
    FNL_MATCH_GT = 10,         /* number >  num1 */
    FNL_MATCH_LE = 11,         /* number <= num1 */
    FNL_MATCH_LT = 12,         /* number <  num1 */
    FNL_MATCH_BETWEEN = 13,    /* num1 <= number <= num2 */
    FNL_MATCH_FREEMAIL = 14,   /* fit only: an e-mail address or domain on
                                  the free-mail list */
    FNL_MATCH_DOMAIN = 15      /* fit only: the e-mail domain (or the value
                                  itself) is one of values[] or a subdomain
                                  of one */
} fnl_match_op;

/**
 * One condition.  In a fit rule `name` is a profile attribute name
 * ([a-z0-9_.-], case folded); in an engagement rule or key event it is a
 * touch field: "type", "channel", "campaign", "content", "utm_source",
 * "utm_medium", "utm_campaign", "utm_term", "utm_content" (string
 * operators) or "value" (numeric operators only).  negate (0 or 1) inverts
 * the string operators EQUALS..SUFFIX, FREEMAIL and DOMAIN; an absent value
 * matches nothing but MISSING, negated or not.  Numbers must be finite,
 * |x| <= FNL_MODEL_MAX_POINTS, with at most 9 decimals (so that the text
 * form is exact).
 */
typedef struct fnl_match {
    const char *name;
    uint32_t op;                 /* fnl_match_op */
    uint32_t negate;
    const char *const *values;   /* EQUALS..SUFFIX: 1; IN, DOMAIN: >= 1 */
    size_t value_count;
    double num1;
    double num2;
} fnl_match;

/** A fit rule: `points` when every condition holds. */
typedef struct fnl_fit_rule {
    uint32_t size;
    const fnl_match *conds;      /* 1..FNL_MODEL_MAX_CONDS */
    size_t cond_count;
    double points;
} fnl_fit_rule;

#define FNL_FIT_RULE_INIT { sizeof(fnl_fit_rule), NULL, 0, 0.0 }
FNL_API int fnl_fit_rule_init(fnl_fit_rule *r, size_t size);

/**
 * An engagement rule: `points` per matching touch, counted in time order.
 * window_count > 0: at most window_count touches are counted in any
 * window of window_ms (docs/scoring.md: the window of a touch at t is
 * (t - window_ms, t]).  cap > 0: the rule's current value (decayed) never
 * exceeds cap in magnitude.
 */
typedef struct fnl_engage_rule {
    uint32_t size;
    const fnl_match *conds;      /* 1..FNL_MODEL_MAX_CONDS */
    size_t cond_count;
    double points;
    double cap;                  /* 0: none */
    uint32_t window_count;       /* 0: none; else 1..FNL_MODEL_MAX_WINDOW */
    int64_t window_ms;           /* > 0 when window_count > 0 */
} fnl_engage_rule;

#define FNL_ENGAGE_RULE_INIT { sizeof(fnl_engage_rule), NULL, 0, 0.0, 0.0, 0, 0 }
FNL_API int fnl_engage_rule_init(fnl_engage_rule *r, size_t size);

/**
 * A key event: fires at a matching touch when it and the count - 1
 * matching touches before it lie within `within_ms` (0: any time), and
 * the event has not fired within the last within_ms (within_ms 0: fires
 * once per contact, ever).  Each firing adds `points` of engagement.
 */
typedef struct fnl_key_event_rule {
    uint32_t size;
    const char *name;            /* required, unique in the model */
    const fnl_match *conds;
    size_t cond_count;
    uint32_t count;              /* 1..FNL_MODEL_MAX_WINDOW (0 means 1) */
    int64_t within_ms;           /* 0: no window */
    double points;
} fnl_key_event_rule;

#define FNL_KEY_EVENT_RULE_INIT \
    { sizeof(fnl_key_event_rule), NULL, NULL, 0, 1, 0, 0.0 }
FNL_API int fnl_key_event_rule_init(fnl_key_event_rule *r, size_t size);

/** Account roll-up modes. */
typedef enum fnl_rollup {
    FNL_ROLLUP_SUM = 1,   /* sum of the contacts' totals (the default) */
    FNL_ROLLUP_MAX = 2,   /* the best contact's total */
    FNL_ROLLUP_TOP = 3    /* mean of the top_n best totals */
} fnl_rollup;

/**
 * Start a model called `name` (non-empty UTF-8, at most FNL_MAX_NAME
 * bytes, copied).  alloc (NULL: libc) is copied and becomes the model's.
 * *out owns the builder; free it with fnl_model_builder_free().
 * Errors: FNL_EINVAL, FNL_EVERSION, FNL_ENOMEM.
 */
FNL_API int fnl_model_builder_new(fnl_model_builder **out, const char *name,
                                  const fnl_allocator *alloc);
/** Free a builder (and whatever it holds).  NULL is a no-op. */
FNL_API void fnl_model_builder_free(fnl_model_builder *b);
/** Set the model's version number (default 1). */
FNL_API int fnl_model_builder_version(fnl_model_builder *b, uint32_t version);
/** Engagement half-life in ms, 1..FNL_MODEL_MAX_DURATION; 0: no decay
 *  (the default). */
FNL_API int fnl_model_builder_decay(fnl_model_builder *b, int64_t half_life);
/** Add a fit rule.  FNL_ELIMIT past FNL_MODEL_MAX_FIT rules. */
FNL_API int fnl_model_builder_fit(fnl_model_builder *b, const fnl_fit_rule *r);
/** Add an engagement rule.  FNL_ELIMIT past FNL_MODEL_MAX_ENGAGE rules. */
FNL_API int fnl_model_builder_engage(fnl_model_builder *b,
                                     const fnl_engage_rule *r);
/** Add a key event.  FNL_EEXIST when the name is taken (ASCII case
 *  ignored); FNL_ELIMIT past FNL_MODEL_MAX_KEY_EVENTS. */
FNL_API int fnl_model_builder_key_event(fnl_model_builder *b,
                                        const fnl_key_event_rule *r);
/** Grade `grade` ('A', 'B' or 'C') is given when fit >= min_fit.  Below
 *  every defined threshold the grade is 'D'.  At finish, A >= B >= C must
 *  hold among those defined. */
FNL_API int fnl_model_builder_grade(fnl_model_builder *b, char grade,
                                    double min_fit);
/** Band `band` (1, 2 or 3) is given when engagement >= min_engagement;
 *  below every defined threshold the band is 4.  At finish, 1 >= 2 >= 3
 *  must hold among those defined. */
FNL_API int fnl_model_builder_band(fnl_model_builder *b, uint32_t band,
                                   double min_engagement);
/**
 * Add a named threshold: `expr` in the expression language of
 * docs/scoring.md ("score >= 60 and grade >= B"); key events it names must
 * have been added before.  name is [a-z0-9_], unique.  err may be NULL.
 * Errors: FNL_EINVAL (bad name or expression, see *err), FNL_EEXIST,
 * FNL_ELIMIT, FNL_ENOMEM.
 */
FNL_API int fnl_model_builder_threshold(fnl_model_builder *b, const char *name,
                                        const char *expr, fnl_parse_error *err);
/** How account scores roll up (fnl_rollup); top_n (1..FNL_MODEL_MAX_TOP_N)
 *  is used by FNL_ROLLUP_TOP only and must be 0 otherwise. */
FNL_API int fnl_model_builder_rollup(fnl_model_builder *b, uint32_t mode,
                                     uint32_t top_n);
/** When a contact counts as engaged for buying-group coverage: an
 *  expression as for thresholds.  Default: engagement > 0. */
FNL_API int fnl_model_builder_engaged(fnl_model_builder *b, const char *expr,
                                      fnl_parse_error *err);
/** The buying-group roles coverage is measured against: a mask of
 *  (1 << fnl_role) for roles 1..6.  Default: user, influencer, decision
 *  maker, economic buyer. */
FNL_API int fnl_model_builder_roles(fnl_model_builder *b, uint32_t role_mask);
/**
 * Check and compile.  On success *out owns the model and the builder is
 * spent: every later call on it but fnl_model_builder_free() is
 * FNL_EINVAL.  On failure the builder is unchanged.
 * Errors: FNL_EINVAL (grades or bands out of order; spent builder),
 * FNL_ELIMIT (per-contact state larger than 64 KiB), FNL_ENOMEM.
 */
FNL_API int fnl_model_builder_finish(fnl_model_builder *b, fnl_model **out);

/* ------------------------------------------------------------------------
 * Scoring one contact (standalone: no engine needed)
 * ------------------------------------------------------------------------ */

/** A contact's score under one model at one time. */
typedef struct fnl_score_result {
    uint32_t size;
    int64_t time;            /* the time it was evaluated at */
    double fit;
    double engagement;       /* decayed to `time` */
    double total;            /* fit + engagement */
    char grade[4];           /* "A".."D" */
    uint32_t band;           /* 1..4 */
    char cell[4];            /* "A1".."D4" */
    uint64_t key_events;     /* bit i: key event i has fired (by `time`) */
    uint32_t firings;        /* key-event firings so far (saturates) */
    uint64_t thresholds;     /* bit i: threshold i holds */
} fnl_score_result;

#define FNL_SCORE_RESULT_INIT \
    { sizeof(fnl_score_result), 0, 0.0, 0.0, 0.0, { 0 }, 0, { 0 }, 0, 0, 0 }
FNL_API int fnl_score_result_init(fnl_score_result *r, size_t size);

/**
 * Score a contact from scratch at time t: its profile `attrs` (names
 * compared ignoring ASCII case; when a name repeats, the first wins) and
 * its touches, in any order (sorted by time here, ties kept in array
 * order).  Touches later than t are ignored.  touches is an array of
 * fnl_touch_info whose element size is elem_size (>= the size of the
 * fnl_touch_info of the first release); only time, the dimension strings
 * and value are read.  Free-mail tests use the built-in list.
 * Errors: FNL_EINVAL (NULL model or out, NULL array with a non-zero count,
 * t outside [FNL_TIME_MIN, FNL_TIME_MAX], bad elem_size), FNL_ENOMEM
 * (scratch memory, from the model's allocator).
 */
FNL_API int fnl_model_score(const fnl_model *model, const fnl_attr *attrs,
                            size_t attr_count, const fnl_touch_info *touches,
                            size_t elem_size, size_t touch_count, int64_t t,
                            fnl_score_result *out);

/** Rule kinds in an explanation. */
typedef enum fnl_rule_kind {
    FNL_RULE_FIT = 1,
    FNL_RULE_ENGAGE = 2,
    FNL_RULE_KEY_EVENT = 3
} fnl_rule_kind;

/** One rule's part of a score. */
typedef struct fnl_score_row {
    uint32_t kind;           /* fnl_rule_kind */
    uint32_t index;          /* 0-based within its kind */
    const char *rule;        /* the rule's canonical text line (borrowed) */
    double points;           /* per match / occurrence / firing */
    uint64_t matched;        /* touches that matched (fit: 0 or 1) */
    uint64_t counted;        /* occurrences counted (after windows) or
                                firings */
    double raw;              /* points earned, before decay (after caps) */
    double value;            /* decayed contribution at t */
} fnl_score_row;

/**
 * Explain a score: one row per rule of the model (fit rules, then
 * engagement rules, then key events, each in definition order), for the
 * same input as fnl_model_score().  The rows' values sum to the total up
 * to rounding (docs/scoring.md, "Accuracy").  A copy-out reader: writes at
 * most cap rows and the number of rows to *count; when cap is too small,
 * writes nothing and returns FNL_ERANGE.  rows may be NULL when cap is 0.
 * Errors: as fnl_model_score(), plus FNL_ERANGE.
 */
FNL_API int fnl_model_explain(const fnl_model *model, const fnl_attr *attrs,
                              size_t attr_count, const fnl_touch_info *touches,
                              size_t elem_size, size_t touch_count, int64_t t,
                              fnl_score_row *rows, size_t cap, size_t *count);

/** One key-event firing. */
typedef struct fnl_key_event_fire {
    uint32_t event;          /* index of the key event */
    const char *name;        /* its name, borrowed from the model */
    int64_t time;            /* the time of the touch that fired it */
} fnl_key_event_fire;

/**
 * Every key-event firing of a timeline up to time t, in time order: a
 * copy-out reader as fnl_model_explain().
 */
FNL_API int fnl_model_key_event_history(const fnl_model *model,
                                        const fnl_touch_info *touches,
                                        size_t elem_size, size_t touch_count,
                                        int64_t t, fnl_key_event_fire *out,
                                        size_t cap, size_t *count);

/** Whether threshold `index` holds for a result of this model: *out 1/0.
 *  FNL_EINVAL on NULL, FNL_ENOTFOUND for a bad index. */
FNL_API int fnl_model_threshold_eval(const fnl_model *model, uint32_t index,
                                     const fnl_score_result *r, int *out);

/* ------------------------------------------------------------------------
 * Score expressions (guards for a stage machine)
 * ------------------------------------------------------------------------ */

typedef struct fnl_score_expr fnl_score_expr;

/**
 * Parse an expression (docs/scoring.md, "Expressions").  model may be
 * NULL; key_event terms then are errors.  The expression keeps no pointer
 * to the model, but key-event bits refer to its numbering.  *out is freed
 * with fnl_score_expr_free().  err may be NULL.
 * Errors: FNL_EINVAL (see *err), FNL_EVERSION, FNL_ENOMEM.
 */
FNL_API int fnl_score_expr_parse(fnl_score_expr **out, const char *text,
                                 size_t len, const fnl_model *model,
                                 const fnl_allocator *alloc,
                                 fnl_parse_error *err);
/** Evaluate against a result: *out is 1 or 0.  FNL_EINVAL on NULL. */
FNL_API int fnl_score_expr_eval(const fnl_score_expr *expr,
                                const fnl_score_result *r, int *out);
/** Free an expression.  NULL is a no-op. */
FNL_API void fnl_score_expr_free(fnl_score_expr *expr);

/* ------------------------------------------------------------------------
 * Account scores
 * ------------------------------------------------------------------------ */

/** A contact of an account: its score result (same model) and role. */
typedef struct fnl_account_member {
    const fnl_score_result *score;
    uint32_t role;           /* fnl_role */
} fnl_account_member;

typedef struct fnl_account_score {
    uint32_t size;
    double score;            /* the roll-up of the members' totals */
    uint32_t contacts;       /* members given */
    uint32_t engaged;        /* members that count as engaged */
    uint32_t roles_engaged;  /* mask of 1 << role over engaged members */
    uint32_t roles_required; /* the model's role mask */
    uint32_t roles_covered;  /* required roles with an engaged member */
    double coverage;         /* roles_covered / required roles (0..1) */
} fnl_account_score;

#define FNL_ACCOUNT_SCORE_INIT \
    { sizeof(fnl_account_score), 0.0, 0, 0, 0, 0, 0, 0.0 }
FNL_API int fnl_account_score_init(fnl_account_score *s, size_t size);

/**
 * Roll an account's members up as the model says (sum, max or top-N
 * mean of totals; top-N averages over min(N, members)) and measure
 * buying-group coverage.  members may be NULL when count is 0 (score 0).
 * Errors: FNL_EINVAL (NULL model or out, a NULL member score, a role
 * outside 0..6).
 */
FNL_API int fnl_model_account_score(const fnl_model *model,
                                    const fnl_account_member *members,
                                    size_t count, fnl_account_score *out);

#ifdef __cplusplus
}
#endif

#endif /* FNL_SCORING_API_H */
