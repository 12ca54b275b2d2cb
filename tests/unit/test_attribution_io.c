/* test_attribution_io.c -- serialised partials: split the journeys into 1,
 * 2 and 7 partitions (each with its own name table), save and load every
 * partial, merge, and get results bit-identical to one pass; every damaged
 * byte and every truncation is refused; buffers too small say how much is
 * needed; allocation failures while loading leak nothing. */
#include "test.h"
#include "failalloc.h"
#include "attribution.h"

#define NJ 400
#define NG 9

static const char *const names[NG] = {
    "paid_search", "email", "direct", "events", "référence", "display",
    "webinar", "seo", "partner"
};

typedef struct raw {
    uint32_t n;
    uint32_t g[8];
    int64_t t[8];
    uint64_t conv, nulls;
    int64_t value;
    int32_t lead, opp, close;
} raw;

static raw data[NJ];

static uint64_t rng(uint64_t *s)
{
    uint64_t x = *s += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

static void generate(void)
{
    uint64_t s = 42;
    int i;
    uint32_t k;
    for (i = 0; i < NJ; i++) {
        raw *r = &data[i];
        int64_t t = (int64_t)(rng(&s) % 1000000);
        r->n = 1 + (uint32_t)(rng(&s) % 8);
        for (k = 0; k < r->n; k++) {
            r->g[k] = (uint32_t)(rng(&s) % NG);
            t += (int64_t)(rng(&s) % 100000000);
            r->t[k] = t;
        }
        r->conv = rng(&s) % 3;
        r->nulls = rng(&s) % 3;
        r->value = r->conv ? (int64_t)(rng(&s) % 100000) : 0;
        r->lead = (int32_t)(rng(&s) % (r->n + 1)) - 1;
        r->opp = (int32_t)(rng(&s) % (r->n + 1)) - 1;
        r->close = rng(&s) % 2 ? (int32_t)r->n - 1 : -1;
    }
}

/* Journeys [lo, hi) in a container of their own; `rot` rotates the name
 * table so every partition numbers names differently. */
static fnl_journeys *journeys(int lo, int hi, int rot)
{
    fnl_journeys *js;
    int i, k;
    if (fnl_journeys_new(&js, 2, NULL))
        return NULL;
    for (k = 0; k < NG; k++) {
        /* a one-touch, zero-weight journey per name fixes the order */
        fnl_journey j = FNL_JOURNEY_INIT;
        const char *g = names[(k + rot) % NG];
        j.groups = &g;
        j.touch_count = 1;
        if (fnl_journeys_add(js, &j))
            goto fail;
    }
    for (i = lo; i < hi; i++) {
        fnl_journey j = FNL_JOURNEY_INIT;
        const char *g[8];
        uint32_t t;
        for (t = 0; t < data[i].n; t++)
            g[t] = names[data[i].g[t]];
        j.groups = g;
        j.times = data[i].t;
        j.touch_count = data[i].n;
        j.conversions = data[i].conv;
        j.nulls = data[i].nulls;
        j.value = data[i].value;
        j.lead_index = data[i].lead;
        j.opportunity_index = data[i].opp;
        j.close_index = data[i].close;
        if (fnl_journeys_add(js, &j))
            goto fail;
    }
    return js;
fail:
    fnl_journeys_free(js);
    return NULL;
}

static void options(fnl_attribution_options *o, uint32_t order)
{
    fnl_attribution_options d = FNL_ATTRIBUTION_OPTIONS_INIT;
    *o = d;
    o->models = FNL_ATTR_MODELS_DEFAULT | FNL_ATTR_BIT(FNL_ATTR_TIME_DECAY);
    o->markov_order = order;
    o->value_decimals = 2;
}

static fnl_attribution_partial *build(int lo, int hi, int rot, uint32_t order)
{
    fnl_attribution_options o;
    fnl_attribution_partial *p;
    fnl_journeys *js = journeys(lo, hi, rot);
    options(&o, order);
    if (js == NULL || fnl_attribution_partial_new(&p, &o)) {
        fnl_journeys_free(js);
        return NULL;
    }
    if (fnl_attribution_partial_add(p, js, 0, fnl_journeys_count(js))) {
        fnl_attribution_partial_free(p);
        p = NULL;
    }
    fnl_journeys_free(js);
    return p;
}

/* Save through the bound, load back. */
static fnl_attribution_partial *roundtrip(const fnl_attribution_partial *p)
{
    size_t bound = fnl_attribution_partial_save_bound(p), n = 0;
    unsigned char *buf = malloc(bound);
    fnl_attribution_partial *q = NULL;
    if (buf == NULL)
        return NULL;
    if (fnl_attribution_partial_save(p, buf, bound, &n) != FNL_OK ||
        n != bound || fnl_attribution_partial_load(&q, buf, n, NULL))
        q = NULL;
    free(buf);
    return q;
}

/* Every row field of every model, bit for bit. */
static int same_results(const fnl_attribution_partial *a,
                        const fnl_attribution_partial *b)
{
    uint32_t m;
    for (m = 1; m <= 14; m++) {
        fnl_attribution *x = NULL, *y = NULL;
        fnl_attribution_info ix = FNL_ATTRIBUTION_INFO_INIT;
        fnl_attribution_info iy = FNL_ATTRIBUTION_INFO_INIT;
        size_t i, n;
        int ok = 1;
        if (fnl_attribution_partial_finish(a, m, &x) ||
            fnl_attribution_partial_finish(b, m, &y))
            ok = 0;
        n = fnl_attribution_row_count(x);
        if (ok && n != fnl_attribution_row_count(y))
            ok = 0;
        if (ok) {
            fnl_attribution_get_info(x, &ix);
            fnl_attribution_get_info(y, &iy);
            ok = ix.journeys == iy.journeys && ix.touches == iy.touches &&
                 memcmp(&ix.total_conversions, &iy.total_conversions, 8) ==
                     0 &&
                 memcmp(&ix.total_value, &iy.total_value, 8) == 0 &&
                 memcmp(&ix.markov_conversion_probability,
                        &iy.markov_conversion_probability, 8) == 0 &&
                 ix.markov_states == iy.markov_states &&
                 ix.positions == iy.positions;
        }
        for (i = 0; ok && i < n; i++) {
            fnl_attribution_row rx = FNL_ATTRIBUTION_ROW_INIT;
            fnl_attribution_row ry = FNL_ATTRIBUTION_ROW_INIT;
            double px[16], py[16];
            size_t cx = 0, cy = 0;
            fnl_attribution_row_get(x, i, &rx);
            fnl_attribution_row_get(y, i, &ry);
            ok = strcmp(rx.key, ry.key) == 0 && rx.touches == ry.touches &&
                 memcmp(&rx.conversions, &ry.conversions, 8) == 0 &&
                 memcmp(&rx.value, &ry.value, 8) == 0 &&
                 memcmp(&rx.removal_effect, &ry.removal_effect, 8) == 0 &&
                 memcmp(&rx.value_removal_effect, &ry.value_removal_effect,
                        8) == 0;
            if (ok && fnl_attribution_positions(x, i, px, 16, &cx) == FNL_OK &&
                fnl_attribution_positions(y, i, py, 16, &cy) == FNL_OK)
                ok = cx == cy && memcmp(px, py, cx * sizeof(double)) == 0;
        }
        if (!ok)
            fprintf(stderr, "model %u differs\n", m);
        fnl_attribution_free(x);
        fnl_attribution_free(y);
        if (!ok)
            return 0;
    }
    return 1;
}

TEST(saved_partitions_merge_bit_identical_to_one_pass)
{
    static const int splits[3] = { 1, 2, 7 };
    uint32_t order;
    int s, k;
    for (order = 1; order <= 4; order++) {
        fnl_attribution_partial *one = build(0, NJ, 0, order);
        CHECK(one != NULL);
        for (s = 0; s < 3; s++) {
            fnl_attribution_options o;
            fnl_attribution_partial *acc;
            options(&o, order);
            CHECK_OK(fnl_attribution_partial_new(&acc, &o));
            for (k = 0; k < splits[s]; k++) {
                int lo = NJ * k / splits[s], hi = NJ * (k + 1) / splits[s];
                fnl_attribution_partial *p = build(lo, hi, k + 1, order);
                fnl_attribution_partial *q;
                CHECK(p != NULL);
                q = roundtrip(p);
                fnl_attribution_partial_free(p);
                CHECK(q != NULL);
                CHECK_OK(fnl_attribution_partial_merge(acc, q));
                fnl_attribution_partial_free(q);
            }
            CHECK(same_results(one, acc));
            /* and the merged partial survives a round trip itself */
            {
                fnl_attribution_partial *q = roundtrip(acc);
                CHECK(q != NULL);
                CHECK(same_results(one, q));
                fnl_attribution_partial_free(q);
            }
            fnl_attribution_partial_free(acc);
        }
        fnl_attribution_partial_free(one);
    }
}

TEST(a_loaded_partial_keeps_accumulating)
{
    fnl_attribution_partial *half = build(0, NJ / 2, 3, 2);
    fnl_attribution_partial *one = build(0, NJ, 0, 2), *q;
    fnl_journeys *rest = journeys(NJ / 2, NJ, 5);
    CHECK(half != NULL && one != NULL && rest != NULL);
    q = roundtrip(half);
    CHECK(q != NULL);
    CHECK_OK(fnl_attribution_partial_add(q, rest, 0,
                                         fnl_journeys_count(rest)));
    CHECK(same_results(one, q));
    fnl_attribution_partial_free(q);
    fnl_attribution_partial_free(half);
    fnl_attribution_partial_free(one);
    fnl_journeys_free(rest);
}

TEST(an_empty_partial_round_trips)
{
    fnl_attribution_options o;
    fnl_attribution_partial *p, *q;
    fnl_attribution *r = NULL;
    options(&o, 1);
    CHECK_OK(fnl_attribution_partial_new(&p, &o));
    q = roundtrip(p);
    CHECK(q != NULL);
    CHECK_OK(fnl_attribution_partial_finish(q, FNL_ATTR_LINEAR, &r));
    CHECK_INT(fnl_attribution_row_count(r), 0);
    fnl_attribution_free(r);
    /* options travel: a partial of other options does not merge */
    o.markov_order = 2;
    fnl_attribution_partial_free(p);
    CHECK_OK(fnl_attribution_partial_new(&p, &o));
    CHECK_INT(fnl_attribution_partial_merge(p, q), FNL_EINVAL);
    fnl_attribution_partial_free(p);
    fnl_attribution_partial_free(q);
}

TEST(small_buffers_get_erange_and_the_size)
{
    fnl_attribution_partial *p = build(0, 50, 0, 1);
    size_t bound, n = 0;
    unsigned char small[16];
    CHECK(p != NULL);
    bound = fnl_attribution_partial_save_bound(p);
    CHECK(bound > 28);
    CHECK_INT(fnl_attribution_partial_save(p, small, sizeof(small), &n),
              FNL_ERANGE);
    CHECK_INT(n, bound);
    CHECK_INT(fnl_attribution_partial_save(p, NULL, 0, &n), FNL_ERANGE);
    CHECK_INT(fnl_attribution_partial_save(NULL, small, 16, &n), FNL_EINVAL);
    CHECK_INT(fnl_attribution_partial_save_bound(NULL), 0);
    fnl_attribution_partial_free(p);
}

TEST(damaged_or_truncated_bytes_are_refused)
{
    fnl_attribution_partial *p = build(0, 30, 0, 2), *q = NULL;
    size_t bound, n = 0, i;
    unsigned char *buf;
    CHECK(p != NULL);
    bound = fnl_attribution_partial_save_bound(p);
    buf = malloc(bound);
    CHECK(buf != NULL);
    CHECK_OK(fnl_attribution_partial_save(p, buf, bound, &n));
    for (i = 0; i < n; i++) {
        int rc;
        buf[i] ^= 0x20;
        rc = fnl_attribution_partial_load(&q, buf, n, NULL);
        buf[i] ^= 0x20;
        if (rc != FNL_ECORRUPT && rc != FNL_EVERSION) {
            fprintf(stderr, "byte %zu: %d\n", i, rc);
            CHECK(0);
        }
        CHECK(q == NULL);
    }
    for (i = 0; i < n; i++)
        CHECK_INT(fnl_attribution_partial_load(&q, buf, i, NULL),
                  FNL_ECORRUPT);
    /* a newer format version */
    buf[8] = 2;
    CHECK_INT(fnl_attribution_partial_load(&q, buf, n, NULL), FNL_EVERSION);
    buf[8] = 1;
    CHECK_OK(fnl_attribution_partial_load(&q, buf, n, NULL));
    fnl_attribution_partial_free(q);
    CHECK_INT(fnl_attribution_partial_load(NULL, buf, n, NULL), FNL_EINVAL);
    CHECK_INT(fnl_attribution_partial_load(&q, "FNLPART", 8, NULL),
              FNL_ECORRUPT);
    free(buf);
    fnl_attribution_partial_free(p);
}

TEST(load_allocation_failures_leak_nothing)
{
    fnl_attribution_partial *p = build(0, 120, 0, 3), *q;
    failalloc fa;
    fnl_allocator a = fa_table(&fa);
    size_t bound, n = 0;
    unsigned char *buf;
    long k, fails = 0;
    CHECK(p != NULL);
    memset(&fa, 0, sizeof(fa));
    fa_disarm(&fa);
    bound = fnl_attribution_partial_save_bound(p);
    buf = malloc(bound);
    CHECK(buf != NULL);
    CHECK_OK(fnl_attribution_partial_save(p, buf, bound, &n));
    for (k = 0;; k++) {
        int rc;
        q = NULL;
        fa_arm(&fa, k, 0);
        rc = fnl_attribution_partial_load(&q, buf, n, &a);
        fa_disarm(&fa);
        if (fa.fired == 0) {
            CHECK_OK(rc);
            CHECK(same_results(p, q));
            fnl_attribution_partial_free(q);
            break;
        }
        fails++;
        CHECK_INT(rc, FNL_ENOMEM);
        CHECK(q == NULL);
        CHECK(fa.outstanding == 0);
    }
    CHECK(fa.outstanding == 0);
    CHECK(fails > 10);
    free(buf);
    fnl_attribution_partial_free(p);
}

int main(void)
{
    generate();
    RUN(saved_partitions_merge_bit_identical_to_one_pass);
    RUN(a_loaded_partial_keeps_accumulating);
    RUN(an_empty_partial_round_trips);
    RUN(small_buffers_get_erange_and_the_size);
    RUN(damaged_or_truncated_bytes_are_refused);
    RUN(load_allocation_failures_leak_nothing);
    TEST_MAIN_END();
}
