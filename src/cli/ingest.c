/*
 * ingest.c -- CSV files into the engine.
 *
 * Each file goes through one plan: its header (plus the columns of any
 * --join table keyed on one of its columns) is matched against the
 * canonical fields of its kind (--map first, then the field's own name,
 * then a few aliases); every other column is kept: as contact or account
 * attributes, as deal attributes (fnl_deal_update.attrs), or, for a deals
 * file's --join table keyed on its owner column (sales_agent -> manager,
 * office), as attributes of the owner's record (fnl_owner_upsert).  The
 * names of the deal and owner attributes are kept (cli_dims) so that
 * `report --group-by` knows which grouping each is.  Each row is then read
 * through the plan: trimmed, value-mapped (--values), parsed (dates,
 * amounts) and sent to the library.  Touches go in batches
 * (fnl_touch_add_batch); a batch the library refuses is replayed touch by
 * touch so that only the bad rows are reported and skipped.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

#define TOUCH_BATCH 4096
#define MAX_ERRORS_SHOWN 20
#define MAX_DIMS 32

/* ---- canonical fields --------------------------------------------------- */

enum {
    F_TIME, F_TYPE, F_CHANNEL, F_CAMPAIGN, F_CONTENT, F_URL, F_REFERRER,
    F_UTM_SOURCE, F_UTM_MEDIUM, F_UTM_CAMPAIGN, F_UTM_TERM, F_UTM_CONTENT,
    F_ACCOUNT, F_VALUE, F_OWNER, F_ROLE, F_TAGS, F_SOURCE, F_DEAL_ID,
    F_CONTACT, F_AMOUNT, F_CURRENCY, F_CREATED, F_CLOSED, F_STATUS, F_STAGE,
    F_REGION, F_START, F_END, F_QUARTER, F_MONTH, F_DOMAIN,
    F_EVENT, F_REASON,
    F_BY,
    F_COUNT
};

static const char *const field_names[F_COUNT] = {
    "time", "type", "channel", "campaign", "content", "url", "referrer",
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
    "account", "value", "owner", "role", "tags", "source", "deal_id",
    "contact", "amount", "currency", "created", "closed", "status", "stage",
    "region", "start", "end", "quarter", "month", "domain",
    "event", "reason",
    "by",
};

/* Aliases tried after the canonical name ("|"-separated). */
static const char *const field_aliases[F_COUNT] = {
    [F_TIME] = "timestamp|date|occurred_at",
    [F_TYPE] = "touch_type|event|activity",
    [F_ACCOUNT] = "company|account_id",
    [F_DEAL_ID] = "id|opportunity_id|deal",
    [F_CREATED] = "created_at|create_date",
    [F_CLOSED] = "closed_at|close_date",
    [F_STATUS] = "deal_status",
    [F_START] = "period_start",
    [F_END] = "period_end",
    [F_DOMAIN] = "domains|website",
    /* who made a touch: CRM activity exports name it so */
    [F_BY] = "touched_by|made_by|performed_by|sales_rep|rep",
};

/* Which fields each kind reads. */
static const int kind_fields[KIND_COUNT][F_COUNT + 1] = {
    [KIND_TOUCHES] = {F_TIME, F_TYPE, F_CHANNEL, F_CAMPAIGN, F_CONTENT, F_URL,
                      F_REFERRER, F_UTM_SOURCE, F_UTM_MEDIUM, F_UTM_CAMPAIGN,
                      F_UTM_TERM, F_UTM_CONTENT, F_ACCOUNT, F_VALUE, F_BY,
                      -1},
    [KIND_CONTACTS] = {F_TIME, F_ACCOUNT, F_OWNER, F_ROLE, F_TAGS, F_SOURCE,
                       -1},
    [KIND_DEALS] = {F_DEAL_ID, F_ACCOUNT, F_CONTACT, F_ROLE, F_AMOUNT,
                    F_CURRENCY, F_CREATED, F_CLOSED, F_STATUS, F_STAGE,
                    F_OWNER, -1},
    [KIND_COSTS] = {F_CHANNEL, F_CAMPAIGN, F_REGION, F_START, F_END,
                    F_QUARTER, F_MONTH, F_AMOUNT, F_CURRENCY, -1},
    [KIND_ACCOUNTS] = {F_ACCOUNT, F_DOMAIN, F_OWNER, F_SOURCE, -1},
    [KIND_EVENTS] = {F_TIME, F_EVENT, F_REASON, -1},
};

/* Kinds whose rows carry identity keys. */
static const char *const default_key_kinds[] = {
    "email", "phone", "wechat_id", "wecom_id", "cookie_id", "device_id",
    "crm_id", NULL};

static const char *const kind_names[KIND_COUNT] = {
    "touches", "contacts", "deals", "costs", "accounts", "events"};

/* Per-kind counters of cli_file_report.notes, with their labels. */
static const char *const note_labels[KIND_COUNT][8] = {
    [KIND_TOUCHES] = {"rows without any identity key"},
    [KIND_DEALS] = {"without a created date: the close date was used",
                    "without a created date: --now was used",
                    "without an account", "unknown role: 'other' was used",
                    "open, without a close date"},
    [KIND_CONTACTS] = {"unknown role: 'other' was used"},
    [KIND_EVENTS] = {"sent after the import: their contact did not exist "
                     "yet at their time"},
};

/* ---- join tables -------------------------------------------------------- */

typedef struct jtable {
    char *path;
    char *key_col;      /* in the joined file */
    char *main_col;     /* in the main file */
    size_t ncols;
    char **names;       /* lower-case header */
    size_t nrows;
    size_t *cells;      /* nrows x ncols offsets into text */
    cli_buf text;
    cli_strmap exact, loose;
    uint64_t matched, loose_hits, unmatched;
    char loose_example[2][128];
    char unmatched_example[128];
    int key_idx;
    int loaded, failed;
} jtable;

/* ---- deal and owner attribute names (see cli.h) ------------------------ */

struct cli_dims {
    size_t ndims;
    char *names[MAX_DIMS];  /* the column's (lower-case) name */
    char *attrs[MAX_DIMS];  /* its attribute name (sanitised) */
    int owner[MAX_DIMS];    /* 1: an owner attribute, 0: a deal attribute */
};

size_t cli_dims_count(const cli_dims *d) { return d ? d->ndims : 0; }

const char *cli_dims_name(const cli_dims *d, size_t i)
{
    return d && i < d->ndims ? d->names[i] : NULL;
}

const char *cli_dims_attr(const cli_dims *d, size_t i)
{
    return d && i < d->ndims ? d->attrs[i] : NULL;
}

int cli_dims_is_owner(const cli_dims *d, size_t i)
{
    return d && i < d->ndims ? d->owner[i] : 0;
}

void cli_dims_free(cli_dims *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->ndims; i++) {
        free(d->names[i]);
        free(d->attrs[i]);
    }
    free(d);
}

static int dims_index(cli_dims *d, const char *name, const char *attr,
                      int owner)
{
    for (size_t i = 0; i < d->ndims; i++)
        if (strcmp(d->names[i], name) == 0)
            return (int)i;
    if (d->ndims == MAX_DIMS)
        return -1;
    d->names[d->ndims] = cli_xstrdup(name);
    d->attrs[d->ndims] = cli_xstrdup(attr);
    d->owner[d->ndims] = owner;
    return (int)d->ndims++;
}

/* ---- one import run ----------------------------------------------------- */

/* A host event of an --events file, held until the import reaches its
 * time (see "host events" below). */
typedef struct pevent {
    int64_t key;            /* sort key: the time; INT64_MAX for none */
    int64_t time;           /* FNL_TIME_NOW when the row has none */
    uint64_t seq;           /* file order, to keep the sort stable */
    uint64_t kline, kcol;   /* where its first identity key is */
    uint64_t eline, ecol;   /* where its event is */
    size_t file;            /* index into the session's files */
    size_t key0, nkeys;     /* into the key arrays below */
    size_t event, reason;   /* offset + 1 into text; 0: none */
} pevent;

typedef struct events {
    pevent *v;
    size_t n, cap, next;
    size_t *late;           /* events whose contact did not exist yet */
    size_t nlate;
    cli_buf text;
    const char **kinds;
    size_t *vals;           /* offsets into text */
    size_t nk, kcap;
} events;

/* The first time each identity key appears in the touches files, for
 * contacts rows without a time when a stage machine runs (see
 * "first seen" below). */
typedef struct seen {
    int done;
    cli_strmap map;         /* "kind\x1fvalue" -> index into t */
    int64_t *t;
    size_t n, cap;
    int64_t min;            /* the earliest touch; INT64_MAX: none */
} seen;

