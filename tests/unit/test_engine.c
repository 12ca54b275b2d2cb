/* Engine lifecycle, configuration, errors, stats, listener rules. */
#include "../failalloc.h"
#include "../test.h"
#include "funnelcore.h"

static int64_t fixed_now(void *ctx)
{
    return *(const int64_t *)ctx;
}

TEST(version_is_reported)
{
    CHECK_STR(fnl_version(), "0.1.0");
    CHECK_INT(fnl_version_number(), 100);
    CHECK_INT(FNL_VERSION_NUMBER, 100);
}

TEST(strerror_names_every_code)
{
    int codes[] = {FNL_OK, FNL_EINVAL, FNL_ENOMEM, FNL_EIO, FNL_ENOTFOUND,
                   FNL_ECORRUPT, FNL_EVERSION, FNL_ESTALE, FNL_ERANGE,
                   FNL_ECANCELED, FNL_EEXIST, FNL_ELIMIT, FNL_EBUSY,
                   FNL_EUNSUPPORTED};
    size_t i, j, n = sizeof(codes) / sizeof(codes[0]);
    for (i = 0; i < n; i++) {
        CHECK(strcmp(fnl_strerror(codes[i]), "unknown error") != 0);
        for (j = 0; j < i; j++)
            CHECK(strcmp(fnl_strerror(codes[i]), fnl_strerror(codes[j])) != 0);
    }
    CHECK_STR(fnl_strerror(-999), "unknown error");
    CHECK_STR(fnl_strerror(FNL_EINVAL), "invalid argument");
}

TEST(open_with_defaults_and_close_null)
{
    fnl_engine *e = NULL;
    fnl_stats st = FNL_STATS_INIT;
    CHECK_OK(fnl_engine_open(&e, NULL));
    CHECK(e != NULL);
    CHECK_STR(fnl_errmsg(e), "");
    CHECK_OK(fnl_engine_stats(e, &st));
    CHECK_INT(st.contacts, 0);
    CHECK_INT(st.touches, 0);
    CHECK(st.memory_bytes > 0);
    fnl_engine_close(e);
    fnl_engine_close(NULL);
    CHECK_STR(fnl_errmsg(NULL), "");
    CHECK_INT(fnl_engine_open(NULL, NULL), FNL_EINVAL);
}

TEST(bad_configs_are_refused)
{
    fnl_engine *e = NULL;
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_allocator a = {0, NULL, NULL, NULL, NULL};
    fnl_clock clk = {FNL_CLOCK_VERSION, NULL, NULL};
    fnl_listener l = {FNL_LISTENER_VERSION + 1, NULL, NULL};
    fnl_channel_rule rule = {99, "x", "y"};
    const char *srcs[] = {"crm", NULL};

    cfg.size = 2;
    CHECK_INT(fnl_engine_open(&e, &cfg), FNL_EINVAL);
    cfg.size = sizeof(cfg);
    cfg.allocator = &a;
    CHECK_INT(fnl_engine_open(&e, &cfg), FNL_EINVAL);
    a.version = 99;
    CHECK_INT(fnl_engine_open(&e, &cfg), FNL_EVERSION);
    cfg.allocator = NULL;
    cfg.clock = &clk;
    CHECK_INT(fnl_engine_open(&e, &cfg), FNL_EINVAL);
    cfg.clock = NULL;
    cfg.listener = &l;
    CHECK_INT(fnl_engine_open(&e, &cfg), FNL_EVERSION);
    cfg.listener = NULL;
    cfg.precedence = 7;
    CHECK_INT(fnl_engine_open(&e, &cfg), FNL_EINVAL);
    cfg.precedence = FNL_PRECEDENCE_LATEST;
    cfg.default_country_code = "08";
    CHECK_INT(fnl_engine_open(&e, &cfg), FNL_EINVAL);
    cfg.default_country_code = "4a";
    CHECK_INT(fnl_engine_open(&e, &cfg), FNL_EINVAL);
    cfg.default_country_code = NULL;
    cfg.channel_rules = &rule;
    cfg.channel_rule_count = 1;
    CHECK_INT(fnl_engine_open(&e, &cfg), FNL_EINVAL);
    rule.field = FNL_FIELD_UTM_SOURCE;
    rule.pattern = "";
    CHECK_INT(fnl_engine_open(&e, &cfg), FNL_EINVAL);
    cfg.channel_rules = NULL;
    cfg.channel_rule_count = 0;
    cfg.source_priority = srcs;
    cfg.source_priority_count = 2; /* second entry NULL */
    CHECK_INT(fnl_engine_open(&e, &cfg), FNL_EINVAL);
    CHECK(e == NULL);
}

