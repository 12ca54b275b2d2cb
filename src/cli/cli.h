/*
 * cli.h -- shared declarations of the funnelcore command-line tool.
 *
 * The tool is built on the public API only (include/funnelcore.h).  Its
 * parts, one per file:
 *
 *   main.c      options, subcommand dispatch, exit codes
 *   help.c      --help and `help CMD` texts
 *   csv.c       streaming RFC 4180 reader (no per-field allocation)
 *   util.c      string buffers, dates, amounts, JSON/CSV escaping
 *   table.c     a small table model rendered as text, CSV or JSON
 *   progress.c  progress bar on a terminal, SIGINT cancellation
 *   session.c   store + engine opening, the engine clock
 *   ingest.c    CSV import: column/value mapping, joins, batches
 *   attribute.c the `attribute` subcommand; attribution over the engine
 *               (fnl_engine_attribution_partial) shared with `report`
 *   score.c     scoring models (--model FILE or the built-in default),
 *               `score`, the score part of `show contact`
 *   libreport.c fnl_report (deals, ROI, cohorts, time to convert) -> tables
 *   report.c    the `report` subcommand: sections collected into tables
 *   html.c      the self-contained HTML report with SVG charts
 *   show.c      `show contact`, `stats`
 *   stages.c    the lifecycle stage machine (--stages FILE or the built-in
 *               default): attached before the import, ticked to --now
 *               after it; a contact's stage and history; stage counts
 */
#ifndef FNL_CLI_H
#define FNL_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "funnelcore.h"

/* Exit codes (documented in `funnelcore --help` and docs/cli.md). */
#define CLI_EXIT_OK 0
#define CLI_EXIT_DATA 1     /* bad input rows or files, library errors */
#define CLI_EXIT_USAGE 2    /* bad command line */
#define CLI_EXIT_CANCEL 130 /* interrupted by SIGINT */

/* ---- string buffer ------------------------------------------------------ */

typedef struct cli_buf {
    char *p;
    size_t len, cap;
} cli_buf;

void cli_buf_free(cli_buf *b);
void cli_buf_reset(cli_buf *b);
void cli_buf_add(cli_buf *b, const char *s, size_t n);
void cli_buf_puts(cli_buf *b, const char *s);
void cli_buf_putc(cli_buf *b, char c);
void cli_buf_printf(cli_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), nonnull(1, 2)));
/* JSON string literal with quotes. */
void cli_buf_json_str(cli_buf *b, const char *s);
/* A double as the shortest text that reads back to the same value. */
void cli_buf_num(cli_buf *b, double v);
/* A CSV field, quoted when needed. */
void cli_buf_csv_field(cli_buf *b, const char *s);
/* Text with <, >, &, " escaped for HTML. */
void cli_buf_html(cli_buf *b, const char *s);

/* Allocation that exits the program on failure (the tool, not the library:
 * a CLI out of memory has nothing better to do). */
void *cli_xmalloc(size_t n);
void *cli_xrealloc(void *p, size_t n);
char *cli_xstrdup(const char *s);
/* A whole file ("-": stdin), NUL-terminated, of at most `max` bytes (*len:
 * its length); NULL when it cannot be read or is larger. */
char *cli_read_file(const char *path, size_t max, size_t *len);

/* ---- text helpers ------------------------------------------------------- */

int cli_strieq(const char *a, const char *b);
/* Display width of UTF-8 text in terminal columns (wide CJK = 2). */
size_t cli_utf8_width(const char *s);
/* Byte offset of the first invalid UTF-8 sequence, or (size_t)-1. */
size_t cli_utf8_invalid(const char *s, size_t n);
/* Trim ASCII blanks in place; returns s. */
char *cli_trim(char *s);

/* Dates.  fmt NULL: ISO 8601 (date, date-time with optional fraction and
 * zone) or epoch milliseconds (all digits).  Otherwise a strptime-like
 * format with %Y %y %m %d %H %M %S %b %%.  0 on success, -1 if the text
 * does not match; *err_col gets the 0-based byte offset of the mismatch. */
