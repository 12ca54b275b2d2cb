/*
 * main.c -- `funnelcore`: options, subcommands, exit codes.
 *
 * Options may come before or after the subcommand; every input option
 * (--touches, --deals, --map, ...) works with every subcommand that reads
 * data, so one invocation imports and then answers.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* Subcommands an option applies to. */
enum {
    C_IMPORT = 1, C_ATTR = 2, C_SHOW = 4, C_STATS = 8, C_REPORT = 16,
    C_SCORE = 32,
    C_DATA = C_IMPORT | C_ATTR | C_SHOW | C_STATS | C_REPORT | C_SCORE,
    /* the commands that can run a stage machine */
    C_STAGED = C_IMPORT | C_SHOW | C_REPORT | C_SCORE
};

typedef struct cmd {
    const char *name;
    int bit;
    int (*run)(const cli_opts *);
} cmd;

static const cmd cmds[] = {
    {"import", C_IMPORT, cli_cmd_import},
    {"attribute", C_ATTR, cli_cmd_attribute},
    {"show", C_SHOW, cli_cmd_show},
    {"stats", C_STATS, cli_cmd_stats},
    {"report", C_REPORT, cli_cmd_report},
    {"score", C_SCORE, cli_cmd_score},
    {NULL, 0, NULL}};

enum {
    O_FORMAT, O_OUTPUT, O_QUIET, O_HTML, O_STORE, O_TOUCHES, O_CONTACTS,
    O_DEALS, O_COSTS, O_ACCOUNTS, O_MAP, O_VALUES, O_JOIN, O_DATE_FORMAT,
    O_AMOUNT_SCALE, O_AMOUNT_DECIMALS, O_CURRENCY, O_STRICT, O_NOW,
    O_COUNTRY, O_KEYS, O_PATHS, O_MODEL, O_ORDER, O_VALUE_DECIMALS,
    O_SEPARATOR, O_BY, O_GROUP_BY, O_ROI_MODEL, O_TITLE, O_MODELS,
    O_SCORING_MODEL, O_SCOPE, O_LOOKBACK, O_CONVERSION, O_TOP,
    O_COHORT_PERIOD, O_STAGES, O_NO_STAGES, O_EVENTS
};

typedef struct opt {
    const char *name;
    char short_name;
    int id, has_arg, cmds;
} opt;

static const opt opts_table[] = {
    {"format", 'f', O_FORMAT, 1, C_DATA},
    {"output", 'o', O_OUTPUT, 1,
     C_ATTR | C_SHOW | C_STATS | C_REPORT | C_SCORE},
    {"quiet", 'q', O_QUIET, 0, C_DATA},
    {"html", 0, O_HTML, 1, C_REPORT},
    {"store", 0, O_STORE, 1, C_DATA},
    {"touches", 0, O_TOUCHES, 1, C_DATA},
    {"contacts", 0, O_CONTACTS, 1, C_DATA},
    {"deals", 0, O_DEALS, 1, C_DATA},
    {"costs", 0, O_COSTS, 1, C_DATA},
    {"accounts", 0, O_ACCOUNTS, 1, C_DATA},
    {"map", 0, O_MAP, 1, C_DATA},
    {"values", 0, O_VALUES, 1, C_DATA},
    {"join", 0, O_JOIN, 1, C_DATA},
    {"date-format", 0, O_DATE_FORMAT, 1, C_DATA},
    {"amount-scale", 0, O_AMOUNT_SCALE, 1, C_DATA},
    {"amount-decimals", 0, O_AMOUNT_DECIMALS, 1, C_DATA},
    {"currency", 0, O_CURRENCY, 1, C_DATA},
    {"strict", 0, O_STRICT, 0, C_DATA},
    {"now", 0, O_NOW, 1, C_DATA},
    {"country-code", 0, O_COUNTRY, 1, C_DATA},
    {"key-columns", 0, O_KEYS, 1, C_DATA},
    {"paths", 0, O_PATHS, 1, C_ATTR},
    /* --model: attribution models when every item names one, else a
     * scoring-model file (resolved in resolve_model()) */
    {"model", 0, O_MODEL, 1, C_ATTR | C_REPORT | C_SHOW | C_SCORE},
    {"models", 'm', O_MODELS, 1, C_ATTR | C_REPORT},
    {"scoring-model", 0, O_SCORING_MODEL, 1, C_REPORT | C_SHOW | C_SCORE},
    {"order", 0, O_ORDER, 1, C_ATTR | C_REPORT},
    {"value-decimals", 0, O_VALUE_DECIMALS, 1, C_ATTR},
    {"separator", 0, O_SEPARATOR, 1, C_ATTR},
    {"by", 0, O_BY, 1, C_ATTR | C_REPORT},
    {"scope", 0, O_SCOPE, 1, C_ATTR | C_REPORT},
    {"lookback", 0, O_LOOKBACK, 1, C_ATTR | C_REPORT},
    {"conversion", 0, O_CONVERSION, 1, C_ATTR},
    {"group-by", 0, O_GROUP_BY, 1, C_REPORT},
    {"roi-model", 0, O_ROI_MODEL, 1, C_REPORT},
    {"title", 0, O_TITLE, 1, C_REPORT},
    {"top", 0, O_TOP, 1, C_REPORT | C_SCORE},
    {"cohort-period", 0, O_COHORT_PERIOD, 1, C_REPORT},
    {"stages", 0, O_STAGES, 1, C_STAGED},
    {"no-stages", 0, O_NO_STAGES, 0, C_STAGED},
    {"events", 0, O_EVENTS, 1, C_STAGED},
    {NULL, 0, 0, 0, 0}};

