/**
 * `!SubConfig {source: !Directory | !Container NAME | !Git {...}, path: vagga.yaml,
 * container, cache}` (vagga-inventory.md §1.4 "Other containers"): run the setup steps of
 * container `container` defined in another configuration file.
 *
 * Where the file is read (`path`, default vagga.yaml):
 *  - `!Directory` (the default): relative to /work (the project);
 *  - `!Container NAME`: in the root of container NAME, which is built first (dependsOn, as
 *    for `!Container`); `path` is relative to that root, may not contain `..`, and symlinks
 *    are followed inside the root only (chroot semantics), so a generated file never leads
 *    vagga to a host file;
 *  - `!Git {url, revision, branch}` (Vagga leaves it unimplemented): from a cached checkout
 *    of the commit (src/steps/git/subconfig-checkout.ts: url checks, commit resolution,
 *    cache), with the same path rules.
 * The file is read with the main config's dialect and validation (src/config/subconfig.ts)
 * on the host in `prepare` (which runs each sub-step's own `prepare`: downloads, mirrors;
 * for git it also fetches and checks out) and again in the builder, which builds the
 * sub-steps in order with the same BuildContext, so `!Env` values, cache dirs and the
 * active distribution carry over to later steps; `replay` (a `!Container` child of this
 * container) replays them. Sub-steps that need other containers built first (`!Container`,
 * `!Build`, nested `!SubConfig` from a container) are refused: the other file's containers
 * are not part of this build.
 * Hash (Vagga's): each sub-step's marker and fields; the source itself is not hashed. A
 * file that is not there yet (the source container not built at its current version, the
 * git commit not fetched) makes the version unknown (exit 29 for `_version_hash`; `_build`
 * builds first, then versions). Ours for git: `git_commit` + the commit id after the steps.
 */
import * as fs from 'node:fs';
import type { StepConfig } from '../config/model.js';
import { isNull } from '../config/qnode.js';
import { bool, def, fail, opt, str, struct, unknownTagHint, type Out, type Schema } from '../config/schema.js';
import { readSubConfigFile } from '../config/subconfig.js';
import { VaggaError } from '../errors/vagga-error.js';
import { containerNotFound, versionError } from '../version/errors.js';
import { rustJoin, workToHost } from '../version/paths.js';
import { inContainerRoot, resolveBuildPath, RootPathError, workToProject } from './root-path.js';
import { checkoutPath, knownCommit, prepareGitCheckout } from './git/subconfig-checkout.js';
import { resolveProjectPath } from '../config/project-path.js';
import type { BuildContext, StepDef, StepRegistry } from './step.js';

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
        return fail(ctx, node, `The tag ${node.tag} is not expected`, unknownTagHint(node.tag, ['Directory', 'Container', 'Git']));
    }
  },
};

const subConfigSchema = struct({
  source: subConfigSource,
  path: def(str(), 'vagga.yaml'),
  container: str(),
  cache: opt(bool()),
});

/** Validated `!SubConfig` parameters. */
export type SubConfigParams = Out<typeof subConfigSchema>;

/** Why `path` cannot name a file of a container root or a git checkout (relative, no `..`), or undefined. */
export function sourcePathProblem(path: string): string | undefined {
  if (path.startsWith('/')) return `path ${JSON.stringify(path)} must be relative (to the root of the source)`;
  if (path.split('/').includes('..')) return `path ${JSON.stringify(path)} may not contain ".."`;
  return undefined;
}

/**
 * The host path of `path` under `root` (a container root or a git checkout): symlinks
 * followed inside `root` only (chroot semantics: an absolute target starts again at
 * `root`), so nothing outside it is ever read. Throws RootPathError for an absolute path,
 * a `..` or a symlink loop.
 */
export function fileUnder(root: string, path: string): string {
  const problem = sourcePathProblem(path);
  if (problem) throw new RootPathError(`!SubConfig: ${problem}`);
  return inContainerRoot(root, `/${path}`);
}

/** How to read `p.source` in one place (host, builder): the root the file is under, or the project. */
interface SourcePlaces { root: string; projectRoot: string; cacheDir: string; externalVolumes?: readonly string[]; containerRoot(name: string): string }

