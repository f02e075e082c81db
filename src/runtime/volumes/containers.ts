/**
 * Other containers a run mounts (vagga-inventory.md §1.5): `!Container NAME` (read-only bind
 * of that container's root) and `!Snapshot { container: NAME }` (copy of a directory of it).
 * Both are built before the command runs (src/builder/prepare-containers.ts, with the
 * command's own container); the run gets their roots as data.
 */
import type { ContainerConfig, Volume } from '../../config/model.js';
import { runVolumes } from '../../mounts/run-plan.js';
import { VaggaError } from '../../errors/vagga-error.js';
import type { VolumeRuntime } from './kind.js';

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
 * `!Container` and `!Snapshot { container }`: the roots of the mounted containers, taken from
 * ContainerProcess.containerRoots. Running never builds: a root missing there is a bug of the
 * caller (121 `build.not-prepared`).
 */
export const containerVolumes: VolumeRuntime = {
  kinds: ['Container', 'Snapshot'],
  async prepare({ proc }) {
    const names = volumeContainerNames(proc.container, proc.commandVolumes);
    if (names.length === 0) return {};
    const known = proc.containerRoots ?? {};
    const missing = names.filter((n) => known[n] === undefined);
    if (missing.length > 0) {
      throw new VaggaError(`Internal error: container ${JSON.stringify(missing[0])} mounted by a volume was not prepared before the run`, {
        code: 'build.not-prepared',
      });
    }
    return { planInput: { containerRoots: { ...known } } };
  },
};
