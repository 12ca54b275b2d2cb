/* fuzz_ingest.c -- the engine's mutation road, driven by any bytes.
 *
 * The input is decoded into a sequence of calls: fnl_touch_add,
 * fnl_touch_add_batch, fnl_contact_upsert, fnl_account_upsert,
 * fnl_deal_upsert, fnl_cost_add and the readers, with keys, strings and
 * times drawn from small tables or from the input itself (so invalid
 * UTF-8, bad kinds, odd times and colliding keys all occur).
 *
 * Properties: no crash, leak or sanitizer report; every status is 0 or a
 * documented negative code; a failed call changes nothing (the engine's
 * counters are the same before and after); every handle the engine gives
 * back can be read. */
#include <string.h>

#include "funnelcore.h"
#include "fuzz.h"

#define T0 INT64_C(1767225600000)

static const char *const kinds[] = {"email", "phone", "cookie_id", "crm_id",
                                    "wechat_id", "Bad Kind", "", "EMAIL"};
static const char *const values[] = {
    "ana@acme.example", "bo@acme.example",  "cy@gmail.com",
    "+86 138 0013 8000", "030 1234567",     "c-1",
    "c-2",              "  ana@ACME.example ", "not an email",
    "x",                "\xff\xfe",         "dz@beta.example"};
static const char *const words[] = {"visit", "form_submit", "email",
                                    "paid_search", "google", "cpc",
                                    "spring", "",  "EUR", "acme.example",
                                    "https://acme.example/p?utm_source=bing"
                                    "&utm_medium=cpc&utm_campaign=x",
                                    "trial_request"};

typedef struct ctx {
    fuzz_in in;
    char sbuf[8][64]; /* strings taken from the input */
    unsigned snext;
    fnl_contact_id seen[16];
    unsigned nseen;
} ctx;

static const char *pick_str(ctx *c)
{
    uint8_t b = fuzz_u8(&c->in);
    if (b < 0x10)
        return NULL;
    if (b < 0xc0)
        return words[b % 12];
    return fuzz_str(&c->in, c->sbuf[c->snext++ % 8], 40);
}

static size_t pick_keys(ctx *c, fnl_key *keys, size_t max)
{
    size_t n = fuzz_u8(&c->in) % (max + 1), i;
    for (i = 0; i < n; i++) {
        uint8_t b = fuzz_u8(&c->in);
        keys[i].kind = kinds[b % 8];
        keys[i].value = (b & 0x80) ? fuzz_str(&c->in,
                                              c->sbuf[c->snext++ % 8], 40)
                                   : values[(b >> 3) % 12];
    }
    return n;
}

static int64_t pick_time(ctx *c)
{
    uint8_t b = fuzz_u8(&c->in);
    switch (b % 8) {
    case 0: return FNL_TIME_NOW;
    case 1: return -1;
    case 2: return FNL_TIME_MAX + 1;
    case 3: return (int64_t)fuzz_u32(&c->in) * 1000;
    default: return T0 + (int64_t)b * 3600000;
    }
}

static fnl_contact_id pick_contact(ctx *c)
{
    uint8_t b = fuzz_u8(&c->in);
    if (b < 0x40 || c->nseen == 0)
        return b < 0x20 ? 0 : (fnl_contact_id)b << 20 | b;
    return c->seen[b % c->nseen];
}

static void remember(ctx *c, fnl_contact_id id)
{
    if (id != 0)
        c->seen[c->nseen++ % 16] = id;
    if (c->nseen > 16)
        c->nseen = 16;
}

static void fill_touch(ctx *c, fnl_touch *t, fnl_key *keys)
{
    fnl_touch init = FNL_TOUCH_INIT;
    *t = init;
    t->keys = keys;
    t->key_count = pick_keys(c, keys, 3);
    t->contact = (fuzz_u8(&c->in) & 3) == 0 ? pick_contact(c) : 0;
    t->time = pick_time(c);
    t->type = pick_str(c);
    t->channel = pick_str(c);
    t->campaign = pick_str(c);
    t->url = pick_str(c);
    t->referrer = pick_str(c);
    t->utm_source = pick_str(c);
    t->account = (fuzz_u8(&c->in) & 7) == 0 ? pick_str(c) : NULL;
    t->value = (fuzz_u8(&c->in) & 1) ? -1 : 100;
}

static void get_stats(const fnl_engine *e, fnl_stats *s)
{
    fnl_stats init = FNL_STATS_INIT;
    *s = init;
    FUZZ_ASSERT(fnl_engine_stats(e, s) == FNL_OK);
}

static void same_counts(const fnl_stats *a, const fnl_stats *b)
{
    FUZZ_ASSERT(a->contacts == b->contacts && a->merges == b->merges);
    FUZZ_ASSERT(a->accounts == b->accounts && a->touches == b->touches);
    FUZZ_ASSERT(a->deals == b->deals && a->costs == b->costs);
    FUZZ_ASSERT(a->identity_keys == b->identity_keys);
}

static void read_contact(fnl_engine *e, fnl_contact_id id)
{
    fnl_contact_info info = FNL_CONTACT_INFO_INIT;
    fnl_key keys[8];
    fnl_touch_info ti[4];
    size_t n;
    int rc = fnl_contact_get(e, id, &info);
    if (rc != FNL_OK) {
        FUZZ_ASSERT(rc == FNL_ENOTFOUND || rc == FNL_ESTALE ||
                    rc == FNL_EINVAL);
        return;
    }
    rc = fnl_contact_keys(e, id, keys, 8, &n);
    FUZZ_ASSERT(rc == FNL_OK || (rc == FNL_ERANGE && n > 8));
    FUZZ_ASSERT(n == info.key_count);
    rc = fnl_contact_touches(e, id, ti, sizeof(ti[0]), 4, &n);
    FUZZ_ASSERT(rc == FNL_OK || (rc == FNL_ERANGE && n > 4));
    FUZZ_ASSERT(n == info.touch_count);
}

