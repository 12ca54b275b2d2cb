/* stage_parse.c -- the machine text format (docs/stages.md): one statement
 * per line, parsed into builder calls, so the text and the C API share
 * every check.  Also the built-in default machine, which is text. */
#include <string.h>
#include "stage_syntax.h"

typedef struct sparse {
    const fnl_allocator *alloc;
    fnl_machine *m;
    fnli_slex lx;
    fnli_perr *e;
    uint32_t line, col;   /* of the statement */
} sparse;

static int pfail(sparse *p, const char *why)
{
    fnli_perr_set(p->e, p->lx.tok.line, p->lx.tok.col, why, NULL, 0);
    return FNL_EINVAL;
}

static int pnext(sparse *p)
{
    if (fnli_slex_next(&p->lx) != FNL_OK)
        return pfail(p, p->lx.err);
    return FNL_OK;
}

static int is(sparse *p, const char *w)
{
    return fnli_slex_is(&p->lx, w);
}

static int expect(sparse *p, const char *w)
{
    if (!is(p, w)) {
        fnli_perr_set(p->e, p->lx.tok.line, p->lx.tok.col, "expected", w,
                      strlen(w));
        return FNL_EINVAL;
    }
    return pnext(p);
}

static fnli_txt tok_txt(const sparse *p)
{
    fnli_txt t;
    t.p = p->lx.tok.p;
    t.n = p->lx.tok.n;
    t.esc = p->lx.tok.esc;
    return t;
}

/* A name (WORD) or a quoted string; *t receives it. */
static int take_value(sparse *p, fnli_txt *t, int allow_word, const char *what)
{
    int k = p->lx.tok.kind;
    if (k != FNLI_TK_STRING && !(allow_word && k == FNLI_TK_WORD))
        return pfail(p, what);
    *t = tok_txt(p);
    return pnext(p);
}

static int take_name(sparse *p, fnli_txt *t, const char *what)
{
    if (p->lx.tok.kind != FNLI_TK_WORD)
        return pfail(p, what);
    *t = tok_txt(p);
    return pnext(p);
}

/* A stage name that must exist already (errors point at it). */
static int take_stage(sparse *p, fnli_txt *t)
{
    if (p->lx.tok.kind != FNLI_TK_WORD)
        return pfail(p, "expected a stage name");
    if (fnli_machine_stage_index(p->m, p->lx.tok.p, p->lx.tok.n) ==
        FNLI_NO_STAGE) {
        fnli_perr_set(p->e, p->lx.tok.line, p->lx.tok.col, "unknown stage",
                      p->lx.tok.p, p->lx.tok.n);
        return FNL_EINVAL;
    }
    *t = tok_txt(p);
    return pnext(p);
}

static int take_duration(sparse *p, int64_t *ms, int *days)
{
    int d = 0;
    if (fnli_duration_parse(&p->lx.tok, ms, days ? days : &d) != FNL_OK)
        return pfail(p, "expected a duration (e.g. 30d, 48h, 90m, 10s)");
    return pnext(p);
}

/* The slice of a condition: from the current token to the first clause
 * keyword at parenthesis depth 0, a newline or the end. */
static int take_cond(sparse *p, fnli_txt *t, uint32_t *line, uint32_t *col,
                     const char *const *stops)
{
    const char *start = p->lx.tok.p;
    int depth = 0, after_attr = 0;
    *line = p->lx.tok.line;
    *col = p->lx.tok.col;
    for (;;) {
        fnli_stok *k = &p->lx.tok;
        size_t i;
        if (k->kind == FNLI_TK_NL || k->kind == FNLI_TK_END)
            break;
        if (k->kind == FNLI_TK_LPAREN)
            depth++;
        else if (k->kind == FNLI_TK_RPAREN)
            depth--;
        if (k->kind == FNLI_TK_WORD && depth == 0 && !after_attr) {
            for (i = 0; stops[i] != NULL; i++)
                if (is(p, stops[i]))
                    break;
            if (stops[i] != NULL)
                break;
        }
        after_attr = is(p, "attr");
        if (pnext(p) != FNL_OK)
            return FNL_EINVAL;
    }
    t->p = start;
    t->n = (size_t)(p->lx.tok.p - start);
    while (t->n > 0 && (start[t->n - 1] == ' ' || start[t->n - 1] == '\t' ||
                        start[t->n - 1] == '\r'))
        t->n--;
    t->esc = 0;
    if (t->n == 0)
        return pfail(p, "expected a condition");
    return FNL_OK;
}