typedef struct ingest {
    cli_session *s;
    const cli_opts *o;
    jtable *joins;
    size_t njoins;
    cli_strmap accounts_done; /* accounts whose joined attributes are set */
    cli_strmap owners_done;   /* owners whose joined attributes are set */
    const char **key_kinds;
    size_t nkey_kinds;
    events ev;
    seen first;
} ingest;

/* The plan for one file. */
typedef struct plan {
    int kind;
    size_t nfile;          /* columns in the file */
    size_t ncols;          /* + joined columns */
    char **names;          /* lower-case, borrowed or owned (owned[i]) */
    int col[F_COUNT];      /* canonical field -> column, -1 */
    int *keycol;           /* per key kind: column or -1 */
    int *role;             /* per column: 0 extra, 1 canonical/key, 2 acct,
                              3 owner (deals: joined on the owner column) */
    int *vjoin, *vjcol;    /* joined columns: join index, its column */
    int *dim;              /* deals: cli_dims index of an extra column */
    char **attr_name;      /* sanitised attribute names of extra columns */
    const char **vfield;   /* the name --values uses for each column */
    int *join_row;         /* per join: the matched row for this record */
} plan;

typedef struct row {
    cli_csv *csv;
    plan *p;
    cli_file_report *fr;
} row;

/* ---- helpers ------------------------------------------------------------ */

static void lower_in_place(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

/* Loose join key: lower case, letters and digits only ("GTX Pro" and
 * "GTXPro" meet). */
static void loose_key(const char *s, char *out, size_t cap)
{
    size_t o = 0;
    for (; *s && o + 1 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c))
            out[o++] = (char)tolower(c);
        else if (c >= 0x80)
            out[o++] = (char)c;
    }
    out[o] = 0;
}

void cli_attr_name(const char *s, char out[FNL_MAX_NAME + 1])
{
    size_t o = 0;
    for (; *s && o < FNL_MAX_NAME; s++) {
        unsigned char c = (unsigned char)tolower((unsigned char)*s);
        if (isalnum(c) || c == '_' || c == '.' || c == '-')
            out[o++] = (char)c;
        else if (o > 0 && out[o - 1] != '_')
            out[o++] = '_';
    }
    while (o > 0 && out[o - 1] == '_')
        o--;
    if (o == 0)
        out[o++] = '_';
    out[o] = 0;
}

static void report_error(ingest *g, cli_file_report *fr, uint64_t line,
                         uint64_t col, const char *msg)
{
    fr->skipped++;
    g->s->errors++;
    if (fr->skipped <= MAX_ERRORS_SHOWN || g->o->strict)
        fprintf(stderr, "%s:%llu:%llu: %s\n", fr->path,
                (unsigned long long)line, (unsigned long long)col, msg);
    else if (fr->skipped == MAX_ERRORS_SHOWN + 1)
        fprintf(stderr, "%s: more errors follow; only the count is shown\n",
                fr->path);
    if (g->o->strict)
        g->s->stopped = 1;
}

/* ---- join tables -------------------------------------------------------- */

static int join_load(ingest *g, jtable *j)
{
    cli_csv c;
    int r, key = -1;
    char lk[512];
    j->loaded = 1;
    if (cli_csv_open(&c, j->path) != 0) {
        cli_err("--join %s", c.err);
        j->failed = 1;
        return -1;
    }
    if (cli_csv_next(&c) != 1) {
        cli_err("--join %s: no header row", j->path);
        cli_csv_close(&c);
        j->failed = 1;
        return -1;
    }
    j->ncols = c.nfields;
    j->names = cli_xmalloc(j->ncols * sizeof(char *));
    for (size_t i = 0; i < j->ncols; i++) {
        j->names[i] = cli_xstrdup(cli_trim(c.fields[i]));
        lower_in_place(j->names[i]);
        if (strcmp(j->names[i], j->key_col) == 0)
            key = (int)i;
    }
    j->key_idx = key;
    if (key < 0) {
        cli_err("--join %s: no column '%s'", j->path, j->key_col);
        cli_csv_close(&c);
        j->failed = 1;
        return -1;
    }
    while ((r = cli_csv_next(&c)) != 0) {
        if (r < 0 || c.nfields != j->ncols) {
            fprintf(stderr, "%s:%llu:%llu: %s\n", j->path,
                    (unsigned long long)(r < 0 ? c.err_line : c.rec_line),
                    (unsigned long long)(r < 0 ? c.err_col : 1),
                    r < 0 ? c.err : "wrong number of fields (row ignored)");
            g->s->errors++;
            continue;
        }
        j->cells = cli_xrealloc(j->cells,
                                (j->nrows + 1) * j->ncols * sizeof(size_t));
        for (size_t i = 0; i < j->ncols; i++) {
            j->cells[j->nrows * j->ncols + i] = j->text.len;
            const char *v = cli_trim(c.fields[i]);
            cli_buf_add(&j->text, v, strlen(v) + 1);
        }
        {
            const char *kv = j->text.p + j->cells[j->nrows * j->ncols + key];
            uint32_t dummy;
            if (!cli_strmap_get(&j->exact, kv, &dummy))
                cli_strmap_put(&j->exact, kv, (uint32_t)j->nrows);
            loose_key(kv, lk, sizeof(lk));
            if (!cli_strmap_get(&j->loose, lk, &dummy))
                cli_strmap_put(&j->loose, lk, (uint32_t)j->nrows);
        }
        j->nrows++;
    }
    cli_csv_close(&c);
    return 0;
}

static const char *join_cell(const jtable *j, size_t r, size_t col)
{
    return j->text.p + j->cells[r * j->ncols + col];
}

/* ---- plans -------------------------------------------------------------- */

static const char *map_source(const cli_opts *o, const char *field)
{
    for (size_t i = 0; i < o->nmaps; i++)
        if (strcmp(o->maps[i].key, field) == 0)
            return o->maps[i].val;
    return NULL;
}

static int find_col(const plan *p, const char *name)
{
    for (size_t i = 0; i < p->ncols; i++)
        if (strcmp(p->names[i], name) == 0)
            return (int)i;
    return -1;
}

/* Column of a field: --map, its own name, then aliases. */
static int resolve_field(const ingest *g, const plan *p, const char *field,
                         const char *aliases, int *mapped_missing)
{
    const char *src = map_source(g->o, field);
    int c;
    if (src != NULL) {
        c = find_col(p, src);
        if (c >= 0)
            return c;
        *mapped_missing = 1;
    }
    c = find_col(p, field);
    if (c >= 0 || aliases == NULL)
        return c;
    {
        char tmp[256];
        const char *a = aliases;
        while (*a) {
            size_t n = strcspn(a, "|");
            if (n < sizeof(tmp)) {
                memcpy(tmp, a, n);
                tmp[n] = 0;
                c = find_col(p, tmp);
                /* an alias that --map gives to another field is not ours */
                if (c >= 0) {
                    int taken = 0;
                    for (size_t i = 0; i < g->o->nmaps; i++)
                        if (strcmp(g->o->maps[i].val, tmp) == 0)
                            taken = 1;
                    if (!taken)
                        return c;
                }
            }
            a += n;
            if (*a == '|')
                a++;
        }
    }
    return -1;
}

static void plan_free(plan *p)
{
    for (size_t i = 0; i < p->ncols; i++) {
        free(p->names[i]);
        free(p->attr_name[i]);
    }
    free(p->names);
    free(p->attr_name);
    free(p->keycol);
    free(p->role);
    free(p->vjoin);
    free(p->vjcol);
    free(p->dim);
    free(p->vfield);
    free(p->join_row);
}

