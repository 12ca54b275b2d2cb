/* sla.c -- SLA deadlines and progress. */
#include "sla.h"

int64_t fnli_sla_deadline(const fnli_msla *s, int64_t base)
{
    int64_t work = s->within;
    if (s->cal.days == 0)
        return fnli_calendar_add(NULL, base, work);
    if (s->days)
        work = (s->within / FNLI_DAY_MS) * fnli_calendar_day_ms(&s->cal);
    return fnli_calendar_add(&s->cal, base, work);
}

int fnli_sla_progress(const fnl_machine *m, const fnli_msla *s,
                      const fnli_stage_input *in, uint32_t owner)
{
    switch (s->kind) {
    case FNL_SLA_ACCEPT:
    case FNL_SLA_EVENT:
        return in->kind == FNLI_TRIG_EVENT && fnli_mstr_eq(m, s->event, in->event);
    case FNL_SLA_TOUCH:
        if (s->by_owner && !fnli_in_by_owner(in, owner))
            return 0;
        return fnli_tfilter_match(m, &s->touch, in);
    default:
        return 0;
    }
}

void fnli_sla_breach_counts(const fnl_machine *m, const fnli_stage_rec *recs,
                            size_t n, uint64_t *counts)
{
    size_t k;
    for (k = 0; k < n; k++) {
        uint32_t o;
        if (recs[k].kind != FNLI_REC_BREACH)
            continue;
        o = recs[k].owner;
        counts[o <= m->nowners ? o : m->nowners + 1]++;
    }
}
