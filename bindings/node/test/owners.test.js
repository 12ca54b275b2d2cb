'use strict';
// Deal attributes and owner records: round trip, reopen, and deal reports
// grouped by product and by manager (hand-computed win rates, medians).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const fc = require('..');

const T0 = 1767225600000;
const DAY = 86400000;

test('deal attributes are set, replaced, removed and read back', () => {
  const e = new fc.Engine();
  try {
    const d = e.upsertDeal({ id: 'OPP-1', created: T0, attrs: { Product: 'GTX Pro', seats: 12, sector: 'software' } });
    assert.deepEqual(e.dealAttrs(d), { product: 'GTX Pro', seats: 12, sector: 'software' });
    assert.equal(e.dealAttr(d, 'PRODUCT'), 'GTX Pro');
    e.upsertDeal({ id: 'OPP-1', attrs: { product: 'GTX Basic', sector: null } });
    assert.deepEqual(e.deal(d).attrs, { product: 'GTX Basic', seats: 12 });
    e.upsertDeal({ id: 'OPP-1', amount: 5 });
    assert.deepEqual(e.dealAttrs(d), { product: 'GTX Basic', seats: 12 });
    assert.throws(() => e.dealAttr(d, 'region'), fc.NotFound);
    assert.throws(() => e.upsertDeal({ id: 'OPP-1', attrs: { 'bad name': 'x' } }), fc.InvalidArgument);
    assert.deepEqual(e.dealAttrs(d), { product: 'GTX Basic', seats: 12 });
  } finally {
    e.close();
  }
});

test('owner records hold attributes by precedence', () => {
  const e = new fc.Engine();
  try {
    assert.equal(e.owner('ana'), null);
    assert.deepEqual(e.ownerAttrs('ana'), {});
    e.upsertOwner({ name: 'ana', attrs: { manager: 'Cara Losch', regional_office: 'East' }, time: T0 });
    e.upsertOwner({ name: 'bo', attrs: { manager: 'Dan' }, time: T0 });
    assert.deepEqual(e.owner('ana'), { name: 'ana', created: T0, attrs: { manager: 'Cara Losch', regional_office: 'East' } });
    e.upsertOwner({ name: 'ana', attrs: { manager: 'Old' }, time: T0 - DAY }); // older: ignored
    assert.equal(e.ownerAttr('ana', 'manager'), 'Cara Losch');
    e.upsertOwner({ name: 'ana', attrs: { manager: 'Rocco', regional_office: null }, time: T0 + DAY });
    assert.deepEqual(e.ownerAttrs('ana'), { manager: 'Rocco' });
    assert.deepEqual(e.owners().map((o) => o.name), ['ana', 'bo']);
    assert.throws(() => e.ownerAttr('ana', 'regional_office'), fc.NotFound);
    assert.throws(() => e.upsertOwner({ name: '' }), fc.InvalidArgument);
  } finally {
    e.close();
  }
});

test('owners and deal attributes survive a reopen', () => {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fnl-')), 'db');
  let st = new fc.FileStore(dir);
  let e = new fc.Engine({ storage: st });
  e.upsertOwner({ name: 'ana', attrs: { manager: 'Cara' }, time: T0 });
  e.upsertDeal({ id: 'D1', owner: 'ana', created: T0, attrs: { product: 'GTX' } });
  e.checkpoint();
  e.upsertDeal({ id: 'D2', owner: 'ana', created: T0, attrs: { product: 'MG' } });
  e.close();
  st.close();
  st = new fc.FileStore(dir);
  e = new fc.Engine({ storage: st });
  assert.deepEqual(e.owner('ana').attrs, { manager: 'Cara' });
  assert.deepEqual(e.dealAttrs(e.findDeal('D1')), { product: 'GTX' });
  assert.deepEqual(e.dealAttrs(e.findDeal('D2')), { product: 'MG' });
  e.close();
  st.close();
});

test('reportDeals groups by product and by manager', () => {
  const e = new fc.Engine();
  try {
    e.upsertOwner({ name: 'ana', attrs: { manager: 'Cara' }, time: T0 });
    e.upsertOwner({ name: 'bo', attrs: { manager: 'Cara' }, time: T0 });
    e.upsertOwner({ name: 'cy', attrs: { manager: 'Dan' }, time: T0 });
    for (const [id, owner, product, days, status] of [
      ['p1', 'ana', 'GTX', 10, 'won'], ['p2', 'ana', 'MG', 30, 'won'],
      ['p3', 'bo', 'GTX', 20, 'lost'], ['p4', 'bo', 'GTX', 20, 'won'],
      ['p5', 'cy', 'MG', 5, 'won'], ['p6', 'cy', 'MG', 8, 'lost'],
      ['p7', 'dee', 'MG', 14, 'won']]) { // dee: no record
      e.upsertDeal({ id, owner, created: T0, closed: T0 + days * DAY, status, amount: 10000, attrs: { product } });
    }
    const asOf = T0 + 60 * DAY;
    let r = e.reportDeals({ groupBy: 'attr', groupAttr: 'product', asOf });
    assert.equal(r.summary.group_by, 'attr');
    let g = r.byKey();
    // GTX: won 10 d and 20 d, one lost: 2 / 3, median 15
    assert.deepEqual([g.GTX.won, g.GTX.lost, g.GTX.win_rate, g.GTX.cycle_median_days], [2, 1, 2 / 3, 15]);
    // MG: won 30, 5, 14 d, one lost: 3 / 4, median 14
    assert.deepEqual([g.MG.win_rate, g.MG.cycle_median_days], [0.75, 14]);
    r = e.reportDeals({ groupBy: 'ownerAttr', groupAttr: 'manager', asOf });
    g = r.byKey();
    // Cara (ana, bo): won 10, 30, 20 d, one lost: 3 / 4, median 20
    assert.deepEqual([g.Cara.win_rate, g.Cara.cycle_median_days], [0.75, 20]);
    // Dan (cy): 1 / 2, median 5; dee's deal falls in the null group
    assert.deepEqual([g.Dan.win_rate, g.Dan.cycle_median_days], [0.5, 5]);
    assert.equal(r.rows.length, 3);
    assert.equal(r.rows[2].group, null);
  } finally {
    e.close();
  }
});
