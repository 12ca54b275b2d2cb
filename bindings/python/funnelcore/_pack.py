"""Fast packing of struct arrays for batches (CPython).

ctypes builds an array of structs field by field and records a keep-alive
reference for every char* it sets: about 14 us per fnl_touch.  On CPython
the address of a bytes object's NUL-terminated buffer is id(b) plus a fixed
header size (the pointer ctypes itself passes for a bytes argument), so a
batch can instead be packed with struct.pack_into into one bytearray: about
2 us per touch.  FAST is False (and callers use plain ctypes) wherever that
relation does not hold, which is checked here at import.
"""
from __future__ import annotations

import ctypes
import platform
import struct
from typing import Optional


def _bytes_offset() -> Optional[int]:
    if platform.python_implementation() != "CPython":
        return None
    probes = [b"funnelcore", bytes(range(1, 200)), b"x" * 1000]
    offs = {ctypes.cast(ctypes.c_char_p(p), ctypes.c_void_p).value - id(p)
            for p in probes}
    if len(offs) != 1:
        return None
    off = offs.pop()
    for p in probes:  # the buffer really is the bytes, NUL-terminated
        if ctypes.string_at(id(p) + off, len(p) + 1) != p + b"\0":
            return None
    return off


BYTES_OFFSET = _bytes_offset()
FAST = BYTES_OFFSET is not None
_PTR = "Q" if ctypes.sizeof(ctypes.c_void_p) == 8 else "I"


def struct_format(cls) -> struct.Struct:
    """A struct.Struct with the exact layout of a ctypes Structure whose
    fields are integers, doubles and pointers (padding from the offsets)."""
    fmt, pos = "=", 0
    for name, ctype, *_ in cls._fields_:
        f = getattr(cls, name)
        if f.offset > pos:
            fmt += f"{f.offset - pos}x"
        size = ctypes.sizeof(ctype)
        code = getattr(ctype, "_type_", None)
        if code in ("z", "P") or issubclass(ctype, (ctypes._Pointer,
                                                     ctypes._CFuncPtr)):
            c = _PTR
        elif ctype in (ctypes.c_double,):
            c = "d"
        elif code in ("b", "h", "i", "l", "q"):
            c = {1: "b", 2: "h", 4: "i", 8: "q"}[size]
        else:
            c = {1: "B", 2: "H", 4: "I", 8: "Q"}[size]
        fmt += c
        pos = f.offset + size
    if ctypes.sizeof(cls) > pos:
        fmt += f"{ctypes.sizeof(cls) - pos}x"
    s = struct.Struct(fmt)
    assert s.size == ctypes.sizeof(cls), (fmt, s.size)
    return s