/**
 * The file `p` names, as a path the caller can read: under /work for `!Directory` (it must
 * stay in the project), inside the built root of the source container, or inside the
 * checkout of the git commit. Throws VaggaError (121) when the commit's checkout is missing
 * (the host side prepares it), and what fileUnder and classifyGitUrl throw.
 */
function sourceFile(p: SubConfigParams, places: SourcePlaces): string {
  switch (p.source.kind) {
    case 'Directory':
      return resolveBuildPath(rustJoin('/work', p.path), places);
    case 'Container':
      return fileUnder(places.containerRoot(p.source.name), p.path);
    case 'Git': {
      const commit = knownCommit(p.source, { ...places, checkLocal: false });
      const dir = commit === undefined ? undefined : checkoutPath(places.cacheDir, commit);
      if (dir === undefined || !fs.existsSync(dir)) {
        throw new VaggaError(`!SubConfig: the checkout of ${JSON.stringify(p.source.url)} is not in the cache`, { code: 'build.source-missing' });
      }
      return fileUnder(dir, p.path);
    }
  }
}

/** Where the source of `p` is, for messages. */
function sourceName(p: SubConfigParams): string {
  if (p.source.kind === 'Container') return ` in container "${p.source.name}"`;
  if (p.source.kind === 'Git') return ` in ${p.source.url}`;
  return '';
}

/**
 * The setup steps of `p.container` in the file at `hostFile` (a path the caller can read),
 * validated with the step types of `registry`. Throws ConfigError (126) for an invalid
 * file, VaggaError (121) for a missing file or container, or a sub-step needing other containers.
 */
function subConfigSetup(registry: StepRegistry, p: SubConfigParams, hostFile: string): StepConfig[] {
  if (!fs.existsSync(hostFile)) {
    throw new VaggaError(`!SubConfig: ${JSON.stringify(p.path)}${sourceName(p)} does not exist`, {
      code: 'build.source-missing',
      hint: p.source.kind === 'Directory'
        ? 'The file is relative to the project directory; build the container that generates it first.'
        : 'The path is relative to the root of the source.',
    });
  }
  const c = readSubConfigFile(registry, hostFile).containers[p.container];
  if (!c) throw containerNotFound(p.container);
  for (const step of c.setup) {
    const def = registry.get(step.tag);
    if (def?.dependsOn && def.dependsOn(step.params).length > 0) {
      throw new VaggaError(`!SubConfig: step !${step.tag} of container "${p.container}" in ${p.path} needs another container, which is not supported`, {
        code: 'build.not-supported', hint: 'Inline the other container\'s steps into that container of the sub-configuration.',
      });
    }
  }
  return c.setup;
}

/** The places of a build (builder paths). */
function buildPlaces(ctx: BuildContext): SourcePlaces {
  return {
    root: ctx.root, projectRoot: ctx.projectRoot, cacheDir: ctx.cacheDir, externalVolumes: Object.values(ctx.settings.externalVolumes ?? {}),
    containerRoot: (name) => ctx.containerRoot(name),
  };
}

