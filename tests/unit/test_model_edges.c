/* test_model_edges -- the corners of the scoring model language and of its
 * API that the main tests (test_model_parse, test_scoring) leave out: every
 * syntax error the parser and the tokenizer can give, with its exact line,
 * byte column and message; the limits; expressions and their evaluation
 * for every operator; the builder's argument checks; and allocation
 * failures on the paths that only these inputs reach.
 *
 * Columns are counted by hand in the comments: the column of a token is
 * the 1-based byte position of its first character, and an error at the
 * end of a line points one past its last character. */
#include "failalloc.h"
#include "funnelcore.h"
#include "test.h"

typedef struct bad_case {
    const char *text;
    int rc;
    uint32_t line;
    uint32_t column;
    const char *message;
} bad_case;

/* Parse `text`, expect failure as given, *out untouched. */
static int parse_fails(const char *text, size_t len, int rc, uint32_t line,
                       uint32_t column, const char *message)
{
    fnl_model *m = (fnl_model *)&len; /* must stay untouched */
    fnl_parse_error err = FNL_PARSE_ERROR_INIT;
    int got = fnl_model_parse(&m, text, len, NULL, &err);
    if (got != rc || err.line != line || err.column != column ||
        strcmp(err.message, message) != 0 || m != (fnl_model *)&len) {
        fprintf(stderr, "%.60s...: rc %d line %u col %u: %s\n", text, got,
                err.line, err.column, err.message);
        if (got == FNL_OK)
            fnl_model_free(m);
        return 0;
    }
    return 1;
}

static int run_cases(const bad_case *c, size_t n)
{
    size_t i;
    int ok = 1;
    for (i = 0; i < n; i++)
        if (!parse_fails(c[i].text, strlen(c[i].text), c[i].rc, c[i].line,
                         c[i].column, c[i].message)) {
            fprintf(stderr, "  case %zu\n", i);
            ok = 0;
        }
    return ok;
}

#define M "model m\n"

TEST(condition_syntax_errors_point_at_the_token)
{
    static const bad_case cases[] = {
        /* "threshold x wen": wen at 13 */
        {M "threshold x wen score > 1\n", FNL_EINVAL, 2, 13,
         "expected 'when' 'wen'"},
        /* fit a = "" : the string at 9 */
        {M "fit a = \"\" +1\n", FNL_EINVAL, 2, 9, "empty value"},
        /* fit a >= x : x at 10 */
        {M "fit a >= x +1\n", FNL_EINVAL, 2, 10, "expected a number 'x'"},
        /* fit a in x : x at 10 */
        {M "fit a in x +1\n", FNL_EINVAL, 2, 10,
         "expected '(' and a list of values 'x'"},
        /* fit a in ($ : $ at 11 */
        {M "fit a in ($\n", FNL_EINVAL, 2, 11, "unexpected character"},
        /* fit a in (, : ',' at 11 */
        {M "fit a in (,) +1\n", FNL_EINVAL, 2, 11, "expected a value ','"},
        {M "fit a in (\"\") +1\n", FNL_EINVAL, 2, 11, "empty value"},
        /* fit a in (x y) : y at 13 */
        {M "fit a in (x y) +1\n", FNL_EINVAL, 2, 13,
         "expected ',' or ')' 'y'"},
        /* fit a in (x,$ : $ at 13 */
        {M "fit a in (x,$\n", FNL_EINVAL, 2, 13, "unexpected character"},
        /* fit a contains ( : ( at 16 */
        {M "fit a contains ( +1\n", FNL_EINVAL, 2, 16,
         "expected a value '('"},
        {M "fit a contains \"\" +1\n", FNL_EINVAL, 2, 16, "empty value"},
        /* fit 5 : 5 at 5; engage 5 : 5 at 8 */
        {M "fit 5 exists +1\n", FNL_EINVAL, 2, 5,
         "expected an attribute name '5'"},
        {M "engage 5 exists +1\n", FNL_EINVAL, 2, 8,
         "expected a touch field '5'"},
        /* fit a$ : $ at 6 */
        {M "fit a$\n", FNL_EINVAL, 2, 6, "unexpected character"},
        /* fit a not$ : $ at 10 */
        {M "fit a not$\n", FNL_EINVAL, 2, 10, "unexpected character"},
        /* fit a not != x : the error is raised at x (14), after the op */
        {M "fit a not != x +1\n", FNL_EINVAL, 2, 14,
         "'not' and '!=' together"},
        /* fit a != 5 : 5 at 10 */
        {M "fit a != 5 +1\n", FNL_EINVAL, 2, 10,
         "numeric comparisons cannot be negated"},
        /* fit a not >= 5 : 5 at 14 */
        {M "fit a not >= 5 +1\n", FNL_EINVAL, 2, 14,
         "numeric comparisons cannot be negated"},
        /* fit a >=$ : $ at 9 */
        {M "fit a >=$\n", FNL_EINVAL, 2, 9, "unexpected character"},
        /* fit a contains$ : $ at 15 */
        {M "fit a contains$\n", FNL_EINVAL, 2, 15, "unexpected character"},
        /* fit a in$ : $ at 9 */
        {M "fit a in$\n", FNL_EINVAL, 2, 9, "unexpected character"},
        /* engage type domain : domain at 13 */
        {M "engage type domain in (x) +1\n", FNL_EINVAL, 2, 13,
         "domain applies to profile attributes only 'domain'"},
        /* fit a domain$ : $ at 13; fit a domain x : x at 14 */
        {M "fit a domain$\n", FNL_EINVAL, 2, 13, "unexpected character"},
        {M "fit a domain x +1\n", FNL_EINVAL, 2, 14, "expected 'in' 'x'"},
        /* fit a not exists : exists at 11 */
        {M "fit a not exists +1\n", FNL_EINVAL, 2, 11,
         "expected =, equals, in, contains, starts_with, ends_with, domain "
         "or freemail after 'not' 'exists'"},
        /* fit a between$ : $ at 14; x at 15; or at 17; x at 21 */
        {M "fit a between$\n", FNL_EINVAL, 2, 14, "unexpected character"},
        {M "fit a between x and 2 +1\n", FNL_EINVAL, 2, 15,
         "expected a number 'x'"},
        {M "fit a between 1 or 2 +1\n", FNL_EINVAL, 2, 17,
         "expected 'and' 'or'"},
        {M "fit a between 1 and x +1\n", FNL_EINVAL, 2, 21,
         "expected a number 'x'"},
        /* fit a exists and$ : $ at 17 */
        {M "fit a exists and$\n", FNL_EINVAL, 2, 17, "unexpected character"},
        /* fit a exists : the end of the line is 13 */
        {M "fit a exists\n", FNL_EINVAL, 2, 13,
         "expected points, e.g. +10 or -5"},
        /* fit a exists foo : foo at 14 */
        {M "fit a exists foo\n", FNL_EINVAL, 2, 14,
         "unexpected word (expected points, e.g. +10) 'foo'"},
        /* a second number: +2 at 17 is left over */
        {M "fit a exists +1 +2\n", FNL_EINVAL, 2, 17,
         "unexpected text at the end of the statement '+2'"},
        /* fit a ! x : ! at 7 */
        {M "fit a ! x +1\n", FNL_EINVAL, 2, 7,
         "unexpected '!' (did you mean '!=')"},
        /* fit a exists + : a lone sign at 14 is no number and no op */
        {M "fit a exists +\n", FNL_EINVAL, 2, 14, "unexpected character"},
    };
    CHECK(run_cases(cases, sizeof(cases) / sizeof(cases[0])));
}

