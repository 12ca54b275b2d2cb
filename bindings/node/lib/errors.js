'use strict';
// Errors thrown by funnelcore.  Every failing library call throws a
// subclass of FunnelcoreError carrying the C status code (`code`, e.g. -1),
// its symbolic name (`codeName`, e.g. 'FNL_EINVAL') and the engine's detail
// (`detail`, from fnl_errmsg, also the message).

const CODES = {
  FNL_EINVAL: -1, FNL_ENOMEM: -2, FNL_EIO: -3, FNL_ENOTFOUND: -4,
  FNL_ECORRUPT: -5, FNL_EVERSION: -6, FNL_ESTALE: -7, FNL_ERANGE: -8,
  FNL_ECANCELED: -9, FNL_EEXIST: -10, FNL_ELIMIT: -11, FNL_EBUSY: -12,
  FNL_EUNSUPPORTED: -13,
};
const NAMES = Object.fromEntries(Object.entries(CODES).map(([k, v]) => [v, k]));

class FunnelcoreError extends Error {
  constructor(code, detail) {
    super(detail);
    this.code = code;
    this.codeName = NAMES[code] || `FNL_E${-code}`;
    this.detail = detail;
  }

  get name() {
    return this.constructor.name;
  }
}

class InvalidArgument extends FunnelcoreError {}
class OutOfMemory extends FunnelcoreError {}
class StorageError extends FunnelcoreError {}
class NotFound extends FunnelcoreError {}
class Corrupt extends FunnelcoreError {}
class VersionMismatch extends FunnelcoreError {}
class Stale extends FunnelcoreError {}
class OutOfRange extends FunnelcoreError {}
class Canceled extends FunnelcoreError {}
class AlreadyExists extends FunnelcoreError {}
class LimitExceeded extends FunnelcoreError {}
class Busy extends FunnelcoreError {}
class Unsupported extends FunnelcoreError {}

const BY_CODE = {
  [-1]: InvalidArgument, [-2]: OutOfMemory, [-3]: StorageError,
  [-4]: NotFound, [-5]: Corrupt, [-6]: VersionMismatch, [-7]: Stale,
  [-8]: OutOfRange, [-9]: Canceled, [-10]: AlreadyExists,
  [-11]: LimitExceeded, [-12]: Busy, [-13]: Unsupported,
};

/** The error object for a status code with a detail text. */
function makeError(code, detail) {
  const Cls = BY_CODE[code] || FunnelcoreError;
  return new Cls(code, detail);
}

module.exports = {
  CODES, FunnelcoreError, InvalidArgument, OutOfMemory, StorageError,
  NotFound, Corrupt, VersionMismatch, Stale, OutOfRange, Canceled,
  AlreadyExists, LimitExceeded, Busy, Unsupported, makeError,
};
