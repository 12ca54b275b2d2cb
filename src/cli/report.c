/*
 * report.c -- `funnelcore report`: sections collected into tables, then
 * rendered as text, JSON, CSV and (html.c) one HTML page.
 *
 * Each section is one function in `sections[]` below.  The numbers come
 * from the library: fnl_report_deals (deal summary, stages, owners, account
 * attributes), fnl_report_cohort, fnl_report_time_to_convert,
 * fnl_engine_attribution_partial (attribute.c) and fnl_report_roi; the
 * reports become cli_tables in libreport.c.  Groupings by the kept deal
 * columns (product) are fnl_report_deals by deal attribute, and by the
 * columns of a table joined on the owner column (manager, regional
 * office) by owner attribute (ingest.c stores both).  The "stages"
 * section is the stage machine's funnel (stages.c, cli_stage_table).
 */
#include <ctype.h>
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
    fnl_engine_attribution_stats js;
    fnl_attribution *pipeline;  /* the ROI model over created deals */
    const char *roi_model;
    char cur[4];
    int64_t now;
    char **notes;
    size_t nnotes;
    int oom;            /* a library report ran out of memory: exit 1 */
    struct group_dim *groups; /* --group-by, resolved (group_dims) */
    size_t ngroups;
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

static void lib_note(rctx *c, const char *what, int rc, const fnl_engine *e)
{
    char msg[400];
    const char *m = e ? fnl_errmsg(e) : NULL;
    /* the engine's message already starts with fnl_strerror(rc) */
    snprintf(msg, sizeof(msg), "%s: %s", what,
             m && *m ? m : fnl_strerror(rc));
    note(c, msg);
    if (rc == FNL_ENOMEM) {
        /* not a property of the data: the run fails rather than print a
         * report with a section missing */
        cli_err("%s", msg);
        c->oom = 1;
    }
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

/* ---- deals: fnl_report_deals ------------------------------------------ */

static int deal_report(rctx *c, const fnl_engine *e, uint32_t by,
                       const char *attr, fnl_report **out)
{
    fnl_deal_report_request q = FNL_DEAL_REPORT_REQUEST_INIT;
    int rc;
    q.group_by = by;
    q.group_attr = attr;
    q.as_of = c->now;
    q.currency = c->cur;
    rc = fnl_report_deals(e, &q, out);
    if (rc != FNL_OK) {
        char what[160];
        snprintf(what, sizeof(what), "deal report (%s%s%s)",
                 by == FNL_DEAL_BY_NONE ? "all" : "grouped",
                 attr ? " by " : "", attr ? attr : "");
        lib_note(c, what, rc, e);
        *out = NULL;
    }
    return rc;
}

/* The deal columns of group rows (the library's names). */
static const char *const deal_skip[] = {NULL};

static cli_table *deals_table(const fnl_report *rep, const char *name,
                              const char *key)
{
    char title[160];
    snprintf(title, sizeof(title), "Deals by %s", key);
    return cli_table_from_report(rep, name, title, key, deal_skip);
}

/* ---- --group-by: what each name groups by -------------------------------
 *
 * A name is, in this order: a deal column of this run's deals files (a
 * deal attribute, or an attribute of the owner's record for a table
 * joined on the owner column: cli_dims); one of the library's own
 * groupings (stage, account, currency, status); else an attribute the
 * engine holds -- of a deal, of a deal owner's record, of an account,
 * looked up in that order -- so that `report --store` without the deals
 * file groups by the columns the store was imported with.  The names are
 * resolved before any section runs: a name that nothing holds, or any
 * name when there are no deals, is a usage error, not a table of
 * "(none)". */

typedef struct group_dim {
    char *name;         /* as given */
    uint32_t by;        /* fnl_deal_group */
    char *attr;         /* the attribute, or NULL */
} group_dim;

static int deals_have(const fnl_engine *e, const char *attr)
{
    fnl_deal_id d = 0;
    while (fnl_deal_next(e, d, &d) == FNL_OK) {
        fnl_attr a;
        if (fnl_deal_attr(e, d, attr, &a) == FNL_OK)
            return 1;
    }
    return 0;
}

static int owners_have(const fnl_engine *e, const char *attr)
{
    const char **names;
    size_t n = 0;
    int rc, found = 0;
    rc = fnl_owner_list(e, NULL, 0, &n);
    if ((rc != FNL_OK && rc != FNL_ERANGE) || n == 0)
        return 0;
    names = cli_xmalloc(n * sizeof(*names));
    if (fnl_owner_list(e, names, n, &n) == FNL_OK)
        for (size_t i = 0; i < n && !found; i++) {
            fnl_attr a;
            found = fnl_owner_attr(e, names[i], attr, &a) == FNL_OK;
        }
    free(names);
    return found;
}

static int accounts_have(const fnl_engine *e, const char *attr)
{
    fnl_account_id id = 0;
    fnl_attr *a = NULL;
    size_t cap = 0;
    int found = 0;
    while (!found && fnl_account_next(e, id, &id) == FNL_OK) {
        size_t n = 0;
        int rc = fnl_account_attrs(e, id, a, cap, &n);
        if (rc == FNL_ERANGE) {
            cap = n;
            a = cli_xrealloc(a, cap * sizeof(*a));
            rc = fnl_account_attrs(e, id, a, cap, &n);
        }
        for (size_t i = 0; rc == FNL_OK && i < n && i < cap && !found; i++)
            found = strcmp(a[i].name, attr) == 0;
    }
    free(a);
    return found;
}

static int has_input(const cli_opts *o, int kind)
{
    for (size_t i = 0; i < o->ninputs; i++)
        if (o->inputs[i].kind == kind)
            return 1;
    return 0;
}

/* Why `tok` groups nothing, into msg; 0 when it does (*g filled). */
static int group_dim_of(rctx *c, const char *tok, group_dim *g, char *msg,
                        size_t cap)
{
    const cli_opts *o = c->o;
    const cli_dims *d = c->s->dims;
    const fnl_engine *e = c->s->engine;
    int stored = o->store && !has_input(o, KIND_DEALS);
    char an[FNL_MAX_NAME + 1];
    size_t k, nd = cli_dims_count(d);
    g->by = FNL_DEAL_BY_ACCOUNT_ATTR;
    g->attr = NULL;
    if (c->st.deals == 0) {
        if (stored)
            snprintf(msg, cap, "--group-by %s: --store %s holds no deals; "
                     "pass the --deals file", tok, o->store);
        else if (has_input(o, KIND_DEALS))
            snprintf(msg, cap, "--group-by %s: there are no deals to "
                     "group: no row of the --deals files was imported", tok);
        else
            snprintf(msg, cap, "--group-by %s: there are no deals to "
                     "group; pass a --deals file", tok);
        return -1;
    }
    for (k = 0; k < nd; k++)
        if (strcmp(cli_dims_name(d, k), tok) == 0)
            break;
    cli_attr_name(tok, an);
    if (k < nd) {
        g->by = cli_dims_is_owner(d, k) ? FNL_DEAL_BY_OWNER_ATTR
                                        : FNL_DEAL_BY_ATTR;
        g->attr = cli_xstrdup(cli_dims_attr(d, k));
    } else if (strcmp(tok, "stage") == 0) {
        g->by = FNL_DEAL_BY_STAGE;
    } else if (strcmp(tok, "account") == 0) {
        g->by = FNL_DEAL_BY_ACCOUNT;
    } else if (strcmp(tok, "currency") == 0) {
        g->by = FNL_DEAL_BY_CURRENCY;
    } else if (strcmp(tok, "status") == 0) {
        g->by = FNL_DEAL_BY_STATUS;
    } else if (deals_have(e, an)) {
        g->by = FNL_DEAL_BY_ATTR;
        g->attr = cli_xstrdup(an);
    } else if (owners_have(e, an)) {
        g->by = FNL_DEAL_BY_OWNER_ATTR;
        g->attr = cli_xstrdup(an);
    } else if (accounts_have(e, an)) {
        g->attr = cli_xstrdup(an);
    } else if (stored) {
        snprintf(msg, cap, "--group-by %s: no deal, deal owner or account in "
                 "--store %s has an attribute '%s': the store keeps the "
                 "columns of a deals file only if it was imported with "
                 "them; pass the --deals file (and its --join tables)", tok,
                 o->store, an);
        return -1;
    } else {
        snprintf(msg, cap, "--group-by %s: no deal, deal owner or account "
                 "has an attribute '%s' (a column of the --deals file, of a "
                 "table joined on its owner or account column, or of the "
                 "--accounts file)", tok, an);
        return -1;
    }
    return 0;
}

/* The deals' --group-by names into c->groups ("owner", always there, left
 * out).  A name that groups nothing is a usage error (printed), unless
 * the import skipped rows (`clean` 0): the missing deals or columns may be
 * among them, so it is left out with a note and the report goes on.  CLI
 * exit code. */
static int group_dims(rctx *c, int clean)
{
    char *copy, *save = NULL, *tok;
    int code = CLI_EXIT_OK;
    if (c->o->group_by == NULL)
        return CLI_EXIT_OK;
    copy = cli_xstrdup(c->o->group_by);
    for (tok = strtok_r(copy, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        group_dim g;
        char msg[600];
        tok = cli_trim(tok);
        if (!*tok || (c->st.deals > 0 && strcmp(tok, "owner") == 0))
            continue;
        if (group_dim_of(c, tok, &g, msg, sizeof(msg)) != 0) {
            if (clean) {
                cli_err("%s", msg);
                code = CLI_EXIT_USAGE;
                break;
            }
            note(c, msg);
            continue;
        }
        g.name = cli_xstrdup(tok);
        c->groups = cli_xrealloc(c->groups,
                                 (c->ngroups + 1) * sizeof(*c->groups));
        c->groups[c->ngroups++] = g;
    }
    free(copy);
    return code;
}

static void group_dims_free(rctx *c)
{
    for (size_t i = 0; i < c->ngroups; i++) {
        free(c->groups[i].name);
        free(c->groups[i].attr);
    }
    free(c->groups);
}

static int sec_deals(rctx *c)
{
    fnl_engine *e = c->s->engine;
    fnl_report *all = NULL, *rep = NULL;
    int64_t n[4] = {0, 0, 0, 0}; /* deals, won, lost, open */
    if (c->st.deals == 0)
        return 0;
    if (deal_report(c, e, FNL_DEAL_BY_NONE, NULL, &all) != FNL_OK)
        return 0;
    {
        static const char *const cols[] = {
            "deals", "won", "lost", "open", "win_rate", "won_amount",
            "lost_amount", "pipeline", "avg_deal_size", "cycle_median_days",
            "cycle_p90_days", "forecast", "forecast_deals", "currency"};
        static const char *const titles[] = {
            "deals", "won", "lost", "open", "win rate", "won amount",
            "lost amount", "pipeline", "avg won deal", "median days to win",
            "p90 days to win", "forecast", "forecast deals", "currency"};
        cli_table *t = cli_table_new("deals", "Deals", 14, cols, titles);
        cli_cell *r = cli_table_row(t);
        for (size_t i = 0; i < 13; i++)
            cli_report_cell(all, FNL_REPORT_TOTALS, cols[i], &r[i]);
        cli_cell_str(&r[13], c->cur);
        for (size_t i = 0; i < 4; i++)
            n[i] = r[i].type == CELL_INT ? r[i].i : 0;
        cli_table_note(t, "win rate = won / (won + lost); pipeline = the "
                          "amount of open deals; days to win = closed - "
                          "created of won deals (median, and p90 by nearest "
                          "rank); forecast = open amount x the win rate of "
                          "its group (docs/roi.md)");
        add_table(c, t);
        c->r->deals = t;
    }
    fnl_report_free(all);
    {
        /* funnel: all deals -> closed -> won */
        static const char *const nm[] = {"step", "count", "rate"};
        static const char *const tt[] = {"step", "count", "from previous"};
        cli_table *f = cli_table_new("funnel", "Funnel", 3, nm, tt);
        const struct {
            const char *k;
            int64_t v;
        } steps[] = {{"deals", n[0]}, {"closed", n[1] + n[2]}, {"won", n[1]}};
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
    if (deal_report(c, e, FNL_DEAL_BY_STAGE, NULL, &rep) == FNL_OK) {
        static const char *const nm[] = {"stage", "status", "deals", "open",
                                         "won", "lost", "amount", "share",
                                         "win_rate"};
        static const char *const tt[] = {"stage", "status", "deals", "open",
                                         "won", "lost", "amount", "share",
                                         "win rate"};
        cli_table *t = cli_table_new("deal_stages", "Deals by stage", 9, nm,
                                     tt);
        for (size_t i = 0; i < fnl_report_row_count(rep); i++) {
            cli_cell *r = cli_table_row(t), m[3];
            int64_t k[3];
            memset(m, 0, sizeof(m));
            cli_report_cell(rep, i, "group", &r[0]);
            if (r[0].type == CELL_NULL)
                cli_cell_str(&r[0], FNL_GROUP_NONE_KEY);
            cli_report_cell(rep, i, "deals", &r[2]);
            cli_report_cell(rep, i, "open", &r[3]);
            cli_report_cell(rep, i, "won", &r[4]);
            cli_report_cell(rep, i, "lost", &r[5]);
            cli_report_cell(rep, i, "won_amount", &m[0]);
            cli_report_cell(rep, i, "lost_amount", &m[1]);
            cli_report_cell(rep, i, "pipeline", &m[2]);
            cli_cell_money(&r[6], m[0].i + m[1].i + m[2].i);
            if (n[0] > 0)
                cli_cell_ratio(&r[7], (double)r[2].i / (double)n[0]);
            cli_report_cell(rep, i, "win_rate", &r[8]);
            /* status: the one status of the stage's deals, else "mixed" */
            for (int j = 0; j < 3; j++)
                k[j] = r[3 + j].i;
            cli_cell_str(&r[1], k[0] && !k[1] && !k[2]   ? "open"
                                : !k[0] && k[1] && !k[2] ? "won"
                                : !k[0] && !k[1] && k[2] ? "lost"
                                                         : "mixed");
        }
        add_table(c, t);
        c->r->stages = t;
        fnl_report_free(rep);
    }
    if (deal_report(c, e, FNL_DEAL_BY_OWNER, NULL, &rep) == FNL_OK) {
        cli_table *t = deals_table(rep, "deals_by_owner", "owner");
        add_table(c, t);
        c->r->by_owner = t;
        fnl_report_free(rep);
    }
    for (size_t i = 0; i < c->ngroups && !cli_canceled(); i++) {
        const group_dim *g = &c->groups[i];
        char name[160];
        snprintf(name, sizeof(name), "deals_by_%s", g->name);
        if (deal_report(c, e, g->by, g->attr, &rep) == FNL_OK) {
            add_table(c, deals_table(rep, name, g->name));
            fnl_report_free(rep);
        }
    }
    return cli_canceled() ? -1 : 0;
}

/* ---- cohorts and time to convert ---------------------------------------- */

static int sec_cohorts(rctx *c)
{
    fnl_cohort_request q = FNL_COHORT_REQUEST_INIT;
    fnl_report *rep = NULL;
    static const char *const skip[] = {"cohort_start", "cohort_end", NULL};
    int rc;
    if (c->st.deals == 0)
        return 0;
    q.period = (uint32_t)c->o->cohort_period;
    q.as_of = c->now;
    q.currency = c->cur;
    rc = fnl_report_cohort(c->s->engine, &q, &rep);
    if (rc != FNL_OK) {
        lib_note(c, "cohort report", rc, c->s->engine);
        return 0;
    }
    {
        char title[80];
        cli_table *t;
        snprintf(title, sizeof(title), "Cohorts (deals by %s created)",
                 fnl_period_name((uint32_t)c->o->cohort_period));
        t = cli_table_from_report(rep, "cohorts", title, "cohort", skip);
        cli_table_note(t, "won within N days: share of the cohort's deals at "
                          "least N days old that were won within N days");
        add_table(c, t);
    }
    fnl_report_free(rep);
    return 0;
}

static int sec_time_to_convert(rctx *c)
{
    fnl_time_to_convert_request q = FNL_TIME_TO_CONVERT_REQUEST_INIT;
    fnl_report *rep = NULL;
    int rc;
    if (c->st.deals == 0)
        return 0;
    q.as_of = c->now;
    rc = fnl_report_time_to_convert(c->s->engine, &q, &rep);
    if (rc != FNL_OK) {
        lib_note(c, "time to convert", rc, c->s->engine);
        return 0;
    }
    {
        static const char *const nm[] = {"n", "conversions", "censored",
                                         "median_days", "cold_day",
                                         "window_days", "cold_threshold"};
        static const int units[] = {FNL_UNIT_COUNT, FNL_UNIT_COUNT,
                                    FNL_UNIT_COUNT, FNL_UNIT_DAYS,
                                    FNL_UNIT_DAYS, FNL_UNIT_DAYS,
                                    FNL_UNIT_RATIO};
        static const char *const tt[] = {"deals", "won", "censored",
                                         "median days", "cold day",
                                         "window days", "cold threshold"};
        cli_table *t = cli_table_new("time_to_convert",
                                     "Time to convert (Kaplan-Meier, "
                                     "created -> won)", 7, nm, tt);
        cli_cell *r = cli_table_row(t);
        for (size_t i = 0; i < 7; i++)
            cli_report_summary_cell(rep, nm[i], &r[i], units[i]);
        cli_table_note(t, "lost deals are censored at their close, open ones "
                          "at --now; cold day: from this day on, the chance "
                          "to be won within the window stays below the "
                          "threshold; the curve: --format json or csv, or "
                          "--html");
        add_table(c, t);
        c->r->ttc = t;
        t = cli_table_from_report(rep, "time_to_convert_curve",
                                  "Time to convert: the curve", "days", NULL);
        add_table(c, t);
        c->r->curve = t;
    }
    fnl_report_free(rep);
    return 0;
}

/* ---- attribution over the engine ---------------------------------------- */

static int sec_attribution(rctx *c)
{
    int rc;
    char buf[400];
    if (c->st.touches == 0 || c->st.deals == 0)
        return 0;
    if (cli_parse_models(c->o->models ? c->o->models : "first,last,linear,"
                         "u_shaped,markov,shapley", &c->attr) != 0)
        return -2;
    rc = cli_attr_engine(c->s->engine, c->o, FNL_CONVERSION_DEAL_WON, c->cur,
                         &c->attr, &c->js);
    if (rc == FNL_ECANCELED)
        return -1;
    if (rc != FNL_OK || c->js.conversions == 0) {
        if (rc != FNL_OK)
            lib_note(c, "attribution", rc, c->s->engine);
        else
            note(c, "attribution: no won deal has touches in its window");
        cli_attr_free(&c->attr);
        return 0;
    }
    c->have_attr = 1;
    {
        cli_table *t = cli_attr_table(&c->attr);
        char title[120];
        snprintf(buf, sizeof(buf), "journeys: %llu won deals, %llu "
                 "non-converting (lost deals, touched accounts and contacts "
                 "on no deal), %llu touches; %llu won deals without touches "
                 "in their window left out; value in major units",
                 (unsigned long long)c->js.conversions,
                 (unsigned long long)c->js.nonconverting,
                 (unsigned long long)c->js.touches,
                 (unsigned long long)c->js.untouched);
        snprintf(title, sizeof(title), "Attribution by %s", c->o->by);
        free(t->title);
        t->title = cli_xstrdup(title);
        cli_table_note(t, buf);
        add_table(c, t);
        c->r->attribution = t;
        c->r->attr = &c->attr;
    }
    if (c->js.other_currency) {
        snprintf(buf, sizeof(buf), "attribution: %llu deals not in %s left "
                 "out", (unsigned long long)c->js.other_currency, c->cur);
        note(c, buf);
    }
    return 0;
}

/* ---- ROI by channel: fnl_report_roi over the attribution ---------------- */

static int sec_roi(rctx *c)
{
    fnl_roi_request q = FNL_ROI_REQUEST_INIT;
    fnl_report *rep = NULL;
    const fnl_attribution *res = NULL;
    const char *model = c->o->roi_model ? c->o->roi_model : "linear";
    static const char *const skip[] = {
        "leads", "mqls", "sqls", "cost_per_lead", "cost_per_mql",
        "cost_per_sql", "lead_to_mql", "mql_to_sql", "sql_to_opportunity",
        "mql_to_customer", "revenue_to_cost", NULL};
    uint32_t mid;
    int rc;
    char buf[300];
    if (c->st.costs == 0)
        return 0;
    if (c->have_attr && fnl_attr_model_parse(model, &mid) == FNL_OK) {
        for (size_t m = 0; m < c->attr.nmodels; m++)
            if (c->attr.models[m] == mid)
                res = c->attr.res[m];
        if (res == NULL) {
            snprintf(buf, sizeof(buf), "ROI: --roi-model %s is not among the "
                     "attribution models; using %s", model, c->attr.names[0]);
            note(c, buf);
            res = c->attr.res[0];
            mid = c->attr.models[0];
        }
        model = fnl_attr_model_name(mid);
        /* pipeline: the same model over created deals */
        {
            cli_attr_set p;
            fnl_engine_attribution_stats pst;
            memset(&p, 0, sizeof(p));
            p.nmodels = 1;
            p.models = &mid;
            p.res = &c->pipeline;
            rc = cli_attr_engine(c->s->engine, c->o,
                                 FNL_CONVERSION_DEAL_CREATED, c->cur, &p,
                                 &pst);
            if (rc == FNL_ECANCELED)
                return -1;
            if (rc != FNL_OK) {
                lib_note(c, "pipeline attribution", rc, c->s->engine);
                fnl_attribution_free(c->pipeline);
                c->pipeline = NULL;
            }
        }
    }
    q.currency = c->cur;
    q.revenue = res;
    q.pipeline = c->pipeline;
    q.value_scale = pow(10, c->o->money_decimals);
    rc = fnl_report_roi(c->s->engine, &q, &rep);
    if (rc != FNL_OK) {
        lib_note(c, "ROI report", rc, c->s->engine);
        return 0;
    }
    {
        cli_table *t = cli_table_from_report(rep, "roi", "ROI by channel",
                                             "channel", skip);
        if (res == NULL) {
            /* no attribution: the value columns are unknown, not zero */
            for (size_t r = 0; r < t->nrows; r++)
                for (size_t k = 2; k < t->ncols; k++)
                    t->cells[r * t->ncols + k].type = CELL_NULL;
        }
        snprintf(buf, sizeof(buf), res ? "revenue: won-deal value credited "
                 "by the %s model; pipeline and opportunities: created deals "
                 "credited by it; ROI = (revenue - cost) / cost; ROAS = "
                 "revenue / cost; cost per customer = cost / credited won "
                 "deals (docs/roi.md)"
                 : "no attribution (needs touches and won deals): costs "
                   "only%s", res ? model : "");
        cli_table_note(t, buf);
        add_table(c, t);
        c->r->roi = t;
        c->r->roi_model = cli_xstrdup(res ? model : "");
    }
    fnl_report_free(rep);
    return 0;
}

/* ---- scores ------------------------------------------------------------- */

static int sec_scores(rctx *c)
{
    cli_table *t;
    if (c->st.contacts == 0 || c->s->model_name == NULL)
        return 0;
    t = cli_score_top(c->s, c->o->top >= 0 ? (size_t)c->o->top : 10);
    if (t)
        add_table(c, t);
    t = cli_score_cells(c->s);
    if (t)
        add_table(c, t);
    return cli_canceled() ? -1 : 0;
}

/* ---- lifecycle stages: the stage machine --------------------------------- */

static int sec_stages(rctx *c)
{
    cli_table *t;
    int failed = 0;
    if (c->s->machine == NULL || c->st.contacts == 0)
        return 0;
    t = cli_stage_table(c->s, &failed);
    if (t == NULL)
        return failed ? -3 : cli_canceled() ? -1 : 0;
    if (c->s->stage_mismatches) {
        /* the counts are the stored machine's, the names would be ours */
        char buf[400];
        snprintf(buf, sizeof(buf), "stages: left out: the stage machine "
                 "--store %s holds is not the one given to this run (%s): "
                 "%llu contacts are in stages it names otherwise; pass the "
                 "--stages file the store was imported with",
                 c->o->store ? c->o->store : "", c->s->machine_source,
                 (unsigned long long)c->s->stage_mismatches);
        note(c, buf);
        cli_table_free(t);
        return 0;
    }
    add_table(c, t);
    c->r->lifecycle = t;
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
    {"stages", sec_stages},
    {"deals", sec_deals},
    {"cohorts", sec_cohorts},
    {"time_to_convert", sec_time_to_convert},
    {"attribution", sec_attribution},
    {"roi", sec_roi},
    {"scores", sec_scores},
    {NULL, NULL}};

/* ---- rendering ---------------------------------------------------------- */

/* A one-row table as a JSON object (its opening and closing braces not
 * written when open_only: the caller adds members). */
static void row_object(const cli_table *t, cli_buf *b, int open_only)
{
    cli_buf json = {0};
    char *o, *e;
    cli_table_json(t, &json);
    o = strchr(json.p, '{');
    e = strrchr(json.p, '}');
    if (o && e)
        cli_buf_add(b, o, (size_t)(e - o) + (open_only ? 0 : 1));
    else
        cli_buf_puts(b, open_only ? "{" : "{}");
    cli_buf_free(&json);
}

static void render_json(rctx *c, FILE *out)
{
    cli_buf b = {0};
    cli_buf_puts(&b, "{\"title\": ");
    cli_buf_json_str(&b, c->r->title);
    cli_buf_printf(&b, ", \"version\": \"%s\", \"currency\": ", fnl_version());
    cli_buf_json_str(&b, c->r->currency);
    cli_buf_printf(&b, ", \"money_decimals\": %d, \"as_of\": ",
                   c->r->money_decimals);
    {
        char t[32];
        cli_fmt_time(c->now, t);
        cli_buf_json_str(&b, t);
    }
    cli_buf_puts(&b, ",\n \"scoring_model\": ");
    if (c->s->model_name) {
        cli_buf_puts(&b, "{\"name\": ");
        cli_buf_json_str(&b, c->s->model_name);
        cli_buf_puts(&b, ", \"source\": ");
        cli_buf_json_str(&b, c->s->model_source);
        cli_buf_putc(&b, '}');
    } else {
        cli_buf_puts(&b, "null");
    }
    cli_buf_puts(&b, ",\n \"stage_machine\": ");
    if (c->s->machine) {
        cli_buf_puts(&b, "{\"name\": ");
        cli_buf_json_str(&b, fnl_machine_name(c->s->machine));
        cli_buf_printf(&b, ", \"version\": %u, \"source\": ",
                       (unsigned)fnl_machine_version(c->s->machine));
        cli_buf_json_str(&b, c->s->machine_source);
        cli_buf_printf(&b, ", \"stored\": %s}",
                       c->s->machine_stored ? "true" : "false");
    } else {
        cli_buf_puts(&b, "null");
    }
    cli_buf_puts(&b, ",\n \"inputs\": ");
    cli_import_json(c->s, &b);
    cli_buf_puts(&b, ",\n \"sections\": {");
    int first = 1;
    for (size_t i = 0; i < c->r->ntables; i++) {
        const cli_table *t = c->r->tables[i];
        if (t == c->r->attribution || t == c->r->curve)
            continue;
        cli_buf_puts(&b, first ? "\n  " : ",\n  ");
        first = 0;
        cli_buf_json_str(&b, t->name);
        cli_buf_puts(&b, ": ");
        if (t == c->r->deals) {
            row_object(t, &b, 0);
        } else if (t == c->r->ttc) {
            row_object(t, &b, 1);
            cli_buf_puts(&b, ",\n   \"curve\": ");
            if (c->r->curve)
                cli_table_json(c->r->curve, &b);
            else
                cli_buf_puts(&b, "[]");
            cli_buf_putc(&b, '}');
        } else {
            cli_table_json(t, &b);
        }
    }
    if (c->have_attr) {
        cli_buf_puts(&b, first ? "\n  " : ",\n  ");
        first = 0;
        cli_buf_puts(&b, "\"attribution\": {\"by\": ");
        cli_buf_json_str(&b, c->o->by);
        cli_buf_printf(&b, ", \"scope\": \"%s\", \"lookback_days\": ",
                       c->o->scope == FNL_SCOPE_CONTACT ? "contact"
                                                        : "account");
        if (c->o->lookback_ms < 0)
            cli_buf_puts(&b, "null");
        else
            cli_buf_num(&b, (double)c->o->lookback_ms / 86400000.0);
        cli_buf_printf(&b, ",\n   \"journeys\": {\"conversions\": %llu, "
                       "\"nonconverting\": %llu, \"touches\": %llu, "
                       "\"untouched\": %llu, \"untouched_value\": %lld, "
                       "\"other_currency\": %llu},\n   \"results\": [",
                       (unsigned long long)c->js.conversions,
                       (unsigned long long)c->js.nonconverting,
                       (unsigned long long)c->js.touches,
                       (unsigned long long)c->js.untouched,
                       (long long)c->js.untouched_value,
                       (unsigned long long)c->js.other_currency);
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
    for (size_t i = 0; i < c->r->ntables; i++) {
        const cli_table *t = c->r->tables[i];
        /* the curve has a row per distinct day: JSON, CSV and HTML show it */
        if (t == c->r->curve)
            continue;
        cli_table_text(t, out, c->r->money_decimals);
    }
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
    fnl_engine_now(s.engine, &c.now);
    cli_deal_currency(s.engine, o, c.cur);
    snprintf(rep.currency, 4, "%s", c.cur);
    {
        int gc = group_dims(&c, code == CLI_EXIT_OK);
        if (gc != CLI_EXIT_OK) {
            code = gc;
            goto done;
        }
    }
    if (c.st.contacts > 0) {
        int sc = cli_scoring_attach(&s);
        if (sc != CLI_EXIT_OK) {
            code = sc;
            goto done;
        }
    }
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
        if (rc == -3 || c.oom) { /* a library error, printed */
            code = CLI_EXIT_DATA;
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
    group_dims_free(&c);
    if (c.have_attr)
        cli_attr_free(&c.attr);
    fnl_attribution_free(c.pipeline);
    cli_session_close(&s);
    return code;
}
