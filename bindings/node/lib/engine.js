'use strict';
// The Engine: one tenant's funnel over koffi.
//
// Callback rule: an exception thrown inside a clock or listener function
// never crosses into C.  It is caught, kept, and rethrown (unchanged) when
// the library call that triggered it returns:
//  - clock: the library is given an invalid time instead, so the call fails
//    and changes nothing; then the clock's exception is thrown.
//  - listener: events are delivered after the mutation completed, so the
//    mutation is kept; the listener is not called again during that call,
//    and its exception is thrown from the mutating method.

const native = require('./native');
const { koffi, fn, T, STATS, TOUCH_STR, TOUCH_INFO_STR, TIME_NOW, ROLE_KEEP,
  init, has } = native;
const { makeError, InvalidArgument, CODES } = require('./errors');

const EVENT_KINDS = { 1: 'contact_created', 2: 'contact_merged',
  3: 'account_created', 4: 'account_assigned', 5: 'contact_forgotten',
  6: 'key_event', 7: 'stage_changed', 8: 'sla_breach', 9: 'routed',
  10: 'step_due' };
const DEAL_STATUS = ['open', 'won', 'lost'];
const PRECEDENCE = { latest: 0, source: 1 };
const TOUCH_FIELDS = { utm_source: 1, utmSource: 1, utm_medium: 2,
  utmMedium: 2, utm_campaign: 3, utmCampaign: 3, referrer_host: 4,
  referrerHost: 4, type: 5, url_host: 6, urlHost: 6 };
const COMPRESSION = { none: 0, zlib: 1 };
const ERANGE = CODES.FNL_ERANGE;
const ENOTFOUND = CODES.FNL_ENOTFOUND;

// JS touch field -> C field (camelCase, as everywhere in this package)
const TOUCH_JS = { type: 'type', channel: 'channel', campaign: 'campaign',
  content: 'content', url: 'url', referrer: 'referrer',
  utmSource: 'utm_source', utmMedium: 'utm_medium',
  utmCampaign: 'utm_campaign', utmTerm: 'utm_term',
  utmContent: 'utm_content', account: 'account', by: 'by' };
const camel = (s) => s.replace(/_([a-z])/g, (_, c) => c.toUpperCase());

// Packed batches: byte offsets of fnl_touch, and JS field -> index into the
// string fields: the 12 of TOUCH_STR, then `by` (after value in the struct).
const TS = koffi.sizeof(T.fnl_touch);
const TOFF = Object.fromEntries(Object.keys(koffi.introspect(T.fnl_touch).members)
  .map((f) => [f, koffi.offsetof(T.fnl_touch, f)]));
const TOUCH_C_STR = [...TOUCH_STR, 'by'];
const STR_INDEX = Object.fromEntries(Object.entries(TOUCH_JS)
  .map(([js, c]) => [js, TOUCH_C_STR.indexOf(c)]));
const STR_OFFS = TOUCH_C_STR.map((f) => TOFF[f]);
const TWO32 = 2 ** 32;

function writeU64(buf, off, v) {
  if (typeof v === 'number' && v >= 0 && v <= Number.MAX_SAFE_INTEGER) {
    buf.writeUInt32LE(v % TWO32, off);
    buf.writeUInt32LE(Math.floor(v / TWO32), off + 4);
  } else {
    buf.writeBigUInt64LE(BigInt.asUintN(64, BigInt(v)), off);
  }
}

function invalid(detail) {
  return new InvalidArgument(CODES.FNL_EINVAL, `invalid argument: ${detail}`);
}
function bare(err) {
  const p = 'invalid argument: ';
  return err.detail.startsWith(p) ? err.detail.slice(p.length) : err.detail;
}

function str(v, what) {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') {
    throw invalid(`${what}: expected a string, got ${typeof v}`);
  }
  if (v.includes('\0')) throw invalid(`${what}: contains a NUL character`);
  return v;
}

/** ms since the epoch from a number, bigint or Date; null/undefined mean
 *  the engine clock's now. */
function ms(t, what = 'time') {
  if (t === undefined || t === null) return TIME_NOW;
  if (t instanceof Date) t = t.getTime();
  if (typeof t === 'bigint') return t;
  if (typeof t !== 'number' || !Number.isInteger(t)) {
    throw invalid(`${what}: expected ms since the epoch or a Date`);
  }
  return t;
}

function int(v, what, lo = -Number.MAX_SAFE_INTEGER) {
  if (typeof v === 'bigint') return v;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo) {
    throw invalid(`${what}: expected an integer >= ${lo}`);
  }
  return v;
}

function id(v, what) {
  if (typeof v === 'bigint') return v;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw invalid(`${what}: expected a handle (a non-negative integer)`);
  }
  return v;
}

/** [{kind, value}] from {kind: value}, [[kind, value]] or [{kind, value}]. */
function keyList(keys, what = 'key') {
  if (keys === undefined || keys === null) return [];
  const items = Array.isArray(keys) ? keys : Object.entries(keys);
  return items.map((k) => {
    const [kind, value] = Array.isArray(k) ? k : [k && k.kind, k && k.value];
    return { kind: str(kind, `${what} kind`), value: str(value, `${what} '${kind}'`) };
  });
}

