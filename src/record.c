/* record.c -- varint/string codec for records and snapshot sections. */
#include <string.h>
#include "record.h"

void fnli_w_init(fnli_wbuf *w, fnli_mem *mem)
{
    memset(w, 0, sizeof(*w));
    w->mem = mem;
}

void fnli_w_free(fnli_wbuf *w)
{
    if (w->p != NULL)
        fnli_free(w->mem, w->p, w->cap);
    w->p = NULL;
    w->n = w->cap = 0;
}

void fnli_w_reset(fnli_wbuf *w)
{
    w->n = 0;
    w->failed = 0;
}

int fnli_w_reserve(fnli_wbuf *w, size_t more)
{
    void *v = w->p;
    int rc;
    if (w->failed)
        return FNL_ENOMEM;
    if (w->n + more <= w->cap)
        return FNL_OK;
    rc = fnli_grow(w->mem, &v, &w->cap, w->n + more, 1, 256);
    if (rc != FNL_OK) {
        w->failed = 1;
        return rc;
    }
    w->p = v;
    return FNL_OK;
}

void fnli_w_bytes(fnli_wbuf *w, const void *p, size_t n)
{
    if (n == 0 || fnli_w_reserve(w, n) != FNL_OK)
        return;
    memcpy(w->p + w->n, p, n);
    w->n += n;
}

void fnli_w_u8(fnli_wbuf *w, unsigned v)
{
    unsigned char b = (unsigned char)v;
    fnli_w_bytes(w, &b, 1);
}

void fnli_w_uv(fnli_wbuf *w, uint64_t v)
{
    unsigned char b[10];
    size_t n = 0;
    do {
        b[n] = (unsigned char)(v & 0x7f);
        v >>= 7;
        if (v)
            b[n] |= 0x80;
        n++;
    } while (v);
    fnli_w_bytes(w, b, n);
}

void fnli_w_sv(fnli_wbuf *w, int64_t v)
{
    uint64_t u = (uint64_t)v;
    fnli_w_uv(w, (u << 1) ^ (uint64_t)-(int64_t)(u >> 63));
}

void fnli_w_u32le(fnli_wbuf *w, uint32_t v)
{
    unsigned char b[4];
    b[0] = (unsigned char)v;
    b[1] = (unsigned char)(v >> 8);
    b[2] = (unsigned char)(v >> 16);
    b[3] = (unsigned char)(v >> 24);
    fnli_w_bytes(w, b, 4);
}

void fnli_w_u64le(fnli_wbuf *w, uint64_t v)
{
    fnli_w_u32le(w, (uint32_t)v);
    fnli_w_u32le(w, (uint32_t)(v >> 32));
}

void fnli_w_f64(fnli_wbuf *w, double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof(u));
    fnli_w_u64le(w, u);
}

void fnli_w_str(fnli_wbuf *w, fnli_sv s)
{
    if (s.p == NULL) {
        fnli_w_uv(w, 0);
        return;
    }
    fnli_w_uv(w, (uint64_t)s.n + 1);
    fnli_w_bytes(w, s.p, s.n);
}

void fnli_r_init(fnli_rbuf *r, const void *p, size_t n)
{
    r->p = p;
    r->n = n;
    r->off = 0;
    r->bad = 0;
}

const void *fnli_r_bytes(fnli_rbuf *r, size_t n)
{
    const void *p;
    if (r->bad || n > r->n - r->off) {
        r->bad = 1;
        return NULL;
    }
    p = r->p + r->off;
    r->off += n;
    return p;
}

unsigned fnli_r_u8(fnli_rbuf *r)
{
    const unsigned char *b = fnli_r_bytes(r, 1);
    return b ? *b : 0;
}

uint64_t fnli_r_uv(fnli_rbuf *r)
{
    uint64_t v = 0;
    int shift;
    for (shift = 0; shift < 64; shift += 7) {
        unsigned b = fnli_r_u8(r);
        if (r->bad)
            return 0;
        if (shift == 63 && (b & 0x7e)) {
            r->bad = 1;
            return 0;
        }
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    r->bad = 1;
    return 0;
}

int64_t fnli_r_sv(fnli_rbuf *r)
{
    uint64_t u = fnli_r_uv(r);
    return (int64_t)((u >> 1) ^ (uint64_t)-(int64_t)(u & 1));
}

uint32_t fnli_r_u32le(fnli_rbuf *r)
{
    const unsigned char *b = fnli_r_bytes(r, 4);
    if (b == NULL)
        return 0;
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
           (uint32_t)b[3] << 24;
}

uint64_t fnli_r_u64le(fnli_rbuf *r)
{
    uint64_t lo = fnli_r_u32le(r);
    return lo | (uint64_t)fnli_r_u32le(r) << 32;
}

double fnli_r_f64(fnli_rbuf *r)
{
    uint64_t u = fnli_r_u64le(r);
    double d;
    memcpy(&d, &u, sizeof(d));
    return d;
}

fnli_sv fnli_r_str(fnli_rbuf *r, size_t max)
{
    fnli_sv s;
    uint64_t n = fnli_r_uv(r);
    s.p = NULL;
    s.n = 0;
    if (n == 0 || r->bad)
        return s;
    if (n - 1 > max) {
        r->bad = 1;
        return s;
    }
    s.n = (size_t)(n - 1);
    s.p = fnli_r_bytes(r, s.n);
    if (s.p == NULL) {
        s.n = 0;
    } else if (s.n == 0) {
        /* present but empty: only a cleared owner uses it */
        s.p = "";
    }
    return s;
}

size_t fnli_r_count(fnli_rbuf *r, size_t max, size_t min_each)
{
    uint64_t n = fnli_r_uv(r);
    if (r->bad)
        return 0;
    if (n > max || (min_each && n > (r->n - r->off) / min_each)) {
        r->bad = 1;
        return 0;
    }
    return (size_t)n;
}
