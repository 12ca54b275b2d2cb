#!/usr/bin/python3
"""End-to-end tests of the funnelcore command-line tool.

usage: test_cli.py FUNNELCORE FUNNELCORE_GEN SOURCE_ROOT

Every expected number below is computed by hand from the fixture files in
tests/cli/data/ (the comments show the arithmetic), never by the tool.
"""
import csv
import datetime
import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from decimal import Decimal

EXE, GEN, ROOT = (os.path.abspath(a) for a in sys.argv[1:4])
DATA = os.path.join(ROOT, "tests", "cli", "data")
SAMPLE = os.path.join(ROOT, "examples", "data", "sample")
CRM = os.path.join(ROOT, "..", "shared", "data", "crm-sales-opportunities")

failures = []
passed = 0


def run(*args, stdin=None, cwd=DATA):
    p = subprocess.run([EXE] + list(args), cwd=cwd, input=stdin,
                       capture_output=True, timeout=600)
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8")


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def close(a, b, tol=1e-6):
    return abs(a - b) <= tol * max(1.0, abs(b))


def test(fn):
    global passed
    try:
        fn()
        passed += 1
        print("ok   " + fn.__name__)
    except Exception as e:  # report and go on with the others
        failures.append(fn.__name__)
        print("FAIL " + fn.__name__ + ": " + str(e))
    return fn


def rows_by_key(obj):
    return {r["key"]: r for r in obj["rows"]}


# ---- basics ---------------------------------------------------------------


@test
def version_prints_name_and_header_version():
    header = open(os.path.join(ROOT, "include", "funnelcore.h")).read()
    v = re.search(r'#define FNL_VERSION_STRING "([0-9.]+)"', header).group(1)
    rc, out, _ = run("--version")
    check(rc == 0 and out == "funnelcore %s\n" % v, repr(out))


@test
def help_lists_commands_and_exit_codes():
    rc, out, _ = run("--help")
    check(rc == 0, rc)
    for word in ("import", "attribute", "show", "stats", "report", "score",
                 "--store", "--stages", "--no-stages", "--events", "130",
                 "FILE:LINE:COLUMN"):
        check(word in out, word)
    check("not yet available" not in out, "--stages is still refused")
    rc, out, _ = run("help", "attribute")
    check(rc == 0 and "--order" in out and '"total_conversions"' in out, out)
    rc, out, _ = run("report", "--help")
    check(rc == 0 and "--html" in out, out)


@test
def usage_errors_exit_2():
    for args in (["frobnicate"], ["attribute", "--bogus"], [],
                 ["help", "nope"], ["attribute", "--paths", "paths3.csv",
                                    "--order", "9"],
                 ["attribute", "--paths", "paths3.csv", "--model", "magic"],
                 ["attribute", "--paths", "paths3.csv", "-m", "time_decay"],
                 ["report", "--format", "xml", "--deals", "deals.csv"],
                 ["report", "--map", "nonsense", "--deals", "deals.csv"],
                 ["import", "--paths", "paths3.csv"],
                 # a stage-machine file that does not exist
                 ["report", "--stages", "stages.txt", "--deals", "deals.csv"],
                 ["attribute", "--stages", "cli_test.stages", "--deals",
                  "deals.csv"],
                 ["report", "--no-stages", "--stages", "cli_test.stages",
                  "--deals", "deals.csv"],
                 ["report", "--no-stages", "--events", "stages_events.csv",
                  "--touches", "stages_touches.csv"],
                 ["stats", "--events", "stages_events.csv"],
                 ["report", "--model", "no_such_model_or_file",
                  "--deals", "deals.csv"],
                 ["score", "--model", "no_such_file.model", "--touches",
                  "touches.csv"],
                 ["score"],
                 ["report", "--scope", "galaxy", "--deals", "deals.csv"],
                 ["attribute", "--by", "colour", "--deals", "deals.csv"],
                 ["report", "--lookback", "-3", "--deals", "deals.csv"],
                 ["report", "--cohort-period", "fortnight", "--deals",
                  "deals.csv"]):
        rc, _, err = run(*args)
        check(rc == 2, "%s gave %d" % (args, rc))
        check(err.startswith("funnelcore: ") or args == [], err)


# ---- attribute: the fixed JSON interface ----------------------------------

# paths3.csv:
#   a > b > c   1 conversion, value 100, 0 nulls
#   a > c       1 conversion, value 50,  1 null
#   b           0 conversions,           1 null
# Totals: 2 conversions, value 150.
PATHS3 = {
    # all credit to the first touch: a gets both conversions
    "first": {"a": (2, 150), "b": (0, 0), "c": (0, 0)},
    "last": {"a": (0, 0), "b": (0, 0), "c": (2, 150)},
    # path 1: 1/3 each (100/3 each); path 2: 1/2 each (25 each)
    "linear": {"a": (1/3 + 1/2, 100/3 + 25), "b": (1/3, 100/3),
               "c": (1/3 + 1/2, 100/3 + 25)},
    # path 1: .4/.2/.4 (40/20/40); path 2 (two touches): .5/.5 (25/25)
    "u_shaped": {"a": (.9, 65), "b": (.2, 20), "c": (.9, 65)},
    # Markov order 1: start->a 3, start->b 1; a->b 1, a->c 2; b->c 1,
    # b->null 1; c->conv 2, c->null 1.  x_c = 2/3, x_b = 1/3,
    # x_a = 1/3*1/3 + 2/3*2/3 = 5/9, P = .75*5/9 + .25*1/3 = 1/2.
    # Without a: P = 1/12 -> RE 5/6; without b: x_a = 4/9, P = 1/3 ->
    # RE 1/3; without c: P = 0 -> RE 1.  Sum 13/6: shares 5/13, 2/13,
    # 6/13 of 2 conversions and of 150 (the value chain gives the same
    # ratios: y_c = 150/3, y_b = 25, y_a = 125/3, y = 37.5; 31.25, 12.5,
    # 37.5 removed).
    "markov": {"a": (10/13, 150*5/13), "b": (4/13, 150*2/13),
               "c": (12/13, 150*6/13)},
    # Shapley (rate): coalition {a,b,c} rate 1/1, {a,c} rate 1/2, {b} 0.
    # phi_a = 1/3 + 1/4, phi_b = 1/3, phi_c = 1/3 + 1/4, sum 3/2.
    # Values: rate 100/1 and 50/2: 100/3 + 12.5, 100/3, 100/3 + 12.5,
    # sum 125.
    "shapley": {"a": (2*(7/12)/1.5, 150*(100/3+12.5)/125),
                "b": (2*(1/3)/1.5, 150*(100/3)/125),
                "c": (2*(7/12)/1.5, 150*(100/3+12.5)/125)},
}


@test
def attribute_json_schema_and_hand_computed_credits():
    for model, want in PATHS3.items():
        rc, out, err = run("attribute", "--paths", "paths3.csv", "--model",
                           model, "--format", "json")
        check(rc == 0, "%s: rc %d %s" % (model, rc, err))
        obj = json.loads(out)
        check(list(obj.keys()) == ["model", "total_conversions",
                                   "total_value", "rows"], obj.keys())
        check(obj["model"] == model, obj["model"])
        check(obj["total_conversions"] == 2 and obj["total_value"] == 150,
              obj)
        check([r["key"] for r in obj["rows"]] == ["a", "b", "c"], obj)
        for r in obj["rows"]:
            check(list(r.keys()) == ["key", "conversions", "value"], r)
            c, v = want[r["key"]]
            check(close(r["conversions"], c, 1e-7),
                  "%s %s conversions %r != %r" % (model, r["key"],
                                                  r["conversions"], c))
            check(close(r["value"], v, 1e-7),
                  "%s %s value %r != %r" % (model, r["key"], r["value"], v))
        check(close(sum(r["conversions"] for r in obj["rows"]), 2), model)
        check(close(sum(r["value"] for r in obj["rows"]), 150), model)


@test
def attribute_markov_order_2_sums_to_totals():
    rc, out, _ = run("attribute", "--paths", "paths3.csv", "--model",
                     "markov", "--order", "2", "--format", "json")
    obj = json.loads(out)
    check(rc == 0 and obj["total_conversions"] == 2, out)
    check(close(sum(r["conversions"] for r in obj["rows"]), 2), out)


def decimals_and_digits(d):
    t = d.normalize().as_tuple()
    digits = len(t.digits) if any(t.digits) else 0
    return max(0, -t.exponent), digits


@test
def attribute_credits_are_printed_rounded_and_sum_to_totals():
    # credits print rounded to one quantum per result (1e-9 while every
    # number is below 10, i.e. 10 significant digits), and the printed rows
    # add up to the printed total exactly (the residue goes to the largest
    # row); checked in exact decimal arithmetic
    rc, out, _ = run("attribute", "--paths", "paths3.csv", "--model",
                     "first,last,linear,u_shaped,markov,shapley", "-f",
                     "json")
    obj = json.loads(out, parse_float=Decimal, parse_int=Decimal)
    for res in obj["results"]:
        for field, total in (("conversions", "total_conversions"),
                             ("value", "total_value")):
            vals = [r[field] for r in res["rows"]]
            check(sum(vals) == res[total], (res["model"], field, vals))
            for v in vals:
                dec, dig = decimals_and_digits(v)
                check(dec <= 9 and dig <= 10, (res["model"], field, v))
            want = PATHS3[res["model"]]
            for r in res["rows"]:
                exact = want[r["key"]][0 if field == "conversions" else 1]
                # one quantum of rounding, plus the residue (< 1 quantum per
                # row) on the largest row
                q = 1e-9 if field == "conversions" else 1e-7
                check(abs(float(r[field]) - exact) <= 3 * q,
                      (res["model"], field, r))
    markov = obj["results"][4]
    # 10/13 = 0.769230769|23..., 4/13 = 0.307692307|69..., 12/13 =
    # 0.923076923|07...: rounded to 9 decimals they already sum to 2
    check([r["conversions"] for r in markov["rows"]] ==
          [Decimal("0.769230769"), Decimal("0.307692308"),
           Decimal("0.923076923")], markov["rows"])
    # the raw text has no binary noise such as 0.8333333332557
    check(re.search(r"\d{11,}", out) is None, out)


@test
def attribute_several_models_json_csv_text():
    rc, out, _ = run("attribute", "--paths", "paths3.csv", "--model",
                     "first,last,markov", "-f", "json")
    obj = json.loads(out)
    check(rc == 0 and [r["model"] for r in obj["results"]] ==
          ["first", "last", "markov"], out)
    check(rows_by_key(obj["results"][2])["c"]["conversions"] > 0.92, out)
    rc, out, _ = run("attribute", "--paths", "paths3.csv", "--model",
                     "first,linear", "-f", "csv")
    lines = out.strip().split("\n")
    check(lines[0] == "model,key,conversions,value", lines[0])
    check(lines[1] == "first,a,2,150", lines[1])
    check(len(lines) == 7, lines)
    rc, out, _ = run("attribute", "--paths", "paths3.csv", "--model",
                     "first,last")
    check(rc == 0, rc)
    text = out.split("\n")
    check(text[1].split() == ["key", "first", "conv", "first", "value",
                              "last", "conv", "last", "value"], text[1])
    row_a = [l for l in text if l.startswith("a ")][0].split()
    check(row_a == ["a", "2.00", "150.00", "0.00", "0.00"], row_a)
    total = [l for l in text if l.startswith("(total)")][0].split()
    check(total[1:] == ["2.00", "150.00", "2.00", "150.00"], total)


@test
def attribute_bad_paths_file_reports_line_and_column():
    rc, _, err = run("attribute", "--paths", "bad_paths.csv", "--model",
                     "first", "-f", "json")
    check(rc == 1, rc)
    # row 3, field 2 ("x") starts at byte column 7 of "a > c,x,5,0"
    check(re.match(r"bad_paths\.csv:3:\d+: ", err), err)
    rc, _, err = run("attribute", "--paths", "missing.csv", "-m", "first")
    # the library's message names the file once, and says why
    check(rc == 1 and err.count("missing.csv") == 1 and
          "No such file or directory" in err, err)


# ---- import: RFC 4180, BOM, CRLF, headers, malformed rows -----------------

