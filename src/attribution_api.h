/* attribution_api.h -- DRAFT of the public attribution declarations.
 *
 * Everything here is meant to move, as is, into include/funnelcore.h
 * (section "Attribution"); until then the library's .c files include it
 * and export these symbols with FNL_API.  The exact model definitions are
 * in docs/attribution.md.
 *
 * Overview.  Attribution runs over journeys: ordered touches, each named
 * by a group key (a channel, a campaign, ...: whatever the caller grouped
 * by), with the journey's conversions, non-converting paths ("nulls") and
 * conversion value.  Journeys come from the engine, from a caller
 * (fnl_journeys_add) or from a ChannelAttribution-style paths CSV
 * (fnl_paths_parse / fnl_paths_read).  A run gives an immutable
 * fnl_attribution: one row per group, with the conversions and value
 * credited to it; rows sum to the observed totals.
 *
 * Big data sets: build one fnl_attribution_partial per partition (any
 * split, any order, any machine-local name tables), merge them, finish.
 * The result is bit-identical to a single pass over all journeys.
 *
 * None of these functions needs an engine; memory comes from the
 * allocator in the options (NULL: libc).  Objects are not shared between
 * threads; different objects may be used from different threads at once.
 */
#ifndef FNL_ATTRIBUTION_API_H
#define FNL_ATTRIBUTION_API_H

#include <stddef.h>
#include <stdint.h>
#include "funnelcore.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Models.  Values are stable.
 * ------------------------------------------------------------------------ */
typedef enum fnl_attr_model {
    FNL_ATTR_FIRST_TOUCH = 1,
    FNL_ATTR_LAST_TOUCH = 2,
    FNL_ATTR_LAST_NON_DIRECT = 3, /* last touch not in the direct group */
    FNL_ATTR_LINEAR = 4,
    FNL_ATTR_TIME_DECAY = 5,      /* needs touch times */
    FNL_ATTR_U_SHAPED = 6,        /* 40 / 20 / 40 */
    FNL_ATTR_W_SHAPED = 7,        /* 30 first, 30 lead, 30 opportunity, 10 */
    FNL_ATTR_Z_SHAPED = 8,        /* full path: 22.5 x 4 + 10 */
    FNL_ATTR_J_SHAPED = 9,        /* 20 / 20 / 60 */
    FNL_ATTR_INVERSE_J = 10,      /* 60 / 20 / 20 */
    FNL_ATTR_CUSTOM = 11,         /* custom first / middle / last weights */
    FNL_ATTR_MARKOV = 12,         /* removal effect, order 1..4, exact */
    FNL_ATTR_SHAPLEY = 13,        /* Shapley value over channel sets */
    FNL_ATTR_SHAPLEY_ORDERED = 14 /* ordered Shapley value */
} fnl_attr_model;

/** The bit of a model in fnl_attribution_options.models. */
#define FNL_ATTR_BIT(model) (UINT32_C(1) << (model))
/** Every model that needs no touch times. */
#define FNL_ATTR_MODELS_DEFAULT                                              \
    (FNL_ATTR_BIT(FNL_ATTR_FIRST_TOUCH) | FNL_ATTR_BIT(FNL_ATTR_LAST_TOUCH) | \
     FNL_ATTR_BIT(FNL_ATTR_LAST_NON_DIRECT) | FNL_ATTR_BIT(FNL_ATTR_LINEAR) | \
     FNL_ATTR_BIT(FNL_ATTR_U_SHAPED) | FNL_ATTR_BIT(FNL_ATTR_W_SHAPED) |      \
     FNL_ATTR_BIT(FNL_ATTR_Z_SHAPED) | FNL_ATTR_BIT(FNL_ATTR_J_SHAPED) |      \
     FNL_ATTR_BIT(FNL_ATTR_INVERSE_J) | FNL_ATTR_BIT(FNL_ATTR_CUSTOM) |       \
     FNL_ATTR_BIT(FNL_ATTR_MARKOV) | FNL_ATTR_BIT(FNL_ATTR_SHAPLEY) |         \
     FNL_ATTR_BIT(FNL_ATTR_SHAPLEY_ORDERED))

/** The model's name ("first", "last", "last_non_direct", "linear",
 *  "time_decay", "u_shaped", "w_shaped", "z_shaped", "j_shaped",
 *  "inverse_j", "custom", "markov", "shapley", "shapley_ordered"), or NULL
 *  for an unknown value.  Static string. */
FNL_API const char *fnl_attr_model_name(uint32_t model);
/** The model of a name above.  FNL_EINVAL for an unknown name. */
FNL_API int fnl_attr_model_parse(const char *name, uint32_t *out);

