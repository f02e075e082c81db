/**
 * Schemas for `containers:` entries (vagga-inventory.md §1.3) and their setup steps (§1.4).
 * Step tags and parameters are owned by the StepDefs in src/steps/; validation receives them
 * as a StepSchemas value (the step registry, src/steps/registry.ts), never imports them.
 */
import type { ContainerConfig, ContainerImageConfig, IdRange, StepConfig } from './model.js';
import { isNull, type QNode } from './qnode.js';
import {
  absPath, bool, custom, def, fail, list, map, opt, parseQuireInt, str, struct, unknownTagHint, type ParseCtx, type Schema,
} from './schema.js';
import { containerPath } from './container-path.js';
import { volumePositions, volumes } from './volumes.js';

const MAX_ID = 2 ** 32 - 2;

/**
 * An id range: `"0-65535"` (inclusive) or a single id `"5"` -> {start, end} (end inclusive).
 * Errors: not a range, start > end, out of 0..2^32-2.
 */
export const idRange: Schema<IdRange> = custom('an id range like 0-65535', (node, ctx) => {
  if (node.kind !== 'scalar' || node.tag !== undefined || isNull(node)) fail(ctx, node, 'Expected an id range like "0-65535" or a single id');
  const m = /^\s*([^-\s]+)\s*(?:-\s*([^-\s]+)\s*)?$/.exec(node.text);
  const start = m ? parseQuireInt(m[1]!) : undefined;
  const end = m ? (m[2] === undefined ? start : parseQuireInt(m[2])) : undefined;
  if (start === undefined || end === undefined) fail(ctx, node, `Expected an id range like "0-65535" or a single id, got ${JSON.stringify(node.text)}`);
  if (start < 0 || end > MAX_ID) fail(ctx, node, `Id range ${JSON.stringify(node.text)} is outside 0-${MAX_ID}`);
  if (start > end) fail(ctx, node, `Id range ${JSON.stringify(node.text)} starts after it ends`);
  return { start, end };
});

const DEFAULT_IDS: IdRange[] = [{ start: 0, end: 65535 }];

/** `uids`/`gids`: a list of id ranges; absent, null or empty -> [0-65535]. */
export const idRanges: Schema<IdRange[]> = {
  describe: 'a list of id ranges',
  optional: true,
  parse(node, ctx) {
    const ranges = isNull(node) ? [] : list(idRange).parse(node, ctx);
    return ranges.length > 0 ? ranges : DEFAULT_IDS.map((r) => ({ ...r }));
  },
};

/** What the config stage needs of one setup step type (a StepDef of src/steps/ is one). */
export interface StepSchema {
  /** Validates the step's node (tag removed) into its parameters. */
  schema: Schema<unknown>;
  /** Containers the step needs built first (`!Container`, `!Build`); absent: none. */
  dependsOn?(params: any): string[];
}

/** Every setup step type the config accepts, by tag without `!` (in the order tags are listed in errors). */
export type StepSchemas = ReadonlyMap<string, StepSchema>;

/**
 * One setup step: the node's tag selects the step type in `steps` (`The tag X is not
 * expected` when unknown); its `schema` validates the node with the tag removed.
 */
export function setupStep(steps: StepSchemas): Schema<StepConfig> {
  return custom('a setup step', (node, ctx) => {
    if (node.tag === undefined) {
      fail(ctx, node, `Setup steps must be tagged, one of the tags [${[...steps.keys()].map((t) => `!${t}`).join(', ')}] expected`);
    }
    const def = steps.get(node.tag);
    if (def === undefined) fail(ctx, node, `The tag ${node.tag} is not expected`, unknownTagHint(node.tag, steps.keys()));
    const untagged = { ...node } as QNode;
    delete untagged.tag;
    return { tag: node.tag, params: def.schema.parse(untagged, ctx), pos: node.pos };
  });
}

/**
 * A path-or-null field: absent -> `fallback`, explicit null (`~`) -> null (do not bind the
 * host file), otherwise an absolute path.
 */
function pathOrNull(fallback: string): Schema<string | null> {
  return {
    describe: 'an absolute path or null',
    optional: true,
    parse: (node, ctx) => (node === undefined ? fallback : isNull(node) ? null : containerPath().parse(node, ctx)),
  };
}

/** A command of an image: a list of strings (exec form), or a string run by `/bin/sh -c` (shell form). */
const imageCommand: Schema<string[]> = custom('a list of strings or a shell command string', (node, ctx) => {
  if (node.kind === 'seq') return list(str()).parse(node, ctx);
  return ['/bin/sh', '-c', str().parse(node, ctx)];
});

/** A port: `8080` (tcp), `8080/tcp`, `53/udp` or `.../sctp` -> `8080/tcp`. */
export const imagePort: Schema<string> = custom('a port like 8080 or 53/udp', (node, ctx) => {
  const text = str().parse(node, ctx).trim();
  const m = /^(\d+)(?:\/(tcp|udp|sctp))?$/.exec(text);
  const n = m ? Number(m[1]) : NaN;
  if (!m || n < 1 || n > 65535) fail(ctx, node, `Expected a port like 8080 or 53/udp (1-65535), got ${JSON.stringify(text)}`);
  return `${n}/${m[2] ?? 'tcp'}`;
});

/** The `image:` section of a container (ContainerImageConfig; not in Vagga). */
export const imageSection: Schema<ContainerImageConfig> = struct({
  entrypoint: opt(imageCommand),
  cmd: opt(imageCommand),
  'work-dir': opt(absPath()),
  user: opt(str()),
  'exposed-ports': def(list(imagePort), []),
  labels: def(map(str()), {}),
});

const containerFields = (steps: StepSchemas) => struct({
  setup: def(list(setupStep(steps)), []),
  environ: def(map(str()), {}),
  'environ-file': opt(containerPath({ relative: true })),
  volumes,
  uids: idRanges,
  gids: idRanges,
  'auto-clean': def(bool(), false),
  'image-cache-url': opt(str()),
  'data-dirs': def(list(containerPath()), []),
  'resolv-conf-path': pathOrNull('/etc/resolv.conf'),
  'hosts-file-path': pathOrNull('/etc/hosts'),
  'default-shell': def(list(str()), []),
  image: opt(imageSection),
});

/** Container definitions with setup steps of `steps`: the schema of the one named `name` (its key in `containers:`). */
export function containerSchema(steps: StepSchemas): (name: string) => Schema<ContainerConfig> {
  const fields = containerFields(steps);
  return (name) => custom('a container', (node: QNode, ctx: ParseCtx) => {
    const c = fields.parse(node, ctx);
    const out: ContainerConfig = {
      name,
      setup: c.setup,
      environ: c.environ,
      volumes: c.volumes,
      uids: c.uids,
      gids: c.gids,
      autoClean: c.autoClean,
      dataDirs: c.dataDirs,
      resolvConfPath: c.resolvConfPath,
      hostsFilePath: c.hostsFilePath,
      defaultShell: c.defaultShell,
      pos: node.pos,
    };
    if (Object.keys(c.volumes).length > 0) out.volumePositions = volumePositions(node);
    if (c.environFile !== undefined) out.environFile = c.environFile;
    if (c.imageCacheUrl !== undefined) out.imageCacheUrl = c.imageCacheUrl;
    if (c.image !== undefined) out.image = c.image;
    return out;
  });
}
