/* test_normalize.c -- names, identity keys (e-mail, phone, others),
 * e-mail domains, currencies and the free-mail list. */
#include "test.h"
#include "freemail.h"
#include "normalize.h"

#define OUTCAP (FNL_MAX_STRING + 32)

/* ------------------------------------------------------------------------ */

typedef struct name_case {
    const char *in;
    int punct;
    const char *out; /* NULL: FNL_EINVAL */
    const char *why;
} name_case;

#define A16 "aaaaaaaaaaaaaaaa"
#define A64 A16 A16 A16 A16

static const char *const KIND_WHY =
    "contains a character other than a-z, 0-9, _";
static const char *const ATTR_WHY =
    "contains a character other than a-z, 0-9, _, ., -";

TEST(name_fold_table)
{
    const name_case t[] = {
        {"email", 0, "email", NULL},
        {"Email", 0, "email", NULL},
        {"WeChat_ID", 0, "wechat_id", NULL},
        {"crm_id2", 0, "crm_id2", NULL},
        {"_", 0, "_", NULL},
        {"0", 0, "0", NULL},
        {"ABCXYZ", 0, "abcxyz", NULL},
        {A64, 0, A64, NULL},
        {"company.size", 1, "company.size", NULL},
        {"Lead-Source", 1, "lead-source", NULL},
        {"a-b", 1, "a-b", NULL},
        {"", 0, NULL, "empty"},
        {"", 1, NULL, "empty"},
        {A64 "a", 0, NULL, "too long"},
        {A64 "a", 1, NULL, "too long"},
        {"a-b", 0, NULL, NULL /* KIND_WHY */},
        {"company.size", 0, NULL, NULL},
        {"a b", 0, NULL, NULL},
        {" email", 0, NULL, NULL},
        {"email ", 1, NULL, NULL},
        {"e@mail", 0, NULL, NULL},
        {"caf\xC3\xA9", 0, NULL, NULL},
        {"caf\xC3\xA9", 1, NULL, NULL},
        {"a/b", 1, NULL, NULL},
        {"tab\t", 1, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char out[FNL_MAX_NAME + 1];
        const char *why = NULL;
        int rc = fnli_name_fold(t[i].in, t[i].punct, out, sizeof out, &why);
        if (t[i].out != NULL ? rc < 0 : rc != FNL_EINVAL)
            fprintf(stderr, "name case %zu \"%s\": rc %d\n", i, t[i].in, rc);
        if (t[i].out != NULL) {
            CHECK_INT(rc, strlen(t[i].out));
            CHECK_STR(out, t[i].out);
        } else {
            CHECK_INT(rc, FNL_EINVAL);
            const char *want = t[i].why != NULL ? t[i].why
                               : t[i].punct    ? ATTR_WHY
                                               : KIND_WHY;
            CHECK_STR(why, want);
        }
    }
}

TEST(name_fold_edges)
{
    char out[FNL_MAX_NAME + 1];
    char small[8];
    const char *why = NULL;
    CHECK_INT(fnli_name_fold(NULL, 0, out, sizeof out, &why), FNL_EINVAL);
    CHECK_STR(why, "empty");
    CHECK_INT(fnli_name_fold("email", 0, small, sizeof small, &why),
              FNL_ERANGE);
    CHECK_INT(fnli_name_fold("Email", 0, out, sizeof out, NULL), 5);
    CHECK_INT(fnli_name_fold("e mail", 0, out, sizeof out, NULL), FNL_EINVAL);
}

/* ------------------------------------------------------------------------ */

typedef struct key_case {
    const char *kind;
    const char *in;
    const char *cc;
    const char *out; /* NULL: FNL_EINVAL */
    const char *why;
} key_case;

static const char *const NE = "not an e-mail address";
static const char *const NP = "not a phone number";

static const key_case key_cases[] = {
    /* e-mail */
    {"email", " John.Doe@Example.COM ", NULL, "john.doe@example.com", NULL},
    {"email", "a@b.co", NULL, "a@b.co", NULL},
    {"email", "Zhang.San@QQ.com", "86", "zhang.san@qq.com", NULL},
    {"email", "first+tag@sub.example.co.uk", NULL,
     "first+tag@sub.example.co.uk", NULL},
    {"email", "o'brien@my-company.ie", NULL, "o'brien@my-company.ie", NULL},
    {"email", "M\xC3\x9CLLER@Firma.DE", NULL, "m\xC3\x9Cller@firma.de", NULL},
    {"email", "\xE7\x94\xA8\xE6\x88\xB7@\xE4\xBE\x8B\xE5\xAD\x90.\xE5\x85\xAC"
              "\xE5\x8F\xB8", NULL,
     "\xE7\x94\xA8\xE6\x88\xB7@\xE4\xBE\x8B\xE5\xAD\x90.\xE5\x85\xAC\xE5\x8F"
     "\xB8", NULL},
    {"email", "\xE3\x80\x80li@x.cn\xE3\x80\x80", NULL, "li@x.cn", NULL},
    {"email", "\xC2\xA0LI@X.CN\t\n", NULL, "li@x.cn", NULL},
    {"email", "123@163.com", NULL, "123@163.com", NULL},
    {"email", "first last@x.com", NULL, NULL, NE},
    {"email", "a@@b.com", NULL, NULL, NE},
    {"email", "a@b@c.com", NULL, NULL, NE},
    {"email", "@b.com", NULL, NULL, NE},
    {"email", "a@", NULL, NULL, NE},
    {"email", "a@b", NULL, NULL, NE},
    {"email", "a@localhost", NULL, NULL, NE},
    {"email", "a@.b.com", NULL, NULL, NE},
    {"email", "a@b.com.", NULL, NULL, NE},
    {"email", "a@b..com", NULL, NULL, NE},
    {"email", "a@b_c.com", NULL, NULL, NE},
    {"email", "a@[1.2.3.4]", NULL, NULL, NE},
    {"email", "a@b.com>", NULL, NULL, NE},
    {"email", "a\xC2\xA0" "b@x.com", NULL, NULL, NE},
    {"email", "a\xE3\x80\x80" "b@x.com", NULL, NULL, NE},
    {"email", "a\tb@x.com", NULL, NULL, NE},
    {"email", "a@x.com\x7F", NULL, NULL, NE},
    {"email", "plain", NULL, NULL, NE},
    {"email", "a@b.com\xFF", NULL, NULL, "invalid UTF-8"},
    {"email", "\xED\xA0\x80@b.com", NULL, NULL, "invalid UTF-8"},
    {"email", "   ", NULL, NULL, "empty"},
    {"email", "", NULL, NULL, "empty"},
    {"email", "\xE3\x80\x80\xC2\xA0", NULL, NULL, "empty"},

    /* phone: China */
    {"phone", "+86 138 1234 5678", NULL, "+8613812345678", NULL},
    {"phone", "+86-138-1234-5678", "49", "+8613812345678", NULL},
    {"phone", "13812345678", "86", "+8613812345678", NULL},
    {"phone", "13812345678", NULL, "13812345678", NULL},
    {"phone", "13812345678", "", "13812345678", NULL},
    {"phone", "13812345678", "+86", "+8613812345678", NULL},
    {"phone", "008613812345678", NULL, "+8613812345678", NULL},
    {"phone", "0086 138 1234 5678", "49", "+8613812345678", NULL},
    {"phone", "(+86) 13812345678", NULL, "+8613812345678", NULL},
    {"phone", "\xEF\xBC\x91\xEF\xBC\x93\xEF\xBC\x98\xEF\xBC\x91\xEF\xBC\x92"
              "\xEF\xBC\x93\xEF\xBC\x94\xEF\xBC\x95\xEF\xBC\x96\xEF\xBC\x97"
              "\xEF\xBC\x98", "86", "+8613812345678", NULL},
    {"phone", "\xEF\xBC\x8B\xEF\xBC\x98\xEF\xBC\x96 138-1234-5678", NULL,
     "+8613812345678", NULL},
    {"phone", "+86\xE3\x80\x80" "138 1234 5678", NULL, "+8613812345678",
     NULL},
    {"phone", "+86 138\xE2\x80\x94" "1234\xE2\x80\x94" "5678", NULL,
     "+8613812345678", NULL},
    {"phone", "010-12345678", "86", "+861012345678", NULL},
    {"phone", "\xEF\xBC\x88" "010\xEF\xBC\x89" "12345678", "86",
     "+861012345678", NULL},
    {"phone", "\xEF\xBC\x88" "010\xEF\xBC\x89\xEF\xBC\x8D" "12345678", NULL,
     "01012345678", NULL},
    {"phone", "010-12345678\xE8\xBD\xAC" "801", "86",
     "+861012345678;ext=801", NULL},
    /* phone: Germany (trunk 0) */
    {"phone", "030 1234567", "49", "+49301234567", NULL},
    {"phone", "030/1234567", "49", "+49301234567", NULL},
    {"phone", "(030) 1234567", "49", "+49301234567", NULL},
    {"phone", "030 1234567", NULL, "0301234567", NULL},
    {"phone", "+49 (0)30 1234567", NULL, "+49301234567", NULL},
    {"phone", "+49 (0) 30 1234567", "86", "+49301234567", NULL},
    {"phone", "0049 (0)30 1234567", NULL, "+49301234567", NULL},
    {"phone", "+49 (1)30 1234567", NULL, "+491301234567", NULL},
    {"phone", "+49 (0", NULL, NULL, NP},
    {"phone", "(0)30 1234567", "49", "+49301234567", NULL},
    {"phone", "0049 30 1234567", "49", "+49301234567", NULL},
    {"phone", "+49 30 1234567", "86", "+49301234567", NULL},
    {"phone", "+49.30.123.45.67", NULL, "+49301234567", NULL},
    /* phone: US and extensions */
    {"phone", "+1 (415) 555-0100", NULL, "+14155550100", NULL},
    {"phone", "415.555.0100", "1", "+14155550100", NULL},
    {"phone", "+1 415 555 0100 x23", NULL, "+14155550100;ext=23", NULL},
    {"phone", "+1 415 555 0100x23", NULL, "+14155550100;ext=23", NULL},
    {"phone", "+1 415 555 0100 ext. 23", NULL, "+14155550100;ext=23", NULL},
    {"phone", "+1 415 555 0100 EXT 23", NULL, "+14155550100;ext=23", NULL},
    {"phone", "+1 415 555 0100 Ext: 23", NULL, "+14155550100;ext=23", NULL},
    {"phone", "+1 415 555 0100 extension 23", NULL, "+14155550100;ext=23",
     NULL},
    {"phone", "+1 415 555 0100 #23", NULL, "+14155550100;ext=23", NULL},
    {"phone", "415 555 0100 x12345678", "1", "+14155550100;ext=12345678",
     NULL},
    {"phone", "+1 415 555 0100 x123456789", NULL, NULL, NP},
    {"phone", "+1 415 555 0100 x", NULL, NULL, NP},
    {"phone", "+1 415 555 0100 xy 23", NULL, NULL, NP},
    {"phone", "+1 415 555 0100 x23 y", NULL, NULL, NP},
    {"phone", "+1 415 555 0100 x23 4a", NULL, NULL, NP},
    {"phone", "x23", NULL, NULL, NP},
    {"phone", "12 x 34", NULL, NULL, NP},
    /* phone: lengths and shapes */
    {"phone", "1234", NULL, "1234", NULL},
    {"phone", "123", NULL, NULL, NP},
    {"phone", "12345678901234567890", NULL, "12345678901234567890", NULL},
    {"phone", "123456789012345678901", NULL, NULL, NP},
    {"phone", "+12345678901234567890", NULL, "+12345678901234567890", NULL},
    {"phone", "0012345678901234567890", NULL, "+12345678901234567890", NULL},
    {"phone", "0049", NULL, NULL, NP},
    {"phone", "01234", "86", "+861234", NULL},
    {"phone", "0", "86", NULL, NP},
    {"phone", "\xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x93\xEF\xBC\x94", NULL,
     "1234", NULL},
    {"phone", "+0 123 4567", NULL, NULL, NP},
    {"phone", "0001234567", NULL, NULL, NP},
    {"phone", "+86 138+1234", NULL, NULL, NP},
    {"phone", "++8613812345678", NULL, NULL, NP},
    {"phone", "138 1234 5678!", NULL, NULL, NP},
    {"phone", "138_1234_5678", NULL, NULL, NP},
    {"phone", "call me", NULL, NULL, NP},
    {"phone", "+", NULL, NULL, NP},
    {"phone", "--", NULL, NULL, NP},
    {"phone", "  ", NULL, NULL, "empty"},
    {"phone", "1234", "8a", NULL, "invalid default country code"},
    {"phone", "1234", "012", NULL, "invalid default country code"},
    {"phone", "1234", "12345", NULL, "invalid default country code"},
    {"phone", "\xFF" "1234", NULL, NULL, "invalid UTF-8"},

    /* other kinds: trim only, case and inner spaces kept */
    {"wechat_id", "  wxid_abc123  ", NULL, "wxid_abc123", NULL},
    {"crm_id", "Abc-123", NULL, "Abc-123", NULL},
    {"cookie_id", "\xC2\xA0x y\xC2\xA0", NULL, "x y", NULL},
    {"emails", " A@B ", NULL, "A@B", NULL},
    {"phones", "call me", NULL, "call me", NULL},
    {"wecom_id", "\xE5\xBC\xA0\xE4\xB8\x89", NULL,
     "\xE5\xBC\xA0\xE4\xB8\x89", NULL},
    {"wechat_id", "\xE3\x80\x80", NULL, NULL, "empty"},
    {"crm_id", "a\xC0\x80", NULL, NULL, "invalid UTF-8"},
    {"crm_id", "\xF4\x90\x80\x80", NULL, NULL, "invalid UTF-8"},
};

TEST(key_table)
{
    for (size_t i = 0; i < sizeof key_cases / sizeof key_cases[0]; i++) {
        const key_case *c = &key_cases[i];
        char out[OUTCAP];
        const char *why = NULL;
        int rc = fnli_key_normalize(c->kind, strlen(c->kind), c->in, c->cc,
                                    out, sizeof out, &why);
        int bad = c->out != NULL ? (rc < 0 || strcmp(out, c->out) != 0)
                                 : (rc != FNL_EINVAL ||
                                    why == NULL || strcmp(why, c->why) != 0);
        if (bad)
            fprintf(stderr, "key case %zu (%s \"%s\"): rc %d out \"%s\" why "
                            "\"%s\"\n", i, c->kind, c->in, rc,
                    rc >= 0 ? out : "", why ? why : "(null)");
        if (c->out != NULL) {
            CHECK_INT(rc, strlen(c->out));
            CHECK_STR(out, c->out);
        } else {
            CHECK_INT(rc, FNL_EINVAL);
            CHECK_STR(why, c->why);
        }
    }
}

TEST(key_limits)
{
    static char big[FNL_MAX_STRING + 2];
    char out[OUTCAP];
    const char *why = NULL;

    /* exactly FNL_MAX_STRING bytes: accepted */
    memset(big, 'k', FNL_MAX_STRING);
    big[FNL_MAX_STRING] = '\0';
    CHECK_INT(fnli_key_normalize("crm_id", 6, big, NULL, out, sizeof out,
                                 &why), FNL_MAX_STRING);
    /* an e-mail of exactly FNL_MAX_STRING bytes */
    memcpy(big + FNL_MAX_STRING - 6, "@x.com", 6);
    CHECK_INT(fnli_key_normalize("email", 5, big, NULL, out, sizeof out,
                                 &why), FNL_MAX_STRING);
    CHECK_STR(out + FNL_MAX_STRING - 6, "@x.com");
    /* one more byte: too long, even when trimming would shorten it */
    memset(big, 'k', FNL_MAX_STRING + 1);
    big[0] = ' ';
    big[FNL_MAX_STRING + 1] = '\0';
    CHECK_INT(fnli_key_normalize("crm_id", 6, big, NULL, out, sizeof out,
                                 &why), FNL_EINVAL);
    CHECK_STR(why, "too long");
    /* NULL value */
    CHECK_INT(fnli_key_normalize("crm_id", 6, NULL, NULL, out, sizeof out,
                                 &why), FNL_EINVAL);
    CHECK_STR(why, "empty");
    /* output buffer too small */
    char small[8];
    CHECK_INT(fnli_key_normalize("crm_id", 6, "0123456789", NULL, small,
                                 sizeof small, &why), FNL_ERANGE);
    CHECK_INT(fnli_key_normalize("crm_id", 6, "0123456", NULL, small,
                                 sizeof small, &why), 7);
    CHECK_STR(small, "0123456");
    /* the kind is compared with its length, not up to a NUL */
    CHECK_INT(fnli_key_normalize("emailx", 5, " A@B.CN ", NULL, out,
                                 sizeof out, NULL), 6);
    CHECK_STR(out, "a@b.cn");
    CHECK_INT(fnli_key_normalize("phone_no", 5, "+86 10 1234 5678", NULL, out,
                                 sizeof out, NULL), 13);
    CHECK_STR(out, "+861012345678");
}

TEST(email_domain)
{
    static const struct { const char *in, *dom; } t[] = {
        {"a@b.com", "b.com"},
        {"zhang.san@qq.com", "qq.com"},
        {"a@b@c.com", "c.com"},
        {"a@", NULL},
        {"abc", NULL},
        {"", NULL},
        {"@x.cn", "x.cn"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        const char *d = "unchanged";
        size_t dn = 99;
        int rc = fnli_email_domain(t[i].in, strlen(t[i].in), &d, &dn);
        if (t[i].dom == NULL) {
            CHECK_INT(rc, FNL_EINVAL);
            CHECK_STR(d, "unchanged");
        } else {
            CHECK_INT(rc, FNL_OK);
            CHECK_INT(dn, strlen(t[i].dom));
            CHECK(memcmp(d, t[i].dom, dn) == 0);
            CHECK(d >= t[i].in && d < t[i].in + strlen(t[i].in));
        }
    }
}

TEST(currency_table)
{
    static const struct { const char *in, *out; } t[] = {
        {"EUR", "EUR"}, {"eur", "EUR"}, {"Usd", "USD"}, {"cNy", "CNY"},
        {"JPY", "JPY"}, {"EU", NULL},   {"EURO", NULL}, {"E1R", NULL},
        {"", NULL},     {" EU", NULL},  {"EUR ", NULL}, {"\xE2\x82\xAC", NULL},
        {"E_R", NULL},  {"12 ", NULL},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char out[4] = "zzz";
        int rc = fnli_currency_parse(t[i].in, out);
        if (t[i].out == NULL) {
            CHECK_INT(rc, FNL_EINVAL);
            CHECK_STR(out, "zzz");
        } else {
            CHECK_INT(rc, FNL_OK);
            CHECK_STR(out, t[i].out);
        }
    }
    char out[4];
    CHECK_INT(fnli_currency_parse(NULL, out), FNL_EINVAL);
}

/* ------------------------------------------------------------------------ */

TEST(freemail_listed)
{
    static const char *const yes[] = {
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com",
        "hotmail.co.uk", "hotmail.fr", "live.com", "msn.com", "yahoo.com",
        "yahoo.co.jp", "yahoo.com.cn", "ymail.com", "icloud.com", "me.com",
        "mac.com", "aol.com", "proton.me", "protonmail.com", "gmx.de",
        "gmx.net", "web.de", "mail.ru", "yandex.ru", "qq.com", "vip.qq.com",
        "foxmail.com", "163.com", "126.com", "yeah.net", "sina.com",
        "sina.cn", "sohu.com", "139.com", "189.cn", "aliyun.com",
        "naver.com", "daum.net", "zoho.com", "t-online.de", "126.com",
        "GMAIL.COM", "QQ.Com", "Hotmail.Co.UK",
        /* first and last entries */
        "126.com", "zohomail.com",
    };
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (!fnli_freemail_builtin(yes[i], strlen(yes[i])))
            fprintf(stderr, "not free-mail: %s\n", yes[i]);
        CHECK_INT(fnli_freemail_builtin(yes[i], strlen(yes[i])), 1);
    }
}

TEST(freemail_not_listed)
{
    static const char *const no[] = {
        "example.com", "acme.cn", "gmail.co", "gmail.comm", "mail.gmail.com",
        "gmail.com.cn", "qq.co", "q.com", "163.co", "a", "0.com", "zzz.zz",
        "huawei.com", "microsoft.com", "google.com", "tencent.com",
        "gmail.com.", " gmail.com", "xqq.com",
    };
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        if (fnli_freemail_builtin(no[i], strlen(no[i])))
            fprintf(stderr, "free-mail: %s\n", no[i]);
        CHECK_INT(fnli_freemail_builtin(no[i], strlen(no[i])), 0);
    }
    CHECK_INT(fnli_freemail_builtin("", 0), 0);
    CHECK_INT(fnli_freemail_builtin(NULL, 0), 0);
    /* length is honoured: "qq.com" within a longer buffer */
    CHECK_INT(fnli_freemail_builtin("qq.comXYZ", 6), 1);
    CHECK_INT(fnli_freemail_builtin("qq.comXYZ", 5), 0);
}

TEST(freemail_table_sorted)
{
    size_t n = fnli_freemail_builtin_count();
    CHECK(n >= 60 && n <= 120);
    CHECK(fnli_freemail_builtin_at(n) == NULL);
    for (size_t i = 0; i < n; i++) {
        const char *d = fnli_freemail_builtin_at(i);
        CHECK(d != NULL);
        if (i > 0)
            CHECK(strcmp(fnli_freemail_builtin_at(i - 1), d) < 0);
        for (const char *p = d; *p; p++)
            CHECK(!(*p >= 'A' && *p <= 'Z'));
        /* every entry is found by the search */
        CHECK_INT(fnli_freemail_builtin(d, strlen(d)), 1);
    }
}

int main(void)
{
    RUN(name_fold_table);
    RUN(name_fold_edges);
    RUN(key_table);
    RUN(key_limits);
    RUN(email_domain);
    RUN(currency_table);
    RUN(freemail_listed);
    RUN(freemail_not_listed);
    RUN(freemail_table_sorted);
    TEST_MAIN_END();
}
