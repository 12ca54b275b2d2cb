/* test_url.c -- URL host names and UTM parameters. */
#include "test.h"
#include "url.h"

typedef struct host_case {
    const char *url;
    const char *host; /* NULL: FNL_EINVAL */
} host_case;

static const host_case host_cases[] = {
    {"https://www.Example.com:8080/x?y", "www.Example.com"},
    {"http://example.com", "example.com"},
    {"http://example.com/", "example.com"},
    {"https://example.com?q", "example.com"},
    {"https://example.com#frag", "example.com"},
    {"https://user:pass@example.com:443/a", "example.com"},
    {"https://user@example.com", "example.com"},
    {"https://a@b@example.com/", "example.com"},
    {"https://user:p@ss@example.com:8443/", "example.com"},
    {"http://[2001:db8::1]:8080/x", "2001:db8::1"},
    {"http://[::1]/", "::1"},
    {"http://u@[fe80::1]", "fe80::1"},
    {"http://[::1", NULL},
    {"http://[::1]x/", NULL},
    {"//cdn.example.com/lib.js", "cdn.example.com"},
    {"//cdn.example.com:81", "cdn.example.com"},
    {"www.example.com/path", "www.example.com"},
    {"example.com", "example.com"},
    {"example.com:8080/x", "example.com"},
    {"example.com?utm_source=x", "example.com"},
    {"1.2.3.4:80/x", "1.2.3.4"},
    {"localhost/x", NULL},
    {"localhost:8080", NULL},
    {"example.com:", NULL},
    {"http://localhost:8080/", "localhost"},
    {"HTTPS://WWW.BAIDU.COM/s?wd=x", "WWW.BAIDU.COM"},
    {"android-app://com.google.android.gm/", "com.google.android.gm"},
    {"mailto:someone@example.com", NULL},
    {"about:blank", NULL},
    {"javascript:void(0)", NULL},
    {"file:///etc/passwd", NULL},
    {"http://", NULL},
    {"https://:8080/", NULL},
    {"https://user@/", NULL},
    {"", NULL},
    {"   ", NULL},
    {"/relative/path", NULL},
    {"?utm_source=x", NULL},
    {"   https://example.com/  ", "example.com"},
    {"https://example.com./", "example.com"},
    {"https://exa mple.com/", NULL},
    {"https://exa\tmple.com/", NULL},
    {"https://example.com\\@evil.com/", "example.com"},
    {"https://\xE4\xBE\x8B\xE5\xAD\x90.\xE5\x85\xAC\xE5\x8F\xB8/path",
     "\xE4\xBE\x8B\xE5\xAD\x90.\xE5\x85\xAC\xE5\x8F\xB8"},
    {"https://mp.weixin.qq.com/s/AbC?x=1", "mp.weixin.qq.com"},
};

TEST(host_table)
{
    for (size_t i = 0; i < sizeof host_cases / sizeof host_cases[0]; i++) {
        const host_case *c = &host_cases[i];
        fnli_span h = {"unchanged", 9};
        size_t n = strlen(c->url);
        int rc = fnli_url_host(c->url, n, &h);
        int bad = c->host == NULL
                      ? rc != FNL_EINVAL
                      : (rc != FNL_OK || h.n != strlen(c->host) ||
                         memcmp(h.p, c->host, h.n) != 0);
        if (bad)
            fprintf(stderr, "host case %zu \"%s\": rc %d host \"%.*s\"\n", i,
                    c->url, rc, (int)h.n, h.p);
        if (c->host == NULL) {
            CHECK_INT(rc, FNL_EINVAL);
            CHECK(strcmp(h.p, "unchanged") == 0 && h.n == 9);
        } else {
            CHECK_INT(rc, FNL_OK);
            CHECK_INT(h.n, strlen(c->host));
            CHECK(memcmp(h.p, c->host, h.n) == 0);
            CHECK(h.p >= c->url && h.p + h.n <= c->url + n);
        }
    }
}

TEST(host_edges)
{
    fnli_span h;
    CHECK_INT(fnli_url_host(NULL, 0, &h), FNL_EINVAL);
    CHECK_INT(fnli_url_host("http://a.b", 10, NULL), FNL_EINVAL);
    /* the length bounds the URL: no NUL needed */
    CHECK_INT(fnli_url_host("http://ab.cd/zzz", 12, &h), FNL_OK);
    CHECK_INT(h.n, 5);
    CHECK(memcmp(h.p, "ab.cd", 5) == 0);
    CHECK_INT(fnli_url_host("http://ab.cdXYZ", 11, &h), FNL_OK);
    CHECK_INT(h.n, 4);
    CHECK(memcmp(h.p, "ab.c", 4) == 0);
}

