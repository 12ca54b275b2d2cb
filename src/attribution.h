/* attribution.h -- the multi-touch attribution core, internal API.
 *
 * The core works on journeys: a sequence of touches, each carrying an
 * integer group id (a channel, campaign, ... -- whatever key the caller
 * grouped touches by) into a name table, plus the journey's conversions,
 * non-converting paths ("nulls"), value and, optionally, touch times and
 * the indices of its lead-creation, opportunity-creation and deal-close
 * touches.
 *
 * A partial (fnli_attr) accumulates every requested model over any number
 * of journeys in ONE pass, in integers only (fixed-point credit, counts,
 * 128-bit value sums), so partials built from any split of the journeys
 * merge into exactly -- bit for bit -- the partial of one pass.  Doubles
 * appear only in fnli_attr_finish(), which canonicalises everything by
 * group NAME first, so the order in which names or states were first seen
 * does not matter either.
 *
 * How the engine feeds a partial, cheaply:
 *
 *   fnli_attr p;  fnli_attr_init(&p, &engine_mem, &params);
 *   fnli_attr_group(&p, "email", 5, &gid);          once per distinct key
 *   fnli_journey j = FNLI_JOURNEY_INIT; j.groups = gids; j.n = n; ...
 *   fnli_attr_add(&p, &j);                          per journey, atomic
 *   fnli_attr_finish(&p, FNL_ATTR_LINEAR, &result); per model
 *   fnli_attr_free(&p);
 *
 * fnli_attr_add() validates the journey, reserves memory for the worst
 * case, then applies it: on failure nothing changed.
 */
#ifndef FNL_ATTRIBUTION_H
#define FNL_ATTRIBUTION_H

#include <stddef.h>
#include <stdint.h>
#include "funnelcore.h"
#include "mem.h"
#include "funnelcore.h"

/* ---- fixed point --------------------------------------------------------
 * A journey's conversions C are distributed in units of 2^-32 conversion,
 * its value V (integer units) in units of 2^-16 value unit.  Each journey's
 * units are split so that they sum exactly to C << 32 and V << 16. */
#define FNLI_CONV_SHIFT 32
#define FNLI_VALUE_SHIFT 16
#define FNLI_MAX_JOURNEY_CONV ((UINT64_C(1) << 31) - 1)
#define FNLI_MAX_JOURNEY_VALUE ((INT64_C(1) << 47) - 1)
#define FNLI_MAX_JOURNEY_TOUCHES (UINT32_C(1) << 24)
#define FNLI_MAX_MODELS 16
#define FNLI_NONE UINT32_MAX

/* An unsigned 128-bit accumulator, wrapping (so a subtraction undoes an
 * addition exactly, which is how a failed batch is rolled back). */
typedef struct fnli_u128 {
    uint64_t lo;
    uint64_t hi;
} fnli_u128;

static inline void fnli_u128_add(fnli_u128 *a, uint64_t v, int neg)
{
    uint64_t lo;
    if (neg) {
        lo = a->lo - v;
        a->hi -= (lo > a->lo);
    } else {
        lo = a->lo + v;
        a->hi += (lo < a->lo);
    }
    a->lo = lo;
}

static inline void fnli_u128_add128(fnli_u128 *a, const fnli_u128 *b)
{
    uint64_t lo = a->lo + b->lo;
    a->hi += b->hi + (lo < a->lo);
    a->lo = lo;
}

/* The value as a double (the high word is < 2^63 for every sum we keep). */
double fnli_u128_double(const fnli_u128 *a);

/* ---- the group name table ---------------------------------------------- */
typedef struct fnli_gtab {
    char *text;          /* names, each NUL-terminated */
    size_t text_len, text_cap;
    uint64_t *off;       /* name i starts at text + off[i] */
    uint32_t *len;
    uint32_t *hash;
    size_t count, cap;
    uint32_t *slots;     /* open addressing: id + 1, 0 empty */
    size_t nslots;       /* power of two */
} fnli_gtab;

void fnli_gtab_free(fnli_gtab *t, fnli_mem *m);
/* Room for `names` more names of `bytes` total bytes (NUL excluded). */
int fnli_gtab_reserve(fnli_gtab *t, fnli_mem *m, size_t names, size_t bytes);
/* FNLI_NONE when absent. */
uint32_t fnli_gtab_find(const fnli_gtab *t, const char *s, size_t n);
/* Find or add.  FNL_ENOMEM / FNL_ELIMIT; FNL_EINVAL for an empty name. */
int fnli_gtab_intern(fnli_gtab *t, fnli_mem *m, const char *s, size_t n,
                     uint32_t *id);
