'use strict';
// Lifecycle stage machines (docs/stages.md): parsed from their text format
// or the built-in default waterfall, and attached to an Engine, which then
// moves every contact through the stages on touches, scores, host events
// (engine.contactEvent) and the clock (engine.tick), and tells the
// listener ('stage_changed', 'sla_breach', 'routed', 'step_due').  Results
// are plain objects; strings are copied at once.

const { fn, T, init, has } = require('./native');
const { makeError, CODES } = require('./errors');
const { parseText, canonicalText } = require('./text');
const { invalid, str, ms } = require('./engine');

const NO_RULE = 0xFFFFFFFF;
/** fnl_stage_record_kind -> name */
const RECORD_KINDS = { 1: 'transition', 2: 'passed', 3: 'assign', 4: 'breach' };
/** fnl_stage_cause -> name */
const RECORD_CAUSES = { 1: 'start', 2: 'touch', 3: 'profile', 4: 'score',
  5: 'event', 6: 'timer', 7: 'recheck', 32: 'sla', 33: 'merge' };

function need(name = 'fnl_machine_parse') {
  if (!has(name)) throw makeError(CODES.FNL_EUNSUPPORTED, `unsupported: this libfunnelcore has no ${name}`);
}

function check(rc, what) {
  if (rc !== 0) throw makeError(rc, `${fn.fnl_strerror(rc)}: ${what}`);
}

function machineText(ptr) {
  return canonicalText(fn.fnl_machine_to_text, ptr);
}

function stageNames(ptr) {
  return Array.from({ length: fn.fnl_machine_stage_count(ptr) },
    (_, i) => fn.fnl_machine_stage_name(ptr, i) || '');
}

class Machine {
  constructor() {
    throw new TypeError('use Machine.parse(text) or Machine.default()');
  }

  static _wrap(ptr) {
    const m = Object.create(Machine.prototype);
    m._ptr = ptr;
    m._name = fn.fnl_machine_name(ptr) || '';
    m._stages = stageNames(ptr);
    return m;
  }

  /** Compile a machine from its text format; InvalidArgument (with line,
   *  column and parseMessage) on a syntax or semantic error. */
  static parse(text) {
    need();
    return Machine._wrap(parseText(fn.fnl_machine_parse, text));
  }

  /** The built-in demand waterfall (inquiry -> mql -> sal -> sql ->
   *  opportunity -> customer, with nurture, recycled, disqualified). */
  static default() {
    need('fnl_machine_default');
    const out = [null];
    check(fn.fnl_machine_default(out, null), 'machine_default');
    return Machine._wrap(out[0]);
  }

  get _p() {
    if (this._ptr === null) throw invalid('machine is closed');
    return this._ptr;
  }

  get name() { return this._name; }

  get version() { return fn.fnl_machine_version(this._p); }

  /** Stage names in definition order (bit i of reachedMask is stages[i]). */
  get stages() { return [...this._stages]; }

  /** The canonical text (parsing it gives the same machine). */
  get text() { return machineText(this._p); }

  toString() { return this.text; }

  close() {
    const p = this._ptr;
    this._ptr = null;
    if (p !== null) fn.fnl_machine_free(p);
  }
}
if (typeof Symbol.dispose === 'symbol') {
  Machine.prototype[Symbol.dispose] = function dispose() { this.close(); };
}

// ---- engine side --------------------------------------------------------

function attachMachine(engine, machine) {
  need('fnl_engine_attach_machine');
  if (!(machine instanceof Machine)) throw invalid('attachMachine: expected a Machine');
  engine._check(fn.fnl_engine_attach_machine(engine._p, machine._p));
  engine._machineStages = [...machine._stages];
}

function contactEvent(engine, contact, event, reason, time) {
  need('fnl_contact_event');
  if (event === undefined || event === null) throw invalid('event: a name is required');
  engine._check(fn.fnl_contact_event(engine._p, contact, str(event, 'event'),
    str(reason, 'reason'), ms(time, 'time')));
}

function tick(engine, now) {
  need('fnl_engine_tick');
  engine._check(fn.fnl_engine_tick(engine._p, ms(now, 'now')));
}

function contactStage(engine, contact) {
  need('fnl_contact_stage');
  const s = init(T.fnl_stage_status);
  engine._check(fn.fnl_contact_stage(engine._p, contact, s));
  const names = engine._machineStages;
  const mask = BigInt(s.reached);
  return {
    stage: s.name || '', index: s.stage, entered: s.entered,
    owner: s.owner ?? null,
    reached: names ? names.filter((_, i) => ((mask >> BigInt(i)) & 1n) === 1n) : null,
    reachedMask: s.reached, reachedCount: s.reached_count,
    unsubscribed: s.unsubscribed !== 0, history: s.history,
  };
}

function contactStageHistory(engine, contact) {
  need('fnl_contact_stage_history');
  return engine._read(fn.fnl_contact_stage_history, contact, 16).map((r) => ({
    time: r.time, kind: RECORD_KINDS[r.kind] || String(r.kind),
    cause: RECORD_CAUSES[r.cause] || String(r.cause),
    from: r.from ?? null, to: r.to ?? null,
    rule: r.rule === NO_RULE ? null : r.rule, back: r.back !== 0,
    owner: r.owner ?? null, prevOwner: r.prev_owner ?? null,
    reason: r.reason ?? null,
  }));
}

module.exports = { Machine, attachMachine, contactEvent, tick, contactStage,
  contactStageHistory, RECORD_KINDS, RECORD_CAUSES };
