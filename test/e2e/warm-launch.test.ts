/**
 * End-to-end: the warm path (issue 12, src/runtime/launch-cache.ts, src/cli/warm-entry.ts).
 * A launch that ran once is replayed from its description; how a test knows the warm path
 * ran: the staged CLI bundle `dist/vagga-main.cjs` is made unreadable (chmod keeps its size,
 * mtime and inode, so the key still holds), which the full path cannot run without (not even
 * with the config cache, which also spares reading vagga.yaml). Proved here: the warm path keeps behaviour
 * (exit codes, the caller's fds, signal forwarding, no orphans when vagga is SIGKILLed, the
 * epilog), and every kind of input invalidates it (an edit of vagga.yaml, the settings, an
 * environment variable, a rebuilt version behind `.vagga/NAME`), while a volatile variable
 * the command does not get (SHLVL) does not.
 */
import { strict as assert } from 'node:assert';
import { chmodSync, closeSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanupStage, e2eEnv, makeProject, show, spawnVagga, token, vagga, waitNoProcesses, writeProjectFile, type VaggaOptions } from './harness.js';

const yaml = (greeting: string) => `
containers:
  bb:
    setup:
    - !Tar { url: ./busybox.tar }
  stamped:
    setup:
    - !Tar { url: ./busybox.tar }
    - !Sh cat /proc/sys/kernel/random/uuid > /stamp
commands:
  hello: !Command
    container: bb
    environ: { GREETING: ${greeting} }
    epilog: "that was hello\\n"
    run: 'echo "$GREETING ${'$'}{FROM_SETTINGS:-none} ${'$'}{FROM_ENV:-none}"'
`;

