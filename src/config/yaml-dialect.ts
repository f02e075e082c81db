/**
 * Vagga's YAML dialect (rust-quire, see tailhook/rust-quire doc/user.rst and
 * shared/reference/vagga-inventory.md §1.1, user-pain.md §4.3) on top of the `yaml` package:
 *
 * - every scalar stays text (`3.10` is "3.10"); the schema converts types later;
 * - `- !Env HOME: /x` (compact tagged mapping: the `yaml` package puts the tag on the first
 *   key) becomes a `!Env` mapping `{HOME: /x}`;
 * - `!Tag *alias` (a tag on an alias, which the YAML spec forbids) gives the aliased node
 *   with that tag;
 * - anchors may be re-defined, an alias refers to the latest definition before it;
 * - `<<` merge keys take a mapping or a list of mappings; keys written explicitly win,
 *   then earlier merged mappings win over later ones; a duplicated key keeps its first value;
 * - `!*Include file.yaml` is replaced by the content of that file (path relative to the
 *   including file, `..` rejected; anchors are local to each file);
 * - `!*Unpack [[a], [b]]` splices the inner sequences: as a sequence item into the
 *   enclosing sequence, elsewhere as one concatenated sequence.
 *
 * Errors are ConfigError (exit 126) with file:line:column (1-based).
 */
import { dirname, resolve } from 'node:path';
import { resolveProjectPath } from './project-path.js';
import {
  LineCounter, parseDocument, isAlias, isMap, isScalar, isSeq,
  type Node as YNode, type Pair, type YAMLError,
} from 'yaml';
import { ConfigError } from '../errors/vagga-error.js';
import type { Pos, QMap, QMapEntry, QNode, QScalar, QSeq } from './qnode.js';
import { readConfigText } from './read-text.js';
import { yamlErrorHint } from './yaml-hints.js';

/** The result of reading one YAML file (and the files it includes). */
export interface QuireDocument {
  /** Root node; an empty file gives a null scalar. */
  root: QNode;
  /** Absolute paths of every file read: the file itself first, then its includes. */
  files: string[];
  /** Non-fatal findings, each prefixed with `file:line:col: `. */
  warnings: string[];
}

const INCLUDE = '*Include';
const UNPACK = '*Unpack';

/** Shared state of one top-level read (includes nest inside it). */
interface ReadState {
  files: string[];
  warnings: string[];
  /** Files currently being read, to detect include cycles. */
  stack: string[];
  /** Directory of the top-level file: includes must resolve inside it (symlinks followed). */
  topDir?: string;
  /** Nodes added by aliases and `!*Unpack` so far (see MAX_EXPANDED). */
  expanded?: number;
}

/**
 * Limits that turn hostile or broken input into a located error instead of a hang or a
 * stack overflow: nesting depth of one file, and nodes that aliases and `!*Unpack` may add
 * in total (a "billion laughs" file: each alias of a list of aliases multiplies the tree).
 */
const MAX_DEPTH = 400;
const MAX_EXPANDED = 1_000_000;

/** Node count of a converted tree (shared subtrees counted each time they appear). */
const sizes = new WeakMap<QNode, number>();
function treeSize(node: QNode): number {
  const known = sizes.get(node);
  if (known !== undefined) return known;
  let n = 1;
  if (node.kind === 'seq') for (const item of node.items) n += treeSize(item);
  else if (node.kind === 'map') for (const e of node.entries) n += treeSize(e.value);
  sizes.set(node, n);
  return n;
}

/**
 * A sentence about the user's file for the errors of the `yaml` package whose message names
 * its API (decided on the package's error code, e.g. MULTIPLE_DOCS); others keep `message`.
 */
function explainYamlMessage(code: string, message: string): string {
  if (code === 'MULTIPLE_DOCS') {
    return 'the file holds more than one YAML document (a `---` line starts another one); a vagga config is a single document';
  }
  // The parser ran out of stack on deep nesting (`[[[[...`).
  if (code === 'RESOURCE_EXHAUSTION') return `the nesting is too deep here (at most ${MAX_DEPTH} levels)`;
  return message;
}

/**
 * Read and parse a YAML file in Vagga's dialect. `file` should be absolute: it is used in
 * error positions and as the base for `!*Include`. Throws ConfigError when the file cannot
 * be read, is not valid YAML or uses the dialect wrongly.
 */
