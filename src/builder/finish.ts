/**
 * The finish phase of a build (vagga-inventory.md §2.6 "Finish"), run by the builder after
 * the last setup step, in this order:
 *  1. finish hooks registered by steps (e.g. `!BuildDeps` removal, package listings), so
 *     that the cleanup below also covers what they leave behind;
 *  2. re-apply `!Remove` paths, empty `!EmptyDir` dirs, `/tmp` and `/var/tmp`;
 *  3. re-create `!EnsureDir` dirs and the system dirs `dev proc run sys tmp(1777) work etc`
 *     (0755): they are mount points at run time;
 *  4. truncate `etc/resolv.conf` and `etc/hosts` (created empty when missing), and the
 *     container's `resolv-conf-path`/`hosts-file-path` when elsewhere: the run sandbox
 *     binds the host's files there. A symlink there is left alone (Vagga's truncate_file).
 */
import { chmod, lstat, mkdir, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { BuildContext } from '../steps/step.js';
import { inRoot } from './build-context.js';

/** Top-level dirs every built root has (§2.2: `dev etc proc run sys tmp work`). */
export const SYSTEM_DIRS = ['dev', 'proc', 'run', 'sys', 'tmp', 'work', 'etc'] as const;

async function kind(path: string): Promise<'dir' | 'file' | 'symlink' | 'other' | undefined> {
  try {
    const st = await lstat(path);
    if (st.isSymbolicLink()) return 'symlink';
    if (st.isDirectory()) return 'dir';
    if (st.isFile()) return 'file';
    return 'other';
  } catch {
    return undefined;
  }
}

/** Delete everything inside `dir` (a real directory; symlinks and missing dirs are skipped). */
export async function emptyDir(dir: string): Promise<void> {
  if ((await kind(dir)) !== 'dir') return;
  for (const entry of await readdir(dir)) {
    await rm(join(dir, entry), { recursive: true, force: true });
  }
}

/** Create the system mount-point dirs in `root` (0755, tmp 1777). */
export async function makeSystemDirs(root: string): Promise<void> {
  for (const name of SYSTEM_DIRS) {
    const path = join(root, name);
    const k = await kind(path);
    if (k === undefined) await mkdir(path, { mode: 0o755 });
    if (name === 'tmp' && (k === undefined || k === 'dir')) await chmod(path, 0o1777);
  }
}

/**
 * Make `etc/resolv.conf`, `etc/hosts` and the `custom` paths (absolute container paths:
 * the container's `resolv-conf-path`/`hosts-file-path` when not the defaults) empty regular
 * files, as Vagga's finish does. Paths are resolved inside the root; symlinks and other
 * non-files are left alone; a missing file is created empty when its directory exists
 * (Vagga fails the build there; a run then reports the missing mount point instead).
 */
export async function emptyNetworkFiles(root: string, custom: readonly string[] = []): Promise<void> {
  for (const file of ['/etc/resolv.conf', '/etc/hosts', ...custom]) {
    const path = inRoot(root, file, { followLast: false });
    const k = await kind(path);
    if (k === 'file') await truncate(path, 0);
    else if (k === undefined && (await kind(dirname(path))) === 'dir') await writeFile(path, '', { mode: 0o644 });
  }
}

/**
 * Run the finish phase on `ctx.root` (see the file comment for the order); `networkFiles`:
 * the container's custom resolv/hosts paths (BuilderSpec.networkFiles).
 */
export async function finishRoot(ctx: BuildContext, networkFiles: readonly string[] = []): Promise<void> {
  for (const hook of ctx.finish.hooks) await hook();
  for (const p of ctx.finish.removePaths) await rm(inRoot(ctx.root, p, { followLast: false }), { recursive: true, force: true });
  for (const p of ctx.finish.emptyDirs) await emptyDir(inRoot(ctx.root, p));
  await emptyDir(inRoot(ctx.root, '/tmp', { followLast: false }));
  await emptyDir(inRoot(ctx.root, '/var/tmp', { followLast: false }));
  for (const p of ctx.finish.ensureDirs) await mkdir(inRoot(ctx.root, p), { recursive: true, mode: 0o755 });
  await makeSystemDirs(ctx.root);
  await emptyNetworkFiles(ctx.root, networkFiles);
}
