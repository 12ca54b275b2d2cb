/* owner.c -- owner records: the attributes (manager, office, region, team,
 * ...) of an owner string.  Contacts, accounts and deals keep naming their
 * owner by string; a record is found by that string's id, so an owner with
 * no record simply has no attributes.  Reports group deals by an owner
 * attribute through fnli_owner_attr_str(). */
#include <stdlib.h>
#include "normalize.h"
#include "owner.h"

typedef struct rowner {
    fnli_sv name;
    fnli_rattr *attrs;
    size_t nattrs;
    uint8_t prio;
    int64_t time;
} rowner;

void fnli_owners_init(fnl_engine *e)
{
    fnli_pool_init(&e->owners, sizeof(fnli_owner), 8);
}

void fnli_owners_free(fnl_engine *e, fnli_mem *mem)
{
    fnli_pool_free(&e->owners, mem);
    fnli_map_free(&e->ownermap, mem);
}

static int owner_eq(const void *ctx, uint32_t idx, const void *key)
{
    return OWNER((const fnl_engine *)ctx, idx)->name ==
           *(const uint32_t *)key;
}

uint32_t fnli_owner_of(const fnl_engine *e, uint32_t name)
{
    return name ? fnli_map_find(&e->ownermap, (uint32_t)fnli_hash_u64(name),
                                owner_eq, e, &name)
                : 0;
}

void fnli_owner_index_add(fnl_engine *e, uint32_t o)
{
    fnli_map_insert(&e->ownermap, (uint32_t)fnli_hash_u64(OWNER(e, o)->name),
                    o);
}

uint32_t fnli_owner_attr_str(const fnl_engine *e, uint32_t owner,
                             uint32_t attr)
{
    uint32_t o = fnli_owner_of(e, owner), x;
    if (o == 0)
        return 0;
    x = fnli_attr_node(e, OWNER(e, o)->attrs, attr);
    return x != 0 && ATTRNODE(e, x)->type == FNL_ATTR_STRING
               ? ATTRNODE(e, x)->str
               : 0;
}

/* ---- the owner mutation --------------------------------------------------- */

static void owner_need(const fnl_engine *e, const void *rv, fnli_need *n)
{
    const rowner *r = rv;
    (void)e;
    fnli_need_str(n, r->name);
    fnli_need_attrs(n, r->attrs, r->nattrs);
    n->owners += 1;
}

static void owner_encode(fnli_wbuf *w, const void *rv)
{
    const rowner *r = rv;
    fnli_w_str(w, r->name);
    fnli_w_attrs(w, r->attrs, r->nattrs);
    fnli_w_u8(w, r->prio);
    fnli_w_sv(w, r->time);
}

static int owner_decode(fnl_engine *e, fnli_rbuf *rb, void *out)
{
    rowner *r = out;
    int rc;
    r->name = fnli_r_str(rb, FNL_MAX_STRING);
    if ((rc = fnli_r_attrs(e, rb, &r->attrs, &r->nattrs)) != FNL_OK)
        return rc;
    r->prio = (uint8_t)fnli_r_u8(rb);
    r->time = fnli_r_sv(rb);
    if (rb->bad || r->name.n == 0 || r->time < FNL_TIME_MIN ||
        r->time > FNL_TIME_MAX)
        return FNL_ECORRUPT;
    return FNL_OK;
}

static void owner_apply(fnl_engine *e, void *rv)
{
    rowner *r = rv;
    uint32_t name = fnli_put_str(e, r->name), o = fnli_owner_of(e, name);
    if (o == 0) {
        o = fnli_pool_take(&e->owners);
        OWNER(e, o)->name = name;
        OWNER(e, o)->created = r->time;
        fnli_owner_index_add(e, o);
    }
    fnli_set_attrs(e, &OWNER(e, o)->attrs, r->attrs, r->nattrs, r->prio,
                   r->time);
}

const fnli_opdef fnli_op_owner = {REC_OWNER, owner_decode, owner_need,
                                  owner_encode, owner_apply, NULL};

FNL_API int fnl_owner_update_init(fnl_owner_update *u, size_t size)
{
    static const fnl_owner_update init = FNL_OWNER_UPDATE_INIT;
    return fnli_init_struct(u, size, &init, sizeof(init));
}

FNL_API int fnl_owner_info_init(fnl_owner_info *info, size_t size)
{
    static const fnl_owner_info init = FNL_OWNER_INFO_INIT;
    return fnli_init_struct(info, size, &init, sizeof(init));
}

