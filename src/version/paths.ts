/**
 * Path handling with the semantics Vagga's hashes depend on (Rust `std::path`):
 * `PathBuf` ordering is component-wise, `join` keeps the base's bytes as written.
 * Used for sorting `!Text`/`!CacheDirs` keys and file-tree walks (vagga-inventory.md §2.1).
 */

/** Byte-wise (UTF-8) comparison of two strings, as Rust orders `String`s. -1, 0 or 1. */
export function compareBytes(a: string, b: string): number {
  return Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
}

/**
 * Components of a path as Rust's `Path::components()` sees them: a leading `/` becomes
 * the root marker `''`, empty and interior `.` components are dropped, a leading `.` kept.
 */
export function pathComponents(p: string): string[] {
  const out: string[] = [];
  if (p.startsWith('/')) out.push('');
  const parts = p.split('/');
  parts.forEach((part, i) => {
    if (part === '') return;
    if (part === '.' && !(i === 0 && !p.startsWith('/'))) return;
    out.push(part);
  });
  return out;
}

/**
 * Component-wise path comparison (Rust `PathBuf` `Ord`): `a/b` < `a-c` because the first
 * components compare `a` < `a-c`. The root sorts before any name. Returns -1, 0 or 1.
 */
export function comparePaths(a: string, b: string): number {
  const ca = pathComponents(a);
  const cb = pathComponents(b);
  const n = Math.min(ca.length, cb.length);
  for (let i = 0; i < n; i++) {
    const x = ca[i]!;
    const y = cb[i]!;
    if (x === y) continue;
    if (x === '') return -1;
    if (y === '') return 1;
    return compareBytes(x, y);
  }
  return Math.sign(ca.length - cb.length);
}

/**
 * Rust `Path::join`: an absolute `child` replaces `base`; otherwise one `/` is inserted
 * unless `base` already ends with one. No normalisation (`dir/` + `x` -> `dir/x`, `./x` kept).
 */
export function rustJoin(base: string, child: string): string {
  if (child.startsWith('/')) return child;
  if (base === '') return child;
  if (child === '') return base.endsWith('/') ? base : `${base}/`;
  return base.endsWith('/') ? base + child : `${base}/${child}`;
}

/**
 * Rust `Path::starts_with`: true when `prefix`'s components are a leading run of `p`'s
 * (`/work/x` starts with `/work`; `/workspace` does not).
 */
export function pathStartsWith(p: string, prefix: string): boolean {
  const cp = pathComponents(p);
  const cx = pathComponents(prefix);
  if (cx.length > cp.length) return false;
  return cx.every((c, i) => cp[i] === c);
}

/**
 * Map a container path under `/work` to the host project path (`/work/a/b` ->
 * `<projectRoot>/a/b`); other paths are returned unchanged (undefined when not under /work).
 */
export function workToHost(containerPath: string, projectRoot: string): string | undefined {
  if (!pathStartsWith(containerPath, '/work')) return undefined;
  const rest = pathComponents(containerPath).slice(2).join('/');
  return rest === '' ? projectRoot : `${projectRoot.replace(/\/+$/, '')}/${rest}`;
}

/** The path itself and all its parents, shortest last, e.g. `a/b/c` -> [`a/b/c`, `a/b`, `a`]. */
export function selfAndParents(rel: string): string[] {
  const parts = rel.split('/').filter((x) => x !== '');
  const out: string[] = [];
  for (let i = parts.length; i > 0; i--) out.push(parts.slice(0, i).join('/'));
  return out;
}
