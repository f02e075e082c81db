/**
 * Pure planning for the npm steps (vagga-inventory.md §1.4, §2.6): the `!NpmConfig` settings,
 * the distribution features to install, npm's and yarn's argv, the dependency specs of a
 * package.json, and the environment that points npm at the host user's registry.
 * Behaviour follows Vagga's npm steps: `npm install --global --user=root
 * --cache=/tmp/npm-cache PKGS`, dependencies installed globally as `name@range`, yarn with
 * `--modules-folder=/usr/lib/node_modules --cache-folder=/tmp/yarn-cache`.
 * Our addition: npm installs pass `--prefer-offline` (npm-install(1), npm config
 * `prefer-offline`): metadata (packuments) and tarballs already in `<cache>/npm-cache` are used
 * without revalidating them with the registry and only what is missing is fetched, so a
 * container on warm caches makes no registry request. Trade-off: a loose range (`^1.2.0`,
 * `latest`) may resolve to the newest version that was cached rather than the registry's
 * newest; a `--force` rebuild does not change that, but removing `<cache>/npm-cache` (or
 * pinning the version) does.
 */
import { VaggaError } from '../../errors/vagga-error.js';
import type { Feature } from '../lang/features.js';
import { compareBytes } from '../../version/paths.js';
import { jsonObject } from './hash.js';

/** `!NpmConfig` parameters (and the settings in force when none was given). */
export interface NpmSettings {
  npmExe: string;
  yarnExe: string;
  yarnVersion?: string;
  installNode: boolean;
  installYarn: boolean;
}

/** Vagga's defaults, in force until a `!NpmConfig` step. */
export const DEFAULT_NPM_SETTINGS: Readonly<NpmSettings> = {
  npmExe: 'npm', yarnExe: '/usr/bin/yarn', installNode: true, installYarn: true,
};

/** Container path of npm's cache (bind-mounted from `<cache>/npm-cache`). */
export const NPM_CACHE_PATH = '/tmp/npm-cache';
/** Cache dir name of npm's cache. */
export const NPM_CACHE_NAME = 'npm-cache';
/** Container path of yarn's cache (bind-mounted from `<cache>/yarn-cache`). */
export const YARN_CACHE_PATH = '/tmp/yarn-cache';
/** Cache dir name of yarn's cache. */
export const YARN_CACHE_NAME = 'yarn-cache';
/** Where `!YarnDependencies` installs modules (Vagga's choice). */
export const YARN_MODULES_FOLDER = '/usr/lib/node_modules';

/** `!NpmDependencies` parameters. */
export interface NpmDependenciesParams {
  file: string;
  package: boolean;
  dev: boolean;
  peer: boolean;
  bundled: boolean;
  optional: boolean;
}

/** `!YarnDependencies` parameters. */
export interface YarnDependenciesParams {
  dir: string;
  production: boolean;
  optional: boolean;
}

/** Features for npm installs of `specs`: build tools, node and npm (unless `install-node: false`), git for `git://` specs. */
export function npmFeatures(settings: NpmSettings, specs: readonly string[]): Feature[] {
  const out: Feature[] = ['build-essential'];
  if (settings.installNode) out.push('nodejs', 'nodejs-dev', 'npm');
  if (specs.some((s) => s.startsWith('git://') || s.startsWith('git+'))) out.push('git');
  return out;
}

/** Features for `!YarnDependencies`: build tools, node (unless `install-node: false`); yarn itself is set up separately. */
export function yarnFeatures(settings: NpmSettings): Feature[] {
  const out: Feature[] = ['build-essential'];
  if (settings.installNode) out.push('nodejs', 'nodejs-dev');
  return out;
}

/**
 * `npm install --global --user=root --cache=/tmp/npm-cache --prefer-offline SPECS` with the
 * configured npm (`--prefer-offline`: see the file comment).
 */
export function npmInstallArgv(settings: NpmSettings, specs: readonly string[]): string[] {
  return [settings.npmExe, 'install', '--global', '--user=root', `--cache=${NPM_CACHE_PATH}`, '--prefer-offline', ...specs];
}

/**
 * The `name@range` specs `!NpmDependencies` installs from package.json `data`: the selected
 * maps in Vagga's order (dependencies, devDependencies, peerDependencies,
 * bundledDependencies + bundleDependencies, optionalDependencies), names sorted within a map.
 * Throws VaggaError (121) like Vagga: `Package "x" has wrong version 1` for a non-string
 * range, `The "dependencies" is not a mapping (JSON object)` for a non-object map.
 */
export function dependencySpecs(data: unknown, p: Omit<NpmDependenciesParams, 'file'>): string[] {
  const keys: string[] = [];
  if (p.package) keys.push('dependencies');
  if (p.dev) keys.push('devDependencies');
  if (p.peer) keys.push('peerDependencies');
  if (p.bundled) keys.push('bundledDependencies', 'bundleDependencies');
  if (p.optional) keys.push('optionalDependencies');
  const out: string[] = [];
  for (const key of keys) {
    const present = data !== null && typeof data === 'object' && !Array.isArray(data) && key in data;
    if (!present) continue;
    const deps = jsonObject(data, key);
    if (deps === undefined) {
      throw new VaggaError(`The ${JSON.stringify(key)} is not a mapping (JSON object)`, { code: 'build.bad-package-json' });
    }
    for (const name of Object.keys(deps).sort(compareBytes)) {
      const range = deps[name];
      if (typeof range !== 'string') {
        throw new VaggaError(`Package ${JSON.stringify(name)} has wrong version ${JSON.stringify(range)}`, { code: 'build.bad-package-json' });
      }
      out.push(`${name}@${range}`);
    }
  }
  return out;
}

/** `yarn install` for `!YarnDependencies` (Vagga's flags; `--production` when asked). */
export function yarnInstallArgv(settings: NpmSettings, production: boolean): string[] {
  const argv = [settings.yarnExe, 'install', '--no-progress', `--modules-folder=${YARN_MODULES_FOLDER}`, `--cache-folder=${YARN_CACHE_PATH}`];
  if (production) argv.push('--production');
  return argv;
}

/** The npm spec of yarn for `yarn-version` (`v1.0.1` -> `yarn@1.0.1`). */
export function yarnNpmSpec(version: string): string {
  return `yarn@${version.trim().replace(/^v/, '')}`;
}

/**
 * Vagga refuses npm on Alpine before v3.9 (`Vagga does not support npm on Alpine v3.6 (use
 * >= v3.9)`, exit 121). Versions that do not parse as `vX.Y` pass (checked by `!Alpine`).
 */
export function checkAlpineNpm(version: string | undefined): void {
  const m = /^v(\d+)\.(\d+)$/.exec(version ?? '');
  if (!m) return;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  if (major < 3 || (major === 3 && minor < 9)) {
    throw new VaggaError(`Vagga does not support npm on Alpine ${version} (use >= v3.9)`, { code: 'build.unsupported-distro' });
  }
}

/** Hint for a failed npm or yarn run. */
export const NPM_FAILURE_ADVICE =
  'npm (or yarn) inside the container uses the registry, proxy and CA settings of your own npm\n' +
  'configuration on the host (`npm config get registry`, `cafile`, `strict-ssl`, `proxy`, `https-proxy`,\n' +
  'or the `npm_config_*` environment variables). Check that the registry is reachable from this machine\n' +
  'and that the package names and versions exist there.';
