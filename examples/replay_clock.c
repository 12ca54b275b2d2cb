/*
 * replay_clock.c -- a deterministic clock for replaying history.
 *
 * Every mutation that is not given a time (FNL_TIME_NOW) is stamped with
 * the engine clock's now: a contact's `created`, a touch's time, a deal's
 * `created`.  Replaying a dated event log through the system clock would
 * stamp everything "today".  Here the host owns the clock: a fnl_clock
 * whose now() returns a variable the program sets to each event's date
 * before applying it, so every stamp is the event's own date and two
 * replays of the same log give exactly the same engine.
 *
 * The program replays the log twice, checks every stamp against the log
 * and the two replays against each other, prints what it found and exits
 * non-zero on any mismatch (it is the meson test 'example_replay_clock').
 *
 * Copyright (c) 2026 the funnelcore authors.  MIT licence.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "funnelcore.h"

/* ---- the clock ----------------------------------------------------------- */

typedef struct replay_clock {
    int64_t now; /* ms since the epoch; the program advances it */
    uint64_t reads;
} replay_clock;

static int64_t replay_now(void *ctx)
{
    replay_clock *c = ctx;
    c->reads++;
    return c->now;
}

/* ---- dates ---------------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* "YYYY-MM-DDTHH:MM:SSZ" -> ms; -1 when malformed. */
static int64_t parse_iso(const char *s)
{
    int y, mo, d, h, mi, se;
    char z;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &se,
               &z) != 7 || z != 'Z')
        return -1;
    return ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000LL +
           se * 1000LL;
}

static void format_iso(int64_t ms, char out[32])
{
    int64_t z = ms / 86400000, sec = (ms % 86400000) / 1000;
    int64_t era, doe, yoe, y, doy, mp, d, m;
    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02dZ", (int)(y + (m <= 2)),
             (int)m, (int)d, (int)(sec / 3600), (int)(sec / 60 % 60),
             (int)(sec % 60));
}

/* ---- the event log -------------------------------------------------------- */

typedef enum { EV_TOUCH, EV_PROFILE, EV_DEAL_OPEN, EV_DEAL_WON } ev_kind;

typedef struct event {
    const char *when; /* the only time in the log: the clock reads it */
    ev_kind kind;
    const char *key_kind, *key_value, *key2_kind, *key2_value;
    const char *type, *url, *attr; /* touch type / url; profile title */
    const char *deal;
    int64_t amount; /* minor units */
} event;

static const event LOG[] = {
    {"2026-03-02T09:00:00Z", EV_TOUCH, "cookie_id", "ck-1", NULL, NULL,
     "page_view", "https://acme.example/?utm_source=google&utm_medium=cpc",
     NULL, NULL, 0},
    {"2026-03-02T09:05:00Z", EV_TOUCH, "cookie_id", "ck-1", "email",
     "ann@acme.com", "form_submit", NULL, NULL, NULL, 0},
    {"2026-03-04T14:30:00Z", EV_PROFILE, "email", "ann@acme.com", NULL, NULL,
     NULL, NULL, "CTO", NULL, 0},
    {"2026-03-09T10:00:00Z", EV_DEAL_OPEN, "email", "ann@acme.com", NULL,
     NULL, NULL, NULL, NULL, "OPP-7", 4800000},
    {"2026-03-20T16:45:00Z", EV_TOUCH, "email", "ann@acme.com", NULL, NULL,
     "meeting", NULL, NULL, NULL, 0},
    {"2026-04-15T11:00:00Z", EV_DEAL_WON, "email", "ann@acme.com", NULL,
     NULL, NULL, NULL, NULL, "OPP-7", 4800000},
};
#define NLOG (sizeof(LOG) / sizeof(LOG[0]))

static int apply(fnl_engine *e, const event *ev, int64_t now)
{
    fnl_key keys[2];
    size_t nk = 1;
    keys[0].kind = ev->key_kind, keys[0].value = ev->key_value;
    if (ev->key2_kind != NULL) {
        keys[1].kind = ev->key2_kind, keys[1].value = ev->key2_value;
        nk = 2;
    }
    if (ev->kind == EV_TOUCH) {
        fnl_touch t = FNL_TOUCH_INIT; /* time: FNL_TIME_NOW */
        t.keys = keys, t.key_count = nk, t.type = ev->type, t.url = ev->url;
        return fnl_touch_add(e, &t, NULL);
    }
    if (ev->kind == EV_PROFILE) {
        fnl_contact_update u = FNL_CONTACT_UPDATE_INIT; /* FNL_TIME_NOW */
        fnl_attr a = {"title", FNL_ATTR_STRING, NULL, 0};
        a.str = ev->attr;
        u.keys = keys, u.key_count = nk, u.attrs = &a, u.attr_count = 1;
        return fnl_contact_upsert(e, &u, NULL);
    } else {
        fnl_deal_update d = FNL_DEAL_UPDATE_INIT; /* created: FNL_TIME_NOW */
        fnl_deal_contact dc;
        fnl_deal_id id;
        memset(&dc, 0, sizeof(dc));
        dc.key = keys[0], dc.role = FNL_ROLE_DECISION_MAKER;
        d.id = ev->deal, d.account = "acme.com", d.amount = ev->amount;
        d.currency = "EUR", d.contacts = &dc, d.contact_count = 1;
        if (ev->kind == EV_DEAL_WON) {
            fnl_deal_info info;
            memset(&info, 0, sizeof(info));
            info.size = sizeof(info);
            /* an update replaces every field: keep the created time */
            if (fnl_deal_find(e, ev->deal, &id) != FNL_OK ||
                fnl_deal_get(e, id, &info) != FNL_OK)
                return FNL_ENOTFOUND;
            d.created = info.created;
            d.status = FNL_DEAL_WON;
            d.closed = now; /* `closed` has no FNL_TIME_NOW: the clock's */
        }
        return fnl_deal_upsert(e, &d, NULL);
    }
}

