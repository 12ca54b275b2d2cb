'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const fc = require('..');

const T0 = 1767225600000;

test('engine state survives a reopen of a file store', () => {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fnl-')), 'db');
  let st = new fc.FileStore(dir);
  let e = new fc.Engine({ storage: st });
  const c = e.upsertContact({ keys: { email: 'Ann@Acme.com' }, attrs: { t: 'CTO' }, time: T0 });
  e.addTouches([0, 1, 2].map((i) => ({ keys: { email: 'ann@acme.com' }, time: T0 + i })));
  assert.ok(e.stats().journalSeq >= 2);
  assert.throws(() => st.close(), fc.Busy);
  e.close();
  st.close();
  st = new fc.FileStore(dir);
  e = new fc.Engine({ storage: st });
  assert.equal(e.findContact('email', 'ann@acme.com'), c);
  assert.equal(e.contact(c).touchCount, 3);
  e.checkpoint();
  e.sync();
  e.close();
  const s = st.stats();
  assert.ok(s.hasSnapshot);
  assert.equal(typeof st.errmsg, 'string');
  st.close();
  assert.throws(() => new fc.FileStore(path.join(dir, 'x', 'y'), { createIfMissing: false }), fc.NotFound);
});

test('memory store, forget and the forgotten event', () => {
  const st = new fc.MemoryStore();
  const events = [];
  const e = new fc.Engine({ storage: st, listener: (ev) => events.push(ev) });
  const c = e.addTouch({ keys: { email: 'gdpr@acme.com' }, time: T0, channel: 'email' });
  e.forget(c);
  assert.equal(e.findContact('email', 'gdpr@acme.com'), null);
  assert.throws(() => e.contact(c), fc.Stale);
  assert.deepEqual([e.stats().forgotten, e.stats().touches], [1, 1]);
  assert.equal(events.at(-1).kind, 'contact_forgotten');
  assert.throws(() => new fc.Engine().checkpoint(), fc.InvalidArgument);
  e.close();
  st.close();
});