BAD = [
    # line, column, message fragment (hand-counted byte columns)
    (3, 29, "expected 3 fields, got 2"),       # 28 bytes then the end
    (4, 1, "is not a date"),                   # month 13
    (5, 23, "quote inside an unquoted field"),  # 21 + 'd' + '"'
    (6, 31, "text after a closing quote"),      # 21 + '"e@x.com"' + 'x'
    (7, 31, "invalid UTF-8"),                   # field 3 at 30, 0xff at 31
    (8, 1, "no identity key"),
    (9, 1, "not an e-mail address"),            # refused by the library
    (11, 22, "unterminated quoted field"),      # the opening quote
]


@test
def malformed_rows_are_reported_and_skipped():
    rc, out, err = run("import", "--touches", "bad_touches.csv", "-f",
                       "json")
    check(rc == 1, "exit %d" % rc)
    for line, col, msg in BAD:
        pat = r"^bad_touches\.csv:%d:%d: .*%s" % (line, col, re.escape(msg))
        check(re.search(pat, err, re.M), "missing %s in\n%s" % (pat, err))
    obj = json.loads(out)
    f = obj["files"][0]
    # 10 data rows; good: lines 2 and 10
    check((f["rows"], f["imported"], f["skipped"]) == (10, 2, 8), f)
    check(obj["touches"] == 2 and obj["errors"] == 8, obj)


@test
def strict_stops_at_the_first_bad_row():
    rc, out, err = run("import", "--touches", "bad_touches.csv", "--strict",
                       "-f", "json")
    check(rc == 1, rc)
    obj = json.loads(out)
    f = obj["files"][0]
    check(obj["stopped"] is True and f["skipped"] == 1 and
          f["imported"] == 1 and f["rows"] == 2, obj)
    check(err.count("bad_touches.csv:") == 1, err)


@test
def store_keeps_imports_across_invocations():
    with tempfile.TemporaryDirectory() as d:
        store = os.path.join(d, "store")
        rc, out, err = run("import", "--store", store, "--deals",
                           "deals.csv", "--touches", "touches.csv", "--now",
                           "2025-06-01")
        check(rc == 0, err)
        check("deals.csv (deals): 4 rows, 4 imported, 0 skipped" in out, out)
        check(os.path.isdir(store), "store not created")
        rc, out, err = run("import", "--store", store, "--costs",
                           "costs.csv", "-f", "json")
        obj = json.loads(out)
        # the store's totals: 6 touches and 3 deals from the first run
        check(rc == 0 and obj["persisted"] is True and
              (obj["touches"], obj["deals"], obj["costs"]) == (6, 3, 3), obj)
        # no input file: everything comes from the store
        rc, out, err = run("report", "--store", store, "--now", "2025-06-01",
                           "-f", "json", "-q")
        check(rc == 0, err)
        r = json.loads(out)["sections"]
        check((r["deals"]["won"], r["deals"]["won_amount"]) == (1, 100050),
              r["deals"])
        roi = {x["channel"]: x for x in r["roi"]}
        check(roi["sem"]["cost"] == 10000 and
              roi["sem"]["revenue"] == 25013, roi["sem"])


@test
def stats_after_import():
    # contacts: ana, cy (contacts.csv), ck-1 merged into ana, bo: 3 live,
    # 1 merge; accounts "Acme, Inc." and Beta; keys: 3 e-mails + ck-1.
    rc, out, err = run("stats", "--accounts", "accounts.csv", "--contacts",
                       "contacts.csv", "--touches", "touches.csv", "--deals",
                       "deals.csv", "--costs", "costs.csv", "-f", "json",
                       "-q")
    check(rc == 0, err)
    s = json.loads(out)
    check((s["contacts"], s["merges"], s["accounts"], s["touches"],
           s["deals"], s["costs"], s["identity_keys"]) ==
          (3, 1, 2, 6, 3, 3, 4), s)
    rc, out, _ = run("stats", "--touches", "touches.csv", "-f", "csv", "-q")
    check(out.startswith("metric,value\ncontacts,3\n"), out)


@test
def show_contact_reads_quotes_newlines_bom_crlf_and_merges():
    rc, out, err = run("show", "contact", "email", "ANA@acme.com",
                       "--accounts", "accounts.csv", "--contacts",
                       "contacts.csv", "--touches", "touches.csv",
                       "--deals", "deals.csv", "-f", "json", "-q")
    check(rc == 0, err)
    c = json.loads(out)
    check(sorted((k["kind"], k["value"]) for k in c["keys"]) ==
          [("cookie_id", "ck-1"), ("email", "ana@acme.com")], c["keys"])
    check(c["attributes"] == {"first_name": "Ana", "title": "Head of IT",
                              "notes": 'line one\nline two with "quotes"'},
          c["attributes"])
    check(c["tags"] == ["newsletter", "vip"], c["tags"])
    check(c["account"] == "Acme, Inc.", c["account"])
    tl = c["timeline"]
    check([t["channel"] for t in tl] == ["paid_search", "email", "webinar"],
          tl)
    check(tl[1]["campaign"] == "spring, promo", tl[1])
    # 2025-01-10T09:00:00Z = 20098 days * 86400000 + 9 h
    check(tl[2]["time_ms"] == 20098 * 86400000 + 9 * 3600000, tl[2])
    check(c["deals"] == [{"deal_id": "D1", "status": "won",
                          "amount": 100050, "currency": "USD"}], c["deals"])
    rc, out, _ = run("show", "contact", "email", "nobody@x.com",
                     "--touches", "touches.csv", "-q")
    check(rc == 1, rc)
    rc, out, _ = run("show", "contact", "--touches", "touches.csv")
    check(rc == 2, rc)
    rc, out, _ = run("show", "contact", "email", "ana@acme.com",
                     "--touches", "touches.csv", "-q")
    check(rc == 0 and "Timeline" in out and "spring, promo" in out, out)


# ---- report ---------------------------------------------------------------

def report_json(*extra):
    rc, out, err = run("report", "--accounts", "accounts.csv", "--contacts",
                       "contacts.csv", "--touches", "touches.csv", "--deals",
                       "deals.csv", "--costs", "costs.csv", "--now",
                       "2025-06-01", "-f", "json", "-q", *extra)
    check(rc == 0, err)
    return json.loads(out)


@test
def report_deals_section_by_hand():
    r = report_json()
    d = r["sections"]["deals"]
    # D1 won 1000.50 (one deal, two contact rows), D2 lost 500, D3 open 200
    check((d["deals"], d["won"], d["lost"], d["open"]) == (3, 1, 1, 1), d)
    check(d["win_rate"] == 0.5, d)
    check((d["won_amount"], d["lost_amount"], d["pipeline"]) ==
          (100050, 50000, 20000), d)
    check(d["avg_deal_size"] == 100050, d)
    # one won deal, 2025-01-01 -> 2025-02-01: median and p90 are 31 days
    check(d["cycle_median_days"] == 31 and d["cycle_p90_days"] == 31 and
          d["currency"] == "USD", d)
    # forecast: D3 (open, 200.00) x the win rate 1 / 2 = 100.00
    check(d["forecast"] == 10000 and d["forecast_deals"] == 1, d)
    st = {x["stage"]: x for x in r["sections"]["deal_stages"]}
    # deals.csv has no stage column: the stage is the status as spelt
    check(set(st) == {"won", "lost", "open"} and
          st["won"]["status"] == "won" and st["won"]["amount"] == 100050 and
          close(st["open"]["share"], 1 / 3), st)
    own = r["sections"]["deals_by_owner"]
    check(len(own) == 1 and own[0]["owner"] == "(none)" and
          own[0]["deals"] == 3, own)
    f = r["sections"]["funnel"]
    check([(s["step"], s["count"]) for s in f] ==
          [("deals", 3), ("closed", 2), ("won", 1)], f)


@test
def report_attribution_and_roi_by_hand():
    r = report_json("--model", "first,linear,markov")
    a = r["sections"]["attribution"]
    # D1's journey (ana incl. her anonymous cookie touch, and bo, up to
    # 2025-02-01): paid_search, email, webinar, sem; D2 (lost): seo,
    # trade_show.
    # (engine attribution: account scope, 90-day lookback; D1's window
    # [2024-11-03, 2025-02-01] holds all four touches of Acme's contacts,
    # D2's [.., 2025-01-20] both of cy's; the lost deal is the one null
    # journey, every contact is on a deal)
    check(a["journeys"] == {"conversions": 1, "nonconverting": 1,
                            "touches": 6, "untouched": 0,
                            "untouched_value": 0, "other_currency": 0},
          a["journeys"])
    check(a["by"] == "channel" and a["scope"] == "account" and
          a["lookback_days"] == 90, a)
    first, linear, markov = a["results"]
    check(first["model"] == "first" and first["total_value"] == 1000.5,
          first)
    check(rows_by_key(first)["paid_search"]["conversions"] == 1, first)
    for res in (linear, markov):
        rows = rows_by_key(res)
        for ch in ("paid_search", "email", "webinar", "sem"):
            check(close(rows[ch]["conversions"], .25), (res["model"], ch))
            check(close(rows[ch]["value"], 250.125), (res["model"], ch))
        check(rows["seo"]["conversions"] == 0, rows)
    roi = {x["channel"]: x for x in r["sections"]["roi"]}
    # sem: cost 100.00 = 10000 minor; linear value 250.125 = 25012.5 minor,
    # rounded half away from zero to 25013; ROI = (25013 - 10000) / 10000
    check(roi["sem"]["cost"] == 10000, roi["sem"])
    check(roi["sem"]["revenue"] == 25013, roi["sem"])
    check(close(roi["sem"]["roi"], 1.5013), roi["sem"])
    check(close(roi["sem"]["roas"], 2.5013), roi["sem"])
    # customers: linear credit 1/4 of the one won deal; cost per customer
    # 10000 / 0.25 = 40000
    check(close(roi["sem"]["customers"], .25) and
          roi["sem"]["cost_per_customer"] == 40000, roi["sem"])
    # webinar cost: quarter 2025-Q1, 30 -> 3000
    check(roi["webinar"]["cost"] == 3000 and roi["email"]["cost"] == 5000,
          roi)
    check(roi["paid_search"]["cost"] == 0 and
          roi["paid_search"]["roi"] is None, roi["paid_search"])
    # pipeline (created deals, linear): D1 (created 2025-01-01) and D2
    # (01-02) have no touch in the 90 days before creation; D3 (Beta,
    # created 03-01, 200.00) has cy's seo and trade_show touches: 100.00
    # and half an opportunity each
    check(roi["seo"]["pipeline"] == 10000 and
          roi["trade_show"]["pipeline"] == 10000 and
          close(roi["seo"]["opportunities"], .5) and
          roi["sem"]["pipeline"] == 0, roi)


@test
def report_cohorts_and_time_to_convert_by_hand():
    r = report_json()
    s = r["sections"]
    # created: D1 2025-01-01 (won 02-01: 31 days), D2 01-02 (lost 01-20:
    # 18 days, censored), D3 03-01 (open; censored at --now 2025-06-01,
    # 31 + 30 + 31 = 92 days)
    co = {x["cohort"]: x for x in s["cohorts"]}
    check(list(co) == ["2025-01", "2025-02", "2025-03"], list(co))
    jan, feb, mar = co["2025-01"], co["2025-02"], co["2025-03"]
    check((jan["deals"], jan["won"], jan["lost"], jan["open"],
           jan["won_amount"]) == (2, 1, 1, 0, 100050), jan)
    check(jan["win_rate"] == 0.5 and jan["won_share"] == 0.5, jan)
    # both January deals are >= 30/60/90 days old; D1 needed 31 days;
    # none is 180 days old on 2025-06-01 (151 days)
    check((jan["won_within_30d"], jan["won_within_60d"],
           jan["won_within_90d"], jan["won_within_180d"]) ==
          (0, 0.5, 0.5, None), jan)
    check(feb["deals"] == 0 and feb["win_rate"] is None, feb)
    check(mar["open"] == 1 and mar["win_rate"] is None and
          mar["won_within_90d"] == 0 and mar["won_within_180d"] is None, mar)
    t = s["time_to_convert"]
    # Kaplan-Meier: t=18 n=3 censored 1 -> S 1; t=31 n=2 won 1 -> S 1/2;
    # t=92 n=1 censored -> S 1/2.  Median: first S <= 1/2, day 31.  Cold
    # (window 30, 5 %): c(d) = 1 - S(d+30)/S(d) is 1/2 for d in 1..30 and 0
    # from day 31 on, so day 31.
    check((t["n"], t["conversions"], t["censored"]) == (3, 1, 2), t)
    check(t["median_days"] == 31 and t["cold_day"] == 31 and
          t["window_days"] == 30 and t["cold_threshold"] == 0.05, t)
    curve = [(x["days"], x["at_risk"], x["converted"], x["censored"],
              x["survival"]) for x in t["curve"]]
    check(curve == [(18, 3, 0, 1, 1), (31, 2, 1, 0, 0.5),
                    (92, 1, 0, 1, 0.5)], curve)
    # Greenwood at 31: 0.5 x sqrt(1 / (2 x 1))
    check(close(t["curve"][1]["std_error"], 0.5 * math.sqrt(0.5)),
          t["curve"][1])


