/**
 * `!VaggaBin` host files (src/runtime/volumes/vagga-bin.ts): parsing glibc ldd output, and
 * vaggaBinFiles on a fake host (symlinks resolved to real files bound under the names asked
 * for; what is missing is named). test/e2e/volumes.test.ts runs the real thing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseLdd, vaggaBinFiles, type VaggaBinHost } from '../../../src/runtime/volumes/vagga-bin.js';
import { tempDir } from '../temp-dir.js';

const LDD = [
  '\tlinux-vdso.so.1 (0x00007ffd6b5f2000)',
  '\tlibstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f9d25800000)',
  '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f9d2561e000)',
  '\t/lib64/ld-linux-x86-64.so.2 (0x00007f9d25c1e000)',
  '',
].join('\n');

test('parseLdd: libraries, the loader (bare or with =>), not found, vdso skipped', () => {
  assert.deepEqual(parseLdd(LDD), {
    loader: '/lib64/ld-linux-x86-64.so.2',
    libs: [
      { name: 'libstdc++.so.6', path: '/lib/x86_64-linux-gnu/libstdc++.so.6' },
      { name: 'libc.so.6', path: '/lib/x86_64-linux-gnu/libc.so.6' },
    ],
    notFound: [],
  });
  assert.deepEqual(parseLdd('\tlibuv.so.1 => not found\n\t/lib/ld-linux-aarch64.so.1 => /usr/lib/ld-linux-aarch64.so.1 (0x0000ffff8)\n'), {
    loader: '/lib/ld-linux-aarch64.so.1', libs: [], notFound: ['libuv.so.1'],
  });
});

/** A fake host: bundle dir with vagga.cjs, a runtime link, libraries behind links. */
function fakeHost(): { dir: string; host: (ldd: VaggaBinHost['ldd']) => VaggaBinHost; lddText: string } {
  const dir = tempDir('vagga-bin-');
  mkdirSync(join(dir, 'dist/chunks'), { recursive: true });
  writeFileSync(join(dir, 'dist/vagga.cjs'), '');
  writeFileSync(join(dir, 'node-real'), '');
  symlinkSync('node-real', join(dir, 'node'));
  mkdirSync(join(dir, 'lib'));
  writeFileSync(join(dir, 'lib/libstdc++.so.6.0.30'), '');
  symlinkSync('libstdc++.so.6.0.30', join(dir, 'lib/libstdc++.so.6'));
  writeFileSync(join(dir, 'lib/ld-2.so'), '');
  symlinkSync('ld-2.so', join(dir, 'lib/ld-linux-x86-64.so.2'));
  const lddText = `\tlibstdc++.so.6 => ${dir}/lib/libstdc++.so.6 (0x1)\n\t${dir}/lib/ld-linux-x86-64.so.2 (0x2)\n`;
  return { dir, lddText, host: (ldd) => ({ bundleDir: () => join(dir, 'dist'), runtime: join(dir, 'node'), ldd }) };
}

test('vaggaBinFiles: real files under the names asked for; the loader under its basename', () => {
  const { dir, host, lddText } = fakeHost();
  const asked: string[] = [];
  const r = vaggaBinFiles(host((p) => (asked.push(p), { status: 0, stdout: lddText, stderr: '' })));
  const real = realpathSync(dir);
  assert.deepEqual(asked, [`${real}/node-real`], 'ldd runs on the real runtime file');
  assert.ok(!('missing' in r));
  assert.deepEqual({ ...r, bundleEntries: [...r.bundleEntries].sort() }, {
    bundleDir: join(dir, 'dist'), bundleEntries: ['chunks', 'vagga.cjs'], runtime: `${real}/node-real`,
    loader: { name: 'ld-linux-x86-64.so.2', source: `${real}/lib/ld-2.so` },
    libs: [{ name: 'libstdc++.so.6', source: `${real}/lib/libstdc++.so.6.0.30` }],
  });
});

test('vaggaBinFiles: a static runtime has no loader; what is missing is named', () => {
  const { dir, host, lddText } = fakeHost();
  const stat = vaggaBinFiles(host(() => ({ status: 1, stdout: '', stderr: '\tnot a dynamic executable\n' })));
  assert.ok(!('missing' in stat) && stat.loader === undefined && stat.libs.length === 0);
  assert.match((vaggaBinFiles(host(() => undefined)) as { missing: string }).missing, /`ldd` \(Debian package libc-bin\)/);
  assert.match((vaggaBinFiles(host(() => ({ status: 0, stdout: `${lddText}\tlibuv.so.1 => not found\n`, stderr: '' }))) as { missing: string }).missing,
    /the libraries libuv\.so\.1 of .*node-real \(ldd: not found\)/);
  const fromSources: VaggaBinHost = { ...host(() => undefined), bundleDir: () => { throw new Error('vagga runs from sources'); } };
  assert.equal((vaggaBinFiles(fromSources) as { missing: string }).missing, 'the vagga bundle: vagga runs from sources');
  const noEntry: VaggaBinHost = { ...host(() => undefined), bundleDir: () => join(dir, 'lib') };
  assert.match((vaggaBinFiles(noEntry) as { missing: string }).missing, /the bundle's vagga\.cjs \(in /);
});
