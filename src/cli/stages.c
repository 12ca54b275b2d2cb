/*
 * stages.c -- the lifecycle stage machine in the tool.
 *
 * The machine (--stages FILE, text format of docs/stages.md, or the
 * library's built-in waterfall, fnl_machine_default) is parsed before the
 * store is opened, and attached to the engine after the scoring model its
 * guards read and before the import: contacts then enter and leave their
 * stages at the times of their rows, not at the time of the run.  After
 * the import the clock is ticked to --now, so the idle and stay
 * transitions and SLA deadlines due by then have fired (ingest.c calls
 * cli_stages_tick at the end of cli_import_all).
 *
 * With --store, a machine the store holds already is kept: attaching again
 * would restart every contact at --now and drop its history.  The tool's
 * own parsed copy then only names the stages; a contact whose current
 * stage the stored machine names otherwise is counted in
 * s->stage_mismatches, and the report says so.  The rules of a contact's
 * history are named after the attached machine itself
 * (fnl_engine_machine; "rule names" below).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MACHINE_FILE_MAX (16u << 20)

static int has_events(const cli_opts *o)
{
    for (size_t i = 0; i < o->ninputs; i++)
        if (o->inputs[i].kind == KIND_EVENTS)
            return 1;
    return 0;
}

int cli_stages_wanted(const cli_opts *o)
{
    if (o->no_stages)
        return 0;
    if (o->stages != NULL || has_events(o))
        return 1;
    if (o->cmd == NULL)
        return 0;
    return strcmp(o->cmd, "show") == 0 || strcmp(o->cmd, "report") == 0 ||
           (strcmp(o->cmd, "import") == 0 && o->store != NULL);
}

int cli_stages_load(cli_session *s)
{
    const cli_opts *o = s->o;
    fnl_parse_error pe = FNL_PARSE_ERROR_INIT;
    char *text;
    size_t len = 0;
    int rc;
    if (!cli_stages_wanted(o))
        return CLI_EXIT_OK;
    if (o->stages == NULL) {
        rc = fnl_machine_default(&s->machine, cli_allocator());
        if (rc != FNL_OK) {
            s->machine = NULL;
            cli_err("the built-in stage machine: %s", fnl_strerror(rc));
            return CLI_EXIT_DATA;
        }
        s->machine_source = cli_xstrdup("built-in");
        return CLI_EXIT_OK;
    }
    text = cli_read_file(o->stages, MACHINE_FILE_MAX, &len);
    if (text == NULL) {
        cli_err("--stages %s: cannot read the stage machine (a file of at "
                "most 16 MiB)", o->stages);
        return CLI_EXIT_USAGE;
    }
    rc = fnl_machine_parse(&s->machine, text, len, cli_allocator(), &pe);
    free(text);
    if (rc != FNL_OK) {
        s->machine = NULL;
        fprintf(stderr, "%s:%u:%u: %s\n", o->stages, (unsigned)pe.line,
                (unsigned)pe.column,
                pe.message[0] ? pe.message : fnl_strerror(rc));
        return rc == FNL_ENOMEM ? CLI_EXIT_DATA : CLI_EXIT_USAGE;
    }
    s->machine_source = cli_xstrdup(o->stages);
    return CLI_EXIT_OK;
}

/* Every live contact has a stage while a machine is attached, so the first
 * one tells (an empty store cannot tell, and gets the machine). */
static int engine_has_machine(const fnl_engine *e)
{
    fnl_contact_id c;
    fnl_stage_status st = FNL_STAGE_STATUS_INIT;
    if (fnl_contact_next(e, 0, &c) != FNL_OK)
        return 0;
    return fnl_contact_stage(e, c, &st) == FNL_OK;
}

static int status_of(cli_session *s, fnl_contact_id id,
                     fnl_stage_status *st);

