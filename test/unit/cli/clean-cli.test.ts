import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, utimesSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../../src/cli/cli.js';
import type { Project } from '../../../src/config/project.js';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import { DEFAULT_SETTINGS, fakeProject } from './fake-project.js';
import { tempDir } from '../temp-dir.js';

async function vagga(argv: string[], project: Project | (() => Project), env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const status = await runCli(argv, {
    cwd: '/p', env, out: (t) => { stdout += t; }, err: (t) => { stderr += t; },
    loadProject: async () => (typeof project === 'function' ? project() : project),
    ownerCheck: () => undefined,
  });
  return { status, stdout, stderr };
}

test('_clean argument errors exit 1: --at-least without --unused, bad duration', async () => {
  const p = fakeProject({});
  let r = await vagga(['_clean', '--at-least', '1d'], p);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--at-least is only meaningful with --unused/);
  r = await vagga(['_clean', '--unused', '--at-least', '10'], p);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /Invalid --at-least "10": time unit needed/);
});

test('_clean --global without storage-dir exits 2; --global --old exits 1', async () => {
  let r = await vagga(['_clean', '--global', '--tmp'], fakeProject({}));
  assert.equal(r.status, 2);
  assert.match(r.stderr, /storage-dir/);
  const withStorage = fakeProject({});
  withStorage.settings = { ...DEFAULT_SETTINGS, storageDir: tempDir('vagga-cg-') };
  r = await vagga(['_clean', '--global', '--old'], withStorage);
  assert.equal(r.status, 1);
});

test('_clean --global outside a project uses the user settings (VAGGA_SETTINGS)', async () => {
  const storage = tempDir('vagga-cg-');
  const v = join(storage, 'proj', '.roots', 'app.11111111');
  mkdirSync(join(v, 'root'), { recursive: true });
  utimesSync(v, new Date(0), new Date(0));
  const noProject = () => { throw new VaggaError('Config not found in path "/p"', { code: 'config.not-found' }); };
  const r = await vagga(['_clean', '--global', '--unused', '--at-least', '1day', '--dry-run'], noProject, { VAGGA_SETTINGS: `storage-dir: ${storage}` });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`Would remove ${v}`));
  assert.deepEqual(readdirSync(join(storage, 'proj', '.roots')), ['app.11111111']);
});

test('_init_storage_dir links the project to <storage-dir>/NAME', async () => {
  const storage = tempDir('vagga-is-');
  const root = tempDir('vagga-isp-');
  const p = fakeProject({});
  p.config = { ...p.config, projectRoot: root };
  p.settings = { ...DEFAULT_SETTINGS, storageDir: storage };
  const r = await vagga(['_init_storage_dir', 'ci'], p);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(readlinkSync(join(root, '.vagga', '.lnk')), join(storage, 'ci'));
  assert.equal((await vagga(['_init_storage_dir'], p)).status, 1);
});
