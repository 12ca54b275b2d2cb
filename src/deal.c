/* deal.c -- deals (opportunities) with their buying-group contacts. */
#include "normalize.h"
#include "store.h"

typedef struct rdc {
    uint32_t contact;     /* resolved handle index, or 0: use key */
    fnli_rkey *key;
    uint32_t role;
} rdc;

static int deal_eq(const void *ctx, uint32_t idx, const void *key)
{
    return DEAL((const fnl_engine *)ctx, idx)->name == *(const uint32_t *)key;
}

static uint32_t deal_by_name(const fnl_engine *e, uint32_t name)
{
    return name ? fnli_map_find(&e->dealmap, (uint32_t)fnli_hash_u64(name),
                                deal_eq, e, &name)
                : 0;
}

static uint32_t pack_currency(const char c[4])
{
    return (uint32_t)(unsigned char)c[0] | (uint32_t)(unsigned char)c[1] << 8 |
           (uint32_t)(unsigned char)c[2] << 16;
}

static void unpack_currency(uint32_t v, char out[4])
{
    out[0] = (char)(v & 0xff);
    out[1] = (char)((v >> 8) & 0xff);
    out[2] = (char)((v >> 16) & 0xff);
    out[3] = '\0';
}

int fnli_currency(const fnl_engine *e, const char *what, const char *s,
                  uint32_t *out)
{
    char c[4];
    if (s == NULL) {
        *out = 0;
        return FNL_OK;
    }
    if (fnli_currency_parse(s, c) != FNL_OK)
        return fnli_fail(e, FNL_EINVAL,
                         "%s: '%.16s' is not an ISO 4217 code", what, s);
    *out = pack_currency(c);
    return FNL_OK;
}

