/**
 * uid/gid maps the Vagga way (vagga-inventory.md §2.5; Vagga's src/container/uidmap.rs):
 * inside 0 is the invoking user; the container's requested ranges (minus 0) are laid onto
 * the user's /etc/subuid and /etc/subgid ranges (subuid(5): `name-or-uid:start:count`) in
 * order, split as needed. The pure functions take file contents so they are unit-tested;
 * `idMappingFor` adds the host reads.
 */
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { IdRange } from '../config/model.js';
import { VaggaError, type ErrorCode } from '../errors/vagga-error.js';
import type { IdMapEntry, IdMapping } from './types.js';

/** One allowed range of host ids: `count` ids from `start`. */
export interface SubIdRange {
  start: number;
  count: number;
}

/** Who is asking: the user name and numeric id matched against the first field. */
export interface SubIdOwner {
  name: string;
  id: number;
}

function fail(code: ErrorCode & `userns.${string}`, message: string, hint?: string): never {
  throw new VaggaError(message, { code, hint });
}

/** One parsed line of a subid file: owner field and range, with its 1-based line number. */
export interface SubIdLine {
  owner: string;
  start: number;
  count: number;
  line: number;
}

/**
 * Parse every entry of an /etc/subuid-style file (blank lines and `#` comments skipped).
 * Throws VaggaError (121) `<file>:<line>: Bad syntax: "<line>"` on a malformed line.
 */
export function parseSubIdLines(content: string, file: string): SubIdLine[] {
  const out: SubIdLine[] = [];
  content.split('\n').forEach((raw, i) => {
    const text = raw.trim();
    if (text === '' || text.startsWith('#')) return;
    const parts = text.split(':');
    const [owner, start, count] = parts;
    if (parts.length !== 3 || owner === '' || !/^\d+$/.test(start) || !/^\d+$/.test(count) || Number(count) === 0) {
      fail('userns.bad-subid-file', `${file}:${i + 1}: Bad syntax: ${JSON.stringify(raw)}`);
    }
    out.push({ owner, start: Number(start), count: Number(count), line: i + 1 });
  });
  return out;
}

/**
 * The ranges of one user in an /etc/subuid-style file, in file order. An entry matches by
 * user name or by numeric id (subuid(5)). Throws VaggaError (121) on bad syntax and when a
 * range of the user contains the user's own id (`<file>:<line>: range A..B includes original
 * id, ...`, B inclusive, Vagga's wording).
 */
export function parseSubIdFile(content: string, file: string, owner: SubIdOwner): SubIdRange[] {
  const ranges: SubIdRange[] = [];
  for (const e of parseSubIdLines(content, file)) {
    if (e.owner !== owner.name && e.owner !== String(owner.id)) continue;
    const last = e.start + e.count - 1;
    if (owner.id >= e.start && owner.id <= last) {
      fail('userns.bad-subid-file', `${file}:${e.line}: range ${e.start}..${last} includes original id, they should only include additional ranges not user's own uid/gid`);
    }
    ranges.push({ start: e.start, count: e.count });
  }
  return ranges;
}

/**
 * Allowed ranges for real root without subid entries (vagga-in-vagga, test harnesses):
 * the *inside* ranges of /proc/self/uid_map (lines `inside outside count`).
 */
export function parseProcIdMap(content: string): SubIdRange[] {
  return content
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((w) => w.length === 3 && w.every((x) => /^\d+$/.test(x)))
    .map(([inside, , count]) => ({ start: Number(inside), count: Number(count) }));
}

function fmtRanges(ranges: Array<{ start: number; end: number }>): string {
  return `[${ranges.map((r) => (r.start === r.end ? `${r.start}` : `${r.start}-${r.end}`)).join(', ')}]`;
}

/**
 * Lay the requested inside ranges (inclusive; inside id 0 skipped, it is always the user)
 * onto the allowed host ranges in order, splitting both as needed. Result starts with
 * `0 -> ownId (1)`. An allowed range starting at 0 loses its first id (Vagga does the same
 * for root's identity ranges). Throws VaggaError (121) `Number of allowed sub<kind>s is too
 * small. Required [...], allowed [...]. ...` when the allowed ranges run out.
 */
