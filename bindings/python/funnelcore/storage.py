"""The built-in storages (memory and file store).

Pass one to ``Engine(storage=...)`` to make the engine persistent: every
mutation is journaled through it before it is applied, and opening an engine
on it replays the state.  While no engine uses it, a store can also be
driven directly (append, replay, snapshots, truncate: records and snapshots
are opaque ``bytes``), which is how a host inspects or tests one.
"""
from __future__ import annotations

import ctypes
import os
from ctypes import POINTER, byref, c_size_t, c_uint64, c_void_p
from dataclasses import dataclass
from typing import Any, List, Optional, Tuple, Union

from . import _lib
from ._convert import dec, enc, error, invalid, to_int
from .errors import EBUSY

__all__ = ["MemoryStore", "FileStore", "FileStoreStats", "CustomStore"]

_SYNC = {"every_record": 0, "interval": 1, "never": 2}
_RECOVERY = {"strict": 0, "truncate": 1}


@dataclass(frozen=True)
class FileStoreStats:
    """fnl_storage_file_info: counters and what recovery cut at open."""
    dropped_bytes: int
    dropped_records: int
    dropped_offset: int
    records: int
    first_seq: int
    last_seq: int
    journal_bytes: int
    snapshot_seq: int
    has_snapshot: bool
    failed: bool
    syncs: int


class _Store:
    _ptr: Optional[Any] = None
    _engine: Optional[Any] = None

    @property
    def _t(self):
        if self._ptr is None:
            raise invalid("storage is closed")
        if self._engine is not None:
            raise error(EBUSY, b"busy: the storage belongs to an open engine")
        return self._ptr.contents

    def _attach(self, engine: Any):
        """Lend the storage to an engine (Engine(storage=...))."""
        if self._ptr is None:
            raise invalid("storage is closed")
        if self._engine is not None:
            raise error(EBUSY, b"busy: the storage belongs to another engine")
        self._engine = engine
        return self._ptr

    def _detach(self, engine: Any) -> None:
        if self._engine is engine:
            self._engine = None

    def _detail(self) -> str:
        return ""

    def _check(self, rc: int, what: str) -> None:
        if rc != 0:
            extra = self._detail()
            name = _lib.fnl_strerror(rc).decode()
            raise error(rc, f"{name}: {what}{': ' + extra if extra else ''}"
                        .encode())

    def append(self, seq: int, record: bytes) -> None:
        """Append one journal record with sequence number `seq`."""
        t = self._t
        data = bytes(record)
        self._check(t.append(t.ctx, to_int(seq, "seq", 0, 2 ** 64 - 1),
                             data, len(data)), f"append {seq}")

    def sync(self) -> None:
        t = self._t
        self._check(t.sync(t.ctx), "sync")

    def replay(self, after: int = 0) -> List[Tuple[int, bytes]]:
        """Every record with seq > after, in order, as (seq, bytes)."""
        t = self._t
        out: List[Tuple[int, bytes]] = []

        def each(_arg, seq, rec, n):
            try:
                out.append((seq, ctypes.string_at(rec, n) if n else b""))
                return 0
            except BaseException:  # never let it reach C
                return -2  # FNL_ENOMEM: stops the replay
        fn = _lib.REPLAY_FN(each)
        self._check(t.replay(t.ctx, to_int(after, "after", 0, 2 ** 64 - 1),
                             fn, None), "replay")
        return out

    def write_snapshot(self, seq: int, data: bytes) -> None:
        """Write and commit a snapshot of the state after record `seq`."""
        t = self._t
        w = c_void_p()
        self._check(t.snapshot_begin(t.ctx, to_int(seq, "seq", 0, 2 ** 64 - 1),
                                     byref(w)), "snapshot_begin")
        data = bytes(data)
        rc = t.snapshot_write(t.ctx, w, data, len(data)) if data else 0
        if rc != 0:
            t.snapshot_abort(t.ctx, w)
            self._check(rc, "snapshot_write")
        self._check(t.snapshot_commit(t.ctx, w), "snapshot_commit")

    def read_snapshot(self) -> Optional[Tuple[int, bytes]]:
        """(seq, bytes) of the current snapshot, or None when there is
        none."""
        t = self._t
        seq, r = c_uint64(), c_void_p()
        rc = t.snapshot_open(t.ctx, byref(seq), byref(r))
        if rc == -4:  # FNL_ENOTFOUND
            return None
        self._check(rc, "snapshot_open")
        parts = []
        buf = ctypes.create_string_buffer(65536)
        got = c_size_t()
        try:
            while True:
                self._check(t.snapshot_read(t.ctx, r, buf, len(buf),
                                            byref(got)), "snapshot_read")
                if got.value == 0:
                    break
                parts.append(buf.raw[:got.value])
        finally:
            t.snapshot_close(t.ctx, r)
        return seq.value, b"".join(parts)

    def truncate(self, upto: int) -> None:
        """Drop journal records with seq <= upto (covered by a snapshot)."""
        t = self._t
        self._check(t.truncate(t.ctx, to_int(upto, "upto", 0, 2 ** 64 - 1)),
                    f"truncate {upto}")

    def close(self) -> None:
        """Close the storage.  Busy while an open engine uses it: close the
        engine first."""
        if self._engine is not None:
            raise error(EBUSY, b"busy: close the engine that uses this "
                               b"storage first")
        ptr, self._ptr = self._ptr, None
        if ptr is not None:
            _lib.fnl_storage_close(ptr)

    @property
    def closed(self) -> bool:
        return self._ptr is None

    def __enter__(self):
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            if self._engine is None:
                self.close()
        except Exception:
            pass