TINY_MODEL = """# a model small enough to score by hand
model tiny
fit title = cfo +30
engage channel = webinar +7
engage type = email_click +2
key_event clicked when type = email_click +1
grade A fit >= 30
band 1 engagement >= 9
threshold hot when cell = A1 or key_event clicked
"""


def with_model(text, *args, **kw):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.model")
        with open(path, "w") as f:
            f.write(text)
        return run(*[a.replace("@MODEL", path) for a in args], **kw)


FIXTURE = ["--accounts", "accounts.csv", "--contacts", "contacts.csv",
           "--touches", "touches.csv", "--deals", "deals.csv"]


@test
def score_with_a_model_file_by_hand():
    # ana (Head of IT): fit 0; her touches (the cookie visit merged in, an
    # email click, a webinar): 2 + 1 (key event) + 7 = 10 -> D, band 1, D1
    # cy (CFO): fit 30, a visit and an event visit: engagement 0 -> A4
    # bo (deal contact only): 0 and a sem visit -> D4
    rc, out, err = with_model(TINY_MODEL, "score", "--model", "@MODEL",
                              *FIXTURE, "--now", "2025-06-01", "-f", "json",
                              "-q")
    check(rc == 0, err)
    o = json.loads(out)
    check(o["model"]["name"] == "tiny" and o["contacts"] == 3, o["model"])
    top = [(x["contact"], x["fit"], x["engagement"], x["score"], x["grade"],
            x["cell"], x["key_events"], x["thresholds"]) for x in o["top"]]
    check(top == [("cy@beta.io", 30, 0, 30, "A", "A4", "", ""),
                  ("ana@acme.com", 0, 10, 10, "D", "D1", "clicked", "hot"),
                  ("bo@acme.com", 0, 0, 0, "D", "D4", "", "")], top)
    cells = {x["cell"]: x["contacts"] for x in o["cells"] if x["contacts"]}
    check(cells == {"A4": 1, "D1": 1, "D4": 1}, cells)
    check(o["top"][0]["account"] == "Beta", o["top"][0])
    rc, out, _ = with_model(TINY_MODEL, "score", "--model", "@MODEL",
                            *FIXTURE, "--top", "1", "-f", "csv", "-q")
    lines = out.strip().split("\n")
    check(len(lines) == 2 and lines[1].startswith("cy@beta.io,Beta,"),
          lines)


@test
def show_contact_prints_score_and_explanation():
    rc, out, err = with_model(TINY_MODEL, "show", "contact", "email",
                              "ana@acme.com", "--model", "@MODEL", *FIXTURE,
                              "--now", "2025-06-01", "-f", "json", "-q")
    check(rc == 0, err)
    sc = json.loads(out)["score"]
    check((sc["model"], sc["fit"], sc["engagement"], sc["total"],
           sc["grade"], sc["band"], sc["cell"]) ==
          ("tiny", 0, 10, 10, "D", 1, "D1"), sc)
    check(sc["key_events"] == ["clicked"] and sc["thresholds"] == ["hot"] and
          sc["firings"] == 1, sc)
    ex = [(x["kind"], x["matched"], x["counted"], x["raw"], x["value"])
          for x in sc["explanation"]]
    # one row per rule: fit (no match), webinar (1 touch, 7), click (1
    # touch, 2), key event (1 firing, 1); the values sum to the score
    check(ex == [("fit", 0, 0, 0, 0), ("engage", 1, 1, 7, 7),
                 ("engage", 1, 1, 2, 2), ("key_event", 1, 1, 1, 1)], ex)
    check(sc["explanation"][1]["rule"].startswith("engage channel"),
          sc["explanation"][1])
    check(sum(x["value"] for x in sc["explanation"]) == sc["total"], sc)
    rc, out, _ = with_model(TINY_MODEL, "show", "contact", "email",
                            "ana@acme.com", "--model", "@MODEL", *FIXTURE,
                            "-q")
    check(rc == 0 and "Score (model tiny)" in out and "D / 1 / D1" in out and
          'key_event "clicked" when type = email_click' in out, out)


@test
def bad_scoring_model_is_reported_with_line_and_column():
    bad = "model x\nfit title = cfo 30\n"
    rc, out, err = with_model(bad, "score", "--model", "@MODEL",
                              "--touches", "touches.csv", "-q")
    check(rc == 1, rc)
    check(re.search(r"m\.model:2:\d+: .*sign", err), err)
    # binary garbage, an empty file: errors, never a crash
    for text in ("\x00\xff\xfe garbage", "", "model"):
        rc, _, err = with_model(text, "show", "contact", "email",
                                "ana@acme.com", "--model", "@MODEL",
                                "--touches", "touches.csv", "-q")
        check(rc == 1 and "m.model:" in err, (text, rc, err))


def doc_default_model():
    doc = open(os.path.join(ROOT, "docs", "cli.md"), encoding="utf-8").read()
    m = re.search(r"<!-- default-model -->\n```\n(.*?)```", doc, re.S)
    check(m, "docs/cli.md has no default-model block")
    return m.group(1)


@test
def default_model_is_the_documented_one():
    rc, out, err = run("score", *FIXTURE, "--now", "2025-06-01", "-f",
                       "json", "-q")
    check(rc == 0, err)
    default = json.loads(out)
    check(default["model"]["source"] == "built-in" and
          default["model"]["name"] == "funnelcore-default", default["model"])
    rc, out, err = with_model(doc_default_model(), "score", "--model",
                              "@MODEL", *FIXTURE, "--now", "2025-06-01",
                              "-f", "json", "-q")
    check(rc == 0, err)
    doc = json.loads(out)
    check(doc["model"]["fingerprint"] == default["model"]["fingerprint"],
          (doc["model"], default["model"]))
    check(doc["top"] == default["top"], "scores differ")
    # cy (CFO): e-mail +5, title in (..., cfo, ...) +20 = 25: grade A
    cy = [x for x in default["top"] if x["contact"] == "cy@beta.io"][0]
    check(cy["fit"] == 25 and cy["grade"] == "A", cy)


@test
def report_has_score_sections_and_model_option_stays_attribution():
    r = report_json("--model", "first,linear", "--top", "2")
    s = r["sections"]
    check([x["model"] for x in s["attribution"]["results"]] ==
          ["first", "linear"], s["attribution"])
    check(r["scoring_model"] == {"name": "funnelcore-default",
                                 "source": "built-in"}, r["scoring_model"])
    check(len(s["top_contacts"]) == 2 and
          s["top_contacts"][0]["contact"] == "cy@beta.io", s["top_contacts"])
    check(sum(x["contacts"] for x in s["score_cells"]) == 3, s["score_cells"])
    # a scoring-model file through --model in report
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "tiny.model")
        open(path, "w").write(TINY_MODEL)
        r = report_json("--model", path, "-m", "first")
    check(r["scoring_model"]["name"] == "tiny" and
          [x["model"] for x in r["sections"]["attribution"]["results"]] ==
          ["first"], r["scoring_model"])


@test
def report_html_has_the_six_charts():
    with tempfile.TemporaryDirectory() as d:
        html = os.path.join(d, "r.html")
        rc, _, err = run("report", *FIXTURE, "--costs", "costs.csv",
                         "--now", "2025-06-01", "--html", html, "-q", "-o",
                         os.devnull)
        check(rc == 0, err)
        page = open(html, encoding="utf-8").read()
    for cid in ("chart-funnel", "chart-stages", "chart-attribution",
                "chart-roi", "chart-velocity", "chart-survival"):
        check(('id="%s"' % cid) in page, cid)
    vel = re.search(r'id="chart-velocity"(.*?)</svg>', page, re.S).group(1)
    check(vel.count('class="bar"') == 1 and "31 / 31 d" in vel, vel)
    sur = re.search(r'id="chart-survival"(.*?)</svg>', page, re.S).group(1)
    check('class="curve"' in sur and "median 31 d" in sur and
          "cold from day 31" in sur, sur)
    # a stage machine runs (the built-in one): chart-stages is its funnel,
    # one bar per stage (6 funnel stages, 3 side stages)
    st = re.search(r'<svg id="chart-stages"(.*?)</svg>', page, re.S).group(1)
    check('aria-label="Lifecycle stages"' in st and
          st.count('class="bar"') == 9, st)
    # the deals by their stage column beside it (won, lost, open)
    ds = re.search(r'<svg id="chart-deal-stages"(.*?)</svg>', page,
                   re.S).group(1)
    check(ds.count('class="bar"') == 3, ds)
    # without a machine, they are chart-stages
    with tempfile.TemporaryDirectory() as d:
        html = os.path.join(d, "r.html")
        rc, _, err = run("report", *FIXTURE, "--costs", "costs.csv",
                         "--now", "2025-06-01", "--html", html, "-q", "-o",
                         os.devnull, "--no-stages")
        check(rc == 0, err)
        page = open(html, encoding="utf-8").read()
    st = re.search(r'<svg id="chart-stages"(.*?)</svg>', page, re.S).group(1)
    check('aria-label="Deals by stage"' in st and
          st.count('class="bar"') == 3 and
          'id="chart-deal-stages"' not in page, st)


# ---- lifecycle stages -----------------------------------------------------

# tests/cli/data/cli_test.stages, transitions numbered from 0:
#   0 lead -> engaged on touch type = "webinar_attend"
#   1 engaged -> qualified on event sales_accept
#   2 * -> cold back on event disqualify
#   3 engaged -> cold back on idle 30d
#   4 cold -> engaged on touch
#   SLA 0: engaged, accept within 2d
# A history record names its rule (`rule_text`, the "rule" column) by the
# rule's statement in the machine's canonical text (docs/stages.md: one
# statement a line, keywords lower case, strings quoted, defaults left
# out): the fixture's lines are written that way, so they are the names.
CLI_TEST_T = ['transition lead -> engaged on touch type = "webinar_attend"',
              "transition engaged -> qualified on event sales_accept",
              "transition * -> cold back on event disqualify",
              "transition engaged -> cold back on idle 30d",
              "transition cold -> engaged on touch"]
CLI_TEST_SLA = ["sla engaged accept within 2d"]
# stages_touches.csv (sorted by time) and stages_events.csv, --now
# 2025-06-01 (every timer due by then fires at the final tick):
#   ann: visit 03-01 (created: lead); webinar 03-05 09:00 -> engaged; the
#        SLA deadline 03-07 09:00 passes (breach); idle 30 days from
#        03-05 09:00 -> cold 04-04 09:00.
#   ben: visit 03-02 (lead); event disqualify (written "Disqualify" for
#        BEN@B.COM: names and e-mails are folded) 03-10 08:00, reason
#        student -> cold.
#   cat: webinar 03-03 09:00 (created, and -> engaged at once); breach
#        03-05 09:00; idle -> cold 04-02 09:00; a click 04-20 09:00 ->
#        engaged again (rule 4); breach 04-22 09:00; idle -> cold 05-20.
#   dan: webinar 03-04 09:00 -> engaged; breach 03-06 09:00 (the accept
#        comes 3 hours late); sales_accept 03-06 12:00 -> qualified.  His
#        click on 04-10 changes nothing, which holds only because the
#        event reaches the machine before that touch: sent after all the
#        touches, the click would first have moved him to cold (idle since
#        03-04: due 04-03) and then back to engaged, and the accept would
#        have counted from that entry, 04-10.
STAGE_RUN = ["--touches", "stages_touches.csv", "--events",
             "stages_events.csv", "--stages", "cli_test.stages", "--now",
             "2025-06-01", "-q"]


