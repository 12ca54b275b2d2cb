"""Engine, configuration, contacts and identity, accounts."""
import datetime as dt
import pickle

import pytest

import funnelcore as fc
from conftest import DAY, T0


def test_library_version_matches_package():
    assert fc.library_version == "0.1.0"
    assert fc.library_path.endswith((".so", ".so.0"))


def test_engine_context_manager_closes_and_closed_engine_raises():
    with fc.Engine() as e:
        assert not e.closed
        e.upsert_contact({"email": "a@acme.com"})
    assert e.closed
    with pytest.raises(fc.InvalidArgument, match="engine is closed"):
        e.stats()
    e.close()  # idempotent


def test_default_clock_is_the_system_clock(eng):
    before = int(dt.datetime.now(dt.timezone.utc).timestamp() * 1000)
    now = eng.now()
    after = int(dt.datetime.now(dt.timezone.utc).timestamp() * 1000)
    assert before - 1000 <= now <= after + 1000


def test_email_is_trimmed_and_lower_cased(eng):
    c = eng.upsert_contact({"email": "  Ann@ACME.com "})
    assert eng.contact_keys(c) == [("email", "ann@acme.com")]
    assert eng.find_contact("email", "ANN@acme.COM") == c
    assert eng.find_contact("email", "nobody@acme.com") is None


def test_phone_gets_the_default_country_code():
    with fc.Engine(default_country_code="86") as e:
        c = e.upsert_contact({"phone": "138 0013 8000"})
        assert e.contact(c).key("phone") == "+8613800138000"
    with fc.Engine() as e:
        c = e.upsert_contact({"phone": "+1 (415) 555-0100"})
        assert e.contact(c).key("phone") == "+14155550100"


def test_keys_meet_merges_and_older_contact_survives():
    events = []
    with fc.Engine(listener=events.append) as e:
        old = e.upsert_contact({"cookie_id": "ck-1"}, time=T0)
        new = e.upsert_contact({"email": "bob@acme.com"}, time=T0 + DAY)
        assert old != new
        merged = e.upsert_contact([("cookie_id", "ck-1"),
                                   ("email", "bob@acme.com")],
                                  time=T0 + 2 * DAY)
        assert merged == old
        assert e.resolve(new) == old
        assert e.contact(new).id == old  # the other handle resolves
        assert sorted(e.contact(old).keys) == [("cookie_id", "ck-1"),
                                              ("email", "bob@acme.com")]
        st = e.stats()
        assert (st.contacts, st.merges, st.identity_keys) == (1, 1, 2)
        assert [c for c in e.contact_ids()] == [old]
        m = [ev for ev in events if ev.kind == "contact_merged"]
        assert len(m) == 1 and m[0].contact == old and m[0].other == new
        assert m[0].time == T0 + 2 * DAY


def test_attrs_tags_owner_role_roundtrip(eng):
    c = eng.upsert_contact({"email": "c@acme.com"},
                           attrs={"Title": "CTO", "employees": 250},
                           tags_add=["vip", "beta"], owner="olga",
                           role="decision_maker", time=T0)
    info = eng.contact(c)
    assert info.attrs == {"employees": 250.0, "title": "CTO"}
    assert info.tags == ["beta", "vip"]  # sorted bytewise
    assert info.owner == "olga" and info.role == "decision_maker"
    assert info.created == T0
    assert eng.contact_attr(c, "title") == "CTO"
    eng.upsert_contact(contact=c, attrs={"title": None}, tags_remove=["vip"],
                       owner="", time=T0 + 1)
    info = eng.contact(c)
    assert info.attrs == {"employees": 250.0}
    assert info.tags == ["beta"] and info.owner is None
    with pytest.raises(fc.NotFound) as ei:
        eng.contact_attr(c, "title")
    assert ei.value.code == fc.errors.ENOTFOUND
    with pytest.raises(fc.InvalidArgument, match="unknown role"):
        eng.upsert_contact(contact=c, role="janitor")
    with pytest.raises(fc.InvalidArgument):
        eng.upsert_contact(contact=c, attrs={"x": [1]})


def test_contact_handle_shortcuts_and_pickles_as_int(eng):
    c = eng.upsert_contact({"email": "d@acme.com"}, tags_add=["x"])
    assert isinstance(c, int) and isinstance(c, fc.Contact)
    assert c.engine is eng
    assert c.keys() == [("email", "d@acme.com")] and c.tags() == ["x"]
    assert c.attrs() == {} and c.touches() == [] and c.resolve() == c
    assert c.info().id == c
    assert pickle.loads(pickle.dumps(c)) == int(c)


