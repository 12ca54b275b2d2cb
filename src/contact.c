/* contact.c -- profile updates and everything read about a contact. */
#include <stdlib.h>
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

FNL_API int fnl_contact_upsert(fnl_engine *e, const fnl_contact_update *uu,
                               fnl_contact_id *out)
{
    fnl_contact_update u = FNL_CONTACT_UPDATE_INIT;
    fnli_need need;
    fnli_rkey *keys = NULL;
    fnli_rattr *attrs = NULL;
    fnli_sv *tadd = NULL, *tdel = NULL, owner, account, source;
    int64_t time;
    uint32_t handle = 0, c;
    int rc, set_owner;

    if (e == NULL || uu == NULL)
        return fnli_fail(e, FNL_EINVAL, "contact_upsert: NULL argument");
    if ((rc = fnli_begin(e)) != FNL_OK)
        return rc;
    memset(&need, 0, sizeof(need));
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
         (rc = fnli_contact_index(e, u.contact, &handle)) != FNL_OK) ||
        (rc = fnli_check_time(e, "contact time", u.time, &time)) != FNL_OK ||
        (rc = fnli_resolve_keys(e, "contact", u.keys, u.key_count, &keys,
                                &need)) != FNL_OK ||
        (rc = fnli_resolve_attrs(e, "contact", u.attrs, u.attr_count, &attrs,
                                 &need)) != FNL_OK ||
        (rc = fnli_resolve_strv(e, "tag", u.tags_add, u.tags_add_count, &tadd,
                                &need)) != FNL_OK ||
        (rc = fnli_resolve_strv(e, "tag", u.tags_remove, u.tags_remove_count,
                                &tdel, &need)) != FNL_OK ||
        (rc = fnli_check_owner(e, "contact owner", u.owner, &set_owner,
                               &owner)) != FNL_OK ||
        (rc = fnli_check_str(e, "contact account", u.account, 0, &account)) !=
            FNL_OK ||
        (rc = fnli_check_str(e, "contact source", u.source, 0, &source)) !=
            FNL_OK)
        goto done;
    fnli_need_str(&need, owner);
    fnli_need_str(&need, account);
    need.contacts = 1;
    need.accounts = 2;
    need.names += 2;
    need.events = 6 + 2 * (u.key_count + 1);
    if ((rc = fnli_reserve(e, &need)) != FNL_OK)
        goto done;

    c = fnli_identify(e, keys, u.key_count, handle, time);
    fnli_set_attrs(e, &CONTACT(e, c)->attrs, attrs, u.attr_count,
                   fnli_source_prio(e, source), time);
    fnli_set_tags(e, &CONTACT(e, c)->tags, tadd, u.tags_add_count, tdel,
                  u.tags_remove_count);
    if (set_owner)
        CONTACT(e, c)->owner = fnli_put_str(e, owner);
    if (u.role != FNL_ROLE_KEEP)
        CONTACT(e, c)->role = (uint8_t)u.role;
    if (account.p != NULL)
        fnli_contact_join(e, c, fnli_account_for(e, account, 0, time), time);
    else
        fnli_account_from_keys(e, c, keys, u.key_count, time);
    if (out != NULL)
        *out = fnli_handle(CONTACT(e, c)->gen, c);
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
    uint32_t i, x, size;
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
    for (x = c->touch_head; x != 0; x = T_NEXT(&e->touches, x)) {
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

static void attr_out(const fnl_engine *e, const fnli_attrnode *an,
                     fnl_attr *o)
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
        attr_out(e, ATTRNODE(e, x), &out[n++]);
    if (n > 1)
        qsort(out, n, sizeof(*out), cmp_attr);
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
    for (x = CONTACT(e, i)->attrs; nid != 0 && x != 0;
         x = ATTRNODE(e, x)->next) {
        if (ATTRNODE(e, x)->name == nid) {
            attr_out(e, ATTRNODE(e, x), out);
            fnli_clear(e);
            return FNL_OK;
        }
    }
    return fnli_fail(e, FNL_ENOTFOUND, "contact has no attribute '%.64s'",
                     name);
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
        qsort(out, n, sizeof(*out), cmp_cstrp);
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
