"""Multi-touch attribution over journeys (paths of group keys).

Journeys come from a ChannelAttribution-style paths CSV
(:meth:`Journeys.read_paths`, :meth:`Journeys.parse_paths`) or are built by
the caller (:meth:`Journeys.add`).  :func:`attribute` runs one model and
returns an :class:`AttributionResult` of plain Python rows (or a pandas
DataFrame through :meth:`AttributionResult.to_dataframe`).  Large data sets
split into :class:`AttributionPartial` objects that merge exactly.

None of this needs an Engine.  The C API is src/attribution_api.h (moving
into funnelcore.h); docs/attribution.md defines the models.
"""
from __future__ import annotations

import ctypes
import os
from ctypes import byref, c_char_p, c_double, c_int64, c_size_t, c_uint32
from dataclasses import asdict, dataclass, field
from typing import (Any, Dict, Iterable, List, Mapping, Optional, Sequence,
                    Union)

from ._owned import Owned
from . import _lib
from ._convert import dec, enc, error, finite, invalid, to_int, to_ms
from .errors import EUNSUPPORTED, Error

__all__ = ["MODELS", "Journeys", "attribute", "AttributionResult",
           "AttributionRow", "AttributionPartial", "JourneyStats"]

_SHAPLEY_VALUES = {"rate": 0, "conversions": 1}


def _need() -> None:
    if not _lib.has("fnl_attribution_run"):
        raise error(EUNSUPPORTED, b"this libfunnelcore has no attribution "
                                  b"API")


def _models() -> Dict[str, int]:
    out: Dict[str, int] = {}
    if not _lib.has("fnl_attr_model_name"):
        return out
    for code in range(1, 32):
        name = _lib.fnl_attr_model_name(code)
        if name is not None:
            out[name.decode()] = code
    return out


#: Model name -> code, as the library names them ("first", "markov", ...).
MODELS: Dict[str, int] = _models()


def model_code(model: Union[str, int]) -> int:
    if isinstance(model, str):
        _need()
        out = c_uint32()
        if _lib.fnl_attr_model_parse(enc(model, "model"), byref(out)) != 0:
            raise invalid(f"unknown attribution model '{model}' (one of "
                          f"{', '.join(MODELS)})")
        return out.value
    return to_int(model, "model", 0, 31)


def _check(rc: int, what: str) -> None:
    if rc != 0:
        raise error(rc, f"{_lib.fnl_strerror(rc).decode()}: {what}".encode())


def _options(models: Optional[Iterable[Union[str, int]]] = None, *,
             markov_order: int = 1, shapley_value: Union[str, int] = "rate",
             half_life_ms: Optional[int] = None,
             direct_group: Optional[str] = "direct",
             custom: Optional[Sequence[float]] = None,
             value_decimals: Optional[int] = None):
    _need()
    o = _lib.init(_lib.fnl_attribution_options,
                  "fnl_attribution_options_init")
    keep = []
    if models is not None:
        bits = 0
        for m in models:
            bits |= 1 << model_code(m)
        o.models = bits
    o.markov_order = to_int(markov_order, "markov_order", 0, 2 ** 32 - 1)
    if isinstance(shapley_value, str):
        if shapley_value not in _SHAPLEY_VALUES:
            raise invalid("shapley_value must be 'rate' or 'conversions'")
        o.shapley_value = _SHAPLEY_VALUES[shapley_value]
    else:
        o.shapley_value = to_int(shapley_value, "shapley_value", 0,
                                 2 ** 32 - 1)
    if half_life_ms is not None:
        o.half_life_ms = to_int(half_life_ms, "half_life_ms")
    dg = enc(direct_group, "direct_group") if direct_group else b""
    keep.append(dg)
    o.direct_group = dg
    if custom is not None:
        if len(custom) != 3:
            raise invalid("custom: expected (first, middle, last) weights")
        o.custom_first, o.custom_middle, o.custom_last = (
            finite(w, "custom weight") for w in custom)
    if value_decimals is not None:
        o.value_decimals = to_int(value_decimals, "value_decimals", 0, 9)
    return o, keep


