// TypeScript declarations for funnelcore (Node bindings over koffi).

/** A contact / account / deal handle.  Handles fit in 48 bits today and are
 *  plain numbers; a handle beyond 2^53 would arrive as a bigint. */
export type Handle = number;
/** ms since 1970-01-01T00:00:00Z, a Date, or a bigint; null/undefined
 *  mean the engine clock's now where a time is optional. */
export type TimeLike = number | bigint | Date;
export type Keys =
  | Record<string, string>
  | Array<[string, string]>
  | Array<{ kind: string; value: string }>;
export type AttrValue = string | number;
export type Role =
  | 'none' | 'user' | 'influencer' | 'decision_maker' | 'economic_buyer'
  | 'champion' | 'other' | number;

export interface Event {
  kind: 'contact_created' | 'contact_merged' | 'account_created'
    | 'account_assigned' | 'contact_forgotten' | 'key_event'
    | 'stage_changed' | 'sla_breach' | 'routed' | 'step_due'
    | `event_${number}`;
  code: number;
  time: number;
  contact: Handle;
  /** contact_merged: the contact merged away into `contact`. */
  other: Handle;
  account: Handle;
  /** account events: the account's id; key events: the key event;
   *  stage_changed: the new stage (time: when entered); sla_breach: the
   *  SLA's name (time: its deadline); routed: the new owner (null: none);
   *  step_due: the step's action (time: its due time). */
  name: string | null;
  /** key events: the scoring model's name. */
  model: string | null;
}

export type ChannelRuleField =
  | 'utmSource' | 'utmMedium' | 'utmCampaign' | 'referrerHost' | 'type'
  | 'urlHost';
export type ChannelRule =
  | [ChannelRuleField | number, string, string]
  | { field: ChannelRuleField | number; pattern: string; channel: string };

export interface EngineOptions {
  /** Now, in ms or as a Date.  A throw makes the triggering call fail
   *  cleanly and is rethrown from it. */
  clock?: () => number | bigint | Date;
  /** Called after each mutation completed; may read, not mutate (Busy).
   *  A throw is rethrown from the mutating call (the mutation is kept). */
  listener?: (event: Event) => void;
  precedence?: 'latest' | 'source' | number;
  sourcePriority?: string[];
  freemailDomains?: string[];
  defaultCountryCode?: string;
  channelRules?: ChannelRule[];
  /** Persistence: mutations are journaled through it; opening replays. */
  storage?: MemoryStore | FileStore;
  snapshotCompression?: 'none' | 'zlib' | number;
}

export interface ContactUpdate {
  keys?: Keys;
  contact?: Handle;
  /** null removes an attribute. */
  attrs?: Record<string, AttrValue | null>;
  tagsAdd?: string[];
  tagsRemove?: string[];
  /** '' clears. */
  owner?: string;
  account?: string;
  role?: Role;
  source?: string;
  time?: TimeLike;
}

export interface TouchInput {
  keys?: Keys;
  contact?: Handle;
  time?: TimeLike;
  type?: string;
  channel?: string;
  campaign?: string;
  content?: string;
  url?: string;
  referrer?: string;
  utmSource?: string;
  utmMedium?: string;
  utmCampaign?: string;
  utmTerm?: string;
  utmContent?: string;
  account?: string;
  value?: number | bigint;
  /** Who made the touch (e.g. the sales rep who called); compared with
   *  contact owners as written. */
  by?: string;
}

export interface Touch {
  time: number;
  contact: Handle;
  type: string | null;
  channel: string | null;
  campaign: string | null;
  content: string | null;
  utmSource: string | null;
  utmMedium: string | null;
  utmCampaign: string | null;
  utmTerm: string | null;
  utmContent: string | null;
  value: number;
  by: string | null;
}

export interface ContactInfo {
  id: Handle;
  account: Handle | null;
  owner: string | null;
  role: string;
  created: number;
  firstTouch: number | null;
  lastTouch: number | null;
  touchCount: number;
  keys: Array<{ kind: string; value: string }>;
  attrs: Record<string, AttrValue>;
  tags: string[];
  touches: Touch[];
}

