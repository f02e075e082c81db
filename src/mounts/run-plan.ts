/**
 * Mount plan for running a command (vagga-inventory.md §2.7 "The run sandbox" and §1.5
 * "Volume types"). Pure apart from `!Snapshot` volumes, whose source and mount point are
 * stat'ed (injectable `stat`; see volumes-snapshot.ts for the copy made at command start),
 * `!BindRW`/`!BindRO` sources, resolved with every symlink followed (bindSource; under
 * `/vagga/root` through the view mounted so far, host-view.ts), and `!CacheDir` names,
 * resolved inside the cache dir (cacheEntryPath). It only reads: it never writes or spawns;
 * the result is turned into bwrap arguments by src/sandbox/bwrap-args.ts.
 */
import { existsSync } from 'node:fs';
import { posix } from 'node:path';
import type { ContainerConfig, Settings, Volume } from '../config/model.js';
import { cacheEntryPath } from '../config/cache-name.js';
import { resolveProjectPath, type PathSite } from '../config/project-path.js';
import type { Pos } from '../config/qnode.js';
import { VaggaError } from '../errors/vagga-error.js';
import type { MountOp, MountPlan } from './types.js';
import { resolveInView } from './host-view.js';
import type { IdMapping } from '../sandbox/types.js';
import { SNAPSHOT_SHELL, snapshotPlan, type HostStat, type SnapshotCopy } from './volumes-snapshot.js';
import { vaggaBinOps, type VaggaBinInput } from './volumes-vagga-bin.js';

export interface RunPlanInput {
  container: ContainerConfig;
  /** Host path of the built root filesystem (bound read-only at /). */
  rootfs: string;
  /** Host path of the project, bound at /work. */
  projectRoot: string;
  /** Command volumes; they override container volumes at the same path. */
  commandVolumes: Record<string, Volume>;
  /** Where the command volumes are declared, and the command's name (for refusals of bind sources). */
  commandVolumePositions?: Record<string, Pos>;
  commandName?: string;
  settings: Settings;
  /** Host cache dir, for `!CacheDir` volumes. */
  cacheDir: string;
  /**
   * The host files of the self-contained vagga of `!VaggaBin` (volumes-vagga-bin.ts), or what
   * is missing on this host for it; unsupported when absent.
   */
  vaggaBin?: VaggaBinInput;
  /** Host dir holding `!Persistent` volumes (`<base>/.volumes`); unsupported when absent. */
  volumesDir?: string;
  /** Built roots of other containers, for `!Container` volumes: name -> host rootfs. */
  containerRoots?: Record<string, string>;
  /**
   * `!Persistent` volumes mounted from another dir than `<volumesDir>/<name>`: name -> host
   * dir (`.volumes/.tmp.<name>` while the volume's `init-command` runs).
   */
  persistentSources?: Record<string, string>;
  /** Host path of a statically linked busybox, for `!Snapshot` (unsupported when absent). */
  snapshotShell?: string;
  /** The sandbox's uid/gid maps, to give a `!Snapshot` tmpfs the mount point's owner (default: identity of 0). */
  idMapping?: IdMapping;
  /** Injectable host stat for `!Snapshot` sources and mount points (default: statSync). */
  stat?: (path: string) => HostStat | undefined;
  /** The root is a writable copy (`_run -W`, transient-root.ts): bound read-write at `/`. */
  writableRoot?: boolean;
}

/** Default size of /tmp, /run and `!Tmpfs` volumes: 100 MiB (§1.5). */
export const DEFAULT_TMPFS_SIZE = 100 * 1024 * 1024;

function mountError(message: string): never {
  throw new VaggaError(message, { code: 'sandbox.bad-mount' });
}

/**
 * `err` (a volume's mount error) prefixed with where the volume at `dest` is declared
 * (`file:line:col: `) and its key path in the hint; other errors are returned as they are
 * (a volume's located config errors are ConfigErrors, not `sandbox.bad-mount`).
 */
function locatedMountError(err: unknown, dest: string, input: RunPlanInput): unknown {
  if (!(err instanceof VaggaError) || err.code !== 'sandbox.bad-mount') return err;
  const site = volumeSite(dest, input);
  if (!site.pos) return err;
  return new VaggaError(`${site.pos.file}:${site.pos.line}:${site.pos.col}: ${err.message}`, {
    code: err.code,
    hint: [`The volume is ${site.key}.`, err.hint].filter(Boolean).join('\n'),
  });
}

