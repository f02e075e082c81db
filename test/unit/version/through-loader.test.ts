/** The same vectors as vectors.test.ts, but read from a vagga.yaml through the real loader. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../../../src/config/load.js';
import { containerVersion } from '../../../src/version/container-version.js';
import { tempDir } from '../temp-dir.js';
import { SHARED_DIR } from '../shared-dir.js';
import { STEP_DEFS } from '../../../src/steps/registry.js';

const YAML = `
containers:
  busybox:
    setup:
    - !Alpine v3.4
  text:
    setup:
    - !Alpine v3.4
    - !Text
      /etc/shakespeare: |
        Sir, in my heart there was a kind of fighting
        That would not let me sleep.
  calc:
    setup:
    - !Container busybox
    - !Install [bc]
  cache_dirs:
    setup:
    - !Alpine v3.4
    - !CacheDirs { /var/cache: var-cache }
  ensure:
    setup:
    - !Alpine v3.4
    - !EnsureDir /var/lib/mount_point
    - !EnsureDir /var/lib/mount_point/subdir
    volumes:
      /var/lib/mount_point: !Tmpfs
  hello:
    setup:
    - !Text { /etc/hello.txt: "Hello world!", /etc/bye.txt: "Good bye!" }
  i386:
    setup:
    - !UbuntuRelease { codename: xenial, arch: i386 }
    - !Install [bc]
  umask:
    setup:
    - !Copy
      source: /work/dir
      path: /dir
      umask: 0o077
`;

test('hashes of configs read by loadConfig', () => {
  // tempDir removes the copy at exit even though the fixture's dirs are read-only (cpSync
  // keeps their modes, so an ordinary user cannot unlink inside them without a chmod).
  const dir = tempDir('vload-');
  fs.writeFileSync(path.join(dir, 'vagga.yaml'), YAML);
  fs.cpSync(path.join(SHARED_DIR, 'vagga-fixtures/copy/dir'), path.join(dir, 'dir'), { recursive: true });
  const cfg = loadConfig(STEP_DEFS, dir);
  const short = (n: string) => containerVersion(STEP_DEFS, cfg, n).hash.slice(0, 8);
  assert.equal(short('busybox'), 'd304a005');
  assert.equal(short('text'), 'efc9a869');
  assert.equal(short('calc'), '5af5e7a3');
  assert.equal(short('cache_dirs'), '2090f8c2');
  assert.equal(short('ensure'), '998c9d5b');
  assert.equal(short('hello'), '84b3175b');
  assert.equal(short('i386'), '30fb2ea2');
  assert.equal(short('umask'), '98755219');
});
