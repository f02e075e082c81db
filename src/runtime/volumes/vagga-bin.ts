/** `!VaggaBin` (vagga-inventory.md §1.5): the directory of the running vagga bundle, mounted read-only. */
import type { VolumeRuntime } from './kind.js';

async function bundleDirOrUndefined(): Promise<string | undefined> {
  try {
    const { bundleLocation } = await import('../../builder/bundle-path.js');
    return bundleLocation().dir;
  } catch {
    return undefined;
  }
}

/** Finds the bundle dir (VolumeDeps.bundleDir in tests); undefined lets the planner refuse the volume. */
export const vaggaBinVolumes: VolumeRuntime = {
  kinds: ['VaggaBin'],
  async prepare({ deps }) {
    return { planInput: { bundleDir: deps.bundleDir ?? await bundleDirOrUndefined() } };
  },
};
