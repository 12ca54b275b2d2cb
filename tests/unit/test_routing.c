/* test_routing -- owner assignment on stage entry: round-robin fairness,
 * least-loaded choice with ties in turn, ordered rules on attributes,
 * sticky account owners, the fallback queue, reassignment records and the
 * open-lead counts of the routing state. */
#include "test_stage_sim.h"

static const char *rules =
    "machine \"routing\" version 1\n"
    "stage new initial\n"
    "stage mql\n"
    "stage sal\n"
    "stage won closed\n"
    "group apac members \"li\", \"wang\", \"chen\"\n"
    "group ae members \"x\", \"y\", \"z\"\n"
    "fallback queue \"unassigned\"\n"
    "transition new -> mql on event qualify\n"
    "transition mql -> sal on event sales_accept\n"
    "transition * -> won on event deal_won\n"
    "route on mql to account_owner\n"
    "route on mql when region = \"APAC\" to group apac round_robin\n"
    "route on mql when industry in (\"finance\", \"banking\") to owner \"fin\"\n"
    "route on sal to group ae least_loaded\n";

static void set_attr(sim *s, int c, int i, const char *name, const char *v)
{
    s->attrs[c][i].name = name;
    s->attrs[c][i].type = FNL_ATTR_STRING;
    s->attrs[c][i].str = v;
    if (s->nattrs[c] < (size_t)i + 1)
        s->nattrs[c] = (size_t)i + 1;
}

static uint32_t owner(const sim *s, const char *name)
{
    return fnli_machine_owner_find(s->m, name, strlen(name));
}

TEST(round_robin_is_fair_and_in_turn)
{
    sim s;
    int c, count[4] = {0, 0, 0, 0};
    uint32_t li, wang, chen;
    CHECK_OK(sim_open(&s, rules));
    li = owner(&s, "li");
    wang = owner(&s, "wang");
    chen = owner(&s, "chen");
    for (c = 0; c < 9; c++) {
        set_attr(&s, c, 0, "region", "APAC");
        CHECK_OK(sim_start(&s, c, MON));
        CHECK_OK(sim_event(&s, c, MON + c, "qualify", NULL, 0));
    }
    /* li, wang, chen, li, wang, chen, ... */
    for (c = 0; c < 9; c++) {
        uint32_t expect = c % 3 == 0 ? li : c % 3 == 1 ? wang : chen;
        CHECK_INT(s.st[c].owner, expect);
        count[c % 3]++;
    }
    CHECK_INT(count[0], 3);
    CHECK_INT(fnli_routing_open(s.rs, li), 3);
    CHECK_INT(fnli_routing_open(s.rs, wang), 3);
    CHECK_INT(fnli_routing_open(s.rs, chen), 3);
    CHECK_INT(fnli_routing_cursor(s.rs, 0), 3);  /* after chen (pos 2) */
    sim_close(&s);
}

TEST(ordered_rules_sticky_accounts_and_fallback)
{
    sim s;
    CHECK_OK(sim_open(&s, rules));
    /* 0: APAC and finance: the region rule comes first */
    set_attr(&s, 0, 0, "region", "apac");
    set_attr(&s, 0, 1, "industry", "finance");
    /* 1: banking outside APAC: owner fin */
    set_attr(&s, 1, 0, "region", "EMEA");
    set_attr(&s, 1, 1, "industry", "Banking");
    /* 2: APAC, but its account is owned by "wang": sticky wins (rule 0) */
    set_attr(&s, 2, 0, "region", "APAC");
    s.account_owner[2] = "wang";
    /* 3: an account owner the machine does not list */
    s.account_owner[3] = "someone@crm";
    /* 4: nothing matches: the fallback queue */
    set_attr(&s, 4, 0, "region", "LATAM");
    for (int c = 0; c < 5; c++) {
        CHECK_OK(sim_start(&s, c, MON));
        CHECK_OK(sim_event(&s, c, MON + 1, "qualify", NULL, 0));
    }
    CHECK_INT(s.st[0].owner, owner(&s, "li"));
    CHECK_INT(s.st[1].owner, owner(&s, "fin"));
    CHECK_INT(s.st[2].owner, owner(&s, "wang"));
    CHECK_INT(s.log[sim_find(&s, 2, FNLI_REC_ASSIGN, 0)].rule, 0);
    CHECK_INT(s.st[3].owner, FNLI_OWNER_ACCOUNT);
    CHECK_INT(s.st[4].owner, owner(&s, "unassigned"));
    CHECK_INT(s.log[sim_find(&s, 4, FNLI_REC_ASSIGN, 0)].rule, FNLI_NO_RULE);
    /* the sticky assignment did not move the apac cursor: the next APAC
     * lead goes to wang (li had contact 0) */
    set_attr(&s, 5, 0, "region", "APAC");
    CHECK_OK(sim_start(&s, 5, MON));
    CHECK_OK(sim_event(&s, 5, MON + 2, "qualify", NULL, 0));
    CHECK_INT(s.st[5].owner, owner(&s, "wang"));
    sim_close(&s);
}

