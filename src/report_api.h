/*
 * report_api.h -- DRAFT public API of the ROI math and report module
 * (issue 7).  Written in funnelcore.h's style so that the lead can move it
 * into include/funnelcore.h unchanged; until then library code and tests
 * include it after funnelcore.h.
 *
 * Everything here is read-only analytics: a report reads the engine (or
 * only the caller's arrays) and gives an immutable fnl_report that owns
 * its memory.  A report never changes the engine: not its stores, not its
 * memory counters, not its scratch space.  Only fnl_errmsg(engine) is
 * written, as for every call.
 *
 * Formulas: docs/roi.md.  JSON and CSV schemas: docs/reports.md.
 *
 * Copyright (c) 2026 the funnelcore authors.  MIT licence.
 */
#ifndef FNL_REPORT_API_H
#define FNL_REPORT_API_H

#include "funnelcore.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Periods (UTC calendar)
 *
 * Weeks are ISO weeks (Monday 00:00 UTC); quarters start in January,
 * April, July and October.  FNL_PERIOD_ALL is one bucket covering a whole
 * range; FNL_PERIOD_CUSTOM takes bucket boundaries from the request.
 * ------------------------------------------------------------------------ */

typedef enum fnl_period_kind {
    FNL_PERIOD_ALL = 0,
    FNL_PERIOD_DAY = 1,
    FNL_PERIOD_WEEK = 2,
    FNL_PERIOD_MONTH = 3,
    FNL_PERIOD_QUARTER = 4,
    FNL_PERIOD_YEAR = 5,
    FNL_PERIOD_CUSTOM = 6
} fnl_period_kind;

/** "all", "day", "week", "month", "quarter", "year", "custom"; NULL for an
 *  unknown kind.  Static string. */
FNL_API const char *fnl_period_name(uint32_t kind);

/**
 * The start of the calendar period (DAY..YEAR) that contains t.
 * Errors: FNL_EINVAL (NULL out, t outside [FNL_TIME_MIN, FNL_TIME_MAX],
 * kind not DAY..YEAR).
 */
FNL_API int fnl_period_floor(uint32_t kind, int64_t t, int64_t *out);

/**
 * The start of the period after the one that contains t (DAY..YEAR).
 * Errors: FNL_EINVAL as fnl_period_floor(); FNL_ERANGE past year 9999.
 */
FNL_API int fnl_period_next(uint32_t kind, int64_t t, int64_t *out);

/**
 * A label for the period (DAY..YEAR) that contains t, NUL-terminated:
 * "2024-03-05", "2024-W10" (ISO week-year), "2024-03", "2024-Q1", "2024".
 * zstd-style buffer: writes when cap is large enough, else FNL_ERANGE;
 * *needed (may be NULL) always receives the size with the NUL.
 */
FNL_API int fnl_period_label(uint32_t kind, int64_t t, char *buf, size_t cap,
                             size_t *needed);

/**
 * Prorate an amount spent over [start, end) onto the slices cut by
 * `cuts` (ncuts strictly increasing times): slice 0 is everything before
 * cuts[0], slice i is [cuts[i-1], cuts[i]), slice ncuts is from
 * cuts[ncuts-1] on.  out receives ncuts + 1 amounts.  Each slice's exact
 * share is amount x (milliseconds of overlap) / (end - start); shares are
 * rounded down and the units left over go one each to the slices with the
 * largest remainders (ties: the earlier slice), so out sums to amount
 * exactly.  Proration is by milliseconds; a cost given on whole UTC days
 * is therefore prorated by whole days exactly.
 * Errors: FNL_EINVAL (NULL, end <= start, amount < 0, cuts not strictly
 * increasing).
 */
FNL_API int fnl_prorate(int64_t amount, int64_t start, int64_t end,
                        const int64_t *cuts, size_t ncuts, int64_t *out);

