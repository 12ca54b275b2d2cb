"""ROI and funnel reports (docs/roi.md, docs/reports.md).

Every report is one table.  A :class:`Report` is plain Python data copied
out of the library's immutable fnl_report in one render (the library's own
JSON, which reads back exactly: integers stay integers, doubles are written
in their shortest exact form): ``rows`` and ``totals`` are dicts keyed by
column name, ``summary`` a dict, ``columns`` the typed column list.
``to_json()`` / ``to_csv()`` give the library's renderings byte for byte;
``to_dataframe()`` a pandas DataFrame when pandas is importable.

Engine reports are methods of :class:`funnelcore.Engine` (report_deals,
report_roi, report_spend, report_cohort, report_time_to_convert, and from
the stage history report_stage_funnel, report_stage_cohort,
report_stage_time_to_convert, report_rejections, stage_counts); the
engine-free ones are functions here (survival_km, budget_allocate).
"""
from __future__ import annotations

import ctypes
import json
import math
import numbers
from ctypes import byref, c_char_p, c_double, c_int64, c_size_t, c_uint32
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Union

from ._owned import Owned
from . import _lib
from ._convert import dec, enc, error, finite, invalid, to_int, to_ms
from .errors import ERANGE, EUNSUPPORTED

__all__ = ["Report", "Column", "FX", "survival_km", "budget_allocate",
           "currency_digits"]

_TYPES = {0: "null", 1: "string", 2: "int", 3: "number", 4: "bool"}
_UNITS = {0: "label", 1: "count", 2: "money", 3: "ratio", 4: "days",
          5: "time", 6: "flag"}
_PERIODS = {"all": 0, "day": 1, "week": 2, "month": 3, "quarter": 4,
            "year": 5, "custom": 6}
_COST_GROUPS = {"channel": 1, "campaign": 2, "region": 3}
_DEAL_GROUPS = {"none": 0, "owner": 1, "stage": 2, "account": 3,
                "account_attr": 4, "currency": 5, "status": 6, "attr": 7,
                "owner_attr": 8}
_STAGE_GROUPS = {"none": 0, "channel": 1, "campaign": 2, "owner": 3,
                 "attr": 4}
_STAGE_VIEWS = {"cumulative": 0, "in_period": 1}
_TOTALS = ctypes.c_size_t(-1).value  # FNL_REPORT_TOTALS (SIZE_MAX)

#: tests set this to cross-check every JSON-decoded cell against the
#: library's cell readers (fnl_report_value_get, fnl_report_summary_get)
_VERIFY = False


def _need(name: str) -> None:
    if not _lib.has(name):
        raise error(EUNSUPPORTED, f"unsupported: this libfunnelcore has no "
                                  f"{name}".encode())


@dataclass(frozen=True)
class Column:
    name: str
    type: str   # "string", "int", "number", "bool"
    unit: str   # "label", "count", "money", "ratio", "days", "time", "flag"


@dataclass
class Report:
    """One report table as plain Python data."""
    kind: str
    currency: Optional[str]
    columns: List[Column]
    rows: List[Dict[str, Any]]
    totals: Optional[Dict[str, Any]]
    summary: Dict[str, Any]
    schema_version: int = 1
    _json: str = field(default="", repr=False)
    _csv: str = field(default="", repr=False)

    def to_json(self) -> str:
        """The library's JSON rendering (docs/reports.md), byte for byte."""
        return self._json

    def to_dict(self) -> Dict[str, Any]:
        return json.loads(self._json)

    def to_csv(self) -> str:
        """The library's CSV rendering of the rows (RFC 4180)."""
        return self._csv

    @property
    def column_names(self) -> List[str]:
        return [c.name for c in self.columns]

    def by_key(self) -> Dict[Any, Dict[str, Any]]:
        """Rows keyed by their first column (the group / label)."""
        k = self.columns[0].name
        return {r[k]: r for r in self.rows}

    def to_dataframe(self):
        """The rows as a pandas DataFrame (columns in report order; the
        summary in ``df.attrs``).  Needs pandas."""
        try:
            import pandas as pd  # type: ignore[import-not-found]
        except ImportError as exc:
            raise ImportError("to_dataframe() needs pandas; use .rows or "
                              ".to_json() without it") from exc
        df = pd.DataFrame(self.rows, columns=self.column_names)
        df.attrs.update(report=self.kind, currency=self.currency,
                        summary=dict(self.summary), totals=self.totals)
        return df

    def __len__(self) -> int:
        return len(self.rows)


