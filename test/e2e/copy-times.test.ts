/**
 * End-to-end: the times `!Copy` leaves in a built root (vagga-inventory.md §1.7 `!Copy`, §4
 * "copy: directory": atime = mtime = 1 unless `preserve-times`, which keeps the source's).
 * Nothing vagga does after the step may move them: neither the root's index (read from the
 * copy's tar stream with the build cache, walked without it) nor the copy of the cached
 * layers into the root. Checked with and without the build cache, on the host (lstat does
 * not touch atime).
 */
import { strict as assert } from 'node:assert';
import { lstatSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanupStage, e2eEnv, makeProject, show, token, vagga } from './harness.js';

after(cleanupStage);

const yaml = `
containers:
  plain:
    setup:
    - !Tar { url: ./busybox.tar }
    - !Copy { source: /work/src, path: /copy }
  kept:
    setup:
    - !Tar { url: ./busybox.tar }
    - !Copy { source: /work/src, path: /copy, preserve-times: true }
`;

/** atime and mtime in whole seconds. */
function times(path: string): [number, number] {
  const st = lstatSync(path);
  return [Math.floor(st.atimeMs / 1000), Math.floor(st.mtimeMs / 1000)];
}

for (const cache of [true, false]) {
  describe(`!Copy times in the built root (build cache ${cache ? 'on' : 'off'})`, () => {
    let dir: string;
    before(async () => {
      await e2eEnv();
      // A fresh token: the build cache's layers of this copy are made by this run, not reused.
      dir = await makeProject({ 'vagga.yaml': yaml, 'src/f.txt': `${token()}\n`, 'src/sub/g.txt': 'nested\n' }, { name: `copy-times-${cache}` });
      for (const p of ['src/f.txt', 'src/sub/g.txt', 'src/sub']) utimesSync(join(dir, p), 1000, 2000);
      for (const c of ['plain', 'kept']) {
        const r = await vagga(dir, ['_build', c], { noBuildCache: !cache });
        assert.equal(r.status, 0, show(r));
      }
    });

    test('without preserve-times files and directories have atime = mtime = 1', () => {
      const root = join(dir, '.vagga/plain/copy');
      assert.deepEqual(times(join(root, 'f.txt')), [1, 1]);
      assert.deepEqual(times(join(root, 'sub/g.txt')), [1, 1]);
      assert.equal(times(join(root, 'sub'))[0], 1);
    });

    test('with preserve-times files keep the source atime and mtime, directories the atime', () => {
      const root = join(dir, '.vagga/kept/copy');
      // The source's atime as the copy saw it: its first read (the version hash, before the
      // build; Vagga's too) moved it, relatime leaves it alone after that.
      const src = (p: string) => times(join(dir, 'src', p))[0];
      assert.deepEqual(times(join(root, 'f.txt')), [src('f.txt'), 2000]);
      assert.deepEqual(times(join(root, 'sub/g.txt')), [src('sub/g.txt'), 2000]);
      assert.equal(times(join(root, 'sub'))[0], src('sub'));
    });
  });
}
