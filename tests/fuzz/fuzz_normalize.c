/* fuzz_normalize.c -- identity-key normalisation (normalize.h).
 *
 * Input: byte 0 picks the key kind, byte 1 the default country code and
 * the output capacity, the rest is the value.  Properties: no crash or
 * out-of-bounds access (outputs are exact-size heap blocks); a success
 * returns the output's length; e-mail and plain kinds are idempotent
 * (normalising a normalised value changes nothing); a phone number comes
 * out as "+digits" or digits, with an optional ";ext=digits". */
#include <string.h>

#include "fuzz.h"
#include "normalize.h"

static const char *const kinds[] = {"email", "phone", "cookie_id", "crm_id"};
static const char *const ccs[] = {NULL, "86", "1", "49", "", "12345", "4a"};

static void check_phone(const char *s, size_t n)
{
    size_t i = 0;
    if (s[0] == '+')
        i = 1;
    for (; i < n && s[i] != ';'; i++)
        FUZZ_ASSERT(s[i] >= '0' && s[i] <= '9');
    if (i < n)
        FUZZ_ASSERT(strncmp(s + i, ";ext=", 5) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *kind, *cc, *why = NULL;
    char *value, *out, *again;
    size_t cap, big = FNL_MAX_STRING + 32;
    int n, m;

    if (size < 2 || size > FNL_MAX_STRING + 64)
        return 0;
    kind = kinds[data[0] % 4];
    cc = ccs[data[1] % 7];
    cap = (data[1] & 0x80) ? (size_t)(data[1] & 0x3f) : big;
    value = malloc(size - 1);
    out = malloc(cap ? cap : 1);
    again = malloc(big);
    if (value == NULL || out == NULL || again == NULL)
        goto done;
    memcpy(value, data + 2, size - 2);
    value[size - 2] = '\0';

    n = fnli_key_normalize(kind, strlen(kind), value, cc, out, cap, &why);
    if (n >= 0) {
        FUZZ_ASSERT((size_t)n < cap && strlen(out) == (size_t)n);
        if (kind[0] == 'p') {
            check_phone(out, (size_t)n);
        } else {
            m = fnli_key_normalize(kind, strlen(kind), out, cc, again, big,
                                   &why);
            FUZZ_ASSERT(m == n && memcmp(out, again, (size_t)n) == 0);
        }
        if (kind[0] == 'e') {
            const char *dom;
            size_t dlen;
            FUZZ_ASSERT(fnli_email_domain(out, (size_t)n, &dom, &dlen) ==
                        FNL_OK);
            FUZZ_ASSERT(dlen > 0 && dom + dlen == out + n);
        }
    } else {
        FUZZ_ASSERT(n == FNL_EINVAL || n == FNL_ERANGE);
        FUZZ_ASSERT(why != NULL || n == FNL_ERANGE);
    }

    /* The same bytes as a key kind or attribute name. */
    n = fnli_name_fold(value, data[0] & 1, again, FNL_MAX_NAME + 1, &why);
    if (n >= 0)
        FUZZ_ASSERT(n >= 1 && n <= FNL_MAX_NAME &&
                    strlen(again) == (size_t)n);
    {
        char cur[4];
        if (fnli_currency_parse(value, cur) == FNL_OK)
            FUZZ_ASSERT(strlen(cur) == 3);
    }
done:
    free(value);
    free(out);
    free(again);
    return 0;
}