/**
 * Order of absolute paths by components (Vagga keeps volumes in a map keyed by path, so
 * `/a/b` sorts before `/a-b` and a parent always precedes what is mounted inside it).
 */
export function comparePaths(a: string, b: string): number {
  const pa = a.split('/').filter(Boolean);
  const pb = b.split('/').filter(Boolean);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    if (pa[i] !== pb[i]) return pa[i] < pb[i] ? -1 : 1;
  }
  return pa.length - pb.length;
}

/** True when `path` is `dir` or inside it. */
export function isWithin(path: string, dir: string): boolean {
  const rel = posix.relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !posix.isAbsolute(rel));
}

/**
 * Host path of a `!BindRW`/`!BindRO` source: `/work/...` is inside the project,
 * `/volumes/NAME/...` inside the external volume NAME of the settings; the real path is
 * returned, every symlink followed, and it must stay inside the project (or that external
 * volume): resolveProjectPath, whose ConfigError (126) names `site`. Throws VaggaError
 * (124) for other sources or an unknown volume name. Reads the file system (lstat/readlink).
 */
export function bindSource(path: string, projectRoot: string, settings: Settings, site: PathSite = { key: 'volumes' }): string {
  const norm = posix.normalize(path);
  if (isWithin(norm, '/work')) return resolveProjectPath(projectRoot, posix.relative('/work', norm) || '.', site);
  if (isWithin(norm, '/volumes')) {
    const [name, ...rest] = posix.relative('/volumes', norm).split('/');
    const base = name ? settings.externalVolumes[name] : undefined;
    if (base === undefined) {
      mountError(`mount ${JSON.stringify(path)}: there is no external volume ${JSON.stringify(name ?? '')} (settings \`external-volumes\`)`);
    }
    return resolveProjectPath(projectRoot, posix.join(base, ...rest), site, [base]);
  }
  return mountError(`mount ${JSON.stringify(path)}: bind source must be in /work, /volumes/<name> or /vagga/root`);
}

/** Where the wrapper shows the container's root (§2.7); `!BindRW /vagga/root/PATH` binds the container's own PATH. */
export const VAGGA_ROOT = '/vagga/root';

/**
 * The bind of a `!BindRW`/`!BindRO` volume at `dest`. A source under `/vagga/root` names a
 * path of the container itself as mounted so far (Vagga mounts volumes in path order on the
 * root it already prepared: /work, /tmp, /run and the volumes before this one), so PATH is
 * resolved through `view` (the plan built so far), every symlink followed inside the
 * container's view (host-view.ts resolveInView): a hostile vagga.yaml or image cannot name
 * a host path this way. The bind is read-only when the view shows PATH read-only (the
 * image root outside `_run -W`: a bind keeps its source mount's read-only flag in Vagga too).
 * Throws VaggaError (124) when PATH is missing, on a sandbox-only mount (tmpfs, /proc,
 * /dev: bwrap binds host paths only) or unreadable; other sources: bindSource.
 */
function bindOp(dest: string, vol: Extract<Volume, { kind: 'BindRW' | 'BindRO' }>, input: RunPlanInput, view: MountPlan): MountOp {
  const norm = posix.normalize(vol.path);
  const readOnly = vol.kind === 'BindRO';
  if (!isWithin(norm, VAGGA_ROOT)) {
    return { kind: 'bind', source: bindSource(vol.path, input.projectRoot, input.settings, volumeSite(dest, input)), dest, readOnly };
  }
  const inside = '/' + posix.relative(VAGGA_ROOT, norm);
  const found = resolveInView(view, inside);
  const what = `mount !${vol.kind} ${JSON.stringify(vol.path)}`;
  if (found.kind === 'missing' || (found.kind === 'host' && !existsSync(found.host))) mountError(`${what}: ${found.at} does not exist in the container`);
  if (found.kind === 'unreadable') mountError(`${what}: ${found.at} cannot be read`);
  if (found.kind === 'virtual') {
    mountError(`${what}: ${found.at} is on a mount that exists only inside the container (tmpfs, /proc, /dev); binding it is not supported`);
  }
  return { kind: 'bind', source: found.host, dest, readOnly: readOnly || found.readOnly };
}