/* ------------------------------------------------------------------------
 * Currency rates
 *
 * A table of exchange rates supplied by the host, each valid for a time
 * range.  Rates are in major units: rate 1.08 from EUR to USD means one
 * euro buys 1.08 dollars.  Minor-unit digits come from ISO 4217 (JPY 0,
 * KWD 3, most 2: docs/roi.md lists them).  A conversion uses the rate of
 * the pair (from, to) valid at the given time, else the inverse of the
 * pair (to, from); there is no triangulation through a third currency.
 * ------------------------------------------------------------------------ */

typedef struct fnl_fx fnl_fx;

/** A new, empty rate table; allocator NULL: libc (copied).  Free with
 *  fnl_fx_free().  Errors: FNL_EINVAL, FNL_EVERSION, FNL_ENOMEM. */
FNL_API int fnl_fx_new(fnl_fx **out, const fnl_allocator *allocator);
/** Free a rate table.  NULL is a no-op. */
FNL_API void fnl_fx_free(fnl_fx *fx);

/**
 * Add the rate of `from` into `to` valid over [start, end) (end 0: until
 * FNL_TIME_MAX).  Codes are ISO 4217, any case.
 * Errors: FNL_EINVAL (bad code, from == to, rate not finite and > 0, bad
 * range), FNL_EEXIST (the range overlaps a rate of the same pair),
 * FNL_ENOMEM.  On error the table is unchanged.
 */
FNL_API int fnl_fx_add(fnl_fx *fx, const char *from, const char *to,
                       double rate, int64_t start, int64_t end);

/**
 * Convert `amount` minor units of `from` into minor units of `to` at time
 * t: amount x rate x 10^(digits(to) - digits(from)), rounded half away
 * from zero.  Same currency: unchanged.  fx may be NULL (then only the
 * same currency converts).
 * Errors: FNL_EINVAL (bad code, NULL out), FNL_ENOTFOUND (no rate at t),
 * FNL_ERANGE (result outside int64).
 */
FNL_API int fnl_fx_convert(const fnl_fx *fx, int64_t amount, const char *from,
                           const char *to, int64_t t, int64_t *out);

/** Minor-unit digits of an ISO 4217 code (2 unless listed in docs/roi.md),
 *  or -1 for a malformed code. */
FNL_API int fnl_currency_digits(const char *code);

/* ------------------------------------------------------------------------
 * Reports: immutable tables
 *
 * Every report is a table: named, typed columns; rows; optionally a totals
 * row; and a list of named summary values (the request's parameters and
 * scalar results).  A cell is null when its value is undefined (a ratio
 * with a zero denominator, a median of nothing): the JSON rendering then
 * writes null, never a non-finite number.  Money columns hold minor units
 * of the report's currency.  Strings read from a report are borrowed from
 * it: valid until fnl_report_free().  A report is immutable, so several
 * threads may read one report at once.
 * ------------------------------------------------------------------------ */

typedef struct fnl_report fnl_report;

typedef enum fnl_report_kind {
    FNL_REPORT_ROI = 1,      /* fnl_report_roi() */
    FNL_REPORT_SPEND = 2,    /* fnl_report_spend() */
    FNL_REPORT_DEALS = 3,    /* fnl_report_deals(): funnel and velocity */
    FNL_REPORT_COHORT = 4,   /* fnl_report_cohort() */
    FNL_REPORT_SURVIVAL = 5, /* fnl_survival_km(), fnl_report_time_to_convert() */
    FNL_REPORT_BUDGET = 6    /* fnl_budget_allocate() */
} fnl_report_kind;

/** Cell types.  Values are stable. */
typedef enum fnl_value_type {
    FNL_VALUE_NULL = 0,
    FNL_VALUE_STRING = 1,
    FNL_VALUE_INT = 2,    /* int64: counts, money (minor units), times (ms) */
    FNL_VALUE_NUMBER = 3, /* double, always finite */
    FNL_VALUE_BOOL = 4    /* i is 0 or 1 */
} fnl_value_type;

