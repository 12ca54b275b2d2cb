"""Attribution over paths CSVs and caller-built journeys."""
import pytest

import funnelcore as fc

# a > b converts once (value 10.00); b converts once (20.00); a > c: 3 nulls
PATHS = ("path,total_conversions,total_conversion_value,total_null\n"
         "a > b,1,10.00,0\n"
         "b,1,20.00,0\n"
         "a > c,0,0,3\n")


def credit(result):
    return {r.key: (round(r.conversions, 9), round(r.value, 9))
            for r in result.rows}


@pytest.fixture
def paths():
    with fc.Journeys.parse_paths(PATHS) as j:
        yield j


def test_paths_parse_counts(paths):
    assert len(paths) == 3 and paths.group_count == 3


def test_first_last_linear_credit_by_hand(paths):
    first = fc.attribute(paths, "first")
    assert first.model == "first"
    assert credit(first)["a"] == (1.0, 10.0)
    assert credit(first)["b"] == (1.0, 20.0)
    last = fc.attribute(paths, "last")
    assert credit(last)["b"] == (2.0, 30.0)
    assert credit(last).get("a", (0.0, 0.0)) == (0.0, 0.0)
    lin = fc.attribute(paths, "linear")
    assert credit(lin)["a"] == (0.5, 5.0)
    assert credit(lin)["b"] == (1.5, 25.0)
    for r in (first, last, lin):
        assert r.total_conversions == 2.0 and r.total_value == 30.0
        assert r.total_nulls == 3.0
        assert sum(x.conversions for x in r.rows) == pytest.approx(2.0)
        assert [x.key for x in r.rows] == sorted(x.key for x in r.rows)


def test_to_dict_has_the_cli_json_shape(paths):
    d = fc.attribute(paths, "linear").to_dict()
    assert d["model"] == "linear" and d["total_conversions"] == 2.0
    assert {"key": "a", "conversions": 0.5, "value": 5.0} in d["rows"]


def test_markov_and_shapley_rows_sum_to_totals(paths):
    for model in ("markov", "shapley", "u_shaped", "shapley_ordered"):
        r = fc.attribute(paths, model)
        assert sum(x.conversions for x in r.rows) == pytest.approx(2.0)
        assert sum(x.value for x in r.rows) == pytest.approx(30.0)
    m = fc.attribute(paths, "markov")
    # c never converts: removing it changes nothing
    assert m.by_key()["c"].conversions == pytest.approx(0.0)
    assert 0 < m.markov_conversion_probability < 1
    so = fc.attribute(paths, "shapley_ordered")
    assert all(len(r.positions) >= 1 for r in so.rows)


def test_caller_built_journeys_and_time_decay():
    j = fc.Journeys(value_decimals=0)
    day = 86400000
    j.add(["email", "search"], conversions=1, value=100, times=[0, 7 * day])
    assert len(j) == 1
    r = fc.attribute(j, "time_decay", half_life_ms=7 * day)
    # weights 1/2 (one half-life before conversion) and 1: 1/3 and 2/3
    assert r.by_key()["email"].conversions == pytest.approx(1 / 3)
    assert r.by_key()["search"].value == pytest.approx(200 / 3)
    j.close()
    rows = [{"groups": ["x", "y", "z"], "conversions": 2},
            {"groups": ["y"], "nulls": 1}]
    r = fc.attribute(rows, "first")
    assert r.by_key()["x"].conversions == 2.0


def test_time_decay_without_times_and_bad_models_fail(paths):
    with pytest.raises(fc.InvalidArgument):
        fc.attribute(paths, "time_decay")
    with pytest.raises(fc.InvalidArgument, match="unknown attribution model"):
        fc.attribute(paths, "astrology")
    with pytest.raises(fc.InvalidArgument, match="journey 0"):
        fc.attribute([{"groups": ["a"], "value": 5}], "first")  # no conv.


def test_malformed_paths_file_says_where(tmp_path):
    with pytest.raises(fc.Corrupt) as ei:
        fc.Journeys.parse_paths("path,total_conversions\na > b,x\n")
    assert ei.value.line == 2 and "line 2" in ei.value.detail
    p = tmp_path / "paths.csv"
    p.write_text(PATHS)
    with fc.Journeys.read_paths(p) as j:
        assert len(j) == 3
    with pytest.raises(fc.StorageError):
        fc.Journeys.read_paths(tmp_path / "missing.csv")


def test_partials_merge_to_the_single_run(paths):
    whole = fc.attribute(paths, "markov")
    p1 = fc.AttributionPartial(["markov", "linear"], value_decimals=2)
    p2 = fc.AttributionPartial(["markov", "linear"], value_decimals=2)
    p1.add(paths, 0, 2)
    p2.add(paths, 2)
    p1.merge(p2)
    merged = p1.finish("markov")
    assert credit(merged) == credit(whole)
    assert credit(p1.finish("linear")) == credit(fc.attribute(paths,
                                                              "linear"))
    with pytest.raises(fc.InvalidArgument):
        p1.finish("first")  # not accumulated
    odd = fc.AttributionPartial(["markov"], value_decimals=2, markov_order=2)
    with pytest.raises(fc.InvalidArgument):
        p1.merge(odd)
    for p in (p1, p2, odd):
        p.close()


def test_dataframe_when_pandas_is_there(paths):
    r = fc.attribute(paths, "linear")
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pandas"):
            r.to_dataframe()
    else:
        df = r.to_dataframe()
        assert df.loc["a", "conversions"] == 0.5


needs_engine_attr = pytest.mark.skipif(
    not fc._lib.has("fnl_engine_attribute"),
    reason="library without attribution over the engine")


@needs_engine_attr
def test_engine_attribution_credits_the_buying_group():
    day = 86400000
    t0 = 1767225600000
    with fc.Engine() as e:
        ann = e.add_touch(keys={"email": "ann@acme.com"}, channel="email",
                          time=t0)
        e.add_touch(keys={"email": "bob@acme.com"}, channel="events",
                    time=t0 + day)  # same account: same buying group
        e.add_touch(keys={"email": "ann@acme.com"}, channel="email",
                    time=t0 - 200 * day)  # outside the 90-day lookback
        e.upsert_deal("D1", account="acme.com", contacts=[(ann, "user")],
                      amount=100_000, currency="EUR", created=t0 + 2 * day,
                      closed=t0 + 10 * day, status="won")
        r = e.attribute("linear")
        assert credit(r) == {"email": (0.5, 50_000.0),
                             "events": (0.5, 50_000.0)}
        assert r.journeys_stats.conversions == 1
        assert r.journeys_stats.currency == "EUR"
        contact_only = e.attribute("first", scope="contact",
                                   value_decimals=2)
        assert credit(contact_only) == {"email": (1.0, 1000.0)}
        wide = e.attribute("first", lookback_ms=-1)
        assert wide.journeys_stats.touches == 3
        j, st = e.journeys()
        assert len(j) == 1 and st.touches == 2
        j.close()
        with pytest.raises(fc.InvalidArgument, match="group_by"):
            e.attribute("first", group_by="weather")


@needs_engine_attr
def test_partial_save_load_roundtrip(paths):
    p = fc.AttributionPartial(["linear", "markov"], value_decimals=2)
    p.add(paths)
    data = p.save()
    q = fc.AttributionPartial.load(data)
    assert credit(q.finish("markov")) == credit(p.finish("markov"))
    with pytest.raises(fc.Corrupt):
        fc.AttributionPartial.load(data[:-3] + b"xyz")
    p.close()
    q.close()
