/* attribution_engine.c -- attribution over the engine's own data.
 *
 * A read-only analytics module (DESIGN.md 3a, "question"): it walks the
 * deal, contact, account and touch stores, builds one journey per
 * conversion (and, on request, per non-converting unit) and hands the
 * journeys to a sink: a journeys container or, without that detour, a
 * partial.  It never writes to the engine; its scratch memory comes from
 * the engine's allocator through a counter of its own, so even the
 * engine's memory statistics stay as they were.
 *
 * Definitions (docs/attribution.md, "Attribution over the engine"):
 *   conversion   won deal (time closed), created deal (time created), or
 *                a contact's first entry into a lifecycle stage (entered
 *                or passed through, from the attached machine's history;
 *                value 0)
 *   buying group the deal's contacts (contact scope), plus every contact
 *                of the deal's account, or of its contacts' accounts when
 *                the deal has none (account scope); for a stage entry the
 *                contact, plus every contact of its account (account
 *                scope)
 *   journey      the group's touches with time in [T - lookback, T], not
 *                of an excluded type, sorted by (time, arrival)
 *   markers      lead: first touch of a lead type, else the first touch;
 *                opportunity: last touch at or before the deal's created
 *                time; close: the last touch (won deals only); stage
 *                entries have neither opportunity nor close
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "attribution.h"
#include "normalize.h"
#include "stage_engine.h"
#include "store.h"

#define NONE_KEY FNL_GROUP_NONE_KEY
#define MAX_TYPES 1024

enum { CF_KNOWN = 1, CF_EXCLUDED = 2, CF_LEAD = 4 };

typedef struct etouch {
    int64_t time;
    uint32_t idx;      /* touch index: arrival order breaks time ties */
    uint32_t contact;
} etouch;

typedef struct ectx {
    const fnl_engine *e;
    fnli_mem mem;          /* scratch: engine's allocator, own counter */
    fnl_engine_attribution_options o;
    fnl_engine_attribution_stats st;
    uint32_t attr_name;    /* string id of group_attr, 0: none */
    uint32_t currency;     /* packed filter, 0: none */
    uint32_t *excl, *lead; /* type string ids (0 entries: unknown types) */
    size_t nexcl, nlead;
    uint32_t stage;        /* STAGE_ENTRY: the machine's stage index */
    int64_t *entry;        /* STAGE_ENTRY, per contact: first entry time of
                              a live contact (merged-away ones folded in),
                              INT64_MAX: never entered */
    /* the sink: exactly one is set */
    fnl_journeys *js;
    fnli_attr *a;
    /* caches and scratch */
    uint32_t *ckey;        /* per class: group id + 1, 0: not yet */
    uint8_t *cflag;        /* per class: CF_* */
    size_t ncls;
    uint32_t *pkey;        /* per contact: group id + 1 (attr, owner) */
    uint32_t *mark;        /* per contact: epoch of the group it is in */
    uint32_t *amark;       /* per account: epoch */
    uint8_t *ondeal;       /* per contact: on some deal (NO_DEAL), or
                              entered the stage (NOT_ENTERED) */
    uint8_t *covered;      /* per account: in some buying group, or has
                              a contact that entered the stage */
    size_t ncon, nacc;
    uint32_t epoch;
    uint32_t *members;
    size_t nmembers, members_cap;
    etouch *tb;
    size_t ntb, tb_cap;
    uint32_t *gids;
    int64_t *times;
    size_t jcap;
    char *kbuf;            /* key text scratch */
    size_t kbuf_cap;
} ectx;

/* ------------------------------------------------------------------------
 * Options
 * ------------------------------------------------------------------------ */

FNL_API int fnl_engine_attribution_options_init(
    fnl_engine_attribution_options *opts, size_t size)
{
    static const fnl_engine_attribution_options d =
        FNL_ENGINE_ATTRIBUTION_OPTIONS_INIT;
    return fnli_init_struct(opts, size, &d, sizeof(d));
}

FNL_API int fnl_engine_attribution_stats_init(
    fnl_engine_attribution_stats *stats, size_t size)
{
    static const fnl_engine_attribution_stats d =
        FNL_ENGINE_ATTRIBUTION_STATS_INIT;
    return fnli_init_struct(stats, size, &d, sizeof(d));
}

/* Type names to string ids (a type the engine never saw matches no touch:
 * id 0, kept so the count stays honest). */
static int resolve_types(ectx *x, const char *what, const char *const *v,
                         size_t n, uint32_t **out, size_t *count)
{
    size_t i;
    if (n == 0)
        return FNL_OK;
    if (v == NULL)
        return fnli_fail(x->e, FNL_EINVAL, "%s: NULL array", what);
    if (n > MAX_TYPES)
        return fnli_fail(x->e, FNL_ELIMIT, "%s: more than %d types", what,
                         MAX_TYPES);
    *out = fnli_malloc(&x->mem, n * sizeof(**out));
    if (*out == NULL)
        return fnli_fail(x->e, FNL_ENOMEM, "allocation failed");
    *count = n;
    for (i = 0; i < n; i++) {
        char buf[FNL_MAX_NAME + 1];
        const char *why = "invalid";
        int k;
        if (v[i] == NULL)
            return fnli_fail(x->e, FNL_EINVAL, "%s %zu: NULL", what, i);
        k = fnli_name_fold(v[i], 1, buf, sizeof(buf), &why);
        if (k < 0)
            return fnli_fail(x->e, FNL_EINVAL, "%s '%.64s': %s", what, v[i],
                             why);
        (*out)[i] = fnli_intern_find(&x->e->strings, buf, (size_t)k);
    }
    return FNL_OK;
}

