/* old_caller.c -- a program written against release 0.1 keeps working.
 *
 * Compiled against the frozen 0.1 header (funnelcore-0.1-baseline.h), never
 * against include/, and linked with today's shared library.  Every struct
 * it hands over lives in a heap block of exactly the caller's size, so the
 * sanitizer build turns a library read or write past the caller's `size`
 * into a heap-buffer-overflow; in the normal build, guard bytes after each
 * output struct must come back untouched.
 *
 * Besides the 0.1 sizes themselves, it simulates callers older still by
 * truncating `size` (a struct that ended before its last members), the way
 * a program built against an earlier header would pass it. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "funnelcore-0.1-baseline.h"

static int failures;

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "old_caller.c:%d: check failed: %s\n", __LINE__, \
                    #cond);                                                  \
            failures++;                                                      \
        }                                                                    \
    } while (0)

#define GUARD 32
#define GUARD_BYTE 0xA5

/* A copy of the first `size` bytes of `src` in a heap block of exactly that
 * size, with its `size` field set to `size`. */
static void *exact_copy(const void *src, size_t size)
{
    unsigned char *p = malloc(size);
    uint32_t s = (uint32_t)size;
    if (p == NULL)
        abort();
    memcpy(p, src, size);
    memcpy(p, &s, sizeof(s));
    return p;
}

/* An output struct of `size` bytes followed by guard bytes. */
static void *guarded_out(size_t size)
{
    unsigned char *p = malloc(size + GUARD);
    uint32_t s = (uint32_t)size;
    if (p == NULL)
        abort();
    memset(p, 0, size);
    memset(p + size, GUARD_BYTE, GUARD);
    memcpy(p, &s, sizeof(s));
    return p;
}

static int guard_intact(const void *p, size_t size)
{
    const unsigned char *g = (const unsigned char *)p + size;
    size_t i;
    for (i = 0; i < GUARD; i++)
        if (g[i] != GUARD_BYTE)
            return 0;
    return 1;
}

static int64_t fixed_now(void *ctx)
{
    (void)ctx;
    return INT64_C(1767225600000); /* 2026-01-01 */
}

/* An engine from a config that ends after default_country_code: a caller
 * from before host channel rules existed. */
static fnl_engine *open_engine(size_t cfg_size)
{
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_clock clock = {FNL_CLOCK_VERSION, NULL, fixed_now};
    fnl_engine_config *old;
    fnl_engine *e = NULL;
    cfg.clock = &clock;
    cfg.default_country_code = "49";
    old = exact_copy(&cfg, cfg_size);
    CHECK(fnl_engine_open(&e, old) == FNL_OK);
    free(old);
    return e;
}

static void test_touches(fnl_engine *e, size_t stride)
{
    /* Three touches in one batch, each element `stride` bytes apart, as an
     * array of an older, smaller fnl_touch would be laid out. */
    fnl_key k1[1] = {{"cookie_id", "c-1"}};
    fnl_key k2[2] = {{"cookie_id", "c-1"}, {"email", "Ana@Acme.example"}};
    fnl_key k3[1] = {{"phone", "030 1234567"}};
    const fnl_key *keys[3] = {k1, k2, k3};
    size_t nkeys[3] = {1, 2, 1};
    unsigned char *arr = malloc(3 * stride);
    fnl_contact_id ids[3] = {0, 0, 0};
    fnl_contact_id found = 0;
    size_t i;
    if (arr == NULL)
        abort();
    for (i = 0; i < 3; i++) {
        fnl_touch t = FNL_TOUCH_INIT;
        uint32_t s = (uint32_t)stride;
        t.time = INT64_C(1767225600000) + (int64_t)i * 1000;
        t.keys = keys[i];
        t.key_count = nkeys[i];
        t.url = "https://acme.example/pricing?utm_source=google&utm_medium=cpc";
        memcpy(arr + i * stride, &t, stride);
        memcpy(arr + i * stride, &s, sizeof(s));
    }
    CHECK(fnl_touch_add_batch(e, (const fnl_touch *)(void *)arr, 3, ids) ==
          FNL_OK);
    CHECK(ids[0] != 0 && ids[0] == ids[1]); /* the cookie and e-mail meet */
    CHECK(ids[2] != 0 && ids[2] != ids[0]);
    /* default_country_code came through the truncated config. */
    CHECK(fnl_contact_find(e, "phone", "+49301234567", &found) == FNL_OK);
    CHECK(found == ids[2]);
    free(arr);
}

