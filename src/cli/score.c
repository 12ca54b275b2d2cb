/*
 * score.c -- lead scoring in the tool: the scoring model (--model FILE, or
 * the built-in default below) attached to the engine after the import
 * (fnl_engine_attach_model), the `score` subcommand (top contacts, A1..D4
 * cells), and the score and its explanation in `show contact`.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* The built-in model: docs/cli.md prints it, and a test checks that the
 * two agree.  Fit reads contact attributes (title) and identity keys
 * (email, phone); engagement the touch types of the sample data. */
const char cli_default_model[] =
    "# funnelcore's built-in scoring model (docs/cli.md)\n"
    "model \"funnelcore-default\" version 1\n"
    "decay half_life 90d\n"
    "fit email exists +5\n"
    "fit email freemail -10\n"
    "fit phone exists +5\n"
    "fit title in (ceo, cfo, cto, cio, coo, cmo) +20\n"
    "fit title contains \"chief\" +20\n"
    "fit title contains \"head\" +15\n"
    "fit title contains \"director\" +15\n"
    "fit title contains \"vp\" +15\n"
    "fit title contains \"manager\" +10\n"
    "fit title contains \"lead\" +5\n"
    "engage type = pricing_view +5 cap 25 per_window 3 in 7d\n"
    "engage type in (webinar_attend, event_visit, meeting) +10 cap 30\n"
    "engage type in (content_download, webinar_register, form_submit) +5 "
    "cap 20\n"
    "engage type = email_click +2 cap 10\n"
    "engage type = visit +1 cap 10\n"
    "engage type = unsubscribe -25\n"
    "key_event pricing_x3 when type = pricing_view count 3 within 7d +15\n"
    "key_event trial when type = trial_request +25\n"
    "grade A fit >= 25\n"
    "grade B fit >= 15\n"
    "grade C fit >= 5\n"
    "band 1 engagement >= 50\n"
    "band 2 engagement >= 25\n"
    "band 3 engagement >= 10\n"
    "threshold mql when score >= 40 and grade >= C\n"
    "threshold sql_ready when key_event trial and grade >= B\n"
    "account rollup top 3\n";

#define MODEL_FILE_MAX (16u << 20)

/* The attached model of this session. */
static const fnl_model *attached(const cli_session *s)
{
    const fnl_model *m = NULL;
    for (size_t i = 0; s->model_name &&
                       fnl_engine_model(s->engine, i, &m) == FNL_OK; i++)
        if (strcmp(fnl_model_name(m), s->model_name) == 0)
            return m;
    return NULL;
}

int cli_scoring_attach(cli_session *s)
{
    const char *path = s->o->scoring_model;
    const char *src = path ? path : "built-in";
    char *text;
    size_t len = 0;
    fnl_model *m = NULL;
    const fnl_model *have = NULL;
    fnl_parse_error pe = FNL_PARSE_ERROR_INIT;
    int rc, same = 0;
    if (s->model_name)
        return CLI_EXIT_OK;
    if (path) {
        text = cli_read_file(path, MODEL_FILE_MAX, &len);
        if (text == NULL) {
            cli_err("--model %s: cannot read the scoring model (a file of "
                    "at most 16 MiB)", path);
            return CLI_EXIT_DATA;
        }
    } else {
        text = (char *)cli_default_model;
        len = strlen(cli_default_model);
    }
    rc = fnl_model_parse(&m, text, len, cli_allocator(), &pe);
    if (path)
        free(text);
    if (rc != FNL_OK) {
        fprintf(stderr, "%s:%u:%u: %s\n", src, (unsigned)pe.line,
                (unsigned)pe.column,
                pe.message[0] ? pe.message : fnl_strerror(rc));
        return CLI_EXIT_DATA;
    }
    /* a --store may hold it already: attaching again would journal it */
    for (size_t i = 0; fnl_engine_model(s->engine, i, &have) == FNL_OK; i++) {
        fnl_model_info a = FNL_MODEL_INFO_INIT, b = FNL_MODEL_INFO_INIT;
        fnl_model_get_info(have, &a);
        fnl_model_get_info(m, &b);
        if (strcmp(a.name, b.name) == 0 && a.fingerprint == b.fingerprint)
            same = 1;
    }
    rc = same ? FNL_OK : fnl_engine_attach_model(s->engine, m, NULL);
    if (rc != FNL_OK) {
        cli_err("scoring model %s: %s: %s", src, fnl_strerror(rc),
                fnl_errmsg(s->engine));
        fnl_model_free(m);
        return CLI_EXIT_DATA;
    }
    s->model_name = cli_xstrdup(fnl_model_name(m));
    s->model_source = cli_xstrdup(src);
    fnl_model_free(m);
    return CLI_EXIT_OK;
}

