"""Lead scoring: models parsed from their text format (docs/scoring.md),
scored standalone over a profile and a timeline, or attached to an Engine
(``Engine.attach_model``), which then keeps every contact's score current
and fires key events to the listener.

Results (:class:`Score`, :class:`ScoreRow`, :class:`AccountScore`,
:class:`KeyEventFire`) are plain Python data: every string is copied out of
the library at once.
"""
from __future__ import annotations

import time as _time
from ctypes import byref, c_size_t, c_void_p, sizeof
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional, Union

from ._owned import Owned
from ._text import canonical_text, parse_text
from . import _lib
from ._convert import (attr_array, dec, enc, error, invalid, role_name,
                       to_int, to_ms)
from .errors import ERANGE, EUNSUPPORTED

__all__ = ["Model", "ModelInfo", "Score", "ScoreRow", "AccountScore",
           "KeyEventFire"]

_RULE_KINDS = {1: "fit", 2: "engage", 3: "key_event"}
_TOUCH_INFO_STR = ("type", "channel", "campaign", "content", "utm_source",
                   "utm_medium", "utm_campaign", "utm_term", "utm_content")
_TOUCH_INFO_SIZE = sizeof(_lib.fnl_touch_info)


def _need(name: str = "fnl_model_parse") -> None:
    if not _lib.has(name):
        raise error(EUNSUPPORTED, f"unsupported: this libfunnelcore has no "
                                  f"{name}".encode())


@dataclass(frozen=True)
class ModelInfo:
    """fnl_model_info: facts about a model."""
    name: str
    version: int
    half_life_ms: int
    fit_rules: int
    engage_rules: int
    key_events: int
    thresholds: int
    fingerprint: int


@dataclass
class Score:
    """A contact's score under one model at one time."""
    model: str
    time: int
    fit: float
    engagement: float
    total: float
    grade: str            # "A".."D"
    band: int             # 1..4
    cell: str             # "A1".."D4"
    #: names of the key events that have fired (by ``time``)
    key_events: List[str]
    firings: int
    #: every threshold of the model: name -> holds
    thresholds: Dict[str, bool]
    key_event_mask: int = 0
    threshold_mask: int = 0

    @property
    def score(self) -> float:
        return self.total


@dataclass(frozen=True)
class ScoreRow:
    """One rule's part of a score (fnl_score_row)."""
    kind: str             # "fit", "engage" or "key_event"
    index: int
    rule: str             # the rule's canonical text line
    points: float
    matched: int
    counted: int
    raw: float
    value: float


@dataclass(frozen=True)
class KeyEventFire:
    """One key-event firing."""
    index: int
    name: str
    time: int


@dataclass(frozen=True)
class AccountScore:
    """An account's roll-up and buying-group coverage."""
    model: str
    score: float
    contacts: int
    engaged: int
    #: roles of the engaged members, and the roles the model requires
    roles_engaged: List[str]
    roles_required: List[str]
    #: how many required roles have an engaged member (of roles_required)
    roles_covered: int
    coverage: float

    @property
    def covered_roles(self) -> List[str]:
        """The required roles that have an engaged member."""
        return [r for r in self.roles_required if r in self.roles_engaged]


def _roles(mask: int) -> List[str]:
    return [role_name(i) for i in range(32) if mask >> i & 1]


class _Meta:
    """What turning a fnl_score_result into a Score needs from its model."""
    __slots__ = ("name", "key_events", "thresholds")

    def __init__(self, ptr: int):
        info = _lib.init(_lib.fnl_model_info, "fnl_model_info_init")
        rc = _lib.fnl_model_get_info(ptr, byref(info))
        if rc != 0:
            raise error(rc, b"model_get_info")
        self.name = dec(info.name) or ""
        self.key_events = [dec(_lib.fnl_model_key_event_name(ptr, i)) or ""
                           for i in range(info.key_events)]
        self.thresholds = [dec(_lib.fnl_model_threshold_name(ptr, i)) or ""
                           for i in range(info.thresholds)]