function attrList(attrs) {
  if (!attrs) return [];
  return Object.entries(attrs).map(([name, v]) => {
    str(name, 'attribute name');
    if (v === null || v === undefined) return { name, type: 3, str: null, num: 0 };
    if (typeof v === 'string') return { name, type: 1, str: str(v, name), num: 0 };
    if (typeof v === 'number') return { name, type: 2, str: null, num: v };
    throw invalid(`attribute '${name}': expected a string, number or null`);
  });
}

function attrValue(a) {
  if (a.type === 1) return a.str;
  if (a.type === 2) return a.num;
  return null;
}

function strList(v, what) {
  if (v === undefined || v === null) return [];
  const arr = typeof v === 'string' ? [v] : Array.from(v);
  return arr.map((s) => str(s, what));
}

function roleCode(role, dflt) {
  if (role === undefined || role === null) return dflt;
  if (typeof role === 'string') {
    const out = [0];
    if (fn.fnl_role_parse(role, out) !== 0) throw invalid(`unknown role '${role}'`);
    return out[0];
  }
  return int(role, 'role', 0);
}

function roleName(code) {
  return fn.fnl_role_name(code) ?? String(code);
}

function errorFor(rc, detail) {
  return makeError(rc, detail || fn.fnl_strerror(rc));
}

class Engine {
  /**
   * @param {object} [opts] clock, listener, precedence ('latest'|'source'),
   *   sourcePriority, freemailDomains, defaultCountryCode, channelRules,
   *   storage (MemoryStore|FileStore), snapshotCompression ('none'|'zlib')
   */
  constructor(opts = {}) {
    this._ptr = null;
    this._pending = null;
    this._where = '';
    this._callbacks = [];
    this._storage = null;
    this._scr = [null, null, null]; // scratch Buffers of packed touches
    this._busy = false;
    this._out1 = Buffer.alloc(8);
    const cfg = init(T.fnl_engine_config, 'fnl_engine_config_init');
    const p = opts.precedence ?? 'latest';
    if (typeof p === 'string') {
      if (!(p in PRECEDENCE)) throw invalid(`precedence must be 'latest' or 'source', not '${p}'`);
      cfg.precedence = PRECEDENCE[p];
    } else {
      cfg.precedence = int(p, 'precedence', 0);
    }
    const sp = strList(opts.sourcePriority, 'sourcePriority');
    cfg.source_priority = sp.length ? sp : null;
    cfg.source_priority_count = sp.length;
    const fm = strList(opts.freemailDomains, 'freemailDomains');
    cfg.freemail_domains = fm.length ? fm : null;
    cfg.freemail_domain_count = fm.length;
    cfg.default_country_code = str(opts.defaultCountryCode, 'defaultCountryCode');
    const rules = (opts.channelRules || []).map((r) => {
      const [field, pattern, channel] = Array.isArray(r) ? r : [r.field, r.pattern, r.channel];
      const f = typeof field === 'string' ? TOUCH_FIELDS[field] : field;
      if (f === undefined) throw invalid(`channel rule field '${field}' is not one of utmSource, utmMedium, utmCampaign, referrerHost, type, urlHost`);
      return { field: int(f, 'channel rule field', 0), pattern: str(pattern, 'pattern'), channel: str(channel, 'channel') };
    });
    cfg.channel_rules = rules.length ? rules : null;
    cfg.channel_rule_count = rules.length;
    const sc = opts.snapshotCompression ?? 'none';
    cfg.snapshot_compression = typeof sc === 'string' ? COMPRESSION[sc] : sc;
    if (cfg.snapshot_compression === undefined) throw invalid("snapshotCompression must be 'none' or 'zlib'");
    try {
      if (opts.clock !== undefined && opts.clock !== null) cfg.clock = this._clockTable(opts.clock);
      if (opts.listener !== undefined && opts.listener !== null) cfg.listener = this._listenerTable(opts.listener);
      if (opts.storage) cfg.storage = opts.storage._attach(this);
      const errbuf = Buffer.alloc(512);
      cfg.errbuf = errbuf;
      cfg.errbuf_size = errbuf.length;
      this._touchInit = init(T.fnl_touch, 'fnl_touch_init');
      const out = [null];
      const rc = fn.fnl_engine_open(out, cfg);
      if (rc !== 0 || this._pending) {
        if (rc === 0) fn.fnl_engine_close(out[0]);
        const nul = errbuf.indexOf(0);
        this._check(rc, errbuf.toString('utf8', 0, nul < 0 ? errbuf.length : nul));
      }
      this._ptr = out[0];
      this._storage = opts.storage || null;
    } catch (e) {
      if (opts.storage) opts.storage._detach(this);
      this._unregister();
      throw e;
    }
  }

  _keep(exc, where) {
    if (this._pending === null) {
      this._pending = exc === undefined || exc === null ? new Error(`${where} threw ${exc}`) : exc;
      this._where = where;
    }
  }

