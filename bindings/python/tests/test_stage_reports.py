"""Reports from the stage history (docs/reports.md): stage funnel, stage
cohort, stage time to convert, rejections and stage counts over the
default machine, with values worked out by hand."""
import json

import pytest

import funnelcore as fc
import funnelcore.reports as R
from conftest import DAY, T0

MODEL = """\
model demo
fit title contains director +10
engage type = demo_request +30
threshold mql when score >= 30
"""

AS_OF = T0 + 10 * DAY


@pytest.fixture(autouse=True)
def verify_cells(monkeypatch):
    # every report is also read through the library's cell readers and
    # compared with the JSON-decoded rows
    monkeypatch.setattr(R, "_VERIFY", True)


@pytest.fixture
def eng():
    """Four contacts on the default machine, all created at T0 (inquiry):
      a  email  demo_request T0+1d -> mql; sales_accept T0+3d -> sal;
                sales_qualify T0+4d -> sql
      b  ads    demo_request T0+2d -> mql; sales_reject "bad_fit" T0+3d
                -> recycled
      c  email  a visit at T0+1d (score 0): stays in inquiry
      d  no touch (the null group): stays in inquiry
    The engine clock stands at T0+10d when the reports run."""
    clock = [T0]
    with fc.Engine(clock=lambda: clock[0]) as e:
        e.attach_model(fc.Model.parse(MODEL))
        e.attach_machine(fc.Machine.default())
        a = e.upsert_contact({"email": "a@x.com"})
        b = e.upsert_contact({"email": "b@x.com"})
        c = e.upsert_contact({"email": "c@x.com"})
        e.upsert_contact({"email": "d@x.com"})
        e.add_touch(contact=a, type="demo_request", channel="email",
                    time=T0 + DAY)
        e.add_touch(contact=b, type="demo_request", channel="ads",
                    time=T0 + 2 * DAY)
        e.add_touch(contact=c, type="visit", channel="email", time=T0 + DAY)
        e.contact_event(a, "sales_accept", time=T0 + 3 * DAY)
        e.contact_event(a, "sales_qualify", time=T0 + 4 * DAY)
        e.contact_event(b, "sales_reject", reason="bad_fit",
                        time=T0 + 3 * DAY)
        assert [e.contact_stage(x).stage for x in (a, b, c)] == \
            ["sql", "recycled", "inquiry"]
        clock[0] = AS_OF
        yield e


def test_stage_funnel_by_channel(eng):
    rep = eng.report_stage_funnel("channel",
                                  pairs=[("mql", "sql"),
                                         {"from": "inquiry", "to": "mql",
                                          "low": 0.6, "high": None}])
    assert rep.kind == "stage_funnel"
    s = rep.summary
    assert (s["group_by"], s["machine"], s["cohort"], s["contacts"],
            s["pairs"], s["as_of"]) == ("channel", "waterfall", 4, 4, 2,
                                         AS_OF)
    rows = {(r["group"], r["stage"], r["kind"]): r for r in rep.rows}
    # groups bytewise, the null group last; 9 stage rows each plus the
    # mql -> sql pair row
    assert [g for g, *_ in rows][::10] == ["ads", "email", None]
    assert len(rep.rows) == 3 * 10

    # email: a and c entered inquiry; a (1 day) went on to mql: 1/2,
    # below the 0.6 benchmark of the inquiry -> mql pair
    r = rows[("email", "inquiry", "stage")]
    assert (r["rank"], r["reached"], r["entered"], r["to_stage"],
            r["converted"], r["conversion"], r["velocity_contacts"],
            r["velocity_median_days"], r["benchmark_low"],
            r["benchmark_high"], r["benchmark"]) == \
        (1, 2, 2, "mql", 1, 0.5, 1, 1.0, 0.6, None, "below")
    # a: mql (T0+1d) -> sal (T0+3d): 2 days; sal -> sql (T0+4d): 1 day
    r = rows[("email", "mql", "stage")]
    assert (r["reached"], r["converted"], r["conversion"],
            r["velocity_median_days"], r["benchmark"]) == \
        (1, 1, 1.0, 2.0, None)
    r = rows[("email", "sal", "stage")]
    assert (r["reached"], r["converted"], r["velocity_median_days"]) == \
        (1, 1, 1.0)
    r = rows[("email", "sql", "stage")]
    assert (r["reached"], r["to_stage"], r["converted"]) == \
        (1, "opportunity", 0)
    # the pair row: mql -> sql, a took 3 days
    r = rows[("email", "mql", "pair")]
    assert (r["to_stage"], r["converted"], r["conversion"],
            r["velocity_median_days"]) == ("sql", 1, 1.0, 3.0)

    # ads: b reached mql after 2 days, then was rejected into recycled
    r = rows[("ads", "inquiry", "stage")]
    assert (r["reached"], r["converted"], r["conversion"],
            r["velocity_median_days"], r["benchmark"]) == \
        (1, 1, 1.0, 2.0, "within")
    r = rows[("ads", "mql", "stage")]
    assert (r["reached"], r["converted"], r["conversion"]) == (1, 0, 0.0)
    r = rows[("ads", "recycled", "stage")]
    assert (r["rank"], r["reached"], r["entered"]) == (0, 1, 1)
    # null: d only, still in inquiry
    r = rows[(None, "inquiry", "stage")]
    assert (r["reached"], r["converted"], r["conversion"],
            r["velocity_median_days"]) == (1, 0, 0.0, None)
    assert rep.totals is None
    assert json.loads(rep.to_json())["rows"] == rep.rows


