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
#include "../failalloc.h"
#include "../teststore.h"
#include "../test.h"
#include "../workload.h"
#include "../data/touch_v1_store.h"
#include "../data/stages_v1_store.h"
#include "crc32c.h"
#include "engine.h"
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

/* ---- deal attributes and owner records ----------------------------------- */

static fnl_attr p_sattr(const char *name, const char *v)
{
    fnl_attr a;
    a.name = name;
    a.type = FNL_ATTR_STRING;
    a.str = v;
    a.num = 0;
    return a;
}

static int p_owner(fnl_engine *e, const char *name, const char *manager,
                   const char *office, int64_t t)
{
    fnl_owner_update u = FNL_OWNER_UPDATE_INIT;
    fnl_attr a[2];
    a[0] = p_sattr("manager", manager);
    a[1] = p_sattr("office", office);
    if (office == NULL)
        a[1].type = FNL_ATTR_UNSET;
    u.name = name;
    u.attrs = a;
    u.attr_count = 2;
    u.time = t;
    return fnl_owner_upsert(e, &u);
}

static int p_deal(fnl_engine *e, const char *id, const char *owner,
                  const char *product, double seats, int64_t created)
{
    fnl_deal_update u = FNL_DEAL_UPDATE_INIT;
    fnl_attr a[2];
    a[0] = p_sattr("product", product);
    if (product == NULL)
        a[0].type = FNL_ATTR_UNSET;
    a[1].name = "seats";
    a[1].type = FNL_ATTR_NUMBER;
    a[1].str = NULL;
    a[1].num = seats;
    u.id = id;
    u.owner = owner;
    u.created = created;
    u.attrs = a;
    u.attr_count = 2;
    return fnl_deal_upsert(e, &u, NULL);
}

/* Owners, deal attributes set, replaced and removed, between workload
 * steps that create, merge and forget contacts. */
static int owners_workload(fnl_engine *e, uint64_t seed)
{
    int rc = 0;
    wl_run(e, seed, 60);
    rc |= p_owner(e, "Mia", "Cara Losch", "East", 1000);
    rc |= p_owner(e, "Bo", "Rocco Neubert", "West", 1000);
    rc |= p_deal(e, "OPP-1", "Mia", "GTX Pro", 12, 2000);
    rc |= p_deal(e, "OPP-2", "Bo", "MG Special", 3, 2100);
    wl_run(e, seed + 1, 40);
    rc |= p_owner(e, "Mia", "Summer Sewald", NULL, 3000); /* move, unset */
    rc |= p_deal(e, "OPP-1", NULL, "GTX Basic", 14, FNL_TIME_NOW);
    rc |= p_deal(e, "OPP-3", "Zed", NULL, 1, 2200); /* owner w/o record */
    rc |= p_owner(e, "Zed", "Cara Losch", "East", 500);
    return rc;
}

TEST(deal_attributes_and_owners_replay_and_snapshot_identically)
{
    teststore ts;
    fnl_engine *a, *b;
    char *da, *db;
    ts_init(&ts);
    a = open_on(&ts.table, NULL);
    CHECK(a != NULL);
    CHECK_OK(owners_workload(a, 21));
    da = dump_engine(a);
    CHECK(strstr(da, "owner Mia created=1000 attrs=1\n"
                     "  attr manager=Summer Sewald\n") != NULL);
    CHECK(strstr(da, "deal-attrs OPP-1 (2)\n  attr product=GTX Basic\n"
                     "  attr seats=14\n") != NULL);
    /* journal only */
    b = open_on(&ts.table, NULL);
    CHECK(b != NULL);
    db = dump_engine(b);
    CHECK_STR(db, da);
    free(db);
    fnl_engine_close(b);
    /* snapshot only, then snapshot plus a tail that changes both again */
    CHECK_OK(fnl_engine_checkpoint(a));
    b = open_on(&ts.table, NULL);
    CHECK(b != NULL);
    db = dump_engine(b);
    CHECK_STR(db, da);
    free(db);
    fnl_engine_close(b);
    CHECK_OK(p_owner(a, "Bo", "Cara Losch", "North", 5000));
    CHECK_OK(p_deal(a, "OPP-2", "Mia", NULL, 4, FNL_TIME_NOW));
    CHECK_OK(p_owner(a, "New", "Dan", "South", 6000));
    free(da);
    da = dump_engine(a);
    b = open_on(&ts.table, NULL);
    CHECK(b != NULL);
    db = dump_engine(b);
    CHECK_STR(db, da);
    free(db);
    /* a snapshot of the reloaded state reloads too */
    fnl_engine_close(a);
    a = NULL;
    CHECK_OK(fnl_engine_checkpoint(b));
    fnl_engine_close(b);
    b = open_on(&ts.table, NULL);
    CHECK(b != NULL);
    db = dump_engine(b);
    CHECK_STR(db, da);
    free(db);
    free(da);
    fnl_engine_close(b);
    ts_free(&ts);
}

/* The DEAL record as it was encoded before deals had attributes: a copy
 * of that encoder, kept here so the format stays readable. */
static void old_w_uv(unsigned char **p, uint64_t v)
{
    do {
        unsigned char b = (unsigned char)(v & 0x7f);
        v >>= 7;
        *(*p)++ = (unsigned char)(b | (v ? 0x80 : 0));
    } while (v);
}

static void old_w_sv(unsigned char **p, int64_t v)
{
    uint64_t u = (uint64_t)v;
    old_w_uv(p, (u << 1) ^ (uint64_t)-(int64_t)(u >> 63));
}

static void old_w_str(unsigned char **p, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    old_w_uv(p, s ? n + 1 : 0);
    memcpy(*p, s ? s : "", n);
    *p += n;
}