  _clockTable(clock) {
    if (typeof clock !== 'function') throw new TypeError('clock must be a function');
    const cb = koffi.register((_ctx) => {
      try {
        const v = clock();
        if (v === undefined || v === null) throw new TypeError('clock returned nothing; expected ms or a Date');
        const t = ms(v, 'clock');
        return t;
      } catch (e) { // never let it reach C
        this._keep(e, 'clock');
        return -1; // outside the valid range: the call fails cleanly
      }
    }, koffi.pointer(T.now_fn));
    this._callbacks.push(cb);
    return { version: 1, ctx: null, now: cb };
  }

  _listenerTable(listener) {
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    const cb = koffi.register((_ctx, evp) => {
      if (this._pending !== null) return;
      try {
        const e = koffi.decode(evp, T.fnl_event);
        listener({ kind: EVENT_KINDS[e.kind] || `event_${e.kind}`, code: e.kind,
          time: e.time, contact: e.contact, other: e.other, account: e.account,
          name: e.name, model: e.model });
      } catch (e) { // never let it reach C
        this._keep(e, 'listener');
      }
    }, koffi.pointer(T.event_fn));
    this._callbacks.push(cb);
    return { version: 1, ctx: null, on_event: cb };
  }

  _unregister() {
    for (const cb of this._callbacks) koffi.unregister(cb);
    this._callbacks = [];
  }

  /** Free the engine and everything it owns (idempotent). */
  close() {
    const p = this._ptr;
    this._ptr = null;
    if (p !== null) fn.fnl_engine_close(p);
    if (this._storage) {
      this._storage._detach(this);
      this._storage = null;
    }
    this._unregister();
  }

  get closed() {
    return this._ptr === null;
  }

  get _p() {
    if (this._ptr === null) throw invalid('engine is closed');
    return this._ptr;
  }

  _check(rc, detail) {
    const exc = this._pending;
    if (exc !== null) {
      this._pending = null;
      throw exc;
    }
    if (rc !== 0) throw errorFor(rc, this._ptr !== null ? fn.fnl_errmsg(this._ptr) : detail);
  }

  _found(rc, out) {
    if (rc === ENOTFOUND && this._pending === null) return null;
    this._check(rc);
    return out[0];
  }

  _need(name) {
    if (!has(name)) throw makeError(CODES.FNL_EUNSUPPORTED, `unsupported: this libfunnelcore has no ${name}`);
  }

  /** A copy-out reader, growing the buffer on FNL_ERANGE. */
  _read(f, h, cap = 8, fill = () => ({})) {
    const count = [0];
    for (;;) {
      const buf = Array.from({ length: cap }, fill);
      const rc = f(this._p, h, buf, cap, count);
      if (rc === ERANGE && count[0] > cap) {
        cap = count[0];
        continue;
      }
      this._check(rc);
      return buf.slice(0, count[0]);
    }
  }

  // ---- engine ------------------------------------------------------------

  /** The engine clock's now, in ms. */
  now() {
    const out = [0];
    this._check(fn.fnl_engine_now(this._p, out));
    return out[0];
  }

  stats() {
    const s = init(T.fnl_stats, 'fnl_stats_init');
    this._check(fn.fnl_engine_stats(this._p, s));
    return Object.fromEntries(STATS.map((n) => [camel(n), s[n]]));
  }

  /** Snapshot through the storage; the storage drops the journal it covers. */
  checkpoint() {
    this._need('fnl_engine_checkpoint');
    this._check(fn.fnl_engine_checkpoint(this._p));
  }

  /** Make every journaled mutation durable (no-op without storage). */
  sync() {
    this._need('fnl_engine_sync');
    this._check(fn.fnl_engine_sync(this._p));
  }

  // ---- contacts ----------------------------------------------------------

  /** Create or update a contact; returns its (surviving) handle. */
  upsertContact(u = {}) {
    const c = init(T.fnl_contact_update, 'fnl_contact_update_init');
    const keys = keyList(u.keys);
    c.keys = keys.length ? keys : null;
    c.key_count = keys.length;
    if (u.contact !== undefined && u.contact !== null) c.contact = id(u.contact, 'contact');
    const attrs = attrList(u.attrs);
    c.attrs = attrs.length ? attrs : null;
    c.attr_count = attrs.length;
    const ta = strList(u.tagsAdd, 'tag');
    c.tags_add = ta.length ? ta : null;
    c.tags_add_count = ta.length;
    const tr = strList(u.tagsRemove, 'tag');
    c.tags_remove = tr.length ? tr : null;
    c.tags_remove_count = tr.length;
    c.owner = str(u.owner, 'owner');
    c.account = str(u.account, 'account');
    c.role = roleCode(u.role, ROLE_KEEP);
    c.source = str(u.source, 'source');
    c.time = ms(u.time);
    const out = [0];
    this._check(fn.fnl_contact_upsert(this._p, c, out));
    return out[0];
  }

  /** The contact with this identity key, or null. */
  findContact(kind, value) {
    const out = [0];
    return this._found(fn.fnl_contact_find(this._p, str(kind, 'kind'), str(value, 'value'), out), out);
  }

  /** The current handle of a contact (the survivor after merges). */
  resolve(contact) {
    const out = [0];
    this._check(fn.fnl_contact_resolve(this._p, id(contact, 'contact'), out));
    return out[0];
  }