export function layRanges(kind: 'uid' | 'gid', ownId: number, requested: IdRange[], allowed: SubIdRange[]): IdMapEntry[] {
  const out: IdMapEntry[] = [{ inside: 0, outside: ownId, count: 1 }];
  const free = allowed.map((a) => (a.start === 0 ? { start: 1, count: a.count - 1 } : { ...a })).filter((a) => a.count > 0);
  let ai = 0;
  for (const r of requested) {
    let start = Math.max(r.start, 1);
    while (start <= r.end) {
      if (ai >= free.length) {
        const file = `/etc/sub${kind}`;
        fail('userns.map-too-small',
          `Number of allowed sub${kind}s is too small. Required ${fmtRanges(requested)}, allowed ${fmtRanges(allowed.map((a) => ({ start: a.start, end: a.start + a.count - 1 })))}. ` +
            `You either need to increase allowed numbers in ${file} (preferred) or decrease needed ranges in vagga.yaml by adding \`${kind}s\` key to container config`,
        );
      }
      const a = free[ai];
      const n = Math.min(r.end - start + 1, a.count);
      out.push({ inside: start, outside: a.start, count: n });
      start += n;
      a.start += n;
      a.count -= n;
      if (a.count === 0) ai++;
    }
  }
  return out;
}

/**
 * The "max" mapping (Vagga's get_max_uidmap): own id -> 0 plus every allowed range mapped
 * identically (inside = outside), used to delete or inspect trees whose files belong to
 * any subid. Ranges containing the own id (root's identity ranges) skip that id.
 */
export function maxEntries(ownId: number, allowed: SubIdRange[]): IdMapEntry[] {
  const out: IdMapEntry[] = [{ inside: 0, outside: ownId, count: 1 }];
  for (const a of allowed) {
    // Split the range around inside 0 and the own id (both are taken by the first entry).
    let segments = [{ start: a.start, end: a.start + a.count - 1 }];
    for (const hole of new Set([0, ownId])) {
      segments = segments.flatMap((s) =>
        hole < s.start || hole > s.end ? [s] : [{ start: s.start, end: hole - 1 }, { start: hole + 1, end: s.end }],
      );
    }
    for (const s of segments) if (s.end >= s.start) out.push({ inside: s.start, outside: s.start, count: s.end - s.start + 1 });
  }
  return out;
}

/**
 * A free range of 65536 ids at or above 100000 (useradd's SUB_UID_MIN default) overlapping
 * no entry of either file, for the `usermod --add-subuids` suggestion.
 */
export function freeRange(entries: SubIdLine[]): { start: number; end: number } {
  const used = entries.map((e) => ({ start: e.start, end: e.start + e.count - 1 })).sort((a, b) => a.start - b.start);
  let start = 100000;
  for (const u of used) {
    if (u.end < start) continue;
    if (u.start > start + 65535) break;
    start = u.end + 1;
  }
  return { start, end: start + 65535 };
}

/** The exact command that gives `user` a subuid and subgid range. */
export function usermodCommand(user: string, range: { start: number; end: number }): string {
  return `sudo usermod --add-subuids ${range.start}-${range.end} --add-subgids ${range.start}-${range.end} ${user}`;
}

/**
 * The `usermod` command (usermodCommand) giving `user` a 65536-id range that overlaps no
 * entry of /etc/subuid or /etc/subgid, from their contents (null or '' when missing).
 * Malformed lines are skipped rather than reported: this only builds a suggestion.
 */
export function usermodSuggestion(user: string, subuid: string | null, subgid: string | null): string {
  const entries: SubIdLine[] = [];
  for (const [text, file] of [[subuid, '/etc/subuid'], [subgid, '/etc/subgid']] as const) {
    for (const line of (text ?? '').split('\n')) {
      try {
        entries.push(...parseSubIdLines(line, file));
      } catch { /* bad syntax: ignored for the suggestion */ }
    }
  }
  return usermodCommand(user, freeRange(entries));
}

