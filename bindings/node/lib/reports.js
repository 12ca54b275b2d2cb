'use strict';
// ROI and funnel reports (docs/roi.md, docs/reports.md).  A report is read
// out of the library's immutable fnl_report in one render (its own JSON)
// into a plain object: {kind, currency, columns, rows, totals, summary},
// with toJson() / toCsv() returning the library's renderings byte for
// byte.  Row keys are the report's column names (snake_case, as in the
// JSON and CSV).  Money is integer minor units; values beyond 2^53 would
// lose precision in a JS number (Python keeps them exact).

const { fn, T, init, has, koffi } = require('./native');
const { makeError, CODES } = require('./errors');
const { invalid, str, ms, int } = require('./engine');

const ERANGE = CODES.FNL_ERANGE;
const PERIODS = { all: 0, day: 1, week: 2, month: 3, quarter: 4, year: 5, custom: 6 };
const COST_GROUPS = { channel: 1, campaign: 2, region: 3 };
const DEAL_GROUPS = { none: 0, owner: 1, stage: 2, account: 3, accountAttr: 4,
  account_attr: 4, currency: 5, status: 6, attr: 7, ownerAttr: 8,
  owner_attr: 8 };
const STAGE_GROUPS = { none: 0, channel: 1, campaign: 2, owner: 3, attr: 4 };
const STAGE_VIEWS = { cumulative: 0, inPeriod: 1, in_period: 1 };

function need(name) {
  if (!has(name)) throw makeError(CODES.FNL_EUNSUPPORTED, `unsupported: this libfunnelcore has no ${name}`);
}

function check(rc, what) {
  if (rc !== 0) throw makeError(rc, `${fn.fnl_strerror(rc)}: ${what}`);
}

function pick(table, v, what) {
  if (typeof v === 'number') return v;
  if (!(v in table)) throw invalid(`${what} must be one of ${Object.keys(table).join(', ')}, not '${v}'`);
  return table[v];
}

function num(v, what) {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(`${what}: expected a finite number`);
  return v;
}

function render(f, ptr) {
  const n = [0];
  const rc = f(ptr, null, 0, n);
  if (rc !== 0 && rc !== ERANGE) check(rc, 'report render');
  const buf = Buffer.alloc(Number(n[0]));
  check(f(ptr, buf, buf.length, n), 'report render');
  return buf.toString('utf8', 0, buf.length - 1);
}

class Report {
  constructor(json, csv) {
    const d = JSON.parse(json);
    this.kind = d.report;
    this.schemaVersion = d.schema_version;
    this.currency = d.currency;
    this.columns = d.columns;
    this.rows = d.rows;
    this.totals = d.totals ?? null;
    this.summary = d.summary ?? {};
    Object.defineProperty(this, '_json', { value: json });
    Object.defineProperty(this, '_csv', { value: csv });
  }

  /** The library's JSON rendering (docs/reports.md), byte for byte. */
  toJson() { return this._json; }

  /** The library's CSV rendering of the rows. */
  toCsv() { return this._csv; }

  get columnNames() { return this.columns.map((c) => c.name); }

  /** Rows keyed by their first column (the group / label). */
  byKey() {
    const k = this.columns[0].name;
    return Object.fromEntries(this.rows.map((r) => [r[k], r]));
  }
}

function report(ptr) {
  try {
    return new Report(render(fn.fnl_report_json, ptr), render(fn.fnl_report_csv, ptr));
  } finally {
    fn.fnl_report_free(ptr);
  }
}

function run(engine, f, req) {
  const out = [null];
  if (engine === null) check(f(req, out), `${f.name || 'report'}: bad request`);
  else engine._check(f(engine._p, req, out));
  return report(out[0]);
}

// ---- currency rates -----------------------------------------------------

function currencyDigits(code) {
  need('fnl_currency_digits');
  const d = fn.fnl_currency_digits(str(code, 'currency'));
  if (d < 0) throw invalid(`'${code}' is not a currency code`);
  return d;
}

class FX {
  /** A rate table; rates: [[from, to, rate, start?, end?], ...]. */
  constructor(rates = []) {
    need('fnl_fx_new');
    const out = [null];
    check(fn.fnl_fx_new(out, null), 'fx_new');
    this._ptr = out[0];
    for (const r of rates) this.add(...r);
  }

