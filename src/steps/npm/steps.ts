/**
 * The npm steps (vagga-inventory.md §1.4): `!NpmConfig`, `!NpmInstall [pkgs]`,
 * `!NpmDependencies`, `!YarnDependencies`. Version hashes are Vagga's (moved unchanged from
 * the parse-only list; vectors in test/unit/version/). Builds:
 *  - the active distribution gets node and npm (Debian/Ubuntu `nodejs` kept, `npm`,
 *    `libnode-dev` and `build-essential` as build dependencies removed at the end, like
 *    Vagga's Ubuntu table); without a distribution, Debian is started (implicit-distro.ts);
 *  - npm runs as `npm install --global --user=root --cache=/tmp/npm-cache SPECS` with
 *    `<cache>/npm-cache` bind-mounted at /tmp/npm-cache and the host user's registry, proxy
 *    and CA settings (host-config.ts); the modules (Debian: /usr/local/lib/node_modules) are
 *    then also reachable as /usr/lib/node_modules, Vagga's NODE_PATH (module-paths.ts);
 *  - yarn: Debian's `yarnpkg` package linked as /usr/bin/yarn (deviation: Vagga downloads
 *    yarn from GitHub), or with `yarn-version` the `yarn@VERSION` npm package;
 *    `yarn install --modules-folder=/usr/lib/node_modules` with the project's node_modules
 *    shadowed by a scratch dir during the install, then `.bin` entries linked into /usr/bin.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync } from 'node:fs';
import * as fs from 'node:fs';
import { join, posix } from 'node:path';
import { bool, def, list, opt, str, struct } from '../../config/schema.js';
import { VaggaError } from '../../errors/vagga-error.js';
import { rustJoin } from '../../version/paths.js';
import { ensureFeatures } from '../lang/features.js';
import { hostOf, readJson } from '../lang/project-files.js';
import { runTool } from '../lang/run-tool.js';
import { configSettings } from '../lang/config-settings.js';
import type { BuildContext, PrepareContext, StepDef } from '../step.js';
import { hashNpmDeps, lockCovers, yarnLockPatterns } from './hash.js';
import { captureHostNpmConfig, installHostNpmConfig } from './host-config.js';
import { ensureNpmDistro, prepareImplicitDistro } from './implicit-distro.js';
import { joinNodeModulePaths } from './module-paths.js';
import {
  DEFAULT_NPM_SETTINGS, NPM_CACHE_NAME, NPM_CACHE_PATH, NPM_FAILURE_ADVICE, YARN_CACHE_NAME, YARN_CACHE_PATH,
  YARN_MODULES_FOLDER, checkAlpineNpm, dependencySpecs, npmFeatures, npmInstallArgv, yarnFeatures, yarnInstallArgv,
  yarnNpmSpec, type NpmDependenciesParams, type NpmSettings, type YarnDependenciesParams,
} from './plan.js';
import { inContainerRoot } from '../root-path.js';

const settings = configSettings<NpmSettings>('npm.settings', DEFAULT_NPM_SETTINGS);

/** The npm settings in force for this build. */
export const npmSettings = settings.get;

/** Cache dirs whose host npm configuration this process already captured (one `npm config get` per run). */
const captured = new Set<string>();

/** Host side of every npm step: the implicit distribution (when needed) and the host's npm configuration. */
async function prepareNpm(ctx: PrepareContext): Promise<void> {
  await prepareImplicitDistro(ctx);
  if (captured.has(ctx.cacheDir)) return;
  captureHostNpmConfig(ctx.cacheDir);
  captured.add(ctx.cacheDir);
}

/** Distribution, cache mount and packages for an npm run; returns the env for npm. */
async function setUpNpm(ctx: BuildContext, what: string, specs: readonly string[]): Promise<Record<string, string>> {
  const distro = await ensureNpmDistro(ctx, what);
  if (distro.name === 'alpine') checkAlpineNpm(distro.suite);
  ctx.cacheMounts.set(NPM_CACHE_PATH, NPM_CACHE_NAME);
  await ensureFeatures(ctx, npmFeatures(npmSettings(ctx), specs), what);
  return installHostNpmConfig(ctx.cacheDir, ctx.root);
}