static size_t old_deal_record(unsigned char *buf, const char *id,
                              const char *account, const char *stage,
                              const char *owner, int64_t amount,
                              int64_t created, int64_t closed,
                              const char cur[3], uint32_t status)
{
    unsigned char *p = buf;
    *p++ = 4; /* REC_DEAL */
    *p++ = 1; /* record format version */
    *p++ = 0; /* precedence: latest */
    old_w_str(&p, id);
    old_w_str(&p, account);
    old_w_str(&p, stage);
    old_w_str(&p, owner);
    old_w_uv(&p, 0); /* no contacts */
    old_w_sv(&p, amount);
    old_w_sv(&p, created);
    old_w_sv(&p, closed);
    old_w_uv(&p, cur ? (uint32_t)(unsigned char)cur[0] |
                           (uint32_t)(unsigned char)cur[1] << 8 |
                           (uint32_t)(unsigned char)cur[2] << 16
                     : 0);
    old_w_uv(&p, status);
    return (size_t)(p - buf);
}

TEST(deal_records_of_the_first_format_replay_as_before)
{
    teststore ts;
    fnl_engine *a;
    fnl_deal_update u = FNL_DEAL_UPDATE_INIT;
    fnl_attr at = {"product", FNL_ATTR_STRING, "GTX", 0};
    unsigned char rec[256];
    size_t n;
    fnl_deal_id d;
    fnl_deal_info di;
    ts_init(&ts);
    /* a journal written before attributes: two records, an update */
    n = old_deal_record(rec, "OPP-OLD", "acme.com", "Engaging", "Mia",
                        1200000, 1000, 0, "EUR", FNL_DEAL_OPEN);
    CHECK_OK(ts_append(&ts, 1, rec, n));
    n = old_deal_record(rec, "OPP-OLD", NULL, NULL, NULL, 1200000, 1000,
                        9000, NULL, FNL_DEAL_WON);
    CHECK_OK(ts_append(&ts, 2, rec, n));
    a = open_on(&ts.table, NULL);
    CHECK(a != NULL);
    CHECK_OK(fnl_deal_find(a, "OPP-OLD", &d));
    memset(&di, 0, sizeof(di));
    di.size = sizeof(di);
    CHECK_OK(fnl_deal_get(a, d, &di));
    CHECK_INT(di.amount, 1200000);
    CHECK_STR(di.currency, "EUR");
    CHECK_STR(di.stage, "Engaging");
    CHECK_STR(di.owner, "Mia");
    CHECK_INT(di.status, FNL_DEAL_WON);
    CHECK_INT(di.closed, 9000);
    CHECK_INT(di.attr_count, 0);
    CHECK(di.account != 0);
    /* a deal update without attributes is still written in the first
     * format, byte for byte */
    u.id = "OPP-NEW";
    u.account = "acme.com";
    u.stage = "Engaging";
    u.owner = "Mia";
    u.amount = 5;
    u.currency = "EUR";
    u.created = 2000;
    CHECK_OK(fnl_deal_upsert(a, &u, NULL));
    CHECK_INT(ts.nrecs, 3);
    n = old_deal_record(rec, "OPP-NEW", "acme.com", "Engaging", "Mia", 5,
                        2000, 0, "EUR", FNL_DEAL_OPEN);
    CHECK_INT(ts.recs[2].n, n);
    CHECK(memcmp(ts.recs[2].p, rec, n) == 0);
    /* with attributes, the record is the first format plus a tail */
    u.attrs = &at;
    u.attr_count = 1;
    u.created = FNL_TIME_NOW;
    CHECK_OK(fnl_deal_upsert(a, &u, NULL));
    CHECK_INT(ts.nrecs, 4);
    CHECK(ts.recs[3].n > n);
    CHECK(memcmp(ts.recs[3].p, rec, n) == 0);
    fnl_engine_close(a);
    /* a tail that is not a whole attribute list is refused */
    ts.recs[3].n -= 1;
    {
        int rc;
        CHECK(open_on(&ts.table, &rc) == NULL);
        CHECK_INT(rc, FNL_ECORRUPT);
    }
    ts.recs[3].n += 1;
    a = open_on(&ts.table, NULL);
    CHECK(a != NULL);
    CHECK_OK(fnl_deal_find(a, "OPP-NEW", &d));
    CHECK_OK(fnl_deal_get(a, d, &di));
    CHECK_INT(di.attr_count, 1);
    fnl_engine_close(a);
    ts_free(&ts);
}

/* ---- snapshot frames, as the tests see them ------------------------------ */

typedef struct pframe {
    uint32_t section;
    size_t off;   /* of the payload */
    size_t len;
} pframe;

static uint32_t p_get32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
           (uint32_t)b[3] << 24;
}

static size_t p_frames(const teststore *ts, pframe *out, size_t cap)
{
    size_t pos = 32, n = 0;
    while (pos + 20 <= ts->snap_n && n < cap) {
        out[n].section = p_get32(ts->snap + pos);
        out[n].len = p_get32(ts->snap + pos + 12);
        out[n].off = pos + 20;
        pos += 20 + out[n].len;
        n++;
    }
    return n;
}

static void p_fix_crc(teststore *ts, const pframe *f)
{
    uint32_t crc = fnli_crc32c(0, ts->snap + f->off, f->len);
    unsigned char *h = ts->snap + f->off - 4;
    h[0] = (unsigned char)crc, h[1] = (unsigned char)(crc >> 8);
    h[2] = (unsigned char)(crc >> 16), h[3] = (unsigned char)(crc >> 24);
}

enum { P_S_STAGES = 14, P_S_END = 15, P_S_OWNERS = 16, P_S_DEAL_ATTRS = 17 };

TEST(owner_and_deal_attribute_sections_are_written_only_when_needed)
{
    teststore ts;
    fnl_engine *a;
    pframe f[256];
    size_t n, i, owners = 0, dattrs = 0;
    ts_init(&ts);
    a = open_on(&ts.table, NULL);
    wl_run(a, 31, 80);
    CHECK_OK(fnl_engine_checkpoint(a));
    n = p_frames(&ts, f, 256);
    for (i = 0; i < n; i++)
        CHECK(f[i].section <= P_S_END); /* the first format's sections */
    CHECK_INT(f[n - 1].section, P_S_END);
    CHECK_OK(owners_workload(a, 32));
    CHECK_OK(fnl_engine_checkpoint(a));
    n = p_frames(&ts, f, 256);
    for (i = 0; i < n; i++) {
        owners += f[i].section == P_S_OWNERS;
        dattrs += f[i].section == P_S_DEAL_ATTRS;
        if (f[i].section == P_S_OWNERS)
            CHECK(i + 2 < n && f[i + 1].section == P_S_DEAL_ATTRS &&
                  f[i + 2].section == P_S_END);
    }
    CHECK_INT(owners, 1);
    CHECK_INT(dattrs, 1);
    fnl_engine_close(a);
    ts_free(&ts);
}