  /** Everything about one contact (touches unless {touches: false}). */
  contact(contact, { touches = true } = {}) {
    const i = init(T.fnl_contact_info, 'fnl_contact_info_init');
    this._check(fn.fnl_contact_get(this._p, id(contact, 'contact'), i));
    const has = i.touch_count > 0;
    return {
      id: i.id, account: i.account || null, owner: i.owner, role: roleName(i.role),
      created: i.created, firstTouch: has ? i.first_touch : null,
      lastTouch: has ? i.last_touch : null, touchCount: i.touch_count,
      keys: this.contactKeys(i.id), attrs: this.contactAttrs(i.id),
      tags: this.contactTags(i.id), touches: touches ? this.touches(i.id) : [],
    };
  }

  contactKeys(contact) {
    return this._read(fn.fnl_contact_keys, id(contact, 'contact'))
      .map((k) => ({ kind: k.kind, value: k.value }));
  }

  contactAttrs(contact) {
    return Object.fromEntries(this._read(fn.fnl_contact_attrs, id(contact, 'contact'))
      .map((a) => [a.name, attrValue(a)]));
  }

  /** One attribute's value; throws NotFound when the contact lacks it. */
  contactAttr(contact, name) {
    const a = {};
    this._check(fn.fnl_contact_attr(this._p, id(contact, 'contact'), str(name, 'name'), a));
    return attrValue(a);
  }

  contactTags(contact) {
    return this._read(fn.fnl_contact_tags, id(contact, 'contact'), 8, () => null);
  }

  /** Erase a contact's personal data (GDPR / PIPL); its handle goes stale. */
  forget(contact) {
    this._need('fnl_contact_forget');
    this._check(fn.fnl_contact_forget(this._p, id(contact, 'contact')));
  }

  /** Handles of live contacts in creation order. */
  * contactIds() {
    let after = 0;
    const out = [0];
    for (;;) {
      const v = this._found(fn.fnl_contact_next(this._p, after, out), out);
      if (v === null) return;
      after = v;
      yield v;
    }
  }

  * contacts({ touches = false } = {}) {
    for (const c of this.contactIds()) yield this.contact(c, { touches });
  }

  // ---- accounts ----------------------------------------------------------

  upsertAccount(u = {}) {
    const a = init(T.fnl_account_update, 'fnl_account_update_init');
    a.id = str(u.id, 'account id');
    const d = strList(u.domains, 'domain');
    a.domains = d.length ? d : null;
    a.domain_count = d.length;
    const attrs = attrList(u.attrs);
    a.attrs = attrs.length ? attrs : null;
    a.attr_count = attrs.length;
    a.owner = str(u.owner, 'owner');
    a.source = str(u.source, 'source');
    a.time = ms(u.time);
    const out = [0];
    this._check(fn.fnl_account_upsert(this._p, a, out));
    return out[0];
  }

  findAccount(idOrDomain) {
    const out = [0];
    return this._found(fn.fnl_account_find(this._p, str(idOrDomain, 'account'), out), out);
  }

  account(account) {
    const h = id(account, 'account');
    const i = init(T.fnl_account_info, 'fnl_account_info_init');
    this._check(fn.fnl_account_get(this._p, h, i));
    return {
      id: i.id, name: i.name, owner: i.owner, created: i.created,
      contactCount: i.contact_count,
      domains: this._read(fn.fnl_account_domains, h, 4, () => null),
      attrs: Object.fromEntries(this._read(fn.fnl_account_attrs, h)
        .map((x) => [x.name, attrValue(x)])),
      contacts: this._read(fn.fnl_account_contacts, h, 8, () => 0),
    };
  }

  * accounts() {
    let after = 0;
    const out = [0];
    for (;;) {
      const v = this._found(fn.fnl_account_next(this._p, after, out), out);
      if (v === null) return;
      after = v;
      yield this.account(v);
    }
  }

  isFreemail(domain) {
    const out = [0];
    this._check(fn.fnl_domain_is_freemail(this._p, str(domain, 'domain'), out));
    return out[0] !== 0;
  }

  // ---- touches -----------------------------------------------------------

  /** A C touch object from a JS touch object (throws InvalidArgument). */
  _touch(src) {
    if (src === null || typeof src !== 'object') throw invalid('expected a touch object');
    const t = { ...this._touchInit };
    for (const name of Object.keys(src)) {
      const v = src[name];
      if (v === undefined || v === null) continue;
      const c = TOUCH_JS[name];
      if (c !== undefined) {
        t[c] = str(v, name);
      } else if (name === 'keys') {
        t.keys = keyList(v);
        t.key_count = t.keys.length;
      } else if (name === 'time') {
        t.time = ms(v);
      } else if (name === 'contact') {
        t.contact = id(v, 'contact');
      } else if (name === 'value') {
        t.value = int(v, 'value');
      } else {
        throw invalid(`unknown touch field '${name}'`);
      }
    }
    return t;
  }

  /** A scratch Buffer of at least `size` bytes and its address: reused
   *  between calls (grown by doubling), fresh while a call is running (a
   *  listener may call in again). */
  _scratch(slot, size) {
    let sc = this._scr[slot];
    if (this._busy || !sc || sc.buf.length < size) {
      const buf = Buffer.alloc(Math.max(size, sc && !this._busy ? sc.buf.length * 2 : 256));
      sc = { buf, addr: Number(koffi.address(buf)) };
      if (!this._busy) this._scr[slot] = sc;
    } else {
      sc.buf.fill(0, 0, size);
    }
    return sc;
  }