TEST(rule_option_errors_point_at_the_token)
{
    static const bad_case cases[] = {
        /* "engage type = x +1 " is 19 bytes: the options start at 20 */
        {M "engage type = x +1 cap 5 cap 6\n", FNL_EINVAL, 2, 26,
         "unexpected text at the end of the statement 'cap'"},
        {M "engage type = x +1 cap$\n", FNL_EINVAL, 2, 23,
         "unexpected character"},
        {M "engage type = x +1 cap +5\n", FNL_EINVAL, 2, 24,
         "cap needs a positive number '+5'"},
        {M "engage type = x +1 cap 0\n", FNL_EINVAL, 2, 24,
         "cap needs a positive number '0'"},
        {M "engage type = x +1 cap 5$\n", FNL_EINVAL, 2, 25,
         "unexpected character"},
        /* per_window 20..29, count at 31, in at 33, duration at 36 */
        {M "engage type = x +1 per_window 2 in 1d per_window 3 in 1d\n",
         FNL_EINVAL, 2, 39,
         "unexpected text at the end of the statement 'per_window'"},
        {M "engage type = x +1 per_window$\n", FNL_EINVAL, 2, 30,
         "unexpected character"},
        {M "engage type = x +1 per_window x in 1d\n", FNL_EINVAL, 2, 31,
         "per_window needs a count of 1..256 'x'"},
        {M "engage type = x +1 per_window +2 in 1d\n", FNL_EINVAL, 2, 31,
         "per_window needs a count of 1..256 '+2'"},
        {M "engage type = x +1 per_window 0 in 1d\n", FNL_EINVAL, 2, 31,
         "per_window needs a count of 1..256 '0'"},
        {M "engage type = x +1 per_window 1.5 in 1d\n", FNL_EINVAL, 2, 31,
         "per_window needs a count of 1..256 '1.5'"},
        {M "engage type = x +1 per_window 2 on 1d\n", FNL_EINVAL, 2, 33,
         "expected 'in' and a duration 'on'"},
        {M "engage type = x +1 per_window 2 in 5\n", FNL_EINVAL, 2, 36,
         "expected a duration, e.g. 7d '5'"},
        {M "engage type = x +1 per_window 2 in 0d\n", FNL_EINVAL, 2, 36,
         "expected a duration, e.g. 7d '0d'"},
        {M "engage type = x +1 per_window 2 in 1d$\n", FNL_EINVAL, 2, 38,
         "unexpected character"},
        /* "key_event k when type = x " is 26 bytes: options from 27 */
        {M "key_event$\n", FNL_EINVAL, 2, 10, "unexpected character"},
        {M "key_event 5 when type = x +1\n", FNL_EINVAL, 2, 11,
         "expected the key event's name '5'"},
        {M "key_event k$\n", FNL_EINVAL, 2, 12, "unexpected character"},
        {M "key_event k wen type = x +1\n", FNL_EINVAL, 2, 13,
         "expected 'when' 'wen'"},
        {M "key_event k when type = x count 2 count 3 +1\n", FNL_EINVAL, 2,
         35, "unexpected word (expected points, e.g. +10) 'count'"},
        {M "key_event k when type = x count$\n", FNL_EINVAL, 2, 32,
         "unexpected character"},
        {M "key_event k when type = x count 0 +1\n", FNL_EINVAL, 2, 33,
         "count needs a number of 1..256 '0'"},
        {M "key_event k when type = x within 1d within 2d +1\n", FNL_EINVAL,
         2, 37, "unexpected word (expected points, e.g. +10) 'within'"},
        {M "key_event k when type = x within$\n", FNL_EINVAL, 2, 33,
         "unexpected character"},
        {M "key_event k when type = x within 3 +1\n", FNL_EINVAL, 2, 34,
         "expected a duration, e.g. 7d '3'"},
        {M "key_event k when type = x within 0s +1\n", FNL_EINVAL, 2, 34,
         "expected a duration, e.g. 7d '0s'"},
        {M "key_event k when type = x within 1d$\n", FNL_EINVAL, 2, 36,
         "unexpected character"},
    };
    CHECK(run_cases(cases, sizeof(cases) / sizeof(cases[0])));
}