/* ---- one contact's label ------------------------------------------------ */

/* The contact's e-mail, else its first identity key value. */
static void contact_label(const fnl_engine *e, fnl_contact_id id, cli_buf *b)
{
    fnl_key keys[16], *k = keys;
    size_t n = 0, best = 0;
    int rc = fnl_contact_keys(e, id, k, 16, &n);
    if (rc == FNL_ERANGE) {
        k = cli_xmalloc(n * sizeof(*k));
        rc = fnl_contact_keys(e, id, k, n, &n);
    }
    cli_buf_reset(b);
    if (rc == FNL_OK && n > 0) {
        for (size_t i = 0; i < n; i++)
            if (strcmp(k[i].kind, "email") == 0) {
                best = i;
                break;
            }
        cli_buf_puts(b, k[best].value);
    } else {
        cli_buf_printf(b, "#%llu", (unsigned long long)id);
    }
    if (k != keys)
        free(k);
}

static void names_of(const fnl_model *m, uint64_t mask, int thresholds,
                     cli_buf *b, int json)
{
    int first = 1;
    cli_buf_reset(b);
    if (json)
        cli_buf_putc(b, '[');
    for (uint32_t i = 0; i < 64; i++) {
        const char *name;
        if (!(mask >> i & 1))
            continue;
        name = thresholds ? fnl_model_threshold_name(m, i)
                          : fnl_model_key_event_name(m, i);
        if (name == NULL)
            continue;
        cli_buf_puts(b, first ? "" : json ? ", " : ";");
        first = 0;
        if (json)
            cli_buf_json_str(b, name);
        else
            cli_buf_puts(b, name);
    }
    if (json)
        cli_buf_putc(b, ']');
}

/* ---- top contacts and cells --------------------------------------------- */

typedef struct scored {
    fnl_contact_id id;
    fnl_score_result r;
} scored;

static int cmp_scored(const void *x, const void *y)
{
    const scored *a = x, *b = y;
    if (a->r.total != b->r.total)
        return a->r.total > b->r.total ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* Every live contact's score (sorted best first). */
static scored *score_all(cli_session *s, size_t *count)
{
    scored *v = NULL;
    size_t n = 0, cap = 0;
    fnl_contact_id c = 0;
    while (fnl_contact_next(s->engine, c, &c) == FNL_OK) {
        fnl_score_result r = FNL_SCORE_RESULT_INIT;
        if ((n & 4095) == 0 && cli_canceled())
            break;
        if (fnl_contact_score(s->engine, c, s->model_name, FNL_TIME_NOW, &r) !=
            FNL_OK)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            v = cli_xrealloc(v, cap * sizeof(*v));
        }
        v[n].id = c;
        v[n].r = r;
        n++;
    }
    if (n)
        qsort(v, n, sizeof(*v), cmp_scored);
    *count = n;
    return v;
}

