/**
 * Schema of one vagga.yaml-format file (main file or mixin): top-level keys of
 * vagga-inventory.md §1.2. Keys starting with `_` are ignored (they hold anchors).
 */
import type { AnyCommandConfig, ContainerConfig } from './model.js';
import { isNull, type QNode } from './qnode.js';
import { child, def, fail, list, opt, str, struct, validate, type ParseCtx, type Schema } from './schema.js';
import { containerSchema, type StepSchemas } from './containers.js';
import { commandSchema } from './commands.js';

/** What one file declares, before mixins are combined. */
export interface ConfigFile {
  minimumVagga?: string;
  /** As written: paths relative to this file. */
  mixins: string[];
  containers: Record<string, ContainerConfig>;
  commands: Record<string, AnyCommandConfig>;
}

/** A mapping whose value schema depends on the key (containers and commands are named by it). */
function named<T>(what: string, schemaFor: (name: string) => Schema<T>): Schema<Record<string, T>> {
  return {
    describe: `a mapping of ${what}`,
    optional: true,
    parse(node: QNode | undefined, ctx: ParseCtx) {
      const out: Record<string, T> = {};
      if (node === undefined || isNull(node)) return out;
      if (node.kind !== 'map' || node.tag !== undefined) fail(ctx, node, `Expected a mapping of ${what}`);
      for (const e of node.entries) out[e.key] = schemaFor(e.key).parse(e.value, child(ctx, node, `.${e.key}`));
      return out;
    },
  };
}

const fileSchema = (steps: StepSchemas) => struct({
  'minimum-vagga': opt(str()),
  mixins: def(list(str()), []),
  containers: named('containers', containerSchema(steps)),
  commands: named('commands', commandSchema),
});

/**
 * Validate a parsed file whose setup steps are of the types in `steps`.
 * Throws ConfigError (exit 126) at the first problem.
 */
export function validateConfigFile(steps: StepSchemas, root: QNode, warnings: string[]): ConfigFile {
  const v = validate(fileSchema(steps), root, warnings);
  const out: ConfigFile = { mixins: v.mixins, containers: v.containers, commands: v.commands };
  if (v.minimumVagga !== undefined) out.minimumVagga = v.minimumVagga;
  return out;
}

/**
 * The `minimum-vagga` value of a parsed file, read before validation (a too-new file must
 * report the version problem even when it uses tags this version does not know).
 */
export function rawMinimumVagga(root: QNode): string | undefined {
  if (root.kind !== 'map') return undefined;
  const entry = root.entries.find((e) => e.key === 'minimum-vagga' || e.key === 'minimum_vagga');
  return entry && entry.value.kind === 'scalar' && !isNull(entry.value) ? entry.value.text : undefined;
}
