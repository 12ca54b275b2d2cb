'use strict';
// Attribution of lifecycle stage entries (conversion 'stageEntry') and ROI
// fed by attributed lead / MQL counts.  Numbers worked out by hand.
const test = require('node:test');
const assert = require('node:assert/strict');
const fc = require('..');

const T0 = 1767225600000;
const DAY = 86400000;
const FUNNEL = `machine "f" version 1
stage lead initial
stage mql
stage sql
transition lead -> mql on event qualify
transition * -> sql on event sales_qualify
`;

// a: webinar (T0+1d), email (T0+2d), qualified at T0+2d -> mql;
// b: webinar (T0+1d), qualified by sales at T0+3d: lead -> sql, mql
// passed through at T0+3d; c: email (T0+1d), stays a lead.  Free-mail
// addresses: no accounts.
function funnel() {
  const e = new fc.Engine({ clock: () => T0 });
  e.attachMachine(fc.Machine.parse(FUNNEL));
  const a = e.addTouch({ keys: { email: 'a@gmail.com' }, channel: 'webinar', time: T0 + DAY });
  const b = e.addTouch({ keys: { email: 'b@gmail.com' }, channel: 'webinar', time: T0 + DAY });
  e.addTouch({ keys: { email: 'c@gmail.com' }, channel: 'email', time: T0 + DAY });
  e.addTouch({ contact: a, channel: 'email', time: T0 + 2 * DAY });
  e.contactEvent(a, 'qualify', null, T0 + 2 * DAY);
  e.contactEvent(b, 'sales_qualify', null, T0 + 3 * DAY);
  return e;
}

const near = (x, y) => assert.ok(Math.abs(x - y) < 1e-12, `${x} != ${y}`);

test('stage entries are attributed and feed cost per MQL', () => {
  const e = funnel();
  try {
    // mql: a at T0+2d over webinar, email (1/2 each; the touch at the
    // entry's own millisecond counts); b at T0+3d over webinar (1)
    let r = e.attribute('linear', { conversion: 'stageEntry', stage: 'MQL', scope: 'contact' });
    const rows = Object.fromEntries(r.rows.map((x) => [x.key, x.conversions]));
    near(rows.webinar, 1.5);
    near(rows.email, 0.5);
    assert.deepEqual([r.totalConversions, r.totalValue], [2, 0]);
    assert.deepEqual([r.journeysStats.conversions, r.journeysStats.currency], [2, '']);
    // c never became an MQL: one null path
    r = e.attribute('markov', { conversion: 'stageEntry', stage: 'mql', scope: 'contact', nonconverting: 'notEntered' });
    assert.deepEqual([r.journeysStats.nonconverting, r.totalNulls], [1, 1]);
    assert.throws(() => e.attribute('linear', { conversion: 'stageEntry', stage: 'mqll' }),
      (err) => err instanceof fc.NotFound && err.message.includes("'mqll'"));

    // ROI: webinar cost 3,000.00 = 300,000 cents; leads (initial stage,
    // entered at the first touch): webinar 2, email 1; MQLs: 1.5 and 0.5
    e.addCost({ channel: 'webinar', amount: 300000, start: T0, end: T0 + 30 * DAY, currency: 'USD' });
    let rep = e.reportRoi({ revenue: null, leads: { stage: 'lead', scope: 'contact' }, mqls: { stage: 'mql', scope: 'contact' } });
    const { webinar, email } = rep.byKey();
    assert.deepEqual([webinar.leads, webinar.mqls, webinar.sqls], [2, 1.5, null]);
    assert.equal(webinar.cost_per_lead, 150000); // 300,000 / 2
    assert.equal(webinar.cost_per_mql, 200000); // 300,000 / 1.5
    near(webinar.lead_to_mql, 0.75);
    assert.deepEqual([email.leads, email.mqls, email.cost_per_mql], [1, 0.5, 0]);
    // a stage count given for the group wins over the attribution
    rep = e.reportRoi({ revenue: null, mqls: 'mql', stageCounts: { webinar: { mqls: 3 } } });
    assert.equal(rep.byKey().webinar.cost_per_mql, 100000);
    near(rep.byKey().email.mqls, 0.5);
  } finally {
    e.close();
  }
});