static int take_filters(sparse *p, fnli_txt *type, fnli_txt *channel,
                        fnli_txt *campaign)
{
    for (;;) {
        fnli_txt *slot;
        int rc;
        if (is(p, "type"))
            slot = type;
        else if (is(p, "channel"))
            slot = channel;
        else if (is(p, "campaign"))
            slot = campaign;
        else
            return FNL_OK;
        if (slot->p != NULL)
            return pfail(p, "filter given twice");
        if ((rc = pnext(p)) != FNL_OK)
            return rc;
        if (p->lx.tok.kind != FNLI_TK_CMP || p->lx.tok.cmp != FNLI_OP_EQ)
            return pfail(p, "expected '='");
        if ((rc = pnext(p)) != FNL_OK ||
            (rc = take_value(p, slot, 1, "expected a value")) != FNL_OK)
            return rc;
    }
}

static int take_int(sparse *p, double lo, double hi, int64_t *out)
{
    const fnli_stok *t = &p->lx.tok;
    if (t->kind != FNLI_TK_NUMBER || t->unit_n != 0 || t->num < lo ||
        t->num > hi || t->num != (double)(int64_t)t->num)
        return pfail(p, "expected a whole number in range");
    *out = (int64_t)t->num;
    return pnext(p);
}

/* A builder failure without a position gets the statement's. */
static int built(sparse *p, int rc)
{
    if (rc != FNL_OK && rc != FNL_ENOMEM && p->e->set && p->e->line == 0) {
        p->e->line = p->line;
        p->e->col = p->col;
    }
    return rc;
}

/* ---- statements ------------------------------------------------------------- */

static int st_machine(sparse *p)
{
    fnli_txt name;
    int64_t version;
    int rc;
    if (p->m != NULL)
        return pfail(p, "a second 'machine' line");
    if ((rc = pnext(p)) != FNL_OK ||
        (rc = take_value(p, &name, 1, "expected the machine's name")) != FNL_OK ||
        (rc = expect(p, "version")) != FNL_OK ||
        (rc = take_int(p, 0, 4294967295.0, &version)) != FNL_OK)
        return rc;
    return built(p, fnli_machine_new(&p->m, p->alloc, name, (uint32_t)version,
                                     p->e));
}

static int st_stage(sparse *p)
{
    fnli_txt name;
    uint32_t flags = 0;
    int rc;
    if ((rc = pnext(p)) != FNL_OK ||
        (rc = take_name(p, &name, "expected a stage name")) != FNL_OK)
        return rc;
    for (;;) {
        uint32_t f = is(p, "initial") ? FNL_STAGE_INITIAL
                     : is(p, "side")  ? FNL_STAGE_SIDE
                     : is(p, "closed") ? FNL_STAGE_CLOSED
                                       : 0;
        if (f == 0)
            break;
        flags |= f;
        if ((rc = pnext(p)) != FNL_OK)
            return rc;
    }
    return built(p, fnli_mb_stage(p->m, name, flags, p->e));
}

static const char *const trans_stops[] = {"priority", NULL};

