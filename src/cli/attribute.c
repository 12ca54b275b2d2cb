/*
 * attribute.c -- `funnelcore attribute`: attribution over a
 * ChannelAttribution paths file (--paths) or over the engine's journeys
 * (fnl_engine_attribution_partial: deals, buying groups, lookback), one or
 * several models side by side.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define ATTR_CHUNK 20000

/* Names accepted besides the library's own (fnl_attr_model_parse). */
static const struct {
    const char *alias, *name;
} aliases[] = {
    {"first_touch", "first"},   {"last_touch", "last"},
    {"u", "u_shaped"},          {"position_based", "u_shaped"},
    {"w", "w_shaped"},          {"z", "z_shaped"},
    {"full_path", "z_shaped"},  {"j", "j_shaped"},
    {"removal", "markov"},      {NULL, NULL}};

int cli_parse_models(const char *list, cli_attr_set *set)
{
    char *copy = cli_xstrdup(list), *save = NULL, *tok;
    memset(set, 0, sizeof(*set));
    for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        const char *name = cli_trim(tok);
        uint32_t m;
        for (int i = 0; aliases[i].alias; i++)
            if (cli_strieq(name, aliases[i].alias))
                name = aliases[i].name;
        if (*name == 0)
            continue;
        if (fnl_attr_model_parse(name, &m) != FNL_OK) {
            cli_err("unknown model '%s' (models: first, last, "
                    "last_non_direct, linear, time_decay, u_shaped, w_shaped, "
                    "z_shaped, j_shaped, inverse_j, custom, markov, shapley, "
                    "shapley_ordered)", name);
            free(copy);
            cli_attr_free(set);
            return -1;
        }
        set->models = cli_xrealloc(set->models,
                                   (set->nmodels + 1) * sizeof(uint32_t));
        set->names = cli_xrealloc(set->names,
                                  (set->nmodels + 1) * sizeof(char *));
        set->models[set->nmodels] = m;
        set->names[set->nmodels] = cli_xstrdup(fnl_attr_model_name(m));
        set->nmodels++;
    }
    free(copy);
    if (set->nmodels == 0) {
        cli_err("--model: no model given");
        return -1;
    }
    set->res = cli_xmalloc(set->nmodels * sizeof(fnl_attribution *));
    memset(set->res, 0, set->nmodels * sizeof(fnl_attribution *));
    return 0;
}

void cli_attr_free(cli_attr_set *set)
{
    for (size_t i = 0; i < set->nmodels; i++) {
        if (set->res)
            fnl_attribution_free(set->res[i]);
        free(set->names[i]);
    }
    free(set->res);
    free(set->names);
    free(set->models);
    memset(set, 0, sizeof(*set));
}

int cli_attr_run(cli_attr_set *set, const fnl_journeys *j, int order,
                 int decimals)
{
    fnl_attribution_options opts = FNL_ATTRIBUTION_OPTIONS_INIT;
    fnl_attribution_partial *p = NULL;
    size_t n = fnl_journeys_count(j);
    int rc, time_decay = 0;
    opts.models = 0;
    for (size_t i = 0; i < set->nmodels; i++) {
        opts.models |= FNL_ATTR_BIT(set->models[i]);
        if (set->models[i] == FNL_ATTR_TIME_DECAY)
            time_decay = 1;
    }
    opts.markov_order = (uint32_t)(order > 0 ? order : 1);
    opts.value_decimals = (uint32_t)decimals;
    (void)time_decay;
    rc = fnl_attribution_partial_new(&p, &opts);
    if (rc != FNL_OK)
        return rc;
    /* accumulate in chunks: progress, and SIGINT between chunks */
    cli_progress_begin("attribution", n);
    for (size_t first = 0; first < n; first += ATTR_CHUNK) {
        size_t cnt = n - first < ATTR_CHUNK ? n - first : ATTR_CHUNK;
        if (cli_canceled()) {
            rc = FNL_ECANCELED;
            goto out;
        }
        rc = fnl_attribution_partial_add(p, j, first, cnt);
        if (rc != FNL_OK)
            goto out;
        cli_progress_update(first + cnt);
    }
    for (size_t i = 0; i < set->nmodels; i++) {
        if (cli_canceled()) {
            rc = FNL_ECANCELED;
            goto out;
        }
        rc = fnl_attribution_partial_finish(p, set->models[i], &set->res[i]);
        if (rc != FNL_OK)
            goto out;
    }
    rc = FNL_OK;
out:
    cli_progress_end();
    fnl_attribution_partial_free(p);
    return rc;
}

