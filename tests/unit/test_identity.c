/* Identity resolution: normalised keys, merges (transitive, oldest wins),
 * precedence of attributes, tags, accounts from e-mail domains, handles. */
#include "../dump.h"
#include "../test.h"
#include "funnelcore.h"

static fnl_engine *open_engine(const fnl_engine_config *cfg)
{
    fnl_engine *e = NULL;
    if (fnl_engine_open(&e, cfg) != FNL_OK)
        abort();
    return e;
}

static int upsert1(fnl_engine *e, const char *kind, const char *value,
                   int64_t time, fnl_contact_id *out)
{
    fnl_contact_update u = FNL_CONTACT_UPDATE_INIT;
    fnl_key k;
    k.kind = kind;
    k.value = value;
    u.keys = &k;
    u.key_count = 1;
    u.time = time;
    return fnl_contact_upsert(e, &u, out);
}

static int upsert2(fnl_engine *e, const char *k1, const char *v1,
                   const char *k2, const char *v2, fnl_contact_id *out)
{
    fnl_contact_update u = FNL_CONTACT_UPDATE_INIT;
    fnl_key k[2];
    k[0].kind = k1;
    k[0].value = v1;
    k[1].kind = k2;
    k[1].value = v2;
    u.keys = k;
    u.key_count = 2;
    u.time = 5000;
    return fnl_contact_upsert(e, &u, out);
}

static uint64_t stat_contacts(fnl_engine *e)
{
    fnl_stats st = FNL_STATS_INIT;
    fnl_engine_stats(e, &st);
    return st.contacts;
}

TEST(email_keys_are_normalised)
{
    fnl_engine *e = open_engine(NULL);
    fnl_contact_id a, b, f;
    fnl_key keys[2];
    size_t n;
    CHECK_OK(upsert1(e, "email", "  Alice.Smith@ACME.com ", 1000, &a));
    CHECK_OK(upsert1(e, "EMAIL", "alice.smith@acme.com", 2000, &b));
    CHECK_INT(a, b);
    CHECK_OK(fnl_contact_find(e, "Email", "ALICE.SMITH@acme.COM", &f));
    CHECK_INT(f, a);
    CHECK_OK(fnl_contact_keys(e, a, keys, 2, &n));
    CHECK_INT(n, 1);
    CHECK_STR(keys[0].kind, "email");
    CHECK_STR(keys[0].value, "alice.smith@acme.com");
    CHECK_INT(stat_contacts(e), 1);
    fnl_engine_close(e);
}

TEST(phone_keys_are_normalised_with_a_default_country)
{
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_engine *e;
    fnl_contact_id a, b, c;
    fnl_key keys[1];
    size_t n;
    cfg.default_country_code = "86";
    e = open_engine(&cfg);
    CHECK_OK(upsert1(e, "phone", "+86 138-0013-8000", 1000, &a));
    CHECK_OK(upsert1(e, "phone", "008613800138000", 1000, &b));
    CHECK_OK(upsert1(e, "phone", "138 0013 8000", 1000, &c));
    CHECK_INT(a, b);
    CHECK_INT(a, c);
    CHECK_OK(fnl_contact_keys(e, a, keys, 1, &n));
    CHECK_STR(keys[0].value, "+8613800138000");
    CHECK_INT(upsert1(e, "phone", "call me", 1000, &a), FNL_EINVAL);
    fnl_engine_close(e);
}

TEST(keys_of_two_contacts_merge_them_and_the_oldest_survives)
{
    fnl_engine *e = open_engine(NULL);
    fnl_contact_id a, b, m, r, f;
    fnl_key keys[4];
    fnl_stats st = FNL_STATS_INIT;
    size_t n;
    CHECK_OK(upsert1(e, "email", "ann@acme.com", 1000, &a));
    CHECK_OK(upsert1(e, "cookie_id", "ck-1", 2000, &b));
    CHECK(a != b);
    CHECK_INT(stat_contacts(e), 2);
    CHECK_OK(upsert2(e, "cookie_id", "ck-1", "email", "ann@acme.com", &m));
    CHECK_INT(m, a);
    CHECK_OK(fnl_engine_stats(e, &st));
    CHECK_INT(st.contacts, 1);
    CHECK_INT(st.merges, 1);
    CHECK_INT(st.identity_keys, 2);
    /* the merged-away handle resolves to the survivor */
    CHECK_OK(fnl_contact_resolve(e, b, &r));
    CHECK_INT(r, a);
    CHECK_OK(fnl_contact_find(e, "cookie_id", "ck-1", &f));
    CHECK_INT(f, a);
    CHECK_OK(fnl_contact_keys(e, b, keys, 4, &n));
    CHECK_INT(n, 2);
    CHECK_STR(keys[0].value, "ann@acme.com");
    CHECK_STR(keys[1].value, "ck-1");
    fnl_engine_close(e);
}

