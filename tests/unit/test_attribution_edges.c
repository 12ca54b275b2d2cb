/* test_attribution_edges -- the corners of the journey and attribution API
 * that test_attribution leaves out: every argument check of journeys,
 * options, runs, partials and readers (each refusal changes nothing), the
 * UTF-8 rules for group keys, custom weights on one, two and three touches,
 * readers of callers with shorter structs, and merges refused for each
 * option that differs.  Expected credits are worked out in the comments. */
#include "crc32c.h"
#include "failalloc.h"
#include "funnelcore.h"
#include "test.h"

#define DAY INT64_C(86400000)

static int add1(fnl_journeys *js, const char *const *g, size_t n,
                uint64_t conv, const int64_t *times)
{
    fnl_journey j = FNL_JOURNEY_INIT;
    j.groups = g;
    j.touch_count = n;
    j.conversions = conv;
    j.times = times;
    return fnl_journeys_add(js, &j);
}

static double credit(const fnl_attribution *r, const char *key)
{
    size_t i, n = fnl_attribution_row_count(r);
    for (i = 0; i < n; i++) {
        fnl_attribution_row row = FNL_ATTRIBUTION_ROW_INIT;
        if (fnl_attribution_row_get(r, i, &row) == FNL_OK &&
            strcmp(row.key, key) == 0)
            return row.conversions;
    }
    return -1;
}

TEST(journey_checks_refuse_and_add_nothing)
{
    fnl_journeys *js;
    fnl_journey j = FNL_JOURNEY_INIT;
    const char *g[2] = {"a", "b"};
    const char *gnull[2] = {"a", NULL};
    int64_t t[2] = {10, 20};
    char *longkey = malloc(FNL_MAX_STRING + 2);
    CHECK(longkey != NULL);
    memset(longkey, 'k', FNL_MAX_STRING + 1);
    longkey[FNL_MAX_STRING + 1] = '\0';

    CHECK_INT(fnl_journeys_new(NULL, 0, NULL), FNL_EINVAL);
    CHECK_INT(fnl_journeys_new(&js, 10, NULL), FNL_EINVAL);
    {
        fnl_allocator newer = {FNL_ALLOCATOR_VERSION + 1, NULL, NULL, NULL,
                               NULL};
        CHECK_INT(fnl_journeys_new(&js, 0, &newer), FNL_EVERSION);
    }
    CHECK_OK(fnl_journeys_new(&js, 2, NULL));
    CHECK_INT(fnl_journeys_add(NULL, &j), FNL_EINVAL);
    j.size = 2;
    CHECK_INT(fnl_journeys_add(js, &j), FNL_EINVAL);
    j.size = sizeof(j);
    j.groups = g;
    /* more touches than the limit: refused before the array is read */
    j.touch_count = (size_t)FNL_ATTR_MAX_TOUCHES + 1;
    CHECK_INT(fnl_journeys_add(js, &j), FNL_ELIMIT);
    j.touch_count = 2;
    j.groups = NULL;
    CHECK_INT(fnl_journeys_add(js, &j), FNL_EINVAL);
    j.groups = gnull;
    CHECK_INT(fnl_journeys_add(js, &j), FNL_EINVAL);
    j.groups = g;
    j.nulls = (uint64_t)FNL_ATTR_MAX_CONVERSIONS + 1;
    CHECK_INT(fnl_journeys_add(js, &j), FNL_ELIMIT);
    j.nulls = 0;
    j.conversions = 1;
    j.value = -1;
    CHECK_INT(fnl_journeys_add(js, &j), FNL_EINVAL);
    j.value = 0;
    j.opportunity_index = 2;
    CHECK_INT(fnl_journeys_add(js, &j), FNL_EINVAL);
    j.opportunity_index = -2;
    CHECK_INT(fnl_journeys_add(js, &j), FNL_EINVAL);
    j.opportunity_index = -1;
    j.close_index = 2;
    CHECK_INT(fnl_journeys_add(js, &j), FNL_EINVAL);
    j.close_index = -1;
    j.lead_index = -3;
    CHECK_INT(fnl_journeys_add(js, &j), FNL_EINVAL);
    j.lead_index = -1;
    j.conversion_time = -5;
    CHECK_INT(fnl_journeys_add(js, &j), FNL_EINVAL);
    j.conversion_time = FNL_TIME_MAX + 1;
    CHECK_INT(fnl_journeys_add(js, &j), FNL_EINVAL);
    /* with times: conversion before the last touch; a time out of range */
    j.times = t;
    j.conversion_time = 15;
    CHECK_INT(fnl_journeys_add(js, &j), FNL_EINVAL);
    j.conversion_time = FNL_ATTR_TIME_UNSET;
    t[0] = -1;
    CHECK_INT(fnl_journeys_add(js, &j), FNL_EINVAL);
    t[0] = 10;
    t[1] = FNL_TIME_MAX + 1;
    CHECK_INT(fnl_journeys_add(js, &j), FNL_EINVAL);
    t[1] = 20;
    j.times = NULL;
    /* a key of FNL_MAX_STRING + 1 bytes */
    g[1] = longkey;
    CHECK_INT(fnl_journeys_add(js, &j), FNL_EINVAL);
    g[1] = "b";
    CHECK_INT(fnl_journeys_count(js), 0);
    CHECK_INT(fnl_journeys_group_count(js), 0);
    CHECK_INT(fnl_journeys_count(NULL), 0);
    CHECK_INT(fnl_journeys_group_count(NULL), 0);
    /* the same journey, corrected, goes in; an older caller's struct that
     * ends before the role indices gets -1 for them */
    j.size = (uint32_t)offsetof(fnl_journey, lead_index);
    j.lead_index = 7; /* past the caller's size: not read */
    CHECK_OK(fnl_journeys_add(js, &j));
    CHECK_INT(fnl_journeys_count(js), 1);
    CHECK_INT(fnl_journeys_group_count(js), 2);
    fnl_journeys_free(js);
    fnl_journeys_free(NULL);
    free(longkey);
}

