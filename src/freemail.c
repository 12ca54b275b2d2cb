/* freemail.c -- built-in free / consumer e-mail domains: a bytewise sorted
 * table searched by binary search (about 7 comparisons per lookup).
 *
 * The list holds widely used consumer mail services (international,
 * European, Russian, Korean, Japanese and Chinese ones).  Keep it sorted
 * bytewise (tests check); hosts extend it through
 * fnl_engine_config.freemail_domains. */
#include "freemail.h"

#include "text.h"

static const char *const freemail_domains[] = {
    "126.com", "139.com", "163.com", "188.com", "189.cn", "21cn.com",
    "263.net", "aim.com", "aliyun.com", "aol.com", "bk.ru", "btinternet.com",
    "comcast.net", "daum.net", "fastmail.com", "foxmail.com", "free.fr",
    "gmail.com", "gmx.at", "gmx.ch", "gmx.com", "gmx.de", "gmx.net",
    "googlemail.com", "hanmail.net", "hey.com", "hotmail.co.jp",
    "hotmail.co.uk", "hotmail.com", "hotmail.de", "hotmail.es", "hotmail.fr",
    "hotmail.it", "icloud.com", "inbox.ru", "interia.pl", "kakao.com",
    "laposte.net", "libero.it", "list.ru", "live.cn", "live.co.uk",
    "live.com", "live.de", "live.fr", "mac.com", "mail.com", "mail.ru",
    "mailbox.org", "me.com", "msn.com", "nate.com", "naver.com", "o2.pl",
    "orange.fr", "outlook.com", "outlook.de", "outlook.fr", "outlook.jp",
    "pm.me", "posteo.de", "proton.me", "protonmail.ch", "protonmail.com",
    "qq.com", "rambler.ru", "rediffmail.com", "rocketmail.com", "seznam.cz",
    "sina.cn", "sina.com", "sina.com.cn", "sohu.com", "t-online.de",
    "tom.com", "tuta.io", "tutanota.com", "vip.126.com", "vip.163.com",
    "vip.qq.com", "vip.sina.com", "wanadoo.fr", "web.de", "wp.pl", "ya.ru",
    "yahoo.ca", "yahoo.co.in", "yahoo.co.jp", "yahoo.co.uk", "yahoo.com",
    "yahoo.com.au", "yahoo.com.br", "yahoo.com.cn", "yahoo.com.hk",
    "yahoo.com.tw", "yahoo.de", "yahoo.es", "yahoo.fr", "yahoo.it",
    "yandex.com", "yandex.ru", "yeah.net", "ymail.com", "zoho.com",
    "zohomail.com",
};

#define FREEMAIL_COUNT (sizeof freemail_domains / sizeof freemail_domains[0])

/* Bytewise comparison of the ASCII-lower-cased d[0..n) with the
 * NUL-terminated (lower-case) entry e. */
static int cmp_entry(const char *d, size_t n, const char *e)
{
    size_t i = 0;
    for (; i < n; i++) {
        unsigned char a = (unsigned char)fnli_lower(d[i]);
        unsigned char b = (unsigned char)e[i];
        if (b == '\0')
            return 1; /* entry is a proper prefix of d */
        if (a != b)
            return a < b ? -1 : 1;
    }
    return e[i] == '\0' ? 0 : -1;
}

int fnli_freemail_builtin(const char *domain, size_t len)
{
    size_t lo = 0, hi = FREEMAIL_COUNT;

    if (domain == NULL || len == 0)
        return 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp_entry(domain, len, freemail_domains[mid]);
        if (c == 0)
            return 1;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return 0;
}

size_t fnli_freemail_builtin_count(void)
{
    return FREEMAIL_COUNT;
}

const char *fnli_freemail_builtin_at(size_t i)
{
    return i < FREEMAIL_COUNT ? freemail_domains[i] : NULL;
}
