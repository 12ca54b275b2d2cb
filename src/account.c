/* account.c -- accounts (companies): ids, business domains, attributes and
 * the contacts that belong to them. */
#include <stdlib.h>
#include "freemail.h"
#include "normalize.h"
#include "store.h"
#include "text.h"

static int acc_eq(const void *ctx, uint32_t idx, const void *key)
{
    return ACCOUNT((const fnl_engine *)ctx, idx)->name == *(const uint32_t *)key;
}

/* The domain map stores account indices under the domain's hash; equality
 * asks whether that account has the domain. */
static int dom_eq(const void *ctx, uint32_t idx, const void *key)
{
    const fnl_engine *e = ctx;
    uint32_t d = *(const uint32_t *)key, x;
    for (x = ACCOUNT(e, idx)->domains; x != 0; x = NAMENODE(e, x)->next)
        if (NAMENODE(e, x)->name == d)
            return 1;
    return 0;
}

static uint32_t id_hash(uint32_t id)
{
    return (uint32_t)fnli_hash_u64(id);
}

static uint32_t by_name(const fnl_engine *e, uint32_t name)
{
    return name ? fnli_map_find(&e->accmap, id_hash(name), acc_eq, e, &name)
                : 0;
}

static uint32_t by_domain(const fnl_engine *e, uint32_t dom)
{
    return dom ? fnli_map_find(&e->dommap, id_hash(dom), dom_eq, e, &dom) : 0;
}

static void add_domain(fnl_engine *e, uint32_t a, uint32_t dom)
{
    uint32_t x = fnli_pool_take(&e->names), *pp;
    NAMENODE(e, x)->name = dom;
    for (pp = &ACCOUNT(e, a)->domains; *pp != 0; pp = &NAMENODE(e, *pp)->next)
        ;
    *pp = x;
    fnli_map_insert(&e->dommap, id_hash(dom), a);
}

static uint32_t new_account(fnl_engine *e, uint32_t name, int64_t time)
{
    uint32_t a = fnli_pool_take(&e->accounts);
    fnli_account *ar = ACCOUNT(e, a);
    ar->name = name;
    ar->gen = 1;
    ar->created = time;
    fnli_map_insert(&e->accmap, id_hash(name), a);
    fnli_queue(e, FNL_EVENT_ACCOUNT_CREATED, 0, 0, a, name, time);
    return a;
}

uint32_t fnli_account_for(fnl_engine *e, fnli_sv id, int is_domain,
                          int64_t time)
{
    uint32_t name = fnli_put_str(e, id);
    uint32_t a = is_domain ? by_domain(e, name) : by_name(e, name);
    if (a == 0)
        a = is_domain ? by_name(e, name) : by_domain(e, name);
    if (a != 0)
        return a;
    a = new_account(e, name, time);
    if (is_domain)
        add_domain(e, a, name);
    return a;
}

int fnli_account_index(const fnl_engine *e, fnl_account_id h, uint32_t *idx)
{
    uint32_t i = (uint32_t)h;
    /* Explicit error returns: fnli_fail() returns its code, but the
       analyzer cannot see that across files (docs/lint.md). */
    if (i == 0 || i >= e->accounts.count) {
        (void)fnli_fail(e, FNL_ENOTFOUND, "no account with handle %llu",
                        (unsigned long long)h);
        return FNL_ENOTFOUND;
    }
    if ((h >> 32) != ACCOUNT(e, i)->gen) {
        (void)fnli_fail(e, FNL_ESTALE, "account handle %llu is stale",
                        (unsigned long long)h);
        return FNL_ESTALE;
    }
    *idx = i;
    return FNL_OK;
}

static int cmp_cstr(const void *key, const void *elem)
{
    return strcmp((const char *)key, *(char *const *)elem);
}

int fnli_is_freemail(const fnl_engine *e, const char *dom, size_t n)
{
    char buf[256];
    if (fnli_freemail_builtin(dom, n))
        return 1;
    if (e->nfreemail == 0 || n >= sizeof(buf))
        return 0;
    memcpy(buf, dom, n);
    buf[n] = '\0';
    return bsearch(buf, e->freemail, e->nfreemail, sizeof(char *),
                   cmp_cstr) != NULL;
}