TEST(group_keys_follow_the_utf8_rules)
{
    /* accepted: 2, 3 and 4 byte sequences; refused: overlong 3 and 4 byte
     * forms, surrogates, code points above U+10FFFF, a truncated
     * sequence, a bad continuation byte, a stray continuation byte */
    static const struct {
        const char *key;
        int ok;
    } cases[] = {
        {"caf\xc3\xa9", 1},
        {"\xe4\xb8\xad\xe6\x96\x87", 1},
        {"\xf0\x9f\x98\x80", 1},
        {"\xe0\x80\x80", 0},
        {"\xf0\x80\x80\x80", 0},
        {"\xed\xa0\x80", 0},
        {"\xf4\x90\x80\x80", 0},
        {"\xe4\xb8", 0},
        {"\xe4\x28\xad", 0},
        {"\x80", 0},
        {"\xf5\x80\x80\x80", 0},
    };
    fnl_journeys *js;
    size_t i, added = 0;
    CHECK_OK(fnl_journeys_new(&js, 0, NULL));
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *g[1];
        int rc;
        g[0] = cases[i].key;
        rc = add1(js, g, 1, 1, NULL);
        if (rc != (cases[i].ok ? FNL_OK : FNL_EINVAL))
            fprintf(stderr, "case %zu: %d\n", i, rc);
        CHECK_INT(rc, cases[i].ok ? FNL_OK : FNL_EINVAL);
        added += cases[i].ok;
    }
    CHECK_INT(fnl_journeys_count(js), added);
    fnl_journeys_free(js);
}

