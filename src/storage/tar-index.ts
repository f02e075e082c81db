/**
 * The index of a root (index-format.ts) read from the tar archive it is being unpacked
 * from, as the archive streams past on its way to GNU tar: no second pass over the unpacked
 * files (the walk, index-walk.ts). Used for archives vagga's own GNU tar writes, one member
 * per path, every directory listed, parents first, whose members are exactly what the
 * unpacked root holds: an image-cache download (src/image/root-tar.ts).
 *
 * Tar format (POSIX.1-2001 pax, ustar headers; GNU tar's manual, "Basic Tar Format"): 512-byte
 * headers, data padded to 512 bytes; numeric fields octal ASCII or base-256 when the high
 * bit is set; `x` extended headers (`LEN key=value\n` records: path, linkpath, size, uid,
 * gid) apply to the next member, `g` ones to all (ignored: vagga writes none), GNU `L`/`K`
 * members hold a long name/link target. Anything else unexpected makes the result
 * unavailable (`entries()` undefined) rather than wrong: the caller then walks the root.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { escapeBytes, type IndexEntry, type IndexType } from './index-format.js';

const BLOCK = 512;

/** Member types that become index entries (hard links `1` become `f`). */
const TYPES: Record<string, IndexType> = { '0': 'f', '\0': 'f', '7': 'f', '2': 'l', '3': 'c', '4': 'b', '5': 'd', '6': 'p' };

/** A numeric header field: octal ASCII (NUL/space terminated) or GNU base-256 (high bit set). */
export function tarNumber(field: Buffer): number {
  if (field[0]! & 0x80) {
    let n = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i]!;
    return n;
  }
  const text = field.toString('latin1').replace(/[\0 ].*$/s, '').trim();
  if (!/^[0-7]*$/.test(text)) throw new Error(`bad numeric field ${JSON.stringify(text)}`);
  return text === '' ? 0 : parseInt(text, 8);
}

/** The records of a pax extended header: key → raw value bytes. */
export function parsePaxRecords(data: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) break;
    const len = parseInt(data.toString('latin1', at, space), 10);
    if (!Number.isInteger(len) || len <= 0 || at + len > data.length) throw new Error('bad pax record');
    const record = data.subarray(space + 1, at + len - 1);
    const eq = record.indexOf(0x3d);
    if (eq < 0) throw new Error('bad pax record');
    out.set(record.toString('utf8', 0, eq), Buffer.from(record.subarray(eq + 1)));
    at += len;
  }
  return out;
}

/** `./a/b/` → `/a/b`, `.`/`./` → `/`. */
function rootPath(name: Buffer): Buffer {
  let s = name;
  while (s.length > 1 && s[s.length - 1] === 0x2f) s = s.subarray(0, s.length - 1);
  if (s.length >= 2 && s[0] === 0x2e && s[1] === 0x2f) s = s.subarray(1);
  else if (s.length === 1 && s[0] === 0x2e) s = Buffer.from('/');
  else if (s[0] !== 0x2f) s = Buffer.concat([Buffer.from('/'), s]);
  return s;
}

function cString(field: Buffer): Buffer {
  const nul = field.indexOf(0);
  return nul < 0 ? field : field.subarray(0, nul);
}

/**
 * A pass-through stream that parses the tar archive going through it into index entries.
 * After the stream ends, `entries()` gives them (in archive order; formatIndex sorts), or
 * undefined when the archive had something this parser does not model.
 */
export class TarIndexer extends Transform {
  /**
   * `known(path, size)`: the SHA-256 of a regular file known without reading it (`path`
   * escaped as in the index, e.g. the build cache's per-layer hashes), or undefined to hash
   * its data as it passes.
   */
  constructor(private readonly known?: (path: string, size: number) => string | undefined) {
    super();
  }