/* ------------------------------------------------------------------------ */

typedef struct utm_case {
    const char *url;
    const char *v[5]; /* source, medium, campaign, term, content */
} utm_case;

static const utm_case utm_cases[] = {
    {"https://x.com/?utm_source=google&utm_medium=cpc&utm_campaign=spring_"
     "sale&utm_term=crm+software&utm_content=ad1",
     {"google", "cpc", "spring_sale", "crm software", "ad1"}},
    {"https://x.com/p?UTM_SOURCE=Baidu&Utm_Medium=CPC",
     {"Baidu", "CPC", NULL, NULL, NULL}},
    {"https://x.com/p?a=1&utm_campaign=%E6%98%A5%E5%AD%A3&b=2",
     {NULL, NULL, "\xE6\x98\xA5\xE5\xAD\xA3", NULL, NULL}},
    {"https://x.com/?utm_campaign=%e4%b8%ad",
     {NULL, NULL, "\xE4\xB8\xAD", NULL, NULL}},
    {"https://x.com/?utm_campaign=50%25off%zz%4",
     {NULL, NULL, "50%off%zz%4", NULL, NULL}},
    {"https://x.com/?utm_campaign=%", {NULL, NULL, "%", NULL, NULL}},
    {"https://x.com/?utm_campaign=a%2", {NULL, NULL, "a%2", NULL, NULL}},
    {"https://x.com/?utm_campaign=%G1%1G", {NULL, NULL, "%G1%1G", NULL, NULL}},
    {"https://x.com/?utm_term=a%2Bb+c", {NULL, NULL, NULL, "a+b c", NULL}},
    {"https://x.com/?utm_medium=e%2Dmail", {NULL, "e-mail", NULL, NULL, NULL}},
    {"https://x.com/?utm_source=first&utm_source=second",
     {"first", NULL, NULL, NULL, NULL}},
    {"https://x.com/?utm_source=&utm_source=second",
     {"second", NULL, NULL, NULL, NULL}},
    {"https://x.com/?utm_source=+++&utm_source=third",
     {"third", NULL, NULL, NULL, NULL}},
    {"https://x.com/?utm_source=+google+", {"google", NULL, NULL, NULL, NULL}},
    {"https://x.com/?utm_source=%20%20", {NULL, NULL, NULL, NULL, NULL}},
    {"https://x.com/#utm_source=wechat&utm_medium=social",
     {"wechat", "social", NULL, NULL, NULL}},
    {"https://x.com/#/landing?utm_source=weibo&utm_content=v2",
     {"weibo", NULL, NULL, NULL, "v2"}},
    {"https://x.com/?utm_source=q#utm_source=f&utm_medium=m",
     {"q", "m", NULL, NULL, NULL}},
    {"https://x.com/p#frag?utm_source=x", {"x", NULL, NULL, NULL, NULL}},
    {"https://x.com/p#nothing", {NULL, NULL, NULL, NULL, NULL}},
    {"https://x.com/?utm_source=%FF%FE&utm_medium=email",
     {NULL, "email", NULL, NULL, NULL}},
    {"https://x.com/?utm_source=%C0%80&utm_source=ok",
     {"ok", NULL, NULL, NULL, NULL}},
    {"https://x.com/?utm_source=a%00b", {NULL, NULL, NULL, NULL, NULL}},
    {"https://x.com/path", {NULL, NULL, NULL, NULL, NULL}},
    {"https://x.com/?", {NULL, NULL, NULL, NULL, NULL}},
    {"https://x.com/?&&=&utm_source", {NULL, NULL, NULL, NULL, NULL}},
    {"https://x.com/?utm_source&utm_medium=cpc",
     {NULL, "cpc", NULL, NULL, NULL}},
    {"https://x.com/?utm_sources=x&xutm_source=y&utm_source_platform=z&"
     "utm_id=1&utm_=2&utm=3",
     {NULL, NULL, NULL, NULL, NULL}},
    {"https://x.com/?utm_content=a=b", {NULL, NULL, NULL, NULL, "a=b"}},
    {"https://x.com/?utm_content=a?b", {NULL, NULL, NULL, NULL, "a?b"}},
    {"https://x.com/?utm_source=a;utm_medium=b",
     {"a;utm_medium=b", NULL, NULL, NULL, NULL}},
    {"https://x.com/?utm_term=%E5%B7%A5%E4%B8%9A+CRM&utm_source=baidu",
     {"baidu", NULL, NULL, "\xE5\xB7\xA5\xE4\xB8\x9A CRM", NULL}},
    {"?utm_medium=Email", {NULL, "Email", NULL, NULL, NULL}},
    {"", {NULL, NULL, NULL, NULL, NULL}},
};