FNL_API int fnl_domain_is_freemail(const fnl_engine *e, const char *domain,
                                   int *out)
{
    char buf[256];
    size_t n, i;
    if (e == NULL || domain == NULL || out == NULL)
        return fnli_fail(e, FNL_EINVAL, "domain_is_freemail: NULL argument");
    n = strnlen(domain, sizeof(buf));
    if (n == 0 || n >= sizeof(buf))
        return fnli_fail(e, FNL_EINVAL, "domain_is_freemail: bad length");
    for (i = 0; i < n; i++)
        buf[i] = fnli_lower(domain[i]);
    *out = fnli_is_freemail(e, buf, n);
    fnli_clear(e);
    return FNL_OK;
}

/* Domains are compared in lower case; validate and fold into scratch. */
static int resolve_domains(fnl_engine *e, const char *const *v, size_t n,
                           fnli_sv **out)
{
    size_t i, j;
    int rc = fnli_resolve_strv(e, "account domain", v, n, out);
    if (rc != FNL_OK || n == 0)
        return rc;
    for (i = 0; i < n; i++) {
        fnli_sv *d = &(*out)[i];
        char *f = (char *)fnli_scratch_dup(e, d->p, d->n);
        if (f == NULL)
            return fnli_fail(e, FNL_ENOMEM, "allocation failed");
        for (j = 0; j < d->n; j++) {
            f[j] = fnli_lower(f[j]);
            if (f[j] == '@' || f[j] == ' ' || f[j] == '/')
                return fnli_fail(e, FNL_EINVAL,
                                 "account domain '%s': not a domain", f);
        }
        if (memchr(f, '.', d->n) == NULL)
            return fnli_fail(e, FNL_EINVAL,
                             "account domain '%s': not a domain", f);
        if (fnli_is_freemail(e, f, d->n))
            return fnli_fail(e, FNL_EINVAL,
                             "account domain '%s' is a free-mail domain", f);
        d->p = f;
    }
    return FNL_OK;
}

/* ---- the account mutation ------------------------------------------------ */

typedef struct raccount {
    fnli_sv id;
    fnli_sv *doms;
    size_t ndoms;
    fnli_rattr *attrs;
    size_t nattrs;
    uint8_t set_owner;
    fnli_sv owner;
    uint8_t prio;
    int64_t time;
    uint32_t result;
} raccount;

static void account_need(const fnl_engine *e, const void *rv, fnli_need *n)
{
    const raccount *r = rv;
    (void)e;
    fnli_need_str(n, r->id);
    fnli_need_str(n, r->owner);
    fnli_need_strv(n, r->doms, r->ndoms);
    fnli_need_attrs(n, r->attrs, r->nattrs);
    n->accounts += 1;
    n->events += 1;
}

static void account_encode(fnli_wbuf *w, const void *rv)
{
    const raccount *r = rv;
    fnli_w_str(w, r->id);
    fnli_w_strv(w, r->doms, r->ndoms);
    fnli_w_attrs(w, r->attrs, r->nattrs);
    fnli_w_u8(w, r->set_owner);
    fnli_w_str(w, r->owner);
    fnli_w_u8(w, r->prio);
    fnli_w_sv(w, r->time);
}

static int account_decode(fnl_engine *e, fnli_rbuf *rb, void *out)
{
    raccount *r = out;
    int rc;
    r->id = fnli_r_str(rb, FNL_MAX_STRING);
    if ((rc = fnli_r_strv(e, rb, &r->doms, &r->ndoms)) != FNL_OK ||
        (rc = fnli_r_attrs(e, rb, &r->attrs, &r->nattrs)) != FNL_OK)
        return rc;
    r->set_owner = (uint8_t)fnli_r_u8(rb);
    r->owner = fnli_r_str(rb, FNL_MAX_STRING);
    r->prio = (uint8_t)fnli_r_u8(rb);
    r->time = fnli_r_sv(rb);
    if (rb->bad || r->id.n == 0 || r->set_owner > 1 ||
        r->time < FNL_TIME_MIN || r->time > FNL_TIME_MAX)
        return FNL_ECORRUPT;
    return FNL_OK;
}

static void account_apply(fnl_engine *e, void *rv)
{
    raccount *r = rv;
    uint32_t name = fnli_put_str(e, r->id), a;
    size_t i;
    a = by_name(e, name);
    if (a == 0)
        a = new_account(e, name, r->time);
    for (i = 0; i < r->ndoms; i++) {
        uint32_t d = fnli_put_str(e, r->doms[i]);
        if (by_domain(e, d) == 0)
            add_domain(e, a, d);
    }
    fnli_set_attrs(e, &ACCOUNT(e, a)->attrs, r->attrs, r->nattrs, r->prio,
                   r->time);
    if (r->set_owner)
        ACCOUNT(e, a)->owner = r->owner.n ? fnli_put_str(e, r->owner) : 0;
    r->result = a;
}