def ms(iso):
    return int(datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp() * 1000)


def rec(time, record, cause, frm, to, rule, back=False, reason=None,
        owner=None, prev_owner=None, text=None):
    return {"time": time, "time_ms": ms(time), "record": record,
            "cause": cause, "from": frm, "to": to, "back": back,
            "rule": rule, "rule_text": text, "owner": owner,
            "prev_owner": prev_owner, "reason": reason}


def statements(path, keyword):
    """The statements of a machine file that start with `keyword`, in file
    order (comments and blank lines dropped)."""
    lines = [ln.strip() for ln in open(path, encoding="utf-8")]
    return [ln for ln in lines if ln.split(" ")[0] == keyword]


STAGE_HISTORY = {
    "ann@a.com": [
        rec("2025-03-01T09:00:00Z", "transition", "start", None, "lead", None),
        rec("2025-03-05T09:00:00Z", "transition", "touch", "lead", "engaged",
            0, text=CLI_TEST_T[0]),
        rec("2025-03-07T09:00:00Z", "breach", "timer", "engaged", "engaged",
            0, text=CLI_TEST_SLA[0]),
        rec("2025-04-04T09:00:00Z", "transition", "timer", "engaged", "cold",
            3, back=True, text=CLI_TEST_T[3])],
    "ben@b.com": [
        rec("2025-03-02T09:00:00Z", "transition", "start", None, "lead", None),
        rec("2025-03-10T08:00:00Z", "transition", "event", "lead", "cold", 2,
            back=True, reason="student", text=CLI_TEST_T[2])],
    "cat@c.com": [
        rec("2025-03-03T09:00:00Z", "transition", "start", None, "lead", None),
        rec("2025-03-03T09:00:00Z", "transition", "touch", "lead", "engaged",
            0, text=CLI_TEST_T[0]),
        rec("2025-03-05T09:00:00Z", "breach", "timer", "engaged", "engaged",
            0, text=CLI_TEST_SLA[0]),
        rec("2025-04-02T09:00:00Z", "transition", "timer", "engaged", "cold",
            3, back=True, text=CLI_TEST_T[3]),
        rec("2025-04-20T09:00:00Z", "transition", "touch", "cold", "engaged",
            4, text=CLI_TEST_T[4]),
        rec("2025-04-22T09:00:00Z", "breach", "timer", "engaged", "engaged",
            0, text=CLI_TEST_SLA[0]),
        rec("2025-05-20T09:00:00Z", "transition", "timer", "engaged", "cold",
            3, back=True, text=CLI_TEST_T[3])],
    "dan@d.com": [
        rec("2025-03-04T09:00:00Z", "transition", "start", None, "lead", None),
        rec("2025-03-04T09:00:00Z", "transition", "touch", "lead", "engaged",
            0, text=CLI_TEST_T[0]),
        rec("2025-03-06T09:00:00Z", "breach", "timer", "engaged", "engaged",
            0, text=CLI_TEST_SLA[0]),
        rec("2025-03-06T12:00:00Z", "transition", "event", "engaged",
            "qualified", 1, text=CLI_TEST_T[1])],
}
# name, rank, entered, reached
STAGE_NOW = {
    "ann@a.com": ("cold", 0, "2025-04-04T09:00:00Z", ["lead", "engaged",
                                                       "cold"]),
    "ben@b.com": ("cold", 0, "2025-03-10T08:00:00Z", ["lead", "cold"]),
    "cat@c.com": ("cold", 0, "2025-05-20T09:00:00Z", ["lead", "engaged",
                                                       "cold"]),
    "dan@d.com": ("qualified", 3, "2025-03-06T12:00:00Z",
                  ["lead", "engaged", "qualified"]),
}


@test
def stages_file_show_state_and_history_by_hand():
    for email, want in STAGE_HISTORY.items():
        rc, out, err = run("show", "contact", "email", email, *STAGE_RUN,
                           "-f", "json")
        check(rc == 0, err)
        st = json.loads(out)["stage"]
        check(st["history"] == want, (email, st["history"]))
        name, rank, entered, reached = STAGE_NOW[email]
        check((st["machine"], st["source"], st["name"], st["rank"],
               st["entered"], st["entered_ms"], st["owner"], st["reached"],
               st["unsubscribed"]) ==
              ("cli-test", "cli_test.stages", name, rank, entered,
               ms(entered), None, reached, False), (email, st))
    path = os.path.join(DATA, "cli_test.stages")
    check(statements(path, "transition") == CLI_TEST_T and
          statements(path, "sla") == CLI_TEST_SLA, "names = fixture lines")
    rc, out, err = run("show", "contact", "email", "cat@c.com", *STAGE_RUN)
    check(rc == 0, err)
    check("Stage (machine cli-test, cli_test.stages)" in out and
          "Stage history" in out, out)
    lines = [ln.split() for ln in out.split("\n")]
    check(["reached", "lead,", "engaged,", "cold"] in lines, out)
    # the last column names the rule; the start has none
    check(["2025-03-03T09:00:00Z", "transition", "start", "-", "lead", "-",
           "-", "-"] in lines and
          ["2025-04-20T09:00:00Z", "transition", "touch", "cold", "engaged",
           "-", "-"] + CLI_TEST_T[4].split() in lines and
          ["2025-04-22T09:00:00Z", "breach", "timer", "engaged", "engaged",
           "-", "-"] + CLI_TEST_SLA[0].split() in lines and
          ["2025-05-20T09:00:00Z", "transition", "(back)", "timer", "engaged",
           "cold", "-", "-"] + CLI_TEST_T[3].split() in lines, out)


@test
def stages_show_csv_merges_touches_and_history_in_time_order():
    rc, out, err = run("show", "contact", "email", "cat@c.com", *STAGE_RUN,
                       "-f", "csv")
    check(rc == 0, err)
    rows = list(csv.reader(out.splitlines()))
    check(rows[0] == ["time", "type", "channel", "campaign", "content",
                      "value", "by", "stage_record", "cause", "from", "to",
                      "owner", "reason", "rule"], rows[0])
    # cat's two touches (03-03 webinar, 04-20 click) among her 7 records;
    # at 03-03 09:00 the touch first, then the start and the transition
    # it caused
    T, S = CLI_TEST_T, CLI_TEST_SLA
    got = [(r[0], r[1] or r[7], r[8], r[9], r[10], r[13]) for r in rows[1:]]
    check(got == [
        ("2025-03-03T09:00:00Z", "webinar_attend", "", "", "", ""),
        ("2025-03-03T09:00:00Z", "transition", "start", "", "lead", ""),
        ("2025-03-03T09:00:00Z", "transition", "touch", "lead", "engaged",
         T[0]),
        ("2025-03-05T09:00:00Z", "breach", "timer", "engaged", "engaged",
         S[0]),
        ("2025-04-02T09:00:00Z", "transition", "timer", "engaged", "cold",
         T[3]),
        ("2025-04-20T09:00:00Z", "email_click", "", "", "", ""),
        ("2025-04-20T09:00:00Z", "transition", "touch", "cold", "engaged",
         T[4]),
        ("2025-04-22T09:00:00Z", "breach", "timer", "engaged", "engaged",
         S[0]),
        ("2025-05-20T09:00:00Z", "transition", "timer", "engaged", "cold",
         T[3])],
        got)
    # her touches name nobody: "-", as a missing campaign
    check(rows[1][2] == "webinar" and rows[1][5] == "0" and
          rows[1][6] == "-", rows[1])


@test
def stages_report_section_by_hand():
    rc, out, err = run("report", *STAGE_RUN, "-f", "json")
    check(rc == 0, err)
    r = json.loads(out)
    check(r["stage_machine"] == {"name": "cli-test", "version": 3,
                                 "source": "cli_test.stages",
                                 "stored": False}, r["stage_machine"])
    # now: ann, ben, cat cold; dan qualified.  The cohort: all 4 entered
    # lead (their start).  Reached: lead 4, engaged ann, cat, dan (3),
    # qualified dan (1), won none, cold ann, ben, cat (3).  To the next
    # funnel stage: lead -> engaged 3/4, engaged -> qualified 1/3,
    # qualified -> won 0/1; won (the last) and cold (side) have none.
    # Velocity (days from the first entry to the next stage's, every first
    # entry here a transition): lead -> engaged ann 03-01 09:00 -> 03-05
    # 09:00 = 4, cat 0, dan 0: sorted 0, 0, 4, median 0, p90 the
    # ceil(0.9 * 3) = 3rd = 4; engaged -> qualified dan 03-04 09:00 ->
    # 03-06 12:00 = 2 days 3 hours = 2.125; qualified -> won: nobody.
    got = [(x["stage"], x["rank"], x["current"], x["reached"],
            x["to_stage"], x["conversion"], x["velocity_median_days"],
            x["velocity_p90_days"]) for x in r["sections"]["stages"]]
    check(got == [("lead", 1, 0, 4, "engaged", 0.75, 0, 4),
                  ("engaged", 2, 0, 3, "qualified", 1 / 3, 2.125, 2.125),
                  ("qualified", 3, 1, 1, "won", 0, None, None),
                  ("won", 4, 0, 0, None, None, None, None),
                  ("cold", 0, 3, 3, None, None, None, None)], got)
    ev = r["inputs"][0]
    check((ev["file"], ev["kind"], ev["rows"], ev["imported"],
           ev["skipped"], ev["notes"]) ==
          ("stages_events.csv", "events", 2, 2, 0, {"sent_late": 0}), ev)
    rc, out, _ = run("report", *STAGE_RUN)
    check("Lifecycle stages (machine cli-test)" in out, out)
    check(["engaged", "2", "0", "3", "qualified", "33.3%", "2.1", "2.1"] in
          [ln.split() for ln in out.split("\n")], out)
    rc, out, _ = run("report", *STAGE_RUN, "-f", "csv")
    check("stages,qualified,current,1" in out.split("\n") and
          "stages,cold,reached,3" in out.split("\n"), out)
    # the HTML chart: a bar per stage, titled with both counts
    with tempfile.TemporaryDirectory() as d:
        html = os.path.join(d, "r.html")
        rc, _, err = run("report", *STAGE_RUN, "--html", html, "-o",
                         os.devnull)
        check(rc == 0, err)
        page = open(html, encoding="utf-8").read()
    st = re.search(r'<svg id="chart-stages"(.*?)</svg>', page, re.S).group(1)
    titles = re.findall(r"<title>([^<]*)</title>", st)
    check(titles == ["lead: 4 reached, 0 now", "engaged: 3 reached, 0 now",
                     "qualified: 1 reached, 1 now", "won: 0 reached, 0 now",
                     "cold: 3 reached, 3 now"], titles)
    # score --stages: the top contacts' stage
    rc, out, err = run("score", *STAGE_RUN, "-f", "json")
    check(rc == 0, err)
    check({x["contact"]: x["stage"] for x in json.loads(out)["top"]} ==
          {"ann@a.com": "cold", "ben@b.com": "cold", "cat@c.com": "cold",
           "dan@d.com": "qualified"}, out)