/** What a column measures.  Values are stable. */
typedef enum fnl_unit {
    FNL_UNIT_LABEL = 0,  /* a group key or a name */
    FNL_UNIT_COUNT = 1,  /* a count (INT) or a credited count (NUMBER) */
    FNL_UNIT_MONEY = 2,  /* minor units of the report's currency (INT) */
    FNL_UNIT_RATIO = 3,  /* a plain ratio: 0.25 is 25 % (NUMBER) */
    FNL_UNIT_DAYS = 4,   /* a duration in days (NUMBER or INT) */
    FNL_UNIT_TIME = 5,   /* ms since the epoch, UTC (INT) */
    FNL_UNIT_FLAG = 6    /* a benchmark flag (BOOL) */
} fnl_unit;

/** "roi", "spend", "deals", "cohort", "survival", "budget", or NULL. */
FNL_API const char *fnl_report_kind_name(uint32_t kind);

/** Free a report.  NULL is a no-op. */
FNL_API void fnl_report_free(fnl_report *report);

typedef struct fnl_report_info {
    uint32_t size;
    uint32_t kind;           /* fnl_report_kind */
    const char *name;        /* fnl_report_kind_name(kind) */
    char currency[4];        /* of money columns; "" when none */
    uint64_t row_count;
    uint32_t column_count;
    uint32_t summary_count;
    uint32_t has_totals;     /* 1: a totals row (row FNL_REPORT_TOTALS) */
} fnl_report_info;

#define FNL_REPORT_INFO_INIT \
    { sizeof(fnl_report_info), 0, NULL, { 0 }, 0, 0, 0, 0 }
FNL_API int fnl_report_info_init(fnl_report_info *info, size_t size);
/** Fill *out (whose size the caller set).  FNL_EINVAL on NULL. */
FNL_API int fnl_report_get_info(const fnl_report *report,
                                fnl_report_info *out);

typedef struct fnl_report_column {
    uint32_t size;
    const char *name;        /* snake_case, borrowed */
    uint32_t type;           /* fnl_value_type of its non-null cells */
    uint32_t unit;           /* fnl_unit */
} fnl_report_column;

#define FNL_REPORT_COLUMN_INIT { sizeof(fnl_report_column), NULL, 0, 0 }
FNL_API int fnl_report_column_init(fnl_report_column *col, size_t size);

/** Column `index`.  FNL_ENOTFOUND past the end; FNL_EINVAL on NULL. */
FNL_API int fnl_report_column_get(const fnl_report *report, size_t index,
                                  fnl_report_column *out);
/** The index of the column named `name`; FNL_ENOTFOUND if none. */
FNL_API int fnl_report_column_find(const fnl_report *report, const char *name,
                                   size_t *index);

/** Number of rows (the totals row not counted).  0 for NULL. */
FNL_API size_t fnl_report_row_count(const fnl_report *report);

/** Pass as a row index to read the totals row. */
#define FNL_REPORT_TOTALS SIZE_MAX

/** One cell or summary value.  Fields not of its type are 0 / NULL. */
typedef struct fnl_report_value {
    uint32_t size;
    uint32_t type;           /* fnl_value_type */
    int64_t i;               /* INT, BOOL */
    double num;              /* NUMBER (INT cells also set it) */
    const char *str;         /* STRING, borrowed */
} fnl_report_value;

#define FNL_REPORT_VALUE_INIT { sizeof(fnl_report_value), 0, 0, 0, NULL }
FNL_API int fnl_report_value_init(fnl_report_value *v, size_t size);

/**
 * The cell at (row, col); row FNL_REPORT_TOTALS reads the totals row.
 * Errors: FNL_EINVAL (NULL), FNL_ENOTFOUND (row or column out of range,
 * or no totals row).
 */
FNL_API int fnl_report_value_get(const fnl_report *report, size_t row,
                                 size_t col, fnl_report_value *out);

/**
 * Summary value `index`: *name (may be NULL) receives its borrowed name.
 * FNL_ENOTFOUND past the end.
 */
FNL_API int fnl_report_summary_get(const fnl_report *report, size_t index,
                                   const char **name, fnl_report_value *out);
/** The summary value named `name`; FNL_ENOTFOUND if none. */
FNL_API int fnl_report_summary_find(const fnl_report *report,
                                    const char *name, fnl_report_value *out);

