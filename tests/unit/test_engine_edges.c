/* test_engine_edges -- argument and handle checks of the contact and
 * account readers and writers that test_engine and test_identity leave
 * out: NULL arguments, structs whose size was not set, handles that never
 * existed or belong to another generation, short copy-out buffers, and
 * free-mail lookups at their length limits.  Each refusal returns the
 * documented code, explains itself in fnl_errmsg() and changes nothing. */
#include "funnelcore.h"
#include "test.h"

static fnl_engine *open_engine(void)
{
    fnl_engine *e = NULL;
    return fnl_engine_open(&e, NULL) == FNL_OK ? e : NULL;
}

/* A contact with an e-mail key of a business domain: it joins (creating)
 * the account of that domain. */
static fnl_contact_id person(fnl_engine *e, const char *email)
{
    fnl_contact_update u = FNL_CONTACT_UPDATE_INIT;
    fnl_key k;
    fnl_contact_id id = 0;
    k.kind = "email";
    k.value = email;
    u.keys = &k;
    u.key_count = 1;
    if (fnl_contact_upsert(e, &u, &id) != FNL_OK)
        return 0;
    return id;
}

TEST(account_writers_check_their_arguments)
{
    fnl_engine *e = open_engine();
    fnl_account_update u = FNL_ACCOUNT_UPDATE_INIT;
    fnl_account_id a = 0;
    fnl_stats st = FNL_STATS_INIT;
    CHECK(e != NULL);
    CHECK_INT(fnl_account_upsert(NULL, &u, &a), FNL_EINVAL);
    CHECK_INT(fnl_account_upsert(e, NULL, &a), FNL_EINVAL);
    CHECK_STR(fnl_errmsg(e), "invalid argument: account_upsert: NULL argument");
    /* a struct that does not reach `id` */
    u.size = 4;
    u.id = "acme";
    CHECK_INT(fnl_account_upsert(e, &u, &a), FNL_EINVAL);
    CHECK_STR(fnl_errmsg(e), "invalid argument: account_upsert: size not set");
    u.size = sizeof(u);
    /* domains: with '@', with '/', without a dot, free-mail */
    {
        static const char *const bad[] = {"a@acme.com", "acme.com/x",
                                          "localhost", "gmail.com"};
        size_t i;
        for (i = 0; i < 4; i++) {
            u.domains = &bad[i];
            u.domain_count = 1;
            CHECK_INT(fnl_account_upsert(e, &u, &a), FNL_EINVAL);
        }
        u.domains = NULL;
        u.domain_count = 0;
    }
    CHECK_OK(fnl_engine_stats(e, &st));
    CHECK_INT(st.accounts, 0);
    /* "" as owner clears (none was set); the account is created */
    u.owner = "";
    CHECK_OK(fnl_account_upsert(e, &u, &a));
    CHECK(a != 0);
    fnl_engine_close(e);
}

