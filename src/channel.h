/* channel.h -- the built-in default channel grouping and the matching of
 * host channel rules (fnl_channel_rule).  Pure functions: no allocation,
 * no state.  The rule table is in channel.c and docs/channels.md. */
#ifndef FNL_CHANNEL_H
#define FNL_CHANNEL_H

#include <stddef.h>
#include <stdint.h>
#include "funnelcore.h"

/* What the grouping reads.  Strings are NUL-terminated or NULL (absent);
 * an empty or all-white-space string counts as absent.  The utm_* fields
 * are used as given: a caller that wants UTM parameters of `url` to count
 * merges them in first (fnli_utm_parse()); url itself is only read to
 * recognise self-referrals. */
typedef struct fnli_channel_input {
    const char *utm_source, *utm_medium, *utm_campaign, *type, *referrer,
        *url;
} fnli_channel_input;

/* The built-in channel of a touch: one of the static strings
 * "paid_search", "organic_search", "paid_social", "organic_social",
 * "email", "referral", "display", "events", "direct", "other".
 * Never NULL (a NULL in gives "direct"). */
const char *fnli_channel_builtin(const fnli_channel_input *in);

/* Match a host rule pattern against value[0..value_len): ASCII case-
 * insensitive equality; a pattern ending in '*' matches every value that
 * starts with the part before the '*'; "*" matches any non-empty value.
 * A NULL or empty value (absent) and a NULL pattern never match. */
int fnli_pattern_match(const char *pattern, const char *value,
                       size_t value_len);

/* The value of field `field` (fnl_touch_field) for the input, trimmed:
 * 1 with *v, *n set (pointing into the input) when present, 0 when absent
 * or for an unknown field.  FNL_FIELD_REFERRER_HOST and FNL_FIELD_URL_HOST
 * are the host names (fnli_url_host()); FNL_FIELD_TYPE of a touch without
 * a type is "visit", as for fnl_touch.type. */
int fnli_channel_field(const fnli_channel_input *in, uint32_t field,
                       const char **v, size_t *n);

/* For tests: 1 if every internal lookup table is sorted and free of
 * duplicates (binary search depends on it). */
int fnli_channel_tables_ok(void);

/* Host classification used by the grouping, exposed for tests and for the
 * engine: FNLI_HOST_* for a host name (case-insensitive). */
enum {
    FNLI_HOST_OTHER = 0,
    FNLI_HOST_SEARCH = 1,
    FNLI_HOST_SOCIAL = 2,
    FNLI_HOST_WEBMAIL = 3
};
int fnli_host_class(const char *host, size_t n);

#endif