TEST(custom_weights_without_first_and_last)
{
    /* first 0, middle 1, last 0: one touch takes everything; two touches
     * share equally (first + last is 0: the documented fallback); with
     * three the middle touch takes all.  a: 1 + 0.5 = 1.5, b: 0.5 + 1 =
     * 1.5 (b is the middle of "a b c"), c: 0 */
    fnl_journeys *js;
    fnl_attribution *r;
    fnl_attribution_options o = FNL_ATTRIBUTION_OPTIONS_INIT;
    const char *one[1] = {"a"}, *two[2] = {"a", "b"},
               *three[3] = {"a", "b", "c"};
    CHECK_OK(fnl_journeys_new(&js, 0, NULL));
    CHECK_OK(add1(js, one, 1, 1, NULL));
    CHECK_OK(add1(js, two, 2, 1, NULL));
    CHECK_OK(add1(js, three, 3, 1, NULL));
    o.custom_first = 0;
    o.custom_middle = 1;
    o.custom_last = 0;
    CHECK_OK(fnl_attribution_run(&r, js, FNL_ATTR_CUSTOM, &o));
    CHECK_NEAR(credit(r, "a"), 1.5, 1e-12);
    CHECK_NEAR(credit(r, "b"), 1.5, 1e-12);
    CHECK_NEAR(credit(r, "c"), 0, 1e-12);
    fnl_attribution_free(r);
    /* no direct group: last non-direct is last touch: c of "a b c" */
    o.direct_group = "";
    CHECK_OK(fnl_attribution_run(&r, js, FNL_ATTR_LAST_NON_DIRECT, &o));
    CHECK_NEAR(credit(r, "c"), 1, 1e-12);
    CHECK_NEAR(credit(r, "b"), 1, 1e-12); /* "a b" */
    CHECK_NEAR(credit(r, "a"), 1, 1e-12); /* "a" */
    fnl_attribution_free(r);
    fnl_journeys_free(js);
}

TEST(bad_options_are_refused)
{
    fnl_journeys *js;
    fnl_attribution *r = NULL;
    fnl_attribution_partial *p = NULL;
    fnl_attribution_options o = FNL_ATTRIBUTION_OPTIONS_INIT;
    const char *g[2] = {"a", "b"};
    char longname[80];
    memset(longname, 'd', 65);
    longname[65] = '\0';
    CHECK_OK(fnl_journeys_new(&js, 0, NULL));
    CHECK_OK(add1(js, g, 2, 1, NULL));
#define REFUSED(field, bad_value, good_value)                                 \
    do {                                                                     \
        o.field = bad_value;                                                 \
        CHECK_INT(fnl_attribution_run(&r, js, FNL_ATTR_LINEAR, &o),           \
                  FNL_EINVAL);                                               \
        CHECK_INT(fnl_attribution_partial_new(&p, &o), FNL_EINVAL);           \
        o.field = good_value;                                                \
    } while (0)
    REFUSED(shapley_value, 2, FNL_SHAPLEY_RATE);
    REFUSED(custom_first, NAN, 40);
    REFUSED(custom_middle, INFINITY, 20);
    REFUSED(custom_last, -1, 40);
    REFUSED(custom_middle, -0.5, 20);
    REFUSED(direct_group, longname, "direct");
    REFUSED(markov_order, 0, 1);
#undef REFUSED
    /* decimals: a run takes them from the journeys (so 10 is ignored), a
     * partial refuses them */
    o.value_decimals = 10;
    CHECK_OK(fnl_attribution_run(&r, js, FNL_ATTR_LINEAR, &o));
    fnl_attribution_free(r);
    r = NULL;
    CHECK_INT(fnl_attribution_partial_new(&p, &o), FNL_EINVAL);
    o.value_decimals = 0;
    /* all custom weights zero: no sum */
    o.custom_first = o.custom_middle = o.custom_last = 0;
    CHECK_INT(fnl_attribution_run(&r, js, FNL_ATTR_CUSTOM, &o), FNL_EINVAL);
    o.custom_first = 40;
    o.custom_middle = 20;
    o.custom_last = 40;
    /* partials: no models, unknown model bits */
    o.models = 0;
    CHECK_INT(fnl_attribution_partial_new(&p, &o), FNL_EINVAL);
    o.models = 1u << 20;
    CHECK_INT(fnl_attribution_partial_new(&p, &o), FNL_EINVAL);
    o.models = FNL_ATTR_MODELS_DEFAULT;
    /* a struct shorter than its two first fields */
    o.size = 4;
    CHECK_INT(fnl_attribution_run(&r, js, FNL_ATTR_LINEAR, &o), FNL_EINVAL);
    CHECK_INT(fnl_attribution_partial_new(&p, &o), FNL_EINVAL);
    o.size = sizeof(o);
    CHECK_INT(fnl_attribution_partial_new(NULL, &o), FNL_EINVAL);
    CHECK_INT(fnl_attribution_run(NULL, js, FNL_ATTR_LINEAR, &o), FNL_EINVAL);
    CHECK_INT(fnl_attribution_run(&r, NULL, FNL_ATTR_LINEAR, &o),
              FNL_EINVAL);
    {
        fnl_allocator newer = {FNL_ALLOCATOR_VERSION + 1, NULL, NULL, NULL,
                               NULL};
        o.allocator = &newer;
        CHECK_INT(fnl_attribution_partial_new(&p, &o), FNL_EVERSION);
        CHECK_INT(fnl_attribution_run(&r, js, FNL_ATTR_LINEAR, &o),
                  FNL_EVERSION);
        o.allocator = NULL;
    }
    CHECK(r == NULL);
    CHECK(p == NULL);
    /* time decay over journeys without times */
    CHECK_INT(fnl_attribution_run(&r, js, FNL_ATTR_TIME_DECAY, NULL),
              FNL_EINVAL);
    CHECK(r == NULL);
    fnl_journeys_free(js);
}