TEST(statement_errors_point_at_the_token)
{
    static const bad_case cases[] = {
        /* grade */
        {M "grade$\n", FNL_EINVAL, 2, 6, "unexpected character"},
        {M "grade 5 fit >= 1\n", FNL_EINVAL, 2, 7,
         "expected grade A, B or C (D is what remains) '5'"},
        {M "grade AB fit >= 1\n", FNL_EINVAL, 2, 7,
         "expected grade A, B or C (D is what remains) 'AB'"},
        {M "grade D fit >= 1\n", FNL_EINVAL, 2, 7,
         "expected grade A, B or C (D is what remains) 'D'"},
        {M "grade A fit >= 10\ngrade a fit >= 5\n", FNL_EINVAL, 3, 7,
         "grade defined twice"},
        {M "grade A$\n", FNL_EINVAL, 2, 8, "unexpected character"},
        {M "grade A engagement >= 1\n", FNL_EINVAL, 2, 9,
         "expected 'fit >=' 'engagement'"},
        {M "grade A fit > 1\n", FNL_EINVAL, 2, 13, "expected '>=' '>'"},
        {M "grade A fit >=$\n", FNL_EINVAL, 2, 15, "unexpected character"},
        {M "grade A fit >= x\n", FNL_EINVAL, 2, 16, "expected a number 'x'"},
        {M "grade A fit >= 1 x\n", FNL_EINVAL, 2, 18,
         "unexpected text at the end of the statement 'x'"},
        /* 2e12 lexes (13 digits, at 16..28) but exceeds 1e12: reported at
         * the end of the line, 29 */
        {M "grade A fit >= 2000000000000\n", FNL_EINVAL, 2, 29,
         "number out of range"},
        /* band */
        {M "band x engagement >= 1\n", FNL_EINVAL, 2, 6,
         "expected band 1, 2 or 3 (4 is what remains) 'x'"},
        {M "band +1 engagement >= 1\n", FNL_EINVAL, 2, 6,
         "expected band 1, 2 or 3 (4 is what remains) '+1'"},
        {M "band 4 engagement >= 1\n", FNL_EINVAL, 2, 6,
         "expected band 1, 2 or 3 (4 is what remains) '4'"},
        {M "band 2 engagement >= 1\nband 2 engagement >= 0\n", FNL_EINVAL, 3,
         6, "band defined twice"},
        {M "band 1 fit >= 1\n", FNL_EINVAL, 2, 8,
         "expected 'engagement >=' 'fit'"},
        {M "band 1 engagement >= 60\nband 2 engagement >= 70\n", FNL_EINVAL,
         3, 1, "band thresholds must not increase from 1 to 3"},
        /* threshold */
        {M "threshold$\n", FNL_EINVAL, 2, 10, "unexpected character"},
        {M "threshold 5 when score > 1\n", FNL_EINVAL, 2, 11,
         "expected the threshold's name '5'"},
        {M "threshold x$\n", FNL_EINVAL, 2, 12, "unexpected character"},
        /* account */
        {M "account$\n", FNL_EINVAL, 2, 8, "unexpected character"},
        {M "account foo\n", FNL_EINVAL, 2, 9,
         "expected rollup, engaged or roles 'foo'"},
        {M "account rollup sum\naccount rollup max\n", FNL_EINVAL, 3, 9,
         "account rollup given twice"},
        {M "account rollup$\n", FNL_EINVAL, 2, 15, "unexpected character"},
        {M "account rollup sum$\n", FNL_EINVAL, 2, 19,
         "unexpected character"},
        {M "account rollup top$\n", FNL_EINVAL, 2, 19,
         "unexpected character"},
        {M "account rollup top x\n", FNL_EINVAL, 2, 20,
         "top needs a count of 1..64 'x'"},
        {M "account rollup top 65\n", FNL_ELIMIT, 2, 20,
         "top needs a count of 1..64 '65'"},
        {M "account rollup avg\n", FNL_EINVAL, 2, 16,
         "expected sum, max or top N 'avg'"},
        {M "account engaged when score > 1\naccount engaged when fit > 1\n",
         FNL_EINVAL, 3, 9, "account engaged given twice"},
        {M "account engaged$\n", FNL_EINVAL, 2, 16, "unexpected character"},
        {M "account engaged if score > 1\n", FNL_EINVAL, 2, 17,
         "expected 'when' 'if'"},
        {M "account roles user\naccount roles other\n", FNL_EINVAL, 3, 9,
         "account roles given twice"},
        {M "account roles$\n", FNL_EINVAL, 2, 14, "unexpected character"},
        {M "account roles 5\n", FNL_EINVAL, 2, 15,
         "expected a role (user, influencer, decision_maker, economic_buyer, "
         "champion, other) '5'"},
        {M "account roles a_role_name_of_thirty_two_bytes_\n", FNL_EINVAL, 2,
         15,
         "expected a role (user, influencer, decision_maker, economic_buyer, "
         "champion, other) 'a_role_name_of_thirty_two_bytes_'"},
        {M "account roles boss\n", FNL_EINVAL, 2, 15, "unknown role 'boss'"},
        {M "account roles none\n", FNL_EINVAL, 2, 15, "unknown role 'none'"},
        {M "account roles user$\n", FNL_EINVAL, 2, 19,
         "unexpected character"},
        {M "account roles user,$\n", FNL_EINVAL, 2, 20,
         "unexpected character"},
        /* decay */
        {M "decay none\ndecay none\n", FNL_EINVAL, 3, 1, "decay given twice"},
        {M "decay$\n", FNL_EINVAL, 2, 6, "unexpected character"},
        {M "decay none$\n", FNL_EINVAL, 2, 11, "unexpected character"},
        {M "decay none x\n", FNL_EINVAL, 2, 12,
         "unexpected text at the end of the statement 'x'"},
        {M "decay forever\n", FNL_EINVAL, 2, 7,
         "expected half_life or none 'forever'"},
        {M "decay half_life 5\n", FNL_EINVAL, 2, 17,
         "expected a duration, e.g. 30d '5'"},
        {M "decay half_life 1d$\n", FNL_EINVAL, 2, 19,
         "unexpected character"},
        /* model */
        {"model$\n", FNL_EINVAL, 1, 6, "unexpected character"},
        {"model 5\n", FNL_EINVAL, 1, 7, "expected the model's name '5'"},
        {"model \"\"\n", FNL_EINVAL, 1, 7, "a model name has 1..64 bytes"},
        {"model m$\n", FNL_EINVAL, 1, 8, "unexpected character"},
        {"model m version$\n", FNL_EINVAL, 1, 16, "unexpected character"},
        {"model m version x\n", FNL_EINVAL, 1, 17,
         "expected a version number 'x'"},
        {"model m version +1\n", FNL_EINVAL, 1, 17,
         "expected a version number '+1'"},
        {"model m version 1.5\n", FNL_EINVAL, 1, 17,
         "expected a version number '1.5'"},
        {"model m version 4294967296\n", FNL_EINVAL, 1, 17,
         "expected a version number '4294967296'"},
        {"model m version 1$\n", FNL_EINVAL, 1, 18, "unexpected character"},
    };
    CHECK(run_cases(cases, sizeof(cases) / sizeof(cases[0])));
}

TEST(tokenizer_errors_point_at_the_token)
{
    static const bad_case cases[] = {
        /* numbers: 1.2.3 and 17 digits and 2^53 + 1 are not exact */
        {M "fit a >= 1.2.3 +1\n", FNL_EINVAL, 2, 10,
         "malformed number (at most 9 decimals and 15 digits)"},
        {M "fit a >= 12345678901234567 +1\n", FNL_EINVAL, 2, 10,
         "malformed number (at most 9 decimals and 15 digits)"},
        {M "fit a >= 9007199254740993 +1\n", FNL_EINVAL, 2, 10,
         "malformed number (at most 9 decimals and 15 digits)"},
        {M "fit a >= 1. +1\n", FNL_EINVAL, 2, 10,
         "malformed number (at most 9 decimals and 15 digits)"},
        {M "fit a >= 5_ +1\n", FNL_EINVAL, 2, 10, "malformed number"},
        {M "fit a >= 5-3 +1\n", FNL_EINVAL, 2, 10, "malformed number"},
        /* durations: "decay half_life " is 16 bytes, the value at 17 */
        {M "decay half_life 99999999999999999d\n", FNL_EINVAL, 2, 17,
         "duration too long"},
        {M "decay half_life 5300w\n", FNL_EINVAL, 2, 17,
         "duration too long (at most 100 years)"},
        {M "decay half_life +5d\n", FNL_EINVAL, 2, 17,
         "a duration is a whole number and a unit, e.g. 7d"},
        {M "decay half_life 1.5d\n", FNL_EINVAL, 2, 17,
         "a duration is a whole number and a unit, e.g. 7d"},
        /* strings: fit a = " : the quote at 9 */
        {M "fit a = \"x\\qy\" +1\n", FNL_EINVAL, 2, 11,
         "unknown escape (use \\\" \\\\ \\n \\t)"},
        {M "fit a = \"x\\", FNL_EINVAL, 2, 9, "unterminated string"},
        {M "fit a = \"x\001y\" +1\n", FNL_EINVAL, 2, 11,
         "control character in a string"},
    };
    CHECK(run_cases(cases, sizeof(cases) / sizeof(cases[0])));
}

/* Build "model m\nfit <name> exists +1\n" with a name of n bytes. */
static char *long_name_model(const char *head, size_t n, const char *tail)
{
    size_t hl = strlen(head), tl = strlen(tail);
    char *s = malloc(hl + n + tl + 1);
    if (s == NULL)
        abort();
    memcpy(s, head, hl);
    memset(s + hl, 'a', n);
    memcpy(s + hl + n, tail, tl + 1);
    return s;
}

