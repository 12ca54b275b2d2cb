/* Persistence: write-ahead journaling, replay and snapshots give the
 * identical state; failures change nothing; damage is detected; erased
 * data leaves the disk at the next checkpoint. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "../dump.h"
#include "../teststore.h"
#include "../test.h"
#include "../workload.h"
#include "crc32c.h"
#include "funnelcore.h"

static fnl_engine *open_on(fnl_storage *st, int *rc_out)
{
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_engine *e = NULL;
    static char err[512];
    int rc;
    cfg.storage = st;
    cfg.errbuf = err;
    cfg.errbuf_size = sizeof(err);
    rc = fnl_engine_open(&e, &cfg);
    if (rc_out != NULL)
        *rc_out = rc;
    if (rc != FNL_OK && rc_out == NULL)
        fprintf(stderr, "open: %s\n", err);
    return e;
}

TEST(replay_of_the_journal_gives_the_identical_state)
{
    teststore ts;
    fnl_engine *a, *b;
    char *da, *db;
    fnl_stats st = FNL_STATS_INIT;
    ts_init(&ts);
    a = open_on(&ts.table, NULL);
    CHECK(a != NULL);
    wl_run(a, 1, 800);
    CHECK_OK(fnl_engine_stats(a, &st));
    CHECK(st.journal_seq > 500);
    CHECK(st.merges > 0);
    CHECK(st.forgotten > 0);
    CHECK_INT(st.journal_seq, ts.nrecs);
    da = dump_engine(a);
    b = open_on(&ts.table, NULL);
    CHECK(b != NULL);
    db = dump_engine(b);
    CHECK_STR(db, da);
    fnl_engine_close(a);
    fnl_engine_close(b);
    free(da);
    free(db);
    ts_free(&ts);
}

TEST(snapshot_plus_tail_gives_the_identical_state)
{
    teststore ts;
    fnl_engine *a, *b, *c;
    char *da, *db, *dc;
    fnl_stats st = FNL_STATS_INIT;
    ts_init(&ts);
    a = open_on(&ts.table, NULL);
    wl_run(a, 2, 600);
    CHECK_OK(fnl_engine_checkpoint(a));
    CHECK_INT(ts.nrecs, 0); /* the journal it covers was dropped */
    CHECK(ts.has_snap);
    b = open_on(&ts.table, NULL); /* snapshot only */
    CHECK(b != NULL);
    da = dump_engine(a);
    db = dump_engine(b);
    CHECK_STR(db, da);
    free(db);
    /* more work after the checkpoint, then snapshot + tail replay */
    wl_run(a, 3, 400);
    CHECK(ts.nrecs > 0);
    fnl_engine_close(b);
    b = open_on(&ts.table, NULL);
    free(da);
    da = dump_engine(a);
    db = dump_engine(b);
    CHECK_STR(db, da);
    /* the reopened engine goes on journaling from where it was (one writer
     * per storage: a is done) */
    fnl_engine_close(a);
    a = NULL;
    CHECK_OK(fnl_engine_stats(b, &st));
    wl_run(b, 4, 50);
    c = open_on(&ts.table, NULL);
    dc = dump_engine(c);
    free(da);
    da = dump_engine(b);
    CHECK_STR(dc, da);
    fnl_engine_close(a);
    fnl_engine_close(b);
    fnl_engine_close(c);
    free(da);
    free(db);
    free(dc);
    ts_free(&ts);
}

TEST(a_refused_append_changes_nothing)
{
    teststore ts;
    fnl_engine *a, *b;
    fnl_contact_update u = FNL_CONTACT_UPDATE_INIT;
    fnl_key k = {"email", "new@acme.com"};
    char *before, *after, *reopened;
    ts_init(&ts);
    a = open_on(&ts.table, NULL);
    wl_run(a, 5, 100);
    before = dump_engine(a);
    ts.fail_append_at = 0;
    u.keys = &k;
    u.key_count = 1;
    CHECK_INT(fnl_contact_upsert(a, &u, NULL), FNL_EIO);
    CHECK(strstr(fnl_errmsg(a), "storage refused") != NULL);
    after = dump_engine(a);
    CHECK_STR(after, before);
    ts.fail_append_at = -1;
    b = open_on(&ts.table, NULL);
    reopened = dump_engine(b);
    CHECK_STR(reopened, before);
    free(before);
    free(after);
    free(reopened);
    fnl_engine_close(a);
    fnl_engine_close(b);
    ts_free(&ts);
}

