/* sqlite_demo.c -- run an engine on the SQLite store (sqlite_store.c):
 * ingest contacts, touches and deals, checkpoint, ingest more, close,
 * reopen the same database file and check that the state came back.
 *
 *   sqlite_demo [path.db]     (default: a fresh file in $TMPDIR, removed
 *                              at the end; a path you give is kept)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sqlite_store.h"

static const char *const people[][3] = {
    /* e-mail, cookie, title */
    {"ana@acme.com", "c-1", "CTO"},
    {"bo@acme.com", "c-2", "Engineer"},
    {"chen@beta.io", "c-3", "VP Sales"},
    {"dee@gmail.com", "c-4", "Founder"},
    {"eli@gamma.cn", "c-5", "Buyer"},
};
#define NPEOPLE (sizeof(people) / sizeof(people[0]))
#define DAY INT64_C(86400000)
#define T0 INT64_C(1767225600000) /* 2026-01-01 */

static int fail(fnl_engine *e, const char *what, int rc)
{
    fprintf(stderr, "%s: %s (%s)\n", what, fnl_strerror(rc),
            e != NULL ? fnl_errmsg(e) : "");
    return 1;
}

/* Profiles, then one visit and one form per person. */
static int ingest_people(fnl_engine *e, int64_t t)
{
    size_t i;
    int rc;
    for (i = 0; i < NPEOPLE; i++) {
        fnl_contact_update u = FNL_CONTACT_UPDATE_INIT;
        fnl_key k[2] = {{"email", people[i][0]}, {"cookie_id", people[i][1]}};
        fnl_attr a = {"title", FNL_ATTR_STRING, people[i][2], 0};
        fnl_touch tv = FNL_TOUCH_INIT, tf = FNL_TOUCH_INIT;
        u.keys = k, u.key_count = 2, u.attrs = &a, u.attr_count = 1;
        u.source = "crm", u.time = t;
        if ((rc = fnl_contact_upsert(e, &u, NULL)) != FNL_OK)
            return fail(e, "contact", rc);
        tv.keys = &k[1], tv.key_count = 1, tv.time = t + (int64_t)i * 1000;
        tv.url = "https://acme.com/pricing?utm_source=google&utm_medium=cpc";
        tf.keys = k, tf.key_count = 2, tf.time = tv.time + DAY;
        tf.type = "form_submit", tf.channel = "email";
        if ((rc = fnl_touch_add(e, &tv, NULL)) != FNL_OK ||
            (rc = fnl_touch_add(e, &tf, NULL)) != FNL_OK)
            return fail(e, "touch", rc);
    }
    return 0;
}

static int ingest_deal(fnl_engine *e, const char *id, const char *email,
                       int64_t amount, uint32_t status, int64_t t)
{
    fnl_deal_update d = FNL_DEAL_UPDATE_INIT;
    fnl_deal_contact dc = {0, {"email", NULL}, FNL_ROLE_DECISION_MAKER};
    int rc;
    dc.key.value = email;
    d.id = id, d.contacts = &dc, d.contact_count = 1;
    d.amount = amount, d.currency = "EUR", d.created = t;
    d.status = status, d.closed = status != FNL_DEAL_OPEN ? t + 7 * DAY : 0;
    d.stage = status == FNL_DEAL_OPEN ? "Proposal" : NULL;
    if ((rc = fnl_deal_upsert(e, &d, NULL)) != FNL_OK)
        return fail(e, "deal", rc);
    return 0;
}

static void print_stats(const char *when, const fnl_stats *s)
{
    printf("%-22s contacts=%llu accounts=%llu touches=%llu deals=%llu "
           "journal_seq=%llu\n", when, (unsigned long long)s->contacts,
           (unsigned long long)s->accounts, (unsigned long long)s->touches,
           (unsigned long long)s->deals, (unsigned long long)s->journal_seq);
}

static int open_engine(const char *path, fnl_storage **st, fnl_engine **e)
{
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    char err[256];
    int rc = sqlite_storage_open_ex(st, path, NULL, err, sizeof(err));
    if (rc != FNL_OK) {
        fprintf(stderr, "sqlite store %s: %s (%s)\n", path, fnl_strerror(rc),
                err);
        return 1;
    }
    cfg.storage = *st;
    cfg.errbuf = err, cfg.errbuf_size = sizeof(err);
    if ((rc = fnl_engine_open(e, &cfg)) != FNL_OK) {
        fprintf(stderr, "engine: %s (%s; store: %s)\n", fnl_strerror(rc), err,
                sqlite_storage_errmsg(*st));
        fnl_storage_close(*st);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    char dir[512] = "", path[600];
    fnl_storage *st;
    fnl_engine *e;
    fnl_stats before = FNL_STATS_INIT, after = FNL_STATS_INIT;
    int rc, bad;

    if (argc > 1) {
        snprintf(path, sizeof(path), "%s", argv[1]);
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof(dir), "%s/fnl-sqlite-demo-XXXXXX",
                 tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
        if (mkdtemp(dir) == NULL) {
            perror("mkdtemp");
            return 1;
        }
        snprintf(path, sizeof(path), "%s/funnel.db", dir);
    }

    /* 1. ingest, checkpoint (snapshot into the database, journal
     *    truncated), ingest more (a journal tail after the snapshot) */
    if (open_engine(path, &st, &e) != 0)
        return 1;
    bad = ingest_people(e, T0) ||
          ingest_deal(e, "OPP-1", "ana@acme.com", 4800000, FNL_DEAL_WON,
                      T0 + 3 * DAY);
    if (!bad && (rc = fnl_engine_checkpoint(e)) != FNL_OK)
        bad = fail(e, "checkpoint", rc);
    if (!bad)
        bad = ingest_deal(e, "OPP-2", "chen@beta.io", 1200000, FNL_DEAL_OPEN,
                          T0 + 5 * DAY) ||
              ingest_deal(e, "OPP-1", "bo@acme.com", 4800000, FNL_DEAL_WON,
                          T0 + 3 * DAY);
    if (!bad) {
        /* a returning visitor, still anonymous */
        fnl_touch t = FNL_TOUCH_INIT;
        fnl_key k = {"cookie_id", "c-99"};
        t.keys = &k, t.key_count = 1, t.time = T0 + 9 * DAY;
        t.referrer = "https://www.linkedin.com/feed";
        if ((rc = fnl_touch_add(e, &t, NULL)) != FNL_OK)
            bad = fail(e, "touch", rc);
    }
    if (!bad && (rc = fnl_engine_sync(e)) != FNL_OK)
        bad = fail(e, "sync", rc);
    fnl_engine_stats(e, &before);
    fnl_engine_close(e);
    fnl_storage_close(st);
    if (bad)
        return 1;
    print_stats("before close:", &before);

    /* 2. reopen from the same file: the snapshot is loaded and the journal
     *    tail replayed */
    if (open_engine(path, &st, &e) != 0)
        return 1;
    fnl_engine_stats(e, &after);
    fnl_engine_close(e);
    fnl_storage_close(st);
    print_stats("after reopen:", &after);

    bad = before.contacts != after.contacts ||
          before.accounts != after.accounts ||
          before.touches != after.touches || before.deals != after.deals ||
          before.journal_seq != after.journal_seq;
    printf("state %s (%s)\n", bad ? "DIFFERS" : "matches", path);
    if (dir[0] != '\0') {
        char p[640];
        static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
        size_t i;
        for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
            snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
            unlink(p);
        }
        rmdir(dir);
    }
    return bad ? 1 : 0;
}