TEST(names_and_strings_over_their_limits_are_refused)
{
    char a64[65], msg[200];
    char *t;
    int ok;
    memset(a64, 'a', 64);
    a64[64] = '\0';
    /* a 65-byte attribute name; the message quotes its first 64 bytes */
    t = long_name_model(M "fit ", 65, " exists +1\n");
    snprintf(msg, sizeof(msg), "attribute name too long '%s'", a64);
    ok = parse_fails(t, strlen(t), FNL_EINVAL, 2, 5, msg);
    free(t);
    CHECK(ok);
    /* 64 bytes is fine */
    {
        fnl_model *m;
        t = long_name_model(M "fit ", 64, " exists +1\n");
        ok = fnl_model_parse(&m, t, strlen(t), NULL, NULL) == FNL_OK;
        free(t);
        CHECK(ok);
        fnl_model_free(m);
    }
    /* key_event "<65 bytes>": the string at 11 */
    t = long_name_model(M "key_event \"", 65, "\" when type = x +1\n");
    ok = parse_fails(t, strlen(t), FNL_EINVAL, 2, 11,
                     "key event name too long (at most 64 bytes)");
    free(t);
    CHECK(ok);
    /* model "<65 bytes>" */
    t = long_name_model("model \"", 65, "\"\n");
    ok = parse_fails(t, strlen(t), FNL_EINVAL, 1, 7,
                     "a model name has 1..64 bytes");
    free(t);
    CHECK(ok);
    /* a string of FNL_MAX_STRING + 1 bytes: fit a = " at 9 */
    t = long_name_model(M "fit a = \"", FNL_MAX_STRING + 1, "\" +1\n");
    ok = parse_fails(t, strlen(t), FNL_EINVAL, 2, 9, "string too long");
    free(t);
    CHECK(ok);
}

TEST(lists_and_conditions_over_their_limits_are_limits)
{
    /* 257 values in one list; 17 conditions in one rule */
    char *t = malloc(8 + 16 + 257 * 4 + 8), *p;
    int i, ok;
    CHECK(t != NULL);
    p = t + sprintf(t, M "fit a in (");
    for (i = 0; i < 257; i++)
        p += sprintf(p, i ? ",v%d" : "v%d", i % 10);
    sprintf(p, ") +1\n");
    /* "fit a in (" is 10 bytes, v0 at 11, and value k after ",": at
     * 11 + 3k.  The 257th (k = 256) is refused at 11 + 768 = 779 */
    ok = parse_fails(t, strlen(t), FNL_ELIMIT, 2, 779,
                     "too many values in one list");
    free(t);
    CHECK(ok);

    t = malloc(8 + 17 * 16 + 8);
    CHECK(t != NULL);
    p = t + sprintf(t, M "fit ");
    for (i = 0; i < 17; i++)
        p += sprintf(p, i ? " and a%d exists" : "a%d exists", i % 10);
    sprintf(p, " +1\n");
    /* "fit " is 4 bytes, "aN exists" 9, " and " 5: the 17th condition
     * starts at 5 + 16 * 14 = 229 */
    ok = parse_fails(t, strlen(t), FNL_ELIMIT, 2, 229,
                     "too many conditions in one rule");
    free(t);
    CHECK(ok);
}

TEST(parse_arguments_are_checked)
{
    fnl_model *m = NULL;
    fnl_parse_error err = FNL_PARSE_ERROR_INIT;
    fnl_allocator bad = {FNL_ALLOCATOR_VERSION + 1, NULL, NULL, NULL, NULL};
    const char *ok = "model m\n";
    err.size = sizeof(err) - 1;
    CHECK_INT(fnl_model_parse(&m, ok, strlen(ok), NULL, &err), FNL_EINVAL);
    err.size = sizeof(err);
    CHECK_INT(fnl_model_parse(NULL, ok, strlen(ok), NULL, &err), FNL_EINVAL);
    CHECK_INT(fnl_model_parse(&m, NULL, 3, NULL, &err), FNL_EINVAL);
    CHECK_INT(fnl_model_parse(&m, ok, strlen(ok), &bad, &err), FNL_EVERSION);
    CHECK(m == NULL);
    /* an empty text (NULL, 0) is the empty model */
    CHECK_INT(fnl_model_parse(&m, NULL, 0, NULL, &err), FNL_EINVAL);
    CHECK_STR(err.message, "empty model: expected 'model \"name\"'");
    /* the text may end without a newline, with CR LF line ends and tabs */
    {
        const char *crlf = "model m\r\n\tfit a exists +1\r\nband 1 "
                           "engagement >= 1";
        char buf[256];
        size_t len;
        CHECK_OK(fnl_model_parse(&m, crlf, strlen(crlf), NULL, &err));
        CHECK_OK(fnl_model_to_text(m, buf, sizeof(buf), &len));
        /* canonical: the defaults are printed too (docs/scoring.md) */
        CHECK_STR(buf, "model \"m\" version 1\ndecay none\n"
                       "fit a exists +1\nband 1 engagement >= 1\n"
                       "account rollup sum\naccount roles user, "
                       "influencer, decision_maker, economic_buyer\n");
        fnl_model_free(m);
    }
}

TEST(strings_escape_and_print_back_escaped)
{
    /* \" \\ \n \t in the model's name; \" \\ in a value (values may
     * not hold control characters); printed back with the same escapes */
    const char *t = "model \"q\\\"b\\\\s\\nn\\tt\"\n"
                    "fit a = \"q\\\"b\\\\s\" +1\n";
    const char *ctl = M "fit a = \"x\\ty\" +1\n";
    fnl_model *m;
    char buf[512];
    size_t len;
    CHECK_OK(fnl_model_parse(&m, t, strlen(t), NULL, NULL));
    CHECK_STR(fnl_model_name(m), "q\"b\\s\nn\tt");
    CHECK_OK(fnl_model_to_text(m, buf, sizeof(buf), &len));
    CHECK_STR(buf, "model \"q\\\"b\\\\s\\nn\\tt\" version 1\n"
                   "decay none\n"
                   "fit a = \"q\\\"b\\\\s\" +1\n"
                   "account rollup sum\naccount roles user, influencer, "
                   "decision_maker, economic_buyer\n");
    fnl_model_free(m);
    /* a tab in a value: the rule is refused, reported at the rule */
    CHECK(parse_fails(ctl, strlen(ctl), FNL_EINVAL, 2, 1,
                      "values must be non-empty UTF-8 without control "
                      "characters"));
}

TEST(every_comparison_prints_back_canonically)
{
    /* > <= < in rules; a keyword used as a value is quoted on output */
    const char *t = M "fit a > 1 and b <= 2 and c < 3 +1\n"
                      "fit d = \"and\" +1\n"
                      "fit e = 10 +1\n";
    fnl_model *m;
    char buf[512];
    size_t len;
    CHECK_OK(fnl_model_parse(&m, t, strlen(t), NULL, NULL));
    CHECK_OK(fnl_model_to_text(m, buf, sizeof(buf), &len));
    CHECK_STR(buf, "model \"m\" version 1\ndecay none\n"
                   "fit a > 1 and b <= 2 and c < 3 +1\n"
                   "fit d = \"and\" +1\n"
                   "fit e = 10 +1\n"
                   "account rollup sum\naccount roles user, influencer, "
                   "decision_maker, economic_buyer\n");
    fnl_model_free(m);
}

/* ---- expressions ------------------------------------------------------- */

typedef struct expr_bad {
    const char *text;
    int rc;
    uint32_t column;
    const char *message;
} expr_bad;