TEST(partials_check_ranges_decimals_and_models)
{
    fnl_journeys *js, *js2;
    fnl_attribution_partial *p, *q;
    fnl_attribution *r;
    fnl_attribution_options o = FNL_ATTRIBUTION_OPTIONS_INIT;
    const char *g[2] = {"a", "b"};
    int64_t t[2] = {0, DAY};
    CHECK_OK(fnl_journeys_new(&js, 0, NULL));
    CHECK_OK(fnl_journeys_new(&js2, 3, NULL));
    CHECK_OK(add1(js, g, 2, 1, NULL));
    CHECK_OK(add1(js, g, 2, 1, t));
    CHECK_OK(add1(js2, g, 2, 1, t));
    o.models = FNL_ATTR_BIT(FNL_ATTR_LINEAR) |
               FNL_ATTR_BIT(FNL_ATTR_TIME_DECAY);
    CHECK_OK(fnl_attribution_partial_new(&p, &o));
    CHECK_INT(fnl_attribution_partial_add(NULL, js, 0, 1), FNL_EINVAL);
    CHECK_INT(fnl_attribution_partial_add(p, NULL, 0, 1), FNL_EINVAL);
    CHECK_INT(fnl_attribution_partial_add(p, js, 3, 0), FNL_EINVAL);
    CHECK_INT(fnl_attribution_partial_add(p, js, 1, 2), FNL_EINVAL);
    /* other decimals than the partial's 0 */
    CHECK_INT(fnl_attribution_partial_add(p, js2, 0, 1), FNL_EINVAL);
    /* time decay: journey 0 has no times and a conversion */
    CHECK_INT(fnl_attribution_partial_add(p, js, 0, 2), FNL_EINVAL);
    /* an empty range is a no-op */
    CHECK_OK(fnl_attribution_partial_add(p, js, 2, 0));
    CHECK_OK(fnl_attribution_partial_add(p, js, 1, 1));
    /* finish: a model not accumulated, model 0, NULLs */
    CHECK_INT(fnl_attribution_partial_finish(p, FNL_ATTR_FIRST_TOUCH, &r),
              FNL_EINVAL);
    CHECK_INT(fnl_attribution_partial_finish(p, 0, &r), FNL_EINVAL);
    CHECK_INT(fnl_attribution_partial_finish(p, 99, &r), FNL_EINVAL);
    CHECK_INT(fnl_attribution_partial_finish(NULL, FNL_ATTR_LINEAR, &r),
              FNL_EINVAL);
    CHECK_INT(fnl_attribution_partial_finish(p, FNL_ATTR_LINEAR, NULL),
              FNL_EINVAL);
    /* linear over the one journey "a b" added: 0.5 each */
    CHECK_OK(fnl_attribution_partial_finish(p, FNL_ATTR_LINEAR, &r));
    CHECK_NEAR(credit(r, "a"), 0.5, 1e-12);
    fnl_attribution_free(r);
    /* merges: NULLs; a partial with each option different is refused */
    CHECK_INT(fnl_attribution_partial_merge(NULL, p), FNL_EINVAL);
    CHECK_INT(fnl_attribution_partial_merge(p, NULL), FNL_EINVAL);
    {
        fnl_attribution_options d = o;
        int k;
        for (k = 0; k < 8; k++) {
            d = o;
            switch (k) {
            case 0: d.models = FNL_ATTR_BIT(FNL_ATTR_LINEAR); break;
            case 1: d.markov_order = 2; break;
            case 2: d.shapley_value = FNL_SHAPLEY_CONVERSIONS; break;
            case 3: d.value_decimals = 1; break;
            case 4: d.half_life_ms = DAY; break;
            case 5: d.custom_first = 30; break;
            case 6: d.custom_last = 50; break;
            default: d.direct_group = "none"; break;
            }
            CHECK_OK(fnl_attribution_partial_new(&q, &d));
            if (fnl_attribution_partial_merge(p, q) != FNL_EINVAL)
                fprintf(stderr, "option %d merged\n", k);
            CHECK_INT(fnl_attribution_partial_merge(p, q), FNL_EINVAL);
            fnl_attribution_partial_free(q);
        }
        d = o;
        d.custom_middle = 10;
        CHECK_OK(fnl_attribution_partial_new(&q, &d));
        CHECK_INT(fnl_attribution_partial_merge(p, q), FNL_EINVAL);
        fnl_attribution_partial_free(q);
    }
    /* after all the refusals the result is still that of one journey */
    CHECK_OK(fnl_attribution_partial_finish(p, FNL_ATTR_LINEAR, &r));
    CHECK_NEAR(credit(r, "b"), 0.5, 1e-12);
    fnl_attribution_free(r);
    fnl_attribution_partial_free(p);
    fnl_attribution_partial_free(NULL);
    fnl_journeys_free(js);
    fnl_journeys_free(js2);
}

