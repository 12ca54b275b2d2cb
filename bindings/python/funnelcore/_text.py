"""The two text languages (scoring models, stage machines) share one way
of being parsed and printed."""
import ctypes
from ctypes import byref, c_size_t, c_void_p
from typing import Any, Union

from . import _lib
from ._convert import dec, error
from .errors import ERANGE


def parse_text(parse_fn: Any, text: Union[str, bytes]) -> int:
    """Call fnl_*_parse on text; the new handle, or an Error carrying
    .line, .column and .message of the parse error."""
    data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    err = _lib.init(_lib.fnl_parse_error, "fnl_parse_error_init")
    out = c_void_p()
    rc = parse_fn(byref(out), data, len(data), None, byref(err))
    if rc != 0:
        msg = dec(err.message) or _lib.fnl_strerror(rc).decode()
        where = f"line {err.line}, column {err.column}: " if err.line else ""
        exc = error(rc, f"{_lib.fnl_strerror(rc).decode()}: {where}{msg}"
                    .encode())
        exc.line, exc.column = err.line, err.column  # type: ignore
        exc.message = msg  # type: ignore[attr-defined]
        raise exc
    return out.value


def canonical_text(to_text_fn: Any, ptr: int) -> str:
    """Call fnl_*_to_text twice: once for the length, once for the text."""
    n = c_size_t()
    rc = to_text_fn(ptr, None, 0, byref(n))
    if rc not in (0, ERANGE):
        raise error(rc, b"to_text")
    buf = ctypes.create_string_buffer(n.value + 1)
    rc = to_text_fn(ptr, buf, len(buf), byref(n))
    if rc != 0:
        raise error(rc, b"to_text")
    return buf.raw[:n.value].decode("utf-8")
