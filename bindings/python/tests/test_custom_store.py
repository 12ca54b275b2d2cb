"""Storages written in Python (funnelcore.CustomStore): a dict store, the
SQLite example's store, and exceptions raised inside their methods."""
import importlib.util
import os

import pytest

import funnelcore as fc
from conftest import DAY, REPO, T0


class DictStore(fc.CustomStore):
    def __init__(self):
        self.journal, self.snap, self.calls = {}, None, []
        self.fail_append = None

    def append(self, seq, record):
        self.calls.append("append")
        if self.fail_append is not None:
            raise self.fail_append
        self.journal[seq] = record

    def sync(self):
        self.calls.append("sync")

    def replay(self, after):
        self.calls.append("replay")
        return sorted((s, r) for s, r in self.journal.items() if s > after)

    def write_snapshot(self, seq, data):
        self.calls.append("write_snapshot")
        self.snap = (seq, data)

    def read_snapshot(self):
        self.calls.append("read_snapshot")
        return self.snap

    def truncate(self, upto):
        self.calls.append("truncate")
        for s in [s for s in self.journal if s <= upto]:
            del self.journal[s]


def fill(eng):
    eng.add_touches([{"keys": {"email": f"u{i}@acme.com"},
                      "channel": "email", "time": T0 + i * DAY}
                     for i in range(5)])
    eng.upsert_deal("D1", contacts=[("email", "u1@acme.com")],
                    amount=100_00, currency="USD", created=T0,
                    closed=T0 + DAY, status="won")


def snapshot_of(eng):
    return ([(c.keys, [t.time for t in c.touches])
             for c in eng.contacts(touches=True)],
            [(d.name, d.amount) for d in eng.deals()], eng.stats().touches)


def test_dict_store_journal_snapshot_reopen():
    st = DictStore()
    with fc.Engine(storage=st) as eng:
        fill(eng)
        assert sorted(st.journal) == [1, 2]      # one batch, one deal
        eng.checkpoint()
        assert st.snap[0] == 2 and st.journal == {}
        eng.upsert_contact({"email": "late@acme.com"})
        eng.sync()
        want = snapshot_of(eng)
    assert sorted(st.journal) == [3]
    with fc.Engine(storage=st) as eng:
        assert snapshot_of(eng) == want
        assert eng.find_contact("email", "late@acme.com") is not None
    assert {"read_snapshot", "replay", "write_snapshot", "truncate",
            "sync"} <= set(st.calls)


def test_exception_in_append_is_reraised_and_changes_nothing():
    st = DictStore()
    with fc.Engine(storage=st) as eng:
        fill(eng)
        st.fail_append = KeyError("disk on fire")
        with pytest.raises(KeyError, match="disk on fire"):
            eng.upsert_contact({"email": "x@acme.com"})
        assert eng.find_contact("email", "x@acme.com") is None
        # a funnelcore error keeps its status
        st.fail_append = fc.LimitExceeded(-11, "too long")
        with pytest.raises(fc.LimitExceeded):
            eng.add_touch(keys={"email": "y@acme.com"}, time=T0)
        st.fail_append = None
        eng.upsert_contact({"email": "x@acme.com"})
        assert eng.stats().contacts == 6


def test_exception_while_opening_is_reraised():
    st = DictStore()
    with fc.Engine(storage=st) as eng:
        fill(eng)

    class Broken(DictStore):
        def replay(self, after):
            raise RuntimeError("cannot read")
    b = Broken()
    b.journal = st.journal
    with pytest.raises(RuntimeError, match="cannot read"):
        fc.Engine(storage=b)
    with fc.Engine(storage=st) as eng:           # the store is free again
        assert eng.stats().touches == 5


def test_store_belongs_to_one_engine():
    st = DictStore()
    with fc.Engine(storage=st):
        with pytest.raises(fc.Busy):
            fc.Engine(storage=st)


def load_example():
    path = os.path.join(REPO, "examples", "python", "sqlite_store.py")
    spec = importlib.util.spec_from_file_location("sqlite_store_example",
                                                  path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_sqlite_store_reopens_to_the_same_state(tmp_path):
    ex = load_example()
    db = str(tmp_path / "funnel.db")
    store = ex.SQLiteStore(db)
    with fc.Engine(storage=store) as eng:
        ex.fill(eng, 0, 9)
        with fc.Model.parse(ex.MODEL) as m:
            eng.attach_model(m)
        eng.checkpoint()
        ex.fill(eng, 9, 15)
        eng.sync()
        before = ex.state(eng)
        u1 = eng.find_contact("email", "u1@co1.com")
    assert store.counts() == (1 + 2, 5)   # batch + 2 deals after snapshot
    store.close()
    with ex.SQLiteStore(db) as store2, fc.Engine(storage=store2) as eng:
        after = ex.state(eng)
        assert after == before
        assert after[:4] == (15, 4, 30, 5)
        # u1: trial_request (+30); the touches count as they were
        assert eng.contact_score(u1, t=T0 + 60 * DAY).total == 30.0
    # uncommitted appends (no sync) are not in another connection's view,
    # but the same store object still replays them
    store3 = ex.SQLiteStore(db)
    with fc.Engine(storage=store3) as eng:
        eng.upsert_contact({"email": "nosync@acme.com"})
    with fc.Engine(storage=store3) as eng:
        assert eng.find_contact("email", "nosync@acme.com") is not None
    store3.close()   # close() commits
    with ex.SQLiteStore(db) as store4, fc.Engine(storage=store4) as eng:
        assert eng.stats().contacts == 16
