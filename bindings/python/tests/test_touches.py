"""Touches (single and batch), channel grouping, deals, costs."""
import datetime as dt

import pytest

import funnelcore as fc
from conftest import DAY, T0


def test_add_touch_parses_utm_from_url_and_derives_channel(eng):
    c = eng.add_touch(keys={"cookie_id": "ck-9"}, time=T0, value=250,
                      url="https://acme.com/p?utm_source=google&utm_medium=cpc"
                          "&utm_campaign=spring")
    (t,) = eng.touches(c)
    assert t.channel == "paid_search" and t.type == "visit"
    assert (t.utm_source, t.utm_medium, t.utm_campaign) == (
        "google", "cpc", "spring")
    assert t.campaign == "spring"  # falls back to utm_campaign
    assert t.time == T0 and t.value == 250 and t.contact == c


def test_timeline_is_in_time_order_and_info_has_first_last(eng):
    k = {"email": "n@acme.com"}
    eng.add_touch(keys=k, time=T0 + 2 * DAY, channel="email", type="email_click")
    c = eng.add_touch(keys=k, time=dt.datetime(2026, 1, 1,
                                               tzinfo=dt.timezone.utc),
                      channel="events", type="event_visit", campaign="expo")
    info = eng.contact(c)
    assert [t.time for t in info.touches] == [T0, T0 + 2 * DAY]
    assert [t.channel for t in info.touches] == ["events", "email"]
    assert info.first_touch == T0 and info.last_touch == T0 + 2 * DAY
    assert info.touch_count == 2
    assert eng.contact(c, touches=False).touches == []


def test_batch_is_one_call_and_returns_contacts_in_order(eng):
    rows = [{"keys": {"email": f"u{i % 3}@acme.com"}, "time": T0 + i,
             "channel": "email", "type": "email_open"} for i in range(9)]
    ids = eng.add_touches(rows)
    assert len(ids) == 9 and ids[0] == ids[3] == ids[6]
    assert len(set(ids)) == 3
    assert eng.stats().touches == 9
    assert eng.find_contact("email", "u1@acme.com") == ids[1]


def test_batch_accepts_a_generator_and_empty_input(eng):
    assert eng.add_touches([]) == []
    ids = eng.add_touches({"keys": [("cookie_id", f"c{i}")], "time": T0}
                          for i in range(4))
    assert len(set(ids)) == 4


def test_batch_merges_keys_that_meet(eng):
    ids = eng.add_touches([
        {"keys": {"cookie_id": "anon-1"}, "time": T0},
        {"keys": {"email": "p@acme.com"}, "time": T0 + 1},
        {"keys": [("cookie_id", "anon-1"), ("email", "p@acme.com")],
         "time": T0 + 2, "type": "form_submit"},
    ])
    survivor = eng.resolve(ids[0])
    assert eng.resolve(ids[1]) == survivor == ids[2]
    assert eng.contact(survivor).touch_count == 3


def test_batch_with_one_bad_touch_records_nothing(eng):
    eng.add_touch(keys={"email": "q@acme.com"}, time=T0)
    before = eng.stats()
    rows = [{"keys": {"email": "r@acme.com"}, "time": T0},
            {"keys": {"email": "s@acme.com"}, "time": T0},
            {"keys": {"email": "broken"}, "time": T0}]
    with pytest.raises(fc.InvalidArgument, match="touch 2") as ei:
        eng.add_touches(rows)
    assert "not an e-mail address" in ei.value.detail
    after = eng.stats()
    assert (after.touches, after.contacts) == (before.touches, before.contacts)
    assert eng.find_contact("email", "r@acme.com") is None


def test_batch_python_side_errors_name_the_touch(eng):
    with pytest.raises(fc.InvalidArgument, match="touch 1: unknown touch "
                                                 "field 'chanel'"):
        eng.add_touches([{"keys": {"email": "t@acme.com"}},
                         {"keys": {"email": "t@acme.com"}, "chanel": "x"}])
    with pytest.raises(fc.InvalidArgument, match="touch 0: expected a dict"):
        eng.add_touches([42])
    with pytest.raises(fc.InvalidArgument, match="touch 0: time"):
        eng.add_touches([{"keys": {"email": "t@acme.com"}, "time": "soon"}])
    assert eng.stats().touches == 0


