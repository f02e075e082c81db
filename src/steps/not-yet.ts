/**
 * Every other setup step the validator accepts (vagga-inventory.md §1.4): parsed with its
 * full schema and hashed exactly like Vagga (§1.4 "hash" column, §2.1), but with no `build`
 * yet, so the builder reports `Step !X is not supported yet`.
 *
 * Data-dependent hashes implemented: Py2/Py3Requirements (`line` per requirement, `-r`/`-c`
 * includes followed, cycles rejected), NpmDependencies and YarnDependencies (package.json
 * maps; yarn.lock must exist and cover them, else the version is unknown), GemBundle
 * (Gemfile lines, plus Vagga's quirk of hashing the Gemfile content when a Gemfile.lock
 * exists).
 * Version deliberately unknown (VersionUnknownError, exit 29) — documented gap:
 * ComposerDependencies (Vagga hashes composer.json/lock re-serialised as Rust JSON text,
 * which is not reproduced).
 * (The generic steps RunAs, TarInstall, Unzip, Git*, Build and SubConfig moved to their
 * own family files.)
 */
import * as fs from 'node:fs';
import { bool, def, list, opt, str, struct, type Schema } from '../config/schema.js';
import type { Digest } from '../version/digest.js';
import { versionError } from '../version/errors.js';
import { compareBytes, pathComponents, rustJoin, workToHost } from '../version/paths.js';
import type { StepDef, VersionContext } from './step.js';

/** Host path of a container path under /work, or a versioning error naming the step. */
function hostOf(containerPath: string, ctx: VersionContext, what: string): string {
  const host = workToHost(containerPath, ctx.projectRoot);
  if (host === undefined) throw versionError(what, `path ${JSON.stringify(containerPath)} is not inside /work`);
  return host;
}

function readText(hostPath: string, shown: string, what: string): string {
  try {
    return fs.readFileSync(hostPath, 'utf8');
  } catch (e) {
    throw versionError(what, `${shown}: ${(e as Error).message}`);
  }
}

function readJson(hostPath: string, shown: string, what: string): unknown {
  const text = readText(hostPath, shown, what);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw versionError(what, `bad json in ${JSON.stringify(shown)}: ${(e as Error).message}`);
  }
}

function simple<P>(tag: string, schema: Schema<P>, hash: StepDef<P>['hash'], extra: Partial<StepDef<P>> = {}): StepDef<P> {
  return { tag, schema, hash, ...extra };
}

const packagesStep = (tag: string) => simple(tag, list(str()), (p: string[], d) => d.list('packages', p));

// ---------------------------------------------------------------- python

const pipConfig = simple('PipConfig', struct({
  dependencies: def(bool(), false),
  'cache-wheels': def(bool(), true),
  'find-links': def(list(str()), [] as string[]),
  'index-urls': def(list(str()), [] as string[]),
  'trusted-hosts': def(list(str()), [] as string[]),
  'python-exe': opt(str()),
  'install-python': def(bool(), true),
  'allow-pre-releases': def(bool(), false),
  'get-pip-args': def(list(str()), [] as string[]),
}), (p, d) => {
  d.list('find_links', p.findLinks);
  d.list('index_urls', p.indexUrls);
  d.list('trusted_hosts', p.trustedHosts);
  d.field('dependencies', p.dependencies);
  d.field('cache_wheels', p.cacheWheels);
  d.field('install_python', p.installPython);
  if (p.allowPreReleases) d.field('allow_pre_releases', true);
  d.optField('python_exe', p.pythonExe);
  if (p.getPipArgs.length > 0) d.list('get_pip_args', p.getPipArgs);
});

const REQ_INCLUDE_PREFIXES = ['-r', '--requirement ', '--requirement=', '-c', '--constraint ', '--constraint='];

/** Parent of a relative path as Rust's `Path::parent` gives it (`a/b.txt` -> `a`, `b.txt` -> ``). */
function parentOf(p: string): string {
  const i = p.replace(/\/+$/, '').lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i === 0 ? 1 : i);
}

/**
 * Hash a requirements file as Vagga does: `line` per trimmed non-empty non-comment line;
 * `-r`/`-c` includes (relative to the including file) are hashed in place; a cycle is an
 * error. `fname` is relative to /work (as written in the config).
 */
export function hashRequirements(fname: string, digest: Digest, ctx: VersionContext, used: Set<string> = new Set()): void {
  const containerPath = rustJoin('/work', fname);
  let host = hostOf(containerPath, ctx, '!Py*Requirements');
  try {
    host = fs.realpathSync(host);
  } catch (e) {
    throw versionError('!Py*Requirements', `${containerPath}: ${(e as Error).message}`);
  }
  if (used.has(host)) throw versionError('!Py*Requirements', `Cyclic requirement: ${JSON.stringify(host)}`);
  used.add(host);
  for (const line of readText(host, containerPath, '!Py*Requirements').split('\n')) {
    const chunk = line.trim();
    if (chunk === '' || chunk.startsWith('#')) continue;
    const prefix = REQ_INCLUDE_PREFIXES.find((x) => chunk.startsWith(x));
    if (prefix !== undefined) {
      hashRequirements(rustJoin(parentOf(fname), chunk.slice(prefix.length).trim()), digest, ctx, used);
      continue;
    }
    digest.field('line', chunk);
  }
}

