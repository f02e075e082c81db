/**
 * `!Persistent` volumes (vagga-inventory.md §1.5, §2.2, §2.7): a writable directory
 * `<storage base>/.volumes/<name>` shared by every command and container naming it.
 *
 * - A missing volume is created owned by `owner-uid`/`owner-gid` (ids inside the
 *   container's user namespace, so the chown runs in a small sandbox with the container's
 *   uid map unless the owner is 0:0, the invoking user).
 * - With `init-command`: before a command that uses a missing volume runs, the init command
 *   is added to its prerequisites (Vagga's launcher/prerequisites.rs). While the init
 *   command itself runs, the lock `.volumes/.tmp.<name>.lock` is held and the mount point
 *   shows a fresh `.volumes/.tmp.<name>` (owned as above), renamed to `<name>` only when
 *   the command exits 0 (Vagga's wrapper/init_persistent.rs); otherwise it is removed, so a
 *   failed init leaves no volume.
 */
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config, ContainerConfig, Volume } from '../../config/model.js';
import type { Settings } from '../../config/model.js';
import { VaggaError } from '../../errors/vagga-error.js';
import { runVolumes } from '../../mounts/run-plan.js';
import { toolSandboxSpec } from '../../sandbox/tool-sandbox.js';
import type { IdMapping } from '../../sandbox/types.js';
import { projectLayout } from '../../storage/layout.js';
import type { PersistentDeps, VolumeRuntime } from './kind.js';
import { requireRealDirOrMissing } from '../../storage/planted-links.js';

export type { PersistentDeps } from './kind.js';

type PersistentVolume = Extract<Volume, { kind: 'Persistent' }>;

/** `<storage base>/.volumes`: where `!Persistent` volumes live (inventory §2.2). */
export function volumesDirFor(projectRoot: string, settings: Settings): string {
  return join(projectLayout(projectRoot, settings).base, '.volumes');
}

/**
 * Throw VaggaError (124) unless `name` is usable as one directory name under `.volumes`
 * (non-empty, no `/`, not starting with `.`, which is reserved for `.tmp.*`).
 */
export function checkVolumeName(name: string): void {
  if (name === '' || name.includes('/') || name.startsWith('.') || name.includes('\0')) {
    throw new VaggaError(`mount !Persistent ${JSON.stringify(name)}: the name must be a plain directory name (no "/", not starting with ".")`, {
      code: 'sandbox.volume-name-invalid',
    });
  }
}

/** The `!Persistent` volumes a run of `commandVolumes` in `container` mounts (command volumes override). */
export function persistentVolumes(container: ContainerConfig, commandVolumes: Record<string, Volume>): PersistentVolume[] {
  return runVolumes(container, commandVolumes).map(([, v]) => v).filter((v): v is PersistentVolume => v.kind === 'Persistent');
}

/**
 * Init commands to run before command `name` (a `!Command`): the `init-command` of each of
 * its `!Persistent` volumes (its own and its container's) whose directory is missing in
 * `volumesDir`, in mount order. `exists` is injectable for tests. [] for other kinds.
 */
export function missingVolumeInits(config: Config, name: string, volumesDir: string, exists: (p: string) => boolean = existsSync): string[] {
  const cmd = Object.hasOwn(config.commands, name) ? config.commands[name] : undefined;
  if (!cmd || cmd.kind !== 'Command') return [];
  const container = config.containers[cmd.container];
  if (!container) return [];
  const out: string[] = [];
  for (const v of persistentVolumes(container, cmd.volumes)) {
    if (v.initCommand !== undefined && !exists(join(volumesDir, v.name))) out.push(v.initCommand);
  }
  return out;
}

/**
 * Names of the `!Persistent` volumes whose `init-command` is `commandName`, wherever they
 * are declared (container volumes, command volumes, `!Supervise` children). While that
 * command runs, every mount of these names (even one declared without `init-command`,
 * as the init command's own volume usually is) shows the `.tmp.<name>` being initialized.
 * Empty for an undefined `commandName`.
 */
export function initVolumeNames(config: Config, commandName: string | undefined): Set<string> {
  const out = new Set<string>();
  if (commandName === undefined) return out;
  const scan = (volumes: Record<string, Volume> | undefined) => {
    for (const v of Object.values(volumes ?? {})) {
      if (v.kind === 'Persistent' && v.initCommand === commandName) out.add(v.name);
    }
  };
  for (const c of Object.values(config.containers)) scan(c.volumes);
  for (const cmd of Object.values(config.commands)) {
    if (cmd.kind === 'Command') scan(cmd.volumes);
    else if (cmd.kind === 'Supervise') for (const child of Object.values(cmd.children)) scan(child.volumes);
  }
  return out;
}

/** What preparePersistentVolumes set up for one run. */
export interface PersistentRun {
  /** Mount sources other than `.volumes/<name>` (the `.tmp.<name>` dirs being initialized). */
  sources: Record<string, string>;
  /** Call once the command ended: publishes initialized volumes when `status` is 0, else removes them; releases the locks. */
  finish(status: number): Promise<void>;
}


