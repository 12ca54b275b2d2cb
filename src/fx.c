/* fx.c -- exchange rates supplied by the host, each valid over a time
 * range, and the conversion of minor-unit amounts between currencies. */
#include <math.h>
#include <string.h>
#include "normalize.h"
#include "report.h"

typedef struct fx_rate {
    uint32_t from, to;    /* packed codes */
    int64_t start, end;   /* [start, end) */
    double rate;          /* major units of `to` per major unit of `from` */
} fx_rate;

struct fnl_fx {
    fnli_mem mem;
    fx_rate *rates;
    size_t n, cap;
};

/* ISO 4217 currencies whose minor unit is not 1/100. */
static const struct {
    char code[4];
    int digits;
} minor_digits[] = {
    {"BHD", 3}, {"BIF", 0}, {"CLF", 4}, {"CLP", 0}, {"DJF", 0}, {"GNF", 0},
    {"IQD", 3}, {"ISK", 0}, {"JOD", 3}, {"JPY", 0}, {"KMF", 0}, {"KRW", 0},
    {"KWD", 3}, {"LYD", 3}, {"OMR", 3}, {"PYG", 0}, {"RWF", 0}, {"TND", 3},
    {"UGX", 0}, {"UYI", 0}, {"UYW", 4}, {"VND", 0}, {"VUV", 0}, {"XAF", 0},
    {"XOF", 0}, {"XPF", 0},
};

int fnli_cur_digits(uint32_t packed)
{
    char c[4];
    size_t i;
    fnli_cur_unpack(packed, c);
    for (i = 0; i < sizeof(minor_digits) / sizeof(minor_digits[0]); i++)
        if (memcmp(minor_digits[i].code, c, 3) == 0)
            return minor_digits[i].digits;
    return 2;
}

FNL_API int fnl_currency_digits(const char *code)
{
    char c[4];
    if (fnli_currency_parse(code, c) != FNL_OK)
        return -1;
    return fnli_cur_digits(fnli_cur_pack(c));
}

int fnli_report_currency(const char *s, uint32_t *packed, char out[4])
{
    if (s == NULL)
        s = "USD";
    if (fnli_currency_parse(s, out) != FNL_OK)
        return FNL_EINVAL;
    *packed = fnli_cur_pack(out);
    return FNL_OK;
}

FNL_API int fnl_fx_new(fnl_fx **out, const fnl_allocator *alloc)
{
    fnli_mem mem;
    fnl_fx *fx;
    int rc;
    if (out == NULL)
        return FNL_EINVAL;
    if ((rc = fnli_mem_init(&mem, alloc)) != FNL_OK)
        return rc;
    fx = fnli_calloc(&mem, 1, sizeof(*fx));
    if (fx == NULL)
        return FNL_ENOMEM;
    fx->mem = mem;
    *out = fx;
    return FNL_OK;
}

FNL_API void fnl_fx_free(fnl_fx *fx)
{
    fnli_mem mem;
    if (fx == NULL)
        return;
    mem = fx->mem;
    fnli_free(&mem, fx->rates, fx->cap * sizeof(fx_rate));
    fnli_free(&mem, fx, sizeof(*fx));
}

FNL_API int fnl_fx_add(fnl_fx *fx, const char *from, const char *to,
                       double rate, int64_t start, int64_t end)
{
    char f[4], t[4];
    uint32_t pf, pt;
    void *items;
    size_t i;
    if (fx == NULL || fnli_currency_parse(from, f) != FNL_OK ||
        fnli_currency_parse(to, t) != FNL_OK || !isfinite(rate) || rate <= 0)
        return FNL_EINVAL;
    if (end == 0)
        end = FNL_TIME_MAX + 1;
    if (start < FNL_TIME_MIN || end > FNL_TIME_MAX + 1 || end <= start)
        return FNL_EINVAL;
    pf = fnli_cur_pack(f);
    pt = fnli_cur_pack(t);
    if (pf == pt)
        return FNL_EINVAL;
    for (i = 0; i < fx->n; i++) {
        const fx_rate *r = &fx->rates[i];
        if (r->from == pf && r->to == pt && r->start < end && start < r->end)
            return FNL_EEXIST;
    }
    items = fx->rates;
    if (fnli_grow(&fx->mem, &items, &fx->cap, fx->n + 1, sizeof(fx_rate), 8) !=
        FNL_OK)
        return FNL_ENOMEM;
    fx->rates = items;
    fx->rates[fx->n].from = pf;
    fx->rates[fx->n].to = pt;
    fx->rates[fx->n].start = start;
    fx->rates[fx->n].end = end;
    fx->rates[fx->n].rate = rate;
    fx->n++;
    return FNL_OK;
}

int fnli_fx_convert(const fnl_fx *fx, int64_t amount, uint32_t from,
                    uint32_t to, int64_t t, int64_t *out)
{
    double rate = 0, v;
    size_t i;
    int scale;
    if (from == to) {
        *out = amount;
        return FNL_OK;
    }
    if (fx != NULL) {
        for (i = 0; i < fx->n && rate == 0; i++) {
            const fx_rate *r = &fx->rates[i];
            if (r->from == from && r->to == to && r->start <= t && t < r->end)
                rate = r->rate;
        }
        for (i = 0; i < fx->n && rate == 0; i++) {
            const fx_rate *r = &fx->rates[i];
            if (r->from == to && r->to == from && r->start <= t && t < r->end)
                rate = 1.0 / r->rate;
        }
    }
    if (rate == 0)
        return FNL_ENOTFOUND;
    scale = fnli_cur_digits(to) - fnli_cur_digits(from);
    v = (double)amount * rate * pow(10.0, scale);
    return fnli_round_i64(v, out);
}

FNL_API int fnl_fx_convert(const fnl_fx *fx, int64_t amount, const char *from,
                           const char *to, int64_t t, int64_t *out)
{
    char f[4], c[4];
    if (out == NULL || fnli_currency_parse(from, f) != FNL_OK ||
        fnli_currency_parse(to, c) != FNL_OK)
        return FNL_EINVAL;
    return fnli_fx_convert(fx, amount, fnli_cur_pack(f), fnli_cur_pack(c), t,
                           out);
}
