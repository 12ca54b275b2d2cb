"""The Engine: one tenant's funnel (contacts, accounts, touches, deals,
costs), with Python callables as clock and listener.

Callback rule: an exception raised inside a clock or listener callable never
crosses into C.  It is caught, kept, and re-raised (unchanged, with a note
naming the callback) when the library call that triggered it returns:

* clock: the clock answers an invalid time to the library instead, so the
  call fails and changes nothing; then the clock's exception is raised.
* listener: events are delivered after the mutation has completed, so the
  mutation is kept; the listener is not called again for the rest of that
  call, and the listener's exception is raised from the mutating method.
"""
from __future__ import annotations

import array
import ctypes
import weakref
from ctypes import byref, c_char, c_int, c_int64, c_size_t, c_uint64, sizeof
from typing import (TYPE_CHECKING, Any, Callable, Dict, Iterable,
                    Iterator, List, Mapping, Optional, Sequence, Tuple,
                    Union)

from . import _lib, _pack
from ._convert import (KeysLike, TimeLike, attr_array, attr_value, dec, enc,
                       error, invalid, key_pairs, role_code, role_name,
                       str_array, to_int, to_ms)
from ._types import (DEAL_STATUSES, EVENT_KINDS, PRECEDENCES, TOUCH_FIELDS,
                     AccountInfo, Cost, ContactInfo, DealContact, DealInfo,
                     Event, OwnerInfo, Stats, Touch)
from .errors import ENOTFOUND, ERANGE, EUNSUPPORTED, Error, InvalidArgument

if TYPE_CHECKING:  # pragma: no cover
    from .stages import Machine, StageRecord, StageStatus

__all__ = ["Engine", "Contact", "Account", "Deal"]

Id = int  # a contact / account / deal handle (Contact, Account, Deal are ints)

# String fields of fnl_touch, in header order.
_TOUCH_STR = ("type", "channel", "campaign", "content", "url", "referrer",
              "utm_source", "utm_medium", "utm_campaign", "utm_term",
              "utm_content", "account", "by")
_TOUCH_STR_INDEX = {f[0]: i for i, f in enumerate(_lib.fnl_touch._fields_)
                    if f[0] in _TOUCH_STR}
_TOUCH_INFO_STR = ("type", "channel", "campaign", "content", "utm_source",
                   "utm_medium", "utm_campaign", "utm_term", "utm_content")
_KEY_SIZE = sizeof(_lib.fnl_key)
_COMPRESSION = {"none": 0, "zlib": 1}
_TOUCH_PACK = _pack.struct_format(_lib.fnl_touch) if _pack.FAST else None


def _cstr(b: bytes, keep: list):
    """A C string argument: the bytes' address (fast mode; `keep` holds
    the bytes alive), or the bytes themselves for ctypes."""
    keep.append(b)
    return id(b) + _pack.BYTES_OFFSET if _pack.FAST else b
_INV_PREFIX = "invalid argument: "


def _bare(exc: Error) -> str:
    d = exc.detail
    return d[len(_INV_PREFIX):] if d.startswith(_INV_PREFIX) else d


class _Handle(int):
    """An int handle that remembers its engine."""

    def __new__(cls, value: int, engine: "Engine"):
        obj = int.__new__(cls, value)
        obj._engine = engine
        return obj

    @property
    def engine(self) -> "Engine":
        return self._engine

    def __reduce__(self):  # pickles / copies as a plain int
        return (int, (int(self),))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({int(self)})"


class Contact(_Handle):
    """A contact handle: an int (pass it wherever an id is expected) with
    shortcuts to the engine's readers."""

    def info(self, touches: bool = True) -> ContactInfo:
        return self._engine.contact(self, touches=touches)

    def resolve(self) -> "Contact":
        return self._engine.resolve(self)

    def keys(self) -> List[Tuple[str, str]]:
        return self._engine.contact_keys(self)

    def attrs(self) -> Dict[str, Any]:
        return self._engine.contact_attrs(self)

    def tags(self) -> List[str]:
        return self._engine.contact_tags(self)

    def touches(self) -> List[Touch]:
        return self._engine.touches(self)


class Account(_Handle):
    """An account handle (an int)."""

    def info(self) -> AccountInfo:
        return self._engine.account(self)


class Deal(_Handle):
    """A deal handle (an int)."""

    def info(self) -> DealInfo:
        return self._engine.deal(self)

    def attrs(self) -> Dict[str, Any]:
        return self._engine.deal_attrs(self)


def _id(v: Any, what: str) -> int:
    return to_int(v, what, 0, 2 ** 64 - 1)


