/**
 * Host side of the builder with a fake sandbox runner: the scratch dir under
 * `<cache>/.builds`, removal of the scratch dirs killed builds left behind, and the build
 * log kept in the build dir.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Settings } from '../../../src/config/model.js';
import { pidAlive, removeStaleScratchDirs, runBuilder, scratchDirPid, type BuilderRunInput } from '../../../src/builder/run-builder.js';
import { decodeSpecJson, encodeSpecJson, SCRATCH_FILES, type BuilderSpec } from '../../../src/builder/builder-spec.js';
import { BUILDER_PATHS } from '../../../src/mounts/build-plan.js';
import type { SandboxSpec } from '../../../src/sandbox/types.js';
import { tempDir } from '../temp-dir.js';

/** A pid above the kernel's maximum (2^22): never alive. */
const DEAD_PID = 99999999;

test('scratchDirPid reads <container>.<pid>.<6 chars>', () => {
  assert.equal(scratchDirPid('app.1234.AbC123'), 1234);
  assert.equal(scratchDirPid('my.app.v2.77.zzzzzz'), 77);
  assert.equal(scratchDirPid('app.1234'), undefined);
  assert.equal(scratchDirPid('app.x.AbC123'), undefined);
  assert.equal(scratchDirPid('app.1234.toolong7'), undefined);
  assert.equal(scratchDirPid('.lock'), undefined);
});

test('pidAlive: this process and its parent yes, an impossible pid no', () => {
  assert.equal(pidAlive(process.pid), true);
  assert.equal(pidAlive(process.ppid), true);
  assert.equal(pidAlive(DEAD_PID), false);
});

test('removeStaleScratchDirs removes the dirs of dead pids only', async () => {
  const builds = tempDir('vagga-builds-');
  for (const name of ['app.100.aaaaaa', 'app.200.bbbbbb', 'db.100.cccccc', `app.${process.pid}.dddddd`, 'notes.txt', 'odd-name']) {
    mkdirSync(join(builds, name));
    writeFileSync(join(builds, name, SCRATCH_FILES.spec), '{}');
  }
  const asked: number[] = [];
  const removed = await removeStaleScratchDirs(builds, (pid) => { asked.push(pid); return pid === 200; });
  assert.deepEqual(removed.sort(), ['app.100.aaaaaa', 'db.100.cccccc']);
  assert.deepEqual(readdirSync(builds).sort(), ['app.200.bbbbbb', `app.${process.pid}.dddddd`, 'notes.txt', 'odd-name'].sort());
  assert.ok(!asked.includes(process.pid), 'own pid is never asked about');
  assert.deepEqual(await removeStaleScratchDirs(join(builds, 'missing')), []);
});

test('runBuilder clears a killed build\'s scratch dir, keeps a live one, and removes its own', async () => {
  const base = tempDir('vagga-rb-');
  const cacheDir = join(base, 'cache');
  const builds = join(cacheDir, '.builds');
  const stale = `app.${DEAD_PID}.Xy12Zq`;
  const live = `app.${process.ppid}.Ab34Cd`;
  for (const name of [stale, live]) {
    mkdirSync(join(builds, name), { recursive: true });
    writeFileSync(join(builds, name, SCRATCH_FILES.spec), '{}');
  }
  const bundle = join(base, 'vagga.mjs');
  writeFileSync(bundle, '');
  const buildDir = join(base, 'project/.vagga/.roots/.tmp.app');
  mkdirSync(join(buildDir, 'root'), { recursive: true });
  const settings: Settings = { buildLockWait: false, proxyEnvVars: false, propagateEnviron: [], environ: {}, externalVolumes: {} };
  const input: BuilderRunInput = {
    name: 'app', steps: [], containers: {}, settings, projectRoot: join(base, 'project'), cacheDir, buildDir,
    containerRoots: {}, idMapping: { uids: [{ inside: 0, outside: 1000, count: 1 }], gids: [{ inside: 0, outside: 1000, count: 1 }] },
    verbosity: 0, timingsHead: [],
  };
  let seen: string[] = [];
  const result = await runBuilder(input, async (spec: SandboxSpec) => {
    seen = readdirSync(builds).sort();
    // Play the builder: write the result into the scratch dir named in argv.
    const specPath = spec.argv[spec.argv.length - 1]!;
    const scratchName = specPath.slice(`${BUILDER_PATHS.cache}/.builds/`.length).split('/')[0]!;
    writeFileSync(join(builds, scratchName, SCRATCH_FILES.result), encodeSpecJson({ ok: true }));
    return { status: 0 };
  }, { VAGGA_BUNDLE: bundle });
  assert.deepEqual(result, { ok: true });
  assert.equal(seen.length, 2, `stale dir gone, live one and ours present during the build: ${seen.join(', ')}`);
  assert.ok(seen.includes(live) && !seen.includes(stale));
  assert.ok(seen.some((n) => n.startsWith(`app.${process.pid}.`)));
  assert.deepEqual(readdirSync(builds), [live]);
  assert.equal(existsSync(join(builds, stale)), false);
});

test('runBuilder: the builder is told the terminal and the log path; its build.log is appended to the build dir\'s, also when it failed', async () => {
  for (const ok of [true, false]) {
    const base = tempDir('vagga-rb-');
    const cacheDir = join(base, 'cache');
    const bundle = join(base, 'vagga.mjs');
    writeFileSync(bundle, '');
    const buildDir = join(base, 'project/.vagga/.roots/.tmp.app');
    mkdirSync(join(buildDir, 'root'), { recursive: true });
    // What the prepare phase logged on the host.
    writeFileSync(join(buildDir, 'build.log'), '==> Prepare 1/1 !Debian bookworm\nI: done\n');
    const settings: Settings = { buildLockWait: false, proxyEnvVars: false, propagateEnviron: [], environ: {}, externalVolumes: {} };
    const input: BuilderRunInput = {
      name: 'app', steps: [], containers: {}, settings, projectRoot: join(base, 'project'), cacheDir, buildDir,
      containerRoots: {}, idMapping: { uids: [{ inside: 0, outside: 1000, count: 1 }], gids: [{ inside: 0, outside: 1000, count: 1 }] },
      verbosity: 1, timingsHead: [], terminal: { tty: true, colour: false }, logPath: '.vagga/.roots/.tmp.app/build.log',
    };
    let spec: BuilderSpec | undefined;
    const result = await runBuilder(input, async (sandbox: SandboxSpec) => {
      const specPath = sandbox.argv[sandbox.argv.length - 1]!;
      const scratch = join(cacheDir, specPath.slice(`${BUILDER_PATHS.cache}/`.length, -`/${SCRATCH_FILES.spec}`.length));
      spec = decodeSpecJson<BuilderSpec>(readFileSync(join(scratch, SCRATCH_FILES.spec), 'utf8'));
      writeFileSync(join(scratch, SCRATCH_FILES.buildLog), '==> Step 1/1 !Debian bookworm\n');
      writeFileSync(join(scratch, SCRATCH_FILES.result), encodeSpecJson(ok ? { ok: true } : { ok: false, phase: 'step', message: 'x' }));
      return { status: ok ? 0 : 1 };
    }, { VAGGA_BUNDLE: bundle });
    assert.equal(result.ok, ok);
    assert.deepEqual(spec?.terminal, { tty: true, colour: false });
    assert.equal(spec?.hostLogPath, '.vagga/.roots/.tmp.app/build.log');
    assert.equal(readFileSync(join(buildDir, 'build.log'), 'utf8'), '==> Prepare 1/1 !Debian bookworm\nI: done\n==> Step 1/1 !Debian bookworm\n');
  }
});