const requirementsStep = (tag: string) =>
  simple(tag, def(str(), 'requirements.txt'), (fname: string, d, ctx) => hashRequirements(fname, d, ctx));

// ---------------------------------------------------------------- node

const npmConfig = simple('NpmConfig', struct({
  'npm-exe': def(str(), 'npm'),
  'yarn-exe': def(str(), '/usr/bin/yarn'),
  'yarn-version': opt(str()),
  'install-node': def(bool(), true),
  'install-yarn': def(bool(), true),
}), (p, d) => {
  d.field('npm_exe', p.npmExe);
  d.field('install_node', p.installNode);
  if (!p.installYarn) d.field('install_yarn', false);
  if (p.yarnExe !== 'yarn') d.field('yarn_exe', p.yarnExe);
  d.optField('yarn_version', p.yarnVersion);
});

function jsonObject(data: unknown, key: string): Record<string, unknown> | undefined {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined;
  const v = (data as Record<string, unknown>)[key];
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** Feed one dependency map of package.json: field `<name>` = `<range>` (non-string -> `*`), names sorted. */
export function hashNpmDeps(data: unknown, key: string, digest: Digest): void {
  const deps = jsonObject(data, key);
  if (!deps) return;
  for (const name of Object.keys(deps).sort(compareBytes)) {
    const v = deps[name];
    digest.field(name, typeof v === 'string' ? v : '*');
  }
}

const npmDependencies = simple('NpmDependencies', struct({
  file: def(str(), 'package.json'),
  package: def(bool(), true),
  dev: def(bool(), true),
  peer: def(bool(), false),
  bundled: def(bool(), true),
  optional: def(bool(), false),
}), (p, d, ctx) => {
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
});

/** The `name@range` patterns a yarn.lock (v1) covers: top-level keys, split on commas, quotes removed. */
export function yarnLockPatterns(text: string): Set<string> {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    if (line.startsWith(' ') || line.startsWith('#') || !line.endsWith(':')) continue;
    for (const m of line.slice(0, -1).matchAll(/"[^"]+"|[^,]+/g)) {
      let item = m[0].trim();
      if (item.length >= 2 && item.startsWith('"') && item.endsWith('"')) item = item.slice(1, -1);
      out.add(item);
    }
  }
  return out;
}

function lockCovers(data: unknown, key: string, patterns: Set<string>): boolean {
  const deps = jsonObject(data, key);
  if (!deps) return true;
  return Object.entries(deps).every(([k, v]) => typeof v !== 'string' || patterns.has(`${k}@${v}`));
}

const yarnDependencies = simple('YarnDependencies', struct({
  dir: def(str(), '.'),
  production: def(bool(), false),
  optional: def(bool(), false),
}), (p, d, ctx) => {
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
});

// ---------------------------------------------------------------- ruby

const gemConfig = simple('GemConfig', struct({
  'install-ruby': def(bool(), true),
  'gem-exe': opt(str()),
  'update-gem': def(bool(), true),
}), (p, d) => {
  d.field('install_ruby', p.installRuby);
  d.optField('gem_exe', p.gemExe);
  d.field('update_gem', p.updateGem);
});

const gemBundle = simple('GemBundle', struct({
  gemfile: def(str(), 'Gemfile'),
  without: def(list(str()), [] as string[]),
  'trust-policy': opt(str()),
}), (p, d, ctx) => {
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
});

// ---------------------------------------------------------------- php

const composerConfig = simple('ComposerConfig', struct({
  'install-runtime': def(bool(), true),
  'install-dev': def(bool(), false),
  'runtime-exe': opt(str()),
  'include-path': opt(str()),
  'keep-composer': def(bool(), false),
  'vendor-dir': opt(str()),
}), (p, d) => {
  d.optField('runtime_exe', p.runtimeExe);
  d.optField('include_path', p.includePath);
  d.field('install_runtime', p.installRuntime);
  d.field('install_dev', p.installDev);
  d.field('keep_composer', p.keepComposer);
  d.optField('vendor_dir', p.vendorDir);
});

const composerDependencies = simple('ComposerDependencies', struct({
  'working-dir': opt(str()),
  dev: def(bool(), true),
  prefer: opt(str()),
  'ignore-platform-reqs': def(bool(), false),
  'no-autoloader': def(bool(), false),
  'no-scripts': def(bool(), false),
  'no-plugins': def(bool(), false),
  'optimize-autoloader': def(bool(), false),
  'classmap-authoritative': def(bool(), false),
}), (_p, _d, ctx) => {
  ctx.unknown('!ComposerDependencies: hashing composer.json/composer.lock is not implemented yet');
});

/** Steps parsed and hashed but not buildable yet. */
export const steps: StepDef<any>[] = [
  pipConfig, packagesStep('Py2Install'), packagesStep('Py3Install'), requirementsStep('Py2Requirements'), requirementsStep('Py3Requirements'),
  npmConfig, packagesStep('NpmInstall'), npmDependencies, yarnDependencies,
  gemConfig, packagesStep('GemInstall'), gemBundle,
  composerConfig, packagesStep('ComposerInstall'), composerDependencies,
];
