'use strict';
// Multi-touch attribution over journeys (src/attribution_api.h, moving
// into funnelcore.h).  Journeys come from a ChannelAttribution paths CSV or
// are built by the caller; results are plain objects.

const { fn, T, init, has } = require('./native');
const { makeError, CODES } = require('./errors');
const { invalid, str, ms, int } = require('./engine');

function need() {
  if (!has('fnl_attribution_run')) {
    throw makeError(CODES.FNL_EUNSUPPORTED, 'unsupported: this libfunnelcore has no attribution API');
  }
}

function check(rc, what) {
  if (rc !== 0) throw makeError(rc, `${fn.fnl_strerror(rc)}: ${what}`);
}

/** Model name -> code, as the library names them. */
const MODELS = {};
if (has('fnl_attr_model_name')) {
  for (let c = 1; c < 32; c++) {
    const n = fn.fnl_attr_model_name(c);
    if (n) MODELS[n] = c;
  }
}

function modelCode(model) {
  need();
  if (typeof model === 'number') return model;
  const out = [0];
  if (fn.fnl_attr_model_parse(str(model, 'model'), out) !== 0) {
    throw invalid(`unknown attribution model '${model}' (one of ${Object.keys(MODELS).join(', ')})`);
  }
  return out[0];
}

function options(o = {}, models) {
  need();
  const x = init(T.fnl_attribution_options, 'fnl_attribution_options_init');
  if (models) x.models = models.reduce((b, m) => (b | (1 << modelCode(m))) >>> 0, 0);
  if (o.markovOrder !== undefined) x.markov_order = int(o.markovOrder, 'markovOrder', 0);
  if (o.shapleyValue !== undefined) {
    x.shapley_value = { rate: 0, conversions: 1 }[o.shapleyValue] ?? -1;
    if (x.shapley_value < 0) throw invalid("shapleyValue must be 'rate' or 'conversions'");
  }
  if (o.halfLifeMs !== undefined) x.half_life_ms = int(o.halfLifeMs, 'halfLifeMs');
  if (o.directGroup !== undefined) x.direct_group = o.directGroup === null ? '' : str(o.directGroup, 'directGroup');
  if (o.custom !== undefined) [x.custom_first, x.custom_middle, x.custom_last] = o.custom;
  if (o.valueDecimals !== undefined) x.value_decimals = int(o.valueDecimals, 'valueDecimals', 0);
  return x;
}

class Journeys {
  /** An empty set; values are integers reported / 10^valueDecimals. */
  constructor(valueDecimals = 0, ptr = null) {
    need();
    if (ptr === null) {
      const out = [null];
      check(fn.fnl_journeys_new(out, int(valueDecimals, 'valueDecimals', 0), null), 'journeys_new');
      ptr = out[0];
    }
    this._ptr = ptr;
  }

  static _pathsOpts(o) {
    const x = init(T.fnl_paths_options, 'fnl_paths_options_init');
    if (o.valueDecimals !== undefined) x.value_decimals = int(o.valueDecimals, 'valueDecimals', 0);
    if (o.separator !== undefined) {
      if (typeof o.separator !== 'string' || o.separator.length !== 1) throw invalid('separator must be one character');
      x.separator = o.separator.charCodeAt(0);
    }
    return x;
  }

  static _fail(rc, err) {
    const where = err.line && !String(err.message).startsWith('line ') ? `line ${err.line}, column ${err.column}: ` : '';
    const e = makeError(rc, `${fn.fnl_strerror(rc)}: ${where}${err.message}`);
    e.line = err.line;
    e.column = err.column;
    return e;
  }

  /** Read a ChannelAttribution paths CSV (path, total_conversions, ...). */
  static readPaths(file, opts = {}) {
    need();
    const err = { size: 0 };
    err.size = require('koffi').sizeof(T.fnl_paths_error);
    const out = [null];
    const rc = fn.fnl_paths_read(out, str(file, 'file'), Journeys._pathsOpts(opts), err);
    if (rc !== 0) throw Journeys._fail(rc, err);
    return new Journeys(opts.valueDecimals ?? 2, out[0]);
  }