TEST(result_readers_check_their_arguments)
{
    fnl_journeys *js;
    fnl_attribution *r;
    fnl_attribution_info info = FNL_ATTRIBUTION_INFO_INIT;
    fnl_attribution_row row = FNL_ATTRIBUTION_ROW_INIT;
    const char *g[3] = {"a", "b", "c"};
    double pos[4];
    size_t count;
    CHECK_OK(fnl_journeys_new(&js, 0, NULL));
    CHECK_OK(add1(js, g, 3, 2, NULL));
    CHECK_OK(fnl_attribution_run(&r, js, FNL_ATTR_FIRST_TOUCH, NULL));
    CHECK_INT(fnl_attribution_get_info(NULL, &info), FNL_EINVAL);
    CHECK_INT(fnl_attribution_get_info(r, NULL), FNL_EINVAL);
    info.size = 2;
    CHECK_INT(fnl_attribution_get_info(r, &info), FNL_EINVAL);
    /* a short info: model and markov_order only */
    memset(&info, 0x5a, sizeof(info));
    info.size = (uint32_t)offsetof(fnl_attribution_info, shapley_value);
    CHECK_OK(fnl_attribution_get_info(r, &info));
    CHECK_INT(info.model, FNL_ATTR_FIRST_TOUCH);
    CHECK_INT(info.markov_order, 1);
    CHECK_INT(((unsigned char *)&info)[offsetof(fnl_attribution_info,
                                                shapley_value)], 0x5a);
    /* rows */
    CHECK_INT(fnl_attribution_row_count(NULL), 0);
    CHECK_INT(fnl_attribution_row_count(r), 3);
    CHECK_INT(fnl_attribution_row_get(NULL, 0, &row), FNL_EINVAL);
    CHECK_INT(fnl_attribution_row_get(r, 0, NULL), FNL_EINVAL);
    CHECK_INT(fnl_attribution_row_get(r, 3, &row), FNL_ENOTFOUND);
    row.size = 0;
    CHECK_INT(fnl_attribution_row_get(r, 0, &row), FNL_EINVAL);
    /* a row that ends after `conversions` */
    memset(&row, 0x5a, sizeof(row));
    row.size = (uint32_t)offsetof(fnl_attribution_row, value);
    CHECK_OK(fnl_attribution_row_get(r, 0, &row));
    CHECK_STR(row.key, "a");
    CHECK_NEAR(row.conversions, 2, 0); /* first touch: all 2 to a */
    CHECK_INT(((unsigned char *)&row)[offsetof(fnl_attribution_row, value)],
              0x5a);
    /* positions: none for a heuristic model */
    CHECK_INT(fnl_attribution_positions(NULL, 0, pos, 4, &count),
              FNL_EINVAL);
    CHECK_INT(fnl_attribution_positions(r, 0, pos, 4, NULL), FNL_EINVAL);
    CHECK_INT(fnl_attribution_positions(r, 0, NULL, 4, &count), FNL_EINVAL);
    CHECK_INT(fnl_attribution_positions(r, 3, pos, 4, &count),
              FNL_ENOTFOUND);
    CHECK_OK(fnl_attribution_positions(r, 0, pos, 4, &count));
    CHECK_INT(count, 0);
    fnl_attribution_free(r);
    fnl_attribution_free(NULL);
    /* ordered Shapley: "a b c" gives positions; a short cap is ERANGE */
    CHECK_OK(fnl_attribution_run(&r, js, FNL_ATTR_SHAPLEY_ORDERED, NULL));
    CHECK_INT(fnl_attribution_positions(r, 0, pos, 0, &count), FNL_ERANGE);
    CHECK(count > 0);
    fnl_attribution_free(r);
    fnl_journeys_free(js);
}

