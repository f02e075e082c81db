/**
 * The sandbox of a `!CapsuleCommand` (vagga-inventory.md §1.6, experimental in Vagga): a
 * command that runs in no container, with vagga itself at hand, so that it can decide at run
 * time what to build and run (`vagga _capsule build NAME`, `vagga _capsule run NAME CMD...`).
 *
 * Vagga's capsule is a busybox root (its own binaries in /vagga/bin, applets in /bin) in its
 * wrapper's user namespace. There is no busybox of ours, so the capsule sees the host's
 * `/usr` read-only (with the merged-/usr links), as `_build_shell` does, plus:
 * - the project at `/work` (read-write), where the command starts (or its `work-dir`);
 * - the vagga bundle at `/vagga/bundle` (read-only) and `/vagga/bin/vagga` linked to its
 *   entry script (whose `#!/usr/bin/env node` finds the runtime on PATH), and the directory
 *   of the JavaScript runtime at its own path when it is outside /usr;
 * - what the vagga inside needs to build and run containers, each at its host path (so the
 *   links vagga keeps, such as `.vagga/.lnk`, resolve the same inside): the project again,
 *   the capsule's own cache dir (capsuleCacheDir: per project, never the cache other projects
 *   build from, since the capsule's code can do whatever the vagga inside can), this project's
 *   storage-dir subdirectory (not the others') and the external volumes, when set;
 * - fresh /proc, /dev, a /tmp tmpfs, /sys read-only and the host's resolv.conf and hosts.
 * Nothing else of the host (no home directory, no other /etc file) is visible.
 *
 * The user namespace maps the command's `uids`/`gids` (default 0-65535) as a container's
 * would, and the command is root there with every capability (as in Vagga, whose capsule is
 * root in the wrapper namespace). The vagga inside sees `_VAGGA_IN_CAPSULE=1` and builds and
 * runs in that same user namespace instead of making a new one (src/sandbox/idmap.ts
 * `inCapsuleMapping`), so its containers' files get the host owners they get outside. Its
 * settings come in `VAGGA_SETTINGS` (JSON, a YAML subset): the caller's, with host paths
 * unchanged; it works from the project's host path (`_VAGGA_CAPSULE_PROJECT`, capsule-cwd.ts). Pure planning; the run is in src/user-commands/capsule.ts.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { hostShellMounts } from '../mounts/host-system.js';
import type { MountPlan } from '../mounts/types.js';
import type { Settings } from '../config/model.js';
import { IN_CAPSULE_ENV } from '../sandbox/idmap.js';
import { CAPSULE_PROJECT_ENV } from './capsule-cwd.js';
import type { IdMapping, SandboxSpec } from '../sandbox/types.js';

/** Where `vagga` is inside a capsule (Vagga's /vagga/bin). */
export const CAPSULE_BIN = '/vagga/bin';

/** Where vagga's bundle is bound inside a capsule. */
export const CAPSULE_BUNDLE = '/vagga/bundle';

/** The variable that tells the vagga inside that it runs in a capsule (Vagga's name). */
export { IN_CAPSULE_ENV };

