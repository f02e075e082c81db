/**
 * `vagga _pack_image` without `--format`: the container root as a plain tar (Vagga's
 * behaviour; here pax with the flags of tar-args.ts, so owners, hard links, setuid bits and
 * file capabilities survive), optionally compressed, to stdout or a file. tar runs in the
 * user namespace (root-tar.ts); the compressor runs on the host over its output. A file is
 * written under a temporary name and renamed when complete.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, realpathSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { VaggaError } from '../errors/vagga-error.js';
import type { IdMapping } from '../sandbox/types.js';
import { COMPRESSOR_PACKAGES, compressorArgv, type Compression } from './compression.js';
import { hostProgram } from './host-programs.js';
import { rootTarSpec, startRootTar, type TarSandboxStarter } from './root-tar.js';

/** What packRootTar packs and where. */
export interface PackTarOptions {
  rootfs: string;
  idMapping: IdMapping;
  compression?: Compression;
  /** Output file (host path); absent: vagga's stdout. */
  file?: string;
  /** Replaces the sandbox starter (tests). */
  startTar?: TarSandboxStarter;
}

/** Run the compressor `c` (found at `path`) from `input` to the fd `out` (1 for stdout); rejects on failure. */
function compress(c: Compression, path: string, input: NodeJS.ReadableStream, out: number): Promise<void> {
  const [program, ...args] = compressorArgv(c);
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, { stdio: ['pipe', out, 'inherit'] });
    child.on('error', reject);
    child.stdin!.on('error', () => {});
    input.pipe(child.stdin!);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new VaggaError(`${program} exited with status ${code}`, { code: 'image.archive-failed' }));
    });
  });
}

/**
 * Pack `rootfs` (see the module comment). Throws MissingToolError for a missing tool,
 * VaggaError `image.tar-failed`/`image.archive-failed` (121) when tar or the compressor
 * fails (a partial file is removed).
 */
export async function packRootTar(opts: PackTarOptions): Promise<void> {
  if (!opts.file && !opts.compression) {
    // Straight to vagga's stdout: no copy through node.
    const start = opts.startTar ?? (await import('../sandbox/bwrap.js')).startSandbox;
    const r = await start(rootTarSpec(realpathSync(opts.rootfs), opts.idMapping, {}, 'inherit')).done;
    if (r.status !== 0) throw new VaggaError(`Could not pack the container root ${opts.rootfs}: tar exited with status ${r.status}`, { code: 'image.tar-failed' });
    return;
  }
  const c = opts.compression;
  const compressor = c ? hostProgram(compressorArgv(c)[0], COMPRESSOR_PACKAGES[c], `it compresses the archive (${c})`) : undefined;
  const tmp = opts.file ? join(dirname(opts.file), `.${basename(opts.file)}.tmp-${process.pid}`) : undefined;
  const handle = tmp ? await open(tmp, 'w', 0o644) : undefined;
  try {
    const tar = await startRootTar(opts.rootfs, opts.idMapping, {}, opts.startTar);
    const sink = c && compressor
      ? compress(c, compressor, tar.stream, handle?.fd ?? 1)
      : pipeline(tar.stream, createWriteStream('', { fd: handle!.fd, autoClose: false }));
    await Promise.all([sink, tar.done]);
    await handle?.close();
    if (tmp) await rename(tmp, opts.file!);
  } finally {
    await handle?.close().catch(() => undefined);
    if (tmp) await rm(tmp, { force: true });
  }
}