/* The stage of a stage-entry run: a stage of the attached machine, its
 * name compared ASCII case-insensitively. */
static int resolve_stage(ectx *x)
{
    const fnl_machine *m = fnli_stages_machine(x->e);
    const char *s = x->o.stage;
    uint32_t k;
    if (s == NULL || s[0] == '\0')
        return fnli_fail(x->e, FNL_EINVAL,
                         "stage-entry conversions: no stage named");
    if (m == NULL)
        return fnli_fail(x->e, FNL_ENOTFOUND,
                         "stage '%.64s': no stage machine is attached", s);
    k = fnli_machine_stage_index(m, s, strlen(s));
    if (k == FNLI_NO_STAGE)
        return fnli_fail(x->e, FNL_ENOTFOUND,
                         "stage '%.64s': the machine '%.64s' has no such "
                         "stage", s, fnli_mstr(m, m->name));
    x->stage = k;
    return FNL_OK;
}

static int resolve_options(ectx *x, const fnl_engine_attribution_options *in)
{
    static const char *const lead_default[2] = { "form_submit",
                                                 "trial_request" };
    fnl_engine_attribution_options d = FNL_ENGINE_ATTRIBUTION_OPTIONS_INIT;
    fnl_engine_attribution_options *o = &x->o;
    int rc;
    *o = d;
    if (in != NULL) {
        if (in->size < sizeof(uint32_t))
            return fnli_fail(x->e, FNL_EINVAL,
                             "attribution options: size not set");
        memcpy(o, in, in->size < sizeof(*o) ? in->size : sizeof(*o));
        o->size = sizeof(*o);
    }
    if (o->conversion != FNL_CONVERSION_DEAL_WON &&
        o->conversion != FNL_CONVERSION_DEAL_CREATED &&
        o->conversion != FNL_CONVERSION_STAGE_ENTRY)
        return fnli_fail(x->e, FNL_EINVAL, "unknown conversion kind %u",
                         (unsigned)o->conversion);
    if (o->scope > FNL_SCOPE_CONTACT)
        return fnli_fail(x->e, FNL_EINVAL, "unknown journey scope %u",
                         (unsigned)o->scope);
    if (o->group_by > FNL_GROUP_OWNER)
        return fnli_fail(x->e, FNL_EINVAL, "unknown grouping %u",
                         (unsigned)o->group_by);
    if (o->lookback_ms < 0 && o->lookback_ms != FNL_LOOKBACK_UNLIMITED)
        return fnli_fail(x->e, FNL_EINVAL, "lookback %lld ms is negative",
                         (long long)o->lookback_ms);
    if (o->nonconverting & ~(FNL_NONCONV_LOST_DEALS | FNL_NONCONV_NO_DEAL |
                             FNL_NONCONV_NOT_ENTERED))
        return fnli_fail(x->e, FNL_EINVAL, "unknown non-converting bits");
    if ((o->nonconverting & FNL_NONCONV_LOST_DEALS) &&
        o->conversion != FNL_CONVERSION_DEAL_WON)
        return fnli_fail(x->e, FNL_EINVAL,
                         "lost deals are non-converting only when "
                         "conversions are won deals");
    if ((o->nonconverting & FNL_NONCONV_NO_DEAL) &&
        o->conversion == FNL_CONVERSION_STAGE_ENTRY)
        return fnli_fail(x->e, FNL_EINVAL,
                         "with stage-entry conversions the non-converting "
                         "units are those that never entered the stage "
                         "(FNL_NONCONV_NOT_ENTERED), not deal-less ones");
    if ((o->nonconverting & FNL_NONCONV_NOT_ENTERED) &&
        o->conversion != FNL_CONVERSION_STAGE_ENTRY)
        return fnli_fail(x->e, FNL_EINVAL,
                         "units that never entered a stage are "
                         "non-converting only for stage-entry conversions");
    if (o->from > o->until)
        return fnli_fail(x->e, FNL_EINVAL, "from is after until");
    if (o->unattributed_key != NULL) {
        size_t n = strlen(o->unattributed_key);
        if (n == 0 || n > FNL_MAX_STRING ||
            !fnli_attr_utf8_ok(o->unattributed_key, n))
            return fnli_fail(x->e, FNL_EINVAL, "bad unattributed key");
    }
    if (o->group_by == FNL_GROUP_CONTACT_ATTR ||
        o->group_by == FNL_GROUP_ACCOUNT_ATTR) {
        char buf[FNL_MAX_NAME + 1];
        const char *why = "missing";
        int k = o->group_attr
                    ? fnli_name_fold(o->group_attr, 1, buf, sizeof(buf), &why)
                    : -1;
        if (k < 0)
            return fnli_fail(x->e, FNL_EINVAL, "group attribute: %s", why);
        x->attr_name = fnli_intern_find(&x->e->strings, buf, (size_t)k);
    }
    if (o->currency != NULL) {
        rc = fnli_currency(x->e, "currency filter", o->currency,
                           &x->currency);
        if (rc)
            return rc;
        /* stage entries carry no money: the filter (kept valid so one
         * options struct serves revenue and funnel runs) selects nothing */
        if (o->conversion == FNL_CONVERSION_STAGE_ENTRY)
            x->currency = 0;
    }
    if (o->conversion == FNL_CONVERSION_STAGE_ENTRY &&
        (rc = resolve_stage(x)) != FNL_OK)
        return rc;
    rc = resolve_types(x, "excluded type", o->exclude_types,
                       o->exclude_type_count, &x->excl, &x->nexcl);
    if (rc)
        return rc;
    if (o->lead_type_count == 0)
        return resolve_types(x, "lead type", lead_default, 2, &x->lead,
                             &x->nlead);
    return resolve_types(x, "lead type", o->lead_types, o->lead_type_count,
                         &x->lead, &x->nlead);
}

