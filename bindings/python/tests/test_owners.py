"""Deal attributes and owner records: set, replace, remove, read back,
survive a reopen, and group deal reports by product and by manager
(hand-computed win rates and cycle medians)."""
import csv
import datetime as dt
import os
import statistics
import subprocess
import sys

import pytest

import funnelcore as fc
from funnelcore import reports as R
from conftest import DAY, REPO, T0


@pytest.fixture(autouse=True)
def verify_cells(monkeypatch):
    monkeypatch.setattr(R, "_VERIFY", True)


def test_deal_attributes_round_trip(eng):
    d = eng.upsert_deal("OPP-1", created=T0,
                        attrs={"Product": "GTX Pro", "seats": 12,
                               "sector": "software"})
    assert eng.deal_attrs(d) == {"product": "GTX Pro", "seats": 12.0,
                                 "sector": "software"}
    assert d.attrs() == eng.deal(d).attrs
    assert eng.deal_attr(d, "PRODUCT") == "GTX Pro"
    # replace one, remove one, keep the rest
    eng.upsert_deal("OPP-1", attrs={"product": "GTX Basic", "sector": None})
    assert eng.deal(d).attrs == {"product": "GTX Basic", "seats": 12.0}
    # an update without attrs keeps them
    eng.upsert_deal("OPP-1", amount=5)
    assert eng.deal_attrs(d) == {"product": "GTX Basic", "seats": 12.0}
    with pytest.raises(fc.NotFound):
        eng.deal_attr(d, "region")
    with pytest.raises(fc.InvalidArgument):
        eng.upsert_deal("OPP-1", attrs={"bad name": "x"})
    with pytest.raises(fc.InvalidArgument):
        eng.upsert_deal("OPP-1", attrs={"product": ["not", "a", "value"]})
    assert eng.deal_attrs(d) == {"product": "GTX Basic", "seats": 12.0}


def test_owner_records_round_trip(eng):
    assert eng.owner("ana") is None
    assert eng.owner_attrs("ana") == {}
    eng.upsert_owner("ana", attrs={"manager": "Cara Losch",
                                   "regional_office": "East"}, time=T0)
    eng.upsert_owner("bo", attrs={"manager": "Dan"}, time=T0)
    o = eng.owner("ana")
    assert o.name == "ana" and o.created == T0
    assert o.attrs == {"manager": "Cara Losch", "regional_office": "East"}
    # an older value loses, a newer one wins, None removes
    eng.upsert_owner("ana", attrs={"manager": "Old"}, time=T0 - DAY)
    assert eng.owner_attr("ana", "manager") == "Cara Losch"
    eng.upsert_owner("ana", attrs={"manager": "Rocco",
                                   "regional_office": None}, time=T0 + DAY)
    assert eng.owner_attrs("ana") == {"manager": "Rocco"}
    assert [x.name for x in eng.owners()] == ["ana", "bo"]
    with pytest.raises(fc.NotFound):
        eng.owner_attr("ana", "regional_office")
    with pytest.raises(fc.InvalidArgument):
        eng.upsert_owner("", attrs={"manager": "x"})


def test_owners_and_deal_attributes_survive_a_reopen(tmp_path):
    store = fc.FileStore(str(tmp_path))
    with fc.Engine(storage=store) as e:
        e.upsert_owner("ana", attrs={"manager": "Cara"}, time=T0)
        e.upsert_deal("D1", owner="ana", created=T0,
                      attrs={"product": "GTX"})
        e.checkpoint()
        e.upsert_deal("D2", owner="ana", created=T0,
                      attrs={"product": "MG"})
    store.close()
    store = fc.FileStore(str(tmp_path))
    with fc.Engine(storage=store) as e:
        assert e.owner("ana").attrs == {"manager": "Cara"}
        assert e.deal_attrs(e.find_deal("D1")) == {"product": "GTX"}
        assert e.deal_attrs(e.find_deal("D2")) == {"product": "MG"}
    store.close()