/** Coalition worth used by the Shapley models (docs/attribution.md). */
typedef enum fnl_shapley_value {
    FNL_SHAPLEY_RATE = 0,        /* conversion rate of each channel set */
    FNL_SHAPLEY_CONVERSIONS = 1  /* conversions of each channel set */
} fnl_shapley_value;

/** Pass as a journey's conversion_time: "at its last touch". */
#define FNL_ATTR_TIME_UNSET INT64_MIN
/** Default time-decay half-life: 7 days in ms. */
#define FNL_ATTR_HALF_LIFE_DEFAULT INT64_C(604800000)
/** Highest Markov order. */
#define FNL_ATTR_MAX_ORDER 4
/** Most touches in one journey. */
#define FNL_ATTR_MAX_TOUCHES 16777216
/** Most conversions of one journey (2^31 - 1). */
#define FNL_ATTR_MAX_CONVERSIONS INT64_C(2147483647)
/** Largest value of one journey, in integer units (2^47 - 1). */
#define FNL_ATTR_MAX_VALUE INT64_C(140737488355327)

/**
 * Options of an attribution run or partial.  Strings are copied.
 */
typedef struct fnl_attribution_options {
    uint32_t size;
    /** Models to accumulate: FNL_ATTR_BIT(model) | ...  (partials only;
     *  fnl_attribution_run() computes its one model). */
    uint32_t models;
    uint32_t markov_order;       /* 1..FNL_ATTR_MAX_ORDER; default 1 */
    uint32_t shapley_value;      /* fnl_shapley_value; default RATE */
    int64_t half_life_ms;        /* time decay; > 0; default 7 days */
    /** The group skipped by FNL_ATTR_LAST_NON_DIRECT; default "direct";
     *  NULL or "": none (the model is then last touch). */
    const char *direct_group;
    /** FNL_ATTR_CUSTOM weights of the first touch, of all middle touches
     *  together, and of the last touch: >= 0, finite, sum > 0.  Default
     *  40 / 20 / 40. */
    double custom_first;
    double custom_middle;
    double custom_last;
    /** Values are integers; the result reports value / 10^value_decimals
     *  (0..9).  fnl_attribution_run() takes it from the journeys. */
    uint32_t value_decimals;
    const fnl_allocator *allocator; /* NULL: libc */
} fnl_attribution_options;

#define FNL_ATTRIBUTION_OPTIONS_INIT                                         \
    { sizeof(fnl_attribution_options), FNL_ATTR_MODELS_DEFAULT, 1,            \
      FNL_SHAPLEY_RATE, FNL_ATTR_HALF_LIFE_DEFAULT, "direct", 40.0, 20.0,     \
      40.0, 0, NULL }

/** Reset *opts to the defaults above for a struct of `size` bytes.
 *  FNL_EINVAL if opts is NULL or size is too small. */
FNL_API int fnl_attribution_options_init(fnl_attribution_options *opts,
                                         size_t size);

/* ------------------------------------------------------------------------
 * Journeys built by the caller or read from a paths file
 * ------------------------------------------------------------------------ */

typedef struct fnl_journeys fnl_journeys;

/**
 * A new, empty set of journeys.  Values added later are integers; results
 * report them divided by 10^value_decimals (0..9).  allocator NULL: libc
 * (the table is copied).  Free with fnl_journeys_free().
 * Errors: FNL_EINVAL, FNL_EVERSION (allocator table), FNL_ENOMEM.
 */
FNL_API int fnl_journeys_new(fnl_journeys **out, uint32_t value_decimals,
                             const fnl_allocator *allocator);
/** Free a set of journeys.  NULL is a no-op. */
FNL_API void fnl_journeys_free(fnl_journeys *journeys);

/** One journey, for fnl_journeys_add().  Arrays are read during the call
 *  only. */
typedef struct fnl_journey {
    uint32_t size;
    const char *const *groups;  /* touch_count group keys, in touch order */
    const int64_t *times;       /* NULL, or touch_count non-decreasing ms */
    size_t touch_count;         /* 1..FNL_ATTR_MAX_TOUCHES */
    uint64_t conversions;       /* 0..FNL_ATTR_MAX_CONVERSIONS */
    uint64_t nulls;             /* non-converting paths it stands for */
    int64_t value;              /* 0..FNL_ATTR_MAX_VALUE; 0 if no conv. */
    /** >= the last touch time; FNL_ATTR_TIME_UNSET: the last touch's. */
    int64_t conversion_time;
    /** Touch indices (0-based) of lead creation, opportunity creation and
     *  deal close for the W- and Z-shaped models; -1: none. */
    int32_t lead_index;
    int32_t opportunity_index;
    int32_t close_index;
} fnl_journey;

