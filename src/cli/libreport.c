/*
 * libreport.c -- the library's reports (fnl_report: deals, ROI, cohorts,
 * time to convert) turned into the CLI's tables, so that text, JSON, CSV
 * and HTML render them like every other section.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_table_col(const cli_table *t, const char *name)
{
    for (size_t c = 0; t && c < t->ncols; c++)
        if (strcmp(t->col_names[c], name) == 0)
            return (int)c;
    return -1;
}

/* One report value into a cell, typed by the column's unit. */
static void set_cell(cli_cell *c, const fnl_report_value *v, uint32_t unit)
{
    char buf[16];
    if (v->type == FNL_VALUE_NULL)
        return;
    switch (unit) {
    case FNL_UNIT_LABEL:
        if (v->type == FNL_VALUE_STRING)
            cli_cell_str(c, v->str);
        else if (v->type == FNL_VALUE_INT)
            cli_cell_int(c, v->i);
        else
            cli_cell_num(c, v->num);
        break;
    case FNL_UNIT_MONEY:
        cli_cell_money(c, v->type == FNL_VALUE_INT ? v->i : (int64_t)v->num);
        break;
    case FNL_UNIT_RATIO:
        cli_cell_ratio(c, v->num);
        break;
    case FNL_UNIT_DAYS:
        cli_cell_days(c, v->type == FNL_VALUE_INT ? (double)v->i : v->num);
        break;
    case FNL_UNIT_TIME:
        cli_fmt_date(v->i, buf);
        cli_cell_str(c, buf);
        break;
    default: /* counts */
        if (v->type == FNL_VALUE_INT)
            cli_cell_int(c, v->i);
        else if (v->type == FNL_VALUE_STRING)
            cli_cell_str(c, v->str);
        else
            cli_cell_num(c, v->num);
        break;
    }
}

void cli_report_summary_cell(const fnl_report *r, const char *name,
                             cli_cell *c, int unit)
{
    fnl_report_value v = FNL_REPORT_VALUE_INIT;
    if (fnl_report_summary_find(r, name, &v) == FNL_OK)
        set_cell(c, &v, (uint32_t)unit);
}

cli_table *cli_table_from_report(const fnl_report *r, const char *name,
                                 const char *title, const char *key_name,
                                 const char *const *skip)
{
    fnl_report_info info = FNL_REPORT_INFO_INIT;
    size_t *src, n = 0;
    const char **names, **titles;
    uint32_t *units;
    char **own;
    cli_table *t;
    fnl_report_get_info(r, &info);
    src = cli_xmalloc((info.column_count + 1) * sizeof(size_t));
    names = cli_xmalloc((info.column_count + 1) * sizeof(char *));
    titles = cli_xmalloc((info.column_count + 1) * sizeof(char *));
    own = cli_xmalloc((info.column_count + 1) * sizeof(char *));
    units = cli_xmalloc((info.column_count + 1) * sizeof(uint32_t));
    for (size_t c = 0; c < info.column_count; c++) {
        fnl_report_column col = FNL_REPORT_COLUMN_INIT;
        int skipped = 0;
        if (fnl_report_column_get(r, c, &col) != FNL_OK ||
            col.unit == FNL_UNIT_FLAG)
            continue;
        for (size_t k = 0; skip && skip[k]; k++)
            if (strcmp(skip[k], col.name) == 0)
                skipped = 1;
        if (skipped)
            continue;
        src[n] = c;
        units[n] = col.unit;
        names[n] = n == 0 && key_name ? key_name : col.name;
        /* titles: the name with spaces */
        own[n] = cli_xstrdup(names[n]);
        for (char *p = own[n]; *p; p++)
            if (*p == '_')
                *p = ' ';
        titles[n] = own[n];
        n++;
    }
    t = cli_table_new(name, title, n, names, titles);
    for (size_t r0 = 0; r0 < fnl_report_row_count(r); r0++) {
        cli_cell *row = cli_table_row(t);
        for (size_t c = 0; c < n; c++) {
            fnl_report_value v = FNL_REPORT_VALUE_INIT;
            if (fnl_report_value_get(r, r0, src[c], &v) != FNL_OK)
                continue;
            if (v.type == FNL_VALUE_NULL && c == 0 &&
                units[c] == FNL_UNIT_LABEL)
                cli_cell_str(&row[c], FNL_GROUP_NONE_KEY);
            else
                set_cell(&row[c], &v, units[c]);
        }
    }
    for (size_t c = 0; c < n; c++)
        free(own[c]);
    free(own);
    free(src);
    free(names);
    free(titles);
    free(units);
    return t;
}

void cli_report_cell(const fnl_report *r, size_t row, const char *col,
                     cli_cell *c)
{
    fnl_report_column info = FNL_REPORT_COLUMN_INIT;
    fnl_report_value v = FNL_REPORT_VALUE_INIT;
    size_t idx;
    if (fnl_report_column_find(r, col, &idx) != FNL_OK ||
        fnl_report_column_get(r, idx, &info) != FNL_OK ||
        fnl_report_value_get(r, row, idx, &v) != FNL_OK)
        return;
    set_cell(c, &v, info.unit);
}
