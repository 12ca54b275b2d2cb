/* channel.c -- the built-in default channel grouping and host-rule
 * matching.
 *
 * The grouping follows the spirit of Google Analytics 4's default channel
 * grouping, adapted to B2B (events, webinars, trade shows) and to China
 * (Baidu, Sogou, 360 Search / so.com, Shenma / sm.cn; WeChat, WeCom,
 * Weibo, Douyin, Xiaohongshu, Zhihu, Bilibili).  docs/channels.md holds
 * the same table with examples.
 *
 * Inputs: S = utm_source, M = utm_medium, C = utm_campaign, T = touch type,
 * R = host of the referrer URL, U = host of the page URL.  Every value is
 * trimmed and compared ASCII case-insensitively; "", "(direct)", "(none)",
 * "(not set)", "direct" and "none" as S or M count as absent.
 *
 * Source classes (S):
 *   search  S is one of 360 ask baidu bing duckduckgo ecosia google haosou
 *           naver qwant shenma so sogou startpage yahoo yandex
 *   social  S is one of bilibili douban douyin facebook fb ig instagram
 *           kuaishou line linkedin pinterest quora reddit telegram threads
 *           tiktok toutiao twitter vk wechat wecom weibo weixin whatsapp
 *           wxwork x xhs xiaohongshu xing youtube zhihu
 *   email   S is one of e-mail e_mail edm email mail newsletter
 *   A source with a '.' is classed as a host (below: a search host is
 *   search, a social host social, a webmail host email); otherwise its
 *   leading word (up to '_', '-' or ' ', at least 2 bytes) is looked up
 *   in the lists above ("baidu_sem" is search, "linkedin-ads" social).
 *
 * Host classes (R, or S with a '.'), matched on whole labels ("x.com"
 * matches "x.com" and "m.x.com", not "box.com"; the longest listed suffix
 * decides):
 *   webmail mail.google.com, outlook.live.com, outlook.office.com,
 *           outlook.office365.com, mail.yahoo.com, mail.qq.com,
 *           exmail.qq.com, mail.163.com, mail.126.com, mail.aliyun.com,
 *           qiye.aliyun.com, mail.sina.com.cn, mail.sohu.com,
 *           mail.yandex.ru (and their subdomains)
 *   social  facebook.com fb.com fb.me messenger.com instagram.com
 *           linkedin.com linkedin.cn lnkd.in twitter.com x.com t.co
 *           youtube.com youtu.be tiktok.com reddit.com pinterest.com
 *           quora.com vk.com threads.net line.me t.me wa.me whatsapp.com
 *           weixin.qq.com (WeChat, WeCom, official accounts) wx.qq.com
 *           wechat.com weibo.com weibo.cn t.cn douyin.com iesdouyin.com
 *           xiaohongshu.com xhslink.com zhihu.com bilibili.com b23.tv
 *           kuaishou.com douban.com toutiao.com tieba.baidu.com
 *           (and their subdomains)
 *   search  so.com, haosou.com, sm.cn (and subdomains); or, after
 *           dropping one leading www. m. wap. cn. search. or images.,
 *           "<brand>.<tld>" where brand is ask baidu bing duckduckgo ecosia
 *           google naver qwant sogou startpage yahoo yandex and tld is one
 *           or two labels of 2-3 letters (google.com.hk, m.baidu.com,
 *           cn.bing.com, yahoo.co.jp; not docs.google.com)
 *
 * Rules, first match wins:
 *   1  M paid-social, paid_social, paidsocial, social-paid, social_paid,
 *      socialpaid, social-ads, social_ads, socialads    -> paid_social
 *   2  M cpc ppc sem sea paid paidsearch paid_search paid-search
 *                               -> paid_social if S is social, else paid_search
 *   3  M display banner cpm programmatic expandable interstitial native rtb
 *      dsp retargeting remarketing
 *                               -> paid_social if S is social, else display
 *   4  M email e-mail e_mail mail newsletter edm       -> email
 *   5  M social social-network social_network socialnetwork social-media
 *      social_media socialmedia sm sns organic-social organic_social
 *                                                      -> organic_social
 *   6  M organic organic-search organic_search seo    -> organic_search
 *   7  M referral referrer link affiliate affiliates partner -> referral
 *   8  M event events tradeshow trade-show trade_show conference webinar
 *      webinars expo exhibition meetup                 -> events
 *   9  T webinar_attend webinar_register webinar event_visit event_attend
 *      event_register event trade_show tradeshow conference booth_visit
 *                                                      -> events
 *  10  T "email" or starting with "email_" (email_open, email_click, ...)
 *                                                      -> email
 *  11  S search                                        -> organic_search
 *  12  S social                                        -> organic_social
 *  13  S email                                         -> email
 *  14  M present (a value rows 1-8 do not know)        -> other
 *  15  R present: webmail -> email, search -> organic_search, social ->
 *      organic_social, any other host -> referral unless it is the page's
 *      own site (R and U equal without a leading "www.": a self-referral,
 *      which falls through)
 *  16  S or C present (a tagged link nothing above explains) -> other
 *  17  T absent (a visit) or a web type: visit page_view pageview
 *      form_submit form_fill pricing_view trial_request demo_request
 *      content_download download signup sign_up registration login
 *      purchase chat                                   -> direct
 *  18  anything else (call, meeting, sms, host-defined types) -> other
 */
