'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fc = require('..');

const T0 = 1767225600000;
const DAY = 86400000;

test('clock drives now and default times; Date accepted', () => {
  let now = T0;
  const e = new fc.Engine({ clock: () => now });
  assert.equal(e.now(), T0);
  const c = e.addTouch({ keys: { email: 'a@acme.com' } });
  now += DAY;
  e.addTouch({ keys: { email: 'a@acme.com' } });
  assert.deepEqual(e.touches(c).map((t) => t.time), [T0, T0 + DAY]);
  e.close();
  const d = new fc.Engine({ clock: () => new Date(T0) });
  assert.equal(d.now(), T0);
  d.close();
});

test('an exception in the clock is rethrown and the call changes nothing', () => {
  let fail = true;
  class ClockBroke extends Error {}
  const e = new fc.Engine({ clock: () => { if (fail) throw new ClockBroke('no time'); return T0; } });
  assert.throws(() => e.addTouch({ keys: { email: 'b@acme.com' } }), ClockBroke);
  assert.throws(() => e.addTouches([{ keys: { email: 'b@acme.com' } }]), ClockBroke);
  assert.throws(() => e.now(), ClockBroke);
  assert.deepEqual([e.stats().touches, e.stats().contacts], [0, 0]);
  fail = false;
  e.addTouch({ keys: { email: 'b@acme.com' } });
  assert.equal(e.stats().touches, 1);
  e.close();
  const bad = new fc.Engine({ clock: () => undefined });
  assert.throws(() => bad.now(), TypeError);
  bad.close();
});

test('listener gets events after the mutation and may read', () => {
  const seen = [];
  let e = null;
  e = new fc.Engine({ listener: (ev) => seen.push(ev.kind === 'contact_created' ? [ev.kind, e.contactKeys(ev.contact)[0].value] : [ev.kind, ev.name]) });
  e.upsertContact({ keys: { email: 'c@acme.com' }, time: T0 });
  assert.deepEqual(seen, [['contact_created', 'c@acme.com'], ['account_created', 'acme.com'], ['account_assigned', 'acme.com']]);
  e.close();
});

test('an exception in the listener is rethrown; the mutation is kept', () => {
  const calls = [];
  const e = new fc.Engine({ listener: (ev) => { calls.push(ev.kind); throw new RangeError(`boom on ${ev.kind}`); } });
  assert.throws(() => e.upsertContact({ keys: { email: 'd@acme.com' }, time: T0 }), /boom on contact_created/);
  assert.ok(e.findContact('email', 'd@acme.com'));
  assert.deepEqual(calls, ['contact_created']);
  assert.throws(() => e.addTouches([{ keys: { email: 'e@gmail.com' }, time: T0 }]), RangeError);
  assert.equal(e.stats().touches, 1);
  e.addTouch({ keys: { email: 'd@acme.com' }, time: T0 }); // no event, no throw
  e.close();
});

test('mutating from inside the listener is Busy', () => {
  const codes = [];
  let e = null;
  e = new fc.Engine({ listener: () => { try { e.upsertContact({ keys: { email: 'inner@acme.com' } }); } catch (err) { codes.push(err.codeName); } } });
  e.upsertContact({ keys: { email: 'outer@gmail.com' }, time: T0 });
  assert.deepEqual(codes, ['FNL_EBUSY']);
  assert.equal(e.findContact('email', 'inner@acme.com'), null);
  e.close();
});

test('non-function callbacks are rejected', () => {
  assert.throws(() => new fc.Engine({ clock: 5 }), TypeError);
  assert.throws(() => new fc.Engine({ listener: 'print' }), TypeError);
});