static int plan_build(ingest *g, plan *p, int kind, cli_csv *c,
                      cli_file_report *fr)
{
    const cli_opts *o = g->o;
    size_t cap;
    memset(p, 0, sizeof(*p));
    p->kind = kind;
    p->nfile = c->nfields;
    cap = p->nfile;
    for (size_t j = 0; j < g->njoins; j++)
        cap += 64;
    p->names = cli_xmalloc(cap * sizeof(char *));
    p->vjoin = cli_xmalloc(cap * sizeof(int));
    p->vjcol = cli_xmalloc(cap * sizeof(int));
    for (size_t i = 0; i < p->nfile; i++) {
        p->names[i] = cli_xstrdup(cli_trim(c->fields[i]));
        lower_in_place(p->names[i]);
        p->vjoin[i] = -1;
        p->vjcol[i] = -1;
    }
    p->ncols = p->nfile;
    p->join_row = cli_xmalloc((g->njoins + 1) * sizeof(int));
    /* joined columns */
    for (size_t j = 0; j < g->njoins; j++) {
        jtable *jt = &g->joins[j];
        if (find_col(p, jt->main_col) < 0 ||
            find_col(p, jt->main_col) >= (int)p->nfile)
            continue;
        if (!jt->loaded)
            join_load(g, jt);
        if (jt->failed)
            continue;
        for (size_t k = 0; k < jt->ncols && p->ncols < cap; k++) {
            if (strcmp(jt->names[k], jt->key_col) == 0 ||
                find_col(p, jt->names[k]) >= 0)
                continue;
            p->names[p->ncols] = cli_xstrdup(jt->names[k]);
            p->vjoin[p->ncols] = (int)j;
            p->vjcol[p->ncols] = (int)k;
            p->ncols++;
        }
    }
    p->role = cli_xmalloc(p->ncols * sizeof(int));
    p->dim = cli_xmalloc(p->ncols * sizeof(int));
    p->attr_name = cli_xmalloc(p->ncols * sizeof(char *));
    p->vfield = cli_xmalloc(p->ncols * sizeof(char *));
    for (size_t i = 0; i < p->ncols; i++) {
        char nm[FNL_MAX_NAME + 1];
        p->role[i] = 0;
        p->dim[i] = -1;
        cli_attr_name(p->names[i], nm);
        p->attr_name[i] = cli_xstrdup(nm);
        p->vfield[i] = p->names[i];
    }
    for (int f = 0; f < F_COUNT; f++)
        p->col[f] = -1;
    for (const int *f = kind_fields[kind]; *f >= 0; f++) {
        int missing = 0;
        p->col[*f] = resolve_field(g, p, field_names[*f], field_aliases[*f],
                                   &missing);
        if (p->col[*f] >= 0) {
            p->role[p->col[*f]] = 1;
            p->vfield[p->col[*f]] = field_names[*f];
        }
    }
    p->keycol = cli_xmalloc((g->nkey_kinds + 1) * sizeof(int));
    if (kind == KIND_TOUCHES || kind == KIND_CONTACTS || kind == KIND_DEALS ||
        kind == KIND_EVENTS) {
        for (size_t k = 0; k < g->nkey_kinds; k++) {
            int missing = 0;
            p->keycol[k] = resolve_field(g, p, g->key_kinds[k], NULL, &missing);
            if (p->keycol[k] >= 0 && p->role[p->keycol[k]] == 0) {
                p->role[p->keycol[k]] = 1;
                p->vfield[p->keycol[k]] = g->key_kinds[k];
            } else {
                p->keycol[k] = -1;
            }
        }
    } else {
        for (size_t k = 0; k < g->nkey_kinds; k++)
            p->keycol[k] = -1;
    }
    /* joined columns keyed on the account column are account attributes */
    for (size_t i = p->nfile; i < p->ncols; i++) {
        const jtable *jt = &g->joins[p->vjoin[i]];
        if (p->role[i] == 0 && p->col[F_ACCOUNT] >= 0 &&
            find_col(p, jt->main_col) == p->col[F_ACCOUNT] &&
            kind != KIND_ACCOUNTS)
            p->role[i] = 2;
        else if (p->role[i] == 0 && kind == KIND_DEALS &&
                 p->col[F_OWNER] >= 0 &&
                 find_col(p, jt->main_col) == p->col[F_OWNER])
            p->role[i] = 3;
    }
    /* required fields */
    {
        const char *need = NULL;
        if (kind == KIND_DEALS && p->col[F_DEAL_ID] < 0)
            need = "deal_id";
        else if (kind == KIND_ACCOUNTS && p->col[F_ACCOUNT] < 0)
            need = "account";
        else if (kind == KIND_COSTS && p->col[F_AMOUNT] < 0)
            need = "amount";
        else if (kind == KIND_COSTS && p->col[F_CHANNEL] < 0 &&
                 p->col[F_CAMPAIGN] < 0)
            need = "channel";
        else if (kind == KIND_COSTS && p->col[F_START] < 0 &&
                 p->col[F_QUARTER] < 0 && p->col[F_MONTH] < 0)
            need = "start";
        else if (kind == KIND_EVENTS && p->col[F_EVENT] < 0)
            need = "event";
        if (need != NULL) {
            const char *src = map_source(o, need);
            fprintf(stderr, "%s:1:1: no '%s' column%s%s%s (columns: ",
                    fr->path, need, src ? " (--map says '" : "",
                    src ? src : "", src ? "')" : "");
            for (size_t i = 0; i < p->nfile; i++)
                fprintf(stderr, "%s%s", i ? ", " : "", p->names[i]);
            fprintf(stderr, "); use --map %s=COLUMN\n", need);
            return -1;
        }
    }
    if (kind == KIND_DEALS) {
        if (g->s->dims == NULL) {
            g->s->dims = cli_xmalloc(sizeof(cli_dims));
            memset(g->s->dims, 0, sizeof(cli_dims));
        }
        for (size_t i = 0; i < p->ncols; i++)
            if (p->role[i] == 0 || p->role[i] == 3)
                p->dim[i] = dims_index(g->s->dims, p->names[i],
                                       p->attr_name[i], p->role[i] == 3);
    }
    if (kind == KIND_TOUCHES || kind == KIND_EVENTS) {
        cli_buf ig = {0};
        for (size_t i = 0; i < p->nfile; i++)
            if (p->role[i] == 0) {
                cli_buf_puts(&ig, ig.len ? ", " : "");
                cli_buf_puts(&ig, p->names[i]);
            }
        if (ig.len)
            cli_session_warn(g->s, "%s: columns ignored (%s have no "
                             "attributes): %s", fr->path, kind_names[kind],
                             ig.p);
        cli_buf_free(&ig);
    }
    return 0;
}

/* ---- row access --------------------------------------------------------- */

/* The value of column `col` of the current row: trimmed, --values mapped,
 * NULL when empty or absent. */
static const char *cell(const ingest *g, const row *r, int col)
{
    const plan *p = r->p;
    const char *v;
    if (col < 0)
        return NULL;
    if ((size_t)col < p->nfile) {
        v = cli_trim(r->csv->fields[col]);
    } else {
        int j = p->vjoin[col];
        if (p->join_row[j] < 0)
            return NULL;
        v = join_cell(&g->joins[j], (size_t)p->join_row[j],
                      (size_t)p->vjcol[col]);
    }
    if (*v == 0)
        return NULL;
    for (size_t i = 0; i < g->o->nvalues; i++) {
        const cli_valmap *m = &g->o->values[i];
        if (strcmp(m->field, p->vfield[col]) == 0 && cli_strieq(m->from, v))
            return m->to;
    }
    return v;
}

/* The raw (unmapped) value, e.g. the original status kept as the stage. */
static const char *raw_cell(const row *r, int col)
{
    const char *v;
    if (col < 0 || (size_t)col >= r->p->nfile)
        return NULL;
    v = cli_trim(r->csv->fields[col]);
    return *v ? v : NULL;
}

static void field_pos(const row *r, int col, uint64_t *line, uint64_t *c)
{
    if (col >= 0 && (size_t)col < r->p->nfile) {
        cli_csv_field_pos(r->csv, (size_t)col, line, c);
    } else {
        *line = r->csv->rec_line;
        *c = 1;
    }
}