#include "channel.h"

#include <string.h>
#include "text.h"
#include "url.h"

/* Lookup tables.  Every table is sorted by (length, bytes) and holds lower-
 * case words without duplicates (fnli_channel_tables_ok() checks), so a
 * binary search mostly compares lengths and calls memcmp only on words of
 * the probe's length. */
typedef struct entry {
    const char *w;
    unsigned char n;
    unsigned char cls;
} entry;

#define E(w, c) { w, (unsigned char)(sizeof(w) - 1), (unsigned char)(c) }

enum { H_OTHER = FNLI_HOST_OTHER, H_SEARCH = FNLI_HOST_SEARCH,
       H_SOCIAL = FNLI_HOST_SOCIAL, H_WEBMAIL = FNLI_HOST_WEBMAIL };
enum { S_NONE = 0, S_SEARCH, S_SOCIAL, S_EMAIL, S_NULL };
enum { M_NONE = 0, M_PAID_SOCIAL, M_PAID_SEARCH, M_DISPLAY, M_EMAIL,
       M_SOCIAL, M_ORGANIC, M_REFERRAL, M_EVENT, M_NULL };
enum { T_NONE = 0, T_EVENT, T_WEB };

static const entry host_table[] = {
    E("t.cn", H_SOCIAL),
    E("t.co", H_SOCIAL),
    E("t.me", H_SOCIAL),
    E("fb.me", H_SOCIAL),
    E("sm.cn", H_SEARCH),
    E("wa.me", H_SOCIAL),
    E("x.com", H_SOCIAL),
    E("b23.tv", H_SOCIAL),
    E("fb.com", H_SOCIAL),
    E("so.com", H_SEARCH),
    E("vk.com", H_SOCIAL),
    E("line.me", H_SOCIAL),
    E("lnkd.in", H_SOCIAL),
    E("weibo.cn", H_SOCIAL),
    E("xing.com", H_SOCIAL),
    E("youtu.be", H_SOCIAL),
    E("quora.com", H_SOCIAL),
    E("weibo.com", H_SOCIAL),
    E("wx.qq.com", H_SOCIAL),
    E("zhihu.com", H_SOCIAL),
    E("douban.com", H_SOCIAL),
    E("douyin.com", H_SOCIAL),
    E("haosou.com", H_SEARCH),
    E("reddit.com", H_SOCIAL),
    E("tiktok.com", H_SOCIAL),
    E("wechat.com", H_SOCIAL),
    E("linkedin.cn", H_SOCIAL),
    E("mail.qq.com", H_WEBMAIL),
    E("threads.net", H_SOCIAL),
    E("toutiao.com", H_SOCIAL),
    E("twitter.com", H_SOCIAL),
    E("xhslink.com", H_SOCIAL),
    E("youtube.com", H_SOCIAL),
    E("bilibili.com", H_SOCIAL),
    E("facebook.com", H_SOCIAL),
    E("kuaishou.com", H_SOCIAL),
    E("linkedin.com", H_SOCIAL),
    E("mail.126.com", H_WEBMAIL),
    E("mail.163.com", H_WEBMAIL),
    E("whatsapp.com", H_SOCIAL),
    E("exmail.qq.com", H_WEBMAIL),
    E("iesdouyin.com", H_SOCIAL),
    E("instagram.com", H_SOCIAL),
    E("mail.sohu.com", H_WEBMAIL),
    E("messenger.com", H_SOCIAL),
    E("pinterest.com", H_SOCIAL),
    E("weixin.qq.com", H_SOCIAL),
    E("mail.yahoo.com", H_WEBMAIL),
    E("mail.yandex.ru", H_WEBMAIL),
    E("mail.aliyun.com", H_WEBMAIL),
    E("mail.google.com", H_WEBMAIL),
    E("qiye.aliyun.com", H_WEBMAIL),
    E("tieba.baidu.com", H_SOCIAL),
    E("xiaohongshu.com", H_SOCIAL),
    E("mail.sina.com.cn", H_WEBMAIL),
    E("outlook.live.com", H_WEBMAIL),
    E("outlook.office.com", H_WEBMAIL),
    E("outlook.office365.com", H_WEBMAIL),
};

