/* sqlite_store.c -- a host-owned funnelcore storage on SQLite.
 *
 * The engine persists itself through a table of callbacks (fnl_storage in
 * funnelcore.h; the contract is docs/storage.md).  To the storage, journal
 * records and snapshots are opaque byte strings; it only has to keep them
 * safely and give them back.  This file does that with one SQLite
 * database.  Schema:
 *
 *   journal(seq INTEGER PRIMARY KEY, rec BLOB NOT NULL)
 *       One row per journal record.  seq is the rowid, so "in seq order"
 *       is the table's own order and a range delete is cheap.
 *   snapshot(id INTEGER PRIMARY KEY CHECK (id = 1), seq, gen, size)
 *       At most one row: the current snapshot -- the record number it
 *       covers, which generation of chunks holds its bytes, and how many
 *       bytes it has.
 *   snapshot_chunk(id INTEGER PRIMARY KEY, gen, idx, data BLOB,
 *                  UNIQUE (gen, idx))
 *       Snapshot bytes in rows of at most chunk_bytes (1 MiB), so a big
 *       snapshot is never one giant value in memory.  A snapshot being
 *       written puts its chunks under a new generation ("staging"); the
 *       commit points row 1 of `snapshot` at that generation and deletes
 *       the old one in ONE transaction, so after a crash either the old or
 *       the new snapshot is current, never a mix.  Chunks of a generation
 *       that `snapshot` does not name are leftovers of an interrupted
 *       snapshot and are deleted when the store is opened.
 *   meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL)
 *       'base': the highest truncate() point, so the store can refuse a
 *       snapshot_begin() below it even after a reopen.
 *   PRAGMA user_version = 1: the schema version.
 *
 * Durability.  The database runs in WAL mode with synchronous=FULL: every
 * COMMIT appends the transaction to the write-ahead log and fsyncs it
 * before it returns, and WAL frames carry cumulative checksums, so after a
 * crash or a power loss the database holds exactly the committed
 * transactions (a prefix of them, never a torn one).  Then:
 *
 *   - batch_records = 0 (the default): append() is one INSERT in
 *     autocommit mode, i.e. its own transaction: a record is durable when
 *     append() returns, like the file store's FNL_SYNC_EVERY_RECORD.  It
 *     costs one fsync per mutation (about as much as the file store).
 *     sync() has nothing left to do.
 *   - batch_records = N: the first append() opens a transaction (BEGIN
 *     IMMEDIATE) and the following ones INSERT into it; sync() COMMITs it,
 *     and append() commits by itself once N records are pending.  One
 *     fsync per batch: much faster, but the records appended since the
 *     last commit are lost if the process dies -- the host calls
 *     fnl_engine_sync() where it needs a promise (e.g. before answering
 *     an HTTP request).
 *
 * synchronous=NORMAL would skip the fsync at each commit (WAL is then
 * synced at checkpoints only): a killed process still loses nothing that
 * was committed, a power loss may lose the last commits -- but never
 * leaves a hole, thanks to the checksummed log.  sync() would then have
 * to force a checkpoint (sqlite3_wal_checkpoint_v2) to keep its promise.
 *
 * One engine per store: `PRAGMA locking_mode=EXCLUSIVE` makes the
 * connection keep its lock from the first transaction until it is closed,
 * so a second opener -- another process, or another connection in this
 * one -- gets SQLITE_BUSY, reported as FNL_EBUSY.  (The file store uses a
 * lock file for the same rule.)
 *
 * Errors.  Every SQLite failure is kept in s->errmsg with SQLite's own
 * message (sqlite_storage_errmsg() returns it) and reported as a funnelcore
 * code: FNL_ENOMEM for SQLITE_NOMEM, FNL_EBUSY for SQLITE_BUSY/LOCKED,
 * FNL_ECORRUPT for SQLITE_CORRUPT/NOTADB, FNL_EIO for everything else.
 * (The engine reports any storage failure other than FNL_ENOMEM to its
 * caller as FNL_EIO.)  After an I/O error, or when SQLite rolled back an
 * open batch on its own, the store marks itself failed and refuses every
 * later write until it is reopened: a later append must never land after
 * a hole, and after a failed fsync a later successful one proves nothing
 * (the PostgreSQL "fsyncgate" lesson).
 *
 * Adapting it.  Comments marked "PostgreSQL:" and "RocksDB:" say what the
 * same callback becomes there; docs/storage.md has the summary.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sqlite_store.h"

#define SCHEMA_VERSION 1
#define DEFAULT_CHUNK (1024u * 1024u)

/* Prepared statements, compiled once on first use and reused: an INSERT
 * per mutation should not pay for parsing SQL every time. */
