/* test_attribution.c -- heuristic models on hand-computed journeys, the
 * totals invariant for every model, bit-identical merges of partitions,
 * all-or-nothing batches and allocation failures. */
#include "test.h"
#include "failalloc.h"
#include "attribution.h"

#define DAY INT64_C(86400000)

/* ---- helpers ------------------------------------------------------------ */

/* Split "a b c" into static pointers (at most 32 touches). */
typedef struct names {
    char buf[512];
    const char *v[32];
    size_t n;
} names;

static void split(names *nm, const char *path)
{
    char *s;
    size_t len = strlen(path);
    memcpy(nm->buf, path, len + 1);
    nm->n = 0;
    for (s = strtok(nm->buf, " "); s; s = strtok(NULL, " "))
        nm->v[nm->n++] = s;
}

static int add(fnl_journeys *js, const char *path, uint64_t conv,
               uint64_t nulls, int64_t value, const int64_t *times,
               int lead, int opp, int close)
{
    names nm;
    fnl_journey j = FNL_JOURNEY_INIT;
    split(&nm, path);
    j.groups = nm.v;
    j.touch_count = nm.n;
    j.conversions = conv;
    j.nulls = nulls;
    j.value = value;
    j.times = times;
    j.lead_index = lead;
    j.opportunity_index = opp;
    j.close_index = close;
    return fnl_journeys_add(js, &j);
}

static int row_of(const fnl_attribution *r, const char *key,
                  fnl_attribution_row *row)
{
    size_t i, n = fnl_attribution_row_count(r);
    for (i = 0; i < n; i++) {
        row->size = sizeof(*row);
        if (fnl_attribution_row_get(r, i, row) == FNL_OK &&
            strcmp(row->key, key) == 0)
            return 1;
    }
    return 0;
}

static double conv_of(const fnl_attribution *r, const char *key)
{
    fnl_attribution_row row;
    return row_of(r, key, &row) ? row.conversions : -1;
}

static double value_of(const fnl_attribution *r, const char *key)
{
    fnl_attribution_row row;
    return row_of(r, key, &row) ? row.value : -1;
}

/* One journey, one model: the conversions credited to `key`. */
static double one(const char *path, uint32_t model, const char *key,
                  int lead, int opp, int close)
{
    fnl_journeys *js;
    fnl_attribution *r;
    double c;
    if (fnl_journeys_new(&js, 0, NULL))
        return -2;
    if (add(js, path, 1, 0, 0, NULL, lead, opp, close) ||
        fnl_attribution_run(&r, js, model, NULL)) {
        fnl_journeys_free(js);
        return -3;
    }
    c = conv_of(r, key);
    fnl_attribution_free(r);
    fnl_journeys_free(js);
    return c;
}

#define EPS 1e-9

/* ---- models, by hand ---------------------------------------------------- */

TEST(first_last_linear_split_a_four_touch_journey)
{
    /* a b c d, one conversion: first a=1, last d=1, linear 1/4 each */
    CHECK_NEAR(one("a b c d", FNL_ATTR_FIRST_TOUCH, "a", -1, -1, -1), 1, EPS);
    CHECK_NEAR(one("a b c d", FNL_ATTR_FIRST_TOUCH, "d", -1, -1, -1), 0, EPS);
    CHECK_NEAR(one("a b c d", FNL_ATTR_LAST_TOUCH, "d", -1, -1, -1), 1, EPS);
    CHECK_NEAR(one("a b c d", FNL_ATTR_LINEAR, "b", -1, -1, -1), 0.25, EPS);
    /* a repeated channel collects one share per touch: a b a -> 2/3 */
    CHECK_NEAR(one("a b a", FNL_ATTR_LINEAR, "a", -1, -1, -1), 2.0 / 3, EPS);
    CHECK_NEAR(one("a b a", FNL_ATTR_LINEAR, "b", -1, -1, -1), 1.0 / 3, EPS);
}

TEST(position_models_follow_their_percentages)
{
    /* U 40/20/40 over 4 touches: a .4, b .1, c .1, d .4 */
    CHECK_NEAR(one("a b c d", FNL_ATTR_U_SHAPED, "a", -1, -1, -1), 0.4, EPS);
    CHECK_NEAR(one("a b c d", FNL_ATTR_U_SHAPED, "b", -1, -1, -1), 0.1, EPS);
    CHECK_NEAR(one("a b c d", FNL_ATTR_U_SHAPED, "d", -1, -1, -1), 0.4, EPS);
    /* J 20/20/60 and inverse J 60/20/20 */
    CHECK_NEAR(one("a b c d", FNL_ATTR_J_SHAPED, "a", -1, -1, -1), 0.2, EPS);
    CHECK_NEAR(one("a b c d", FNL_ATTR_J_SHAPED, "c", -1, -1, -1), 0.1, EPS);
    CHECK_NEAR(one("a b c d", FNL_ATTR_J_SHAPED, "d", -1, -1, -1), 0.6, EPS);
    CHECK_NEAR(one("a b c d", FNL_ATTR_INVERSE_J, "a", -1, -1, -1), 0.6, EPS);
    CHECK_NEAR(one("a b c d", FNL_ATTR_INVERSE_J, "d", -1, -1, -1), 0.2, EPS);
    /* 3 touches: the middle gets the whole middle share */
    CHECK_NEAR(one("a b c", FNL_ATTR_U_SHAPED, "b", -1, -1, -1), 0.2, EPS);
}

