/* engine.h -- the engine's internal state, shared by the store modules.
 *
 * Every mutation follows one road (DESIGN.md 3a):
 *   resolve  validate and normalise the caller's input into a resolved form
 *            in scratch memory; nothing in the engine is touched yet
 *   reserve  grow every pool, map and arena the apply step may need; this
 *            is the last point where the call can fail (ENOMEM)
 *   apply    change the stores; cannot fail
 *   events   delivered to the listener after apply
 * so "a failed call changes nothing" holds by construction. */
#ifndef FNL_ENGINE_H
#define FNL_ENGINE_H

#include <stdint.h>
#include <string.h>
#include "funnelcore.h"
#include "arena.h"
#include "hash.h"
#include "intern.h"
#include "mem.h"
#include "pool.h"

/* A string view: not NUL-terminated unless said so. p == NULL: absent. */
typedef struct fnli_sv {
    const char *p;
    size_t n;
} fnli_sv;

#if defined(__GNUC__)
#define FNL_PREFETCH(p) __builtin_prefetch((p))
#else
#define FNL_PREFETCH(p) ((void)(p))
#endif

/* ---- records ------------------------------------------------------------ */

enum { CONTACT_LIVE = 1, CONTACT_MERGED = 2, CONTACT_FORGOTTEN = 3 };

/* 48 bytes; the fields every touch reads and writes come first so they
 * share a cache line. */
typedef struct fnli_contact {
    uint32_t touch_head;  /* newest touch first (a touch never needs the
                             previous one, so appending costs no miss) */
    uint32_t touch_count;
    uint32_t account;     /* 0: none */
    uint32_t parent;      /* itself when live; the survivor when merged */
    uint16_t gen;
    uint8_t role;
    uint8_t state;
    uint32_t keys;        /* key node list */
    uint32_t attrs;       /* attr node list */
    uint32_t tags;        /* name node list */
    uint32_t acct_next;   /* next contact of the same account */
    uint32_t owner;       /* string id */
    int64_t created;
} fnli_contact;

/* Key values up to KEY_INLINE - 1 bytes live inside the node, so a lookup
 * that hits costs one memory access for node and bytes together. */
#define KEY_INLINE 32
typedef struct fnli_keynode {
    uint32_t contact;
    uint32_t kind;        /* string id of the kind */
    uint32_t next;        /* next key of the same contact */
    uint32_t len;
    union {
        char inl[KEY_INLINE];
        const char *ptr;  /* longer values: NUL-terminated, key arena */
    } v;
} fnli_keynode;

static inline const char *fnli_key_value(const fnli_keynode *k)
{
    return k->len < KEY_INLINE ? k->v.inl : k->v.ptr;
}

typedef struct fnli_attrnode {
    uint32_t name;        /* string id */
    uint32_t next;
    uint8_t type;         /* FNL_ATTR_STRING / FNL_ATTR_NUMBER */
    uint8_t prio;         /* source priority: higher wins */
    uint16_t pad;
    uint32_t str;         /* string id for strings */
    int64_t time;
    double num;
} fnli_attrnode;

/* A string in a list: tags, account domains. */
typedef struct fnli_namenode {
    uint32_t name;
    uint32_t next;
} fnli_namenode;

typedef struct fnli_account {
    uint32_t name;        /* the account's id */
    uint32_t domains;     /* name node list */
    uint32_t attrs;
    uint32_t owner;
    uint32_t contacts;    /* contact list head (via acct_next) */
    uint32_t ncontacts;
    int64_t created;
    uint16_t gen;
} fnli_account;

typedef struct fnli_dealcontact {
    uint32_t contact;
    uint32_t next;
    uint32_t role;
} fnli_dealcontact;

typedef struct fnli_deal {
    uint32_t name;
    uint32_t account;
    uint32_t contacts;    /* deal contact node list */
    uint32_t ncontacts;
    uint32_t currency;    /* three ASCII letters packed little-endian */
    uint32_t stage;
    uint32_t owner;
    uint16_t gen;
    uint8_t status;
    uint32_t attrs;       /* attr node list (snapshot section DEAL_ATTRS) */
    int64_t amount;
    int64_t created;
    int64_t closed;
} fnli_deal;

/* An owner record: attributes of an owner string (owner.c). */
typedef struct fnli_owner {
    uint32_t name;        /* string id: the owner string */
    uint32_t attrs;       /* attr node list */
    int64_t created;
} fnli_owner;

typedef struct fnli_costrec {
    uint32_t channel, campaign, region, currency;
    int64_t start, end, amount;
} fnli_costrec;