/** `npm install --global` of `specs` (nothing for an empty list, after the packages are set up, like Vagga). */
async function npmInstall(ctx: BuildContext, what: string, specs: readonly string[]): Promise<void> {
  const env = await setUpNpm(ctx, what, specs);
  if (specs.length === 0) return;
  await runTool(ctx, { argv: npmInstallArgv(npmSettings(ctx), specs), env, what, advice: NPM_FAILURE_ADVICE });
  joinNodeModulePaths(ctx.root);
}

const npmConfig: StepDef<NpmSettings> = {
  tag: 'NpmConfig',
  schema: struct({
    'npm-exe': def(str(), 'npm'),
    'yarn-exe': def(str(), '/usr/bin/yarn'),
    'yarn-version': opt(str()),
    'install-node': def(bool(), true),
    'install-yarn': def(bool(), true),
  }),
  hash(p, d) {
    d.field('npm_exe', p.npmExe);
    d.field('install_node', p.installNode);
    if (!p.installYarn) d.field('install_yarn', false);
    if (p.yarnExe !== 'yarn') d.field('yarn_exe', p.yarnExe);
    d.optField('yarn_version', p.yarnVersion);
  },
  async build(p, ctx) {
    settings.set(p, ctx);
  },
  replay: settings.set,
};

const npmInstallStep: StepDef<string[]> = {
  tag: 'NpmInstall',
  schema: list(str()),
  hash: (p, d) => d.list('packages', p),
  prepare: (_p, ctx) => prepareNpm(ctx),
  build: (p, ctx) => npmInstall(ctx, '!NpmInstall', p),
};

const npmDependencies: StepDef<NpmDependenciesParams> = {
  tag: 'NpmDependencies',
  schema: struct({
    file: def(str(), 'package.json'),
    package: def(bool(), true),
    dev: def(bool(), true),
    peer: def(bool(), false),
    bundled: def(bool(), true),
    optional: def(bool(), false),
  }),
  hash(p, d, ctx) {
    const containerPath = rustJoin('/work', p.file);
    const data = readJson(hostOf(containerPath, ctx, '!NpmDependencies'), containerPath, '!NpmDependencies');
    if (p.package) hashNpmDeps(data, 'dependencies', d);
    if (p.dev) hashNpmDeps(data, 'devDependencies', d);
    if (p.peer) hashNpmDeps(data, 'peerDependencies', d);
    if (p.bundled) {
      hashNpmDeps(data, 'bundledDependencies', d);
      hashNpmDeps(data, 'bundleDependencies', d);
    }
    if (p.optional) hashNpmDeps(data, 'optionalDependencies', d);
  },
  prepare: (_p, ctx) => prepareNpm(ctx),
  async build(p, ctx) {
    const file = join(ctx.projectRoot, p.file);
    let data: unknown;
    try {
      data = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      throw new VaggaError(`!NpmDependencies: error reading ${JSON.stringify(rustJoin('/work', p.file))}: ${(e as Error).message}`, { code: 'build.bad-package-json' });
    }
    await npmInstall(ctx, '!NpmDependencies', dependencySpecs(data, p));
  },
};

