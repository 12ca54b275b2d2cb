/* routing.h -- owner assignment on entering a stage: ordered rules per
 * stage (owner, group, account owner, queue) with conditions, round-robin
 * or least-loaded choice inside a group, and a fallback queue.
 *
 * The routing state is engine state: a small POD the engine allocates
 * (fnli_routing_state_size bytes), keeps with the machine, persists as
 * bytes and never needs to journal separately, because it is a pure
 * function of the records applied (fnli_stage_apply updates it).
 *
 * Layout (all uint32_t): ngroups, nowners, then one round-robin cursor per
 * group (the position after the last member chosen), then one open-lead
 * count per owner index 0..nowners (index 0, "no owner", stays 0).  A lead
 * is open for its owner while it is in a stage not marked `closed`. */
#ifndef FNL_ROUTING_H
#define FNL_ROUTING_H

#include <stddef.h>
#include <stdint.h>
#include "stage.h"

struct fnli_routing_state {
    uint32_t ngroups;
    uint32_t nowners;
    uint32_t words[];     /* cursors[ngroups], open[nowners + 1] */
};

size_t fnli_routing_state_size(const fnl_machine *m);
/* Zero cursors and counts for machine m (rs has the size above). */
void fnli_routing_state_init(const fnl_machine *m, fnli_routing_state *rs);
/* 1 if rs was made for m's shape (after loading it from storage). */
int fnli_routing_state_valid(const fnl_machine *m,
                             const fnli_routing_state *rs);

uint32_t fnli_routing_cursor(const fnli_routing_state *rs, uint32_t group);
uint32_t fnli_routing_open(const fnli_routing_state *rs, uint32_t owner);

/* Changes made earlier in the same evaluation, seen by later picks. */
typedef struct fnli_route_overlay {
    uint32_t n;
    struct {
        uint32_t group;
        uint32_t cursor;
    } cur[FNLI_STAGE_MAX_CHAIN + 1];
} fnli_route_overlay;

typedef struct fnli_route_pick {
    uint32_t owner;       /* FNLI_OWNER_*, or an owner index */
    uint16_t rule;        /* route index, FNLI_NO_RULE: the fallback */
    uint32_t group;       /* group index + 1, 0: none */
} fnli_route_pick;

/* Pick an owner for a contact entering `stage` (its rules in order, then
 * the fallback queue), skipping `exclude` (the current owner, for an SLA
 * re-route; FNLI_OWNER_NONE: nothing excluded).  Returns 0 when the stage
 * has no rules (the owner stays), 1 with *out filled, or -1 when it has
 * rules but nothing could be chosen (no fallback): the owner stays. */
int fnli_route_pick_owner(const fnli_cond_ctx *c, uint16_t stage,
                          uint32_t exclude, fnli_route_overlay *ov,
                          fnli_route_pick *out);

/* Advance the cursors for the assignment records among recs. */
void fnli_routing_apply_recs(const fnl_machine *m, fnli_routing_state *rs,
                             const fnli_stage_rec *recs, size_t n);

/* Move one open lead from the owner of `before` to the owner of `after`
 * (either may be NULL: a contact created / merged away or forgotten). */
void fnli_routing_track(const fnl_machine *m, fnli_routing_state *rs,
                        const fnli_stage_state *before,
                        const fnli_stage_state *after);

#endif