TEST(merges_are_transitive)
{
    fnl_engine *e = open_engine(NULL);
    fnl_contact_id a, b, c, m, r;
    fnl_stats st = FNL_STATS_INIT;
    CHECK_OK(upsert1(e, "email", "a@x.io", 1, &a));
    CHECK_OK(upsert1(e, "cookie_id", "b", 2, &b));
    CHECK_OK(upsert1(e, "wechat_id", "c", 3, &c));
    CHECK_OK(upsert2(e, "cookie_id", "b", "wechat_id", "c", &m));
    CHECK_INT(m, b);
    CHECK_OK(upsert2(e, "wechat_id", "c", "email", "a@x.io", &m));
    CHECK_INT(m, a);
    CHECK_OK(fnl_contact_resolve(e, c, &r));
    CHECK_INT(r, a);
    CHECK_OK(fnl_contact_resolve(e, b, &r));
    CHECK_INT(r, a);
    CHECK_OK(fnl_engine_stats(e, &st));
    CHECK_INT(st.contacts, 1);
    CHECK_INT(st.merges, 2);
    /* iteration sees only the survivor */
    CHECK_OK(fnl_contact_next(e, 0, &m));
    CHECK_INT(m, a);
    CHECK_INT(fnl_contact_next(e, m, &m), FNL_ENOTFOUND);
    fnl_engine_close(e);
}

typedef struct evlog {
    int n;
    uint32_t kind[16];
    uint64_t contact[16], other[16];
    char name[16][32];
} evlog;

static void log_event(void *ctx, const fnl_event *ev)
{
    evlog *l = ctx;
    if (l->n >= 16)
        return;
    l->kind[l->n] = ev->kind;
    l->contact[l->n] = ev->contact;
    l->other[l->n] = ev->other;
    snprintf(l->name[l->n], 32, "%s", ev->name ? ev->name : "");
    l->n++;
}

TEST(merges_and_creations_are_reported_after_the_call)
{
    evlog log;
    fnl_listener l = {FNL_LISTENER_VERSION, &log, log_event};
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_engine *e;
    fnl_contact_id a, b, m;
    memset(&log, 0, sizeof(log));
    cfg.listener = &l;
    e = open_engine(&cfg);
    CHECK_OK(upsert1(e, "email", "a@corp.example", 1, &a));
    /* created, account created, account assigned */
    CHECK_INT(log.n, 3);
    CHECK_INT(log.kind[0], FNL_EVENT_CONTACT_CREATED);
    CHECK_INT(log.contact[0], a);
    CHECK_INT(log.kind[1], FNL_EVENT_ACCOUNT_CREATED);
    CHECK_STR(log.name[1], "corp.example");
    CHECK_INT(log.kind[2], FNL_EVENT_ACCOUNT_ASSIGNED);
    CHECK_OK(upsert1(e, "cookie_id", "z", 2, &b));
    CHECK_INT(log.n, 4);
    CHECK_OK(upsert2(e, "email", "a@corp.example", "cookie_id", "z", &m));
    CHECK_INT(log.n, 5);
    CHECK_INT(log.kind[4], FNL_EVENT_CONTACT_MERGED);
    CHECK_INT(log.contact[4], a);
    CHECK_INT(log.other[4], b);
    /* a failed call reports nothing */
    CHECK_INT(upsert1(e, "email", "broken", 3, &m), FNL_EINVAL);
    CHECK_INT(log.n, 5);
    fnl_engine_close(e);
}

