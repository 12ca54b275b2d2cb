/* test_markov.c -- Markov removal effects: hand-computed chains, the
 * ChannelAttribution state convention, and agreement with a naive
 * reference (its own state building, Jacobi value iteration on the full
 * chain with a channel removed) for orders 1 to 4, on the dense and on the
 * iterative solver. */
#include "test.h"
#include "failalloc.h"
#include "attribution.h"

/* ---- helpers ------------------------------------------------------------ */

static int add_path(fnl_journeys *js, const char *path, uint64_t conv,
                    uint64_t nulls, int64_t value)
{
    char buf[256];
    const char *v[32];
    fnl_journey j = FNL_JOURNEY_INIT;
    size_t n = 0;
    char *s;
    strcpy(buf, path);
    for (s = strtok(buf, " >"); s; s = strtok(NULL, " >"))
        v[n++] = s;
    j.groups = v;
    j.touch_count = n;
    j.conversions = conv;
    j.nulls = nulls;
    j.value = value;
    return fnl_journeys_add(js, &j);
}

static int find_row(const fnl_attribution *r, const char *key,
                    fnl_attribution_row *row)
{
    size_t i;
    for (i = 0; i < fnl_attribution_row_count(r); i++) {
        row->size = sizeof(*row);
        fnl_attribution_row_get(r, i, row);
        if (strcmp(row->key, key) == 0)
            return 1;
    }
    return 0;
}

static int run_markov(fnl_journeys *js, uint32_t order, fnl_attribution **r)
{
    fnl_attribution_options o = FNL_ATTRIBUTION_OPTIONS_INIT;
    o.markov_order = order;
    return fnl_attribution_run(r, js, FNL_ATTR_MARKOV, &o);
}

/* ---- by hand ------------------------------------------------------------ */

TEST(three_journey_example_matches_hand_computation)
{
    /* c1 > c2 > c3 converts; c1 and c2 > c3 do not.
     * start->c1 2, start->c2 1; c1->c2 1, c1->null 1; c2->c3 2;
     * c3->conv 1, c3->null 1.
     * P = 2/3*1/2*1/2 + 1/3*1/2 = 1/3.  Without c1: 1/6 -> RE 1/2;
     * without c2 or c3: 0 -> RE 1.  Shares 0.5 : 1 : 1 of 1 conversion:
     * c1 0.2, c2 0.4, c3 0.4.  Value 100 on the only converting path
     * splits the same way. */
    fnl_journeys *js;
    fnl_attribution *r;
    fnl_attribution_row row;
    fnl_attribution_info info = FNL_ATTRIBUTION_INFO_INIT;
    CHECK_OK(fnl_journeys_new(&js, 0, NULL));
    CHECK_OK(add_path(js, "c1 > c2 > c3", 1, 0, 100));
    CHECK_OK(add_path(js, "c1", 0, 1, 0));
    CHECK_OK(add_path(js, "c2 > c3", 0, 1, 0));
    CHECK_OK(run_markov(js, 1, &r));
    CHECK_OK(fnl_attribution_get_info(r, &info));
    CHECK_NEAR(info.markov_conversion_probability, 1.0 / 3, 1e-15);
    CHECK_INT(info.markov_states, 3);
    CHECK(find_row(r, "c1", &row));
    CHECK_NEAR(row.removal_effect, 0.5, 1e-15);
    CHECK_NEAR(row.conversions, 0.2, 1e-15);
    CHECK_NEAR(row.value, 20, 1e-12);
    CHECK(find_row(r, "c3", &row));
    CHECK_NEAR(row.removal_effect, 1, 1e-15);
    CHECK_NEAR(row.conversions, 0.4, 1e-15);
    fnl_attribution_free(r);
    fnl_journeys_free(js);
}

