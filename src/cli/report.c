/*
 * report.c -- `funnelcore report`: sections collected into tables, then
 * rendered as text, JSON, CSV and (html.c) one HTML page.
 *
 * Each section is one function in `sections[]` below that reads the engine
 * through the public API and adds tables to the report.  This is the
 * plug-in point for the library's report API (src/report_api.h, issue 7,
 * still a draft outside include/funnelcore.h and not exported by the
 * shared library): when fnl_report_deals() / fnl_report_roi() become
 * public, add a section that turns an fnl_report into a cli_table (columns
 * from fnl_report_column_get, cells from fnl_report_value_get) and drop the
 * stopgap sections it replaces.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct rctx {
    const cli_opts *o;
    cli_session *s;
    cli_report *r;
    fnl_stats st;
    cli_attr_set attr;
    int have_attr;
    cli_journey_stats js;
    char **notes;
    size_t nnotes;
} rctx;

static void add_table(rctx *c, cli_table *t)
{
    c->r->tables = cli_xrealloc(c->r->tables,
                                (c->r->ntables + 1) * sizeof(cli_table *));
    c->r->tables[c->r->ntables++] = t;
}

static void note(rctx *c, const char *text)
{
    c->notes = cli_xrealloc(c->notes, (c->nnotes + 1) * sizeof(char *));
    c->notes[c->nnotes++] = cli_xstrdup(text);
}

/* ---- overview ----------------------------------------------------------- */

static int sec_overview(rctx *c)
{
    static const char *const n[] = {"metric", "value"};
    cli_table *t = cli_table_new("overview", "Overview", 2, n, NULL);
    const struct {
        const char *k;
        uint64_t v;
    } m[] = {{"contacts", c->st.contacts}, {"accounts", c->st.accounts},
             {"touches", c->st.touches},   {"deals", c->st.deals},
             {"costs", c->st.costs},       {"merges", c->st.merges}};
    for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
        cli_cell *row = cli_table_row(t);
        cli_cell_str(&row[0], m[i].k);
        cli_cell_int(&row[1], (int64_t)m[i].v);
    }
    add_table(c, t);
    return 0;
}

/* ---- deals (stopgap: computed from fnl_deal_next/fnl_deal_get) ---------- */

/*
 * STOPGAP until the library's deal report (fnl_report_deals in the draft
 * src/report_api.h) is public: count, won, lost, open, win rate, pipeline,
 * won amount and days to close need nothing but the deal readers, so the
 * CLI computes them here.
 */
typedef struct agg {
    char *key;
    int64_t deals, won, lost, open;
    int64_t won_amount, lost_amount, open_amount;
} agg;

typedef struct groups {
    cli_strmap idx;
    agg *a;
    size_t n;
} groups;

static agg *group_get(groups *g, const char *key)
{
    uint32_t i;
    if (cli_strmap_get(&g->idx, key, &i))
        return &g->a[i];
    g->a = cli_xrealloc(g->a, (g->n + 1) * sizeof(agg));
    memset(&g->a[g->n], 0, sizeof(agg));
    g->a[g->n].key = cli_xstrdup(key);
    cli_strmap_put(&g->idx, key, (uint32_t)g->n);
    return &g->a[g->n++];
}

static void agg_add(agg *a, const fnl_deal_info *d)
{
    a->deals++;
    if (d->status == FNL_DEAL_WON)
        a->won++, a->won_amount += d->amount;
    else if (d->status == FNL_DEAL_LOST)
        a->lost++, a->lost_amount += d->amount;
    else
        a->open++, a->open_amount += d->amount;
}

static double win_rate(const agg *a)
{
    return a->won + a->lost ? (double)a->won / (double)(a->won + a->lost) : 0;
}

static int cmp_agg(const void *x, const void *y)
{
    const agg *a = x, *b = y;
    if (a->won_amount != b->won_amount)
        return a->won_amount > b->won_amount ? -1 : 1;
    if (a->deals != b->deals)
        return a->deals > b->deals ? -1 : 1;
    return strcmp(a->key, b->key);
}

