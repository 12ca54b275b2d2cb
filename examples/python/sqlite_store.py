#!/usr/bin/env python3
"""A funnelcore storage written in Python over SQLite (the sqlite3 module).

SQLiteStore implements funnelcore.CustomStore, so the bindings build the
fnl_storage callback table over it and the engine journals every mutation
into the database; opening an engine on the same file replays it.  Same
schema as the C example (examples/sqlite_store.c, docs/storage-sqlite.md):

    journal(seq INTEGER PRIMARY KEY, rec BLOB)   one row per record
    snapshot(id = 1, seq, data BLOB)             the current snapshot

Records are written in the open transaction and committed by sync() (the
contract: a record need not be durable until sync()); snapshots and
truncations commit at once, so a snapshot is replaced atomically.

Run it: PYTHONPATH=bindings/python python3 examples/python/sqlite_store.py
[database]: it fills an engine, checkpoints, adds more, closes, reopens
from the database and prints what came back.
"""
import os
import sqlite3
import sys
import tempfile

import funnelcore as fc


class SQLiteStore(fc.CustomStore):
    """funnelcore storage in one SQLite database file."""

    def __init__(self, path):
        self.path = path
        self.db = sqlite3.connect(path)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS journal "
                        "(seq INTEGER PRIMARY KEY, rec BLOB NOT NULL)")
        self.db.execute("CREATE TABLE IF NOT EXISTS snapshot "
                        "(id INTEGER PRIMARY KEY CHECK (id = 1), "
                        "seq INTEGER NOT NULL, data BLOB NOT NULL)")
        self.db.commit()

    # fnl_storage, in Python -------------------------------------------------

    def append(self, seq, record):
        last = self.db.execute("SELECT max(seq) FROM journal").fetchone()[0]
        if last is not None and seq <= last:
            raise fc.InvalidArgument(-1, f"seq {seq} after {last}")
        self.db.execute("INSERT INTO journal VALUES (?, ?)", (seq, record))

    def sync(self):
        self.db.commit()

    def replay(self, after):
        # a list, not a live cursor: the engine may append while replaying
        # nothing, but a cursor must not outlive a commit
        return self.db.execute("SELECT seq, rec FROM journal WHERE seq > ? "
                               "ORDER BY seq", (after,)).fetchall()

    def write_snapshot(self, seq, data):
        with self.db:  # one transaction: the old snapshot or the new one
            self.db.execute("INSERT OR REPLACE INTO snapshot VALUES "
                            "(1, ?, ?)", (seq, data))

    def read_snapshot(self):
        row = self.db.execute("SELECT seq, data FROM snapshot "
                              "WHERE id = 1").fetchone()
        return None if row is None else (row[0], bytes(row[1]))

    def truncate(self, upto):
        with self.db:
            self.db.execute("DELETE FROM journal WHERE seq <= ?", (upto,))

    def close(self):
        if self.db is not None:
            self.db.commit()
            self.db.close()
            self.db = None

    # for the demo and the test
    def counts(self):
        j = self.db.execute("SELECT count(*) FROM journal").fetchone()[0]
        s = self.db.execute("SELECT seq FROM snapshot").fetchone()
        return j, (s[0] if s else None)


T0 = 1767225600000  # 2026-01-01T00:00:00Z
DAY = 86400000

MODEL = """\
model demo
fit title contains director +10
engage type = pricing_view +5
key_event trial when type = trial_request +30
"""


def fill(eng, first, last):
    """Contacts first..last-1, two touches each, a deal every third."""
    eng.add_touches([{"keys": {"email": f"u{i}@co{i % 4}.com"},
                      "channel": ("email", "paid_search")[i % 2],
                      "type": ("pricing_view", "trial_request")[i % 2],
                      "time": T0 + i * DAY} for i in range(first, last)]
                    + [{"keys": {"email": f"u{i}@co{i % 4}.com"},
                        "channel": "events", "time": T0 + i * DAY + 1}
                       for i in range(first, last)])
    for i in range(first, last, 3):
        eng.upsert_deal(f"D{i}", contacts=[("email", f"u{i}@co{i % 4}.com")],
                        amount=1000_00 * (i + 1), currency="EUR",
                        created=T0 + i * DAY, closed=T0 + (i + 9) * DAY,
                        status="won")


def state(eng):
    """What should survive a restart, as plain data."""
    s = eng.stats()
    contacts = [(c.id, c.keys, c.attrs, [(t.time, t.channel, t.type)
                                         for t in c.touches])
                for c in eng.contacts(touches=True)]
    scores = [(c, eng.contact_score(c, t=T0 + 60 * DAY).total)
              for c in eng.contact_ids()]
    return (s.contacts, s.accounts, s.touches, s.deals, contacts, scores,
            [(d.name, d.amount, d.status) for d in eng.deals()],
            eng.attribute("linear").to_dict())


def main(path):
    store = SQLiteStore(path)
    with fc.Engine(storage=store) as eng:
        fill(eng, 0, 12)
        eng.upsert_contact({"email": "u1@co1.com"},
                           attrs={"title": "Director of IT"})
        with fc.Model.parse(MODEL) as m:
            eng.attach_model(m)
        eng.checkpoint()               # snapshot; the journal is dropped
        fill(eng, 12, 20)              # journaled after the snapshot
        eng.sync()
        before = state(eng)
    print("journal records %d, snapshot covers seq %d" % store.counts())
    store.close()

    with SQLiteStore(path) as store2:
        with fc.Engine(storage=store2) as eng:
            after = state(eng)
            print(f"reopened: contacts {after[0]}  accounts {after[1]}  "
                  f"touches {after[2]}  deals {after[3]}")
            print(f"model {eng.models()[0].name}: u1 scores "
                  f"{eng.contact_score(eng.find_contact('email', 'u1@co1.com'), t=T0 + 60 * DAY).total:g}")
            rows = {r['key']: r['value'] for r in after[7]['rows']}
            print("linear attribution: " + "  ".join(
                f"{k} {v / 100:,.2f}" for k, v in sorted(rows.items())))
            print("same state after reopening:", after == before)
    return 0 if after == before else 1


if __name__ == "__main__":
    if len(sys.argv) > 1:
        sys.exit(main(sys.argv[1]))
    with tempfile.TemporaryDirectory() as d:
        sys.exit(main(os.path.join(d, "funnel.db")))
