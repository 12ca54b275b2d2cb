'use strict';
// Low-level koffi mirror of include/funnelcore.h: loading, struct types,
// callback prototypes and function declarations.  Private: the idiomatic
// API is in engine.js, attribution.js and storage.js.
//
// Adding a function: declare its structs below in header order (size-first
// structs begin with `size: 'uint32_t'`; fields are only ever appended) and
// add its prototype to PROTOTYPES (OPTIONAL if older libraries may lack
// it).  test/layout.test.js compares every struct with the C compiler's
// sizeof/offsetof.

const fs = require('node:fs');
const path = require('node:path');
const koffi = require('koffi');

const LIB_MAJOR = 0;
const TIME_NOW = -9223372036854775808n; // FNL_TIME_NOW (INT64_MIN)
const ROLE_KEEP = 255;

const NAMES = ['libfunnelcore.so.0', 'libfunnelcore.so', 'libfunnelcore.dylib',
  'funnelcore.dll'];

/** Where the library is looked for, in order. */
function candidates() {
  const env = process.env.FUNNELCORE_LIB;
  if (env) {
    let isDir = false;
    try { isDir = fs.statSync(env).isDirectory(); } catch { /* a name */ }
    return isDir ? NAMES.map((n) => path.join(env, n)) : [env];
  }
  const out = [];
  const build = path.resolve(__dirname, '..', '..', '..', 'build', 'src');
  for (const n of NAMES) {
    const p = path.join(build, n);
    if (fs.existsSync(p)) out.push(p);
  }
  out.push('libfunnelcore.so.0', 'libfunnelcore.so');
  return out;
}

function load() {
  const errors = [];
  for (const p of candidates()) {
    try {
      return { lib: koffi.load(p), path: p };
    } catch (e) {
      errors.push(`${p}: ${e.message}`);
    }
  }
  throw new Error('funnelcore: cannot load the shared library (set ' +
    'FUNNELCORE_LIB to the path of libfunnelcore.so); tried:\n  ' +
    errors.join('\n  '));
}

const { lib, path: libPath } = load();

// ---- types ---------------------------------------------------------------

const S = 'const char *';
const T = {};
T.engine = koffi.opaque('fnl_engine');
T.journeys = koffi.opaque('fnl_journeys');
T.attribution = koffi.opaque('fnl_attribution');
T.partial = koffi.opaque('fnl_attribution_partial');

T.fnl_allocator = koffi.struct('fnl_allocator', {
  version: 'uint32_t', ctx: 'void *', malloc: 'void *', realloc: 'void *',
  free: 'void *',
});
T.now_fn = koffi.proto('int64_t fnl_now_fn(void *ctx)');
T.fnl_clock = koffi.struct('fnl_clock', {
  version: 'uint32_t', ctx: 'void *', now: 'fnl_now_fn *',
});
T.fnl_event = koffi.struct('fnl_event', {
  size: 'uint32_t', kind: 'uint32_t', time: 'int64_t', contact: 'uint64_t',
  other: 'uint64_t', account: 'uint64_t', name: S, model: S,
});
T.event_fn = koffi.proto('void fnl_event_fn(void *ctx, const fnl_event *ev)');
T.fnl_listener = koffi.struct('fnl_listener', {
  version: 'uint32_t', ctx: 'void *', on_event: 'fnl_event_fn *',
});
T.fnl_storage = koffi.struct('fnl_storage', {
  version: 'uint32_t', ctx: 'void *', append: 'void *', sync: 'void *',
  replay: 'void *', snapshot_begin: 'void *', snapshot_write: 'void *',
  snapshot_commit: 'void *', snapshot_abort: 'void *',
  snapshot_open: 'void *', snapshot_read: 'void *', snapshot_close: 'void *',
  truncate: 'void *', close: 'void *',
});
T.fnl_storage_file_options = koffi.struct('fnl_storage_file_options', {
  size: 'uint32_t', sync_policy: 'uint32_t', allocator: 'void *',
  sync_every_records: 'uint32_t', sync_every_ms: 'uint32_t', clock: 'void *',
  create_if_missing: 'uint32_t', recovery: 'uint32_t', errbuf: 'void *',
  errbuf_size: 'size_t',
});
T.fnl_storage_file_info = koffi.struct('fnl_storage_file_info', {
  size: 'uint32_t', dropped_bytes: 'uint64_t', dropped_records: 'uint64_t',
  dropped_offset: 'uint64_t', records: 'uint64_t', first_seq: 'uint64_t',
  last_seq: 'uint64_t', journal_bytes: 'uint64_t', snapshot_seq: 'uint64_t',
  has_snapshot: 'uint32_t', failed: 'uint32_t', syncs: 'uint64_t',
});
T.fnl_channel_rule = koffi.struct('fnl_channel_rule', {
  field: 'uint32_t', pattern: S, channel: S,
});
T.fnl_engine_config = koffi.struct('fnl_engine_config', {
  size: 'uint32_t', precedence: 'uint32_t', allocator: 'void *',
  clock: 'const fnl_clock *', listener: 'const fnl_listener *',
  source_priority: 'const char **', source_priority_count: 'size_t',
  freemail_domains: 'const char **', freemail_domain_count: 'size_t',
  default_country_code: S, channel_rules: 'const fnl_channel_rule *',
  channel_rule_count: 'size_t', storage: 'void *', errbuf: 'void *',
  errbuf_size: 'size_t', snapshot_compression: 'uint32_t',
});
const STATS = ['contacts', 'merges', 'accounts', 'touches', 'deals', 'costs',
  'identity_keys', 'strings', 'string_bytes', 'memory_bytes', 'memory_peak',
  'forgotten', 'journal_seq'];
