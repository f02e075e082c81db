/**
 * Distribution packages the language steps need ("features", after Vagga's
 * `builder::packages::Package`; vagga-inventory.md §1.4 "each implies build-time installs of
 * the runtime/dev packages on the active distro"). A feature maps, per distribution family,
 * to packages that stay in the container (`install`) and packages removed again at the end
 * of the build (`buildDeps`, like `!BuildDeps`), unless a step names them in `keep`.
 *
 * Package names: Debian/Ubuntu (apt) names as of Debian 12 "bookworm" (Vagga's Ubuntu table
 * with today's names: `libnode-dev` for Node's headers, Debian's `yarnpkg`, `composer` and
 * `bundler` packages instead of Vagga's downloads); Alpine names after Vagga's Alpine table.
 * The mapping is pure (packagesForFeatures) and unit-tested; ensureFeatures installs through
 * the distribution's package step code (src/steps/debian/apt-run.ts, src/steps/alpine/apk-run.ts).
 */
import { VaggaError } from '../../errors/vagga-error.js';
import { aptInstall } from '../debian/apt-run.js';
import { requireDistro } from '../debian/distro.js';
import { apkInstall } from '../alpine/apk-run.js';
import { APT_DISTROS } from '../distro-specific.js';
import type { BuildContext } from '../step.js';

/** What a language step needs from the distribution. */
export type Feature =
  | 'build-essential' | 'https' | 'git' | 'mercurial'
  | 'python2' | 'python2-dev' | 'pip-py2' | 'python3' | 'python3-dev' | 'pip-py3'
  | 'nodejs' | 'nodejs-dev' | 'npm' | 'yarn'
  | 'ruby' | 'ruby-dev' | 'bundler'
  | 'php' | 'php-dev' | 'composer';

/** Packages of one feature: kept in the image, or removed at the end of the build. */
export interface FeaturePackages {
  install: string[];
  buildDeps: string[];
}

const keep = (...install: string[]): FeaturePackages => ({ install, buildDeps: [] });
const temp = (...buildDeps: string[]): FeaturePackages => ({ install: [], buildDeps });

/** Debian and Ubuntu (apt). */
const APT_FEATURES: Record<Feature, FeaturePackages | undefined> = {
  'build-essential': temp('build-essential'),
  https: temp('ca-certificates'),
  git: temp('git'),
  mercurial: temp('mercurial'),
  python2: keep('python2'),
  'python2-dev': temp('python2-dev'),
  'pip-py2': temp('python-pip'),
  python3: keep('python3'),
  'python3-dev': temp('python3-dev'),
  'pip-py3': temp('python3-pip'),
  nodejs: keep('nodejs'),
  'nodejs-dev': temp('libnode-dev'),
  npm: temp('npm'),
  yarn: keep('yarnpkg'),
  ruby: keep('ruby'),
  'ruby-dev': temp('ruby-dev'),
  bundler: keep('bundler'),
  php: keep('php-cli'),
  'php-dev': temp('php-dev'),
  composer: temp('composer', 'unzip'),
};

/** Alpine (apk). PHP packages carry the PHP version in their names there: not mapped. */
const ALPINE_FEATURES: Record<Feature, FeaturePackages | undefined> = {
  'build-essential': temp('build-base'),
  https: temp('ca-certificates'),
  git: temp('git'),
  mercurial: temp('mercurial'),
  python2: keep('python2'),
  'python2-dev': temp('python2-dev'),
  'pip-py2': undefined,
  python3: keep('python3'),
  'python3-dev': temp('python3-dev'),
  'pip-py3': temp('py3-pip'),
  nodejs: keep('nodejs'),
  'nodejs-dev': temp('nodejs-dev'),
  npm: keep('npm'),
  yarn: keep('yarn'),
  ruby: keep('ruby'),
  'ruby-dev': temp('ruby-dev'),
  bundler: keep('ruby-bundler'),
  php: undefined,
  'php-dev': undefined,
  composer: undefined,
};

/** The feature table of a distribution (Vagga's lowercase name), or undefined when none is known. */
function tableFor(distro: string): Record<Feature, FeaturePackages | undefined> | undefined {
  if (APT_DISTROS.includes(distro)) return APT_FEATURES;
  if (distro === 'alpine') return ALPINE_FEATURES;
  return undefined;
}

/**
 * The packages for `features` on distribution `distro` (`debian`, `ubuntu`, `alpine`),
 * de-duplicated in first-seen order. Build dependencies of features listed in `kept` are
 * moved to `install`; a package that is both is only installed. Throws VaggaError (121)
 * naming the step (`what`, e.g. `!NpmInstall`) for a feature the distribution lacks.
 */
export function packagesForFeatures(
  distro: string, features: readonly Feature[], what: string, kept: readonly Feature[] = [],
): FeaturePackages {
  const table = tableFor(distro);
  const install: string[] = [];
  const buildDeps: string[] = [];
  for (const f of features) {
    const p = table?.[f];
    if (p === undefined) {
      throw new VaggaError(`${what} needs ${f} packages, which vagga does not know for the "${distro}" distribution`, {
        code: 'build.unsupported-distro',
        hint: 'Use a Debian or Ubuntu base (`!Debian bookworm`), or install the tools with `!Install` and turn off the step\'s own install option.',
      });
    }
    for (const name of p.install) if (!install.includes(name)) install.push(name);
    const into = kept.includes(f) ? install : buildDeps;
    for (const name of p.buildDeps) if (!into.includes(name)) into.push(name);
  }
  return { install, buildDeps: buildDeps.filter((n) => !install.includes(n)) };
}

/** BuildContext.state key: features already installed by this build (not inherited). */
const FEATURES_STATE_KEY = 'lang.features';

/**
 * Install the packages of `features` on the active distribution (apt for Debian/Ubuntu, apk
 * for Alpine), skipping features this build already installed. Build dependencies go the
 * `!BuildDeps` way (removed when the build finishes). Throws the distribution's
 * `this step requires some linux distribution to be active` without one, VaggaError (121)
 * for unknown features, and StepFailedError when the package manager fails.
 */
export async function ensureFeatures(ctx: BuildContext, features: readonly Feature[], what: string, kept: readonly Feature[] = []): Promise<void> {
  const distro = requireDistro(ctx);
  let done = ctx.state.get(FEATURES_STATE_KEY) as Set<string> | undefined;
  if (done === undefined) ctx.state.set(FEATURES_STATE_KEY, (done = new Set()));
  const key = (f: Feature) => `${f}${kept.includes(f) ? '+kept' : ''}`;
  const wanted = features.filter((f) => !done!.has(key(f)));
  if (wanted.length === 0) return;
  const pkgs = packagesForFeatures(distro.name, wanted, what, kept);
  const install = distro.name === 'alpine' ? apkInstall : aptInstall;
  if (pkgs.install.length > 0) await install(ctx, distro, pkgs.install, false);
  if (pkgs.buildDeps.length > 0) await install(ctx, distro, pkgs.buildDeps, true);
  for (const f of wanted) done.add(key(f));
}