export interface AccountUpdate {
  id: string;
  domains?: string[];
  attrs?: Record<string, AttrValue | null>;
  owner?: string;
  source?: string;
  time?: TimeLike;
}

export interface AccountInfo {
  id: Handle;
  name: string;
  owner: string | null;
  created: number;
  contactCount: number;
  domains: string[];
  attrs: Record<string, AttrValue>;
  contacts: Handle[];
}

export type DealContactInput =
  | { contact: Handle; role?: Role }
  | { key: [string, string] | { kind: string; value: string }; role?: Role };

export interface DealUpdate {
  id: string;
  account?: string;
  contacts?: DealContactInput[];
  amount?: number | bigint;
  currency?: string;
  created?: TimeLike;
  /** 0 / undefined: not closed. */
  closed?: TimeLike | 0;
  status?: 'open' | 'won' | 'lost' | number;
  stage?: string;
  owner?: string;
  /** Set or replace these attributes (product, sector, ...); null removes
   *  one; others are kept. */
  attrs?: Record<string, AttrValue | null>;
}

export interface DealInfo {
  id: Handle;
  name: string;
  account: Handle | null;
  amount: number;
  currency: string;
  created: number;
  closed: number;
  status: 'open' | 'won' | 'lost' | string;
  stage: string | null;
  owner: string | null;
  contacts: Array<{ contact: Handle; role: string }>;
  attrs: Record<string, AttrValue>;
}

/** The record of an owner string: attributes such as manager, office. */
export interface OwnerUpdate {
  name: string;
  attrs?: Record<string, AttrValue | null>;
  source?: string;
  time?: TimeLike;
}

export interface OwnerInfo {
  name: string;
  created: number;
  attrs: Record<string, AttrValue>;
}

export interface CostInput {
  channel?: string;
  campaign?: string;
  region?: string;
  start: TimeLike;
  end: TimeLike;
  amount: number | bigint;
  currency?: string;
}

export interface Cost {
  index: number;
  channel: string | null;
  campaign: string | null;
  region: string | null;
  start: number;
  end: number;
  amount: number;
  currency: string;
}

export interface Stats {
  contacts: number;
  merges: number;
  accounts: number;
  touches: number;
  deals: number;
  costs: number;
  identityKeys: number;
  strings: number;
  stringBytes: number;
  memoryBytes: number;
  memoryPeak: number;
  forgotten: number;
  journalSeq: number;
}

export class Engine {
  constructor(options?: EngineOptions);
  readonly closed: boolean;
  close(): void;
  [Symbol.dispose](): void;
  now(): number;
  stats(): Stats;
  checkpoint(): void;
  sync(): void;

  upsertContact(update: ContactUpdate): Handle;
  findContact(kind: string, value: string): Handle | null;
  resolve(contact: Handle): Handle;
  contact(contact: Handle, options?: { touches?: boolean }): ContactInfo;
  contactKeys(contact: Handle): Array<{ kind: string; value: string }>;
  contactAttrs(contact: Handle): Record<string, AttrValue>;
  contactAttr(contact: Handle, name: string): AttrValue | null;
  contactTags(contact: Handle): string[];
  forget(contact: Handle): void;
  contactIds(): Generator<Handle, void, unknown>;
  contacts(options?: { touches?: boolean }): Generator<ContactInfo, void, unknown>;

  upsertAccount(update: AccountUpdate): Handle;
  findAccount(idOrDomain: string): Handle | null;
  account(account: Handle): AccountInfo;
  accounts(): Generator<AccountInfo, void, unknown>;
  isFreemail(domain: string): boolean;

  addTouch(touch: TouchInput): Handle;
  /** One library call, all or nothing; the contact of each touch. */
  addTouches(touches: Iterable<TouchInput>): Handle[];
  touches(contact: Handle): Touch[];
  touchChannel(touch: TouchInput): string;

  upsertDeal(update: DealUpdate): Handle;
  findDeal(id: string): Handle | null;
  deal(deal: Handle): DealInfo;
  deals(): DealInfo[];
  dealAttrs(deal: Handle): Record<string, AttrValue>;
  dealAttr(deal: Handle, name: string): AttrValue | null;