describe('warm launches', { timeout: 900_000 }, () => {
  let dir: string;
  /** Run `fn` with the CLI bundle unreadable: only the warm path can run vagga then. */
  async function bundleHidden<T>(fn: () => Promise<T>): Promise<T> {
    const main = join((await e2eEnv()).distDir, 'vagga-main.cjs');
    chmodSync(main, 0o000);
    try {
      return await fn();
    } finally {
      chmodSync(main, 0o644);
    }
  }
  /** Run vagga twice (the second may be warm), then once more with the CLI bundle hidden: that one can only be warm. */
  async function warm(args: string[], opts: VaggaOptions = {}) {
    await vagga(dir, args, opts);
    await vagga(dir, args, opts);
    return bundleHidden(() => vagga(dir, args, opts));
  }
  /** One run with the CLI bundle hidden: fails unless it is warm. */
  async function cold(args: string[], opts: VaggaOptions = {}) {
    return bundleHidden(() => vagga(dir, args, opts));
  }
  before(async () => {
    dir = await makeProject({ 'vagga.yaml': yaml('hi') }, { name: 'warm' });
    const r = await vagga(dir, ['_build', 'bb']);
    assert.equal(r.status, 0, show(r));
  });
  after(cleanupStage);

  test('a repeated _run is replayed without loading the CLI, with its exit code', async () => {
    const r = await warm(['_run', 'bb', 'sh', '-c', 'exit 7']);
    assert.equal(r.status, 7, show(r));
    assert.equal(r.stderr, '', show(r));
    // Without the launch cache the same run needs the CLI (and fails: it is unreadable).
    const off = await cold(['_run', 'bb', 'sh', '-c', 'exit 7'], { env: { VAGGA_NO_LAUNCH_CACHE: '1' } });
    assert.notEqual(off.status, 7, show(off));
  });

  test('a !Command: output and epilog as on the full path', async () => {
    const r = await warm(['hello']);
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, 'hi none none\nthat was hello\n', show(r));
  });

  test('editing vagga.yaml takes effect on the next run', async () => {
    assert.equal((await warm(['hello'])).stdout, 'hi none none\nthat was hello\n');
    await writeProjectFile(dir, 'vagga.yaml', yaml('hello-again'));
    const r = await vagga(dir, ['hello']);
    assert.equal(r.stdout, 'hello-again none none\nthat was hello\n', show(r));
    await writeProjectFile(dir, 'vagga.yaml', yaml('hi'));
  });

  test('changed settings take effect on the next run (VAGGA_SETTINGS and a project settings file)', async () => {
    const env = await e2eEnv();
    const base = `cache-dir: ${env.cacheDir}\n`;
    const a = await warm(['hello'], { settings: `${base}environ: { FROM_SETTINGS: one }\n` });
    assert.equal(a.stdout, 'hi one none\nthat was hello\n', show(a));
    const b = await vagga(dir, ['hello'], { settings: `${base}environ: { FROM_SETTINGS: two }\n` });
    assert.equal(b.stdout, 'hi two none\nthat was hello\n', show(b));
    assert.notEqual((await cold(['hello'], { settings: `${base}environ: { FROM_SETTINGS: new }\n` })).status, 0, 'new settings are not served warm');
    // A project settings file appearing (it was missing when the description was written).
    await writeProjectFile(dir, '.vagga.settings.yaml', 'environ: { FROM_SETTINGS: three }\n');
    try {
      const c = await vagga(dir, ['hello']);
      assert.equal(c.stdout, 'hi three none\nthat was hello\n', show(c));
    } finally {
      await writeProjectFile(dir, '.vagga.settings.yaml', '');
    }
  });

  test('a changed environment variable takes effect on the next run', async () => {
    const a = await warm(['hello'], { env: { VAGGAENV_FROM_ENV: 'x1' } });
    assert.equal(a.stdout, 'hi none x1\nthat was hello\n', show(a));
    const b = await vagga(dir, ['hello'], { env: { VAGGAENV_FROM_ENV: 'x2' } });
    assert.equal(b.stdout, 'hi none x2\nthat was hello\n', show(b));
    const c = await cold(['hello'], { env: { VAGGAENV_FROM_ENV: 'x3' } });
    assert.notEqual(c.status, 0, `a new environment must not be served from the cache: ${show(c)}`);
  });

  test('a volatile variable (SHLVL) may change and stay warm, unless the command gets it (propagate-environ)', async () => {
    const env = await e2eEnv();
    // busybox `env`, not a shell: a shell sets SHLVL itself.
    const args = ['_run', 'bb', 'env'];
    const shlvl = (out: string) => out.split('\n').find((l) => l.startsWith('SHLVL=')) ?? 'none';
    const a = await warm(args, { env: { SHLVL: '1' } });
    assert.equal(shlvl(a.stdout), 'none', show(a));
    const b = await cold(args, { env: { SHLVL: '2' } });
    assert.equal(b.status, 0, `SHLVL is left out of the key: ${show(b)}`);
    const settings = `cache-dir: ${env.cacheDir}\npropagate-environ: [SHLVL]\n`;
    const c = await warm(args, { env: { SHLVL: '1' }, settings });
    assert.equal(shlvl(c.stdout), 'SHLVL=1', show(c));
    const d = await vagga(dir, args, { env: { SHLVL: '3' }, settings });
    assert.equal(shlvl(d.stdout), 'SHLVL=3', `a propagated SHLVL is part of the key: ${show(d)}`);
  });

  test('a rebuilt version behind .vagga/NAME is used on the next run', async () => {
    const built = await vagga(dir, ['_build', 'stamped'], { noBuildCache: true });
    assert.equal(built.status, 0, show(built));
    const args = ['--no-version-check', '_run', 'stamped', 'cat', '/stamp'];
    const first = await warm(args, { noBuildCache: true });
    assert.equal(first.status, 0, show(first));
    const rebuilt = await vagga(dir, ['_build', '--force', 'stamped'], { noBuildCache: true });
    assert.equal(rebuilt.status, 0, show(rebuilt));
    const second = await vagga(dir, args, { noBuildCache: true });
    assert.equal(second.status, 0, show(second));
    assert.notEqual(second.stdout, first.stdout, `the new build's /stamp: ${show(second)}`);
  });

  test('warm: a descriptor the caller left open reaches the command at its number', async () => {
    const env = await e2eEnv();
    const file = join(env.stageDir, 'warm-fd5.txt');
    writeFileSync(file, 'read through fd 5\n');
    chmodSync(file, 0o644);
    const args = ['_run', 'bb', 'sh', '-c', 'cat <&5'];
    const fd = () => openSync(file, 'r');
    const fds: number[] = [];
    try {
      await vagga(dir, args, { fds: { 5: (fds[0] = fd()) } });
      await vagga(dir, args, { fds: { 5: (fds[1] = fd()) } });
      const r = await bundleHidden(() => vagga(dir, args, { fds: { 5: (fds[2] = fd()) } }));
      assert.equal(r.stdout, 'read through fd 5\n', show(r));
    } finally {
      for (const f of fds) closeSync(f);
    }
  });

  test('warm: SIGTERM is forwarded (exit status of the command), SIGKILL of vagga leaves nothing running', async () => {
    const tok = token('warmsig');
    const args = ['_run', 'bb', 'sh', '-c', `trap "exit 42" TERM; echo ready; sleep 1000 & wait; : ${tok}`];
    for (let i = 0; i < 2; i++) {
      const bg = await spawnVagga(dir, args);
      await bg.waitFor('ready', 60_000);
      bg.kill('SIGTERM');
      const r = await bg.done;
      assert.equal(r.status, 42, show(r));
    }
    await bundleHidden(async () => {
      const bg = await spawnVagga(dir, args);
      await bg.waitFor('ready', 60_000);
      bg.kill('SIGTERM');
      const r = await bg.done;
      assert.equal(r.status, 42, `warm run: ${show(r)}`);
      const killed = await spawnVagga(dir, args);
      await killed.waitFor('ready', 60_000);
      killed.kill('SIGKILL');
      await killed.done;
      assert.deepEqual(await waitNoProcesses(tok), [], 'no process of the sandbox survives its vagga');
    });
  });
});