/* The dimensions of a touch, interned together with its actor as one
 * class: touches store one class id.  TF_COUNT counts the dimensions
 * (what scoring rules match and reports group by); the actor (TF_BY, the
 * string id of who made the touch, 0 none) is a class field but no
 * dimension.  In the class it adds nothing to the 28 bytes of a touch:
 * the touches people make (calls, meetings, e-mails by 50 reps, 20 % of
 * 2M touches) add 150 classes to the 9,600 of marketing touches, 0.01
 * B/touch; a worst case (every touch by one of 50 actors over all 9,600
 * dimension combinations) gives 467k classes, +13 B/touch -- a column
 * would cost 4 B on every touch, with or without an actor. */
enum {
    TF_TYPE, TF_CHANNEL, TF_CAMPAIGN, TF_CONTENT, TF_UTM_SOURCE,
    TF_UTM_MEDIUM, TF_UTM_CAMPAIGN, TF_UTM_TERM, TF_UTM_CONTENT, TF_COUNT,
    TF_BY = TF_COUNT,
    TC_FIELDS
};

typedef struct fnli_tclass {
    uint32_t f[TC_FIELDS];
} fnli_tclass;

/* Touches: chunked columns, 28 bytes per touch. */
#define TOUCH_SHIFT 16
#define TOUCH_CHUNK (1u << TOUCH_SHIFT)

typedef struct fnli_tchunk {
    int64_t *time;
    int64_t *value;
    uint32_t *contact;
    uint32_t *cls;
    uint32_t *next;       /* next touch of the same contact */
} fnli_tchunk;

typedef struct fnli_touches {
    fnli_tchunk *chunks;
    uint32_t nchunks;
    uint32_t cap;
    uint32_t count;       /* including index 0 */
} fnli_touches;

#define T_CHUNK(ts, i) (&(ts)->chunks[(i) >> TOUCH_SHIFT])
#define T_OFF(i) ((i) & (TOUCH_CHUNK - 1))
#define T_TIME(ts, i) (T_CHUNK(ts, i)->time[T_OFF(i)])
#define T_VALUE(ts, i) (T_CHUNK(ts, i)->value[T_OFF(i)])
#define T_CONTACT(ts, i) (T_CHUNK(ts, i)->contact[T_OFF(i)])
#define T_CLASS(ts, i) (T_CHUNK(ts, i)->cls[T_OFF(i)])
#define T_NEXT(ts, i) (T_CHUNK(ts, i)->next[T_OFF(i)])

/* Who made touch t (1 <= t < touches.count): the interned string id of
 * its actor ("by"), 0 none.  Compare it with a contact's owner id: both
 * are interned byte for byte, so equal ids are equal names.  touch.c. */
uint32_t fnli_touch_by(const fnl_engine *e, uint32_t t);

/* An event waiting for delivery. */
typedef struct fnli_event {
    uint32_t kind;
    uint32_t contact, other, account;
    uint32_t name;
    int64_t time;
    uint64_t handle;      /* a contact handle given as is (forget) */
    uint32_t model;       /* key events: attached model index + 1 */
    uint32_t key_event;   /* key events: the model's event index */
    const char *text;     /* name when name is 0: borrowed from the
                             attached stage machine */
} fnli_event;

/* Per-call memo of resolved input strings, keyed by the caller's pointer
 * and the field it was passed as: a batch repeats the same channel, type
 * and campaign strings thousands of times, and validating, folding and
 * looking each up once per call is what makes batches cheap.  Entries are
 * valid only while their gen equals the engine's (bumped every call), so
 * a host reusing a buffer between calls is never misread. */
#define MEMO_SLOTS 64
typedef struct fnli_memo {
    const char *ptr;
    uint32_t gen;
    uint32_t field;
    fnli_sv sv;           /* the validated (and folded) value */
    uint32_t id;          /* its string id, 0 if not interned yet */
    uint32_t hash;        /* for key kinds: the kind's hash seed part */
} fnli_memo;

typedef struct fnli_rule {
    uint32_t field;
    char *pattern;
    size_t pattern_len;
    uint32_t channel;     /* string id */
} fnli_rule;

struct fnl_engine {
    fnli_mem mem;
    fnl_clock clock;
    fnl_listener listener;
    int has_listener;
    int busy;             /* inside listener delivery */
    uint32_t precedence;

    char **sources;       /* priority order */
    size_t nsources;
    char **freemail;      /* extra free-mail domains, sorted */
    size_t nfreemail;
    char cc[8];           /* default country code digits, "" none */
    fnli_rule *rules;
    size_t nrules;

    fnli_intern strings;
    fnli_arena keybytes;

    fnli_pool contacts;
    fnli_pool keys;
    fnli_map keymap;
    fnli_pool attrs;
    fnli_pool names;
    fnli_pool accounts;
    fnli_map accmap;      /* name -> account */
    fnli_map dommap;      /* domain name node -> account, keyed by string */
    fnli_pool dealpool;
    fnli_map dealmap;
    fnli_pool dcs;
    fnli_pool owners;     /* owner records (owner.c) */
    fnli_map ownermap;    /* owner name -> record */
    fnli_pool costs;
    fnli_pool classes;
    fnli_map classmap;
    fnli_touches touches;

