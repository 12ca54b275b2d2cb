/* test_storage_file.c -- the file store: the storage contract, persistence
 * across reopen, the lock, options, sync policies, torn-tail and damage
 * recovery (every cut length, every bit of the last record), and I/O
 * failures of single calls.  Offsets are computed from the documented
 * format (docs/storage.md): a 24-byte journal header, then per record a
 * 16-byte header and the payload. */
#include <sys/wait.h>
#include <time.h>
#include "storage_contract.h"
#include "storage_testdir.h"
#include "fault/faultio.h"
#include "crc32c.h"

#define JHDR 24u
#define RHDR 16u

/* Offset where record k (1-based, seqs 1..k appended) ends. */
static uint64_t end_of(uint64_t k)
{
    uint64_t off = JHDR, i;
    for (i = 1; i <= k; i++)
        off += RHDR + payload_len(i);
    return off;
}

static int open_dir(fnl_storage **out, const char *dir)
{
    return fnl_storage_file_open(out, dir, NULL);
}

static int open_with(fnl_storage **out, const char *dir, uint32_t recovery,
                     char *err, size_t errsize)
{
    fnl_storage_file_options o = FNL_STORAGE_FILE_OPTIONS_INIT;
    o.recovery = recovery;
    o.errbuf = err;
    o.errbuf_size = errsize;
    return fnl_storage_file_open(out, dir, &o);
}

static fnl_storage_file_info info_of(const fnl_storage *st)
{
    fnl_storage_file_info i = FNL_STORAGE_FILE_INFO_INIT;
    if (fnl_storage_file_stats(st, &i) != FNL_OK)
        i.size = 0;
    return i;
}

/* Fill dir with records 1..n (sync every record) and close it. */
static int fill(const char *dir, uint64_t n)
{
    fnl_storage *st = NULL;
    uint64_t s;
    int rc = open_dir(&st, dir);
    for (s = 1; rc == FNL_OK && s <= n; s++)
        rc = append_seq(st, s);
    fnl_storage_close(st);
    return rc;
}