  /** Owner records: attributes of the owner strings deals carry. */
  upsertOwner(update: OwnerUpdate): void;
  /** null when the name has no record. */
  owner(name: string): OwnerInfo | null;
  ownerAttrs(name: string): Record<string, AttrValue>;
  ownerAttr(name: string, attr: string): AttrValue | null;
  owners(): OwnerInfo[];

  /** Attribution over the engine's deals and touches. */
  attribute(model?: ModelName | number, options?: EngineAttributionOptions): AttributionResult;
  journeys(options?: EngineAttributionOptions): { journeys: Journeys; stats: JourneyStats };

  addCost(cost: CostInput): number;
  cost(index: number): Cost;
  costs(): Cost[];

  /** The engine's journeys accumulated straight into a partial. */
  attributionPartial(models: Array<ModelName | number>,
    options?: EngineAttributionOptions): { partial: AttributionPartial; stats: JourneyStats };

  /** Attach a copy of a scoring model and score every contact.  progress:
   *  a truthy return (or a throw, rethrown) cancels: Canceled. */
  attachModel(model: Model, progress?: (done: number, total: number) => unknown): void;
  detachModel(model: string | Model): void;
  models(): Model[];
  contactScore(contact: Handle, model?: string | Model | null, t?: TimeLike | null): Score;
  contactExplain(contact: Handle, model?: string | Model | null, t?: TimeLike | null): ScoreRow[];
  accountScore(account: Handle, model?: string | Model | null, t?: TimeLike | null): AccountScore;

  /** Attach a copy of a stage machine (replacing the attached one); every
   *  live contact enters its initial stage at the engine clock's now. */
  attachMachine(machine: Machine): void;
  /** Fire a host event ('sales_accept', 'sales_reject' with a reason, ...,
   *  or any [a-z0-9_] name); NotFound without a machine. */
  contactEvent(contact: Handle, event: string, reason?: string | null, time?: TimeLike | null): void;
  contactEvent(contact: Handle, event: string, options: { reason?: string | null; time?: TimeLike | null }): void;
  /** Fire every stage timer, SLA deadline and step due at or before now
   *  (default: the engine clock's now). */
  tick(now?: TimeLike | null): void;
  contactStage(contact: Handle): StageStatus;
  contactStageHistory(contact: Handle): StageRecord[];

  reportDeals(options?: DealReportOptions): Report;
  reportRoi(options?: RoiReportOptions): Report;
  reportSpend(options?: SpendReportOptions): Report;
  reportCohort(options?: CohortReportOptions): Report;
  reportTimeToConvert(options?: TimeToConvertOptions): Report;
  /** Stage-history reports (docs/reports.md); NotFound without a machine. */
  reportStageFunnel(options?: StageFunnelOptions): Report;
  reportStageCohort(options?: StageCohortOptions): Report;
  reportStageTimeToConvert(options: StageTimeToConvertOptions): Report;
  reportRejections(options?: RejectionOptions): Report;
  /** Funnel counts per group, ready for reportRoi's stageCounts. */
  stageCounts(options?: StageCountsOptions): Record<string, StageCounts>;
  static budgetAllocate(total: number, lines: Iterable<BudgetLine>, options?: BudgetOptions): Report;
}

// ---- lead scoring -------------------------------------------------------

export interface ModelInfo {
  name: string;
  version: number;
  halfLifeMs: number;
  fitRules: number;
  engageRules: number;
  keyEvents: number;
  thresholds: number;
  fingerprint: number | bigint;
}

export interface Score {
  model: string;
  time: number;
  fit: number;
  engagement: number;
  total: number;
  grade: 'A' | 'B' | 'C' | 'D';
  band: 1 | 2 | 3 | 4;
  cell: string;
  /** Names of the key events that have fired. */
  keyEvents: string[];
  firings: number;
  /** Every threshold of the model: name -> holds. */
  thresholds: Record<string, boolean>;
  keyEventMask: number | bigint;
  thresholdMask: number | bigint;
}

