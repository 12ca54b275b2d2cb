"""Lifecycle stage machines: Machine.parse / default / text, machines
attached to an engine (stages, host events, ticks, SLA breaches, history,
listener events)."""
import pickle

import pytest

import funnelcore as fc
from conftest import DAY, T0

MODEL = """\
model demo
fit title contains director +10
engage type = demo_request +30
threshold mql when score >= 30
"""

TINY = """\
machine "tiny" version 2
stage inquiry initial
stage mql
stage sal
group sdr members "ana", "ben"
transition inquiry -> mql on event qualify
transition mql -> sal on event sales_accept
route on mql to group sdr
sla mql accept within 1d
"""


@pytest.fixture
def clock():
    return [T0]


@pytest.fixture
def events():
    return []


@pytest.fixture
def eng(clock, events):
    with fc.Engine(clock=lambda: clock[0], listener=events.append) as e:
        yield e


def test_default_machine_text_and_facts():
    with fc.Machine.default() as m:
        assert m.name == "waterfall" and m.version == 1
        assert m.stages == ["inquiry", "mql", "sal", "sql", "opportunity",
                            "customer", "nurture", "recycled",
                            "disqualified"]
        text = m.text
        assert text.startswith('machine "waterfall" version 1\n')
        assert 'transition inquiry -> mql when threshold "mql"\n' in text
        assert "sla mql accept within 2d\n" in text
        again = fc.Machine.parse(text)
        assert again.text == text                # canonical: a fixed point
        assert str(again) == text
        assert pickle.loads(pickle.dumps(again)).text == text


def test_parse_canonicalises_and_reports_line_and_column():
    m = fc.Machine.parse("machine tiny version 2\nstage inquiry initial\n"
                         "stage mql\ntransition inquiry -> mql on event X\n")
    assert m.name == "tiny" and m.stages == ["inquiry", "mql"]
    assert m.text == ('machine "tiny" version 2\nstage inquiry initial\n'
                      'stage mql\ntransition inquiry -> mql on event x\n')
    with pytest.raises(fc.InvalidArgument) as ei:
        fc.Machine.parse("machine m version 1\nstage a initial\n"
                         "transition a -> sqll on event x\n")
    e = ei.value
    assert (e.line, e.column, e.message) == (3, 17, "unknown stage 'sqll'")
    assert "line 3, column 17: unknown stage 'sqll'" in str(e)
    with pytest.raises(TypeError):
        fc.Machine()
    m.close()
    m.close()                                    # twice is harmless
    with pytest.raises(fc.InvalidArgument):
        m.text


def test_without_a_machine(eng):
    c = eng.upsert_contact({"email": "a@acme.com"})
    with pytest.raises(fc.NotFound):
        eng.contact_stage(c)
    with pytest.raises(fc.NotFound):
        eng.contact_event(c, "sales_accept")
    eng.tick()                                   # nothing to do: no error
    with pytest.raises(fc.InvalidArgument):
        eng.attach_machine("waterfall")


