/**
 * Making a container's root filesystem available before running, according to the build
 * mode (inventory §1.7): build if needed (default), `--no-build` (use the version the
 * config hashes to, never build) or `--no-version-check` (use whatever `.vagga/<name>`
 * points to, no hashing at all).
 */
import { existsSync, readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { VaggaError } from '../errors/vagga-error.js';
import type { BuildMode } from '../cli/global-options.js';
import type { Project } from '../config/project.js';
// Static: needed by every run (start-up hot path); the version and build modules stay lazy.
import { projectLayout, containerLinkPath, containerLinkTarget, versionDir, versionRoot } from '../storage/layout.js';
import { touchLastUse } from '../storage/last-use.js';
import { didYouMean } from '../errors/did-you-mean.js';

/** A container ready to run. */
export interface ReadyContainer {
  name: string;
  /** Host path of its root filesystem. */
  rootfs: string;
}

export interface PrepareOptions {
  buildMode: BuildMode;
  /** 0 quiet, 1 normal, 2 verbose (build progress on stderr). */
  verbosity: number;
  /** Rebuild even when the version exists (`_build --force`). */
  force?: boolean;
}

/**
 * Resolve (building if the mode allows) container `name`. With a version from the config
 * cache (project.versions) whose root exists and is linked, ensureBuilt is skipped. Throws VaggaError 121 for an
 * unknown container or, with `--no-build`/`--no-version-check`, a container that is not
 * built; build failures propagate from ensureBuilt (121) and versioning errors (29/121).
 */
export async function prepareContainer(project: Project, name: string, opts: PrepareOptions): Promise<ReadyContainer> {
  const { config, settings } = project;
  if (!Object.hasOwn(config.containers, name)) {
    throw new VaggaError(`Container ${JSON.stringify(name)} not found`, {
      code: 'container.not-found',
      hint: [
        didYouMean(name, Object.keys(config.containers), (n) => JSON.stringify(n)),
        `Containers defined: ${Object.keys(config.containers).sort().join(', ') || '(none)'}`,
      ].filter(Boolean).join('\n'),
    });
  }
  const layout = projectLayout(config.projectRoot, settings);
  if (opts.buildMode === 'no-version-check') {
    const link = containerLinkPath(layout, name);
    if (!existsSync(link)) {
      throw new VaggaError(`Container ${JSON.stringify(name)} is not built yet (no ${link})`, {
        code: 'container.not-built',
        hint: 'Run without --no-version-check (or `vagga _build ' + name + '`) to build it.',
      });
    }
    return { name, rootfs: realpathSync(link) };
  }
  if (opts.buildMode === 'no-build') {
    const [{ containerVersion }, { STEP_DEFS }] = await Promise.all([import('../version/container-version.js'), import('../steps/registry.js')]);
    const { hash } = containerVersion(STEP_DEFS, config, name);
    const rootfs = versionRoot(layout, name, hash);
    if (!existsSync(rootfs)) {
      throw new VaggaError(`Container ${JSON.stringify(name)} version ${hash.slice(0, 8)} is not built (--no-build given)`, {
        code: 'container.not-built',
        hint: 'Run without --no-build (or `vagga _build ' + name + '`) to build it.',
      });
    }
    return { name, rootfs };
  }
  // Fast path: a version known from the config cache, built and linked: nothing to do.
  const known = project.versions?.[name];
  if (known && !opts.force) {
    const rootfs = versionRoot(layout, name, known);
    if (existsSync(rootfs) && linkTarget(containerLinkPath(layout, name)) === containerLinkTarget(layout, name, known)) {
      touchLastUse(versionDir(layout, name, known));
      return { name, rootfs };
    }
  }
  const { ensureBuilt } = await import('../builder/ensure-built.js');
  const built = await ensureBuilt(config, settings, name, { force: opts.force, verbosity: opts.verbosity });
  project.recordVersion?.(name, built.hash);
  return { name, rootfs: built.rootfs };
}

function linkTarget(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}