/* ------------------------------------------------------------------------
 * The sink
 * ------------------------------------------------------------------------ */

static int sink_group(ectx *x, const char *s, size_t n, uint32_t *gid)
{
    int rc;
    if (n > FNL_MAX_STRING)
        return fnli_fail(x->e, FNL_ELIMIT,
                         "group key of %zu bytes is over the limit", n);
    if (x->a != NULL)
        rc = fnli_attr_group(x->a, s, n, gid);
    else
        rc = fnli_gtab_intern(&x->js->groups, &x->js->mem, s, n, gid);
    if (rc == FNL_ENOMEM)
        return fnli_fail(x->e, rc, "allocation failed");
    if (rc)
        return fnli_fail(x->e, rc, "bad group key '%.64s'", s);
    return FNL_OK;
}

static int sink_journey(ectx *x, const fnli_journey *j)
{
    int rc = x->a != NULL ? fnli_attr_add(x->a, j)
                          : fnli_journeys_push(x->js, j);
    if (rc)
        return fnli_fail(x->e, rc, rc == FNL_ENOMEM ? "allocation failed"
                                                    : "journey rejected");
    x->st.touches += j->n;
    if (j->conversions)
        x->st.conversions++;
    else
        x->st.nonconverting++;
    return FNL_OK;
}

/* ------------------------------------------------------------------------
 * Group keys
 * ------------------------------------------------------------------------ */

static int kbuf_room(ectx *x, size_t n)
{
    if (n <= x->kbuf_cap)
        return FNL_OK;
    if (fnli_grow(&x->mem, (void **)&x->kbuf, &x->kbuf_cap, n, 1, 256))
        return fnli_fail(x->e, FNL_ENOMEM, "allocation failed");
    return FNL_OK;
}

static int str_key(ectx *x, uint32_t sid, uint32_t *gid)
{
    const char *s = fnli_str(&x->e->strings, sid);
    if (s == NULL)
        return sink_group(x, NONE_KEY, strlen(NONE_KEY), gid);
    return sink_group(x, s, fnli_str_len(&x->e->strings, sid), gid);
}

static const int field_of[] = {
    TF_CHANNEL, TF_CAMPAIGN, TF_CONTENT, TF_UTM_SOURCE, TF_UTM_MEDIUM,
    TF_UTM_CAMPAIGN, TF_TYPE
};

/* The flags of a touch class, computed once per class. */
static uint8_t class_flags(ectx *x, uint32_t cls)
{
    uint8_t f = x->cflag[cls];
    size_t i;
    if (f & CF_KNOWN)
        return f;
    f = CF_KNOWN;
    {
        uint32_t type = TCLASS(x->e, cls)->f[TF_TYPE];
        for (i = 0; i < x->nexcl; i++)
            if (x->excl[i] != 0 && x->excl[i] == type)
                f |= CF_EXCLUDED;
        for (i = 0; i < x->nlead; i++)
            if (x->lead[i] != 0 && x->lead[i] == type)
                f |= CF_LEAD;
    }
    x->cflag[cls] = f;
    return f;
}

