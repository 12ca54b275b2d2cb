/* dump.h -- serialise an engine's whole visible state through the public
 * API, so tests can assert "a failed call changed nothing" and "replay or
 * fault recovery gives the identical state" by comparing two strings.
 * Parts that only some states have (touch actors, deal attributes, owner
 * records) add lines only when present, so the dump of a state without
 * them reads as it did before they existed. */
#ifndef FNL_DUMP_H
#define FNL_DUMP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "funnelcore.h"

typedef struct dumpbuf {
    char *p;
    size_t n, cap;
} dumpbuf;

static void db_printf(dumpbuf *b, const char *fmt, ...)
{
    va_list ap;
    int k;
    for (;;) {
        size_t room = b->cap - b->n;
        va_start(ap, fmt);
        k = vsnprintf(b->p ? b->p + b->n : NULL, room, fmt, ap);
        va_end(ap);
        if (k >= 0 && (size_t)k < room) {
            b->n += (size_t)k;
            return;
        }
        b->cap = b->cap ? b->cap * 2 + (size_t)k : 4096 + (size_t)k;
        b->p = realloc(b->p, b->cap);
        if (b->p == NULL)
            abort();
    }
}

#define S(x) ((x) ? (x) : "-")

static void dump_attrs(dumpbuf *b, const fnl_attr *a, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (a[i].type == FNL_ATTR_STRING)
            db_printf(b, "  attr %s=%s\n", a[i].name, a[i].str);
        else
            db_printf(b, "  attr %s=%.17g\n", a[i].name, a[i].num);
    }
}