FNL_API int fnl_owner_upsert(fnl_engine *e, const fnl_owner_update *uu)
{
    fnl_owner_update u = FNL_OWNER_UPDATE_INIT;
    rowner r;
    fnli_sv source;
    int rc;

    if (e == NULL || uu == NULL)
        return fnli_fail(e, FNL_EINVAL, "owner_upsert: NULL argument");
    if ((rc = fnli_begin(e)) != FNL_OK)
        return rc;
    memset(&r, 0, sizeof(r));
    if (fnli_copy_in(&u, sizeof(u), uu,
                     offsetof(fnl_owner_update, name) + sizeof(u.name)) !=
        FNL_OK) {
        rc = fnli_fail(e, FNL_EINVAL, "owner_upsert: size not set");
        goto done;
    }
    if ((rc = fnli_check_str(e, "owner name", u.name, 1, &r.name)) !=
            FNL_OK ||
        (rc = fnli_check_time(e, "owner time", u.time, &r.time)) != FNL_OK ||
        (rc = fnli_resolve_attrs(e, "owner", u.attrs, u.attr_count,
                                 &r.attrs)) != FNL_OK ||
        (rc = fnli_check_str(e, "owner source", u.source, 0, &source)) !=
            FNL_OK)
        goto done;
    r.nattrs = u.attr_count;
    r.prio = fnli_source_prio(e, source);
    rc = fnli_commit(e, &fnli_op_owner, &r);
done:
    return fnli_end(e, rc);
}

/* ---- reading -------------------------------------------------------------- */

/* The record of a name given by the caller: FNL_OK with *o = 0 when the
 * name is valid but has no record. */
static int owner_lookup(const fnl_engine *e, const char *what,
                        const char *name, uint32_t *o)
{
    fnli_sv v;
    *o = 0;
    if (fnli_check_str(e, what, name, 1, &v) != FNL_OK)
        return FNL_EINVAL;
    *o = fnli_owner_of(e, fnli_intern_find(&e->strings, v.p, v.n));
    return FNL_OK;
}

FNL_API int fnl_owner_get(const fnl_engine *e, const char *name,
                          fnl_owner_info *out)
{
    fnl_owner_info info = FNL_OWNER_INFO_INIT;
    uint32_t o, size, x;
    if (e == NULL || out == NULL)
        return fnli_fail(e, FNL_EINVAL, "owner_get: NULL argument");
    memcpy(&size, out, sizeof(size));
    if (size < sizeof(uint32_t))
        return fnli_fail(e, FNL_EINVAL, "owner_get: size not set");
    if (owner_lookup(e, "owner_get", name, &o) != FNL_OK)
        return FNL_EINVAL;
    if (o == 0)
        return fnli_fail(e, FNL_ENOTFOUND, "no owner record '%.64s'", name);
    info.size = size;
    info.name = fnli_str(&e->strings, OWNER(e, o)->name);
    for (x = OWNER(e, o)->attrs; x != 0; x = ATTRNODE(e, x)->next)
        info.attr_count++;
    info.created = OWNER(e, o)->created;
    memcpy(out, &info, size < sizeof(info) ? size : sizeof(info));
    fnli_clear(e);
    return FNL_OK;
}

FNL_API int fnl_owner_attrs(const fnl_engine *e, const char *name,
                            fnl_attr *out, size_t cap, size_t *count)
{
    uint32_t o;
    if (e == NULL)
        return FNL_EINVAL;
    if (owner_lookup(e, "owner_attrs", name, &o) != FNL_OK)
        return FNL_EINVAL;
    return fnli_attrs_out(e, o ? OWNER(e, o)->attrs : 0, out, cap, count);
}

FNL_API int fnl_owner_attr(const fnl_engine *e, const char *name,
                           const char *attr, fnl_attr *out)
{
    char folded[FNL_MAX_NAME + 1];
    uint32_t o, x = 0;
    int n;
    if (e == NULL || attr == NULL || out == NULL)
        return fnli_fail(e, FNL_EINVAL, "owner_attr: NULL argument");
    if (owner_lookup(e, "owner_attr", name, &o) != FNL_OK)
        return FNL_EINVAL;
    n = fnli_name_fold(attr, 1, folded, sizeof(folded), NULL);
    if (n > 0 && o != 0)
        x = fnli_attr_node(e, OWNER(e, o)->attrs,
                           fnli_intern_find(&e->strings, folded, (size_t)n));
    if (x == 0)
        return fnli_fail(e, FNL_ENOTFOUND,
                         "owner '%.64s' has no attribute '%.64s'", name,
                         attr);
    fnli_attr_out(e, ATTRNODE(e, x), out);
    fnli_clear(e);
    return FNL_OK;
}

static int cmp_cstrp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

FNL_API int fnl_owner_list(const fnl_engine *e, const char **out, size_t cap,
                           size_t *count)
{
    size_t n, i;
    int rc;
    if (e == NULL)
        return FNL_EINVAL;
    n = fnli_pool_live(&e->owners);
    if ((rc = fnli_copyout(e, out, cap, n, count)) != FNL_OK)
        return rc;
    for (i = 0; i < n; i++)
        out[i] = fnli_str(&e->strings, OWNER(e, (uint32_t)i + 1)->name);
    if (n > 1)
        fnli_qsort(out, n, sizeof(*out), cmp_cstrp);
    fnli_clear(e);
    return FNL_OK;
}
