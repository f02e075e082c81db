import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config, ContainerConfig, Settings, StepConfig } from '../../../src/config/model.js';
import { ensureBuiltWith, type BuildDeps } from '../../../src/builder/ensure-built.js';
import type { BuilderResult } from '../../../src/builder/builder-spec.js';
import type { BuilderRunInput } from '../../../src/builder/run-builder.js';
import { BuildFailedError } from '../../../src/builder/errors.js';
import type { StepDef } from '../../../src/steps/step.js';
import type { IdMapping } from '../../../src/sandbox/types.js';
import { tempDir } from '../temp-dir.js';
import { lockHeld } from '../../../src/storage/lock.js';

const settings: Settings = { buildLockWait: false, proxyEnvVars: true, propagateEnviron: [], environ: {}, externalVolumes: {} };
const H1 = 'aaaaaaaa' + '1'.repeat(120);
const H2 = 'bbbbbbbb' + '2'.repeat(120);
const MAP: IdMapping = { uids: [{ inside: 0, outside: 1001, count: 1 }], gids: [{ inside: 0, outside: 1001, count: 1 }] };

function step(tag: string, params: unknown, line = 3): StepConfig {
  return { tag, params, pos: { file: '/proj/vagga.yaml', line, col: 7 } };
}

function container(name: string, setup: StepConfig[]): ContainerConfig {
  return {
    name, setup, environ: {}, volumes: {}, uids: [{ start: 0, end: 65535 }], gids: [{ start: 0, end: 65535 }],
    autoClean: false, dataDirs: [], resolvConfPath: '/etc/resolv.conf', hostsFilePath: '/etc/hosts',
    defaultShell: [], pos: { file: '/proj/vagga.yaml', line: 2, col: 3 },
  };
}

function config(containers: ContainerConfig[]): Config {
  const root = tempDir('vagga-eb-');
  return {
    projectRoot: root, mainFile: join(root, 'vagga.yaml'), files: [], containers: Object.fromEntries(containers.map((c) => [c.name, c])),
    commands: {}, warnings: [],
  };
}

const containerStep: StepDef<string> = {
  tag: 'Container', schema: undefined as never, hash() {}, dependsOn: (p) => [p],
};
const shStep: StepDef<string> = { tag: 'Sh', schema: undefined as never, hash() {} };

interface Fake extends BuildDeps {
  calls: BuilderRunInput[];
  output: string;
  versions: Record<string, string | undefined>;
  outcome: (input: BuilderRunInput) => Promise<BuilderResult>;
}

function fakeDeps(cacheDir: string): Fake {
  const fake: Fake = {
    calls: [],
    output: '',
    versions: {},
    outcome: async (input) => {
      writeFileSync(join(input.buildDir, 'root', 'marker'), input.name);
      return { ok: true };
    },
    version: (_c, name) => fake.versions[name],
    idMapping: () => MAP,
    stepDef: (tag) => (tag === 'Container' ? containerStep : tag === 'Sh' ? shStep : undefined),
    runBuilder: (input) => { fake.calls.push(input); return fake.outcome(input); },
    cacheDir: () => cacheDir,
    write: (t) => { fake.output += t; },
    now: () => Date.now(),
  };
  return fake;
}