/**
 * The variable a `!CapsuleCommand` sets for the vagga inside it (Vagga's name; src/runtime/capsule.ts):
 * with it, as root there, vagga makes its sandboxes in the capsule's user namespace.
 */
export const IN_CAPSULE_ENV = '_VAGGA_IN_CAPSULE';

/** Everything idMappingFor reads from the host; injectable for tests. */
export interface IdHost {
  /** True when `_VAGGA_IN_CAPSULE=1` (vagga runs inside a capsule). */
  inCapsule?: boolean;
  uid: number;
  gid: number;
  userName: string;
  /** File contents, or null when the file is missing/unreadable. */
  subuid: string | null;
  subgid: string | null;
  /** /proc/self/uid_map and gid_map (used for root). */
  procUidMap: string;
  procGidMap: string;
  warn(message: string): void;
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** The user's name from the passwd database, or the numeric id when it has no entry (e.g. inside a capsule, whose /etc has no passwd). */
function userNameOrId(uid: number): string {
  try {
    return userInfo().username;
  } catch {
    return String(uid);
  }
}

/** The real host: process ids, `os.userInfo()`, /etc/subuid, /etc/subgid, /proc/self maps. */
export function realIdHost(): IdHost {
  return {
    inCapsule: process.env[IN_CAPSULE_ENV] === '1',
    uid: process.getuid!(),
    gid: process.getgid!(),
    userName: userNameOrId(process.getuid!()),
    subuid: readOrNull('/etc/subuid'),
    subgid: readOrNull('/etc/subgid'),
    procUidMap: readOrNull('/proc/self/uid_map') ?? '',
    procGidMap: readOrNull('/proc/self/gid_map') ?? '',
    warn: (m) => process.stderr.write(`Warning: ${m}\n`),
  };
}

/** The user's allowed host ranges (subuid, subgid) or undefined when there are none at all. */
function allowedRanges(host: IdHost): { uids: SubIdRange[]; gids: SubIdRange[] } | undefined {
  const me = (id: number) => ({ name: host.userName, id });
  const uids = host.subuid === null ? [] : parseSubIdFile(host.subuid, '/etc/subuid', me(host.uid));
  const gids = host.subgid === null ? [] : parseSubIdFile(host.subgid, '/etc/subgid', me(host.gid));
  if (uids.length === 0 && gids.length === 0) {
    if (host.uid === 0) return { uids: parseProcIdMap(host.procUidMap), gids: parseProcIdMap(host.procGidMap) };
    return undefined;
  }
  if (uids.length > 0 && gids.length === 0) {
    // Vagga issue #248: only /etc/subuid was filled in.
    fail('userns.no-subuid',
      `Number of allowed subgids is too small: user "${host.userName}" has a range in /etc/subuid but none in /etc/subgid.`,
      `Give the same range to the groups, e.g.: sudo usermod --add-subgids ${uids[0].start}-${uids[0].start + uids[0].count - 1} ${host.userName}`,
    );
  }
  if (gids.length > 0 && uids.length === 0) {
    fail('userns.no-subuid',
      `Number of allowed subuids is too small: user "${host.userName}" has a range in /etc/subgid but none in /etc/subuid.`,
      `Give the same range to the user ids, e.g.: sudo usermod --add-subuids ${gids[0].start}-${gids[0].start + gids[0].count - 1} ${host.userName}`,
    );
  }
  return { uids, gids };
}

function singleIdMapping(host: IdHost): IdMapping {
  host.warn(`Could not find the user "${host.userName}" in /etc/subuid or /etc/subgid (see http://bit.ly/err_subuid)`);
  return {
    uids: [{ inside: 0, outside: host.uid, count: 1 }],
    gids: [{ inside: 0, outside: host.gid, count: 1 }],
    singleId: true,
    subIdFix: usermodSuggestion(host.userName, host.subuid, host.subgid),
  };
}

/**
 * Map inside 0 -> the invoking user and the requested ranges (minus 0) onto the user's
 * /etc/subuid and /etc/subgid ranges. Without any range: a single-id mapping with
 * `singleId: true` (and a warning). Real root without entries uses /proc/self/uid_map.
 * Throws VaggaError (121) when the ranges are too small or the files are malformed.
 */
export function idMappingFor(uids: IdRange[], gids: IdRange[], host: IdHost = realIdHost()): IdMapping {
  const allowed = allowedRanges(host);
  if (!allowed) return singleIdMapping(host);
  const mapping: IdMapping = { uids: layRanges('uid', host.uid, uids, allowed.uids), gids: layRanges('gid', host.gid, gids, allowed.gids) };
  return inCapsule(host) && identity(mapping) ? inPlaceMapping(mapping, host) : mapping;
}

/**
 * The in-place mapping of a capsule (IdMapping.inPlace) in host ids: each entry's `outside`
 * taken through the capsule's own /proc/self/uid_map and gid_map, so that what vagga records
 * (a version's `uid_map`, the build cache's keys) is what it records outside the capsule.
 */
function inPlaceMapping(mapping: IdMapping, host: IdHost): IdMapping {
  return {
    uids: throughParentMap(mapping.uids, host.procUidMap),
    gids: throughParentMap(mapping.gids, host.procGidMap),
    inPlace: true,
  };
}

/**
 * Entries whose `outside` ids (ids of this namespace) are replaced by the parent's ids for
 * them, per `procMap` (/proc/self/uid_map text: `inside outside count` lines), splitting an
 * entry where the map's ranges split. Ids the map lacks are kept as they are. Pure.
 */
export function throughParentMap(entries: readonly IdMapEntry[], procMap: string): IdMapEntry[] {
  const ranges = procMap.split('\n').map((l) => l.trim().split(/\s+/).map(Number)).filter((w) => w.length === 3 && w.every(Number.isInteger));
  const out: IdMapEntry[] = [];
  for (const e of entries) {
    let at = 0;
    while (at < e.count) {
      const id = e.outside + at;
      const r = ranges.find(([inside, , count]) => id >= inside! && id < inside! + count!);
      const n = r ? Math.min(e.count - at, r[0]! + r[2]! - id) : 1;
      out.push({ inside: e.inside + at, outside: r ? r[1]! + (id - r[0]!) : id, count: n });
      at += n;
    }
  }
  return out;
}

/** Root inside a capsule, whose own user namespace is used as it is (IdMapping.inPlace). */
function inCapsule(host: IdHost): boolean {
  return host.inCapsule === true && host.uid === 0 && host.gid === 0;
}

/** True when every entry maps ids to themselves. */
function identity(mapping: IdMapping): boolean {
  return [...mapping.uids, ...mapping.gids].every((e) => e.inside === e.outside);
}

/**
 * The "max" mapping (§2.5): own ids -> 0 plus all allowed ranges mapped identically. Used
 * for deleting container roots (`removeTreeInNamespace`). Single-id without ranges.
 */
export function maxIdMapping(host: IdHost = realIdHost()): IdMapping {
  const allowed = allowedRanges(host);
  if (!allowed) return { ...singleIdMapping({ ...host, warn: () => {} }) };
  const mapping: IdMapping = { uids: maxEntries(host.uid, allowed.uids), gids: maxEntries(host.gid, allowed.gids) };
  return inCapsule(host) && identity(mapping) ? inPlaceMapping(mapping, host) : mapping;
}

/**
 * Fail when `mapping` has only one id, for steps that need more (apt/dpkg create files owned
 * by `_apt`, `man`...). `what` names the step, e.g. `!Debian`. Throws VaggaError (121) whose
 * hint is the exact `sudo usermod --add-subuids ... --add-subgids ... <user>` command.
 */
export function requireSubIds(mapping: IdMapping, what: string): void {
  if (!mapping.singleId) return;
  fail('userns.no-subuid',
    `${what} needs more than one user id in the container, but your user has no range in /etc/subuid and /etc/subgid.`,
    `Add a range with:\n  ${mapping.subIdFix ?? 'sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 $USER'}`,
  );
}