  get _p() {
    if (this._ptr === null) throw invalid('rate table is closed');
    return this._ptr;
  }

  /** One `from` buys `rate` `to` over [start, end) (end 0: forever). */
  add(from, to, rate, start = 0, end = 0) {
    check(fn.fnl_fx_add(this._p, str(from, 'from'), str(to, 'to'), num(rate, 'rate'),
      ms(start || 0), ms(end || 0)), `rate ${from}->${to}`);
  }

  /** Minor units of `from` into minor units of `to` at time t. */
  convert(amount, from, to, t) {
    const out = [0];
    check(fn.fnl_fx_convert(this._p, int(amount, 'amount'), str(from, 'from'), str(to, 'to'),
      ms(t, 't'), out), `no rate ${from}->${to} at ${t}`);
    return out[0];
  }

  close() {
    const p = this._ptr;
    this._ptr = null;
    if (p !== null) fn.fnl_fx_free(p);
  }
}
if (typeof Symbol.dispose === 'symbol') {
  FX.prototype[Symbol.dispose] = function dispose() { this.close(); };
}

function fxOf(fx, owned) {
  if (fx === undefined || fx === null) return null;
  if (fx instanceof FX) return fx._p;
  const t = new FX(fx);
  owned.push(t);
  return t._p;
}

function withFx(fx, body) {
  const owned = [];
  try {
    return body(fxOf(fx, owned));
  } finally {
    for (const t of owned) t.close();
  }
}

function timeOr(v, what, dflt) {
  return v === undefined || v === null ? dflt : ms(v, what);
}

function costs(list) {
  return (list || []).map((c, i) => {
    const o = init(T.fnl_cost, 'fnl_cost_init');
    for (const f of ['channel', 'campaign', 'region', 'currency']) o[f] = str(c[f], `cost ${i}: ${f}`);
    o.start = ms(c.start, `cost ${i}: start`);
    o.end = ms(c.end, `cost ${i}: end`);
    o.amount = int(c.amount, `cost ${i}: amount`);
    return o;
  });
}

// ---- engine reports -----------------------------------------------------

function reportDeals(engine, o = {}) {
  need('fnl_report_deals');
  const r = init(T.fnl_deal_report_request, 'fnl_deal_report_request_init');
  r.group_by = pick(DEAL_GROUPS, o.groupBy ?? 'none', 'groupBy');
  r.group_attr = str(o.groupAttr, 'groupAttr');
  r.from = timeOr(o.since, 'since', 0);
  r.to = timeOr(o.until, 'until', 0);
  r.as_of = ms(o.asOf, 'asOf');
  r.currency = str(o.currency, 'currency');
  const sp = Object.entries(o.stageProbabilities || {}).map(([stage, p]) => ({ stage: str(stage, 'stage'), probability: num(p, 'probability') }));
  r.stage_probabilities = sp.length ? sp : null;
  r.stage_probability_count = sp.length;
  r.forecast_until = timeOr(o.forecastUntil, 'forecastUntil', 0);
  if (o.benchmarkWinRate !== undefined) r.benchmark_win_rate = num(o.benchmarkWinRate, 'benchmarkWinRate');
  if (o.benchmarkCycleDays !== undefined) r.benchmark_cycle_days = num(o.benchmarkCycleDays, 'benchmarkCycleDays');
  if (o.benchmarkDealSize !== undefined) r.benchmark_deal_size = int(o.benchmarkDealSize, 'benchmarkDealSize');
  return withFx(o.fx, (fx) => { r.fx = fx; return run(engine, fn.fnl_report_deals, r); });
}

function reportCohort(engine, o = {}) {
  need('fnl_report_cohort');
  const r = init(T.fnl_cohort_request, 'fnl_cohort_request_init');
  r.period = pick(PERIODS, o.period ?? 'month', 'period');
  r.from = timeOr(o.since, 'since', 0);
  r.to = timeOr(o.until, 'until', 0);
  const b = (o.boundaries || []).map((x) => ms(x, 'boundary'));
  r.boundaries = b.length ? b : null;
  r.boundary_count = b.length;
  r.as_of = ms(o.asOf, 'asOf');
  const ages = (o.ages || []).map((a) => int(a, 'age', 1));
  r.ages = ages.length ? ages : null;
  r.age_count = ages.length;
  r.currency = str(o.currency, 'currency');
  return withFx(o.fx, (fx) => { r.fx = fx; return run(engine, fn.fnl_report_cohort, r); });
}