test('a fresh build is published under .roots/<name>.<8hex> with its link, maps and log line', async () => {
  const cfg = config([container('app', [step('Sh', 'true')])]);
  const deps = fakeDeps(join(cfg.projectRoot, 'cache'));
  deps.versions.app = H1;
  const built = await ensureBuiltWith(deps, cfg, settings, 'app', { verbosity: 1 });
  assert.equal(built.hash, H1);
  assert.equal(built.rootfs, join(cfg.projectRoot, '.vagga/.roots/app.aaaaaaaa/root'));
  assert.equal(readFileSync(join(built.rootfs, 'marker'), 'utf8'), 'app');
  assert.equal(readlinkSync(join(cfg.projectRoot, '.vagga/app')), '.roots/app.aaaaaaaa/root');
  assert.match(readFileSync(join(cfg.projectRoot, '.vagga/.roots/app.aaaaaaaa/uid_map'), 'utf8'), /^ +0 +1001 +1\n$/);
  assert.ok(existsSync(join(cfg.projectRoot, '.vagga/.roots/app.aaaaaaaa/last_use')));
  assert.equal(existsSync(join(cfg.projectRoot, '.vagga/.roots/.tmp.app')), false);
  assert.match(deps.output, /Container app \(aaaaaaaa\) built in [\d.]+ seconds\.\n/);
  assert.equal(deps.calls.length, 1);
  assert.equal(deps.calls[0]!.buildDir, join(cfg.projectRoot, '.vagga/.roots/.tmp.app'));

  // Second call: reused, builder not started again.
  const again = await ensureBuiltWith(deps, cfg, settings, 'app', { verbosity: 1 });
  assert.equal(again.rootfs, built.rootfs);
  assert.equal(deps.calls.length, 1);
  // --force rebuilds the same version.
  await ensureBuiltWith(deps, cfg, settings, 'app', { verbosity: 1, force: true });
  assert.equal(deps.calls.length, 2);
  assert.equal(readFileSync(join(built.rootfs, 'marker'), 'utf8'), 'app');
});

test('a failed build leaves the previous version and its link intact and says which step failed', async () => {
  const cfg = config([container('app', [step('Sh', 'true', 5), step('Sh', 'false', 6)])]);
  const deps = fakeDeps(join(cfg.projectRoot, 'cache'));
  deps.versions.app = H1;
  const first = await ensureBuiltWith(deps, cfg, settings, 'app', { verbosity: 1 });

  deps.versions.app = H2;
  deps.outcome = async (input) => {
    writeFileSync(join(input.buildDir, 'root', 'half'), 'x');
    return {
      ok: false, phase: 'step', step: { index: 2, total: 2, tag: 'Sh', pos: input.steps[1]!.pos },
      message: 'Command `/bin/sh -exc false` exited with code 1', hint: 'Add a range with:\n    sudo usermod --add-subuids 1-2 u',
    };
  };
  await assert.rejects(ensureBuiltWith(deps, cfg, settings, 'app', { verbosity: 1 }), (err: unknown) => {
    assert.ok(err instanceof BuildFailedError);
    assert.equal(err.exitCode, 121);
    assert.match(err.message, /^Build of container "app" failed at step 2\/2 !Sh \(\/proj\/vagga\.yaml:6\): Command `\/bin\/sh -exc false` exited with code 1$/);
    // The builder's (multi-line) hint, then each sentence of ours on a line of its own.
    const lines = err.hint!.split('\n');
    assert.deepEqual(lines.slice(0, 3), ['Add a range with:', '    sudo usermod --add-subuids 1-2 u', 'Fix the step and run the command again.']);
    assert.equal(lines.length, 4);
    assert.match(lines[3]!, /^The previously built version \(if any\) is unchanged; the partial build stays in \.vagga\/\.roots\/\.tmp\.app /);
    return true;
  });
  assert.equal(readlinkSync(join(cfg.projectRoot, '.vagga/app')), '.roots/app.aaaaaaaa/root');
  assert.equal(readFileSync(join(first.rootfs, 'marker'), 'utf8'), 'app');
  assert.equal(existsSync(join(cfg.projectRoot, '.vagga/.roots/app.bbbbbbbb')), false);
  // The partial build stays for inspection; the lock is released.
  assert.ok(existsSync(join(cfg.projectRoot, '.vagga/.roots/.tmp.app/root/half')));
  assert.equal(lockHeld(join(cfg.projectRoot, '.vagga/.roots/.tmp.app.lock')), false);

  // The next build starts from an empty root (the leftover is removed first).
  let seen: string[] = [];
  deps.outcome = async (input) => { seen = readdirSync(join(input.buildDir, 'root')); return { ok: true }; };
  await ensureBuiltWith(deps, cfg, settings, 'app', { verbosity: 1 });
  assert.deepEqual(seen, []);
  assert.equal(readlinkSync(join(cfg.projectRoot, '.vagga/app')), '.roots/app.bbbbbbbb/root');
});

