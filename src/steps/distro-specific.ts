/**
 * Distribution-specific steps (vagga-inventory.md §1.4): a step that only makes sense on
 * some distributions (`!UbuntuPPA` on Ubuntu, `!AlpineRepo` on Alpine, apt source steps on
 * Debian and Ubuntu) fails elsewhere with Vagga's `step must be used on "<want>" but used
 * on "<active>" distribution instead` (exit 121), and without any distribution with
 * `this step requires some linux distribution to be active`.
 */
import { VaggaError } from '../errors/vagga-error.js';
import { requireDistro, type DistroState } from './debian/distro.js';
import type { BuildContext } from './step.js';

/** The active distribution when its name is in `names` (the first is the one named in the error). */
export function requireDistroOf(ctx: Pick<BuildContext, 'state'>, names: readonly string[]): DistroState {
  const distro = requireDistro(ctx);
  if (!names.includes(distro.name)) {
    throw new VaggaError(`step must be used on "${names[0]}" but used on "${distro.name}" distribution instead`, { code: 'build.unsupported-distro' });
  }
  return distro;
}

/** Distributions managed with apt and dpkg. */
export const APT_DISTROS: readonly string[] = ['ubuntu', 'debian'];