static const entry source_table[] = {
    E("x", S_SOCIAL),
    E("fb", S_SOCIAL),
    E("ig", S_SOCIAL),
    E("so", S_SEARCH),
    E("vk", S_SOCIAL),
    E("360", S_SEARCH),
    E("ask", S_SEARCH),
    E("edm", S_EMAIL),
    E("xhs", S_SOCIAL),
    E("(not", S_NULL),
    E("bing", S_SEARCH),
    E("line", S_SOCIAL),
    E("mail", S_EMAIL),
    E("none", S_NULL),
    E("set)", S_NULL),
    E("xing", S_SOCIAL),
    E("baidu", S_SEARCH),
    E("email", S_EMAIL),
    E("naver", S_SEARCH),
    E("quora", S_SOCIAL),
    E("qwant", S_SEARCH),
    E("sogou", S_SEARCH),
    E("wecom", S_SOCIAL),
    E("weibo", S_SOCIAL),
    E("yahoo", S_SEARCH),
    E("zhihu", S_SOCIAL),
    E("(none)", S_NULL),
    E("direct", S_NULL),
    E("douban", S_SOCIAL),
    E("douyin", S_SOCIAL),
    E("e-mail", S_EMAIL),
    E("e_mail", S_EMAIL),
    E("ecosia", S_SEARCH),
    E("google", S_SEARCH),
    E("haosou", S_SEARCH),
    E("reddit", S_SOCIAL),
    E("shenma", S_SEARCH),
    E("tiktok", S_SOCIAL),
    E("wechat", S_SOCIAL),
    E("weixin", S_SOCIAL),
    E("wxwork", S_SOCIAL),
    E("yandex", S_SEARCH),
    E("threads", S_SOCIAL),
    E("toutiao", S_SOCIAL),
    E("twitter", S_SOCIAL),
    E("youtube", S_SOCIAL),
    E("(direct)", S_NULL),
    E("bilibili", S_SOCIAL),
    E("facebook", S_SOCIAL),
    E("kuaishou", S_SOCIAL),
    E("linkedin", S_SOCIAL),
    E("telegram", S_SOCIAL),
    E("whatsapp", S_SOCIAL),
    E("instagram", S_SOCIAL),
    E("pinterest", S_SOCIAL),
    E("startpage", S_SEARCH),
    E("duckduckgo", S_SEARCH),
    E("newsletter", S_EMAIL),
    E("xiaohongshu", S_SOCIAL),
};

