/*
 * journeys.c -- attribution journeys built from the engine's touches and
 * deals through the public read API.
 *
 * STOPGAP: the library's engine-based attribution (journeys taken from the
 * engine with lookback windows and account- or contact-based buying
 * groups) is being written.  Until it lands, the CLI builds journeys itself
 * with these rules, and `attribute`/`report` call this one function, so
 * replacing it is a local change:
 *
 *  - every won deal is one converting journey (1 conversion, value = the
 *    deal's amount in minor units): the touches, up to its close time, of
 *    the deal's contacts, or of all its account's contacts when the deal
 *    names none;
 *  - every lost deal is one non-converting journey (1 null), built alike;
 *  - every account without a closed deal, and every contact without an
 *    account that is on no closed deal, is one non-converting journey of
 *    all its touches;
 *  - open deals are left out (their outcome is unknown); journeys without
 *    touches are left out.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct tv {
    int64_t time;
    const char *group;
} tv;

typedef struct jb {
    fnl_engine *e;
    const char *by;
    tv *t;
    size_t n, cap;
    fnl_touch_info *ti;
    size_t ticap;
    const char **groups;
    size_t gcap;
    uint64_t *covered;
    size_t ncovered, covcap;
} jb;

static const char *group_of(const fnl_touch_info *t, const char *by)
{
    const char *g = t->channel;
    if (strcmp(by, "campaign") == 0)
        g = t->campaign;
    else if (strcmp(by, "content") == 0)
        g = t->content;
    else if (strcmp(by, "type") == 0)
        g = t->type;
    return g && *g ? g : "(none)";
}

/* Add the touches of one contact with time <= until (0: all). */
static int add_contact(jb *b, fnl_contact_id c, int64_t until)
{
    size_t count = 0;
    int rc = fnl_contact_touches(b->e, c, b->ti, sizeof(fnl_touch_info),
                                 b->ticap, &count);
    if (rc == FNL_ERANGE) {
        b->ticap = count + 16;
        b->ti = cli_xrealloc(b->ti, b->ticap * sizeof(fnl_touch_info));
        rc = fnl_contact_touches(b->e, c, b->ti, sizeof(fnl_touch_info),
                                 b->ticap, &count);
    }
    if (rc != FNL_OK)
        return rc == FNL_ENOTFOUND || rc == FNL_ESTALE ? FNL_OK : rc;
    for (size_t i = 0; i < count; i++) {
        if (until != 0 && b->ti[i].time > until)
            continue;
        if (b->n == b->cap) {
            b->cap = b->cap ? b->cap * 2 : 256;
            b->t = cli_xrealloc(b->t, b->cap * sizeof(tv));
        }
        b->t[b->n].time = b->ti[i].time;
        b->t[b->n].group = group_of(&b->ti[i], b->by);
        b->n++;
    }
    if (b->ncovered == b->covcap) {
        b->covcap = b->covcap ? b->covcap * 2 : 1024;
        b->covered = cli_xrealloc(b->covered, b->covcap * sizeof(uint64_t));
    }
    b->covered[b->ncovered++] = c;
    return FNL_OK;
}

