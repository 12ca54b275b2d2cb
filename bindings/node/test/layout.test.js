'use strict';
// The koffi structs match the C header (sizeof and every offsetof).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { koffi, STRUCTS } = require('../lib/native');

const REPO = path.resolve(__dirname, '..', '..', '..');

function cc() {
  for (const c of ['cc', 'gcc', 'clang']) {
    try { execFileSync(c, ['--version'], { stdio: 'ignore' }); return c; } catch { /* next */ }
  }
  return null;
}

test('every struct matches the C layout', (t) => {
  const compiler = cc();
  if (!compiler || !fs.existsSync(path.join(REPO, 'include', 'funnelcore.h'))) {
    t.skip('needs a C compiler and the source tree');
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fnl-abi-'));
  const lines = ['#include <stdio.h>', '#include <stddef.h>', '#include "funnelcore.h"'];
  for (const d of ['attribution_api.h', 'attribution_engine_api.h']) {
    if (fs.existsSync(path.join(REPO, 'src', d))) lines.push(`#include "${d}"`);
  }
  lines.push('int main(void) {', 'printf("{");');
  const headers = ['include/funnelcore.h', 'src/attribution_engine_api.h']
    .filter((h) => fs.existsSync(path.join(REPO, h)))
    .map((h) => fs.readFileSync(path.join(REPO, h), 'utf8')).join('\n');
  const structs = Object.entries(STRUCTS).filter(([name]) => headers.includes(`} ${name};`));
  assert.ok(structs.length >= 28, 'most structs are declared');
  structs.forEach(([name, type], i) => {
    lines.push(`printf("${i ? ',' : ''}\\"${name}\\": [%zu", sizeof(${name}));`);
    for (const f of Object.keys(koffi.introspect(type).members)) lines.push(`printf(", %zu", offsetof(${name}, ${f}));`);
    lines.push('printf("]");');
  });
  lines.push('printf("}\\n"); return 0; }');
  fs.writeFileSync(path.join(dir, 'layout.c'), lines.join('\n'));
  execFileSync(compiler, ['-I', path.join(REPO, 'include'), '-I', path.join(REPO, 'src'), path.join(dir, 'layout.c'), '-o', path.join(dir, 'layout')]);
  const c = JSON.parse(execFileSync(path.join(dir, 'layout'), { encoding: 'utf8' }));
  for (const [name, type] of structs) {
    const info = koffi.introspect(type);
    const got = [info.size, ...Object.values(info.members).map((m) => m.offset)];
    assert.deepEqual(got, c[name], name);
  }
  fs.rmSync(dir, { recursive: true });
});
