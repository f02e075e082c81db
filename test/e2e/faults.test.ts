/**
 * End-to-end: faults of the environment (issue 8 parts 3-5, 7).
 *
 * - kill -9 of vagga during first Debian bootstraps (a fresh cache dir, so mmdebstrap really
 *   runs), VAGGA_E2E_KILL_ROUNDS times (default 3, 20 with VAGGA_E2E_STRESS=1): nothing of
 *   the user keeps running, the next build waits < 1 s for its locks (measured inside vagga:
 *   VAGGA_DEBUG_LOCK_WAIT lines) and says it took over the dead holder's lock, `_clean --tmp`
 *   removes the temporary files, and the final build leaves none. As root the rounds run as
 *   a dedicated user, so "nothing of the user" is exact; else processes in your subuid range
 *   and those naming the test's dirs are counted.
 * - A build on a full 30 MB file system (root only: a tmpfs mounted on the project's .vagga)
 *   fails with the disk named and no internal error, and the previous version stays usable.
 * - A command starts with no signal blocked or ignored.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  cleanupStage, e2eEnv, ensureUser, linkHash, makeProject, parseSubIds, show, spawnVagga, vagga, writeProjectFile,
  type VaggaOptions,
} from './harness.js';
import { busyboxYaml, fileSnapshot } from './fixtures.js';

after(cleanupStage);

const asRoot = process.getuid?.() === 0;
const skipDebian = process.env.VAGGA_E2E_SKIP_DEBIAN === '1' ? 'VAGGA_E2E_SKIP_DEBIAN=1' : false;
const ROUNDS = Number(process.env.VAGGA_E2E_KILL_ROUNDS ?? (process.env.VAGGA_E2E_STRESS === '1' ? 20 : 3));

/** Temp files vagga names (src/storage/cache-temps.ts) in `cacheDir`, and build dirs in the project's .roots. */
function tempFiles(cacheDir: string, projectDir: string): string[] {
  const cache = [...fileSnapshot(cacheDir).keys()].filter((p) => /\.\d+\.tmp(\.tar)?$|\.part\.\d+$/.test(p));
  const roots = join(projectDir, '.vagga', '.roots');
  const builds = existsSync(roots) ? readdirSync(roots).filter((n) => n.startsWith('.tmp.') && !n.endsWith('.lock')).map((n) => join(roots, n)) : [];
  return [...cache, ...builds];
}

/** Host uid of each live process, by pid. */
function processUids(): Map<number, number> {
  const out = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const status = readFileSync(`/proc/${e}/status`, 'utf8');
      if (/^State:\s+Z/m.test(status)) continue;
      out.set(Number(e), Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? -1));
    } catch {
      // Gone.
    }
  }
  return out;
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

/** `lock wait: N ms for PATH` lines (src/storage/lock.ts LOCK_DEBUG_ENV). */
function lockWaits(stderr: string): { ms: number; path: string }[] {
  return [...stderr.matchAll(/^lock wait: (\d+) ms for (.+)$/gm)].map((m) => ({ ms: Number(m[1]), path: m[2]! }));
}