int cli_parse_time(const char *s, const char *fmt, int64_t *out,
                   size_t *err_col);
/* "2025-03-01" or "2025-03-01T10:20:30Z" (when the time is not midnight). */
void cli_fmt_time(int64_t ms, char out[32]);
void cli_fmt_date(int64_t ms, char out[16]);
int64_t cli_days_from_civil(int64_t y, unsigned m, unsigned d);

/* Amounts: a decimal in major units scaled by `scale` (a power of ten) to
 * integer minor units, exactly.  -1 on malformed text, too many decimals or
 * overflow; *why says which. */
int cli_parse_amount(const char *s, int64_t scale, int64_t *out,
                     const char **why);
/* minor units -> "1,234.56" with `decimals` digits after the point. */
void cli_fmt_money(int64_t minor, int decimals, char out[40]);
void cli_fmt_count(uint64_t n, char out[32]);

/* ---- CSV reader --------------------------------------------------------- */

typedef struct cli_csv {
    FILE *f;
    const char *path;
    int own;           /* close f at the end */
    char *buf;         /* window on the file */
    size_t cap, len;   /* buffer capacity, valid bytes */
    size_t pos;        /* parse position */
    size_t line_start; /* offset in buf of the current physical line */
    int eof, at_start;
    uint64_t line;     /* current physical line, 1-based */
    uint64_t rec_line; /* line where the last record began */
    uint64_t bytes;    /* bytes consumed so far (for progress) */
    uint64_t size;     /* file size when known, else 0 */
    char *rec;         /* start of the last record in buf */
    char **fields;     /* the last record: NUL-terminated, in buf */
    size_t *lens;
    size_t nfields, fcap;
    /* the last error */
    uint64_t err_line, err_col;
    char err[200];
} cli_csv;

/* Open a file ("-" is stdin).  -1 and a message in c->err on failure. */
int cli_csv_open(cli_csv *c, const char *path);
void cli_csv_close(cli_csv *c);
/* Next record: 1 got one, 0 end of file, -1 malformed record (c->err,
 * err_line, err_col say where; the reader has skipped to the next line, so
 * reading may go on).  Empty lines are skipped. */
int cli_csv_next(cli_csv *c);
/* Line and 1-based byte column where field k of the last record began. */
void cli_csv_field_pos(const cli_csv *c, size_t k, uint64_t *line,
                       uint64_t *col);

/* ---- string map: string -> uint32, keys copied into one arena ----------- */

typedef struct cli_strmap {
    cli_buf keys;       /* NUL-separated key bytes */
    size_t *slots;      /* offset + 1 into keys; 0 = empty */
    uint32_t *vals;
    size_t cap, count;
} cli_strmap;

/* 1 and *val when found, 0 otherwise. */
int cli_strmap_get(const cli_strmap *m, const char *key, uint32_t *val);
/* Insert or overwrite. */
void cli_strmap_put(cli_strmap *m, const char *key, uint32_t val);
void cli_strmap_free(cli_strmap *m);

/* ---- tables ------------------------------------------------------------- */

typedef enum cli_cell_type {
    CELL_NULL = 0,
    CELL_STR,   /* s */
    CELL_INT,   /* i */
    CELL_NUM,   /* d, shown with 2 decimals in text */
    CELL_MONEY, /* i minor units (text: major with decimals); JSON int */
    CELL_RATIO, /* d; text shows a percentage, JSON the ratio */
    CELL_DAYS   /* d days, text 1 decimal */
} cli_cell_type;

typedef struct cli_cell {
    int type;
    char *s;
    int64_t i;
    double d;
} cli_cell;

typedef struct cli_table {
    char *name;   /* snake_case id: JSON key, CSV section */
    char *title;  /* heading in text and HTML */
    size_t ncols;
    char **col_names;  /* snake_case keys */
    char **col_titles; /* headings */
    size_t nrows, rcap;
    cli_cell *cells;   /* nrows x ncols */
    char *note;        /* a line printed under the table, or NULL */
} cli_table;

