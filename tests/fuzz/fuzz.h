/* fuzz.h -- shared by the fuzz targets (tests/fuzz/README.md).
 *
 * Each fuzz_<name>.c defines LLVMFuzzerTestOneInput().  It is linked with
 * libFuzzer in the -Dfuzz=true build (clang), and with replay_main.c in
 * every build, where a meson test replays the committed corpus. */
#ifndef FNL_FUZZ_H
#define FNL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property the code under test promises was broken: report and abort,
 * which libFuzzer records as a crash. */
#define FUZZ_ASSERT(cond)                                                    \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: fuzz property failed: %s\n", __FILE__,   \
                    __LINE__, #cond);                                        \
            abort();                                                         \
        }                                                                    \
    } while (0)

/* Reads the input front to back; past its end every read gives 0. */
typedef struct fuzz_in {
    const uint8_t *p;
    size_t n;
} fuzz_in;

static inline uint8_t fuzz_u8(fuzz_in *in)
{
    uint8_t v;
    if (in->n == 0)
        return 0;
    v = *in->p++;
    in->n--;
    return v;
}

static inline uint32_t fuzz_u32(fuzz_in *in)
{
    uint32_t v = fuzz_u8(in);
    v |= (uint32_t)fuzz_u8(in) << 8;
    v |= (uint32_t)fuzz_u8(in) << 16;
    v |= (uint32_t)fuzz_u8(in) << 24;
    return v;
}

/* Up to max bytes (the count is the next input byte) as a NUL-terminated
 * string in buf (cap > max). */
static inline const char *fuzz_str(fuzz_in *in, char *buf, size_t max)
{
    size_t len = fuzz_u8(in) % (max + 1), i;
    for (i = 0; i < len && in->n > 0; i++)
        buf[i] = (char)fuzz_u8(in);
    buf[i] = '\0';
    return buf;
}

#endif
