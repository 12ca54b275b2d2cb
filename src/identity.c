/* identity.c -- identity resolution: normalised keys, finding, creating and
 * merging contacts (union-find over a key index), and the attribute and tag
 * lists a merge combines. */
#include <math.h>
#include "normalize.h"
#include "score_engine.h"
#include "stage_engine.h"
#include "store.h"
#include "text.h"

#define KEY_SEED UINT64_C(0x6b65797365656421)
#include "freemail.h"

/* The hash of a key depends on the kind's text, not its interned id, so it
 * can be computed while resolving, before anything is interned. */
static uint32_t key_hash(const char *kind, size_t kn, const char *p, size_t n)
{
    return (uint32_t)fnli_hash_bytes(
        p, n, (uint32_t)fnli_hash_bytes(kind, kn, KEY_SEED));
}

/* ---- reservation --------------------------------------------------------- */

int fnli_reserve(fnl_engine *e, const fnli_need *n)
{
    int rc = FNL_OK;
    if (n->contacts)
        rc = fnli_pool_reserve(&e->contacts, &e->mem, n->contacts);
    if (rc == FNL_OK && n->keys) {
        rc = fnli_pool_reserve(&e->keys, &e->mem, n->keys);
        if (rc == FNL_OK)
            rc = fnli_map_reserve(&e->keymap, &e->mem, n->keys);
        if (rc == FNL_OK)
            rc = fnli_arena_reserve(&e->keybytes, &e->mem, n->keybytes);
    }
    if (rc == FNL_OK)
        rc = fnli_intern_reserve(&e->strings, &e->mem, n->strings,
                                 n->strbytes);
    if (rc == FNL_OK && n->attrs)
        rc = fnli_pool_reserve(&e->attrs, &e->mem, n->attrs);
    if (rc == FNL_OK && n->names)
        rc = fnli_pool_reserve(&e->names, &e->mem, n->names);
    if (rc == FNL_OK && n->accounts) {
        rc = fnli_pool_reserve(&e->accounts, &e->mem, n->accounts);
        if (rc == FNL_OK)
            rc = fnli_map_reserve(&e->accmap, &e->mem, n->accounts);
        if (rc == FNL_OK)
            rc = fnli_map_reserve(&e->dommap, &e->mem, n->accounts);
    }
    if (rc == FNL_OK && n->deals) {
        rc = fnli_pool_reserve(&e->dealpool, &e->mem, n->deals);
        if (rc == FNL_OK)
            rc = fnli_map_reserve(&e->dealmap, &e->mem, n->deals);
    }
    if (rc == FNL_OK && n->owners) {
        rc = fnli_pool_reserve(&e->owners, &e->mem, n->owners);
        if (rc == FNL_OK)
            rc = fnli_map_reserve(&e->ownermap, &e->mem, n->owners);
    }
    if (rc == FNL_OK && n->dcs)
        rc = fnli_pool_reserve(&e->dcs, &e->mem, n->dcs);
    if (rc == FNL_OK && n->costs)
        rc = fnli_pool_reserve(&e->costs, &e->mem, n->costs);
    if (rc == FNL_OK && n->classes) {
        rc = fnli_pool_reserve(&e->classes, &e->mem, n->classes);
        if (rc == FNL_OK)
            rc = fnli_map_reserve(&e->classmap, &e->mem, n->classes);
    }
    if (rc == FNL_OK && n->touches)
        rc = fnli_touches_reserve(e, n->touches);
    if (rc == FNL_OK && n->events)
        rc = fnli_queue_reserve(e, n->events * (e->nmodels + 1));
    if (rc == FNL_OK)
        rc = fnli_scores_reserve(e, n->contacts, n->classes,
                                 n->contacts + n->keys + n->touches + 8);
    if (rc == FNL_OK && e->stages != NULL)
        rc = fnli_stages_reserve(e, n);
    if (rc == FNL_ENOMEM)
        return fnli_fail(e, rc, "allocation failed");
    if (rc == FNL_ELIMIT)
        return fnli_fail(e, rc, "the engine is full (32-bit index space)");
    return rc;
}

/* ---- resolve ------------------------------------------------------------- */

