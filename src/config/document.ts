/**
 * Schema of one vagga.yaml-format file (main file or mixin): top-level keys of
 * vagga-inventory.md §1.2. Keys starting with `_` are ignored (they hold anchors).
 */
import type { AnyCommandConfig, ContainerConfig } from './model.js';
import { isNull, type QNode } from './qnode.js';
import { child, def, fail, list, opt, str, struct, validate, type ParseCtx, type Schema } from './schema.js';
import { ConfigError } from '../errors/vagga-error.js';
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

/**
 * A duplicated key of `map` (the top level, `containers`, `commands`) as a ConfigError at
 * the second occurrence. Elsewhere the dialect keeps the first value with a warning
 * (yaml-dialect.ts); here a second value silently dropped would lose a whole container or
 * command, or every container of a second `containers:` block. Vagga's parser (rust-quire)
 * keeps one of the values without a word; that is an accident of its map type, not a
 * feature, so we do not follow it.
 */
function rejectDuplicates(map: QNode, ctx: ParseCtx): void {
  if (map.kind !== 'map' || map.duplicates === undefined) return;
  const [dup] = map.duplicates;
  const first = map.entries.find((e) => e.key === dup!.key);
  throw new ConfigError('config.duplicate-key', `Duplicate key ${JSON.stringify(dup!.key)}${first ? ` (first at line ${first.keyPos.line})` : ''}`, dup!.keyPos, `${ctx.path}.${dup!.key}`);
}

/**
 * The problem with container name `name`, or undefined. A container name becomes a file
 * name in the storage (`.vagga/<name>`, `.roots/<name>.<hash>`, `.roots/.tmp.<name>`), so
 * it must be one path component that cannot be mistaken for the storage's own entries: not
 * empty, no `/` or NUL, no leading `.` (which also excludes `.` and `..`). Vagga does not
 * check names and then fails (or writes outside `.roots`) when it builds; its documented
 * names are identifiers like `app` or `py3-test`, which all pass.
 */
export function containerNameProblem(name: string): string | undefined {
  if (name === '') return 'a container name must not be empty';
  if (name.includes('/')) return 'a container name must not contain "/" (it names a directory in .vagga)';
  if (name.includes('\0')) return 'a container name must not contain a NUL character';
  if (name.startsWith('.')) return 'a container name must not start with "." (names like ".", ".." and ".roots" are the storage\'s own)';
  return undefined;
}

/**
 * The problem with command name `name`, or undefined: it must not be empty (it could not be
 * typed as `vagga <name>`) nor start with `-` (it would be read as an option). Names
 * starting with `_` stay allowed: Vagga hides them from the listing (§1.4).
 */
export function commandNameProblem(name: string): string | undefined {
  if (name === '') return 'a command name must not be empty';
  if (name.startsWith('-')) return 'a command name must not start with "-" (vagga would read it as an option)';
  if (name.includes('\0')) return 'a command name must not contain a NUL character';
  return undefined;
}

/** A mapping whose value schema depends on the key (containers and commands are named by it). */
function named<T>(what: string, schemaFor: (name: string) => Schema<T>, nameProblem: (name: string) => string | undefined): Schema<Record<string, T>> {
  return {
    describe: `a mapping of ${what}`,
    optional: true,
    parse(node: QNode | undefined, ctx: ParseCtx) {
      const out: Record<string, T> = {};
      if (node === undefined || isNull(node)) return out;
      if (node.kind !== 'map' || node.tag !== undefined) fail(ctx, node, `Expected a mapping of ${what}`);
      rejectDuplicates(node, ctx);
      for (const e of node.entries) {
        const problem = nameProblem(e.key);
        if (problem !== undefined) throw new ConfigError('config.invalid-name', `Invalid name ${JSON.stringify(e.key)}: ${problem}`, e.keyPos, `${ctx.path}.${e.key}`);
        // `box:` with nothing after it: Vagga's parser reads the null as an empty container
        // (or fails on the missing `run` of a command); an empty container is never what was
        // meant (usually a lost indentation), so it is an error here.
        if (isNull(e.value) && e.value.tag === undefined) {
          throw new ConfigError('config.missing-value', `${what === 'containers' ? 'Container' : 'Command'} ${JSON.stringify(e.key)} has no value`, e.keyPos, `${ctx.path}.${e.key}`,
            what === 'containers' ? 'Give it a `setup:` list (indented below its name).' : 'Give it a tag and fields, e.g. `!Command` with `container:` and `run:`.');
        }
        out[e.key] = schemaFor(e.key).parse(e.value, child(ctx, node, `.${e.key}`));
      }
      return out;
    },
  };
}

const fileSchema = (steps: StepSchemas) => struct({
  'minimum-vagga': opt(str()),
  mixins: def(list(str()), []),
  containers: named('containers', containerSchema(steps), containerNameProblem),
  commands: named('commands', commandSchema, commandNameProblem),
});

/**
 * Validate a parsed file whose setup steps are of the types in `steps`.
 * Throws ConfigError (exit 126) at the first problem.
 */
export function validateConfigFile(steps: StepSchemas, root: QNode, warnings: string[]): ConfigFile {
  rejectDuplicates(root, { path: '', parentPos: root.pos, warnings });
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
