/* test_paths.c -- the ChannelAttribution-compatible paths CSV reader:
 * RFC 4180 quoting, BOM, CRLF, header names in any case and order, number
 * forms, errors with line and column, files, allocation failures; and an
 * end-to-end example checked by hand. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "test.h"
#include "failalloc.h"
#include "attribution.h"
#include "paths_scan.h"

static int parse(const char *csv, fnl_journeys **out, fnl_paths_error *err)
{
    return fnl_paths_parse(out, csv, strlen(csv), NULL, err);
}

/* Journey i as "a>b|conv|nulls|value" for easy comparison. */
static void show(const fnl_journeys *js, size_t i, char *buf, size_t cap)
{
    fnli_journey j;
    size_t k, o = 0;
    fnli_journeys_view(js, i, &j);
    for (k = 0; k < j.n; k++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%s", k ? ">" : "",
                              fnli_gtab_name(&js->groups, j.groups[k]));
    snprintf(buf + o, cap - o, "|%llu|%llu|%lld",
             (unsigned long long)j.conversions, (unsigned long long)j.nulls,
             (long long)j.value);
}

#define CHECK_JOURNEY(js, i, want)                                           \
    do {                                                                    \
        char b_[512];                                                       \
        show((js), (i), b_, sizeof(b_));                                    \
        CHECK_STR(b_, (want));                                              \
    } while (0)

TEST(plain_file_with_all_columns)
{
    fnl_journeys *js;
    CHECK_OK(parse("path,total_conversions,total_conversion_value,total_null\n"
                   "a > b > c,2,10.5,3\n"
                   "b,0,0,7\n",
                   &js, NULL));
    CHECK_INT(fnl_journeys_count(js), 2);
    CHECK_INT(fnl_journeys_group_count(js), 3);
    CHECK_INT(js->value_decimals, 2);
    CHECK_JOURNEY(js, 0, "a>b>c|2|3|1050");
    CHECK_JOURNEY(js, 1, "b|0|7|0");
    fnl_journeys_free(js);
}

TEST(bom_crlf_quotes_case_and_column_order)
{
    fnl_journeys *js;
    CHECK_OK(parse("\xef\xbb\xbf\"Total_Null\",extra,\"PATH\",TOTAL_CONVERSIONS"
                   "\r\n"
                   "1,\"x,y\",\"alpha >  \"\"beta\"\" > gamma, inc\",4\r\n"
                   "\r\n"
                   "0,z,\"multi\nline > b\",1",
                   &js, NULL));
    CHECK_INT(fnl_journeys_count(js), 2);
    CHECK_JOURNEY(js, 0, "alpha>\"beta\">gamma, inc|4|1|0");
    CHECK_JOURNEY(js, 1, "multi\nline>b|1|0|0");
    fnl_journeys_free(js);
}

TEST(channel_names_are_trimmed_and_empty_ones_skipped)
{
    fnl_journeys *js;
    CHECK_OK(parse("path,total_conversions\n"
                   "  a>b >>  c  ,1\n"
                   "a > a,0\n",
                   &js, NULL));
    CHECK_JOURNEY(js, 0, "a>b>c|1|0|0");
    CHECK_JOURNEY(js, 1, "a>a|0|0|0");
    fnl_journeys_free(js);
}

TEST(number_forms_and_rounding)
{
    fnl_journeys *js;
    fnl_paths_options o = FNL_PATHS_OPTIONS_INIT;
    const char *csv = "path,total_conversions,total_conversion_value\n"
                      "a,1e+05,12.345\n"
                      "b,3.0,0.004\n"
                      "c,+2,1.5E2\n"
                      "d,0,\n"
                      "e,1,0.005\n";
    CHECK_OK(parse(csv, &js, NULL));
    CHECK_JOURNEY(js, 0, "a|100000|0|1235");
    CHECK_JOURNEY(js, 1, "b|3|0|0");
    CHECK_JOURNEY(js, 2, "c|2|0|15000");
    CHECK_JOURNEY(js, 3, "d|0|0|0");
    CHECK_JOURNEY(js, 4, "e|1|0|1");
    fnl_journeys_free(js);
    o.value_decimals = 0;
    CHECK_OK(fnl_paths_parse(&js, csv, strlen(csv), &o, NULL));
    CHECK_JOURNEY(js, 0, "a|100000|0|12");
    CHECK_JOURNEY(js, 2, "c|2|0|150");
    fnl_journeys_free(js);
}

static void expect_error(const char *csv, int code, uint64_t line,
                         uint64_t col, int *ok)
{
    fnl_journeys *js = NULL;
    fnl_paths_error e = FNL_PATHS_ERROR_INIT;
    int rc = parse(csv, &js, &e);
    *ok = rc == code && e.line == line && e.column == col && js == NULL &&
          e.message[0] != '\0';
    if (!*ok)
        fprintf(stderr, "rc %d line %llu col %llu: %s\n", rc,
                (unsigned long long)e.line, (unsigned long long)e.column,
                e.message);
}

TEST(errors_name_line_and_column)
{
    int ok;
    expect_error("conv,total_conversions\nx,1\n", FNL_ECORRUPT, 1, 1, &ok);
    CHECK(ok);
    expect_error("path\na\n", FNL_ECORRUPT, 1, 1, &ok);
    CHECK(ok);
    expect_error("path,path,total_conversions\n", FNL_ECORRUPT, 1, 6, &ok);
    CHECK(ok);
    expect_error("path,total_conversions\na,1\nb > c,x1\n", FNL_ECORRUPT, 3,
                 7, &ok);
    CHECK(ok);
    expect_error("path,total_conversions\na,-1\n", FNL_ECORRUPT, 2, 3, &ok);
    CHECK(ok);
    expect_error("path,total_conversions\na,2.5\n", FNL_ECORRUPT, 2, 3, &ok);
    CHECK(ok);
    expect_error("path,total_conversions\na,1,2\n", FNL_ECORRUPT, 2, 1, &ok);
    CHECK(ok);
    expect_error("path,total_conversions\n\"a,1\n", FNL_ECORRUPT, 2, 1, &ok);
    CHECK(ok);
    expect_error("path,total_conversions\n\"a\"x,1\n", FNL_ECORRUPT, 2, 4,
                 &ok);
    CHECK(ok);
    expect_error("path,total_conversions\n > ,1\n", FNL_ECORRUPT, 2, 1, &ok);
    CHECK(ok);
    expect_error("path,total_conversions\n\"x\ny\",1\nz,q\n", FNL_ECORRUPT,
                 4, 3, &ok);
    CHECK(ok);
    expect_error("path,total_conversions\na,99999999999\n", FNL_ELIMIT, 2, 3,
                 &ok);
    CHECK(ok);
    expect_error("path,total_conversions,total_conversion_value\na,0,5\n",
                 FNL_ECORRUPT, 2, 5, &ok);
    CHECK(ok);
    expect_error("path,total_conversions\n\xff,1\n", FNL_ECORRUPT, 2, 1, &ok);
    CHECK(ok);
    expect_error("", FNL_ECORRUPT, 1, 1, &ok);
    CHECK(ok);
}