int fnli_resolve_keys(fnl_engine *e, const char *what, const fnl_key *keys,
                      size_t n, fnli_rkey **out)
{
    fnli_rkey *r;
    size_t i;
    *out = NULL;
    if (n == 0)
        return FNL_OK;
    if (keys == NULL)
        return fnli_fail(e, FNL_EINVAL, "%s: keys is NULL", what);
    if (n > FNL_MAX_KEYS)
        return fnli_fail(e, FNL_ELIMIT, "%s: more than %d keys", what,
                         FNL_MAX_KEYS);
    r = fnli_arena_alloc(&e->scratch, &e->mem, n * sizeof(*r));
    if (r == NULL)
        return fnli_fail(e, FNL_ENOMEM, "allocation failed");
    for (i = 0; i < n; i++) {
        char vbuf[FNL_MAX_STRING + 32];
        const char *why = "invalid";
        fnli_memo *m;
        int vl, hit;
        if (keys[i].kind == NULL)
            return fnli_fail(e, FNL_EINVAL, "%s: key %zu: kind is NULL",
                             what, i);
        m = fnli_memo_slot(e, keys[i].kind, TF_COUNT, &hit);
        if (!hit) {
            char kbuf[FNL_MAX_NAME + 1];
            fnli_sv kind;
            int kl = fnli_name_fold(keys[i].kind, 0, kbuf, sizeof(kbuf), &why);
            if (kl < 0)
                return fnli_fail(e, FNL_EINVAL, "%s: key %zu: kind: %s", what,
                                 i, why);
            kind.p = fnli_scratch_dup(e, kbuf, (size_t)kl);
            kind.n = (size_t)kl;
            if (kind.p == NULL)
                return fnli_fail(e, FNL_ENOMEM, "allocation failed");
            fnli_memo_fill(e, m, keys[i].kind, TF_COUNT, kind,
                           fnli_intern_find(&e->strings, kbuf, (size_t)kl));
            m->hash = (uint32_t)fnli_hash_bytes(kbuf, (size_t)kl, KEY_SEED);
        }
        r[i].kind = m->sv;
        r[i].kind_id = m->id;
        vl = fnli_key_normalize(r[i].kind.p, r[i].kind.n, keys[i].value,
                                e->cc[0] ? e->cc : NULL, vbuf, sizeof(vbuf),
                                &why);
        if (vl < 0)
            return fnli_fail(e, FNL_EINVAL, "%s: key '%s': %s", what,
                             r[i].kind.p, keys[i].value ? why : "value is NULL");
        r[i].value.p = fnli_scratch_dup(e, vbuf, (size_t)vl);
        r[i].value.n = (size_t)vl;
        if (r[i].value.p == NULL)
            return fnli_fail(e, FNL_ENOMEM, "allocation failed");
        r[i].is_email = r[i].kind.n == 5 && memcmp(r[i].kind.p, "email", 5) == 0;
        r[i].hash = (uint32_t)fnli_hash_bytes(vbuf, (size_t)vl, m->hash);
    }
    *out = r;
    return FNL_OK;
}

int fnli_resolve_attrs(fnl_engine *e, const char *what, const fnl_attr *a,
                       size_t n, fnli_rattr **out)
{
    fnli_rattr *r;
    size_t i;
    *out = NULL;
    if (n == 0)
        return FNL_OK;
    if (a == NULL)
        return fnli_fail(e, FNL_EINVAL, "%s: attrs is NULL", what);
    if (n > FNL_MAX_ATTRS)
        return fnli_fail(e, FNL_ELIMIT, "%s: more than %d attributes", what,
                         FNL_MAX_ATTRS);
    r = fnli_arena_alloc(&e->scratch, &e->mem, n * sizeof(*r));
    if (r == NULL)
        return fnli_fail(e, FNL_ENOMEM, "allocation failed");
    for (i = 0; i < n; i++) {
        char nbuf[FNL_MAX_NAME + 1];
        const char *why = "invalid";
        int nl, rc;
        if (a[i].name == NULL)
            return fnli_fail(e, FNL_EINVAL, "%s: attribute %zu: name is NULL",
                             what, i);
        nl = fnli_name_fold(a[i].name, 1, nbuf, sizeof(nbuf), &why);
        if (nl < 0)
            return fnli_fail(e, FNL_EINVAL, "%s: attribute %zu: name: %s",
                             what, i, why);
        r[i].name.p = fnli_scratch_dup(e, nbuf, (size_t)nl);
        r[i].name.n = (size_t)nl;
        if (r[i].name.p == NULL)
            return fnli_fail(e, FNL_ENOMEM, "allocation failed");
        r[i].type = a[i].type;
        r[i].str.p = NULL;
        r[i].str.n = 0;
        r[i].num = 0;
        switch (a[i].type) {
        case FNL_ATTR_STRING:
            rc = fnli_check_str(e, "attribute value", a[i].str, 1, &r[i].str);
            if (rc != FNL_OK)
                return fnli_fail(e, rc, "%s: attribute '%s': string value "
                                 "missing, empty, too long or invalid UTF-8",
                                 what, nbuf);
            break;
        case FNL_ATTR_NUMBER:
            if (!isfinite(a[i].num))
                return fnli_fail(e, FNL_EINVAL,
                                 "%s: attribute '%s': number is not finite",
                                 what, nbuf);
            r[i].num = a[i].num;
            break;
        case FNL_ATTR_UNSET:
            break;
        default:
            return fnli_fail(e, FNL_EINVAL,
                             "%s: attribute '%s': unknown type %u", what,
                             nbuf, (unsigned)a[i].type);
        }
    }
    *out = r;
    return FNL_OK;
}