/* A snapshot of: owners "Mia" and "Bo" (in that order), deals D1 and D2
 * with attributes, nothing else: every id is a one-byte varint. */
static void small_owner_snapshot(teststore *ts)
{
    fnl_engine *a;
    ts_init(ts);
    a = open_on(&ts->table, NULL);
    p_owner(a, "Mia", "Cara", "East", 1000);
    p_owner(a, "Bo", "Dan", "West", 1000);
    p_deal(a, "D1", "Mia", "GTX", 1, 2000);
    p_deal(a, "D2", "Bo", "MG", 2, 2000);
    fnl_engine_checkpoint(a);
    fnl_engine_close(a);
}

static const pframe *p_find(const pframe *f, size_t n, uint32_t section)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (f[i].section == section)
            return &f[i];
    return NULL;
}

TEST(damaged_owner_and_deal_attribute_sections_are_refused)
{
    teststore ts;
    pframe f[64];
    const pframe *ow, *da;
    unsigned char *p, saved[64];
    char err[512];
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_engine *b;
    size_t n;
    small_owner_snapshot(&ts);
    cfg.storage = &ts.table;
    cfg.errbuf = err;
    cfg.errbuf_size = sizeof(err);
    n = p_frames(&ts, f, 64);
    ow = p_find(f, n, P_S_OWNERS);
    da = p_find(f, n, P_S_DEAL_ATTRS);
    CHECK(ow != NULL && da != NULL);
    CHECK(ow->len <= sizeof(saved) && da->len <= sizeof(saved));
    /* OWNERS: total 2, first 1, n 2, then (name, attrs, created) x 2 */
    p = ts.snap + ow->off;
    CHECK_INT(p[0], 2);
    CHECK_INT(p[1], 1);
    CHECK_INT(p[2], 2);
    memcpy(saved, p, ow->len);
    {
        /* the second record's name := the first's */
        size_t r2 = 3 + 2, k = r2;
        while (p[k] & 0x80) /* skip the first record's created */
            k++;
        k++;
        p[k] = p[3];
        p_fix_crc(&ts, ow);
        CHECK_INT(fnl_engine_open(&b, &cfg), FNL_ECORRUPT);
        CHECK(strstr(err, "two owner records of one name") != NULL);
        memcpy(p, saved, ow->len);
        /* a total the frames do not reach */
        p[0] = 3;
        p_fix_crc(&ts, ow);
        CHECK_INT(fnl_engine_open(&b, &cfg), FNL_ECORRUPT);
        CHECK(strstr(err, "sections incomplete") != NULL);
        memcpy(p, saved, ow->len);
        /* an owner's attribute list shared with the other's */
        p[4 + (k - 3) - 0] = p[4];
        p_fix_crc(&ts, ow);
        CHECK_INT(fnl_engine_open(&b, &cfg), FNL_ECORRUPT);
        CHECK(strstr(err, "a list is broken") != NULL);
        memcpy(p, saved, ow->len);
        /* a name out of range */
        p[3] = 0x7f;
        p_fix_crc(&ts, ow);
        CHECK_INT(fnl_engine_open(&b, &cfg), FNL_ECORRUPT);
        CHECK(strstr(err, "bad owner record") != NULL);
        memcpy(p, saved, ow->len);
        p_fix_crc(&ts, ow);
    }
    /* DEAL_ATTRS: n 2, (deal 1, head), (deal 2, head) */
    p = ts.snap + da->off;
    CHECK_INT(da->len, 5);
    CHECK_INT(p[0], 2);
    CHECK_INT(p[1], 1);
    CHECK_INT(p[3], 2);
    memcpy(saved, p, da->len);
    p[3] = 1; /* deals must increase */
    p_fix_crc(&ts, da);
    CHECK_INT(fnl_engine_open(&b, &cfg), FNL_ECORRUPT);
    CHECK(strstr(err, "bad deal attributes") != NULL);
    memcpy(p, saved, da->len);
    p[3] = 3; /* no such deal */
    p_fix_crc(&ts, da);
    CHECK_INT(fnl_engine_open(&b, &cfg), FNL_ECORRUPT);
    memcpy(p, saved, da->len);
    p[4] = p[2]; /* two deals, one list */
    p_fix_crc(&ts, da);
    CHECK_INT(fnl_engine_open(&b, &cfg), FNL_ECORRUPT);
    CHECK(strstr(err, "a list is broken") != NULL);
    memcpy(p, saved, da->len);
    p[4] = 0; /* a deal with attributes but no list */
    p_fix_crc(&ts, da);
    CHECK_INT(fnl_engine_open(&b, &cfg), FNL_ECORRUPT);
    memcpy(p, saved, da->len);
    p[0] = 0; /* an empty frame */
    p_fix_crc(&ts, da);
    CHECK_INT(fnl_engine_open(&b, &cfg), FNL_ECORRUPT);
    memcpy(p, saved, da->len);
    p_fix_crc(&ts, da);
    /* section order: DEAL_ATTRS before OWNERS is refused */
    {
        unsigned char *h1 = ts.snap + ow->off - 20, *h2 = ts.snap + da->off - 20;
        h1[0] = P_S_DEAL_ATTRS;
        h2[0] = P_S_OWNERS;
        CHECK_INT(fnl_engine_open(&b, &cfg), FNL_ECORRUPT);
        h1[0] = P_S_OWNERS;
        h2[0] = P_S_DEAL_ATTRS;
        /* a section number past the last known one */
        h2[0] = 18;
        CHECK_INT(fnl_engine_open(&b, &cfg), FNL_ECORRUPT);
        CHECK(strstr(err, "bad frame header") != NULL);
        h2[0] = P_S_DEAL_ATTRS;
    }
    /* the repaired snapshot loads */
    CHECK_OK(fnl_engine_open(&b, &cfg));
    fnl_engine_close(b);
    ts_free(&ts);
}

