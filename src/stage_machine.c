/* stage_machine.c -- building, validating and compiling stage machines:
 * the builder (public API and the slices the text parser hands over),
 * lookups, and the built-in default machine. */
#include <string.h>
#include "normalize.h"
#include "stage_syntax.h"
#include "text.h"

/* ---- errors --------------------------------------------------------------- */

void fnli_perr_set(fnli_perr *e, uint32_t line, uint32_t col,
                   const char *why, const char *name, size_t name_n)
{
    size_t at = 0, cap = sizeof(e->msg), i;
    if (e == NULL || e->set)
        return;
    e->set = 1;
    e->line = line;
    e->col = col;
    for (i = 0; why[i] != '\0' && at + 1 < cap; i++)
        e->msg[at++] = why[i];
    if (name != NULL) {
        const char *pre = " '";
        for (i = 0; pre[i] != '\0' && at + 1 < cap; i++)
            e->msg[at++] = pre[i];
        for (i = 0; i < name_n && i < 64 && at + 1 < cap; i++)
            e->msg[at++] = name[i];
        if (at + 1 < cap)
            e->msg[at++] = '\'';
    }
    e->msg[at] = '\0';
}

void fnli_perr_copy(fnl_parse_error *err, const fnli_perr *e)
{
    if (err == NULL || err->size < sizeof(*err))
        return;
    err->line = e->set ? e->line : 0;
    err->column = e->set ? e->col : 0;
    memcpy(err->message, e->set ? e->msg : "", e->set ? strlen(e->msg) + 1 : 1);
}

static int fail(fnli_perr *e, int rc, const char *why, fnli_txt name)
{
    fnli_perr_set(e, 0, 0, why, name.p, name.n);
    return rc;
}

static int nomem(fnli_perr *e)
{
    fnli_perr_set(e, 0, 0, "out of memory", NULL, 0);
    if (e != NULL) {
        e->line = 0;
        e->col = 0;
    }
    return FNL_ENOMEM;
}

/* ---- strings -------------------------------------------------------------- */

/* Resolve \" and \\ escapes into out (cap bytes).  Length, or -1 when too
 * long. */
static long unescape(fnli_txt s, char *out, size_t cap)
{
    size_t i, n = 0;
    for (i = 0; i < s.n; i++) {
        char c = s.p[i];
        if (s.esc && c == '\\' && i + 1 < s.n)
            c = s.p[++i];
        if (n + 1 >= cap)
            return -1;
        out[n++] = c;
    }
    out[n] = '\0';
    return (long)n;
}

uint32_t fnli_machine_str_find(const fnl_machine *m, const char *s, size_t n,
                               int fold)
{
    size_t i;
    for (i = 0; i < m->nstr; i++) {
        if (m->str[i].n != n)
            continue;
        if (fold ? fnli_ascii_casecmp_n(m->str[i].p, n, s, n) == 0
                 : memcmp(m->str[i].p, s, n) == 0)
            return (uint32_t)i;
    }
    return FNLI_NONE;
}

int fnli_mb_intern(fnl_machine *m, fnli_txt s, int name_kind, uint32_t *idx,
                   fnli_perr *e, uint32_t line, uint32_t col)
{
    char buf[FNL_MAX_STRING + 1], folded[FNL_MAX_NAME + 1];
    const char *p = buf;
    long n;
    uint32_t i;
    void *arr;
    char *copy;
    if (s.p == NULL) {
        fnli_perr_set(e, line, col, "a value is required", NULL, 0);
        return FNL_EINVAL;
    }
    n = unescape(s, buf, sizeof(buf));
    if (n < 0) {
        fnli_perr_set(e, line, col, "string too long", NULL, 0);
        return FNL_EINVAL;
    }
    if (name_kind) {
        const char *why = NULL;
        int len = fnli_name_fold(buf, name_kind == 2, folded, sizeof(folded),
                                 &why);
        if (len < 0) {
            fnli_perr_set(e, line, col, "bad name", buf,
                          (size_t)(n < 64 ? n : 64));
            return FNL_EINVAL;
        }
        p = folded;
        n = len;
    } else if (n == 0 || !fnli_utf8_valid(buf, (size_t)n)) {
        fnli_perr_set(e, line, col,
                      n == 0 ? "empty string" : "invalid UTF-8", NULL, 0);
        return FNL_EINVAL;
    }
    i = fnli_machine_str_find(m, p, (size_t)n, 0);
    if (i != FNLI_NONE) {
        *idx = i;
        return FNL_OK;
    }
    arr = m->str;
    if (fnli_grow(&m->mem, &arr, &m->cap_str, m->nstr + 1, sizeof(*m->str),
                  32) != FNL_OK)
        return nomem(e);
    m->str = arr;
    copy = fnli_strndup(&m->mem, p, (size_t)n);
    if (copy == NULL)
        return nomem(e);
    m->str[m->nstr].p = copy;
    m->str[m->nstr].n = (uint32_t)n;
    *idx = (uint32_t)m->nstr++;
    return FNL_OK;
}

void fnli_mb_mark(const fnl_machine *m, fnli_mmark *mk)
{
    mk->nstr = m->nstr;
    mk->nnodes = m->nnodes;
    mk->nlists = m->nlists;
    mk->nowners = m->nowners;
    mk->nmembers = m->nmembers;
}

void fnli_mb_rollback(fnl_machine *m, const fnli_mmark *mk)
{
    while (m->nstr > mk->nstr) {
        m->nstr--;
        fnli_free(&m->mem, m->str[m->nstr].p, m->str[m->nstr].n + 1);
    }
    m->nnodes = mk->nnodes;
    m->nlists = mk->nlists;
    m->nowners = mk->nowners;
    m->nmembers = mk->nmembers;
}

/* ---- machine lifetime ------------------------------------------------------ */

