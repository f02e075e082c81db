/**
 * Every other setup step the validator accepts (vagga-inventory.md §1.4): parsed with its
 * full schema and hashed exactly like Vagga (§1.4 "hash" column, §2.1), but with no `build`
 * yet, so the builder reports `Step !X is not supported yet`.
 *
 * Data-dependent hashes implemented: Py2/Py3Requirements (`line` per requirement, `-r`/`-c`
 * includes followed, cycles rejected), NpmDependencies and YarnDependencies (package.json
 * maps; yarn.lock must exist and cover them, else the version is unknown), GemBundle
 * (Gemfile lines, plus Vagga's quirk of hashing the Gemfile content when a Gemfile.lock
 * exists), GitDescribe (`git describe` run on the host), SubConfig from a directory (the
 * file is read through VersionContext.readConfigFile; missing file -> unknown).
 * Version deliberately unknown (VersionUnknownError, exit 29) — documented gaps:
 * ComposerDependencies (Vagga hashes composer.json/lock re-serialised as Rust JSON text,
 * which is not reproduced), `!Build` with `content-hash` and `!SubConfig` from a container
 * (both need the other container built), `!SubConfig` from git (unimplemented in Vagga too).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { absPath, bool, custom, def, fail, int, list, opt, str, struct, type Schema } from '../config/schema.js';
import { isNull } from '../config/qnode.js';
import type { Digest } from '../version/digest.js';
import { containerNotFound, versionError } from '../version/errors.js';
import { compareBytes, pathComponents, rustJoin, workToHost } from '../version/paths.js';
import { lookupStep } from './lookup.js';
import type { StepDef, VersionContext } from './step.js';

const DEFAULT_SCRIPT = './configure --prefix=/usr\nmake\nmake install\n';

/** Tag-only steps whose value must be null (e.g. `!UbuntuUniverse`). */
function nothing(): Schema<null> {
  return custom('nothing', (node, ctx) => {
    if (!isNull(node)) fail(ctx, node, 'Expected nothing (null)');
    return null;
  });
}

/** `hash`=sha256 when given, else `url` (download-based steps). */
function hashOrUrl(p: { url: string; sha256?: string }, digest: Digest): void {
  if (p.sha256 !== undefined) digest.field('hash', p.sha256);
  else digest.field('url', p.url);
}

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

// ---------------------------------------------------------------- distributions

const alpine = simple('Alpine', str(), (v: string, d) => d.field('version', v));

const alpineRepo = simple('AlpineRepo', struct({ url: opt(str()), branch: opt(str()), repo: str(), tag: opt(str()) }),
  (p, d) => {
    d.optField('url', p.url);
    d.optField('branch', p.branch);
    d.field('repo', p.repo);
    d.optField('tag', p.tag);
  });

const ubuntu = simple('Ubuntu', str(), (v: string, d) => d.field('codename', v));

const ubuntuRelease = simple('UbuntuRelease', struct({
  codename: opt(str()),
  version: opt(str()),
  url: opt(str()),
  arch: def(str(), 'amd64'),
  'keep-chfn-command': def(bool(), false),
  eatmydata: def(bool(), true),
}), (p, d) => {
  d.optField('codename', p.codename);
  d.optField('version', p.version);
  d.optField('url', p.url);
  d.field('arch', p.arch);
  d.field('keep_chfn_command', p.keepChfnCommand);
});

const ubuntuUniverse = simple('UbuntuUniverse', nothing(), () => {});

const ubuntuRepo = simple('UbuntuRepo', struct({
  url: opt(str()),
  suite: opt(str()),
  components: list(str()),
  trusted: def(bool(), false),
}), (p, d) => {
  d.optField('url', p.url);
  d.optField('suite', p.suite);
  d.list('components', p.components);
  d.field('trusted', p.trusted);
});

const ubuntuPpa = simple('UbuntuPPA', str(), (v: string, d) => d.field('ppa_name', v));