/** The capsule's PATH: vagga first, then the host's system directories. */
export const CAPSULE_PATH = `${CAPSULE_BIN}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;

/** What a capsule is made of. Host paths are absolute and resolved. */
export interface CapsuleInput {
  /** The project directory (at /work and at its own path). */
  projectRoot: string;
  /** The capsule's cache dir (capsuleCacheDir; at its own path; created by the caller). */
  cacheDir: string;
  /** With the storage-dir setting: this project's storage subdir, the target of `.vagga/.lnk` (at its own path). */
  storageBase?: string;
  /** The external-volumes setting: name -> host path (each at its own path, when present). */
  externalVolumes: Record<string, string>;
  /** Directory of vagga's bundle (bound at CAPSULE_BUNDLE). */
  bundleDir: string;
  /** File name of the bundle's entry in bundleDir that `vagga` runs, e.g. vagga.cjs. */
  bundleFile: string;
  /** Absolute path of the JavaScript runtime running vagga. */
  runtimePath: string;
  /** The command line to run (already expanded: `sh -c` for a string `run`). */
  argv: string[];
  /** The command's environment (its `environ`, -E/-e variables); PATH, HOME and the capsule's own are added. */
  env: Record<string, string>;
  /** Working directory inside (under /work). */
  cwd: string;
  /** `VAGGA_SETTINGS` for the vagga inside (capsuleSettings). */
  settingsJson: string;
  idMapping: IdMapping;
}

/**
 * The cache dir of the capsules of project `projectRoot`: `<userCacheDir>/capsules/<16 hex of
 * SHA-256 of the project path>`. Pure.
 */
export function capsuleCacheDir(userCacheDir: string, projectRoot: string): string {
  return posix.join(userCacheDir, 'capsules', createHash('sha256').update(projectRoot).digest('hex').slice(0, 16));
}

/** True when `p` is `dir` or below it. */
function within(p: string, dir: string): boolean {
  return p === dir || p.startsWith(`${dir}/`);
}

/** Paths of the capsule's own view that a host path must not be bound over or into (/tmp may be bound into: the bind goes on its tmpfs). */
const RESERVED = ['/usr', '/bin', '/lib', '/lib64', '/sbin', '/proc', '/dev', '/sys', '/etc', '/work', '/vagga'];

/** A bind of a host dir at its own path, unless that path is one of the view's own. */
function samePath(source: string, optional = false): MountPlan {
  const p = posix.normalize(source);
  if (!posix.isAbsolute(p) || p === '/' || p === '/tmp' || RESERVED.some((r) => within(p, r) || within(r, p))) return [];
  return [{ kind: 'bind', source: p, dest: p, readOnly: false, optional }];
}

/**
 * The settings the vagga inside a capsule runs with, as `VAGGA_SETTINGS` text (JSON): the
 * caller's effective settings that matter for building and running, with their host paths
 * (the capsule binds those at the same paths). Pure.
 */
export function capsuleSettings(s: Settings, cacheDir: string): string {
  const out: Record<string, unknown> = {
    'cache-dir': cacheDir,
    'proxy-env-vars': s.proxyEnvVars,
    'propagate-environ': s.propagateEnviron,
    environ: s.environ,
    'external-volumes': s.externalVolumes,
  };
  const optional: Array<[string, unknown]> = [
    ['debian-mirror', s.debianMirror],
    ['ubuntu-mirror', s.ubuntuMirror],
    ['ubuntu-ppa-mirror', s.ubuntuPpaMirror],
    ['alpine-mirror', s.alpineMirror],
    ['storage-dir', s.storageDir],
    ['storage-subdir-from-env-var', s.storageSubdirFromEnvVar],
    ['build-cache', s.buildCache],
    ['build-cache-max-size', s.buildCacheMaxSize],
    ['insecure-registries', s.insecureRegistries],
    ['index-all-images', s.indexAllImages],
    ['hard-link-identical-files', s.hardLinkIdenticalFiles],
    ['hard-link-between-projects', s.hardLinkBetweenProjects],
    ['disable-auto-clean', s.disableAutoClean],
  ];
  for (const [key, value] of optional) if (value !== undefined) out[key] = value;
  return JSON.stringify(out);
}

/**
 * The sandbox spec of a capsule (see the module comment): stdio inherited, an init handing
 * over the tty, all capabilities of root in the namespace, the host network. Pure.
 */
export function capsuleSpec(input: CapsuleInput): SandboxSpec {
  const mounts: MountPlan = [
    ...hostShellMounts(),
    { kind: 'bind', source: input.projectRoot, dest: '/work', readOnly: false },
    { kind: 'bind', source: input.bundleDir, dest: CAPSULE_BUNDLE, readOnly: true },
    { kind: 'dir', dest: CAPSULE_BIN, mode: 0o755 },
    { kind: 'symlink', target: `${CAPSULE_BUNDLE}/${input.bundleFile}`, dest: `${CAPSULE_BIN}/vagga` },
  ];
  const runtimeDir = posix.dirname(input.runtimePath);
  if (!within(runtimeDir, '/usr')) mounts.push({ kind: 'bind', source: runtimeDir, dest: runtimeDir, readOnly: true });
  mounts.push(...samePath(input.projectRoot), ...samePath(input.cacheDir));
  if (input.storageBase !== undefined) mounts.push(...samePath(input.storageBase));
  for (const name of Object.keys(input.externalVolumes).sort()) mounts.push(...samePath(input.externalVolumes[name]!, true));
  const env: Record<string, string> = {
    ...input.env,
    PATH: runtimeDir === '/usr/bin' ? CAPSULE_PATH : `${CAPSULE_PATH}:${runtimeDir}`,
    HOME: '/tmp',
    [IN_CAPSULE_ENV]: '1',
    [CAPSULE_PROJECT_ENV]: input.projectRoot,
    VAGGA_SETTINGS: input.settingsJson,
  };
  return {
    mounts,
    argv: input.argv,
    env,
    cwd: input.cwd,
    idMapping: input.idMapping,
    allCaps: true,
    shareNet: true,
    init: true,
  };
}
