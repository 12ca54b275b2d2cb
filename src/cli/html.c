/*
 * html.c -- the report as one self-contained HTML page: inline CSS, inline
 * SVG charts, no script, no network.  Chart ids (tests look for them):
 * chart-funnel, chart-stages, chart-attribution, chart-roi,
 * chart-velocity (days to win per owner: median bar, p90 tick) and
 * chart-survival (the Kaplan-Meier share of deals won by day N).
 * chart-stages shows the lifecycle stage funnel (contacts that reached
 * each stage, and those in it now) when a stage machine ran, and the deals
 * by their stage column are then chart-deal-stages; without a machine
 * chart-stages is the deals by stage.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *const palette[] = {"#2f6fde", "#f28c28", "#2ca58d",
                                      "#d64550", "#8e6bd6", "#8c6d31",
                                      "#e377c2", "#7f7f7f"};

static const char css[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,"
    "'Helvetica Neue',Arial,'Noto Sans',sans-serif;color:#1d2433;"
    "background:#f5f7fb;margin:0}"
    "main{max-width:1180px;margin:0 auto;padding:24px 28px 48px}"
    "h1{font-size:26px;margin:4px 0 2px}h2{font-size:19px;margin:0 0 10px}"
    ".sub{color:#5a6478;margin-bottom:18px}"
    "section{background:#fff;border-radius:10px;padding:18px 22px;"
    "margin:16px 0;box-shadow:0 1px 3px rgba(20,30,60,.08)}"
    ".kpis{display:flex;flex-wrap:wrap;gap:12px}"
    ".kpi{flex:1 1 150px;background:#f0f4fc;border-radius:8px;"
    "padding:10px 14px}.kpi b{display:block;font-size:22px}"
    ".kpi span{color:#5a6478;font-size:12px;text-transform:uppercase;"
    "letter-spacing:.04em}"
    "table{border-collapse:collapse;width:100%;margin-top:10px;"
    "font-size:13px}th,td{padding:5px 8px;border-bottom:1px solid #e4e8f0;"
    "text-align:left;white-space:nowrap}td.n,th.n{text-align:right;"
    "font-variant-numeric:tabular-nums}th{color:#5a6478;font-weight:600}"
    ".scroll{overflow-x:auto}.note{color:#5a6478;font-size:12px;"
    "margin-top:6px}svg{display:block;max-width:100%;height:auto}"
    "svg text{font-family:inherit}.grid{display:grid;"
    "grid-template-columns:1fr 1fr;gap:16px}@media(max-width:900px){"
    ".grid{grid-template-columns:1fr}}";

static void cell_text(const cli_cell *c, int dec, cli_buf *b)
{
    cli_buf t = {0};
    cli_cell_text(c, dec, &t);
    cli_buf_html(b, t.p ? t.p : "");
    cli_buf_free(&t);
}

static void table_html(const cli_table *t, int dec, cli_buf *b)
{
    cli_buf_puts(b, "<div class=\"scroll\"><table><thead><tr>");
    for (size_t c = 0; c < t->ncols; c++) {
        int num = t->nrows && t->cells[c].type != CELL_STR &&
                  t->cells[c].type != CELL_NULL;
        cli_buf_printf(b, "<th%s>", num ? " class=\"n\"" : "");
        cli_buf_html(b, t->col_titles[c]);
        cli_buf_puts(b, "</th>");
    }
    cli_buf_puts(b, "</tr></thead><tbody>");
    for (size_t r = 0; r < t->nrows; r++) {
        cli_buf_puts(b, "<tr>");
        for (size_t c = 0; c < t->ncols; c++) {
            const cli_cell *cell = &t->cells[r * t->ncols + c];
            int num = cell->type != CELL_STR && cell->type != CELL_NULL;
            cli_buf_printf(b, "<td%s>", num ? " class=\"n\"" : "");
            cell_text(cell, dec, b);
            cli_buf_puts(b, "</td>");
        }
        cli_buf_puts(b, "</tr>");
    }
    cli_buf_puts(b, "</tbody></table></div>");
    if (t->note) {
        cli_buf_puts(b, "<p class=\"note\">");
        cli_buf_html(b, t->note);
        cli_buf_puts(b, "</p>");
    }
}

static double cell_num(const cli_cell *c)
{
    switch (c->type) {
    case CELL_INT:
    case CELL_MONEY: return (double)c->i;
    case CELL_NUM:
    case CELL_RATIO:
    case CELL_DAYS: return c->d;
    default: return 0;
    }
}

/* A short number for chart labels: 1.2k, 3.4M. */
static void short_num(double v, cli_buf *b)
{
    double a = fabs(v);
    if (a >= 1e9)
        cli_buf_printf(b, "%.1fB", v / 1e9);
    else if (a >= 1e6)
        cli_buf_printf(b, "%.1fM", v / 1e6);
    else if (a >= 1e4)
        cli_buf_printf(b, "%.1fk", v / 1e3);
    else if (a >= 100 || v == floor(v))
        cli_buf_printf(b, "%.0f", v);
    else
        cli_buf_printf(b, "%.2f", v);
}

