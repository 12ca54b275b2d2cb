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


def test_notify_listener_prints_created_and_merged():
    out = run("notify_listener.py")
    assert out == [
        "notify owner unassigned queue: new contact ck-77",
        "notify owner sales-emea: new contact lena@bigco.com",
        "notify owner sales-emea: contact lena@bigco.com merged with an "
        "earlier visitor (2 touches so far)",
    ]
