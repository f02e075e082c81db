/**
 * Version-hash contribution of `!Py2Requirements`/`!Py3Requirements` (vagga-inventory.md §1.4):
 * a `line` field per trimmed, non-empty, non-comment line of the requirements file, with
 * `-r`/`-c` includes (relative to the including file) hashed in place and cycles rejected.
 * Moved unchanged from the former parse-only step list (vectors in test/unit/version/).
 */
import * as fs from 'node:fs';
import type { Digest } from '../../version/digest.js';
import { versionError } from '../../version/errors.js';
import { rustJoin } from '../../version/paths.js';
import { hostOf, readText } from '../lang/project-files.js';
import type { VersionContext } from '../step.js';

/** Line prefixes of pip's include options (`-r FILE`, `--constraint=FILE`, ...). */
export const REQ_INCLUDE_PREFIXES = ['-r', '--requirement ', '--requirement=', '-c', '--constraint ', '--constraint='];

/** Parent of a relative path as Rust's `Path::parent` gives it (`a/b.txt` -> `a`, `b.txt` -> ``). */
export function parentOf(p: string): string {
  const i = p.replace(/\/+$/, '').lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i === 0 ? 1 : i);
}

/**
 * Hash a requirements file as Vagga does: `line` per trimmed non-empty non-comment line;
 * `-r`/`-c` includes (relative to the including file) are hashed in place; a cycle is an
 * error. `fname` is relative to /work (as written in the config).
 */
export function hashRequirements(fname: string, digest: Digest, ctx: VersionContext, used: Set<string> = new Set()): void {
  const containerPath = rustJoin('/work', fname);
  let host = hostOf(containerPath, ctx, '!Py*Requirements');
  try {
    host = fs.realpathSync(host);
  } catch (e) {
    throw versionError('!Py*Requirements', `${containerPath}: ${(e as Error).message}`);
  }
  if (used.has(host)) throw versionError('!Py*Requirements', `Cyclic requirement: ${JSON.stringify(host)}`);
  used.add(host);
  for (const line of readText(host, containerPath, '!Py*Requirements').split('\n')) {
    const chunk = line.trim();
    if (chunk === '' || chunk.startsWith('#')) continue;
    const prefix = REQ_INCLUDE_PREFIXES.find((x) => chunk.startsWith(x));
    if (prefix !== undefined) {
      hashRequirements(rustJoin(parentOf(fname), chunk.slice(prefix.length).trim()), digest, ctx, used);
      continue;
    }
    digest.field('line', chunk);
  }
}