def test_stage_funnel_whole_and_in_period(eng):
    rep = eng.report_stage_funnel(since=T0 + 2 * DAY, until=T0 + 4 * DAY)
    rows = {r["stage"]: r for r in rep.rows if r["kind"] == "stage"}
    assert set(r["group"] for r in rep.rows) == {"all"}
    # nobody entered inquiry in [T0+2d, T0+4d): the cohort is empty
    assert rep.summary["cohort"] == 0
    assert rows["inquiry"]["reached"] == 0
    # in period: b -> mql at 2d; a -> sal at 3d; b -> recycled at 3d;
    # a -> sql at 4d is outside
    assert (rows["inquiry"]["entered"], rows["mql"]["entered"],
            rows["sal"]["entered"], rows["sql"]["entered"],
            rows["recycled"]["entered"]) == (0, 1, 1, 0, 1)


def test_stage_cohort(eng):
    rep = eng.report_stage_cohort(targets=["mql", "sql"], ages=[1, 2])
    assert rep.kind == "stage_cohort"
    assert rep.column_names == [
        "cohort", "cohort_start", "cohort_end", "contacts",
        "to_mql", "to_mql_share", "to_mql_within_1d", "to_mql_within_2d",
        "to_sql", "to_sql_share", "to_sql_within_1d", "to_sql_within_2d"]
    # everyone entered inquiry at T0 (January 2026), all at least 2 days
    # old by T0+10d: mql within 1 day a (1/4), within 2 days a, b (2/4);
    # sql only a, after 4 days
    assert len(rep.rows) == 1
    r = rep.rows[0]
    assert (r["cohort"], r["cohort_start"], r["contacts"], r["to_mql"],
            r["to_mql_share"], r["to_mql_within_1d"], r["to_mql_within_2d"],
            r["to_sql"], r["to_sql_share"], r["to_sql_within_1d"],
            r["to_sql_within_2d"]) == \
        ("2026-01", T0, 4, 2, 0.5, 0.25, 0.5, 1, 0.25, 0.0, 0.0)
    assert rep.totals["contacts"] == 4 and rep.totals["to_mql"] == 2
    assert rep.summary["stage"] == "inquiry"
    # from mql: a and b; a reached sql after 3 days, b never
    rep = eng.report_stage_cohort("mql", "all", targets=["sql"], ages=[3])
    r = rep.rows[0]
    assert (r["contacts"], r["to_sql"], r["to_sql_share"],
            r["to_sql_within_3d"]) == (2, 1, 0.5, 0.5)