int fnli_machine_new(fnl_machine **out, const fnl_allocator *alloc,
                     fnli_txt name, uint32_t version, fnli_perr *e)
{
    fnli_mem mem;
    fnl_machine *m;
    int rc = fnli_mem_init(&mem, alloc);
    if (rc != FNL_OK)
        return fail(e, rc, "bad allocator", fnli_txt_of(NULL));
    if (name.p == NULL || name.n == 0 || name.n > FNL_MAX_NAME)
        return fail(e, FNL_EINVAL, "a machine name of 1..64 bytes is required",
                    fnli_txt_of(NULL));
    m = fnli_malloc(&mem, sizeof(*m));
    if (m == NULL)
        return nomem(e);
    memset(m, 0, sizeof(*m));
    m->mem = mem;
    m->version = version;
    m->initial = FNLI_NONE;
    rc = fnli_mb_intern(m, name, 0, &m->name, e, 0, 0);
    if (rc != FNL_OK) {
        fnli_machine_destroy(m);
        return rc;
    }
    *out = m;
    return FNL_OK;
}

#define FREE_ARR(field, cap) \
    fnli_free(&m->mem, m->field, m->cap * sizeof(*m->field))

void fnli_machine_destroy(fnl_machine *m)
{
    fnli_mem mem;
    size_t i;
    if (m == NULL)
        return;
    for (i = 0; i < m->nstr; i++)
        fnli_free(&m->mem, m->str[i].p, m->str[i].n + 1);
    FREE_ARR(str, cap_str);
    FREE_ARR(stages, cap_stages);
    FREE_ARR(trans, cap_trans);
    FREE_ARR(nodes, cap_nodes);
    FREE_ARR(lists, cap_lists);
    FREE_ARR(owners, cap_owners);
    FREE_ARR(groups, cap_groups);
    FREE_ARR(members, cap_members);
    FREE_ARR(routes, cap_routes);
    FREE_ARR(slas, cap_slas);
    FREE_ARR(steps, cap_steps);
    fnli_free(&m->mem, m->torder, m->ntorder * sizeof(*m->torder));
    fnli_free(&m->mem, m->rorder, (m->nroutes ? m->nroutes : 1) *
                                      sizeof(*m->rorder));
    fnli_free(&m->mem, m->sorder, (m->nslas ? m->nslas : 1) *
                                      sizeof(*m->sorder));
    fnli_free(&m->mem, m->text, m->text_len + 1);
    mem = m->mem;
    fnli_free(&mem, m, sizeof(*m));
}

/* ---- lookups ---------------------------------------------------------------- */

uint32_t fnli_machine_stage_index(const fnl_machine *m, const char *s,
                                  size_t n)
{
    size_t i;
    for (i = 0; i < m->nstages; i++) {
        const fnli_mstring *ms = &m->str[m->stages[i].name];
        if (ms->n == n && fnli_ascii_casecmp_n(ms->p, n, s, n) == 0)
            return (uint32_t)i;
    }
    return FNLI_NO_STAGE;
}

uint32_t fnli_machine_owner_find(const fnl_machine *m, const char *s,
                                 size_t n)
{
    size_t i;
    for (i = 0; i < m->nowners; i++) {
        const fnli_mstring *ms = &m->str[m->owners[i].name];
        if (ms->n == n && memcmp(ms->p, s, n) == 0)
            return (uint32_t)i + 1;
    }
    return 0;
}

const char *fnli_machine_owner_name(const fnl_machine *m, uint32_t owner)
{
    if (owner == 0 || owner > m->nowners)
        return NULL;
    return m->str[m->owners[owner - 1].name].p;
}

int fnli_mstr_eq(const fnl_machine *m, uint32_t i, const char *s)
{
    size_t n;
    if (i == FNLI_NONE || s == NULL)
        return 0;
    n = strlen(s);
    return m->str[i].n == n && fnli_ascii_casecmp_n(m->str[i].p, n, s, n) == 0;
}

/* A stage named by t, as an index, or an error. */
static int stage_ref(fnl_machine *m, fnli_txt t, uint16_t *out, fnli_perr *e)
{
    char buf[FNL_MAX_NAME + 2];
    long n;
    uint32_t s;
    if (t.p == NULL)
        return fail(e, FNL_EINVAL, "a stage is required", t);
    n = unescape(t, buf, sizeof(buf));
    s = n < 0 ? FNLI_NO_STAGE : fnli_machine_stage_index(m, buf, (size_t)n);
    if (s == FNLI_NO_STAGE)
        return fail(e, FNL_EINVAL, "unknown stage", t);
    *out = (uint16_t)s;
    return FNL_OK;
}

static int grow1(fnl_machine *m, void **arr, size_t *cap, size_t n,
                 size_t elem, fnli_perr *e)
{
    if (fnli_grow(&m->mem, arr, cap, n + 1, elem, 8) != FNL_OK)
        return nomem(e);
    return FNL_OK;
}

#define GROW(field, count, cap) \
    grow1(m, (void **)&m->field, &m->cap, m->count, sizeof(*m->field), e)

static int check_open(const fnl_machine *m, fnli_perr *e)
{
    if (m->finished)
        return fail(e, FNL_EINVAL, "the builder is spent", fnli_txt_of(NULL));
    return FNL_OK;
}

/* ---- stages ----------------------------------------------------------------- */

int fnli_mb_stage(fnl_machine *m, fnli_txt name, uint32_t flags,
                  fnli_perr *e)
{
    fnli_mmark mk;
    uint32_t idx;
    fnli_mstage *s;
    int rc = check_open(m, e);
    if (rc != FNL_OK)
        return rc;
    if (flags & ~(FNL_STAGE_INITIAL | FNL_STAGE_SIDE | FNL_STAGE_CLOSED))
        return fail(e, FNL_EINVAL, "unknown stage flags", name);
    if (m->nstages >= FNL_MACHINE_MAX_STAGES)
        return fail(e, FNL_ELIMIT, "too many stages (at most 64)", name);
    if ((flags & FNL_STAGE_INITIAL) && m->initial != FNLI_NONE)
        return fail(e, FNL_EEXIST, "a second initial stage", name);
    if (name.n == 1 && name.p != NULL && name.p[0] == '*')
        return fail(e, FNL_EINVAL, "bad name", name);
    fnli_mb_mark(m, &mk);
    if ((rc = fnli_mb_intern(m, name, 1, &idx, e, 0, 0)) != FNL_OK)
        return rc;
    if (fnli_machine_stage_index(m, m->str[idx].p, m->str[idx].n) !=
        FNLI_NO_STAGE) {
        fnli_mb_rollback(m, &mk);
        return fail(e, FNL_EEXIST, "stage defined twice:", name);
    }
    if ((rc = GROW(stages, nstages, cap_stages)) != FNL_OK) {
        fnli_mb_rollback(m, &mk);
        return rc;
    }
    s = &m->stages[m->nstages];
    memset(s, 0, sizeof(*s));
    s->name = idx;
    s->flags = (uint16_t)flags;
    s->rank = (flags & FNL_STAGE_SIDE) ? 0 : (uint16_t)(m->nfunnel + 1);
    if (!(flags & FNL_STAGE_SIDE))
        m->nfunnel++;
    if (flags & FNL_STAGE_INITIAL)
        m->initial = (uint32_t)m->nstages;
    m->nstages++;
    return FNL_OK;
}

