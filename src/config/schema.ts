/**
 * Declarative validators for the vagga.yaml model: one declaration per field gives the
 * key, its type, whether it is required and its default. Semantics follow Vagga's
 * rust-quire dialect (shared/reference/vagga-inventory.md §1.1): keys may be written with
 * `-` or `_`, struct keys starting with `_` are ignored, unknown keys are an error,
 * integers accept `0x`/`0o`/`0b`, `_` separators and unit suffixes (`k ki M Mi G Gi`).
 *
 * Every failure throws ConfigError with the node's file:line:column and the key path.
 */
import { ConfigError } from '../errors/vagga-error.js';
import { isNull, type Pos, type QMap, type QNode } from './qnode.js';
import { didYouMean } from '../errors/did-you-mean.js';

/** Validation state passed down the tree. */
export interface ParseCtx {
  /** Key path of the node being validated, e.g. `.containers.app.setup[2]`. */
  path: string;
  /** Position of the parent, used when a required node is missing. */
  parentPos: Pos;
  /** Non-fatal problems, in document order. */
  warnings: string[];
}

/** A validator producing T from a node (`undefined` when the key is absent). */
export interface Schema<T> {
  /** Human description used in error messages, e.g. `a string`. */
  readonly describe: string;
  /** True when an absent or null value is acceptable. */
  readonly optional: boolean;
  parse(node: QNode | undefined, ctx: ParseCtx): T;
}

/** The value type a schema produces: `type XParams = Out<typeof xSchema>`. */
export type Out<S> = S extends Schema<infer T> ? T : never;

/** Throw a ConfigError located at `node` (or the parent when the node is absent). */
export function fail(ctx: ParseCtx, node: QNode | undefined, detail: string, hint?: string): never {
  throw new ConfigError('config.invalid', detail, node ? node.pos : ctx.parentPos, ctx.path || '.', hint);
}

/** Child context for a key or index. */
export function child(ctx: ParseCtx, parent: QNode, segment: string): ParseCtx {
  return { path: ctx.path + segment, parentPos: parent.pos, warnings: ctx.warnings };
}

function make<T>(describe: string, parse: (node: QNode, ctx: ParseCtx) => T): Schema<T> {
  return {
    describe,
    optional: false,
    parse(node, ctx) {
      if (node === undefined) fail(ctx, node, `Expected ${describe}, got nothing`);
      return parse(node, ctx);
    },
  };
}

function scalarText(node: QNode, ctx: ParseCtx, describe: string): string {
  if (node.kind !== 'scalar') fail(ctx, node, `Expected ${describe}, got ${node.kind === 'seq' ? 'a sequence' : 'a mapping'}`);
  if (node.tag !== undefined) fail(ctx, node, `Expected ${describe}, got tag !${node.tag}`);
  return node.text;
}

/** Any scalar, as the text written (numbers and booleans included, as strings). */
export function str(): Schema<string> {
  return make('a string', (node, ctx) => {
    if (isNull(node)) fail(ctx, node, 'Expected a string, got null');
    return scalarText(node, ctx, 'a string');
  });
}

/** A string that must be an absolute path. */
export function absPath(): Schema<string> {
  return make('an absolute path', (node, ctx) => {
    const text = scalarText(node, ctx, 'an absolute path');
    if (!text.startsWith('/')) fail(ctx, node, `Path must be absolute: ${JSON.stringify(text)}`);
    return text;
  });
}

const UNITS: Record<string, number> = { k: 1e3, ki: 1024, M: 1e6, Mi: 1024 ** 2, G: 1e9, Gi: 1024 ** 3 };

/**
 * Parse an integer the rust-quire way: optional sign, `0x`/`0o`/`0b` prefixes,
 * `_` separators, decimal unit suffixes `k M G` and binary `ki Mi Gi`.
 * Returns undefined when the text is not such an integer.
 */
export function parseQuireInt(text: string): number | undefined {
  const m = /^([-+]?)(0x[0-9a-fA-F_]+|0o[0-7_]+|0b[01_]+|[0-9][0-9_]*)(k|ki|M|Mi|G|Gi)?$/.exec(text.trim());
  if (!m) return undefined;
  const body = m[2]!.replace(/_/g, '');
  let n: number;
  if (body.startsWith('0x')) n = parseInt(body.slice(2), 16);
  else if (body.startsWith('0o')) n = parseInt(body.slice(2), 8);
  else if (body.startsWith('0b')) n = parseInt(body.slice(2), 2);
  else n = parseInt(body, 10);
  if (Number.isNaN(n)) return undefined;
  if (m[3]) n *= UNITS[m[3]]!;
  return m[1] === '-' ? -n : n;
}

