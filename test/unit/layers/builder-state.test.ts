import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Settings } from '../../../src/config/model.js';
import { createBuildContext } from '../../../src/builder/build-context.js';
import type { BuilderSpec } from '../../../src/builder/builder-spec.js';
import { restoreBuilderState, saveBuilderState } from '../../../src/builder/builder-state.js';
import { resumeStepContexts } from '../../../src/steps/resume.js';
import { tempDir } from '../temp-dir.js';

const settings: Settings = { buildLockWait: false, proxyEnvVars: true, propagateEnviron: [], environ: {}, externalVolumes: {} };

function context() {
  const dir = tempDir('vagga-bs-');
  mkdirSync(join(dir, 'root'));
  const spec: BuilderSpec = {
    containerName: 'app', steps: [], containers: {}, settings, env: { PATH: '/bin' }, verbosity: 0,
    hostProjectRoot: '/proj', root: join(dir, 'root'), work: '/work', cacheDir: join(dir, 'cache'), containerRoots: {}, scratchDir: dir,
  };
  return createBuildContext(spec, { info() {}, warn() {}, debug() {} });
}

test('the builder state survives a save and restore: env, step state with sets, cache binds, finish lists', () => {
  const a = context();
  a.env.LANG = 'C.UTF-8';
  a.state.set('debian.apt', { updated: true, listsFromCache: true, mapsChecked: true, installed: new Set(['python3']), buildDeps: ['gcc'], eatmydata: 'active', finishRegistered: true });
  a.state.set('distro', { name: 'debian', suite: 'bookworm' });
  a.cacheMounts.set('/var/cache/apt/archives', 'apt-archives-debian');
  a.finish.ensureDirs.push('/data');
  a.finish.removePaths.push('/opt/junk');
  const text = saveBuilderState(a);

  const b = context();
  b.env.STALE = '1';
  b.state.set('stale', true);
  restoreBuilderState(b, text, resumeStepContexts);
  assert.deepEqual(b.env, { PATH: '/bin', LANG: 'C.UTF-8' });
  assert.deepEqual([...b.cacheMounts], [['/var/cache/apt/archives', 'apt-archives-debian']]);
  assert.deepEqual(b.finish.ensureDirs, ['/data']);
  assert.deepEqual(b.finish.removePaths, ['/opt/junk']);
  assert.equal(b.state.has('stale'), false);
  assert.deepEqual(b.state.get('distro'), { name: 'debian', suite: 'bookworm' });
  const apt = b.state.get('debian.apt') as { updated: boolean; mapsChecked: boolean; installed: Set<string>; buildDeps: string[] };
  assert.ok(apt.installed instanceof Set && apt.installed.has('python3'), 'sets come back as sets');
  assert.deepEqual(apt.buildDeps, ['gcc'], 'build deps are still removed at the finish');
  assert.equal(apt.updated, false, 'the package lists are checked again by the resumed build');
  assert.equal(apt.mapsChecked, false);
  assert.equal(b.finish.hooks.length, 1, 'the Debian finish hook is registered again');
});