  /**
   * Pack touches into fnl_touch records in a Buffer, with a Buffer of
   * strings and one of keys they point into (validation as _touch()).
   * Returns [touches Buffer, keep-alive].
   */
  _packTouches(arr) {
    const n = arr.length;
    const strs = new Map();
    let total = 0;
    const intern = (v, what) => {
      let o = strs.get(v);
      if (o === undefined) {
        str(v, what);
        o = total;
        strs.set(v, o);
        total += Buffer.byteLength(v) + 1;
      }
      return o;
    };
    const recs = new Array(n);
    const kOff = [];
    for (let i = 0; i < n; i++) {
      const src = arr[i];
      // [time, contact, value, keyStart, keyCount, field, off, field, off...]
      const r = [TIME_NOW, 0, 0, 0, 0];
      try {
        if (src === null || typeof src !== 'object') throw invalid('expected a touch object');
        for (const name in src) {
          const v = src[name];
          if (v === undefined || v === null) continue;
          const fi = STR_INDEX[name];
          if (fi !== undefined) {
            r.push(STR_OFFS[fi], intern(v, name));
          } else if (name === 'keys') {
            r[3] = kOff.length;
            if (!Array.isArray(v) && typeof v === 'object') {
              for (const kind in v) kOff.push(intern(kind, 'key kind'), intern(v[kind], `key '${kind}'`));
            } else {
              for (const k of keyList(v)) kOff.push(intern(k.kind, 'key kind'), intern(k.value, `key '${k.kind}'`));
            }
            r[4] = (kOff.length - r[3]) / 2;
          } else if (name === 'time') {
            r[0] = ms(v);
          } else if (name === 'contact') {
            r[1] = id(v, 'contact');
          } else if (name === 'value') {
            r[2] = int(v, 'value');
          } else {
            throw invalid(`unknown touch field '${name}'`);
          }
        }
      } catch (e) {
        if (e instanceof InvalidArgument) throw invalid(`touch ${i}: ${bare(e)}`);
        throw e;
      }
      recs[i] = r;
    }
    const ss = this._scratch(0, total + 1);
    for (const [v, o] of strs) ss.buf.write(v, o, 'utf8');
    const ks = this._scratch(1, kOff.length * 8 + 8);
    for (let j = 0; j < kOff.length; j++) writeU64(ks.buf, j * 8, ss.addr + kOff[j]);
    const ts = this._scratch(2, n * TS);
    const tb = ts.buf;
    for (let i = 0; i < n; i++) {
      const o = i * TS;
      const r = recs[i];
      tb.writeUInt32LE(TS, o);
      const t = r[0];
      if (typeof t === 'number' && t >= 0) writeU64(tb, o + TOFF.time, t);
      else tb.writeBigInt64LE(BigInt(t), o + TOFF.time);
      if (r[4]) {
        writeU64(tb, o + TOFF.keys, ks.addr + r[3] * 8);
        writeU64(tb, o + TOFF.key_count, r[4]);
      }
      if (r[1]) writeU64(tb, o + TOFF.contact, r[1]);
      if (r[2]) tb.writeBigInt64LE(BigInt(r[2]), o + TOFF.value);
      for (let f = 5; f < r.length; f += 2) writeU64(tb, o + r[f], ss.addr + r[f + 1]);
    }
    return [tb, [ss, ks, ts]];
  }

  /** Record one touch; returns the contact it was attributed to. */
  addTouch(touch) {
    if (native.RAW) {
      const [tbuf, keep] = this._packTouches([touch]);
      const out = this._out1;
      this._busy = true;
      let rc;
      try {
        rc = fn.raw_touch_add(this._p, tbuf, out);
      } finally {
        this._busy = false;
      }
      keep.length = 0;
      this._check(rc);
      return out.readUInt32LE(0) + out.readUInt32LE(4) * TWO32;
    }
    const t = this._touch(touch);
    const out = [0];
    this._check(fn.fnl_touch_add(this._p, t, out));
    return out[0];
  }

  /**
   * Record many touches in ONE library call, all or nothing; returns the
   * contact of each touch.  On failure nothing is recorded and the error
   * names the first bad touch ("touch 3: ...", 0-based).
   */
  addTouches(touches) {
    const arr = Array.isArray(touches) ? touches : Array.from(touches);
    if (arr.length === 0) return [];
    if (native.RAW) {
      const [tbuf, keep] = this._packTouches(arr);
      const out = Buffer.alloc(arr.length * 8);
      this._busy = true;
      let rc;
      try {
        rc = fn.raw_touch_add_batch(this._p, tbuf, arr.length, out);
      } finally {
        this._busy = false;
      }
      keep.length = 0; // the strings and keys were needed until here
      this._check(rc);
      const ids = new Array(arr.length);
      for (let i = 0; i < ids.length; i++) ids[i] = out.readUInt32LE(i * 8) + out.readUInt32LE(i * 8 + 4) * TWO32;
      return ids;
    }
    const ts = new Array(arr.length);
    for (let i = 0; i < arr.length; i++) {
      try {
        ts[i] = this._touch(arr[i]);
      } catch (e) {
        if (e instanceof InvalidArgument) throw invalid(`touch ${i}: ${bare(e)}`);
        throw e;
      }
    }
    const out = new Array(arr.length).fill(0);
    this._check(fn.fnl_touch_add_batch(this._p, ts, ts.length, out));
    return out;
  }

