import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config, Settings } from '../../../src/config/model.js';
import { cleanStorageWith, type CleanDeps } from '../../../src/storage/clean.js';
import { DU_SCRIPT, measureTrees, parseDuOutput, type Measurement } from '../../../src/storage/disk-usage.js';
import { projectLayout } from '../../../src/storage/layout.js';
import { listStorage } from '../../../src/storage/usage.js';
import {
  formatContainerSizes, formatRemovalSizes, formatUsageSummary, suggestHardlink, summarizeUsage, type StorageItem,
} from '../../../src/storage/usage-report.js';
import type { SandboxSpec } from '../../../src/sandbox/types.js';
import { tempDir } from '../temp-dir.js';

const settings: Settings = { buildLockWait: false, proxyEnvVars: true, propagateEnviron: [], environ: {}, externalVolumes: {} };
const MB = 1000 * 1000;

test('parseDuOutput: each path alone, then what each adds, then the totals', () => {
  const text = '100\ta\n120\ta\n300\tb\n310\tb\n100\ta\n250\tb\n350\ttotal\n120\ta\n260\tb\n380\ttotal\n';
  assert.deepEqual(parseDuOutput(text, 2), {
    each: [{ disk: 100, apparent: 120 }, { disk: 300, apparent: 310 }],
    added: [{ disk: 100, apparent: 120 }, { disk: 250, apparent: 260 }],
    total: { disk: 350, apparent: 380 },
  });
  assert.throws(() => parseDuOutput('100\ta\n', 2), /Could not read the sizes/);
});

test('measureTrees runs du in a tool sandbox with the roots bound read-only and reads its output file', async () => {
  let seen: SandboxSpec | undefined;
  const m = await measureTrees(['/s/.roots/a.1', '/s/.roots/b.2'], ['/s/.roots'], async (spec) => {
    seen = spec;
    const out = spec.argv[4]!;
    writeFileSync(out, '1\tx\n2\tx\n3\ty\n4\ty\n1\tx\n3\ty\n4\tt\n2\tx\n4\ty\n6\tt\n');
    return { status: 0 } as never;
  });
  assert.deepEqual(m.total, { disk: 4, apparent: 6 });
  assert.deepEqual(seen!.argv.slice(0, 4), ['/bin/sh', '-c', DU_SCRIPT, 'sh']);
  assert.deepEqual(seen!.argv.slice(5), ['/s/.roots/a.1', '/s/.roots/b.2']);
  assert.ok(seen!.mounts.some((mt) => mt.kind === 'bind' && mt.source === '/s/.roots' && mt.readOnly), 'storage bound read-only');
  assert.ok(seen!.idMapping, 'runs in a user namespace with an id mapping');
  assert.deepEqual(await measureTrees([], []), { each: [], added: [], total: { disk: 0, apparent: 0 } });
  await assert.rejects(measureTrees(['/x'], ['/'], async () => ({ status: 1 }) as never), /du did not run/);
});

test('suggestHardlink: several versions, much space, little of it shared already', () => {
  assert.equal(suggestHardlink(3, 1500 * MB, 1400 * MB), true);
  assert.equal(suggestHardlink(3, 1500 * MB, 274 * MB), false, 'after _hardlink most is shared');
  assert.equal(suggestHardlink(1, 1500 * MB, 1500 * MB), false, 'one version has nothing to link with');
  assert.equal(suggestHardlink(2, 100 * MB, 100 * MB), false, 'too small to matter');
});

const items: StorageItem[] = [
  { kind: 'version', path: '/s/.roots/app.1', container: 'app' },
  { kind: 'version', path: '/s/.roots/app.2', container: 'app' },
  { kind: 'version', path: '/s/.roots/gone.3', container: 'gone' },
  { kind: 'volume', path: '/s/.volumes/db' },
];
const measurement: Measurement = {
  each: [{ disk: 500 * MB, apparent: 480 * MB }, { disk: 500 * MB, apparent: 480 * MB }, { disk: 10 * MB, apparent: 9 * MB }, { disk: 2 * MB, apparent: 1 * MB }],
  added: [{ disk: 500 * MB, apparent: 480 * MB }, { disk: 450 * MB, apparent: 430 * MB }, { disk: 10 * MB, apparent: 9 * MB }, { disk: 2 * MB, apparent: 1 * MB }],
  total: { disk: 962 * MB, apparent: 920 * MB },
};

test('_list --containers lines: names first, versions and sizes of built ones; unbuilt ones by name only', () => {
  const summary = summarizeUsage(items, measurement);
  assert.equal(formatContainerSizes(['web', 'app'], summary), `app${' '.repeat(17)}2 versions  1.0GB (apparent 960MB)\nweb\n`);
  assert.equal(formatContainerSizes(['b', 'a'], undefined), 'a\nb\n');
});

