/* scoring.h -- the lead-scoring interface for the engine.
 *
 * A compiled model (fnl_model, immutable) scores contacts whose scoring
 * state the engine keeps: one fixed-size, plain-old-data block per contact
 * and model, fnli_model_state_size(model) bytes, 8-byte aligned.  It holds
 * no pointers, so the engine may keep it in a pool, copy it with memcpy
 * and persist it as bytes (on this machine's byte order and double format;
 * the header's model fingerprint tells a state from another model apart).
 *
 * Layout of a state (all offsets multiples of 8):
 *
 *   0   fnli_score_hdr            56 bytes, below
 *   56  one double per capped engagement rule: the rule's value in
 *       anchored units (see decay below)
 *   ..  one ring per windowed engagement rule: int64 times[N], then
 *       uint32 pos, uint32 used (8N + 8 bytes): the times of the last N
 *       counted occurrences (N = the rule's per_window count)
 *   ..  one ring per key event: int64 last_fire, int64 times[N], uint32
 *       pos, uint32 used (8N + 16 bytes): the last N matching touch times
 *
 * so the state is bounded by the model: 56 + 8 * capped rules + the rings
 * (at most FNL_MODEL_MAX_WINDOW entries each; a model whose state exceeds
 * 64 KiB is refused at compile time).  A typical 30-rule model with two
 * windows of 3 and two key events of 3 and 1 is about 220 bytes.
 *
 * Decay is exact and costs O(1) per touch: engagement is stored in
 * "anchored units" relative to the state's anchor time A, a point earned
 * at time t is stored as p * 2^((t - A)/h), and the value read at time t is
 * (stored sum) * 2^(-(t - A)/h).  When t - A would exceed 64 half-lives
 * the state is re-anchored at t (every stored value scaled once), so no
 * exponent overflows.  Without decay (h = 0) the factor is 1.
 *
 * Order.  Caps, windows and key events are defined over the contact's
 * touches in TIME order (ties: arrival order, as the engine's timelines
 * keep them).  A touch no earlier than the latest matching touch the
 * state has seen is applied in O(1); an earlier one that matches a rule or
 * key event cannot be, and fnli_score_touch() says so without changing
 * the state: the engine then calls fnli_score_recompute() with the
 * contact's whole timeline (the new touch included).  Either way the
 * state equals, bit for bit, the state of replaying the sorted timeline.
 *
 * Typical engine loop:
 *   class first seen:   fnli_model_match_class() -> cache the 16-byte
 *                       fnli_class_match per (model, class)
 *   touch arrives:      fnli_score_touch(); on FNLI_SCORE_RECOMPUTE,
 *                       fnli_score_recompute(sorted timeline)
 *   profile changes:    fnli_score_profile()
 *   merge / new model:  fnli_score_state_init(), fnli_score_profile(),
 *                       fnli_score_recompute()
 *   read:               fnli_score_at()
 */
#ifndef FNL_SCORING_H
#define FNL_SCORING_H

#include <stddef.h>
#include <stdint.h>
#include "funnelcore.h"
#include "funnelcore.h"

/* The header at the start of every state. */
typedef struct fnli_score_hdr {
    uint64_t model;     /* the model's fingerprint */
    int64_t anchor;     /* A: time of the anchored units; INT64_MIN: none */
    int64_t last;       /* latest matching touch applied; INT64_MIN: none */
    double fit;         /* from the last fnli_score_profile() */
    double eng;         /* uncapped engagement, anchored units */
    uint64_t fired;     /* bit i: key event i has fired */
    uint32_t firings;   /* firings so far (saturating) */
    uint32_t flags;     /* reserved, 0 */
} fnli_score_hdr;

/* A state is this header followed by the model's variable part. */
typedef struct fnli_score_state {
    fnli_score_hdr h;
} fnli_score_state;

/* Bytes of one contact's state under this model (a multiple of 8). */
size_t fnli_model_state_size(const fnl_model *m);

/* Reset a state (state_size bytes) to "no profile, no touches". */
void fnli_score_state_init(const fnl_model *m, fnli_score_state *st);

/* 1 if the state was made by this model (its fingerprint matches), else
 * 0: a persisted state from another model must be rebuilt. */
int fnli_score_state_valid(const fnl_model *m, const fnli_score_state *st);