describe('kill -9 during first Debian bootstraps', { skip: skipDebian, timeout: 3_600_000 }, () => {
  let dir = '';
  let cacheDir = '';
  let opts: VaggaOptions = {};
  /** The processes that belong to this test's vagga: its user's (root) or its subuid range and dirs. */
  let leftovers: () => string[] = () => [];

  before(async () => {
    const env = await e2eEnv();
    dir = await makeProject({ 'vagga.yaml': 'containers:\n  deb:\n    setup:\n    - !Debian bookworm\n' }, { busybox: false, name: 'kill-bootstrap' });
    cacheDir = mkdtempSync('/var/tmp/vagga-e2e-kill-cache-');
    let who = { user: env.user, uid: env.uid, gid: env.gid, home: env.home };
    if (asRoot) {
      const name = 'vagga-e2e-kill';
      who = { user: name, ...(await ensureUser(name)) };
      chownSync(dir, who.uid, who.gid);
      for (const e of readdirSync(dir)) chownSync(join(dir, e), who.uid, who.gid);
      opts = { asUser: who };
    }
    chownSync(cacheDir, who.uid, who.gid);
    opts = { ...opts, settings: `cache-dir: ${cacheDir}\n`, env: { VAGGA_DEBUG_LOCK_WAIT: '1' }, timeoutMs: 1_200_000 };
    const range = parseSubIds(readFileSync('/etc/subuid', 'utf8')).find((e) => e.owner === who.user || e.owner === String(who.uid));
    assert.ok(range, `${who.user} has a subuid range`);
    leftovers = () => {
      const found: string[] = [];
      for (const [pid, uid] of processUids()) {
        if (pid === process.pid) continue;
        const mine = uid >= range.start && uid < range.start + range.count;
        const ours = asRoot ? uid === who.uid : [cacheDir, dir].some((d) => cmdline(pid).includes(d));
        if (mine || ours) found.push(`${pid} uid=${uid} ${cmdline(pid)}`);
      }
      return found;
    };
  });

  after(() => {
    if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
  });

  test(`${ROUNDS} kills: nothing keeps running, locks are free at once, temp files go`, async () => {
    let tookOver = 0;
    let maxWait = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      // -v: the bootstrap's status lines (`... with mmdebstrap`, lock take-overs) are printed.
      const v = await spawnVagga(dir, ['-v', '_build', 'deb'], opts);
      await v.waitFor('with mmdebstrap', 300_000);
      // Somewhere in the bootstrap: mmdebstrap's namespace setup, downloads or unpacking.
      await new Promise((r) => setTimeout(r, 500 + Math.floor(Math.random() * 6000)));
      v.kill('SIGKILL');
      await v.done;
      const waits = lockWaits(v.stderr());
      assert.ok(waits.length >= 2, `round ${round}: the build and bootstrap locks were taken\n${v.stderr()}`);
      for (const w of waits) assert.ok(w.ms < 1000, `round ${round}: waited ${w.ms} ms for ${w.path}`);
      maxWait = Math.max(maxWait, ...waits.map((w) => w.ms));
      if (/Took over the lock .* left by vagga process \d+, which is gone/.test(v.stderr())) tookOver++;
      let left = leftovers();
      for (let i = 0; i < 30 && left.length > 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        left = leftovers();
      }
      assert.deepEqual(left, [], `round ${round}: processes left 3 s after kill -9`);
    }
    if (ROUNDS > 1) assert.ok(tookOver >= 1, 'a lock left by a killed vagga was taken over with a message');
    // The interrupted bootstrap left its temp tarball and build dir; `_clean --tmp` removes them.
    const clean = await vagga(dir, ['_clean', '--tmp'], opts);
    assert.equal(clean.status, 0, show(clean));
    assert.deepEqual(tempFiles(cacheDir, dir), [], show(clean));
    process.stderr.write(`kill rounds: ${ROUNDS}, lock takeovers: ${tookOver}, longest lock wait after a kill: ${maxWait} ms\n`);
  });

  test('the next build completes, waits < 1 s for locks and leaves no temp file', async () => {
    const r = await vagga(dir, ['_build', 'deb'], opts);
    assert.equal(r.status, 0, show(r));
    const waits = lockWaits(r.stderr);
    assert.ok(waits.length >= 2, show(r));
    for (const w of waits) assert.ok(w.ms < 1000, `waited ${w.ms} ms for ${w.path}`);
    process.stderr.write(`lock waits of the build after the kills: ${waits.map((w) => `${w.ms} ms`).join(', ')}\n`);
    assert.ok(linkHash(dir, 'deb'));
    assert.deepEqual(tempFiles(cacheDir, dir), []);
    assert.deepEqual(leftovers(), []);
  });
});

/** The busybox project with command `marker` (cat /marker, written `v1` by a step), then the steps `extra`. */
const version = (extra: string): string => busyboxYaml('  marker: !Command\n    container: bb\n    run: cat /marker\n')
  .replace('    - !Tar { url: ./busybox.tar }\n', `    - !Tar { url: ./busybox.tar }\n    - !Sh echo v1 > /marker\n${extra}`);

describe('a full disk', { skip: asRoot ? false : 'needs root (mounts a 30 MB tmpfs)', timeout: 600_000 }, () => {
  let dir = '';
  let mounted = '';

  before(async () => {
    const env = await e2eEnv();
    dir = await makeProject({ 'vagga.yaml': version('') }, { name: 'full-disk' });
    mounted = join(dir, '.vagga');
    mkdirSync(mounted);
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=30m,mode=0755,uid=${env.uid},gid=${env.gid}`, 'tmpfs', mounted], { encoding: 'utf8' });
    assert.equal(m.status, 0, m.stderr);
  });

  after(() => {
    if (mounted) spawnSync('umount', ['--lazy', mounted]);
  });

  test('the build fails naming the full disk, without an internal error; the previous version stays', async () => {
    // The cache dir (and so the build cache's layers, where steps write) is on the small disk too.
    const small = { timeoutMs: 300_000, settings: `cache-dir: ${mounted}/cache\n` };
    let r = await vagga(dir, ['marker'], small);
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, 'v1\n');
    const before = linkHash(dir, 'bb');
    assert.ok(before);
    await writeProjectFile(dir, 'vagga.yaml', version('    - !Sh cat /dev/zero > /big\n'));
    r = await vagga(dir, ['_build', 'bb'], small);
    assert.notEqual(r.status, 0, show(r));
    assert.match(r.stderr, /No space left on device/, show(r));
    assert.doesNotMatch(r.stderr, /internal error|^\s+at /m, show(r));
    process.stderr.write(`the full-disk build ended with:\n${r.stderr.trim().split('\n').slice(-4).join('\n')}\n`);
    assert.equal(linkHash(dir, 'bb'), before, 'the link still names the previous version');
    // Nothing after it is broken: the previous config runs its container without a rebuild.
    await writeProjectFile(dir, 'vagga.yaml', version(''));
    r = await vagga(dir, ['marker'], small);
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, 'v1\n');
    assert.doesNotMatch(r.stderr, /Building|Removing/, show(r));
  });
});

describe('signals of a command', { timeout: 600_000 }, () => {
  test('a command starts with no signal blocked or ignored', async () => {
    const dir = await makeProject({ 'vagga.yaml': busyboxYaml('') }, { name: 'sigmask' });
    const r = await vagga(dir, ['_run', 'bb', 'cat', '/proc/self/status'], { timeoutMs: 300_000 });
    assert.equal(r.status, 0, show(r));
    assert.match(r.stdout, /^SigBlk:\s+0000000000000000$/m, r.stdout);
    assert.match(r.stdout, /^SigIgn:\s+0000000000000000$/m, r.stdout);
  });
});
