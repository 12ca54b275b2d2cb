/*
 * csv.c -- a streaming RFC 4180 reader.
 *
 * The file is read through one growing window.  A record is located first
 * (a scan that knows about quotes, so embedded newlines stay inside their
 * field), refilling the window until the whole record is in it; then it is
 * split in place: fields become NUL-terminated strings inside the window,
 * quotes undone by copying down.  Nothing is allocated per field or per
 * record, so millions of rows cost one buffer and one field array.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

#define CSV_CHUNK (1u << 20)
#define CSV_MAX_RECORD (64u << 20)

int cli_csv_open(cli_csv *c, const char *path)
{
    struct stat st;
    memset(c, 0, sizeof(*c));
    c->path = path;
    if (strcmp(path, "-") == 0) {
        c->f = stdin;
        c->path = "<stdin>";
    } else {
        c->f = fopen(path, "rb");
        c->own = 1;
        if (c->f == NULL) {
            snprintf(c->err, sizeof(c->err), "%s: %s", path, strerror(errno));
            return -1;
        }
        if (fstat(fileno(c->f), &st) == 0 && S_ISREG(st.st_mode))
            c->size = (uint64_t)st.st_size;
    }
    c->cap = CSV_CHUNK;
    c->buf = cli_xmalloc(c->cap + 1);
    c->line = 1;
    c->at_start = 1;
    return 0;
}

void cli_csv_close(cli_csv *c)
{
    if (c->own && c->f)
        fclose(c->f);
    free(c->buf);
    free(c->fields);
    free(c->lens);
    memset(c, 0, sizeof(*c));
}

/* Move the unparsed tail to the front and read more.  0 when nothing more
 * could be read (end of file), 1 otherwise. */
static int refill(cli_csv *c)
{
    size_t n;
    if (c->eof)
        return 0;
    if (c->pos > 0) {
        memmove(c->buf, c->buf + c->pos, c->len - c->pos);
        c->len -= c->pos;
        c->line_start -= c->line_start >= c->pos ? c->pos : c->line_start;
        c->pos = 0;
    }
    if (c->cap - c->len < CSV_CHUNK / 2) {
        if (c->cap >= CSV_MAX_RECORD + CSV_CHUNK)
            return 0;
        c->cap *= 2;
        c->buf = cli_xrealloc(c->buf, c->cap + 1);
    }
    n = fread(c->buf + c->len, 1, c->cap - c->len, c->f);
    if (n == 0) {
        c->eof = 1;
        return 0;
    }
    c->len += n;
    if (c->at_start && c->len >= 3) {
        if (memcmp(c->buf, "\xEF\xBB\xBF", 3) == 0)
            c->pos = 3, c->line_start = 3, c->bytes = 3;
        c->at_start = 0;
    }
    return 1;
}

enum { S_START, S_UNQ, S_Q, S_QQ };

/*
 * Find the end of the record starting at c->pos.  Returns the offset of the
 * byte after its line end (or of the end of data at EOF) in *end, and
 * sets *bad to the offset of the first quoting error or (size_t)-1.
 * 0: found; 1: need more data; 2: unterminated quote at end of file.
 */
static int scan(cli_csv *c, size_t *end, size_t *bad, size_t *qopen)
{
    size_t i = c->pos;
    int s = S_START;
    *bad = (size_t)-1;
    for (; i < c->len; i++) {
        char ch = c->buf[i];
        switch (s) {
        case S_START:
        case S_UNQ:
            if (ch == '"') {
                if (s == S_START) {
                    s = S_Q;
                    *qopen = i;
                } else if (*bad == (size_t)-1) {
                    *bad = i;
                }
            } else if (ch == ',') {
                s = S_START;
            } else if (ch == '\n' || ch == '\r') {
                goto eol;
            } else {
                s = S_UNQ;
            }
            break;
        case S_Q:
            if (ch == '"')
                s = S_QQ;
            break;
        case S_QQ:
            if (ch == '"') {
                s = S_Q;
            } else if (ch == ',') {
                s = S_START;
            } else if (ch == '\n' || ch == '\r') {
                goto eol;
            } else {
                if (*bad == (size_t)-1)
                    *bad = i;
                s = S_UNQ;
            }
            break;
        }
    }
    if (!c->eof)
        return 1;
    if (s == S_Q)
        return 2;
    *end = c->len;
    return 0;
eol:
    if (c->buf[i] == '\r') {
        if (i + 1 >= c->len && !c->eof)
            return 1; /* might be CRLF split across reads */
        if (i + 1 < c->len && c->buf[i + 1] == '\n')
            i++;
    }
    *end = i + 1;
    return 0;
}

