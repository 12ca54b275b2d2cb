/* test_storage_edges -- the engine's side of the storage contract at its
 * corners: an incomplete or newer storage table is refused before it is
 * used, storage failures the storage did not explain get the engine's
 * own message, checkpoint and sync without a storage, and the memory
 * storage reusing the room a truncate left while it appends. */
#include "failalloc.h"
#include "funnelcore.h"
#include "test.h"
#include "teststore.h"

static fnl_engine *open_with(fnl_storage *st, int *rc)
{
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_engine *e = NULL;
    cfg.storage = st;
    *rc = fnl_engine_open(&e, &cfg);
    return e;
}

TEST(incomplete_storage_tables_are_refused)
{
    teststore ts;
    fnl_engine *e;
    int rc, k;
    for (k = 0; k <= 11; k++) {
        fnl_storage t;
        ts_init(&ts);
        t = ts.table;
        switch (k) {
        case 0: t.version = 0; break;
        case 1: t.append = NULL; break;
        case 2: t.sync = NULL; break;
        case 3: t.replay = NULL; break;
        case 4: t.snapshot_begin = NULL; break;
        case 5: t.snapshot_write = NULL; break;
        case 6: t.snapshot_commit = NULL; break;
        case 7: t.snapshot_abort = NULL; break;
        case 8: t.snapshot_open = NULL; break;
        case 9: t.snapshot_read = NULL; break;
        case 10: t.snapshot_close = NULL; break;
        default: t.truncate = NULL; break;
        }
        e = open_with(&t, &rc);
        if (rc != FNL_EINVAL)
            fprintf(stderr, "table %d: %d\n", k, rc);
        CHECK_INT(rc, FNL_EINVAL);
        CHECK(e == NULL);
        ts_free(&ts);
    }
    /* a newer table that lacks one of today's callbacks: EVERSION */
    {
        fnl_storage t;
        ts_init(&ts);
        t = ts.table;
        t.version = FNL_STORAGE_VERSION + 1;
        t.truncate = NULL;
        e = open_with(&t, &rc);
        CHECK_INT(rc, FNL_EVERSION);
        CHECK(e == NULL);
        ts_free(&ts);
    }
}

/* The code the failing replay returns. */
static int replay_code;

static int fail_replay(void *ctx, uint64_t after, fnl_replay_fn fn,
                       void *arg)
{
    (void)ctx;
    (void)after;
    (void)fn;
    (void)arg;
    return replay_code;
}

static int fail_sync(void *ctx)
{
    (void)ctx;
    return FNL_EIO;
}

static int fail_truncate(void *ctx, uint64_t upto)
{
    (void)ctx;
    (void)upto;
    return FNL_EIO;
}

TEST(storage_failures_get_a_message)
{
    /* a replay that fails with a bare code: the engine explains it */
    teststore ts;
    fnl_engine *e;
    int rc;
    ts_init(&ts);
    ts.table.replay = fail_replay;
    replay_code = FNL_EIO;
    e = open_with(&ts.table, &rc);
    CHECK_INT(rc, FNL_EIO);
    CHECK(e == NULL);
    replay_code = FNL_ENOMEM;
    e = open_with(&ts.table, &rc);
    CHECK_INT(rc, FNL_ENOMEM);
    /* any other code becomes FNL_EIO */
    replay_code = FNL_ECORRUPT;
    e = open_with(&ts.table, &rc);
    CHECK_INT(rc, FNL_EIO);
    CHECK(e == NULL);
    ts_free(&ts);

    /* sync and truncate failures */
    ts_init(&ts);
    e = open_with(&ts.table, &rc);
    CHECK_OK(rc);
    ts.table.sync = fail_sync;
    CHECK_INT(fnl_engine_sync(e), FNL_EIO);
    CHECK_STR(fnl_errmsg(e),
              "storage failure: storage sync failed (storage failure)");
    ts.table.truncate = fail_truncate;
    CHECK_INT(fnl_engine_checkpoint(e), FNL_EIO);
    CHECK(strstr(fnl_errmsg(e), "checkpoint: the snapshot is written and "
                                "current, but the storage could not drop "
                                "the journal") != NULL);
    /* the snapshot was committed all the same */
    CHECK_INT(ts.has_snap, 1);
    fnl_engine_close(e);
    ts_free(&ts);
}

