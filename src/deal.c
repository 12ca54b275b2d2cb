/* deal.c -- deals (opportunities) with their buying-group contacts. */
#include "normalize.h"
#include "stage_engine.h"
#include "store.h"

typedef struct rdc {
    uint32_t contact;     /* resolved handle index, or 0: use key */
    fnli_rkey *key;
    fnli_sv domain;       /* the key's business domain, if any */
    uint32_t role;
} rdc;

typedef struct rdeal {
    fnli_sv id, account, stage, owner;
    rdc *dcs;
    size_t ndcs;
    int64_t amount, created, closed;
    uint32_t currency;    /* 0: keep (or USD for a new deal) */
    uint32_t status;
    fnli_rattr *attrs;
    size_t nattrs;
    uint32_t result;
} rdeal;

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

/* ---- the deal mutation ---------------------------------------------------- */

static void deal_need(const fnl_engine *e, const void *rv, fnli_need *n)
{
    const rdeal *r = rv;
    size_t i;
    (void)e;
    fnli_need_str(n, r->id);
    fnli_need_str(n, r->account);
    fnli_need_str(n, r->stage);
    fnli_need_str(n, r->owner);
    for (i = 0; i < r->ndcs; i++) {
        if (r->dcs[i].key != NULL)
            fnli_need_keys(n, r->dcs[i].key, 1);
        fnli_need_str(n, r->dcs[i].domain);
    }
    fnli_need_attrs(n, r->attrs, r->nattrs);
    n->deals += 1;
    n->accounts += 1 + r->ndcs;
    n->names += 1 + r->ndcs;
    n->contacts += r->ndcs;
    n->dcs += r->ndcs;
    n->events += 2 + 4 * r->ndcs;
}

static void deal_encode(fnli_wbuf *w, const void *rv)
{
    const rdeal *r = rv;
    size_t i;
    fnli_w_str(w, r->id);
    fnli_w_str(w, r->account);
    fnli_w_str(w, r->stage);
    fnli_w_str(w, r->owner);
    fnli_w_uv(w, r->ndcs);
    for (i = 0; i < r->ndcs; i++) {
        fnli_w_uv(w, r->dcs[i].contact);
        fnli_w_keys(w, r->dcs[i].key, r->dcs[i].key ? 1 : 0);
        fnli_w_str(w, r->dcs[i].domain);
        fnli_w_uv(w, r->dcs[i].role);
    }
    fnli_w_sv(w, r->amount);
    fnli_w_sv(w, r->created);
    fnli_w_sv(w, r->closed);
    fnli_w_uv(w, r->currency);
    fnli_w_uv(w, r->status);
    /* Attributes came later: an optional tail, written only when the
     * update carries some, so records without them keep the first format
     * (and older journals replay as they always did). */
    if (r->nattrs > 0)
        fnli_w_attrs(w, r->attrs, r->nattrs);
}