/* Returns a malloc'ed NUL-terminated string (caller frees). */
static char *dump_engine(fnl_engine *e)
{
    dumpbuf b = {NULL, 0, 0};
    fnl_contact_id c = 0;
    fnl_account_id a = 0;
    fnl_deal_id d = 0;
    fnl_stats st = FNL_STATS_INIT;
    uint64_t i;
    static fnl_key keys[256];
    static fnl_attr attrs[1024];
    static const char *strs[1024];
    static fnl_touch_info tis[4096];
    static fnl_deal_contact dcs[256];
    static const char *owners[4096];
    size_t n, k;

    fnl_engine_stats(e, &st);
    db_printf(&b, "stats contacts=%llu merges=%llu accounts=%llu touches=%llu "
              "deals=%llu costs=%llu keys=%llu\n",
              (unsigned long long)st.contacts, (unsigned long long)st.merges,
              (unsigned long long)st.accounts, (unsigned long long)st.touches,
              (unsigned long long)st.deals, (unsigned long long)st.costs,
              (unsigned long long)st.identity_keys);
    while (fnl_contact_next(e, c, &c) == FNL_OK) {
        fnl_contact_info ci = FNL_CONTACT_INFO_INIT;
        fnl_contact_get(e, c, &ci);
        db_printf(&b, "contact %llx acct=%llx owner=%s role=%u created=%lld "
                  "touches=%llu first=%lld last=%lld\n",
                  (unsigned long long)c, (unsigned long long)ci.account,
                  S(ci.owner), ci.role, (long long)ci.created,
                  (unsigned long long)ci.touch_count,
                  (long long)ci.first_touch, (long long)ci.last_touch);
        if (fnl_contact_keys(e, c, keys, 256, &n) == FNL_OK)
            for (k = 0; k < n; k++)
                db_printf(&b, "  key %s:%s\n", keys[k].kind, keys[k].value);
        if (fnl_contact_attrs(e, c, attrs, 1024, &n) == FNL_OK)
            dump_attrs(&b, attrs, n);
        if (fnl_contact_tags(e, c, strs, 1024, &n) == FNL_OK)
            for (k = 0; k < n; k++)
                db_printf(&b, "  tag %s\n", strs[k]);
        if (fnl_contact_touches(e, c, tis, sizeof(tis[0]), 4096, &n) ==
            FNL_OK)
            for (k = 0; k < n; k++) {
                db_printf(&b, "  touch %lld %s %s %s %s %s/%s/%s/%s/%s %lld",
                          (long long)tis[k].time, S(tis[k].type),
                          S(tis[k].channel), S(tis[k].campaign),
                          S(tis[k].content), S(tis[k].utm_source),
                          S(tis[k].utm_medium), S(tis[k].utm_campaign),
                          S(tis[k].utm_term), S(tis[k].utm_content),
                          (long long)tis[k].value);
                /* the actor only when there is one: dumps of states
                 * without actors read as they always did */
                if (tis[k].by != NULL)
                    db_printf(&b, " by=%s", tis[k].by);
                db_printf(&b, "\n");
            }
    }
    while (fnl_account_next(e, a, &a) == FNL_OK) {
        fnl_account_info ai = FNL_ACCOUNT_INFO_INIT;
        fnl_contact_id cs[256];
        fnl_account_get(e, a, &ai);
        db_printf(&b, "account %llx %s owner=%s contacts=%llu created=%lld\n",
                  (unsigned long long)a, ai.name, S(ai.owner),
                  (unsigned long long)ai.contact_count, (long long)ai.created);
        if (fnl_account_domains(e, a, strs, 1024, &n) == FNL_OK)
            for (k = 0; k < n; k++)
                db_printf(&b, "  domain %s\n", strs[k]);
        if (fnl_account_attrs(e, a, attrs, 1024, &n) == FNL_OK)
            dump_attrs(&b, attrs, n);
        if (fnl_account_contacts(e, a, cs, 256, &n) == FNL_OK)
            for (k = 0; k < n; k++)
                db_printf(&b, "  member %llx\n", (unsigned long long)cs[k]);
    }
    while (fnl_deal_next(e, d, &d) == FNL_OK) {
        fnl_deal_info di;
        memset(&di, 0, sizeof(di));
        di.size = sizeof(di);
        fnl_deal_get(e, d, &di);
        db_printf(&b, "deal %s acct=%llx %lld %s created=%lld closed=%lld "
                  "status=%u stage=%s owner=%s\n",
                  di.name, (unsigned long long)di.account,
                  (long long)di.amount, di.currency, (long long)di.created,
                  (long long)di.closed, di.status, S(di.stage), S(di.owner));
        if (fnl_deal_contacts(e, d, dcs, 256, &n) == FNL_OK)
            for (k = 0; k < n; k++)
                db_printf(&b, "  dc %llx %u\n",
                          (unsigned long long)dcs[k].contact, dcs[k].role);
        if (fnl_deal_attrs(e, d, attrs, 1024, &n) == FNL_OK && n > 0) {
            db_printf(&b, "deal-attrs %s (%u)\n", di.name, di.attr_count);
            dump_attrs(&b, attrs, n);
        }
    }
    for (i = 0;; i++) {
        fnl_cost co = FNL_COST_INIT;
        char cur[4];
        if (fnl_cost_get(e, i, &co, cur) != FNL_OK)
            break;
        db_printf(&b, "cost %s %s %s %lld %lld %lld %s\n", S(co.channel),
                  S(co.campaign), S(co.region), (long long)co.start,
                  (long long)co.end, (long long)co.amount, cur);
    }
    if (fnl_owner_list(e, owners, 4096, &n) == FNL_OK)
        for (k = 0; k < n; k++) {
            fnl_owner_info oi = FNL_OWNER_INFO_INIT;
            size_t na;
            fnl_owner_get(e, owners[k], &oi);
            db_printf(&b, "owner %s created=%lld attrs=%u\n", S(oi.name),
                      (long long)oi.created, oi.attr_count);
            if (fnl_owner_attrs(e, owners[k], attrs, 1024, &na) == FNL_OK)
                dump_attrs(&b, attrs, na);
        }
    db_printf(&b, "end\n");
    return b.p;
}

#endif
