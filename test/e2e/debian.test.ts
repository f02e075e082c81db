/**
 * End-to-end (slow, needs the host's Debian mirror): `!Debian bookworm` + `!Install [hello]`.
 * The bootstrap tarball lives in the shared cache dir (`cache-dir` setting of the harness:
 * /var/tmp/vagga-e2e-cache-<user>), so mmdebstrap runs once per machine; a second container
 * on the same base only unpacks it. apt's downloaded .debs are kept in the cache dir.
 * Set VAGGA_E2E_SKIP_DEBIAN=1 to skip (e.g. offline).
 */
import { strict as assert } from 'node:assert';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanupStage, e2eEnv, linkHash, makeProject, show, vagga, type E2EEnv } from './harness.js';
import { fileSnapshot } from './fixtures.js';

after(cleanupStage);

const skip = process.env.VAGGA_E2E_SKIP_DEBIAN === '1' ? 'VAGGA_E2E_SKIP_DEBIAN=1' : false;

const project = `
containers:
  hello:
    setup:
    - !Debian bookworm
    - !Install [hello]
  hello-too:
    setup:
    - !Debian bookworm
    - !Install [hello]
    - !Text { /etc/second.txt: second }
commands:
  hello: !Command
    container: hello
    run: [hello]
  hello-too: !Command
    container: hello-too
    run: hello --greeting="$(cat /etc/second.txt)"
`;


describe('Debian container', { skip, timeout: 1_800_000 }, () => {
  let env: E2EEnv;
  let dir: string;

  before(async () => {
    env = await e2eEnv();
    dir = await makeProject({ 'vagga.yaml': project }, { busybox: false, name: 'debian' });
  });

  test('!Debian bookworm + !Install [hello]: `hello` runs in the container', async () => {
    const r = await vagga(dir, ['hello'], { timeoutMs: 1_200_000 });
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, 'Hello, world!\n', show(r));
    assert.ok(linkHash(dir, 'hello'), 'container published');
  });

  test('the bootstrap tarball is cached and a second container does not bootstrap again', async () => {
    const tarsBefore = [...fileSnapshot(env.cacheDir)].filter(([p]) => p.endsWith('.tar'));
    assert.ok(tarsBefore.length >= 1, `a bootstrap tarball is cached in ${env.cacheDir}`);
    const r = await vagga(dir, ['hello-too'], { timeoutMs: 600_000 });
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, 'second\n', show(r));
    const tarsAfter = [...fileSnapshot(env.cacheDir)].filter(([p]) => p.endsWith('.tar'));
    assert.deepEqual(tarsAfter, tarsBefore, 'the cached tarball was reused unchanged (no second bootstrap)');
  });

  test('apt keeps the downloaded .deb in the cache dir', () => {
    const debs = [...fileSnapshot(env.cacheDir).keys()].filter((p) => /\/hello_[^/]*\.deb$/.test(p));
    assert.ok(debs.length >= 1, `hello_*.deb under ${env.cacheDir}`);
  });

  test('the container root is owned by the user (root inside = the user outside)', () => {
    const st = statSync(join(dir, '.vagga/hello/usr/bin/hello'));
    assert.equal(st.uid, env.uid);
  });
});