const aptTrust = simple('AptTrust', struct({ server: opt(str()), keys: def(list(str()), [] as string[]) }), (p, d) => {
  d.optField('server', p.server);
  d.list('keys', p.keys);
});

const repo = simple('Repo', str(), (v: string, d) => d.field('name', v));

// ---------------------------------------------------------------- other containers

/** `!SubConfig` `source`: `!Directory` (default), `!Container name` or `!Git {...}`. */
export type SubConfigSource =
  | { kind: 'Directory' }
  | { kind: 'Container'; name: string }
  | { kind: 'Git'; url: string; revision?: string; branch?: string };

const gitSourceSchema = struct({ url: str(), revision: opt(str()), branch: opt(str()) });

const subConfigSource: Schema<SubConfigSource> = {
  describe: 'a tagged source',
  optional: true,
  parse(node, ctx) {
    if (node === undefined || (isNull(node) && node.kind === 'scalar' && node.tag === undefined)) return { kind: 'Directory' };
    const untagged = { ...node, tag: undefined } as typeof node;
    switch (node.tag) {
      case 'Directory':
        if (!isNull(untagged)) fail(ctx, node, 'Expected nothing (null)');
        return { kind: 'Directory' };
      case 'Container':
        return { kind: 'Container', name: str().parse(untagged, ctx) };
      case 'Git':
        return { kind: 'Git', ...gitSourceSchema.parse(untagged, ctx) };
      case undefined:
        return fail(ctx, node, 'One of the tags [!Directory, !Container, !Git] expected');
      default:
        return fail(ctx, node, `The tag ${node.tag} is not expected`);
    }
  },
};

const subConfig = simple('SubConfig', struct({
  source: subConfigSource,
  path: def(str(), 'vagga.yaml'),
  container: str(),
  cache: opt(bool()),
}), (p, d, ctx) => {
  if (p.source.kind === 'Container') ctx.unknown('!SubConfig from a container needs that container built first');
  if (p.source.kind === 'Git') ctx.unknown('!SubConfig from git is not implemented');
  const containerPath = rustJoin('/work', p.path);
  const host = hostOf(containerPath, ctx, '!SubConfig');
  if (!fs.existsSync(host)) ctx.unknown(`!SubConfig: ${JSON.stringify(containerPath)} does not exist yet`);
  const read = ctx.readConfigFile;
  if (!read) return ctx.unknown('!SubConfig: reading another configuration file is not available here');
  const sub = read.call(ctx, host);
  const c = sub.containers[p.container];
  if (!c) throw containerNotFound(p.container);
  for (const step of c.setup) {
    const defn = lookupStep(step.tag);
    if (!defn) throw versionError('!SubConfig', `unknown step !${step.tag}`);
    d.marker(step.tag);
    defn.hash(step.params, d, ctx);
  }
}, { dependsOn: (p) => (p.source.kind === 'Container' ? [p.source.name] : []) });

const build = simple('Build', struct({
  container: str(),
  source: def(absPath(), '/'),
  path: opt(absPath()),
  'temporary-mount': opt(absPath()),
  rules: def(list(str()), [] as string[]),
  'content-hash': def(bool(), false),
}), (p, d, ctx) => {
  if (p.contentHash) ctx.unknown('!Build with content-hash needs the source container built first');
  // Vagga hashes only the source container's steps here: its own parameters are not hashed.
  ctx.inlineSteps(p.container, d);
}, { dependsOn: (p) => [p.container] });

// ---------------------------------------------------------------- generic execution