static int deal_decode(fnl_engine *e, fnli_rbuf *rb, void *out)
{
    rdeal *r = out;
    size_t i;
    int rc;
    r->id = fnli_r_str(rb, FNL_MAX_STRING);
    r->account = fnli_r_str(rb, FNL_MAX_STRING);
    r->stage = fnli_r_str(rb, FNL_MAX_STRING);
    r->owner = fnli_r_str(rb, FNL_MAX_STRING);
    r->ndcs = fnli_r_count(rb, FNL_MAX_KEYS, 4);
    if (rb->bad || r->id.n == 0)
        return FNL_ECORRUPT;
    if (r->ndcs > 0) {
        r->dcs = fnli_arena_alloc(&e->scratch, &e->mem, r->ndcs * sizeof(rdc));
        if (r->dcs == NULL)
            return FNL_ENOMEM;
    }
    for (i = 0; i < r->ndcs; i++) {
        size_t nk;
        if ((rc = fnli_r_contact(e, rb, &r->dcs[i].contact)) != FNL_OK ||
            (rc = fnli_r_keys(e, rb, &r->dcs[i].key, &nk)) != FNL_OK)
            return rc;
        r->dcs[i].domain = fnli_r_str(rb, FNL_MAX_STRING);
        r->dcs[i].role = (uint32_t)fnli_r_uv(rb);
        if (rb->bad || nk > 1 || (nk == 1) == (r->dcs[i].contact != 0) ||
            fnl_role_name(r->dcs[i].role) == NULL)
            return FNL_ECORRUPT;
    }
    r->amount = fnli_r_sv(rb);
    r->created = fnli_r_sv(rb);
    r->closed = fnli_r_sv(rb);
    r->currency = (uint32_t)fnli_r_uv(rb);
    r->status = (uint32_t)fnli_r_uv(rb);
    if (rb->bad || r->amount < 0 || r->created < FNL_TIME_MIN ||
        r->created > FNL_TIME_MAX || r->closed < 0 ||
        r->closed > FNL_TIME_MAX || r->status > FNL_DEAL_LOST ||
        r->currency > 0xffffff)
        return FNL_ECORRUPT;
    if (rb->off < rb->n)
        return fnli_r_attrs(e, rb, &r->attrs, &r->nattrs);
    return FNL_OK;
}

