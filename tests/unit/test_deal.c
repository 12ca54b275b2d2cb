/* Deals with buying groups, and costs. */
#include <stddef.h>
#include "../dump.h"
#include "../failalloc.h"
#include "../teststore.h"
#include "../test.h"
#include "funnelcore.h"

TEST(a_deal_is_created_updated_and_read_back)
{
    fnl_engine *e;
    fnl_deal_update u = FNL_DEAL_UPDATE_INIT;
    fnl_deal_contact dc[2];
    fnl_deal_contact out[4];
    fnl_deal_info di;
    fnl_deal_id d, d2, f;
    fnl_contact_id cfo;
    fnl_account_id acc;
    size_t n;
    CHECK_OK(fnl_engine_open(&e, NULL));
    dc[0].contact = 0;
    dc[0].key.kind = "email";
    dc[0].key.value = "cfo@initech.com";
    dc[0].role = FNL_ROLE_ECONOMIC_BUYER;
    dc[1].contact = 0;
    dc[1].key.kind = "email";
    dc[1].key.value = "dev@initech.com";
    dc[1].role = FNL_ROLE_USER;
    u.id = "OPP-1";
    u.account = "initech.com";
    u.contacts = dc;
    u.contact_count = 2;
    u.amount = 1200000;
    u.currency = "eur";
    u.created = 1000;
    u.stage = "Engaging";
    u.owner = "Mia";
    CHECK_OK(fnl_deal_upsert(e, &u, &d));
    memset(&di, 0, sizeof(di));
    di.size = sizeof(di);
    CHECK_OK(fnl_deal_get(e, d, &di));
    CHECK_STR(di.name, "OPP-1");
    CHECK_INT(di.amount, 1200000);
    CHECK_STR(di.currency, "EUR");
    CHECK_INT(di.status, FNL_DEAL_OPEN);
    CHECK_STR(di.stage, "Engaging");
    CHECK_STR(di.owner, "Mia");
    CHECK_INT(di.contact_count, 2);
    CHECK_INT(di.created, 1000);
    CHECK_OK(fnl_account_find(e, "initech.com", &acc));
    CHECK_INT(di.account, acc);
    CHECK_OK(fnl_contact_find(e, "email", "cfo@initech.com", &cfo));
    CHECK_OK(fnl_deal_contacts(e, d, out, 4, &n));
    CHECK_INT(n, 2);
    CHECK_INT(out[0].contact, cfo);
    CHECK_INT(out[0].role, FNL_ROLE_ECONOMIC_BUYER);
    CHECK_INT(out[1].role, FNL_ROLE_USER);
    /* won later: created is kept when the update passes FNL_TIME_NOW */
    u.contacts = NULL;
    u.contact_count = 0;
    u.created = FNL_TIME_NOW;
    u.status = FNL_DEAL_WON;
    u.closed = 9000;
    u.currency = NULL;
    u.stage = NULL;
    CHECK_OK(fnl_deal_upsert(e, &u, &d2));
    CHECK_INT(d2, d);
    CHECK_OK(fnl_deal_get(e, d, &di));
    CHECK_INT(di.status, FNL_DEAL_WON);
    CHECK_INT(di.closed, 9000);
    CHECK_INT(di.created, 1000);
    CHECK_STR(di.currency, "EUR");
    CHECK_STR(di.stage, "Engaging");
    CHECK_OK(fnl_deal_find(e, "OPP-1", &f));
    CHECK_INT(f, d);
    CHECK_OK(fnl_deal_next(e, 0, &f));
    CHECK_INT(f, d);
    CHECK_INT(fnl_deal_next(e, f, &f), FNL_ENOTFOUND);
    fnl_engine_close(e);
}