static int usage(const char *fmt, const char *arg)
{
    fputs("funnelcore: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs(" (see funnelcore --help)\n", stderr);
    return CLI_EXIT_USAGE;
}

static void add_input(cli_opts *o, int kind, const char *path)
{
    o->inputs = cli_xrealloc(o->inputs, (o->ninputs + 1) * sizeof(cli_input));
    o->inputs[o->ninputs].kind = kind;
    o->inputs[o->ninputs].path = path;
    o->ninputs++;
}

static void lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

/* --map field=column,field=column */
static int parse_map(cli_opts *o, const char *arg)
{
    char *copy = cli_xstrdup(arg), *save = NULL, *tok;
    for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (eq == NULL || eq == tok || eq[1] == 0) {
            int rc = usage("--map: '%s' is not FIELD=COLUMN", tok);
            free(copy);
            return rc;
        }
        *eq = 0;
        o->maps = cli_xrealloc(o->maps, (o->nmaps + 1) * sizeof(cli_pair));
        o->maps[o->nmaps].key = cli_xstrdup(cli_trim(tok));
        o->maps[o->nmaps].val = cli_xstrdup(cli_trim(eq + 1));
        lower(o->maps[o->nmaps].key);
        lower(o->maps[o->nmaps].val);
        o->nmaps++;
    }
    free(copy);
    return 0;
}

/* --values field:From=to,From=to */
static int parse_values(cli_opts *o, const char *arg)
{
    const char *colon = strchr(arg, ':');
    char *field, *copy, *save = NULL, *tok;
    if (colon == NULL || colon == arg)
        return usage("--values: '%s' is not FIELD:FROM=TO,...", arg);
    field = cli_xmalloc((size_t)(colon - arg) + 1);
    memcpy(field, arg, (size_t)(colon - arg));
    field[colon - arg] = 0;
    lower(cli_trim(field));
    copy = cli_xstrdup(colon + 1);
    for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (eq == NULL || eq == tok) {
            int rc = usage("--values: '%s' is not FROM=TO", tok);
            free(copy);
            free(field);
            return rc;
        }
        *eq = 0;
        o->values = cli_xrealloc(o->values,
                                 (o->nvalues + 1) * sizeof(cli_valmap));
        o->values[o->nvalues].field = cli_xstrdup(field);
        o->values[o->nvalues].from = cli_xstrdup(cli_trim(tok));
        o->values[o->nvalues].to = cli_xstrdup(cli_trim(eq + 1));
        o->nvalues++;
    }
    free(copy);
    free(field);
    return 0;
}