/* Line and column (1-based) of buffer offset `at`, counting from pos. */
static void locate(cli_csv *c, size_t at, uint64_t *line, uint64_t *col)
{
    uint64_t l = c->line;
    size_t ls = c->pos;
    for (size_t i = c->pos; i < at && i < c->len; i++) {
        if (c->buf[i] == '\n' ||
            (c->buf[i] == '\r' && (i + 1 >= c->len || c->buf[i + 1] != '\n'))) {
            l++;
            ls = i + 1;
        }
    }
    *line = l;
    *col = at - ls + 1;
}

/* Consume [pos, end): advance line count and byte counters. */
static void consume(cli_csv *c, size_t end)
{
    for (size_t i = c->pos; i < end; i++)
        if (c->buf[i] == '\n' ||
            (c->buf[i] == '\r' && (i + 1 >= c->len || c->buf[i + 1] != '\n')))
            c->line++;
    c->bytes += end - c->pos;
    c->pos = end;
}

static void fail(cli_csv *c, size_t at, const char *msg)
{
    locate(c, at, &c->err_line, &c->err_col);
    snprintf(c->err, sizeof(c->err), "%s", msg);
}

/* Skip to the end of the physical line containing `at`. */
static void skip_line_of(cli_csv *c, size_t at)
{
    size_t i = at;
    while (i < c->len && c->buf[i] != '\n' && c->buf[i] != '\r')
        i++;
    if (i < c->len && c->buf[i] == '\r')
        i++;
    if (i < c->len && c->buf[i] == '\n' && (i == 0 || c->buf[i - 1] != '\n'))
        i++;
    consume(c, i);
}

static void add_field(cli_csv *c, char *p, size_t n)
{
    if (c->nfields == c->fcap) {
        c->fcap = c->fcap ? c->fcap * 2 : 32;
        c->fields = cli_xrealloc(c->fields, c->fcap * sizeof(*c->fields));
        c->lens = cli_xrealloc(c->lens, c->fcap * sizeof(*c->lens));
    }
    c->fields[c->nfields] = p;
    c->lens[c->nfields++] = n;
}

