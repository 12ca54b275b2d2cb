/* bench_stage_report -- reports from the stage history at 1,000,000
 * contacts (no assertions; figures are printed).
 *
 *   bench_stage_report [contacts]
 *
 * Builds the state the way a host does: the default waterfall and a
 * scoring model (two webinars make an MQL) attached to an engine, then
 * touches ingested in batches of 10,000 over 90 days (8 channels, 20
 * campaigns; 60 % of the contacts attend two webinars), host events for
 * the MQLs (accept, reject with one of 5 reasons, qualify, opportunity,
 * won, lost) and a weekly tick through day 150 (idle leads go to nurture,
 * SLAs breach), with every 50th contact merged into another.  Only the
 * reports are timed: the funnel with no grouping and by channel (with two
 * pairs), the monthly MQL cohort, MQL -> SQL time to convert, rejections
 * by channel and the ROI stage counts, and the JSON rendering of the
 * funnel.  Times are the process CPU time (one thread), so other load on
 * the machine does not inflate them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "funnelcore.h"

#define DAY INT64_C(86400000)
#define HOUR INT64_C(3600000)
#define T0 INT64_C(1767225600000) /* 2026-01-01 */
#define BATCH 10000

static const char *const channels[] = {"paid_search", "organic_search",
                                       "email",       "paid_social",
                                       "events",      "referral",
                                       "display",     "direct"};
static const char *const reasons[] = {"no budget", "bad fit", "no authority",
                                      "timing", "competitor"};

static const char *MODEL = "model lead\n"
                           "engage type = webinar_attend +30\n"
                           "threshold mql when score >= 50\n";

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int64_t fixed_now(void *ctx)
{
    (void)ctx;
    return T0;
}

static uint64_t rs = 0x9E3779B97F4A7C15ULL;
static uint32_t rnd(uint32_t n)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return (uint32_t)((rs >> 11) % n);
}

static void die(fnl_engine *e, const char *what)
{
    fprintf(stderr, "%s failed: %s\n", what, e ? fnl_errmsg(e) : "");
    exit(1);
}

typedef struct tref {
    size_t c;
    int64_t t;
    int webinar;
} tref;

static int cmp_tref(const void *a, const void *b)
{
    const tref *x = a, *y = b;
    return (x->t > y->t) - (x->t < y->t);
}