static void test_contact_update(fnl_engine *e, size_t size)
{
    fnl_contact_update u = FNL_CONTACT_UPDATE_INIT;
    fnl_key k[1] = {{"email", "bo@acme.example"}};
    fnl_attr a[1] = {{"title", FNL_ATTR_STRING, "CFO", 0}};
    fnl_contact_update *old;
    fnl_contact_id id = 0;
    fnl_attr got;
    u.keys = k, u.key_count = 1;
    u.attrs = a, u.attr_count = 1;
    old = exact_copy(&u, size);
    CHECK(fnl_contact_upsert(e, old, &id) == FNL_OK);
    CHECK(id != 0);
    memset(&got, 0, sizeof(got));
    CHECK(fnl_contact_attr(e, id, "title", &got) == FNL_OK);
    CHECK(got.type == FNL_ATTR_STRING && got.str != NULL &&
          strcmp(got.str, "CFO") == 0);
    free(old);
}

static void test_readers(fnl_engine *e)
{
    fnl_contact_id id = 0;
    size_t n = 0;
    /* A contact_info from a caller whose struct ended before touch_count. */
    size_t isz = offsetof(fnl_contact_info, touch_count);
    fnl_contact_info *info = guarded_out(isz);
    /* A touch_info array whose elements end before the UTM fields. */
    size_t tsz = offsetof(fnl_touch_info, utm_source);
    unsigned char *touches = guarded_out(2 * tsz);
    fnl_touch_info first;
    /* Stats cut after `touches`. */
    size_t ssz = offsetof(fnl_stats, deals);
    fnl_stats *st = guarded_out(ssz);
    fnl_stats stats;

    CHECK(fnl_contact_find(e, "email", "ana@acme.example", &id) == FNL_OK);
    CHECK(fnl_contact_get(e, id, info) == FNL_OK);
    CHECK(info->id == id && info->key_count == 2);
    CHECK(guard_intact(info, isz));

    CHECK(fnl_contact_touches(e, id, (fnl_touch_info *)(void *)touches, tsz,
                              2, &n) == FNL_OK);
    CHECK(n == 2);
    memset(&first, 0, sizeof(first));
    memcpy(&first, touches, tsz);
    CHECK(first.time == INT64_C(1767225600000));
    CHECK(first.channel != NULL && strcmp(first.channel, "paid_search") == 0);
    CHECK(guard_intact(touches, 2 * tsz));

    CHECK(fnl_engine_stats(e, st) == FNL_OK);
    memset(&stats, 0, sizeof(stats));
    memcpy(&stats, st, ssz);
    CHECK(stats.contacts == 3 && stats.touches == 3);
    CHECK(guard_intact(st, ssz));

    free(info);
    free(touches);
    free(st);
}

int main(void)
{
    static const size_t cfg_sizes[] = {
        sizeof(fnl_engine_config), /* exactly 0.1 */
        offsetof(fnl_engine_config, channel_rules),
    };
    static const size_t touch_sizes[] = {
        sizeof(fnl_touch),
        offsetof(fnl_touch, account), /* before account and value */
    };
    static const size_t update_sizes[] = {
        sizeof(fnl_contact_update),
        offsetof(fnl_contact_update, tags_add), /* keys, contact, attrs */
    };
    size_t i;

    CHECK(fnl_version_number() >= 100); /* 0.1.0 or later */
    for (i = 0; i < 2; i++) {
        fnl_engine *e = open_engine(cfg_sizes[i]);
        if (e == NULL)
            continue;
        test_touches(e, touch_sizes[i]);
        test_contact_update(e, update_sizes[i]);
        test_readers(e);
        fnl_engine_close(e);
    }
    if (failures) {
        fprintf(stderr, "not ok - %d checks failed: a caller built against "
                        "0.1 would break\n", failures);
        return 1;
    }
    printf("ok - a 0.1 caller (and older, truncated sizes) works with "
           "library %s\n", fnl_version());
    return 0;
}
