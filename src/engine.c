/* engine.c -- open, close, configuration, errors, the mutation envelope and
 * event delivery. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "engine.h"
#include "normalize.h"
#include "owner.h"
#include "score_engine.h"
#include "stage_engine.h"
#include "store.h"
#include "text.h"

/* ---- errors ------------------------------------------------------------- */

int fnli_fail(const fnl_engine *ce, int code, const char *fmt, ...)
{
    fnl_engine *e = (fnl_engine *)ce;
    va_list ap;
    int n;
    if (e == NULL)
        return code;
    n = snprintf(e->errmsg, sizeof(e->errmsg), "%s: ", fnl_strerror(code));
    if (n < 0 || (size_t)n >= sizeof(e->errmsg))
        return code;
    va_start(ap, fmt);
    vsnprintf(e->errmsg + n, sizeof(e->errmsg) - (size_t)n, fmt, ap);
    va_end(ap);
    return code;
}

FNL_API const char *fnl_errmsg(const fnl_engine *e)
{
    return e ? e->errmsg : "";
}

/* ---- config ------------------------------------------------------------- */

int fnli_copy_in(void *dst, size_t dst_size, const void *src, size_t init_size)
{
    uint32_t size;
    memcpy(&size, src, sizeof(size));
    if (size < sizeof(uint32_t) || size < init_size)
        return FNL_EINVAL;
    memcpy(dst, src, size < dst_size ? size : dst_size);
    return FNL_OK;
}

/* Reset a size-first struct from its INIT value: the one rule of every
 * public *_init (mem.h, docs/abi.md). */
int fnli_init_struct(void *dst, size_t size, const void *init, size_t full)
{
    size_t known = size < full ? size : full;
    uint32_t s32 = (uint32_t)known;
    if (dst == NULL || size < sizeof(uint32_t) || size > UINT32_MAX)
        return FNL_EINVAL;
    memcpy(dst, init, known);
    memcpy(dst, &s32, sizeof(s32));
    if (size > known) /* a newer caller's members this library lacks */
        memset((unsigned char *)dst + known, 0, size - known);
    return FNL_OK;
}

FNLI_DEFINE_INIT(fnl_engine_config_init, fnl_engine_config,
                 FNL_ENGINE_CONFIG_INIT)
FNLI_DEFINE_INIT(fnl_stats_init, fnl_stats, FNL_STATS_INIT)
FNLI_DEFINE_INIT(fnl_contact_update_init, fnl_contact_update,
                 FNL_CONTACT_UPDATE_INIT)
FNLI_DEFINE_INIT(fnl_contact_info_init, fnl_contact_info,
                 FNL_CONTACT_INFO_INIT)
FNLI_DEFINE_INIT(fnl_account_update_init, fnl_account_update,
                 FNL_ACCOUNT_UPDATE_INIT)
FNLI_DEFINE_INIT(fnl_account_info_init, fnl_account_info,
                 FNL_ACCOUNT_INFO_INIT)
FNLI_DEFINE_INIT(fnl_touch_init, fnl_touch, FNL_TOUCH_INIT)
FNLI_DEFINE_INIT(fnl_deal_update_init, fnl_deal_update, FNL_DEAL_UPDATE_INIT)
FNLI_DEFINE_INIT(fnl_cost_init, fnl_cost, FNL_COST_INIT)

