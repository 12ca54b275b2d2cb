'use strict';
// Lifecycle stage machines: Machine.parse/default/text; machines attached
// to an engine (stages, host events, ticks, SLA breaches, history,
// listener events with readable kinds).
const test = require('node:test');
const assert = require('node:assert/strict');
const fc = require('..');

const T0 = 1767225600000;
const DAY = 86400000;
const MODEL = `model demo
fit title contains director +10
engage type = demo_request +30
threshold mql when score >= 30
`;
const TINY = `machine "tiny" version 2
stage inquiry initial
stage mql
stage sal
group sdr members "ana", "ben"
transition inquiry -> mql on event qualify
transition mql -> sal on event sales_accept
route on mql to group sdr
sla mql accept within 1d
`;

function setup() {
  const st = { now: T0, events: [] };
  st.eng = new fc.Engine({ clock: () => st.now, listener: (e) => st.events.push(e) });
  return st;
}

test('default machine: text, facts, canonical round trip', () => {
  const m = fc.Machine.default();
  assert.equal(m.name, 'waterfall');
  assert.equal(m.version, 1);
  assert.deepEqual(m.stages, ['inquiry', 'mql', 'sal', 'sql', 'opportunity',
    'customer', 'nurture', 'recycled', 'disqualified']);
  const text = m.text;
  assert.ok(text.startsWith('machine "waterfall" version 1\n'));
  assert.ok(text.includes('transition inquiry -> mql when threshold "mql"\n'));
  assert.ok(text.includes('sla mql accept within 2d\n'));
  assert.equal(fc.Machine.parse(text).text, text);
  assert.equal(String(m), text);
  m.close();
  m.close();
  assert.throws(() => m.text, fc.InvalidArgument);
  assert.throws(() => new fc.Machine(), TypeError);
});

test('parse errors carry line and column', () => {
  const m = fc.Machine.parse('machine tiny version 2\nstage inquiry initial\nstage mql\ntransition inquiry -> mql on event X\n');
  assert.equal(m.text, 'machine "tiny" version 2\nstage inquiry initial\nstage mql\ntransition inquiry -> mql on event x\n');
  assert.throws(() => fc.Machine.parse('machine m version 1\nstage a initial\ntransition a -> sqll on event x\n'),
    (e) => e instanceof fc.InvalidArgument && e.line === 3 && e.column === 17 &&
      e.parseMessage === "unknown stage 'sqll'" &&
      e.message.includes("line 3, column 17: unknown stage 'sqll'"));
});

test('without a machine', () => {
  const { eng } = setup();
  const c = eng.upsertContact({ keys: { email: 'a@acme.com' } });
  assert.throws(() => eng.contactStage(c), fc.NotFound);
  assert.throws(() => eng.contactEvent(c, 'sales_accept'), fc.NotFound);
  eng.tick();
  assert.throws(() => eng.attachMachine('waterfall'), fc.InvalidArgument);
  eng.close();
});