typedef struct result {
    int64_t created, first, last, deal_created, deal_closed, now;
    uint64_t touches, events_seen, clock_reads;
    char title[32];
} result;

static uint64_t g_events;
static int64_t g_last_event_time;

static void on_event(void *ctx, const fnl_event *ev)
{
    (void)ctx;
    g_events++;
    g_last_event_time = ev->time;
}

static int replay(result *r)
{
    replay_clock rc = {0, 0};
    fnl_clock clock = {FNL_CLOCK_VERSION, NULL, replay_now};
    fnl_listener listener = {FNL_LISTENER_VERSION, NULL, on_event};
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_engine *e;
    fnl_contact_id c;
    fnl_deal_id d;
    fnl_contact_info ci = FNL_CONTACT_INFO_INIT;
    fnl_deal_info di;
    fnl_attr title;
    size_t i;
    clock.ctx = &rc;
    cfg.clock = &clock, cfg.listener = &listener;
    g_events = 0;
    if (fnl_engine_open(&e, &cfg) != FNL_OK)
        return -1;
    for (i = 0; i < NLOG; i++) {
        uint64_t before = g_events;
        rc.now = parse_iso(LOG[i].when); /* advance the clock, then apply */
        if (rc.now < 0 || apply(e, &LOG[i], rc.now) != FNL_OK) {
            fprintf(stderr, "event %zu: %s\n", i, fnl_errmsg(e));
            fnl_engine_close(e);
            return -1;
        }
        /* listener events are stamped by the same clock */
        if (g_events != before && g_last_event_time != rc.now) {
            fprintf(stderr, "event %zu: listener saw another time\n", i);
            fnl_engine_close(e);
            return -1;
        }
    }
    memset(&di, 0, sizeof(di));
    di.size = sizeof(di);
    if (fnl_contact_find(e, "email", "ann@acme.com", &c) != FNL_OK ||
        fnl_contact_get(e, c, &ci) != FNL_OK ||
        fnl_contact_attr(e, c, "title", &title) != FNL_OK ||
        fnl_deal_find(e, "OPP-7", &d) != FNL_OK ||
        fnl_deal_get(e, d, &di) != FNL_OK ||
        fnl_engine_now(e, &r->now) != FNL_OK) {
        fnl_engine_close(e);
        return -1;
    }
    r->created = ci.created, r->first = ci.first_touch;
    r->last = ci.last_touch, r->touches = ci.touch_count;
    r->deal_created = di.created, r->deal_closed = di.closed;
    r->events_seen = g_events, r->clock_reads = rc.reads;
    snprintf(r->title, sizeof(r->title), "%s", title.str ? title.str : "");
    fnl_engine_close(e);
    return 0;
}

static int expect(const char *what, int64_t got, const char *when)
{
    char g[32];
    format_iso(got, g);
    printf("  %-14s %s %s\n", what, g, got == parse_iso(when) ? "ok" :
                                                               "MISMATCH");
    return got == parse_iso(when) ? 0 : 1;
}

int main(void)
{
    result a, b;
    int bad = 0;
    char now[32];
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    if (replay(&a) != 0 || replay(&b) != 0) {
        fprintf(stderr, "replay failed\n");
        return 1;
    }
    format_iso(a.now, now);
    printf("replayed %zu events; the engine clock reads %s\n", NLOG, now);
    printf("contact ann@acme.com (title %s, %llu touches):\n", a.title,
           (unsigned long long)a.touches);
    bad |= expect("created", a.created, LOG[0].when);
    bad |= expect("first touch", a.first, LOG[0].when);
    bad |= expect("last touch", a.last, LOG[4].when);
    printf("deal OPP-7:\n");
    bad |= expect("created", a.deal_created, LOG[3].when);
    bad |= expect("closed (won)", a.deal_closed, LOG[5].when);
    bad |= a.now != parse_iso(LOG[NLOG - 1].when);
    bad |= a.touches != 3 || strcmp(a.title, "CTO") != 0;
    printf("sales cycle %.4g days\n",
           (double)(a.deal_closed - a.deal_created) / 86400000.0);
    if (memcmp(&a, &b, sizeof(a)) != 0) {
        printf("second replay differs\n");
        bad = 1;
    } else {
        printf("second replay identical (%llu listener events, %llu clock "
               "reads each)\n", (unsigned long long)a.events_seen,
               (unsigned long long)a.clock_reads);
    }
    return bad ? 1 : 0;
}