class Journeys(Owned):
    """A set of journeys: each an ordered list of group keys (channels,
    campaigns, ...) with its conversions, non-converting count ("nulls")
    and conversion value.  Values are integers on input; results divide
    them by 10**value_decimals."""

    def __init__(self, value_decimals: int = 0, *, _ptr: Optional[int] = None):
        _need()
        if _ptr is None:
            out = ctypes.c_void_p()
            _check(_lib.fnl_journeys_new(
                byref(out), to_int(value_decimals, "value_decimals", 0, 9),
                None), "journeys_new")
            _ptr = out.value
        self._ptr: Optional[int] = _ptr
        self.value_decimals = value_decimals

    @staticmethod
    def _paths_opts(value_decimals: int, separator: str):
        o = _lib.init(_lib.fnl_paths_options, "fnl_paths_options_init")
        o.value_decimals = to_int(value_decimals, "value_decimals", 0, 9)
        sep = enc(separator, "separator")
        if sep is None or len(sep) != 1:
            raise invalid("separator must be one ASCII character")
        o.separator = sep
        return o

    @staticmethod
    def _paths_error(rc: int, err) -> Error:
        msg = dec(err.message) or ""
        if err.line and not msg.startswith("line "):
            msg = f"line {err.line}, column {err.column}: {msg}"
        exc = error(rc, f"{_lib.fnl_strerror(rc).decode()}: {msg}".encode())
        exc.line, exc.column = err.line, err.column  # type: ignore[attr-defined]
        return exc

    @classmethod
    def read_paths(cls, filename: Union[str, os.PathLike], *,
                   value_decimals: int = 2,
                   separator: str = ">") -> "Journeys":
        """Read a ChannelAttribution paths CSV (columns path,
        total_conversions[, total_conversion_value, total_null]).  A
        malformed file raises Corrupt with .line and .column."""
        _need()
        opts = cls._paths_opts(value_decimals, separator)
        err = _lib.fnl_paths_error()
        err.size = ctypes.sizeof(err)
        out = ctypes.c_void_p()
        rc = _lib.fnl_paths_read(byref(out), enc(os.fspath(filename),
                                                 "filename"),
                                 byref(opts), byref(err))
        if rc != 0:
            raise cls._paths_error(rc, err)
        return cls(value_decimals, _ptr=out.value)

    @classmethod
    def parse_paths(cls, text: Union[str, bytes], *, value_decimals: int = 2,
                    separator: str = ">") -> "Journeys":
        """The same as read_paths, from CSV text in memory."""
        _need()
        data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        opts = cls._paths_opts(value_decimals, separator)
        err = _lib.fnl_paths_error()
        err.size = ctypes.sizeof(err)
        out = ctypes.c_void_p()
        buf = ctypes.create_string_buffer(data, len(data))
        rc = _lib.fnl_paths_parse(byref(out), buf, len(data), byref(opts),
                                  byref(err))
        if rc != 0:
            raise cls._paths_error(rc, err)
        return cls(value_decimals, _ptr=out.value)

    @property
    def _p(self) -> int:
        if self._ptr is None:
            raise invalid("journeys are closed")
        return self._ptr

    def add(self, groups: Sequence[str], *, conversions: int = 0,
            nulls: int = 0, value: int = 0,
            times: Optional[Sequence[Any]] = None,
            conversion_time: Any = None, lead_index: Optional[int] = None,
            opportunity_index: Optional[int] = None,
            close_index: Optional[int] = None) -> None:
        """Append one journey: group keys in touch order, optional touch
        times (ms or datetimes, non-decreasing; needed by time_decay), and
        for the W/Z models the touch indices of lead creation, opportunity
        creation and close."""
        if isinstance(groups, (str, bytes)):
            raise invalid("groups: expected a sequence of group keys")
        gb = [enc(g, "group") for g in groups]
        j = _lib.init(_lib.fnl_journey, "fnl_journey_init")
        garr = (c_char_p * len(gb))(*gb) if gb else None
        j.groups, j.touch_count = garr, len(gb)
        tarr = None
        if times is not None:
            if len(times) != len(gb):
                raise invalid("times: one per group key expected")
            tarr = (c_int64 * len(gb))(*(to_ms(t, "times") for t in times))
            j.times = tarr
        j.conversions = to_int(conversions, "conversions", 0, 2 ** 64 - 1)
        j.nulls = to_int(nulls, "nulls", 0, 2 ** 64 - 1)
        j.value = to_int(value, "value")
        if conversion_time is not None:
            j.conversion_time = to_ms(conversion_time, "conversion_time")
        for name, v in (("lead_index", lead_index),
                        ("opportunity_index", opportunity_index),
                        ("close_index", close_index)):
            if v is not None:
                setattr(j, name, to_int(v, name, -1, 2 ** 31 - 1))
        rc = _lib.fnl_journeys_add(self._p, byref(j))
        del gb, garr, tarr
        _check(rc, "journey rejected (empty or over-long group key, bad "
                   "index or times, value without conversions)")

    def extend(self, journeys: Iterable[Mapping[str, Any]]) -> None:
        """add() for each dict ({"groups": [...], "conversions": 1, ...})."""
        for i, j in enumerate(journeys):
            j = dict(j)
            try:
                self.add(j.pop("groups"), **j)
            except Error as exc:
                raise type(exc)(exc.code, f"journey {i}: {exc.detail}",
                                exc.name) from None

    def __len__(self) -> int:
        return _lib.fnl_journeys_count(self._p)

    @property
    def group_count(self) -> int:
        """Number of distinct group keys."""
        return _lib.fnl_journeys_group_count(self._p)

    def _release(self, ptr: Any) -> None:
        _lib.fnl_journeys_free(ptr)

    def __enter__(self) -> "Journeys":
        return self