  private readonly out: IndexEntry[] = [];
  private readonly files = new Map<string, IndexEntry>();
  private header = Buffer.alloc(BLOCK);
  private headerFill = 0;
  /** Bytes of the current member's data still to come, then its padding. */
  private dataLeft = 0;
  private padLeft = 0;
  private hash: Hash | undefined;
  private current: IndexEntry | undefined;
  /** Collected data of an `x`/`L`/`K`/`g` member. */
  private meta: Buffer[] | undefined;
  private metaType = '';
  private pax = new Map<string, Buffer>();
  private longName: Buffer | undefined;
  private longLink: Buffer | undefined;
  private ended = false;
  private failed: string | undefined;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (!this.failed && !this.ended) {
      try {
        this.feed(chunk);
      } catch (err) {
        this.failed = (err as Error).message;
      }
    }
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    if (!this.ended && !this.failed) this.failed = 'the archive ended without its end blocks';
    cb();
  }

  /** The entries, or undefined when the archive could not be modelled (see `why`). */
  entries(): IndexEntry[] | undefined {
    return this.failed ? undefined : this.out;
  }

  /** Why entries() is undefined. */
  get why(): string | undefined {
    return this.failed;
  }

  private feed(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && !this.ended) {
      if (this.dataLeft > 0) {
        const n = Math.min(this.dataLeft, chunk.length - at);
        const part = chunk.subarray(at, at + n);
        if (this.hash) this.hash.update(part);
        if (this.meta) this.meta.push(Buffer.from(part));
        this.dataLeft -= n;
        at += n;
        if (this.dataLeft === 0) this.endData();
        continue;
      }
      if (this.padLeft > 0) {
        const n = Math.min(this.padLeft, chunk.length - at);
        this.padLeft -= n;
        at += n;
        continue;
      }
      const n = Math.min(BLOCK - this.headerFill, chunk.length - at);
      chunk.copy(this.header, this.headerFill, at, at + n);
      this.headerFill += n;
      at += n;
      if (this.headerFill === BLOCK) {
        this.headerFill = 0;
        this.onHeader(this.header);
      }
    }
  }

  private onHeader(h: Buffer): void {
    if (h.every((b) => b === 0)) {
      this.ended = true;
      return;
    }
    const type = String.fromCharCode(h[156]!);
    const size = this.pax.has('size') && type !== 'x' && type !== 'g' ? Number(this.pax.get('size')!.toString('latin1')) : tarNumber(h.subarray(124, 136));
    if (type === 'x' || type === 'g' || type === 'L' || type === 'K') {
      this.metaType = type;
      this.meta = [];
      this.startData(size);
      return;
    }
    const kind = type === '1' ? 'f' : TYPES[type];
    if (!kind) throw new Error(`member type ${JSON.stringify(type)}`);
    const prefix = cString(h.subarray(345, 500));
    const name = this.pax.get('path') ?? this.longName
      ?? (prefix.length > 0 ? Buffer.concat([prefix, Buffer.from('/'), cString(h.subarray(0, 100))]) : cString(h.subarray(0, 100)));
    const link = this.pax.get('linkpath') ?? this.longLink ?? cString(h.subarray(157, 257));
    const num = (key: string, field: Buffer) => (this.pax.has(key) ? Number(this.pax.get(key)!.toString('latin1')) : tarNumber(field));
    const path = rootPath(name);
    const e: IndexEntry = { type: kind, path: escapeBytes(path), mode: tarNumber(h.subarray(100, 108)) & 0o7777, uid: num('uid', h.subarray(108, 116)), gid: num('gid', h.subarray(116, 124)) };
    this.pax = new Map();
    this.longName = undefined;
    this.longLink = undefined;
    if (type === '1') {
      const target = this.files.get(escapeBytes(rootPath(link)));
      if (!target) throw new Error('a hard link to a file not in the archive before it');
      e.size = target.size;
      e.sha256 = target.sha256;
      this.out.push(e);
      this.startData(size);
      return;
    }
    if (kind === 'l') e.target = escapeBytes(link);
    if (kind === 'c' || kind === 'b') e.device = `${tarNumber(h.subarray(329, 337))},${tarNumber(h.subarray(337, 345))}`;
    this.out.push(e);
    if (kind === 'f') {
      e.size = size;
      this.files.set(e.path, e);
      const sha = this.known?.(e.path, size);
      if (sha !== undefined) e.sha256 = sha;
      else {
        this.current = e;
        this.hash = createHash('sha256');
      }
    }
    this.startData(kind === 'f' ? size : 0);
  }

  private startData(size: number): void {
    this.dataLeft = size;
    this.padLeft = (BLOCK - (size % BLOCK)) % BLOCK;
    if (size === 0) this.endData();
  }

  private endData(): void {
    if (this.hash && this.current) {
      this.current.sha256 = this.hash.digest('hex');
      this.hash = undefined;
      this.current = undefined;
    }
    if (this.meta) {
      const data = Buffer.concat(this.meta);
      this.meta = undefined;
      if (this.metaType === 'x') this.pax = parsePaxRecords(data);
      else if (this.metaType === 'L') this.longName = cString(data);
      else if (this.metaType === 'K') this.longLink = cString(data);
      else throw new Error('a global pax header');
    }
  }
}