int cli_stages_attach(cli_session *s)
{
    int rc;
    if (s->machine == NULL)
        return CLI_EXIT_OK;
    if (cli_session_persists(s) && engine_has_machine(s->engine)) {
        fnl_contact_id c;
        fnl_stage_status st;
        s->machine_stored = 1;
        /* a first check that it is ours (the reports check every contact
         * and count them afresh) */
        if (fnl_contact_next(s->engine, 0, &c) == FNL_OK &&
            status_of(s, c, &st) && s->stage_mismatches)
            cli_session_warn(s, "--store %s holds another stage machine "
                             "than %s (it is kept): pass the --stages file "
                             "the store was imported with", s->o->store,
                             s->machine_source);
        s->stage_mismatches = 0;
        return CLI_EXIT_OK;
    }
    rc = fnl_engine_attach_machine(s->engine, s->machine);
    if (rc != FNL_OK) {
        cli_err("stage machine %s: %s", s->machine_source,
                fnl_errmsg(s->engine));
        return CLI_EXIT_DATA;
    }
    return CLI_EXIT_OK;
}

int cli_stages_tick(cli_session *s)
{
    int rc;
    if (s->machine == NULL)
        return CLI_EXIT_OK;
    rc = fnl_engine_tick(s->engine, FNL_TIME_NOW);
    if (rc != FNL_OK) {
        cli_err("stage machine: the clock could not advance to --now: %s",
                fnl_errmsg(s->engine));
        return CLI_EXIT_DATA;
    }
    return CLI_EXIT_OK;
}

/* ---- names -------------------------------------------------------------- */

const char *cli_stage_record_name(uint32_t kind)
{
    switch (kind) {
    case FNL_STAGE_REC_TRANSITION: return "transition";
    case FNL_STAGE_REC_PASSED: return "passed";
    case FNL_STAGE_REC_ASSIGN: return "assign";
    case FNL_STAGE_REC_BREACH: return "breach";
    default: return "other";
    }
}

const char *cli_stage_cause_name(uint32_t cause)
{
    switch (cause) {
    case FNL_STAGE_CAUSE_START: return "start";
    case FNL_STAGE_CAUSE_TOUCH: return "touch";
    case FNL_STAGE_CAUSE_PROFILE: return "profile";
    case FNL_STAGE_CAUSE_SCORE: return "score";
    case FNL_STAGE_CAUSE_EVENT: return "event";
    case FNL_STAGE_CAUSE_TIMER: return "timer";
    case FNL_STAGE_CAUSE_RECHECK: return "recheck";
    case FNL_STAGE_CAUSE_SLA: return "sla";
    case FNL_STAGE_CAUSE_MERGE: return "merge";
    default: return "other";
    }
}

/* Stage indices in report order: funnel stages by rank, then side stages in
 * definition order.  Returns how many. */
static uint32_t stage_order(const fnl_machine *m, uint32_t *order,
                            uint32_t *rank)
{
    uint32_t n = fnl_machine_stage_count(m), k = 0;
    if (n > FNL_MACHINE_MAX_STAGES)
        n = FNL_MACHINE_MAX_STAGES;
    for (uint32_t i = 0; i < n; i++) {
        fnl_stage_info si = FNL_STAGE_INFO_INIT;
        rank[i] = fnl_machine_stage_info(m, i, &si) == FNL_OK ? si.rank : 0;
    }
    /* funnel ranks are 1.. in definition order, so index order is rank
     * order */
    for (uint32_t i = 0; i < n; i++)
        if (rank[i] > 0)
            order[k++] = i;
    for (uint32_t i = 0; i < n; i++)
        if (rank[i] == 0)
            order[k++] = i;
    return k;
}

/* ---- one contact -------------------------------------------------------- */

/* The contact's status; 0 when it has none (no machine).  A stage the
 * stored machine names otherwise than ours is counted. */
static int status_of(cli_session *s, fnl_contact_id id, fnl_stage_status *st)
{
    const fnl_stage_status init = FNL_STAGE_STATUS_INIT;
    const char *mine;
    *st = init;
    if (s->machine == NULL || fnl_contact_stage(s->engine, id, st) != FNL_OK)
        return 0;
    mine = fnl_machine_stage_name(s->machine, st->stage);
    if (mine == NULL || st->name == NULL || strcmp(mine, st->name) != 0)
        s->stage_mismatches++;
    return 1;
}

const char *cli_stage_of(cli_session *s, fnl_contact_id id)
{
    fnl_stage_status st;
    return status_of(s, id, &st) ? st.name : NULL;
}