/* ---- conditions and filters ------------------------------------------------- */

static int cond_of(fnl_machine *m, fnli_txt t, uint32_t line, uint32_t col,
                   uint32_t *root, fnli_perr *e)
{
    fnli_slex lx;
    int rc;
    *root = FNLI_NONE;
    if (t.p == NULL)
        return FNL_OK;
    fnli_slex_init(&lx, t.p, t.n, line ? line : 1, col ? col - 1 : 0);
    if (fnli_slex_next(&lx) != FNL_OK) {
        fnli_perr_set(e, line, lx.tok.col, lx.err, NULL, 0);
        return FNL_EINVAL;
    }
    rc = fnli_cond_parse(m, &lx, root, e);
    if (rc != FNL_OK)
        return rc;
    if (lx.tok.kind != FNLI_TK_END) {
        fnli_perr_set(e, line, lx.tok.col,
                      "unexpected text after the condition", NULL, 0);
        return FNL_EINVAL;
    }
    return FNL_OK;
}

static int filter_of(fnl_machine *m, fnli_txt type, fnli_txt channel,
                     fnli_txt campaign, fnli_tfilter *f, fnli_perr *e)
{
    int rc;
    f->type = f->channel = f->campaign = FNLI_NONE;
    if (type.p != NULL &&
        (rc = fnli_mb_intern(m, type, 0, &f->type, e, 0, 0)) != FNL_OK)
        return rc;
    if (channel.p != NULL &&
        (rc = fnli_mb_intern(m, channel, 0, &f->channel, e, 0, 0)) != FNL_OK)
        return rc;
    if (campaign.p != NULL &&
        (rc = fnli_mb_intern(m, campaign, 0, &f->campaign, e, 0, 0)) != FNL_OK)
        return rc;
    return FNL_OK;
}

static int duration_ok(int64_t d, int allow_zero)
{
    return d <= FNL_MACHINE_MAX_DURATION && (d > 0 || (allow_zero && d == 0));
}

/* ---- transitions ------------------------------------------------------------ */

static int add_transition(fnl_machine *m, const fnli_trans_in *t,
                          fnli_perr *e)
{
    fnli_mtrans x;
    int rc;
    memset(&x, 0, sizeof(x));
    x.reason = x.name = FNLI_NONE;
    x.touch.type = x.touch.channel = x.touch.campaign = FNLI_NONE;
    x.when = FNLI_NONE;
    if (m->ntrans >= FNL_MACHINE_MAX_RULES)
        return fail(e, FNL_ELIMIT, "too many transitions", t->to);
    if (t->from.p != NULL && t->from.n == 1 && t->from.p[0] == '*')
        x.from = FNLI_ANY_STAGE;
    else if ((rc = stage_ref(m, t->from, &x.from, e)) != FNL_OK)
        return rc;
    if ((rc = stage_ref(m, t->to, &x.to, e)) != FNL_OK)
        return rc;
    if (x.from == x.to)
        return fail(e, FNL_EINVAL, "a transition must change the stage", t->to);
    x.back = t->back ? 1 : 0;
    if (x.from != FNLI_ANY_STAGE && !x.back &&
        m->stages[x.to].rank <= m->stages[x.from].rank)
        return fail(e, FNL_EINVAL,
                    "moving back (to a lower rank or a side stage) needs "
                    "'back':", t->to);
    if (x.from == FNLI_ANY_STAGE && !x.back && m->stages[x.to].rank == 0)
        return fail(e, FNL_EINVAL,
                    "a wildcard into a side stage needs 'back':", t->to);
    x.trigger = (uint8_t)t->trigger;
    switch (t->trigger) {
    case FNL_TRIGGER_NONE:
        if (t->when.p == NULL)
            return fail(e, FNL_EINVAL,
                        "a transition needs a trigger or a condition", t->to);
        break;
    case FNL_TRIGGER_EVENT:
        if ((rc = fnli_mb_intern(m, t->name, 1, &x.name, e, 0, 0)) != FNL_OK)
            return rc;
        if (t->reason.p != NULL &&
            (rc = fnli_mb_intern(m, t->reason, 0, &x.reason, e, 0, 0)) !=
                FNL_OK)
            return rc;
        break;
    case FNL_TRIGGER_KEY_EVENT:
        if ((rc = fnli_mb_intern(m, t->name, 0, &x.name, e, 0, 0)) != FNL_OK)
            return rc;
        break;
    case FNL_TRIGGER_TOUCH:
        if ((rc = filter_of(m, t->type, t->channel, t->campaign, &x.touch,
                            e)) != FNL_OK)
            return rc;
        break;
    case FNL_TRIGGER_IDLE:
    case FNL_TRIGGER_STAY:
        if (!duration_ok(t->duration, 0))
            return fail(e, FNL_EINVAL, "duration out of range", t->to);
        x.duration = t->duration;
        break;
    default:
        return fail(e, FNL_EINVAL, "unknown trigger", t->to);
    }
    if (t->trigger != FNL_TRIGGER_EVENT && t->reason.p != NULL)
        return fail(e, FNL_EINVAL, "only events have reasons", t->reason);
    if ((rc = cond_of(m, t->when, t->when_line, t->when_col, &x.when, e)) !=
        FNL_OK)
        return rc;
    x.priority = t->priority;
    if ((rc = GROW(trans, ntrans, cap_trans)) != FNL_OK)
        return rc;
    m->trans[m->ntrans++] = x;
    return FNL_OK;
}

