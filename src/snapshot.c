/* snapshot.c -- the engine's whole state as a byte stream, and back.
 *
 * Format (little-endian; version 1):
 *   header   "FNLSNAP\0", u32 format version, u32 flags, u64 seq,
 *            u32 reserved, u32 CRC-32C of the preceding 28 bytes
 *   frames   u32 section, u32 flags (1: zlib), u32 raw length,
 *            u32 stored length, u32 CRC-32C of the stored bytes, bytes
 * Sections come in a fixed order (META, STRINGS, CONTACTS, KEYS, ATTRS,
 * NAMES, ACCOUNTS, DEALS, DEAL_CONTACTS, COSTS, CLASSES, TOUCHES, END); a
 * section may span many frames, each holding whole records.  Records are
 * field by field (varints), touches column by column; a CLASSES frame may
 * end with the actors of its classes (see write_class_actors).  Strings that no
 * record references are written as tombstones: that is how erased personal
 * data leaves the snapshot.  OWNERS and DEAL_ATTRS (owner records, the
 * deals' attribute lists) come after STAGES, before END, when not empty.
 *
 * Loading trusts nothing: every frame is checksummed, every reference is
 * range-checked, and every linked list is walked once with a visited
 * bitmap, so damaged or hostile bytes give FNL_ECORRUPT, never a crash or
 * an endless loop. */
#include <stdlib.h>
#include "crc32c.h"
#include "fnl_config.h"
#include "score_engine.h"
#include "owner.h"
#include "stage_engine.h"
#include "store.h"
#if FNL_HAVE_ZLIB
#include <zlib.h>
#endif

#define SNAP_VERSION 1
#define FRAME_TARGET (1u << 20)
#define FRAME_MAX (64u << 20)

enum {
    S_META = 1, S_STRINGS, S_CONTACTS, S_KEYS, S_ATTRS, S_NAMES, S_ACCOUNTS,
    S_DEALS, S_DCS, S_COSTS, S_CLASSES, S_TOUCHES, S_MODELS, S_STAGES, S_END,
    /* Sections added after the first format take the numbers after END
     * but come before it (section_rank): owner records and deal
     * attributes, each written only when there are any, so a state
     * without them gives the bytes of the first format. */
    S_OWNERS, S_DEAL_ATTRS, S_LAST = S_DEAL_ATTRS
};

/* The position of a section in the stream: END is last. */
static uint32_t section_rank(uint32_t section)
{
    return section == S_END ? S_LAST + 1 : section;
}

/* ---- record descriptors -------------------------------------------------- */

enum { F_U32, F_U16, F_U8, F_I64, F_F64 };
/* what a field refers to, for validation */
enum { R_NONE, R_STR, R_CONTACT, R_KEY, R_ATTR, R_NAME, R_ACCOUNT, R_DC,
       R_TOUCH, R_NR };

typedef struct fdesc {
    uint16_t off;
    uint8_t type;
    uint8_t ref;
} fdesc;

#define FD(T, f, ty, r) {(uint16_t)offsetof(T, f), ty, r}
static const fdesc contact_fd[] = {
    FD(fnli_contact, touch_head, F_U32, R_TOUCH),
    FD(fnli_contact, touch_count, F_U32, R_NONE),
    FD(fnli_contact, account, F_U32, R_ACCOUNT),
    FD(fnli_contact, parent, F_U32, R_CONTACT),
    FD(fnli_contact, gen, F_U16, R_NONE),
    FD(fnli_contact, role, F_U8, R_NONE),
    FD(fnli_contact, state, F_U8, R_NONE),
    FD(fnli_contact, keys, F_U32, R_KEY),
    FD(fnli_contact, attrs, F_U32, R_ATTR),
    FD(fnli_contact, tags, F_U32, R_NAME),
    FD(fnli_contact, acct_next, F_U32, R_CONTACT),
    FD(fnli_contact, owner, F_U32, R_STR),
    FD(fnli_contact, created, F_I64, R_NONE)};
static const fdesc attr_fd[] = {
    FD(fnli_attrnode, name, F_U32, R_STR),
    FD(fnli_attrnode, next, F_U32, R_ATTR),
    FD(fnli_attrnode, type, F_U8, R_NONE),
    FD(fnli_attrnode, prio, F_U8, R_NONE),
    FD(fnli_attrnode, str, F_U32, R_STR),
    FD(fnli_attrnode, time, F_I64, R_NONE),
    FD(fnli_attrnode, num, F_F64, R_NONE)};
static const fdesc name_fd[] = {
    FD(fnli_namenode, name, F_U32, R_STR),
    FD(fnli_namenode, next, F_U32, R_NAME)};
static const fdesc account_fd[] = {
    FD(fnli_account, name, F_U32, R_STR),
    FD(fnli_account, domains, F_U32, R_NAME),
    FD(fnli_account, attrs, F_U32, R_ATTR),
    FD(fnli_account, owner, F_U32, R_STR),
    FD(fnli_account, contacts, F_U32, R_CONTACT),
    FD(fnli_account, ncontacts, F_U32, R_NONE),
    FD(fnli_account, created, F_I64, R_NONE),
    FD(fnli_account, gen, F_U16, R_NONE)};
static const fdesc deal_fd[] = {
    FD(fnli_deal, name, F_U32, R_STR),
    FD(fnli_deal, account, F_U32, R_ACCOUNT),
    FD(fnli_deal, contacts, F_U32, R_DC),
    FD(fnli_deal, ncontacts, F_U32, R_NONE),
    FD(fnli_deal, currency, F_U32, R_NONE),
    FD(fnli_deal, stage, F_U32, R_STR),
    FD(fnli_deal, owner, F_U32, R_STR),
    FD(fnli_deal, gen, F_U16, R_NONE),
    FD(fnli_deal, status, F_U8, R_NONE),
    FD(fnli_deal, amount, F_I64, R_NONE),
    FD(fnli_deal, created, F_I64, R_NONE),
    FD(fnli_deal, closed, F_I64, R_NONE)};
static const fdesc dc_fd[] = {
    FD(fnli_dealcontact, contact, F_U32, R_CONTACT),
    FD(fnli_dealcontact, next, F_U32, R_DC),
    FD(fnli_dealcontact, role, F_U32, R_NONE)};
static const fdesc cost_fd[] = {
    FD(fnli_costrec, channel, F_U32, R_STR),
    FD(fnli_costrec, campaign, F_U32, R_STR),
    FD(fnli_costrec, region, F_U32, R_STR),
    FD(fnli_costrec, currency, F_U32, R_NONE),
    FD(fnli_costrec, start, F_I64, R_NONE),
    FD(fnli_costrec, end, F_I64, R_NONE),
    FD(fnli_costrec, amount, F_I64, R_NONE)};
static const fdesc class_fd[] = {
    FD(fnli_tclass, f[0], F_U32, R_STR), FD(fnli_tclass, f[1], F_U32, R_STR),
    FD(fnli_tclass, f[2], F_U32, R_STR), FD(fnli_tclass, f[3], F_U32, R_STR),
    FD(fnli_tclass, f[4], F_U32, R_STR), FD(fnli_tclass, f[5], F_U32, R_STR),
    FD(fnli_tclass, f[6], F_U32, R_STR), FD(fnli_tclass, f[7], F_U32, R_STR),
    FD(fnli_tclass, f[8], F_U32, R_STR)};
#define NF(a) (sizeof(a) / sizeof((a)[0]))

typedef struct pooldef {
    int section;
    size_t poolofs;            /* offset of the fnli_pool in fnl_engine */
    const fdesc *fd;
    size_t nfd;
} pooldef;

