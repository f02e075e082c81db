import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { codeCachePath, fnv1a, joinCacheFile, splitCacheFile } from '../../../src/cli/code-cache.js';

const base = mkdtempSync(join(tmpdir(), 'vagga-code-cache-'));
after(() => rmSync(base, { recursive: true, force: true }));

const moduleUrl = new URL('../../../src/cli/code-cache.ts', import.meta.url).href;

/** Run `runBundle(main, args)` in a fresh node (as dist/vagga.cjs does) with XDG_CACHE_HOME=cache. */
function run(main: string, cache: string, args: string[] = [], env: Record<string, string> = {}) {
  const code = `import(${JSON.stringify(moduleUrl)}).then((m) => m.runBundle(process.argv[1], process.argv.slice(2)))`;
  return spawnSync(process.execPath, ['--import', 'tsx', '-e', code, main, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: base, XDG_CACHE_HOME: cache, ...env },
  });
}

const bundleText = `
const path = require('node:path');
module.exports.answer = 42;
process.stdout.write(JSON.stringify({ join: typeof path.join, file: __filename, dir: __dirname, self: this === module.exports, args: process.argv.slice(2) }));
`;

test('fnv1a and the cache file format', () => {
  assert.equal(fnv1a(''), '811c9dc5');
  assert.equal(fnv1a('a'), 'e40c292c');
  assert.notEqual(fnv1a('/opt/a/vagga-main.cjs'), fnv1a('/opt/b/vagga-main.cjs'));
  const joined = joinCacheFile('["v20",1]', Buffer.from([1, 10, 2]));
  assert.deepEqual(splitCacheFile(joined), { key: '["v20",1]', data: Buffer.from([1, 10, 2]) });
  assert.equal(splitCacheFile(Buffer.from('no newline')), undefined);
  assert.equal(codeCachePath('/d/m.cjs', { XDG_CACHE_HOME: '/c' }), `/c/vagga/code-cache-${fnv1a('/d/m.cjs')}.bin`);
  assert.equal(codeCachePath('/d/m.cjs', { XDG_CACHE_HOME: 'rel', HOME: '/h' }), `/h/.cache/vagga/code-cache-${fnv1a('/d/m.cjs')}.bin`);
});

test('runBundle runs the bundle like require, writes the cache once and then uses it', () => {
  const dir = mkdtempSync(join(base, 'b-'));
  const main = resolve(dir, 'vagga-main.cjs');
  writeFileSync(main, bundleText);
  const cache = join(dir, 'cache');
  const file = codeCachePath(main, { XDG_CACHE_HOME: cache });

  const first = run(main, cache, ['_run', 'x']);
  assert.equal(first.status, 0, first.stderr);
  assert.deepEqual(JSON.parse(first.stdout), { join: 'function', file: main, dir, self: true, args: ['_run', 'x'] });
  assert.ok(existsSync(file), 'the cache is written at exit');
  const header = splitCacheFile(readFileSync(file))!.key;
  assert.equal(JSON.parse(header)[2], main);

  // An accepted cache is not rewritten: set its mtime back and check it stays.
  utimesSync(file, 1000, 1000);
  const second = run(main, cache, ['_run', 'x']);
  assert.equal(second.stdout, first.stdout);
  assert.equal(statSync(file).mtimeMs, 1000 * 1000);

  // A changed bundle (other size/mtime) gets a fresh cache.
  writeFileSync(main, `${bundleText}\n// changed\n`);
  const third = run(main, cache);
  assert.equal(third.status, 0, third.stderr);
  assert.notEqual(statSync(file).mtimeMs, 1000 * 1000);
  assert.notEqual(splitCacheFile(readFileSync(file))!.key, header);

  // Damaged cache data: V8 rejects it, the bundle still runs, and the cache is replaced.
  const key = splitCacheFile(readFileSync(file))!.key;
  writeFileSync(file, joinCacheFile(key, Buffer.from('garbage, not V8 code cache')));
  const fourth = run(main, cache);
  assert.equal(fourth.status, 0, fourth.stderr);
  assert.ok(readFileSync(file).length > key.length + 40);
});

test('no cache for the builder personality or with VAGGA_NO_CODE_CACHE', () => {
  const dir = mkdtempSync(join(base, 'n-'));
  const main = resolve(dir, 'vagga-main.cjs');
  writeFileSync(main, bundleText);
  const cache = join(dir, 'cache');
  const builder = run(main, cache, ['__builder__', 'x']);
  assert.equal(builder.status, 0, builder.stderr);
  assert.deepEqual(JSON.parse(builder.stdout).args, ['__builder__', 'x']);
  const disabled = run(main, cache, [], { VAGGA_NO_CODE_CACHE: '1' });
  assert.equal(disabled.status, 0, disabled.stderr);
  assert.equal(existsSync(join(cache, 'vagga')), false);
});
