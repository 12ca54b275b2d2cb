/* table.c -- the tool's one result shape, rendered as text, CSV or JSON. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

cli_table *cli_table_new(const char *name, const char *title, size_t ncols,
                         const char *const *names, const char *const *titles)
{
    cli_table *t = cli_xmalloc(sizeof(*t));
    memset(t, 0, sizeof(*t));
    t->name = cli_xstrdup(name);
    t->title = cli_xstrdup(title);
    t->ncols = ncols;
    t->col_names = cli_xmalloc(ncols * sizeof(char *));
    t->col_titles = cli_xmalloc(ncols * sizeof(char *));
    for (size_t i = 0; i < ncols; i++) {
        t->col_names[i] = cli_xstrdup(names[i]);
        t->col_titles[i] = cli_xstrdup(titles ? titles[i] : names[i]);
    }
    return t;
}

void cli_table_free(cli_table *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i].s);
    for (size_t i = 0; i < t->ncols; i++) {
        free(t->col_names[i]);
        free(t->col_titles[i]);
    }
    free(t->col_names);
    free(t->col_titles);
    free(t->cells);
    free(t->name);
    free(t->title);
    free(t->note);
    free(t);
}

cli_cell *cli_table_row(cli_table *t)
{
    cli_cell *row;
    if (t->nrows == t->rcap) {
        t->rcap = t->rcap ? t->rcap * 2 : 16;
        t->cells = cli_xrealloc(t->cells, t->rcap * t->ncols * sizeof(cli_cell));
    }
    row = t->cells + t->nrows * t->ncols;
    memset(row, 0, t->ncols * sizeof(cli_cell));
    t->nrows++;
    return row;
}

void cli_table_note(cli_table *t, const char *note)
{
    free(t->note);
    t->note = note ? cli_xstrdup(note) : NULL;
}

void cli_cell_str(cli_cell *c, const char *s)
{
    free(c->s);
    c->s = NULL;
    c->type = s ? CELL_STR : CELL_NULL;
    if (s)
        c->s = cli_xstrdup(s);
}

void cli_cell_int(cli_cell *c, int64_t v) { c->type = CELL_INT, c->i = v; }
void cli_cell_num(cli_cell *c, double v) { c->type = CELL_NUM, c->d = v; }
void cli_cell_money(cli_cell *c, int64_t v) { c->type = CELL_MONEY, c->i = v; }
void cli_cell_ratio(cli_cell *c, double v) { c->type = CELL_RATIO, c->d = v; }
void cli_cell_days(cli_cell *c, double v) { c->type = CELL_DAYS, c->d = v; }

void cli_cell_text(const cli_cell *c, int money_decimals, cli_buf *b)
{
    char tmp[48];
    switch (c->type) {
    case CELL_STR: cli_buf_puts(b, c->s); break;
    case CELL_INT:
        if (c->i < 0)
            cli_buf_printf(b, "%lld", (long long)c->i);
        else {
            cli_fmt_count((uint64_t)c->i, tmp);
            cli_buf_puts(b, tmp);
        }
        break;
    case CELL_NUM: cli_buf_printf(b, "%.2f", c->d); break;
    case CELL_MONEY:
        cli_fmt_money(c->i, money_decimals, tmp);
        cli_buf_puts(b, tmp);
        break;
    case CELL_RATIO: cli_buf_printf(b, "%.1f%%", c->d * 100.0); break;
    case CELL_DAYS: cli_buf_printf(b, "%.1f", c->d); break;
    default: cli_buf_puts(b, "-"); break;
    }
}

static int right_aligned(const cli_table *t, size_t col)
{
    for (size_t r = 0; r < t->nrows; r++) {
        int ty = t->cells[r * t->ncols + col].type;
        if (ty == CELL_STR)
            return 0;
        if (ty != CELL_NULL)
            return 1;
    }
    return 0;
}

/* Line breaks and tabs inside a value would break the columns. */
static void one_line(char *s)
{
    for (; s && *s; s++)
        if (*s == '\n' || *s == '\r' || *s == '\t')
            *s = ' ';
}

static void pad(FILE *out, size_t n)
{
    while (n-- > 0)
        fputc(' ', out);
}