TEST(account_readers_check_handles_and_buffers)
{
    fnl_engine *e = open_engine();
    fnl_account_id a, b, stale;
    fnl_account_info info = FNL_ACCOUNT_INFO_INIT;
    fnl_contact_id c[3], out[4];
    const char *doms[2];
    fnl_attr attrs[2];
    size_t n;
    int fm;
    CHECK(e != NULL);
    c[0] = person(e, "ana@acme.com");
    c[1] = person(e, "bo@acme.com");
    c[2] = person(e, "cy@acme.com");
    CHECK(c[0] && c[1] && c[2]);
    CHECK_OK(fnl_account_find(e, "acme.com", &a));
    /* find */
    CHECK_INT(fnl_account_find(NULL, "acme.com", &b), FNL_EINVAL);
    CHECK_INT(fnl_account_find(e, NULL, &b), FNL_EINVAL);
    CHECK_STR(fnl_errmsg(e), "invalid argument: account_find: NULL argument");
    CHECK_INT(fnl_account_find(e, "acme.com", NULL), FNL_EINVAL);
    CHECK_INT(fnl_account_find(e, "", &b), FNL_EINVAL);
    CHECK_INT(fnl_account_find(e, "ACME.COM", &b), FNL_OK);
    CHECK_INT(b, a);
    CHECK_INT(fnl_account_find(e, "other.com", &b), FNL_ENOTFOUND);
    /* get */
    CHECK_INT(fnl_account_get(NULL, a, &info), FNL_EINVAL);
    CHECK_INT(fnl_account_get(e, a, NULL), FNL_EINVAL);
    CHECK_STR(fnl_errmsg(e), "invalid argument: account_get: NULL argument");
    info.size = 2;
    CHECK_INT(fnl_account_get(e, a, &info), FNL_EINVAL);
    CHECK_STR(fnl_errmsg(e), "invalid argument: account_get: size not set");
    info.size = sizeof(info);
    CHECK_INT(fnl_account_get(e, 0, &info), FNL_ENOTFOUND);
    CHECK_INT(fnl_account_get(e, a + 1, &info), FNL_ENOTFOUND);
    /* the same index in another generation */
    stale = a ^ (UINT64_C(1) << 32);
    CHECK_INT(fnl_account_domains(e, stale, doms, 2, &n), FNL_ESTALE);
    /* every reader says the same of a stale handle */
    CHECK_INT(fnl_account_get(e, stale, &info), FNL_ESTALE);
    CHECK(strstr(fnl_errmsg(e), "is stale") != NULL);
    CHECK_OK(fnl_account_get(e, a, &info));
    CHECK_INT(info.contact_count, 3);
    /* copy-out readers */
    CHECK_INT(fnl_account_domains(NULL, a, doms, 2, &n), FNL_EINVAL);
    CHECK_INT(fnl_account_domains(e, 99, doms, 2, &n), FNL_ENOTFOUND);
    CHECK_OK(fnl_account_domains(e, a, doms, 2, &n));
    CHECK_INT(n, 1);
    CHECK_STR(doms[0], "acme.com");
    CHECK_INT(fnl_account_attrs(NULL, a, attrs, 2, &n), FNL_EINVAL);
    CHECK_INT(fnl_account_attrs(e, 99, attrs, 2, &n), FNL_ENOTFOUND);
    CHECK_OK(fnl_account_attrs(e, a, attrs, 2, &n));
    CHECK_INT(n, 0);
    CHECK_INT(fnl_account_contacts(NULL, a, out, 4, &n), FNL_EINVAL);
    CHECK_INT(fnl_account_contacts(e, 99, out, 4, &n), FNL_ENOTFOUND);
    CHECK_INT(fnl_account_contacts(e, a, out, 2, &n), FNL_ERANGE);
    CHECK_INT(n, 3);
    CHECK_OK(fnl_account_contacts(e, a, out, 4, &n));
    CHECK_INT(n, 3);
    /* oldest first */
    CHECK_INT(out[0], c[0]);
    CHECK_INT(out[2], c[2]);
    /* a forgotten contact leaves the list */
    CHECK_OK(fnl_contact_forget(e, c[1]));
    CHECK_OK(fnl_account_contacts(e, a, out, 4, &n));
    CHECK_INT(n, 2);
    CHECK_INT(out[0], c[0]);
    CHECK_INT(out[1], c[2]);
    /* next */
    CHECK_INT(fnl_account_next(NULL, 0, &b), FNL_EINVAL);
    CHECK_INT(fnl_account_next(e, 0, NULL), FNL_EINVAL);
    CHECK_OK(fnl_account_next(e, 0, &b));
    CHECK_INT(b, a);
    CHECK_INT(fnl_account_next(e, b, &b), FNL_ENOTFOUND);
    CHECK_STR(fnl_errmsg(e), "not found: no more accounts");
    /* free-mail lookups */
    CHECK_INT(fnl_domain_is_freemail(NULL, "gmail.com", &fm), FNL_EINVAL);
    CHECK_INT(fnl_domain_is_freemail(e, NULL, &fm), FNL_EINVAL);
    CHECK_INT(fnl_domain_is_freemail(e, "gmail.com", NULL), FNL_EINVAL);
    CHECK_STR(fnl_errmsg(e),
              "invalid argument: domain_is_freemail: NULL argument");
    CHECK_INT(fnl_domain_is_freemail(e, "", &fm), FNL_EINVAL);
    CHECK_STR(fnl_errmsg(e),
              "invalid argument: domain_is_freemail: bad length");
    {
        char longdom[300];
        memset(longdom, 'a', sizeof(longdom) - 1);
        longdom[sizeof(longdom) - 1] = '\0';
        CHECK_INT(fnl_domain_is_freemail(e, longdom, &fm), FNL_EINVAL);
    }
    CHECK_OK(fnl_domain_is_freemail(e, "GMail.com", &fm));
    CHECK_INT(fm, 1);
    CHECK_OK(fnl_domain_is_freemail(e, "acme.com", &fm));
    CHECK_INT(fm, 0);
    fnl_engine_close(e);
}

