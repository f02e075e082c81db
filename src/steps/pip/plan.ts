/**
 * Pure planning for the pip steps (vagga-inventory.md §1.4, §2.6): the `!PipConfig` settings,
 * the distribution features, pip's argv and environment, and the cache mounts.
 * Vagga fetches get-pip.py and runs pip from /tmp/pip-install; we use the distribution's pip
 * (Debian `python3-pip`, removed again at the end of the build like Vagga's temporary pip),
 * so `get-pip-args` has no effect (a warning says so). The argv is Vagga's:
 * `PYTHON -m pip install --ignore-installed [--index-url=U1 --extra-index-url=U2...]
 * [--trusted-host H]... [--no-deps] [--find-links=L]... [--pre] PKGS | --requirement FILE`.
 */
import type { Feature } from '../lang/features.js';

/** `!PipConfig` parameters (and the settings in force when none was given). */
export interface PipSettings {
  dependencies: boolean;
  cacheWheels: boolean;
  findLinks: string[];
  indexUrls: string[];
  trustedHosts: string[];
  pythonExe?: string;
  installPython: boolean;
  allowPreReleases: boolean;
  getPipArgs: string[];
}

/** Vagga's defaults, in force until a `!PipConfig` step. */
export const DEFAULT_PIP_SETTINGS: Readonly<PipSettings> = {
  dependencies: false, cacheWheels: true, findLinks: [], indexUrls: [], trustedHosts: [],
  installPython: true, allowPreReleases: false, getPipArgs: [],
};

/** Python major version of a step (`!Py2*` or `!Py3*`). */
export type PyVersion = 2 | 3;

/** Container path of pip's cache (PIP_CACHE_DIR). */
export const PIP_CACHE_DIR = '/tmp/pip-cache';

/** Cache mounts for pip: container path -> cache dir name (`ident` distinguishes wheel builds, e.g. `x86_64-debian-bookworm`). */
export function pipCacheMounts(settings: PipSettings, ident: string): Array<[string, string]> {
  const out: Array<[string, string]> = [[`${PIP_CACHE_DIR}/http`, 'pip-cache-http']];
  if (settings.cacheWheels) out.push([`${PIP_CACHE_DIR}/wheels`, `pip-cache-wheels-${ident}`]);
  return out;
}

/** Build env additions kept for later steps (Vagga sets PIP_CACHE_DIR). */
export const PIP_BUILD_ENV: Readonly<Record<string, string>> = { PIP_CACHE_DIR };

/**
 * Env for pip runs only: the distribution's pip refuses to install into the system Python
 * without PIP_BREAK_SYSTEM_PACKAGES (PEP 668, Debian 12 and later; older pips ignore it), and
 * the version self-check would reach out to the index.
 */
export const PIP_RUN_ENV: Readonly<Record<string, string>> = {
  PIP_BREAK_SYSTEM_PACKAGES: '1',
  PIP_DISABLE_PIP_VERSION_CHECK: '1',
  PIP_NO_INPUT: '1',
};

/** The python executable: `python-exe`, else `python2`/`python3`. */
export function pythonExe(settings: PipSettings, ver: PyVersion): string {
  return settings.pythonExe ?? `python${ver}`;
}

/** Features for installing `specs` with Python `ver` (Vagga's scan_features: git/hg for VCS specs). */
export function pipFeatures(settings: PipSettings, ver: PyVersion, specs: readonly string[]): Feature[] {
  const out: Feature[] = ['build-essential'];
  if (settings.installPython) out.push(ver === 2 ? 'python2' : 'python3', ver === 2 ? 'python2-dev' : 'python3-dev');
  out.push(ver === 2 ? 'pip-py2' : 'pip-py3');
  for (const s of specs) {
    if (s.startsWith('git+')) out.push('git');
    if (s.startsWith('hg+')) out.push('mercurial');
    if (s.startsWith('git+https') || s.startsWith('hg+https')) out.push('https');
  }
  return [...new Set(out)];
}

/** `PYTHON -m pip install --ignore-installed ...options` without the packages. */
export function pipInstallPrefix(settings: PipSettings, ver: PyVersion): string[] {
  const argv = [pythonExe(settings, ver), '-m', 'pip', 'install', '--ignore-installed'];
  settings.indexUrls.forEach((u, i) => argv.push(i === 0 ? `--index-url=${u}` : `--extra-index-url=${u}`));
  for (const h of settings.trustedHosts) argv.push('--trusted-host', h);
  if (!settings.dependencies) argv.push('--no-deps');
  for (const l of settings.findLinks) argv.push(`--find-links=${l}`);
  if (settings.allowPreReleases) argv.push('--pre');
  return argv;
}

/** argv of `!PyNInstall [specs]`. */
export function pipInstallArgv(settings: PipSettings, ver: PyVersion, specs: readonly string[]): string[] {
  return [...pipInstallPrefix(settings, ver), ...specs];
}

/** argv of `!PyNRequirements FILE` (FILE relative to /work, the cwd). */
export function pipRequirementsArgv(settings: PipSettings, ver: PyVersion, file: string): string[] {
  return [...pipInstallPrefix(settings, ver), '--requirement', file];
}

/**
 * The requirement lines of a requirements file text (trimmed, no blanks or comments), used
 * to pick features (git/hg) like Vagga; includes are left to pip.
 */
export function requirementLines(text: string): string[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
}

/** Hint for a failed pip run: which setting points pip at a reachable index. */
export function pipFailureAdvice(settings: PipSettings, ver: PyVersion): string {
  const index = settings.indexUrls.length > 0 ? `the index ${settings.indexUrls.join(', ')}` : 'the default index (PyPI)';
  const lines = [
    `pip installs from ${index}. If it is not reachable from this machine, point pip at a reachable`,
    'index or mirror, or at local files, with a `!PipConfig` step before this one, e.g.:',
    '    - !PipConfig',
    '      index-urls: [http://pypi-mirror.example/simple/]',
    '      trusted-hosts: [pypi-mirror.example]   # for a plain-http mirror',
    '      find-links: [/work/wheels]             # or local wheels/sdists',
  ];
  if (ver === 2) lines.push('Python 2 and its pip are not packaged in current Debian suites (bookworm has neither).');
  return lines.join('\n');
}
