/*
 * gen_sample.c -- a deterministic, seedable generator of realistic B2B
 * funnel data for funnelcore's CLI, demo and tests.
 *
 *   funnelcore-gen [--seed N] [--accounts N] [--year YYYY] [--out DIR]
 *
 * writes DIR/accounts.csv, contacts.csv, touches.csv, deals.csv, costs.csv
 * and paths.csv (ChannelAttribution format, one row per distinct channel
 * path of the accounts' journeys).  The same seed gives the same bytes on
 * every machine: one splitmix64 stream, no floating-point formatting of
 * random values, no clock.
 *
 * The model: accounts (industry, region, size, fit) with buying groups of
 * 2-6 people (user, influencer, decision maker, economic buyer, champion);
 * each person meets the vendor through a channel mix that depends on the
 * region (WeChat in China, trade shows in EMEA, search everywhere), is
 * often anonymous first (a cookie id, merged later through a form),
 * downloads content, attends webinars, opens e-mails, views the pricing
 * page (sometimes repeatedly within a week) and requests a trial.  Engaged
 * accounts open a deal; its chance to be won grows with trials, webinars,
 * trade-show visits and fit; sales calls follow the deal.  Costs per
 * channel and quarter.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- randomness --------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static uint32_t below(uint32_t n) { return (uint32_t)((rnd() >> 32) % n); }

/* True with probability pct / 100. */
static int chance(uint32_t pct) { return below(100) < pct; }

