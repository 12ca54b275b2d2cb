/* storage_file.c -- the file store, funnelcore's embedded default storage:
 * a directory with a journal of checksummed, length-prefixed records, the
 * current snapshot, and a lock file.  Formats and the crash-safety argument
 * are in docs/storage.md; in short:
 *
 *  - append() is one pwrite() at the journal's end (two for frames over
 *    FRAME_MAX); a failed write is rolled back with ftruncate().
 *  - a snapshot is written to snapshot.tmp, fsynced, renamed over
 *    snapshot, and the directory fsynced.
 *  - truncate() copies the records to keep into journal.tmp, fsyncs it,
 *    renames it over journal and fsyncs the directory.
 *  - open() cuts a torn or damaged tail and reports it; a damaged record
 *    with valid records after it is FNL_ECORRUPT (or cut, on request).
 *  - any failed fsync marks the store failed: the kernel may have dropped
 *    the dirty pages, so no later success could be trusted.  Every later
 *    mutation is FNL_EIO until the store is reopened, which recovers from
 *    what is really on disk.
 *
 * All system calls go through s->io (storage_file_io.h) so that tests can
 * fail any one of them. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include "crc32c.h"
#include "mem.h"
#include "storage_file_io.h"

#define FORMAT_VERSION 1u
/* Reads go through a window of this size (grown for larger records). */
#define WINDOW_SIZE (64u * 1024u)
/* Frames up to this size are assembled and written with one pwrite(). */
#define FRAME_MAX (64u * 1024u)

static const unsigned char journal_magic[4] = {'F', 'N', 'L', 'J'};
static const unsigned char snapshot_magic[4] = {'F', 'N', 'L', 'S'};

/* A cached stretch [off, off + len) of one file. */
typedef struct window {
    unsigned char *buf;
    size_t cap;
    uint64_t off;
    size_t len;
} window;

typedef struct snap_writer {
    int fd;
    uint64_t seq;
    uint64_t len;
    uint32_t crc;
} snap_writer;

typedef struct snap_reader {
    int fd;
    uint64_t pos, len;
} snap_reader;

typedef struct file_store {
    fnl_storage table; /* first: the handle given to the host */
    fnli_mem mem;
    fnli_file_io io;
    int dirfd, lockfd, jfd;

    /* the journal: records with base_seq < seq, in [HEADER, end) */
    uint64_t base_seq;
    uint64_t first_seq;   /* 0 when there are no records */
    uint64_t last_seq;    /* last record's seq, or base_seq */
    uint64_t records;
    uint64_t end;
    uint64_t pending;     /* records appended since the last sync */
    int64_t last_sync_ms;
    uint64_t syncs;

    uint32_t policy, every_records, every_ms;
    fnl_clock clock;
    int has_clock;
    uint32_t recovery;

    int has_snap;
    uint64_t snap_seq;
    int writing;
    snap_writer writer;

    window win;
    unsigned char *frame; /* FRAME_MAX bytes */

    uint64_t dropped_bytes, dropped_records, dropped_offset;
    int failed;
    char msg[256];
} file_store;

/* ---- little-endian fields ---------------------------------------------- */

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static void put64(unsigned char *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p)
{
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* ---- messages ----------------------------------------------------------- */

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void set_msg(file_store *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->msg, sizeof(s->msg), fmt, ap);
    va_end(ap);
}

/* Record a failed system call and return FNL_EIO. */
static int io_error(file_store *s, int err, const char *what)
{
    char text[96];
    if (strerror_r(err, text, sizeof(text)) != 0)
        snprintf(text, sizeof(text), "error %d", err);
    set_msg(s, "%s: %s", what, text);
    return FNL_EIO;
}

static int corrupt(file_store *s, const char *what)
{
    set_msg(s, "%s", what);
    return FNL_ECORRUPT;
}

static int failed_error(file_store *s)
{
    /* keep the message of the failure that caused it */
    (void)s;
    return FNL_EIO;
}

typedef unsigned long long ull;

/* ---- system call helpers ------------------------------------------------ */

static int64_t now_ms(file_store *s)
{
    struct timespec ts;
    if (s->has_clock)
        return s->clock.now(s->clock.ctx);
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read up to n bytes at off; *got < n only at the end of the file.
 * 0 or an errno value. */
static int read_full(file_store *s, int fd, void *buf, size_t n, uint64_t off,
                     size_t *got)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = s->io.pread(s->io.ctx, fd, (unsigned char *)buf + done,
                                n - done, (off_t)(off + done));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return errno ? errno : EIO;
        }
        if (r == 0)
            break;
        done += (size_t)r;
    }
    *got = done;
    return 0;
}

/* Write all n bytes at off.  0 or an errno value. */
static int write_full(file_store *s, int fd, const void *buf, size_t n,
                      uint64_t off)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = s->io.pwrite(s->io.ctx, fd,
                                 (const unsigned char *)buf + done, n - done,
                                 (off_t)(off + done));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return errno ? errno : EIO;
        }
        if (r == 0)
            return ENOSPC;
        done += (size_t)r;
    }
    return 0;
}

static void close_fd(file_store *s, int *fd)
{
    if (*fd >= 0)
        s->io.close(s->io.ctx, *fd);
    *fd = -1;
}

static int file_size(file_store *s, int fd, uint64_t *size, const char *what)
{
    struct stat st;
    if (s->io.fstat(s->io.ctx, fd, &st) != 0)
        return io_error(s, errno, what);
    *size = (uint64_t)st.st_size;
    return FNL_OK;
}

