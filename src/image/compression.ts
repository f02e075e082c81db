/**
 * Compressors of `_pack_image` plain tars (Vagga's `-z/-j/-J`, plus `--zstd`): the system
 * programs, run on the host over the tar stream, with flags that make the output depend only
 * on the input (gzip `-n`: no name or time stamp; xz and zstd single-threaded).
 */

/** A compression of a plain tar. */
export type Compression = 'gzip' | 'bzip2' | 'xz' | 'zstd';

/** The program and arguments compressing stdin to stdout. Pure. */
export function compressorArgv(c: Compression): [string, ...string[]] {
  switch (c) {
    case 'gzip': return ['gzip', '-n', '-c'];
    case 'bzip2': return ['bzip2', '-c'];
    case 'xz': return ['xz', '-T1', '-c'];
    case 'zstd': return ['zstd', '-q', '-T1', '-c'];
  }
}

/** The Debian package shipping each compressor (for a missing-program error). */
export const COMPRESSOR_PACKAGES: Record<Compression, string> = { gzip: 'gzip', bzip2: 'bzip2', xz: 'xz-utils', zstd: 'zstd' };