TEST(a_cycle_is_solved_exactly)
{
    /* a > b > a converts, b alone does not.  a: ->b 1, ->conv 1;
     * b: ->a 1, ->null 1.  p_a = 1/2 + p_b/2, p_b = p_a/2: p_a = 2/3,
     * p_b = 1/3, P = 1/2.  Without a: 0 (RE 1); without b: p_a = 1/2,
     * P = 1/4 (RE 1/2).  Credit a 2/3, b 1/3. */
    fnl_journeys *js;
    fnl_attribution *r;
    fnl_attribution_row row;
    CHECK_OK(fnl_journeys_new(&js, 0, NULL));
    CHECK_OK(add_path(js, "a > b > a", 1, 0, 0));
    CHECK_OK(add_path(js, "b", 0, 1, 0));
    CHECK_OK(run_markov(js, 1, &r));
    CHECK(find_row(r, "a", &row));
    CHECK_NEAR(row.removal_effect, 1, 1e-15);
    CHECK_NEAR(row.conversions, 2.0 / 3, 1e-15);
    CHECK(find_row(r, "b", &row));
    CHECK_NEAR(row.removal_effect, 0.5, 1e-15);
    fnl_attribution_free(r);
    fnl_journeys_free(js);
}

TEST(value_follows_the_expected_absorbed_value)
{
    /* a: 1 conv (value 100) + 1 null; b: 1 conv (value 300) + 1 null.
     * Conversions: RE a = RE b = 1/2 -> 1 each.  Expected value from
     * start: (50 + 150) / 2 = 100; without a 75 (VRE 1/4), without b 25
     * (VRE 3/4): value credit a 100, b 300. */
    fnl_journeys *js;
    fnl_attribution *r;
    fnl_attribution_row row;
    CHECK_OK(fnl_journeys_new(&js, 0, NULL));
    CHECK_OK(add_path(js, "a", 1, 1, 100));
    CHECK_OK(add_path(js, "b", 1, 1, 300));
    CHECK_OK(run_markov(js, 1, &r));
    CHECK(find_row(r, "a", &row));
    CHECK_NEAR(row.conversions, 1, 1e-15);
    CHECK_NEAR(row.value_removal_effect, 0.25, 1e-15);
    CHECK_NEAR(row.value, 100, 1e-12);
    CHECK(find_row(r, "b", &row));
    CHECK_NEAR(row.value, 300, 1e-12);
    fnl_attribution_free(r);
    fnl_journeys_free(js);
}

TEST(states_follow_the_channelattribution_convention)
{
    /* "a a a b" and "a b":
     * order 1: repeated channels merge -> states a, b: 2.
     * order 2: windows (a,a) (a,a) (a,b) -> (a,a) (a,b); "a b" is the
     *          state (a,b) again: 2.
     * order 3: (a,a,a) (a,a,b) and the short path's own state (a,b): 3.
     * order 4: the 4-path is one window (a,a,a,b), plus (a,b): 2. */
    static const uint64_t expect[5] = { 0, 2, 2, 3, 2 };
    fnl_journeys *js;
    uint32_t k;
    CHECK_OK(fnl_journeys_new(&js, 0, NULL));
    CHECK_OK(add_path(js, "a > a > a > b", 1, 0, 0));
    CHECK_OK(add_path(js, "a > b", 0, 1, 0));
    for (k = 1; k <= 4; k++) {
        fnl_attribution *r;
        fnl_attribution_info info = FNL_ATTRIBUTION_INFO_INIT;
        CHECK_OK(run_markov(js, k, &r));
        CHECK_OK(fnl_attribution_get_info(r, &info));
        fnl_attribution_free(r);
        CHECK_INT(info.markov_states, expect[k]);
        CHECK_INT(info.markov_order, k);
    }
    fnl_journeys_free(js);
}

/* ---- the naive reference ------------------------------------------------ */

#define RMAX_STATES 6000
#define RMAX_EDGES 40000
#define RCH 8

typedef struct ref {
    int ns;
    int len[RMAX_STATES];
    int key[RMAX_STATES][4];
    int ne;
    int from[RMAX_EDGES], to[RMAX_EDGES];
    double cnt[RMAX_EDGES];
    double conv[RMAX_STATES], nulls[RMAX_STATES], value[RMAX_STATES];
} ref;

