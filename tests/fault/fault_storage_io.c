/* fault_storage_io.c -- fail the Nth system call of a file-store workload
 * (appends, snapshots, compactions, reopen) for N = 0, 1, 2, ... until a
 * run sees no failure.  Every run must end with the error reported (no
 * crash), no descriptor or byte leaked, and a reopened directory holding
 * exactly the acknowledged records -- those whose append (with sync every
 * record) returned FNL_OK -- plus at most the one being appended when the
 * failure hit, never garbage; and a snapshot that is one that was
 * committed or being committed.  When an append fails but the store says
 * it is still sound (not marked failed), the workload retries it, as an
 * engine would, so the paths after a rolled-back write are exercised. */
#include "unit/storage_contract.h"
#include "storage_testdir.h"
#include "fault/faultio.h"

#define SNAP_LEN 3000

typedef struct outcome {
    uint64_t acked;     /* highest seq whose append returned FNL_OK */
    uint64_t tried;     /* seq of an append that failed, else 0 */
    uint64_t snap_ok;   /* seq of the last committed snapshot, else 0 */
    uint64_t snap_try;  /* seq of a snapshot whose commit failed, else 0 */
    long retried;       /* appends retried after a failure */
} outcome;

static int snap(fnl_storage *st, uint64_t seq, outcome *o)
{
    int rc = write_snapshot(st, seq, SNAP_LEN, 1024);
    if (rc == FNL_OK)
        o->snap_ok = seq;
    else
        o->snap_try = seq;
    return rc;
}

static int appends(fnl_storage *st, uint64_t from, uint64_t to, outcome *o)
{
    uint64_t s;
    for (s = from; s <= to; s++) {
        fnl_storage_file_info info = FNL_STORAGE_FILE_INFO_INIT;
        int rc = append_seq(st, s);
        if (rc == FNL_OK)
            rc = st->sync(st->ctx);
        if (rc != FNL_OK && fnl_storage_file_stats(st, &info) == FNL_OK &&
            !info.failed) {
            /* the store says it is still sound: retry, as an engine
             * would, and the retried record must come out intact */
            o->retried++;
            rc = append_seq(st, s);
            if (rc == FNL_OK)
                rc = st->sync(st->ctx);
        }
        if (rc != FNL_OK) {
            o->tried = s;
            return rc;
        }
        o->acked = s;
    }
    return FNL_OK;
}

/* The workload: stops at the first error, which it returns. */
static int workload(const char *dir, const fnli_file_io *io,
                    const fnl_allocator *a, outcome *o)
{
    fnl_storage_file_options opts = FNL_STORAGE_FILE_OPTIONS_INIT;
    fnl_storage *st = NULL;
    int rc;

    opts.allocator = a;
    rc = fnli_storage_file_open_io(&st, dir, &opts, io);
    if (rc != FNL_OK)
        return rc;
    if ((rc = appends(st, 1, 12, o)) == FNL_OK &&
        (rc = snap(st, 9, o)) == FNL_OK &&
        (rc = st->truncate(st->ctx, 9)) == FNL_OK &&
        (rc = appends(st, 13, 20, o)) == FNL_OK &&
        (rc = snap(st, 20, o)) == FNL_OK &&
        (rc = st->truncate(st->ctx, 20)) == FNL_OK)
        rc = appends(st, 21, 24, o);
    fnl_storage_close(st);
    if (rc == FNL_OK) {
        /* a second open recovers, compacts nothing, and appends */
        rc = fnli_storage_file_open_io(&st, dir, &opts, io);
        if (rc != FNL_OK)
            return rc;
        rc = appends(st, 25, 26, o);
        fnl_storage_close(st);
    }
    return rc;
}

/* Reopen with the real system calls and check what the directory holds. */
static void verify(const char *dir, const outcome *o, long n)
{
    fnl_storage *st = NULL;
    collected c;
    uint64_t snap_seq = 0, last;
    int rc;

    rc = fnl_storage_file_open(&st, dir, NULL);
    if (rc != FNL_OK) {
        fprintf(stderr, "N=%ld: reopen gave %d\n", n, rc);
        CHECK_OK(rc);
    }
    rc = check_snapshot(st, SNAP_LEN, 700, &snap_seq);
    if (rc == FNL_ENOTFOUND) {
        snap_seq = 0;
        rc = o->snap_ok == 0;
    } else if (rc == 1) {
        rc = snap_seq == o->snap_ok || snap_seq == o->snap_try;
    }
    if (rc != 1)
        fprintf(stderr, "N=%ld: snapshot %llu, committed %llu\n", n,
                (unsigned long long)snap_seq,
                (unsigned long long)o->snap_ok);
    if (rc != 1)
        fnl_storage_close(st);
    CHECK_INT(rc, 1);
    rc = replay_all(st, snap_seq, &c);
    last = snap_seq + c.n;
    if (rc != FNL_OK || !holds_range(&c, snap_seq + 1, last) ||
        !(last == o->acked || (o->tried != 0 && last == o->tried))) {
        fprintf(stderr, "N=%ld: %zu records after %llu (bad %d), acked "
                "%llu, tried %llu\n", n, c.n, (unsigned long long)snap_seq,
                c.bad, (unsigned long long)o->acked,
                (unsigned long long)o->tried);
        fnl_storage_close(st);
        CHECK(0);
    }
    /* the directory is usable again */
    rc = append_seq(st, last + 1);
    fnl_storage_close(st);
    CHECK_OK(rc);
}

static void run_all(int torn, long *runs, long *retries)
{
    failalloc fa = {-1, 0, 0, 0, 0};
    fnl_allocator a = fa_table(&fa);
    long n;

    for (n = 0;; n++) {
        char dir[TD_PATH];
        faultio f;
        fnli_file_io io;
        outcome o;
        int rc;

        CHECK(td_make(dir, "fio") == 0);
        memset(&o, 0, sizeof(o));
        faultio_init(&f, &io);
        f.torn = torn;
        faultio_arm(&f, n);
        rc = workload(dir, &io, &a, &o);
        if (f.fired == 0) {
            /* the workload ran to the end without a fault: done */
            td_remove(dir);
            CHECK_OK(rc);
            CHECK_INT(o.acked, 26);
            CHECK(n > 50);
            break;
        }
        (*runs)++;
        *retries += o.retried;
        if (f.open_fds != 0 || fa.outstanding != 0) {
            fprintf(stderr, "N=%ld: %ld descriptors, %lld bytes leaked\n", n,
                    f.open_fds, fa.outstanding);
            td_remove(dir);
            CHECK(0);
        }
        /* a failure is reported, unless it hit a call whose failure does
         * not matter (removing a temporary, the sync at close) */
        verify(dir, &o, n);
        td_remove(dir);
        if (test_cur_failed)
            return;
    }
}

TEST(every_failed_call_is_reported_and_loses_only_unacknowledged_records)
{
    long runs = 0, retries = 0;
    run_all(0, &runs, &retries);
    if (!test_cur_failed)
        printf("# %ld runs with a failing call, %ld appends retried\n", runs,
               retries);
    CHECK(retries > 0);
}

TEST(torn_writes_are_rolled_back_or_cut_at_reopen)
{
    long runs = 0, retries = 0;
    run_all(1, &runs, &retries);
    if (!test_cur_failed)
        printf("# %ld runs with a failing (torn) call, %ld appends "
               "retried\n", runs, retries);
    CHECK(retries > 0);
}

int main(void)
{
    RUN(every_failed_call_is_reported_and_loses_only_unacknowledged_records);
    RUN(torn_writes_are_rolled_back_or_cut_at_reopen);
    TEST_MAIN_END();
}