def _score(meta: _Meta, r) -> Score:
    return Score(
        model=meta.name, time=r.time, fit=r.fit, engagement=r.engagement,
        total=r.total, grade=r.grade.decode("ascii", "replace"),
        band=r.band, cell=r.cell.decode("ascii", "replace"),
        key_events=[n for i, n in enumerate(meta.key_events)
                    if r.key_events >> i & 1],
        firings=r.firings,
        thresholds={n: bool(r.thresholds >> i & 1)
                    for i, n in enumerate(meta.thresholds)},
        key_event_mask=r.key_events, threshold_mask=r.thresholds)


def _rows(buf, n: int) -> List[ScoreRow]:
    return [ScoreRow(_RULE_KINDS.get(r.kind, str(r.kind)), r.index,
                     dec(r.rule) or "", r.points, r.matched, r.counted,
                     r.raw, r.value) for r in buf[:n]]


def _touch_infos(touches: Iterable[Any]):
    """(fnl_touch_info array, count, keepalive) from touch dicts or Touch
    objects (only time, the dimension strings and value are read)."""
    items = list(touches or ())
    n = len(items)
    if n == 0:
        return None, 0, []
    arr = (_lib.fnl_touch_info * n)()
    keep: List[Any] = []
    cache: Dict[str, bytes] = {}
    for i, (t, src) in enumerate(zip(arr, items)):
        get = src.get if isinstance(src, Mapping) else (
            lambda k, _s=src: getattr(_s, k, None))
        t.size = _TOUCH_INFO_SIZE
        tm = get("time")
        if tm is None:
            raise invalid(f"touch {i}: a time is required")
        t.time = to_ms(tm, f"touch {i}: time")
        for f in _TOUCH_INFO_STR:
            v = get(f)
            if v is not None:
                b = cache.get(v)
                if b is None:
                    b = enc(v, f"touch {i}: {f}")
                    cache[v] = b
                    keep.append(b)
                setattr(t, f, b)
        v = get("value")
        if v:
            t.value = to_int(v, f"touch {i}: value")
    return arr, n, keep


def _now_ms() -> int:
    return int(_time.time() * 1000)