cli_table *cli_score_top(cli_session *s, size_t top)
{
    static const char *const nm[] = {"contact", "account", "role", "fit",
                                     "engagement", "score", "grade", "cell",
                                     "key_events", "thresholds", "stage"};
    static const char *const tt[] = {"contact", "account", "role", "fit",
                                     "engagement", "score", "grade", "cell",
                                     "key events", "thresholds", "stage"};
    const fnl_model *m = attached(s);
    size_t n = 0;
    scored *v;
    cli_table *t;
    cli_buf b = {0};
    char title[200];
    if (m == NULL)
        return NULL;
    v = score_all(s, &n);
    snprintf(title, sizeof(title), "Top contacts by score (model %s)",
             s->model_name);
    /* the lifecycle stage, when a stage machine runs, as the last column */
    t = cli_table_new("top_contacts", title, s->machine ? 11 : 10, nm, tt);
    for (size_t i = 0; i < n && i < top; i++) {
        cli_cell *r = cli_table_row(t);
        fnl_contact_info ci = FNL_CONTACT_INFO_INIT;
        contact_label(s->engine, v[i].id, &b);
        cli_cell_str(&r[0], b.p);
        if (fnl_contact_get(s->engine, v[i].id, &ci) == FNL_OK) {
            fnl_account_info ai = FNL_ACCOUNT_INFO_INIT;
            if (ci.account && fnl_account_get(s->engine, ci.account, &ai) ==
                                  FNL_OK)
                cli_cell_str(&r[1], ai.name);
            if (fnl_role_name(ci.role))
                cli_cell_str(&r[2], fnl_role_name(ci.role));
        }
        cli_cell_num(&r[3], v[i].r.fit);
        cli_cell_num(&r[4], v[i].r.engagement);
        cli_cell_num(&r[5], v[i].r.total);
        cli_cell_str(&r[6], v[i].r.grade);
        cli_cell_str(&r[7], v[i].r.cell);
        names_of(m, v[i].r.key_events, 0, &b, 0);
        cli_cell_str(&r[8], b.p ? b.p : "");
        names_of(m, v[i].r.thresholds, 1, &b, 0);
        cli_cell_str(&r[9], b.p ? b.p : "");
        if (s->machine)
            cli_cell_str(&r[10], cli_stage_of(s, v[i].id));
    }
    cli_table_note(t, "score = fit + engagement (decayed to --now); grade "
                      "A-D from fit, band 1-4 from engagement, cell = grade "
                      "and band (A1 best)");
    cli_buf_free(&b);
    free(v);
    return t;
}

cli_table *cli_score_cells(cli_session *s)
{
    static const char *const nm[] = {"cell", "contacts", "share"};
    size_t n = 0, count[16];
    scored *v;
    cli_table *t;
    char title[200];
    if (attached(s) == NULL)
        return NULL;
    v = score_all(s, &n);
    memset(count, 0, sizeof(count));
    for (size_t i = 0; i < n; i++) {
        int g = v[i].r.cell[0] - 'A', band = v[i].r.cell[1] - '1';
        if (g >= 0 && g < 4 && band >= 0 && band < 4)
            count[g * 4 + band]++;
    }
    snprintf(title, sizeof(title), "Contacts by score cell (model %s)",
             s->model_name);
    t = cli_table_new("score_cells", title, 3, nm, NULL);
    for (int i = 0; i < 16; i++) {
        cli_cell *r = cli_table_row(t);
        char cell[3] = {(char)('A' + i / 4), (char)('1' + i % 4), 0};
        cli_cell_str(&r[0], cell);
        cli_cell_int(&r[1], (int64_t)count[i]);
        if (n)
            cli_cell_ratio(&r[2], (double)count[i] / (double)n);
    }
    free(v);
    return t;
}

/* ---- one contact: score and explanation --------------------------------- */

static const char *kind_name(uint32_t k)
{
    return k == FNL_RULE_FIT ? "fit" : k == FNL_RULE_ENGAGE ? "engage"
                                                            : "key_event";
}

/* The contact's explanation rows (*rows: malloc'd, NULL when none). */
static int explain(cli_session *s, fnl_contact_id id, fnl_score_row **rows,
                   size_t *n)
{
    int rc = fnl_contact_explain(s->engine, id, s->model_name, FNL_TIME_NOW,
                                 NULL, 0, n);
    *rows = NULL;
    if (rc == FNL_ERANGE || (rc == FNL_OK && *n > 0)) {
        *rows = cli_xmalloc((*n + 1) * sizeof(**rows));
        rc = fnl_contact_explain(s->engine, id, s->model_name, FNL_TIME_NOW,
                                 *rows, *n, n);
    }
    if (rc != FNL_OK) {
        free(*rows);
        *rows = NULL;
        *n = 0;
    }
    return rc;
}

