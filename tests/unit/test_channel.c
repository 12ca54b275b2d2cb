/* test_channel.c -- the built-in channel grouping (one or more cases per
 * row of the rule table in channel.c / docs/channels.md), host classes,
 * host-rule pattern matching and rule fields. */
#include "test.h"
#include "channel.h"

typedef struct ch_case {
    int row; /* the rule table row the case exercises */
    const char *source, *medium, *campaign, *type, *referrer, *url;
    const char *want;
} ch_case;

static const ch_case ch_cases[] = {
    /* 1: paid social mediums */
    {1, "linkedin", "paid_social", NULL, NULL, NULL, NULL, "paid_social"},
    {1, NULL, "Paid-Social", NULL, NULL, NULL, NULL, "paid_social"},
    {1, "google", "socialpaid", NULL, NULL, NULL, NULL, "paid_social"},
    /* 2: paid search mediums */
    {2, "google", "cpc", "brand", NULL, NULL, NULL, "paid_search"},
    {2, "Baidu", "CPC", NULL, NULL, NULL, NULL, "paid_search"},
    {2, "bing", "ppc", NULL, NULL, NULL, NULL, "paid_search"},
    {2, "sogou", "sem", NULL, NULL, NULL, NULL, "paid_search"},
    {2, "360", "sem", NULL, NULL, NULL, NULL, "paid_search"},
    {2, "sm.cn", "cpc", NULL, NULL, NULL, NULL, "paid_search"},
    {2, "partner", "cpc", NULL, NULL, NULL, NULL, "paid_search"},
    {2, NULL, "sea", NULL, NULL, NULL, NULL, "paid_search"},
    {2, "google", "paid_search", NULL, "webinar_attend", NULL, NULL,
     "paid_search"},
    {2, "linkedin", "cpc", NULL, NULL, NULL, NULL, "paid_social"},
    {2, "LinkedIn", "PPC", NULL, NULL, NULL, NULL, "paid_social"},
    {2, "wechat", "paid", NULL, NULL, NULL, NULL, "paid_social"},
    {2, "m.facebook.com", "cpc", NULL, NULL, NULL, NULL, "paid_social"},
    {2, "douyin_ads", "cpc", NULL, NULL, NULL, NULL, "paid_social"},
    /* 3: display mediums */
    {3, "google", "display", NULL, NULL, NULL, NULL, "display"},
    {3, "dv360", "programmatic", NULL, NULL, NULL, NULL, "display"},
    {3, NULL, "retargeting", NULL, NULL, NULL, NULL, "display"},
    {3, "techtarget", "CPM", NULL, NULL, NULL, NULL, "display"},
    {3, "facebook", "cpm", NULL, NULL, NULL, NULL, "paid_social"},
    {3, "weibo", "banner", NULL, NULL, NULL, NULL, "paid_social"},
    /* 4: e-mail mediums */
    {4, "newsletter", "email", NULL, NULL, NULL, NULL, "email"},
    {4, NULL, "E-Mail", NULL, NULL, NULL, NULL, "email"},
    {4, "mailchimp", "edm", NULL, NULL, NULL, NULL, "email"},
    {4, "google", "newsletter", NULL, NULL, NULL, NULL, "email"},
    /* 5: social mediums */
    {5, "weixin", "social", NULL, NULL, NULL, NULL, "organic_social"},
    {5, "x", "social-network", NULL, NULL, NULL, NULL, "organic_social"},
    {5, "zhihu", "sm", NULL, NULL, NULL, NULL, "organic_social"},
    {5, NULL, "SNS", NULL, NULL, NULL, NULL, "organic_social"},
    /* 6: organic mediums */
    {6, "google", "organic", NULL, NULL, NULL, NULL, "organic_search"},
    {6, "baidu", "seo", NULL, NULL, NULL, NULL, "organic_search"},
    /* 7: referral mediums */
    {7, "partner.com", "referral", NULL, NULL, NULL, NULL, "referral"},
    {7, "g2", "affiliate", NULL, NULL, NULL, NULL, "referral"},
    /* 8: event mediums */
    {8, NULL, "webinar", NULL, NULL, NULL, NULL, "events"},
    {8, "expo2025", "tradeshow", NULL, NULL, NULL, NULL, "events"},
    {8, "cebit", "Conference", NULL, "call", NULL, NULL, "events"},
    {8, "linkedin", "events", NULL, NULL, NULL, NULL, "events"},
    /* 9: event touch types (a medium 1-8 does not name) */
    {9, NULL, NULL, NULL, "webinar_attend", NULL, NULL, "events"},
    {9, NULL, NULL, NULL, "event_visit", NULL, NULL, "events"},
    {9, NULL, NULL, NULL, "trade_show", NULL, NULL, "events"},
    {9, NULL, NULL, NULL, "Trade_Show", NULL, NULL, "events"},
    {9, "linkedin", NULL, NULL, "webinar_attend", NULL, NULL, "events"},
    {9, NULL, NULL, NULL, "event_visit", "https://www.google.com/", NULL,
     "events"},
    {9, NULL, "offline", NULL, "webinar_attend", NULL, NULL, "events"},
    /* 10: e-mail touch types */
    {10, NULL, NULL, NULL, "email_open", NULL, NULL, "email"},
    {10, NULL, NULL, NULL, "email_click", "https://www.bing.com/", NULL,
     "email"},
    {10, NULL, NULL, NULL, "EMAIL", NULL, NULL, "email"},
    {10, "google", NULL, NULL, "email_click", NULL, NULL, "email"},
    /* 11: search sources */
    {11, "Baidu", NULL, NULL, NULL, NULL, NULL, "organic_search"},
    {11, "m.baidu.com", NULL, NULL, NULL, NULL, NULL, "organic_search"},
    {11, "baidu_brand", NULL, NULL, NULL, NULL, NULL, "organic_search"},
    {11, "shenma", NULL, NULL, NULL, NULL, NULL, "organic_search"},
    {11, "so.com", NULL, NULL, "form_submit", NULL, NULL, "organic_search"},
    {11, " bing ", NULL, NULL, NULL, "https://www.linkedin.com/", NULL,
     "organic_search"},
    {11, "google", "qr", NULL, NULL, NULL, NULL, "organic_search"},
    /* 12: social sources */
    {12, "xiaohongshu", NULL, NULL, NULL, NULL, NULL, "organic_social"},
    {12, "linkedin-ads", NULL, NULL, NULL, NULL, NULL, "organic_social"},
    {12, "zhihu.com", NULL, NULL, NULL, NULL, NULL, "organic_social"},
    {12, "WeCom", NULL, NULL, NULL, NULL, NULL, "organic_social"},
    {12, "bilibili", NULL, NULL, NULL, NULL, NULL, "organic_social"},
    {12, "x", NULL, NULL, NULL, NULL, NULL, "organic_social"},
    {12, "douyin", "video", NULL, NULL, NULL, NULL, "organic_social"},
    /* 13: e-mail sources */
    {13, "newsletter", NULL, NULL, NULL, NULL, NULL, "email"},
    {13, "EDM", NULL, NULL, NULL, NULL, NULL, "email"},
    {13, "mail.qq.com", NULL, NULL, NULL, NULL, NULL, "email"},
    {13, "email", "blast", NULL, NULL, NULL, NULL, "email"},
    /* 14: a medium nothing above explains */
    {14, "acme", "print", NULL, NULL, "https://www.baidu.com/", NULL, "other"},
    {14, NULL, "qr", NULL, "visit", NULL, NULL, "other"},
    {14, "partnerx", "offline", NULL, "call", "https://partner.com/", NULL,
     "other"},
    /* 15: referrer */
    {15, NULL, NULL, NULL, NULL, "https://www.baidu.com/link?url=abc", NULL,
     "organic_search"},
    {15, NULL, NULL, NULL, NULL, "https://www.google.com.hk/", NULL,
     "organic_search"},
    {15, NULL, NULL, NULL, NULL, "https://cn.bing.com/search?q=crm", NULL,
     "organic_search"},
    {15, NULL, NULL, NULL, NULL, "https://m.sm.cn/s?q=crm", NULL,
     "organic_search"},
    {15, NULL, NULL, NULL, NULL, "https://yz.m.sm.cn/s?q=crm", NULL,
     "organic_search"},
    {15, NULL, NULL, NULL, NULL, "https://www.so.com/s?q=crm", NULL,
     "organic_search"},
    {15, NULL, NULL, NULL, NULL, "https://www.sogou.com/web?query=crm", NULL,
     "organic_search"},
    {15, NULL, NULL, NULL, NULL, "https://search.yahoo.co.jp/search", NULL,
     "organic_search"},
    {15, NULL, NULL, NULL, NULL, "https://duckduckgo.com/", NULL,
     "organic_search"},
    {15, NULL, NULL, NULL, NULL, "https://mp.weixin.qq.com/s/abc", NULL,
     "organic_social"},
    {15, NULL, NULL, NULL, NULL, "https://work.weixin.qq.com/", NULL,
     "organic_social"},
    {15, NULL, NULL, NULL, NULL, "https://www.linkedin.com/feed/", NULL,
     "organic_social"},
    {15, NULL, NULL, NULL, NULL, "https://t.co/abc", NULL, "organic_social"},
    {15, NULL, NULL, NULL, NULL, "https://www.zhihu.com/question/1", NULL,
     "organic_social"},
    {15, NULL, NULL, NULL, NULL, "https://www.xiaohongshu.com/explore", NULL,
     "organic_social"},
    {15, NULL, NULL, NULL, NULL, "https://tieba.baidu.com/p/1", NULL,
     "organic_social"},
    {15, NULL, NULL, NULL, NULL, "https://mail.google.com/mail/u/0/", NULL,
     "email"},
    {15, NULL, NULL, NULL, NULL, "https://wx.mail.qq.com/", NULL, "email"},
    {15, NULL, NULL, NULL, NULL, "https://docs.google.com/document/d/1", NULL,
     "referral"},
    {15, NULL, NULL, NULL, NULL, "https://www.example.org/blog", NULL,
     "referral"},
    {15, NULL, NULL, NULL, NULL, "https://box.com/", NULL, "referral"},
    {15, NULL, NULL, NULL, NULL, "https://google.example.com/", NULL,
     "referral"},
    {15, "partnerx", NULL, NULL, NULL, "https://partner.com/", NULL,
     "referral"},
    {15, NULL, NULL, "spring", NULL, "https://partner.com/",
     "https://acme.com/", "referral"},
    {15, NULL, NULL, NULL, NULL, "https://blog.acme.com/post",
     "https://www.acme.com/", "referral"},
    {15, NULL, NULL, NULL, "call", "https://partner.com/", NULL, "referral"},
    /* 15 not taken: self-referral or no host */
    {17, NULL, NULL, NULL, NULL, "https://www.acme.com/pricing",
     "https://acme.com/trial", "direct"},
    {17, NULL, NULL, NULL, "form_submit", "https://ACME.com/a",
     "https://www.acme.com/b", "direct"},
    {17, NULL, NULL, NULL, NULL, "about:blank", NULL, "direct"},
    /* 16: tagged but unexplained */
    {16, "acme_partner", NULL, NULL, NULL, NULL, NULL, "other"},
    {16, "x_promo", NULL, NULL, NULL, NULL, NULL, "other"},
    {16, "direct_mail", NULL, NULL, NULL, NULL, NULL, "other"},
    {16, NULL, NULL, "spring_launch", NULL, NULL, NULL, "other"},
    {16, "partnerx", NULL, NULL, "visit", NULL, NULL, "other"},
    /* 17: direct */
    {17, NULL, NULL, NULL, NULL, NULL, NULL, "direct"},
    {17, NULL, NULL, NULL, "visit", NULL, "https://acme.com/", "direct"},
    {17, NULL, NULL, NULL, "form_submit", NULL, NULL, "direct"},
    {17, NULL, NULL, NULL, "pricing_view", NULL, NULL, "direct"},
    {17, NULL, NULL, NULL, "Trial_Request", NULL, NULL, "direct"},
    {17, "(direct)", "(none)", NULL, NULL, NULL, NULL, "direct"},
    {17, "  ", "\xE3\x80\x80", "", "", NULL, NULL, "direct"},
    /* 18: other */
    {18, NULL, NULL, NULL, "call", NULL, NULL, "other"},
    {18, NULL, NULL, NULL, "meeting", NULL, NULL, "other"},
    {18, NULL, NULL, NULL, "sms", NULL, NULL, "other"},
    {18, NULL, NULL, NULL, "emailing", NULL, NULL, "other"},
};

