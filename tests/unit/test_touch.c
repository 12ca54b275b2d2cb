/* Touchpoints: UTM parsing, channel grouping, timelines, batches, the
 * actor of a touch ("by") and its journal encoding. */
#include "../dump.h"
#include "../failalloc.h"
#include "../teststore.h"
#include "../test.h"
#include "engine.h"
#include "funnelcore.h"

static fnl_touch mk(const char *email, int64_t time)
{
    static fnl_key keys[64];
    static int next;
    fnl_touch t = FNL_TOUCH_INIT;
    fnl_key *k = &keys[next++ % 64];
    k->kind = "email";
    k->value = email;
    t.keys = k;
    t.key_count = 1;
    t.time = time;
    return t;
}

TEST(utm_fields_come_from_the_url_and_name_the_channel)
{
    fnl_engine *e;
    fnl_touch t = mk("u@acme.com", 1000);
    fnl_touch_info ti[2];
    fnl_contact_id c;
    size_t n;
    CHECK_OK(fnl_engine_open(&e, NULL));
    t.url = "https://acme.com/pricing?utm_source=google&utm_medium=cpc"
            "&utm_campaign=spring%20launch&utm_term=crm+tool";
    t.type = "Pricing_View";
    t.value = 0;
    CHECK_OK(fnl_touch_add(e, &t, &c));
    CHECK_OK(fnl_contact_touches(e, c, ti, sizeof(ti[0]), 2, &n));
    CHECK_INT(n, 1);
    CHECK_STR(ti[0].type, "pricing_view");
    CHECK_STR(ti[0].channel, "paid_search");
    CHECK_STR(ti[0].utm_source, "google");
    CHECK_STR(ti[0].utm_medium, "cpc");
    CHECK_STR(ti[0].utm_campaign, "spring launch");
    CHECK_STR(ti[0].campaign, "spring launch");
    CHECK_STR(ti[0].utm_term, "crm tool");
    CHECK(ti[0].utm_content == NULL);
    CHECK(ti[0].content == NULL);
    CHECK_INT(ti[0].time, 1000);
    CHECK_INT(ti[0].contact, c);
    fnl_engine_close(e);
}

TEST(explicit_fields_win_over_the_url)
{
    fnl_engine *e;
    fnl_touch t = mk("v@acme.com", 1000);
    fnl_touch_info ti;
    fnl_contact_id c;
    size_t n;
    CHECK_OK(fnl_engine_open(&e, NULL));
    t.url = "https://acme.com/?utm_source=newsletter&utm_medium=email";
    t.utm_source = "partner-x";
    t.channel = "Partners";
    t.campaign = "Q3 co-marketing";
    CHECK_OK(fnl_touch_add(e, &t, &c));
    CHECK_OK(fnl_contact_touches(e, c, &ti, sizeof(ti), 1, &n));
    CHECK_STR(ti.channel, "Partners");
    CHECK_STR(ti.utm_source, "partner-x");
    CHECK_STR(ti.utm_medium, "email");
    CHECK_STR(ti.campaign, "Q3 co-marketing");
    CHECK_STR(ti.type, "visit");
    fnl_engine_close(e);
}

static const char *channel_of(fnl_engine *e, const char *url,
                              const char *referrer, const char *type)
{
    fnl_touch t = FNL_TOUCH_INIT;
    const char *ch = NULL;
    t.url = url;
    t.referrer = referrer;
    t.type = type;
    if (fnl_touch_channel(e, &t, &ch) != FNL_OK)
        return "(error)";
    return ch;
}

TEST(builtin_grouping_covers_the_common_cases)
{
    fnl_engine *e;
    CHECK_OK(fnl_engine_open(&e, NULL));
    CHECK_STR(channel_of(e, "https://a.com/", NULL, NULL), "direct");
    CHECK_STR(channel_of(e, "https://a.com/", "https://www.google.com/", NULL),
              "organic_search");
    CHECK_STR(channel_of(e, "https://a.com/", "https://www.baidu.com/s?wd=x",
                         NULL),
              "organic_search");
    CHECK_STR(channel_of(e, "https://a.com/", "https://news.site.org/a", NULL),
              "referral");
    CHECK_STR(channel_of(e, "https://a.com/?utm_medium=email", NULL, NULL),
              "email");
    CHECK_STR(channel_of(e, "https://a.com/?utm_source=linkedin&utm_medium=cpc",
                         NULL, NULL),
              "paid_social");
    CHECK_STR(channel_of(e, "https://a.com/?utm_medium=display", NULL, NULL),
              "display");
    CHECK_STR(channel_of(e, NULL, NULL, "webinar_attend"), "events");
    fnl_engine_close(e);
}

