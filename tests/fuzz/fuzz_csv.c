/* fuzz_csv.c -- the command-line tool's streaming CSV reader (RFC 4180).
 *
 * The input is written to a file and read record by record to the end.
 * Properties: no crash, hang, leak or sanitizer report; every record's
 * fields are NUL-terminated with the lengths given; a malformed record is
 * reported with a line and column and reading goes on; the reader ends. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/fnl-fuzz-csv-XXXXXX";
    int fd = mkstemp(path);
    cli_csv c;
    uint64_t records = 0;
    int rc;
    if (fd < 0)
        return 0;
    if (size > 0 && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        unlink(path);
        return 0;
    }
    close(fd);
    FUZZ_ASSERT(cli_csv_open(&c, path) == 0);
    while ((rc = cli_csv_next(&c)) != 0) {
        size_t k;
        FUZZ_ASSERT(rc == 1 || rc == -1);
        if (rc == -1) {
            FUZZ_ASSERT(c.err[0] != '\0' && c.err_line >= 1);
            continue;
        }
        for (k = 0; k < c.nfields; k++) {
            uint64_t line, col;
            FUZZ_ASSERT(c.fields[k][c.lens[k]] == '\0');
            cli_csv_field_pos(&c, k, &line, &col);
            FUZZ_ASSERT(line >= 1 && col >= 1);
        }
        /* each record consumes input: the reader cannot loop forever */
        FUZZ_ASSERT(++records <= size + 1);
    }
    cli_csv_close(&c);
    unlink(path);
    return 0;
}