fnl_stage_record *cli_stage_history(cli_session *s, fnl_contact_id id,
                                    size_t *n)
{
    fnl_stage_record *v;
    size_t cap = 0;
    *n = 0;
    if (s->machine == NULL)
        return NULL;
    int rc = fnl_contact_stage_history(s->engine, id, NULL, 0, &cap);
    if (rc != FNL_OK && rc != FNL_ERANGE)
        return NULL;
    v = cli_xmalloc((cap + 1) * sizeof(*v));
    if (fnl_contact_stage_history(s->engine, id, v, cap, n) != FNL_OK) {
        free(v);
        *n = 0;
        return NULL;
    }
    return v;
}

/* ---- rule names ----------------------------------------------------------
 *
 * A history record names its rule by index: a transition (transition and
 * passed records), a route (assign) or an SLA (breach), each kind counted
 * on its own from 0 in definition order, which is the order of the
 * machine's canonical text (docs/stages.md, "Canonical text and round
 * trips").  The library has no reader per rule, so a rule is named by its
 * statement in that text ("transition lead -> engaged on touch ...",
 * "sla engaged accept within 2d"), read from the machine attached to the
 * engine (fnl_engine_machine): with --store that is the stored machine,
 * whose indices the records hold, whatever --stages says.  An assignment
 * without a rule is the fallback queue's. */

enum { RULE_TRANSITION, RULE_ROUTE, RULE_SLA, RULE_KINDS };

typedef struct rule_names {
    char *text;            /* the canonical text, one NUL per statement */
    const char **at[RULE_KINDS]; /* statements by kind, in text order */
    size_t n[RULE_KINDS];
    const char *fallback;  /* the `fallback queue` statement, or NULL */
} rule_names;

static int rule_kind(const char *st)
{
    if (strncmp(st, "transition ", 11) == 0)
        return RULE_TRANSITION;
    if (strncmp(st, "route ", 6) == 0)
        return RULE_ROUTE;
    if (strncmp(st, "sla ", 4) == 0)
        return RULE_SLA;
    return -1;
}

/* Cut text[0..len) into statements at the line ends outside quoted
 * strings (a quoted owner name may hold any byte but an unescaped
 * quote). */
static void split_statements(char *text, size_t len)
{
    int quoted = 0;
    for (size_t i = 0; i < len; i++) {
        if (quoted && text[i] == '\\' && i + 1 < len)
            i++;
        else if (text[i] == '"')
            quoted = !quoted;
        else if (!quoted && text[i] == '\n')
            text[i] = '\0';
    }
}

/* Empty (every rule unnamed) when no machine is attached. */
static void rules_load(cli_session *s, rule_names *r)
{
    const fnl_machine *m = NULL;
    size_t len = 0, k[RULE_KINDS] = {0, 0, 0};
    char *p, *end;
    memset(r, 0, sizeof(*r));
    if (fnl_engine_machine(s->engine, &m) != FNL_OK ||
        fnl_machine_to_text(m, NULL, 0, &len) != FNL_ERANGE)
        return;
    r->text = cli_xmalloc(len + 1);
    if (fnl_machine_to_text(m, r->text, len + 1, &len) != FNL_OK) {
        free(r->text);
        r->text = NULL;
        return;
    }
    split_statements(r->text, len);
    end = r->text + len;
    for (p = r->text; p < end; p += strlen(p) + 1) {
        int kind = rule_kind(p);
        if (kind >= 0)
            r->n[kind]++;
        else if (strncmp(p, "fallback ", 9) == 0)
            r->fallback = p;
    }
    for (int i = 0; i < RULE_KINDS; i++)
        r->at[i] = cli_xmalloc((r->n[i] + 1) * sizeof(char *));
    for (p = r->text; p < end; p += strlen(p) + 1) {
        int kind = rule_kind(p);
        if (kind >= 0)
            r->at[kind][k[kind]++] = p;
    }
}

static void rules_free(rule_names *r)
{
    for (int i = 0; i < RULE_KINDS; i++)
        free(r->at[i]);
    free(r->text);
}