/* n x 10^e as exact decimal text ("0.833333333", "150", "-0.5"). */
static void fmt_scaled(cli_buf *b, long long n, int e)
{
    char digits[32];
    unsigned long long u = n < 0 ? 0ULL - (unsigned long long)n
                                 : (unsigned long long)n;
    int len, point;
    if (u == 0) {
        cli_buf_putc(b, '0');
        return;
    }
    if (n < 0)
        cli_buf_putc(b, '-');
    if (e >= 0) {
        cli_buf_printf(b, "%llu", u);
        while (e-- > 0)
            cli_buf_putc(b, '0');
        return;
    }
    len = snprintf(digits, sizeof(digits), "%llu", u);
    /* strip trailing zeros of the fraction */
    while (e < 0 && len > 0 && digits[len - 1] == '0')
        digits[--len] = 0, e++;
    if (e >= 0) {
        cli_buf_puts(b, digits);
        while (e-- > 0)
            cli_buf_putc(b, '0');
        return;
    }
    point = len + e; /* digits before the point */
    if (point <= 0) {
        cli_buf_puts(b, "0.");
        for (int i = 0; i < -point; i++)
            cli_buf_putc(b, '0');
        cli_buf_puts(b, digits);
    } else {
        cli_buf_add(b, digits, (size_t)point);
        cli_buf_putc(b, '.');
        cli_buf_puts(b, digits + point);
    }
}

void cli_attr_quantise(const fnl_attribution *r, int which, cli_buf *out)
{
    fnl_attribution_info info = FNL_ATTRIBUTION_INFO_INIT;
    size_t n = fnl_attribution_row_count(r), big = 0;
    double *x = cli_xmalloc((n + 1) * sizeof(double)), m = 0, q;
    long long *k = cli_xmalloc((n + 1) * sizeof(long long)), sum = 0;
    int e;
    fnl_attribution_get_info(r, &info);
    for (size_t i = 0; i < n; i++) {
        fnl_attribution_row row = FNL_ATTRIBUTION_ROW_INIT;
        fnl_attribution_row_get(r, i, &row);
        x[i] = which ? row.value : row.conversions;
    }
    x[n] = which ? info.total_value : info.total_conversions;
    for (size_t i = 0; i <= n; i++) {
        if (!isfinite(x[i]))
            x[i] = 0;
        if (fabs(x[i]) > m)
            m = fabs(x[i]);
    }
    /* 10 significant digits of the largest number, at most 9 decimals */
    e = m > 0 ? (int)floor(log10(m)) - 9 : -9;
    if (e < -9)
        e = -9;
    q = pow(10, e);
    if (m / q > 9e17) /* cannot happen with the library's limits */
        e = 0, q = 1;
    for (size_t i = 0; i <= n; i++)
        k[i] = llround(x[i] / q);
    for (size_t i = 0; i < n; i++) {
        sum += k[i];
        if (llabs(k[i]) > llabs(k[big]))
            big = i;
    }
    if (n > 0)
        k[big] += k[n] - sum; /* the rounding residue */
    for (size_t i = 0; i <= n; i++) {
        out[i] = (cli_buf){0};
        fmt_scaled(&out[i], k[i], e);
    }
    free(x);
    free(k);
}