class MemoryStore(_Store):
    """fnl_storage_mem_open: journal and snapshot kept in memory."""

    def __init__(self) -> None:
        out = POINTER(_lib.fnl_storage)()
        rc = _lib.fnl_storage_mem_open(byref(out), None)
        if rc != 0:
            raise error(rc, None)
        self._ptr = out


class FileStore(_Store):
    """fnl_storage_file_open: the file store in directory `path`.

    sync: "every_record" (default), "interval" (with sync_every_records
    and/or sync_every_ms) or "never"; recovery: "strict" (default) or
    "truncate"; create_if_missing: create the directory and an empty store.
    """

    def __init__(self, path: Union[str, os.PathLike], *,
                 sync: str = "every_record", sync_every_records: int = 0,
                 sync_every_ms: int = 0, create_if_missing: bool = True,
                 recovery: str = "strict") -> None:
        if sync not in _SYNC:
            raise invalid(f"sync must be one of {sorted(_SYNC)}")
        if recovery not in _RECOVERY:
            raise invalid(f"recovery must be one of {sorted(_RECOVERY)}")
        o = _lib.init(_lib.fnl_storage_file_options,
                      "fnl_storage_file_options_init")
        o.sync_policy = _SYNC[sync]
        o.sync_every_records = to_int(sync_every_records,
                                      "sync_every_records", 0, 2 ** 32 - 1)
        o.sync_every_ms = to_int(sync_every_ms, "sync_every_ms", 0,
                                 2 ** 32 - 1)
        o.create_if_missing = 1 if create_if_missing else 0
        o.recovery = _RECOVERY[recovery]
        errbuf = ctypes.create_string_buffer(512)
        o.errbuf, o.errbuf_size = ctypes.addressof(errbuf), len(errbuf)
        out = POINTER(_lib.fnl_storage)()
        self.path = os.fspath(path)
        rc = _lib.fnl_storage_file_open(byref(out), enc(self.path, "path"),
                                        byref(o))
        if rc != 0:
            name = _lib.fnl_strerror(rc).decode()
            raise error(rc, f"{name}: {self.path}: {dec(errbuf.value)}"
                        .encode())
        self._ptr = out
        #: what recovery reported at open ("" when nothing was cut)
        self.open_report: str = dec(errbuf.value) or ""

    def _detail(self) -> str:
        return dec(_lib.fnl_storage_file_errmsg(self._ptr)) or "" \
            if self._ptr is not None else ""

    def stats(self) -> FileStoreStats:
        i = _lib.init(_lib.fnl_storage_file_info, "fnl_storage_file_info_init")
        self._check(_lib.fnl_storage_file_stats(self._ptr if self._ptr
                                                is not None else None,
                                                byref(i)), "stats")
        return FileStoreStats(
            i.dropped_bytes, i.dropped_records, i.dropped_offset, i.records,
            i.first_seq, i.last_seq, i.journal_bytes, i.snapshot_seq,
            bool(i.has_snapshot), bool(i.failed), i.syncs)

    @property
    def errmsg(self) -> str:
        """fnl_storage_file_errmsg: detail of the last failure."""
        return self._detail()


# --------------------------------------------------------------------------
# A storage written in Python
# --------------------------------------------------------------------------

_EIO, _ENOTFOUND = -3, -4