export interface ScoreRow {
  kind: 'fit' | 'engage' | 'key_event';
  index: number;
  /** The rule's canonical text line. */
  rule: string;
  points: number;
  matched: number;
  counted: number;
  raw: number;
  value: number;
}

export interface AccountScore {
  model: string;
  score: number;
  contacts: number;
  engaged: number;
  rolesEngaged: string[];
  rolesRequired: string[];
  /** How many required roles have an engaged member. */
  rolesCovered: number;
  coveredRoles: string[];
  coverage: number;
}

export interface ScoringTouch {
  time: TimeLike;
  type?: string | null;
  channel?: string | null;
  campaign?: string | null;
  content?: string | null;
  utmSource?: string | null;
  utmMedium?: string | null;
  utmCampaign?: string | null;
  utmTerm?: string | null;
  utmContent?: string | null;
  value?: number | bigint;
}

export class Model {
  private constructor();
  /** Throws InvalidArgument with line, column, parseMessage. */
  static parse(text: string | Uint8Array): Model;
  readonly name: string;
  readonly text: string;
  readonly info: ModelInfo;
  readonly keyEvents: string[];
  readonly thresholds: string[];
  score(attrs?: Record<string, AttrValue | null>, touches?: Iterable<ScoringTouch>, t?: TimeLike): Score;
  explain(attrs?: Record<string, AttrValue | null>, touches?: Iterable<ScoringTouch>, t?: TimeLike): ScoreRow[];
  keyEventHistory(touches?: Iterable<ScoringTouch>, t?: TimeLike): Array<{ index: number; name: string; time: number }>;
  close(): void;
  [Symbol.dispose](): void;
}

// ---- lifecycle stage machines -------------------------------------------

export interface StageStatus {
  /** The current stage's name. */
  stage: string;
  /** Its index in the machine (definition order). */
  index: number;
  /** When it was entered (ms). */
  entered: number;
  /** The stage owner (or queue); null: none. */
  owner: string | null;
  /** Stages entered or passed through, in machine order; null when the
   *  bindings do not know the attached machine (reopened from storage). */
  reached: string[] | null;
  reachedMask: number | bigint;
  reachedCount: number;
  unsubscribed: boolean;
  /** History records kept for the contact. */
  history: number | bigint;
}

export interface StageRecord {
  time: number;
  kind: 'transition' | 'passed' | 'assign' | 'breach' | string;
  cause: 'start' | 'touch' | 'profile' | 'score' | 'event' | 'timer'
    | 'recheck' | 'sla' | 'merge' | string;
  /** The stage before (null at the start); breach: the SLA's stage. */
  from: string | null;
  to: string | null;
  /** Transition, route or SLA index; null: none. */
  rule: number | null;
  back: boolean;
  owner: string | null;
  /** assign: the owner before. */
  prevOwner: string | null;
  /** The host event's reason. */
  reason: string | null;
}

export class Machine {
  private constructor();
  /** Throws InvalidArgument with line, column, parseMessage. */
  static parse(text: string | Uint8Array): Machine;
  /** The built-in demand waterfall. */
  static default(): Machine;
  readonly name: string;
  readonly version: number;
  /** Stage names in definition order. */
  readonly stages: string[];
  /** The canonical text. */
  readonly text: string;
  close(): void;
  [Symbol.dispose](): void;
}

// ---- reports ------------------------------------------------------------

export type ReportValue = string | number | boolean | null;

export interface ReportColumn {
  name: string;
  type: 'string' | 'int' | 'number' | 'bool';
  unit: 'label' | 'count' | 'money' | 'ratio' | 'days' | 'time' | 'flag';
}

export class Report {
  private constructor();
  readonly kind: 'roi' | 'spend' | 'deals' | 'cohort' | 'survival' | 'budget';
  readonly schemaVersion: number;
  readonly currency: string | null;
  readonly columns: ReportColumn[];
  /** Keyed by column name (snake_case, as in the JSON and CSV). */
  readonly rows: Array<Record<string, ReportValue>>;
  readonly totals: Record<string, ReportValue> | null;
  readonly summary: Record<string, unknown>;
  readonly columnNames: string[];
  /** The library's JSON, byte for byte. */
  toJson(): string;
  toCsv(): string;
  byKey(): Record<string, Record<string, ReportValue>>;
}