def test_negative_value_and_bad_time_are_rejected(eng):
    with pytest.raises(fc.InvalidArgument, match="negative"):
        eng.add_touch(keys={"email": "v@acme.com"}, value=-1, time=T0)
    with pytest.raises(fc.InvalidArgument, match="outside"):
        eng.add_touch(keys={"email": "v@acme.com"}, time=-5)
    assert eng.stats().touches == 0


def test_touch_by_handle_and_account_field(eng):
    c = eng.upsert_contact({"email": "w@gmail.com"})
    assert eng.add_touch(contact=c, time=T0, account="Initech") == c
    assert eng.contact(c).account == eng.find_account("Initech")


def test_touch_channel_uses_host_rules_first():
    rules = [("utm_source", "partnerx*", "partners"),
             {"field": "referrer_host", "pattern": "*.example.org",
              "channel": "community"}]
    with fc.Engine(channel_rules=rules) as e:
        assert e.touch_channel(utm_source="partnerx_q1") == "partners"
        assert e.touch_channel(referrer="https://www.google.com/") == \
            "organic_search"
    with fc.Engine() as e:
        assert e.touch_channel(utm_source="partnerx_q1") != "partners"
        assert e.touch_channel() == "direct"
    with pytest.raises(fc.InvalidArgument, match="channel rule field"):
        fc.Engine(channel_rules=[("utm_color", "x", "y")])


def test_deals_upsert_find_read_update(eng):
    c = eng.upsert_contact({"email": "x@acme.com"})
    d = eng.upsert_deal("OPP-1", account="acme.com",
                        contacts=[(c, "decision_maker"),
                                  {"key": ("email", "y@acme.com"),
                                   "role": "user"}],
                        amount=1_000_000, currency="EUR", created=T0,
                        stage="proposal", owner="sam")
    info = eng.deal(d)
    assert (info.name, info.amount, info.currency, info.status) == (
        "OPP-1", 1_000_000, "EUR", "open")
    assert info.account == eng.find_account("acme.com")
    assert info.stage == "proposal" and info.owner == "sam"
    y = eng.find_contact("email", "y@acme.com")
    assert y is not None  # the key created a contact
    assert [(m.contact, m.role) for m in info.contacts] == [
        (c, "decision_maker"), (y, "user")]
    assert eng.find_deal("OPP-1") == d and eng.find_deal("OPP-2") is None
    eng.upsert_deal("OPP-1", amount=900_000, currency="EUR", created=T0,
                    closed=T0 + 30 * DAY, status="won")
    info = d.info()
    assert (info.amount, info.status, info.closed) == (
        900_000, "won", T0 + 30 * DAY)
    assert [x.name for x in eng.deals()] == ["OPP-1"]


def test_won_deal_needs_a_close_time(eng):
    with pytest.raises(fc.InvalidArgument):
        eng.upsert_deal("OPP-9", amount=1, created=T0, status="won")
    with pytest.raises(fc.InvalidArgument, match="status"):
        eng.upsert_deal("OPP-9", status="maybe")
    assert eng.deals() == []


def test_costs_add_read_and_errors(eng):
    i = eng.add_cost(channel="paid_search", campaign="spring", region="EMEA",
                     start=T0, end=T0 + 30 * DAY, amount=1_000_000,
                     currency="EUR")
    j = eng.add_cost(campaign="fair", start=T0, end=T0 + DAY, amount=5)
    assert (i, j) == (0, 1)
    c = eng.cost(0)
    assert (c.channel, c.campaign, c.region, c.amount, c.currency) == (
        "paid_search", "spring", "EMEA", 1_000_000, "EUR")
    assert (c.start, c.end) == (T0, T0 + 30 * DAY)
    assert eng.costs()[1].currency == "USD" and eng.costs()[1].channel is None
    with pytest.raises(fc.NotFound):
        eng.cost(2)
    with pytest.raises(fc.InvalidArgument):
        eng.add_cost(channel="x", start=T0 + 1, end=T0, amount=1)
    with pytest.raises(fc.InvalidArgument):
        eng.add_cost(start=T0, end=T0 + 1, amount=1)  # no channel/campaign
    assert len(eng.costs()) == 2


