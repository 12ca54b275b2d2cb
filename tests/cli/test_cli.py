#!/usr/bin/python3
"""End-to-end tests of the funnelcore command-line tool.

usage: test_cli.py FUNNELCORE FUNNELCORE_GEN SOURCE_ROOT

Every expected number below is computed by hand from the fixture files in
tests/cli/data/ (the comments show the arithmetic), never by the tool.
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

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
    for word in ("import", "attribute", "show", "stats", "report",
                 "--store", "130", "FILE:LINE:COLUMN"):
        check(word in out, word)
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
                 ["import", "--paths", "paths3.csv"]):
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
    check(rc == 1 and "missing.csv" in err, err)


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
              roi["sem"]["attributed_value"] == 25013, roi["sem"])


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
    # 2025-01-01 -> 2025-02-01
    check(d["median_days_to_win"] == 31 and d["currency"] == "USD", d)
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
    check(a["journeys"] == {"won": 1, "lost": 1, "without_deal": 0,
                            "touches": 6}, a["journeys"])
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
    check(roi["sem"]["attributed_value"] == 25013, roi["sem"])
    check(close(roi["sem"]["roi"], 1.5013), roi["sem"])
    # webinar cost: quarter 2025-Q1, 30 -> 3000
    check(roi["webinar"]["cost"] == 3000 and roi["email"]["cost"] == 5000,
          roi)
    check(roi["paid_search"]["cost"] == 0 and
          roi["paid_search"]["roi"] is None, roi["paid_search"])


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
    check(d["median_days_to_win"] == 73, d)
    notes = r["inputs"][0]["notes"]
    check(notes["no_account"] == 1 and notes["created_from_now"] == 1 and
          notes["open_without_close"] == 2, notes)
    mgr = {x["manager"]: x for x in s["deals_by_manager"]}
    check(mgr["Mia M"]["deals"] == 4 and mgr["Mia M"]["won_amount"] == 105400
          and mgr["Nor N"]["won"] == 1, mgr)
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
    office = {x["regional_office"]: x["deals"]
              for x in r["sections"]["deals_by_regional_office"]}
    check(sum(office.values()) == 8800 and set(office) ==
          {"Central", "East", "West"}, office)


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
        check(res["total_conversions"] == s["attribution"]["journeys"]["won"],
              res["model"])
        check(close(sum(x["conversions"] for x in res["rows"]),
                    res["total_conversions"]), res["model"])
    check(len(s["roi"]) >= 8, s["roi"])
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


print("%d passed, %d failed" % (passed, len(failures)))
if failures:
    print("failed: " + ", ".join(failures))
    sys.exit(1)
