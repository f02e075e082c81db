/**
 * Where `environ-file` is read from (issue 14): a path inside the container as a command
 * sees it, so `/work/...` is the project (Vagga opens it after the pivot into the
 * container), anything else the built root; symlinks are followed inside that view only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerConfig } from '../../../src/config/model.js';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import { readEnvironFile } from '../../../src/runtime/run-in-container.js';
import { tempDir } from '../temp-dir.js';

function container(environFile: string): ContainerConfig {
  return {
    name: 'c', setup: [], environ: {}, volumes: {}, uids: [], gids: [], autoClean: false, dataDirs: [], environFile,
    resolvConfPath: '/etc/resolv.conf', hostsFilePath: '/etc/hosts', defaultShell: [], pos: undefined as never,
  };
}

/** A built root (with its empty /work mount point), a project, and a secret outside both. */
function tree(): { rootfs: string; project: string; secret: string } {
  const rootfs = tempDir('vagga-envfile-root-');
  const project = tempDir('vagga-envfile-work-');
  const outside = tempDir('vagga-envfile-host-');
  mkdirSync(join(rootfs, 'work'));
  mkdirSync(join(rootfs, 'etc'));
  writeFileSync(join(rootfs, 'etc/app.env'), 'FROM=root\n');
  writeFileSync(join(project, '.env'), 'FROM=project\nQ="quoted"\n');
  const secret = join(outside, 'secret.env');
  writeFileSync(secret, 'FROM=host\n');
  return { rootfs, project, secret };
}

test('environ-file /work/.env is read from the project, other paths from the root (Vagga reads it inside the container)', () => {
  const { rootfs, project } = tree();
  assert.deepEqual(readEnvironFile(container('/work/.env'), rootfs, project), { FROM: 'project', Q: 'quoted' });
  assert.deepEqual(readEnvironFile(container('/etc/app.env'), rootfs, project), { FROM: 'root' });
  assert.deepEqual(readEnvironFile(container('etc/app.env'), rootfs, project), { FROM: 'root' }, 'relative to the container\'s /');
});

test('environ-file symlinks are followed inside the container view, never to other host files', () => {
  const { rootfs, project, secret } = tree();
  // Absolute links in the project mean the container's paths, not the host's.
  symlinkSync(secret, join(project, 'abs.env'));
  assert.throws(() => readEnvironFile(container('/work/abs.env'), rootfs, project), (e: VaggaError) =>
    e.code === 'sandbox.environ-file-unreadable' && /no such file/.test(e.message));
  symlinkSync('/etc/app.env', join(project, 'to-root.env'));
  assert.deepEqual(readEnvironFile(container('/work/to-root.env'), rootfs, project), { FROM: 'root' });
  // A relative link climbing out of the project stops at the container's /.
  symlinkSync('../../../../../../../etc/app.env', join(project, 'up.env'));
  assert.deepEqual(readEnvironFile(container('/work/up.env'), rootfs, project), { FROM: 'root' });
  // A link in the image to /work is the project.
  symlinkSync('/work/.env', join(rootfs, 'etc/link.env'));
  assert.deepEqual(readEnvironFile(container('/etc/link.env'), rootfs, project), { FROM: 'project', Q: 'quoted' });
});

test('environ-file without a project (an exported image): the root only', () => {
  const { rootfs } = tree();
  assert.deepEqual(readEnvironFile(container('/etc/app.env'), rootfs), { FROM: 'root' });
  assert.throws(() => readEnvironFile(container('/work/.env'), rootfs), /Can't read environ-file "\/work\/\.env" of container "c": \/work\/\.env: no such file/);
});