export function readQuireFile(file: string): QuireDocument {
  const state: ReadState = { files: [], warnings: [], stack: [], topDir: dirname(resolve(file)) };
  const root = readInto(file, state, undefined);
  return { root, files: state.files, warnings: state.warnings };
}

/**
 * Parse YAML text in Vagga's dialect. `file` names the source in positions (it may be a
 * pseudo-name like `<env:VAGGA_SETTINGS>`); includes resolve relative to its directory.
 */
export function parseQuireText(text: string, file: string): QuireDocument {
  const state: ReadState = { files: [], warnings: [], stack: [file] };
  const root = new FileConverter(text, file, state).root();
  return { root, files: state.files, warnings: state.warnings };
}

function readInto(file: string, state: ReadState, from: Pos | undefined): QNode {
  if (state.stack.includes(file)) {
    throw new ConfigError('config.include-cycle', `Include cycle: ${[...state.stack, file].map((f) => JSON.stringify(f)).join(' -> ')}`, from);
  }
  const text = readConfigText(file, from);
  if (!state.files.includes(file)) state.files.push(file);
  state.stack.push(file);
  try {
    return new FileConverter(text, file, state).root();
  } finally {
    state.stack.pop();
  }
}

/** A value written as a lone local tag with nothing after it (`key: !Tmpfs`). */
function isBareTag(node: YNode | null): boolean {
  return node !== null && isScalar(node) && node.type === 'PLAIN' && (node.value === '' || node.value === null) &&
    typeof node.tag === 'string' && node.tag.startsWith('!') && !node.tag.startsWith('!*') && !node.tag.startsWith('!!');
}

/** Index of the first pair from `from` whose key or value carries a tag (or pairs.length). */
function untaggedRunEnd(pairs: Pair<YNode, YNode | null>[], from: number): number {
  let i = from;
  while (i < pairs.length) {
    const p = pairs[i]!;
    if ((p.key as YNode | null)?.tag !== undefined || (p.value as YNode | null)?.tag !== undefined || isAlias(p.value)) break;
    i++;
  }
  return i;
}

/** Converts one file's `yaml` Document into QNodes; holds that file's anchor table. */
class FileConverter {
  private readonly lines = new LineCounter();
  private readonly anchors = new Map<string, QNode>();
  /** Tags written in front of aliases, by the alias's source offset. */
  private readonly aliasTags = new Map<number, string>();

  constructor(private readonly text: string, private readonly file: string, private readonly state: ReadState) {}

  root(): QNode {
    const doc = parseDocument(this.text, {
      lineCounter: this.lines,
      schema: 'failsafe',
      uniqueKeys: false,
      merge: false,
      strict: false,
      prettyErrors: false,
    });
    for (const err of doc.errors) {
      if (err.code === 'ALIAS_PROPS') this.recordAliasTag(err);
      else this.syntaxError(err);
    }
    if (doc.contents === null) return { kind: 'scalar', text: '', plain: true, pos: this.pos(0) };
    return this.convert(doc.contents as YNode);
  }

