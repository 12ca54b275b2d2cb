/* fuzz_journal.c -- the file store's journal recovery at open.
 *
 * The input (after a mode byte) becomes the `journal` file of a fresh
 * store directory, which is then opened with fnl_storage_file_open() and
 * replayed.  Mode bits: 0 = recovery policy (strict / truncate); 1 = fix
 * the checksums first (walk the header and the record frames and write
 * correct CRC-32C values, so that the fuzzer explores lengths, sequence
 * numbers and frame boundaries instead of stopping at the first CRC).
 *
 * Properties: no crash, leak or sanitizer report; open fails only with a
 * documented code; after a successful open the replay succeeds, a record
 * appended after the last one is accepted, and a second, strict open of
 * the same directory succeeds and replays the same records plus the new
 * one (recovery leaves a clean journal). */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32c.h"
#include "funnelcore.h"
#include "fuzz.h"

#define HDR 24
#define FRAME 16

static char dir[64];

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
    size_t pos = HDR;
    if (n < HDR)
        return;
    put32(b + 20, fnli_crc32c(0, b, 20));
    while (pos + FRAME <= n) {
        uint32_t len = get32(b + pos + 4);
        if (len > n - pos - FRAME)
            break;
        put32(b + pos, fnli_crc32c(0, b + pos + 4, FRAME - 4 + (size_t)len));
        pos += FRAME + len;
    }
}

static void clean_dir(void)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char path[512];
    if (d == NULL)
        return;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        unlink(path);
    }
    closedir(d);
}

typedef struct replay_log {
    uint64_t count, last_seq, sum;
} replay_log;

static int on_record(void *arg, uint64_t seq, const void *rec, size_t len)
{
    replay_log *log = arg;
    const unsigned char *p = rec;
    size_t i;
    FUZZ_ASSERT(seq > log->last_seq);
    FUZZ_ASSERT(len <= FNL_STORAGE_MAX_RECORD && (len == 0 || rec != NULL));
    for (i = 0; i < len; i++) /* touch every byte: ASan checks the bounds */
        log->sum += p[i];
    log->count++;
    log->last_seq = seq;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fnl_storage_file_options o = FNL_STORAGE_FILE_OPTIONS_INIT;
    fnl_storage_file_info info = FNL_STORAGE_FILE_INFO_INIT;
    fnl_storage *st = NULL;
    replay_log a = {0, 0, 0}, b = {0, 0, 0};
    unsigned char *buf;
    char errbuf[256], path[512];
    static const char rec[] = "appended after recovery";
    int fd, rc;

    if (size < 1 || size > (1u << 20))
        return 0;
    if (dir[0] == '\0') {
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof(dir), "%s/fnl-fuzz-XXXXXX",
                 tmp && strlen(tmp) < 40 ? tmp : "/tmp");
        if (mkdtemp(dir) == NULL)
            abort();
    }
    clean_dir();
    buf = malloc(size);
    if (buf == NULL)
        return 0;
    memcpy(buf, data + 1, size - 1);
    if (data[0] & 2)
        fix_crcs(buf, size - 1);
    snprintf(path, sizeof(path), "%s/journal", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write(fd, buf, size - 1) != (ssize_t)(size - 1))
        abort();
    close(fd);
    free(buf);

    o.recovery = (data[0] & 1) ? FNL_RECOVER_TRUNCATE : FNL_RECOVER_STRICT;
    o.sync_policy = FNL_SYNC_NEVER; /* the fuzzer needs no fsync */
    o.errbuf = errbuf;
    o.errbuf_size = sizeof(errbuf);
    rc = fnl_storage_file_open(&st, dir, &o);
    FUZZ_ASSERT(memchr(errbuf, '\0', sizeof(errbuf)) != NULL);
    if (rc != FNL_OK) {
        FUZZ_ASSERT(rc == FNL_ECORRUPT || rc == FNL_EVERSION ||
                    rc == FNL_ENOMEM);
        FUZZ_ASSERT(errbuf[0] != '\0');
        return 0;
    }
    FUZZ_ASSERT(st->replay(st->ctx, 0, on_record, &a) == FNL_OK);
    FUZZ_ASSERT(fnl_storage_file_stats(st, &info) == FNL_OK);
    FUZZ_ASSERT(info.records == a.count);
    FUZZ_ASSERT(a.count == 0 || info.last_seq >= a.last_seq);
    if (info.last_seq < UINT64_MAX) {
        FUZZ_ASSERT(st->append(st->ctx, info.last_seq + 1, rec,
                               sizeof(rec)) == FNL_OK);
        a.count++;
        a.last_seq = info.last_seq + 1;
    }
    fnl_storage_close(st);

    /* Recovery left a clean journal: a strict open accepts it as is. */
    st = NULL;
    o.recovery = FNL_RECOVER_STRICT;
    rc = fnl_storage_file_open(&st, dir, &o);
    if (rc != FNL_OK)
        fprintf(stderr, "reopen: %s\n", errbuf);
    FUZZ_ASSERT(rc == FNL_OK);
    FUZZ_ASSERT(fnl_storage_file_stats(st, &info) == FNL_OK);
    FUZZ_ASSERT(info.dropped_bytes == 0);
    FUZZ_ASSERT(st->replay(st->ctx, 0, on_record, &b) == FNL_OK);
    FUZZ_ASSERT(b.count == a.count && b.last_seq == a.last_seq);
    fnl_storage_close(st);
    return 0;
}