const fnli_opdef fnli_op_account = {REC_ACCOUNT, account_decode, account_need,
                                    account_encode, account_apply, NULL};

FNL_API int fnl_account_upsert(fnl_engine *e, const fnl_account_update *uu,
                               fnl_account_id *out)
{
    fnl_account_update u = FNL_ACCOUNT_UPDATE_INIT;
    raccount r;
    fnli_sv source;
    uint32_t a, name;
    size_t i;
    int rc, set_owner;

    if (e == NULL || uu == NULL)
        return fnli_fail(e, FNL_EINVAL, "account_upsert: NULL argument");
    if ((rc = fnli_begin(e)) != FNL_OK)
        return rc;
    memset(&r, 0, sizeof(r));
    if (fnli_copy_in(&u, sizeof(u), uu, offsetof(fnl_account_update, id)
                                            + sizeof(u.id)) != FNL_OK) {
        rc = fnli_fail(e, FNL_EINVAL, "account_upsert: size not set");
        goto done;
    }
    if ((rc = fnli_check_str(e, "account id", u.id, 1, &r.id)) != FNL_OK ||
        (rc = fnli_check_time(e, "account time", u.time, &r.time)) != FNL_OK ||
        (rc = resolve_domains(e, u.domains, u.domain_count, &r.doms)) !=
            FNL_OK ||
        (rc = fnli_resolve_attrs(e, "account", u.attrs, u.attr_count,
                                 &r.attrs)) != FNL_OK ||
        (rc = fnli_check_str(e, "account source", u.source, 0, &source)) !=
            FNL_OK ||
        (rc = fnli_check_owner(e, "account owner", u.owner, &set_owner,
                               &r.owner)) != FNL_OK)
        goto done;
    r.ndoms = u.domain_count;
    r.nattrs = u.attr_count;
    r.set_owner = (uint8_t)set_owner;
    if (r.set_owner && r.owner.p == NULL)
        r.owner.p = "";
    r.prio = fnli_source_prio(e, source);
    /* a domain of another account is a conflict, not a silent move */
    name = fnli_intern_find(&e->strings, r.id.p, r.id.n);
    a = by_name(e, name);
    for (i = 0; i < r.ndoms; i++) {
        uint32_t d = fnli_intern_find(&e->strings, r.doms[i].p, r.doms[i].n);
        uint32_t other = by_domain(e, d);
        if (other != 0 && other != a) {
            rc = fnli_fail(e, FNL_EEXIST,
                           "account '%s': domain '%s' belongs to account '%s'",
                           r.id.p, r.doms[i].p,
                           fnli_str(&e->strings, ACCOUNT(e, other)->name));
            goto done;
        }
    }
    if ((rc = fnli_commit(e, &fnli_op_account, &r)) == FNL_OK && out != NULL)
        *out = fnli_handle(ACCOUNT(e, r.result)->gen, r.result);
done:
    return fnli_end(e, rc);
}

FNL_API int fnl_account_find(const fnl_engine *e, const char *s,
                             fnl_account_id *out)
{
    uint32_t id, a;
    fnli_sv v;
    if (e == NULL || s == NULL || out == NULL)
        return fnli_fail(e, FNL_EINVAL, "account_find: NULL argument");
    if (fnli_check_str(e, "account_find", s, 1, &v) != FNL_OK)
        return FNL_EINVAL;
    id = fnli_intern_find(&e->strings, v.p, v.n);
    a = by_name(e, id);
    if (a == 0)
        a = by_domain(e, id);
    if (a == 0) {
        /* domains are stored in lower case */
        char buf[256];
        size_t i;
        if (v.n < sizeof(buf)) {
            for (i = 0; i < v.n; i++)
                buf[i] = fnli_lower(v.p[i]);
            a = by_domain(e, fnli_intern_find(&e->strings, buf, v.n));
        }
    }
    if (a == 0)
        return fnli_fail(e, FNL_ENOTFOUND, "no account '%s'", s);
    *out = fnli_handle(ACCOUNT(e, a)->gen, a);
    fnli_clear(e);
    return FNL_OK;
}

