/* fuzz_url.c -- fnli_url_host() and fnli_utm_parse() on any bytes.
 *
 * Input: byte 0 picks the output capacity (to reach FNL_ERANGE), the rest
 * is the URL.  Properties: no crash, no read outside the URL or write
 * outside the buffer (both are exact-size heap blocks); results point
 * into the URL or the buffer and are NUL-terminated there; a buffer of
 * len + 5 bytes is always enough, as url.h promises. */
#include <string.h>

#include "fuzz.h"
#include "url.h"

static void check_value(const char *v, const char *buf, size_t cap)
{
    if (v == NULL)
        return;
    FUZZ_ASSERT(v >= buf && v < buf + cap);
    FUZZ_ASSERT(memchr(v, '\0', (size_t)(buf + cap - v)) != NULL);
    FUZZ_ASSERT(v[0] != '\0'); /* empty values count as absent */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *url;
    size_t len, cap;
    char *buf;
    fnli_span host;
    fnli_utm utm;
    int rc;

    if (size < 1)
        return 0;
    len = size - 1;
    url = (const char *)data + 1;
    cap = data[0] < 200 ? data[0] : len + 5;

    rc = fnli_url_host(url, len, &host);
    if (rc == FNL_OK) {
        FUZZ_ASSERT(host.n > 0);
        FUZZ_ASSERT(host.p >= url && host.p + host.n <= url + len);
    } else {
        FUZZ_ASSERT(rc == FNL_EINVAL);
    }

    buf = malloc(cap ? cap : 1);
    if (buf == NULL)
        return 0;
    rc = fnli_utm_parse(url, len, buf, cap, &utm);
    if (rc == FNL_OK) {
        check_value(utm.source, buf, cap);
        check_value(utm.medium, buf, cap);
        check_value(utm.campaign, buf, cap);
        check_value(utm.term, buf, cap);
        check_value(utm.content, buf, cap);
    } else {
        FUZZ_ASSERT(rc == FNL_ERANGE);
        FUZZ_ASSERT(cap < len + 5);
    }
    free(buf);
    return 0;
}
