#!/usr/bin/env python3
"""A listener that tells the owner when a contact is created or merged --
the shape of "notify sales on WeCom when a trial form comes in".

The listener runs after each mutation completed: it may read the engine,
but not change it (that raises funnelcore.Busy).  An exception it raises is
re-raised from the call that triggered it, after the mutation was kept.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
try:
    import funnelcore as fc
except ImportError:  # run from the source tree
    sys.path.insert(0, os.path.join(HERE, "..", "..", "bindings", "python"))
    import funnelcore as fc

T0 = 1767225600000  # 2026-01-01T00:00:00Z


def main():
    eng = None

    def notify(ev):
        if ev.kind not in ("contact_created", "contact_merged"):
            return
        info = eng.contact(ev.contact, touches=False)  # reading is allowed
        who = info.key("email") or info.keys[0][1]
        owner = info.owner or "unassigned queue"
        if ev.kind == "contact_created":
            print(f"notify owner {owner}: new contact {who}")
        else:
            print(f"notify owner {owner}: contact {who} merged with an "
                  f"earlier visitor ({info.touch_count} touches so far)")

    eng = fc.Engine(listener=notify, clock=lambda: T0)
    with eng:
        eng.add_touch(keys={"cookie_id": "ck-77"}, url="https://acme.example/"
                      "pricing?utm_source=google&utm_medium=cpc")
        eng.upsert_contact({"email": "lena@bigco.com"}, owner="sales-emea")
        # the trial form carries both keys: the two contacts merge
        eng.add_touch(keys=[("cookie_id", "ck-77"), ("email", "lena@bigco.com")],
                      type="trial_request")


if __name__ == "__main__":
    main()