#define FNL_JOURNEY_INIT                                                     \
    { sizeof(fnl_journey), NULL, NULL, 0, 0, 0, 0, FNL_ATTR_TIME_UNSET, -1,   \
      -1, -1 }
FNL_API int fnl_journey_init(fnl_journey *journey, size_t size);

/**
 * Append one journey (group keys are copied).  A journey with 0
 * conversions and 0 nulls is kept but weighs nothing.
 * Errors: FNL_EINVAL (NULL, empty or over-long key, bad index, times not
 * non-decreasing, conversion_time before the last touch, value without
 * conversions), FNL_ELIMIT (over a FNL_ATTR_MAX_* limit), FNL_ENOMEM.
 * On error nothing is added.
 */
FNL_API int fnl_journeys_add(fnl_journeys *journeys,
                             const fnl_journey *journey);

/** Number of journeys (rows of a paths file).  0 for NULL. */
FNL_API size_t fnl_journeys_count(const fnl_journeys *journeys);
/** Number of distinct group keys.  0 for NULL. */
FNL_API size_t fnl_journeys_group_count(const fnl_journeys *journeys);

/* ---- ChannelAttribution-compatible paths CSV --------------------------- */

/** Options of fnl_paths_parse() / fnl_paths_read(). */
typedef struct fnl_paths_options {
    uint32_t size;
    /** Decimal digits kept of total_conversion_value (0..9, default 2):
     *  values are stored as round(value * 10^d), half away from zero. */
    uint32_t value_decimals;
    /** The channel separator inside `path`; default '>'. */
    char separator;
    const fnl_allocator *allocator; /* NULL: libc */
} fnl_paths_options;

#define FNL_PATHS_OPTIONS_INIT \
    { sizeof(fnl_paths_options), 2, '>', NULL }
FNL_API int fnl_paths_options_init(fnl_paths_options *opts, size_t size);

/** Where and why a paths file was rejected. */
typedef struct fnl_paths_error {
    uint32_t size;
    uint64_t line;      /* 1-based; 0 if not about a position */
    uint64_t column;    /* 1-based byte column within the line */
    char message[160];  /* NUL-terminated English text */
} fnl_paths_error;

#define FNL_PATHS_ERROR_INIT { sizeof(fnl_paths_error), 0, 0, { 0 } }

/**
 * Parse a paths CSV from memory into a new set of journeys, one journey
 * per data row.  Format: RFC 4180 (comma separated, fields may be quoted
 * with '"', a quote inside written ""), UTF-8 with or without a BOM, LF
 * or CRLF line ends, a header row whose names are matched ASCII case-
 * insensitively: `path` and `total_conversions` are required,
 * `total_conversion_value` and `total_null` optional, other columns are
 * ignored.  `path` is "a > b > c": channel names split on the separator
 * and trimmed of spaces and tabs, empty names skipped (as
 * ChannelAttribution does); a path with no channel is an error.  Counts
 * are non-negative integers (a decimal point or exponent is allowed when
 * the number is whole: "3.0", "1e+05"); values are non-negative decimals.
 * Empty lines are skipped.  opts NULL: defaults; err may be NULL.
 * Errors: FNL_EINVAL (bad arguments), FNL_ECORRUPT (malformed file: *err
 * says where), FNL_ELIMIT (a count or value over the limits), FNL_ENOMEM.
 * On error *out is untouched.
 */
FNL_API int fnl_paths_parse(fnl_journeys **out, const char *buf, size_t len,
                            const fnl_paths_options *opts,
                            fnl_paths_error *err);
/** The same from a file.  FNL_EIO if it cannot be opened or read. */
FNL_API int fnl_paths_read(fnl_journeys **out, const char *filename,
                           const fnl_paths_options *opts,
                           fnl_paths_error *err);

/* ------------------------------------------------------------------------
 * Results
 * ------------------------------------------------------------------------ */

typedef struct fnl_attribution fnl_attribution;

/**
 * Run one model over all journeys.  opts NULL: defaults (opts->models is
 * ignored; value_decimals comes from the journeys).  Free *out with
 * fnl_attribution_free().
 * Errors: FNL_EINVAL (bad options, unknown model, time decay over
 * journeys without times), FNL_ERANGE (the Markov solver did not
 * converge), FNL_ENOMEM.
 */
FNL_API int fnl_attribution_run(fnl_attribution **out,
                                const fnl_journeys *journeys, uint32_t model,
                                const fnl_attribution_options *opts);

/** Free a result.  NULL is a no-op. */
FNL_API void fnl_attribution_free(fnl_attribution *result);