void cli_table_text(const cli_table *t, FILE *out, int money_decimals)
{
    size_t *w = cli_xmalloc(t->ncols * sizeof(size_t));
    int *ra = cli_xmalloc(t->ncols * sizeof(int));
    cli_buf b = {0};
    for (size_t c = 0; c < t->ncols; c++) {
        w[c] = cli_utf8_width(t->col_titles[c]);
        ra[c] = right_aligned(t, c);
        for (size_t r = 0; r < t->nrows; r++) {
            size_t cw;
            cli_buf_reset(&b);
            cli_cell_text(&t->cells[r * t->ncols + c], money_decimals, &b);
            one_line(b.p);
            cw = cli_utf8_width(b.p);
            if (cw > w[c])
                w[c] = cw;
        }
    }
    fprintf(out, "%s\n", t->title);
    for (size_t c = 0; c < t->ncols; c++) {
        size_t cw = cli_utf8_width(t->col_titles[c]);
        if (c)
            fputs("  ", out);
        if (ra[c])
            pad(out, w[c] - cw);
        fputs(t->col_titles[c], out);
        if (!ra[c] && c + 1 < t->ncols)
            pad(out, w[c] - cw);
    }
    fputc('\n', out);
    for (size_t c = 0; c < t->ncols; c++) {
        if (c)
            fputs("  ", out);
        for (size_t i = 0; i < w[c]; i++)
            fputc('-', out);
    }
    fputc('\n', out);
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            size_t cw;
            cli_buf_reset(&b);
            cli_cell_text(&t->cells[r * t->ncols + c], money_decimals, &b);
            one_line(b.p);
            cw = cli_utf8_width(b.p);
            if (c)
                fputs("  ", out);
            if (ra[c])
                pad(out, w[c] - cw);
            fputs(b.p, out);
            if (!ra[c] && c + 1 < t->ncols)
                pad(out, w[c] - cw);
        }
        fputc('\n', out);
    }
    if (t->note)
        fprintf(out, "%s\n", t->note);
    fputc('\n', out);
    cli_buf_free(&b);
    free(w);
    free(ra);
}

static void cell_json(const cli_cell *c, cli_buf *b)
{
    switch (c->type) {
    case CELL_STR: cli_buf_json_str(b, c->s); break;
    case CELL_INT:
    case CELL_MONEY: cli_buf_printf(b, "%lld", (long long)c->i); break;
    case CELL_NUM:
    case CELL_RATIO:
    case CELL_DAYS: cli_buf_num(b, c->d); break;
    default: cli_buf_puts(b, "null"); break;
    }
}

void cli_table_json(const cli_table *t, cli_buf *b)
{
    cli_buf_putc(b, '[');
    for (size_t r = 0; r < t->nrows; r++) {
        cli_buf_puts(b, r ? ",\n    {" : "\n    {");
        for (size_t c = 0; c < t->ncols; c++) {
            if (c)
                cli_buf_puts(b, ", ");
            cli_buf_json_str(b, t->col_names[c]);
            cli_buf_puts(b, ": ");
            cell_json(&t->cells[r * t->ncols + c], b);
        }
        cli_buf_putc(b, '}');
    }
    cli_buf_puts(b, t->nrows ? "\n  ]" : "]");
}

/* CSV cells are machine values: money in minor units, ratios as ratios. */
static void cell_csv(const cli_cell *c, cli_buf *b)
{
    switch (c->type) {
    case CELL_STR: cli_buf_csv_field(b, c->s); break;
    case CELL_INT:
    case CELL_MONEY: cli_buf_printf(b, "%lld", (long long)c->i); break;
    case CELL_NUM:
    case CELL_RATIO:
    case CELL_DAYS: cli_buf_num(b, c->d); break;
    default: break;
    }
}

void cli_table_csv(const cli_table *t, FILE *out, int with_header)
{
    cli_buf b = {0};
    if (with_header) {
        for (size_t c = 0; c < t->ncols; c++) {
            if (c)
                cli_buf_putc(&b, ',');
            cli_buf_csv_field(&b, t->col_names[c]);
        }
        cli_buf_putc(&b, '\n');
    }
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            if (c)
                cli_buf_putc(&b, ',');
            cell_csv(&t->cells[r * t->ncols + c], &b);
        }
        cli_buf_putc(&b, '\n');
    }
    if (b.len)
        fwrite(b.p, 1, b.len, out);
    cli_buf_free(&b);
}

void cli_table_csv_long(const cli_table *t, FILE *out)
{
    cli_buf b = {0}, key = {0};
    for (size_t r = 0; r < t->nrows; r++) {
        const cli_cell *row = t->cells + r * t->ncols;
        cli_buf_reset(&key);
        cell_csv(&row[0], &key);
        for (size_t c = 1; c < t->ncols; c++) {
            cli_buf_csv_field(&b, t->name);
            cli_buf_putc(&b, ',');
            if (key.len)
                cli_buf_puts(&b, key.p);
            cli_buf_putc(&b, ',');
            cli_buf_csv_field(&b, t->col_names[c]);
            cli_buf_putc(&b, ',');
            cell_csv(&row[c], &b);
            cli_buf_putc(&b, '\n');
        }
    }
    if (b.len)
        fwrite(b.p, 1, b.len, out);
    cli_buf_free(&b);
    cli_buf_free(&key);
}