/* I/O faults across a workload: fail the Nth append and every one after;
 * the live engine holds exactly the acknowledged mutations, and so does a
 * reopen. */
TEST(storage_failures_at_every_point_keep_acknowledged_state)
{
    int n, total = 0;
    {
        teststore ts;
        fnl_engine *a;
        fnl_stats st = FNL_STATS_INIT;
        ts_init(&ts);
        a = open_on(&ts.table, NULL);
        wl_run(a, 6, 120);
        fnl_engine_stats(a, &st);
        total = (int)st.journal_seq;
        fnl_engine_close(a);
        ts_free(&ts);
    }
    CHECK(total > 60);
    for (n = 0; n <= total; n += 3) {
        teststore ts;
        fnl_engine *a, *b;
        char *da, *db;
        ts_init(&ts);
        ts.fail_append_at = n;
        a = open_on(&ts.table, NULL);
        wl_run(a, 6, 120);
        CHECK_INT(ts.nrecs, (size_t)n);
        ts.fail_append_at = -1;
        b = open_on(&ts.table, NULL);
        da = dump_engine(a);
        db = dump_engine(b);
        CHECK_STR(db, da);
        free(da);
        free(db);
        fnl_engine_close(a);
        fnl_engine_close(b);
        ts_free(&ts);
    }
}

TEST(a_failed_checkpoint_keeps_the_previous_state)
{
    teststore ts;
    fnl_engine *a, *b;
    char *da, *db;
    ts_init(&ts);
    a = open_on(&ts.table, NULL);
    wl_run(a, 7, 300);
    CHECK_OK(fnl_engine_checkpoint(a));
    wl_run(a, 8, 100);
    ts.fail_write_at = 2;
    CHECK_INT(fnl_engine_checkpoint(a), FNL_EIO);
    ts.fail_write_at = -1;
    CHECK(ts.nrecs > 0); /* the journal was not dropped */
    b = open_on(&ts.table, NULL);
    da = dump_engine(a);
    db = dump_engine(b);
    CHECK_STR(db, da);
    free(da);
    free(db);
    fnl_engine_close(a);
    fnl_engine_close(b);
    ts_free(&ts);
}

TEST(every_damaged_snapshot_byte_is_refused)
{
    teststore ts;
    fnl_engine *a, *b;
    size_t i, refused = 0, tried = 0;
    int rc;
    ts_init(&ts);
    a = open_on(&ts.table, NULL);
    wl_run(a, 9, 60);
    CHECK_OK(fnl_engine_checkpoint(a));
    fnl_engine_close(a);
    for (i = 0; i < ts.snap_n; i += 1 + i / 64) {
        unsigned char saved = ts.snap[i];
        ts.snap[i] ^= (unsigned char)(1u << (i % 8));
        b = open_on(&ts.table, &rc);
        tried++;
        if (rc != FNL_OK)
            refused++;
        else
            fprintf(stderr, "byte %zu of %zu accepted\n", i, ts.snap_n);
        CHECK(rc == FNL_ECORRUPT || rc == FNL_EVERSION);
        CHECK(b == NULL);
        ts.snap[i] = saved;
    }
    CHECK(tried > 100);
    CHECK_INT(refused, tried);
    /* a truncated snapshot too */
    ts.snap_n -= 7;
    b = open_on(&ts.table, &rc);
    CHECK_INT(rc, FNL_ECORRUPT);
    ts_free(&ts);
}

