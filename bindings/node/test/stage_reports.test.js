'use strict';
// Reports from the stage history (docs/reports.md): stage funnel, stage
// cohort, stage time to convert, rejections and stage counts over the
// default machine, with values worked out by hand.
const test = require('node:test');
const assert = require('node:assert/strict');
const fc = require('..');

const T0 = 1767225600000; // 2026-01-01T00:00:00Z
const DAY = 86400000;
const AS_OF = T0 + 10 * DAY;
const MODEL = `model demo
fit title contains director +10
engage type = demo_request +30
threshold mql when score >= 30
`;

// Four contacts on the default machine, all created at T0 (inquiry):
//   a  email  demo_request T0+1d -> mql; sales_accept T0+3d -> sal;
//             sales_qualify T0+4d -> sql
//   b  ads    demo_request T0+2d -> mql; sales_reject 'bad_fit' T0+3d
//             -> recycled
//   c  email  a visit at T0+1d (score 0): stays in inquiry
//   d  no touch (the null group): stays in inquiry
// The engine clock stands at T0+10d when the reports run.
function setup() {
  const st = { now: T0 };
  const e = new fc.Engine({ clock: () => st.now });
  e.attachModel(fc.Model.parse(MODEL));
  e.attachMachine(fc.Machine.default());
  const a = e.upsertContact({ keys: { email: 'a@x.com' } });
  const b = e.upsertContact({ keys: { email: 'b@x.com' } });
  const c = e.upsertContact({ keys: { email: 'c@x.com' } });
  e.upsertContact({ keys: { email: 'd@x.com' } });
  e.addTouch({ contact: a, type: 'demo_request', channel: 'email', time: T0 + DAY });
  e.addTouch({ contact: b, type: 'demo_request', channel: 'ads', time: T0 + 2 * DAY });
  e.addTouch({ contact: c, type: 'visit', channel: 'email', time: T0 + DAY });
  e.contactEvent(a, 'sales_accept', null, T0 + 3 * DAY);
  e.contactEvent(a, 'sales_qualify', null, T0 + 4 * DAY);
  e.contactEvent(b, 'sales_reject', 'bad_fit', T0 + 3 * DAY);
  assert.deepEqual([a, b, c].map((x) => e.contactStage(x).stage), ['sql', 'recycled', 'inquiry']);
  st.now = AS_OF;
  return e;
}