TEST(bad_deals_change_nothing)
{
    fnl_engine *e;
    fnl_deal_update u = FNL_DEAL_UPDATE_INIT;
    fnl_deal_contact dc;
    char *before, *after;
    CHECK_OK(fnl_engine_open(&e, NULL));
    u.id = "D";
    u.created = 5000;
    CHECK_OK(fnl_deal_upsert(e, &u, NULL));
    before = dump_engine(e);
    u.status = FNL_DEAL_WON;
    CHECK_INT(fnl_deal_upsert(e, &u, NULL), FNL_EINVAL); /* no close time */
    u.closed = 4000;
    CHECK_INT(fnl_deal_upsert(e, &u, NULL), FNL_EINVAL); /* before created */
    u.closed = 6000;
    u.currency = "EURO";
    CHECK_INT(fnl_deal_upsert(e, &u, NULL), FNL_EINVAL);
    u.currency = NULL;
    u.amount = -1;
    CHECK_INT(fnl_deal_upsert(e, &u, NULL), FNL_EINVAL);
    u.amount = 1;
    u.status = 9;
    CHECK_INT(fnl_deal_upsert(e, &u, NULL), FNL_EINVAL);
    u.status = FNL_DEAL_LOST;
    dc.contact = 0;
    dc.key.kind = "email";
    dc.key.value = "nope";
    dc.role = FNL_ROLE_USER;
    u.contacts = &dc;
    u.contact_count = 1;
    CHECK_INT(fnl_deal_upsert(e, &u, NULL), FNL_EINVAL);
    dc.key.value = "ok@a.io";
    dc.role = 40;
    CHECK_INT(fnl_deal_upsert(e, &u, NULL), FNL_EINVAL);
    u.id = NULL;
    CHECK_INT(fnl_deal_upsert(e, &u, NULL), FNL_EINVAL);
    after = dump_engine(e);
    CHECK_STR(after, before);
    free(after);
    free(before);
    fnl_engine_close(e);
}

TEST(deal_contacts_collapse_when_contacts_merge)
{
    fnl_engine *e;
    fnl_deal_update u = FNL_DEAL_UPDATE_INIT;
    fnl_contact_update cu = FNL_CONTACT_UPDATE_INIT;
    fnl_deal_contact dc[2];
    fnl_key both[2] = {{"email", "a@k.io"}, {"phone", "+49 30 1234567"}};
    fnl_deal_info di;
    fnl_deal_id d;
    CHECK_OK(fnl_engine_open(&e, NULL));
    dc[0].contact = 0;
    dc[0].key = both[0];
    dc[0].role = FNL_ROLE_CHAMPION;
    dc[1].contact = 0;
    dc[1].key = both[1];
    dc[1].role = FNL_ROLE_USER;
    u.id = "M";
    u.contacts = dc;
    u.contact_count = 2;
    u.created = 1;
    CHECK_OK(fnl_deal_upsert(e, &u, &d));
    memset(&di, 0, sizeof(di));
    di.size = sizeof(di);
    CHECK_OK(fnl_deal_get(e, d, &di));
    CHECK_INT(di.contact_count, 2);
    cu.keys = both;
    cu.key_count = 2;
    CHECK_OK(fnl_contact_upsert(e, &cu, NULL));
    CHECK_OK(fnl_deal_get(e, d, &di));
    CHECK_INT(di.contact_count, 1);
    fnl_engine_close(e);
}