cli_table *cli_table_new(const char *name, const char *title, size_t ncols,
                         const char *const *names,
                         const char *const *titles);
void cli_table_free(cli_table *t);
/* Append a row of NULL cells and return it. */
cli_cell *cli_table_row(cli_table *t);
void cli_cell_str(cli_cell *c, const char *s);
void cli_cell_int(cli_cell *c, int64_t v);
void cli_cell_num(cli_cell *c, double v);
void cli_cell_money(cli_cell *c, int64_t minor);
void cli_cell_ratio(cli_cell *c, double v);
void cli_cell_days(cli_cell *c, double v);
void cli_table_note(cli_table *t, const char *note);

/* Text: a heading and aligned columns.  money_decimals: digits of minor
 * units. */
void cli_table_text(const cli_table *t, FILE *out, int money_decimals);
/* JSON array of objects (one per row) appended to b. */
void cli_table_json(const cli_table *t, cli_buf *b);
/* CSV header + rows (header only once when with_header). */
void cli_table_csv(const cli_table *t, FILE *out, int with_header);
/* Long CSV rows "section,key,metric,value" for multi-table output. */
void cli_table_csv_long(const cli_table *t, FILE *out);
/* The value of a cell as text (for HTML and CSV). */
void cli_cell_text(const cli_cell *c, int money_decimals, cli_buf *b);

/* ---- progress and cancellation ----------------------------------------- */

void cli_signals_install(void);
int cli_canceled(void);
/* A bar on stderr when it is a terminal and not quiet; a no-op otherwise.
 * total 0: unknown (a counter is shown). */
void cli_progress_begin(const char *label, uint64_t total);
void cli_progress_update(uint64_t done);
void cli_progress_end(void);
void cli_progress_set_quiet(int quiet);
/* A fnl progress-style cancel check for the library. */

/* ---- options ------------------------------------------------------------ */

typedef enum cli_kind {
    KIND_TOUCHES = 0,
    KIND_CONTACTS,
    KIND_DEALS,
    KIND_COSTS,
    KIND_ACCOUNTS,
    KIND_EVENTS,       /* host events for the stage machine (--events) */
    KIND_COUNT
} cli_kind;

typedef struct cli_input {
    int kind; /* cli_kind */
    const char *path;
} cli_input;

typedef struct cli_pair {
    char *key, *val;
} cli_pair;

typedef struct cli_valmap {
    char *field; /* canonical field */
    char *from, *to;
} cli_valmap;

typedef struct cli_join {
    char *path;
    char *main_col;  /* column of the main file (lower case) */
    char *join_col;  /* column of the joined file (lower case) */
} cli_join;

typedef enum cli_format { FMT_TEXT = 0, FMT_JSON, FMT_CSV } cli_format;

typedef struct cli_opts {
    const char *cmd;
    /* inputs */
    cli_input *inputs;
    size_t ninputs;
    const char *store;
    cli_pair *maps;
    size_t nmaps;
    cli_valmap *values;
    size_t nvalues;
    cli_join *joins;
    size_t njoins;
    char **key_columns; /* extra identity key kinds */
    size_t nkey_columns;
    const char *date_format;
    int64_t amount_scale;
    int money_decimals;      /* log10(amount_scale) */
    const char *currency;    /* default currency */
    int strict;
    int64_t now;             /* fixed engine clock; INT64_MIN: system */
    const char *default_country_code;
    /* stage machine */
    const char *stages;      /* --stages FILE; NULL: the built-in machine */
    int no_stages;           /* --no-stages */
    /* output */
    int format; /* cli_format */
    const char *html;
    const char *output;
    int quiet;
    /* attribute */
    const char *paths;
    char *models;            /* attribution models (--models, -m, --model) */
    const char *model_arg;   /* --model as given, resolved in main() */
    const char *scoring_model; /* scoring-model file; NULL: built-in */
    int scope;               /* fnl_journey_scope */
    int64_t lookback_ms;     /* FNL_LOOKBACK_UNLIMITED or >= 0 */
    int conversion;          /* fnl_conversion_kind */
    int order;
    int value_decimals;
    const char *by;          /* journey group: channel, campaign, ... */
    char separator;
    /* report */
    char *group_by;          /* deal dimensions */
    const char *roi_model;
    const char *title;
    int cohort_period;       /* fnl_period_kind */
    long top;                /* score / report: contacts listed; -1 default */
    /* positional arguments after the subcommand */
    char **args;
    size_t nargs;
} cli_opts;

