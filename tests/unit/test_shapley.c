/* test_shapley.c -- Shapley attribution: a hand-computed case, the classic
 * Shapley value by enumerating every permutation of the players (naive,
 * small n) for both coalition worths, and the ordered variant. */
#include "test.h"
#include "attribution.h"

static int add_set(fnl_journeys *js, const char *path, uint64_t conv,
                   uint64_t nulls, int64_t value)
{
    char buf[256];
    const char *v[32];
    fnl_journey j = FNL_JOURNEY_INIT;
    size_t n = 0;
    char *s;
    strcpy(buf, path);
    for (s = strtok(buf, " "); s; s = strtok(NULL, " "))
        v[n++] = s;
    j.groups = v;
    j.touch_count = n;
    j.conversions = conv;
    j.nulls = nulls;
    j.value = value;
    return fnl_journeys_add(js, &j);
}

static int row(const fnl_attribution *r, const char *key,
               fnl_attribution_row *out)
{
    size_t i;
    for (i = 0; i < fnl_attribution_row_count(r); i++) {
        out->size = sizeof(*out);
        fnl_attribution_row_get(r, i, out);
        if (strcmp(out->key, key) == 0)
            return (int)i + 1;
    }
    return 0;
}

static int run(fnl_journeys *js, uint32_t model, uint32_t worth,
               fnl_attribution **r)
{
    fnl_attribution_options o = FNL_ATTRIBUTION_OPTIONS_INIT;
    o.shapley_value = worth;
    return fnl_attribution_run(r, js, model, &o);
}

TEST(hand_computed_coalitions)
{
    /* {a}: 1 conversion of 2 paths (rate 1/2); {a,b} (touched as
     * "b a b"): 3 of 4 (3/4); {b}: 0 of 2.
     * Rate worth: phi_a = 1/2 + 3/8 = 7/8, phi_b = 3/8; scaled to the 4
     * conversions: a 2.8, b 1.2.  Conversions worth: a 1 + 3/2 = 2.5,
     * b 1.5.  Value (a: 100, ab: 300): rate worth a 50 + 37.5, b 37.5 ->
     * scaled to 400: a 280, b 120. */
    fnl_journeys *js;
    fnl_attribution *r;
    fnl_attribution_row x;
    CHECK_OK(fnl_journeys_new(&js, 0, NULL));
    CHECK_OK(add_set(js, "a", 1, 1, 100));
    CHECK_OK(add_set(js, "b a b", 3, 1, 300));
    CHECK_OK(add_set(js, "b", 0, 2, 0));
    CHECK_OK(run(js, FNL_ATTR_SHAPLEY, FNL_SHAPLEY_RATE, &r));
    CHECK(row(r, "a", &x));
    CHECK_NEAR(x.conversions, 2.8, 1e-12);
    CHECK_NEAR(x.value, 280, 1e-10);
    CHECK(row(r, "b", &x));
    CHECK_NEAR(x.conversions, 1.2, 1e-12);
    fnl_attribution_free(r);
    CHECK_OK(run(js, FNL_ATTR_SHAPLEY, FNL_SHAPLEY_CONVERSIONS, &r));
    CHECK(row(r, "a", &x));
    CHECK_NEAR(x.conversions, 2.5, 1e-12);
    CHECK(row(r, "b", &x));
    CHECK_NEAR(x.conversions, 1.5, 1e-12);
    fnl_attribution_free(r);
    fnl_journeys_free(js);
}

TEST(ordered_variant_credits_positions)
{
    /* (a,b): 1 of 1 (rate 1); (b,a) touched as "b b a": 1 of 2 (1/2).
     * a: position 0 gets 1/2 (from ab), position 1 gets 1/4 (from ba);
     * b: position 1 1/2, position 0 1/4.  Sum 3/2 scaled to 2
     * conversions (x 4/3): a = b = 1; a's positions 2/3 and 1/3. */
    fnl_journeys *js;
    fnl_attribution *r;
    fnl_attribution_row x;
    fnl_attribution_info info = FNL_ATTRIBUTION_INFO_INIT;
    double pos[4];
    size_t n;
    int i;
    CHECK_OK(fnl_journeys_new(&js, 0, NULL));
    CHECK_OK(add_set(js, "a b", 1, 0, 0));
    CHECK_OK(add_set(js, "b b a", 1, 1, 0));
    CHECK_OK(run(js, FNL_ATTR_SHAPLEY_ORDERED, FNL_SHAPLEY_RATE, &r));
    CHECK_OK(fnl_attribution_get_info(r, &info));
    CHECK_INT(info.positions, 2);
    i = row(r, "a", &x);
    CHECK(i);
    CHECK_NEAR(x.conversions, 1, 1e-12);
    CHECK_INT(fnl_attribution_positions(r, (size_t)i - 1, pos, 1, &n),
              FNL_ERANGE);
    CHECK_INT(n, 2);
    CHECK_OK(fnl_attribution_positions(r, (size_t)i - 1, pos, 4, &n));
    CHECK_NEAR(pos[0], 2.0 / 3, 1e-12);
    CHECK_NEAR(pos[1], 1.0 / 3, 1e-12);
    fnl_attribution_free(r);
    /* the unordered model sees one set {a,b}: 2 of 3, split evenly */
    CHECK_OK(run(js, FNL_ATTR_SHAPLEY, FNL_SHAPLEY_RATE, &r));
    CHECK(row(r, "b", &x));
    CHECK_NEAR(x.conversions, 1, 1e-12);
    CHECK_OK(fnl_attribution_get_info(r, &info));
    CHECK_INT(info.positions, 0);
    fnl_attribution_free(r);
    fnl_journeys_free(js);
}

