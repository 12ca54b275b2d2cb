/* bench_scoring -- cost of lead scoring with a 30-rule model (6 fit rules,
 * 20 engagement rules of which 6 capped and 4 windowed, 4 key events,
 * 30-day half-life).
 *
 *  1. incremental: ns per in-order touch through fnli_score_touch(), with
 *     touch classes matched once and cached (as the engine does), for
 *     10,000,000 touches spread over 1,000,000 contacts in global time
 *     order (each touch hits a different contact's state: cache misses
 *     included), and for one hot contact (pure arithmetic);
 *  2. full rescore: every contact from scratch (state init, profile, replay
 *     of its sorted in-memory timeline): 1,000,000 contacts / 10,000,000
 *     touches.  Target: under 3 s.
 *
 * argv: [touches] [contacts].  Prints figures; asserts nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "funnelcore.h"
#include "scoring.h"
#include "funnelcore.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

#include "model30.h"

static const char *types[] = {"visit", "visit", "visit", "email_open",
                              "email_click", "pricing_view", "form_submit",
                              "webinar_attend", "trial_request", "bounce",
                              "unsubscribe", "call"};
static const char *channels[] = {"paid_search", "organic_search", "email",
                                 "paid_social", "events", "referral"};
#define NTYPES 12
#define NCHANNELS 6
#define NCAMPAIGNS 20
#define NCLASSES (NTYPES * NCHANNELS * NCAMPAIGNS)

int main(int argc, char **argv)
{
    size_t ntouch = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000000;
    size_t ncontact = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000000;
    fnl_model *m;
    fnl_parse_error err = FNL_PARSE_ERROR_INIT;
    fnli_class_match *cls;
    char campaigns[NCAMPAIGNS][16];
    size_t i, ssz, c;
    unsigned char *pool;
    uint32_t *owner, *tcls;
    int64_t *ttime, *tvalue, *clock;
    size_t *start, *fill;
    fnli_score_tv *timeline;
    fnl_attr attrs[4][4];
    double t0, t1, sink = 0;
    uint64_t fired = 0;

    if (fnl_model_parse(&m, model_text, strlen(model_text), NULL, &err) !=
        FNL_OK) {
        fprintf(stderr, "model: line %u: %s\n", err.line, err.message);
        return 1;
    }
    ssz = fnli_model_state_size(m);
    printf("model: 6 fit + 20 engagement rules + 4 key events; state %zu "
           "bytes per contact\n", ssz);

    /* classes, matched once (the engine caches these per class) */
    cls = malloc(NCLASSES * sizeof(*cls));
    for (i = 0; i < NCAMPAIGNS; i++)
        snprintf(campaigns[i], sizeof(campaigns[i]), "%sc%zu",
                 i < 5 ? "spring_" : i < 8 ? "webinar_" : "", i);
    t0 = now_s();
    for (i = 0; i < NCLASSES; i++) {
        fnli_class_fields f;
        memset(&f, 0, sizeof(f));
        f.p[0] = types[i % NTYPES];
        f.p[1] = channels[(i / NTYPES) % NCHANNELS];
        f.p[2] = campaigns[i / (NTYPES * NCHANNELS)];
        for (c = 0; c < 3; c++)
            f.n[c] = strlen(f.p[c]);
        fnli_model_match_class(m, &f, &cls[i]);
    }
    t1 = now_s();
    printf("class matching: %d classes, %.0f ns per class\n", NCLASSES,
           (t1 - t0) * 1e9 / NCLASSES);

    /* the workload: touches in global time order, random contacts */
    owner = malloc(ntouch * sizeof(*owner));
    tcls = malloc(ntouch * sizeof(*tcls));
    ttime = malloc(ntouch * sizeof(*ttime));
    tvalue = malloc(ntouch * sizeof(*tvalue));
    pool = malloc(ncontact * ssz);
    if (!cls || !owner || !tcls || !ttime || !tvalue || !pool) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    {
        int64_t t = INT64_C(1767225600000);
        for (i = 0; i < ntouch; i++) {
            t += next_rand() % 2000; /* about 10M touches over 4 months */
            ttime[i] = t;
            owner[i] = next_rand() % (uint32_t)ncontact;
            tcls[i] = next_rand() % NCLASSES;
            tvalue[i] = next_rand() % 50 == 0 ? 5000 : 0;
        }
    }
    for (c = 0; c < ncontact; c++)
        fnli_score_state_init(m, (fnli_score_state *)(void *)(pool + c * ssz));

    /* 1a. incremental, many contacts */
    t0 = now_s();
    for (i = 0; i < ntouch; i++) {
        fnli_score_state *st =
            (fnli_score_state *)(void *)(pool + (size_t)owner[i] * ssz);
        fnli_score_tv v;
        uint64_t f;
        v.time = ttime[i];
        v.value = tvalue[i];
        v.engage = cls[tcls[i]].engage;
        v.events = cls[tcls[i]].events;
        fnli_score_touch(m, st, &v, &f);
        fired += f != 0;
    }
    t1 = now_s();
    printf("incremental: %zu touches over %zu contacts: %.3f s, %.1f ns/touch "
           "(%llu touches fired a key event)\n", ntouch, ncontact, t1 - t0,
           (t1 - t0) * 1e9 / (double)ntouch, (unsigned long long)fired);

    /* 1a'. the same with the states of touches 8 ahead prefetched, as an
     * engine that knows the contact early can do */
    for (c = 0; c < ncontact; c++)
        fnli_score_state_init(m, (fnli_score_state *)(void *)(pool + c * ssz));
    t0 = now_s();
    for (i = 0; i < ntouch; i++) {
        fnli_score_state *st =
            (fnli_score_state *)(void *)(pool + (size_t)owner[i] * ssz);
        fnli_score_tv v;
        if (i + 8 < ntouch) {
            const unsigned char *p = pool + (size_t)owner[i + 8] * ssz;
            size_t off;
            for (off = 0; off < ssz; off += 64)
                __builtin_prefetch(p + off, 1);
        }
        v.time = ttime[i];
        v.value = tvalue[i];
        v.engage = cls[tcls[i]].engage;
        v.events = cls[tcls[i]].events;
        fnli_score_touch(m, st, &v, NULL);
    }
    t1 = now_s();
    printf("incremental, states prefetched 8 touches ahead: %.1f ns/touch\n",
           (t1 - t0) * 1e9 / (double)ntouch);

    /* 1b. incremental, one hot contact */
    {
        fnli_score_state *st = (fnli_score_state *)(void *)pool;
        size_t n = ntouch < 10000000 ? ntouch : 10000000;
        fnli_score_state_init(m, st);
        t0 = now_s();
        for (i = 0; i < n; i++) {
            fnli_score_tv v;
            v.time = ttime[i];
            v.value = tvalue[i];
            v.engage = cls[tcls[i]].engage;
            v.events = cls[tcls[i]].events;
            fnli_score_touch(m, st, &v, NULL);
        }
        t1 = now_s();
        printf("incremental: one hot contact: %.1f ns/touch\n",
               (t1 - t0) * 1e9 / (double)n);
    }

    /* 2. full rescore from in-memory timelines (per contact, sorted) */
    start = calloc(ncontact + 1, sizeof(*start));
    fill = calloc(ncontact, sizeof(*fill));
    timeline = malloc(ntouch * sizeof(*timeline));
    clock = NULL;
    if (!start || !fill || !timeline) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    for (i = 0; i < ntouch; i++)
        start[owner[i] + 1]++;
    for (c = 0; c < ncontact; c++)
        start[c + 1] += start[c];
    for (i = 0; i < ntouch; i++) {
        size_t at = start[owner[i]] + fill[owner[i]]++;
        timeline[at].time = ttime[i];
        timeline[at].value = tvalue[i];
        timeline[at].engage = cls[tcls[i]].engage;
        timeline[at].events = cls[tcls[i]].events;
    }
    {
        static const char *titles[4] = {"Sales Director", "VP Marketing",
                                        "Engineer", "Student"};
        static const char *countries[4] = {"DE", "US", "FR", "CN"};
        static const char *emails[4] = {"a@acme.com", "b@gmail.com",
                                        "c@qq.com", "d@corp.cn"};
        int k;
        for (k = 0; k < 4; k++) {
            attrs[k][0].name = "title", attrs[k][0].type = FNL_ATTR_STRING;
            attrs[k][0].str = titles[k];
            attrs[k][1].name = "country", attrs[k][1].type = FNL_ATTR_STRING;
            attrs[k][1].str = countries[k];
            attrs[k][2].name = "email", attrs[k][2].type = FNL_ATTR_STRING;
            attrs[k][2].str = emails[k];
            attrs[k][3].name = "company_size";
            attrs[k][3].type = FNL_ATTR_NUMBER;
            attrs[k][3].num = 100.0 + 1000.0 * k;
        }
    }
    t0 = now_s();
    for (c = 0; c < ncontact; c++) {
        fnli_score_state *st = (fnli_score_state *)(void *)(pool + c * ssz);
        fnli_score_state_init(m, st);
        fnli_score_profile(m, st, attrs[c % 4], 4, NULL, NULL);
        fnli_score_recompute(m, st, timeline + start[c], start[c + 1] - start[c],
                             NULL, NULL);
    }
    t1 = now_s();
    printf("full rescore: %zu contacts / %zu touches: %.3f s (%.1f ns/touch, "
           "%.0f ns/contact)\n", ncontact, ntouch, t1 - t0,
           (t1 - t0) * 1e9 / (double)ntouch, (t1 - t0) * 1e9 / (double)ncontact);

    /* reading every score */
    t0 = now_s();
    for (c = 0; c < ncontact; c++) {
        fnl_score_result r = FNL_SCORE_RESULT_INIT;
        fnli_score_at(m, (fnli_score_state *)(void *)(pool + c * ssz),
                      ttime[ntouch - 1], &r);
        sink += r.total;
    }
    t1 = now_s();
    printf("score_at: %.0f ns/contact (checksum %.3f)\n",
           (t1 - t0) * 1e9 / (double)ncontact, sink);

    free(clock);
    free(cls);
    free(owner);
    free(tcls);
    free(ttime);
    free(tvalue);
    free(pool);
    free(start);
    free(fill);
    free(timeline);
    fnl_model_free(m);
    return 0;
}