int cli_score_contact_json(cli_session *s, fnl_contact_id id, cli_buf *b)
{
    fnl_score_result r = FNL_SCORE_RESULT_INIT;
    const fnl_model *m = attached(s);
    fnl_score_row *rows;
    size_t n = 0;
    cli_buf names = {0};
    char t[32];
    int rc;
    if (m == NULL) {
        cli_buf_puts(b, "null");
        return FNL_OK;
    }
    if ((rc = fnl_contact_score(s->engine, id, s->model_name, FNL_TIME_NOW,
                                &r)) != FNL_OK ||
        (rc = explain(s, id, &rows, &n)) != FNL_OK)
        return rc;
    cli_buf_puts(b, "{\"model\": ");
    cli_buf_json_str(b, s->model_name);
    cli_fmt_time(r.time, t);
    cli_buf_puts(b, ", \"time\": ");
    cli_buf_json_str(b, t);
    cli_buf_puts(b, ", \"fit\": ");
    cli_buf_num(b, r.fit);
    cli_buf_puts(b, ", \"engagement\": ");
    cli_buf_num(b, r.engagement);
    cli_buf_puts(b, ", \"total\": ");
    cli_buf_num(b, r.total);
    cli_buf_printf(b, ", \"grade\": \"%s\", \"band\": %u, \"cell\": \"%s\", "
                   "\"key_events\": ", r.grade, (unsigned)r.band, r.cell);
    names_of(m, r.key_events, 0, &names, 1);
    cli_buf_puts(b, names.p);
    cli_buf_printf(b, ", \"firings\": %u, \"thresholds\": ",
                   (unsigned)r.firings);
    names_of(m, r.thresholds, 1, &names, 1);
    cli_buf_puts(b, names.p);
    cli_buf_puts(b, ",\n   \"explanation\": [");
    for (size_t i = 0; i < n; i++) {
        cli_buf_puts(b, i ? ",\n    {\"kind\": " : "\n    {\"kind\": ");
        cli_buf_json_str(b, kind_name(rows[i].kind));
        cli_buf_puts(b, ", \"rule\": ");
        cli_buf_json_str(b, rows[i].rule);
        cli_buf_puts(b, ", \"points\": ");
        cli_buf_num(b, rows[i].points);
        cli_buf_printf(b, ", \"matched\": %llu, \"counted\": %llu, "
                       "\"raw\": ", (unsigned long long)rows[i].matched,
                       (unsigned long long)rows[i].counted);
        cli_buf_num(b, rows[i].raw);
        cli_buf_puts(b, ", \"value\": ");
        cli_buf_num(b, rows[i].value);
        cli_buf_putc(b, '}');
    }
    cli_buf_puts(b, "]}");
    free(rows);
    cli_buf_free(&names);
    return FNL_OK;
}

int cli_score_contact_tables(cli_session *s, fnl_contact_id id,
                             cli_table **score, cli_table **why)
{
    static const char *const kn[] = {"field", "value"};
    static const char *const en[] = {"kind", "rule", "points", "matched",
                                     "counted", "raw", "value"};
    fnl_score_result r = FNL_SCORE_RESULT_INIT;
    const fnl_model *m = attached(s);
    fnl_score_row *rows;
    size_t n = 0;
    cli_buf b = {0};
    cli_table *t, *x;
    cli_cell *row;
    char title[200];
    int rc;
    *score = *why = NULL;
    if (m == NULL)
        return FNL_OK;
    if ((rc = fnl_contact_score(s->engine, id, s->model_name, FNL_TIME_NOW,
                                &r)) != FNL_OK ||
        (rc = explain(s, id, &rows, &n)) != FNL_OK)
        return rc;
    snprintf(title, sizeof(title), "Score (model %s)", s->model_name);
    t = cli_table_new("score", title, 2, kn, NULL);
    {
        const struct {
            const char *k;
            double v;
        } nums[] = {{"fit", r.fit}, {"engagement", r.engagement},
                    {"score", r.total}};
        for (size_t i = 0; i < 3; i++) {
            row = cli_table_row(t);
            cli_cell_str(&row[0], nums[i].k);
            cli_buf_reset(&b);
            cli_buf_printf(&b, "%.2f", nums[i].v);
            cli_cell_str(&row[1], b.p);
        }
    }
    row = cli_table_row(t);
    cli_cell_str(&row[0], "grade / band / cell");
    cli_buf_reset(&b);
    cli_buf_printf(&b, "%s / %u / %s", r.grade, (unsigned)r.band, r.cell);
    cli_cell_str(&row[1], b.p);
    row = cli_table_row(t);
    cli_cell_str(&row[0], "key events");
    names_of(m, r.key_events, 0, &b, 0);
    cli_cell_str(&row[1], b.len ? b.p : "-");
    row = cli_table_row(t);
    cli_cell_str(&row[0], "thresholds");
    names_of(m, r.thresholds, 1, &b, 0);
    cli_cell_str(&row[1], b.len ? b.p : "-");
    x = cli_table_new("explanation", "Why: one row per rule", 7, en, NULL);
    for (size_t i = 0; i < n; i++) {
        row = cli_table_row(x);
        cli_cell_str(&row[0], kind_name(rows[i].kind));
        cli_cell_str(&row[1], rows[i].rule);
        cli_cell_num(&row[2], rows[i].points);
        cli_cell_int(&row[3], (int64_t)rows[i].matched);
        cli_cell_int(&row[4], (int64_t)rows[i].counted);
        cli_cell_num(&row[5], rows[i].raw);
        cli_cell_num(&row[6], rows[i].value);
    }
    cli_table_note(x, "raw: points earned (after caps and windows); value: "
                      "decayed to the score's time; the values sum to the "
                      "score");
    free(rows);
    cli_buf_free(&b);
    *score = t;
    *why = x;
    return FNL_OK;
}