FNL_API int fnl_account_get(const fnl_engine *e, fnl_account_id h,
                            fnl_account_info *out)
{
    fnl_account_info info = FNL_ACCOUNT_INFO_INIT;
    const fnli_account *a;
    uint32_t i, x, size;
    int rc;
    if (e == NULL || out == NULL)
        return fnli_fail(e, FNL_EINVAL, "account_get: NULL argument");
    memcpy(&size, out, sizeof(size));
    if (size < sizeof(uint32_t))
        return fnli_fail(e, FNL_EINVAL, "account_get: size not set");
    /* ENOTFOUND or ESTALE, with its message, as the other readers */
    if ((rc = fnli_account_index(e, h, &i)) != FNL_OK)
        return rc;
    a = ACCOUNT(e, i);
    info.size = size;
    info.id = h;
    info.name = fnli_str(&e->strings, a->name);
    info.owner = fnli_str(&e->strings, a->owner);
    for (x = a->domains; x != 0; x = NAMENODE(e, x)->next)
        info.domain_count++;
    for (x = a->attrs; x != 0; x = ATTRNODE(e, x)->next)
        info.attr_count++;
    info.contact_count = a->ncontacts;
    info.created = a->created;
    memcpy(out, &info, size < sizeof(info) ? size : sizeof(info));
    fnli_clear(e);
    return FNL_OK;
}

FNL_API int fnl_account_domains(const fnl_engine *e, fnl_account_id h,
                                const char **out, size_t cap, size_t *count)
{
    uint32_t i, x;
    size_t n = 0;
    int rc;
    if (e == NULL)
        return FNL_EINVAL;
    if ((rc = fnli_account_index(e, h, &i)) != FNL_OK)
        return rc;
    for (x = ACCOUNT(e, i)->domains; x != 0; x = NAMENODE(e, x)->next)
        n++;
    if ((rc = fnli_copyout(e, out, cap, n, count)) != FNL_OK)
        return rc;
    n = 0;
    for (x = ACCOUNT(e, i)->domains; x != 0; x = NAMENODE(e, x)->next)
        out[n++] = fnli_str(&e->strings, NAMENODE(e, x)->name);
    fnli_clear(e);
    return FNL_OK;
}

FNL_API int fnl_account_contacts(const fnl_engine *e, fnl_account_id h,
                                 fnl_contact_id *out, size_t cap,
                                 size_t *count)
{
    uint32_t i, c;
    size_t n = 0;
    int rc;
    if (e == NULL)
        return FNL_EINVAL;
    if ((rc = fnli_account_index(e, h, &i)) != FNL_OK)
        return rc;
    if ((rc = fnli_copyout(e, out, cap, ACCOUNT(e, i)->ncontacts, count)) !=
        FNL_OK)
        return rc;
    /* stored newest first; read out oldest first (bounded by the count,
     * whatever the list says) */
    n = ACCOUNT(e, i)->ncontacts;
    for (c = ACCOUNT(e, i)->contacts; c != 0 && n > 0;
         c = CONTACT(e, c)->acct_next)
        out[--n] = fnli_handle(CONTACT(e, c)->gen, c);
    if (n > 0) {
        /* a shorter list: shift what was read to the front */
        memmove(out, out + n, (ACCOUNT(e, i)->ncontacts - n) * sizeof(*out));
        *count = ACCOUNT(e, i)->ncontacts - n;
    }
    fnli_clear(e);
    return FNL_OK;
}

FNL_API int fnl_account_next(const fnl_engine *e, fnl_account_id after,
                             fnl_account_id *out)
{
    uint32_t i = (uint32_t)after + 1;
    if (e == NULL || out == NULL)
        return fnli_fail(e, FNL_EINVAL, "account_next: NULL argument");
    if (i >= e->accounts.count)
        return fnli_fail(e, FNL_ENOTFOUND, "no more accounts");
    *out = fnli_handle(ACCOUNT(e, i)->gen, i);
    fnli_clear(e);
    return FNL_OK;
}

void fnli_account_index_add(fnl_engine *e, uint32_t a)
{
    uint32_t x;
    fnli_map_insert(&e->accmap, id_hash(ACCOUNT(e, a)->name), a);
    for (x = ACCOUNT(e, a)->domains; x != 0; x = NAMENODE(e, x)->next)
        fnli_map_insert(&e->dommap, id_hash(NAMENODE(e, x)->name), a);
}