TEST(a_newer_snapshot_format_is_refused_with_eversion)
{
    teststore ts;
    fnl_engine *a;
    char err[512];
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    uint32_t crc;
    ts_init(&ts);
    a = open_on(&ts.table, NULL);
    wl_run(a, 10, 30);
    CHECK_OK(fnl_engine_checkpoint(a));
    fnl_engine_close(a);
    ts.snap[8] = 2; /* format version 2 */
    crc = fnli_crc32c(0, ts.snap, 28);
    memcpy(ts.snap + 28, &crc, 4); /* little-endian hosts only */
    cfg.storage = &ts.table;
    cfg.errbuf = err;
    cfg.errbuf_size = sizeof(err);
    CHECK_INT(fnl_engine_open(&a, &cfg), FNL_EVERSION);
    CHECK(strstr(err, "newer") != NULL);
    ts_free(&ts);
}

TEST(damaged_journals_are_refused_with_a_reason)
{
    teststore ts;
    fnl_engine *a;
    char err[512];
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    ts_rec gap;
    ts_init(&ts);
    a = open_on(&ts.table, NULL);
    wl_run(a, 11, 40);
    fnl_engine_close(a);
    cfg.storage = &ts.table;
    cfg.errbuf = err;
    cfg.errbuf_size = sizeof(err);
    /* a record cut short */
    ts.recs[3].n -= 1;
    CHECK_INT(fnl_engine_open(&a, &cfg), FNL_ECORRUPT);
    CHECK(strstr(err, "journal record 4") != NULL);
    ts.recs[3].n += 1;
    /* an unknown record kind */
    {
        unsigned char kind = ts.recs[5].p[0];
        ts.recs[5].p[0] = 99;
        CHECK_INT(fnl_engine_open(&a, &cfg), FNL_ECORRUPT);
        ts.recs[5].p[0] = kind;
    }
    /* a newer record format */
    ts.recs[6].p[1] = 9;
    CHECK_INT(fnl_engine_open(&a, &cfg), FNL_EVERSION);
    ts.recs[6].p[1] = 1;
    /* a missing record */
    gap = ts.recs[7];
    ts.recs[7] = ts.recs[8];
    ts.recs[8] = gap;
    CHECK_INT(fnl_engine_open(&a, &cfg), FNL_ECORRUPT);
    CHECK(strstr(err, "skips") != NULL);
    ts_free(&ts);
}

static size_t count_events;
static void on_event(void *ctx, const fnl_event *ev)
{
    (void)ctx;
    (void)ev;
    count_events++;
}

TEST(replay_delivers_no_events)
{
    teststore ts;
    fnl_listener l = {FNL_LISTENER_VERSION, NULL, on_event};
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_engine *a, *b;
    ts_init(&ts);
    cfg.storage = &ts.table;
    cfg.listener = &l;
    CHECK_OK(fnl_engine_open(&a, &cfg));
    wl_run(a, 12, 100);
    CHECK(count_events > 0);
    count_events = 0;
    CHECK_OK(fnl_engine_open(&b, &cfg));
    CHECK_INT(count_events, 0);
    fnl_engine_close(a);
    fnl_engine_close(b);
    ts_free(&ts);
}

/* ---- the file store ------------------------------------------------------ */

static void rm_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char path[4096];
    if (d == NULL)
        return;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* Does any file in dir contain needle? */
static int dir_contains(const char *dir, const char *needle)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char path[4096];
    int found = 0;
    size_t nl = strlen(needle);
    while (d != NULL && (de = readdir(d)) != NULL) {
        FILE *f;
        char *buf;
        long n;
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        f = fopen(path, "rb");
        if (f == NULL)
            continue;
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fseek(f, 0, SEEK_SET);
        buf = malloc((size_t)n + 1);
        if (n > 0 && fread(buf, 1, (size_t)n, f) == (size_t)n) {
            long i;
            for (i = 0; i + (long)nl <= n; i++)
                if (memcmp(buf + i, needle, nl) == 0)
                    found = 1;
        }
        free(buf);
        fclose(f);
    }
    if (d != NULL)
        closedir(d);
    return found;
}

static fnl_storage *file_store(const char *dir)
{
    fnl_storage *st = NULL;
    if (fnl_storage_file_open(&st, dir, NULL) != FNL_OK)
        return NULL;
    return st;
}

