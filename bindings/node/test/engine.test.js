'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fc = require('..');

const T0 = 1767225600000; // 2026-01-01T00:00:00Z
const DAY = 86400000;

test('library loads and reports its version', () => {
  assert.equal(fc.libraryVersion, '0.1.0');
  assert.match(fc.libraryPath, /libfunnelcore\.so/);
  assert.equal(fc.strerror(-4), 'not found');
});

test('email is trimmed and lower-cased; find by any spelling', () => {
  const e = new fc.Engine();
  const c = e.upsertContact({ keys: { email: '  Ann@ACME.com ' } });
  assert.deepEqual(e.contactKeys(c), [{ kind: 'email', value: 'ann@acme.com' }]);
  assert.equal(e.findContact('email', 'ANN@acme.com'), c);
  assert.equal(e.findContact('email', 'nobody@acme.com'), null);
  e.close();
  assert.ok(e.closed);
  assert.throws(() => e.stats(), (err) => err instanceof fc.InvalidArgument && /closed/.test(err.message));
  e.close(); // idempotent
});

test('keys that meet merge: the older contact survives', () => {
  const events = [];
  const e = new fc.Engine({ listener: (ev) => events.push(ev) });
  const old = e.upsertContact({ keys: { cookie_id: 'ck-1' }, time: T0 });
  const young = e.upsertContact({ keys: { email: 'bob@acme.com' }, time: T0 + DAY });
  const m = e.upsertContact({ keys: [['cookie_id', 'ck-1'], ['email', 'bob@acme.com']], time: T0 + 2 * DAY });
  assert.equal(m, old);
  assert.equal(e.resolve(young), old);
  assert.equal(e.contact(young).id, old);
  const s = e.stats();
  assert.deepEqual([s.contacts, s.merges, s.identityKeys], [1, 1, 2]);
  assert.deepEqual([...e.contactIds()], [old]);
  const merged = events.filter((x) => x.kind === 'contact_merged');
  assert.equal(merged.length, 1);
  assert.equal(merged[0].contact, old);
  assert.equal(merged[0].other, young);
  e.close();
});

test('attributes, tags, owner, role round-trip and clear', () => {
  const e = new fc.Engine();
  const c = e.upsertContact({ keys: { email: 'c@acme.com' }, attrs: { Title: 'CTO', employees: 250 },
    tagsAdd: ['vip', 'beta'], owner: 'olga', role: 'decision_maker', time: T0 });
  let i = e.contact(c);
  assert.deepEqual(i.attrs, { employees: 250, title: 'CTO' });
  assert.deepEqual(i.tags, ['beta', 'vip']);
  assert.equal(i.owner, 'olga');
  assert.equal(i.role, 'decision_maker');
  assert.equal(i.created, T0);
  assert.equal(e.contactAttr(c, 'title'), 'CTO');
  e.upsertContact({ contact: c, attrs: { title: null }, tagsRemove: ['vip'], owner: '', time: T0 + 1 });
  i = e.contact(c);
  assert.deepEqual(i.attrs, { employees: 250 });
  assert.deepEqual(i.tags, ['beta']);
  assert.equal(i.owner, null);
  assert.throws(() => e.contactAttr(c, 'title'), fc.NotFound);
  assert.throws(() => e.upsertContact({ contact: c, role: 'janitor' }), /unknown role/);
  assert.throws(() => e.upsertContact({ contact: c, attrs: { x: [1] } }), fc.InvalidArgument);
  e.close();
});

test('configuration: precedence, freemail, country code, channel rules', () => {
  let e = new fc.Engine({ precedence: 'source', sourcePriority: ['crm', 'web'],
    freemailDomains: ['corpmail.example'], defaultCountryCode: '86',
    channelRules: [['utmSource', 'partnerx*', 'partners'], { field: 'referrerHost', pattern: '*.example.org', channel: 'community' }] });
  const c = e.upsertContact({ keys: { email: 'e@acme.com' }, attrs: { title: 'A' }, source: 'crm', time: T0 });
  e.upsertContact({ keys: { email: 'e@acme.com' }, attrs: { title: 'B' }, source: 'web', time: T0 + 1 });
  assert.equal(e.contactAttr(c, 'title'), 'A');
  const p = e.upsertContact({ keys: { phone: '138 0013 8000' } });
  assert.deepEqual(e.contactKeys(p), [{ kind: 'phone', value: '+8613800138000' }]);
  assert.ok(e.isFreemail('corpmail.example') && e.isFreemail('gmail.com'));
  assert.ok(!e.isFreemail('acme.com'));
  const h = e.upsertContact({ keys: { email: 'h@corpmail.example' } });
  assert.equal(e.contact(h).account, null);
  assert.equal(e.touchChannel({ utmSource: 'partnerx_q1' }), 'partners');
  e.close();
  e = new fc.Engine();
  assert.notEqual(e.touchChannel({ utmSource: 'partnerx_q1' }), 'partners');
  assert.equal(e.touchChannel({}), 'direct');
  e.close();
  assert.throws(() => new fc.Engine({ precedence: 'loudest' }), fc.InvalidArgument);
  assert.throws(() => new fc.Engine({ channelRules: [['utmColor', 'x', 'y']] }), /channel rule field/);
});