static int class_key(ectx *x, uint32_t cls, uint32_t *gid)
{
    const fnli_tclass *cl;
    const fnli_intern *s = &x->e->strings;
    uint32_t g;
    int rc;
    if (x->ckey[cls]) {
        *gid = x->ckey[cls] - 1;
        return FNL_OK;
    }
    cl = TCLASS(x->e, cls);
    if (x->o.group_by == FNL_GROUP_CHANNEL_CAMPAIGN &&
        cl->f[TF_CAMPAIGN] != 0) {
        uint32_t ch = cl->f[TF_CHANNEL], ca = cl->f[TF_CAMPAIGN];
        size_t nch = ch ? fnli_str_len(s, ch) : strlen(NONE_KEY);
        size_t nca = fnli_str_len(s, ca);
        if ((rc = kbuf_room(x, nch + nca + 4)) != FNL_OK)
            return rc;
        memcpy(x->kbuf, ch ? fnli_str(s, ch) : NONE_KEY, nch);
        memcpy(x->kbuf + nch, " > ", 3);
        memcpy(x->kbuf + nch + 3, fnli_str(s, ca), nca);
        x->kbuf[nch + 3 + nca] = '\0';
        rc = sink_group(x, x->kbuf, nch + 3 + nca, &g);
    } else if (x->o.group_by == FNL_GROUP_CHANNEL_CAMPAIGN) {
        rc = str_key(x, cl->f[TF_CHANNEL], &g);
    } else {
        rc = str_key(x, cl->f[field_of[x->o.group_by]], &g);
    }
    if (rc)
        return rc;
    x->ckey[cls] = g + 1;
    *gid = g;
    return FNL_OK;
}

static uint32_t find_attr(const fnl_engine *e, uint32_t head, uint32_t name)
{
    uint32_t a;
    for (a = head; a != 0; a = ATTRNODE(e, a)->next)
        if (ATTRNODE(e, a)->name == name)
            return a;
    return 0;
}

/* Keys that depend on the touching contact (attributes, owner). */
static int contact_key(ectx *x, uint32_t c, uint32_t *gid)
{
    const fnl_engine *e = x->e;
    uint32_t g, an = 0;
    int rc;
    if (x->pkey[c]) {
        *gid = x->pkey[c] - 1;
        return FNL_OK;
    }
    if (x->o.group_by == FNL_GROUP_OWNER) {
        rc = str_key(x, CONTACT(e, c)->owner, &g);
    } else {
        if (x->attr_name != 0) {
            if (x->o.group_by == FNL_GROUP_CONTACT_ATTR)
                an = find_attr(e, CONTACT(e, c)->attrs, x->attr_name);
            else if (CONTACT(e, c)->account != 0)
                an = find_attr(e, ACCOUNT(e, CONTACT(e, c)->account)->attrs,
                               x->attr_name);
        }
        if (an != 0 && ATTRNODE(e, an)->type == FNL_ATTR_NUMBER) {
            char num[40];
            int k = snprintf(num, sizeof(num), "%.17g", ATTRNODE(e, an)->num);
            rc = sink_group(x, num, (size_t)k, &g);
        } else {
            rc = str_key(x, an ? ATTRNODE(e, an)->str : 0, &g);
        }
    }
    if (rc)
        return rc;
    x->pkey[c] = g + 1;
    *gid = g;
    return FNL_OK;
}

static int touch_key(ectx *x, const etouch *t, uint32_t *gid)
{
    if (x->o.group_by >= FNL_GROUP_CONTACT_ATTR)
        return contact_key(x, t->contact, gid);
    return class_key(x, T_CLASS(&x->e->touches, t->idx), gid);
}

/* ------------------------------------------------------------------------
 * Buying groups and their touches
 * ------------------------------------------------------------------------ */

static int live(const fnl_engine *e, uint32_t c)
{
    return CONTACT(e, c)->state == CONTACT_LIVE;
}

static void next_epoch(ectx *x)
{
    if (++x->epoch == 0) {
        memset(x->mark, 0, x->ncon * sizeof(*x->mark));
        memset(x->amark, 0, x->nacc * sizeof(*x->amark));
        x->epoch = 1;
    }
    x->nmembers = 0;
}

static void add_member(ectx *x, uint32_t c)
{
    c = fnli_find(x->e, c);
    if (!live(x->e, c) || x->mark[c] == x->epoch)
        return;
    x->mark[c] = x->epoch;
    x->members[x->nmembers++] = c; /* room: one slot per contact */
}

static void add_account(ectx *x, uint32_t a)
{
    uint32_t c;
    if (a == 0 || x->amark[a] == x->epoch)
        return;
    x->amark[a] = x->epoch;
    x->covered[a] = 1; /* in a deal's buying group (NO_DEAL) */
    for (c = ACCOUNT(x->e, a)->contacts; c != 0;
         c = CONTACT(x->e, c)->acct_next)
        add_member(x, c);
}

/* The members of deal d's journey; marks accounts it covers. */
static void deal_group(ectx *x, uint32_t d)
{
    const fnl_engine *e = x->e;
    const fnli_deal *dr = DEAL(e, d);
    uint32_t k, m0;
    next_epoch(x);
    for (k = dr->contacts; k != 0; k = DEALCONTACT(e, k)->next)
        add_member(x, DEALCONTACT(e, k)->contact);
    if (x->o.scope != FNL_SCOPE_ACCOUNT)
        return;
    if (dr->account != 0) {
        add_account(x, dr->account);
        return;
    }
    m0 = (uint32_t)x->nmembers;
    for (k = 0; k < m0; k++)
        add_account(x, CONTACT(e, x->members[k])->account);
}

