/**
 * The PHP Composer steps (vagga-inventory.md §1.4): `!ComposerConfig`, `!ComposerInstall
 * [pkgs]`, `!ComposerDependencies`. Version hashes: Vagga's fields for the config and install
 * steps; `!ComposerDependencies` hashes selected keys of composer.lock and composer.json as
 * Vagga's serde_json prints them (./version.ts). Build: distribution packages (plan.ts composerFeatures), composer's env and
 * cache (`/tmp/composer-cache` <- `<cache>/composer-cache`), PHP's include_path in a
 * `vagga.ini` in every conf.d dir under /etc/php*, then composer.
 */
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bool, def, list, opt, str, struct } from '../../config/schema.js';
import { ensureFeatures } from '../lang/features.js';
import { runTool } from '../lang/run-tool.js';
import { configSettings } from '../lang/config-settings.js';
import type { BuildContext, StepDef } from '../step.js';
import {
  COMPOSER_CACHE, COMPOSER_CACHE_NAME, COMPOSER_FAILURE_ADVICE, COMPOSER_HOME, DEFAULT_COMPOSER_SETTINGS, composerDependenciesArgv,
  composerEnv, composerFeatures, composerInstallArgv, composerKept, vaggaIniText, type ComposerDependenciesParams, type ComposerSettings,
} from './plan.js';
import { inContainerRoot } from '../root-path.js';
import { hashComposerDependencies } from './version.js';

const settings = configSettings<ComposerSettings>('composer.settings', DEFAULT_COMPOSER_SETTINGS);

/** The composer settings in force for this build. */
export const composerSettings = settings.get;

/** Env and cache mount for composer (this and later steps; also on replay, like Vagga's `configure`). */
function configureComposer(ctx: BuildContext): void {
  ctx.cacheMounts.set(COMPOSER_CACHE, COMPOSER_CACHE_NAME);
  Object.assign(ctx.env, composerEnv(composerSettings(ctx)));
}

/**
 * PHP configuration dirs in the root: `conf.d` dirs up to three levels below `/etc/php*`
 * (Debian: /etc/php/8.2/cli/conf.d), as container paths.
 */
export function phpConfDirs(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number) => {
    let names: string[];
    try {
      names = readdirSync(join(root, dir.slice(1)));
    } catch {
      return;
    }
    for (const n of names.sort()) {
      const p = `${dir}/${n}`;
      try {
        if (!statSync(join(root, p.slice(1))).isDirectory()) continue;
      } catch {
        continue;
      }
      if (n === 'conf.d') out.push(p);
      else if (depth < 3) walk(p, depth + 1);
    }
  };
  let top: string[] = [];
  try {
    top = readdirSync(join(root, 'etc'));
  } catch { /* no /etc */ }
  for (const n of top.sort()) if (n.startsWith('php')) walk(`/etc/${n}`, 1);
  return out;
}

/** Packages, composer home and (with the runtime) the include_path ini. */
async function setUpComposer(ctx: BuildContext, what: string): Promise<ComposerSettings> {
  const s = composerSettings(ctx);
  configureComposer(ctx);
  await ensureFeatures(ctx, composerFeatures(s), what, composerKept(s));
  mkdirSync(inContainerRoot(ctx.root, COMPOSER_HOME), { recursive: true });
  if (s.installRuntime) {
    for (const dir of phpConfDirs(ctx.root)) writeFileSync(inContainerRoot(ctx.root, `${dir}/vagga.ini`), vaggaIniText(s));
  }
  return s;
}

const composerConfig: StepDef<ComposerSettings> = {
  tag: 'ComposerConfig',
  schema: struct({
    'install-runtime': def(bool(), true),
    'install-dev': def(bool(), false),
    'runtime-exe': opt(str()),
    'include-path': opt(str()),
    'keep-composer': def(bool(), false),
    'vendor-dir': opt(str()),
  }),
  hash(p, d) {
    d.optField('runtime_exe', p.runtimeExe);
    d.optField('include_path', p.includePath);
    d.field('install_runtime', p.installRuntime);
    d.field('install_dev', p.installDev);
    d.field('keep_composer', p.keepComposer);
    d.optField('vendor_dir', p.vendorDir);
  },
  async build(p, ctx) {
    settings.set(p, ctx);
  },
  replay: settings.set,
};

const composerInstall: StepDef<string[]> = {
  tag: 'ComposerInstall',
  schema: list(str()),
  hash: (p, d) => d.list('packages', p),
  async build(p, ctx) {
    const what = '!ComposerInstall';
    const s = await setUpComposer(ctx, what);
    if (p.length === 0) return;
    await runTool(ctx, { argv: composerInstallArgv(s, p), what, advice: COMPOSER_FAILURE_ADVICE });
  },
  replay: (_p, ctx) => configureComposer(ctx),
};

const composerDependencies: StepDef<ComposerDependenciesParams> = {
  tag: 'ComposerDependencies',
  schema: struct({
    'working-dir': opt(str()),
    dev: def(bool(), true),
    prefer: opt(str()),
    'ignore-platform-reqs': def(bool(), false),
    'no-autoloader': def(bool(), false),
    'no-scripts': def(bool(), false),
    'no-plugins': def(bool(), false),
    'optimize-autoloader': def(bool(), false),
    'classmap-authoritative': def(bool(), false),
  }),
  hash: (p, d, ctx) => hashComposerDependencies(p.workingDir, d, ctx),
  async build(p, ctx) {
    const what = '!ComposerDependencies';
    const argv = composerDependenciesArgv(composerSettings(ctx), p);
    await setUpComposer(ctx, what);
    await runTool(ctx, { argv, what, advice: COMPOSER_FAILURE_ADVICE });
  },
  replay: (_p, ctx) => configureComposer(ctx),
};

/** Step definitions of this module, for src/steps/registry.ts. */
export const steps: StepDef<any>[] = [composerConfig, composerInstall, composerDependencies];