test('a leftover .tmp dir from a crashed build (with a read-only subdir) is replaced', async () => {
  const cfg = config([container('app', [])]);
  const deps = fakeDeps(join(cfg.projectRoot, 'cache'));
  deps.versions.app = H1;
  const leftover = join(cfg.projectRoot, '.vagga/.roots/.tmp.app/root/usr/ro');
  mkdirSync(leftover, { recursive: true });
  writeFileSync(join(leftover, 'f'), 'x');
  (await import('node:fs')).chmodSync(leftover, 0o500);
  let seen: string[] = ['unset'];
  deps.outcome = async (input) => { seen = readdirSync(join(input.buildDir, 'root')); return { ok: true }; };
  await ensureBuiltWith(deps, cfg, settings, 'app', { verbosity: 0 });
  assert.deepEqual(seen, []);
  assert.equal(deps.output, ''); // quiet
});

test('two concurrent builds of one container serialise: the second waits, then reuses', async () => {
  const cfg = config([container('app', [])]);
  const deps = fakeDeps(join(cfg.projectRoot, 'cache'));
  deps.versions.app = H1;
  const base = deps.outcome;
  deps.outcome = async (input) => { await new Promise((r) => setTimeout(r, 400)); return base(input); };
  const [a, b] = await Promise.all([
    ensureBuiltWith(deps, cfg, settings, 'app', { verbosity: 1 }),
    (async () => { await new Promise((r) => setTimeout(r, 50)); return ensureBuiltWith(deps, cfg, settings, 'app', { verbosity: 1 }); })(),
  ]);
  assert.equal(deps.calls.length, 1);
  assert.equal(a.rootfs, b.rootfs);
  assert.equal(deps.output.split('Other process is doing a build (.tmp.app). Waiting...\n').length - 1, 1);
});

test('dependencies are built first and handed to the builder', async () => {
  const cfg = config([container('base', [step('Sh', 'x')]), container('app', [step('Container', 'base'), step('Sh', 'y')])]);
  const deps = fakeDeps(join(cfg.projectRoot, 'cache'));
  deps.versions.base = H1;
  deps.versions.app = H2;
  await ensureBuiltWith(deps, cfg, settings, 'app', { verbosity: 1 });
  assert.deepEqual(deps.calls.map((c) => c.name), ['base', 'app']);
  const appCall = deps.calls[1]!;
  assert.deepEqual(appCall.containerRoots, { base: join(cfg.projectRoot, '.vagga/.roots/base.aaaaaaaa/root') });
  assert.deepEqual(Object.keys(appCall.containers), ['base']);
  assert.equal(appCall.cacheDir, join(cfg.projectRoot, 'cache'));
});

test('a dependency cycle is reported (exit 126)', async () => {
  const cfg = config([container('a', [step('Container', 'b')]), container('b', [step('Container', 'a')])]);
  const deps = fakeDeps(join(cfg.projectRoot, 'cache'));
  await assert.rejects(ensureBuiltWith(deps, cfg, settings, 'a', { verbosity: 1 }), (err: any) => {
    assert.equal(err.exitCode, 126);
    assert.match(err.message, /Container "a" has cyclic dependency/);
    return true;
  });
});

test('an unknown version is computed after the build', async () => {
  const cfg = config([container('app', [])]);
  const deps = fakeDeps(join(cfg.projectRoot, 'cache'));
  deps.versions.app = undefined;
  const base = deps.outcome;
  deps.outcome = async (input) => { deps.versions.app = H2; return base(input); };
  const built = await ensureBuiltWith(deps, cfg, settings, 'app', { verbosity: 1 });
  assert.equal(built.hash, H2);
  assert.ok(statSync(join(cfg.projectRoot, '.vagga/.roots/app.bbbbbbbb/root')).isDirectory());
});

test('a version built with another uid map is rebuilt with a warning', async () => {
  const cfg = config([container('app', [])]);
  const deps = fakeDeps(join(cfg.projectRoot, 'cache'));
  deps.versions.app = H1;
  await ensureBuiltWith(deps, cfg, settings, 'app', { verbosity: 1 });
  deps.idMapping = () => ({ uids: [{ inside: 0, outside: 1001, count: 1 }, { inside: 1, outside: 100000, count: 65535 }], gids: MAP.gids });
  await ensureBuiltWith(deps, cfg, settings, 'app', { verbosity: 1 });
  assert.equal(deps.calls.length, 2);
  assert.match(deps.output, /built with a different uid map/);
});

