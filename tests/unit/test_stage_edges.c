/* test_stage_edges -- the corners of the stage machine language and of its
 * builder API that test_stage_machine leaves out: every syntax and
 * semantic error of each statement and of the condition language, with
 * its exact line, byte column and message; the limits; the builder's
 * argument checks; and the machine's readers.
 *
 * Most cases follow the same four lines (PRE below), so the statement
 * under test is line 5.  A column is the 1-based byte position of the
 * token the error names (counted by hand in the comments); errors found
 * after a statement was read (by the builder, e.g. "stage defined twice")
 * point at the statement's first column. */
#include "failalloc.h"
#include "funnelcore.h"
#include "stage.h"
#include "test.h"

#define PRE                                                                  \
    "machine \"m\" version 1\n"                                             \
    "stage a initial\n"                                                      \
    "stage b\n"                                                              \
    "stage c side\n"

typedef struct bad {
    const char *stmt; /* line 5, after PRE */
    int rc;
    uint32_t col;
    const char *msg;
} bad;

static int machine_fails(const char *text, size_t len, int rc, uint32_t line,
                         uint32_t col, const char *msg)
{
    fnl_machine *m = (fnl_machine *)&len;
    fnl_parse_error err = FNL_PARSE_ERROR_INIT;
    int got = fnl_machine_parse(&m, text, len, NULL, &err);
    if (got != rc || err.line != line || err.column != col ||
        strcmp(err.message, msg) != 0 || m != (fnl_machine *)&len) {
        fprintf(stderr, "'%.70s': rc %d %u:%u '%s'\n",
                len > strlen(PRE) ? text + strlen(PRE) : text, got, err.line,
                err.column, err.message);
        if (got == FNL_OK)
            fnl_machine_free(m);
        return 0;
    }
    return 1;
}

