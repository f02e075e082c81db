/**
 * eatmydata(1) for apt runs (vagga-inventory.md §2.6: Vagga preloads libeatmydata for apt
 * and logs `Eatmydata activated`): fsync(2) and friends become no-ops, which makes dpkg much
 * faster in a throw-away build root. Planning only: the apt runner (src/steps/debian/
 * apt-run.ts) applies it when the active distribution asked for it (see wantsEatmydata).
 */
import type { BuildContext } from '../step.js';

/** The package providing the `eatmydata` wrapper (Debian and Ubuntu). */
export const EATMYDATA_PACKAGE = 'eatmydata';

/** Info line logged once the wrapper is in place (Vagga's exact wording). */
export const EATMYDATA_ACTIVATED = 'Eatmydata activated';

/** BuildContext.state key: true when the distribution step asked for eatmydata (`!UbuntuRelease {eatmydata}`). */
export const EATMYDATA_STATE_KEY = 'apt.eatmydata';

/** Record whether apt runs of this build should go through eatmydata. */
export function setEatmydata(ctx: Pick<BuildContext, 'state'>, wanted: boolean): void {
  ctx.state.set(EATMYDATA_STATE_KEY, wanted);
}

/** True when the distribution step asked for eatmydata. */
export function wantsEatmydata(ctx: Pick<BuildContext, 'state'>): boolean {
  return ctx.state.get(EATMYDATA_STATE_KEY) === true;
}

/** `argv` run through the wrapper: `eatmydata apt-get ...` (eatmydata(1) runs its arguments as a command). */
export function withEatmydata(argv: readonly string[]): string[] {
  return ['eatmydata', ...argv];
}