TEST(expression_errors_point_at_the_token)
{
    static const expr_bad cases[] = {
        {"$", FNL_EINVAL, 1, "unexpected character"},
        {"", FNL_EINVAL, 1, "expression ends too early"},
        {"score >=", FNL_EINVAL, 9, "expected a number"},
        {"score", FNL_EINVAL, 6,
         "expected a comparison (>=, >, <=, <, =, !=)"},
        {"score$", FNL_EINVAL, 6, "unexpected character"},
        {"score >$", FNL_EINVAL, 8, "unexpected character"},
        {"score > 1$", FNL_EINVAL, 10, "unexpected character"},
        {"score > 2000000000000", FNL_EINVAL, 9, "number out of range"},
        {"band = 5", FNL_EINVAL, 8, "expected a band 1..4"},
        {"band = 2.5", FNL_EINVAL, 8, "expected a band 1..4"},
        {"grade >= E", FNL_EINVAL, 10, "expected a grade A..D"},
        {"grade >= AB", FNL_EINVAL, 10, "expected a grade A..D"},
        {"grade >= 1", FNL_EINVAL, 10, "expected a grade A..D"},
        {"key_event$", FNL_EINVAL, 10, "unexpected character"},
        {"key_event 5", FNL_EINVAL, 11, "expected a key event name"},
        {"key_event x", FNL_EINVAL, 11, "key_event needs a model"},
        {"cell$", FNL_EINVAL, 5, "unexpected character"},
        {"cell = $", FNL_EINVAL, 8, "unexpected character"},
        {"cell = 5", FNL_EINVAL, 8, "expected a cell A1..D4"},
        {"cell = A5", FNL_EINVAL, 8, "expected a cell A1..D4"},
        {"cell = A0", FNL_EINVAL, 8, "expected a cell A1..D4"},
        {"cell = E1", FNL_EINVAL, 8, "expected a cell A1..D4"},
        {"cell = ABC", FNL_EINVAL, 8, "expected a cell A1..D4"},
        {"cell in$", FNL_EINVAL, 8, "unexpected character"},
        {"cell in A1", FNL_EINVAL, 9, "expected '('"},
        {"cell in ($", FNL_EINVAL, 10, "unexpected character"},
        {"cell in (Z9)", FNL_EINVAL, 10, "expected a cell A1..D4"},
        {"cell in (A1$", FNL_EINVAL, 12, "unexpected character"},
        {"cell in (A1 B2)", FNL_EINVAL, 13, "expected ',' or ')'"},
        {"cell in (A1)$", FNL_EINVAL, 13, "unexpected character"},
        {"cell > A1", FNL_EINVAL, 6, "expected '=' or 'in' after cell"},
        {"not$", FNL_EINVAL, 4, "unexpected character"},
        {"not", FNL_EINVAL, 4, "expression ends too early"},
        {"($", FNL_EINVAL, 2, "unexpected character"},
        {"(score > 1", FNL_EINVAL, 11, "expected ')'"},
        {"(score > 1)$", FNL_EINVAL, 12, "unexpected character"},
        {"score > 1 and$", FNL_EINVAL, 14, "unexpected character"},
        {"score > 1 and", FNL_EINVAL, 14, "expression ends too early"},
        {"score > 1 or$", FNL_EINVAL, 13, "unexpected character"},
        {"score > 1 fit > 2", FNL_EINVAL, 11,
         "unexpected text after the expression"},
        {"key_event \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaa\"",
         FNL_EINVAL, 11, "string too long"},
    };
    size_t i;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fnl_score_expr *x = (fnl_score_expr *)&i;
        fnl_parse_error err = FNL_PARSE_ERROR_INIT;
        int rc = fnl_score_expr_parse(&x, cases[i].text,
                                      strlen(cases[i].text), NULL, NULL,
                                      &err);
        if (rc != cases[i].rc || err.column != cases[i].column ||
            strcmp(err.message, cases[i].message) != 0)
            fprintf(stderr, "case %zu '%s': rc %d col %u: %s\n", i,
                    cases[i].text, rc, err.column, err.message);
        CHECK_INT(rc, cases[i].rc);
        CHECK_INT(err.line, 1);
        CHECK_INT(err.column, cases[i].column);
        CHECK_STR(err.message, cases[i].message);
        CHECK(x == (fnl_score_expr *)&i);
    }
}

TEST(expressions_over_the_limits_are_refused)
{
    /* 65 nested "not": each not is a factor one level deeper; the 65th is
     * deeper than 64.  "not " is 4 bytes: the 65th starts at 257 */
    char t[8192];
    fnl_score_expr *x = NULL;
    fnl_parse_error err = FNL_PARSE_ERROR_INIT;
    size_t i, n = 0;
    for (i = 0; i < 65; i++)
        n += (size_t)sprintf(t + n, "not ");
    sprintf(t + n, "score > 1");
    CHECK_INT(fnl_score_expr_parse(&x, t, strlen(t), NULL, NULL, &err),
              FNL_EINVAL);
    CHECK_INT(err.column, 257);
    CHECK_STR(err.message, "expression nested too deeply");
    /* 63 "not" and the atom make 64 levels: fine */
    CHECK_OK(fnl_score_expr_parse(&x, t + 8, strlen(t + 8), NULL, NULL,
                                  &err));
    fnl_score_expr_free(x);
    /* more than 1024 nodes: term 0 is node 0; term k >= 1 ("score > 1",
     * after " or ", 13 bytes per term) is node 2k - 1 and its "or" node 2k.
     * Node 1024 is the "or" after term 512, refused while the lexer stands
     * on the next "or": term k spans 13k + 1 .. 13k + 9, so that "or" is
     * at 13 * 512 + 11 */
    n = 0;
    for (i = 0; i < 600; i++)
        n += (size_t)sprintf(t + n, i ? " or score > 1" : "score > 1");
    CHECK_INT(fnl_score_expr_parse(&x, t, strlen(t), NULL, NULL, &err),
              FNL_ELIMIT);
    CHECK_STR(err.message, "expression too long");
    CHECK_INT(err.column, 13 * 512 + 11);
}

/* A result with the given grade, band and scores. */
static fnl_score_result result(const char *grade, uint32_t band, double total)
{
    fnl_score_result r = FNL_SCORE_RESULT_INIT;
    strcpy(r.grade, grade);
    r.band = band;
    r.total = total;
    r.fit = total / 2;
    r.engagement = total / 2;
    if (grade[0] != '\0')
        snprintf(r.cell, sizeof(r.cell), "%s%u", grade, band);
    return r;
}

static int eval_text(const char *text, const fnl_score_result *r)
{
    fnl_score_expr *x;
    int out = -1;
    if (fnl_score_expr_parse(&x, text, strlen(text), NULL, NULL, NULL) !=
        FNL_OK)
        return -2;
    if (fnl_score_expr_eval(x, r, &out) != FNL_OK)
        out = -3;
    fnl_score_expr_free(x);
    return out;
}

