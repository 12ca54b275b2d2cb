"""Engine over a storage (write-ahead journal, replay, checkpoint) and
forget()."""
import pytest

import funnelcore as fc
from conftest import T0

needs = pytest.mark.skipif(not fc._lib.has("fnl_contact_forget"),
                           reason="library without persistence API")


@needs
def test_engine_state_survives_reopen_of_a_file_store(tmp_path):
    d = tmp_path / "db"
    store = fc.FileStore(d)
    with fc.Engine(storage=store) as e:
        c = e.upsert_contact({"email": "Ann@Acme.com"}, attrs={"t": "CTO"},
                             time=T0)
        e.add_touches([{"keys": {"email": "ann@acme.com"}, "time": T0 + i,
                        "channel": "email"} for i in range(3)])
        e.upsert_deal("D1", amount=7, created=T0)
        assert e.stats().journal_seq >= 3
        with pytest.raises(fc.Busy):
            store.close()  # the engine still uses it
        with pytest.raises(fc.Busy):
            store.append(999, b"x")
    store.close()
    store = fc.FileStore(d)
    with fc.Engine(storage=store) as e:
        c2 = e.find_contact("email", "ann@acme.com")
        assert c2 == c
        info = e.contact(c2)
        assert info.attrs == {"t": "CTO"} and info.touch_count == 3
        assert e.deal(e.find_deal("D1")).amount == 7
        e.checkpoint()
        e.sync()
    store.close()


@needs
def test_checkpoint_without_storage_is_invalid(eng):
    with pytest.raises(fc.InvalidArgument):
        eng.checkpoint()
    eng.sync()  # no-op


@needs
def test_forget_erases_keys_keeps_touches_and_makes_handle_stale():
    events = []
    with fc.Engine(listener=events.append) as e:
        c = e.add_touch(keys={"email": "gdpr@acme.com"}, time=T0,
                        channel="email")
        e.forget(c)
        assert e.find_contact("email", "gdpr@acme.com") is None
        with pytest.raises(fc.Stale):
            e.contact(c)
        s = e.stats()
        assert (s.forgotten, s.touches) == (1, 1)
        assert events[-1].kind == "contact_forgotten"
        assert events[-1].contact == c
        with pytest.raises(fc.Stale):
            e.forget(c)