/* ---- `score` ------------------------------------------------------------ */

int cli_cmd_score(const cli_opts *o)
{
    cli_session s;
    cli_table *top = NULL, *cells = NULL;
    FILE *out = stdout;
    int code;
    if (o->ninputs == 0 && o->store == NULL) {
        cli_err("score: no input files (--contacts, --touches, ...)");
        return CLI_EXIT_USAGE;
    }
    code = cli_session_open(&s, o);
    if (code != CLI_EXIT_OK)
        return code;
    code = cli_import_all(&s);
    if (!o->quiet || code != CLI_EXIT_OK)
        cli_import_summary(&s, stderr);
    if (code == CLI_EXIT_CANCEL || s.stopped) {
        cli_session_close(&s);
        return code == CLI_EXIT_OK ? CLI_EXIT_DATA : code;
    }
    {
        int sc = cli_scoring_attach(&s);
        if (sc != CLI_EXIT_OK) {
            cli_session_close(&s);
            return sc;
        }
    }
    top = cli_score_top(&s, o->top >= 0 ? (size_t)o->top : 20);
    cells = cli_score_cells(&s);
    if (cli_canceled() || top == NULL || cells == NULL) {
        code = cli_canceled() ? CLI_EXIT_CANCEL : CLI_EXIT_DATA;
        goto done;
    }
    if (o->output && (out = fopen(o->output, "w")) == NULL) {
        cli_err("%s: cannot write", o->output);
        code = CLI_EXIT_DATA;
        goto done;
    }
    if (o->format == FMT_JSON) {
        cli_buf b = {0};
        fnl_model_info mi = FNL_MODEL_INFO_INIT;
        fnl_stats st = FNL_STATS_INIT;
        int64_t now = 0;
        char t[32];
        fnl_model_get_info(attached(&s), &mi);
        fnl_engine_stats(s.engine, &st);
        fnl_engine_now(s.engine, &now);
        cli_fmt_time(now, t);
        cli_buf_puts(&b, "{\"model\": {\"name\": ");
        cli_buf_json_str(&b, s.model_name);
        cli_buf_printf(&b, ", \"version\": %u, \"fingerprint\": "
                       "\"%016llx\", \"source\": ", (unsigned)mi.version,
                       (unsigned long long)mi.fingerprint);
        cli_buf_json_str(&b, s.model_source);
        cli_buf_puts(&b, "},\n \"as_of\": ");
        cli_buf_json_str(&b, t);
        cli_buf_printf(&b, ", \"contacts\": %llu,\n \"cells\": ",
                       (unsigned long long)st.contacts);
        cli_table_json(cells, &b);
        cli_buf_puts(&b, ",\n \"top\": ");
        cli_table_json(top, &b);
        cli_buf_puts(&b, "}\n");
        fwrite(b.p, 1, b.len, out);
        cli_buf_free(&b);
    } else if (o->format == FMT_CSV) {
        cli_table_csv(top, out, 1);
    } else {
        fprintf(out, "scoring model %s (%s)\n\n", s.model_name,
                s.model_source);
        cli_table_text(cells, out, o->money_decimals);
        cli_table_text(top, out, o->money_decimals);
    }
    if (out != stdout)
        fclose(out);
done:
    cli_table_free(top);
    cli_table_free(cells);
    cli_session_close(&s);
    return code;
}