TEST(every_operator_and_term_evaluates_as_documented)
{
    fnl_score_result b2 = result("B", 2, 50), d4 = result("D", 4, 0);
    fnl_score_result none = result("", 0, 10);
    /* comparisons on score 50 */
    CHECK_INT(eval_text("score >= 50", &b2), 1);
    CHECK_INT(eval_text("score > 50", &b2), 0);
    CHECK_INT(eval_text("score <= 50", &b2), 1);
    CHECK_INT(eval_text("score < 50", &b2), 0);
    CHECK_INT(eval_text("score = 50", &b2), 1);
    CHECK_INT(eval_text("score != 50", &b2), 0);
    CHECK_INT(eval_text("fit = 25 and engagement = 25", &b2), 1);
    CHECK_INT(eval_text("not score = 50", &b2), 0);
    CHECK_INT(eval_text("not not score = 50", &b2), 1);
    /* grade B is 3 on the scale D=1 .. A=4: B >= C, B < A */
    CHECK_INT(eval_text("grade >= C", &b2), 1);
    CHECK_INT(eval_text("grade >= a", &b2), 0);
    CHECK_INT(eval_text("grade = B", &b2), 1);
    /* no grade at all never compares */
    CHECK_INT(eval_text("grade <= D", &none), 0);
    CHECK_INT(eval_text("grade != A", &none), 0);
    /* bands */
    CHECK_INT(eval_text("band = 2", &b2), 1);
    CHECK_INT(eval_text("band <= 1", &b2), 0);
    CHECK_INT(eval_text("band != 4", &d4), 0);
    /* cells: B2 is in; D4 is the last bit; no grade or band 0: never */
    CHECK_INT(eval_text("cell = B2", &b2), 1);
    CHECK_INT(eval_text("cell in (A1, b2, C3)", &b2), 1);
    CHECK_INT(eval_text("cell in (A1, C3)", &b2), 0);
    CHECK_INT(eval_text("cell = D4", &d4), 1);
    CHECK_INT(eval_text("cell = D4 or cell = A1", &none), 0);
    {
        fnl_score_result bad = result("A", 5, 0);
        CHECK_INT(eval_text("cell = A1 or cell = A4", &bad), 0);
    }
    /* or: the second operand decides */
    CHECK_INT(eval_text("score > 100 or band = 2", &b2), 1);
    CHECK_INT(eval_text("score > 100 or band = 3", &b2), 0);
}

TEST(expression_arguments_are_checked)
{
    fnl_score_expr *x;
    fnl_score_result r = FNL_SCORE_RESULT_INIT;
    fnl_parse_error err = FNL_PARSE_ERROR_INIT;
    fnl_allocator bad = {FNL_ALLOCATOR_VERSION + 1, NULL, NULL, NULL, NULL};
    int out;
    err.size = 8;
    CHECK_INT(fnl_score_expr_parse(&x, "fit > 1", 7, NULL, NULL, &err),
              FNL_EINVAL);
    CHECK_INT(fnl_score_expr_parse(NULL, "fit > 1", 7, NULL, NULL, NULL),
              FNL_EINVAL);
    CHECK_INT(fnl_score_expr_parse(&x, NULL, 7, NULL, NULL, NULL),
              FNL_EINVAL);
    CHECK_INT(fnl_score_expr_parse(&x, "fit > 1", 7, NULL, &bad, NULL),
              FNL_EVERSION);
    /* invalid UTF-8 */
    err.size = sizeof(err);
    CHECK_INT(fnl_score_expr_parse(&x, "fit > \xff", 7, NULL, NULL, &err),
              FNL_EINVAL);
    CHECK_STR(err.message, "invalid UTF-8");
    CHECK_INT(err.column, 1);
    CHECK_OK(fnl_score_expr_parse(&x, "fit > 1", 7, NULL, NULL, NULL));
    CHECK_INT(fnl_score_expr_eval(NULL, &r, &out), FNL_EINVAL);
    CHECK_INT(fnl_score_expr_eval(x, NULL, &out), FNL_EINVAL);
    CHECK_INT(fnl_score_expr_eval(x, &r, NULL), FNL_EINVAL);
    fnl_score_expr_free(x);
    fnl_score_expr_free(NULL);
}

TEST(expression_parse_survives_allocation_failure_at_every_step)
{
    /* a long expression: the node array grows several times and is then
     * shrunk to fit, so every growth and the shrink can fail */
    const char *t = "score > 1 and fit > 2 or grade >= B and not band = 4 or "
                    "cell in (A1, B2) or engagement < 3 and score != 7";
    failalloc fa = {-1, 0, 0, 0, 0};
    fnl_allocator a = fa_table(&fa);
    long n;
    int done = 0;
    for (n = 0; n < 64 && !done; n++) {
        fnl_score_expr *x = NULL;
        fnl_parse_error err = FNL_PARSE_ERROR_INIT;
        int rc;
        fa_arm(&fa, n, 0);
        rc = fnl_score_expr_parse(&x, t, strlen(t), NULL, &a, &err);
        fa_disarm(&fa);
        if (rc == FNL_OK) {
            fnl_score_result r = result("B", 2, 50);
            int out;
            /* grade >= B and not band = 4: B2 holds */
            CHECK_OK(fnl_score_expr_eval(x, &r, &out));
            CHECK_INT(out, 1);
            fnl_score_expr_free(x);
            done = fa.fired == 0;
        } else {
            CHECK_INT(rc, FNL_ENOMEM);
            CHECK_STR(err.message, "out of memory");
            CHECK_INT(err.line, 0);
        }
        CHECK_INT(fa.outstanding, 0);
    }
    CHECK(done);
}

/* ---- the builder --------------------------------------------------------- */

