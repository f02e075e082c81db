/**
 * Skipping `apt-get update` on fresh cached lists: apt's list file naming, the coverage check
 * against the root's sources, the refresh stamp, and apt-run's skip / update-and-retry logic
 * against a fake BuildContext (no apt runs here; test/e2e/debian-packages-offline-reuse.test.ts runs real apt).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildContext } from '../../../src/steps/step.js';
import { StepFailedError } from '../../../src/builder/errors.js';
import { installStep } from '../../../src/steps/packages.js';
import { activateDistro } from '../../../src/steps/debian/distro.js';
import { aptInstallArgv, aptListsCacheName, aptUpdateArgv, sourcesListText } from '../../../src/steps/debian/apt.js';
import { writeAptSource } from '../../../src/steps/debian/repos.js';
import {
  APT_LISTS_MAX_AGE_MS, aptUriToFileName, cachedListsUsable, expectedLists, listsCover, listsStampPath, parseSourcesList,
  readListsStamp, rootSources, writeListsStamp,
} from '../../../src/steps/debian/apt-lists.js';
import { tempDir } from '../temp-dir.js';

const MIRROR = 'http://mirror.example/debian';
/** What `apt-get update` leaves in the lists dir for sourcesListText(MIRROR, 'bookworm'). */
const MAIN_LISTS = [
  'mirror.example_debian_dists_bookworm_InRelease',
  'mirror.example_debian_dists_bookworm_main_binary-amd64_Packages',
  'mirror.example_debian_dists_bookworm_main_i18n_Translation-en',
];

test('apt list file names: scheme and credentials dropped, specials quoted, / -> _', () => {
  assert.equal(aptUriToFileName('http://mirror.example/debian/dists/bookworm/InRelease'), 'mirror.example_debian_dists_bookworm_InRelease');
  assert.equal(aptUriToFileName('https://u:p@h.example:8080/a_b/~x/'), 'h.example:8080_a%5fb_%7ex_');
  assert.deepEqual(expectedLists({ type: 'deb', uri: MIRROR, suite: 'bookworm', components: ['main', 'contrib'] }), {
    release: ['mirror.example_debian_dists_bookworm_InRelease', 'mirror.example_debian_dists_bookworm_Release'],
    indexPrefixes: ['mirror.example_debian_dists_bookworm_main_binary-', 'mirror.example_debian_dists_bookworm_contrib_binary-'],
  });
  assert.deepEqual(expectedLists({ type: 'deb', uri: 'http://r.example/repo/', suite: './', components: [] }).indexPrefixes, ['r.example_repo_Packages']);
});

test('sources.list parsing: options dropped, comments skipped, junk -> undefined', () => {
  assert.deepEqual(parseSourcesList('# c\n\ndeb [trusted=yes] http://a.example/x bookworm main contrib # tail\ndeb-src http://a.example/x bookworm main\n'), [
    { type: 'deb', uri: 'http://a.example/x', suite: 'bookworm', components: ['main', 'contrib'] },
    { type: 'deb-src', uri: 'http://a.example/x', suite: 'bookworm', components: ['main'] },
  ]);
  assert.equal(parseSourcesList('deb http://a.example/x bookworm\n'), undefined);
  assert.equal(parseSourcesList('Types: deb\n'), undefined);
});

test('coverage: every source needs its release file and an index per component', () => {
  const srcs = parseSourcesList(sourcesListText(MIRROR, 'bookworm'))!;
  assert.equal(listsCover(MAIN_LISTS, srcs), true);
  assert.equal(listsCover(MAIN_LISTS.slice(1), srcs), false, 'no InRelease');
  assert.equal(listsCover([MAIN_LISTS[0]!], srcs), false, 'no Packages');
  const more = parseSourcesList(`deb ${MIRROR} bookworm main contrib\n`)!;
  assert.equal(listsCover(MAIN_LISTS, more), false, 'a new component is not covered');
});

function rootWith(files: Record<string, string>): string {
  const root = tempDir('vagga-aptl-');
  for (const [p, t] of Object.entries(files)) {
    mkdirSync(join(root, p, '..'), { recursive: true });
    writeFileSync(join(root, p), t);
  }
  return root;
}

function listsDirWith(names: readonly string[]): string {
  const dir = join(tempDir('vagga-aptl-cache-'), 'lists');
  mkdirSync(dir);
  for (const n of names) writeFileSync(join(dir, n), 'x');
  return dir;
}

test('root sources: sources.list + *.list; a deb822 .sources file or no source -> undefined', () => {
  const root = rootWith({ 'etc/apt/sources.list': sourcesListText(MIRROR, 'bookworm'), 'etc/apt/sources.list.d/x.list': `deb ${MIRROR} bookworm contrib\n`, 'etc/apt/sources.list.d/y.disabled': 'junk' });
  assert.deepEqual(rootSources(root)!.map((s) => s.components), [['main'], ['contrib']]);
  assert.equal(rootSources(rootWith({ 'etc/apt/sources.list.d/debian.sources': 'Types: deb\n' })), undefined);
  assert.equal(rootSources(rootWith({ 'etc/hostname': 'x' })), undefined);
});