test('an unknown container is an error (121)', async () => {
  const cfg = config([]);
  await assert.rejects(ensureBuiltWith(fakeDeps('/nonexistent'), cfg, settings, 'nope', { verbosity: 1 }), /Container "nope" not found/);
});

test('build-cache-max-size: after a successful build in layers, the cache is trimmed keeping the stack the builder reports', async () => {
  const cfg = config([container('app', [step('Sh', 'true')])]);
  const cacheDir = join(cfg.projectRoot, 'cache');
  const trims: unknown[][] = [];
  const deps = fakeDeps(cacheDir);
  deps.versions.app = H1;
  deps.trimBuildCache = async (...args) => { trims.push(args); };
  deps.outcome = async (input) => {
    writeFileSync(join(input.buildDir, 'root', 'marker'), input.name);
    return { ok: true, layerStack: ['l1', 'l2'] };
  };
  await ensureBuiltWith(deps, cfg, { ...settings, buildCacheMaxSize: 5_000 }, 'app', { verbosity: 1 });
  assert.deepEqual(trims, [[cacheDir, 5_000, ['l1', 'l2'], 1]]);
  // Without the setting, or after a build without layers: no trimming.
  await ensureBuiltWith(deps, cfg, settings, 'app', { verbosity: 1, force: true });
  deps.outcome = async (input) => {
    writeFileSync(join(input.buildDir, 'root', 'marker'), input.name);
    return { ok: true };
  };
  await ensureBuiltWith(deps, cfg, { ...settings, buildCacheMaxSize: 5_000 }, 'app', { verbosity: 1, force: true });
  assert.equal(trims.length, 1);
});

test('image-cache-url: a hit is published like a build without running the builder; a miss builds; --force and --no-image-download skip it', async () => {
  const app = { ...container('app', [step('Sh', 'true')]), imageCacheUrl: 'docker://127.0.0.1:5000/t/${container_name}:${short_hash}' };
  const cfg = config([app]);
  const deps = fakeDeps(join(cfg.projectRoot, 'cache'));
  deps.versions.app = H1;
  const asked: string[] = [];
  let hit = true;
  deps.imageCache = async () => ({
    fetchCachedImage: async (input) => {
      asked.push(input.url);
      if (!hit) {
        input.write('Warning: Error when unpacking image x: no. Will clean and build it locally...\n');
        return undefined;
      }
      writeFileSync(join(input.buildDir, 'root', 'marker'), 'downloaded');
      return { description: 'Downloaded' };
    },
  });
  const built = await ensureBuiltWith(deps, cfg, settings, 'app', { verbosity: 1 });
  assert.deepEqual(asked, ['docker://127.0.0.1:5000/t/app:aaaaaaaa']);
  assert.equal(deps.calls.length, 0);
  assert.equal(readFileSync(join(built.rootfs, 'marker'), 'utf8'), 'downloaded');
  assert.match(readFileSync(join(cfg.projectRoot, '.vagga/.roots/app.aaaaaaaa/uid_map'), 'utf8'), /^ +0 +1001 +1\n$/);
  assert.equal(readlinkSync(join(cfg.projectRoot, '.vagga/app')), '.roots/app.aaaaaaaa/root');
  assert.match(deps.output, /^Container app \(aaaaaaaa\) downloaded in [\d.]+ seconds\.$/m);

  // --force: built, not downloaded.
  await ensureBuiltWith(deps, cfg, settings, 'app', { verbosity: 1, force: true });
  assert.equal(asked.length, 1);
  assert.equal(deps.calls.length, 1);
  // A miss (new version): the warning, then the build.
  deps.versions.app = H2;
  hit = false;
  await ensureBuiltWith(deps, cfg, settings, 'app', { verbosity: 1 });
  assert.equal(asked.length, 2);
  assert.equal(deps.calls.length, 2);
  assert.match(deps.output, /Will clean and build it locally/);
  // --no-image-download: not asked.
  deps.versions.app = 'cccccccc' + '3'.repeat(120);
  await ensureBuiltWith(deps, cfg, settings, 'app', { verbosity: 1, noImageDownload: true });
  assert.equal(asked.length, 2);
  assert.equal(deps.calls.length, 3);
});
