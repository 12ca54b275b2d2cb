/* storage_contract.h -- the fnl_storage contract (docs/storage.md) as test
 * functions over an open storage, shared by the memory and file store
 * tests, plus helpers: deterministic payloads and a replay collector. */
#ifndef FNL_STORAGE_CONTRACT_H
#define FNL_STORAGE_CONTRACT_H

#include "test.h"
#include "funnelcore.h"

/* The payload of record `seq` in these tests: its length and bytes are a
 * function of seq alone, so a reader can check any record on its own. */
static inline size_t payload_len(uint64_t seq)
{
    return (size_t)((seq * 37u) % 211u);
}

static inline void payload_fill(uint64_t seq, unsigned char *buf, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++)
        buf[i] = (unsigned char)(seq * 131u + i * 7u + (seq >> 8));
}

static inline int append_seq(fnl_storage *st, uint64_t seq)
{
    unsigned char buf[256];
    size_t len = payload_len(seq);
    payload_fill(seq, buf, len);
    return st->append(st->ctx, seq, buf, len);
}

/* What a replay saw. */
typedef struct collected {
    uint64_t seqs[4096];
    size_t n;
    int bad;       /* a record whose bytes are not payload(seq) */
    int stop_at;   /* return 77 from the callback at this record (0: never) */
} collected;

static inline int collect_fn(void *arg, uint64_t seq, const void *rec, size_t len)
{
    collected *c = arg;
    unsigned char want[256];
    size_t wl = payload_len(seq);
    payload_fill(seq, want, wl);
    if (len != wl || (len > 0 && memcmp(rec, want, len) != 0))
        c->bad = 1;
    if (c->n < sizeof(c->seqs) / sizeof(c->seqs[0]))
        c->seqs[c->n] = seq;
    c->n++;
    if (c->stop_at != 0 && (size_t)c->stop_at == c->n)
        return 77;
    return 0;
}

static inline int replay_all(fnl_storage *st, uint64_t after, collected *c)
{
    memset(c, 0, sizeof(*c));
    return st->replay(st->ctx, after, collect_fn, c);
}

/* Whether c holds exactly the seqs lo..hi, each with its payload. */
static inline int holds_range(const collected *c, uint64_t lo, uint64_t hi)
{
    size_t i;
    if (c->bad || c->n != (hi >= lo ? hi - lo + 1 : 0))
        return 0;
    for (i = 0; i < c->n; i++)
        if (c->seqs[i] != lo + i)
            return 0;
    return 1;
}

/* A snapshot's bytes in these tests: n bytes that depend on seq. */
static inline void snap_fill(uint64_t seq, unsigned char *buf, size_t n, size_t off)
{
    size_t i;
    for (i = 0; i < n; i++)
        buf[i] = (unsigned char)((off + i) * 13u + seq * 3u + ((off + i) >> 9));
}

/* Write a snapshot of `len` bytes for seq in chunks of `chunk`. */
static inline int write_snapshot(fnl_storage *st, uint64_t seq, size_t len,
                          size_t chunk)
{
    unsigned char buf[4096];
    void *w = NULL;
    size_t off = 0;
    int rc = st->snapshot_begin(st->ctx, seq, &w);
    if (rc != FNL_OK)
        return rc;
    if (chunk > sizeof(buf))
        chunk = sizeof(buf);
    while (off < len) {
        size_t n = len - off < chunk ? len - off : chunk;
        snap_fill(seq, buf, n, off);
        rc = st->snapshot_write(st->ctx, w, buf, n);
        if (rc != FNL_OK) {
            st->snapshot_abort(st->ctx, w);
            return rc;
        }
        off += n;
    }
    return st->snapshot_commit(st->ctx, w);
}

/* Read the current snapshot in chunks of `chunk` and check it is the one
 * write_snapshot(seq, len) made.  1 if so, 0 if not, or a negative status
 * from the storage.  *seq_out receives the seq it reports. */