TEST(host_rules_come_before_the_builtin_grouping)
{
    fnl_channel_rule rules[2] = {
        {FNL_FIELD_UTM_SOURCE, "wecom*", "wecom"},
        {FNL_FIELD_REFERRER_HOST, "www.partner.cn", "partner"}};
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_engine *e;
    cfg.channel_rules = rules;
    cfg.channel_rule_count = 2;
    CHECK_OK(fnl_engine_open(&e, &cfg));
    CHECK_STR(channel_of(e, "https://a.com/", "https://WWW.partner.cn/x", NULL),
              "partner");
    CHECK_STR(channel_of(e, "https://a.com/?utm_source=WeCom_Group&utm_medium=cpc",
                         NULL, NULL),
              "wecom");
    CHECK_STR(channel_of(e, "https://a.com/?utm_source=google&utm_medium=cpc",
                         NULL, NULL),
              "paid_search");
    fnl_engine_close(e);
}

TEST(timeline_is_in_time_order_ties_in_arrival_order)
{
    fnl_engine *e;
    fnl_touch t[4];
    fnl_touch_info ti[4];
    fnl_contact_info ci = FNL_CONTACT_INFO_INIT;
    fnl_contact_id c[4];
    int64_t times[4] = {300, 100, 200, 100};
    size_t i, n;
    CHECK_OK(fnl_engine_open(&e, NULL));
    for (i = 0; i < 4; i++) {
        t[i] = mk("w@acme.com", times[i]);
        t[i].channel = "seo";
        t[i].value = (int64_t)i + 1; /* the arrival position */
    }
    CHECK_OK(fnl_touch_add_batch(e, t, 4, c));
    CHECK_INT(c[0], c[3]);
    CHECK_OK(fnl_contact_touches(e, c[0], ti, sizeof(ti[0]), 4, &n));
    CHECK_INT(n, 4);
    CHECK_INT(ti[0].time, 100);
    CHECK_INT(ti[0].value, 2);
    CHECK_INT(ti[1].time, 100);
    CHECK_INT(ti[1].value, 4);
    CHECK_INT(ti[2].time, 200);
    CHECK_INT(ti[3].time, 300);
    CHECK_INT(fnl_contact_touches(e, c[0], ti, sizeof(ti[0]), 3, &n),
              FNL_ERANGE);
    CHECK_INT(n, 4);
    CHECK_OK(fnl_contact_get(e, c[0], &ci));
    CHECK_INT(ci.touch_count, 4);
    CHECK_INT(ci.first_touch, 100);
    CHECK_INT(ci.last_touch, 300);
    fnl_engine_close(e);
}

TEST(a_batch_is_all_or_nothing)
{
    fnl_engine *e;
    fnl_touch t[3];
    char *before, *after;
    fnl_stats st = FNL_STATS_INIT;
    CHECK_OK(fnl_engine_open(&e, NULL));
    t[0] = mk("x1@acme.com", 10);
    CHECK_OK(fnl_touch_add(e, &t[0], NULL));
    before = dump_engine(e);
    t[0] = mk("x2@acme.com", 20);
    t[1] = mk("x3@beta.io", 30);
    t[2] = mk("x4@acme.com", 40);
    t[2].value = -1;
    CHECK_INT(fnl_touch_add_batch(e, t, 3, NULL), FNL_EINVAL);
    CHECK(strstr(fnl_errmsg(e), "touch 2") != NULL);
    after = dump_engine(e);
    CHECK_STR(after, before);
    free(after);
    /* elements of different sizes are refused */
    t[2].value = 0;
    t[1].size = (uint32_t)offsetof(fnl_touch, value);
    CHECK_INT(fnl_touch_add_batch(e, t, 3, NULL), FNL_EINVAL);
    after = dump_engine(e);
    CHECK_STR(after, before);
    free(after);
    t[1].size = sizeof(fnl_touch);
    CHECK_OK(fnl_touch_add_batch(e, t, 3, NULL));
    CHECK_OK(fnl_engine_stats(e, &st));
    CHECK_INT(st.touches, 4);
    CHECK_INT(st.contacts, 4);
    CHECK_INT(st.accounts, 2);
    free(before);
    fnl_engine_close(e);
}