test('default machine: score to mql, SLA breach on tick, sales_accept, history', () => {
  const st = setup();
  const { eng } = st;
  eng.attachModel(fc.Model.parse(MODEL));
  eng.attachMachine(fc.Machine.default());
  const c = eng.upsertContact({ keys: { email: 'ann@acme.com' }, attrs: { title: 'Director' } });
  let s = eng.contactStage(c); // score 10 < 30: inquiry
  assert.deepEqual(s, { stage: 'inquiry', index: 0, entered: T0, owner: null,
    reached: ['inquiry'], reachedMask: 1, reachedCount: 1, unsubscribed: false, history: 1 });
  assert.deepEqual(st.events.filter((e) => e.code >= 7).map((e) => [e.kind, e.name, e.time]),
    [['stage_changed', 'inquiry', T0]]);
  st.events.length = 0;

  // 10 + 30 = 40 >= 30: threshold mql holds -> mql, to the fallback queue
  eng.addTouch({ contact: c, type: 'demo_request', time: T0 + 1000 });
  assert.deepEqual(eng.contactScore(c).thresholds, { mql: true });
  s = eng.contactStage(c);
  assert.deepEqual([s.stage, s.entered, s.owner, s.reached], ['mql', T0 + 1000, 'unassigned', ['inquiry', 'mql']]);
  assert.deepEqual(st.events.map((e) => [e.kind, e.name, e.time, e.contact]), [
    ['stage_changed', 'mql', T0 + 1000, c], ['routed', 'unassigned', T0 + 1000, c]]);
  st.events.length = 0;

  eng.tick(T0 + 2 * DAY); // "accept within 2d" is due at T0 + 1000 + 2d
  assert.deepEqual(st.events, []);
  st.now = T0 + 3 * DAY;
  eng.tick(); // the engine clock
  assert.deepEqual(st.events.map((e) => [e.kind, e.code, e.name, e.time]),
    [['sla_breach', 8, 'accept', T0 + 2 * DAY + 1000]]);
  assert.equal(eng.contactStage(c).stage, 'mql');
  st.events.length = 0;

  eng.contactEvent(c, 'sales_accept', null, T0 + 3 * DAY + 5);
  s = eng.contactStage(c);
  assert.deepEqual([s.stage, s.entered, s.reachedCount, s.history], ['sal', T0 + 3 * DAY + 5, 3, 5]);
  assert.deepEqual(st.events.map((e) => [e.kind, e.name]), [['stage_changed', 'sal']]);

  const h = eng.contactStageHistory(c);
  assert.deepEqual(h.map((r) => [r.kind, r.cause, r.from, r.to, r.time]), [
    ['transition', 'start', null, 'inquiry', T0],
    ['transition', 'touch', 'inquiry', 'mql', T0 + 1000],
    ['assign', 'touch', 'mql', 'mql', T0 + 1000],
    ['breach', 'timer', 'mql', 'mql', T0 + 2 * DAY + 1000],
    ['transition', 'event', 'mql', 'sal', T0 + 3 * DAY + 5]]);
  assert.deepEqual(h.map((r) => r.rule), [null, 0, null, 0, 3]);
  assert.equal(h[2].owner, 'unassigned');
  assert.equal(h[2].prevOwner, null);
  eng.close();
});

test('custom machine: round robin routing, reject with a reason, steps', () => {
  const st = setup();
  const { eng } = st;
  eng.attachMachine(fc.Machine.parse(`${TINY}stage recycled side
transition mql -> recycled back on event sales_reject
step follow on enter mql after 1h notify "follow_up"
`));
  const a = eng.upsertContact({ keys: { email: 'a@x.com' } });
  const b = eng.upsertContact({ keys: { email: 'b@y.com' } });
  eng.contactEvent(a, 'qualify', null, T0 + 10);
  eng.contactEvent(b, 'QUALIFY', { time: T0 + 20 });
  assert.deepEqual([a, b].map((x) => eng.contactStage(x).owner), ['ana', 'ben']);
  assert.deepEqual(st.events.filter((e) => e.kind === 'stage_changed' || e.kind === 'routed')
    .map((e) => [e.kind, e.name, e.contact]), [
    ['stage_changed', 'inquiry', a], ['stage_changed', 'inquiry', b],
    ['stage_changed', 'mql', a], ['routed', 'ana', a],
    ['stage_changed', 'mql', b], ['routed', 'ben', b]]);
  st.events.length = 0;
  eng.tick(T0 + 10 + DAY); // a: step at 1h, SLA at 1d; b: step at 1h
  assert.deepEqual(st.events.map((e) => [e.kind, e.name, e.time, e.contact]), [
    ['step_due', 'follow_up', T0 + 10 + 3600000, a],
    ['step_due', 'follow_up', T0 + 20 + 3600000, b],
    ['sla_breach', 'accept', T0 + 10 + DAY, a]]);
  eng.contactEvent(b, 'sales_reject', { reason: 'bad_fit', time: T0 + 30 + DAY });
  const s = eng.contactStage(b);
  assert.deepEqual([s.stage, s.owner], ['recycled', 'ben']);
  const last = eng.contactStageHistory(b).at(-1);
  assert.deepEqual([last.kind, last.from, last.to, last.back, last.reason],
    ['transition', 'mql', 'recycled', true, 'bad_fit']);
  assert.throws(() => eng.contactEvent(a, 'not a name!'), fc.InvalidArgument);
  eng.close();
});