@dataclass
class AttributionRow:
    """The credit of one group key."""
    key: str
    conversions: float
    value: float
    touches: int
    removal_effect: float = 0.0
    value_removal_effect: float = 0.0
    #: ordered Shapley only: conversions credited per position
    positions: List[float] = field(default_factory=list)


@dataclass
class AttributionResult:
    """An attribution result as plain Python data; rows sorted by key and
    summing to the totals."""
    model: str
    rows: List[AttributionRow]
    total_conversions: float
    total_value: float
    total_nulls: float
    journeys: int
    touches: int
    value_decimals: int
    markov_order: int = 0
    markov_conversion_probability: float = 0.0
    markov_states: int = 0
    direct_group: str = ""
    half_life_ms: int = 0
    #: attribution over the engine: what the journeys were built from
    journeys_stats: Optional["JourneyStats"] = None

    def by_key(self) -> Dict[str, AttributionRow]:
        return {r.key: r for r in self.rows}

    def to_dict(self) -> Dict[str, Any]:
        """The CLI's JSON shape: {"model", "total_conversions",
        "total_value", "rows": [{"key", "conversions", "value"}, ...]}."""
        return {"model": self.model,
                "total_conversions": self.total_conversions,
                "total_value": self.total_value,
                "rows": [{"key": r.key, "conversions": r.conversions,
                          "value": r.value} for r in self.rows]}

    def to_dataframe(self):
        """The rows as a pandas DataFrame indexed by key (needs pandas)."""
        try:
            import pandas as pd  # type: ignore[import-not-found]
        except ImportError as exc:
            raise ImportError("to_dataframe() needs pandas; use .rows or "
                              ".to_dict() without it") from exc
        rows = [asdict(r) for r in self.rows]
        cols = list(AttributionRow.__dataclass_fields__)
        df = pd.DataFrame(rows, columns=cols).set_index("key")
        df.attrs["model"] = self.model
        return df


@dataclass(frozen=True)
class JourneyStats:
    """What building journeys from the engine found (counts of journeys)."""
    currency: str
    conversions: int
    nonconverting: int
    touches: int
    untouched: int
    untouched_value: int
    other_currency: int


_CONVERSIONS = {"deal_won": 1, "deal_created": 2, "stage_entry": 3}
_SCOPES = {"account": 0, "contact": 1}
_GROUP_BY = {"channel": 0, "campaign": 1, "content": 2, "utm_source": 3,
             "utm_medium": 4, "utm_campaign": 5, "type": 6,
             "channel_campaign": 7, "contact_attr": 8, "account_attr": 9,
             "owner": 10}
_NONCONV = {"lost_deals": 1, "no_deal": 2, "not_entered": 4}