static inline int check_snapshot(fnl_storage *st, size_t len, size_t chunk,
                          uint64_t *seq_out)
{
    unsigned char buf[4096], want[4096];
    void *r = NULL;
    uint64_t seq = 0;
    size_t off = 0, got;
    int rc = st->snapshot_open(st->ctx, &seq, &r), ok = 1;
    if (rc != FNL_OK)
        return rc;
    if (chunk > sizeof(buf))
        chunk = sizeof(buf);
    for (;;) {
        rc = st->snapshot_read(st->ctx, r, buf, chunk, &got);
        if (rc != FNL_OK) {
            st->snapshot_close(st->ctx, r);
            return rc;
        }
        if (got == 0)
            break;
        snap_fill(seq, want, got, off);
        if (got > chunk || memcmp(buf, want, got) != 0)
            ok = 0;
        off += got;
    }
    st->snapshot_close(st->ctx, r);
    *seq_out = seq;
    return ok && off == len;
}

/* ---- the contract ------------------------------------------------------ */

static inline void contract_append_replay_in_order(fnl_storage *st)
{
    collected c;
    uint64_t s;
    CHECK_INT(st->version, FNL_STORAGE_VERSION);
    CHECK_OK(replay_all(st, 0, &c));
    CHECK_INT(c.n, 0);
    for (s = 1; s <= 300; s++)
        CHECK_OK(append_seq(st, s));
    CHECK_OK(st->sync(st->ctx));
    CHECK_OK(replay_all(st, 0, &c));
    CHECK(holds_range(&c, 1, 300));
    CHECK_OK(replay_all(st, 250, &c));
    CHECK(holds_range(&c, 251, 300));
    CHECK_OK(replay_all(st, 300, &c));
    CHECK_INT(c.n, 0);
    /* a non-zero return stops the replay and is its result */
    memset(&c, 0, sizeof(c));
    c.stop_at = 5;
    CHECK_INT(st->replay(st->ctx, 10, collect_fn, &c), 77);
    CHECK_INT(c.n, 5);
    CHECK_INT(c.seqs[4], 15);
}

static inline void contract_append_rules(fnl_storage *st)
{
    unsigned char b[4] = {1, 2, 3, 4};
    collected c;
    CHECK_INT(st->append(st->ctx, 0, b, 4), FNL_EINVAL);
    CHECK_OK(st->append(st->ctx, 5, b, 4));
    CHECK_INT(st->append(st->ctx, 5, b, 4), FNL_EINVAL);
    CHECK_INT(st->append(st->ctx, 4, b, 4), FNL_EINVAL);
    CHECK_INT(st->append(st->ctx, 6, NULL, 1), FNL_EINVAL);
    /* the limit is checked before a byte is read */
    CHECK_INT(st->append(st->ctx, 6, b, (size_t)FNL_STORAGE_MAX_RECORD + 1),
              FNL_ELIMIT);
    CHECK_OK(st->append(st->ctx, 6, NULL, 0)); /* empty records are fine */
    CHECK_OK(st->append(st->ctx, 9, b, 4));    /* gaps are allowed */
    CHECK_OK(st->sync(st->ctx));
    memset(&c, 0, sizeof(c));
    CHECK_INT(st->replay(st->ctx, 0, NULL, &c), FNL_EINVAL);
    CHECK_OK(st->replay(st->ctx, 0, collect_fn, &c));
    CHECK_INT(c.n, 3);
    CHECK_INT(c.seqs[0], 5);
    CHECK_INT(c.seqs[1], 6);
    CHECK_INT(c.seqs[2], 9);
}

