/**
 * Reading a config file's text (vagga.yaml, mixins, `!*Include` files, settings) safely:
 * only a regular file is read (checked with fstat(2) on the opened descriptor, so a symlink
 * to /dev/zero or a FIFO is refused too instead of growing memory or blocking forever), at
 * most CONFIG_SIZE_LIMIT bytes, and its bytes must be UTF-8 (Vagga's parser reads Rust
 * strings: invalid bytes are an error there as well; decoding them as U+FFFD would pass
 * silently).
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { ConfigError } from '../errors/vagga-error.js';
import type { Pos } from './qnode.js';

/** Largest config file read: 4 MiB (the biggest real vagga.yaml files are a few KiB). */
export const CONFIG_SIZE_LIMIT = 4 * 1024 * 1024;

/** What a non-regular file is, for the message. */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * 1-based line and column of byte `offset` in `bytes` (the column counts characters of the
 * valid text before it on its line). Pure.
 */
export function bytePosition(bytes: Buffer, offset: number): { line: number; col: number } {
  const lineStart = bytes.lastIndexOf(0x0a, offset - 1) + 1;
  let line = 1;
  for (let i = 0; i < lineStart; i++) if (bytes[i] === 0x0a) line++;
  return { line, col: bytes.subarray(lineStart, offset).toString('utf8').length + 1 };
}

/**
 * Offset of the first byte that does not start a valid UTF-8 sequence (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF), or -1 when all of `bytes` is
 * valid. Pure.
 */
export function firstInvalidUtf8(bytes: Buffer): number {
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    // Sequence length and the allowed range of the second byte (RFC 3629 §4).
    let len: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) len = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      len = 3;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      len = 4;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    if (i + len > bytes.length) return i;
    const second = bytes[i + 1]!;
    if (second < lo || second > hi) return i;
    for (let k = 2; k < len; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return i;
    i += len;
  }
  return -1;
}

/**
 * Text of config file `file` (UTF-8, BOM kept as the YAML parser expects). `from`: the
 * position of the `!*Include` or `mixins` entry naming it, for errors about the file itself.
 * Throws ConfigError (126): unreadable (`no such file`, `permission denied`, ...), not a
 * regular file, bigger than CONFIG_SIZE_LIMIT, or not UTF-8 (at the file's line:col).
 */
export function readConfigText(file: string, from: Pos | undefined): string {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; regular files ignore it.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String((e as Error).message);
    throw new ConfigError('config.unreadable', `Can't read ${JSON.stringify(file)}: ${why}`, from);
  }
  let bytes: Buffer;
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new ConfigError('config.unreadable', `Can't read ${JSON.stringify(file)}: it is ${kindOf(st)}, a config file must be a regular file`, from);
    if (st.size > CONFIG_SIZE_LIMIT) {
      throw new ConfigError('config.unreadable', `Can't read ${JSON.stringify(file)}: it has ${st.size} bytes, more than the ${CONFIG_SIZE_LIMIT / 1024 / 1024} MiB a config file may have`, from);
    }
    // Read at most one byte past the limit: a file growing while read is caught too.
    const buf = Buffer.alloc(Math.min(st.size, CONFIG_SIZE_LIMIT) + 1);
    let n = 0;
    for (let got = -1; got !== 0 && n < buf.length;) {
      got = readSync(fd, buf, n, buf.length - n, null);
      n += got;
    }
    if (n > CONFIG_SIZE_LIMIT) {
      throw new ConfigError('config.unreadable', `Can't read ${JSON.stringify(file)}: it has more than the ${CONFIG_SIZE_LIMIT / 1024 / 1024} MiB a config file may have`, from);
    }
    bytes = buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) {
    const { line, col } = bytePosition(bytes, bad);
    throw new ConfigError('config.not-utf8', `The file is not valid UTF-8: byte 0x${bytes[bad]!.toString(16).padStart(2, '0')} is not part of a UTF-8 character (save the file as UTF-8)`, { file, line, col });
  }
  return bytes.toString('utf8');
}