static const pooldef pools[] = {
    {S_CONTACTS, offsetof(fnl_engine, contacts), contact_fd, NF(contact_fd)},
    {S_ATTRS, offsetof(fnl_engine, attrs), attr_fd, NF(attr_fd)},
    {S_NAMES, offsetof(fnl_engine, names), name_fd, NF(name_fd)},
    {S_ACCOUNTS, offsetof(fnl_engine, accounts), account_fd, NF(account_fd)},
    {S_DEALS, offsetof(fnl_engine, dealpool), deal_fd, NF(deal_fd)},
    {S_DCS, offsetof(fnl_engine, dcs), dc_fd, NF(dc_fd)},
    {S_COSTS, offsetof(fnl_engine, costs), cost_fd, NF(cost_fd)},
    {S_CLASSES, offsetof(fnl_engine, classes), class_fd, NF(class_fd)}};

static fnli_pool *pool_of(fnl_engine *e, size_t ofs)
{
    return (fnli_pool *)(void *)((char *)e + ofs);
}

static void enc_fields(fnli_wbuf *w, const void *rec, const fdesc *fd,
                       size_t n)
{
    const char *p = rec;
    size_t i;
    for (i = 0; i < n; i++) {
        uint32_t u32;
        uint16_t u16;
        int64_t i64;
        double f;
        switch (fd[i].type) {
        case F_U32: memcpy(&u32, p + fd[i].off, 4); fnli_w_uv(w, u32); break;
        case F_U16: memcpy(&u16, p + fd[i].off, 2); fnli_w_uv(w, u16); break;
        case F_U8: fnli_w_u8(w, (unsigned char)p[fd[i].off]); break;
        case F_I64: memcpy(&i64, p + fd[i].off, 8); fnli_w_sv(w, i64); break;
        default: memcpy(&f, p + fd[i].off, 8); fnli_w_f64(w, f); break;
        }
    }
}

static void dec_fields(fnli_rbuf *r, void *rec, const fdesc *fd, size_t n)
{
    char *p = rec;
    size_t i;
    for (i = 0; i < n; i++) {
        uint64_t v;
        int64_t i64;
        double f;
        switch (fd[i].type) {
        case F_U32:
            v = fnli_r_uv(r);
            if (v > UINT32_MAX)
                r->bad = 1;
            memcpy(p + fd[i].off, &(uint32_t){(uint32_t)v}, 4);
            break;
        case F_U16:
            v = fnli_r_uv(r);
            if (v > UINT16_MAX)
                r->bad = 1;
            memcpy(p + fd[i].off, &(uint16_t){(uint16_t)v}, 2);
            break;
        case F_U8: p[fd[i].off] = (char)fnli_r_u8(r); break;
        case F_I64:
            i64 = fnli_r_sv(r);
            memcpy(p + fd[i].off, &i64, 8);
            break;
        default:
            f = fnli_r_f64(r);
            memcpy(p + fd[i].off, &f, 8);
            break;
        }
    }
}

/* ---- writing ------------------------------------------------------------- */

typedef struct swriter {
    fnl_engine *e;
    void *w;                   /* the storage's writer */
    fnli_wbuf frame;
    fnli_wbuf packed;
    int section;
    uint32_t compression;
    int rc;
} swriter;

static void put_u32(unsigned char *b, uint32_t v)
{
    b[0] = (unsigned char)v;
    b[1] = (unsigned char)(v >> 8);
    b[2] = (unsigned char)(v >> 16);
    b[3] = (unsigned char)(v >> 24);
}

static uint32_t get_u32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
           (uint32_t)b[3] << 24;
}

static void emit(swriter *s, const void *p, size_t n)
{
    int rc;
    if (s->rc != FNL_OK || n == 0)
        return;
    rc = s->e->storage->snapshot_write(s->e->storage->ctx, s->w, p, n);
    if (rc != FNL_OK)
        s->rc = fnli_fail(s->e, FNL_EIO, "snapshot write failed (%s)",
                          fnl_strerror(rc));
}

static void flush_frame(swriter *s)
{
    unsigned char hdr[20];
    const unsigned char *out = s->frame.p;
    size_t stored = s->frame.n;
    uint32_t flags = 0;
    if (s->rc != FNL_OK)
        return;
    if (s->frame.failed) {
        s->rc = fnli_fail(s->e, FNL_ENOMEM, "allocation failed (snapshot)");
        return;
    }
#if FNL_HAVE_ZLIB
    if (s->compression == 1 && s->frame.n > 64) {
        uLongf len = compressBound((uLong)s->frame.n);
        fnli_w_reset(&s->packed);
        if (fnli_w_reserve(&s->packed, len) != FNL_OK) {
            s->rc = fnli_fail(s->e, FNL_ENOMEM, "allocation failed");
            return;
        }
        if (compress2(s->packed.p, &len, s->frame.p, (uLong)s->frame.n, 1) ==
                Z_OK &&
            len < s->frame.n) {
            out = s->packed.p;
            stored = len;
            flags = 1;
        }
    }
#endif
    put_u32(hdr, (uint32_t)s->section);
    put_u32(hdr + 4, flags);
    put_u32(hdr + 8, (uint32_t)s->frame.n);
    put_u32(hdr + 12, (uint32_t)stored);
    put_u32(hdr + 16, fnli_crc32c(0, out, stored));
    emit(s, hdr, sizeof(hdr));
    emit(s, out, stored);
    fnli_w_reset(&s->frame);
}

static void begin_section(swriter *s, int section)
{
    if (s->frame.n > 0)
        flush_frame(s);
    s->section = section;
}

/* Strings referenced by the state: everything else becomes a tombstone. */
static int mark_strings(fnl_engine *e, unsigned char **out)
{
    uint32_t n = fnli_intern_count(&e->strings) + 1, i, j;
    unsigned char *m = fnli_calloc(&e->mem, n, 1);
    size_t k, f;
    if (m == NULL)
        return FNL_ENOMEM;
    for (k = 0; k < NF(pools); k++) {
        fnli_pool *p = pool_of(e, pools[k].poolofs);
        for (i = 1; i < p->count; i++) {
            const char *rec = fnli_pool_at(p, i);
            for (f = 0; f < pools[k].nfd; f++) {
                uint32_t v;
                if (pools[k].fd[f].ref != R_STR)
                    continue;
                memcpy(&v, rec + pools[k].fd[f].off, 4);
                if (v < n)
                    m[v] = 1;
            }
        }
    }
    for (i = 1; i < e->keys.count; i++)
        m[KEYNODE(e, i)->kind < n ? KEYNODE(e, i)->kind : 0] = 1;
    /* touch actors: a class field outside class_fd */
    for (i = 1; i < e->classes.count; i++)
        m[TCLASS(e, i)->f[TF_BY] < n ? TCLASS(e, i)->f[TF_BY] : 0] = 1;
    for (j = 0; j < e->nrules; j++)
        m[e->rules[j].channel] = 1;
    /* owner names (their attributes and deal attributes are attribute
     * nodes, marked with the ATTRS pool above) */
    for (i = 1; i < e->owners.count; i++)
        m[OWNER(e, i)->name < n ? OWNER(e, i)->name : 0] = 1;
    fnli_stages_mark(e, m, n);
    m[0] = 0;
    *out = m;
    return FNL_OK;
}

/* The actors of touch classes (TF_BY) are no field of class_fd: a CLASSES
 * frame ends, after its n records, with an optional tagged section
 *   uv CS_ACTORS, uv m >= 1, then m pairs (uv skip, uv string id)
 * where a pair's class is `skip` classes after the previous pair's (the
 * first counts from the frame's first class).  It is written only when
 * some class of the frame has an actor, so a state without actors gives
 * the bytes of the first format, and frames written before actors
 * existed load unchanged (their classes have none). */
