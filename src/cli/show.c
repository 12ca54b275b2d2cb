/* show.c -- `import`, `stats` and `show contact KIND VALUE`. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static FILE *open_out(const cli_opts *o)
{
    FILE *f;
    if (o->output == NULL)
        return stdout;
    f = fopen(o->output, "w");
    if (f == NULL)
        cli_err("%s: cannot write", o->output);
    return f;
}

static void close_out(FILE *f)
{
    if (f != NULL && f != stdout)
        fclose(f);
}

/* Open a session and import; prints the summary (text) on stderr. */
static int load(cli_session *s, const cli_opts *o, int summary_to_stderr)
{
    int code = cli_session_open(s, o);
    if (code != CLI_EXIT_OK)
        return code;
    code = cli_import_all(s);
    if (summary_to_stderr && (!o->quiet || code != CLI_EXIT_OK))
        cli_import_summary(s, stderr);
    return code;
}

int cli_cmd_import(const cli_opts *o)
{
    cli_session s;
    int code;
    if (o->ninputs == 0) {
        cli_err("import: no input files (--touches, --contacts, --deals, "
                "--costs, --accounts)");
        return CLI_EXIT_USAGE;
    }
    code = load(&s, o, 0);
    if (s.engine == NULL)
        return code;
    /* a snapshot after a large import makes the next open a load instead
     * of a replay of every record */
    if (cli_session_persists(&s) && !s.canceled && s.nfiles > 0 &&
        fnl_engine_checkpoint(s.engine) != FNL_OK) {
        cli_err("--store %s: checkpoint failed: %s", o->store,
                fnl_errmsg(s.engine));
        code = CLI_EXIT_DATA;
    }
    if (o->format == FMT_JSON) {
        cli_buf b = {0};
        fnl_stats st = FNL_STATS_INIT;
        fnl_engine_stats(s.engine, &st);
        cli_buf_puts(&b, "{\"files\": ");
        cli_import_json(&s, &b);
        cli_buf_printf(&b, ",\n  \"errors\": %llu, \"stopped\": %s, "
                       "\"interrupted\": %s, \"contacts\": %llu, "
                       "\"accounts\": %llu, \"touches\": %llu, \"deals\": "
                       "%llu, \"costs\": %llu, \"persisted\": %s,\n  "
                       "\"stage_machine\": ",
                       (unsigned long long)s.errors,
                       s.stopped ? "true" : "false",
                       s.canceled ? "true" : "false",
                       (unsigned long long)st.contacts,
                       (unsigned long long)st.accounts,
                       (unsigned long long)st.touches,
                       (unsigned long long)st.deals,
                       (unsigned long long)st.costs,
                       cli_session_persists(&s) ? "true" : "false");
        if (s.machine) {
            cli_buf_puts(&b, "{\"name\": ");
            cli_buf_json_str(&b, fnl_machine_name(s.machine));
            cli_buf_puts(&b, ", \"source\": ");
            cli_buf_json_str(&b, s.machine_source);
            cli_buf_printf(&b, ", \"stored\": %s}",
                           s.machine_stored ? "true" : "false");
        } else {
            cli_buf_puts(&b, "null");
        }
        cli_buf_puts(&b, "}\n");
        fwrite(b.p, 1, b.len, stdout);
        cli_buf_free(&b);
    } else {
        fnl_stats st_all = FNL_STATS_INIT;
        fnl_engine_stats(s.engine, &st_all);
        cli_import_summary(&s, stdout);
        if (o->store && !cli_session_persists(&s))
            printf("note: the engine does not journal into --store yet; "
                   "the store %s is created and locked, and the data lives "
                   "for this run only\n", o->store);
        else if (o->store)
            printf("stored in %s: %llu contacts, %llu accounts, %llu "
                   "touches, %llu deals, %llu costs in all\n", o->store,
                   (unsigned long long)st_all.contacts,
                   (unsigned long long)st_all.accounts,
                   (unsigned long long)st_all.touches,
                   (unsigned long long)st_all.deals,
                   (unsigned long long)st_all.costs);
        if (s.machine)
            printf("stage machine %s (%s): %s\n", fnl_machine_name(s.machine),
                   s.machine_source, s.machine_stored
                   ? "the one --store holds is kept"
                   : "attached before the import, ticked to --now");
    }
    cli_session_close(&s);
    return code;
}