#define CONTRACT_TEST(name)                                                 \
    TEST(file_##name)                                                       \
    {                                                                       \
        char dir[TD_PATH];                                                  \
        fnl_storage *st = NULL;                                             \
        CHECK(td_make(dir, "contract") == 0);                               \
        if (open_dir(&st, dir) == FNL_OK)                                   \
            contract_##name(st);                                            \
        else                                                                \
            test_cur_failed = 1;                                            \
        fnl_storage_close(st);                                              \
        td_remove(dir);                                                     \
    }

CONTRACT_TEST(append_replay_in_order)
CONTRACT_TEST(append_rules)
CONTRACT_TEST(snapshot_roundtrip)
CONTRACT_TEST(truncate)

static int open_in(fnl_storage **out, const fnl_allocator *a, void *arg)
{
    fnl_storage_file_options o = FNL_STORAGE_FILE_OPTIONS_INIT;
    o.allocator = a;
    o.sync_policy = FNL_SYNC_NEVER;
    return fnl_storage_file_open(out, arg, &o);
}

TEST(file_allocation_failures_change_nothing_and_leak_nothing)
{
    char dir[TD_PATH];
    CHECK(td_make(dir, "oom") == 0);
    contract_oom(open_in, dir);
    td_remove(dir);
}

static void records_survive_reopen(const char *dir)
{
    fnl_storage *st = NULL;
    fnl_storage_file_info i;
    collected c;

    CHECK_OK(fill(dir, 50));
    CHECK_INT(td_size(dir, "journal"), end_of(50));
    CHECK_OK(open_dir(&st, dir));
    i = info_of(st);
    CHECK_INT(i.size, sizeof(i));
    CHECK_INT(i.records, 50);
    CHECK_INT(i.first_seq, 1);
    CHECK_INT(i.last_seq, 50);
    CHECK_INT(i.journal_bytes, end_of(50));
    CHECK_INT(i.dropped_bytes, 0);
    CHECK_INT(i.has_snapshot, 0);
    CHECK_OK(replay_all(st, 0, &c));
    CHECK(holds_range(&c, 1, 50));
    CHECK_INT(st->append(st->ctx, 50, "x", 1), FNL_EINVAL);
    CHECK_OK(append_seq(st, 51));
    fnl_storage_close(st);
    st = NULL;
    CHECK_OK(open_dir(&st, dir));
    CHECK_OK(replay_all(st, 0, &c));
    CHECK(holds_range(&c, 1, 51));
    fnl_storage_close(st);
}

TEST(file_records_survive_reopen)
{
    char dir[TD_PATH];
    CHECK(td_make(dir, "reopen") == 0);
    records_survive_reopen(dir);
    td_remove(dir);
}

static void snapshot_and_truncate_survive(const char *dir)
{
    fnl_storage *st = NULL;
    fnl_storage_file_info i;
    collected c;
    uint64_t seq = 0;

    CHECK_OK(fill(dir, 50));
    CHECK_OK(open_dir(&st, dir));
    CHECK_OK(write_snapshot(st, 30, 20000, 3000));
    CHECK_OK(st->truncate(st->ctx, 30));
    fnl_storage_close(st);
    st = NULL;
    /* the journal now holds a header and records 31..50 */
    CHECK_INT(td_size(dir, "journal"), JHDR + end_of(50) - end_of(30));
    CHECK_INT(td_size(dir, "snapshot"), 32 + 20000);
    CHECK_OK(open_dir(&st, dir));
    i = info_of(st);
    CHECK_INT(i.has_snapshot, 1);
    CHECK_INT(i.snapshot_seq, 30);
    CHECK_INT(i.records, 20);
    CHECK_INT(i.first_seq, 31);
    CHECK_INT(check_snapshot(st, 20000, 4096, &seq), 1);
    CHECK_INT(seq, 30);
    CHECK_OK(replay_all(st, seq, &c));
    CHECK(holds_range(&c, 31, 50));
    CHECK_OK(replay_all(st, 0, &c));
    CHECK(holds_range(&c, 31, 50));
    CHECK_OK(append_seq(st, 51));
    fnl_storage_close(st);
    CHECK(!td_exists(dir, "journal.tmp"));
    CHECK(!td_exists(dir, "snapshot.tmp"));
}

TEST(file_snapshot_and_truncate_survive_reopen)
{
    char dir[TD_PATH];
    CHECK(td_make(dir, "snap") == 0);
    snapshot_and_truncate_survive(dir);
    td_remove(dir);
}

static void lock_excludes(const char *dir)
{
    fnl_storage *a = NULL, *b = NULL;
    pid_t pid;
    int status = 0;

    CHECK_OK(open_dir(&a, dir));
    CHECK_INT(open_dir(&b, dir), FNL_EBUSY);
    CHECK(b == NULL);
    fflush(NULL);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        /* the child's inherited descriptor shares the parent's lock, so
         * drop it first to act as an unrelated process */
        fnl_storage_close(a);
        _exit(0);
    }
    CHECK(waitpid(pid, &status, 0) == pid);
    /* the child closed its copy: the lock is still the parent's */
    CHECK_INT(open_dir(&b, dir), FNL_EBUSY);
    fnl_storage_close(a);
    CHECK_OK(open_dir(&b, dir));
    fnl_storage_close(b);
}

TEST(file_lock_excludes_a_second_open)
{
    char dir[TD_PATH];
    CHECK(td_make(dir, "lock") == 0);
    lock_excludes(dir);
    td_remove(dir);
}