/** Whether `path` (in the builder's view) exists, symlinks included. */
function present(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Make `<root>/usr/bin/yarn`-style link `linkPath` -> `target` unless something is there already. */
function linkIfAbsent(root: string, linkPath: string, target: string): void {
  const at = inContainerRoot(root, linkPath, { followLast: false });
  if (present(at)) return;
  mkdirSync(join(at, '..'), { recursive: true });
  symlinkSync(target, at);
}

/** Install yarn as NpmConfig says (Debian `yarnpkg`, or `yarn@VERSION` from npm) and link `yarn-exe` to it. */
async function setUpYarn(ctx: BuildContext, env: Record<string, string>): Promise<void> {
  const s = npmSettings(ctx);
  if (!s.installYarn) return;
  if (s.yarnVersion !== undefined) {
    ctx.cacheMounts.set(NPM_CACHE_PATH, NPM_CACHE_NAME);
    await ensureFeatures(ctx, ['npm'], '!YarnDependencies');
    await runTool(ctx, { argv: npmInstallArgv(s, [yarnNpmSpec(s.yarnVersion)]), env, what: '!YarnDependencies', advice: NPM_FAILURE_ADVICE });
    if (s.yarnExe.startsWith('/')) linkIfAbsent(ctx.root, s.yarnExe, '/usr/local/bin/yarn');
    return;
  }
  await ensureFeatures(ctx, ['yarn'], '!YarnDependencies');
  if (s.yarnExe.startsWith('/') && existsSync(join(ctx.root, 'usr/bin/yarnpkg'))) linkIfAbsent(ctx.root, s.yarnExe, '/usr/bin/yarnpkg');
}

/** Link every entry of the container dir `binDir` into /usr/bin (replacing existing links), as Vagga does after yarn. */
function linkBins(root: string, binDir: string): void {
  const inRoot = inContainerRoot(root, binDir);
  let names: string[];
  try {
    names = readdirSync(inRoot);
  } catch {
    return;
  }
  for (const name of names) {
    let target: string;
    try {
      target = readlinkSync(join(inRoot, name));
    } catch {
      target = posix.join(binDir, name);
    }
    const absolute = target.startsWith('/') ? target : posix.join(binDir, target);
    const at = inContainerRoot(root, `/usr/bin/${name}`, { followLast: false });
    rmSync(at, { force: true });
    symlinkSync(absolute, at);
  }
}

const yarnDependencies: StepDef<YarnDependenciesParams> = {
  tag: 'YarnDependencies',
  schema: struct({
    dir: def(str(), '.'),
    production: def(bool(), false),
    optional: def(bool(), false),
  }),
  hash(p, d, ctx) {
    d.field('production', p.production);
    const dir = rustJoin('/work', p.dir);
    const lockPath = rustJoin(dir, 'yarn.lock');
    const lockHost = hostOf(lockPath, ctx, '!YarnDependencies');
    if (!fs.existsSync(lockHost)) ctx.unknown(`!YarnDependencies: ${JSON.stringify(lockPath)} does not exist yet`);
    const pkgPath = rustJoin(dir, 'package.json');
    const data = readJson(hostOf(pkgPath, ctx, '!YarnDependencies'), pkgPath, '!YarnDependencies');
    const lock = fs.readFileSync(lockHost);
    const patterns = yarnLockPatterns(lock.toString('utf8'));
    const section = (key: string) => {
      if (!lockCovers(data, key, patterns)) ctx.unknown(`!YarnDependencies: yarn.lock does not cover every ${key} entry yet`);
      hashNpmDeps(data, key, d);
    };
    section('dependencies');
    if (!p.production) section('devDependencies');
    if (p.optional) section('optionalDependencies');
    d.bytes(lock, `file ${lockPath}`);
  },
  prepare: (_p, ctx) => prepareNpm(ctx),
  async build(p, ctx) {
    const what = '!YarnDependencies';
    const distro = await ensureNpmDistro(ctx, what);
    if (distro.name === 'alpine') checkAlpineNpm(distro.suite);
    ctx.cacheMounts.set(YARN_CACHE_PATH, YARN_CACHE_NAME);
    await ensureFeatures(ctx, yarnFeatures(npmSettings(ctx)), what);
    const env = installHostNpmConfig(ctx.cacheDir, ctx.root);
    await setUpYarn(ctx, env);
    const workDir = posix.normalize(rustJoin('/work', p.dir));
    const modules = join(ctx.projectRoot, posix.relative('/work', workDir), 'node_modules');
    const created = !present(modules);
    if (created) mkdirSync(modules, { recursive: true });
    else if (!statSync(modules).isDirectory()) {
      throw new VaggaError(`${what}: ${posix.join(workDir, 'node_modules')} exists and is not a directory`, { code: 'build.not-a-directory' });
    }
    const scratch = inContainerRoot(ctx.root, '/tmp/yarn-modules');
    mkdirSync(scratch, { recursive: true });
    try {
      await runTool(ctx, {
        argv: yarnInstallArgv(npmSettings(ctx), p.production),
        cwd: workDir,
        env,
        what,
        advice: NPM_FAILURE_ADVICE,
        // The project's node_modules is shadowed so yarn leaves the project alone (Vagga does the same).
        extraMounts: [{ kind: 'bind', source: scratch, dest: posix.join(workDir, 'node_modules'), readOnly: false }],
      });
    } finally {
      if (created) rmSync(modules, { recursive: true, force: true });
      rmSync(scratch, { recursive: true, force: true });
    }
    linkBins(ctx.root, posix.join(YARN_MODULES_FOLDER, '.bin'));
  },
};

/** Step definitions of this module, for src/steps/registry.ts. */
export const steps: StepDef<any>[] = [npmConfig, npmInstallStep, npmDependencies, yarnDependencies];