TEST(journeys_survive_allocation_failure_on_add)
{
    /* many distinct keys: the key table and the journey arrays grow;
     * every failing allocation leaves the set as it was */
    failalloc fa = {-1, 0, 0, 0, 0};
    fnl_allocator a = fa_table(&fa);
    fnl_journeys *js;
    char names[40][8];
    const char *g[40];
    int64_t t[40];
    long n;
    int i, done = 0;
    for (i = 0; i < 40; i++) {
        snprintf(names[i], sizeof(names[i]), "k%02d", i);
        g[i] = names[i];
        t[i] = i * DAY;
    }
    for (n = 0; n < 200 && !done; n++) {
        int rc;
        size_t before;
        CHECK_OK(fnl_journeys_new(&js, 0, &a));
        CHECK_OK(add1(js, g, 3, 1, NULL));
        before = fnl_journeys_count(js);
        fa_arm(&fa, n, 0);
        rc = add1(js, g, 40, 2, t);
        fa_disarm(&fa);
        if (rc == FNL_OK) {
            fnl_attribution *r;
            CHECK_INT(fnl_journeys_count(js), before + 1);
            CHECK_INT(fnl_journeys_group_count(js), 40);
            /* last touch: k39 gets 2, k02 gets 1 from the first journey */
            CHECK_OK(fnl_attribution_run(&r, js, FNL_ATTR_LAST_TOUCH, NULL));
            CHECK_NEAR(credit(r, "k39"), 2, 0);
            CHECK_NEAR(credit(r, "k02"), 1, 0);
            fnl_attribution_free(r);
            done = fa.fired == 0;
        } else {
            CHECK_INT(rc, FNL_ENOMEM);
            CHECK_INT(fnl_journeys_count(js), before);
            CHECK_INT(fnl_journeys_group_count(js), 3);
        }
        fnl_journeys_free(js);
        CHECK_INT(fa.outstanding, 0);
    }
    CHECK(done);
}


/* Re-seal a saved partial after an edit: the body length at offset 16 and
 * the CRC-32C of everything before the last 4 bytes (docs/attribution.md,
 * "Saving partials"). */
