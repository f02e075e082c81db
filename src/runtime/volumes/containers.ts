/**
 * Other containers a run mounts (vagga-inventory.md §1.5): `!Container NAME` (read-only bind
 * of that container's root) and `!Snapshot { container: NAME }` (copy of a directory of it).
 * Both are built on demand before the command runs, like Vagga's launcher/volumes.rs.
 */
import type { ContainerConfig, Volume } from '../../config/model.js';
import type { Project } from '../../config/project.js';
import { runVolumes } from '../../mounts/run-plan.js';
import { prepareContainer, type PrepareOptions } from '../prepare-container.js';

/** Names of the containers whose roots the volumes of a run need, without duplicates, in mount order. */
export function volumeContainerNames(container: ContainerConfig, commandVolumes: Record<string, Volume>): string[] {
  const names: string[] = [];
  for (const [, v] of runVolumes(container, commandVolumes)) {
    const name = v.kind === 'Container' ? v.name : v.kind === 'Snapshot' ? v.container : undefined;
    if (name !== undefined && !names.includes(name)) names.push(name);
  }
  return names;
}

/**
 * Host roots of `names` (container name -> rootfs), building each as `opts` allows
 * (prepareContainer: throws VaggaError 121 for an unknown or, with --no-build, unbuilt
 * container). Entries already in `known` are reused.
 */
export async function prepareVolumeContainers(project: Project, names: readonly string[], opts: PrepareOptions, known: Record<string, string> = {}): Promise<Record<string, string>> {
  const roots: Record<string, string> = {};
  for (const name of names) {
    roots[name] = known[name] ?? (await prepareContainer(project, name, opts)).rootfs;
  }
  return roots;
}