TEST(builder_arguments_are_checked_and_change_nothing)
{
    fnl_model_builder *b;
    fnl_model *m;
    fnl_match c = {"a", FNL_MATCH_EXISTS, 0, NULL, 0, 0, 0};
    fnl_fit_rule fr = FNL_FIT_RULE_INIT;
    fnl_engage_rule er = FNL_ENGAGE_RULE_INIT;
    fnl_key_event_rule kr = FNL_KEY_EVENT_RULE_INIT;
    fnl_parse_error err = FNL_PARSE_ERROR_INIT;
    fnl_model_info info = FNL_MODEL_INFO_INIT;
    fnl_score_result r = FNL_SCORE_RESULT_INIT;
    uint32_t idx;
    int out;
    char buf[512];
    size_t len;

    CHECK_INT(fnl_model_builder_new(NULL, "m", NULL), FNL_EINVAL);
    CHECK_INT(fnl_model_builder_new(&b, "", NULL), FNL_EINVAL);
    CHECK_OK(fnl_model_builder_new(&b, "m", NULL));
    /* NULL builders and rules */
    CHECK_INT(fnl_model_builder_version(NULL, 2), FNL_EINVAL);
    CHECK_INT(fnl_model_builder_decay(NULL, 1), FNL_EINVAL);
    CHECK_INT(fnl_model_builder_decay(b, -1), FNL_EINVAL);
    CHECK_INT(fnl_model_builder_decay(b, FNL_MODEL_MAX_DURATION + 1),
              FNL_EINVAL);
    CHECK_INT(fnl_model_builder_fit(NULL, &fr), FNL_EINVAL);
    CHECK_INT(fnl_model_builder_fit(b, NULL), FNL_EINVAL);
    CHECK_INT(fnl_model_builder_engage(NULL, &er), FNL_EINVAL);
    CHECK_INT(fnl_model_builder_engage(b, NULL), FNL_EINVAL);
    CHECK_INT(fnl_model_builder_key_event(NULL, &kr), FNL_EINVAL);
    CHECK_INT(fnl_model_builder_key_event(b, NULL), FNL_EINVAL);
    /* a rule without conditions, or with too many */
    fr.points = 1;
    CHECK_INT(fnl_model_builder_fit(b, &fr), FNL_EINVAL);
    fr.conds = &c;
    fr.cond_count = FNL_MODEL_MAX_CONDS + 1;
    CHECK_INT(fnl_model_builder_fit(b, &fr), FNL_ELIMIT);
    /* a condition without a name */
    {
        fnl_match nn = c;
        nn.name = NULL;
        fr.conds = &nn;
        fr.cond_count = 1;
        CHECK_INT(fnl_model_builder_fit(b, &fr), FNL_EINVAL);
    }
    /* an unknown touch field in an engagement rule */
    {
        fnl_match tf = c;
        tf.name = "colour";
        er.conds = &tf;
        er.cond_count = 1;
        er.points = 1;
        CHECK_INT(fnl_model_builder_engage(b, &er), FNL_EINVAL);
    }
    /* values: too many for EQUALS, none for IN, a control character */
    {
        const char *vals[2] = {"x", "y"};
        const char *ctl[1] = {"a\001b"};
        fnl_match v = {"a", FNL_MATCH_EQUALS, 0, vals, 2, 0, 0};
        fr.conds = &v;
        fr.cond_count = 1;
        CHECK_INT(fnl_model_builder_fit(b, &fr), FNL_EINVAL);
        v.op = FNL_MATCH_IN;
        v.value_count = 0;
        CHECK_INT(fnl_model_builder_fit(b, &fr), FNL_EINVAL);
        v.value_count = FNL_MODEL_MAX_VALUES + 1;
        CHECK_INT(fnl_model_builder_fit(b, &fr), FNL_ELIMIT);
        v.op = FNL_MATCH_EXISTS;
        v.value_count = 1;
        CHECK_INT(fnl_model_builder_fit(b, &fr), FNL_EINVAL);
        v.op = FNL_MATCH_EQUALS;
        v.values = ctl;
        CHECK_INT(fnl_model_builder_fit(b, &fr), FNL_EINVAL);
        v.values = NULL;
        CHECK_INT(fnl_model_builder_fit(b, &fr), FNL_EINVAL);
        /* between with a bad upper bound */
        v.op = FNL_MATCH_BETWEEN;
        v.value_count = 0;
        v.num1 = 1;
        v.num2 = 0.0000000001;
        CHECK_INT(fnl_model_builder_fit(b, &fr), FNL_EINVAL);
    }
    /* engagement rule options */
    er.conds = &c;
    er.cond_count = 1;
    c.name = "type";
    er.window_count = FNL_MODEL_MAX_WINDOW + 1;
    er.window_ms = 1000;
    CHECK_INT(fnl_model_builder_engage(b, &er), FNL_ELIMIT);
    er.window_count = 2;
    er.window_ms = 0;
    CHECK_INT(fnl_model_builder_engage(b, &er), FNL_EINVAL);
    er.window_count = 0;
    er.cap = -1;
    CHECK_INT(fnl_model_builder_engage(b, &er), FNL_EINVAL);
    er.cap = 0;
    /* key events: name, count, within */
    kr.conds = &c;
    kr.cond_count = 1;
    kr.points = 5;
    CHECK_INT(fnl_model_builder_key_event(b, &kr), FNL_EINVAL); /* no name */
    kr.name = "k";
    kr.count = FNL_MODEL_MAX_WINDOW + 1;
    CHECK_INT(fnl_model_builder_key_event(b, &kr), FNL_ELIMIT);
    kr.count = 1;
    kr.within_ms = -1;
    CHECK_INT(fnl_model_builder_key_event(b, &kr), FNL_EINVAL);
    kr.within_ms = FNL_MODEL_MAX_DURATION + 1;
    CHECK_INT(fnl_model_builder_key_event(b, &kr), FNL_EINVAL);
    kr.within_ms = 0;
    CHECK_OK(fnl_model_builder_key_event(b, &kr));
    /* grades, bands, thresholds, roll-up, engaged, roles */
    CHECK_INT(fnl_model_builder_grade(NULL, 'A', 1), FNL_EINVAL);
    CHECK_INT(fnl_model_builder_grade(b, 'D', 1), FNL_EINVAL);
    CHECK_INT(fnl_model_builder_grade(b, 'A', 1e13), FNL_EINVAL);
    CHECK_INT(fnl_model_builder_band(NULL, 1, 1), FNL_EINVAL);
    CHECK_INT(fnl_model_builder_band(b, 0, 1), FNL_EINVAL);
    CHECK_INT(fnl_model_builder_band(b, 4, 1), FNL_EINVAL);
    CHECK_INT(fnl_model_builder_band(b, 1, NAN), FNL_EINVAL);
    CHECK_INT(fnl_model_builder_threshold(NULL, "t", "fit > 1", NULL),
              FNL_EINVAL);
    CHECK_INT(fnl_model_builder_threshold(b, NULL, "fit > 1", NULL),
              FNL_EINVAL);
    CHECK_INT(fnl_model_builder_threshold(b, "t", NULL, NULL), FNL_EINVAL);
    err.size = 4;
    CHECK_INT(fnl_model_builder_threshold(b, "t", "fit > 1", &err),
              FNL_EINVAL);
    err.size = sizeof(err);
    CHECK_INT(fnl_model_builder_threshold(b, "", "fit > 1", &err),
              FNL_EINVAL);
    CHECK_INT(fnl_model_builder_threshold(b, "Upper", "fit > 1", &err),
              FNL_EINVAL);
    CHECK_OK(fnl_model_builder_threshold(b, "t", "key_event k", &err));
    CHECK_INT(fnl_model_builder_threshold(b, "t", "fit > 1", &err),
              FNL_EEXIST);
    CHECK_INT(fnl_model_builder_rollup(NULL, FNL_ROLLUP_SUM, 0), FNL_EINVAL);
    CHECK_INT(fnl_model_builder_rollup(b, 0, 0), FNL_EINVAL);
    CHECK_INT(fnl_model_builder_rollup(b, 4, 0), FNL_EINVAL);
    CHECK_INT(fnl_model_builder_rollup(b, FNL_ROLLUP_TOP, 0), FNL_EINVAL);
    CHECK_INT(fnl_model_builder_rollup(b, FNL_ROLLUP_SUM, 3), FNL_EINVAL);
    CHECK_INT(fnl_model_builder_engaged(NULL, "fit > 1", NULL), FNL_EINVAL);
    CHECK_INT(fnl_model_builder_engaged(b, NULL, NULL), FNL_EINVAL);
    err.size = 4;
    CHECK_INT(fnl_model_builder_engaged(b, "fit > 1", &err), FNL_EINVAL);
    CHECK_INT(fnl_model_builder_roles(NULL, 2), FNL_EINVAL);
    CHECK_INT(fnl_model_builder_roles(b, 0), FNL_EINVAL);
    CHECK_INT(fnl_model_builder_roles(b, 1), FNL_EINVAL); /* role none */
    CHECK_INT(fnl_model_builder_roles(b, 1u << 7), FNL_EINVAL);
    CHECK_INT(fnl_model_builder_finish(NULL, &m), FNL_EINVAL);
    CHECK_INT(fnl_model_builder_finish(b, NULL), FNL_EINVAL);
    /* none of the refused calls left a trace: one key event, one
     * threshold, and nothing else */
    CHECK_OK(fnl_model_builder_finish(b, &m));
    CHECK_INT(fnl_model_builder_version(b, 3), FNL_EINVAL); /* spent */
    CHECK_OK(fnl_model_get_info(m, &info));
    CHECK_INT(info.fit_rules, 0);
    CHECK_INT(info.engage_rules, 0);
    CHECK_INT(info.key_events, 1);
    CHECK_INT(info.thresholds, 1);
    CHECK_OK(fnl_model_to_text(m, buf, sizeof(buf), &len));
    CHECK_STR(buf, "model \"m\" version 1\ndecay none\n"
                   "key_event \"k\" when type exists +5\n"
                   "threshold t when key_event \"k\"\n"
                   "account rollup sum\naccount roles user, influencer, "
                   "decision_maker, economic_buyer\n");
    fnl_model_builder_free(b);
    /* readers' argument checks */
    CHECK_INT(fnl_model_get_info(NULL, &info), FNL_EINVAL);
    CHECK_INT(fnl_model_get_info(m, NULL), FNL_EINVAL);
    info.size = 2;
    CHECK_INT(fnl_model_get_info(m, &info), FNL_EINVAL);
    CHECK(fnl_model_key_event_name(NULL, 0) == NULL);
    CHECK(fnl_model_key_event_name(m, 1) == NULL);
    CHECK_STR(fnl_model_key_event_name(m, 0), "k");
    CHECK(fnl_model_threshold_name(NULL, 0) == NULL);
    CHECK(fnl_model_threshold_name(m, 1) == NULL);
    CHECK_INT(fnl_model_threshold_find(NULL, "t", &idx), FNL_EINVAL);
    CHECK_INT(fnl_model_threshold_find(m, NULL, &idx), FNL_EINVAL);
    CHECK_INT(fnl_model_threshold_find(m, "t", NULL), FNL_EINVAL);
    CHECK_INT(fnl_model_threshold_find(m, "u", &idx), FNL_ENOTFOUND);
    CHECK_OK(fnl_model_threshold_find(m, "T", &idx));
    CHECK_INT(idx, 0);
    CHECK_INT(fnl_model_threshold_eval(NULL, 0, &r, &out), FNL_EINVAL);
    CHECK_INT(fnl_model_threshold_eval(m, 0, NULL, &out), FNL_EINVAL);
    CHECK_INT(fnl_model_threshold_eval(m, 0, &r, NULL), FNL_EINVAL);
    CHECK_INT(fnl_model_threshold_eval(m, 1, &r, &out), FNL_ENOTFOUND);
    r.key_events = 1;
    CHECK_OK(fnl_model_threshold_eval(m, 0, &r, &out));
    CHECK_INT(out, 1);
    CHECK_INT(fnl_model_to_text(NULL, buf, sizeof(buf), &len), FNL_EINVAL);
    CHECK_INT(fnl_model_to_text(m, buf, sizeof(buf), NULL), FNL_EINVAL);
    CHECK_INT(fnl_model_to_text(m, NULL, 5, &len), FNL_EINVAL);
    CHECK_STR(fnl_model_name(NULL), "");
    fnl_model_free(m);
    fnl_model_free(NULL);
    fnl_model_builder_free(NULL);
}