static int set_attr(fnl_engine *e, const char *email, const char *name,
                    const char *value, int64_t time, const char *source)
{
    fnl_contact_update u = FNL_CONTACT_UPDATE_INIT;
    fnl_key k = {"email", NULL};
    fnl_attr a;
    k.value = email;
    a.name = name;
    a.type = value ? FNL_ATTR_STRING : FNL_ATTR_UNSET;
    a.str = value;
    a.num = 0;
    u.keys = &k;
    u.key_count = 1;
    u.attrs = &a;
    u.attr_count = 1;
    u.time = time;
    u.source = source;
    return fnl_contact_upsert(e, &u, NULL);
}

static const char *get_attr(fnl_engine *e, const char *email,
                            const char *name)
{
    fnl_contact_id c;
    fnl_attr a;
    if (fnl_contact_find(e, "email", email, &c) != FNL_OK)
        return "(no contact)";
    if (fnl_contact_attr(e, c, name, &a) != FNL_OK)
        return "(none)";
    return a.str;
}

TEST(latest_value_wins_whatever_the_arrival_order)
{
    fnl_engine *e = open_engine(NULL);
    CHECK_OK(set_attr(e, "p@x.io", "title", "CTO", 2000, NULL));
    CHECK_OK(set_attr(e, "p@x.io", "title", "Engineer", 1000, NULL));
    CHECK_STR(get_attr(e, "p@x.io", "title"), "CTO");
    CHECK_OK(set_attr(e, "p@x.io", "Title", "CEO", 3000, NULL));
    CHECK_STR(get_attr(e, "p@x.io", "title"), "CEO");
    /* an older unset does not remove a newer value; a newer one does */
    CHECK_OK(set_attr(e, "p@x.io", "title", NULL, 2500, NULL));
    CHECK_STR(get_attr(e, "p@x.io", "title"), "CEO");
    CHECK_OK(set_attr(e, "p@x.io", "title", NULL, 3500, NULL));
    CHECK_STR(get_attr(e, "p@x.io", "title"), "(none)");
    fnl_engine_close(e);
}

TEST(source_priority_beats_recency)
{
    const char *srcs[] = {"crm", "web"};
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_engine *e;
    cfg.precedence = FNL_PRECEDENCE_SOURCE;
    cfg.source_priority = srcs;
    cfg.source_priority_count = 2;
    e = open_engine(&cfg);
    CHECK_OK(set_attr(e, "q@x.io", "industry", "Banking", 1000, "crm"));
    CHECK_OK(set_attr(e, "q@x.io", "industry", "Retail", 9000, "web"));
    CHECK_STR(get_attr(e, "q@x.io", "industry"), "Banking");
    CHECK_OK(set_attr(e, "q@x.io", "industry", "Insurance", 9000, "import"));
    CHECK_STR(get_attr(e, "q@x.io", "industry"), "Banking");
    CHECK_OK(set_attr(e, "q@x.io", "industry", "Finance", 500, "crm"));
    CHECK_STR(get_attr(e, "q@x.io", "industry"), "Banking");
    CHECK_OK(set_attr(e, "q@x.io", "industry", "Fintech", 1500, "crm"));
    CHECK_STR(get_attr(e, "q@x.io", "industry"), "Fintech");
    fnl_engine_close(e);
}

TEST(merge_keeps_attributes_by_precedence)
{
    fnl_engine *e = open_engine(NULL);
    fnl_contact_update u = FNL_CONTACT_UPDATE_INIT;
    fnl_key ck = {"cookie_id", "c9"};
    fnl_attr a[2] = {{"title", FNL_ATTR_STRING, "VP Sales", 0},
                     {"employees", FNL_ATTR_NUMBER, NULL, 250}};
    fnl_attr out[4];
    fnl_contact_id c;
    size_t n;
    CHECK_OK(set_attr(e, "r@x.io", "title", "Manager", 1000, NULL));
    CHECK_OK(set_attr(e, "r@x.io", "city", "Shanghai", 1000, NULL));
    u.keys = &ck;
    u.key_count = 1;
    u.attrs = a;
    u.attr_count = 2;
    u.time = 2000;
    CHECK_OK(fnl_contact_upsert(e, &u, NULL));
    CHECK_OK(upsert2(e, "email", "r@x.io", "cookie_id", "c9", &c));
    CHECK_OK(fnl_contact_attrs(e, c, out, 4, &n));
    CHECK_INT(n, 3); /* sorted by name */
    CHECK_STR(out[0].name, "city");
    CHECK_STR(out[0].str, "Shanghai");
    CHECK_STR(out[1].name, "employees");
    CHECK_INT(out[1].type, FNL_ATTR_NUMBER);
    CHECK_NEAR(out[1].num, 250, 0);
    CHECK_STR(out[2].name, "title");
    CHECK_STR(out[2].str, "VP Sales");
    CHECK_INT(fnl_contact_attrs(e, c, out, 2, &n), FNL_ERANGE);
    CHECK_INT(n, 3);
    fnl_engine_close(e);
}