/* Funnel: centred bars, width by count. */
static void funnel_svg(const cli_table *f, cli_buf *b)
{
    const double W = 540, row = 58;
    double max = 1;
    double H = row * (double)f->nrows + 10;
    for (size_t r = 0; r < f->nrows; r++)
        if (cell_num(&f->cells[r * f->ncols + 1]) > max)
            max = cell_num(&f->cells[r * f->ncols + 1]);
    cli_buf_printf(b, "<svg id=\"chart-funnel\" viewBox=\"0 0 %.0f %.0f\" "
                   "width=\"%.0f\" height=\"%.0f\" role=\"img\" "
                   "aria-label=\"Funnel\">", W, H, W, H);
    for (size_t r = 0; r < f->nrows; r++) {
        const cli_cell *c = &f->cells[r * f->ncols];
        double v = cell_num(&c[1]);
        double w = 60 + (W - 80) * v / max;
        double x = (W - w) / 2, y = 5 + row * (double)r;
        cli_buf_printf(b, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" "
                       "width=\"%.1f\" height=\"%.1f\" rx=\"6\" fill=\"%s\"/>",
                       x, y, w, row - 12, palette[r % 8]);
        cli_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                       "fill=\"#fff\" font-size=\"15\" font-weight=\"600\">",
                       W / 2, y + (row - 12) / 2 + 5);
        cli_buf_html(b, c[0].s ? c[0].s : "");
        cli_buf_puts(b, ": ");
        cell_text(&c[1], 0, b);
        if (c[2].type != CELL_NULL) {
            cli_buf_puts(b, " (");
            cell_text(&c[2], 0, b);
            cli_buf_puts(b, ")");
        }
        cli_buf_puts(b, "</text>");
    }
    cli_buf_puts(b, "</svg>");
}

/* Deals by stage: horizontal bars coloured by status.  id: chart-stages,
 * or chart-deal-stages when the lifecycle funnel takes that id. */
static void stages_svg(const cli_table *t, const char *id, cli_buf *b)
{
    const double W = 540, row = 30, left = 150;
    double H = row * (double)t->nrows + 10, max = 1;
    for (size_t r = 0; r < t->nrows; r++)
        if (cell_num(&t->cells[r * t->ncols + 2]) > max)
            max = cell_num(&t->cells[r * t->ncols + 2]);
    cli_buf_printf(b, "<svg id=\"%s\" viewBox=\"0 0 %.0f %.0f\" "
                   "width=\"%.0f\" height=\"%.0f\" role=\"img\" "
                   "aria-label=\"Deals by stage\">", id, W, H, W, H);
    for (size_t r = 0; r < t->nrows; r++) {
        const cli_cell *c = &t->cells[r * t->ncols];
        const char *st = c[1].s ? c[1].s : "open";
        const char *col = strcmp(st, "won") == 0    ? "#2ca58d"
                          : strcmp(st, "lost") == 0 ? "#d64550"
                                                    : "#2f6fde";
        double v = cell_num(&c[2]);
        double w = (W - left - 70) * v / max, y = 5 + row * (double)r;
        cli_buf_printf(b, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\" "
                       "font-size=\"13\">", left - 8, y + row / 2 + 1);
        cli_buf_html(b, c[0].s ? c[0].s : "");
        cli_buf_printf(b, "</text><rect class=\"bar\" x=\"%.0f\" y=\"%.1f\" "
                       "width=\"%.1f\" height=\"%.1f\" rx=\"3\" fill=\"%s\"/>",
                       left, y + 4, w > 1 ? w : 1, row - 10, col);
        cli_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\">",
                       left + w + 6, y + row / 2 + 1);
        short_num(v, b);
        cli_buf_puts(b, "</text>");
    }
    cli_buf_puts(b, "</svg>");
}

