/**
 * apt/dpkg configuration written into a Debian root and the apt command lines vagga runs.
 * Pure: texts and argv only. Follows Vagga's Ubuntu setup (vagga-inventory.md §2.6: policy-rc.d
 * exit 101, dpkg force-unsafe-io, no recommends/suggests, `apt-get update` once, then
 * `apt-get install -y`; BuildDeps removal with `apt-mark auto` + `apt-get autoremove -y`, here
 * with `--purge` and only real dependencies counting),
 * apt-get(8), apt.conf(5), dpkg(1) and the policy-rc.d interface (invoke-rc.d(8)).
 */
import { mirrorKey } from './mirror.js';

/** A file vagga writes into the root: path relative to the root, content, mode. */
export interface RootFile {
  path: string;
  content: string;
  mode: number;
}

/** Content of /etc/apt/sources.list: the mirror's `main` component of the suite. */
export function sourcesListText(mirror: string, suite: string): string {
  return `# Written by vagga's !Debian step\ndeb ${mirror} ${suite} main\n`;
}

/** apt/dpkg settings every Debian container gets (kept in the image, like Vagga's). */
export function debianConfigFiles(mirror: string, suite: string): RootFile[] {
  return [
    { path: 'etc/apt/sources.list', content: sourcesListText(mirror, suite), mode: 0o644 },
    {
      path: 'etc/apt/apt.conf.d/00vagga',
      content: '// Written by vagga\'s !Debian step\nAPT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n',
      mode: 0o644,
    },
    { path: 'etc/dpkg/dpkg.cfg.d/00vagga-unsafe-io', content: '# Written by vagga\'s !Debian step\nforce-unsafe-io\n', mode: 0o644 },
    // invoke-rc.d asks policy-rc.d; 101 = "action not allowed": packages don't start services in builds.
    { path: 'usr/sbin/policy-rc.d', content: '#!/bin/sh\nexit 101\n', mode: 0o755 },
  ];
}

/** Files the bootstrap may have written that the files above replace (deb822 form of the sources). */
export const REPLACED_SOURCE_FILES = ['etc/apt/sources.list.d/debian.sources'];

/** Environment additions for later build steps once Debian is active. */
export const DEBIAN_BUILD_ENV: Readonly<Record<string, string>> = {
  DEBIAN_FRONTEND: 'noninteractive',
  LANG: 'C.UTF-8',
};

/** Cache dir name (under the cache dir) holding downloaded .debs, shared by all Debian builds. */
export const APT_ARCHIVES_CACHE = 'apt-archives-debian';

/** Container path of apt's .deb cache. */
export const APT_ARCHIVES_PATH = '/var/cache/apt/archives';

/** Container path of apt's package lists. */
export const APT_LISTS_PATH = '/var/lib/apt/lists';

/** Cache dir name of the package lists of one suite on one mirror. */
export function aptListsCacheName(suite: string, mirror: string): string {
  return `apt-lists-debian-${suite}-${mirrorKey(mirror)}`;
}

/** `apt-get update`. */
export function aptUpdateArgv(): string[] {
  return ['apt-get', 'update', '-q'];
}

/**
 * `apt-get install` of `packages` without recommends, keeping the downloaded .debs in the
 * (shared, bind-mounted) archives cache.
 */
export function aptInstallArgv(packages: readonly string[]): string[] {
  return ['apt-get', 'install', '-y', '-q', '--no-install-recommends', '-o', 'APT::Keep-Downloaded-Packages=true', ...packages];
}

/** `apt-mark auto PKGS`: makes build dependencies removable by autoremove. */
export function aptMarkAutoArgv(packages: readonly string[]): string[] {
  return ['apt-mark', 'auto', ...packages];
}

/** `apt-mark manual PKGS`: keeps packages out of autoremove's reach. */
export function aptMarkManualArgv(packages: readonly string[]): string[] {
  return ['apt-mark', 'manual', ...packages];
}

/**
 * `apt-get autoremove --purge -y`: removes build dependencies nothing else *depends* on, with
 * their configuration files. By default apt also keeps anything an installed package merely
 * recommends or suggests (APT::AutoRemove::RecommendsImportant and SuggestsImportant, see
 * apt.conf(5)); Debian's nodejs suggests npm, which would keep npm and ~400 build packages,
 * and node-gyp (an npm dependency) recommends build-essential, which would keep gcc, g++ and
 * make while npm is kept, so neither counts here: a kept package keeps what it depends on,
 * not what it recommends (vagga installs without recommends anyway). The caller protects
 * what the root had before the build (apt-run.ts removeBuildDeps).
 */
export function aptAutoremoveArgv(): string[] {
  return [
    'apt-get', 'autoremove', '--purge', '-y', '-q',
    '-o', 'APT::AutoRemove::SuggestsImportant=false', '-o', 'APT::AutoRemove::RecommendsImportant=false',
  ];
}

/**
 * Names of the installed packages in dpkg's status database text (`/var/lib/dpkg/status`,
 * deb822 stanzas, dpkg-query(1) `Status: want ok installed`). Pure.
 */
export function installedPackages(statusText: string): Set<string> {
  const out = new Set<string>();
  for (const stanza of statusText.split(/\n\s*\n/)) {
    const name = /^Package:\s*(\S+)/m.exec(stanza)?.[1];
    const status = /^Status:\s*(.*)$/m.exec(stanza)?.[1]?.trim().split(/\s+/);
    if (name !== undefined && status?.[2] === 'installed') out.add(name);
  }
  return out;
}

/**
 * Names of the packages apt marked as automatically installed in its extended states text
 * (`/var/lib/apt/extended_states`: stanzas `Package`, `Architecture`, `Auto-Installed: 1`). Pure.
 */
export function autoInstalledPackages(extendedStatesText: string): Set<string> {
  const out = new Set<string>();
  for (const stanza of extendedStatesText.split(/\n\s*\n/)) {
    const name = /^Package:\s*(\S+)/m.exec(stanza)?.[1];
    if (name !== undefined && /^Auto-Installed:\s*1\s*$/m.test(stanza)) out.add(name);
  }
  return out;
}

/**
 * The package name of an apt install spec, as used for removal: version (`=1.2`, `>=1.2`)
 * and release (`/bookworm`) suffixes stripped (Vagga strips `=`/`>=` for BuildDeps).
 */
export function packageName(spec: string): string {
  return spec.replace(/(>=|<=|=|\/).*$/, '');
}

/**
 * The build dependencies to remove at the end: those of `buildDeps` not in `kept` (by package
 * name: installed with `!Install`, or already in the root before the build), de-duplicated,
 * in first-seen order.
 */
export function buildDepsToRemove(buildDeps: readonly string[], kept: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const spec of buildDeps) {
    const name = packageName(spec);
    if (!kept.has(name) && !out.includes(name)) out.push(name);
  }
  return out;
}

/** Paths (relative to the root) whose contents are emptied at the end of a Debian build. */
export const APT_STATE_TO_CLEAR = ['var/lib/apt/lists'];

/** Files (relative to the root) removed at the end: apt's binary caches, rebuilt on demand. */
export const APT_FILES_TO_REMOVE = ['var/cache/apt/pkgcache.bin', 'var/cache/apt/srcpkgcache.bin'];

/** Logs (relative to the root) truncated at the end of a Debian build (Vagga clears apt/dpkg logs). */
export const LOGS_TO_TRUNCATE = ['var/log/dpkg.log', 'var/log/alternatives.log', 'var/log/apt/history.log', 'var/log/apt/term.log'];