export type FxRate = [string, string, number, TimeLike?, TimeLike?];

export class FX {
  constructor(rates?: FxRate[]);
  add(from: string, to: string, rate: number, start?: TimeLike, end?: TimeLike): void;
  convert(amount: number | bigint, from: string, to: string, t: TimeLike): number;
  close(): void;
  [Symbol.dispose](): void;
}

export interface CostRecord {
  channel?: string; campaign?: string; region?: string; currency?: string;
  start: TimeLike; end: TimeLike; amount: number | bigint;
}

export interface DealReportOptions {
  groupBy?: 'none' | 'owner' | 'stage' | 'account' | 'accountAttr' | 'currency' | 'status'
    | 'attr' | 'ownerAttr' | number;
  groupAttr?: string;
  since?: TimeLike; until?: TimeLike; asOf?: TimeLike;
  currency?: string;
  fx?: FX | FxRate[];
  stageProbabilities?: Record<string, number>;
  forecastUntil?: TimeLike;
  benchmarkWinRate?: number;
  benchmarkCycleDays?: number;
  benchmarkDealSize?: number;
}

export interface RoiReportOptions {
  groupBy?: 'channel' | 'campaign' | 'region' | number;
  /** A model name or attribute() options with `model`; null: none. */
  revenue?: ModelName | (EngineAttributionOptions & { model?: ModelName }) | null;
  pipeline?: ModelName | (EngineAttributionOptions & { model?: ModelName }) | null;
  /** Funnel counts credited by stage-entry attribution: a stage name
   *  ('inquiry', 'mql', 'sql') or attribute() options with `stage` (and
   *  `model`, default linear).  A stageCounts value for the same group
   *  and stage wins over it. */
  leads?: string | (EngineAttributionOptions & { stage: string; model?: ModelName }) | null;
  mqls?: string | (EngineAttributionOptions & { stage: string; model?: ModelName }) | null;
  sqls?: string | (EngineAttributionOptions & { stage: string; model?: ModelName }) | null;
  since?: TimeLike; until?: TimeLike;
  region?: string; currency?: string; fx?: FX | FxRate[];
  valueScale?: number;
  /** Per group; null or missing: unknown (stageCounts() gives this shape). */
  stageCounts?: Record<string, { leads?: number | null; mqls?: number | null; sqls?: number | null; opportunities?: number | null; customers?: number | null }>;
  costs?: CostRecord[];
  benchmarkRevenueToCost?: number;
}

export type Period = 'all' | 'day' | 'week' | 'month' | 'quarter' | 'year' | 'custom';

export interface SpendReportOptions {
  groupBy?: 'channel' | 'campaign' | 'region' | number;
  period?: Period | number;
  since?: TimeLike; until?: TimeLike; boundaries?: TimeLike[];
  region?: string; currency?: string; fx?: FX | FxRate[]; costs?: CostRecord[];
}

export interface CohortReportOptions {
  period?: Period | number;
  since?: TimeLike; until?: TimeLike; boundaries?: TimeLike[]; asOf?: TimeLike;
  ages?: number[]; currency?: string; fx?: FX | FxRate[];
}

export interface TimeToConvertOptions {
  since?: TimeLike; until?: TimeLike; asOf?: TimeLike;
  windowDays?: number; coldThreshold?: number;
}

export type StageGroup = 'none' | 'channel' | 'campaign' | 'owner' | 'attr' | number;

/** A conversion to report and its benchmark range (ratios; null or
 *  missing: no bound). */
export type StagePair =
  | [string, string, (number | null)?, (number | null)?]
  | { from: string; to: string; low?: number | null; high?: number | null };

export interface StageFunnelOptions {
  groupBy?: StageGroup;
  groupAttr?: string;
  since?: TimeLike; until?: TimeLike; asOf?: TimeLike;
  pairs?: StagePair[];
}

export interface StageCohortOptions {
  /** Default: the first funnel stage. */
  stage?: string;
  period?: Period | number;
  since?: TimeLike; until?: TimeLike; boundaries?: TimeLike[]; asOf?: TimeLike;
  ages?: number[];
  targets?: string[];
}

