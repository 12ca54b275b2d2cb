"""Lifecycle stage machines (docs/stages.md): parsed from their text format
or the built-in default waterfall, and attached to an Engine
(``Engine.attach_machine``), which then moves every contact through the
stages on touches, scores, host events (``Engine.contact_event``) and the
clock (``Engine.tick``), and tells the listener ("stage_changed",
"sla_breach", "routed", "step_due").

Results (:class:`StageStatus`, :class:`StageRecord`) are plain Python data:
every string is copied out of the library at once.
"""
from __future__ import annotations

from ctypes import byref, c_void_p
from dataclasses import dataclass
from typing import Any, List, Optional, Union

from . import _lib
from ._convert import dec, enc, error, invalid, to_ms
from .errors import EUNSUPPORTED
from ._owned import Owned
from ._text import canonical_text, parse_text

__all__ = ["Machine", "StageStatus", "StageRecord", "RECORD_KINDS",
           "RECORD_CAUSES"]

#: fnl_stage_record_kind -> name
RECORD_KINDS = {1: "transition", 2: "passed", 3: "assign", 4: "breach"}
#: fnl_stage_cause -> name
RECORD_CAUSES = {1: "start", 2: "touch", 3: "profile", 4: "score",
                 5: "event", 6: "timer", 7: "recheck", 32: "sla",
                 33: "merge"}
_NO_RULE = 0xFFFFFFFF


def _need(name: str = "fnl_machine_parse") -> None:
    if not _lib.has(name):
        raise error(EUNSUPPORTED, f"unsupported: this libfunnelcore has no "
                                  f"{name}".encode())


@dataclass(frozen=True)
class StageStatus:
    """A contact's place in the attached machine (fnl_stage_status)."""
    stage: str                 # the current stage's name
    index: int                 # its index in the machine (definition order)
    entered: int               # ms: when it was entered
    owner: Optional[str]       # the stage owner (None: none)
    #: names of the stages entered or passed through, in machine order
    #: (None when the bindings do not know the attached machine, e.g. an
    #: engine reopened from storage before attach_machine was called)
    reached: Optional[List[str]]
    reached_mask: int          # bit i: stage i was entered or passed
    reached_count: int
    unsubscribed: bool
    history: int               # history records kept for the contact


@dataclass(frozen=True)
class StageRecord:
    """One stage history record (fnl_stage_record), oldest first."""
    time: int
    kind: str                  # "transition", "passed", "assign", "breach"
    cause: str                 # "start", "touch", "profile", "score",
    #                            "event", "timer", "recheck", "sla", "merge"
    from_stage: Optional[str]  # the stage before (None at the start);
    #                            breach: the stage whose SLA was breached
    to_stage: Optional[str]    # the stage after
    rule: Optional[int]        # transition, route or SLA index; None: none
    back: bool                 # a backward transition
    owner: Optional[str]       # the owner after
    prev_owner: Optional[str]  # assign: the owner before
    reason: Optional[str]      # the host event's reason


def _text(ptr: int) -> str:
    return canonical_text(_lib.fnl_machine_to_text, ptr)


def _stage_names(ptr: int) -> List[str]:
    return [dec(_lib.fnl_machine_stage_name(ptr, i)) or ""
            for i in range(_lib.fnl_machine_stage_count(ptr))]