/* ---- naive: the Shapley value by permutations -------------------------- */

#define NP 6
#define NCOAL 64

typedef struct game {
    int n;
    double r[NCOAL]; /* worth of the exact channel set (bit mask) */
    double rv[NCOAL];
} game;

/* v(S) = sum of r(T) for observed T contained in S */
static double worth(const game *G, const double *r, unsigned s)
{
    unsigned t;
    double v = 0;
    for (t = 1; t < (1u << G->n); t++) {
        if ((t & s) == t)
            v += r[t];
    }
    return v;
}

/* Average the marginal contribution over all n! orders (Heap's
 * algorithm). */
static void shapley_by_permutations(const game *G, const double *r,
                                    double *phi)
{
    int perm[NP], c[NP], i, k, n = G->n;
    long count = 0;
    for (i = 0; i < n; i++) {
        perm[i] = i;
        c[i] = 0;
        phi[i] = 0;
    }
    for (;;) {
        unsigned s = 0;
        for (k = 0; k < n; k++) {
            double before = worth(G, r, s);
            s |= 1u << perm[k];
            phi[perm[k]] += worth(G, r, s) - before;
        }
        count++;
        i = 0;
        while (i < n && c[i] >= i) {
            c[i] = 0;
            i++;
        }
        if (i == n)
            break;
        {
            int a = (i % 2 == 0) ? 0 : c[i], t = perm[a];
            perm[a] = perm[i];
            perm[i] = t;
        }
        c[i]++;
    }
    for (i = 0; i < n; i++)
        phi[i] /= (double)count;
}

static uint64_t rng(uint64_t *s)
{
    *s = *s * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
    return *s >> 33;
}

static const char *const P[NP] = { "p0", "p1", "p2", "p3", "p4", "p5" };

TEST(closed_form_equals_the_permutation_shapley_value)
{
    uint64_t seed = 99;
    int trial;
    for (trial = 0; trial < 6; trial++) {
        static game G;
        double conv[NCOAL] = { 0 }, paths[NCOAL] = { 0 }, val[NCOAL] = { 0 };
        double tc = 0, tv = 0;
        fnl_journeys *js;
        uint32_t worth_kind;
        int j, i, n = 2 + trial % 5;
        memset(&G, 0, sizeof(G));
        G.n = n;
        CHECK_OK(fnl_journeys_new(&js, 0, NULL));
        for (j = 0; j < 120; j++) {
            const char *g[10];
            fnl_journey jr = FNL_JOURNEY_INIT;
            int len = 1 + (int)(rng(&seed) % 6);
            unsigned mask = 0;
            for (i = 0; i < len; i++) {
                int ch = (int)(rng(&seed) % (uint64_t)n);
                g[i] = P[ch];
                mask |= 1u << ch;
            }
            jr.groups = g;
            jr.touch_count = (size_t)len;
            jr.conversions = rng(&seed) % 3;
            jr.nulls = 1 + rng(&seed) % 3;
            jr.value = jr.conversions ? (int64_t)(rng(&seed) % 500) : 0;
            CHECK_OK(fnl_journeys_add(js, &jr));
            conv[mask] += (double)jr.conversions;
            paths[mask] += (double)(jr.conversions + jr.nulls);
            val[mask] += (double)jr.value;
            tc += (double)jr.conversions;
            tv += (double)jr.value;
        }
        for (worth_kind = 0; worth_kind <= 1; worth_kind++) {
            double phi[NP], phv[NP], s = 0, sv = 0;
            fnl_attribution *r;
            unsigned t;
            for (t = 1; t < (1u << n); t++) {
                G.r[t] = paths[t] == 0 ? 0
                         : worth_kind == FNL_SHAPLEY_RATE ? conv[t] / paths[t]
                                                          : conv[t];
                G.rv[t] = paths[t] == 0 ? 0
                          : worth_kind == FNL_SHAPLEY_RATE ? val[t] / paths[t]
                                                           : val[t];
            }
            shapley_by_permutations(&G, G.r, phi);
            shapley_by_permutations(&G, G.rv, phv);
            for (i = 0; i < n; i++) {
                s += phi[i];
                sv += phv[i];
            }
            CHECK_OK(run(js, FNL_ATTR_SHAPLEY, worth_kind, &r));
            for (i = 0; i < n; i++) {
                fnl_attribution_row x;
                if (!row(r, P[i], &x)) {
                    CHECK(phi[i] == 0);
                    continue;
                }
                if (fabs(x.conversions - phi[i] / s * tc) > 1e-9 * tc ||
                    fabs(x.value - phv[i] / sv * tv) > 1e-9 * tv) {
                    fprintf(stderr, "n=%d worth %u %s: %.17g vs %.17g\n", n,
                            worth_kind, P[i], x.conversions, phi[i] / s * tc);
                    fnl_attribution_free(r);
                    CHECK(0);
                }
            }
            fnl_attribution_free(r);
        }
        fnl_journeys_free(js);
    }
}