/* Lifecycle stages: per stage, a bar for the contacts that reached it
 * (funnel stages blue, side stages grey) and, inside it, one for those in
 * it now (orange); the label gives both and the rate from the previous
 * funnel stage. */
static void lifecycle_svg(const cli_table *t, cli_buf *b)
{
    const double W = 540, row = 30, left = 110, top = 26;
    int kr = cli_table_col(t, "reached"), kc = cli_table_col(t, "current");
    int kk = cli_table_col(t, "rank"), kv = cli_table_col(t, "conversion");
    double H = top + row * (double)t->nrows + 8, max = 1;
    for (size_t r = 0; r < t->nrows; r++)
        if (kr >= 0 && cell_num(&t->cells[r * t->ncols + kr]) > max)
            max = cell_num(&t->cells[r * t->ncols + kr]);
    cli_buf_printf(b, "<svg id=\"chart-stages\" viewBox=\"0 0 %.0f %.0f\" "
                   "width=\"%.0f\" height=\"%.0f\" role=\"img\" "
                   "aria-label=\"Lifecycle stages\">", W, H, W, H);
    cli_buf_printf(b, "<rect x=\"%.0f\" y=\"4\" width=\"12\" height=\"12\" "
                   "fill=\"#2f6fde\"/><text x=\"%.0f\" y=\"15\" "
                   "font-size=\"12\">reached</text><rect x=\"%.0f\" "
                   "y=\"4\" width=\"12\" height=\"12\" fill=\"#f28c28\"/>"
                   "<text x=\"%.0f\" y=\"15\" font-size=\"12\">in the "
                   "stage now</text>", left, left + 17, left + 90, left + 107);
    for (size_t r = 0; r < t->nrows; r++) {
        const cli_cell *c = &t->cells[r * t->ncols];
        double reached = kr >= 0 ? cell_num(&c[kr]) : 0;
        double now = kc >= 0 ? cell_num(&c[kc]) : 0;
        int side = kk >= 0 && cell_num(&c[kk]) == 0;
        double y = top + row * (double)r;
        double w = (W - left - 120) * reached / max;
        double wn = (W - left - 120) * now / max;
        cli_buf_printf(b, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\" "
                       "font-size=\"13\">", left - 8, y + row / 2 + 1);
        cli_buf_html(b, c[0].s ? c[0].s : "");
        cli_buf_printf(b, "</text><rect class=\"bar\" x=\"%.0f\" "
                       "y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" rx=\"3\" "
                       "fill=\"%s\"><title>", left, y + 4, w > 1 ? w : 1,
                       row - 10, side ? "#7f7f7f" : "#2f6fde");
        cli_buf_html(b, c[0].s ? c[0].s : "");
        cli_buf_printf(b, ": %.0f reached, %.0f now</title></rect>", reached,
                       now);
        if (now > 0)
            cli_buf_printf(b, "<rect class=\"now\" x=\"%.0f\" y=\"%.1f\" "
                           "width=\"%.1f\" height=\"%.1f\" "
                           "fill=\"#f28c28\"/>", left, y + row / 2 - 1,
                           wn > 1 ? wn : 1, (row - 10) / 2);
        cli_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\">",
                       left + (w > 1 ? w : 1) + 6, y + row / 2 + 1);
        short_num(reached, b);
        cli_buf_puts(b, " / now ");
        short_num(now, b);
        if (kv >= 0 && c[kv].type == CELL_RATIO)
            cli_buf_printf(b, " · %.0f%%", c[kv].d * 100);
        cli_buf_puts(b, "</text>");
    }
    cli_buf_puts(b, "</svg>");
}

