/**
 * The pip steps (vagga-inventory.md §1.4): `!PipConfig`, `!Py2Install`, `!Py3Install`,
 * `!Py2Requirements`, `!Py3Requirements`. Version hashes are Vagga's (moved unchanged from
 * the parse-only list). Build: the distribution's Python, headers, build tools and pip are
 * installed (pip, headers and build tools as build dependencies, removed at the end), the
 * pip caches are bind-mounted (`/tmp/pip-cache/http`, `/tmp/pip-cache/wheels`), and pip runs
 * with the argv planned in plan.ts. A failing pip (e.g. an unreachable index) ends the build
 * with a hint naming `!PipConfig` `index-urls`/`trusted-hosts`/`find-links`.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bool, def, list, opt, str, struct } from '../../config/schema.js';
import { currentDistro } from '../debian/distro.js';
import { ensureFeatures } from '../lang/features.js';
import { runTool } from '../lang/run-tool.js';
import { configSettings } from '../lang/config-settings.js';
import type { BuildContext, StepDef } from '../step.js';
import { hashRequirements } from './hash.js';
import {
  DEFAULT_PIP_SETTINGS, PIP_BUILD_ENV, PIP_CACHE_DIR, PIP_RUN_ENV, pipCacheMounts, pipFailureAdvice, pipFeatures,
  pipInstallArgv, pipRequirementsArgv, requirementLines, type PipSettings, type PyVersion,
} from './plan.js';
import { inContainerRoot } from '../root-path.js';

const settings = configSettings<PipSettings>('pip.settings', DEFAULT_PIP_SETTINGS);

/** The pip settings in force for this build (`!PipConfig` replaces them whole). */
export const pipSettings = settings.get;

/** Cache mounts and PIP_CACHE_DIR for this and later steps (also on replay, like Vagga's `configure`). */
function configurePip(ctx: BuildContext): void {
  const d = currentDistro(ctx);
  const ident = `${process.arch}-${d?.name ?? 'none'}-${d?.suite ?? 'unknown'}`;
  mkdirSync(inContainerRoot(ctx.root, PIP_CACHE_DIR), { recursive: true });
  for (const [path, name] of pipCacheMounts(pipSettings(ctx), ident)) ctx.cacheMounts.set(path, name);
  Object.assign(ctx.env, PIP_BUILD_ENV);
}

/** Install the distribution packages for `specs` and run `argv`. */
async function runPip(ctx: BuildContext, ver: PyVersion, what: string, specs: readonly string[], argv: string[]): Promise<void> {
  configurePip(ctx);
  const s = pipSettings(ctx);
  if (s.getPipArgs.length > 0) ctx.log.warn(`${what}: \`get-pip-args\` of !PipConfig is ignored: pip comes from the distribution's package, not get-pip.py`);
  await ensureFeatures(ctx, pipFeatures(s, ver, specs), what);
  await runTool(ctx, { argv, env: { ...PIP_RUN_ENV }, what, advice: pipFailureAdvice(s, ver) });
}

const pipConfig: StepDef<PipSettings> = {
  tag: 'PipConfig',
  schema: struct({
    dependencies: def(bool(), false),
    'cache-wheels': def(bool(), true),
    'find-links': def(list(str()), [] as string[]),
    'index-urls': def(list(str()), [] as string[]),
    'trusted-hosts': def(list(str()), [] as string[]),
    'python-exe': opt(str()),
    'install-python': def(bool(), true),
    'allow-pre-releases': def(bool(), false),
    'get-pip-args': def(list(str()), [] as string[]),
  }),
  hash(p, d) {
    d.list('find_links', p.findLinks);
    d.list('index_urls', p.indexUrls);
    d.list('trusted_hosts', p.trustedHosts);
    d.field('dependencies', p.dependencies);
    d.field('cache_wheels', p.cacheWheels);
    d.field('install_python', p.installPython);
    if (p.allowPreReleases) d.field('allow_pre_releases', true);
    d.optField('python_exe', p.pythonExe);
    if (p.getPipArgs.length > 0) d.list('get_pip_args', p.getPipArgs);
  },
  async build(p, ctx) {
    settings.set(p, ctx);
  },
  replay: settings.set,
};

function installStep(ver: PyVersion): StepDef<string[]> {
  const what = `!Py${ver}Install`;
  return {
    tag: `Py${ver}Install`,
    schema: list(str()),
    hash: (p, d) => d.list('packages', p),
    build: (p, ctx) => runPip(ctx, ver, what, p, pipInstallArgv(pipSettings(ctx), ver, p)),
    replay: (_p, ctx) => configurePip(ctx),
  };
}

function requirementsStep(ver: PyVersion): StepDef<string> {
  const what = `!Py${ver}Requirements`;
  return {
    tag: `Py${ver}Requirements`,
    schema: def(str(), 'requirements.txt'),
    hash: (fname, d, ctx) => hashRequirements(fname, d, ctx),
    async build(fname, ctx) {
      let lines: string[] = [];
      try {
        lines = requirementLines(readFileSync(join(ctx.projectRoot, fname), 'utf8'));
      } catch {
        // pip reports the missing file itself, with its own wording.
      }
      await runPip(ctx, ver, what, lines, pipRequirementsArgv(pipSettings(ctx), ver, fname));
    },
    replay: (_p, ctx) => configurePip(ctx),
  };
}

/** Step definitions of this module, for src/steps/registry.ts. */
export const steps: StepDef<any>[] = [pipConfig, installStep(2), installStep(3), requirementsStep(2), requirementsStep(3)];
