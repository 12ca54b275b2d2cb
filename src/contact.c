/* contact.c -- profile updates and everything read about a contact. */
#include <stdlib.h>
#include "score_engine.h"
#include "stage_engine.h"
#include "store.h"

static const char *const role_names[] = {
    "none", "user", "influencer", "decision_maker", "economic_buyer",
    "champion", "other"};
#define NROLES (sizeof(role_names) / sizeof(role_names[0]))

FNL_API const char *fnl_role_name(uint32_t role)
{
    return role < NROLES ? role_names[role] : NULL;
}

FNL_API int fnl_role_parse(const char *name, uint32_t *out)
{
    uint32_t i;
    if (name == NULL || out == NULL)
        return FNL_EINVAL;
    for (i = 0; i < NROLES; i++) {
        if (strcmp(name, role_names[i]) == 0) {
            *out = i;
            return FNL_OK;
        }
    }
    return FNL_EINVAL;
}

int fnli_check_owner(const fnl_engine *e, const char *what, const char *s,
                     int *set, fnli_sv *sv)
{
    sv->p = NULL;
    sv->n = 0;
    *set = s != NULL;
    if (s == NULL || s[0] == '\0')
        return FNL_OK;
    return fnli_check_str(e, what, s, 1, sv);
}

/* ---- the profile-update mutation ---------------------------------------- */

static void contact_need(const fnl_engine *e, const void *rv, fnli_need *n)
{
    const fnli_rcontact *r = rv;
    (void)e;
    fnli_need_keys(n, r->keys, r->nkeys);
    fnli_need_attrs(n, r->attrs, r->nattrs);
    fnli_need_strv(n, r->tadd, r->ntadd);
    fnli_need_str(n, r->owner);
    fnli_need_str(n, r->account);
    fnli_need_str(n, r->domain);
    n->contacts += 1;
    n->accounts += 2;
    n->names += 2;
    n->events += 6;
}

static void contact_encode(fnli_wbuf *w, const void *rv)
{
    const fnli_rcontact *r = rv;
    fnli_w_keys(w, r->keys, r->nkeys);
    fnli_w_uv(w, r->contact);
    fnli_w_attrs(w, r->attrs, r->nattrs);
    fnli_w_strv(w, r->tadd, r->ntadd);
    fnli_w_strv(w, r->tdel, r->ntdel);
    fnli_w_u8(w, r->set_owner);
    fnli_w_str(w, r->owner);
    fnli_w_str(w, r->account);
    fnli_w_str(w, r->domain);
    fnli_w_uv(w, r->role);
    fnli_w_u8(w, r->prio);
    fnli_w_sv(w, r->time);
}

static int contact_decode(fnl_engine *e, fnli_rbuf *rb, void *out)
{
    fnli_rcontact *r = out;
    int rc;
    if ((rc = fnli_r_keys(e, rb, &r->keys, &r->nkeys)) != FNL_OK ||
        (rc = fnli_r_contact(e, rb, &r->contact)) != FNL_OK ||
        (rc = fnli_r_attrs(e, rb, &r->attrs, &r->nattrs)) != FNL_OK ||
        (rc = fnli_r_strv(e, rb, &r->tadd, &r->ntadd)) != FNL_OK ||
        (rc = fnli_r_strv(e, rb, &r->tdel, &r->ntdel)) != FNL_OK)
        return rc;
    r->set_owner = (uint8_t)fnli_r_u8(rb);
    r->owner = fnli_r_str(rb, FNL_MAX_STRING);
    r->account = fnli_r_str(rb, FNL_MAX_STRING);
    r->domain = fnli_r_str(rb, FNL_MAX_STRING);
    r->role = (uint32_t)fnli_r_uv(rb);
    r->prio = (uint8_t)fnli_r_u8(rb);
    r->time = fnli_r_sv(rb);
    if (rb->bad || r->set_owner > 1 || (r->nkeys == 0 && r->contact == 0) ||
        (r->role != FNL_ROLE_KEEP && fnl_role_name(r->role) == NULL) ||
        r->time < FNL_TIME_MIN || r->time > FNL_TIME_MAX ||
        (r->account.p != NULL && r->account.n == 0))
        return FNL_ECORRUPT;
    return FNL_OK;
}