/* Every single-bit change of the new sections, with checksums repaired so
 * the decoder and validator see it: refused, or loaded into a state every
 * reader can read and that checkpoints and loads again. */
TEST(bit_flips_in_owner_and_deal_attribute_sections_never_crash)
{
    teststore ts;
    pframe f[64];
    size_t n, i, k, bit, refused = 0, loaded = 0;
    small_owner_snapshot(&ts);
    n = p_frames(&ts, f, 64);
    for (i = 0; i < n; i++) {
        if (f[i].section != P_S_OWNERS && f[i].section != P_S_DEAL_ATTRS)
            continue;
        for (k = 0; k < f[i].len; k++) {
            for (bit = 0; bit < 8; bit++) {
                teststore copy;
                fnl_engine *b;
                int rc;
                ts_init(&copy);
                copy.snap = malloc(ts.snap_n);
                memcpy(copy.snap, ts.snap, ts.snap_n);
                copy.snap_n = ts.snap_n;
                copy.snap_seq = ts.snap_seq;
                copy.has_snap = 1;
                copy.snap[f[i].off + k] ^= (unsigned char)(1u << bit);
                p_fix_crc(&copy, &f[i]);
                b = open_on(&copy.table, &rc);
                CHECK(rc == FNL_OK || rc == FNL_ECORRUPT);
                if (rc == FNL_OK) {
                    char *d = dump_engine(b);
                    free(d);
                    CHECK_OK(fnl_engine_checkpoint(b));
                    fnl_engine_close(b);
                    b = open_on(&copy.table, &rc);
                    CHECK_INT(rc, FNL_OK);
                    fnl_engine_close(b);
                    loaded++;
                } else {
                    refused++;
                }
                ts_free(&copy);
            }
        }
    }
    CHECK(refused > 0);
    CHECK(loaded > 0); /* e.g. a changed `created` time is still valid */
    ts_free(&ts);
}

TEST(every_allocation_failure_loading_owners_and_deal_attributes_is_enomem)
{
    failalloc fa = {-1, 0, 0, 0, 0};
    fnl_allocator al = fa_table(&fa);
    teststore ts;
    fnl_engine *a;
    char *want;
    int pass;
    ts_init(&ts);
    a = open_on(&ts.table, NULL);
    CHECK_OK(owners_workload(a, 41));
    want = dump_engine(a);
    for (pass = 0; pass < 2; pass++) {
        long n;
        if (pass == 1) {
            /* a snapshot, plus a tail with both kinds of records */
            CHECK_OK(fnl_engine_checkpoint(a));
            CHECK_OK(p_owner(a, "Tail", "Cara", "East", 7000));
            CHECK_OK(p_deal(a, "OPP-T", "Tail", "GTX", 2, 7000));
            free(want);
            want = dump_engine(a);
        }
        for (n = 0;; n++) {
            fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
            fnl_engine *b = NULL;
            int rc;
            cfg.storage = &ts.table;
            cfg.allocator = &al;
            fa_arm(&fa, n, 1);
            rc = fnl_engine_open(&b, &cfg);
            fa_disarm(&fa);
            if (rc == FNL_OK) {
                char *got = dump_engine(b);
                CHECK_STR(got, want);
                free(got);
                fnl_engine_close(b);
                CHECK_INT(fa.outstanding, 0);
                break;
            }
            CHECK_INT(rc, FNL_ENOMEM);
            CHECK(b == NULL);
            CHECK_INT(fa.outstanding, 0);
        }
        CHECK(n > 10);
    }
    free(want);
    fnl_engine_close(a);
    ts_free(&ts);
}

/* Deal and owner attributes are not a contact's personal data: forgetting
 * a contact whose owner and attribute values they share erases the
 * contact's copy only; the strings stay in the snapshot and in memory. */