static void file_roundtrip(uint32_t compression)
{
    char dir[] = "/tmp/fnl-persist-XXXXXX";
    fnl_storage *st;
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_engine *a, *b;
    char *da, *db;
    CHECK(mkdtemp(dir) != NULL);
    st = file_store(dir);
    CHECK(st != NULL);
    cfg.storage = st;
    cfg.snapshot_compression = compression;
    CHECK_OK(fnl_engine_open(&a, &cfg));
    wl_run(a, 13, 500);
    CHECK_OK(fnl_engine_checkpoint(a));
    wl_run(a, 14, 200);
    da = dump_engine(a);
    fnl_engine_close(a);
    fnl_storage_close(st);
    st = file_store(dir);
    cfg.storage = st;
    CHECK_OK(fnl_engine_open(&b, &cfg));
    db = dump_engine(b);
    CHECK_STR(db, da);
    free(da);
    free(db);
    fnl_engine_close(b);
    fnl_storage_close(st);
    rm_dir(dir);
}

TEST(the_file_store_round_trips_the_state)
{
    file_roundtrip(0);
}

TEST(the_file_store_round_trips_compressed_snapshots)
{
    file_roundtrip(1);
}

TEST(forgotten_data_leaves_memory_and_disk_at_the_checkpoint)
{
    char dir[] = "/tmp/fnl-forget-XXXXXX";
    fnl_storage *st;
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_engine *a, *b;
    fnl_contact_update u = FNL_CONTACT_UPDATE_INIT;
    fnl_key k[2] = {{"email", "zelda.secret@hyrule-example.com"},
                    {"phone", "+44 20 7946 0958"}};
    fnl_attr at = {"full_name", FNL_ATTR_STRING, "Zelda Secretname", 0};
    fnl_touch t = FNL_TOUCH_INIT;
    fnl_contact_id c, r;
    fnl_stats s1 = FNL_STATS_INIT, s2 = FNL_STATS_INIT;
    CHECK(mkdtemp(dir) != NULL);
    st = file_store(dir);
    cfg.storage = st;
    CHECK_OK(fnl_engine_open(&a, &cfg));
    u.keys = k;
    u.key_count = 2;
    u.attrs = &at;
    u.attr_count = 1;
    CHECK_OK(fnl_contact_upsert(a, &u, &c));
    t.keys = k;
    t.key_count = 1;
    t.channel = "email";
    t.time = 1000;
    CHECK_OK(fnl_touch_add(a, &t, NULL));
    CHECK_OK(fnl_engine_sync(a));
    CHECK(dir_contains(dir, "zelda.secret@hyrule-example.com"));
    CHECK(dir_contains(dir, "Zelda Secretname"));
    CHECK_OK(fnl_engine_stats(a, &s1));
    CHECK_OK(fnl_contact_forget(a, c));
    CHECK_INT(fnl_contact_resolve(a, c, &r), FNL_ESTALE);
    CHECK_INT(fnl_contact_find(a, "email", "zelda.secret@hyrule-example.com",
                               &r),
              FNL_ENOTFOUND);
    CHECK_OK(fnl_engine_stats(a, &s2));
    CHECK_INT(s2.touches, s1.touches); /* aggregates keep the touch */
    CHECK_INT(s2.forgotten, 1);
    CHECK_INT(s2.contacts, s1.contacts - 1);
    CHECK_INT(s2.identity_keys, s1.identity_keys - 2);
    CHECK_OK(fnl_engine_checkpoint(a));
    CHECK(!dir_contains(dir, "zelda.secret@hyrule-example.com"));
    CHECK(!dir_contains(dir, "Zelda Secretname"));
    CHECK(!dir_contains(dir, "+442079460958"));
    fnl_engine_close(a);
    fnl_storage_close(st);
    st = file_store(dir);
    cfg.storage = st;
    CHECK_OK(fnl_engine_open(&b, &cfg));
    CHECK_OK(fnl_engine_stats(b, &s1));
    CHECK_INT(s1.touches, s2.touches);
    CHECK_INT(s1.forgotten, 1);
    CHECK_INT(fnl_contact_resolve(b, c, &r), FNL_ESTALE);
    fnl_engine_close(b);
    fnl_storage_close(st);
    rm_dir(dir);
}

/* ---- crashes ------------------------------------------------------------- */