  private pos(offset: number): Pos {
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, col };
  }

  private syntaxError(err: YAMLError): never {
    const message = err.message.split('\n')[0]!.replace(/\s+at line \d+, column \d+:?$/, '');
    throw new ConfigError('config.syntax', `YAML syntax error: ${explainYamlMessage(err.code, message)}`, this.pos(err.pos[0]), undefined, yamlErrorHint(err.code));
  }

  /** `!Tag *alias`: the YAML spec forbids it, Vagga allows it; find the tag in the source. */
  private recordAliasTag(err: YAMLError): void {
    const offset = err.pos[0];
    const before = this.text.slice(Math.max(0, offset - 256), offset);
    const m = /(?:^|[\s[{,])(![^\s,[\]{}]*)(?:\s+&[^\s,[\]{}]+)?\s+$/.exec(before);
    if (!m) throw new ConfigError('config.syntax', 'An alias cannot have an anchor', this.pos(offset));
    this.aliasTags.set(offset, m[1]!);
  }

  /**
   * Where a node starts for error positions: at its tag when one is written right before the
   * content (`yaml` ranges start after the tag), else at the content.
   */
  private startOf(rawTag: string | undefined, offset: number): number {
    if (rawTag === undefined || !rawTag.startsWith('!')) return offset;
    const i = this.text.lastIndexOf(rawTag, offset);
    if (i >= 0 && offset - i < 512 && /^\s*(?:&[^\s]+\s*)?$/.test(this.text.slice(i + rawTag.length, offset))) return i;
    return offset;
  }

  private localTag(raw: string | undefined, offset: number): string | undefined {
    if (raw === undefined) return undefined;
    if (raw.startsWith('tag:yaml.org,2002:')) return undefined;
    if (!raw.startsWith('!') || raw.startsWith('!!') || raw.length === 1) {
      throw new ConfigError('config.syntax', `Unsupported tag ${JSON.stringify(raw)}: only local tags like !Name are used`, this.pos(offset));
    }
    return raw.slice(1);
  }

  private depth = 0;

  /** Count `n` nodes added by an alias or `!*Unpack` at `offset`; throws past MAX_EXPANDED. */
  private expand(n: number, offset: number): void {
    this.state.expanded = (this.state.expanded ?? 0) + n;
    if (this.state.expanded > MAX_EXPANDED) {
      throw new ConfigError('config.too-large', `Aliases expand to more than ${MAX_EXPANDED} values here (an alias of aliases of aliases...); write the repeated parts out or nest fewer aliases`, this.pos(offset));
    }
  }

  private convert(node: YNode): QNode {
    const offset = node.range?.[0] ?? 0;
    if (this.depth >= MAX_DEPTH) throw new ConfigError('config.too-large', `The nesting is too deep here (at most ${MAX_DEPTH} levels)`, this.pos(offset));
    this.depth++;
    try {
      return this.convertNode(node, offset);
    } finally {
      this.depth--;
    }
  }

  private convertNode(node: YNode, offset: number): QNode {
    let out: QNode;
    if (isAlias(node)) {
      const target = this.anchors.get(node.source);
      if (target === undefined) throw new ConfigError('config.syntax', `Unknown anchor *${node.source}`, this.pos(offset));
      this.expand(treeSize(target), offset);
      const tag = this.localTag(this.aliasTags.get(offset), offset);
      out = { ...target, pos: this.pos(offset) };
      if (tag !== undefined) out.tag = tag;
      return out;
    }
    const start = this.startOf(node.tag, offset);
    if (isScalar(node)) {
      const tag = this.localTag(node.tag, offset);
      const text = node.value === null || node.value === undefined ? '' : String(node.value);
      if (tag === INCLUDE) {
        out = this.include(text, this.pos(start));
      } else {
        const scalar: QScalar = { kind: 'scalar', text, plain: node.type === 'PLAIN', pos: this.pos(start) };
        if (tag !== undefined) scalar.tag = tag;
        out = scalar;
      }
    } else if (isSeq(node)) {
      const tag = this.localTag(node.tag, offset);
      const items: QNode[] = [];
      if (tag === UNPACK) {
        this.unpackInto(items, node.items as YNode[]);
        out = { kind: 'seq', items, pos: this.pos(start) };
      } else {
        for (const item of node.items as YNode[]) {
          if (isSeq(item) && item.tag === `!${UNPACK}`) this.unpackInto(items, item.items as YNode[]);
          else items.push(this.convert(item));
        }
        const seq: QSeq = { kind: 'seq', items, pos: this.pos(start) };
        if (tag !== undefined) seq.tag = tag;
        out = seq;
      }
    } else if (isMap(node)) {
      out = this.convertMap(node.items as Pair<YNode, YNode | null>[], node.tag, offset, !node.flow);
    } else {
      throw new ConfigError('config.syntax', 'Unsupported YAML node', this.pos(offset));
    }
    if (node.anchor) this.anchors.set(node.anchor, out);
    return out;
  }

  private include(relPath: string, pos: Pos): QNode {
    if (relPath === '') throw new ConfigError('config.bad-include', '!*Include needs a file name', pos);
    if (relPath.split('/').includes('..')) {
      throw new ConfigError('config.bad-include', `!*Include ${JSON.stringify(relPath)}: parent directory references (..) are not allowed`, pos);
    }
    const base = this.file.startsWith('<') ? process.cwd() : dirname(this.file);
    const file = resolve(base, relPath);
    const topDir = this.state.topDir;
    return readInto(topDir === undefined ? file : resolveProjectPath(topDir, file, { key: '!*Include', pos }), this.state, pos);
  }

  private unpackInto(target: QNode[], parts: YNode[]): void {
    for (const part of parts) {
      const q = this.convert(part);
      if (q.kind !== 'seq') throw new ConfigError('config.syntax', 'Every item of !*Unpack must be a sequence', q.pos);
      this.expand(q.items.length, part.range?.[0] ?? 0);
      target.push(...q.items);
    }
  }

  private convertMap(pairs: Pair<YNode, YNode | null>[], rawTag: string | undefined, offset: number, block: boolean): QMap {
    let tag = this.localTag(rawTag, offset);
    const entries: QMapEntry[] = [];
    const seen = new Set<string>();
    const merges: QNode[] = [];
    let duplicates: QMap['duplicates'];
    for (let index = 0; index < pairs.length; index++) {
      const pair = pairs[index]!;
      const keyNode = pair.key;
      const keyOffset = keyNode?.range?.[0] ?? offset;
      const keyPos = this.pos(keyOffset);
      let keyTag: string | undefined;
      let key: string;
      if (keyNode === null || keyNode === undefined) {
        key = '';
      } else if (isScalar(keyNode)) {
        keyTag = this.localTag(keyNode.tag, keyOffset);
        key = keyNode.value === null || keyNode.value === undefined ? '' : String(keyNode.value);
        if (key === '<<' && keyNode.type === 'PLAIN' && keyTag === undefined) {
          if (pair.value) merges.push(this.convert(pair.value));
          continue;
        }
      } else if (isAlias(keyNode)) {
        const target = this.convert(keyNode);
        if (target.kind !== 'scalar') throw new ConfigError('config.syntax', 'Mapping keys must be scalars', keyPos);
        key = target.text;
      } else {
        throw new ConfigError('config.syntax', 'Mapping keys must be scalars', keyPos);
      }
      if (keyTag !== undefined) {
        // `- !Env HOME: /x`: the tag written before the first key belongs to the mapping.
        if (index === 0 && tag === undefined) tag = keyTag;
        else throw new ConfigError('config.syntax', `A tag (!${keyTag}) on a mapping key is not supported`, keyPos);
      }
      let value: QNode;
      const swallowEnd = block && isBareTag(pair.value) ? untaggedRunEnd(pairs, index + 1) : index + 1;
      if (swallowEnd > index + 1) {
        // Vagga's parser reads `key: !Tag` followed by sibling keys as `key: !Tag {siblings}`
        // (corpus: `/var/log: !Tmpfs` then `mode: 0o766` at the same indentation). Only
        // untagged siblings are taken, so `/a: !Empty` followed by `/b: !Empty` stays two volumes.
        const rest = pairs.slice(index + 1, swallowEnd);
        const firstKey = rest[0]!.key as YNode | null;
        const bareTag = (pair.value as YNode).tag!;
        value = this.convertMap(rest, bareTag, firstKey?.range?.[0] ?? offset, true);
        const p = value.pos;
        this.state.warnings.push(`${p.file}:${p.line}:${p.col}: the keys after ${JSON.stringify(key)}: ${bareTag} are read as its content (as Vagga does); indent them below it to make this explicit`);
        index = swallowEnd - 1;
      } else {
        value = pair.value ? this.convert(pair.value) : { kind: 'scalar', text: '', plain: true, pos: keyPos };
      }
      if (seen.has(key)) {
        this.state.warnings.push(`${this.file}:${keyPos.line}:${keyPos.col}: Duplicate key ${JSON.stringify(key)}: the first value is used`);
        (duplicates ??= []).push({ key, keyPos });
        continue;
      }
      seen.add(key);
      entries.push({ key, keyPos, value });
    }
    for (const m of merges) this.mergeInto(entries, seen, m);
    const map: QMap = { kind: 'map', entries, pos: this.pos(this.startOf(tag === undefined ? undefined : `!${tag}`, offset)) };
    if (tag !== undefined) map.tag = tag;
    if (duplicates !== undefined) map.duplicates = duplicates;
    return map;
  }

  /** `<<: *a` or `<<: [*a, *b]`: add keys not present yet (merged maps are already resolved). */
  private mergeInto(entries: QMapEntry[], seen: Set<string>, value: QNode): void {
    if (value.kind === 'map') {
      for (const e of value.entries) {
        if (seen.has(e.key)) continue;
        seen.add(e.key);
        entries.push(e);
      }
    } else if (value.kind === 'seq') {
      for (const item of value.items) {
        if (item.kind !== 'map') throw new ConfigError('config.syntax', 'Value of merge key (<<) must be a mapping or a list of mappings', item.pos);
        this.mergeInto(entries, seen, item);
      }
    } else {
      throw new ConfigError('config.syntax', 'Value of merge key (<<) must be a mapping or a list of mappings', value.pos);
    }
  }
}