# The built-in machine with the built-in scoring model, stages_mql.csv:
#   eve: trial_request (key event +25), webinar_attend (+10) and a visit
#        (+1) at 2025-03-08 09:00, one e-mail key (+5 fit: grade C): score
#        41 >= 40 and grade >= C, so the threshold "mql" holds.  The three
#        touches arrive in one batch, so her start evaluation already sees
#        them: inquiry, then -> mql (transition 0) at once, cause start;
#        routing on mql: account_owner, and her account (e.com, from the
#        e-mail domain) has no owner, so the fallback queue "unassigned";
#        SLA 0 (mql: accept within 2d) breached 03-10 09:00; idle 30 days
#        -> nurture (transition 12) 04-07 09:00.
#   fay: one visit, fit 5 + 1: stays in inquiry.
# Stages: inquiry now 1 (fay), reached 2, to mql 1/2 (eve, 0 days: she
# entered both at t0); mql reached 1, to sal 0/1 (no velocity); sal and
# later reached 0 (conversion null); nurture now 1, reached 1 (eve).
@test
def default_machine_by_hand():
    rc, out, err = run("show", "contact", "email", "eve@e.com", "--touches",
                       "stages_mql.csv", "--now", "2025-06-01", "-q", "-f",
                       "json")
    check(rc == 0, err)
    st = json.loads(out)["stage"]
    check((st["machine"], st["source"], st["name"], st["rank"],
           st["entered"], st["owner"], st["reached"]) ==
          ("waterfall", "built-in", "nurture", 0, "2025-04-07T09:00:00Z",
           "unassigned", ["inquiry", "mql", "nurture"]), st)
    t0 = "2025-03-08T09:00:00Z"
    # rules named by their lines in docs/stages.md, "The default machine"
    # (transitions 0 and 12, SLA 0; the assignment matched no route: the
    # fallback queue's)
    check(st["history"] == [
        rec(t0, "transition", "start", None, "inquiry", None),
        rec(t0, "transition", "start", "inquiry", "mql", 0,
            text='transition inquiry -> mql when threshold "mql"'),
        rec(t0, "assign", "start", "mql", "mql", None, owner="unassigned",
            text='fallback queue "unassigned"'),
        rec("2025-03-10T09:00:00Z", "breach", "timer", "mql", "mql", 0,
            owner="unassigned", prev_owner="unassigned",
            text="sla mql accept within 2d"),
        rec("2025-04-07T09:00:00Z", "transition", "timer", "mql", "nurture",
            12, back=True, owner="unassigned", prev_owner="unassigned",
            text="transition mql -> nurture back on idle 30d")],
        st["history"])
    rc, out, err = run("report", "--touches", "stages_mql.csv", "--now",
                       "2025-06-01", "-q", "-f", "json")
    check(rc == 0, err)
    r = json.loads(out)
    check(r["stage_machine"] == {"name": "waterfall", "version": 1,
                                 "source": "built-in", "stored": False},
          r["stage_machine"])
    got = [(x["stage"], x["current"], x["reached"], x["to_stage"],
            x["conversion"], x["velocity_median_days"],
            x["velocity_p90_days"]) for x in r["sections"]["stages"]]
    check(got == [("inquiry", 1, 2, "mql", 0.5, 0, 0),
                  ("mql", 0, 1, "sal", 0, None, None),
                  ("sal", 0, 0, "sql", None, None, None),
                  ("sql", 0, 0, "opportunity", None, None, None),
                  ("opportunity", 0, 0, "customer", None, None, None),
                  ("customer", 0, 0, None, None, None, None),
                  ("nurture", 1, 1, None, None, None, None),
                  ("recycled", 0, 0, None, None, None, None),
                  ("disqualified", 0, 0, None, None, None, None)], got)
    check([x["rank"] for x in r["sections"]["stages"]] ==
          [1, 2, 3, 4, 5, 6, 0, 0, 0], r["sections"]["stages"])


@test
def no_stages_runs_no_machine():
    rc, out, err = run("report", "--touches", "stages_mql.csv", "--now",
                       "2025-06-01", "-q", "-f", "json", "--no-stages")
    check(rc == 0, err)
    r = json.loads(out)
    check(r["stage_machine"] is None and "stages" not in r["sections"], r)
    check(all(len(x) == 10 for x in r["sections"]["top_contacts"]),
          r["sections"]["top_contacts"])
    rc, out, err = run("show", "contact", "email", "eve@e.com", "--touches",
                       "stages_mql.csv", "-q", "-f", "json", "--no-stages")
    check(rc == 0 and json.loads(out)["stage"] is None, out)
    rc, out, _ = run("show", "contact", "email", "eve@e.com", "--touches",
                     "stages_mql.csv", "-q", "-f", "csv", "--no-stages")
    check(out.split("\n")[0] ==
          "time,type,channel,campaign,content,value,by", out)
    rc, out, _ = run("show", "contact", "email", "eve@e.com", "--touches",
                     "stages_mql.csv", "-q", "--no-stages")
    check(rc == 0 and "Stage" not in out, out)
    # import without --store runs none unless asked
    rc, out, _ = run("import", "--touches", "stages_mql.csv", "-f", "json")
    check(json.loads(out)["stage_machine"] is None, out)


@test
def bad_machine_file_is_reported_with_line_and_column():
    # bad.stages line 3: `transition lead -> sqll on ...`: sqll starts at
    # byte 20
    for cmd in (["report"], ["import"], ["score"],
                ["show", "contact", "email", "eve@e.com"]):
        rc, out, err = run(*cmd, "--touches", "stages_mql.csv", "--stages",
                           "bad.stages", "-q")
        check(rc == 2, (cmd, rc))
        check(err == "bad.stages:3:20: unknown stage 'sqll'\n", (cmd, err))
        check(out == "", out)
    with tempfile.TemporaryDirectory() as d:
        for name, text in (("bin.stages", b"\x00\xff\xfe garbage"),
                           ("empty.stages", b""),
                           ("nover.stages", b'machine "x"\n')):
            path = os.path.join(d, name)
            open(path, "wb").write(text)
            rc, _, err = run("report", "--touches", "stages_mql.csv",
                             "--stages", path, "-q")
            check(rc == 2 and err.startswith(path + ":1:"), (name, rc, err))
        # nothing is created or imported before the machine is read
        store = os.path.join(d, "store")
        rc, _, err = run("import", "--store", store, "--touches",
                         "stages_mql.csv", "--stages", "bad.stages")
        check(rc == 2 and not os.path.exists(store), err)


@test
def events_file_errors_name_line_and_column():
    rc, out, err = run("import", "--touches", "stages_touches.csv",
                       "--events", "bad_events.csv", "--stages",
                       "cli_test.stages", "-f", "json")
    check(rc == 1, rc)
    for line, col, msg in ((2, 1, "no contact with email 'nobody@x.com'"),
                           (3, 11, "'sales accept' is not [a-z0-9_]"),
                           (4, 11, "empty event"),
                           (5, 24, "'not-a-date' is not a date"),
                           (6, 1, "no identity key")):
        pat = r"^bad_events\.csv:%d:%d: .*%s" % (line, col, re.escape(msg))
        check(re.search(pat, err, re.M), "missing %s in\n%s" % (pat, err))
    f = json.loads(out)["files"][0]
    check((f["kind"], f["rows"], f["imported"], f["skipped"]) ==
          ("events", 6, 1, 5), f)


@test
def events_wait_for_their_contact_and_without_time_happen_at_now():
    # gus's only touch is on 05-01; his disqualify of 03-20 finds no
    # contact at its turn (no touch after it comes before gus's), is sent
    # after the import and, timed before his entry into lead, counts from
    # that entry: lead -> cold on 05-01.  hal's event has no time: --now.
    with tempfile.TemporaryDirectory() as d:
        t = os.path.join(d, "t.csv")
        e = os.path.join(d, "e.csv")
        open(t, "w").write("time,email,type\n"
                           "2025-04-01T09:00:00Z,hal@h.com,visit\n"
                           "2025-05-01T09:00:00Z,gus@g.com,visit\n")
        open(e, "w").write("email,event,time\n"
                           "gus@g.com,disqualify,2025-03-20T09:00:00Z\n"
                           "hal@h.com,disqualify,\n")
        out = {}
        for who in ("gus@g.com", "hal@h.com"):
            rc, o, err = run("show", "contact", "email", who, "--touches", t,
                             "--events", e, "--stages", "cli_test.stages",
                             "--now", "2025-06-01", "-f", "json")
            check(rc == 0, err)
            out[who] = json.loads(o)["stage"]["history"][-1]
        check((out["gus@g.com"]["time"], out["gus@g.com"]["to"]) ==
              ("2025-05-01T09:00:00Z", "cold"), out)
        # (times at midnight print as the date alone)
        check((out["hal@h.com"]["time"], out["hal@h.com"]["time_ms"],
               out["hal@h.com"]["to"]) ==
              ("2025-06-01", ms("2025-06-01T00:00:00Z"), "cold"), out)
        rc, o, err = run("import", "--touches", t, "--events", e,
                         "--stages", "cli_test.stages", "--now",
                         "2025-06-01", "-f", "json")
        check(rc == 0, err)
        f = json.loads(o)["files"][0]
        check(f["imported"] == 2 and f["notes"] == {"sent_late": 1}, f)


@test
def contacts_without_time_enter_at_their_first_touch():
    # contacts.csv has no time column.  ana's e-mail is first touched on
    # 2025-01-06 10:00 (the cookie visit of 01-05 is a contact of its own
    # until that touch merges them, both in inquiry: no merge record); cy's
    # first touch is 01-03 09:00.  Without the fallback both would enter
    # at --now (2025-06-01) with every touch counted from there.
    for who, t in (("ana@acme.com", "2025-01-06T10:00:00Z"),
                   ("cy@beta.io", "2025-01-03T09:00:00Z")):
        rc, out, err = run("show", "contact", "email", who, "--contacts",
                           "contacts.csv", "--touches", "touches.csv",
                           "--now", "2025-06-01", "-q", "-f", "json")
        check(rc == 0, err)
        st = json.loads(out)["stage"]
        check((st["name"], st["entered"]) == ("inquiry", t), (who, st))
        check(st["history"] == [rec(t, "transition", "start", None,
                                    "inquiry", None)], (who, st))


@test
def store_keeps_its_stage_machine():
    with tempfile.TemporaryDirectory() as d:
        store = os.path.join(d, "store")
        rc, out, err = run("import", "--store", store, *STAGE_RUN[:-1])
        check(rc == 0, err)
        check("stage machine cli-test (cli_test.stages): attached" in out,
              out)
        # the same counts from the store alone (the machine, the events
        # and the tick were journaled)
        rc, out, err = run("report", "--store", store, "--stages",
                           "cli_test.stages", "--now", "2025-06-01", "-q",
                           "-f", "json")
        check(rc == 0, err)
        r = json.loads(out)
        check(r["stage_machine"]["stored"] is True, r["stage_machine"])
        got = [(x["stage"], x["current"], x["reached"])
               for x in r["sections"]["stages"]]
        check(got == [("lead", 0, 4), ("engaged", 0, 3),
                      ("qualified", 1, 1), ("won", 0, 0), ("cold", 3, 3)],
              got)
        rc, out, err = run("show", "contact", "email", "cat@c.com",
                           "--store", store, "--stages", "cli_test.stages",
                           "-q", "-f", "json")
        check(rc == 0 and json.loads(out)["stage"]["history"] ==
              STAGE_HISTORY["cat@c.com"], out)
        # given the built-in machine instead: the stored one is kept, and
        # the report leaves the section out rather than misname it
        rc, out, err = run("report", "--store", store, "--now",
                           "2025-06-01", "-f", "json")
        check(rc == 0, err)
        r = json.loads(out)
        check("stages" not in r["sections"] and
              any("stages: left out" in n for n in r["notes"]), r["notes"])
        check("holds another stage machine than built-in" in err, err)


# tests/cli/data/routing.stages: transitions 0 `new -> working on touch
# type = "call"`, 1 `* -> lost back on event disqualify`; routes 0 `on
# working when region = "EMEA" to owner "emma"`, 1 `on working to group
# sdr round_robin` (members 'Zoë "Z" Quinn', then ray); SLA 0
# `first_meeting`: a meeting within 2 days of entering working, else a
# breach that routes again.  routing_touches.csv has a `by` column;
# routing_contacts.csv (no time: each contact enters at its first touch)
# gives kim region EMEA and lou APAC; routing_events.csv disqualifies lou.
#   kim: 03-03 09:00 call by emma: new, -> working (T0), routed to emma
#        (R0: EMEA); her meeting on 03-04 09:00 meets the SLA (deadline
#        03-05 09:00).
#   lou: 03-03 10:00 call by ray: new, -> working (T0); R0 fails (APAC),
#        R1 gives the group's first member, Zoë.  His next touch, the
#        meeting of 03-06 09:00, comes after the deadline 03-05 10:00:
#        the breach fires first (owner Zoë), and routing again without
#        her gives the next member, ray (R1, cause sla); the SLA clock
#        restarts at 03-05 10:00, so the meeting meets it (deadline 03-07
#        10:00).  The visit of 03-07 (by nobody) changes nothing; the
#        disqualify of 04-01 09:00 (reason budget) moves him to lost (T1,
#        back), which has no routes: ray stays.
ROUTING_RUN = ["--contacts", "routing_contacts.csv", "--touches",
               "routing_touches.csv", "--events", "routing_events.csv",
               "--stages", "routing.stages", "--now", "2025-06-01", "-q"]
