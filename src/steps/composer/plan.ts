/**
 * Pure planning for the PHP Composer steps (vagga-inventory.md §1.4, §2.6): `!ComposerConfig`
 * settings, the distribution features, composer's argv and environment, and the `vagga.ini`
 * that sets PHP's include_path. After Vagga's composer steps, with one deviation: composer
 * itself is Debian's `composer` package (a build dependency, so it is removed at the end of
 * the build unless `keep-composer`), not downloaded from getcomposer.org; it runs as
 * `PHP /usr/bin/composer --no-interaction ...`.
 */
import { VaggaError } from '../../errors/vagga-error.js';
import type { Feature } from '../lang/features.js';

/** `!ComposerConfig` parameters (and the settings in force when none was given). */
export interface ComposerSettings {
  installRuntime: boolean;
  installDev: boolean;
  runtimeExe?: string;
  includePath?: string;
  keepComposer: boolean;
  vendorDir?: string;
}

/** Vagga's defaults, in force until a `!ComposerConfig` step. */
export const DEFAULT_COMPOSER_SETTINGS: Readonly<ComposerSettings> = { installRuntime: true, installDev: false, keepComposer: false };

/** `!ComposerDependencies` parameters. */
export interface ComposerDependenciesParams {
  workingDir?: string;
  dev: boolean;
  prefer?: string;
  ignorePlatformReqs: boolean;
  noAutoloader: boolean;
  noScripts: boolean;
  noPlugins: boolean;
  optimizeAutoloader: boolean;
  classmapAuthoritative: boolean;
}

/** PHP program used to run composer unless `runtime-exe` is given. */
export const DEFAULT_RUNTIME = '/usr/bin/php';
/** PHP include_path written to vagga.ini unless `include-path` is given. */
export const DEFAULT_INCLUDE_PATH = '.:/usr/local/lib/composer';
/** COMPOSER_HOME (global packages of `!ComposerInstall`). */
export const COMPOSER_HOME = '/usr/local/lib/composer';
/** Container path of composer's cache (COMPOSER_CACHE_DIR). */
export const COMPOSER_CACHE = '/tmp/composer-cache';
/** Cache dir name mounted at COMPOSER_CACHE. */
export const COMPOSER_CACHE_NAME = 'composer-cache';
/** COMPOSER_VENDOR_DIR unless `vendor-dir` is given. */
export const COMPOSER_VENDOR_DIR = '/usr/local/lib/composer/vendor';
/** COMPOSER_BIN_DIR: where package executables are linked. */
export const COMPOSER_BIN_DIR = '/usr/local/bin';
/** Debian's composer script. */
export const COMPOSER_SCRIPT = '/usr/bin/composer';

/** Features: https, composer, git (Vagga assumes PHP projects use git); PHP unless `install-runtime: false`, its dev files with `install-dev`. */
export function composerFeatures(s: ComposerSettings): Feature[] {
  const out: Feature[] = ['https', 'composer'];
  if (s.installRuntime) {
    out.push('php');
    if (s.installDev) out.push('build-essential', 'php-dev');
  }
  out.push('git');
  return out;
}

/** Features kept in the image: composer itself with `keep-composer`. */
export function composerKept(s: ComposerSettings): Feature[] {
  return s.keepComposer ? ['composer'] : [];
}

/** Env for composer (set for later steps too, like Vagga). */
export function composerEnv(s: ComposerSettings): Record<string, string> {
  return {
    COMPOSER_VENDOR_DIR: s.vendorDir ?? COMPOSER_VENDOR_DIR,
    COMPOSER_HOME,
    COMPOSER_BIN_DIR,
    COMPOSER_CACHE_DIR: COMPOSER_CACHE,
    COMPOSER_ALLOW_SUPERUSER: '1',
  };
}

/** `PHP /usr/bin/composer --no-interaction`. */
export function composerPrefix(s: ComposerSettings): string[] {
  return [s.runtimeExe ?? DEFAULT_RUNTIME, COMPOSER_SCRIPT, '--no-interaction'];
}

/** argv of `!ComposerInstall [pkgs]` (`global require --prefer-dist --update-no-dev PKGS`). */
export function composerInstallArgv(s: ComposerSettings, pkgs: readonly string[]): string[] {
  return [...composerPrefix(s), 'global', 'require', '--prefer-dist', '--update-no-dev', ...pkgs];
}

/**
 * argv of `!ComposerDependencies` (`install` plus the options). Throws VaggaError (121) with
 * Vagga's message for a bad `prefer`: `Value of 'ComposerDependencies.prefer' must be either
 * 'source' or 'dist', 'x' given`.
 */
export function composerDependenciesArgv(s: ComposerSettings, p: ComposerDependenciesParams): string[] {
  const argv = [...composerPrefix(s), 'install'];
  if (p.workingDir !== undefined) argv.push(`--working-dir=${p.workingDir}`);
  if (!p.dev) argv.push('--no-dev');
  if (p.ignorePlatformReqs) argv.push('--ignore-platform-reqs');
  if (p.noAutoloader) argv.push('--no-autoloader');
  if (p.noScripts) argv.push('--no-scripts');
  if (p.noPlugins) argv.push('--no-plugins');
  if (p.optimizeAutoloader) argv.push('--optimize-autoloader');
  if (p.classmapAuthoritative) argv.push('--classmap-authoritative');
  if (p.prefer !== undefined) {
    if (p.prefer === 'dist') argv.push('--prefer-dist');
    else if (p.prefer === 'source') argv.push('--prefer-source');
    else {
      throw new VaggaError(`Value of 'ComposerDependencies.prefer' must be either 'source' or 'dist', '${p.prefer}' given`, { code: 'build.bad-step-option' });
    }
  }
  return argv;
}

/** Content of the `vagga.ini` written into PHP's conf.d dirs. */
export function vaggaIniText(s: ComposerSettings): string {
  return `include_path=${s.includePath ?? DEFAULT_INCLUDE_PATH}\n`;
}

/** Hint for a failed composer run. */
export const COMPOSER_FAILURE_ADVICE =
  'composer downloads from the repositories of composer.json (Packagist, its default repository, unless\n' +
  'disabled). If that is not reachable from this machine, list a reachable mirror under `repositories` in\n' +
  'composer.json and disable the default one there, or use `path`/`vcs` repositories.';
