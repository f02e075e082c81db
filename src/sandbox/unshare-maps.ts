/**
 * Letting util-linux unshare(1) install the uid/gid maps itself, so a run needs one process
 * start from vagga instead of three (unshare, newuidmap, newgidmap) and no "ready"/"go"
 * round trip. Used by src/sandbox/bwrap.ts for the common cases:
 *
 * - single id (no /etc/subuid range): `--map-root-user` (unshare writes `0 UID 1`, denies
 *   setgroups, writes `0 GID 1`: exactly what the gated launcher does);
 * - `0 UID 1` plus ranges starting at inside id 1 or above (the default container uids give
 *   `0 UID 1` / `1 SUBUID 65535`): `--map-root-user --map-users=OUTER,INNER,COUNT...
 *   --map-groups=...` (util-linux >= 2.38; unshare forks a helper that runs newuidmap and
 *   newgidmap on the new namespace before the program is executed).
 *
 * How unshare lays an explicit range around the `--map-root-user` id changed between
 * util-linux releases (2.38 supports a single `--map-users`; later releases split ranges
 * around the single id), so an exact map is never assumed: the same flags are tried once
 * with `cat /proc/self/uid_map /proc/self/gid_map` as the program, the result is compared
 * with the wanted map, and the verdict is remembered in `~/.cache/vagga/unshare-maps.json`
 * (keyed by the unshare binary's inode, size and mtime, and the flags). Any doubt (root,
 * other shapes, a failed or mismatching probe, no writable cache) means "use the gated
 * launcher", which is always correct, only slower.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { findInDirs, EXTRA_DIRS } from './tools.js';
import type { IdMapEntry, IdMapping } from './types.js';

/**
 * Environment variable choosing the launcher: `gated` (always vagga-written maps behind the
 * "go" gate), `unshare` (use unshare's maps whenever the shape allows, without probing; for
 * tests), anything else or unset: automatic (probe once, then remembered).
 */
export const LAUNCH_ENV = 'VAGGA_USERNS_LAUNCH';

/** Format version of the probe cache file. */
const CACHE_FORMAT = 1;
/** At most this many probe verdicts are kept (oldest dropped). */
const MAX_ENTRIES = 32;

/**
 * The unshare(1) flags that make unshare itself write `mapping`, or undefined when the
 * mapping has another shape. `uid`/`gid` are the caller's real ids; the first entries of
 * both maps must map inside 0 to them (`--map-root-user`), every other entry must start
 * at inside id 1 or above. Pure. Flags use unshare's `OUTER,INNER,COUNT` form (unshare(1),
 * `--map-users`), understood by util-linux 2.38 and later.
 */
export function unshareMapFlags(mapping: IdMapping, uid: number, gid: number): string[] | undefined {
  const [u0, ...uRest] = mapping.uids;
  const [g0, ...gRest] = mapping.gids;
  const isSelf = (e: IdMapEntry | undefined, id: number) => e !== undefined && e.inside === 0 && e.outside === id && e.count === 1;
  if (!isSelf(u0, uid) || !isSelf(g0, gid)) return undefined;
  if (mapping.singleId) return uRest.length === 0 && gRest.length === 0 ? ['--map-root-user'] : undefined;
  if (uRest.length === 0 || gRest.length === 0) return undefined;
  const ok = (e: IdMapEntry, own: number) => e.inside >= 1 && e.count >= 1 && (own < e.outside || own >= e.outside + e.count);
  if (!uRest.every((e) => ok(e, uid)) || !gRest.every((e) => ok(e, gid))) return undefined;
  return [
    '--map-root-user',
    ...uRest.map((e) => `--map-users=${e.outside},${e.inside},${e.count}`),
    ...gRest.map((e) => `--map-groups=${e.outside},${e.inside},${e.count}`),
  ];
}

/** Parse /proc/PID/uid_map text (`inside outside count` lines, any spacing) into sorted entries. */
export function parseIdMap(text: string): IdMapEntry[] {
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((w) => w.length === 3 && w.every((x) => /^\d+$/.test(x)))
    .map(([inside, outside, count]) => ({ inside: Number(inside), outside: Number(outside), count: Number(count) }))
    .sort((a, b) => a.inside - b.inside);
}

/** Same entries regardless of order. */
export function sameIdMap(a: IdMapEntry[], b: IdMapEntry[]): boolean {
  const key = (m: IdMapEntry[]) => [...m].sort((x, y) => x.inside - y.inside).map((e) => `${e.inside} ${e.outside} ${e.count}`).join('\n');
  return key(a) === key(b);
}

/**
 * Did a probe's output (uid_map text followed by gid_map text, as printed by `cat
 * /proc/self/uid_map /proc/self/gid_map`) match `mapping`? The two maps are told apart by
 * line count (the wanted uid map's length).
 */