TEST(config_init_serves_old_and_ffi_callers)
{
    fnl_engine_config cfg;
    fnl_engine *e = NULL;
    memset(&cfg, 0xAB, sizeof(cfg));
    CHECK_OK(fnl_engine_config_init(&cfg, sizeof(cfg)));
    CHECK_INT(cfg.size, sizeof(cfg));
    CHECK(cfg.allocator == NULL && cfg.clock == NULL);
    CHECK_OK(fnl_engine_open(&e, &cfg));
    fnl_engine_close(e);
    /* a caller compiled when the struct ended after `clock` */
    memset(&cfg, 0xCD, sizeof(cfg));
    CHECK_OK(fnl_engine_config_init(&cfg,
                                    offsetof(fnl_engine_config, listener)));
    CHECK_INT(cfg.size, offsetof(fnl_engine_config, listener));
    CHECK_OK(fnl_engine_open(&e, &cfg)); /* garbage past size is ignored */
    fnl_engine_close(e);
    CHECK_INT(fnl_engine_config_init(NULL, sizeof(cfg)), FNL_EINVAL);
    CHECK_INT(fnl_engine_config_init(&cfg, 2), FNL_EINVAL);
}

TEST(clock_callback_is_the_engines_now)
{
    int64_t now = 1700000000123;
    fnl_clock clk = {FNL_CLOCK_VERSION, &now, fixed_now};
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_engine *e;
    fnl_contact_update u = FNL_CONTACT_UPDATE_INIT;
    fnl_key k = {"email", "a@x.io"};
    fnl_contact_id c;
    fnl_contact_info ci = FNL_CONTACT_INFO_INIT;
    int64_t t;
    cfg.clock = &clk;
    CHECK_OK(fnl_engine_open(&e, &cfg));
    CHECK_OK(fnl_engine_now(e, &t));
    CHECK_INT(t, 1700000000123);
    u.keys = &k;
    u.key_count = 1;
    CHECK_OK(fnl_contact_upsert(e, &u, &c));
    CHECK_OK(fnl_contact_get(e, c, &ci));
    CHECK_INT(ci.created, 1700000000123);
    fnl_engine_close(e);
}

TEST(memory_is_counted_exactly_and_returned)
{
    failalloc fa = {-1, 0, 0, 0, 0};
    fnl_allocator a = fa_table(&fa);
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_engine *e;
    fnl_stats st = FNL_STATS_INIT;
    fnl_touch t = FNL_TOUCH_INIT;
    fnl_key k = {"email", "m@acme.com"};
    cfg.allocator = &a;
    CHECK_OK(fnl_engine_open(&e, &cfg));
    t.keys = &k;
    t.key_count = 1;
    t.time = 1000;
    t.channel = "email";
    CHECK_OK(fnl_touch_add(e, &t, NULL));
    CHECK_OK(fnl_engine_stats(e, &st));
    CHECK_INT(st.memory_bytes, fa.outstanding);
    CHECK(st.memory_peak >= st.memory_bytes);
    fnl_engine_close(e);
    CHECK_INT(fa.outstanding, 0);
}

TEST(open_fails_cleanly_at_every_allocation)
{
    failalloc fa = {-1, 0, 0, 0, 0};
    fnl_allocator a = fa_table(&fa);
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_channel_rule rule = {FNL_FIELD_UTM_SOURCE, "wecom*", "wecom"};
    const char *srcs[] = {"crm", "web"};
    fnl_engine *e = NULL;
    long n;
    int rc = -1;
    cfg.allocator = &a;
    cfg.channel_rules = &rule;
    cfg.channel_rule_count = 1;
    cfg.source_priority = srcs;
    cfg.source_priority_count = 2;
    for (n = 0; n < 100; n++) {
        fa_arm(&fa, n, 0);
        rc = fnl_engine_open(&e, &cfg);
        fa_disarm(&fa);
        if (rc == FNL_OK)
            break;
        CHECK_INT(rc, FNL_ENOMEM);
        CHECK_INT(fa.outstanding, 0);
    }
    CHECK_OK(rc);
    CHECK(n > 3);
    fnl_engine_close(e);
    CHECK_INT(fa.outstanding, 0);
}