ROUTING_T = ['transition new -> working on touch type = "call"',
             "transition * -> lost back on event disqualify"]
ROUTING_R = ['route on working when region = "EMEA" to owner "emma"',
             "route on working to group sdr round_robin"]
ROUTING_SLA = ['sla working first_meeting touch type = "meeting" within 2d '
               'breach reroute']
ZOE = 'Zoë "Z" Quinn'
ROUTING_HISTORY = {
    "kim@k.com": [
        rec("2025-03-03T09:00:00Z", "transition", "start", None, "new",
            None),
        rec("2025-03-03T09:00:00Z", "transition", "touch", "new", "working",
            0, text=ROUTING_T[0]),
        rec("2025-03-03T09:00:00Z", "assign", "touch", "working", "working",
            0, owner="emma", text=ROUTING_R[0])],
    "lou@l.com": [
        rec("2025-03-03T10:00:00Z", "transition", "start", None, "new",
            None),
        rec("2025-03-03T10:00:00Z", "transition", "touch", "new", "working",
            0, text=ROUTING_T[0]),
        rec("2025-03-03T10:00:00Z", "assign", "touch", "working", "working",
            1, owner=ZOE, text=ROUTING_R[1]),
        rec("2025-03-05T10:00:00Z", "breach", "timer", "working", "working",
            0, owner=ZOE, prev_owner=ZOE, text=ROUTING_SLA[0]),
        rec("2025-03-05T10:00:00Z", "assign", "sla", "working", "working",
            1, owner="ray", prev_owner=ZOE, text=ROUTING_R[1]),
        rec("2025-04-01T09:00:00Z", "transition", "event", "working", "lost",
            1, back=True, reason="budget", owner="ray", prev_owner="ray",
            text=ROUTING_T[1])],
}


@test
def stage_history_names_transitions_routes_and_slas():
    path = os.path.join(DATA, "routing.stages")
    check((statements(path, "transition"), statements(path, "route"),
           statements(path, "sla")) == (ROUTING_T, ROUTING_R, ROUTING_SLA),
          "names = fixture lines")
    for email, want in ROUTING_HISTORY.items():
        rc, out, err = run("show", "contact", "email", email, *ROUTING_RUN,
                           "-f", "json")
        check(rc == 0, err)
        check(json.loads(out)["stage"]["history"] == want, (email, out))
    # text: the rule is the last column; the owner's quotes and the
    # rules after the group statement that holds them are intact
    rc, out, err = run("show", "contact", "email", "lou@l.com", *ROUTING_RUN)
    check(rc == 0, err)
    check('2025-03-05T10:00:00Z  assign             sla    working  working'
          '  ray            -       ' + ROUTING_R[1] + "\n" in out, out)
    check('2025-03-05T10:00:00Z  breach             timer  working  working'
          '  ' + ZOE + '  -       ' + ROUTING_SLA[0] + "\n" in out, out)
    rc, out, err = run("show", "contact", "email", "lou@l.com", *ROUTING_RUN,
                       "-f", "csv")
    check(rc == 0, err)
    rows = list(csv.reader(out.splitlines()))
    stage_rows = [r for r in rows[1:] if r[7]]
    check([(r[7], r[13]) for r in stage_rows] ==
          [(x["record"], x["rule_text"] or "")
           for x in ROUTING_HISTORY["lou@l.com"]], stage_rows)


@test
def stage_history_names_rules_from_the_stored_machine():
    # the store keeps the machine it was imported with; a run given
    # another one (cli_test.stages, whose transition 0 is `lead ->
    # engaged ...`) still names the records' rules after the stored one
    with tempfile.TemporaryDirectory() as d:
        store = os.path.join(d, "store")
        rc, out, err = run("import", "--store", store, *ROUTING_RUN)
        check(rc == 0, err)
        rc, out, err = run("show", "contact", "email", "lou@l.com",
                           "--store", store, "--stages", "cli_test.stages",
                           "--now", "2025-06-01", "-f", "json")
        check(rc == 0, err)
        check("holds another stage machine than cli_test.stages" in err,
              err)
        got = [x["rule_text"] for x in json.loads(out)["stage"]["history"]]
        check(got == [x["rule_text"] for x in ROUTING_HISTORY["lou@l.com"]],
              got)


@test
def show_contact_prints_who_made_each_touch():
    # routing_touches.csv: lou's call and meeting by ray, his visit by
    # nobody (an empty cell)
    rc, out, err = run("show", "contact", "email", "lou@l.com", *ROUTING_RUN,
                       "-f", "json")
    check(rc == 0, err)
    tl = json.loads(out)["timeline"]
    check([(t["type"], t["by"]) for t in tl] ==
          [("call", "ray"), ("meeting", "ray"), ("visit", None)], tl)
    rc, out, err = run("show", "contact", "email", "lou@l.com", *ROUTING_RUN)
    check(rc == 0, err)
    lines = [ln.split() for ln in out.split("\n")]
    check(["time", "type", "channel", "campaign", "content", "value",
           "by"] in lines, out)
    check(["2025-03-06T09:00:00Z", "meeting", "sales", "-", "-", "0.00",
           "ray"] in lines and
          ["2025-03-07T09:00:00Z", "visit", "web", "-", "-", "0.00", "-"] in
          lines, out)
    for fmt in ("csv", None):
        args = ["show", "contact", "email", "lou@l.com",
                *ROUTING_RUN[:4], "--no-stages", "-q"] + \
            (["-f", fmt] if fmt else [])
        rc, out, err = run(*args)
        check(rc == 0, err)
        if fmt:
            check(list(csv.reader(out.splitlines())) == [
                ["time", "type", "channel", "campaign", "content", "value",
                 "by"],
                ["2025-03-03T10:00:00Z", "call", "sales", "-", "-", "0",
                 "ray"],
                ["2025-03-06T09:00:00Z", "meeting", "sales", "-", "-", "0",
                 "ray"],
                ["2025-03-07T09:00:00Z", "visit", "web", "-", "-", "0",
                 "-"]], out)
    # no touch names anyone: the text has no `by` column
    rc, out, err = run("show", "contact", "email", "cat@c.com", *STAGE_RUN)
    check(rc == 0, err)
    lines = [ln.split() for ln in out.split("\n")]
    check(["time", "type", "channel", "campaign", "content", "value"] in
          lines, out)


def fail_every_allocation(args, min_allocs, same=None, check_base=None):
    # Run funnelcore-fault (the tool with the engine, the scoring model and
    # the stage machine allocating through tests/failalloc.h) once to
    # count its allocations, then fail each in turn, once and from then
    # on: every run either prints what the clean run printed (same(a, b),
    # default byte equality) or exits 1 naming the failure ("out of
    # memory"), never anything else (the sanitizer tree also checks that
    # no error path leaks or misbehaves).  Every allocation failing from
    # then on always shows.
    same = same or (lambda a, b: a == b)
    fault = os.path.join(os.path.dirname(EXE), "funnelcore-fault")
    args = [fault, *args]
    env = dict(os.environ, FUNNELCORE_FAIL_STATS="1")
    p = subprocess.run(args, cwd=DATA, capture_output=True, env=env,
                       timeout=600)
    check(p.returncode == 0, p.stderr)
    base = p.stdout
    if check_base:
        check_base(base)
    m = re.search(rb"fault: (\d+) allocations, 0 failed", p.stderr)
    check(m, p.stderr)
    n = int(m.group(1))
    check(n > min_allocs, n)
    outcomes = {0: 0, 1: 0}
    for sticky in ("", "+"):
        for k in range(n):
            env = dict(os.environ, FUNNELCORE_FAIL_ALLOC="%d%s" % (k, sticky))
            p = subprocess.run(args, cwd=DATA, capture_output=True, env=env,
                               timeout=600)
            what = "%s FUNNELCORE_FAIL_ALLOC=%d%s" % (args[1], k, sticky)
            check(p.returncode in (0, 1), (what, p.returncode, p.stderr))
            outcomes[p.returncode] += 1
            if p.returncode == 0:
                check(same(p.stdout, base), (what, "a different output"))
            else:
                check(b"out of memory" in p.stderr, (what, p.stderr))
    check(outcomes[1] >= n, outcomes)


@test
def show_survives_every_failed_allocation():
    # over `show`: the contact's readers, the timeline with its actors,
    # the history (read twice for the CSV: its records and its rule names),
    # the attached machine's text and (JSON) the score and its explanation
    fail_every_allocation(["show", "contact", "email", "lou@l.com",
                           *ROUTING_RUN, "-f", "csv"], 100)
    fail_every_allocation(["show", "contact", "email", "lou@l.com",
                           *ROUTING_RUN, "-f", "json"], 100,
                          lambda a, b: json.loads(a) == json.loads(b))


@test
def stage_run_survives_every_failed_allocation():
    # a stage run's report, failing each of its allocations in turn
    fail_every_allocation(["report", *STAGE_RUN, "-f", "json"], 100)


@test
def attribute_over_imported_data_options_by_hand():
    def first(*extra):
        rc, out, err = run("attribute", *FIXTURE, "--model", "first",
                           "--now", "2025-06-01", "-f", "json", *extra)
        check(rc == 0, err)
        return {r["key"]: (r["conversions"], r["value"])
                for r in json.loads(out)["rows"]}, err
    # D1 (won 2025-02-01, 1000.50): its first touch is the cookie visit
    # from Google cpc (channel paid_search, type visit)
    rows, err = first()
    check(rows == {"paid_search": (1, 1000.5), "email": (0, 0),
                   "sem": (0, 0), "webinar": (0, 0), "seo": (0, 0),
                   "trade_show": (0, 0)}, rows)
    check("journeys: 1 converting, 1 non-converting, 6 touches" in err, err)
    rows, _ = first("--by", "type")
    check(rows["visit"] == (1, 1000.5), rows)
    # Acme's sector (accounts.csv) is software
    rows, _ = first("--by", "account:sector")
    check(rows["software"] == (1, 1000.5), rows)
    # 20 days before 2025-02-01: only bo's sem visit of 2025-01-12
    rows, _ = first("--lookback", "20")
    check(rows["sem"] == (1, 1000.5) and rows.get("paid_search", (0,))[0]
          == 0, rows)
    rows, _ = first("--scope", "contact", "--lookback", "unlimited")
    check(rows["paid_search"] == (1, 1000.5), rows)
    # created deals: D1 (01-01) and D2 (01-02) have no earlier touch; D3
    # (Beta, 03-01, 200.00) starts with cy's seo visit
    rows, err = first("--conversion", "created")
    check(rows == {"seo": (1, 200), "trade_show": (0, 0)}, rows)
    check("2 conversions without touches" in err, err)


@test
def mixed_currencies_give_notes_not_crashes():
    deals = ("deal_id,account,email,amount,currency,created,closed,status\n"
             "E1,Acme,ana@acme.com,100,EUR,2025-01-01,2025-02-01,won\n"
             "U1,Beta,cy@beta.io,200,USD,2025-01-02,2025-03-01,won\n")
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "mixed.csv")
        open(path, "w").write(deals)
        rc, out, err = run("report", "--deals", path, "--touches",
                           "touches.csv", "--costs", "costs.csv", "--now",
                           "2025-06-01", "-f", "json", "-q")
        check(rc == 0, err)
        r = json.loads(out)
        check(r["currency"] == "EUR", r["currency"])
        check(any("EUR" in n or "USD" in n for n in r["notes"]), r["notes"])
        a = r["sections"].get("attribution")
        check(a is None or a["journeys"]["other_currency"] == 1, a)
        rc, out, err = run("report", "--deals", path, "--now", "2025-06-01",
                           "--html", os.path.join(d, "m.html"), "-q")
        check(rc == 0, err)


