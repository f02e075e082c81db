/**
 * End-to-end: extra apt sources on a Debian container (`!Repo`, `!UbuntuRepo` on Debian,
 * packages from the added component), and the clear errors of the distribution steps whose
 * mirrors this machine cannot reach (`ubuntu-mirror`, `alpine-mirror`). Debian parts need
 * the host's Debian mirror: VAGGA_E2E_SKIP_DEBIAN=1 skips them.
 */
import { strict as assert } from 'node:assert';
import { after, describe, test } from 'node:test';
import { cleanupStage, e2eEnv, makeProject, show, vagga } from './harness.js';

after(cleanupStage);

const skipDebian = process.env.VAGGA_E2E_SKIP_DEBIAN === '1' ? 'VAGGA_E2E_SKIP_DEBIAN=1' : false;

describe('apt sources on Debian', { skip: skipDebian, timeout: 1_200_000 }, () => {
  test('!Repo suite/component and !UbuntuRepo add sources; a contrib package installs', async () => {
    const dir = await makeProject({
      'vagga.yaml': `
containers:
  repo:
    setup:
    - !Debian bookworm
    - !Repo bookworm-updates/main
    - !UbuntuRepo {suite: bookworm, components: [contrib]}
    - !Install [b43-fwcutter]
commands:
  check: !Command
    container: repo
    run: [sh, -c, 'cat /etc/apt/sources.list.d/*.list; test -x /usr/bin/b43-fwcutter && echo installed']
`,
    }, { busybox: false, name: 'distros' });
    const r = await vagga(dir, ['check'], { timeoutMs: 900_000 });
    assert.equal(r.status, 0, show(r));
    assert.match(r.stdout, / bookworm-updates main\n/);
    assert.match(r.stdout, / bookworm contrib\n/);
    assert.match(r.stdout, /installed\n$/);
  });
});

describe('unreachable distributions fail clearly', () => {
  test('!Ubuntu without ubuntu-mirror names the setting (121)', async () => {
    const env = await e2eEnv();
    const dir = await makeProject({ 'vagga.yaml': 'containers:\n  u:\n    setup:\n    - !Ubuntu jammy\n' }, { busybox: false, name: 'ubuntu' });
    const r = await vagga(dir, ['_build', 'u'], { settings: `cache-dir: ${env.cacheDir}\n` });
    assert.equal(r.status, 121, show(r));
    assert.match(r.stderr, /`ubuntu-mirror` setting is not set/, show(r));
  });

  test('!Alpine: bad version is Vagga\'s error; no alpine-mirror names the setting; unreachable mirror too', async () => {
    const env = await e2eEnv();
    const dir = await makeProject({
      'vagga.yaml': 'containers:\n  bad:\n    setup:\n    - !Alpine v3.3-1\n  a:\n    setup:\n    - !Alpine v3.18\n',
    }, { busybox: false, name: 'alpine' });
    const bad = await vagga(dir, ['_build', 'bad'], { settings: `cache-dir: ${env.cacheDir}\nalpine-mirror: http://127.0.0.1:9/alpine/\n` });
    assert.equal(bad.status, 121, show(bad));
    assert.match(bad.stderr, /Error checking alpine version: 'v3\.3-1'/, show(bad));
    const unset = await vagga(dir, ['_build', 'a'], { settings: `cache-dir: ${env.cacheDir}\n` });
    assert.equal(unset.status, 121, show(unset));
    assert.match(unset.stderr, /`alpine-mirror` setting is not set/, show(unset));
    const down = await vagga(dir, ['_build', 'a'], { settings: `cache-dir: ${env.cacheDir}\nalpine-mirror: http://127.0.0.1:9/alpine/\n` });
    assert.equal(down.status, 121, show(down));
    assert.match(down.stderr, /Alpine mirror is unreachable/, show(down));
    assert.match(down.stderr, /alpine-mirror/, show(down));
  });
});