TEST(costs_are_recorded_and_validated)
{
    fnl_engine *e;
    fnl_cost c = FNL_COST_INIT, out = FNL_COST_INIT;
    char cur[4];
    uint64_t idx;
    CHECK_OK(fnl_engine_open(&e, NULL));
    c.channel = "paid_search";
    c.region = "APAC";
    c.start = 1000;
    c.end = 2000;
    c.amount = 5000000;
    c.currency = "cny";
    CHECK_OK(fnl_cost_add(e, &c, &idx));
    CHECK_INT(idx, 0);
    c.channel = NULL;
    c.campaign = "spring";
    c.currency = NULL;
    CHECK_OK(fnl_cost_add(e, &c, &idx));
    CHECK_INT(idx, 1);
    CHECK_OK(fnl_cost_get(e, 0, &out, cur));
    CHECK_STR(out.channel, "paid_search");
    CHECK(out.campaign == NULL);
    CHECK_STR(out.region, "APAC");
    CHECK_INT(out.amount, 5000000);
    CHECK_STR(cur, "CNY");
    CHECK_OK(fnl_cost_get(e, 1, &out, cur));
    CHECK_STR(out.campaign, "spring");
    CHECK_STR(cur, "USD");
    CHECK_INT(fnl_cost_get(e, 2, &out, cur), FNL_ENOTFOUND);
    c.end = 1000;
    CHECK_INT(fnl_cost_add(e, &c, NULL), FNL_EINVAL);
    c.end = 3000;
    c.amount = -5;
    CHECK_INT(fnl_cost_add(e, &c, NULL), FNL_EINVAL);
    c.amount = 5;
    c.campaign = NULL;
    CHECK_INT(fnl_cost_add(e, &c, NULL), FNL_EINVAL);
    CHECK_INT(fnl_cost_get(e, 2, &out, cur), FNL_ENOTFOUND);
    fnl_engine_close(e);
}


/* ---- deal attributes ----------------------------------------------------- */

static fnl_attr sattr(const char *name, const char *v)
{
    fnl_attr a;
    a.name = name;
    a.type = FNL_ATTR_STRING;
    a.str = v;
    a.num = 0;
    return a;
}

static fnl_attr nattr(const char *name, double v)
{
    fnl_attr a;
    a.name = name;
    a.type = FNL_ATTR_NUMBER;
    a.str = NULL;
    a.num = v;
    return a;
}

static fnl_attr unset(const char *name)
{
    fnl_attr a;
    a.name = name;
    a.type = FNL_ATTR_UNSET;
    a.str = NULL;
    a.num = 0;
    return a;
}