T.fnl_stats = koffi.struct('fnl_stats', Object.fromEntries(
  [['size', 'uint32_t'], ...STATS.map((n) => [n, 'uint64_t'])]));
T.fnl_key = koffi.struct('fnl_key', { kind: S, value: S });
T.fnl_attr = koffi.struct('fnl_attr', {
  name: S, type: 'uint32_t', str: S, num: 'double',
});
T.fnl_contact_update = koffi.struct('fnl_contact_update', {
  size: 'uint32_t', keys: 'const fnl_key *', key_count: 'size_t',
  contact: 'uint64_t', attrs: 'const fnl_attr *', attr_count: 'size_t',
  tags_add: 'const char **', tags_add_count: 'size_t',
  tags_remove: 'const char **', tags_remove_count: 'size_t', owner: S,
  account: S, role: 'uint32_t', source: S, time: 'int64_t',
});
T.fnl_contact_info = koffi.struct('fnl_contact_info', {
  size: 'uint32_t', id: 'uint64_t', account: 'uint64_t', owner: S,
  role: 'uint32_t', key_count: 'uint32_t', attr_count: 'uint32_t',
  tag_count: 'uint32_t', touch_count: 'uint64_t', created: 'int64_t',
  first_touch: 'int64_t', last_touch: 'int64_t',
});
T.fnl_account_update = koffi.struct('fnl_account_update', {
  size: 'uint32_t', id: S, domains: 'const char **', domain_count: 'size_t',
  attrs: 'const fnl_attr *', attr_count: 'size_t', owner: S, source: S,
  time: 'int64_t',
});
T.fnl_account_info = koffi.struct('fnl_account_info', {
  size: 'uint32_t', id: 'uint64_t', name: S, owner: S,
  domain_count: 'uint32_t', attr_count: 'uint32_t',
  contact_count: 'uint64_t', created: 'int64_t',
});
const TOUCH_STR = ['type', 'channel', 'campaign', 'content', 'url',
  'referrer', 'utm_source', 'utm_medium', 'utm_campaign', 'utm_term',
  'utm_content', 'account'];
T.fnl_touch = koffi.struct('fnl_touch', Object.fromEntries([
  ['size', 'uint32_t'], ['time', 'int64_t'], ['keys', 'const fnl_key *'],
  ['key_count', 'size_t'], ['contact', 'uint64_t'],
  ...TOUCH_STR.map((n) => [n, S]), ['value', 'int64_t'], ['by', S]]));
const TOUCH_INFO_STR = ['type', 'channel', 'campaign', 'content',
  'utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content'];
T.fnl_touch_info = koffi.struct('fnl_touch_info', Object.fromEntries([
  ['size', 'uint32_t'], ['time', 'int64_t'], ['contact', 'uint64_t'],
  ...TOUCH_INFO_STR.map((n) => [n, S]), ['value', 'int64_t'], ['by', S]]));
T.fnl_deal_contact = koffi.struct('fnl_deal_contact', {
  contact: 'uint64_t', key: 'fnl_key', role: 'uint32_t',
});
T.fnl_deal_update = koffi.struct('fnl_deal_update', {
  size: 'uint32_t', id: S, account: S, contacts: 'const fnl_deal_contact *',
  contact_count: 'size_t', amount: 'int64_t', currency: S,
  created: 'int64_t', closed: 'int64_t', status: 'uint32_t', stage: S,
  owner: S, attrs: 'const fnl_attr *', attr_count: 'size_t',
});
T.fnl_deal_info = koffi.struct('fnl_deal_info', {
  size: 'uint32_t', id: 'uint64_t', name: S, account: 'uint64_t',
  amount: 'int64_t', currency: 'char[4]', created: 'int64_t',
  closed: 'int64_t', status: 'uint32_t', stage: S, owner: S,
  contact_count: 'uint32_t', attr_count: 'uint32_t',
});
T.fnl_owner_update = koffi.struct('fnl_owner_update', {
  size: 'uint32_t', name: S, attrs: 'const fnl_attr *', attr_count: 'size_t',
  source: S, time: 'int64_t',
});
T.fnl_owner_info = koffi.struct('fnl_owner_info', {
  size: 'uint32_t', name: S, attr_count: 'uint32_t', created: 'int64_t',
});
T.fnl_cost = koffi.struct('fnl_cost', {
  size: 'uint32_t', channel: S, campaign: S, region: S, start: 'int64_t',
  end: 'int64_t', amount: 'int64_t', currency: S,
});
// attribution (src/attribution_api.h, moving into funnelcore.h)
T.fnl_attribution_options = koffi.struct('fnl_attribution_options', {
  size: 'uint32_t', models: 'uint32_t', markov_order: 'uint32_t',
  shapley_value: 'uint32_t', half_life_ms: 'int64_t', direct_group: S,
  custom_first: 'double', custom_middle: 'double', custom_last: 'double',
  value_decimals: 'uint32_t', allocator: 'void *',
});
T.fnl_journey = koffi.struct('fnl_journey', {
  size: 'uint32_t', groups: 'const char **', times: 'const int64_t *',
  touch_count: 'size_t', conversions: 'uint64_t', nulls: 'uint64_t',
  value: 'int64_t', conversion_time: 'int64_t', lead_index: 'int32_t',
  opportunity_index: 'int32_t', close_index: 'int32_t',
});
T.fnl_paths_options = koffi.struct('fnl_paths_options', {
  size: 'uint32_t', value_decimals: 'uint32_t', separator: 'char',
  allocator: 'void *',
});
T.fnl_paths_error = koffi.struct('fnl_paths_error', {
  size: 'uint32_t', line: 'uint64_t', column: 'uint64_t',
  message: 'char[160]',
});
T.fnl_attribution_info = koffi.struct('fnl_attribution_info', {
  size: 'uint32_t', model: 'uint32_t', markov_order: 'uint32_t',
  shapley_value: 'uint32_t', half_life_ms: 'int64_t', direct_group: S,
  custom_first: 'double', custom_middle: 'double', custom_last: 'double',
  value_decimals: 'uint32_t', row_count: 'uint64_t', journeys: 'uint64_t',
  touches: 'uint64_t', total_conversions: 'double', total_value: 'double',
  total_nulls: 'double', markov_conversion_probability: 'double',
  markov_states: 'uint64_t', positions: 'uint32_t',
});
T.fnl_attribution_row = koffi.struct('fnl_attribution_row', {
  size: 'uint32_t', key: S, conversions: 'double', value: 'double',
  touches: 'uint64_t', removal_effect: 'double',
  value_removal_effect: 'double',
});

