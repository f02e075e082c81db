/**
 * A small reader of zip archives (PKWARE APPNOTE.TXT, "4.3 General format of a .ZIP file"),
 * enough for `!Unzip`: the central directory is read from the end of the file, each entry's
 * data is found through its local header, and stored (method 0) or deflated (method 8)
 * entries are extracted with node:zlib's inflateRaw. ZIP64 archives (more than 65535
 * entries or 4 GiB), encryption and other compression methods are rejected with a clear
 * error. Unix modes come from the upper 16 bits of the external attributes when the entry
 * was made on a Unix host ("version made by" high byte 3), as Info-ZIP and Python write.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { inflateRawSync } from 'node:zlib';
import { VaggaError } from '../../errors/vagga-error.js';

/** One entry of the central directory. */
export interface ZipEntry {
  /** Name as stored (`/`-separated; directories end with `/`). */
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  /** Offset of the local file header. */
  localOffset: number;
  /** Full st_mode (type and permission bits) when the entry carries a Unix mode, else undefined. */
  unixMode?: number;
  /** True for encrypted entries (general purpose flag bit 0). */
  encrypted: boolean;
}

/** The kind of an entry, from its Unix mode or, without one, from the trailing `/`. */
export function entryKind(e: ZipEntry): 'dir' | 'file' | 'symlink' {
  if (e.unixMode !== undefined) {
    const type = e.unixMode & 0o170000;
    if (type === 0o120000) return 'symlink';
    if (type === 0o040000) return 'dir';
    if (type === 0o100000) return 'file';
  }
  return e.name.endsWith('/') ? 'dir' : 'file';
}

/** The error for an archive this reader cannot handle (exit 121). */
export function badZip(file: string, detail: string): VaggaError {
  return new VaggaError(`!Unzip: ${file}: ${detail}`, {
    code: 'build.bad-archive',
    hint: 'Check that the file is a complete zip archive (unzip -l FILE); ZIP64 and encrypted archives are not supported.',
  });
}

const EOCD_SIG = 0x06054b50;
const CDH_SIG = 0x02014b50;
const LFH_SIG = 0x04034b50;

async function readAt(fh: FileHandle, pos: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, pos);
  return buf.subarray(0, bytesRead);
}

/**
 * An open zip archive. `entries` lists the central directory in archive order; `read`
 * returns an entry's uncompressed content (CRC-checked).
 */
export class ZipArchive {
  private constructor(private readonly fh: FileHandle, readonly file: string, readonly entries: ZipEntry[]) {}

  /**
   * Open `file` and read its central directory. Throws VaggaError (121) when the file is
   * not a zip archive, is truncated, or uses ZIP64.
   */
  static async open(file: string): Promise<ZipArchive> {
    const fh = await open(file, 'r');
    try {
      const { size } = await fh.stat();
      // End of central directory: 22 bytes plus a comment of up to 65535 bytes.
      const tailLen = Math.min(size, 22 + 0xffff);
      const tail = await readAt(fh, size - tailLen, tailLen);
      let eocd = -1;
      for (let i = tail.length - 22; i >= 0; i--) {
        if (tail.readUInt32LE(i) === EOCD_SIG) { eocd = i; break; }
      }
      if (eocd < 0) throw badZip(file, 'not a zip archive (no end of central directory record)');
      const count = tail.readUInt16LE(eocd + 10);
      const cdSize = tail.readUInt32LE(eocd + 12);
      const cdOffset = tail.readUInt32LE(eocd + 16);
      if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) throw badZip(file, 'ZIP64 archives are not supported');
      if (cdOffset + cdSize > size) throw badZip(file, 'truncated archive (central directory beyond end of file)');
      const cd = await readAt(fh, cdOffset, cdSize);
      const entries: ZipEntry[] = [];
      let p = 0;
      for (let i = 0; i < count; i++) {
        if (p + 46 > cd.length || cd.readUInt32LE(p) !== CDH_SIG) throw badZip(file, 'corrupt central directory');
        const madeBy = cd.readUInt16LE(p + 4);
        const flags = cd.readUInt16LE(p + 8);
        const method = cd.readUInt16LE(p + 10);
        const crc32 = cd.readUInt32LE(p + 16);
        const compressedSize = cd.readUInt32LE(p + 20);
        const usize = cd.readUInt32LE(p + 24);
        const nameLen = cd.readUInt16LE(p + 28);
        const extraLen = cd.readUInt16LE(p + 30);
        const commentLen = cd.readUInt16LE(p + 32);
        const external = cd.readUInt32LE(p + 38);
        const localOffset = cd.readUInt32LE(p + 42);
        if (compressedSize === 0xffffffff || usize === 0xffffffff || localOffset === 0xffffffff) {
          throw badZip(file, 'ZIP64 archives are not supported');
        }
        const nameBuf = cd.subarray(p + 46, p + 46 + nameLen);
        // Bit 11: UTF-8 names. Otherwise CP437, which equals UTF-8 for the ASCII names seen in practice.
        const name = nameBuf.toString(flags & 0x800 ? 'utf8' : 'latin1');
        const unixMode = madeBy >> 8 === 3 && external >>> 16 !== 0 ? external >>> 16 : undefined;
        entries.push({ name, method, compressedSize, size: usize, crc32, localOffset, unixMode, encrypted: (flags & 1) !== 0 });
        p += 46 + nameLen + extraLen + commentLen;
      }
      return new ZipArchive(fh, file, entries);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  /** The uncompressed content of `e`. Throws VaggaError (121) for unsupported or corrupt entries. */
  async read(e: ZipEntry): Promise<Buffer> {
    if (e.encrypted) throw badZip(this.file, `${JSON.stringify(e.name)} is encrypted`);
    const lfh = await readAt(this.fh, e.localOffset, 30);
    if (lfh.length < 30 || lfh.readUInt32LE(0) !== LFH_SIG) throw badZip(this.file, `corrupt local header of ${JSON.stringify(e.name)}`);
    const dataStart = e.localOffset + 30 + lfh.readUInt16LE(26) + lfh.readUInt16LE(28);
    const raw = await readAt(this.fh, dataStart, e.compressedSize);
    if (raw.length !== e.compressedSize) throw badZip(this.file, `truncated data of ${JSON.stringify(e.name)}`);
    let data: Buffer;
    if (e.method === 0) data = raw;
    else if (e.method === 8) {
      try {
        data = inflateRawSync(raw);
      } catch (err) {
        throw badZip(this.file, `corrupt data of ${JSON.stringify(e.name)}: ${(err as Error).message}`);
      }
    } else throw badZip(this.file, `${JSON.stringify(e.name)} uses compression method ${e.method} (only stored and deflate are supported)`);
    if (data.length !== e.size || crc32(data) !== e.crc32) throw badZip(this.file, `CRC or size mismatch in ${JSON.stringify(e.name)}`);
    return data;
  }

  /** Close the file. */
  async close(): Promise<void> {
    await this.fh.close();
  }
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (ISO-HDLC, the zip/gzip polynomial 0xEDB88320) of `data`. */
export function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = crcTable[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
