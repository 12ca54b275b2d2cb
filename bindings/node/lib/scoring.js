'use strict';
// Lead scoring (docs/scoring.md): models parsed from their text format,
// scored standalone over a profile and a timeline, or attached to an
// Engine, which keeps every contact's score current and fires key events
// to the listener.  Results are plain objects; strings are copied at once.

const { koffi, fn, T, TOUCH_INFO_STR, init, has } = require('./native');
const { makeError, CODES } = require('./errors');
const { parseText, canonicalText } = require('./text');
const { invalid, str, ms, int } = require('./engine');

const RULE_KINDS = { 1: 'fit', 2: 'engage', 3: 'key_event' };
const ERANGE = CODES.FNL_ERANGE;
const TI_SIZE = koffi.sizeof(T.fnl_touch_info);
const camel = (s) => s.replace(/_([a-z])/g, (_, c) => c.toUpperCase());

function need(name = 'fnl_model_parse') {
  if (!has(name)) throw makeError(CODES.FNL_EUNSUPPORTED, `unsupported: this libfunnelcore has no ${name}`);
}

function check(rc, what) {
  if (rc !== 0) throw makeError(rc, `${fn.fnl_strerror(rc)}: ${what}`);
}

function cstr(buf) {
  const n = buf.indexOf(0);
  return buf.toString('utf8', 0, n < 0 ? buf.length : n);
}

function bit(mask, i) {
  return ((BigInt(mask) >> BigInt(i)) & 1n) === 1n;
}

/** {name, keyEvents, thresholds} of a (borrowed) model pointer. */
function meta(ptr) {
  const i = init(T.fnl_model_info, 'fnl_model_info_init');
  check(fn.fnl_model_get_info(ptr, i), 'model_get_info');
  return {
    name: i.name || '',
    keyEvents: Array.from({ length: i.key_events }, (_, k) => fn.fnl_model_key_event_name(ptr, k)),
    thresholds: Array.from({ length: i.thresholds }, (_, k) => fn.fnl_model_threshold_name(ptr, k)),
    fingerprint: i.fingerprint,
  };
}

function scoreOf(m, r) {
  return {
    model: m.name, time: r.time, fit: r.fit, engagement: r.engagement,
    total: r.total, grade: r.grade, band: r.band, cell: r.cell,
    keyEvents: m.keyEvents.filter((_, i) => bit(r.key_events, i)),
    firings: r.firings,
    thresholds: Object.fromEntries(m.thresholds.map((n, i) => [n, bit(r.thresholds, i)])),
    keyEventMask: r.key_events, thresholdMask: r.thresholds,
  };
}

function rowsOf(buf, n) {
  return buf.slice(0, n).map((r) => ({
    kind: RULE_KINDS[r.kind] || String(r.kind), index: r.index, rule: r.rule,
    points: r.points, matched: r.matched, counted: r.counted, raw: r.raw,
    value: r.value,
  }));
}

/** fnl_attr objects from {name: string | number}. */
function attrs(a) {
  if (!a) return [];
  return Object.entries(a).map(([name, v]) => {
    str(name, 'attribute name');
    if (typeof v === 'string') return { name, type: 1, str: str(v, name), num: 0 };
    if (typeof v === 'number') return { name, type: 2, str: null, num: v };
    if (v === null || v === undefined) return { name, type: 3, str: null, num: 0 };
    throw invalid(`attribute '${name}': expected a string, number or null`);
  });
}

/** fnl_touch_info objects from touches as returned by engine.touches()
 *  (camelCase) or with the C names. */
function touchInfos(touches) {
  return Array.from(touches || [], (t, i) => {
    if (t === null || typeof t !== 'object') throw invalid(`touch ${i}: expected an object`);
    if (t.time === undefined || t.time === null) throw invalid(`touch ${i}: a time is required`);
    const o = { size: TI_SIZE, time: ms(t.time, `touch ${i}: time`), contact: 0, value: 0 };
    for (const f of TOUCH_INFO_STR) o[f] = str(t[camel(f)] ?? t[f], `touch ${i}: ${f}`);
    if (t.value) o.value = int(t.value, `touch ${i}: value`);
    return o;
  });
}

function atTime(t) {
  return t === undefined || t === null ? Date.now() : ms(t, 't');
}

class Model {
  constructor() {
    throw new TypeError('use Model.parse(text)');
  }

  static _wrap(ptr) {
    const m = Object.create(Model.prototype);
    m._ptr = ptr;
    m._meta = meta(ptr);
    return m;
  }

  /** Compile a model from its text format; InvalidArgument (with line,
   *  column and message) on a syntax or semantic error. */
  static parse(text) {
    need();
    return Model._wrap(parseText(fn.fnl_model_parse, text));
  }

  get _p() {
    if (this._ptr === null) throw invalid('model is closed');
    return this._ptr;
  }

  get name() { return this._meta.name; }

  /** Key-event names in definition order (bit i of a mask). */
  get keyEvents() { return [...this._meta.keyEvents]; }

  get thresholds() { return [...this._meta.thresholds]; }

  get info() {
    const i = init(T.fnl_model_info, 'fnl_model_info_init');
    check(fn.fnl_model_get_info(this._p, i), 'model_get_info');
    return { name: i.name, version: i.version, halfLifeMs: i.half_life,
      fitRules: i.fit_rules, engageRules: i.engage_rules,
      keyEvents: i.key_events, thresholds: i.thresholds,
      fingerprint: i.fingerprint };
  }

  /** The canonical text (parsing it gives the same model). */
  get text() {
    return modelText(this._p);
  }

  toString() { return this.text; }