TEST(checkpoint_and_sync_without_storage)
{
    fnl_engine *e;
    CHECK_INT(fnl_engine_checkpoint(NULL), FNL_EINVAL);
    CHECK_INT(fnl_engine_sync(NULL), FNL_EINVAL);
    CHECK_OK(fnl_engine_open(&e, NULL));
    CHECK_INT(fnl_engine_checkpoint(e), FNL_EINVAL);
    CHECK_STR(fnl_errmsg(e),
              "invalid argument: checkpoint: the engine has no storage");
    /* sync without storage has nothing to do, and clears the message */
    CHECK_OK(fnl_engine_sync(e));
    CHECK_STR(fnl_errmsg(e), "");
    fnl_engine_close(e);
}

static int count_rec(void *arg, uint64_t seq, const void *rec, size_t len)
{
    uint64_t *sum = arg;
    (void)rec;
    (void)len;
    *sum += seq;
    return FNL_OK;
}

TEST(memory_storage_reuses_the_room_truncate_left)
{
    /* 16 records fill the first array (it grows by 16); a snapshot at 10
     * and a truncate drop 1..10, leaving 6 at the back; the next append
     * finds the array full and moves the 6 to the front instead of
     * growing */
    failalloc fa = {-1, 0, 0, 0, 0};
    fnl_allocator a = fa_table(&fa);
    fnl_storage *st;
    void *w;
    uint64_t seq, sum = 0;
    unsigned char rec[3] = {1, 2, 3};
    long calls;
    CHECK_OK(fnl_storage_mem_open(&st, &a));
    for (seq = 1; seq <= 16; seq++)
        CHECK_OK(st->append(st->ctx, seq, rec, sizeof(rec)));
    CHECK_OK(st->snapshot_begin(st->ctx, 10, &w));
    CHECK_OK(st->snapshot_write(st->ctx, w, rec, 1));
    CHECK_OK(st->snapshot_commit(st->ctx, w));
    CHECK_OK(st->truncate(st->ctx, 10));
    calls = fa.calls;
    CHECK_OK(st->append(st->ctx, 17, rec, sizeof(rec)));
    /* one allocation only: the record's copy, no larger array */
    CHECK_INT(fa.calls - calls, 1);
    /* what is left replays: 11 + ... + 17 = 98 */
    CHECK_OK(st->replay(st->ctx, 0, count_rec, &sum));
    CHECK_INT(sum, 98);
    /* truncating past the snapshot is refused; sequence numbers must
     * grow; a record over the limit is refused */
    CHECK_INT(st->truncate(st->ctx, 11), FNL_EINVAL);
    CHECK_INT(st->append(st->ctx, 17, rec, sizeof(rec)), FNL_EINVAL);
    CHECK_INT(st->append(st->ctx, 18, NULL, 3), FNL_EINVAL);
    CHECK_INT(st->append(st->ctx, 18, rec, FNL_STORAGE_MAX_RECORD + 1u),
              FNL_ELIMIT);
    /* snapshot readers and writers: bad handles and arguments */
    CHECK_INT(st->snapshot_open(st->ctx, NULL, &w), FNL_EINVAL);
    CHECK_INT(st->snapshot_write(st->ctx, NULL, rec, 1), FNL_EINVAL);
    CHECK_INT(st->snapshot_commit(st->ctx, NULL), FNL_EINVAL);
    {
        void *r;
        unsigned char buf[4];
        size_t got;
        CHECK_OK(st->snapshot_open(st->ctx, &seq, &r));
        CHECK_INT(seq, 10);
        CHECK_INT(st->snapshot_read(st->ctx, r, NULL, 4, &got), FNL_EINVAL);
        CHECK_INT(st->snapshot_read(st->ctx, r, buf, 4, NULL), FNL_EINVAL);
        CHECK_OK(st->snapshot_read(st->ctx, r, buf, 4, &got));
        CHECK_INT(got, 1);
        CHECK_INT(buf[0], 1);
        st->snapshot_close(st->ctx, r);
        st->snapshot_close(st->ctx, NULL);
    }
    /* a commit whose allocation fails drops the writer */
    CHECK_OK(st->snapshot_begin(st->ctx, 17, &w));
    fa_arm(&fa, 0, 0);
    CHECK_INT(st->snapshot_commit(st->ctx, w), FNL_ENOMEM);
    /* opening a reader can fail too */
    fa_arm(&fa, 0, 0);
    {
        void *r;
        CHECK_INT(st->snapshot_open(st->ctx, &seq, &r), FNL_ENOMEM);
    }
    fa_disarm(&fa);
    st->close(st->ctx);
    CHECK_INT(fa.outstanding, 0);
}

int main(void)
{
    RUN(incomplete_storage_tables_are_refused);
    RUN(storage_failures_get_a_message);
    RUN(checkpoint_and_sync_without_storage);
    RUN(memory_storage_reuses_the_room_truncate_left);
    TEST_MAIN_END();
}
