"""Lead scoring: Model.parse / text / score / explain, models attached to
an engine (scores, explanations, account roll-ups, key events to the
listener, progress and cancelling)."""
import pickle

import pytest

import funnelcore as fc
from conftest import DAY, T0

MODEL = """\
model "enterprise" version 3
fit title contains director +10
fit company_size >= 200 +15
fit email freemail -20
engage type = pricing_view +5 cap 12
engage channel = email +1
key_event trial when type = trial_request +30
key_event "pricing x3" when type = pricing_view count 3 within 7d +20
grade A fit >= 25
grade B fit >= 10
band 1 engagement >= 50
band 2 engagement >= 20
threshold mql when score >= 40 and grade >= B
threshold hot when key_event trial
account rollup max
account engaged when engagement >= 10
account roles decision_maker, economic_buyer
"""

DECAY = """\
model decaying
decay half_life 1d
engage type = demo +8
"""


@pytest.fixture
def model():
    with fc.Model.parse(MODEL) as m:
        yield m


def pricing(n, start=T0, step=DAY, **extra):
    return [dict(time=start + i * step, type="pricing_view", **extra)
            for i in range(n)]


def test_parse_text_round_trip_and_info(model):
    text = model.text
    assert text.startswith('model "enterprise" version 3\n')
    assert 'key_event "trial" when type = trial_request +30' in text
    again = fc.Model.parse(text)
    assert again.text == text                      # canonical: a fixed point
    assert again.info.fingerprint == model.info.fingerprint
    i = model.info
    assert (i.name, i.version, i.half_life_ms, i.fit_rules, i.engage_rules,
            i.key_events, i.thresholds) == ("enterprise", 3, 0, 3, 2, 2, 2)
    assert model.key_events == ["trial", "pricing x3"]
    assert model.thresholds == ["mql", "hot"]
    assert pickle.loads(pickle.dumps(model)).text == text
    assert fc.Model.parse(DECAY).info.half_life_ms == DAY


def test_parse_errors_carry_line_and_column():
    with pytest.raises(fc.InvalidArgument) as ei:
        fc.Model.parse('model m\nfit title contains director 10\n')
    e = ei.value
    assert (e.line, e.column) == (2, 29)
    assert "sign" in e.message and "line 2, column 29" in str(e)
    with pytest.raises(fc.InvalidArgument) as ei:
        fc.Model.parse("model m\nfitt x = 1 +1\n")
    assert ei.value.line == 2 and "fitt" in ei.value.message
    with pytest.raises(TypeError):
        fc.Model()


def test_standalone_score_hand_computed(model):
    attrs = {"title": "IT Director", "company_size": 500,
             "email": "ann@acme.com"}
    touches = pricing(3) + [dict(time=T0 + 3 * DAY, type="webinar",
                                 channel="email")]
    s = model.score(attrs, touches, T0 + 10 * DAY)
    # fit 10 + 15; engagement min(15, 12) + 1 + key event 20 (3 in 7 days)
    assert (s.fit, s.engagement, s.total) == (25.0, 33.0, 58.0)
    assert (s.grade, s.band, s.cell) == ("A", 2, "A2")
    assert s.key_events == ["pricing x3"] and s.firings == 1
    assert s.thresholds == {"mql": True, "hot": False}
    assert (s.key_event_mask, s.threshold_mask, s.time) == (2, 1,
                                                            T0 + 10 * DAY)
    # free-mail, only two pricing views: no key event
    s = model.score({"email": "x@gmail.com"}, pricing(2), T0 + 5 * DAY)
    assert (s.fit, s.engagement, s.grade, s.cell) == (-20.0, 10.0, "D",
                                                      "D4")
    assert s.key_events == [] and s.thresholds == {"mql": False,
                                                   "hot": False}
    # touches after t are ignored; Touch objects work as well as dicts
    tt = [fc.Touch(time=T0, contact=1, type="trial_request", channel=None),
          fc.Touch(time=T0 + DAY, contact=1, type="pricing_view",
                   channel=None)]
    s = model.score({}, tt, T0)
    assert (s.engagement, s.key_events) == (30.0, ["trial"])


def test_decay_exact_at_whole_half_lives():
    with fc.Model.parse(DECAY) as m:
        tl = [dict(time=T0, type="demo")]
        assert [m.score({}, tl, T0 + k * DAY).engagement
                for k in range(4)] == [8.0, 4.0, 2.0, 1.0]


def test_explain_rows_sum_to_total_and_history(model):
    attrs = {"title": "Director", "company_size": "250"}
    touches = pricing(4) + [dict(time=T0 + 9 * DAY, type="trial_request")]
    rows = model.explain(attrs, touches, T0 + 9 * DAY)
    assert [r.kind for r in rows] == ["fit"] * 3 + ["engage"] * 2 + \
        ["key_event"] * 2
    assert rows[0].rule == "fit title contains director +10"
    byrule = {r.rule.split(" +")[0].split(" -")[0]: r for r in rows}
    pv = byrule["engage type = pricing_view"]
    assert (pv.matched, pv.counted, pv.raw) == (4, 4, 12.0)
    ke = rows[6]
    assert (ke.matched, ke.counted, ke.value) == (4, 1, 20.0)
    s = model.score(attrs, touches, T0 + 9 * DAY)
    assert sum(r.value for r in rows) == pytest.approx(s.total, abs=1e-9)
    assert s.total == 25 + 12 + 30 + 20
    hist = model.key_event_history(touches, T0 + 9 * DAY)
    assert [(h.name, h.index, h.time) for h in hist] == [
        ("pricing x3", 1, T0 + 2 * DAY), ("trial", 0, T0 + 9 * DAY)]