TEST(short_journeys_use_the_documented_fallbacks)
{
    /* one touch: everything; two touches: the middle share is spread in
     * proportion to first/last: U 50/50, J 25/75, inverse J 75/25 */
    CHECK_NEAR(one("a", FNL_ATTR_U_SHAPED, "a", -1, -1, -1), 1, EPS);
    CHECK_NEAR(one("a", FNL_ATTR_W_SHAPED, "a", -1, -1, -1), 1, EPS);
    CHECK_NEAR(one("a", FNL_ATTR_Z_SHAPED, "a", -1, -1, -1), 1, EPS);
    CHECK_NEAR(one("a b", FNL_ATTR_U_SHAPED, "a", -1, -1, -1), 0.5, EPS);
    CHECK_NEAR(one("a b", FNL_ATTR_J_SHAPED, "a", -1, -1, -1), 0.25, EPS);
    CHECK_NEAR(one("a b", FNL_ATTR_J_SHAPED, "b", -1, -1, -1), 0.75, EPS);
    CHECK_NEAR(one("a b", FNL_ATTR_INVERSE_J, "a", -1, -1, -1), 0.75, EPS);
}

TEST(custom_weights_are_normalised)
{
    fnl_journeys *js;
    fnl_attribution *r;
    fnl_attribution_options o = FNL_ATTRIBUTION_OPTIONS_INIT;
    CHECK_OK(fnl_journeys_new(&js, 0, NULL));
    CHECK_OK(add(js, "a b c d", 1, 0, 0, NULL, -1, -1, -1));
    /* 3 / 1 / 6 of 10: a .3, b .05, c .05, d .6 */
    o.custom_first = 3;
    o.custom_middle = 1;
    o.custom_last = 6;
    CHECK_OK(fnl_attribution_run(&r, js, FNL_ATTR_CUSTOM, &o));
    CHECK_NEAR(conv_of(r, "a"), 0.3, EPS);
    CHECK_NEAR(conv_of(r, "b"), 0.05, EPS);
    CHECK_NEAR(conv_of(r, "d"), 0.6, EPS);
    fnl_attribution_free(r);
    o.custom_first = o.custom_middle = o.custom_last = 0;
    CHECK_INT(fnl_attribution_run(&r, js, FNL_ATTR_CUSTOM, &o), FNL_EINVAL);
    o.custom_first = -1;
    o.custom_last = 2;
    CHECK_INT(fnl_attribution_run(&r, js, FNL_ATTR_CUSTOM, &o), FNL_EINVAL);
    fnl_journeys_free(js);
}

TEST(w_shaped_gives_thirty_percent_to_each_key_touch)
{
    /* lead 1, opportunity 3: a b d 30 each, c the remaining 10 */
    CHECK_NEAR(one("a b c d", FNL_ATTR_W_SHAPED, "a", 1, 3, -1), 0.3, EPS);
    CHECK_NEAR(one("a b c d", FNL_ATTR_W_SHAPED, "b", 1, 3, -1), 0.3, EPS);
    CHECK_NEAR(one("a b c d", FNL_ATTR_W_SHAPED, "c", 1, 3, -1), 0.1, EPS);
    /* missing opportunity: raw 30 a, 30 c, 5 b, 5 d -> /70 */
    CHECK_NEAR(one("a b c d", FNL_ATTR_W_SHAPED, "a", 2, -1, -1), 3.0 / 7,
               EPS);
    CHECK_NEAR(one("a b c d", FNL_ATTR_W_SHAPED, "b", 2, -1, -1), 1.0 / 14,
               EPS);
    /* lead on the first touch: the two roles add up there, 60 + 30 + 5 + 5 */
    CHECK_NEAR(one("a b c d", FNL_ATTR_W_SHAPED, "a", 0, 2, -1), 0.6, EPS);
    CHECK_NEAR(one("a b c d", FNL_ATTR_W_SHAPED, "d", 0, 2, -1), 0.05, EPS);
    /* no markers at all: a 30, b c d share 10 (10/3 each): a = 30/40 */
    CHECK_NEAR(one("a b c d", FNL_ATTR_W_SHAPED, "a", -1, -1, -1), 0.75,
               EPS);
    /* three touches all key: the 10 has nobody to go to: 1/3 each */
    CHECK_NEAR(one("a b c", FNL_ATTR_W_SHAPED, "c", 1, 2, -1), 1.0 / 3, EPS);
}