TEST(deal_attributes_are_set_replaced_removed_and_read_back_sorted)
{
    fnl_engine *e;
    fnl_deal_update u = FNL_DEAL_UPDATE_INIT;
    fnl_attr in[3], out[4], one;
    fnl_deal_info di;
    fnl_deal_id d, other;
    size_t n = 99;
    CHECK_OK(fnl_engine_open(&e, NULL));
    in[0] = sattr("Product", "GTX Pro"); /* names are case folded */
    in[1] = nattr("seats", 25);
    in[2] = sattr("sector", "software");
    u.id = "OPP-7";
    u.created = 1000;
    u.attrs = in;
    u.attr_count = 3;
    CHECK_OK(fnl_deal_upsert(e, &u, &d));
    memset(&di, 0, sizeof(di));
    di.size = sizeof(di);
    CHECK_OK(fnl_deal_get(e, d, &di));
    CHECK_INT(di.attr_count, 3);
    /* a short buffer: FNL_ERANGE with the count, nothing written */
    out[0].name = "untouched";
    CHECK_INT(fnl_deal_attrs(e, d, out, 2, &n), FNL_ERANGE);
    CHECK_INT(n, 3);
    CHECK_STR(out[0].name, "untouched");
    CHECK_OK(fnl_deal_attrs(e, d, out, 4, &n));
    CHECK_INT(n, 3);
    CHECK_STR(out[0].name, "product");
    CHECK_INT(out[0].type, FNL_ATTR_STRING);
    CHECK_STR(out[0].str, "GTX Pro");
    CHECK_STR(out[1].name, "seats");
    CHECK_INT(out[1].type, FNL_ATTR_NUMBER);
    CHECK_NEAR(out[1].num, 25, 0);
    CHECK(out[1].str == NULL);
    CHECK_STR(out[2].name, "sector");
    CHECK_OK(fnl_deal_attr(e, d, "PRODUCT", &one));
    CHECK_STR(one.str, "GTX Pro");
    CHECK_INT(fnl_deal_attr(e, d, "region", &one), FNL_ENOTFOUND);
    CHECK(strstr(fnl_errmsg(e), "OPP-7") != NULL);
    CHECK_INT(fnl_deal_attr(e, d, "bad name!", &one), FNL_ENOTFOUND);
    CHECK_INT(fnl_deal_attr(e, d, NULL, &one), FNL_EINVAL);
    /* replace one, remove one, keep the one not named */
    in[0] = sattr("product", "GTX Basic");
    in[1] = unset("sector");
    u.attrs = in;
    u.attr_count = 2;
    u.created = FNL_TIME_NOW;
    CHECK_OK(fnl_deal_upsert(e, &u, NULL));
    CHECK_OK(fnl_deal_attrs(e, d, out, 4, &n));
    CHECK_INT(n, 2);
    CHECK_STR(out[0].name, "product");
    CHECK_STR(out[0].str, "GTX Basic");
    CHECK_STR(out[1].name, "seats");
    /* a number replaces a string of the same name */
    in[0] = nattr("product", 3);
    u.attr_count = 1;
    CHECK_OK(fnl_deal_upsert(e, &u, NULL));
    CHECK_OK(fnl_deal_attr(e, d, "product", &one));
    CHECK_INT(one.type, FNL_ATTR_NUMBER);
    CHECK_NEAR(one.num, 3, 0);
    /* an update carrying no attributes keeps them all */
    u.attrs = NULL;
    u.attr_count = 0;
    u.amount = 10;
    CHECK_OK(fnl_deal_upsert(e, &u, NULL));
    CHECK_OK(fnl_deal_attrs(e, d, out, 4, &n));
    CHECK_INT(n, 2);
    /* removing an attribute the deal lacks is no error */
    in[0] = unset("never_set");
    u.attrs = in;
    u.attr_count = 1;
    CHECK_OK(fnl_deal_upsert(e, &u, NULL));
    CHECK_OK(fnl_deal_attrs(e, d, out, 4, &n));
    CHECK_INT(n, 2);
    /* another deal has none; bad handles are refused */
    u.id = "OPP-8";
    u.attrs = NULL;
    u.attr_count = 0;
    CHECK_OK(fnl_deal_upsert(e, &u, &other));
    CHECK_OK(fnl_deal_attrs(e, other, NULL, 0, &n));
    CHECK_INT(n, 0);
    CHECK_INT(fnl_deal_attrs(e, other + 1, out, 4, &n), FNL_ENOTFOUND);
    CHECK_INT(fnl_deal_attrs(e, d + ((uint64_t)7 << 32), out, 4, &n),
              FNL_ESTALE);
    CHECK_INT(fnl_deal_attrs(e, d, out, 4, NULL), FNL_EINVAL);
    fnl_engine_close(e);
}

