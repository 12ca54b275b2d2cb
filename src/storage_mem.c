/* storage_mem.c -- the memory storage: the journal and the current snapshot
 * kept in memory, with the same rules as the file store (funnelcore.h), so
 * that tests written against one hold for the other.  Also defines
 * fnl_storage_close(), the one entry point every storage shares. */
#include <string.h>
#include "mem.h"
#include "funnelcore.h"

FNL_API void fnl_storage_close(fnl_storage *storage)
{
    if (storage != NULL && storage->close != NULL)
        storage->close(storage->ctx);
}

typedef struct mem_record {
    uint64_t seq;
    size_t len;
    unsigned char *data; /* NULL when len is 0 */
} mem_record;

/* A committed snapshot.  Readers hold a reference, so a snapshot replaced
 * by a newer commit lives until its last reader closes. */
typedef struct mem_snap {
    size_t refs;
    uint64_t seq;
    size_t len, cap;
    unsigned char *data;
} mem_snap;

typedef struct mem_writer {
    uint64_t seq;
    size_t len, cap;
    unsigned char *data;
} mem_writer;

typedef struct mem_reader {
    mem_snap *snap;
    size_t pos;
} mem_reader;

typedef struct mem_store {
    fnl_storage table; /* first: the handle given to the host */
    fnli_mem mem;
    mem_record *recs;  /* recs[head..count) are live */
    size_t head, count, cap;
    uint64_t last_seq; /* highest seq held or truncated */
    uint64_t base;     /* records <= base were truncated */
    mem_snap *snap;    /* current snapshot or NULL */
    mem_writer *writer;
} mem_store;

static void snap_unref(mem_store *s, mem_snap *sn)
{
    if (sn == NULL || --sn->refs > 0)
        return;
    fnli_free(&s->mem, sn->data, sn->cap);
    fnli_free(&s->mem, sn, sizeof(*sn));
}

static int mem_append(void *ctx, uint64_t seq, const void *rec, size_t len)
{
    mem_store *s = ctx;
    unsigned char *copy = NULL;
    int rc;

    if (seq == 0 || seq <= s->last_seq || (rec == NULL && len > 0))
        return FNL_EINVAL;
    if (len > FNL_STORAGE_MAX_RECORD)
        return FNL_ELIMIT;
    if (s->head > 0 && s->count == s->cap) {
        /* reuse the room truncate() left at the front */
        memmove(s->recs, s->recs + s->head,
                (s->count - s->head) * sizeof(*s->recs));
        s->count -= s->head;
        s->head = 0;
    }
    rc = fnli_grow(&s->mem, (void **)&s->recs, &s->cap, s->count + 1,
                   sizeof(*s->recs), 16);
    if (rc != FNL_OK)
        return rc;
    if (len > 0) {
        copy = fnli_malloc(&s->mem, len);
        if (copy == NULL)
            return FNL_ENOMEM;
        memcpy(copy, rec, len);
    }
    s->recs[s->count].seq = seq;
    s->recs[s->count].len = len;
    s->recs[s->count].data = copy;
    s->count++;
    s->last_seq = seq;
    return FNL_OK;
}

static int mem_sync(void *ctx)
{
    (void)ctx;
    return FNL_OK;
}

static int mem_replay(void *ctx, uint64_t after, fnl_replay_fn fn, void *arg)
{
    mem_store *s = ctx;
    size_t i;

    if (fn == NULL)
        return FNL_EINVAL;
    for (i = s->head; i < s->count; i++) {
        const mem_record *r = &s->recs[i];
        int rc;
        if (r->seq <= after)
            continue;
        rc = fn(arg, r->seq, r->data, r->len);
        if (rc != 0)
            return rc;
    }
    return FNL_OK;
}

static int mem_snapshot_begin(void *ctx, uint64_t seq, void **w)
{
    mem_store *s = ctx;
    mem_writer *wr;

    /* records <= base are gone from the journal: a snapshot must cover
     * them, and it cannot cover records that were never appended */
    if (w == NULL || seq > s->last_seq || seq < s->base)
        return FNL_EINVAL;
    if (s->writer != NULL)
        return FNL_EBUSY;
    wr = fnli_calloc(&s->mem, 1, sizeof(*wr));
    if (wr == NULL)
        return FNL_ENOMEM;
    wr->seq = seq;
    s->writer = wr;
    *w = wr;
    return FNL_OK;
}

static void writer_free(mem_store *s, mem_writer *wr)
{
    fnli_free(&s->mem, wr->data, wr->cap);
    fnli_free(&s->mem, wr, sizeof(*wr));
    s->writer = NULL;
}

static int mem_snapshot_write(void *ctx, void *w, const void *buf, size_t len)
{
    mem_store *s = ctx;
    mem_writer *wr = w;
    int rc;

    if (wr == NULL || wr != s->writer || (buf == NULL && len > 0))
        return FNL_EINVAL;
    if (len > SIZE_MAX - wr->len)
        return FNL_ELIMIT;
    rc = fnli_grow(&s->mem, (void **)&wr->data, &wr->cap, wr->len + len, 1,
                   4096);
    if (rc != FNL_OK)
        return rc;
    if (len > 0)
        memcpy(wr->data + wr->len, buf, len);
    wr->len += len;
    return FNL_OK;
}

