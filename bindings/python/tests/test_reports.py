"""ROI and funnel reports: hand-computed values, the JSON-decoded rows
cross-checked cell by cell against the library's readers, renderings,
engine-free reports, FX, errors."""
import csv
import io
import json

import pytest

import funnelcore as fc
from funnelcore import reports as R
from conftest import DAY, T0


@pytest.fixture(autouse=True)
def verify_cells(monkeypatch):
    # every report built below is also read through fnl_report_value_get
    # / fnl_report_summary_get and compared with the JSON-decoded rows
    monkeypatch.setattr(R, "_VERIFY", True)


@pytest.fixture
def deals_engine():
    with fc.Engine() as e:
        a = e.upsert_contact({"email": "a@acme.com"})
        e.add_touch(keys={"email": "a@acme.com"}, channel="email", time=T0)
        e.add_touch(keys={"email": "a@acme.com"}, channel="paid_search",
                    time=T0 + DAY)
        for did, amount, closed, status, owner in (
                ("D1", 5000_00, T0 + 10 * DAY, "won", "ann"),
                ("D2", 1000_00, T0 + 20 * DAY, "won", "ann"),
                ("D3", 2000_00, T0 + 5 * DAY, "lost", "ann")):
            e.upsert_deal(did, contacts=[a], amount=amount, currency="USD",
                          created=T0, closed=closed, status=status,
                          owner=owner)
        e.upsert_deal("D4", contacts=[a], amount=3000_00, currency="USD",
                      created=T0 + DAY, status="open", owner="bob",
                      stage="demo")
        yield e


def test_report_deals_by_owner(deals_engine):
    r = deals_engine.report_deals("owner", as_of=T0 + 30 * DAY)
    assert r.kind == "deals" and r.currency == "USD" and len(r) == 2
    ann, bob = r.by_key()["ann"], r.by_key()["bob"]
    assert (ann["deals"], ann["won"], ann["lost"], ann["open"]) == (3, 2, 1,
                                                                    0)
    assert ann["win_rate"] == 2 / 3
    assert ann["won_amount"] == 6000_00 and ann["lost_amount"] == 2000_00
    assert ann["avg_deal_size"] == 3000_00       # mean won deal
    assert ann["cycle_median_days"] == 15.0      # (10 + 20) / 2
    assert ann["cycle_p90_days"] == 20.0
    assert type(ann["cycle_median_days"]) is float
    assert bob["win_rate"] is None and bob["pipeline"] == 3000_00
    # bob has no history: his open deal is forecast at the overall 2/3
    assert bob["forecast"] == 2000_00 and bob["forecast_deals"] == 1
    assert r.totals["deals"] == 4 and r.totals["group"] is None
    assert r.summary["group_by"] == "owner"
    assert r.summary["as_of"] == T0 + 30 * DAY
    assert [c.name for c in r.columns][:5] == ["group", "deals", "open",
                                               "won", "lost"]
    assert r.columns[5] == fc.Column("win_rate", "number", "ratio")
    # renderings are the library's, byte for byte
    d = json.loads(r.to_json())
    assert d["rows"][0]["group"] == "ann" and d["report"] == "deals"
    rows = list(csv.DictReader(io.StringIO(r.to_csv())))
    assert rows[1]["group"] == "bob" and rows[1]["win_rate"] == ""
    assert rows[0]["cycle_median_days"] == "15"
    # benchmarks flag rows
    r = deals_engine.report_deals("owner", as_of=T0 + 30 * DAY,
                                  benchmark_win_rate=0.7,
                                  benchmark_cycle_days=12)
    ann = r.by_key()["ann"]
    assert ann["below_win_rate_benchmark"] is True
    assert ann["above_cycle_benchmark"] is True
    # stage probabilities override the historical rate
    r = deals_engine.report_deals("status", as_of=T0 + 30 * DAY,
                                  stage_probabilities={"demo": 0.1})
    assert r.by_key()["open"]["forecast"] == 300_00


def test_report_roi_hand_computed(deals_engine):
    e = deals_engine
    e.add_cost(channel="email", amount=1000_00, start=T0 - 10 * DAY,
               end=T0 + 10 * DAY, currency="USD")
    r = e.report_roi(revenue="linear", pipeline="first",
                     since=T0 - 10 * DAY, until=T0 + 30 * DAY)
    email, paid = r.by_key()["email"], r.by_key()["paid_search"]
    # won deals D1 + D2 = 6,000.00, split evenly over two touches (linear)
    assert (email["cost"], email["revenue"]) == (1000_00, 3000_00)
    assert (paid["cost"], paid["revenue"]) == (0, 3000_00)
    assert email["roi"] == 2.0 and email["revenue_to_cost"] == 3.0
    assert paid["roi"] is None                    # no cost: undefined
    # pipeline (deals created, first touch): all 11,000.00 to email
    assert email["pipeline"] == 11000_00 and email["opportunities"] == 4.0
    assert email["customers"] == 1.0 and email["win_rate"] == 0.25
    assert r.totals["revenue"] == 6000_00 and r.totals["roi"] == 5.0
    # half the cost lies before `since`: prorated by time
    r = e.report_roi(revenue="linear", since=T0, until=T0 + 30 * DAY)
    assert r.by_key()["email"]["cost"] == 500_00
    # stage counts and extra cost records
    r = e.report_roi(revenue={"model": "last"}, since=T0 - 10 * DAY,
                     until=T0 + 30 * DAY,
                     stage_counts={"email": {"leads": 10, "mqls": 4}},
                     costs=[{"channel": "events", "amount": 700_00,
                             "start": T0, "end": T0 + DAY,
                             "currency": "USD"}])
    rows = r.by_key()
    assert rows["email"]["revenue"] == 0          # last touch: paid_search
    assert rows["paid_search"]["revenue"] == 6000_00
    assert rows["email"]["cost_per_lead"] == 100_00
    assert rows["email"]["lead_to_mql"] == 0.4
    assert rows["events"]["cost"] == 700_00
    assert r.summary["cost_records"] == 2