TEST(bad_deal_attributes_change_nothing)
{
    fnl_engine *e;
    fnl_deal_update u = FNL_DEAL_UPDATE_INIT;
    fnl_attr a[2], *many;
    char *before, *after;
    size_t i;
    CHECK_OK(fnl_engine_open(&e, NULL));
    a[0] = sattr("product", "GTX");
    u.id = "D";
    u.created = 5000;
    u.attrs = a;
    u.attr_count = 1;
    CHECK_OK(fnl_deal_upsert(e, &u, NULL));
    before = dump_engine(e);
    u.amount = 99; /* would change the deal if anything were applied */
    a[0] = sattr("product", "MG");
    a[1] = sattr("bad name!", "x");
    u.attr_count = 2;
    CHECK_INT(fnl_deal_upsert(e, &u, NULL), FNL_EINVAL);
    CHECK(strstr(fnl_errmsg(e), "deal: attribute 1: name") != NULL);
    a[1] = sattr("region", NULL);
    CHECK_INT(fnl_deal_upsert(e, &u, NULL), FNL_EINVAL);
    a[1] = sattr("region", "");
    CHECK_INT(fnl_deal_upsert(e, &u, NULL), FNL_EINVAL);
    a[1] = sattr("region", "\xff\xfe");
    CHECK_INT(fnl_deal_upsert(e, &u, NULL), FNL_EINVAL);
    a[1] = nattr("seats", NAN);
    CHECK_INT(fnl_deal_upsert(e, &u, NULL), FNL_EINVAL);
    a[1] = nattr("seats", 1);
    a[1].type = 9;
    CHECK_INT(fnl_deal_upsert(e, &u, NULL), FNL_EINVAL);
    u.attrs = NULL;
    CHECK_INT(fnl_deal_upsert(e, &u, NULL), FNL_EINVAL);
    many = calloc(FNL_MAX_ATTRS + 1, sizeof(fnl_attr));
    CHECK(many != NULL);
    for (i = 0; i <= FNL_MAX_ATTRS; i++)
        many[i] = nattr("n", (double)i);
    u.attrs = many;
    u.attr_count = FNL_MAX_ATTRS + 1;
    CHECK_INT(fnl_deal_upsert(e, &u, NULL), FNL_ELIMIT);
    free(many);
    after = dump_engine(e);
    CHECK_STR(after, before);
    free(after);
    free(before);
    fnl_engine_close(e);
}

/* A caller compiled before attributes existed passes the smaller struct:
 * whatever lies after it in memory is not read. */
TEST(an_old_callers_deal_update_sets_no_attributes)
{
    fnl_engine *e;
    struct {
        fnl_deal_update u;
        char tail[64];
    } buf;
    fnl_attr a = {"product", FNL_ATTR_STRING, "GTX", 0};
    fnl_deal_info di;
    fnl_deal_id d;
    size_t n;
    CHECK_OK(fnl_engine_open(&e, NULL));
    CHECK_OK(fnl_deal_update_init(&buf.u, sizeof(buf.u)));
    buf.u.id = "OLD";
    buf.u.created = 1;
    buf.u.attrs = &a; /* beyond the old size: must be ignored */
    buf.u.attr_count = 1;
    buf.u.size = (uint32_t)offsetof(fnl_deal_update, attrs);
    CHECK_OK(fnl_deal_upsert(e, &buf.u, &d));
    CHECK_OK(fnl_deal_attrs(e, d, NULL, 0, &n));
    CHECK_INT(n, 0);
    /* and an old reader of fnl_deal_info gets what fits */
    memset(&di, 0x5a, sizeof(di));
    di.size = (uint32_t)offsetof(fnl_deal_info, attr_count);
    CHECK_OK(fnl_deal_get(e, d, &di));
    CHECK_STR(di.name, "OLD");
    CHECK_INT(di.attr_count, 0x5a5a5a5a);
    fnl_engine_close(e);
}

/* ---- owner records ------------------------------------------------------- */

static int owner_put(fnl_engine *e, const char *name, const fnl_attr *a,
                     size_t n, const char *source, int64_t t)
{
    fnl_owner_update u = FNL_OWNER_UPDATE_INIT;
    u.name = name;
    u.attrs = a;
    u.attr_count = n;
    u.source = source;
    u.time = t;
    return fnl_owner_upsert(e, &u);
}