TEST(touches_follow_merges)
{
    fnl_engine *e;
    fnl_touch t = FNL_TOUCH_INIT;
    fnl_key ck = {"cookie_id", "anon-7"};
    fnl_key both[2] = {{"cookie_id", "anon-7"}, {"email", "y@acme.com"}};
    fnl_touch_info ti[3];
    fnl_contact_id anon, known, merged;
    size_t n;
    CHECK_OK(fnl_engine_open(&e, NULL));
    t = mk("y@acme.com", 500);
    t.channel = "email";
    CHECK_OK(fnl_touch_add(e, &t, &known));
    t = mk("unused@acme.com", 100);
    t.keys = &ck;
    t.channel = "seo";
    CHECK_OK(fnl_touch_add(e, &t, &anon));
    CHECK(anon != known);
    t.keys = both;
    t.key_count = 2;
    t.time = 900;
    t.type = "form_submit";
    t.channel = "seo";
    CHECK_OK(fnl_touch_add(e, &t, &merged));
    CHECK_INT(merged, known);
    CHECK_OK(fnl_contact_touches(e, anon, ti, sizeof(ti[0]), 3, &n));
    CHECK_INT(n, 3);
    CHECK_INT(ti[0].time, 100);
    CHECK_STR(ti[0].channel, "seo");
    CHECK_INT(ti[1].time, 500);
    CHECK_INT(ti[2].time, 900);
    CHECK_STR(ti[2].type, "form_submit");
    CHECK_INT(ti[0].contact, known);
    fnl_engine_close(e);
}

TEST(touch_by_handle_and_bad_touches)
{
    fnl_engine *e;
    fnl_touch t = FNL_TOUCH_INIT;
    fnl_contact_id c, c2;
    CHECK_OK(fnl_engine_open(&e, NULL));
    t = mk("z@acme.com", 10);
    CHECK_OK(fnl_touch_add(e, &t, &c));
    t.keys = NULL;
    t.key_count = 0;
    t.contact = c;
    CHECK_OK(fnl_touch_add(e, &t, &c2));
    CHECK_INT(c, c2);
    t.contact = 0;
    CHECK_INT(fnl_touch_add(e, &t, NULL), FNL_EINVAL);
    t.contact = c + 77;
    CHECK_INT(fnl_touch_add(e, &t, NULL), FNL_ENOTFOUND);
    t.contact = c;
    t.time = FNL_TIME_MAX + 1;
    CHECK_INT(fnl_touch_add(e, &t, NULL), FNL_EINVAL);
    t.time = 5;
    t.type = "has space";
    CHECK_INT(fnl_touch_add(e, &t, NULL), FNL_EINVAL);
    t.type = NULL;
    t.campaign = "\xed\xa0\x80"; /* a UTF-16 surrogate */
    CHECK_INT(fnl_touch_add(e, &t, NULL), FNL_EINVAL);
    t.campaign = NULL;
    CHECK_INT(fnl_touch_add_batch(e, NULL, 1, NULL), FNL_EINVAL);
    CHECK_OK(fnl_touch_add_batch(e, &t, 0, NULL));
    fnl_engine_close(e);
}

/* ---- the actor of a touch ------------------------------------------------ */

static fnl_touch by_touch(const fnl_key *k, int64_t time, const char *type,
                          const char *channel, const char *by)
{
    fnl_touch t = FNL_TOUCH_INIT;
    t.keys = k;
    t.key_count = 1;
    t.time = time;
    t.type = type;
    t.channel = channel;
    t.by = by;
    return t;
}

