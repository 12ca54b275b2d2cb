/* fuzz_snapshot.c -- the engine's snapshot loader.
 *
 * The input (after a mode byte) is the snapshot a storage hands the engine
 * at open.  Mode bit 0: fix the checksums first (the header CRC and every
 * frame's CRC), so the fuzzer explores the decoder and the validator
 * rather than stopping at the first checksum.
 *
 * Properties: no crash, hang, leak or sanitizer report; open fails only
 * with a documented code; after a successful open every reader works
 * (the whole state is dumped through the public API), a new touch is
 * accepted, and a checkpoint of the loaded state loads again. */
#include <string.h>
#include "../dump.h"
#include "../teststore.h"
#include "crc32c.h"
#include "funnelcore.h"
#include "fuzz.h"

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16), p[3] = (unsigned char)(v >> 24);
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static void fix_crcs(unsigned char *b, size_t n)
{
    size_t pos = 32;
    if (n < 32)
        return;
    put32(b + 28, fnli_crc32c(0, b, 28));
    while (pos + 20 <= n) {
        uint32_t stored = get32(b + pos + 12);
        if (stored > n - pos - 20)
            break;
        put32(b + pos + 16, fnli_crc32c(0, b + pos + 20, stored));
        pos += 20 + stored;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    teststore ts;
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_engine *e = NULL;
    unsigned mode;
    int rc;
    if (size < 1)
        return 0;
    mode = data[0];
    ts_init(&ts);
    ts.snap = malloc(size);
    memcpy(ts.snap, data + 1, size - 1);
    ts.snap_n = size - 1;
    if (mode & 1)
        fix_crcs(ts.snap, ts.snap_n);
    ts.has_snap = 1;
    /* the header's seq decides which journal records follow: none here */
    ts.snap_seq = ts.snap_n >= 24 ? ((uint64_t)get32(ts.snap + 20) << 32 |
                                     get32(ts.snap + 16))
                                  : 0;
    cfg.storage = &ts.table;
    rc = fnl_engine_open(&e, &cfg);
    FUZZ_ASSERT(rc == FNL_OK || rc == FNL_ECORRUPT || rc == FNL_EVERSION ||
                rc == FNL_EUNSUPPORTED || rc == FNL_ENOMEM);
    if (rc == FNL_OK) {
        fnl_touch t = FNL_TOUCH_INIT;
        fnl_key k = {"email", "fuzz@example.com"};
        char *d = dump_engine(e);
        free(d);
        t.keys = &k;
        t.key_count = 1;
        t.time = 1;
        t.channel = "seo";
        FUZZ_ASSERT(fnl_touch_add(e, &t, NULL) == FNL_OK);
        FUZZ_ASSERT(fnl_engine_checkpoint(e) == FNL_OK);
        fnl_engine_close(e);
        e = NULL;
        {
            char err[512];
            cfg.errbuf = err;
            cfg.errbuf_size = sizeof(err);
            rc = fnl_engine_open(&e, &cfg);
            if (rc != FNL_OK)
                fprintf(stderr, "reopen after checkpoint: %s\n", err);
            FUZZ_ASSERT(rc == FNL_OK);
        }
        fnl_engine_close(e);
    }
    ts_free(&ts);
    return 0;
}
