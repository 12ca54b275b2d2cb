/* stage_engine.h -- a lifecycle stage machine attached to an engine
 * (stage_engine.c): per-contact stage states, history records, the timer
 * queue and routing state, host events, ticks, snapshots. */
#ifndef FNL_STAGE_ENGINE_H
#define FNL_STAGE_ENGINE_H

#include "stage.h"
#include "store.h"

struct fnli_stages;

void fnli_stages_free(fnl_engine *e);
/* Room for what the post-apply settle step of a mutation needing n may
 * do (state slots, pending evaluations).  Called by fnli_reserve. */
int fnli_stages_reserve(fnl_engine *e, const fnli_need *n);

/* apply hooks (infallible): they queue evaluations for the settle step */
void fnli_stages_new_contact(fnl_engine *e, uint32_t c, int64_t time);
void fnli_stages_on_touch(fnl_engine *e, uint32_t c, uint32_t t);
void fnli_stages_on_profile(fnl_engine *e, uint32_t c, int64_t time);
void fnli_stages_on_merge(fnl_engine *e, uint32_t w, uint32_t l,
                          int64_t time);
void fnli_stages_forget(fnl_engine *e, uint32_t c);
/* Deal d was upserted; `was` is its status before (FNLI_DEAL_NEW: it is
 * new) and `had` its number of contacts before (new ones are appended).
 * Its contacts get the host events opportunity_created, deal_won,
 * deal_lost the change implies. */
#define FNLI_DEAL_NEW 0xFFu
void fnli_stages_on_deal(fnl_engine *e, uint32_t d, uint32_t was,
                         uint32_t had);

/* After apply (live and replay alike, from fnli_commit): evaluate what
 * the hooks queued, in order.  FNL_ENOMEM stops at the evaluation that
 * could not get memory and keeps it and the rest queued: the record is
 * already journaled, so a live engine completes them at the start of its
 * next mutating call (fnli_begin), before anything else changes, which
 * gives what a replay computes; a replay fails instead. */
int fnli_stages_settle(fnl_engine *e);
/* 1 when evaluations are queued (left by an allocation failure). */
int fnli_stages_pending(const fnl_engine *e);

/* snapshots: the whole stage state as one byte stream (empty: none) */
int fnli_stages_save(const fnl_engine *e, fnli_wbuf *w);
int fnli_stages_load(fnl_engine *e, const void *p, size_t n);
/* mark the string ids the stage state refers to (mark has n entries) */
void fnli_stages_mark(const fnl_engine *e, unsigned char *mark, size_t n);

/* ---- read-only access for reports and attribution ----------------------
 * Valid until the next mutating call.  Contacts merged away keep their
 * own state and history (their records happened to the same person:
 * readers fold them into fnli_find(c)'s). */

/* The attached machine, NULL when none. */
const fnl_machine *fnli_stages_machine(const fnl_engine *e);
/* Contact c's stage state; NULL when it has none (no machine, never
 * started, out of range). */
const fnli_stage_state *fnli_stages_state(const fnl_engine *e, uint32_t c);
/* The oldest history record of c, NULL when none; fnli_stages_next() gives
 * the record after `r` (NULL at the end).  Oldest first. */
const fnli_stage_rec *fnli_stages_first(const fnl_engine *e, uint32_t c);
const fnli_stage_rec *fnli_stages_next(const fnl_engine *e,
                                       const fnli_stage_rec *r);
/* Contact c's first touch (the earliest, then the first to arrive), 0
 * when none: the cache that gives the guards `source_channel`. */
uint32_t fnli_stages_first_touch(const fnl_engine *e, uint32_t c);
/* The name of an owner value of contact c's state or records (NULL: none). */
const char *fnli_stages_owner(const fnl_engine *e, uint32_t c,
                              uint32_t owner);

extern const fnli_opdef fnli_op_machine;
extern const fnli_opdef fnli_op_event;
extern const fnli_opdef fnli_op_tick;

#endif