test('cached lists usable only with a fresh stamp and full coverage', () => {
  const root = rootWith({ 'etc/apt/sources.list': sourcesListText(MIRROR, 'bookworm') });
  const dir = listsDirWith(MAIN_LISTS);
  const now = Date.parse('2024-05-01T12:00:00Z');
  assert.equal(cachedListsUsable(root, dir, now), false, 'no stamp');
  writeListsStamp(dir, now - 1000);
  assert.equal(readListsStamp(dir), now - 1000);
  assert.equal(listsStampPath(dir), `${dir}.updated`);
  assert.equal(cachedListsUsable(root, dir, now), true);
  assert.equal(cachedListsUsable(root, dir, now + APT_LISTS_MAX_AGE_MS), false, 'stale after the window');
  mkdirSync(join(root, 'etc/apt/sources.list.d'));
  writeFileSync(join(root, 'etc/apt/sources.list.d/extra.list'), 'deb http://other.example/r bookworm main\n');
  assert.equal(cachedListsUsable(root, dir, now), false, 'a new source is not in the cached lists');
  writeFileSync(listsStampPath(dir), 'garbage');
  assert.equal(readListsStamp(dir), undefined);
});

/** A Debian build context whose root has sources.list and whose `run` records argv; `fail` decides failures. */
function fakeCtx(fail: (argv: string[], n: number) => boolean = () => false) {
  const base = tempDir('vagga-aptl-ctx-');
  const root = join(base, 'root');
  const cacheDir = join(base, 'cache');
  mkdirSync(join(root, 'etc/apt'), { recursive: true });
  writeFileSync(join(root, 'etc/apt/sources.list'), sourcesListText(MIRROR, 'bookworm'));
  mkdirSync(cacheDir);
  const runs: string[][] = [];
  const infos: string[] = [];
  const ctx = {
    containerName: 'test', root, projectRoot: base, cacheDir,
    settings: { debianMirror: MIRROR, buildLockWait: false, proxyEnvVars: true, propagateEnviron: [], environ: {}, externalVolumes: {} },
    log: { info: (m: string) => infos.push(m), warn() {}, debug() {} },
    env: { PATH: '/usr/bin:/bin' },
    state: new Map<string, unknown>(),
    cacheMounts: new Map<string, string>(),
    finish: { ensureDirs: [], emptyDirs: [], removePaths: [], hooks: [] },
    containerRoot: (n: string) => `/vagga/containers/${n}`,
    async run(argv: string[]) {
      assert.ok(existsSync(join(cacheDir, 'apt-archives-debian.lock')), 'apt lock held during run');
      runs.push(argv);
      if (fail(argv, runs.length)) throw new StepFailedError(argv, 100);
    },
  } as unknown as BuildContext;
  activateDistro(ctx, { name: 'debian', suite: 'bookworm', mirror: MIRROR });
  const lists = join(cacheDir, aptListsCacheName('bookworm', MIRROR));
  return { ctx, runs, infos, lists };
}

test('first build on a cold cache updates and stamps; a later build on fresh lists skips the update', async () => {
  const a = fakeCtx();
  await installStep.build!({ packages: ['hello'] }, a.ctx);
  assert.deepEqual(a.runs, [aptUpdateArgv(), aptInstallArgv(['hello'])]);
  assert.ok(readListsStamp(a.lists)! > Date.now() - 60_000, 'stamp written after the update');

  const b = fakeCtx();
  mkdirSync(b.lists);
  for (const n of MAIN_LISTS) writeFileSync(join(b.lists, n), 'x');
  writeListsStamp(b.lists);
  await installStep.build!({ packages: ['hello'] }, b.ctx);
  assert.deepEqual(b.runs, [aptInstallArgv(['hello'])], 'no apt-get update');
  assert.ok(b.infos.some((m) => /skipping apt-get update/.test(m)));

  // A step adding a source not in the cached lists makes the next install update.
  writeAptSource(b.ctx, 'extra.list', 'deb http://other.example/r bookworm main\n');
  await installStep.build!({ packages: ['bc'] }, b.ctx);
  assert.deepEqual(b.runs.slice(1), [aptUpdateArgv(), aptInstallArgv(['bc'])]);
});

test('an install failing on cached lists updates them once and retries; on updated lists it just fails', async () => {
  const c = fakeCtx((argv, n) => argv[1] === 'install' && n === 1);
  mkdirSync(c.lists);
  for (const n of MAIN_LISTS) writeFileSync(join(c.lists, n), 'x');
  writeListsStamp(c.lists, Date.now() - 5000);
  const before = readListsStamp(c.lists)!;
  await installStep.build!({ packages: ['hello'] }, c.ctx);
  assert.deepEqual(c.runs, [aptInstallArgv(['hello']), aptUpdateArgv(), aptInstallArgv(['hello'])]);
  assert.ok(readListsStamp(c.lists)! > before, 'stamp refreshed by the retry update');

  const d = fakeCtx((argv) => argv[1] === 'install');
  await assert.rejects(installStep.build!({ packages: ['nope'] }, d.ctx), StepFailedError);
  assert.deepEqual(d.runs, [aptUpdateArgv(), aptInstallArgv(['nope'])], 'no retry after a real update');
});