function reportTimeToConvert(engine, o = {}) {
  need('fnl_report_time_to_convert');
  const r = init(T.fnl_time_to_convert_request, 'fnl_time_to_convert_request_init');
  r.from = timeOr(o.since, 'since', 0);
  r.to = timeOr(o.until, 'until', 0);
  r.as_of = ms(o.asOf, 'asOf');
  if (o.windowDays !== undefined) r.window_days = num(o.windowDays, 'windowDays');
  if (o.coldThreshold !== undefined) r.cold_threshold = num(o.coldThreshold, 'coldThreshold');
  return run(engine, fn.fnl_report_time_to_convert, r);
}

function reportSpend(engine, o = {}) {
  need('fnl_report_spend');
  const r = init(T.fnl_spend_request, 'fnl_spend_request_init');
  r.group_by = pick(COST_GROUPS, o.groupBy ?? 'channel', 'groupBy');
  r.period = pick(PERIODS, o.period ?? 'month', 'period');
  r.from = timeOr(o.since, 'since', 0);
  r.to = timeOr(o.until, 'until', 0);
  const b = (o.boundaries || []).map((x) => ms(x, 'boundary'));
  r.boundaries = b.length ? b : null;
  r.boundary_count = b.length;
  r.region = str(o.region, 'region');
  r.currency = str(o.currency, 'currency');
  const cs = costs(o.costs);
  r.costs = cs.length ? cs : null;
  r.cost_count = cs.length;
  return withFx(o.fx, (fx) => { r.fx = fx; return run(engine, fn.fnl_report_spend, r); });
}

/** A C attribution over the engine for reportRoi (freed by the caller). */
function attributionHandle(engine, spec, conversion, groupBy) {
  if (spec === undefined || spec === null) return null;
  const { engineOptions, modelCode } = require('./attribution');
  // stage entries: a stage name, or attribute() options with `stage`
  const o = typeof spec === 'object' ? { ...spec }
    : conversion === 'stageEntry' ? { stage: spec } : { model: spec };
  const model = o.model ?? 'linear';
  delete o.model;
  o.conversion ??= conversion;
  o.groupBy ??= groupBy;
  const out = [null];
  engine._check(fn.fnl_engine_attribute(engine._p, engineOptions(o), modelCode(model), out, null));
  return out[0];
}

function reportRoi(engine, o = {}) {
  need('fnl_report_roi');
  const r = init(T.fnl_roi_request, 'fnl_roi_request_init');
  const gb = o.groupBy ?? 'channel';
  r.group_by = pick(COST_GROUPS, gb, 'groupBy');
  r.from = timeOr(o.since, 'since', 0);
  r.to = timeOr(o.until, 'until', 0);
  r.region = str(o.region, 'region');
  r.currency = str(o.currency, 'currency');
  const sc = Object.entries(o.stageCounts || {}).map(([group, c]) => {
    const x = { group: str(group, 'stageCounts group') };
    for (const f of ['leads', 'mqls', 'sqls', 'opportunities', 'customers']) x[f] = c[f] === undefined || c[f] === null ? -1 : num(c[f], f);
    return x;
  });
  r.stage_counts = sc.length ? sc : null;
  r.stage_count_count = sc.length;
  const cs = costs(o.costs);
  r.costs = cs.length ? cs : null;
  r.cost_count = cs.length;
  if (o.benchmarkRevenueToCost !== undefined) r.benchmark_revenue_to_cost = num(o.benchmarkRevenueToCost, 'benchmarkRevenueToCost');
  const gname = typeof gb === 'string' ? gb : ({ 1: 'channel', 2: 'campaign' }[gb] || 'channel');
  const handles = [];
  try {
    const rev = attributionHandle(engine, o.revenue === undefined ? 'linear' : o.revenue, 'dealWon', gname);
    if (rev) handles.push(rev);
    const pipe = attributionHandle(engine, o.pipeline, 'dealCreated', gname);
    if (pipe) handles.push(pipe);
    r.revenue = rev;
    r.pipeline = pipe;
    for (const f of ['leads', 'mqls', 'sqls']) {
      const h = attributionHandle(engine, o[f], 'stageEntry', gname);
      if (h) handles.push(h);
      r[f] = h;
    }
    // attribution over the engine reports minor units: 1 per unit
    if (o.valueScale !== undefined) r.value_scale = num(o.valueScale, 'valueScale');
    else if (handles.length) r.value_scale = 1;
    return withFx(o.fx, (fx) => { r.fx = fx; return run(engine, fn.fnl_report_roi, r); });
  } finally {
    for (const h of handles) fn.fnl_attribution_free(h);
  }
}