static void reseal(unsigned char *buf, size_t n)
{
    uint64_t body = n - 24 - 4;
    uint32_t crc;
    int k;
    for (k = 0; k < 8; k++)
        buf[16 + k] = (unsigned char)(body >> (8 * k));
    crc = fnli_crc32c(0, buf, n - 4);
    for (k = 0; k < 4; k++)
        buf[n - 4 + k] = (unsigned char)(crc >> (8 * k));
}

/* A partial of every default model over a few order-2 journeys. */
static fnl_attribution_partial *sample_partial(void)
{
    fnl_attribution_options o = FNL_ATTRIBUTION_OPTIONS_INIT;
    fnl_attribution_partial *p;
    fnl_journeys *js;
    const char *g1[3] = {"email", "search", "direct"};
    const char *g2[2] = {"search", "email"};
    const char *g3[1] = {"social"};
    int64_t t1[3] = {0, 1000, 2000}, t2[2] = {0, 5000}, t3[1] = {7};
    o.markov_order = 2;
    if (fnl_journeys_new(&js, 0, NULL) != FNL_OK)
        return NULL;
    add1(js, g1, 3, 2, t1);
    add1(js, g2, 2, 1, t2);
    add1(js, g3, 1, 0, t3);
    {
        fnl_journey j = FNL_JOURNEY_INIT;
        j.groups = g3;
        j.touch_count = 1;
        j.nulls = 3;
        j.times = t3;
        fnl_journeys_add(js, &j);
    }
    if (fnl_attribution_partial_new(&p, &o) != FNL_OK ||
        fnl_attribution_partial_add(p, js, 0, 4) != FNL_OK)
        p = NULL;
    fnl_journeys_free(js);
    return p;
}

TEST(resealed_damage_is_refused_by_the_parser_or_loads_sanely)
{
    /* test_attribution_io flips bytes and the checksum catches them; here
     * every damaged copy is re-sealed, so the parser itself must refuse it
     * (FNL_ECORRUPT) or load a partial that finishes and frees cleanly.
     * Nothing may crash or leak (the sanitizer build checks). */
    fnl_attribution_partial *p = sample_partial(), *q;
    unsigned char *buf, *copy;
    size_t n, i, refused = 0;
    static const uint32_t models[] = {FNL_ATTR_LINEAR, FNL_ATTR_MARKOV,
                                      FNL_ATTR_SHAPLEY,
                                      FNL_ATTR_SHAPLEY_ORDERED};
    CHECK(p != NULL);
    n = fnl_attribution_partial_save_bound(p);
    buf = malloc(n);
    copy = malloc(n + 8);
    CHECK(buf != NULL && copy != NULL);
    CHECK_OK(fnl_attribution_partial_save(p, buf, n, &n));
    for (i = 24; i < n - 4; i++) {
        int flip;
        for (flip = 0; flip < 2; flip++) {
            int rc;
            memcpy(copy, buf, n);
            copy[i] ^= flip ? 0x80 : 0x01;
            reseal(copy, n);
            q = NULL;
            rc = fnl_attribution_partial_load(&q, copy, n, NULL);
            if (rc == FNL_OK) {
                size_t k;
                for (k = 0; k < 4; k++) {
                    fnl_attribution *r = NULL;
                    int frc = fnl_attribution_partial_finish(q, models[k],
                                                             &r);
                    CHECK(frc == FNL_OK || frc == FNL_ERANGE ||
                          frc == FNL_EINVAL);
                    fnl_attribution_free(r);
                }
                fnl_attribution_partial_free(q);
            } else {
                if (rc != FNL_ECORRUPT && rc != FNL_EINVAL)
                    fprintf(stderr, "byte %zu: %d\n", i, rc);
                CHECK(rc == FNL_ECORRUPT || rc == FNL_EINVAL);
                CHECK(q == NULL);
                refused++;
            }
        }
    }
    /* both outcomes occur: counts and credits may take any value, the
     * structure may not */
    CHECK(refused > 0 && refused < 2 * (n - 28));
    /* trailing bytes after a valid body: refused */
    memcpy(copy, buf, n - 4);
    memset(copy + n - 4, 0, 4);
    reseal(copy, n + 4);
    CHECK_INT(fnl_attribution_partial_load(&q, copy, n + 4, NULL),
              FNL_ECORRUPT);
    /* a nonzero reserved word */
    memcpy(copy, buf, n);
    copy[12] = 1;
    reseal(copy, n);
    CHECK_INT(fnl_attribution_partial_load(&q, copy, n, NULL), FNL_ECORRUPT);
    /* save's argument checks and a short buffer */
    {
        size_t w;
        CHECK_INT(fnl_attribution_partial_save(NULL, buf, n, &w), FNL_EINVAL);
        CHECK_INT(fnl_attribution_partial_save(p, buf, n, NULL), FNL_EINVAL);
        CHECK_INT(fnl_attribution_partial_save(p, NULL, 5, &w), FNL_EINVAL);
        CHECK_INT(fnl_attribution_partial_save_bound(NULL), 0);
        CHECK_INT(fnl_attribution_partial_load(&q, NULL, 5, NULL),
                  FNL_EINVAL);
    }
    free(buf);
    free(copy);
    fnl_attribution_partial_free(p);
}

