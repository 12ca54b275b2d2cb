#!/usr/bin/env python3
"""A listener that prints "notify owner" messages on MQL and SLA breach.

A scoring model decides when a lead is marketing qualified; a small stage
machine (docs/stages.md) moves it to mql when the model's `mql` threshold
holds, hands it to a sales rep in turn and gives sales 2 days to accept it.
The listener turns the engine's stage events into messages for the owner
(replace print() with a WeCom / Slack / e-mail call):

* "stage_changed" to mql  -> notify owner <owner>: <contact> reached mql
* "sla_breach"            -> notify owner <owner>: SLA breach for <contact>
                             in <stage>

The engine clock is a variable here, so the run is deterministic: the SLA
deadline is passed by moving the clock and calling ``eng.tick()``.

The listener runs after each mutation completed: it may read the engine
(contact_stage, contact_stage_history, ...), but not change it (that raises
funnelcore.Busy).  An exception it raises is re-raised from the call that
triggered it, after the mutation was kept.
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
HOUR = 3600000
DAY = 24 * HOUR

# 10 points for a director, 30 for a demo request; MQL at 30.
MODEL = """\
model lead_score
fit title contains director +10
engage type = demo_request +30
threshold mql when score >= 30
"""

# inquiry -> mql when the model's mql threshold holds; on entering mql the
# lead goes to the SDR group in turn (ana, then ben); sales must accept an
# MQL within 2 days, else the SLA "accept" is breached (reported only).
MACHINE = """\
machine "notify_demo" version 1
stage inquiry initial
stage mql
stage sal
group sdr members "ana", "ben"
transition inquiry -> mql when threshold "mql"
transition mql -> sal on event sales_accept
route on mql to group sdr round_robin
sla mql accept within 2d
"""


def main():
    now = [T0]
    eng = None

    def who(contact):
        return eng.contact(contact, touches=False).key("email")

    def notify(ev):
        if ev.kind == "stage_changed" and ev.name == "mql":
            # delivered after the mutation: routing has already happened
            owner = eng.contact_stage(ev.contact).owner
            print(f"notify owner {owner}: {who(ev.contact)} reached mql")
        elif ev.kind == "sla_breach":
            # the breach record says which stage's SLA and who owned it
            rec = [r for r in eng.contact_stage_history(ev.contact)
                   if r.kind == "breach" and r.time == ev.time][-1]
            print(f"notify owner {rec.owner}: SLA breach for "
                  f"{who(ev.contact)} in {rec.from_stage}")

    eng = fc.Engine(listener=notify, clock=lambda: now[0])
    with eng:
        eng.attach_model(fc.Model.parse(MODEL))
        eng.attach_machine(fc.Machine.parse(MACHINE))
        lena = eng.upsert_contact({"email": "lena@bigco.com"},
                                  attrs={"title": "IT Director"})  # 10
        tom = eng.upsert_contact({"email": "tom@smallco.com"})     # 0
        eng.upsert_contact({"email": "kim@startup.io"})            # 0
        # demo requests: lena 40, tom 30 -> both reach mql
        eng.add_touch(contact=lena, type="demo_request", time=T0 + HOUR)
        eng.add_touch(contact=tom, type="demo_request", time=T0 + 2 * HOUR)
        # sales accepts lena a day later; tom's MQL waits
        eng.contact_event(lena, "sales_accept", time=T0 + DAY)
        # three days on: tom's accept deadline (T0 + 2h + 2d) has passed
        now[0] = T0 + 3 * DAY
        eng.tick()
        for c in eng.contact_ids():
            s = eng.contact_stage(c)
            print(f"{who(c)}: {s.stage} (owner {s.owner or 'none'})")


if __name__ == "__main__":
    main()