static const entry medium_table[] = {
    E("sm", M_SOCIAL),
    E("cpc", M_PAID_SEARCH),
    E("cpm", M_DISPLAY),
    E("dsp", M_DISPLAY),
    E("edm", M_EMAIL),
    E("ppc", M_PAID_SEARCH),
    E("rtb", M_DISPLAY),
    E("sea", M_PAID_SEARCH),
    E("sem", M_PAID_SEARCH),
    E("seo", M_ORGANIC),
    E("sns", M_SOCIAL),
    E("(not", M_NULL),
    E("expo", M_EVENT),
    E("link", M_REFERRAL),
    E("mail", M_EMAIL),
    E("none", M_NULL),
    E("paid", M_PAID_SEARCH),
    E("set)", M_NULL),
    E("email", M_EMAIL),
    E("event", M_EVENT),
    E("(none)", M_NULL),
    E("banner", M_DISPLAY),
    E("direct", M_NULL),
    E("e-mail", M_EMAIL),
    E("e_mail", M_EMAIL),
    E("events", M_EVENT),
    E("meetup", M_EVENT),
    E("native", M_DISPLAY),
    E("social", M_SOCIAL),
    E("display", M_DISPLAY),
    E("organic", M_ORGANIC),
    E("partner", M_REFERRAL),
    E("webinar", M_EVENT),
    E("(direct)", M_NULL),
    E("referral", M_REFERRAL),
    E("referrer", M_REFERRAL),
    E("webinars", M_EVENT),
    E("affiliate", M_REFERRAL),
    E("socialads", M_PAID_SOCIAL),
    E("tradeshow", M_EVENT),
    E("affiliates", M_REFERRAL),
    E("conference", M_EVENT),
    E("exhibition", M_EVENT),
    E("expandable", M_DISPLAY),
    E("newsletter", M_EMAIL),
    E("paidsearch", M_PAID_SEARCH),
    E("paidsocial", M_PAID_SOCIAL),
    E("social-ads", M_PAID_SOCIAL),
    E("social_ads", M_PAID_SOCIAL),
    E("socialpaid", M_PAID_SOCIAL),
    E("trade-show", M_EVENT),
    E("trade_show", M_EVENT),
    E("paid-search", M_PAID_SEARCH),
    E("paid-social", M_PAID_SOCIAL),
    E("paid_search", M_PAID_SEARCH),
    E("paid_social", M_PAID_SOCIAL),
    E("remarketing", M_DISPLAY),
    E("retargeting", M_DISPLAY),
    E("social-paid", M_PAID_SOCIAL),
    E("social_paid", M_PAID_SOCIAL),
    E("socialmedia", M_SOCIAL),
    E("interstitial", M_DISPLAY),
    E("programmatic", M_DISPLAY),
    E("social-media", M_SOCIAL),
    E("social_media", M_SOCIAL),
    E("socialnetwork", M_SOCIAL),
    E("organic-search", M_ORGANIC),
    E("organic-social", M_SOCIAL),
    E("organic_search", M_ORGANIC),
    E("organic_social", M_SOCIAL),
    E("social-network", M_SOCIAL),
    E("social_network", M_SOCIAL),
};

static const entry type_table[] = {
    E("chat", T_WEB),
    E("event", T_EVENT),
    E("login", T_WEB),
    E("visit", T_WEB),
    E("signup", T_WEB),
    E("sign_up", T_WEB),
    E("webinar", T_EVENT),
    E("download", T_WEB),
    E("pageview", T_WEB),
    E("purchase", T_WEB),
    E("form_fill", T_WEB),
    E("page_view", T_WEB),
    E("tradeshow", T_EVENT),
    E("conference", T_EVENT),
    E("trade_show", T_EVENT),
    E("booth_visit", T_EVENT),
    E("event_visit", T_EVENT),
    E("form_submit", T_WEB),
    E("demo_request", T_WEB),
    E("event_attend", T_EVENT),
    E("pricing_view", T_WEB),
    E("registration", T_WEB),
    E("trial_request", T_WEB),
    E("event_register", T_EVENT),
    E("webinar_attend", T_EVENT),
    E("content_download", T_WEB),
    E("webinar_register", T_EVENT),
};

