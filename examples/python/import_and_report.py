#!/usr/bin/env python3
"""Import contacts, touches and deals from the small CSV files in
examples/data and print touch counts per channel, plus the deals.

    FUNNELCORE_LIB=build/src/libfunnelcore.so python3 examples/python/import_and_report.py
"""
import collections
import csv
import datetime as dt
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data")
try:
    import funnelcore as fc
except ImportError:  # run from the source tree
    sys.path.insert(0, os.path.join(HERE, "..", "..", "bindings", "python"))
    import funnelcore as fc


def when(s):
    """ISO 8601 ('...Z') to a datetime; '' to None."""
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00")) if s else None


def rows(name):
    with open(os.path.join(DATA, name), newline="", encoding="utf-8") as f:
        yield from csv.DictReader(f)


def main():
    with fc.Engine() as eng:
        for r in rows("contacts.csv"):
            keys = [(k, r[k]) for k in ("email", "phone") if r[k]]
            eng.upsert_contact(keys, attrs={k: r[k] for k in (
                "title", "industry", "region")})
        batch = []
        for r in rows("touches.csv"):
            keys = [(k, r[k]) for k in ("cookie_id", "email") if r[k]]
            batch.append({"keys": keys, "time": when(r["time"]),
                          "channel": r["channel"] or None,
                          "campaign": r["campaign"] or None,
                          "type": r["type"] or None, "url": r["url"] or None,
                          "value": int(r["value"] or 0)})
        eng.add_touches(batch)  # one library call for the whole file
        for r in rows("deals.csv"):
            eng.upsert_deal(r["deal_id"], account=r["account"],
                            contacts=[(("email", r["contact"]), r["role"])],
                            amount=int(r["amount"]), currency=r["currency"],
                            created=when(r["created"]),
                            closed=when(r["closed"]) or 0, status=r["status"])

        per_channel = collections.Counter()
        for c in eng.contacts(touches=True):
            per_channel.update(t.channel for t in c.touches)
        s = eng.stats()
        print(f"contacts {s.contacts}  accounts {s.accounts}  "
              f"touches {s.touches}  merges {s.merges}  deals {s.deals}")
        print("touches per channel:")
        for channel, n in sorted(per_channel.items()):
            print(f"  {channel:<16} {n}")
        for d in eng.deals():
            print(f"deal {d.name}: {d.status} {d.amount / 100:,.2f} "
                  f"{d.currency} ({len(d.contacts)} contact)")


if __name__ == "__main__":
    main()
