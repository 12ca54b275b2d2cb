/* sla.h -- service levels of a stage: deadlines (optionally in working
 * hours), what meets them, and breach accounting.
 *
 * An SLA of stage S starts when a contact enters S (or is re-routed by a
 * breach of S's SLAs) at time b.  Its deadline is b + within, or, with a
 * calendar, the instant at which `within` of working time has passed
 * (fnli_calendar_add); a `d` duration under a calendar means that many
 * working days (each the calendar's window long).  It is met by an action
 * at a time t < deadline; at t >= deadline it has been breached (the
 * deadline is inclusive: the breach is due at the deadline itself).
 * Leaving the stage ends its SLAs without a breach. */
#ifndef FNL_SLA_H
#define FNL_SLA_H

#include <stddef.h>
#include <stdint.h>
#include "stage.h"

/* The deadline of SLA s for clocks started at base. */
int64_t fnli_sla_deadline(const fnli_msla *s, int64_t base);

/* How far the input advances SLA s (of the contact's current stage, whose
 * owner is now `owner`): 1 for a matching host event (ACCEPT / EVENT) or a
 * matching touch (TOUCH: filters, and made by `owner` when required),
 * else 0. */
int fnli_sla_progress(const fnl_machine *m, const fnli_msla *s,
                      const fnli_stage_input *in, uint32_t owner);

/* Count breach records per owner: counts[owner] for owner indices
 * 0..nowners (0: unowned) and counts[nowners + 1] for owners the machine
 * does not list (account owners, host-set owners); counts has
 * nowners + 2 entries, which are added to. */
void fnli_sla_breach_counts(const fnl_machine *m, const fnli_stage_rec *recs,
                            size_t n, uint64_t *counts);

#endif