TEST(bad_arguments)
{
    fnl_journeys *js = NULL;
    fnl_paths_options o = FNL_PATHS_OPTIONS_INIT;
    CHECK_INT(fnl_paths_parse(NULL, "", 0, NULL, NULL), FNL_EINVAL);
    CHECK_INT(fnl_paths_parse(&js, NULL, 3, NULL, NULL), FNL_EINVAL);
    o.value_decimals = 10;
    CHECK_INT(fnl_paths_parse(&js, "path", 4, &o, NULL), FNL_EINVAL);
    o.value_decimals = 2;
    o.separator = ',';
    CHECK_INT(fnl_paths_parse(&js, "path", 4, &o, NULL), FNL_EINVAL);
    CHECK_INT(fnl_paths_read(&js, "/nonexistent/paths.csv", NULL, NULL),
              FNL_EIO);
    CHECK(js == NULL);
}

TEST(a_custom_separator)
{
    fnl_journeys *js;
    fnl_paths_options o = FNL_PATHS_OPTIONS_INIT;
    const char *csv = "path,total_conversions\na|b > c,1\n";
    o.separator = '|';
    CHECK_OK(fnl_paths_parse(&js, csv, strlen(csv), &o, NULL));
    CHECK_JOURNEY(js, 0, "a>b > c|1|0|0");
    fnl_journeys_free(js);
}

TEST(reading_a_file)
{
    char name[] = "/tmp/fnl_paths_XXXXXX";
    const char *csv = "path,total_conversions,total_null\nx > y,1,1\n";
    fnl_journeys *js;
    FILE *f;
    int fd = mkstemp(name);
    CHECK(fd >= 0);
    f = fdopen(fd, "wb");
    CHECK(f != NULL);
    fputs(csv, f);
    fclose(f);
    CHECK_OK(fnl_paths_read(&js, name, NULL, NULL));
    remove(name);
    CHECK_JOURNEY(js, 0, "x>y|1|1|0");
    fnl_journeys_free(js);
}

/* A small ChannelAttribution-style data set, worked by hand.
 *   alpha > beta > gamma   conv 1, value 10.00, null 0
 *   alpha                  conv 0, null 1
 *   beta > gamma           conv 0, null 1
 * first: alpha 1; last: gamma 1; linear: 1/3 each;
 * Markov order 1 (see test_markov's three-journey example): alpha 0.2,
 * beta 0.4, gamma 0.4, value 2.00 / 4.00 / 4.00. */
TEST(end_to_end_small_example)
{
    const char *csv =
        "path,total_conversions,total_conversion_value,total_null\n"
        "alpha > beta > gamma,1,10,0\n"
        "alpha,0,0,1\n"
        "beta > gamma,0,0,1\n";
    static const struct {
        uint32_t model;
        double alpha, beta, gamma;
    } want[] = {
        { FNL_ATTR_FIRST_TOUCH, 1, 0, 0 },
        { FNL_ATTR_LAST_TOUCH, 0, 0, 1 },
        { FNL_ATTR_LINEAR, 1.0 / 3, 1.0 / 3, 1.0 / 3 },
        { FNL_ATTR_U_SHAPED, 0.4, 0.2, 0.4 },
        { FNL_ATTR_MARKOV, 0.2, 0.4, 0.4 },
    };
    fnl_journeys *js;
    size_t i;
    CHECK_OK(parse(csv, &js, NULL));
    for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        fnl_attribution *r;
        fnl_attribution_row row = FNL_ATTRIBUTION_ROW_INIT;
        fnl_attribution_info info = FNL_ATTRIBUTION_INFO_INIT;
        CHECK_OK(fnl_attribution_run(&r, js, want[i].model, NULL));
        CHECK_INT(fnl_attribution_row_count(r), 3);
        /* rows are sorted by key: alpha, beta, gamma */
        CHECK_OK(fnl_attribution_row_get(r, 0, &row));
        CHECK_STR(row.key, "alpha");
        CHECK_NEAR(row.conversions, want[i].alpha, 1e-9);
        CHECK_NEAR(row.value, 10 * want[i].alpha, 1e-7);
        CHECK_OK(fnl_attribution_row_get(r, 1, &row));
        CHECK_NEAR(row.conversions, want[i].beta, 1e-9);
        CHECK_OK(fnl_attribution_row_get(r, 2, &row));
        CHECK_STR(row.key, "gamma");
        CHECK_NEAR(row.conversions, want[i].gamma, 1e-9);
        CHECK_INT(fnl_attribution_row_get(r, 3, &row), FNL_ENOTFOUND);
        CHECK_OK(fnl_attribution_get_info(r, &info));
        CHECK_NEAR(info.total_value, 10, 1e-12);
        CHECK_NEAR(info.total_conversions, 1, 0);
        fnl_attribution_free(r);
    }
    fnl_journeys_free(js);
}

TEST(parse_survives_allocation_failures)
{
    failalloc fa = { -1, 0, 0, 0, 0 };
    fnl_allocator a = fa_table(&fa);
    fnl_paths_options o = FNL_PATHS_OPTIONS_INIT;
    char csv[8192];
    size_t len = 0;
    long n;
    int i, done = 0;
    len += (size_t)snprintf(csv, sizeof(csv),
                            "path,total_conversions,total_null\n");
    for (i = 0; i < 100; i++)
        len += (size_t)snprintf(csv + len, sizeof(csv) - len,
                                "\"c%d > c%d\"\"q\"\" > c%d\",%d,%d\n", i % 7,
                                i % 11, i % 13, i % 2, 1 + i % 3);
    o.allocator = &a;
    for (n = 0; !done && n < 10000; n++) {
        fnl_journeys *js = NULL;
        int rc;
        fa_arm(&fa, n, 0);
        rc = fnl_paths_parse(&js, csv, len, &o, NULL);
        fa_disarm(&fa);
        if (rc == FNL_OK) {
            CHECK_INT(fnl_journeys_count(js), 100);
            fnl_journeys_free(js);
            done = 1;
        } else {
            CHECK_INT(rc, FNL_ENOMEM);
            CHECK(js == NULL);
        }
        CHECK_INT(fa.outstanding, 0);
    }
    CHECK(done);
}

/* ---- straight into a partial ------------------------------------------ */