#define CS_ACTORS 1

static void write_class_actors(swriter *s, uint32_t first, uint32_t n)
{
    uint32_t k, m = 0, next = 0;
    for (k = 0; k < n; k++)
        m += TCLASS(s->e, first + k)->f[TF_BY] != 0;
    if (m == 0)
        return;
    fnli_w_uv(&s->frame, CS_ACTORS);
    fnli_w_uv(&s->frame, m);
    for (k = 0; k < n; k++) {
        uint32_t by = TCLASS(s->e, first + k)->f[TF_BY];
        if (by == 0)
            continue;
        fnli_w_uv(&s->frame, k - next);
        fnli_w_uv(&s->frame, by);
        next = k + 1;
    }
}

/* Free records keep whatever their free-list link left in them; they are
 * written like live ones, which reproduces the pool exactly. */
static void write_pool(swriter *s, const pooldef *pd)
{
    fnli_pool *p = pool_of(s->e, pd->poolofs);
    uint32_t i = 1;
    begin_section(s, pd->section);
    while (i < p->count && s->rc == FNL_OK) {
        uint32_t n = p->count - i, k;
        if (n > 8192)
            n = 8192;
        fnli_w_uv(&s->frame, i);
        fnli_w_uv(&s->frame, n);
        for (k = 0; k < n; k++)
            enc_fields(&s->frame, fnli_pool_at(p, i + k), pd->fd, pd->nfd);
        if (pd->section == S_CLASSES)
            write_class_actors(s, i, n);
        i += n;
        flush_frame(s);
    }
}

static void write_meta(swriter *s)
{
    fnl_engine *e = s->e;
    size_t k;
    begin_section(s, S_META);
    fnli_w_uv(&s->frame, fnli_intern_count(&e->strings));
    fnli_w_uv(&s->frame, e->keys.count);
    fnli_w_uv(&s->frame, e->keys.free_head);
    fnli_w_uv(&s->frame, e->keys.nfree);
    for (k = 0; k < NF(pools); k++) {
        fnli_pool *p = pool_of(e, pools[k].poolofs);
        fnli_w_uv(&s->frame, p->count);
        fnli_w_uv(&s->frame, p->free_head);
        fnli_w_uv(&s->frame, p->nfree);
    }
    fnli_w_uv(&s->frame, e->touches.count);
    fnli_w_uv(&s->frame, e->live_contacts);
    fnli_w_uv(&s->frame, e->merges);
    fnli_w_uv(&s->frame, e->identity_keys);
    fnli_w_uv(&s->frame, e->forgotten);
    flush_frame(s);
}

static void write_strings(swriter *s, const unsigned char *mark)
{
    fnl_engine *e = s->e;
    uint32_t n = fnli_intern_count(&e->strings), i = 1;
    begin_section(s, S_STRINGS);
    while (i <= n && s->rc == FNL_OK) {
        uint32_t first = i;
        size_t bytes = 0;
        fnli_w_uv(&s->frame, first);
        /* count first, so the frame says how many strings it holds */
        while (i <= n && bytes < FRAME_TARGET) {
            bytes += fnli_str_len(&e->strings, i) + 2;
            i++;
        }
        fnli_w_uv(&s->frame, i - first);
        for (; first < i; first++) {
            fnli_sv sv;
            sv.p = mark[first] ? fnli_str(&e->strings, first) : NULL;
            sv.n = mark[first] ? fnli_str_len(&e->strings, first) : 0;
            if (sv.p != NULL && sv.n == 0)
                sv.p = NULL; /* already a tombstone */
            fnli_w_str(&s->frame, sv);
        }
        flush_frame(s);
    }
}

static void write_keys(swriter *s)
{
    fnl_engine *e = s->e;
    uint32_t i = 1;
    begin_section(s, S_KEYS);
    while (i < e->keys.count && s->rc == FNL_OK) {
        uint32_t n = e->keys.count - i, k;
        if (n > 8192)
            n = 8192;
        fnli_w_uv(&s->frame, i);
        fnli_w_uv(&s->frame, n);
        for (k = 0; k < n; k++) {
            const fnli_keynode *kn = KEYNODE(e, i + k);
            fnli_w_uv(&s->frame, kn->contact);
            fnli_w_uv(&s->frame, kn->kind);
            fnli_w_uv(&s->frame, kn->next);
            fnli_w_uv(&s->frame, kn->len);
            if (kn->kind != 0)
                fnli_w_bytes(&s->frame, fnli_key_value(kn), kn->len);
        }
        i += n;
        flush_frame(s);
    }
}

/* OWNERS frames: uv total records, uv first, uv n, then n records (uv
 * name, uv attribute list head, sv created).  Every frame repeats the
 * total, so the loader tells a complete section from a cut one. */
static void write_owners(swriter *s)
{
    fnl_engine *e = s->e;
    uint32_t total = e->owners.count - 1, i = 1;
    while (i < e->owners.count && s->rc == FNL_OK) {
        uint32_t n = e->owners.count - i, k;
        if (n > 8192)
            n = 8192;
        begin_section(s, S_OWNERS);
        fnli_w_uv(&s->frame, total);
        fnli_w_uv(&s->frame, i);
        fnli_w_uv(&s->frame, n);
        for (k = 0; k < n; k++) {
            const fnli_owner *o = OWNER(e, i + k);
            fnli_w_uv(&s->frame, o->name);
            fnli_w_uv(&s->frame, o->attrs);
            fnli_w_sv(&s->frame, o->created);
        }
        i += n;
        flush_frame(s);
    }
}

/* DEAL_ATTRS frames: uv n >= 1, then n pairs (uv deal, uv attribute list
 * head) for the deals that have attributes, deals increasing across all
 * frames.  The DEALS records keep their first format. */
static void write_deal_attrs(swriter *s)
{
    fnl_engine *e = s->e;
    uint32_t i = 1;
    while (i < e->dealpool.count && s->rc == FNL_OK) {
        uint32_t k, n = 0;
        for (k = i; k < e->dealpool.count && n < 8192; k++)
            n += DEAL(e, k)->attrs != 0;
        if (n == 0)
            return;
        begin_section(s, S_DEAL_ATTRS);
        fnli_w_uv(&s->frame, n);
        for (; i < k; i++) {
            if (DEAL(e, i)->attrs == 0)
                continue;
            fnli_w_uv(&s->frame, i);
            fnli_w_uv(&s->frame, DEAL(e, i)->attrs);
        }
        flush_frame(s);
    }
}

static int little_endian(void)
{
    const uint16_t one = 1;
    return *(const unsigned char *)&one == 1;
}

static void put_col(fnli_wbuf *w, const void *col, size_t n, size_t width)
{
    size_t i, b;
    if (little_endian()) {
        fnli_w_bytes(w, col, n * width);
        return;
    }
    for (i = 0; i < n; i++) {
        unsigned char tmp[8];
        const unsigned char *src = (const unsigned char *)col + i * width;
        for (b = 0; b < width; b++)
            tmp[b] = src[width - 1 - b];
        fnli_w_bytes(w, tmp, width);
    }
}