static int ref_state(ref *R, const int *ch, int n)
{
    int s, i;
    for (s = 1; s < R->ns; s++) {
        if (R->len[s] != n)
            continue;
        for (i = 0; i < n && R->key[s][i] == ch[i]; i++)
            ;
        if (i == n)
            return s;
    }
    R->len[s] = n;
    for (i = 0; i < n; i++)
        R->key[s][i] = ch[i];
    R->ns++;
    return s;
}

static void ref_edge(ref *R, int from, int to, double c)
{
    int i;
    for (i = 0; i < R->ne; i++) {
        if (R->from[i] == from && R->to[i] == to) {
            R->cnt[i] += c;
            return;
        }
    }
    R->from[i] = from;
    R->to[i] = to;
    R->cnt[i] = c;
    R->ne++;
}

/* ChannelAttribution: windows of k over the raw touches (one state for a
 * path no longer than k), a window equal to its predecessor dropped. */
static void ref_path(ref *R, const int *ch, int n, int k, double conv,
                     double nulls, double value)
{
    int prev = 0, i, s, last = -1;
    if (conv + nulls == 0)
        return;
    for (i = 0; i + k <= n || (i == 0 && n < k); i++) {
        s = ref_state(R, ch + i, n < k ? n : k);
        if (s != last)
            ref_edge(R, prev, s, conv + nulls);
        prev = last = s;
        if (n < k)
            break;
    }
    R->conv[prev] += conv;
    R->nulls[prev] += nulls;
    R->value[prev] += value;
}

/* Jacobi value iteration; channel `gone` (or -1) sends its states to
 * null.  Returns the conversion probability and *v the expected value. */
static double ref_solve(const ref *R, int gone, double *v)
{
    static double x[RMAX_STATES], y[RMAX_STATES], nx[RMAX_STATES],
        ny[RMAX_STATES], tot[RMAX_STATES];
    static int dead[RMAX_STATES];
    int s, i, it;
    for (s = 0; s < R->ns; s++) {
        tot[s] = R->conv[s] + R->nulls[s];
        dead[s] = 0;
        for (i = 0; s > 0 && i < R->len[s]; i++)
            dead[s] |= R->key[s][i] == gone;
        x[s] = y[s] = 0;
    }
    for (i = 0; i < R->ne; i++)
        tot[R->from[i]] += R->cnt[i];
    for (it = 0; it < 200000; it++) {
        double d = 0;
        for (s = 0; s < R->ns; s++) {
            nx[s] = R->conv[s];
            ny[s] = R->value[s];
        }
        for (i = 0; i < R->ne; i++) {
            nx[R->from[i]] += R->cnt[i] * x[R->to[i]];
            ny[R->from[i]] += R->cnt[i] * y[R->to[i]];
        }
        for (s = 0; s < R->ns; s++) {
            if (dead[s] || tot[s] == 0) {
                nx[s] = ny[s] = 0;
            } else {
                nx[s] /= tot[s];
                ny[s] /= tot[s];
            }
            d = fmax(d, fabs(nx[s] - x[s]));
        }
        memcpy(x, nx, sizeof(double) * (size_t)R->ns);
        memcpy(y, ny, sizeof(double) * (size_t)R->ns);
        if (d == 0)
            break;
    }
    *v = y[0];
    return x[0];
}

static uint64_t rng(uint64_t *s)
{
    *s = *s * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
    return *s >> 33;
}

static const char *const NAMES[RCH] = { "ch0", "ch1", "ch2", "ch3",
                                        "ch4", "ch5", "ch6", "ch7" };

