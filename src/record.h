/* record.h -- the byte encoding of journal records and snapshot sections:
 * little-endian varints, zigzag for signed values, length-prefixed strings.
 * A writer grows a buffer (and remembers an allocation failure instead of
 * failing each call); a reader checks every bound and remembers the first
 * malformation, so decoding code reads straight through and tests `bad`
 * once. */
#ifndef FNL_RECORD_H
#define FNL_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include "engine.h"

/* Journal record kinds.  Values are stored: never renumber. */
enum {
    REC_CONTACT = 1,
    REC_TOUCHES = 2,
    REC_ACCOUNT = 3,
    REC_DEAL = 4,
    REC_COST = 5,
    REC_FORGET = 6,
    REC_MODEL = 7,
    REC_MACHINE = 8,  /* stage machine attached (its text) */
    REC_EVENT = 9,    /* a host event for a contact */
    REC_TICK = 10,    /* the stage clock reached a time */
    REC_OWNER = 11,   /* an owner record's attributes (owner.c) */
    REC_KIND_END      /* one past the highest kind (not stored): new kinds
                       * go above this line, so it stays last */
};
#define REC_VERSION 1


void fnli_w_init(fnli_wbuf *w, fnli_mem *mem);
void fnli_w_free(fnli_wbuf *w);
void fnli_w_reset(fnli_wbuf *w);
int fnli_w_reserve(fnli_wbuf *w, size_t more);
void fnli_w_bytes(fnli_wbuf *w, const void *p, size_t n);
void fnli_w_u8(fnli_wbuf *w, unsigned v);
void fnli_w_uv(fnli_wbuf *w, uint64_t v);
void fnli_w_sv(fnli_wbuf *w, int64_t v);
void fnli_w_u32le(fnli_wbuf *w, uint32_t v);
void fnli_w_u64le(fnli_wbuf *w, uint64_t v);
void fnli_w_f64(fnli_wbuf *w, double v);
/* A string: length + 1 (0 means absent), then the bytes. */
void fnli_w_str(fnli_wbuf *w, fnli_sv s);

typedef struct fnli_rbuf {
    const unsigned char *p;
    size_t n, off;
    int bad;
} fnli_rbuf;

void fnli_r_init(fnli_rbuf *r, const void *p, size_t n);
unsigned fnli_r_u8(fnli_rbuf *r);
uint64_t fnli_r_uv(fnli_rbuf *r);
int64_t fnli_r_sv(fnli_rbuf *r);
uint32_t fnli_r_u32le(fnli_rbuf *r);
uint64_t fnli_r_u64le(fnli_rbuf *r);
double fnli_r_f64(fnli_rbuf *r);
const void *fnli_r_bytes(fnli_rbuf *r, size_t n);
/* A string of at most max bytes; absent gives p == NULL.  The view points
 * into the record. */
fnli_sv fnli_r_str(fnli_rbuf *r, size_t max);
/* A count bounded by max (and by the bytes left, at min_each per item). */
size_t fnli_r_count(fnli_rbuf *r, size_t max, size_t min_each);

#endif