static void contact_apply(fnl_engine *e, void *rv)
{
    fnli_rcontact *r = rv;
    uint32_t c = fnli_identify(e, r->keys, r->nkeys, r->contact, r->time);
    fnli_set_attrs(e, &CONTACT(e, c)->attrs, r->attrs, r->nattrs, r->prio,
                   r->time);
    if (r->nattrs > 0 || r->nkeys > 0)
        fnli_scores_dirty(e, c); /* fit reads attributes and keys */
    fnli_set_tags(e, &CONTACT(e, c)->tags, r->tadd, r->ntadd, r->tdel,
                  r->ntdel);
    if (r->set_owner)
        CONTACT(e, c)->owner = r->owner.n ? fnli_put_str(e, r->owner) : 0;
    if (r->role != FNL_ROLE_KEEP)
        CONTACT(e, c)->role = (uint8_t)r->role;
    if (r->account.p != NULL)
        fnli_contact_join(e, c, fnli_account_for(e, r->account, 0, r->time),
                          r->time);
    else
        fnli_join_domain(e, c, r->domain, r->time);
    fnli_stages_on_profile(e, c, r->time);
    r->result = c;
}

const fnli_opdef fnli_op_contact = {REC_CONTACT, contact_decode, contact_need,
                                    contact_encode, contact_apply, NULL};

FNL_API int fnl_contact_upsert(fnl_engine *e, const fnl_contact_update *uu,
                               fnl_contact_id *out)
{
    fnl_contact_update u = FNL_CONTACT_UPDATE_INIT;
    fnli_rcontact r;
    fnli_sv source;
    int rc, set_owner;

    if (e == NULL || uu == NULL)
        return fnli_fail(e, FNL_EINVAL, "contact_upsert: NULL argument");
    if ((rc = fnli_begin(e)) != FNL_OK)
        return rc;
    memset(&r, 0, sizeof(r));
    if (fnli_copy_in(&u, sizeof(u), uu,
                     offsetof(fnl_contact_update, contact) +
                         sizeof(u.contact)) != FNL_OK) {
        rc = fnli_fail(e, FNL_EINVAL, "contact_upsert: size not set");
        goto done;
    }
    if (u.key_count == 0 && u.contact == 0) {
        rc = fnli_fail(e, FNL_EINVAL,
                       "contact_upsert: needs an identity key or a handle");
        goto done;
    }
    if (u.role != FNL_ROLE_KEEP && fnl_role_name(u.role) == NULL) {
        rc = fnli_fail(e, FNL_EINVAL, "contact_upsert: unknown role %u",
                       (unsigned)u.role);
        goto done;
    }
    if ((u.contact != 0 &&
         (rc = fnli_contact_index(e, u.contact, &r.contact)) != FNL_OK) ||
        (rc = fnli_check_time(e, "contact time", u.time, &r.time)) != FNL_OK ||
        (rc = fnli_resolve_keys(e, "contact", u.keys, u.key_count,
                                &r.keys)) != FNL_OK ||
        (rc = fnli_resolve_attrs(e, "contact", u.attrs, u.attr_count,
                                 &r.attrs)) != FNL_OK ||
        (rc = fnli_resolve_strv(e, "tag", u.tags_add, u.tags_add_count,
                                &r.tadd)) != FNL_OK ||
        (rc = fnli_resolve_strv(e, "tag", u.tags_remove, u.tags_remove_count,
                                &r.tdel)) != FNL_OK ||
        (rc = fnli_check_owner(e, "contact owner", u.owner, &set_owner,
                               &r.owner)) != FNL_OK ||
        (rc = fnli_check_str(e, "contact account", u.account, 0,
                             &r.account)) != FNL_OK ||
        (rc = fnli_check_str(e, "contact source", u.source, 0, &source)) !=
            FNL_OK)
        goto done;
    r.nkeys = u.key_count;
    r.nattrs = u.attr_count;
    r.ntadd = u.tags_add_count;
    r.ntdel = u.tags_remove_count;
    r.set_owner = (uint8_t)set_owner;
    if (r.set_owner && r.owner.p == NULL)
        r.owner.p = ""; /* present and empty: clear */
    r.role = u.role;
    r.prio = fnli_source_prio(e, source);
    r.domain = fnli_business_domain(e, r.keys, r.nkeys);
    if ((rc = fnli_commit(e, &fnli_op_contact, &r)) == FNL_OK && out != NULL)
        *out = fnli_handle(CONTACT(e, r.result)->gen, r.result);
done:
    return fnli_end(e, rc);
}