class Machine(Owned):
    """An immutable, compiled lifecycle stage machine (fnl_machine).

    ``Machine.parse(text)`` compiles the text format of docs/stages.md; a
    syntax or semantic error raises InvalidArgument (LimitExceeded past a
    limit, AlreadyExists for a name defined twice) with ``.line``,
    ``.column`` and ``.message``.  ``Machine.default()`` is the built-in
    demand waterfall.  An engine attaches a copy, so one machine may be
    attached to several engines.  Close it (or use ``with``) to free it
    early.
    """

    def __init__(self, *_a: Any, **_k: Any) -> None:
        raise TypeError("use Machine.parse(text) or Machine.default()")

    @classmethod
    def _wrap(cls, ptr: int) -> "Machine":
        m = cls.__new__(cls)
        m._ptr = ptr
        m._name = dec(_lib.fnl_machine_name(ptr)) or ""
        m._stages = _stage_names(ptr)
        return m

    @classmethod
    def parse(cls, text: Union[str, bytes]) -> "Machine":
        """Compile a machine from its text format."""
        _need()
        return cls._wrap(parse_text(_lib.fnl_machine_parse, text))

    @classmethod
    def default(cls) -> "Machine":
        """The built-in demand waterfall: inquiry -> mql -> sal -> sql ->
        opportunity -> customer, with nurture, recycled and disqualified
        (its text: ``Machine.default().text``)."""
        _need("fnl_machine_default")
        out = c_void_p()
        rc = _lib.fnl_machine_default(byref(out), None)
        if rc != 0:
            raise error(rc, b"machine_default")
        return cls._wrap(out.value)

    @property
    def _p(self) -> int:
        if self._ptr is None:
            raise invalid("machine is closed")
        return self._ptr

    @property
    def name(self) -> str:
        return self._name

    @property
    def version(self) -> int:
        return int(_lib.fnl_machine_version(self._p))

    @property
    def stages(self) -> List[str]:
        """Stage names in definition order (bit i of a reached mask is
        stages[i])."""
        return list(self._stages)

    @property
    def text(self) -> str:
        """The canonical text: parsing it gives the same machine, byte for
        byte the same text."""
        return _text(self._p)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return (f"<funnelcore.Machine {self._name!r}"
                f"{' closed' if self._ptr is None else ''}>")

    def _release(self, ptr: Any) -> None:
        _lib.fnl_machine_free(ptr)

    def __enter__(self) -> "Machine":
        return self

    def __reduce__(self):  # pickles as its canonical text
        return (Machine.parse, (self.text,))


# --------------------------------------------------------------------------
# Engine side (Engine methods delegate here)
# --------------------------------------------------------------------------

def attach_machine(engine: Any, machine: Machine) -> None:
    _need("fnl_engine_attach_machine")
    if not isinstance(machine, Machine):
        raise invalid("attach_machine: expected a funnelcore.Machine")
    engine._check(_lib.fnl_engine_attach_machine(engine._p, machine._p))
    engine.__dict__["_machine_stages"] = list(machine._stages)


def contact_event(engine: Any, contact: int, event: str,
                  reason: Optional[str], time: Any) -> None:
    _need("fnl_contact_event")
    engine._check(_lib.fnl_contact_event(
        engine._p, contact, enc(event, "event"), enc(reason, "reason"),
        to_ms(time, "time")))


def tick(engine: Any, now: Any) -> None:
    _need("fnl_engine_tick")
    engine._check(_lib.fnl_engine_tick(engine._p, to_ms(now, "now")))


def contact_stage(engine: Any, contact: int) -> StageStatus:
    _need("fnl_contact_stage")
    s = _lib.init(_lib.fnl_stage_status)
    engine._check(_lib.fnl_contact_stage(engine._p, contact, byref(s)))
    names = engine.__dict__.get("_machine_stages")
    reached = None if names is None else [
        n for i, n in enumerate(names) if s.reached >> i & 1]
    return StageStatus(stage=dec(s.name) or "", index=s.stage,
                       entered=s.entered, owner=dec(s.owner),
                       reached=reached, reached_mask=s.reached,
                       reached_count=s.reached_count,
                       unsubscribed=bool(s.unsubscribed), history=s.history)


def contact_stage_history(engine: Any, contact: int) -> List[StageRecord]:
    _need("fnl_contact_stage_history")
    rows = engine._read(_lib.fnl_contact_stage_history, _lib.fnl_stage_record,
                        contact, cap=16)
    return [StageRecord(
        time=r.time, kind=RECORD_KINDS.get(r.kind, str(r.kind)),
        cause=RECORD_CAUSES.get(r.cause, str(r.cause)),
        from_stage=dec(r.from_), to_stage=dec(r.to),
        rule=None if r.rule == _NO_RULE else r.rule, back=bool(r.back),
        owner=dec(r.owner), prev_owner=dec(r.prev_owner),
        reason=dec(r.reason)) for r in rows]