TEST(z_shaped_gives_22_5_percent_to_each_key_touch)
{
    /* a b c d e; lead 1, opp 2, close 4: a b c e 22.5, d 10 */
    CHECK_NEAR(one("a b c d e", FNL_ATTR_Z_SHAPED, "a", 1, 2, 4), 0.225, EPS);
    CHECK_NEAR(one("a b c d e", FNL_ATTR_Z_SHAPED, "d", 1, 2, 4), 0.1, EPS);
    CHECK_NEAR(one("a b c d e", FNL_ATTR_Z_SHAPED, "e", 1, 2, 4), 0.225, EPS);
    /* four touches, all key: 25 % each */
    CHECK_NEAR(one("a b c d", FNL_ATTR_Z_SHAPED, "c", 1, 2, 3), 0.25, EPS);
}

TEST(last_non_direct_skips_direct_unless_all_direct)
{
    CHECK_NEAR(one("a direct direct", FNL_ATTR_LAST_NON_DIRECT, "a", -1, -1,
                   -1), 1, EPS);
    CHECK_NEAR(one("a b direct", FNL_ATTR_LAST_NON_DIRECT, "b", -1, -1, -1),
               1, EPS);
    CHECK_NEAR(one("direct direct", FNL_ATTR_LAST_NON_DIRECT, "direct", -1,
                   -1, -1), 1, EPS);
}

TEST(time_decay_halves_the_weight_every_half_life)
{
    fnl_journeys *js;
    fnl_attribution *r;
    fnl_attribution_options o = FNL_ATTRIBUTION_OPTIONS_INIT;
    int64_t t[3] = { 0, 7 * DAY, 14 * DAY };
    fnl_journey j = FNL_JOURNEY_INIT;
    const char *g[3] = { "a", "b", "c" };
    CHECK_OK(fnl_journeys_new(&js, 0, NULL));
    j.groups = g;
    j.times = t;
    j.touch_count = 3;
    j.conversions = 1;
    j.value = 700;
    j.conversion_time = 14 * DAY;
    CHECK_OK(fnl_journeys_add(js, &j));
    /* ages 14, 7, 0 days: weights 1/4, 1/2, 1 -> 1/7, 2/7, 4/7 */
    CHECK_OK(fnl_attribution_run(&r, js, FNL_ATTR_TIME_DECAY, NULL));
    CHECK_NEAR(conv_of(r, "a"), 1.0 / 7, EPS);
    CHECK_NEAR(conv_of(r, "b"), 2.0 / 7, EPS);
    CHECK_NEAR(conv_of(r, "c"), 4.0 / 7, EPS);
    CHECK_NEAR(value_of(r, "c"), 400, 1e-6);
    fnl_attribution_free(r);
    /* half-life 14 days: 2^-1, 2^-0.5, 1 */
    o.half_life_ms = 14 * DAY;
    CHECK_OK(fnl_attribution_run(&r, js, FNL_ATTR_TIME_DECAY, &o));
    {
        double s = 0.5 + sqrt(0.5) + 1;
        CHECK_NEAR(conv_of(r, "a"), 0.5 / s, EPS);
        CHECK_NEAR(conv_of(r, "b"), sqrt(0.5) / s, EPS);
    }
    fnl_attribution_free(r);
    /* a journey without times cannot be time-decayed */
    CHECK_OK(add(js, "a b", 1, 0, 0, NULL, -1, -1, -1));
    CHECK_INT(fnl_attribution_run(&r, js, FNL_ATTR_TIME_DECAY, NULL),
              FNL_EINVAL);
    fnl_journeys_free(js);
}

TEST(value_is_credited_like_conversions_with_decimals)
{
    fnl_journeys *js;
    fnl_attribution *r;
    fnl_attribution_info info = FNL_ATTRIBUTION_INFO_INIT;
    CHECK_OK(fnl_journeys_new(&js, 2, NULL));
    /* 1000 units at 2 decimals = 10.00 */
    CHECK_OK(add(js, "a b c d", 2, 3, 1000, NULL, -1, -1, -1));
    CHECK_OK(fnl_attribution_run(&r, js, FNL_ATTR_U_SHAPED, NULL));
    CHECK_NEAR(conv_of(r, "a"), 0.8, EPS);
    CHECK_NEAR(value_of(r, "a"), 4.0, 1e-9);
    CHECK_NEAR(value_of(r, "b"), 1.0, 1e-9);
    CHECK_OK(fnl_attribution_get_info(r, &info));
    CHECK_NEAR(info.total_conversions, 2, 0);
    CHECK_NEAR(info.total_value, 10, 1e-12);
    CHECK_NEAR(info.total_nulls, 3, 0);
    CHECK_INT(info.value_decimals, 2);
    CHECK_INT(info.model, FNL_ATTR_U_SHAPED);
    CHECK_INT(info.journeys, 1);
    CHECK_INT(info.touches, 20); /* 4 touches x (2 + 3) paths */
    {
        fnl_attribution_row row = FNL_ATTRIBUTION_ROW_INIT;
        CHECK(row_of(r, "c", &row));
        CHECK_INT(row.touches, 5);
    }
    fnl_attribution_free(r);
    fnl_journeys_free(js);
}

