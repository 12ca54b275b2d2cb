/* init_check.c -- every public fnl_*_init() follows the one rule of
 * docs/abi.md ("The *_init functions"), checked byte by byte:
 *
 *  - size == sizeof: the struct is its FNL_*_INIT value;
 *  - size < sizeof (a caller compiled against an older header): the first
 *    `size` bytes are the INIT value's, the size field says `size`, and not
 *    one byte past `size` is written;
 *  - size > sizeof (a caller compiled against a newer header, in a buffer
 *    that big): the INIT value, the size field says sizeof (what this
 *    library reads and writes), the bytes up to `size` are zero, and
 *    nothing past `size` is written;
 *  - NULL, a size below sizeof(uint32_t) or above UINT32_MAX: FNL_EINVAL
 *    and nothing written.
 *
 * The expected bytes come from the INIT macros compiled here, in static
 * storage (so padding is zero), never from the library.  argv[1] is
 * include/funnelcore.h: every `FNL_API int fnl_..._init(` declared there
 * must be in the table below, so a new *_init cannot skip this test. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "funnelcore.h"

/* Every public *_init: function, struct, INIT macro. */
#define INIT_FUNCTIONS(X)                                                    \
    X(fnl_storage_file_options_init, fnl_storage_file_options,               \
      FNL_STORAGE_FILE_OPTIONS_INIT)                                         \
    X(fnl_storage_file_info_init, fnl_storage_file_info,                     \
      FNL_STORAGE_FILE_INFO_INIT)                                            \
    X(fnl_engine_config_init, fnl_engine_config, FNL_ENGINE_CONFIG_INIT)     \
    X(fnl_stats_init, fnl_stats, FNL_STATS_INIT)                             \
    X(fnl_contact_update_init, fnl_contact_update, FNL_CONTACT_UPDATE_INIT)  \
    X(fnl_contact_info_init, fnl_contact_info, FNL_CONTACT_INFO_INIT)        \
    X(fnl_account_update_init, fnl_account_update, FNL_ACCOUNT_UPDATE_INIT)  \
    X(fnl_account_info_init, fnl_account_info, FNL_ACCOUNT_INFO_INIT)        \
    X(fnl_owner_update_init, fnl_owner_update, FNL_OWNER_UPDATE_INIT)        \
    X(fnl_owner_info_init, fnl_owner_info, FNL_OWNER_INFO_INIT)              \
    X(fnl_touch_init, fnl_touch, FNL_TOUCH_INIT)                             \
    X(fnl_deal_update_init, fnl_deal_update, FNL_DEAL_UPDATE_INIT)           \
    X(fnl_cost_init, fnl_cost, FNL_COST_INIT)                                \
    X(fnl_attribution_options_init, fnl_attribution_options,                 \
      FNL_ATTRIBUTION_OPTIONS_INIT)                                          \
    X(fnl_journey_init, fnl_journey, FNL_JOURNEY_INIT)                       \
    X(fnl_attribution_info_init, fnl_attribution_info,                       \
      FNL_ATTRIBUTION_INFO_INIT)                                             \
    X(fnl_attribution_row_init, fnl_attribution_row,                         \
      FNL_ATTRIBUTION_ROW_INIT)                                              \
    X(fnl_parse_error_init, fnl_parse_error, FNL_PARSE_ERROR_INIT)           \
    X(fnl_model_info_init, fnl_model_info, FNL_MODEL_INFO_INIT)              \
    X(fnl_fit_rule_init, fnl_fit_rule, FNL_FIT_RULE_INIT)                    \
    X(fnl_engage_rule_init, fnl_engage_rule, FNL_ENGAGE_RULE_INIT)           \
    X(fnl_key_event_rule_init, fnl_key_event_rule, FNL_KEY_EVENT_RULE_INIT)  \
    X(fnl_score_result_init, fnl_score_result, FNL_SCORE_RESULT_INIT)        \
    X(fnl_account_score_init, fnl_account_score, FNL_ACCOUNT_SCORE_INIT)     \
    X(fnl_engine_attribution_options_init, fnl_engine_attribution_options,   \
      FNL_ENGINE_ATTRIBUTION_OPTIONS_INIT)                                   \
    X(fnl_engine_attribution_stats_init, fnl_engine_attribution_stats,       \
      FNL_ENGINE_ATTRIBUTION_STATS_INIT)                                     \
    X(fnl_report_info_init, fnl_report_info, FNL_REPORT_INFO_INIT)           \
    X(fnl_report_column_init, fnl_report_column, FNL_REPORT_COLUMN_INIT)     \
    X(fnl_report_value_init, fnl_report_value, FNL_REPORT_VALUE_INIT)        \
    X(fnl_roi_request_init, fnl_roi_request, FNL_ROI_REQUEST_INIT)           \
    X(fnl_spend_request_init, fnl_spend_request, FNL_SPEND_REQUEST_INIT)     \
    X(fnl_deal_report_request_init, fnl_deal_report_request,                 \
      FNL_DEAL_REPORT_REQUEST_INIT)                                          \
    X(fnl_cohort_request_init, fnl_cohort_request, FNL_COHORT_REQUEST_INIT)  \
    X(fnl_survival_request_init, fnl_survival_request,                       \
      FNL_SURVIVAL_REQUEST_INIT)                                             \
    X(fnl_time_to_convert_request_init, fnl_time_to_convert_request,         \
      FNL_TIME_TO_CONVERT_REQUEST_INIT)                                      \
    X(fnl_budget_request_init, fnl_budget_request, FNL_BUDGET_REQUEST_INIT)  \
    X(fnl_stage_info_init, fnl_stage_info, FNL_STAGE_INFO_INIT)              \
    X(fnl_transition_def_init, fnl_transition_def, FNL_TRANSITION_DEF_INIT)  \
    X(fnl_route_def_init, fnl_route_def, FNL_ROUTE_DEF_INIT)                 \
    X(fnl_sla_def_init, fnl_sla_def, FNL_SLA_DEF_INIT)                       \
    X(fnl_step_def_init, fnl_step_def, FNL_STEP_DEF_INIT)                    \
    X(fnl_stage_funnel_request_init, fnl_stage_funnel_request,               \
      FNL_STAGE_FUNNEL_REQUEST_INIT)                                         \
    X(fnl_stage_cohort_request_init, fnl_stage_cohort_request,               \
      FNL_STAGE_COHORT_REQUEST_INIT)                                         \
    X(fnl_stage_time_to_convert_request_init,                                \
      fnl_stage_time_to_convert_request,                                     \
      FNL_STAGE_TIME_TO_CONVERT_REQUEST_INIT)                                \
    X(fnl_rejection_request_init, fnl_rejection_request,                     \
      FNL_REJECTION_REQUEST_INIT)                                            \
    X(fnl_stage_counts_request_init, fnl_stage_counts_request,               \
      FNL_STAGE_COUNTS_REQUEST_INIT)                                         \
    X(fnl_stage_status_init, fnl_stage_status, FNL_STAGE_STATUS_INIT)      \
    X(fnl_paths_options_init, fnl_paths_options, FNL_PATHS_OPTIONS_INIT)