int cli_cmd_stats(const cli_opts *o)
{
    cli_session s;
    fnl_stats st = FNL_STATS_INIT;
    static const char *const names[] = {"metric", "value"};
    cli_table *t;
    FILE *out;
    int code = load(&s, o, 1);
    if (s.engine == NULL)
        return code;
    if (code == CLI_EXIT_CANCEL || s.stopped) {
        cli_session_close(&s);
        return code;
    }
    fnl_engine_stats(s.engine, &st);
    t = cli_table_new("stats", "Engine", 2, names, NULL);
    {
        const struct {
            const char *k;
            uint64_t v;
        } m[] = {{"contacts", st.contacts}, {"merges", st.merges},
                 {"accounts", st.accounts}, {"touches", st.touches},
                 {"deals", st.deals},       {"costs", st.costs},
                 {"identity_keys", st.identity_keys},
                 {"strings", st.strings},   {"string_bytes", st.string_bytes},
                 {"memory_bytes", st.memory_bytes},
                 {"memory_peak", st.memory_peak}};
        for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
            cli_cell *r = cli_table_row(t);
            cli_cell_str(&r[0], m[i].k);
            cli_cell_int(&r[1], (int64_t)m[i].v);
        }
    }
    out = open_out(o);
    if (out == NULL) {
        code = CLI_EXIT_DATA;
    } else if (o->format == FMT_JSON) {
        cli_buf b = {0};
        cli_buf_puts(&b, "{");
        for (size_t r = 0; r < t->nrows; r++) {
            cli_buf_puts(&b, r ? ", " : "");
            cli_buf_json_str(&b, t->cells[r * 2].s);
            cli_buf_printf(&b, ": %lld", (long long)t->cells[r * 2 + 1].i);
        }
        cli_buf_puts(&b, ", \"files\": ");
        cli_import_json(&s, &b);
        cli_buf_puts(&b, "}\n");
        fwrite(b.p, 1, b.len, out);
        cli_buf_free(&b);
    } else if (o->format == FMT_CSV) {
        cli_table_csv(t, out, 1);
    } else {
        cli_table_text(t, out, o->money_decimals);
    }
    close_out(out);
    cli_table_free(t);
    cli_session_close(&s);
    return code;
}

/* ---- show contact ------------------------------------------------------- */

static void attr_value(const fnl_attr *a, cli_buf *b, int json)
{
    if (a->type == FNL_ATTR_NUMBER) {
        cli_buf_num(b, a->num);
    } else if (json) {
        cli_buf_json_str(b, a->str);
    } else {
        cli_buf_puts(b, a->str);
    }
}

static const char *or_dash(const char *s) { return s && *s ? s : "-"; }

/* One touch of the timeline into the touch columns of row r: time, type,
 * channel, campaign, content, value, and by when with_by. */
static void touch_cells(const fnl_touch_info *tl, cli_cell *r, int with_by)
{
    char tm[32];
    cli_fmt_time(tl->time, tm);
    cli_cell_str(&r[0], tm);
    cli_cell_str(&r[1], or_dash(tl->type));
    cli_cell_str(&r[2], or_dash(tl->channel));
    cli_cell_str(&r[3], or_dash(tl->campaign));
    cli_cell_str(&r[4], or_dash(tl->content));
    cli_cell_money(&r[5], tl->value);
    if (with_by)
        cli_cell_str(&r[6], or_dash(tl->by));
}

/* CSV of `show contact` when a stage machine runs: the timeline's touches
 * and the stage history in one table, in time order (at equal times the
 * touch first: it is what moved the stage).  Touch rows leave the stage
 * columns empty and stage rows the touch columns.  NULL without a
 * machine (the CSV is then the timeline alone). */
