'use strict';
// Reports (hand-computed), engine-free reports, FX, and paths straight
// into partials (merged partials equal one pass, bit for bit).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const fc = require('..');

const T0 = 1767225600000;
const DAY = 86400000;

function dealsEngine() {
  const e = new fc.Engine();
  const a = e.upsertContact({ keys: { email: 'a@acme.com' } });
  e.addTouch({ keys: { email: 'a@acme.com' }, channel: 'email', time: T0 });
  e.addTouch({ keys: { email: 'a@acme.com' }, channel: 'paid_search', time: T0 + DAY });
  for (const [id, amount, closed, status] of [['D1', 500000, T0 + 10 * DAY, 'won'], ['D2', 100000, T0 + 20 * DAY, 'won'], ['D3', 200000, T0 + 5 * DAY, 'lost']]) {
    e.upsertDeal({ id, contacts: [{ contact: a }], amount, currency: 'USD', created: T0, closed, status, owner: 'ann' });
  }
  e.upsertDeal({ id: 'D4', contacts: [{ contact: a }], amount: 300000, currency: 'USD', created: T0 + DAY, status: 'open', owner: 'bob', stage: 'demo' });
  return e;
}

test('reportDeals by owner', () => {
  const e = dealsEngine();
  try {
    const r = e.reportDeals({ groupBy: 'owner', asOf: T0 + 30 * DAY });
    assert.equal(r.kind, 'deals');
    const { ann, bob } = r.byKey();
    assert.deepEqual([ann.deals, ann.won, ann.lost, ann.win_rate, ann.won_amount], [3, 2, 1, 2 / 3, 600000]);
    assert.deepEqual([ann.cycle_median_days, ann.cycle_p90_days, ann.avg_deal_size], [15, 20, 300000]);
    assert.deepEqual([bob.win_rate, bob.pipeline, bob.forecast], [null, 300000, 200000]);
    assert.equal(r.totals.deals, 4);
    assert.equal(JSON.parse(r.toJson()).rows[0].group, 'ann');
    assert.equal(r.toCsv().split('\n')[2].split(',')[0], 'bob');
    const b = e.reportDeals({ groupBy: 'owner', asOf: T0 + 30 * DAY, benchmarkWinRate: 0.7 });
    assert.equal(b.byKey().ann.below_win_rate_benchmark, true);
    assert.throws(() => e.reportDeals({ groupBy: 'nope' }), fc.InvalidArgument);
  } finally {
    e.close();
  }
});

test('reportRoi hand computed, time to convert == survivalKm', () => {
  const e = dealsEngine();
  try {
    e.addCost({ channel: 'email', amount: 100000, start: T0 - 10 * DAY, end: T0 + 10 * DAY, currency: 'USD' });
    const r = e.reportRoi({ revenue: 'linear', pipeline: 'first', since: T0 - 10 * DAY, until: T0 + 30 * DAY });
    const { email, paid_search: paid } = r.byKey();
    assert.deepEqual([email.cost, email.revenue, email.roi, email.revenue_to_cost, email.pipeline], [100000, 300000, 2, 3, 1100000]);
    assert.deepEqual([paid.revenue, paid.roi], [300000, null]);
    assert.equal(r.totals.roi, 5);
    const half = e.reportRoi({ since: T0, until: T0 + 30 * DAY });
    assert.equal(half.byKey().email.cost, 50000);
    const asOf = T0 + 30 * DAY;
    const ttc = e.reportTimeToConvert({ asOf });
    const obs = e.deals().map((d) => [((d.status === 'open' ? asOf : d.closed) - d.created) / DAY, d.status === 'won']);
    const km = fc.survivalKm(obs.map((o) => o[0]), obs.map((o) => o[1]));
    assert.deepEqual(ttc.rows, km.rows);
    assert.equal(ttc.summary.median_days, 20);
  } finally {
    e.close();
  }
});

