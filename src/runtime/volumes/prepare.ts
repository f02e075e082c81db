/**
 * The run-time work some volumes need before a command's mounts can be planned
 * (vagga-inventory.md §1.5, §2.7), gathered for runInContainer:
 * - `!Container` / `!Snapshot { container }`: the other container's root, built before the run
 *   (ContainerProcess.containerRoots);
 * - `!Persistent`: create the volume dir, or the `.tmp.<name>` of an init command
 *   (volumes-persistent.ts), published or dropped when the command ends;
 * - `!Snapshot`: the host's static busybox that fills the tmpfs (mounts/volumes-snapshot.ts)
 *   and the argv wrapper running that copy before the command;
 * - `!VaggaBin`: the directory of the running vagga bundle.
 * Runs without volumes of these kinds do no I/O here.
 */
import type { Project } from '../../config/project.js';
import { planSnapshotCopies, runVolumes, type RunPlanInput } from '../../mounts/run-plan.js';
import { isStaticElf, snapshotArgv } from '../../mounts/volumes-snapshot.js';
import type { IdMapping } from '../../sandbox/types.js';
import type { ContainerProcess } from '../container-process.js';
import { VaggaError } from '../../errors/vagga-error.js';
import { volumeContainerNames } from './containers.js';
import { initVolumeNames, persistentVolumes, preparePersistentVolumes, volumesDirFor, type PersistentDeps } from './persistent.js';

/** Collaborators; tests replace them. */
export interface VolumeDeps {
  persistent?: PersistentDeps;
  /** Host dir for `!VaggaBin` (default: the running bundle's directory). */
  bundleDir?: string;
  /** Host static busybox for `!Snapshot` (default: found on PATH and checked to be static). */
  snapshotShell?: string;
}

/** What prepareRunVolumes hands to the run. */
export interface RunVolumes {
  /** Fields for planRunMounts. */
  planInput: Pick<RunPlanInput, 'volumesDir' | 'containerRoots' | 'persistentSources' | 'bundleDir' | 'snapshotShell'>;
  /** The argv to start: `argv` itself, or through the snapshot prelude when the plan has `!Snapshot` volumes. */
  wrapArgv(argv: string[], planInput: RunPlanInput, env: Record<string, string>): string[];
  /** Call when the command ended (exit status, 1 when it could not start): publishes or drops initialized `!Persistent` volumes. */
  finish(status: number): Promise<void>;
}

/**
 * The host's statically linked busybox (Debian busybox-static), or undefined when there is
 * none: a dynamically linked one cannot run inside arbitrary container roots.
 */
export async function findStaticBusybox(): Promise<string | undefined> {
  const { findInDirs, searchDirs } = await import('../../sandbox/tools.js');
  const path = findInDirs('busybox', searchDirs(process.env.PATH));
  return path && isStaticElf(path) ? path : undefined;
}

async function bundleDirOrUndefined(): Promise<string | undefined> {
  try {
    const { bundleLocation } = await import('../../builder/bundle-path.js');
    return bundleLocation().dir;
  } catch {
    return undefined;
  }
}

/**
 * Prepare the volumes of `proc` (container volumes plus command volumes, which win at the
 * same path): take the roots of the containers it mounts from `proc.containerRoots`, create or lock `!Persistent` dirs (the command
 * named `proc.commandName` initializes the volumes whose `init-command` it is), locate the
 * snapshot shell and bundle dir when needed. `mapping` is the sandbox's uid/gid map.
 * Throws VaggaError (124 volume problems; 121 when a mounted container was not prepared).
 */
export async function prepareRunVolumes(project: Project, proc: ContainerProcess, mapping: IdMapping, deps: VolumeDeps = {}): Promise<RunVolumes> {
  const volumes = runVolumes(proc.container, proc.commandVolumes).map(([, v]) => v);
  const planInput: RunVolumes['planInput'] = { volumesDir: volumesDirFor(project.config.projectRoot, project.settings) };
  const names = volumeContainerNames(proc.container, proc.commandVolumes);
  if (names.length > 0) {
    const known = proc.containerRoots ?? {};
    const missing = names.filter((n) => known[n] === undefined);
    if (missing.length > 0) {
      // Running never builds: the caller prepares every container of the run first.
      throw new VaggaError(`Internal error: container ${JSON.stringify(missing[0])} mounted by a volume was not prepared before the run`, {
        code: 'build.not-prepared',
      });
    }
    planInput.containerRoots = { ...known };
  }
  if (volumes.some((v) => v.kind === 'VaggaBin')) planInput.bundleDir = deps.bundleDir ?? await bundleDirOrUndefined();
  const hasSnapshots = volumes.some((v) => v.kind === 'Snapshot');
  if (hasSnapshots) planInput.snapshotShell = deps.snapshotShell ?? await findStaticBusybox();
  const persistent = await preparePersistentVolumes(
    planInput.volumesDir!,
    persistentVolumes(proc.container, proc.commandVolumes),
    proc.commandName,
    mapping,
    deps.persistent,
    initVolumeNames(project.config, proc.commandName),
  );
  if (Object.keys(persistent.sources).length > 0) planInput.persistentSources = persistent.sources;
  return {
    planInput,
    wrapArgv(argv, input, env) {
      if (!hasSnapshots) return argv;
      return snapshotArgv(argv, planSnapshotCopies(input), env);
    },
    finish: persistent.finish,
  };
}
