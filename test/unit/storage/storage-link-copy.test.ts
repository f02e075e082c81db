import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readlinkSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Settings } from '../../../src/config/model.js';
import { projectLayout } from '../../../src/storage/layout.js';
import { ensureStorageBase } from '../../../src/storage/storage-link.js';
import { tempDir } from '../temp-dir.js';

const base: Settings = { buildLockWait: false, proxyEnvVars: true, propagateEnviron: [], environ: {}, externalVolumes: {} };

/**
 * A project `<parent>/hello` (`orig`, in a fresh temp `parent`) whose storage base was made by
 * ensureStorageBase under a fresh temp `storage-dir` (`settings`); `dir` is that base.
 */
function projectWithStorage(): { settings: Settings; parent: string; orig: string; dir: string } {
  const storage = tempDir('vagga-sdc-');
  const parent = tempDir('vagga-sdcp-');
  const orig = join(parent, 'hello');
  mkdirSync(orig);
  const settings: Settings = { ...base, storageDir: storage };
  return { settings, parent, orig, dir: ensureStorageBase(projectLayout(orig, settings), settings, {}) };
}

test('a copied project (cp -a, .vagga/.lnk copied) is refused with a fix; the original keeps working', () => {
  const { settings, parent, orig, dir } = projectWithStorage();
  const copy = join(parent, 'hello-copy');
  cpSync(orig, copy, { recursive: true, verbatimSymlinks: true });
  assert.equal(readlinkSync(join(copy, '.vagga/.lnk')), dir);
  assert.throws(() => ensureStorageBase(projectLayout(copy, settings), settings, {}), (e: any) =>
    e.exitCode === 121 && e.message.includes(`belongs to the project ${orig}`) && e.hint.includes(`rm ${join(copy, '.vagga/.lnk')}`));
  assert.equal(ensureStorageBase(projectLayout(orig, settings), settings, {}), dir);
});

test('a moved project takes its storage dir over (the back-link is re-pointed)', () => {
  const { settings, parent, orig, dir } = projectWithStorage();
  const moved = join(parent, 'moved');
  renameSync(orig, moved);
  assert.equal(ensureStorageBase(projectLayout(moved, settings), settings, {}), dir);
  assert.equal(readlinkSync(join(dir, '.lnk')), moved);
});