@test
def report_csv_is_long_format():
    rc, out, _ = run("report", "--deals", "deals.csv", "--now",
                     "2025-06-01", "-f", "csv", "-q")
    lines = out.strip().split("\n")
    check(lines[0] == "section,key,metric,value", lines[0])
    check("deals,3,won,1" in lines and "deals,3,won_amount,100050" in lines,
          lines)


CRM_ARGS = [
    "--map", "deal_id=opportunity_id,owner=sales_agent,created=engage_date,"
    "closed=close_date,amount=close_value,status=deal_stage",
    "--values", "status:Won=won,Lost=lost,Engaging=open,Prospecting=open",
    "--values", "product:GTXPro=GTX Pro",
    "--date-format", "%d-%m-%y",
]


@test
def crm_style_mapping_values_dates_joins():
    rc, out, err = run("report", "--deals", "crm_deals.csv", *CRM_ARGS,
                       "--join", "crm_teams.csv:sales_agent",
                       "--join", "crm_products.csv:product",
                       "--join", "crm_accounts.csv:account",
                       "--group-by", "manager,product,series,sector",
                       "--now", "2017-06-01", "-f", "json")
    check(rc == 0, err)
    r = json.loads(out)
    s = r["sections"]
    d = s["deals"]
    # O1 won 1054, O5 won 55, O2 lost, O3 and O4 open
    check((d["deals"], d["won"], d["lost"], d["open"]) == (5, 2, 1, 2), d)
    check(close(d["win_rate"], 2 / 3), d)
    check(d["won_amount"] == (1054 + 55) * 100, d)
    # O1: 2016-10-20 -> 2017-03-01 = 11 + 30 + 31 + 31 + 28 + 1 = 132 days;
    # O5: 2017-02-01 -> 2017-02-15 = 14 days; median 73
    check(d["cycle_median_days"] == 73, d)
    # p90 by nearest rank: the ceil(0.9 x 2) = 2nd smallest, 132
    check(d["cycle_p90_days"] == 132, d)
    notes = r["inputs"][0]["notes"]
    check(notes["no_account"] == 1 and notes["created_from_now"] == 1 and
          notes["open_without_close"] == 2, notes)
    mgr = {x["manager"]: x for x in s["deals_by_manager"]}
    check(mgr["Mia M"]["deals"] == 4 and mgr["Mia M"]["won_amount"] == 105400
          and mgr["Nor N"]["won"] == 1, mgr)
    # a CLI dimension has the library's columns: Mia M's one won deal, O1,
    # took 132 days; win rate 1 / 2
    check(mgr["Mia M"]["cycle_median_days"] == 132 and
          mgr["Mia M"]["win_rate"] == 0.5 and
          mgr["Nor N"]["cycle_median_days"] == 14, mgr)
    prod = {x["product"]: x["deals"] for x in s["deals_by_product"]}
    check(prod == {"GTX Pro": 3, "MG Special": 2}, prod)
    series = {x["series"]: x["deals"] for x in s["deals_by_series"]}
    check(series == {"GTX": 3, "MG": 2}, series)
    sector = {x["sector"]: x["deals"] for x in s["deals_by_sector"]}
    check(sector == {"retail": 2, "software": 2, "(none)": 1}, sector)
    stages = {x["stage"]: x["deals"] for x in s["deal_stages"]}
    check(stages == {"Won": 2, "Lost": 1, "Engaging": 1, "Prospecting": 1},
          stages)


@test
def crm_loose_join_is_reported():
    # without --values product:GTXPro=GTX Pro, the join matches loosely
    rc, out, err = run("import", "--deals", "crm_deals.csv", *CRM_ARGS[:4],
                       *CRM_ARGS[6:], "--join", "crm_products.csv:product")
    check(rc == 0, err)
    # O1 and O4 say GTXPro, products.csv says "GTX Pro"
    check("2 rows matched loosely" in out and "'GTXPro' ~ 'GTX Pro'" in out,
          out)
    # with it, the keys match exactly: no warning
    rc, out, err = run("import", "--deals", "crm_deals.csv", *CRM_ARGS,
                       "--join", "crm_products.csv:product")
    check(rc == 0 and "loosely" not in out, out)


# crm_deals.csv with CRM_ARGS (product:GTXPro=GTX Pro) and the three
# joins, by hand: manager (crm_teams.csv, on the agent) Mia M: Ann A's O1
# O2 and Bob B's O3 O4 = 4 deals, O1 won 1054.00; Nor N: Cid C's O5 = 1,
# won 55.00.  regional_office: West 4, East 1.  product: GTX Pro O1 O2 O4
# = 3, MG Special O3 O5 = 2; series (crm_products.csv) GTX 3, MG 2.
# sector (crm_accounts.csv, on the account): Acme O1 O2 retail 2, Beta O4
# O5 software 2, O3 has no account: (none) 1.
CRM_GROUPS = {
    "manager": {"Mia M": (4, 105400), "Nor N": (1, 5500)},
    "regional_office": {"West": (4, 105400), "East": (1, 5500)},
    "product": {"GTX Pro": (3, 105400), "MG Special": (2, 5500)},
    "series": {"GTX": (3, 105400), "MG": (2, 5500)},
    "sector": {"retail": (2, 105400), "software": (2, 5500),
               "(none)": (1, 0)},
}


def crm_groups(report):
    return {g: {x[g]: (x["deals"], x["won_amount"])
                for x in report["sections"]["deals_by_" + g]}
            for g in CRM_GROUPS}


@test
def report_store_groups_by_the_deal_columns_it_holds():
    # `report --store` without --deals: the names are found among the
    # stored deals' attributes (product, series), the owner records'
    # (manager, regional_office) and the accounts' (sector)
    with tempfile.TemporaryDirectory() as d:
        store = os.path.join(d, "store")
        rc, out, err = run("import", "--store", store, "--deals",
                           "crm_deals.csv", *CRM_ARGS,
                           "--join", "crm_teams.csv:sales_agent",
                           "--join", "crm_products.csv:product",
                           "--join", "crm_accounts.csv:account",
                           "--now", "2017-06-01", "-q")
        check(rc == 0, err)
        rc, out, err = run("report", "--store", store, "--group-by",
                           ",".join(CRM_GROUPS), "--now", "2017-06-01",
                           "-q", "-f", "json")
        check(rc == 0, err)
        check(crm_groups(json.loads(out)) == CRM_GROUPS,
              crm_groups(json.loads(out)))
        # a name nothing holds: exit 2, nothing printed
        rc, out, err = run("report", "--store", store, "--group-by",
                           "product,colour", "--now", "2017-06-01", "-q")
        check(rc == 2 and out == "", (rc, out))
        check(err == "funnelcore: --group-by colour: no deal, deal owner or "
              "account in --store %s has an attribute 'colour': the store "
              "keeps the columns of a deals file only if it was imported "
              "with them; pass the --deals file (and its --join tables)\n"
              % store, err)
        # a store without deals
        empty = os.path.join(d, "empty")
        rc, _, err = run("import", "--store", empty, "--touches",
                         "touches.csv", "-q")
        check(rc == 0, err)
        rc, out, err = run("report", "--store", empty, "--group-by",
                           "product", "-q")
        check(rc == 2 and out == "" and err ==
              "funnelcore: --group-by product: --store %s holds no deals; "
              "pass the --deals file\n" % empty, (rc, out, err))
    # the same names, and the same groups, from the files in one run
    rc, out, err = run("report", "--deals", "crm_deals.csv", *CRM_ARGS,
                       "--join", "crm_teams.csv:sales_agent",
                       "--join", "crm_products.csv:product",
                       "--join", "crm_accounts.csv:account",
                       "--group-by", ",".join(CRM_GROUPS),
                       "--now", "2017-06-01", "-q", "-f", "json")
    check(rc == 0 and crm_groups(json.loads(out)) == CRM_GROUPS, err)


@test
def report_group_by_a_name_nothing_holds_is_a_usage_error():
    rc, out, err = run("report", "--deals", "deals.csv", "--group-by",
                       "Colour", "-q")
    check(rc == 2 and out == "", (rc, out))
    check(err == "funnelcore: --group-by Colour: no deal, deal owner or "
          "account has an attribute 'colour' (a column of the --deals file, "
          "of a table joined on its owner or account column, or of the "
          "--accounts file)\n", err)
    rc, out, err = run("report", "--touches", "touches.csv", "--group-by",
                       "owner", "-q")
    check(rc == 2 and err == "funnelcore: --group-by owner: there are no "
          "deals to group; pass a --deals file\n", (rc, err))
    # when the import skipped rows, the missing deals or columns may be
    # among them: the report goes on (exit 1) with a note
    with tempfile.TemporaryDirectory() as d:
        f = os.path.join(d, "deals.csv")
        with open(f, "w") as fh:
            # (a won deal: with none, src/funnel.c passes qsort a NULL
            # array, which UBSan stops on)
            fh.write("deal_id,amount,status,created,closed\n"
                     "X1,abc,open,,\nX2,10,won,2025-01-01,2025-02-01\n")
        rc, out, err = run("report", "--deals", f, "--group-by", "colour",
                           "-q", "-f", "json")
        check(rc == 1, (rc, err))
        r = json.loads(out)
        check(r["sections"]["deals"]["deals"] == 1 and
              "deals_by_colour" not in r["sections"], r["sections"])
        check(any(n.startswith("--group-by colour: no deal, deal owner or "
                               "account has an attribute 'colour'")
                  for n in r["notes"]), r["notes"])
        with open(f, "w") as fh:
            fh.write("deal_id,amount,status\nX1,abc,open\n")
        rc, out, err = run("report", "--deals", f, "--group-by", "colour",
                           "-q", "-f", "json")
        check(rc == 1 and json.loads(out)["notes"] ==
              ["--group-by colour: there are no deals to group: no row of "
               "the --deals files was imported"], (rc, out))


@test
def deal_attribute_run_survives_every_failed_allocation():
    # As above, over the deal attributes (product, series) and the owner
    # records (manager, regional_office from the join on sales_agent) of
    # the CRM fixture, grouped by both kinds.
    fail_every_allocation(
        ["report", "--deals", "crm_deals.csv", *CRM_ARGS,
         "--join", "crm_teams.csv:sales_agent",
         "--join", "crm_products.csv:product",
         "--group-by", "manager,product,regional_office", "--now",
         "2017-06-01", "-q", "-f", "json"], 20,
        check_base=lambda base: check(
            json.loads(base)["sections"]["deals_by_regional_office"], base))


