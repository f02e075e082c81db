/**
 * The bundle (scripts/bundle.mjs -> dist/): an executable ESM entry with a node shebang whose
 * main chunk stays small (start-up time matters on every command), heavy modules in lazy
 * chunks, and it runs as the ordinary test user from the staged copy.
 */
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
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
