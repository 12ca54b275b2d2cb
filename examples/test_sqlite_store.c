/* test_sqlite_store.c -- the SQLite storage example (sqlite_store.c)
 * against the storage contract (docs/storage.md) and under an engine:
 *
 *  - records and snapshots round-trip, the seq / snapshot / truncate rules
 *    hold across a reopen, a second open is FNL_EBUSY, snapshots in many
 *    chunks stream back, a reader keeps its snapshot while a newer one is
 *    committed, leftovers of interrupted snapshots are removed;
 *  - tests/workload.h on an engine backed by the store reopens to the
 *    identical tests/dump.h dump (journal only, after a checkpoint, and
 *    with a journal tail after the snapshot), in both durability modes,
 *    and equals an engine that never persisted anything;
 *  - failures injected into the store (SQL triggers that RAISE, a
 *    query_only connection) make the engine call fail with FNL_EIO and
 *    change nothing, and the store reopens to the same state;
 *  - writers killed with SIGKILL at random moments (deterministic seed)
 *    leave a database that reopens to the state after a journal prefix
 *    including every acknowledged mutation. */
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "../tests/dump.h"
#include "../tests/test.h"
#include "../tests/workload.h"
#include "sqlite_store.h"

/* ---- helpers ------------------------------------------------------------ */

typedef struct tdir {
    char dir[400];
    char db[460];
} tdir;

static int td_new(tdir *t)
{
    const char *base = getenv("TMPDIR");
    snprintf(t->dir, sizeof(t->dir), "%s/fnl-sqlite-XXXXXX",
             base != NULL && *base != '\0' ? base : "/tmp");
    if (mkdtemp(t->dir) == NULL)
        return -1;
    snprintf(t->db, sizeof(t->db), "%s/store.db", t->dir);
    return 0;
}

static void td_done(const tdir *t)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    char p[500];
    size_t i;
    for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
        snprintf(p, sizeof(p), "%s%s", t->db, suffix[i]);
        unlink(p);
    }
    rmdir(t->dir);
}

static fnl_storage *store(const char *path, unsigned batch, size_t chunk)
{
    sqlite_store_options o;
    fnl_storage *st = NULL;
    char err[256];
    int rc;
    memset(&o, 0, sizeof(o));
    o.batch_records = batch;
    o.chunk_bytes = chunk;
    rc = sqlite_storage_open_ex(&st, path, &o, err, sizeof(err));
    if (rc != FNL_OK)
        fprintf(stderr, "open %s: %s (%s)\n", path, fnl_strerror(rc), err);
    return st;
}

static fnl_engine *engine_on(fnl_storage *st)
{
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_engine *e = NULL;
    char err[256];
    int rc;
    cfg.storage = st;
    cfg.errbuf = err;
    cfg.errbuf_size = sizeof(err);
    rc = fnl_engine_open(&e, &cfg);
    if (rc != FNL_OK) {
        fprintf(stderr, "engine open: %s (%s; store: %s)\n",
                fnl_strerror(rc), err, sqlite_storage_errmsg(st));
        return NULL;
    }
    return e;
}