/** Where volume `dest` was declared: the command's volume if it has one there, else the container's. */
function volumeSite(dest: string, input: RunPlanInput): PathSite {
  const fromCommand = input.commandVolumes[dest] !== undefined;
  const pos = fromCommand ? input.commandVolumePositions?.[dest] : input.container.volumePositions?.[dest];
  const key = fromCommand ? `.commands.${input.commandName ?? '?'}.volumes.${dest}` : `.containers.${input.container.name}.volumes.${dest}`;
  return pos ? { key, pos } : { key };
}

/**
 * Mount operations of one volume at `dest`; `view` is the plan mounted before it (for
 * `/vagga/root` bind sources; default: the root and /work). Throws VaggaError (124) on
 * invalid or unsupported volumes.
 */
export function volumeOps(dest: string, vol: Volume, input: RunPlanInput, snapshotIndex = 0, view?: MountPlan): MountOp[] {
  switch (vol.kind) {
    case 'Tmpfs': {
      const ops: MountOp[] = [{ kind: 'tmpfs', dest, size: vol.size, mode: vol.mode }];
      for (const rel of Object.keys(vol.subdirs).sort(comparePaths)) {
        ops.push({ kind: 'dir', dest: posix.join(dest, rel), mode: vol.subdirs[rel].mode });
      }
      for (const rel of Object.keys(vol.files).sort(comparePaths)) {
        ops.push({ kind: 'file', dest: posix.join(dest, rel), content: vol.files[rel] ?? '', mode: 0o644 });
      }
      return ops;
    }
    case 'BindRW':
    case 'BindRO':
      return [bindOp(dest, vol, input, view ?? basePlan(input))];
    case 'Empty':
      if (dest === '/work') mountError('mount !Empty: hiding /work itself is not supported');
      return [
        { kind: 'tmpfs', dest, size: 1, mode: 0o755 },
        { kind: 'remount-ro', dest },
      ];
    case 'CacheDir': {
      if (vol.name === '') mountError('mount !CacheDir: path must not be empty');
      if (vol.name.startsWith('/')) mountError(`mount !CacheDir ${JSON.stringify(vol.name)}: path must not be absolute`);
      const entry = cacheEntryPath(input.cacheDir, vol.name);
      if ('problem' in entry) mountError(`mount !CacheDir: ${entry.problem}`);
      return [{ kind: 'bind', source: entry.path, dest, readOnly: false, createSource: true }];
    }
    case 'VaggaBin':
      if (!input.vaggaBin) mountError('mount !VaggaBin is not supported yet');
      if ('missing' in input.vaggaBin) mountError(`mount !VaggaBin is not supported here: ${input.vaggaBin.missing}`);
      return vaggaBinOps(dest, input.vaggaBin);
    case 'Container': {
      const root = input.containerRoots?.[vol.name];
      if (!root) mountError(`mount !Container ${JSON.stringify(vol.name)}: the container is not built`);
      return [{ kind: 'bind', source: root, dest, readOnly: true }];
    }
    case 'Persistent': {
      const source = input.persistentSources?.[vol.name] ?? (input.volumesDir ? posix.join(input.volumesDir, vol.name) : undefined);
      if (!source) mountError('mount !Persistent is not supported yet');
      return [{ kind: 'bind', source, dest, readOnly: false, createSource: true }];
    }
    case 'Snapshot':
      return snapshotFor(dest, vol, input, snapshotIndex).ops;
  }
}

/** snapshotPlan for one `!Snapshot` volume, with the run plan's inputs; throws VaggaError (124). */
function snapshotFor(dest: string, vol: Extract<Volume, { kind: 'Snapshot' }>, input: RunPlanInput, index: number): { ops: MountOp[]; copy: SnapshotCopy } {
  if (!input.snapshotShell) mountError(`mount !Snapshot ${dest}: needs a statically linked busybox on the host (Debian package busybox-static)`);
  const sourceRoot = vol.container === undefined ? input.rootfs : input.containerRoots?.[vol.container];
  if (!sourceRoot) mountError(`mount !Snapshot ${dest}: container ${JSON.stringify(vol.container)} is not built`);
  const zero = [{ inside: 0, outside: 0, count: 1 }];
  const r = snapshotPlan({
    dest, volume: vol, index, rootfs: input.rootfs, sourceRoot,
    uids: input.idMapping?.uids ?? zero, gids: input.idMapping?.gids ?? zero, stat: input.stat,
  });
  if ('error' in r) mountError(`mount !Snapshot ${dest}: ${r.error}`);
  return r;
}