static void write_touches(swriter *s)
{
    fnli_touches *ts = &s->e->touches;
    uint32_t i = 1;
    begin_section(s, S_TOUCHES);
    while (i < ts->count && s->rc == FNL_OK) {
        /* one frame per chunk: columns are contiguous inside a chunk */
        uint32_t off = T_OFF(i), n = TOUCH_CHUNK - off;
        const fnli_tchunk *c = T_CHUNK(ts, i);
        if (n > ts->count - i)
            n = ts->count - i;
        fnli_w_uv(&s->frame, i);
        fnli_w_uv(&s->frame, n);
        put_col(&s->frame, c->time + off, n, 8);
        put_col(&s->frame, c->value + off, n, 8);
        put_col(&s->frame, c->contact + off, n, 4);
        put_col(&s->frame, c->cls + off, n, 4);
        put_col(&s->frame, c->next + off, n, 4);
        i += n;
        flush_frame(s);
    }
}

int fnli_snapshot_write(fnl_engine *e, uint32_t compression)
{
    swriter s;
    unsigned char hdr[32], *mark = NULL;
    size_t k;
    int rc;
    uint32_t i;
#if !FNL_HAVE_ZLIB
    if (compression == 1)
        return fnli_fail(e, FNL_EUNSUPPORTED,
                         "snapshot compression needs zlib, which this build "
                         "lacks");
#endif
    if ((rc = mark_strings(e, &mark)) != FNL_OK)
        return fnli_fail(e, rc, "allocation failed");
    memset(&s, 0, sizeof(s));
    s.e = e;
    s.compression = compression;
    fnli_w_init(&s.frame, &e->mem);
    fnli_w_init(&s.packed, &e->mem);
    rc = e->storage->snapshot_begin(e->storage->ctx, e->seq, &s.w);
    if (rc != FNL_OK) {
        fnli_free(&e->mem, mark, fnli_intern_count(&e->strings) + 1);
        return fnli_fail(e, rc == FNL_ENOMEM ? rc : FNL_EIO,
                         "storage cannot begin a snapshot (%s)",
                         fnl_strerror(rc));
    }
    memcpy(hdr, "FNLSNAP", 8);
    put_u32(hdr + 8, SNAP_VERSION);
    put_u32(hdr + 12, compression == 1 ? 1u : 0u);
    put_u32(hdr + 16, (uint32_t)e->seq);
    put_u32(hdr + 20, (uint32_t)(e->seq >> 32));
    put_u32(hdr + 24, 0);
    put_u32(hdr + 28, fnli_crc32c(0, hdr, 28));
    emit(&s, hdr, sizeof(hdr));
    write_meta(&s);
    write_strings(&s, mark);
    for (k = 0; k < NF(pools); k++) {
        if (pools[k].section == S_ATTRS)
            write_keys(&s); /* keys come between contacts and attributes */
        write_pool(&s, &pools[k]);
    }
    write_touches(&s);
    /* models as their text; scores are recomputed on load */
    begin_section(&s, S_MODELS);
    fnli_w_uv(&s.frame, fnli_scores_count(e));
    for (k = 0; k < fnli_scores_count(e); k++) {
        const fnl_model *m = fnli_scores_model(e, k);
        size_t len = 0;
        fnl_model_to_text(m, NULL, 0, &len);
        fnli_w_uv(&s.frame, (uint64_t)len + 1);
        if (fnli_w_reserve(&s.frame, len + 1) == FNL_OK) {
            fnl_model_to_text(m, (char *)s.frame.p + s.frame.n, len + 1, &len);
            s.frame.n += len;
        }
    }
    flush_frame(&s);
    /* the stage machine: one byte stream cut into frames */
    if (e->stages != NULL && s.rc == FNL_OK) {
        fnli_wbuf st;
        size_t off = 0;
        fnli_w_init(&st, &e->mem);
        if (fnli_stages_save(e, &st) != FNL_OK)
            s.rc = fnli_fail(e, FNL_ENOMEM, "allocation failed (snapshot)");
        while (s.rc == FNL_OK && off < st.n) {
            size_t n = st.n - off < (16u << 20) ? st.n - off : (16u << 20);
            begin_section(&s, S_STAGES);
            fnli_w_bytes(&s.frame, st.p + off, n);
            flush_frame(&s);
            off += n;
        }
        fnli_w_free(&st);
    }
    write_owners(&s);
    write_deal_attrs(&s);
    begin_section(&s, S_END);
    fnli_w_uv(&s.frame, e->seq);
    flush_frame(&s);
    rc = s.rc;
    if (rc == FNL_OK) {
        rc = e->storage->snapshot_commit(e->storage->ctx, s.w);
        if (rc != FNL_OK)
            rc = fnli_fail(e, rc == FNL_ENOMEM ? rc : FNL_EIO,
                           "storage cannot commit the snapshot (%s)",
                           fnl_strerror(rc));
    } else {
        e->storage->snapshot_abort(e->storage->ctx, s.w);
    }
    if (rc == FNL_OK) {
        /* the snapshot holds no unreferenced string: wipe them from memory */
        for (i = 1; i <= fnli_intern_count(&e->strings); i++)
            if (!mark[i])
                fnli_intern_wipe(&e->strings, i);
    }
    fnli_free(&e->mem, mark, fnli_intern_count(&e->strings) + 1);
    fnli_w_free(&s.frame);
    fnli_w_free(&s.packed);
    return rc;
}

/* ---- loading ------------------------------------------------------------- */

typedef struct sreader {
    fnl_engine *e;
    void *r;
    fnli_wbuf raw, unpacked;
    fnli_wbuf models;         /* the MODELS frame, kept until validated */
    fnli_wbuf stages;         /* the STAGES frames, concatenated */
    int section;
    fnli_rbuf rb;
    uint64_t owners;          /* OWNERS: the total its frames announce */
    uint32_t deal_attrs_last; /* DEAL_ATTRS: the last deal read */
} sreader;

typedef struct smeta {
    uint64_t strings, keys, keys_free, keys_nfree;
    uint64_t count[NF(pools)], free_head[NF(pools)], nfree[NF(pools)];
    uint64_t touches, live, merges, idkeys, forgotten;
} smeta;

static int corrupt(fnl_engine *e, const char *what)
{
    return fnli_fail(e, FNL_ECORRUPT, "snapshot: %s", what);
}

/* 1: read n bytes; 0: clean end of stream before any byte; <0: error */
static int read_exact(sreader *s, void *buf, size_t n)
{
    size_t have = 0;
    while (have < n) {
        size_t got = 0;
        int rc = s->e->storage->snapshot_read(s->e->storage->ctx, s->r,
                                              (char *)buf + have, n - have,
                                              &got);
        if (rc != FNL_OK)
            return fnli_fail(s->e, rc == FNL_ENOMEM ? rc : FNL_EIO,
                             "snapshot read failed (%s)", fnl_strerror(rc));
        if (got == 0)
            return have == 0 ? 0 : corrupt(s->e, "truncated");
        have += got;
    }
    return 1;
}

