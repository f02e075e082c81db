/**
 * Hand-made OCI images for the end-to-end tests: a minimal ustar writer (so a layer holds
 * exactly the entries a test wants, with any owner, also entries a normal tool would not
 * write, such as a file below a symlink of an earlier layer) and an OCI image layout writer
 * (oci-layout, index.json, blobs/sha256: gzip layers, config with `Env`, manifest).
 * Node built-ins only.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { BUSYBOX_APPLETS } from './harness.js';

/** One tar entry: a directory, a regular file or a symlink. */
export type TarEntry =
  | { type: 'dir'; path: string; mode?: number; uid?: number; gid?: number }
  | { type: 'file'; path: string; content: Buffer | string; mode?: number; uid?: number; gid?: number }
  | { type: 'symlink'; path: string; target: string; uid?: number; gid?: number };

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

/** A ustar header for `e` with `size` bytes of data (names up to 100 bytes). */
function header(e: TarEntry, size: number): Buffer {
  const h = Buffer.alloc(512);
  const name = e.type === 'dir' && !e.path.endsWith('/') ? `${e.path}/` : e.path;
  if (Buffer.byteLength(name) > 100) throw new Error(`tar name too long: ${name}`);
  h.write(name, 0, 'utf8');
  const mode = e.type === 'symlink' ? 0o777 : (e.mode ?? (e.type === 'dir' ? 0o755 : 0o644));
  h.write(octal(mode, 8), 100);
  h.write(octal(e.uid ?? 0, 8), 108);
  h.write(octal(e.gid ?? 0, 8), 116);
  h.write(octal(size, 12), 124);
  h.write(octal(1_700_000_000, 12), 136);
  h.write('        ', 148);
  h.write(e.type === 'dir' ? '5' : e.type === 'symlink' ? '2' : '0', 156);
  if (e.type === 'symlink') h.write(e.target, 157);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148);
  return h;
}

/** An uncompressed tar of `entries`, in order, with the two zero end blocks. */
export function makeTar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = e.type === 'file' ? Buffer.from(e.content) : Buffer.alloc(0);
    parts.push(header(e, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** Entries of a busybox root: `bin/busybox` (the host's static busybox) and its applet links. */
export function busyboxEntries(): TarEntry[] {
  return [
    { type: 'dir', path: 'bin' },
    { type: 'file', path: 'bin/busybox', content: readFileSync('/usr/bin/busybox'), mode: 0o755 },
    ...BUSYBOX_APPLETS.map((a): TarEntry => ({ type: 'symlink', path: `bin/${a}`, target: 'busybox' })),
  ];
}

/** What writeOciLayout writes. */
export interface OciImageSpec {
  /** Uncompressed layer tars, lowest first (stored gzip-compressed). */
  layers: Buffer[];
  /** Config `Env` entries (`K=V`). */
  env?: string[];
  /** The `org.opencontainers.image.ref.name` of the manifest in index.json. */
  tag: string;
  /** Config `architecture` (default: the host's, as OCI names it). */
  architecture?: string;
}

/** The host's architecture as OCI names it (`amd64`, `arm64`). */
export const HOST_ARCH = process.arch === 'x64' ? 'amd64' : process.arch;

/**
 * Write an OCI image layout at `dir` (created) holding one image; returns its manifest
 * digest (`sha256:...`). Adds to an existing layout's index.json when `dir` has one.
 */
export function writeOciLayout(dir: string, spec: OciImageSpec): string {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const put = (b: Buffer) => {
    const hex = createHash('sha256').update(b).digest('hex');
    writeFileSync(join(dir, 'blobs', 'sha256', hex), b);
    return { digest: `sha256:${hex}`, size: b.length };
  };
  const diffIds = spec.layers.map((l) => `sha256:${createHash('sha256').update(l).digest('hex')}`);
  const layers = spec.layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...put(gzipSync(l)) }));
  const config = put(Buffer.from(JSON.stringify({
    architecture: spec.architecture ?? HOST_ARCH, os: 'linux',
    config: { Env: spec.env ?? [], Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: diffIds },
  })));
  const manifest = put(Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers,
  })));
  addToIndex(dir, spec.tag, { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest });
  return manifest.digest;
}

/**
 * Add a multi-platform image index to the layout `dir`, tagged `tag`, over images already
 * in it (digests from writeOciLayout) with their platforms; returns the index's digest.
 */
export function writeOciIndex(dir: string, tag: string, images: Array<{ digest: string; architecture: string }>): string {
  const blob = (d: string) => join(dir, 'blobs', 'sha256', d.slice('sha256:'.length));
  const index = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: images.map((i) => ({
      mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: i.digest, size: readFileSync(blob(i.digest)).length,
      platform: { architecture: i.architecture, os: 'linux' },
    })),
  }));
  const digest = `sha256:${createHash('sha256').update(index).digest('hex')}`;
  writeFileSync(blob(digest), index);
  addToIndex(dir, tag, { mediaType: 'application/vnd.oci.image.index.v1+json', digest, size: index.length });
  return digest;
}

/** Put `desc` into the layout's index.json under `tag` (replacing an entry of that tag). */
function addToIndex(dir: string, tag: string, desc: { mediaType: string; digest: string; size: number }): void {
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  let manifests: unknown[] = [];
  try {
    manifests = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')).manifests ?? [];
  } catch { /* new layout */ }
  manifests = manifests.filter((m: any) => m.annotations?.['org.opencontainers.image.ref.name'] !== tag);
  manifests.push({ ...desc, annotations: { 'org.opencontainers.image.ref.name': tag } });
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests }));
}