int fnli_resolve_strv(fnl_engine *e, const char *what, const char *const *v,
                      size_t n, fnli_sv **out)
{
    fnli_sv *r;
    size_t i;
    *out = NULL;
    if (n == 0)
        return FNL_OK;
    if (v == NULL)
        return fnli_fail(e, FNL_EINVAL, "%s: array is NULL", what);
    if (n > FNL_MAX_ATTRS)
        return fnli_fail(e, FNL_ELIMIT, "%s: more than %d entries", what,
                         FNL_MAX_ATTRS);
    r = fnli_arena_alloc(&e->scratch, &e->mem, n * sizeof(*r));
    if (r == NULL)
        return fnli_fail(e, FNL_ENOMEM, "allocation failed");
    for (i = 0; i < n; i++) {
        int rc = fnli_check_str(e, what, v[i], 1, &r[i]);
        if (rc != FNL_OK)
            return rc;
    }
    *out = r;
    return FNL_OK;
}

int fnli_contact_index(const fnl_engine *e, fnl_contact_id h, uint32_t *idx)
{
    uint32_t i = (uint32_t)h;
    const fnli_contact *c;
    if (i == 0 || i >= e->contacts.count)
        return fnli_fail(e, FNL_ENOTFOUND, "no contact with handle %llu",
                         (unsigned long long)h);
    c = CONTACT(e, i);
    if ((uint16_t)(h >> 32) != c->gen || (h >> 48) != 0 ||
        c->state == CONTACT_FORGOTTEN)
        return fnli_fail(e, FNL_ESTALE, "contact handle %llu is stale",
                         (unsigned long long)h);
    i = fnli_find(e, i);
    if (CONTACT(e, i)->state == CONTACT_FORGOTTEN)
        return fnli_fail(e, FNL_ESTALE,
                         "contact handle %llu was merged into a contact "
                         "since forgotten", (unsigned long long)h);
    *idx = i;
    return FNL_OK;
}

int fnli_copyout(const fnl_engine *e, const void *out, size_t cap,
                 size_t have, size_t *count)
{
    if (count == NULL || (out == NULL && cap > 0))
        return fnli_fail(e, FNL_EINVAL, "NULL output buffer or count");
    *count = have;
    if (cap < have)
        return fnli_fail(e, FNL_ERANGE, "buffer holds %zu, %zu needed", cap,
                         have);
    return FNL_OK;
}

/* ---- keys ---------------------------------------------------------------- */

typedef struct keyprobe {
    uint32_t kind;
    const char *p;
    size_t n;
} keyprobe;

static int key_eq(const void *ctx, uint32_t idx, const void *key)
{
    const fnli_keynode *k = KEYNODE((const fnl_engine *)ctx, idx);
    const keyprobe *q = key;
    return k->kind == q->kind && k->len == q->n &&
           memcmp(fnli_key_value(k), q->p, q->n) == 0;
}

static uint32_t key_lookup(const fnl_engine *e, uint32_t kind, fnli_sv v,
                           uint32_t hash)
{
    keyprobe q;
    q.kind = kind;
    q.p = v.p;
    q.n = v.n;
    return fnli_map_find(&e->keymap, hash, key_eq, e, &q);
}

void fnli_key_prefetch(const fnl_engine *e, const fnli_rkey *k, int stage)
{
    uint64_t slot;
    const fnli_keynode *kn;
    if (e->keymap.slots == NULL)
        return;
    if (stage == 0) {
        FNL_PREFETCH(&e->keymap.slots[k->hash & e->keymap.mask]);
        return;
    }
    slot = e->keymap.slots[k->hash & e->keymap.mask];
    if (slot == 0 || (uint32_t)(slot >> 32) != k->hash)
        return;
    kn = KEYNODE(e, (uint32_t)slot);
    if (stage == 1) {
        FNL_PREFETCH(kn);
    } else {
        FNL_PREFETCH(CONTACT(e, kn->contact));
        fnli_scores_prefetch(e, kn->contact); /* apply scores the touch */
    }
}