/* The statement of the record's rule (borrowed from r), or NULL: none
 * (the start, a merge, a move by an SLA's breach action). */
static const char *rule_text(const rule_names *r, const fnl_stage_record *h)
{
    int kind;
    switch (h->kind) {
    case FNL_STAGE_REC_TRANSITION:
    case FNL_STAGE_REC_PASSED: kind = RULE_TRANSITION; break;
    case FNL_STAGE_REC_ASSIGN:
        if (h->rule == UINT32_MAX)
            return r->fallback;
        kind = RULE_ROUTE;
        break;
    case FNL_STAGE_REC_BREACH: kind = RULE_SLA; break;
    default: return NULL;
    }
    return h->rule < r->n[kind] ? r->at[kind][h->rule] : NULL;
}

/* The names of the stages reached, in report order. */
static void reached_names(const fnl_machine *m, uint64_t reached, cli_buf *b,
                          int json)
{
    uint32_t order[FNL_MACHINE_MAX_STAGES], rank[FNL_MACHINE_MAX_STAGES];
    uint32_t n = stage_order(m, order, rank);
    int first = 1;
    cli_buf_reset(b);
    if (json)
        cli_buf_putc(b, '[');
    for (uint32_t k = 0; k < n; k++) {
        if (!(reached >> order[k] & 1))
            continue;
        cli_buf_puts(b, first ? "" : ", ");
        first = 0;
        if (json)
            cli_buf_json_str(b, fnl_machine_stage_name(m, order[k]));
        else
            cli_buf_puts(b, fnl_machine_stage_name(m, order[k]));
    }
    if (json)
        cli_buf_putc(b, ']');
    else if (first)
        cli_buf_puts(b, "-");
}

static void json_str_or_null(cli_buf *b, const char *s)
{
    if (s != NULL)
        cli_buf_json_str(b, s);
    else
        cli_buf_puts(b, "null");
}

void cli_stage_contact_json(cli_session *s, fnl_contact_id id, cli_buf *b)
{
    fnl_stage_status st;
    fnl_stage_info si = FNL_STAGE_INFO_INIT;
    fnl_stage_record *h;
    size_t n = 0;
    cli_buf names = {0};
    rule_names rules;
    char t[32];
    if (!status_of(s, id, &st)) {
        cli_buf_puts(b, "null");
        return;
    }
    fnl_machine_stage_info(s->machine, st.stage, &si);
    cli_buf_puts(b, "{\"machine\": ");
    cli_buf_json_str(b, fnl_machine_name(s->machine));
    cli_buf_puts(b, ", \"source\": ");
    cli_buf_json_str(b, s->machine_source);
    cli_buf_puts(b, ",\n   \"name\": ");
    json_str_or_null(b, st.name);
    cli_fmt_time(st.entered, t);
    cli_buf_printf(b, ", \"rank\": %u, \"entered\": ", (unsigned)si.rank);
    cli_buf_json_str(b, t);
    cli_buf_printf(b, ", \"entered_ms\": %lld, \"owner\": ",
                   (long long)st.entered);
    json_str_or_null(b, st.owner);
    cli_buf_puts(b, ", \"reached\": ");
    reached_names(s->machine, st.reached, &names, 1);
    cli_buf_puts(b, names.p);
    cli_buf_printf(b, ", \"unsubscribed\": %s,\n   \"history\": [",
                   st.unsubscribed ? "true" : "false");
    h = cli_stage_history(s, id, &n);
    rules_load(s, &rules);
    for (size_t i = 0; i < n; i++) {
        cli_fmt_time(h[i].time, t);
        cli_buf_puts(b, i ? ",\n    {\"time\": " : "\n    {\"time\": ");
        cli_buf_json_str(b, t);
        cli_buf_printf(b, ", \"time_ms\": %lld, \"record\": \"%s\", "
                       "\"cause\": \"%s\", \"from\": ", (long long)h[i].time,
                       cli_stage_record_name(h[i].kind),
                       cli_stage_cause_name(h[i].cause));
        json_str_or_null(b, h[i].from);
        cli_buf_puts(b, ", \"to\": ");
        json_str_or_null(b, h[i].to);
        cli_buf_printf(b, ", \"back\": %s, \"rule\": ",
                       h[i].back ? "true" : "false");
        if (h[i].rule == UINT32_MAX)
            cli_buf_puts(b, "null");
        else
            cli_buf_printf(b, "%u", (unsigned)h[i].rule);
        cli_buf_puts(b, ", \"rule_text\": ");
        json_str_or_null(b, rule_text(&rules, &h[i]));
        cli_buf_puts(b, ", \"owner\": ");
        json_str_or_null(b, h[i].owner);
        cli_buf_puts(b, ", \"prev_owner\": ");
        json_str_or_null(b, h[i].prev_owner);
        cli_buf_puts(b, ", \"reason\": ");
        json_str_or_null(b, h[i].reason);
        cli_buf_putc(b, '}');
    }
    cli_buf_puts(b, "]}");
    free(h);
    rules_free(&rules);
    cli_buf_free(&names);
}