TEST(tags_are_added_removed_and_sorted)
{
    fnl_engine *e = open_engine(NULL);
    fnl_contact_update u = FNL_CONTACT_UPDATE_INIT;
    fnl_key k = {"email", "t@x.io"};
    const char *add[] = {"webinar", "vip", "webinar"};
    const char *del[] = {"vip", "never-had"};
    const char *tags[4];
    fnl_contact_id c;
    size_t n;
    u.keys = &k;
    u.key_count = 1;
    u.tags_add = add;
    u.tags_add_count = 3;
    CHECK_OK(fnl_contact_upsert(e, &u, &c));
    CHECK_OK(fnl_contact_tags(e, c, tags, 4, &n));
    CHECK_INT(n, 2);
    CHECK_STR(tags[0], "vip");
    CHECK_STR(tags[1], "webinar");
    u.tags_add = NULL;
    u.tags_add_count = 0;
    u.tags_remove = del;
    u.tags_remove_count = 2;
    CHECK_OK(fnl_contact_upsert(e, &u, &c));
    CHECK_OK(fnl_contact_tags(e, c, tags, 4, &n));
    CHECK_INT(n, 1);
    CHECK_STR(tags[0], "webinar");
    fnl_engine_close(e);
}

TEST(business_domains_make_accounts_and_freemail_never_does)
{
    const char *extra[] = {"Corp-Mail.CN"};
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_engine *e;
    fnl_contact_id a, b, g, q, d;
    fnl_contact_info ia = FNL_CONTACT_INFO_INIT, ib = FNL_CONTACT_INFO_INIT,
                     ig = FNL_CONTACT_INFO_INIT, iq = FNL_CONTACT_INFO_INIT,
                     id = FNL_CONTACT_INFO_INIT;
    fnl_account_info ai = FNL_ACCOUNT_INFO_INIT;
    fnl_account_id acc;
    fnl_contact_id members[4];
    int fm;
    size_t n;
    cfg.freemail_domains = extra;
    cfg.freemail_domain_count = 1;
    e = open_engine(&cfg);
    CHECK_OK(upsert1(e, "email", "ann@acme.com", 1, &a));
    CHECK_OK(upsert1(e, "email", "bob@ACME.com", 2, &b));
    CHECK_OK(upsert1(e, "email", "gina@gmail.com", 3, &g));
    CHECK_OK(upsert1(e, "email", "li@qq.com", 4, &q));
    CHECK_OK(upsert1(e, "email", "dan@corp-mail.cn", 5, &d));
    fnl_contact_get(e, a, &ia);
    fnl_contact_get(e, b, &ib);
    fnl_contact_get(e, g, &ig);
    fnl_contact_get(e, q, &iq);
    fnl_contact_get(e, d, &id);
    CHECK(ia.account != 0);
    CHECK_INT(ib.account, ia.account);
    CHECK_INT(ig.account, 0);
    CHECK_INT(iq.account, 0);
    CHECK_INT(id.account, 0);
    CHECK_OK(fnl_account_find(e, "ACME.com", &acc));
    CHECK_INT(acc, ia.account);
    CHECK_OK(fnl_account_get(e, acc, &ai));
    CHECK_STR(ai.name, "acme.com");
    CHECK_INT(ai.contact_count, 2);
    CHECK_OK(fnl_account_contacts(e, acc, members, 4, &n));
    CHECK_INT(n, 2);
    CHECK_INT(members[0], a);
    CHECK_INT(members[1], b);
    CHECK_OK(fnl_domain_is_freemail(e, "163.com", &fm));
    CHECK_INT(fm, 1);
    CHECK_OK(fnl_domain_is_freemail(e, "corp-mail.cn", &fm));
    CHECK_INT(fm, 1);
    CHECK_OK(fnl_domain_is_freemail(e, "acme.com", &fm));
    CHECK_INT(fm, 0);
    fnl_engine_close(e);
}