TEST(owner_records_give_owner_strings_attributes)
{
    fnl_engine *e;
    fnl_attr a[3], out[4], one;
    fnl_owner_info oi = FNL_OWNER_INFO_INIT;
    const char *names[4];
    size_t n = 99;
    CHECK_OK(fnl_engine_open(&e, NULL));
    /* no record yet: no attributes, but no error either */
    CHECK_INT(fnl_owner_get(e, "Ana Lopez", &oi), FNL_ENOTFOUND);
    CHECK(strstr(fnl_errmsg(e), "Ana Lopez") != NULL);
    CHECK_OK(fnl_owner_attrs(e, "Ana Lopez", NULL, 0, &n));
    CHECK_INT(n, 0);
    CHECK_INT(fnl_owner_attr(e, "Ana Lopez", "manager", &one),
              FNL_ENOTFOUND);
    CHECK_OK(fnl_owner_list(e, NULL, 0, &n));
    CHECK_INT(n, 0);
    a[0] = sattr("manager", "Cara Losch");
    a[1] = sattr("Regional_Office", "East");
    a[2] = nattr("quota", 250000);
    CHECK_OK(owner_put(e, "Ana Lopez", a, 3, NULL, 2000));
    CHECK_OK(owner_put(e, "bo", NULL, 0, NULL, 3000)); /* a bare record */
    CHECK_OK(fnl_owner_get(e, "Ana Lopez", &oi));
    CHECK_STR(oi.name, "Ana Lopez");
    CHECK_INT(oi.attr_count, 3);
    CHECK_INT(oi.created, 2000);
    CHECK_OK(fnl_owner_attrs(e, "Ana Lopez", out, 4, &n));
    CHECK_INT(n, 3);
    CHECK_STR(out[0].name, "manager");
    CHECK_STR(out[0].str, "Cara Losch");
    CHECK_STR(out[1].name, "quota");
    CHECK_NEAR(out[1].num, 250000, 0);
    CHECK_STR(out[2].name, "regional_office");
    CHECK_STR(out[2].str, "East");
    CHECK_OK(fnl_owner_attr(e, "Ana Lopez", "Regional_Office", &one));
    CHECK_STR(one.str, "East");
    /* owner strings are case sensitive, like the deals' */
    CHECK_INT(fnl_owner_get(e, "ana lopez", &oi), FNL_ENOTFOUND);
    /* latest time wins: an older update of manager is ignored, a newer
     * one replaces; unset removes; created stays the first time */
    a[0] = sattr("manager", "Old Boss");
    CHECK_OK(owner_put(e, "Ana Lopez", a, 1, NULL, 1500));
    CHECK_OK(fnl_owner_attr(e, "Ana Lopez", "manager", &one));
    CHECK_STR(one.str, "Cara Losch");
    a[0] = sattr("manager", "Rocco Neubert");
    a[1] = unset("quota");
    CHECK_OK(owner_put(e, "Ana Lopez", a, 2, NULL, 4000));
    CHECK_OK(fnl_owner_attr(e, "Ana Lopez", "manager", &one));
    CHECK_STR(one.str, "Rocco Neubert");
    CHECK_INT(fnl_owner_attr(e, "Ana Lopez", "quota", &one), FNL_ENOTFOUND);
    CHECK_OK(fnl_owner_get(e, "Ana Lopez", &oi));
    CHECK_INT(oi.attr_count, 2);
    CHECK_INT(oi.created, 2000);
    /* the list: every record, sorted bytewise ('A' < 'b') */
    CHECK_INT(fnl_owner_list(e, names, 1, &n), FNL_ERANGE);
    CHECK_INT(n, 2);
    CHECK_OK(fnl_owner_list(e, names, 4, &n));
    CHECK_INT(n, 2);
    CHECK_STR(names[0], "Ana Lopez");
    CHECK_STR(names[1], "bo");
    CHECK_INT(fnl_owner_get(e, NULL, &oi), FNL_EINVAL);
    CHECK_INT(fnl_owner_attrs(e, "", out, 4, &n), FNL_EINVAL);
    fnl_engine_close(e);
}

