#!/usr/bin/env python3
"""Touches per second ingested from Python: batches (one library call per
batch) and single add_touch calls.  The workload follows
tests/bench/bench_ingest.c: business e-mails at 1 company per 50 contacts,
channel, type and campaign given explicitly.  Input dicts are built before
timing starts, so the figures are the binding plus the library.

    FUNNELCORE_LIB=build/src/libfunnelcore.so /usr/bin/python3 \\
        bindings/python/bench_ingest.py [touches] [contacts] [batch]
"""
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import funnelcore as fc  # noqa: E402

CHANNELS = ["paid_search", "organic_search", "email", "paid_social",
            "events", "referral", "display", "direct"]
TYPES = ["visit", "email_open", "email_click", "form_submit", "pricing_view",
         "webinar_attend"]
T0 = 1767225600000


def workload(n, ncontacts):
    x = 0x9E3779B9
    rows = []
    for i in range(n):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        c = x % ncontacts
        rows.append({"keys": {"email": f"user{c:07d}@company{c % 20000:05d}.com"},
                     "time": T0 + i * 1000, "channel": CHANNELS[x % 8],
                     "type": TYPES[(x >> 8) % 6],
                     "campaign": f"campaign-{(x >> 12) % 200:03d}"})
    return rows


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300_000
    ncontacts = int(sys.argv[2]) if len(sys.argv) > 2 else 30_000
    batch = int(sys.argv[3]) if len(sys.argv) > 3 else 10_000
    rows = workload(n, ncontacts)
    with fc.Engine() as eng:
        t = time.perf_counter()
        for i in range(0, n, batch):
            eng.add_touches(rows[i:i + batch])
        dt = time.perf_counter() - t
        assert eng.stats().touches == n
        print(f"python batch   ({batch:>6} per call): {n / dt:12,.0f} "
              f"touches/s  ({n} touches, {ncontacts} contacts, {dt:.2f} s)")
    per_row = rows[: max(1, n // 3)]
    with fc.Engine() as eng:
        t = time.perf_counter()
        for r in per_row:
            eng.add_touch(**r)
        dt = time.perf_counter() - t
        print(f"python per row (add_touch)        : {len(per_row) / dt:12,.0f} "
              f"touches/s  ({len(per_row)} touches, {dt:.2f} s)")
    print(f"library {fc.library_version} at {fc.library_path}")


if __name__ == "__main__":
    main()