TEST(explicit_account_and_account_upsert)
{
    fnl_engine *e = open_engine(NULL);
    fnl_account_update au = FNL_ACCOUNT_UPDATE_INIT;
    fnl_contact_update u = FNL_CONTACT_UPDATE_INIT;
    const char *doms[] = {"Globex.com", "globex.cn"};
    const char *gmail[] = {"gmail.com"};
    fnl_key k = {"email", "hank@globex.cn"};
    fnl_account_id acc, found;
    fnl_contact_id c;
    fnl_contact_info ci = FNL_CONTACT_INFO_INIT;
    const char *out[4];
    size_t n;
    au.id = "CRM-0042";
    au.domains = doms;
    au.domain_count = 2;
    au.owner = "Mia";
    CHECK_OK(fnl_account_upsert(e, &au, &acc));
    CHECK_OK(fnl_account_domains(e, acc, out, 4, &n));
    CHECK_INT(n, 2);
    CHECK_STR(out[0], "globex.com");
    CHECK_STR(out[1], "globex.cn");
    /* the contact's domain maps to the host's account */
    u.keys = &k;
    u.key_count = 1;
    CHECK_OK(fnl_contact_upsert(e, &u, &c));
    CHECK_OK(fnl_contact_get(e, c, &ci));
    CHECK_INT(ci.account, acc);
    CHECK_OK(fnl_account_find(e, "CRM-0042", &found));
    CHECK_INT(found, acc);
    /* a free-mail domain, or another account's domain, is refused */
    au.id = "CRM-0043";
    au.domains = gmail;
    au.domain_count = 1;
    CHECK_INT(fnl_account_upsert(e, &au, NULL), FNL_EINVAL);
    au.domains = doms;
    CHECK_INT(fnl_account_upsert(e, &au, NULL), FNL_EEXIST);
    CHECK_INT(fnl_account_find(e, "CRM-0043", &found), FNL_ENOTFOUND);
    /* an explicit account moves the contact */
    u.account = "CRM-0099";
    CHECK_OK(fnl_contact_upsert(e, &u, &c));
    CHECK_OK(fnl_contact_get(e, c, &ci));
    CHECK_OK(fnl_account_find(e, "CRM-0099", &found));
    CHECK_INT(ci.account, found);
    fnl_engine_close(e);
}

TEST(bad_handles_are_refused_never_dereferenced)
{
    fnl_engine *e = open_engine(NULL);
    fnl_contact_id a, r;
    fnl_contact_info ci = FNL_CONTACT_INFO_INIT;
    CHECK_OK(upsert1(e, "email", "h@x.io", 1, &a));
    CHECK_INT(fnl_contact_resolve(e, 0, &r), FNL_ENOTFOUND);
    CHECK_INT(fnl_contact_resolve(e, a + 1000, &r), FNL_ENOTFOUND);
    CHECK_INT(fnl_contact_resolve(e, a + ((uint64_t)1 << 32), &r),
              FNL_ESTALE);
    CHECK_INT(fnl_contact_resolve(e, a | ((uint64_t)1 << 60), &r),
              FNL_ESTALE);
    CHECK_INT(fnl_contact_get(e, (uint64_t)-1, &ci), FNL_ENOTFOUND);
    CHECK_INT(fnl_contact_get(e, a, NULL), FNL_EINVAL);
    fnl_engine_close(e);
}