def _render(fn, ptr: int) -> str:
    n = c_size_t()
    rc = fn(ptr, None, 0, byref(n))
    if rc not in (0, ERANGE):
        raise error(rc, b"report render")
    buf = ctypes.create_string_buffer(n.value)
    rc = fn(ptr, buf, n.value, byref(n))
    if rc != 0:
        raise error(rc, b"report render")
    return buf.value.decode("utf-8")


def _cell(v) -> Any:
    if v.type == 1:
        return dec(v.str)
    if v.type == 2:
        return v.i
    if v.type == 3:
        return v.num
    if v.type == 4:
        return bool(v.i)
    return None


def _verify(ptr: int, rep: Report) -> None:
    """Every cell, the totals and the summary read through the library's
    cell readers equal what the JSON gave (bit for bit for numbers)."""
    info = _lib.init(_lib.fnl_report_info, "fnl_report_info_init")
    assert _lib.fnl_report_get_info(ptr, byref(info)) == 0
    assert info.row_count == len(rep.rows)
    assert (info.currency.decode() or None) == rep.currency
    col = _lib.init(_lib.fnl_report_column, "fnl_report_column_init")
    v = _lib.init(_lib.fnl_report_value, "fnl_report_value_init")
    names = []
    for c in range(info.column_count):
        assert _lib.fnl_report_column_get(ptr, c, byref(col)) == 0
        names.append(dec(col.name))
        assert rep.columns[c] == Column(dec(col.name), _TYPES[col.type],
                                        _UNITS[col.unit])
    rows = list(enumerate(rep.rows))
    if info.has_totals:
        rows.append((_TOTALS, rep.totals))
    for i, row in rows:
        for c, name in enumerate(names):
            assert _lib.fnl_report_value_get(ptr, i, c, byref(v)) == 0
            got, want = _cell(v), row[name]
            assert type(got) is type(want) and (
                got == want or (isinstance(got, float) and
                                math.isnan(got) and math.isnan(want))), \
                (i, name, got, want)
    nm = c_char_p()
    for s in range(info.summary_count):
        assert _lib.fnl_report_summary_get(ptr, s, byref(nm), byref(v)) == 0
        got = _cell(v)
        want = rep.summary[dec(nm.value)]
        if isinstance(want, (list, dict)):
            continue  # structured summary values exist only in JSON
        assert got == want, (dec(nm.value), got, want)


def _report(ptr: int) -> Report:
    """Copy a C report into Python objects and free it."""
    try:
        text = _render(_lib.fnl_report_json, ptr)
        d = json.loads(text)
        # JSON writes 15.0 as 15: number columns are floats again
        nums = [c["name"] for c in d["columns"] if c["type"] == "number"]
        for row in d["rows"] + ([d["totals"]] if d.get("totals") else []):
            for k in nums:
                v = row[k]
                if v is not None and type(v) is int:
                    row[k] = float(v)
        rep = Report(
            kind=d["report"], currency=d.get("currency"),
            columns=[Column(c["name"], c["type"], c["unit"])
                     for c in d["columns"]],
            rows=d["rows"], totals=d.get("totals"),
            summary=d.get("summary", {}),
            schema_version=d.get("schema_version", 1), _json=text,
            _csv=_render(_lib.fnl_report_csv, ptr))
        if _VERIFY:
            _verify(ptr, rep)
        return rep
    finally:
        _lib.fnl_report_free(ptr)


