"""Paths CSV straight into partials, partials over the engine, and their
bytes: merged partials equal one pass, bit for bit."""
import random
import struct

import pytest

import funnelcore as fc
from conftest import DAY, T0

MODELS = ["first", "last", "linear", "u_shaped", "markov", "shapley"]


def paths_csv(n, seed=7):
    rnd = random.Random(seed)
    chans = ["search", "email", "social", "direct", "events"]
    lines = ["path,total_conversions,total_conversion_value,total_null"]
    for _ in range(n):
        path = " > ".join(rnd.choice(chans)
                          for _ in range(rnd.randint(1, 5)))
        conv = rnd.randint(0, 3)
        value = f"{rnd.randint(1, 999)}.{rnd.randint(10, 99)}" if conv \
            else "0"
        lines.append(f"{path},{conv},{value},{rnd.randint(0, 5)}")
    return "\n".join(lines) + "\n"


def bits(res):
    return [(r.key, struct.pack("<dd", r.conversions, r.value))
            for r in res.rows]


def test_read_partial_split_equals_one_pass(tmp_path):
    text = paths_csv(400)
    header, *rows = text.splitlines()
    parts = []
    for k in range(3):
        f = tmp_path / f"part{k}.csv"
        f.write_text("\n".join([header] + rows[k::3]) + "\n")
        p = fc.AttributionPartial(MODELS, value_decimals=2)
        p.read_paths(f)
        parts.append(p.save())
    merged = fc.AttributionPartial.load(parts[0])
    for b in parts[1:]:
        merged.merge(fc.AttributionPartial.load(b))
    one = fc.Journeys.parse_paths(text)
    for m in MODELS:
        want = fc.attribute(one, m)
        got = merged.finish(m)
        assert bits(got) == bits(want), m
        assert got.total_conversions == want.total_conversions
    # parse_paths: the same from text in memory
    p = fc.AttributionPartial(["linear"], value_decimals=2)
    p.parse_paths(text)
    assert bits(p.finish("linear")) == bits(fc.attribute(one, "linear"))


def test_read_partial_errors_are_all_or_nothing(tmp_path):
    p = fc.AttributionPartial(["linear"], value_decimals=2)
    p.parse_paths("path,total_conversions\na > b,1\n")
    with pytest.raises(fc.Corrupt) as ei:
        p.parse_paths("path,total_conversions\nc,1\nd,x\n")
    assert ei.value.line == 3
    assert [r.key for r in p.finish("linear").rows] == ["a", "b"]
    with pytest.raises(fc.StorageError):
        p.read_paths(tmp_path / "missing.csv")
    with pytest.raises(fc.Corrupt):
        fc.AttributionPartial.load(b"not a partial")
    blob = bytearray(p.save())
    blob[-1] ^= 1
    with pytest.raises(fc.Corrupt):
        fc.AttributionPartial.load(bytes(blob))


def test_engine_partial_equals_engine_attribute():
    with fc.Engine() as e:
        for i in range(6):
            c = e.upsert_contact({"email": f"u{i}@co{i % 3}.com"})
            e.add_touches([{"keys": {"email": f"u{i}@co{i % 3}.com"},
                            "channel": ch, "time": T0 + k * DAY}
                           for k, ch in enumerate(["search", "email",
                                                   "events"][:1 + i % 3])])
            e.upsert_deal(f"D{i}", contacts=[c], amount=(i + 1) * 100_00,
                          currency="USD", created=T0,
                          closed=T0 + 5 * DAY, status="won" if i % 2 else
                          "lost")
        p, st = e.attribution_partial(["linear", "markov"],
                                      nonconverting="lost_deals")
        assert (st.conversions, st.nonconverting, st.currency) == (3, 3,
                                                                   "USD")
        again = fc.AttributionPartial.load(p.save())
        for m in ("linear", "markov"):
            want = e.attribute(m, nonconverting="lost_deals")
            assert bits(again.finish(m)) == bits(want)
