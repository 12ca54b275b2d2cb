/* fault_crash.c -- kill a writer at random moments.  A child process
 * appends records to a file store with sync every record, compacting now
 * and then (snapshot + truncate), and reports each acknowledged record
 * (append and sync returned FNL_OK) through a pipe; the parent kills it
 * with SIGKILL after a random delay (deterministic seed), reopens the
 * directory and checks that it holds a prefix of the appended records that
 * includes every acknowledged one -- at most the one record in flight
 * beyond -- each with its exact bytes.  At least 200 runs, bounded in
 * time. */
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include "unit/storage_contract.h"
#include "storage_testdir.h"

#define RUNS 200
#define TIME_LIMIT_MS 20000
#define SNAP_LEN 2000
#define COMPACT_EVERY 25

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_us(long us)
{
    struct timespec ts;
    ts.tv_sec = us / 1000000;
    ts.tv_nsec = (us % 1000000) * 1000;
    nanosleep(&ts, NULL);
}

/* The child: append until killed.  Never returns. */
static void writer(const char *dir, int ack_fd)
{
    fnl_storage *st = NULL;
    fnl_storage_file_info info = FNL_STORAGE_FILE_INFO_INIT;
    uint64_t seq;

    if (fnl_storage_file_open(&st, dir, NULL) != FNL_OK ||
        fnl_storage_file_stats(st, &info) != FNL_OK)
        _exit(2);
    for (seq = info.last_seq + 1; seq < info.last_seq + 100000; seq++) {
        if (append_seq(st, seq) != FNL_OK || st->sync(st->ctx) != FNL_OK)
            _exit(3);
        if (write(ack_fd, &seq, sizeof(seq)) != (ssize_t)sizeof(seq))
            _exit(4);
        if (seq % COMPACT_EVERY == 0 &&
            (write_snapshot(st, seq, SNAP_LEN, 512) != FNL_OK ||
             st->truncate(st->ctx, seq) != FNL_OK))
            _exit(5);
    }
    _exit(0);
}

/* Reopen and check; *known is the last seq the directory held before the
 * run and receives the last it holds now. */
static void check_dir(const char *dir, uint64_t acked, uint64_t *known,
                      int run)
{
    fnl_storage *st = NULL;
    collected c;
    uint64_t snap = 0, last, floor = acked > *known ? acked : *known;
    int rc;

    CHECK_OK(fnl_storage_file_open(&st, dir, NULL));
    rc = check_snapshot(st, SNAP_LEN, 999, &snap);
    if (rc == FNL_ENOTFOUND) {
        snap = 0;
        rc = 1;
    }
    if (rc == 1)
        rc = replay_all(st, snap, &c) == FNL_OK ? 1 : 0;
    fnl_storage_close(st);
    if (rc != 1) {
        fprintf(stderr, "run %d: snapshot or journal unreadable (%d)\n", run,
                rc);
        CHECK(0);
    }
    last = snap + c.n;
    if (!holds_range(&c, snap + 1, last) || last < floor ||
        last > floor + 1 || snap % COMPACT_EVERY != 0) {
        fprintf(stderr, "run %d: snapshot %llu, %zu records after it (bad "
                "%d), acked %llu, held before %llu\n", run,
                (unsigned long long)snap, c.n, c.bad,
                (unsigned long long)acked, (unsigned long long)*known);
        CHECK(0);
    }
    *known = last;
}

TEST(killed_writer_keeps_every_acknowledged_record)
{
    char dir[TD_PATH];
    uint32_t rng = 20260101u;
    uint64_t known = 0, total_acked = 0;
    int64_t start = mono_ms();
    int run, mid_run_kills = 0;

    CHECK(td_make(dir, "crash") == 0);
    for (run = 0; run < RUNS && mono_ms() - start < TIME_LIMIT_MS; run++) {
        int fds[2], status = 0;
        uint64_t acked = 0, seq;
        pid_t pid;
        long delay;

        CHECK(pipe(fds) == 0);
        fflush(NULL);
        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            writer(dir, fds[1]);
        }
        close(fds[1]);
        rng = rng * 1103515245u + 12345u;
        delay = (long)((rng >> 8) % 12000u); /* 0 .. 12 ms */
        sleep_us(delay);
        kill(pid, SIGKILL);
        CHECK(waitpid(pid, &status, 0) == pid);
        while (read(fds[0], &seq, sizeof(seq)) == (ssize_t)sizeof(seq))
            acked = seq;
        close(fds[0]);
        if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
            fprintf(stderr, "run %d: the writer exited by itself (%d)\n", run,
                    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
            CHECK(0);
        }
        if (acked > known)
            total_acked += acked - known;
        if (acked > 0)
            mid_run_kills++;
        check_dir(dir, acked, &known, run);
        if (test_cur_failed)
            break;
    }
    td_remove(dir);
    printf("# %d runs, %d killed while appending, %llu records acknowledged "
           "in all, %llu held at the end\n", run, mid_run_kills,
           (unsigned long long)total_acked, (unsigned long long)known);
    CHECK(run >= RUNS);
    CHECK(mid_run_kills > RUNS / 4);
}

int main(void)
{
    RUN(killed_writer_keeps_every_acknowledged_record);
    TEST_MAIN_END();
}
