/* score_engine.h -- scoring models attached to an engine (score_engine.c). */
#ifndef FNL_SCORE_ENGINE_H
#define FNL_SCORE_ENGINE_H

#include "engine.h"

struct fnli_attached;

void fnli_scores_free(fnl_engine *e);
/* Room for `contacts` new contacts, `classes` new touch classes and
 * `dirty` contacts a call may mark dirty. */
int fnli_scores_reserve(fnl_engine *e, size_t contacts, size_t classes,
                        size_t dirty);
/* apply hooks: infallible */
void fnli_scores_new_contact(fnl_engine *e, uint32_t c);
void fnli_scores_on_touch(fnl_engine *e, uint32_t c, uint32_t t);
void fnli_scores_dirty(fnl_engine *e, uint32_t c);
/* after apply: recompute the contacts this call made dirty (fallible,
 * harmless: what stays dirty is recomputed when read) */
void fnli_scores_settle(fnl_engine *e);
int fnli_scores_settle_one(const fnl_engine *e, uint32_t c);
/* Start loading what reading contact c's scores will touch (a hint). */
void fnli_scores_prefetch(const fnl_engine *e, uint32_t c);
/* the score of contact c under attached model i at t (stage machines) */
/* The key events of model i that touch t of contact c stands for: those
 * whose touch condition t's class matches and that have fired for c. */
uint64_t fnli_scores_touch_events(fnl_engine *e, size_t i, uint32_t c,
                                  uint32_t t);
const fnl_model *fnli_scores_result(const fnl_engine *e, size_t i, uint32_t c,
                                    int64_t t, fnl_score_result *r);
/* snapshots */
size_t fnli_scores_count(const fnl_engine *e);
const fnl_model *fnli_scores_model(const fnl_engine *e, size_t i);
int fnli_scores_load(fnl_engine *e, fnli_sv text);

#endif