int fnli_mb_transition(fnl_machine *m, const fnli_trans_in *t, fnli_perr *e)
{
    fnli_mmark mk;
    int rc = check_open(m, e);
    if (rc != FNL_OK)
        return rc;
    fnli_mb_mark(m, &mk);
    if ((rc = add_transition(m, t, e)) != FNL_OK)
        fnli_mb_rollback(m, &mk);
    return rc;
}

/* ---- owners, groups, routes ------------------------------------------------- */

static int owner_ref(fnl_machine *m, fnli_txt name, int queue, uint32_t *out,
                     fnli_perr *e)
{
    uint32_t s, o;
    int rc = fnli_mb_intern(m, name, 0, &s, e, 0, 0);
    if (rc != FNL_OK)
        return rc;
    o = fnli_machine_owner_find(m, m->str[s].p, m->str[s].n);
    if (o != 0) {
        if ((int)m->owners[o - 1].queue != queue)
            return fail(e, FNL_EINVAL,
                        queue ? "an owner, not a queue:"
                              : "a queue, not an owner:", name);
        *out = o;
        return FNL_OK;
    }
    if (m->nowners >= FNL_MACHINE_MAX_OWNERS)
        return fail(e, FNL_ELIMIT, "too many owners", name);
    if ((rc = GROW(owners, nowners, cap_owners)) != FNL_OK)
        return rc;
    m->owners[m->nowners].name = s;
    m->owners[m->nowners].queue = (uint32_t)queue;
    *out = (uint32_t)++m->nowners;
    return FNL_OK;
}

static uint32_t group_find(const fnl_machine *m, const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < m->ngroups; i++) {
        const fnli_mstring *ms = &m->str[m->groups[i].name];
        if (ms->n == n && fnli_ascii_casecmp_n(ms->p, n, s, n) == 0)
            return (uint32_t)i;
    }
    return FNLI_NONE;
}

static int add_group(fnl_machine *m, fnli_txt name, const fnli_txt *members,
                     size_t count, fnli_perr *e)
{
    uint32_t idx, first = (uint32_t)m->nmembers;
    size_t i, j;
    int rc;
    if (m->ngroups >= FNL_MACHINE_MAX_GROUPS)
        return fail(e, FNL_ELIMIT, "too many groups", name);
    if (count == 0 || members == NULL)
        return fail(e, FNL_EINVAL, "a group needs members:", name);
    if (count > FNL_MACHINE_MAX_OWNERS)
        return fail(e, FNL_ELIMIT, "too many members", name);
    if ((rc = fnli_mb_intern(m, name, 1, &idx, e, 0, 0)) != FNL_OK)
        return rc;
    if (group_find(m, m->str[idx].p, m->str[idx].n) != FNLI_NONE)
        return fail(e, FNL_EEXIST, "group defined twice:", name);
    for (i = 0; i < count; i++) {
        uint32_t o;
        if ((rc = owner_ref(m, members[i], 0, &o, e)) != FNL_OK)
            return rc;
        for (j = first; j < m->nmembers; j++)
            if (m->members[j] == o)
                return fail(e, FNL_EEXIST, "member listed twice:", members[i]);
        if ((rc = GROW(members, nmembers, cap_members)) != FNL_OK)
            return rc;
        m->members[m->nmembers++] = o;
    }
    if ((rc = GROW(groups, ngroups, cap_groups)) != FNL_OK)
        return rc;
    m->groups[m->ngroups].name = idx;
    m->groups[m->ngroups].first = first;
    m->groups[m->ngroups].count = (uint32_t)count;
    m->ngroups++;
    return FNL_OK;
}

int fnli_mb_group(fnl_machine *m, fnli_txt name, const fnli_txt *members,
                  size_t count, fnli_perr *e)
{
    fnli_mmark mk;
    int rc = check_open(m, e);
    if (rc != FNL_OK)
        return rc;
    fnli_mb_mark(m, &mk);
    if ((rc = add_group(m, name, members, count, e)) != FNL_OK)
        fnli_mb_rollback(m, &mk);
    return rc;
}

static int add_route(fnl_machine *m, const fnli_route_in *r, fnli_perr *e)
{
    fnli_mroute x;
    int rc;
    memset(&x, 0, sizeof(x));
    if (m->nroutes >= FNL_MACHINE_MAX_RULES)
        return fail(e, FNL_ELIMIT, "too many routes", r->stage);
    if ((rc = stage_ref(m, r->stage, &x.stage, e)) != FNL_OK)
        return rc;
    x.target = (uint8_t)r->target;
    if (r->mode > FNL_ROUTE_LEAST_LOADED ||
        (r->mode != 0 && r->target != FNL_ROUTE_GROUP))
        return fail(e, FNL_EINVAL, "a mode is for groups only", r->name);
    x.mode = (uint8_t)r->mode;
    switch (r->target) {
    case FNL_ROUTE_OWNER:
    case FNL_ROUTE_QUEUE:
        rc = owner_ref(m, r->name, r->target == FNL_ROUTE_QUEUE, &x.ref, e);
        if (rc != FNL_OK)
            return rc;
        break;
    case FNL_ROUTE_GROUP: {
        char buf[FNL_MAX_NAME + 2];
        long n = r->name.p ? unescape(r->name, buf, sizeof(buf)) : -1;
        x.ref = n < 0 ? FNLI_NONE : group_find(m, buf, (size_t)n);
        if (x.ref == FNLI_NONE)
            return fail(e, FNL_EINVAL, "unknown group", r->name);
        break;
    }
    case FNL_ROUTE_ACCOUNT_OWNER:
        if (r->name.p != NULL)
            return fail(e, FNL_EINVAL, "account_owner takes no name", r->name);
        break;
    default:
        return fail(e, FNL_EINVAL, "unknown route target", r->name);
    }
    if ((rc = cond_of(m, r->when, r->when_line, r->when_col, &x.when, e)) !=
        FNL_OK)
        return rc;
    if ((rc = GROW(routes, nroutes, cap_routes)) != FNL_OK)
        return rc;
    m->routes[m->nroutes++] = x;
    return FNL_OK;
}

