/* period.c -- UTC calendar periods (day, ISO week, month, quarter, year),
 * report buckets, and proration of spend over them. */
#include <stdio.h>
#include <string.h>
#include "report.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * algorithm), and back. */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    int64_t era, yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int64_t *m, int64_t *d)
{
    int64_t era, doe, yoe, doy, mp;
    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp + (mp < 10 ? 3 : -9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static const char *const period_names[] = {"all",   "day",     "week", "month",
                                           "quarter", "year", "custom"};

FNL_API const char *fnl_period_name(uint32_t kind)
{
    return kind <= FNL_PERIOD_CUSTOM ? period_names[kind] : NULL;
}

static int calendar(uint32_t kind)
{
    return kind >= FNL_PERIOD_DAY && kind <= FNL_PERIOD_YEAR;
}

/* Start day (days since epoch) of the period containing day z. */
static int64_t floor_day(uint32_t kind, int64_t z)
{
    int64_t y, m, d;
    switch (kind) {
    case FNL_PERIOD_DAY:
        return z;
    case FNL_PERIOD_WEEK:
        /* 1970-01-01 was a Thursday: Monday-based weekday = (z + 3) mod 7 */
        return z - (z + 3 - floor_div(z + 3, 7) * 7);
    default:
        break;
    }
    civil_from_days(z, &y, &m, &d);
    if (kind == FNL_PERIOD_MONTH)
        return days_from_civil(y, m, 1);
    if (kind == FNL_PERIOD_QUARTER)
        return days_from_civil(y, (m - 1) / 3 * 3 + 1, 1);
    return days_from_civil(y, 1, 1);
}

static int64_t next_day(uint32_t kind, int64_t z)
{
    int64_t y, m, d;
    z = floor_day(kind, z);
    switch (kind) {
    case FNL_PERIOD_DAY:
        return z + 1;
    case FNL_PERIOD_WEEK:
        return z + 7;
    default:
        break;
    }
    civil_from_days(z, &y, &m, &d);
    if (kind == FNL_PERIOD_YEAR)
        return days_from_civil(y + 1, 1, 1);
    m += kind == FNL_PERIOD_QUARTER ? 3 : 1;
    if (m > 12) {
        m -= 12;
        y++;
    }
    return days_from_civil(y, m, 1);
}

FNL_API int fnl_period_floor(uint32_t kind, int64_t t, int64_t *out)
{
    if (out == NULL || !calendar(kind) || t < FNL_TIME_MIN || t > FNL_TIME_MAX)
        return FNL_EINVAL;
    *out = floor_day(kind, floor_div(t, DAY_MS)) * DAY_MS;
    return FNL_OK;
}

FNL_API int fnl_period_next(uint32_t kind, int64_t t, int64_t *out)
{
    int64_t n;
    if (out == NULL || !calendar(kind) || t < FNL_TIME_MIN || t > FNL_TIME_MAX)
        return FNL_EINVAL;
    n = next_day(kind, floor_div(t, DAY_MS)) * DAY_MS;
    if (n > FNL_TIME_MAX + 1)
        return FNL_ERANGE;
    *out = n;
    return FNL_OK;
}

static void label(uint32_t kind, int64_t t, char *b, size_t cap)
{
    int64_t z = floor_day(kind, floor_div(t, DAY_MS)), y, m, d;
    civil_from_days(z, &y, &m, &d);
    switch (kind) {
    case FNL_PERIOD_DAY:
        snprintf(b, cap, "%04lld-%02lld-%02lld", (long long)y, (long long)m,
                 (long long)d);
        break;
    case FNL_PERIOD_WEEK: {
        /* ISO week-year: the year of the week's Thursday */
        int64_t th = z + 3, wy, wm, wd, week;
        civil_from_days(th, &wy, &wm, &wd);
        week = (th - days_from_civil(wy, 1, 1)) / 7 + 1;
        snprintf(b, cap, "%04lld-W%02lld", (long long)wy, (long long)week);
        break;
    }
    case FNL_PERIOD_MONTH:
        snprintf(b, cap, "%04lld-%02lld", (long long)y, (long long)m);
        break;
    case FNL_PERIOD_QUARTER:
        snprintf(b, cap, "%04lld-Q%lld", (long long)y,
                 (long long)((m + 2) / 3));
        break;
    default:
        snprintf(b, cap, "%04lld", (long long)y);
    }
}

FNL_API int fnl_period_label(uint32_t kind, int64_t t, char *buf, size_t cap,
                             size_t *needed)
{
    char b[32];
    size_t n;
    if (!calendar(kind) || t < FNL_TIME_MIN || t > FNL_TIME_MAX ||
        (buf == NULL && cap > 0))
        return FNL_EINVAL;
    label(kind, t, b, sizeof(b));
    n = strlen(b) + 1;
    if (needed != NULL)
        *needed = n;
    if (cap < n)
        return FNL_ERANGE;
    memcpy(buf, b, n);
    return FNL_OK;
}

void fnli_iso_time(int64_t t, char *buf, size_t cap)
{
    int64_t z = floor_div(t, DAY_MS), ms = t - z * DAY_MS, y, m, d;
    civil_from_days(z, &y, &m, &d);
    if (ms == 0)
        snprintf(buf, cap, "%04lld-%02lld-%02lld", (long long)y, (long long)m,
                 (long long)d);
    else
        snprintf(buf, cap, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ",
                 (long long)y, (long long)m, (long long)d,
                 (long long)(ms / 3600000), (long long)(ms / 60000 % 60),
                 (long long)(ms / 1000 % 60), (long long)(ms % 1000));
}

int fnli_bucket_label(uint32_t kind, int64_t start, char *buf, size_t cap)
{
    if (calendar(kind))
        label(kind, start, buf, cap);
    else
        fnli_iso_time(start, buf, cap);
    return FNL_OK;
}

/* ---- buckets ------------------------------------------------------------- */

int fnli_buckets(fnli_mem *mem, uint32_t kind, int64_t from, int64_t to,
                 const int64_t *custom, size_t ncustom, int64_t **bounds,
                 size_t *n)
{
    int64_t *b, t;
    size_t i, k;
    if (kind == FNL_PERIOD_CUSTOM) {
        if (custom == NULL || ncustom < 2 || ncustom - 1 > FNLI_MAX_BUCKETS)
            return ncustom - 1 > FNLI_MAX_BUCKETS && custom ? FNL_ELIMIT
                                                           : FNL_EINVAL;
        for (i = 0; i < ncustom; i++)
            if (custom[i] < FNL_TIME_MIN || custom[i] > FNL_TIME_MAX + 1 ||
                (i && custom[i] <= custom[i - 1]))
                return FNL_EINVAL;
        b = fnli_malloc(mem, ncustom * sizeof(*b));
        if (b == NULL)
            return FNL_ENOMEM;
        memcpy(b, custom, ncustom * sizeof(*b));
        *bounds = b;
        *n = ncustom - 1;
        return FNL_OK;
    }
    if (from < FNL_TIME_MIN || to > FNL_TIME_MAX + 1 || to <= from)
        return FNL_EINVAL;
    if (kind == FNL_PERIOD_ALL) {
        b = fnli_malloc(mem, 2 * sizeof(*b));
        if (b == NULL)
            return FNL_ENOMEM;
        b[0] = from;
        b[1] = to;
        *bounds = b;
        *n = 1;
        return FNL_OK;
    }
    if (!calendar(kind))
        return FNL_EINVAL;
    /* count first (from is a valid time, so the floor needs no check) */
    t = floor_day(kind, floor_div(from, DAY_MS)) * DAY_MS;
    for (k = 0; t < to; k++) {
        if (k >= FNLI_MAX_BUCKETS)
            return FNL_ELIMIT;
        t = next_day(kind, floor_div(t, DAY_MS)) * DAY_MS;
    }
    b = fnli_malloc(mem, (k + 1) * sizeof(*b));
    if (b == NULL)
        return FNL_ENOMEM;
    b[0] = floor_day(kind, floor_div(from, DAY_MS)) * DAY_MS;
    for (i = 1; i <= k; i++)
        b[i] = next_day(kind, floor_div(b[i - 1], DAY_MS)) * DAY_MS;
    *bounds = b;
    *n = k;
    return FNL_OK;
}

size_t fnli_bucket_of(const int64_t *b, size_t n, int64_t t)
{
    size_t lo = 0, hi = n;
    if (n == 0 || t < b[0] || t >= b[n])
        return SIZE_MAX;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (b[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* ---- proration ----------------------------------------------------------- */

/* Overlap in ms of [start, end) with slice i of the cuts. */
static uint64_t overlap(int64_t start, int64_t end, const int64_t *cuts,
                        size_t ncuts, size_t i)
{
    int64_t lo = i == 0 ? INT64_MIN : cuts[i - 1];
    int64_t hi = i == ncuts ? INT64_MAX : cuts[i];
    int64_t a = start > lo ? start : lo, z = end < hi ? end : hi;
    return z > a ? (uint64_t)z - (uint64_t)a : 0;
}

/* Number of slices in [i0, i1] whose remainder is above t. */
static size_t count_above(int64_t amount, int64_t start, int64_t end,
                          const int64_t *cuts, size_t ncuts, size_t i0,
                          size_t i1, uint64_t t)
{
    uint64_t dur = (uint64_t)end - (uint64_t)start, q, r;
    size_t i, c = 0;
    for (i = i0; i <= i1; i++) {
        fnli_muldiv((uint64_t)amount, overlap(start, end, cuts, ncuts, i),
                    dur, &q, &r);
        c += r > t;
    }
    return c;
}

FNL_API int fnl_prorate(int64_t amount, int64_t start, int64_t end,
                        const int64_t *cuts, size_t ncuts, int64_t *out)
{
    uint64_t dur, given = 0, k, lo, hi;
    size_t i, i0, i1;
    if (out == NULL || (cuts == NULL && ncuts > 0) || end <= start ||
        amount < 0)
        return FNL_EINVAL;
    for (i = 1; i < ncuts; i++)
        if (cuts[i] <= cuts[i - 1])
            return FNL_EINVAL;
    dur = (uint64_t)end - (uint64_t)start;
    /* the slices [i0, i1] overlap the interval; the others get 0 */
    for (i0 = 0; i0 < ncuts && cuts[i0] <= start; i0++)
        ;
    for (i1 = i0; i1 < ncuts && cuts[i1] < end; i1++)
        ;
    for (i = 0; i <= ncuts; i++) {
        uint64_t q = 0, r;
        if (i >= i0 && i <= i1)
            fnli_muldiv((uint64_t)amount, overlap(start, end, cuts, ncuts, i),
                        dur, &q, &r);
        out[i] = (int64_t)q;
        given += q;
    }
    k = (uint64_t)amount - given; /* < number of slices with a remainder */
    if (k == 0)
        return FNL_OK;
    /* The k largest remainders get one unit each, ties to the earlier
     * slice: find the smallest threshold t with at most k remainders above
     * it (binary search, no allocation), give those, then the rest to
     * remainders equal to t in slice order. */
    lo = 0;
    hi = dur; /* remainders are < dur: none above dur - 1 */
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (count_above(amount, start, end, cuts, ncuts, i0, i1, mid) <= k)
            hi = mid;
        else
            lo = mid + 1;
    }
    for (i = i0; i <= i1; i++) {
        uint64_t q, r;
        fnli_muldiv((uint64_t)amount, overlap(start, end, cuts, ncuts, i), dur,
                    &q, &r);
        if (r > lo) {
            out[i]++;
            k--;
        }
    }
    for (i = i0; i <= i1 && k > 0; i++) {
        uint64_t q, r;
        fnli_muldiv((uint64_t)amount, overlap(start, end, cuts, ncuts, i), dur,
                    &q, &r);
        if (r == lo && r > 0) {
            out[i]++;
            k--;
        }
    }
    return FNL_OK;
}