def _pick(table: Dict[str, int], v: Union[str, int], what: str) -> int:
    if isinstance(v, str):
        if v not in table:
            raise invalid(f"{what} must be one of {', '.join(table)}")
        return table[v]
    return to_int(v, what, 0, 2 ** 32 - 1)


def _engine_options(conversion="deal_won", scope="account",
                    group_by="channel", group_attr=None, lookback_ms=None,
                    exclude_types=None, lead_types=None, nonconverting=(),
                    currency=None, since=None, until=None,
                    unattributed_key=None, stage=None, models=None,
                    **model_opts):
    """fnl_engine_attribution_options (and keep-alive) from keywords."""
    from ._convert import str_array
    if not _lib.has("fnl_engine_attribute"):
        raise error(EUNSUPPORTED, b"unsupported: this libfunnelcore has no "
                                  b"attribution over the engine")
    o = _lib.init(_lib.fnl_engine_attribution_options,
                  "fnl_engine_attribution_options_init")
    keep: List[Any] = []
    o.conversion = _pick(_CONVERSIONS, conversion, "conversion")
    o.scope = _pick(_SCOPES, scope, "scope")
    o.group_by = _pick(_GROUP_BY, group_by, "group_by")
    for field_, v, what in (("group_attr", group_attr, "group_attr"),
                            ("currency", currency, "currency"),
                            ("unattributed_key", unattributed_key,
                             "unattributed_key"),
                            ("stage", stage, "stage")):
        b = enc(v, what)
        keep.append(b)
        setattr(o, field_, b)
    if lookback_ms is not None:
        o.lookback_ms = to_int(lookback_ms, "lookback_ms")
    arr, n, k = str_array(exclude_types, "exclude_types")
    o.exclude_types, o.exclude_type_count = arr, n
    keep += [arr, k]
    arr, n, k = str_array(lead_types, "lead_types")
    o.lead_types, o.lead_type_count = arr, n
    keep += [arr, k]
    bits = 0
    for nc in ([nonconverting] if isinstance(nonconverting, str)
               else nonconverting):
        bits |= _pick(_NONCONV, nc, "nonconverting")
    o.nonconverting = bits
    if since is not None:
        o.from_ = to_ms(since, "since")
    if until is not None:
        o.until = to_ms(until, "until")
    ao, akeep = _options(models, **model_opts)
    keep += [ao, akeep]
    o.attribution = ctypes.pointer(ao)
    return o, keep


def _jstats(st) -> JourneyStats:
    return JourneyStats(st.currency.decode("ascii", "replace"),
                        st.conversions, st.nonconverting, st.touches,
                        st.untouched, st.untouched_value, st.other_currency)


def engine_attribute(engine: Any, model: Union[str, int] = "linear",
                     **kw: Any) -> AttributionResult:
    code = model_code(model)
    o, keep = _engine_options(**kw)
    st = _lib.init(_lib.fnl_engine_attribution_stats,
                   "fnl_engine_attribution_stats_init")
    out = ctypes.c_void_p()
    rc = _lib.fnl_engine_attribute(engine._p, byref(o), code, byref(out),
                                   byref(st))
    del keep
    engine._check(rc)
    res = _result(out.value)
    res.journeys_stats = _jstats(st)
    return res


def engine_journeys(engine: Any, **kw: Any):
    o, keep = _engine_options(**kw)
    st = _lib.init(_lib.fnl_engine_attribution_stats,
                   "fnl_engine_attribution_stats_init")
    out = ctypes.c_void_p()
    rc = _lib.fnl_engine_journeys(engine._p, byref(o), byref(out),
                                  byref(st))
    del keep
    engine._check(rc)
    return Journeys(0, _ptr=out.value), _jstats(st)


def engine_attribution_partial(engine: Any, models: Iterable[Any],
                               **kw: Any):
    if not _lib.has("fnl_engine_attribution_partial"):
        raise error(EUNSUPPORTED, b"unsupported: no engine partials")
    o, keep = _engine_options(models=list(models), **kw)
    st = _lib.init(_lib.fnl_engine_attribution_stats,
                   "fnl_engine_attribution_stats_init")
    out = ctypes.c_void_p()
    rc = _lib.fnl_engine_attribution_partial(engine._p, byref(o), byref(out),
                                             byref(st))
    del keep
    engine._check(rc)
    p = AttributionPartial.__new__(AttributionPartial)
    p._ptr = out.value
    return p, _jstats(st)


