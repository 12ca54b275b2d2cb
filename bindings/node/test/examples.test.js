'use strict';
// examples/node/http_service.js: start it on an ephemeral port, talk to it,
// stop it.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawn } = require('node:child_process');

const SCRIPT = path.resolve(__dirname, '..', '..', '..', 'examples', 'node', 'http_service.js');

function start() {
  const child = spawn(process.execPath, [SCRIPT], { env: { ...process.env, PORT: '0', HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => { child.kill(); reject(new Error(`no start: ${out} ${err}`)); }, 10000);
    child.stderr.on('data', (d) => { err += d; });
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) { clearTimeout(timer); resolve({ child, base: m[1] }); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`exited ${code}: ${err}`)); });
  });
}

test('http_service ingests touches and answers contacts', async () => {
  const { child, base } = await start();
  try {
    let r = await fetch(`${base}/touches`, { method: 'POST', body: JSON.stringify([
      { keys: { cookie_id: 'ck-5' }, time: 1767225600000, url: 'https://a.example/?utm_source=google&utm_medium=cpc' },
      { keys: [['cookie_id', 'ck-5'], ['email', ' Zoe@Acme.com']], time: 1767225660000, type: 'form_submit' },
    ]) });
    assert.equal(r.status, 200);
    const body = await r.json();
    assert.equal(body.ingested, 2);
    r = await fetch(`${base}/contacts/email/zoe%40acme.com`);
    assert.equal(r.status, 200);
    const c = await r.json();
    assert.deepEqual(c.keys.map((k) => k.value).sort(), ['ck-5', 'zoe@acme.com']);
    assert.deepEqual(c.touches.map((t) => t.channel), ['paid_search', 'direct']);
    assert.equal(c.touchCount, 2);
    r = await fetch(`${base}/touches`, { method: 'POST', body: JSON.stringify([{ keys: { email: 'ok@acme.com' } }, { keys: { email: 'bad' } }]) });
    assert.equal(r.status, 400);
    assert.match((await r.json()).error, /touch 1/);
    r = await fetch(`${base}/contacts/email/ok%40acme.com`);
    assert.equal(r.status, 404); // the bad batch recorded nothing
    r = await fetch(`${base}/touches`, { method: 'POST', body: '{nope' });
    assert.equal(r.status, 400);
  } finally {
    const exited = new Promise((res) => child.on('exit', res));
    child.kill('SIGTERM');
    await exited;
  }
});
