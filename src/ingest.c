/* ingest.c -- the mutation road shared by live calls and replay:
 * need -> reserve -> (encode -> append) -> apply.  See store.h. */
#include "owner.h"
#include "stage_engine.h"
#include "store.h"

static const fnli_opdef *op_for(unsigned kind)
{
    switch (kind) {
    case REC_CONTACT: return &fnli_op_contact;
    case REC_TOUCHES: return &fnli_op_touches;
    case REC_ACCOUNT: return &fnli_op_account;
    case REC_DEAL: return &fnli_op_deal;
    case REC_COST: return &fnli_op_cost;
    case REC_FORGET: return &fnli_op_forget;
    case REC_MODEL: return &fnli_op_model;
    case REC_MACHINE: return &fnli_op_machine;
    case REC_EVENT: return &fnli_op_event;
    case REC_TICK: return &fnli_op_tick;
    case REC_OWNER: return &fnli_op_owner;
    default: return NULL;
    }
}

/* Record header: kind, format version, the precedence the mutation was
 * applied under (so a replay applies it the same way even if the host's
 * configuration has changed since). */
static int append_record(fnl_engine *e, const fnli_opdef *op, const void *r)
{
    int rc;
    fnli_w_reset(&e->rec);
    fnli_w_u8(&e->rec, op->kind);
    fnli_w_u8(&e->rec, REC_VERSION);
    fnli_w_u8(&e->rec, e->cur_prec);
    op->encode(&e->rec, r);
    if (e->rec.failed)
        return fnli_fail(e, FNL_ENOMEM, "allocation failed (journal record)");
    rc = e->storage->append(e->storage->ctx, e->seq + 1, e->rec.p, e->rec.n);
    if (rc != FNL_OK)
        return fnli_fail(e, rc == FNL_ENOMEM ? FNL_ENOMEM : FNL_EIO,
                         "storage refused journal record %llu (%s)",
                         (unsigned long long)e->seq + 1, fnl_strerror(rc));
    e->seq++;
    return FNL_OK;
}

int fnli_commit(fnl_engine *e, const fnli_opdef *op, void *r)
{
    fnli_need need;
    int rc;
    memset(&need, 0, sizeof(need));
    op->need(e, r, &need);
    if ((rc = fnli_reserve(e, &need)) != FNL_OK)
        return rc;
    if (e->storage != NULL && !e->replaying &&
        (rc = append_record(e, op, r)) != FNL_OK)
        return rc;
    op->apply(e, r);
    /* Live, a stage evaluation that cannot get memory is left queued and
     * completed by the next call (the record is journaled: the call has
     * happened); a replay must compute everything now. */
    if (e->stages != NULL && (rc = fnli_stages_settle(e)) != FNL_OK &&
        e->replaying)
        return rc;
    return FNL_OK;
}

int fnli_replay_record(fnl_engine *e, const void *rec, size_t len)
{
    fnli_rbuf rb;
    const fnli_opdef *op;
    unsigned kind, version, prec;
    /* the largest resolved form (fnli_rcontact and friends) */
    union {
        fnli_rcontact c;
        unsigned char any[512];
    } r;
    int rc;
    fnli_r_init(&rb, rec, len);
    kind = fnli_r_u8(&rb);
    version = fnli_r_u8(&rb);
    prec = fnli_r_u8(&rb);
    if (rb.bad)
        return fnli_fail(e, FNL_ECORRUPT, "journal record: truncated header");
    if (version > REC_VERSION)
        return fnli_fail(e, FNL_EVERSION,
                         "journal record version %u is newer than this "
                         "library's %u", version, (unsigned)REC_VERSION);
    op = op_for(kind);
    if (op == NULL || prec > FNL_PRECEDENCE_SOURCE)
        return fnli_fail(e, FNL_ECORRUPT, "journal record: unknown kind %u",
                         kind);
    memset(&r, 0, sizeof(r));
    rc = op->decode(e, &rb, &r);
    if (rc == FNL_OK && (rb.bad || rb.off != rb.n))
        rc = FNL_ECORRUPT;
    if (rc != FNL_OK && op->done != NULL)
        op->done(e, &r);
    if (rc != FNL_OK)
        return rc == FNL_ECORRUPT
                   ? fnli_fail(e, rc, "journal record of kind %u is malformed",
                               kind)
                   : fnli_fail(e, rc, "replaying a journal record: %s",
                               fnl_strerror(rc));
    e->cur_prec = (uint8_t)prec;
    rc = fnli_commit(e, op, &r);
    e->cur_prec = (uint8_t)e->precedence;
    if (op->done != NULL)
        op->done(e, &r);
    /* replays do not settle per record: what a record made dirty is
     * recomputed at the end of recovery or when read */
    return rc;
}