typedef struct entry {
    const char *name;
    size_t size; /* sizeof the struct in this header */
    int (*call)(void *p, size_t size);
    const void *ref; /* its INIT value, padding zero */
    /* NULL: compare bytes; else: the members of got[0..n) equal ref's */
    int (*same)(const unsigned char *got, size_t n);
    /* offsets of members whose default is a string literal: the library's
     * copy of "direct" is not the test's, so they compare as strings */
    size_t str[4];
} entry;

#define DEFINE_ENTRY(fn, type, INIT)                                         \
    static const type ref_##fn = INIT;                                       \
    static int call_##fn(void *p, size_t size)                               \
    {                                                                        \
        return fn((type *)p, size);                                          \
    }

INIT_FUNCTIONS(DEFINE_ENTRY)

#define ENTRY(fn, type, INIT)                                                \
    {#fn, sizeof(type), call_##fn, &ref_##fn, NULL, {0}},

static entry table[] = {
    INIT_FUNCTIONS(ENTRY)
};

/* Members whose INIT default is a string literal. */
static void mark_strings(void)
{
    size_t i;
    for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        entry *e = &table[i];
        if (strcmp(e->name, "fnl_attribution_options_init") == 0) {
            e->str[0] = offsetof(fnl_attribution_options, direct_group);
        } else if (strcmp(e->name, "fnl_stage_counts_request_init") == 0) {
            e->str[0] = offsetof(fnl_stage_counts_request, lead_stage);
            e->str[1] = offsetof(fnl_stage_counts_request, mql_stage);
            e->str[2] = offsetof(fnl_stage_counts_request, sql_stage);
        }
    }
}
#define NENTRIES (sizeof(table) / sizeof(table[0]))

