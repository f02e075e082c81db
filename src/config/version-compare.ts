/**
 * `minimum-vagga` support: the Vagga version this implementation is compatible with and
 * Vagga's version ordering (vagga-inventory.md §1.2).
 */

/** The version of this package (package.json "version"; a unit test keeps them equal). */
export const PACKAGE_VERSION = '0.1.0';

/**
 * The Vagga release whose vagga.yaml format this implementation accepts; `minimum-vagga`
 * values are compared against it (real projects ask for v0.5 .. v0.8, so the package's own
 * 0.x version cannot be used for this).
 */
export const VAGGA_VERSION = 'v0.8.1';

/** Markers that make a version *smaller* when they follow an otherwise equal prefix. */
const PRE_RELEASE = new Set(['a', 'b', 'c', 'rc', 'pre', 'dev', 'dirty']);

type Part = number | string;

function parts(version: string): Part[] {
  const v = version.startsWith('v') ? version.slice(1) : version;
  const out: Part[] = [];
  for (const m of v.matchAll(/[0-9]+|[A-Za-z]+/g)) {
    out.push(/^[0-9]/.test(m[0]) ? Number(m[0]) : m[0]);
  }
  return out;
}

/** Sign of an extra trailing component: numbers and ordinary words add, pre-release markers and git hashes (`g...`) subtract. */
function extraSign(part: Part): number {
  if (typeof part === 'number') return 1;
  return PRE_RELEASE.has(part) || part.startsWith('g') ? -1 : 1;
}

/**
 * Compare two version strings the way Vagga does: drop a leading `v`, split into runs of
 * digits (compared numerically) and runs of letters (compared lexically; a number beats a
 * string). When one side runs out, the longer side is greater unless its next component is
 * a pre-release marker (`a b c rc pre dev dirty`) or a git hash (`g...`).
 * Returns -1, 0 or 1. Examples: `v0.4.1-28-gfba00d7` > `v0.4.1`, `v0.5-rc` < `v0.5`.
 */
export function compareVersions(a: string, b: string): number {
  const pa = parts(a);
  const pb = parts(b);
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (typeof x === 'number' && typeof y === 'number') {
      if (x !== y) return x < y ? -1 : 1;
    } else if (typeof x === 'number') {
      return 1;
    } else if (typeof y === 'number') {
      return -1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  if (pa.length > n) return extraSign(pa[n]!);
  if (pb.length > n) return -extraSign(pb[n]!);
  return 0;
}

/** True when a config asking for `minimum` can be loaded by this implementation. */
export function satisfiesMinimum(minimum: string, current: string = VAGGA_VERSION): boolean {
  return compareVersions(current, minimum) >= 0;
}