static int cmp_etouch(const void *a, const void *b)
{
    const etouch *p = a, *q = b;
    if (p->time != q->time)
        return p->time < q->time ? -1 : 1;
    return (p->idx > q->idx) - (p->idx < q->idx);
}

/* The members' touches with time in [lo, hi], not excluded, sorted. */
static int collect(ectx *x, int64_t lo, int64_t hi)
{
    const fnl_engine *e = x->e;
    const fnli_touches *ts = &e->touches;
    size_t i, need = 0;
    x->ntb = 0;
    for (i = 0; i < x->nmembers; i++)
        need += CONTACT(e, x->members[i])->touch_count;
    if (need > x->tb_cap &&
        fnli_grow(&x->mem, (void **)&x->tb, &x->tb_cap, need,
                  sizeof(*x->tb), 256))
        return fnli_fail(e, FNL_ENOMEM, "allocation failed");
    for (i = 0; i < x->nmembers; i++) {
        uint32_t c = x->members[i], t;
        for (t = CONTACT(e, c)->touch_head; t != 0; t = T_NEXT(ts, t)) {
            int64_t tm = T_TIME(ts, t);
            if (tm < lo || tm > hi ||
                (class_flags(x, T_CLASS(ts, t)) & CF_EXCLUDED))
                continue;
            x->tb[x->ntb].time = tm;
            x->tb[x->ntb].idx = t;
            x->tb[x->ntb].contact = c;
            x->ntb++;
        }
    }
    if (x->ntb > 1)
        fnli_qsort(x->tb, x->ntb, sizeof(*x->tb), cmp_etouch);
    return FNL_OK;
}

static int64_t window_start(const ectx *x, int64_t t)
{
    if (x->o.lookback_ms == FNL_LOOKBACK_UNLIMITED ||
        t - FNL_TIME_MIN < x->o.lookback_ms)
        return FNL_TIME_MIN;
    return t - x->o.lookback_ms;
}

/* Emit the journey of tb[first .. ntb).  conv: 1 conversion of `value`
 * at time t, else one null.  created: the deal's created time for the
 * opportunity marker (INT64_MIN: none); close: mark the last touch. */
static int emit(ectx *x, size_t first, int conv, int64_t value, int64_t t,
                int64_t created, int close)
{
    fnli_journey j = FNLI_JOURNEY_INIT;
    size_t n = x->ntb - first, i;
    int rc;
    if (n == 0) {
        if (!conv)
            return FNL_OK;
        if (x->o.unattributed_key == NULL) {
            x->st.untouched++;
            x->st.untouched_value += value;
            return FNL_OK;
        }
    }
    if (n > FNLI_MAX_JOURNEY_TOUCHES)
        return fnli_fail(x->e, FNL_ELIMIT,
                         "a journey of %zu touches is over the limit", n);
    if ((n ? n : 1) > x->jcap) {
        void **const arrs[2] = { (void **)&x->gids, (void **)&x->times };
        const size_t el[2] = { sizeof(*x->gids), sizeof(*x->times) };
        if (fnli_grow_parallel(&x->mem, arrs, el, 2, &x->jcap, n ? n : 1))
            return fnli_fail(x->e, FNL_ENOMEM, "allocation failed");
    }
    if (n == 0) {
        rc = sink_group(x, x->o.unattributed_key,
                        strlen(x->o.unattributed_key), &x->gids[0]);
        if (rc)
            return rc;
        x->times[0] = t;
        n = 1;
        j.lead = 0;
        j.opportunity = created != INT64_MIN && t <= created ? 0 : -1;
        j.close = close ? 0 : -1;
    } else {
        for (i = 0; i < n; i++) {
            const etouch *et = &x->tb[first + i];
            rc = touch_key(x, et, &x->gids[i]);
            if (rc)
                return rc;
            x->times[i] = et->time;
            if (j.lead < 0 && (x->cflag[T_CLASS(&x->e->touches, et->idx)] &
                               CF_LEAD))
                j.lead = (int32_t)i;
            if (created != INT64_MIN && et->time <= created)
                j.opportunity = (int32_t)i;
        }
        if (j.lead < 0)
            j.lead = 0;
        j.close = close ? (int32_t)(n - 1) : -1;
    }
    if (!conv)
        j.lead = j.opportunity = j.close = -1;
    j.groups = x->gids;
    j.times = x->times;
    j.n = (uint32_t)n;
    j.conversions = conv ? 1 : 0;
    j.nulls = conv ? 0 : 1;
    j.value = conv ? value : 0;
    j.conversion_time = t;
    return sink_journey(x, &j);
}

/* ------------------------------------------------------------------------
 * The runs over deals and over the units without deals
 * ------------------------------------------------------------------------ */

static void unpack(uint32_t v, char out[4])
{
    out[0] = (char)(v & 0xff);
    out[1] = (char)((v >> 8) & 0xff);
    out[2] = (char)((v >> 16) & 0xff);
    out[3] = '\0';
}

/* What deal d is for this run: 1 conversion, 0 non-converting, -1 none;
 * *t its time. */
