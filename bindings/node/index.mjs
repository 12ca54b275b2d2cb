// ESM entry: the CommonJS module's exports, as named exports.
import fc from './index.js';

export const {
  Engine, MemoryStore, FileStore, Journeys, attribute, AttributionPartial,
  MODELS, EVENT_KINDS, FunnelcoreError, InvalidArgument, OutOfMemory,
  StorageError, NotFound, Corrupt, VersionMismatch, Stale, OutOfRange,
  Canceled, AlreadyExists, LimitExceeded, Busy, Unsupported, codes,
  libraryVersion, libraryPath, strerror, TIME_NOW, Model, Machine, Report, FX,
  currencyDigits, survivalKm, budgetAllocate,
} = fc;
export default fc;