static inline void contract_snapshot_roundtrip(fnl_storage *st)
{
    uint64_t s, seq = 0;
    void *w = NULL, *r = NULL, *r_old = NULL;
    unsigned char buf[64];
    size_t got;

    CHECK_INT(st->snapshot_open(st->ctx, &seq, &r), FNL_ENOTFOUND);
    for (s = 1; s <= 40; s++)
        CHECK_OK(append_seq(st, s));
    CHECK_OK(write_snapshot(st, 20, 10000, 777));
    CHECK_INT(check_snapshot(st, 10000, 1000, &seq), 1);
    CHECK_INT(seq, 20);
    CHECK_INT(check_snapshot(st, 10000, 7, &seq), 1);

    /* a reader keeps reading the snapshot it opened */
    CHECK_OK(st->snapshot_open(st->ctx, &seq, &r_old));
    CHECK_INT(seq, 20);
    CHECK_OK(write_snapshot(st, 30, 5000, 4096));
    CHECK_INT(check_snapshot(st, 5000, 333, &seq), 1);
    CHECK_INT(seq, 30);
    CHECK_OK(st->snapshot_read(st->ctx, r_old, buf, sizeof(buf), &got));
    {
        unsigned char want[64];
        snap_fill(20, want, sizeof(want), 0);
        CHECK_INT(got, sizeof(buf));
        CHECK(memcmp(buf, want, sizeof(buf)) == 0);
    }
    st->snapshot_close(st->ctx, r_old);

    /* an empty snapshot is a snapshot */
    CHECK_OK(write_snapshot(st, 40, 0, 1));
    CHECK_INT(check_snapshot(st, 0, 16, &seq), 1);
    CHECK_INT(seq, 40);

    /* seq rules, one writer at a time, abort keeps the old one */
    CHECK_INT(st->snapshot_begin(st->ctx, 41, &w), FNL_EINVAL);
    CHECK_INT(st->snapshot_begin(st->ctx, 39, NULL), FNL_EINVAL);
    CHECK_OK(st->snapshot_begin(st->ctx, 35, &w));
    {
        void *w2 = NULL;
        CHECK_INT(st->snapshot_begin(st->ctx, 35, &w2), FNL_EBUSY);
    }
    CHECK_OK(st->snapshot_write(st->ctx, w, "abc", 3));
    st->snapshot_abort(st->ctx, w);
    CHECK_INT(check_snapshot(st, 0, 16, &seq), 1);
    CHECK_INT(seq, 40);
    CHECK_OK(write_snapshot(st, 35, 100, 10));
    CHECK_INT(check_snapshot(st, 100, 16, &seq), 1);
    CHECK_INT(seq, 35);
}

static inline void contract_truncate(fnl_storage *st)
{
    collected c;
    uint64_t s, seq = 0;
    void *w = NULL;

    for (s = 1; s <= 100; s++)
        CHECK_OK(append_seq(st, s));
    /* nothing may be dropped that no snapshot covers */
    CHECK_INT(st->truncate(st->ctx, 1), FNL_EINVAL);
    CHECK_OK(st->truncate(st->ctx, 0));
    CHECK_OK(write_snapshot(st, 60, 3000, 500));
    CHECK_INT(st->truncate(st->ctx, 61), FNL_EINVAL);
    CHECK_OK(st->truncate(st->ctx, 60));
    CHECK_OK(replay_all(st, 0, &c));
    CHECK(holds_range(&c, 61, 100));
    CHECK_OK(st->truncate(st->ctx, 30)); /* below the last: a no-op */
    CHECK_OK(replay_all(st, 0, &c));
    CHECK(holds_range(&c, 61, 100));
    /* replay after the snapshot gives exactly the later records */
    CHECK_INT(check_snapshot(st, 3000, 1000, &seq), 1);
    CHECK_INT(seq, 60);
    CHECK_OK(replay_all(st, seq, &c));
    CHECK(holds_range(&c, 61, 100));
    /* a snapshot may not claim less than what was dropped */
    CHECK_INT(st->snapshot_begin(st->ctx, 59, &w), FNL_EINVAL);
    CHECK_INT(st->append(st->ctx, 100, "x", 1), FNL_EINVAL);
    for (s = 101; s <= 120; s++)
        CHECK_OK(append_seq(st, s));
    CHECK_OK(write_snapshot(st, 120, 10, 3));
    CHECK_OK(st->truncate(st->ctx, 120));
    CHECK_OK(replay_all(st, 0, &c));
    CHECK_INT(c.n, 0);
    CHECK_INT(st->append(st->ctx, 120, "x", 1), FNL_EINVAL);
    CHECK_OK(append_seq(st, 121));
    CHECK_OK(replay_all(st, 0, &c));
    CHECK(holds_range(&c, 121, 121));
}

/* ---- allocation failures ------------------------------------------------ */

#include "failalloc.h"