TEST(builtin_table)
{
    int rows_seen[19] = {0};
    for (size_t i = 0; i < sizeof ch_cases / sizeof ch_cases[0]; i++) {
        const ch_case *c = &ch_cases[i];
        fnli_channel_input in = {c->source, c->medium, c->campaign, c->type,
                                 c->referrer, c->url};
        const char *got = fnli_channel_builtin(&in);
        if (got == NULL || strcmp(got, c->want) != 0)
            fprintf(stderr, "channel case %zu (row %d): got %s\n", i, c->row,
                    got ? got : "(null)");
        CHECK_STR(got, c->want);
        rows_seen[c->row] = 1;
    }
    for (int r = 1; r <= 18; r++)
        CHECK_INT(rows_seen[r], 1);
    CHECK_STR(fnli_channel_builtin(NULL), "direct");
}

TEST(host_classes)
{
    static const struct { const char *host; int cls; } t[] = {
        {"www.google.com", FNLI_HOST_SEARCH},
        {"google.de", FNLI_HOST_SEARCH},
        {"www.google.co.uk", FNLI_HOST_SEARCH},
        {"WWW.BAIDU.COM", FNLI_HOST_SEARCH},
        {"m.baidu.com", FNLI_HOST_SEARCH},
        {"wap.sogou.com", FNLI_HOST_SEARCH},
        {"so.com", FNLI_HOST_SEARCH},
        {"m.so.com", FNLI_HOST_SEARCH},
        {"www.haosou.com", FNLI_HOST_SEARCH},
        {"sm.cn", FNLI_HOST_SEARCH},
        {"quark.sm.cn", FNLI_HOST_SEARCH},
        {"cn.bing.com", FNLI_HOST_SEARCH},
        {"yandex.ru", FNLI_HOST_SEARCH},
        {"search.naver.com", FNLI_HOST_SEARCH},
        {"www.google.com.", FNLI_HOST_SEARCH},
        {"also.com", FNLI_HOST_OTHER},
        {"docs.google.com", FNLI_HOST_OTHER},
        {"google.example.com", FNLI_HOST_OTHER},
        {"google.com.hk.cn", FNLI_HOST_OTHER},
        {"google.co.jp.ab", FNLI_HOST_OTHER},
        {"google.com.hk", FNLI_HOST_SEARCH},
        {"googleads.g.doubleclick.net", FNLI_HOST_OTHER},
        {"baidu", FNLI_HOST_OTHER},
        {"google.c", FNLI_HOST_OTHER},
        {"www.google", FNLI_HOST_OTHER},
        {"x.com", FNLI_HOST_SOCIAL},
        {"m.x.com", FNLI_HOST_SOCIAL},
        {"box.com", FNLI_HOST_OTHER},
        {"t.co", FNLI_HOST_SOCIAL},
        {"tencent.co", FNLI_HOST_OTHER},
        {"l.facebook.com", FNLI_HOST_SOCIAL},
        {"lnkd.in", FNLI_HOST_SOCIAL},
        {"www.LinkedIn.com", FNLI_HOST_SOCIAL},
        {"mp.weixin.qq.com", FNLI_HOST_SOCIAL},
        {"channels.weixin.qq.com", FNLI_HOST_SOCIAL},
        {"weibo.cn", FNLI_HOST_SOCIAL},
        {"v.douyin.com", FNLI_HOST_SOCIAL},
        {"xhslink.com", FNLI_HOST_SOCIAL},
        {"www.bilibili.com", FNLI_HOST_SOCIAL},
        {"b23.tv", FNLI_HOST_SOCIAL},
        {"youtu.be", FNLI_HOST_SOCIAL},
        {"qq.com", FNLI_HOST_OTHER},
        {"mail.google.com", FNLI_HOST_WEBMAIL},
        {"exmail.qq.com", FNLI_HOST_WEBMAIL},
        {"outlook.office365.com", FNLI_HOST_WEBMAIL},
        {"outlook.com", FNLI_HOST_OTHER},
        {"", FNLI_HOST_OTHER},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        int got = fnli_host_class(t[i].host, strlen(t[i].host));
        if (got != t[i].cls)
            fprintf(stderr, "host class %s: %d\n", t[i].host, got);
        CHECK_INT(got, t[i].cls);
    }
    CHECK_INT(fnli_host_class(NULL, 0), FNLI_HOST_OTHER);
}

