"""Python value <-> C value conversions shared by the wrappers."""
from __future__ import annotations

import datetime as _dt
import math
import numbers
import ctypes
from ctypes import c_char_p, c_uint32
from typing import Any, Iterable, List, Mapping, Optional, Tuple, Union

from . import _lib
from .errors import EINVAL, Error, InvalidArgument, error_class

TimeLike = Union[int, _dt.datetime, _dt.date, None]
KeysLike = Union[Mapping[str, str], Iterable[Tuple[str, str]], None]

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_I64_MIN, _I64_MAX = -(2 ** 63), 2 ** 63 - 1


def invalid(detail: str) -> InvalidArgument:
    return InvalidArgument(EINVAL, "invalid argument: " + detail,
                           "invalid argument")


def enc(s: Optional[str], what: str) -> Optional[bytes]:
    """UTF-8 bytes for a C string; None stays NULL."""
    if s is None:
        return None
    if isinstance(s, str):
        try:
            b = s.encode("utf-8")
        except UnicodeEncodeError:
            raise invalid(f"{what}: not encodable as UTF-8") from None
    elif isinstance(s, bytes):
        b = s
    else:
        raise invalid(f"{what}: expected str, got {type(s).__name__}")
    if b"\0" in b:
        raise invalid(f"{what}: contains a NUL character")
    return b


def dec(b: Optional[bytes]) -> Optional[str]:
    """A borrowed C string copied into a Python str (None for NULL)."""
    return None if b is None else b.decode("utf-8", "replace")


def to_ms(t: TimeLike, what: str = "time") -> int:
    """Milliseconds since the epoch from an int, a datetime (naive ones are
    taken as UTC) or a date; None means the engine clock's now."""
    if t is None:
        return _lib.TIME_NOW
    if isinstance(t, bool):
        raise invalid(f"{what}: expected ms or datetime, got bool")
    if isinstance(t, numbers.Integral):
        v = int(t)
    elif isinstance(t, _dt.datetime):
        if t.tzinfo is None:
            t = t.replace(tzinfo=_dt.timezone.utc)
        v = (t - _EPOCH) // _dt.timedelta(milliseconds=1)
    elif isinstance(t, _dt.date):
        v = (_dt.datetime(t.year, t.month, t.day, tzinfo=_dt.timezone.utc)
             - _EPOCH) // _dt.timedelta(milliseconds=1)
    else:
        raise invalid(f"{what}: expected ms or datetime, "
                      f"got {type(t).__name__}")
    if not _I64_MIN < v <= _I64_MAX:
        raise invalid(f"{what}: {v} does not fit in 64 bits")
    return v


def to_int(v: Any, what: str, lo: int = _I64_MIN, hi: int = _I64_MAX) -> int:
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise invalid(f"{what}: expected an integer, got {type(v).__name__}")
    v = int(v)
    if not lo <= v <= hi:
        raise invalid(f"{what}: {v} is out of range")
    return v


def key_pairs(keys: KeysLike, what: str = "key") -> List[Tuple[bytes, bytes]]:
    """[(kind, value)] as bytes from a mapping or an iterable of pairs."""
    if keys is None:
        return []
    items = keys.items() if isinstance(keys, Mapping) else keys
    out = []
    for pair in items:
        try:
            kind, value = pair
        except (TypeError, ValueError):
            raise invalid(f"{what}: expected (kind, value) pairs") from None
        out.append((enc(kind, what + " kind"),
                    enc(value, f"{what} '{kind}'")))
    return out


def str_array(items: Optional[Iterable[str]], what: str):
    """(ctypes array of char*, count, keepalive list)."""
    if items is None:
        return None, 0, []
    if isinstance(items, (str, bytes)):
        items = [items]
    bs = [enc(s, what) for s in items]
    if not bs:
        return None, 0, bs
    return (c_char_p * len(bs))(*bs), len(bs), bs


def attr_array(attrs: Optional[Mapping[str, Any]]):
    """(ctypes fnl_attr array, count, keepalive) from {name: value}; None
    as a value removes the attribute."""
    if not attrs:
        return None, 0, []
    arr = (_lib.fnl_attr * len(attrs))()
    keep = []
    for a, (name, value) in zip(arr, attrs.items()):
        nb = enc(name, "attribute name")
        keep.append(nb)
        a.name = nb
        if value is None:
            a.type = 3  # FNL_ATTR_UNSET
        elif isinstance(value, str):
            vb = enc(value, f"attribute '{name}'")
            keep.append(vb)
            a.type, a.str = 1, vb
        elif isinstance(value, numbers.Real):
            a.type, a.num = 2, float(value)
        else:
            raise invalid(f"attribute '{name}': expected str, number or "
                          f"None, got {type(value).__name__}")
    return arr, len(attrs), keep


def attr_value(a) -> Tuple[str, Any]:
    name = dec(a.name)
    if a.type == 1:
        return name, dec(a.str)
    if a.type == 2:
        return name, a.num
    return name, None


def role_code(role: Union[str, int, None], default: int) -> int:
    if role is None:
        return default
    if isinstance(role, str):
        out = c_uint32()
        rc = _lib.fnl_role_parse(enc(role, "role"), ctypes.byref(out))
        if rc != 0:
            raise invalid(f"unknown role '{role}'")
        return out.value
    return to_int(role, "role", 0, 255)


def role_name(code: int) -> str:
    n = _lib.fnl_role_name(code)
    return n.decode() if n is not None else str(code)


def error(rc: int, detail: Optional[bytes]) -> Error:
    """The exception for a status code with the engine's detail text."""
    name = _lib.fnl_strerror(rc).decode()
    text = dec(detail) if detail else ""
    return error_class(rc)(rc, text or name, name)


def finite(v: float, what: str) -> float:
    v = float(v)
    if not math.isfinite(v):
        raise invalid(f"{what}: must be finite")
    return v
