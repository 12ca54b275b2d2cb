'use strict';
// The built-in storages.  Pass one to `new Engine({storage})` to make the
// engine persistent: every mutation is journaled through it first, and
// opening an engine on it replays the state.  The store is lent to the
// engine until the engine closes; close the store after the engine.
// (Driving a store's callbacks directly -- append, replay, snapshots -- is
// available from Python; here a store is opened, inspected and closed.)

const { fn, T, init } = require('./native');
const { makeError, CODES } = require('./errors');
const { invalid, str, int } = require('./engine');

const SYNC = { everyRecord: 0, interval: 1, never: 2 };
const RECOVERY = { strict: 0, truncate: 1 };

class Store {
  constructor(ptr) {
    this._ptr = ptr;
    this._engine = null;
  }

  _attach(engine) {
    if (this._ptr === null) throw invalid('storage is closed');
    if (this._engine !== null) throw makeError(CODES.FNL_EBUSY, 'busy: the storage belongs to another engine');
    this._engine = engine;
    return this._ptr;
  }

  _detach(engine) {
    if (this._engine === engine) this._engine = null;
  }

  /** Close the store; Busy while an open engine uses it. */
  close() {
    if (this._engine !== null) throw makeError(CODES.FNL_EBUSY, 'busy: close the engine that uses this storage first');
    const p = this._ptr;
    this._ptr = null;
    if (p !== null) fn.fnl_storage_close(p);
  }

  get closed() {
    return this._ptr === null;
  }
}
if (typeof Symbol.dispose === 'symbol') {
  Store.prototype[Symbol.dispose] = function dispose() { this.close(); };
}

class MemoryStore extends Store {
  constructor() {
    const out = [null];
    const rc = fn.fnl_storage_mem_open(out, null);
    if (rc !== 0) throw makeError(rc, fn.fnl_strerror(rc));
    super(out[0]);
  }
}

class FileStore extends Store {
  /**
   * @param {string} dir
   * @param {object} [opts] sync ('everyRecord'|'interval'|'never'),
   *   syncEveryRecords, syncEveryMs, createIfMissing (true),
   *   recovery ('strict'|'truncate')
   */
  constructor(dir, opts = {}) {
    const o = init(T.fnl_storage_file_options, 'fnl_storage_file_options_init');
    const sync = opts.sync ?? 'everyRecord';
    const rec = opts.recovery ?? 'strict';
    if (!(sync in SYNC)) throw invalid(`sync must be one of ${Object.keys(SYNC).join(', ')}`);
    if (!(rec in RECOVERY)) throw invalid('recovery must be strict or truncate');
    o.sync_policy = SYNC[sync];
    o.sync_every_records = int(opts.syncEveryRecords ?? 0, 'syncEveryRecords', 0);
    o.sync_every_ms = int(opts.syncEveryMs ?? 0, 'syncEveryMs', 0);
    o.create_if_missing = opts.createIfMissing === false ? 0 : 1;
    o.recovery = RECOVERY[rec];
    const errbuf = Buffer.alloc(512);
    o.errbuf = errbuf;
    o.errbuf_size = errbuf.length;
    const out = [null];
    const rc = fn.fnl_storage_file_open(out, str(dir, 'dir'), o);
    const nul = errbuf.indexOf(0);
    const text = errbuf.toString('utf8', 0, nul < 0 ? errbuf.length : nul);
    if (rc !== 0) throw makeError(rc, `${fn.fnl_strerror(rc)}: ${dir}: ${text}`);
    super(out[0]);
    this.path = dir;
    /** What recovery reported at open ('' when nothing was cut). */
    this.openReport = text;
  }

  stats() {
    if (this._ptr === null) throw invalid('storage is closed');
    const i = init(T.fnl_storage_file_info, 'fnl_storage_file_info_init');
    const rc = fn.fnl_storage_file_stats(this._ptr, i);
    if (rc !== 0) throw makeError(rc, fn.fnl_strerror(rc));
    return {
      droppedBytes: i.dropped_bytes, droppedRecords: i.dropped_records,
      droppedOffset: i.dropped_offset, records: i.records,
      firstSeq: i.first_seq, lastSeq: i.last_seq,
      journalBytes: i.journal_bytes, snapshotSeq: i.snapshot_seq,
      hasSnapshot: i.has_snapshot !== 0, failed: i.failed !== 0, syncs: i.syncs,
    };
  }

  /** Detail of the store's last failure ('' if none). */
  get errmsg() {
    return this._ptr === null ? '' : fn.fnl_storage_file_errmsg(this._ptr);
  }
}

module.exports = { MemoryStore, FileStore };