def _run(engine: Any, fn, req) -> Report:
    out = ctypes.c_void_p()
    if engine is None:
        rc = fn(byref(req), byref(out))
        if rc != 0:
            raise error(rc, f"{_lib.fnl_strerror(rc).decode()}: "
                            f"{fn.__name__}: bad request".encode())
    else:
        engine._check(fn(engine._p, byref(req), byref(out)))
    return _report(out.value)


def _pick(table: Dict[str, int], v: Union[str, int], what: str) -> int:
    if isinstance(v, str):
        if v not in table:
            raise invalid(f"{what} must be one of {', '.join(table)}, "
                          f"not '{v}'")
        return table[v]
    return to_int(v, what, 0, 2 ** 32 - 1)


# --------------------------------------------------------------------------
# Currency rates
# --------------------------------------------------------------------------

def currency_digits(code: str) -> int:
    """Minor-unit digits of an ISO 4217 code (JPY 0, KWD 3, most 2)."""
    _need("fnl_currency_digits")
    d = _lib.fnl_currency_digits(enc(code, "currency"))
    if d < 0:
        raise invalid(f"'{code}' is not a currency code")
    return d


class FX(Owned):
    """A table of exchange rates (fnl_fx), each valid over [start, end).
    ``fx.add("EUR", "USD", 1.08)``: one euro buys 1.08 dollars."""

    def __init__(self, rates: Optional[Iterable[Sequence[Any]]] = None):
        _need("fnl_fx_new")
        out = ctypes.c_void_p()
        rc = _lib.fnl_fx_new(byref(out), None)
        if rc != 0:
            raise error(rc, None)
        self._ptr: Optional[int] = out.value
        for r in rates or ():
            self.add(*r)

    @property
    def _p(self) -> int:
        if self._ptr is None:
            raise invalid("rate table is closed")
        return self._ptr

    def add(self, from_: str, to: str, rate: float, start: Any = 0,
            end: Any = 0) -> None:
        """Add the rate of `from_` into `to` over [start, end) (end 0:
        forever).  AlreadyExists when it overlaps a rate of that pair."""
        rc = _lib.fnl_fx_add(self._p, enc(from_, "from"), enc(to, "to"),
                             finite(rate, "rate"), to_ms(start or 0),
                             to_ms(end or 0))
        if rc != 0:
            raise error(rc, f"{_lib.fnl_strerror(rc).decode()}: rate "
                            f"{from_}->{to}".encode())

    def convert(self, amount: int, from_: str, to: str, t: Any) -> int:
        """Minor units of `from_` into minor units of `to` at time t."""
        out = c_int64()
        rc = _lib.fnl_fx_convert(self._p, to_int(amount, "amount"),
                                 enc(from_, "from"), enc(to, "to"),
                                 to_ms(t, "t"), byref(out))
        if rc != 0:
            raise error(rc, f"{_lib.fnl_strerror(rc).decode()}: no rate "
                            f"{from_}->{to} at {t}".encode())
        return out.value

    def _release(self, ptr: Any) -> None:
        _lib.fnl_fx_free(ptr)

    def __enter__(self) -> "FX":
        return self


def _fx(fx: Any, keep: list):
    if fx is None:
        return None
    if not isinstance(fx, FX):
        fx = FX(fx)  # an iterable of (from, to, rate[, start, end])
        keep.append(fx)
    return fx._p


def _time(v: Any, what: str, default: int) -> int:
    return default if v is None else to_ms(v, what)


def _costs(costs: Optional[Iterable[Mapping[str, Any]]], keep: list):
    if not costs:
        return None, 0
    items = list(costs)
    arr = (_lib.fnl_cost * len(items))()
    for i, (c, src) in enumerate(zip(arr, items)):
        _lib.fnl_cost_init(byref(c), ctypes.sizeof(c))
        for f in ("channel", "campaign", "region", "currency"):
            b = enc(src.get(f), f"cost {i}: {f}")
            keep.append(b)
            setattr(c, f, b)
        c.start = to_ms(src["start"], f"cost {i}: start")
        c.end = to_ms(src["end"], f"cost {i}: end")
        c.amount = to_int(src["amount"], f"cost {i}: amount")
    keep.append(arr)
    return arr, len(items)