/* Attribution: per key, one bar per model (conversions credited). */
static void attribution_svg(const cli_table *t, cli_buf *b)
{
    size_t nkeys = t->nrows ? t->nrows - 1 : 0; /* last row is the total */
    size_t nm = (t->ncols - 1) / 2;
    const double W = 1100, H = 380, left = 56, bottom = 70, top = 40;
    double max = 0, gw, bw;
    for (size_t r = 0; r < nkeys; r++)
        for (size_t m = 0; m < nm; m++) {
            double v = cell_num(&t->cells[r * t->ncols + 1 + 2 * m]);
            if (v > max)
                max = v;
        }
    if (max <= 0)
        max = 1;
    gw = nkeys ? (W - left - 10) / (double)nkeys : 1;
    bw = (gw - 14) / (double)(nm ? nm : 1);
    if (bw > 34)
        bw = 34;
    cli_buf_printf(b, "<svg id=\"chart-attribution\" viewBox=\"0 0 %.0f %.0f\" "
                   "width=\"%.0f\" height=\"%.0f\" role=\"img\" "
                   "aria-label=\"Attribution by model\">", W, H, W, H);
    /* legend */
    for (size_t m = 0; m < nm; m++) {
        double x = left + 130 * (double)m;
        const char *name = t->col_names[1 + 2 * m];
        size_t n = strlen(name) - strlen("_conversions");
        cli_buf_printf(b, "<rect x=\"%.0f\" y=\"8\" width=\"12\" height=\"12\" "
                       "fill=\"%s\"/><text x=\"%.0f\" y=\"19\" "
                       "font-size=\"13\">", x, palette[m % 8], x + 17);
        cli_buf_add(b, name, n);
        cli_buf_puts(b, "</text>");
    }
    /* axis and grid */
    for (int g = 0; g <= 4; g++) {
        double y = H - bottom - (H - bottom - top) * g / 4.0;
        cli_buf_printf(b, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" "
                       "y2=\"%.1f\" stroke=\"#e4e8f0\"/><text x=\"%.0f\" "
                       "y=\"%.1f\" text-anchor=\"end\" font-size=\"11\" "
                       "fill=\"#5a6478\">", left, W - 5, y, y, left - 6, y + 4);
        short_num(max * g / 4.0, b);
        cli_buf_puts(b, "</text>");
    }
    for (size_t r = 0; r < nkeys; r++) {
        const cli_cell *row = &t->cells[r * t->ncols];
        double gx = left + gw * (double)r + 7;
        for (size_t m = 0; m < nm; m++) {
            double v = cell_num(&row[1 + 2 * m]);
            double h = (H - bottom - top) * v / max;
            cli_buf_printf(b, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" "
                           "width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
                           "<title>", gx + bw * (double)m, H - bottom - h,
                           bw - 2 > 1 ? bw - 2 : 1, h, palette[m % 8]);
            cli_buf_html(b, row[0].s ? row[0].s : "");
            cli_buf_printf(b, ": %.2f</title></rect>", v);
        }
        cli_buf_printf(b, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\" "
                       "font-size=\"12\">", gx + bw * (double)nm / 2,
                       H - bottom + 18);
        cli_buf_html(b, row[0].s ? row[0].s : "");
        cli_buf_puts(b, "</text>");
    }
    cli_buf_printf(b, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"12\" "
                   "fill=\"#5a6478\">conversions credited (won deals)</text>",
                   left, H - 20);
    cli_buf_puts(b, "</svg>");
}