static const entry brand_table[] = {
    E("ask", 0),
    E("bing", 0),
    E("baidu", 0),
    E("naver", 0),
    E("qwant", 0),
    E("sogou", 0),
    E("yahoo", 0),
    E("ecosia", 0),
    E("google", 0),
    E("yandex", 0),
    E("startpage", 0),
    E("duckduckgo", 0),
};

static const entry prefix_table[] = {
    E("m", 0),
    E("cn", 0),
    E("wap", 0),
    E("www", 0),
    E("images", 0),
    E("search", 0),
};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Longest word in any table is well below this; longer probes never
 * match.  Hosts may be up to 253 bytes. */
#define WORD_MAX 64
#define HOST_MAX 256

static int cmp_entry(const char *s, size_t n, const entry *e)
{
    if (n != e->n)
        return n < e->n ? -1 : 1;
    return memcmp(s, e->w, n);
}

/* The class of the lower-case s[0..n) in t, or -1. */
static int lookup(const entry *t, size_t count, const char *s, size_t n)
{
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp_entry(s, n, &t[mid]);
        if (c == 0)
            return t[mid].cls;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

#define LOOKUP(t, s, n) lookup(t, COUNT(t), s, n)

/* Lower-case s[0..n) into dst (cap bytes); 0 when it does not fit. */
static size_t lower_copy(char *dst, size_t cap, const char *s, size_t n)
{
    if (n > cap)
        return 0;
    for (size_t i = 0; i < n; i++)
        dst[i] = fnli_lower(s[i]);
    return n;
}

/* 1 if t is one or two labels of 2-3 ASCII letters ("com", "co.uk"). */
static int tld_like(const char *t, size_t n)
{
    size_t labels = 0, len = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || t[i] == '.') {
            if (len < 2 || len > 3)
                return 0;
            labels++;
            len = 0;
        } else if (t[i] >= 'a' && t[i] <= 'z') {
            len++;
        } else {
            return 0;
        }
    }
    return labels <= 2;
}

static size_t label_len(const char *s, size_t n)
{
    const char *d = memchr(s, '.', n);
    return d != NULL ? (size_t)(d - s) : n;
}

/* "<brand>.<tld>" after at most one prefix label; h is lower case. */
static int search_brand_host(const char *h, size_t n)
{
    size_t l = label_len(h, n);
    if (l >= n)
        return 0;
    if (LOOKUP(prefix_table, h, l) >= 0) {
        const char *b = h + l + 1;
        size_t bn = n - l - 1, l2 = label_len(b, bn);
        if (l2 < bn && LOOKUP(brand_table, b, l2) >= 0 &&
            tld_like(b + l2 + 1, bn - l2 - 1))
            return 1;
    }
    return LOOKUP(brand_table, h, l) >= 0 && tld_like(h + l + 1, n - l - 1);
}

/* Host class of the lower-case h[0..n): the longest listed suffix that
 * ends on a label boundary decides, then the search brands. */
static int host_class_lower(const char *h, size_t n)
{
    if (n > 0 && h[n - 1] == '.')
        n--;
    if (n == 0)
        return H_OTHER;
    /* every listed suffix has at least two labels: stop before the last */
    size_t i = 0;
    for (;;) {
        const char *d = memchr(h + i, '.', n - i);
        if (d == NULL)
            break;
        int c = LOOKUP(host_table, h + i, n - i);
        if (c >= 0)
            return c;
        i = (size_t)(d - h) + 1;
    }
    return search_brand_host(h, n) ? H_SEARCH : H_OTHER;
}

int fnli_host_class(const char *host, size_t n)
{
    char buf[HOST_MAX];
    if (host == NULL || n == 0 || lower_copy(buf, sizeof buf, host, n) == 0)
        return FNLI_HOST_OTHER;
    return host_class_lower(buf, n);
}