const runAs = simple('RunAs', struct({
  'user-id': def(int({ min: 0 }), 0),
  'group-id': def(int({ min: 0 }), 0),
  'supplementary-gids': def(list(int({ min: 0 })), [] as number[]),
  'external-user-id': opt(int({ min: 0 })),
  'work-dir': def(str(), '/work'),
  'isolate-network': def(bool(), false),
  script: str(),
}), (p, d) => {
  d.field('user_id', p.userId);
  d.field('group_id', p.groupId);
  d.optField('external_user_id', p.externalUserId);
  d.list('supplementary_gids', p.supplementaryGids);
  d.field('work_dir', p.workDir);
  d.field('isolate_network', p.isolateNetwork);
  d.field('script', p.script);
});

const tarInstall = simple('TarInstall', struct({
  url: str(),
  sha256: opt(str()),
  subdir: opt(str()),
  script: def(str(), DEFAULT_SCRIPT),
}), (p, d) => {
  hashOrUrl(p, d);
  d.optField('subdir', p.subdir);
  d.field('script', p.script);
});

const unzip = simple('Unzip', struct({
  url: str(),
  sha256: opt(str()),
  path: def(absPath(), '/'),
  subdir: def(str(), ''),
}), (p, d) => {
  hashOrUrl(p, d);
  d.field('path', p.path);
  d.field('subdir', p.subdir);
});

const git = simple('Git', struct({ url: str(), revision: opt(str()), branch: opt(str()), path: absPath() }), (p, d) => {
  d.field('url', p.url);
  d.optField('revision', p.revision);
  d.optField('branch', p.branch);
  d.field('path', p.path);
});

const gitInstall = simple('GitInstall', struct({
  url: str(),
  revision: opt(str()),
  branch: opt(str()),
  subdir: def(str(), '.'),
  script: def(str(), DEFAULT_SCRIPT),
}), (p, d) => {
  d.field('url', p.url);
  d.optField('revision', p.revision);
  d.optField('branch', p.branch);
  d.field('subdir', p.subdir);
  d.field('script', p.script);
});

/** `!GitDescribe` parameters (`repo` relative to /work unless absolute). */
export interface GitDescribeParams { repo: string; pattern?: string; outputFile?: string }

/**
 * `git describe` of the repository containing `hostDir` (annotated tags, 7-hex abbreviation,
 * optional `--match` glob), like libgit2's default describe Vagga uses. Throws a versioning
 * error with git's message on failure.
 */
export function gitDescribe(hostDir: string, pattern: string | undefined): string {
  const args = ['-c', 'safe.directory=*', '-C', hostDir, 'describe', '--abbrev=7'];
  if (pattern !== undefined) args.push('--match', pattern);
  const r = spawnSync('git', args, { encoding: 'utf8' });
  if (r.error) throw versionError('!GitDescribe', `can't run git: ${r.error.message}`);
  if (r.status !== 0) throw versionError('!GitDescribe', (r.stderr || `git describe exited with ${r.status}`).trim());
  return r.stdout.trim();
}

const gitDescribeStep = simple<GitDescribeParams>('GitDescribe', struct({
  repo: def(str(), '/work'),
  pattern: opt(str()),
  'output-file': opt(absPath()),
}, { shorthand: 'output-file' }), (p, d, ctx) => {
  const repoPath = rustJoin('/work', p.repo);
  d.field('repo', p.repo);
  d.optField('output_file', p.outputFile);
  d.field('describe', gitDescribe(hostOf(repoPath, ctx, '!GitDescribe'), p.pattern));
});

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
  alpine, alpineRepo, ubuntu, ubuntuRelease, ubuntuUniverse, ubuntuRepo, ubuntuPpa, aptTrust, repo,
  subConfig, build, runAs, tarInstall, unzip, git, gitInstall, gitDescribeStep,
  pipConfig, packagesStep('Py2Install'), packagesStep('Py3Install'), requirementsStep('Py2Requirements'), requirementsStep('Py3Requirements'),
  npmConfig, packagesStep('NpmInstall'), npmDependencies, yarnDependencies,
  gemConfig, packagesStep('GemInstall'), gemBundle,
  composerConfig, packagesStep('ComposerInstall'), composerDependencies,
];