def _result(ptr: int) -> AttributionResult:
    """Copy a C result into Python objects and free it."""
    try:
        info = _lib.init(_lib.fnl_attribution_info,
                         "fnl_attribution_info_init")
        _check(_lib.fnl_attribution_get_info(ptr, byref(info)), "get_info")
        rows = []
        row = _lib.init(_lib.fnl_attribution_row, "fnl_attribution_row_init")
        count = c_size_t()
        for i in range(_lib.fnl_attribution_row_count(ptr)):
            _check(_lib.fnl_attribution_row_get(ptr, i, byref(row)),
                   "row_get")
            positions: List[float] = []
            if info.positions:
                buf = (c_double * info.positions)()
                _check(_lib.fnl_attribution_positions(
                    ptr, i, buf, info.positions, byref(count)), "positions")
                positions = list(buf[:count.value])
            rows.append(AttributionRow(
                dec(row.key) or "", row.conversions, row.value, row.touches,
                row.removal_effect, row.value_removal_effect, positions))
        name = _lib.fnl_attr_model_name(info.model)
        return AttributionResult(
            model=name.decode() if name else str(info.model), rows=rows,
            total_conversions=info.total_conversions,
            total_value=info.total_value, total_nulls=info.total_nulls,
            journeys=info.journeys, touches=info.touches,
            value_decimals=info.value_decimals,
            markov_order=info.markov_order,
            markov_conversion_probability=info.markov_conversion_probability,
            markov_states=info.markov_states,
            direct_group=dec(info.direct_group) or "",
            half_life_ms=info.half_life_ms)
    finally:
        _lib.fnl_attribution_free(ptr)


def _as_journeys(journeys: Any) -> tuple:
    """(Journeys, owned?) from a Journeys or an iterable of journey
    dicts."""
    if isinstance(journeys, Journeys):
        return journeys, False
    j = Journeys()
    try:
        j.extend(journeys)
    except BaseException:
        j.close()
        raise
    return j, True


def attribute(journeys: Union[Journeys, Iterable[Mapping[str, Any]]],
              model: Union[str, int] = "linear", *, markov_order: int = 1,
              shapley_value: Union[str, int] = "rate",
              half_life_ms: Optional[int] = None,
              direct_group: Optional[str] = "direct",
              custom: Optional[Sequence[float]] = None) -> AttributionResult:
    """Run one attribution model (a name of MODELS, e.g. "first", "last",
    "linear", "u_shaped", "markov", "shapley") over journeys: a Journeys or
    an iterable of journey dicts as for Journeys.extend()."""
    j, owned = _as_journeys(journeys)
    try:
        code = model_code(model)
        opts, keep = _options(markov_order=markov_order,
                              shapley_value=shapley_value,
                              half_life_ms=half_life_ms,
                              direct_group=direct_group, custom=custom)
        out = ctypes.c_void_p()
        rc = _lib.fnl_attribution_run(byref(out), j._p, code, byref(opts))
        del keep
        _check(rc, f"attribution model '{model}' failed (bad options, time "
                   "decay without times, or no convergence)")
        return _result(out.value)
    finally:
        if owned:
            j.close()


