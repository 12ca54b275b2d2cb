/* calendar.c -- working-hours calendars: parsing, canonical text and the
 * deadline arithmetic of SLAs. */
#include <string.h>
#include "calendar.h"
#include "funnelcore.h"
#include "text.h"

#define MIN_MS INT64_C(60000)

static const char *const day_names[7] = {"Mon", "Tue", "Wed", "Thu",
                                         "Fri", "Sat", "Sun"};

typedef struct cscan {
    const char *s;
    size_t n, i;
    const char *why;
} cscan;

static int day_at(cscan *c)
{
    int d;
    if (c->n - c->i < 3)
        return -1;
    for (d = 0; d < 7; d++)
        if (fnli_ascii_casecmp_n(c->s + c->i, 3, day_names[d], 3) == 0) {
            c->i += 3;
            return d;
        }
    return -1;
}

static int two_digits(cscan *c, int *out)
{
    if (c->n - c->i < 2 || !fnli_is_digit(c->s[c->i]) ||
        !fnli_is_digit(c->s[c->i + 1]))
        return -1;
    *out = (c->s[c->i] - '0') * 10 + (c->s[c->i + 1] - '0');
    c->i += 2;
    return 0;
}

/* HH:MM -> minutes; max_h is 24 for a close. */
static int hhmm(cscan *c, int max_h, int *out)
{
    int h, m;
    if (two_digits(c, &h) < 0 || c->i >= c->n || c->s[c->i] != ':')
        return -1;
    c->i++;
    if (two_digits(c, &m) < 0 || m > 59 || h > max_h ||
        (h == 24 && m != 0))
        return -1;
    *out = h * 60 + m;
    return 0;
}

static void skip_spaces(cscan *c)
{
    while (c->i < c->n && c->s[c->i] == ' ')
        c->i++;
}

static int fail(cscan *c, const char *why, const char **w, size_t *col)
{
    if (w != NULL)
        *w = why;
    if (col != NULL)
        *col = c->i;
    return FNL_EINVAL;
}

int fnli_calendar_parse(const char *s, size_t n, fnli_calendar *out,
                        const char **why, size_t *col)
{
    cscan c = {s, n, 0, NULL};
    fnli_calendar cal;
    int open, close;
    memset(&cal, 0, sizeof(cal));
    skip_spaces(&c);
    for (;;) {
        int a = day_at(&c), b;
        if (a < 0)
            return fail(&c, "expected a day name (Mon..Sun)", why, col);
        b = a;
        if (c.i < c.n && c.s[c.i] == '-') {
            c.i++;
            if ((b = day_at(&c)) < 0)
                return fail(&c, "expected a day name (Mon..Sun)", why, col);
        }
        for (;;) {
            cal.days |= (uint8_t)(1u << a);
            if (a == b)
                break;
            a = (a + 1) % 7;
        }
        if (c.i < c.n && c.s[c.i] == ',') {
            c.i++;
            continue;
        }
        break;
    }
    if (c.i >= c.n || c.s[c.i] != ' ')
        return fail(&c, "expected a space before the hours", why, col);
    skip_spaces(&c);
    if (hhmm(&c, 23, &open) < 0)
        return fail(&c, "expected opening time HH:MM", why, col);
    if (c.i >= c.n || c.s[c.i] != '-')
        return fail(&c, "expected '-' between the hours", why, col);
    c.i++;
    if (hhmm(&c, 24, &close) < 0)
        return fail(&c, "expected closing time HH:MM", why, col);
    if (close <= open)
        return fail(&c, "the window must close after it opens", why, col);
    cal.open_min = (uint16_t)open;
    cal.close_min = (uint16_t)close;
    skip_spaces(&c);
    if (c.i < c.n) {
        if (c.s[c.i] == 'Z' && c.i + 1 == c.n) {
            c.i++;
        } else if (c.n - c.i == 3 &&
                   fnli_ascii_casecmp_n(c.s + c.i, 3, "UTC", 3) == 0) {
            c.i += 3;
        } else if (c.s[c.i] == '+' || c.s[c.i] == '-') {
            int sign = c.s[c.i] == '-' ? -1 : 1, off;
            c.i++;
            if (hhmm(&c, 14, &off) < 0 || off > 14 * 60)
                return fail(&c, "expected a UTC offset +HH:MM (at most 14:00)",
                            why, col);
            cal.offset_min = (int16_t)(sign * off);
        } else {
            return fail(&c, "expected a UTC offset (+HH:MM, -HH:MM, Z)",
                        why, col);
        }
        skip_spaces(&c);
        if (c.i < c.n)
            return fail(&c, "unexpected text after the calendar", why, col);
    }
    *out = cal;
    return FNL_OK;
}