FNL_API int fnl_contact_resolve(const fnl_engine *e, fnl_contact_id id,
                                fnl_contact_id *out)
{
    uint32_t c;
    int rc;
    if (e == NULL || out == NULL)
        return fnli_fail(e, FNL_EINVAL, "contact_resolve: NULL argument");
    if ((rc = fnli_contact_index(e, id, &c)) != FNL_OK)
        return rc;
    *out = fnli_handle(CONTACT(e, c)->gen, c);
    fnli_clear(e);
    return FNL_OK;
}

FNL_API int fnl_contact_get(const fnl_engine *e, fnl_contact_id id,
                            fnl_contact_info *out)
{
    fnl_contact_info info = FNL_CONTACT_INFO_INIT;
    const fnli_contact *c;
    uint32_t i, x, size, k;
    int rc;
    if (e == NULL || out == NULL)
        return fnli_fail(e, FNL_EINVAL, "contact_get: NULL argument");
    memcpy(&size, out, sizeof(size));
    if (size < sizeof(uint32_t))
        return fnli_fail(e, FNL_EINVAL, "contact_get: size not set");
    if ((rc = fnli_contact_index(e, id, &i)) != FNL_OK)
        return rc;
    c = CONTACT(e, i);
    info.size = size;
    info.id = fnli_handle(c->gen, i);
    if (c->account)
        info.account = fnli_handle(ACCOUNT(e, c->account)->gen, c->account);
    info.owner = fnli_str(&e->strings, c->owner);
    info.role = c->role;
    for (x = c->keys; x != 0; x = KEYNODE(e, x)->next)
        info.key_count++;
    for (x = c->attrs; x != 0; x = ATTRNODE(e, x)->next)
        info.attr_count++;
    for (x = c->tags; x != 0; x = NAMENODE(e, x)->next)
        info.tag_count++;
    info.touch_count = c->touch_count;
    info.created = c->created;
    for (x = c->touch_head, k = 0; x != 0 && k < c->touch_count;
         x = T_NEXT(&e->touches, x), k++) {
        int64_t t = T_TIME(&e->touches, x);
        if (info.first_touch == 0 || t < info.first_touch)
            info.first_touch = t;
        if (t > info.last_touch)
            info.last_touch = t;
    }
    memcpy(out, &info, size < sizeof(info) ? size : sizeof(info));
    fnli_clear(e);
    return FNL_OK;
}

FNL_API int fnl_contact_keys(const fnl_engine *e, fnl_contact_id id,
                             fnl_key *out, size_t cap, size_t *count)
{
    uint32_t i, x;
    size_t n = 0;
    int rc;
    if (e == NULL)
        return FNL_EINVAL;
    if ((rc = fnli_contact_index(e, id, &i)) != FNL_OK)
        return rc;
    for (x = CONTACT(e, i)->keys; x != 0; x = KEYNODE(e, x)->next)
        n++;
    if ((rc = fnli_copyout(e, out, cap, n, count)) != FNL_OK)
        return rc;
    n = 0;
    for (x = CONTACT(e, i)->keys; x != 0; x = KEYNODE(e, x)->next, n++) {
        out[n].kind = fnli_str(&e->strings, KEYNODE(e, x)->kind);
        out[n].value = fnli_key_value(KEYNODE(e, x));
    }
    fnli_clear(e);
    return FNL_OK;
}

static int cmp_attr(const void *a, const void *b)
{
    return strcmp(((const fnl_attr *)a)->name, ((const fnl_attr *)b)->name);
}

void fnli_attr_out(const fnl_engine *e, const fnli_attrnode *an, fnl_attr *o)
{
    o->name = fnli_str(&e->strings, an->name);
    o->type = an->type;
    o->str = an->type == FNL_ATTR_STRING ? fnli_str(&e->strings, an->str)
                                         : NULL;
    o->num = an->type == FNL_ATTR_NUMBER ? an->num : 0;
}

