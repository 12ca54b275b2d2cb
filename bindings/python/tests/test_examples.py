"""The Python examples run and print what they promise."""
import os
import subprocess
import sys

from conftest import REPO

EX = os.path.join(REPO, "examples", "python")


def run(name):
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "bindings", "python"))
    p = subprocess.run([sys.executable, os.path.join(EX, name)], env=env,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout.splitlines()


def test_import_and_report_counts_channels():
    out = run("import_and_report.py")
    assert out[0] == ("contacts 4  accounts 2  touches 7  merges 1  "
                      "deals 2")
    counts = {l.split()[0]: int(l.split()[1]) for l in out
              if l.startswith("  ")}
    assert counts == {"direct": 1, "email": 2, "events": 1,
                      "organic_search": 1, "paid_search": 1,
                      "paid_social": 1}
    assert "deal OPP-1: won 1,200,000.00 EUR (1 contact)" in out


def test_notify_listener_notifies_owners_on_mql_and_sla_breach():
    out = run("notify_listener.py")
    assert out == [
        # lena: director 10 + demo request 30 = 40 >= 30; first in turn
        "notify owner ana: lena@bigco.com reached mql",
        # tom: demo request 30 >= 30; next in turn
        "notify owner ben: tom@smallco.com reached mql",
        # tom's accept deadline (T0 + 2h + 2d) passes before the T0 + 3d
        # tick; lena was accepted at T0 + 1d, in time
        "notify owner ben: SLA breach for tom@smallco.com in mql",
        "lena@bigco.com: sal (owner ana)",
        "tom@smallco.com: mql (owner ben)",
        "kim@startup.io: inquiry (owner none)",
    ]


def test_sqlite_store_example_reopens_to_the_same_state():
    out = run("sqlite_store.py")
    assert out == [
        "journal records 4, snapshot covers seq 7",
        "reopened: contacts 20  accounts 4  touches 40  deals 7",
        "model demo: u1 scores 40",   # director +10, trial_request +30
        "linear attribution: email 20,000.00  events 35,000.00  "
        "paid_search 15,000.00",
        "same state after reopening: True",
    ]


# ---- distributed attribution with Dask -----------------------------------

def _paths(path, n, seed):
    import random
    rnd = random.Random(seed)
    chans = ["search", "email", "social", "events", "direct", "partner",
             "webinar"]
    with open(path, "w") as f:
        f.write("path,total_conversions,total_conversion_value,total_null\n")
        for _ in range(n):
            p = " > ".join(rnd.choice(chans) for _ in range(rnd.randint(1, 7)))
            conv = rnd.randint(0, 3)
            value = f"{rnd.randint(1, 99999)}.{rnd.randint(0, 99):02d}" \
                if conv else "0"
            f.write(f"{p},{conv},{value},{rnd.randint(0, 6)}\n")


def test_distributed_attribution_equals_single_process_bit_for_bit(
        tmp_path):
    import json

    import pytest
    pytest.importorskip("dask")
    pytest.importorskip("distributed")
    import funnelcore as fc
    paths = str(tmp_path / "paths.csv")
    _paths(paths, 6000, seed=99)
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "bindings",
                                                   "python"))
    p = subprocess.run([sys.executable, os.path.join(EX,
                                                     "distributed_attribution.py"),
                        "--paths", paths, "--partitions", "5", "--json"],
                       env=env, capture_output=True, text=True, timeout=90)
    assert p.returncode == 0, p.stderr
    got = json.loads(p.stdout.splitlines()[-1])
    info = got["info"]
    assert info["partitions"] == 5 and len(info["partial_bytes"]) == 5
    # the partials were computed in two worker processes, not the driver
    assert info["workers"] == 2
    assert info["driver_pid"] not in info["worker_pids"]
    journeys = fc.Journeys.read_paths(paths, value_decimals=2)
    assert len(journeys) == 6000
    assert set(got["models"]) == {"first", "last", "linear", "u_shaped",
                                  "markov", "shapley"}
    for model, rows in got["models"].items():
        want = fc.attribute(journeys, model)
        assert [r[0] for r in rows] == [r.key for r in want.rows]
        for (key, conv, value), w in zip(rows, want.rows):
            # bit for bit: the hex form of the doubles is identical
            assert (conv, value) == (w.conversions.hex(), w.value.hex()), \
                (model, key)
        assert sum(float.fromhex(r[1]) for r in rows) == pytest.approx(
            want.total_conversions)


# ---- the CRM export ------------------------------------------------------

CRM = os.path.join(os.path.dirname(REPO), "shared", "data",
                   "crm-sales-opportunities")


def test_import_crm_funnel_by_agent_matches_the_csv():
    import csv
    import datetime as dt
    import statistics

    import pytest
    if not os.path.isdir(CRM):
        out = run("import_crm.py")
        assert out == [f"skipped: no CRM export at {os.path.normpath(CRM)}"]
        pytest.skip("the CRM export is not here")
    out = run("import_crm.py")
    assert out[0].startswith("imported 8800 deals, 85 accounts; as of "
                             "2018-01-01: 4238 won, 2473 lost, 2089 open")
    # independent: win rate and median cycle per agent from the CSV itself
    with open(os.path.join(CRM, "sales_pipeline.csv"), newline="") as f:
        rows = list(csv.DictReader(f))

    def day(s):
        d, m, y = map(int, s.split("-"))
        return dt.date(2000 + y, m, d)
    agents = {}
    for r in rows:
        a = agents.setdefault(r["sales_agent"],
                              {"deals": 0, "won": 0, "lost": 0, "cyc": []})
        a["deals"] += 1
        if r["deal_stage"] == "Won":
            a["won"] += 1
            a["cyc"].append((day(r["close_date"]) -
                             day(r["engage_date"])).days)
        elif r["deal_stage"] == "Lost":
            a["lost"] += 1
    lines = {l[:22].strip(): l[22:].split() for l in out[2:]}
    assert len(lines) == len(agents) == 30
    for name, a in agents.items():
        deals, won, lost, _open, rate, cyc = lines[name][:6]
        assert (int(deals), int(won), int(lost)) == (a["deals"], a["won"],
                                                     a["lost"])
        assert rate == f"{a['won'] / (a['won'] + a['lost']):.1%}"
        assert float(cyc) == statistics.median(a["cyc"])