static int next_frame(sreader *s)
{
    unsigned char hdr[20];
    uint32_t section, flags, raw, stored;
    int rc = read_exact(s, hdr, sizeof(hdr));
    if (rc <= 0)
        return rc == 0 ? corrupt(s->e, "ends before its END section") : rc;
    section = get_u32(hdr);
    flags = get_u32(hdr + 4);
    raw = get_u32(hdr + 8);
    stored = get_u32(hdr + 12);
    if (section == 0 || section > S_LAST ||
        section_rank(section) < section_rank((uint32_t)s->section) ||
        flags > 1 ||
        raw > FRAME_MAX || stored > FRAME_MAX || (!flags && raw != stored))
        return corrupt(s->e, "bad frame header");
    s->section = (int)section;
    fnli_w_reset(&s->raw);
    if (fnli_w_reserve(&s->raw, stored + 1) != FNL_OK)
        return fnli_fail(s->e, FNL_ENOMEM, "allocation failed");
    if ((rc = read_exact(s, s->raw.p, stored)) <= 0 && stored > 0)
        return rc == 0 ? corrupt(s->e, "truncated frame") : rc;
    if (fnli_crc32c(0, s->raw.p, stored) != get_u32(hdr + 16))
        return corrupt(s->e, "frame checksum mismatch");
    if (!flags) {
        fnli_r_init(&s->rb, s->raw.p, stored);
        return 1;
    }
#if FNL_HAVE_ZLIB
    {
        uLongf len = raw;
        fnli_w_reset(&s->unpacked);
        if (fnli_w_reserve(&s->unpacked, raw + 1) != FNL_OK)
            return fnli_fail(s->e, FNL_ENOMEM, "allocation failed");
        if (uncompress(s->unpacked.p, &len, s->raw.p, stored) != Z_OK ||
            len != raw)
            return corrupt(s->e, "frame does not decompress");
        fnli_r_init(&s->rb, s->unpacked.p, raw);
        return 1;
    }
#else
    return fnli_fail(s->e, FNL_EUNSUPPORTED,
                     "snapshot is zlib-compressed; this build has no zlib");
#endif
}

static int load_meta(sreader *s, smeta *m)
{
    fnli_rbuf *r = &s->rb;
    size_t k;
    m->strings = fnli_r_uv(r);
    m->keys = fnli_r_uv(r);
    m->keys_free = fnli_r_uv(r);
    m->keys_nfree = fnli_r_uv(r);
    for (k = 0; k < NF(pools); k++) {
        m->count[k] = fnli_r_uv(r);
        m->free_head[k] = fnli_r_uv(r);
        m->nfree[k] = fnli_r_uv(r);
        if (m->count[k] == 0 || m->count[k] > UINT32_MAX ||
            m->free_head[k] >= m->count[k] || m->nfree[k] >= m->count[k])
            r->bad = 1;
    }
    m->touches = fnli_r_uv(r);
    m->live = fnli_r_uv(r);
    m->merges = fnli_r_uv(r);
    m->idkeys = fnli_r_uv(r);
    m->forgotten = fnli_r_uv(r);
    if (r->bad || r->off != r->n || m->strings >= UINT32_MAX / 2 ||
        m->keys == 0 || m->keys > UINT32_MAX || m->keys_free >= m->keys ||
        m->keys_nfree >= m->keys || m->touches == 0 ||
        m->touches > UINT32_MAX)
        return corrupt(s->e, "bad META section");
    return FNL_OK;
}

static int load_strings(sreader *s, const smeta *m)
{
    fnl_engine *e = s->e;
    fnli_rbuf *r = &s->rb;
    uint64_t first = fnli_r_uv(r), n = fnli_r_uv(r), k;
    if (r->bad || first != (uint64_t)fnli_intern_count(&e->strings) + 1 ||
        n > m->strings - fnli_intern_count(&e->strings) ||
        n > r->n - r->off)
        return corrupt(e, "bad STRINGS frame");
    if (fnli_intern_reserve(&e->strings, &e->mem, (size_t)n, r->n) != FNL_OK)
        return fnli_fail(e, FNL_ENOMEM, "allocation failed");
    for (k = 0; k < n; k++) {
        fnli_sv sv = fnli_r_str(r, FNL_MAX_STRING + 32);
        uint32_t want = fnli_intern_count(&e->strings) + 1, got;
        if (r->bad)
            return corrupt(e, "bad string");
        got = sv.p == NULL || sv.n == 0
                  ? fnli_intern_put_dead(&e->strings)
                  : fnli_intern_put(&e->strings, sv.p, sv.n);
        if (got != want)
            return corrupt(e, "duplicate string");
    }
    return r->off == r->n ? FNL_OK : corrupt(e, "bad STRINGS frame");
}

/* The optional actor section of a CLASSES frame (write_class_actors);
 * string ids are range-checked by validate(). */
static int load_class_actors(sreader *s, uint32_t first, uint64_t n)
{
    fnli_rbuf *r = &s->rb;
    uint64_t tag = fnli_r_uv(r), m, j, k = 0;
    if (!r->bad && tag != CS_ACTORS)
        return fnli_fail(s->e, FNL_EVERSION,
                         "snapshot: a CLASSES frame has a section (%llu) of "
                         "a newer format",
                         (unsigned long long)tag);
    m = fnli_r_count(r, (size_t)n, 2);
    if (r->bad || m == 0)
        return corrupt(s->e, "bad touch actors");
    for (j = 0; j < m; j++) {
        uint64_t skip = fnli_r_uv(r), by;
        if (r->bad || skip >= n - k)
            return corrupt(s->e, "bad touch actors");
        k += skip;
        by = fnli_r_uv(r);
        if (r->bad || by == 0 || by > UINT32_MAX)
            return corrupt(s->e, "bad touch actors");
        TCLASS(s->e, first + (uint32_t)k)->f[TF_BY] = (uint32_t)by;
        k++;
    }
    return FNL_OK;
}

static int load_pool(sreader *s, const pooldef *pd, uint64_t count)
{
    fnl_engine *e = s->e;
    fnli_pool *p = pool_of(e, pd->poolofs);
    fnli_rbuf *r = &s->rb;
    uint64_t first = fnli_r_uv(r), n = fnli_r_uv(r), k;
    int rc;
    if (r->bad || first != p->count || n > count - p->count ||
        n > r->n - r->off)
        return corrupt(e, "bad record frame");
    if (fnli_pool_reserve(p, &e->mem, (size_t)n) != FNL_OK)
        return fnli_fail(e, FNL_ENOMEM, "allocation failed");
    for (k = 0; k < n && !r->bad; k++)
        dec_fields(r, fnli_pool_at(p, fnli_pool_take(p)), pd->fd, pd->nfd);
    if (pd->section == S_CLASSES && !r->bad && r->off < r->n && n > 0 &&
        (rc = load_class_actors(s, (uint32_t)first, n)) != FNL_OK)
        return rc;
    return r->bad || r->off != r->n ? corrupt(e, "bad record") : FNL_OK;
}

/* One OWNERS frame (write_owners); references are checked by validate(),
 * names' uniqueness by reindex(). */
static int load_owners(sreader *s)
{
    fnl_engine *e = s->e;
    fnli_rbuf *r = &s->rb;
    uint64_t total = fnli_r_uv(r), first = fnli_r_uv(r), n = fnli_r_uv(r), k;
    if (r->bad || total == 0 || total >= UINT32_MAX ||
        (s->owners != 0 && total != s->owners) || first != e->owners.count ||
        n == 0 || n > total - (first - 1) || n > r->n - r->off)
        return corrupt(e, "bad OWNERS frame");
    s->owners = total;
    if (fnli_pool_reserve(&e->owners, &e->mem, (size_t)n) != FNL_OK)
        return fnli_fail(e, FNL_ENOMEM, "allocation failed");
    for (k = 0; k < n; k++) {
        fnli_owner *o = OWNER(e, fnli_pool_take(&e->owners));
        uint64_t name = fnli_r_uv(r), attrs = fnli_r_uv(r);
        o->created = fnli_r_sv(r);
        if (r->bad || name == 0 || name > UINT32_MAX || attrs > UINT32_MAX)
            return corrupt(e, "bad owner record");
        o->name = (uint32_t)name;
        o->attrs = (uint32_t)attrs;
    }
    return r->off == r->n ? FNL_OK : corrupt(e, "bad OWNERS frame");
}

/* One DEAL_ATTRS frame (write_deal_attrs): the DEALS section is complete
 * by now; the lists are walked by validate(). */
