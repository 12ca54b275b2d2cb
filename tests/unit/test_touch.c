/* Touchpoints: UTM parsing, channel grouping, timelines, batches. */
#include "../dump.h"
#include "../test.h"
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

int main(void)
{
    RUN(utm_fields_come_from_the_url_and_name_the_channel);
    RUN(explicit_fields_win_over_the_url);
    RUN(builtin_grouping_covers_the_common_cases);
    RUN(host_rules_come_before_the_builtin_grouping);
    RUN(timeline_is_in_time_order_ties_in_arrival_order);
    RUN(a_batch_is_all_or_nothing);
    RUN(touches_follow_merges);
    RUN(touch_by_handle_and_bad_touches);
    TEST_MAIN_END();
}