class Model(Owned):
    """An immutable, compiled scoring model (fnl_model).

    ``Model.parse(text)`` compiles the text format of docs/scoring.md; a
    syntax or semantic error raises InvalidArgument (LimitExceeded past a
    limit) with ``.line``, ``.column`` and ``.message``.  A model may be
    attached to any number of engines (each keeps its own copy) and read
    from several threads.  Close it (or use ``with``) to free it early.
    """

    def __init__(self, *_a: Any, **_k: Any) -> None:
        raise TypeError("use Model.parse(text)")

    @classmethod
    def _wrap(cls, ptr: int) -> "Model":
        m = cls.__new__(cls)
        m._ptr = ptr
        m._meta = _Meta(ptr)
        return m

    @classmethod
    def parse(cls, text: Union[str, bytes]) -> "Model":
        """Compile a model from its text format."""
        _need()
        return cls._wrap(parse_text(_lib.fnl_model_parse, text))

    @property
    def _p(self) -> int:
        if self._ptr is None:
            raise invalid("model is closed")
        return self._ptr

    # -- facts -------------------------------------------------------------

    @property
    def name(self) -> str:
        return self._meta.name

    @property
    def key_events(self) -> List[str]:
        """Key-event names in definition order (bit i of a mask is
        key_events[i])."""
        return list(self._meta.key_events)

    @property
    def thresholds(self) -> List[str]:
        return list(self._meta.thresholds)

    @property
    def info(self) -> ModelInfo:
        i = _lib.init(_lib.fnl_model_info, "fnl_model_info_init")
        rc = _lib.fnl_model_get_info(self._p, byref(i))
        if rc != 0:
            raise error(rc, b"model_get_info")
        return ModelInfo(dec(i.name) or "", i.version, i.half_life,
                         i.fit_rules, i.engage_rules, i.key_events,
                         i.thresholds, i.fingerprint)

    @property
    def text(self) -> str:
        """The canonical text: parsing it gives the same model, byte for
        byte the same text."""
        return canonical_text(_lib.fnl_model_to_text, self._p)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return (f"<funnelcore.Model {self._meta.name!r}"
                f"{' closed' if self._ptr is None else ''}>")

    # -- scoring without an engine ---------------------------------------

    def _input(self, attrs, touches, t):
        arr, na, akeep = attr_array(attrs)
        tarr, nt, tkeep = _touch_infos(touches)
        tt = _now_ms() if t is None else to_ms(t, "t")
        return arr, na, tarr, nt, tt, (akeep, tkeep)

    def score(self, attrs: Optional[Mapping[str, Any]] = None,
              touches: Iterable[Any] = (), t: Any = None) -> Score:
        """Score a profile (``{name: str | number}``) and a timeline
        (touch dicts or Touch objects with a time; any order; touches
        after t are ignored) at time t (ms or datetime; None: now).  One
        library call."""
        arr, na, tarr, nt, tt, keep = self._input(attrs, touches, t)
        r = _lib.init(_lib.fnl_score_result, "fnl_score_result_init")
        rc = _lib.fnl_model_score(self._p, arr, na, tarr, _TOUCH_INFO_SIZE,
                                  nt, tt, byref(r))
        del keep
        if rc != 0:
            raise error(rc, b"invalid argument: model_score: bad input "
                            b"(time out of range?)")
        return _score(self._meta, r)

    def explain(self, attrs: Optional[Mapping[str, Any]] = None,
                touches: Iterable[Any] = (), t: Any = None) -> List[ScoreRow]:
        """One row per rule (fit, engagement, key events, each in
        definition order); the values sum to the total."""
        arr, na, tarr, nt, tt, keep = self._input(attrs, touches, t)
        i = self.info
        cap = i.fit_rules + i.engage_rules + i.key_events
        buf = (_lib.fnl_score_row * max(cap, 1))()
        n = c_size_t()
        rc = _lib.fnl_model_explain(self._p, arr, na, tarr, _TOUCH_INFO_SIZE,
                                    nt, tt, buf, cap, byref(n))
        del keep
        if rc != 0:
            raise error(rc, b"model_explain")
        return _rows(buf, n.value)

    def key_event_history(self, touches: Iterable[Any] = (),
                          t: Any = None) -> List[KeyEventFire]:
        """Every key-event firing of a timeline up to t, in time order."""
        tarr, nt, keep = _touch_infos(touches)
        tt = _now_ms() if t is None else to_ms(t, "t")
        cap = 16
        n = c_size_t()
        while True:
            buf = (_lib.fnl_key_event_fire * cap)()
            rc = _lib.fnl_model_key_event_history(
                self._p, tarr, _TOUCH_INFO_SIZE, nt, tt, buf, cap, byref(n))
            if rc == ERANGE and n.value > cap:
                cap = n.value
                continue
            if rc != 0:
                raise error(rc, b"model_key_event_history")
            return [KeyEventFire(f.event, dec(f.name) or "", f.time)
                    for f in buf[:n.value]]

    # -- lifetime ------------------------------------------------------------

    def _release(self, ptr: Any) -> None:
        _lib.fnl_model_free(ptr)

    def __enter__(self) -> "Model":
        return self

    def __reduce__(self):  # pickles as its canonical text
        return (Model.parse, (self.text,))


# --------------------------------------------------------------------------
# Engine side (Engine methods delegate here)
# --------------------------------------------------------------------------

def _model_name(model: Any) -> Optional[bytes]:
    if model is None:
        return None
    if isinstance(model, Model):
        return enc(model.name, "model")
    return enc(model, "model")