/* Source class (S_*) of the trimmed utm_source s[0..n). */
static int source_class(const char *s, size_t n)
{
    char buf[HOST_MAX];
    if (n == 0 || lower_copy(buf, sizeof buf, s, n) == 0)
        return S_NONE;
    int c = LOOKUP(source_table, buf, n);
    if (c >= 0)
        return c;
    if (memchr(buf, '.', n) != NULL) {
        switch (host_class_lower(buf, n)) {
        case H_SEARCH: return S_SEARCH;
        case H_SOCIAL: return S_SOCIAL;
        case H_WEBMAIL: return S_EMAIL;
        default: return S_NONE;
        }
    }
    size_t w = 0;
    while (w < n && buf[w] != '_' && buf[w] != '-' && buf[w] != ' ')
        w++;
    if (w < n && w >= 2) {
        c = LOOKUP(source_table, buf, w);
        if (c == S_SEARCH || c == S_SOCIAL || c == S_EMAIL)
            return c;
    }
    return S_NONE;
}

/* Class (from t) of the trimmed word s[0..n), or `none`. */
static int word_class(const entry *t, size_t count, const char *s, size_t n,
                      int none)
{
    char buf[WORD_MAX];
    if (n == 0 || lower_copy(buf, sizeof buf, s, n) == 0)
        return none;
    int c = lookup(t, count, buf, n);
    return c >= 0 ? c : none;
}

/* Trimmed span of a possibly NULL string. */
static size_t span_of(const char *s, const char **p)
{
    if (s == NULL) {
        *p = NULL;
        return 0;
    }
    const char *q = s;
    size_t n = strlen(s);
    fnli_trim(&q, &n);
    *p = q;
    return n;
}

static void strip_www(const char **h, size_t *n)
{
    if (*n > 4 && fnli_ascii_prefix(*h, *n, "www.")) {
        *h += 4;
        *n -= 4;
    }
}

/* 1 if the referrer host r is the page's own site (url's host, both
 * compared without a leading "www."). */
static int same_site(const char *rp, size_t rn, const char *url)
{
    fnli_span u;
    if (url == NULL || fnli_url_host(url, strlen(url), &u) != FNL_OK)
        return 0;
    strip_www(&rp, &rn);
    strip_www(&u.p, &u.n);
    return fnli_ascii_casecmp_n(rp, rn, u.p, u.n) == 0;
}

const char *fnli_channel_builtin(const fnli_channel_input *in)
{
    const char *s, *m, *c, *t;
    size_t sn, mn, cn, tn;

    if (in == NULL)
        return "direct";
    sn = span_of(in->utm_source, &s);
    mn = span_of(in->utm_medium, &m);
    cn = span_of(in->utm_campaign, &c);
    tn = span_of(in->type, &t);
    int sc = source_class(s, sn);
    if (sc == S_NULL) {
        sc = S_NONE;
        sn = 0;
    }
    int mc = word_class(medium_table, COUNT(medium_table), m, mn, M_NONE);
    if (mc == M_NULL)
        mn = 0;

    if (mn != 0) {
        switch (mc) {
        case M_PAID_SOCIAL: return "paid_social";                  /* 1 */
        case M_PAID_SEARCH:                                        /* 2 */
            return sc == S_SOCIAL ? "paid_social" : "paid_search";
        case M_DISPLAY:                                            /* 3 */
            return sc == S_SOCIAL ? "paid_social" : "display";
        case M_EMAIL: return "email";                              /* 4 */
        case M_SOCIAL: return "organic_social";                    /* 5 */
        case M_ORGANIC: return "organic_search";                   /* 6 */
        case M_REFERRAL: return "referral";                        /* 7 */
        case M_EVENT: return "events";                             /* 8 */
        default: break;
        }
    }
    int tc = word_class(type_table, COUNT(type_table), t, tn, T_NONE);
    if (tc == T_EVENT)                                             /* 9 */
        return "events";
    if (tn != 0 && (fnli_ascii_casecmp_n(t, tn, "email", 5) == 0 ||
                    fnli_ascii_prefix(t, tn, "email_")))           /* 10 */
        return "email";
    switch (sc) {
    case S_SEARCH: return "organic_search";                        /* 11 */
    case S_SOCIAL: return "organic_social";                        /* 12 */
    case S_EMAIL: return "email";                                  /* 13 */
    default: break;
    }
    if (mn != 0)                                                   /* 14 */
        return "other";
    fnli_span r;
    if (in->referrer != NULL &&
        fnli_url_host(in->referrer, strlen(in->referrer), &r) == FNL_OK) {
        switch (fnli_host_class(r.p, r.n)) {                       /* 15 */
        case FNLI_HOST_WEBMAIL: return "email";
        case FNLI_HOST_SEARCH: return "organic_search";
        case FNLI_HOST_SOCIAL: return "organic_social";
        default:
            if (!same_site(r.p, r.n, in->url))
                return "referral";
            break;
        }
    }
    if (sn != 0 || cn != 0)                                        /* 16 */
        return "other";
    if (tn == 0 || tc == T_WEB)                                    /* 17 */
        return "direct";
    return "other";                                                /* 18 */
}

