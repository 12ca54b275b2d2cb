/* bench_journal.c -- journal append throughput of the file store, in
 * records/s and MB/s, for 100-byte and 1-KB records under three sync
 * policies.  Each case runs for at most ~0.5 s or a fixed record count.
 * Prints figures only; nothing is asserted about them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "funnelcore.h"
#include "../storage_testdir.h"

#define TIME_BUDGET_NS 500000000LL

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int bench(const char *name, uint32_t policy, uint32_t every,
                 size_t rec_len, long max_records)
{
    char dir[TD_PATH];
    fnl_storage_file_options o = FNL_STORAGE_FILE_OPTIONS_INIT;
    fnl_storage *st = NULL;
    unsigned char rec[1024];
    long long t0, t1;
    long n;
    int rc;

    if (td_make(dir, "bench") != 0)
        return -1;
    o.sync_policy = policy;
    o.sync_every_records = every;
    rc = fnl_storage_file_open(&st, dir, &o);
    if (rc != FNL_OK) {
        td_remove(dir);
        return rc;
    }
    memset(rec, 'r', sizeof(rec));
    t0 = now_ns();
    for (n = 0; n < max_records; n++) {
        rec[n % rec_len] = (unsigned char)n;
        rc = st->append(st->ctx, (uint64_t)n + 1, rec, rec_len);
        if (rc != FNL_OK)
            break;
        if ((n & 63) == 0 && now_ns() - t0 > TIME_BUDGET_NS) {
            n++;
            break;
        }
    }
    if (rc == FNL_OK)
        rc = st->sync(st->ctx);
    t1 = now_ns();
    fnl_storage_close(st);
    td_remove(dir);
    if (rc != FNL_OK)
        return rc;
    {
        double secs = (double)(t1 - t0) / 1e9;
        double rps = (double)n / secs;
        printf("%-22s %5zu B  %9ld records  %8.3f s  %12.0f records/s  "
               "%8.2f MB/s\n", name, rec_len, n, secs, rps,
               rps * (double)rec_len / 1e6);
    }
    return FNL_OK;
}

int main(void)
{
    static const size_t sizes[] = {100, 1024};
    size_t i;
    printf("journal append throughput (payload MB/s; each record also has "
           "a 16-byte header)\n");
    for (i = 0; i < 2; i++) {
        if (bench("sync never", FNL_SYNC_NEVER, 0, sizes[i], 1000000) != 0 ||
            bench("sync every 1000", FNL_SYNC_INTERVAL, 1000, sizes[i],
                  1000000) != 0 ||
            bench("sync every record", FNL_SYNC_EVERY_RECORD, 0, sizes[i],
                  20000) != 0) {
            fprintf(stderr, "bench_journal: the store failed\n");
            return 1;
        }
    }
    return 0;
}