// ---- reports without an engine -----------------------------------------

// ---- reports from the stage history (NotFound without a machine) ---------

function bound(v, what) {
  return v === undefined || v === null ? -1 : num(v, what);
}

/** Pairs as {from, to, low?, high?} or [from, to, low?, high?]. */
function stagePairs(list) {
  return Array.from(list || [], (p, i) => {
    const [from, to, low, high] = Array.isArray(p) ? p : [p.from, p.to, p.low, p.high];
    return { from: str(from, `pair ${i}: from`), to: str(to, `pair ${i}: to`),
      low: bound(low, `pair ${i}: low`), high: bound(high, `pair ${i}: high`) };
  });
}

function reportStageFunnel(engine, o = {}) {
  need('fnl_report_stage_funnel');
  const r = init(T.fnl_stage_funnel_request, 'fnl_stage_funnel_request_init');
  r.group_by = pick(STAGE_GROUPS, o.groupBy ?? 'none', 'groupBy');
  r.group_attr = str(o.groupAttr, 'groupAttr');
  r.from = timeOr(o.since, 'since', 0);
  r.to = timeOr(o.until, 'until', 0);
  r.as_of = ms(o.asOf, 'asOf');
  const ps = stagePairs(o.pairs);
  r.pairs = ps.length ? ps : null;
  r.pair_count = ps.length;
  return run(engine, fn.fnl_report_stage_funnel, r);
}

function reportStageCohort(engine, o = {}) {
  need('fnl_report_stage_cohort');
  const r = init(T.fnl_stage_cohort_request, 'fnl_stage_cohort_request_init');
  r.stage = str(o.stage, 'stage');
  r.period = pick(PERIODS, o.period ?? 'month', 'period');
  r.from = timeOr(o.since, 'since', 0);
  r.to = timeOr(o.until, 'until', 0);
  const b = (o.boundaries || []).map((x) => ms(x, 'boundary'));
  r.boundaries = b.length ? b : null;
  r.boundary_count = b.length;
  r.as_of = ms(o.asOf, 'asOf');
  const ages = (o.ages || []).map((a) => int(a, 'age', 1));
  r.ages = ages.length ? ages : null;
  r.age_count = ages.length;
  const ts = Array.from(o.targets || [], (t) => str(t, 'target'));
  r.targets = ts.length ? ts : null;
  r.target_count = ts.length;
  return run(engine, fn.fnl_report_stage_cohort, r);
}

function reportStageTimeToConvert(engine, o = {}) {
  need('fnl_report_stage_time_to_convert');
  const r = init(T.fnl_stage_time_to_convert_request, 'fnl_stage_time_to_convert_request_init');
  r.from_stage = str(o.fromStage, 'fromStage');
  r.to_stage = str(o.toStage, 'toStage');
  r.from = timeOr(o.since, 'since', 0);
  r.to = timeOr(o.until, 'until', 0);
  r.as_of = ms(o.asOf, 'asOf');
  if (o.windowDays !== undefined) r.window_days = num(o.windowDays, 'windowDays');
  if (o.coldThreshold !== undefined) r.cold_threshold = num(o.coldThreshold, 'coldThreshold');
  return run(engine, fn.fnl_report_stage_time_to_convert, r);
}