export interface StageTimeToConvertOptions {
  toStage: string;
  /** Default: the first funnel stage. */
  fromStage?: string | null;
  since?: TimeLike; until?: TimeLike; asOf?: TimeLike;
  windowDays?: number; coldThreshold?: number;
}

export interface RejectionOptions {
  groupBy?: StageGroup;
  groupAttr?: string;
  since?: TimeLike; until?: TimeLike;
}

export interface StageCountsOptions {
  groupBy?: StageGroup;
  groupAttr?: string;
  view?: 'cumulative' | 'inPeriod' | number;
  since?: TimeLike; until?: TimeLike; asOf?: TimeLike;
  /** Stage names (undefined: the library's default, inquiry / mql / sql /
   *  none / none); null: not counted. */
  leadStage?: string | null; mqlStage?: string | null; sqlStage?: string | null;
  opportunityStage?: string | null; customerStage?: string | null;
}

/** One group's counts; null: not counted. */
export interface StageCounts {
  leads: number | null; mqls: number | null; sqls: number | null;
  opportunities: number | null; customers: number | null;
}

export type BudgetLine =
  | [string, number, number?, (number | null)?]
  | { name: string; weight?: number; min?: number; cap?: number | null };

export interface BudgetOptions { currency?: string; phases?: number; phaseWeights?: number[] }

export function survivalKm(days: number[], converted: ArrayLike<boolean | number>,
  options?: { windowDays?: number; coldThreshold?: number }): Report;
export function budgetAllocate(total: number, lines: Iterable<BudgetLine>, options?: BudgetOptions): Report;
export function currencyDigits(code: string): number;

export class MemoryStore {
  constructor();
  readonly closed: boolean;
  close(): void;
  [Symbol.dispose](): void;
}

export interface FileStoreOptions {
  sync?: 'everyRecord' | 'interval' | 'never';
  syncEveryRecords?: number;
  syncEveryMs?: number;
  createIfMissing?: boolean;
  recovery?: 'strict' | 'truncate';
}

export interface FileStoreStats {
  droppedBytes: number;
  droppedRecords: number;
  droppedOffset: number;
  records: number;
  firstSeq: number;
  lastSeq: number;
  journalBytes: number;
  snapshotSeq: number;
  hasSnapshot: boolean;
  failed: boolean;
  syncs: number;
}

export class FileStore {
  constructor(dir: string, options?: FileStoreOptions);
  readonly path: string;
  readonly openReport: string;
  readonly errmsg: string;
  readonly closed: boolean;
  stats(): FileStoreStats;
  close(): void;
  [Symbol.dispose](): void;
}

export interface JourneyInput {
  groups: string[];
  conversions?: number;
  nulls?: number;
  value?: number;
  times?: TimeLike[];
  conversionTime?: TimeLike;
  leadIndex?: number;
  opportunityIndex?: number;
  closeIndex?: number;
}

export interface PathsOptions {
  valueDecimals?: number;
  separator?: string;
}

export class Journeys {
  constructor(valueDecimals?: number);
  static readPaths(file: string, options?: PathsOptions): Journeys;
  static parsePaths(text: string | Uint8Array, options?: PathsOptions): Journeys;
  add(journey: JourneyInput): void;
  extend(journeys: Iterable<JourneyInput>): void;
  readonly length: number;
  readonly groupCount: number;
  close(): void;
  [Symbol.dispose](): void;
}

export type ModelName =
  | 'first' | 'last' | 'last_non_direct' | 'linear' | 'time_decay'
  | 'u_shaped' | 'w_shaped' | 'z_shaped' | 'j_shaped' | 'inverse_j'
  | 'custom' | 'markov' | 'shapley' | 'shapley_ordered';

export interface AttributionOptions {
  markovOrder?: number;
  shapleyValue?: 'rate' | 'conversions';
  halfLifeMs?: number;
  /** null: no direct group. */
  directGroup?: string | null;
  /** custom model: first, middle, last weights. */
  custom?: [number, number, number];
}