  /** A contact's touches in time order (its timeline). */
  touches(contact) {
    const h = id(contact, 'contact');
    const es = koffi.sizeof(T.fnl_touch_info);
    const count = [0];
    let cap = 16;
    for (;;) {
      const buf = Array.from({ length: cap }, () => ({}));
      const rc = fn.fnl_contact_touches(this._p, h, buf, es, cap, count);
      if (rc === ERANGE && count[0] > cap) {
        cap = count[0];
        continue;
      }
      this._check(rc);
      return buf.slice(0, count[0]).map((t) => {
        const o = { time: t.time, contact: t.contact };
        for (const f of TOUCH_INFO_STR) o[camel(f)] = t[f];
        o.value = t.value;
        o.by = t.by;
        return o;
      });
    }
  }

  /** The channel the grouping gives a touch with these fields. */
  touchChannel(touch = {}) {
    const out = [null];
    this._check(fn.fnl_touch_channel(this._p, this._touch(touch), out));
    return out[0];
  }

  // ---- deals -------------------------------------------------------------

  /**
   * Create or update a deal.  contacts: [{contact, role}] or
   * [{key: [kind, value] | {kind, value}, role}]; closed 0 = not closed.
   */
  upsertDeal(u = {}) {
    const d = init(T.fnl_deal_update, 'fnl_deal_update_init');
    d.id = str(u.id, 'deal id');
    d.account = str(u.account, 'account');
    const cs = (u.contacts || []).map((c) => {
      const o = typeof c === 'object' && c !== null ? c : { contact: c };
      const dc = { contact: 0, key: { kind: null, value: null }, role: roleCode(o.role, 0) };
      if (o.contact !== undefined && o.contact !== null) dc.contact = id(o.contact, 'deal contact');
      else if (o.key) dc.key = keyList([o.key], 'deal contact key')[0];
      else throw invalid('deal contact: needs contact or key');
      return dc;
    });
    d.contacts = cs.length ? cs : null;
    d.contact_count = cs.length;
    d.amount = int(u.amount ?? 0, 'amount');
    d.currency = str(u.currency, 'currency');
    d.created = ms(u.created, 'created');
    d.closed = u.closed ? ms(u.closed, 'closed') : 0;
    const st = u.status ?? 'open';
    d.status = typeof st === 'string' ? DEAL_STATUS.indexOf(st) : st;
    if (d.status < 0) throw invalid(`deal status must be open, won or lost, not '${st}'`);
    d.stage = str(u.stage, 'stage');
    d.owner = str(u.owner, 'owner');
    const attrs = attrList(u.attrs);
    if (attrs.length) this._need('fnl_deal_attrs');
    d.attrs = attrs.length ? attrs : null;
    d.attr_count = attrs.length;
    const out = [0];
    this._check(fn.fnl_deal_upsert(this._p, d, out));
    return out[0];
  }

  findDeal(dealId) {
    const out = [0];
    return this._found(fn.fnl_deal_find(this._p, str(dealId, 'deal id'), out), out);
  }

  deal(deal) {
    const h = id(deal, 'deal');
    const i = { size: koffi.sizeof(T.fnl_deal_info) }; // no fnl_deal_info_init
    this._check(fn.fnl_deal_get(this._p, h, i));
    const members = this._read(fn.fnl_deal_contacts, h);
    return {
      id: i.id, name: i.name, account: i.account || null, amount: i.amount,
      currency: i.currency, created: i.created, closed: i.closed,
      status: DEAL_STATUS[i.status] ?? String(i.status), stage: i.stage,
      owner: i.owner,
      contacts: members.map((m) => ({ contact: m.contact, role: roleName(m.role) })),
      attrs: has('fnl_deal_attrs') ? this.dealAttrs(h) : {},
    };
  }

  /** The deal's attributes ({name: string | number}). */
  dealAttrs(deal) {
    this._need('fnl_deal_attrs');
    return Object.fromEntries(this._read(fn.fnl_deal_attrs, id(deal, 'deal'))
      .map((a) => [a.name, attrValue(a)]));
  }

  /** One deal attribute; throws NotFound when the deal lacks it. */
  dealAttr(deal, name) {
    this._need('fnl_deal_attr');
    const a = {};
    this._check(fn.fnl_deal_attr(this._p, id(deal, 'deal'), str(name, 'name'), a));
    return attrValue(a);
  }

  // ---- owner records -----------------------------------------------------

  /**
   * Create or update the record of an owner string (the name deals,
   * contacts and accounts carry as owner): {name, attrs: {manager,
   * regional_office, ...}, source, time}.  Attributes follow the engine's
   * precedence; null removes one.
   */
  upsertOwner(u = {}) {
    this._need('fnl_owner_upsert');
    const o = init(T.fnl_owner_update, 'fnl_owner_update_init');
    o.name = str(u.name, 'owner name');
    const attrs = attrList(u.attrs);
    o.attrs = attrs.length ? attrs : null;
    o.attr_count = attrs.length;
    o.source = str(u.source, 'source');
    o.time = ms(u.time);
    this._check(fn.fnl_owner_upsert(this._p, o));
  }