int fnli_attrs_out(const fnl_engine *e, uint32_t head, fnl_attr *out,
                   size_t cap, size_t *count)
{
    uint32_t x;
    size_t n = 0;
    int rc;
    for (x = head; x != 0; x = ATTRNODE(e, x)->next)
        n++;
    if ((rc = fnli_copyout(e, out, cap, n, count)) != FNL_OK)
        return rc;
    n = 0;
    for (x = head; x != 0; x = ATTRNODE(e, x)->next)
        fnli_attr_out(e, ATTRNODE(e, x), &out[n++]);
    if (n > 1)
        fnli_qsort(out, n, sizeof(*out), cmp_attr);
    fnli_clear(e);
    return FNL_OK;
}

FNL_API int fnl_contact_attrs(const fnl_engine *e, fnl_contact_id id,
                              fnl_attr *out, size_t cap, size_t *count)
{
    uint32_t i;
    int rc;
    if (e == NULL)
        return FNL_EINVAL;
    if ((rc = fnli_contact_index(e, id, &i)) != FNL_OK)
        return rc;
    return fnli_attrs_out(e, CONTACT(e, i)->attrs, out, cap, count);
}

FNL_API int fnl_account_attrs(const fnl_engine *e, fnl_account_id id,
                              fnl_attr *out, size_t cap, size_t *count)
{
    uint32_t i;
    int rc;
    if (e == NULL)
        return FNL_EINVAL;
    if ((rc = fnli_account_index(e, id, &i)) != FNL_OK)
        return rc;
    return fnli_attrs_out(e, ACCOUNT(e, i)->attrs, out, cap, count);
}

FNL_API int fnl_contact_attr(const fnl_engine *e, fnl_contact_id id,
                             const char *name, fnl_attr *out)
{
    uint32_t i, x, nid;
    int rc;
    if (e == NULL || name == NULL || out == NULL)
        return fnli_fail(e, FNL_EINVAL, "contact_attr: NULL argument");
    if ((rc = fnli_contact_index(e, id, &i)) != FNL_OK)
        return rc;
    nid = fnli_intern_find(&e->strings, name, strnlen(name, FNL_MAX_NAME + 1));
    if ((x = fnli_attr_node(e, CONTACT(e, i)->attrs, nid)) != 0) {
        fnli_attr_out(e, ATTRNODE(e, x), out);
        fnli_clear(e);
        return FNL_OK;
    }
    return fnli_fail(e, FNL_ENOTFOUND, "contact has no attribute '%.64s'",
                     name);
}

uint32_t fnli_attr_node(const fnl_engine *e, uint32_t head, uint32_t name)
{
    uint32_t x;
    for (x = head; name != 0 && x != 0; x = ATTRNODE(e, x)->next)
        if (ATTRNODE(e, x)->name == name)
            return x;
    return 0;
}

static int cmp_cstrp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

FNL_API int fnl_contact_tags(const fnl_engine *e, fnl_contact_id id,
                             const char **out, size_t cap, size_t *count)
{
    uint32_t i, x;
    size_t n = 0;
    int rc;
    if (e == NULL)
        return FNL_EINVAL;
    if ((rc = fnli_contact_index(e, id, &i)) != FNL_OK)
        return rc;
    for (x = CONTACT(e, i)->tags; x != 0; x = NAMENODE(e, x)->next)
        n++;
    if ((rc = fnli_copyout(e, out, cap, n, count)) != FNL_OK)
        return rc;
    n = 0;
    for (x = CONTACT(e, i)->tags; x != 0; x = NAMENODE(e, x)->next)
        out[n++] = fnli_str(&e->strings, NAMENODE(e, x)->name);
    if (n > 1)
        fnli_qsort(out, n, sizeof(*out), cmp_cstrp);
    fnli_clear(e);
    return FNL_OK;
}

FNL_API int fnl_contact_next(const fnl_engine *e, fnl_contact_id after,
                             fnl_contact_id *out)
{
    uint32_t i;
    if (e == NULL || out == NULL)
        return fnli_fail(e, FNL_EINVAL, "contact_next: NULL argument");
    for (i = (uint32_t)after + 1; i < e->contacts.count; i++) {
        const fnli_contact *c = CONTACT(e, i);
        if (c->state == CONTACT_LIVE) {
            *out = fnli_handle(c->gen, i);
            fnli_clear(e);
            return FNL_OK;
        }
    }
    return fnli_fail(e, FNL_ENOTFOUND, "no more contacts");
}
