/**
 * The Ruby steps (vagga-inventory.md §1.4): `!GemConfig`, `!GemInstall [gems]`, `!GemBundle`.
 * Version hashes are Vagga's (moved unchanged from the parse-only list, including Vagga's
 * quirk of hashing the Gemfile content when a Gemfile.lock exists). Build: distribution
 * packages (plan.ts gemFeatures), the optional RubyGems self-update, the gem cache
 * (`<gemdir>/cache` <- `<cache>/gems-cache`), then gem or bundler; failures name what to
 * configure when the default RubyGems source is unreachable.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { bool, def, list, opt, str, struct } from '../../config/schema.js';
import { pathComponents, rustJoin } from '../../version/paths.js';
import { currentDistro } from '../debian/distro.js';
import { ensureFeatures } from '../lang/features.js';
import { hostOf, readText } from '../lang/project-files.js';
import { runTool } from '../lang/run-tool.js';
import { configSettings } from '../lang/config-settings.js';
import type { BuildContext, StepDef } from '../step.js';
import {
  DEFAULT_GEM_SETTINGS, GEMS_CACHE_NAME, GEM_FAILURE_ADVICE, GEM_UPDATE_ENV, bundleInstallArgv, gemDirScript, gemFeatures,
  gemInstallArgv, gemUpdateArgv, gemfileNeedsGit, type GemBundleParams, type GemSettings,
} from './plan.js';
import { inContainerRoot } from '../root-path.js';

const settings = configSettings<GemSettings>('gem.settings', DEFAULT_GEM_SETTINGS);
const CONFIGURED_KEY = 'gem.configured';

/** The gem settings in force for this build. */
export const gemSettings = settings.get;

/** Self-update RubyGems (once per build) and mount the gem cache at `<gemdir>/cache`. */
async function configureGem(ctx: BuildContext, what: string): Promise<void> {
  if (ctx.state.get(CONFIGURED_KEY) === true) return;
  const s = gemSettings(ctx);
  const update = gemUpdateArgv(s, currentDistro(ctx)?.name);
  if (update) await runTool(ctx, { argv: update, env: { ...GEM_UPDATE_ENV }, what, advice: GEM_FAILURE_ADVICE });
  const out = '/tmp/.vagga-gemdir';
  await runTool(ctx, { argv: gemDirScript(s, out), what, advice: 'Is the `gem-exe` of !GemConfig a working gem program?' });
  const gemdir = fs.readFileSync(inContainerRoot(ctx.root, out), 'utf8').trim();
  fs.rmSync(inContainerRoot(ctx.root, out, { followLast: false }), { force: true });
  if (gemdir.startsWith('/')) ctx.cacheMounts.set(`${gemdir.replace(/\/+$/, '')}/cache`, GEMS_CACHE_NAME);
  ctx.state.set(CONFIGURED_KEY, true);
}

const gemConfig: StepDef<GemSettings> = {
  tag: 'GemConfig',
  schema: struct({
    'install-ruby': def(bool(), true),
    'gem-exe': opt(str()),
    'update-gem': def(bool(), true),
  }),
  hash(p, d) {
    d.field('install_ruby', p.installRuby);
    d.optField('gem_exe', p.gemExe);
    d.field('update_gem', p.updateGem);
  },
  async build(p, ctx) {
    settings.set(p, ctx);
  },
  replay: settings.set,
};

const gemInstall: StepDef<string[]> = {
  tag: 'GemInstall',
  schema: list(str()),
  hash: (p, d) => d.list('packages', p),
  async build(p, ctx) {
    const what = '!GemInstall';
    await ensureFeatures(ctx, gemFeatures(gemSettings(ctx)), what);
    await configureGem(ctx, what);
    if (p.length === 0) return;
    await runTool(ctx, { argv: gemInstallArgv(gemSettings(ctx), p), what, advice: GEM_FAILURE_ADVICE });
  },
};

const gemBundle: StepDef<GemBundleParams> = {
  tag: 'GemBundle',
  schema: struct({
    gemfile: def(str(), 'Gemfile'),
    without: def(list(str()), [] as string[]),
    'trust-policy': opt(str()),
  }),
  hash(p, d, ctx) {
    const containerPath = rustJoin('/work', p.gemfile);
    const host = hostOf(containerPath, ctx, '!GemBundle');
    d.field('gemfile', p.gemfile);
    const comps = pathComponents(containerPath);
    const lockContainer = `${comps.length > 1 ? `/${comps.slice(1, -1).join('/')}` : ''}/Gemfile.lock`.replace(/^\/\//, '/');
    const content = readText(host, containerPath, '!GemBundle');
    // Vagga's quirk: when Gemfile.lock exists, the *Gemfile* content is hashed raw.
    if (fs.existsSync(hostOf(lockContainer, ctx, '!GemBundle'))) d.bytes(fs.readFileSync(host), `file ${containerPath}`);
    for (const line of content.split('\n')) {
      const t = line.trim();
      if (t === '' || t.startsWith('#')) continue;
      d.field('line', t);
    }
    if (p.without.length > 0) d.list('without', p.without);
    d.optField('trust_policy', p.trustPolicy);
  },
  async build(p, ctx) {
    const what = '!GemBundle';
    const argv = bundleInstallArgv(p);
    let text = '';
    try {
      text = fs.readFileSync(join(ctx.projectRoot, p.gemfile), 'utf8');
    } catch {
      // bundler reports the missing Gemfile itself.
    }
    await ensureFeatures(ctx, gemFeatures(gemSettings(ctx), { needsGit: gemfileNeedsGit(text) }), what);
    await configureGem(ctx, what);
    await runTool(ctx, { argv, what, advice: GEM_FAILURE_ADVICE });
  },
};

/** Step definitions of this module, for src/steps/registry.ts. */
export const steps: StepDef<any>[] = [gemConfig, gemInstall, gemBundle];
