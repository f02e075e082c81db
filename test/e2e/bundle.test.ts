/**
 * The bundle (scripts/bundle.mjs -> dist/): the entry users run is package.json's `bin`,
 * dist/vagga.cjs, a CommonJS fast entry that loads dist/vagga-main.cjs through a V8 code cache;
 * the ESM entry dist/vagga.mjs keeps a small main chunk with heavy modules in lazy chunks and
 * must keep working (it is what `node dist/vagga.mjs` and older links run). Both run as the
 * ordinary test user from the staged copy.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, test } from 'node:test';
import { cleanupStage, makeProject, repoRoot, show, vagga, USER_ENTRY } from './harness.js';

after(cleanupStage);

const main = join(repoRoot, 'dist/vagga.mjs');

test('package.json bin.vagga is the CommonJS fast entry, an executable node script', () => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  assert.equal(pkg.bin.vagga, `dist/${USER_ENTRY}`);
  const entry = join(repoRoot, pkg.bin.vagga);
  assert.ok(statSync(entry).mode & 0o100, 'owner-executable');
  const text = readFileSync(entry, 'utf8');
  assert.ok(text.startsWith('#!/usr/bin/env node\n'));
  assert.ok(text.includes('vagga-main.cjs'), 'the entry loads vagga-main.cjs');
  assert.ok(statSync(join(repoRoot, 'dist/vagga-main.cjs')).size > 0);
});

test('vagga.cjs writes its V8 code cache on first use and runs with it afterwards', async () => {
  const dir = await makeProject({}, { busybox: false, name: 'codecache' });
  const xdg = join(dir, 'xdg-cache');
  const first = await vagga(dir, ['--version'], { env: { XDG_CACHE_HOME: xdg } });
  assert.equal(first.status, 0, show(first));
  const files = readdirSync(join(xdg, 'vagga')).filter((f) => /^code-cache-[0-9a-f]{8}\.bin$/.test(f));
  assert.equal(files.length, 1, `cache files: ${readdirSync(join(xdg, 'vagga')).join(', ')}`);
  const cache = join(xdg, 'vagga', files[0]!);
  const before = statSync(cache).mtimeMs;
  const second = await vagga(dir, ['--version'], { env: { XDG_CACHE_HOME: xdg } });
  assert.equal(second.status, 0, show(second));
  assert.equal(second.stdout, first.stdout);
  assert.equal(statSync(cache).mtimeMs, before, 'a valid cache is used, not rewritten');
});

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

test('vagga --version runs as the test user from the staged bundle (both entries)', async () => {
  const dir = await makeProject({}, { busybox: false, name: 'bundle' });
  const cjs = await vagga(dir, ['--version']);
  assert.equal(cjs.status, 0, show(cjs));
  assert.match(cjs.stdout, /\d+\.\d+/, show(cjs));
  const esm = await vagga(dir, ['--version'], { entry: 'vagga.mjs' });
  assert.equal(esm.status, 0, show(esm));
  assert.equal(esm.stdout, cjs.stdout);
});

test('the ESM entry dist/vagga.mjs builds a container (its builder re-runs vagga.mjs) and runs a command', async () => {
  const dir = await makeProject({
    'vagga.yaml': 'containers:\n  bb:\n    setup:\n    - !Tar { url: ./busybox.tar }\n    - !Sh echo built-by-esm > /marker\n',
  }, { name: 'esm' });
  const r = await vagga(dir, ['_run', 'bb', 'cat', '/marker'], { entry: 'vagga.mjs', timeoutMs: 300_000 });
  assert.equal(r.status, 0, show(r));
  assert.equal(r.stdout, 'built-by-esm\n', show(r));
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