static int st_transition(sparse *p)
{
    fnli_trans_in t;
    int rc;
    memset(&t, 0, sizeof(t));
    if ((rc = pnext(p)) != FNL_OK)
        return rc;
    if (p->lx.tok.kind == FNLI_TK_STAR) {
        t.from = tok_txt(p);
        rc = pnext(p);
    } else {
        rc = take_stage(p, &t.from);
    }
    if (rc != FNL_OK)
        return rc;
    if (p->lx.tok.kind != FNLI_TK_ARROW)
        return pfail(p, "expected '->'");
    if ((rc = pnext(p)) != FNL_OK ||
        (rc = take_stage(p, &t.to)) != FNL_OK)
        return rc;
    if (is(p, "back")) {
        t.back = 1;
        if ((rc = pnext(p)) != FNL_OK)
            return rc;
    }
    if (is(p, "on")) {
        if ((rc = pnext(p)) != FNL_OK)
            return rc;
        if (is(p, "event")) {
            t.trigger = FNL_TRIGGER_EVENT;
            if ((rc = pnext(p)) != FNL_OK ||
                (rc = take_name(p, &t.name, "expected an event name")) != FNL_OK)
                return rc;
            if (is(p, "reason") &&
                ((rc = pnext(p)) != FNL_OK ||
                 (rc = take_value(p, &t.reason, 1, "expected a reason")) !=
                     FNL_OK))
                return rc;
        } else if (is(p, "key_event")) {
            t.trigger = FNL_TRIGGER_KEY_EVENT;
            if ((rc = pnext(p)) != FNL_OK ||
                (rc = take_value(p, &t.name, 1, "expected a key event name")) !=
                    FNL_OK)
                return rc;
        } else if (is(p, "touch")) {
            t.trigger = FNL_TRIGGER_TOUCH;
            if ((rc = pnext(p)) != FNL_OK ||
                (rc = take_filters(p, &t.type, &t.channel, &t.campaign)) !=
                    FNL_OK)
                return rc;
        } else if (is(p, "idle") || is(p, "stay")) {
            t.trigger = is(p, "idle") ? FNL_TRIGGER_IDLE : FNL_TRIGGER_STAY;
            if ((rc = pnext(p)) != FNL_OK ||
                (rc = take_duration(p, &t.duration, NULL)) != FNL_OK)
                return rc;
        } else {
            return pfail(p, "expected event, key_event, touch, idle or stay");
        }
    }
    if (is(p, "when")) {
        if ((rc = pnext(p)) != FNL_OK ||
            (rc = take_cond(p, &t.when, &t.when_line, &t.when_col,
                            trans_stops)) != FNL_OK)
            return rc;
    }
    if (is(p, "priority")) {
        int64_t pr;
        if ((rc = pnext(p)) != FNL_OK ||
            (rc = take_int(p, -2147483648.0, 2147483647.0, &pr)) != FNL_OK)
            return rc;
        t.priority = (int32_t)pr;
    }
    return built(p, fnli_mb_transition(p->m, &t, p->e));
}

static int st_group(sparse *p)
{
    fnli_txt name, members[256];
    size_t n = 0;
    int rc;
    if ((rc = pnext(p)) != FNL_OK ||
        (rc = take_name(p, &name, "expected a group name")) != FNL_OK ||
        (rc = expect(p, "members")) != FNL_OK)
        return rc;
    for (;;) {
        if (n >= sizeof(members) / sizeof(members[0]))
            return pfail(p, "too many members on one line (at most 256)");
        if ((rc = take_value(p, &members[n++], 1, "expected a member")) != FNL_OK)
            return rc;
        if (p->lx.tok.kind != FNLI_TK_COMMA)
            break;
        if ((rc = pnext(p)) != FNL_OK)
            return rc;
    }
    return built(p, fnli_mb_group(p->m, name, members, n, p->e));
}

static const char *const route_stops[] = {"to", NULL};

