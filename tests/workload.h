/* workload.h -- a deterministic random workload that exercises every
 * mutation kind (profile updates with attributes, tags, owners and roles;
 * touch batches that create, merge and join accounts; accounts; deals;
 * costs; erasure), so two engines fed the same seed must end identical. */
#ifndef FNL_WORKLOAD_H
#define FNL_WORKLOAD_H

#include <stdio.h>
#include "funnelcore.h"

static uint64_t wl_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static const char *wl_pick(uint64_t *s, const char *const *v, size_t n)
{
    return v[wl_next(s) % n];
}

/* One step; returns the call's status (failures are part of the game). */
static int wl_step(fnl_engine *e, uint64_t *s, int i)
{
    static const char *const channels[] = {"email", "seo", "events", NULL};
    static const char *const types[] = {"visit", "form_submit",
                                        "pricing_view", "Email_Open"};
    static const char *const doms[] = {"acme.com", "beta.io", "gmail.com",
                                       "qq.com", "gamma.cn"};
    static const char *const titles[] = {"CTO", "VP Sales", "Engineer",
                                         "Buyer"};
    static const char *const srcs[] = {"crm", "web", "import"};
    char k1[64], k2[64], url[128], id[32];
    uint64_t r = wl_next(s);
    int64_t t = 1700000000000 + (int64_t)i * 60000 -
                (int64_t)(wl_next(s) % 5) * 3600000;
    switch (r % 9) {
    case 0:
    case 1: {
        fnl_contact_update u = FNL_CONTACT_UPDATE_INIT;
        fnl_key k[2];
        fnl_attr a[2];
        const char *tags[1] = {wl_pick(s, srcs, 3)};
        snprintf(k1, sizeof(k1), "p%u@%s", (unsigned)(wl_next(s) % 40),
                 wl_pick(s, doms, 5));
        snprintf(k2, sizeof(k2), "ck%u", (unsigned)(wl_next(s) % 60));
        k[0].kind = "email";
        k[0].value = k1;
        k[1].kind = "cookie_id";
        k[1].value = k2;
        a[0].name = "title";
        a[0].type = FNL_ATTR_STRING;
        a[0].str = wl_pick(s, titles, 4);
        a[0].num = 0;
        a[1].name = "employees";
        a[1].type = wl_next(s) % 4 ? FNL_ATTR_NUMBER : FNL_ATTR_UNSET;
        a[1].str = NULL;
        a[1].num = (double)(wl_next(s) % 5000);
        u.keys = k;
        u.key_count = 1 + wl_next(s) % 2;
        u.attrs = a;
        u.attr_count = 2;
        u.tags_add = tags;
        u.tags_add_count = wl_next(s) % 2;
        u.tags_remove = tags;
        u.tags_remove_count = u.tags_add_count ? 0 : wl_next(s) % 2;
        u.owner = wl_next(s) % 3 ? NULL : (wl_next(s) % 2 ? "Mia" : "");
        u.role = (uint32_t)(wl_next(s) % 7);
        u.source = wl_pick(s, srcs, 3);
        u.time = t;
        return fnl_contact_upsert(e, &u, NULL);
    }
    case 2:
    case 3:
    case 4: {
        fnl_touch tb[3];
        fnl_key k[3][2];
        char kv[3][2][64];
        int n = 1 + (int)(wl_next(s) % 3), j;
        for (j = 0; j < n; j++) {
            fnl_touch x = FNL_TOUCH_INIT;
            snprintf(kv[j][0], 64, "ck%u", (unsigned)(wl_next(s) % 60));
            snprintf(kv[j][1], 64, "p%u@%s", (unsigned)(wl_next(s) % 40),
                     wl_pick(s, doms, 5));
            k[j][0].kind = "cookie_id";
            k[j][0].value = kv[j][0];
            k[j][1].kind = "email";
            k[j][1].value = kv[j][1];
            x.keys = k[j];
            x.key_count = 1 + wl_next(s) % 2;
            x.time = t + j;
            x.type = wl_pick(s, types, 4);
            x.channel = wl_pick(s, channels, 4);
            if (wl_next(s) % 2) {
                snprintf(url, sizeof(url),
                         "https://acme.com/p?utm_source=src%u&utm_medium=cpc"
                         "&utm_campaign=c%u",
                         (unsigned)(wl_next(s) % 4),
                         (unsigned)(wl_next(s) % 6));
                x.url = url;
            }
            x.value = (int64_t)(wl_next(s) % 100);
            tb[j] = x;
        }
        return fnl_touch_add_batch(e, tb, (size_t)n, NULL);
    }
    case 5: {
        fnl_account_update u = FNL_ACCOUNT_UPDATE_INIT;
        fnl_attr a = {"industry", FNL_ATTR_STRING, "Retail", 0};
        const char *d[1];
        snprintf(id, sizeof(id), "CRM-%u", (unsigned)(wl_next(s) % 8));
        snprintf(k1, sizeof(k1), "corp%u.com", (unsigned)(wl_next(s) % 8));
        d[0] = k1;
        u.id = id;
        u.domains = d;
        u.domain_count = wl_next(s) % 2;
        u.attrs = &a;
        u.attr_count = 1;
        u.owner = "Leo";
        u.time = t;
        return fnl_account_upsert(e, &u, NULL);
    }
    case 6: {
        fnl_deal_update u = FNL_DEAL_UPDATE_INIT;
        fnl_deal_contact dc;
        snprintf(id, sizeof(id), "OPP-%u", (unsigned)(wl_next(s) % 12));
        snprintf(k1, sizeof(k1), "p%u@%s", (unsigned)(wl_next(s) % 40),
                 wl_pick(s, doms, 5));
        dc.contact = 0;
        dc.key.kind = "email";
        dc.key.value = k1;
        dc.role = (uint32_t)(wl_next(s) % 7);
        u.id = id;
        u.account = wl_next(s) % 2 ? "acme.com" : NULL;
        u.contacts = &dc;
        u.contact_count = 1;
        u.amount = (int64_t)(wl_next(s) % 1000000);
        u.currency = wl_next(s) % 2 ? "EUR" : NULL;
        u.created = t - 86400000;
        u.status = (uint32_t)(wl_next(s) % 3);
        u.closed = u.status ? t : 0;
        u.stage = wl_next(s) % 2 ? "Proposal" : NULL;
        return fnl_deal_upsert(e, &u, NULL);
    }
    case 7: {
        fnl_cost c = FNL_COST_INIT;
        c.channel = wl_pick(s, channels, 3);
        c.region = wl_next(s) % 2 ? "APAC" : NULL;
        c.start = t;
        c.end = t + 86400000;
        c.amount = (int64_t)(wl_next(s) % 100000);
        return fnl_cost_add(e, &c, NULL);
    }
    default: {
        fnl_contact_id c;
        snprintf(k1, sizeof(k1), "p%u@%s", (unsigned)(wl_next(s) % 40),
                 wl_pick(s, doms, 5));
        if (wl_next(s) % 4 != 0 ||
            fnl_contact_find(e, "email", k1, &c) != FNL_OK)
            return FNL_ENOTFOUND;
        return fnl_contact_forget(e, c);
    }
    }
}

static void wl_run(fnl_engine *e, uint64_t seed, int steps)
{
    uint64_t s = seed * 2654435761u + 1;
    int i;
    for (i = 0; i < steps; i++)
        wl_step(e, &s, i);
}

#endif
