/**
 * The sandbox of `vagga _build_shell` (vagga-inventory.md §1.8, §2.5 "max" map). Vagga's
 * `_build_shell` is busybox `sh` in its wrapper namespace: the user namespace with the
 * "max" uid/gid map (the user is 0, every subordinate id maps to itself) and a small root
 * holding `/work` (the project), `/vagga/base` (the project's container storage),
 * `/vagga/cache`, `/vagga/storage` (the storage-dir setting), `/volumes/<name>` (the
 * external-volumes setting), `/proc`, `/dev`, `/sys`, `/etc/hosts` and `/etc/resolv.conf`.
 * It is for looking at and repairing files of container roots that belong to subordinate
 * ids, which the user cannot touch from outside.
 *
 * Differences from Vagga: there is no busybox of our own, so the shell is the host's
 * `/bin/sh` with the host's `/usr` (read-only) for its tools; `/vagga/bin` (Vagga's own
 * binaries) does not exist; the shell starts in the user's directory under `/work`, and
 * when the storage is the storage-dir setting's, the project's `.vagga/.lnk` also resolves
 * inside (its absolute target is bound too). Pure planning; the run is in
 * src/cli/builtins/build-shell.ts.
 */
import { posix } from 'node:path';
import { hostShellMounts } from '../mounts/host-system.js';
import type { MountPlan } from '../mounts/types.js';
import { TOOL_PATH } from '../sandbox/tool-sandbox.js';
import type { IdMapping, SandboxSpec } from '../sandbox/types.js';

/** The shell `_build_shell` runs (the host's; Vagga runs its own busybox `sh`). */
export const BUILD_SHELL = '/bin/sh';

/** Where the shell's view puts the storage, as in Vagga's wrapper. */
export const BUILD_SHELL_PATHS = {
  work: '/work',
  base: '/vagga/base',
  cache: '/vagga/cache',
  storage: '/vagga/storage',
  volumes: '/volumes',
} as const;

/** Top-level paths of the shell's view a storage link target must not be bound into (/tmp may: the bind goes on its tmpfs). */
const RESERVED = ['/usr', '/bin', '/lib', '/lib64', '/sbin', '/proc', '/dev', '/sys', '/etc', '/work', '/vagga', '/volumes'];

/** What the shell's sandbox is made of. Host paths are absolute. */
export interface BuildShellInput {
  /** The project directory (bound at /work). */
  projectRoot: string;
  /** The real directory holding `.roots` and `.transient` (bound at /vagga/base). */
  storageBase: string;
  /** The absolute target of the project's `.vagga/.lnk` symlink (storage-dir), bound too so the link resolves. */
  storageLinkTarget?: string;
  /** The storage-dir setting's directory (bound at /vagga/storage). */
  storageDir?: string;
  /** The cache dir (bound at /vagga/cache when it exists). */
  cacheDir: string;
  /** The external-volumes setting: name -> host path (bound at /volumes/<name> when present). */
  externalVolumes: Record<string, string>;
  /** Directory the shell starts in (inside the view, e.g. /work/sub). */
  cwd: string;
  /** The user's TERM, passed on when set. */
  term?: string;
  idMapping: IdMapping;
}

/** True when `p` is `dir` or below it. */
function within(p: string, dir: string): boolean {
  return p === dir || p.startsWith(`${dir}/`);
}

/**
 * The sandbox spec of the build shell (see the module comment): `/bin/sh` with the terminal
 * (stdin, stdout and stderr inherited, an init handing over the tty), all capabilities of
 * root in the namespace, the host network, env PATH (TOOL_PATH), HOME=/tmp and TERM. Pure.
 */
export function buildShellSpec(input: BuildShellInput): SandboxSpec {
  const P = BUILD_SHELL_PATHS;
  const mounts: MountPlan = [
    ...hostShellMounts(),
    { kind: 'bind', source: input.projectRoot, dest: P.work, readOnly: false },
    { kind: 'bind', source: input.storageBase, dest: P.base, readOnly: false },
    { kind: 'bind', source: input.cacheDir, dest: P.cache, readOnly: false, optional: true },
  ];
  if (input.storageDir !== undefined) mounts.push({ kind: 'bind', source: input.storageDir, dest: P.storage, readOnly: false });
  const link = input.storageLinkTarget;
  if (link !== undefined && posix.isAbsolute(link) && !RESERVED.some((r) => within(posix.normalize(link), r))) {
    mounts.push({ kind: 'bind', source: input.storageBase, dest: posix.normalize(link), readOnly: false });
  }
  for (const name of Object.keys(input.externalVolumes).sort()) {
    if (name === '' || name === '.' || name === '..' || name.includes('/')) continue;
    mounts.push({ kind: 'bind', source: input.externalVolumes[name]!, dest: posix.join(P.volumes, name), readOnly: false, optional: true });
  }
  const env: Record<string, string> = { PATH: TOOL_PATH, HOME: '/tmp' };
  if (input.term) env.TERM = input.term;
  return {
    mounts,
    argv: [BUILD_SHELL],
    env,
    cwd: input.cwd,
    idMapping: input.idMapping,
    allCaps: true,
    shareNet: true,
    init: true,
  };
}
