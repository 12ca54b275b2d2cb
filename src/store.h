/* store.h -- the store modules' internal interface: resolved inputs, the
 * reservation a mutation makes, and the infallible apply steps they share
 * (identity, attributes, tags, accounts). */
#ifndef FNL_STORE_H
#define FNL_STORE_H

#include "engine.h"

/* A normalised identity key (strings in scratch, NUL-terminated). */
typedef struct fnli_rkey {
    fnli_sv kind;
    fnli_sv value;
    uint32_t kind_id;     /* 0: not interned yet */
    uint32_t hash;        /* of kind and value: known before apply, so a
                             batch can prefetch the index slot */
    int is_email;
} fnli_rkey;

typedef struct fnli_rattr {
    fnli_sv name;         /* folded, NUL-terminated in scratch */
    uint32_t type;
    fnli_sv str;
    double num;
} fnli_rattr;

/* Upper bounds of what one mutation may add: reserved before applying. */
typedef struct fnli_need {
    size_t contacts, keys, keybytes, strings, strbytes, attrs, names;
    size_t accounts, deals, dcs, costs, classes, touches, events;
} fnli_need;

static inline void fnli_need_str(fnli_need *n, fnli_sv s)
{
    if (s.p != NULL) {
        n->strings++;
        n->strbytes += s.n;
    }
}

int fnli_reserve(fnl_engine *e, const fnli_need *n);

/* ---- resolve (fallible, touches only scratch) ----------------------------- */

int fnli_resolve_keys(fnl_engine *e, const char *what, const fnl_key *keys,
                      size_t n, fnli_rkey **out, fnli_need *need);
int fnli_resolve_attrs(fnl_engine *e, const char *what, const fnl_attr *a,
                       size_t n, fnli_rattr **out, fnli_need *need);
int fnli_resolve_strv(fnl_engine *e, const char *what, const char *const *v,
                      size_t n, fnli_sv **out, fnli_need *need);
/* A live contact's index from a handle, following merges. */
int fnli_contact_index(const fnl_engine *e, fnl_contact_id h, uint32_t *idx);
int fnli_account_index(const fnl_engine *e, fnl_account_id h, uint32_t *idx);
/* Check a copy-out buffer: FNL_ERANGE (with *count set) when too small. */
int fnli_copyout(const fnl_engine *e, const void *out, size_t cap,
                 size_t have, size_t *count);
int fnli_is_freemail(const fnl_engine *e, const char *dom, size_t n);
/* An optional ISO 4217 code packed into 24 bits (0 when s is NULL). */
int fnli_currency(const fnl_engine *e, const char *what, const char *s,
                  uint32_t *out);
/* Copy out an attribute list sorted by name (contacts and accounts). */
int fnli_attrs_out(const fnl_engine *e, uint32_t head, fnl_attr *out,
                   size_t cap, size_t *count);
/* The owner field of an update: NULL keep, "" clear, else a checked name.
 * *set is 0 (keep) or 1 (set to *sv, absent meaning clear). */
int fnli_check_owner(const fnl_engine *e, const char *what, const char *s,
                     int *set, fnli_sv *sv);

/* ---- apply (infallible after fnli_reserve) ------------------------------- */

uint32_t fnli_find(const fnl_engine *e, uint32_t c);
uint32_t fnli_put_str(fnl_engine *e, fnli_sv s);
/* Hint the memory system about the index slot, key node and contact a key
 * will need (stage 0, 1, 2 of a batch pipeline).  Never changes state. */
void fnli_key_prefetch(const fnl_engine *e, const fnli_rkey *k, int stage);
uint32_t fnli_identify(fnl_engine *e, const fnli_rkey *k, size_t n,
                       uint32_t contact, int64_t time);
void fnli_set_attrs(fnl_engine *e, uint32_t *head, const fnli_rattr *a,
                    size_t n, uint8_t prio, int64_t time);
void fnli_set_tags(fnl_engine *e, uint32_t *head, const fnli_sv *add,
                   size_t nadd, const fnli_sv *del, size_t ndel);
/* Account with this id (or mapped domain), created when missing. */
uint32_t fnli_account_for(fnl_engine *e, fnli_sv id, int is_domain,
                          int64_t time);
void fnli_contact_join(fnl_engine *e, uint32_t c, uint32_t acct,
                       int64_t time);
/* Join the account of the first business e-mail domain among k, if the
 * contact has no account yet. */
void fnli_account_from_keys(fnl_engine *e, uint32_t c, const fnli_rkey *k,
                            size_t n, int64_t time);
void fnli_touches_free(fnl_engine *e, fnli_mem *mem);
int fnli_touches_reserve(fnl_engine *e, size_t n);

#endif
