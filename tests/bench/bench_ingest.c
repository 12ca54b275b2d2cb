/* bench_ingest -- touches/second and bytes per touch and per contact.
 *
 * Workload (defaults; override with argv: touches contacts batch
 * [model|stages|side]):
 * 10,000,000 touches for 1,000,000 contacts at 20,000 companies.  Every
 * contact is first seen through its business e-mail; every 20th (5 %) also
 * browses anonymously under a cookie first, and a later form fill carries
 * both keys, merging the two contacts.  Channels, campaigns and types are
 * drawn from small sets as in real traffic.  Touches go in batches through
 * fnl_touch_add_batch (and a run with single fnl_touch_add calls).  Input
 * strings are prepared before timing starts.
 *
 * "side" feeds every batch to three engines (bare; the model; the model
 * and the default machine), in an order that rotates per batch, and
 * reports the costs relative to bare: noise from other processes then
 * falls on all three alike, which separate runs cannot promise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "engine.h"
#include "funnelcore.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Size of the memory store's snapshot: read it back through the table. */
static size_t bench_snapshot_bytes(fnl_storage *st)
{
    static char buf[1 << 16];
    uint64_t seq;
    void *r;
    size_t total = 0, got = 0;
    if (st->snapshot_open(st->ctx, &seq, &r) != FNL_OK)
        return 0;
    do {
        if (st->snapshot_read(st->ctx, r, buf, sizeof(buf), &got) != FNL_OK)
            break;
        total += got;
    } while (got > 0);
    st->snapshot_close(st->ctx, r);
    return total;
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

/* Attach the model (and the default machine) to e. */
static int setup(fnl_engine *e, fnl_model *model, int with_stages)
{
    if (model != NULL && fnl_engine_attach_model(e, model, NULL) != FNL_OK)
        return 1;
    if (with_stages) {
        fnl_machine *m = NULL;
        if (fnl_machine_default(&m, NULL) != FNL_OK ||
            fnl_engine_attach_machine(e, m) != FNL_OK) {
            fprintf(stderr, "machine: %s\n", fnl_errmsg(e));
            fnl_machine_free(m);
            return 1;
        }
        fnl_machine_free(m);
    }
    return 0;
}

static const char *channels[] = {"paid_search", "organic_search", "email",
                                 "paid_social", "events", "referral",
                                 "display", "direct"};
static const char *types[] = {"visit", "email_open", "email_click",
                              "form_submit", "pricing_view",
                              "webinar_attend"};

int main(int argc, char **argv)
{
    size_t ntouch = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000000;
    size_t ncontact = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000000;
    size_t batch = argc > 3 ? strtoul(argv[3], NULL, 10) : 10000;
    /* argv[4] "model": ingest with the 30-rule scoring model attached,
     * then time a full rescore (re-attaching the model) */
    int side = argc > 4 && strcmp(argv[4], "side") == 0;
    int with_stages = argc > 4 && strcmp(argv[4], "stages") == 0;
    int with_model = side || with_stages ||
                     (argc > 4 && strcmp(argv[4], "model") == 0);
    fnl_engine *others[2] = {NULL, NULL}; /* side: model, model+machine */
    double other_s[2] = {0, 0};
    fnl_model *model = NULL;
    char *emails, *cookies, campaigns[200][16];
    fnl_key *ek, *ck, (*both)[2];
    fnl_touch *tb;
    fnl_key *bk; /* the batch's keys, copied next to each other, as a host
                    that just parsed its input would have them */
    char *bs;
    fnl_engine *e;
    fnl_stats st = FNL_STATS_INIT;
    double t0, t1, single_rate, in_lib = 0;
    fnl_storage *mem_store;
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    size_t i, done = 0, seeded = 0;
    size_t touch_bytes, other_bytes;

    emails = malloc(ncontact * 40);
    cookies = malloc(ncontact * 24);
    ek = malloc(ncontact * sizeof(*ek));
    ck = malloc(ncontact * sizeof(*ck));
    both = malloc(ncontact * sizeof(*both));
    tb = malloc(batch * sizeof(*tb));
    bk = malloc(batch * 2 * sizeof(*bk));
    bs = malloc(batch * 2 * 40);
    if (!emails || !cookies || !ek || !ck || !both || !tb || !bk || !bs)
        return 1;
    for (i = 0; i < ncontact; i++) {
        snprintf(emails + i * 40, 40, "user%07zu@company%05zu.com", i,
                 i % 20000);
        snprintf(cookies + i * 24, 24, "ck%09zu", i);
        ek[i].kind = "email";
        ek[i].value = emails + i * 40;
        ck[i].kind = "cookie_id";
        ck[i].value = cookies + i * 24;
        both[i][0] = ck[i];
        both[i][1] = ek[i];
    }
    for (i = 0; i < 200; i++)
        snprintf(campaigns[i], sizeof(campaigns[i]), "campaign-%03zu", i);

    if (fnl_storage_mem_open(&mem_store, NULL) != FNL_OK)
        return 1;
    cfg.storage = mem_store;
    if (fnl_engine_open(&e, NULL) != FNL_OK)
        return 1;
    if (with_model) {
        fnl_parse_error perr = FNL_PARSE_ERROR_INIT;
        if (fnl_model_parse(&model, model_text, strlen(model_text), NULL,
                            &perr) != FNL_OK) {
            fprintf(stderr, "model: %s\n", perr.message);
            return 1;
        }
    }
    /* "stages": the model and the default stage machine (its waterfall
     * reads the model's "mql" threshold) */
    if (setup(e, side ? NULL : model, with_stages))
        return 1;
    if (side && (fnl_engine_open(&others[0], NULL) != FNL_OK ||
                 fnl_engine_open(&others[1], NULL) != FNL_OK ||
                 setup(others[0], model, 0) || setup(others[1], model, 1)))
        return 1;
    t0 = now_s();
    while (done < ntouch) {
        size_t n = ntouch - done < batch ? ntouch - done : batch, j;
        for (j = 0; j < n; j++) {
            fnl_touch t = FNL_TOUCH_INIT;
            uint32_t r = next_rand();
            size_t c;
            t.time = 1700000000000 + (int64_t)(done + j) * 1000;
            t.channel = channels[r % 8];
            t.type = types[(r >> 3) % 6];
            t.campaign = campaigns[(r >> 6) % 200];
            if (seeded < 2 * ncontact) {
                /* first pass: every contact by e-mail, every 20th also
                 * anonymously by cookie */
                c = seeded / 2;
                if (seeded % 2 == 0) {
                    t.keys = &ek[c];
                } else if (c % 20 == 0) {
                    t.keys = &ck[c];
                } else {
                    t.keys = &ek[c];
                }
                t.key_count = 1;
                seeded++;
            } else {
                c = next_rand() % ncontact;
                if (c % 20 == 0 && (r & 0x3000) == 0) {
                    t.keys = both[c]; /* the form fill that merges */
                    t.key_count = 2;
                } else {
                    t.keys = &ek[c];
                    t.key_count = 1;
                }
            }
            {
                size_t q;
                for (q = 0; q < t.key_count; q++) {
                    char *dst = bs + (j * 2 + q) * 40;
                    snprintf(dst, 40, "%s", t.keys[q].value);
                    bk[j * 2 + q].kind = t.keys[q].kind;
                    bk[j * 2 + q].value = dst;
                }
                t.keys = &bk[j * 2];
            }
            tb[j] = t;
        }
        /* time only the library */
        {
            size_t k, first = (done / batch) % 3;
            for (k = 0; k < (side ? 3u : 1u); k++) {
                size_t w = side ? (first + k) % 3 : 0;
                fnl_engine *x = w == 0 ? e : others[w - 1];
                double a = now_s();
                if (fnl_touch_add_batch(x, tb, n, NULL) != FNL_OK) {
                    fprintf(stderr, "ingest failed: %s\n", fnl_errmsg(x));
                    return 1;
                }
                *(w == 0 ? &in_lib : &other_s[w - 1]) += now_s() - a;
            }
        }
        done += n;
    }
    t1 = now_s();
    if (side) {
        printf("side by side: %zu touches, batch %zu, %zu contacts; bare "
               "%.2f s, with the model %.2f s (%.2fx), with the model and "
               "the default machine %.2f s (%.2fx)\n",
               ntouch, batch, ncontact, in_lib, other_s[0],
               other_s[0] / in_lib, other_s[1], other_s[1] / in_lib);
        fnl_engine_close(others[0]);
        fnl_engine_close(others[1]);
        fnl_engine_close(e);
        fnl_storage_close(mem_store);
        goto out;
    }
    fnl_engine_stats(e, &st);

    touch_bytes = (size_t)e->touches.nchunks * TOUCH_CHUNK * 28 +
                  e->touches.cap * sizeof(fnli_tchunk) +
                  fnli_pool_bytes(&e->classes) +
                  fnli_map_bytes(&e->classmap);
    other_bytes = st.memory_bytes - touch_bytes;
    printf("ingest: %zu touches, %llu contacts (%llu merges), %llu accounts, "
           "batch %zu%s\n",
           ntouch, (unsigned long long)st.contacts,
           (unsigned long long)st.merges, (unsigned long long)st.accounts,
           batch,
           with_stages  ? ", 30-rule scoring model and default machine attached"
           : with_model ? ", 30-rule scoring model attached"
                        : "");
    printf("  %.2f s in fnl_touch_add_batch: %.2f M touches/s (%.2f s with "
           "building the input)\n",
           in_lib, (double)ntouch / in_lib / 1e6, t1 - t0);
    printf("  memory %.1f MB: touch store %.1f B/touch, the rest %.1f "
           "B/contact (keys, contacts, accounts, strings)\n",
           (double)st.memory_bytes / 1e6, (double)touch_bytes / (double)ntouch,
           (double)other_bytes / (double)st.contacts);
    printf("  of which: contacts %.1f, keys %.1f, key index %.1f, key bytes "
           "%.1f, accounts+strings %.1f B/contact\n",
           (double)fnli_pool_bytes(&e->contacts) / (double)st.contacts,
           (double)fnli_pool_bytes(&e->keys) / (double)st.contacts,
           (double)fnli_map_bytes(&e->keymap) / (double)st.contacts,
           (double)e->keybytes.bytes / (double)st.contacts,
           (double)(other_bytes - fnli_pool_bytes(&e->contacts) -
                    fnli_pool_bytes(&e->keys) - fnli_map_bytes(&e->keymap) -
                    e->keybytes.bytes) /
               (double)st.contacts);
    if (with_model) {
        double r0 = now_s();
        if (fnl_engine_attach_model(e, model, NULL) != FNL_OK)
            return 1;
        printf("  full rescore (re-attach): %.2f s for %llu contacts, %zu "
               "touches\n", now_s() - r0, (unsigned long long)st.contacts,
               ntouch);
    }
    /* Snapshot write and load.  The engine above ran without storage, so
     * ingest was measured without journaling; the bench (which links the
     * internals) attaches the memory store afterwards to time a checkpoint
     * of the full state and a load of it into a fresh engine. */
    e->storage = mem_store;
    {
        fnl_engine *l;
        size_t snap = 0;
        double w0 = now_s(), w1, l1;
        if (fnl_engine_checkpoint(e) != FNL_OK) {
            fprintf(stderr, "checkpoint: %s\n", fnl_errmsg(e));
            return 1;
        }
        w1 = now_s();
        if (fnl_engine_open(&l, &cfg) != FNL_OK)
            return 1;
        l1 = now_s();
        snap = bench_snapshot_bytes(mem_store);
        printf("  snapshot: %.1f MB written in %.2f s (%.0f MB/s), loaded in "
               "%.2f s (%.0f MB/s); %.2fx the in-memory footprint\n",
               (double)snap / 1e6, w1 - w0, (double)snap / 1e6 / (w1 - w0),
               l1 - w1, (double)snap / 1e6 / (l1 - w1),
               (double)snap / (double)st.memory_bytes);
        fnl_engine_close(l);
    }
    e->storage = NULL;
    fnl_engine_close(e);
    fnl_storage_close(mem_store);

    /* single calls on a fresh engine, 1,000,000 touches */
    if (fnl_engine_open(&e, NULL) != FNL_OK)
        return 1;
    {
        size_t m = ntouch < 1000000 ? ntouch : 1000000;
        t0 = now_s();
        for (i = 0; i < m; i++) {
            fnl_touch t = FNL_TOUCH_INIT;
            uint32_t r = next_rand();
            t.time = 1700000000000 + (int64_t)i;
            t.channel = channels[r % 8];
            t.type = types[(r >> 3) % 6];
            t.campaign = campaigns[(r >> 6) % 200];
            t.keys = &ek[next_rand() % ncontact];
            t.key_count = 1;
            if (fnl_touch_add(e, &t, NULL) != FNL_OK)
                return 1;
        }
        t1 = now_s();
        single_rate = (double)m / (t1 - t0) / 1e6;
        printf("  single fnl_touch_add calls: %.2f M touches/s\n",
               single_rate);
    }
    fnl_engine_close(e);
out:
    free(emails);
    free(cookies);
    free(ek);
    free(ck);
    free(both);
    free(tb);
    free(bk);
    free(bs);
    fnl_model_free(model);
    return 0;
}