  /** The owner's record {name, created, attrs}, or null without one. */
  owner(name) {
    this._need('fnl_owner_get');
    const i = init(T.fnl_owner_info, 'fnl_owner_info_init');
    const rc = fn.fnl_owner_get(this._p, str(name, 'owner name'), i);
    if (rc === ENOTFOUND && this._pending === null) return null;
    this._check(rc);
    return { name: i.name, created: i.created, attrs: this.ownerAttrs(name) };
  }

  /** The owner's attributes ({} for a name without a record). */
  ownerAttrs(name) {
    this._need('fnl_owner_attrs');
    return Object.fromEntries(this._read(fn.fnl_owner_attrs, str(name, 'owner name'))
      .map((a) => [a.name, attrValue(a)]));
  }

  /** One owner attribute; throws NotFound when absent. */
  ownerAttr(name, attr) {
    this._need('fnl_owner_attr');
    const a = {};
    this._check(fn.fnl_owner_attr(this._p, str(name, 'owner name'), str(attr, 'attribute name'), a));
    return attrValue(a);
  }

  /** Every owner record, sorted by name. */
  owners() {
    this._need('fnl_owner_list');
    const list = (p, _h, buf, cap, count) => fn.fnl_owner_list(p, buf, cap, count);
    return this._read(list, null, 8, () => null).map((n) => this.owner(n));
  }

  deals() {
    const res = [];
    let after = 0;
    const out = [0];
    for (;;) {
      const v = this._found(fn.fnl_deal_next(this._p, after, out), out);
      if (v === null) return res;
      after = v;
      res.push(this.deal(v));
    }
  }

  // ---- attribution over the engine's own data ----------------------------

  /**
   * Attribute conversions (won deals by default) to their buying group's
   * touches.  opts: conversion ('dealWon'|'dealCreated'), scope
   * ('account'|'contact'), groupBy ('channel', 'campaign', 'content',
   * 'utmSource', 'utmMedium', 'utmCampaign', 'type', 'channelCampaign',
   * 'contactAttr', 'accountAttr', 'owner'), groupAttr, lookbackMs (-1:
   * unlimited), excludeTypes, leadTypes, nonconverting ('lostDeals',
   * 'noDeal'), currency, since, until, unattributedKey, and the model
   * options of attribute() plus valueDecimals.  The result carries
   * journeysStats.
   */
  attribute(model = 'linear', opts = {}) {
    return require('./attribution').engineAttribute(this, model, opts);
  }

  /** {journeys, stats} built from the engine (options of attribute()). */
  journeys(opts = {}) {
    return require('./attribution').engineJourneys(this, opts);
  }

  /** {partial, stats}: the engine's journeys (options of attribute())
   *  accumulated straight into a partial for `models`. */
  attributionPartial(models, opts = {}) {
    return require('./attribution').engineAttributionPartial(this, models, opts);
  }

  // ---- lead scoring ------------------------------------------------------

  /**
   * Attach a copy of a Model (replacing one of the same name) and score
   * every contact.  progress(done, total) is called now and then; a truthy
   * return cancels (Canceled), and so does a throw, which is rethrown once
   * the library call returned.  A canceled attach changes nothing.
   */
  attachModel(model, progress) {
    require('./scoring').attachModel(this, model, progress);
  }

  /** Detach the model of that name (or that Model's); NotFound if none. */
  detachModel(model) {
    require('./scoring').detachModel(this, model);
  }

  /** Copies of the attached models, in attach order. */
  models() {
    return require('./scoring').models(this);
  }

  /** A contact's score under an attached model (name or Model; default
   *  the first attached) at time t (default the engine clock's now). */
  contactScore(contact, model, t) {
    return require('./scoring').contactScore(this, id(contact, 'contact'), model, t);
  }

  /** One row per rule of the model: why the contact scores what it does. */
  contactExplain(contact, model, t) {
    return require('./scoring').contactExplain(this, id(contact, 'contact'), model, t);
  }

  /** An account's roll-up and buying-group coverage. */
  accountScore(account, model, t) {
    return require('./scoring').accountScore(this, id(account, 'account'), model, t);
  }

  // ---- lifecycle stage machines -------------------------------------------

  /** Attach a copy of a Machine (replacing the attached one): every live
   *  contact enters its initial stage at the engine clock's now and is
   *  evaluated there.  On failure nothing changes. */
  attachMachine(machine) {
    require('./stages').attachMachine(this, machine);
  }

  /**
   * Fire a host event for a contact ('sales_accept', 'sales_reject' with a
   * reason, 'sales_qualify', 'opportunity_created', 'deal_won', ... or any
   * other [a-z0-9_] name) at time (default the engine clock's now).
   * contactEvent(c, 'sales_reject', 'bad_fit', t) or
   * contactEvent(c, 'sales_reject', { reason: 'bad_fit', time: t }).
   * NotFound without a machine or for an unknown contact.
   */
  contactEvent(contact, event, reason, time) {
    if (reason !== null && typeof reason === 'object') {
      ({ reason, time } = reason);
    }
    require('./stages').contactEvent(this, id(contact, 'contact'), event, reason, time);
  }