test('reportStageFunnel by channel: conversion, velocity, pairs, benchmark', () => {
  const e = setup();
  try {
    const rep = e.reportStageFunnel({ groupBy: 'channel',
      pairs: [['mql', 'sql'], { from: 'inquiry', to: 'mql', low: 0.6 }] });
    assert.equal(rep.kind, 'stage_funnel');
    const s = rep.summary;
    assert.deepEqual([s.group_by, s.machine, s.cohort, s.contacts, s.pairs, s.as_of],
      ['channel', 'waterfall', 4, 4, 2, AS_OF]);
    // 9 stage rows per group plus the mql -> sql pair row; null group last
    assert.equal(rep.rows.length, 30);
    assert.deepEqual([0, 10, 20].map((i) => rep.rows[i].group), ['ads', 'email', null]);
    const row = (g, st, k = 'stage') => rep.rows.find((r) => r.group === g && r.stage === st && r.kind === k);
    // email: a and c; a went on to mql after 1 day: 1/2, below 0.6
    let r = row('email', 'inquiry');
    assert.deepEqual([r.rank, r.reached, r.entered, r.to_stage, r.converted, r.conversion,
      r.velocity_contacts, r.velocity_median_days, r.benchmark_low, r.benchmark_high, r.benchmark],
    [1, 2, 2, 'mql', 1, 0.5, 1, 1, 0.6, null, 'below']);
    // a: mql (1d) -> sal (3d): 2 days; sal -> sql (4d): 1 day
    r = row('email', 'mql');
    assert.deepEqual([r.reached, r.converted, r.conversion, r.velocity_median_days], [1, 1, 1, 2]);
    r = row('email', 'sal');
    assert.deepEqual([r.reached, r.converted, r.velocity_median_days], [1, 1, 1]);
    r = row('email', 'mql', 'pair');
    assert.deepEqual([r.to_stage, r.converted, r.conversion, r.velocity_median_days], ['sql', 1, 1, 3]);
    // ads: b reached mql after 2 days, then recycled
    r = row('ads', 'inquiry');
    assert.deepEqual([r.reached, r.converted, r.velocity_median_days, r.benchmark], [1, 1, 2, 'within']);
    r = row('ads', 'mql');
    assert.deepEqual([r.reached, r.converted, r.conversion], [1, 0, 0]);
    r = row('ads', 'recycled');
    assert.deepEqual([r.rank, r.reached, r.entered], [0, 1, 1]);
    r = row(null, 'inquiry');
    assert.deepEqual([r.reached, r.converted, r.velocity_median_days], [1, 0, null]);
    assert.equal(rep.totals, null);
    assert.deepEqual(JSON.parse(rep.toJson()).rows, rep.rows);

    // in period [2d, 4d): b -> mql, a -> sal, b -> recycled; cohort empty
    const p = e.reportStageFunnel({ since: T0 + 2 * DAY, until: T0 + 4 * DAY });
    const by = Object.fromEntries(p.rows.filter((x) => x.kind === 'stage').map((x) => [x.stage, x]));
    assert.equal(p.summary.cohort, 0);
    assert.deepEqual(['inquiry', 'mql', 'sal', 'sql', 'recycled'].map((k) => by[k].entered), [0, 1, 1, 0, 1]);
  } finally {
    e.close();
  }
});

test('reportStageCohort', () => {
  const e = setup();
  try {
    const rep = e.reportStageCohort({ targets: ['mql', 'sql'], ages: [1, 2] });
    assert.equal(rep.kind, 'stage_cohort');
    assert.deepEqual(rep.columnNames, ['cohort', 'cohort_start', 'cohort_end', 'contacts',
      'to_mql', 'to_mql_share', 'to_mql_within_1d', 'to_mql_within_2d',
      'to_sql', 'to_sql_share', 'to_sql_within_1d', 'to_sql_within_2d']);
    // all four entered inquiry at T0: mql within 1 day a (1/4), within 2
    // days a, b (2/4); sql only a, after 4 days
    assert.equal(rep.rows.length, 1);
    const r = rep.rows[0];
    assert.deepEqual([r.cohort, r.cohort_start, r.contacts, r.to_mql, r.to_mql_share,
      r.to_mql_within_1d, r.to_mql_within_2d, r.to_sql, r.to_sql_share,
      r.to_sql_within_1d, r.to_sql_within_2d],
    ['2026-01', T0, 4, 2, 0.5, 0.25, 0.5, 1, 0.25, 0, 0]);
    assert.equal(rep.summary.stage, 'inquiry');
    // from mql: a, b; a reached sql 3 days later
    const m = e.reportStageCohort({ stage: 'mql', period: 'all', targets: ['sql'], ages: [3] }).rows[0];
    assert.deepEqual([m.contacts, m.to_sql, m.to_sql_share, m.to_sql_within_3d], [2, 1, 0.5, 0.5]);
  } finally {
    e.close();
  }
});