static int sync_dir(file_store *s)
{
    if (s->io.fsync(s->io.ctx, s->dirfd, 0) != 0) {
        s->failed = 1;
        return io_error(s, errno, "sync directory");
    }
    return FNL_OK;
}

/* ---- the read window ---------------------------------------------------- */

/* Point *out at bytes [pos, pos + n) of fd, which the caller knows to lie
 * within [0, limit).  The bytes stay valid until the next window call. */
static int win_get(file_store *s, int fd, uint64_t pos, size_t n,
                   uint64_t limit, const unsigned char **out)
{
    window *w = &s->win;
    size_t want, got;
    int err;

    if (pos >= w->off && pos - w->off <= w->len &&
        n <= w->len - (size_t)(pos - w->off)) {
        *out = w->buf + (pos - w->off);
        return FNL_OK;
    }
    w->len = 0;
    if (n > w->cap) {
        unsigned char *p = fnli_realloc(&s->mem, w->buf, w->cap, n);
        if (p == NULL)
            return FNL_ENOMEM;
        w->buf = p;
        w->cap = n;
    }
    want = w->cap;
    if (want > limit - pos)
        want = (size_t)(limit - pos);
    err = read_full(s, fd, w->buf, want, pos, &got);
    if (err != 0)
        return io_error(s, err, "read journal");
    if (got < n) {
        set_msg(s, "read journal: file ends at byte %llu, expected %llu",
                (ull)(pos + got), (ull)(pos + n));
        return FNL_EIO;
    }
    w->off = pos;
    w->len = got;
    *out = w->buf;
    return FNL_OK;
}

/* Forget the cached bytes and give back a window grown for a big record. */
static void win_reset(file_store *s)
{
    window *w = &s->win;
    w->len = 0;
    if (w->cap > WINDOW_SIZE) {
        unsigned char *p = fnli_realloc(&s->mem, w->buf, w->cap, WINDOW_SIZE);
        if (p != NULL) {
            w->buf = p;
            w->cap = WINDOW_SIZE;
        }
    }
}

/* ---- records ------------------------------------------------------------ */

/*
 * Whether a valid record starts at pos of fd, whose good bytes end at
 * limit: its frame fits, its length is allowed, its seq is above min_seq
 * and its CRC matches.  1 (and the record's fields), 0, or a negative
 * status when reading failed.
 */
static int frame_at(file_store *s, int fd, uint64_t pos, uint64_t limit,
                    uint64_t min_seq, uint64_t *seq, uint32_t *len,
                    const unsigned char **payload)
{
    const unsigned char *h;
    uint32_t l, crc;
    uint64_t q;
    int rc;

    if (pos > limit || limit - pos < FNLI_RECORD_HEADER)
        return 0;
    rc = win_get(s, fd, pos, FNLI_RECORD_HEADER, limit, &h);
    if (rc != FNL_OK)
        return rc;
    crc = get32(h);
    l = get32(h + 4);
    q = get64(h + 8);
    if (l > FNL_STORAGE_MAX_RECORD || q <= min_seq ||
        l > limit - pos - FNLI_RECORD_HEADER)
        return 0;
    rc = win_get(s, fd, pos, FNLI_RECORD_HEADER + (size_t)l, limit, &h);
    if (rc != FNL_OK)
        return rc;
    if (fnli_crc32c(0, h + 4, 12 + (size_t)l) != crc)
        return 0;
    *seq = q;
    *len = l;
    if (payload != NULL)
        *payload = h + FNLI_RECORD_HEADER;
    return 1;
}

/* The first offset in [from, limit) where a valid record with seq above
 * min_seq starts: 1 and *at, 0 if there is none, or a negative status. */
static int find_valid(file_store *s, uint64_t from, uint64_t limit,
                      uint64_t min_seq, uint64_t *at)
{
    uint64_t p, seq;
    uint32_t len;
    for (p = from; p < limit && limit - p >= FNLI_RECORD_HEADER; p++) {
        int rc = frame_at(s, s->jfd, p, limit, min_seq, &seq, &len, NULL);
        if (rc != 0) {
            *at = p;
            return rc;
        }
    }
    return 0;
}

/* Count what lies in [from, limit): each valid record counts one, and so
 * does each damaged stretch between them. */
static int count_dropped(file_store *s, uint64_t from, uint64_t limit,
                         uint64_t min_seq, uint64_t *count)
{
    uint64_t p = from, n = 0, seq, q;
    uint32_t len;
    int rc;

    while (p < limit) {
        rc = frame_at(s, s->jfd, p, limit, min_seq, &seq, &len, NULL);
        if (rc < 0)
            return rc;
        n++;
        if (rc == 1) {
            p += FNLI_RECORD_HEADER + len;
            min_seq = seq;
            continue;
        }
        rc = find_valid(s, p + 1, limit, min_seq, &q);
        if (rc < 0)
            return rc;
        if (rc == 0)
            break;
        p = q;
    }
    *count = n;
    return FNL_OK;
}

/* ---- journal files ------------------------------------------------------ */

static void journal_header(unsigned char h[FNLI_JOURNAL_HEADER], uint64_t base)
{
    memcpy(h, journal_magic, 4);
    put32(h + 4, FORMAT_VERSION);
    put64(h + 8, base);
    put32(h + 16, 0);
    put32(h + 20, fnli_crc32c(0, h, 20));
}

/*
 * Write a complete journal with header base `base` and the bytes
 * [from, to) of src_fd as its records to journal.tmp, make it durable and
 * rename it over journal.  On success *out is its descriptor; the caller
 * syncs the directory.  On failure nothing is left behind.
 */
