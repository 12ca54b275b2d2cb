/* Deals with buying groups, and costs. */
#include "../dump.h"
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

int main(void)
{
    RUN(a_deal_is_created_updated_and_read_back);
    RUN(bad_deals_change_nothing);
    RUN(deal_contacts_collapse_when_contacts_merge);
    RUN(costs_are_recorded_and_validated);
    TEST_MAIN_END();
}