/* --join FILE:COLUMN or FILE:MAIN_COLUMN=JOIN_COLUMN */
static int parse_join(cli_opts *o, const char *arg)
{
    const char *colon = strrchr(arg, ':');
    cli_join *j;
    char *cols, *eq;
    if (colon == NULL || colon == arg || colon[1] == 0)
        return usage("--join: '%s' is not FILE:COLUMN", arg);
    o->joins = cli_xrealloc(o->joins, (o->njoins + 1) * sizeof(cli_join));
    j = &o->joins[o->njoins++];
    j->path = cli_xmalloc((size_t)(colon - arg) + 1);
    memcpy(j->path, arg, (size_t)(colon - arg));
    j->path[colon - arg] = 0;
    cols = cli_xstrdup(colon + 1);
    lower(cols);
    eq = strchr(cols, '=');
    if (eq != NULL) {
        *eq = 0;
        j->main_col = cli_xstrdup(cli_trim(cols));
        j->join_col = cli_xstrdup(cli_trim(eq + 1));
    } else {
        j->main_col = cli_xstrdup(cli_trim(cols));
        j->join_col = cli_xstrdup(j->main_col);
    }
    free(cols);
    return 0;
}

static int parse_int(const char *name, const char *arg, long lo, long hi,
                     long *out)
{
    char *end;
    long v;
    errno = 0;
    v = strtol(arg, &end, 10);
    if (errno || *end || end == arg || v < lo || v > hi) {
        char msg[128];
        snprintf(msg, sizeof(msg), "--%s: '%%s' must be a whole number in "
                 "%ld..%ld", name, lo, hi);
        return usage(msg, arg);
    }
    *out = v;
    return 0;
}

