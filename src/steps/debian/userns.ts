/**
 * Checks, from inside the builder's user namespace, that the uid/gid maps can represent a
 * Debian root filesystem: dpkg and apt need root, the system users and groups (ids below
 * 1000, e.g. `_apt` = 42) and `nobody`/`nogroup` (65534). A single-id map (no subuid range)
 * cannot (runtime-facts.md §4 "Single-uid mapping is not enough for apt").
 * Map format: user_namespaces(7), `/proc/self/uid_map` lines `inside outside count`.
 */
import { readFileSync } from 'node:fs';
import { VaggaError } from '../../errors/vagga-error.js';
import { usermodSuggestion } from '../../sandbox/idmap.js';

/** One line of a uid_map/gid_map. */
export interface MapLine {
  inside: number;
  outside: number;
  count: number;
}

/** Parse `/proc/PID/{uid,gid}_map` text. */
export function parseIdMapText(text: string): MapLine[] {
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number))
    .filter((f) => f.length === 3 && f.every((n) => Number.isFinite(n)))
    .map(([inside, outside, count]) => ({ inside: inside!, outside: outside!, count: count! }));
}

/** Inside ids of `needed` that `map` does not cover. */
export function unmappedIds(map: readonly MapLine[], needed: readonly number[]): number[] {
  return needed.filter((id) => !map.some((l) => id >= l.inside && id < l.inside + l.count));
}

/** Ids a Debian base must be able to own: 0-999 (system users/groups) and 65534 (nobody/nogroup). */
export const DEBIAN_NEEDED_IDS: readonly number[] = [...Array.from({ length: 1000 }, (_, i) => i), 65534];

/** User name of host uid `uid` from passwd(5) text, or undefined. */
export function userNameFor(uid: number, passwdText: string): string | undefined {
  for (const line of passwdText.split('\n')) {
    const f = line.split(':');
    if (f.length >= 3 && Number(f[2]) === uid && f[2] !== '') return f[0];
  }
  return undefined;
}

/**
 * The error for maps that cannot hold a Debian root, or undefined when they can. Pure:
 * takes the map texts and passwd text. A single-id map gets the usermod command; a map that
 * is too narrow (container `uids`/`gids` settings) gets a hint to widen them. `subIdTexts`
 * (/etc/subuid, /etc/subgid contents) choose a free range for the usermod command
 * (src/sandbox/idmap.ts usermodSuggestion).
 */
export function debianIdMapProblem(uidMapText: string, gidMapText: string, passwdText: string, subIdTexts: readonly string[] = []): VaggaError | undefined {
  const uids = parseIdMapText(uidMapText);
  const gids = parseIdMapText(gidMapText);
  const missingU = unmappedIds(uids, DEBIAN_NEEDED_IDS);
  const missingG = unmappedIds(gids, DEBIAN_NEEDED_IDS);
  if (missingU.length === 0 && missingG.length === 0) return undefined;
  const single = (m: MapLine[]): boolean => m.reduce((n, l) => n + l.count, 0) <= 1;
  if (single(uids) || single(gids)) {
    const hostUid = uids.find((l) => l.inside === 0)?.outside;
    const user = (hostUid !== undefined ? userNameFor(hostUid, passwdText) : undefined) ?? '<your-user>';
    return new VaggaError(
      'The build runs with a single-id user namespace (no subordinate uid/gid range for your user), ' +
        'but Debian packages own files as several users and groups, so apt and dpkg cannot work',
      { code: 'userns.single-id', hint: `Add a subordinate id range with:\n    ${usermodSuggestion(user, subIdTexts[0] ?? null, subIdTexts[1] ?? null)}` },
    );
  }
  const describe = (ids: number[]): string => (ids.length > 3 ? `${ids.slice(0, 3).join(', ')}, ... (${ids.length} ids)` : ids.join(', '));
  const parts: string[] = [];
  if (missingU.length > 0) parts.push(`uids ${describe(missingU)}`);
  if (missingG.length > 0) parts.push(`gids ${describe(missingG)}`);
  return new VaggaError(`The container's id map does not cover ${parts.join(' and ')}, which a Debian root filesystem uses`, {
    code: 'userns.map-too-small',
    hint: 'Use the default `uids`/`gids` (0-65535) for this container, or include at least 0-999 and 65534 in them.',
  });
}

/** Throw debianIdMapProblem for this process's own maps (call inside the builder). */
export function requireDebianIdMap(): void {
  const read = (p: string): string => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return '';
    }
  };
  const subIdTexts = [read('/etc/subuid'), read('/etc/subgid')];
  const problem = debianIdMapProblem(read('/proc/self/uid_map'), read('/proc/self/gid_map'), read('/etc/passwd'), subIdTexts);
  if (problem) throw problem;
}