static cli_table *group_table(const char *name, const char *title,
                              const char *keyname, groups *g)
{
    const char *n[] = {keyname, "deals", "won", "lost", "open", "win_rate",
                       "won_amount", "pipeline"};
    const char *t[] = {keyname, "deals", "won", "lost", "open", "win rate",
                       "won amount", "pipeline"};
    cli_table *tab = cli_table_new(name, title, 8, n, t);
    qsort(g->a, g->n, sizeof(agg), cmp_agg);
    for (size_t i = 0; i < g->n; i++) {
        cli_cell *r = cli_table_row(tab);
        cli_cell_str(&r[0], g->a[i].key);
        cli_cell_int(&r[1], g->a[i].deals);
        cli_cell_int(&r[2], g->a[i].won);
        cli_cell_int(&r[3], g->a[i].lost);
        cli_cell_int(&r[4], g->a[i].open);
        cli_cell_ratio(&r[5], win_rate(&g->a[i]));
        cli_cell_money(&r[6], g->a[i].won_amount);
        cli_cell_money(&r[7], g->a[i].open_amount);
    }
    return tab;
}

static void groups_free(groups *g)
{
    for (size_t i = 0; i < g->n; i++)
        free(g->a[i].key);
    free(g->a);
    cli_strmap_free(&g->idx);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The value of an account attribute as text ("" when absent). */
static void account_attr(fnl_engine *e, fnl_account_id a, const char *name,
                         char *out, size_t cap)
{
    fnl_attr buf[64];
    size_t n = 0;
    out[0] = 0;
    if (a == 0 || fnl_account_attrs(e, a, buf, 64, &n) != FNL_OK)
        return;
    for (size_t i = 0; i < n; i++)
        if (strcmp(buf[i].name, name) == 0) {
            if (buf[i].type == FNL_ATTR_NUMBER)
                snprintf(out, cap, "%g", buf[i].num);
            else
                snprintf(out, cap, "%s", buf[i].str);
        }
}

static int sec_deals(rctx *c)
{
    fnl_engine *e = c->s->engine;
    fnl_deal_id d = 0;
    agg all;
    groups stages = {0}, owners = {0};
    groups *dims = NULL;
    char **dimnames = NULL;
    size_t ndims = 0;
    int64_t *days = NULL;
    size_t ndays = 0;
    uint64_t done = 0;
    char currency[4] = "";
    int mixed = 0;

    if (c->st.deals == 0)
        return 0;
    memset(&all, 0, sizeof(all));
    if (c->o->group_by) {
        char *copy = cli_xstrdup(c->o->group_by), *save = NULL, *tok;
        for (tok = strtok_r(copy, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save)) {
            tok = cli_trim(tok);
            if (!*tok || strcmp(tok, "owner") == 0)
                continue;
            dimnames = cli_xrealloc(dimnames, (ndims + 1) * sizeof(char *));
            dimnames[ndims++] = cli_xstrdup(tok);
        }
        free(copy);
        dims = cli_xmalloc((ndims + 1) * sizeof(groups));
        memset(dims, 0, (ndims + 1) * sizeof(groups));
    }
    cli_progress_begin("deal report", c->st.deals);
    while (fnl_deal_next(e, d, &d) == FNL_OK) {
        fnl_deal_info di;
        char key[300];
        memset(&di, 0, sizeof(di));
        di.size = sizeof(di);
        if (fnl_deal_get(e, d, &di) != FNL_OK)
            continue;
        if ((++done & 1023) == 0) {
            cli_progress_update(done);
            if (cli_canceled())
                break;
        }
        if (currency[0] == 0)
            memcpy(currency, di.currency, 4);
        else if (strcmp(currency, di.currency) != 0)
            mixed = 1;
        agg_add(&all, &di);
        snprintf(key, sizeof(key), "%s\x1f%s", di.stage ? di.stage : "(none)",
                 di.status == FNL_DEAL_WON ? "won" :
                 di.status == FNL_DEAL_LOST ? "lost" : "open");
        agg_add(group_get(&stages, key), &di);
        agg_add(group_get(&owners, di.owner ? di.owner : "(none)"), &di);
        for (size_t k = 0; k < ndims; k++) {
            const char *v = NULL;
            size_t di_idx;
            for (di_idx = 0; di_idx < cli_dims_count(c->s->dims); di_idx++)
                if (strcmp(cli_dims_name(c->s->dims, di_idx), dimnames[k]) == 0)
                    break;
            if (di_idx < cli_dims_count(c->s->dims))
                v = cli_dims_get(c->s->dims, di.name, di_idx);
            if (v == NULL && strcmp(dimnames[k], "account") == 0 &&
                di.account) {
                fnl_account_info ai = FNL_ACCOUNT_INFO_INIT;
                if (fnl_account_get(e, di.account, &ai) == FNL_OK)
                    snprintf(key, sizeof(key), "%s", ai.name), v = key;
            } else if (v == NULL) {
                account_attr(e, di.account, dimnames[k], key, sizeof(key));
                if (key[0])
                    v = key;
            }
            agg_add(group_get(&dims[k], v ? v : "(none)"), &di);
        }
        if (di.status == FNL_DEAL_WON && di.closed >= di.created) {
            if ((ndays & (ndays - 1)) == 0)
                days = cli_xrealloc(days, (ndays ? ndays * 2 : 1) *
                                              sizeof(int64_t));
            days[ndays++] = di.closed - di.created;
        }
    }
    cli_progress_end();
    snprintf(c->r->currency, 4, "%s", currency[0] ? currency : c->o->currency);
    if (mixed)
        note(c, "deals are in several currencies; amounts are added as they "
                "are, without conversion");
    {
        static const char *const n[] = {
            "deals", "won", "lost", "open", "win_rate", "won_amount",
            "lost_amount", "pipeline", "average_won", "median_days_to_win",
            "currency"};
        static const char *const t[] = {
            "deals", "won", "lost", "open", "win rate", "won amount",
            "lost amount", "pipeline", "avg won deal", "median days to win",
            "currency"};
        cli_table *tab = cli_table_new("deals", "Deals", 11, n, t);
        cli_cell *r = cli_table_row(tab);
        cli_cell_int(&r[0], all.deals);
        cli_cell_int(&r[1], all.won);
        cli_cell_int(&r[2], all.lost);
        cli_cell_int(&r[3], all.open);
        cli_cell_ratio(&r[4], win_rate(&all));
        cli_cell_money(&r[5], all.won_amount);
        cli_cell_money(&r[6], all.lost_amount);
        cli_cell_money(&r[7], all.open_amount);
        if (all.won)
            cli_cell_money(&r[8], all.won_amount / all.won);
        if (ndays) {
            qsort(days, ndays, sizeof(int64_t), cmp_i64);
            double med = ndays % 2 ? (double)days[ndays / 2]
                                   : ((double)days[ndays / 2 - 1] +
                                      (double)days[ndays / 2]) / 2;
            cli_cell_days(&r[9], med / 86400000.0);
        }
        cli_cell_str(&r[10], c->r->currency);
        cli_table_note(tab, "win rate = won / (won + lost); pipeline = the "
                            "amount of open deals");
        add_table(c, tab);
        c->r->deals = tab;
    }
    {
        /* funnel: all deals -> closed -> won */
        static const char *const n[] = {"step", "count", "rate"};
        static const char *const t[] = {"step", "count", "from previous"};
        cli_table *f = cli_table_new("funnel", "Funnel", 3, n, t);
        const struct {
            const char *k;
            int64_t v;
        } steps[] = {{"deals", all.deals},
                     {"closed", all.won + all.lost},
                     {"won", all.won}};
        for (size_t i = 0; i < 3; i++) {
            cli_cell *r = cli_table_row(f);
            cli_cell_str(&r[0], steps[i].k);
            cli_cell_int(&r[1], steps[i].v);
            if (i > 0 && steps[i - 1].v > 0)
                cli_cell_ratio(&r[2], (double)steps[i].v /
                                          (double)steps[i - 1].v);
        }
        add_table(c, f);
        c->r->funnel = f;
    }
    {
        static const char *const n[] = {"stage", "status", "deals", "amount",
                                        "share"};
        cli_table *t = cli_table_new("deal_stages", "Deals by stage", 5, n,
                                     NULL);
        /* open stages first (largest first), then won, then lost */
        for (int pass = 0; pass < 3; pass++) {
            const char *want = pass == 0 ? "open" : pass == 1 ? "won" : "lost";
            qsort(stages.a, stages.n, sizeof(agg), cmp_agg);
            for (size_t i = 0; i < stages.n; i++) {
                char *sep = strchr(stages.a[i].key, '\x1f');
                cli_cell *r;
                if (strcmp(sep + 1, want) != 0)
                    continue;
                r = cli_table_row(t);
                *sep = 0;
                cli_cell_str(&r[0], stages.a[i].key);
                *sep = '\x1f';
                cli_cell_str(&r[1], want);
                cli_cell_int(&r[2], stages.a[i].deals);
                cli_cell_money(&r[3], stages.a[i].won_amount +
                                          stages.a[i].lost_amount +
                                          stages.a[i].open_amount);
                cli_cell_ratio(&r[4], (double)stages.a[i].deals /
                                          (double)all.deals);
            }
        }
        add_table(c, t);
        c->r->stages = t;
    }
    add_table(c, group_table("deals_by_owner", "Deals by owner", "owner",
                             &owners));
    for (size_t k = 0; k < ndims; k++) {
        char name[128], title[128];
        snprintf(name, sizeof(name), "deals_by_%s", dimnames[k]);
        snprintf(title, sizeof(title), "Deals by %s", dimnames[k]);
        add_table(c, group_table(name, title, dimnames[k], &dims[k]));
        groups_free(&dims[k]);
        free(dimnames[k]);
    }
    free(dims);
    free(dimnames);
    free(days);
    groups_free(&stages);
    groups_free(&owners);
    return cli_canceled() ? -1 : 0;
}

/* ---- attribution (stopgap journeys, see journeys.c) --------------------- */

static int sec_attribution(rctx *c)
{
    fnl_journeys *j = NULL;
    int rc;
    if (c->st.touches == 0 || c->st.deals == 0)
        return 0;
    rc = cli_journeys_from_engine(c->s->engine, c->o->by, c->o->money_decimals,
                                  &j, &c->js);
    if (rc == FNL_ECANCELED)
        return -1;
    if (rc != FNL_OK || c->js.won == 0) {
        note(c, rc != FNL_OK ? "attribution: journeys could not be built"
                             : "attribution: no won deal has touches");
        fnl_journeys_free(j);
        return 0;
    }
    if (cli_parse_models(c->o->models ? c->o->models : "first,last,linear,"
                         "u_shaped,markov,shapley", &c->attr) != 0) {
        fnl_journeys_free(j);
        return -2;
    }
    rc = cli_attr_run(&c->attr, j, c->o->order, c->o->money_decimals);
    fnl_journeys_free(j);
    if (rc == FNL_ECANCELED)
        return -1;
    if (rc != FNL_OK) {
        char msg[160];
        snprintf(msg, sizeof(msg), "attribution failed: %s", fnl_strerror(rc));
        note(c, msg);
        cli_attr_free(&c->attr);
        return 0;
    }
    c->have_attr = 1;
    {
        cli_table *t = cli_attr_table(&c->attr);
        char buf[256];
        snprintf(buf, sizeof(buf), "journeys: %llu won deals, %llu lost, "
                 "%llu accounts or contacts without a closed deal; value in "
                 "major units", (unsigned long long)c->js.won,
                 (unsigned long long)c->js.lost,
                 (unsigned long long)c->js.unconverted);
        free(t->title);
        snprintf(buf + 200, 56, "Attribution by %s", c->o->by);
        t->title = cli_xstrdup(buf + 200);
        buf[200] = 0;
        cli_table_note(t, buf);
        add_table(c, t);
        c->r->attribution = t;
        c->r->attr = &c->attr;
    }
    return 0;
}

/* ---- ROI by channel (costs vs attributed value) ------------------------- */

static int sec_roi(rctx *c)
{
    fnl_engine *e = c->s->engine;
    groups costs = {0};
    const fnl_attribution *res = NULL;
    const char *model = c->o->roi_model ? c->o->roi_model : "linear";
    double scale = pow(10, c->o->money_decimals);
    uint32_t mid;
    if (c->st.costs == 0)
        return 0;
    for (uint64_t i = 0;; i++) {
        fnl_cost cost = FNL_COST_INIT;
        char cur[4];
        agg *a;
        if (fnl_cost_get(e, i, &cost, cur) != FNL_OK)
            break;
        a = group_get(&costs, cost.channel ? cost.channel : "(campaigns)");
        a->open_amount += cost.amount; /* open_amount holds the cost */
    }
    if (c->have_attr && fnl_attr_model_parse(model, &mid) == FNL_OK) {
        for (size_t m = 0; m < c->attr.nmodels; m++)
            if (c->attr.models[m] == mid)
                res = c->attr.res[m];
        if (res == NULL) {
            char msg[160];
            snprintf(msg, sizeof(msg), "ROI: --roi-model %s is not among the "
                     "attribution models; using %s", model, c->attr.names[0]);
            note(c, msg);
            res = c->attr.res[0];
            model = c->attr.names[0];
        }
    }
    /* channels with attributed value but no cost appear too */
    if (res != NULL)
        for (size_t i = 0; i < fnl_attribution_row_count(res); i++) {
            fnl_attribution_row row = FNL_ATTRIBUTION_ROW_INIT;
            fnl_attribution_row_get(res, i, &row);
            agg *a = group_get(&costs, row.key);
            a->won_amount += (int64_t)llround(row.value * scale);
            a->won = (int64_t)llround(row.conversions * 1000);
        }
    {
        static const char *const n[] = {"channel", "cost", "attributed_value",
                                        "attributed_won", "roi", "roas",
                                        "cost_per_won"};
        static const char *const t[] = {"channel", "cost", "attributed value",
                                        "won (attributed)", "ROI", "ROAS",
                                        "cost per won"};
        cli_table *tab = cli_table_new("roi", "ROI by channel", 7, n, t);
        char buf[200];
        for (size_t i = 0; i < costs.n; i++) {
            agg *a = &costs.a[i];
            cli_cell *r = cli_table_row(tab);
            cli_cell_str(&r[0], a->key);
            cli_cell_money(&r[1], a->open_amount);
            if (res != NULL) {
                cli_cell_money(&r[2], a->won_amount);
                cli_cell_num(&r[3], (double)a->won / 1000.0);
            }
            if (res != NULL && a->open_amount > 0) {
                cli_cell_ratio(&r[4], (double)(a->won_amount - a->open_amount) /
                                          (double)a->open_amount);
                cli_cell_num(&r[5], (double)a->won_amount /
                                        (double)a->open_amount);
                if (a->won > 0)
                    cli_cell_money(&r[6], (int64_t)llround(
                                              (double)a->open_amount * 1000.0 /
                                              (double)a->won));
            }
        }
        snprintf(buf, sizeof(buf), res ? "value attributed by the %s model; "
                 "ROI = (value - cost) / cost; ROAS = value / cost"
                 : "no attribution (needs touches and won deals): costs only%s",
                 res ? model : "");
        cli_table_note(tab, buf);
        add_table(c, tab);
        c->r->roi = tab;
        c->r->roi_model = cli_xstrdup(res ? model : "");
    }
    groups_free(&costs);
    return 0;
}

/* ---- registry ----------------------------------------------------------- */

typedef struct section {
    const char *name;
    int (*collect)(rctx *c);
} section;

/* The order of the report.  Library report sections plug in here. */
static const section sections[] = {
    {"overview", sec_overview},
    {"deals", sec_deals},
    {"attribution", sec_attribution},
    {"roi", sec_roi},
    {NULL, NULL}};

/* ---- rendering ---------------------------------------------------------- */

static void render_json(rctx *c, FILE *out)
{
    cli_buf b = {0};
    cli_buf_puts(&b, "{\"title\": ");
    cli_buf_json_str(&b, c->r->title);
    cli_buf_printf(&b, ", \"version\": \"%s\", \"currency\": ", fnl_version());
    cli_buf_json_str(&b, c->r->currency);
    cli_buf_printf(&b, ", \"money_decimals\": %d,\n \"inputs\": ",
                   c->r->money_decimals);
    cli_import_json(c->s, &b);
    cli_buf_puts(&b, ",\n \"sections\": {");
    int first = 1;
    for (size_t i = 0; i < c->r->ntables; i++) {
        const cli_table *t = c->r->tables[i];
        if (t == c->r->attribution)
            continue;
        cli_buf_puts(&b, first ? "\n  " : ",\n  ");
        first = 0;
        cli_buf_json_str(&b, t->name);
        cli_buf_puts(&b, ": ");
        if (t == c->r->deals && t->nrows == 1) {
            /* a one-row table is an object */
            cli_buf json = {0};
            cli_table_json(t, &json);
            char *o = strchr(json.p, '{'), *e = strrchr(json.p, '}');
            cli_buf_add(&b, o, (size_t)(e - o) + 1);
            cli_buf_free(&json);
        } else {
            cli_table_json(t, &b);
        }
    }
    if (c->have_attr) {
        cli_buf_puts(&b, first ? "\n  " : ",\n  ");
        first = 0;
        cli_buf_puts(&b, "\"attribution\": {\"by\": ");
        cli_buf_json_str(&b, c->o->by);
        cli_buf_printf(&b, ", \"journeys\": {\"won\": %llu, \"lost\": %llu, "
                       "\"without_deal\": %llu, \"touches\": %llu}, "
                       "\"results\": [",
                       (unsigned long long)c->js.won,
                       (unsigned long long)c->js.lost,
                       (unsigned long long)c->js.unconverted,
                       (unsigned long long)c->js.touches);
        for (size_t m = 0; m < c->attr.nmodels; m++) {
            cli_buf_puts(&b, m ? ",\n    " : "\n    ");
            cli_attr_json(c->attr.names[m], c->attr.res[m], &b);
        }
        cli_buf_puts(&b, "]}");
    }
    cli_buf_puts(&b, "},\n \"notes\": [");
    for (size_t i = 0; i < c->nnotes; i++) {
        cli_buf_puts(&b, i ? ", " : "");
        cli_buf_json_str(&b, c->notes[i]);
    }
    for (size_t i = 0; i < c->s->nwarnings; i++) {
        cli_buf_puts(&b, i || c->nnotes ? ", " : "");
        cli_buf_json_str(&b, c->s->warnings[i]);
    }
    cli_buf_puts(&b, "]}\n");
    fwrite(b.p, 1, b.len, out);
    cli_buf_free(&b);
}

static void render_text(rctx *c, FILE *out)
{
    fprintf(out, "%s\n\n", c->r->title);
    for (size_t i = 0; i < c->r->ntables; i++)
        cli_table_text(c->r->tables[i], out, c->r->money_decimals);
    for (size_t i = 0; i < c->nnotes; i++)
        fprintf(out, "note: %s\n", c->notes[i]);
}

static void render_csv(rctx *c, FILE *out)
{
    fputs("section,key,metric,value\n", out);
    for (size_t i = 0; i < c->r->ntables; i++)
        cli_table_csv_long(c->r->tables[i], out);
}

int cli_cmd_report(const cli_opts *o)
{
    cli_session s;
    cli_report rep;
    rctx c;
    int code;
    FILE *out = stdout;

    if (o->ninputs == 0 && o->store == NULL) {
        cli_err("report: no input files (--deals, --touches, --costs, ...)");
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
    memset(&rep, 0, sizeof(rep));
    memset(&c, 0, sizeof(c));
    rep.title = cli_xstrdup(o->title ? o->title : "funnelcore report");
    rep.currency = cli_xmalloc(4);
    snprintf(rep.currency, 4, "%s", o->currency);
    rep.money_decimals = o->money_decimals;
    c.o = o;
    c.s = &s;
    c.r = &rep;
    fnl_stats_init(&c.st, sizeof(c.st));
    fnl_engine_stats(s.engine, &c.st);
    for (const section *sec = sections; sec->name; sec++) {
        int rc = sec->collect(&c);
        if (rc == -1) {
            code = CLI_EXIT_CANCEL;
            goto done;
        }
        if (rc == -2) {
            code = CLI_EXIT_USAGE;
            goto done;
        }
    }
    if (o->output && (out = fopen(o->output, "w")) == NULL) {
        cli_err("%s: cannot write", o->output);
        code = CLI_EXIT_DATA;
        goto done;
    }
    if (o->format == FMT_JSON)
        render_json(&c, out);
    else if (o->format == FMT_CSV)
        render_csv(&c, out);
    else
        render_text(&c, out);
    if (out != stdout)
        fclose(out);
    fflush(stdout);
    if (o->html) {
        if (cli_html_write(&rep, o->html) != 0) {
            cli_err("%s: cannot write the HTML report", o->html);
            code = CLI_EXIT_DATA;
        } else if (!o->quiet) {
            fprintf(stderr, "HTML report: %s\n", o->html);
        }
    }
done:
    for (size_t i = 0; i < rep.ntables; i++)
        cli_table_free(rep.tables[i]);
    free(rep.tables);
    free(rep.title);
    free(rep.currency);
    free(rep.roi_model);
    for (size_t i = 0; i < c.nnotes; i++)
        free(c.notes[i]);
    free(c.notes);
    if (c.have_attr)
        cli_attr_free(&c.attr);
    cli_session_close(&s);
    return code;
}