/* ---- invariants and merges ---------------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

#define NJ 400

typedef struct gen {
    const char *g[NJ][12];
    int64_t t[NJ][12];
    size_t n[NJ];
    uint64_t conv[NJ], nulls[NJ];
    int64_t value[NJ];
    int lead[NJ], opp[NJ], close[NJ];
} gen;

static const char *const chans[] = { "search", "email", "direct", "social",
                                     "webinar", "display", "events",
                                     "partner" };

static void generate(gen *G, uint64_t seed)
{
    size_t i, k;
    uint64_t s = seed;
    for (i = 0; i < NJ; i++) {
        size_t n = 1 + rng_next(&s) % 9;
        int64_t t = (int64_t)(rng_next(&s) % (100 * DAY));
        G->n[i] = n;
        for (k = 0; k < n; k++) {
            G->g[i][k] = chans[rng_next(&s) % 8];
            t += (int64_t)(rng_next(&s) % (5 * DAY));
            G->t[i][k] = t;
        }
        G->conv[i] = rng_next(&s) % 4 == 0 ? 1 + rng_next(&s) % 3 : 0;
        G->nulls[i] = G->conv[i] ? rng_next(&s) % 2 : 1 + rng_next(&s) % 5;
        G->value[i] = G->conv[i] ? (int64_t)(rng_next(&s) % 100000) : 0;
        G->lead[i] = rng_next(&s) % 3 ? (int)(rng_next(&s) % n) : -1;
        G->opp[i] = rng_next(&s) % 3 ? (int)(rng_next(&s) % n) : -1;
        G->close[i] = rng_next(&s) % 3 ? (int)(rng_next(&s) % n) : -1;
    }
}

static int add_gen(fnl_journeys *js, const gen *G, size_t i)
{
    fnl_journey j = FNL_JOURNEY_INIT;
    j.groups = G->g[i];
    j.times = G->t[i];
    j.touch_count = G->n[i];
    j.conversions = G->conv[i];
    j.nulls = G->nulls[i];
    j.value = G->value[i];
    j.lead_index = G->lead[i];
    j.opportunity_index = G->opp[i];
    j.close_index = G->close[i];
    return fnl_journeys_add(js, &j);
}

#define ALL_MODELS (FNL_ATTR_MODELS_DEFAULT | FNL_ATTR_BIT(FNL_ATTR_TIME_DECAY))

TEST(rows_sum_to_the_observed_totals_for_every_model)
{
    static gen G;
    fnl_journeys *js;
    fnl_attribution_partial *p;
    fnl_attribution_options o = FNL_ATTRIBUTION_OPTIONS_INIT;
    uint64_t conv = 0;
    int64_t value = 0;
    uint32_t m, order;
    size_t i;
    generate(&G, 42);
    CHECK_OK(fnl_journeys_new(&js, 0, NULL));
    for (i = 0; i < NJ; i++) {
        CHECK_OK(add_gen(js, &G, i));
        conv += G.conv[i];
        value += G.value[i];
    }
    o.models = ALL_MODELS;
    for (order = 1; order <= 4; order++) {
        o.markov_order = order;
        CHECK_OK(fnl_attribution_partial_new(&p, &o));
        CHECK_OK(fnl_attribution_partial_add(p, js, 0, NJ));
        for (m = 1; m <= FNL_ATTR_SHAPLEY_ORDERED; m++) {
            fnl_attribution *r;
            fnl_attribution_info info = FNL_ATTRIBUTION_INFO_INIT;
            double sc = 0, sv = 0;
            size_t k, n;
            if (order > 1 && m != FNL_ATTR_MARKOV)
                continue;
            CHECK_OK(fnl_attribution_partial_finish(p, m, &r));
            CHECK_OK(fnl_attribution_get_info(r, &info));
            CHECK_NEAR(info.total_conversions, (double)conv, 0);
            CHECK_NEAR(info.total_value, (double)value, 0);
            n = fnl_attribution_row_count(r);
            CHECK_INT(n, 8);
            for (k = 0; k < n; k++) {
                fnl_attribution_row row = FNL_ATTRIBUTION_ROW_INIT;
                CHECK_OK(fnl_attribution_row_get(r, k, &row));
                CHECK(row.conversions >= 0 && row.value >= 0);
                sc += row.conversions;
                sv += row.value;
            }
            if (fabs(sc - (double)conv) > 1e-9 * (double)conv ||
                fabs(sv - (double)value) > 1e-9 * (double)value) {
                fprintf(stderr, "model %s order %u: %.17g vs %llu\n",
                        fnl_attr_model_name(m), order, sc,
                        (unsigned long long)conv);
                fnl_attribution_free(r);
                CHECK(0);
            }
            fnl_attribution_free(r);
        }
        fnl_attribution_partial_free(p);
    }
    fnl_journeys_free(js);
}

/* Build partitions from separate journey sets whose name tables were
 * filled in different orders, merge, and compare every double bitwise. */