TEST(forgetting_a_contact_keeps_owner_and_deal_attribute_strings)
{
    char dir[] = "/tmp/fnl-owners-XXXXXX";
    fnl_storage *st;
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_engine *a, *b;
    fnl_contact_update u = FNL_CONTACT_UPDATE_INIT;
    fnl_key k = {"email", "quentin.private@hyrule-example.com"};
    fnl_attr at[2] = {{"tier", FNL_ATTR_STRING, "Platinum Tier", 0},
                      {"nickname", FNL_ATTR_STRING, "Quentin Q", 0}};
    fnl_attr one;
    fnl_deal_id d;
    fnl_contact_id c;
    fnl_deal_update du = FNL_DEAL_UPDATE_INIT;
    CHECK(mkdtemp(dir) != NULL);
    st = file_store(dir);
    cfg.storage = st;
    CHECK_OK(fnl_engine_open(&a, &cfg));
    u.keys = &k;
    u.key_count = 1;
    u.attrs = at;
    u.attr_count = 2;
    u.owner = "Olga Owner";
    CHECK_OK(fnl_contact_upsert(a, &u, &c));
    du.id = "OPP-Q";
    du.owner = "Olga Owner";
    du.attrs = at; /* the tier only */
    du.attr_count = 1;
    du.created = 1000;
    CHECK_OK(fnl_deal_upsert(a, &du, &d));
    CHECK_OK(p_owner(a, "Olga Owner", "Cara Losch", "East", 1000));
    CHECK_OK(fnl_contact_forget(a, c));
    CHECK_OK(fnl_engine_checkpoint(a));
    CHECK(!dir_contains(dir, "quentin.private@hyrule-example.com"));
    CHECK(!dir_contains(dir, "Quentin Q"));
    CHECK(dir_contains(dir, "Platinum Tier"));
    CHECK(dir_contains(dir, "Olga Owner"));
    CHECK(dir_contains(dir, "Cara Losch"));
    CHECK_OK(fnl_deal_attr(a, d, "tier", &one));
    CHECK_STR(one.str, "Platinum Tier");
    fnl_engine_close(a);
    fnl_storage_close(st);
    st = file_store(dir);
    cfg.storage = st;
    CHECK_OK(fnl_engine_open(&b, &cfg));
    CHECK_OK(fnl_deal_find(b, "OPP-Q", &d));
    CHECK_OK(fnl_deal_attr(b, d, "tier", &one));
    CHECK_STR(one.str, "Platinum Tier");
    CHECK_OK(fnl_owner_attr(b, "Olga Owner", "manager", &one));
    CHECK_STR(one.str, "Cara Losch");
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

/* ---- touch actors ("by") ------------------------------------------------ */

static void ts_add_recs(teststore *ts, const v1_rec *r, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        ts_append(ts, r[i].seq, r[i].p, r[i].n);
}

/* A fresh store holding these snapshot bytes (a fixture's). */
static void ts_with_snapshot(teststore *ts, const unsigned char *p, size_t n,
                             uint64_t seq)
{
    ts_init(ts);
    ts->snap = malloc(n);
    memcpy(ts->snap, p, n);
    ts->snap_n = n;
    ts->snap_seq = seq;
    ts->has_snap = 1;
}

static int bytes_contain(const unsigned char *p, size_t n, const char *s)
{
    size_t i, k = strlen(s);
    for (i = 0; i + k <= n; i++)
        if (memcmp(p + i, s, k) == 0)
            return 1;
    return 0;
}

/* An engine on storage st (NULL: none) with the fixtures' fixed clock. */
static fnl_engine *open_clocked(fnl_storage *st, const fnl_clock *clock)
{
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_engine *e = NULL;
    cfg.storage = st;
    cfg.clock = clock;
    return fnl_engine_open(&e, &cfg) == FNL_OK ? e : NULL;
}

static fnl_engine *open_v1(fnl_storage *st)
{
    return open_clocked(st, &v1_clock);
}

static int v1_by_touches(fnl_engine *e)
{
    static const fnl_key ann = {"email", "ann@acme.com"};
    fnl_touch t[2];
    t[0] = v1_touch(&ann, 1, V1_T0 + 9000, "call", "sales");
    t[0].by = "alice";
    t[1] = v1_touch(&ann, 1, V1_T0 + 9500, "call", "sales");
    t[1].by = "bo"; /* the forgotten contact's owner: a tombstone in v1 */
    return fnl_touch_add_batch(e, t, 2, NULL);
}

/* A journal and a snapshot written by 0.1.0 (tests/data): they load into
 * the state the same calls give today, without actors, and the state
 * then takes actors, checkpoints and reloads. */
TEST(journals_and_snapshots_of_0_1_load_as_before)
{
    teststore ts, nw;
    fnl_engine *old, *live;
    char *dold, *dlive;
    size_t i;
    /* the live reference: the same calls on a memory-only engine */
    live = open_v1(NULL);
    CHECK(live != NULL);
    CHECK_OK(v1_workload(live, 0));
    /* the journal alone */
    ts_init(&ts);
    ts_add_recs(&ts, v1_journal, sizeof(v1_journal) / sizeof(v1_journal[0]));
    old = open_v1(&ts.table);
    CHECK(old != NULL);
    dold = dump_engine(old);
    dlive = dump_engine(live);
    CHECK_STR(dold, dlive);
    CHECK(strstr(dold, "by=") == NULL);
    CHECK(strstr(dold, "touch 1767225606000 call sales") != NULL);
    free(dold);
    free(dlive);
    fnl_engine_close(old);
    ts_free(&ts);
    /* today's TOUCHES records for the same calls are those bytes */
    ts_init(&nw);
    old = open_v1(&nw.table);
    CHECK(old != NULL);
    CHECK_OK(v1_workload(old, 0));
    fnl_engine_close(old);
    CHECK_INT(nw.nrecs, sizeof(v1_journal) / sizeof(v1_journal[0]));
    for (i = 0; i < nw.nrecs; i++) {
        if (v1_journal[i].p[0] != 2)
            continue;
        CHECK_INT(nw.recs[i].n, v1_journal[i].n);
        CHECK(memcmp(nw.recs[i].p, v1_journal[i].p, v1_journal[i].n) == 0);
    }
    ts_free(&nw);
    /* the snapshot (which erased the forgotten contact) plus its tail */
    CHECK(!bytes_contain(v1_snapshot, sizeof(v1_snapshot),
                         "cara.private@gmail.com"));
    ts_with_snapshot(&ts, v1_snapshot, sizeof(v1_snapshot), v1_snapshot_seq);
    ts_add_recs(&ts, v1_tail, sizeof(v1_tail) / sizeof(v1_tail[0]));
    old = open_v1(&ts.table);
    CHECK(old != NULL);
    CHECK_OK(v1_workload(live, 1));
    dold = dump_engine(old);
    dlive = dump_engine(live);
    CHECK_STR(dold, dlive);
    free(dold);
    free(dlive);
    /* actors on top of the old state, journaled, then checkpointed */
    CHECK_OK(v1_by_touches(old));
    CHECK_OK(v1_by_touches(live));
    dlive = dump_engine(live);
    CHECK(strstr(dlive, "touch 1767225609000 call sales - - -/-/-/-/- 0 "
                        "by=alice\n") != NULL);
    CHECK(strstr(dlive, "touch 1767225609500 call sales - - -/-/-/-/- 0 "
                        "by=bo\n") != NULL);
    fnl_engine_close(old);
    old = open_v1(&ts.table); /* old snapshot + old tail + new record */
    CHECK(old != NULL);
    dold = dump_engine(old);
    CHECK_STR(dold, dlive);
    free(dold);
    CHECK_OK(fnl_engine_checkpoint(old));
    CHECK(bytes_contain(ts.snap, ts.snap_n, "alice"));
    fnl_engine_close(old);
    old = open_v1(&ts.table); /* the new snapshot alone */
    CHECK(old != NULL);
    dold = dump_engine(old);
    CHECK_STR(dold, dlive);
    free(dold);
    free(dlive);
    fnl_engine_close(old);
    fnl_engine_close(live);
    ts_free(&ts);
}

/* Forgetting a contact erases its keys and owner, never the actors of
 * touches: an actor names the host's side (a rep), and the name stays
 * while any touch class refers to it -- even when the forgotten
 * contact's owner had the same name. */
TEST(forgetting_a_contact_keeps_the_actors_of_touches)
{
    static const fnl_key ann = {"email", "ann@acme.com"};
    static const fnl_key zed = {"email", "zed.hidden@zeta-example.com"};
    char dir[] = "/tmp/fnl-actors-XXXXXX";
    fnl_storage *st;
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_engine *a, *b;
    fnl_contact_update u = FNL_CONTACT_UPDATE_INIT;
    fnl_touch t[3];
    fnl_touch_info ti[3];
    fnl_contact_id z, c;
    char *da, *db;
    size_t n;
    CHECK(mkdtemp(dir) != NULL);
    st = file_store(dir);
    cfg.storage = st;
    CHECK_OK(fnl_engine_open(&a, &cfg));
    u.keys = &zed;
    u.key_count = 1;
    u.owner = "ivan-the-owner";
    u.time = 10;
    CHECK_OK(fnl_contact_upsert(a, &u, &z));
    t[0] = v1_touch(&ann, 1, 100, "call", "sales");
    t[0].by = "ivan-the-owner";
    t[1] = v1_touch(&zed, 1, 200, "call", "sales");
    t[1].by = "kim-the-rep";
    t[2] = v1_touch(&ann, 1, 300, "meeting", "sales");
    CHECK_OK(fnl_touch_add_batch(a, t, 3, NULL));
    CHECK_OK(fnl_contact_forget(a, z));
    CHECK_OK(fnl_engine_checkpoint(a));
    CHECK(!dir_contains(dir, "zed.hidden@zeta-example.com"));
    CHECK(dir_contains(dir, "ivan-the-owner"));
    CHECK(dir_contains(dir, "kim-the-rep"));
    da = dump_engine(a);
    fnl_engine_close(a);
    fnl_storage_close(st);
    st = file_store(dir);
    cfg.storage = st;
    CHECK_OK(fnl_engine_open(&b, &cfg));
    db = dump_engine(b);
    CHECK_STR(db, da);
    CHECK_OK(fnl_contact_find(b, "email", "ann@acme.com", &c));
    CHECK_OK(fnl_contact_touches(b, c, ti, sizeof(ti[0]), 3, &n));
    CHECK_INT(n, 2);
    CHECK_STR(ti[0].by, "ivan-the-owner");
    CHECK(ti[1].by == NULL);
    /* the forgotten contact's touch (the 2nd) stays, anonymous, with its
     * actor; no public reader reaches it, the engine's accessor does */
    CHECK_STR(fnli_str(&b->strings, fnli_touch_by(b, 2)), "kim-the-rep");
    CHECK_STR(fnli_str(&b->strings, fnli_touch_by(b, 1)), "ivan-the-owner");
    CHECK_INT(fnli_touch_by(b, 3), 0);
    free(da);
    free(db);
    fnl_engine_close(b);
    fnl_storage_close(st);
    rm_dir(dir);
}

TEST(actors_round_trip_through_compressed_snapshots)
{
    static const fnl_key k = {"email", "ann@acme.com"};
    char dir[] = "/tmp/fnl-actorz-XXXXXX";
    fnl_storage *st;
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_engine *a, *b;
    static fnl_touch t[400];
    static char reps[400][24];
    char *da, *db;
    int i;
    CHECK(mkdtemp(dir) != NULL);
    st = file_store(dir);
    cfg.storage = st;
    cfg.snapshot_compression = 1;
    CHECK_OK(fnl_engine_open(&a, &cfg));
    wl_run(a, 21, 200);
    for (i = 0; i < 400; i++) {
        snprintf(reps[i], sizeof(reps[i]), "rep-%d", i % 50);
        t[i] = v1_touch(&k, 1, 5000 + i, i % 2 ? "call" : "meeting",
                        "sales");
        t[i].by = i % 5 ? reps[i] : NULL;
    }
    CHECK_OK(fnl_touch_add_batch(a, t, 400, NULL));
    CHECK_OK(fnl_engine_checkpoint(a));
    wl_run(a, 22, 100);
    da = dump_engine(a);
    fnl_engine_close(a);
    fnl_storage_close(st);
    st = file_store(dir);
    cfg.storage = st;
    CHECK_OK(fnl_engine_open(&b, &cfg));
    db = dump_engine(b);
    CHECK_STR(db, da);
    CHECK(strstr(db, " by=rep-49\n") != NULL);
    free(da);
    free(db);
    fnl_engine_close(b);
    fnl_storage_close(st);
    rm_dir(dir);
}

/* The snapshot of one touch class (call, sales) by one actor: its CLASSES
 * frame ends with the actor section 01 01 00 <id> (tag, one pair, skip 0,
 * the string id, one byte here).  Rewrite that frame's payload. */
typedef struct snapframe {
    size_t at, len;           /* header offset, payload length */
} snapframe;

static int find_frame(const unsigned char *s, size_t n, uint32_t section,
                      snapframe *out)
{
    size_t off = 32;
    while (off + 20 <= n) {
        uint32_t sec, stored;
        memcpy(&sec, s + off, 4);
        memcpy(&stored, s + off + 12, 4);
        if (sec == section) {
            out->at = off;
            out->len = stored;
            return 1;
        }
        off += 20 + stored;
    }
    return 0;
}

/* Replace the last `cut` bytes of the frame's payload with add[0..nadd). */
static void patch_frame(teststore *ts, const unsigned char *orig, size_t n,
                        const snapframe *f, size_t cut,
                        const unsigned char *add, size_t nadd)
{
    size_t keep = f->len - cut, len = keep + nadd;
    unsigned char *p = malloc(n - cut + nadd);
    uint32_t v, crc;
    memcpy(p, orig, f->at + 20 + keep);
    if (nadd > 0)
        memcpy(p + f->at + 20 + keep, add, nadd);
    memcpy(p + f->at + 20 + len, orig + f->at + 20 + f->len,
           n - (f->at + 20 + f->len));
    v = (uint32_t)len;
    memcpy(p + f->at + 8, &v, 4);
    memcpy(p + f->at + 12, &v, 4);
    crc = fnli_crc32c(0, p + f->at + 20, len);
    memcpy(p + f->at + 16, &crc, 4); /* little-endian hosts, as above */
    free(ts->snap);
    ts->snap = p;
    ts->snap_n = n - cut + nadd;
}

TEST(damaged_actor_sections_in_snapshots_are_refused)
{
    static const fnl_key k = {"email", "ann@acme.com"};
    teststore ts;
    fnl_engine *a, *b;
    fnl_touch t;
    fnl_touch_info ti;
    fnl_contact_id c;
    snapframe f;
    unsigned char *orig, id;
    size_t n, got;
    int rc;
    ts_init(&ts);
    a = open_on(&ts.table, NULL);
    t = v1_touch(&k, 1, 100, "call", "sales");
    t.by = "alice";
    CHECK_OK(fnl_touch_add(a, &t, &c));
    CHECK_OK(fnl_engine_checkpoint(a));
    fnl_engine_close(a);
    n = ts.snap_n;
    orig = malloc(n);
    memcpy(orig, ts.snap, n);
    CHECK(find_frame(orig, n, 11 /* CLASSES */, &f));
    CHECK(f.len > 4);
    CHECK(orig[f.at + 20 + f.len - 4] == 1 && orig[f.at + 20 + f.len - 3] == 1 &&
          orig[f.at + 20 + f.len - 2] == 0);
    id = orig[f.at + 20 + f.len - 1];
    CHECK(id > 0 && id < 0x80);
    {
        /* each damage, and the status it must give */
        static const struct {
            unsigned char bytes[6];
            size_t n;
            int rc;
        } cases[] = {
            {{1, 1, 0, 0}, 4, FNL_ECORRUPT},    /* actor 0 */
            {{1, 1, 0, 0x7f}, 4, FNL_ECORRUPT}, /* no such string */
            {{1, 1, 1, 0xff}, 4, FNL_ECORRUPT}, /* skip past the class */
            {{1, 0}, 2, FNL_ECORRUPT},          /* no pairs */
            {{1, 2, 0, 0xff, 0, 0xff}, 6, FNL_ECORRUPT}, /* 2 pairs, 1 class */
            {{1, 1, 0}, 3, FNL_ECORRUPT},       /* cut short */
            {{1, 1, 0, 0xff, 0}, 5, FNL_ECORRUPT}, /* a byte after it */
            {{2, 1, 0, 0xff}, 4, FNL_EVERSION}, /* a newer section */
        };
        size_t i;
        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            unsigned char bytes[6];
            size_t j;
            memcpy(bytes, cases[i].bytes, cases[i].n);
            for (j = 0; j < cases[i].n; j++)
                if (bytes[j] == 0xff)
                    bytes[j] = id;
            patch_frame(&ts, orig, n, &f, 4, bytes, cases[i].n);
            b = open_on(&ts.table, &rc);
            CHECK_INT(rc, cases[i].rc);
            CHECK(b == NULL);
        }
    }
    /* the frame without its section is the first format: no actor */
    patch_frame(&ts, orig, n, &f, 4, NULL, 0);
    b = open_on(&ts.table, &rc);
    CHECK_INT(rc, FNL_OK);
    CHECK_OK(fnl_contact_touches(b, c, &ti, sizeof(ti), 1, &got));
    CHECK(ti.by == NULL);
    CHECK_STR(ti.type, "call");
    fnl_engine_close(b);
    /* and the intact bytes give it back */
    patch_frame(&ts, orig, n, &f, 0, NULL, 0);
    b = open_on(&ts.table, &rc);
    CHECK_INT(rc, FNL_OK);
    CHECK_OK(fnl_contact_touches(b, c, &ti, sizeof(ti), 1, &got));
    CHECK_STR(ti.by, "alice");
    fnl_engine_close(b);
    free(orig);
    ts_free(&ts);
}

