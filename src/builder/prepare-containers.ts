/**
 * Making the containers a command needs ready before anything runs, according to the build
 * mode (inventory §1.7): build if needed (default), `--no-build` (use the version the
 * config hashes to, never build) or `--no-version-check` (use whatever `.vagga/<name>`
 * points to, no hashing at all). Plans every container first (build-plan.ts), then applies
 * the plan (ensure-built.ts applyBuildPlan); running never builds (src/runtime gets the roots).
 */
import type { BuildMode } from '../cli/global-options.js';
import type { Project } from '../config/project.js';
import { VaggaError } from '../errors/vagga-error.js';
import type { BuildDeps } from './ensure-built.js';

/**
 * Collaborators for planning without building (read-only build modes, or versions all from
 * the config cache): a plan that only reuses needs none; one that builds is planned again
 * with the real ones.
 */
const PLAN_ONLY_DEPS: BuildDeps = {
  version: () => undefined,
  idMapping: () => { throw new Error('idMapping is not used by a cached plan'); },
  stepDef: () => undefined,
  runBuilder: () => { throw new Error('runBuilder is not used by a cached plan'); },
  cacheDir: () => '',
  write: (text) => { process.stderr.write(text); },
  now: () => Date.now(),
};

/** How to make containers ready. */
export interface PrepareOptions {
  buildMode: BuildMode;
  /** 0 quiet, 1 normal, 2 verbose (build progress on stderr). */
  verbosity: number;
  /** Rebuild the named containers even when their version exists (`_build --force`). */
  force?: boolean;
  /** `_build --no-cache`: the containers built run every setup step. */
  noCache?: boolean;
  /** `--no-image-download`: never use `image-cache-url`. */
  noImageDownload?: boolean;
}

/**
 * Make containers `names` ready (in this order, each with what it is built from) and return
 * their host roots by name. The config cache's versions (project.versions) spare the
 * hashing; newly computed versions are recorded (project.recordVersion). Throws VaggaError
 * 121 for an unknown container or, with `--no-build`/`--no-version-check`, one that is not
 * built; build failures (121), versioning errors (29/121) and dependency loops (126)
 * propagate.
 */
export async function prepareContainers(project: Project, names: readonly string[], opts: PrepareOptions): Promise<Record<string, string>> {
  const { config, settings } = project;
  const { applyBuildPlan, defaultBuildDeps, resolveBuildPlan } = await import('./ensure-built.js');
  const strict = opts.buildMode === 'no-build'
    ? await strictVersion()
    : undefined;
  const resolve = (deps: BuildDeps, checkUidMaps: boolean) => resolveBuildPlan(deps, config, settings, {
    targets: names,
    mode: opts.buildMode,
    force: opts.force,
    knownVersions: project.versions,
    version: strict ? (name) => strict(config, name, settings) : undefined,
    checkUidMaps,
  });
  // The start-up fast path: `--no-build`/`--no-version-check` (which never build), or every
  // version known from the config cache. Planned without loading the step registry and
  // builder modules (nor checking uid maps, as before plans); when something has to be
  // built after all, planned again with the real collaborators.
  const cached = opts.buildMode !== 'normal' || (!opts.force && names.every((n) => project.versions?.[n] !== undefined));
  let deps = cached ? PLAN_ONLY_DEPS : await defaultBuildDeps();
  let plan = await resolve(deps, !cached);
  if (cached && plan.containers.some((c) => c.action === 'build')) {
    deps = await defaultBuildDeps();
    plan = await resolve(deps, true);
  }
  const built = await applyBuildPlan(deps, plan, config, settings, { verbosity: opts.verbosity, noCache: opts.noCache, noImageDownload: opts.noImageDownload });
  const roots: Record<string, string> = {};
  for (const name of names) {
    const ready = built[name];
    if (!ready) throw new VaggaError(`Internal error: container ${JSON.stringify(name)} was not prepared`, { code: 'build.not-prepared' });
    roots[name] = ready.rootfs;
  }
  for (const step of plan.containers) {
    const hash = built[step.name]?.hash;
    if (hash !== undefined && plan.mode === 'normal') project.recordVersion?.(step.name, hash);
  }
  return roots;
}

/** `--no-build`: the version hash of a container, computed (the step registry and hashing loaded on demand). */
async function strictVersion(): Promise<(config: Project['config'], name: string, settings?: Project['settings']) => string | undefined> {
  const [{ containerVersion }, { STEP_DEFS }] = await Promise.all([
    import('../version/container-version.js'),
    import('../steps/registry.js'),
  ]);
  const { versionStorage } = await import('../storage/layout.js');
  return (config, name, settings) => containerVersion(STEP_DEFS, config, name, settings ? versionStorage(config.projectRoot, settings) : {}).hash;
}
