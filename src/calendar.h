/* calendar.h -- working-hours calendars for SLA deadlines: a set of
 * working weekdays, one daily window [open, close) in local time, and a
 * fixed UTC offset ("Mon-Fri 09:00-18:00 +08:00").  No time zone rules, no
 * holidays: a fixed offset keeps deadlines a pure function of the text.
 *
 * Pure functions, no allocation. */
#ifndef FNL_CALENDAR_H
#define FNL_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

#define FNLI_DAY_MS INT64_C(86400000)

typedef struct fnli_calendar {
    uint8_t days;        /* bit d: weekday d is a working day (0 = Monday
                            .. 6 = Sunday); 0: no calendar, time runs 24/7 */
    uint8_t pad;
    int16_t offset_min;  /* local = UTC + offset, -14:00 .. +14:00 */
    uint16_t open_min;   /* window start, minutes after local midnight */
    uint16_t close_min;  /* window end (exclusive), open < close <= 1440 */
} fnli_calendar;

/* Parse "DAYS HH:MM-HH:MM [OFFSET]": DAYS is a comma-separated list of
 * day names (Mon Tue Wed Thu Fri Sat Sun, ASCII case ignored) or ranges
 * "Mon-Fri" (a range may wrap: "Sun-Thu"); the window closes after it
 * opens (24:00 allowed as a close); OFFSET is "+HH:MM", "-HH:MM", "Z" or
 * "UTC" (default UTC), at most 14:00.  Spaces separate the three parts.
 * FNL_EINVAL with *why (static) and *col (0-based byte) on error. */
int fnli_calendar_parse(const char *s, size_t n, fnli_calendar *out,
                        const char **why, size_t *col);

/* The canonical text ("Mon-Fri 09:00-18:00 +08:00"; days in Monday-first
 * runs, so "Sun-Thu" prints "Mon-Thu,Sun") written with a NUL to buf;
 * returns its length (at most 40 bytes; cap >= 48 always suffices). */
size_t fnli_calendar_format(const fnli_calendar *c, char *buf, size_t cap);

/* Working milliseconds in one working day (the window's length). */
int64_t fnli_calendar_day_ms(const fnli_calendar *c);

/* The instant at which `work` milliseconds of working time have passed
 * since `start`: time outside the window and on non-working days does not
 * count, so a deadline that fills a day exactly lands on its close (Mon
 * 09:00 + 9 h of a 09:00-18:00 window is Mon 18:00, not Tue 09:00), and a
 * start outside working hours counts from the next opening.  work 0 gives
 * start.  No calendar (days 0): start + work.  Results saturate at
 * INT64_MAX; work must be >= 0. */
int64_t fnli_calendar_add(const fnli_calendar *c, int64_t start,
                          int64_t work);

/* 0 = Monday .. 6 = Sunday for a day number since 1970-01-01 (a
 * Thursday); negative day numbers work too. */
static inline int fnli_weekday(int64_t day)
{
    int64_t w = (day + 3) % 7;
    return (int)(w < 0 ? w + 7 : w);
}

#endif
