'use strict';
// Lead scoring: Model.parse/text/score/explain; models attached to an
// engine (score == standalone model.score), key events, progress, cancel.
const test = require('node:test');
const assert = require('node:assert/strict');
const fc = require('..');

const T0 = 1767225600000;
const DAY = 86400000;
const MODEL = `model "enterprise" version 3
fit title contains director +10
fit company_size >= 200 +15
fit email freemail -20
engage type = pricing_view +5 cap 12
engage channel = email +1
key_event trial when type = trial_request +30
key_event "pricing x3" when type = pricing_view count 3 within 7d +20
grade A fit >= 25
grade B fit >= 10
band 1 engagement >= 50
band 2 engagement >= 20
threshold mql when score >= 40 and grade >= B
threshold hot when key_event trial
account rollup max
account engaged when engagement >= 10
account roles decision_maker, economic_buyer
`;
const pricing = (n, start = T0) => Array.from({ length: n }, (_, i) => ({ time: start + i * DAY, type: 'pricing_view' }));

test('parse, canonical text, info, errors', () => {
  const m = fc.Model.parse(MODEL);
  const text = m.text;
  assert.ok(text.startsWith('model "enterprise" version 3\n'));
  assert.equal(fc.Model.parse(text).text, text);
  const i = m.info;
  assert.deepEqual([i.name, i.version, i.halfLifeMs, i.fitRules, i.engageRules, i.keyEvents, i.thresholds],
    ['enterprise', 3, 0, 3, 2, 2, 2]);
  assert.deepEqual(m.keyEvents, ['trial', 'pricing x3']);
  assert.deepEqual(m.thresholds, ['mql', 'hot']);
  assert.throws(() => fc.Model.parse('model m\nfit title contains director 10\n'),
    (e) => e instanceof fc.InvalidArgument && e.line === 2 && e.column === 29 && /sign/.test(e.parseMessage));
  assert.throws(() => new fc.Model(), TypeError);
  m.close();
});

test('standalone score, explain and key-event history (hand computed)', () => {
  const m = fc.Model.parse(MODEL);
  const s = m.score({ title: 'IT Director', company_size: 500, email: 'ann@acme.com' },
    [...pricing(3), { time: T0 + 3 * DAY, type: 'webinar', channel: 'email' }], T0 + 10 * DAY);
  assert.deepEqual([s.fit, s.engagement, s.total, s.grade, s.band, s.cell], [25, 33, 58, 'A', 2, 'A2']);
  assert.deepEqual(s.keyEvents, ['pricing x3']);
  assert.deepEqual(s.thresholds, { mql: true, hot: false });
  const f = m.score({ email: 'x@gmail.com' }, pricing(2), T0 + 5 * DAY);
  assert.deepEqual([f.fit, f.engagement, f.cell], [-20, 10, 'D4']);
  const touches = [...pricing(4), { time: T0 + 9 * DAY, type: 'trial_request' }];
  const rows = m.explain({ title: 'Director', company_size: '250' }, touches, T0 + 9 * DAY);
  assert.deepEqual(rows.map((r) => r.kind), ['fit', 'fit', 'fit', 'engage', 'engage', 'key_event', 'key_event']);
  assert.equal(rows.reduce((a, r) => a + r.value, 0), 25 + 12 + 30 + 20);
  assert.deepEqual(m.keyEventHistory(touches, T0 + 9 * DAY),
    [{ index: 1, name: 'pricing x3', time: T0 + 2 * DAY }, { index: 0, name: 'trial', time: T0 + 9 * DAY }]);
  const d = fc.Model.parse('model d\ndecay half_life 1d\nengage type = demo +8\n');
  assert.deepEqual([0, 1, 2, 3].map((k) => d.score({}, [{ time: T0, type: 'demo' }], T0 + k * DAY).engagement), [8, 4, 2, 1]);
});

test('engine scores equal the standalone model; key events reach the listener', () => {
  const m = fc.Model.parse(MODEL);
  const events = [];
  const e = new fc.Engine({ listener: (ev) => events.push(ev) });
  try {
    const ann = e.upsertContact({ keys: { email: 'ann@acme.com' }, attrs: { title: 'Director of IT', company_size: 300 }, account: 'acme.com', role: 'decision_maker' });
    const bob = e.upsertContact({ keys: { email: 'bob@gmail.com' }, attrs: { title: 'Engineer' } });
    e.addTouches([...pricing(3).map((t) => ({ keys: { email: 'ann@acme.com' }, ...t })),
      ...[0, 1, 2, 3].map((i) => ({ keys: { email: 'bob@gmail.com' }, channel: 'email', time: T0 + i * DAY }))]);
    e.attachModel(m);
    assert.deepEqual(e.models().map((x) => x.text), [m.text]);
    const t = T0 + 20 * DAY;
    for (const c of [ann, bob]) {
      const info = e.contact(c);
      const attrs = Object.fromEntries(info.keys.map((k) => [k.kind, k.value]));
      Object.assign(attrs, info.attrs);
      const want = m.score(attrs, info.touches, t);
      assert.deepEqual(e.contactScore(c, null, t), want);
      assert.deepEqual(e.contactScore(c, 'enterprise', t), want);
      assert.deepEqual(e.contactExplain(c, m, t), m.explain(attrs, info.touches, t));
    }
    assert.deepEqual([e.contactScore(ann, null, t).fit, e.contactScore(ann, null, t).engagement], [25, 32]);
    events.length = 0;
    e.addTouch({ keys: { email: 'ann@acme.com' }, type: 'trial_request', time: T0 + 21 * DAY });
    assert.deepEqual(events.filter((x) => x.kind === 'key_event').map((x) => [x.model, x.name, x.contact, x.time]),
      [['enterprise', 'trial', ann, T0 + 21 * DAY]]);
    const acc = e.accountScore(e.findAccount('acme.com'), null, T0 + 21 * DAY);
    assert.equal(acc.score, 25 + 12 + 20 + 30);
    assert.deepEqual(acc.rolesRequired, ['decision_maker', 'economic_buyer']);
    assert.deepEqual([acc.rolesCovered, acc.coverage, acc.coveredRoles], [1, 0.5, ['decision_maker']]);
    e.detachModel('enterprise');
    assert.deepEqual(e.models(), []);
    assert.throws(() => e.contactScore(ann), fc.NotFound);
  } finally {
    e.close();
  }
});

test('attach progress, cancel by return value or by throwing', () => {
  const m = fc.Model.parse(MODEL);
  const e = new fc.Engine();
  try {
    const n = 9000;
    e.addTouches(Array.from({ length: n }, (_, i) => ({ keys: { cookie_id: `c${i}` }, time: T0, type: 'pricing_view' })));
    const calls = [];
    e.attachModel(m, (done, total) => { calls.push([done, total]); });
    assert.deepEqual(calls, [[4096, n], [8192, n], [n, n]]);
    const c = e.findContact('cookie_id', 'c5');
    assert.equal(e.contactScore(c, null, T0).engagement, 5);
    const other = fc.Model.parse(MODEL.replace('+5 cap 12', '+7 cap 12'));
    assert.throws(() => e.attachModel(other, () => true), fc.Canceled);
    assert.equal(e.contactScore(c, null, T0).engagement, 5);
    const boom = new RangeError('stop');
    assert.throws(() => e.attachModel(other, () => { throw boom; }), (x) => x === boom);
    assert.equal(e.contactScore(c, null, T0).engagement, 5);
    e.attachModel(other);
    assert.equal(e.contactScore(c, null, T0).engagement, 7);
  } finally {
    e.close();
  }
});