static inline const char *fnli_gtab_name(const fnli_gtab *t, uint32_t id)
{
    return t->text + t->off[id];
}

/* ---- a set of uint32 sequences (Markov states, Shapley coalitions) ------ */
typedef struct fnli_seqtab {
    uint32_t *ids;       /* all sequences, back to back */
    size_t ids_len, ids_cap;
    uint64_t *off;
    uint32_t *len;
    uint32_t *hash;
    size_t count, cap;
    uint32_t *slots;
    size_t nslots;
} fnli_seqtab;

void fnli_seqtab_free(fnli_seqtab *t, fnli_mem *m);
int fnli_seqtab_reserve(fnli_seqtab *t, fnli_mem *m, size_t seqs,
                        size_t ids);
/* Find or add (never allocates: reserve first).  Returns the index. */
uint32_t fnli_seqtab_put(fnli_seqtab *t, const uint32_t *s, uint32_t n);
uint32_t fnli_seqtab_find(const fnli_seqtab *t, const uint32_t *s,
                          uint32_t n);
static inline const uint32_t *fnli_seqtab_at(const fnli_seqtab *t,
                                             uint32_t i, uint32_t *n)
{
    *n = t->len[i];
    return t->ids + t->off[i];
}

/* ---- (from, to) -> count ----------------------------------------------- */
typedef struct fnli_pairtab {
    uint64_t *keys;      /* UINT64_MAX: empty */
    uint64_t *vals;
    size_t count;
    size_t nslots;       /* power of two */
} fnli_pairtab;

void fnli_pairtab_free(fnli_pairtab *t, fnli_mem *m);
int fnli_pairtab_reserve(fnli_pairtab *t, fnli_mem *m, size_t extra);
void fnli_pairtab_add(fnli_pairtab *t, uint64_t key, uint64_t v, int neg);

/* ---- one journey, as the engine hands it over --------------------------- */
typedef struct fnli_journey {
    const uint32_t *groups;   /* n group ids of the partial's table */
    const int64_t *times;     /* NULL, or n non-decreasing times (ms) */
    uint32_t n;               /* >= 1 */
    uint64_t conversions;
    uint64_t nulls;           /* non-converting paths it stands for */
    int64_t value;            /* integer units, >= 0; 0 unless conversions */
    int64_t conversion_time;  /* FNL_ATTR_TIME_UNSET: the last touch's */
    int32_t lead;             /* touch index or -1 */
    int32_t opportunity;
    int32_t close;
} fnli_journey;

#define FNLI_JOURNEY_INIT \
    { NULL, NULL, 0, 0, 0, 0, FNL_ATTR_TIME_UNSET, -1, -1, -1 }

/* ---- parameters shared by all models of one partial -------------------- */
typedef struct fnli_attr_params {
    uint32_t models;          /* bit set: FNL_ATTR_BIT(model) */
    uint32_t markov_order;    /* 1..4 */
    uint32_t shapley_value;   /* fnl_shapley_value */
    uint32_t value_decimals;  /* reported value = units / 10^d */
    int64_t half_life_ms;     /* > 0 */
    double custom[3];         /* first, middle, last; >= 0, sum > 0 */
    char direct[FNL_MAX_NAME + 1]; /* "" = none */
} fnli_attr_params;

/* Read a caller's options struct of any (older) size into *o: fields
 * beyond its size keep their defaults.  FNL_EINVAL for a bad size. */
int fnli_attr_copy_options(fnl_attribution_options *o,
                           const fnl_attribution_options *in);
/* Validate public options into params.  FNL_EINVAL on any bad field. */
int fnli_attr_params_from(fnli_attr_params *p,
                          const fnl_attribution_options *opts);