void cli_attr_json(const char *model, const fnl_attribution *r, cli_buf *b)
{
    size_t n = fnl_attribution_row_count(r);
    cli_buf *conv = cli_xmalloc((n + 1) * sizeof(cli_buf));
    cli_buf *val = cli_xmalloc((n + 1) * sizeof(cli_buf));
    cli_attr_quantise(r, 0, conv);
    cli_attr_quantise(r, 1, val);
    cli_buf_puts(b, "{\"model\": ");
    cli_buf_json_str(b, model);
    cli_buf_puts(b, ", \"total_conversions\": ");
    cli_buf_puts(b, conv[n].p);
    cli_buf_puts(b, ", \"total_value\": ");
    cli_buf_puts(b, val[n].p);
    cli_buf_puts(b, ", \"rows\": [");
    for (size_t i = 0; i < n; i++) {
        fnl_attribution_row row = FNL_ATTRIBUTION_ROW_INIT;
        fnl_attribution_row_get(r, i, &row);
        cli_buf_puts(b, i ? ", " : "");
        cli_buf_puts(b, "{\"key\": ");
        cli_buf_json_str(b, row.key);
        cli_buf_puts(b, ", \"conversions\": ");
        cli_buf_puts(b, conv[i].p);
        cli_buf_puts(b, ", \"value\": ");
        cli_buf_puts(b, val[i].p);
        cli_buf_putc(b, '}');
    }
    cli_buf_puts(b, "]}");
    for (size_t i = 0; i <= n; i++) {
        cli_buf_free(&conv[i]);
        cli_buf_free(&val[i]);
    }
    free(conv);
    free(val);
}

const char *cli_deal_currency(fnl_engine *e, const cli_opts *o, char cur[4])
{
    fnl_deal_id d = 0;
    snprintf(cur, 4, "%s", o->currency);
    if (fnl_deal_next(e, 0, &d) == FNL_OK) {
        fnl_deal_info di;
        memset(&di, 0, sizeof(di));
        di.size = sizeof(di);
        if (fnl_deal_get(e, d, &di) == FNL_OK && di.currency[0])
            snprintf(cur, 4, "%s", di.currency);
    }
    return cur;
}

int cli_parse_by(const char *by, uint32_t *group, const char **attr)
{
    static const struct {
        const char *name;
        uint32_t g;
    } names[] = {{"channel", FNL_GROUP_CHANNEL},
                 {"campaign", FNL_GROUP_CAMPAIGN},
                 {"content", FNL_GROUP_CONTENT},
                 {"type", FNL_GROUP_TYPE},
                 {"utm_source", FNL_GROUP_UTM_SOURCE},
                 {"utm_medium", FNL_GROUP_UTM_MEDIUM},
                 {"utm_campaign", FNL_GROUP_UTM_CAMPAIGN},
                 {"channel_campaign", FNL_GROUP_CHANNEL_CAMPAIGN},
                 {"owner", FNL_GROUP_OWNER},
                 {NULL, 0}};
    *attr = NULL;
    for (int i = 0; names[i].name; i++)
        if (strcmp(by, names[i].name) == 0) {
            *group = names[i].g;
            return 0;
        }
    if (strncmp(by, "contact:", 8) == 0 && by[8]) {
        *group = FNL_GROUP_CONTACT_ATTR;
        *attr = by + 8;
        return 0;
    }
    if (strncmp(by, "account:", 8) == 0 && by[8]) {
        *group = FNL_GROUP_ACCOUNT_ATTR;
        *attr = by + 8;
        return 0;
    }
    return -1;
}