static cli_table *story(cli_session *s, fnl_contact_id id,
                        const fnl_touch_info *tl, size_t ntl)
{
    static const char *const nm[] = {"time", "type", "channel", "campaign",
                                     "content", "value", "by",
                                     "stage_record", "cause", "from", "to",
                                     "owner", "reason", "rule"};
    fnl_stage_record *h;
    cli_table *t, *sh;
    size_t nh = 0, i = 0, j = 0;
    int rule_col;
    char tm[32];
    if (s->machine == NULL)
        return NULL;
    h = cli_stage_history(s, id, &nh);
    /* the rules as the "Stage history" table names them: one row per
     * record of the same history, oldest first */
    sh = cli_stage_history_table(s, id);
    rule_col = sh ? cli_table_col(sh, "rule") : -1;
    t = cli_table_new("timeline", "Timeline", 14, nm, NULL);
    while (i < ntl || j < nh) {
        cli_cell *r = cli_table_row(t);
        if (i < ntl && (j == nh || tl[i].time <= h[j].time)) {
            touch_cells(&tl[i++], r, 1);
            continue;
        }
        cli_fmt_time(h[j].time, tm);
        cli_cell_str(&r[0], tm);
        cli_cell_str(&r[7], cli_stage_record_name(h[j].kind));
        cli_cell_str(&r[8], cli_stage_cause_name(h[j].cause));
        cli_cell_str(&r[9], h[j].from);
        cli_cell_str(&r[10], h[j].to);
        cli_cell_str(&r[11], h[j].owner);
        cli_cell_str(&r[12], h[j].reason);
        if (rule_col >= 0 && j < sh->nrows) {
            const cli_cell *c = &sh->cells[j * sh->ncols + (size_t)rule_col];
            cli_cell_str(&r[13], c->type == CELL_STR ? c->s : NULL);
        }
        j++;
    }
    free(h);
    cli_table_free(sh);
    return t;
}

/* A copy-out reader's answer to "how many?" (cap 0): FNL_ERANGE says. */
static int sized(int rc) { return rc == FNL_ERANGE ? FNL_OK : rc; }

/* The deals naming contact `c`, in creation order (a scan: the API has no
 * reverse index).  FNL_* code. */
static int contact_deals(cli_session *s, fnl_contact_id c,
                         fnl_deal_id **deals, size_t *nd)
{
    fnl_deal_contact *dc = NULL;
    size_t cap = 0;
    fnl_deal_id d = 0;
    int rc = FNL_OK;
    while (rc == FNL_OK && fnl_deal_next(s->engine, d, &d) == FNL_OK) {
        size_t n = 0;
        rc = fnl_deal_contacts(s->engine, d, dc, cap, &n);
        if (rc == FNL_ERANGE) {
            cap = n;
            dc = cli_xrealloc(dc, cap * sizeof(*dc));
            rc = fnl_deal_contacts(s->engine, d, dc, cap, &n);
        }
        for (size_t i = 0; rc == FNL_OK && i < n && i < cap; i++)
            if (dc[i].contact == c) {
                *deals = cli_xrealloc(*deals, (*nd + 1) * sizeof(**deals));
                (*deals)[(*nd)++] = d;
                break;
            }
    }
    free(dc);
    return rc;
}