static int same_result(const fnl_attribution *a, const fnl_attribution *b)
{
    size_t i, n = fnl_attribution_row_count(a);
    fnl_attribution_info ia = FNL_ATTRIBUTION_INFO_INIT;
    fnl_attribution_info ib = FNL_ATTRIBUTION_INFO_INIT;
    if (n != fnl_attribution_row_count(b))
        return 0;
    fnl_attribution_get_info(a, &ia);
    fnl_attribution_get_info(b, &ib);
    if (memcmp(&ia.total_conversions, &ib.total_conversions, 8) ||
        memcmp(&ia.total_value, &ib.total_value, 8) ||
        memcmp(&ia.markov_conversion_probability,
               &ib.markov_conversion_probability, 8) ||
        ia.markov_states != ib.markov_states || ia.touches != ib.touches ||
        ia.journeys != ib.journeys || ia.positions != ib.positions)
        return 0;
    for (i = 0; i < n; i++) {
        fnl_attribution_row x = FNL_ATTRIBUTION_ROW_INIT;
        fnl_attribution_row y = FNL_ATTRIBUTION_ROW_INIT;
        double px[FNLI_MAX_POSITIONS], py[FNLI_MAX_POSITIONS];
        size_t cx, cy;
        fnl_attribution_row_get(a, i, &x);
        fnl_attribution_row_get(b, i, &y);
        if (strcmp(x.key, y.key) || memcmp(&x.conversions, &y.conversions, 8) ||
            memcmp(&x.value, &y.value, 8) || x.touches != y.touches ||
            memcmp(&x.removal_effect, &y.removal_effect, 8) ||
            memcmp(&x.value_removal_effect, &y.value_removal_effect, 8))
            return 0;
        if (fnl_attribution_positions(a, i, px, FNLI_MAX_POSITIONS, &cx) ||
            fnl_attribution_positions(b, i, py, FNLI_MAX_POSITIONS, &cy) ||
            cx != cy || (cx && memcmp(px, py, cx * sizeof(double))))
            return 0;
    }
    return 1;
}

static int partitioned(const gen *G, const fnl_attribution_options *o,
                       size_t parts, fnl_attribution_partial **out)
{
    fnl_attribution_partial *acc = NULL;
    size_t k;
    int rc = fnl_attribution_partial_new(&acc, o);
    if (rc)
        return rc;
    for (k = 0; k < parts && rc == FNL_OK; k++) {
        fnl_journeys *js;
        fnl_attribution_partial *p;
        size_t lo = NJ * k / parts, hi = NJ * (k + 1) / parts, i;
        rc = fnl_journeys_new(&js, 0, NULL);
        if (rc)
            break;
        /* a name table in another order: pre-intern names backwards */
        for (i = 8; i-- > 0 && rc == FNL_OK;) {
            fnl_journey j = FNL_JOURNEY_INIT;
            j.groups = &chans[(i + k) % 8];
            j.touch_count = 1;
            rc = fnl_journeys_add(js, &j); /* weighs nothing */
        }
        /* partitions are added in reverse order, journeys backwards */
        for (i = hi; i-- > lo && rc == FNL_OK;)
            rc = add_gen(js, G, i);
        if (rc == FNL_OK)
            rc = fnl_attribution_partial_new(&p, o);
        if (rc == FNL_OK) {
            rc = fnl_attribution_partial_add(p, js, 0, fnl_journeys_count(js));
            if (rc == FNL_OK)
                rc = fnl_attribution_partial_merge(acc, p);
            fnl_attribution_partial_free(p);
        }
        fnl_journeys_free(js);
    }
    if (rc) {
        fnl_attribution_partial_free(acc);
        return rc;
    }
    *out = acc;
    return FNL_OK;
}

