/**
 * The ordinary test user with subordinate uid/gid ranges, shared by the end-to-end harness
 * (test/e2e/harness.ts) and the live sandbox unit tests (test/unit/sandbox/live-user.ts):
 * as root (CI) both create it here, the same way, so no test is skipped for want of a user.
 * As an ordinary user, your own user and subuid range are used instead.
 */
import { spawnSync } from 'node:child_process';
import { chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import lockfile from 'proper-lockfile';

/** Name of the ordinary user the tests create and use when they run as root. */
export const E2E_USER = process.env.VAGGA_E2E_USER ?? 'vagga-e2e';

/** Text of `file`, '' when unreadable. */
export function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Parse `/etc/subuid`-style text into entries (comments and junk skipped). */
export function parseSubIds(text: string): { owner: string; start: number; count: number }[] {
  const out = [];
  for (const line of text.split('\n')) {
    const m = /^([^#:\s][^:]*):(\d+):(\d+)\s*$/.exec(line.trim());
    if (m) out.push({ owner: m[1]!, start: Number(m[2]), count: Number(m[3]) });
  }
  return out;
}

/** Whether `text` (/etc/subuid or /etc/subgid) gives `user` (by name or uid) at least 65536 ids. */
export function hasRange(text: string, user: string, uid: number): boolean {
  return parseSubIds(text).some((e) => (e.owner === user || e.owner === String(uid)) && e.count >= 65536);
}

/** First 65536-aligned start above every range in /etc/subuid and /etc/subgid (min 100000). */
export function freeRangeStart(): number {
  let end = 100000;
  for (const file of ['/etc/subuid', '/etc/subgid']) {
    for (const e of parseSubIds(readText(file))) end = Math.max(end, e.start + e.count);
  }
  return Math.ceil(end / 65536) * 65536;
}

/**
 * Create `name` (root only) with useradd if missing and give it 65536 subordinate uids and
 * gids unless it has them (useradd usually allocates them itself; see login.defs SUB_UID_*).
 * Serialised across concurrently running test files with a lock file.
 */
export async function ensureUser(name: string, opts: { subIds?: boolean } = {}): Promise<{ uid: number; gid: number; home: string }> {
  const lockPath = '/tmp/vagga-e2e-setup.lock';
  const release = await lockfile.lock(lockPath, {
    realpath: false,
    stale: 30000,
    retries: { retries: 300, minTimeout: 50, maxTimeout: 200 },
  });
  try {
    if (spawnSync('id', ['-u', name]).status !== 0) {
      const r = spawnSync('useradd', ['--create-home', '--user-group', '--shell', '/bin/sh', name], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`useradd ${name} failed: ${r.stderr}`);
    }
    const uid = Number(spawnSync('id', ['-u', name], { encoding: 'utf8' }).stdout.trim());
    const gid = Number(spawnSync('id', ['-g', name], { encoding: 'utf8' }).stdout.trim());
    const home = spawnSync('getent', ['passwd', name], { encoding: 'utf8' }).stdout.split(':')[5]!;
    mkdirSync(home, { recursive: true });
    chownSync(home, uid, gid);
    for (const file of ['/etc/subuid', '/etc/subgid']) {
      const text = readText(file);
      const mine = (e: { owner: string }) => e.owner === name || e.owner === String(uid);
      if (opts.subIds === false) {
        if (parseSubIds(text).some(mine)) {
          const kept = text.split('\n').filter((l) => { const e = parseSubIds(l)[0]; return !e || !mine(e); });
          writeFileSync(file, kept.join('\n'));
        }
      } else if (!hasRange(text, name, uid)) {
        const start = freeRangeStart();
        writeFileSync(file, `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${name}:${start}:65536\n`);
      }
    }
    return { uid, gid, home };
  } finally {
    await release();
  }
}