  /** Score a profile and a timeline at time t (default: now). */
  score(profile = {}, touches = [], t = undefined) {
    const a = attrs(profile);
    const ti = touchInfos(touches);
    const r = init(T.fnl_score_result, 'fnl_score_result_init');
    check(fn.fnl_model_score(this._p, a.length ? a : null, a.length,
      ti.length ? ti : null, TI_SIZE, ti.length, atTime(t), r), 'model_score: bad input');
    return scoreOf(this._meta, r);
  }

  /** One row per rule; the values sum to the total. */
  explain(profile = {}, touches = [], t = undefined) {
    const a = attrs(profile);
    const ti = touchInfos(touches);
    const i = this.info;
    const cap = i.fitRules + i.engageRules + i.keyEvents;
    const buf = Array.from({ length: Math.max(cap, 1) }, () => ({}));
    const n = [0];
    check(fn.fnl_model_explain(this._p, a.length ? a : null, a.length,
      ti.length ? ti : null, TI_SIZE, ti.length, atTime(t), buf, cap, n), 'model_explain');
    return rowsOf(buf, n[0]);
  }

  /** Every key-event firing of a timeline up to t: [{index, name, time}]. */
  keyEventHistory(touches = [], t = undefined) {
    const ti = touchInfos(touches);
    let cap = 16;
    const n = [0];
    for (;;) {
      const buf = Array.from({ length: cap }, () => ({}));
      const rc = fn.fnl_model_key_event_history(this._p, ti.length ? ti : null, TI_SIZE,
        ti.length, atTime(t), buf, cap, n);
      if (rc === ERANGE && n[0] > cap) { cap = n[0]; continue; }
      check(rc, 'model_key_event_history');
      return buf.slice(0, n[0]).map((f) => ({ index: f.event, name: f.name, time: f.time }));
    }
  }

  close() {
    const p = this._ptr;
    this._ptr = null;
    if (p !== null) fn.fnl_model_free(p);
  }
}
if (typeof Symbol.dispose === 'symbol') {
  Model.prototype[Symbol.dispose] = function dispose() { this.close(); };
}

function modelText(ptr) {
  return canonicalText(fn.fnl_model_to_text, ptr);
}

// ---- engine side --------------------------------------------------------

function modelName(model) {
  if (model === undefined || model === null) return null;
  if (model instanceof Model) return model.name;
  return str(model, 'model');
}

function attached(engine) {
  const res = [];
  const out = [null];
  while (fn.fnl_engine_model(engine._p, res.length, out) === 0) res.push(out[0]);
  return res;
}

function metaFor(engine, name) {
  for (const p of attached(engine)) {
    const m = meta(p);
    if (name === null || m.name.toLowerCase() === name.toLowerCase()) return m;
  }
  throw makeError(CODES.FNL_ENOTFOUND, 'not found: no such model attached');
}

function attachModel(engine, model, progress) {
  need('fnl_engine_attach_model');
  if (!(model instanceof Model)) throw invalid('attachModel: expected a Model');
  if (progress !== undefined && progress !== null && typeof progress !== 'function') {
    throw new TypeError('progress must be a function');
  }
  let cb = null;
  let table = null;
  if (progress) {
    cb = koffi.register((_ctx, done, total) => {
      try {
        return progress(Number(done), Number(total)) ? 1 : 0;
      } catch (e) { // never let it reach C
        engine._keep(e, 'progress');
        return 1; // cancels: nothing changes
      }
    }, koffi.pointer(T.progress_fn));
    table = { version: 1, ctx: null, report: cb };
  }
  try {
    engine._check(fn.fnl_engine_attach_model(engine._p, model._p, table));
  } finally {
    if (cb) koffi.unregister(cb);
  }
}

function detachModel(engine, model) {
  need('fnl_engine_detach_model');
  engine._check(fn.fnl_engine_detach_model(engine._p, modelName(model)));
}

function models(engine) {
  return attached(engine).map((p) => Model.parse(modelText(p)));
}

function contactScore(engine, contact, model, t) {
  need('fnl_contact_score');
  const name = modelName(model);
  const r = init(T.fnl_score_result, 'fnl_score_result_init');
  engine._check(fn.fnl_contact_score(engine._p, contact, name, ms(t, 't'), r));
  return scoreOf(metaFor(engine, name), r);
}

function contactExplain(engine, contact, model, t) {
  need('fnl_contact_explain');
  const name = modelName(model);
  const tt = ms(t, 't');
  let cap = 16;
  const n = [0];
  for (;;) {
    const buf = Array.from({ length: cap }, () => ({}));
    const rc = fn.fnl_contact_explain(engine._p, contact, name, tt, buf, cap, n);
    if (rc === ERANGE && n[0] > cap) { cap = n[0]; continue; }
    engine._check(rc);
    return rowsOf(buf, n[0]);
  }
}

function roles(mask) {
  const out = [];
  for (let i = 0; i < 32; i++) if ((mask >>> i) & 1) out.push(fn.fnl_role_name(i) ?? String(i));
  return out;
}

function accountScore(engine, account, model, t) {
  need('fnl_account_score_get');
  const name = modelName(model);
  const s = init(T.fnl_account_score, 'fnl_account_score_init');
  engine._check(fn.fnl_account_score_get(engine._p, account, name, ms(t, 't'), s));
  const required = roles(s.roles_required);
  const engaged = roles(s.roles_engaged);
  return { model: metaFor(engine, name).name, score: s.score, contacts: s.contacts,
    engaged: s.engaged, rolesEngaged: engaged, rolesRequired: required,
    rolesCovered: s.roles_covered,
    coveredRoles: required.filter((r) => engaged.includes(r)), coverage: s.coverage };
}

module.exports = { Model, attachModel, detachModel, models, contactScore,
  contactExplain, accountScore };
