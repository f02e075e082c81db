/**
 * `vagga _build_shell` (vagga-inventory.md §1.8, §2.5): an interactive shell in a user
 * namespace with the "max" uid/gid map, seeing the project at /work and its container
 * storage at /vagga/base (src/runtime/build-shell.ts has the view and how it differs from
 * Vagga's busybox shell). Commands may also be piped in: `echo 'ls /vagga/base/.roots' |
 * vagga _build_shell`. The /etc/subuid and /etc/subgid ranges are checked first, as for
 * `_clean` (a bad range: 121). Exits with the shell's status.
 */
import { readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import type { BuiltinCall } from '../builtin-spec.js';
import type { CliContext } from '../context.js';
import type { SandboxSpec, SandboxResult } from '../../sandbox/types.js';

/** Runs the shell's sandbox (tests replace it). */
export type BuildShellRunner = (spec: SandboxSpec) => Promise<SandboxResult>;

/** Resolves with the shell's exit status. `runner` replaces the sandbox (tests). */
export async function run(ctx: CliContext, _parsed: BuiltinCall, runner?: BuildShellRunner): Promise<number> {
  const { config, settings } = await ctx.project();
  const [{ maxIdMapping }, { projectLayout, cacheDirPath }, { ensureStorageBase }, { makeStorageDir }, { buildShellSpec }, { containerWorkDir }] = await Promise.all([
    import('../../sandbox/idmap.js'),
    import('../../storage/layout.js'),
    import('../../storage/storage-link.js'),
    import('../../storage/storage-dirs.js'),
    import('../../runtime/build-shell.js'),
    import('../../runtime/work-dir.js'),
  ]);
  const idMapping = maxIdMapping();
  const layout = projectLayout(config.projectRoot, settings);
  // As Vagga's wrapper: the storage (and its .roots, .transient) exists once the shell starts.
  makeStorageDir(layout.vaggaDir);
  const base = ensureStorageBase(layout, settings, ctx.env);
  makeStorageDir(join(base, '.roots'));
  makeStorageDir(join(base, '.transient'));
  let linkTarget: string | undefined;
  if (base !== layout.vaggaDir) {
    try { linkTarget = readlinkSync(join(layout.vaggaDir, '.lnk')); } catch { /* no link: nothing more to bind */ }
  }
  const spec = buildShellSpec({
    projectRoot: config.projectRoot,
    storageBase: realpathSync(base),
    storageLinkTarget: linkTarget,
    storageDir: settings.storageDir ? realpathSync(settings.storageDir) : undefined,
    cacheDir: cacheDirPath(settings, ctx.env),
    externalVolumes: settings.externalVolumes,
    cwd: containerWorkDir(config.projectRoot, ctx.cwd),
    term: ctx.env.TERM,
    idMapping,
  });
  const runSandbox = runner ?? (await import('../../sandbox/bwrap.js')).runSandbox;
  return (await runSandbox(spec)).status;
}
