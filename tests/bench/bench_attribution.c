/* bench_attribution.c -- timings of the attribution core (no assertions).
 *
 *   bench_attribution [journeys] [--csv] [--csv-only] [--pass] [--short]
 *                     [--csv-file NAME] [--keep] [--reps N]
 *
 * Generates journeys in memory (default 1,000,000; 20 channels, mean length
 * about 4, about 3 % converting, seeded PRNG) and times: every heuristic
 * model plus Markov transition counting in one pass; the exact Markov
 * solve at orders 1 and 3; Shapley over 20 channels; a merge of 8
 * partitions; and, with --csv, writing the journeys as a paths CSV and the
 * end-to-end run from that file (parse + heuristics + Markov order 1).
 *
 * The CSV goes to /tmp/fnl_bench_paths_<pid>.csv (--csv-file: that name;
 * an existing file of that name is read as it is, not rewritten) and is
 * removed afterwards unless --keep.  The end-to-end run is repeated --reps
 * times (default 5) and the best is reported, in process CPU time and in
 * wall time, with a checksum of every result row of the 11 models (key,
 * conversions, value, touches, removal effects: bit for bit) so that two
 * builds can be shown to compute the same thing.  The read into a
 * fnl_journeys alone is repeated and reported the same way, with the
 * minor page faults of each read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "attribution.h"

#define NCH 20

static double now(void)
{
    struct timespec ts;
    /* process CPU time: single-threaded work, steady on a busy machine */
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Minor page faults of this process so far. */
static long minor_faults(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt;
}

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng(uint64_t *s)
{
    uint64_t x = *s += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

typedef struct data {
    size_t n, nt;
    uint64_t *start;
    uint32_t *len;
    uint32_t *g;       /* channel index 0..NCH-1 */
    int64_t *t;
    uint64_t *conv;
    int64_t *value;
    int32_t *lead;
} data;

static void generate(data *d, size_t n, uint64_t seed)
{
    size_t i, cap = n * 6 + 64;
    d->n = n;
    d->nt = 0;
    d->start = malloc(n * sizeof(*d->start));
    d->len = malloc(n * sizeof(*d->len));
    d->conv = malloc(n * sizeof(*d->conv));
    d->value = malloc(n * sizeof(*d->value));
    d->lead = malloc(n * sizeof(*d->lead));
    d->g = malloc(cap * sizeof(*d->g));
    d->t = malloc(cap * sizeof(*d->t));
    for (i = 0; i < n; i++) {
        uint32_t len = 1, k;
        int64_t t = (int64_t)(rng(&seed) % 1000000000u);
        /* geometric length, mean 4, at most 30 */
        while (len < 30 && rng(&seed) % 4 != 0)
            len++;
        if (d->nt + len > cap) {
            cap *= 2;
            d->g = realloc(d->g, cap * sizeof(*d->g));
            d->t = realloc(d->t, cap * sizeof(*d->t));
        }
        d->start[i] = d->nt;
        d->len[i] = len;
        for (k = 0; k < len; k++) {
            /* skewed channel popularity */
            uint64_t r = rng(&seed);
            d->g[d->nt + k] = (uint32_t)(((r % NCH) + ((r >> 32) % NCH)) / 2);
            t += (int64_t)(rng(&seed) % 86400000u);
            d->t[d->nt + k] = t;
        }
        d->nt += len;
        d->conv[i] = rng(&seed) % 100 < 3;
        d->value[i] = d->conv[i] ? (int64_t)(rng(&seed) % 1000000) : 0;
        d->lead[i] = d->conv[i] ? (int32_t)(rng(&seed) % len) : -1;
    }
}

static void view(const data *d, const uint32_t *ids, size_t i,
                 fnli_journey *j, uint32_t *buf)
{
    uint32_t k;
    fnli_journey z = FNLI_JOURNEY_INIT;
    *j = z;
    if (ids == NULL) {
        /* the partial's ids are the channel indices: no copy, as an
         * engine that keeps partial ids would do */
        j->groups = d->g + d->start[i];
    } else {
        for (k = 0; k < d->len[i]; k++)
            buf[k] = ids[d->g[d->start[i] + k]];
        j->groups = buf;
    }
    j->times = d->t + d->start[i];
    j->n = d->len[i];
    j->conversions = d->conv[i];
    j->nulls = !d->conv[i];
    j->value = d->value[i];
    j->lead = d->lead[i];
}

/* --short: 3-byte names ("c07"), which makes a 10M-journey file about
 * 300 MB like the issue's; default "channel_07" (about 590 MB). */
static int short_names;

static const char *chan_name(int c)
{
    static char names[NCH][16];
    if (c == 0)
        return short_names ? "dir" : "direct";
    snprintf(names[c], sizeof(names[c]), short_names ? "c%02d" : "channel_%02d",
             c);
    return names[c];
}

static int setup(fnli_attr *a, fnli_mem *m, uint32_t models, uint32_t order,
                 uint32_t *ids)
{
    fnl_attribution_options o = FNL_ATTRIBUTION_OPTIONS_INIT;
    fnli_attr_params par;
    int c, rc;
    o.models = models;
    o.markov_order = order;
    rc = fnli_attr_params_from(&par, &o);
    if (rc == FNL_OK)
        rc = fnli_attr_init(a, m, &par);
    for (c = 0; rc == FNL_OK && c < NCH; c++)
        rc = fnli_attr_group(a, chan_name(c), strlen(chan_name(c)), &ids[c]);
    return rc;
}

static int accumulate(fnli_attr *a, const data *d, const uint32_t *ids,
                      size_t lo, size_t hi)
{
    uint32_t buf[32];
    size_t i;
    int c, identity = 1;
    for (c = 0; c < NCH; c++)
        identity &= ids[c] == (uint32_t)c;
    if (identity)
        ids = NULL;
    for (i = lo; i < hi; i++) {
        fnli_journey j;
        int rc;
        view(d, ids, i, &j, buf);
        rc = fnli_attr_add(a, &j);
        if (rc)
            return rc;
    }
    return FNL_OK;
}

/* The generated journeys in a public container (names interned in
 * channel order), as a caller of fnl_journeys_add would have them. */
static fnl_journeys *to_journeys(const data *d)
{
    fnl_journeys *js;
    size_t i;
    int c;
    if (fnl_journeys_new(&js, 2, NULL))
        return NULL;
    for (c = 0; c < NCH; c++) {
        uint32_t id;
        if (fnli_gtab_intern(&js->groups, &js->mem, chan_name(c),
                             strlen(chan_name(c)), &id) || id != (uint32_t)c)
            return NULL;
    }
    for (i = 0; i < d->n; i++) {
        fnli_journey j;
        view(d, NULL, i, &j, NULL);
        if (fnli_journeys_push(js, &j))
            return NULL;
    }
    return js;
}

#define HEUR_MODELS                                                          \
    (FNL_ATTR_BIT(FNL_ATTR_FIRST_TOUCH) | FNL_ATTR_BIT(FNL_ATTR_LAST_TOUCH) | \
     FNL_ATTR_BIT(FNL_ATTR_LAST_NON_DIRECT) | FNL_ATTR_BIT(FNL_ATTR_LINEAR) | \
     FNL_ATTR_BIT(FNL_ATTR_TIME_DECAY) | FNL_ATTR_BIT(FNL_ATTR_U_SHAPED) |    \
     FNL_ATTR_BIT(FNL_ATTR_W_SHAPED) | FNL_ATTR_BIT(FNL_ATTR_Z_SHAPED) |      \
     FNL_ATTR_BIT(FNL_ATTR_J_SHAPED) | FNL_ATTR_BIT(FNL_ATTR_INVERSE_J) |     \
     FNL_ATTR_BIT(FNL_ATTR_CUSTOM))

static void print_top(const fnl_attribution *r, const char *what)
{
    fnl_attribution_row row = FNL_ATTRIBUTION_ROW_INIT;
    fnl_attribution_info info = FNL_ATTRIBUTION_INFO_INIT;
    fnl_attribution_get_info(r, &info);
    fnl_attribution_row_get(r, 0, &row);
    printf("    %-18s rows %llu, total %.0f conversions, first row %s %.3f\n",
           what, (unsigned long long)info.row_count, info.total_conversions,
           row.key, row.conversions);
}

static int write_csv(const data *d, const char *name, double *mb)
{
    FILE *f = fopen(name, "wb");
    size_t i, k;
    long bytes;
    if (f == NULL)
        return -1;
    fputs("path,total_conversions,total_conversion_value,total_null\n", f);
    for (i = 0; i < d->n; i++) {
        for (k = 0; k < d->len[i]; k++) {
            if (k)
                fputs(" > ", f);
            fputs(chan_name((int)d->g[d->start[i] + k]), f);
        }
        fprintf(f, ",%llu,%lld.%02lld,%llu\n",
                (unsigned long long)d->conv[i],
                (long long)(d->value[i] / 100), (long long)(d->value[i] % 100),
                (unsigned long long)!d->conv[i]);
    }
    bytes = ftell(f);
    fclose(f);
    *mb = (double)bytes / 1e6;
    return 0;
}

/* FNV-1a over bytes. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    while (n--) {
        h ^= *b++;
        h *= UINT64_C(1099511628211);
    }
    return h;
}

#define E2E_MODELS                                                          \
    ((HEUR_MODELS & ~FNL_ATTR_BIT(FNL_ATTR_TIME_DECAY)) |                   \
     FNL_ATTR_BIT(FNL_ATTR_MARKOV))

/* Finish the 11 models of p; *sum: checksum of every row of each. */
static int finish_all(fnl_attribution_partial *p, uint64_t *sum)
{
    uint64_t h = UINT64_C(14695981039346656037);
    uint32_t model;
    for (model = FNL_ATTR_FIRST_TOUCH; model <= FNL_ATTR_MARKOV; model++) {
        fnl_attribution *r;
        size_t i, n;
        if (model == FNL_ATTR_TIME_DECAY)
            continue;
        if (fnl_attribution_partial_finish(p, model, &r))
            return 1;
        n = fnl_attribution_row_count(r);
        for (i = 0; i < n; i++) {
            fnl_attribution_row row = FNL_ATTRIBUTION_ROW_INIT;
            fnl_attribution_row_get(r, i, &row);
            h = fnv(h, row.key, strlen(row.key) + 1);
            h = fnv(h, &row.conversions, sizeof(row.conversions));
            h = fnv(h, &row.value, sizeof(row.value));
            h = fnv(h, &row.touches, sizeof(row.touches));
            h = fnv(h, &row.removal_effect, sizeof(row.removal_effect));
            h = fnv(h, &row.value_removal_effect,
                    sizeof(row.value_removal_effect));
        }
        fnl_attribution_free(r);
    }
    *sum = h;
    return 0;
}

/* The paths CSV end to end: through a fnl_journeys, then streamed into a
 * partial (best of reps). */
static int csv_end_to_end(const data *d, const char *name, int keep,
                          int reps)
{
    fnl_journeys *js;
    fnl_attribution_partial *p;
    fnl_attribution_options o = FNL_ATTRIBUTION_OPTIONS_INIT;
    fnl_paths_error err = FNL_PATHS_ERROR_INIT;
    double mb, t0, tp, ta, best = 1e30, best_wall = 1e30;
    uint64_t sum = 0, sum0 = 0;
    FILE *f = fopen(name, "rb");
    int rep;
    if (f != NULL) {
        /* reuse it as it is: the same bytes for two builds */
        fseek(f, 0, SEEK_END);
        mb = (double)ftell(f) / 1e6;
        fclose(f);
        keep = 1;
        printf("read %s as it is: %.0f MB\n", name, mb);
    } else {
        t0 = now();
        if (write_csv(d, name, &mb))
            return 1;
        printf("wrote %s: %.0f MB in %.2f s\n", name, mb, now() - t0);
    }
    o.models = E2E_MODELS;
    o.value_decimals = 2;
    /* the journeys road's read alone, best of reps, with the minor page
     * faults it takes (the journeys' arrays are most of them) */
    for (rep = 0; rep < reps; rep++) {
        long flt = minor_faults();
        double w0 = wall(), tr;
        t0 = now();
        if (fnl_paths_read(&js, name, NULL, &err)) {
            fprintf(stderr, "%s\n", err.message);
            return 1;
        }
        tr = now() - t0;
        flt = minor_faults() - flt;
        printf("paths CSV read into journeys: %.3f s CPU (%.0f MB/s), "
               "%.3f s wall, %ld minor page faults\n", tr, mb / tr,
               wall() - w0, flt);
        if (tr < best)
            best = tr;
        if (rep + 1 < reps)
            fnl_journeys_free(js);
    }
    printf("paths CSV read into journeys, best of %d: %.3f s CPU "
           "(%.0f MB/s)\n", reps, best, mb / best);
    best = 1e30;
    tp = now();
    if (fnl_attribution_partial_new(&p, &o) ||
        fnl_attribution_partial_add(p, js, 0, fnl_journeys_count(js)) ||
        finish_all(p, &sum0))
        return 1;
    ta = now();
    printf("paths CSV journeys road, then add: 10 heuristics + Markov 1 "
           "%.3f s\n", ta - tp);
    fnl_attribution_partial_free(p);
    fnl_journeys_free(js);
    /* the streaming road: file -> partial, no journeys in between */
    for (rep = 0; rep < reps; rep++) {
        double w0, tf, tw;
        if (fnl_attribution_partial_new(&p, &o))
            return 1;
        w0 = wall();
        t0 = now();
        if (fnl_paths_read_partial(p, name, NULL, &err)) {
            fprintf(stderr, "%s\n", err.message);
            return 1;
        }
        tp = now();
        if (finish_all(p, &sum))
            return 1;
        tf = now();
        tw = wall() - w0;
        printf("paths CSV end to end (streamed into a partial): "
               "parse + 10 heuristics + Markov 1 counting %.3f s "
               "(%.0f MB/s), finish 11 models %.4f s, total %.3f s "
               "(wall %.3f s)\n", tp - t0, mb / (tp - t0), tf - tp,
               tf - t0, tw);
        if (tf - t0 < best)
            best = tf - t0;
        if (tw < best_wall)
            best_wall = tw;
        fnl_attribution_partial_free(p);
    }
    printf("paths CSV end to end, best of %d: %.3f s CPU (%.0f MB/s), "
           "%.3f s wall; result checksum %016llx (%s the journeys "
           "road's)\n", reps, best, mb / best, best_wall,
           (unsigned long long)sum, sum == sum0 ? "equal to" : "NOT");
    if (!keep)
        remove(name);
    return sum == sum0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    size_t n = 1000000;
    int csv = 0, pass_only = 0, csv_only = 0, keep = 0, reps = 5, i;
    char csv_name[256] = "";
    data d;
    fnli_mem m;
    fnli_attr a;
    uint32_t ids[NCH];
    double t0, t1;
    fnl_attribution *r;
    uint32_t model;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--csv") == 0)
            csv = 1;
        else if (strcmp(argv[i], "--pass") == 0)
            pass_only = 1;
        else if (strcmp(argv[i], "--csv-only") == 0)
            csv = csv_only = 1;
        else if (strcmp(argv[i], "--short") == 0)
            short_names = 1;
        else if (strcmp(argv[i], "--keep") == 0)
            keep = 1;
        else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (strcmp(argv[i], "--csv-file") == 0 && i + 1 < argc)
            snprintf(csv_name, sizeof(csv_name), "%s", argv[++i]);
        else
            n = (size_t)strtoull(argv[i], NULL, 10);
    }
    if (csv_name[0] == '\0')
        snprintf(csv_name, sizeof(csv_name), "/tmp/fnl_bench_paths_%ld.csv",
                 (long)getpid());
    if (reps < 1)
        reps = 1;
    fnli_mem_init(&m, NULL);
    t0 = now();
    generate(&d, n, 12345);
    printf("generated %zu journeys, %zu touches in %.2f s\n", d.n, d.nt,
           now() - t0);

    /* 0. the parts of the one pass alone */
    {
        static const struct {
            uint32_t models;
            const char *what;
        } parts[3] = {
            { FNL_ATTR_BIT(FNL_ATTR_LINEAR), "touch counts + linear only" },
            { HEUR_MODELS, "11 heuristic models only" },
            { FNL_ATTR_BIT(FNL_ATTR_MARKOV), "Markov order 1 counting only" },
        };
        int k;
        for (k = 0; k < 3; k++) {
            if (setup(&a, &m, parts[k].models, 1, ids))
                return 1;
            t0 = now();
            if (accumulate(&a, &d, ids, 0, d.n))
                return 1;
            t1 = now();
            printf("%-40s %.3f s, %.1f M touches/s\n", parts[k].what,
                   t1 - t0, (double)d.nt / (t1 - t0) / 1e6);
            fnli_attr_free(&a);
        }
    }

    /* 1a. the public road: fnl_attribution_partial_add over journeys in
     * memory (a fnl_journeys container), every heuristic model and Markov
     * order 1 counting in one pass */
    {
        fnl_journeys *js = to_journeys(&d);
        fnl_attribution_options o = FNL_ATTRIBUTION_OPTIONS_INIT;
        fnl_attribution_partial *p;
        int rep;
        if (js == NULL)
            return 1;
        o.models = HEUR_MODELS | FNL_ATTR_BIT(FNL_ATTR_MARKOV);
        o.value_decimals = 2;
        for (rep = 0; rep < 3; rep++) {
            if (fnl_attribution_partial_new(&p, &o))
                return 1;
            t0 = now();
            if (fnl_attribution_partial_add(p, js, 0, d.n))
                return 1;
            t1 = now();
            printf("one pass (public partial_add), 11 heuristics + Markov "
                   "1: %.3f s, %.1f M touches/s\n", t1 - t0,
                   (double)d.nt / (t1 - t0) / 1e6);
            fnl_attribution_partial_free(p);
        }
        fnl_journeys_free(js);
    }
    if (pass_only)
        return 0;
    if (csv_only)
        goto csv_part;

    /* 1. one pass: all heuristics + Markov order 1 counting */
    if (setup(&a, &m, HEUR_MODELS | FNL_ATTR_BIT(FNL_ATTR_MARKOV), 1, ids))
        return 1;
    t0 = now();
    if (accumulate(&a, &d, ids, 0, d.n))
        return 1;
    t1 = now();
    printf("one pass, 11 heuristic models + Markov counting: %.3f s, "
           "%.1f M touches/s, %.1f M journeys/s\n", t1 - t0,
           (double)d.nt / (t1 - t0) / 1e6, (double)d.n / (t1 - t0) / 1e6);
    t0 = now();
    for (model = FNL_ATTR_FIRST_TOUCH; model <= FNL_ATTR_CUSTOM; model++) {
        if (fnli_attr_finish(&a, model, &r))
            return 1;
        if (model == FNL_ATTR_LINEAR)
            print_top(r, "linear");
        fnl_attribution_free(r);
    }
    printf("finish 11 heuristic results: %.4f s\n", now() - t0);
    t0 = now();
    if (fnli_attr_finish(&a, FNL_ATTR_MARKOV, &r))
        return 1;
    t1 = now();
    {
        fnl_attribution_info info = FNL_ATTRIBUTION_INFO_INIT;
        fnl_attribution_get_info(r, &info);
        printf("Markov order 1 exact solve: %.4f s (%llu states)\n", t1 - t0,
               (unsigned long long)info.markov_states);
    }
    print_top(r, "markov order 1");
    fnl_attribution_free(r);

    /* 2. merge: 8 partitions of the same data */
    {
        fnli_attr parts[8], acc;
        uint32_t pids[NCH];
        int k;
        double tm;
        if (setup(&acc, &m, HEUR_MODELS | FNL_ATTR_BIT(FNL_ATTR_MARKOV), 1,
                  pids))
            return 1;
        for (k = 0; k < 8; k++) {
            if (setup(&parts[k], &m,
                      HEUR_MODELS | FNL_ATTR_BIT(FNL_ATTR_MARKOV), 1, pids) ||
                accumulate(&parts[k], &d, pids, d.n * (size_t)k / 8,
                           d.n * (size_t)(k + 1) / 8))
                return 1;
        }
        tm = now();
        for (k = 0; k < 8; k++) {
            if (fnli_attr_merge(&acc, &parts[k]))
                return 1;
            fnli_attr_free(&parts[k]);
        }
        printf("merge of 8 partitions: %.4f s\n", now() - tm);
        {
            fnl_attribution *x, *y;
            fnl_attribution_row rx = FNL_ATTRIBUTION_ROW_INIT,
                                ry = FNL_ATTRIBUTION_ROW_INIT;
            fnli_attr_finish(&acc, FNL_ATTR_MARKOV, &x);
            fnli_attr_finish(&a, FNL_ATTR_MARKOV, &y);
            fnl_attribution_row_get(x, 3, &rx);
            fnl_attribution_row_get(y, 3, &ry);
            printf("    merged == one pass (row 3, Markov): %s\n",
                   memcmp(&rx.conversions, &ry.conversions, 8) == 0 ? "yes"
                                                                    : "NO");
            fnl_attribution_free(x);
            fnl_attribution_free(y);
        }
        fnli_attr_free(&acc);
    }
    fnli_attr_free(&a);

    /* 3. Markov order 3 */
    if (setup(&a, &m, FNL_ATTR_BIT(FNL_ATTR_MARKOV), 3, ids))
        return 1;
    t0 = now();
    if (accumulate(&a, &d, ids, 0, d.n))
        return 1;
    t1 = now();
    printf("Markov order 3 counting: %.3f s, %.1f M touches/s\n", t1 - t0,
           (double)d.nt / (t1 - t0) / 1e6);
    t0 = now();
    if (fnli_attr_finish(&a, FNL_ATTR_MARKOV, &r))
        return 1;
    t1 = now();
    {
        fnl_attribution_info info = FNL_ATTRIBUTION_INFO_INIT;
        fnl_attribution_get_info(r, &info);
        printf("Markov order 3 exact solve: %.4f s (%llu states)\n", t1 - t0,
               (unsigned long long)info.markov_states);
    }
    fnl_attribution_free(r);
    fnli_attr_free(&a);

    /* 4. Shapley over 20 channels */
    if (setup(&a, &m,
              FNL_ATTR_BIT(FNL_ATTR_SHAPLEY) |
                  FNL_ATTR_BIT(FNL_ATTR_SHAPLEY_ORDERED),
              1, ids))
        return 1;
    t0 = now();
    if (accumulate(&a, &d, ids, 0, d.n))
        return 1;
    t1 = now();
    printf("Shapley coalition tallies (set + ordered): %.3f s\n", t1 - t0);
    t0 = now();
    if (fnli_attr_finish(&a, FNL_ATTR_SHAPLEY, &r))
        return 1;
    t1 = now();
    printf("Shapley over %d channels, %zu coalitions: %.4f s\n", NCH,
           a.sets.tab.count, t1 - t0);
    print_top(r, "shapley");
    fnl_attribution_free(r);
    t0 = now();
    if (fnli_attr_finish(&a, FNL_ATTR_SHAPLEY_ORDERED, &r))
        return 1;
    printf("ordered Shapley, %zu sequences: %.4f s\n", a.seqs.tab.count,
           now() - t0);
    fnl_attribution_free(r);
    fnli_attr_free(&a);

    /* 5. paths CSV end to end */
csv_part:
    if (csv && csv_end_to_end(&d, csv_name, keep, reps))
        return 1;
    free(d.start);
    free(d.len);
    free(d.g);
    free(d.t);
    free(d.conv);
    free(d.value);
    free(d.lead);
    return 0;
}