  /** The same from CSV text (string or Buffer). */
  static parsePaths(text, opts = {}) {
    need();
    const buf = Buffer.isBuffer(text) ? text : Buffer.from(String(text), 'utf8');
    const err = { size: require('koffi').sizeof(T.fnl_paths_error) };
    const out = [null];
    const rc = fn.fnl_paths_parse(out, buf, buf.length, Journeys._pathsOpts(opts), err);
    if (rc !== 0) throw Journeys._fail(rc, err);
    return new Journeys(opts.valueDecimals ?? 2, out[0]);
  }

  get _p() {
    if (this._ptr === null) throw invalid('journeys are closed');
    return this._ptr;
  }

  /** Append one journey: {groups, conversions, nulls, value, times,
   *  conversionTime, leadIndex, opportunityIndex, closeIndex}. */
  add(j) {
    const x = init(T.fnl_journey, 'fnl_journey_init');
    if (!Array.isArray(j.groups)) throw invalid('groups: expected an array of group keys');
    x.groups = j.groups.map((g) => str(g, 'group'));
    x.touch_count = x.groups.length;
    if (x.touch_count === 0) x.groups = null;
    if (j.times) {
      if (j.times.length !== j.groups.length) throw invalid('times: one per group key expected');
      x.times = j.times.map((t) => ms(t, 'times'));
    }
    x.conversions = int(j.conversions ?? 0, 'conversions', 0);
    x.nulls = int(j.nulls ?? 0, 'nulls', 0);
    x.value = int(j.value ?? 0, 'value');
    if (j.conversionTime !== undefined) x.conversion_time = ms(j.conversionTime, 'conversionTime');
    if (j.leadIndex !== undefined) x.lead_index = j.leadIndex;
    if (j.opportunityIndex !== undefined) x.opportunity_index = j.opportunityIndex;
    if (j.closeIndex !== undefined) x.close_index = j.closeIndex;
    check(fn.fnl_journeys_add(this._p, x), 'journey rejected (empty or over-long group key, bad index or times, value without conversions)');
  }

  /** add() for each journey of an iterable; errors name the journey. */
  extend(journeys) {
    let i = 0;
    for (const j of journeys) {
      try {
        this.add(j);
      } catch (e) {
        if (e.detail !== undefined) throw makeError(e.code, `journey ${i}: ${e.detail}`);
        throw e;
      }
      i++;
    }
  }

  get length() {
    return Number(fn.fnl_journeys_count(this._p));
  }

  get groupCount() {
    return Number(fn.fnl_journeys_group_count(this._p));
  }

  close() {
    const p = this._ptr;
    this._ptr = null;
    if (p !== null) fn.fnl_journeys_free(p);
  }
}

function result(ptr) {
  try {
    const info = init(T.fnl_attribution_info, 'fnl_attribution_info_init');
    check(fn.fnl_attribution_get_info(ptr, info), 'get_info');
    const rows = [];
    const n = Number(fn.fnl_attribution_row_count(ptr));
    for (let i = 0; i < n; i++) {
      const r = init(T.fnl_attribution_row, 'fnl_attribution_row_init');
      check(fn.fnl_attribution_row_get(ptr, i, r), 'row_get');
      let positions = [];
      if (info.positions) {
        const buf = new Array(info.positions).fill(0);
        const cnt = [0];
        check(fn.fnl_attribution_positions(ptr, i, buf, buf.length, cnt), 'positions');
        positions = buf.slice(0, cnt[0]);
      }
      rows.push({ key: r.key, conversions: r.conversions, value: r.value,
        touches: r.touches, removalEffect: r.removal_effect,
        valueRemovalEffect: r.value_removal_effect, positions });
    }
    return {
      model: fn.fnl_attr_model_name(info.model) ?? String(info.model), rows,
      totalConversions: info.total_conversions, totalValue: info.total_value,
      totalNulls: info.total_nulls, journeys: info.journeys,
      touches: info.touches, valueDecimals: info.value_decimals,
      markovOrder: info.markov_order,
      markovConversionProbability: info.markov_conversion_probability,
      markovStates: info.markov_states, directGroup: info.direct_group ?? '',
      halfLifeMs: info.half_life_ms,
    };
  } finally {
    fn.fnl_attribution_free(ptr);
  }
}

/**
 * Run one model ('first', 'last', 'linear', 'u_shaped', 'markov',
 * 'shapley', ...) over a Journeys or an array of journey objects.
 */
