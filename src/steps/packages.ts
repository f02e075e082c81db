/**
 * `!Install [pkgs]` and `!BuildDeps [pkgs]` (vagga-inventory.md §1.4): install packages of the
 * active distribution now; BuildDeps are removed again at the end of the build unless some
 * `!Install` names them too. Both need an active distribution (`this step requires some
 * linux distribution to be active`). Version hash: list field `packages`.
 * Debian and Ubuntu install with apt (src/steps/debian/apt-run.ts), Alpine with apk
 * (src/steps/alpine/apk-run.ts).
 */
import { custom, list, str, type Out } from '../config/schema.js';
import { VaggaError } from '../errors/vagga-error.js';
import type { BuildContext, StepDef } from './step.js';
import { apkInstall, recordApkInstalled } from './alpine/apk-run.js';
import { aptInstall, recordInstalled } from './debian/apt-run.js';
import { requireDistro, type DistroState } from './debian/distro.js';
import { APT_DISTROS } from './distro-specific.js';

const packagesSchema = custom('a list of packages', (node, ctx) => ({ packages: list(str()).parse(node, ctx) }));

/** Parameters of `!Install` / `!BuildDeps`: package specs as written (`name`, `name=version`). */
export type PackagesParams = Out<typeof packagesSchema>;

/** How packages are installed on one distribution (its package manager's runner). */
export interface PackageManager {
  /** Install now; `buildDep`: remove again when the build finishes unless also `!Install`ed. */
  install(ctx: BuildContext, distro: DistroState, packages: readonly string[], buildDep: boolean): Promise<void>;
  /** Replay of an inherited `!Install`: these packages are never removed as build deps. */
  recordInstalled(ctx: BuildContext, packages: readonly string[]): void;
}

const APT: PackageManager = { install: aptInstall, recordInstalled };
const APK: PackageManager = { install: apkInstall, recordInstalled: recordApkInstalled };

/**
 * The package manager of the active distribution: apt for `debian`/`ubuntu`, apk for
 * `alpine`. Throws Vagga's `this step requires some linux distribution to be active`
 * (121) without one, VaggaError (121) for a distribution without package support.
 */
export function packageManagerOf(ctx: BuildContext): { distro: DistroState; manager: PackageManager } {
  const distro = requireDistro(ctx);
  if (APT_DISTROS.includes(distro.name)) return { distro, manager: APT };
  if (distro.name === 'alpine') return { distro, manager: APK };
  throw new VaggaError(`installing packages on the "${distro.name}" distribution is not supported yet`, { code: 'build.unsupported-distro' });
}

/**
 * Install `packages` on the active distribution (see packageManagerOf); `buildDep` as for
 * `!BuildDeps`. For other steps that need packages (e.g. the language steps).
 */
export async function installPackages(ctx: BuildContext, packages: readonly string[], buildDep: boolean): Promise<void> {
  const { distro, manager } = packageManagerOf(ctx);
  await manager.install(ctx, distro, packages, buildDep);
}

/**
 * `!Install` (buildDeps false) or `!BuildDeps` (true): same schema and hash, install with
 * the distribution's package manager now; build dependencies are marked for removal at the
 * end of the build. Only `!Install` replays (via `!Container`): packages a parent installed
 * stay protected from a later `!BuildDeps` removal, while a parent's build dependencies were
 * already removed.
 */
function packagesStep(tag: 'Install' | 'BuildDeps', buildDeps: boolean): StepDef<PackagesParams> {
  const step: StepDef<PackagesParams> = {
    tag,
    schema: packagesSchema,
    hashReadsOnlyParams: true,
    // A package given as a path (`./x.deb`) is read from the project.
    projectFree: (params) => params.packages.every((p) => !p.includes('/')),
    hash(params, digest) {
      digest.list('packages', params.packages);
    },
    async build(params, ctx) {
      await installPackages(ctx, params.packages, buildDeps);
    },
  };
  if (!buildDeps) step.replay = (params, ctx) => packageManagerOf(ctx).manager.recordInstalled(ctx, params.packages);
  return step;
}

/** `!Install [pkgs]`. */
export const installStep = packagesStep('Install', false);

/** `!BuildDeps [pkgs]`. */
export const buildDepsStep = packagesStep('BuildDeps', true);

/** Step definitions of this module, for src/steps/registry.ts. */
export const steps: StepDef<any>[] = [installStep, buildDepsStep];