static int same(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return strcmp(a, b) == 0;
}

TEST(utm_table)
{
    for (size_t i = 0; i < sizeof utm_cases / sizeof utm_cases[0]; i++) {
        const utm_case *c = &utm_cases[i];
        size_t n = strlen(c->url);
        char buf[512];
        fnli_utm u;
        CHECK(n + 5 <= sizeof buf);
        int rc = fnli_utm_parse(c->url, n, buf, n + 5, &u);
        CHECK_INT(rc, FNL_OK);
        const char *got[5] = {u.source, u.medium, u.campaign, u.term,
                              u.content};
        for (int k = 0; k < 5; k++) {
            if (!same(got[k], c->v[k])) {
                fprintf(stderr, "utm case %zu field %d: \"%s\" expected "
                                "\"%s\"\n", i, k, got[k] ? got[k] : "(null)",
                        c->v[k] ? c->v[k] : "(null)");
                CHECK(0);
            }
            if (got[k] != NULL)
                CHECK(got[k] >= buf && got[k] < buf + n + 5);
        }
    }
}

TEST(utm_buffer)
{
    static const char url[] =
        "?utm_source=a&utm_medium=b&utm_campaign=c&utm_term=d&utm_content=e";
    size_t n = sizeof url - 1;
    char buf[128];
    fnli_utm u, keep;

    /* 5 one-byte values + 5 NULs need exactly 10 bytes */
    CHECK_OK(fnli_utm_parse(url, n, buf, 10, &u));
    CHECK_STR(u.source, "a");
    CHECK_STR(u.content, "e");
    memset(&keep, 0, sizeof keep);
    keep.source = "sentinel";
    u = keep;
    CHECK_INT(fnli_utm_parse(url, n, buf, 9, &u), FNL_ERANGE);
    CHECK(u.source == keep.source && u.medium == NULL);
    CHECK_INT(fnli_utm_parse(url, n, buf, 0, &u), FNL_ERANGE);
    CHECK_INT(fnli_utm_parse(url, n, NULL, 0, &u), FNL_ERANGE);
    /* no UTM at all needs no buffer */
    CHECK_OK(fnli_utm_parse("https://x.com/?a=1", 18, NULL, 0, &u));
    CHECK(u.source == NULL && u.content == NULL);
    /* a rejected value's space is reused: "%FF" then "ok" fit in 3 bytes */
    CHECK_OK(fnli_utm_parse("?utm_source=%FF&utm_source=ok", 29, buf, 3, &u));
    CHECK_STR(u.source, "ok");
    /* errors */
    CHECK_INT(fnli_utm_parse(url, n, buf, sizeof buf, NULL), FNL_EINVAL);
    CHECK_INT(fnli_utm_parse(NULL, 3, buf, sizeof buf, &u), FNL_EINVAL);
    CHECK_OK(fnli_utm_parse(NULL, 0, buf, sizeof buf, &u));
    CHECK(u.source == NULL);
    /* the length bounds the URL */
    CHECK_OK(fnli_utm_parse("?utm_source=abcdef", 14, buf, sizeof buf, &u));
    CHECK_STR(u.source, "ab");
    /* an escape cut by the length stays literal */
    CHECK_OK(fnli_utm_parse("?utm_source=a%41", 15, buf, sizeof buf, &u));
    CHECK_STR(u.source, "a%4");
    CHECK_OK(fnli_utm_parse("?utm_source=a%41", 16, buf, sizeof buf, &u));
    CHECK_STR(u.source, "aA");
}

int main(void)
{
    RUN(host_table);
    RUN(host_edges);
    RUN(utm_table);
    RUN(utm_buffer);
    TEST_MAIN_END();
}