FNL_API int fnl_contact_find(const fnl_engine *e, const char *kind,
                             const char *value, fnl_contact_id *out)
{
    char kbuf[FNL_MAX_NAME + 1];
    char vbuf[FNL_MAX_STRING + 32];
    const char *why = "invalid";
    fnli_sv v;
    uint32_t kid, node, c;
    int kl, vl;
    if (e == NULL || kind == NULL || value == NULL || out == NULL)
        return fnli_fail(e, FNL_EINVAL, "contact_find: NULL argument");
    kl = fnli_name_fold(kind, 0, kbuf, sizeof(kbuf), &why);
    if (kl < 0)
        return fnli_fail(e, FNL_EINVAL, "contact_find: kind: %s", why);
    if (fnli_check_str(e, "contact_find: value", value, 1, &v) != FNL_OK)
        return FNL_EINVAL;
    vl = fnli_key_normalize(kbuf, (size_t)kl, value, e->cc[0] ? e->cc : NULL,
                            vbuf, sizeof(vbuf), &why);
    if (vl < 0)
        return fnli_fail(e, FNL_EINVAL, "contact_find: key '%s': %s", kbuf,
                         why);
    kid = fnli_intern_find(&e->strings, kbuf, (size_t)kl);
    v.p = vbuf;
    v.n = (size_t)vl;
    node = kid ? key_lookup(e, kid, v,
                            key_hash(kbuf, (size_t)kl, vbuf, (size_t)vl))
               : 0;
    if (node == 0)
        return fnli_fail(e, FNL_ENOTFOUND, "no contact has %s '%s'", kbuf,
                         vbuf);
    c = KEYNODE(e, node)->contact;
    *out = fnli_handle(CONTACT(e, c)->gen, c);
    fnli_clear(e);
    return FNL_OK;
}

/* ---- identity resolution ------------------------------------------------- */

uint32_t fnli_find(const fnl_engine *e, uint32_t c)
{
    const fnli_contact *r = CONTACT(e, c);
    while (r->state == CONTACT_MERGED) {
        c = r->parent;
        r = CONTACT(e, c);
    }
    return c;
}

uint32_t fnli_put_str(fnl_engine *e, fnli_sv s)
{
    return s.p ? fnli_intern_put(&e->strings, s.p, s.n) : 0;
}

static uint32_t new_contact(fnl_engine *e, int64_t time)
{
    uint32_t i = fnli_pool_take(&e->contacts);
    fnli_contact *c = CONTACT(e, i);
    c->parent = i;
    c->gen = 1;
    c->state = CONTACT_LIVE;
    c->created = time;
    e->live_contacts++;
    fnli_scores_new_contact(e, i);
    fnli_queue(e, FNL_EVENT_CONTACT_CREATED, i, 0, 0, 0, time);
    fnli_stages_new_contact(e, i, time);
    return i;
}

static void add_key(fnl_engine *e, uint32_t c, uint32_t kind, fnli_sv v,
                    uint32_t hash)
{
    uint32_t k = fnli_pool_take(&e->keys);
    fnli_keynode *kn = KEYNODE(e, k);
    fnli_contact *cr = CONTACT(e, c);
    char *p = v.n < KEY_INLINE ? kn->v.inl
                               : fnli_arena_take(&e->keybytes, v.n + 1, 0);
    memcpy(p, v.p, v.n);
    p[v.n] = '\0';
    if (v.n >= KEY_INLINE)
        kn->v.ptr = p;
    kn->kind = kind;
    kn->len = (uint32_t)v.n;
    kn->contact = c;
    /* append, so keys read back in the order they were first seen */
    kn->next = 0;
    if (cr->keys == 0) {
        cr->keys = k;
    } else {
        uint32_t t = cr->keys;
        while (KEYNODE(e, t)->next)
            t = KEYNODE(e, t)->next;
        KEYNODE(e, t)->next = k;
    }
    fnli_map_insert(&e->keymap, hash, k);
    e->identity_keys++;
    fnli_scores_dirty(e, c); /* fit rules may read the key */
}

static int attr_wins(uint8_t prio, int64_t time, const fnli_attrnode *old,
                     int ties_win, uint32_t precedence)
{
    if (precedence == FNL_PRECEDENCE_SOURCE && prio != old->prio)
        return prio > old->prio;
    if (time != old->time)
        return time > old->time;
    return ties_win;
}

static void account_unlink(fnl_engine *e, uint32_t c)
{
    fnli_contact *cr = CONTACT(e, c);
    fnli_account *a;
    uint32_t *pp;
    if (cr->account == 0)
        return;
    a = ACCOUNT(e, cr->account);
    for (pp = &a->contacts; *pp != 0; pp = &CONTACT(e, *pp)->acct_next) {
        if (*pp == c) {
            *pp = cr->acct_next;
            break;
        }
    }
    a->ncontacts--;
    cr->account = 0;
    cr->acct_next = 0;
}