static int st_route(sparse *p)
{
    fnli_route_in r;
    int rc;
    memset(&r, 0, sizeof(r));
    if ((rc = pnext(p)) != FNL_OK || (rc = expect(p, "on")) != FNL_OK ||
        (rc = take_stage(p, &r.stage)) != FNL_OK)
        return rc;
    if (is(p, "when") &&
        ((rc = pnext(p)) != FNL_OK ||
         (rc = take_cond(p, &r.when, &r.when_line, &r.when_col,
                         route_stops)) != FNL_OK))
        return rc;
    if ((rc = expect(p, "to")) != FNL_OK)
        return rc;
    if (is(p, "owner") || is(p, "queue")) {
        r.target = is(p, "owner") ? FNL_ROUTE_OWNER : FNL_ROUTE_QUEUE;
        if ((rc = pnext(p)) != FNL_OK ||
            (rc = take_value(p, &r.name, 0, "expected a quoted name")) != FNL_OK)
            return rc;
    } else if (is(p, "group")) {
        r.target = FNL_ROUTE_GROUP;
        if ((rc = pnext(p)) != FNL_OK ||
            (rc = take_name(p, &r.name, "expected a group name")) != FNL_OK)
            return rc;
        if (is(p, "round_robin") || is(p, "least_loaded")) {
            r.mode = is(p, "least_loaded") ? FNL_ROUTE_LEAST_LOADED
                                           : FNL_ROUTE_ROUND_ROBIN;
            if ((rc = pnext(p)) != FNL_OK)
                return rc;
        }
    } else if (is(p, "account_owner")) {
        r.target = FNL_ROUTE_ACCOUNT_OWNER;
        if ((rc = pnext(p)) != FNL_OK)
            return rc;
    } else {
        return pfail(p, "expected owner, group, queue or account_owner");
    }
    return built(p, fnli_mb_route(p->m, &r, p->e));
}

static int st_fallback(sparse *p)
{
    fnli_txt q;
    int rc;
    if ((rc = pnext(p)) != FNL_OK || (rc = expect(p, "queue")) != FNL_OK ||
        (rc = take_value(p, &q, 0, "expected a quoted queue name")) != FNL_OK)
        return rc;
    return built(p, fnli_mb_fallback(p->m, q, p->e));
}

static int st_sla(sparse *p)
{
    fnli_sla_in s;
    int rc;
    memset(&s, 0, sizeof(s));
    if ((rc = pnext(p)) != FNL_OK ||
        (rc = take_stage(p, &s.stage)) != FNL_OK)
        return rc;
    if (p->lx.tok.kind == FNLI_TK_WORD && !is(p, "accept") && !is(p, "event") &&
        !is(p, "touch") &&
        (rc = take_name(p, &s.name, "expected an SLA name")) != FNL_OK)
        return rc;
    if (is(p, "accept")) {
        s.kind = FNL_SLA_ACCEPT;
        rc = pnext(p);
    } else if (is(p, "event")) {
        s.kind = FNL_SLA_EVENT;
        if ((rc = pnext(p)) == FNL_OK)
            rc = take_name(p, &s.event, "expected an event name");
    } else if (is(p, "touch")) {
        s.kind = FNL_SLA_TOUCH;
        s.count = 1;
        if ((rc = pnext(p)) != FNL_OK)
            return rc;
        if (p->lx.tok.kind == FNLI_TK_NUMBER) {
            int64_t c;
            if ((rc = take_int(p, 1, 255, &c)) != FNL_OK)
                return rc;
            s.count = (uint32_t)c;
        }
        if (is(p, "by")) {
            if ((rc = pnext(p)) != FNL_OK || (rc = expect(p, "owner")) != FNL_OK)
                return rc;
            s.by_owner = 1;
        }
        rc = take_filters(p, &s.type, &s.channel, &s.campaign);
    } else {
        return pfail(p, "expected accept, event or touch");
    }
    if (rc != FNL_OK || (rc = expect(p, "within")) != FNL_OK ||
        (rc = take_duration(p, &s.within, &s.days)) != FNL_OK)
        return rc;
    if (is(p, "calendar")) {
        if ((rc = pnext(p)) != FNL_OK)
            return rc;
        s.cal_line = p->lx.tok.line;
        s.cal_col = p->lx.tok.col;
        if ((rc = take_value(p, &s.calendar, 0, "expected a quoted calendar")) !=
            FNL_OK)
            return rc;
    }
    if (is(p, "breach")) {
        if ((rc = pnext(p)) != FNL_OK)
            return rc;
        if (p->lx.tok.kind == FNLI_TK_ARROW) {
            s.breach = FNL_SLA_BREACH_STAGE;
            if ((rc = pnext(p)) != FNL_OK ||
                (rc = take_stage(p, &s.breach_stage)) != FNL_OK)
                return rc;
        } else if (is(p, "reroute")) {
            s.breach = FNL_SLA_BREACH_REROUTE;
            if ((rc = pnext(p)) != FNL_OK)
                return rc;
        } else {
            return pfail(p, "expected '-> STAGE' or 'reroute'");
        }
    }
    return built(p, fnli_mb_sla(p->m, &s, p->e));
}