// attribution over the engine, serialised partials
T.fnl_engine_attribution_options = koffi.struct('fnl_engine_attribution_options', {
  size: 'uint32_t', conversion: 'uint32_t', scope: 'uint32_t',
  group_by: 'uint32_t', group_attr: S, lookback_ms: 'int64_t',
  exclude_types: 'const char **', exclude_type_count: 'size_t',
  lead_types: 'const char **', lead_type_count: 'size_t',
  nonconverting: 'uint32_t', currency: S, from: 'int64_t', until: 'int64_t',
  unattributed_key: S, attribution: 'const fnl_attribution_options *',
  stage: S,
});
T.fnl_engine_attribution_stats = koffi.struct('fnl_engine_attribution_stats', {
  size: 'uint32_t', currency: 'char[4]', conversions: 'uint64_t',
  nonconverting: 'uint64_t', touches: 'uint64_t', untouched: 'uint64_t',
  untouched_value: 'int64_t', other_currency: 'uint64_t',
});

// lead scoring; scoring models attached to an engine
T.model = koffi.opaque('fnl_model');
T.report = koffi.opaque('fnl_report');
T.fx = koffi.opaque('fnl_fx');
T.progress_fn = koffi.proto('int fnl_progress_fn(void *ctx, uint64_t done, uint64_t total)');
T.fnl_progress = koffi.struct('fnl_progress', {
  version: 'uint32_t', ctx: 'void *', report: 'fnl_progress_fn *',
});
T.fnl_parse_error = koffi.struct('fnl_parse_error', {
  size: 'uint32_t', line: 'uint32_t', column: 'uint32_t', message: 'char[256]',
});
T.fnl_model_info = koffi.struct('fnl_model_info', {
  size: 'uint32_t', name: S, version: 'uint32_t', half_life: 'int64_t',
  fit_rules: 'uint32_t', engage_rules: 'uint32_t', key_events: 'uint32_t',
  thresholds: 'uint32_t', fingerprint: 'uint64_t',
});
T.fnl_score_result = koffi.struct('fnl_score_result', {
  size: 'uint32_t', time: 'int64_t', fit: 'double', engagement: 'double',
  total: 'double', grade: 'char[4]', band: 'uint32_t', cell: 'char[4]',
  key_events: 'uint64_t', firings: 'uint32_t', thresholds: 'uint64_t',
});
T.fnl_score_row = koffi.struct('fnl_score_row', {
  kind: 'uint32_t', index: 'uint32_t', rule: S, points: 'double',
  matched: 'uint64_t', counted: 'uint64_t', raw: 'double', value: 'double',
});
T.fnl_key_event_fire = koffi.struct('fnl_key_event_fire', {
  event: 'uint32_t', name: S, time: 'int64_t',
});
T.fnl_account_score = koffi.struct('fnl_account_score', {
  size: 'uint32_t', score: 'double', contacts: 'uint32_t',
  engaged: 'uint32_t', roles_engaged: 'uint32_t', roles_required: 'uint32_t',
  roles_covered: 'uint32_t', coverage: 'double',
});
// ROI and funnel reports
T.fnl_report_info = koffi.struct('fnl_report_info', {
  size: 'uint32_t', kind: 'uint32_t', name: S, currency: 'char[4]',
  row_count: 'uint64_t', column_count: 'uint32_t', summary_count: 'uint32_t',
  has_totals: 'uint32_t',
});
T.fnl_report_column = koffi.struct('fnl_report_column', {
  size: 'uint32_t', name: S, type: 'uint32_t', unit: 'uint32_t',
});
T.fnl_report_value = koffi.struct('fnl_report_value', {
  size: 'uint32_t', type: 'uint32_t', i: 'int64_t', num: 'double', str: S,
});
T.fnl_stage_counts = koffi.struct('fnl_stage_counts', {
  group: S, leads: 'double', mqls: 'double', sqls: 'double',
  opportunities: 'double', customers: 'double',
});
T.fnl_roi_request = koffi.struct('fnl_roi_request', {
  size: 'uint32_t', group_by: 'uint32_t', from: 'int64_t', to: 'int64_t',
  region: S, currency: S, fx: 'fnl_fx *', revenue: 'fnl_attribution *',
  pipeline: 'fnl_attribution *', value_scale: 'double',
  stage_counts: 'const fnl_stage_counts *', stage_count_count: 'size_t',
  costs: 'const fnl_cost *', cost_count: 'size_t',
  benchmark_revenue_to_cost: 'double', allocator: 'void *',
  leads: 'fnl_attribution *', mqls: 'fnl_attribution *',
  sqls: 'fnl_attribution *',
});
T.fnl_spend_request = koffi.struct('fnl_spend_request', {
  size: 'uint32_t', group_by: 'uint32_t', period: 'uint32_t', from: 'int64_t',
  to: 'int64_t', boundaries: 'const int64_t *', boundary_count: 'size_t',
  region: S, currency: S, fx: 'fnl_fx *', costs: 'const fnl_cost *',
  cost_count: 'size_t', allocator: 'void *',
});
T.fnl_stage_probability = koffi.struct('fnl_stage_probability', {
  stage: S, probability: 'double',
});
T.fnl_deal_report_request = koffi.struct('fnl_deal_report_request', {
  size: 'uint32_t', group_by: 'uint32_t', group_attr: S, from: 'int64_t',
  to: 'int64_t', as_of: 'int64_t', currency: S, fx: 'fnl_fx *',
  stage_probabilities: 'const fnl_stage_probability *',
  stage_probability_count: 'size_t', forecast_until: 'int64_t',
  benchmark_win_rate: 'double', benchmark_cycle_days: 'double',
  benchmark_deal_size: 'int64_t', allocator: 'void *',
});
T.fnl_cohort_request = koffi.struct('fnl_cohort_request', {
  size: 'uint32_t', period: 'uint32_t', from: 'int64_t', to: 'int64_t',
  boundaries: 'const int64_t *', boundary_count: 'size_t', as_of: 'int64_t',
  ages: 'const uint32_t *', age_count: 'size_t', currency: S, fx: 'fnl_fx *',
  allocator: 'void *',
});
T.fnl_survival_request = koffi.struct('fnl_survival_request', {
  size: 'uint32_t', days: 'const double *', converted: 'const uint8_t *',
  n: 'size_t', window_days: 'double', cold_threshold: 'double',
  allocator: 'void *',
});
T.fnl_time_to_convert_request = koffi.struct('fnl_time_to_convert_request', {
  size: 'uint32_t', from: 'int64_t', to: 'int64_t', as_of: 'int64_t',
  window_days: 'double', cold_threshold: 'double', allocator: 'void *',
});
T.fnl_budget_line = koffi.struct('fnl_budget_line', {
  name: S, weight: 'double', min: 'int64_t', cap: 'int64_t',
});
T.fnl_budget_request = koffi.struct('fnl_budget_request', {
  size: 'uint32_t', total: 'int64_t', currency: S,
  lines: 'const fnl_budget_line *', line_count: 'size_t', phases: 'uint32_t',
  phase_weights: 'const double *', allocator: 'void *',
});