static int run(const bad *c, size_t n)
{
    char text[1024];
    size_t i;
    int ok = 1;
    for (i = 0; i < n; i++) {
        snprintf(text, sizeof(text), "%s%s\n", PRE, c[i].stmt);
        if (!machine_fails(text, strlen(text), c[i].rc, 5, c[i].col,
                           c[i].msg)) {
            fprintf(stderr, "  case %zu\n", i);
            ok = 0;
        }
    }
    return ok;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

TEST(lexer_errors_point_at_the_token)
{
    static const bad cases[] = {
        /* "transition a -> b on event x reason " is 36 bytes */
        {"transition a -> b on event x reason \"un\\q\"", FNL_EINVAL, 37,
         "unknown escape (only \\\" and \\\\)"},
        /* "fallback queue " is 15 bytes */
        {"fallback queue \"abc", FNL_EINVAL, 16, "unterminated string"},
        /* "transition a -> b priority " is 27 bytes; 19 digits */
        {"transition a -> b priority 1234567890123456789", FNL_EINVAL, 28,
         "number too long"},
        {"stage d $", FNL_EINVAL, 9, "unexpected character"},
        {"stage d -", FNL_EINVAL, 9, "unexpected character"},
        {"stage d !", FNL_EINVAL, 9, "unexpected character"},
    };
    CHECK(run(cases, N(cases)));
    /* a newline inside a string */
    CHECK(machine_fails(PRE "fallback queue \"ab\ncd\"\n",
                        strlen(PRE "fallback queue \"ab\ncd\"\n"), FNL_EINVAL,
                        5, 16, "unterminated string"));
}

TEST(machine_and_stage_statements)
{
    static const bad cases[] = {
        {"foo", FNL_EINVAL, 1,
         "expected a statement (stage, transition, group, route, fallback, "
         "sla, step)"},
        {"machine \"n\" version 2", FNL_EINVAL, 1,
         "a second 'machine' line"},
        {"stage$", FNL_EINVAL, 6, "unexpected character"},
        {"stage 5", FNL_EINVAL, 7, "expected a stage name"},
        {"stage d initial", FNL_EEXIST, 1, "a second initial stage 'd'"},
        {"stage A", FNL_EEXIST, 1, "stage defined twice: 'A'"},
        {"stage d side$", FNL_EINVAL, 13, "unexpected character"},
        {"stage d e", FNL_EINVAL, 9, "unexpected text at the end of the line"},
        {"stage Ab-c", FNL_EINVAL, 1, "bad name 'Ab-c'"},
    };
    static const struct {
        const char *text;
        uint32_t col;
        const char *msg;
    } first[] = {
        {"machine$", 8, "unexpected character"},
        {"machine 5 version 1", 9, "expected the machine's name"},
        {"machine m vers 1", 11, "expected 'version'"},
        {"machine m version x", 19, "expected a whole number in range"},
        {"machine m version -1", 19, "expected a whole number in range"},
        {"machine m version 1.5", 19, "expected a whole number in range"},
        {"machine m version 5d", 19, "expected a whole number in range"},
        {"machine m version 4294967296", 19,
         "expected a whole number in range"},
        {"stage a", 1, "expected 'machine \"name\" version N' first"},
        {"", 1, "expected 'machine \"name\" version N' first"},
        {"# only a comment\n\n", 1,
         "expected 'machine \"name\" version N' first"},
        {"machine \"\" version 1", 1,
         "a machine name of 1..64 bytes is required"},
    };
    size_t i;
    CHECK(run(cases, N(cases)));
    for (i = 0; i < N(first); i++) {
        /* the last two: the error is at the end, on line 3 / line 1 */
        uint32_t line = i == 10 ? 3 : 1;
        CHECK(machine_fails(first[i].text, strlen(first[i].text),
                            FNL_EINVAL, line, first[i].col, first[i].msg));
    }
    {
        /* a 65-byte machine name */
        char t[128];
        snprintf(t, sizeof(t), "machine \"%065d\" version 1\n", 0);
        CHECK(machine_fails(t, strlen(t), FNL_EINVAL, 1, 1,
                            "a machine name of 1..64 bytes is required"));
    }
}

TEST(transition_statements)
{
    static const bad cases[] = {
        {"transition$", FNL_EINVAL, 11, "unexpected character"},
        {"transition x -> b", FNL_EINVAL, 12, "unknown stage 'x'"},
        {"transition 5 -> b", FNL_EINVAL, 12, "expected a stage name"},
        {"transition a b", FNL_EINVAL, 14, "expected '->'"},
        {"transition a ->$", FNL_EINVAL, 16, "unexpected character"},
        {"transition a -> b back$", FNL_EINVAL, 23, "unexpected character"},
        {"transition a -> b on$", FNL_EINVAL, 21, "unexpected character"},
        {"transition a -> b on foo", FNL_EINVAL, 22,
         "expected event, key_event, touch, idle or stay"},
        /* "transition a -> b on event " is 27 bytes */
        {"transition a -> b on event$", FNL_EINVAL, 27,
         "unexpected character"},
        {"transition a -> b on event 5", FNL_EINVAL, 28,
         "expected an event name"},
        {"transition a -> b on event x reason$", FNL_EINVAL, 36,
         "unexpected character"},
        {"transition a -> b on event x reason 5", FNL_EINVAL, 37,
         "expected a reason"},
        {"transition a -> b on key_event$", FNL_EINVAL, 31,
         "unexpected character"},
        {"transition a -> b on key_event 5", FNL_EINVAL, 32,
         "expected a key event name"},
        /* "transition a -> b on touch " is 27 bytes */
        {"transition a -> b on touch$", FNL_EINVAL, 27,
         "unexpected character"},
        {"transition a -> b on touch type$", FNL_EINVAL, 32,
         "unexpected character"},
        {"transition a -> b on touch type x", FNL_EINVAL, 33,
         "expected '='"},
        {"transition a -> b on touch type =$", FNL_EINVAL, 34,
         "unexpected character"},
        {"transition a -> b on touch type = 5", FNL_EINVAL, 35,
         "expected a value"},
        {"transition a -> b on touch type = x type = y", FNL_EINVAL, 37,
         "filter given twice"},
        {"transition a -> b on idle$", FNL_EINVAL, 26,
         "unexpected character"},
        {"transition a -> b on idle 5", FNL_EINVAL, 27,
         "expected a duration (e.g. 30d, 48h, 90m, 10s)"},
        {"transition a -> b on idle 5y", FNL_EINVAL, 27,
         "expected a duration (e.g. 30d, 48h, 90m, 10s)"},
        {"transition a -> b on stay 0", FNL_EINVAL, 1,
         "duration out of range 'b'"},
        {"transition a -> b on stay 40000d", FNL_EINVAL, 27,
         "expected a duration (e.g. 30d, 48h, 90m, 10s)"},
        {"transition a -> b when$", FNL_EINVAL, 23, "unexpected character"},
        {"transition a -> b when", FNL_EINVAL, 23, "expected a condition"},
        {"transition a -> b when priority 5", FNL_EINVAL, 24,
         "expected a condition"},
        {"transition a -> b priority$", FNL_EINVAL, 27,
         "unexpected character"},
        {"transition a -> b priority x", FNL_EINVAL, 28,
         "expected a whole number in range"},
        {"transition a -> b priority 3000000000", FNL_EINVAL, 28,
         "expected a whole number in range"},
        /* the builder's checks: reported at the statement */
        {"transition a -> a when owned", FNL_EINVAL, 1,
         "a transition must change the stage 'a'"},
        {"transition b -> a when owned", FNL_EINVAL, 1,
         "moving back (to a lower rank or a side stage) needs 'back': 'a'"},
        {"transition * -> c when owned", FNL_EINVAL, 1,
         "a wildcard into a side stage needs 'back': 'c'"},
        {"transition a -> b", FNL_EINVAL, 1,
         "a transition needs a trigger or a condition 'b'"},
    };
    CHECK(run(cases, N(cases)));
}

TEST(group_route_and_fallback_statements)
{
    static const bad cases[] = {
        {"group$", FNL_EINVAL, 6, "unexpected character"},
        {"group 5", FNL_EINVAL, 7, "expected a group name"},
        {"group g mem x", FNL_EINVAL, 9, "expected 'members'"},
        {"group g members 5", FNL_EINVAL, 17, "expected a member"},
        {"group g members x,$", FNL_EINVAL, 19, "unexpected character"},
        {"group g members x, x", FNL_EEXIST, 1, "member listed twice: 'x'"},
        {"group g members \"\"", FNL_EINVAL, 1, "empty string"},
        {"route$", FNL_EINVAL, 6, "unexpected character"},
        {"route in a", FNL_EINVAL, 7, "expected 'on'"},
        {"route on x", FNL_EINVAL, 10, "unknown stage 'x'"},
        {"route on a when$", FNL_EINVAL, 16, "unexpected character"},
        {"route on a fro", FNL_EINVAL, 12, "expected 'to'"},
        {"route on a to$", FNL_EINVAL, 14, "unexpected character"},
        {"route on a to owner 5", FNL_EINVAL, 21, "expected a quoted name"},
        {"route on a to owner bob", FNL_EINVAL, 21, "expected a quoted name"},
        {"route on a to owner \"\"", FNL_EINVAL, 1, "empty string"},
        {"route on a to group$", FNL_EINVAL, 20, "unexpected character"},
        {"route on a to group 5", FNL_EINVAL, 21, "expected a group name"},
        {"route on a to group nog", FNL_EINVAL, 1, "unknown group 'nog'"},
        {"route on a to account_owner$", FNL_EINVAL, 28,
         "unexpected character"},
        {"route on a to nobody", FNL_EINVAL, 15,
         "expected owner, group, queue or account_owner"},
        {"fallback$", FNL_EINVAL, 9, "unexpected character"},
        {"fallback que \"q\"", FNL_EINVAL, 10, "expected 'queue'"},
        {"fallback queue q", FNL_EINVAL, 16,
         "expected a quoted queue name"},
    };
    static const struct {
        const char *text; /* lines 5 and 6 */
        int rc;
        uint32_t col;
        const char *msg;
    } two[] = {
        {"group g members x\ngroup G members y", FNL_EEXIST, 1,
         "group defined twice: 'G'"},
        {"group g members x\nroute on a to group g round_robin$", FNL_EINVAL,
         34, "unexpected character"},
        {"fallback queue \"q\"\nroute on a to owner \"q\"", FNL_EINVAL, 1,
         "a queue, not an owner: 'q'"},
        {"route on a to owner \"o\"\nroute on b to queue \"o\"", FNL_EINVAL,
         1, "an owner, not a queue: 'o'"},
        {"fallback queue \"q\"\nfallback queue \"r\"", FNL_EEXIST, 1,
         "a second fallback queue 'r'"},
        {"group g members x\nroute on a to group g least_loaded x",
         FNL_EINVAL, 36, "unexpected text at the end of the line"},
    };
    size_t i;
    CHECK(run(cases, N(cases)));
    for (i = 0; i < N(two); i++) {
        char t[512];
        snprintf(t, sizeof(t), "%s%s\n", PRE, two[i].text);
        CHECK(machine_fails(t, strlen(t), two[i].rc, 6, two[i].col,
                            two[i].msg));
    }
}

TEST(sla_and_step_statements)
{
    static const bad cases[] = {
        {"sla$", FNL_EINVAL, 4, "unexpected character"},
        {"sla x", FNL_EINVAL, 5, "unknown stage 'x'"},
        {"sla a 5", FNL_EINVAL, 7, "expected accept, event or touch"},
        {"sla a name$", FNL_EINVAL, 11, "unexpected character"},
        {"sla a name x", FNL_EINVAL, 12, "expected accept, event or touch"},
        {"sla a event$", FNL_EINVAL, 12, "unexpected character"},
        {"sla a event 5", FNL_EINVAL, 13, "expected an event name"},
        {"sla a touch$", FNL_EINVAL, 12, "unexpected character"},
        {"sla a touch 0 within 1d", FNL_EINVAL, 13,
         "expected a whole number in range"},
        {"sla a touch 256 within 1d", FNL_EINVAL, 13,
         "expected a whole number in range"},
        {"sla a touch by$", FNL_EINVAL, 15, "unexpected character"},
        {"sla a touch by x", FNL_EINVAL, 16, "expected 'owner'"},
        {"sla a accept with 1d", FNL_EINVAL, 14, "expected 'within'"},
        {"sla a accept within x", FNL_EINVAL, 21,
         "expected a duration (e.g. 30d, 48h, 90m, 10s)"},
        {"sla a accept within 0", FNL_EINVAL, 1,
         "duration out of range 'a'"},
        {"sla a accept within 1d calendar$", FNL_EINVAL, 32,
         "unexpected character"},
        {"sla a accept within 1d calendar x", FNL_EINVAL, 33,
         "expected a quoted calendar"},
        {"sla a accept within 1d breach$", FNL_EINVAL, 30,
         "unexpected character"},
        {"sla a accept within 1d breach foo", FNL_EINVAL, 31,
         "expected '-> STAGE' or 'reroute'"},
        {"sla a accept within 1d breach ->$", FNL_EINVAL, 33,
         "unexpected character"},
        {"sla a accept within 1d breach -> x", FNL_EINVAL, 34,
         "unknown stage 'x'"},
        {"sla a accept within 1d breach reroute$", FNL_EINVAL, 38,
         "unexpected character"},
        {"sla a accept within 1d breach -> a", FNL_EINVAL, 1,
         "a breach must change the stage 'a'"},
        {"step$", FNL_EINVAL, 5, "unexpected character"},
        {"step 5", FNL_EINVAL, 6, "expected a step name"},
        {"step s of", FNL_EINVAL, 8, "expected 'on'"},
        {"step s on foo", FNL_EINVAL, 11,
         "expected enter, event, key_event or touch"},
        {"step s on enter x", FNL_EINVAL, 17, "unknown stage 'x'"},
        {"step s on event 5", FNL_EINVAL, 17, "expected an event name"},
        {"step s on key_event 5", FNL_EINVAL, 21,
         "expected a key event name"},
        {"step s on touch type$", FNL_EINVAL, 21, "unexpected character"},
        {"step s on enter a when$", FNL_EINVAL, 23, "unexpected character"},
        {"step s on enter a when notify \"x\"", FNL_EINVAL, 24,
         "expected a condition"},
        {"step s on enter a after$", FNL_EINVAL, 24, "unexpected character"},
        {"step s on enter a after x notify \"x\"", FNL_EINVAL, 25,
         "expected a duration (e.g. 30d, 48h, 90m, 10s)"},
        {"step s on enter a nottify \"x\"", FNL_EINVAL, 19,
         "expected 'notify'"},
        {"step s on enter a notify x", FNL_EINVAL, 26,
         "expected a quoted action"},
        {"step s on enter a notify \"x\" unless$", FNL_EINVAL, 36,
         "unexpected character"},
        {"step s on enter a notify \"x\" unless", FNL_EINVAL, 36,
         "expected a condition"},
        {"step s on enter a notify \"\"", FNL_EINVAL, 1, "empty string"},
    };
    static const struct {
        const char *text; /* lines 5 and 6 */
        int rc;
        uint32_t col;
        const char *msg;
    } two[] = {
        {"sla a accept within 1d\nsla a accept within 2d", FNL_EEXIST, 1,
         "SLA defined twice: 'accept'"},
        {"sla a w event demo within 1d\nsla a w touch within 2d", FNL_EEXIST,
         1, "SLA defined twice: 'w'"},
        {"step s on enter a notify \"x\"\nstep S on event e notify \"y\"",
         FNL_EEXIST, 1, "step defined twice: 'S'"},
    };
    size_t i;
    CHECK(run(cases, N(cases)));
    for (i = 0; i < N(two); i++) {
        char t[512];
        snprintf(t, sizeof(t), "%s%s\n", PRE, two[i].text);
        CHECK(machine_fails(t, strlen(t), two[i].rc, 6, two[i].col,
                            two[i].msg));
    }
    {
        /* a fifth SLA on one stage */
        const char *t = PRE "sla a s1 accept within 1d\n"
                            "sla a s2 accept within 1d\n"
                            "sla a s3 accept within 1d\n"
                            "sla a s4 accept within 1d\n"
                            "sla a s5 accept within 1d\n";
        CHECK(machine_fails(t, strlen(t), FNL_ELIMIT, 9, 1,
                            "too many SLAs on stage 'a'"));
    }
}

TEST(condition_errors_point_into_the_condition)
{
    /* "transition a -> b when " is 23 bytes: the condition starts at 24 */
    static const bad cases[] = {
        {"transition a -> b when 5", FNL_EINVAL, 24, "expected a condition"},
        {"transition a -> b when (", FNL_EINVAL, 25,
         "condition ends too early"},
        {"transition a -> b when (owned", FNL_EINVAL, 30, "expected ')'"},
        {"transition a -> b when not", FNL_EINVAL, 27,
         "condition ends too early"},
        {"transition a -> b when score(", FNL_EINVAL, 30,
         "expected a model name"},
        {"transition a -> b when score(5) > 1", FNL_EINVAL, 30,
         "expected a model name"},
        {"transition a -> b when score(m > 1", FNL_EINVAL, 32,
         "expected ')'"},
        {"transition a -> b when score", FNL_EINVAL, 29,
         "expected a comparison (>=, >, <=, <, =, !=)"},
        {"transition a -> b when score = x", FNL_EINVAL, 32,
         "expected a number"},
        {"transition a -> b when score = 5d", FNL_EINVAL, 32,
         "expected a number"},
        {"transition a -> b when grade >= E", FNL_EINVAL, 33,
         "expected a grade A..D"},
        {"transition a -> b when grade >= 2", FNL_EINVAL, 33,
         "expected a grade A..D"},
        {"transition a -> b when band = 5", FNL_EINVAL, 31,
         "expected a band 1..4"},
        {"transition a -> b when band = 1.5", FNL_EINVAL, 31,
         "expected a band 1..4"},
        {"transition a -> b when threshold 5", FNL_EINVAL, 34,
         "expected a threshold name"},
        {"transition a -> b when stage x", FNL_EINVAL, 30,
         "expected a comparison (>=, >, <=, <, =, !=)"},
        {"transition a -> b when stage = x", FNL_EINVAL, 32,
         "unknown stage 'x'"},
        {"transition a -> b when stage = 5", FNL_EINVAL, 32,
         "expected a stage name"},
        {"transition a -> b when reached 5", FNL_EINVAL, 32,
         "expected a stage name"},
        {"transition a -> b when touch_type > 5", FNL_EINVAL, 37,
         "expected a string"},
        {"transition a -> b when touch_type > \"x\"", FNL_EINVAL, 40,
         "ordering needs a number"},
        {"transition a -> b when region contains 5", FNL_EINVAL, 40,
         "expected a string"},
        {"transition a -> b when region = (", FNL_EINVAL, 33,
         "expected a value"},
        {"transition a -> b when region in x", FNL_EINVAL, 34,
         "expected '('"},
        {"transition a -> b when region in (5)", FNL_EINVAL, 35,
         "expected a value"},
        {"transition a -> b when region in (x y)", FNL_EINVAL, 37,
         "expected ',' or ')'"},
        {"transition a -> b when region foo", FNL_EINVAL, 31,
         "expected a comparison, in, contains, exists or missing"},
        {"transition a -> b when attr 5 = 1", FNL_EINVAL, 29,
         "expected an attribute name"},
        {"transition a -> b when and = 1", FNL_EINVAL, 24,
         "a keyword here (write attr NAME for an attribute of that name)"},
        {"transition a -> b when owned extra", FNL_EINVAL, 30,
         "unexpected text after the condition"},
        /* the string's opening quote is at 33 */
        {"transition a -> b when region = \"\"", FNL_EINVAL, 33,
         "empty string"},
    };
    CHECK(run(cases, N(cases)));
}

TEST(condition_limits_are_refused)
{
    char *t = malloc(16384), *p;
    int i;
    CHECK(t != NULL);
    /* 65 nested "not": the 65th "not " starts at 24 + 64 * 4 = 280 */
    p = t + sprintf(t, PRE "transition a -> b when ");
    for (i = 0; i < 65; i++)
        p += sprintf(p, "not ");
    sprintf(p, "owned\n");
    i = machine_fails(t, strlen(t), FNL_EINVAL, 5, 280,
                      "condition nested too deeply");
    if (!i)
        free(t);
    CHECK(i);
    /* 257 values in a list: "region in (" at 24..34, value k at 35 + 3k
     * ("vN" and ","); the 257th (k = 256) at 35 + 768 = 803 */
    p = t + sprintf(t, PRE "transition a -> b when region in (");
    for (i = 0; i < 257; i++)
        p += sprintf(p, i ? ",v%d" : "v%d", i % 10);
    sprintf(p, ")\n");
    i = machine_fails(t, strlen(t), FNL_EINVAL, 5, 803, "too many values");
    if (!i)
        free(t);
    CHECK(i);
    /* 257 members on one group line: "group g members " is 16 bytes, member
     * k at 17 + 3k ("mN" and ","): the 257th at 17 + 768 = 785 */
    p = t + sprintf(t, PRE "group g members ");
    for (i = 0; i < 257; i++)
        p += sprintf(p, i ? ",m%d" : "m%d", i % 10);
    sprintf(p, "\n");
    i = machine_fails(t, strlen(t), FNL_EINVAL, 5, 785,
                      "too many members on one line (at most 256)");
    free(t);
    CHECK(i);
}

TEST(too_many_stages_is_a_limit)
{
    char *t = malloc(4096), *p;
    int i, ok;
    CHECK(t != NULL);
    p = t + sprintf(t, "machine m version 1\n");
    for (i = 0; i <= 64; i++)
        p += sprintf(p, "stage s%d\n", i);
    /* stage 65 is on line 66 */
    ok = machine_fails(t, strlen(t), FNL_ELIMIT, 66, 1,
                       "too many stages (at most 64) 's64'");
    free(t);
    CHECK(ok);
}

TEST(every_statement_form_round_trips)
{
    /* the forms test_stage_machine does not print: event SLAs and steps,
     * campaign filters, key-event triggers, stay, model-qualified terms,
     * every comparison, attr of a keyword, numeric attributes */
    const char *t =
        PRE
        "transition a -> b on key_event \"trial\"\n"
        "transition b -> a back on stay 90m\n"
        "transition a -> b on touch campaign = \"spring\" when "
        "score(\"m2\") < 5 or fit <= 3 or engagement > 2 or band != 4 or "
        "grade = A\n"
        "transition c -> b on event e reason \"why\" when threshold(\"m2\") "
        "\"t\" and attr score >= 2 and size < 1.5 and not touch_campaign "
        "missing\n"
        "sla b w event demo within 2h\n"
        "step s1 on event e after 10s notify \"x\"\n"
        "step s2 on key_event k when touch_type = \"t\" notify \"y\" "
        "unless source_channel != \"z\" or touch_channel contains \"q\"\n"
        "step s3 on touch channel = \"email\" notify \"z\"\n";
    const char *canon =
        "machine \"m\" version 1\n"
        "stage a initial\n"
        "stage b\n"
        "stage c side\n"
        "transition a -> b on key_event \"trial\"\n"
        "transition b -> a back on stay 90m\n"
        "transition a -> b on touch campaign = \"spring\" when "
        "score(\"m2\") < 5 or fit <= 3 or engagement > 2 or band != 4 or "
        "grade = A\n"
        "transition c -> b on event e reason \"why\" when threshold(\"m2\") "
        "\"t\" and attr score >= 2 and size < 1.5 and not touch_campaign "
        "missing\n"
        "sla b w event demo within 2h\n"
        "step s1 on event e after 10s notify \"x\"\n"
        "step s2 on key_event \"k\" when touch_type = \"t\" notify \"y\" "
        "unless source_channel != \"z\" or touch_channel contains \"q\"\n"
        "step s3 on touch channel = \"email\" notify \"z\"\n";
    fnl_machine *m, *m2;
    char buf[2048], buf2[2048];
    size_t len;
    fnl_parse_error err = FNL_PARSE_ERROR_INIT;
    CHECK_OK(fnl_machine_parse(&m, t, strlen(t), NULL, &err));
    CHECK_OK(fnl_machine_to_text(m, buf, sizeof(buf), &len));
    CHECK_STR(buf, canon);
    CHECK_INT(len, strlen(canon));
    CHECK_OK(fnl_machine_parse(&m2, buf, len, NULL, &err));
    CHECK_OK(fnl_machine_to_text(m2, buf2, sizeof(buf2), &len));
    CHECK_STR(buf2, canon);
    fnl_machine_free(m);
    fnl_machine_free(m2);
}

TEST(parse_arguments_are_checked)
{
    fnl_machine *m = NULL;
    fnl_allocator newer = {FNL_ALLOCATOR_VERSION + 1, NULL, NULL, NULL, NULL};
    fnl_parse_error err = FNL_PARSE_ERROR_INIT;
    const char *t = PRE;
    CHECK_INT(fnl_machine_parse(NULL, t, strlen(t), NULL, NULL), FNL_EINVAL);
    CHECK_INT(fnl_machine_parse(&m, NULL, 3, NULL, NULL), FNL_EINVAL);
    CHECK_INT(fnl_machine_parse(&m, t, strlen(t), &newer, NULL),
              FNL_EVERSION);
    CHECK_INT(fnl_machine_default(&m, &newer), FNL_EVERSION);
    CHECK(m == NULL);
    /* an err too small to hold a message is not written */
    err.size = 12;
    err.line = 77;
    CHECK_INT(fnl_machine_parse(&m, "stage a", 7, NULL, &err), FNL_EINVAL);
    CHECK_INT(err.line, 77);
    /* NULL text of length 0 is the empty text */
    err.size = sizeof(err);
    CHECK_INT(fnl_machine_parse(&m, NULL, 0, NULL, &err), FNL_EINVAL);
    CHECK_STR(err.message, "expected 'machine \"name\" version N' first");
}

TEST(readers_check_their_arguments)
{
    fnl_machine *m;
    fnl_stage_info info = FNL_STAGE_INFO_INIT;
    uint32_t idx;
    size_t len;
    char buf[8];
    CHECK_OK(fnl_machine_parse(&m, PRE, strlen(PRE), NULL, NULL));
    CHECK_STR(fnl_machine_name(NULL), "");
    CHECK_STR(fnl_machine_name(m), "m");
    CHECK_INT(fnl_machine_version(NULL), 0);
    CHECK_INT(fnl_machine_version(m), 1);
    CHECK_INT(fnl_machine_stage_count(NULL), 0);
    CHECK_INT(fnl_machine_stage_count(m), 3);
    CHECK(fnl_machine_stage_name(NULL, 0) == NULL);
    CHECK(fnl_machine_stage_name(m, 3) == NULL);
    CHECK_STR(fnl_machine_stage_name(m, 2), "c");
    CHECK_INT(fnl_machine_stage_find(NULL, "a", &idx), FNL_EINVAL);
    CHECK_INT(fnl_machine_stage_find(m, NULL, &idx), FNL_EINVAL);
    CHECK_INT(fnl_machine_stage_find(m, "a", NULL), FNL_EINVAL);
    CHECK_INT(fnl_machine_stage_find(m, "d", &idx), FNL_ENOTFOUND);
    CHECK_OK(fnl_machine_stage_find(m, "B", &idx));
    CHECK_INT(idx, 1);
    CHECK_INT(fnl_machine_stage_info(NULL, 0, &info), FNL_EINVAL);
    CHECK_INT(fnl_machine_stage_info(m, 0, NULL), FNL_EINVAL);
    CHECK_INT(fnl_machine_stage_info(m, 3, &info), FNL_ENOTFOUND);
    info.size = 2;
    CHECK_INT(fnl_machine_stage_info(m, 0, &info), FNL_EINVAL);
    /* a short struct: only the fields it holds are written */
    CHECK_OK(fnl_stage_info_init(&info, sizeof(info)));
    info.size = (uint32_t)offsetof(fnl_stage_info, flags);
    info.flags = 99;
    CHECK_OK(fnl_machine_stage_info(m, 2, &info));
    CHECK_STR(info.name, "c");
    CHECK_INT(info.rank, 0); /* a side stage */
    CHECK_INT(info.flags, 99);
    /* the text: "machine ..." needs more than 8 bytes */
    CHECK_INT(fnl_machine_to_text(NULL, buf, sizeof(buf), &len), FNL_EINVAL);
    CHECK_INT(fnl_machine_to_text(m, buf, sizeof(buf), NULL), FNL_EINVAL);
    CHECK_INT(fnl_machine_to_text(m, NULL, 3, &len), FNL_EINVAL);
    CHECK_INT(fnl_machine_to_text(m, buf, sizeof(buf), &len), FNL_ERANGE);
    CHECK_INT(len, strlen(PRE));
    fnl_machine_free(m);
    fnl_machine_free(NULL);
}

TEST(builder_arguments_are_checked_and_change_nothing)
{
    fnl_machine_builder *b;
    fnl_machine *m;
    fnl_transition_def t = FNL_TRANSITION_DEF_INIT;
    fnl_route_def r = FNL_ROUTE_DEF_INIT;
    fnl_sla_def s = FNL_SLA_DEF_INIT;
    fnl_step_def st = FNL_STEP_DEF_INIT;
    fnl_parse_error err = FNL_PARSE_ERROR_INIT;
    const char *members[1] = {"ana"};
    const char *nullm[1] = {NULL};
    char buf[1024];
    size_t len;

    CHECK_INT(fnl_machine_builder_new(NULL, "m", 1, NULL), FNL_EINVAL);
    CHECK_INT(fnl_machine_builder_new(&b, NULL, 1, NULL), FNL_EINVAL);
    CHECK_INT(fnl_machine_builder_new(&b, "", 1, NULL), FNL_EINVAL);
    CHECK_OK(fnl_machine_builder_new(&b, "m", 1, NULL));
    CHECK_INT(fnl_machine_builder_stage(NULL, "a", 0), FNL_EINVAL);
    CHECK_INT(fnl_machine_builder_stage(b, NULL, 0), FNL_EINVAL);
    CHECK_INT(fnl_machine_builder_stage(b, "a", 8), FNL_EINVAL);
    CHECK_INT(fnl_machine_builder_stage(b, "*", 0), FNL_EINVAL);
    /* finishing without stages */
    CHECK_INT(fnl_machine_builder_finish(b, &m), FNL_EINVAL);
    CHECK_OK(fnl_machine_builder_stage(b, "a", 0));
    CHECK_OK(fnl_machine_builder_stage(b, "b", 0));
    /* transitions */
    CHECK_INT(fnl_machine_builder_transition(NULL, &t, NULL), FNL_EINVAL);
    CHECK_INT(fnl_machine_builder_transition(b, NULL, NULL), FNL_EINVAL);
    t.size = 8;
    CHECK_INT(fnl_machine_builder_transition(b, &t, NULL), FNL_EINVAL);
    t.size = sizeof(t);
    CHECK_INT(fnl_machine_builder_transition(b, &t, &err), FNL_EINVAL);
    CHECK_STR(err.message, "a stage is required");
    t.from = "a";
    t.to = "b";
    t.trigger = 9;
    CHECK_INT(fnl_machine_builder_transition(b, &t, &err), FNL_EINVAL);
    CHECK_STR(err.message, "unknown trigger 'b'");
    t.trigger = FNL_TRIGGER_TOUCH;
    t.reason = "r";
    CHECK_INT(fnl_machine_builder_transition(b, &t, &err), FNL_EINVAL);
    CHECK_STR(err.message, "only events have reasons 'r'");
    t.reason = NULL;
    t.trigger = FNL_TRIGGER_EVENT;
    t.name = "Bad Name";
    CHECK_INT(fnl_machine_builder_transition(b, &t, &err), FNL_EINVAL);
    CHECK_STR(err.message, "bad name 'Bad Name'");
    t.name = "e";
    t.reason = "";
    CHECK_INT(fnl_machine_builder_transition(b, &t, &err), FNL_EINVAL);
    CHECK_STR(err.message, "empty string");
    t.reason = NULL;
    t.trigger = FNL_TRIGGER_KEY_EVENT;
    t.name = NULL;
    CHECK_INT(fnl_machine_builder_transition(b, &t, &err), FNL_EINVAL);
    CHECK_STR(err.message, "a value is required");
    t.trigger = FNL_TRIGGER_TOUCH;
    t.touch.channel = "";
    CHECK_INT(fnl_machine_builder_transition(b, &t, &err), FNL_EINVAL);
    t.touch.channel = NULL;
    t.touch.campaign = "";
    CHECK_INT(fnl_machine_builder_transition(b, &t, &err), FNL_EINVAL);
    t.touch.campaign = NULL;
    t.trigger = FNL_TRIGGER_IDLE;
    t.duration = FNL_MACHINE_MAX_DURATION + 1;
    CHECK_INT(fnl_machine_builder_transition(b, &t, &err), FNL_EINVAL);
    CHECK_STR(err.message, "duration out of range 'b'");
    /* a condition error: the column is within the condition text */
    t.trigger = FNL_TRIGGER_NONE;
    t.when = "score >= x";
    CHECK_INT(fnl_machine_builder_transition(b, &t, &err), FNL_EINVAL);
    CHECK_INT(err.line, 1);
    CHECK_INT(err.column, 10);
    CHECK_STR(err.message, "expected a number");
    t.when = "$";
    CHECK_INT(fnl_machine_builder_transition(b, &t, &err), FNL_EINVAL);
    CHECK_INT(err.column, 1);
    CHECK_STR(err.message, "unexpected character");
    /* groups */
    CHECK_INT(fnl_machine_builder_group(NULL, "g", members, 1), FNL_EINVAL);
    CHECK_INT(fnl_machine_builder_group(b, NULL, members, 1), FNL_EINVAL);
    CHECK_INT(fnl_machine_builder_group(b, "g", NULL, 1), FNL_EINVAL);
    CHECK_INT(fnl_machine_builder_group(b, "g", members, 0), FNL_EINVAL);
    CHECK_INT(fnl_machine_builder_group(b, "g", nullm, 1), FNL_EINVAL);
    /* routes */
    CHECK_INT(fnl_machine_builder_route(NULL, &r, NULL), FNL_EINVAL);
    CHECK_INT(fnl_machine_builder_route(b, NULL, NULL), FNL_EINVAL);
    r.size = 8;
    CHECK_INT(fnl_machine_builder_route(b, &r, NULL), FNL_EINVAL);
    r.size = sizeof(r);
    r.stage = "a";
    r.target = 9;
    CHECK_INT(fnl_machine_builder_route(b, &r, &err), FNL_EINVAL);
    CHECK_STR(err.message, "unknown route target");
    r.target = FNL_ROUTE_OWNER;
    r.name = "ana";
    r.mode = FNL_ROUTE_LEAST_LOADED;
    CHECK_INT(fnl_machine_builder_route(b, &r, &err), FNL_EINVAL);
    CHECK_STR(err.message, "a mode is for groups only 'ana'");
    r.mode = 2;
    r.target = FNL_ROUTE_GROUP;
    CHECK_INT(fnl_machine_builder_route(b, &r, &err), FNL_EINVAL);
    r.mode = 0;
    r.name = NULL;
    CHECK_INT(fnl_machine_builder_route(b, &r, &err), FNL_EINVAL);
    CHECK_STR(err.message, "unknown group");
    r.target = FNL_ROUTE_ACCOUNT_OWNER;
    r.name = "ana";
    CHECK_INT(fnl_machine_builder_route(b, &r, &err), FNL_EINVAL);
    CHECK_STR(err.message, "account_owner takes no name 'ana'");
    r.name = NULL;
    r.stage = NULL;
    CHECK_INT(fnl_machine_builder_route(b, &r, &err), FNL_EINVAL);
    CHECK_STR(err.message, "a stage is required");
    CHECK_INT(fnl_machine_builder_fallback(NULL, "q"), FNL_EINVAL);
    CHECK_INT(fnl_machine_builder_fallback(b, NULL), FNL_EINVAL);
    CHECK_INT(fnl_machine_builder_fallback(b, ""), FNL_EINVAL);
    /* SLAs */
    CHECK_INT(fnl_machine_builder_sla(NULL, &s, NULL), FNL_EINVAL);
    CHECK_INT(fnl_machine_builder_sla(b, NULL, NULL), FNL_EINVAL);
    s.size = 8;
    CHECK_INT(fnl_machine_builder_sla(b, &s, NULL), FNL_EINVAL);
    s.size = sizeof(s);
    s.stage = "a";
    s.within = 1000;
    s.kind = 9;
    CHECK_INT(fnl_machine_builder_sla(b, &s, &err), FNL_EINVAL);
    CHECK_STR(err.message, "unknown SLA kind 'a'");
    s.kind = FNL_SLA_TOUCH;
    s.count = 256;
    CHECK_INT(fnl_machine_builder_sla(b, &s, &err), FNL_EINVAL);
    CHECK_STR(err.message, "a touch count is 1..255 'a'");
    s.count = 0;
    s.within_days = 1;
    CHECK_INT(fnl_machine_builder_sla(b, &s, &err), FNL_EINVAL);
    CHECK_STR(err.message, "within_days needs whole days 'a'");
    s.within_days = 0;
    s.kind = FNL_SLA_EVENT;
    s.event = NULL;
    CHECK_INT(fnl_machine_builder_sla(b, &s, &err), FNL_EINVAL);
    CHECK_STR(err.message, "a value is required");
    s.kind = FNL_SLA_ACCEPT;
    s.breach = 7;
    CHECK_INT(fnl_machine_builder_sla(b, &s, &err), FNL_EINVAL);
    CHECK_STR(err.message, "unknown breach action 'a'");
    s.breach = FNL_SLA_BREACH_STAGE;
    s.breach_stage = NULL;
    CHECK_INT(fnl_machine_builder_sla(b, &s, &err), FNL_EINVAL);
    CHECK_STR(err.message, "a stage is required");
    s.breach = FNL_SLA_BREACH_EVENT;
    s.calendar = "Mon-Fri 9-5";
    CHECK_INT(fnl_machine_builder_sla(b, &s, &err), FNL_EINVAL);
    CHECK_INT(err.line, 0);
    CHECK_INT(err.column, 0);
    s.calendar = NULL;
    /* steps */
    CHECK_INT(fnl_machine_builder_step(NULL, &st, NULL), FNL_EINVAL);
    CHECK_INT(fnl_machine_builder_step(b, NULL, NULL), FNL_EINVAL);
    st.size = 8;
    CHECK_INT(fnl_machine_builder_step(b, &st, NULL), FNL_EINVAL);
    st.size = sizeof(st);
    st.name = "s";
    st.trigger = FNL_TRIGGER_IDLE;
    st.action = "x";
    CHECK_INT(fnl_machine_builder_step(b, &st, &err), FNL_EINVAL);
    CHECK_STR(err.message, "a step triggers on enter, event, key_event or "
                           "touch: 's'");
    st.trigger = FNL_TRIGGER_ENTER;
    st.stage = "a";
    st.after = -1;
    CHECK_INT(fnl_machine_builder_step(b, &st, &err), FNL_EINVAL);
    CHECK_STR(err.message, "duration out of range 's'");
    st.after = 0;
    st.action = NULL;
    CHECK_INT(fnl_machine_builder_step(b, &st, &err), FNL_EINVAL);
    CHECK_STR(err.message, "a value is required");
    st.action = "x";
    st.when = "owned or";
    CHECK_INT(fnl_machine_builder_step(b, &st, &err), FNL_EINVAL);
    CHECK_STR(err.message, "condition ends too early");
    st.when = NULL;
    st.unless = "(";
    CHECK_INT(fnl_machine_builder_step(b, &st, &err), FNL_EINVAL);
    CHECK_STR(err.message, "condition ends too early");
    st.unless = NULL;
    /* finish: none of the refused calls left anything */
    CHECK_INT(fnl_machine_builder_finish(NULL, &m), FNL_EINVAL);
    CHECK_INT(fnl_machine_builder_finish(b, NULL), FNL_EINVAL);
    CHECK_OK(fnl_machine_builder_finish(b, &m));
    CHECK_INT(fnl_machine_builder_stage(b, "c", 0), FNL_EINVAL); /* spent */
    CHECK_OK(fnl_machine_to_text(m, buf, sizeof(buf), &len));
    /* no initial flag: the first stage is where contacts start, and the
     * canonical text says so */
    CHECK_STR(buf, "machine \"m\" version 1\nstage a initial\nstage b\n");
    fnl_machine_free(m);
    fnl_machine_builder_free(b);
    fnl_machine_builder_free(NULL);
}

TEST(a_group_of_more_than_64_members)
{
    /* the builder copies a long member list through a heap array; every
     * allocation of it can fail and changes nothing */
    failalloc fa = {-1, 0, 0, 0, 0};
    fnl_allocator a = fa_table(&fa);
    const char *members[100];
    char names[100][8];
    long n;
    int i, done = 0;
    for (i = 0; i < 100; i++) {
        snprintf(names[i], sizeof(names[i]), "o%d", i);
        members[i] = names[i];
    }
    for (n = 0; n < 400 && !done; n++) {
        fnl_machine_builder *b;
        fnl_machine *m;
        int rc;
        CHECK_OK(fnl_machine_builder_new(&b, "m", 1, &a));
        CHECK_OK(fnl_machine_builder_stage(b, "a", 0));
        fa_arm(&fa, n, 0);
        rc = fnl_machine_builder_group(b, "g", members, 100);
        fa_disarm(&fa);
        if (rc == FNL_OK) {
            char buf[2048];
            size_t len;
            CHECK_OK(fnl_machine_builder_finish(b, &m));
            CHECK_OK(fnl_machine_to_text(m, buf, sizeof(buf), &len));
            /* "group g members " then 100 quoted names */
            CHECK(strstr(buf, "group g members \"o0\", \"o1\", ") != NULL);
            CHECK(strstr(buf, "\"o98\", \"o99\"\n") != NULL);
            fnl_machine_free(m);
            done = fa.fired == 0;
        } else {
            CHECK_INT(rc, FNL_ENOMEM);
            /* nothing was added: the same group can still be added */
            CHECK_OK(fnl_machine_builder_group(b, "g", members, 100));
        }
        fnl_machine_builder_free(b);
        CHECK_INT(fa.outstanding, 0);
    }
    CHECK(done);
}


/* ---- evaluation of conditions -------------------------------------------- */

typedef struct eval_case {
    const char *cond;
    int touch; /* evaluated on a touch (else a plain re-check) */
    int want;
} eval_case;

TEST(conditions_evaluate_as_documented)
{
    /* The contact: default model fit 20, engagement 30, total 50, grade B,
     * band 2, threshold "mql" holds and "hot" does not; model m2 total 5
     * with unknown grade and band and no thresholds.  Attributes: region
     * "APAC", size 250 (a number), title "VP Sales", empty "".  Source
     * paid_search; the touch: demo / wechat / spring.  Stage a (rank 1),
     * reached a only, unsubscribed, owned by owner 3. */
    static const eval_case cases[] = {
        {"score = 50", 0, 1},
        {"score != 50", 0, 0},
        {"fit < 21", 0, 1},
        {"fit <= 19", 0, 0},
        {"engagement > 29", 0, 1},
        {"engagement >= 31", 0, 0},
        {"grade >= B", 0, 1}, /* B is 3 on D=1..A=4 */
        {"grade > B", 0, 0},
        {"band = 2", 0, 1},
        {"band < 2", 0, 0},
        {"score(\"m2\") = 5", 0, 1},
        {"grade(\"m2\") <= D", 0, 0},  /* unknown grade: false */
        {"band(\"m2\") >= 1", 0, 0},   /* unknown band: false */
        {"score(\"nope\") >= 0", 0, 0}, /* no such view */
        {"threshold \"mql\"", 0, 1},
        {"threshold \"HOT\"", 0, 0},
        {"threshold \"other\"", 0, 0},
        {"threshold(\"m2\") \"mql\"", 0, 0}, /* m2 lists none */
        {"not owned", 0, 0},
        {"unsubscribed", 0, 1},
        {"stage = a", 0, 1},
        {"stage != a", 0, 0},
        {"stage >= b", 0, 0}, /* rank 1 >= 2 */
        {"stage < b", 0, 1},
        {"reached a", 0, 1},
        {"reached b", 0, 0},
        {"region = \"apac\"", 0, 1},
        {"region != \"APAC\"", 0, 0},
        {"region contains \"pa\"", 0, 1},
        {"title contains \"director\"", 0, 0},
        {"region contains \"APACX\"", 0, 0}, /* longer than the value */
        {"region in (emea, apac)", 0, 1},
        {"region in (emea)", 0, 0},
        {"size >= 200", 0, 1},
        {"size = 250", 0, 1},
        {"size < 100", 0, 0},
        {"region > 5", 0, 0},       /* a string never compares as number */
        {"size = \"250\"", 0, 0},   /* a number never equals a string */
        {"size exists", 0, 1},
        {"phone missing", 0, 1},
        {"phone = x", 0, 0},
        {"empty exists", 0, 0},     /* an empty string is absent */
        {"empty missing", 0, 1},
        {"source_channel = paid_search", 0, 1},
        {"touch_type = demo", 1, 1},
        {"touch_channel in (email, wechat)", 1, 1},
        {"touch_campaign contains spr", 1, 1},
        {"touch_type exists", 0, 0}, /* no touch being evaluated */
        {"touch_campaign missing", 0, 1},
        {"(score > 10 or fit > 100) and not band = 4", 0, 1},
    };
    static const char *const tnames[] = {"mql", "hot"};
    fnli_score_view views[2];
    fnl_attr attrs[4];
    fnli_attr_array arr;
    fnli_stage_input in;
    fnli_stage_state st;
    size_t i;

    memset(views, 0, sizeof(views));
    views[0].model = "default";
    views[0].fit = 20;
    views[0].engagement = 30;
    views[0].total = 50;
    views[0].grade = 'B';
    views[0].band = 2;
    views[0].thresholds = 1;
    views[0].threshold_names = tnames;
    views[0].threshold_count = 2;
    views[1].model = "m2";
    views[1].total = 5;
    memset(attrs, 0, sizeof(attrs));
    attrs[0].name = "region";
    attrs[0].type = FNL_ATTR_STRING;
    attrs[0].str = "APAC";
    attrs[1].name = "size";
    attrs[1].type = FNL_ATTR_NUMBER;
    attrs[1].num = 250;
    attrs[2].name = "title";
    attrs[2].type = FNL_ATTR_STRING;
    attrs[2].str = "VP Sales";
    attrs[3].name = "empty";
    attrs[3].type = FNL_ATTR_STRING;
    attrs[3].str = "";
    arr.attrs = attrs;
    arr.count = 4;
    fnli_stage_state_init(&st);
    st.stage = 0;
    st.reached = 1;
    st.flags = FNLI_ST_UNSUBSCRIBED;
    st.owner = 3;

    for (i = 0; i < N(cases); i++) {
        char text[512];
        fnl_machine *m;
        fnl_parse_error err = FNL_PARSE_ERROR_INIT;
        fnli_cond_ctx c;
        int got;
        snprintf(text, sizeof(text), PRE "transition a -> b when %s\n",
                 cases[i].cond);
        if (fnl_machine_parse(&m, text, strlen(text), NULL, &err) != FNL_OK) {
            fprintf(stderr, "'%s': %s\n", cases[i].cond, err.message);
            CHECK(0);
        }
        memset(&in, 0, sizeof(in));
        in.kind = cases[i].touch ? FNLI_TRIG_TOUCH : FNLI_TRIG_RECHECK;
        in.views = views;
        in.nviews = 2;
        in.attr = fnli_attr_array_lookup;
        in.attr_ctx = &arr;
        in.source = "paid_search";
        in.touch_type = "demo";
        in.touch_channel = "wechat";
        in.touch_campaign = "spring";
        c.m = m;
        c.st = &st;
        c.in = &in;
        got = fnli_cond_eval(&c, m->trans[0].when);
        if (got != cases[i].want)
            fprintf(stderr, "'%s' gave %d\n", cases[i].cond, got);
        fnl_machine_free(m);
        CHECK_INT(got, cases[i].want);
    }
    /* without views and attributes every term is false, except missing */
    {
        const char *text = PRE "transition a -> b when fit >= 0 or "
                               "threshold \"mql\" or region exists\n"
                               "transition b -> c back when region missing\n";
        fnl_machine *m;
        fnli_cond_ctx c;
        CHECK_OK(fnl_machine_parse(&m, text, strlen(text), NULL, NULL));
        memset(&in, 0, sizeof(in));
        in.kind = FNLI_TRIG_RECHECK;
        c.m = m;
        c.st = &st;
        c.in = &in;
        i = (size_t)fnli_cond_eval(&c, m->trans[0].when);
        CHECK_INT(fnli_cond_eval(&c, m->trans[1].when), 1);
        fnl_machine_free(m);
        CHECK_INT(i, 0);
    }
}

int main(void)
{
    RUN(lexer_errors_point_at_the_token);
    RUN(machine_and_stage_statements);
    RUN(transition_statements);
    RUN(group_route_and_fallback_statements);
    RUN(sla_and_step_statements);
    RUN(condition_errors_point_into_the_condition);
    RUN(condition_limits_are_refused);
    RUN(too_many_stages_is_a_limit);
    RUN(every_statement_form_round_trips);
    RUN(parse_arguments_are_checked);
    RUN(readers_check_their_arguments);
    RUN(builder_arguments_are_checked_and_change_nothing);
    RUN(a_group_of_more_than_64_members);
    RUN(conditions_evaluate_as_documented);
    TEST_MAIN_END();
}
