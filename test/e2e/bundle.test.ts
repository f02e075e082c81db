/**
 * The bundle (scripts/bundle.mjs -> dist/): an executable ESM entry with a node shebang whose
 * main chunk stays small (start-up time matters on every command), heavy modules in lazy
 * chunks, and it runs as the ordinary test user from the staged copy.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, test } from 'node:test';
import { cleanupStage, makeProject, repoRoot, show, vagga } from './harness.js';

after(cleanupStage);

const main = join(repoRoot, 'dist/vagga.mjs');

test('dist/vagga.mjs is an executable node script', () => {
  const st = statSync(main);
  assert.ok(st.mode & 0o100, 'owner-executable');
  assert.ok(readFileSync(main, 'utf8').startsWith('#!/usr/bin/env node\n'));
});

test('the main chunk is small and leaves the YAML parser to a lazy chunk', () => {
  const text = readFileSync(main, 'utf8');
  assert.ok(text.length < 150 * 1024, `main chunk is ${(text.length / 1024).toFixed(0)} KiB`);
  assert.doesNotMatch(text, /YAMLParseError/, 'the yaml package is not in the main chunk');
  const chunks = readdirSync(join(repoRoot, 'dist/chunks'));
  assert.ok(chunks.length > 0, 'there are lazy chunks');
  assert.ok(chunks.some((c) => /YAMLParseError/.test(readFileSync(join(repoRoot, 'dist/chunks', c), 'utf8'))), 'yaml is in a chunk');
});

test('vagga --version runs as the test user from the staged bundle', async () => {
  const dir = await makeProject({}, { busybox: false, name: 'bundle' });
  const r = await vagga(dir, ['--version']);
  assert.equal(r.status, 0, show(r));
  assert.match(r.stdout, /\d+\.\d+/, show(r));
});

test('lazily imported CommonJS packages keep their named exports in the bundle', () => {
  const out = mkdtempSync(join(tmpdir(), 'vagga-bundle-probe-'));
  try {
    const b = spawnSync(process.execPath, [
      'scripts/bundle.mjs', '--entry', 'test/fixtures/e2e/bundle-probe/main.ts', '--outdir', relative(repoRoot, out),
    ], { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
    const r = spawnSync(join(out, 'vagga.mjs'), [], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { named: 'function', destructured: '{"a":[1,2]}', cjsDefault: 'function' });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