def _boundaries(b: Optional[Sequence[Any]], keep: list):
    if not b:
        return None, 0
    arr = (c_int64 * len(b))(*(to_ms(x, "boundary") for x in b))
    keep.append(arr)
    return arr, len(b)


# --------------------------------------------------------------------------
# Engine reports
# --------------------------------------------------------------------------

def report_deals(engine: Any, group_by: Union[str, int] = "none", *,
                 group_attr: Optional[str] = None, since: Any = None,
                 until: Any = None, as_of: Any = None,
                 currency: Optional[str] = None, fx: Any = None,
                 stage_probabilities: Optional[Mapping[str, float]] = None,
                 forecast_until: Any = None,
                 benchmark_win_rate: Optional[float] = None,
                 benchmark_cycle_days: Optional[float] = None,
                 benchmark_deal_size: Optional[int] = None) -> Report:
    _need("fnl_report_deals")
    r = _lib.init(_lib.fnl_deal_report_request,
                  "fnl_deal_report_request_init")
    keep: list = []
    r.group_by = _pick(_DEAL_GROUPS, group_by, "group_by")
    r.group_attr = enc(group_attr, "group_attr")
    r.currency = enc(currency, "currency")
    keep += [r.group_attr, r.currency]
    r.from_ = _time(since, "since", 0)
    r.to = _time(until, "until", 0)
    r.as_of = to_ms(as_of, "as_of")
    r.fx = _fx(fx, keep)
    if stage_probabilities:
        items = list(stage_probabilities.items())
        arr = (_lib.fnl_stage_probability * len(items))()
        for sp, (stage, p) in zip(arr, items):
            b = enc(stage, "stage")
            keep.append(b)
            sp.stage, sp.probability = b, finite(p, "probability")
        keep.append(arr)
        r.stage_probabilities, r.stage_probability_count = arr, len(items)
    r.forecast_until = _time(forecast_until, "forecast_until", 0)
    if benchmark_win_rate is not None:
        r.benchmark_win_rate = finite(benchmark_win_rate,
                                      "benchmark_win_rate")
    if benchmark_cycle_days is not None:
        r.benchmark_cycle_days = finite(benchmark_cycle_days,
                                        "benchmark_cycle_days")
    if benchmark_deal_size is not None:
        r.benchmark_deal_size = to_int(benchmark_deal_size,
                                       "benchmark_deal_size")
    return _run(engine, _lib.fnl_report_deals, r)


def report_cohort(engine: Any, period: Union[str, int] = "month", *,
                  since: Any = None, until: Any = None,
                  boundaries: Optional[Sequence[Any]] = None,
                  as_of: Any = None, ages: Optional[Sequence[int]] = None,
                  currency: Optional[str] = None, fx: Any = None) -> Report:
    _need("fnl_report_cohort")
    r = _lib.init(_lib.fnl_cohort_request, "fnl_cohort_request_init")
    keep: list = []
    r.period = _pick(_PERIODS, period, "period")
    r.from_ = _time(since, "since", 0)
    r.to = _time(until, "until", 0)
    r.boundaries, r.boundary_count = _boundaries(boundaries, keep)
    r.as_of = to_ms(as_of, "as_of")
    if ages:
        arr = (c_uint32 * len(ages))(*(to_int(a, "age", 1, 36500)
                                       for a in ages))
        keep.append(arr)
        r.ages, r.age_count = arr, len(ages)
    r.currency = enc(currency, "currency")
    keep.append(r.currency)
    r.fx = _fx(fx, keep)
    return _run(engine, _lib.fnl_report_cohort, r)


