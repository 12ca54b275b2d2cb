'use strict';
// funnelcore for Node.js: the embeddable B2B funnel and marketing-ROI
// engine (libfunnelcore) over koffi.  See docs/bindings.md.
//
// The shared library comes from FUNNELCORE_LIB (a file, or a directory
// holding libfunnelcore.so.0), else ../../build/src next to this package,
// else the system's libfunnelcore.so.0.

const native = require('./lib/native');
const errors = require('./lib/errors');
const { Engine, EVENT_KINDS } = require('./lib/engine');
const { MemoryStore, FileStore } = require('./lib/storage');
const { MODELS, Journeys, attribute, AttributionPartial } = require('./lib/attribution');
const { Model } = require('./lib/scoring');
const { Machine } = require('./lib/stages');
const { Report, FX, currencyDigits, survivalKm, budgetAllocate } = require('./lib/reports');

module.exports = {
  Engine, MemoryStore, FileStore, Journeys, attribute, AttributionPartial,
  MODELS, EVENT_KINDS, Model, Machine, Report, FX, currencyDigits, survivalKm,
  budgetAllocate,
  FunnelcoreError: errors.FunnelcoreError,
  InvalidArgument: errors.InvalidArgument,
  OutOfMemory: errors.OutOfMemory,
  StorageError: errors.StorageError,
  NotFound: errors.NotFound,
  Corrupt: errors.Corrupt,
  VersionMismatch: errors.VersionMismatch,
  Stale: errors.Stale,
  OutOfRange: errors.OutOfRange,
  Canceled: errors.Canceled,
  AlreadyExists: errors.AlreadyExists,
  LimitExceeded: errors.LimitExceeded,
  Busy: errors.Busy,
  Unsupported: errors.Unsupported,
  codes: errors.CODES,
  /** Version of the loaded shared library ("X.Y.Z"). */
  libraryVersion: native.version,
  /** Path the shared library was loaded from. */
  libraryPath: native.libPath,
  /** The library's short description of a status code. */
  strerror: (code) => native.fn.fnl_strerror(code),
  TIME_NOW: native.TIME_NOW,
};