FNL_API int fnl_deal_upsert(fnl_engine *e, const fnl_deal_update *uu,
                            fnl_deal_id *out)
{
    fnl_deal_update u = FNL_DEAL_UPDATE_INIT;
    fnli_need need;
    fnli_sv id, account, stage, owner;
    rdc *dcs = NULL;
    uint32_t currency, d, name;
    int64_t created = 0;
    size_t i;
    int rc;

    if (e == NULL || uu == NULL)
        return fnli_fail(e, FNL_EINVAL, "deal_upsert: NULL argument");
    if ((rc = fnli_begin(e)) != FNL_OK)
        return rc;
    memset(&need, 0, sizeof(need));
    if (fnli_copy_in(&u, sizeof(u), uu,
                     offsetof(fnl_deal_update, id) + sizeof(u.id)) != FNL_OK) {
        rc = fnli_fail(e, FNL_EINVAL, "deal_upsert: size not set");
        goto done;
    }
    if ((rc = fnli_check_str(e, "deal id", u.id, 1, &id)) != FNL_OK ||
        (rc = fnli_check_str(e, "deal account", u.account, 0, &account)) !=
            FNL_OK ||
        (rc = fnli_check_str(e, "deal stage", u.stage, 0, &stage)) != FNL_OK ||
        (rc = fnli_check_str(e, "deal owner", u.owner, 0, &owner)) != FNL_OK ||
        (rc = fnli_currency(e, "deal currency", u.currency, &currency)) !=
            FNL_OK)
        goto done;
    name = fnli_intern_find(&e->strings, id.p, id.n);
    d = deal_by_name(e, name);
    if (u.created != FNL_TIME_NOW || d == 0) {
        if ((rc = fnli_check_time(e, "deal created", u.created, &created)) !=
            FNL_OK)
            goto done;
    } else {
        created = DEAL(e, d)->created;
    }
    if (u.amount < 0) {
        rc = fnli_fail(e, FNL_EINVAL, "deal '%s': amount %lld is negative",
                       id.p, (long long)u.amount);
        goto done;
    }
    if (u.status > FNL_DEAL_LOST) {
        rc = fnli_fail(e, FNL_EINVAL, "deal '%s': unknown status %u", id.p,
                       (unsigned)u.status);
        goto done;
    }
    if (u.closed != 0) {
        int64_t closed;
        if ((rc = fnli_check_time(e, "deal closed", u.closed, &closed)) !=
            FNL_OK)
            goto done;
        if (closed < created) {
            rc = fnli_fail(e, FNL_EINVAL,
                           "deal '%s': closed before it was created", id.p);
            goto done;
        }
        u.closed = closed;
    } else if (u.status != FNL_DEAL_OPEN) {
        rc = fnli_fail(e, FNL_EINVAL,
                       "deal '%s': a won or lost deal needs a close time",
                       id.p);
        goto done;
    }
    if (d != 0 && DEAL(e, d)->ncontacts + u.contact_count > 4096) {
        rc = fnli_fail(e, FNL_ELIMIT, "deal '%s': more than 4096 contacts",
                       id.p);
        goto done;
    }
    if (u.contact_count > 0) {
        if (u.contacts == NULL || u.contact_count > FNL_MAX_KEYS) {
            rc = fnli_fail(e, u.contacts ? FNL_ELIMIT : FNL_EINVAL,
                           "deal '%s': contacts: NULL or more than %d", id.p,
                           FNL_MAX_KEYS);
            goto done;
        }
        dcs = fnli_arena_alloc(&e->scratch, &e->mem,
                               u.contact_count * sizeof(*dcs));
        if (dcs == NULL) {
            rc = fnli_fail(e, FNL_ENOMEM, "allocation failed");
            goto done;
        }
        for (i = 0; i < u.contact_count; i++) {
            const fnl_deal_contact *dc = &u.contacts[i];
            dcs[i].contact = 0;
            dcs[i].key = NULL;
            dcs[i].role = dc->role;
            if (fnl_role_name(dc->role) == NULL) {
                rc = fnli_fail(e, FNL_EINVAL, "deal '%s': contact %zu: "
                               "unknown role %u", id.p, i, (unsigned)dc->role);
                goto done;
            }
            if (dc->contact != 0)
                rc = fnli_contact_index(e, dc->contact, &dcs[i].contact);
            else
                rc = fnli_resolve_keys(e, "deal contact", &dc->key, 1,
                                       &dcs[i].key, &need);
            if (rc != FNL_OK)
                goto done;
        }
    }
    fnli_need_str(&need, id);
    fnli_need_str(&need, account);
    fnli_need_str(&need, stage);
    fnli_need_str(&need, owner);
    need.deals = 1;
    need.accounts = 1 + u.contact_count;
    need.names = 1 + u.contact_count;
    need.contacts = u.contact_count;
    need.dcs = u.contact_count;
    need.events = 2 + 8 * u.contact_count;
    if ((rc = fnli_reserve(e, &need)) != FNL_OK)
        goto done;

    name = fnli_put_str(e, id);
    d = deal_by_name(e, name);
    if (d == 0) {
        d = fnli_pool_take(&e->dealpool);
        DEAL(e, d)->name = name;
        DEAL(e, d)->gen = 1;
        DEAL(e, d)->currency = pack_currency("USD");
        fnli_map_insert(&e->dealmap, (uint32_t)fnli_hash_u64(name), d);
    }
    {
        fnli_deal *dr = DEAL(e, d);
        dr->amount = u.amount;
        dr->created = created;
        dr->closed = u.closed;
        dr->status = (uint8_t)u.status;
        if (currency != 0)
            dr->currency = currency;
        if (account.p != NULL)
            dr->account = fnli_account_for(e, account, 0, created);
        if (stage.p != NULL)
            dr->stage = fnli_put_str(e, stage);
        if (owner.p != NULL)
            dr->owner = fnli_put_str(e, owner);
    }
    for (i = 0; i < u.contact_count; i++) {
        uint32_t c, x;
        if (dcs[i].key != NULL) {
            c = fnli_identify(e, dcs[i].key, 1, 0, created);
            fnli_account_from_keys(e, c, dcs[i].key, 1, created);
        } else {
            c = fnli_find(e, dcs[i].contact);
        }
        for (x = DEAL(e, d)->contacts; x != 0; x = DEALCONTACT(e, x)->next)
            if (fnli_find(e, DEALCONTACT(e, x)->contact) == c)
                break;
        if (x == 0) {
            uint32_t *pp = &DEAL(e, d)->contacts;
            while (*pp != 0)
                pp = &DEALCONTACT(e, *pp)->next;
            x = fnli_pool_take(&e->dcs);
            DEALCONTACT(e, x)->contact = c;
            *pp = x;
            DEAL(e, d)->ncontacts++;
        }
        DEALCONTACT(e, x)->role = dcs[i].role;
    }
    if (out != NULL)
        *out = fnli_handle(DEAL(e, d)->gen, d);
done:
    return fnli_end(e, rc);
}