TEST(ordered_totals_equal_unordered_ones_under_the_conversions_worth)
{
    /* With r(T) = conversions the ordering only moves credit between
     * positions: per-channel totals equal the set model's. */
    fnl_journeys *js;
    fnl_attribution *a, *b;
    uint64_t seed = 5;
    size_t i;
    int j;
    CHECK_OK(fnl_journeys_new(&js, 0, NULL));
    for (j = 0; j < 200; j++) {
        const char *g[8];
        fnl_journey jr = FNL_JOURNEY_INIT;
        int len = 1 + (int)(rng(&seed) % 8), t;
        for (t = 0; t < len; t++)
            g[t] = P[rng(&seed) % NP];
        jr.groups = g;
        jr.touch_count = (size_t)len;
        jr.conversions = rng(&seed) % 2;
        jr.nulls = 1;
        CHECK_OK(fnl_journeys_add(js, &jr));
    }
    CHECK_OK(run(js, FNL_ATTR_SHAPLEY, FNL_SHAPLEY_CONVERSIONS, &a));
    CHECK_OK(run(js, FNL_ATTR_SHAPLEY_ORDERED, FNL_SHAPLEY_CONVERSIONS, &b));
    CHECK_INT(fnl_attribution_row_count(a), fnl_attribution_row_count(b));
    for (i = 0; i < fnl_attribution_row_count(a); i++) {
        fnl_attribution_row x = FNL_ATTRIBUTION_ROW_INIT;
        fnl_attribution_row y = FNL_ATTRIBUTION_ROW_INIT;
        double pos[FNLI_MAX_POSITIONS], sum = 0;
        size_t n, k;
        CHECK_OK(fnl_attribution_row_get(a, i, &x));
        CHECK_OK(fnl_attribution_row_get(b, i, &y));
        CHECK_NEAR(x.conversions, y.conversions, 1e-9);
        CHECK_OK(fnl_attribution_positions(b, i, pos, FNLI_MAX_POSITIONS, &n));
        for (k = 0; k < n; k++)
            sum += pos[k];
        CHECK_NEAR(sum, y.conversions, 1e-9);
    }
    fnl_attribution_free(a);
    fnl_attribution_free(b);
    fnl_journeys_free(js);
}

TEST(twenty_channels_and_more_need_no_enumeration)
{
    /* 40 channels: 2^40 coalitions would be out of reach, the closed form
     * is not.  One journey per channel pair (i, i+1): each pair's single
     * conversion is split in halves. */
    fnl_journeys *js;
    fnl_attribution *r;
    char names[40][8];
    int i;
    CHECK_OK(fnl_journeys_new(&js, 0, NULL));
    for (i = 0; i < 40; i++)
        snprintf(names[i], sizeof(names[i]), "c%02d", i);
    for (i = 0; i < 39; i++) {
        const char *g[2] = { names[i], names[i + 1] };
        fnl_journey jr = FNL_JOURNEY_INIT;
        jr.groups = g;
        jr.touch_count = 2;
        jr.conversions = 1;
        CHECK_OK(fnl_journeys_add(js, &jr));
    }
    CHECK_OK(run(js, FNL_ATTR_SHAPLEY, FNL_SHAPLEY_CONVERSIONS, &r));
    CHECK_INT(fnl_attribution_row_count(r), 40);
    {
        fnl_attribution_row x;
        CHECK(row(r, "c00", &x));
        CHECK_NEAR(x.conversions, 0.5, 1e-12);
        CHECK(row(r, "c17", &x));
        CHECK_NEAR(x.conversions, 1, 1e-12);
    }
    fnl_attribution_free(r);
    fnl_journeys_free(js);
}

int main(void)
{
    RUN(hand_computed_coalitions);
    RUN(ordered_variant_credits_positions);
    RUN(closed_form_equals_the_permutation_shapley_value);
    RUN(ordered_totals_equal_unordered_ones_under_the_conversions_worth);
    RUN(twenty_channels_and_more_need_no_enumeration);
    TEST_MAIN_END();
}
