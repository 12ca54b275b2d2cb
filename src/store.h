/* store.h -- the store modules' internal interface: resolved inputs, the
 * reservation a mutation makes, and the infallible apply steps they share
 * (identity, attributes, tags, accounts). */
#ifndef FNL_STORE_H
#define FNL_STORE_H

#include "engine.h"
#include "record.h"

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
    size_t accounts, deals, dcs, costs, classes, touches, events, owners;
} fnli_need;

static inline void fnli_need_str(fnli_need *n, fnli_sv s)
{
    if (s.p != NULL) {
        n->strings++;
        n->strbytes += s.n;
    }
}

int fnli_reserve(fnl_engine *e, const fnli_need *n);

/* ---- the mutation road (ingest.c) ----------------------------------------
 *
 * Each mutation kind has a resolved form (built by validating the caller's
 * input, or by decoding a journal record) and four functions over it.  The
 * live road is resolve -> need -> reserve -> encode -> append -> apply; a
 * replay is decode -> need -> reserve -> apply.  apply is the one place a
 * mutation changes the engine, for live calls and replays alike. */
typedef struct fnli_opdef {
    uint8_t kind;                 /* REC_* */
    int (*decode)(fnl_engine *e, fnli_rbuf *r, void *out);
    void (*need)(const fnl_engine *e, const void *r, fnli_need *n);
    void (*encode)(fnli_wbuf *w, const void *r);
    void (*apply)(fnl_engine *e, void *r);
    /* optional: release what decode prepared (called after a replay) */
    void (*done)(fnl_engine *e, void *r);
} fnli_opdef;

/* Reserve, journal and apply a resolved mutation.  FNL_EIO when the
 * storage refuses the record: nothing is applied. */
int fnli_commit(fnl_engine *e, const fnli_opdef *op, void *r);
/* Apply one journal record (replay); FNL_ECORRUPT for malformed bytes. */
int fnli_replay_record(fnl_engine *e, const void *rec, size_t len);

/* A resolved profile update. */
typedef struct fnli_rcontact {
    fnli_rkey *keys;
    size_t nkeys;
    uint32_t contact;     /* handle index, 0: none */
    fnli_rattr *attrs;
    size_t nattrs;
    fnli_sv *tadd, *tdel;
    size_t ntadd, ntdel;
    uint8_t set_owner;
    fnli_sv owner;
    fnli_sv account;      /* explicit account id */
    fnli_sv domain;       /* business e-mail domain to join when the
                             contact has no account (decided when
                             resolving: the free-mail list is config) */
    uint32_t role;        /* FNL_ROLE_KEEP or a role */
    uint8_t prio;
    int64_t time;
    uint32_t result;      /* set by apply: the contact */
} fnli_rcontact;

extern const fnli_opdef fnli_op_contact;
extern const fnli_opdef fnli_op_touches;
extern const fnli_opdef fnli_op_account;
extern const fnli_opdef fnli_op_deal;
extern const fnli_opdef fnli_op_cost;
extern const fnli_opdef fnli_op_forget;
extern const fnli_opdef fnli_op_model;

/* Codec pieces shared by several record kinds. */
void fnli_w_keys(fnli_wbuf *w, const fnli_rkey *k, size_t n);
int fnli_r_keys(fnl_engine *e, fnli_rbuf *r, fnli_rkey **out, size_t *n);
void fnli_w_attrs(fnli_wbuf *w, const fnli_rattr *a, size_t n);
int fnli_r_attrs(fnl_engine *e, fnli_rbuf *r, fnli_rattr **out, size_t *n);
void fnli_w_strv(fnli_wbuf *w, const fnli_sv *v, size_t n);
int fnli_r_strv(fnl_engine *e, fnli_rbuf *r, fnli_sv **out, size_t *n);
/* A contact index from a record: must name a live or merged contact. */
int fnli_r_contact(const fnl_engine *e, fnli_rbuf *r, uint32_t *idx);
void fnli_need_keys(fnli_need *n, const fnli_rkey *k, size_t count);
void fnli_need_attrs(fnli_need *n, const fnli_rattr *a, size_t count);
void fnli_need_strv(fnli_need *n, const fnli_sv *v, size_t count);
/* Fill hash, kind id and is_email of a key whose kind and value are set. */
void fnli_rkey_finish(const fnl_engine *e, fnli_rkey *k);
/* The first business e-mail domain among k (absent when none). */
fnli_sv fnli_business_domain(const fnl_engine *e, const fnli_rkey *k,
                             size_t n);

/* ---- resolve (fallible, touches only scratch) ----------------------------- */

int fnli_resolve_keys(fnl_engine *e, const char *what, const fnl_key *keys,
                      size_t n, fnli_rkey **out);
int fnli_resolve_attrs(fnl_engine *e, const char *what, const fnl_attr *a,
                       size_t n, fnli_rattr **out);
int fnli_resolve_strv(fnl_engine *e, const char *what, const char *const *v,
                      size_t n, fnli_sv **out);
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
/* The node named `name` (a string id; 0 finds nothing) on an attribute
 * list, or 0; and one node as the public fnl_attr (strings borrowed). */
uint32_t fnli_attr_node(const fnl_engine *e, uint32_t head, uint32_t name);
void fnli_attr_out(const fnl_engine *e, const fnli_attrnode *an, fnl_attr *o);
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
/* Join the account of a business domain (absent: nothing), if the contact
 * has no account yet. */
void fnli_join_domain(fnl_engine *e, uint32_t c, fnli_sv domain,
                      int64_t time);
/* Erase a contact's personal data (keys, attributes, tags, owner); its
 * touches stay, anonymous.  Infallible. */
void fnli_contact_erase(fnl_engine *e, uint32_t c, int64_t time);
/* Re-index a record after a snapshot load (maps reserved beforehand). */
void fnli_key_index_add(fnl_engine *e, uint32_t k);
void fnli_account_index_add(fnl_engine *e, uint32_t a);
void fnli_deal_index_add(fnl_engine *e, uint32_t d);
void fnli_class_index_add(fnl_engine *e, uint32_t c);
/* snapshot.c */
int fnli_snapshot_write(fnl_engine *e, uint32_t compression);
int fnli_snapshot_load(fnl_engine *e, uint64_t *seq);
/* journal.c: load the storage's snapshot and replay its journal. */
int fnli_recover(fnl_engine *e);
void fnli_touches_free(fnl_engine *e, fnli_mem *mem);
int fnli_touches_reserve(fnl_engine *e, size_t n);

#endif
