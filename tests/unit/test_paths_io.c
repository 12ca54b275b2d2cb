/* test_paths_io.c -- the paths CSV reader's edges with the world: option
 * checks and their messages, file errors that name the file and the
 * system's reason, and the room reserved for a whole file's journeys
 * before its rows are read. */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "test.h"
#include "failalloc.h"
#include "attribution.h"

/* A file holding `text` in a fresh directory; *dir gets the directory. */
static int write_file(char *dir, char *name, size_t cap, const char *text)
{
    FILE *f;
    strcpy(dir, "/tmp/fnl_paths_io_XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(name, cap, "%s/paths.csv", dir);
    f = fopen(name, "wb");
    if (f == NULL)
        return -1;
    fputs(text, f);
    return fclose(f);
}

/* The text of errno value e, as the C library gives it. */
static const char *reason(int e, char *buf, size_t cap)
{
    if (strerror_r(e, buf, cap) != 0)
        snprintf(buf, cap, "error %d", e);
    return buf;
}

/* The conversions the linear model credits over a journeys set (all of
 * them). */
static double credited_conversions(fnl_journeys *js)
{
    fnl_attribution *r = NULL;
    fnl_attribution_info info = FNL_ATTRIBUTION_INFO_INIT;
    double n = -1;
    if (fnl_attribution_run(&r, js, FNL_ATTR_LINEAR, NULL) == FNL_OK &&
        fnl_attribution_get_info(r, &info) == FNL_OK)
        n = info.total_conversions;
    fnl_attribution_free(r);
    return n;
}

/* ---- options ------------------------------------------------------------ */

/* Every byte >= 0x80 is refused as a separator by all four readers, with
 * a message, before anything is read or changed.  0xa9 would otherwise
 * split "\xc3\xa9" (e with an acute accent) in two. */
TEST(separators_of_a_utf8_sequence_are_refused)
{
    static const char csv[] = "path,total_conversions\ncaf\xc3\xa9 > b,1\n";
    char dir[64], name[128];
    fnl_attribution_partial *p = NULL;
    fnl_attribution *r = NULL;
    fnl_attribution_info info = FNL_ATTRIBUTION_INFO_INIT;
    int b;
    CHECK_OK(write_file(dir, name, sizeof(name), csv));
    CHECK_OK(fnl_attribution_partial_new(&p, NULL));
    for (b = 0x80; b <= 0xff; b++) {
        fnl_paths_options o = FNL_PATHS_OPTIONS_INIT;
        fnl_journeys *js = (fnl_journeys *)&o; /* must stay untouched */
        fnl_paths_error e1 = FNL_PATHS_ERROR_INIT, e2 = FNL_PATHS_ERROR_INIT;
        fnl_paths_error e3 = FNL_PATHS_ERROR_INIT, e4 = FNL_PATHS_ERROR_INIT;
        o.separator = (char)b;
        CHECK_INT(fnl_paths_parse(&js, csv, sizeof(csv) - 1, &o, &e1),
                  FNL_EINVAL);
        CHECK_INT(fnl_paths_read(&js, name, &o, &e2), FNL_EINVAL);
        CHECK_INT(fnl_paths_parse_partial(p, csv, sizeof(csv) - 1, &o, &e3),
                  FNL_EINVAL);
        CHECK_INT(fnl_paths_read_partial(p, name, &o, &e4), FNL_EINVAL);
        CHECK(js == (fnl_journeys *)&o);
        CHECK_STR(e1.message,
                  "options: separator must be an ASCII character (a byte "
                  ">= 0x80 would split UTF-8 characters)");
        CHECK_STR(e2.message, e1.message);
        CHECK_STR(e3.message, e1.message);
        CHECK_STR(e4.message, e1.message);
        CHECK_INT(e1.line, 0);
        CHECK_INT(e1.column, 0);
        /* without an error struct: the same code */
        CHECK_INT(fnl_paths_parse(&js, csv, sizeof(csv) - 1, &o, NULL),
                  FNL_EINVAL);
    }
    /* the partial took nothing in */
    CHECK_OK(fnl_attribution_partial_finish(p, FNL_ATTR_LINEAR, &r));
    CHECK_OK(fnl_attribution_get_info(r, &info));
    CHECK_INT(info.journeys, 0);
    fnl_attribution_free(r);
    fnl_attribution_partial_free(p);
    unlink(name);
    rmdir(dir);
}

/* Every other byte: the seven that are the CSV's own (or blank, which
 * names are trimmed of) are refused with their message; the other 120
 * ASCII bytes split the path "x<sep>y" into x and y.  (A separator that is
 * x or y itself makes the names "z" and "w".) */
TEST(every_ascii_separator_but_the_csv_bytes_is_accepted)
{
    static const char bad[] = { '\0', '"', ',', '\n', '\r', ' ', '\t' };
    int b, accepted = 0;
    for (b = 0; b < 0x80; b++) {
        fnl_paths_options o = FNL_PATHS_OPTIONS_INIT;
        fnl_paths_error e = FNL_PATHS_ERROR_INIT;
        fnl_journeys *js = NULL;
        char csv[64], x = 'x', y = 'y';
        fnli_journey j;
        int rc;
        o.separator = (char)b;
        if (b == 'x' || b == 'y') {
            x = 'z';
            y = 'w';
        }
        snprintf(csv, sizeof(csv), "path,total_conversions\n%c%c%c,1\n", x,
                 b ? b : '>', y);
        rc = fnl_paths_parse(&js, csv, strlen(csv), &o, &e);
        if (memchr(bad, b, sizeof(bad)) != NULL) {
            CHECK_INT(rc, FNL_EINVAL);
            CHECK(js == NULL);
            CHECK_STR(e.message, "options: separator must not be NUL, '\"', "
                                 "',', a space, a tab or a line end");
            continue;
        }
        CHECK_OK(rc);
        CHECK_INT(fnl_journeys_count(js), 1);
        CHECK_INT(fnl_journeys_group_count(js), 2);
        fnli_journeys_view(js, 0, &j);
        CHECK_INT(j.n, 2);
        CHECK(fnli_gtab_name(&js->groups, j.groups[0])[0] == x);
        CHECK(fnli_gtab_name(&js->groups, j.groups[1])[0] == y);
        fnl_journeys_free(js);
        accepted++;
    }
    CHECK_INT(accepted, 128 - 7);
}

TEST(other_bad_options_say_which)
{
    fnl_paths_options o = FNL_PATHS_OPTIONS_INIT;
    fnl_paths_error e = FNL_PATHS_ERROR_INIT;
    fnl_attribution_options ao = FNL_ATTRIBUTION_OPTIONS_INIT;
    fnl_attribution_partial *p = NULL;
    fnl_journeys *js = NULL;
    o.value_decimals = 10;
    CHECK_INT(fnl_paths_parse(&js, "path", 4, &o, &e), FNL_EINVAL);
    CHECK_STR(e.message, "options: value_decimals must be 0..9");
    o.value_decimals = 2;
    o.size = 2;
    CHECK_INT(fnl_paths_parse(&js, "path", 4, &o, &e), FNL_EINVAL);
    CHECK_STR(e.message, "options: size is too small");
    CHECK(js == NULL);
    /* a partial that wants time decay cannot take paths, which have no
     * times */
    ao.models |= FNL_ATTR_BIT(FNL_ATTR_TIME_DECAY);
    CHECK_OK(fnl_attribution_partial_new(&p, &ao));
    CHECK_INT(fnl_paths_parse_partial(p, "path,total_conversions\na,1\n", 27,
                                      NULL, &e),
              FNL_EINVAL);
    CHECK_STR(e.message, "paths carry no times: the partial must not "
                         "accumulate time decay");
    fnl_attribution_partial_free(p);
}

/* ---- file errors -------------------------------------------------------- */

/* A file that does not exist, and a directory given as the file: FNL_EIO
 * from both file readers, with the file's name and the system's reason
 * (ENOENT from open(); EISDIR from read(), since a directory opens), no
 * line, and nothing changed. */
TEST(file_errors_name_the_file_and_the_reason)
{
    char dir[64], missing[128], want[256], why[96];
    fnl_attribution_partial *p = NULL;
    fnl_attribution *r = NULL;
    fnl_attribution_info info = FNL_ATTRIBUTION_INFO_INIT;
    fnl_journeys *js = (fnl_journeys *)&info; /* must stay untouched */
    fnl_paths_error e = FNL_PATHS_ERROR_INIT;
    strcpy(dir, "/tmp/fnl_paths_io_XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    snprintf(missing, sizeof(missing), "%s/missing.csv", dir);
    CHECK_OK(fnl_attribution_partial_new(&p, NULL));

    snprintf(want, sizeof(want), "cannot open \"%s\": %s", missing,
             reason(ENOENT, why, sizeof(why)));
    CHECK_INT(fnl_paths_read(&js, missing, NULL, &e), FNL_EIO);
    CHECK_STR(e.message, want);
    CHECK_INT(e.line, 0);
    CHECK_INT(e.column, 0);
    memset(e.message, 0, sizeof(e.message));
    CHECK_INT(fnl_paths_read_partial(p, missing, NULL, &e), FNL_EIO);
    CHECK_STR(e.message, want);

    snprintf(want, sizeof(want), "cannot read \"%s\": %s", dir,
             reason(EISDIR, why, sizeof(why)));
    CHECK_INT(fnl_paths_read(&js, dir, NULL, &e), FNL_EIO);
    CHECK_STR(e.message, want);
    CHECK_INT(e.line, 0);
    memset(e.message, 0, sizeof(e.message));
    CHECK_INT(fnl_paths_read_partial(p, dir, NULL, &e), FNL_EIO);
    CHECK_STR(e.message, want);

    /* no error struct: the same code */
    CHECK_INT(fnl_paths_read(&js, dir, NULL, NULL), FNL_EIO);
    CHECK_INT(fnl_paths_read(&js, missing, NULL, NULL), FNL_EIO);
    CHECK(js == (fnl_journeys *)&info);
    CHECK_OK(fnl_attribution_partial_finish(p, FNL_ATTR_LINEAR, &r));
    CHECK_OK(fnl_attribution_get_info(r, &info));
    CHECK_INT(info.journeys, 0);
    fnl_attribution_free(r);
    fnl_attribution_partial_free(p);
    rmdir(dir);
}

/* A file that exists but may not be read (EACCES).  root reads anything:
 * then the file is read and this proves nothing. */
TEST(an_unreadable_file_says_permission_denied)
{
    char dir[64], name[128], want[256], why[96];
    fnl_paths_error e = FNL_PATHS_ERROR_INIT;
    fnl_journeys *js = NULL;
    CHECK_OK(write_file(dir, name, sizeof(name),
                        "path,total_conversions\na,1\n"));
    CHECK_OK(chmod(name, 0));
    if (geteuid() != 0) {
        snprintf(want, sizeof(want), "cannot open \"%s\": %s", name,
                 reason(EACCES, why, sizeof(why)));
        CHECK_INT(fnl_paths_read(&js, name, NULL, &e), FNL_EIO);
        CHECK_STR(e.message, want);
        CHECK(js == NULL);
    }
    unlink(name);
    rmdir(dir);
}

/* A name too long for the message: its tail is kept after "...", the
 * reason always fits, and the cut never lands inside a UTF-8 character.
 * The message holds 159 bytes: "cannot open \"..." (16), the tail, "\": "
 * (3) and the reason (R), so 140 - R bytes of the name are kept.  The
 * name ends with the 3-byte character U+65E5 and then 139 - R bytes:
 * the 140 - R bytes kept would start on its last byte, which is skipped,
 * leaving exactly those 139 - R bytes. */
TEST(a_long_file_name_keeps_its_tail_and_the_reason)
{
    char dir[64], name[512], tail[160], want[512], why[96];
    fnl_paths_error e = FNL_PATHS_ERROR_INIT;
    fnl_journeys *js = NULL;
    size_t rlen, i;
    strcpy(dir, "/tmp/fnl_paths_io_XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    rlen = strlen(reason(ENOENT, why, sizeof(why)));
    CHECK(rlen < 100);
    for (i = 0; i < 139 - rlen; i++)
        tail[i] = (char)('a' + i % 26);
    tail[i] = '\0';
    snprintf(name, sizeof(name), "%s/%s\xe6\x97\xa5%s", dir,
             "a_directory_name_that_makes_the_whole_path_long", tail);
    snprintf(want, sizeof(want), "cannot open \"...%s\": %s", tail, why);
    CHECK_INT(fnl_paths_read(&js, name, NULL, &e), FNL_EIO);
    CHECK_STR(e.message, want);
    CHECK_INT(strlen(e.message), 158);
    CHECK(fnli_attr_utf8_ok(e.message, strlen(e.message)));
    rmdir(dir);
}

/* ---- room for a whole file ---------------------------------------------- */

/* The capacities are upper bounds worked out by hand from the n bytes
 * after the header: rows <= LF bytes (+ 1 when the file does not end
 * with a line end), capped at (n + 1) / 4; touches <= separators + rows,
 * capped at (n + 1) / 2.  No byte after the header, or no LF (lone CR
 * line ends), reserves nothing: the arrays then grow from 16 rows and
 * 256 touches as any container's do. */
#define TEN "\n\n\n\n\n\n\n\n\n\n"
#define TEN_GT ">>>>>>>>>>"
TEST(room_for_the_rows_is_reserved_from_the_bytes)
{
    static const struct {
        const char *csv;
        size_t rows, cap, touches, tcap;
    } cases[] = {
        /* 2 LF, 1 separator: exact */
        { "path,total_conversions\na > b,1\nc,0\n", 2, 2, 3, 3 },
        /* no final line end: 1 LF + 1; 3 separators + 2 rows: exact */
        { "path,total_conversions\na>b>c,1\nd>e,2", 2, 2, 5, 5 },
        /* CRLF and a blank line: 3 LF; 2 separators + 3 */
        { "path,total_conversions\r\na>b,1\r\n\r\nc>d,1\r\n", 2, 3, 4, 5 },
        /* 8 separators in another column, 1 row: 9 touches, but 13 bytes
         * hold at most 14 / 2 = 7 */
        { "path,total_conversions,note\na,1,>>>>>>>>\n", 1, 1, 1, 7 },
        /* lone CR: no LF, no reservation */
        { "path,total_conversions\ra>b,1\rc,1\r", 2, 16, 3, 256 },
        /* 40 blank lines: 41 LF, but 44 bytes hold at most 45 / 4 = 11
         * rows; no separator: 11 touches */
        { "path,total_conversions\n" TEN TEN TEN TEN "a,1\n", 1, 11, 1, 11 },
        /* 32 separators in a quoted note: 33 touches, but 39 bytes hold
         * at most 40 / 2 = 20 */
        { "path,total_conversions,n\nx,1,\"" TEN_GT TEN_GT TEN_GT ">>\"\n",
          1, 1, 1, 20 },
        /* the header alone */
        { "path,total_conversions\n", 0, 0, 0, 0 },
    };
    size_t i;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fnl_journeys *js = NULL;
        fnl_paths_error e = FNL_PATHS_ERROR_INIT;
        const char *csv = cases[i].csv;
        if (fnl_paths_parse(&js, csv, strlen(csv), NULL, &e) != FNL_OK) {
            fprintf(stderr, "case %zu: %s\n", i, e.message);
            CHECK(0);
        }
        if (js->n != cases[i].rows || js->cap != cases[i].cap ||
            js->nt != cases[i].touches || js->tcap != cases[i].tcap) {
            fprintf(stderr, "case %zu: rows %zu cap %zu touches %zu tcap "
                    "%zu\n", i, js->n, js->cap, js->nt, js->tcap);
            CHECK(0);
        }
        fnl_journeys_free(js);
    }
}

/* A growing buffer of text. */
typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

static void sb_str(sbuf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        if (b->p == NULL)
            abort();
    }
    memcpy(b->p + b->n, s, n + 1);
    b->n += n;
}

/* `rows` rows over 5 channels: row r is r % 4 + 1 touches long, so the
 * file holds sum (r % 4 + 1) touches, counted here as it is written. */
static void make_file(sbuf *b, size_t rows, size_t *touches)
{
    size_t r, k;
    *touches = 0;
    sb_str(b, "path,total_conversions,total_null\n");
    for (r = 0; r < rows; r++) {
        char row[64];
        int o = 0;
        for (k = 0; k <= r % 4; k++)
            o += snprintf(row + o, sizeof(row) - (size_t)o, "%sch%zu",
                          k ? " > " : "", (r + k) % 5);
        snprintf(row + o, sizeof(row) - (size_t)o, ",%zu,%zu\n", r % 2,
                 1 - r % 2);
        sb_str(b, row);
        *touches += r % 4 + 1;
    }
}

/* However many rows a file has, its journeys are allocated the same
 * number of times: once at their full size, never grown.  The counts of
 * allocation calls of a 1,000-row and a 100,000-row file are equal, the
 * capacities are exactly the rows and the touches written, and every
 * journey is there. */
TEST(a_big_file_is_read_without_growing_the_journeys)
{
    failalloc fa = { -1, 0, 0, 0, 0 };
    fnl_allocator a = fa_table(&fa);
    fnl_paths_options o = FNL_PATHS_OPTIONS_INIT;
    static const size_t sizes[2] = { 1000, 100000 };
    long calls[2];
    int s;
    o.allocator = &a;
    for (s = 0; s < 2; s++) {
        sbuf b = { NULL, 0, 0 };
        fnl_journeys *js = NULL;
        size_t touches;
        make_file(&b, sizes[s], &touches);
        fa.calls = 0;
        CHECK_OK(fnl_paths_parse(&js, b.p, b.n, &o, NULL));
        calls[s] = fa.calls;
        CHECK_INT(js->n, sizes[s]);
        CHECK_INT(js->nt, touches);
        CHECK_INT(js->cap, sizes[s]);
        /* separators (touches - rows) + rows */
        CHECK_INT(js->tcap, touches);
        /* one conversion on every odd row */
        CHECK_NEAR(credited_conversions(js), (double)(sizes[s] / 2), 0);
        fnl_journeys_free(js);
        free(b.p);
    }
    CHECK_INT(fa.outstanding, 0);
    CHECK_INT(calls[0], calls[1]);
}

/* When the bytes promise fewer rows than there are -- 10 rows end in LF,
 * the 990 after them in a lone CR -- the reservation is for 10 rows and
 * 500 + 10 touches (one separator in each odd row), and the journeys
 * grow past it by doubling: 10 -> 1280 rows, 510 -> 2040 touches.
 * Every row is read. */
TEST(a_short_estimate_grows_as_before)
{
    sbuf b = { NULL, 0, 0 };
    fnl_journeys *js = NULL;
    size_t r;
    sb_str(&b, "path,total_conversions\n");
    for (r = 0; r < 1000; r++) {
        sb_str(&b, r % 2 ? "a > b,1" : "c,0");
        sb_str(&b, r < 10 ? "\n" : "\r");
    }
    CHECK_OK(fnl_paths_parse(&js, b.p, b.n, NULL, NULL));
    CHECK_INT(js->n, 1000);
    CHECK_INT(js->nt, 1500);
    CHECK_INT(js->cap, 1280);
    CHECK_INT(js->tcap, 2040);
    CHECK_NEAR(credited_conversions(js), 500, 0);
    fnl_journeys_free(js);
    free(b.p);
}

/* ---- allocation failures ----------------------------------------------- */

static int ends_with(const char *s, const char *end)
{
    size_t n = strlen(s), k = strlen(end);
    return n >= k && strcmp(s + n - k, end) == 0;
}

/* Fail each allocation of fnl_paths_read in turn, from a regular file
 * (mapped) and from a FIFO (read into a growing buffer): each run
 * succeeds with every row or fails with FNL_ENOMEM and a message ending
 * in "out of memory" (rows add their position), nothing allocated and
 * *out untouched. */
static void read_under_failures(const char *name, const char *text,
                                int fifo, size_t rows, int *ok)
{
    failalloc fa = { -1, 0, 0, 0, 0 };
    fnl_allocator a = fa_table(&fa);
    fnl_paths_options o = FNL_PATHS_OPTIONS_INIT;
    long n;
    int done = 0;
    *ok = 0;
    o.allocator = &a;
    for (n = 0; !done && n < 1000; n++) {
        fnl_journeys *js = NULL;
        fnl_paths_error e = FNL_PATHS_ERROR_INIT;
        pid_t pid = -1;
        int rc, status = 0;
        if (fifo) {
            pid = fork();
            if (pid < 0)
                return;
            if (pid == 0) {
                FILE *f = fopen(name, "wb");
                if (f == NULL)
                    _exit(1);
                fputs(text, f);
                fclose(f);
                _exit(0);
            }
        }
        fa_arm(&fa, n, 0);
        rc = fnl_paths_read(&js, name, &o, &e);
        fa_disarm(&fa);
        if (fifo && waitpid(pid, &status, 0) != pid)
            return;
        if (rc == FNL_OK) {
            if (fnl_journeys_count(js) != rows)
                return;
            fnl_journeys_free(js);
            done = 1;
        } else if (rc != FNL_ENOMEM || js != NULL ||
                   !ends_with(e.message, "out of memory")) {
            fprintf(stderr, "n %ld: rc %d: %s\n", n, rc, e.message);
            return;
        }
        if (fa.outstanding != 0)
            return;
    }
    *ok = done && n > 5;
}

TEST(reading_a_file_survives_allocation_failures)
{
    char dir[64], name[128], fifo[160];
    sbuf b = { NULL, 0, 0 };
    size_t touches, extra;
    int ok;
    make_file(&b, 300, &touches);
    CHECK_OK(write_file(dir, name, sizeof(name), b.p));
    read_under_failures(name, b.p, 0, 300, &ok);
    CHECK(ok);
    snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
    CHECK_OK(mkfifo(fifo, 0600));
    /* a pipe's bytes grow a buffer from 64 KiB: make it grow once */
    for (extra = 0; b.n < 100000; extra++)
        sb_str(&b, "z > y,1,0\n");
    read_under_failures(fifo, b.p, 1, 300 + extra, &ok);
    CHECK(ok);
    unlink(fifo);
    unlink(name);
    rmdir(dir);
    free(b.p);
}

int main(void)
{
    RUN(separators_of_a_utf8_sequence_are_refused);
    RUN(every_ascii_separator_but_the_csv_bytes_is_accepted);
    RUN(other_bad_options_say_which);
    RUN(file_errors_name_the_file_and_the_reason);
    RUN(an_unreadable_file_says_permission_denied);
    RUN(a_long_file_name_keeps_its_tail_and_the_reason);
    RUN(room_for_the_rows_is_reserved_from_the_bytes);
    RUN(a_big_file_is_read_without_growing_the_journeys);
    RUN(a_short_estimate_grows_as_before);
    RUN(reading_a_file_survives_allocation_failures);
    TEST_MAIN_END();
}