/* Random paths with repeats, into both the library and the reference. */
static void compare_random(int nch, int npaths, int maxlen, int k,
                           uint64_t seed, int *checked_gs, int *failed)
{
    static ref R;
    fnl_journeys *js;
    fnl_attribution *r;
    fnl_attribution_info info = FNL_ATTRIBUTION_INFO_INIT;
    double re[RCH], vre[RCH], sre = 0, svre = 0, pf, vf, tc = 0, tv = 0;
    int p, c, seen[RCH] = { 0 };
    memset(&R, 0, sizeof(R));
    R.ns = 1;
    *failed = 1;
    if (fnl_journeys_new(&js, 0, NULL))
        return;
    for (p = 0; p < npaths; p++) {
        int ch[16], n = 1 + (int)(rng(&seed) % (uint64_t)maxlen), i;
        const char *g[16];
        fnl_journey j = FNL_JOURNEY_INIT;
        double conv, nulls, value;
        for (i = 0; i < n; i++) {
            ch[i] = (i > 0 && rng(&seed) % 10 < 3)
                        ? ch[i - 1]
                        : (int)(rng(&seed) % (uint64_t)nch);
            g[i] = NAMES[ch[i]];
        }
        for (i = 0; i < n; i++)
            seen[ch[i]] = 1; /* every path weighs at least 1 */
        conv = rng(&seed) % 3 == 0 ? (double)(1 + rng(&seed) % 4) : 0;
        nulls = conv > 0 ? (double)(rng(&seed) % 4)
                         : (double)(1 + rng(&seed) % 3);
        value = conv > 0 ? (double)(rng(&seed) % 1000) : 0;
        j.groups = g;
        j.touch_count = (size_t)n;
        j.conversions = (uint64_t)conv;
        j.nulls = (uint64_t)nulls;
        j.value = (int64_t)value;
        if (fnl_journeys_add(js, &j))
            goto out;
        ref_path(&R, ch, n, k, conv, nulls, value);
        tc += conv;
        tv += value;
    }
    if (run_markov(js, (uint32_t)k, &r))
        goto out;
    pf = ref_solve(&R, -1, &vf);
    for (c = 0; c < nch; c++) {
        double v, pc = ref_solve(&R, c, &v);
        re[c] = (pf - pc) / pf;
        vre[c] = (vf - v) / vf;
        sre += re[c];
        svre += vre[c];
    }
    fnl_attribution_get_info(r, &info);
    if (info.markov_states != (uint64_t)R.ns - 1 ||
        fabs(info.markov_conversion_probability - pf) > 1e-12) {
        fprintf(stderr, "k=%d states %llu vs %d, p %.17g vs %.17g\n", k,
                (unsigned long long)info.markov_states, R.ns - 1,
                info.markov_conversion_probability, pf);
        fnl_attribution_free(r);
        goto out;
    }
    if (info.markov_states > 256)
        *checked_gs = 1;
    for (c = 0; c < nch; c++) {
        fnl_attribution_row row;
        double want = re[c] / sre * tc, wantv = vre[c] / svre * tv;
        if (!seen[c]) {
            if (find_row(r, NAMES[c], &row))
                goto out_r; /* a channel never touched has no row */
            continue;
        }
        if (!find_row(r, NAMES[c], &row) ||
            fabs(row.removal_effect - re[c]) > 1e-11 ||
            fabs(row.value_removal_effect - vre[c]) > 1e-11 ||
            fabs(row.conversions - want) > 1e-9 * tc ||
            fabs(row.value - wantv) > 1e-9 * tv) {
            fprintf(stderr, "k=%d %s: re %.17g vs %.17g, conv %.17g vs "
                    "%.17g\n", k, NAMES[c], row.removal_effect, re[c],
                    row.conversions, want);
            goto out_r;
        }
    }
    *failed = 0;
out_r:
    fnl_attribution_free(r);
out:
    fnl_journeys_free(js);
}

TEST(removal_effects_agree_with_a_naive_solver_orders_1_to_4)
{
    int k, gs = 0, failed;
    for (k = 1; k <= 4; k++) {
        compare_random(5, 300, 7, k, (uint64_t)k * 977, &gs, &failed);
        CHECK(!failed);
    }
}