static int deal_role(const ectx *x, const fnli_deal *d, int64_t *t)
{
    if (x->o.conversion == FNL_CONVERSION_DEAL_CREATED) {
        *t = d->created;
        return 1;
    }
    *t = d->closed;
    if (d->status == FNL_DEAL_WON)
        return 1;
    if (d->status == FNL_DEAL_LOST &&
        (x->o.nonconverting & FNL_NONCONV_LOST_DEALS))
        return 0;
    return -1;
}

/* Converting deals must share one currency unless a filter picks one. */
static int check_currency(ectx *x)
{
    const fnl_engine *e = x->e;
    uint32_t d, first = 0, cur = x->currency;
    for (d = 1; d < e->dealpool.count; d++) {
        const fnli_deal *dr = DEAL(e, d);
        int64_t t;
        if (deal_role(x, dr, &t) != 1 || t < x->o.from || t >= x->o.until)
            continue;
        if (x->currency != 0)
            continue;
        if (first == 0) {
            first = d;
            cur = dr->currency;
        } else if (dr->currency != cur) {
            char a[4], b[4];
            unpack(cur, a);
            unpack(dr->currency, b);
            return fnli_fail(e, FNL_EINVAL,
                             "deals in %s ('%s') and %s ('%s'): attribute "
                             "one currency at a time (set a currency "
                             "filter)", a,
                             fnli_str(&e->strings, DEAL(e, first)->name), b,
                             fnli_str(&e->strings, dr->name));
        }
    }
    unpack(cur, x->st.currency);
    return FNL_OK;
}

static int run_deals(ectx *x)
{
    const fnl_engine *e = x->e;
    uint32_t d;
    size_t i;
    int rc;
    for (d = 1; d < e->dealpool.count; d++) {
        const fnli_deal *dr = DEAL(e, d);
        int64_t t;
        int role = deal_role(x, dr, &t), group = 0;
        if (x->o.nonconverting & FNL_NONCONV_NO_DEAL) {
            /* every deal's group is "on a deal", whatever its role */
            deal_group(x, d);
            group = 1;
            for (i = 0; i < x->nmembers; i++)
                x->ondeal[x->members[i]] = 1;
        }
        if (role < 0 || t < x->o.from || t >= x->o.until)
            continue;
        if (x->currency != 0 && dr->currency != x->currency) {
            x->st.other_currency++;
            continue;
        }
        if (role == 1 && dr->amount > FNLI_MAX_JOURNEY_VALUE)
            return fnli_fail(e, FNL_ELIMIT, "deal '%s': amount over the "
                             "limit", fnli_str(&e->strings, dr->name));
        if (!group)
            deal_group(x, d);
        rc = collect(x, window_start(x, t), t);
        if (rc)
            return rc;
        rc = emit(x, 0, role, dr->amount, t, dr->created,
                  role == 1 && x->o.conversion == FNL_CONVERSION_DEAL_WON);
        if (rc)
            return rc;
    }
    return FNL_OK;
}

/* One non-converting unit (its members are set): the window ends at its
 * last touch. */
static int emit_unit(ectx *x)
{
    size_t first = 0;
    int64_t t, lo;
    int rc = collect(x, FNL_TIME_MIN, FNL_TIME_MAX);
    if (rc || x->ntb == 0)
        return rc;
    t = x->tb[x->ntb - 1].time;
    if (t < x->o.from || t >= x->o.until)
        return FNL_OK;
    lo = window_start(x, t);
    while (x->tb[first].time < lo)
        first++;
    return emit(x, first, 0, 0, t, INT64_MIN, 0);
}

static int run_no_deal(ectx *x)
{
    const fnl_engine *e = x->e;
    uint32_t c, a;
    int rc;
    if (x->o.scope == FNL_SCOPE_ACCOUNT) {
        for (a = 1; a < e->accounts.count; a++) {
            if (x->covered[a])
                continue;
            size_t i, k = 0;
            next_epoch(x);
            add_account(x, a);
            for (i = 0; i < x->nmembers; i++)
                if (!x->ondeal[x->members[i]])
                    x->members[k++] = x->members[i];
            x->nmembers = k;
            if ((rc = emit_unit(x)) != FNL_OK)
                return rc;
        }
    }
    for (c = 1; c < e->contacts.count; c++) {
        const fnli_contact *cr = CONTACT(e, c);
        if (cr->state != CONTACT_LIVE || x->ondeal[c] ||
            cr->touch_count == 0 ||
            (x->o.scope == FNL_SCOPE_ACCOUNT && cr->account != 0))
            continue;
        next_epoch(x);
        add_member(x, c);
        if ((rc = emit_unit(x)) != FNL_OK)
            return rc;
    }
    return FNL_OK;
}

/* ------------------------------------------------------------------------
 * The run over stage entries
 * ------------------------------------------------------------------------ */

/* Each live contact's first entry into x->stage: a transition into it or
 * a pass through it (so funnel counts stay cumulative).  History is oldest
 * first, so a contact's first matching record is its earliest; a contact
 * merged away keeps its own history and folds into its survivor, which
 * keeps the earliest of their entries. */