test('survivalKm, budgetAllocate, FX', () => {
  const s = fc.survivalKm([1, 2, 3, 4], [1, 0, 1, 1]);
  assert.deepEqual(s.rows.map((r) => r.survival), [0.75, 0.75, 0.375, 0]);
  assert.equal(s.summary.median_days, 3);
  const b = fc.budgetAllocate(100001, [['search', 3], ['events', 1, 0, 10000], { name: 'social', weight: 0, min: 5000 }]);
  const by = b.byKey();
  assert.deepEqual([by.search.amount, by.events.amount, by.social.amount], [85001, 10000, 5000]);
  for (const r of b.rows) assert.equal(r.q1 + r.q2 + r.q3 + r.q4, r.amount);
  assert.throws(() => fc.budgetAllocate(10, [['a', 1, 20]]), fc.OutOfRange);
  const fx = new fc.FX([['EUR', 'USD', 1.25]]);
  assert.equal(fx.convert(10000, 'EUR', 'USD', T0), 12500);
  assert.equal(fx.convert(12500, 'USD', 'EUR', T0), 10000);
  assert.throws(() => fx.add('EUR', 'USD', 1.1), fc.AlreadyExists);
  fx.close();
  assert.equal(fc.currencyDigits('JPY'), 0);
  const e = new fc.Engine();
  try {
    e.upsertDeal({ id: 'E1', amount: 10000, currency: 'EUR', created: T0, closed: T0 + DAY, status: 'won' });
    assert.throws(() => e.reportDeals({ asOf: T0 + 2 * DAY }), fc.NotFound);
    assert.equal(e.reportDeals({ asOf: T0 + 2 * DAY, fx: [['EUR', 'USD', 1.5]] }).rows[0].won_amount, 15000);
  } finally {
    e.close();
  }
});

test('paths read straight into partials merge to the one-pass result', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fnl-part-'));
  let seed = 12345;
  const rnd = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  const chans = ['search', 'email', 'social', 'direct', 'events'];
  const rows = Array.from({ length: 300 }, () => {
    const p = Array.from({ length: 1 + rnd(5) }, () => chans[rnd(5)]).join(' > ');
    const conv = rnd(3);
    return `${p},${conv},${conv ? `${1 + rnd(999)}.${10 + rnd(90)}` : '0'},${rnd(4)}`;
  });
  const header = 'path,total_conversions,total_conversion_value,total_null';
  const models = ['first', 'linear', 'markov', 'shapley'];
  const blobs = [0, 1, 2].map((k) => {
    const f = path.join(dir, `p${k}.csv`);
    fs.writeFileSync(f, [header, ...rows.filter((_, i) => i % 3 === k)].join('\n') + '\n');
    const p = new fc.AttributionPartial(models, { valueDecimals: 2 });
    p.readPaths(f);
    const b = p.save();
    p.close();
    return b;
  });
  const merged = fc.AttributionPartial.load(blobs[0]);
  for (const b of blobs.slice(1)) merged.merge(fc.AttributionPartial.load(b));
  const one = fc.Journeys.parsePaths([header, ...rows].join('\n') + '\n');
  const bits = (r) => r.rows.map((x) => [x.key, Buffer.from(new Float64Array([x.conversions, x.value]).buffer).toString('hex')]);
  for (const m of models) assert.deepEqual(bits(merged.finish(m)), bits(fc.attribute(one, m)), m);
  const p = new fc.AttributionPartial(['linear'], { valueDecimals: 2 });
  p.parsePaths(`${header}\na > b,1,1.00,0\n`);
  assert.throws(() => p.parsePaths(`${header}\nc,1,1.00,0\nd,x,0,0\n`), (e) => e instanceof fc.Corrupt && e.line === 3);
  assert.deepEqual(p.finish('linear').rows.map((r) => r.key), ['a', 'b']);
  assert.throws(() => p.readPaths(path.join(dir, 'missing.csv')), fc.StorageError);
  fs.rmSync(dir, { recursive: true });
});

test('engine attributionPartial equals engine.attribute', () => {
  const e = new fc.Engine();
  try {
    for (let i = 0; i < 6; i++) {
      const c = e.upsertContact({ keys: { email: `u${i}@co${i % 3}.com` } });
      e.addTouches(['search', 'email', 'events'].slice(0, 1 + (i % 3)).map((ch, k) => ({ keys: { email: `u${i}@co${i % 3}.com` }, channel: ch, time: T0 + k * DAY })));
      e.upsertDeal({ id: `D${i}`, contacts: [{ contact: c }], amount: (i + 1) * 10000, currency: 'USD', created: T0, closed: T0 + 5 * DAY, status: i % 2 ? 'won' : 'lost' });
    }
    const { partial, stats } = e.attributionPartial(['linear', 'markov'], { nonconverting: 'lostDeals' });
    assert.deepEqual([stats.conversions, stats.nonconverting, stats.currency], [3, 3, 'USD']);
    const again = fc.AttributionPartial.load(partial.save());
    for (const m of ['linear', 'markov']) {
      const want = e.attribute(m, { nonconverting: 'lostDeals' });
      assert.deepEqual(again.finish(m).rows, want.rows);
    }
  } finally {
    e.close();
  }
});