function attribute(journeys, model = 'linear', opts = {}) {
  const owned = !(journeys instanceof Journeys);
  const j = owned ? new Journeys(0) : journeys;
  try {
    if (owned) j.extend(journeys);
    const code = modelCode(model);
    const out = [null];
    check(fn.fnl_attribution_run(out, j._p, code, options(opts)),
      `attribution model '${model}' failed (bad options, time decay without times, or no convergence)`);
    return result(out[0]);
  } finally {
    if (owned) j.close();
  }
}

class AttributionPartial {
  /** Mergeable partial for `models` (names); opts as for attribute() plus
   *  valueDecimals. */
  constructor(models, opts = {}) {
    const out = [null];
    check(fn.fnl_attribution_partial_new(out, options(opts, models)), 'attribution_partial_new: bad options');
    this._ptr = out[0];
  }

  get _p() {
    if (this._ptr === null) throw invalid('partial is closed');
    return this._ptr;
  }

  add(journeys, first = 0, count = undefined) {
    const n = count ?? journeys.length - first;
    check(fn.fnl_attribution_partial_add(this._p, journeys._p, first, n), 'attribution_partial_add: bad range or value decimals differ');
  }

  /** Accumulate every row of a paths CSV file straight into this
   *  partial (values keep the partial's valueDecimals); all or nothing. */
  readPaths(file, opts = {}) {
    if (!has('fnl_paths_read_partial')) throw makeError(CODES.FNL_EUNSUPPORTED, 'unsupported: no paths_read_partial');
    const err = { size: require('koffi').sizeof(T.fnl_paths_error) };
    const rc = fn.fnl_paths_read_partial(this._p, str(file, 'file'), Journeys._pathsOpts({ separator: opts.separator }), err);
    if (rc !== 0) throw Journeys._fail(rc, err);
  }

  /** readPaths() from CSV text (string or Buffer). */
  parsePaths(text, opts = {}) {
    if (!has('fnl_paths_parse_partial')) throw makeError(CODES.FNL_EUNSUPPORTED, 'unsupported: no paths_parse_partial');
    const buf = Buffer.isBuffer(text) ? text : Buffer.from(String(text), 'utf8');
    const err = { size: require('koffi').sizeof(T.fnl_paths_error) };
    const rc = fn.fnl_paths_parse_partial(this._p, buf, buf.length, Journeys._pathsOpts({ separator: opts.separator }), err);
    if (rc !== 0) throw Journeys._fail(rc, err);
  }

  merge(other) {
    check(fn.fnl_attribution_partial_merge(this._p, other._p), 'attribution_partial_merge: options differ');
  }

  finish(model) {
    const out = [null];
    check(fn.fnl_attribution_partial_finish(this._p, modelCode(model), out), `model '${model}' was not accumulated or did not converge`);
    return result(out[0]);
  }

  /** The partial as bytes (versioned, checksummed, portable). */
  save() {
    if (!has('fnl_attribution_partial_save')) throw makeError(CODES.FNL_EUNSUPPORTED, 'unsupported: no partial_save');
    const cap = Number(fn.fnl_attribution_partial_save_bound(this._p));
    const buf = Buffer.alloc(Math.max(cap, 1));
    const n = [0];
    check(fn.fnl_attribution_partial_save(this._p, buf, cap, n), 'partial_save');
    return buf.subarray(0, Number(n[0]));
  }

  /** A partial from bytes written by save(). */
  static load(bytes) {
    if (!has('fnl_attribution_partial_load')) throw makeError(CODES.FNL_EUNSUPPORTED, 'unsupported: no partial_load');
    const buf = Buffer.from(bytes);
    const out = [null];
    check(fn.fnl_attribution_partial_load(out, buf, buf.length, null), 'not a partial, truncated, damaged or from a newer version');
    const p = Object.create(AttributionPartial.prototype);
    p._ptr = out[0];
    return p;
  }

  close() {
    const p = this._ptr;
    this._ptr = null;
    if (p !== null) fn.fnl_attribution_partial_free(p);
  }
}

const CONVERSIONS = { deal_won: 1, dealWon: 1, deal_created: 2, dealCreated: 2, stage_entry: 3, stageEntry: 3 };
const SCOPES = { account: 0, contact: 1 };
const GROUP_BY = { channel: 0, campaign: 1, content: 2, utmSource: 3, utmMedium: 4,
  utmCampaign: 5, type: 6, channelCampaign: 7, contactAttr: 8, accountAttr: 9, owner: 10 };