TEST(the_iterative_solver_agrees_with_the_naive_solver)
{
    int k, gs = 0, failed;
    for (k = 2; k <= 3; k++) {
        compare_random(8, 1500, 10, k, (uint64_t)k * 31, &gs, &failed);
        CHECK(!failed);
    }
    CHECK(gs); /* more than 256 states: Gauss-Seidel was used */
}

TEST(no_conversions_give_zero_credit)
{
    fnl_journeys *js;
    fnl_attribution *r;
    fnl_attribution_row row;
    CHECK_OK(fnl_journeys_new(&js, 0, NULL));
    CHECK_OK(add_path(js, "a > b", 0, 3, 0));
    CHECK_OK(run_markov(js, 1, &r));
    CHECK(find_row(r, "a", &row));
    CHECK_NEAR(row.conversions, 0, 0);
    CHECK_NEAR(row.removal_effect, 0, 0);
    CHECK_INT(row.touches, 3);
    fnl_attribution_free(r);
    fnl_journeys_free(js);
}

TEST(finish_survives_allocation_failures_on_both_solvers)
{
    failalloc fa = { -1, 0, 0, 0, 0 };
    fnl_allocator a = fa_table(&fa);
    fnl_attribution_options o = FNL_ATTRIBUTION_OPTIONS_INIT;
    fnl_journeys *js;
    fnl_attribution_partial *p;
    uint64_t s = 5;
    int i, order;
    CHECK_OK(fnl_journeys_new(&js, 0, NULL));
    for (i = 0; i < 600; i++) {
        const char *g[8];
        fnl_journey j = FNL_JOURNEY_INIT;
        int n = 1 + (int)(rng(&s) % 8), t;
        for (t = 0; t < n; t++)
            g[t] = NAMES[rng(&s) % 8];
        j.groups = g;
        j.touch_count = (size_t)n;
        j.conversions = rng(&s) % 2;
        j.nulls = 1;
        CHECK_OK(fnl_journeys_add(js, &j));
    }
    o.models = FNL_ATTR_BIT(FNL_ATTR_MARKOV);
    o.allocator = &a;
    for (order = 1; order <= 3; order += 2) {
        long n;
        int done = 0;
        o.markov_order = (uint32_t)order;
        CHECK_OK(fnl_attribution_partial_new(&p, &o));
        CHECK_OK(fnl_attribution_partial_add(p, js, 0, 600));
        for (n = 0; !done && n < 10000; n++) {
            fnl_attribution *r = NULL;
            long before = (long)fa.outstanding;
            int rc;
            fa_arm(&fa, n, 0);
            rc = fnl_attribution_partial_finish(p, FNL_ATTR_MARKOV, &r);
            fa_disarm(&fa);
            if (rc == FNL_OK) {
                fnl_attribution_info info = FNL_ATTRIBUTION_INFO_INIT;
                fnl_attribution_get_info(r, &info);
                if (order == 3)
                    CHECK(info.markov_states > 256);
                fnl_attribution_free(r);
                done = 1;
            } else {
                CHECK_INT(rc, FNL_ENOMEM);
            }
            CHECK_INT(fa.outstanding, before);
        }
        CHECK(done);
        fnl_attribution_partial_free(p);
        CHECK_INT(fa.outstanding, 0);
    }
    fnl_journeys_free(js);
}

int main(void)
{
    RUN(three_journey_example_matches_hand_computation);
    RUN(a_cycle_is_solved_exactly);
    RUN(value_follows_the_expected_absorbed_value);
    RUN(states_follow_the_channelattribution_convention);
    RUN(removal_effects_agree_with_a_naive_solver_orders_1_to_4);
    RUN(the_iterative_solver_agrees_with_the_naive_solver);
    RUN(no_conversions_give_zero_credit);
    RUN(finish_survives_allocation_failures_on_both_solvers);
    TEST_MAIN_END();
}
