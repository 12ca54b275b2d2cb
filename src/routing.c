/* routing.c -- owner assignment rules, round-robin and least-loaded groups,
 * and the routing state the engine keeps. */
#include <string.h>
#include "routing.h"

size_t fnli_routing_state_size(const fnl_machine *m)
{
    return sizeof(fnli_routing_state) +
           (m->ngroups + m->nowners + 1) * sizeof(uint32_t);
}

void fnli_routing_state_init(const fnl_machine *m, fnli_routing_state *rs)
{
    memset(rs, 0, fnli_routing_state_size(m));
    rs->ngroups = (uint32_t)m->ngroups;
    rs->nowners = (uint32_t)m->nowners;
}

int fnli_routing_state_valid(const fnl_machine *m,
                             const fnli_routing_state *rs)
{
    return rs->ngroups == m->ngroups && rs->nowners == m->nowners;
}

uint32_t fnli_routing_cursor(const fnli_routing_state *rs, uint32_t group)
{
    return rs != NULL && group < rs->ngroups ? rs->words[group] : 0;
}

uint32_t fnli_routing_open(const fnli_routing_state *rs, uint32_t owner)
{
    return rs != NULL && owner <= rs->nowners ? rs->words[rs->ngroups + owner]
                                              : 0;
}

static uint32_t cursor_of(const fnli_routing_state *rs,
                          const fnli_route_overlay *ov, uint32_t g)
{
    uint32_t i;
    for (i = ov->n; i-- > 0;)
        if (ov->cur[i].group == g)
            return ov->cur[i].cursor;
    return fnli_routing_cursor(rs, g);
}

/* Choose a member of group g; FNLI_OWNER_NONE when every member is
 * excluded. */
static uint32_t pick_member(const fnl_machine *m, const fnli_routing_state *rs,
                            const fnli_route_overlay *ov, uint32_t g, int mode,
                            uint32_t exclude)
{
    const fnli_mgroup *grp = &m->groups[g];
    uint32_t start = cursor_of(rs, ov, g) % grp->count, i, best = 0;
    uint32_t best_load = UINT32_MAX;
    for (i = 0; i < grp->count; i++) {
        uint32_t owner = m->members[grp->first + (start + i) % grp->count];
        uint32_t load;
        if (owner == exclude)
            continue;
        if (mode == FNL_ROUTE_ROUND_ROBIN)
            return owner;
        load = fnli_routing_open(rs, owner);
        if (load < best_load) {  /* ties: the first in rotation order */
            best_load = load;
            best = owner;
        }
    }
    return best;
}

int fnli_route_pick_owner(const fnli_cond_ctx *c, uint16_t stage,
                          uint32_t exclude, fnli_route_overlay *ov,
                          fnli_route_pick *out)
{
    const fnl_machine *m = c->m;
    const fnli_mstage *s = &m->stages[stage];
    const fnli_routing_state *rs = c->in->routing;
    uint32_t k;
    if (s->rcount == 0)
        return 0;
    for (k = 0; k < s->rcount; k++) {
        uint32_t ri = m->rorder[s->rfirst + k], owner = FNLI_OWNER_NONE;
        const fnli_mroute *r = &m->routes[ri];
        const char *acct;
        out->group = 0;
        switch (r->target) {
        case FNL_ROUTE_OWNER:
        case FNL_ROUTE_QUEUE:
            owner = r->ref;
            break;
        case FNL_ROUTE_GROUP:
            owner = pick_member(m, rs, ov, r->ref, r->mode, exclude);
            out->group = r->ref + 1;
            break;
        case FNL_ROUTE_ACCOUNT_OWNER:
            acct = fnli_in(c->in, FNLI_IN_ACCOUNT_OWNER)->account_owner;
            if (acct != NULL && acct[0] != '\0') {
                owner = fnli_machine_owner_find(m, acct, strlen(acct));
                if (owner == 0)
                    owner = FNLI_OWNER_ACCOUNT;
            }
            break;
        default:
            break;
        }
        if (owner == FNLI_OWNER_NONE || owner == exclude)
            continue;
        if (!fnli_cond_eval(c, r->when))
            continue;
        out->owner = owner;
        out->rule = (uint16_t)ri;
        if (out->group != 0 && ov->n < sizeof(ov->cur) / sizeof(ov->cur[0])) {
            const fnli_mgroup *grp = &m->groups[out->group - 1];
            uint32_t i;
            for (i = 0; i < grp->count; i++)
                if (m->members[grp->first + i] == owner)
                    break;
            ov->cur[ov->n].group = out->group - 1;
            ov->cur[ov->n].cursor = i + 1;
            ov->n++;
        }
        return 1;
    }
    if (m->fallback != 0 && m->fallback != exclude) {
        out->owner = m->fallback;
        out->rule = FNLI_NO_RULE;
        out->group = 0;
        return 1;
    }
    return -1;
}

void fnli_routing_apply_recs(const fnl_machine *m, fnli_routing_state *rs,
                             const fnli_stage_rec *recs, size_t n)
{
    size_t k;
    for (k = 0; k < n; k++) {
        const fnli_mgroup *grp;
        uint32_t i, g;
        if (recs[k].kind != FNLI_REC_ASSIGN || recs[k].arg == 0)
            continue;
        g = recs[k].arg - 1;
        if (g >= rs->ngroups || g >= m->ngroups)
            continue;
        grp = &m->groups[g];
        for (i = 0; i < grp->count; i++)
            if (m->members[grp->first + i] == recs[k].owner)
                break;
        rs->words[g] = i + 1;
    }
}

static int is_open(const fnl_machine *m, const fnli_stage_state *st)
{
    return st != NULL && (st->flags & FNLI_ST_STARTED) &&
           st->stage < m->nstages &&
           !(m->stages[st->stage].flags & FNL_STAGE_CLOSED) &&
           st->owner >= 1 && st->owner <= m->nowners;
}

void fnli_routing_track(const fnl_machine *m, fnli_routing_state *rs,
                        const fnli_stage_state *before,
                        const fnli_stage_state *after)
{
    uint32_t *open;
    if (rs == NULL || !fnli_routing_state_valid(m, rs))
        return;
    open = rs->words + rs->ngroups;
    if (is_open(m, before) && open[before->owner] > 0)
        open[before->owner]--;
    if (is_open(m, after))
        open[after->owner]++;
}