/* Merge contact l into w: w keeps everything; l becomes an alias. */
static void merge(fnl_engine *e, uint32_t w, uint32_t l, int64_t time)
{
    fnli_contact *wc = CONTACT(e, w), *lc = CONTACT(e, l);
    uint32_t k, t, a, next;

    /* keys: point to w, then append l's list to w's */
    for (k = lc->keys; k != 0; k = KEYNODE(e, k)->next)
        KEYNODE(e, k)->contact = w;
    if (wc->keys == 0) {
        wc->keys = lc->keys;
    } else if (lc->keys != 0) {
        for (k = wc->keys; KEYNODE(e, k)->next; k = KEYNODE(e, k)->next)
            ;
        KEYNODE(e, k)->next = lc->keys;
    }

    /* touches: relabel, then merge the two lists.  Every touch list is
     * kept strictly decreasing by touch index (arrival order, newest
     * first), an invariant that lets a snapshot load prove the lists
     * acyclic with one linear scan. */
    if (lc->touch_head != 0) {
        uint32_t p = wc->touch_head, q = lc->touch_head, *tail = &wc->touch_head;
        for (t = q; t != 0; t = T_NEXT(&e->touches, t))
            T_CONTACT(&e->touches, t) = w;
        while (p != 0 && q != 0) {
            if (p > q) {
                *tail = p;
                tail = &T_NEXT(&e->touches, p);
                p = *tail;
            } else {
                *tail = q;
                tail = &T_NEXT(&e->touches, q);
                q = *tail;
            }
        }
        *tail = p != 0 ? p : q;
        wc->touch_count += lc->touch_count;
    }

    /* attributes: by precedence; on a full tie the survivor's value stays */
    for (a = lc->attrs; a != 0; a = next) {
        fnli_attrnode *an = ATTRNODE(e, a);
        uint32_t x;
        next = an->next;
        for (x = wc->attrs; x != 0; x = ATTRNODE(e, x)->next)
            if (ATTRNODE(e, x)->name == an->name)
                break;
        if (x == 0) {
            an->next = wc->attrs;
            wc->attrs = a;
            continue;
        }
        if (attr_wins(an->prio, an->time, ATTRNODE(e, x), 0, e->cur_prec)) {
            fnli_attrnode *xn = ATTRNODE(e, x);
            xn->type = an->type;
            xn->prio = an->prio;
            xn->str = an->str;
            xn->time = an->time;
            xn->num = an->num;
        }
        fnli_pool_put(&e->attrs, a);
    }

    /* tags: union */
    for (a = lc->tags; a != 0; a = next) {
        fnli_namenode *tn = NAMENODE(e, a);
        uint32_t x;
        next = tn->next;
        for (x = wc->tags; x != 0; x = NAMENODE(e, x)->next)
            if (NAMENODE(e, x)->name == tn->name)
                break;
        if (x != 0) {
            fnli_pool_put(&e->names, a);
        } else {
            tn->next = wc->tags;
            wc->tags = a;
        }
    }

    if (wc->account == 0 && lc->account != 0) {
        uint32_t acct = lc->account;
        account_unlink(e, l);
        fnli_contact_join(e, w, acct, time);
    } else {
        account_unlink(e, l);
    }
    if (wc->owner == 0)
        wc->owner = lc->owner;
    if (wc->role == FNL_ROLE_NONE)
        wc->role = lc->role;
    if (lc->created < wc->created)
        wc->created = lc->created;

    lc->keys = lc->attrs = lc->tags = 0;
    lc->touch_head = lc->touch_count = 0;
    lc->state = CONTACT_MERGED;
    lc->parent = w;
    fnli_scores_dirty(e, w);
    e->live_contacts--;
    e->merges++;
    fnli_queue(e, FNL_EVENT_CONTACT_MERGED, w, l, 0, 0, time);
    fnli_stages_on_merge(e, w, l, time);
}

uint32_t fnli_identify(fnl_engine *e, const fnli_rkey *k, size_t n,
                       uint32_t contact, int64_t time)
{
    uint32_t found[FNL_MAX_KEYS + 1];
    uint32_t kinds[FNL_MAX_KEYS];
    size_t nf = 0, i, j;
    uint32_t w;

    if (contact != 0)
        found[nf++] = fnli_find(e, contact);
    for (i = 0; i < n; i++) {
        uint32_t node, c;
        kinds[i] = k[i].kind_id ? k[i].kind_id : fnli_put_str(e, k[i].kind);
        node = key_lookup(e, kinds[i], k[i].value, k[i].hash);
        if (node == 0)
            continue;
        c = KEYNODE(e, node)->contact;
        for (j = 0; j < nf && found[j] != c; j++)
            ;
        if (j == nf)
            found[nf++] = c;
    }
    if (nf == 0) {
        w = new_contact(e, time);
    } else {
        /* the oldest contact survives */
        w = found[0];
        for (j = 1; j < nf; j++)
            if (found[j] < w)
                w = found[j];
        for (j = 0; j < nf; j++)
            if (found[j] != w)
                merge(e, w, found[j], time);
    }
    for (i = 0; i < n; i++)
        if (key_lookup(e, kinds[i], k[i].value, k[i].hash) == 0)
            add_key(e, w, kinds[i], k[i].value, k[i].hash);
    return w;
}