/* ROI: per channel, cost and attributed revenue side by side. */
static void roi_svg(const cli_table *t, int dec, cli_buf *b)
{
    const double W = 1100, row = 44, left = 150, right = 250;
    double H = row * (double)t->nrows + 40, max = 1;
    int kc = cli_table_col(t, "cost"), kv = cli_table_col(t, "revenue");
    int kr = cli_table_col(t, "roi");
    for (size_t r = 0; r < t->nrows; r++) {
        const cli_cell *c = &t->cells[r * t->ncols];
        if (kc >= 0 && cell_num(&c[kc]) > max)
            max = cell_num(&c[kc]);
        if (kv >= 0 && cell_num(&c[kv]) > max)
            max = cell_num(&c[kv]);
    }
    cli_buf_printf(b, "<svg id=\"chart-roi\" viewBox=\"0 0 %.0f %.0f\" "
                   "width=\"%.0f\" height=\"%.0f\" role=\"img\" "
                   "aria-label=\"ROI by channel\">", W, H, W, H);
    cli_buf_printf(b, "<rect x=\"%.0f\" y=\"6\" width=\"12\" height=\"12\" "
                   "fill=\"#d64550\"/><text x=\"%.0f\" y=\"17\" "
                   "font-size=\"13\">cost</text><rect x=\"%.0f\" y=\"6\" "
                   "width=\"12\" height=\"12\" fill=\"#2ca58d\"/><text "
                   "x=\"%.0f\" y=\"17\" font-size=\"13\">attributed revenue"
                   "</text>", left, left + 17, left + 80, left + 97);
    for (size_t r = 0; r < t->nrows; r++) {
        const cli_cell *c = &t->cells[r * t->ncols];
        double y = 30 + row * (double)r, scale = pow(10, dec);
        double vc = kc >= 0 ? cell_num(&c[kc]) : 0;
        double vv = kv >= 0 ? cell_num(&c[kv]) : 0;
        double wc = (W - left - right) * vc / max;
        double wv = (W - left - right) * vv / max;
        cli_buf_printf(b, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\" "
                       "font-size=\"13\">", left - 8, y + row / 2);
        cli_buf_html(b, c[0].s ? c[0].s : "");
        cli_buf_printf(b, "</text><rect class=\"bar\" x=\"%.0f\" y=\"%.1f\" "
                       "width=\"%.1f\" height=\"15\" fill=\"#d64550\"/>"
                       "<rect class=\"bar\" x=\"%.0f\" y=\"%.1f\" "
                       "width=\"%.1f\" height=\"15\" fill=\"#2ca58d\"/>",
                       left, y + 4, wc > 1 ? wc : 1, left, y + 21,
                       wv > 1 ? wv : 1);
        cli_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\">",
                       left + (wc > wv ? wc : wv) + 8, y + 25);
        short_num(vc / scale, b);
        cli_buf_puts(b, " → ");
        short_num(vv / scale, b);
        if (kr >= 0 && c[kr].type == CELL_RATIO)
            cli_buf_printf(b, " · ROI %.0f%%", c[kr].d * 100);
        cli_buf_puts(b, "</text>");
    }
    cli_buf_puts(b, "</svg>");
}

/* Velocity: per group (owner), the median days to win as a bar and the
 * p90 as a tick; groups without a won deal are left out. */