#define EXTRA 24   /* a newer caller's members */
#define GUARD 32   /* bytes after the caller's struct that must stay */
#define FILL 0xA5

static int failures;

static void fail(const entry *e, const char *what, size_t size)
{
    fprintf(stderr, "%s(p, %zu): %s\n", e->name, size, what);
    failures++;
}

static int all(const unsigned char *p, size_t n, unsigned char v)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (p[i] != v)
            return 0;
    return 1;
}

static uint32_t size_field(const unsigned char *p)
{
    uint32_t s;
    memcpy(&s, p, sizeof(s));
    return s;
}

/* got[4..n) equals the INIT value's bytes (or members) there: string
 * members (wholly inside n) by content, everything else byte for byte. */
static int init_bytes(const entry *e, const unsigned char *got, size_t n)
{
    unsigned char *a, *b;
    int same;
    size_t k;
    if (e->same != NULL)
        return e->same(got, n);
    a = malloc(n);
    b = malloc(n);
    if (a == NULL || b == NULL)
        abort();
    memcpy(a, got, n);
    memcpy(b, e->ref, n);
    same = 1;
    for (k = 0; k < 4 && e->str[k] != 0; k++) {
        const char *x, *y;
        if (e->str[k] + sizeof(const char *) > n)
            continue;
        memcpy(&x, a + e->str[k], sizeof(x));
        memcpy(&y, b + e->str[k], sizeof(y));
        if ((x == NULL) != (y == NULL) || (x && strcmp(x, y) != 0))
            same = 0;
        memset(a + e->str[k], 0, sizeof(x));
        memset(b + e->str[k], 0, sizeof(y));
    }
    same = same && memcmp(a + sizeof(uint32_t), b + sizeof(uint32_t),
                          n - sizeof(uint32_t)) == 0;
    free(a);
    free(b);
    return same;
}

/* Call e's init on a fresh FILL buffer with `size`; check rc and that the
 * bytes past `size` (up to `size + GUARD`) are untouched. */
static int call(const entry *e, unsigned char *buf, size_t size, int want)
{
    int rc;
    memset(buf, FILL, size + GUARD);
    rc = e->call(buf, size);
    if (rc != want) {
        char msg[64];
        snprintf(msg, sizeof(msg), "returned %d, expected %d", rc, want);
        fail(e, msg, size);
        return 0;
    }
    if (!all(buf + size, GUARD, FILL)) {
        fail(e, "wrote past the caller's size", size);
        return 0;
    }
    return 1;
}