static int documented(int rc)
{
    return rc == FNL_OK || rc == FNL_EINVAL || rc == FNL_ENOTFOUND ||
           rc == FNL_ESTALE || rc == FNL_EEXIST || rc == FNL_ELIMIT ||
           rc == FNL_ERANGE;
}

static int64_t fixed_now(void *arg)
{
    (void)arg;
    return T0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_clock clock = {FNL_CLOCK_VERSION, NULL, fixed_now};
    fnl_engine *e = NULL;
    ctx c;
    unsigned ops = 0;

    if (size > 8192)
        return 0;
    memset(&c, 0, sizeof(c));
    c.in.p = data, c.in.n = size;
    cfg.clock = &clock;
    if (fuzz_u8(&c.in) & 1)
        cfg.default_country_code = "86";
    if (fnl_engine_open(&e, &cfg) != FNL_OK)
        abort();

    while (c.in.n > 0 && ops++ < 256) {
        fnl_stats before, after;
        fnl_key keys[4][4];
        fnl_contact_id id = 0, ids[4] = {0, 0, 0, 0};
        int rc = FNL_OK;
        uint8_t op = fuzz_u8(&c.in);

        get_stats(e, &before);
        switch (op % 7) {
        case 0: {
            fnl_touch t;
            fill_touch(&c, &t, keys[0]);
            rc = fnl_touch_add(e, &t, &id);
            break;
        }
        case 1: {
            fnl_touch t[4];
            size_t n = 1 + fuzz_u8(&c.in) % 4, i;
            for (i = 0; i < n; i++)
                fill_touch(&c, &t[i], keys[i]);
            rc = fnl_touch_add_batch(e, t, n, ids);
            if (rc == FNL_OK)
                for (i = 0; i < n; i++)
                    remember(&c, ids[i]);
            break;
        }
        case 2: {
            fnl_contact_update u = FNL_CONTACT_UPDATE_INIT;
            fnl_attr attr = {"title", FNL_ATTR_STRING, NULL, 0};
            const char *tag = pick_str(&c);
            u.keys = keys[0];
            u.key_count = pick_keys(&c, keys[0], 4);
            u.contact = (fuzz_u8(&c.in) & 3) == 0 ? pick_contact(&c) : 0;
            attr.str = pick_str(&c);
            if (attr.str == NULL)
                attr.type = FNL_ATTR_UNSET;
            u.attrs = &attr, u.attr_count = fuzz_u8(&c.in) & 1;
            u.tags_add = &tag, u.tags_add_count = tag != NULL;
            u.owner = pick_str(&c);
            u.account = (fuzz_u8(&c.in) & 3) == 0 ? pick_str(&c) : NULL;
            u.role = fuzz_u8(&c.in) % 8;
            u.source = pick_str(&c);
            u.time = pick_time(&c);
            rc = fnl_contact_upsert(e, &u, &id);
            break;
        }
        case 3: {
            fnl_account_update u = FNL_ACCOUNT_UPDATE_INIT;
            const char *dom = pick_str(&c);
            fnl_account_id aid;
            u.id = pick_str(&c);
            u.domains = &dom, u.domain_count = dom != NULL;
            u.owner = pick_str(&c);
            rc = fnl_account_upsert(e, &u, &aid);
            break;
        }
        case 4: {
            fnl_deal_update u = FNL_DEAL_UPDATE_INIT;
            fnl_deal_contact dc;
            fnl_deal_id did;
            memset(&dc, 0, sizeof(dc));
            dc.contact = pick_contact(&c);
            if (dc.contact == 0)
                pick_keys(&c, &dc.key, 1);
            dc.role = fuzz_u8(&c.in) % 8;
            u.id = pick_str(&c);
            u.account = pick_str(&c);
            u.contacts = &dc, u.contact_count = fuzz_u8(&c.in) & 1;
            u.amount = (int64_t)fuzz_u32(&c.in) - 1000;
            u.currency = pick_str(&c);
            u.created = pick_time(&c);
            u.closed = (fuzz_u8(&c.in) & 1) ? pick_time(&c) : 0;
            u.status = fuzz_u8(&c.in) % 4;
            u.stage = pick_str(&c);
            rc = fnl_deal_upsert(e, &u, &did);
            break;
        }
        case 5: {
            fnl_cost k = FNL_COST_INIT;
            k.channel = pick_str(&c);
            k.campaign = pick_str(&c);
            k.region = pick_str(&c);
            k.start = pick_time(&c);
            k.end = pick_time(&c);
            k.amount = (int64_t)fuzz_u32(&c.in) - 1000;
            k.currency = pick_str(&c);
            rc = fnl_cost_add(e, &k, NULL);
            break;
        }
        default:
            read_contact(e, pick_contact(&c));
            break;
        }
        FUZZ_ASSERT(documented(rc));
        get_stats(e, &after);
        if (rc != FNL_OK) {
            same_counts(&before, &after);
        } else if (id != 0) {
            remember(&c, id);
            read_contact(e, id);
        }
    }
    fnl_engine_close(e);
    return 0;
}