enum {
    Q_APPEND,
    Q_REPLAY,
    Q_CHUNK_INSERT,
    Q_CHUNK_FIND,
    Q_CHUNK_DROP_GEN,
    Q_SNAP_SET,
    Q_TRUNCATE,
    Q_SET_BASE,
    Q_COUNT
};

static const char *const sql_text[Q_COUNT] = {
    "INSERT INTO journal(seq, rec) VALUES (?1, ?2)",
    "SELECT seq, rec FROM journal WHERE seq > ?1 ORDER BY seq",
    "INSERT INTO snapshot_chunk(gen, idx, data) VALUES (?1, ?2, ?3)",
    "SELECT id FROM snapshot_chunk WHERE gen = ?1 AND idx = ?2",
    "DELETE FROM snapshot_chunk WHERE gen = ?1",
    /* parenthesised: one string written on two lines */
    ("INSERT OR REPLACE INTO snapshot(id, seq, gen, size) "
     "VALUES (1, ?1, ?2, ?3)"),
    "DELETE FROM journal WHERE seq <= ?1",
    "UPDATE meta SET value = ?1 WHERE key = 'base'",
};

/* A snapshot being written: bytes are gathered into buf and stored one
 * chunk row at a time. */
typedef struct sq_writer {
    int64_t gen;        /* staging generation of its chunks */
    uint64_t seq;       /* the record number it covers */
    int64_t idx;        /* next chunk index */
    int64_t size;       /* bytes written so far, buffered ones included */
    size_t n;           /* bytes in buf */
    unsigned char buf[];
} sq_writer;

/* A snapshot being read.  Readers are listed in the store so that the
 * chunks of a generation they read are not deleted under them when a
 * newer snapshot is committed (the contract: a reader keeps reading the
 * snapshot it opened). */
typedef struct sq_reader {
    struct sq_reader *next;
    int64_t gen, size, pos;  /* generation, total bytes, bytes read */
    int64_t idx;             /* next chunk index */
    int chunk_len, chunk_off;
    sqlite3_blob *blob;      /* incremental blob handle on the chunk */
} sq_reader;

typedef struct sq_store {
    fnl_storage table;        /* first: the fnl_storage handed out */
    sqlite3 *db;
    sqlite3_stmt *stmt[Q_COUNT];
    unsigned batch_records;
    size_t chunk_bytes;
    int in_batch;             /* a batch transaction is open */
    unsigned pending;         /* records appended into it */
    int failed;               /* refuse writes until reopened */
    uint64_t last_seq;        /* highest seq held or truncated */
    uint64_t base;            /* highest truncate() point */
    int has_snap;
    uint64_t snap_seq;
    int64_t snap_gen, snap_size;
    int64_t next_gen;
    sq_writer *writer;
    sq_reader *readers;
    char errmsg[512];
} sq_store;

/* ---- errors ----------------------------------------------------------- */

static void set_msg(sq_store *s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void set_msg(sq_store *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
    va_end(ap);
}

static int map_code(int sqlrc)
{
    switch (sqlrc & 0xff) {
    case SQLITE_NOMEM: return FNL_ENOMEM;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return FNL_EBUSY;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return FNL_ECORRUPT;
    default: return FNL_EIO;
    }
}

/* Record a failed SQLite call: keep SQLite's message, mark the store
 * failed when the error says the disk can no longer be trusted, and
 * notice when SQLite rolled back our open batch by itself (it does so on
 * SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM...): the records in it are gone,
 * so nothing may be appended after them. */
static int sq_fail(sq_store *s, const char *what, int sqlrc)
{
    int prim = sqlrc & 0xff;
    size_t k;
    set_msg(s, "%s: %s (%s, %d)", what, sqlite3_errmsg(s->db),
            sqlite3_errstr(sqlrc), sqlrc);
    if (prim == SQLITE_IOERR || prim == SQLITE_CORRUPT ||
        prim == SQLITE_NOTADB)
        s->failed = 1;
    if (s->in_batch && sqlite3_get_autocommit(s->db)) {
        s->in_batch = 0;
        s->pending = 0;
        s->failed = 1;
        k = strlen(s->errmsg);
        snprintf(s->errmsg + k, sizeof(s->errmsg) - k,
                 "; SQLite rolled back the unsynced batch: reopen the store");
    }
    return map_code(sqlrc);
}

static int refuse_if_failed(sq_store *s, const char *what)
{
    if (!s->failed)
        return FNL_OK;
    set_msg(s, "%s: the store failed earlier; reopen it", what);
    return FNL_EIO;
}

/* ---- small helpers ---------------------------------------------------- */

static int exec_sql(sq_store *s, const char *what, const char *sql)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? FNL_OK : sq_fail(s, what, rc);
}