/**
 * Render the report as one JSON object (schema: docs/reports.md), UTF-8,
 * NUL-terminated, no trailing newline.  zstd-style caller buffer: when cap
 * is at least the size needed, the text is written and FNL_OK returned;
 * otherwise nothing is written and FNL_ERANGE returned.  *needed (may be
 * NULL) always receives the size needed, NUL included, so
 * fnl_report_json(r, NULL, 0, &n) sizes a buffer.  The output of one
 * report is always byte for byte the same.
 * Errors: FNL_EINVAL (NULL report, buf NULL with cap > 0), FNL_ERANGE.
 */
FNL_API int fnl_report_json(const fnl_report *report, char *buf, size_t cap,
                            size_t *needed);

/**
 * Render the rows as CSV (RFC 4180: a header row of column names, then one
 * line per row, LF line ends, fields quoted when they hold a comma, quote
 * or line break; null cells are empty; totals and summary are not
 * included).  Buffer contract as fnl_report_json().
 */
FNL_API int fnl_report_csv(const fnl_report *report, char *buf, size_t cap,
                           size_t *needed);

/* ------------------------------------------------------------------------
 * ROI by channel, campaign or region
 * ------------------------------------------------------------------------ */

/** Cost dimension an ROI or spend report groups by.  Values are stable. */
typedef enum fnl_cost_group {
    FNL_BY_CHANNEL = 1,
    FNL_BY_CAMPAIGN = 2,
    FNL_BY_REGION = 3
} fnl_cost_group;

/**
 * Funnel counts of one group, supplied by the caller (later by the
 * lifecycle stage machine).  Counts may be fractional (attributed credit);
 * a negative count means "unknown" (its ratios are null).  A group listed
 * twice adds up.
 */
typedef struct fnl_stage_counts {
    const char *group;
    double leads;
    double mqls;
    double sqls;
    double opportunities;  /* >= 0 overrides the pipeline attribution's */
    double customers;      /* >= 0 overrides the revenue attribution's */
} fnl_stage_counts;

/**
 * What fnl_report_roi() reads.  Spend comes from the engine's cost records
 * (if an engine is given) plus `costs`; revenue and customers from the
 * revenue attribution (row value and conversions), pipeline and
 * opportunities from the pipeline attribution, whose row keys must be the
 * group keys (channels, campaigns or regions).
 */
typedef struct fnl_roi_request {
    uint32_t size;
    uint32_t group_by;           /* fnl_cost_group; default CHANNEL */
    /** Spend in [from, to) (costs prorated by fnl_prorate()); from = to =
     *  0: all spend. */
    int64_t from;
    int64_t to;
    const char *region;          /* only costs of this region; NULL: all */
    const char *currency;        /* report currency; NULL: "USD" */
    const fnl_fx *fx;            /* NULL: every amount must be in currency */
    const fnl_attribution *revenue;   /* may be NULL */
    const fnl_attribution *pipeline;  /* may be NULL */
    /** Minor units per unit of attribution value; 0: 10^digits(currency),
     *  i.e. attribution values are major units of the report currency. */
    double value_scale;
    const fnl_stage_counts *stage_counts;
    size_t stage_count_count;
    /** Extra cost records (array of fnl_cost with element size
     *  costs[0].size), read as if they were in the engine. */
    const fnl_cost *costs;
    size_t cost_count;
    /** Flag groups whose revenue / cost is below this; <= 0: no flag. */
    double benchmark_revenue_to_cost;
    const fnl_allocator *allocator;   /* NULL: the engine's, else libc */
} fnl_roi_request;

#define FNL_ROI_REQUEST_INIT                                                 \
    { sizeof(fnl_roi_request), FNL_BY_CHANNEL, 0, 0, NULL, NULL, NULL, NULL, \
      NULL, 0.0, NULL, 0, NULL, 0, 0.0, NULL }
FNL_API int fnl_roi_request_init(fnl_roi_request *req, size_t size);