TEST(the_actor_is_kept_and_read_back)
{
    static const fnl_key ann = {"email", "ann@acme.com"};
    fnl_engine *e;
    fnl_contact_update u = FNL_CONTACT_UPDATE_INIT;
    fnl_touch t[4];
    fnl_touch_info ti[4];
    fnl_contact_id c;
    uint32_t ci, alice;
    size_t n;
    CHECK_OK(fnl_engine_open(&e, NULL));
    u.keys = &ann;
    u.key_count = 1;
    u.owner = "alice";
    u.time = 10;
    CHECK_OK(fnl_contact_upsert(e, &u, &c));
    /* touch indices 1..4 in arrival order */
    t[0] = by_touch(&ann, 100, "call", "sales", "alice");
    t[1] = by_touch(&ann, 200, "call", "sales", "bob");
    t[2] = by_touch(&ann, 300, "call", "sales", NULL);
    t[3] = by_touch(&ann, 400, "call", "sales", "alice");
    CHECK_OK(fnl_touch_add_batch(e, t, 4, NULL));
    CHECK_OK(fnl_contact_touches(e, c, ti, sizeof(ti[0]), 4, &n));
    CHECK_INT(n, 4);
    CHECK_STR(ti[0].by, "alice");
    CHECK_STR(ti[1].by, "bob");
    CHECK(ti[2].by == NULL);
    CHECK_STR(ti[3].by, "alice");
    /* the actor is no dimension: the four touches read the same */
    for (n = 0; n < 4; n++) {
        CHECK_STR(ti[n].type, "call");
        CHECK_STR(ti[n].channel, "sales");
        CHECK(ti[n].campaign == NULL);
    }
    /* classes: (call, sales) by alice, by bob, by nobody: 3, plus the
     * reserved index 0 */
    CHECK_INT(e->classes.count, 4);
    /* the integrator's accessor: the owner's string id for alice's touches */
    CHECK_OK(fnl_contact_resolve(e, c, &c));
    ci = (uint32_t)c;
    alice = CONTACT(e, ci)->owner;
    CHECK(alice != 0);
    CHECK_INT(fnli_touch_by(e, 1), alice);
    CHECK(fnli_touch_by(e, 2) != alice && fnli_touch_by(e, 2) != 0);
    CHECK_INT(fnli_touch_by(e, 3), 0);
    CHECK_INT(fnli_touch_by(e, 4), alice);
    /* byte for byte: "Alice" is someone else */
    t[0] = by_touch(&ann, 500, "call", "sales", "Alice");
    CHECK_OK(fnl_touch_add(e, &t[0], NULL));
    CHECK(fnli_touch_by(e, 5) != alice);
    fnl_engine_close(e);
}

TEST(a_bad_actor_is_refused_and_changes_nothing)
{
    static const fnl_key k = {"email", "ann@acme.com"};
    static char big[FNL_MAX_STRING + 2];
    fnl_engine *e;
    fnl_touch t[2];
    fnl_touch_info ti[2];
    fnl_contact_id c;
    char *before, *after;
    size_t n;
    CHECK_OK(fnl_engine_open(&e, NULL));
    t[0] = by_touch(&k, 100, "call", "sales", "alice");
    CHECK_OK(fnl_touch_add(e, &t[0], &c));
    before = dump_engine(e);
    t[0] = by_touch(&k, 200, "call", "sales", "bob");
    t[1] = by_touch(&k, 300, "call", "sales", "");
    CHECK_INT(fnl_touch_add_batch(e, t, 2, NULL), FNL_EINVAL);
    CHECK_STR(fnl_errmsg(e), "invalid argument: touch 1: touch by: empty");
    t[1].by = "\xc3\x28"; /* a lead byte without its continuation */
    CHECK_INT(fnl_touch_add_batch(e, t, 2, NULL), FNL_EINVAL);
    CHECK(strstr(fnl_errmsg(e), "touch by: invalid UTF-8") != NULL);
    memset(big, 'x', FNL_MAX_STRING + 1);
    t[1].by = big;
    CHECK_INT(fnl_touch_add_batch(e, t, 2, NULL), FNL_EINVAL);
    CHECK(strstr(fnl_errmsg(e), "touch by: longer than 4096 bytes") != NULL);
    after = dump_engine(e);
    CHECK_STR(after, before);
    free(after);
    free(before);
    /* FNL_MAX_STRING bytes exactly is fine */
    big[FNL_MAX_STRING] = '\0';
    CHECK_OK(fnl_touch_add_batch(e, t, 2, NULL));
    CHECK_INT(fnl_contact_touches(e, c, ti, sizeof(ti[0]), 2, &n),
              FNL_ERANGE);
    CHECK_INT(n, 3);
    {
        fnl_touch_info all[3];
        CHECK_OK(fnl_contact_touches(e, c, all, sizeof(all[0]), 3, &n));
        CHECK_STR(all[0].by, "alice");
        CHECK_STR(all[1].by, "bob");
        CHECK_INT(strlen(all[2].by), FNL_MAX_STRING);
    }
    /* the channel question reads no actor, so a bad one does not matter */
    {
        const char *ch = NULL;
        t[0].by = "";
        t[0].channel = NULL;
        t[0].type = "webinar_attend";
        CHECK_OK(fnl_touch_channel(e, &t[0], &ch));
        CHECK_STR(ch, "events");
    }
    fnl_engine_close(e);
}