TEST(merged_partitions_are_bit_identical_to_one_pass)
{
    static gen G;
    fnl_attribution_options o = FNL_ATTRIBUTION_OPTIONS_INIT;
    size_t parts[3] = { 1, 2, 7 };
    uint32_t order, m;
    size_t k;
    generate(&G, 7);
    o.models = ALL_MODELS;
    for (order = 1; order <= 4; order++) {
        fnl_attribution_partial *one_pass = NULL, *p = NULL;
        o.markov_order = order;
        /* one pass: a single journey set in forward order */
        {
            fnl_journeys *js;
            size_t i;
            CHECK_OK(fnl_journeys_new(&js, 0, NULL));
            for (i = 0; i < NJ; i++)
                CHECK_OK(add_gen(js, &G, i));
            CHECK_OK(fnl_attribution_partial_new(&one_pass, &o));
            CHECK_OK(fnl_attribution_partial_add(one_pass, js, 0, NJ));
            fnl_journeys_free(js);
        }
        for (k = 0; k < 3; k++) {
            CHECK_OK(partitioned(&G, &o, parts[k], &p));
            for (m = 1; m <= FNL_ATTR_SHAPLEY_ORDERED; m++) {
                fnl_attribution *ra, *rb;
                int same;
                if (order > 1 && m != FNL_ATTR_MARKOV)
                    continue;
                CHECK_OK(fnl_attribution_partial_finish(one_pass, m, &ra));
                CHECK_OK(fnl_attribution_partial_finish(p, m, &rb));
                same = same_result(ra, rb);
                if (!same)
                    fprintf(stderr, "model %s order %u parts %zu differ\n",
                            fnl_attr_model_name(m), order, parts[k]);
                fnl_attribution_free(ra);
                fnl_attribution_free(rb);
                CHECK(same);
            }
            fnl_attribution_partial_free(p);
        }
        fnl_attribution_partial_free(one_pass);
    }
}

TEST(merge_refuses_partials_with_other_options)
{
    fnl_attribution_partial *a, *b;
    fnl_attribution_options o = FNL_ATTRIBUTION_OPTIONS_INIT;
    CHECK_OK(fnl_attribution_partial_new(&a, &o));
    o.markov_order = 2;
    CHECK_OK(fnl_attribution_partial_new(&b, &o));
    CHECK_INT(fnl_attribution_partial_merge(a, b), FNL_EINVAL);
    CHECK_INT(fnl_attribution_partial_merge(a, a), FNL_EINVAL);
    fnl_attribution_partial_free(a);
    fnl_attribution_partial_free(b);
}

/* ---- failures ----------------------------------------------------------- */

TEST(bad_journeys_and_options_are_rejected)
{
    fnl_journeys *js;
    fnl_attribution *r;
    fnl_attribution_options o = FNL_ATTRIBUTION_OPTIONS_INIT;
    fnl_journey j = FNL_JOURNEY_INIT;
    const char *g[2] = { "a", "" };
    const char *bad_utf8[1] = { "\xc3\x28" };
    int64_t t[2] = { 10, 5 };
    uint32_t model;
    CHECK_OK(fnl_journeys_new(&js, 0, NULL));
    CHECK_INT(fnl_journeys_add(js, NULL), FNL_EINVAL);
    j.groups = g;
    j.touch_count = 0;
    CHECK_INT(fnl_journeys_add(js, &j), FNL_EINVAL);
    j.touch_count = 2; /* empty name */
    CHECK_INT(fnl_journeys_add(js, &j), FNL_EINVAL);
    j.groups = bad_utf8;
    j.touch_count = 1;
    CHECK_INT(fnl_journeys_add(js, &j), FNL_EINVAL);
    g[1] = "b";
    j.groups = g;
    j.touch_count = 2;
    j.times = t; /* decreasing */
    CHECK_INT(fnl_journeys_add(js, &j), FNL_EINVAL);
    j.times = NULL;
    j.value = 5; /* value without conversions */
    CHECK_INT(fnl_journeys_add(js, &j), FNL_EINVAL);
    j.value = 0;
    j.lead_index = 2;
    CHECK_INT(fnl_journeys_add(js, &j), FNL_EINVAL);
    j.lead_index = -1;
    j.conversions = (uint64_t)FNL_ATTR_MAX_CONVERSIONS + 1;
    CHECK_INT(fnl_journeys_add(js, &j), FNL_ELIMIT);
    j.conversions = 1;
    j.value = FNL_ATTR_MAX_VALUE + 1;
    CHECK_INT(fnl_journeys_add(js, &j), FNL_ELIMIT);
    CHECK_INT(fnl_journeys_count(js), 0);
    CHECK_INT(fnl_journeys_group_count(js), 0);
    j.value = 1;
    CHECK_OK(fnl_journeys_add(js, &j));
    CHECK_INT(fnl_attribution_run(&r, js, 0, NULL), FNL_EINVAL);
    CHECK_INT(fnl_attribution_run(&r, js, 99, NULL), FNL_EINVAL);
    o.markov_order = 5;
    CHECK_INT(fnl_attribution_run(&r, js, FNL_ATTR_MARKOV, &o), FNL_EINVAL);
    o.markov_order = 1;
    o.half_life_ms = 0;
    CHECK_INT(fnl_attribution_run(&r, js, FNL_ATTR_TIME_DECAY, &o),
              FNL_EINVAL);
    {
        fnl_attribution_partial *p;
        o.half_life_ms = DAY;
        o.models = FNL_ATTR_BIT(FNL_ATTR_LINEAR);
        CHECK_OK(fnl_attribution_partial_new(&p, &o));
        CHECK_INT(fnl_attribution_partial_finish(p, FNL_ATTR_FIRST_TOUCH, &r),
                  FNL_EINVAL);
        CHECK_INT(fnl_attribution_partial_add(p, js, 1, 1), FNL_EINVAL);
        fnl_attribution_partial_free(p);
    }
    CHECK_OK(fnl_attr_model_parse("u_shaped", &model));
    CHECK_INT(model, FNL_ATTR_U_SHAPED);
    CHECK_INT(fnl_attr_model_parse("nope", &model), FNL_EINVAL);
    CHECK_STR(fnl_attr_model_name(FNL_ATTR_MARKOV), "markov");
    CHECK(fnl_attr_model_name(0) == NULL);
    fnl_journeys_free(js);
}