def test_engine_score_equals_standalone_model_score(model):
    events = []
    with fc.Engine(listener=events.append) as eng:
        ann = eng.upsert_contact({"email": "ann@acme.com"},
                                 attrs={"title": "Director of IT",
                                        "company_size": 300},
                                 account="acme.com", role="decision_maker")
        bob = eng.upsert_contact({"email": "bob@gmail.com"},
                                 attrs={"title": "Engineer"})
        eng.add_touches(
            [dict(keys={"email": "ann@acme.com"}, **t) for t in pricing(3)]
            + [dict(keys={"email": "bob@gmail.com"}, channel="email",
                    time=T0 + i * DAY) for i in range(4)])
        events.clear()
        eng.attach_model(model)
        assert [m.text for m in eng.models()] == [model.text]
        t = T0 + 20 * DAY
        for c in (ann, bob):
            info = eng.contact(c)
            attrs = dict(info.keys)
            attrs.update(info.attrs)       # keys count as attributes
            want = model.score(attrs, info.touches, t)
            got = eng.contact_score(c, t=t)
            assert got == want
            assert eng.contact_score(c, "enterprise", t) == want
            assert eng.contact_explain(c, model, t) == model.explain(
                attrs, info.touches, t)
        s = eng.contact_score(ann, t=t)
        assert (s.fit, s.engagement, s.key_events) == (25.0, 32.0,
                                                       ["pricing x3"])
        assert eng.contact_score(bob, t=t).fit == -20.0
        # a touch after attaching fires the key event to the listener
        eng.add_touch(keys={"email": "ann@acme.com"}, type="trial_request",
                      time=T0 + 21 * DAY)
        ke = [e for e in events if e.kind == "key_event"]
        assert [(e.model, e.name, e.contact, e.time) for e in ke] == [
            ("enterprise", "trial", ann, T0 + 21 * DAY)]
        assert eng.contact_score(ann, t=T0 + 21 * DAY).thresholds == {
            "mql": True, "hot": True}
        acc = eng.account_score(eng.find_account("acme.com"),
                                t=T0 + 21 * DAY)
        assert acc.score == 25 + 12 + 20 + 30     # rollup max of one
        assert (acc.contacts, acc.engaged) == (1, 1)
        assert acc.roles_required == ["decision_maker", "economic_buyer"]
        assert acc.roles_engaged == ["decision_maker"]
        assert acc.roles_covered == 1
        assert acc.covered_roles == ["decision_maker"]
        assert acc.coverage == 0.5
        eng.detach_model("enterprise")
        assert eng.models() == []
        with pytest.raises(fc.NotFound):
            eng.contact_score(ann)
        with pytest.raises(fc.NotFound):
            eng.detach_model(model)


def test_listener_exception_on_key_event_is_reraised(model):
    def boom(ev):
        if ev.kind == "key_event":
            raise KeyError(ev.name)
    with fc.Engine(listener=boom) as eng:
        eng.attach_model(model)
        with pytest.raises(KeyError, match="trial"):
            eng.add_touch(keys={"email": "z@acme.com"}, type="trial_request",
                          time=T0)
        # the mutation was kept and scored
        z = eng.find_contact("email", "z@acme.com")
        assert eng.contact_score(z, t=T0).key_events == ["trial"]


def test_attach_progress_and_cancel(model):
    n = 9000
    with fc.Engine() as eng:
        eng.add_touches([{"keys": {"cookie_id": f"c{i}"}, "time": T0,
                          "type": "pricing_view"} for i in range(n)])
        calls = []
        eng.attach_model(model, progress=lambda d, t: calls.append((d, t)))
        assert calls == [(4096, n), (8192, n), (n, n)]
        c = eng.find_contact("cookie_id", "c5")
        assert eng.contact_score(c, t=T0).engagement == 5.0
        # cancel by returning True: Canceled, and the old model stands
        other = fc.Model.parse(MODEL.replace("+5 cap 12", "+7 cap 12"))
        with pytest.raises(fc.Canceled):
            eng.attach_model(other, progress=lambda d, t: True)
        assert eng.contact_score(c, t=T0).engagement == 5.0
        # an exception cancels too and is re-raised unchanged

        class Stop(Exception):
            pass

        def stop(d, t):
            raise Stop(d)
        with pytest.raises(Stop) as ei:
            eng.attach_model(other, progress=stop)
        assert ei.value.args == (4096,)
        assert eng.contact_score(c, t=T0).engagement == 5.0
        eng.attach_model(other)
        assert eng.contact_score(c, t=T0).engagement == 7.0
        assert len(eng.models()) == 1


def test_models_survive_a_restart(model, tmp_path):
    st = fc.FileStore(tmp_path / "store")
    with fc.Engine(storage=st) as eng:
        c = eng.upsert_contact({"email": "ann@acme.com"},
                               attrs={"title": "director"})
        eng.add_touches(dict(keys={"email": "ann@acme.com"}, **t)
                        for t in pricing(3))
        eng.attach_model(model)
        before = eng.contact_score(c, t=T0 + 9 * DAY)
    st.close()
    with fc.FileStore(tmp_path / "store") as st2:
        with fc.Engine(storage=st2) as eng:
            assert [m.text for m in eng.models()] == [model.text]
            assert eng.contact_score(c, t=T0 + 9 * DAY) == before
