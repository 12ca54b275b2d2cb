'use strict';
// The two text languages (scoring models, stage machines) share one way
// of being parsed and printed.

const { fn, T, init } = require('./native');
const { makeError, CODES } = require('./errors');

/** Call fnl_*_parse on text; the new handle, or an InvalidArgument-style
 *  error carrying line, column and parseMessage. */
function parseText(parseFn, text) {
  const buf = Buffer.isBuffer(text) ? text : Buffer.from(String(text), 'utf8');
  const err = init(T.fnl_parse_error, 'fnl_parse_error_init');
  const out = [null];
  const rc = parseFn(out, buf, buf.length, null, err);
  if (rc !== 0) {
    const msg = err.message || fn.fnl_strerror(rc);
    const where = err.line ? `line ${err.line}, column ${err.column}: ` : '';
    const e = makeError(rc, `${fn.fnl_strerror(rc)}: ${where}${msg}`);
    e.line = err.line;
    e.column = err.column;
    e.parseMessage = msg;
    throw e;
  }
  return out[0];
}

/** Call fnl_*_to_text twice: once for the length, once for the text. */
function canonicalText(toTextFn, ptr) {
  const n = [0];
  let rc = toTextFn(ptr, null, 0, n);
  if (rc !== 0 && rc !== CODES.FNL_ERANGE)
    throw makeError(rc, `${fn.fnl_strerror(rc)}: to_text`);
  const buf = Buffer.alloc(Number(n[0]) + 1);
  rc = toTextFn(ptr, buf, buf.length, n);
  if (rc !== 0) throw makeError(rc, `${fn.fnl_strerror(rc)}: to_text`);
  return buf.toString('utf8', 0, Number(n[0]));
}

module.exports = { parseText, canonicalText };