static void find_entries(ectx *x)
{
    const fnl_engine *e = x->e;
    uint32_t c;
    for (c = 0; c < x->ncon; c++)
        x->entry[c] = INT64_MAX;
    for (c = 1; c < e->contacts.count; c++) {
        const fnli_stage_rec *r;
        uint32_t s;
        for (r = fnli_stages_first(e, c); r != NULL;
             r = fnli_stages_next(e, r))
            if ((r->kind == FNLI_REC_TRANSITION ||
                 r->kind == FNLI_REC_PASSED) &&
                r->to == x->stage)
                break;
        if (r == NULL)
            continue;
        s = fnli_find(e, c);
        if (live(e, s) && r->time < x->entry[s])
            x->entry[s] = r->time;
    }
}

/* One conversion per contact that entered the stage, at its first entry;
 * value 0.  The units that never entered are the non-converting ones. */
static int run_stages(ectx *x)
{
    const fnl_engine *e = x->e;
    uint32_t c;
    int rc;
    find_entries(x);
    for (c = 1; c < e->contacts.count; c++) {
        int64_t t = x->entry[c];
        uint32_t a = CONTACT(e, c)->account;
        if (t == INT64_MAX)
            continue;
        /* converted (at any time): never a non-converting unit, nor is
         * its account in account scope */
        x->ondeal[c] = 1;
        x->covered[a] = 1;
        if (t < x->o.from || t >= x->o.until)
            continue;
        next_epoch(x);
        add_member(x, c);
        if (x->o.scope == FNL_SCOPE_ACCOUNT)
            add_account(x, a);
        rc = collect(x, window_start(x, t), t);
        if (rc)
            return rc;
        rc = emit(x, 0, 1, 0, t, INT64_MIN, 0);
        if (rc)
            return rc;
    }
    if (x->o.nonconverting & FNL_NONCONV_NOT_ENTERED)
        return run_no_deal(x);
    return FNL_OK;
}

/* ------------------------------------------------------------------------
 * Driver
 * ------------------------------------------------------------------------ */

#define ARR(x, p, n) fnli_free(&(x)->mem, (p), (n) * sizeof(*(p)))

static void ectx_free(ectx *x)
{
    ARR(x, x->excl, x->nexcl);
    ARR(x, x->lead, x->nlead);
    ARR(x, x->ckey, x->ncls);
    ARR(x, x->cflag, x->ncls);
    ARR(x, x->pkey, x->ncon);
    ARR(x, x->mark, x->ncon);
    ARR(x, x->ondeal, x->ncon);
    ARR(x, x->members, x->ncon);
    ARR(x, x->amark, x->nacc);
    ARR(x, x->covered, x->nacc);
    ARR(x, x->entry, x->ncon);
    ARR(x, x->tb, x->tb_cap);
    ARR(x, x->gids, x->jcap);
    ARR(x, x->times, x->jcap);
    fnli_free(&x->mem, x->kbuf, x->kbuf_cap);
}

static int ectx_init(ectx *x, const fnl_engine *e,
                     const fnl_engine_attribution_options *opts)
{
    int rc;
    memset(x, 0, sizeof(*x));
    x->e = e;
    fnli_mem_init(&x->mem, &e->mem.a);
    x->mem.bytes = x->mem.peak = 0;
    fnl_engine_attribution_stats_init(&x->st, sizeof(x->st));
    rc = resolve_options(x, opts);
    if (rc)
        return rc;
    x->ncls = e->classes.count ? e->classes.count : 1;
    x->ncon = e->contacts.count ? e->contacts.count : 1;
    x->nacc = e->accounts.count ? e->accounts.count : 1;
    x->ckey = fnli_calloc(&x->mem, x->ncls, sizeof(*x->ckey));
    x->cflag = fnli_calloc(&x->mem, x->ncls, sizeof(*x->cflag));
    x->pkey = fnli_calloc(&x->mem, x->ncon, sizeof(*x->pkey));
    x->mark = fnli_calloc(&x->mem, x->ncon, sizeof(*x->mark));
    x->ondeal = fnli_calloc(&x->mem, x->ncon, sizeof(*x->ondeal));
    x->members = fnli_malloc(&x->mem, x->ncon * sizeof(*x->members));
    x->amark = fnli_calloc(&x->mem, x->nacc, sizeof(*x->amark));
    x->covered = fnli_calloc(&x->mem, x->nacc, sizeof(*x->covered));
    if (x->o.conversion == FNL_CONVERSION_STAGE_ENTRY)
        x->entry = fnli_malloc(&x->mem, x->ncon * sizeof(*x->entry));
    if (!x->ckey || !x->cflag || !x->pkey || !x->mark || !x->ondeal ||
        !x->members || !x->amark || !x->covered ||
        (x->o.conversion == FNL_CONVERSION_STAGE_ENTRY && !x->entry))
        return fnli_fail(e, FNL_ENOMEM, "allocation failed");
    return FNL_OK;
}