TEST(file_lock_excludes_another_process)
{
    char dir[TD_PATH];
    fnl_storage *a = NULL;
    pid_t pid;
    int status = 0;
    CHECK(td_make(dir, "lockp") == 0);
    CHECK_OK(fill(dir, 3));
    fflush(NULL);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        fnl_storage *c = NULL;
        int rc = open_dir(&c, dir);
        if (rc == FNL_OK) {
            /* hold it while the parent tries */
            sleep(1);
            fnl_storage_close(c);
        }
        _exit(rc == FNL_OK ? 0 : 1);
    }
    {
        struct timespec ts = {0, 300 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    CHECK_INT(open_dir(&a, dir), FNL_EBUSY);
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_OK(open_dir(&a, dir));
    fnl_storage_close(a);
    td_remove(dir);
}

TEST(file_create_if_missing)
{
    char dir[TD_PATH], sub[TD_PATH], err[200] = "";
    fnl_storage_file_options o = FNL_STORAGE_FILE_OPTIONS_INIT;
    fnl_storage *st = NULL;
    struct stat sb;

    CHECK(td_make(dir, "create") == 0);
    td_path(sub, dir, "store");
    o.create_if_missing = 0;
    o.errbuf = err;
    o.errbuf_size = sizeof(err);
    CHECK_INT(fnl_storage_file_open(&st, sub, &o), FNL_ENOTFOUND);
    CHECK(stat(sub, &sb) != 0);
    CHECK(err[0] != '\0');
    /* an existing directory without a store is left untouched */
    CHECK_INT(fnl_storage_file_open(&st, dir, &o), FNL_ENOTFOUND);
    CHECK(!td_exists(dir, "LOCK"));
    CHECK(!td_exists(dir, "journal"));
    /* the default creates the directory and an empty journal */
    CHECK_OK(fnl_storage_file_open(&st, sub, NULL));
    CHECK(td_exists(sub, "LOCK"));
    CHECK_INT(td_size(sub, "journal"), JHDR);
    fnl_storage_close(st);
    st = NULL;
    CHECK_OK(fnl_storage_file_open(&st, sub, &o)); /* it exists now */
    fnl_storage_close(st);
    td_remove(sub);
    td_remove(dir);
}

static int64_t fake_now(void *ctx)
{
    return *(int64_t *)ctx;
}

TEST(file_options_are_checked)
{
    char dir[TD_PATH];
    fnl_storage_file_options o;
    fnl_storage *st = NULL, *mem = NULL;
    fnl_storage_file_info i;
    fnl_clock clk = {FNL_CLOCK_VERSION + 1, NULL, fake_now};
    struct small { uint32_t size; uint32_t sync_policy; } sm;

    CHECK(td_make(dir, "opts") == 0);
    CHECK_INT(fnl_storage_file_options_init(NULL, sizeof(o)), FNL_EINVAL);
    CHECK_INT(fnl_storage_file_options_init(&o, 2), FNL_EINVAL);
    memset(&o, 0x5a, sizeof(o));
    CHECK_OK(fnl_storage_file_options_init(&o, sizeof(o)));
    CHECK_INT(o.size, sizeof(o));
    CHECK_INT(o.sync_policy, FNL_SYNC_EVERY_RECORD);
    CHECK_INT(o.create_if_missing, 1);
    CHECK(o.allocator == NULL && o.clock == NULL && o.errbuf == NULL);

    CHECK_INT(fnl_storage_file_open(NULL, dir, NULL), FNL_EINVAL);
    CHECK_INT(fnl_storage_file_open(&st, NULL, NULL), FNL_EINVAL);
    CHECK_INT(fnl_storage_file_open(&st, "", NULL), FNL_EINVAL);
    o.sync_policy = 3;
    CHECK_INT(fnl_storage_file_open(&st, dir, &o), FNL_EINVAL);
    o.sync_policy = FNL_SYNC_INTERVAL;
    CHECK_INT(fnl_storage_file_open(&st, dir, &o), FNL_EINVAL);
    o.sync_every_ms = 10;
    o.clock = &clk;
    CHECK_INT(fnl_storage_file_open(&st, dir, &o), FNL_EVERSION);
    clk.version = 0;
    CHECK_INT(fnl_storage_file_open(&st, dir, &o), FNL_EINVAL);
    o.clock = NULL;
    o.recovery = 2;
    CHECK_INT(fnl_storage_file_open(&st, dir, &o), FNL_EINVAL);
    o.size = 2;
    CHECK_INT(fnl_storage_file_open(&st, dir, &o), FNL_EINVAL);
    CHECK(st == NULL);
    CHECK(!td_exists(dir, "journal"));

    /* an older, shorter struct gets defaults for what it lacks */
    sm.size = sizeof(sm);
    sm.sync_policy = FNL_SYNC_NEVER;
    CHECK_OK(fnl_storage_file_open(&st, dir,
                                   (const fnl_storage_file_options *)&sm));
    CHECK_OK(append_seq(st, 1));
    CHECK_OK(st->sync(st->ctx));
    i = info_of(st);
    CHECK_INT(i.syncs, 0); /* FNL_SYNC_NEVER was read */

    /* stats and errmsg know a file store from another storage */
    CHECK_OK(fnl_storage_mem_open(&mem, NULL));
    CHECK_INT(fnl_storage_file_stats(mem, &i), FNL_EINVAL);
    CHECK_INT(fnl_storage_file_stats(NULL, &i), FNL_EINVAL);
    CHECK_INT(fnl_storage_file_stats(st, NULL), FNL_EINVAL);
    CHECK_STR(fnl_storage_file_errmsg(mem), "");
    CHECK_STR(fnl_storage_file_errmsg(NULL), "");
    CHECK_OK(fnl_storage_file_info_init(&i, sizeof(i)));
    CHECK_INT(i.size, sizeof(i));
    {
        /* a caller with a shorter struct gets only what fits */
        struct { uint32_t size; uint64_t dropped_bytes; uint64_t guard; } old;
        old.size = (uint32_t)(offsetof(fnl_storage_file_info, dropped_bytes) +
                              sizeof(uint64_t));
        old.guard = 0x1234;
        CHECK_OK(fnl_storage_file_stats(st, (fnl_storage_file_info *)&old));
        CHECK_INT(old.guard, 0x1234);
    }
    fnl_storage_close(mem);
    fnl_storage_close(st);
    td_remove(dir);
}

TEST(file_sync_policies)
{
    char dir[TD_PATH];
    fnl_storage_file_options o = FNL_STORAGE_FILE_OPTIONS_INIT;
    fnl_storage *st = NULL;
    int64_t now = 1000;
    fnl_clock clk = {FNL_CLOCK_VERSION, NULL, fake_now};
    uint64_t s;

    clk.ctx = &now;
    CHECK(td_make(dir, "sync") == 0);
    /* every record: one sync per append, sync() has nothing left */
    CHECK_OK(fnl_storage_file_open(&st, dir, &o));
    for (s = 1; s <= 20; s++)
        CHECK_OK(append_seq(st, s));
    CHECK_INT(info_of(st).syncs, 20);
    CHECK_OK(st->sync(st->ctx));
    CHECK_INT(info_of(st).syncs, 20);
    fnl_storage_close(st);

    /* every 10 records */
    o.sync_policy = FNL_SYNC_INTERVAL;
    o.sync_every_records = 10;
    CHECK_OK(fnl_storage_file_open(&st, dir, &o));
    for (s = 21; s <= 115; s++)
        CHECK_OK(append_seq(st, s));
    CHECK_INT(info_of(st).syncs, 9);
    CHECK_OK(st->sync(st->ctx));
    CHECK_INT(info_of(st).syncs, 10);
    CHECK_OK(st->sync(st->ctx));
    CHECK_INT(info_of(st).syncs, 10);
    fnl_storage_close(st);

    /* every 100 ms of the host's clock */
    o.sync_every_records = 0;
    o.sync_every_ms = 100;
    o.clock = &clk;
    CHECK_OK(fnl_storage_file_open(&st, dir, &o));
    CHECK_OK(append_seq(st, 116));
    now += 99;
    CHECK_OK(append_seq(st, 117));
    CHECK_INT(info_of(st).syncs, 0);
    now += 1;
    CHECK_OK(append_seq(st, 118));
    CHECK_INT(info_of(st).syncs, 1);
    now += 50;
    CHECK_OK(append_seq(st, 119));
    CHECK_INT(info_of(st).syncs, 1);
    now += 50;
    CHECK_OK(append_seq(st, 120));
    CHECK_INT(info_of(st).syncs, 2);
    fnl_storage_close(st);

    /* never */
    o.sync_policy = FNL_SYNC_NEVER;
    o.clock = NULL;
    CHECK_OK(fnl_storage_file_open(&st, dir, &o));
    for (s = 121; s <= 150; s++)
        CHECK_OK(append_seq(st, s));
    CHECK_OK(st->sync(st->ctx));
    CHECK_INT(info_of(st).syncs, 0);
    fnl_storage_close(st);
    st = NULL;
    {
        collected c;
        CHECK_OK(open_dir(&st, dir));
        CHECK_OK(replay_all(st, 0, &c));
        CHECK(holds_range(&c, 1, 150));
        fnl_storage_close(st);
    }
    td_remove(dir);
}

/* Write bytes as the journal of an otherwise empty store directory. */
static int plant_journal(const char *dir, const unsigned char *b, size_t n)
{
    td_clear(dir);
    return td_write(dir, "journal", b, n);
}

static void torn_tail_every_length(const char *src, const char *dst)
{
    unsigned char *orig;
    size_t size, cut;
    const uint64_t n = 12;

    CHECK_OK(fill(src, n));
    orig = td_read(src, "journal", &size);
    CHECK(orig != NULL);
    if (size != end_of(n)) {
        free(orig);
        CHECK_INT(size, end_of(n));
    }
    for (cut = 0; cut <= size; cut++) {
        fnl_storage *st = NULL;
        fnl_storage_file_info i;
        collected c;
        uint64_t k = 0, good;
        int rc;

        while (k < n && end_of(k + 1) <= cut)
            k++;
        good = cut < JHDR ? JHDR : end_of(k);
        if (plant_journal(dst, orig, cut) != 0 ||
            (rc = open_dir(&st, dst)) != FNL_OK) {
            fprintf(stderr, "cut %zu: open failed\n", cut);
            test_cur_failed = 1;
            break;
        }
        i = info_of(st);
        rc = replay_all(st, 0, &c);
        fnl_storage_close(st);
        if (rc != FNL_OK || !holds_range(&c, 1, k) ||
            i.dropped_bytes != cut - (cut < JHDR ? 0 : good) ||
            i.dropped_records != (cut > good ? 1u : 0u) ||
            i.records != k ||
            td_size(dst, "journal") != (long)good) {
            fprintf(stderr, "cut %zu: %zu records, dropped %llu bytes %llu "
                    "records, journal %ld bytes\n", cut, c.n,
                    (unsigned long long)i.dropped_bytes,
                    (unsigned long long)i.dropped_records,
                    td_size(dst, "journal"));
            test_cur_failed = 1;
            break;
        }
    }
    free(orig);
}

TEST(file_torn_tail_at_every_length_keeps_the_complete_records)
{
    char a[TD_PATH], b[TD_PATH];
    CHECK(td_make(a, "torn") == 0);
    CHECK(td_make(b, "torncopy") == 0);
    torn_tail_every_length(a, b);
    td_remove(a);
    td_remove(b);
}

static void bit_flips_in_last_record(const char *src, const char *dst)
{
    unsigned char *orig;
    size_t size, bit;
    const uint64_t n = 12; /* record 12 has 22 bytes of payload */
    uint64_t start = end_of(n - 1);

    CHECK_OK(fill(src, n));
    orig = td_read(src, "journal", &size);
    CHECK(orig != NULL);
    for (bit = start * 8; bit < size * 8; bit++) {
        fnl_storage *st = NULL;
        fnl_storage_file_info i;
        collected c;
        int rc;

        orig[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        rc = plant_journal(dst, orig, size);
        orig[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        if (rc == 0)
            rc = open_dir(&st, dst);
        if (rc != FNL_OK) {
            fprintf(stderr, "bit %zu: open gave %d\n", bit, rc);
            test_cur_failed = 1;
            break;
        }
        i = info_of(st);
        rc = replay_all(st, 0, &c);
        fnl_storage_close(st);
        if (rc != FNL_OK || !holds_range(&c, 1, n - 1) ||
            i.dropped_bytes != size - start || i.dropped_records != 1 ||
            i.dropped_offset != start) {
            fprintf(stderr, "bit %zu: %zu records, dropped %llu bytes\n",
                    bit, c.n, (unsigned long long)i.dropped_bytes);
            test_cur_failed = 1;
            break;
        }
    }
    free(orig);
    CHECK_INT(size - start, RHDR + 22);
}

TEST(file_bit_flips_in_the_last_record_drop_it_and_report_it)
{
    char a[TD_PATH], b[TD_PATH];
    CHECK(td_make(a, "flip") == 0);
    CHECK(td_make(b, "flipcopy") == 0);
    bit_flips_in_last_record(a, b);
    td_remove(a);
    td_remove(b);
}

static void damage_in_the_middle(const char *dir)
{
    unsigned char *orig;
    size_t size;
    char err[300] = "", want[64];
    fnl_storage *st = NULL;
    fnl_storage_file_info i;
    collected c;
    uint64_t at = end_of(4); /* record 5 starts here */

    CHECK_OK(fill(dir, 12));
    orig = td_read(dir, "journal", &size);
    CHECK(orig != NULL);
    orig[at + RHDR + 3] ^= 0x40; /* a payload byte of record 5 */
    CHECK(plant_journal(dir, orig, size) == 0);
    free(orig);
    CHECK_INT(open_with(&st, dir, FNL_RECOVER_STRICT, err, sizeof(err)),
              FNL_ECORRUPT);
    snprintf(want, sizeof(want), "byte offset %llu,", (unsigned long long)at);
    CHECK(strstr(err, want) != NULL);
    CHECK_INT(td_size(dir, "journal"), size); /* nothing was cut */
    CHECK_OK(open_with(&st, dir, FNL_RECOVER_TRUNCATE, err, sizeof(err)));
    i = info_of(st);
    CHECK_INT(i.dropped_offset, at);
    CHECK_INT(i.dropped_bytes, size - at);
    CHECK_INT(i.dropped_records, 8); /* the damaged one and 6..12 */
    CHECK(strstr(fnl_storage_file_errmsg(st), "cut") != NULL);
    CHECK_OK(replay_all(st, 0, &c));
    CHECK(holds_range(&c, 1, 4));
    CHECK_OK(append_seq(st, 5));
    fnl_storage_close(st);
    CHECK_INT(td_size(dir, "journal"), end_of(5));
}

TEST(file_damage_before_valid_records_is_corrupt_unless_asked_to_cut)
{
    char dir[TD_PATH];
    CHECK(td_make(dir, "mid") == 0);
    damage_in_the_middle(dir);
    td_remove(dir);
}

static void header_damage(const char *dir)
{
    unsigned char *orig;
    size_t size;
    fnl_storage *st = NULL;
    unsigned char h[JHDR];

    CHECK_OK(fill(dir, 3));
    orig = td_read(dir, "journal", &size);
    CHECK(orig != NULL);
    orig[9] ^= 1; /* the base seq */
    CHECK(plant_journal(dir, orig, size) == 0);
    orig[9] ^= 1;
    CHECK_INT(open_dir(&st, dir), FNL_ECORRUPT);
    /* a newer format version with a valid checksum */
    memcpy(h, orig, JHDR);
    h[4] = 2;
    h[20] = (unsigned char)fnli_crc32c(0, h, 20);
    h[21] = (unsigned char)(fnli_crc32c(0, h, 20) >> 8);
    h[22] = (unsigned char)(fnli_crc32c(0, h, 20) >> 16);
    h[23] = (unsigned char)(fnli_crc32c(0, h, 20) >> 24);
    CHECK(plant_journal(dir, h, JHDR) == 0);
    CHECK_INT(open_dir(&st, dir), FNL_EVERSION);
    CHECK(plant_journal(dir, (const unsigned char *)"not a journal at all, "
                        "just some text", 36) == 0);
    CHECK_INT(open_dir(&st, dir), FNL_ECORRUPT);
    CHECK(plant_journal(dir, (const unsigned char *)"FNLX", 4) == 0);
    CHECK_INT(open_dir(&st, dir), FNL_ECORRUPT);
    /* the original still opens */
    CHECK(plant_journal(dir, orig, size) == 0);
    free(orig);
    CHECK_OK(open_dir(&st, dir));
    fnl_storage_close(st);
}

TEST(file_damaged_or_newer_journal_header_is_refused)
{
    char dir[TD_PATH];
    CHECK(td_make(dir, "hdr") == 0);
    header_damage(dir);
    td_remove(dir);
}

static void snapshot_damage(const char *dir)
{
    fnl_storage *st = NULL;
    unsigned char *snap;
    size_t size;
    uint64_t seq;
    void *r = NULL;

    CHECK_OK(fill(dir, 10));
    CHECK_OK(open_dir(&st, dir));
    CHECK_OK(write_snapshot(st, 10, 5000, 1000));
    CHECK_OK(st->truncate(st->ctx, 10));
    fnl_storage_close(st);
    st = NULL;
    snap = td_read(dir, "snapshot", &size);
    CHECK(snap != NULL);
    snap[32 + 4321] ^= 0x08; /* payload: open works, reading is refused */
    CHECK(td_write(dir, "snapshot", snap, size) == 0);
    CHECK_OK(open_dir(&st, dir));
    CHECK_INT(st->snapshot_open(st->ctx, &seq, &r), FNL_ECORRUPT);
    fnl_storage_close(st);
    st = NULL;
    snap[32 + 4321] ^= 0x08;
    snap[12] ^= 0x01; /* header */
    CHECK(td_write(dir, "snapshot", snap, size) == 0);
    CHECK_INT(open_dir(&st, dir), FNL_ECORRUPT);
    snap[12] ^= 0x01;
    CHECK(td_write(dir, "snapshot", snap, size - 1) == 0); /* short */
    CHECK_INT(open_dir(&st, dir), FNL_ECORRUPT);
    CHECK(td_write(dir, "snapshot", snap, size) == 0);
    free(snap);
    CHECK_OK(open_dir(&st, dir));
    CHECK_INT(check_snapshot(st, 5000, 999, &seq), 1);
    fnl_storage_close(st);
    st = NULL;
    /* records up to 10 were dropped: without the snapshot they are lost,
     * which open reports instead of starting from nothing */
    CHECK(unlink_in(dir, "snapshot") == 0);
    CHECK_INT(open_dir(&st, dir), FNL_ECORRUPT);
}

TEST(file_damaged_snapshot_is_refused)
{
    char dir[TD_PATH];
    CHECK(td_make(dir, "snapdmg") == 0);
    snapshot_damage(dir);
    td_remove(dir);
}

TEST(file_leftover_temporaries_are_removed)
{
    char dir[TD_PATH];
    fnl_storage *st = NULL;
    collected c;
    CHECK(td_make(dir, "tmp") == 0);
    CHECK_OK(fill(dir, 5));
    CHECK(td_write(dir, "journal.tmp", "half a journal", 14) == 0);
    CHECK(td_write(dir, "snapshot.tmp", "half a snapshot", 15) == 0);
    CHECK_OK(open_dir(&st, dir));
    CHECK(!td_exists(dir, "journal.tmp"));
    CHECK(!td_exists(dir, "snapshot.tmp"));
    CHECK_OK(replay_all(st, 0, &c));
    CHECK(holds_range(&c, 1, 5));
    fnl_storage_close(st);
    td_remove(dir);
}

typedef struct big_check {
    size_t n;
    int bad;
} big_check;

static size_t big_len(uint64_t seq)
{
    static const size_t lens[] = {10, 200000, 65536 - 16, 65536 - 15,
                                  1u << 20, 0, 300};
    return lens[(seq - 1) % 7];
}

static int big_fn(void *arg, uint64_t seq, const void *rec, size_t len)
{
    big_check *b = arg;
    const unsigned char *p = rec;
    size_t i;
    if (len != big_len(seq))
        b->bad = 1;
    for (i = 0; i < len && !b->bad; i++)
        if (p[i] != (unsigned char)(i * 7 + seq))
            b->bad = 1;
    b->n++;
    return 0;
}

static void big_records(const char *dir)
{
    fnl_storage *st = NULL;
    unsigned char *buf = malloc(1u << 20);
    big_check b = {0, 0};
    uint64_t s;
    size_t i;

    CHECK(buf != NULL);
    if (open_dir(&st, dir) != FNL_OK) {
        free(buf);
        CHECK(0);
    }
    for (s = 1; s <= 7; s++) {
        for (i = 0; i < big_len(s); i++)
            buf[i] = (unsigned char)(i * 7 + s);
        if (st->append(st->ctx, s, buf, big_len(s)) != FNL_OK)
            test_cur_failed = 1;
    }
    free(buf);
    fnl_storage_close(st);
    st = NULL;
    CHECK(!test_cur_failed);
    CHECK_OK(open_dir(&st, dir));
    CHECK_OK(st->replay(st->ctx, 0, big_fn, &b));
    fnl_storage_close(st);
    CHECK_INT(b.n, 7);
    CHECK_INT(b.bad, 0);
}

TEST(file_records_larger_than_a_buffer_roundtrip)
{
    char dir[TD_PATH];
    CHECK(td_make(dir, "big") == 0);
    big_records(dir);
    td_remove(dir);
}

static int open_io(fnl_storage **out, const char *dir, faultio *f)
{
    fnli_file_io io;
    faultio_init(f, &io);
    return fnli_storage_file_open_io(out, dir, NULL, &io);
}

static void failed_write_rolls_back(const char *dir)
{
    faultio f;
    fnl_storage *st = NULL;
    collected c;
    uint64_t s;

    CHECK_OK(open_io(&st, dir, &f));
    for (s = 1; s <= 5; s++)
        CHECK_OK(append_seq(st, s));
    f.torn = 1;
    faultio_arm(&f, 0); /* the pwrite of the next append */
    CHECK_INT(append_seq(st, 6), FNL_EIO);
    CHECK_INT(f.fired, 1);
    CHECK(strstr(fnl_storage_file_errmsg(st), "write journal") != NULL);
    CHECK_INT(info_of(st).failed, 0);
    CHECK_INT(td_size(dir, "journal"), end_of(5)); /* half frame removed */
    CHECK_OK(append_seq(st, 6));
    CHECK_OK(append_seq(st, 7));
    fnl_storage_close(st);
    st = NULL;
    CHECK_INT(f.open_fds, 0);
    CHECK_OK(open_dir(&st, dir));
    CHECK_INT(info_of(st).dropped_bytes, 0);
    CHECK_OK(replay_all(st, 0, &c));
    CHECK(holds_range(&c, 1, 7));
    fnl_storage_close(st);
}

TEST(file_failed_write_is_rolled_back_and_the_store_goes_on)
{
    char dir[TD_PATH];
    CHECK(td_make(dir, "wfail") == 0);
    failed_write_rolls_back(dir);
    td_remove(dir);
}

static void failed_fsync_fails_the_store(const char *dir)
{
    faultio f;
    fnl_storage *st = NULL;
    collected c;
    void *w = NULL;
    uint64_t s;

    CHECK_OK(open_io(&st, dir, &f));
    for (s = 1; s <= 5; s++)
        CHECK_OK(append_seq(st, s));
    faultio_arm(&f, 1); /* pwrite succeeds, the fsync after it fails */
    CHECK_INT(append_seq(st, 6), FNL_EIO);
    CHECK_INT(f.fired, 1);
    CHECK(strstr(fnl_storage_file_errmsg(st), "sync journal") != NULL);
    CHECK_INT(info_of(st).failed, 1);
    CHECK_INT(append_seq(st, 7), FNL_EIO);
    CHECK_INT(st->sync(st->ctx), FNL_EIO);
    CHECK_INT(st->snapshot_begin(st->ctx, 5, &w), FNL_EIO);
    CHECK_INT(st->truncate(st->ctx, 0), FNL_EIO);
    CHECK_OK(replay_all(st, 0, &c)); /* reading still works */
    fnl_storage_close(st);
    st = NULL;
    CHECK_INT(f.open_fds, 0);
    /* reopening recovers what reached the file: the record whose sync
     * failed was written, so it is there */
    CHECK_OK(open_dir(&st, dir));
    CHECK_INT(info_of(st).failed, 0);
    CHECK_OK(replay_all(st, 0, &c));
    CHECK(holds_range(&c, 1, 6));
    fnl_storage_close(st);
}

TEST(file_failed_fsync_fails_the_store_until_reopened)
{
    char dir[TD_PATH];
    CHECK(td_make(dir, "sfail") == 0);
    failed_fsync_fails_the_store(dir);
    td_remove(dir);
}

int main(void)
{
    RUN(file_append_replay_in_order);
    RUN(file_append_rules);
    RUN(file_snapshot_roundtrip);
    RUN(file_truncate);
    RUN(file_allocation_failures_change_nothing_and_leak_nothing);
    RUN(file_records_survive_reopen);
    RUN(file_snapshot_and_truncate_survive_reopen);
    RUN(file_lock_excludes_a_second_open);
    RUN(file_lock_excludes_another_process);
    RUN(file_create_if_missing);
    RUN(file_options_are_checked);
    RUN(file_sync_policies);
    RUN(file_torn_tail_at_every_length_keeps_the_complete_records);
    RUN(file_bit_flips_in_the_last_record_drop_it_and_report_it);
    RUN(file_damage_before_valid_records_is_corrupt_unless_asked_to_cut);
    RUN(file_damaged_or_newer_journal_header_is_refused);
    RUN(file_damaged_snapshot_is_refused);
    RUN(file_leftover_temporaries_are_removed);
    RUN(file_records_larger_than_a_buffer_roundtrip);
    RUN(file_failed_write_is_rolled_back_and_the_store_goes_on);
    RUN(file_failed_fsync_fails_the_store_until_reopened);
    TEST_MAIN_END();
}
