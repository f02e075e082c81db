/**
 * `!Install [pkgs]` and `!BuildDeps [pkgs]` (vagga-inventory.md §1.4): install packages of the
 * active distribution now; BuildDeps are removed again at the end of the build unless some
 * `!Install` names them too. Both need an active distribution (`this step requires some
 * linux distribution to be active`). Version hash: list field `packages`.
 * Only Debian is implemented (apt; src/steps/debian/apt-run.ts).
 */
import { custom, list, str } from '../config/schema.js';
import { ExitCode, VaggaError } from '../errors/vagga-error.js';
import type { BuildContext, StepDef } from './step.js';
import { aptInstall, recordInstalled } from './debian/apt-run.js';
import { requireDistro, type DistroState } from './debian/distro.js';

/** Parameters of `!Install` / `!BuildDeps`: package specs as written (`name`, `name=version`). */
export interface PackagesParams {
  packages: string[];
}

const packagesSchema = custom<PackagesParams>('a list of packages', (node, ctx) => ({ packages: list(str()).parse(node, ctx) }));

/** The active distribution, which must be one whose packages we can install. */
function requireSupportedDistro(ctx: BuildContext): DistroState {
  const distro = requireDistro(ctx);
  if (distro.name !== 'debian') {
    throw new VaggaError(`installing packages on the "${distro.name}" distribution is not supported yet`, { exitCode: ExitCode.launcher });
  }
  return distro;
}

/**
 * `!Install` (buildDeps false) or `!BuildDeps` (true): same schema and hash, apt install
 * now; build dependencies are marked for removal at the end of the build. Only `!Install`
 * replays (via `!Container`): packages a parent installed stay protected from a later
 * `!BuildDeps` removal, while a parent's build dependencies were already removed.
 */
function packagesStep(tag: 'Install' | 'BuildDeps', buildDeps: boolean): StepDef<PackagesParams> {
  const step: StepDef<PackagesParams> = {
    tag,
    schema: packagesSchema,
    hash(params, digest) {
      digest.list('packages', params.packages);
    },
    async build(params, ctx) {
      await aptInstall(ctx, requireSupportedDistro(ctx), params.packages, buildDeps);
    },
  };
  if (!buildDeps) step.replay = (params, ctx) => recordInstalled(ctx, params.packages);
  return step;
}

/** `!Install [pkgs]`. */
export const installStep = packagesStep('Install', false);

/** `!BuildDeps [pkgs]`. */
export const buildDepsStep = packagesStep('BuildDeps', true);

/** Step definitions of this module, for src/steps/registry.ts. */
export const steps: StepDef<any>[] = [installStep, buildDepsStep];