class Engine:
    """An in-memory funnelcore engine.

    Args:
        clock: callable returning now (int ms since the epoch, or a
            datetime); default: the system clock.
        listener: callable taking one :class:`Event`; called after each
            mutation completes.  It may read from the engine; mutating from
            inside it raises :class:`funnelcore.Busy`.
        precedence: "latest" (default) or "source": how attribute values of
            updated and merged contacts are chosen.
        source_priority: sources in decreasing priority (for "source").
        freemail_domains: extra free-mail domains (never make accounts).
        default_country_code: digits (e.g. "86") applied to national phone
            numbers.
        channel_rules: host channel rules tried before the built-in
            grouping: (field, pattern, channel) tuples or dicts, field one of
            "utm_source", "utm_medium", "utm_campaign", "referrer_host",
            "type", "url_host".
        storage: a :class:`MemoryStore` or :class:`FileStore`: every
            mutation is journaled through it first; opening replays it.
            The store stays attached (and cannot be closed or used
            directly) until the engine closes.
        snapshot_compression: "none" or "zlib" for :meth:`checkpoint`.

    One engine is used by one thread at a time.  Use it as a context manager
    or call :meth:`close`; a forgotten engine is closed when collected.
    """

    def __init__(self, *, clock: Optional[Callable[[], Any]] = None,
                 listener: Optional[Callable[[Event], Any]] = None,
                 precedence: Union[str, int] = "latest",
                 source_priority: Optional[Sequence[str]] = None,
                 freemail_domains: Optional[Sequence[str]] = None,
                 default_country_code: Optional[str] = None,
                 channel_rules: Optional[Iterable[Any]] = None,
                 storage: Optional[Any] = None,
                 snapshot_compression: Union[str, int] = "none") -> None:
        self._ptr: Optional[int] = None
        self._storage = None
        self._pending: Optional[BaseException] = None
        self._pending_where = ""
        self._keep: List[Any] = []  # callback objects C points at
        cfg = _lib.init(_lib.fnl_engine_config, "fnl_engine_config_init")
        keep: List[Any] = []
        if isinstance(precedence, str):
            if precedence not in PRECEDENCES:
                raise invalid(f"precedence must be one of "
                              f"{sorted(PRECEDENCES)}, not '{precedence}'")
            cfg.precedence = PRECEDENCES[precedence]
        else:
            cfg.precedence = to_int(precedence, "precedence", 0, 2 ** 32 - 1)
        arr, n, k = str_array(source_priority, "source_priority")
        cfg.source_priority, cfg.source_priority_count = arr, n
        keep += [arr, k]
        arr, n, k = str_array(freemail_domains, "freemail_domains")
        cfg.freemail_domains, cfg.freemail_domain_count = arr, n
        keep += [arr, k]
        cc = enc(default_country_code, "default_country_code")
        cfg.default_country_code = cc
        rules = self._rules(channel_rules, keep)
        if rules is not None:
            cfg.channel_rules, cfg.channel_rule_count = rules, len(rules)
        wself = weakref.ref(self)
        if clock is not None:
            cfg.clock = ctypes.pointer(self._clock_table(clock, wself))
        if listener is not None:
            cfg.listener = ctypes.pointer(self._listener_table(listener,
                                                               wself))
        if isinstance(snapshot_compression, str):
            if snapshot_compression not in _COMPRESSION:
                raise invalid("snapshot_compression must be 'none' or 'zlib'")
            snapshot_compression = _COMPRESSION[snapshot_compression]
        if snapshot_compression:
            cfg.snapshot_compression = to_int(snapshot_compression,
                                              "snapshot_compression", 0, 1)
        if storage is not None:
            cfg.storage = storage._attach(self)
        errbuf = ctypes.create_string_buffer(512)
        cfg.errbuf, cfg.errbuf_size = ctypes.addressof(errbuf), len(errbuf)
        tinit = _lib.init(_lib.fnl_touch, "fnl_touch_init")
        # NULL pointers as 0: both struct.pack and ctypes take that
        self._touch_vals = [0 if v is None else v for v in (
            getattr(tinit, f) for f, *_ in tinit._fields_)]
        out = ctypes.c_void_p()
        rc = _lib.fnl_engine_open(byref(out), byref(cfg))
        if rc != 0 or self._pending is not None:
            if storage is not None:
                storage._detach(self)
            if rc == 0:  # a callback raised while the journal was replayed
                _lib.fnl_engine_close(out.value)
            self._check(rc, errbuf.value)
        self._ptr = out.value
        self._storage = storage

    # -- configuration helpers ------------------------------------------

    @staticmethod
    def _rules(rules: Optional[Iterable[Any]], keep: List[Any]):
        if rules is None:
            return None
        items = []
        for r in rules:
            if isinstance(r, Mapping):
                field, pattern, channel = (r.get("field"), r.get("pattern"),
                                           r.get("channel"))
            else:
                field, pattern, channel = r
            if isinstance(field, str):
                if field not in TOUCH_FIELDS:
                    raise invalid(f"channel rule field must be one of "
                                  f"{sorted(TOUCH_FIELDS)}, not '{field}'")
                field = TOUCH_FIELDS[field]
            pb, cb = enc(pattern, "channel rule pattern"), enc(
                channel, "channel rule channel")
            keep += [pb, cb]
            items.append((to_int(field, "channel rule field", 0,
                                 2 ** 32 - 1), pb, cb))
        if not items:
            return None
        arr = (_lib.fnl_channel_rule * len(items))(*items)
        keep.append(arr)
        return arr

    def _set_pending(self, exc: BaseException, where: str) -> None:
        if self._pending is None:
            self._pending, self._pending_where = exc, where

    def _clock_table(self, clock: Callable[[], Any], wself) -> Any:
        if not callable(clock):
            raise TypeError("clock must be callable")

        def now(_ctx):
            try:
                v = clock()
                if v is None:
                    raise TypeError("clock returned None; expected int ms "
                                    "or a datetime")
                return to_ms(v, "clock")
            except BaseException as exc:  # never let it reach C
                eng = wself()
                if eng is not None:
                    eng._set_pending(exc, "clock")
                return -1  # outside the valid range: the call fails cleanly

        fn = _lib.NOW_FN(now)
        table = _lib.fnl_clock(1, None, fn)
        self._keep += [fn, table]
        return table

    def _listener_table(self, listener: Callable[[Event], Any], wself):
        if not callable(listener):
            raise TypeError("listener must be callable")

        def on_event(_ctx, evp):
            eng = wself()
            if eng is None or eng._pending is not None:
                return
            try:
                e = evp.contents
                listener(Event(EVENT_KINDS.get(e.kind, f"event_{e.kind}"),
                               e.kind, e.time, e.contact, e.other, e.account,
                               dec(e.name), dec(e.model)))
            except BaseException as exc:  # never let it reach C
                eng._set_pending(exc, "listener")

        fn = _lib.EVENT_FN(on_event)
        table = _lib.fnl_listener(1, None, fn)
        self._keep += [fn, table]
        return table

    # -- lifetime ---------------------------------------------------------

    def close(self) -> None:
        """Free the engine and everything it owns (idempotent)."""
        ptr, self._ptr = self._ptr, None
        if ptr is not None:
            _lib.fnl_engine_close(ptr)
        if self._storage is not None:
            self._storage._detach(self)
            self._storage = None
        self._keep = []

    @property
    def closed(self) -> bool:
        return self._ptr is None

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass

    def __repr__(self) -> str:
        return f"<funnelcore.Engine {'closed' if self.closed else 'open'}>"

    @property
    def _p(self) -> int:
        if self._ptr is None:
            raise invalid("engine is closed")
        return self._ptr

    def _check(self, rc: int, detail: Optional[bytes] = None) -> None:
        """Raise a callback's kept exception, else the call's error."""
        exc = self._pending
        if exc is not None:
            self._pending = None
            note = f"raised inside the funnelcore {self._pending_where} callback"
            if rc != 0:
                note += "; the call failed: " + (dec(
                    detail if self._ptr is None else
                    _lib.fnl_errmsg(self._ptr)) or str(rc))
            if hasattr(exc, "add_note"):
                exc.add_note(note)
            raise exc
        if rc != 0:
            raise error(rc, _lib.fnl_errmsg(self._ptr) if self._ptr else detail)

    def _find(self, rc: int, out: c_uint64) -> Optional[int]:
        if rc == ENOTFOUND and self._pending is None:
            return None
        self._check(rc)
        return out.value

    def _read(self, fn, ctype, *args, cap: int = 8) -> list:
        """Call a copy-out reader, growing the buffer on FNL_ERANGE."""
        count = c_size_t()
        while True:
            buf = (ctype * cap)()
            rc = fn(self._p, *args, buf, cap, byref(count))
            if rc == ERANGE and count.value > cap:
                cap = count.value
                continue
            self._check(rc)
            return buf[:count.value]

    # -- engine -----------------------------------------------------------

    def now(self) -> int:
        """The engine clock's now, in ms."""
        out = c_int64()
        self._check(_lib.fnl_engine_now(self._p, byref(out)))
        return out.value

    def checkpoint(self) -> None:
        """Write a snapshot through the storage and let it drop the journal
        it covers (erased data of forgotten contacts is gone afterwards).
        InvalidArgument without a storage."""
        self._need("fnl_engine_checkpoint")
        self._check(_lib.fnl_engine_checkpoint(self._p))

    def sync(self) -> None:
        """Make every journaled mutation durable (no-op without storage)."""
        self._need("fnl_engine_sync")
        self._check(_lib.fnl_engine_sync(self._p))

    @staticmethod
    def _need(name: str) -> None:
        if not _lib.has(name):
            raise error(EUNSUPPORTED, f"unsupported: this libfunnelcore "
                                      f"has no {name}".encode())

    def stats(self) -> Stats:
        s = _lib.init(_lib.fnl_stats, "fnl_stats_init")
        self._check(_lib.fnl_engine_stats(self._p, byref(s)))
        return Stats(*(getattr(s, f) for f, _ in _lib.fnl_stats._fields_[1:]))

    # -- contacts -----------------------------------------------------------

    def upsert_contact(self, keys: KeysLike = None, *,
                       contact: Optional[Id] = None,
                       attrs: Optional[Mapping[str, Any]] = None,
                       tags_add: Optional[Iterable[str]] = None,
                       tags_remove: Optional[Iterable[str]] = None,
                       owner: Optional[str] = None,
                       account: Optional[str] = None,
                       role: Union[str, int, None] = None,
                       source: Optional[str] = None,
                       time: TimeLike = None) -> Contact:
        """Create or update a contact found by its identity keys ({kind:
        value} or [(kind, value), ...]) and/or handle; keys of several
        contacts merge them.  Attribute value None removes it; owner ""
        clears it; role is a name ("decision_maker") or None to keep.
        Returns the contact's (surviving) handle."""
        u = _lib.init(_lib.fnl_contact_update, "fnl_contact_update_init")
        pairs = key_pairs(keys)
        karr = (_lib.fnl_key * len(pairs))(*pairs) if pairs else None
        u.keys, u.key_count = karr, len(pairs)
        if contact is not None:
            u.contact = _id(contact, "contact")
        aarr, u.attr_count, akeep = attr_array(attrs)
        u.attrs = aarr
        tarr, u.tags_add_count, tkeep = str_array(tags_add, "tag")
        u.tags_add = tarr
        rarr, u.tags_remove_count, rkeep = str_array(tags_remove, "tag")
        u.tags_remove = rarr
        u.owner = enc(owner, "owner")
        u.account = enc(account, "account")
        u.role = role_code(role, _lib.ROLE_KEEP)
        u.source = enc(source, "source")
        u.time = to_ms(time)
        out = c_uint64()
        rc = _lib.fnl_contact_upsert(self._p, byref(u), byref(out))
        del pairs, akeep, tkeep, rkeep  # alive until here
        self._check(rc)
        return Contact(out.value, self)

    def find_contact(self, kind: str, value: str) -> Optional[Contact]:
        """The contact with this identity key (normalised as on input), or
        None."""
        out = c_uint64()
        rc = _lib.fnl_contact_find(self._p, enc(kind, "key kind"),
                                   enc(value, "key value"), byref(out))
        v = self._find(rc, out)
        return None if v is None else Contact(v, self)

    def resolve(self, contact: Id) -> Contact:
        """The current handle of a contact (the survivor after merges).
        Raises NotFound / Stale."""
        out = c_uint64()
        self._check(_lib.fnl_contact_resolve(self._p, _id(contact, "contact"),
                                             byref(out)))
        return Contact(out.value, self)

    def contact(self, contact: Id, *, touches: bool = True) -> ContactInfo:
        """Everything about one contact: summary, keys, attributes, tags and
        (unless touches=False) its timeline."""
        cid = _id(contact, "contact")
        i = _lib.init(_lib.fnl_contact_info, "fnl_contact_info_init")
        self._check(_lib.fnl_contact_get(self._p, cid, byref(i)))
        return ContactInfo(
            id=i.id, account=i.account or None, owner=dec(i.owner),
            role=role_name(i.role), created=i.created,
            first_touch=i.first_touch if i.touch_count else None,
            last_touch=i.last_touch if i.touch_count else None,
            touch_count=i.touch_count, keys=self.contact_keys(i.id),
            attrs=self.contact_attrs(i.id), tags=self.contact_tags(i.id),
            touches=self.touches(i.id) if touches else [])

    def contact_keys(self, contact: Id) -> List[Tuple[str, str]]:
        rows = self._read(_lib.fnl_contact_keys, _lib.fnl_key,
                          _id(contact, "contact"))
        return [(dec(k.kind), dec(k.value)) for k in rows]

    def contact_attrs(self, contact: Id) -> Dict[str, Any]:
        rows = self._read(_lib.fnl_contact_attrs, _lib.fnl_attr,
                          _id(contact, "contact"))
        return dict(attr_value(a) for a in rows)

    def contact_attr(self, contact: Id, name: str) -> Any:
        """One attribute's value; raises NotFound when the contact lacks
        it."""
        a = _lib.fnl_attr()
        self._check(_lib.fnl_contact_attr(self._p, _id(contact, "contact"),
                                          enc(name, "attribute name"),
                                          byref(a)))
        return attr_value(a)[1]

    def contact_tags(self, contact: Id) -> List[str]:
        rows = self._read(_lib.fnl_contact_tags, ctypes.c_char_p,
                          _id(contact, "contact"))
        return [dec(t) for t in rows]

    def forget(self, contact: Id) -> None:
        """Erase a contact's personal data (GDPR / PIPL): keys, attributes,
        tags and owner go; its touches stay, anonymous, so totals do not
        change.  Its handle gives Stale afterwards."""
        self._need("fnl_contact_forget")
        self._check(_lib.fnl_contact_forget(self._p, _id(contact, "contact")))

    def contact_ids(self) -> Iterator[Contact]:
        """Handles of live contacts in creation order (lazy)."""
        after = 0
        out = c_uint64()
        while True:
            rc = _lib.fnl_contact_next(self._p, after, byref(out))
            if self._find(rc, out) is None:
                return
            after = out.value
            yield Contact(after, self)

    def contacts(self, *, touches: bool = False) -> Iterator[ContactInfo]:
        """ContactInfo of every live contact in creation order (lazy)."""
        for c in self.contact_ids():
            yield self.contact(c, touches=touches)

    # -- accounts -----------------------------------------------------------

    def upsert_account(self, id: str, *, domains: Optional[Iterable[str]] = None,
                       attrs: Optional[Mapping[str, Any]] = None,
                       owner: Optional[str] = None,
                       source: Optional[str] = None,
                       time: TimeLike = None) -> Account:
        """Create or update an account by its id (host id or domain)."""
        u = _lib.init(_lib.fnl_account_update, "fnl_account_update_init")
        idb = enc(id, "account id")
        u.id = idb
        darr, u.domain_count, dkeep = str_array(domains, "domain")
        u.domains = darr
        aarr, u.attr_count, akeep = attr_array(attrs)
        u.attrs = aarr
        u.owner = enc(owner, "owner")
        u.source = enc(source, "source")
        u.time = to_ms(time)
        out = c_uint64()
        rc = _lib.fnl_account_upsert(self._p, byref(u), byref(out))
        del idb, dkeep, akeep
        self._check(rc)
        return Account(out.value, self)

    def find_account(self, id_or_domain: str) -> Optional[Account]:
        out = c_uint64()
        rc = _lib.fnl_account_find(self._p, enc(id_or_domain, "account"),
                                   byref(out))
        v = self._find(rc, out)
        return None if v is None else Account(v, self)

    def account(self, account: Id) -> AccountInfo:
        aid = _id(account, "account")
        i = _lib.init(_lib.fnl_account_info, "fnl_account_info_init")
        self._check(_lib.fnl_account_get(self._p, aid, byref(i)))
        info = AccountInfo(id=i.id, name=dec(i.name) or "",
                           owner=dec(i.owner), created=i.created,
                           contact_count=i.contact_count)
        info.domains = [dec(d) for d in self._read(
            _lib.fnl_account_domains, ctypes.c_char_p, aid)]
        info.attrs = dict(attr_value(a) for a in self._read(
            _lib.fnl_account_attrs, _lib.fnl_attr, aid))
        info.contacts = list(self._read(_lib.fnl_account_contacts, c_uint64,
                                        aid))
        return info

    def accounts(self) -> Iterator[AccountInfo]:
        """Every account in creation order (lazy)."""
        after = 0
        out = c_uint64()
        while True:
            rc = _lib.fnl_account_next(self._p, after, byref(out))
            if self._find(rc, out) is None:
                return
            after = out.value
            yield self.account(after)

    def is_freemail(self, domain: str) -> bool:
        out = c_int()
        self._check(_lib.fnl_domain_is_freemail(self._p,
                                                enc(domain, "domain"),
                                                byref(out)))
        return bool(out.value)

    # -- touches ------------------------------------------------------------

    def _row(self, row: Mapping[str, Any], flat: list, cache: dict,
             keep: list) -> list:
        """The field values of one fnl_touch (in struct order) from a touch
        dict.  Strings become C addresses (fast mode) or bytes; the keys go
        to `flat` as kind, value, kind, value, ... and field 2 holds (start,
        count) until the key array exists.  Hot path of batches: plain
        types take the fast branches."""
        vals = list(self._touch_vals)
        for name, v in row.items():
            if v is None:
                continue
            i = _TOUCH_STR_INDEX.get(name)
            if i is not None:
                a = cache.get(v) if type(v) is str else None
                if a is None:
                    a = _cstr(enc(v, name), keep)
                    if type(v) is str:
                        cache[v] = a
                vals[i] = a
            elif name == "keys":
                start = len(flat)
                pairs = v.items() if type(v) is dict else key_pairs(v)
                for kind, value in pairs:
                    a = cache.get(kind) if type(kind) is str else None
                    if a is None:
                        a = _cstr(enc(kind, "key kind"), keep)
                        if type(kind) is str:
                            cache[kind] = a
                    flat.append(a)
                    flat.append(_cstr(enc(value, f"key '{kind}'"), keep))
                vals[2] = (start, (len(flat) - start) >> 1)
            elif name == "time":
                vals[1] = v if type(v) is int else to_ms(v)
            elif name == "contact":
                vals[4] = _id(v, "contact")
            elif name == "value":
                vals[17] = to_int(v, "value")
            else:
                raise invalid(f"unknown touch field '{name}'")
        return vals

    def _touches_array(self, rows: Sequence[Mapping[str, Any]]):
        """(fnl_touch array, keepalive) for a batch, or raise naming the
        first bad touch."""
        flat: list = []
        cache: dict = {}
        keep: list = []
        vals = []
        row_ = self._row
        for i, row in enumerate(rows):
            try:
                vals.append(row_(row, flat, cache, keep))
            except InvalidArgument as exc:
                raise invalid(f"touch {i}: {_bare(exc)}") from None
            except (AttributeError, TypeError, ValueError) as exc:
                raise invalid(f"touch {i}: expected a dict of touch fields "
                              f"({exc})") from None
        n = len(vals)
        if _pack.FAST:
            karr = array.array(_pack._PTR, flat)
            base = karr.buffer_info()[0]
            buf = bytearray(n * _TOUCH_PACK.size)
            pack_into, size = _TOUCH_PACK.pack_into, _TOUCH_PACK.size
            ptr = karr.itemsize
            for j, v in enumerate(vals):
                k = v[2]
                if type(k) is tuple:
                    v[2], v[3] = base + k[0] * ptr, k[1]
                pack_into(buf, j * size, *v)
            arr = (_lib.fnl_touch * n).from_buffer(buf)
            return arr, (flat, karr, buf, keep)
        karr = (_lib.fnl_key * (len(flat) >> 1))(
            *zip(flat[0::2], flat[1::2])) if flat else None
        base = ctypes.addressof(karr) if flat else 0
        for v in vals:
            k = v[2]
            if type(k) is tuple:
                v[2], v[3] = base + (k[0] >> 1) * _KEY_SIZE, k[1]
        arr = (_lib.fnl_touch * n)(*map(tuple, vals))
        return arr, (flat, karr, keep)

    def add_touch(self, *, keys: KeysLike = None, contact: Optional[Id] = None,
                  time: TimeLike = None, type: Optional[str] = None,
                  channel: Optional[str] = None,
                  campaign: Optional[str] = None,
                  content: Optional[str] = None, url: Optional[str] = None,
                  referrer: Optional[str] = None,
                  utm_source: Optional[str] = None,
                  utm_medium: Optional[str] = None,
                  utm_campaign: Optional[str] = None,
                  utm_term: Optional[str] = None,
                  utm_content: Optional[str] = None,
                  account: Optional[str] = None, value: int = 0,
                  by: Optional[str] = None) -> Contact:
        """Record one touch; returns the contact it was attributed to.  A
        missing channel is derived from the UTM fields (given or parsed from
        url), the referrer and the type.  ``by`` names who made the touch
        (e.g. the sales rep who called), compared with contact owners as
        written (no case folding)."""
        row = dict(keys=keys, contact=contact, time=time, type=type,
                   channel=channel, campaign=campaign, content=content,
                   url=url, referrer=referrer, utm_source=utm_source,
                   utm_medium=utm_medium, utm_campaign=utm_campaign,
                   utm_term=utm_term, utm_content=utm_content,
                   account=account, value=value or None, by=by)
        arr, keep = self._touches_array([row])
        out = c_uint64()
        rc = _lib.fnl_touch_add(self._p, arr, byref(out))
        del keep
        self._check(rc)
        return Contact(out.value, self)

    def add_touches(self, touches: Iterable[Mapping[str, Any]]) -> List[int]:
        """Record many touches in ONE library call, all or nothing.

        Each item is a dict with the keyword arguments of :meth:`add_touch`.
        Returns the contact handle of each touch, in order.  On failure
        nothing is recorded and the error names the first bad touch
        ("touch 3: ..."; 0-based).  Batches of 1,000-10,000 are best.
        """
        rows = touches if isinstance(touches, (list, tuple)) else list(touches)
        n = len(rows)
        if n == 0:
            return []
        arr, keep = self._touches_array(rows)
        out = (c_uint64 * n)()
        rc = _lib.fnl_touch_add_batch(self._p, arr, n, out)
        del keep  # the C call is over: the bytes may go
        self._check(rc)
        return list(out)

    def touches(self, contact: Id) -> List[Touch]:
        """A contact's touches in time order (its timeline)."""
        cid = _id(contact, "contact")
        count = c_size_t()
        cap = 16
        es = sizeof(_lib.fnl_touch_info)
        while True:
            buf = (_lib.fnl_touch_info * cap)()
            rc = _lib.fnl_contact_touches(self._p, cid, buf, es, cap,
                                          byref(count))
            if rc == ERANGE and count.value > cap:
                cap = count.value
                continue
            self._check(rc)
            break
        return [Touch(t.time, t.contact,
                      *(dec(getattr(t, f)) for f in _TOUCH_INFO_STR),
                      value=t.value, by=dec(t.by)) for t in buf[:count.value]]

    def touch_channel(self, **fields: Any) -> str:
        """The channel the grouping gives a touch with these fields (only
        type, url, referrer and utm_* matter)."""
        arr, keep = self._touches_array([fields])
        t = arr[0]
        out = ctypes.c_char_p()
        self._check(_lib.fnl_touch_channel(self._p, byref(t), byref(out)))
        return dec(out.value) or ""

    # -- deals ------------------------------------------------------------

    def upsert_deal(self, id: str, *, account: Optional[str] = None,
                    contacts: Optional[Iterable[Any]] = None,
                    amount: int = 0, currency: Optional[str] = None,
                    created: TimeLike = None, closed: TimeLike = 0,
                    status: Union[str, int] = "open",
                    stage: Optional[str] = None,
                    owner: Optional[str] = None,
                    attrs: Optional[Mapping[str, Any]] = None) -> Deal:
        """Create or update a deal by id.  An update replaces every field
        (amount, created, closed, status, ...); contacts are added.
        attrs ({"product": "GTX Pro", "seats": 12}) sets or replaces those
        attributes (None as a value removes one) and keeps the others.

        contacts: items of the form ``contact_id``, ``(contact_id, role)``,
        ``((kind, value), role)`` or ``{"contact": id | "key": (kind,
        value), "role": "decision_maker"}``.  A key naming no contact
        creates one.  ``closed=0`` means not closed."""
        u = _lib.init(_lib.fnl_deal_update, "fnl_deal_update_init")
        keep: list = [enc(id, "deal id"), enc(account, "account"),
                      enc(currency, "currency"), enc(stage, "stage"),
                      enc(owner, "owner")]
        u.id, u.account, u.currency, u.stage, u.owner = keep
        dcs = [self._deal_contact(c, keep) for c in (contacts or ())]
        if dcs:
            arr = (_lib.fnl_deal_contact * len(dcs))(*dcs)
            keep.append(arr)
            u.contacts, u.contact_count = arr, len(dcs)
        u.amount = to_int(amount, "amount")
        u.created = to_ms(created, "created")
        u.closed = 0 if closed in (None, 0) else to_ms(closed, "closed")
        aarr, acount, akeep = attr_array(attrs)
        if acount:
            self._need("fnl_deal_attrs")
            u.attrs, u.attr_count = aarr, acount
            keep.append(akeep)
        if isinstance(status, str):
            codes = {v: k for k, v in DEAL_STATUSES.items()}
            if status not in codes:
                raise invalid(f"deal status must be open, won or lost, "
                              f"not '{status}'")
            u.status = codes[status]
        else:
            u.status = to_int(status, "status", 0, 2 ** 32 - 1)
        out = c_uint64()
        rc = _lib.fnl_deal_upsert(self._p, byref(u), byref(out))
        del keep
        self._check(rc)
        return Deal(out.value, self)

    @staticmethod
    def _deal_contact(item: Any, keep: list):
        role: Any = None
        who: Any = item
        if isinstance(item, Mapping):
            role = item.get("role")
            who = item.get("contact")
            if who is None and item.get("key") is not None:
                who = tuple(item["key"])
        elif isinstance(item, tuple) and len(item) == 2 and not isinstance(
                item[0], str):
            who, role = item
        dc = _lib.fnl_deal_contact()
        dc.role = role_code(role, 0)
        if isinstance(who, tuple):
            (kind, value), = key_pairs([who], "deal contact key")
            keep += [kind, value]
            dc.key.kind, dc.key.value = kind, value
        else:
            dc.contact = _id(who, "deal contact")
        return dc

    def find_deal(self, id: str) -> Optional[Deal]:
        out = c_uint64()
        rc = _lib.fnl_deal_find(self._p, enc(id, "deal id"), byref(out))
        v = self._find(rc, out)
        return None if v is None else Deal(v, self)

    def deal(self, deal: Id) -> DealInfo:
        did = _id(deal, "deal")
        i = _lib.fnl_deal_info()  # no fnl_deal_info_init in the library
        i.size = sizeof(i)
        self._check(_lib.fnl_deal_get(self._p, did, byref(i)))
        rows = self._read(_lib.fnl_deal_contacts, _lib.fnl_deal_contact, did)
        return DealInfo(
            id=i.id, name=dec(i.name) or "", account=i.account or None,
            amount=i.amount, currency=i.currency.decode("ascii", "replace"),
            created=i.created, closed=i.closed,
            status=DEAL_STATUSES.get(i.status, str(i.status)),
            stage=dec(i.stage), owner=dec(i.owner),
            contacts=[DealContact(r.contact, role_name(r.role))
                      for r in rows],
            attrs=self.deal_attrs(did) if _lib.has("fnl_deal_attrs") else {})

    def deal_attrs(self, deal: Id) -> Dict[str, Any]:
        """The deal's attributes ({name: str or float})."""
        self._need("fnl_deal_attrs")
        rows = self._read(_lib.fnl_deal_attrs, _lib.fnl_attr,
                          _id(deal, "deal"))
        return dict(attr_value(a) for a in rows)

    def deal_attr(self, deal: Id, name: str) -> Any:
        """One deal attribute's value; raises NotFound when the deal lacks
        it."""
        self._need("fnl_deal_attr")
        a = _lib.fnl_attr()
        self._check(_lib.fnl_deal_attr(self._p, _id(deal, "deal"),
                                       enc(name, "attribute name"),
                                       byref(a)))
        return attr_value(a)[1]

    # -- owner records -------------------------------------------------------

    def upsert_owner(self, name: str, *,
                     attrs: Optional[Mapping[str, Any]] = None,
                     source: Optional[str] = None,
                     time: TimeLike = None) -> None:
        """Create or update the record of an owner string (the name deals,
        contacts and accounts carry as owner): attributes such as
        {"manager": "Cara Losch", "regional_office": "East"}, set by the
        engine's precedence (latest time, or source priority); None as a
        value removes one."""
        self._need("fnl_owner_upsert")
        u = _lib.init(_lib.fnl_owner_update, "fnl_owner_update_init")
        nb = enc(name, "owner name")
        u.name = nb
        aarr, u.attr_count, akeep = attr_array(attrs)
        u.attrs = aarr
        u.source = enc(source, "source")
        u.time = to_ms(time)
        rc = _lib.fnl_owner_upsert(self._p, byref(u))
        del nb, akeep
        self._check(rc)

    def owner(self, name: str) -> Optional[OwnerInfo]:
        """The owner's record, or None when the name has none."""
        self._need("fnl_owner_get")
        i = _lib.init(_lib.fnl_owner_info, "fnl_owner_info_init")
        nb = enc(name, "owner name")
        rc = _lib.fnl_owner_get(self._p, nb, byref(i))
        if rc == ENOTFOUND and self._pending is None:
            return None
        self._check(rc)
        return OwnerInfo(name=dec(i.name) or "", created=i.created,
                         attrs=self.owner_attrs(name))

    def owner_attrs(self, name: str) -> Dict[str, Any]:
        """The owner's attributes ({} for a name without a record)."""
        self._need("fnl_owner_attrs")
        rows = self._read(_lib.fnl_owner_attrs, _lib.fnl_attr,
                          enc(name, "owner name"))
        return dict(attr_value(a) for a in rows)

    def owner_attr(self, name: str, attr: str) -> Any:
        """One owner attribute; raises NotFound when absent."""
        self._need("fnl_owner_attr")
        a = _lib.fnl_attr()
        self._check(_lib.fnl_owner_attr(self._p, enc(name, "owner name"),
                                        enc(attr, "attribute name"),
                                        byref(a)))
        return attr_value(a)[1]

    def owners(self) -> List[OwnerInfo]:
        """Every owner record, sorted by name."""
        self._need("fnl_owner_list")
        names = [dec(n) for n in self._read(_lib.fnl_owner_list,
                                            ctypes.c_char_p)]
        return [self.owner(n) for n in names]  # type: ignore[misc]

    def deals(self) -> List[DealInfo]:
        """Every deal in creation order."""
        out, after, res = c_uint64(), 0, []
        while True:
            rc = _lib.fnl_deal_next(self._p, after, byref(out))
            if self._find(rc, out) is None:
                return res
            after = out.value
            res.append(self.deal(after))

    # -- attribution over the engine's own data --------------------------

    def attribute(self, model: Union[str, int] = "linear", **options: Any):
        """Attribute conversions (won deals by default) to the touches of
        their buying group; returns an AttributionResult whose
        ``journeys_stats`` says what was built.

        Options: conversion ("deal_won", "deal_created", "stage_entry"
        with stage: the name of a stage of the attached machine, each
        contact converting once at its first entry, value 0), scope
        ("account", "contact"), group_by ("channel", "campaign", "content",
        "utm_source", "utm_medium", "utm_campaign", "type",
        "channel_campaign", "contact_attr", "account_attr", "owner"),
        group_attr, lookback_ms (-1: unlimited; default 90 days),
        exclude_types, lead_types, nonconverting ("lost_deals", "no_deal";
        "not_entered" for stage entries),
        currency, since, until, unattributed_key, and the model options of
        funnelcore.attribute (markov_order, half_life_ms, ...,
        value_decimals: amounts are minor units / 10**value_decimals).
        """
        from .attribution import engine_attribute
        return engine_attribute(self, model, **options)

    def journeys(self, **options: Any):
        """(Journeys, JourneyStats) built from the engine with the options
        of :meth:`attribute`, for funnelcore.attribute or partials."""
        from .attribution import engine_journeys
        return engine_journeys(self, **options)

    def attribution_partial(self, models: Iterable[Union[str, int]],
                            **options: Any):
        """(AttributionPartial, JourneyStats): the engine's journeys (the
        options of :meth:`attribute`) accumulated straight into a partial
        for `models`: finish it per model, merge it with others, save it
        to bytes."""
        from .attribution import engine_attribution_partial
        return engine_attribution_partial(self, models, **options)

    # -- lead scoring -------------------------------------------------------

    def attach_model(self, model: Any,
                     progress: Optional[Callable[[int, int], Any]] = None
                     ) -> None:
        """Attach a copy of a :class:`funnelcore.Model` (replacing an
        attached model of the same name) and score every contact with it.

        progress(done, total) is called now and then; a truthy return
        cancels (:class:`funnelcore.Canceled`), and so does an exception,
        which is re-raised once the library call has returned.  A canceled
        attach changes nothing: the previous model of that name and its
        scores stand."""
        from .scoring import attach_model
        attach_model(self, model, progress)

    def detach_model(self, model: Any) -> None:
        """Detach the model of that name (or that Model's name);
        NotFound when none is attached."""
        from .scoring import detach_model
        detach_model(self, model)

    def models(self) -> list:
        """Copies of the attached models, in attach order."""
        from .scoring import models
        return models(self)

    def contact_score(self, contact: Id, model: Any = None,
                      t: TimeLike = None):
        """A contact's :class:`funnelcore.Score` under an attached model
        (name or Model; None: the first attached) at time t (None: the
        engine clock's now)."""
        from .scoring import contact_score
        return contact_score(self, _id(contact, "contact"), model, t)

    def contact_explain(self, contact: Id, model: Any = None,
                        t: TimeLike = None) -> list:
        """Why a contact scores what it does: one
        :class:`funnelcore.ScoreRow` per rule."""
        from .scoring import contact_explain
        return contact_explain(self, _id(contact, "contact"), model, t)

    def account_score(self, account: Id, model: Any = None,
                      t: TimeLike = None):
        """An account's :class:`funnelcore.AccountScore`: the roll-up of
        its contacts' scores and buying-group coverage."""
        from .scoring import account_score
        return account_score(self, _id(account, "account"), model, t)

    # -- lifecycle stage machines ---------------------------------------------

    def attach_machine(self, machine: "Machine") -> None:
        """Attach a copy of a :class:`funnelcore.Machine` (replacing the
        attached one): every live contact enters its initial stage at the
        engine clock's now and is evaluated there.  On failure nothing
        changes."""
        from .stages import attach_machine
        attach_machine(self, machine)

    def contact_event(self, contact: Id, event: str,
                      reason: Optional[str] = None,
                      time: TimeLike = None) -> None:
        """Fire a host event for a contact ("sales_accept",
        "sales_reject" with a reason, "sales_qualify",
        "opportunity_created", "deal_won", "deal_lost", "disqualify",
        "unsubscribe", "resubscribe", or any other [a-z0-9_] name) at time
        (None: the engine clock's now).  NotFound without a machine or
        for an unknown contact."""
        from .stages import contact_event
        contact_event(self, _id(contact, "contact"), event, reason, time)

    def tick(self, now: TimeLike = None) -> None:
        """Advance the stage clock to now (None: the engine clock): every
        stage timer, SLA deadline and nurture step due at or before now
        fires, at its due time.  Does nothing without a machine."""
        from .stages import tick
        tick(self, now)

    def contact_stage(self, contact: Id) -> "StageStatus":
        """A contact's :class:`funnelcore.StageStatus`: stage, entered,
        owner, reached stages.  NotFound without a machine."""
        from .stages import contact_stage
        return contact_stage(self, _id(contact, "contact"))

    def contact_stage_history(self, contact: Id) -> "List[StageRecord]":
        """A contact's :class:`funnelcore.StageRecord` list, oldest
        first: transitions, passed-through stages, assignments and SLA
        breaches."""
        from .stages import contact_stage_history
        return contact_stage_history(self, _id(contact, "contact"))

    # -- reports --------------------------------------------------------------

    def report_deals(self, group_by: Union[str, int] = "none", **kw: Any):
        """Funnel and velocity of the deals per group ("none", "owner",
        "stage", "account", "account_attr" with group_attr, "currency",
        "status", "attr" -- a deal attribute such as group_attr="product"
        --, "owner_attr" -- an attribute of the owner's record such as
        group_attr="manager"): counts, win rate, amounts, median / p90 cycle,
        forecast, benchmark flags.  Keywords: group_attr, since, until
        (created in [since, until)), as_of, currency, fx (an FX or
        (from, to, rate[, start, end]) tuples), stage_probabilities
        ({stage: p}), forecast_until, benchmark_win_rate,
        benchmark_cycle_days, benchmark_deal_size.  A
        :class:`funnelcore.Report`."""
        from .reports import report_deals
        return report_deals(self, group_by, **kw)

    def report_roi(self, group_by: Union[str, int] = "channel", **kw: Any):
        """ROI per channel / campaign / region: spend (cost records,
        prorated to [since, until)) against revenue and pipeline
        attributed over the engine's deals.  revenue / pipeline: a model
        name or a dict of :meth:`attribute` options with "model" (None:
        leave out); leads / mqls / sqls: funnel counts credited by
        stage-entry attribution, each a stage name ("inquiry", "mql",
        "sql") or a dict of :meth:`attribute` options with "stage" (and
        "model"; default linear); also region, currency, fx, value_scale,
        stage_counts ({group: {"leads": n, "mqls": n, ...}}: a value given
        there wins over the attribution's), costs (extra cost dicts),
        benchmark_revenue_to_cost."""
        from .reports import report_roi
        return report_roi(self, group_by, **kw)

    def report_spend(self, group_by: Union[str, int] = "channel",
                     period: Union[str, int] = "month", **kw: Any):
        """Spend per group and calendar period (costs prorated)."""
        from .reports import report_spend
        return report_spend(self, group_by, period, **kw)

    def report_cohort(self, period: Union[str, int] = "month", **kw: Any):
        """Deals by the period they were created in, with won-within-N-days
        shares (ages, default 30, 60, 90, 180)."""
        from .reports import report_cohort
        return report_cohort(self, period, **kw)

    def report_time_to_convert(self, **kw: Any):
        """Kaplan-Meier time from deal creation to win (lost deals
        censored at close, open ones at as_of)."""
        from .reports import report_time_to_convert
        return report_time_to_convert(self, **kw)

    # stage-history reports (docs/reports.md, "Reports from the stage
    # history"): NotFound without an attached machine

    def report_stage_funnel(self, group_by: Union[str, int] = "none",
                            **kw: Any):
        """The lifecycle funnel per group ("none", "channel", "campaign",
        "owner", "attr" with group_attr): reached / entered per stage,
        conversion to the next stage, velocity, benchmarks.  Options:
        since, until, as_of, pairs (dicts {"from", "to", "low", "high"}
        or (from, to[, low[, high]]) tuples; a bound None: none)."""
        from .reports import report_stage_funnel
        return report_stage_funnel(self, group_by, **kw)

    def report_stage_cohort(self, stage: Optional[str] = None,
                            period: Union[str, int] = "month", **kw: Any):
        """Contacts by the period of their first entry into `stage` (None:
        the first funnel stage), with to_<T> counts and within-N-days
        shares per target.  Options: since, until, boundaries, as_of,
        ages, targets."""
        from .reports import report_stage_cohort
        return report_stage_cohort(self, stage, period, **kw)

    def report_stage_time_to_convert(self, to_stage: str,
                                     from_stage: Optional[str] = None,
                                     **kw: Any):
        """Kaplan-Meier time from the first entry into from_stage (None:
        the first funnel stage) to to_stage.  Options: since, until,
        as_of, window_days, cold_threshold."""
        from .reports import report_stage_time_to_convert
        return report_stage_time_to_convert(self, to_stage, from_stage, **kw)

    def report_rejections(self, group_by: Union[str, int] = "channel",
                          **kw: Any):
        """Sales rejections per group and reason.  Options: group_attr,
        since, until."""
        from .reports import report_rejections
        return report_rejections(self, group_by, **kw)

    def stage_counts(self, group_by: Union[str, int] = "channel",
                     **kw: Any) -> Dict[str, Dict[str, Optional[float]]]:
        """Funnel counts per group from the stage history, {group:
        {"leads", "mqls", "sqls", "opportunities", "customers"}} (None:
        not counted), ready for report_roi(stage_counts=...).  Options:
        group_attr, view ("cumulative", "in_period"), since, until, as_of,
        lead_stage, mql_stage, sql_stage, opportunity_stage,
        customer_stage (a name, or None: not counted)."""
        from .reports import stage_counts
        return stage_counts(self, group_by, **kw)

    @staticmethod
    def budget_allocate(total: int, lines: Iterable[Any], **kw: Any):
        """funnelcore.budget_allocate (needs no engine)."""
        from .reports import budget_allocate
        return budget_allocate(total, lines, **kw)

    # -- costs ------------------------------------------------------------

    def add_cost(self, *, amount: int, start: TimeLike, end: TimeLike,
                 channel: Optional[str] = None,
                 campaign: Optional[str] = None,
                 region: Optional[str] = None,
                 currency: Optional[str] = None) -> int:
        """Record spend on a channel and/or campaign over [start, end);
        amount in minor units.  Returns the cost's index."""
        c = _lib.init(_lib.fnl_cost, "fnl_cost_init")
        keep = [enc(channel, "channel"), enc(campaign, "campaign"),
                enc(region, "region"), enc(currency, "currency")]
        c.channel, c.campaign, c.region, c.currency = keep
        if start is None or end is None:
            raise invalid("cost: start and end are required")
        c.start, c.end = to_ms(start, "start"), to_ms(end, "end")
        c.amount = to_int(amount, "amount")
        out = c_uint64()
        rc = _lib.fnl_cost_add(self._p, byref(c), byref(out))
        del keep
        self._check(rc)
        return out.value

    def cost(self, index: int) -> Cost:
        c = _lib.init(_lib.fnl_cost, "fnl_cost_init")
        cur = (c_char * 4)()
        self._check(_lib.fnl_cost_get(self._p, _id(index, "index"), byref(c),
                                      cur))
        return Cost(index=int(index), channel=dec(c.channel),
                    campaign=dec(c.campaign), region=dec(c.region),
                    start=c.start, end=c.end, amount=c.amount,
                    currency=cur.value.decode("ascii", "replace"))

    def costs(self) -> List[Cost]:
        """Every cost in the order added."""
        return [self.cost(i) for i in range(self.stats().costs)]
