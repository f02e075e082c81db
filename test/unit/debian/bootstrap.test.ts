/**
 * Bootstrap tarball caching with a fake `mmdebstrap` first in PATH (records its argv, sleeps,
 * writes the output file). The real mmdebstrap run is covered by the live checks.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import { bootstrapTarballName, bootstrapTarballPath, ensureBootstrapTarball, planMmdebstrap, requireBootstrapSubIds } from '../../../src/steps/debian/bootstrap.js';
import { mirrorKey } from '../../../src/steps/debian/mirror.js';
import { ensureUbuntuTarball, ubuntuTarballPath } from '../../../src/steps/ubuntu/bootstrap.js';
import { tempDir } from '../temp-dir.js';

const MIRROR = 'http://mirror.example/debian';
let fakeDir: string;
let savedPath: string | undefined;

before(() => {
  fakeDir = tempDir('vagga-fake-mmdebstrap-');
  // argv: ... SUITE OUTPUT MIRROR. FAKE_MODE=fail makes it fail like a broken mirror.
  writeFileSync(
    join(fakeDir, 'mmdebstrap'),
    `#!/bin/sh
echo "$*" >> "$FAKE_LOG"
if [ "$FAKE_MODE" = fail ]; then echo "E: cannot reach the mirror" >&2; exit 3; fi
eval "out=\\$$(($# - 1))"
printf 'partial' > "$out"
sleep "\${FAKE_SLEEP:-0.3}"
printf 'tarball of %s' "$1" > "$out"
`,
  );
  chmodSync(join(fakeDir, 'mmdebstrap'), 0o755);
  savedPath = process.env.PATH;
  process.env.PATH = `${fakeDir}:${savedPath}`;
});

after(() => {
  process.env.PATH = savedPath;
  rmSync(fakeDir, { recursive: true, force: true });
});

/**
 * As an ordinary user ensureBootstrapTarball first checks the user's /etc/subuid and
 * /etc/subgid ranges (mmdebstrap's unshare mode needs them) and rightly refuses without;
 * the tests that run the fake mmdebstrap are skipped then, with this reason.
 */
const noSubIds = ((): string | false => {
  if (process.geteuid?.() === 0) return false;
  try {
    requireBootstrapSubIds();
    return false;
  } catch {
    return 'needs root or a subordinate id range for this user in /etc/subuid and /etc/subgid';
  }
})();

/** Names in `dir` but the lock files, which stay (src/storage/lock.ts: never deleted, empty once released). */
function entries(dir: string): string[] {
  return readdirSync(dir).filter((n) => !n.endsWith('.lock'));
}

const log = { messages: [] as string[], info(m: string) { this.messages.push(m); }, warn(m: string) { this.messages.push(m); }, debug() {} };

function setup(): { cacheDir: string; logFile: string } {
  const cacheDir = tempDir('vagga-cache-');
  // The fake's argv log lives in fakeDir (removed in `after`), not in the cache dir under test.
  const logFile = join(fakeDir, `${cacheDir.split('/').pop()}.fake.log`);
  process.env.FAKE_LOG = logFile;
  delete process.env.FAKE_MODE;
  return { cacheDir, logFile };
}

function calls(logFile: string): string[] {
  return existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n') : [];
}

test('planMmdebstrap', () => {
  assert.deepEqual(planMmdebstrap({ suite: 'bookworm', mirror: MIRROR, output: '/c/x.tar', asRoot: false }), [
    '--mode=unshare', '--variant=minbase', '--format=tar', 'bookworm', '/c/x.tar', MIRROR,
  ]);
  assert.deepEqual(planMmdebstrap({ suite: 'trixie', mirror: 'https://mirror.example/debian', output: '/c/y.tar', asRoot: true }), [
    '--mode=root', '--variant=minbase', '--format=tar', '--include=ca-certificates', 'trixie', '/c/y.tar', 'https://mirror.example/debian',
  ]);
});

test('tarball path names suite, mirror key and variant', () => {
  assert.equal(bootstrapTarballName('bookworm', MIRROR), `bookworm-${mirrorKey(MIRROR)}-minbase.tar`);
  assert.equal(bootstrapTarballPath('/cache', 'bookworm', MIRROR), `/cache/debian/bookworm-${mirrorKey(MIRROR)}-minbase.tar`);
});