int fnli_pattern_match(const char *pattern, const char *value,
                       size_t value_len)
{
    if (pattern == NULL || value == NULL || value_len == 0)
        return 0;
    size_t pn = strlen(pattern);
    if (pn > 0 && pattern[pn - 1] == '*') {
        pn--;
        return value_len >= pn &&
               fnli_ascii_casecmp_n(pattern, pn, value, pn) == 0;
    }
    return fnli_ascii_casecmp_n(pattern, pn, value, value_len) == 0;
}

int fnli_channel_field(const fnli_channel_input *in, uint32_t field,
                       const char **v, size_t *n)
{
    const char *p = NULL, *url = NULL;
    size_t len;

    if (in == NULL || v == NULL || n == NULL)
        return 0;
    switch (field) {
    case FNL_FIELD_UTM_SOURCE: p = in->utm_source; break;
    case FNL_FIELD_UTM_MEDIUM: p = in->utm_medium; break;
    case FNL_FIELD_UTM_CAMPAIGN: p = in->utm_campaign; break;
    case FNL_FIELD_TYPE:
        p = in->type;
        if (p == NULL) {
            *v = "visit";
            *n = 5;
            return 1;
        }
        break;
    case FNL_FIELD_REFERRER_HOST: url = in->referrer; break;
    case FNL_FIELD_URL_HOST: url = in->url; break;
    default: return 0;
    }
    if (url != NULL) {
        fnli_span h;
        if (fnli_url_host(url, strlen(url), &h) != FNL_OK)
            return 0;
        *v = h.p;
        *n = h.n;
        return 1;
    }
    len = span_of(p, &p);
    if (len == 0)
        return 0;
    *v = p;
    *n = len;
    return 1;
}

static int table_ok(const entry *t, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const entry *e = &t[i];
        if (e->n == 0 || e->n >= WORD_MAX || strlen(e->w) != e->n)
            return 0;
        if (t == host_table && memchr(e->w, '.', e->n) == NULL)
            return 0; /* host_class_lower() relies on it */
        for (size_t k = 0; k < e->n; k++) {
            if (fnli_lower(e->w[k]) != e->w[k])
                return 0;
        }
        if (i > 0 && cmp_entry(e->w, e->n, &t[i - 1]) <= 0)
            return 0;
    }
    return 1;
}

int fnli_channel_tables_ok(void)
{
    return table_ok(host_table, COUNT(host_table)) &&
           table_ok(source_table, COUNT(source_table)) &&
           table_ok(medium_table, COUNT(medium_table)) &&
           table_ok(type_table, COUNT(type_table)) &&
           table_ok(brand_table, COUNT(brand_table)) &&
           table_ok(prefix_table, COUNT(prefix_table));
}