TEST(bad_input_changes_nothing)
{
    fnl_engine *e = open_engine(NULL);
    fnl_contact_update u = FNL_CONTACT_UPDATE_INIT;
    fnl_key keys[FNL_MAX_KEYS + 1];
    fnl_attr attr = {"score", FNL_ATTR_NUMBER, NULL, 0};
    static char big[FNL_MAX_STRING + 2];
    const char *before, *after;
    char *b;
    size_t i;
    CHECK_OK(upsert1(e, "email", "keep@x.io", 1, NULL));
    CHECK_OK(set_attr(e, "keep@x.io", "title", "Boss", 1, NULL));
    b = dump_engine(e);
    before = b;
    for (i = 0; i <= FNL_MAX_KEYS; i++) {
        keys[i].kind = "cookie_id";
        keys[i].value = "k";
    }
    memset(big, 'a', sizeof(big) - 1);
    CHECK_INT(fnl_contact_upsert(e, NULL, NULL), FNL_EINVAL);
    CHECK_INT(fnl_contact_upsert(NULL, &u, NULL), FNL_EINVAL);
    CHECK_INT(fnl_contact_upsert(e, &u, NULL), FNL_EINVAL); /* no key */
    u.keys = keys;
    u.key_count = FNL_MAX_KEYS + 1;
    CHECK_INT(fnl_contact_upsert(e, &u, NULL), FNL_ELIMIT);
    u.key_count = 1;
    keys[0].value = "bad\xff\xfeutf8";
    CHECK_INT(fnl_contact_upsert(e, &u, NULL), FNL_EINVAL);
    keys[0].value = "";
    CHECK_INT(fnl_contact_upsert(e, &u, NULL), FNL_EINVAL);
    keys[0].value = big;
    CHECK_INT(fnl_contact_upsert(e, &u, NULL), FNL_EINVAL);
    keys[0].value = "fine";
    keys[0].kind = "bad kind!";
    CHECK_INT(fnl_contact_upsert(e, &u, NULL), FNL_EINVAL);
    keys[0].kind = NULL;
    CHECK_INT(fnl_contact_upsert(e, &u, NULL), FNL_EINVAL);
    keys[0].kind = "cookie_id";
    u.time = -5;
    CHECK_INT(fnl_contact_upsert(e, &u, NULL), FNL_EINVAL);
    u.time = FNL_TIME_MAX + 1;
    CHECK_INT(fnl_contact_upsert(e, &u, NULL), FNL_EINVAL);
    u.time = 10;
    u.role = 42;
    CHECK_INT(fnl_contact_upsert(e, &u, NULL), FNL_EINVAL);
    u.role = FNL_ROLE_KEEP;
    attr.num = NAN;
    u.attrs = &attr;
    u.attr_count = 1;
    CHECK_INT(fnl_contact_upsert(e, &u, NULL), FNL_EINVAL);
    attr.num = 1;
    attr.type = 77;
    CHECK_INT(fnl_contact_upsert(e, &u, NULL), FNL_EINVAL);
    attr.type = FNL_ATTR_STRING;
    attr.str = NULL;
    CHECK_INT(fnl_contact_upsert(e, &u, NULL), FNL_EINVAL);
    u.attr_count = 0;
    u.owner = "\xc0\xaf";
    CHECK_INT(fnl_contact_upsert(e, &u, NULL), FNL_EINVAL);
    u.owner = NULL;
    u.size = 2;
    CHECK_INT(fnl_contact_upsert(e, &u, NULL), FNL_EINVAL);
    after = dump_engine(e);
    CHECK_STR(after, before);
    free((void *)after);
    free(b);
    fnl_engine_close(e);
}

TEST(roles_round_trip_through_names)
{
    uint32_t r;
    CHECK_STR(fnl_role_name(FNL_ROLE_DECISION_MAKER), "decision_maker");
    CHECK_STR(fnl_role_name(FNL_ROLE_ECONOMIC_BUYER), "economic_buyer");
    CHECK(fnl_role_name(99) == NULL);
    CHECK_OK(fnl_role_parse("champion", &r));
    CHECK_INT(r, FNL_ROLE_CHAMPION);
    CHECK_INT(fnl_role_parse("ceo", &r), FNL_EINVAL);
}

int main(void)
{
    RUN(email_keys_are_normalised);
    RUN(phone_keys_are_normalised_with_a_default_country);
    RUN(keys_of_two_contacts_merge_them_and_the_oldest_survives);
    RUN(merges_are_transitive);
    RUN(merges_and_creations_are_reported_after_the_call);
    RUN(latest_value_wins_whatever_the_arrival_order);
    RUN(source_priority_beats_recency);
    RUN(merge_keeps_attributes_by_precedence);
    RUN(tags_are_added_removed_and_sorted);
    RUN(business_domains_make_accounts_and_freemail_never_does);
    RUN(explicit_account_and_account_upsert);
    RUN(bad_handles_are_refused_never_dereferenced);
    RUN(bad_input_changes_nothing);
    RUN(roles_round_trip_through_names);
    TEST_MAIN_END();
}
