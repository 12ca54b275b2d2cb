/* fuzz_model.c -- the scoring-model text parser.
 *
 * Properties: no crash, leak or sanitizer report; a parse fails only with
 * FNL_EINVAL or FNL_EEXIST (with a line and column) or FNL_ENOMEM/
 * FNL_ELIMIT; a model
 * that parses prints to text that parses again to the same text (the
 * round trip docs/scoring.md promises), and scores an empty contact. */
#include <string.h>
#include "funnelcore.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fnl_model *m = NULL, *m2 = NULL;
    fnl_parse_error err = FNL_PARSE_ERROR_INIT;
    char *t1, *t2;
    size_t n1 = 0, n2 = 0;
    fnl_score_result r = FNL_SCORE_RESULT_INIT;
    int rc = fnl_model_parse(&m, (const char *)data, size, NULL, &err);
    if (rc != FNL_OK) {
        if (!(rc == FNL_EINVAL || rc == FNL_ENOMEM || rc == FNL_ELIMIT ||
              rc == FNL_EEXIST))
            fprintf(stderr, "parse returned %d (%s): %u:%u %s\n", rc,
                    fnl_strerror(rc), err.line, err.column, err.message);
        FUZZ_ASSERT(rc == FNL_EINVAL || rc == FNL_ENOMEM || rc == FNL_ELIMIT ||
                    rc == FNL_EEXIST);
        FUZZ_ASSERT(m == NULL);
        return 0;
    }
    fnl_model_to_text(m, NULL, 0, &n1);
    t1 = malloc(n1 + 1);
    FUZZ_ASSERT(fnl_model_to_text(m, t1, n1 + 1, &n1) == FNL_OK);
    FUZZ_ASSERT(fnl_model_parse(&m2, t1, n1, NULL, &err) == FNL_OK);
    fnl_model_to_text(m2, NULL, 0, &n2);
    t2 = malloc(n2 + 1);
    FUZZ_ASSERT(fnl_model_to_text(m2, t2, n2 + 1, &n2) == FNL_OK);
    FUZZ_ASSERT(n1 == n2 && memcmp(t1, t2, n1) == 0);
    FUZZ_ASSERT(fnl_model_score(m, NULL, 0, NULL, sizeof(fnl_touch_info), 0,
                                0, &r) == FNL_OK);
    free(t1);
    free(t2);
    fnl_model_free(m);
    fnl_model_free(m2);
    return 0;
}