async function defaultDeps(): Promise<PersistentDeps> {
  const [{ acquireLock }, { removeTree }] = await Promise.all([import('../../storage/lock.js'), import('../../storage/remove.js')]);
  return { chown: chownInNamespace, lock: (p) => acquireLock(p), remove: removeTree };
}

/** Create `path` (not its parents) owned by owner-uid/gid; EEXIST is fine. */
async function createOwned(path: string, v: PersistentVolume, mapping: IdMapping, deps: PersistentDeps): Promise<void> {
  mkdirSync(path, { mode: 0o755 });
  if (v.ownerUid !== 0 || v.ownerGid !== 0) await deps.chown(path, v.ownerUid, v.ownerGid, mapping);
}

/**
 * Make the `!Persistent` volumes of one run ready: missing volumes are created (owned as
 * configured) unless `commandName` is their `init-command` (this entry's, or, through
 * `initNames` from initVolumeNames, any declaration's of the same name), in which case the
 * init lock is taken and a fresh `.tmp.<name>` is mounted instead (see the module comment).
 * `mapping` is the container's uid/gid map. Throws VaggaError (124) for bad names or when a
 * directory cannot be created.
 */
export async function preparePersistentVolumes(
  volumesDir: string,
  volumes: readonly PersistentVolume[],
  commandName: string | undefined,
  mapping: IdMapping,
  deps?: PersistentDeps,
  initNames: ReadonlySet<string> = new Set(),
): Promise<PersistentRun> {
  const sources: Record<string, string> = {};
  const pending: Array<{ name: string; tmp: string; lock: { release(): Promise<void> } }> = [];
  const finish = async (status: number): Promise<void> => {
    for (const p of pending) {
      try {
        if (status === 0) renameSync(p.tmp, join(volumesDir, p.name));
        else await d.remove(p.tmp).catch(() => undefined);
      } finally {
        await p.lock.release();
      }
    }
  };
  if (volumes.length === 0) return { sources, finish };
  const d = deps ?? await defaultDeps();
  try {
    mkdirSync(volumesDir, { recursive: true });
    for (const v of volumes) {
      checkVolumeName(v.name);
      const path = join(volumesDir, v.name);
      requireRealDirOrMissing(path);
      if (existsSync(path) || Object.hasOwn(sources, v.name)) continue;
      const initializing = (v.initCommand !== undefined && v.initCommand === commandName) || initNames.has(v.name);
      if (!initializing) {
        try {
          await createOwned(path, v, mapping, d);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        }
        continue;
      }
      const lock = await d.lock(join(volumesDir, `.tmp.${v.name}.lock`));
      if (existsSync(path)) {
        // Someone else initialized it while we waited.
        await lock.release();
        continue;
      }
      const tmp = join(volumesDir, `.tmp.${v.name}`);
      pending.push({ name: v.name, tmp, lock });
      await d.remove(tmp);
      await createOwned(tmp, v, mapping, d);
      sources[v.name] = tmp;
    }
  } catch (err) {
    await finish(1).catch(() => undefined);
    if (err instanceof VaggaError) throw err;
    throw new VaggaError(`Could not prepare the !Persistent volumes in ${volumesDir}: ${(err as Error).message}`, { code: 'sandbox.volume-prepare-failed', cause: err });
  }
  return { sources, finish };
}

/**
 * `chown UID:GID path` run as root of a user namespace with `mapping` (host /usr
 * read-only, the parent dir bound read-write), so that namespace ids become the right
 * subordinate host ids. Throws VaggaError (124) when chown fails.
 */
export async function chownInNamespace(path: string, uid: number, gid: number, mapping: IdMapping): Promise<void> {
  const { runSandbox } = await import('../../sandbox/bwrap.js');
  const parent = dirname(path);
  const result = await runSandbox(toolSandboxSpec(['/usr/bin/chown', `${uid}:${gid}`, '--', path], parent, mapping));
  if (result.status !== 0) {
    throw new VaggaError(`Could not give ${path} the owner ${uid}:${gid} (chown exited with status ${result.status})`, { code: 'sandbox.volume-prepare-failed' });
  }
}

/**
 * `!Persistent`: creates missing volume dirs, or the `.tmp.<name>` of an init command
 * (preparePersistentVolumes), and publishes or drops those when the command ends.
 */
export const persistentVolumeRuntime: VolumeRuntime = {
  kinds: ['Persistent'],
  async prepare({ project, proc, mapping, deps, volumesDir }) {
    const run = await preparePersistentVolumes(
      volumesDir,
      persistentVolumes(proc.container, proc.commandVolumes),
      proc.commandName,
      mapping,
      deps.persistent,
      initVolumeNames(project.config, proc.commandName),
    );
    return {
      planInput: Object.keys(run.sources).length > 0 ? { persistentSources: run.sources } : {},
      finish: run.finish,
    };
  },
};
