/**
 * The typecheck as a test, so its result is counted in the single test-runner summary that
 * scripts/test.sh ends with: `npx tsc --noEmit -p .` (tsconfig.json: src, test, bench)
 * must exit 0. On failure the compiler's diagnostics are the assertion message.
 */
import { spawnSync } from 'node:child_process';
import { strict as assert } from 'node:assert';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

test('typecheck: npx tsc --noEmit -p . reports no errors', () => {
  const r = spawnSync('npx', ['tsc', '--noEmit', '-p', '.'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.error, undefined, String(r.error));
  assert.equal(r.status, 0, `tsc exited ${r.status}:\n${r.stdout}${r.stderr}`);
});
