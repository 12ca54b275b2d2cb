/* fuzz_paths.c -- the ChannelAttribution paths CSV reader,
 * fnl_paths_parse(), and the models over what it accepts.
 *
 * Input: byte 0 picks value_decimals, the separator and the model, the
 * rest is the CSV text.  Properties: no crash, leak or sanitizer report;
 * a rejection says where (line and message); an accepted file runs the
 * model, and its rows sum to the totals. */
#include <math.h>
#include <string.h>

#include "funnelcore.h"
#include "fuzz.h"

static const uint32_t models[] = {
    FNL_ATTR_FIRST_TOUCH, FNL_ATTR_LAST_TOUCH, FNL_ATTR_LINEAR,
    FNL_ATTR_U_SHAPED,    FNL_ATTR_MARKOV,     FNL_ATTR_SHAPLEY,
    FNL_ATTR_LAST_NON_DIRECT, FNL_ATTR_SHAPLEY_ORDERED,
};

static int close_enough(double a, double b)
{
    return fabs(a - b) <= 1e-6 * (fabs(b) > 1.0 ? fabs(b) : 1.0);
}

static void run_model(const fnl_journeys *js, uint32_t model, uint32_t order)
{
    fnl_attribution_options o = FNL_ATTRIBUTION_OPTIONS_INIT;
    fnl_attribution_info info = FNL_ATTRIBUTION_INFO_INIT;
    fnl_attribution *a = NULL;
    double conv = 0, value = 0;
    size_t i, n;
    int rc;

    o.markov_order = order;
    rc = fnl_attribution_run(&a, js, model, &o);
    if (rc != FNL_OK) {
        /* The documented failures for valid options: a Markov chain that
         * does not converge, exact models over their limits, memory. */
        FUZZ_ASSERT(rc == FNL_ERANGE || rc == FNL_ELIMIT || rc == FNL_ENOMEM);
        FUZZ_ASSERT(a == NULL);
        return;
    }
    FUZZ_ASSERT(fnl_attribution_get_info(a, &info) == FNL_OK);
    n = fnl_attribution_row_count(a);
    FUZZ_ASSERT(n == info.row_count);
    for (i = 0; i < n; i++) {
        fnl_attribution_row row = FNL_ATTRIBUTION_ROW_INIT;
        FUZZ_ASSERT(fnl_attribution_row_get(a, i, &row) == FNL_OK);
        FUZZ_ASSERT(row.key != NULL && row.key[0] != '\0');
        FUZZ_ASSERT(isfinite(row.conversions) && isfinite(row.value));
        conv += row.conversions;
        value += row.value;
    }
    if (n > 0) {
        FUZZ_ASSERT(close_enough(conv, info.total_conversions));
        FUZZ_ASSERT(close_enough(value, info.total_value));
    }
    fnl_attribution_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fnl_paths_options opts = FNL_PATHS_OPTIONS_INIT;
    fnl_paths_error err = FNL_PATHS_ERROR_INIT;
    fnl_journeys *js = NULL;
    size_t groups;
    int rc;

    if (size < 1 || size > 64 * 1024)
        return 0;
    opts.value_decimals = data[0] % 10;
    opts.separator = (data[0] & 0x80) ? '|' : '>';
    rc = fnl_paths_parse(&js, (const char *)data + 1, size - 1, &opts, &err);
    if (rc != FNL_OK) {
        FUZZ_ASSERT(js == NULL);
        FUZZ_ASSERT(rc == FNL_ECORRUPT || rc == FNL_ELIMIT ||
                    rc == FNL_ENOMEM || rc == FNL_EINVAL);
        FUZZ_ASSERT(memchr(err.message, '\0', sizeof(err.message)) != NULL);
        FUZZ_ASSERT(rc != FNL_ECORRUPT || err.message[0] != '\0');
        return 0;
    }
    FUZZ_ASSERT(js != NULL);
    /* Keep the exponential models (exact Shapley) small. */
    groups = fnl_journeys_group_count(js);
    if (groups <= 12)
        run_model(js, models[(data[0] >> 4) & 7],
                  1u + (data[0] & (groups <= 6 ? 3u : 1u)));
    fnl_journeys_free(js);
    return 0;
}
