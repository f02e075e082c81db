/**
 * `!TarInstall {url, sha256, subdir, script}` (vagga-inventory.md §1.4 "Generic
 * execution"): unpack a source tarball into `/tmp/<file>` of the container (`<file>` is the
 * basename of the cached download, or of the project file), change into `subdir` when
 * given, else into the archive's single top-level entry (hidden entries ignored; zero or
 * several entries are an error, like Vagga), and run `/bin/sh -exc <script>` there
 * (default: `./configure --prefix=/usr`, `make`, `make install`). The unpacked tree is
 * removed after a successful run (and /tmp is emptied at the end of the build anyway).
 * The source is fetched in `prepare` like `!Tar`'s; unpacking reuses !Tar's GNU tar code.
 * Hash: `hash` = sha256 else `url`; opt `subdir`; `script` (unchanged from Vagga).
 */
import { lstat, readdir, rm } from 'node:fs/promises';
import { basename, join, posix } from 'node:path';
import { def, opt, str, struct, type Out } from '../config/schema.js';
import { archiveSubdir } from '../config/container-path.js';
import { VaggaError } from '../errors/vagga-error.js';
import { sourceFileStep } from './download.js';
import type { StepDef } from './step.js';
import { normalSubdir, unpackTar } from './tar.js';
import { inContainerRoot } from './root-path.js';

/** Default `script` of `!TarInstall` and `!GitInstall` (Vagga's). */
export const DEFAULT_INSTALL_SCRIPT = './configure --prefix=/usr\nmake\nmake install\n';

const tarInstallSchema = struct({
  url: str(),
  sha256: opt(str()),
  subdir: opt(archiveSubdir()),
  script: def(str(), DEFAULT_INSTALL_SCRIPT),
});

/** Validated `!TarInstall` parameters. */
export type TarInstallParams = Out<typeof tarInstallSchema>;

/**
 * The directory (relative to the unpacked tree `dir`) where the install script runs:
 * `subdir` when given (it must be a directory), else the single non-hidden top-level entry.
 * Throws VaggaError (121) naming what was found.
 */
export async function installDir(dir: string, subdir: string | undefined, what: string): Promise<string> {
  if (subdir !== undefined) {
    const rel = normalSubdir(subdir);
    let isDir = false;
    try { isDir = (await lstat(join(dir, rel))).isDirectory(); } catch { /* missing */ }
    if (!isDir) {
      throw new VaggaError(`${what}: ${JSON.stringify(subdir)} is not found in archive`, {
        code: 'build.subdir-not-found', hint: 'Check `subdir` of the step against the archive contents.',
      });
    }
    return rel;
  }
  const entries = (await readdir(dir)).filter((e) => !e.startsWith('.')).sort();
  if (entries.length !== 1) {
    throw new VaggaError(
      `${what}: the archive must contain exactly one top-level directory, found ${entries.length}` +
        (entries.length > 0 ? `: ${entries.slice(0, 5).join(', ')}${entries.length > 5 ? ', ...' : ''}` : ''),
      { code: 'build.archive-layout', hint: 'Set `subdir` to the directory to build in (`subdir: .` for the archive top).' },
    );
  }
  return entries[0]!;
}

const tarInstall = sourceFileStep<TarInstallParams>({
  tag: 'TarInstall',
  schema: tarInstallSchema,
  hashFields(p, digest) {
    digest.optField('subdir', p.subdir);
    digest.field('script', p.script);
  },
  async install(p, archive, ctx) {
    const name = basename(archive);
    const containerTmp = posix.join('/tmp', name);
    const hostTmp = inContainerRoot(ctx.root, `/tmp/${name}`, { followLast: false });
    await rm(hostTmp, { recursive: true, force: true });
    await unpackTar(ctx.root, archive, hostTmp, '', false);
    const rel = await installDir(hostTmp, p.subdir, '!TarInstall');
    await ctx.run(['/bin/sh', '-exc', p.script], { cwd: posix.join(containerTmp, rel) });
    // Kept on failure: the partial build in .vagga/.roots/.tmp.<name> shows what was built.
    await rm(hostTmp, { recursive: true, force: true });
  },
});

/** The `!TarInstall` step. */
export const steps: StepDef<any>[] = [tarInstall];