static int write_new_journal(file_store *s, uint64_t base, int src_fd,
                             uint64_t from, uint64_t to, int *out)
{
    unsigned char h[FNLI_JOURNAL_HEADER];
    uint64_t pos = from, dst = FNLI_JOURNAL_HEADER;
    int fd, err, rc = FNL_OK;

    fd = s->io.openat(s->io.ctx, s->dirfd, FNLI_STORE_JOURNAL_TMP,
                      O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return io_error(s, errno, "create journal.tmp");
    journal_header(h, base);
    err = write_full(s, fd, h, sizeof(h), 0);
    if (err != 0) {
        rc = io_error(s, err, "write journal.tmp");
        goto fail;
    }
    while (pos < to) {
        const unsigned char *p;
        size_t n = to - pos > WINDOW_SIZE ? WINDOW_SIZE : (size_t)(to - pos);
        rc = win_get(s, src_fd, pos, n, to, &p);
        if (rc != FNL_OK)
            goto fail;
        err = write_full(s, fd, p, n, dst);
        if (err != 0) {
            rc = io_error(s, err, "write journal.tmp");
            goto fail;
        }
        pos += n;
        dst += n;
    }
    if (s->io.fsync(s->io.ctx, fd, 0) != 0) {
        rc = io_error(s, errno, "sync journal.tmp");
        goto fail;
    }
    if (s->io.renameat(s->io.ctx, s->dirfd, FNLI_STORE_JOURNAL_TMP,
                       FNLI_STORE_JOURNAL) != 0) {
        rc = io_error(s, errno, "rename journal.tmp to journal");
        goto fail;
    }
    *out = fd;
    return FNL_OK;
fail:
    close_fd(s, &fd);
    s->io.unlinkat(s->io.ctx, s->dirfd, FNLI_STORE_JOURNAL_TMP);
    return rc;
}

/* Replace the journal with an empty one based at `base`. */
static int reset_journal(file_store *s, uint64_t base)
{
    int fd, rc;
    rc = write_new_journal(s, base, -1, 0, 0, &fd);
    if (rc != FNL_OK)
        return rc;
    close_fd(s, &s->jfd);
    s->jfd = fd;
    s->base_seq = s->last_seq = base;
    s->first_seq = s->records = 0;
    s->end = FNLI_JOURNAL_HEADER;
    return sync_dir(s);
}

/* A journal shorter than its header: only a prefix of a header we would
 * write is taken as a torn creation, anything else is not our file. */
static int recover_short_journal(file_store *s, uint64_t size)
{
    unsigned char h[FNLI_JOURNAL_HEADER], want[8];
    size_t got;
    int err, rc;

    err = read_full(s, s->jfd, h, (size_t)size, 0, &got);
    if (err != 0)
        return io_error(s, err, "read journal");
    memcpy(want, journal_magic, 4);
    put32(want + 4, FORMAT_VERSION);
    if (memcmp(h, want, got < sizeof(want) ? got : sizeof(want)) != 0)
        return corrupt(s, "journal: not a funnelcore journal");
    rc = reset_journal(s, s->has_snap ? s->snap_seq : 0);
    if (rc != FNL_OK)
        return rc;
    s->dropped_bytes = size;
    if (size > 0)
        set_msg(s, "journal: cut %llu bytes of a torn header", (ull)size);
    return FNL_OK;
}

static int check_journal_header(file_store *s, uint64_t *base)
{
    unsigned char h[FNLI_JOURNAL_HEADER];
    size_t got;
    uint32_t version;
    int err = read_full(s, s->jfd, h, sizeof(h), 0, &got);

    if (err != 0)
        return io_error(s, err, "read journal");
    if (got < sizeof(h) || memcmp(h, journal_magic, 4) != 0)
        return corrupt(s, "journal: not a funnelcore journal");
    version = get32(h + 4);
    if (version > FORMAT_VERSION) {
        set_msg(s, "journal: format version %u is newer than this library's "
                "%u", (unsigned)version, FORMAT_VERSION);
        return FNL_EVERSION;
    }
    if (version == 0 || fnli_crc32c(0, h, 20) != get32(h + 20))
        return corrupt(s, "journal: damaged header");
    *base = get64(h + 8);
    if (s->has_snap ? *base > s->snap_seq : *base > 0) {
        set_msg(s, "journal: records up to seq %llu were dropped but no "
                "snapshot covers them", (ull)*base);
        return FNL_ECORRUPT;
    }
    return FNL_OK;
}

/* Cut the journal at `at` (its good records end there) and report it. */
static int cut_tail(file_store *s, uint64_t at, uint64_t size,
                    uint64_t last)
{
    uint64_t n;
    int rc = count_dropped(s, at, size, last, &n);
    if (rc != FNL_OK)
        return rc;
    if (s->io.ftruncate(s->io.ctx, s->jfd, (off_t)at) != 0)
        return io_error(s, errno, "truncate journal");
    if (s->io.fsync(s->io.ctx, s->jfd, 0) != 0)
        return io_error(s, errno, "sync journal");
    s->dropped_bytes = size - at;
    s->dropped_records = n;
    s->dropped_offset = at;
    set_msg(s, "journal: cut %llu bytes (%llu damaged, partial or later "
            "records) at byte offset %llu", (ull)(size - at), (ull)n,
            (ull)at);
    return FNL_OK;
}

/* Scan the journal, cut a damaged tail, and set the in-memory state. */
static int recover_journal(file_store *s)
{
    uint64_t size, base, pos = FNLI_JOURNAL_HEADER, last, seq, at;
    uint32_t len;
    int rc;

    rc = file_size(s, s->jfd, &size, "stat journal");
    if (rc != FNL_OK)
        return rc;
    if (size < FNLI_JOURNAL_HEADER)
        return recover_short_journal(s, size);
    rc = check_journal_header(s, &base);
    if (rc != FNL_OK)
        return rc;
    s->base_seq = last = base;
    s->win.len = 0;
    while ((rc = frame_at(s, s->jfd, pos, size, last, &seq, &len, NULL)) == 1) {
        if (s->records++ == 0)
            s->first_seq = seq;
        last = seq;
        pos += FNLI_RECORD_HEADER + len;
    }
    if (rc < 0)
        return rc;
    if (pos < size) {
        rc = find_valid(s, pos + 1, size, last, &at);
        if (rc < 0)
            return rc;
        if (rc == 1 && s->recovery == FNL_RECOVER_STRICT) {
            set_msg(s, "journal: damaged record at byte offset %llu, but a "
                    "valid record follows at byte offset %llu; not opened "
                    "(FNL_RECOVER_TRUNCATE would cut it there)",
                    (ull)pos, (ull)at);
            return FNL_ECORRUPT;
        }
        rc = cut_tail(s, pos, size, last);
        if (rc != FNL_OK)
            return rc;
    }
    s->end = pos;
    s->last_seq = last;
    return FNL_OK;
}

/* ---- snapshot files ----------------------------------------------------- */

static int read_snapshot_header(file_store *s, int fd, uint64_t *seq,
                                uint64_t *len, uint32_t *crc)
{
    unsigned char h[FNLI_SNAPSHOT_HEADER];
    uint64_t size;
    size_t got;
    uint32_t version;
    int rc, err = read_full(s, fd, h, sizeof(h), 0, &got);

    if (err != 0)
        return io_error(s, err, "read snapshot");
    if (got < sizeof(h) || memcmp(h, snapshot_magic, 4) != 0)
        return corrupt(s, "snapshot: not a funnelcore snapshot file");
    version = get32(h + 4);
    if (version > FORMAT_VERSION) {
        set_msg(s, "snapshot: format version %u is newer than this "
                "library's %u", (unsigned)version, FORMAT_VERSION);
        return FNL_EVERSION;
    }
    if (version == 0 || fnli_crc32c(0, h, 28) != get32(h + 28))
        return corrupt(s, "snapshot: damaged header");
    *seq = get64(h + 8);
    *len = get64(h + 16);
    *crc = get32(h + 24);
    rc = file_size(s, fd, &size, "stat snapshot");
    if (rc != FNL_OK)
        return rc;
    if (size - FNLI_SNAPSHOT_HEADER != *len) {
        set_msg(s, "snapshot: file has %llu bytes, its header says %llu",
                (ull)size, (ull)(*len + FNLI_SNAPSHOT_HEADER));
        return FNL_ECORRUPT;
    }
    return FNL_OK;
}

static int load_snapshot_seq(file_store *s)
{
    uint64_t seq, len;
    uint32_t crc;
    int rc, fd = s->io.openat(s->io.ctx, s->dirfd, FNLI_STORE_SNAPSHOT,
                              O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) {
        if (errno == ENOENT)
            return FNL_OK;
        return io_error(s, errno, "open snapshot");
    }
    rc = read_snapshot_header(s, fd, &seq, &len, &crc);
    close_fd(s, &fd);
    if (rc != FNL_OK)
        return rc;
    s->has_snap = 1;
    s->snap_seq = seq;
    return FNL_OK;
}

/* ---- callbacks: journal ------------------------------------------------- */

static int do_sync(file_store *s)
{
    if (s->pending == 0)
        return FNL_OK;
    if (s->io.fsync(s->io.ctx, s->jfd, 1) != 0) {
        s->failed = 1;
        return io_error(s, errno, "sync journal");
    }
    s->pending = 0;
    s->syncs++;
    if (s->every_ms > 0)
        s->last_sync_ms = now_ms(s);
    return FNL_OK;
}

static int sync_due(file_store *s)
{
    switch (s->policy) {
    case FNL_SYNC_EVERY_RECORD:
        return 1;
    case FNL_SYNC_INTERVAL:
        if (s->every_records > 0 && s->pending >= s->every_records)
            return 1;
        return s->every_ms > 0 &&
               now_ms(s) - s->last_sync_ms >= (int64_t)s->every_ms;
    default:
        return 0;
    }
}

static int file_append(void *ctx, uint64_t seq, const void *rec, size_t len)
{
    file_store *s = ctx;
    unsigned char h[FNLI_RECORD_HEADER];
    uint64_t at = s->end;
    size_t frame = FNLI_RECORD_HEADER + len;
    int err;

    if (s->failed)
        return failed_error(s);
    if (seq == 0 || seq <= s->last_seq || (rec == NULL && len > 0)) {
        set_msg(s, "append: seq %llu after %llu", (ull)seq,
                (ull)s->last_seq);
        return FNL_EINVAL;
    }
    if (len > FNL_STORAGE_MAX_RECORD) {
        set_msg(s, "append: record of %llu bytes is over the limit",
                (ull)len);
        return FNL_ELIMIT;
    }
    put32(h + 4, (uint32_t)len);
    put64(h + 8, seq);
    put32(h, fnli_crc32c(fnli_crc32c(0, h + 4, 12), rec, len));
    if (frame <= FRAME_MAX) {
        memcpy(s->frame, h, sizeof(h));
        if (len > 0)
            memcpy(s->frame + sizeof(h), rec, len);
        err = write_full(s, s->jfd, s->frame, frame, at);
    } else {
        err = write_full(s, s->jfd, h, sizeof(h), at);
        if (err == 0)
            err = write_full(s, s->jfd, rec, len, at + sizeof(h));
    }
    if (err != 0) {
        /* take back whatever part of the frame reached the file, so the
         * next append does not land after garbage */
        if (s->io.ftruncate(s->io.ctx, s->jfd, (off_t)at) != 0)
            s->failed = 1;
        return io_error(s, err, "write journal");
    }
    s->end = at + frame;
    s->last_seq = seq;
    if (s->records++ == 0)
        s->first_seq = seq;
    s->pending++;
    return sync_due(s) ? do_sync(s) : FNL_OK;
}

static int file_sync(void *ctx)
{
    file_store *s = ctx;
    if (s->failed)
        return failed_error(s);
    if (s->policy == FNL_SYNC_NEVER)
        return FNL_OK;
    return do_sync(s);
}

static int file_replay(void *ctx, uint64_t after, fnl_replay_fn fn, void *arg)
{
    file_store *s = ctx;
    uint64_t pos = FNLI_JOURNAL_HEADER, last = s->base_seq, seq;
    uint32_t len;
    int rc = FNL_OK;

    if (fn == NULL)
        return FNL_EINVAL;
    s->win.len = 0;
    while (pos < s->end) {
        const unsigned char *p;
        rc = frame_at(s, s->jfd, pos, s->end, last, &seq, &len, &p);
        if (rc < 0)
            break;
        if (rc == 0) {
            set_msg(s, "journal: record at byte offset %llu was damaged "
                    "after it was written", (ull)pos);
            rc = FNL_ECORRUPT;
            break;
        }
        rc = FNL_OK;
        if (seq > after) {
            rc = fn(arg, seq, p, len);
            if (rc != 0)
                break;
        }
        pos += FNLI_RECORD_HEADER + len;
        last = seq;
    }
    win_reset(s);
    return rc;
}

static int file_truncate(void *ctx, uint64_t upto)
{
    file_store *s = ctx;
    uint64_t pos = FNLI_JOURNAL_HEADER, last = s->base_seq, seq = 0;
    uint64_t kept = s->records, old_end = s->end;
    uint32_t len;
    int rc, fd;

    if (s->failed)
        return failed_error(s);
    if (s->has_snap ? upto > s->snap_seq : upto > 0) {
        set_msg(s, "truncate: no snapshot covers seq %llu", (ull)upto);
        return FNL_EINVAL;
    }
    if (upto <= s->base_seq)
        return FNL_OK;
    if (s->records == 0 || s->first_seq > upto) {
        /* nothing to drop: the file stays as it is */
        s->base_seq = upto;
        return FNL_OK;
    }
    s->win.len = 0;
    while (pos < s->end) {
        rc = frame_at(s, s->jfd, pos, s->end, last, &seq, &len, NULL);
        if (rc < 0)
            goto out;
        if (rc == 0) {
            set_msg(s, "journal: record at byte offset %llu was damaged "
                    "after it was written", (ull)pos);
            rc = FNL_ECORRUPT;
            goto out;
        }
        if (seq > upto)
            break;
        pos += FNLI_RECORD_HEADER + len;
        last = seq;
        kept--;
    }
    rc = write_new_journal(s, upto, s->jfd, pos, s->end, &fd);
    if (rc != FNL_OK)
        goto out;
    /* the new journal is in place: from here on it is the state */
    close_fd(s, &s->jfd);
    s->jfd = fd;
    s->end = FNLI_JOURNAL_HEADER + (old_end - pos);
    s->records = kept;
    s->first_seq = kept > 0 ? seq : 0;
    s->base_seq = upto;
    s->pending = 0; /* every kept record was synced with the new file */
    rc = sync_dir(s);
out:
    win_reset(s);
    return rc;
}

/* ---- callbacks: snapshots ----------------------------------------------- */

static int file_snapshot_begin(void *ctx, uint64_t seq, void **w)
{
    file_store *s = ctx;
    int fd;

    if (s->failed)
        return failed_error(s);
    if (w == NULL || seq > s->last_seq || seq < s->base_seq) {
        set_msg(s, "snapshot: seq %llu is outside [%llu, %llu]", (ull)seq,
                (ull)s->base_seq, (ull)s->last_seq);
        return FNL_EINVAL;
    }
    if (s->writing) {
        set_msg(s, "snapshot: another snapshot is being written");
        return FNL_EBUSY;
    }
    fd = s->io.openat(s->io.ctx, s->dirfd, FNLI_STORE_SNAPSHOT_TMP,
                      O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return io_error(s, errno, "create snapshot.tmp");
    s->writer.fd = fd;
    s->writer.seq = seq;
    s->writer.len = 0;
    s->writer.crc = 0;
    s->writing = 1;
    *w = &s->writer;
    return FNL_OK;
}

static int file_snapshot_write(void *ctx, void *w, const void *buf, size_t len)
{
    file_store *s = ctx;
    snap_writer *wr = w;
    int err;

    if (wr != &s->writer || !s->writing || (buf == NULL && len > 0))
        return FNL_EINVAL;
    err = write_full(s, wr->fd, buf, len, FNLI_SNAPSHOT_HEADER + wr->len);
    if (err != 0)
        return io_error(s, err, "write snapshot.tmp");
    wr->crc = fnli_crc32c(wr->crc, buf, len);
    wr->len += len;
    return FNL_OK;
}

static void abort_writer(file_store *s)
{
    close_fd(s, &s->writer.fd);
    s->io.unlinkat(s->io.ctx, s->dirfd, FNLI_STORE_SNAPSHOT_TMP);
    s->writing = 0;
}

static int file_snapshot_commit(void *ctx, void *w)
{
    file_store *s = ctx;
    snap_writer *wr = w;
    unsigned char h[FNLI_SNAPSHOT_HEADER];
    int rc, err;

    if (wr != &s->writer || !s->writing)
        return FNL_EINVAL;
    if (s->failed) {
        abort_writer(s);
        return failed_error(s);
    }
    memcpy(h, snapshot_magic, 4);
    put32(h + 4, FORMAT_VERSION);
    put64(h + 8, wr->seq);
    put64(h + 16, wr->len);
    put32(h + 24, wr->crc);
    put32(h + 28, fnli_crc32c(0, h, 28));
    err = write_full(s, wr->fd, h, sizeof(h), 0);
    if (err != 0) {
        rc = io_error(s, err, "write snapshot.tmp");
        goto fail;
    }
    if (s->io.fsync(s->io.ctx, wr->fd, 0) != 0) {
        rc = io_error(s, errno, "sync snapshot.tmp");
        goto fail;
    }
    err = s->io.close(s->io.ctx, wr->fd) != 0 ? errno : 0;
    wr->fd = -1;
    if (err != 0) {
        rc = io_error(s, err, "close snapshot.tmp");
        goto fail;
    }
    if (s->io.renameat(s->io.ctx, s->dirfd, FNLI_STORE_SNAPSHOT_TMP,
                       FNLI_STORE_SNAPSHOT) != 0) {
        rc = io_error(s, errno, "rename snapshot.tmp to snapshot");
        goto fail;
    }
    /* the name now points at the new snapshot */
    s->writing = 0;
    s->has_snap = 1;
    s->snap_seq = wr->seq;
    return sync_dir(s);
fail:
    abort_writer(s);
    return rc;
}

static void file_snapshot_abort(void *ctx, void *w)
{
    file_store *s = ctx;
    if (w == &s->writer && s->writing)
        abort_writer(s);
}

static int file_snapshot_open(void *ctx, uint64_t *seq, void **r)
{
    file_store *s = ctx;
    snap_reader *rd;
    uint64_t sseq, len, pos = 0;
    uint32_t want, crc = 0;
    int rc, fd;

    if (seq == NULL || r == NULL)
        return FNL_EINVAL;
    fd = s->io.openat(s->io.ctx, s->dirfd, FNLI_STORE_SNAPSHOT,
                      O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) {
        if (errno == ENOENT) {
            set_msg(s, "snapshot: there is none");
            return FNL_ENOTFOUND;
        }
        return io_error(s, errno, "open snapshot");
    }
    rc = read_snapshot_header(s, fd, &sseq, &len, &want);
    if (rc != FNL_OK)
        goto fail;
    /* check the whole payload before the engine sees a byte of it; the
     * window's buffer serves as scratch */
    s->win.len = 0;
    while (pos < len) {
        size_t n = len - pos > s->win.cap ? s->win.cap : (size_t)(len - pos);
        size_t got;
        int err = read_full(s, fd, s->win.buf, n, FNLI_SNAPSHOT_HEADER + pos,
                            &got);
        if (err != 0) {
            rc = io_error(s, err, "read snapshot");
            goto fail;
        }
        if (got < n) {
            rc = corrupt(s, "snapshot: file is shorter than its header says");
            goto fail;
        }
        crc = fnli_crc32c(crc, s->win.buf, n);
        pos += n;
    }
    if (crc != want) {
        rc = corrupt(s, "snapshot: checksum mismatch");
        goto fail;
    }
    rd = fnli_malloc(&s->mem, sizeof(*rd));
    if (rd == NULL) {
        rc = FNL_ENOMEM;
        goto fail;
    }
    rd->fd = fd;
    rd->pos = 0;
    rd->len = len;
    *seq = sseq;
    *r = rd;
    return FNL_OK;
fail:
    close_fd(s, &fd);
    return rc;
}

static int file_snapshot_read(void *ctx, void *r, void *buf, size_t cap,
                              size_t *got)
{
    file_store *s = ctx;
    snap_reader *rd = r;
    size_t n, g;
    int err;

    if (rd == NULL || got == NULL || (buf == NULL && cap > 0))
        return FNL_EINVAL;
    n = rd->len - rd->pos > cap ? cap : (size_t)(rd->len - rd->pos);
    err = read_full(s, rd->fd, buf, n, FNLI_SNAPSHOT_HEADER + rd->pos, &g);
    if (err != 0)
        return io_error(s, err, "read snapshot");
    if (g < n)
        return corrupt(s, "snapshot: file shrank while it was read");
    rd->pos += n;
    *got = n;
    return FNL_OK;
}

static void file_snapshot_close(void *ctx, void *r)
{
    file_store *s = ctx;
    snap_reader *rd = r;
    if (rd == NULL)
        return;
    close_fd(s, &rd->fd);
    fnli_free(&s->mem, rd, sizeof(*rd));
}

/* ---- open and close ----------------------------------------------------- */

static void destroy(file_store *s)
{
    fnli_mem mem;
    if (s->writing)
        abort_writer(s);
    close_fd(s, &s->jfd);
    close_fd(s, &s->lockfd); /* releases the lock */
    close_fd(s, &s->dirfd);
    fnli_free(&s->mem, s->frame, s->frame ? FRAME_MAX : 0);
    fnli_free(&s->mem, s->win.buf, s->win.cap);
    mem = s->mem;
    fnli_free(&mem, s, sizeof(*s));
}

static void file_close(void *ctx)
{
    file_store *s = ctx;
    /* best effort: close cannot report a failure, call sync() first to
     * know that the last records are durable */
    if (!s->failed && s->policy != FNL_SYNC_NEVER && s->pending > 0)
        s->io.fsync(s->io.ctx, s->jfd, 1);
    destroy(s);
}

static int open_dir(file_store *s, const char *dir, int create)
{
    int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
    int fd = s->io.openat(s->io.ctx, AT_FDCWD, dir, flags, 0);

    if (fd < 0 && errno == ENOENT && create) {
        if (s->io.mkdir(s->io.ctx, dir, 0777) != 0 && errno != EEXIST)
            return io_error(s, errno, "create directory");
        fd = s->io.openat(s->io.ctx, AT_FDCWD, dir, flags, 0);
    }
    if (fd < 0) {
        if (errno == ENOENT) {
            set_msg(s, "directory does not exist");
            return FNL_ENOTFOUND;
        }
        return io_error(s, errno, "open directory");
    }
    s->dirfd = fd;
    return FNL_OK;
}

static int lock_dir(file_store *s)
{
    s->lockfd = s->io.openat(s->io.ctx, s->dirfd, FNLI_STORE_LOCK,
                             O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (s->lockfd < 0)
        return io_error(s, errno, "open LOCK");
    if (s->io.flock(s->io.ctx, s->lockfd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK || errno == EAGAIN) {
            set_msg(s, "the directory is in use by another open store");
            return FNL_EBUSY;
        }
        return io_error(s, errno, "lock LOCK");
    }
    return FNL_OK;
}

/* 1 if the journal exists, 0 if not, or a negative status. */
static int journal_exists(file_store *s)
{
    int fd = s->io.openat(s->io.ctx, s->dirfd, FNLI_STORE_JOURNAL,
                          O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        return errno == ENOENT ? 0 : io_error(s, errno, "open journal");
    close_fd(s, &fd);
    return 1;
}

static int remove_leftover(file_store *s, const char *name)
{
    if (s->io.unlinkat(s->io.ctx, s->dirfd, name) != 0 && errno != ENOENT) {
        char what[64];
        snprintf(what, sizeof(what), "remove %s", name);
        return io_error(s, errno, what);
    }
    return FNL_OK;
}

static int open_store(file_store *s, const char *dir, int create)
{
    int rc;

    rc = open_dir(s, dir, create);
    if (rc != FNL_OK)
        return rc;
    if (!create) {
        /* look before locking, so that a directory without a store is
         * left without a LOCK file too */
        rc = journal_exists(s);
        if (rc <= 0) {
            if (rc == 0)
                set_msg(s, "no store in the directory");
            return rc == 0 ? FNL_ENOTFOUND : rc;
        }
    }
    rc = lock_dir(s);
    if (rc != FNL_OK)
        return rc;
    s->frame = fnli_malloc(&s->mem, FRAME_MAX);
    if (s->frame == NULL)
        return FNL_ENOMEM;
    s->win.buf = fnli_malloc(&s->mem, WINDOW_SIZE);
    if (s->win.buf == NULL)
        return FNL_ENOMEM;
    s->win.cap = WINDOW_SIZE;
    rc = load_snapshot_seq(s);
    if (rc != FNL_OK)
        return rc;
    s->jfd = s->io.openat(s->io.ctx, s->dirfd, FNLI_STORE_JOURNAL,
                          O_RDWR | O_CLOEXEC, 0);
    if (s->jfd >= 0) {
        rc = recover_journal(s);
    } else if (errno != ENOENT) {
        rc = io_error(s, errno, "open journal");
    } else if (s->has_snap) {
        rc = corrupt(s, "journal: missing, but there is a snapshot");
    } else if (!create) {
        set_msg(s, "no store in the directory");
        rc = FNL_ENOTFOUND;
    } else {
        rc = reset_journal(s, 0);
    }
    if (rc != FNL_OK)
        return rc;
    win_reset(s); /* recovery may have grown it for a big record */
    rc = remove_leftover(s, FNLI_STORE_JOURNAL_TMP);
    if (rc == FNL_OK)
        rc = remove_leftover(s, FNLI_STORE_SNAPSHOT_TMP);
    return rc;
}

#define OPT_HAS(o, f)                                                        \
    ((o)->size >= offsetof(fnl_storage_file_options, f) + sizeof((o)->f))

static void put_errbuf(const fnl_storage_file_options *o, const char *msg)
{
    if (o == NULL || !OPT_HAS(o, errbuf_size) || o->errbuf == NULL ||
        o->errbuf_size == 0)
        return;
    snprintf(o->errbuf, o->errbuf_size, "%s", msg);
}

/* Copy the options that fit in o->size into s; defaults for the rest. */
static int take_options(file_store *s, const fnl_storage_file_options *o,
                        const fnl_allocator **alloc, int *create,
                        const char **why)
{
    *alloc = NULL;
    *create = 1;
    s->policy = FNL_SYNC_EVERY_RECORD;
    s->recovery = FNL_RECOVER_STRICT;
    if (o == NULL)
        return FNL_OK;
    if (o->size < sizeof(uint32_t)) {
        *why = "options: size is too small";
        return FNL_EINVAL;
    }
    if (OPT_HAS(o, sync_policy))
        s->policy = o->sync_policy;
    if (OPT_HAS(o, allocator))
        *alloc = o->allocator;
    if (OPT_HAS(o, sync_every_records))
        s->every_records = o->sync_every_records;
    if (OPT_HAS(o, sync_every_ms))
        s->every_ms = o->sync_every_ms;
    if (OPT_HAS(o, clock) && o->clock != NULL) {
        if (o->clock->version == 0 || o->clock->now == NULL) {
            *why = "options: malformed clock table";
            return FNL_EINVAL;
        }
        if (o->clock->version > FNL_CLOCK_VERSION) {
            *why = "options: clock table version is too new";
            return FNL_EVERSION;
        }
        s->clock = *o->clock;
        s->has_clock = 1;
    }
    if (OPT_HAS(o, create_if_missing))
        *create = o->create_if_missing != 0;
    if (OPT_HAS(o, recovery))
        s->recovery = o->recovery;
    if (s->policy > FNL_SYNC_NEVER) {
        *why = "options: unknown sync policy";
        return FNL_EINVAL;
    }
    if (s->policy == FNL_SYNC_INTERVAL && s->every_records == 0 &&
        s->every_ms == 0) {
        *why = "options: FNL_SYNC_INTERVAL needs sync_every_records or "
               "sync_every_ms";
        return FNL_EINVAL;
    }
    if (s->recovery > FNL_RECOVER_TRUNCATE) {
        *why = "options: unknown recovery policy";
        return FNL_EINVAL;
    }
    return FNL_OK;
}

int fnli_storage_file_open_io(fnl_storage **out, const char *dir,
                              const fnl_storage_file_options *opts,
                              const fnli_file_io *io)
{
    file_store tmp, *s;
    const fnl_allocator *alloc;
    const char *why = "invalid argument";
    fnli_mem mem;
    int create, rc;

    if (out == NULL || dir == NULL || *dir == '\0' || io == NULL) {
        put_errbuf(opts, "out, dir and io are required");
        return FNL_EINVAL;
    }
    memset(&tmp, 0, sizeof(tmp));
    rc = take_options(&tmp, opts, &alloc, &create, &why);
    if (rc == FNL_OK) {
        rc = fnli_mem_init(&mem, alloc);
        why = "options: malformed allocator table";
    }
    if (rc != FNL_OK) {
        put_errbuf(opts, why);
        return rc;
    }
    s = fnli_malloc(&mem, sizeof(*s));
    if (s == NULL) {
        put_errbuf(opts, "out of memory");
        return FNL_ENOMEM;
    }
    *s = tmp;
    s->mem = mem;
    s->io = *io;
    s->dirfd = s->lockfd = s->jfd = s->writer.fd = -1;
    rc = open_store(s, dir, create);
    if (rc == FNL_ENOMEM)
        set_msg(s, "out of memory");
    put_errbuf(opts, s->msg);
    if (rc != FNL_OK) {
        destroy(s);
        return rc;
    }
    if (s->every_ms > 0)
        s->last_sync_ms = now_ms(s);
    s->table.version = FNL_STORAGE_VERSION;
    s->table.ctx = s;
    s->table.append = file_append;
    s->table.sync = file_sync;
    s->table.replay = file_replay;
    s->table.snapshot_begin = file_snapshot_begin;
    s->table.snapshot_write = file_snapshot_write;
    s->table.snapshot_commit = file_snapshot_commit;
    s->table.snapshot_abort = file_snapshot_abort;
    s->table.snapshot_open = file_snapshot_open;
    s->table.snapshot_read = file_snapshot_read;
    s->table.snapshot_close = file_snapshot_close;
    s->table.truncate = file_truncate;
    s->table.close = file_close;
    *out = &s->table;
    return FNL_OK;
}

FNL_API int fnl_storage_file_open(fnl_storage **out, const char *dir,
                                  const fnl_storage_file_options *opts)
{
    fnli_file_io io;
    fnli_file_io_default(&io);
    return fnli_storage_file_open_io(out, dir, opts, &io);
}

FNLI_DEFINE_INIT(fnl_storage_file_options_init, fnl_storage_file_options,
                 FNL_STORAGE_FILE_OPTIONS_INIT)
FNLI_DEFINE_INIT(fnl_storage_file_info_init, fnl_storage_file_info,
                 FNL_STORAGE_FILE_INFO_INIT)

static const file_store *as_file_store(const fnl_storage *st)
{
    if (st == NULL || st->close != file_close || st->ctx == NULL)
        return NULL;
    return st->ctx;
}

FNL_API int fnl_storage_file_stats(const fnl_storage *st,
                                   fnl_storage_file_info *out)
{
    const file_store *s = as_file_store(st);
    fnl_storage_file_info info;
    uint32_t size;

    if (s == NULL || out == NULL || out->size < sizeof(uint32_t))
        return FNL_EINVAL;
    memset(&info, 0, sizeof(info));
    info.dropped_bytes = s->dropped_bytes;
    info.dropped_records = s->dropped_records;
    info.dropped_offset = s->dropped_offset;
    info.records = s->records;
    info.first_seq = s->first_seq;
    info.last_seq = s->last_seq;
    info.journal_bytes = s->end;
    info.snapshot_seq = s->snap_seq;
    info.has_snapshot = (uint32_t)s->has_snap;
    info.failed = (uint32_t)s->failed;
    info.syncs = s->syncs;
    size = out->size;
    memcpy(out, &info, size < sizeof(info) ? size : sizeof(info));
    out->size = size;
    return FNL_OK;
}

FNL_API const char *fnl_storage_file_errmsg(const fnl_storage *st)
{
    const file_store *s = as_file_store(st);
    return s != NULL ? s->msg : "";
}
