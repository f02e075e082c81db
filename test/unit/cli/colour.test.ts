import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { paint } from '../../../src/cli/colour.js';

const SRC = resolve(fileURLToPath(import.meta.url), '../../../../src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

test('paint: SGR codes only when colour is on', () => {
  assert.equal(paint(true, 'error', 'x'), '\x1b[1;31mx\x1b[0m');
  assert.equal(paint(false, 'error', 'x'), 'x');
});

test('every colour escape in src/ is in src/cli/colour.ts (the one place deciding on colour)', () => {
  const escape = /\\x1b\[|\\u001b\[|\\033\[|\\x1B\[|\\u001B\[/;
  const offenders = files(SRC).filter((f) => escape.test(readFileSync(f, 'utf8'))).map((f) => relative(SRC, f));
  assert.deepEqual(offenders, ['cli/colour.ts']);
});