/* Checkpoints and loads of a state with actors, failing the 1st, 2nd, ...
 * allocation: a failed checkpoint leaves the engine and the stored
 * snapshot as they were; a failed load is FNL_ENOMEM with nothing left
 * allocated. */
TEST(allocation_failures_checkpointing_and_loading_actors_are_clean)
{
    static fnl_touch t[300];
    static fnl_key k[300];
    static char ids[300][32], reps[300][24];
    failalloc fa = {-1, 0, 0, 0, 0};
    fnl_allocator al = fa_table(&fa);
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    teststore ts;
    fnl_engine *a;
    char *want, *got;
    long n, failed = 0;
    int rc = FNL_ENOMEM, i;
    ts_init(&ts);
    cfg.storage = &ts.table;
    cfg.allocator = &al;
    CHECK_OK(fnl_engine_open(&a, &cfg));
    for (i = 0; i < 300; i++) {
        snprintf(ids[i], sizeof(ids[i]), "v%d@corp%d.com", i, i % 9);
        snprintf(reps[i], sizeof(reps[i]), "rep-%d", i);
        k[i].kind = "email";
        k[i].value = ids[i];
        t[i] = v1_touch(&k[i], 1, 100 + i, "call", "sales");
        t[i].by = i % 4 ? reps[i] : NULL;
    }
    CHECK_OK(fnl_touch_add_batch(a, t, 300, NULL));
    want = dump_engine(a);
    for (n = 0; rc == FNL_ENOMEM; n++) {
        fa_arm(&fa, n, 0);
        rc = fnl_engine_checkpoint(a);
        fa_disarm(&fa);
        if (rc != FNL_OK) {
            CHECK_INT(rc, FNL_ENOMEM);
            CHECK(!ts.has_snap);
            CHECK_INT(ts.nrecs, 1);
            got = dump_engine(a);
            CHECK_STR(got, want);
            free(got);
            failed++;
        }
    }
    CHECK(failed > 2);
    CHECK(ts.has_snap);
    fnl_engine_close(a);
    CHECK_INT(fa.outstanding, 0);
    for (n = 0, failed = 0;; n++) {
        fnl_engine *b = NULL;
        fa_arm(&fa, n, 1);
        rc = fnl_engine_open(&b, &cfg);
        fa_disarm(&fa);
        if (rc == FNL_OK) {
            got = dump_engine(b);
            CHECK_STR(got, want);
            free(got);
            fnl_engine_close(b);
            break;
        }
        CHECK_INT(rc, FNL_ENOMEM);
        CHECK(b == NULL);
        CHECK_INT(fa.outstanding, 0);
        failed++;
    }
    CHECK(failed > 10);
    CHECK_INT(fa.outstanding, 0);
    free(want);
    ts_free(&ts);
}

