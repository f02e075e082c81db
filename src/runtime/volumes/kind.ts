/**
 * The host-side work of one volume kind before a command's mounts can be planned
 * (vagga-inventory.md §1.5, §2.7). Each kind that needs such work has one module in this
 * folder exporting a VolumeRuntime, listed once in prepare.ts; kinds whose mounts are pure
 * data (`!Tmpfs`, `!BindRW`, `!BindRO`, `!Empty`, ...) need none and only appear in
 * config/volumes.ts and mounts/run-plan.ts.
 */
import type { Volume } from '../../config/model.js';
import type { Project } from '../../config/project.js';
import type { RunPlanInput } from '../../mounts/run-plan.js';
import type { VaggaBinFiles } from '../../mounts/volumes-vagga-bin.js';
import type { IdMapping } from '../../sandbox/types.js';
import type { ContainerProcess } from '../container-process.js';

/** Collaborators of the `!Persistent` runtime (persistent.ts); tests replace them. */
export interface PersistentDeps {
  /** Change the owner of `path` to namespace ids uid:gid (default: chown in a sandbox). */
  chown(path: string, uid: number, gid: number, mapping: IdMapping): Promise<void>;
  /** Take an exclusive lock (default: src/storage/lock.ts). */
  lock(path: string): Promise<{ release(): Promise<void> }>;
  /** Remove a tree that may hold subordinate-owned files (default: src/storage/remove.ts). */
  remove(path: string): Promise<void>;
}

/** Collaborators of the volume runtimes; tests replace them. */
export interface VolumeDeps {
  persistent?: PersistentDeps;
  /** Host files for `!VaggaBin` (default: found once per process by vagga-bin.ts). */
  vaggaBin?: VaggaBinFiles;
  /** Host static busybox for `!Snapshot` (default: found on PATH and checked to be static). */
  snapshotShell?: string;
}

/** The fields of planRunMounts' input that volume runtimes fill. */
export type VolumePlanInput = Pick<RunPlanInput, 'volumesDir' | 'containerRoots' | 'persistentSources' | 'vaggaBin' | 'snapshotShell'>;

/** What one runtime gets: the run, its volumes (container and command volumes merged) and the sandbox's uid/gid map. */
export interface VolumeRunContext {
  project: Project;
  proc: ContainerProcess;
  volumes: readonly Volume[];
  mapping: IdMapping;
  deps: VolumeDeps;
  /** `<storage base>/.volumes` of this project (persistent.ts volumesDirFor). */
  volumesDir: string;
}

/** What a runtime hands back; every part optional. */
export interface VolumeHostWork {
  /** Fields merged into the mount planner's input. */
  planInput?: Partial<VolumePlanInput>;
  /** Wrap the command's argv (e.g. the `!Snapshot` copy prelude); called with the final plan input. */
  wrapArgv?(argv: string[], planInput: RunPlanInput, env: Record<string, string>): string[];
  /** Called once the command ended with its exit status (1 when it could not start). */
  finish?(status: number): Promise<void>;
}

/** The host-side work of the volume kinds in `kinds`; prepare runs only when the run has a volume of one of them. */
export interface VolumeRuntime {
  kinds: ReadonlyArray<Volume['kind']>;
  /** Throws VaggaError (124 volume problems; 121 internal). */
  prepare(ctx: VolumeRunContext): Promise<VolumeHostWork>;
}