cli_table *cli_stage_contact_table(cli_session *s, fnl_contact_id id)
{
    static const char *const kn[] = {"field", "value"};
    fnl_stage_status st;
    cli_table *t;
    cli_cell *r;
    cli_buf b = {0};
    char title[200], tm[32];
    if (!status_of(s, id, &st))
        return NULL;
    snprintf(title, sizeof(title), "Stage (machine %s, %s)",
             fnl_machine_name(s->machine), s->machine_source);
    t = cli_table_new("stage", title, 2, kn, NULL);
    r = cli_table_row(t);
    cli_cell_str(&r[0], "stage");
    cli_cell_str(&r[1], st.name ? st.name : "-");
    r = cli_table_row(t);
    cli_cell_str(&r[0], "entered");
    cli_fmt_time(st.entered, tm);
    cli_cell_str(&r[1], tm);
    r = cli_table_row(t);
    cli_cell_str(&r[0], "owner");
    cli_cell_str(&r[1], st.owner && *st.owner ? st.owner : "-");
    r = cli_table_row(t);
    cli_cell_str(&r[0], "reached");
    reached_names(s->machine, st.reached, &b, 0);
    cli_cell_str(&r[1], b.p);
    r = cli_table_row(t);
    cli_cell_str(&r[0], "unsubscribed");
    cli_cell_str(&r[1], st.unsubscribed ? "yes" : "no");
    cli_buf_free(&b);
    return t;
}

cli_table *cli_stage_history_table(cli_session *s, fnl_contact_id id)
{
    static const char *const hn[] = {"time", "record", "cause", "from",
                                     "to", "owner", "reason", "rule"};
    fnl_stage_record *h;
    size_t n = 0;
    rule_names rules;
    cli_table *t;
    if (s->machine == NULL)
        return NULL;
    h = cli_stage_history(s, id, &n);
    if (h == NULL)
        return NULL;
    rules_load(s, &rules);
    t = cli_table_new("stage_history", "Stage history", 8, hn, NULL);
    for (size_t i = 0; i < n; i++) {
        cli_cell *r = cli_table_row(t);
        char tm[32];
        cli_fmt_time(h[i].time, tm);
        cli_cell_str(&r[0], tm);
        cli_cell_str(&r[1], h[i].back && h[i].kind == FNL_STAGE_REC_TRANSITION
                                ? "transition (back)"
                                : cli_stage_record_name(h[i].kind));
        cli_cell_str(&r[2], cli_stage_cause_name(h[i].cause));
        cli_cell_str(&r[3], h[i].from ? h[i].from : "-");
        cli_cell_str(&r[4], h[i].to ? h[i].to : "-");
        cli_cell_str(&r[5], h[i].owner ? h[i].owner : "-");
        cli_cell_str(&r[6], h[i].reason ? h[i].reason : "-");
        cli_cell_str(&r[7], rule_text(&rules, &h[i]));
    }
    free(h);
    rules_free(&rules);
    return t;
}

/* ---- all contacts: the report's "stages" section ------------------------
 *
 * The counts, conversions and velocities are the library's stage funnel
 * (fnl_report_stage_funnel, cumulative view, one group, as of the engine
 * clock: --now); only "contacts now" is counted here, over every live
 * contact, which also checks that the stored machine names its stages as
 * ours does (s->stage_mismatches). */