/* ---- session: engine (+ store) and the import summary ------------------- */

typedef struct cli_dims cli_dims; /* deal dimensions kept by the CLI */

typedef struct cli_file_report {
    int kind;
    char *path;
    uint64_t rows, imported, skipped;
    uint64_t notes[8];  /* kind-specific counters, see ingest.c */
} cli_file_report;

typedef struct cli_session {
    const cli_opts *o;
    fnl_engine *engine;
    fnl_storage *storage;   /* --store: the file store, or NULL */
    fnl_clock clock;
    cli_dims *dims;
    cli_file_report *files;
    size_t nfiles;
    uint64_t errors;        /* bad rows and files */
    int canceled;
    int stopped;            /* --strict stopped at a bad row */
    /* warnings collected while importing, printed once */
    char **warnings;
    size_t nwarnings;
    /* the scoring model (score.c): attached after the import, or before
     * it when a stage machine runs (its guards read scores) */
    char *model_name;
    char *model_source;     /* the file, or "built-in" */
    /* the stage machine (stages.c): the one the engine runs, as parsed by
     * the tool (names, ranks); NULL when none is attached */
    fnl_machine *machine;
    char *machine_source;   /* the file, or "built-in" */
    int machine_stored;     /* 1: --store held a machine already (kept) */
    uint64_t stage_mismatches; /* contacts whose stage the stored machine
                                  names otherwise than `machine` */
} cli_session;

/* The allocator of the engine, models and machines: NULL (libc), except in
 * the fault-injection build (funnelcore-fault, session.c). */