static int64_t system_now(void *ctx)
{
    struct timespec ts;
    (void)ctx;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_strv(fnli_mem *m, char **v, size_t n)
{
    size_t i;
    if (v == NULL)
        return;
    for (i = 0; i < n; i++)
        if (v[i] != NULL)
            fnli_free(m, v[i], strlen(v[i]) + 1);
    fnli_free(m, v, n * sizeof(char *));
}

/* Copy a string vector, lower-casing ASCII when fold is set. */
static int copy_strv(fnl_engine *e, const char *what, const char *const *src,
                     size_t n, int fold, char ***out)
{
    char **v;
    size_t i;
    *out = NULL;
    if (n == 0)
        return FNL_OK;
    if (src == NULL)
        return fnli_fail(e, FNL_EINVAL, "%s: NULL array", what);
    if (n > 1024)
        return fnli_fail(e, FNL_ELIMIT, "%s: more than 1024 entries", what);
    v = fnli_calloc(&e->mem, n, sizeof(char *));
    if (v == NULL)
        return FNL_ENOMEM;
    for (i = 0; i < n; i++) {
        fnli_sv s;
        int rc = fnli_check_str(e, what, src[i], 1, &s);
        if (rc == FNL_OK && (v[i] = fnli_strndup(&e->mem, s.p, s.n)) == NULL)
            rc = FNL_ENOMEM;
        if (rc != FNL_OK) {
            free_strv(&e->mem, v, n);
            return rc;
        }
        if (fold) {
            char *p;
            for (p = v[i]; *p; p++)
                *p = fnli_lower(*p);
        }
    }
    *out = v;
    return FNL_OK;
}

static int copy_config(fnl_engine *e, const fnl_engine_config *cfg)
{
    int rc;
    size_t i;
    e->precedence = cfg->precedence;
    if (cfg->precedence > FNL_PRECEDENCE_SOURCE)
        return fnli_fail(e, FNL_EINVAL, "config: unknown precedence %u",
                         (unsigned)cfg->precedence);
    if (cfg->clock != NULL) {
        if (cfg->clock->version > FNL_CLOCK_VERSION)
            return fnli_fail(e, FNL_EVERSION, "config: clock version %u",
                             (unsigned)cfg->clock->version);
        if (cfg->clock->version == 0 || cfg->clock->now == NULL)
            return fnli_fail(e, FNL_EINVAL, "config: clock table incomplete");
        e->clock = *cfg->clock;
    }
    if (cfg->listener != NULL) {
        if (cfg->listener->version > FNL_LISTENER_VERSION)
            return fnli_fail(e, FNL_EVERSION, "config: listener version %u",
                             (unsigned)cfg->listener->version);
        if (cfg->listener->version == 0 || cfg->listener->on_event == NULL)
            return fnli_fail(e, FNL_EINVAL,
                             "config: listener table incomplete");
        e->listener = *cfg->listener;
        e->has_listener = 1;
    }
    if (cfg->source_priority_count > 254)
        return fnli_fail(e, FNL_ELIMIT, "config: more than 254 sources");
    rc = copy_strv(e, "config source_priority", cfg->source_priority,
                   cfg->source_priority_count, 0, &e->sources);
    if (rc != FNL_OK)
        return rc;
    e->nsources = cfg->source_priority_count;
    rc = copy_strv(e, "config freemail_domains", cfg->freemail_domains,
                   cfg->freemail_domain_count, 1, &e->freemail);
    if (rc != FNL_OK)
        return rc;
    e->nfreemail = cfg->freemail_domain_count;
    /* copy_strv() sets e->freemail for any count > 0 or fails through
       fnli_fail(), whose nonzero return the analyzer does not follow */
    if (e->nfreemail > 1)
        /* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker) */
        fnli_qsort(e->freemail, e->nfreemail, sizeof(char *), cmp_str);
    if (cfg->default_country_code != NULL) {
        const char *p = cfg->default_country_code;
        size_t n = strlen(p);
        if (n == 0 || n > 4 || strspn(p, "0123456789") != n || p[0] == '0')
            return fnli_fail(e, FNL_EINVAL,
                             "config: default_country_code must be 1-4 "
                             "digits without a leading 0");
        memcpy(e->cc, p, n + 1);
    }
    if (cfg->channel_rule_count > 0) {
        if (cfg->channel_rules == NULL)
            return fnli_fail(e, FNL_EINVAL, "config: channel_rules is NULL");
        if (cfg->channel_rule_count > 1024)
            return fnli_fail(e, FNL_ELIMIT, "config: more than 1024 rules");
        e->rules = fnli_calloc(&e->mem, cfg->channel_rule_count,
                               sizeof(fnli_rule));
        if (e->rules == NULL)
            return FNL_ENOMEM;
        e->nrules = cfg->channel_rule_count; /* unfilled entries are zero */
        for (i = 0; i < cfg->channel_rule_count; i++) {
            const fnl_channel_rule *r = &cfg->channel_rules[i];
            fnli_sv pat, ch;
            if (r->field < FNL_FIELD_UTM_SOURCE ||
                r->field > FNL_FIELD_URL_HOST)
                return fnli_fail(e, FNL_EINVAL,
                                 "config: channel rule %zu: unknown field %u",
                                 i, (unsigned)r->field);
            rc = fnli_check_str(e, "config channel rule pattern", r->pattern,
                                1, &pat);
            if (rc == FNL_OK)
                rc = fnli_check_str(e, "config channel rule channel",
                                    r->channel, 1, &ch);
            if (rc != FNL_OK)
                return rc;
            e->rules[i].field = r->field;
            e->rules[i].pattern = fnli_strndup(&e->mem, pat.p, pat.n);
            if (e->rules[i].pattern == NULL)
                return FNL_ENOMEM;
            e->rules[i].pattern_len = pat.n;
            e->rules[i].channel = fnli_intern_add(&e->strings, &e->mem, ch.p, ch.n);
            if (e->rules[i].channel == 0)
                return FNL_ENOMEM;
        }
    }
    return FNL_OK;
}

FNL_API int fnl_engine_open(fnl_engine **out, const fnl_engine_config *ucfg)
{
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnli_mem mem;
    fnl_engine *e;
    int rc;
    if (out == NULL)
        return FNL_EINVAL;
    if (ucfg != NULL && fnli_copy_in(&cfg, sizeof(cfg), ucfg,
                                     offsetof(fnl_engine_config, precedence))
                            != FNL_OK)
        return FNL_EINVAL;
    rc = fnli_mem_init(&mem, cfg.allocator);
    if (rc != FNL_OK)
        return rc;
    e = fnli_calloc(&mem, 1, sizeof(*e));
    if (e == NULL)
        return FNL_ENOMEM;
    e->mem = mem;
    e->mem.bytes = mem.bytes;
    e->clock.version = FNL_CLOCK_VERSION;
    e->clock.now = system_now;
    fnli_intern_init(&e->strings);
    fnli_arena_init(&e->keybytes, 256 * 1024);
    fnli_arena_init(&e->scratch, 64 * 1024);
    fnli_pool_init(&e->contacts, sizeof(fnli_contact), 12);
    fnli_pool_init(&e->keys, sizeof(fnli_keynode), 12);
    fnli_pool_init(&e->attrs, sizeof(fnli_attrnode), 10);
    fnli_pool_init(&e->names, sizeof(fnli_namenode), 10);
    fnli_pool_init(&e->accounts, sizeof(fnli_account), 10);
    fnli_pool_init(&e->dealpool, sizeof(fnli_deal), 10);
    fnli_pool_init(&e->dcs, sizeof(fnli_dealcontact), 10);
    fnli_owners_init(e);
    fnli_pool_init(&e->costs, sizeof(fnli_costrec), 8);
    fnli_pool_init(&e->classes, sizeof(fnli_tclass), 8);
    e->touches.count = 1;
    fnli_w_init(&e->rec, &e->mem);
    rc = copy_config(e, &cfg);
    e->cur_prec = (uint8_t)e->precedence;
    e->storage = cfg.storage;
    if (rc == FNL_OK && cfg.snapshot_compression > 1)
        rc = fnli_fail(e, FNL_EINVAL, "config: unknown snapshot compression");
    e->snapshot_compression = cfg.snapshot_compression;
    if (rc == FNL_OK && e->storage != NULL)
        rc = fnli_recover(e);
    if (rc != FNL_OK) {
        if (cfg.errbuf != NULL && cfg.errbuf_size > 0)
            snprintf(cfg.errbuf, cfg.errbuf_size, "%s",
                     e->errmsg[0] ? e->errmsg : fnl_strerror(rc));
        fnl_engine_close(e);
        return rc;
    }
    fnli_clear(e);
    if (cfg.errbuf != NULL && cfg.errbuf_size > 0)
        cfg.errbuf[0] = '\0';
    *out = e;
    return FNL_OK;
}

FNL_API void fnl_engine_close(fnl_engine *e)
{
    fnli_mem mem;
    size_t i;
    if (e == NULL)
        return;
    mem = e->mem;
    free_strv(&mem, e->sources, e->nsources);
    free_strv(&mem, e->freemail, e->nfreemail);
    for (i = 0; i < e->nrules; i++)
        fnli_free(&mem, e->rules[i].pattern, e->rules[i].pattern_len + 1);
    if (e->rules != NULL)
        fnli_free(&mem, e->rules, e->nrules * sizeof(fnli_rule));
    fnli_intern_free(&e->strings, &mem);
    fnli_arena_free(&e->keybytes, &mem);
    fnli_arena_free(&e->scratch, &mem);
    fnli_pool_free(&e->contacts, &mem);
    fnli_pool_free(&e->keys, &mem);
    fnli_map_free(&e->keymap, &mem);
    fnli_pool_free(&e->attrs, &mem);
    fnli_pool_free(&e->names, &mem);
    fnli_pool_free(&e->accounts, &mem);
    fnli_map_free(&e->accmap, &mem);
    fnli_map_free(&e->dommap, &mem);
    fnli_pool_free(&e->dealpool, &mem);
    fnli_map_free(&e->dealmap, &mem);
    fnli_pool_free(&e->dcs, &mem);
    fnli_owners_free(e, &mem);
    fnli_pool_free(&e->costs, &mem);
    fnli_pool_free(&e->classes, &mem);
    fnli_map_free(&e->classmap, &mem);
    fnli_touches_free(e, &mem);
    fnli_w_free(&e->rec);
    fnli_scores_free(e);
    fnli_stages_free(e);
    if (e->events != NULL)
        fnli_free(&mem, e->events, e->events_cap * sizeof(fnli_event));
    fnli_free(&mem, e, sizeof(*e));
}

FNL_API int fnl_engine_now(fnl_engine *e, int64_t *out)
{
    if (e == NULL || out == NULL)
        return FNL_EINVAL;
    *out = e->clock.now(e->clock.ctx);
    fnli_clear(e);
    return FNL_OK;
}

FNL_API int fnl_engine_stats(const fnl_engine *e, fnl_stats *out)
{
    fnl_stats s = FNL_STATS_INIT;
    uint32_t size;
    if (e == NULL || out == NULL)
        return FNL_EINVAL;
    memcpy(&size, out, sizeof(size));
    if (size < sizeof(uint32_t))
        return fnli_fail(e, FNL_EINVAL, "stats: size not set");
    s.contacts = e->live_contacts;
    s.merges = e->merges;
    s.accounts = fnli_pool_live(&e->accounts);
    s.touches = e->touches.count - 1;
    s.deals = fnli_pool_live(&e->dealpool);
    s.costs = fnli_pool_live(&e->costs);
    s.identity_keys = e->identity_keys;
    s.strings = fnli_intern_count(&e->strings);
    s.string_bytes = e->strings.text_bytes;
    s.memory_bytes = e->mem.bytes;
    s.memory_peak = e->mem.peak;
    s.forgotten = e->forgotten;
    s.journal_seq = e->seq;
    s.size = size;
    memcpy(out, &s, size < sizeof(s) ? size : sizeof(s));
    fnli_clear(e);
    return FNL_OK;
}

/* ---- shared validation -------------------------------------------------- */

int fnli_check_str(const fnl_engine *e, const char *what, const char *s,
                   int required, fnli_sv *out)
{
    size_t n;
    out->p = NULL;
    out->n = 0;
    if (s == NULL) {
        if (required)
            return fnli_fail(e, FNL_EINVAL, "%s: required", what);
        return FNL_OK;
    }
    n = strnlen(s, FNL_MAX_STRING + 1);
    if (n > FNL_MAX_STRING)
        return fnli_fail(e, FNL_EINVAL, "%s: longer than %d bytes", what,
                         FNL_MAX_STRING);
    if (n == 0)
        return fnli_fail(e, FNL_EINVAL, "%s: empty", what);
    if (!fnli_utf8_valid(s, n))
        return fnli_fail(e, FNL_EINVAL, "%s: invalid UTF-8", what);
    out->p = s;
    out->n = n;
    return FNL_OK;
}

int fnli_check_time(const fnl_engine *e, const char *what, int64_t t,
                    int64_t *out)
{
    if (t == FNL_TIME_NOW)
        t = e->clock.now(e->clock.ctx);
    if (t < FNL_TIME_MIN || t > FNL_TIME_MAX)
        return fnli_fail(e, FNL_EINVAL,
                         "%s: %lld ms is outside 1970..9999", what,
                         (long long)t);
    *out = t;
    return FNL_OK;
}

const char *fnli_scratch_dup(fnl_engine *e, const char *s, size_t n)
{
    char *p = fnli_arena_alloc(&e->scratch, &e->mem, n + 1);
    if (p == NULL)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

uint8_t fnli_source_prio(const fnl_engine *e, fnli_sv src)
{
    size_t i;
    if (src.p == NULL)
        return 0;
    for (i = 0; i < e->nsources; i++)
        if (strlen(e->sources[i]) == src.n &&
            memcmp(e->sources[i], src.p, src.n) == 0)
            return (uint8_t)(254 - i);
    return 0;
}

/* ---- the mutation envelope and events ----------------------------------- */

int fnli_begin(fnl_engine *e)
{
    if (e->busy)
        return fnli_fail(e, FNL_EBUSY,
                         "mutating call from inside the listener");
    fnli_clear(e);
    e->nevents = 0;
    fnli_memo_new_call(e);
    /* evaluations an earlier call could not complete come first */
    if (fnli_stages_pending(e) && fnli_stages_settle(e) != FNL_OK)
        return fnli_fail(e, FNL_ENOMEM,
                         "allocation failed completing the stage "
                         "evaluations of an earlier call");
    return FNL_OK;
}

void fnli_memo_new_call(fnl_engine *e)
{
    if (++e->memo_gen == 0) {
        memset(e->memo, 0, sizeof(e->memo));
        e->memo_gen = 1;
    }
}

fnli_memo *fnli_memo_slot(fnl_engine *e, const char *ptr, uint32_t field,
                          int *hit)
{
    uint64_t h = fnli_hash_u64((uint64_t)(uintptr_t)ptr * 31 + field);
    fnli_memo *m = &e->memo[h & (MEMO_SLOTS - 1)];
    *hit = m->gen == e->memo_gen && m->ptr == ptr && m->field == field;
    return m;
}

void fnli_memo_fill(fnl_engine *e, fnli_memo *m, const char *ptr,
                    uint32_t field, fnli_sv sv, uint32_t id)
{
    m->ptr = ptr;
    m->gen = e->memo_gen;
    m->field = field;
    m->sv = sv;
    m->id = id;
}

int fnli_queue_reserve(fnl_engine *e, size_t n)
{
    void *v = e->events;
    int rc;
    if (!e->has_listener)
        return FNL_OK;
    rc = fnli_grow(&e->mem, &v, &e->events_cap, e->nevents + n,
                   sizeof(fnli_event), 16);
    e->events = v;
    return rc;
}

void fnli_queue(fnl_engine *e, uint32_t kind, uint32_t contact,
                uint32_t other, uint32_t account, uint32_t name, int64_t time)
{
    fnli_event *ev;
    if (!e->has_listener)
        return;
    ev = &e->events[e->nevents++];
    ev->kind = kind;
    ev->contact = contact;
    ev->other = other;
    ev->account = account;
    ev->name = name;
    ev->time = time;
    ev->handle = 0;
    ev->model = 0;
    ev->key_event = 0;
    ev->text = NULL;
}

static void deliver(fnl_engine *e)
{
    size_t i;
    e->busy = 1;
    for (i = 0; i < e->nevents; i++) {
        const fnli_event *q = &e->events[i];
        fnl_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.size = sizeof(ev);
        ev.kind = q->kind;
        ev.time = q->time;
        if (q->contact)
            ev.contact = fnli_handle(CONTACT(e, q->contact)->gen, q->contact);
        else if (q->handle)
            ev.contact = q->handle;
        if (q->other)
            ev.other = fnli_handle(CONTACT(e, q->other)->gen, q->other);
        if (q->account)
            ev.account = fnli_handle(ACCOUNT(e, q->account)->gen, q->account);
        ev.name = q->name ? fnli_str(&e->strings, q->name) : q->text;
        if (q->kind == FNL_EVENT_KEY_EVENT && q->model != 0 &&
            q->model <= fnli_scores_count(e)) {
            const fnl_model *m = fnli_scores_model(e, q->model - 1);
            ev.model = fnl_model_name(m);
            ev.name = fnl_model_key_event_name(m, q->key_event);
        }
        e->listener.on_event(e->listener.ctx, &ev);
    }
    e->busy = 0;
    e->nevents = 0;
}

int fnli_end(fnl_engine *e, int rc)
{
    fnli_arena_reset(&e->scratch, &e->mem);
    if (rc != FNL_OK) {
        e->nevents = 0;
        e->ndirty = 0;
        if (e->errmsg[0] == '\0')
            fnli_fail(e, rc, "%s", "call failed");
        return rc;
    }
    fnli_scores_settle(e);
    if (e->nevents > 0)
        deliver(e);
    fnli_clear(e);
    return FNL_OK;
}