int cli_attr_engine(fnl_engine *e, const cli_opts *o, uint32_t conversion,
                    const char *currency, cli_attr_set *set,
                    fnl_engine_attribution_stats *st)
{
    fnl_engine_attribution_options eo = FNL_ENGINE_ATTRIBUTION_OPTIONS_INIT;
    fnl_attribution_options ao = FNL_ATTRIBUTION_OPTIONS_INIT;
    fnl_attribution_partial *p = NULL;
    uint32_t group = FNL_GROUP_CHANNEL;
    const char *attr = NULL;
    int rc;
    if (cli_parse_by(o->by ? o->by : "channel", &group, &attr) != 0)
        return FNL_EINVAL;
    fnl_engine_attribution_stats_init(st, sizeof(*st));
    ao.models = 0;
    for (size_t i = 0; i < set->nmodels; i++)
        ao.models |= FNL_ATTR_BIT(set->models[i]);
    ao.markov_order = (uint32_t)(o->order > 0 ? o->order : 1);
    ao.value_decimals = (uint32_t)o->money_decimals;
    eo.conversion = conversion;
    eo.scope = (uint32_t)o->scope;
    eo.group_by = group;
    eo.group_attr = attr;
    eo.lookback_ms = o->lookback_ms;
    /* lost deals and touched units without a deal are the "null" paths of
     * Markov and Shapley; with created-deal conversions a lost deal is a
     * conversion */
    eo.nonconverting = FNL_NONCONV_NO_DEAL;
    if (conversion == FNL_CONVERSION_DEAL_WON)
        eo.nonconverting |= FNL_NONCONV_LOST_DEALS;
    eo.currency = currency;
    eo.attribution = &ao;
    cli_progress_begin("attribution", 0);
    rc = fnl_engine_attribution_partial(e, &eo, &p, st);
    for (size_t i = 0; rc == FNL_OK && i < set->nmodels; i++) {
        if (cli_canceled()) {
            rc = FNL_ECANCELED;
            break;
        }
        rc = fnl_attribution_partial_finish(p, set->models[i], &set->res[i]);
    }
    cli_progress_end();
    fnl_attribution_partial_free(p);
    if (rc == FNL_OK && cli_canceled())
        rc = FNL_ECANCELED;
    return rc;
}

/* Rows of all results merged by key (each result is sorted bytewise). */
cli_table *cli_attr_table(const cli_attr_set *set)
{
    size_t ncols = 1 + 2 * set->nmodels;
    char **names = cli_xmalloc(ncols * sizeof(char *));
    char **titles = cli_xmalloc(ncols * sizeof(char *));
    cli_table *t;
    size_t *pos = cli_xmalloc(set->nmodels * sizeof(size_t));
    cli_cell *tot;
    names[0] = cli_xstrdup("key");
    titles[0] = cli_xstrdup("key");
    for (size_t m = 0; m < set->nmodels; m++) {
        cli_buf b = {0};
        cli_buf_printf(&b, "%s_conversions", set->names[m]);
        names[1 + 2 * m] = b.p;
        b = (cli_buf){0};
        cli_buf_printf(&b, "%s_value", set->names[m]);
        names[2 + 2 * m] = b.p;
        b = (cli_buf){0};
        cli_buf_printf(&b, "%s conv", set->names[m]);
        titles[1 + 2 * m] = b.p;
        b = (cli_buf){0};
        cli_buf_printf(&b, "%s value", set->names[m]);
        titles[2 + 2 * m] = b.p;
        pos[m] = 0;
    }
    t = cli_table_new("attribution", "Attribution", ncols,
                      (const char *const *)names, (const char *const *)titles);
    for (size_t i = 0; i < ncols; i++) {
        free(names[i]);
        free(titles[i]);
    }
    free(names);
    free(titles);
    for (;;) {
        const char *next = NULL;
        cli_cell *row;
        for (size_t m = 0; m < set->nmodels; m++) {
            fnl_attribution_row r = FNL_ATTRIBUTION_ROW_INIT;
            if (pos[m] < fnl_attribution_row_count(set->res[m]) &&
                fnl_attribution_row_get(set->res[m], pos[m], &r) == FNL_OK &&
                (next == NULL || strcmp(r.key, next) < 0))
                next = r.key;
        }
        if (next == NULL)
            break;
        row = cli_table_row(t);
        cli_cell_str(&row[0], next);
        for (size_t m = 0; m < set->nmodels; m++) {
            fnl_attribution_row r = FNL_ATTRIBUTION_ROW_INIT;
            if (pos[m] < fnl_attribution_row_count(set->res[m]) &&
                fnl_attribution_row_get(set->res[m], pos[m], &r) == FNL_OK &&
                strcmp(r.key, row[0].s) == 0) {
                cli_cell_num(&row[1 + 2 * m], r.conversions);
                cli_cell_num(&row[2 + 2 * m], r.value);
                pos[m]++;
            } else {
                cli_cell_num(&row[1 + 2 * m], 0);
                cli_cell_num(&row[2 + 2 * m], 0);
            }
        }
    }
    tot = cli_table_row(t);
    cli_cell_str(&tot[0], "(total)");
    for (size_t m = 0; m < set->nmodels; m++) {
        fnl_attribution_info info = FNL_ATTRIBUTION_INFO_INIT;
        fnl_attribution_get_info(set->res[m], &info);
        cli_cell_num(&tot[1 + 2 * m], info.total_conversions);
        cli_cell_num(&tot[2 + 2 * m], info.total_value);
    }
    free(pos);
    return t;
}

