/**
 * The build cache seen from the host (src/storage/layer-inventory.ts) and removing its layers
 * (src/storage/layer-clean.ts) on a fake store in a temp dir: what `_clean --cache` prints and
 * removes (all, `--at-least`, `-n`), that it waits for the store's lock and empties trash/
 * and tmp/, and the size budget after a build (skipped when the lock is busy, keeps the
 * build's stack).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanBuildCache, trimBuildCache, WAIT_MESSAGE, type LayerCleanDeps } from '../../../src/storage/layer-clean.js';
import { readLayers } from '../../../src/storage/layer-inventory.js';
import { tempDir } from '../temp-dir.js';
import { addLayer as addLayerAt } from './fake-layer-store.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 0, 10);

function addLayer(store: string, name: string, below: string[], bytes: number, daysAgo: number, made?: string): void {
  addLayerAt(store, name, below, bytes, NOW - daysAgo * DAY, made);
}

const [A, B, C, D] = ['a'.repeat(32), 'b'.repeat(32), 'c'.repeat(32), 'd'.repeat(32)];

/** base A <- B <- C (used 1 day ago), A <- D (used 20 days ago); a trash and a tmp entry. */
function makeStore(): string {
  const store = join(tempDir('vagga-layers-'), '.layers');
  for (const d of ['layers', 'tmp', 'locks', 'trash', 'empty']) mkdirSync(join(store, d), { recursive: true });
  addLayer(store, A, [], 1_000_000, 1, 'bb step 1/3 !Tar ./busybox.tar');
  addLayer(store, B, [A], 2000, 1);
  addLayer(store, C, [A, B], 300, 1, 'bb finish');
  addLayer(store, D, [A], 50_000, 20, 'bb step 2/3 !Sh "echo old"');
  mkdirSync(join(store, 'trash', `${B}.1.2`, 'diff'), { recursive: true });
  mkdirSync(join(store, 'tmp', `${D}.xyz`, 'work'), { recursive: true });
  writeFileSync(join(store, 'locks', `${D}.lock`), '');
  return store;
}

function fakeDeps(opts: { busy?: boolean } = {}) {
  let out = '';
  const removed: string[] = [];
  const locks: string[] = [];
  const deps: LayerCleanDeps = {
    async remove(path) { removed.push(path); rmSync(path, { recursive: true, force: true }); },
    async lock(path, onWait) {
      if (opts.busy) onWait();
      locks.push(`lock ${path}`);
      return { release: async () => { locks.push('release'); } };
    },
    async tryLock(path) {
      if (opts.busy) return undefined;
      locks.push(`try ${path}`);
      return { release: async () => { locks.push('release'); } };
    },
    write: (t) => { out += t; },
    now: () => NOW,
  };
  return { deps, out: () => out, removed, locks };
}

const layerNames = (store: string) => readdirSync(join(store, 'layers')).sort();

test('readLayers: metadata, last use from last_use, broken layers', () => {
  const store = makeStore();
  rmSync(join(store, 'layers', A), { recursive: true });
  mkdirSync(join(store, 'layers', 'e'.repeat(32)));
  const layers = readLayers(store);
  assert.deepEqual(layers.map((l) => [l.name[0], l.broken]), [['b', true], ['c', true], ['d', true], ['e', true]]);
  const d = layers.find((l) => l.name === D)!;
  assert.equal(d.bytes, 50_000);
  assert.equal(d.lastUse, NOW - 20 * DAY);
  assert.equal(d.made, 'bb step 2/3 !Sh "echo old"');
  assert.deepEqual(readLayers(join(store, 'missing')), []);
});

