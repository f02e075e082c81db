/**
 * `!SubConfig {source: !Directory | !Container NAME | !Git {...}, path: vagga.yaml,
 * container, cache}` (vagga-inventory.md §1.4 "Other containers"): run the setup steps of
 * container `container` defined in another configuration file.
 *
 * Supported: `source: !Directory` (the default): `path` is relative to /work. The file is
 * read with the main config's dialect and validation (src/config/subconfig.ts) on the
 * host in `prepare` (which runs each sub-step's own `prepare`: downloads, mirrors) and again
 * in the builder, which builds the sub-steps in order with the same BuildContext, so `!Env`
 * values, cache dirs and the active distribution carry over to later steps; `replay`
 * (a `!Container` child of this container) replays them. Sub-steps that need other
 * containers built first (`!Container`, `!Build`, nested `!SubConfig` from a container) are
 * refused: the other file's containers are not part of this build.
 * Not supported yet: `source: !Container` (its version can only be known after building
 * the other container) and `source: !Git` (unimplemented in Vagga as well).
 * Hash (unchanged from Vagga): each sub-step's marker and fields; a missing file makes the
 * version unknown (exit 29 for `_version_hash`, build first then version).
 */
import * as fs from 'node:fs';
import type { StepConfig } from '../config/model.js';
import { isNull } from '../config/qnode.js';
import { bool, def, fail, opt, str, struct, unknownTagHint, type Out, type Schema } from '../config/schema.js';
import { readSubConfigFile } from '../config/subconfig.js';
import { VaggaError } from '../errors/vagga-error.js';
import { containerNotFound, versionError } from '../version/errors.js';
import { rustJoin, workToHost } from '../version/paths.js';
import { resolveBuildPath, workToProject } from './root-path.js';
import { resolveProjectPath } from '../config/project-path.js';
import type { StepDef, StepRegistry } from './step.js';

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

function unsupported(p: SubConfigParams): VaggaError | undefined {
  if (p.source.kind === 'Directory') return undefined;
  return new VaggaError(`!SubConfig from ${p.source.kind === 'Container' ? 'a container' : 'git'} is not supported yet`, {
    code: 'build.not-supported',
    hint: 'Generate the file into the project (e.g. with a command) and use `source: !Directory` (the default).',
  });
}

const subConfigSchema = struct({
  source: subConfigSource,
  path: def(str(), 'vagga.yaml'),
  container: str(),
  cache: opt(bool()),
});

/** Validated `!SubConfig` parameters. */
export type SubConfigParams = Out<typeof subConfigSchema>;

/**
 * The setup steps of `p.container` in the file at `hostFile` (a path the caller can read),
 * validated with the step types of `registry`. Throws ConfigError (126) for an invalid
 * file, VaggaError (121) for a missing container or a sub-step needing other containers.
 */
function subConfigSetup(registry: StepRegistry, p: SubConfigParams, hostFile: string): StepConfig[] {
  if (!fs.existsSync(hostFile)) {
    throw new VaggaError(`!SubConfig: ${JSON.stringify(p.path)} does not exist`, {
      code: 'build.source-missing', hint: 'The file is relative to the project directory; build the container that generates it first.',
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

/** The `!SubConfig` step, running the other file's steps through `registry`. */
export const subConfigStepDefs = (registry: StepRegistry): StepDef<any>[] => [{
  tag: 'SubConfig',
  schema: subConfigSchema,
  hash(p, d, ctx) {
    if (p.source.kind === 'Container') ctx.unknown('!SubConfig from a container needs that container built first');
    if (p.source.kind === 'Git') ctx.unknown('!SubConfig from git is not implemented');
    const containerPath = rustJoin('/work', p.path);
    const host = workToProject('!SubConfig', containerPath, ctx.projectRoot, 'path');
    if (host === undefined) throw versionError('!SubConfig', `path ${JSON.stringify(containerPath)} is not inside /work`);
    if (!fs.existsSync(host)) ctx.unknown(`!SubConfig: ${JSON.stringify(containerPath)} does not exist yet`);
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
  },
  dependsOn: (p) => (p.source.kind === 'Container' ? [p.source.name] : []),
  async prepare(p, ctx) {
    const err = unsupported(p);
    if (err) throw err;
    // A file generated by an earlier build step does not exist yet: its steps are prepared
    // (and fail clearly if they need preparing) in the builder.
    const inWork = workToHost(rustJoin('/work', p.path), ctx.projectRoot);
    const host = inWork === undefined ? undefined : resolveProjectPath(ctx.projectRoot, inWork, { key: 'path' });
    if (host === undefined || !fs.existsSync(host)) return;
    for (const step of subConfigSetup(registry, p, host)) await registry.get(step.tag)?.prepare?.(step.params, ctx);
  },
  async build(p, ctx) {
    const err = unsupported(p);
    if (err) throw err;
    const steps = subConfigSetup(registry, p, resolveBuildPath(rustJoin('/work', p.path), ctx));
    for (const [i, step] of steps.entries()) {
      const def = registry.get(step.tag);
      if (!def?.build) throw new VaggaError(`!SubConfig: step !${step.tag} is not supported yet`, { code: 'build.not-supported' });
      ctx.log.info(`  SubConfig step ${i + 1}/${steps.length}: !${step.tag}`);
      await def.build(step.params, ctx);
    }
  },
  replay(p, ctx) {
    if (p.source.kind !== 'Directory') return;
    for (const step of subConfigSetup(registry, p, resolveBuildPath(rustJoin('/work', p.path), ctx))) {
      registry.get(step.tag)?.replay?.(step.params, ctx);
    }
  },
} satisfies StepDef<SubConfigParams>];
