/**
 * Reading Alpine's archive files in memory: APKINDEX.tar.gz and `.apk` packages are
 * gzip-compressed tar streams, a package being several gzip members (signature, control,
 * data) whose tar segments are simply concatenated (apk-package(5) "v2 package format").
 * Only what the bootstrap needs: regular files by name. Tar headers: POSIX ustar
 * (pax extended headers `x`/`g` are skipped; GNU long names `L` are honoured).
 */
import { gunzipSync } from 'node:zlib';

const BLOCK = 512;

function cString(buf: Buffer, start: number, len: number): string {
  const raw = buf.subarray(start, start + len);
  const nul = raw.indexOf(0);
  return raw.subarray(0, nul < 0 ? raw.length : nul).toString('utf8');
}

function octal(buf: Buffer, start: number, len: number): number {
  const s = cString(buf, start, len).trim();
  return s === '' ? 0 : parseInt(s, 8);
}

/**
 * Regular files of an uncompressed tar stream (possibly several concatenated segments, with
 * or without end-of-archive blocks): name (without a leading `./`) -> content. Later
 * entries with the same name win. Throws on a truncated entry.
 */
export function tarFiles(data: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let off = 0;
  let longName: string | undefined;
  while (off + BLOCK <= data.length) {
    const header = data.subarray(off, off + BLOCK);
    if (header.every((b) => b === 0)) {
      off += BLOCK;
      continue;
    }
    const size = octal(header, 124, 12);
    const type = String.fromCharCode(header[156] ?? 0);
    const prefix = cString(header, 345, 155);
    let name = cString(header, 0, 100);
    if (prefix !== '' && header.subarray(257, 262).toString('latin1') === 'ustar') name = `${prefix}/${name}`;
    const bodyStart = off + BLOCK;
    if (bodyStart + size > data.length) throw new Error(`truncated tar entry ${JSON.stringify(name)}`);
    const body = data.subarray(bodyStart, bodyStart + size);
    off = bodyStart + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'L') {
      longName = body.toString('utf8').replace(/\0+$/, '');
      continue;
    }
    if (type === 'x' || type === 'g') continue;
    if (longName !== undefined) {
      name = longName;
      longName = undefined;
    }
    if (type === '0' || type === '\0' || type === '7') out.set(name.replace(/^\.\//, ''), Buffer.from(body));
  }
  return out;
}

/** Regular files of a gzip-compressed tar (concatenated gzip members are all read). */
export function tarGzFiles(data: Buffer): Map<string, Buffer> {
  return tarFiles(gunzipSync(data));
}