/** What a result is about (strings borrowed from the result). */
typedef struct fnl_attribution_info {
    uint32_t size;
    uint32_t model;
    uint32_t markov_order;
    uint32_t shapley_value;
    int64_t half_life_ms;
    const char *direct_group;   /* "" when none */
    double custom_first;
    double custom_middle;
    double custom_last;
    uint32_t value_decimals;
    uint64_t row_count;
    uint64_t journeys;          /* journeys with conversions + nulls > 0 */
    uint64_t touches;           /* touches x (conversions + nulls) */
    double total_conversions;   /* observed; rows sum to it */
    double total_value;         /* observed, / 10^value_decimals */
    double total_nulls;
    /** Markov: conversion probability from the start state, and the
     *  number of transient states; 0 for other models. */
    double markov_conversion_probability;
    uint64_t markov_states;
    /** Ordered Shapley: positions per row (fnl_attribution_positions). */
    uint32_t positions;
} fnl_attribution_info;

#define FNL_ATTRIBUTION_INFO_INIT                                            \
    { sizeof(fnl_attribution_info), 0, 0, 0, 0, NULL, 0, 0, 0, 0, 0, 0, 0, 0, \
      0, 0, 0, 0, 0 }
FNL_API int fnl_attribution_info_init(fnl_attribution_info *info,
                                      size_t size);
/** Fill *out (whose size the caller set).  FNL_EINVAL on NULL. */
FNL_API int fnl_attribution_get_info(const fnl_attribution *result,
                                     fnl_attribution_info *out);

/** One row: the credit of one group.  `key` is borrowed from the result. */
typedef struct fnl_attribution_row {
    uint32_t size;
    const char *key;
    double conversions;         /* credited */
    double value;               /* credited, / 10^value_decimals */
    uint64_t touches;           /* touches x (conversions + nulls) */
    double removal_effect;      /* Markov: on conversions; else 0 */
    double value_removal_effect;/* Markov: on value; else 0 */
} fnl_attribution_row;

#define FNL_ATTRIBUTION_ROW_INIT \
    { sizeof(fnl_attribution_row), NULL, 0, 0, 0, 0, 0 }
FNL_API int fnl_attribution_row_init(fnl_attribution_row *row, size_t size);

/** Number of rows (groups seen in weighted journeys), sorted bytewise by
 *  key.  0 for NULL. */
FNL_API size_t fnl_attribution_row_count(const fnl_attribution *result);
/** Row `index` into *out (whose size the caller set).
 *  FNL_ENOTFOUND past the end; FNL_EINVAL on NULL. */
FNL_API int fnl_attribution_row_get(const fnl_attribution *result,
                                    size_t index, fnl_attribution_row *out);
/**
 * Ordered Shapley: the conversions credited to row `index` at each
 * position of the ordered channel sequence (position 0 = first distinct
 * channel; the last position collects all later ones).  A copy-out reader
 * (see fnl_contact_keys): FNL_ERANGE with *count set when cap is short.
 * Other models have 0 positions.
 */
FNL_API int fnl_attribution_positions(const fnl_attribution *result,
                                      size_t index, double *out, size_t cap,
                                      size_t *count);

/* ------------------------------------------------------------------------
 * Mergeable partial results
 * ------------------------------------------------------------------------ */

typedef struct fnl_attribution_partial fnl_attribution_partial;

/** A new, empty partial accumulating opts->models.  opts NULL: defaults.
 *  Errors: FNL_EINVAL, FNL_EVERSION, FNL_ENOMEM. */
FNL_API int fnl_attribution_partial_new(fnl_attribution_partial **out,
                                        const fnl_attribution_options *opts);
/** Free a partial.  NULL is a no-op. */
FNL_API void fnl_attribution_partial_free(fnl_attribution_partial *partial);

/**
 * Accumulate journeys [first, first + count) of `journeys`.  All or
 * nothing: on error the partial's results are as before.
 * Errors: FNL_EINVAL (range, value_decimals differing from the partial's,
 * time decay without times), FNL_ENOMEM.
 */
FNL_API int fnl_attribution_partial_add(fnl_attribution_partial *partial,
                                        const fnl_journeys *journeys,
                                        size_t first, size_t count);
/**
 * Add everything `src` accumulated into `dst`; group keys are matched by
 * name.  Both need identical options (models, parameters, decimals):
 * FNL_EINVAL otherwise.  All or nothing.  src is unchanged.
 */
FNL_API int fnl_attribution_partial_merge(fnl_attribution_partial *dst,
                                          const fnl_attribution_partial *src);
/**
 * The result of one of the partial's models (the partial stays usable).
 * Errors: FNL_EINVAL (model not accumulated), FNL_ERANGE (Markov solver
 * did not converge), FNL_ENOMEM.
 */
FNL_API int fnl_attribution_partial_finish(
    const fnl_attribution_partial *partial, uint32_t model,
    fnl_attribution **out);

#ifdef __cplusplus
}
#endif

#endif
