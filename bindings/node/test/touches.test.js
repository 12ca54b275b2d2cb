'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fc = require('..');

const T0 = 1767225600000;
const DAY = 86400000;

test('addTouch parses UTM from the URL and derives the channel', () => {
  const e = new fc.Engine();
  const c = e.addTouch({ keys: { cookie_id: 'ck-9' }, time: T0, value: 250,
    url: 'https://acme.com/p?utm_source=google&utm_medium=cpc&utm_campaign=spring' });
  const [t] = e.touches(c);
  assert.equal(t.channel, 'paid_search');
  assert.equal(t.type, 'visit');
  assert.deepEqual([t.utmSource, t.utmMedium, t.utmCampaign, t.campaign], ['google', 'cpc', 'spring', 'spring']);
  assert.deepEqual([t.time, t.value, t.contact], [T0, 250, c]);
  e.close();
});

test('timeline in time order; Date times; first/last touch', () => {
  const e = new fc.Engine();
  const k = { email: 'n@acme.com' };
  e.addTouch({ keys: k, time: T0 + 2 * DAY, channel: 'email', type: 'email_click' });
  const c = e.addTouch({ keys: k, time: new Date(T0), channel: 'events', campaign: 'expo' });
  const i = e.contact(c);
  assert.deepEqual(i.touches.map((t) => t.time), [T0, T0 + 2 * DAY]);
  assert.deepEqual(i.touches.map((t) => t.channel), ['events', 'email']);
  assert.deepEqual([i.firstTouch, i.lastTouch, i.touchCount], [T0, T0 + 2 * DAY, 2]);
  assert.deepEqual(e.contact(c, { touches: false }).touches, []);
  e.close();
});

test('a batch is one call and returns contacts in order', () => {
  const e = new fc.Engine();
  const rows = Array.from({ length: 9 }, (_, i) => ({ keys: { email: `u${i % 3}@acme.com` }, time: T0 + i, channel: 'email' }));
  const ids = e.addTouches(rows);
  assert.equal(ids.length, 9);
  assert.equal(ids[0], ids[3]);
  assert.equal(new Set(ids).size, 3);
  assert.equal(e.stats().touches, 9);
  assert.deepEqual(e.addTouches([]), []);
  const gen = (function* g() { for (let i = 0; i < 4; i++) yield { keys: [['cookie_id', `c${i}`]], time: T0 }; }());
  assert.equal(new Set(e.addTouches(gen)).size, 4);
  e.close();
});

test('a batch with one bad touch records nothing and names it', () => {
  const e = new fc.Engine();
  e.addTouch({ keys: { email: 'q@acme.com' }, time: T0 });
  const before = e.stats();
  assert.throws(() => e.addTouches([
    { keys: { email: 'r@acme.com' }, time: T0 },
    { keys: { email: 's@acme.com' }, time: T0 },
    { keys: { email: 'broken' }, time: T0 },
  ]), (err) => err instanceof fc.InvalidArgument && /touch 2/.test(err.message) && /not an e-mail address/.test(err.message));
  const after = e.stats();
  assert.deepEqual([after.touches, after.contacts], [before.touches, before.contacts]);
  assert.equal(e.findContact('email', 'r@acme.com'), null);
  assert.throws(() => e.addTouches([{ keys: { email: 't@acme.com' } }, { chanel: 'x' }]), /touch 1: unknown touch field 'chanel'/);
  assert.throws(() => e.addTouches([42]), /touch 0: expected a touch object/);
  assert.throws(() => e.addTouch({ keys: { email: 'v@acme.com' }, value: -1, time: T0 }), /negative/);
  assert.throws(() => e.addTouch({ keys: { email: 'v@acme.com' }, time: 1.5 }), /time/);
  assert.equal(e.stats().touches, 1);
  e.close();
});

test('deals: upsert, find, read, update; won needs a close time', () => {
  const e = new fc.Engine();
  const c = e.upsertContact({ keys: { email: 'x@acme.com' } });
  const d = e.upsertDeal({ id: 'OPP-1', account: 'acme.com', amount: 1000000, currency: 'EUR', created: T0,
    stage: 'proposal', owner: 'sam',
    contacts: [{ contact: c, role: 'decision_maker' }, { key: ['email', 'y@acme.com'], role: 'user' }] });
  let i = e.deal(d);
  assert.deepEqual([i.name, i.amount, i.currency, i.status, i.stage, i.owner], ['OPP-1', 1000000, 'EUR', 'open', 'proposal', 'sam']);
  assert.equal(i.account, e.findAccount('acme.com'));
  const y = e.findContact('email', 'y@acme.com');
  assert.ok(y);
  assert.deepEqual(i.contacts, [{ contact: c, role: 'decision_maker' }, { contact: y, role: 'user' }]);
  assert.equal(e.findDeal('OPP-1'), d);
  assert.equal(e.findDeal('OPP-2'), null);
  e.upsertDeal({ id: 'OPP-1', amount: 900000, currency: 'EUR', created: T0, closed: T0 + 30 * DAY, status: 'won' });
  i = e.deal(d);
  assert.deepEqual([i.amount, i.status, i.closed], [900000, 'won', T0 + 30 * DAY]);
  assert.deepEqual(e.deals().map((x) => x.name), ['OPP-1']);
  assert.throws(() => e.upsertDeal({ id: 'OPP-9', amount: 1, created: T0, status: 'won' }), fc.InvalidArgument);
  assert.throws(() => e.upsertDeal({ id: 'OPP-9', status: 'maybe' }), /status/);
  e.close();
});