static int load_deal_attrs(sreader *s)
{
    fnl_engine *e = s->e;
    fnli_rbuf *r = &s->rb;
    size_t n = fnli_r_count(r, UINT32_MAX, 2), k;
    if (r->bad || n == 0)
        return corrupt(e, "bad DEAL_ATTRS frame");
    for (k = 0; k < n; k++) {
        uint64_t d = fnli_r_uv(r), head = fnli_r_uv(r);
        if (r->bad || d <= s->deal_attrs_last || d >= e->dealpool.count ||
            head == 0 || head > UINT32_MAX)
            return corrupt(e, "bad deal attributes");
        DEAL(e, (uint32_t)d)->attrs = (uint32_t)head;
        s->deal_attrs_last = (uint32_t)d;
    }
    return r->off == r->n ? FNL_OK : corrupt(e, "bad DEAL_ATTRS frame");
}

static int load_keys(sreader *s, uint64_t count)
{
    fnl_engine *e = s->e;
    fnli_rbuf *r = &s->rb;
    uint64_t first = fnli_r_uv(r), n = fnli_r_uv(r), k;
    if (r->bad || first != e->keys.count || n > count - e->keys.count ||
        n > r->n - r->off)
        return corrupt(e, "bad KEYS frame");
    if (fnli_pool_reserve(&e->keys, &e->mem, (size_t)n) != FNL_OK)
        return fnli_fail(e, FNL_ENOMEM, "allocation failed");
    for (k = 0; k < n; k++) {
        fnli_keynode *kn = KEYNODE(e, fnli_pool_take(&e->keys));
        uint64_t contact = fnli_r_uv(r), kind = fnli_r_uv(r),
                 next = fnli_r_uv(r), len = fnli_r_uv(r);
        const void *bytes = NULL;
        char *dst;
        if (r->bad || contact > UINT32_MAX || kind > UINT32_MAX ||
            next > UINT32_MAX || len > FNL_MAX_STRING + 32 ||
            (kind == 0 && len != 0))
            return corrupt(e, "bad key");
        if (kind != 0 && (bytes = fnli_r_bytes(r, (size_t)len)) == NULL)
            return corrupt(e, "bad key");
        kn->contact = (uint32_t)contact;
        kn->kind = (uint32_t)kind;
        kn->next = (uint32_t)next;
        kn->len = (uint32_t)len;
        if (kind == 0)
            continue;
        dst = len < KEY_INLINE
                  ? kn->v.inl
                  : fnli_arena_alloc(&e->keybytes, &e->mem, (size_t)len + 1);
        if (dst == NULL)
            return fnli_fail(e, FNL_ENOMEM, "allocation failed");
        memcpy(dst, bytes, (size_t)len);
        dst[len] = '\0';
        if (len >= KEY_INLINE)
            kn->v.ptr = dst;
    }
    return r->off == r->n ? FNL_OK : corrupt(e, "bad KEYS frame");
}

static void get_col(void *dst, const unsigned char *src, size_t n,
                    size_t width)
{
    size_t i, b;
    if (little_endian()) {
        memcpy(dst, src, n * width);
        return;
    }
    for (i = 0; i < n; i++)
        for (b = 0; b < width; b++)
            ((unsigned char *)dst)[i * width + b] = src[i * width + width - 1 - b];
}

static int load_touches(sreader *s, uint64_t count)
{
    fnl_engine *e = s->e;
    fnli_touches *ts = &e->touches;
    fnli_rbuf *r = &s->rb;
    uint64_t first = fnli_r_uv(r), n = fnli_r_uv(r);
    const unsigned char *cols;
    fnli_tchunk *c;
    uint32_t off;
    if (r->bad || first != ts->count || n == 0 || n > count - ts->count ||
        n > TOUCH_CHUNK - T_OFF(ts->count) || (n * 28) != r->n - r->off)
        return corrupt(e, "bad TOUCHES frame");
    if (fnli_touches_reserve(e, (size_t)n) != FNL_OK)
        return fnli_fail(e, FNL_ENOMEM, "allocation failed");
    cols = fnli_r_bytes(r, (size_t)n * 28);
    c = T_CHUNK(ts, ts->count);
    off = T_OFF(ts->count);
    get_col(c->time + off, cols, (size_t)n, 8);
    get_col(c->value + off, cols + n * 8, (size_t)n, 8);
    get_col(c->contact + off, cols + n * 16, (size_t)n, 4);
    get_col(c->cls + off, cols + n * 20, (size_t)n, 4);
    get_col(c->next + off, cols + n * 24, (size_t)n, 4);
    ts->count += (uint32_t)n;
    return FNL_OK;
}

/* ---- validation ---------------------------------------------------------- */

typedef struct vstate {
    fnl_engine *e;
    unsigned char *seen[R_NR];
    uint32_t limit[R_NR];
} vstate;

/* Walk a list once: every node in range, on no other list, not free.
 * Used inside validate(), whose cleanup is at `out`. */
#define FAIL(msg)                                                           \
    do {                                                                    \
        rc = corrupt(e, msg);                                               \
        goto out;                                                           \
    } while (0)
#define WALK(v, kind, head, NEXT, body)                                     \
    do {                                                                    \
        uint32_t x_ = (head);                                               \
        while (x_ != 0) {                                                   \
            if (x_ >= (v)->limit[kind] || (v)->seen[kind][x_])              \
                FAIL("a list is broken");                                   \
            (v)->seen[kind][x_] = 1;                                        \
            body;                                                           \
            x_ = (NEXT);                                                    \
        }                                                                   \
    } while (0)

static int mark_free(vstate *v, int kind, const fnli_pool *p)
{
    uint32_t x = p->free_head, steps = 0;
    while (x != 0) {
        uint32_t next;
        if (x >= p->count || v->seen[kind][x])
            return corrupt(v->e, "a free list is broken");
        v->seen[kind][x] = 2;
        memcpy(&next, fnli_pool_at(p, x), sizeof(next));
        x = next;
        steps++;
    }
    return steps == p->nfree ? FNL_OK : corrupt(v->e, "free count mismatch");
}

static int check_refs(vstate *v, const pooldef *pd, int kind)
{
    fnli_pool *p = pool_of(v->e, pd->poolofs);
    uint32_t i;
    size_t f;
    for (i = 1; i < p->count; i++) {
        const char *rec = fnli_pool_at(p, i);
        if (v->seen[kind] != NULL && v->seen[kind][i] == 2)
            continue; /* free */
        for (f = 0; f < pd->nfd; f++) {
            uint32_t val;
            int ref = pd->fd[f].ref;
            if (ref == R_NONE)
                continue;
            memcpy(&val, rec + pd->fd[f].off, 4);
            if (val >= v->limit[ref])
                return corrupt(v->e, "a reference is out of range");
        }
    }
    return FNL_OK;
}