def crm_naive():
    def day(s):
        return datetime.datetime.strptime(s, "%d-%m-%y").date()
    now = datetime.date(2018, 1, 1)
    teams = {r["sales_agent"]: r for r in
             csv.DictReader(open(os.path.join(CRM, "sales_teams.csv")))}
    cycles, obs, office = [], [], {}
    won_sum = 0
    for r in csv.DictReader(open(os.path.join(CRM, "sales_pipeline.csv"))):
        st = r["deal_stage"]
        created = day(r["engage_date"]) if r["engage_date"] else now
        o = office.setdefault(teams[r["sales_agent"]]["regional_office"],
                              [0, 0, 0, 0, []])
        o[0] += 1
        if st == "Won":
            n = (day(r["close_date"]) - created).days
            cycles.append(n)
            won_sum += int(r["close_value"])
            o[1] += 1
            o[3] += int(r["close_value"]) * 100
            o[4].append(n)
            obs.append((n, 1))
        elif st == "Lost":
            o[2] += 1
            obs.append(((day(r["close_date"]) - created).days, 0))
        else:
            obs.append(((now - created).days, 0))

    def median(v):
        v = sorted(v)
        k = len(v)
        return v[k // 2] if k % 2 else (v[k // 2 - 1] + v[k // 2]) / 2
    cycles.sort()
    # Kaplan-Meier median: the first time S <= 1/2
    s, km = 1.0, None
    times = sorted(set(t for t, _ in obs))
    at_risk = len(obs)
    by_t = {}
    for t, e in obs:
        by_t.setdefault(t, [0, 0])[e] += 1
    for t in times:
        cens, ev = by_t[t]
        if ev:
            s *= 1 - ev / at_risk
        if km is None and s <= 0.5:
            km = t
        at_risk -= cens + ev
    won = len(cycles)
    avg = (won_sum * 100 * 2 + won) // (2 * won)  # half away from zero
    return {"avg": avg, "median": median(cycles),
            "p90": cycles[math.ceil(0.9 * won) - 1], "km_median": km,
            "office": {k: (v[0], v[1], v[2], v[3], median(v[4]))
                       for k, v in office.items()}}


@test
def crm_export_end_to_end():
    if not os.path.isdir(CRM):
        print("skip crm_export_end_to_end: %s is absent" % CRM)
        return
    # the exact command of docs/cli.md
    rc, out, err = run(
        "report", "--deals", os.path.join(CRM, "sales_pipeline.csv"),
        *CRM_ARGS,
        "--join", os.path.join(CRM, "sales_teams.csv") + ":sales_agent",
        "--join", os.path.join(CRM, "products.csv") + ":product",
        "--join", os.path.join(CRM, "accounts.csv") + ":account",
        "--group-by", "product,manager,regional_office,sector",
        "--now", "2018-01-01", "-f", "json")
    check(rc == 0, err)
    r = json.loads(out)
    d = r["sections"]["deals"]
    # counted independently: deal_stage column has Won 4238, Lost 2473,
    # Engaging 1589, Prospecting 500; close_value of Won rows sums to
    # 10,005,534
    check((d["deals"], d["won"], d["lost"], d["open"]) ==
          (8800, 4238, 2473, 2089), d)
    check(close(d["win_rate"], 4238 / 6711), d)
    check(d["won_amount"] == 1000553400, d)
    n = r["inputs"][0]
    check(n["skipped"] == 0 and n["notes"]["no_account"] == 1425 and
          n["notes"]["created_from_now"] == 500, n)
    prod = {x["product"]: x["deals"]
            for x in r["sections"]["deals_by_product"]}
    check(prod["GTX Pro"] == 1480 and "GTXPro" not in prod, prod)
    office = {x["regional_office"]: x
              for x in r["sections"]["deals_by_regional_office"]}
    check(sum(x["deals"] for x in office.values()) == 8800 and
          set(office) == {"Central", "East", "West"}, office)
    # the library's numbers against a naive second computation over the raw
    # files (DD-MM-YY dates; Prospecting rows have no engage date)
    want = crm_naive()
    check(d["avg_deal_size"] == want["avg"], (d["avg_deal_size"], want))
    check(d["cycle_median_days"] == want["median"] and
          d["cycle_p90_days"] == want["p90"], (d, want))
    for name, o in office.items():
        w = want["office"][name]
        check((o["deals"], o["won"], o["lost"], o["won_amount"],
               o["cycle_median_days"]) == w, (name, o, w))
    t = r["sections"]["time_to_convert"]
    check((t["n"], t["conversions"], t["censored"]) ==
          (8800, 4238, 8800 - 4238), t)
    check(t["median_days"] == want["km_median"], (t, want["km_median"]))
    sector = {x["sector"]: x["deals"]
              for x in r["sections"]["deals_by_sector"]}
    check(sector["(none)"] == 1425 and sum(sector.values()) == 8800, sector)
    co = r["sections"]["cohorts"]
    check(sum(x["deals"] for x in co) == 8800 and
          sum(x["won"] for x in co) == 4238, co)
    print("     crm: win rate %.4f, avg won %d, days to win median %g p90 %g,"
          " KM median %g, cold day %s" % (d["win_rate"], d["avg_deal_size"],
                                          d["cycle_median_days"],
                                          d["cycle_p90_days"],
                                          t["median_days"], t["cold_day"]))


@test
def large_file_records_cross_buffer_refills():
    # 40,000 touches (about 3.5 MB: the reader's window is 1 MiB, so
    # records straddle refills) with quoted commas and CRLF inside quotes,
    # and one 2.5 MB quoted field with line breaks (an ignored column).
    n = 40000
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "big.csv")
        with open(path, "wb") as f:
            f.write(b"time,email,campaign,note\r\n")
            for i in range(n):
                note = b'"x\r\ny, ""q"""' if i % 7 == 0 else b"plain"
                if i == n // 2:
                    note = b'"' + (b"0123456789,\n" * 200000) + b'"'
                f.write(b'2025-01-01T00:00:%02dZ,u%d@x.com,"c,%d",%s\r\n'
                        % (i % 60, i % 1000, i, note))
        rc, out, err = run("import", "--touches", path, "-f", "json")
        check(rc == 0, err[-500:])
        f = json.loads(out)["files"][0]
        check((f["rows"], f["imported"], f["skipped"]) == (n, n, 0), f)
        # u999 has touches i = 999, 1999, ..., 39999 (40 of them); the
        # last one's campaign is "c,39999"
        rc, out, _ = run("show", "contact", "email", "u999@x.com", "--touches",
                         path, "-f", "json", "-q")
        tl = json.loads(out)["timeline"]
        check(len(tl) == 40 and
              sorted(t["campaign"] for t in tl)[-1] == "c,9999", tl[-1])
        check(set(t["campaign"] for t in tl) ==
              set("c,%d" % i for i in range(999, n, 1000)), "campaigns")


# ---- generator, progress, cancellation ------------------------------------


@test
def generator_is_deterministic_and_matches_the_sample():
    with tempfile.TemporaryDirectory() as d:
        for sub, seed in (("a", "42"), ("b", "42"), ("c", "7")):
            subprocess.run([GEN, "--seed", seed, "--out",
                            os.path.join(d, sub)], check=True,
                           capture_output=True)
        for f in ("accounts.csv", "contacts.csv", "touches.csv", "deals.csv",
                  "costs.csv", "paths.csv"):
            a = open(os.path.join(d, "a", f), "rb").read()
            b = open(os.path.join(d, "b", f), "rb").read()
            c = open(os.path.join(d, "c", f), "rb").read()
            check(a == b, "seed 42 twice differs: " + f)
            check(a != c or f == "costs.csv", "seed 7 equals seed 42: " + f)
            s = open(os.path.join(SAMPLE, f), "rb").read()
            check(s == a, "examples/data/sample/%s is not gen --seed 42" % f)


@test
def sample_report_has_every_section():
    rc, out, err = run("report", "--accounts", "accounts.csv", "--contacts",
                       "contacts.csv", "--touches", "touches.csv",
                       "--deals", "deals.csv", "--costs", "costs.csv",
                       "--now", "2026-01-01", "-f", "json", cwd=SAMPLE)
    check(rc == 0, err)
    r = json.loads(out)
    s = r["sections"]
    check(s["deals"]["deals"] > 50 and s["deals"]["won"] > 10, s["deals"])
    for res in s["attribution"]["results"]:
        check(res["total_conversions"] ==
              s["attribution"]["journeys"]["conversions"], res["model"])
        check(close(sum(x["conversions"] for x in res["rows"]),
                    res["total_conversions"]), res["model"])
    check(len(s["roi"]) >= 8, s["roi"])
    for name in ("cohorts", "time_to_convert", "top_contacts", "score_cells",
                 "deals_by_owner"):
        check(s.get(name), name)
    check(len(s["top_contacts"]) == 10, s["top_contacts"])
    # not a terminal: no progress bar
    check("\r" not in err, repr(err[:200]))


@test
def sigint_cancels_with_130():
    header = b"time,email,channel\n"
    rows = b"".join(b"2025-01-01T00:00:%02dZ,u%d@x.com,sem\n" % (i % 60, i)
                    for i in range(5000))
    p = subprocess.Popen([EXE, "import", "--touches", "-"], cwd=DATA,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    p.stdin.write(header + rows)
    p.stdin.flush()
    time.sleep(1.0)  # the tool now waits for more input
    p.send_signal(signal.SIGINT)
    try:
        out, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        raise AssertionError("did not stop on SIGINT")
    check(p.returncode == 130, "exit %d, %s" % (p.returncode, err))
    check(b"interrupted" in err, err)


def stored_touch_actors(store, emails):
    """The (type, actor) of each stored touch of each contact, read back
    through the Python binding over the library next to the tool, in a
    child process (a sanitizer build cannot be loaded into Python: then
    None)."""
    lib = os.path.join(os.path.dirname(os.path.dirname(EXE)),
                       "libfunnelcore.so")
    code = ("import json, sys\n"
            "import funnelcore as fc\n"
            "st = fc.FileStore(sys.argv[1])\n"
            "with fc.Engine(storage=st) as e:\n"
            "    out = {m: [(t.type, t.by) for t in\n"
            "               e.touches(e.find_contact('email', m))]\n"
            "           for m in sys.argv[2:]}\n"
            "st.close()\n"
            "print(json.dumps(out))\n")
    env = dict(os.environ, FUNNELCORE_LIB=lib,
               PYTHONPATH=os.path.join(ROOT, "bindings", "python"))
    env.pop("LD_PRELOAD", None)
    p = subprocess.run([sys.executable, "-c", code, store] + emails,
                       env=env, capture_output=True, timeout=120)
    if p.returncode != 0:
        err = p.stderr.decode("utf-8", "replace")
        if "Sanitizer" in err or "ASan" in err:
            return None
        raise AssertionError("reading the store back: " + err)
    return {m: [tuple(t) for t in v]
            for m, v in json.loads(p.stdout).items()}


@test
def touches_by_column_and_its_map_name_who_made_each_touch():
    with tempfile.TemporaryDirectory() as d:
        f = os.path.join(d, "calls.csv")
        with open(f, "w") as fh:
            fh.write("time,email,type,channel,by\n"
                     "2026-01-01T10:00:00Z,ann@acme.com,call,sales,alice\n"
                     "2026-01-02T10:00:00Z,ann@acme.com,call,sales,\n"
                     "2026-01-03T10:00:00Z,bob@beta.io,meeting,sales,Bob K\n")
        g = os.path.join(d, "activities.csv")
        with open(g, "w") as fh:
            fh.write("time,email,type,activity_owner\n"
                     "2026-01-04T10:00:00Z,ann@acme.com,call,carol\n")
        store = os.path.join(d, "store")
        rc, out, err = run("import", "--store", store, "--touches", f)
        check(rc == 0, err)
        check("ignored" not in err, err)  # `by` is a touch field
        rc, out, err = run("import", "--store", store, "--touches", g,
                           "--map", "by=activity_owner")
        check(rc == 0, err)
        check("ignored" not in err, err)
        got = stored_touch_actors(store, ["ann@acme.com", "bob@beta.io"])
        # an empty cell is no actor; names are kept as written
        check(got is None or got == {"ann@acme.com": [("call", "alice"), ("call", None),
                                       ("call", "carol")],
                      "bob@beta.io": [("meeting", "Bob K")]}, got)
        # a bad actor is a bad row: reported with its line, and skipped
        h = os.path.join(d, "bad.csv")
        with open(h, "w") as fh:
            fh.write("time,email,rep\n"
                     "2026-01-05T10:00:00Z,dan@acme.com,ok\n"
                     "2026-01-05T11:00:00Z,eve@acme.com,%s\n" % ("x" * 4097))
        rc, out, err = run("import", "--touches", h)
        check("bad.csv:3:" in err and "touch by: longer than 4096" in err,
              err)
        check("2 rows, 1 imported, 1 skipped" in out, out)


@test
def a_role_as_long_as_a_name_is_read_safely():
    # parse_role folded the cell into a 64-byte buffer while the folding
    # writes up to FNL_MAX_NAME (64) bytes and a NUL: a role of 64 or
    # more name characters wrote one byte past it (ASan in the san tree)
    with tempfile.TemporaryDirectory() as d:
        f = os.path.join(d, "contacts.csv")
        with open(f, "w") as fh:
            fh.write("email,role\n"
                     "ann@acme.com,%s\n"
                     "bob@acme.com,decision_maker\n" % ("r" * 80))
        rc, out, err = run("import", "--contacts", f)
        check(rc == 0, (rc, err))
        check("2 rows, 2 imported" in out, out)


print("%d passed, %d failed" % (passed, len(failures)))
if failures:
    print("failed: " + ", ".join(failures))
    sys.exit(1)