typedef int (*store_open_fn)(fnl_storage **out, const fnl_allocator *a,
                             void *arg);

/* The state a failed call must leave alone: the records and the snapshot. */
typedef struct store_state {
    collected recs;
    uint64_t snap_seq;
    int snap_rc;
} store_state;

static inline int read_state(fnl_storage *st, store_state *s)
{
    void *r = NULL;
    int rc = replay_all(st, 0, &s->recs);
    if (rc != FNL_OK)
        return rc;
    s->snap_seq = 0;
    s->snap_rc = st->snapshot_open(st->ctx, &s->snap_seq, &r);
    if (s->snap_rc == FNL_OK)
        st->snapshot_close(st->ctx, r);
    return FNL_OK;
}

static inline int same_state(const store_state *a, const store_state *b)
{
    return a->recs.n == b->recs.n && !a->recs.bad && !b->recs.bad &&
           memcmp(a->recs.seqs, b->recs.seqs,
                  a->recs.n * sizeof(a->recs.seqs[0])) == 0 &&
           a->snap_rc == b->snap_rc && a->snap_seq == b->snap_seq;
}

enum { STEP_APPEND, STEP_SNAPSHOT, STEP_TRUNCATE, STEP_READ_SNAPSHOT };

static inline int run_step(fnl_storage *st, int kind, uint64_t arg)
{
    uint64_t seq;
    switch (kind) {
    case STEP_APPEND:
        return append_seq(st, arg);
    case STEP_SNAPSHOT:
        return write_snapshot(st, arg, 9000, 1000);
    case STEP_TRUNCATE:
        return st->truncate(st->ctx, arg);
    default: {
        int rc = check_snapshot(st, 9000, 100, &seq);
        return rc == 1 ? FNL_OK : rc == 0 ? FNL_ECORRUPT : rc;
    }
    }
}

/*
 * Open a storage and run a workload, failing the Nth allocation of every
 * step for N = 0, 1, ... until the step succeeds: each failure must be
 * FNL_ENOMEM and leave the records and snapshot as they were, and nothing
 * may be left allocated after close.
 */
static inline void contract_oom(store_open_fn open_store, void *arg)
{
    static const struct { int kind; uint64_t arg; } steps[] = {
        {STEP_APPEND, 1}, {STEP_APPEND, 2}, {STEP_APPEND, 3},
        {STEP_SNAPSHOT, 2}, {STEP_READ_SNAPSHOT, 0}, {STEP_APPEND, 4},
        {STEP_TRUNCATE, 2}, {STEP_APPEND, 5}, {STEP_SNAPSHOT, 5},
        {STEP_TRUNCATE, 5}, {STEP_APPEND, 6},
    };
    failalloc fa = {-1, 0, 0, 0, 0};
    fnl_allocator a = fa_table(&fa);
    fnl_storage *st = NULL;
    store_state before, after;
    long n, opens_failed = 0, steps_failed = 0;
    size_t i;
    int rc;

    for (n = 0;; n++) {
        fa_arm(&fa, n, 0);
        rc = open_store(&st, &a, arg);
        fa_disarm(&fa);
        if (rc == FNL_OK)
            break;
        CHECK_INT(rc, FNL_ENOMEM);
        CHECK_INT(fa.outstanding, 0);
        opens_failed++;
    }
    for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        for (n = 0;; n++) {
            CHECK_OK(read_state(st, &before));
            fa_arm(&fa, n, 0);
            rc = run_step(st, steps[i].kind, steps[i].arg);
            fa_disarm(&fa);
            if (rc == FNL_OK)
                break;
            CHECK_INT(rc, FNL_ENOMEM);
            CHECK_OK(read_state(st, &after));
            CHECK(same_state(&before, &after));
            steps_failed++;
        }
    }
    CHECK_OK(replay_all(st, 5, &before.recs));
    CHECK(holds_range(&before.recs, 6, 6));
    fnl_storage_close(st);
    CHECK_INT(fa.outstanding, 0);
    /* the injector really fired on open and on the steps */
    CHECK(opens_failed > 0);
    CHECK(steps_failed > 0);
}

#endif