static int set_option(cli_opts *o, const opt *op, const char *arg)
{
    long v;
    switch (op->id) {
    case O_FORMAT:
        if (strcmp(arg, "text") == 0) o->format = FMT_TEXT;
        else if (strcmp(arg, "json") == 0) o->format = FMT_JSON;
        else if (strcmp(arg, "csv") == 0) o->format = FMT_CSV;
        else return usage("--format: '%s' is not text, json or csv", arg);
        break;
    case O_OUTPUT: o->output = arg; break;
    case O_QUIET: o->quiet = 1; break;
    case O_HTML: o->html = arg; break;
    case O_STORE: o->store = arg; break;
    case O_TOUCHES: add_input(o, KIND_TOUCHES, arg); break;
    case O_CONTACTS: add_input(o, KIND_CONTACTS, arg); break;
    case O_DEALS: add_input(o, KIND_DEALS, arg); break;
    case O_COSTS: add_input(o, KIND_COSTS, arg); break;
    case O_ACCOUNTS: add_input(o, KIND_ACCOUNTS, arg); break;
    case O_MAP: return parse_map(o, arg);
    case O_VALUES: return parse_values(o, arg);
    case O_JOIN: return parse_join(o, arg);
    case O_DATE_FORMAT: o->date_format = arg; break;
    case O_AMOUNT_SCALE: {
        int d = 0;
        if (parse_int("amount-scale", arg, 1, 1000000000, &v))
            return CLI_EXIT_USAGE;
        for (long s = v; s > 1; s /= 10, d++)
            if (s % 10 != 0)
                return usage("--amount-scale: '%s' is not a power of ten",
                             arg);
        o->amount_scale = v;
        o->money_decimals = d;
        break;
    }
    case O_AMOUNT_DECIMALS:
        if (parse_int("amount-decimals", arg, 0, 9, &v))
            return CLI_EXIT_USAGE;
        o->money_decimals = (int)v;
        o->amount_scale = 1;
        while (v-- > 0)
            o->amount_scale *= 10;
        break;
    case O_CURRENCY: o->currency = arg; break;
    case O_STRICT: o->strict = 1; break;
    case O_NOW: {
        int64_t t;
        if (cli_parse_time(arg, NULL, &t, NULL) != 0)
            return usage("--now: '%s' is not an ISO 8601 date or epoch ms",
                         arg);
        o->now = t;
        break;
    }
    case O_COUNTRY: o->default_country_code = arg; break;
    case O_KEYS: {
        char *copy = cli_xstrdup(arg), *save = NULL, *tok;
        for (tok = strtok_r(copy, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save)) {
            o->key_columns = cli_xrealloc(o->key_columns,
                                          (o->nkey_columns + 1) * sizeof(char *));
            o->key_columns[o->nkey_columns] = cli_xstrdup(cli_trim(tok));
            lower(o->key_columns[o->nkey_columns++]);
        }
        free(copy);
        break;
    }
    case O_PATHS: o->paths = arg; break;
    case O_MODEL: o->model_arg = arg; break;
    case O_MODELS:
        free(o->models);
        o->models = cli_xstrdup(arg);
        break;
    case O_SCORING_MODEL: o->scoring_model = arg; break;
    case O_SCOPE:
        if (strcmp(arg, "account") == 0) o->scope = FNL_SCOPE_ACCOUNT;
        else if (strcmp(arg, "contact") == 0) o->scope = FNL_SCOPE_CONTACT;
        else return usage("--scope: '%s' is not account or contact", arg);
        break;
    case O_LOOKBACK:
        if (strcmp(arg, "unlimited") == 0) {
            o->lookback_ms = FNL_LOOKBACK_UNLIMITED;
            break;
        }
        if (parse_int("lookback", arg, 0, 36500, &v))
            return CLI_EXIT_USAGE;
        o->lookback_ms = (int64_t)v * 86400000;
        break;
    case O_CONVERSION:
        if (strcmp(arg, "won") == 0)
            o->conversion = FNL_CONVERSION_DEAL_WON;
        else if (strcmp(arg, "created") == 0)
            o->conversion = FNL_CONVERSION_DEAL_CREATED;
        else
            return usage("--conversion: '%s' is not won or created", arg);
        break;
    case O_TOP:
        if (parse_int("top", arg, 0, 1000000, &v))
            return CLI_EXIT_USAGE;
        o->top = v;
        break;
    case O_COHORT_PERIOD:
        if (strcmp(arg, "week") == 0) o->cohort_period = FNL_PERIOD_WEEK;
        else if (strcmp(arg, "month") == 0) o->cohort_period = FNL_PERIOD_MONTH;
        else if (strcmp(arg, "quarter") == 0)
            o->cohort_period = FNL_PERIOD_QUARTER;
        else if (strcmp(arg, "year") == 0) o->cohort_period = FNL_PERIOD_YEAR;
        else return usage("--cohort-period: '%s' is not week, month, quarter "
                          "or year", arg);
        break;
    case O_STAGES: o->stages = arg; break;
    case O_NO_STAGES: o->no_stages = 1; break;
    case O_EVENTS: add_input(o, KIND_EVENTS, arg); break;
    case O_ORDER:
        if (parse_int("order", arg, 1, FNL_ATTR_MAX_ORDER, &v))
            return CLI_EXIT_USAGE;
        o->order = (int)v;
        break;
    case O_VALUE_DECIMALS:
        if (parse_int("value-decimals", arg, 0, 9, &v))
            return CLI_EXIT_USAGE;
        o->value_decimals = (int)v;
        break;
    case O_SEPARATOR:
        if (strlen(arg) != 1)
            return usage("--separator: '%s' must be one character", arg);
        o->separator = arg[0];
        break;
    case O_BY: {
        uint32_t g;
        const char *attr;
        if (cli_parse_by(arg, &g, &attr) != 0)
            return usage("--by: '%s' is not channel, campaign, content, "
                         "type, utm_source, utm_medium, utm_campaign, "
                         "channel_campaign, owner, contact:ATTR or "
                         "account:ATTR", arg);
        o->by = arg;
        break;
    }
    case O_GROUP_BY:
        free(o->group_by);
        o->group_by = cli_xstrdup(arg);
        break;
    case O_ROI_MODEL: o->roi_model = arg; break;
    case O_TITLE: o->title = arg; break;
    }
    return 0;
}