const fnl_allocator *cli_allocator(void);
/* Open the store (--store) and the engine.  CLI exit code. */
int cli_session_open(cli_session *s, const cli_opts *o);
void cli_session_close(cli_session *s);
/* 1 when the engine journals into --store (persistence), else 0. */
int cli_session_persists(const cli_session *s);
void cli_session_warn(cli_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Import every --touches/--contacts/... file.  CLI exit code. */
int cli_import_all(cli_session *s);
/* One line per file and the warnings, on stderr (text) unless quiet. */
void cli_import_summary(const cli_session *s, FILE *out);
/* Import summary as a JSON array. */
void cli_import_json(const cli_session *s, cli_buf *b);

/* Deal dimensions (product, manager, region, ...): the names of the kept
 * columns of deal rows, which the import stores as deal attributes, or,
 * joined on the owner column, as owner-record attributes; the report groups
 * by them with FNL_DEAL_BY_ATTR / FNL_DEAL_BY_OWNER_ATTR. */
size_t cli_dims_count(const cli_dims *d);
/* The column's name (as --group-by names it). */
const char *cli_dims_name(const cli_dims *d, size_t i);
/* Its attribute name in the library. */
const char *cli_dims_attr(const cli_dims *d, size_t i);
/* 1: an attribute of the deal owner's record; 0: of the deal. */
int cli_dims_is_owner(const cli_dims *d, size_t i);
void cli_dims_free(cli_dims *d);

/* ---- attribution results shared by attribute, report and html ----------- */

typedef struct cli_attr_set {
    size_t nmodels;
    uint32_t *models;
    char **names;            /* model names as given */
    fnl_attribution **res;
} cli_attr_set;

/* Parse "first,last,markov" into model ids.  0 ok, -1 usage error. */
int cli_parse_models(const char *list, cli_attr_set *set);
/* Run every model over the journeys in chunks (progress, SIGINT).
 * decimals: the journeys' value decimals. */
int cli_attr_run(cli_attr_set *set, const fnl_journeys *j, int order,
                 int decimals);
/* Every model of `set` over the engine's journeys (one pass through
 * fnl_engine_attribution_partial, then one finish per model): --by,
 * --scope, --lookback of o; `conversion` a fnl_conversion_kind; currency
 * filter `currency` (NULL: none).  FNL_* code; *st filled. */
int cli_attr_engine(fnl_engine *e, const cli_opts *o, uint32_t conversion,
                    const char *currency, cli_attr_set *set,
                    fnl_engine_attribution_stats *st);
/* The report currency: the first deal's, else --currency. */
const char *cli_deal_currency(fnl_engine *e, const cli_opts *o, char cur[4]);
/* --by: fnl_group_by and the attribute name (contact:NAME, account:NAME).
 * 0 ok, -1 unknown. */
int cli_parse_by(const char *by, uint32_t *group, const char **attr);
void cli_attr_free(cli_attr_set *set);
/* The fixed JSON object of one result (DESIGN.md section 7); credits are
 * printed quantised (cli_attr_quantise). */
void cli_attr_json(const char *model, const fnl_attribution *r, cli_buf *b);
/* Printed credits: every row and the total rounded to one quantum q =
 * max(1e-9, 10^(floor(log10 M) - 9)), M the largest magnitude among the
 * rows and the total (so at most 10 significant digits), the residue that
 * keeps the rows summing to the total given to the largest row.  which 0:
 * conversions, 1: value.  out[i] (row_count + 1 entries, the last the
 * total) receive the numbers as exact decimal text. */
void cli_attr_quantise(const fnl_attribution *r, int which, cli_buf *out);
/* Side-by-side table: key, then conversions and value per model. */
cli_table *cli_attr_table(const cli_attr_set *set);

/* ---- subcommands -------------------------------------------------------- */

int cli_cmd_import(const cli_opts *o);
int cli_cmd_attribute(const cli_opts *o);
int cli_cmd_show(const cli_opts *o);
int cli_cmd_stats(const cli_opts *o);
int cli_cmd_report(const cli_opts *o);
int cli_cmd_score(const cli_opts *o);

/* ---- scoring (score.c) -------------------------------------------------- */

/* The built-in default scoring model (text; docs/cli.md prints it). */
extern const char cli_default_model[];
/* Parse --model FILE (or the built-in model) and attach it to the engine
 * (unless the same model is attached already).  CLI exit code; errors are
 * printed as FILE:LINE:COLUMN: message. */
int cli_scoring_attach(cli_session *s);
/* Top contacts by score (`top` rows) and the A1..D4 cell counts. */
cli_table *cli_score_top(cli_session *s, size_t top);
cli_table *cli_score_cells(cli_session *s);
/* The attribute name an import gives a column called s: folded to
 * [a-z0-9_.-], other runs of bytes as one '_', at most FNL_MAX_NAME bytes
 * ("_" when nothing is left).  ingest.c. */
void cli_attr_name(const char *s, char out[FNL_MAX_NAME + 1]);

/* One contact's score and explanation: a JSON object appended to b
 * ("null" without a model), or two tables (NULL without a model).  A
 * failed library read returns its status (fnl_errmsg has the message):
 * the caller reports it and prints nothing. */
int cli_score_contact_json(cli_session *s, fnl_contact_id id, cli_buf *b);
int cli_score_contact_tables(cli_session *s, fnl_contact_id id,
                             cli_table **score, cli_table **why);

/* ---- stage machine (stages.c) ------------------------------------------- */

/* Does this invocation run a stage machine?  --stages FILE, --events F, and
 * the commands that show stages (show, report; import with --store) do,
 * unless --no-stages. */
int cli_stages_wanted(const cli_opts *o);
/* Parse --stages FILE (or take the built-in machine) into s->machine.
 * Called before the store is opened; CLI exit code (2 for a bad machine
 * file, errors printed as FILE:LINE:COLUMN: message). */
int cli_stages_load(cli_session *s);
/* Attach s->machine (after the scoring model, before the import), unless
 * --store holds a machine already.  CLI exit code. */
int cli_stages_attach(cli_session *s);
/* After the import: fire the stage timers due by --now (fnl_engine_tick).
 * CLI exit code. */
int cli_stages_tick(cli_session *s);
/* The report's "stages" section: per stage (funnel stages in rank order,
 * then side stages) the contacts in it now, and from
 * fnl_report_stage_funnel (cumulative) those that reached it, the
 * conversion to the next funnel stage and its velocity.  NULL without a
 * machine, when canceled, or with *failed set when the library report
 * failed (the message is printed). */
cli_table *cli_stage_table(cli_session *s, int *failed);
/* One contact's stage and history: JSON object (null without a machine),
 * or the "Stage" and "Stage history" tables (NULL without a machine). */
void cli_stage_contact_json(cli_session *s, fnl_contact_id id, cli_buf *b);
cli_table *cli_stage_contact_table(cli_session *s, fnl_contact_id id);
cli_table *cli_stage_history_table(cli_session *s, fnl_contact_id id);
/* The contact's current stage name (borrowed until the next mutating call)
 * or NULL. */
const char *cli_stage_of(cli_session *s, fnl_contact_id id);
/* The contact's history, oldest first (malloc'ed; NULL and *n 0 when
 * none). */
fnl_stage_record *cli_stage_history(cli_session *s, fnl_contact_id id,
                                    size_t *n);
/* "transition", "passed", "assign", "breach"; "start", "touch", ... */
const char *cli_stage_record_name(uint32_t kind);
const char *cli_stage_cause_name(uint32_t cause);

/* ---- library reports as tables (libreport.c) ---------------------------- */

/* A fnl_report as a cli_table: label columns become text (null: "(none)"),
 * the first column is renamed key_name (NULL: kept); columns named in
 * skip (NULL-terminated) and flag columns are left out. */
cli_table *cli_table_from_report(const fnl_report *r, const char *name,
                                 const char *title, const char *key_name,
                                 const char *const *skip);
/* The index of column `name`, or -1. */
int cli_table_col(const cli_table *t, const char *name);
/* The cell (row, column named col) of a report into c (row may be
 * FNL_REPORT_TOTALS); c is left alone when there is no such cell. */
void cli_report_cell(const fnl_report *r, size_t row, const char *col,
                     cli_cell *c);
/* The summary value `name` of a report into a cell (null when absent). */
void cli_report_summary_cell(const fnl_report *r, const char *name,
                             cli_cell *c, int unit);

/* ---- the report model shared by report.c and html.c --------------------- */

typedef struct cli_report {
    char *title;
    char *currency;
    int money_decimals;
    cli_table **tables;
    size_t ntables;
    /* chart data */
    cli_table *funnel;      /* step, count */
    cli_table *stages;      /* stage, status, deals, amount */
    cli_table *lifecycle;   /* stage machine: stage, rank, current, reached */
    cli_table *deals;       /* summary (one row) */
    cli_table *attribution; /* key, model columns */
    cli_attr_set *attr;     /* borrowed: results behind `attribution` */
    cli_table *roi;         /* channel, cost, revenue, ..., roi, roas */
    char *roi_model;
    cli_table *by_owner;    /* velocity chart: cycle median / p90 */
    cli_table *ttc;         /* time to convert: summary (one row) */
    cli_table *curve;       /* Kaplan-Meier rows: days, survival, ... */
} cli_report;

int cli_html_write(const cli_report *r, const char *path);

/* ---- help --------------------------------------------------------------- */

void cli_help_main(FILE *out);
/* 0 if the command is known (text written), -1 otherwise. */
int cli_help_cmd(const char *cmd, FILE *out);

/* Print "funnelcore: " + message to stderr. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