TEST(builder_limits_are_limits)
{
    fnl_model_builder *b;
    fnl_match c = {"type", FNL_MATCH_EXISTS, 0, NULL, 0, 0, 0};
    fnl_key_event_rule kr = FNL_KEY_EVENT_RULE_INIT;
    fnl_parse_error err = FNL_PARSE_ERROR_INIT;
    char name[16];
    int i;
    CHECK_OK(fnl_model_builder_new(&b, "m", NULL));
    kr.conds = &c;
    kr.cond_count = 1;
    kr.points = 1;
    kr.name = name;
    for (i = 0; i < FNL_MODEL_MAX_KEY_EVENTS; i++) {
        sprintf(name, "k%d", i);
        CHECK_OK(fnl_model_builder_key_event(b, &kr));
    }
    sprintf(name, "k%d", i);
    CHECK_INT(fnl_model_builder_key_event(b, &kr), FNL_ELIMIT);
    for (i = 0; i < FNL_MODEL_MAX_THRESHOLDS; i++) {
        sprintf(name, "t%d", i);
        CHECK_OK(fnl_model_builder_threshold(b, name, "fit > 1", &err));
    }
    CHECK_INT(fnl_model_builder_threshold(b, "one_more", "fit > 1", &err),
              FNL_ELIMIT);
    fnl_model_builder_free(b);
}

/* An allocator whose shrinking reallocs always fail (a legal answer), and
 * whose mallocs fail once `mallocs` reaches 0. */
typedef struct shrinkfail {
    long mallocs;
    long long outstanding;
} shrinkfail;

static void *sf_malloc(void *ctx, size_t n)
{
    shrinkfail *f = ctx;
    void *p;
    if (f->mallocs == 0)
        return NULL;
    if (f->mallocs > 0)
        f->mallocs--;
    p = malloc(n);
    if (p != NULL)
        f->outstanding += (long long)n;
    return p;
}

static void *sf_realloc(void *ctx, void *p, size_t old, size_t n)
{
    shrinkfail *f = ctx;
    void *q;
    if (n < old)
        return NULL;
    q = realloc(p, n);
    if (q != NULL)
        f->outstanding += (long long)n - (long long)old;
    return q;
}

static void sf_free(void *ctx, void *p, size_t n)
{
    shrinkfail *f = ctx;
    f->outstanding -= (long long)n;
    free(p);
}

TEST(a_refused_shrink_falls_back_to_a_copy)
{
    /* 9 nodes: the array grows to 16 and must shrink to 9 */
    const char *t = "score > 1 and fit > 2 and engagement > 3 and band = 1 "
                    "and grade = A";
    shrinkfail f = {-1, 0};
    fnl_allocator a = {FNL_ALLOCATOR_VERSION, &f, sf_malloc, sf_realloc,
                       sf_free};
    fnl_score_expr *x = NULL;
    fnl_parse_error err = FNL_PARSE_ERROR_INIT;
    fnl_score_result r = result("A", 1, 10);
    int out;
    CHECK_OK(fnl_score_expr_parse(&x, t, strlen(t), NULL, &a, &err));
    CHECK_OK(fnl_score_expr_eval(x, &r, &out));
    CHECK_INT(out, 1); /* 10 > 1, 5 > 2, 5 > 3, band 1, grade A */
    fnl_score_expr_free(x);
    CHECK_INT(f.outstanding, 0);
    /* the copy's malloc fails too: ENOMEM, nothing leaked.  Mallocs: the
     * expression handle (1), then the copy (the array grows by realloc) */
    f.mallocs = 1;
    x = NULL;
    CHECK_INT(fnl_score_expr_parse(&x, t, strlen(t), NULL, &a, &err),
              FNL_ENOMEM);
    CHECK(x == NULL);
    CHECK_STR(err.message, "out of memory");
    CHECK_INT(f.outstanding, 0);
}

int main(void)
{
    RUN(condition_syntax_errors_point_at_the_token);
    RUN(rule_option_errors_point_at_the_token);
    RUN(statement_errors_point_at_the_token);
    RUN(tokenizer_errors_point_at_the_token);
    RUN(names_and_strings_over_their_limits_are_refused);
    RUN(lists_and_conditions_over_their_limits_are_limits);
    RUN(parse_arguments_are_checked);
    RUN(strings_escape_and_print_back_escaped);
    RUN(every_comparison_prints_back_canonically);
    RUN(expression_errors_point_at_the_token);
    RUN(expressions_over_the_limits_are_refused);
    RUN(every_operator_and_term_evaluates_as_documented);
    RUN(expression_arguments_are_checked);
    RUN(expression_parse_survives_allocation_failure_at_every_step);
    RUN(a_refused_shrink_falls_back_to_a_copy);
    RUN(builder_arguments_are_checked_and_change_nothing);
    RUN(builder_limits_are_limits);
    TEST_MAIN_END();
}
