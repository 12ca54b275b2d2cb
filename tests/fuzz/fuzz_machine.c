/* fuzz_machine.c -- the stage-machine text parser.
 *
 * Properties: no crash, leak or sanitizer report; a parse fails only with
 * a documented code (FNL_EINVAL, FNL_EEXIST, FNL_ELIMIT, FNL_ENOMEM); a
 * machine that parses prints to text that parses again to the same text
 * (the round trip docs/stages.md promises). */
#include <string.h>
#include "funnelcore.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fnl_machine *m = NULL, *m2 = NULL;
    fnl_parse_error err = FNL_PARSE_ERROR_INIT;
    char *t1, *t2;
    size_t n1 = 0, n2 = 0;
    int rc = fnl_machine_parse(&m, (const char *)data, size, NULL, &err);
    if (rc != FNL_OK) {
        if (!(rc == FNL_EINVAL || rc == FNL_EEXIST || rc == FNL_ELIMIT ||
              rc == FNL_ENOMEM))
            fprintf(stderr, "parse returned %d: %u:%u %s\n", rc, err.line,
                    err.column, err.message);
        FUZZ_ASSERT(rc == FNL_EINVAL || rc == FNL_EEXIST ||
                    rc == FNL_ELIMIT || rc == FNL_ENOMEM);
        FUZZ_ASSERT(m == NULL);
        return 0;
    }
    fnl_machine_to_text(m, NULL, 0, &n1);
    t1 = malloc(n1 + 1);
    FUZZ_ASSERT(fnl_machine_to_text(m, t1, n1 + 1, &n1) == FNL_OK);
    rc = fnl_machine_parse(&m2, t1, n1, NULL, &err);
    if (rc != FNL_OK)
        fprintf(stderr, "canonical text does not parse: %u:%u %s\n%s\n",
                err.line, err.column, err.message, t1);
    FUZZ_ASSERT(rc == FNL_OK);
    fnl_machine_to_text(m2, NULL, 0, &n2);
    t2 = malloc(n2 + 1);
    FUZZ_ASSERT(fnl_machine_to_text(m2, t2, n2 + 1, &n2) == FNL_OK);
    FUZZ_ASSERT(n1 == n2 && memcmp(t1, t2, n1) == 0);
    free(t1);
    free(t2);
    fnl_machine_free(m);
    fnl_machine_free(m2);
    return 0;
}