/* The strings of a touch class, indexed in the order of engine.h's TF_*:
 * 0 type, 1 channel, 2 campaign, 3 content, 4 utm_source, 5 utm_medium,
 * 6 utm_campaign, 7 utm_term, 8 utm_content.  p NULL or n 0: absent.
 * Matching ignores ASCII case. */
typedef struct fnli_class_fields {
    const char *p[9];
    size_t n[9];
} fnli_class_fields;

/* Which engagement rules and key events a touch class matches (bit i:
 * rule / event i), by every condition except those on "value", which
 * fnli_score_touch() checks per touch.  Cannot fail. */
typedef struct fnli_class_match {
    uint64_t engage;
    uint64_t events;
} fnli_class_match;

void fnli_model_match_class(const fnl_model *m, const fnli_class_fields *f,
                            fnli_class_match *out);

/* One touch as scoring sees it: 32 bytes. */
typedef struct fnli_score_tv {
    int64_t time;
    int64_t value;
    uint64_t engage;    /* from the class's fnli_class_match */
    uint64_t events;
} fnli_score_tv;

/* fnli_score_touch() result: the touch is earlier than the latest
 * matching touch applied; the state was left as it was. */
#define FNLI_SCORE_RECOMPUTE 1

/* Apply one touch.  FNL_OK: applied (or it matches nothing); *fired
 * (may be NULL) receives the key events it fired (bit i: event i).
 * FNLI_SCORE_RECOMPUTE: nothing changed; recompute from the timeline.
 * Cannot fail otherwise. */
int fnli_score_touch(const fnl_model *m, fnli_score_state *st,
                     const fnli_score_tv *t, uint64_t *fired);

/* Called by fnli_score_recompute() for every key-event firing of the
 * timeline, in time order. */
typedef void (*fnli_fire_fn)(void *ctx, uint32_t event, int64_t time);

/* Rebuild the engagement part of a state from the contact's touches
 * sorted by time (ties in arrival order); the fit part is kept.  fire may
 * be NULL.  FNL_EINVAL (state unchanged) if the array is not sorted. */
int fnli_score_recompute(const fnl_model *m, fnli_score_state *st,
                         const fnli_score_tv *sorted, size_t n,
                         fnli_fire_fn fire, void *ctx);

/* Host free-mail test for FNL_MATCH_FREEMAIL: 1 if domain[0..n) is
 * free-mail.  NULL: the built-in list only. */
typedef int (*fnli_freemail_fn)(void *ctx, const char *domain, size_t n);

/* Recompute the fit part from profile attributes (names folded; when a
 * name repeats, the first wins).  Cannot fail. */
void fnli_score_profile(const fnl_model *m, fnli_score_state *st,
                        const fnl_attr *attrs, size_t n,
                        fnli_freemail_fn freemail, void *ctx);

/* Whether fit rule i matches a profile (for explanations). */
int fnli_fit_rule_matches(const fnl_model *m, size_t i, const fnl_attr *attrs,
                          size_t n, fnli_freemail_fn freemail, void *ctx);

/* The fit points of a profile, without a state. */
double fnli_model_fit(const fnl_model *m, const fnl_attr *attrs, size_t n,
                      fnli_freemail_fn freemail, void *ctx);

/* Read the score at time t into *out (whose size the caller set).  A t
 * earlier than the latest touch applied reads at that touch's time (a
 * state cannot forget touches; use fnl_model_score() for the past). */
void fnli_score_at(const fnl_model *m, const fnli_score_state *st, int64_t t,
                   fnl_score_result *out);

/* Per-rule detail of a replay, for explanations (score_eval.c). */
typedef struct fnli_score_detail {
    uint64_t *matched;  /* per engage rule, then per key event */
    uint64_t *counted;
    double *raw;
    double *anchored;   /* value in anchored units */
} fnli_score_detail;

/* The replay behind fnli_score_recompute(), with optional detail (arrays
 * of neng + nev entries, zeroed by the caller). */
void fnli_score_replay(const fnl_model *m, fnli_score_state *st,
                       const fnli_score_tv *sorted, size_t n,
                       fnli_fire_fn fire, void *ctx, fnli_score_detail *d);

/* The decay factor 2^(-(t - anchor)/h) of a state (1 without decay). */
double fnli_score_factor(const fnl_model *m, const fnli_score_state *st,
                         int64_t t);

#endif