int fnli_mb_route(fnl_machine *m, const fnli_route_in *r, fnli_perr *e)
{
    fnli_mmark mk;
    int rc = check_open(m, e);
    if (rc != FNL_OK)
        return rc;
    fnli_mb_mark(m, &mk);
    if ((rc = add_route(m, r, e)) != FNL_OK)
        fnli_mb_rollback(m, &mk);
    return rc;
}

int fnli_mb_fallback(fnl_machine *m, fnli_txt queue, fnli_perr *e)
{
    fnli_mmark mk;
    uint32_t o;
    int rc = check_open(m, e);
    if (rc != FNL_OK)
        return rc;
    if (m->fallback != 0)
        return fail(e, FNL_EEXIST, "a second fallback queue", queue);
    fnli_mb_mark(m, &mk);
    if ((rc = owner_ref(m, queue, 1, &o, e)) != FNL_OK) {
        fnli_mb_rollback(m, &mk);
        return rc;
    }
    m->fallback = o;
    return FNL_OK;
}

/* ---- SLAs ------------------------------------------------------------------- */

static int add_sla(fnl_machine *m, const fnli_sla_in *s, fnli_perr *e)
{
    fnli_msla x;
    size_t i, on_stage = 0;
    int rc;
    memset(&x, 0, sizeof(x));
    x.event = FNLI_NONE;
    x.touch.type = x.touch.channel = x.touch.campaign = FNLI_NONE;
    x.breach_stage = FNLI_NO_STAGE;
    if ((rc = stage_ref(m, s->stage, &x.stage, e)) != FNL_OK)
        return rc;
    for (i = 0; i < m->nslas; i++)
        on_stage += m->slas[i].stage == x.stage;
    if (on_stage >= FNL_MACHINE_MAX_SLAS)
        return fail(e, FNL_ELIMIT, "too many SLAs on stage", s->stage);
    x.kind = (uint8_t)s->kind;
    switch (s->kind) {
    case FNL_SLA_ACCEPT:
        rc = fnli_mb_intern(m, fnli_txt_of("sales_accept"), 1, &x.event, e, 0,
                            0);
        break;
    case FNL_SLA_EVENT:
        rc = fnli_mb_intern(m, s->event, 1, &x.event, e, 0, 0);
        break;
    case FNL_SLA_TOUCH:
        if (s->count > 255)
            return fail(e, FNL_EINVAL, "a touch count is 1..255", s->stage);
        x.count = s->count ? s->count : 1;
        x.by_owner = s->by_owner ? 1 : 0;
        rc = filter_of(m, s->type, s->channel, s->campaign, &x.touch, e);
        break;
    default:
        return fail(e, FNL_EINVAL, "unknown SLA kind", s->stage);
    }
    if (rc != FNL_OK)
        return rc;
    if (s->name.p != NULL) {
        rc = fnli_mb_intern(m, s->name, 1, &x.name, e, 0, 0);
    } else {
        fnli_txt def = fnli_txt_of(s->kind == FNL_SLA_ACCEPT ? "accept"
                                   : s->kind == FNL_SLA_TOUCH ? "touch"
                                                              : NULL);
        rc = def.p != NULL ? fnli_mb_intern(m, def, 1, &x.name, e, 0, 0)
                           : (x.name = x.event, FNL_OK);
    }
    if (rc != FNL_OK)
        return rc;
    for (i = 0; i < m->nslas; i++)
        if (m->slas[i].stage == x.stage && m->slas[i].name == x.name)
            return fail(e, FNL_EEXIST, "SLA defined twice:", s->name.p ? s->name
                        : fnli_txt_of(m->str[x.name].p));
    if (!duration_ok(s->within, 0))
        return fail(e, FNL_EINVAL, "duration out of range", s->stage);
    if (s->days && s->within % FNLI_DAY_MS != 0)
        return fail(e, FNL_EINVAL, "within_days needs whole days", s->stage);
    x.within = s->within;
    x.days = s->days ? 1 : 0;
    if (s->calendar.p == NULL)  /* without a calendar a day is 24 h */
        x.days = s->within % FNLI_DAY_MS == 0;
    if (s->calendar.p != NULL) {
        char buf[128];
        const char *why = NULL;
        size_t col = 0;
        long n = unescape(s->calendar, buf, sizeof(buf));
        if (n < 0 || fnli_calendar_parse(buf, (size_t)n, &x.cal, &why, &col) !=
                         FNL_OK) {
            fnli_perr_set(e, s->cal_line, s->cal_col ? s->cal_col + 1 +
                          (uint32_t)col : 0, why ? why : "calendar too long",
                          NULL, 0);
            return FNL_EINVAL;
        }
    }
    x.breach = (uint8_t)s->breach;
    switch (s->breach) {
    case FNL_SLA_BREACH_EVENT:
    case FNL_SLA_BREACH_REROUTE:
        break;
    case FNL_SLA_BREACH_STAGE:
        if ((rc = stage_ref(m, s->breach_stage, &x.breach_stage, e)) != FNL_OK)
            return rc;
        if (x.breach_stage == x.stage)
            return fail(e, FNL_EINVAL, "a breach must change the stage",
                        s->breach_stage);
        break;
    default:
        return fail(e, FNL_EINVAL, "unknown breach action", s->stage);
    }
    if ((rc = GROW(slas, nslas, cap_slas)) != FNL_OK)
        return rc;
    m->slas[m->nslas++] = x;
    return FNL_OK;
}

int fnli_mb_sla(fnl_machine *m, const fnli_sla_in *s, fnli_perr *e)
{
    fnli_mmark mk;
    int rc = check_open(m, e);
    if (rc != FNL_OK)
        return rc;
    fnli_mb_mark(m, &mk);
    if ((rc = add_sla(m, s, e)) != FNL_OK)
        fnli_mb_rollback(m, &mk);
    return rc;
}

/* ---- steps ------------------------------------------------------------------ */

