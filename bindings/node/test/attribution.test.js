'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const fc = require('..');

const PATHS = 'path,total_conversions,total_conversion_value,total_null\n' +
  'a > b,1,10.00,0\nb,1,20.00,0\na > c,0,0,3\n';
// results are fixed point inside the library (2^-32 conversions, 2^-16 value)
const near = (a, b) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));
const byKey = (r) => Object.fromEntries(r.rows.map((x) => [x.key, x]));

test('first, last, linear credit computed by hand', () => {
  const j = fc.Journeys.parsePaths(PATHS);
  assert.equal(j.length, 3);
  assert.equal(j.groupCount, 3);
  const first = byKey(fc.attribute(j, 'first'));
  assert.deepEqual([first.a.conversions, first.a.value, first.b.conversions, first.b.value], [1, 10, 1, 20]);
  const last = fc.attribute(j, 'last');
  assert.equal(byKey(last).b.conversions, 2);
  assert.equal(byKey(last).b.value, 30);
  const lin = byKey(fc.attribute(j, 'linear'));
  assert.ok(near(lin.a.conversions, 0.5) && near(lin.b.conversions, 1.5));
  assert.ok(near(lin.a.value, 5) && near(lin.b.value, 25));
  assert.equal(last.totalConversions, 2);
  assert.equal(last.totalValue, 30);
  assert.equal(last.totalNulls, 3);
  for (const m of ['markov', 'shapley', 'u_shaped']) {
    const r = fc.attribute(j, m);
    assert.ok(near(r.rows.reduce((s, x) => s + x.conversions, 0), 2), m);
  }
  j.close();
});

test('caller-built journeys, time decay, errors', () => {
  const day = 86400000;
  const r = byKey(fc.attribute([{ groups: ['email', 'search'], conversions: 1, value: 100, times: [0, 7 * day] }], 'time_decay', { halfLifeMs: 7 * day }));
  assert.ok(near(r.email.conversions, 1 / 3));
  assert.ok(near(r.search.value, 200 / 3));
  const j = fc.Journeys.parsePaths(PATHS);
  assert.throws(() => fc.attribute(j, 'time_decay'), fc.InvalidArgument);
  assert.throws(() => fc.attribute(j, 'astrology'), /unknown attribution model/);
  assert.throws(() => fc.attribute([{ groups: ['a'], value: 5 }], 'first'), /journey 0/);
  j.close();
});

test('malformed paths say where; files are read', () => {
  assert.throws(() => fc.Journeys.parsePaths('path,total_conversions\na > b,x\n'), (e) => e instanceof fc.Corrupt && e.line === 2 && /line 2/.test(e.message));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fnl-'));
  const f = path.join(dir, 'paths.csv');
  fs.writeFileSync(f, PATHS);
  const j = fc.Journeys.readPaths(f);
  assert.equal(j.length, 3);
  j.close();
  assert.throws(() => fc.Journeys.readPaths(path.join(dir, 'missing.csv')), fc.StorageError);
  fs.rmSync(dir, { recursive: true });
});

test('partials merge to the single run', () => {
  const j = fc.Journeys.parsePaths(PATHS);
  const whole = fc.attribute(j, 'markov');
  const p1 = new fc.AttributionPartial(['markov'], { valueDecimals: 2 });
  const p2 = new fc.AttributionPartial(['markov'], { valueDecimals: 2 });
  p1.add(j, 0, 2);
  p2.add(j, 2);
  p1.merge(p2);
  assert.deepEqual(p1.finish('markov').rows, whole.rows);
  assert.throws(() => p1.finish('first'), fc.InvalidArgument);
  p1.close(); p2.close(); j.close();
});

const hasEngineAttr = require('../lib/native').has('fnl_engine_attribute');

test('attribution over the engine credits the buying group', { skip: !hasEngineAttr }, () => {
  const day = 86400000;
  const t0 = 1767225600000;
  const e = new fc.Engine();
  const ann = e.addTouch({ keys: { email: 'ann@acme.com' }, channel: 'email', time: t0 });
  e.addTouch({ keys: { email: 'bob@acme.com' }, channel: 'events', time: t0 + day });
  e.addTouch({ keys: { email: 'ann@acme.com' }, channel: 'email', time: t0 - 200 * day });
  e.upsertDeal({ id: 'D1', account: 'acme.com', contacts: [{ contact: ann, role: 'user' }], amount: 100000,
    currency: 'EUR', created: t0 + 2 * day, closed: t0 + 10 * day, status: 'won' });
  const r = byKey(e.attribute('linear'));
  assert.deepEqual([r.email.conversions, r.email.value, r.events.conversions, r.events.value], [0.5, 50000, 0.5, 50000]);
  const c = e.attribute('first', { scope: 'contact', valueDecimals: 2 });
  assert.deepEqual(c.rows.map((x) => [x.key, x.conversions, x.value]), [['email', 1, 1000]]);
  assert.equal(c.journeysStats.currency, 'EUR');
  assert.equal(e.attribute('first', { lookbackMs: -1 }).journeysStats.touches, 3);
  const { journeys, stats } = e.journeys();
  assert.equal(journeys.length, 1);
  assert.equal(stats.touches, 2);
  journeys.close();
  assert.throws(() => e.attribute('first', { groupBy: 'weather' }), /groupBy/);
  e.close();
});

test('partials save and load', { skip: !hasEngineAttr }, () => {
  const j = fc.Journeys.parsePaths(PATHS);
  const p = new fc.AttributionPartial(['markov'], { valueDecimals: 2 });
  p.add(j);
  const bytes = p.save();
  const q = fc.AttributionPartial.load(bytes);
  assert.deepEqual(q.finish('markov').rows, p.finish('markov').rows);
  const bad = Buffer.from(bytes);
  bad[bad.length - 1] ^= 0xff;
  assert.throws(() => fc.AttributionPartial.load(bad), fc.Corrupt);
  p.close(); q.close(); j.close();
});