def test_source_precedence_keeps_the_higher_priority_value():
    with fc.Engine(precedence="source", source_priority=["crm", "web"]) as e:
        c = e.upsert_contact({"email": "e@acme.com"}, attrs={"title": "A"},
                             source="crm", time=T0)
        e.upsert_contact({"email": "e@acme.com"}, attrs={"title": "B"},
                         source="web", time=T0 + 1)
        assert e.contact_attr(c, "title") == "A"
    with fc.Engine() as e:  # latest wins
        c = e.upsert_contact({"email": "e@acme.com"}, attrs={"title": "A"},
                             source="crm", time=T0)
        e.upsert_contact({"email": "e@acme.com"}, attrs={"title": "B"},
                         source="web", time=T0 + 1)
        assert e.contact_attr(c, "title") == "B"
    with pytest.raises(fc.InvalidArgument):
        fc.Engine(precedence="loudest")


def test_business_domain_makes_an_account_freemail_does_not():
    with fc.Engine(freemail_domains=["corpmail.example"]) as e:
        c = e.upsert_contact({"email": "f@acme.com"})
        g = e.upsert_contact({"email": "g@gmail.com"})
        h = e.upsert_contact({"email": "h@corpmail.example"})
        acc = e.find_account("acme.com")
        assert acc is not None and e.contact(c).account == acc
        assert e.contact(g).account is None
        assert e.contact(h).account is None
        assert e.stats().accounts == 1
        assert e.is_freemail("gmail.com") and e.is_freemail("qq.com")
        assert e.is_freemail("corpmail.example")
        assert not e.is_freemail("acme.com")


def test_account_upsert_domains_attrs_and_contacts(eng):
    a = eng.upsert_account("ACME-1", domains=["acme.com", "acme.de"],
                           attrs={"industry": "machinery"}, owner="kim",
                           time=T0)
    c = eng.upsert_contact({"email": "i@acme.de"})
    info = eng.account(a)
    assert info.name == "ACME-1" and info.owner == "kim"
    assert sorted(info.domains) == ["acme.com", "acme.de"]
    assert info.attrs == {"industry": "machinery"}
    assert info.contacts == [c] and info.contact_count == 1
    assert info.created == T0
    assert eng.find_account("acme.de") == a == eng.find_account("ACME-1")
    assert eng.find_account("nope.com") is None
    assert [x.id for x in eng.accounts()] == [a]
    assert a.info() == info
    with pytest.raises(fc.AlreadyExists):
        eng.upsert_account("OTHER", domains=["acme.com"])
    with pytest.raises(fc.InvalidArgument):
        eng.upsert_account("FREE", domains=["gmail.com"])
    with pytest.raises(fc.NotFound):
        eng.account(12345)


def test_contact_can_be_put_on_an_account_explicitly(eng):
    c = eng.upsert_contact({"email": "j@gmail.com"}, account="BigCo")
    acc = eng.find_account("BigCo")
    assert acc is not None and eng.contact(c).account == acc


def test_stale_and_unknown_handles_map_to_their_errors(eng):
    c = eng.upsert_contact({"email": "k@acme.com"})
    stale = int(c) + (1 << 32)  # same slot, next generation
    with pytest.raises(fc.Stale) as ei:
        eng.resolve(stale)
    assert ei.value.code == -7 and "stale" in ei.value.detail
    with pytest.raises(fc.NotFound, match="no contact with handle 99"):
        eng.contact(99)
    with pytest.raises(fc.InvalidArgument):
        eng.contact(-1)


def test_invalid_keys_raise_with_the_engine_detail(eng):
    with pytest.raises(fc.InvalidArgument, match="not an e-mail address"):
        eng.upsert_contact({"email": "not-an-email"})
    with pytest.raises(fc.InvalidArgument, match="NUL"):
        eng.upsert_contact({"email": "a\0b@acme.com"})
    with pytest.raises(fc.InvalidArgument):
        eng.upsert_contact([("email",)])
    with pytest.raises(fc.InvalidArgument):
        eng.upsert_contact()  # no key, no handle
    assert eng.stats().contacts == 0  # a failed call changes nothing


def test_contacts_iterates_infos_in_creation_order(eng):
    a = eng.upsert_contact({"email": "l1@acme.com"})
    b = eng.upsert_contact({"email": "l2@acme.com"})
    assert [c.id for c in eng.contacts()] == [a, b]


def test_stats_count_everything(eng):
    eng.upsert_contact({"email": "m@acme.com"}, tags_add=["t"])
    eng.add_touch(keys={"email": "m@acme.com"}, channel="email", time=T0)
    eng.upsert_deal("D-1", amount=5, created=T0)
    eng.add_cost(channel="email", start=T0, end=T0 + DAY, amount=100)
    s = eng.stats()
    assert (s.contacts, s.accounts, s.touches, s.deals, s.costs) == (
        1, 1, 1, 1, 1)
    assert s.memory_bytes > 0 and s.memory_peak >= s.memory_bytes
    assert s.strings > 0 and s.string_bytes > 0