static int add_step(fnl_machine *m, const fnli_step_in *s, fnli_perr *e)
{
    fnli_mstep x;
    size_t i;
    int rc;
    memset(&x, 0, sizeof(x));
    x.event = FNLI_NONE;
    x.stage = FNLI_NO_STAGE;
    x.touch.type = x.touch.channel = x.touch.campaign = FNLI_NONE;
    if (m->nsteps >= FNL_MACHINE_MAX_RULES)
        return fail(e, FNL_ELIMIT, "too many steps", s->name);
    if ((rc = fnli_mb_intern(m, s->name, 1, &x.name, e, 0, 0)) != FNL_OK)
        return rc;
    for (i = 0; i < m->nsteps; i++)
        if (m->steps[i].name == x.name)
            return fail(e, FNL_EEXIST, "step defined twice:", s->name);
    x.trigger = (uint8_t)s->trigger;
    switch (s->trigger) {
    case FNL_TRIGGER_ENTER:
        rc = stage_ref(m, s->stage, &x.stage, e);
        break;
    case FNL_TRIGGER_EVENT:
        rc = fnli_mb_intern(m, s->event, 1, &x.event, e, 0, 0);
        break;
    case FNL_TRIGGER_KEY_EVENT:
        rc = fnli_mb_intern(m, s->event, 0, &x.event, e, 0, 0);
        break;
    case FNL_TRIGGER_TOUCH:
        rc = filter_of(m, s->type, s->channel, s->campaign, &x.touch, e);
        break;
    default:
        return fail(e, FNL_EINVAL, "a step triggers on enter, event, "
                                   "key_event or touch:", s->name);
    }
    if (rc != FNL_OK)
        return rc;
    if (!duration_ok(s->after, 1))
        return fail(e, FNL_EINVAL, "duration out of range", s->name);
    x.after = s->after;
    if ((rc = fnli_mb_intern(m, s->action, 0, &x.action, e, 0, 0)) != FNL_OK)
        return rc;
    if ((rc = cond_of(m, s->when, s->when_line, s->when_col, &x.when, e)) !=
        FNL_OK)
        return rc;
    if ((rc = cond_of(m, s->unless, s->unless_line, s->unless_col, &x.unless,
                      e)) != FNL_OK)
        return rc;
    if ((rc = GROW(steps, nsteps, cap_steps)) != FNL_OK)
        return rc;
    m->steps[m->nsteps++] = x;
    return FNL_OK;
}

int fnli_mb_step(fnl_machine *m, const fnli_step_in *s, fnli_perr *e)
{
    fnli_mmark mk;
    int rc = check_open(m, e);
    if (rc != FNL_OK)
        return rc;
    fnli_mb_mark(m, &mk);
    if ((rc = add_step(m, s, e)) != FNL_OK)
        fnli_mb_rollback(m, &mk);
    return rc;
}

/* ---- compile ---------------------------------------------------------------- */

/* Transition a before b in a stage's order. */
static int trans_before(const fnl_machine *m, uint32_t a, uint32_t b)
{
    const fnli_mtrans *x = &m->trans[a], *y = &m->trans[b];
    int xw = x->from == FNLI_ANY_STAGE, yw = y->from == FNLI_ANY_STAGE;
    if (x->priority != y->priority)
        return x->priority > y->priority;
    if (xw != yw)
        return !xw;
    return a < b;
}

static int applies(const fnl_machine *m, const fnli_mtrans *t, size_t s)
{
    if (t->from != FNLI_ANY_STAGE)
        return t->from == s;
    if (t->to == s)
        return 0;
    return t->back || m->stages[t->to].rank > m->stages[s].rank;
}

int fnli_mb_finish(fnl_machine *m, fnli_perr *e)
{
    size_t s, i, total = 0, at, tat, rat = 0, sat = 0;
    uint32_t *torder, *rorder, *sorder;
    uint32_t initial = m->initial;
    int rc = check_open(m, e);
    if (rc != FNL_OK)
        return rc;
    if (m->nstages == 0)
        return fail(e, FNL_EINVAL, "a machine needs stages", fnli_txt_of(NULL));
    if (initial == FNLI_NONE)
        initial = 0;
    for (s = 0; s < m->nstages; s++)
        for (i = 0; i < m->ntrans; i++)
            total += applies(m, &m->trans[i], s);
    /* torder: each stage's transitions in priority order, then (from
       `total` on) each stage's timed ones, in the same order */
    torder = fnli_malloc(&m->mem, (total ? 2 * total : 1) * sizeof(*torder));
    rorder = fnli_malloc(&m->mem, (m->nroutes ? m->nroutes : 1) *
                                      sizeof(*rorder));
    sorder = fnli_malloc(&m->mem, (m->nslas ? m->nslas : 1) *
                                      sizeof(*sorder));
    if (torder == NULL || rorder == NULL || sorder == NULL) {
        fnli_free(&m->mem, torder,
                  (total ? 2 * total : 1) * sizeof(*torder));
        fnli_free(&m->mem, rorder, (m->nroutes ? m->nroutes : 1) *
                                       sizeof(*rorder));
        fnli_free(&m->mem, sorder, (m->nslas ? m->nslas : 1) *
                                       sizeof(*sorder));
        return nomem(e);
    }
    at = 0;
    tat = total;
    for (s = 0; s < m->nstages; s++) {
        fnli_mstage *st = &m->stages[s];
        size_t first = at, j;
        st->tfirst = (uint32_t)at;
        for (i = 0; i < m->ntrans; i++) {
            if (!applies(m, &m->trans[i], s))
                continue;
            /* insertion sort: small lists */
            j = at++;
            while (j > first && trans_before(m, (uint32_t)i, torder[j - 1])) {
                torder[j] = torder[j - 1];
                j--;
            }
            torder[j] = (uint32_t)i;
        }
        st->tcount = (uint32_t)(at - first);
        st->timed_first = (uint32_t)tat;
        for (j = first; j < at; j++)
            if (m->trans[torder[j]].trigger == FNL_TRIGGER_IDLE ||
                m->trans[torder[j]].trigger == FNL_TRIGGER_STAY)
                torder[tat++] = torder[j];
        st->ntimed = (uint32_t)(tat - st->timed_first);
        st->rfirst = (uint32_t)rat;
        for (i = 0; i < m->nroutes; i++)
            if (m->routes[i].stage == s)
                rorder[rat++] = (uint32_t)i;
        st->rcount = (uint32_t)(rat - st->rfirst);
        st->sfirst = (uint32_t)sat;
        for (i = 0; i < m->nslas; i++)
            if (m->slas[i].stage == s)
                sorder[sat++] = (uint32_t)i;
        st->scount = (uint32_t)(sat - st->sfirst);
    }
    m->torder = torder;
    m->ntorder = total ? 2 * total : 1;
    m->rorder = rorder;
    m->sorder = sorder;
    m->initial = initial;
    m->stages[initial].flags |= FNL_STAGE_INITIAL;
    rc = fnli_machine_render(m);
    if (rc != FNL_OK) {
        fnli_free(&m->mem, torder, m->ntorder * sizeof(*torder));
        fnli_free(&m->mem, rorder, (m->nroutes ? m->nroutes : 1) *
                                       sizeof(*rorder));
        fnli_free(&m->mem, sorder, (m->nslas ? m->nslas : 1) *
                                       sizeof(*sorder));
        m->torder = m->rorder = m->sorder = NULL;
        m->ntorder = 0;
        if (m->initial != FNLI_NONE && initial != m->initial)
            m->stages[initial].flags &= (uint16_t)~FNL_STAGE_INITIAL;
        return nomem(e);
    }
    m->finished = 1;
    return FNL_OK;
}

