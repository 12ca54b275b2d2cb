/* fuzz_replay.c -- replay of journal records into an engine.
 *
 * The input is cut into records: each is a 16-bit little-endian length
 * and that many bytes, numbered 1, 2, ... as a storage would hand them to
 * the engine at open.  Mode bit 0 of the first byte: prefix every record
 * with a valid header (kind from its first byte mod 8, version 1,
 * precedence 0), so the fuzzer spends its time in the decoders.
 *
 * Properties: no crash, hang, leak or sanitizer report; open fails only
 * with a documented code; after a successful open the state can be read
 * whole, a new touch is accepted, and a checkpoint round-trips. */
#include <string.h>
#include "../dump.h"
#include "../teststore.h"
#include "funnelcore.h"
#include "fuzz.h"

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
        unsigned char *rec;
        size_t extra = (mode & 1) ? 3 : 0;
        pos += 2;
        if (n > size - pos)
            n = size - pos;
        rec = malloc(n + extra + 1);
        if (mode & 1) {
            rec[0] = (unsigned char)(n > 0 ? data[pos] % 8 : 1);
            rec[1] = 1;
            rec[2] = 0;
        }
        memcpy(rec + extra, data + pos, n);
        pos += n;
        ts_append(&ts, ++seq, rec, n + extra);
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
