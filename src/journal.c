/* journal.c -- the engine's side of persistence: recovery when it opens
 * (snapshot, then the journal after it), checkpoints and syncs. */
#include <stdio.h>
#include "score_engine.h"
#include "store.h"

static int replay_one(void *arg, uint64_t seq, const void *rec, size_t len)
{
    fnl_engine *e = arg;
    int rc;
    if (seq != e->seq + 1)
        return fnli_fail(e, FNL_ECORRUPT,
                         "journal skips from record %llu to %llu",
                         (unsigned long long)e->seq, (unsigned long long)seq);
    rc = fnli_replay_record(e, rec, len);
    fnli_arena_reset(&e->scratch, &e->mem);
    if (rc != FNL_OK) {
        char detail[sizeof(e->errmsg)];
        memcpy(detail, e->errmsg, sizeof(detail));
        return fnli_fail(e, rc, "journal record %llu: %s",
                         (unsigned long long)seq, detail);
    }
    e->seq = seq;
    return FNL_OK;
}

int fnli_recover(fnl_engine *e)
{
    fnl_storage *st = e->storage;
    uint64_t seq = 0;
    int rc, listener = e->has_listener;
    if (st->version == 0 || st->append == NULL || st->sync == NULL ||
        st->replay == NULL || st->snapshot_begin == NULL ||
        st->snapshot_write == NULL || st->snapshot_commit == NULL ||
        st->snapshot_abort == NULL || st->snapshot_open == NULL ||
        st->snapshot_read == NULL || st->snapshot_close == NULL ||
        st->truncate == NULL)
        return fnli_fail(e, st->version > FNL_STORAGE_VERSION ? FNL_EVERSION
                                                               : FNL_EINVAL,
                         "storage table incomplete or of unknown version");
    if ((rc = fnli_snapshot_load(e, &seq)) != FNL_OK)
        return rc;
    e->seq = seq;
    /* the state is rebuilt, not lived again: no events */
    e->replaying = 1;
    e->has_listener = 0;
    rc = st->replay(st->ctx, seq, replay_one, e);
    if (rc == FNL_OK)
        fnli_scores_settle(e);
    e->ndirty = 0;
    e->replaying = 0;
    e->has_listener = listener;
    if (rc != FNL_OK && e->errmsg[0] == '\0')
        rc = fnli_fail(e, rc == FNL_ENOMEM ? rc : FNL_EIO,
                       "storage replay failed (%s)", fnl_strerror(rc));
    return rc;
}

FNL_API int fnl_engine_checkpoint(fnl_engine *e)
{
    int rc;
    if (e == NULL)
        return FNL_EINVAL;
    if ((rc = fnli_begin(e)) != FNL_OK)
        return rc;
    if (e->storage == NULL) {
        rc = fnli_fail(e, FNL_EINVAL, "checkpoint: the engine has no storage");
        goto done;
    }
    if ((rc = fnli_snapshot_write(e, e->snapshot_compression)) != FNL_OK)
        goto done;
    rc = e->storage->truncate(e->storage->ctx, e->seq);
    if (rc != FNL_OK)
        rc = fnli_fail(e, FNL_EIO,
                       "checkpoint: the snapshot is written and current, but "
                       "the storage could not drop the journal (%s)",
                       fnl_strerror(rc));
done:
    return fnli_end(e, rc);
}

FNL_API int fnl_engine_sync(fnl_engine *e)
{
    int rc;
    if (e == NULL)
        return FNL_EINVAL;
    fnli_clear(e);
    if (e->storage == NULL)
        return FNL_OK;
    rc = e->storage->sync(e->storage->ctx);
    if (rc != FNL_OK)
        return fnli_fail(e, FNL_EIO, "storage sync failed (%s)",
                         fnl_strerror(rc));
    return FNL_OK;
}