TEST(tables_sorted)
{
    CHECK_INT(fnli_channel_tables_ok(), 1);
}

TEST(pattern_table)
{
    static const struct { const char *pat, *val; int want; } t[] = {
        {"google", "google", 1},
        {"google", "Google", 1},
        {"GOOGLE", "google", 1},
        {"google", "googl", 0},
        {"google", "google ", 0},
        {"google", "googlex", 0},
        {"goo*", "google.com", 1},
        {"GOO*", "google", 1},
        {"goo*", "goo", 1},
        {"goo*", "go", 0},
        {"goo*", "xgoogle", 0},
        {"*", "x", 1},
        {"*", "", 0},
        {"", "", 0},
        {"", "a", 0},
        {"a*b", "a*b", 1},
        {"a*b", "axb", 0},
        {"*.baidu.com", "www.baidu.com", 0},
        {"**", "*x", 1},
        {"**", "x", 0},
        {"webinar_*", "Webinar_Attend", 1},
        {"\xE5\xBE\xAE\xE4\xBF\xA1", "\xE5\xBE\xAE\xE4\xBF\xA1", 1},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        int got = fnli_pattern_match(t[i].pat, t[i].val, strlen(t[i].val));
        if (got != t[i].want)
            fprintf(stderr, "pattern case %zu\n", i);
        CHECK_INT(got, t[i].want);
    }
    CHECK_INT(fnli_pattern_match("*", NULL, 0), 0);
    CHECK_INT(fnli_pattern_match("*", NULL, 3), 0);
    CHECK_INT(fnli_pattern_match(NULL, "x", 1), 0);
    /* value_len bounds the value */
    CHECK_INT(fnli_pattern_match("bai", "baidu", 3), 1);
    CHECK_INT(fnli_pattern_match("baidu", "baidu", 3), 0);
}

