/**
 * `vagga _clean --global` (vagga-inventory.md §2.4): clean every project's storage under the
 * `storage-dir` setting, not only the current project's. Each `<storage-dir>/<subdir>` holding
 * a `.roots` dir is one project's base; its back-link `<subdir>/.lnk` (written by
 * storage-link.ts) names the project, so container links left dangling there are removed too.
 * Supported: `--tmp`, `--unused --at-least DURATION` (Vagga allows only this form of
 * `--unused` globally: the configs of other projects are not loaded), `--transient`.
 * Anything else is refused with exit 1 before touching anything (Vagga panics on most of them).
 * Without `storage-dir`: exit 2 (Vagga's code) with a message.
 */
import { readdirSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Config, Settings } from '../config/model.js';
import { VaggaError } from '../errors/vagga-error.js';
import { cleanCacheTemps, cleanLayoutWith, type CleanDeps, type CleanOptions, type CleanResult } from './clean.js';
import type { ProjectLayout } from './layout.js';

/**
 * Refuse option combinations `--global` does not support: throws VaggaError exit 2 without
 * `settings.storageDir`, exit 1 for `--old`, `--everything` or `--unused` without
 * `atLeast`. Pure: call before loading anything else.
 */
export function checkGlobalOptions(settings: Settings, options: CleanOptions): void {
  if (!settings.storageDir) {
    throw new VaggaError('The --global flag is only meaningful if you configure storage-dir in settings', {
      code: 'clean.no-storage-dir',
      hint: 'Set `storage-dir: ~/.vagga-storage` (any absolute path) in ~/.vagga.yaml, or drop --global to clean this project only.',
    });
  }
  if (options.unused && options.atLeast === undefined) {
    throw new VaggaError('With --global, --unused needs --at-least DURATION (other projects\' configs are not read)', { code: 'clean.bad-args' });
  }
  if (options.old || options.everything) {
    throw new VaggaError(`${options.old ? '--old' : '--everything'} with --global is not supported yet`, {
      code: 'clean.bad-args',
      hint: 'Supported with --global: --tmp, --unused --at-least DURATION, --transient.',
    });
  }
}

/** The project subdirs of storage dir `storageDir` (those holding `.roots`), sorted. */
export function storageProjects(storageDir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(storageDir);
  } catch {
    return [];
  }
  return names.filter((n) => {
    try {
      return statSync(join(storageDir, n, '.roots')).isDirectory();
    } catch {
      return false;
    }
  }).sort().map((n) => join(storageDir, n));
}

/** The layout of storage subdir `base`, with the project found through its `.lnk` back-link. */
export function subdirLayout(base: string): ProjectLayout {
  let projectRoot: string | undefined;
  try {
    projectRoot = readlinkSync(join(base, '.lnk'));
  } catch { /* no back-link: links cannot be fixed, the storage still is cleaned */ }
  return {
    projectRoot: projectRoot ?? base,
    vaggaDir: projectRoot ? join(projectRoot, '.vagga') : join(base, '.no-project'),
    base,
    rootsDir: join(base, '.roots'),
    transientDir: join(base, '.transient'),
    linkPrefix: '.lnk/',
  };
}

/**
 * Clean every project under `settings.storageDir` (see the file comment) with `deps`.
 * Throws as checkGlobalOptions, and VaggaError (3) when a deletion fails.
 */
export async function cleanGlobalWith(deps: CleanDeps, settings: Settings, options: CleanOptions): Promise<CleanResult> {
  checkGlobalOptions(settings, options);
  const removed: string[] = [];
  for (const base of storageProjects(settings.storageDir!)) {
    const layout = subdirLayout(base);
    const config = { projectRoot: layout.projectRoot, containers: {} } as unknown as Config;
    const r = await cleanLayoutWith(deps, layout, config, { ...options, absolutePaths: true });
    removed.push(...r.removed);
  }
  if (options.tmp) removed.push(...cleanCacheTemps(deps, settings, options));
  return { removed };
}

/** cleanGlobalWith with the real collaborators (cleanStorage's defaults); progress to `write` (default stderr). */
export async function cleanGlobal(settings: Settings, options: CleanOptions, write: (text: string) => void = (t) => void process.stderr.write(t)): Promise<CleanResult> {
  checkGlobalOptions(settings, options);
  const { defaultCleanDeps } = await import('./clean.js');
  return cleanGlobalWith(defaultCleanDeps(write), settings, options);
}

