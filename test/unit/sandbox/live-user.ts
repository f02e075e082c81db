/**
 * Shared setup of the live sandbox tests (live.test.ts, direct-launch.test.ts): the ordinary
 * user they run as (as root: VAGGA_LIVE_USER, else the end-to-end tests' user, created with
 * its subuid/subgid ranges by test/test-user.ts, and switched to with runuser; else this
 * user), its /etc/subuid range, why the tests must be skipped, and a tiny busybox root owned
 * by that user.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, lchownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { E2E_USER, ensureUser } from '../../test-user.js';

/** Name of the user the sandbox runs as when the tests run as root. */
export const user = process.env.VAGGA_LIVE_USER ?? E2E_USER;
/** Whether the tests run as root (and so switch to `user`). */
export const isRoot = process.getuid!() === 0;
// As root, make the user (and its ranges) exactly as the end-to-end tests do; a user named
// in VAGGA_LIVE_USER is the caller's to provide.
if (isRoot && process.env.VAGGA_LIVE_USER === undefined) await ensureUser(user);
const idOut = isRoot ? spawnSync('id', ['-u', user], { encoding: 'utf8' }) : undefined;
/** Uid and gid the sandbox's launcher runs with. */
export const runUid = isRoot ? Number(idOut!.stdout.trim()) : process.getuid!();
export const runGid = isRoot ? Number(spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout.trim()) : process.getgid!();
const userName = isRoot ? user : spawnSync('id', ['-un'], { encoding: 'utf8' }).stdout.trim();
const subuid = existsSync('/etc/subuid') ? readFileSync('/etc/subuid', 'utf8') : '';
/** Start of that user's /etc/subuid range (decimal text), undefined when it has none. */
export const subStart = subuid.split('\n').map((l) => l.split(':')).find((p) => p[0] === userName || p[0] === String(runUid))?.[1];

/**
 * Why the live tests cannot run here (bwrap or static busybox missing, `extra` check, no
 * such user, no subuid range), or undefined when they can.
 */
export function liveSkipReason(extra: () => string | undefined = () => undefined): string | undefined {
  if (!existsSync('/usr/bin/bwrap')) return 'bwrap is not installed';
  if (!existsSync('/usr/bin/busybox')) return 'busybox (static) is not installed';
  const more = extra();
  if (more) return more;
  if (isRoot && idOut!.status !== 0) return `user ${user} does not exist (set VAGGA_LIVE_USER)`;
  if (!subStart) return `user ${userName} has no /etc/subuid range`;
  return undefined;
}

function chownTree(path: string): void {
  lchownSync(path, runUid, runGid);
  if (lstatSync(path).isDirectory()) for (const e of readdirSync(path)) chownTree(join(path, e));
}

/**
 * Make `<tmpdir>/<prefix>XXXXXX` (mode 755) holding `root/` (dirs `dirs`, static busybox at
 * /bin/busybox with `applets` linked to it, an empty /etc/hosts) and an empty `work/`, all
 * owned by the run user when running as root. Returns the three host paths.
 */
export function makeBusyboxTree(prefix: string, dirs: readonly string[], applets: readonly string[]): { base: string; root: string; work: string } {
  const base = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(base, 0o755);
  const root = join(base, 'root');
  const work = join(base, 'work');
  for (const d of dirs) mkdirSync(join(root, d), { recursive: true });
  mkdirSync(work);
  copyFileSync('/usr/bin/busybox', join(root, 'bin/busybox'));
  for (const a of applets) symlinkSync('busybox', join(root, 'bin', a));
  writeFileSync(join(root, 'etc/hosts'), '');
  if (isRoot) chownTree(base);
  return { base, root, work };
}
