#!/usr/bin/env python3
"""Import a real CRM export and print the deal funnel by sales agent.

The data is the public "CRM Sales Opportunities" sample (Maven Analytics):
../shared/data/crm-sales-opportunities relative to the repository root, or
the directory given as the first argument.  Column mapping, in Python:

    sales_pipeline.csv  opportunity_id -> deal id
                        sales_agent    -> owner
                        account        -> account (may be empty)
                        deal_stage     -> status (Won, Lost; Prospecting and
                                          Engaging are open) and stage
                        engage_date    -> created (DD-MM-YY; empty for
                                          Prospecting: the export date)
                        close_date     -> closed
                        close_value    -> amount (USD -> cents); open deals
                                          get the product's list price
                        product        -> the deal attribute "product"
    accounts.csv        account -> account id, sector / employees / office
                        -> account attributes
    products.csv        list prices; the pipeline spells "GTX Pro" as
                        "GTXPro", so product names are compared without
                        spaces
    sales_teams.csv     sales_agent -> an owner record with the attributes
                        manager and regional_office

Then one report_deals(group_by="owner") call gives deals, won, lost, open,
win rate and the median sales cycle per agent; with --by, the same table
per product (a deal attribute), manager or regional_office (attributes of
the agent's owner record) follows, one report_deals call each.

    PYTHONPATH=bindings/python python3 examples/python/import_crm.py [dir]
        [--by product,manager,regional_office]
"""
import csv
import datetime as dt
import os
import sys

import funnelcore as fc

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared",
                                        "data", "crm-sales-opportunities"))
STATUS = {"Won": "won", "Lost": "lost", "Prospecting": "open",
          "Engaging": "open"}


def day(s):
    """DD-MM-YY (this export's format) -> a UTC datetime; '' -> None."""
    if not s:
        return None
    d, m, y = (int(x) for x in s.split("-"))
    return dt.datetime(2000 + y, m, d, tzinfo=dt.timezone.utc)


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def load(eng, data):
    """Import accounts and opportunities; returns the number of deals."""
    for a in read(os.path.join(data, "accounts.csv")):
        eng.upsert_account(a["account"], attrs={
            "sector": a["sector"], "employees": float(a["employees"]),
            "office_location": a["office_location"]}, source="crm")
    teams = os.path.join(data, "sales_teams.csv")
    for t in read(teams) if os.path.exists(teams) else ():
        eng.upsert_owner(t["sales_agent"], attrs={
            "manager": t["manager"],
            "regional_office": t["regional_office"]}, source="crm")
    price = {p["product"].replace(" ", "").lower(): float(p["sales_price"])
             for p in read(os.path.join(data, "products.csv"))}
    n = 0
    for o in read(os.path.join(data, "sales_pipeline.csv")):
        status = STATUS[o["deal_stage"]]
        if o["close_value"]:
            amount = round(float(o["close_value"]) * 100)
        else:  # an open deal: its product's list price
            amount = round(price[o["product"].replace(" ", "").lower()] * 100)
        eng.upsert_deal(o["opportunity_id"], account=o["account"] or None,
                        amount=amount, currency="USD",
                        created=day(o["engage_date"]),  # None: the clock
                        closed=day(o["close_date"]) if status != "open"
                        else 0,
                        status=status, stage=o["deal_stage"],
                        owner=o["sales_agent"],
                        attrs={"product": o["product"]})
        n += 1
    return n


def export_time(data):
    """The export's date: the day after the last date in it."""
    last = max(day(o[k]) for o in read(os.path.join(data,
                                                    "sales_pipeline.csv"))
               for k in ("engage_date", "close_date") if o[k])
    return last + dt.timedelta(days=1)


# --by dimensions: (group_by, group_attr)
DIMENSIONS = {"product": ("attr", "product"),
              "manager": ("owner_attr", "manager"),
              "regional_office": ("owner_attr", "regional_office")}


def table(title, rep):
    print(f"{title:22s} {'deals':>5s} {'won':>4s} {'lost':>4s} "
          f"{'open':>4s} {'win rate':>8s} {'median cycle':>12s} "
          f"{'pipeline':>12s}")
    for r in sorted(rep.rows, key=lambda r: (-(r["win_rate"] or 0),
                                             r["group"] or "")):
        wr = "-" if r["win_rate"] is None else f"{r['win_rate']:.1%}"
        cyc = "-" if r["cycle_median_days"] is None else \
            f"{r['cycle_median_days']:g} d"
        print(f"{r['group'] or '(none)':22s} {r['deals']:5d} {r['won']:4d} "
              f"{r['lost']:4d} {r['open']:4d} {wr:>8s} {cyc:>12s} "
              f"{r['pipeline'] / 100:12,.2f}")


def main(data, by=()):
    if not os.path.isdir(data):
        print(f"skipped: no CRM export at {data}")
        return 0
    as_of = export_time(data)
    # the engine clock is the export date, so deals without an engage date
    # (Prospecting) are created "now" reproducibly
    with fc.Engine(clock=lambda: as_of) as eng:
        n = load(eng, data)
        s = eng.stats()
        rep = eng.report_deals("owner", as_of=as_of)
        more = [(d, eng.report_deals(DIMENSIONS[d][0],
                                     group_attr=DIMENSIONS[d][1],
                                     as_of=as_of)) for d in by]
    t = rep.totals
    print(f"imported {n} deals, {s.accounts} accounts; as of "
          f"{as_of:%Y-%m-%d}: {t['won']} won, {t['lost']} lost, "
          f"{t['open']} open; win rate {t['win_rate']:.1%}, median cycle "
          f"{t['cycle_median_days']:g} days")
    table("agent", rep)
    for d, r in more:
        print()
        table(d, r)
    return 0


if __name__ == "__main__":
    args = sys.argv[1:]
    dims: list = []
    if "--by" in args:
        i = args.index("--by")
        dims = [d for d in args[i + 1].split(",") if d]
        unknown = [d for d in dims if d not in DIMENSIONS]
        if unknown:
            sys.exit(f"--by: unknown dimension(s) {', '.join(unknown)}; "
                     f"known: {', '.join(DIMENSIONS)}")
        del args[i:i + 2]
    sys.exit(main(args[0] if args else DEFAULT, dims))