/* ---- Markov accumulators (markov.c) ------------------------------------ */
typedef struct fnli_markov {
    uint32_t order;
    fnli_seqtab states;       /* order > 1: tuple -> state - 1 */
    fnli_pairtab trans;       /* (from << 32 | to) -> count; state 0 start */
    uint64_t *dense;          /* order 1 with few groups: ddim x ddim counts
                                 used instead of trans (faster) */
    size_t ddim;
    int spilled;              /* too many groups: trans only from now on */
    size_t scap;              /* capacity of the per-state arrays */
    uint64_t *conv;           /* per state: conversions ending there */
    uint64_t *nulls;
    fnli_u128 *value;
    uint32_t *seq;            /* scratch: a journey's states */
    size_t seq_cap;
} fnli_markov;

/* ---- Shapley accumulators (shapley.c) ---------------------------------- */
typedef struct fnli_coal {
    fnli_seqtab tab;          /* coalition (set or sequence) -> index */
    size_t cap;
    uint64_t *conv;
    uint64_t *paths;
    fnli_u128 *value;
} fnli_coal;

/* ---- the partial -------------------------------------------------------- */
typedef struct fnli_attr {
    fnli_mem *mem;
    fnli_attr_params par;
    uint32_t direct;          /* group id of par.direct, or FNLI_NONE */
    fnli_gtab groups;
    size_t gcap;              /* capacity of the per-group arrays */
    uint64_t *touches;        /* per group: touches x (conversions+nulls) */
    fnli_u128 *credit[FNLI_MAX_MODELS]; /* heuristic model m: 2 per group:
                                           [2g] conv units, [2g+1] value */
    uint32_t *stamp;          /* per group scratch (distinct sets) */
    uint32_t epoch;
    double *w;                /* per-touch scratch */
    uint32_t *tmp;
    size_t scap;
    /* totals */
    uint64_t journeys;
    uint64_t conversions;
    uint64_t nulls;
    uint64_t touch_total;
    fnli_u128 value;
    fnli_markov mk;
    fnli_coal sets;           /* Shapley: distinct group sets */
    fnli_coal seqs;           /* ordered Shapley: first-occurrence orders */
} fnli_attr;

/* The public partial: a partial with its own allocator. */
struct fnl_attribution_partial {
    fnli_mem mem;
    fnli_attr a;
};

/* Start an empty partial using `mem` (borrowed: it must outlive p). */
int fnli_attr_init(fnli_attr *p, fnli_mem *mem, const fnli_attr_params *par);
void fnli_attr_free(fnli_attr *p);
/* The group id of a name (added when new). */
int fnli_attr_group(fnli_attr *p, const char *name, size_t len,
                    uint32_t *id);
/* Grow the per-group arrays (touches, wanted credits) to `need`. */
int fnli_attr_grow_groups(fnli_attr *p, size_t need);
/* Check a journey against the partial (ids, indices, limits, times). */
int fnli_attr_check(const fnli_attr *p, const fnli_journey *j);
/* Validate, reserve, apply.  Atomic. */
int fnli_attr_add(fnli_attr *p, const fnli_journey *j);
/* fnli_attr_add for a journey known to be valid (built by the library:
 * paths parser, engine): reserve only when needed, apply.  Atomic. */
int fnli_attr_add_trusted(fnli_attr *p, const fnli_journey *j);
/* The two halves of fnli_attr_add, for batches that roll back: reserve
 * may fail and changes nothing visible; apply never fails, and applying a
 * journey with neg = 1 undoes applying it with neg = 0. */
int fnli_attr_reserve(fnli_attr *p, const fnli_journey *j);
void fnli_attr_apply(fnli_attr *p, const fnli_journey *j, int neg);
/* Add everything of src into dst (names mapped).  Same parameters
 * required (FNL_EINVAL otherwise).  Atomic. */
int fnli_attr_merge(fnli_attr *dst, const fnli_attr *src);
/* An immutable result for one of the partial's models. */
int fnli_attr_finish(const fnli_attr *p, uint32_t model,
                     fnl_attribution **out);

/* ---- what finish hands to the model modules ---------------------------- */
typedef struct fnli_rows {
    size_t n;                 /* groups present (touches > 0), by name */
    uint32_t *order;          /* order[i]: group id of row i */
    uint32_t *rank;           /* rank[group id]: row, or FNLI_NONE */
    double *conv;             /* out: credited conversions per row */
    double *value;            /* out: credited value per row (units) */
    double *re;               /* out (Markov): removal effect */
    double *vre;              /* out (Markov): value removal effect */
    double *pos;              /* out (ordered Shapley): n x npos */
    uint32_t npos;
    double markov_p;          /* out: conversion probability from start */
    uint64_t markov_states;
    double total_conv;
    double total_value;       /* units */
} fnli_rows;