static fnl_engine *g_engine;
static int g_inner_rc;
static int g_events;

static void mutating_listener(void *ctx, const fnl_event *ev)
{
    fnl_contact_update u = FNL_CONTACT_UPDATE_INIT;
    fnl_key k = {"email", "inner@gmail.com"};
    fnl_contact_info ci = FNL_CONTACT_INFO_INIT;
    (void)ctx;
    g_events++;
    u.keys = &k;
    u.key_count = 1;
    g_inner_rc = fnl_contact_upsert(g_engine, &u, NULL);
    /* reading is allowed */
    if (ev->kind == FNL_EVENT_CONTACT_CREATED &&
        fnl_contact_get(g_engine, ev->contact, &ci) != FNL_OK)
        g_inner_rc = 1;
}

TEST(listener_may_read_but_not_mutate)
{
    fnl_listener l = {FNL_LISTENER_VERSION, NULL, mutating_listener};
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_contact_update u = FNL_CONTACT_UPDATE_INIT;
    fnl_key k = {"email", "outer@gmail.com"}; /* free mail: no account events */
    fnl_stats st = FNL_STATS_INIT;
    cfg.listener = &l;
    CHECK_OK(fnl_engine_open(&g_engine, &cfg));
    u.keys = &k;
    u.key_count = 1;
    g_events = 0;
    CHECK_OK(fnl_contact_upsert(g_engine, &u, NULL));
    CHECK_INT(g_events, 1);
    CHECK_INT(g_inner_rc, FNL_EBUSY);
    CHECK_OK(fnl_engine_stats(g_engine, &st));
    CHECK_INT(st.contacts, 1);
    fnl_engine_close(g_engine);
}

TEST(errmsg_explains_the_last_failure)
{
    fnl_engine *e;
    fnl_contact_update u = FNL_CONTACT_UPDATE_INIT;
    fnl_key k = {"email", "no-at-sign"};
    fnl_contact_id c;
    CHECK_OK(fnl_engine_open(&e, NULL));
    u.keys = &k;
    u.key_count = 1;
    CHECK_INT(fnl_contact_upsert(e, &u, &c), FNL_EINVAL);
    CHECK(strstr(fnl_errmsg(e), "email") != NULL);
    CHECK(strstr(fnl_errmsg(e), "invalid argument") != NULL);
    k.value = "ok@x.io";
    CHECK_OK(fnl_contact_upsert(e, &u, &c));
    CHECK_STR(fnl_errmsg(e), "");
    CHECK_INT(fnl_contact_find(e, "email", "missing@x.io", &c),
              FNL_ENOTFOUND);
    CHECK(strstr(fnl_errmsg(e), "missing@x.io") != NULL);
    fnl_engine_close(e);
}

TEST(stats_respect_the_callers_size)
{
    fnl_engine *e;
    fnl_stats st;
    CHECK_OK(fnl_engine_open(&e, NULL));
    memset(&st, 0x5A, sizeof(st));
    CHECK_OK(fnl_stats_init(&st, offsetof(fnl_stats, touches)));
    CHECK_OK(fnl_engine_stats(e, &st));
    CHECK_INT(st.contacts, 0);
    /* bytes past the caller's size are untouched */
    CHECK_INT(((unsigned char *)&st)[offsetof(fnl_stats, touches)], 0x5A);
    st.size = 0;
    CHECK_INT(fnl_engine_stats(e, &st), FNL_EINVAL);
    CHECK_INT(fnl_engine_stats(e, NULL), FNL_EINVAL);
    fnl_engine_close(e);
}

int main(void)
{
    RUN(version_is_reported);
    RUN(strerror_names_every_code);
    RUN(open_with_defaults_and_close_null);
    RUN(bad_configs_are_refused);
    RUN(config_init_serves_old_and_ffi_callers);
    RUN(clock_callback_is_the_engines_now);
    RUN(memory_is_counted_exactly_and_returned);
    RUN(open_fails_cleanly_at_every_allocation);
    RUN(listener_may_read_but_not_mutate);
    RUN(errmsg_explains_the_last_failure);
    RUN(stats_respect_the_callers_size);
    TEST_MAIN_END();
}