/* A host built against the first release passes the smaller structs. */
TEST(callers_of_the_first_release_keep_working)
{
    static const fnl_key k = {"email", "old@acme.com"};
    const size_t old_touch = offsetof(fnl_touch, by);
    const size_t old_info = offsetof(fnl_touch_info, by);
    unsigned char arr[2 * sizeof(fnl_touch)];
    unsigned char out[2 * sizeof(fnl_touch_info) + 16];
    fnl_engine *e;
    fnl_touch t;
    fnl_touch_info first, second;
    fnl_contact_id c;
    size_t n, i;
    CHECK(old_touch < sizeof(fnl_touch));
    CHECK(old_info < sizeof(fnl_touch_info));
    CHECK_OK(fnl_engine_open(&e, NULL));
    /* two old-size touches back to back; an old caller has no `by`, so
     * whatever follows its struct in memory must not be read as one */
    memset(arr, 0xAB, sizeof(arr));
    for (i = 0; i < 2; i++) {
        t = by_touch(&k, 100 + (int64_t)i, "call", "sales", "ghost");
        t.size = (uint32_t)old_touch;
        memcpy(arr + i * old_touch, &t, old_touch);
    }
    CHECK_OK(fnl_touch_add_batch(e, (const fnl_touch *)(void *)arr, 2, NULL));
    CHECK_OK(fnl_contact_find(e, "email", "old@acme.com", &c));
    /* read back into old-size elements: nothing past them is written */
    memset(out, 0xCD, sizeof(out));
    CHECK_OK(fnl_contact_touches(e, c, (fnl_touch_info *)(void *)out,
                                 old_info, 2, &n));
    CHECK_INT(n, 2);
    for (i = 2 * old_info; i < sizeof(out); i++)
        CHECK_INT(out[i], 0xCD);
    memset(&first, 0, sizeof(first));
    memset(&second, 0, sizeof(second));
    memcpy(&first, out, old_info);
    memcpy(&second, out + old_info, old_info);
    CHECK_INT(first.size, old_info);
    CHECK_INT(first.time, 100);
    CHECK_STR(first.type, "call");
    CHECK_INT(second.time, 101);
    CHECK_STR(second.channel, "sales");
    /* and read with today's struct, neither touch has an actor */
    {
        fnl_touch_info now[2];
        CHECK_OK(fnl_contact_touches(e, c, now, sizeof(now[0]), 2, &n));
        CHECK(now[0].by == NULL && now[1].by == NULL);
    }
    fnl_engine_close(e);
}

/* ---- the TOUCHES record, encoded by hand -------------------------------- */

typedef struct hbuf {
    unsigned char b[1024];
    size_t n;
} hbuf;

static void h_uv(hbuf *w, uint64_t v)
{
    do {
        unsigned char c = (unsigned char)(v & 0x7f);
        v >>= 7;
        w->b[w->n++] = (unsigned char)(c | (v ? 0x80 : 0));
    } while (v);
}

static void h_str(hbuf *w, const char *s)
{
    size_t n;
    if (s == NULL) {
        h_uv(w, 0);
        return;
    }
    n = strlen(s);
    h_uv(w, n + 1);
    memcpy(w->b + w->n, s, n);
    w->n += n;
}

/* One touch of the first format: time (zigzag), value, keys, contact 0,
 * type, channel, campaign, content and five UTM fields (none here),
 * account (none), the business domain. */
