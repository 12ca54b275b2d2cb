// The ESM entry exports the same objects as the CommonJS one.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fc, { Engine, Machine, attribute, NotFound, libraryVersion } from '../index.mjs';

const require = createRequire(import.meta.url);

test('ESM named and default exports match CommonJS', () => {
  const cjs = require('../index.js');
  assert.equal(Engine, cjs.Engine);
  assert.equal(attribute, cjs.attribute);
  assert.equal(Machine, cjs.Machine);
  assert.equal(fc, cjs);
  assert.equal(libraryVersion, '0.1.0');
  const e = new Engine();
  assert.throws(() => e.contact(5), NotFound);
  e.close();
});
