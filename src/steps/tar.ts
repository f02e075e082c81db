/**
 * `!Tar {url, sha256, path: /, subdir: ""}` (vagga-inventory.md §1.4): unpack a tarball
 * (gzip, xz, bzip2 or plain: recognised by magic bytes, not by name) into `path` of the
 * container. The source is fetched in `prepare` like `!Download`'s. Unpacking runs the
 * host's GNU tar (visible in the builder sandbox) as namespace root with
 * `--no-same-owner`: files belong to the container's root, not to the archive's owners.
 * Intermediate dirs are created 0755. `subdir` picks one directory of the archive: its
 * contents land in `path` (`"<subdir>" is not found in archive` when absent).
 * When unpacking at `/`, `dev/*` members are skipped (device nodes cannot be created in a
 * user namespace; every run gets a fresh /dev) and `etc/resolv.conf`/`etc/hosts` are
 * emptied again at the end of the build like every root's (src/builder/finish.ts).
 * Hash: `hash` = sha256 else `url`; `path`; `subdir`.
 */
import { open, lstat, mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import { def, opt, str, struct, type Out } from '../config/schema.js';
import { archiveSubdir, containerPath } from '../config/container-path.js';
import { VaggaError } from '../errors/vagga-error.js';
import { sourceFileStep } from './download.js';
import type { BuildContext, StepDef } from './step.js';
import { inContainerRoot, refuseLinksOut } from './root-path.js';
import { spawnHost } from '../sandbox/host-spawn.js';

const archiveSchema = struct({
  url: str(),
  sha256: opt(str()),
  path: def(containerPath(), '/'),
  subdir: def(archiveSubdir(), ''),
});

/** Validated parameters of the archive steps `!Tar` and `!Unzip`. */
export type ArchiveParams = Out<typeof archiveSchema>;

/** Validated `!Tar` parameters. */
export type TarParams = ArchiveParams;

export type Compression = 'gzip' | 'xz' | 'bzip2' | 'none';

/** Recognise the compression of a file from its first bytes (gzip 1f8b, xz FD'7zXZ'00, bzip2 'BZh'). */
export function detectCompression(head: Uint8Array): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 6 && head[0] === 0xfd && head[1] === 0x37 && head[2] === 0x7a && head[3] === 0x58 && head[4] === 0x5a && head[5] === 0x00) return 'xz';
  if (head.length >= 3 && head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68) return 'bzip2';
  return 'none';
}

async function readHead(file: string): Promise<Uint8Array> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(6);
    const { bytesRead } = await fh.read(buf, 0, 6, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/**
 * GNU tar arguments to extract `archive` into `dest` (pure). `atRoot`: the destination is
 * the container's `/` (then `dev/*` is excluded and directory symlinks such as a
 * merged-/usr `bin -> usr/bin` are kept instead of being replaced by directories).
 */
export function tarExtractArgs(archive: string, dest: string, compression: Compression, atRoot: boolean): string[] {
  const args = ['-x', '-f', archive, '-C', dest, '--no-same-owner', '--keep-directory-symlink'];
  if (compression === 'gzip') args.push('-z');
  else if (compression === 'xz') args.push('-J');
  else if (compression === 'bzip2') args.push('-j');
  if (atRoot) args.push('--anchored', '--exclude=./dev/*', '--exclude=dev/*');
  return args;
}

function runTar(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawnHost('tar', args, { stdio: ['ignore', 2, 2] });
    child.on('error', (err) => reject(new VaggaError(`!Tar: cannot run tar: ${err.message}`, {
      code: 'build.tar-failed', hint: 'GNU tar must be installed on the host (Debian package tar).',
    })));
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new VaggaError(`!Tar: tar ${args.join(' ')} failed (${signal ?? `exit code ${code}`})`, {
        code: 'build.tar-failed', hint: 'See tar\'s message above; is the archive complete and valid?',
      }));
    });
  });
}

async function isRealDir(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Move the contents of `src` into `dest` (same file system), merging directories: an entry
 * missing in `dest` is renamed there, two real directories are merged recursively, and
 * anything else in `dest` is replaced.
 */
export async function mergeMove(src: string, dest: string): Promise<void> {
  for (const entry of await readdir(src)) {
    const from = join(src, entry);
    const to = join(dest, entry);
    let existing = true;
    try { await lstat(to); } catch { existing = false; }
    if (!existing) {
      await rename(from, to);
    } else if ((await isRealDir(from)) && (await isRealDir(to))) {
      await mergeMove(from, to);
    } else {
      await rm(to, { recursive: true, force: true });
      await rename(from, to);
    }
  }
}

/**
 * Normalise `subdir` as written (`./dir/`, `dir`) to a relative path; `` for the whole archive.
 * Throws VaggaError (121) when it climbs out of the archive (`../x`).
 */
export function normalSubdir(subdir: string): string {
  const n = normalize(subdir.trim() || '.').replace(/^\/+/, '').replace(/\/+$/, '');
  // Checked again here (the schema refuses it): the subdir may not climb out of the unpacked tree.
  if (n === '..' || n.startsWith('../')) {
    throw new VaggaError(`Subdir ${JSON.stringify(subdir)} leaves the archive`, { code: 'build.subdir-outside-archive' });
  }
  return n === '.' ? '' : n;
}

/**
 * Unpack `archive` into `destDir` (a host path inside the root being built). With a
 * `subdir`, the archive is unpacked into a temp dir at the top of `root` (same file system)
 * and the subdir's contents are merged into `destDir`.
 */
export async function unpackTar(root: string, archive: string, destDir: string, subdir: string, atRoot: boolean): Promise<void> {
  const compression = detectCompression(await readHead(archive));
  await mkdir(destDir, { recursive: true, mode: 0o755 });
  const sub = normalSubdir(subdir);
  if (sub === '') {
    await runTar(tarExtractArgs(archive, destDir, compression, atRoot));
    return;
  }
  const tmp = await mkdtemp(join(root, '.vagga-unpack-'));
  try {
    await runTar(tarExtractArgs(archive, tmp, compression, false));
    const from = join(tmp, sub);
    if (!(await isRealDir(from))) {
      throw new VaggaError(`${JSON.stringify(subdir)} is not found in archive`, {
        code: 'build.subdir-not-found', hint: 'Check `subdir` of the !Tar step against the archive contents (tar -tf FILE).',
      });
    }
    await mergeMove(from, destDir);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * A step that unpacks an archive from `url` into `path` (`!Tar`, `!Unzip`; Vagga's shared
 * shape): schema `{url, sha256, path: /, subdir: ""}`, hash `hash`/`url`, `path`, `subdir`;
 * `unpack` gets the builder-side path of the prepared archive.
 */
export function archiveStep(tag: string, unpack: (p: ArchiveParams, archive: string, ctx: BuildContext) => Promise<void>): StepDef<ArchiveParams> {
  return sourceFileStep<ArchiveParams>({
    tag,
    schema: archiveSchema,
    hashFields(p, digest) {
      digest.field('path', p.path);
      digest.field('subdir', p.subdir);
    },
    install: unpack,
  });
}

const tar: StepDef<ArchiveParams> = { ...archiveStep('Tar', async (p, archive, ctx) => {
  const rel = normalize(p.path).replace(/^\/+/, '');
  const atRoot = rel === '' || rel === '.';
  const dest = atRoot ? ctx.root : inContainerRoot(ctx.root, p.path);
  refuseLinksOut(ctx.root, dest, [ctx.cacheDir]);
  await unpackTar(ctx.root, archive, dest, p.subdir, atRoot);
}), hashReadsOnlyParams: true };

export const steps: StepDef<any>[] = [tar];