def test_time_to_convert_equals_survival_km_of_the_same_deals(
        deals_engine):
    as_of = T0 + 30 * DAY
    r = deals_engine.report_time_to_convert(as_of=as_of)
    # independent path: the same observations through fnl_survival_km
    obs = []
    for d in deals_engine.deals():
        end = d.closed if d.status != "open" else as_of
        obs.append(((end - d.created) / DAY, d.status == "won"))
    s = fc.survival_km([o[0] for o in obs], [o[1] for o in obs])
    assert r.rows == s.rows and r.summary == s.summary
    assert [row["days"] for row in r.rows] == [5.0, 10.0, 20.0, 29.0]
    assert r.summary["median_days"] == 20


def test_survival_km_hand_computed():
    r = fc.survival_km([1, 2, 3, 4], [1, 0, 1, 1])
    assert [x["survival"] for x in r.rows] == [0.75, 0.75, 0.375, 0.0]
    assert [x["at_risk"] for x in r.rows] == [4, 3, 2, 1]
    assert r.summary["median_days"] == 3 and r.currency is None
    assert r.totals is None
    with pytest.raises(fc.InvalidArgument):
        fc.survival_km([1, -2], [1, 1])


def test_cohort_and_spend(deals_engine):
    e = deals_engine
    r = e.report_cohort("month", as_of=T0 + 30 * DAY, ages=[7, 30])
    assert [c.name for c in r.columns][-2:] == ["won_within_7d",
                                                "won_within_30d"]
    row = r.rows[0]
    assert (row["cohort"], row["deals"], row["won"]) == ("2026-01", 4, 2)
    # 3 deals at least 7 days old and closed-or-not: D1 (10 d) not within
    # 7 days, D2 neither; D3 lost: 0 of 4
    assert row["won_within_7d"] == 0.0
    assert row["won_within_30d"] == 2 / 3         # D4 is only 29 days old
    e.add_cost(channel="email", amount=1000_00, start=T0 - 10 * DAY,
               end=T0 + 10 * DAY, currency="USD")
    r = e.report_spend("channel", "month")
    assert [(x["period"], x["cost"]) for x in r.rows] == [
        ("2025-12", 500_00), ("2026-01", 500_00)]


def test_budget_allocate_sums_exactly():
    r = fc.budget_allocate(1000_01, [("search", 3), ("events", 1, 0, 100_00),
                                     {"name": "social", "weight": 0,
                                      "min": 50_00}])
    by = r.by_key()
    assert sum(x["amount"] for x in r.rows) == 1000_01
    assert by["events"]["amount"] == 100_00        # capped
    assert by["social"]["amount"] == 50_00         # its minimum
    assert by["search"]["amount"] == 850_01
    for x in r.rows:
        assert x["q1"] + x["q2"] + x["q3"] + x["q4"] == x["amount"]
    assert fc.Engine.budget_allocate(10, [("a", 1)], phases=2).rows[0][
        "phase_2"] == 5
    with pytest.raises(fc.OutOfRange):             # minimums above total
        fc.budget_allocate(10, [("a", 1, 20)])


def test_fx_and_currency():
    assert fc.currency_digits("JPY") == 0 and fc.currency_digits("usd") == 2
    with fc.FX([("EUR", "USD", 1.25)]) as fx:
        assert fx.convert(100_00, "EUR", "USD", T0) == 125_00
        assert fx.convert(125_00, "USD", "EUR", T0) == 100_00  # inverse
        with pytest.raises(fc.NotFound):
            fx.convert(1, "GBP", "USD", T0)
        with pytest.raises(fc.AlreadyExists):
            fx.add("EUR", "USD", 1.1)
    with fc.Engine() as e:
        e.upsert_deal("E1", amount=100_00, currency="EUR", created=T0,
                      closed=T0 + DAY, status="won")
        with pytest.raises(fc.NotFound):
            e.report_deals(as_of=T0 + 2 * DAY)     # no EUR->USD rate
        r = e.report_deals(as_of=T0 + 2 * DAY, fx=[("EUR", "USD", 1.5)])
        assert r.rows[0]["won_amount"] == 150_00


def test_bad_requests_raise(deals_engine):
    with pytest.raises(fc.InvalidArgument):
        deals_engine.report_deals("nope")
    with pytest.raises(fc.InvalidArgument):
        deals_engine.report_deals("account_attr")  # needs group_attr


def test_dataframe_when_pandas_is_there(deals_engine):
    pd = pytest.importorskip("pandas")
    df = deals_engine.report_deals("owner", as_of=T0 + 30 * DAY) \
        .to_dataframe()
    assert list(df["group"]) == ["ann", "bob"]
    assert isinstance(df, pd.DataFrame) and df.attrs["report"] == "deals"


def test_dataframe_without_pandas_says_so(deals_engine, monkeypatch):
    import builtins
    real = builtins.__import__

    def no_pandas(name, *a, **k):
        if name == "pandas":
            raise ImportError("no pandas")
        return real(name, *a, **k)
    monkeypatch.setattr(builtins, "__import__", no_pandas)
    with pytest.raises(ImportError, match="needs pandas"):
        deals_engine.report_deals().to_dataframe()