/* ---- attributes and tags ------------------------------------------------- */

void fnli_set_attrs(fnl_engine *e, uint32_t *head, const fnli_rattr *a,
                    size_t n, uint8_t prio, int64_t time)
{
    size_t i;
    for (i = 0; i < n; i++) {
        uint32_t name = fnli_put_str(e, a[i].name);
        uint32_t *pp, x;
        for (pp = head; *pp != 0; pp = &ATTRNODE(e, *pp)->next)
            if (ATTRNODE(e, *pp)->name == name)
                break;
        x = *pp;
        if (x != 0 && !attr_wins(prio, time, ATTRNODE(e, x), 1,
                                 e->cur_prec))
            continue;
        if (a[i].type == FNL_ATTR_UNSET) {
            if (x != 0) {
                *pp = ATTRNODE(e, x)->next;
                fnli_pool_put(&e->attrs, x);
            }
            continue;
        }
        if (x == 0) {
            x = fnli_pool_take(&e->attrs);
            ATTRNODE(e, x)->name = name;
            ATTRNODE(e, x)->next = *head;
            *head = x;
        }
        {
            fnli_attrnode *an = ATTRNODE(e, x);
            an->type = (uint8_t)a[i].type;
            an->prio = prio;
            an->time = time;
            an->str = a[i].type == FNL_ATTR_STRING ? fnli_put_str(e, a[i].str)
                                                   : 0;
            an->num = a[i].num;
        }
    }
}

void fnli_set_tags(fnl_engine *e, uint32_t *head, const fnli_sv *add,
                   size_t nadd, const fnli_sv *del, size_t ndel)
{
    size_t i;
    for (i = 0; i < nadd; i++) {
        uint32_t name = fnli_put_str(e, add[i]), x;
        for (x = *head; x != 0; x = NAMENODE(e, x)->next)
            if (NAMENODE(e, x)->name == name)
                break;
        if (x == 0) {
            x = fnli_pool_take(&e->names);
            NAMENODE(e, x)->name = name;
            NAMENODE(e, x)->next = *head;
            *head = x;
        }
    }
    for (i = 0; i < ndel; i++) {
        uint32_t name = fnli_intern_find(&e->strings, del[i].p, del[i].n);
        uint32_t *pp;
        if (name == 0)
            continue;
        for (pp = head; *pp != 0; pp = &NAMENODE(e, *pp)->next) {
            if (NAMENODE(e, *pp)->name == name) {
                uint32_t x = *pp;
                *pp = NAMENODE(e, x)->next;
                fnli_pool_put(&e->names, x);
                break;
            }
        }
    }
}

void fnli_contact_join(fnl_engine *e, uint32_t c, uint32_t acct, int64_t time)
{
    fnli_contact *cr = CONTACT(e, c);
    fnli_account *a;
    uint32_t *pp;
    if (cr->account == acct)
        return;
    account_unlink(e, c);
    a = ACCOUNT(e, acct);
    /* the list is newest contact first: a new contact (the common case)
     * goes to the front without walking the list */
    for (pp = &a->contacts; *pp != 0 && *pp > c;
         pp = &CONTACT(e, *pp)->acct_next)
        ;
    cr->acct_next = *pp;
    *pp = c;
    cr->account = acct;
    a->ncontacts++;
    fnli_queue(e, FNL_EVENT_ACCOUNT_ASSIGNED, c, 0, acct, a->name, time);
}

fnli_sv fnli_business_domain(const fnl_engine *e, const fnli_rkey *k,
                             size_t n)
{
    fnli_sv d;
    size_t i;
    d.p = NULL;
    d.n = 0;
    for (i = 0; i < n; i++) {
        const char *dom;
        size_t dn;
        if (!k[i].is_email ||
            fnli_email_domain(k[i].value.p, k[i].value.n, &dom, &dn) != FNL_OK ||
            fnli_is_freemail(e, dom, dn))
            continue;
        d.p = dom;
        d.n = dn;
        break;
    }
    return d;
}