/* The prepared statement q, compiled on first use. */
static sqlite3_stmt *get_stmt(sq_store *s, int q, int *rc)
{
    if (s->stmt[q] == NULL) {
        int r = sqlite3_prepare_v3(s->db, sql_text[q], -1,
                                   SQLITE_PREPARE_PERSISTENT, &s->stmt[q],
                                   NULL);
        if (r != SQLITE_OK) {
            *rc = r;
            return NULL;
        }
    }
    return s->stmt[q];
}

/* Run a statement that returns no rows; bindings are cleared after. */
static int step_done(sq_store *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? FNL_OK : sq_fail(s, what, rc);
}

/* Undo a transaction we opened that failed half-way, if SQLite has not
 * already rolled it back. */
static void rollback(sq_store *s)
{
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Commit the open batch transaction, if any.  This is the durability
 * point of batch mode: with synchronous=FULL, COMMIT returns once the WAL
 * is fsynced. */
static int batch_commit(sq_store *s, const char *what)
{
    int rc;
    if (!s->in_batch)
        return FNL_OK;
    rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return sq_fail(s, what, rc); /* notices a rollback by SQLite */
    s->in_batch = 0;
    s->pending = 0;
    return FNL_OK;
}

static int gen_is_read(const sq_store *s, int64_t gen)
{
    const sq_reader *r;
    for (r = s->readers; r != NULL; r = r->next)
        if (r->gen == gen)
            return 1;
    return 0;
}

/* ---- the journal -------------------------------------------------------
 *
 * PostgreSQL: the same table with a bytea column; append is an INSERT
 * (pipelined, or batched in a transaction), sync is COMMIT, replay a
 * cursor over SELECT ... ORDER BY seq, truncate a DELETE.
 * RocksDB: keys "j" + 8-byte big-endian seq, so that key order is seq
 * order; append is a Put into a WriteBatch, sync writes the batch with
 * WriteOptions.sync = true, replay seeks an iterator to "j" + (after + 1),
 * truncate is DeleteRange. */

/* append: keep one record, byte for byte.  The checks first, because they
 * are free and turn an engine bug into an error instead of lost data. */
static int sq_append(void *ctx, uint64_t seq, const void *rec, size_t len)
{
    sq_store *s = ctx;
    sqlite3_stmt *st;
    int rc = SQLITE_OK, frc;

    if (rec == NULL && len != 0) {
        set_msg(s, "append: NULL record of %zu bytes", len);
        return FNL_EINVAL;
    }
    if (len > FNL_STORAGE_MAX_RECORD) {
        set_msg(s, "append: record of %zu bytes is over the limit", len);
        return FNL_ELIMIT;
    }
    if (seq <= s->last_seq || seq > (uint64_t)INT64_MAX) {
        set_msg(s, "append: seq %" PRIu64 " does not follow %" PRIu64, seq,
                s->last_seq);
        return FNL_EINVAL;
    }
    if ((frc = refuse_if_failed(s, "append")) != FNL_OK)
        return frc;
    /* Batch mode: open the transaction the following appends share.
     * IMMEDIATE takes the write lock now, so the INSERTs cannot meet a
     * lock conflict half-way through the batch. */
    if (s->batch_records > 0 && !s->in_batch) {
        if ((frc = exec_sql(s, "append: begin batch", "BEGIN IMMEDIATE")) !=
            FNL_OK)
            return frc;
        s->in_batch = 1;
        s->pending = 0;
    }
    if ((st = get_stmt(s, Q_APPEND, &rc)) == NULL)
        return sq_fail(s, "append", rc);
    sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
    /* A zero-length record must still be a BLOB, not NULL: bind a
     * non-NULL pointer.  SQLITE_STATIC: SQLite need not copy the bytes,
     * they stay valid until the statement is reset below. */
    sqlite3_bind_blob(st, 2, rec != NULL ? rec : "", (int)len, SQLITE_STATIC);
    if ((frc = step_done(s, st, "append")) != FNL_OK)
        return frc;
    s->last_seq = seq;
    if (s->in_batch && ++s->pending >= s->batch_records) {
        /* A full batch commits by itself.  If that COMMIT fails but the
         * transaction is still open, the record is appended all the same
         * (durability is sync()'s promise, not append()'s); if SQLite
         * rolled it back, sq_fail() marked the store failed. */
        frc = batch_commit(s, "append: commit batch");
        if (frc != FNL_OK && s->failed)
            return frc;
    }
    return FNL_OK;
}

/* sync: make every appended record durable.  In autocommit mode each
 * append already was; in batch mode this is the COMMIT. */
static int sq_sync(void *ctx)
{
    sq_store *s = ctx;
    int rc = refuse_if_failed(s, "sync");
    return rc != FNL_OK ? rc : batch_commit(s, "sync");
}

/* replay: every record after `after`, in seq order, with exactly the bytes
 * appended.  The connection sees its own uncommitted batch, so a replay
 * in batch mode includes the records not yet synced, as it must. */
static int sq_replay(void *ctx, uint64_t after, fnl_replay_fn fn, void *arg)
{
    sq_store *s = ctx;
    sqlite3_stmt *st;
    int rc = SQLITE_OK;

    if (fn == NULL)
        return FNL_EINVAL;
    if ((st = get_stmt(s, Q_REPLAY, &rc)) == NULL)
        return sq_fail(s, "replay", rc);
    sqlite3_bind_int64(st, 1, after > (uint64_t)INT64_MAX
                                  ? INT64_MAX : (sqlite3_int64)after);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        uint64_t seq = (uint64_t)sqlite3_column_int64(st, 0);
        const void *p;
        int n, frc;
        if (sqlite3_column_type(st, 1) != SQLITE_BLOB) {
            sqlite3_reset(st);
            set_msg(s, "replay: record %" PRIu64 " is not a BLOB", seq);
            return FNL_ECORRUPT;
        }
        /* column_blob() first, then column_bytes(): the documented order.
         * A zero-length BLOB comes back as NULL; pass "" instead. */
        p = sqlite3_column_blob(st, 1);
        n = sqlite3_column_bytes(st, 1);
        if (p == NULL && n != 0) {
            sqlite3_reset(st);
            return sq_fail(s, "replay", SQLITE_NOMEM);
        }
        /* p stays valid until the next step: exactly what the contract
         * promises fn ("valid only during that call"). */
        frc = fn(arg, seq, p != NULL ? p : "", (size_t)n);
        if (frc != 0) {
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            return frc;
        }
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? FNL_OK : sq_fail(s, "replay", rc);
}

/* truncate: drop the records a committed snapshot covers.  The DELETE and
 * the new base are one transaction, so after a crash either all the
 * records are there or the dropped ones are gone.  (SQLite reuses the
 * freed pages; run VACUUM now and then if the file should shrink.) */
static int sq_truncate(void *ctx, uint64_t upto)
{
    sq_store *s = ctx;
    sqlite3_stmt *del, *base;
    int rc = SQLITE_OK, frc;

    if (upto > (s->has_snap ? s->snap_seq : 0)) {
        set_msg(s, "truncate: %" PRIu64 " is beyond the snapshot (%" PRIu64
                ")", upto, s->has_snap ? s->snap_seq : 0);
        return FNL_EINVAL;
    }
    if (upto <= s->base)
        return FNL_OK;
    if ((frc = refuse_if_failed(s, "truncate")) != FNL_OK)
        return frc;
    /* commit a pending batch first: a rollback below must not undo it */
    if ((frc = batch_commit(s, "truncate: commit batch")) != FNL_OK)
        return frc;
    if ((del = get_stmt(s, Q_TRUNCATE, &rc)) == NULL ||
        (base = get_stmt(s, Q_SET_BASE, &rc)) == NULL)
        return sq_fail(s, "truncate", rc);
    if ((frc = exec_sql(s, "truncate: begin", "BEGIN IMMEDIATE")) != FNL_OK)
        return frc;
    sqlite3_bind_int64(del, 1, (sqlite3_int64)upto);
    sqlite3_bind_int64(base, 1, (sqlite3_int64)upto);
    if ((frc = step_done(s, del, "truncate")) != FNL_OK ||
        (frc = step_done(s, base, "truncate: base")) != FNL_OK ||
        (frc = exec_sql(s, "truncate: commit", "COMMIT")) != FNL_OK) {
        rollback(s);
        return frc;
    }
    s->base = upto;
    if (upto > s->last_seq)
        s->last_seq = upto;
    return FNL_OK;
}

/* ---- snapshots ---------------------------------------------------------
 *
 * PostgreSQL: write the chunks into a staging table (or COPY them, or use
 * a large object), then point the current row at them and delete the old
 * ones in one transaction -- the same design.
 * RocksDB: chunk keys "s" + generation + index written as they come; the
 * commit is one WriteBatch (sync = true) that writes the "snapshot" key
 * (seq, generation, size) and deletes the old generation's range. */

/* Store the buffered bytes as the next chunk row.  In autocommit mode the
 * row is its own transaction; it belongs to a generation nothing points
 * at yet, so a crash here leaves only a leftover for open to delete. */
static int flush_chunk(sq_store *s, sq_writer *w)
{
    sqlite3_stmt *st;
    int rc = SQLITE_OK, frc;
    if (w->n == 0)
        return FNL_OK;
    if ((st = get_stmt(s, Q_CHUNK_INSERT, &rc)) == NULL)
        return sq_fail(s, "snapshot write", rc);
    sqlite3_bind_int64(st, 1, w->gen);
    sqlite3_bind_int64(st, 2, w->idx);
    sqlite3_bind_blob(st, 3, w->buf, (int)w->n, SQLITE_STATIC);
    if ((frc = step_done(s, st, "snapshot write")) != FNL_OK)
        return frc;
    w->idx++;
    w->n = 0;
    return FNL_OK;
}

/* snapshot_begin: a new staging generation.  One writer at a time; seq
 * must lie between the last truncation and the last record appended. */
static int sq_snapshot_begin(void *ctx, uint64_t seq, void **out)
{
    sq_store *s = ctx;
    sq_writer *w;
    int frc;

    if (out == NULL)
        return FNL_EINVAL;
    if (s->writer != NULL) {
        set_msg(s, "snapshot begin: a snapshot is already being written");
        return FNL_EBUSY;
    }
    if (seq < s->base || seq > s->last_seq) {
        set_msg(s, "snapshot begin: seq %" PRIu64 " is outside [%" PRIu64
                ", %" PRIu64 "]", seq, s->base, s->last_seq);
        return FNL_EINVAL;
    }
    if ((frc = refuse_if_failed(s, "snapshot begin")) != FNL_OK)
        return frc;
    w = malloc(sizeof(*w) + s->chunk_bytes);
    if (w == NULL) {
        set_msg(s, "snapshot begin: out of memory");
        return FNL_ENOMEM;
    }
    w->gen = s->next_gen++;
    w->seq = seq;
    w->idx = 0;
    w->size = 0;
    w->n = 0;
    s->writer = w;
    *out = w;
    return FNL_OK;
}

/* snapshot_write: gather bytes, store every full chunk.  On failure the
 * writer stays open; the engine then aborts it. */
static int sq_snapshot_write(void *ctx, void *wp, const void *buf, size_t len)
{
    sq_store *s = ctx;
    sq_writer *w = wp;
    const unsigned char *p = buf;
    int frc;

    if (w == NULL || w != s->writer || (buf == NULL && len != 0))
        return FNL_EINVAL;
    if ((frc = refuse_if_failed(s, "snapshot write")) != FNL_OK)
        return frc;
    if (len > (size_t)(INT64_MAX - w->size)) {
        set_msg(s, "snapshot write: snapshot too large");
        return FNL_ELIMIT;
    }
    while (len > 0) {
        size_t k = s->chunk_bytes - w->n;
        if (k > len)
            k = len;
        memcpy(w->buf + w->n, p, k);
        w->n += k;
        w->size += (int64_t)k;
        p += k;
        len -= k;
        if (w->n == s->chunk_bytes && (frc = flush_chunk(s, w)) != FNL_OK)
            return frc;
    }
    return FNL_OK;
}

static void drop_gen(sq_store *s, int64_t gen)
{
    int rc = SQLITE_OK;
    sqlite3_stmt *st = get_stmt(s, Q_CHUNK_DROP_GEN, &rc);
    if (st == NULL)
        return;
    sqlite3_bind_int64(st, 1, gen);
    sqlite3_step(st);   /* best effort: open deletes leftovers anyway */
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* snapshot_commit: the atomic switch.  One transaction points row 1 of
 * `snapshot` at the new generation and deletes the previous one (unless a
 * reader still reads it); COMMIT fsyncs it before returning, and only
 * then may the engine truncate the journal.  Always consumes the writer. */
static int sq_snapshot_commit(void *ctx, void *wp)
{
    sq_store *s = ctx;
    sq_writer *w = wp;
    sqlite3_stmt *set, *drop;
    int rc = SQLITE_OK, frc;
    int64_t old_gen = s->snap_gen;
    int had_snap = s->has_snap;

    if (w == NULL || w != s->writer)
        return FNL_EINVAL;
    s->writer = NULL;
    if ((frc = refuse_if_failed(s, "snapshot commit")) != FNL_OK ||
        (frc = flush_chunk(s, w)) != FNL_OK ||
        /* commit a pending batch first: a rollback below must not undo
         * it (committing early is always allowed) */
        (frc = batch_commit(s, "snapshot commit: commit batch")) != FNL_OK)
        goto fail;
    if ((set = get_stmt(s, Q_SNAP_SET, &rc)) == NULL ||
        (drop = get_stmt(s, Q_CHUNK_DROP_GEN, &rc)) == NULL) {
        frc = sq_fail(s, "snapshot commit", rc);
        goto fail;
    }
    if ((frc = exec_sql(s, "snapshot commit: begin", "BEGIN IMMEDIATE")) !=
        FNL_OK)
        goto fail;
    sqlite3_bind_int64(set, 1, (sqlite3_int64)w->seq);
    sqlite3_bind_int64(set, 2, w->gen);
    sqlite3_bind_int64(set, 3, w->size);
    sqlite3_bind_int64(drop, 1, old_gen);
    if ((frc = step_done(s, set, "snapshot commit")) != FNL_OK ||
        (had_snap && !gen_is_read(s, old_gen) &&
         (frc = step_done(s, drop, "snapshot commit: drop old")) != FNL_OK) ||
        (frc = exec_sql(s, "snapshot commit", "COMMIT")) != FNL_OK) {
        sqlite3_clear_bindings(drop);
        rollback(s);
        goto fail;
    }
    sqlite3_clear_bindings(drop);
    s->has_snap = 1;
    s->snap_seq = w->seq;
    s->snap_gen = w->gen;
    s->snap_size = w->size;
    free(w);
    return FNL_OK;
fail:
    if (!s->failed)
        drop_gen(s, w->gen);
    free(w);
    return frc;
}

/* snapshot_abort: forget the staging generation.  Cannot fail: if the
 * DELETE does not happen, the next open removes the leftover chunks. */
static void sq_snapshot_abort(void *ctx, void *wp)
{
    sq_store *s = ctx;
    sq_writer *w = wp;
    if (w == NULL || w != s->writer)
        return;
    s->writer = NULL;
    if (!s->failed)
        drop_gen(s, w->gen);
    free(w);
}

/* snapshot_open: a reader of the current generation. */
static int sq_snapshot_open(void *ctx, uint64_t *seq, void **out)
{
    sq_store *s = ctx;
    sq_reader *r;
    if (seq == NULL || out == NULL)
        return FNL_EINVAL;
    if (!s->has_snap)
        return FNL_ENOTFOUND;
    if ((r = calloc(1, sizeof(*r))) == NULL) {
        set_msg(s, "snapshot open: out of memory");
        return FNL_ENOMEM;
    }
    r->gen = s->snap_gen;
    r->size = s->snap_size;
    r->next = s->readers;
    s->readers = r;
    *seq = s->snap_seq;
    *out = r;
    return FNL_OK;
}

/* Move the reader to its next chunk: find the row, and point the blob
 * handle at it (sqlite3_blob_reopen moves an open handle to another row
 * without compiling a new statement). */
static int next_chunk(sq_store *s, sq_reader *r)
{
    sqlite3_stmt *st;
    sqlite3_int64 rowid;
    int rc = SQLITE_OK;

    if ((st = get_stmt(s, Q_CHUNK_FIND, &rc)) == NULL)
        return sq_fail(s, "snapshot read", rc);
    sqlite3_bind_int64(st, 1, r->gen);
    sqlite3_bind_int64(st, 2, r->idx);
    rc = sqlite3_step(st);
    rowid = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc == SQLITE_DONE) {
        set_msg(s, "snapshot read: chunk %" PRId64 " of generation %" PRId64
                " is missing", r->idx, r->gen);
        return FNL_ECORRUPT;
    }
    if (rc != SQLITE_ROW)
        return sq_fail(s, "snapshot read", rc);
    if (r->blob != NULL)
        rc = sqlite3_blob_reopen(r->blob, rowid);
    else
        rc = sqlite3_blob_open(s->db, "main", "snapshot_chunk", "data",
                               rowid, 0, &r->blob);
    if (rc != SQLITE_OK)
        return sq_fail(s, "snapshot read: open chunk", rc);
    r->chunk_len = sqlite3_blob_bytes(r->blob);
    r->chunk_off = 0;
    if (r->chunk_len <= 0 || r->chunk_len > r->size - r->pos) {
        set_msg(s, "snapshot read: chunk %" PRId64 " of generation %" PRId64
                " has a wrong size (%d)", r->idx, r->gen, r->chunk_len);
        return FNL_ECORRUPT;
    }
    r->idx++;
    return FNL_OK;
}

/* snapshot_read: stream the chunks with incremental blob I/O, which reads
 * just the pages it needs straight into the caller's buffer. */
static int sq_snapshot_read(void *ctx, void *rp, void *buf, size_t cap,
                            size_t *got)
{
    sq_store *s = ctx;
    sq_reader *r = rp;
    int n, rc, frc;

    if (r == NULL || got == NULL || (buf == NULL && cap != 0))
        return FNL_EINVAL;
    *got = 0;
    if (r->pos >= r->size || cap == 0)
        return FNL_OK;
    if (r->chunk_off == r->chunk_len && (frc = next_chunk(s, r)) != FNL_OK)
        return frc;
    n = r->chunk_len - r->chunk_off;
    if ((size_t)n > cap)
        n = (int)cap;
    rc = sqlite3_blob_read(r->blob, buf, n, r->chunk_off);
    if (rc != SQLITE_OK)
        return sq_fail(s, "snapshot read", rc);
    r->chunk_off += n;
    r->pos += n;
    *got = (size_t)n;
    return FNL_OK;
}

/* snapshot_close: release the reader; if a newer snapshot was committed
 * while it read, and no one else reads its generation, delete it now. */
static void sq_snapshot_close(void *ctx, void *rp)
{
    sq_store *s = ctx;
    sq_reader *r = rp, **pp;
    if (r == NULL)
        return;
    for (pp = &s->readers; *pp != NULL; pp = &(*pp)->next)
        if (*pp == r) {
            *pp = r->next;
            break;
        }
    if (r->blob != NULL)
        sqlite3_blob_close(r->blob);
    if (r->gen != s->snap_gen && !gen_is_read(s, r->gen) && !s->failed)
        drop_gen(s, r->gen);
    free(r);
}

/* ---- open and close ----------------------------------------------------- */

static void free_store(sq_store *s)
{
    int i;
    while (s->readers != NULL) {
        sq_reader *r = s->readers;
        s->readers = r->next;
        if (r->blob != NULL)
            sqlite3_blob_close(r->blob);
        free(r);
    }
    free(s->writer);
    for (i = 0; i < Q_COUNT; i++)
        sqlite3_finalize(s->stmt[i]);
    sqlite3_close(s->db);   /* NULL is a no-op */
    free(s);
}

/* close: a clean shutdown commits a pending batch (nothing requires it,
 * but it is what a host expects); in WAL mode SQLite then checkpoints the
 * log into the database and deletes it. */
static void sq_close(void *ctx)
{
    sq_store *s = ctx;
    if (s->in_batch && batch_commit(s, "close") != FNL_OK)
        rollback(s);
    free_store(s);
}

static int query_int(sq_store *s, const char *sql, int64_t bind,
                     int64_t *out, int *found)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return sq_fail(s, "open", rc);
    if (sqlite3_bind_parameter_count(st) > 0)
        sqlite3_bind_int64(st, 1, bind);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        if (found != NULL)
            *found = sqlite3_column_type(st, 0) != SQLITE_NULL;
        rc = SQLITE_DONE;
    } else if (rc == SQLITE_DONE && found != NULL) {
        *found = 0;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? FNL_OK : sq_fail(s, "open", rc);
}

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS journal("
    "  seq INTEGER PRIMARY KEY, rec BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS snapshot("
    "  id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL,"
    "  gen INTEGER NOT NULL, size INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS snapshot_chunk("
    "  id INTEGER PRIMARY KEY, gen INTEGER NOT NULL, idx INTEGER NOT NULL,"
    "  data BLOB NOT NULL, UNIQUE (gen, idx));"
    "CREATE TABLE IF NOT EXISTS meta("
    "  key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO meta(key, value) VALUES ('base', 0);"
    "PRAGMA user_version = 1;";

/* Create or check the schema and load the store's state, in one
 * transaction. */
static int load_state(sq_store *s)
{
    int64_t v = 0, n = 0, sum = 0;
    int found = 0, frc;

    if ((frc = query_int(s, "PRAGMA user_version", 0, &v, NULL)) != FNL_OK)
        return frc;
    if (v > SCHEMA_VERSION) {
        set_msg(s, "open: schema version %" PRId64 " is newer than this "
                "store's %d", v, SCHEMA_VERSION);
        return FNL_EVERSION;
    }
    if ((frc = exec_sql(s, "open: schema", schema_sql)) != FNL_OK)
        return frc;
    if ((frc = query_int(s, "SELECT value FROM meta WHERE key = 'base'", 0,
                         &v, NULL)) != FNL_OK)
        return frc;
    s->base = (uint64_t)v;
    if ((frc = query_int(s, "SELECT gen FROM snapshot WHERE id = 1", 0,
                         &s->snap_gen, &found)) != FNL_OK)
        return frc;
    s->has_snap = found;
    if (found) {
        if ((frc = query_int(s, "SELECT seq FROM snapshot WHERE id = 1", 0,
                             &v, NULL)) != FNL_OK ||
            (frc = query_int(s, "SELECT size FROM snapshot WHERE id = 1", 0,
                             &s->snap_size, NULL)) != FNL_OK)
            return frc;
        s->snap_seq = (uint64_t)v;
    } else {
        s->snap_gen = 0;
    }
    /* leftovers of a snapshot interrupted by a crash, or of a reader's
     * generation that was never deleted */
    if ((frc = query_int(s, "SELECT count(*) FROM snapshot_chunk "
                         "WHERE gen <> ?1", s->snap_gen, &n, NULL)) != FNL_OK)
        return frc;
    if (n > 0 && (frc = exec_sql(s, "open: leftovers",
                                 "DELETE FROM snapshot_chunk WHERE gen NOT IN "
                                 "(SELECT gen FROM snapshot)")) != FNL_OK)
        return frc;
    /* cheap consistency checks: the chunks add up to the snapshot, and the
     * journal was never truncated past the snapshot */
    if (found) {
        if ((frc = query_int(s, "SELECT coalesce(sum(length(data)), 0) FROM "
                             "snapshot_chunk WHERE gen = ?1", s->snap_gen,
                             &sum, NULL)) != FNL_OK)
            return frc;
        if (sum != s->snap_size || s->snap_size < 0) {
            set_msg(s, "open: the snapshot should have %" PRId64 " bytes, "
                    "its chunks have %" PRId64, s->snap_size, sum);
            return FNL_ECORRUPT;
        }
    }
    if (s->base > (found ? s->snap_seq : 0)) {
        set_msg(s, "open: the journal was truncated up to %" PRIu64
                " but the snapshot covers only %" PRIu64, s->base,
                found ? s->snap_seq : 0);
        return FNL_ECORRUPT;
    }
    if ((frc = query_int(s, "SELECT max(seq) FROM journal", 0, &v,
                         &found)) != FNL_OK)
        return frc;
    s->last_seq = s->base > s->snap_seq ? s->base : s->snap_seq;
    if (found && (uint64_t)v > s->last_seq)
        s->last_seq = (uint64_t)v;
    s->next_gen = s->snap_gen + 1;
    return FNL_OK;
}

int sqlite_storage_open_ex(fnl_storage **out, const char *path,
                           const sqlite_store_options *opts, char *errbuf,
                           size_t errbuf_size)
{
    sq_store *s;
    int rc, frc;

    if (errbuf != NULL && errbuf_size > 0)
        errbuf[0] = '\0';
    if (out == NULL || path == NULL)
        return FNL_EINVAL;
    if (opts != NULL && opts->chunk_bytes > (size_t)INT_MAX)
        return FNL_EINVAL;
    if ((s = calloc(1, sizeof(*s))) == NULL)
        return FNL_ENOMEM;
    s->batch_records = opts != NULL ? opts->batch_records : 0;
    s->chunk_bytes = opts != NULL && opts->chunk_bytes != 0
                         ? opts->chunk_bytes : DEFAULT_CHUNK;

    /* NOMUTEX: a storage is used by one thread at a time (the contract),
     * so SQLite's own per-connection mutex is not needed. */
    rc = sqlite3_open_v2(path, &s->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                             SQLITE_OPEN_NOMUTEX,
                         NULL);
    if (rc != SQLITE_OK) {
        frc = s->db != NULL ? sq_fail(s, "open", rc) : FNL_ENOMEM;
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 1);
    /* The order matters: EXCLUSIVE locking before WAL means SQLite never
     * needs the shared-memory index (-shm file); synchronous is per
     * connection.  The journal_mode pragma is the first access to the file,
     * so a second opener fails here with SQLITE_BUSY. */
    if ((frc = exec_sql(s, "open", "PRAGMA locking_mode = EXCLUSIVE")) !=
            FNL_OK ||
        (frc = exec_sql(s, "open", "PRAGMA journal_mode = WAL")) != FNL_OK ||
        (frc = exec_sql(s, "open", "PRAGMA synchronous = FULL")) != FNL_OK ||
        (frc = exec_sql(s, "open", "BEGIN IMMEDIATE")) != FNL_OK)
        goto fail;
    if ((frc = load_state(s)) != FNL_OK ||
        (frc = exec_sql(s, "open", "COMMIT")) != FNL_OK) {
        rollback(s);
        goto fail;
    }
    s->failed = 0;

    s->table.version = FNL_STORAGE_VERSION;
    s->table.ctx = s;
    s->table.append = sq_append;
    s->table.sync = sq_sync;
    s->table.replay = sq_replay;
    s->table.snapshot_begin = sq_snapshot_begin;
    s->table.snapshot_write = sq_snapshot_write;
    s->table.snapshot_commit = sq_snapshot_commit;
    s->table.snapshot_abort = sq_snapshot_abort;
    s->table.snapshot_open = sq_snapshot_open;
    s->table.snapshot_read = sq_snapshot_read;
    s->table.snapshot_close = sq_snapshot_close;
    s->table.truncate = sq_truncate;
    s->table.close = sq_close;
    s->errmsg[0] = '\0';
    *out = &s->table;
    return FNL_OK;
fail:
    if (frc == FNL_EBUSY)
        set_msg(s, "open: %s is locked: another connection has the store "
                "open", path);
    if (errbuf != NULL && errbuf_size > 0)
        snprintf(errbuf, errbuf_size, "%s", s->errmsg);
    free_store(s);
    return frc;
}

int sqlite_storage_open(fnl_storage **out, const char *path)
{
    return sqlite_storage_open_ex(out, path, NULL, NULL, 0);
}

static sq_store *as_store(const fnl_storage *st)
{
    return st != NULL && st->append == sq_append ? (sq_store *)st->ctx
                                                 : NULL;
}

const char *sqlite_storage_errmsg(const fnl_storage *st)
{
    sq_store *s = as_store(st);
    return s != NULL ? s->errmsg : "";
}

sqlite3 *sqlite_storage_db(fnl_storage *st)
{
    sq_store *s = as_store(st);
    return s != NULL ? s->db : NULL;
}