static int mem_snapshot_commit(void *ctx, void *w)
{
    mem_store *s = ctx;
    mem_writer *wr = w;
    mem_snap *sn;

    if (wr == NULL || wr != s->writer)
        return FNL_EINVAL;
    sn = fnli_calloc(&s->mem, 1, sizeof(*sn));
    if (sn == NULL) {
        writer_free(s, wr);
        return FNL_ENOMEM;
    }
    sn->refs = 1;
    sn->seq = wr->seq;
    sn->len = wr->len;
    sn->cap = wr->cap;
    sn->data = wr->data; /* the snapshot takes the writer's buffer */
    wr->data = NULL;
    wr->cap = 0;
    writer_free(s, wr);
    snap_unref(s, s->snap);
    s->snap = sn;
    return FNL_OK;
}

static void mem_snapshot_abort(void *ctx, void *w)
{
    mem_store *s = ctx;
    if (w != NULL && w == s->writer)
        writer_free(s, w);
}

static int mem_snapshot_open(void *ctx, uint64_t *seq, void **r)
{
    mem_store *s = ctx;
    mem_reader *rd;

    if (seq == NULL || r == NULL)
        return FNL_EINVAL;
    if (s->snap == NULL)
        return FNL_ENOTFOUND;
    rd = fnli_calloc(&s->mem, 1, sizeof(*rd));
    if (rd == NULL)
        return FNL_ENOMEM;
    rd->snap = s->snap;
    rd->snap->refs++;
    *seq = rd->snap->seq;
    *r = rd;
    return FNL_OK;
}

static int mem_snapshot_read(void *ctx, void *r, void *buf, size_t cap,
                             size_t *got)
{
    mem_reader *rd = r;
    size_t n;

    (void)ctx;
    if (rd == NULL || got == NULL || (buf == NULL && cap > 0))
        return FNL_EINVAL;
    n = rd->snap->len - rd->pos;
    if (n > cap)
        n = cap;
    if (n > 0)
        memcpy(buf, rd->snap->data + rd->pos, n);
    rd->pos += n;
    *got = n;
    return FNL_OK;
}

static void mem_snapshot_close(void *ctx, void *r)
{
    mem_store *s = ctx;
    mem_reader *rd = r;
    if (rd == NULL)
        return;
    snap_unref(s, rd->snap);
    fnli_free(&s->mem, rd, sizeof(*rd));
}

static int mem_truncate(void *ctx, uint64_t upto)
{
    mem_store *s = ctx;

    if (s->snap == NULL ? upto > 0 : upto > s->snap->seq)
        return FNL_EINVAL;
    while (s->head < s->count && s->recs[s->head].seq <= upto) {
        mem_record *r = &s->recs[s->head];
        fnli_free(&s->mem, r->data, r->len);
        s->head++;
    }
    if (s->head == s->count)
        s->head = s->count = 0;
    if (upto > s->base)
        s->base = upto;
    if (upto > s->last_seq)
        s->last_seq = upto;
    return FNL_OK;
}

static void mem_close(void *ctx)
{
    mem_store *s = ctx;
    fnli_mem mem;
    size_t i;

    for (i = s->head; i < s->count; i++)
        fnli_free(&s->mem, s->recs[i].data, s->recs[i].len);
    fnli_free(&s->mem, s->recs, s->cap * sizeof(*s->recs));
    if (s->writer != NULL)
        writer_free(s, s->writer);
    /* readers must be closed before the storage (docs/storage.md); one
     * left open keeps its snapshot, which is then leaked */
    snap_unref(s, s->snap);
    mem = s->mem;
    fnli_free(&mem, s, sizeof(*s));
}

FNL_API int fnl_storage_mem_open(fnl_storage **out, const fnl_allocator *alloc)
{
    fnli_mem mem;
    mem_store *s;
    int rc;

    if (out == NULL)
        return FNL_EINVAL;
    rc = fnli_mem_init(&mem, alloc);
    if (rc != FNL_OK)
        return rc;
    s = fnli_calloc(&mem, 1, sizeof(*s));
    if (s == NULL)
        return FNL_ENOMEM;
    s->mem = mem;
    s->table.version = FNL_STORAGE_VERSION;
    s->table.ctx = s;
    s->table.append = mem_append;
    s->table.sync = mem_sync;
    s->table.replay = mem_replay;
    s->table.snapshot_begin = mem_snapshot_begin;
    s->table.snapshot_write = mem_snapshot_write;
    s->table.snapshot_commit = mem_snapshot_commit;
    s->table.snapshot_abort = mem_snapshot_abort;
    s->table.snapshot_open = mem_snapshot_open;
    s->table.snapshot_read = mem_snapshot_read;
    s->table.snapshot_close = mem_snapshot_close;
    s->table.truncate = mem_truncate;
    s->table.close = mem_close;
    *out = &s->table;
    return FNL_OK;
}
