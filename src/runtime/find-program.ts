/**
 * Finding the program to run from the host side, before the sandbox starts (Vagga's
 * find_cmd: `_run` uses the default PATH, a `!Command` list `run` the command's environment
 * PATH). A name without `/` is searched in the PATH; a name with `/` (absolute, or relative
 * to the working directory) is checked where it is. Both are looked up in the container's
 * file system as the sandbox will show it (src/mounts/host-view.ts: the rootfs, /work = the
 * project, volumes...), following symlinks inside it, never the host's own files.
 * A missing program, a directory or a file without any execute bit is a vagga error (124)
 * instead of catatonit's `failed to exec pid1`.
 */
import { posix } from 'node:path';
import { VaggaError } from '../errors/vagga-error.js';
import { probePath, rootOnlyPlan } from '../mounts/host-view.js';
import type { MountPlan } from '../mounts/types.js';

/** Outcome of looking at one path inside the rootfs. */
type ProbeKind = 'file' | 'dir' | 'missing' | 'unknown';

/**
 * Resolve `path` (absolute, as seen inside the container) against `rootfs` (host path)
 * and say what is there. Symlinks anywhere in the path are followed inside the rootfs,
 * `..` never leaves it. 'unknown' when a directory on the way cannot be read (e.g. a
 * subuid-owned 0700 dir): the caller should let the sandbox decide.
 */
export function probeInRootfs(rootfs: string, path: string): ProbeKind {
  return probePath(rootOnlyPlan(rootfs), path).kind;
}

/** Where and how to look for the program. */
export interface ProgramLookup {
  /** The sandbox's mounts (default: just `rootfs` at `/`). */
  mounts?: MountPlan;
  /** Working directory inside the container, for names like `./x` (default `/`). */
  cwd?: string;
  /** Container name, for messages. */
  container?: string;
}

const anyExecBit = (mode: number) => (mode & 0o111) !== 0;

/**
 * Find `name` for execution in the container whose root is `rootfs` (host path).
 *
 * - Without `/`: searched in `searchPath` (colon-separated; relative entries skipped); the
 *   first entry that is a file with an execute bit wins (like execvp(3)), or whose dir
 *   cannot be read from the host (the sandbox decides then); sandbox-only mounts (tmpfs)
 *   start empty and are skipped. Returns the in-container path. Not found: VaggaError 124
 *   `Command "<name>" not found in "<searchPath>"` (Vagga's exact text).
 * - With `/`: returned unchanged after checking it in the container's view (relative names
 *   against `lookup.cwd`). VaggaError 124 when it does not exist (`Command "/x" not found
 *   in container "c"`), is a directory or has no execute bit. Paths on sandbox-only mounts
 *   (tmpfs volumes, /proc...) or unreadable dirs are not checked.
 *
 * Execute bits: the command runs as root of the container's user namespace with all
 * capabilities, so any of the three x bits is enough.
 */
export function findProgram(rootfs: string, name: string, searchPath: string, lookup: ProgramLookup = {}): string {
  const plan = lookup.mounts ?? rootOnlyPlan(rootfs);
  const where = lookup.container ? `in container ${JSON.stringify(lookup.container)}` : 'in the container';
  if (name.includes('/')) {
    const path = posix.resolve(lookup.cwd ?? '/', name);
    const found = probePath(plan, path);
    const fail = (what: string, hint: string): never => {
      throw new VaggaError(`Command ${JSON.stringify(name)} ${what}`, { code: 'sandbox.program-not-runnable', hint });
    };
    if (found.kind === 'missing') {
      fail(`not found ${where}${path !== name ? ` (looked for ${path})` : ''}`,
        'Check the path, or add the program to the container\'s `setup` (it is rebuilt when the setup changes).');
    }
    if (found.kind === 'dir') fail(`is a directory ${where}, not a program`, 'Give the path of a program inside it.');
    if (found.kind === 'file' && !anyExecBit(found.mode)) {
      fail(`is not executable ${where} (mode ${found.mode.toString(8).padStart(4, '0')})`,
        'Make it executable (`chmod +x`; for a file from the setup, e.g. `!Sh chmod +x ...`), or run it through its interpreter, e.g. `sh ' + name + '`.');
    }
    return name;
  }
  for (const dir of searchPath.split(':')) {
    if (!dir.startsWith('/')) continue;
    const candidate = posix.join(dir, name);
    const found = probePath(plan, candidate);
    if (found.kind === 'file' && anyExecBit(found.mode)) return candidate;
    if (found.kind === 'unknown' && found.reason === 'unreadable') return candidate;
  }
  throw new VaggaError(`Command ${JSON.stringify(name)} not found in ${JSON.stringify(searchPath)}`, {
    code: 'sandbox.program-not-found',
    hint: `No program \`${name}\` on the PATH ${where}: install it in the container's setup (e.g. \`!Install [package]\`), `
      + 'or set PATH in the command\'s `environ` if it lives elsewhere.',
  });
}