test('_list --containers lines: the linked version and whether it is current', () => {
  const summary = summarizeUsage(items, measurement);
  const linked = new Map([['app', { short: '1a2b3c4d', current: true }], ['web', { short: '99999999', current: false }]]);
  assert.equal(formatContainerSizes(['web', 'app', 'db'], summary, linked), [
    `app${' '.repeat(17)}2 versions  1.0GB (apparent 960MB)  linked 1a2b3c4d, current`,
    'db',
    `web${' '.repeat(17)}linked 99999999, outdated`,
    '',
  ].join('\n'));
  assert.match(formatContainerSizes(['app'], summary, new Map([['app', { short: '1a2b3c4d' }]])), /  linked 1a2b3c4d\n$/);
});

test('summary: a line per kind, the total with hard links counted once, stale containers, _hardlink advice', () => {
  const text = formatUsageSummary(summarizeUsage(items, measurement), new Set(['app', 'web']));
  assert.equal(text, [
    'Disk use (hard links counted once):',
    '  3 container versions       960MB (apparent 919MB)',
    '  1 persistent volume        2.0MB (apparent 1.0MB)',
    '  total                      962MB (apparent 920MB)',
    'Versions of containers not in vagga.yaml: gone (vagga _clean --unused)',
    'The 3 versions share few files (50MB of 1.0GB):',
    '  `vagga _hardlink` links identical files and may save much of it.',
    '',
  ].join('\n'));
  for (const line of text.split('\n')) assert.ok(line.length <= 80, line);
});

test('formatRemovalSizes: each path with its size (none for links) and what would be freed', () => {
  assert.equal(formatRemovalSizes(['.vagga/.roots/a.1', '.vagga/a'], [{ disk: 12 * MB, apparent: 11 * MB }, undefined], { disk: 12 * MB, apparent: 11 * MB }),
    'Would remove .vagga/.roots/a.1 (12MB)\nWould remove .vagga/a\nWould free up to 12MB (apparent 11MB), hard links counted once\n');
});

test('listStorage: versions first, then unfinished builds, transient copies, volumes, the cache', () => {
  const root = tempDir('vagga-usage-');
  const v = join(root, '.vagga');
  for (const d of ['.roots/b.22222222/root', '.roots/a.11111111/root', '.roots/.tmp.a', '.transient/a.11111111.5', '.volumes/db']) mkdirSync(join(v, d), { recursive: true });
  writeFileSync(join(v, '.roots/stray'), '');
  symlinkSync('.roots/a.11111111/root', join(v, 'a'));
  const cache = join(root, 'cache');
  mkdirSync(cache);
  const got = listStorage(projectLayout(root, settings), join(v, '.volumes'), () => cache);
  assert.deepEqual(got.map((i) => [i.kind, i.path.slice(root.length), i.container]), [
    ['version', '/.vagga/.roots/a.11111111', 'a'], ['version', '/.vagga/.roots/b.22222222', 'b'], ['tmp', '/.vagga/.roots/.tmp.a', undefined],
    ['transient', '/.vagga/.transient/a.11111111.5', undefined], ['volume', '/.vagga/.volumes/db', undefined], ['cache', '/cache', undefined],
  ]);
  const empty = tempDir('vagga-usage-');
  const notAsked = () => { throw new Error('not asked'); };
  assert.deepEqual(listStorage(projectLayout(empty, settings), join(empty, '.vagga/.volumes'), notAsked), []);
  mkdirSync(join(empty, '.vagga'));
  assert.deepEqual(listStorage(projectLayout(empty, settings), join(empty, '.vagga/.volumes'), notAsked), [], 'a .vagga with nothing stored');
  rmSync(root, { recursive: true, force: true });
});

test('_clean -n with sizes: each removed dir with its size, then what would be freed', async () => {
  const root = tempDir('vagga-usage-');
  const v = join(root, '.vagga');
  for (const d of ['app.11111111', 'app.22222222']) mkdirSync(join(v, '.roots', d, 'root'), { recursive: true });
  symlinkSync('.roots/app.11111111/root', join(v, 'app'));
  let out = '';
  let asked: string[] = [];
  const d: CleanDeps = {
    version: () => undefined, remove: async () => {}, isAlive: () => false, isLocked: async () => false,
    write: (t) => { out += t; },
    measure: async (paths) => {
      asked = paths;
      return { each: [{ disk: 5 * MB, apparent: 4 * MB }], added: [{ disk: 5 * MB, apparent: 4 * MB }], total: { disk: 5 * MB, apparent: 4 * MB } };
    },
  };
  const config = { projectRoot: root, containers: { app: {} } } as unknown as Config;
  const r = await cleanStorageWith(d, config, settings, { old: true, dryRun: true });
  assert.deepEqual(r.removed, [join(v, '.roots/app.22222222')]);
  assert.deepEqual(asked, [join(v, '.roots/app.22222222')]);
  assert.equal(out, 'Would remove .vagga/.roots/app.22222222 (5.0MB)\nWould free up to 5.0MB (apparent 4.0MB), hard links counted once\n');
  d.measure = async () => { throw new Error('bwrap is missing'); };
  out = '';
  await cleanStorageWith(d, config, settings, { old: true, dryRun: true });
  assert.equal(out, 'Would remove .vagga/.roots/app.22222222\nSizes not shown: bwrap is missing\n');
  rmSync(root, { recursive: true, force: true });
});