class CustomStore:
    """Base class of a storage written in Python: subclass it and
    implement the methods below (records and snapshots are opaque
    ``bytes``); pass an instance to ``Engine(storage=...)``.  The bindings
    build the fnl_storage callback table (docs/storage.md) over them.

    * ``append(seq, record)``: keep the record after every earlier one
      (need not be durable until ``sync()``);
    * ``sync()``: make every appended record durable;
    * ``replay(after)``: an iterable of ``(seq, record)`` with seq >
      after, in append order;
    * ``write_snapshot(seq, data)``: make `data` the current snapshot,
      atomically (the previous one or this one, never a mix);
    * ``read_snapshot()``: ``(seq, data)`` of the current snapshot, or
      None;
    * ``truncate(upto)``: drop records with seq <= upto;
    * ``close()`` (optional): release resources.

    An exception raised by a method never crosses into C: the callback
    returns the exception's status (a funnelcore.Error's ``code``, else
    FNL_EIO), so the engine call fails and changes nothing, and the
    exception is re-raised, unchanged, from that engine call.
    """

    _table = None
    _engine = None
    _stray: Optional[BaseException] = None

    # methods a subclass implements ---------------------------------------

    def append(self, seq: int, record: bytes) -> None:
        raise NotImplementedError

    def sync(self) -> None:
        pass

    def replay(self, after: int):
        raise NotImplementedError

    def write_snapshot(self, seq: int, data: bytes) -> None:
        raise NotImplementedError

    def read_snapshot(self) -> Optional[Tuple[int, bytes]]:
        return None

    def truncate(self, upto: int) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass

    # the C table -----------------------------------------------------------

    def _fail(self, exc: BaseException) -> int:
        eng = self._engine
        if eng is not None:
            eng._set_pending(exc, "storage")
        elif self._stray is None:
            self._stray = exc
        code = getattr(exc, "code", None)
        return code if isinstance(code, int) and code < 0 else _EIO

    def _build(self):
        writers: dict = {}
        readers: dict = {}
        counter = [0]

        def guard(f):
            def wrapped(*a):
                try:
                    return f(*a)
                except BaseException as exc:  # never let it reach C
                    return self._fail(exc)
            return wrapped

        @guard
        def append(_ctx, seq, rec, n):
            self.append(seq, ctypes.string_at(rec, n) if n else b"")
            return 0

        @guard
        def sync(_ctx):
            self.sync()
            return 0

        @guard
        def replay(_ctx, after, fn, arg):
            for seq, rec in self.replay(after):
                rec = bytes(rec)
                rc = fn(arg, seq, rec, len(rec))
                if rc != 0:
                    return rc
            return 0

        @guard
        def snapshot_begin(_ctx, seq, w):
            counter[0] += 1
            writers[counter[0]] = (seq, bytearray())
            w[0] = counter[0]
            return 0

        @guard
        def snapshot_write(_ctx, w, buf, n):
            writers[w][1].extend(ctypes.string_at(buf, n))
            return 0

        @guard
        def snapshot_commit(_ctx, w):
            seq, data = writers.pop(w)
            self.write_snapshot(seq, bytes(data))
            return 0

        def snapshot_abort(_ctx, w):
            writers.pop(w, None)

        @guard
        def snapshot_open(_ctx, seq, r):
            snap = self.read_snapshot()
            if snap is None:
                return _ENOTFOUND
            counter[0] += 1
            readers[counter[0]] = [bytes(snap[1]), 0]
            seq[0] = snap[0]
            r[0] = counter[0]
            return 0

        @guard
        def snapshot_read(_ctx, r, buf, cap, got):
            st = readers[r]
            chunk = st[0][st[1]:st[1] + cap]
            ctypes.memmove(buf, chunk, len(chunk))
            st[1] += len(chunk)
            got[0] = len(chunk)
            return 0

        def snapshot_close(_ctx, r):
            readers.pop(r, None)

        @guard
        def truncate(_ctx, upto):
            self.truncate(upto)
            return 0

        def close(_ctx):
            pass

        fns = (_lib._ST_APPEND(append), _lib._ST_SYNC(sync),
               _lib._ST_REPLAY(replay),
               _lib._ST_SNAP_BEGIN(snapshot_begin),
               _lib._ST_SNAP_WRITE(snapshot_write),
               _lib._ST_SNAP_COMMIT(snapshot_commit),
               _lib._ST_SNAP_ABORT(snapshot_abort),
               _lib._ST_SNAP_OPEN(snapshot_open),
               _lib._ST_SNAP_READ(snapshot_read),
               _lib._ST_SNAP_CLOSE(snapshot_close),
               _lib._ST_TRUNCATE(truncate), _lib._ST_CLOSE(close))
        table = _lib.fnl_storage(1, None, *fns)
        self._fns = fns  # C points at these: keep them alive
        return ctypes.pointer(table)

    def _attach(self, engine: Any):
        if self._engine is not None:
            raise error(EBUSY, b"busy: the storage belongs to another engine")
        if self._table is None:
            self._table = self._build()
        self._engine = engine
        return self._table

    def _detach(self, engine: Any) -> None:
        if self._engine is engine:
            self._engine = None

    def __enter__(self):
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