test('reportStageTimeToConvert', () => {
  const e = setup();
  try {
    // inquiry -> mql: a at 1 day, b at 2, c and d open at 10.
    // S(1) = 3/4, S(2) = 3/4 * 2/3 = 1/2: median 2 days
    const rep = e.reportStageTimeToConvert({ toStage: 'mql' });
    assert.equal(rep.kind, 'stage_time_to_convert');
    assert.deepEqual(rep.rows.map((r) => [r.days, r.at_risk, r.converted, r.censored, r.survival]),
      [[1, 4, 1, 0, 0.75], [2, 3, 1, 0, 0.5], [10, 2, 0, 2, 0.5]]);
    const s = rep.summary;
    assert.deepEqual([s.n, s.conversions, s.censored, s.median_days, s.from_stage, s.to_stage, s.left],
      [4, 2, 2, 2, 'inquiry', 'mql', 0]);
    // mql -> sal: a after 2 days; b left into recycled after 1 day
    const m = e.reportStageTimeToConvert({ fromStage: 'mql', toStage: 'sal' });
    assert.deepEqual(m.rows.map((r) => [r.days, r.converted, r.censored]), [[1, 0, 1], [2, 1, 0]]);
    assert.deepEqual([m.summary.n, m.summary.left], [2, 1]);
  } finally {
    e.close();
  }
});

test('reportRejections', () => {
  const e = setup();
  try {
    const rep = e.reportRejections();
    assert.equal(rep.kind, 'rejections');
    assert.deepEqual(rep.rows, [{ group: 'ads', reason: 'bad_fit', rejections: 1, share: 1 }]);
    assert.equal(rep.totals.rejections, 1);
    assert.deepEqual(e.reportRejections({ groupBy: 'none', since: T0 + 4 * DAY }).rows, []);
  } finally {
    e.close();
  }
});

test('stageCounts, and into reportRoi', () => {
  const e = setup();
  try {
    // cumulative: leads inquiry, mqls mql, sqls sql; opportunities and
    // customers not counted; d has no channel and is left out
    const byChannel = e.stageCounts();
    assert.deepEqual(byChannel, {
      ads: { leads: 1, mqls: 1, sqls: 0, opportunities: null, customers: null },
      email: { leads: 2, mqls: 1, sqls: 1, opportunities: null, customers: null } });
    assert.deepEqual(e.stageCounts({ groupBy: 'none', opportunityStage: 'opportunity', customerStage: 'customer' }),
      { all: { leads: 4, mqls: 2, sqls: 1, opportunities: 0, customers: 0 } });
    // in period [2d, 5d): b entered mql; nobody inquiry; sqls not counted
    assert.deepEqual(e.stageCounts({ groupBy: 'none', view: 'inPeriod', since: T0 + 2 * DAY,
      until: T0 + 5 * DAY, sqlStage: null }),
    { all: { leads: 0, mqls: 1, sqls: null, opportunities: null, customers: null } });
    e.addCost({ amount: 1000, start: T0, end: T0 + DAY, channel: 'email' });
    const roi = e.reportRoi({ revenue: null, stageCounts: byChannel }).byKey();
    assert.deepEqual([roi.email.leads, roi.email.cost_per_lead], [2, 500]);
  } finally {
    e.close();
  }
});

test('bad requests', () => {
  const e = setup();
  try {
    assert.throws(() => e.reportStageFunnel({ pairs: [['mql', 'nosuch']] }), fc.NotFound);
    assert.throws(() => e.stageCounts({ leadStage: 'nosuch' }), fc.NotFound);
    assert.throws(() => e.reportStageFunnel({ groupBy: 'nosuch' }), fc.InvalidArgument);
    assert.throws(() => e.reportStageFunnel({ pairs: [['mql', 'mql']] }), fc.InvalidArgument);
  } finally {
    e.close();
  }
});

test('without a machine: NotFound', () => {
  const e = new fc.Engine({ clock: () => T0 });
  try {
    e.upsertContact({ keys: { email: 'a@x.com' } });
    for (const call of [() => e.reportStageFunnel(), () => e.reportStageCohort(),
      () => e.reportStageTimeToConvert({ toStage: 'mql' }), () => e.reportRejections(),
      () => e.stageCounts()]) {
      assert.throws(call, fc.NotFound);
    }
  } finally {
    e.close();
  }
});
