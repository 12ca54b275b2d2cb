/* bench_reports.c -- timings of the report module (no assertions).
 *
 *   bench_reports [deals]
 *
 * Builds an engine with a realistic deal count (default 200,000 deals, 35
 * owners, 2,000 accounts with a sector, about 40 % won / 35 % lost / 25 %
 * open, amounts in USD and EUR) and 5,000 cost records on 20 channels over
 * two years, plus a 20-channel revenue attribution; then times the full
 * report set the CLI runs: ROI (with currency conversion and a range),
 * spend by month, funnel and velocity by owner and by sector, monthly
 * cohorts, time to convert, and the JSON rendering of each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "funnelcore.h"
#include "funnelcore.h"

#define DAY INT64_C(86400000)
#define T0 INT64_C(1672531200000) /* 2023-01-01 */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng(uint64_t *s)
{
    uint64_t x = *s += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

static size_t json_len(const fnl_report *r, double *secs)
{
    size_t n = 0;
    char *b;
    double t = now();
    fnl_report_json(r, NULL, 0, &n);
    b = malloc(n);
    if (b)
        fnl_report_json(r, b, n, NULL);
    free(b);
    *secs += now() - t;
    return n;
}

int main(int argc, char **argv)
{
    size_t ndeals = argc > 1 ? (size_t)atol(argv[1]) : 200000, i;
    static const char *const sectors[] = {"tech", "medical", "retail",
                                          "finance", "software", "telecom"};
    const char *chan[20];
    char chbuf[20][16];
    uint64_t seed = 42;
    fnl_engine *e;
    fnl_fx *fx;
    fnl_journeys *j;
    fnl_attribution *rev = NULL;
    fnl_report *r;
    double t, total = 0, js = 0;
    size_t bytes = 0;

    if (fnl_engine_open(&e, NULL) != FNL_OK || fnl_fx_new(&fx, NULL) != FNL_OK)
        return 1;
    fnl_fx_add(fx, "EUR", "USD", 1.08, 0, 0);
    for (i = 0; i < 2000; i++) {
        fnl_account_update u = FNL_ACCOUNT_UPDATE_INIT;
        fnl_attr a = {"sector", FNL_ATTR_STRING, NULL, 0};
        char id[32];
        snprintf(id, sizeof(id), "acct%zu", i);
        a.str = sectors[i % 6];
        u.id = id;
        u.attrs = &a;
        u.attr_count = 1;
        u.time = T0;
        fnl_account_upsert(e, &u, NULL);
    }
    t = now();
    for (i = 0; i < ndeals; i++) {
        fnl_deal_update u = FNL_DEAL_UPDATE_INIT;
        char id[32], owner[32], acct[32];
        uint64_t x = rng(&seed);
        snprintf(id, sizeof(id), "D%zu", i);
        snprintf(owner, sizeof(owner), "agent%02u", (unsigned)(x % 35));
        snprintf(acct, sizeof(acct), "acct%u", (unsigned)((x >> 8) % 2000));
        u.id = id;
        u.owner = owner;
        u.account = acct;
        u.created = T0 + (int64_t)((x >> 20) % 700) * DAY;
        u.amount = (int64_t)((x >> 32) % 1000000);
        u.currency = (x >> 50) % 5 == 0 ? "EUR" : "USD";
        switch ((x >> 54) % 20) {
        case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7:
            u.status = FNL_DEAL_WON;
            u.stage = "Won";
            break;
        case 8: case 9: case 10: case 11: case 12: case 13: case 14:
            u.status = FNL_DEAL_LOST;
            u.stage = "Lost";
            break;
        default:
            u.status = FNL_DEAL_OPEN;
            u.stage = (x >> 60) % 2 ? "Engaging" : "Prospecting";
        }
        if (u.status != FNL_DEAL_OPEN)
            u.closed = u.created + (int64_t)(rng(&seed) % 180) * DAY;
        fnl_deal_upsert(e, &u, NULL);
    }
    printf("ingest: %zu deals in %.2f s (not part of the report figures)\n",
           ndeals, now() - t);
    for (i = 0; i < 20; i++) {
        snprintf(chbuf[i], sizeof(chbuf[i]), "channel%02zu", i);
        chan[i] = chbuf[i];
    }
    for (i = 0; i < 5000; i++) {
        fnl_cost c = FNL_COST_INIT;
        uint64_t x = rng(&seed);
        c.channel = chan[x % 20];
        c.region = (x >> 8) % 2 ? "emea" : "amer";
        c.start = T0 + (int64_t)((x >> 16) % 700) * DAY;
        c.end = c.start + (int64_t)(1 + (x >> 32) % 60) * DAY;
        c.amount = (int64_t)((x >> 40) % 10000000);
        c.currency = (x >> 60) % 2 ? "EUR" : "USD";
        fnl_cost_add(e, &c, NULL);
    }
    fnl_journeys_new(&j, 0, NULL);
    for (i = 0; i < 20; i++) {
        fnl_journey jr = FNL_JOURNEY_INIT;
        jr.groups = &chan[i];
        jr.touch_count = 1;
        jr.conversions = 100 + i;
        jr.value = (int64_t)(1000000 * (i + 1));
        fnl_journeys_add(j, &jr);
    }
    fnl_attribution_run(&rev, j, FNL_ATTR_FIRST_TOUCH, NULL);

    {
        fnl_roi_request q = FNL_ROI_REQUEST_INIT;
        q.fx = fx;
        q.revenue = rev;
        q.from = T0 + 90 * DAY;
        q.to = T0 + 455 * DAY;
        t = now();
        fnl_report_roi(e, &q, &r);
        t = now() - t;
        total += t;
        bytes += json_len(r, &js);
        printf("roi by channel (5,000 costs, range, fx): %7.1f ms, %zu rows\n",
               t * 1e3, fnl_report_row_count(r));
        fnl_report_free(r);
    }
    {
        fnl_spend_request q = FNL_SPEND_REQUEST_INIT;
        q.fx = fx;
        t = now();
        fnl_report_spend(e, &q, &r);
        t = now() - t;
        total += t;
        bytes += json_len(r, &js);
        printf("spend by channel x month:                %7.1f ms, %zu rows\n",
               t * 1e3, fnl_report_row_count(r));
        fnl_report_free(r);
    }
    {
        fnl_deal_report_request q = FNL_DEAL_REPORT_REQUEST_INIT;
        fnl_stage_probability sp[2] = {{"Prospecting", 0.1},
                                       {"Engaging", 0.3}};
        q.fx = fx;
        q.group_by = FNL_DEAL_BY_OWNER;
        q.as_of = T0 + 720 * DAY;
        q.stage_probabilities = sp;
        q.stage_probability_count = 2;
        t = now();
        fnl_report_deals(e, &q, &r);
        t = now() - t;
        total += t;
        bytes += json_len(r, &js);
        printf("funnel + velocity by owner:              %7.1f ms, %zu rows\n",
               t * 1e3, fnl_report_row_count(r));
        fnl_report_free(r);
        q.group_by = FNL_DEAL_BY_ACCOUNT_ATTR;
        q.group_attr = "sector";
        t = now();
        fnl_report_deals(e, &q, &r);
        t = now() - t;
        total += t;
        bytes += json_len(r, &js);
        printf("funnel + velocity by account sector:     %7.1f ms, %zu rows\n",
               t * 1e3, fnl_report_row_count(r));
        fnl_report_free(r);
    }
    {
        fnl_cohort_request q = FNL_COHORT_REQUEST_INIT;
        q.fx = fx;
        q.as_of = T0 + 720 * DAY;
        t = now();
        fnl_report_cohort(e, &q, &r);
        t = now() - t;
        total += t;
        bytes += json_len(r, &js);
        printf("cohorts by created month:                %7.1f ms, %zu rows\n",
               t * 1e3, fnl_report_row_count(r));
        fnl_report_free(r);
    }
    {
        fnl_time_to_convert_request q = FNL_TIME_TO_CONVERT_REQUEST_INIT;
        q.as_of = T0 + 720 * DAY;
        t = now();
        fnl_report_time_to_convert(e, &q, &r);
        t = now() - t;
        total += t;
        bytes += json_len(r, &js);
        printf("time to convert (Kaplan-Meier):          %7.1f ms, %zu rows\n",
               t * 1e3, fnl_report_row_count(r));
        fnl_report_free(r);
    }
    printf("JSON rendering of all reports:           %7.1f ms, %zu bytes\n",
           js * 1e3, bytes);
    printf("total (reports + JSON):                  %7.1f ms "
           "(target < 1000)\n", (total + js) * 1e3);
    fnl_attribution_free(rev);
    fnl_journeys_free(j);
    fnl_fx_free(fx);
    fnl_engine_close(e);
    return 0;
}