test('costs: add, read, errors', () => {
  const e = new fc.Engine();
  assert.equal(e.addCost({ channel: 'paid_search', campaign: 'spring', region: 'EMEA', start: T0, end: T0 + 30 * DAY, amount: 1000000, currency: 'EUR' }), 0);
  assert.equal(e.addCost({ campaign: 'fair', start: T0, end: T0 + DAY, amount: 5 }), 1);
  const c = e.cost(0);
  assert.deepEqual([c.channel, c.campaign, c.region, c.amount, c.currency, c.start, c.end],
    ['paid_search', 'spring', 'EMEA', 1000000, 'EUR', T0, T0 + 30 * DAY]);
  assert.equal(e.costs()[1].currency, 'USD');
  assert.equal(e.costs()[1].channel, null);
  assert.throws(() => e.cost(2), fc.NotFound);
  assert.throws(() => e.addCost({ channel: 'x', start: T0 + 1, end: T0, amount: 1 }), fc.InvalidArgument);
  assert.equal(e.costs().length, 2);
  const s = e.stats();
  assert.equal(s.costs, 2);
  assert.ok(s.memoryBytes > 0 && s.memoryPeak >= s.memoryBytes);
  e.close();
});

test('packed batches agree with the koffi object path', () => {
  const native = require('../lib/native');
  const rows = Array.from({ length: 40 }, (_, i) => ({
    keys: i % 5 === 0 ? [['cookie_id', `ck${i % 4}`], ['email', `p${i % 3}@acme.com`]] : { email: `p${i % 3}@acme.com` },
    time: i === 7 ? new Date(T0) : T0 + i, channel: ['email', 'events'][i % 2], campaign: 'c\u00e9-\u4e2d',
    value: i, type: 'visit', utmTerm: i % 3 ? undefined : 'crm software',
  }));
  const run = () => {
    const e = new fc.Engine();
    const ids = e.addTouches(rows);
    const single = e.addTouch({ keys: { email: 'solo@acme.com' }, time: T0, value: 2 ** 40 });
    const res = [ids, [...e.contacts({ touches: true })], e.stats().merges, e.touches(single)];
    e.close();
    return res;
  };
  const packed = run();
  const saved = native.RAW;
  native.RAW = false;
  try {
    const plain = run();
    assert.deepEqual(packed, plain);
  } finally {
    native.RAW = saved;
  }
  assert.equal(packed[3][0].value, 2 ** 40);
  assert.ok(packed[1].some((c) => c.touches.some((t) => t.campaign === 'c\u00e9-\u4e2d' && t.utmTerm === 'crm software')));
});

test('who made a touch is kept and read back, as written', () => {
  const e = new fc.Engine();
  const k = { email: 'ann@acme.com' };
  const c = e.upsertContact({ keys: k, owner: 'alice', time: T0 });
  assert.equal(e.addTouch({ keys: k, time: T0 + 1, type: 'call', channel: 'sales', by: 'alice' }), c);
  e.addTouches([
    { keys: k, time: T0 + 2, type: 'call', channel: 'sales', by: 'bob' },
    { keys: k, time: T0 + 3, type: 'call', channel: 'sales' },
    { keys: k, time: T0 + 4, type: 'call', channel: 'sales', by: 'Alice' },
  ]);
  assert.deepEqual(e.touches(c).map((t) => [t.time - T0, t.by]),
    [[1, 'alice'], [2, 'bob'], [3, null], [4, 'Alice']]);
  // no dimension: the four touches read the same otherwise
  assert.deepEqual(new Set(e.touches(c).map((t) => `${t.type}/${t.channel}/${t.campaign}`)),
    new Set(['call/sales/null']));
  assert.equal(e.contact(c).touches[0].by, 'alice');
  assert.throws(() => e.addTouch({ keys: k, time: T0, by: '' }),
    (err) => err instanceof fc.InvalidArgument && /touch by: empty/.test(err.message));
  assert.throws(() => e.addTouches([{ keys: k, time: T0, by: 'ok' }, { keys: k, time: T0, by: 'x'.repeat(4097) }]),
    /touch 1: touch by: longer/);
  assert.equal(e.stats().touches, 4);
  e.close();
});

test('actors agree between packed batches and the koffi object path', () => {
  const native = require('../lib/native');
  const rows = Array.from({ length: 12 }, (_, i) => ({
    keys: { email: `p${i % 3}@acme.com` }, time: T0 + i, type: 'call',
    by: [undefined, 'r\u00e9p-1', 'rep-2'][i % 3],
  }));
  const run = () => {
    const e = new fc.Engine();
    e.addTouches(rows);
    const out = [...e.contactIds()].flatMap((c) => e.touches(c).map((t) => [t.time, t.by]))
      .sort((a, b) => a[0] - b[0]);
    e.close();
    return out;
  };
  const packed = run();
  const saved = native.RAW;
  native.RAW = false;
  try {
    assert.deepEqual(run(), packed);
  } finally {
    native.RAW = saved;
  }
  assert.deepEqual(packed.slice(0, 3), [[T0, null], [T0 + 1, 'r\u00e9p-1'], [T0 + 2, 'rep-2']]);
});

test('actors survive a checkpoint and a reopen', () => {
  const fs = require('node:fs');
  const os = require('node:os');
  const path = require('node:path');
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fnl-by-')), 'db');
  let st = new fc.FileStore(dir);
  let e = new fc.Engine({ storage: st });
  const k = { email: 'ann@acme.com' };
  const c = e.addTouch({ keys: k, time: T0, type: 'call', by: 'alice' });
  e.checkpoint();
  e.addTouch({ keys: k, time: T0 + 1, type: 'call', by: 'bob' });
  e.close();
  st.close();
  st = new fc.FileStore(dir);
  e = new fc.Engine({ storage: st });
  assert.deepEqual(e.touches(c).map((t) => t.by), ['alice', 'bob']);
  e.close();
  st.close();
  fs.rmSync(path.dirname(dir), { recursive: true, force: true });
});
