"""Exceptions raised by funnelcore.

Every failing library call raises a subclass of :class:`Error`.  The
exception carries the C status code (``.code``), the short name of the code
(``.name``, e.g. ``"invalid argument"``) and the detail the engine gave
(``.detail``, from ``fnl_errmsg``, e.g. ``"invalid argument: touch 3: key
'email': not an e-mail address"``).  Where a built-in exception has the same
meaning, the class also derives from it, so ``except ValueError`` or
``except LookupError`` keep working.
"""
from __future__ import annotations

from typing import Dict, Optional, Type

__all__ = [
    "Error", "InvalidArgument", "OutOfMemory", "StorageError", "NotFound",
    "Corrupt", "VersionMismatch", "Stale", "OutOfRange", "Canceled",
    "AlreadyExists", "LimitExceeded", "Busy", "Unsupported",
    "OK", "EINVAL", "ENOMEM", "EIO", "ENOTFOUND", "ECORRUPT", "EVERSION",
    "ESTALE", "ERANGE", "ECANCELED", "EEXIST", "ELIMIT", "EBUSY",
    "EUNSUPPORTED",
]

# Status codes of include/funnelcore.h (values are stable).
OK = 0
EINVAL = -1
ENOMEM = -2
EIO = -3
ENOTFOUND = -4
ECORRUPT = -5
EVERSION = -6
ESTALE = -7
ERANGE = -8
ECANCELED = -9
EEXIST = -10
ELIMIT = -11
EBUSY = -12
EUNSUPPORTED = -13


class Error(Exception):
    """A funnelcore call failed.

    Attributes:
        code: the negative ``FNL_E*`` status code.
        name: ``fnl_strerror(code)``, e.g. ``"not found"``.
        detail: the engine's ``fnl_errmsg`` text, or the best detail known.
    """

    code: int = 0

    def __init__(self, code: int, detail: str, name: Optional[str] = None):
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.name = name if name is not None else detail

    def __reduce__(self):  # keep pickling (multiprocessing) working
        return (type(self), (self.code, self.detail, self.name))


class InvalidArgument(Error, ValueError):
    """FNL_EINVAL: an argument is invalid (also a ValueError)."""


class OutOfMemory(Error, MemoryError):
    """FNL_ENOMEM: an allocation failed (also a MemoryError)."""


class StorageError(Error, OSError):
    """FNL_EIO: the storage refused or failed (also an OSError)."""


class NotFound(Error, LookupError):
    """FNL_ENOTFOUND: no such contact, key, account, deal, cost, ..."""


class Corrupt(Error):
    """FNL_ECORRUPT: stored or parsed bytes are damaged / malformed."""


class VersionMismatch(Error):
    """FNL_EVERSION: a format or table version is not supported."""


class Stale(Error):
    """FNL_ESTALE: a handle refers to something that is gone."""


class OutOfRange(Error):
    """FNL_ERANGE: a value is out of range (or a solver did not converge)."""


class Canceled(Error):
    """FNL_ECANCELED: a progress callback asked to stop."""


class AlreadyExists(Error):
    """FNL_EEXIST: already exists (e.g. a domain mapped to another account)."""


class LimitExceeded(Error):
    """FNL_ELIMIT: a documented limit would be exceeded."""


class Busy(Error):
    """FNL_EBUSY: not allowed now (e.g. a mutation from inside a listener)."""


class Unsupported(Error):
    """FNL_EUNSUPPORTED: the feature is not built into this library."""


_BY_CODE: Dict[int, Type[Error]] = {
    EINVAL: InvalidArgument,
    ENOMEM: OutOfMemory,
    EIO: StorageError,
    ENOTFOUND: NotFound,
    ECORRUPT: Corrupt,
    EVERSION: VersionMismatch,
    ESTALE: Stale,
    ERANGE: OutOfRange,
    ECANCELED: Canceled,
    EEXIST: AlreadyExists,
    ELIMIT: LimitExceeded,
    EBUSY: Busy,
    EUNSUPPORTED: Unsupported,
}


def error_class(code: int) -> Type[Error]:
    """The exception class for a status code (Error for unknown codes)."""
    return _BY_CODE.get(code, Error)