def report_time_to_convert(engine: Any, *, since: Any = None,
                           until: Any = None, as_of: Any = None,
                           window_days: float = 30.0,
                           cold_threshold: float = 0.05) -> Report:
    _need("fnl_report_time_to_convert")
    r = _lib.init(_lib.fnl_time_to_convert_request,
                  "fnl_time_to_convert_request_init")
    r.from_ = _time(since, "since", 0)
    r.to = _time(until, "until", 0)
    r.as_of = to_ms(as_of, "as_of")
    r.window_days = finite(window_days, "window_days")
    r.cold_threshold = finite(cold_threshold, "cold_threshold")
    return _run(engine, _lib.fnl_report_time_to_convert, r)


def report_spend(engine: Any, group_by: Union[str, int] = "channel",
                 period: Union[str, int] = "month", *, since: Any = None,
                 until: Any = None,
                 boundaries: Optional[Sequence[Any]] = None,
                 region: Optional[str] = None,
                 currency: Optional[str] = None, fx: Any = None,
                 costs: Optional[Iterable[Mapping[str, Any]]] = None
                 ) -> Report:
    _need("fnl_report_spend")
    r = _lib.init(_lib.fnl_spend_request, "fnl_spend_request_init")
    keep: list = []
    r.group_by = _pick(_COST_GROUPS, group_by, "group_by")
    r.period = _pick(_PERIODS, period, "period")
    r.from_ = _time(since, "since", 0)
    r.to = _time(until, "until", 0)
    r.boundaries, r.boundary_count = _boundaries(boundaries, keep)
    r.region = enc(region, "region")
    r.currency = enc(currency, "currency")
    keep += [r.region, r.currency]
    r.fx = _fx(fx, keep)
    r.costs, r.cost_count = _costs(costs, keep)
    return _run(engine, _lib.fnl_report_spend, r)


def _attribution_handle(engine: Any, spec: Any, conversion: str,
                        group_by: str, keep: list) -> Optional[int]:
    """A C attribution result over the engine for report_roi (freed by the
    caller): spec is a model name or a dict of Engine.attribute options
    with "model"."""
    if spec is None:
        return None
    from .attribution import _engine_options, model_code
    if conversion == "stage_entry":
        # a stage name, or Engine.attribute options with "stage"
        kw = {"stage": spec} if isinstance(spec, str) else dict(spec)
    else:
        kw = {"model": spec} if isinstance(spec, (str, int)) else dict(spec)
    model = kw.pop("model", "linear")
    kw.setdefault("conversion", conversion)
    kw.setdefault("group_by", group_by)
    o, okeep = _engine_options(**kw)
    keep.append(okeep)
    out = ctypes.c_void_p()
    engine._check(_lib.fnl_engine_attribute(engine._p, byref(o),
                                            model_code(model), byref(out),
                                            None))
    return out.value