/* ---- the stage section's byte layout ------------------------------------- */

static fnl_engine *open_sv1(fnl_storage *st)
{
    return open_clocked(st, &sv1_clock);
}

/* The five contacts' stages and full histories. */
static char *dump_sv1(fnl_engine *e)
{
    static const char *const who[] = {"a@x.com", "b@x.com", "c@x.com",
                                      "d@x.com", "e@x.com"};
    dumpbuf b = {NULL, 0, 0};
    size_t i, k, n;
    for (i = 0; i < 5; i++) {
        fnl_stage_status st = FNL_STAGE_STATUS_INIT;
        fnl_stage_record r[32];
        fnl_contact_id c;
        if (fnl_contact_find(e, "email", who[i], &c) != FNL_OK ||
            fnl_contact_stage(e, c, &st) != FNL_OK ||
            fnl_contact_stage_history(e, c, r, 32, &n) != FNL_OK) {
            db_printf(&b, "%s: missing\n", who[i]);
            continue;
        }
        db_printf(&b, "%s %s @%lld owner=%s reached=%llx\n", who[i], st.name,
                  (long long)st.entered, st.owner ? st.owner : "-",
                  (unsigned long long)st.reached);
        for (k = 0; k < n; k++)
            db_printf(&b, "  %u %u %s>%s @%lld r%d b%u %s/%s %s\n",
                      r[k].kind, r[k].cause, r[k].from ? r[k].from : "-",
                      r[k].to ? r[k].to : "-",
                      (long long)((r[k].time - SV1_T0) / SV1_HOUR),
                      (int)r[k].rule, r[k].back,
                      r[k].owner ? r[k].owner : "-",
                      r[k].prev_owner ? r[k].prev_owner : "-",
                      r[k].reason ? r[k].reason : "-");
    }
    return b.p;
}

