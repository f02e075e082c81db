/**
 * Hash contributions of the source-file steps built by sourceFileStep (src/steps/download.ts):
 * `!Download`, `!Tar`, `!Unzip`, `!TarInstall`. Each is compared with a digest fed by hand in
 * the field order of vagga-inventory.md §1.4 (`hash` = sha256 else `url`, then the step's own
 * fields), so the shared factory cannot drop, add or reorder a field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stepDef } from '../../../src/steps/registry.js';
import type { VersionContext } from '../../../src/steps/step.js';
import { Digest } from '../../../src/version/digest.js';

function stepHash(tag: string, params: unknown): string {
  const d = new Digest();
  stepDef(tag)!.hash(params, d, {} as VersionContext);
  return d.hex();
}

function manual(feed: (d: Digest) => void): string {
  const d = new Digest();
  feed(d);
  return d.hex();
}

test('!TarInstall: hash|url, opt subdir, script (no path)', () => {
  assert.equal(stepHash('TarInstall', { url: 'http://x/a.tar.gz', script: 'make\n' }),
    manual((d) => { d.field('url', 'http://x/a.tar.gz'); d.field('script', 'make\n'); }));
  assert.equal(stepHash('TarInstall', { url: 'http://x/a.tar.gz', sha256: 'abc', subdir: 'a-1', script: 'make\n' }),
    manual((d) => { d.field('hash', 'abc'); d.field('subdir', 'a-1'); d.field('script', 'make\n'); }));
});

test('!Unzip and !Tar: hash|url, path, subdir', () => {
  for (const tag of ['Unzip', 'Tar']) {
    assert.equal(stepHash(tag, { url: './a', path: '/opt', subdir: '' }),
      manual((d) => { d.field('url', './a'); d.field('path', '/opt'); d.field('subdir', ''); }), tag);
    assert.equal(stepHash(tag, { url: './a', sha256: 'ff', path: '/', subdir: 'x/y' }),
      manual((d) => { d.field('hash', 'ff'); d.field('path', '/'); d.field('subdir', 'x/y'); }), tag);
  }
});

test('!Download: hash|url, path, mode (decimal)', () => {
  assert.equal(stepHash('Download', { url: 'http://x/f', sha256: '34', path: '/f', mode: 0o755 }),
    manual((d) => { d.field('hash', '34'); d.field('path', '/f'); d.field('mode', 493); }));
});