static const char *const step_when_stops[] = {"after", "notify", NULL};
static const char *const step_unless_stops[] = {NULL};

static int st_step(sparse *p)
{
    fnli_step_in s;
    int rc;
    memset(&s, 0, sizeof(s));
    if ((rc = pnext(p)) != FNL_OK ||
        (rc = take_name(p, &s.name, "expected a step name")) != FNL_OK ||
        (rc = expect(p, "on")) != FNL_OK)
        return rc;
    if (is(p, "enter")) {
        s.trigger = FNL_TRIGGER_ENTER;
        if ((rc = pnext(p)) == FNL_OK)
            rc = take_stage(p, &s.stage);
    } else if (is(p, "event")) {
        s.trigger = FNL_TRIGGER_EVENT;
        if ((rc = pnext(p)) == FNL_OK)
            rc = take_name(p, &s.event, "expected an event name");
    } else if (is(p, "key_event")) {
        s.trigger = FNL_TRIGGER_KEY_EVENT;
        if ((rc = pnext(p)) == FNL_OK)
            rc = take_value(p, &s.event, 1, "expected a key event name");
    } else if (is(p, "touch")) {
        s.trigger = FNL_TRIGGER_TOUCH;
        if ((rc = pnext(p)) == FNL_OK)
            rc = take_filters(p, &s.type, &s.channel, &s.campaign);
    } else {
        return pfail(p, "expected enter, event, key_event or touch");
    }
    if (rc != FNL_OK)
        return rc;
    if (is(p, "when") &&
        ((rc = pnext(p)) != FNL_OK ||
         (rc = take_cond(p, &s.when, &s.when_line, &s.when_col,
                         step_when_stops)) != FNL_OK))
        return rc;
    if (is(p, "after") &&
        ((rc = pnext(p)) != FNL_OK ||
         (rc = take_duration(p, &s.after, NULL)) != FNL_OK))
        return rc;
    if ((rc = expect(p, "notify")) != FNL_OK ||
        (rc = take_value(p, &s.action, 0, "expected a quoted action")) != FNL_OK)
        return rc;
    if (is(p, "unless") &&
        ((rc = pnext(p)) != FNL_OK ||
         (rc = take_cond(p, &s.unless, &s.unless_line, &s.unless_col,
                         step_unless_stops)) != FNL_OK))
        return rc;
    return built(p, fnli_mb_step(p->m, &s, p->e));
}

static int statement(sparse *p)
{
    static const struct {
        const char *kw;
        int (*fn)(sparse *);
    } table[] = {{"stage", st_stage}, {"transition", st_transition},
                 {"group", st_group}, {"route", st_route},
                 {"fallback", st_fallback}, {"sla", st_sla},
                 {"step", st_step}};
    size_t k;
    int rc;
    p->line = p->lx.tok.line;
    p->col = p->lx.tok.col;
    if (is(p, "machine")) {
        rc = st_machine(p);
    } else if (p->m == NULL) {
        return pfail(p, "expected 'machine \"name\" version N' first");
    } else {
        for (k = 0; k < sizeof(table) / sizeof(table[0]); k++)
            if (is(p, table[k].kw))
                break;
        if (k == sizeof(table) / sizeof(table[0]))
            return pfail(p, "expected a statement (stage, transition, group, "
                            "route, fallback, sla, step)");
        rc = table[k].fn(p);
    }
    if (rc != FNL_OK)
        return rc;
    if (p->lx.tok.kind != FNLI_TK_NL && p->lx.tok.kind != FNLI_TK_END)
        return pfail(p, "unexpected text at the end of the line");
    return FNL_OK;
}