/** An integer (see parseQuireInt), optionally bounded (inclusive). */
export function int(bounds: { min?: number; max?: number } = {}): Schema<number> {
  return make('an integer', (node, ctx) => {
    const text = scalarText(node, ctx, 'an integer');
    const n = parseQuireInt(text);
    if (n === undefined) fail(ctx, node, `Expected an integer, got ${JSON.stringify(text)}`);
    if (bounds.min !== undefined && n < bounds.min) fail(ctx, node, `Value ${n} is less than ${bounds.min}`);
    if (bounds.max !== undefined && n > bounds.max) fail(ctx, node, `Value ${n} is greater than ${bounds.max}`);
    return n;
  });
}

/** A boolean: `true`/`false` (also `yes`/`no`, any case). */
export function bool(): Schema<boolean> {
  return make('a boolean', (node, ctx) => {
    const text = scalarText(node, ctx, 'a boolean').toLowerCase();
    if (text === 'true' || text === 'yes') return true;
    if (text === 'false' || text === 'no') return false;
    return fail(ctx, node, `Expected a boolean (true or false), got ${JSON.stringify(text)}`);
  });
}

/** One of a fixed set of strings. */
export function enumOf<const V extends string>(values: readonly V[]): Schema<V> {
  const describe = `one of ${values.join(', ')}`;
  return make(describe, (node, ctx) => {
    const text = scalarText(node, ctx, describe);
    if (!(values as readonly string[]).includes(text)) fail(ctx, node, `Expected ${describe}, got ${JSON.stringify(text)}`);
    return text as V;
  });
}

/** Absent or null gives undefined; otherwise the inner schema applies. */
export function opt<T>(inner: Schema<T>): Schema<T | undefined> {
  return {
    describe: inner.describe,
    optional: true,
    parse: (node, ctx) => (isNull(node) && !(node?.kind === 'scalar' && node.tag) ? undefined : inner.parse(node, ctx)),
  };
}

/** Absent or null gives `value` (a fresh copy for arrays/objects); otherwise the inner schema applies. */
export function def<T>(inner: Schema<T>, value: T): Schema<T> {
  return {
    describe: inner.describe,
    optional: true,
    parse: (node, ctx) => (isNull(node) && !(node?.kind === 'scalar' && node.tag) ? structuredClone(value) : inner.parse(node, ctx)),
  };
}

/** A sequence of items. A null node gives an empty list. */
export function list<T>(item: Schema<T>): Schema<T[]> {
  return make(`a list of ${item.describe}`, (node, ctx) => {
    if (isNull(node)) return [];
    if (node.kind !== 'seq') fail(ctx, node, `Expected a list of ${item.describe}`);
    if (node.tag !== undefined) fail(ctx, node, `Expected a list, got tag !${node.tag}`);
    return node.items.map((it, i) => item.parse(it, child(ctx, node, `[${i}]`)));
  });
}

/** A mapping with arbitrary keys (kept in document order). A null node gives `{}`. */
export function map<T>(value: Schema<T>, keyCheck?: (key: string) => string | undefined): Schema<Record<string, T>> {
  return make(`a mapping of ${value.describe}`, (node, ctx) => {
    const out: Record<string, T> = {};
    if (isNull(node)) return out;
    if (node.kind !== 'map') fail(ctx, node, `Expected a mapping`);
    if (node.tag !== undefined) fail(ctx, node, `Expected a mapping, got tag !${node.tag}`);
    for (const e of node.entries) {
      const sub = child(ctx, node, `.${e.key}`);
      const problem = keyCheck?.(e.key);
      if (problem) throw new ConfigError('config.invalid', problem, e.keyPos, sub.path);
      out[e.key] = value.parse(e.value, sub);
    }
    return out;
  });
}

type Camel<S extends string> = S extends `${infer A}-${infer B}` ? `${A}${Capitalize<Camel<B>>}` : S;
/**
 * What `struct(fields)` produces: camelCased keys; a field whose schema may give undefined
 * (`opt(...)`) is an optional key, so `type XParams = Out<typeof xSchema>` reads like a
 * hand-written interface.
 */
export type StructOut<F extends Record<string, Schema<unknown>>> = Flat<{
  [K in keyof F as undefined extends Out<F[K]> ? never : Camel<K & string>]: Out<F[K]>;
} & {
  [K in keyof F as undefined extends Out<F[K]> ? Camel<K & string> : never]?: Out<F[K]>;
}>;
type Flat<T> = { [K in keyof T]: T[K] };