static int deal_index(const fnl_engine *e, fnl_deal_id h, uint32_t *idx)
{
    uint32_t i = (uint32_t)h;
    if (i == 0 || i >= e->dealpool.count)
        return fnli_fail(e, FNL_ENOTFOUND, "no deal with handle %llu",
                         (unsigned long long)h);
    if ((h >> 32) != DEAL(e, i)->gen)
        return fnli_fail(e, FNL_ESTALE, "deal handle %llu is stale",
                         (unsigned long long)h);
    *idx = i;
    return FNL_OK;
}

FNL_API int fnl_deal_find(const fnl_engine *e, const char *id,
                          fnl_deal_id *out)
{
    uint32_t d;
    fnli_sv v;
    if (e == NULL || id == NULL || out == NULL)
        return fnli_fail(e, FNL_EINVAL, "deal_find: NULL argument");
    if (fnli_check_str(e, "deal_find", id, 1, &v) != FNL_OK)
        return FNL_EINVAL;
    d = deal_by_name(e, fnli_intern_find(&e->strings, v.p, v.n));
    if (d == 0)
        return fnli_fail(e, FNL_ENOTFOUND, "no deal '%s'", id);
    *out = fnli_handle(DEAL(e, d)->gen, d);
    fnli_clear(e);
    return FNL_OK;
}

/* Distinct live contacts of a deal in the order they were added (merges
 * may have made two entries one contact; the first entry's role stands).
 * Writes up to cap entries and returns how many there are. */
static size_t deal_members(const fnl_engine *e, uint32_t d,
                           fnl_deal_contact *out, size_t cap)
{
    uint32_t x, y;
    size_t total = 0;
    for (x = DEAL(e, d)->contacts; x != 0; x = DEALCONTACT(e, x)->next) {
        const fnli_dealcontact *dc = DEALCONTACT(e, x);
        uint32_t c = fnli_find(e, dc->contact);
        for (y = DEAL(e, d)->contacts; y != x; y = DEALCONTACT(e, y)->next)
            if (fnli_find(e, DEALCONTACT(e, y)->contact) == c)
                break;
        if (y != x)
            continue;
        if (total < cap) {
            out[total].contact = fnli_handle(CONTACT(e, c)->gen, c);
            out[total].key.kind = NULL;
            out[total].key.value = NULL;
            out[total].role = dc->role;
        }
        total++;
    }
    return total;
}

FNL_API int fnl_deal_get(const fnl_engine *e, fnl_deal_id h,
                         fnl_deal_info *out)
{
    fnl_deal_info info;
    const fnli_deal *d;
    uint32_t i, size;
    int rc;
    if (e == NULL || out == NULL)
        return fnli_fail(e, FNL_EINVAL, "deal_get: NULL argument");
    memcpy(&size, out, sizeof(size));
    if (size < sizeof(uint32_t))
        return fnli_fail(e, FNL_EINVAL, "deal_get: size not set");
    if ((rc = deal_index(e, h, &i)) != FNL_OK)
        return rc;
    d = DEAL(e, i);
    memset(&info, 0, sizeof(info));
    info.size = size;
    info.id = h;
    info.name = fnli_str(&e->strings, d->name);
    if (d->account)
        info.account = fnli_handle(ACCOUNT(e, d->account)->gen, d->account);
    info.amount = d->amount;
    unpack_currency(d->currency, info.currency);
    info.created = d->created;
    info.closed = d->closed;
    info.status = d->status;
    info.stage = fnli_str(&e->strings, d->stage);
    info.owner = fnli_str(&e->strings, d->owner);
    info.contact_count = (uint32_t)deal_members(e, i, NULL, 0);
    memcpy(out, &info, size < sizeof(info) ? size : sizeof(info));
    fnli_clear(e);
    return FNL_OK;
}

FNL_API int fnl_deal_contacts(const fnl_engine *e, fnl_deal_id h,
                              fnl_deal_contact *out, size_t cap,
                              size_t *count)
{
    uint32_t i;
    int rc;
    if (e == NULL)
        return FNL_EINVAL;
    if ((rc = deal_index(e, h, &i)) != FNL_OK)
        return rc;
    if ((rc = fnli_copyout(e, out, cap, deal_members(e, i, NULL, 0),
                           count)) != FNL_OK)
        return rc;
    deal_members(e, i, out, cap);
    fnli_clear(e);
    return FNL_OK;
}