static int parse(const char *text, size_t len, const fnl_allocator *alloc,
                 fnl_machine **out, fnli_perr *e)
{
    sparse p;
    int rc;
    memset(&p, 0, sizeof(p));
    p.alloc = alloc;
    p.e = e;
    fnli_slex_init(&p.lx, text, len, 1, 0);
    if ((rc = pnext(&p)) != FNL_OK)
        return rc;
    for (;;) {
        while (p.lx.tok.kind == FNLI_TK_NL)
            if ((rc = pnext(&p)) != FNL_OK)
                goto fail;
        if (p.lx.tok.kind == FNLI_TK_END)
            break;
        if ((rc = statement(&p)) != FNL_OK)
            goto fail;
    }
    if (p.m == NULL) {
        rc = pfail(&p, "expected 'machine \"name\" version N' first");
        goto fail;
    }
    if ((rc = fnli_mb_finish(p.m, e)) != FNL_OK)
        goto fail;
    *out = p.m;
    return FNL_OK;
fail:
    fnli_machine_destroy(p.m);
    return rc;
}

FNL_API int fnl_machine_parse(fnl_machine **out, const char *text, size_t len,
                              const fnl_allocator *alloc, fnl_parse_error *err)
{
    fnli_perr e;
    fnli_mem probe;
    int rc;
    memset(&e, 0, sizeof(e));
    if (out == NULL || (text == NULL && len > 0))
        return FNL_EINVAL;
    if ((rc = fnli_mem_init(&probe, alloc)) != FNL_OK)
        return rc;
    rc = parse(text != NULL ? text : "", len, alloc, out, &e);
    if (rc == FNL_ENOMEM) {
        memset(&e, 0, sizeof(e));
        fnli_perr_set(&e, 0, 0, "out of memory", NULL, 0);
    }
    fnli_perr_copy(err, &e);
    return rc;
}

/* The default machine: docs/stages.md, "The default machine". */
static const char default_text[] =
    "machine \"waterfall\" version 1\n"
    "stage inquiry initial\n"
    "stage mql\n"
    "stage sal\n"
    "stage sql\n"
    "stage opportunity\n"
    "stage customer closed\n"
    "stage nurture side\n"
    "stage recycled side\n"
    "stage disqualified side closed\n"
    "fallback queue \"unassigned\"\n"
    "transition inquiry -> mql when threshold \"mql\"\n"
    "transition nurture -> mql on touch when threshold \"mql\"\n"
    "transition recycled -> mql on touch when threshold \"mql\"\n"
    "transition mql -> sal on event sales_accept\n"
    "transition mql -> recycled back on event sales_reject\n"
    "transition sal -> sql on event sales_qualify\n"
    "transition sal -> recycled back on event sales_reject\n"
    "transition sql -> recycled back on event sales_reject\n"
    "transition * -> opportunity on event opportunity_created\n"
    "transition * -> customer on event deal_won\n"
    "transition opportunity -> recycled back on event deal_lost\n"
    "transition * -> disqualified back on event disqualify priority 100\n"
    "transition mql -> nurture back on idle 30d\n"
    "transition recycled -> nurture back on idle 30d\n"
    "route on mql to account_owner\n"
    "route on sal to account_owner\n"
    "sla mql accept within 2d\n"
    "sla sal first_touch touch by owner within 1d\n"
    "sla sal call_attempts touch 3 by owner type = \"call\" within 5d\n";

FNL_API int fnl_machine_default(fnl_machine **out, const fnl_allocator *alloc)
{
    return fnl_machine_parse(out, default_text, sizeof(default_text) - 1, alloc,
                             NULL);
}
