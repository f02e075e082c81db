/**
 * The parsed-but-not-yet-validated form of a vagga.yaml: a tree of tagged nodes with
 * positions, after the rust-quire dialect has been applied (includes, merge keys,
 * `!*Unpack`, compact tagged mappings, tags on aliases). Validation (schema.ts) turns
 * it into the typed model (model.ts).
 */
import type { SourcePos } from '../errors/vagga-error.js';

export type Pos = SourcePos;

/** A scalar. `text` is the string value as written (after YAML unquoting). */
export interface QScalar {
  kind: 'scalar';
  /** Local tag without the leading `!` (e.g. `Sh`), if any. */
  tag?: string;
  text: string;
  /** True for an unquoted (plain) scalar: only plain scalars can mean null. */
  plain: boolean;
  pos: Pos;
}

export interface QSeq {
  kind: 'seq';
  tag?: string;
  items: QNode[];
  pos: Pos;
}

export interface QMapEntry {
  key: string;
  keyPos: Pos;
  value: QNode;
}

export interface QMap {
  kind: 'map';
  tag?: string;
  /** Entries in document order; merge keys (`<<`) are already resolved. */
  entries: QMapEntry[];
  pos: Pos;
  /** Keys written again after their first entry (dropped from `entries`, first value kept). */
  duplicates?: { key: string; keyPos: Pos }[];
}

export type QNode = QScalar | QSeq | QMap;

/** True when the node is YAML null: an empty plain scalar, `~` or `null`. */
export function isNull(node: QNode | undefined): boolean {
  if (node === undefined) return true;
  return node.kind === 'scalar' && node.plain && node.tag === undefined &&
    (node.text === '' || node.text === '~' || /^(null|Null|NULL)$/.test(node.text));
}