TEST(least_loaded_with_ties_in_turn_and_reassignment_records)
{
    sim s;
    uint32_t x, y, z, li;
    const fnli_stage_rec *r;
    int c;
    CHECK_OK(sim_open(&s, rules));
    x = owner(&s, "x");
    y = owner(&s, "y");
    z = owner(&s, "z");
    li = owner(&s, "li");
    for (c = 0; c < 4; c++) {
        set_attr(&s, c, 0, "region", "APAC");
        CHECK_OK(sim_start(&s, c, MON));
        CHECK_OK(sim_event(&s, c, MON + 1, "qualify", NULL, 0));
        CHECK_OK(sim_event(&s, c, MON + 2 + c, "sales_accept", NULL, 0));
    }
    /* loads 0,0,0 -> x; 1,0,0 -> y (first of the tie after x); 1,1,0 ->
     * z; 1,1,1 -> x (rotation restarts after z) */
    CHECK_INT(s.st[0].owner, x);
    CHECK_INT(s.st[1].owner, y);
    CHECK_INT(s.st[2].owner, z);
    CHECK_INT(s.st[3].owner, x);
    /* entering sal reassigned contact 0 from li: recorded */
    r = &s.log[sim_find(&s, 0, FNLI_REC_ASSIGN, 1)];
    CHECK_INT(r->prev, li);
    CHECK_INT(r->owner, x);
    CHECK_INT(r->arg, 2);  /* group ae is index 1 */
    CHECK_INT(fnli_routing_open(s.rs, li), 0);  /* li's leads moved on */
    /* y's lead is won (a closed stage): y has 0 open, x 2, z 1 -> y */
    CHECK_OK(sim_event(&s, 1, MON + DAY, "deal_won", NULL, 0));
    CHECK_INT(fnli_routing_open(s.rs, y), 0);
    CHECK_INT(fnli_routing_open(s.rs, x), 2);
    set_attr(&s, 4, 0, "region", "APAC");
    CHECK_OK(sim_start(&s, 4, MON));
    CHECK_OK(sim_event(&s, 4, MON + 1, "qualify", NULL, 0));
    CHECK_OK(sim_event(&s, 4, MON + DAY, "sales_accept", NULL, 0));
    CHECK_INT(s.st[4].owner, y);
    sim_close(&s);
}

TEST(routing_state_shape)
{
    sim s;
    fnli_stage_state a, b;
    CHECK_OK(sim_open(&s, rules));
    /* 2 groups; owners li wang chen x y z unassigned fin = 8 */
    CHECK_INT(s.rs->ngroups, 2);
    CHECK_INT(s.rs->nowners, 8);
    CHECK_INT(fnli_routing_state_size(s.m), 8 + (2 + 8 + 1) * 4);
    CHECK(fnli_routing_state_valid(s.m, s.rs));
    /* track: a lead appears (NULL -> a), moves owner, disappears */
    fnli_stage_state_init(&a);
    a.flags = FNLI_ST_STARTED;
    a.stage = 1;
    a.owner = 4;
    fnli_routing_track(s.m, s.rs, NULL, &a);
    CHECK_INT(fnli_routing_open(s.rs, 4), 1);
    b = a;
    b.owner = 5;
    fnli_routing_track(s.m, s.rs, &a, &b);
    CHECK_INT(fnli_routing_open(s.rs, 4), 0);
    CHECK_INT(fnli_routing_open(s.rs, 5), 1);
    fnli_routing_track(s.m, s.rs, &b, NULL);
    CHECK_INT(fnli_routing_open(s.rs, 5), 0);
    sim_close(&s);
}

int main(void)
{
    RUN(round_robin_is_fair_and_in_turn);
    RUN(ordered_rules_sticky_accounts_and_fallback);
    RUN(least_loaded_with_ties_in_turn_and_reassignment_records);
    RUN(routing_state_shape);
    TEST_MAIN_END();
}
