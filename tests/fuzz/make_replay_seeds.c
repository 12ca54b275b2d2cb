/* make_replay_seeds -- writes fuzz_replay seeds from a real engine's
 * journal: a stage machine, touches, host events, ticks, owners and deal
 * attributes.  argv[1]: mode-0 output (records as they are), argv[2]:
 * mode-1 output (a selector byte for kind and precedence, then the body).
 * Not built by default; the seeds in corpus/replay were made with
 *
 *   cc -std=c11 -Iinclude -Itests tests/fuzz/make_replay_seeds.c \
 *      -Lbuild/src -lfunnelcore -o make_replay_seeds
 *   LD_LIBRARY_PATH=build/src ./make_replay_seeds \
 *      tests/fuzz/corpus/replay/stages-events-owner \
 *      tests/fuzz/corpus/replay/headers-stages-events-owner
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "teststore.h"
#include "funnelcore.h"

#define DAY 86400000LL
static int64_t now_ms = 1741424400000LL; /* 2025-03-08T09:00:00Z */
static int64_t clk(void *ctx) { (void)ctx; return now_ms; }

#define OK(x) do { int rc_ = (x); if (rc_ != FNL_OK) { \
    fprintf(stderr, "%s:%d: %s -> %d %s\n", __FILE__, __LINE__, #x, rc_, \
            fnl_errmsg(e)); exit(1); } } while (0)

static fnl_contact_id touch(fnl_engine *e, const char *email,
                            const char *type, const char *ch, int64_t t)
{
    fnl_touch tc = FNL_TOUCH_INIT;
    fnl_key k = {"email", email};
    fnl_contact_id id = 0;
    tc.keys = &k;
    tc.key_count = 1;
    tc.time = t;
    tc.type = type;
    tc.channel = ch;
    OK(fnl_touch_add(e, &tc, &id));
    return id;
}

int main(int argc, char **argv)
{
    teststore ts;
    fnl_clock c = {FNL_CLOCK_VERSION, NULL, clk};
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_engine *e = NULL;
    fnl_machine *m = NULL;
    fnl_contact_id a, b;
    FILE *f0, *f1;
    size_t i;
    if (argc != 3)
        return 2;
    ts_init(&ts);
    cfg.clock = &c;
    cfg.storage = &ts.table;
    if (fnl_engine_open(&e, &cfg) != FNL_OK)
        return 1;
    OK(fnl_machine_default(&m, NULL));
    OK(fnl_engine_attach_machine(e, m));
    fnl_machine_free(m);
    {
        static const char text[] =
            "model lead\n"
            "fit title contains director +10\n"
            "engage type = pricing_view +5 cap 25\n"
            "key_event \"p3\" when type = pricing_view count 3 within 7d +20\n"
            "threshold mql when score >= 40\n";
        fnl_model *md = NULL;
        OK(fnl_model_parse(&md, text, sizeof(text) - 1, NULL, NULL));
        OK(fnl_engine_attach_model(e, md, NULL));
        fnl_model_free(md);
    }
    a = touch(e, "ann@acme.com", "trial_request", "web", now_ms);
    touch(e, "ann@acme.com", "webinar_attend", "webinar", now_ms + 1000);
    b = touch(e, "bo@beta.io", "visit", "web", now_ms + 2000);
    for (i = 0; i < 5; i++) /* key event p3, then threshold mql */
        touch(e, "bo@beta.io", "pricing_view", "web",
              now_ms + 3000 + (int64_t)i * 3600000);
    OK(fnl_contact_event(e, a, "sales_accept", NULL, now_ms + DAY));
    OK(fnl_contact_event(e, b, "sales_reject", "no budget", now_ms + DAY));
    now_ms += 40 * DAY;
    OK(fnl_engine_tick(e, FNL_TIME_NOW));
    {
        fnl_owner_update u = FNL_OWNER_UPDATE_INIT;
        fnl_attr at[2];
        memset(at, 0, sizeof(at));
        at[0].name = "manager";
        at[0].type = FNL_ATTR_STRING;
        at[0].str = "Cara";
        at[1].name = "quota";
        at[1].type = FNL_ATTR_NUMBER;
        at[1].num = 12;
        u.name = "Mia";
        u.attrs = at;
        u.attr_count = 2;
        u.time = now_ms;
        OK(fnl_owner_upsert(e, &u));
    }
    OK(fnl_contact_event(e, a, "deal_won", NULL, FNL_TIME_NOW));
    fnl_engine_close(e);
    f0 = fopen(argv[1], "wb");
    f1 = fopen(argv[2], "wb");
    if (f0 == NULL || f1 == NULL)
        return 1;
    fputc(0, f0);
    fputc(1, f1);
    for (i = 0; i < ts.nrecs; i++) {
        const unsigned char *p = ts.recs[i].p;
        size_t n = ts.recs[i].n, n1 = n - 2;
        fprintf(stderr, "record %zu: kind %u, %zu bytes\n", i + 1, p[0], n);
        fputc((int)(n & 0xff), f0);
        fputc((int)(n >> 8), f0);
        fwrite(p, 1, n, f0);
        /* mode 1: selector (kind - 1, precedence in the top bit), body */
        fputc((int)(n1 & 0xff), f1);
        fputc((int)(n1 >> 8), f1);
        fputc((int)((p[0] - 1) | (p[2] ? 0x80 : 0)), f1);
        fwrite(p + 3, 1, n - 3, f1);
    }
    fclose(f0);
    fclose(f1);
    ts_free(&ts);
    return 0;
}