static int load_paths(const cli_opts *o, fnl_journeys **j)
{
    fnl_paths_options po = FNL_PATHS_OPTIONS_INIT;
    fnl_paths_error pe = FNL_PATHS_ERROR_INIT;
    int rc;
    po.value_decimals = (uint32_t)o->value_decimals;
    if (o->separator)
        po.separator = o->separator;
    cli_progress_begin("read paths", 0);
    rc = fnl_paths_read(j, o->paths, &po, &pe);
    cli_progress_end();
    if (rc != FNL_OK) {
        if (pe.line > 0)
            fprintf(stderr, "%s:%llu:%llu: %s\n", o->paths,
                    (unsigned long long)pe.line,
                    (unsigned long long)(pe.column ? pe.column : 1),
                    pe.message[0] ? pe.message : fnl_strerror(rc));
        else if (rc == FNL_EIO && pe.message[0])
            /* the library's message names the file and the reason */
            fprintf(stderr, "%s\n", pe.message);
        else
            fprintf(stderr, "%s: %s%s%s\n", o->paths, fnl_strerror(rc),
                    pe.message[0] ? ": " : "", pe.message);
        return CLI_EXIT_DATA;
    }
    return CLI_EXIT_OK;
}

static void print_results(const cli_opts *o, cli_attr_set *set, FILE *out)
{
    if (o->format == FMT_JSON) {
        cli_buf b = {0};
        if (set->nmodels == 1) {
            cli_attr_json(set->names[0], set->res[0], &b);
        } else {
            cli_buf_puts(&b, "{\"results\": [");
            for (size_t m = 0; m < set->nmodels; m++) {
                cli_buf_puts(&b, m ? ",\n  " : "\n  ");
                cli_attr_json(set->names[m], set->res[m], &b);
            }
            cli_buf_puts(&b, "\n]}");
        }
        cli_buf_putc(&b, '\n');
        fwrite(b.p, 1, b.len, out);
        cli_buf_free(&b);
    } else if (o->format == FMT_CSV) {
        cli_buf b = {0};
        cli_buf_puts(&b, "model,key,conversions,value\n");
        for (size_t m = 0; m < set->nmodels; m++) {
            size_t n = fnl_attribution_row_count(set->res[m]);
            cli_buf *conv = cli_xmalloc((n + 1) * sizeof(cli_buf));
            cli_buf *val = cli_xmalloc((n + 1) * sizeof(cli_buf));
            cli_attr_quantise(set->res[m], 0, conv);
            cli_attr_quantise(set->res[m], 1, val);
            for (size_t i = 0; i < n; i++) {
                fnl_attribution_row r = FNL_ATTRIBUTION_ROW_INIT;
                fnl_attribution_row_get(set->res[m], i, &r);
                cli_buf_csv_field(&b, set->names[m]);
                cli_buf_putc(&b, ',');
                cli_buf_csv_field(&b, r.key);
                cli_buf_putc(&b, ',');
                cli_buf_puts(&b, conv[i].p);
                cli_buf_putc(&b, ',');
                cli_buf_puts(&b, val[i].p);
                cli_buf_putc(&b, '\n');
            }
            for (size_t i = 0; i <= n; i++) {
                cli_buf_free(&conv[i]);
                cli_buf_free(&val[i]);
            }
            free(conv);
            free(val);
        }
        fwrite(b.p, 1, b.len, out);
        cli_buf_free(&b);
    } else {
        cli_table *t = cli_attr_table(set);
        cli_table_text(t, out, 2);
        cli_table_free(t);
    }
}