def _attached(engine: Any) -> List[int]:
    """Borrowed fnl_model pointers attached to the engine, in order."""
    out, res = c_void_p(), []
    while True:
        rc = _lib.fnl_engine_model(engine._p, len(res), byref(out))
        if rc != 0:
            return res
        res.append(out.value)


def _meta_for(engine: Any, name: Optional[bytes]) -> _Meta:
    cache = engine.__dict__.setdefault("_model_meta", {})
    for p in _attached(engine):
        info = _lib.init(_lib.fnl_model_info, "fnl_model_info_init")
        _lib.fnl_model_get_info(p, byref(info))
        if name is None or (info.name or b"").lower() == name.lower():
            meta = cache.get(info.fingerprint)
            if meta is None:
                meta = cache[info.fingerprint] = _Meta(p)
            return meta
    raise error(-4, b"not found: no such model attached")


def attach_model(engine: Any, model: Model, progress=None) -> None:
    _need("fnl_engine_attach_model")
    if not isinstance(model, Model):
        raise invalid("attach_model: expected a funnelcore.Model")
    table = None
    fn = None
    if progress is not None:
        if not callable(progress):
            raise TypeError("progress must be callable")
        import weakref
        weng = weakref.ref(engine)

        def report(_ctx, done, total):
            try:
                return 1 if progress(done, total) else 0
            except BaseException as exc:  # never let it reach C
                eng = weng()
                if eng is not None:
                    eng._set_pending(exc, "progress")
                return 1  # cancels: nothing changes
        fn = _lib.PROGRESS_FN(report)
        table = _lib.fnl_progress(1, None, fn)
    rc = _lib.fnl_engine_attach_model(engine._p, model._p,
                                      byref(table) if table else None)
    del fn, table
    engine._check(rc)


def detach_model(engine: Any, model: Any) -> None:
    _need("fnl_engine_detach_model")
    engine._check(_lib.fnl_engine_detach_model(engine._p,
                                               _model_name(model)))


def models(engine: Any) -> List[Model]:
    """Copies of the attached models (parsed again from their text)."""
    res = []
    for p in _attached(engine):
        res.append(Model.parse(canonical_text(_lib.fnl_model_to_text, p)))
    return res


def contact_score(engine: Any, contact: int, model: Any = None,
                  t: Any = None) -> Score:
    _need("fnl_contact_score")
    name = _model_name(model)
    r = _lib.init(_lib.fnl_score_result, "fnl_score_result_init")
    engine._check(_lib.fnl_contact_score(engine._p, contact, name,
                                         to_ms(t, "t"), byref(r)))
    return _score(_meta_for(engine, name), r)


def contact_explain(engine: Any, contact: int, model: Any = None,
                    t: Any = None) -> List[ScoreRow]:
    _need("fnl_contact_explain")
    name = _model_name(model)
    tt = to_ms(t, "t")
    cap = 16
    n = c_size_t()
    while True:
        buf = (_lib.fnl_score_row * cap)()
        rc = _lib.fnl_contact_explain(engine._p, contact, name, tt, buf, cap,
                                      byref(n))
        if rc == ERANGE and n.value > cap:
            cap = n.value
            continue
        engine._check(rc)
        return _rows(buf, n.value)


def account_score(engine: Any, account: int, model: Any = None,
                  t: Any = None) -> AccountScore:
    _need("fnl_account_score_get")
    name = _model_name(model)
    s = _lib.init(_lib.fnl_account_score, "fnl_account_score_init")
    engine._check(_lib.fnl_account_score_get(engine._p, account, name,
                                             to_ms(t, "t"), byref(s)))
    return AccountScore(_meta_for(engine, name).name, s.score, s.contacts,
                        s.engaged, _roles(s.roles_engaged),
                        _roles(s.roles_required), s.roles_covered,
                        s.coverage)