test('concurrent builds bootstrap once; the tarball appears atomically; later calls reuse it', { skip: noSubIds }, async () => {
  const { cacheDir, logFile } = setup();
  const input = { suite: 'bookworm', mirror: MIRROR, cacheDir, log, signal: new AbortController().signal };
  const [a, b] = await Promise.all([ensureBootstrapTarball(input), ensureBootstrapTarball(input)]);
  const final = bootstrapTarballPath(cacheDir, 'bookworm', MIRROR);
  assert.equal(a, final);
  assert.equal(b, final);
  assert.equal(calls(logFile).length, 1);
  // Real root uses mmdebstrap's root mode; an ordinary user (with subuids) its unshare mode.
  const mode = process.geteuid?.() === 0 ? 'root' : 'unshare';
  assert.match(calls(logFile)[0]!, new RegExp(`^--mode=${mode} --variant=minbase --format=tar bookworm \\S+\\.tmp\\.tar http://mirror\\.example/debian$`));
  assert.equal(readFileSync(final, 'utf8'), `tarball of --mode=${mode}`);
  assert.deepEqual(entries(join(cacheDir, 'debian')), [bootstrapTarballName('bookworm', MIRROR)]);
  assert.ok(log.messages.some((m) => /^Bootstrapping Debian bookworm/.test(m)));
  assert.ok(log.messages.some((m) => /^Debian bookworm bootstrapped in \d+\.\d s/.test(m)));
  await ensureBootstrapTarball(input);
  assert.equal(calls(logFile).length, 1);
});

test('a failed mmdebstrap leaves nothing behind and reports its output', { skip: noSubIds }, async () => {
  const { cacheDir, logFile } = setup();
  process.env.FAKE_MODE = 'fail';
  await assert.rejects(
    ensureBootstrapTarball({ suite: 'bookworm', mirror: MIRROR, cacheDir, log, signal: new AbortController().signal }),
    (e: unknown) => e instanceof VaggaError && e.exitCode === 121 && /exit status 3/.test(e.message) && /E: cannot reach the mirror/.test(e.hint ?? ''),
  );
  assert.equal(calls(logFile).length, 1);
  assert.deepEqual(entries(join(cacheDir, 'debian')), []);
});

test('leftovers of a killed run are removed; an abort stops mmdebstrap without a tarball', { skip: noSubIds }, async () => {
  const { cacheDir } = setup();
  mkdirSync(join(cacheDir, 'debian'));
  const leftover = join(cacheDir, 'debian', `bookworm-${mirrorKey(MIRROR)}-minbase.99999.tmp.tar`);
  writeFileSync(leftover, 'half');
  process.env.FAKE_SLEEP = '5';
  const ac = new AbortController();
  const p = ensureBootstrapTarball({ suite: 'bookworm', mirror: MIRROR, cacheDir, log, signal: ac.signal });
  setTimeout(() => ac.abort(), 300);
  await assert.rejects(p);
  delete process.env.FAKE_SLEEP;
  assert.equal(existsSync(leftover), false);
  assert.deepEqual(entries(join(cacheDir, 'debian')), []);
});

test('the Ubuntu base uses the same cached bootstrap: keyring checked first, then one mmdebstrap run', { skip: noSubIds }, async () => {
  const { cacheDir, logFile } = setup();
  const mirror = 'http://mirror.example/ubuntu';
  const input = { codename: 'jammy', arch: 'amd64', mirror, cacheDir, log, signal: new AbortController().signal };
  await assert.rejects(ensureUbuntuTarball({ ...input, exists: () => false }), /Ubuntu's archive signing keys were not found/);
  assert.equal(calls(logFile).length, 0, 'no mmdebstrap run without the keyring');
  const keyring = '/usr/share/keyrings/ubuntu-archive-keyring.gpg';
  const final = await ensureUbuntuTarball({ ...input, exists: (p) => p === keyring });
  assert.equal(final, ubuntuTarballPath(cacheDir, 'jammy', 'amd64', mirror));
  assert.equal(calls(logFile).length, 1);
  assert.match(calls(logFile)[0]!, new RegExp(`--keyring=${keyring} jammy \\S+\\.tmp\\.tar ${mirror}$`));
  assert.deepEqual(entries(join(cacheDir, 'ubuntu')), [`jammy-amd64-${mirrorKey(mirror)}-minbase.tar`]);
  assert.ok(log.messages.some((m) => /^Bootstrapping Ubuntu jammy \(amd64\) with mmdebstrap/.test(m)));
  await ensureUbuntuTarball({ ...input, exists: () => false });
  assert.equal(calls(logFile).length, 1, 'a cached base needs neither the keyring nor mmdebstrap');
});