int cli_cmd_attribute(const cli_opts *o)
{
    cli_attr_set set;
    fnl_journeys *j = NULL;
    cli_session s;
    int have_session = 0, rc, code = CLI_EXIT_OK;
    FILE *out = stdout;

    if (o->paths == NULL && o->ninputs == 0 && o->store == NULL) {
        cli_err("attribute: give --paths FILE, or --touches and --deals files "
                "(see funnelcore help attribute)");
        return CLI_EXIT_USAGE;
    }
    if (o->paths != NULL && o->ninputs > 0) {
        cli_err("attribute: --paths cannot be combined with --touches/--deals");
        return CLI_EXIT_USAGE;
    }
    if (o->order < 1 || o->order > FNL_ATTR_MAX_ORDER) {
        cli_err("--order must be 1..%d", FNL_ATTR_MAX_ORDER);
        return CLI_EXIT_USAGE;
    }
    if (cli_parse_models(o->models ? o->models : "first,last,linear,u_shaped,"
                         "markov,shapley", &set) != 0)
        return CLI_EXIT_USAGE;
    for (size_t m = 0; m < set.nmodels; m++)
        if (set.models[m] == FNL_ATTR_TIME_DECAY && o->paths != NULL) {
            cli_err("time_decay needs touch times; a paths file has none");
            cli_attr_free(&set);
            return CLI_EXIT_USAGE;
        }
    if (o->paths != NULL) {
        if ((code = load_paths(o, &j)) != CLI_EXIT_OK)
            goto done;
    } else {
        fnl_engine_attribution_stats st;
        char cur[4];
        int import_code;
        if ((code = cli_session_open(&s, o)) != CLI_EXIT_OK)
            goto done;
        have_session = 1;
        code = import_code = cli_import_all(&s);
        if (!o->quiet || code != CLI_EXIT_OK)
            cli_import_summary(&s, stderr);
        if (code == CLI_EXIT_CANCEL || s.stopped)
            goto done;
        rc = cli_attr_engine(s.engine, o, (uint32_t)o->conversion,
                             cli_deal_currency(s.engine, o, cur), &set, &st);
        if (rc == FNL_ECANCELED) {
            code = CLI_EXIT_CANCEL;
            goto done;
        }
        if (rc != FNL_OK) {
            cli_err("attribution: %s", *fnl_errmsg(s.engine)
                                           ? fnl_errmsg(s.engine)
                                           : fnl_strerror(rc));
            code = CLI_EXIT_DATA;
            goto done;
        }
        if (!o->quiet)
            fprintf(stderr, "journeys: %llu converting, %llu non-converting, "
                    "%llu touches; %llu conversions without touches in "
                    "their window left out\n",
                    (unsigned long long)st.conversions,
                    (unsigned long long)st.nonconverting,
                    (unsigned long long)st.touches,
                    (unsigned long long)st.untouched);
        if (!o->quiet && st.other_currency)
            fprintf(stderr, "journeys: %llu deals not in %s left out\n",
                    (unsigned long long)st.other_currency, cur);
        code = import_code;
        goto print;
    }
    rc = cli_attr_run(&set, j, o->order, o->value_decimals);
    if (rc == FNL_ECANCELED) {
        code = CLI_EXIT_CANCEL;
        goto done;
    }
    if (rc != FNL_OK) {
        cli_err("attribution: %s", fnl_strerror(rc));
        code = CLI_EXIT_DATA;
        goto done;
    }
print:
    if (o->output && (out = fopen(o->output, "w")) == NULL) {
        cli_err("%s: cannot write", o->output);
        code = CLI_EXIT_DATA;
        goto done;
    }
    print_results(o, &set, out);
    if (out != stdout)
        fclose(out);
done:
    if (cli_canceled())
        code = CLI_EXIT_CANCEL;
    fnl_journeys_free(j);
    cli_attr_free(&set);
    if (have_session)
        cli_session_close(&s);
    return code;
}