size_t fnli_stage_max_recs(const fnl_machine *m)
{
    /* Per transition: itself, an assignment, a breach per SLA of the stage
     * left; passed-through stages are at most one per stage overall. */
    return (size_t)(FNLI_STAGE_MAX_CHAIN + 1) * (3 + FNL_MACHINE_MAX_SLAS) +
           m->nstages;
}

size_t fnli_stage_max_steps(const fnl_machine *m)
{
    size_t enter = 0, other = 0, i;
    for (i = 0; i < m->nsteps; i++) {
        if (m->steps[i].trigger == FNL_TRIGGER_ENTER)
            enter++;
        else
            other++;
    }
    return enter * (FNLI_STAGE_MAX_CHAIN + 1) + other;
}

/* ---- public API --------------------------------------------------------------- */

static const char *const host_events[] = {
    NULL, "sales_accept", "sales_reject", "sales_qualify",
    "opportunity_created", "deal_won", "deal_lost", "disqualify",
    "unsubscribe", "resubscribe"};

FNL_API const char *fnl_host_event_name(uint32_t event)
{
    if (event == 0 || event >= sizeof(host_events) / sizeof(host_events[0]))
        return NULL;
    return host_events[event];
}

FNL_API void fnl_machine_free(fnl_machine *machine)
{
    fnli_machine_destroy(machine);
}

FNL_API int fnl_machine_to_text(const fnl_machine *m, char *buf, size_t cap,
                                size_t *len)
{
    if (m == NULL || len == NULL || (buf == NULL && cap > 0))
        return FNL_EINVAL;
    *len = m->text_len;
    if (cap <= m->text_len)
        return FNL_ERANGE;
    memcpy(buf, m->text, m->text_len + 1);
    return FNL_OK;
}

FNL_API const char *fnl_machine_name(const fnl_machine *m)
{
    return m == NULL ? "" : m->str[m->name].p;
}

FNL_API uint32_t fnl_machine_version(const fnl_machine *m)
{
    return m == NULL ? 0 : m->version;
}

FNL_API uint32_t fnl_machine_stage_count(const fnl_machine *m)
{
    return m == NULL ? 0 : (uint32_t)m->nstages;
}

FNL_API const char *fnl_machine_stage_name(const fnl_machine *m,
                                           uint32_t index)
{
    if (m == NULL || index >= m->nstages)
        return NULL;
    return m->str[m->stages[index].name].p;
}

FNL_API int fnl_machine_stage_find(const fnl_machine *m, const char *name,
                                   uint32_t *index)
{
    uint32_t s;
    if (m == NULL || name == NULL || index == NULL)
        return FNL_EINVAL;
    s = fnli_machine_stage_index(m, name, strlen(name));
    if (s == FNLI_NO_STAGE)
        return FNL_ENOTFOUND;
    *index = s;
    return FNL_OK;
}

FNLI_DEFINE_INIT(fnl_stage_info_init, fnl_stage_info, FNL_STAGE_INFO_INIT)

FNL_API int fnl_machine_stage_info(const fnl_machine *m, uint32_t index,
                                   fnl_stage_info *out)
{
    fnl_stage_info d;
    const fnli_mstage *s;
    if (m == NULL || out == NULL || out->size < sizeof(uint32_t))
        return FNL_EINVAL;
    if (index >= m->nstages)
        return FNL_ENOTFOUND;
    s = &m->stages[index];
    d.size = out->size;
    d.name = m->str[s->name].p;
    d.rank = s->rank;
    d.flags = s->flags;
    d.transitions = s->tcount;
    d.slas = s->scount;
    d.routes = s->rcount;
    memcpy(out, &d, out->size < sizeof(d) ? out->size : sizeof(d));
    return FNL_OK;
}

/* Builder wrappers: NUL-terminated strings to slices. */

static fnli_txt opt(const char *s)
{
    return fnli_txt_of(s);
}

FNL_API int fnl_machine_builder_new(fnl_machine_builder **out,
                                    const char *name, uint32_t version,
                                    const fnl_allocator *alloc)
{
    fnl_machine *m;
    fnl_machine_builder *b;
    fnli_perr e;
    int rc;
    memset(&e, 0, sizeof(e));
    if (out == NULL || name == NULL)
        return FNL_EINVAL;
    rc = fnli_machine_new(&m, alloc, opt(name), version, &e);
    if (rc != FNL_OK)
        return rc;
    b = fnli_malloc(&m->mem, sizeof(*b));
    if (b == NULL) {
        fnli_machine_destroy(m);
        return FNL_ENOMEM;
    }
    b->mem = m->mem;
    b->m = m;
    b->spent = 0;
    *out = b;
    return FNL_OK;
}

FNL_API void fnl_machine_builder_free(fnl_machine_builder *b)
{
    fnli_mem mem;
    if (b == NULL)
        return;
    mem = b->mem;
    if (!b->spent)  /* else the machine belongs to the caller */
        fnli_machine_destroy(b->m);
    fnli_free(&mem, b, sizeof(*b));
}

#define BUILDER_OK(b) ((b) != NULL && !(b)->spent)

FNL_API int fnl_machine_builder_stage(fnl_machine_builder *b,
                                      const char *name, uint32_t flags)
{
    if (!BUILDER_OK(b) || name == NULL)
        return FNL_EINVAL;
    return fnli_mb_stage(b->m, opt(name), flags, NULL);
}