test('accounts: business domain makes one, free-mail does not', () => {
  const e = new fc.Engine();
  const a = e.upsertAccount({ id: 'ACME-1', domains: ['acme.com', 'acme.de'], attrs: { industry: 'machinery' }, owner: 'kim', time: T0 });
  const c = e.upsertContact({ keys: { email: 'i@acme.de' } });
  const g = e.upsertContact({ keys: { email: 'g@gmail.com' } });
  const info = e.account(a);
  assert.equal(info.name, 'ACME-1');
  assert.equal(info.owner, 'kim');
  assert.deepEqual(info.domains.sort(), ['acme.com', 'acme.de']);
  assert.deepEqual(info.attrs, { industry: 'machinery' });
  assert.deepEqual(info.contacts, [c]);
  assert.equal(info.created, T0);
  assert.equal(e.contact(g).account, null);
  assert.equal(e.findAccount('acme.de'), a);
  assert.equal(e.findAccount('nope.com'), null);
  assert.deepEqual([...e.accounts()].map((x) => x.id), [a]);
  assert.throws(() => e.upsertAccount({ id: 'OTHER', domains: ['acme.com'] }), fc.AlreadyExists);
  assert.throws(() => e.upsertAccount({ id: 'FREE', domains: ['gmail.com'] }), fc.InvalidArgument);
  assert.throws(() => e.account(12345), fc.NotFound);
  e.close();
});

test('error mapping: stale, not found, invalid with the engine detail', () => {
  const e = new fc.Engine();
  const c = e.upsertContact({ keys: { email: 'k@acme.com' } });
  assert.throws(() => e.resolve(c + 2 ** 32), (err) => err instanceof fc.Stale && err.code === -7 && err.codeName === 'FNL_ESTALE' && /stale/.test(err.detail));
  assert.throws(() => e.contact(99), (err) => err instanceof fc.NotFound && err.code === -4 && /no contact with handle 99/.test(err.message));
  assert.throws(() => e.upsertContact({ keys: { email: 'nope' } }), (err) => err instanceof fc.InvalidArgument && err instanceof fc.FunnelcoreError && err.detail.startsWith('invalid argument: ') && /not an e-mail address/.test(err.detail));
  assert.throws(() => e.upsertContact({ keys: { email: 'a\0b@acme.com' } }), /NUL/);
  assert.throws(() => e.upsertContact({}), fc.InvalidArgument);
  assert.throws(() => e.contact(-1), fc.InvalidArgument);
  assert.equal(e.stats().contacts, 1);
  e.close();
});

test('every status code maps to its class', () => {
  const { makeError } = require('../lib/errors');
  const want = { [-1]: fc.InvalidArgument, [-2]: fc.OutOfMemory, [-3]: fc.StorageError, [-4]: fc.NotFound,
    [-5]: fc.Corrupt, [-6]: fc.VersionMismatch, [-7]: fc.Stale, [-8]: fc.OutOfRange, [-9]: fc.Canceled,
    [-10]: fc.AlreadyExists, [-11]: fc.LimitExceeded, [-12]: fc.Busy, [-13]: fc.Unsupported };
  for (const [code, Cls] of Object.entries(want)) {
    const err = makeError(Number(code), 'd');
    assert.equal(err.constructor, Cls);
    assert.equal(err.code, Number(code));
    assert.equal(err.name, Cls.name);
    assert.equal(fc.codes[err.codeName], Number(code));
  }
  assert.equal(makeError(-99, 'x').constructor, fc.FunnelcoreError);
});

test('Symbol.dispose closes the engine', () => {
  const e = new fc.Engine();
  assert.equal(typeof e[Symbol.dispose], 'function');
  e[Symbol.dispose]();
  assert.ok(e.closed);
});