def report_roi(engine: Any, group_by: Union[str, int] = "channel", *,
               revenue: Any = "linear", pipeline: Any = None,
               since: Any = None, until: Any = None,
               region: Optional[str] = None, currency: Optional[str] = None,
               fx: Any = None, value_scale: Optional[float] = None,
               stage_counts: Optional[
                   Mapping[str, Mapping[str, Optional[float]]]] = None,
               costs: Optional[Iterable[Mapping[str, Any]]] = None,
               benchmark_revenue_to_cost: Optional[float] = None,
               leads: Any = None, mqls: Any = None,
               sqls: Any = None) -> Report:
    _need("fnl_report_roi")
    r = _lib.init(_lib.fnl_roi_request, "fnl_roi_request_init")
    keep: list = []
    r.group_by = _pick(_COST_GROUPS, group_by, "group_by")
    gname = group_by if isinstance(group_by, str) else {
        1: "channel", 2: "campaign"}.get(group_by, "channel")
    r.from_ = _time(since, "since", 0)
    r.to = _time(until, "until", 0)
    r.region = enc(region, "region")
    r.currency = enc(currency, "currency")
    keep += [r.region, r.currency]
    r.fx = _fx(fx, keep)
    if stage_counts:
        items = list(stage_counts.items())
        arr = (_lib.fnl_stage_counts * len(items))()
        for sc, (g, counts) in zip(arr, items):
            b = enc(g, "stage_counts group")
            keep.append(b)
            sc.group = b
            for f in ("leads", "mqls", "sqls", "opportunities", "customers"):
                v = counts.get(f)
                setattr(sc, f, -1.0 if v is None else finite(v, f))
        keep.append(arr)
        r.stage_counts, r.stage_count_count = arr, len(items)
    r.costs, r.cost_count = _costs(costs, keep)
    if benchmark_revenue_to_cost is not None:
        r.benchmark_revenue_to_cost = finite(benchmark_revenue_to_cost,
                                             "benchmark_revenue_to_cost")
    handles: List[int] = []
    try:
        stages = (("leads", leads), ("mqls", mqls), ("sqls", sqls))
        for attr, spec, conv in (("revenue", revenue, "deal_won"),
                                 ("pipeline", pipeline, "deal_created")) + \
                tuple((a, s, "stage_entry") for a, s in stages):
            h = _attribution_handle(engine, spec, conv, gname, keep)
            if h:
                handles.append(h)
                setattr(r, attr, h)
        # attribution over the engine reports minor units (value_decimals
        # 0): one minor unit per unit of attribution value
        if value_scale is not None:
            r.value_scale = finite(value_scale, "value_scale")
        elif handles:
            r.value_scale = 1.0
        return _run(engine, _lib.fnl_report_roi, r)
    finally:
        for h in handles:
            _lib.fnl_attribution_free(h)


# --------------------------------------------------------------------------
# Reports from the stage history (docs/reports.md): they need a machine
# attached to the engine (NotFound without one)
# --------------------------------------------------------------------------

def _bound(v: Any, what: str) -> float:
    return -1.0 if v is None else finite(v, what)


def _pairs(pairs: Optional[Iterable[Any]], keep: list):
    if not pairs:
        return None, 0
    items = []
    for p in pairs:
        if isinstance(p, Mapping):
            items.append((p.get("from"), p.get("to"), p.get("low"),
                          p.get("high")))
        else:
            t = tuple(p)
            items.append((t[0], t[1], t[2] if len(t) > 2 else None,
                          t[3] if len(t) > 3 else None))
    arr = (_lib.fnl_stage_pair * len(items))()
    for i, (sp, (a, b, lo, hi)) in enumerate(zip(arr, items)):
        fa, fb = enc(a, f"pair {i}: from"), enc(b, f"pair {i}: to")
        keep += [fa, fb]
        sp.from_, sp.to = fa, fb
        sp.low, sp.high = _bound(lo, f"pair {i}: low"), \
            _bound(hi, f"pair {i}: high")
    keep.append(arr)
    return arr, len(items)


def report_stage_funnel(engine: Any, group_by: Union[str, int] = "none", *,
                        group_attr: Optional[str] = None, since: Any = None,
                        until: Any = None, as_of: Any = None,
                        pairs: Optional[Iterable[Any]] = None) -> Report:
    _need("fnl_report_stage_funnel")
    r = _lib.init(_lib.fnl_stage_funnel_request,
                  "fnl_stage_funnel_request_init")
    keep: list = []
    r.group_by = _pick(_STAGE_GROUPS, group_by, "group_by")
    r.group_attr = enc(group_attr, "group_attr")
    keep.append(r.group_attr)
    r.from_ = _time(since, "since", 0)
    r.to = _time(until, "until", 0)
    r.as_of = to_ms(as_of, "as_of")
    r.pairs, r.pair_count = _pairs(pairs, keep)
    return _run(engine, _lib.fnl_report_stage_funnel, r)