export function probeMatches(output: string, mapping: IdMapping): boolean {
  const lines = output.split('\n').filter((l) => l.trim() !== '');
  const n = mapping.uids.length;
  if (lines.length !== n + mapping.gids.length) return false;
  return sameIdMap(parseIdMap(lines.slice(0, n).join('\n')), mapping.uids) && sameIdMap(parseIdMap(lines.slice(n).join('\n')), mapping.gids);
}

/** Where probe verdicts are kept: `$XDG_CACHE_HOME/vagga` (absolute only) or `~/.cache/vagga`. */
export function probeCachePath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME?.startsWith('/') ? env.XDG_CACHE_HOME : join(env.HOME || homedir(), '.cache');
  return join(base, 'vagga', 'unshare-maps.json');
}

interface ProbeCache {
  format: number;
  /** Cache key -> verdict, in insertion order (oldest first). */
  verdicts: Record<string, boolean>;
}

function readCache(file: string): ProbeCache {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as ProbeCache;
    if (data.format === CACHE_FORMAT && data.verdicts && typeof data.verdicts === 'object') return data;
  } catch {
    // Missing or damaged: start afresh.
  }
  return { format: CACHE_FORMAT, verdicts: {} };
}

/** Write best-effort; false when the verdict could not be stored. */
function writeCache(file: string, data: ProbeCache): boolean {
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(data));
    renameSync(tmp, file);
    return true;
  } catch {
    return false;
  }
}

/**
 * Run `unshare --user FLAGS -- cat /proc/self/uid_map /proc/self/gid_map` and tell whether
 * it succeeded with exactly `mapping`. Synchronous (about 10 ms, once per unshare binary
 * and mapping). False when cat is missing or unshare fails (older util-linux without
 * `--map-users`, newuidmap refusing the range...).
 */
export function probeUnshareMaps(unshare: string, flags: string[], mapping: IdMapping): boolean {
  const cat = findInDirs('cat', EXTRA_DIRS);
  if (!cat) return false;
  const r = spawnSync(unshare, ['--user', ...flags, '--', cat, '/proc/self/uid_map', '/proc/self/gid_map'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
    timeout: 10_000,
  });
  return r.status === 0 && probeMatches(r.stdout, mapping);
}

/** Injectable pieces of `unshareMapsFor` (tests). */
export interface UnshareMapsHost {
  uid: number;
  gid: number;
  env: NodeJS.ProcessEnv;
  /** Stat key of the unshare binary (`ino:size:mtimeMs`), or undefined when it cannot be read. */
  binaryKey(path: string): string | undefined;
  probe(unshare: string, flags: string[], mapping: IdMapping): boolean;
  cacheFile: string;
}

function realHost(): UnshareMapsHost {
  return {
    uid: process.getuid!(),
    gid: process.getgid!(),
    env: process.env,
    binaryKey: (p) => {
      try {
        const st = statSync(p);
        return `${st.ino}:${st.size}:${st.mtimeMs}`;
      } catch {
        return undefined;
      }
    },
    probe: probeUnshareMaps,
    cacheFile: probeCachePath(),
  };
}

/**
 * The unshare flags to use for `mapping` with the unshare binary at `unshare`, or undefined
 * for "use the gated launcher". Undefined for root (it writes any map directly), when
 * LAUNCH_ENV is `gated`, for other mapping shapes, and when the probe (run on first use and
 * remembered, see the module comment) says unshare would write another map. The single-id
 * `--map-root-user` needs no probe. Never throws.
 */
export function unshareMapsFor(unshare: string, mapping: IdMapping, host: UnshareMapsHost = realHost()): string[] | undefined {
  const mode = host.env[LAUNCH_ENV];
  if (host.uid === 0 || mode === 'gated') return undefined;
  const flags = unshareMapFlags(mapping, host.uid, host.gid);
  if (!flags) return undefined;
  if (mapping.singleId || mode === 'unshare') return flags;
  const bin = host.binaryKey(unshare);
  if (!bin) return undefined;
  const key = `${unshare}|${bin}|${flags.join(' ')}`;
  const cache = readCache(host.cacheFile);
  const known = cache.verdicts[key];
  if (known !== undefined) return known ? flags : undefined;
  const verdict = host.probe(unshare, flags, mapping);
  const keys = Object.keys(cache.verdicts);
  for (const old of keys.slice(0, Math.max(0, keys.length - MAX_ENTRIES + 1))) delete cache.verdicts[old];
  cache.verdicts[key] = verdict;
  // A verdict that cannot be remembered would mean probing on every run: slower than the gate.
  if (!writeCache(host.cacheFile, cache)) return undefined;
  return verdict ? flags : undefined;
}