static int field_is(const fnli_channel_input *in, uint32_t f, const char *want)
{
    const char *v = NULL;
    size_t n = 0;
    int r = fnli_channel_field(in, f, &v, &n);
    if (want == NULL)
        return r == 0;
    return r == 1 && n == strlen(want) && memcmp(v, want, n) == 0;
}

TEST(fields)
{
    fnli_channel_input in = {" Baidu ", "cpc", "Spring", "form_submit",
                             "https://user@www.Baidu.com:443/s?wd=crm",
                             "//acme.cn/landing?utm_source=baidu"};
    CHECK(field_is(&in, FNL_FIELD_UTM_SOURCE, "Baidu"));
    CHECK(field_is(&in, FNL_FIELD_UTM_MEDIUM, "cpc"));
    CHECK(field_is(&in, FNL_FIELD_UTM_CAMPAIGN, "Spring"));
    CHECK(field_is(&in, FNL_FIELD_TYPE, "form_submit"));
    CHECK(field_is(&in, FNL_FIELD_REFERRER_HOST, "www.Baidu.com"));
    CHECK(field_is(&in, FNL_FIELD_URL_HOST, "acme.cn"));
    CHECK(field_is(&in, 0, NULL));
    CHECK(field_is(&in, 7, NULL));

    fnli_channel_input none = {NULL, "  ", "", NULL, "about:blank", NULL};
    CHECK(field_is(&none, FNL_FIELD_UTM_SOURCE, NULL));
    CHECK(field_is(&none, FNL_FIELD_UTM_MEDIUM, NULL));
    CHECK(field_is(&none, FNL_FIELD_UTM_CAMPAIGN, NULL));
    CHECK(field_is(&none, FNL_FIELD_TYPE, "visit"));
    CHECK(field_is(&none, FNL_FIELD_REFERRER_HOST, NULL));
    CHECK(field_is(&none, FNL_FIELD_URL_HOST, NULL));

    const char *v;
    size_t n;
    CHECK_INT(fnli_channel_field(NULL, FNL_FIELD_TYPE, &v, &n), 0);
    CHECK_INT(fnli_channel_field(&in, FNL_FIELD_TYPE, NULL, &n), 0);
}

int main(void)
{
    RUN(builtin_table);
    RUN(host_classes);
    RUN(tables_sorted);
    RUN(pattern_table);
    RUN(fields);
    TEST_MAIN_END();
}
