/**
 * Owner ids as the container's user namespace sees them, for `!Copy` hashes of files under
 * /work (vagga-inventory.md §2.1: "uid/gid as seen inside the user namespace — the invoking
 * user is 0"). Vagga versions inside the namespace; we version on the host, so host ids are
 * translated with Vagga's default map (§2.5): own id -> 0; the user's /etc/subuid
 * (/etc/subgid) ranges, in file order, -> 1, 2, ... up to 65535. Running as real root the
 * map is the identity. Any other id (not mappable) is used as the raw host number —
 * such files would show up as the overflow id inside, so no real build can match anyway.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';

interface SubRange { start: number; count: number }

const cache = new Map<string, SubRange[]>();

function subRanges(kind: 'uid' | 'gid'): SubRange[] {
  const file = kind === 'uid' ? '/etc/subuid' : '/etc/subgid';
  const hit = cache.get(file);
  if (hit) return hit;
  const out: SubRange[] = [];
  let name = '';
  try {
    name = os.userInfo().username;
  } catch { /* no passwd entry: match by number only */ }
  const own = String(process.getuid?.() ?? -1);
  try {
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const t = line.trim();
      if (t === '' || t.startsWith('#')) continue;
      const [who, start, count] = t.split(':');
      if ((who === name || who === own) && start !== undefined && count !== undefined) {
        const s = Number(start);
        const c = Number(count);
        if (Number.isInteger(s) && Number.isInteger(c)) out.push({ start: s, count: c });
      }
    }
  } catch { /* unreadable: no subordinate ids */ }
  cache.set(file, out);
  return out;
}

/**
 * Translate a host uid or gid of a project file into the id the container's user
 * namespace shows for it (see the module comment). `hostId` is a number from `fs.Stats`.
 */
export function insideId(hostId: number, kind: 'uid' | 'gid'): number {
  const own = kind === 'uid' ? process.getuid?.() : process.getgid?.();
  if (own === undefined) return hostId;
  if (hostId === own) return 0;
  if (own === 0) return hostId;
  let next = 1;
  for (const r of subRanges(kind)) {
    if (hostId >= r.start && hostId < r.start + r.count) {
      const inside = next + (hostId - r.start);
      return inside <= 65535 ? inside : hostId;
    }
    next += r.count;
  }
  return hostId;
}