static int cmp_tv(const void *a, const void *b)
{
    const tv *x = a, *y = b;
    return x->time < y->time ? -1 : x->time > y->time;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int add_account(jb *b, fnl_account_id a, int64_t until)
{
    fnl_contact_id stackbuf[64], *cs = stackbuf;
    size_t count = 0;
    int rc = fnl_account_contacts(b->e, a, cs, 64, &count);
    if (rc == FNL_ERANGE) {
        cs = cli_xmalloc(count * sizeof(*cs));
        rc = fnl_account_contacts(b->e, a, cs, count, &count);
    }
    for (size_t i = 0; rc == FNL_OK && i < count; i++)
        rc = add_contact(b, cs[i], until);
    if (cs != stackbuf)
        free(cs);
    return rc;
}

/* Emit the collected touches as one journey. */
static int emit(jb *b, fnl_journeys *j, uint64_t conv, uint64_t nulls,
                int64_t value, cli_journey_stats *st)
{
    fnl_journey jr = FNL_JOURNEY_INIT;
    int rc;
    if (b->n == 0)
        return 0;
    qsort(b->t, b->n, sizeof(tv), cmp_tv);
    if (b->n > b->gcap) {
        b->gcap = b->n;
        b->groups = cli_xrealloc(b->groups, b->gcap * sizeof(char *));
    }
    for (size_t i = 0; i < b->n; i++)
        b->groups[i] = b->t[i].group;
    jr.groups = b->groups;
    jr.touch_count = b->n;
    jr.conversions = conv;
    jr.nulls = nulls;
    jr.value = conv ? value : 0;
    rc = fnl_journeys_add(j, &jr);
    if (rc == FNL_OK)
        st->touches += b->n;
    b->n = 0;
    return rc;
}

int cli_journeys_from_engine(fnl_engine *e, const char *by, int value_decimals,
                             fnl_journeys **out, cli_journey_stats *st)
{
    jb b;
    fnl_journeys *j = NULL;
    fnl_deal_id d = 0;
    fnl_account_id a = 0;
    fnl_contact_id c = 0;
    fnl_stats es = FNL_STATS_INIT;
    uint64_t done = 0;
    uint64_t *acct_closed = NULL;
    size_t nacct = 0, acap = 0;
    int rc;

    memset(&b, 0, sizeof(b));
    memset(st, 0, sizeof(*st));
    b.e = e;
    b.by = by ? by : "channel";
    rc = fnl_journeys_new(&j, (uint32_t)value_decimals, NULL);
    if (rc != FNL_OK)
        return rc;
    fnl_engine_stats(e, &es);
    cli_progress_begin("build journeys", es.deals + es.accounts + es.contacts);
    /* closed deals */
    while (fnl_deal_next(e, d, &d) == FNL_OK) {
        fnl_deal_info di;
        fnl_deal_contact dcs[64], *dc = dcs;
        size_t n = 0;
        memset(&di, 0, sizeof(di));
        di.size = sizeof(di);
        if ((++done & 255) == 0) {
            cli_progress_update(done);
            if (cli_canceled()) {
                rc = FNL_ECANCELED;
                goto out;
            }
        }
        if (fnl_deal_get(e, d, &di) != FNL_OK || di.status == FNL_DEAL_OPEN)
            continue;
        rc = fnl_deal_contacts(e, d, dc, 64, &n);
        if (rc == FNL_ERANGE) {
            dc = cli_xmalloc(n * sizeof(*dc));
            rc = fnl_deal_contacts(e, d, dc, n, &n);
        }
        if (rc == FNL_OK && n > 0) {
            for (size_t i = 0; rc == FNL_OK && i < n; i++)
                rc = add_contact(&b, dc[i].contact, di.closed);
        } else if (rc == FNL_OK && di.account != 0) {
            rc = add_account(&b, di.account, di.closed);
        }
        if (dc != dcs)
            free(dc);
        if (di.account != 0) {
            if (nacct == acap) {
                acap = acap ? acap * 2 : 256;
                acct_closed = cli_xrealloc(acct_closed, acap * sizeof(uint64_t));
            }
            acct_closed[nacct++] = di.account;
        }
        if (rc != FNL_OK)
            goto out;
        if (b.n > 0) {
            if (di.status == FNL_DEAL_WON) {
                st->won++;
                st->won_value += di.amount;
            } else {
                st->lost++;
            }
        }
        rc = di.status == FNL_DEAL_WON ? emit(&b, j, 1, 0, di.amount, st)
                                       : emit(&b, j, 0, 1, 0, st);
        if (rc != FNL_OK)
            goto out;
    }
    qsort(acct_closed, nacct, sizeof(uint64_t), cmp_u64);
    /* accounts without a closed deal */
    while (fnl_account_next(e, a, &a) == FNL_OK) {
        if (++done % 256 == 0)
            cli_progress_update(done);
        if (nacct && bsearch(&a, acct_closed, nacct, sizeof(uint64_t),
                             cmp_u64) != NULL) {
            /* its contacts count as covered */
            continue;
        }
        if ((rc = add_account(&b, a, 0)) != FNL_OK)
            goto out;
        if (b.n > 0)
            st->unconverted++;
        if ((rc = emit(&b, j, 0, 1, 0, st)) != FNL_OK)
            goto out;
    }
    qsort(b.covered, b.ncovered, sizeof(uint64_t), cmp_u64);
    /* contacts without an account, on no closed deal */
    while (fnl_contact_next(e, c, &c) == FNL_OK) {
        fnl_contact_info ci = FNL_CONTACT_INFO_INIT;
        if ((++done & 1023) == 0) {
            cli_progress_update(done);
            if (cli_canceled()) {
                rc = FNL_ECANCELED;
                goto out;
            }
        }
        if (fnl_contact_get(e, c, &ci) != FNL_OK || ci.account != 0 ||
            ci.touch_count == 0)
            continue;
        if (b.ncovered && bsearch(&c, b.covered, b.ncovered, sizeof(uint64_t),
                                  cmp_u64) != NULL)
            continue;
        {
            size_t before = b.ncovered;
            if ((rc = add_contact(&b, c, 0)) != FNL_OK)
                goto out;
            b.ncovered = before; /* keep the sorted covered set intact */
        }
        if (b.n > 0)
            st->unconverted++;
        if ((rc = emit(&b, j, 0, 1, 0, st)) != FNL_OK)
            goto out;
    }
    rc = FNL_OK;
out:
    cli_progress_end();
    free(b.t);
    free(b.ti);
    free(b.groups);
    free(b.covered);
    free(acct_closed);
    if (rc != FNL_OK) {
        fnl_journeys_free(j);
        return rc;
    }
    (void)value_decimals;
    *out = j;
    return FNL_OK;
}
