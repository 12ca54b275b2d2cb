"""Error mapping: status code -> exception class, code and detail."""
import pickle

import pytest

import funnelcore as fc
from funnelcore import errors
from funnelcore._convert import error

EXPECTED = {
    -1: (fc.InvalidArgument, ValueError, "invalid argument"),
    -2: (fc.OutOfMemory, MemoryError, None),
    -3: (fc.StorageError, OSError, None),
    -4: (fc.NotFound, LookupError, "not found"),
    -5: (fc.Corrupt, fc.Error, None),
    -6: (fc.VersionMismatch, fc.Error, None),
    -7: (fc.Stale, fc.Error, "stale handle"),
    -8: (fc.OutOfRange, fc.Error, None),
    -9: (fc.Canceled, fc.Error, None),
    -10: (fc.AlreadyExists, fc.Error, None),
    -11: (fc.LimitExceeded, fc.Error, None),
    -12: (fc.Busy, fc.Error, None),
    -13: (fc.Unsupported, fc.Error, None),
}


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_every_status_code_maps_to_its_class(code):
    cls, builtin, name = EXPECTED[code]
    exc = error(code, b"detail text")
    assert type(exc) is cls
    assert isinstance(exc, fc.Error) and isinstance(exc, builtin)
    assert exc.code == code and exc.detail == "detail text"
    assert exc.name == fc.strerror(code)
    if name:
        assert exc.name == name
    assert str(exc) == "detail text"
    again = pickle.loads(pickle.dumps(exc))
    assert type(again) is cls and again.code == code


def test_unknown_code_gives_the_base_class():
    exc = error(-99, None)
    assert type(exc) is fc.Error and exc.code == -99
    assert exc.detail == "unknown error"


def test_error_carries_fnl_errmsg_detail(eng):
    with pytest.raises(fc.InvalidArgument) as ei:
        eng.upsert_contact({"email": "nope"})
    e = ei.value
    assert e.code == errors.EINVAL
    assert e.detail.startswith("invalid argument: ")
    assert "'email'" in e.detail and "not an e-mail address" in e.detail


def test_errors_are_catchable_as_builtins(eng):
    with pytest.raises(LookupError):
        eng.contact(77)
    with pytest.raises(ValueError):
        eng.add_touch(keys={"email": "x"})
