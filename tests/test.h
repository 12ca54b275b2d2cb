/* test.h -- a minimal test harness: no framework, exit status and TAP-ish
 * lines.  Each test program has test functions registered with RUN(); a
 * failed CHECK ends the current test function and marks the program failed. */
#ifndef FNL_TEST_H
#define FNL_TEST_H

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_failed_total;
static int test_passed_total;
static int test_cur_failed;

#define TEST(name) static void name(void)

#define CHECK(cond)                                                         \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__,          \
                    __LINE__, #cond);                                       \
            test_cur_failed = 1;                                            \
            return;                                                         \
        }                                                                   \
    } while (0)

#define CHECK_INT(a, b)                                                     \
    do {                                                                    \
        long long va_ = (long long)(a), vb_ = (long long)(b);               \
        if (va_ != vb_) {                                                   \
            fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n",     \
                    __FILE__, __LINE__, #a, va_, #b, vb_);                  \
            test_cur_failed = 1;                                            \
            return;                                                         \
        }                                                                   \
    } while (0)

#define CHECK_OK(expr) CHECK_INT((expr), 0)

#define CHECK_STR(a, b)                                                     \
    do {                                                                    \
        const char *sa_ = (a), *sb_ = (b);                                  \
        if (sa_ == NULL || sb_ == NULL || strcmp(sa_, sb_) != 0) {          \
            fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n",       \
                    __FILE__, __LINE__, #a, sa_ ? sa_ : "(null)",           \
                    sb_ ? sb_ : "(null)");                                  \
            test_cur_failed = 1;                                            \
            return;                                                         \
        }                                                                   \
    } while (0)

#define CHECK_NEAR(a, b, eps)                                               \
    do {                                                                    \
        double da_ = (double)(a), db_ = (double)(b);                        \
        if (!(fabs(da_ - db_) <= (eps))) {                                  \
            fprintf(stderr, "%s:%d: %s == %.12g, expected %.12g\n",         \
                    __FILE__, __LINE__, #a, da_, db_);                      \
            test_cur_failed = 1;                                            \
            return;                                                         \
        }                                                                   \
    } while (0)

#define RUN(fn)                                                             \
    do {                                                                    \
        test_cur_failed = 0;                                                \
        fn();                                                               \
        if (test_cur_failed) {                                              \
            test_failed_total++;                                            \
            printf("not ok - %s\n", #fn);                                   \
        } else {                                                            \
            test_passed_total++;                                            \
            printf("ok - %s\n", #fn);                                       \
        }                                                                   \
    } while (0)

#define TEST_MAIN_END()                                                     \
    do {                                                                    \
        printf("%d passed, %d failed\n", test_passed_total,                 \
               test_failed_total);                                          \
        return test_failed_total ? 1 : 0;                                   \
    } while (0)

#endif
