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
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  LineCounter, parseDocument, isAlias, isMap, isScalar, isSeq,
  type Node as YNode, type Pair, type YAMLError,
} from 'yaml';
import { ConfigError } from '../errors/vagga-error.js';
import type { Pos, QMap, QMapEntry, QNode, QScalar, QSeq } from './qnode.js';
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
}

/**
 * Read and parse a YAML file in Vagga's dialect. `file` should be absolute: it is used in
 * error positions and as the base for `!*Include`. Throws ConfigError when the file cannot
 * be read, is not valid YAML or uses the dialect wrongly.
 */
export function readQuireFile(file: string): QuireDocument {
  const state: ReadState = { files: [], warnings: [], stack: [] };
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
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String((e as Error).message);
    throw new ConfigError('config.unreadable', `Can't read ${JSON.stringify(file)}: ${why}`, from);
  }
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
    throw new ConfigError('config.syntax', `YAML syntax error: ${message}`, this.pos(err.pos[0]), undefined, yamlErrorHint(err.code));
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

  private convert(node: YNode): QNode {
    const offset = node.range?.[0] ?? 0;
    let out: QNode;
    if (isAlias(node)) {
      const target = this.anchors.get(node.source);
      if (target === undefined) throw new ConfigError('config.syntax', `Unknown anchor *${node.source}`, this.pos(offset));
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
    return readInto(resolve(base, relPath), this.state, pos);
  }

  private unpackInto(target: QNode[], parts: YNode[]): void {
    for (const part of parts) {
      const q = this.convert(part);
      if (q.kind !== 'seq') throw new ConfigError('config.syntax', 'Every item of !*Unpack must be a sequence', q.pos);
      target.push(...q.items);
    }
  }

  private convertMap(pairs: Pair<YNode, YNode | null>[], rawTag: string | undefined, offset: number, block: boolean): QMap {
    let tag = this.localTag(rawTag, offset);
    const entries: QMapEntry[] = [];
    const seen = new Set<string>();
    const merges: QNode[] = [];
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
        continue;
      }
      seen.add(key);
      entries.push({ key, keyPos, value });
    }
    for (const m of merges) this.mergeInto(entries, seen, m);
    const map: QMap = { kind: 'map', entries, pos: this.pos(this.startOf(tag === undefined ? undefined : `!${tag}`, offset)) };
    if (tag !== undefined) map.tag = tag;
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
