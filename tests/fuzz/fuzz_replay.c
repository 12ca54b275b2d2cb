/* fuzz_replay.c -- replay of journal records into an engine.
 *
 * The input is cut into records: each is a 16-bit little-endian length
 * and that many bytes, numbered 1, 2, ... as a storage would hand them to
 * the engine at open.  Mode bit 0 of the first byte: give every record a
 * valid header, so the fuzzer spends its time in the decoders.  The
 * record's first byte is then used up choosing that header: kind
 * 1 + (byte & 0x7f) % (REC_KIND_END - 1), i.e. every kind in record.h and
 * only those, version REC_VERSION, precedence the byte's top bit; the
 * rest of the record is the body.  An empty record gets a contact header
 * and no body.  Without the bit the records are used as they are.
 *
 * Properties: no crash, hang, leak or sanitizer report; open fails only
 * with a documented code; after a successful open the state can be read
 * whole, a new touch is accepted, and a checkpoint round-trips. */
#include <string.h>
#include "../dump.h"
#include "../teststore.h"
#include "funnelcore.h"
#include "fuzz.h"
#include "record.h"

/* A valid header for a record whose body follows `sel` (mode 1). */
static void valid_header(unsigned char *h, unsigned sel)
{
    h[0] = (unsigned char)(1 + (sel & 0x7f) % (REC_KIND_END - 1));
    h[1] = REC_VERSION;
    h[2] = (unsigned char)(sel >> 7 ? FNL_PRECEDENCE_SOURCE
                                    : FNL_PRECEDENCE_LATEST);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    teststore ts;
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_engine *e = NULL;
    size_t pos = 1;
    uint64_t seq = 0;
    unsigned mode;
    int rc;
    if (size < 1)
        return 0;
    mode = data[0];
    ts_init(&ts);
    while (pos + 2 <= size && seq < 1000) {
        size_t n = (size_t)data[pos] | (size_t)data[pos + 1] << 8;
        size_t head = 0, body;
        unsigned char *rec;
        pos += 2;
        if (n > size - pos)
            n = size - pos;
        body = n;
        rec = malloc(n + 3);
        FUZZ_ASSERT(rec != NULL);
        if (mode & 1) {
            /* the selector byte is used up: the body is what follows */
            valid_header(rec, n > 0 ? data[pos] : 0);
            head = 3;
            body = n > 0 ? n - 1 : 0;
        }
        memcpy(rec + head, data + pos + (n - body), body);
        pos += n;
        FUZZ_ASSERT(ts_append(&ts, ++seq, rec, head + body) == FNL_OK);
        free(rec);
    }
    cfg.storage = &ts.table;
    rc = fnl_engine_open(&e, &cfg);
    FUZZ_ASSERT(rc == FNL_OK || rc == FNL_ECORRUPT || rc == FNL_EVERSION ||
                rc == FNL_ENOMEM || rc == FNL_EINVAL);
    if (rc == FNL_OK) {
        fnl_touch t = FNL_TOUCH_INIT;
        fnl_key k = {"email", "fuzz@example.com"};
        char *d = dump_engine(e), *d2;
        t.keys = &k;
        t.key_count = 1;
        t.time = 1;
        t.channel = "seo";
        FUZZ_ASSERT(fnl_touch_add(e, &t, NULL) == FNL_OK);
        FUZZ_ASSERT(fnl_engine_checkpoint(e) == FNL_OK);
        free(d);
        d = dump_engine(e);
        fnl_engine_close(e);
        e = NULL;
        FUZZ_ASSERT(fnl_engine_open(&e, &cfg) == FNL_OK);
        d2 = dump_engine(e);
        FUZZ_ASSERT(strcmp(d, d2) == 0);
        free(d);
        free(d2);
        fnl_engine_close(e);
    }
    ts_free(&ts);
    return 0;
}
