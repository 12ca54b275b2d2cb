"""The built-in memory and file stores."""
import pytest

import funnelcore as fc


@pytest.fixture(params=["memory", "file"])
def store(request, tmp_path):
    s = fc.MemoryStore() if request.param == "memory" else fc.FileStore(
        tmp_path / "store")
    yield s
    s.close()


def test_append_replay_snapshot_truncate(store):
    store.append(1, b"one")
    store.append(2, b"")
    store.append(3, b"three" * 1000)
    store.sync()
    assert store.replay() == [(1, b"one"), (2, b""), (3, b"three" * 1000)]
    assert store.replay(after=2) == [(3, b"three" * 1000)]
    assert store.read_snapshot() is None
    store.write_snapshot(2, b"state-after-2" * 10000)
    assert store.read_snapshot() == (2, b"state-after-2" * 10000)
    store.truncate(2)
    assert store.replay() == [(3, b"three" * 1000)]


def test_storage_contract_errors(store):
    store.append(5, b"x")
    with pytest.raises(fc.InvalidArgument):
        store.append(5, b"again")  # seq must grow
    with pytest.raises(fc.InvalidArgument):
        store.truncate(5)  # no snapshot covers it
    store.close()
    with pytest.raises(fc.InvalidArgument, match="closed"):
        store.append(6, b"y")


def test_file_store_survives_reopen_and_cuts_a_torn_tail(tmp_path):
    d = tmp_path / "s"
    with fc.FileStore(d, sync="never") as s:
        s.append(1, b"alpha")
        s.append(2, b"beta")
        st = s.stats()
        assert (st.records, st.first_seq, st.last_seq) == (2, 1, 2)
        assert not st.has_snapshot and not st.failed
    with open(d / "journal", "ab") as f:
        f.write(b"\x07garbage-torn-tail")
    with fc.FileStore(d) as s:
        assert s.replay() == [(1, b"alpha"), (2, b"beta")]
        st = s.stats()
        assert st.dropped_bytes == len(b"\x07garbage-torn-tail")
        assert "cut" in s.open_report
        assert s.errmsg == s.errmsg  # readable, borrowed string copied


def test_file_store_open_errors(tmp_path):
    with pytest.raises(fc.NotFound):
        fc.FileStore(tmp_path / "absent", create_if_missing=False)
    s = fc.FileStore(tmp_path / "locked")
    with pytest.raises(fc.Busy):
        fc.FileStore(tmp_path / "locked")
    s.close()
    with pytest.raises(fc.InvalidArgument):
        fc.FileStore(tmp_path / "x", sync="sometimes")
