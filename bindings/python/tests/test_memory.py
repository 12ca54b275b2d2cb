"""No memory grows across 100,000 wrapped calls (RSS stays flat)."""
import gc
import os
import time

import pytest

import funnelcore as fc
from conftest import T0

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def workload(n: int, events: list) -> None:
    """n wrapped calls that leave no state behind except in engines that
    are closed every 1,000 calls."""
    e = None
    for i in range(n):
        if i % 1000 == 0:
            if e is not None:
                e.close()
            e = fc.Engine(listener=events.append, clock=lambda: T0)
            # a batch and some data each round; freed by close()
            e.add_touches([{"keys": {"email": f"b{k}@acme.com"},
                            "channel": "email"} for k in range(20)])
            c = e.upsert_contact({"email": "same@acme.com"},
                                 attrs={"title": "CTO"}, tags_add=["t"])
        k = i % 5
        if k == 0:
            e.contact(c)  # keys, attrs, tags, touches readers
        elif k == 1:
            e.find_contact("email", "same@acme.com")
        elif k == 2:
            try:
                e.upsert_contact({"email": "bad"})
            except fc.InvalidArgument:
                pass
        elif k == 3:
            e.upsert_contact({"email": "same@acme.com"},
                             attrs={"title": "CTO"})
        else:
            e.stats()
        if len(events) > 1000:
            events.clear()
    e.close()


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"),
                    reason="needs /proc")
def test_rss_flat_over_100k_calls():
    events: list = []
    workload(20_000, events)  # warm-up: caches, allocator arenas
    gc.collect()
    before = rss()
    t = time.monotonic()
    workload(100_000, events)
    gc.collect()
    grown = rss() - before
    elapsed = time.monotonic() - t
    # 100,000 calls; a leak of even 64 bytes per call would be 6 MB
    assert grown < 3 * 1024 * 1024, f"RSS grew by {grown} bytes"
    assert elapsed < 60