#define FNLI_MAX_POSITIONS 16

int fnli_markov_init(fnli_markov *mk, uint32_t order);
void fnli_markov_free(fnli_markov *mk, fnli_mem *m);
int fnli_markov_reserve(fnli_attr *p, const fnli_journey *j);
void fnli_markov_apply(fnli_attr *p, const fnli_journey *j, uint64_t w,
                       int neg);
int fnli_markov_merge(fnli_attr *dst, const fnli_attr *src,
                      const uint32_t *map, int dry);
int fnli_markov_finish(const fnli_attr *p, fnli_rows *rows);

void fnli_coal_free(fnli_coal *c, fnli_mem *m);
int fnli_shapley_reserve(fnli_attr *p, const fnli_journey *j);
void fnli_shapley_apply(fnli_attr *p, const fnli_journey *j, uint64_t w,
                        int neg);
int fnli_shapley_merge(fnli_attr *dst, const fnli_attr *src,
                       const uint32_t *map, int dry);
int fnli_shapley_finish(const fnli_attr *p, int ordered, fnli_rows *rows);

/* Grow the per-entry arrays of a coalition table to `need`. */
int fnli_coal_grow(fnli_coal *c, fnli_mem *m, size_t need);

/* Grow k (<= 16) parallel arrays of element sizes elem[] from *cap to at
 * least `need` elements, all or nothing; new elements are zeroed. */
int fnli_grow_parallel(fnli_mem *m, void **const arrs[], const size_t *elem,
                       int k, size_t *cap, size_t need);
/* Whether s[0..n) is valid UTF-8 (no overlongs, no surrogates). */
int fnli_attr_utf8_ok(const char *s, size_t n);
/* Hash of a uint32 sequence. */
uint32_t fnli_attr_hash_seq(const uint32_t *s, uint32_t n);

/* ---- journeys container (public fnl_journeys) -------------------------- */
struct fnl_journeys {
    fnli_mem mem;
    fnli_gtab groups;
    uint32_t value_decimals;
    size_t n, cap;
    uint64_t *start;          /* first touch */
    uint32_t *len;
    uint64_t *conv;
    uint64_t *nulls;
    int64_t *value;
    uint8_t *flags;           /* FNLI_J_TIMES, FNLI_J_EXTRA */
    int64_t *ctime;           /* NULL until a journey has extras */
    int32_t *marks;           /* 3 per journey, NULL likewise */
    size_t ecap;              /* capacity of ctime/marks */
    size_t nt, tcap;
    uint32_t *touch;          /* group ids */
    int64_t *times;           /* NULL until a journey has times */
    size_t timecap;
    size_t maxlen;            /* longest journey */
    size_t untimed;           /* weighted journeys without times */
};

#define FNLI_J_TIMES 1u
#define FNLI_J_EXTRA 2u

/* Append a journey whose groups are ids of j->groups (already interned).
 * Atomic. */
int fnli_journeys_push(fnl_journeys *js, const fnli_journey *j);
/* Allocate an empty set's arrays for exactly `rows` journeys and `touches`
 * touches (a reader that counted them first; pushes past them grow as
 * usual).  Not written, so the part never used costs no page.  A set that
 * has arrays already is left alone.  FNL_ENOMEM with nothing changed. */
int fnli_journeys_presize(fnl_journeys *js, size_t rows, size_t touches);
/* Journey i as a view (groups/times point into the container). */
void fnli_journeys_view(const fnl_journeys *js, size_t i, fnli_journey *out);
int fnli_journeys_new(fnl_journeys **out, const fnl_allocator *a,
                      uint32_t value_decimals);

/* ---- paths CSV (paths.c) ------------------------------------------------ */
int fnli_paths_parse(fnl_journeys *js, const char *buf, size_t len,
                     const fnl_paths_options *opts, fnl_paths_error *err);
/* The same, every row straight into a partial (its groups, its
 * value_decimals); rows applied before an error stay applied. */
int fnli_paths_parse_into(fnli_attr *a, const char *buf, size_t len,
                          const fnl_paths_options *opts,
                          fnl_paths_error *err);

#endif
