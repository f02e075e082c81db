/**
 * resolv.conf and hosts during and after a build (issue 14; inventory §2.6): a step sees the
 * host's files in the root's own /etc and may replace them (Vagga's resolv-conf test does
 * `ln -sfn /state/resolv.conf /etc/resolv.conf`); the built root keeps what the steps made
 * of them, emptied, never the host's text; custom `resolv-conf-path`/`hosts-file-path` are
 * emptied too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lendNetworkFiles } from '../../../src/builder/build-context.js';
import { customNetworkFiles } from '../../../src/builder/builder-spec.js';
import { emptyNetworkFiles } from '../../../src/builder/finish.js';
import { planLayers } from '../../../src/builder/layer-plan.js';
import { tempDir } from '../temp-dir.js';

/** A root being built, and a fake host /etc. */
function tree(): { root: string; hostEtc: string } {
  const root = tempDir('vagga-netfiles-root-');
  const hostEtc = tempDir('vagga-netfiles-etc-');
  writeFileSync(join(hostEtc, 'resolv.conf'), 'nameserver 192.0.2.53\n');
  writeFileSync(join(hostEtc, 'hosts'), '127.0.0.1 localhost\n');
  return { root, hostEtc };
}

const read = (p: string) => readFileSync(p, 'utf8');

test('lent while a command runs: the host\'s text in the root\'s own writable files; taken back after', () => {
  const { root, hostEtc } = tree();
  const giveBack = lendNetworkFiles(root, hostEtc);
  assert.equal(read(join(root, 'etc/resolv.conf')), 'nameserver 192.0.2.53\n');
  assert.equal(read(join(root, 'etc/hosts')), '127.0.0.1 localhost\n');
  assert.ok(lstatSync(join(root, 'etc/resolv.conf')).isFile(), 'a regular file, not a mount: a step can replace it');
  giveBack();
  assert.equal(read(join(root, 'etc/resolv.conf')), '', 'the host\'s text is not kept in the root (nor in a cached layer)');
  assert.equal(read(join(root, 'etc/hosts')), '');
});

test('a step replacing resolv.conf/hosts keeps its result (Vagga: ln -sfn /state/resolv.conf /etc/resolv.conf)', () => {
  const { root, hostEtc } = tree();
  mkdirSync(join(root, 'state'));
  const giveBack = lendNetworkFiles(root, hostEtc);
  // What the step's command does inside the root:
  rmSync(join(root, 'etc/resolv.conf'));
  symlinkSync('/state/resolv.conf', join(root, 'etc/resolv.conf'));
  writeFileSync(join(root, 'etc/hosts'), '127.0.0.1 localhost\n10.0.0.1 db\n');
  giveBack();
  assert.equal(readlinkSync(join(root, 'etc/resolv.conf')), '/state/resolv.conf');
  assert.equal(read(join(root, 'etc/hosts')), '127.0.0.1 localhost\n10.0.0.1 db\n', 'a step\'s own hosts text stays until the finish');
  // Later commands: a symlink is left alone (Vagga skips it too), the changed hosts is lent again.
  const again = lendNetworkFiles(root, hostEtc);
  assert.equal(readlinkSync(join(root, 'etc/resolv.conf')), '/state/resolv.conf');
  assert.ok(!lstatSync(join(root, 'state')).isSymbolicLink());
  assert.deepEqual(readFileSync(join(root, 'etc/hosts'), 'utf8'), '127.0.0.1 localhost\n');
  again();
  assert.equal(read(join(root, 'etc/hosts')), '127.0.0.1 localhost\n10.0.0.1 db\n', 'its own text back after the command');
  // The finish phase empties the files, keeps the symlinks, and empties the custom paths.
  return emptyNetworkFiles(root, customNetworkFiles({ resolvConfPath: '/state/resolv.conf', hostsFilePath: '/state/hosts' })).then(() => {
    assert.equal(readlinkSync(join(root, 'etc/resolv.conf')), '/state/resolv.conf');
    assert.equal(read(join(root, 'etc/hosts')), '');
    assert.equal(read(join(root, 'state/resolv.conf')), '');
    assert.equal(read(join(root, 'state/hosts')), '');
  });
});

test('lending stays inside the root: /etc as a symlink out of it is resolved inside the root', () => {
  const { root, hostEtc } = tree();
  const outside = tempDir('vagga-netfiles-out-');
  writeFileSync(join(outside, 'resolv.conf'), 'CANARY');
  symlinkSync(outside, join(root, 'etc'));
  const giveBack = lendNetworkFiles(root, hostEtc);
  giveBack();
  assert.equal(read(join(outside, 'resolv.conf')), 'CANARY');
  assert.equal(read(join(root, outside, 'resolv.conf')), '', 'made inside the root, at the link\'s target read with the root as /');
});

test('taking back re-resolves: a command that made /etc a symlink out of the root cannot make vagga write there', () => {
  const { root, hostEtc } = tree();
  const outside = tempDir('vagga-netfiles-out-');
  writeFileSync(join(outside, 'resolv.conf'), 'nameserver 192.0.2.53\n');
  const giveBack = lendNetworkFiles(root, hostEtc);
  rmSync(join(root, 'etc'), { recursive: true });
  symlinkSync(outside, join(root, 'etc'));
  giveBack();
  assert.equal(read(join(outside, 'resolv.conf')), 'nameserver 192.0.2.53\n', 'the host file is untouched');
});

test('custom resolv/hosts paths: only non-default, non-null ones; a missing dir is skipped; they key the finish layer', async () => {
  assert.deepEqual(customNetworkFiles({ resolvConfPath: '/etc/resolv.conf', hostsFilePath: '/etc/hosts' }), []);
  assert.deepEqual(customNetworkFiles({ resolvConfPath: null, hostsFilePath: '/state/hosts' }), ['/state/hosts']);
  const { root } = tree();
  await emptyNetworkFiles(root, ['/nodir/resolv.conf']);
  assert.ok(!lstatSync(join(root, 'nodir'), { throwIfNoEntry: false }));
  const base = { steps: [], stepHashes: [], stepDef: () => undefined, uidMap: '', gidMap: '', ranges: '', dataDirs: [], projectRoot: '/p', arch: 'x64', buildSettings: '' };
  const plain = planLayers(base);
  const custom = planLayers({ ...base, networkFiles: ['/state/resolv.conf'] });
  assert.ok(plain.cached && custom.cached);
  assert.equal(planLayers({ ...base, networkFiles: [] }).cached && (planLayers({ ...base, networkFiles: [] }) as { finishKey: string }).finishKey, plain.finishKey, 'unchanged without custom paths');
  assert.notEqual(custom.finishKey, plain.finishKey);
});