void fnli_join_domain(fnl_engine *e, uint32_t c, fnli_sv domain, int64_t time)
{
    if (domain.p == NULL || CONTACT(e, c)->account != 0)
        return;
    fnli_contact_join(e, c, fnli_account_for(e, domain, 1, time), time);
}

/* ---- codec pieces -------------------------------------------------------- */

void fnli_rkey_finish(const fnl_engine *e, fnli_rkey *k)
{
    uint64_t seed = (uint32_t)fnli_hash_bytes(k->kind.p, k->kind.n, KEY_SEED);
    k->hash = (uint32_t)fnli_hash_bytes(k->value.p, k->value.n, seed);
    k->kind_id = fnli_intern_find(&e->strings, k->kind.p, k->kind.n);
    k->is_email = k->kind.n == 5 && memcmp(k->kind.p, "email", 5) == 0;
}

void fnli_w_keys(fnli_wbuf *w, const fnli_rkey *k, size_t n)
{
    size_t i;
    fnli_w_uv(w, n);
    for (i = 0; i < n; i++) {
        fnli_w_str(w, k[i].kind);
        fnli_w_str(w, k[i].value);
    }
}

int fnli_r_keys(fnl_engine *e, fnli_rbuf *r, fnli_rkey **out, size_t *n)
{
    size_t i, cnt = fnli_r_count(r, FNL_MAX_KEYS, 2);
    fnli_rkey *k = NULL;
    *out = NULL;
    *n = 0;
    if (r->bad)
        return FNL_ECORRUPT;
    if (cnt > 0) {
        k = fnli_arena_alloc(&e->scratch, &e->mem, cnt * sizeof(*k));
        if (k == NULL)
            return FNL_ENOMEM;
    }
    for (i = 0; i < cnt; i++) {
        k[i].kind = fnli_r_str(r, FNL_MAX_NAME);
        k[i].value = fnli_r_str(r, FNL_MAX_STRING + 32);
        if (r->bad || k[i].kind.n == 0 || k[i].value.n == 0)
            return FNL_ECORRUPT;
        fnli_rkey_finish(e, &k[i]);
    }
    *out = k;
    *n = cnt;
    return FNL_OK;
}

void fnli_w_attrs(fnli_wbuf *w, const fnli_rattr *a, size_t n)
{
    size_t i;
    fnli_w_uv(w, n);
    for (i = 0; i < n; i++) {
        fnli_w_str(w, a[i].name);
        fnli_w_u8(w, a[i].type);
        if (a[i].type == FNL_ATTR_STRING)
            fnli_w_str(w, a[i].str);
        else if (a[i].type == FNL_ATTR_NUMBER)
            fnli_w_f64(w, a[i].num);
    }
}

int fnli_r_attrs(fnl_engine *e, fnli_rbuf *r, fnli_rattr **out, size_t *n)
{
    size_t i, cnt = fnli_r_count(r, FNL_MAX_ATTRS, 3);
    fnli_rattr *a = NULL;
    *out = NULL;
    *n = 0;
    if (r->bad)
        return FNL_ECORRUPT;
    if (cnt > 0) {
        a = fnli_arena_alloc(&e->scratch, &e->mem, cnt * sizeof(*a));
        if (a == NULL)
            return FNL_ENOMEM;
    }
    for (i = 0; i < cnt; i++) {
        a[i].name = fnli_r_str(r, FNL_MAX_NAME);
        a[i].type = fnli_r_u8(r);
        a[i].str.p = NULL;
        a[i].str.n = 0;
        a[i].num = 0;
        if (a[i].type == FNL_ATTR_STRING)
            a[i].str = fnli_r_str(r, FNL_MAX_STRING);
        else if (a[i].type == FNL_ATTR_NUMBER)
            a[i].num = fnli_r_f64(r);
        else if (a[i].type != FNL_ATTR_UNSET)
            return FNL_ECORRUPT;
        if (r->bad || a[i].name.n == 0 ||
            (a[i].type == FNL_ATTR_STRING && a[i].str.n == 0) ||
            (a[i].type == FNL_ATTR_NUMBER && !isfinite(a[i].num)))
            return FNL_ECORRUPT;
    }
    *out = a;
    *n = cnt;
    return FNL_OK;
}

void fnli_w_strv(fnli_wbuf *w, const fnli_sv *v, size_t n)
{
    size_t i;
    fnli_w_uv(w, n);
    for (i = 0; i < n; i++)
        fnli_w_str(w, v[i]);
}

