/**
 * Other containers a run mounts (vagga-inventory.md §1.5): `!Container NAME` (read-only bind
 * of that container's root) and `!Snapshot { container: NAME }` (copy of a directory of it).
 * Both are built before the command runs (src/builder/prepare-containers.ts, with the
 * command's own container); the run gets their roots as data.
 */
import type { ContainerConfig, Volume } from '../../config/model.js';
import { runVolumes } from '../../mounts/run-plan.js';

/** Names of the containers whose roots the volumes of a run need, without duplicates, in mount order. */
export function volumeContainerNames(container: ContainerConfig, commandVolumes: Record<string, Volume>): string[] {
  const names: string[] = [];
  for (const [, v] of runVolumes(container, commandVolumes)) {
    const name = v.kind === 'Container' ? v.name : v.kind === 'Snapshot' ? v.container : undefined;
    if (name !== undefined && !names.includes(name)) names.push(name);
  }
  return names;
}