static void velocity_svg(const cli_table *t, cli_buf *b)
{
    const double W = 1100, row = 30, left = 170, top = 34;
    int km = cli_table_col(t, "cycle_median_days");
    int kp = cli_table_col(t, "cycle_p90_days");
    int kw = cli_table_col(t, "won");
    double max = 1, H;
    size_t n = 0;
    for (size_t r = 0; r < t->nrows; r++) {
        const cli_cell *c = &t->cells[r * t->ncols];
        if (km < 0 || c[km].type == CELL_NULL)
            continue;
        n++;
        if (cell_num(&c[km]) > max)
            max = cell_num(&c[km]);
        if (kp >= 0 && cell_num(&c[kp]) > max)
            max = cell_num(&c[kp]);
    }
    H = top + row * (double)n + 30;
    cli_buf_printf(b, "<svg id=\"chart-velocity\" viewBox=\"0 0 %.0f %.0f\" "
                   "width=\"%.0f\" height=\"%.0f\" role=\"img\" "
                   "aria-label=\"Days to win by owner\">", W, H, W, H);
    cli_buf_printf(b, "<rect x=\"%.0f\" y=\"6\" width=\"12\" height=\"12\" "
                   "fill=\"#2f6fde\"/><text x=\"%.0f\" y=\"17\" "
                   "font-size=\"13\">median days to win</text><rect "
                   "x=\"%.0f\" y=\"6\" width=\"3\" height=\"12\" "
                   "fill=\"#1d2433\"/><text x=\"%.0f\" y=\"17\" "
                   "font-size=\"13\">90th percentile</text>", left,
                   left + 17, left + 180, left + 190);
    n = 0;
    for (size_t r = 0; r < t->nrows; r++) {
        const cli_cell *c = &t->cells[r * t->ncols];
        double y, wm, wp, med, p90;
        if (km < 0 || c[km].type == CELL_NULL)
            continue;
        y = top + row * (double)n++;
        med = cell_num(&c[km]);
        p90 = kp >= 0 ? cell_num(&c[kp]) : med;
        wm = (W - left - 240) * med / max;
        wp = (W - left - 240) * p90 / max;
        cli_buf_printf(b, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\" "
                       "font-size=\"13\">", left - 8, y + row / 2 + 1);
        cli_buf_html(b, c[0].s ? c[0].s : "");
        cli_buf_printf(b, "</text><rect class=\"bar\" x=\"%.0f\" y=\"%.1f\" "
                       "width=\"%.1f\" height=\"%.1f\" rx=\"3\" "
                       "fill=\"#2f6fde\"><title>", left, y + 5,
                       wm > 1 ? wm : 1, row - 12);
        cli_buf_html(b, c[0].s ? c[0].s : "");
        cli_buf_printf(b, ": median %.1f days, p90 %.1f days</title></rect>"
                       "<rect class=\"tick\" x=\"%.1f\" y=\"%.1f\" "
                       "width=\"3\" height=\"%.1f\" fill=\"#1d2433\"/>",
                       med, p90, left + wp - 1, y + 2, row - 6);
        cli_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\">"
                       "%.0f / %.0f d", left + (wp > wm ? wp : wm) + 8,
                       y + row / 2 + 1, med, p90);
        if (kw >= 0 && c[kw].type == CELL_INT)
            cli_buf_printf(b, " (%lld won)", (long long)c[kw].i);
        cli_buf_puts(b, "</text>");
    }
    cli_buf_puts(b, "</svg>");
}

/* Time to convert: the share won by day d, 1 - S(d), as a step curve,
 * with the median and the cold day marked. */
