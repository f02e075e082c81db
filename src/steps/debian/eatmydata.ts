/**
 * eatmydata(1) for apt runs (vagga-inventory.md §2.6: Vagga preloads libeatmydata for apt
 * and logs `Eatmydata activated`): fsync(2) and friends become no-ops, which makes dpkg
 * faster in a throw-away build root. Planning only: the apt runner (src/steps/debian/
 * apt-run.ts) installs the `eatmydata` package as a build dependency on the first package
 * step and wraps the later apt runs when wantsEatmydata says so.
 *
 * Defaults: on for `!Ubuntu`/`!UbuntuRelease` (Vagga's `eatmydata: true`), off for `!Debian`
 * (DEBIAN_EATMYDATA_DEFAULT). Measured on this port (Debian 12 host, ext4, rootless as an
 * ordinary user, warm apt caches, `!Debian bookworm` + `!Install [build-essential]`, four
 * alternating forced builds each): the install step took 8.7-16.8 s (median 9.7 s) without
 * and 9.3-11.1 s (median 10.4 s) with eatmydata, the whole build median 18.3 s without and
 * 20.9 s with. The roots already get dpkg's `force-unsafe-io` (src/steps/debian/apt.ts), which
 * drops most of dpkg's syncs, so eatmydata saves little and its own install and removal
 * (two more apt runs) cost more.
 */
import type { BuildContext } from '../step.js';
import { currentDistro } from './distro.js';

/** The package providing the `eatmydata` wrapper (Debian and Ubuntu). */
export const EATMYDATA_PACKAGE = 'eatmydata';

/** Logged once the wrapper is in place (Vagga's wording, info level there; shown with --verbose here). */
export const EATMYDATA_ACTIVATED = 'Eatmydata activated';

/** BuildContext.state key: true when the distribution step asked for eatmydata (`!UbuntuRelease {eatmydata}`). */
export const EATMYDATA_STATE_KEY = 'apt.eatmydata';

/** Record whether apt runs of this build should go through eatmydata. */
export function setEatmydata(ctx: Pick<BuildContext, 'state'>, wanted: boolean): void {
  ctx.state.set(EATMYDATA_STATE_KEY, wanted);
}

/** Whether `!Debian` builds go through eatmydata (nothing in vagga.yaml chooses it; see the file comment). */
export const DEBIAN_EATMYDATA_DEFAULT = false;

/**
 * True when apt runs of this build should go through eatmydata: what the distribution step
 * asked for (setEatmydata), else DEBIAN_EATMYDATA_DEFAULT on Debian, else false.
 */
export function wantsEatmydata(ctx: Pick<BuildContext, 'state'>): boolean {
  const asked = ctx.state.get(EATMYDATA_STATE_KEY);
  if (typeof asked === 'boolean') return asked;
  return DEBIAN_EATMYDATA_DEFAULT && currentDistro(ctx)?.name === 'debian';
}

/** `argv` run through the wrapper: `eatmydata apt-get ...` (eatmydata(1) runs its arguments as a command). */
export function withEatmydata(argv: readonly string[]): string[] {
  return ['eatmydata', ...argv];
}