/** The first mounts of a run: the root (read-only unless `writableRoot`), /proc, /dev and /work = the project. */
function basePlan(input: RunPlanInput): MountPlan {
  return [
    { kind: 'bind', source: input.rootfs, dest: '/', readOnly: !input.writableRoot },
    { kind: 'proc', dest: '/proc' },
    { kind: 'dev', dest: '/dev' },
    { kind: 'bind', source: input.projectRoot, dest: '/work', readOnly: false },
  ];
}

/** All volumes of a run, command volumes overriding container ones: normalized path -> volume, in mount (path) order. */
export function runVolumes(container: ContainerConfig, commandVolumes: Record<string, Volume>): Array<[string, Volume]> {
  const byPath = new Map<string, Volume>();
  // `/a/` and `/a` are the same mount point.
  const norm = (p: string) => posix.normalize(p).replace(/(.)\/+$/, '$1');
  for (const [p, v] of Object.entries(container.volumes)) byPath.set(norm(p), v);
  for (const [p, v] of Object.entries(commandVolumes)) byPath.set(norm(p), v);
  return [...byPath.entries()].sort(([a], [b]) => comparePaths(a, b));
}

/**
 * The copies the command's start must make for its `!Snapshot` volumes (volumes-snapshot.ts),
 * in mount order, matching the staging binds of planRunMounts. [] without snapshots.
 * Throws VaggaError (124) like planRunMounts.
 */
export function planSnapshotCopies(input: RunPlanInput): SnapshotCopy[] {
  const out: SnapshotCopy[] = [];
  for (const [path, vol] of runVolumes(input.container, input.commandVolumes)) {
    if (vol.kind === 'Snapshot') out.push(snapshotFor(path, vol, input, out.length).copy);
  }
  return out;
}

/**
 * Ordered mounts: rootfs read-only at /, /proc, /dev, /work = project (rw), fresh /tmp
 * (100 MiB, 1777) and /run (100 MiB, 0755, with `shm` 1777) unless volumes replace them,
 * volumes in path order (command volumes override container ones at the same path), then
 * the host's /etc/resolv.conf and /etc/hosts bound read-only at the container's
 * `resolv-conf-path`/`hosts-file-path` unless null, a volume's own path (§2.7) or inside a
 * `!Snapshot` volume.
 * Reads only (see the module comment). Throws VaggaError (124) for invalid volumes (e.g. `mount !CacheDir: path must not be empty`).
 */
export function planRunMounts(input: RunPlanInput): MountPlan {
  const volumes = runVolumes(input.container, input.commandVolumes);
  const paths = volumes.map(([p]) => p);
  const byPath = new Map(volumes);
  const plan: MountPlan = basePlan(input);
  if (!byPath.has('/tmp')) plan.push({ kind: 'tmpfs', dest: '/tmp', size: DEFAULT_TMPFS_SIZE, mode: 0o1777 });
  if (!byPath.has('/run')) {
    plan.push({ kind: 'tmpfs', dest: '/run', size: DEFAULT_TMPFS_SIZE, mode: 0o755 }, { kind: 'dir', dest: '/run/shm', mode: 0o1777 });
  }
  let snapshots = 0;
  for (const [path, vol] of volumes) {
    try {
      plan.push(...volumeOps(path, vol, input, snapshots, plan));
    } catch (err) {
      throw locatedMountError(err, path, input);
    }
    if (vol.kind === 'Snapshot') snapshots++;
  }
  if (snapshots > 0) plan.push({ kind: 'bind', source: input.snapshotShell!, dest: SNAPSHOT_SHELL, readOnly: true });
  const hostFiles: Array<[string, string | null]> = [
    ['/etc/resolv.conf', input.container.resolvConfPath],
    ['/etc/hosts', input.container.hostsFilePath],
  ];
  for (const [source, dest] of hostFiles) {
    // Vagga skips the host file only when its path is itself a volume; inside a volume
    // (e.g. `/state: !Tmpfs` with `resolv-conf-path: /state/resolv.conf`) the file is
    // created there and bound (bwrap creates a missing mount point file). Not inside a
    // `!Snapshot`: its copy is made when the command starts, after the mounts, and could not
    // write over a bound file (Vagga copies before binding; here the snapshot's own file stays).
    if (dest === null || paths.includes(posix.normalize(dest))) continue;
    if (paths.some((p) => isWithin(dest, p) && byPath.get(p)?.kind === 'Snapshot')) continue;
    plan.push({ kind: 'bind', source, dest, readOnly: true, optional: true });
  }
  return plan;
}