/* The report's row for stage `name`, or SIZE_MAX. */
static size_t funnel_row(const fnl_report *r, size_t stage_col,
                         const char *name)
{
    size_t n = fnl_report_row_count(r);
    for (size_t i = 0; i < n; i++) {
        fnl_report_value v = FNL_REPORT_VALUE_INIT;
        if (fnl_report_value_get(r, i, stage_col, &v) == FNL_OK &&
            v.type == FNL_VALUE_STRING && v.str && name &&
            strcmp(v.str, name) == 0)
            return i;
    }
    return SIZE_MAX;
}

cli_table *cli_stage_table(cli_session *s, int *failed)
{
    static const char *const nm[] = {
        "stage", "rank", "current", "reached", "to_stage", "conversion",
        "velocity_median_days", "velocity_p90_days"};
    static const char *const tt[] = {
        "stage", "rank", "contacts now", "reached", "next", "to next",
        "median days", "p90 days"};
    static const char *const from_report[] = {
        "reached", "to_stage", "conversion", "velocity_median_days",
        "velocity_p90_days"};
    fnl_stage_funnel_request req = FNL_STAGE_FUNNEL_REQUEST_INIT;
    uint64_t cur[FNL_MACHINE_MAX_STAGES];
    uint32_t order[FNL_MACHINE_MAX_STAGES], rank[FNL_MACHINE_MAX_STAGES];
    uint32_t n;
    fnl_contact_id c = 0;
    uint64_t seen = 0;
    fnl_report *rep = NULL;
    size_t stage_col;
    cli_table *t;
    char title[200];
    int rc;
    *failed = 0;
    if (s->machine == NULL)
        return NULL;
    memset(cur, 0, sizeof(cur));
    n = stage_order(s->machine, order, rank);
    while (fnl_contact_next(s->engine, c, &c) == FNL_OK) {
        fnl_stage_status st;
        if ((++seen & 4095) == 0 && cli_canceled())
            return NULL;
        if (!status_of(s, c, &st))
            continue;
        if (st.stage < FNL_MACHINE_MAX_STAGES)
            cur[st.stage]++;
    }
    req.allocator = cli_allocator();
    rc = fnl_report_stage_funnel(s->engine, &req, &rep);
    if (rc != FNL_OK) {
        const char *m = fnl_errmsg(s->engine);
        cli_err("stages: the stage funnel report: %s",
                m && *m ? m : fnl_strerror(rc));
        *failed = 1;
        return NULL;
    }
    if (fnl_report_column_find(rep, "stage", &stage_col) != FNL_OK) {
        fnl_report_free(rep);
        cli_err("stages: the stage funnel report has no stage column");
        *failed = 1;
        return NULL;
    }
    snprintf(title, sizeof(title), "Lifecycle stages (machine %s)",
             fnl_machine_name(s->machine));
    t = cli_table_new("stages", title, 8, nm, tt);
    for (uint32_t k = 0; k < n; k++) {
        uint32_t i = order[k];
        const char *name = fnl_machine_stage_name(s->machine, i);
        size_t row = funnel_row(rep, stage_col, name);
        cli_cell *r = cli_table_row(t);
        cli_cell_str(&r[0], name);
        cli_cell_int(&r[1], rank[i]);
        cli_cell_int(&r[2], (int64_t)cur[i]);
        if (row == SIZE_MAX)
            continue; /* a stage the stored machine lacks: left empty */
        for (size_t j = 0; j < 5; j++)
            cli_report_cell(rep, row, from_report[j], &r[3 + j]);
    }
    fnl_report_free(rep);
    cli_table_note(t, "contacts now: in the stage at --now; reached: of "
                      "the contacts that entered the funnel, those that "
                      "entered or passed through the stage by --now "
                      "(cumulative: later funnel stages never count "
                      "more); to next: the share of them that then "
                      "entered the next funnel stage; median / p90 days: "
                      "from first entering the stage to entering the next "
                      "(contacts that passed through it, taking no time, "
                      "left out); rank 0: side stages, outside the funnel "
                      "order");
    return t;
}