static void deal_apply(fnl_engine *e, void *rv)
{
    rdeal *r = rv;
    uint32_t name = fnli_put_str(e, r->id), d;
    uint32_t was = FNLI_DEAL_NEW; /* the status before, for the machine */
    uint32_t had = 0;             /* contacts before */
    size_t i;
    d = deal_by_name(e, name);
    if (d != 0) {
        was = DEAL(e, d)->status;
        had = DEAL(e, d)->ncontacts;
    }
    if (d == 0) {
        d = fnli_pool_take(&e->dealpool);
        DEAL(e, d)->name = name;
        DEAL(e, d)->gen = 1;
        DEAL(e, d)->currency = pack_currency("USD");
        fnli_map_insert(&e->dealmap, (uint32_t)fnli_hash_u64(name), d);
    }
    {
        fnli_deal *dr = DEAL(e, d);
        dr->amount = r->amount;
        dr->created = r->created;
        dr->closed = r->closed;
        dr->status = (uint8_t)r->status;
        if (r->currency != 0)
            dr->currency = r->currency;
        if (r->account.p != NULL)
            dr->account = fnli_account_for(e, r->account, 0, r->created);
        if (r->stage.p != NULL)
            dr->stage = fnli_put_str(e, r->stage);
        if (r->owner.p != NULL)
            dr->owner = fnli_put_str(e, r->owner);
        /* prio and time 0 on every node: each update replaces */
        fnli_set_attrs(e, &dr->attrs, r->attrs, r->nattrs, 0, 0);
    }
    for (i = 0; i < r->ndcs; i++) {
        uint32_t c, x;
        if (r->dcs[i].key != NULL) {
            c = fnli_identify(e, r->dcs[i].key, 1, 0, r->created);
            fnli_join_domain(e, c, r->dcs[i].domain, r->created);
        } else {
            c = fnli_find(e, r->dcs[i].contact);
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
        DEALCONTACT(e, x)->role = r->dcs[i].role;
    }
    fnli_stages_on_deal(e, d, was, had);
    r->result = d;
}

const fnli_opdef fnli_op_deal = {REC_DEAL, deal_decode, deal_need, deal_encode,
                                 deal_apply, NULL};

FNL_API int fnl_deal_upsert(fnl_engine *e, const fnl_deal_update *uu,
                            fnl_deal_id *out)
{
    fnl_deal_update u = FNL_DEAL_UPDATE_INIT;
    rdeal r;
    uint32_t d, name;
    size_t i;
    int rc;

    if (e == NULL || uu == NULL)
        return fnli_fail(e, FNL_EINVAL, "deal_upsert: NULL argument");
    if ((rc = fnli_begin(e)) != FNL_OK)
        return rc;
    memset(&r, 0, sizeof(r));
    if (fnli_copy_in(&u, sizeof(u), uu,
                     offsetof(fnl_deal_update, id) + sizeof(u.id)) != FNL_OK) {
        rc = fnli_fail(e, FNL_EINVAL, "deal_upsert: size not set");
        goto done;
    }
    if ((rc = fnli_check_str(e, "deal id", u.id, 1, &r.id)) != FNL_OK ||
        (rc = fnli_check_str(e, "deal account", u.account, 0, &r.account)) !=
            FNL_OK ||
        (rc = fnli_check_str(e, "deal stage", u.stage, 0, &r.stage)) !=
            FNL_OK ||
        (rc = fnli_check_str(e, "deal owner", u.owner, 0, &r.owner)) !=
            FNL_OK ||
        (rc = fnli_currency(e, "deal currency", u.currency, &r.currency)) !=
            FNL_OK ||
        (rc = fnli_resolve_attrs(e, "deal", u.attrs, u.attr_count,
                                 &r.attrs)) != FNL_OK)
        goto done;
    r.nattrs = u.attr_count;
    name = fnli_intern_find(&e->strings, r.id.p, r.id.n);
    d = deal_by_name(e, name);
    if (u.created != FNL_TIME_NOW || d == 0) {
        if ((rc = fnli_check_time(e, "deal created", u.created,
                                  &r.created)) != FNL_OK)
            goto done;
    } else {
        r.created = DEAL(e, d)->created;
    }
    if (u.amount < 0) {
        rc = fnli_fail(e, FNL_EINVAL, "deal '%s': amount %lld is negative",
                       r.id.p, (long long)u.amount);
        goto done;
    }
    if (u.status > FNL_DEAL_LOST) {
        rc = fnli_fail(e, FNL_EINVAL, "deal '%s': unknown status %u", r.id.p,
                       (unsigned)u.status);
        goto done;
    }
    if (u.closed != 0) {
        if ((rc = fnli_check_time(e, "deal closed", u.closed, &r.closed)) !=
            FNL_OK)
            goto done;
        if (r.closed < r.created) {
            rc = fnli_fail(e, FNL_EINVAL,
                           "deal '%s': closed before it was created", r.id.p);
            goto done;
        }
    } else if (u.status != FNL_DEAL_OPEN) {
        rc = fnli_fail(e, FNL_EINVAL,
                       "deal '%s': a won or lost deal needs a close time",
                       r.id.p);
        goto done;
    }
    if (d != 0 && DEAL(e, d)->ncontacts + u.contact_count > 4096) {
        rc = fnli_fail(e, FNL_ELIMIT, "deal '%s': more than 4096 contacts",
                       r.id.p);
        goto done;
    }
    if (u.contact_count > 0) {
        if (u.contacts == NULL || u.contact_count > FNL_MAX_KEYS) {
            rc = fnli_fail(e, u.contacts ? FNL_ELIMIT : FNL_EINVAL,
                           "deal '%s': contacts: NULL or more than %d", r.id.p,
                           FNL_MAX_KEYS);
            goto done;
        }
        r.dcs = fnli_arena_alloc(&e->scratch, &e->mem,
                                 u.contact_count * sizeof(rdc));
        if (r.dcs == NULL) {
            rc = fnli_fail(e, FNL_ENOMEM, "allocation failed");
            goto done;
        }
        for (i = 0; i < u.contact_count; i++) {
            const fnl_deal_contact *dc = &u.contacts[i];
            memset(&r.dcs[i], 0, sizeof(rdc));
            r.dcs[i].role = dc->role;
            if (fnl_role_name(dc->role) == NULL) {
                rc = fnli_fail(e, FNL_EINVAL, "deal '%s': contact %zu: "
                               "unknown role %u", r.id.p, i,
                               (unsigned)dc->role);
                goto done;
            }
            if (dc->contact != 0) {
                rc = fnli_contact_index(e, dc->contact, &r.dcs[i].contact);
            } else {
                rc = fnli_resolve_keys(e, "deal contact", &dc->key, 1,
                                       &r.dcs[i].key);
                if (rc == FNL_OK)
                    r.dcs[i].domain = fnli_business_domain(e, r.dcs[i].key, 1);
            }
            if (rc != FNL_OK)
                goto done;
        }
        r.ndcs = u.contact_count;
    }
    r.amount = u.amount;
    r.status = u.status;
    if ((rc = fnli_commit(e, &fnli_op_deal, &r)) == FNL_OK && out != NULL)
        *out = fnli_handle(DEAL(e, r.result)->gen, r.result);
done:
    return fnli_end(e, rc);
}

static int deal_index(const fnl_engine *e, fnl_deal_id h, uint32_t *idx)
{
    uint32_t i = (uint32_t)h;
    /* Explicit error returns: fnli_fail() returns its code, but the
       analyzer cannot see that across files (docs/lint.md). */
    if (i == 0 || i >= e->dealpool.count) {
        (void)fnli_fail(e, FNL_ENOTFOUND, "no deal with handle %llu",
                        (unsigned long long)h);
        return FNL_ENOTFOUND;
    }
    if ((h >> 32) != DEAL(e, i)->gen) {
        (void)fnli_fail(e, FNL_ESTALE, "deal handle %llu is stale",
                        (unsigned long long)h);
        return FNL_ESTALE;
    }
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
    uint32_t i, size, x;
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
    for (x = d->attrs; x != 0; x = ATTRNODE(e, x)->next)
        info.attr_count++;
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

FNL_API int fnl_deal_attrs(const fnl_engine *e, fnl_deal_id h, fnl_attr *out,
                           size_t cap, size_t *count)
{
    uint32_t i;
    int rc;
    if (e == NULL)
        return FNL_EINVAL;
    if ((rc = deal_index(e, h, &i)) != FNL_OK)
        return rc;
    return fnli_attrs_out(e, DEAL(e, i)->attrs, out, cap, count);
}

FNL_API int fnl_deal_attr(const fnl_engine *e, fnl_deal_id h,
                          const char *name, fnl_attr *out)
{
    char folded[FNL_MAX_NAME + 1];
    uint32_t i, x = 0;
    int rc, n;
    if (e == NULL || name == NULL || out == NULL)
        return fnli_fail(e, FNL_EINVAL, "deal_attr: NULL argument");
    if ((rc = deal_index(e, h, &i)) != FNL_OK)
        return rc;
    n = fnli_name_fold(name, 1, folded, sizeof(folded), NULL);
    if (n > 0)
        x = fnli_attr_node(e, DEAL(e, i)->attrs,
                           fnli_intern_find(&e->strings, folded, (size_t)n));
    if (x == 0)
        return fnli_fail(e, FNL_ENOTFOUND, "deal '%s' has no attribute "
                         "'%.64s'", fnli_str(&e->strings, DEAL(e, i)->name),
                         name);
    fnli_attr_out(e, ATTRNODE(e, x), out);
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

typedef struct rcost {
    fnli_sv channel, campaign, region;
    uint32_t currency;
    int64_t start, end, amount;
    uint32_t result;
} rcost;

static void cost_need(const fnl_engine *e, const void *rv, fnli_need *n)
{
    const rcost *r = rv;
    (void)e;
    fnli_need_str(n, r->channel);
    fnli_need_str(n, r->campaign);
    fnli_need_str(n, r->region);
    n->costs += 1;
}

static void cost_encode(fnli_wbuf *w, const void *rv)
{
    const rcost *r = rv;
    fnli_w_str(w, r->channel);
    fnli_w_str(w, r->campaign);
    fnli_w_str(w, r->region);
    fnli_w_uv(w, r->currency);
    fnli_w_sv(w, r->start);
    fnli_w_sv(w, r->end);
    fnli_w_sv(w, r->amount);
}

static int cost_decode(fnl_engine *e, fnli_rbuf *rb, void *out)
{
    rcost *r = out;
    (void)e;
    r->channel = fnli_r_str(rb, FNL_MAX_STRING);
    r->campaign = fnli_r_str(rb, FNL_MAX_STRING);
    r->region = fnli_r_str(rb, FNL_MAX_STRING);
    r->currency = (uint32_t)fnli_r_uv(rb);
    r->start = fnli_r_sv(rb);
    r->end = fnli_r_sv(rb);
    r->amount = fnli_r_sv(rb);
    if (rb->bad || (r->channel.p == NULL && r->campaign.p == NULL) ||
        r->start < FNL_TIME_MIN || r->end > FNL_TIME_MAX ||
        r->end <= r->start || r->amount < 0 || r->currency == 0 ||
        r->currency > 0xffffff)
        return FNL_ECORRUPT;
    return FNL_OK;
}

static void cost_apply(fnl_engine *e, void *rv)
{
    rcost *r = rv;
    uint32_t x = fnli_pool_take(&e->costs);
    fnli_costrec *c = COSTREC(e, x);
    c->channel = fnli_put_str(e, r->channel);
    c->campaign = fnli_put_str(e, r->campaign);
    c->region = fnli_put_str(e, r->region);
    c->currency = r->currency;
    c->start = r->start;
    c->end = r->end;
    c->amount = r->amount;
    r->result = x;
}

const fnli_opdef fnli_op_cost = {REC_COST, cost_decode, cost_need, cost_encode,
                                 cost_apply, NULL};

FNL_API int fnl_cost_add(fnl_engine *e, const fnl_cost *cc, uint64_t *index)
{
    fnl_cost c = FNL_COST_INIT;
    rcost r;
    int rc;
    if (e == NULL || cc == NULL)
        return fnli_fail(e, FNL_EINVAL, "cost_add: NULL argument");
    if ((rc = fnli_begin(e)) != FNL_OK)
        return rc;
    memset(&r, 0, sizeof(r));
    if (fnli_copy_in(&c, sizeof(c), cc, sizeof(fnl_cost)) != FNL_OK) {
        rc = fnli_fail(e, FNL_EINVAL, "cost_add: size not set");
        goto done;
    }
    if ((rc = fnli_check_str(e, "cost channel", c.channel, 0, &r.channel)) !=
            FNL_OK ||
        (rc = fnli_check_str(e, "cost campaign", c.campaign, 0,
                             &r.campaign)) != FNL_OK ||
        (rc = fnli_check_str(e, "cost region", c.region, 0, &r.region)) !=
            FNL_OK ||
        (rc = fnli_currency(e, "cost currency", c.currency, &r.currency)) !=
            FNL_OK ||
        (rc = fnli_check_time(e, "cost start", c.start, &r.start)) != FNL_OK ||
        (rc = fnli_check_time(e, "cost end", c.end, &r.end)) != FNL_OK)
        goto done;
    if (r.channel.p == NULL && r.campaign.p == NULL) {
        rc = fnli_fail(e, FNL_EINVAL, "cost needs a channel or a campaign");
        goto done;
    }
    if (r.end <= r.start) {
        rc = fnli_fail(e, FNL_EINVAL, "cost period: end must follow start");
        goto done;
    }
    if (c.amount < 0) {
        rc = fnli_fail(e, FNL_EINVAL, "cost amount %lld is negative",
                       (long long)c.amount);
        goto done;
    }
    r.amount = c.amount;
    if (r.currency == 0)
        r.currency = pack_currency("USD");
    if ((rc = fnli_commit(e, &fnli_op_cost, &r)) == FNL_OK && index != NULL)
        *index = r.result - 1;
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

void fnli_deal_index_add(fnl_engine *e, uint32_t d)
{
    fnli_map_insert(&e->dealmap, (uint32_t)fnli_hash_u64(DEAL(e, d)->name), d);
}