TEST(extra_freemail_domains_are_looked_up)
{
    static const char *const extra[] = {"corp-mail.example"};
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_engine *e;
    int fm;
    cfg.freemail_domains = extra;
    cfg.freemail_domain_count = 1;
    CHECK_OK(fnl_engine_open(&e, &cfg));
    CHECK_OK(fnl_domain_is_freemail(e, "corp-mail.example", &fm));
    CHECK_INT(fm, 1);
    CHECK_OK(fnl_domain_is_freemail(e, "corp-mail.example.org", &fm));
    CHECK_INT(fm, 0);
    /* an e-mail of an extra free-mail domain creates no account */
    CHECK(person(e, "x@corp-mail.example") != 0);
    {
        fnl_account_id a;
        CHECK_INT(fnl_account_find(e, "corp-mail.example", &a),
                  FNL_ENOTFOUND);
    }
    fnl_engine_close(e);
}

TEST(contact_readers_check_their_arguments)
{
    fnl_engine *e = open_engine();
    fnl_contact_id c, r;
    fnl_contact_info info = FNL_CONTACT_INFO_INIT;
    fnl_key keys[2];
    fnl_attr attrs[2], one;
    const char *tags[2];
    size_t n;
    uint32_t role;
    CHECK(e != NULL);
    c = person(e, "ana@acme.com");
    CHECK(c != 0);
    CHECK_INT(fnl_role_parse(NULL, &role), FNL_EINVAL);
    CHECK_INT(fnl_role_parse("user", NULL), FNL_EINVAL);
    CHECK_INT(fnl_contact_resolve(NULL, c, &r), FNL_EINVAL);
    CHECK_INT(fnl_contact_resolve(e, c, NULL), FNL_EINVAL);
    CHECK_STR(fnl_errmsg(e),
              "invalid argument: contact_resolve: NULL argument");
    CHECK_INT(fnl_contact_get(NULL, c, &info), FNL_EINVAL);
    CHECK_INT(fnl_contact_get(e, c, NULL), FNL_EINVAL);
    info.size = 0;
    CHECK_INT(fnl_contact_get(e, c, &info), FNL_EINVAL);
    CHECK_STR(fnl_errmsg(e), "invalid argument: contact_get: size not set");
    info.size = sizeof(info);
    CHECK_INT(fnl_contact_keys(NULL, c, keys, 2, &n), FNL_EINVAL);
    CHECK_INT(fnl_contact_keys(e, 999, keys, 2, &n), FNL_ENOTFOUND);
    CHECK_INT(fnl_contact_attrs(NULL, c, attrs, 2, &n), FNL_EINVAL);
    CHECK_INT(fnl_contact_attrs(e, 999, attrs, 2, &n), FNL_ENOTFOUND);
    CHECK_INT(fnl_contact_tags(NULL, c, tags, 2, &n), FNL_EINVAL);
    CHECK_INT(fnl_contact_tags(e, 999, tags, 2, &n), FNL_ENOTFOUND);
    CHECK_INT(fnl_contact_attr(NULL, c, "x", &one), FNL_EINVAL);
    CHECK_INT(fnl_contact_attr(e, c, NULL, &one), FNL_EINVAL);
    CHECK_INT(fnl_contact_attr(e, c, "x", NULL), FNL_EINVAL);
    CHECK_STR(fnl_errmsg(e), "invalid argument: contact_attr: NULL argument");
    CHECK_INT(fnl_contact_attr(e, 999, "x", &one), FNL_ENOTFOUND);
    CHECK_INT(fnl_contact_next(NULL, 0, &r), FNL_EINVAL);
    CHECK_INT(fnl_contact_next(e, 0, NULL), FNL_EINVAL);
    CHECK_STR(fnl_errmsg(e), "invalid argument: contact_next: NULL argument");
    CHECK_INT(fnl_contact_forget(NULL, c), FNL_EINVAL);
    /* keys of a contact: one, the normalised e-mail */
    CHECK_OK(fnl_contact_keys(e, c, keys, 2, &n));
    CHECK_INT(n, 1);
    CHECK_STR(keys[0].value, "ana@acme.com");
    fnl_engine_close(e);
}

int main(void)
{
    RUN(account_writers_check_their_arguments);
    RUN(account_readers_check_handles_and_buffers);
    RUN(extra_freemail_domains_are_looked_up);
    RUN(contact_readers_check_their_arguments);
    TEST_MAIN_END();
}