static uint64_t fnv(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* Children write with the file store (sync every record) and die by
 * SIGKILL at random moments; every reopen must hold exactly the state after
 * some journal prefix that includes every acknowledged mutation. */
TEST(killed_writers_leave_a_recoverable_prefix)
{
    enum { STEPS = 150, RUNS = 200 };
    uint64_t want[STEPS * 4 + 2];
    size_t nwant = 0;
    int run;
    uint64_t rs = 42;
    {
        /* reference: the dump hash after each journal length */
        teststore ts;
        fnl_engine *a;
        uint64_t s = 77 * 2654435761u + 1;
        int i;
        ts_init(&ts);
        a = open_on(&ts.table, NULL);
        {
            char *d0 = dump_engine(a);
            want[nwant++] = fnv(d0);
            free(d0);
        }
        for (i = 0; i < STEPS; i++) {
            fnl_stats st = FNL_STATS_INIT;
            if (wl_step(a, &s, i) == FNL_OK) {
                char *d = dump_engine(a);
                fnl_engine_stats(a, &st);
                CHECK_INT(st.journal_seq, nwant);
                want[nwant++] = fnv(d);
                free(d);
            }
        }
        fnl_engine_close(a);
        ts_free(&ts);
    }
    for (run = 0; run < RUNS; run++) {
        char dir[] = "/tmp/fnl-crash-XXXXXX";
        int fds[2];
        pid_t pid;
        uint64_t acked = 0, v;
        fnl_storage *st;
        fnl_engine *b;
        fnl_stats st2 = FNL_STATS_INIT;
        char *d;
        CHECK(mkdtemp(dir) != NULL);
        CHECK(pipe(fds) == 0);
        pid = fork();
        if (pid == 0) {
            fnl_storage *cst = file_store(dir);
            fnl_engine *ce;
            uint64_t s = 77 * 2654435761u + 1;
            int i;
            close(fds[0]);
            ce = open_on(cst, NULL);
            for (i = 0; i < STEPS; i++) {
                if (wl_step(ce, &s, i) == FNL_OK) {
                    fnl_stats cs = FNL_STATS_INIT;
                    fnl_engine_stats(ce, &cs);
                    if (write(fds[1], &cs.journal_seq, 8) != 8)
                        _exit(3);
                }
            }
            _exit(0);
        }
        close(fds[1]);
        rs ^= rs << 13;
        rs ^= rs >> 7;
        rs ^= rs << 17;
        {
            struct timespec ts_;
            ts_.tv_sec = 0;
            ts_.tv_nsec = (long)(rs % 40000) * 1000;
            nanosleep(&ts_, NULL);
        }
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        while (read(fds[0], &v, 8) == 8)
            acked = v;
        close(fds[0]);
        st = file_store(dir);
        CHECK(st != NULL);
        b = open_on(st, NULL);
        CHECK(b != NULL);
        fnl_engine_stats(b, &st2);
        CHECK(st2.journal_seq >= acked);
        CHECK(st2.journal_seq < nwant);
        d = dump_engine(b);
        CHECK(fnv(d) == want[st2.journal_seq]);
        free(d);
        fnl_engine_close(b);
        fnl_storage_close(st);
        rm_dir(dir);
    }
}

int main(void)
{
    RUN(replay_of_the_journal_gives_the_identical_state);
    RUN(snapshot_plus_tail_gives_the_identical_state);
    RUN(a_refused_append_changes_nothing);
    RUN(storage_failures_at_every_point_keep_acknowledged_state);
    RUN(a_failed_checkpoint_keeps_the_previous_state);
    RUN(every_damaged_snapshot_byte_is_refused);
    RUN(a_newer_snapshot_format_is_refused_with_eversion);
    RUN(damaged_journals_are_refused_with_a_reason);
    RUN(replay_delivers_no_events);
    RUN(the_file_store_round_trips_the_state);
    RUN(the_file_store_round_trips_compressed_snapshots);
    RUN(forgotten_data_leaves_memory_and_disk_at_the_checkpoint);
    RUN(killed_writers_leave_a_recoverable_prefix);
    TEST_MAIN_END();
}
