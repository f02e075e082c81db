/**
 * End-to-end (slow; needs the host's Debian mirror and the npm registry the host's npm is
 * configured for): npm packages installed into a Debian container through the real CLI as an
 * ordinary user; Vagga's NODE_PATH finds them; build dependencies (a `!BuildDeps` compiler,
 * the npm step's build-essential, headers and npm) are gone from the image afterwards. The registry, proxy and CA settings come from the host user's npm
 * configuration (src/steps/npm/host-config.ts). Set VAGGA_E2E_SKIP_DEBIAN=1 to skip.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import { cleanupStage, e2eEnv, linkHash, makeProject, show, vagga } from './harness.js';

after(cleanupStage);

const skip = process.env.VAGGA_E2E_SKIP_DEBIAN === '1' ? 'VAGGA_E2E_SKIP_DEBIAN=1' : false;

const project = `
containers:
  tools:
    setup:
    - !Debian bookworm
    - !NpmInstall [semver@7.6.0]
    - !NpmDependencies { dev: false }
  app:
    setup:
    - !Debian bookworm
    - !Install [hello]
    - !BuildDeps [gcc, libc6-dev]
    - !Sh 'printf "int main(void) { return 0; }\\n" > /tmp/t.c && gcc -o /usr/local/bin/built-with-gcc /tmp/t.c'
    - !NpmDependencies { dev: false }
commands:
  app-files: !Command
    container: app
    run:
    - sh
    - -c
    - |
      for f in /usr/bin/gcc /usr/bin/g++ /usr/bin/make /usr/bin/cc /usr/bin/npm /usr/include/stdio.h; do
        if test -e $f; then echo "left: $f"; fi
      done
      for p in gcc npm build-essential libnode-dev; do
        s=$(dpkg-query -W -f='\${db:Status-Status}' $p 2>/dev/null)
        if [ -n "$s" ] && [ "$s" != not-installed ]; then echo "dpkg still has: $p ($s)"; fi
      done
      hello && built-with-gcc && node -e 'console.log(require("/usr/local/lib/node_modules/is-number")(5))'
  node-path: !Command
    container: tools
    environ: { NODE_PATH: /usr/lib/node_modules }
    run: [node, -e, 'console.log(require("is-number")(5), require("semver").valid("1.2.3"))']
  semver: !Command
    container: tools
    run: [semver]
  has-dev: !Command
    container: tools
    run: [sh, -c, 'test -e /usr/local/lib/node_modules/resolve-cli && echo dev || echo no-dev']
`;

const packageJson = JSON.stringify({
  name: 'e2e', version: '1.0.0',
  dependencies: { 'is-number': '7.0.0' },
  devDependencies: { 'resolve-cli': '*' },
});

describe('npm steps', { skip, timeout: 1_800_000 }, () => {
  let dir: string;

  before(async () => {
    await e2eEnv();
    dir = await makeProject({ 'vagga.yaml': project, 'package.json': packageJson }, { busybox: false, name: 'npm' });
  });

  test('!NpmInstall puts a working tool on PATH', async () => {
    const r = await vagga(dir, ['semver', '1.2.3', '-r', '>=1.0.0'], { timeoutMs: 1_500_000 });
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, '1.2.3\n', show(r));
    assert.ok(linkHash(dir, 'tools'), 'container published');
  });

  test('!NpmDependencies { dev: false } installs dependencies only, usable from node', async () => {
    const dev = await vagga(dir, ['has-dev']);
    assert.equal(dev.status, 0, show(dev));
    assert.equal(dev.stdout, 'no-dev\n', show(dev));
    const node = await vagga(dir, ['_run', 'tools', 'node', '-e', 'console.log(require("/usr/local/lib/node_modules/is-number")(5))']);
    assert.equal(node.status, 0, show(node));
    assert.equal(node.stdout, 'true\n', show(node));
  });

  test('Vagga\'s NODE_PATH=/usr/lib/node_modules finds the modules npm installed', async () => {
    const r = await vagga(dir, ['node-path']);
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, 'true 1.2.3\n', show(r));
  });

  test('build dependencies (!BuildDeps, the npm step\'s compilers and npm) are purged; !Install-ed and built files stay', async () => {
    const r = await vagga(dir, ['app-files'], { timeoutMs: 1_500_000 });
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, 'Hello, world!\ntrue\n', `no compiler, make, npm or headers left, nothing half-removed\n${show(r)}`);
    assert.match(r.stderr, /Removing build dependencies: gcc libc6-dev build-essential libnode-dev npm/, show(r));
  });

  test('without a distribution step, !NpmInstall starts Debian (Vagga: Alpine) and keeps Vagga\'s version', async () => {
    const implicit = await makeProject({ 'vagga.yaml': `
containers:
  pkg:
    setup:
    - !NpmInstall [resolve-cli]
commands:
  resolve: !Command
    container: pkg
    run: [resolve]
` }, { busybox: false, name: 'npm-implicit' });
    const r = await vagga(implicit, ['resolve', '.'], { timeoutMs: 1_500_000 });
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, '/work\n', show(r));
    assert.match(r.stderr, /no distribution is active; starting Debian/);
    assert.equal(linkHash(implicit, 'pkg'), 'e76ae0ec', 'the hash of Vagga\'s npm.bats "default pkg"');
  });
});