static int run(ectx *x)
{
    int rc;
    if (x->o.conversion == FNL_CONVERSION_STAGE_ENTRY)
        return run_stages(x);
    rc = check_currency(x);
    if (rc == FNL_OK)
        rc = run_deals(x);
    if (rc == FNL_OK && (x->o.nonconverting & FNL_NONCONV_NO_DEAL))
        rc = run_no_deal(x);
    return rc;
}

static void give_stats(const ectx *x, fnl_engine_attribution_stats *out)
{
    fnl_engine_attribution_stats s = x->st;
    uint32_t size;
    if (out == NULL)
        return;
    size = out->size;
    s.size = size;
    memcpy(out, &s, size < sizeof(s) ? size : sizeof(s));
}

static int check_args(const fnl_engine *e, const void *out,
                      const fnl_engine_attribution_stats *stats)
{
    if (e == NULL)
        return FNL_EINVAL;
    if (out == NULL)
        return fnli_fail(e, FNL_EINVAL, "attribution: NULL out");
    if (stats != NULL && stats->size < sizeof(uint32_t))
        return fnli_fail(e, FNL_EINVAL, "attribution stats: size not set");
    return FNL_OK;
}

FNL_API int fnl_engine_journeys(const fnl_engine *e,
                                const fnl_engine_attribution_options *opts,
                                fnl_journeys **out,
                                fnl_engine_attribution_stats *stats)
{
    fnl_attribution_options ao;
    fnl_journeys *js = NULL;
    ectx x;
    int rc = check_args(e, out, stats);
    if (rc)
        return rc;
    rc = ectx_init(&x, e, opts);
    if (rc == FNL_OK)
        rc = fnli_attr_copy_options(&ao, x.o.attribution);
    if (rc == FNL_OK && ao.value_decimals > 9)
        rc = fnli_fail(e, FNL_EINVAL, "value_decimals over 9");
    if (rc == FNL_OK) {
        rc = fnli_journeys_new(&js, ao.allocator ? ao.allocator : &e->mem.a,
                               ao.value_decimals);
        if (rc)
            fnli_fail(e, rc, "cannot make the journeys");
    }
    if (rc == FNL_OK) {
        x.js = js;
        rc = run(&x);
    }
    if (rc == FNL_OK) {
        give_stats(&x, stats);
        *out = js;
        fnli_clear(e);
    } else {
        fnl_journeys_free(js);
    }
    ectx_free(&x);
    return rc;
}

FNL_API int fnl_engine_attribution_partial(
    const fnl_engine *e, const fnl_engine_attribution_options *opts,
    fnl_attribution_partial **out, fnl_engine_attribution_stats *stats)
{
    fnl_attribution_options ao;
    fnl_attribution_partial *p = NULL;
    ectx x;
    int rc = check_args(e, out, stats);
    if (rc)
        return rc;
    rc = ectx_init(&x, e, opts);
    if (rc == FNL_OK)
        rc = fnli_attr_copy_options(&ao, x.o.attribution);
    if (rc == FNL_OK) {
        if (ao.allocator == NULL)
            ao.allocator = &e->mem.a;
        rc = fnl_attribution_partial_new(&p, &ao);
        if (rc)
            fnli_fail(e, rc, rc == FNL_ENOMEM ? "allocation failed"
                                              : "bad attribution options");
    }
    if (rc == FNL_OK) {
        x.a = &p->a;
        rc = run(&x);
    }
    if (rc == FNL_OK) {
        give_stats(&x, stats);
        *out = p;
        fnli_clear(e);
    } else {
        fnl_attribution_partial_free(p);
    }
    ectx_free(&x);
    return rc;
}

FNL_API int fnl_engine_attribute(const fnl_engine *e,
                                 const fnl_engine_attribution_options *opts,
                                 uint32_t model, fnl_attribution **out,
                                 fnl_engine_attribution_stats *stats)
{
    fnl_engine_attribution_options o = FNL_ENGINE_ATTRIBUTION_OPTIONS_INIT;
    fnl_attribution_options ao;
    fnl_attribution_partial *p;
    int rc = check_args(e, out, stats);
    if (rc)
        return rc;
    if (fnl_attr_model_name(model) == NULL)
        return fnli_fail(e, FNL_EINVAL, "unknown model %u", (unsigned)model);
    if (opts != NULL) {
        if (opts->size < sizeof(uint32_t))
            return fnli_fail(e, FNL_EINVAL,
                             "attribution options: size not set");
        memcpy(&o, opts, opts->size < sizeof(o) ? opts->size : sizeof(o));
        o.size = sizeof(o);
    }
    if (fnli_attr_copy_options(&ao, o.attribution) != FNL_OK)
        return fnli_fail(e, FNL_EINVAL, "attribution options: bad size");
    ao.models = FNL_ATTR_BIT(model);
    o.attribution = &ao;
    rc = fnl_engine_attribution_partial(e, &o, &p, stats);
    if (rc)
        return rc;
    rc = fnl_attribution_partial_finish(p, model, out);
    fnl_attribution_partial_free(p);
    if (rc)
        return fnli_fail(e, rc, rc == FNL_ENOMEM ? "allocation failed"
                                                 : "the model failed");
    fnli_clear(e);
    return FNL_OK;
}