static void survival_svg(const cli_table *curve, const cli_table *sum,
                         cli_buf *b)
{
    const double W = 1100, H = 360, left = 60, right = 30, top = 30,
                 bottom = 50;
    int kd = cli_table_col(curve, "days");
    int kc = cli_table_col(curve, "conversion");
    int km = sum ? cli_table_col(sum, "median_days") : -1;
    int kcold = sum ? cli_table_col(sum, "cold_day") : -1;
    double maxd = 1, pw = W - left - right, ph = H - top - bottom;
    double x0, y0;
    for (size_t r = 0; r < curve->nrows; r++)
        if (kd >= 0 && cell_num(&curve->cells[r * curve->ncols + kd]) > maxd)
            maxd = cell_num(&curve->cells[r * curve->ncols + kd]);
    if (kcold >= 0 && cell_num(&sum->cells[kcold]) > maxd)
        maxd = cell_num(&sum->cells[kcold]);
    cli_buf_printf(b, "<svg id=\"chart-survival\" viewBox=\"0 0 %.0f %.0f\" "
                   "width=\"%.0f\" height=\"%.0f\" role=\"img\" "
                   "aria-label=\"Share of deals won by day\">", W, H, W, H);
    for (int g = 0; g <= 4; g++) {
        double y = top + ph - ph * g / 4.0;
        cli_buf_printf(b, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" "
                       "y2=\"%.1f\" stroke=\"#e4e8f0\"/><text x=\"%.0f\" "
                       "y=\"%.1f\" text-anchor=\"end\" font-size=\"11\" "
                       "fill=\"#5a6478\">%d%%</text>", left, W - right, y, y,
                       left - 6, y + 4, g * 25);
    }
    for (int g = 0; g <= 5; g++) {
        double x = left + pw * g / 5.0;
        cli_buf_printf(b, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\" "
                       "font-size=\"11\" fill=\"#5a6478\">%.0f</text>", x,
                       H - bottom + 16, maxd * g / 5.0);
    }
    cli_buf_printf(b, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"12\" "
                   "fill=\"#5a6478\">days since the deal was created; "
                   "share won (Kaplan-Meier, lost deals censored)</text>",
                   left, H - 12);
    /* the step curve */
    x0 = left;
    y0 = top + ph;
    cli_buf_printf(b, "<path class=\"curve\" fill=\"none\" stroke=\"#2ca58d\" "
                   "stroke-width=\"2.5\" d=\"M%.1f %.1f", x0, y0);
    for (size_t r = 0; r < curve->nrows; r++) {
        const cli_cell *c = &curve->cells[r * curve->ncols];
        double x = left + pw * cell_num(&c[kd]) / maxd;
        double y = top + ph - ph * (kc >= 0 ? cell_num(&c[kc]) : 0);
        cli_buf_printf(b, " H%.1f V%.1f", x, y);
    }
    cli_buf_printf(b, " H%.1f\"/>", left + pw);
    /* one dot per day with a conversion */
    for (size_t r = 0; r < curve->nrows; r++) {
        const cli_cell *c = &curve->cells[r * curve->ncols];
        int kconv = cli_table_col(curve, "converted");
        if (kconv >= 0 && cell_num(&c[kconv]) > 0)
            cli_buf_printf(b, "<circle class=\"point\" cx=\"%.1f\" "
                           "cy=\"%.1f\" r=\"2.5\" fill=\"#2ca58d\"/>",
                           left + pw * cell_num(&c[kd]) / maxd,
                           top + ph - ph * cell_num(&c[kc]));
    }
    if (km >= 0 && sum->cells[km].type != CELL_NULL) {
        double x = left + pw * cell_num(&sum->cells[km]) / maxd;
        cli_buf_printf(b, "<line class=\"marker\" x1=\"%.1f\" x2=\"%.1f\" "
                       "y1=\"%.0f\" y2=\"%.1f\" stroke=\"#2f6fde\" "
                       "stroke-dasharray=\"4 3\"/><text x=\"%.1f\" "
                       "y=\"%.0f\" font-size=\"12\" fill=\"#2f6fde\">median "
                       "%.0f d</text>", x, x, top, top + ph, x + 4, top + 12,
                       cell_num(&sum->cells[km]));
    }
    if (kcold >= 0 && sum->cells[kcold].type != CELL_NULL) {
        double x = left + pw * cell_num(&sum->cells[kcold]) / maxd;
        cli_buf_printf(b, "<line class=\"marker\" x1=\"%.1f\" x2=\"%.1f\" "
                       "y1=\"%.0f\" y2=\"%.1f\" stroke=\"#d64550\" "
                       "stroke-dasharray=\"4 3\"/><text x=\"%.1f\" "
                       "y=\"%.0f\" font-size=\"12\" fill=\"#d64550\">cold "
                       "from day %.0f</text>", x, x, top, top + ph, x + 4,
                       top + 28, cell_num(&sum->cells[kcold]));
    }
    cli_buf_puts(b, "</svg>");
}

static void kpis(const cli_report *r, cli_buf *b)
{
    const cli_table *d = r->deals;
    static const char *const show[] = {
        "deals", "won", "lost", "open", "win_rate", "won_amount", "pipeline",
        "cycle_median_days", "cycle_p90_days", "forecast"};
    cli_buf_puts(b, "<div class=\"kpis\">");
    for (size_t i = 0; i < sizeof(show) / sizeof(show[0]); i++) {
        int k = cli_table_col(d, show[i]);
        if (k < 0 || d->nrows == 0)
            continue;
        cli_buf_puts(b, "<div class=\"kpi\"><b>");
        cell_text(&d->cells[k], r->money_decimals, b);
        cli_buf_puts(b, "</b><span>");
        cli_buf_html(b, d->col_titles[k]);
        cli_buf_puts(b, "</span></div>");
    }
    cli_buf_puts(b, "</div>");
}