def test_stage_time_to_convert(eng):
    # inquiry -> mql: a at 1 day, b at 2 days, c and d still open at 10
    # days.  KM: S(1) = 3/4, S(2) = 3/4 * 2/3 = 1/2; median 2 days
    rep = eng.report_stage_time_to_convert("mql")
    assert rep.kind == "stage_time_to_convert"
    assert [(r["days"], r["at_risk"], r["converted"], r["censored"])
            for r in rep.rows] == [(1.0, 4, 1, 0), (2.0, 3, 1, 0),
                                   (10.0, 2, 0, 2)]
    assert [r["survival"] for r in rep.rows] == [0.75, 0.5, 0.5]
    s = rep.summary
    assert (s["n"], s["conversions"], s["censored"], s["median_days"],
            s["from_stage"], s["to_stage"], s["left"]) == \
        (4, 2, 2, 2.0, "inquiry", "mql", 0)
    # mql -> sal: a converts after 2 days; b left the path into recycled
    # after 1 day (censored there)
    rep = eng.report_stage_time_to_convert("sal", "mql")
    assert [(r["days"], r["converted"], r["censored"]) for r in rep.rows] \
        == [(1.0, 0, 1), (2.0, 1, 0)]
    assert (rep.summary["n"], rep.summary["left"]) == (2, 1)


def test_rejections(eng):
    rep = eng.report_rejections()
    assert rep.kind == "rejections"
    assert rep.rows == [{"group": "ads", "reason": "bad_fit",
                         "rejections": 1, "share": 1.0}]
    assert rep.totals["rejections"] == 1 and rep.summary["rejections"] == 1
    # a window that misses the rejection at T0+3d
    assert eng.report_rejections("none", since=T0 + 4 * DAY).rows == []


def test_stage_counts(eng):
    # cumulative: leads = reached inquiry, mqls = reached mql, sqls =
    # reached sql; opportunities / customers not counted (None); d has no
    # channel and is left out
    assert eng.stage_counts() == {
        "ads": {"leads": 1.0, "mqls": 1.0, "sqls": 0.0,
                "opportunities": None, "customers": None},
        "email": {"leads": 2.0, "mqls": 1.0, "sqls": 1.0,
                  "opportunities": None, "customers": None}}
    whole = eng.stage_counts("none", opportunity_stage="opportunity",
                             customer_stage="customer")
    assert whole == {"all": {"leads": 4.0, "mqls": 2.0, "sqls": 1.0,
                             "opportunities": 0.0, "customers": 0.0}}
    # in period [T0+2d, T0+5d): mql entered by b, sql by a; no one
    # entered inquiry; sqls not counted
    assert eng.stage_counts("none", view="in_period", since=T0 + 2 * DAY,
                            until=T0 + 5 * DAY, sql_stage=None) == {
        "all": {"leads": 0.0, "mqls": 1.0, "sqls": None,
                "opportunities": None, "customers": None}}
    # the counts feed report_roi as they are
    eng.add_cost(amount=1000, start=T0, end=T0 + DAY, channel="email")
    roi = eng.report_roi(revenue=None, stage_counts=eng.stage_counts())
    by = roi.by_key()
    assert (by["email"]["leads"], by["email"]["cost_per_lead"]) == \
        (2.0, 500.0)


def test_bad_requests(eng):
    with pytest.raises(fc.NotFound):
        eng.report_stage_funnel(pairs=[("mql", "nosuch")])
    with pytest.raises(fc.NotFound):
        eng.stage_counts(lead_stage="nosuch")
    with pytest.raises(fc.InvalidArgument):
        eng.report_stage_funnel("nosuch")
    with pytest.raises(fc.InvalidArgument):
        eng.report_stage_funnel(pairs=[("mql", "mql")])


def test_without_a_machine():
    with fc.Engine(clock=lambda: T0) as e:
        e.upsert_contact({"email": "a@x.com"})
        for call in (lambda: e.report_stage_funnel(),
                     lambda: e.report_stage_cohort(),
                     lambda: e.report_stage_time_to_convert("mql"),
                     lambda: e.report_rejections(),
                     lambda: e.stage_counts()):
            with pytest.raises(fc.NotFound):
                call()