TEST(markov_spills_past_the_dense_matrix_with_the_same_result)
{
    /* 200 one-touch journeys c000..c199, one conversion each.  Removing
     * channel i loses exactly its own journey: every removal effect is
     * 1/200, so each channel is credited 200 * (1/200) / (200 * 1/200) =
     * 1.  The partial grows the order-1 matrix from 32 to 64 states, then
     * past 128 it moves to the hash table: the credits must not change. */
    fnl_journeys *js;
    fnl_attribution_partial *p;
    fnl_attribution *r, *r2;
    fnl_attribution_options o = FNL_ATTRIBUTION_OPTIONS_INIT;
    char names[200][8];
    size_t i;
    CHECK_OK(fnl_journeys_new(&js, 0, NULL));
    for (i = 0; i < 200; i++) {
        const char *g[1];
        snprintf(names[i], sizeof(names[i]), "c%03zu", i);
        g[0] = names[i];
        CHECK_OK(add1(js, g, 1, 1, NULL));
    }
    o.models = FNL_ATTR_BIT(FNL_ATTR_MARKOV);
    CHECK_OK(fnl_attribution_partial_new(&p, &o));
    CHECK_OK(fnl_attribution_partial_add(p, js, 0, 10));
    CHECK_OK(fnl_attribution_partial_add(p, js, 10, 40));
    CHECK_OK(fnl_attribution_partial_add(p, js, 50, 150));
    CHECK_OK(fnl_attribution_partial_finish(p, FNL_ATTR_MARKOV, &r));
    CHECK_INT(fnl_attribution_row_count(r), 200);
    for (i = 0; i < 200; i += 37)
        CHECK_NEAR(credit(r, names[i]), 1, 1e-9);
    CHECK_NEAR(credit(r, names[199]), 1, 1e-9);
    /* one pass over all 200 gives the same credits */
    CHECK_OK(fnl_attribution_run(&r2, js, FNL_ATTR_MARKOV, NULL));
    for (i = 0; i < 200; i++)
        CHECK_NEAR(credit(r2, names[i]), credit(r, names[i]), 1e-12);
    fnl_attribution_free(r);
    fnl_attribution_free(r2);
    fnl_attribution_partial_free(p);
    fnl_journeys_free(js);
}

int main(void)
{
    RUN(journey_checks_refuse_and_add_nothing);
    RUN(group_keys_follow_the_utf8_rules);
    RUN(custom_weights_without_first_and_last);
    RUN(bad_options_are_refused);
    RUN(partials_check_ranges_decimals_and_models);
    RUN(result_readers_check_their_arguments);
    RUN(journeys_survive_allocation_failure_on_add);
    RUN(resealed_damage_is_refused_by_the_parser_or_loads_sanely);
    RUN(markov_spills_past_the_dense_matrix_with_the_same_result);
    TEST_MAIN_END();
}