TEST(owner_attributes_follow_source_precedence)
{
    static const char *const srcs[] = {"hr", "crm"};
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_engine *e;
    fnl_attr a = {"manager", FNL_ATTR_STRING, "From HR", 0}, one;
    cfg.precedence = FNL_PRECEDENCE_SOURCE;
    cfg.source_priority = srcs;
    cfg.source_priority_count = 2;
    CHECK_OK(fnl_engine_open(&e, &cfg));
    CHECK_OK(owner_put(e, "ana", &a, 1, "hr", 1000));
    /* newer, but from a lower-priority source: HR's value stays */
    a.str = "From CRM";
    CHECK_OK(owner_put(e, "ana", &a, 1, "crm", 9000));
    CHECK_OK(fnl_owner_attr(e, "ana", "manager", &one));
    CHECK_STR(one.str, "From HR");
    a.str = "HR again";
    CHECK_OK(owner_put(e, "ana", &a, 1, "hr", 500)); /* same source: time */
    CHECK_OK(fnl_owner_attr(e, "ana", "manager", &one));
    CHECK_STR(one.str, "From HR");
    CHECK_OK(owner_put(e, "ana", &a, 1, "hr", 1001));
    CHECK_OK(fnl_owner_attr(e, "ana", "manager", &one));
    CHECK_STR(one.str, "HR again");
    fnl_engine_close(e);
}

TEST(bad_owner_updates_change_nothing)
{
    fnl_engine *e;
    fnl_owner_update u = FNL_OWNER_UPDATE_INIT;
    fnl_attr a[2];
    char *before, *after, *longname;
    CHECK_OK(fnl_engine_open(&e, NULL));
    a[0] = sattr("manager", "Cara");
    CHECK_OK(owner_put(e, "ana", a, 1, NULL, 1000));
    before = dump_engine(e);
    a[0] = sattr("manager", "Dan");
    CHECK_INT(owner_put(e, NULL, a, 1, NULL, 2000), FNL_EINVAL);
    CHECK(strstr(fnl_errmsg(e), "owner name: required") != NULL);
    CHECK_INT(owner_put(e, "", a, 1, NULL, 2000), FNL_EINVAL);
    CHECK_INT(owner_put(e, "an\xc3", a, 1, NULL, 2000), FNL_EINVAL);
    longname = malloc(FNL_MAX_STRING + 2);
    CHECK(longname != NULL);
    memset(longname, 'x', FNL_MAX_STRING + 1);
    longname[FNL_MAX_STRING + 1] = '\0';
    CHECK_INT(owner_put(e, longname, a, 1, NULL, 2000), FNL_EINVAL);
    free(longname);
    CHECK_INT(owner_put(e, "ana", a, 1, NULL, -5), FNL_EINVAL);
    CHECK_INT(owner_put(e, "ana", a, 1, "", 2000), FNL_EINVAL);
    a[1] = sattr("Bad Name", "x");
    CHECK_INT(owner_put(e, "ana", a, 2, NULL, 2000), FNL_EINVAL);
    CHECK_INT(owner_put(e, "ana", NULL, 2, NULL, 2000), FNL_EINVAL);
    CHECK_INT(owner_put(e, "ana", a, FNL_MAX_ATTRS + 1, NULL, 2000),
              FNL_ELIMIT);
    u.size = 0;
    CHECK_INT(fnl_owner_upsert(e, &u), FNL_EINVAL);
    CHECK_INT(fnl_owner_upsert(e, NULL), FNL_EINVAL);
    CHECK_INT(fnl_owner_upsert(NULL, &u), FNL_EINVAL);
    after = dump_engine(e);
    CHECK_STR(after, before);
    free(after);
    free(before);
    fnl_engine_close(e);
}

TEST(owner_init_functions_fill_the_init_values)
{
    fnl_owner_update u;
    fnl_owner_info oi;
    memset(&u, 0x33, sizeof(u));
    CHECK_OK(fnl_owner_update_init(&u, sizeof(u)));
    CHECK_INT(u.size, sizeof(u));
    CHECK(u.name == NULL && u.attrs == NULL && u.source == NULL);
    CHECK_INT(u.attr_count, 0);
    CHECK_INT(u.time, FNL_TIME_NOW);
    memset(&oi, 0x33, sizeof(oi));
    CHECK_OK(fnl_owner_info_init(&oi, sizeof(oi)));
    CHECK_INT(oi.size, sizeof(oi));
    CHECK(oi.name == NULL);
    CHECK_INT(oi.created, 0);
    CHECK_INT(fnl_owner_update_init(NULL, sizeof(u)), FNL_EINVAL);
    CHECK_INT(fnl_owner_info_init(&oi, 2), FNL_EINVAL);
}