static void h_touch(hbuf *w, int64_t time, const char *email,
                    const char *type, const char *channel,
                    const char *domain)
{
    int i;
    h_uv(w, (uint64_t)time << 1); /* zigzag of a positive time */
    h_uv(w, 0);
    h_uv(w, 1);
    h_str(w, "email");
    h_str(w, email);
    h_uv(w, 0);
    h_str(w, type);
    h_str(w, channel);
    for (i = 0; i < 7; i++)
        h_str(w, NULL);
    h_str(w, NULL);
    h_str(w, domain);
}

/* kind TOUCHES (2), record version 1, precedence 0 (latest), n, touches:
 * (call, sales) for ann@acme.com at 100, 200, 300 */
static void h_three_calls(hbuf *w)
{
    w->n = 0;
    w->b[w->n++] = 2;
    w->b[w->n++] = 1;
    w->b[w->n++] = 0;
    h_uv(w, 3);
    h_touch(w, 100, "ann@acme.com", "call", "sales", "acme.com");
    h_touch(w, 200, "ann@acme.com", "call", "sales", "acme.com");
    h_touch(w, 300, "ann@acme.com", "call", "sales", "acme.com");
}

static int three_calls(fnl_engine *e, const char *b0, const char *b1,
                       const char *b2)
{
    static const fnl_key k = {"email", "ann@acme.com"};
    fnl_touch t[3];
    t[0] = by_touch(&k, 100, "call", "sales", b0);
    t[1] = by_touch(&k, 200, "call", "sales", b1);
    t[2] = by_touch(&k, 300, "call", "sales", b2);
    return fnl_touch_add_batch(e, t, 3, NULL);
}

static int journal_equals(const teststore *ts, size_t i, const hbuf *w)
{
    return ts->nrecs > i && ts->recs[i].n == w->n &&
           memcmp(ts->recs[i].p, w->b, w->n) == 0;
}

TEST(without_actors_the_record_is_the_first_format)
{
    teststore ts;
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_engine *e, *r;
    hbuf w;
    char *de, *dr;
    ts_init(&ts);
    cfg.storage = &ts.table;
    CHECK_OK(fnl_engine_open(&e, &cfg));
    CHECK_OK(three_calls(e, NULL, NULL, NULL));
    h_three_calls(&w);
    CHECK(journal_equals(&ts, 0, &w));
    /* with actors on touches 0 and 2: the same bytes, then section 1
     * with two pairs: (skip 0, "alice"), (skip 1, "bob") */
    CHECK_OK(three_calls(e, "alice", NULL, "bob"));
    h_uv(&w, 1);
    h_uv(&w, 2);
    h_uv(&w, 0);
    h_str(&w, "alice");
    h_uv(&w, 1);
    h_str(&w, "bob");
    CHECK(journal_equals(&ts, 1, &w));
    /* replayed, both records give the live state */
    CHECK_OK(fnl_engine_open(&r, &cfg));
    de = dump_engine(e);
    dr = dump_engine(r);
    CHECK_STR(dr, de);
    CHECK(strstr(dr, " by=alice\n") != NULL && strstr(dr, " by=bob\n"));
    free(de);
    free(dr);
    fnl_engine_close(r);
    fnl_engine_close(e);
    ts_free(&ts);
}

/* A record written by hand (as an older library wrote it, or with an
 * actor section) replayed into a fresh engine: its status. */
static int replay_bytes(const hbuf *w, char *err, size_t errn,
                        char **dump)
{
    teststore ts;
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_engine *e = NULL;
    int rc;
    ts_init(&ts);
    ts_append(&ts, 1, w->b, w->n);
    cfg.storage = &ts.table;
    cfg.errbuf = err;
    cfg.errbuf_size = errn;
    rc = fnl_engine_open(&e, &cfg);
    if (rc == FNL_OK && dump != NULL)
        *dump = dump_engine(e);
    fnl_engine_close(e);
    ts_free(&ts);
    return rc;
}