TEST(allocation_failures_leave_nothing_behind)
{
    static gen G;
    failalloc fa = { -1, 0, 0, 0, 0 };
    fnl_allocator a = fa_table(&fa);
    fnl_attribution_options o = FNL_ATTRIBUTION_OPTIONS_INIT;
    long n;
    int done = 0;
    generate(&G, 3);
    o.models = ALL_MODELS;
    o.markov_order = 2;
    o.allocator = &a;
    for (n = 0; !done && n < 100000; n++) {
        fnl_journeys *js = NULL;
        fnl_attribution_partial *p = NULL, *q = NULL;
        fnl_attribution *r = NULL;
        size_t i;
        int rc;
        fa_arm(&fa, n, 0);
        rc = fnl_journeys_new(&js, 0, &a);
        for (i = 0; rc == FNL_OK && i < 40; i++)
            rc = add_gen(js, &G, i);
        if (rc == FNL_OK)
            rc = fnl_attribution_partial_new(&p, &o);
        if (rc == FNL_OK)
            rc = fnl_attribution_partial_add(p, js, 0, 20);
        if (rc == FNL_OK)
            rc = fnl_attribution_partial_new(&q, &o);
        if (rc == FNL_OK)
            rc = fnl_attribution_partial_add(q, js, 20, 20);
        if (rc == FNL_OK)
            rc = fnl_attribution_partial_merge(p, q);
        if (rc == FNL_OK)
            rc = fnl_attribution_partial_finish(p, FNL_ATTR_MARKOV, &r);
        if (rc == FNL_OK) {
            fnl_attribution_free(r);
            r = NULL;
            rc = fnl_attribution_partial_finish(p, FNL_ATTR_SHAPLEY_ORDERED,
                                                &r);
        }
        if (rc == FNL_OK) {
            fnl_attribution_free(r);
            rc = fnl_attribution_run(&r, js, FNL_ATTR_W_SHAPED, &o);
        }
        if (rc == FNL_OK) {
            CHECK_INT(fa.fired, 0);
            fnl_attribution_free(r);
            done = 1;
        } else {
            CHECK_INT(rc, FNL_ENOMEM);
            CHECK_INT(fa.fired, 1);
        }
        fnl_attribution_partial_free(q);
        fnl_attribution_partial_free(p);
        fnl_journeys_free(js);
        CHECK_INT(fa.outstanding, 0);
    }
    CHECK(done);
    CHECK(n > 20);
}