/** The `!SubConfig` step, running the other file's steps through `registry`. */
export const subConfigStepDefs = (registry: StepRegistry): StepDef<any>[] => [{
  tag: 'SubConfig',
  schema: subConfigSchema,
  hash(p, d, ctx) {
    let host: string | undefined;
    let commit: string | undefined;
    if (p.source.kind === 'Directory') {
      const containerPath = rustJoin('/work', p.path);
      host = workToProject('!SubConfig', containerPath, ctx.projectRoot, 'path');
      if (host === undefined) throw versionError('!SubConfig', `path ${JSON.stringify(containerPath)} is not inside /work`);
      if (!fs.existsSync(host)) ctx.unknown(`!SubConfig: ${JSON.stringify(containerPath)} does not exist yet`);
    } else {
      const problem = sourcePathProblem(p.path);
      if (problem) throw versionError('!SubConfig', problem);
      let root: string;
      if (p.source.kind === 'Container') {
        const built = ctx.builtRoot?.(p.source.name);
        if (built === undefined) return ctx.unknown(`!SubConfig: container "${p.source.name}" is not built at its current version yet`);
        root = built;
      } else {
        const cacheDir = ctx.cacheDir;
        if (cacheDir === undefined) return ctx.unknown('!SubConfig from git: the cache dir is not known here');
        let known: string | undefined;
        try {
          known = knownCommit(p.source, { projectRoot: ctx.projectRoot, cacheDir });
        } catch (e) {
          if (e instanceof VaggaError) throw versionError('!SubConfig', e.message);
          throw e;
        }
        if (known === undefined) return ctx.unknown(`!SubConfig: ${JSON.stringify(p.source.url)} is not fetched yet`);
        commit = known;
        root = checkoutPath(cacheDir, known);
        if (!fs.existsSync(root)) ctx.unknown(`!SubConfig: commit ${known} of ${JSON.stringify(p.source.url)} is not checked out yet`);
      }
      host = fileUnder(root, p.path);
      if (!fs.existsSync(host)) ctx.unknown(`!SubConfig: ${JSON.stringify(p.path)}${sourceName(p)} does not exist`);
    }
    const read = ctx.readConfigFile;
    if (!read) return ctx.unknown('!SubConfig: reading another configuration file is not available here');
    const sub = read.call(ctx, host);
    const c = sub.containers[p.container];
    if (!c) throw containerNotFound(p.container);
    for (const step of c.setup) {
      const defn = registry.get(step.tag);
      if (!defn) throw versionError('!SubConfig', `unknown step !${step.tag}`);
      d.marker(step.tag);
      defn.hash(step.params, d, ctx);
    }
    // Ours (Vagga has no git source): the commit pins the version.
    if (commit !== undefined) d.field('git_commit', commit);
  },
  dependsOn: (p) => (p.source.kind === 'Container' ? [p.source.name] : []),
  async prepare(p, ctx) {
    let host: string | undefined;
    if (p.source.kind === 'Directory') {
      // A file generated by an earlier build step does not exist yet: its steps are prepared
      // (and fail clearly if they need preparing) in the builder.
      const inWork = workToHost(rustJoin('/work', p.path), ctx.projectRoot);
      host = inWork === undefined ? undefined : resolveProjectPath(ctx.projectRoot, inWork, { key: 'path' });
    } else if (p.source.kind === 'Container') {
      const root = ctx.containerRoots?.[p.source.name];
      host = root === undefined ? undefined : fileUnder(root, p.path);
    } else {
      const places = { projectRoot: ctx.projectRoot, cacheDir: ctx.cacheDir, externalVolumes: Object.values(ctx.settings.externalVolumes ?? {}) };
      const problem = sourcePathProblem(p.path);
      if (problem) throw new RootPathError(`!SubConfig: ${problem}`);
      const commit = await prepareGitCheckout(p.source, places, ctx.log, ctx.signal);
      host = fileUnder(checkoutPath(ctx.cacheDir, commit), p.path);
      if (!fs.existsSync(host)) subConfigSetup(registry, p, host);
    }
    if (host === undefined || !fs.existsSync(host)) return;
    for (const step of subConfigSetup(registry, p, host)) await registry.get(step.tag)?.prepare?.(step.params, ctx);
  },
  async build(p, ctx) {
    const steps = subConfigSetup(registry, p, sourceFile(p, buildPlaces(ctx)));
    for (const [i, step] of steps.entries()) {
      const def = registry.get(step.tag);
      if (!def?.build) throw new VaggaError(`!SubConfig: step !${step.tag} is not supported yet`, { code: 'build.not-supported' });
      ctx.log.info(`  SubConfig step ${i + 1}/${steps.length}: !${step.tag}`);
      await def.build(step.params, ctx);
    }
  },
  replay(p, ctx) {
    for (const step of subConfigSetup(registry, p, sourceFile(p, buildPlaces(ctx)))) {
      registry.get(step.tag)?.replay?.(step.params, ctx);
    }
  },
} satisfies StepDef<SubConfigParams>];
