/* test_paths.c -- the ChannelAttribution-compatible paths CSV reader:
 * RFC 4180 quoting, BOM, CRLF, header names in any case and order, number
 * forms, errors with line and column, files, allocation failures; and an
 * end-to-end example checked by hand. */
#include <stdio.h>
#include <unistd.h>
#include "test.h"
#include "failalloc.h"
#include "attribution.h"

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
    TEST_MAIN_END();
}