static int64_t between(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

/* ---- calendar ----------------------------------------------------------- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void fmt_time(int64_t ms, char *out)
{
    int64_t z = ms / 86400000 + 719468, rem = ms % 86400000;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = (int64_t)yoe + era * 400 + (m <= 2);
    sprintf(out, "%04d-%02u-%02uT%02d:%02d:%02dZ", (int)(y % 10000), m % 13u,
            d % 32u, (int)(rem / 3600000), (int)(rem / 60000 % 60),
            (int)(rem / 1000 % 60));
}

static void fmt_date(int64_t ms, char *out)
{
    char t[32];
    fmt_time(ms, t);
    memcpy(out, t, 10);
    out[10] = 0;
}

#define DAY INT64_C(86400000)

/* ---- vocabulary --------------------------------------------------------- */

static const char *const syl1[] = {"Nova", "Astra", "Blue", "Kern", "Lumen",
    "Orbi", "Quanta", "Sino", "Terra", "Vertex", "Helio", "Mira", "Pola",
    "Zen", "Argo", "Cobalt", "Delta", "Ever", "Fjord", "Gala", "Hua", "Jin",
    "Long", "Tian"};
static const char *const syl2[] = {"tek", "soft", "works", "logic", "sys",
    "tronic", "gen", "data", "med", "flow", "grid", "line", "base", "tech"};
static const char *const industries[] = {"manufacturing", "software",
    "healthcare", "finance", "logistics", "retail", "energy", "education"};
static const char *const regions[] = {"EMEA", "North America", "APAC",
    "China"};
static const char *const tlds[] = {"com", "de", "com", "cn"};
static const char *const first_names[] = {"Ana", "Ben", "Chen", "Dana",
    "Elif", "Farid", "Greta", "Hao", "Ines", "Jonas", "Kai", "Lena", "Mei",
    "Nils", "Olga", "Priya", "Quinn", "Rosa", "Sven", "Tao", "Uma", "Vera",
    "Wei", "Xin", "Yara", "Zoe", "Li", "Ming", "Jun", "Fang"};
static const char *const last_names[] = {"Schmidt", "Wang", "Garcia",
    "Muller", "Li", "Smith", "Rossi", "Zhang", "Kowalski", "Novak", "Chen",
    "Dubois", "Jensen", "Silva", "Tanaka", "Liu", "Meyer", "Brown", "Zhao",
    "Huang"};
static const char *const roles[] = {"user", "influencer", "decision_maker",
    "economic_buyer", "champion"};
static const char *const titles[] = {"Engineer", "IT Manager", "Head of IT",
    "CFO", "Operations Lead"};
static const char *const freemail[] = {"gmail.com", "qq.com", "163.com",
    "outlook.com"};

enum { CH_SEM, CH_SEO, CH_CONTENT, CH_WEBINAR, CH_TRADESHOW, CH_EMAIL,
       CH_WECHAT, CH_SALES, CH_N };
static const char *const channels[CH_N] = {"sem", "seo", "content",
    "webinar", "trade_show", "email", "wechat", "sales_call"};
/* Channel mix (weights) of first and later touches per region. */
static const uint32_t mix[4][CH_N] = {
    /* sem seo content webinar trade email wechat sales */
    {22, 18, 16, 12, 14, 18, 0, 0},  /* EMEA */
    {26, 20, 18, 14, 6, 16, 0, 0},   /* North America */
    {24, 18, 16, 12, 8, 16, 6, 0},   /* APAC */
    {20, 12, 12, 10, 8, 8, 30, 0},   /* China */
};
/* Quarterly spend per channel, in whole currency units, before noise. */
static const int64_t spend[CH_N] = {42000, 9000, 14000, 16000, 38000, 5000,
                                    11000, 30000};

static uint32_t pick(const uint32_t *w, uint32_t n)
{
    uint32_t total = 0, r;
    for (uint32_t i = 0; i < n; i++)
        total += w[i];
    r = below(total);
    for (uint32_t i = 0; i < n; i++) {
        if (r < w[i])
            return i;
        r -= w[i];
    }
    return n - 1;
}

/* ---- output ------------------------------------------------------------- */

static FILE *open_csv(const char *dir, const char *name, const char *header)
{
    char path[4096];
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "funnelcore-gen: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    fprintf(f, "%s\n", header);
    return f;
}

/* Paths aggregated for paths.csv. */
typedef struct pathrow {
    char *path;
    int64_t conv, nulls, value; /* value in cents */
} pathrow;
static pathrow *paths;
static size_t npaths;

static void add_path(const char *p, int conv, int64_t value_cents)
{
    for (size_t i = 0; i < npaths; i++)
        if (strcmp(paths[i].path, p) == 0) {
            paths[i].conv += conv;
            paths[i].nulls += !conv;
            paths[i].value += value_cents;
            return;
        }
    paths = realloc(paths, (npaths + 1) * sizeof(*paths));
    if (paths == NULL)
        exit(1);
    paths[npaths].path = strdup(p);
    paths[npaths].conv = conv;
    paths[npaths].nulls = !conv;
    paths[npaths].value = value_cents;
    npaths++;
}

typedef struct touch {
    int64_t time;
    int ch;
} touch;

static int cmp_touch(const void *a, const void *b)
{
    const touch *x = a, *y = b;
    return x->time < y->time ? -1 : x->time > y->time;
}

/* ---- the generator ------------------------------------------------------ */

int main(int argc, char **argv)
{
    uint64_t seed = 42;
    int naccounts = 300, year = 2025;
    const char *out = ".";
    FILE *fa, *fc, *ft, *fd, *fk, *fp;
    int64_t y0, y1;
    uint64_t touch_count = 0, deal_count = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--accounts") == 0 && i + 1 < argc)
            naccounts = atoi(argv[++i]);
        else if (strcmp(argv[i], "--year") == 0 && i + 1 < argc)
            year = atoi(argv[++i]);
        else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            out = argv[++i];
        else {
            fprintf(stderr, "usage: funnelcore-gen [--seed N] [--accounts N] "
                    "[--year YYYY] [--out DIR]\n");
            return 2;
        }
    }
    if (naccounts < 1 || naccounts > 1000000 || year < 1971 || year > 9000) {
        fprintf(stderr, "funnelcore-gen: --accounts 1..1000000, --year "
                "1971..9000\n");
        return 2;
    }
    mkdir(out, 0777);
    rng_state = seed;
    y0 = days_from_civil(year, 1, 1) * DAY;
    y1 = days_from_civil(year + 1, 1, 1) * DAY;

    fa = open_csv(out, "accounts.csv",
                  "account,domain,industry,region,employees,tier");
    fc = open_csv(out, "contacts.csv",
                  "email,phone,wechat_id,first_name,last_name,title,role,"
                  "account,region,tags,time");
    ft = open_csv(out, "touches.csv",
                  "time,email,cookie_id,wechat_id,channel,campaign,content,"
                  "type,url,value");
    fd = open_csv(out, "deals.csv",
                  "deal_id,account,email,role,amount,currency,created,closed,"
                  "status,stage,owner,product");
    fk = open_csv(out, "costs.csv", "channel,quarter,amount,currency");
    fp = open_csv(out, "paths.csv",
                  "path,total_conversions,total_conversion_value,total_null");

    static const char *const owners[] = {"Alice Wong", "Bernd Kraus",
        "Carla Diaz", "Deng Hui", "Emma Clarke", "Feng Lei"};
    static const char *const products[] = {"Core", "Core Plus", "Enterprise"};

    for (int a = 0; a < naccounts; a++) {
        char name[64], domain[96], stamp[32];
        int region = (int)below(4), ind = (int)below(8);
        /* one random draw per statement: the order of evaluation of
         * function arguments and operands is unspecified in C */
        int employees = (int)between(20, 200);
        int size_shift = (int)below(7);
        int fit = (int)below(100); /* how well the account fits */
        int ngroup = 2 + (int)below(5);
        touch jt[512];
        int njt = 0;
        int trial = 0, webinar = 0, trade = 0, pricing = 0;
        int64_t last_engage = 0;
        char emails[8][128];
        int grole[8];

        const char *s1 = syl1[below(24)];
        const char *s2 = syl2[below(14)];
        employees <<= size_shift;
        snprintf(name, sizeof(name), "%s%s %d", s1, s2, a + 1);
        {
            size_t o = 0;
            for (const char *p = name; *p && o + 1 < sizeof(domain); p++)
                if (*p != ' ')
                    domain[o++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
            domain[o] = 0;
            strncat(domain, ".", sizeof(domain) - strlen(domain) - 1);
            strncat(domain, tlds[region], sizeof(domain) - strlen(domain) - 1);
        }
        fprintf(fa, "%s,%s,%s,%s,%d,%s\n", name, domain, industries[ind],
                regions[region], employees,
                employees > 5000 ? "enterprise" :
                employees > 500 ? "mid-market" : "smb");

        for (int g = 0; g < ngroup; g++) {
            const char *fn = first_names[below(30)], *ln = last_names[below(20)];
            int role = g < 5 ? g : (int)below(5);
            int anonymous_first = chance(30);
            int64_t t = y0 + between(0, 300) * DAY;
            int ntouch = 1 + (int)below(4);
            t += between(8, 19) * 3600000;
            ntouch += fit > 50 ? (int)below(10) : 0;
            ntouch += role == 4 ? (int)below(8) : 0;
            char cookie[32], wechat[32] = "", phone[32] = "";
            const char *mail_domain = chance(12) ? freemail[region == 3 ? 1 + below(2) : 0 + 3 * below(2)] : domain;
            snprintf(emails[g], sizeof(emails[g]), "%c%s.%s%d@%s",
                     fn[0] + 32 > 'z' ? fn[0] : fn[0] + 32, fn + 1, ln, a,
                     mail_domain);
            for (char *p = emails[g]; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                    *p = (char)(*p + 32);
            grole[g] = role;
            snprintf(cookie, sizeof(cookie), "ck-%08llx",
                     (unsigned long long)(rnd() & 0xffffffffu));
            if (region == 3)
                snprintf(wechat, sizeof(wechat), "wx_%06llu",
                         (unsigned long long)(rnd() % 1000000));
            if (chance(40))
            {
                int p1 = (int)below(1000);
                int p2 = (int)below(10000);
                snprintf(phone, sizeof(phone), "+%s %03d %04d",
                         region == 3 ? "86 139" : region == 1 ? "1 415" :
                         region == 0 ? "49 30" : "65 6", p1, p2);
            }
            fmt_time(t, stamp);
            fprintf(fc, "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", emails[g], phone,
                    wechat, fn, ln, titles[role], roles[role], name,
                    regions[region],
                    role == 2 || role == 3 ? "budget_holder" :
                    role == 4 ? "champion;newsletter" : "newsletter",
                    stamp);
            for (int k = 0; k < ntouch && njt < 500; k++) {
                uint32_t ch = pick(mix[region], CH_N);
                const char *type = "visit", *campaign = "", *content = "";
                char url[256] = "";
                int64_t value = 0;
                int anon = anonymous_first && k < 2;
                switch (ch) {
                case CH_SEM:
                    campaign = region == 3 ? "baidu_brand" : "search_brand";
                    snprintf(url, sizeof(url), "https://vendor.example/%s"
                             "?utm_source=%s&utm_medium=cpc&utm_campaign=%s",
                             chance(30) ? "pricing" : "product",
                             region == 3 ? "baidu" : "google", campaign);
                    if (strstr(url, "pricing"))
                        type = "pricing_view", pricing++;
                    break;
                case CH_SEO:
                    snprintf(url, sizeof(url), "https://vendor.example/blog/"
                             "post-%u", below(40));
                    break;
                case CH_CONTENT:
                    type = "content_download";
                    content = chance(50) ? "whitepaper_roi" : "case_study";
                    campaign = "content_q";
                    break;
                case CH_WEBINAR:
                    type = chance(60) ? "webinar_attend" : "webinar_register";
                    campaign = "webinar_series";
                    webinar += type[8] == 'a';
                    break;
                case CH_TRADESHOW:
                    type = "event_visit";
                    campaign = region == 3 ? "expo_shanghai" : "expo_hannover";
                    trade++;
                    break;
                case CH_EMAIL:
                    type = chance(40) ? "email_click" : "email_open";
                    campaign = "nurture";
                    break;
                case CH_WECHAT:
                    campaign = "wechat_official";
                    snprintf(url, sizeof(url), "https://vendor.example/cn"
                             "?utm_source=wechat&utm_medium=social");
                    break;
                default:
                    ch = CH_SEO;
                }
                if (ch != CH_EMAIL && chance(fit / 8 + 3)) {
                    type = "pricing_view";
                    pricing++;
                }
                if (chance(fit > 60 ? 12 : 3) && k > 1) {
                    type = "trial_request";
                    trial++;
                    value = 0;
                }
                if (anon && (ch == CH_EMAIL || strcmp(type, "trial_request") == 0))
                    anon = 0; /* e-mails and forms know the person */
                fmt_time(t, stamp);
                fprintf(ft, "%s,%s,%s,%s,%s,%s,%s,%s,%s,%lld\n", stamp,
                        anon ? "" : emails[g],
                        anon || k == 2 ? cookie : "",
                        anon ? "" : wechat, channels[ch], campaign, content,
                        type, url, (long long)value);
                touch_count++;
                if (njt < 500) {
                    jt[njt].time = t;
                    jt[njt].ch = (int)ch;
                    njt++;
                }
                if (t > last_engage)
                    last_engage = t;
                /* repeated pricing views within a week: a key event */
                if (strcmp(type, "pricing_view") == 0 && chance(35)) {
                    for (int r = 0; r < 2; r++) {
                        t += between(1, 3) * DAY;
                        fmt_time(t, stamp);
                        fprintf(ft, "%s,%s,,%s,%s,%s,,pricing_view,"
                                "https://vendor.example/pricing,0\n", stamp,
                                emails[g], wechat, channels[ch], campaign);
                        touch_count++;
                        pricing++;
                    }
                }
                t += between(2, 40) * DAY;
                t += between(0, 36) * 3600000;
                if (t >= y1 - 20 * DAY)
                    break;
            }
        }
        /* a deal when the account engaged enough */
        qsort(jt, (size_t)njt, sizeof(touch), cmp_touch);
        {
            int engaged = trial * 3 + webinar * 2 + trade * 2 + (pricing >= 3 ? 3 : pricing) +
                          (fit > 50) * 2 + njt / 6;
            int has_deal = engaged >= 6 && chance(80);
            char pathbuf[2048] = "";
            int64_t created = 0, closed = 0, amount = 0;
            int status = 0; /* 0 open, 1 won, 2 lost */
            size_t pl = 0;
            if (has_deal && njt > 0) {
                int win = 20 + trial * 10 + webinar * 6 + trade * 6 +
                          fit / 4 + (pricing >= 3 ? 8 : 0);
                if (win > 85)
                    win = 85;
                created = jt[njt / 2].time + between(1, 10) * DAY;
                if (created < last_engage - 60 * DAY)
                    created = last_engage - 60 * DAY;
                closed = created + between(20, 150) * DAY;
                amount = (int64_t)between(50, 400) * 100 *
                         (employees > 5000 ? 8 : employees > 500 ? 3 : 1);
                if (closed >= y1) {
                    status = 0;
                    closed = 0;
                } else {
                    status = chance((uint32_t)win) ? 1 : 2;
                }
                /* sales calls during the deal */
                for (int k = 0; k < 1 + (int)below(4); k++) {
                    int64_t tc = created + between(1, 30) * DAY + 10 * 3600000;
                    if ((closed && tc > closed) || tc >= y1)
                        break;
                    fmt_time(tc, stamp);
                    fprintf(ft, "%s,%s,,,sales_call,,,call,,0\n", stamp,
                            emails[below((uint32_t)ngroup)]);
                    touch_count++;
                    if (njt < 512) {
                        jt[njt].time = tc;
                        jt[njt].ch = CH_SALES;
                        njt++;
                    }
                }
                qsort(jt, (size_t)njt, sizeof(touch), cmp_touch);
            }
            /* the account's path up to the close */
            for (int k = 0; k < njt; k++) {
                if (closed && jt[k].time > closed)
                    break;
                const char *c = channels[jt[k].ch];
                if (pl + strlen(c) + 4 >= sizeof(pathbuf))
                    break;
                pl += (size_t)sprintf(pathbuf + pl, "%s%s", pl ? " > " : "", c);
            }
            if (pl > 0 && (!has_deal || status != 0))
                add_path(pathbuf, status == 1, status == 1 ? amount * 100 : 0);
            if (has_deal) {
                char cs[16], xs[16] = "", id[32];
                static const char *const open_stages[] = {"Qualification",
                    "Proposal", "Negotiation"};
                snprintf(id, sizeof(id), "D-%05llu",
                         (unsigned long long)++deal_count);
                fmt_date(created, cs);
                if (closed)
                    fmt_date(closed, xs);
                const char *stage = status == 1 ? "Closed Won" :
                                    status == 2 ? "Closed Lost" :
                                    open_stages[below(3)];
                const char *product = products[employees > 5000 ? 2 : below(2)];
                const char *owner = owners[(region * 2 + (int)below(2)) % 6];
                for (int g = 0; g < ngroup; g++) {
                    if (g > 0 && grole[g] == 0 && chance(50))
                        continue;
                    fprintf(fd, "%s,%s,%s,%s,%lld.00,USD,%s,%s,%s,%s,%s,%s\n",
                            id, name, emails[g], roles[grole[g]],
                            (long long)amount, cs, xs,
                            status == 1 ? "won" : status == 2 ? "lost" : "open",
                            stage, owner, product);
                }
            }
        }
    }
    /* costs per channel and quarter (cents exact: whole units plus .00) */
    for (int q = 1; q <= 4; q++)
        for (int ch = 0; ch < CH_N; ch++) {
            int64_t amt = spend[ch] * (90 + (int64_t)below(21)) / 100 *
                          (naccounts / 300 > 0 ? naccounts / 300 : 1);
            fprintf(fk, "%s,%d-Q%d,%lld.%02u,USD\n", channels[ch], year, q,
                    (long long)amt, below(100));
        }
    for (size_t i = 0; i < npaths; i++) {
        fprintf(fp, "\"%s\",%lld,%lld.%02lld,%lld\n", paths[i].path,
                (long long)paths[i].conv, (long long)(paths[i].value / 100),
                (long long)(paths[i].value % 100), (long long)paths[i].nulls);
        free(paths[i].path);
    }
    free(paths);
    fclose(fa);
    fclose(fc);
    fclose(ft);
    fclose(fd);
    fclose(fk);
    fclose(fp);
    fprintf(stderr, "funnelcore-gen: %d accounts, %llu touches, %llu deals "
            "in %s\n", naccounts, (unsigned long long)touch_count,
            (unsigned long long)deal_count, out);
    return 0;
}
