"""Plain result objects.  They own Python copies of everything they hold
(never borrowed C memory), so they stay valid after the engine changes or
closes."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple, Union

AttrValue = Union[str, float]

EVENT_KINDS = {1: "contact_created", 2: "contact_merged",
               3: "account_created", 4: "account_assigned",
               5: "contact_forgotten", 6: "key_event",
               7: "stage_changed", 8: "sla_breach", 9: "routed",
               10: "step_due"}
DEAL_STATUSES = {0: "open", 1: "won", 2: "lost"}
PRECEDENCES = {"latest": 0, "source": 1}
TOUCH_FIELDS = {"utm_source": 1, "utm_medium": 2, "utm_campaign": 3,
                "referrer_host": 4, "type": 5, "url_host": 6}


@dataclass(frozen=True)
class Event:
    """One listener event.  ``kind`` is "contact_created", "contact_merged"
    (``contact`` survived, ``other`` was merged into it), "account_created"
    (``name`` is the account id), "account_assigned" or
    "contact_forgotten" (``contact`` is the now stale handle) or
    "key_event" (``model`` and ``name`` name the scoring model and its key
    event), or, with a stage machine attached, "stage_changed" (``name``:
    the new stage; ``time``: when it was entered), "sla_breach"
    (``name``: the SLA's name; ``time``: its deadline), "routed"
    (``name``: the new owner, None: none) or "step_due" (``name``: the
    step's action; ``time``: its due time).  Kinds this version does not
    know arrive as "event_<code>"."""
    kind: str
    code: int
    time: int
    contact: int = 0
    other: int = 0
    account: int = 0
    name: Optional[str] = None
    #: key events: the scoring model's name (``name`` is the key event's)
    model: Optional[str] = None


@dataclass(frozen=True)
class Touch:
    """A stored touch as read back (strings None when absent)."""
    time: int
    contact: int
    type: Optional[str]
    channel: Optional[str]
    campaign: Optional[str] = None
    content: Optional[str] = None
    utm_source: Optional[str] = None
    utm_medium: Optional[str] = None
    utm_campaign: Optional[str] = None
    utm_term: Optional[str] = None
    utm_content: Optional[str] = None
    value: int = 0
    #: who made the touch (a sales rep, a system), None when not given
    by: Optional[str] = None


@dataclass
class ContactInfo:
    """A contact with its keys, attributes, tags and timeline."""
    id: int
    account: Optional[int]
    owner: Optional[str]
    role: str
    created: int
    first_touch: Optional[int]
    last_touch: Optional[int]
    touch_count: int
    keys: List[Tuple[str, str]] = field(default_factory=list)
    attrs: Dict[str, AttrValue] = field(default_factory=dict)
    tags: List[str] = field(default_factory=list)
    touches: List[Touch] = field(default_factory=list)

    def key(self, kind: str) -> Optional[str]:
        """The first key value of a kind, or None."""
        for k, v in self.keys:
            if k == kind:
                return v
        return None


@dataclass
class AccountInfo:
    """An account (company)."""
    id: int
    name: str
    owner: Optional[str]
    created: int
    contact_count: int
    domains: List[str] = field(default_factory=list)
    attrs: Dict[str, AttrValue] = field(default_factory=dict)
    contacts: List[int] = field(default_factory=list)


@dataclass(frozen=True)
class DealContact:
    contact: int
    role: str


@dataclass
class DealInfo:
    """A deal (opportunity).  ``amount`` is in minor units of ``currency``."""
    id: int
    name: str
    account: Optional[int]
    amount: int
    currency: str
    created: int
    closed: int
    status: str
    stage: Optional[str]
    owner: Optional[str]
    contacts: List[DealContact] = field(default_factory=list)
    #: product, sector, ... ({name: str or float})
    attrs: Dict[str, AttrValue] = field(default_factory=dict)


@dataclass
class OwnerInfo:
    """The record of an owner string (the sales rep named on deals,
    contacts and accounts): its attributes, e.g. manager and office."""
    name: str
    created: int
    attrs: Dict[str, AttrValue] = field(default_factory=dict)


@dataclass(frozen=True)
class Cost:
    """Spend over [start, end), ``amount`` in minor units."""
    index: int
    channel: Optional[str]
    campaign: Optional[str]
    region: Optional[str]
    start: int
    end: int
    amount: int
    currency: str


@dataclass(frozen=True)
class Stats:
    """Counters of one engine (fnl_stats)."""
    contacts: int
    merges: int
    accounts: int
    touches: int
    deals: int
    costs: int
    identity_keys: int
    strings: int
    string_bytes: int
    memory_bytes: int
    memory_peak: int
    forgotten: int = 0     # contacts erased by forget()
    journal_seq: int = 0   # records journaled (or replayed) so far