/* A failed batch add or merge changes no result. */
TEST(failed_adds_and_merges_change_no_result)
{
    static gen G;
    failalloc fa = { -1, 0, 0, 0, 0 };
    fnl_allocator a = fa_table(&fa);
    fnl_attribution_options o = FNL_ATTRIBUTION_OPTIONS_INIT;
    fnl_journeys *js;
    fnl_attribution_partial *p, *q;
    fnl_attribution *before[FNL_ATTR_SHAPLEY_ORDERED + 1];
    uint32_t m;
    long n;
    int done = 0;
    generate(&G, 11);
    o.models = ALL_MODELS;
    o.markov_order = 3;
    o.allocator = &a;
    CHECK_OK(fnl_journeys_new(&js, 0, &a));
    for (n = 0; n < NJ; n++)
        CHECK_OK(add_gen(js, &G, (size_t)n));
    CHECK_OK(fnl_attribution_partial_new(&p, &o));
    CHECK_OK(fnl_attribution_partial_add(p, js, 0, 10));
    CHECK_OK(fnl_attribution_partial_new(&q, &o));
    CHECK_OK(fnl_attribution_partial_add(q, js, 300, 100));
    for (m = 1; m <= FNL_ATTR_SHAPLEY_ORDERED; m++)
        CHECK_OK(fnl_attribution_partial_finish(p, m, &before[m]));
    for (n = 0; !done && n < 100000; n++) {
        int rc;
        fa_arm(&fa, n, 0);
        rc = fnl_attribution_partial_add(p, js, 10, 290);
        if (rc == FNL_OK)
            rc = fnl_attribution_partial_merge(p, q);
        fa_disarm(&fa);
        if (rc == FNL_OK) {
            done = 1;
            break;
        }
        CHECK_INT(rc, FNL_ENOMEM);
        for (m = 1; m <= FNL_ATTR_SHAPLEY_ORDERED; m++) {
            fnl_attribution *r;
            int same;
            CHECK_OK(fnl_attribution_partial_finish(p, m, &r));
            same = same_result(r, before[m]);
            fnl_attribution_free(r);
            if (!same) {
                /* the add may have succeeded and the merge failed */
                fnl_attribution_partial *t;
                fnl_attribution *r2;
                CHECK_OK(fnl_attribution_partial_new(&t, &o));
                CHECK_OK(fnl_attribution_partial_add(t, js, 0, 300));
                CHECK_OK(fnl_attribution_partial_finish(t, m, &r2));
                CHECK_OK(fnl_attribution_partial_finish(p, m, &r));
                same = same_result(r, r2);
                fnl_attribution_free(r);
                fnl_attribution_free(r2);
                fnl_attribution_partial_free(t);
                if (!same)
                    fprintf(stderr, "n=%ld model %u changed\n", n, m);
                CHECK(same);
                /* restart from a clean state for later n */
                fnl_attribution_partial_free(p);
                CHECK_OK(fnl_attribution_partial_new(&p, &o));
                CHECK_OK(fnl_attribution_partial_add(p, js, 0, 10));
                break;
            }
        }
    }
    CHECK(done);
    for (m = 1; m <= FNL_ATTR_SHAPLEY_ORDERED; m++)
        fnl_attribution_free(before[m]);
    fnl_attribution_partial_free(p);
    fnl_attribution_partial_free(q);
    fnl_journeys_free(js);
    CHECK_INT(fa.outstanding, 0);
}

TEST(model_names_parse_with_aliases)
{
    static const char *const cli[6] = { "first", "last", "linear",
                                        "u_shaped", "markov", "shapley" };
    static const uint32_t want[6] = { FNL_ATTR_FIRST_TOUCH,
                                      FNL_ATTR_LAST_TOUCH, FNL_ATTR_LINEAR,
                                      FNL_ATTR_U_SHAPED, FNL_ATTR_MARKOV,
                                      FNL_ATTR_SHAPLEY };
    uint32_t m;
    int i;
    for (i = 0; i < 6; i++) {
        CHECK_OK(fnl_attr_model_parse(cli[i], &m));
        CHECK_INT(m, want[i]);
        CHECK_STR(fnl_attr_model_name(m), cli[i]);
    }
    for (m = 1; m <= 14; m++) {
        uint32_t back = 0;
        CHECK_OK(fnl_attr_model_parse(fnl_attr_model_name(m), &back));
        CHECK_INT(back, m);
    }
    CHECK_OK(fnl_attr_model_parse("First_Touch", &m));
    CHECK_INT(m, FNL_ATTR_FIRST_TOUCH);
    CHECK_OK(fnl_attr_model_parse("position-based", &m));
    CHECK_INT(m, FNL_ATTR_U_SHAPED);
    CHECK_OK(fnl_attr_model_parse("full_path", &m));
    CHECK_INT(m, FNL_ATTR_Z_SHAPED);
    CHECK_OK(fnl_attr_model_parse("TIME-DECAY", &m));
    CHECK_INT(m, FNL_ATTR_TIME_DECAY);
    CHECK_INT(fnl_attr_model_parse("firs", &m), FNL_EINVAL);
    CHECK_INT(fnl_attr_model_parse("first ", &m), FNL_EINVAL);
    CHECK_INT(fnl_attr_model_parse("", &m), FNL_EINVAL);
    CHECK_INT(fnl_attr_model_parse(NULL, &m), FNL_EINVAL);
    CHECK(fnl_attr_model_name(0) == NULL);
    CHECK(fnl_attr_model_name(15) == NULL);
}

int main(void)
{
    RUN(model_names_parse_with_aliases);
    RUN(first_last_linear_split_a_four_touch_journey);
    RUN(position_models_follow_their_percentages);
    RUN(short_journeys_use_the_documented_fallbacks);
    RUN(custom_weights_are_normalised);
    RUN(w_shaped_gives_thirty_percent_to_each_key_touch);
    RUN(z_shaped_gives_22_5_percent_to_each_key_touch);
    RUN(last_non_direct_skips_direct_unless_all_direct);
    RUN(time_decay_halves_the_weight_every_half_life);
    RUN(value_is_credited_like_conversions_with_decimals);
    RUN(rows_sum_to_the_observed_totals_for_every_model);
    RUN(merged_partitions_are_bit_identical_to_one_pass);
    RUN(merge_refuses_partials_with_other_options);
    RUN(bad_journeys_and_options_are_rejected);
    RUN(allocation_failures_leave_nothing_behind);
    RUN(failed_adds_and_merges_change_no_result);
    TEST_MAIN_END();
}
