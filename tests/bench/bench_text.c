/* bench_text.c -- nanoseconds per call of the ingest-path text functions.
 * Prints figures; asserts nothing.  Usage: bench_text [iterations] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "channel.h"
#include "normalize.h"
#include "text.h"
#include "url.h"

static volatile size_t sink;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void report(const char *what, double ns, long iters)
{
    printf("%-44s %8.1f ns/call\n", what, ns / (double)iters);
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 2000000;
    if (iters <= 0)
        iters = 2000000;

    /* 40-byte strings */
    static const char ascii40[] = "john.doe@example-corporation.com/abc1234";
    static const char mixed40[] =
        "\xE5\x8C\x97\xE4\xBA\xAC\xE5\xB8\x82\xE6\x9C\x9D\xE9\x98\xB3\xE5\x8C"
        "\xBA Zhang San \xE5\xBC\xA0\xE4\xB8\x89 Ltd";
    size_t n_ascii = sizeof ascii40 - 1, n_mixed = sizeof mixed40 - 1;

    double t0 = now_ns();
    for (long i = 0; i < iters; i++)
        sink += (size_t)fnli_utf8_valid(ascii40, n_ascii - (size_t)(i & 1));
    report("fnli_utf8_valid, 40 ASCII bytes", now_ns() - t0, iters);

    t0 = now_ns();
    for (long i = 0; i < iters; i++)
        sink += (size_t)fnli_utf8_valid(mixed40, n_mixed - (size_t)(i & 1) * 4);
    report("fnli_utf8_valid, ~40 bytes Chinese+ASCII", now_ns() - t0, iters);

    static const char *const emails[] = {
        " John.Doe@Example.COM ", "zhang.san@qq.com",
        "first.last+crm@sub.example.co.uk", "li.si@huawei.com",
    };
    static const char *const phones[] = {
        "+86 138 1234 5678", "030 1234567", "(415) 555-0100 x23",
        "0086 10 8888 6666",
    };
    char out[FNL_MAX_STRING + 32];
    const char *why;

    t0 = now_ns();
    for (long i = 0; i < iters; i++)
        sink += (size_t)fnli_key_normalize("email", 5, emails[i & 3], NULL,
                                           out, sizeof out, &why);
    report("fnli_key_normalize, e-mail", now_ns() - t0, iters);

    t0 = now_ns();
    for (long i = 0; i < iters; i++)
        sink += (size_t)fnli_key_normalize("phone", 5, phones[i & 3], "49",
                                           out, sizeof out, &why);
    report("fnli_key_normalize, phone", now_ns() - t0, iters);

    static const char url[] =
        "https://www.example.com/solutions/crm?utm_source=baidu&utm_medium=cpc"
        "&utm_campaign=2026_q1_%E5%B7%A5%E4%B8%9A_crm&utm_term=crm+software"
        "&utm_content=ad_v2&bd_vid=1234567890";
    char buf[sizeof url + 5];
    fnli_utm u;
    t0 = now_ns();
    for (long i = 0; i < iters; i++) {
        fnli_utm_parse(url, sizeof url - 1, buf, sizeof buf, &u);
        sink += (size_t)(u.source != NULL);
    }
    report("fnli_utm_parse, typical landing URL", now_ns() - t0, iters);

    fnli_span h;
    t0 = now_ns();
    for (long i = 0; i < iters; i++) {
        fnli_url_host(url, sizeof url - 1, &h);
        sink += h.n;
    }
    report("fnli_url_host, same URL", now_ns() - t0, iters);

    static const fnli_channel_input inputs[] = {
        {"baidu", "cpc", "2026_q1", "visit", NULL, url},
        {NULL, NULL, NULL, "visit", "https://www.google.com.hk/", url},
        {NULL, NULL, NULL, "visit", "https://mp.weixin.qq.com/s/abc", url},
        {NULL, NULL, NULL, "form_submit", NULL, url},
    };
    t0 = now_ns();
    for (long i = 0; i < iters; i++)
        sink += (size_t)fnli_channel_builtin(&inputs[i & 3])[0];
    report("fnli_channel_builtin, mix of 4 inputs", now_ns() - t0, iters);

    t0 = now_ns();
    for (long i = 0; i < iters; i++)
        sink += (size_t)fnli_channel_builtin(&inputs[0])[0];
    report("fnli_channel_builtin, utm baidu/cpc", now_ns() - t0, iters);

    t0 = now_ns();
    for (long i = 0; i < iters; i++)
        sink += (size_t)fnli_channel_builtin(&inputs[1])[0];
    report("fnli_channel_builtin, search referrer", now_ns() - t0, iters);
    return 0;
}