// lifecycle stage machines attached to an engine
T.machine = koffi.opaque('fnl_machine');
T.fnl_stage_status = koffi.struct('fnl_stage_status', {
  size: 'uint32_t', stage: 'uint32_t', name: S, entered: 'int64_t', owner: S,
  reached: 'uint64_t', reached_count: 'uint32_t', unsubscribed: 'uint32_t',
  history: 'uint64_t',
});
T.fnl_stage_record = koffi.struct('fnl_stage_record', {
  time: 'int64_t', kind: 'uint32_t', cause: 'uint32_t', from: S, to: S,
  rule: 'uint32_t', back: 'uint32_t', owner: S, prev_owner: S, reason: S,
});

// reports from the stage history
T.fnl_stage_pair = koffi.struct('fnl_stage_pair', {
  from: S, to: S, low: 'double', high: 'double',
});
T.fnl_stage_funnel_request = koffi.struct('fnl_stage_funnel_request', {
  size: 'uint32_t', group_by: 'uint32_t', group_attr: S, from: 'int64_t',
  to: 'int64_t', as_of: 'int64_t', pairs: 'const fnl_stage_pair *',
  pair_count: 'size_t', allocator: 'void *',
});
T.fnl_stage_cohort_request = koffi.struct('fnl_stage_cohort_request', {
  size: 'uint32_t', stage: S, period: 'uint32_t', from: 'int64_t',
  to: 'int64_t', boundaries: 'const int64_t *', boundary_count: 'size_t',
  as_of: 'int64_t', ages: 'const uint32_t *', age_count: 'size_t',
  targets: 'const char **', target_count: 'size_t', allocator: 'void *',
});
T.fnl_stage_time_to_convert_request = koffi.struct('fnl_stage_time_to_convert_request', {
  size: 'uint32_t', from_stage: S, to_stage: S, from: 'int64_t',
  to: 'int64_t', as_of: 'int64_t', window_days: 'double',
  cold_threshold: 'double', allocator: 'void *',
});
T.fnl_rejection_request = koffi.struct('fnl_rejection_request', {
  size: 'uint32_t', group_by: 'uint32_t', group_attr: S, from: 'int64_t',
  to: 'int64_t', allocator: 'void *',
});
T.fnl_stage_counts_request = koffi.struct('fnl_stage_counts_request', {
  size: 'uint32_t', group_by: 'uint32_t', group_attr: S, view: 'uint32_t',
  from: 'int64_t', to: 'int64_t', as_of: 'int64_t', lead_stage: S,
  mql_stage: S, sql_stage: S, opportunity_stage: S, customer_stage: S,
  allocator: 'void *',
});