FNLI_DEFINE_INIT(fnl_transition_def_init, fnl_transition_def, FNL_TRANSITION_DEF_INIT)

FNLI_DEFINE_INIT(fnl_route_def_init, fnl_route_def, FNL_ROUTE_DEF_INIT)

FNLI_DEFINE_INIT(fnl_sla_def_init, fnl_sla_def, FNL_SLA_DEF_INIT)

FNLI_DEFINE_INIT(fnl_step_def_init, fnl_step_def, FNL_STEP_DEF_INIT)

static int finish_err(fnl_parse_error *err, const fnli_perr *e, int rc)
{
    fnli_perr_copy(err, e);
    return rc;
}

FNL_API int fnl_machine_builder_transition(fnl_machine_builder *b,
                                           const fnl_transition_def *t,
                                           fnl_parse_error *err)
{
    fnli_trans_in in;
    fnli_perr e;
    memset(&e, 0, sizeof(e));
    memset(&in, 0, sizeof(in));
    if (!BUILDER_OK(b) || t == NULL || t->size < sizeof(*t))
        return FNL_EINVAL;
    in.from = opt(t->from);
    in.to = opt(t->to);
    in.back = t->back != 0;
    in.trigger = t->trigger;
    in.name = opt(t->name);
    in.reason = opt(t->reason);
    in.type = opt(t->touch.type);
    in.channel = opt(t->touch.channel);
    in.campaign = opt(t->touch.campaign);
    in.duration = t->duration;
    in.when = opt(t->when);
    in.when_line = 1;
    in.when_col = 1;
    in.priority = t->priority;
    return finish_err(err, &e, fnli_mb_transition(b->m, &in, &e));
}

FNL_API int fnl_machine_builder_group(fnl_machine_builder *b,
                                      const char *name,
                                      const char *const *members,
                                      size_t count)
{
    fnli_txt local[64], *arr = local;
    size_t i;
    int rc;
    if (!BUILDER_OK(b) || name == NULL || members == NULL || count == 0 ||
        count > FNL_MACHINE_MAX_OWNERS)
        return FNL_EINVAL;
    for (i = 0; i < count; i++)
        if (members[i] == NULL)
            return FNL_EINVAL;
    if (count > 64) {
        arr = fnli_malloc(&b->m->mem, count * sizeof(*arr));
        if (arr == NULL)
            return FNL_ENOMEM;
    }
    for (i = 0; i < count; i++)
        arr[i] = opt(members[i]);
    rc = fnli_mb_group(b->m, opt(name), arr, count, NULL);
    if (arr != local)
        fnli_free(&b->m->mem, arr, count * sizeof(*arr));
    return rc;
}

FNL_API int fnl_machine_builder_route(fnl_machine_builder *b,
                                      const fnl_route_def *r,
                                      fnl_parse_error *err)
{
    fnli_route_in in;
    fnli_perr e;
    memset(&e, 0, sizeof(e));
    memset(&in, 0, sizeof(in));
    if (!BUILDER_OK(b) || r == NULL || r->size < sizeof(*r))
        return FNL_EINVAL;
    in.stage = opt(r->stage);
    in.when = opt(r->when);
    in.when_line = 1;
    in.when_col = 1;
    in.name = opt(r->name);
    in.target = r->target;
    in.mode = r->mode;
    return finish_err(err, &e, fnli_mb_route(b->m, &in, &e));
}

FNL_API int fnl_machine_builder_fallback(fnl_machine_builder *b,
                                         const char *queue)
{
    if (!BUILDER_OK(b) || queue == NULL)
        return FNL_EINVAL;
    return fnli_mb_fallback(b->m, opt(queue), NULL);
}

FNL_API int fnl_machine_builder_sla(fnl_machine_builder *b,
                                    const fnl_sla_def *s,
                                    fnl_parse_error *err)
{
    fnli_sla_in in;
    fnli_perr e;
    memset(&e, 0, sizeof(e));
    memset(&in, 0, sizeof(in));
    if (!BUILDER_OK(b) || s == NULL || s->size < sizeof(*s))
        return FNL_EINVAL;
    in.stage = opt(s->stage);
    in.name = opt(s->name);
    in.event = opt(s->event);
    in.kind = s->kind;
    in.count = s->count;
    in.by_owner = s->by_owner;
    in.type = opt(s->touch.type);
    in.channel = opt(s->touch.channel);
    in.campaign = opt(s->touch.campaign);
    in.within = s->within;
    in.days = s->within_days != 0;
    in.calendar = opt(s->calendar);
    in.breach = s->breach;
    in.breach_stage = opt(s->breach_stage);
    return finish_err(err, &e, fnli_mb_sla(b->m, &in, &e));
}

FNL_API int fnl_machine_builder_step(fnl_machine_builder *b,
                                     const fnl_step_def *s,
                                     fnl_parse_error *err)
{
    fnli_step_in in;
    fnli_perr e;
    memset(&e, 0, sizeof(e));
    memset(&in, 0, sizeof(in));
    if (!BUILDER_OK(b) || s == NULL || s->size < sizeof(*s))
        return FNL_EINVAL;
    in.name = opt(s->name);
    in.trigger = s->trigger;
    in.stage = opt(s->stage);
    in.event = opt(s->event);
    in.type = opt(s->touch.type);
    in.channel = opt(s->touch.channel);
    in.campaign = opt(s->touch.campaign);
    in.when = opt(s->when);
    in.unless = opt(s->unless);
    in.when_line = in.unless_line = 1;
    in.when_col = in.unless_col = 1;
    in.after = s->after;
    in.action = opt(s->action);
    return finish_err(err, &e, fnli_mb_step(b->m, &in, &e));
}

FNL_API int fnl_machine_builder_finish(fnl_machine_builder *b,
                                       fnl_machine **out)
{
    int rc;
    if (!BUILDER_OK(b) || out == NULL)
        return FNL_EINVAL;
    rc = fnli_mb_finish(b->m, NULL);
    if (rc != FNL_OK)
        return rc;
    b->spent = 1;
    *out = b->m;
    return FNL_OK;
}
