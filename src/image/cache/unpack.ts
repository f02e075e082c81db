/**
 * Unpacking a downloaded image into a fresh build dir's empty `root`, always inside a user
 * namespace with the container's uid/gid map, so that owners come out as the container's
 * ids on this user's subordinate range (layers-and-images.md Part B §3, §4):
 *  - a tar stream (a Vagga tarball, or the single layer of an image we pushed) goes through
 *    GNU tar reading stdin (`--numeric-owner`, file capabilities kept); one archive into an
 *    empty directory cannot be made to write outside it (tar delays absolute symlinks);
 *  - anything else (several layers, whiteouts, foreign images) goes through `umoci raw
 *    unpack` over an OCI layout on disk, which resolves every path inside the root.
 * The sandbox sees the host's /usr read-only (the programs), /proc, /dev, and the build dir.
 */
import { pipeline } from 'node:stream/promises';
import type { Readable, Transform } from 'node:stream';
import { VaggaError } from '../../errors/vagga-error.js';
import { hostSystemMounts } from '../../mounts/host-system.js';
import { TOOL_PATH } from '../../sandbox/tool-sandbox.js';
import type { IdMapping, SandboxResult, SandboxSpec } from '../../sandbox/types.js';
import type { Writable } from 'node:stream';
import type { TarCompression } from './plan.js';

/** Where the build dir's root is bound inside the unpack sandbox. */
export const UNPACK_ROOT = '/vagga/root';
/** Where an OCI layout is bound (read-only) for umoci. */
export const UNPACK_IMAGE = '/vagga/image';

/** Starts a sandbox (bwrap.ts startSandbox); replaceable in tests. */
export type UnpackStarter = (spec: SandboxSpec) => { stdin?: Writable; done: Promise<SandboxResult> };

const TAR_FLAG: Record<TarCompression, string[]> = { none: [], gzip: ['-z'], xz: ['-J'], bzip2: ['-j'], zstd: ['--zstd'] };

/** tar's arguments extracting stdin into `dir` with owners, modes, mtimes and file capabilities. Pure. */
export function extractTarArgs(dir: string, compression: TarCompression): string[] {
  return ['-C', dir, '-x', '-p', '--numeric-owner', '--xattrs', '--xattrs-include=security.capability', ...TAR_FLAG[compression], '-f', '-'];
}

function spec(argv: string[], mounts: SandboxSpec['mounts'], idMapping: IdMapping, stdin: 'pipe' | 'null'): SandboxSpec {
  return {
    mounts: [...hostSystemMounts(), { kind: 'proc', dest: '/proc' }, { kind: 'dev', dest: '/dev' }, ...mounts],
    argv,
    env: { PATH: TOOL_PATH, LC_ALL: 'C' },
    cwd: '/',
    idMapping,
    allCaps: true,
    shareNet: false,
    init: false,
    stdin,
    stdout: 'stderr',
  };
}

/** The sandbox extracting a tar stream on stdin into the host directory `root`. Pure. */
export function tarUnpackSpec(root: string, idMapping: IdMapping, compression: TarCompression): SandboxSpec {
  return spec(['/usr/bin/tar', ...extractTarArgs(UNPACK_ROOT, compression)], [{ kind: 'bind', source: root, dest: UNPACK_ROOT, readOnly: false }], idMapping, 'pipe');
}

/**
 * The sandbox running `umoci raw unpack --image <layout>:<tag> <buildDir>/root` (the root
 * must not exist; its parent, the build dir, is bound read-write). Pure.
 */
export function umociUnpackSpec(layoutDir: string, tag: string, buildDir: string, idMapping: IdMapping): SandboxSpec {
  return spec(['/usr/bin/umoci', 'raw', 'unpack', '--image', `${UNPACK_IMAGE}:${tag}`, '/vagga/build/root'], [
    { kind: 'bind', source: layoutDir, dest: UNPACK_IMAGE, readOnly: true },
    { kind: 'bind', source: buildDir, dest: '/vagga/build', readOnly: false },
  ], idMapping, 'null');
}

async function starter(start?: UnpackStarter): Promise<UnpackStarter> {
  return start ?? (await import('../../sandbox/bwrap.js')).startSandbox;
}

/**
 * Stream `source` through `transforms` (decompression, digest checks) into GNU tar
 * extracting into the empty host directory `root` (`compression`: what tar itself
 * decompresses). Rejects with a stream's error (e.g. a digest mismatch found at the end)
 * or VaggaError `image.unpack-failed` when tar fails.
 */
export async function unpackTarStream(
  source: Readable, root: string, idMapping: IdMapping, compression: TarCompression, transforms: Transform[] = [], start?: UnpackStarter,
): Promise<void> {
  const handle = (await starter(start))(tarUnpackSpec(root, idMapping, compression));
  if (!handle.stdin) throw new Error('Internal error: the unpack sandbox has no stdin pipe');
  const stdin = handle.stdin;
  // tar exits early on a broken archive: its stdin then fails with EPIPE, reported below by its status.
  const fed = pipeline([source, ...transforms, stdin]).then(() => undefined, (err: unknown) => err);
  const [fedError, result] = await Promise.all([fed, handle.done]);
  if (fedError && (fedError as NodeJS.ErrnoException).code !== 'EPIPE') throw fedError;
  if (result.status !== 0) {
    throw new VaggaError(`tar exited with status ${result.status} unpacking the image`, { code: 'image.unpack-failed' });
  }
  if (fedError) throw fedError;
}

/** Run `umoci raw unpack` (umociUnpackSpec). Rejects with VaggaError `image.unpack-failed` when it fails. */
export async function unpackWithUmoci(layoutDir: string, tag: string, buildDir: string, idMapping: IdMapping, start?: UnpackStarter): Promise<void> {
  const result = await (await starter(start))(umociUnpackSpec(layoutDir, tag, buildDir, idMapping)).done;
  if (result.status !== 0) {
    throw new VaggaError(`umoci raw unpack exited with status ${result.status}`, { code: 'image.unpack-failed' });
  }
}
