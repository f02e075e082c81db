import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { vanishedCheck } from '../../../src/builder/ensure-built.js';
import { tempDir } from '../temp-dir.js';

test('a build dir removed during the build is a clean build error (121), not an internal one', async () => {
  const dir = join(tempDir('vagga-vanish-'), '.tmp.app');
  mkdirSync(join(dir, 'root'), { recursive: true });
  const enoent = Object.assign(new Error(`ENOENT: no such file or directory, copyfile 'x' -> '${dir}/timings.log'`), { code: 'ENOENT' });
  await assert.rejects(vanishedCheck(dir, 'app', async () => { rmSync(dir, { recursive: true }); throw enoent; }),
    (e: any) => e.name === 'BuildFailedError' && e.exitCode === 121 && /removed while the build was running/.test(e.message) && /_clean/.test(e.hint));
  mkdirSync(join(dir, 'root'), { recursive: true });
  await assert.rejects(vanishedCheck(dir, 'app', async () => { rmSync(dir, { recursive: true }); return { ok: true }; }),
    (e: any) => e.exitCode === 121 && /build directory/.test(e.message));
  mkdirSync(join(dir, 'root'), { recursive: true });
  assert.deepEqual(await vanishedCheck(dir, 'app', async () => ({ ok: true })), { ok: true });
  await assert.rejects(vanishedCheck(dir, 'app', async () => { throw new Error('other'); }), /^Error: other$/);
});