/* A snapshot whose stage section was written as raw struct bytes (on a
 * little-endian host) loads as the same state, its timers included; and
 * the field-by-field little-endian writer reproduces those bytes. */
TEST(stage_sections_of_the_raw_layout_load_and_are_written_the_same)
{
    const uint16_t one = 1;
    teststore ts, nw;
    fnl_engine *old, *live, *fresh;
    char *dold, *dlive;
    live = open_sv1(NULL);
    CHECK(live != NULL);
    CHECK_OK(sv1_workload(live));
    ts_with_snapshot(&ts, sv1_snapshot, sizeof(sv1_snapshot),
                     sv1_snapshot_seq);
    old = open_sv1(&ts.table);
    CHECK(old != NULL);
    dold = dump_sv1(old);
    dlive = dump_sv1(live);
    CHECK_STR(dold, dlive);
    /* what the workload did, read back from the old bytes: round robin
     * gave a ana, b ben, c cy, d ana; a was accepted; b rejected with
     * its reason */
    CHECK(strstr(dold, "a@x.com sal ") != NULL);
    CHECK(strstr(dold, "  3 2 mql>mql @1 r0 b0 ana/- -\n") != NULL);
    CHECK(strstr(dold, "b@x.com recycled ") != NULL);
    CHECK(strstr(dold, "no_budget") != NULL);
    CHECK(strstr(dold, "d@x.com mql @1767240000000 owner=ana") != NULL);
    free(dold);
    free(dlive);
    /* the pending timers came back too: the same future on both */
    CHECK_OK(fnl_engine_tick(old, SV1_T0 + 40 * 24 * SV1_HOUR));
    CHECK_OK(fnl_engine_tick(live, SV1_T0 + 40 * 24 * SV1_HOUR));
    dold = dump_sv1(old);
    dlive = dump_sv1(live);
    CHECK_STR(dold, dlive);
    CHECK(strstr(dold, "a@x.com recycled ") != NULL); /* idle 20d in sal */
    free(dold);
    free(dlive);
    /* today's writer: the same bytes on a little-endian host */
    ts_init(&nw);
    fresh = open_sv1(&nw.table);
    CHECK(fresh != NULL);
    CHECK_OK(sv1_workload(fresh));
    CHECK_OK(fnl_engine_checkpoint(fresh));
    if (*(const unsigned char *)&one == 1) {
        CHECK_INT(nw.snap_n, sizeof(sv1_snapshot));
        CHECK(nw.snap_n == sizeof(sv1_snapshot) &&
              memcmp(nw.snap, sv1_snapshot, nw.snap_n) == 0);
    }
    fnl_engine_close(fresh);
    fnl_engine_close(old);
    fnl_engine_close(live);
    ts_free(&nw);
    ts_free(&ts);
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
    RUN(deal_attributes_and_owners_replay_and_snapshot_identically);
    RUN(deal_records_of_the_first_format_replay_as_before);
    RUN(owner_and_deal_attribute_sections_are_written_only_when_needed);
    RUN(damaged_owner_and_deal_attribute_sections_are_refused);
    RUN(bit_flips_in_owner_and_deal_attribute_sections_never_crash);
    RUN(every_allocation_failure_loading_owners_and_deal_attributes_is_enomem);
    RUN(forgetting_a_contact_keeps_owner_and_deal_attribute_strings);
    RUN(journals_and_snapshots_of_0_1_load_as_before);
    RUN(forgetting_a_contact_keeps_the_actors_of_touches);
    RUN(actors_round_trip_through_compressed_snapshots);
    RUN(damaged_actor_sections_in_snapshots_are_refused);
    RUN(allocation_failures_checkpointing_and_loading_actors_are_clean);
    RUN(stage_sections_of_the_raw_layout_load_and_are_written_the_same);
    TEST_MAIN_END();
}