/**
 * ROI per group: cost, revenue, pipeline, funnel counts, ROI, revenue /
 * cost, ROAS, cost per lead / MQL / SQL / opportunity / customer, average
 * deal size, win rate, stage-to-stage rates (columns: docs/reports.md;
 * formulas: docs/roi.md).  One row per group seen in the costs, the
 * attributions or the stage counts, sorted bytewise, with costs that lack
 * the grouped dimension in a last row whose key is null; a totals row.
 * engine may be NULL (then only req->costs are read).  Free *out with
 * fnl_report_free().
 * Errors: FNL_EINVAL (bad request), FNL_ENOTFOUND (an amount needs an
 * exchange rate the table lacks: fnl_errmsg() names it), FNL_ERANGE (a sum
 * overflows), FNL_ENOMEM.  The engine is never changed.
 */
FNL_API int fnl_report_roi(const fnl_engine *engine,
                           const fnl_roi_request *req, fnl_report **out);

/** What fnl_report_spend() reads: costs bucketed by group and period. */
typedef struct fnl_spend_request {
    uint32_t size;
    uint32_t group_by;           /* fnl_cost_group; default CHANNEL */
    uint32_t period;             /* fnl_period_kind; default MONTH */
    /** Buckets cover [from, to); from = to = 0: from the first cost's
     *  period to the last cost's. */
    int64_t from;
    int64_t to;
    /** FNL_PERIOD_CUSTOM: boundary_count >= 2 strictly increasing times;
     *  bucket i is [boundaries[i], boundaries[i+1]) (from/to ignored). */
    const int64_t *boundaries;
    size_t boundary_count;
    const char *region;
    const char *currency;
    const fnl_fx *fx;
    const fnl_cost *costs;
    size_t cost_count;
    const fnl_allocator *allocator;
} fnl_spend_request;

#define FNL_SPEND_REQUEST_INIT                                               \
    { sizeof(fnl_spend_request), FNL_BY_CHANNEL, FNL_PERIOD_MONTH, 0, 0,      \
      NULL, 0, NULL, NULL, NULL, NULL, 0, NULL }
FNL_API int fnl_spend_request_init(fnl_spend_request *req, size_t size);

/**
 * Spend per group and period: rows (group, period, period_start, cost),
 * sorted by group then period; every cost prorated over the buckets by
 * fnl_prorate() and converted at the rate valid at each bucket's start
 * (the cost's start when later).  Errors as fnl_report_roi(), plus
 * FNL_ELIMIT (more than 100,000 buckets).
 */
FNL_API int fnl_report_spend(const fnl_engine *engine,
                             const fnl_spend_request *req, fnl_report **out);

/* ------------------------------------------------------------------------
 * Funnel and velocity from deals
 *
 * Stage-history funnels come with the stage machine; until then reports
 * read the deals' status (open / won / lost), amounts and times.
 * ------------------------------------------------------------------------ */

/** How deals are grouped.  Values are stable. */
typedef enum fnl_deal_group {
    FNL_DEAL_BY_NONE = 0,         /* one row */
    FNL_DEAL_BY_OWNER = 1,
    FNL_DEAL_BY_STAGE = 2,
    FNL_DEAL_BY_ACCOUNT = 3,      /* the account's id */
    FNL_DEAL_BY_ACCOUNT_ATTR = 4, /* a string attribute of the account */
    FNL_DEAL_BY_CURRENCY = 5,     /* the deal's own currency */
    FNL_DEAL_BY_STATUS = 6        /* "open", "won", "lost" */
} fnl_deal_group;

/** Host-given win probability of open deals at a stage (like a CRM's
 *  stage probability): 0..1. */
typedef struct fnl_stage_probability {
    const char *stage;
    double probability;
} fnl_stage_probability;