def report_stage_cohort(engine: Any, stage: Optional[str] = None,
                        period: Union[str, int] = "month", *,
                        since: Any = None, until: Any = None,
                        boundaries: Optional[Sequence[Any]] = None,
                        as_of: Any = None,
                        ages: Optional[Sequence[int]] = None,
                        targets: Optional[Sequence[str]] = None) -> Report:
    _need("fnl_report_stage_cohort")
    r = _lib.init(_lib.fnl_stage_cohort_request,
                  "fnl_stage_cohort_request_init")
    keep: list = []
    r.stage = enc(stage, "stage")
    keep.append(r.stage)
    r.period = _pick(_PERIODS, period, "period")
    r.from_ = _time(since, "since", 0)
    r.to = _time(until, "until", 0)
    r.boundaries, r.boundary_count = _boundaries(boundaries, keep)
    r.as_of = to_ms(as_of, "as_of")
    if ages:
        arr = (c_uint32 * len(ages))(*(to_int(a, "age", 1, 36500)
                                       for a in ages))
        keep.append(arr)
        r.ages, r.age_count = arr, len(ages)
    if targets:
        names = [enc(t, "target") for t in targets]
        tarr = (c_char_p * len(names))(*names)
        keep += [names, tarr]
        r.targets, r.target_count = tarr, len(names)
    return _run(engine, _lib.fnl_report_stage_cohort, r)


def report_stage_time_to_convert(engine: Any, to_stage: str,
                                 from_stage: Optional[str] = None, *,
                                 since: Any = None, until: Any = None,
                                 as_of: Any = None, window_days: float = 30.0,
                                 cold_threshold: float = 0.05) -> Report:
    _need("fnl_report_stage_time_to_convert")
    r = _lib.init(_lib.fnl_stage_time_to_convert_request,
                  "fnl_stage_time_to_convert_request_init")
    keep = [enc(from_stage, "from_stage"), enc(to_stage, "to_stage")]
    r.from_stage, r.to_stage = keep
    r.from_ = _time(since, "since", 0)
    r.to = _time(until, "until", 0)
    r.as_of = to_ms(as_of, "as_of")
    r.window_days = finite(window_days, "window_days")
    r.cold_threshold = finite(cold_threshold, "cold_threshold")
    return _run(engine, _lib.fnl_report_stage_time_to_convert, r)


def report_rejections(engine: Any, group_by: Union[str, int] = "channel", *,
                      group_attr: Optional[str] = None, since: Any = None,
                      until: Any = None) -> Report:
    _need("fnl_report_rejections")
    r = _lib.init(_lib.fnl_rejection_request, "fnl_rejection_request_init")
    r.group_by = _pick(_STAGE_GROUPS, group_by, "group_by")
    keep = enc(group_attr, "group_attr")
    r.group_attr = keep
    r.from_ = _time(since, "since", 0)
    r.to = _time(until, "until", 0)
    return _run(engine, _lib.fnl_report_rejections, r)


_UNSET: Any = object()