int cli_cmd_show(const cli_opts *o)
{
    cli_session s;
    fnl_contact_id id;
    fnl_contact_info ci = FNL_CONTACT_INFO_INIT;
    fnl_key *keys = NULL;
    fnl_attr *attrs = NULL;
    const char **tags = NULL;
    fnl_touch_info *tl = NULL;
    fnl_deal_id *deals = NULL;
    size_t nk = 0, na = 0, nt = 0, ntl = 0, nd = 0;
    const char *acct = NULL;
    cli_buf b = {0}, score_json = {0};
    cli_table *score_t = NULL, *why_t = NULL;
    FILE *out;
    int code, rc;

    if (o->nargs != 3 || strcmp(o->args[0], "contact") != 0) {
        cli_err("usage: funnelcore show contact KIND VALUE --touches F ...");
        return CLI_EXIT_USAGE;
    }
    code = load(&s, o, 1);
    if (s.engine == NULL)
        return code;
    if (code == CLI_EXIT_CANCEL || s.stopped) {
        cli_session_close(&s);
        return code;
    }
    if ((rc = cli_scoring_attach(&s)) != CLI_EXIT_OK) {
        cli_session_close(&s);
        return rc;
    }
    rc = fnl_contact_find(s.engine, o->args[1], o->args[2], &id);
    if (rc != FNL_OK) {
        cli_err("no contact with %s '%s'%s%s", o->args[1], o->args[2],
                rc == FNL_EINVAL ? ": " : "",
                rc == FNL_EINVAL ? fnl_errmsg(s.engine) : "");
        cli_session_close(&s);
        return CLI_EXIT_DATA;
    }
    rc = fnl_contact_get(s.engine, id, &ci);
    /* copy-out readers: size, then read */
    if (rc == FNL_OK &&
        (rc = sized(fnl_contact_keys(s.engine, id, NULL, 0, &nk))) == FNL_OK) {
        keys = cli_xmalloc((nk + 1) * sizeof(*keys));
        rc = fnl_contact_keys(s.engine, id, keys, nk, &nk);
    }
    if (rc == FNL_OK &&
        (rc = sized(fnl_contact_attrs(s.engine, id, NULL, 0, &na))) == FNL_OK) {
        attrs = cli_xmalloc((na + 1) * sizeof(*attrs));
        rc = fnl_contact_attrs(s.engine, id, attrs, na, &na);
    }
    if (rc == FNL_OK &&
        (rc = sized(fnl_contact_tags(s.engine, id, NULL, 0, &nt))) == FNL_OK) {
        tags = cli_xmalloc((nt + 1) * sizeof(*tags));
        rc = fnl_contact_tags(s.engine, id, tags, nt, &nt);
    }
    if (rc == FNL_OK &&
        (rc = sized(fnl_contact_touches(s.engine, id, NULL,
                                        sizeof(fnl_touch_info), 0, &ntl))) ==
            FNL_OK) {
        tl = cli_xmalloc((ntl + 1) * sizeof(*tl));
        rc = fnl_contact_touches(s.engine, id, tl, sizeof(fnl_touch_info),
                                 ntl, &ntl);
    }
    if (rc == FNL_OK && ci.account) {
        fnl_account_info ai = FNL_ACCOUNT_INFO_INIT;
        if (fnl_account_get(s.engine, ci.account, &ai) == FNL_OK)
            acct = ai.name;
    }
    if (rc == FNL_OK)
        rc = contact_deals(&s, ci.id, &deals, &nd);
    /* the score, read before anything is written */
    if (rc == FNL_OK && o->format == FMT_JSON)
        rc = cli_score_contact_json(&s, id, &score_json);
    else if (rc == FNL_OK && o->format != FMT_CSV)
        rc = cli_score_contact_tables(&s, id, &score_t, &why_t);
    if (rc != FNL_OK) {
        cli_err("contact %s '%s': %s", o->args[1], o->args[2],
                fnl_errmsg(s.engine));
        code = CLI_EXIT_DATA;
        goto done;
    }
    out = open_out(o);
    if (out == NULL) {
        code = CLI_EXIT_DATA;
        goto done;
    }
    if (o->format == FMT_JSON) {
        char tbuf[32];
        cli_buf_puts(&b, "{\"keys\": [");
        for (size_t i = 0; i < nk; i++) {
            cli_buf_puts(&b, i ? ", {\"kind\": " : "{\"kind\": ");
            cli_buf_json_str(&b, keys[i].kind);
            cli_buf_puts(&b, ", \"value\": ");
            cli_buf_json_str(&b, keys[i].value);
            cli_buf_putc(&b, '}');
        }
        cli_buf_puts(&b, "],\n \"attributes\": {");
        for (size_t i = 0; i < na; i++) {
            cli_buf_puts(&b, i ? ", " : "");
            cli_buf_json_str(&b, attrs[i].name);
            cli_buf_puts(&b, ": ");
            attr_value(&attrs[i], &b, 1);
        }
        cli_buf_puts(&b, "},\n \"tags\": [");
        for (size_t i = 0; i < nt; i++) {
            cli_buf_puts(&b, i ? ", " : "");
            cli_buf_json_str(&b, tags[i]);
        }
        cli_buf_puts(&b, "],\n \"account\": ");
        if (acct)
            cli_buf_json_str(&b, acct);
        else
            cli_buf_puts(&b, "null");
        cli_buf_puts(&b, ", \"owner\": ");
        if (ci.owner)
            cli_buf_json_str(&b, ci.owner);
        else
            cli_buf_puts(&b, "null");
        cli_buf_puts(&b, ", \"role\": ");
        cli_buf_json_str(&b, or_dash(fnl_role_name(ci.role)));
        cli_buf_printf(&b, ", \"touch_count\": %llu,\n \"deals\": [",
                       (unsigned long long)ci.touch_count);
        for (size_t i = 0; i < nd; i++) {
            fnl_deal_info di;
            memset(&di, 0, sizeof(di));
            di.size = sizeof(di);
            fnl_deal_get(s.engine, deals[i], &di);
            cli_buf_puts(&b, i ? ", {\"deal_id\": " : "{\"deal_id\": ");
            cli_buf_json_str(&b, di.name);
            cli_buf_printf(&b, ", \"status\": \"%s\", \"amount\": %lld, "
                           "\"currency\": \"%s\"}",
                           di.status == FNL_DEAL_WON ? "won" :
                           di.status == FNL_DEAL_LOST ? "lost" : "open",
                           (long long)di.amount, di.currency);
        }
        cli_buf_puts(&b, "],\n \"timeline\": [");
        for (size_t i = 0; i < ntl; i++) {
            cli_fmt_time(tl[i].time, tbuf);
            cli_buf_puts(&b, i ? ",\n   {\"time\": " : "\n   {\"time\": ");
            cli_buf_json_str(&b, tbuf);
            cli_buf_printf(&b, ", \"time_ms\": %lld, \"type\": ",
                           (long long)tl[i].time);
            cli_buf_json_str(&b, tl[i].type);
            cli_buf_puts(&b, ", \"channel\": ");
            cli_buf_json_str(&b, tl[i].channel);
            cli_buf_puts(&b, ", \"campaign\": ");
            if (tl[i].campaign)
                cli_buf_json_str(&b, tl[i].campaign);
            else
                cli_buf_puts(&b, "null");
            cli_buf_puts(&b, ", \"content\": ");
            if (tl[i].content)
                cli_buf_json_str(&b, tl[i].content);
            else
                cli_buf_puts(&b, "null");
            cli_buf_printf(&b, ", \"value\": %lld, \"by\": ",
                           (long long)tl[i].value);
            if (tl[i].by)
                cli_buf_json_str(&b, tl[i].by);
            else
                cli_buf_puts(&b, "null");
            cli_buf_putc(&b, '}');
        }
        cli_buf_puts(&b, "],\n \"score\": ");
        cli_buf_puts(&b, score_json.p);
        cli_buf_puts(&b, ",\n \"stage\": ");
        cli_stage_contact_json(&s, id, &b);
        cli_buf_puts(&b, "}\n");
        fwrite(b.p, 1, b.len, out);
    } else {
        static const char *const kn[] = {"field", "value"};
        static const char *const tn[] = {"time", "type", "channel",
                                         "campaign", "content", "value",
                                         "by"};
        /* who made the touches: a column of the CSV always, of the text
         * only when a touch names someone */
        size_t ntn = o->format == FMT_CSV ? 7 : 6;
        cli_table *t = cli_table_new("contact", "Contact", 2, kn, NULL);
        cli_table *tt;
        cli_cell *r;
        for (size_t i = 0; i < ntl; i++)
            if (tl[i].by != NULL)
                ntn = 7;
        tt = cli_table_new("timeline", "Timeline", ntn, tn, NULL);
        for (size_t i = 0; i < nk; i++) {
            r = cli_table_row(t);
            cli_buf_reset(&b);
            cli_buf_printf(&b, "key %s", keys[i].kind);
            cli_cell_str(&r[0], b.p);
            cli_cell_str(&r[1], keys[i].value);
        }
        for (size_t i = 0; i < na; i++) {
            r = cli_table_row(t);
            cli_buf_reset(&b);
            cli_buf_printf(&b, "attr %s", attrs[i].name);
            cli_cell_str(&r[0], b.p);
            cli_buf_reset(&b);
            attr_value(&attrs[i], &b, 0);
            cli_cell_str(&r[1], b.p);
        }
        cli_buf_reset(&b);
        for (size_t i = 0; i < nt; i++) {
            cli_buf_puts(&b, i ? ", " : "");
            cli_buf_puts(&b, tags[i]);
        }
        r = cli_table_row(t);
        cli_cell_str(&r[0], "tags");
        cli_cell_str(&r[1], nt ? b.p : "-");
        r = cli_table_row(t);
        cli_cell_str(&r[0], "account");
        cli_cell_str(&r[1], or_dash(acct));
        r = cli_table_row(t);
        cli_cell_str(&r[0], "owner");
        cli_cell_str(&r[1], or_dash(ci.owner));
        r = cli_table_row(t);
        cli_cell_str(&r[0], "role");
        cli_cell_str(&r[1], or_dash(fnl_role_name(ci.role)));
        for (size_t i = 0; i < nd; i++) {
            fnl_deal_info di;
            char money[40];
            memset(&di, 0, sizeof(di));
            di.size = sizeof(di);
            fnl_deal_get(s.engine, deals[i], &di);
            cli_fmt_money(di.amount, o->money_decimals, money);
            r = cli_table_row(t);
            cli_cell_str(&r[0], "deal");
            cli_buf_reset(&b);
            cli_buf_printf(&b, "%s %s %s %s", di.name,
                           di.status == FNL_DEAL_WON ? "won" :
                           di.status == FNL_DEAL_LOST ? "lost" : "open",
                           money, di.currency);
            cli_cell_str(&r[1], b.p);
        }
        for (size_t i = 0; i < ntl; i++) {
            r = cli_table_row(tt);
            touch_cells(&tl[i], r, ntn == 7);
        }
        if (o->format == FMT_CSV) {
            cli_table *st = story(&s, id, tl, ntl);
            cli_table_csv(st ? st : tt, out, 1);
            cli_table_free(st);
        } else {
            cli_table *st = cli_stage_contact_table(&s, id);
            cli_table *sh = cli_stage_history_table(&s, id);
            cli_table_text(t, out, o->money_decimals);
            if (score_t)
                cli_table_text(score_t, out, o->money_decimals);
            if (why_t)
                cli_table_text(why_t, out, o->money_decimals);
            if (st)
                cli_table_text(st, out, o->money_decimals);
            if (sh)
                cli_table_text(sh, out, o->money_decimals);
            cli_table_text(tt, out, o->money_decimals);
            cli_table_free(st);
            cli_table_free(sh);
        }
        cli_table_free(t);
        cli_table_free(tt);
    }
    close_out(out);
    if (s.stage_mismatches)
        cli_err("warning: the stage machine --store %s holds is not the one "
                "given to this run (%s): the reached stages and ranks shown "
                "may be wrong; pass the --stages file the store was "
                "imported with", o->store ? o->store : "",
                s.machine_source);
done:
    cli_buf_free(&b);
    cli_buf_free(&score_json);
    cli_table_free(score_t);
    cli_table_free(why_t);
    free(keys);
    free(attrs);
    free(tags);
    free(tl);
    free(deals);
    cli_session_close(&s);
    return code;
}