def test_reports_group_by_product_and_by_manager(eng):
    eng.upsert_owner("ana", attrs={"manager": "Cara"}, time=T0)
    eng.upsert_owner("bo", attrs={"manager": "Cara"}, time=T0)
    eng.upsert_owner("cy", attrs={"manager": "Dan"}, time=T0)
    for did, owner, product, days, status in (
            ("p1", "ana", "GTX", 10, "won"),
            ("p2", "ana", "MG", 30, "won"),
            ("p3", "bo", "GTX", 20, "lost"),
            ("p4", "bo", "GTX", 20, "won"),
            ("p5", "cy", "MG", 5, "won"),
            ("p6", "cy", "MG", 8, "lost"),
            ("p7", "dee", "MG", 14, "won")):   # dee: no record
        eng.upsert_deal(did, owner=owner, created=T0,
                        closed=T0 + days * DAY, status=status,
                        amount=100_00, attrs={"product": product})
    as_of = T0 + 60 * DAY
    r = eng.report_deals("attr", group_attr="product", as_of=as_of)
    assert r.summary["group_by"] == "attr"
    assert r.summary["group_attr"] == "product"
    g = r.by_key()
    # GTX: p1 won 10 d, p3 lost, p4 won 20 d: 2 / 3, median 15
    assert (g["GTX"]["won"], g["GTX"]["lost"]) == (2, 1)
    assert g["GTX"]["win_rate"] == 2 / 3
    assert g["GTX"]["cycle_median_days"] == 15.0
    # MG: p2 won 30 d, p5 won 5 d, p6 lost, p7 won 14 d: 3 / 4, median 14
    assert g["MG"]["win_rate"] == 0.75
    assert g["MG"]["cycle_median_days"] == 14.0
    r = eng.report_deals("owner_attr", group_attr="manager", as_of=as_of)
    g = r.by_key()
    # Cara (ana, bo): p1 10 d, p2 30 d, p4 20 d won, p3 lost: 3 / 4,
    # median 20; Dan (cy): 1 / 2, median 5; dee's deal has no manager
    assert g["Cara"]["win_rate"] == 0.75
    assert g["Cara"]["cycle_median_days"] == 20.0
    assert g["Dan"]["win_rate"] == 0.5
    assert g["Dan"]["cycle_median_days"] == 5.0
    assert len(r) == 3 and r.rows[-1]["group"] is None
    assert r.rows[-1]["deals"] == 1


CRM = os.path.join(os.path.dirname(REPO), "shared", "data",
                   "crm-sales-opportunities")


def test_import_crm_by_product_and_manager_matches_the_csv():
    """examples/python/import_crm.py --by product,manager: deal attributes
    and owner records from the CRM export, checked against a count made
    from the CSV files directly."""
    if not os.path.isdir(CRM):
        pytest.skip("the CRM export is not here")
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "bindings",
                                                   "python"))
    p = subprocess.run([sys.executable,
                        os.path.join(REPO, "examples", "python",
                                     "import_crm.py"),
                        "--by", "product,manager"], env=env,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    blocks = p.stdout.split("\n\n")
    assert len(blocks) == 3
    with open(os.path.join(CRM, "sales_teams.csv"), newline="") as f:
        manager = {r["sales_agent"]: r["manager"] for r in csv.DictReader(f)}
    with open(os.path.join(CRM, "sales_pipeline.csv"), newline="") as f:
        rows = list(csv.DictReader(f))

    def day(s):
        d, m, y = map(int, s.split("-"))
        return dt.date(2000 + y, m, d)

    for block, key in ((blocks[1], lambda r: r["product"]),
                       (blocks[2], lambda r: manager[r["sales_agent"]])):
        want = {}
        for r in rows:
            g = want.setdefault(key(r), {"deals": 0, "won": 0, "lost": 0,
                                         "cyc": []})
            g["deals"] += 1
            if r["deal_stage"] == "Won":
                g["won"] += 1
                g["cyc"].append((day(r["close_date"]) -
                                 day(r["engage_date"])).days)
            elif r["deal_stage"] == "Lost":
                g["lost"] += 1
        lines = block.strip().splitlines()[1:]
        got = {l[:22].strip(): l[22:].split() for l in lines}
        assert set(got) == set(want)
        for name, g in want.items():
            deals, won, lost, _open, rate, cyc = got[name][:6]
            assert (int(deals), int(won), int(lost)) == (g["deals"],
                                                         g["won"], g["lost"])
            assert rate == f"{g['won'] / (g['won'] + g['lost']):.1%}"
            assert float(cyc) == statistics.median(g["cyc"])