export interface AttributionRow {
  key: string;
  conversions: number;
  value: number;
  touches: number;
  removalEffect: number;
  valueRemovalEffect: number;
  positions: number[];
}

export interface AttributionResult {
  model: string;
  rows: AttributionRow[];
  totalConversions: number;
  totalValue: number;
  totalNulls: number;
  journeys: number;
  touches: number;
  valueDecimals: number;
  markovOrder: number;
  markovConversionProbability: number;
  markovStates: number;
  directGroup: string;
  halfLifeMs: number;
  /** Engine.attribute(): what the journeys were built from. */
  journeysStats?: JourneyStats;
}

export interface JourneyStats {
  currency: string;
  conversions: number;
  nonconverting: number;
  touches: number;
  untouched: number;
  untouchedValue: number;
  otherCurrency: number;
}

export interface EngineAttributionOptions extends AttributionOptions {
  /** stageEntry: each contact's first entry into `stage`, value 0. */
  conversion?: 'dealWon' | 'dealCreated' | 'stageEntry' | number;
  /** conversion 'stageEntry': a stage of the attached machine. */
  stage?: string;
  scope?: 'account' | 'contact' | number;
  groupBy?: 'channel' | 'campaign' | 'content' | 'utmSource' | 'utmMedium'
    | 'utmCampaign' | 'type' | 'channelCampaign' | 'contactAttr'
    | 'accountAttr' | 'owner' | number;
  groupAttr?: string;
  /** -1: unlimited; default 90 days. */
  lookbackMs?: number;
  excludeTypes?: string[];
  leadTypes?: string[];
  nonconverting?: Array<'lostDeals' | 'noDeal' | 'notEntered'> | 'lostDeals' | 'noDeal' | 'notEntered';
  currency?: string;
  since?: TimeLike;
  until?: TimeLike;
  unattributedKey?: string;
  /** amounts are minor units / 10^valueDecimals in results */
  valueDecimals?: number;
}

export function attribute(
  journeys: Journeys | Iterable<JourneyInput>,
  model?: ModelName | number,
  options?: AttributionOptions,
): AttributionResult;

export class AttributionPartial {
  constructor(models: Array<ModelName | number>,
    options?: AttributionOptions & { valueDecimals?: number });
  add(journeys: Journeys, first?: number, count?: number): void;
  merge(other: AttributionPartial): void;
  finish(model: ModelName | number): AttributionResult;
  /** A paths CSV file straight into this partial (all or nothing). */
  readPaths(file: string, options?: { separator?: string }): void;
  parsePaths(text: string | Uint8Array, options?: { separator?: string }): void;
  /** Versioned, checksummed bytes for another process. */
  save(): Uint8Array;
  static load(bytes: Uint8Array): AttributionPartial;
  close(): void;
  [Symbol.dispose](): void;
}

export const MODELS: Record<string, number>;
export const EVENT_KINDS: Record<number, string>;

export class FunnelcoreError extends Error {
  /** The negative FNL_E* status code. */
  readonly code: number;
  /** 'FNL_EINVAL', ... */
  readonly codeName: string;
  /** fnl_errmsg detail (also the message). */
  readonly detail: string;
  /** Paths CSV errors: where. */
  readonly line?: number;
  readonly column?: number;
}
export class InvalidArgument extends FunnelcoreError {}
export class OutOfMemory extends FunnelcoreError {}
export class StorageError extends FunnelcoreError {}
export class NotFound extends FunnelcoreError {}
export class Corrupt extends FunnelcoreError {}
export class VersionMismatch extends FunnelcoreError {}
export class Stale extends FunnelcoreError {}
export class OutOfRange extends FunnelcoreError {}
export class Canceled extends FunnelcoreError {}
export class AlreadyExists extends FunnelcoreError {}
export class LimitExceeded extends FunnelcoreError {}
export class Busy extends FunnelcoreError {}
export class Unsupported extends FunnelcoreError {}

export const codes: Record<string, number>;
export const libraryVersion: string;
export const libraryPath: string;
export function strerror(code: number): string;
export const TIME_NOW: bigint;