static int validate(fnl_engine *e)
{
    static const int kinds[NF(pools)] = {R_CONTACT, R_ATTR, R_NAME,
                                         R_ACCOUNT, -1, R_DC, -1, -1};
    vstate v;
    uint32_t i;
    size_t k;
    int rc = FNL_OK;
    memset(&v, 0, sizeof(v));
    v.e = e;
    v.limit[R_STR] = fnli_intern_count(&e->strings) + 1;
    v.limit[R_CONTACT] = e->contacts.count;
    v.limit[R_KEY] = e->keys.count;
    v.limit[R_ATTR] = e->attrs.count;
    v.limit[R_NAME] = e->names.count;
    v.limit[R_ACCOUNT] = e->accounts.count;
    v.limit[R_DC] = e->dcs.count;
    v.limit[R_TOUCH] = e->touches.count;
    for (k = R_CONTACT; k < R_NR; k++) {
        v.seen[k] = fnli_calloc(&e->mem, v.limit[k], 1);
        if (v.seen[k] == NULL) {
            rc = fnli_fail(e, FNL_ENOMEM, "allocation failed");
            goto out;
        }
    }
    if ((rc = mark_free(&v, R_KEY, &e->keys)) != FNL_OK ||
        (rc = mark_free(&v, R_ATTR, &e->attrs)) != FNL_OK ||
        (rc = mark_free(&v, R_NAME, &e->names)) != FNL_OK)
        goto out;
    for (k = 0; k < NF(pools); k++) {
        fnli_pool *p = pool_of(e, pools[k].poolofs);
        /* only attribute and name nodes are ever freed (their lists were
         * walked by mark_free); a free list anywhere else would hand out
         * a live record on the next take */
        if (pools[k].section != S_ATTRS && pools[k].section != S_NAMES &&
            (p->free_head != 0 || p->nfree != 0)) {
            rc = corrupt(e, "records freed where none can be");
            goto out;
        }
        if ((rc = check_refs(&v, &pools[k], kinds[k] < 0 ? R_NONE : kinds[k]))
            != FNL_OK)
            goto out;
    }
    /* the contacts pool is never freed into, so its seen map is free for
     * walking account member lists */
    for (i = 1; i < e->keys.count; i++) {
        const fnli_keynode *kn = KEYNODE(e, i);
        if (v.seen[R_KEY][i] == 2) {
            /* a free node is zero but for its link */
            if (kn->kind != 0 || kn->len != 0 || kn->next != 0)
                FAIL("bad free key node");
            continue;
        }
        if (kn->kind == 0 || kn->kind >= v.limit[R_STR] || kn->contact == 0 ||
            kn->contact >= v.limit[R_CONTACT] || kn->next >= v.limit[R_KEY]) {
            rc = corrupt(e, "bad key node");
            goto out;
        }
    }
    /* Touch lists are strictly decreasing (see merge() in identity.c):
     * next < index for every touch proves them acyclic in one pass, and
     * the readers bound every walk by the contact's touch_count. */
    for (i = 1; i < e->touches.count; i++) {
        uint32_t c = T_CONTACT(&e->touches, i), cl = T_CLASS(&e->touches, i);
        if (c == 0 || c >= v.limit[R_CONTACT] || cl == 0 ||
            cl >= e->classes.count || T_NEXT(&e->touches, i) >= i) {
            rc = corrupt(e, "bad touch");
            goto out;
        }
    }
    for (i = 1; i < e->classes.count; i++)
        if (TCLASS(e, i)->f[TF_BY] >= v.limit[R_STR])
            FAIL("a touch actor is out of range");
    for (i = 1; i < e->contacts.count; i++) {
        const fnli_contact *c = CONTACT(e, i);
        uint32_t touches = 0;
        if (c->state < CONTACT_LIVE || c->state > CONTACT_FORGOTTEN ||
            c->role > FNL_ROLE_OTHER || c->gen == 0 ||
            (c->state == CONTACT_MERGED ? (c->parent == 0 || c->parent >= i)
                                        : c->parent != i)) {
            rc = corrupt(e, "bad contact");
            goto out;
        }
        WALK(&v, R_KEY, c->keys, KEYNODE(e, x_)->next,
             if (KEYNODE(e, x_)->contact != i)
                 FAIL("a key is on the wrong contact"));
        WALK(&v, R_ATTR, c->attrs, ATTRNODE(e, x_)->next, (void)0);
        WALK(&v, R_NAME, c->tags, NAMENODE(e, x_)->next, (void)0);
        /* touch lists are checked in bulk below */
        (void)touches;
        if (c->touch_head != 0 &&
            T_CONTACT(&e->touches, c->touch_head) != i)
            FAIL("a contact's touch list starts elsewhere");
    }
    for (i = 1; i < e->accounts.count; i++) {
        const fnli_account *a = ACCOUNT(e, i);
        uint32_t members = 0;
        WALK(&v, R_ATTR, a->attrs, ATTRNODE(e, x_)->next, (void)0);
        WALK(&v, R_NAME, a->domains, NAMENODE(e, x_)->next, (void)0);
        WALK(&v, R_CONTACT, a->contacts, CONTACT(e, x_)->acct_next,
             if (CONTACT(e, x_)->account != i)
                 FAIL("an account member is elsewhere");
             members++);
        if (members != a->ncontacts) {
            rc = corrupt(e, "account member count mismatch");
            goto out;
        }
    }
    for (i = 1; i < e->dealpool.count; i++) {
        const fnli_deal *d = DEAL(e, i);
        if (d->status > FNL_DEAL_LOST) {
            rc = corrupt(e, "bad deal");
            goto out;
        }
        WALK(&v, R_DC, d->contacts, DEALCONTACT(e, x_)->next,
             if (DEALCONTACT(e, x_)->contact == 0 ||
                 DEALCONTACT(e, x_)->role > FNL_ROLE_OTHER)
                 FAIL("bad deal contact"));
    }
    /* deal attributes and owner records: lists of their own (a node on
     * two lists, or free, is refused by the walk); owner names are real
     * strings, unique (checked while indexing) */
    for (i = 1; i < e->dealpool.count; i++)
        WALK(&v, R_ATTR, DEAL(e, i)->attrs, ATTRNODE(e, x_)->next, (void)0);
    for (i = 1; i < e->owners.count; i++) {
        const fnli_owner *o = OWNER(e, i);
        if (o->name == 0 || o->name >= v.limit[R_STR])
            FAIL("bad owner record");
        WALK(&v, R_ATTR, o->attrs, ATTRNODE(e, x_)->next, (void)0);
    }
    /* names every reader prints must be real strings */
    for (i = 1; i < e->names.count; i++)
        if (v.seen[R_NAME][i] != 2 && NAMENODE(e, i)->name == 0)
            FAIL("a tag or domain without a name");
    for (i = 1; i < e->accounts.count; i++)
        if (ACCOUNT(e, i)->name == 0)
            FAIL("an account without a name");
    for (i = 1; i < e->dealpool.count; i++)
        if (DEAL(e, i)->name == 0)
            FAIL("a deal without a name");
    for (i = 1; i < e->attrs.count; i++) {
        const fnli_attrnode *a = ATTRNODE(e, i);
        if (v.seen[R_ATTR][i] == 2)
            continue;
        if (a->name == 0 || (a->type == FNL_ATTR_STRING && a->str == 0))
            FAIL("an attribute without a name or value");
        if (a->type != FNL_ATTR_STRING && a->type != FNL_ATTR_NUMBER) {
            rc = corrupt(e, "bad attribute");
            goto out;
        }
    }
out:
    for (k = R_CONTACT; k < R_NR; k++)
        if (v.seen[k] != NULL)
            fnli_free(&e->mem, v.seen[k], v.limit[k] ? v.limit[k] : 1);
    return rc;
}