/** `work-dir` -> `workDir`. */
export function camel(key: string): string {
  return key.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export interface StructOptions {
  /** A bare scalar (or list) may stand for the whole struct, filling this field. */
  shorthand?: string;
}

/**
 * A mapping with declared keys written kebab-case (`work-dir`); `work_dir` is accepted
 * too. Output keys are camelCase. Missing required field: `Field <key> is expected`;
 * unknown keys: `Keys {"x"} are not expected` (Vagga's wording).
 */
export function struct<F extends Record<string, Schema<any>>>(fields: F, options: StructOptions = {}): Schema<StructOut<F>> {
  return make('a mapping', (node, ctx) => {
    const out: Record<string, unknown> = {};
    if (node.kind !== 'map' || (node.kind === 'map' && node.entries.length === 0 && isNull(node))) {
      if (options.shorthand && node.kind !== 'map') {
        for (const [key, schema] of Object.entries(fields)) {
          const sub = child(ctx, node, `.${key}`);
          out[camel(key)] = key === options.shorthand ? schema.parse(node, sub) : schema.parse(undefined, sub);
        }
        return out as StructOut<F>;
      }
      if (!isNull(node)) {
        fail(ctx, node, 'Expected a mapping', 'Write `key: value` lines here, indented more than the key above them (or check the indentation of this value).');
      }
    }
    const given = new Map<string, { value: QNode; keyPos: Pos }>();
    const unknown: string[] = [];
    if (node.kind === 'map') {
      for (const e of (node as QMap).entries) {
        if (e.key.startsWith('_')) continue;
        const key = e.key.replace(/_/g, '-');
        if (!(key in fields)) unknown.push(e.key);
        else given.set(key, { value: e.value, keyPos: e.keyPos });
      }
    }
    if (unknown.length > 0) {
      const first = (node as QMap).entries.find((e) => e.key === unknown[0]);
      throw new ConfigError('config.unknown-key', `Keys {${unknown.map((k) => JSON.stringify(k)).join(', ')}} are not expected`,
        first ? first.keyPos : node.pos, ctx.path || '.', didYouMean(unknown[0]!.replace(/_/g, '-'), Object.keys(fields)));
    }
    for (const [key, schema] of Object.entries(fields)) {
      const sub = child(ctx, node, `.${key}`);
      const entry = given.get(key);
      if (entry === undefined && !schema.optional) {
        throw new ConfigError('config.missing-field', `Field ${key} is expected`, node.pos, ctx.path || '.', undefined, `missing field \`${key}\``);
      }
      out[camel(key)] = schema.parse(entry?.value, sub);
    }
    return out as StructOut<F>;
  });
}

/** A value whose YAML tag selects its schema, e.g. `!BindRW /work/x`. */
export interface Tagged<T> {
  tag: string;
  value: T;
  pos: Pos;
}

/**
 * A tagged union: the node's tag picks one of `alternatives`. Errors:
 * `The tag X is not expected` and, for untagged nodes, `One of the tags [...] expected`.
 */
export function tagged<T>(alternatives: Record<string, Schema<T>>, what = 'value'): Schema<Tagged<T>> {
  const names = Object.keys(alternatives);
  return make(`a tagged ${what}`, (node, ctx) => {
    if (node.tag === undefined) fail(ctx, node, `One of the tags [${names.map((n) => `!${n}`).join(', ')}] expected`);
    const schema = alternatives[node.tag];
    if (!schema) fail(ctx, node, `The tag ${node.tag} is not expected`, unknownTagHint(node.tag, names));
    const untagged = { ...node, tag: undefined } as QNode;
    return { tag: node.tag, value: schema.parse(untagged, ctx), pos: node.pos };
  });
}

/** `Did you mean !Tag?` for an unknown tag `tag` (without `!`) among `known`, or undefined. */
export function unknownTagHint(tag: string, known: Iterable<string>): string | undefined {
  return didYouMean(tag, known, (t) => `!${t}`);
}

/** Escape hatch for validators with custom logic; `parse` gets a present node. */
export function custom<T>(describe: string, parse: (node: QNode, ctx: ParseCtx) => T): Schema<T> {
  return make(describe, parse);
}

/** Validate a whole document root. */
export function validate<T>(schema: Schema<T>, node: QNode, warnings: string[] = []): T {
  return schema.parse(node, { path: '', parentPos: node.pos, warnings });
}