test('_clean --cache -n lists each layer (what made it, size, age) and the total; removes nothing, takes no lock', async () => {
  const store = makeStore();
  const f = fakeDeps();
  const listed = await cleanBuildCache(store, { dryRun: true }, f.deps);
  assert.equal(listed.length, 4);
  assert.equal(f.out(), [
    'Would remove layer bb step 2/3 !Sh "echo old" (50KB, last used 20 days ago)\n',
    `Would remove layer bb finish (300B, last used 1 day ago)\n`,
    `Would remove layer bb step ${B} (2.0KB, last used 1 day ago)\n`,
    'Would remove layer bb step 1/3 !Tar ./busybox.tar (1.0MB, last used 1 day ago)\n',
    `Would free 1.1MB of the build cache's 1.1MB (4 of 4 layers; ${store})\n`,
  ].join(''));
  assert.deepEqual(layerNames(store), [A, B, C, D]);
  assert.deepEqual(f.removed, []);
  assert.deepEqual(f.locks, []);
});

test('_clean --cache --at-least: only layers unused for that long', async () => {
  const store = makeStore();
  const f = fakeDeps();
  await cleanBuildCache(store, { atLeast: 10 * DAY, dryRun: true }, f.deps);
  assert.match(f.out(), /^Would free 50KB of the build cache's 1.1MB \(1 of 4 layers; /m);
  const removed = await cleanBuildCache(store, { atLeast: 10 * DAY }, f.deps);
  assert.deepEqual(removed.map((l) => l.name), [D]);
  assert.deepEqual(layerNames(store), [A, B, C]);
  assert.ok(!existsSync(join(store, 'locks', `${D}.lock`)));
  const none = await cleanBuildCache(store, { atLeast: 30 * DAY }, fakeDeps().deps);
  assert.deepEqual(none, []);
  assert.deepEqual(layerNames(store), [A, B, C]);
});

test('_clean --cache: every layer goes by way of trash/, trash/ and tmp/ are emptied, under the exclusive lock', async () => {
  const store = makeStore();
  const f = fakeDeps({ busy: true });
  await cleanBuildCache(store, {}, f.deps);
  assert.deepEqual(layerNames(store), []);
  assert.deepEqual(readdirSync(join(store, 'trash')), []);
  assert.deepEqual(readdirSync(join(store, 'tmp')), []);
  assert.deepEqual(f.removed, [join(store, 'trash'), join(store, 'tmp')]);
  assert.deepEqual(f.locks, [`lock ${join(store, 'gc.lock')}`, 'release']);
  assert.ok(f.out().startsWith(WAIT_MESSAGE), f.out());
  assert.equal(f.out().split('\n').filter((l) => l.startsWith('Removing layer')).length, 4);
  assert.match(f.out(), /^Removed 4 layers \(1\.1MB\) from the build cache; 0 layers \(0B\) left$/m);
});

test('_clean --cache on a store that was never made: says so', async () => {
  const f = fakeDeps();
  assert.deepEqual(await cleanBuildCache(join(tempDir('vagga-layers-'), '.layers'), {}, f.deps), []);
  assert.match(f.out(), /^The build cache is empty/);
});

test('budget: over it, LRU layers go but never the stack just built; one line', async () => {
  const store = makeStore();
  const f = fakeDeps();
  const sel = await trimBuildCache(store, 1_010_000, [A, B, C], 1, f.deps);
  assert.deepEqual(sel?.remove.map((l) => l.name), [D]);
  assert.deepEqual(layerNames(store), [A, B, C]);
  assert.equal(f.out(), 'Build cache over its budget (1.1MB of 1.0MB): removed 1 layer (50KB)\n');
  assert.deepEqual(f.locks, [`try ${join(store, 'gc.lock')}`, 'release']);
  // A budget smaller than the protected stack: nothing more can go, nothing is printed.
  const g = fakeDeps();
  assert.equal(await trimBuildCache(store, 0, [A, B, C], 1, g.deps), undefined);
  assert.equal(g.out(), '');
});

test('budget: within it nothing is locked; with the lock busy (another build) nothing happens', async () => {
  const store = makeStore();
  const f = fakeDeps();
  assert.equal(await trimBuildCache(store, 10_000_000, [A, B, C], 1, f.deps), undefined);
  assert.deepEqual(f.locks, []);
  const busy = fakeDeps({ busy: true });
  assert.equal(await trimBuildCache(store, 0, [], 1, busy.deps), undefined);
  assert.deepEqual(layerNames(store), [A, B, C, D]);
  assert.equal(busy.out(), '');
});
