/**
 * Host-side preconditions of a Debian bootstrap: the `mmdebstrap` program, and subordinate
 * uid/gid ranges (subuid(5), subgid(5)) for the invoking user, which mmdebstrap's unshare
 * mode and a multi-uid container both need (runtime-facts.md §4: one uid is not enough for
 * apt and dpkg).
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ExitCode, MissingToolError, VaggaError } from '../../errors/vagga-error.js';

/** Directories searched after PATH (system programs may live in sbin dirs not in a user's PATH). */
const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Absolute path of an executable `name` in PATH or the system dirs, or undefined. */
export function findProgram(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of [...path.split(delimiter).filter((d) => d.startsWith('/')), ...SYSTEM_DIRS]) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** Path of mmdebstrap; throws MissingToolError (121, names the `mmdebstrap` package) when absent. */
export function requireMmdebstrap(): string {
  const found = findProgram('mmdebstrap');
  if (found === undefined) throw new MissingToolError('mmdebstrap', 'mmdebstrap', 'it bootstraps the Debian root filesystem for `!Debian`');
  return found;
}

/**
 * True when subid file text (`name-or-uid:start:count` lines, `#` comments) has a range of
 * at least `minCount` ids for the user, matched by name or numeric uid.
 */
export function hasSubIdRange(text: string, user: string, uid: number, minCount = 1): boolean {
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [who, , count] = line.split(':');
    if ((who === user || who === String(uid)) && Number(count) >= minCount) return true;
  }
  return false;
}

/** Ranges `[start, start+count)` listed in subid file texts (any user). */
function listedRanges(texts: readonly string[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const text of texts) {
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const [, start, count] = line.split(':').map(Number);
      if (Number.isFinite(start) && Number.isFinite(count)) out.push([start!, start! + count!]);
    }
  }
  return out;
}

/**
 * First start (100000, 165536, 231072, ...) of a 65536-id range that overlaps no range in
 * the given /etc/subuid and /etc/subgid texts.
 */
export function freeSubIdStart(texts: readonly string[]): number {
  const used = listedRanges(texts);
  let start = 100000;
  while (used.some(([a, b]) => start < b && a < start + 65536)) start += 65536;
  return start;
}

/**
 * The exact command that gives `user` a 65536-id subordinate range; `texts` (contents of
 * /etc/subuid and /etc/subgid) pick a range no other user has.
 */
export function usermodCommand(user: string, texts: readonly string[] = []): string {
  const start = freeSubIdStart(texts);
  const range = `${start}-${start + 65535}`;
  return `sudo usermod --add-subuids ${range} --add-subgids ${range} ${user}`;
}

/** Contents of the host's /etc/subuid and /etc/subgid ('' when unreadable). */
export function readSubIdFiles(files = { subuid: '/etc/subuid', subgid: '/etc/subgid' }): string[] {
  return [files.subuid, files.subgid].map((p) => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return '';
    }
  });
}

/**
 * Check /etc/subuid and /etc/subgid for ranges of the invoking user (not needed as real root,
 * where mmdebstrap uses its root mode). Throws VaggaError (121) with the usermod command.
 */
export function requireSubIds(user: string, uid: number, files = { subuid: '/etc/subuid', subgid: '/etc/subgid' }): void {
  const [subuidText, subgidText] = readSubIdFiles(files) as [string, string];
  const missing: string[] = [];
  if (!hasSubIdRange(subuidText, user, uid, 65536)) missing.push(files.subuid);
  if (!hasSubIdRange(subgidText, user, uid, 65536)) missing.push(files.subgid);
  if (missing.length === 0) return;
  throw new VaggaError(
    `!Debian needs a range of 65536 subordinate ids for user "${user}" in ${missing.join(' and ')}: ` +
      'Debian packages own files as several users and groups, which a single-id user namespace cannot represent',
    { exitCode: ExitCode.launcher, hint: `Add a range with:\n    ${usermodCommand(user, [subuidText, subgidText])}` },
  );
}