def stage_counts(engine: Any, group_by: Union[str, int] = "channel", *,
                 group_attr: Optional[str] = None,
                 view: Union[str, int] = "cumulative", since: Any = None,
                 until: Any = None, as_of: Any = None,
                 lead_stage: Any = _UNSET, mql_stage: Any = _UNSET,
                 sql_stage: Any = _UNSET, opportunity_stage: Any = _UNSET,
                 customer_stage: Any = _UNSET
                 ) -> Dict[str, Dict[str, Optional[float]]]:
    _need("fnl_engine_stage_counts")
    r = _lib.init(_lib.fnl_stage_counts_request,
                  "fnl_stage_counts_request_init")
    keep: list = []
    r.group_by = _pick(_STAGE_GROUPS, group_by, "group_by")
    r.group_attr = enc(group_attr, "group_attr")
    keep.append(r.group_attr)
    r.view = _pick(_STAGE_VIEWS, view, "view")
    r.from_ = _time(since, "since", 0)
    r.to = _time(until, "until", 0)
    r.as_of = to_ms(as_of, "as_of")
    for f, v in (("lead_stage", lead_stage), ("mql_stage", mql_stage),
                 ("sql_stage", sql_stage),
                 ("opportunity_stage", opportunity_stage),
                 ("customer_stage", customer_stage)):
        if v is not _UNSET:          # unset: the library's default
            b = enc(v, f)
            keep.append(b)
            setattr(r, f, b)
    out = ctypes.POINTER(_lib.fnl_stage_counts)()
    n = c_size_t()
    engine._check(_lib.fnl_engine_stage_counts(engine._p, byref(r),
                                               byref(out), byref(n)))
    try:
        res: Dict[str, Dict[str, Optional[float]]] = {}
        for i in range(n.value):
            c = out[i]
            res[dec(c.group)] = {
                f: (None if getattr(c, f) < 0 else getattr(c, f))
                for f in ("leads", "mqls", "sqls", "opportunities",
                          "customers")}
        return res
    finally:
        _lib.fnl_stage_counts_free(out)


# --------------------------------------------------------------------------
# Reports without an engine
# --------------------------------------------------------------------------

def survival_km(days: Sequence[float], converted: Sequence[Any], *,
                window_days: float = 30.0,
                cold_threshold: float = 0.05) -> Report:
    """Kaplan-Meier estimate of "not converted yet" from observations:
    days from entry (>= 0) and whether each ended in conversion (truthy)
    or was censored."""
    _need("fnl_survival_km")
    if len(days) != len(converted):
        raise invalid("days and converted must have the same length")
    n = len(days)
    r = _lib.init(_lib.fnl_survival_request, "fnl_survival_request_init")
    d = (c_double * max(n, 1))(*(finite(x, "days") for x in days))
    c = (ctypes.c_uint8 * max(n, 1))(*(1 if x else 0 for x in converted))
    r.days, r.converted, r.n = d, c, n
    r.window_days = finite(window_days, "window_days")
    r.cold_threshold = finite(cold_threshold, "cold_threshold")
    return _run(None, _lib.fnl_survival_km, r)


def budget_allocate(total: int, lines: Iterable[Any], *,
                    currency: Optional[str] = None, phases: int = 0,
                    phase_weights: Optional[Sequence[float]] = None
                    ) -> Report:
    """Split `total` (minor units) across lines in proportion to weight
    within each line's [min, cap], then phase each line (default 4
    quarters).  lines: dicts {"name", "weight", "min"=0, "cap"=None} or
    (name, weight[, min[, cap]]) tuples.  Amounts sum to total exactly."""
    _need("fnl_budget_allocate")
    items = []
    for ln in lines:
        if isinstance(ln, Mapping):
            items.append((ln["name"], ln.get("weight", 0), ln.get("min", 0),
                          ln.get("cap")))
        else:
            t = tuple(ln)
            items.append((t[0], t[1], t[2] if len(t) > 2 else 0,
                          t[3] if len(t) > 3 else None))
    r = _lib.init(_lib.fnl_budget_request, "fnl_budget_request_init")
    keep: list = []
    arr = (_lib.fnl_budget_line * max(len(items), 1))()
    for bl, (name, weight, mn, cap) in zip(arr, items):
        b = enc(name, "line name")
        keep.append(b)
        bl.name = b
        bl.weight = finite(weight, "weight")
        bl.min = to_int(mn or 0, "min")
        bl.cap = -1 if cap is None else to_int(cap, "cap")
    r.total = to_int(total, "total")
    r.currency = enc(currency, "currency")
    r.lines, r.line_count = arr, len(items)
    r.phases = to_int(phases, "phases", 0, 366)
    if phase_weights:
        pw = (c_double * len(phase_weights))(
            *(finite(w, "phase weight") for w in phase_weights))
        keep.append(pw)
        r.phase_weights = pw
    return _run(None, _lib.fnl_budget_allocate, r)