    fnli_event *events;
    size_t nevents, events_cap;

    fnli_arena scratch;   /* per call */
    fnli_memo memo[MEMO_SLOTS];
    uint32_t memo_gen;

    uint64_t live_contacts;
    uint64_t merges;
    uint64_t identity_keys;
    uint64_t forgotten;

    /* persistence */
    fnl_storage *storage; /* borrowed; NULL: memory only */
    uint64_t seq;         /* last record applied */
    fnli_wbuf rec;        /* the record being written */
    uint8_t cur_prec;     /* precedence of the mutation being applied */
    int replaying;
    uint32_t snapshot_compression;

    /* scoring (score_engine.c) */
    struct fnli_attached *models[FNL_MAX_MODELS];
    size_t nmodels;
    unsigned char *dirty; /* per contact: its scores need a recompute */
    size_t dirty_cap;
    uint32_t *dirty_list; /* contacts this call made dirty */
    size_t ndirty, dirty_list_cap;

    /* the lifecycle stage machine (stage_engine.c); NULL: none */
    struct fnli_stages *stages;

    char errmsg[512];
};

/* ---- shared helpers (engine.c) ------------------------------------------ */

/* Record a failure's detail and return code.  Accepts a const engine: the
 * message buffer is diagnostic state, not funnel state. */
int fnli_fail(const fnl_engine *e, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static inline void fnli_clear(const fnl_engine *e)
{
    ((fnl_engine *)e)->errmsg[0] = '\0';
}

/* Begin a mutating call: checks e, the busy flag, resets scratch. */
int fnli_begin(fnl_engine *e);
/* End it: reset scratch, deliver queued events, return rc. */
int fnli_end(fnl_engine *e, int rc);

/* Copy a size-first struct into a zero-initialised full-size local. */
int fnli_copy_in(void *dst, size_t dst_size, const void *src, size_t init_size);

/* Validate an optional or required string: UTF-8, length, non-empty.
 * what: the field's name for the message. */
int fnli_check_str(const fnl_engine *e, const char *what, const char *s,
                   int required, fnli_sv *out);
int fnli_check_time(const fnl_engine *e, const char *what, int64_t t,
                    int64_t *out);
/* The memo entry for (ptr, field): *hit says whether it holds a value of
 * this call; on a miss the caller fills it. */
fnli_memo *fnli_memo_slot(fnl_engine *e, const char *ptr, uint32_t field,
                          int *hit);
/* Invalidate the memo: every call that resolves input starts with this. */
void fnli_memo_new_call(fnl_engine *e);
void fnli_memo_fill(fnl_engine *e, fnli_memo *m, const char *ptr,
                    uint32_t field, fnli_sv sv, uint32_t id);
/* Copy bytes into scratch, NUL-terminated (fallible phase only). */
const char *fnli_scratch_dup(fnl_engine *e, const char *s, size_t n);

/* Source priority of a source name (0 unlisted / none). */
uint8_t fnli_source_prio(const fnl_engine *e, fnli_sv src);

int fnli_queue_reserve(fnl_engine *e, size_t n);
void fnli_queue(fnl_engine *e, uint32_t kind, uint32_t contact,
                uint32_t other, uint32_t account, uint32_t name, int64_t time);

/* Handles: (gen << 32) | index. */
static inline uint64_t fnli_handle(uint16_t gen, uint32_t idx)
{
    return ((uint64_t)gen << 32) | idx;
}

#define CONTACT(e, i) ((fnli_contact *)fnli_pool_at(&(e)->contacts, (i)))
#define KEYNODE(e, i) ((fnli_keynode *)fnli_pool_at(&(e)->keys, (i)))
#define ATTRNODE(e, i) ((fnli_attrnode *)fnli_pool_at(&(e)->attrs, (i)))
#define NAMENODE(e, i) ((fnli_namenode *)fnli_pool_at(&(e)->names, (i)))
#define ACCOUNT(e, i) ((fnli_account *)fnli_pool_at(&(e)->accounts, (i)))
#define DEAL(e, i) ((fnli_deal *)fnli_pool_at(&(e)->dealpool, (i)))
#define DEALCONTACT(e, i) ((fnli_dealcontact *)fnli_pool_at(&(e)->dcs, (i)))
#define OWNER(e, i) ((fnli_owner *)fnli_pool_at(&(e)->owners, (i)))
#define COSTREC(e, i) ((fnli_costrec *)fnli_pool_at(&(e)->costs, (i)))
#define TCLASS(e, i) ((fnli_tclass *)fnli_pool_at(&(e)->classes, (i)))

#endif