/* Is every item of the list an attribution model name (or alias)? */
static int all_attribution_models(const char *list)
{
    static const char *const aliases[] = {
        "first_touch", "last_touch", "u", "position_based", "w", "z",
        "full_path", "j", "removal", NULL};
    char *copy = cli_xstrdup(list), *save = NULL, *tok;
    int all = 1, any = 0;
    for (tok = strtok_r(copy, ",", &save); tok && all;
         tok = strtok_r(NULL, ",", &save)) {
        const char *name = cli_trim(tok);
        uint32_t m;
        int ok = 0;
        if (*name == 0)
            continue;
        any = 1;
        if (fnl_attr_model_parse(name, &m) == FNL_OK)
            ok = 1;
        for (int i = 0; !ok && aliases[i]; i++)
            if (cli_strieq(name, aliases[i]))
                ok = 1;
        all = ok;
    }
    free(copy);
    return all && any;
}

/*
 * --model V: for `attribute`, always attribution models (the interface of
 * DESIGN.md section 7).  Elsewhere: attribution models when every item of
 * V names one, else the scoring-model file V (show and score only take a
 * file).  --models / -m and --scoring-model are the unambiguous spellings.
 */
static int resolve_model(cli_opts *o, const char *cmdname)
{
    const char *v = o->model_arg;
    int attr_ok = strcmp(cmdname, "attribute") == 0 ||
                  strcmp(cmdname, "report") == 0;
    if (v == NULL)
        return 0;
    if (strcmp(cmdname, "attribute") == 0 ||
        (attr_ok && all_attribution_models(v))) {
        free(o->models);
        o->models = cli_xstrdup(v);
        return 0;
    }
    if (o->scoring_model != NULL)
        return usage("--model %s: a scoring model is given twice "
                     "(--scoring-model)", v);
    if (access(v, R_OK) != 0) {
        if (attr_ok)
            return usage("--model '%s': neither attribution models (first, "
                         "last, linear, u_shaped, markov, shapley, ...) nor a "
                         "readable scoring-model file", v);
        return usage("--model '%s': no readable scoring-model file", v);
    }
    o->scoring_model = v;
    return 0;
}

static void opts_free(cli_opts *o)
{
    for (size_t i = 0; i < o->nmaps; i++) {
        free(o->maps[i].key);
        free(o->maps[i].val);
    }
    for (size_t i = 0; i < o->nvalues; i++) {
        free(o->values[i].field);
        free(o->values[i].from);
        free(o->values[i].to);
    }
    for (size_t i = 0; i < o->njoins; i++) {
        free(o->joins[i].path);
        free(o->joins[i].main_col);
        free(o->joins[i].join_col);
    }
    for (size_t i = 0; i < o->nkey_columns; i++)
        free(o->key_columns[i]);
    free(o->key_columns);
    free(o->maps);
    free(o->values);
    free(o->joins);
    free(o->inputs);
    free(o->models);
    free(o->group_by);
    free(o->args);
}

