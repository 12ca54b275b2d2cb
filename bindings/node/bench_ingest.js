#!/usr/bin/env node
'use strict';
// Touches per second ingested from Node: batches (one library call per
// batch) and single addTouch calls.  Same workload as
// bindings/python/bench_ingest.py; input objects are built before timing.
//
//   FUNNELCORE_LIB=build/src/libfunnelcore.so node bindings/node/bench_ingest.js [touches] [contacts] [batch]

const fc = require('.');

const CHANNELS = ['paid_search', 'organic_search', 'email', 'paid_social', 'events', 'referral', 'display', 'direct'];
const TYPES = ['visit', 'email_open', 'email_click', 'form_submit', 'pricing_view', 'webinar_attend'];
const T0 = 1767225600000;

function workload(n, ncontacts) {
  let x = 0x9E3779B9;
  const rows = new Array(n);
  for (let i = 0; i < n; i++) {
    x = Number((BigInt(x) * 1103515245n + 12345n) & 0x7FFFFFFFn);
    const c = x % ncontacts;
    rows[i] = {
      keys: { email: `user${String(c).padStart(7, '0')}@company${String(c % 20000).padStart(5, '0')}.com` },
      time: T0 + i * 1000, channel: CHANNELS[x % 8], type: TYPES[(x >> 8) % 6],
      campaign: `campaign-${String((x >> 12) % 200).padStart(3, '0')}`,
    };
  }
  return rows;
}

const n = Number(process.argv[2] ?? 300000);
const ncontacts = Number(process.argv[3] ?? 30000);
const batch = Number(process.argv[4] ?? 10000);
const rows = workload(n, ncontacts);
const fmt = (v) => Math.round(v).toLocaleString('en-US').padStart(12);

let e = new fc.Engine();
let t = process.hrtime.bigint();
for (let i = 0; i < n; i += batch) e.addTouches(rows.slice(i, i + batch));
let dt = Number(process.hrtime.bigint() - t) / 1e9;
if (e.stats().touches !== n) throw new Error('touch count mismatch');
console.log(`node batch   (${String(batch).padStart(6)} per call): ${fmt(n / dt)} touches/s  (${n} touches, ${ncontacts} contacts, ${dt.toFixed(2)} s)`);
e.close();

const perRow = rows.slice(0, Math.max(1, Math.floor(n / 3)));
e = new fc.Engine();
t = process.hrtime.bigint();
for (const r of perRow) e.addTouch(r);
dt = Number(process.hrtime.bigint() - t) / 1e9;
console.log(`node per row (addTouch)          : ${fmt(perRow.length / dt)} touches/s  (${perRow.length} touches, ${dt.toFixed(2)} s)`);
e.close();
console.log(`library ${fc.libraryVersion} at ${fc.libraryPath}`);
