/* teststore.h -- a storage written the way a host would write one, kept
 * entirely in memory and open to tests: they can read and damage its
 * snapshot bytes and make any callback fail from the Nth call on. */
#ifndef FNL_TESTSTORE_H
#define FNL_TESTSTORE_H

#include <stdlib.h>
#include <string.h>
#include "funnelcore.h"

typedef struct ts_rec {
    uint64_t seq;
    unsigned char *p;
    size_t n;
} ts_rec;

typedef struct teststore {
    fnl_storage table;
    ts_rec *recs;
    size_t nrecs, cap;
    unsigned char *snap;     /* committed snapshot */
    size_t snap_n;
    uint64_t snap_seq;
    int has_snap;
    unsigned char *wbuf;     /* snapshot being written */
    size_t wn, wcap;
    uint64_t wseq;
    size_t rpos;             /* reader position */
    long fail_append_at;     /* fail the Nth append from now (-1 never) */
    long fail_write_at;      /* same for snapshot writes */
    long appends, writes;
} teststore;

static int ts_append(void *ctx, uint64_t seq, const void *rec, size_t len)
{
    teststore *s = ctx;
    if (s->fail_append_at >= 0 && s->appends++ >= s->fail_append_at)
        return FNL_EIO;
    if (s->nrecs == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->recs = realloc(s->recs, s->cap * sizeof(ts_rec));
    }
    s->recs[s->nrecs].seq = seq;
    s->recs[s->nrecs].p = malloc(len ? len : 1);
    memcpy(s->recs[s->nrecs].p, rec, len);
    s->recs[s->nrecs].n = len;
    s->nrecs++;
    return FNL_OK;
}

static int ts_sync(void *ctx)
{
    (void)ctx;
    return FNL_OK;
}

static int ts_replay(void *ctx, uint64_t after, fnl_replay_fn fn, void *arg)
{
    teststore *s = ctx;
    size_t i;
    for (i = 0; i < s->nrecs; i++) {
        int rc;
        if (s->recs[i].seq <= after)
            continue;
        rc = fn(arg, s->recs[i].seq, s->recs[i].p, s->recs[i].n);
        if (rc != 0)
            return rc;
    }
    return FNL_OK;
}

static int ts_snap_begin(void *ctx, uint64_t seq, void **w)
{
    teststore *s = ctx;
    s->wn = 0;
    s->wseq = seq;
    *w = s;
    return FNL_OK;
}

static int ts_snap_write(void *ctx, void *w, const void *buf, size_t len)
{
    teststore *s = ctx;
    (void)w;
    if (s->fail_write_at >= 0 && s->writes++ >= s->fail_write_at)
        return FNL_EIO;
    if (s->wn + len > s->wcap) {
        s->wcap = (s->wn + len) * 2;
        s->wbuf = realloc(s->wbuf, s->wcap);
    }
    memcpy(s->wbuf + s->wn, buf, len);
    s->wn += len;
    return FNL_OK;
}

static int ts_snap_commit(void *ctx, void *w)
{
    teststore *s = ctx;
    (void)w;
    free(s->snap);
    s->snap = malloc(s->wn ? s->wn : 1);
    memcpy(s->snap, s->wbuf, s->wn);
    s->snap_n = s->wn;
    s->snap_seq = s->wseq;
    s->has_snap = 1;
    return FNL_OK;
}

static void ts_snap_abort(void *ctx, void *w)
{
    (void)ctx;
    (void)w;
}

static int ts_snap_open(void *ctx, uint64_t *seq, void **r)
{
    teststore *s = ctx;
    if (!s->has_snap)
        return FNL_ENOTFOUND;
    *seq = s->snap_seq;
    s->rpos = 0;
    *r = s;
    return FNL_OK;
}

static int ts_snap_read(void *ctx, void *r, void *buf, size_t cap,
                        size_t *got)
{
    teststore *s = ctx;
    size_t n = s->snap_n - s->rpos;
    (void)r;
    /* odd chunk sizes exercise the reader's reassembly */
    if (n > cap)
        n = cap;
    if (n > 4093)
        n = 4093;
    memcpy(buf, s->snap + s->rpos, n);
    s->rpos += n;
    *got = n;
    return FNL_OK;
}

static void ts_snap_close(void *ctx, void *r)
{
    (void)ctx;
    (void)r;
}

static int ts_truncate(void *ctx, uint64_t upto)
{
    teststore *s = ctx;
    size_t i, k = 0;
    for (i = 0; i < s->nrecs; i++) {
        if (s->recs[i].seq <= upto)
            free(s->recs[i].p);
        else
            s->recs[k++] = s->recs[i];
    }
    s->nrecs = k;
    return FNL_OK;
}

static void ts_init(teststore *s)
{
    memset(s, 0, sizeof(*s));
    s->fail_append_at = -1;
    s->fail_write_at = -1;
    s->table.version = FNL_STORAGE_VERSION;
    s->table.ctx = s;
    s->table.append = ts_append;
    s->table.sync = ts_sync;
    s->table.replay = ts_replay;
    s->table.snapshot_begin = ts_snap_begin;
    s->table.snapshot_write = ts_snap_write;
    s->table.snapshot_commit = ts_snap_commit;
    s->table.snapshot_abort = ts_snap_abort;
    s->table.snapshot_open = ts_snap_open;
    s->table.snapshot_read = ts_snap_read;
    s->table.snapshot_close = ts_snap_close;
    s->table.truncate = ts_truncate;
}

static void ts_free(teststore *s)
{
    size_t i;
    for (i = 0; i < s->nrecs; i++)
        free(s->recs[i].p);
    free(s->recs);
    free(s->snap);
    free(s->wbuf);
}

#endif