FNL_API int fnl_deal_next(const fnl_engine *e, fnl_deal_id after,
                          fnl_deal_id *out)
{
    uint32_t i = (uint32_t)after + 1;
    if (e == NULL || out == NULL)
        return fnli_fail(e, FNL_EINVAL, "deal_next: NULL argument");
    if (i >= e->dealpool.count)
        return fnli_fail(e, FNL_ENOTFOUND, "no more deals");
    *out = fnli_handle(DEAL(e, i)->gen, i);
    fnli_clear(e);
    return FNL_OK;
}

/* ---- costs --------------------------------------------------------------- */

FNL_API int fnl_cost_add(fnl_engine *e, const fnl_cost *cc, uint64_t *index)
{
    fnl_cost c = FNL_COST_INIT;
    fnli_need need;
    fnli_sv channel, campaign, region;
    uint32_t currency, x;
    int64_t start, end;
    fnli_costrec *r;
    int rc;
    if (e == NULL || cc == NULL)
        return fnli_fail(e, FNL_EINVAL, "cost_add: NULL argument");
    if ((rc = fnli_begin(e)) != FNL_OK)
        return rc;
    memset(&need, 0, sizeof(need));
    if (fnli_copy_in(&c, sizeof(c), cc, sizeof(fnl_cost)) != FNL_OK) {
        rc = fnli_fail(e, FNL_EINVAL, "cost_add: size not set");
        goto done;
    }
    if ((rc = fnli_check_str(e, "cost channel", c.channel, 0, &channel)) !=
            FNL_OK ||
        (rc = fnli_check_str(e, "cost campaign", c.campaign, 0, &campaign)) !=
            FNL_OK ||
        (rc = fnli_check_str(e, "cost region", c.region, 0, &region)) !=
            FNL_OK ||
        (rc = fnli_currency(e, "cost currency", c.currency, &currency)) !=
            FNL_OK ||
        (rc = fnli_check_time(e, "cost start", c.start, &start)) != FNL_OK ||
        (rc = fnli_check_time(e, "cost end", c.end, &end)) != FNL_OK)
        goto done;
    if (channel.p == NULL && campaign.p == NULL) {
        rc = fnli_fail(e, FNL_EINVAL, "cost needs a channel or a campaign");
        goto done;
    }
    if (end <= start) {
        rc = fnli_fail(e, FNL_EINVAL, "cost period: end must follow start");
        goto done;
    }
    if (c.amount < 0) {
        rc = fnli_fail(e, FNL_EINVAL, "cost amount %lld is negative",
                       (long long)c.amount);
        goto done;
    }
    fnli_need_str(&need, channel);
    fnli_need_str(&need, campaign);
    fnli_need_str(&need, region);
    need.costs = 1;
    if ((rc = fnli_reserve(e, &need)) != FNL_OK)
        goto done;
    x = fnli_pool_take(&e->costs);
    r = COSTREC(e, x);
    r->channel = fnli_put_str(e, channel);
    r->campaign = fnli_put_str(e, campaign);
    r->region = fnli_put_str(e, region);
    r->currency = currency ? currency : pack_currency("USD");
    r->start = start;
    r->end = end;
    r->amount = c.amount;
    if (index != NULL)
        *index = x - 1;
done:
    return fnli_end(e, rc);
}

FNL_API int fnl_cost_get(const fnl_engine *e, uint64_t index, fnl_cost *out,
                         char out_currency[4])
{
    const fnli_costrec *r;
    fnl_cost c = FNL_COST_INIT;
    uint32_t size;
    if (e == NULL || out == NULL || out_currency == NULL)
        return fnli_fail(e, FNL_EINVAL, "cost_get: NULL argument");
    memcpy(&size, out, sizeof(size));
    if (size < sizeof(uint32_t))
        return fnli_fail(e, FNL_EINVAL, "cost_get: size not set");
    if (index >= (uint64_t)fnli_pool_live(&e->costs))
        return fnli_fail(e, FNL_ENOTFOUND, "no cost %llu",
                         (unsigned long long)index);
    r = COSTREC(e, (uint32_t)index + 1);
    c.size = size;
    c.channel = fnli_str(&e->strings, r->channel);
    c.campaign = fnli_str(&e->strings, r->campaign);
    c.region = fnli_str(&e->strings, r->region);
    c.start = r->start;
    c.end = r->end;
    c.amount = r->amount;
    unpack_currency(r->currency, out_currency);
    c.currency = NULL;
    memcpy(out, &c, size < sizeof(c) ? size : sizeof(c));
    fnli_clear(e);
    return FNL_OK;
}