typedef struct fnl_deal_report_request {
    uint32_t size;
    uint32_t group_by;           /* fnl_deal_group */
    const char *group_attr;      /* FNL_DEAL_BY_ACCOUNT_ATTR: its name */
    /** Deals created in [from, to); to = 0: no upper bound. */
    int64_t from;
    int64_t to;
    int64_t as_of;               /* FNL_TIME_NOW: the engine clock */
    const char *currency;        /* NULL: "USD" */
    const fnl_fx *fx;
    /** Forecast: open deals' win probability by stage (see docs/roi.md);
     *  stages not listed use the group's historical win rate. */
    const fnl_stage_probability *stage_probabilities;
    size_t stage_probability_count;
    /** Forecast only deals expected to close before this time; 0: all. */
    int64_t forecast_until;
    /** Benchmarks, flagged per row; negative: none. */
    double benchmark_win_rate;          /* flag win_rate below it */
    double benchmark_cycle_days;        /* flag median cycle above it */
    int64_t benchmark_deal_size;        /* flag average won deal below it */
    const fnl_allocator *allocator;     /* NULL: the engine's */
} fnl_deal_report_request;

#define FNL_DEAL_REPORT_REQUEST_INIT                                         \
    { sizeof(fnl_deal_report_request), FNL_DEAL_BY_NONE, NULL, 0, 0,          \
      FNL_TIME_NOW, NULL, NULL, NULL, 0, 0, -1.0, -1.0, -1, NULL }
FNL_API int fnl_deal_report_request_init(fnl_deal_report_request *req,
                                         size_t size);

/**
 * Funnel and velocity per group: deals, open / won / lost counts, win
 * rate, won, lost and open (pipeline) amounts, average deal size, median
 * and p90 sales cycle of won deals in days, forecast of open deals, and
 * benchmark flags.  Rows sorted bytewise by key, deals without the key
 * last (key null); a totals row.
 * Errors: FNL_EINVAL, FNL_ENOTFOUND (missing exchange rate), FNL_ERANGE,
 * FNL_ENOMEM.  The engine is never changed.
 */
FNL_API int fnl_report_deals(const fnl_engine *engine,
                             const fnl_deal_report_request *req,
                             fnl_report **out);

/* ------------------------------------------------------------------------
 * Cohorts
 * ------------------------------------------------------------------------ */

/** Most ages in one cohort report. */
#define FNL_COHORT_MAX_AGES 32

typedef struct fnl_cohort_request {
    uint32_t size;
    uint32_t period;             /* fnl_period_kind of the created time;
                                    default MONTH */
    int64_t from;                /* created in [from, to); 0, 0: all */
    int64_t to;
    const int64_t *boundaries;   /* FNL_PERIOD_CUSTOM, as for spend */
    size_t boundary_count;
    int64_t as_of;               /* FNL_TIME_NOW: the engine clock */
    /** Ages in whole days (1..36500, increasing); NULL: 30, 60, 90, 180. */
    const uint32_t *ages;
    size_t age_count;
    const char *currency;
    const fnl_fx *fx;
    const fnl_allocator *allocator;
} fnl_cohort_request;

#define FNL_COHORT_REQUEST_INIT                                              \
    { sizeof(fnl_cohort_request), FNL_PERIOD_MONTH, 0, 0, NULL, 0,            \
      FNL_TIME_NOW, NULL, 0, NULL, NULL, NULL }
FNL_API int fnl_cohort_request_init(fnl_cohort_request *req, size_t size);

/**
 * Deals grouped by the period they were created in: size, won / lost /
 * open, won amount, win rate so far, and for each age A the share of the
 * cohort's deals at least A days old at as_of that were won within A days
 * (column won_within_<A>d; null when no deal is that old).  One row per
 * period from the first cohort to the last (empty periods included).
 * Errors: FNL_EINVAL, FNL_ELIMIT (over 100,000 periods), FNL_ENOTFOUND,
 * FNL_ERANGE, FNL_ENOMEM.
 */
FNL_API int fnl_report_cohort(const fnl_engine *engine,
                              const fnl_cohort_request *req,
                              fnl_report **out);

/* ------------------------------------------------------------------------
 * Time to convert (Kaplan-Meier)
 * ------------------------------------------------------------------------ */

typedef struct fnl_survival_request {
    uint32_t size;
    /** n observations: time from entry in days (finite, >= 0) and whether
     *  it ended in conversion (1) or was censored (0). */
    const double *days;
    const uint8_t *converted;
    size_t n;
    /** "Goes cold": window W in days (> 0) and probability threshold
     *  (0..1) of the conditional conversion 1 - S(d + W) / S(d). */
    double window_days;
    double cold_threshold;
    const fnl_allocator *allocator;
} fnl_survival_request;