int fnli_r_strv(fnl_engine *e, fnli_rbuf *r, fnli_sv **out, size_t *n)
{
    size_t i, cnt = fnli_r_count(r, FNL_MAX_ATTRS, 2);
    fnli_sv *v = NULL;
    *out = NULL;
    *n = 0;
    if (r->bad)
        return FNL_ECORRUPT;
    if (cnt > 0) {
        v = fnli_arena_alloc(&e->scratch, &e->mem, cnt * sizeof(*v));
        if (v == NULL)
            return FNL_ENOMEM;
    }
    for (i = 0; i < cnt; i++) {
        v[i] = fnli_r_str(r, FNL_MAX_STRING);
        if (r->bad || v[i].n == 0)
            return FNL_ECORRUPT;
    }
    *out = v;
    *n = cnt;
    return FNL_OK;
}

int fnli_r_contact(const fnl_engine *e, fnli_rbuf *r, uint32_t *idx)
{
    uint64_t i = fnli_r_uv(r);
    *idx = 0;
    if (r->bad)
        return FNL_ECORRUPT;
    if (i == 0)
        return FNL_OK;
    if (i >= e->contacts.count ||
        CONTACT(e, (uint32_t)i)->state == CONTACT_FORGOTTEN ||
        CONTACT(e, fnli_find(e, (uint32_t)i))->state != CONTACT_LIVE)
        return FNL_ECORRUPT;
    *idx = fnli_find(e, (uint32_t)i);
    return FNL_OK;
}

void fnli_need_keys(fnli_need *n, const fnli_rkey *k, size_t count)
{
    size_t i;
    for (i = 0; i < count; i++) {
        n->keys++;
        if (k[i].value.n >= KEY_INLINE)
            n->keybytes += k[i].value.n + 1;
        if (k[i].kind_id == 0)
            fnli_need_str(n, k[i].kind);
    }
    /* a merge can queue an event per key, and may move an account */
    n->events += 2 * (count + 1);
}

void fnli_need_attrs(fnli_need *n, const fnli_rattr *a, size_t count)
{
    size_t i;
    for (i = 0; i < count; i++) {
        fnli_need_str(n, a[i].name);
        fnli_need_str(n, a[i].str);
        n->attrs++;
    }
}

void fnli_need_strv(fnli_need *n, const fnli_sv *v, size_t count)
{
    size_t i;
    for (i = 0; i < count; i++) {
        fnli_need_str(n, v[i]);
        n->names++;
    }
}

/* ---- erasure ------------------------------------------------------------- */

void fnli_contact_erase(fnl_engine *e, uint32_t c, int64_t time)
{
    fnli_contact *cr = CONTACT(e, c);
    uint32_t k, next;
    uint16_t old_gen = cr->gen;
    for (k = cr->keys; k != 0; k = next) {
        fnli_keynode *kn = KEYNODE(e, k);
        const char *kind = fnli_str(&e->strings, kn->kind);
        char *v = (char *)fnli_key_value(kn);
        next = kn->next;
        fnli_map_remove(&e->keymap,
                        key_hash(kind, fnli_str_len(&e->strings, kn->kind), v,
                                 kn->len),
                        k);
        memset(v, 0, kn->len); /* long values live in the key arena */
        fnli_pool_put(&e->keys, k);
        e->identity_keys--;
    }
    for (k = cr->attrs; k != 0; k = next) {
        next = ATTRNODE(e, k)->next;
        fnli_pool_put(&e->attrs, k);
    }
    for (k = cr->tags; k != 0; k = next) {
        next = NAMENODE(e, k)->next;
        fnli_pool_put(&e->names, k);
    }
    cr->keys = cr->attrs = cr->tags = 0;
    cr->owner = 0;
    cr->role = FNL_ROLE_NONE;
    /* The account keeps counting the touches (aggregates stay right) but
     * no longer lists the person. */
    if (cr->account != 0) {
        uint32_t acct = cr->account;
        account_unlink(e, c);
        cr->account = acct;
    }
    cr->state = CONTACT_FORGOTTEN;
    cr->gen = (uint16_t)(old_gen + 1 ? old_gen + 1 : 1);
    e->live_contacts--;
    e->forgotten++;
    if (e->has_listener) {
        /* the event names the handle the host knew, now stale */
        fnli_queue(e, FNL_EVENT_CONTACT_FORGOTTEN, 0, 0, 0, 0, time);
        e->events[e->nevents - 1].handle = fnli_handle(old_gen, c);
    }
}

void fnli_key_index_add(fnl_engine *e, uint32_t k)
{
    const fnli_keynode *kn = KEYNODE(e, k);
    fnli_map_insert(&e->keymap,
                    key_hash(fnli_str(&e->strings, kn->kind),
                             fnli_str_len(&e->strings, kn->kind),
                             fnli_key_value(kn), kn->len),
                    k);
}
