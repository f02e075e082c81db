/**
 * Pure planning for the Ruby steps (vagga-inventory.md §1.4): `!GemConfig` settings, the
 * distribution features, and the argv of gem and bundler, after Vagga's gem steps:
 * `gem update --system --no-document` (with REALLY_GEM_UPDATE_SYSTEM=1) unless `update-gem:
 * false`, a `gem-exe` is given, or the distribution's RubyGems refuses (Debian, Ubuntu); `gem install --bindir
 * /usr/local/bin --no-document GEMS`; `bundle install --system --binstubs /usr/local/bin
 * --gemfile FILE [--without G...] [--trust-policy P]`. Ruby, its headers and bundler come
 * from the distribution (Debian `ruby`, `ruby-dev`, `bundler`), not from `gem install bundler`.
 */
import { VaggaError } from '../../errors/vagga-error.js';
import type { Feature } from '../lang/features.js';

/** `!GemConfig` parameters (and the settings in force when none was given). */
export interface GemSettings {
  installRuby: boolean;
  gemExe?: string;
  updateGem: boolean;
}

/** Vagga's defaults, in force until a `!GemConfig` step. */
export const DEFAULT_GEM_SETTINGS: Readonly<GemSettings> = { installRuby: true, updateGem: true };

/** Vagga's default gem program. */
export const DEFAULT_GEM_EXE = '/usr/bin/gem';
/** Where gem and bundler put executables. */
export const GEM_BIN_DIR = '/usr/local/bin';
/** Cache dir name of the gem cache (mounted at `<gemdir>/cache`). */
export const GEMS_CACHE_NAME = 'gems-cache';

/** `!GemBundle` parameters. */
export interface GemBundleParams {
  gemfile: string;
  without: string[];
  trustPolicy?: string;
}

/** The trust policies bundler accepts. */
export const VALID_TRUST_POLICIES = ['LowSecurity', 'MediumSecurity', 'HighSecurity'] as const;

/** The gem program in use. */
export function gemExe(s: GemSettings): string {
  return s.gemExe ?? DEFAULT_GEM_EXE;
}

/** Features for gem steps: build tools, ruby + headers (unless `install-ruby: false`), https; bundler and git for bundles. */
export function gemFeatures(s: GemSettings, bundle?: { needsGit: boolean }): Feature[] {
  const out: Feature[] = ['build-essential'];
  if (s.installRuby) out.push('ruby', 'ruby-dev');
  out.push('https');
  if (bundle) {
    out.push('bundler');
    if (bundle.needsGit) out.push('git');
  }
  return out;
}

/** Whether a Gemfile fetches gems from git (Vagga's check: `git ... do`, `:git =>`, `git_source(...)`). */
export function gemfileNeedsGit(text: string): boolean {
  return /(git .*? do)|(:(git|github|gist|bitbucket) =>)|(git_source\(.*?\))/.test(text);
}

/**
 * argv of the RubyGems self-update, or undefined when it is not done: `gem-exe` given,
 * `update-gem: false`, or on Debian/Ubuntu (`distro`), whose packaged RubyGems refuses to
 * update itself ("Your RubyGems was installed trough APT, and upgrading it through RubyGems
 * itself is unsupported"; deviation from Vagga, which tried with REALLY_GEM_UPDATE_SYSTEM).
 */
export function gemUpdateArgv(s: GemSettings, distro?: string): string[] | undefined {
  if (s.gemExe !== undefined || !s.updateGem) return undefined;
  if (distro === 'debian' || distro === 'ubuntu') return undefined;
  return [DEFAULT_GEM_EXE, 'update', '--system', '--no-document'];
}

/** Env of the self-update: Debian's gem refuses `update --system` without it. */
export const GEM_UPDATE_ENV: Readonly<Record<string, string>> = { REALLY_GEM_UPDATE_SYSTEM: '1' };

/** `gem install --bindir /usr/local/bin --no-document GEMS`. */
export function gemInstallArgv(s: GemSettings, gems: readonly string[]): string[] {
  return [gemExe(s), 'install', '--bindir', GEM_BIN_DIR, '--no-document', ...gems];
}

/** Shell command printing the gem dir into `out` (to find where the gem cache is mounted). */
export function gemDirScript(s: GemSettings, out: string): string[] {
  return ['/bin/sh', '-c', `"$0" env gemdir > '${out}'`, gemExe(s)];
}

/**
 * `bundle install ...` for `!GemBundle`. Throws VaggaError (121) with Vagga's message for an
 * unknown trust policy: `Value of 'GemBundle.trust_policy' must be 'LowSecurity',
 * 'MediumSecurity' or 'HighSecurity', 'x' given`.
 */
export function bundleInstallArgv(p: GemBundleParams): string[] {
  const argv = ['bundle', 'install', '--system', '--binstubs', GEM_BIN_DIR, '--gemfile', p.gemfile];
  if (p.without.length > 0) argv.push('--without', ...p.without);
  if (p.trustPolicy !== undefined) {
    if (!(VALID_TRUST_POLICIES as readonly string[]).includes(p.trustPolicy)) {
      throw new VaggaError(
        `Value of 'GemBundle.trust_policy' must be '${VALID_TRUST_POLICIES[0]}', '${VALID_TRUST_POLICIES[1]}' or '${VALID_TRUST_POLICIES[2]}', '${p.trustPolicy}' given`,
        { code: 'build.bad-step-option' },
      );
    }
    argv.push('--trust-policy', p.trustPolicy);
  }
  return argv;
}

/** Hint for a failed gem or bundler run. */
export const GEM_FAILURE_ADVICE =
  'gem and bundler download from the default RubyGems source unless told otherwise. If it is not reachable from this\n' +
  'machine, use a reachable mirror: `source "http://gems-mirror.example/"` in the Gemfile, or for gem\n' +
  'a system gemrc, e.g. `- !Text { /etc/gemrc: ":sources: [http://gems-mirror.example/]\\n" }` before the\n' +
  'step. The RubyGems self-update (`gem update --system`, not done on Debian/Ubuntu) is skipped with\n' +
  '`!GemConfig { update-gem: false }`.';