static int same_partials(const fnl_attribution_partial *a,
                         const fnl_attribution_partial *b)
{
    uint32_t m;
    for (m = 1; m <= 14; m++) {
        fnl_attribution *x = NULL, *y = NULL;
        size_t i, n;
        int ok;
        if (m == FNL_ATTR_TIME_DECAY)
            continue;
        ok = fnl_attribution_partial_finish(a, m, &x) == FNL_OK &&
             fnl_attribution_partial_finish(b, m, &y) == FNL_OK;
        n = fnl_attribution_row_count(x);
        ok = ok && n == fnl_attribution_row_count(y);
        for (i = 0; ok && i < n; i++) {
            fnl_attribution_row rx = FNL_ATTRIBUTION_ROW_INIT;
            fnl_attribution_row ry = FNL_ATTRIBUTION_ROW_INIT;
            fnl_attribution_row_get(x, i, &rx);
            fnl_attribution_row_get(y, i, &ry);
            ok = strcmp(rx.key, ry.key) == 0 && rx.touches == ry.touches &&
                 memcmp(&rx.conversions, &ry.conversions, 8) == 0 &&
                 memcmp(&rx.value, &ry.value, 8) == 0;
        }
        fnl_attribution_free(x);
        fnl_attribution_free(y);
        if (!ok)
            return 0;
    }
    return 1;
}

TEST(streaming_into_a_partial_equals_parse_then_add)
{
    /* long names (over 16 bytes, past the name cache), names ending at
     * the very end of the buffer, quoted paths, exponents and decimals */
    static const char csv[] =
        "path,total_conversions,total_conversion_value,total_null\n"
        "a > b > c,2,10.5,1\n"
        "a_very_long_channel_name_indeed > b,1,3,0\n"
        "\"c > \"\"q\"\" > a\",1e+00,1.25,2\n"
        "b,0,,4\n"
        "seventeen_bytes_x > a_very_long_channel_name_indeed,3.0,0.5,0\n"
        "a > b > a > b > c > d,1,2,1\n"
        "x,1,1,0\n"
        "last,0,0,1\n"
        "c,1,1,0\n"
        "z,0,0,1";
    fnl_attribution_options o = FNL_ATTRIBUTION_OPTIONS_INIT;
    fnl_attribution_partial *p, *q;
    fnl_journeys *js = NULL;
    fnl_paths_error err = FNL_PATHS_ERROR_INIT;
    char *exact;
    o.value_decimals = 2;
    /* an exact-size copy, so the last name ends at the buffer's end */
    exact = malloc(sizeof(csv) - 1);
    CHECK(exact != NULL);
    memcpy(exact, csv, sizeof(csv) - 1);
    CHECK_OK(fnl_attribution_partial_new(&p, &o));
    CHECK_OK(fnl_attribution_partial_new(&q, &o));
    CHECK_OK(fnl_paths_parse(&js, exact, sizeof(csv) - 1, NULL, &err));
    CHECK_OK(fnl_attribution_partial_add(p, js, 0, fnl_journeys_count(js)));
    CHECK_OK(fnl_paths_parse_partial(q, exact, sizeof(csv) - 1, NULL, &err));
    CHECK(same_partials(p, q));
    /* twice is the sum of two passes */
    CHECK_OK(fnl_attribution_partial_add(p, js, 0, fnl_journeys_count(js)));
    CHECK_OK(fnl_paths_parse_partial(q, exact, sizeof(csv) - 1, NULL, &err));
    CHECK(same_partials(p, q));
    /* a bad row later in the file leaves the partial as it was */
    {
        static const char bad[] =
            "path,total_conversions\na > b,1\nc,1\nd,-1\n";
        CHECK_INT(fnl_paths_parse_partial(q, bad, sizeof(bad) - 1, NULL,
                                          &err), FNL_ECORRUPT);
        CHECK_INT(err.line, 4);
        CHECK(same_partials(p, q));
    }
    free(exact);
    fnl_journeys_free(js);
    fnl_attribution_partial_free(p);
    fnl_attribution_partial_free(q);
    /* time decay needs times, which paths do not have */
    o.models |= FNL_ATTR_BIT(FNL_ATTR_TIME_DECAY);
    CHECK_OK(fnl_attribution_partial_new(&p, &o));
    CHECK_INT(fnl_paths_parse_partial(p, csv, sizeof(csv) - 1, NULL, &err),
              FNL_EINVAL);
    fnl_attribution_partial_free(p);
}

TEST(read_partial_from_a_file)
{
    static const char csv[] =
        "path,total_conversions,total_null\nemail > seo,3,1\nseo,1,2\n";
    char name[] = "/tmp/fnl_paths_XXXXXX";
    fnl_attribution_partial *p = NULL;
    fnl_attribution *r = NULL;
    fnl_attribution_info info = FNL_ATTRIBUTION_INFO_INIT;
    int fd = mkstemp(name);
    CHECK(fd >= 0);
    CHECK(write(fd, csv, sizeof(csv) - 1) == (ssize_t)(sizeof(csv) - 1));
    close(fd);
    CHECK_OK(fnl_attribution_partial_new(&p, NULL));
    CHECK_OK(fnl_paths_read_partial(p, name, NULL, NULL));
    CHECK_OK(fnl_attribution_partial_finish(p, FNL_ATTR_LINEAR, &r));
    CHECK_OK(fnl_attribution_get_info(r, &info));
    CHECK_NEAR(info.total_conversions, 4, 0);
    CHECK_NEAR(info.total_nulls, 3, 0);
    fnl_attribution_free(r);
    CHECK_INT(fnl_paths_read_partial(p, "/nonexistent/x.csv", NULL, NULL),
              FNL_EIO);
    CHECK_INT(fnl_paths_read_partial(NULL, name, NULL, NULL), FNL_EINVAL);
    fnl_attribution_partial_free(p);
    unlink(name);
}

/* ---- the fast row reader ----------------------------------------------
 * Most rows go through a one-pass reader that hands anything unusual back
 * to the general one.  These tests check it three ways: against data
 * built first and written out as CSV (the truth is the data), against the
 * general reader on random files that mix every form and error (the
 * general reader is the reference: FNLI_PATHS_GENERAL_ONLY), and on the
 * edges of its word-at-a-time scanning. */

