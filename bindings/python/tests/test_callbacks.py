"""Clock and listener callables, and the exception rule."""
import datetime as dt
import gc
import weakref

import pytest

import funnelcore as fc
from conftest import DAY, T0


def test_clock_drives_now_and_default_times():
    now = [T0]
    with fc.Engine(clock=lambda: now[0]) as e:
        assert e.now() == T0
        c = e.add_touch(keys={"email": "a@acme.com"})  # time: clock's now
        now[0] += DAY
        e.add_touch(keys={"email": "a@acme.com"})
        assert [t.time for t in e.touches(c)] == [T0, T0 + DAY]
        assert e.contact(c).created == T0


def test_clock_may_return_a_datetime():
    when = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    with fc.Engine(clock=lambda: when) as e:
        assert e.now() == T0


def test_exception_in_clock_is_reraised_and_the_call_changes_nothing():
    state = {"fail": True}

    class ClockBroke(Exception):
        pass

    def clock():
        if state["fail"]:
            raise ClockBroke("no time")
        return T0

    with fc.Engine(clock=clock) as e:
        with pytest.raises(ClockBroke, match="no time") as ei:
            e.add_touch(keys={"email": "b@acme.com"})
        notes = getattr(ei.value, "__notes__", [])
        if hasattr(ei.value, "add_note"):
            assert any("clock callback" in n for n in notes)
        st = e.stats()
        assert (st.touches, st.contacts) == (0, 0)
        with pytest.raises(ClockBroke):
            e.now()
        with pytest.raises(ClockBroke):  # batches too
            e.add_touches([{"keys": {"email": "b@acme.com"}}])
        assert e.stats().touches == 0
        state["fail"] = False  # the engine is fine afterwards
        e.add_touch(keys={"email": "b@acme.com"})
        assert e.stats().touches == 1
        # a clock returning garbage is an error too, not a crash
        state["fail"] = None
        clock_bad = fc.Engine(clock=lambda: None)
        with pytest.raises(TypeError, match="clock returned None"):
            clock_bad.now()
        clock_bad.close()


def test_listener_receives_events_after_the_mutation():
    seen = []
    eng = None

    def listener(ev):
        # the engine is consistent: read functions work inside the listener
        if ev.kind == "contact_created":
            seen.append((ev.kind, eng.contact_keys(ev.contact)))
        else:
            seen.append((ev.kind, ev.name))

    eng = fc.Engine(listener=listener)
    with eng:
        eng.upsert_contact({"email": "c@acme.com"}, time=T0)
        assert seen == [("contact_created", [("email", "c@acme.com")]),
                        ("account_created", "acme.com"),
                        ("account_assigned", "acme.com")]


def test_exception_in_listener_is_reraised_after_the_mutation_is_kept():
    calls = []

    def listener(ev):
        calls.append(ev.kind)
        raise RuntimeError(f"boom on {ev.kind}")

    with fc.Engine(listener=listener) as e:
        with pytest.raises(RuntimeError, match="boom on contact_created"):
            e.upsert_contact({"email": "d@acme.com"}, time=T0)
        # events come after the mutation completed: it is kept
        assert e.find_contact("email", "d@acme.com") is not None
        # the listener is not called again during that call
        assert calls == ["contact_created"]
        # later calls work and deliver again
        with pytest.raises(RuntimeError):
            e.add_touches([{"keys": {"email": "e@gmail.com"}, "time": T0}])
        assert e.stats().touches == 1
        assert calls == ["contact_created", "contact_created"]
        e.add_touch(keys={"email": "d@acme.com"}, time=T0)  # no event: no raise


def test_mutation_from_inside_the_listener_is_busy():
    results = []
    eng = None

    def listener(ev):
        try:
            eng.upsert_contact({"email": "inner@acme.com"})
        except fc.Busy as exc:
            results.append(exc.code)

    eng = fc.Engine(listener=listener)
    with eng:
        eng.upsert_contact({"email": "outer@gmail.com"}, time=T0)
        assert results == [fc.errors.EBUSY]
        assert eng.find_contact("email", "inner@acme.com") is None


def test_keyboard_interrupt_in_listener_is_deferred_too():
    def listener(ev):
        raise KeyboardInterrupt

    with fc.Engine(listener=listener) as e:
        with pytest.raises(KeyboardInterrupt):
            e.upsert_contact({"email": "f@gmail.com"})
        assert e.stats().contacts == 1


def test_callbacks_do_not_keep_the_engine_alive():
    e = fc.Engine(listener=lambda ev: None, clock=lambda: T0)
    ref = weakref.ref(e)
    del e
    gc.collect()
    assert ref() is None


def test_non_callable_callbacks_are_rejected():
    with pytest.raises(TypeError):
        fc.Engine(clock=5)
    with pytest.raises(TypeError):
        fc.Engine(listener="print")