int main(int argc, char **argv)
{
    cli_opts o;
    const cmd *c = NULL;
    int code, want_help = 0;

    memset(&o, 0, sizeof(o));
    o.amount_scale = 100;
    o.money_decimals = 2;
    o.currency = "USD";
    o.now = INT64_MIN;
    o.order = 1;
    o.value_decimals = 2;
    o.by = "channel";
    o.scope = FNL_SCOPE_ACCOUNT;
    o.lookback_ms = FNL_LOOKBACK_DEFAULT;
    o.conversion = FNL_CONVERSION_DEAL_WON;
    o.cohort_period = FNL_PERIOD_MONTH;
    o.top = -1;
    o.args = cli_xmalloc((size_t)argc * sizeof(char *));

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const opt *op = NULL;
        const char *val = NULL;
        if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
            printf("funnelcore %s\n", fnl_version());
            opts_free(&o);
            return CLI_EXIT_OK;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            want_help = 1;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            for (i++; i < argc; i++)
                o.args[o.nargs++] = argv[i];
            break;
        }
        if (a[0] == '-' && a[1] == '-') {
            const char *name = a + 2;
            size_t n = strcspn(name, "=");
            for (const opt *p = opts_table; p->name; p++)
                if (strlen(p->name) == n && strncmp(p->name, name, n) == 0)
                    op = p;
            if (op == NULL) {
                opts_free(&o);
                return usage("unknown option '%s'", a);
            }
            if (name[n] == '=')
                val = name + n + 1;
        } else if (a[0] == '-' && a[1] != 0 && a[2] == 0) {
            for (const opt *p = opts_table; p->name; p++)
                if (p->short_name == a[1])
                    op = p;
            if (op == NULL) {
                opts_free(&o);
                return usage("unknown option '%s'", a);
            }
        } else if (o.cmd == NULL) {
            o.cmd = a;
            continue;
        } else {
            o.args[o.nargs++] = argv[i];
            continue;
        }
        if (op->has_arg && val == NULL) {
            if (i + 1 >= argc) {
                opts_free(&o);
                return usage("option '%s' needs a value", a);
            }
            val = argv[++i];
        } else if (!op->has_arg && val != NULL) {
            opts_free(&o);
            return usage("option '%s' takes no value", a);
        }
        if (c == NULL && o.cmd != NULL)
            for (const cmd *k = cmds; k->name; k++)
                if (strcmp(k->name, o.cmd) == 0)
                    c = k;
        if (c != NULL && !(op->cmds & c->bit)) {
            char msg[160];
            snprintf(msg, sizeof(msg), "option '%%s' does not apply to '%s'",
                     c->name);
            opts_free(&o);
            return usage(msg, a);
        }
        if ((code = set_option(&o, op, val)) != 0) {
            opts_free(&o);
            return code;
        }
    }
    if (o.cmd == NULL) {
        if (want_help) {
            cli_help_main(stdout);
            opts_free(&o);
            return CLI_EXIT_OK;
        }
        cli_help_main(stderr);
        opts_free(&o);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(o.cmd, "help") == 0) {
        if (o.nargs == 0) {
            cli_help_main(stdout);
            code = CLI_EXIT_OK;
        } else if (cli_help_cmd(o.args[0], stdout) == 0) {
            code = CLI_EXIT_OK;
        } else {
            code = usage("help: no command '%s'", o.args[0]);
        }
        opts_free(&o);
        return code;
    }
    c = NULL;
    for (const cmd *k = cmds; k->name; k++)
        if (strcmp(k->name, o.cmd) == 0)
            c = k;
    if (c == NULL) {
        code = usage("unknown command '%s'", o.cmd);
        opts_free(&o);
        return code;
    }
    if (want_help) {
        cli_help_cmd(c->name, stdout);
        opts_free(&o);
        return CLI_EXIT_OK;
    }
    if ((code = resolve_model(&o, c->name)) != 0) {
        opts_free(&o);
        return code;
    }
    if (o.no_stages && o.stages != NULL) {
        code = usage("--no-stages and --stages %s contradict each other",
                     o.stages);
        opts_free(&o);
        return code;
    }
    for (size_t i = 0; o.no_stages && i < o.ninputs; i++)
        if (o.inputs[i].kind == KIND_EVENTS) {
            code = usage("--events %s: host events need a stage machine "
                         "(drop --no-stages)", o.inputs[i].path);
            opts_free(&o);
            return code;
        }
    /* options given before the subcommand were not checked against it */
    cli_progress_set_quiet(o.quiet);
    cli_signals_install();
    code = c->run(&o);
    if (cli_canceled()) {
        fprintf(stderr, "funnelcore: interrupted\n");
        code = CLI_EXIT_CANCEL;
    }
    opts_free(&o);
    return code;
}