static uint64_t rnd(uint64_t *s)
{
    uint64_t x = *s += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

/* A growable text buffer. */
typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        if (b->p == NULL)
            abort();
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void sb_str(sbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

/* An exact-size heap copy, so a read past the end trips ASan. */
static char *exact_copy(const char *s, size_t n)
{
    char *d = malloc(n ? n : 1);
    if (d == NULL)
        abort();
    memcpy(d, s, n);
    return d;
}

/* Both readers agree on everything observable: status, the error's line,
 * column and message, and the journeys with their name table in the
 * order names were first seen. */
static int same_outcome(const char *buf, size_t len,
                        const fnl_paths_options *o, int *rc_out)
{
    fnl_journeys *a = NULL, *b = NULL;
    fnl_paths_error ea = FNL_PATHS_ERROR_INIT, eb = FNL_PATHS_ERROR_INIT;
    int ra, rb, ok = 1;
    size_t i, k;
    if (fnli_journeys_new(&a, NULL, o->value_decimals) ||
        fnli_journeys_new(&b, NULL, o->value_decimals))
        abort();
    ra = fnli_paths_parse_flags(a, buf, len, o, &ea, 0);
    rb = fnli_paths_parse_flags(b, buf, len, o, &eb,
                                FNLI_PATHS_GENERAL_ONLY);
    *rc_out = ra;
    if (ra != rb || ea.line != eb.line || ea.column != eb.column ||
        strcmp(ea.message, eb.message) != 0) {
        fprintf(stderr, "fast %d %llu:%llu %s / general %d %llu:%llu %s\n",
                ra, (unsigned long long)ea.line,
                (unsigned long long)ea.column, ea.message, rb,
                (unsigned long long)eb.line, (unsigned long long)eb.column,
                eb.message);
        ok = 0;
    } else if (ra == FNL_OK) {
        ok = a->n == b->n && a->groups.count == b->groups.count;
        for (i = 0; ok && i < a->groups.count; i++)
            ok = a->groups.len[i] == b->groups.len[i] &&
                 memcmp(fnli_gtab_name(&a->groups, (uint32_t)i),
                        fnli_gtab_name(&b->groups, (uint32_t)i),
                        a->groups.len[i]) == 0;
        for (i = 0; ok && i < a->n; i++) {
            fnli_journey x, y;
            fnli_journeys_view(a, i, &x);
            fnli_journeys_view(b, i, &y);
            ok = x.n == y.n && x.conversions == y.conversions &&
                 x.nulls == y.nulls && x.value == y.value;
            for (k = 0; ok && k < x.n; k++)
                ok = x.groups[k] == y.groups[k];
        }
        if (!ok)
            fprintf(stderr, "the readers built different journeys\n");
    }
    fnl_journeys_free(a);
    fnl_journeys_free(b);
    return ok;
}

static const char *pick(uint64_t *s, const char *const *v, size_t n)
{
    return v[rnd(s) % n];
}
#define PICK(s, v) pick((s), (v), sizeof(v) / sizeof((v)[0]))

/* One random field for a column of role r (0 path, 1 count, 2 value,
 * 3 other), in any form, good or bad. */
static void random_field(sbuf *b, uint64_t *s, int r, char sep)
{
    /* channel names, some broken: bad UTF-8, a NUL, a separator */
    static const struct {
        const char *s;
        size_t n;
    } names[] = {
#define N_(lit) { lit, sizeof(lit) - 1 }
        N_("a"), N_("b"), N_("email"), N_("paid search"), N_(" padded "),
        N_("\t"), N_(""), N_("sixteen_bytes_16"), N_("seventeen_bytes17"),
        N_("caf\xc3\xa9"), N_("\xe6\x97\xa5\xe6\x9c\xac"),
        N_("\xf0\x9f\x98\x80"), N_("x\"y"), N_("q\""), N_("\xff"),
        N_("\xc3"), N_("\xe6\x97"), N_("\xc0\xaf"), N_("\xed\xa0\x80"),
        N_("nul\0x"), N_("a_name_that_is_rather_long_for_a_channel"),
        N_("1"), { NULL, 0 },
#undef N_
    };
    static const char *const counts[] = {
        "0", "1", "2", "17", "3.0", "5.", "1e+05", "", " 3", "-1", "2.5",
        "x", "0001", "2147483647", "2147483648", "99999999999", "00000000001",
        "1e", "+2", ".", "18446744073709551617",
    };
    static const char *const values[] = {
        "", "0", "0.00", "10.5", "1.234", "12.345", "1e2", "x", "5.", "0.005",
        "140737488355327", "1407374883553.27", "1407374883553.28", ".5",
        "999999999999999999",
    };
    static const char *const others[] = {
        "", "x", "a > b", "\"q\"", "tail\"", "12",
    };
    size_t k, nn;
    if (r == 0) {
        nn = rnd(s) % 7;
        for (k = 0; k < nn; k++) {
            size_t i = rnd(s) % (sizeof(names) / sizeof(names[0]));
            if (k) {
                sb_str(b, rnd(s) % 2 ? " " : "");
                sb_put(b, &sep, 1);
                sb_str(b, rnd(s) % 3 ? " " : "");
            }
            if (names[i].s == NULL) /* an empty name between two */
                sb_put(b, &sep, 1);
            else
                sb_put(b, names[i].s, names[i].n);
        }
    } else if (r == 1) {
        sb_str(b, PICK(s, counts));
    } else if (r == 2) {
        sb_str(b, PICK(s, values));
    } else {
        sb_str(b, PICK(s, others));
    }
}

/* The same field quoted: "" for each quote, maybe a line end inside. */
static void random_quoted(sbuf *b, uint64_t *s, int r, char sep)
{
    sbuf t = { NULL, 0, 0 };
    size_t i;
    random_field(&t, s, r, sep);
    if (rnd(s) % 4 == 0)
        sb_str(&t, rnd(s) % 2 ? "\n" : "\r\n");
    sb_put(b, "\"", 1);
    for (i = 0; i < t.n; i++) {
        if (t.p[i] == '"')
            sb_put(b, "\"", 1);
        sb_put(b, &t.p[i], 1);
    }
    sb_put(b, "\"", 1);
    free(t.p);
}

static void random_file(sbuf *b, uint64_t *s, char sep)
{
    static const char *const heads[] = {
        "path", "total_conversions", "total_conversion_value", "total_null",
        "extra",
    };
    static const char *const ends[] = { "\n", "\r\n", "\r", "\n\n",
                                        "\r\n\r\n" };
    int role[5], ncol = 0, c, row, nrows;
    int perm[5] = { 0, 1, 2, 3, 4 };
    /* the two required columns, maybe the others, in any order */
    for (c = 4; c > 0; c--) {
        int k = (int)(rnd(s) % (uint64_t)(c + 1)), t = perm[c];
        perm[c] = perm[k];
        perm[k] = t;
    }
    if (rnd(s) % 8 == 0)
        sb_str(b, "\xef\xbb\xbf");
    for (c = 0; c < 5; c++) {
        int h = perm[c];
        const char *q = rnd(s) % 5 == 0 ? "\"" : "";
        if (h >= 2 && rnd(s) % 3 == 0)
            continue;
        if (ncol)
            sb_str(b, ",");
        sb_str(b, q);
        sb_str(b, h == 0 && rnd(s) % 4 == 0 ? "PATH" : heads[h]);
        sb_str(b, q);
        role[ncol++] = h == 0 ? 0 : h == 1 || h == 3 ? 1 : h == 2 ? 2 : 3;
    }
    sb_str(b, PICK(s, ends));
    nrows = (int)(rnd(s) % 12);
    for (row = 0; row < nrows; row++) {
        int nf = ncol;
        if (rnd(s) % 20 == 0)
            nf += rnd(s) % 2 ? 1 : -1;
        for (c = 0; c < nf; c++) {
            int r = c < ncol ? role[c] : 3;
            if (c)
                sb_str(b, ",");
            /* mostly well-formed rows, so that errors come late */
            if (rnd(s) % 10 == 0) {
                random_quoted(b, s, r, sep);
            } else if (r == 1 && rnd(s) % 4) {
                char num[8];
                snprintf(num, sizeof(num), "%d", (int)(rnd(s) % 4));
                sb_str(b, num);
            } else {
                random_field(b, s, r, sep);
            }
        }
        if (row + 1 < nrows || rnd(s) % 2)
            sb_str(b, PICK(s, ends));
    }
}

TEST(fast_and_general_readers_agree_on_random_files)
{
    static const char seps[] = { '>', '|', ';', '\xbb' };
    uint64_t seed = 42;
    long files, accepted = 0;
    for (files = 0; files < 20000; files++) {
        fnl_paths_options o = FNL_PATHS_OPTIONS_INIT;
        sbuf b = { NULL, 0, 0 };
        char *buf;
        int rc;
        o.separator = seps[rnd(&seed) % 4];
        o.value_decimals = (uint32_t)(rnd(&seed) % 4);
        random_file(&b, &seed, o.separator);
        buf = exact_copy(b.p, b.n);
        if (!same_outcome(buf, b.n, &o, &rc)) {
            fprintf(stderr, "file %ld:\n%s\n", files, b.p);
            CHECK(0);
        }
        accepted += rc == FNL_OK;
        free(buf);
        free(b.p);
    }
    /* the mix exercised both outcomes */
    CHECK(accepted > 1000 && accepted < 19000);
}

/* Journeys made first, then written as a paths file in a random layout:
 * reading the file must give them back exactly. */
TEST(written_journeys_come_back_from_any_layout)
{
    static const char *const pool[] = {
        "email", "seo", "paid search", "direct", "x",
        "caf\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac", "\xf0\x9f\x98\x80 emoji",
        "sixteen_bytes_16", "seventeen_bytes17", "say \"hi\"",
        "a_name_that_is_rather_long_for_a_channel",
    };
    uint64_t seed = 7;
    int round;
    for (round = 0; round < 300; round++) {
        enum { MAXJ = 40 };
        int nj = 1 + (int)(rnd(&seed) % MAXJ), i, c;
        int len[MAXJ], who[MAXJ][12];
        unsigned conv[MAXJ], nulls[MAXJ];
        long long value[MAXJ];
        int perm[5] = { 0, 1, 2, 3, 4 };
        const char *eol_s = rnd(&seed) % 2 ? "\r\n" : "\n";
        const char *sep_s = rnd(&seed) % 2 ? " > " : ">";
        sbuf b = { NULL, 0, 0 };
        fnl_journeys *js = NULL;
        fnl_paths_error err = FNL_PATHS_ERROR_INIT;
        char *buf;
        for (c = 4; c > 0; c--) {
            int k = (int)(rnd(&seed) % (uint64_t)(c + 1)), t = perm[c];
            perm[c] = perm[k];
            perm[k] = t;
        }
        for (i = 0; i < nj; i++) {
            int k;
            len[i] = 1 + (int)(rnd(&seed) % 12);
            for (k = 0; k < len[i]; k++)
                who[i][k] = (int)(rnd(&seed) % (sizeof(pool) /
                                                sizeof(pool[0])));
            conv[i] = (unsigned)(rnd(&seed) % 4);
            nulls[i] = (unsigned)(rnd(&seed) % 4);
            value[i] = conv[i] ? (long long)(rnd(&seed) % 100000) : 0;
        }
        /* header: path, total_conversions, total_conversion_value,
         * total_null and an ignored column, in the order perm */
        for (c = 0; c < 5; c++) {
            static const char *const h[] = { "path", "total_conversions",
                                             "total_conversion_value",
                                             "total_null", "note" };
            if (c)
                sb_str(&b, ",");
            sb_str(&b, h[perm[c]]);
        }
        sb_str(&b, eol_s);
        for (i = 0; i < nj; i++) {
            for (c = 0; c < 5; c++) {
                char num[64];
                int k, quote = 0;
                if (c)
                    sb_str(&b, ",");
                switch (perm[c]) {
                case 0:
                    for (k = 0; k < len[i]; k++)
                        quote |= strchr(pool[who[i][k]], '"') != NULL;
                    /* a quote inside a name: quote the field at times,
                     * else leave it bare mid-field (also valid) */
                    quote = quote && rnd(&seed) % 2;
                    if (quote)
                        sb_str(&b, "\"");
                    if (rnd(&seed) % 4 == 0)
                        sb_str(&b, " \t");
                    for (k = 0; k < len[i]; k++) {
                        const char *nm = pool[who[i][k]];
                        if (k)
                            sb_str(&b, sep_s);
                        for (; *nm; nm++) {
                            if (*nm == '"' && quote)
                                sb_str(&b, "\"");
                            sb_put(&b, nm, 1);
                        }
                    }
                    if (quote)
                        sb_str(&b, "\"");
                    break;
                case 1:
                    snprintf(num, sizeof(num), "%u", conv[i]);
                    sb_str(&b, num);
                    break;
                case 2:
                    /* 12.34, 12.3 or 12 -- whichever is exact */
                    if (value[i] % 100 == 0)
                        snprintf(num, sizeof(num), "%lld", value[i] / 100);
                    else if (value[i] % 10 == 0)
                        snprintf(num, sizeof(num), "%lld.%lld",
                                 value[i] / 100, value[i] / 10 % 10);
                    else
                        snprintf(num, sizeof(num), "%lld.%02lld",
                                 value[i] / 100, value[i] % 100);
                    sb_str(&b, num);
                    break;
                case 3:
                    snprintf(num, sizeof(num), "%u", nulls[i]);
                    sb_str(&b, num);
                    break;
                default:
                    sb_str(&b, rnd(&seed) % 2 ? "a > b" : "");
                    break;
                }
            }
            if (i + 1 < nj || rnd(&seed) % 2)
                sb_str(&b, eol_s);
        }
        buf = exact_copy(b.p, b.n);
        CHECK_OK(fnl_paths_parse(&js, buf, b.n, NULL, &err));
        CHECK_INT(fnl_journeys_count(js), nj);
        for (i = 0; i < nj; i++) {
            fnli_journey j;
            int k;
            fnli_journeys_view(js, (size_t)i, &j);
            CHECK_INT(j.n, len[i]);
            for (k = 0; k < len[i]; k++)
                CHECK_STR(fnli_gtab_name(&js->groups, j.groups[k]),
                          pool[who[i][k]]);
            CHECK_INT(j.conversions, conv[i]);
            CHECK_INT(j.nulls, nulls[i]);
            CHECK_INT(j.value, value[i]);
        }
        fnl_journeys_free(js);
        free(buf);
        free(b.p);
    }
}

/* A multi-byte character, or a broken one, at every offset from the start
 * of the path field (so across the reader's 8-byte words) and at the very
 * end of the buffer. */
TEST(utf8_across_word_and_buffer_ends)
{
    static const char *const good[] = { "\xc3\xa9", "\xe6\x97\xa5",
                                        "\xf0\x9f\x98\x80" };
    /* a lone continuation byte, a truncated 3-byte sequence, an overlong
     * '/', a surrogate (U+D800), U+110000, and 0xFF */
    static const char *const bad[] = { "\x80", "\xe6\x97", "\xc0\xaf",
                                       "\xed\xa0\x80", "\xf4\x90\x80\x80",
                                       "\xff" };
    int off, g, last;
    for (last = 0; last < 2; last++) {
        for (off = 0; off < 20; off++) {
            for (g = 0; g < 3 + 6; g++) {
                const char *ch = g < 3 ? good[g] : bad[g - 3];
                char name[64], want[96];
                fnl_journeys *js = NULL;
                fnl_paths_error err = FNL_PATHS_ERROR_INIT;
                sbuf b = { NULL, 0, 0 };
                char *buf;
                int rc;
                memset(name, 'a', (size_t)off);
                name[off] = '\0';
                strcat(name, ch);
                /* last: the character is the buffer's final bytes, the
                 * path the row's last field; else "x" and more follow */
                if (!last)
                    strcat(name, "x");
                if (last)
                    sb_str(&b, "total_conversions,path\n2,");
                else
                    sb_str(&b, "path,total_conversions\n");
                sb_str(&b, "z > ");
                sb_str(&b, name);
                if (!last)
                    sb_str(&b, ",2\n");
                buf = exact_copy(b.p, b.n);
                rc = fnl_paths_parse(&js, buf, b.n, NULL, &err);
                if (g < 3) {
                    CHECK_OK(rc);
                    snprintf(want, sizeof(want), "z>%s|2|0|0", name);
                    CHECK_JOURNEY(js, 0, want);
                    fnl_journeys_free(js);
                } else {
                    /* the path's first byte: column 1, or 3 after "2," */
                    CHECK_INT(rc, FNL_ECORRUPT);
                    CHECK_INT(err.line, 2);
                    CHECK_INT(err.column, last ? 3 : 1);
                    CHECK_STR(err.message,
                              last ? "line 2, column 3: path is not valid "
                                     "UTF-8"
                                   : "line 2, column 1: path is not valid "
                                     "UTF-8");
                }
                free(buf);
                free(b.p);
            }
        }
    }
}

/* Line ends of every kind, and where errors land after them: counted by
 * hand from the text. */
TEST(line_ends_and_error_positions_on_the_fast_road)
{
    fnl_journeys *js;
    int ok;
    CHECK_OK(parse("path,total_conversions\r\na > b,1\r\n\r\nc,2\rd,3", &js,
                   NULL));
    CHECK_INT(fnl_journeys_count(js), 3);
    CHECK_JOURNEY(js, 0, "a>b|1|0|0");
    CHECK_JOURNEY(js, 1, "c|2|0|0");
    CHECK_JOURNEY(js, 2, "d|3|0|0");
    fnl_journeys_free(js);
    /* line 1 header, 2 "a,1", 3 empty, 4 "b > c,x": 'x' is byte 7 */
    expect_error("path,total_conversions\r\na,1\r\n\r\nb > c,x\r\n",
                 FNL_ECORRUPT, 4, 7, &ok);
    CHECK(ok);
    /* lone CR ends: line 3 is "b,-1", the number at column 3 */
    expect_error("path,total_conversions\ra,1\rb,-1", FNL_ECORRUPT, 3, 3,
                 &ok);
    CHECK(ok);
    /* a quoted row (general reader) with a line end inside, then fast
     * rows: "c,1.5" is line 5, its count at column 3 */
    expect_error("path,total_conversions\n\"a\nb\",1\nx,1\nc,1.5\n",
                 FNL_ECORRUPT, 5, 3, &ok);
    CHECK(ok);
    /* one field too many on line 3 */
    expect_error("path,total_conversions\na,1\nb,1,\n", FNL_ECORRUPT, 3, 1,
                 &ok);
    CHECK(ok);
    /* a value on a row without conversions: line 2, the value's column */
    expect_error("path,total_conversions,total_conversion_value\n"
                 "a > b,0,0.01\n",
                 FNL_ECORRUPT, 2, 9, &ok);
    CHECK(ok);
}

/* The number forms the fast reader takes itself, and its limits; the
 * other forms go to the general reader. */
TEST(number_edges_on_the_fast_road)
{
    fnl_journeys *js;
    int ok;
    CHECK_OK(parse("path,total_conversions,total_conversion_value,"
                   "total_null\n"
                   "a,2147483647,1407374883553.27,2147483647\n"
                   "b,0000000001,5.,\n"
                   "c,00000000001,0.005,0\n"
                   "d,1,1.004,0001\n",
                   &js, NULL));
    /* 2^31 - 1 conversions and nulls; value (2^47 - 1) / 100 exactly */
    CHECK_JOURNEY(js, 0, "a|2147483647|2147483647|140737488355327");
    CHECK_JOURNEY(js, 1, "b|1|0|500");
    /* 0.005 rounds half away from zero to 1 cent; 1.004 to 100 */
    CHECK_JOURNEY(js, 2, "c|1|0|1");
    CHECK_JOURNEY(js, 3, "d|1|1|100");
    fnl_journeys_free(js);
    expect_error("path,total_conversions\na,2147483648\n", FNL_ELIMIT, 2, 3,
                 &ok);
    CHECK(ok);
    expect_error("path,total_conversions,total_conversion_value\n"
                 "a,1,1407374883553.28\n",
                 FNL_ELIMIT, 2, 5, &ok);
    CHECK(ok);
    expect_error("path,total_conversions,total_null\na,1,2147483648\n",
                 FNL_ELIMIT, 2, 5, &ok);
    CHECK(ok);
    expect_error("path,total_conversions\na,\n", FNL_ECORRUPT, 2, 3, &ok);
    CHECK(ok);
    /* 2^64 + 1: twenty digits, which a 64-bit accumulator wraps to 1 */
    expect_error("path,total_conversions\na,18446744073709551617\n",
                 FNL_ELIMIT, 2, 3, &ok);
    CHECK(ok);
    expect_error("path,total_conversions,total_null\na,1,"
                 "18446744073709551617\n",
                 FNL_ELIMIT, 2, 5, &ok);
    CHECK(ok);
}

/* Paths around the fast reader's 512-name limit, a 100,000-name row, a
 * name of FNL_MAX_STRING bytes and one byte more, and a NUL in a name. */
TEST(very_long_rows)
{
    static const int counts[] = { 1, 511, 512, 513, 600, 100000 };
    size_t c;
    for (c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
        sbuf b = { NULL, 0, 0 };
        fnl_journeys *js = NULL;
        fnli_journey j;
        char nm[16];
        int k;
        sb_str(&b, "path,total_conversions\n");
        for (k = 0; k < counts[c]; k++) {
            snprintf(nm, sizeof(nm), "%sn%d", k ? " > " : "", k % 37);
            sb_str(&b, nm);
        }
        sb_str(&b, ",1\nlast,2\n");
        CHECK_OK(fnl_paths_parse(&js, b.p, b.n, NULL, NULL));
        CHECK_INT(fnl_journeys_count(js), 2);
        fnli_journeys_view(js, 0, &j);
        CHECK_INT(j.n, counts[c]);
        for (k = 0; k < counts[c]; k++) {
            snprintf(nm, sizeof(nm), "n%d", k % 37);
            CHECK_STR(fnli_gtab_name(&js->groups, j.groups[k]), nm);
        }
        CHECK_JOURNEY(js, 1, "last|2|0|0");
        fnl_journeys_free(js);
        free(b.p);
    }
    {
        /* FNL_MAX_STRING bytes is a name; one more is not */
        sbuf b = { NULL, 0, 0 };
        fnl_journeys *js = NULL;
        fnl_paths_error err = FNL_PATHS_ERROR_INIT;
        int k;
        sb_str(&b, "total_conversions,path\n1,a > ");
        for (k = 0; k < FNL_MAX_STRING; k++)
            sb_str(&b, "n");
        sb_str(&b, "\n");
        CHECK_OK(fnl_paths_parse(&js, b.p, b.n, NULL, &err));
        CHECK_INT(js->groups.len[1], FNL_MAX_STRING);
        fnl_journeys_free(js);
        b.n -= 1;
        sb_str(&b, "n\n");
        CHECK_INT(fnl_paths_parse(&js, b.p, b.n, NULL, &err), FNL_EINVAL);
        CHECK_STR(err.message, "line 2, column 3: bad channel name");
        free(b.p);
    }
    {
        /* a row of 100 fields under a header of 2 */
        sbuf b = { NULL, 0, 0 };
        fnl_paths_error err = FNL_PATHS_ERROR_INIT;
        fnl_journeys *js = NULL;
        int k;
        sb_str(&b, "path,total_conversions\na,1\nb");
        for (k = 1; k < 100; k++)
            sb_str(&b, ",1");
        CHECK_INT(fnl_paths_parse(&js, b.p, b.n, NULL, &err), FNL_ECORRUPT);
        CHECK_STR(err.message,
                  "line 3, column 1: expected 2 fields, found 100");
        free(b.p);
    }
    {
        static const char nul[] = "path,total_conversions\na > b\0c,1\n";
        fnl_paths_error err = FNL_PATHS_ERROR_INIT;
        fnl_journeys *js = NULL;
        CHECK_INT(fnl_paths_parse(&js, nul, sizeof(nul) - 1, NULL, &err),
                  FNL_EINVAL);
        CHECK_INT(err.line, 2);
        CHECK_INT(err.column, 1);
        CHECK(js == NULL);
    }
}

/* Allocation failures while unquoted rows stream into journeys and into
 * a partial: each run either succeeds with every row or fails with
 * FNL_ENOMEM, leaving nothing allocated and the partial as it was. */
TEST(fast_road_survives_allocation_failures)
{
    failalloc fa = { -1, 0, 0, 0, 0 };
    fnl_allocator a = fa_table(&fa);
    fnl_paths_options o = FNL_PATHS_OPTIONS_INIT;
    fnl_attribution_options ao = FNL_ATTRIBUTION_OPTIONS_INIT;
    char csv[16384];
    size_t len = 0;
    long n;
    int i, done = 0;
    len += (size_t)snprintf(csv, sizeof(csv),
                            "path,total_conversions,total_conversion_value,"
                            "total_null\n");
    for (i = 0; i < 200; i++)
        len += (size_t)snprintf(csv + len, sizeof(csv) - len,
                                "c%d > channel_%d > c%d,%d,%s,%d\n",
                                i % 7, i % 11, i % 13, i % 2,
                                i % 2 ? "1.25" : "0", 1 + i % 3);
    o.allocator = &a;
    for (n = 0; !done && n < 10000; n++) {
        fnl_journeys *js = NULL;
        int rc;
        fa_arm(&fa, n, 1);
        rc = fnl_paths_parse(&js, csv, len, &o, NULL);
        fa_disarm(&fa);
        if (rc == FNL_OK) {
            CHECK_INT(fnl_journeys_count(js), 200);
            CHECK_INT(fnl_journeys_group_count(js), 7 + 11 + 13 - 7);
            fnl_journeys_free(js);
            done = 1;
        } else {
            CHECK_INT(rc, FNL_ENOMEM);
            CHECK(js == NULL);
        }
        CHECK_INT(fa.outstanding, 0);
    }
    CHECK(done);
    /* into a partial that already holds one row */
    ao.allocator = &a;
    ao.models = FNL_ATTR_BIT(FNL_ATTR_LINEAR) | FNL_ATTR_BIT(FNL_ATTR_MARKOV);
    for (done = 0, n = 0; !done && n < 10000; n++) {
        fnl_attribution_partial *p = NULL;
        fnl_attribution *r = NULL;
        fnl_attribution_info info = FNL_ATTRIBUTION_INFO_INIT;
        int rc;
        CHECK_OK(fnl_attribution_partial_new(&p, &ao));
        CHECK_OK(fnl_paths_parse_partial(
            p, "path,total_conversions\nz,1\n", 27, NULL, NULL));
        fa_arm(&fa, n, 1);
        rc = fnl_paths_parse_partial(p, csv, len, NULL, NULL);
        fa_disarm(&fa);
        CHECK_OK(fnl_attribution_partial_finish(p, FNL_ATTR_LINEAR, &r));
        CHECK_OK(fnl_attribution_get_info(r, &info));
        if (rc == FNL_OK) {
            /* z's 1 + the 100 odd rows' 1 */
            CHECK_NEAR(info.total_conversions, 101, 0);
            done = 1;
        } else {
            CHECK_INT(rc, FNL_ENOMEM);
            CHECK_NEAR(info.total_conversions, 1, 0);
        }
        fnl_attribution_free(r);
        fnl_attribution_partial_free(p);
        CHECK_INT(fa.outstanding, 0);
    }
    CHECK(done);
}

/* The word-at-a-time masks against a byte loop, over random words and
 * words made of the bytes that matter. */
TEST(word_masks_match_a_byte_loop)
{
    static const unsigned char special[] = { ',', '\n', '\r', '>', '|',
                                             0xbb, 0x80, 0xff, 0x00, 0x01,
                                             ' ', 'a', 0x7f, 0x2b, 0x2d };
    static const unsigned char seps[] = { '>', '|', 0xbb, 0xff, 0x01 };
    uint64_t seed = 99;
    int round;
    for (round = 0; round < 200000; round++) {
        unsigned char bytes[8];
        unsigned char sep = seps[round % 5];
        uint64_t w, fe, ne, z, want_fe = 0, want_ne = 0, want_z = 0;
        int i;
        for (i = 0; i < 8; i++)
            bytes[i] = round % 2 ? (unsigned char)rnd(&seed)
                                 : special[rnd(&seed) % sizeof(special)];
        w = fnli_paths_load((const char *)bytes);
        for (i = 0; i < 8; i++) {
            uint64_t bit = UINT64_C(0x80) << (8 * i);
            int end = bytes[i] == ',' || bytes[i] == '\n' ||
                      bytes[i] == '\r';
            want_fe |= end ? bit : 0;
            want_ne |= end || bytes[i] == sep ? bit : 0;
            want_z |= bytes[i] == 0 ? bit : 0;
        }
        fe = fnli_paths_field_ends(w);
        ne = fnli_paths_name_ends(w, FNLI_ONES * sep);
        z = fnli_paths_zero_bytes(w);
        CHECK(fe == want_fe && ne == want_ne && z == want_z);
        if (ne) {
            unsigned k = fnli_paths_first(ne);
            CHECK(k < 8 && (bytes[k] == sep || bytes[k] == ',' ||
                            bytes[k] == '\n' || bytes[k] == '\r'));
            for (i = 0; i < (int)k; i++)
                CHECK(bytes[i] != sep && bytes[i] != ',' &&
                      bytes[i] != '\n' && bytes[i] != '\r');
            /* the marks before the first field end */
            if (fe) {
                uint64_t cut = fnli_paths_before(ne, fe), want = 0;
                unsigned e = fnli_paths_first(fe);
                for (i = 0; i < (int)e; i++)
                    want |= bytes[i] == sep ? UINT64_C(0x80) << (8 * i) : 0;
                CHECK(cut == want);
            }
        }
    }
}

/* A file that cannot be mapped (a pipe) is read into a growing buffer:
 * 200,000 bytes cross the 64 KiB first read and each doubling, with a
 * 3-byte character placed across the 65,536 and 131,072 byte marks.
 * Every row comes back, the same as from memory. */
TEST(reading_from_a_pipe)
{
    sbuf b = { NULL, 0, 0 };
    fnl_journeys *js = NULL, *mem = NULL;
    fnl_paths_error err = FNL_PATHS_ERROR_INIT;
    char name[64], row[64];
    int fds[2], status = 0, rows = 0;
    size_t want_rows;
    pid_t pid;
    sb_str(&b, "path,total_conversions\n");
    while (b.n < 200000) {
        size_t mark = b.n < 65536 - 6 ? 65536 : 131072;
        if (b.n + 60 > mark && b.n < mark - 6) {
            /* a filler row up to mark - 6, then "ab > " puts the
             * character's first byte at mark - 1 */
            size_t len = mark - 6 - b.n;
            while (len-- > 3)
                sb_str(&b, "p");
            sb_str(&b, ",1\nab > \xe6\x97\xa5x,1\n");
        } else {
            snprintf(row, sizeof(row), "c%d > d%d,%d\n", rows % 5, rows % 3,
                     rows % 2);
            sb_str(&b, row);
        }
        rows++;
    }
    CHECK(b.p[65535] == '\xe6' && b.p[131071] == '\xe6');
    CHECK_OK(fnl_paths_parse(&mem, b.p, b.n, NULL, &err));
    want_rows = fnl_journeys_count(mem);
    CHECK(pipe(fds) == 0);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        size_t off = 0;
        close(fds[0]);
        while (off < b.n) {
            ssize_t w = write(fds[1], b.p + off, b.n - off);
            if (w <= 0)
                _exit(1);
            off += (size_t)w;
        }
        _exit(0);
    }
    close(fds[1]);
    snprintf(name, sizeof(name), "/proc/self/fd/%d", fds[0]);
    CHECK_OK(fnl_paths_read(&js, name, NULL, &err));
    close(fds[0]);
    CHECK(waitpid(pid, &status, 0) == pid && status == 0);
    CHECK_INT(fnl_journeys_count(js), want_rows);
    CHECK_INT(fnl_journeys_group_count(js), fnl_journeys_group_count(mem));
    {
        size_t i, k;
        int seen = 0;
        for (i = 0; i < want_rows; i++) {
            fnli_journey x, y;
            fnli_journeys_view(js, i, &x);
            fnli_journeys_view(mem, i, &y);
            CHECK_INT(x.n, y.n);
            CHECK_INT(x.conversions, y.conversions);
            for (k = 0; k < x.n; k++)
                CHECK_STR(fnli_gtab_name(&js->groups, x.groups[k]),
                          fnli_gtab_name(&mem->groups, y.groups[k]));
            seen += x.n == 2 && strcmp(fnli_gtab_name(&js->groups,
                                                      x.groups[1]),
                                       "\xe6\x97\xa5x") == 0;
        }
        CHECK_INT(seen, 2);
    }
    fnl_journeys_free(js);
    fnl_journeys_free(mem);
    free(b.p);
}

int main(void)
{
    RUN(plain_file_with_all_columns);
    RUN(bom_crlf_quotes_case_and_column_order);
    RUN(channel_names_are_trimmed_and_empty_ones_skipped);
    RUN(number_forms_and_rounding);
    RUN(errors_name_line_and_column);
    RUN(bad_arguments);
    RUN(a_custom_separator);
    RUN(reading_a_file);
    RUN(end_to_end_small_example);
    RUN(parse_survives_allocation_failures);
    RUN(streaming_into_a_partial_equals_parse_then_add);
    RUN(read_partial_from_a_file);
    RUN(fast_and_general_readers_agree_on_random_files);
    RUN(written_journeys_come_back_from_any_layout);
    RUN(utf8_across_word_and_buffer_ends);
    RUN(line_ends_and_error_positions_on_the_fast_road);
    RUN(number_edges_on_the_fast_road);
    RUN(very_long_rows);
    RUN(fast_road_survives_allocation_failures);
    RUN(word_masks_match_a_byte_loop);
    RUN(reading_from_a_pipe);
    TEST_MAIN_END();
}