/** Every C struct mirrored here (name -> koffi type), for the layout test. */
const STRUCTS = Object.fromEntries(Object.entries(T)
  .filter(([k]) => k.startsWith('fnl_')));

// ---- functions -----------------------------------------------------------

const PROTOTYPES = [
  'const char *fnl_version(void)',
  'int fnl_version_number(void)',
  'const char *fnl_strerror(int code)',
  'const char *fnl_errmsg(fnl_engine *e)',
  'const char *fnl_role_name(uint32_t role)',
  'int fnl_role_parse(const char *name, _Out_ uint32_t *out)',
  // storage
  'void fnl_storage_close(void *st)',
  'int fnl_storage_mem_open(_Out_ void **out, void *alloc)',
  'int fnl_storage_file_options_init(_Inout_ fnl_storage_file_options *o, size_t n)',
  'int fnl_storage_file_open(_Out_ void **out, const char *dir, const fnl_storage_file_options *o)',
  'int fnl_storage_file_info_init(_Inout_ fnl_storage_file_info *i, size_t n)',
  'int fnl_storage_file_stats(void *st, _Inout_ fnl_storage_file_info *i)',
  'const char *fnl_storage_file_errmsg(void *st)',
  // engine
  'int fnl_engine_config_init(_Inout_ fnl_engine_config *c, size_t n)',
  'int fnl_engine_open(_Out_ fnl_engine **out, const fnl_engine_config *c)',
  'void fnl_engine_close(fnl_engine *e)',
  'int fnl_engine_now(fnl_engine *e, _Out_ int64_t *out)',
  'int fnl_stats_init(_Inout_ fnl_stats *s, size_t n)',
  'int fnl_engine_stats(fnl_engine *e, _Inout_ fnl_stats *s)',
  // contacts
  'int fnl_contact_update_init(_Inout_ fnl_contact_update *u, size_t n)',
  'int fnl_contact_upsert(fnl_engine *e, const fnl_contact_update *u, _Out_ uint64_t *out)',
  'int fnl_contact_find(fnl_engine *e, const char *kind, const char *value, _Out_ uint64_t *out)',
  'int fnl_contact_resolve(fnl_engine *e, uint64_t id, _Out_ uint64_t *out)',
  'int fnl_contact_info_init(_Inout_ fnl_contact_info *i, size_t n)',
  'int fnl_contact_get(fnl_engine *e, uint64_t id, _Inout_ fnl_contact_info *out)',
  'int fnl_contact_keys(fnl_engine *e, uint64_t id, _Out_ fnl_key *out, size_t cap, _Out_ size_t *count)',
  'int fnl_contact_attrs(fnl_engine *e, uint64_t id, _Out_ fnl_attr *out, size_t cap, _Out_ size_t *count)',
  'int fnl_contact_tags(fnl_engine *e, uint64_t id, _Out_ const char **out, size_t cap, _Out_ size_t *count)',
  'int fnl_contact_attr(fnl_engine *e, uint64_t id, const char *name, _Out_ fnl_attr *out)',
  'int fnl_contact_next(fnl_engine *e, uint64_t after, _Out_ uint64_t *out)',
  // accounts
  'int fnl_account_update_init(_Inout_ fnl_account_update *u, size_t n)',
  'int fnl_account_upsert(fnl_engine *e, const fnl_account_update *u, _Out_ uint64_t *out)',
  'int fnl_account_find(fnl_engine *e, const char *id, _Out_ uint64_t *out)',
  'int fnl_account_info_init(_Inout_ fnl_account_info *i, size_t n)',
  'int fnl_account_get(fnl_engine *e, uint64_t id, _Inout_ fnl_account_info *out)',
  'int fnl_account_domains(fnl_engine *e, uint64_t id, _Out_ const char **out, size_t cap, _Out_ size_t *count)',
  'int fnl_account_attrs(fnl_engine *e, uint64_t id, _Out_ fnl_attr *out, size_t cap, _Out_ size_t *count)',
  'int fnl_account_contacts(fnl_engine *e, uint64_t id, _Out_ uint64_t *out, size_t cap, _Out_ size_t *count)',
  'int fnl_account_next(fnl_engine *e, uint64_t after, _Out_ uint64_t *out)',
  'int fnl_domain_is_freemail(fnl_engine *e, const char *domain, _Out_ int *out)',
  // touches
  'int fnl_touch_init(_Inout_ fnl_touch *t, size_t n)',
  'int fnl_touch_add(fnl_engine *e, const fnl_touch *t, _Out_ uint64_t *out)',
  'int fnl_touch_add_batch(fnl_engine *e, const fnl_touch *t, size_t n, _Out_ uint64_t *out)',
  'int fnl_contact_touches(fnl_engine *e, uint64_t id, _Out_ fnl_touch_info *out, size_t es, size_t cap, _Out_ size_t *count)',
  'int fnl_touch_channel(fnl_engine *e, const fnl_touch *t, _Out_ const char **out)',
  // deals and costs
  'int fnl_deal_update_init(_Inout_ fnl_deal_update *u, size_t n)',
  'int fnl_deal_upsert(fnl_engine *e, const fnl_deal_update *u, _Out_ uint64_t *out)',
  'int fnl_deal_find(fnl_engine *e, const char *id, _Out_ uint64_t *out)',
  'int fnl_deal_get(fnl_engine *e, uint64_t id, _Inout_ fnl_deal_info *out)',
  'int fnl_deal_contacts(fnl_engine *e, uint64_t id, _Out_ fnl_deal_contact *out, size_t cap, _Out_ size_t *count)',
  'int fnl_deal_next(fnl_engine *e, uint64_t after, _Out_ uint64_t *out)',
  'int fnl_cost_init(_Inout_ fnl_cost *c, size_t n)',
  'int fnl_cost_add(fnl_engine *e, const fnl_cost *c, _Out_ uint64_t *out)',
  'int fnl_cost_get(fnl_engine *e, uint64_t index, _Inout_ fnl_cost *out, uint8_t *cur)',
];
const OPTIONAL = [
  'int fnl_engine_checkpoint(fnl_engine *e)',
  // deal attributes and owner records
  'int fnl_deal_attrs(fnl_engine *e, uint64_t id, _Out_ fnl_attr *out, size_t cap, _Out_ size_t *count)',
  'int fnl_deal_attr(fnl_engine *e, uint64_t id, const char *name, _Out_ fnl_attr *out)',
  'int fnl_owner_update_init(_Inout_ fnl_owner_update *u, size_t n)',
  'int fnl_owner_upsert(fnl_engine *e, const fnl_owner_update *u)',
  'int fnl_owner_info_init(_Inout_ fnl_owner_info *i, size_t n)',
  'int fnl_owner_get(fnl_engine *e, const char *name, _Inout_ fnl_owner_info *out)',
  'int fnl_owner_attrs(fnl_engine *e, const char *name, _Out_ fnl_attr *out, size_t cap, _Out_ size_t *count)',
  'int fnl_owner_attr(fnl_engine *e, const char *name, const char *attr, _Out_ fnl_attr *out)',
  'int fnl_owner_list(fnl_engine *e, _Out_ const char **out, size_t cap, _Out_ size_t *count)',
  'int fnl_engine_sync(fnl_engine *e)',
  'int fnl_contact_forget(fnl_engine *e, uint64_t id)',
  'const char *fnl_attr_model_name(uint32_t model)',
  'int fnl_attr_model_parse(const char *name, _Out_ uint32_t *out)',
  'int fnl_attribution_options_init(_Inout_ fnl_attribution_options *o, size_t n)',
  'int fnl_journeys_new(_Out_ fnl_journeys **out, uint32_t value_decimals, void *alloc)',
  'void fnl_journeys_free(fnl_journeys *j)',
  'int fnl_journey_init(_Inout_ fnl_journey *j, size_t n)',
  'int fnl_journeys_add(fnl_journeys *js, const fnl_journey *j)',
  'size_t fnl_journeys_count(fnl_journeys *js)',
  'size_t fnl_journeys_group_count(fnl_journeys *js)',
  'int fnl_paths_options_init(_Inout_ fnl_paths_options *o, size_t n)',
  'int fnl_paths_parse(_Out_ fnl_journeys **out, const uint8_t *buf, size_t len, const fnl_paths_options *o, _Inout_ fnl_paths_error *err)',
  'int fnl_paths_read(_Out_ fnl_journeys **out, const char *file, const fnl_paths_options *o, _Inout_ fnl_paths_error *err)',
  'int fnl_attribution_run(_Out_ fnl_attribution **out, fnl_journeys *js, uint32_t model, const fnl_attribution_options *o)',
  'void fnl_attribution_free(fnl_attribution *r)',
  'int fnl_attribution_info_init(_Inout_ fnl_attribution_info *i, size_t n)',
  'int fnl_attribution_get_info(fnl_attribution *r, _Inout_ fnl_attribution_info *i)',
  'int fnl_attribution_row_init(_Inout_ fnl_attribution_row *r, size_t n)',
  'size_t fnl_attribution_row_count(fnl_attribution *r)',
  'int fnl_attribution_row_get(fnl_attribution *r, size_t i, _Inout_ fnl_attribution_row *row)',
  'int fnl_attribution_positions(fnl_attribution *r, size_t i, _Out_ double *out, size_t cap, _Out_ size_t *count)',
  'int fnl_attribution_partial_new(_Out_ fnl_attribution_partial **out, const fnl_attribution_options *o)',
  'void fnl_attribution_partial_free(fnl_attribution_partial *p)',
  'int fnl_attribution_partial_add(fnl_attribution_partial *p, fnl_journeys *js, size_t first, size_t count)',
  'int fnl_attribution_partial_merge(fnl_attribution_partial *dst, fnl_attribution_partial *src)',
  'int fnl_attribution_partial_finish(fnl_attribution_partial *p, uint32_t model, _Out_ fnl_attribution **out)',
  'int fnl_engine_attribution_options_init(_Inout_ fnl_engine_attribution_options *o, size_t n)',
  'int fnl_engine_attribution_stats_init(_Inout_ fnl_engine_attribution_stats *s, size_t n)',
  'int fnl_engine_journeys(fnl_engine *e, const fnl_engine_attribution_options *o, _Out_ fnl_journeys **out, _Inout_ fnl_engine_attribution_stats *st)',
  'int fnl_engine_attribute(fnl_engine *e, const fnl_engine_attribution_options *o, uint32_t model, _Out_ fnl_attribution **out, _Inout_ fnl_engine_attribution_stats *st)',
  'size_t fnl_attribution_partial_save_bound(fnl_attribution_partial *p)',
  'int fnl_attribution_partial_save(fnl_attribution_partial *p, uint8_t *buf, size_t cap, _Out_ size_t *written)',
  'int fnl_attribution_partial_load(_Out_ fnl_attribution_partial **out, const uint8_t *buf, size_t len, void *alloc)',
  'int fnl_engine_attribution_partial(fnl_engine *e, const fnl_engine_attribution_options *o, _Out_ fnl_attribution_partial **out, _Inout_ fnl_engine_attribution_stats *st)',
  'int fnl_paths_parse_partial(fnl_attribution_partial *p, const uint8_t *buf, size_t len, const fnl_paths_options *o, _Inout_ fnl_paths_error *err)',
  'int fnl_paths_read_partial(fnl_attribution_partial *p, const char *file, const fnl_paths_options *o, _Inout_ fnl_paths_error *err)',
  // lead scoring
  'int fnl_parse_error_init(_Inout_ fnl_parse_error *e, size_t n)',
  'int fnl_model_parse(_Out_ fnl_model **out, const uint8_t *text, size_t len, void *alloc, _Inout_ fnl_parse_error *err)',
  'void fnl_model_free(fnl_model *m)',
  'const char *fnl_model_name(fnl_model *m)',
  'int fnl_model_info_init(_Inout_ fnl_model_info *i, size_t n)',
  'int fnl_model_get_info(fnl_model *m, _Inout_ fnl_model_info *i)',
  'int fnl_model_to_text(fnl_model *m, _Out_ uint8_t *buf, size_t cap, _Out_ size_t *len)',
  'const char *fnl_model_key_event_name(fnl_model *m, uint32_t i)',
  'const char *fnl_model_threshold_name(fnl_model *m, uint32_t i)',
  'int fnl_score_result_init(_Inout_ fnl_score_result *r, size_t n)',
  'int fnl_model_score(fnl_model *m, const fnl_attr *attrs, size_t na, const fnl_touch_info *t, size_t es, size_t nt, int64_t at, _Inout_ fnl_score_result *out)',
  'int fnl_model_explain(fnl_model *m, const fnl_attr *attrs, size_t na, const fnl_touch_info *t, size_t es, size_t nt, int64_t at, _Out_ fnl_score_row *rows, size_t cap, _Out_ size_t *count)',
  'int fnl_model_key_event_history(fnl_model *m, const fnl_touch_info *t, size_t es, size_t nt, int64_t at, _Out_ fnl_key_event_fire *out, size_t cap, _Out_ size_t *count)',
  'int fnl_account_score_init(_Inout_ fnl_account_score *s, size_t n)',
  'int fnl_engine_attach_model(fnl_engine *e, fnl_model *m, const fnl_progress *p)',
  'int fnl_engine_detach_model(fnl_engine *e, const char *name)',
  'int fnl_engine_model(fnl_engine *e, size_t i, _Out_ fnl_model **out)',
  'int fnl_contact_score(fnl_engine *e, uint64_t id, const char *model, int64_t t, _Inout_ fnl_score_result *out)',
  'int fnl_contact_explain(fnl_engine *e, uint64_t id, const char *model, int64_t t, _Out_ fnl_score_row *rows, size_t cap, _Out_ size_t *count)',
  'int fnl_account_score_get(fnl_engine *e, uint64_t id, const char *model, int64_t t, _Inout_ fnl_account_score *out)',
  // reports
  'void fnl_report_free(fnl_report *r)',
  'int fnl_report_json(fnl_report *r, _Out_ uint8_t *buf, size_t cap, _Out_ size_t *needed)',
  'int fnl_report_csv(fnl_report *r, _Out_ uint8_t *buf, size_t cap, _Out_ size_t *needed)',
  'int fnl_roi_request_init(_Inout_ fnl_roi_request *r, size_t n)',
  'int fnl_report_roi(fnl_engine *e, const fnl_roi_request *r, _Out_ fnl_report **out)',
  'int fnl_spend_request_init(_Inout_ fnl_spend_request *r, size_t n)',
  'int fnl_report_spend(fnl_engine *e, const fnl_spend_request *r, _Out_ fnl_report **out)',
  'int fnl_deal_report_request_init(_Inout_ fnl_deal_report_request *r, size_t n)',
  'int fnl_report_deals(fnl_engine *e, const fnl_deal_report_request *r, _Out_ fnl_report **out)',
  'int fnl_cohort_request_init(_Inout_ fnl_cohort_request *r, size_t n)',
  'int fnl_report_cohort(fnl_engine *e, const fnl_cohort_request *r, _Out_ fnl_report **out)',
  'int fnl_survival_request_init(_Inout_ fnl_survival_request *r, size_t n)',
  'int fnl_survival_km(const fnl_survival_request *r, _Out_ fnl_report **out)',
  'int fnl_time_to_convert_request_init(_Inout_ fnl_time_to_convert_request *r, size_t n)',
  'int fnl_report_time_to_convert(fnl_engine *e, const fnl_time_to_convert_request *r, _Out_ fnl_report **out)',
  'int fnl_budget_request_init(_Inout_ fnl_budget_request *r, size_t n)',
  'int fnl_budget_allocate(const fnl_budget_request *r, _Out_ fnl_report **out)',
  'int fnl_fx_new(_Out_ fnl_fx **out, void *alloc)',
  'void fnl_fx_free(fnl_fx *fx)',
  'int fnl_fx_add(fnl_fx *fx, const char *from, const char *to, double rate, int64_t start, int64_t end)',
  'int fnl_fx_convert(fnl_fx *fx, int64_t amount, const char *from, const char *to, int64_t t, _Out_ int64_t *out)',
  'int fnl_currency_digits(const char *code)',
  // lifecycle stage machines
  'const char *fnl_host_event_name(uint32_t event)',
  'int fnl_machine_parse(_Out_ fnl_machine **out, const uint8_t *text, size_t len, void *alloc, _Inout_ fnl_parse_error *err)',
  'int fnl_machine_default(_Out_ fnl_machine **out, void *alloc)',
  'void fnl_machine_free(fnl_machine *m)',
  'int fnl_machine_to_text(fnl_machine *m, _Out_ uint8_t *buf, size_t cap, _Out_ size_t *len)',
  'const char *fnl_machine_name(fnl_machine *m)',
  'uint32_t fnl_machine_version(fnl_machine *m)',
  'uint32_t fnl_machine_stage_count(fnl_machine *m)',
  'const char *fnl_machine_stage_name(fnl_machine *m, uint32_t i)',
  'int fnl_engine_attach_machine(fnl_engine *e, fnl_machine *m)',
  'int fnl_contact_event(fnl_engine *e, uint64_t id, const char *event, const char *reason, int64_t t)',
  'int fnl_engine_tick(fnl_engine *e, int64_t now)',
  'int fnl_contact_stage(fnl_engine *e, uint64_t id, _Inout_ fnl_stage_status *out)',
  'int fnl_contact_stage_history(fnl_engine *e, uint64_t id, _Out_ fnl_stage_record *out, size_t cap, _Out_ size_t *count)',
  // reports from the stage history
  'int fnl_stage_funnel_request_init(_Inout_ fnl_stage_funnel_request *r, size_t n)',
  'int fnl_report_stage_funnel(fnl_engine *e, const fnl_stage_funnel_request *r, _Out_ fnl_report **out)',
  'int fnl_stage_cohort_request_init(_Inout_ fnl_stage_cohort_request *r, size_t n)',
  'int fnl_report_stage_cohort(fnl_engine *e, const fnl_stage_cohort_request *r, _Out_ fnl_report **out)',
  'int fnl_stage_time_to_convert_request_init(_Inout_ fnl_stage_time_to_convert_request *r, size_t n)',
  'int fnl_report_stage_time_to_convert(fnl_engine *e, const fnl_stage_time_to_convert_request *r, _Out_ fnl_report **out)',
  'int fnl_rejection_request_init(_Inout_ fnl_rejection_request *r, size_t n)',
  'int fnl_report_rejections(fnl_engine *e, const fnl_rejection_request *r, _Out_ fnl_report **out)',
  'int fnl_stage_counts_request_init(_Inout_ fnl_stage_counts_request *r, size_t n)',
  'int fnl_engine_stage_counts(fnl_engine *e, const fnl_stage_counts_request *r, _Out_ void **out, _Out_ size_t *count)',
  'void fnl_stage_counts_free(void *counts)',
];