/* Run one SQL statement on the store's own connection. */
static int sql(fnl_storage *st, const char *text)
{
    char *msg = NULL;
    int rc = sqlite3_exec(sqlite_storage_db(st), text, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fprintf(stderr, "sql %s: %s\n", text, msg != NULL ? msg : "?");
    sqlite3_free(msg);
    return rc;
}

static long long sql_int(fnl_storage *st, const char *text)
{
    sqlite3_stmt *s;
    long long v = -1;
    if (sqlite3_prepare_v2(sqlite_storage_db(st), text, -1, &s, NULL) !=
        SQLITE_OK)
        return -1;
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

static void fill(unsigned char *p, size_t n, uint32_t seed)
{
    size_t i;
    for (i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (unsigned char)(seed >> 16);
    }
}

/* Records collected by a replay. */
typedef struct got_recs {
    uint64_t seq[64];
    size_t len[64];
    uint32_t sum[64];
    size_t n;
    int stop_after;
} got_recs;

static uint32_t bytesum(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint32_t h = 2166136261u;
    size_t i;
    for (i = 0; i < n; i++)
        h = (h ^ b[i]) * 16777619u;
    return h;
}

static int collect(void *arg, uint64_t seq, const void *rec, size_t len)
{
    got_recs *g = arg;
    if (rec == NULL || g->n >= 64)
        return FNL_EINVAL;
    g->seq[g->n] = seq;
    g->len[g->n] = len;
    g->sum[g->n] = bytesum(rec, len);
    g->n++;
    return g->stop_after > 0 && (int)g->n == g->stop_after ? 42 : 0;
}

static size_t rec_len(uint64_t seq)
{
    return seq == 2 ? 0 : seq == 4 ? 100000 : (size_t)(seq * 37);
}

static int append_seq(fnl_storage *st, uint64_t seq)
{
    static unsigned char buf[100000];
    size_t n = rec_len(seq);
    fill(buf, n, (uint32_t)seq);
    return st->append(st->ctx, seq, buf, n);
}

static int write_snap(fnl_storage *st, uint64_t seq, size_t n, uint32_t seed)
{
    unsigned char *buf = malloc(n ? n : 1);
    void *w;
    size_t off = 0, piece = 1;
    int rc;
    fill(buf, n, seed);
    rc = st->snapshot_begin(st->ctx, seq, &w);
    while (rc == FNL_OK && off < n) {
        size_t k = piece < n - off ? piece : n - off;
        rc = st->snapshot_write(st->ctx, w, buf + off, k);
        off += k;
        piece = piece * 3 + 1; /* odd pieces across the chunk edges */
    }
    if (rc == FNL_OK)
        rc = st->snapshot_commit(st->ctx, w);
    else
        st->snapshot_abort(st->ctx, w);
    free(buf);
    return rc;
}

/* 1: the current snapshot is (seq, n bytes of seed); reads `first` bytes
 * from reader r (opened by the caller when r != NULL) or all of it. */
static int snap_is(fnl_storage *st, void *r, uint64_t seq, uint64_t want_seq,
                   size_t n, uint32_t seed)
{
    unsigned char *want = malloc(n ? n : 1), *have = malloc(n + 1000);
    size_t off = 0, got;
    int rc, opened = 0, ok;
    fill(want, n, seed);
    if (r == NULL) {
        if (st->snapshot_open(st->ctx, &seq, &r) != FNL_OK) {
            free(want);
            free(have);
            return 0;
        }
        opened = 1;
    }
    for (;;) {
        rc = st->snapshot_read(st->ctx, r, have + off, 777, &got);
        if (rc != FNL_OK || got == 0)
            break;
        off += got;
        if (off > n)
            break;
    }
    if (opened)
        st->snapshot_close(st->ctx, r);
    ok = rc == FNL_OK && seq == want_seq && off == n &&
         memcmp(want, have, n) == 0;
    free(want);
    free(have);
    return ok;
}

/* ---- the storage itself -------------------------------------------------- */

TEST(records_round_trip_and_the_rules_survive_a_reopen)
{
    tdir t;
    fnl_storage *st, *st2 = NULL;
    got_recs g;
    void *r;
    uint64_t seq, s;
    char big;

    CHECK(td_new(&t) == 0);
    CHECK((st = store(t.db, 0, 0)) != NULL);
    CHECK_INT(st->snapshot_open(st->ctx, &seq, &r), FNL_ENOTFOUND);
    for (s = 1; s <= 6; s++)
        CHECK_OK(append_seq(st, s));
    CHECK_INT(append_seq(st, 6), FNL_EINVAL);
    CHECK_INT(append_seq(st, 3), FNL_EINVAL);
    CHECK_INT(st->append(st->ctx, 7, NULL, 5), FNL_EINVAL);
    CHECK_INT(st->append(st->ctx, 7, &big, FNL_STORAGE_MAX_RECORD + 1u),
              FNL_ELIMIT);
    CHECK_OK(st->sync(st->ctx));
    memset(&g, 0, sizeof(g));
    CHECK_OK(st->replay(st->ctx, 0, collect, &g));
    CHECK_INT(g.n, 6);
    for (s = 1; s <= 6; s++) {
        unsigned char *b = malloc(rec_len(s) + 1);
        fill(b, rec_len(s), (uint32_t)s);
        CHECK_INT(g.seq[s - 1], s);
        CHECK_INT(g.len[s - 1], rec_len(s));
        CHECK(g.sum[s - 1] == bytesum(b, rec_len(s)));
        free(b);
    }
    memset(&g, 0, sizeof(g));
    g.stop_after = 2;
    CHECK_INT(st->replay(st->ctx, 3, collect, &g), 42);
    CHECK_INT(g.n, 2);
    CHECK_INT(g.seq[0], 4);

    /* one store per database: a second open is refused while it is open */
    CHECK_INT(sqlite_storage_open(&st2, t.db), FNL_EBUSY);
    CHECK(st2 == NULL);
    fnl_storage_close(st);

    CHECK((st = store(t.db, 0, 0)) != NULL);
    CHECK_INT(append_seq(st, 6), FNL_EINVAL); /* the last seq is known */
    memset(&g, 0, sizeof(g));
    CHECK_OK(st->replay(st->ctx, 0, collect, &g));
    CHECK_INT(g.n, 6);
    CHECK_INT(g.len[1], 0);
    CHECK_INT(g.len[3], 100000);
    CHECK_STR(sqlite_storage_errmsg(NULL), "");
    fnl_storage_close(st);
    td_done(&t);
}

TEST(snapshots_stream_in_chunks_and_switch_atomically)
{
    tdir t;
    fnl_storage *st;
    got_recs g;
    void *w, *r;
    uint64_t s, seq;

    CHECK(td_new(&t) == 0);
    CHECK((st = store(t.db, 0, 1000)) != NULL);
    for (s = 1; s <= 8; s++)
        CHECK_OK(append_seq(st, s));
    CHECK_INT(st->truncate(st->ctx, 1), FNL_EINVAL); /* no snapshot yet */
    CHECK_INT(st->snapshot_begin(st->ctx, 9, &w), FNL_EINVAL);
    CHECK_OK(st->snapshot_begin(st->ctx, 5, &w));
    CHECK_INT(st->snapshot_begin(st->ctx, 5, &r), FNL_EBUSY);
    st->snapshot_abort(st->ctx, w);
    CHECK_INT(sql_int(st, "SELECT count(*) FROM snapshot_chunk"), 0);

    CHECK_OK(write_snap(st, 5, 10000, 1));
    CHECK_INT(sql_int(st, "SELECT count(*) FROM snapshot_chunk"), 10);
    CHECK(snap_is(st, NULL, 0, 5, 10000, 1));
    CHECK_INT(st->truncate(st->ctx, 6), FNL_EINVAL);
    CHECK_OK(st->truncate(st->ctx, 5));
    CHECK_OK(st->truncate(st->ctx, 2)); /* below: a no-op */
    memset(&g, 0, sizeof(g));
    CHECK_OK(st->replay(st->ctx, 0, collect, &g));
    CHECK_INT(g.n, 3);
    CHECK_INT(g.seq[0], 6);
    CHECK_INT(st->snapshot_begin(st->ctx, 4, &w), FNL_EINVAL);

    /* a reader keeps its snapshot while a newer one is committed; the old
     * chunks go when it closes */
    CHECK_OK(st->snapshot_open(st->ctx, &seq, &r));
    CHECK_INT(seq, 5);
    CHECK_OK(write_snap(st, 8, 2500, 2));
    CHECK_INT(sql_int(st, "SELECT count(DISTINCT gen) FROM snapshot_chunk"),
              2);
    CHECK(snap_is(st, r, 5, 5, 10000, 1));
    st->snapshot_close(st->ctx, r);
    CHECK_INT(sql_int(st, "SELECT count(DISTINCT gen) FROM snapshot_chunk"),
              1);
    CHECK(snap_is(st, NULL, 0, 8, 2500, 2));
    CHECK_OK(write_snap(st, 8, 0, 3)); /* an empty snapshot is a snapshot */
    CHECK(snap_is(st, NULL, 0, 8, 0, 3));
    CHECK_OK(write_snap(st, 8, 3001, 4));

    /* chunks of a snapshot a crash interrupted are removed at open */
    CHECK_INT(sql(st, "INSERT INTO snapshot_chunk(gen, idx, data) "
                      "VALUES (999, 0, x'0102')"), SQLITE_OK);
    fnl_storage_close(st);
    CHECK((st = store(t.db, 0, 1000)) != NULL);
    CHECK_INT(sql_int(st, "SELECT count(*) FROM snapshot_chunk WHERE gen = "
                          "999"), 0);
    CHECK(snap_is(st, NULL, 0, 8, 3001, 4));
    CHECK_INT(st->snapshot_begin(st->ctx, 4, &w), FNL_EINVAL); /* base 5 */
    CHECK_INT(append_seq(st, 8), FNL_EINVAL);
    CHECK_OK(append_seq(st, 9));

    /* a damaged store is refused at open, with a reason */
    CHECK_INT(sql(st, "DELETE FROM snapshot_chunk WHERE idx = 1"), SQLITE_OK);
    fnl_storage_close(st);
    {
        char err[256];
        st = NULL;
        CHECK_INT(sqlite_storage_open_ex(&st, t.db, NULL, err, sizeof(err)),
                  FNL_ECORRUPT);
        CHECK(strstr(err, "snapshot") != NULL);
    }
    td_done(&t);
}

/* ---- under an engine ----------------------------------------------------- */

/* The dump of an engine without storage fed workload seeds[0..n). */
static char *reference(const uint64_t *seeds, int n, int steps)
{
    fnl_engine *e;
    char *d;
    int i;
    if (fnl_engine_open(&e, NULL) != FNL_OK)
        return NULL;
    for (i = 0; i < n; i++)
        wl_run(e, seeds[i], steps);
    d = dump_engine(e);
    fnl_engine_close(e);
    return d;
}

/* Close and reopen; 1 when the reopened engine dumps `want`. */
static int reopen_same(const char *path, unsigned batch, fnl_storage **st,
                       fnl_engine **e, const char *want)
{
    char *d;
    int same;
    fnl_engine_close(*e);
    fnl_storage_close(*st);
    *e = NULL;
    if ((*st = store(path, batch, 4096)) == NULL)
        return 0;
    if ((*e = engine_on(*st)) == NULL)
        return 0;
    d = dump_engine(*e);
    same = strcmp(d, want) == 0;
    if (!same)
        fprintf(stderr, "reopened state differs\n");
    free(d);
    return same;
}

static void round_trip(unsigned batch)
{
    static const uint64_t seeds[3] = {11, 12, 13};
    tdir t;
    fnl_storage *st;
    fnl_engine *e;
    char *d, *ref;
    int steps = batch ? 400 : 200;

    CHECK(td_new(&t) == 0);
    CHECK((st = store(t.db, batch, 4096)) != NULL);
    CHECK((e = engine_on(st)) != NULL);
    wl_run(e, seeds[0], steps);
    d = dump_engine(e);
    ref = reference(seeds, 1, steps);
    CHECK(strcmp(d, ref) == 0);
    free(ref);
    /* the journal alone */
    CHECK(reopen_same(t.db, batch, &st, &e, d));
    CHECK_INT(sql_int(st, "SELECT count(*) FROM snapshot"), 0);
    /* a snapshot, no journal */
    CHECK_OK(fnl_engine_checkpoint(e));
    CHECK_INT(sql_int(st, "SELECT count(*) FROM journal"), 0);
    CHECK(reopen_same(t.db, batch, &st, &e, d));
    free(d);
    /* a snapshot and a journal tail; then a second checkpoint over it */
    wl_run(e, seeds[1], steps);
    d = dump_engine(e);
    CHECK(sql_int(st, "SELECT count(*) FROM journal") > 0);
    CHECK(reopen_same(t.db, batch, &st, &e, d));
    CHECK_OK(fnl_engine_checkpoint(e));
    CHECK(reopen_same(t.db, batch, &st, &e, d));
    free(d);
    wl_run(e, seeds[2], steps);
    d = dump_engine(e);
    ref = reference(seeds, 3, steps);
    CHECK(strcmp(d, ref) == 0);
    free(ref);
    CHECK(reopen_same(t.db, batch, &st, &e, d));
    free(d);
    fnl_engine_close(e);
    fnl_storage_close(st);
    td_done(&t);
}

TEST(reopening_gives_the_identical_state)
{
    round_trip(0);
}

TEST(reopening_gives_the_identical_state_in_batch_mode)
{
    round_trip(16);
}

/* A mutation that certainly journals a record. */
static int new_contact(fnl_engine *e, int i)
{
    fnl_contact_update u = FNL_CONTACT_UPDATE_INIT;
    char v[64];
    fnl_key k = {"email", v};
    snprintf(v, sizeof(v), "fresh%d@corp%d.com", i, i);
    u.keys = &k;
    u.key_count = 1;
    u.time = 1700000000000 + i;
    return fnl_contact_upsert(e, &u, NULL);
}

/* The call fails with FNL_EIO, the engine is unchanged, the store's
 * message says why; the engine's message is kept in engine_msg. */
static char engine_msg[512];

#define CHECK_REFUSED(call, e, st, msgpart)                                 \
    do {                                                                    \
        char *d_ = dump_engine(e);                                          \
        int rc_ = (call);                                                   \
        char *d2_;                                                          \
        snprintf(engine_msg, sizeof(engine_msg), "%s", fnl_errmsg(e));      \
        d2_ = dump_engine(e);                                               \
        int same_ = strcmp(d_, d2_) == 0;                                   \
        free(d_);                                                           \
        free(d2_);                                                          \
        CHECK_INT(rc_, FNL_EIO);                                            \
        CHECK(same_);                                                       \
        if (strstr(sqlite_storage_errmsg(st), (msgpart)) == NULL) {         \
            fprintf(stderr, "store message: %s\n",                         \
                    sqlite_storage_errmsg(st));                             \
            CHECK(0);                                                       \
        }                                                                   \
    } while (0)

static void injected(unsigned batch)
{
    tdir t;
    fnl_storage *st;
    fnl_engine *e;
    char *d;

    CHECK(td_new(&t) == 0);
    CHECK((st = store(t.db, batch, 512)) != NULL);
    CHECK((e = engine_on(st)) != NULL);
    wl_run(e, 5, 60);
    CHECK_OK(new_contact(e, 0));

    /* append refused (in batch mode: in the middle of a batch, whose
     * earlier records stay) */
    CHECK_INT(sql(st, "CREATE TEMP TRIGGER f BEFORE INSERT ON main.journal "
                      "BEGIN SELECT RAISE(ABORT, 'injected'); END"),
              SQLITE_OK);
    CHECK_REFUSED(new_contact(e, 1), e, st, "append: injected");
    CHECK(strstr(engine_msg, "storage refused") != NULL);
    CHECK_INT(sql(st, "DROP TRIGGER f"), SQLITE_OK);
    CHECK_OK(new_contact(e, 1));

    /* a read-only connection refuses appends, syncs and checkpoints */
    CHECK_OK(fnl_engine_sync(e));
    CHECK_INT(sql(st, "PRAGMA query_only = 1"), SQLITE_OK);
    CHECK_REFUSED(new_contact(e, 2), e, st, "append");
    CHECK_REFUSED(fnl_engine_checkpoint(e), e, st, "snapshot");
    CHECK_INT(sql(st, "PRAGMA query_only = 0"), SQLITE_OK);
    CHECK_OK(new_contact(e, 2));

    /* a snapshot chunk refused: the checkpoint fails, nothing is left */
    CHECK_INT(sql(st, "CREATE TEMP TRIGGER f BEFORE INSERT ON "
                      "main.snapshot_chunk WHEN new.idx = 3 "
                      "BEGIN SELECT RAISE(ABORT, 'injected'); END"),
              SQLITE_OK);
    CHECK_REFUSED(fnl_engine_checkpoint(e), e, st, "snapshot write: injected");
    CHECK_INT(sql(st, "DROP TRIGGER f"), SQLITE_OK);
    CHECK_INT(sql_int(st, "SELECT count(*) FROM snapshot_chunk"), 0);

    /* a first snapshot, then the switch to a second one refused: the
     * first stays current, its chunks and the journal intact */
    CHECK_OK(fnl_engine_checkpoint(e));
    wl_run(e, 6, 40);
    CHECK_INT(sql(st, "CREATE TEMP TRIGGER f BEFORE INSERT ON main.snapshot "
                      "BEGIN SELECT RAISE(ABORT, 'injected'); END"),
              SQLITE_OK);
    CHECK_REFUSED(fnl_engine_checkpoint(e), e, st,
                  "snapshot commit: injected");
    CHECK_INT(sql(st, "DROP TRIGGER f"), SQLITE_OK);
    CHECK_INT(sql_int(st, "SELECT count(DISTINCT gen) FROM snapshot_chunk"),
              1);
    d = dump_engine(e);
    CHECK(reopen_same(t.db, batch, &st, &e, d));
    free(d);

    /* the journal's compaction refused: the checkpoint reports it, the new
     * snapshot is current, and the state reopens intact */
    wl_run(e, 7, 40);
    CHECK_INT(sql(st, "CREATE TEMP TRIGGER f BEFORE DELETE ON main.journal "
                      "BEGIN SELECT RAISE(ABORT, 'injected'); END"),
              SQLITE_OK);
    CHECK_REFUSED(fnl_engine_checkpoint(e), e, st, "truncate: injected");
    CHECK(strstr(engine_msg, "snapshot is written and current") != NULL);
    CHECK_INT(sql(st, "DROP TRIGGER f"), SQLITE_OK);
    d = dump_engine(e);
    CHECK(reopen_same(t.db, batch, &st, &e, d));
    CHECK_OK(fnl_engine_checkpoint(e));
    CHECK_INT(sql_int(st, "SELECT count(*) FROM journal"), 0);
    CHECK(reopen_same(t.db, batch, &st, &e, d));
    free(d);
    fnl_engine_close(e);
    fnl_storage_close(st);
    td_done(&t);
}

TEST(injected_failures_are_eio_and_change_nothing)
{
    injected(0);
}

TEST(injected_failures_are_eio_and_change_nothing_in_batch_mode)
{
    injected(8);
}

/* ---- crashes ------------------------------------------------------------- */

static uint64_t fnv(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

#define CRASH_STEPS 150
#define CRASH_SEED 77
#define SYNC_EVERY 5

/* The child: run the workload, checkpointing now and then, and report
 * every acknowledged journal length through the pipe: after each
 * successful mutation (each append is committed), or in batch mode after
 * each successful fnl_engine_sync().  Never returns. */
static void crash_writer(const char *path, unsigned batch, int fd)
{
    fnl_storage *st = store(path, batch, 2048);
    fnl_engine *e = st != NULL ? engine_on(st) : NULL;
    uint64_t s = CRASH_SEED * 2654435761u + 1;
    int i;
    if (e == NULL)
        _exit(2);
    for (i = 0; i < CRASH_STEPS; i++) {
        fnl_stats cs = FNL_STATS_INIT;
        if (wl_step(e, &s, i) != FNL_OK)
            continue;
        if (i % 40 == 39 && fnl_engine_checkpoint(e) != FNL_OK)
            _exit(3);
        if (batch && (i % SYNC_EVERY != 0 || fnl_engine_sync(e) != FNL_OK))
            continue;
        fnl_engine_stats(e, &cs);
        if (write(fd, &cs.journal_seq, 8) != 8)
            _exit(4);
    }
    _exit(0);
}

static void crashes(unsigned batch, int runs, uint64_t rs)
{
    uint64_t want[CRASH_STEPS + 1];
    uint64_t lo = UINT64_MAX, hi = 0;
    size_t nwant = 0;
    int run, i, killed = 0;
    {
        /* the dump hash after each journal length */
        fnl_engine *a;
        char *d;
        uint64_t s = CRASH_SEED * 2654435761u + 1;
        CHECK_OK(fnl_engine_open(&a, NULL));
        d = dump_engine(a);
        want[nwant++] = fnv(d);
        free(d);
        for (i = 0; i < CRASH_STEPS; i++)
            if (wl_step(a, &s, i) == FNL_OK) {
                d = dump_engine(a);
                want[nwant++] = fnv(d);
                free(d);
            }
        fnl_engine_close(a);
    }
    for (run = 0; run < runs; run++) {
        tdir t;
        int fds[2];
        pid_t pid;
        uint64_t acked = 0, v;
        fnl_storage *st;
        fnl_engine *b;
        fnl_stats st2 = FNL_STATS_INIT;
        struct timespec ts;
        char *d;
        int status;
        CHECK(td_new(&t) == 0);
        CHECK(pipe(fds) == 0);
        fflush(NULL);
        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            crash_writer(t.db, batch, fds[1]);
        }
        close(fds[1]);
        rs ^= rs << 13;
        rs ^= rs >> 7;
        rs ^= rs << 17;
        ts.tv_sec = 0;
        ts.tv_nsec = (long)(rs % 300000) * 1000; /* 0..300 ms */
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        CHECK(waitpid(pid, &status, 0) == pid);
        if (WIFSIGNALED(status))
            killed++;
        else
            CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        while (read(fds[0], &v, 8) == 8)
            acked = v;
        close(fds[0]);
        CHECK((st = store(t.db, batch, 2048)) != NULL);
        CHECK((b = engine_on(st)) != NULL);
        fnl_engine_stats(b, &st2);
        if (st2.journal_seq < acked || st2.journal_seq >= nwant) {
            fprintf(stderr, "run %d: reopened at %llu, acknowledged %llu\n",
                    run, (unsigned long long)st2.journal_seq,
                    (unsigned long long)acked);
            CHECK(0);
        }
        d = dump_engine(b);
        CHECK(fnv(d) == want[st2.journal_seq]);
        free(d);
        fnl_engine_close(b);
        fnl_storage_close(st);
        td_done(&t);
        lo = st2.journal_seq < lo ? st2.journal_seq : lo;
        hi = st2.journal_seq > hi ? st2.journal_seq : hi;
    }
    printf("# %d of %d writers killed mid-run; reopened at journal lengths "
           "%llu..%llu of %zu\n", killed, runs, (unsigned long long)lo,
           (unsigned long long)hi, nwant - 1);
}

TEST(killed_writers_leave_a_prefix_with_every_acknowledged_mutation)
{
    crashes(0, 12, 42);
}

TEST(killed_batch_writers_keep_every_synced_mutation)
{
    crashes(32, 8, 4242);
}

int main(void)
{
    RUN(records_round_trip_and_the_rules_survive_a_reopen);
    RUN(snapshots_stream_in_chunks_and_switch_atomically);
    RUN(reopening_gives_the_identical_state);
    RUN(reopening_gives_the_identical_state_in_batch_mode);
    RUN(injected_failures_are_eio_and_change_nothing);
    RUN(injected_failures_are_eio_and_change_nothing_in_batch_mode);
    RUN(killed_writers_leave_a_prefix_with_every_acknowledged_mutation);
    RUN(killed_batch_writers_keep_every_synced_mutation);
    TEST_MAIN_END();
}
