/* url.h -- the two things the engine needs from a URL: its host name and
 * its UTM parameters.  No allocation; results point into the input or
 * into a caller-supplied buffer. */
#ifndef FNL_URL_H
#define FNL_URL_H

#include <stddef.h>
#include "funnelcore.h"

typedef struct fnli_span {
    const char *p;
    size_t n;
} fnli_span;

/* The host name of url[0..len) (surrounding white space ignored), as a
 * span into url, case preserved:
 *   "scheme://[userinfo@]host[:port][/?#...]"  (any scheme with "//")
 *   "//host..."                                 (scheme-relative)
 *   "host[:port][/?#...]"                        (bare; host must contain
 *                                                 a '.')
 * Userinfo and port are stripped; "[v6addr]" gives v6addr without the
 * brackets; one trailing '.' of a fully qualified name is dropped.
 * FNL_EINVAL when there is no host: NULL, "mailto:...", "file:///x",
 * "http://", a bare word without '.', white space or control characters
 * in the host, an unclosed '['.  *host is written only on success. */
int fnli_url_host(const char *url, size_t len, fnli_span *host);

/* The five UTM parameters. */
typedef struct fnli_utm {
    const char *source, *medium, *campaign, *term, *content;
} fnli_utm;

/* Extract utm_source, utm_medium, utm_campaign, utm_term and utm_content
 * from the query string of url[0..len) and then from its fragment (where
 * '?' also separates parameters, for "#/page?utm_source=x").  Parameter
 * names are matched ASCII case-insensitively; values are percent-decoded
 * ('+' is a space; a '%' not followed by two hex digits is kept
 * literally), then trimmed (fnli_trim()).  A value that is empty after
 * that, or is not valid UTF-8 (a decoded NUL byte included), counts as
 * absent, so a later occurrence may supply it; otherwise the first
 * occurrence wins.  Values are written NUL-terminated into buf; absent
 * ones are NULL.  FNL_OK; FNL_ERANGE if cap is too small (cap >= len + 5
 * always suffices), FNL_EINVAL for NULL out (or NULL url with len > 0);
 * *out is written only on success. */
int fnli_utm_parse(const char *url, size_t len, char *buf, size_t cap,
                   fnli_utm *out);

#endif