  /** Advance the stage clock to now (default the engine clock): every
   *  timer, SLA deadline and nurture step due at or before now fires. */
  tick(now) {
    require('./stages').tick(this, now);
  }

  /** {stage, index, entered, owner, reached, reachedMask, reachedCount,
   *  unsubscribed, history}; NotFound without a machine. */
  contactStage(contact) {
    return require('./stages').contactStage(this, id(contact, 'contact'));
  }

  /** The contact's stage history records, oldest first. */
  contactStageHistory(contact) {
    return require('./stages').contactStageHistory(this, id(contact, 'contact'));
  }

  // ---- reports -----------------------------------------------------------

  /** Funnel and velocity of the deals: opts groupBy ('none', 'owner',
   *  'stage', 'account', 'accountAttr' + groupAttr, 'currency', 'status'),
   *  since, until, asOf, currency, fx, stageProbabilities ({stage: p}),
   *  forecastUntil, benchmarkWinRate, benchmarkCycleDays,
   *  benchmarkDealSize. */
  reportDeals(opts = {}) {
    return require('./reports').reportDeals(this, opts);
  }

  /** ROI per channel / campaign / region; revenue / pipeline: a model
   *  name or attribute() options with `model` (null: leave out). */
  reportRoi(opts = {}) {
    return require('./reports').reportRoi(this, opts);
  }

  reportSpend(opts = {}) {
    return require('./reports').reportSpend(this, opts);
  }

  reportCohort(opts = {}) {
    return require('./reports').reportCohort(this, opts);
  }

  reportTimeToConvert(opts = {}) {
    return require('./reports').reportTimeToConvert(this, opts);
  }

  // stage-history reports (docs/reports.md): NotFound without a machine

  /** The lifecycle funnel: opts groupBy ('none', 'channel', 'campaign',
   *  'owner', 'attr' + groupAttr), since, until, asOf, pairs ({from, to,
   *  low, high} or [from, to, low?, high?]). */
  reportStageFunnel(opts = {}) {
    return require('./reports').reportStageFunnel(this, opts);
  }

  /** Cohorts by the period of the first entry into opts.stage: period,
   *  since, until, boundaries, asOf, ages, targets. */
  reportStageCohort(opts = {}) {
    return require('./reports').reportStageCohort(this, opts);
  }

  /** Kaplan-Meier from opts.fromStage (default: the first funnel stage)
   *  to opts.toStage (required): since, until, asOf, windowDays,
   *  coldThreshold. */
  reportStageTimeToConvert(opts = {}) {
    return require('./reports').reportStageTimeToConvert(this, opts);
  }

  /** Sales rejections per group and reason: groupBy (default 'channel'),
   *  groupAttr, since, until. */
  reportRejections(opts = {}) {
    return require('./reports').reportRejections(this, opts);
  }

  /** Funnel counts per group for reportRoi's stageCounts: groupBy (default
   *  'channel'), groupAttr, view ('cumulative', 'inPeriod'), since, until,
   *  asOf, leadStage, mqlStage, sqlStage, opportunityStage, customerStage
   *  (null: not counted). */
  stageCounts(opts = {}) {
    return require('./reports').stageCounts(this, opts);
  }

  /** budgetAllocate() of the package (needs no engine). */
  static budgetAllocate(total, lines, opts = {}) {
    return require('./reports').budgetAllocate(total, lines, opts);
  }

  // ---- costs -------------------------------------------------------------

  /** Spend over [start, end) in minor units; returns the cost's index. */
  addCost(c = {}) {
    const o = init(T.fnl_cost, 'fnl_cost_init');
    o.channel = str(c.channel, 'channel');
    o.campaign = str(c.campaign, 'campaign');
    o.region = str(c.region, 'region');
    o.currency = str(c.currency, 'currency');
    if (c.start === undefined || c.end === undefined) throw invalid('cost: start and end are required');
    o.start = ms(c.start, 'start');
    o.end = ms(c.end, 'end');
    o.amount = int(c.amount, 'amount');
    const out = [0];
    this._check(fn.fnl_cost_add(this._p, o, out));
    return out[0];
  }

  cost(index) {
    const o = init(T.fnl_cost, 'fnl_cost_init');
    const cur = Buffer.alloc(4);
    this._check(fn.fnl_cost_get(this._p, id(index, 'index'), o, cur));
    const n = cur.indexOf(0);
    return { index, channel: o.channel, campaign: o.campaign, region: o.region,
      start: o.start, end: o.end, amount: o.amount,
      currency: cur.toString('ascii', 0, n < 0 ? 4 : n) };
  }

  costs() {
    const n = Number(this.stats().costs);
    return Array.from({ length: n }, (_, i) => this.cost(i));
  }
}

if (typeof Symbol.dispose === 'symbol') {
  Engine.prototype[Symbol.dispose] = function dispose() { this.close(); };
}

module.exports = { Engine, EVENT_KINDS, invalid, str, ms, int, errorFor };