function reportRejections(engine, o = {}) {
  need('fnl_report_rejections');
  const r = init(T.fnl_rejection_request, 'fnl_rejection_request_init');
  r.group_by = pick(STAGE_GROUPS, o.groupBy ?? 'channel', 'groupBy');
  r.group_attr = str(o.groupAttr, 'groupAttr');
  r.from = timeOr(o.since, 'since', 0);
  r.to = timeOr(o.until, 'until', 0);
  return run(engine, fn.fnl_report_rejections, r);
}

const COUNT_FIELDS = ['leads', 'mqls', 'sqls', 'opportunities', 'customers'];

/** {group: {leads, mqls, sqls, opportunities, customers}} (null: not
 *  counted), the shape reportRoi's stageCounts takes. */
function stageCounts(engine, o = {}) {
  need('fnl_engine_stage_counts');
  const r = init(T.fnl_stage_counts_request, 'fnl_stage_counts_request_init');
  r.group_by = pick(STAGE_GROUPS, o.groupBy ?? 'channel', 'groupBy');
  r.group_attr = str(o.groupAttr, 'groupAttr');
  r.view = pick(STAGE_VIEWS, o.view ?? 'cumulative', 'view');
  r.from = timeOr(o.since, 'since', 0);
  r.to = timeOr(o.until, 'until', 0);
  r.as_of = ms(o.asOf, 'asOf');
  // undefined keeps the library's default; null: not counted
  for (const [k, f] of [['leadStage', 'lead_stage'], ['mqlStage', 'mql_stage'],
    ['sqlStage', 'sql_stage'], ['opportunityStage', 'opportunity_stage'],
    ['customerStage', 'customer_stage']]) {
    if (o[k] !== undefined) r[f] = str(o[k], k);
  }
  const out = [null];
  const n = [0];
  engine._check(fn.fnl_engine_stage_counts(engine._p, r, out, n));
  if (out[0] === null) return {};
  try {
    const arr = koffi.decode(out[0], T.fnl_stage_counts, Number(n[0]));
    return Object.fromEntries(arr.map((c) => [c.group,
      Object.fromEntries(COUNT_FIELDS.map((f) => [f, c[f] < 0 ? null : c[f]]))]));
  } finally {
    fn.fnl_stage_counts_free(out[0]);
  }
}

/** Kaplan-Meier from days (>= 0) and converted flags. */
function survivalKm(days, converted, o = {}) {
  need('fnl_survival_km');
  if (days.length !== converted.length) throw invalid('days and converted must have the same length');
  const r = init(T.fnl_survival_request, 'fnl_survival_request_init');
  r.days = days.length ? days.map((d) => num(d, 'days')) : null;
  r.converted = converted.length ? converted.map((c) => (c ? 1 : 0)) : null;
  r.n = days.length;
  if (o.windowDays !== undefined) r.window_days = num(o.windowDays, 'windowDays');
  if (o.coldThreshold !== undefined) r.cold_threshold = num(o.coldThreshold, 'coldThreshold');
  return run(null, fn.fnl_survival_km, r);
}

/** Split `total` minor units across lines ({name, weight, min, cap} or
 *  [name, weight, min?, cap?]) and phase each (default 4 quarters). */
function budgetAllocate(total, lines, o = {}) {
  need('fnl_budget_allocate');
  const ls = Array.from(lines, (l) => {
    const [name, weight, min, cap] = Array.isArray(l) ? l : [l.name, l.weight, l.min, l.cap];
    return { name: str(name, 'line name'), weight: num(weight ?? 0, 'weight'),
      min: int(min ?? 0, 'min', 0), cap: cap === undefined || cap === null ? -1 : int(cap, 'cap') };
  });
  const r = init(T.fnl_budget_request, 'fnl_budget_request_init');
  r.total = int(total, 'total', 0);
  r.currency = str(o.currency, 'currency');
  r.lines = ls.length ? ls : null;
  r.line_count = ls.length;
  r.phases = int(o.phases ?? 0, 'phases', 0);
  if (o.phaseWeights) r.phase_weights = o.phaseWeights.map((w) => num(w, 'phase weight'));
  return run(null, fn.fnl_budget_allocate, r);
}

module.exports = { Report, FX, currencyDigits, reportDeals, reportCohort,
  reportTimeToConvert, reportSpend, reportRoi, survivalKm, budgetAllocate,
  reportStageFunnel, reportStageCohort, reportStageTimeToConvert,
  reportRejections, stageCounts };