def test_default_machine_score_to_mql_accept_and_sla_breach(eng, clock,
                                                              events):
    eng.attach_model(fc.Model.parse(MODEL))
    eng.attach_machine(fc.Machine.default())
    c = eng.upsert_contact({"email": "ann@acme.com"},
                           attrs={"title": "Director"})
    s = eng.contact_stage(c)                     # score 10 < 30: inquiry
    assert (s.stage, s.index, s.entered, s.owner) == ("inquiry", 0, T0, None)
    assert (s.reached, s.reached_mask, s.reached_count, s.history) == \
        (["inquiry"], 1, 1, 1)
    assert [(e.kind, e.name, e.time) for e in events
            if e.code >= 7] == [("stage_changed", "inquiry", T0)]
    events.clear()

    # a demo request: 10 + 30 = 40 >= 30, threshold mql holds -> mql,
    # routed to the fallback queue (no account owner)
    eng.add_touch(contact=c, type="demo_request", time=T0 + 1000)
    assert eng.contact_score(c).thresholds == {"mql": True}
    s = eng.contact_stage(c)
    assert (s.stage, s.entered, s.owner, s.reached) == \
        ("mql", T0 + 1000, "unassigned", ["inquiry", "mql"])
    assert [(e.kind, e.name, e.time, e.contact) for e in events] == [
        ("stage_changed", "mql", T0 + 1000, c),
        ("routed", "unassigned", T0 + 1000, c)]
    events.clear()

    # "sla mql accept within 2d": due at T0 + 1000 + 2d (inclusive)
    eng.tick(T0 + 2 * DAY)                       # 1 s early: nothing
    assert events == []
    clock[0] = T0 + 3 * DAY
    eng.tick()                                   # the engine clock
    assert [(e.kind, e.name, e.time) for e in events] == [
        ("sla_breach", "accept", T0 + 2 * DAY + 1000)]
    assert eng.contact_stage(c).stage == "mql"   # breach only reports
    events.clear()

    eng.contact_event(c, "sales_accept", time=T0 + 3 * DAY + 5)
    s = eng.contact_stage(c)
    assert (s.stage, s.entered, s.reached_count) == ("sal", T0 + 3 * DAY + 5,
                                                     3)
    assert [(e.kind, e.name) for e in events] == [("stage_changed", "sal")]

    h = eng.contact_stage_history(c)
    assert [(r.kind, r.cause, r.from_stage, r.to_stage, r.time)
            for r in h] == [
        ("transition", "start", None, "inquiry", T0),
        ("transition", "touch", "inquiry", "mql", T0 + 1000),
        ("assign", "touch", "mql", "mql", T0 + 1000),
        ("breach", "timer", "mql", "mql", T0 + 2 * DAY + 1000),
        ("transition", "event", "mql", "sal", T0 + 3 * DAY + 5)]
    assert h[0].rule is None and h[1].rule == 0 and h[4].rule == 3
    assert h[2].owner == "unassigned" and h[2].prev_owner is None
    assert not any(r.back for r in h)
    assert eng.contact_stage(c).history == 5


def test_custom_machine_event_routing_reject_reason(eng, events):
    eng.attach_machine(fc.Machine.parse(TINY + "stage recycled side\n"
                       "transition mql -> recycled back on event "
                       "sales_reject\n"))
    a = eng.upsert_contact({"email": "a@x.com"})
    b = eng.upsert_contact({"email": "b@y.com"})
    eng.contact_event(a, "qualify", time=T0 + 10)
    eng.contact_event(b, "QUALIFY", time=T0 + 20)   # names fold to lower
    # round robin over the group: ana, then ben
    assert [eng.contact_stage(x).owner for x in (a, b)] == ["ana", "ben"]
    assert [(e.kind, e.name, e.contact) for e in events
            if e.kind in ("stage_changed", "routed")] == [
        ("stage_changed", "inquiry", a), ("stage_changed", "inquiry", b),
        ("stage_changed", "mql", a), ("routed", "ana", a),
        ("stage_changed", "mql", b), ("routed", "ben", b)]
    eng.contact_event(b, "sales_reject", reason="bad_fit", time=T0 + 30)
    s = eng.contact_stage(b)
    assert (s.stage, s.owner) == ("recycled", "ben")
    last = eng.contact_stage_history(b)[-1]
    assert (last.kind, last.cause, last.from_stage, last.to_stage,
            last.back, last.reason) == ("transition", "event", "mql",
                                        "recycled", True, "bad_fit")
    with pytest.raises(fc.InvalidArgument):
        eng.contact_event(a, "not a name!")


def test_stage_events_through_the_listener_with_readable_kinds(eng, events):
    eng.attach_machine(fc.Machine.parse(
        TINY + 'step follow on enter mql after 1h notify "follow_up"\n'))
    c = eng.upsert_contact({"email": "c@z.com"})
    eng.contact_event(c, "qualify", time=T0 + 5)
    events.clear()
    eng.tick(T0 + 5 + DAY)                       # step at 1h, SLA at 1d
    assert [(e.kind, e.code, e.name, e.time) for e in events] == [
        ("step_due", 10, "follow_up", T0 + 5 + 3600000),
        ("sla_breach", 8, "accept", T0 + 5 + DAY)]
    assert fc.Event.__doc__ and "sla_breach" in fc.Event.__doc__