static void check_entry(const entry *e)
{
    size_t full = e->size, big = full + EXTRA, s;
    size_t smaller[3];
    unsigned char *buf = malloc(big + GUARD);
    unsigned i;
    if (buf == NULL)
        abort();

    /* exactly its size: the INIT value */
    if (call(e, buf, full, FNL_OK)) {
        if (size_field(buf) != full)
            fail(e, "size field is not sizeof", full);
        else if (!init_bytes(e, buf, full))
            fail(e, "is not the INIT value", full);
    }

    /* a newer caller's bigger struct: INIT, size = sizeof, zeroed tail */
    if (call(e, buf, big, FNL_OK)) {
        if (size_field(buf) != full)
            fail(e, "size field is not min(size, sizeof)", big);
        else if (!init_bytes(e, buf, full))
            fail(e, "is not the INIT value", big);
        else if (!all(buf + full, EXTRA, 0))
            fail(e, "bytes past sizeof are not zero", big);
    }

    /* an older caller's shorter struct: a prefix of INIT, nothing more */
    smaller[0] = sizeof(uint32_t);
    smaller[1] = full / 2 > sizeof(uint32_t) ? full / 2 : sizeof(uint32_t);
    smaller[2] = full - 1;
    for (i = 0; i < 3; i++) {
        s = smaller[i];
        if (!call(e, buf, s, FNL_OK))
            continue;
        if (size_field(buf) != s)
            fail(e, "size field is not the caller's size", s);
        else if (s > sizeof(uint32_t) && !init_bytes(e, buf, s))
            fail(e, "is not a prefix of the INIT value", s);
    }

    /* refused, and nothing written */
    if (e->call(NULL, full) != FNL_EINVAL)
        fail(e, "NULL is not FNL_EINVAL", full);
    for (s = 0; s < sizeof(uint32_t); s++)
        call(e, buf, s, FNL_EINVAL);
#if SIZE_MAX > UINT32_MAX
    /* the call must refuse before it writes: the buffer is small */
    memset(buf, FILL, big + GUARD);
    if (e->call(buf, (size_t)UINT32_MAX + 1) != FNL_EINVAL)
        fail(e, "a size above UINT32_MAX is not FNL_EINVAL",
             (size_t)UINT32_MAX + 1);
    else if (!all(buf, big + GUARD, FILL))
        fail(e, "a refused call wrote", (size_t)UINT32_MAX + 1);
#endif
    free(buf);
}

/* Every `FNL_API int fnl_<x>_init(` in the header is in the table. */
static void check_complete(const char *header)
{
    char line[512];
    size_t found = 0;
    FILE *f = fopen(header, "r");
    if (f == NULL) {
        fprintf(stderr, "cannot open %s\n", header);
        failures++;
        return;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        const char *p = strstr(line, "FNL_API int fnl_");
        size_t n, i;
        if (p == NULL)
            continue;
        p += strlen("FNL_API int ");
        n = strcspn(p, "( \t\r\n");
        if (n < 5 || strncmp(p + n - 5, "_init", 5) != 0 || p[n] != '(')
            continue;
        found++;
        for (i = 0; i < NENTRIES; i++)
            if (strlen(table[i].name) == n &&
                strncmp(table[i].name, p, n) == 0)
                break;
        if (i == NENTRIES) {
            fprintf(stderr, "%.*s is declared but not in init_check.c's "
                            "table\n", (int)n, p);
            failures++;
        }
    }
    fclose(f);
    if (found != NENTRIES) {
        fprintf(stderr, "the header declares %zu *_init functions, the "
                        "table has %zu\n", found, (size_t)NENTRIES);
        failures++;
    }
}

int main(int argc, char **argv)
{
    size_t i;
    mark_strings();
    for (i = 0; i < NENTRIES; i++)
        check_entry(&table[i]);
    if (argc > 1)
        check_complete(argv[1]);
    else {
        fprintf(stderr, "usage: abi_init_check include/funnelcore.h\n");
        failures++;
    }
    printf("%zu *_init functions checked, %d failures\n", (size_t)NENTRIES,
           failures);
    return failures ? 1 : 0;
}