TEST(actor_sections_are_checked_when_replayed)
{
    hbuf w, base;
    char err[512], *d = NULL;
    h_three_calls(&base);
    /* the first format: no actors */
    CHECK_OK(replay_bytes(&base, err, sizeof(err), &d));
    CHECK(strstr(d, "by=") == NULL);
    CHECK(strstr(d, "touches=3") != NULL);
    free(d);
    /* one pair, on the last touch (skip 2) */
    w = base;
    h_uv(&w, 1);
    h_uv(&w, 1);
    h_uv(&w, 2);
    h_str(&w, "carol");
    d = NULL;
    CHECK_OK(replay_bytes(&w, err, sizeof(err), &d));
    CHECK(strstr(d, "touch 300 call sales - - -/-/-/-/- 0 by=carol\n"));
    CHECK(strstr(d, "touch 200 call sales - - -/-/-/-/- 0\n"));
    free(d);
    /* skip past the last touch */
    w = base;
    h_uv(&w, 1);
    h_uv(&w, 1);
    h_uv(&w, 3);
    h_str(&w, "carol");
    CHECK_INT(replay_bytes(&w, err, sizeof(err), NULL), FNL_ECORRUPT);
    CHECK(strstr(err, "journal record 1") != NULL);
    /* two pairs whose second runs past the end (0, then 0 + 1 + 2 = 3) */
    w = base;
    h_uv(&w, 1);
    h_uv(&w, 2);
    h_uv(&w, 0);
    h_str(&w, "a");
    h_uv(&w, 2);
    h_str(&w, "b");
    CHECK_INT(replay_bytes(&w, err, sizeof(err), NULL), FNL_ECORRUPT);
    /* no pairs, more pairs than touches, an empty or absent actor */
    w = base;
    h_uv(&w, 1);
    h_uv(&w, 0);
    CHECK_INT(replay_bytes(&w, err, sizeof(err), NULL), FNL_ECORRUPT);
    w = base;
    h_uv(&w, 1);
    h_uv(&w, 4);
    CHECK_INT(replay_bytes(&w, err, sizeof(err), NULL), FNL_ECORRUPT);
    w = base;
    h_uv(&w, 1);
    h_uv(&w, 1);
    h_uv(&w, 0);
    h_str(&w, "");
    CHECK_INT(replay_bytes(&w, err, sizeof(err), NULL), FNL_ECORRUPT);
    w = base;
    h_uv(&w, 1);
    h_uv(&w, 1);
    h_uv(&w, 0);
    h_str(&w, NULL);
    CHECK_INT(replay_bytes(&w, err, sizeof(err), NULL), FNL_ECORRUPT);
    /* cut inside the section, and a byte after it */
    w = base;
    h_uv(&w, 1);
    h_uv(&w, 1);
    h_uv(&w, 0);
    h_str(&w, "carol");
    w.n -= 2;
    CHECK_INT(replay_bytes(&w, err, sizeof(err), NULL), FNL_ECORRUPT);
    w.n += 2;
    w.b[w.n++] = 0;
    CHECK_INT(replay_bytes(&w, err, sizeof(err), NULL), FNL_ECORRUPT);
    /* a section this library does not know: a newer writer */
    w = base;
    h_uv(&w, 2);
    h_uv(&w, 0);
    CHECK_INT(replay_bytes(&w, err, sizeof(err), NULL), FNL_EVERSION);
    CHECK(strstr(err, "journal record 1") != NULL);
}

/* Fail the 1st, 2nd, ... allocation of a journaled batch that brings new
 * actors until it succeeds: enough of them (300 new strings and classes,
 * a record several times longer) to grow the string table, the class
 * pool and map, the scratch arena and the record buffer.  Every failure is
 * FNL_ENOMEM with the engine and the journal unchanged. */