static void row_error(ingest *g, const row *r, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void row_error(ingest *g, const row *r, int col, const char *fmt, ...)
{
    char msg[600];
    uint64_t line, c;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    field_pos(r, col, &line, &c);
    report_error(g, r->fr, line, c, msg);
}

static int get_time(ingest *g, const row *r, int col, int64_t *out)
{
    const char *v = cell(g, r, col);
    size_t ec = 0;
    if (v == NULL)
        return 1;
    if (cli_parse_time(v, g->o->date_format, out, &ec) != 0) {
        uint64_t line, c;
        char msg[400];
        field_pos(r, col, &line, &c);
        snprintf(msg, sizeof(msg), "%s: '%.64s' is not a date%s%s%s",
                 r->p->names[col], v, g->o->date_format ? " in the format '" :
                 " (ISO 8601 or epoch ms; see --date-format)",
                 g->o->date_format ? g->o->date_format : "",
                 g->o->date_format ? "'" : "");
        report_error(g, r->fr, line, c, msg);
        return -1;
    }
    return 0;
}

static int get_amount(ingest *g, const row *r, int col, int64_t *out)
{
    const char *v = cell(g, r, col), *why = NULL;
    if (v == NULL) {
        *out = 0;
        return 1;
    }
    if (cli_parse_amount(v, g->o->amount_scale, out, &why) != 0) {
        row_error(g, r, col, "%s: '%.64s': %s", r->p->names[col], v, why);
        return -1;
    }
    return 0;
}

/* Identity keys of the row; returns how many. */
static size_t get_keys(ingest *g, const row *r, fnl_key *keys)
{
    size_t n = 0;
    for (size_t k = 0; k < g->nkey_kinds && n < FNL_MAX_KEYS; k++) {
        const char *v = cell(g, r, r->p->keycol[k]);
        if (v != NULL) {
            keys[n].kind = g->key_kinds[k];
            keys[n].value = v;
            n++;
        }
    }
    return n;
}

/* Attributes from extra columns (role 0 for contacts/accounts/deals, role 2
 * for account and 3 for owner attributes of joined tables).  Plain decimal
 * numbers become numbers unless `as_strings` (deal and owner attributes:
 * reports group by string attributes only). */
static size_t get_attrs(ingest *g, const row *r, int want_role, fnl_attr *a,
                        size_t cap, int as_strings)
{
    const plan *p = r->p;
    size_t n = 0;
    for (size_t i = 0; i < p->ncols && n < cap; i++) {
        const char *v;
        if (p->role[i] != want_role)
            continue;
        v = cell(g, r, (int)i);
        if (v == NULL)
            continue;
        a[n].name = p->attr_name[i];
        a[n].str = v;
        a[n].type = FNL_ATTR_STRING;
        a[n].num = 0;
        {
            /* plain decimal numbers without leading zeros are numbers */
            const char *q = v;
            char *end;
            if (*q == '-')
                q++;
            if (!as_strings && isdigit((unsigned char)*q) &&
                !(q[0] == '0' && isdigit((unsigned char)q[1]))) {
                double d = strtod(v, &end);
                if (*end == 0 && strpbrk(v, "eEnNxX") == NULL) {
                    a[n].type = FNL_ATTR_NUMBER;
                    a[n].num = d;
                    a[n].str = NULL;
                }
            }
        }
        n++;
    }
    return n;
}

/* Fill p->join_row for this record; counts matches. */
static void do_joins(ingest *g, row *r)
{
    plan *p = r->p;
    char lk[512];
    for (size_t j = 0; j < g->njoins; j++) {
        jtable *jt = &g->joins[j];
        int kc = find_col(p, jt->main_col);
        const char *v;
        uint32_t rowi;
        p->join_row[j] = -1;
        if (!jt->loaded || jt->failed || kc < 0 || (size_t)kc >= p->nfile)
            continue;
        v = cell(g, r, kc); /* --values applies before the lookup */
        if (v == NULL)
            continue;
        if (cli_strmap_get(&jt->exact, v, &rowi)) {
            jt->matched++;
        } else {
            loose_key(v, lk, sizeof(lk));
            if (cli_strmap_get(&jt->loose, lk, &rowi)) {
                jt->matched++;
                if (jt->loose_hits++ == 0) {
                    snprintf(jt->loose_example[0], 128, "%s", v);
                    snprintf(jt->loose_example[1], 128, "%s",
                             join_cell(jt, rowi, (size_t)jt->key_idx));
                }
            } else {
                if (jt->unmatched++ == 0)
                    snprintf(jt->unmatched_example, 128, "%s", v);
                continue;
            }
        }
        p->join_row[j] = (int)rowi;
    }
}

/* Joined account attributes, once per account. */
static int account_attrs(ingest *g, const row *r)
{
    fnl_attr attrs[64];
    fnl_account_update u = FNL_ACCOUNT_UPDATE_INIT;
    const char *acct = cell(g, r, r->p->col[F_ACCOUNT]);
    uint32_t dummy;
    size_t n;
    int rc;
    if (acct == NULL || cli_strmap_get(&g->accounts_done, acct, &dummy))
        return 0;
    n = get_attrs(g, r, 2, attrs, 64, 0);
    if (n == 0)
        return 0;
    cli_strmap_put(&g->accounts_done, acct, 1);
    u.id = acct;
    u.attrs = attrs;
    u.attr_count = n;
    rc = fnl_account_upsert(g->s->engine, &u, NULL);
    if (rc != FNL_OK) {
        cli_session_warn(g->s, "account '%s': joined attributes refused: %s",
                         acct, fnl_errmsg(g->s->engine));
        return -1;
    }
    return 0;
}

/* Joined owner attributes (manager, office), once per owner. */
static int owner_attrs(ingest *g, const row *r, const char *owner)
{
    fnl_attr attrs[64];
    fnl_owner_update u = FNL_OWNER_UPDATE_INIT;
    uint32_t dummy;
    size_t n;
    int rc;
    if (owner == NULL || cli_strmap_get(&g->owners_done, owner, &dummy))
        return 0;
    n = get_attrs(g, r, 3, attrs, 64, 1);
    if (n == 0)
        return 0;
    u.name = owner;
    u.attrs = attrs;
    u.attr_count = n;
    rc = fnl_owner_upsert(g->s->engine, &u);
    if (rc != FNL_OK) {
        /* the groupings by them would be wrong: a row error (exit 1) */
        char msg[300];
        snprintf(msg, sizeof(msg), "%s", fnl_errmsg(g->s->engine));
        row_error(g, r, -1, "owner '%s': joined attributes refused: %s",
                  owner, msg);
        return -1;
    }
    cli_strmap_put(&g->owners_done, owner, 1);
    return 0;
}

/* ---- host events (--events) ----------------------------------------------
 *
 * A stage machine reads the rows in the order they arrive, so a host event
 * (sales_accept on Jan 11) must reach it before the touches that follow it
 * (a visit on Feb 15), not after the whole touches file.  Events files are
 * therefore read first and held, sorted by time (file order among equal
 * times); each is sent (fnl_contact_event) when the import reaches a touch
 * or a deal (by its created date) with a later time, and the rest after
 * the last file.  An event whose contact does not exist yet at its turn is
 * sent after the import, and counted in the file's notes. */

static void event_row(ingest *g, row *r)
{
    const plan *p = r->p;
    events *ev = &g->ev;
    fnl_key keys[FNL_MAX_KEYS];
    const char *name = cell(g, r, p->col[F_EVENT]);
    size_t nk;
    pevent *e;
    int64_t t = FNL_TIME_NOW;
    int rc;
    if ((rc = get_time(g, r, p->col[F_TIME], &t)) < 0)
        return;
    if (name == NULL) {
        row_error(g, r, p->col[F_EVENT], "empty event");
        return;
    }
    nk = get_keys(g, r, keys);
    if (nk == 0) {
        row_error(g, r, -1, "no identity key (columns: %s, ...)",
                  g->key_kinds[0]);
        return;
    }
    if (ev->n == ev->cap) {
        ev->cap = ev->cap ? ev->cap * 2 : 256;
        ev->v = cli_xrealloc(ev->v, ev->cap * sizeof(pevent));
    }
    e = &ev->v[ev->n];
    memset(e, 0, sizeof(*e));
    e->time = rc == 1 ? FNL_TIME_NOW : t;
    e->key = rc == 1 ? INT64_MAX : t;
    e->seq = ev->n;
    e->file = (size_t)(r->fr - g->s->files);
    for (size_t k = 0; k < g->nkey_kinds; k++)
        if (cell(g, r, p->keycol[k]) != NULL) {
            field_pos(r, p->keycol[k], &e->kline, &e->kcol);
            break;
        }
    field_pos(r, p->col[F_EVENT], &e->eline, &e->ecol);
    e->event = ev->text.len + 1;
    cli_buf_add(&ev->text, name, strlen(name) + 1);
    {
        const char *why = cell(g, r, p->col[F_REASON]);
        if (why != NULL) {
            e->reason = ev->text.len + 1;
            cli_buf_add(&ev->text, why, strlen(why) + 1);
        }
    }
    if (ev->nk + nk > ev->kcap) {
        ev->kcap = (ev->kcap + nk) * 2;
        ev->kinds = cli_xrealloc(ev->kinds, ev->kcap * sizeof(char *));
        ev->vals = cli_xrealloc(ev->vals, ev->kcap * sizeof(size_t));
    }
    e->key0 = ev->nk;
    e->nkeys = nk;
    for (size_t k = 0; k < nk; k++) {
        ev->kinds[ev->nk] = keys[k].kind;
        ev->vals[ev->nk] = ev->text.len;
        cli_buf_add(&ev->text, keys[k].value, strlen(keys[k].value) + 1);
        ev->nk++;
    }
    ev->n++;
}

static int cmp_event(const void *x, const void *y)
{
    const pevent *a = x, *b = y;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Send held event i.  last: the import is over (a missing contact is an
 * error, not a reason to wait). */
static void event_send(ingest *g, size_t i, int last)
{
    events *ev = &g->ev;
    const pevent *e = &ev->v[i];
    cli_file_report *fr = &g->s->files[e->file];
    fnl_engine *eng = g->s->engine;
    fnl_contact_id id = 0;
    size_t k;
    char msg[600];
    for (k = 0; k < e->nkeys; k++)
        if (fnl_contact_find(eng, ev->kinds[e->key0 + k],
                             ev->text.p + ev->vals[e->key0 + k],
                             &id) == FNL_OK)
            break;
    if (k == e->nkeys) {
        if (!last) {
            ev->late = cli_xrealloc(ev->late,
                                    (ev->nlate + 1) * sizeof(size_t));
            ev->late[ev->nlate++] = i;
            return;
        }
        snprintf(msg, sizeof(msg), "no contact with %s '%.200s'",
                 ev->kinds[e->key0], ev->text.p + ev->vals[e->key0]);
        report_error(g, fr, e->kline, e->kcol, msg);
        return;
    }
    if (fnl_contact_event(eng, id, ev->text.p + e->event - 1,
                          e->reason ? ev->text.p + e->reason - 1 : NULL,
                          e->time) != FNL_OK) {
        snprintf(msg, sizeof(msg), "%s", fnl_errmsg(eng));
        report_error(g, fr, e->eline, e->ecol, msg);
        return;
    }
    fr->imported++;
    if (last)
        fr->notes[0]++;
}

/* Send the held events timed before t. */
static void events_until(ingest *g, int64_t t)
{
    events *ev = &g->ev;
    while (ev->next < ev->n && ev->v[ev->next].key < t && !g->s->stopped)
        event_send(g, ev->next++, 0);
}

/* After the last file: the rest, then those that waited for a contact. */
static void events_finish(ingest *g)
{
    events *ev = &g->ev;
    while (ev->next < ev->n && !g->s->stopped)
        event_send(g, ev->next++, 0);
    for (size_t i = 0; i < ev->nlate && !g->s->stopped; i++)
        event_send(g, ev->late[i], 1);
}

static void events_free(events *ev)
{
    free(ev->v);
    free(ev->late);
    free(ev->kinds);
    free(ev->vals);
    cli_buf_free(&ev->text);
}

/* ---- first seen ----------------------------------------------------------
 *
 * A contacts row without a time would create its contact at --now, and the
 * stage machine would then see all its touches at --now too (a trigger
 * timed before the current stage's entry counts from the entry).  So, when
 * a machine runs, such a row takes the time its contact was first seen in
 * the touches files (the earliest touch naming one of its keys), else the
 * earliest touch of all; the touches files are read once more, lazily, for
 * the first such row.  E-mail keys are matched ignoring ASCII case, other
 * keys exactly. */

static void seen_key(const char *kind, const char *value, cli_buf *b)
{
    cli_buf_reset(b);
    cli_buf_puts(b, kind);
    cli_buf_putc(b, '\x1f');
    cli_buf_puts(b, value);
    if (strcmp(kind, "email") == 0)
        for (size_t i = strlen(kind) + 1; i < b->len; i++)
            b->p[i] = (char)tolower((unsigned char)b->p[i]);
}

static void seen_scan_file(ingest *g, const cli_input *in, cli_buf *kb)
{
    seen *f = &g->first;
    cli_file_report fr;
    size_t nwarn = g->s->nwarnings;
    cli_csv c;
    plan p;
    row r;
    int rc;
    memset(&fr, 0, sizeof(fr));
    fr.kind = KIND_TOUCHES;
    fr.path = (char *)in->path;
    if (cli_csv_open(&c, in->path) != 0)
        return; /* the import itself reports it */
    if (cli_csv_next(&c) != 1 ||
        plan_build(g, &p, KIND_TOUCHES, &c, &fr) != 0) {
        cli_csv_close(&c);
        return;
    }
    /* the import itself warns about the header */
    while (g->s->nwarnings > nwarn)
        free(g->s->warnings[--g->s->nwarnings]);
    for (size_t j = 0; j < g->njoins; j++)
        p.join_row[j] = -1;
    r.csv = &c;
    r.p = &p;
    r.fr = &fr;
    while ((rc = cli_csv_next(&c)) != 0) {
        fnl_key keys[FNL_MAX_KEYS];
        const char *v;
        int64_t t;
        size_t nk;
        if (rc < 0 || c.nfields != p.nfile)
            continue;
        v = cell(g, &r, p.col[F_TIME]);
        if (v == NULL || cli_parse_time(v, g->o->date_format, &t, NULL) != 0)
            continue;
        if (t < f->min)
            f->min = t;
        nk = get_keys(g, &r, keys);
        for (size_t k = 0; k < nk; k++) {
            uint32_t at;
            seen_key(keys[k].kind, keys[k].value, kb);
            if (cli_strmap_get(&f->map, kb->p, &at)) {
                if (t < f->t[at])
                    f->t[at] = t;
                continue;
            }
            if (f->n == f->cap) {
                f->cap = f->cap ? f->cap * 2 : 1024;
                f->t = cli_xrealloc(f->t, f->cap * sizeof(int64_t));
            }
            f->t[f->n] = t;
            cli_strmap_put(&f->map, kb->p, (uint32_t)f->n++);
        }
    }
    plan_free(&p);
    cli_csv_close(&c);
}

/* The time for a contacts row without one: FNL_TIME_NOW when no machine
 * runs or no touch is known. */
static int64_t first_seen(ingest *g, const fnl_key *keys, size_t nk)
{
    seen *f = &g->first;
    cli_buf kb = {0};
    int64_t best = INT64_MAX;
    if (g->s->machine == NULL)
        return FNL_TIME_NOW;
    if (!f->done) {
        f->done = 1;
        f->min = INT64_MAX;
        /* (standard input cannot be read twice) */
        for (size_t i = 0; i < g->o->ninputs; i++)
            if (g->o->inputs[i].kind == KIND_TOUCHES &&
                strcmp(g->o->inputs[i].path, "-") != 0)
                seen_scan_file(g, &g->o->inputs[i], &kb);
    }
    for (size_t k = 0; k < nk; k++) {
        uint32_t at;
        seen_key(keys[k].kind, keys[k].value, &kb);
        if (cli_strmap_get(&f->map, kb.p, &at) && f->t[at] < best)
            best = f->t[at];
    }
    cli_buf_free(&kb);
    if (best == INT64_MAX)
        best = f->min;
    return best == INT64_MAX ? FNL_TIME_NOW : best;
}

static void seen_free(seen *f)
{
    cli_strmap_free(&f->map);
    free(f->t);
}

/* ---- touches: batched --------------------------------------------------- */

enum { TS_TYPE, TS_CHANNEL, TS_CAMPAIGN, TS_CONTENT, TS_URL, TS_REFERRER,
       TS_US, TS_UM, TS_UC, TS_UT, TS_UCO, TS_ACCOUNT, TS_BY, TS_N };

static const int ts_field[TS_N] = {
    F_TYPE, F_CHANNEL, F_CAMPAIGN, F_CONTENT, F_URL, F_REFERRER, F_UTM_SOURCE,
    F_UTM_MEDIUM, F_UTM_CAMPAIGN, F_UTM_TERM, F_UTM_CONTENT, F_ACCOUNT, F_BY};

typedef struct staged {
    int64_t time, value;
    uint64_t line;
    size_t str[TS_N];   /* offset + 1 into text; 0 = NULL */
    size_t key0, nkeys; /* into kinds/kvals */
} staged;

typedef struct batch {
    staged *rows;
    size_t n;
    cli_buf text;
    const char **kinds;
    size_t *kvals;
    size_t nk, kcap;
    fnl_touch *touches;
    fnl_key *keys;
} batch;

static size_t stash(batch *b, const char *s)
{
    size_t off;
    if (s == NULL)
        return 0;
    off = b->text.len;
    cli_buf_add(&b->text, s, strlen(s) + 1);
    return off + 1;
}

static void batch_flush(ingest *g, batch *b, cli_file_report *fr)
{
    size_t i, k;
    int rc;
    if (b->n == 0)
        return;
    for (k = 0; k < b->nk; k++) {
        b->keys[k].kind = b->kinds[k];
        b->keys[k].value = b->text.p + b->kvals[k];
    }
    for (i = 0; i < b->n; i++) {
        const staged *st = &b->rows[i];
        fnl_touch *t = &b->touches[i];
        const char **f[TS_N] = {
            &t->type, &t->channel, &t->campaign, &t->content, &t->url,
            &t->referrer, &t->utm_source, &t->utm_medium, &t->utm_campaign,
            &t->utm_term, &t->utm_content, &t->account, &t->by};
        fnl_touch_init(t, sizeof(*t));
        t->time = st->time;
        t->value = st->value;
        t->keys = b->keys + st->key0;
        t->key_count = st->nkeys;
        for (int s = 0; s < TS_N; s++)
            *f[s] = st->str[s] ? b->text.p + st->str[s] - 1 : NULL;
    }
    rc = fnl_touch_add_batch(g->s->engine, b->touches, b->n, NULL);
    if (rc == FNL_OK) {
        fr->imported += b->n;
    } else {
        /* find the bad rows one by one */
        for (i = 0; i < b->n && !g->s->stopped; i++) {
            rc = fnl_touch_add(g->s->engine, &b->touches[i], NULL);
            if (rc == FNL_OK) {
                fr->imported++;
            } else {
                char msg[600];
                snprintf(msg, sizeof(msg), "%s", fnl_errmsg(g->s->engine));
                report_error(g, fr, b->rows[i].line, 1, msg);
            }
        }
    }
    b->n = 0;
    b->nk = 0;
    cli_buf_reset(&b->text);
}

/* Host events timed before a touch at t go in before it (and after the
 * touches staged so far). */
static void events_before_touch(ingest *g, row *r, batch *b, int64_t t)
{
    if (g->ev.next < g->ev.n && g->ev.v[g->ev.next].key < t) {
        batch_flush(g, b, r->fr);
        events_until(g, t);
    }
}

static void touch_row(ingest *g, row *r, batch *b)
{
    staged *st = &b->rows[b->n];
    fnl_key keys[FNL_MAX_KEYS];
    size_t nk;
    int64_t t = FNL_TIME_NOW;
    int rc;
    if ((rc = get_time(g, r, r->p->col[F_TIME], &t)) < 0)
        return;
    if (rc == 1) {
        row_error(g, r, -1, "no time (column 'time' is empty or missing)");
        return;
    }
    st->value = 0;
    if (get_amount(g, r, r->p->col[F_VALUE], &st->value) < 0)
        return;
    nk = get_keys(g, r, keys);
    if (nk == 0) {
        r->fr->notes[0]++;
        row_error(g, r, -1, "no identity key (columns: %s, ...)",
                  g->key_kinds[0]);
        return;
    }
    if (g->ev.next < g->ev.n) {
        int64_t value = st->value;
        events_before_touch(g, r, b, t);
        st = &b->rows[b->n];
        st->value = value;
    }
    st->time = t;
    st->line = r->csv->rec_line;
    for (int s = 0; s < TS_N; s++)
        st->str[s] = stash(b, cell(g, r, r->p->col[ts_field[s]]));
    if (b->nk + nk > b->kcap) {
        b->kcap = (b->kcap + nk) * 2;
        b->kinds = cli_xrealloc(b->kinds, b->kcap * sizeof(char *));
        b->kvals = cli_xrealloc(b->kvals, b->kcap * sizeof(size_t));
        b->keys = cli_xrealloc(b->keys, b->kcap * sizeof(fnl_key));
    }
    st->key0 = b->nk;
    st->nkeys = nk;
    for (size_t k = 0; k < nk; k++) {
        b->kinds[b->nk] = keys[k].kind;
        b->kvals[b->nk] = stash(b, keys[k].value) - 1;
        b->nk++;
    }
    b->n++;
    if (b->n == TOUCH_BATCH)
        batch_flush(g, b, r->fr);
}

/* ---- contacts, deals, costs, accounts: one call per row ----------------- */

static uint32_t parse_role(const char *v, int *unknown)
{
    char nm[FNL_MAX_NAME + 1];
    uint32_t role = FNL_ROLE_NONE;
    *unknown = 0;
    if (v == NULL)
        return FNL_ROLE_NONE;
    cli_attr_name(v, nm);
    for (char *q = nm; *q; q++)
        if (*q == '-' || *q == '.')
            *q = '_';
    if (fnl_role_parse(nm, &role) != FNL_OK) {
        *unknown = 1;
        return FNL_ROLE_OTHER;
    }
    return role;
}

static void lib_error(ingest *g, const row *r)
{
    char msg[600];
    snprintf(msg, sizeof(msg), "%s", fnl_errmsg(g->s->engine));
    row_error(g, r, -1, "%s", msg);
}

static void contact_row(ingest *g, row *r)
{
    fnl_contact_update u = FNL_CONTACT_UPDATE_INIT;
    fnl_key keys[FNL_MAX_KEYS];
    fnl_attr attrs[FNL_MAX_ATTRS];
    const char *tags[FNL_MAX_ATTRS];
    char *tagbuf = NULL;
    size_t ntags = 0;
    int unknown, rc;
    int64_t t;
    u.key_count = get_keys(g, r, keys);
    u.keys = keys;
    if (u.key_count == 0) {
        row_error(g, r, -1, "no identity key (columns: %s, ...)",
                  g->key_kinds[0]);
        return;
    }
    if ((rc = get_time(g, r, r->p->col[F_TIME], &t)) < 0)
        return;
    if (rc == 0)
        u.time = t;
    else
        u.time = first_seen(g, keys, u.key_count);
    u.attrs = attrs;
    u.attr_count = get_attrs(g, r, 0, attrs, FNL_MAX_ATTRS, 0);
    u.account = cell(g, r, r->p->col[F_ACCOUNT]);
    u.owner = cell(g, r, r->p->col[F_OWNER]);
    u.source = cell(g, r, r->p->col[F_SOURCE]);
    if (r->p->col[F_ROLE] >= 0) {
        const char *rv = cell(g, r, r->p->col[F_ROLE]);
        if (rv != NULL) {
            u.role = parse_role(rv, &unknown);
            r->fr->notes[0] += (uint64_t)unknown;
        }
    }
    {
        const char *tv = cell(g, r, r->p->col[F_TAGS]);
        if (tv != NULL) {
            char *save = NULL, *tok;
            tagbuf = cli_xstrdup(tv);
            for (tok = strtok_r(tagbuf, ";|", &save);
                 tok && ntags < FNL_MAX_ATTRS; tok = strtok_r(NULL, ";|", &save)) {
                tok = cli_trim(tok);
                if (*tok)
                    tags[ntags++] = tok;
            }
            u.tags_add = tags;
            u.tags_add_count = ntags;
        }
    }
    if (fnl_contact_upsert(g->s->engine, &u, NULL) != FNL_OK)
        lib_error(g, r);
    else {
        r->fr->imported++;
        if (u.account)
            account_attrs(g, r);
    }
    free(tagbuf);
}

static int parse_status(const char *v, uint32_t *out)
{
    char nm[64];
    size_t o = 0;
    for (; *v && o + 1 < sizeof(nm); v++)
        if (isalpha((unsigned char)*v))
            nm[o++] = (char)tolower((unsigned char)*v);
    nm[o] = 0;
    if (strcmp(nm, "open") == 0 || strcmp(nm, "") == 0)
        *out = FNL_DEAL_OPEN;
    else if (strcmp(nm, "won") == 0 || strcmp(nm, "closedwon") == 0)
        *out = FNL_DEAL_WON;
    else if (strcmp(nm, "lost") == 0 || strcmp(nm, "closedlost") == 0)
        *out = FNL_DEAL_LOST;
    else
        return -1;
    return 0;
}

static void deal_row(ingest *g, row *r)
{
    const plan *p = r->p;
    fnl_deal_update u = FNL_DEAL_UPDATE_INIT;
    fnl_attr attrs[FNL_MAX_ATTRS];
    fnl_deal_contact dc;
    int64_t created = 0, closed = 0;
    int rc_c, rc_x, unknown, rc;
    const char *st;
    u.id = cell(g, r, p->col[F_DEAL_ID]);
    if (u.id == NULL) {
        row_error(g, r, p->col[F_DEAL_ID], "empty deal id");
        return;
    }
    if ((rc_c = get_time(g, r, p->col[F_CREATED], &created)) < 0 ||
        (rc_x = get_time(g, r, p->col[F_CLOSED], &closed)) < 0)
        return;
    if (get_amount(g, r, p->col[F_AMOUNT], &u.amount) < 0)
        return;
    st = cell(g, r, p->col[F_STATUS]);
    if (st != NULL && parse_status(st, &u.status) != 0) {
        row_error(g, r, p->col[F_STATUS],
                  "status '%.64s' is not open, won or lost (map it: --values "
                  "status:%.64s=open)", st, st);
        return;
    }
    if (u.status != FNL_DEAL_OPEN && rc_x == 1) {
        row_error(g, r, p->col[F_CLOSED], "a %s deal needs a close date",
                  u.status == FNL_DEAL_WON ? "won" : "lost");
        return;
    }
    if (rc_c == 1) {
        if (rc_x == 0) {
            created = closed;
            r->fr->notes[0]++;
        } else {
            created = FNL_TIME_NOW;
            r->fr->notes[1]++;
        }
    }
    u.created = created;
    u.closed = rc_x == 0 ? closed : 0;
    if (rc_x == 1)
        r->fr->notes[4]++;
    u.account = cell(g, r, p->col[F_ACCOUNT]);
    if (u.account == NULL)
        r->fr->notes[2]++;
    u.currency = cell(g, r, p->col[F_CURRENCY]);
    if (u.currency == NULL)
        u.currency = g->o->currency;
    u.owner = cell(g, r, p->col[F_OWNER]);
    u.stage = cell(g, r, p->col[F_STAGE]);
    if (u.stage == NULL) /* the status as the export spelt it */
        u.stage = raw_cell(r, p->col[F_STATUS]);
    {
        fnl_key keys[FNL_MAX_KEYS];
        const char *cv = cell(g, r, p->col[F_CONTACT]);
        size_t nk = get_keys(g, r, keys);
        memset(&dc, 0, sizeof(dc));
        if (cv != NULL) {
            dc.key.kind = strchr(cv, '@') ? "email" : "crm_id";
            dc.key.value = cv;
        } else if (nk > 0) {
            dc.key = keys[0];
        }
        if (dc.key.value != NULL) {
            dc.role = parse_role(cell(g, r, p->col[F_ROLE]), &unknown);
            r->fr->notes[3] += (uint64_t)unknown;
            u.contacts = &dc;
            u.contact_count = 1;
        }
    }
    /* the kept columns, as string attributes of the deal */
    u.attrs = attrs;
    u.attr_count = get_attrs(g, r, 0, attrs, FNL_MAX_ATTRS, 1);
    if (u.created != FNL_TIME_NOW)
        events_until(g, u.created);
    rc = fnl_deal_upsert(g->s->engine, &u, NULL);
    if (rc != FNL_OK) {
        if (u.attr_count > 0 && (rc == FNL_EINVAL || rc == FNL_ELIMIT)) {
            /* attributes the library refuses (a name or value it cannot
             * take) do not cost the deal: it goes in without them */
            char msg[300];
            snprintf(msg, sizeof(msg), "%s", fnl_errmsg(g->s->engine));
            u.attrs = NULL;
            u.attr_count = 0;
            rc = fnl_deal_upsert(g->s->engine, &u, NULL);
            if (rc == FNL_OK)
                cli_session_warn(g->s, "deal '%s': its extra columns were "
                                 "refused as attributes: %s", u.id, msg);
        }
        if (rc != FNL_OK) {
            lib_error(g, r);
            return;
        }
    }
    r->fr->imported++;
    if (u.account)
        account_attrs(g, r);
    if (u.owner)
        owner_attrs(g, r, u.owner);
}

/* "2025-Q1", "Q1 2025", "2025Q1" -> [start, end). */
static int parse_quarter(const char *v, int64_t *start, int64_t *end)
{
    int y = 0, q = 0;
    char c1;
    if (sscanf(v, "%d-Q%d", &y, &q) == 2 || sscanf(v, "%dQ%d", &y, &q) == 2 ||
        sscanf(v, "%d-q%d", &y, &q) == 2 ||
        (sscanf(v, "%c%d %d", &c1, &q, &y) == 3 && (c1 == 'Q' || c1 == 'q'))) {
        if (y < 1970 || y > 9998 || q < 1 || q > 4)
            return -1;
        *start = cli_days_from_civil(y, (unsigned)(q - 1) * 3 + 1, 1) *
                 86400000;
        *end = q == 4 ? cli_days_from_civil(y + 1, 1, 1) * 86400000
                      : cli_days_from_civil(y, (unsigned)q * 3 + 1, 1) *
                            86400000;
        return 0;
    }
    return -1;
}

static int parse_month(const char *v, int64_t *start, int64_t *end)
{
    int y, m;
    if (sscanf(v, "%d-%d", &y, &m) != 2 || y < 1970 || y > 9998 || m < 1 ||
        m > 12)
        return -1;
    *start = cli_days_from_civil(y, (unsigned)m, 1) * 86400000;
    *end = m == 12 ? cli_days_from_civil(y + 1, 1, 1) * 86400000
                   : cli_days_from_civil(y, (unsigned)m + 1, 1) * 86400000;
    return 0;
}

static void cost_row(ingest *g, row *r)
{
    const plan *p = r->p;
    fnl_cost c = FNL_COST_INIT;
    int rs, re;
    const char *qv = cell(g, r, p->col[F_QUARTER]);
    const char *mv = cell(g, r, p->col[F_MONTH]);
    c.channel = cell(g, r, p->col[F_CHANNEL]);
    c.campaign = cell(g, r, p->col[F_CAMPAIGN]);
    c.region = cell(g, r, p->col[F_REGION]);
    c.currency = cell(g, r, p->col[F_CURRENCY]);
    if (c.currency == NULL)
        c.currency = g->o->currency;
    if ((rs = get_time(g, r, p->col[F_START], &c.start)) < 0 ||
        (re = get_time(g, r, p->col[F_END], &c.end)) < 0)
        return;
    if (rs == 1 && qv != NULL) {
        if (parse_quarter(qv, &c.start, &c.end) != 0) {
            row_error(g, r, p->col[F_QUARTER],
                      "quarter '%.32s' is not like 2025-Q1", qv);
            return;
        }
    } else if (rs == 1 && mv != NULL) {
        if (parse_month(mv, &c.start, &c.end) != 0) {
            row_error(g, r, p->col[F_MONTH],
                      "month '%.32s' is not like 2025-03", mv);
            return;
        }
    } else if (rs == 1 || re == 1) {
        row_error(g, r, rs == 1 ? p->col[F_START] : p->col[F_END],
                  "a cost needs start and end (or quarter, or month)");
        return;
    }
    if (get_amount(g, r, p->col[F_AMOUNT], &c.amount) < 0)
        return;
    if (fnl_cost_add(g->s->engine, &c, NULL) != FNL_OK)
        lib_error(g, r);
    else
        r->fr->imported++;
}

static void account_row(ingest *g, row *r)
{
    const plan *p = r->p;
    fnl_account_update u = FNL_ACCOUNT_UPDATE_INIT;
    fnl_attr attrs[FNL_MAX_ATTRS];
    const char *doms[16];
    char *dbuf = NULL;
    size_t nd = 0;
    u.id = cell(g, r, p->col[F_ACCOUNT]);
    if (u.id == NULL) {
        row_error(g, r, p->col[F_ACCOUNT], "empty account id");
        return;
    }
    {
        const char *dv = cell(g, r, p->col[F_DOMAIN]);
        if (dv != NULL) {
            char *save = NULL, *tok;
            dbuf = cli_xstrdup(dv);
            for (tok = strtok_r(dbuf, ";, |", &save); tok && nd < 16;
                 tok = strtok_r(NULL, ";, |", &save)) {
                char *q = strstr(tok, "://");
                if (q)
                    tok = q + 3;
                if (strncasecmp(tok, "www.", 4) == 0)
                    tok += 4;
                tok[strcspn(tok, "/?#")] = 0;
                if (*tok)
                    doms[nd++] = tok;
            }
        }
    }
    u.domains = doms;
    u.domain_count = nd;
    u.owner = cell(g, r, p->col[F_OWNER]);
    u.source = cell(g, r, p->col[F_SOURCE]);
    u.attrs = attrs;
    u.attr_count = get_attrs(g, r, 0, attrs, FNL_MAX_ATTRS, 0);
    if (fnl_account_upsert(g->s->engine, &u, NULL) != FNL_OK)
        lib_error(g, r);
    else
        r->fr->imported++;
    free(dbuf);
}

/* ---- files -------------------------------------------------------------- */

static void import_file(ingest *g, const cli_input *in)
{
    cli_session *s = g->s;
    cli_file_report *fr;
    cli_csv c;
    plan p;
    batch b;
    row r;
    int rc;
    char label[64];

    s->files = cli_xrealloc(s->files, (s->nfiles + 1) * sizeof(*s->files));
    fr = &s->files[s->nfiles++];
    memset(fr, 0, sizeof(*fr));
    fr->kind = in->kind;
    fr->path = cli_xstrdup(in->path);
    if (cli_csv_open(&c, in->path) != 0) {
        cli_err("%s", c.err);
        s->errors++;
        fr->skipped = 0;
        if (g->o->strict)
            s->stopped = 1;
        return;
    }
    rc = cli_csv_next(&c);
    if (rc != 1) {
        if (rc < 0)
            fprintf(stderr, "%s:%llu:%llu: %s\n", fr->path,
                    (unsigned long long)c.err_line,
                    (unsigned long long)c.err_col, c.err);
        else
            fprintf(stderr, "%s:1:1: empty file: a header row is needed\n",
                    fr->path);
        s->errors++;
        if (g->o->strict)
            s->stopped = 1;
        cli_csv_close(&c);
        return;
    }
    if (plan_build(g, &p, in->kind, &c, fr) != 0) {
        s->errors++;
        s->stopped = 1; /* a file we cannot read at all stops the run */
        plan_free(&p);
        cli_csv_close(&c);
        return;
    }
    memset(&b, 0, sizeof(b));
    if (in->kind == KIND_TOUCHES) {
        b.rows = cli_xmalloc(TOUCH_BATCH * sizeof(staged));
        b.touches = cli_xmalloc(TOUCH_BATCH * sizeof(fnl_touch));
    }
    r.csv = &c;
    r.p = &p;
    r.fr = fr;
    snprintf(label, sizeof(label), "import %s", kind_names[in->kind]);
    cli_progress_begin(label, c.size);
    while (!s->stopped) {
        rc = cli_csv_next(&c);
        if (rc == 0) {
            /* a SIGINT during a blocking read ends it like end of file */
            if (cli_canceled())
                s->canceled = 1;
            break;
        }
        fr->rows++;
        if ((fr->rows & 1023) == 0) {
            cli_progress_update(c.bytes);
            if (cli_canceled()) {
                s->canceled = 1;
                break;
            }
        }
        if (rc < 0) {
            report_error(g, fr, c.err_line, c.err_col, c.err);
            continue;
        }
        if (c.nfields == 1 && c.lens[0] == 0) {
            fr->rows--; /* a blank line */
            continue;
        }
        if (c.nfields != p.nfile) {
            uint64_t line, col;
            char msg[120];
            cli_csv_field_pos(&c, c.nfields < p.nfile ? c.nfields : p.nfile,
                              &line, &col);
            snprintf(msg, sizeof(msg), "expected %zu fields, got %zu",
                     p.nfile, c.nfields);
            report_error(g, fr, line, col, msg);
            continue;
        }
        do_joins(g, &r);
        switch (in->kind) {
        case KIND_TOUCHES: touch_row(g, &r, &b); break;
        case KIND_CONTACTS: contact_row(g, &r); break;
        case KIND_DEALS: deal_row(g, &r); break;
        case KIND_COSTS: cost_row(g, &r); break;
        case KIND_ACCOUNTS: account_row(g, &r); break;
        case KIND_EVENTS: event_row(g, &r); break;
        }
    }
    if (in->kind == KIND_TOUCHES && !s->canceled)
        batch_flush(g, &b, fr);
    cli_progress_end();
    free(b.rows);
    free(b.touches);
    free(b.kinds);
    free(b.kvals);
    free(b.keys);
    cli_buf_free(&b.text);
    plan_free(&p);
    cli_csv_close(&c);
}

int cli_import_all(cli_session *s)
{
    ingest g;
    const cli_opts *o = s->o;
    size_t nk = 0;
    memset(&g, 0, sizeof(g));
    g.s = s;
    g.o = o;
    g.key_kinds = cli_xmalloc((8 + o->nkey_columns) * sizeof(char *));
    for (const char *const *k = default_key_kinds; *k; k++)
        g.key_kinds[nk++] = *k;
    for (size_t i = 0; i < o->nkey_columns; i++)
        g.key_kinds[nk++] = o->key_columns[i];
    g.nkey_kinds = nk;
    g.njoins = o->njoins;
    g.joins = cli_xmalloc((g.njoins + 1) * sizeof(jtable));
    memset(g.joins, 0, (g.njoins + 1) * sizeof(jtable));
    for (size_t j = 0; j < g.njoins; j++) {
        g.joins[j].path = o->joins[j].path;
        g.joins[j].key_col = o->joins[j].join_col;
        g.joins[j].main_col = o->joins[j].main_col;
    }
    /* accounts first, then contacts, touches, deals, costs: accounts given
     * explicitly exist before e-mail domains would create them; events are
     * read first and sent in time order along the way (see above) */
    static const int order[KIND_COUNT] = {KIND_EVENTS, KIND_ACCOUNTS,
                                          KIND_CONTACTS, KIND_TOUCHES,
                                          KIND_DEALS, KIND_COSTS};
    for (int k = 0; k < KIND_COUNT; k++) {
        for (size_t i = 0; i < o->ninputs && !s->stopped && !s->canceled; i++)
            if (o->inputs[i].kind == order[k])
                import_file(&g, &o->inputs[i]);
        if (order[k] == KIND_EVENTS && g.ev.n > 1)
            qsort(g.ev.v, g.ev.n, sizeof(pevent), cmp_event);
    }
    if (!s->stopped && !s->canceled)
        events_finish(&g);
    for (size_t j = 0; j < g.njoins; j++) {
        jtable *jt = &g.joins[j];
        if (jt->loaded && !jt->failed) {
            if (jt->loose_hits)
                cli_session_warn(s, "--join %s: %llu rows matched loosely "
                                 "(e.g. '%s' ~ '%s'); spell them alike with "
                                 "--values %s:%s=%s",
                                 jt->path, (unsigned long long)jt->loose_hits,
                                 jt->loose_example[0], jt->loose_example[1],
                                 o->joins[j].main_col, jt->loose_example[0],
                                 jt->loose_example[1]);
            if (jt->unmatched)
                cli_session_warn(s, "--join %s: %llu rows found no match "
                                 "(e.g. '%s')", jt->path,
                                 (unsigned long long)jt->unmatched,
                                 jt->unmatched_example);
        } else if (!jt->loaded) {
            cli_session_warn(s, "--join %s: no input file has a column '%s'",
                             jt->path, o->joins[j].main_col);
        }
        for (size_t i = 0; i < jt->ncols; i++)
            free(jt->names[i]);
        free(jt->names);
        free(jt->cells);
        cli_buf_free(&jt->text);
        cli_strmap_free(&jt->exact);
        cli_strmap_free(&jt->loose);
    }
    free(g.joins);
    free(g.key_kinds);
    cli_strmap_free(&g.accounts_done);
    cli_strmap_free(&g.owners_done);
    events_free(&g.ev);
    seen_free(&g.first);
    if (s->canceled)
        return CLI_EXIT_CANCEL;
    /* the stage clock to --now: timers due by then fire */
    if (!s->stopped && cli_stages_tick(s) != CLI_EXIT_OK)
        return CLI_EXIT_DATA;
    return s->errors ? CLI_EXIT_DATA : CLI_EXIT_OK;
}

void cli_import_summary(const cli_session *s, FILE *out)
{
    for (size_t i = 0; i < s->nfiles; i++) {
        const cli_file_report *fr = &s->files[i];
        char a[32], b[32], c[32];
        cli_fmt_count(fr->rows, a);
        cli_fmt_count(fr->imported, b);
        cli_fmt_count(fr->skipped, c);
        fprintf(out, "%s (%s): %s rows, %s imported, %s skipped\n", fr->path,
                kind_names[fr->kind], a, b, c);
        for (int k = 0; k < 8; k++)
            if (fr->notes[k] && note_labels[fr->kind][k])
                fprintf(out, "  %llu %s\n", (unsigned long long)fr->notes[k],
                        note_labels[fr->kind][k]);
    }
    for (size_t i = 0; i < s->nwarnings; i++)
        fprintf(out, "warning: %s\n", s->warnings[i]);
    if (s->canceled)
        fprintf(out, "interrupted: the import stopped early\n");
    else if (s->stopped && s->o->strict)
        fprintf(out, "--strict: stopped at the first bad row\n");
}

static void note_key(const char *label, char *out, size_t cap)
{
    /* "without an account" -> "without_an_account" */
    size_t o = 0;
    for (; *label && o + 1 < cap; label++) {
        unsigned char c = (unsigned char)*label;
        if (isalnum(c))
            out[o++] = (char)c;
        else if (c == ':')
            break;
        else if (o > 0 && out[o - 1] != '_')
            out[o++] = '_';
    }
    while (o > 0 && out[o - 1] == '_')
        o--;
    out[o] = 0;
}

void cli_import_json(const cli_session *s, cli_buf *b)
{
    static const char *const note_keys[KIND_COUNT][8] = {
        [KIND_TOUCHES] = {"no_identity_key"},
        [KIND_DEALS] = {"created_from_close_date", "created_from_now",
                        "no_account", "unknown_role", "open_without_close"},
        [KIND_CONTACTS] = {"unknown_role"},
        [KIND_EVENTS] = {"sent_late"},
    };
    cli_buf_putc(b, '[');
    for (size_t i = 0; i < s->nfiles; i++) {
        const cli_file_report *fr = &s->files[i];
        cli_buf_puts(b, i ? ",\n    {" : "\n    {");
        cli_buf_puts(b, "\"file\": ");
        cli_buf_json_str(b, fr->path);
        cli_buf_puts(b, ", \"kind\": ");
        cli_buf_json_str(b, kind_names[fr->kind]);
        cli_buf_printf(b, ", \"rows\": %llu, \"imported\": %llu, "
                       "\"skipped\": %llu, \"notes\": {",
                       (unsigned long long)fr->rows,
                       (unsigned long long)fr->imported,
                       (unsigned long long)fr->skipped);
        int first = 1;
        for (int k = 0; k < 8; k++) {
            char key[64];
            if (!note_labels[fr->kind][k])
                continue;
            if (note_keys[fr->kind][k])
                snprintf(key, sizeof(key), "%s", note_keys[fr->kind][k]);
            else
                note_key(note_labels[fr->kind][k], key, sizeof(key));
            cli_buf_puts(b, first ? "" : ", ");
            first = 0;
            cli_buf_json_str(b, key);
            cli_buf_printf(b, ": %llu", (unsigned long long)fr->notes[k]);
        }
        cli_buf_puts(b, "}}");
    }
    cli_buf_puts(b, s->nfiles ? "\n  ]" : "]");
}