/* Fail every allocation in turn: each call either succeeds or returns
 * FNL_ENOMEM with the engine exactly as before. */
TEST(every_allocation_failure_in_deal_attributes_and_owners_changes_nothing)
{
    failalloc fa = {-1, 0, 0, 0, 0};
    fnl_allocator al = fa_table(&fa);
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_engine *e;
    teststore ts;
    char *live = NULL;
    int step;
    ts_init(&ts);
    cfg.allocator = &al;
    cfg.storage = &ts.table; /* journal records are encoded too */
    CHECK_OK(fnl_engine_open(&e, &cfg));
    for (step = 0; step < 4; step++) {
        long n;
        for (n = 0;; n++) {
            char *before = dump_engine(e), *after;
            fnl_deal_update u = FNL_DEAL_UPDATE_INIT;
            fnl_attr a[3];
            char id[32], val[64];
            int rc;
            snprintf(id, sizeof(id), "deal-%d", step);
            snprintf(val, sizeof(val), "product-%d-%ld", step, n);
            a[0] = sattr("product", val);
            a[1] = nattr("seats", step);
            a[2] = sattr("manager", val);
            fa_arm(&fa, n, 0);
            if (step % 2 == 0) {
                u.id = id;
                u.created = 1000 + step;
                u.attrs = a;
                u.attr_count = 2;
                rc = fnl_deal_upsert(e, &u, NULL);
            } else {
                snprintf(id, sizeof(id), "owner-%d", step);
                rc = owner_put(e, id, a + 1, 2, NULL, 1000);
            }
            fa_disarm(&fa);
            after = dump_engine(e);
            if (rc == FNL_OK) {
                free(before);
                free(after);
                break;
            }
            CHECK_INT(rc, FNL_ENOMEM);
            CHECK_STR(after, before);
            free(before);
            free(after);
        }
        /* the first deal and the first owner need new memory; later ones
         * may fit in what those reserved */
        CHECK(step >= 2 || n >= 1);
    }
    live = dump_engine(e);
    fnl_engine_close(e);
    CHECK_INT(fa.outstanding, 0);
    /* what was acknowledged is what the journal replays */
    fa_disarm(&fa);
    {
        fnl_engine_config c2 = FNL_ENGINE_CONFIG_INIT;
        fnl_engine *b;
        char *db;
        c2.storage = &ts.table;
        CHECK_OK(fnl_engine_open(&b, &c2));
        db = dump_engine(b);
        CHECK_STR(db, live);
        free(db);
        fnl_engine_close(b);
    }
    free(live);
    ts_free(&ts);
}

int main(void)
{
    RUN(a_deal_is_created_updated_and_read_back);
    RUN(bad_deals_change_nothing);
    RUN(deal_contacts_collapse_when_contacts_merge);
    RUN(costs_are_recorded_and_validated);
    RUN(deal_attributes_are_set_replaced_removed_and_read_back_sorted);
    RUN(bad_deal_attributes_change_nothing);
    RUN(an_old_callers_deal_update_sets_no_attributes);
    RUN(owner_records_give_owner_strings_attributes);
    RUN(owner_attributes_follow_source_precedence);
    RUN(bad_owner_updates_change_nothing);
    RUN(owner_init_functions_fill_the_init_values);
    RUN(every_allocation_failure_in_deal_attributes_and_owners_changes_nothing);
    TEST_MAIN_END();
}