const fn = {};
const missing = new Set();
function declare(proto, optional) {
  const name = /(fnl_\w+)\s*\(/.exec(proto)[1];
  try {
    fn[name] = lib.func(proto);
  } catch (e) {
    if (!optional) {
      throw new Error(`funnelcore: ${libPath} lacks ${name}; the library is ` +
        `older than these bindings (${e.message})`);
    }
    missing.add(name);
  }
}
for (const p of PROTOTYPES) declare(p, false);
for (const p of OPTIONAL) declare(p, true);

// Raw variants for packed batches (see engine.js: _packTouches): the touch
// array is a Buffer the bindings fill byte by byte, which is several times
// faster than koffi converting one object per touch.  Only on 64-bit
// little-endian machines; elsewhere the object path is used.
const RAW = koffi.sizeof('void *') === 8 && require('node:os').endianness() === 'LE';
if (RAW) {
  fn.raw_touch_add_batch = lib.func('fnl_touch_add_batch', 'int',
    ['fnl_engine *', 'const uint8_t *', 'size_t', 'uint8_t *']);
  fn.raw_touch_add = lib.func('fnl_touch_add', 'int',
    ['fnl_engine *', 'const uint8_t *', 'uint8_t *']);
}

const version = fn.fnl_version();
const versionNumber = fn.fnl_version_number();
if (Math.floor(versionNumber / 10000) !== LIB_MAJOR) {
  throw new Error(`funnelcore: ${libPath} is version ${version}; these ` +
    `bindings need major version ${LIB_MAJOR}`);
}

/** A size-first struct reset by its *_init() function (defaults come from
 *  the library), as a plain object. */
function init(type, initName) {
  const obj = { size: koffi.sizeof(type) };
  if (initName && fn[initName]) {
    const rc = fn[initName](obj, koffi.sizeof(type));
    if (rc !== 0) throw new Error(`${initName} failed: ${rc}`);
  }
  return obj;
}

function has(name) {
  return name in fn;
}

module.exports = {
  koffi, lib, libPath, fn, T, STRUCTS, STATS, TOUCH_STR, TOUCH_INFO_STR,
  TIME_NOW, ROLE_KEEP, version, versionNumber, init, has, missing, RAW,
  candidates,
};