#define FNL_SURVIVAL_REQUEST_INIT                                            \
    { sizeof(fnl_survival_request), NULL, NULL, 0, 30.0, 0.05, NULL }
FNL_API int fnl_survival_request_init(fnl_survival_request *req, size_t size);

/**
 * The Kaplan-Meier estimate of "not converted yet": one row per distinct
 * time with at_risk, converted, censored, survival, conversion (1 - S),
 * hazard and Greenwood's standard error; summary n, conversions,
 * censored, median_days (null when S never reaches 0.5), cold_day.
 * Errors: FNL_EINVAL, FNL_ENOMEM.
 */
FNL_API int fnl_survival_km(const fnl_survival_request *req,
                            fnl_report **out);

typedef struct fnl_time_to_convert_request {
    uint32_t size;
    int64_t from;                /* deals created in [from, to); 0, 0 all */
    int64_t to;
    int64_t as_of;               /* FNL_TIME_NOW: the engine clock */
    double window_days;
    double cold_threshold;
    const fnl_allocator *allocator;
} fnl_time_to_convert_request;

#define FNL_TIME_TO_CONVERT_REQUEST_INIT                                     \
    { sizeof(fnl_time_to_convert_request), 0, 0, FNL_TIME_NOW, 30.0, 0.05,    \
      NULL }
FNL_API int fnl_time_to_convert_request_init(
    fnl_time_to_convert_request *req, size_t size);

/**
 * fnl_survival_km() over the engine's deals: entry = created, conversion
 * = won (at closed); lost deals are censored at their close time, open
 * deals at as_of (deals created after as_of are skipped).
 */
FNL_API int fnl_report_time_to_convert(
    const fnl_engine *engine, const fnl_time_to_convert_request *req,
    fnl_report **out);

/* ------------------------------------------------------------------------
 * Budget allocation
 * ------------------------------------------------------------------------ */

/** One budget line.  cap < 0: no cap. */
typedef struct fnl_budget_line {
    const char *name;
    double weight;       /* last period's contribution (or ROI): >= 0 */
    int64_t min;         /* >= 0 */
    int64_t cap;
} fnl_budget_line;

/** Most lines and phases. */
#define FNL_BUDGET_MAX_LINES 100000
#define FNL_BUDGET_MAX_PHASES 366

typedef struct fnl_budget_request {
    uint32_t size;
    int64_t total;                /* minor units, >= 0 */
    const char *currency;         /* NULL: "USD" */
    const fnl_budget_line *lines;
    size_t line_count;            /* 1..FNL_BUDGET_MAX_LINES */
    /** Phases per line: 0 means 4 (quarters q1..q4). */
    uint32_t phases;
    const double *phase_weights;  /* NULL: equal */
    const fnl_allocator *allocator;
} fnl_budget_request;

#define FNL_BUDGET_REQUEST_INIT \
    { sizeof(fnl_budget_request), 0, NULL, NULL, 0, 0, NULL, NULL }
FNL_API int fnl_budget_request_init(fnl_budget_request *req, size_t size);

/**
 * Split `total` across lines top-down in proportion to weight, within
 * each line's [min, cap]: amount_i = clamp(lambda x weight_i, min_i,
 * cap_i) with lambda chosen so that the amounts sum to total (all weights
 * 0: equal weights), then rounded to minor units by largest remainder;
 * each line is phased the same way.  Amounts sum to total exactly, and
 * each line's phases sum to its amount exactly.
 * Errors: FNL_EINVAL (bad request), FNL_ERANGE (infeasible: sum of
 * minimums above total, or total above what the caps and weights can
 * take), FNL_ENOMEM.
 */
FNL_API int fnl_budget_allocate(const fnl_budget_request *req,
                                fnl_report **out);

#ifdef __cplusplus
}
#endif

#endif /* FNL_REPORT_API_H */