class AttributionPartial(Owned):
    """Mergeable partial attribution: add journeys (any split), merge
    partials built with identical options, then finish() any accumulated
    model.  Bit-identical to one pass over all journeys."""

    def __init__(self, models: Optional[Iterable[Union[str, int]]] = None, *,
                 markov_order: int = 1,
                 shapley_value: Union[str, int] = "rate",
                 half_life_ms: Optional[int] = None,
                 direct_group: Optional[str] = "direct",
                 custom: Optional[Sequence[float]] = None,
                 value_decimals: int = 0) -> None:
        self._ptr: Optional[int] = None
        opts, keep = _options(models, markov_order=markov_order,
                              shapley_value=shapley_value,
                              half_life_ms=half_life_ms,
                              direct_group=direct_group, custom=custom,
                              value_decimals=value_decimals)
        out = ctypes.c_void_p()
        rc = _lib.fnl_attribution_partial_new(byref(out), byref(opts))
        del keep
        _check(rc, "attribution_partial_new: bad options")
        self._ptr = out.value

    @property
    def _p(self) -> int:
        if self._ptr is None:
            raise invalid("partial is closed")
        return self._ptr

    def add(self, journeys: Journeys, first: int = 0,
            count: Optional[int] = None) -> None:
        """Accumulate journeys[first:first+count] (all or nothing)."""
        if count is None:
            count = len(journeys) - first
        _check(_lib.fnl_attribution_partial_add(
            self._p, journeys._p, to_int(first, "first", 0, 2 ** 63),
            to_int(count, "count", 0, 2 ** 63)),
            "attribution_partial_add: bad range or value_decimals differ")

    def read_paths(self, filename: Union[str, os.PathLike], *,
                   separator: str = ">") -> None:
        """Accumulate every row of a paths CSV file straight into this
        partial (no Journeys in between; the fast road for big files).
        Values keep the partial's value_decimals.  All or nothing; a
        malformed file raises Corrupt with .line and .column."""
        if not _lib.has("fnl_paths_read_partial"):
            raise error(EUNSUPPORTED, b"unsupported: no paths_read_partial")
        opts = Journeys._paths_opts(0, separator)
        err = _lib.fnl_paths_error()
        err.size = ctypes.sizeof(err)
        rc = _lib.fnl_paths_read_partial(
            self._p, enc(os.fspath(filename), "filename"), byref(opts),
            byref(err))
        if rc != 0:
            raise Journeys._paths_error(rc, err)

    def parse_paths(self, text: Union[str, bytes], *,
                    separator: str = ">") -> None:
        """read_paths() from CSV text in memory."""
        if not _lib.has("fnl_paths_parse_partial"):
            raise error(EUNSUPPORTED, b"unsupported: no paths_parse_partial")
        data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        opts = Journeys._paths_opts(0, separator)
        err = _lib.fnl_paths_error()
        err.size = ctypes.sizeof(err)
        buf = ctypes.create_string_buffer(data, len(data))
        rc = _lib.fnl_paths_parse_partial(self._p, buf, len(data),
                                          byref(opts), byref(err))
        if rc != 0:
            raise Journeys._paths_error(rc, err)

    def merge(self, other: "AttributionPartial") -> None:
        """Add everything `other` accumulated (options must match)."""
        _check(_lib.fnl_attribution_partial_merge(self._p, other._p),
               "attribution_partial_merge: options differ")

    def finish(self, model: Union[str, int]) -> AttributionResult:
        """The result of one accumulated model (the partial stays usable)."""
        out = ctypes.c_void_p()
        _check(_lib.fnl_attribution_partial_finish(
            self._p, model_code(model), byref(out)),
            f"model '{model}' was not accumulated or did not converge")
        return _result(out.value)

    def save(self) -> bytes:
        """The partial as bytes (versioned, checksummed, portable): ship
        them to another process and :meth:`load` them there."""
        if not _lib.has("fnl_attribution_partial_save"):
            raise error(EUNSUPPORTED, b"unsupported: no partial_save")
        cap = _lib.fnl_attribution_partial_save_bound(self._p)
        buf = ctypes.create_string_buffer(max(cap, 1))
        n = c_size_t()
        _check(_lib.fnl_attribution_partial_save(self._p, buf, cap,
                                                 byref(n)), "partial_save")
        return buf.raw[:n.value]

    @classmethod
    def load(cls, data: bytes) -> "AttributionPartial":
        """A partial from bytes written by :meth:`save` (Corrupt when they
        are damaged, VersionMismatch when newer)."""
        if not _lib.has("fnl_attribution_partial_load"):
            raise error(EUNSUPPORTED, b"unsupported: no partial_load")
        data = bytes(data)
        out = ctypes.c_void_p()
        _check(_lib.fnl_attribution_partial_load(byref(out), data, len(data),
                                                 None),
               "not a partial, truncated, damaged or from a newer version")
        obj = cls.__new__(cls)
        obj._ptr = out.value
        return obj

    def _release(self, ptr: Any) -> None:
        _lib.fnl_attribution_partial_free(ptr)

    def __enter__(self) -> "AttributionPartial":
        return self