const NONCONV = { lostDeals: 1, noDeal: 2, notEntered: 4 };

function pick(table, v, what) {
  if (typeof v === 'number') return v;
  if (!(v in table)) throw invalid(`${what} must be one of ${Object.keys(table).join(', ')}`);
  return table[v];
}

function engineOptions(o = {}) {
  if (!has('fnl_engine_attribute')) throw makeError(CODES.FNL_EUNSUPPORTED, 'unsupported: this libfunnelcore has no attribution over the engine');
  const x = init(T.fnl_engine_attribution_options, 'fnl_engine_attribution_options_init');
  if (o.conversion !== undefined) x.conversion = pick(CONVERSIONS, o.conversion, 'conversion');
  if (o.scope !== undefined) x.scope = pick(SCOPES, o.scope, 'scope');
  if (o.groupBy !== undefined) x.group_by = pick(GROUP_BY, o.groupBy, 'groupBy');
  x.group_attr = str(o.groupAttr, 'groupAttr');
  if (o.lookbackMs !== undefined) x.lookback_ms = int(o.lookbackMs, 'lookbackMs');
  const ex = (o.excludeTypes || []).map((t) => str(t, 'excludeTypes'));
  x.exclude_types = ex.length ? ex : null;
  x.exclude_type_count = ex.length;
  const lt = (o.leadTypes || []).map((t) => str(t, 'leadTypes'));
  x.lead_types = lt.length ? lt : null;
  x.lead_type_count = lt.length;
  x.nonconverting = [].concat(o.nonconverting || []).reduce((b, n) => b | pick(NONCONV, n, 'nonconverting'), 0);
  x.currency = str(o.currency, 'currency');
  if (o.since !== undefined) x.from = ms(o.since, 'since');
  if (o.until !== undefined) x.until = ms(o.until, 'until');
  x.unattributed_key = str(o.unattributedKey, 'unattributedKey');
  x.stage = str(o.stage, 'stage');
  x.attribution = options(o);
  return x;
}

function journeyStats(st) {
  return { currency: st.currency, conversions: st.conversions, nonconverting: st.nonconverting,
    touches: st.touches, untouched: st.untouched, untouchedValue: st.untouched_value,
    otherCurrency: st.other_currency };
}

/** engine.attribute(model, opts): attribution over the engine's own data. */
function engineAttribute(engine, model = 'linear', opts = {}) {
  const code = modelCode(model);
  const x = engineOptions(opts);
  const st = init(T.fnl_engine_attribution_stats, 'fnl_engine_attribution_stats_init');
  const out = [null];
  engine._check(fn.fnl_engine_attribute(engine._p, x, code, out, st));
  const r = result(out[0]);
  r.journeysStats = journeyStats(st);
  return r;
}

/** engine.journeys(opts): {journeys, stats}. */
function engineJourneys(engine, opts = {}) {
  const x = engineOptions(opts);
  const st = init(T.fnl_engine_attribution_stats, 'fnl_engine_attribution_stats_init');
  const out = [null];
  engine._check(fn.fnl_engine_journeys(engine._p, x, out, st));
  return { journeys: new Journeys(0, out[0]), stats: journeyStats(st) };
}

/** engine.attributionPartial(models, opts): {partial, stats}. */
function engineAttributionPartial(engine, models, opts = {}) {
  if (!has('fnl_engine_attribution_partial')) throw makeError(CODES.FNL_EUNSUPPORTED, 'unsupported: no engine partials');
  const x = engineOptions(opts);
  x.attribution = options(opts, models);
  const st = init(T.fnl_engine_attribution_stats, 'fnl_engine_attribution_stats_init');
  const out = [null];
  engine._check(fn.fnl_engine_attribution_partial(engine._p, x, out, st));
  const p = Object.create(AttributionPartial.prototype);
  p._ptr = out[0];
  return { partial: p, stats: journeyStats(st) };
}

for (const C of [Journeys, AttributionPartial]) {
  if (typeof Symbol.dispose === 'symbol') C.prototype[Symbol.dispose] = function dispose() { this.close(); };
}

module.exports = { MODELS, Journeys, attribute, AttributionPartial, engineAttribute, engineJourneys,
  engineAttributionPartial, engineOptions, modelCode };