def test_batches_agree_with_and_without_the_fast_packer(monkeypatch):
    from funnelcore import _pack
    rows = [{"keys": [("cookie_id", f"ck{i % 4}"), ("email", f"p{i % 3}@acme.com")]
             if i % 5 == 0 else {"email": f"p{i % 3}@acme.com"},
             "time": T0 + i, "channel": ["email", "events"][i % 2],
             "campaign": "c\u00e9", "value": i, "type": "visit"}
            for i in range(40)]

    def run():
        with fc.Engine() as e:
            ids = e.add_touches(rows)
            return ids, [e.contact(c) for c in e.contact_ids()], e.stats()

    fast = run()
    monkeypatch.setattr(_pack, "FAST", False)
    slow = run()
    assert fast[0] == slow[0] and fast[1] == slow[1]
    assert fast[2].touches == slow[2].touches == 40
    assert fast[2].merges == slow[2].merges


def test_who_made_a_touch_is_kept_and_read_back(eng):
    c = eng.upsert_contact({"email": "ann@acme.com"}, owner="alice", time=T0)
    assert eng.add_touch(keys={"email": "ann@acme.com"}, time=T0 + 1,
                         type="call", channel="sales", by="alice") == c
    eng.add_touches([
        {"keys": {"email": "ann@acme.com"}, "time": T0 + 2, "type": "call",
         "channel": "sales", "by": "bob"},
        {"keys": {"email": "ann@acme.com"}, "time": T0 + 3, "type": "call",
         "channel": "sales"},
        {"keys": {"email": "ann@acme.com"}, "time": T0 + 4, "type": "call",
         "channel": "sales", "by": "Alice"},  # kept as written
    ])
    got = [(t.time - T0, t.by) for t in eng.touches(c)]
    assert got == [(1, "alice"), (2, "bob"), (3, None), (4, "Alice")]
    # the actor is no dimension: the touches read the same otherwise
    assert {(t.type, t.channel, t.campaign) for t in eng.touches(c)} == {
        ("call", "sales", None)}
    assert eng.contact(c).touches[0].by == "alice"


def test_a_bad_actor_is_refused_and_names_the_touch(eng):
    with pytest.raises(fc.InvalidArgument, match="touch by: empty"):
        eng.add_touch(keys={"email": "x@acme.com"}, time=T0, by="")
    with pytest.raises(fc.InvalidArgument, match="touch 1: touch by: longer"):
        eng.add_touches([{"keys": {"email": "x@acme.com"}, "time": T0,
                          "by": "ok"},
                         {"keys": {"email": "x@acme.com"}, "time": T0,
                          "by": "x" * 4097}])
    with pytest.raises(fc.InvalidArgument, match="touch 0: by"):
        eng.add_touches([{"keys": {"email": "x@acme.com"}, "time": T0,
                          "by": "a\x00b"}])
    assert eng.stats().touches == 0


def test_actors_agree_with_and_without_the_fast_packer(monkeypatch):
    from funnelcore import _pack
    rows = [{"keys": {"email": f"p{i % 3}@acme.com"}, "time": T0 + i,
             "type": "call", "by": [None, "r\u00e9p-1", "rep-2"][i % 3]}
            for i in range(12)]

    def run():
        with fc.Engine() as e:
            e.add_touches(rows)
            return sorted((t.time, t.by) for c in e.contact_ids()
                          for t in e.touches(c))

    fast = run()
    monkeypatch.setattr(_pack, "FAST", False)
    slow = run()
    assert fast == slow
    assert fast[:3] == [(T0, None), (T0 + 1, "r\u00e9p-1"), (T0 + 2, "rep-2")]


@pytest.mark.skipif(not fc._lib.has("fnl_contact_forget"),
                    reason="library without persistence API")
def test_actors_survive_a_checkpoint_and_reopen(tmp_path):
    d = tmp_path / "db"
    store = fc.FileStore(d)
    with fc.Engine(storage=store) as e:
        e.add_touch(keys={"email": "ann@acme.com"}, time=T0, type="call",
                    by="alice")
        e.checkpoint()
        e.add_touch(keys={"email": "ann@acme.com"}, time=T0 + 1, type="call",
                    by="bob")
    store.close()
    store = fc.FileStore(d)
    with fc.Engine(storage=store) as e:
        c = e.find_contact("email", "ann@acme.com")
        assert [t.by for t in e.touches(c)] == ["alice", "bob"]
    store.close()