TEST(allocation_failures_in_an_actor_batch_change_nothing)
{
    static fnl_key k[300];
    static fnl_touch t[300];
    static char ids[300][32], reps[300][48];
    teststore ts;
    failalloc fa = {-1, 0, 0, 0, 0};
    fnl_allocator a = fa_table(&fa);
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_engine *e, *r;
    long n, failures = 0;
    char *before, *after;
    int rc = FNL_ENOMEM, i;
    for (i = 0; i < 300; i++) {
        snprintf(ids[i], sizeof(ids[i]), "u%d@corp%d.com", i, i % 7);
        snprintf(reps[i], sizeof(reps[i]), "sales-rep-number-%03d", i);
        k[i].kind = "email";
        k[i].value = ids[i];
        /* every 3rd touch has no actor; the others each a new one */
        t[i] = by_touch(&k[i], 1000 + i, i % 2 ? "call" : "meeting",
                        "sales", i % 3 ? reps[i] : NULL);
    }
    ts_init(&ts);
    cfg.allocator = &a;
    cfg.storage = &ts.table;
    CHECK_OK(fnl_engine_open(&e, &cfg));
    CHECK_OK(three_calls(e, "alice", NULL, NULL));
    before = dump_engine(e);
    for (n = 0; rc == FNL_ENOMEM && n < 10000; n++) {
        fa_arm(&fa, n, 0);
        rc = fnl_touch_add_batch(e, t, 300, NULL);
        fa_disarm(&fa);
        if (rc == FNL_ENOMEM) {
            failures++;
            CHECK_INT(ts.nrecs, 1);
            after = dump_engine(e);
            CHECK_STR(after, before);
            free(after);
        }
    }
    CHECK_OK(rc);
    CHECK(failures >= 5);
    CHECK_INT(ts.nrecs, 2);
    after = dump_engine(e);
    CHECK(strstr(after, " by=sales-rep-number-001\n") &&
          strstr(after, " by=sales-rep-number-299\n") &&
          !strstr(after, " by=sales-rep-number-000\n"));
    CHECK_OK(fnl_engine_open(&r, &cfg));
    free(before);
    before = dump_engine(r);
    CHECK_STR(before, after);
    fnl_engine_close(r);
    fnl_engine_close(e);
    CHECK_INT(fa.outstanding, 0);
    free(before);
    free(after);
    ts_free(&ts);
}

/* A caller built before fnl_touch_info had `by` passes its smaller
 * elements to the model functions; they must still be read. */
TEST(model_scoring_reads_touch_infos_of_the_size_before_by)
{
    static const char *txt = "model m\nengage type = webinar_attend +10\n";
    fnl_model *m = NULL;
    fnl_parse_error err = FNL_PARSE_ERROR_INIT;
    fnl_score_result r = FNL_SCORE_RESULT_INIT;
    size_t old = offsetof(fnl_touch_info, by);
    unsigned char buf[2 * sizeof(fnl_touch_info)];
    fnl_touch_info t;
    size_t i;
    CHECK_OK(fnl_model_parse(&m, txt, strlen(txt), NULL, &err));
    memset(buf, 0, sizeof(buf));
    for (i = 0; i < 2; i++) {
        memset(&t, 0, sizeof(t));
        t.size = (uint32_t)old;
        t.time = INT64_C(1767225600000) + (int64_t)i;
        t.type = "webinar_attend";
        t.channel = "web";
        memcpy(buf + i * old, &t, old);
    }
    CHECK_OK(fnl_model_score(m, NULL, 0, (const fnl_touch_info *)(void *)buf,
                             old, 2, INT64_C(1767225600000) + 10, &r));
    CHECK(r.engagement == 20.0);
    /* anything smaller than the first release's element is refused */
    CHECK_INT(fnl_model_score(m, NULL, 0,
                              (const fnl_touch_info *)(void *)buf,
                              offsetof(fnl_touch_info, type), 2,
                              INT64_C(1767225600000), &r),
              FNL_EINVAL);
    fnl_model_free(m);
}

int main(void)
{
    RUN(model_scoring_reads_touch_infos_of_the_size_before_by);
    RUN(utm_fields_come_from_the_url_and_name_the_channel);
    RUN(explicit_fields_win_over_the_url);
    RUN(builtin_grouping_covers_the_common_cases);
    RUN(host_rules_come_before_the_builtin_grouping);
    RUN(timeline_is_in_time_order_ties_in_arrival_order);
    RUN(a_batch_is_all_or_nothing);
    RUN(touches_follow_merges);
    RUN(touch_by_handle_and_bad_touches);
    RUN(the_actor_is_kept_and_read_back);
    RUN(a_bad_actor_is_refused_and_changes_nothing);
    RUN(callers_of_the_first_release_keep_working);
    RUN(without_actors_the_record_is_the_first_format);
    RUN(actor_sections_are_checked_when_replayed);
    RUN(allocation_failures_in_an_actor_batch_change_nothing);
    TEST_MAIN_END();
}
