/**
 * The run-time work some volumes need before a command's mounts can be planned
 * (vagga-inventory.md §1.5, §2.7), gathered for runInContainer. One module per volume kind
 * that needs host work, listed once below (kind.ts says what such a module provides):
 * - `!Container` / `!Snapshot { container }`: the mounted containers' roots, built before the
 *   run (containers.ts);
 * - `!Persistent`: the volume dir, or the `.tmp.<name>` of an init command (persistent.ts);
 * - `!Snapshot`: the host's static busybox and the copy prelude (snapshot.ts);
 * - `!VaggaBin`: the running vagga bundle, the JavaScript runtime, its libraries and the
 *   host's dynamic loader (vagga-bin.ts).
 * Runs without volumes of these kinds do no I/O here.
 */
import type { Project } from '../../config/project.js';
import { runVolumes, type RunPlanInput } from '../../mounts/run-plan.js';
import type { IdMapping } from '../../sandbox/types.js';
import type { ContainerProcess } from '../container-process.js';
import { containerVolumes } from './containers.js';
import type { VolumeDeps, VolumeHostWork, VolumePlanInput, VolumeRuntime } from './kind.js';
import { persistentVolumeRuntime, volumesDirFor } from './persistent.js';
import { snapshotVolumes } from './snapshot.js';
import { vaggaBinVolumes } from './vagga-bin.js';

export type { VolumeDeps } from './kind.js';

/** Every volume kind with host-side work; a new such kind is one module plus one entry here. */
const VOLUME_RUNTIMES: readonly VolumeRuntime[] = [containerVolumes, vaggaBinVolumes, snapshotVolumes, persistentVolumeRuntime];

/** What prepareRunVolumes hands to the run. */
export interface RunVolumes {
  /** Fields for planRunMounts. */
  planInput: VolumePlanInput;
  /** The argv to start: `argv` itself, or wrapped by the runtimes that wrap it (the `!Snapshot` prelude). */
  wrapArgv(argv: string[], planInput: RunPlanInput, env: Record<string, string>): string[];
  /** Call when the command ended (exit status, 1 when it could not start): publishes or drops initialized `!Persistent` volumes. */
  finish(status: number): Promise<void>;
  /** True when no volume needed host work (nothing to prepare, wrap or finish). */
  trivial: boolean;
}

/**
 * Prepare the volumes of `proc` (container volumes plus command volumes, which win at the
 * same path) with every runtime whose kinds the run has, in VOLUME_RUNTIMES order.
 * `mapping` is the sandbox's uid/gid map. Throws VaggaError (124 volume problems; 121 when
 * a mounted container was not prepared). When a later runtime fails, the earlier ones'
 * `finish(1)` runs first (dropping half-initialized volumes).
 */
export async function prepareRunVolumes(project: Project, proc: ContainerProcess, mapping: IdMapping, deps: VolumeDeps = {}): Promise<RunVolumes> {
  const volumes = runVolumes(proc.container, proc.commandVolumes).map(([, v]) => v);
  const volumesDir = volumesDirFor(project.config.projectRoot, project.settings);
  const planInput: VolumePlanInput = { volumesDir };
  const done: VolumeHostWork[] = [];
  const finishAll = async (status: number): Promise<void> => {
    for (const w of done) await w.finish?.(status);
  };
  try {
    for (const runtime of VOLUME_RUNTIMES) {
      if (!volumes.some((v) => runtime.kinds.includes(v.kind))) continue;
      const work = await runtime.prepare({ project, proc, volumes, mapping, deps, volumesDir });
      done.push(work);
      Object.assign(planInput, work.planInput);
    }
  } catch (err) {
    await finishAll(1).catch(() => undefined);
    throw err;
  }
  return {
    planInput,
    wrapArgv: (argv, input, env) => done.reduce((a, w) => (w.wrapArgv ? w.wrapArgv(a, input, env) : a), argv),
    finish: finishAll,
    trivial: done.length === 0,
  };
}