static int reindex(fnl_engine *e)
{
    uint32_t i, live_keys = 0, domains = 0;
    for (i = 1; i < e->keys.count; i++)
        live_keys += KEYNODE(e, i)->kind != 0;
    for (i = 1; i < e->accounts.count; i++) {
        uint32_t x;
        for (x = ACCOUNT(e, i)->domains; x != 0; x = NAMENODE(e, x)->next)
            domains++;
    }
    if (fnli_map_reserve(&e->keymap, &e->mem, live_keys) != FNL_OK ||
        fnli_map_reserve(&e->accmap, &e->mem, e->accounts.count) != FNL_OK ||
        fnli_map_reserve(&e->dommap, &e->mem, domains) != FNL_OK ||
        fnli_map_reserve(&e->dealmap, &e->mem, e->dealpool.count) != FNL_OK ||
        fnli_map_reserve(&e->classmap, &e->mem, e->classes.count) != FNL_OK ||
        fnli_map_reserve(&e->ownermap, &e->mem, e->owners.count) != FNL_OK)
        return fnli_fail(e, FNL_ENOMEM, "allocation failed");
    for (i = 1; i < e->keys.count; i++)
        if (KEYNODE(e, i)->kind != 0)
            fnli_key_index_add(e, i);
    for (i = 1; i < e->accounts.count; i++)
        fnli_account_index_add(e, i);
    for (i = 1; i < e->dealpool.count; i++)
        fnli_deal_index_add(e, i);
    for (i = 1; i < e->classes.count; i++)
        fnli_class_index_add(e, i);
    for (i = 1; i < e->owners.count; i++) {
        if (fnli_owner_of(e, OWNER(e, i)->name) != 0)
            return corrupt(e, "two owner records of one name");
        fnli_owner_index_add(e, i);
    }
    return FNL_OK;
}

int fnli_snapshot_load(fnl_engine *e, uint64_t *seq)
{
    sreader s;
    smeta m;
    unsigned char hdr[32];
    size_t k;
    int rc, done = 0;
    uint64_t hseq;

    rc = e->storage->snapshot_open(e->storage->ctx, seq, &s.r);
    if (rc == FNL_ENOTFOUND) {
        *seq = 0;
        return FNL_OK;
    }
    if (rc != FNL_OK)
        return fnli_fail(e, rc, "storage cannot open its snapshot (%s)",
                         fnl_strerror(rc));
    memset(&m, 0, sizeof(m));
    s.e = e;
    s.section = S_META;
    s.owners = 0;
    s.deal_attrs_last = 0;
    fnli_w_init(&s.raw, &e->mem);
    fnli_w_init(&s.unpacked, &e->mem);
    fnli_w_init(&s.models, &e->mem);
    fnli_w_init(&s.stages, &e->mem);
    rc = read_exact(&s, hdr, sizeof(hdr));
    if (rc <= 0) {
        rc = rc == 0 ? corrupt(e, "empty") : rc;
        goto out;
    }
    if (memcmp(hdr, "FNLSNAP", 8) != 0 ||
        get_u32(hdr + 28) != fnli_crc32c(0, hdr, 28)) {
        rc = corrupt(e, "bad header");
        goto out;
    }
    if (get_u32(hdr + 8) > SNAP_VERSION || get_u32(hdr + 8) == 0) {
        rc = fnli_fail(e, FNL_EVERSION,
                       "snapshot format %u is newer than this library's %u",
                       (unsigned)get_u32(hdr + 8), (unsigned)SNAP_VERSION);
        goto out;
    }
    hseq = get_u32(hdr + 16) | (uint64_t)get_u32(hdr + 20) << 32;
    if (hseq != *seq) {
        rc = corrupt(e, "sequence number differs from the storage's");
        goto out;
    }
    while (!done && (rc = next_frame(&s)) == 1) {
        switch (s.section) {
        case S_META:
            rc = m.keys ? corrupt(e, "two META sections") : load_meta(&s, &m);
            break;
        case S_STRINGS:
            rc = m.keys ? load_strings(&s, &m) : corrupt(e, "no META");
            break;
        case S_KEYS:
            rc = m.keys ? load_keys(&s, m.keys) : corrupt(e, "no META");
            break;
        case S_TOUCHES:
            rc = m.keys ? load_touches(&s, m.touches) : corrupt(e, "no META");
            break;
        case S_MODELS:
            if (s.models.n > 0)
                rc = corrupt(e, "two MODELS frames");
            else
                fnli_w_bytes(&s.models, s.rb.p + s.rb.off, s.rb.n - s.rb.off);
            if (s.models.failed)
                rc = fnli_fail(e, FNL_ENOMEM, "allocation failed");
            break;
        case S_STAGES:
            fnli_w_bytes(&s.stages, s.rb.p + s.rb.off, s.rb.n - s.rb.off);
            if (s.stages.failed)
                rc = fnli_fail(e, FNL_ENOMEM, "allocation failed");
            break;
        case S_OWNERS:
            rc = m.keys ? load_owners(&s) : corrupt(e, "no META");
            break;
        case S_DEAL_ATTRS:
            rc = m.keys ? load_deal_attrs(&s) : corrupt(e, "no META");
            break;
        case S_END:
            if (fnli_r_uv(&s.rb) != *seq || s.rb.bad || s.rb.off != s.rb.n)
                rc = corrupt(e, "bad END section");
            done = 1;
            break;
        default:
            rc = corrupt(e, "unknown section");
            for (k = 0; k < NF(pools); k++)
                if (pools[k].section == s.section)
                    rc = m.keys ? load_pool(&s, &pools[k], m.count[k])
                                : corrupt(e, "no META");
            break;
        }
        if (rc < 0)
            break;
        rc = FNL_OK;
    }
    if (rc < 0)
        goto out;
    /* every section complete */
    if (m.keys == 0 || fnli_intern_count(&e->strings) != m.strings ||
        e->keys.count != m.keys || e->touches.count != m.touches ||
        e->owners.count - 1 != s.owners) {
        rc = corrupt(e, "sections incomplete");
        goto out;
    }
    for (k = 0; k < NF(pools); k++) {
        fnli_pool *p = pool_of(e, pools[k].poolofs);
        if (p->count != m.count[k]) {
            rc = corrupt(e, "sections incomplete");
            goto out;
        }
        p->free_head = (uint32_t)m.free_head[k];
        p->nfree = (uint32_t)m.nfree[k];
    }
    e->keys.free_head = (uint32_t)m.keys_free;
    e->keys.nfree = (uint32_t)m.keys_nfree;
    if ((rc = validate(e)) != FNL_OK || (rc = reindex(e)) != FNL_OK)
        goto out;
    e->live_contacts = m.live;
    e->merges = m.merges;
    e->identity_keys = m.idkeys;
    e->forgotten = m.forgotten;
    if (s.models.n > 0) {
        fnli_rbuf mr;
        size_t n;
        fnli_r_init(&mr, s.models.p, s.models.n);
        n = fnli_r_count(&mr, FNL_MAX_MODELS, 2);
        for (k = 0; k < n && !mr.bad; k++) {
            fnli_sv text = fnli_r_str(&mr, s.models.n);
            if (mr.bad || text.n == 0) {
                rc = corrupt(e, "bad MODELS section");
                goto out;
            }
            if ((rc = fnli_scores_load(e, text)) != FNL_OK) {
                if (rc == FNL_ECORRUPT)
                    corrupt(e, "a model does not parse");
                goto out;
            }
        }
        if (mr.bad || mr.off != mr.n) {
            rc = corrupt(e, "bad MODELS section");
            goto out;
        }
    }
    if (s.stages.n > 0 &&
        (rc = fnli_stages_load(e, s.stages.p, s.stages.n)) != FNL_OK) {
        if (rc == FNL_ECORRUPT)
            corrupt(e, "bad STAGES section");
        goto out;
    }
    rc = FNL_OK;
out:
    e->storage->snapshot_close(e->storage->ctx, s.r);
    fnli_w_free(&s.raw);
    fnli_w_free(&s.unpacked);
    fnli_w_free(&s.models);
    fnli_w_free(&s.stages);
    return rc;
}
