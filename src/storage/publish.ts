/**
 * Publishing a built container version and the small files kept beside it
 * (vagga-inventory.md §2.2, §2.3 steps 7-8):
 *  - `.tmp.<name>` is renamed to `<name>.<8hex>` (one rename(2): atomic; a forced rebuild
 *    first moves the existing version aside to `.tmp.<name>.old` and deletes it afterwards);
 *  - `last_use` is touched;
 *  - `.vagga/<name>` is replaced atomically: a new symlink `<name>.tmp` renamed over it.
 * A failure before the rename leaves the previous version and its link untouched.
 */
import { existsSync, lstatSync } from 'node:fs';
import { readFile, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { VaggaError } from '../errors/vagga-error.js';
import type { IdMapEntry, IdMapping } from '../sandbox/types.js';
import {
  containerLinkPath, containerLinkTarget, oldVersionDir, versionDir, VERSION_FILES, type ProjectLayout,
} from './layout.js';
import { removeTree } from './remove.js';
import { versionInUse } from './in-use.js';
import { touchLastUse } from './last-use.js';
import { makeStorageDir } from './storage-dirs.js';

/**
 * Render map entries like the kernel renders /proc/PID/uid_map (`%10u %10u %10u\n` per
 * entry), the format of the `uid_map`/`gid_map` files Vagga keeps per version.
 */
export function formatIdMap(entries: readonly IdMapEntry[]): string {
  const col = (n: number) => String(n).padStart(10);
  return entries.map((e) => `${col(e.inside)} ${col(e.outside)} ${col(e.count)}\n`).join('');
}

/** Write the `uid_map` and `gid_map` files of a version dir (or a `.tmp.<name>` dir). */
export async function writeIdMaps(dir: string, mapping: IdMapping): Promise<void> {
  await writeFile(join(dir, VERSION_FILES.uidMap), formatIdMap(mapping.uids));
  await writeFile(join(dir, VERSION_FILES.gidMap), formatIdMap(mapping.gids));
}

/**
 * True when the version dir was built with a different uid map than `mapping` (Vagga
 * rebuilds then, with a warning; §2.3 step 2). A missing `uid_map` file counts as equal
 * (nothing to compare; e.g. versions made by other tools).
 */
export async function idMapChanged(dir: string, mapping: IdMapping): Promise<boolean> {
  let saved: string;
  try {
    saved = await readFile(join(dir, VERSION_FILES.uidMap), 'utf8');
  } catch {
    return false;
  }
  const norm = (s: string) => s.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' ')).join('\n');
  return norm(saved) !== norm(formatIdMap(mapping.uids));
}

/**
 * Point `.vagga/<name>` at version `hash` of `name` atomically (symlink `<name>.tmp`, then
 * rename over the link). Does nothing when it already points there. Throws VaggaError (121)
 * when `.vagga/<name>` exists and is a real directory (never replaced silently) or when
 * `.vagga` cannot be created or written (storage-dirs.ts).
 */
export async function updateContainerLink(layout: ProjectLayout, name: string, hash: string): Promise<void> {
  const link = containerLinkPath(layout, name);
  const target = containerLinkTarget(layout, name, hash);
  try {
    if ((await readlink(link)) === target) return;
  } catch { /* missing or not a link */ }
  if (existsSync(link) && lstatSync(link).isDirectory()) {
    throw new VaggaError(`${link} is a directory, but vagga keeps a symlink to the container's root there`, {
      code: 'storage.link-is-directory',
      hint: `Move ${link} out of the way (it is not vagga's) and run the command again.`,
    });
  }
  makeStorageDir(layout.vaggaDir);
  const tmp = `${link}.tmp`;
  await rm(tmp, { force: true });
  await symlink(target, tmp);
  await rename(tmp, link);
}

/** Options of publishVersion. */
export interface PublishOptions {
  /**
   * The container's `auto-clean` (and not the `disable-auto-clean` setting): delete the
   * version `.vagga/<name>` pointed to before, unless a running command uses it.
   */
  autoClean?: boolean;
  /** Messages (auto-clean skips); default: stderr. */
  write?: (text: string) => void;
}

/** The `<name>.<8hex>` dir `.vagga/<name>` currently points to, if it is a version of `name`. */
export async function linkedVersionDir(layout: ProjectLayout, name: string): Promise<string | undefined> {
  let target: string;
  try {
    target = await readlink(containerLinkPath(layout, name));
  } catch {
    return undefined;
  }
  const m = /(?:^|\/)\.roots\/([^/]+)\/root$/.exec(target);
  if (!m || !m[1]!.startsWith(`${name}.`)) return undefined;
  return join(layout.rootsDir, m[1]!);
}

/**
 * Move a finished build dir (`.tmp.<name>`, holding `root/`) to `<name>.<8hex>` and return
 * that path. If the version dir already exists (forced rebuild), it is moved to
 * `.tmp.<name>.old` first and deleted after the new one is in place. Then touches
 * `last_use` and updates `.vagga/<name>`. With `options.autoClean` (§2.3 step 8), the
 * version the link pointed to before is deleted after the link moved (renamed to
 * `.tmp.<dirname>` first, so an interrupted delete is left for `_clean --tmp`), unless a
 * running command holds it (in-use.ts): then it stays, with a message.
 */
export async function publishVersion(layout: ProjectLayout, name: string, hash: string, buildDir: string, options: PublishOptions = {}): Promise<string> {
  const dest = versionDir(layout, name, hash);
  const previous = options.autoClean ? await linkedVersionDir(layout, name) : undefined;
  let old: string | undefined;
  if (existsSync(dest)) {
    old = oldVersionDir(layout, name);
    await removeTree(old);
    await rename(dest, old);
  }
  await rename(buildDir, dest);
  touchLastUse(dest);
  await updateContainerLink(layout, name, hash);
  if (old) await removeTree(old);
  if (previous && previous !== dest && existsSync(previous)) {
    if (versionInUse(previous)) {
      (options.write ?? ((t: string) => void process.stderr.write(t)))(
        `Keeping the previous version ${basename(previous)} (auto-clean): a running command uses it; \`vagga _clean --old\` removes it later\n`);
    } else {
      const doomed = join(layout.rootsDir, `.tmp${basename(previous)}`);
      await removeTree(doomed);
      await rename(previous, doomed);
      await removeTree(doomed);
    }
  }
  return dest;
}
