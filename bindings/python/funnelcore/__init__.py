"""funnelcore: Python bindings for the embeddable B2B funnel and
marketing-ROI engine (libfunnelcore, called through ctypes).

The shared library is looked up in this order: the FUNNELCORE_LIB
environment variable (a file, or a directory holding libfunnelcore.so.0),
the package directory (wheels bundle it there), then the system
(ctypes.util.find_library("funnelcore"), then "libfunnelcore.so.0").

Quick start::

    import funnelcore as fc
    with fc.Engine() as eng:
        c = eng.upsert_contact({"email": "  Ann@ACME.com "}, attrs={"title": "CTO"})
        eng.add_touches([{"keys": {"email": "ann@acme.com"}, "channel": "email",
                          "time": 1767225600000}])
        print(eng.contact(c).keys)      # [('email', 'ann@acme.com')]

See docs/bindings.md for the callback and exception rules and batching advice.
"""
from . import _lib
from ._types import (AccountInfo, ContactInfo, Cost, DealContact, DealInfo,
                     Event, OwnerInfo, Stats, Touch)
from .attribution import (MODELS, AttributionPartial, AttributionResult,
                          AttributionRow, Journeys, attribute)
from .engine import Account, Contact, Deal, Engine
from .errors import (AlreadyExists, Busy, Canceled, Corrupt, Error,
                     InvalidArgument, LimitExceeded, NotFound, OutOfMemory,
                     OutOfRange, Stale, StorageError, Unsupported,
                     VersionMismatch)
from .storage import CustomStore, FileStore, MemoryStore
from .scoring import (AccountScore, KeyEventFire, Model, ModelInfo, Score,
                      ScoreRow)
from .stages import Machine, StageRecord, StageStatus
from .reports import FX, Column, Report, budget_allocate, currency_digits, \
    survival_km

__version__ = "0.1.0"
#: Version of the loaded shared library ("X.Y.Z").
library_version: str = _lib.version
#: Path the shared library was loaded from.
library_path: str = _lib.path
TIME_NOW = _lib.TIME_NOW
TIME_MAX = _lib.TIME_MAX


def strerror(code: int) -> str:
    """The library's short description of a status code."""
    return _lib.fnl_strerror(code).decode()


__all__ = [
    "Engine", "Contact", "Account", "Deal", "ContactInfo", "AccountInfo",
    "DealInfo", "DealContact", "OwnerInfo", "Cost", "Touch", "Event", "Stats",
    "Journeys", "attribute", "AttributionResult", "AttributionRow",
    "AttributionPartial", "MODELS", "MemoryStore", "FileStore",
    "CustomStore", "Model", "ModelInfo", "Score", "ScoreRow",
    "AccountScore", "KeyEventFire", "Machine", "StageStatus",
    "StageRecord", "Report", "Column", "FX",
    "budget_allocate", "survival_km", "currency_digits",
    "Error", "InvalidArgument", "OutOfMemory", "StorageError", "NotFound",
    "Corrupt", "VersionMismatch", "Stale", "OutOfRange", "Canceled",
    "AlreadyExists", "LimitExceeded", "Busy", "Unsupported",
    "library_version", "library_path", "strerror", "TIME_NOW", "TIME_MAX",
]