/* Split [pos, end) in place.  The record has no quoting errors. */
static int split(cli_csv *c, size_t end)
{
    char *b = c->buf;
    size_t i = c->pos, stop = end;
    /* trim the record's own line end only: scan() put it at end - 1 (and
     * end - 2 for CRLF); newlines inside a quoted last field stay */
    if (stop > i && b[stop - 1] == '\n')
        stop--;
    if (stop > i && b[stop - 1] == '\r')
        stop--;
    c->nfields = 0;
    for (;;) {
        size_t start = i, w = i;
        if (i < stop && b[i] == '"') {
            i++;
            for (;;) {
                if (b[i] == '"') {
                    if (i + 1 < stop && b[i + 1] == '"') {
                        b[w++] = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                b[w++] = b[i++];
            }
        } else {
            while (i < stop && b[i] != ',')
                b[w++] = b[i++];
        }
        {
            size_t n = w - start, badpos;
            if (memchr(b + start, 0, n) != NULL) {
                fail(c, start + (size_t)((char *)memchr(b + start, 0, n) -
                                         (b + start)),
                     "NUL byte in field");
                return -1;
            }
            badpos = cli_utf8_invalid(b + start, n);
            if (badpos != (size_t)-1) {
                /* the column is exact for unquoted fields; for quoted ones
                 * it is the field's start */
                fail(c, b[start] == '"' ? start : start + badpos,
                     "invalid UTF-8");
                return -1;
            }
        }
        add_field(c, b + start, w - start);
        if (i >= stop) {
            b[w] = 0;
            break;
        }
        /* b[i] is ',' */
        b[w] = 0;
        i++;
        if (i >= stop) {
            add_field(c, b + i, 0);
            b[i] = 0; /* the line end (or the spare byte) */
            break;
        }
    }
    return 0;
}

int cli_csv_next(cli_csv *c)
{
    size_t end = 0, bad, qopen = 0;
    int r;
    c->err[0] = 0;
    for (;;) {
        if (c->pos >= c->len && !refill(c))
            return 0;
        if (c->at_start && c->len < 3 && refill(c))
            continue;
        /* skip empty lines */
        if (c->buf[c->pos] == '\n' || c->buf[c->pos] == '\r') {
            size_t e = c->pos + 1;
            if (c->buf[c->pos] == '\r') {
                if (e >= c->len && refill(c))
                    continue;
                if (e < c->len && c->buf[e] == '\n')
                    e++;
            }
            consume(c, e);
            continue;
        }
        r = scan(c, &end, &bad, &qopen);
        if (r == 1) {
            size_t before = c->len - c->pos;
            if (!refill(c) && !c->eof)
                break; /* window full: record too long */
            if (c->len - c->pos == before && !c->eof)
                break;
            continue;
        }
        break;
    }
    c->rec_line = c->line;
    if (r == 1) {
        fail(c, c->pos, "record longer than 64 MiB");
        skip_line_of(c, c->pos);
        return -1;
    }
    if (r == 2) {
        fail(c, qopen, "unterminated quoted field");
        skip_line_of(c, qopen);
        return -1;
    }
    if (bad != (size_t)-1) {
        fail(c, bad, c->buf[bad] == '"' ? "quote inside an unquoted field"
                                        : "text after a closing quote");
        skip_line_of(c, bad);
        return -1;
    }
    /* make sure the terminating NUL has room when the record ends the
     * window: buf has cap + 1 bytes */
    {
        /* count the record's lines before split() writes NULs over its
         * line end */
        uint64_t line_after;
        size_t start = c->pos;
        consume(c, end);
        line_after = c->line;
        c->line = c->rec_line;
        c->pos = start;
        c->bytes -= end - start;
        if (split(c, end) != 0) {
            c->pos = end;
            c->line = line_after;
            c->bytes += end - start;
            return -1;
        }
        c->rec = c->buf + start;
        c->pos = end;
        c->line = line_after;
        c->bytes += end - start;
    }
    return 1;
}

void cli_csv_field_pos(const cli_csv *c, size_t k, uint64_t *line,
                       uint64_t *col)
{
    const char *from = c->rec;
    uint64_t l = c->rec_line;
    if (k >= c->nfields) {
        /* past the last field: the end of the record */
        k = c->nfields ? c->nfields - 1 : 0;
        if (c->nfields == 0) {
            *line = l, *col = 1;
            return;
        }
        *line = l;
        *col = (uint64_t)(c->fields[k] + c->lens[k] - from) + 1;
        return;
    }
    for (size_t j = 0; j < k; j++) {
        const char *nl = memchr(c->fields[j], '\n', c->lens[j]);
        while (nl != NULL) {
            l++;
            from = nl + 1;
            nl = memchr(nl + 1, '\n',
                        c->lens[j] - (size_t)(nl + 1 - c->fields[j]));
        }
    }
    *line = l;
    *col = (uint64_t)(c->fields[k] - from) + 1;
}