static size_t put(char *buf, size_t cap, size_t at, const char *s)
{
    /* like snprintf: write what fits and keep buf terminated, so a cut
       piece leaves no unwritten bytes before the final NUL */
    size_t n = strlen(s);
    if (at < cap) {
        size_t k = at + n < cap ? n : cap - 1 - at;
        memcpy(buf + at, s, k);
        buf[at + k] = '\0';
    }
    return at + n;
}

static size_t put_hhmm(char *buf, size_t cap, size_t at, int minutes)
{
    char t[6];
    t[0] = (char)('0' + minutes / 600);
    t[1] = (char)('0' + minutes / 60 % 10);
    t[2] = ':';
    t[3] = (char)('0' + minutes % 60 / 10);
    t[4] = (char)('0' + minutes % 10);
    t[5] = '\0';
    return put(buf, cap, at, t);
}

size_t fnli_calendar_format(const fnli_calendar *c, char *buf, size_t cap)
{
    size_t at = 0;
    int d = 0, first = 1, off = c->offset_min;
    while (d < 7) {
        int e;
        if (!(c->days & (1u << d))) {
            d++;
            continue;
        }
        e = d;
        while (e + 1 < 7 && (c->days & (1u << (e + 1))))
            e++;
        if (!first)
            at = put(buf, cap, at, ",");
        first = 0;
        at = put(buf, cap, at, day_names[d]);
        if (e > d) {
            at = put(buf, cap, at, "-");
            at = put(buf, cap, at, day_names[e]);
        }
        d = e + 1;
    }
    at = put(buf, cap, at, " ");
    at = put_hhmm(buf, cap, at, c->open_min);
    at = put(buf, cap, at, "-");
    at = put_hhmm(buf, cap, at, c->close_min);
    at = put(buf, cap, at, off < 0 ? " -" : " +");
    at = put_hhmm(buf, cap, at, off < 0 ? -off : off);
    if (cap > 0)
        buf[at < cap ? at : cap - 1] = '\0';
    return at;
}

int64_t fnli_calendar_day_ms(const fnli_calendar *c)
{
    return (int64_t)(c->close_min - c->open_min) * MIN_MS;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int popcount7(unsigned v)
{
    int n = 0;
    for (; v; v &= v - 1)
        n++;
    return n;
}

int64_t fnli_calendar_add(const fnli_calendar *c, int64_t start, int64_t work)
{
    int64_t off, local, day, tod, open, close, win, week, weeks, r;
    int guard;
    if (work <= 0)
        return start;
    if (c == NULL || c->days == 0)
        return start > INT64_MAX - work ? INT64_MAX : start + work;
    off = (int64_t)c->offset_min * MIN_MS;
    open = (int64_t)c->open_min * MIN_MS;
    close = (int64_t)c->close_min * MIN_MS;
    win = close - open;
    local = start + off;
    day = floor_div(local, FNLI_DAY_MS);
    tod = local - day * FNLI_DAY_MS;
    /* Move to the first working instant at or after start. */
    for (guard = 0; guard < 8; guard++) {
        if ((c->days & (1u << fnli_weekday(day))) && tod < close) {
            if (tod < open)
                tod = open;
            break;
        }
        day++;
        tod = open;
    }
    if (work <= close - tod) {
        r = day * FNLI_DAY_MS + tod + work - off;
        return r;
    }
    work -= close - tod;
    day++;
    /* Whole weeks at once; keep the last (partial or exact) week for the
     * day walk so an exact fill lands on a close. */
    week = win * popcount7(c->days);
    weeks = (work - 1) / week;
    if (weeks > (INT64_MAX / FNLI_DAY_MS - day) / 7 - 1)
        return INT64_MAX;
    day += 7 * weeks;
    work -= weeks * week;
    for (guard = 0; guard < 8; guard++, day++) {
        if (!(c->days & (1u << fnli_weekday(day))))
            continue;
        if (work <= win)
            break;
        work -= win;
    }
    return day * FNLI_DAY_MS + open + work - off;
}