static void report_line(fnl_engine *e, const char *what, int rc,
                        fnl_report *r, double ms)
{
    if (rc != FNL_OK)
        die(e, what);
    printf("  %-44s %8.1f ms  %6zu rows\n", what, ms, fnl_report_row_count(r));
    fnl_report_free(r);
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)atol(argv[1]) : 1000000, i, k, nt = 0;
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_clock clk = {FNL_CLOCK_VERSION, NULL, fixed_now};
    fnl_parse_error err = FNL_PARSE_ERROR_INIT;
    fnl_engine *e = NULL;
    fnl_model *mo = NULL;
    fnl_machine *ma = NULL;
    fnl_contact_id *ids;
    char (*email)[32];
    char (*camp)[16];
    tref *tr;
    fnl_touch *tb;
    fnl_key *kb;
    fnl_stats st = FNL_STATS_INIT;
    double t0, t1, events_ms = 0;
    size_t nevents = 0;
    uint64_t nrecs = 0;
    int64_t day;
    int rc;

    cfg.clock = &clk;
    ids = calloc(n, sizeof(*ids));
    email = malloc(n * sizeof(*email));
    camp = malloc(20 * sizeof(*camp));
    tr = malloc(2 * n * sizeof(*tr));
    tb = malloc(BATCH * sizeof(*tb));
    kb = malloc(BATCH * sizeof(*kb));
    if (!ids || !email || !camp || !tr || !tb || !kb ||
        fnl_engine_open(&e, &cfg) != FNL_OK ||
        fnl_model_parse(&mo, MODEL, strlen(MODEL), NULL, &err) != FNL_OK ||
        fnl_engine_attach_model(e, mo, NULL) != FNL_OK ||
        fnl_machine_default(&ma, NULL) != FNL_OK ||
        fnl_engine_attach_machine(e, ma) != FNL_OK)
        die(e, "setup");
    for (i = 0; i < 20; i++)
        snprintf(camp[i], sizeof(camp[i]), "campaign_%02zu", i);

    /* touches: every contact one visit over 90 days, 60 % a webinar the
     * same day and another 1-10 days later (an MQL then) */
    t0 = now_ms();
    for (i = 0; i < n; i++) {
        int64_t t = T0 + (int64_t)(i * (90 * (uint64_t)DAY / n));
        snprintf(email[i], sizeof(email[i]), "c%zu@co%zu.com", i, i % 50000);
        tr[nt].c = i, tr[nt].t = t, tr[nt++].webinar = rnd(10) < 6;
        if (tr[nt - 1].webinar) {
            tr[nt].c = i;
            tr[nt].t = t + (int64_t)(1 + rnd(10)) * DAY;
            tr[nt++].webinar = 1;
        }
    }
    qsort(tr, nt, sizeof(*tr), cmp_tref);
    for (i = 0; i < nt; i += BATCH) {
        size_t m = nt - i < BATCH ? nt - i : BATCH;
        for (k = 0; k < m; k++) {
            const tref *x = &tr[i + k];
            fnl_touch t = FNL_TOUCH_INIT;
            kb[k].kind = "email";
            kb[k].value = email[x->c];
            t.keys = &kb[k];
            t.key_count = 1;
            t.type = x->webinar ? "webinar_attend" : "visit";
            t.channel = channels[x->c % 8];
            t.campaign = camp[(x->c / 8) % 20];
            t.time = x->t;
            tb[k] = t;
        }
        if (fnl_touch_add_batch(e, tb, m, NULL) != FNL_OK)
            die(e, "ingest");
    }
    for (i = 0; i < n; i++)
        if (fnl_contact_find(e, "email", email[i], &ids[i]) != FNL_OK)
            die(e, "find");
    t1 = now_ms();
    printf("built %zu contacts, %zu touches in %.0f ms\n", n, nt, t1 - t0);

    /* host events day by day, a weekly tick; every 50th contact is merged
     * into the next one on day 100 */
    t0 = now_ms();
    for (day = 1; day <= 150; day++) {
        int64_t now = T0 + day * DAY;
        for (i = (size_t)((day - 1) % 7); i < n; i += 7) {
            fnl_stage_status s = FNL_STAGE_STATUS_INIT;
            const char *evn = NULL, *why = NULL;
            uint32_t x = rnd(100);
            if (fnl_contact_stage(e, ids[i], &s) != FNL_OK ||
                s.entered > now - 2 * DAY)
                continue;
            if (strcmp(s.name, "mql") == 0)
                evn = x < 45 ? "sales_accept" : x < 65 ? "sales_reject" : NULL;
            else if (strcmp(s.name, "sal") == 0)
                evn = x < 50 ? "sales_qualify" : x < 60 ? "sales_reject"
                                                       : NULL;
            else if (strcmp(s.name, "sql") == 0)
                evn = x < 40 ? "opportunity_created" : NULL;
            else if (strcmp(s.name, "opportunity") == 0)
                evn = x < 30 ? "deal_won" : x < 55 ? "deal_lost" : NULL;
            if (evn == NULL)
                continue;
            if (strcmp(evn, "sales_reject") == 0)
                why = reasons[rnd(5)];
            if (fnl_contact_event(e, ids[i], evn, why, now) != FNL_OK)
                die(e, "event");
            nevents++;
        }
        if (day % 7 == 0 && fnl_engine_tick(e, now) != FNL_OK)
            die(e, "tick");
        if (day == 100)
            for (i = 0; i + 1 < n; i += 50) {
                fnl_contact_update u = FNL_CONTACT_UPDATE_INIT;
                fnl_key two[2];
                two[0].kind = "email";
                two[0].value = email[i];
                two[1].kind = "email";
                two[1].value = email[i + 1];
                u.keys = two;
                u.key_count = 2;
                u.time = now;
                if (fnl_contact_upsert(e, &u, NULL) != FNL_OK)
                    die(e, "merge");
            }
    }
    if (fnl_engine_tick(e, T0 + 150 * DAY) != FNL_OK)
        die(e, "tick");
    events_ms = now_ms() - t0;
    for (i = 0; i < n; i++) {
        fnl_stage_status s = FNL_STAGE_STATUS_INIT;
        if (fnl_contact_stage(e, ids[i], &s) == FNL_OK)
            nrecs += s.history;
    }
    fnl_engine_stats(e, &st);
    printf("%zu host events, 22 ticks and %llu merges in %.0f ms; engine "
           "memory %.0f MB; %.1f history records per contact\n",
           nevents, (unsigned long long)st.merges, events_ms,
           (double)st.memory_bytes / 1e6, (double)nrecs / (double)n);

    printf("reports (CPU time, the state above):\n");
    {
        fnl_stage_funnel_request q = FNL_STAGE_FUNNEL_REQUEST_INIT;
        fnl_stage_pair pairs[2] = {{"mql", "sql", 0.15, 0.25},
                                   {"mql", "recycled", -1, -1}};
        fnl_report *r = NULL;
        size_t need = 0;
        char *js;
        q.as_of = T0 + 150 * DAY;
        t0 = now_ms();
        rc = fnl_report_stage_funnel(e, &q, &r);
        report_line(e, "funnel, all time, no grouping", rc, r,
                    now_ms() - t0);
        q.from = T0;
        q.to = T0 + 60 * DAY;
        q.group_by = FNL_STAGE_BY_CHANNEL;
        q.pairs = pairs;
        q.pair_count = 2;
        t0 = now_ms();
        rc = fnl_report_stage_funnel(e, &q, &r);
        t1 = now_ms();
        if (rc != FNL_OK)
            die(e, "funnel");
        printf("  %-44s %8.1f ms  %6zu rows\n",
               "funnel, 60 days, by channel, 2 pairs", t1 - t0,
               fnl_report_row_count(r));
        t0 = now_ms();
        fnl_report_json(r, NULL, 0, &need);
        js = malloc(need);
        if (js != NULL)
            fnl_report_json(r, js, need, NULL);
        t1 = now_ms();
        printf("  %-44s %8.1f ms  %6zu bytes\n", "  its JSON", t1 - t0, need);
        free(js);
        fnl_report_free(r);
    }
    {
        fnl_stage_cohort_request q = FNL_STAGE_COHORT_REQUEST_INIT;
        fnl_report *r = NULL;
        q.stage = "mql";
        q.as_of = T0 + 150 * DAY;
        t0 = now_ms();
        rc = fnl_report_stage_cohort(e, &q, &r);
        report_line(e, "cohort by MQL month, 4 targets x 4 ages", rc, r,
                    now_ms() - t0);
    }
    {
        fnl_stage_time_to_convert_request q =
            FNL_STAGE_TIME_TO_CONVERT_REQUEST_INIT;
        fnl_report *r = NULL;
        q.from_stage = "mql";
        q.to_stage = "sql";
        q.as_of = T0 + 150 * DAY;
        t0 = now_ms();
        rc = fnl_report_stage_time_to_convert(e, &q, &r);
        report_line(e, "time to convert MQL -> SQL", rc, r, now_ms() - t0);
    }
    {
        fnl_rejection_request q = FNL_REJECTION_REQUEST_INIT;
        fnl_report *r = NULL;
        t0 = now_ms();
        rc = fnl_report_rejections(e, &q, &r);
        report_line(e, "rejections by channel", rc, r, now_ms() - t0);
    }
    {
        fnl_stage_counts_request q = FNL_STAGE_COUNTS_REQUEST_INIT;
        fnl_stage_counts *c = NULL;
        size_t nc = 0;
        q.as_of = T0 + 150 * DAY;
        t0 = now_ms();
        rc = fnl_engine_stage_counts(e, &q, &c, &nc);
        t1 = now_ms();
        if (rc != FNL_OK)
            die(e, "stage counts");
        printf("  %-44s %8.1f ms  %6zu groups\n", "stage counts for ROI",
               t1 - t0, nc);
        fnl_stage_counts_free(c);
    }
    fnl_machine_free(ma);
    fnl_model_free(mo);
    fnl_engine_close(e);
    free(ids);
    free(email);
    free(camp);
    free(tr);
    free(tb);
    free(kb);
    return 0;
}
