/**
 * The build's active distribution, kept in BuildContext.state under `distro`. Distribution
 * steps (`!Debian`; Vagga's `!Alpine`/`!Ubuntu*` when implemented) set it once; package steps
 * (`!Install`, `!BuildDeps`) require it. Rules and wording: vagga-inventory.md §1.4.
 */
import { VaggaError } from '../../errors/vagga-error.js';
import type { BuildContext } from '../step.js';

/** BuildContext.state key of the active distribution. */
export const DISTRO_STATE_KEY = 'distro';

/** The active distribution: `name` is Vagga's lowercase distro name. */
export interface DistroState {
  name: string;
  /** Debian suite (codename), e.g. `bookworm`. */
  suite?: string;
  /** Mirror URL used for the container's apt sources (normalized). */
  mirror?: string;
}

/** The active distribution, or undefined. */
export function currentDistro(ctx: Pick<BuildContext, 'state'>): DistroState | undefined {
  return ctx.state.get(DISTRO_STATE_KEY) as DistroState | undefined;
}

/**
 * Make `distro` the active distribution. A second distribution step fails with Vagga's
 * `step initializes distribution "<new>" but the "<old>" is already initialized` (exit 121).
 */
export function activateDistro(ctx: Pick<BuildContext, 'state'>, distro: DistroState): void {
  const old = currentDistro(ctx);
  if (old !== undefined) {
    throw new VaggaError(`step initializes distribution "${distro.name}" but the "${old.name}" is already initialized`, {
      code: 'build.distro-already-set',
      hint: 'A container has one distribution step, and it comes first (directly or through `!Container`).',
    });
  }
  ctx.state.set(DISTRO_STATE_KEY, distro);
}

/**
 * The active distribution; without one fails with Vagga's `this step requires some linux
 * distribution to be active` (exit 121).
 */
export function requireDistro(ctx: Pick<BuildContext, 'state'>): DistroState {
  const distro = currentDistro(ctx);
  if (distro === undefined) {
    throw new VaggaError('this step requires some linux distribution to be active', {
      code: 'build.no-distro',
      hint: 'Start the container with a distribution step, e.g. `- !Debian bookworm`, or `!Container` of one that has it.',
    });
  }
  return distro;
}