int cli_html_write(const cli_report *r, const char *path)
{
    cli_buf b = {0};
    FILE *f;
    int rc = 0;
    cli_buf_puts(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
                     "<meta charset=\"utf-8\"><meta name=\"viewport\" "
                     "content=\"width=device-width,initial-scale=1\"><title>");
    cli_buf_html(&b, r->title);
    cli_buf_printf(&b, "</title><style>%s</style></head><body><main><h1>", css);
    cli_buf_html(&b, r->title);
    cli_buf_printf(&b, "</h1><div class=\"sub\">funnelcore %s · amounts in "
                   "%s</div>\n", fnl_version(), r->currency);
    if (r->deals) {
        cli_buf_puts(&b, "<section id=\"deals\"><h2>Deals</h2>");
        kpis(r, &b);
        cli_buf_puts(&b, "</section>\n");
    }
    if (r->lifecycle) {
        /* the deal funnel beside the lifecycle funnel; the deals by stage
         * beside the lifecycle table */
        cli_buf_puts(&b, "<section id=\"funnel\"><h2>Funnel</h2><div "
                         "class=\"grid\"><div>");
        if (r->funnel)
            funnel_svg(r->funnel, &b);
        cli_buf_puts(&b, "</div><div>");
        lifecycle_svg(r->lifecycle, &b);
        cli_buf_puts(&b, "</div>");
        if (r->stages) {
            cli_buf_puts(&b, "<div>");
            stages_svg(r->stages, "chart-deal-stages", &b);
            cli_buf_puts(&b, "</div>");
        }
        cli_buf_puts(&b, "<div>");
        table_html(r->lifecycle, r->money_decimals, &b);
        cli_buf_puts(&b, "</div></div>");
        if (r->stages)
            table_html(r->stages, r->money_decimals, &b);
        cli_buf_puts(&b, "</section>\n");
    } else if (r->funnel && r->stages) {
        cli_buf_puts(&b, "<section id=\"funnel\"><h2>Funnel</h2><div "
                         "class=\"grid\"><div>");
        funnel_svg(r->funnel, &b);
        cli_buf_puts(&b, "</div><div>");
        stages_svg(r->stages, "chart-stages", &b);
        cli_buf_puts(&b, "</div></div>");
        table_html(r->stages, r->money_decimals, &b);
        cli_buf_puts(&b, "</section>\n");
    }
    if (r->by_owner) {
        cli_buf_puts(&b, "<section id=\"velocity\"><h2>Velocity: days to "
                         "win by owner</h2>");
        velocity_svg(r->by_owner, &b);
        table_html(r->by_owner, r->money_decimals, &b);
        cli_buf_puts(&b, "</section>\n");
    }
    if (r->curve) {
        cli_buf_puts(&b, "<section id=\"time-to-convert\"><h2>Time to "
                         "convert</h2>");
        survival_svg(r->curve, r->ttc, &b);
        if (r->ttc)
            table_html(r->ttc, r->money_decimals, &b);
        cli_buf_puts(&b, "</section>\n");
    }
    if (r->attribution) {
        cli_buf_puts(&b, "<section id=\"attribution\"><h2>");
        cli_buf_html(&b, r->attribution->title);
        cli_buf_puts(&b, " — models side by side</h2>");
        attribution_svg(r->attribution, &b);
        table_html(r->attribution, r->money_decimals, &b);
        cli_buf_puts(&b, "</section>\n");
    }
    if (r->roi) {
        cli_buf_puts(&b, "<section id=\"roi\"><h2>ROI by channel</h2>");
        roi_svg(r->roi, r->money_decimals, &b);
        table_html(r->roi, r->money_decimals, &b);
        cli_buf_puts(&b, "</section>\n");
    }
    for (size_t i = 0; i < r->ntables; i++) {
        const cli_table *t = r->tables[i];
        if (t == r->funnel || t == r->stages || t == r->lifecycle ||
            t == r->attribution ||
            t == r->roi || t == r->deals || t == r->by_owner ||
            t == r->ttc || t == r->curve)
            continue;
        cli_buf_puts(&b, "<section><h2>");
        cli_buf_html(&b, t->title);
        cli_buf_puts(&b, "</h2>");
        table_html(t, r->money_decimals, &b);
        cli_buf_puts(&b, "</section>\n");
    }
    cli_buf_puts(&b, "</main></body></html>\n");
    f = fopen(path, "w");
    if (f == NULL) {
        cli_buf_free(&b);
        return -1;
    }
    if (fwrite(b.p, 1, b.len, f) != b.len)
        rc = -1;
    if (fclose(f) != 0)
        rc = -1;
    cli_buf_free(&b);
    return rc;
}
