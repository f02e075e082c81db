/**
 * Vagga's version-hash serialisation (shared/reference/vagga-inventory.md §2.1):
 * BLAKE2b with a 64-byte digest over named fields separated by NUL bytes.
 * The 128-hex result names a container version; its first 8 chars are the short form.
 */
import { createHash, type Hash } from 'node:crypto';
import type { IdRange } from '../config/model.js';

/** Incremental version digest with an optional human-readable trace (`--debug-versioning`). */
export class Digest {
  private readonly hash: Hash = createHash('blake2b512');
  /** Lines describing what was fed, when tracing is on. */
  readonly trace: string[] | undefined;

  constructor(options: { trace?: boolean } = {}) {
    this.trace = options.trace ? [] : undefined;
  }

  private feed(s: string | Uint8Array): void {
    this.hash.update(s);
  }

  /** Step marker: `COMMAND\0<Tag>\0`. */
  marker(tag: string): void {
    this.feed(`COMMAND\0${tag}\0`);
    this.trace?.push(`COMMAND ${tag}`);
  }

  /** Scalar field `<key>\0<value>\0`; numbers in decimal, booleans as true/false. */
  field(key: string, value: string | number | boolean | Uint8Array): void {
    this.feed(`${key}\0`);
    this.feed(typeof value === 'string' || value instanceof Uint8Array ? value : String(value));
    this.feed('\0');
    this.trace?.push(`  ${key}: ${value instanceof Uint8Array ? `<${value.length} bytes>` : JSON.stringify(value)}`);
  }

  /** Optional scalar: written only when defined. */
  optField(key: string, value: string | number | boolean | undefined): void {
    if (value !== undefined) this.field(key, value);
  }

  /** List field: `<key>\0` then `<item>\0` per item. */
  list(key: string, items: readonly (string | number)[]): void {
    this.feed(`${key}\0`);
    for (const it of items) this.feed(`${it}\0`);
    this.trace?.push(`  ${key}: ${JSON.stringify(items)}`);
  }

  /**
   * Id-range list (`uids`, `gids`): `<key>\0` then `<start>-<end+1>\0` per range — the
   * serialised end is exclusive, so the default `0-65535` is written `0-65536` (§2.1).
   */
  ranges(key: string, ranges: readonly IdRange[]): void {
    this.list(key, ranges.map((r) => `${r.start}-${r.end + 1}`));
  }

  /**
   * Raw bytes with no key or separator (file contents). The trace line names the label, the
   * size and a short content digest (first 12 hex of BLAKE2b-512), so that two traces
   * show which file changed even when its size did not (`_build --explain`).
   */
  bytes(data: Uint8Array | string, label = 'data'): void {
    this.feed(data);
    if (this.trace) {
      const size = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
      const sum = createHash('blake2b512').update(data).digest('hex').slice(0, 12);
      this.trace.push(`  <${label}: ${size} bytes, ${sum}>`);
    }
  }

  /** A free-form trace line (no effect on the hash), e.g. which container is inlined. */
  note(line: string): void {
    this.trace?.push(line);
  }

  /** The 128-hex digest; the Digest must not be used afterwards. */
  hex(): string {
    return this.hash.digest('hex');
  }
}

/** Short form of a version hash: its first 8 hex characters. */
export function shortHash(full: string): string {
  return full.slice(0, 8);
}
