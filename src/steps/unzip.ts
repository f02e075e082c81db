/**
 * `!Unzip {url, sha256, path: /, subdir: ""}` (vagga-inventory.md §1.4 "Generic
 * execution"): unpack a zip archive into `path` of the container. The source is fetched in
 * `prepare` like `!Tar`'s (download cache, or a file in the project for relative URLs).
 * Schema, hash and fetching are !Tar's (archiveStep in src/steps/tar.ts).
 * Extraction uses our own reader (src/steps/unzip/zip-reader.ts; no host `unzip` needed):
 * Unix modes stored in the archive are honoured (setuid/setgid/sticky included), entries
 * without one get 0644 (files) / 0755 (dirs); symlinks are recreated; missing intermediate
 * dirs are created 0755; owners are the container's root. Directory modes are applied last
 * so a read-only directory can still be filled. `subdir` picks one directory of the archive:
 * its contents land in `path`; when no entry lies under it the step fails with
 * `"<subdir>" is not found in archive` (Vagga's wording, §4).
 * Entries with absolute names or `..` components are rejected.
 * Hash: `hash` = sha256 else `url`; `path`; `subdir` (unchanged from Vagga).
 */
import { chmod, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { resolveLinksUnder } from '../config/resolve-links.js';
import { VaggaError } from '../errors/vagga-error.js';
import { inContainerRoot, refuseLinksOut, RootPathError } from './root-path.js';
import type { StepDef } from './step.js';
import { archiveStep, normalSubdir, type ArchiveParams } from './tar.js';
import { badZip, entryKind, ZipArchive } from './unzip/zip-reader.js';

/** Validated `!Unzip` parameters (the shape of every archive step). */
export type UnzipParams = ArchiveParams;

/** The error for a `subdir` no archive entry lies under (Vagga's message). */
export function subdirNotFound(subdir: string): VaggaError {
  return new VaggaError(`${JSON.stringify(subdir)} is not found in archive`, {
    code: 'build.subdir-not-found', hint: 'Check `subdir` of the step against the archive contents (unzip -l FILE).',
  });
}

/**
 * The path of entry `name` relative to the destination (pure): `undefined` when the entry
 * is outside `sub` (a normalised subdir, `` for the whole archive) or is `sub` itself; ``
 * never returned for a real entry. Throws VaggaError for absolute names or `..` components.
 */
export function entryTarget(name: string, sub: string, file: string): string | undefined {
  const parts = name.split('/').filter((c) => c !== '' && c !== '.');
  if (name.startsWith('/') || parts.includes('..')) throw badZip(file, `unsafe entry name ${JSON.stringify(name)}`);
  const subParts = sub === '' ? [] : sub.split('/');
  if (parts.length < subParts.length || subParts.some((c, i) => parts[i] !== c)) return undefined;
  const rest = parts.slice(subParts.length);
  return rest.length === 0 ? undefined : rest.join('/');
}

/**
 * Extract the zip `archive` (a host path) into `destDir`, taking only the entries under
 * `subdir` (as written in vagga.yaml). Throws VaggaError (121): bad archive, unsafe names,
 * subdir not found. Members are written inside `root` (the container root; default
 * `destDir`), symlinks on their way followed as if `root` were `/`.
 */
export async function unzipInto(archive: string, destDir: string, subdir: string, root: string = destDir): Promise<void> {
  const zip = await ZipArchive.open(archive);
  try {
    const sub = normalSubdir(subdir);
    const dirModes: Array<[string, number]> = [];
    let matched = sub === '';
    await mkdir(destDir, { recursive: true, mode: 0o755 });
    for (const e of zip.entries) {
      const parts = e.name.split('/').filter((c) => c !== '' && c !== '.');
      if (sub !== '' && parts.join('/') === sub) matched = true;
      const rel = entryTarget(e.name, sub, archive);
      if (rel === undefined) continue;
      matched = true;
      // Every member lands inside `root`: a symlink on its way (one the archive made a moment
      // ago included) is followed as if `root` were `/`, never into the builder's view.
      const dest = join(underRoot(root, join(destDir, rel, '..')), basename(rel));
      const kind = entryKind(e);
      const perm = e.unixMode !== undefined ? e.unixMode & 0o7777 : undefined;
      await mkdir(join(dest, '..'), { recursive: true, mode: 0o755 });
      if (kind === 'dir') {
        await mkdir(dest, { recursive: true, mode: 0o755 });
        dirModes.push([dest, perm ?? 0o755]);
      } else if (kind === 'symlink') {
        const target = (await zip.read(e)).toString('utf8');
        await rm(dest, { recursive: true, force: true });
        await symlink(target, dest);
      } else {
        const data = await zip.read(e);
        await rm(dest, { recursive: true, force: true });
        await writeFile(dest, data, { mode: 0o600 });
        await chmod(dest, perm ?? 0o644);
      }
    }
    if (!matched) throw subdirNotFound(subdir);
    // Deepest first, so a read-only parent does not block its children's chmod.
    for (const [dir, mode] of dirModes.reverse()) await chmod(dir, mode);
  } finally {
    await zip.close();
  }
}

const unzip = archiveStep('Unzip', async (p, archive, ctx) => {
  const dest = inContainerRoot(ctx.root, p.path);
  refuseLinksOut(ctx.root, dest, [ctx.cacheDir]);
  await unzipInto(archive, dest, p.subdir, ctx.root);
});

/** The `!Unzip` step. */
export const steps: StepDef<any>[] = [unzip];

/** `hostPath` (at or below `root`) with its symlinks followed inside `root` (resolveLinksUnder); RootPathError on a loop. */
function underRoot(root: string, hostPath: string): string {
  const resolved = resolveLinksUnder(root, `/${relative(root, hostPath)}`);
  if (resolved === undefined) throw new RootPathError(`Too many levels of symbolic links in ${JSON.stringify(hostPath)}`);
  return resolved;
}
