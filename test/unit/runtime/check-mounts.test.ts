/**
 * Missing mount points and data containers give one clear error (exit 124) before bwrap runs
 * (src/runtime/check-mounts.ts), naming the volume, where vagga.yaml declares it and the fix.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkMountPoints } from '../../../src/runtime/check-mounts.js';
import { loadConfig } from '../../../src/config/load.js';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import { planRunMounts } from '../../../src/mounts/run-plan.js';
import { DEFAULT_SETTINGS } from '../cli/fake-project.js';
import { tempDir } from '../temp-dir.js';
import { STEP_DEFS } from '../../../src/steps/registry.js';

const YAML = `containers:
  app:
    setup: []
    volumes:
      /mnt/ok: !Tmpfs
      /mnt/missing: !Tmpfs
  data:
    setup: []
    data-dirs: [/etc]
commands:
  cmd: !Command
    container: app
    run: [true]
    volumes:
      /srv/cache: !CacheDir c
`;

function setup() {
  const project = tempDir('vagga-mounts-');
  writeFileSync(join(project, 'vagga.yaml'), YAML);
  const root = tempDir('vagga-mounts-root-');
  for (const d of ['proc', 'dev', 'work', 'tmp', 'run', 'etc', 'mnt/ok']) mkdirSync(join(root, d), { recursive: true });
  writeFileSync(join(root, 'etc/resolv.conf'), ''); // as every build leaves them
  writeFileSync(join(root, 'etc/hosts'), '');
  const config = loadConfig(STEP_DEFS, project);
  return { project, root, config };
}

function errorOf(fn: () => void): VaggaError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof VaggaError);
    return e;
  }
  assert.fail('expected an error');
}

test('the loader records where each volume is declared', () => {
  const { config, project } = setup();
  const file = join(project, 'vagga.yaml');
  assert.deepEqual(config.containers.app.volumePositions, {
    '/mnt/ok': { file, line: 5, col: 7 },
    '/mnt/missing': { file, line: 6, col: 7 },
  });
  const cmd = config.commands.cmd;
  assert.ok(cmd.kind === 'Command');
  assert.deepEqual(cmd.volumePositions, { '/srv/cache': { file, line: 15, col: 7 } });
  assert.equal(config.containers.data.volumePositions, undefined);
});

test('a container volume without its mount point: volume, kind, file:line and the !EnsureDir fix', () => {
  const { config, project, root } = setup();
  const container = config.containers.app;
  const plan = planRunMounts({ container, rootfs: root, projectRoot: project, commandVolumes: {}, settings: DEFAULT_SETTINGS, cacheDir: '/c' });
  const e = errorOf(() => checkMountPoints(plan, { container, commandVolumes: {} }));
  assert.equal(e.exitCode, 124);
  assert.equal(e.message.split('\n')[0],
    `Volume /mnt/missing (!Tmpfs of container "app", declared at ${join(project, 'vagga.yaml')}:6:7) cannot be mounted: /mnt/missing does not exist in the container.`);
  assert.match(e.message, /read-only when commands run/);
  assert.equal(e.hint, 'To fix: add `- !EnsureDir /mnt/missing` to the setup of container "app" (it is rebuilt automatically).');
});

test('a command volume is named with its command; a missing parent is shown', () => {
  const { config, project, root } = setup();
  mkdirSync(join(root, 'mnt/missing'));
  const container = config.containers.app;
  const cmd = config.commands.cmd;
  assert.ok(cmd.kind === 'Command');
  const plan = planRunMounts({ container, rootfs: root, projectRoot: project, commandVolumes: cmd.volumes, settings: DEFAULT_SETTINGS, cacheDir: '/c' });
  const e = errorOf(() => checkMountPoints(plan, { container, commandName: 'cmd', commandVolumes: cmd.volumes, commandVolumePositions: cmd.volumePositions }));
  assert.match(e.message, /^Volume \/srv\/cache \(!CacheDir of command "cmd", declared at .*vagga\.yaml:15:7\) cannot be mounted: \/srv does not exist in the container \(on the way to \/srv\/cache\)\./);
  assert.match(e.hint!, /!EnsureDir \/srv\/cache/);
});

test('all mount points present: no error', () => {
  const { config, project, root } = setup();
  mkdirSync(join(root, 'mnt/missing'));
  const container = config.containers.app;
  const plan = planRunMounts({ container, rootfs: root, projectRoot: project, commandVolumes: {}, settings: DEFAULT_SETTINGS, cacheDir: '/c' });
  checkMountPoints(plan, { container, commandVolumes: {} });
});

test('a data container: one clear error instead of bwrap\'s', () => {
  const { config, project } = setup();
  const root = tempDir('vagga-mounts-data-');
  mkdirSync(join(root, 'etc'));
  const container = config.containers.data;
  const plan = planRunMounts({ container, rootfs: root, projectRoot: project, commandVolumes: {}, settings: DEFAULT_SETTINGS, cacheDir: '/c' });
  const e = errorOf(() => checkMountPoints(plan, { container, commandVolumes: {} }));
  assert.equal(e.exitCode, 124);
  assert.match(e.message, /^Container "data" is a data container \(data-dirs: \/etc\): its build kept only those directories, so its root has no \/proc, \/dev/);
  assert.match(e.hint!, /remove `data-dirs`/);
});

test('a missing file mount point (resolv-conf-path) suggests a !Text step', () => {
  const { config, project, root } = setup();
  mkdirSync(join(root, 'mnt/missing'));
  const container = { ...config.containers.app, resolvConfPath: '/etc/net/resolv.conf' };
  const plan = planRunMounts({ container, rootfs: root, projectRoot: project, commandVolumes: {}, settings: DEFAULT_SETTINGS, cacheDir: '/c' });
  const e = errorOf(() => checkMountPoints(plan, { container, commandVolumes: {} }));
  assert.match(e.message, /^\/etc\/net\/resolv\.conf \(`resolv-conf-path`\) cannot be mounted: \/etc\/net does not exist/);
  assert.match(e.hint!, /`- !Text \{ \/etc\/net\/resolv\.conf: "" \}`/);
});

test('a data container lists each missing path once (/etc for resolv.conf and hosts)', () => {
  const { config, project } = setup();
  const root = tempDir('vagga-mounts-data-');
  mkdirSync(join(root, 'usr'));
  const container = config.containers.data;
  const plan = planRunMounts({ container, rootfs: root, projectRoot: project, commandVolumes: {}, settings: DEFAULT_SETTINGS, cacheDir: '/c' });
  const e = errorOf(() => checkMountPoints(plan, { container, commandVolumes: {} }));
  const list = /its root has no (.*) and commands/.exec(e.message)![1]!.split(', ');
  assert.ok(list.includes('/etc'));
  assert.deepEqual(list, [...new Set(list)]);
});

test('!BindRW with a missing host source: one paragraph naming the volume and its line, before bwrap', () => {
  const { project, root } = setup();
  writeFileSync(join(project, 'vagga.yaml'), `containers:
  app:
    setup: []
commands:
  cmd: !Command
    container: app
    run: [true]
    volumes:
      /mnt/ok: !BindRW /work/nothere
`);
  const config = loadConfig(STEP_DEFS, project);
  const container = config.containers.app;
  const cmd = config.commands.cmd;
  assert.ok(cmd.kind === 'Command');
  const plan = planRunMounts({ container, rootfs: root, projectRoot: project, commandVolumes: cmd.volumes, settings: DEFAULT_SETTINGS, cacheDir: '/c' });
  const e = errorOf(() => checkMountPoints(plan, { container, commandName: 'cmd', commandVolumes: cmd.volumes, commandVolumePositions: cmd.volumePositions }));
  assert.equal(e.exitCode, 124);
  assert.equal(e.message,
    `Volume /mnt/ok (!BindRW /work/nothere of command "cmd", declared at ${join(project, 'vagga.yaml')}:9:7) cannot be mounted: its source ${join(project, 'nothere')} does not exist on the host.`);
  assert.equal(e.hint, `To fix: create ${join(project, 'nothere')} (e.g. \`mkdir -p ${join(project, 'nothere')}\`), or change the volume's path.`);
  mkdirSync(join(project, 'nothere'));
  checkMountPoints(plan, { container, commandName: 'cmd', commandVolumes: cmd.volumes, commandVolumePositions: cmd.volumePositions });
});
