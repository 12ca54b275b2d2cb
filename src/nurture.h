/* nurture.h -- nurture / automation steps: "on a trigger, after a delay,
 * unless a stop condition holds by then, notify the host".
 *
 * A triggered step becomes a pending timer (timerq.h, kind
 * FNLI_TIMER_STEP): a 48-byte POD with the contact, the step index (arg),
 * the trigger time (origin) and the due time = origin + after.  The
 * engine persists pending steps as those records (they are not derivable
 * from the stage state) and restores them with fnli_timerq_restore(), so
 * they survive a restart.  When its clock passes a step's due time
 * (inclusive) it pops the step -- exactly once, since popping removes it
 * -- and asks fnli_nurture_due() whether to fire it or whether its stop
 * condition (`unless`, evaluated on the contact as it is at that moment)
 * cancels it.
 *
 * Each trigger schedules one occurrence: two trial-request forms a minute
 * apart give two notifications (write `unless` to suppress repeats).
 * Matrix: a step's `when` may test the stage, the contact's source channel
 * and the touch's channel / type / campaign, so one line per combination
 * gives a matrix of steps. */
#ifndef FNL_NURTURE_H
#define FNL_NURTURE_H

#include <stddef.h>
#include <stdint.h>
#include "stage.h"

/* Append to res->steps the steps the input triggers (EVENT, KEY_EVENT,
 * TOUCH steps; ENTER steps are scheduled by the stage evaluation), with
 * `when` evaluated on the state after the transitions, due at t + after.
 * FNL_ERANGE when res->steps is full. */
int fnli_nurture_on_input(const fnli_cond_ctx *c, int64_t t,
                          fnli_stage_result *res);

/* Append the steps of entering `stage` at time t. */
int fnli_nurture_on_enter(const fnli_cond_ctx *c, uint16_t stage, int64_t t,
                          fnli_stage_result *res);

/* What the engine tells the host when a step fires. */
typedef struct fnli_step_fire {
    uint64_t contact;
    uint32_t step;        /* index in the machine */
    const char *name;     /* borrowed from the machine */
    const char *action;
    int64_t due;          /* the time it fired at */
    int64_t origin;       /* when it was triggered */
} fnli_step_fire;

/* A popped step timer: 1 (fire) with *out filled, 0 when its stop
 * condition holds for the contact now (c->st and c->in describe the
 * contact at the due time; in may have kind FNLI_TRIG_TIMER).  FNL_EINVAL
 * for a timer that is not a step of this machine. */
int fnli_nurture_due(const fnli_cond_ctx *c, const fnli_timer *t,
                     fnli_step_fire *out);

#endif
