/**
 * The `storage-dir` setting (vagga-inventory.md §1.9, §2.2): containers of a project live in
 * `<storage-dir>/<subdir>` instead of `<project>/.vagga`, reached through the symlink
 * `<project>/.vagga/.lnk -> <storage-dir>/<subdir>` (absolute). `<subdir>` is the project's
 * basename, or `<basename>-N` (N = 1..100) when that name is taken by another project, or
 * the sanitised value of the variable named by `storage-subdir-from-env-var`. Each subdir
 * holds a back-link `<subdir>/.lnk -> <project root>` saying whose it is (`_clean --global`
 * follows it; `_init_storage_dir --allow-multiple` leaves it out so CI checkouts can share).
 */
import { lstatSync, mkdirSync, readlinkSync, rmSync, statSync, symlinkSync, renameSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Settings } from '../config/model.js';
import { linkInside } from './planted-links.js';
import { VaggaError } from '../errors/vagga-error.js';
import type { ProjectLayout } from './layout.js';
import { makeStorageDir, storageDirError } from './storage-dirs.js';

/** How many `-N` suffixes are tried before giving up (Vagga: 100). */
export const MAX_SUFFIX = 100;

function readLink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** `[A-Za-z0-9_-]` kept, anything else becomes `-` (storage-subdir-from-env-var, §1.9). */
export function sanitizeSubdir(value: string): string {
  return value.replace(/[^A-Za-z0-9_-]/g, '-');
}

/** Replace (or create) symlink `link` with one to `target`, atomically (`<link>.tmp` + rename). */
function putSymlink(target: string, link: string): void {
  const tmp = `${link}.tmp`;
  rmSync(tmp, { force: true });
  symlinkSync(target, tmp);
  renameSync(tmp, link);
}

/**
 * The subdir of `storageDir` for project `projectRoot`: the env-var name if configured,
 * else the first of `<basename>`, `<basename>-1` .. `-100` that is free or already
 * back-linked to this project. Pure fs reads. Throws VaggaError (121) when the variable is
 * unset/empty or every name is taken.
 */
export function chooseSubdir(storageDir: string, projectRoot: string, settings: Settings, env: NodeJS.ProcessEnv): string {
  const root = resolve(projectRoot);
  if (settings.storageSubdirFromEnvVar) {
    const raw = env[settings.storageSubdirFromEnvVar] ?? '';
    if (raw === '') {
      throw new VaggaError(`Environment variable ${settings.storageSubdirFromEnvVar} (setting storage-subdir-from-env-var) is empty or unset`, {
        code: 'storage.subdir-env-unset',
        hint: `Set ${settings.storageSubdirFromEnvVar} to the storage subdirectory name for this project.`,
      });
    }
    return join(storageDir, sanitizeSubdir(raw));
  }
  const name = basename(root) || 'root';
  for (let i = 0; i <= MAX_SUFFIX; i++) {
    const dir = join(storageDir, i === 0 ? name : `${name}-${i}`);
    let exists = true;
    try { lstatSync(dir); } catch { exists = false; }
    if (!exists) return dir;
    if (readLink(join(dir, '.lnk')) === root) return dir;
  }
  throw new VaggaError(`No free storage subdirectory for ${root} in ${storageDir} (${name}, ${name}-1 .. ${name}-${MAX_SUFFIX} are taken)`, {
    code: 'storage.no-free-subdir',
    hint: `Remove unused subdirectories of ${storageDir} (\`vagga _clean --global --unused --at-least 30days\` helps), or use \`vagga _init_storage_dir NAME\`.`,
  });
}

/**
 * Make sure the storage base of `layout` exists: nothing to do without `storage-dir`; else
 * check `.vagga/.lnk` (it must point to an existing directory) or create it: pick the
 * subdir (chooseSubdir), create it with its back-link, link `.vagga/.lnk` to it. Returns the
 * real storage directory. Throws VaggaError (121) for a dangling `.lnk`, a real directory in
 * its place, a storage dir back-linked to another project that still uses it (a copied
 * project: checkBackLink), or unwritable dirs (storage-dirs.ts).
 */
export function ensureStorageBase(layout: ProjectLayout, settings: Settings, env: NodeJS.ProcessEnv = process.env): string {
  if (!settings.storageDir || layout.base === layout.vaggaDir) return layout.base;
  const lnk = join(layout.vaggaDir, '.lnk');
  const target = readLink(lnk);
  if (target !== undefined) {
    const real = resolve(layout.vaggaDir, target);
    // A `.lnk` the project shipped may not lead anywhere but into the user's storage dir.
    if (isDir(real)) linkInside(lnk, settings.storageDir);
    if (isDir(real)) {
      checkBackLink(layout, lnk, real);
      return real;
    }
    throw new VaggaError(`The storage link ${lnk} points to ${real}, which does not exist`, {
      code: 'storage.link-dangling',
      hint: `The storage dir was deleted or storage-dir changed. Delete ${lnk} to let vagga create a new one, or run \`vagga _init_storage_dir NAME\`.`,
    });
  }
  if (isDir(lnk)) {
    throw new VaggaError(`${lnk} is a directory, but with the storage-dir setting vagga keeps a symlink there`, {
      code: 'storage.link-is-directory',
      hint: `Move ${lnk} out of the way (\`vagga _clean --everything\` without storage-dir removes it) and run the command again.`,
    });
  }
  makeStorageDir(settings.storageDir);
  const dir = chooseSubdir(settings.storageDir, layout.projectRoot, settings, env);
  linkStorage(layout, dir, true);
  return dir;
}

/**
 * True when paths `a` and `b` are the same directory (device and inode), e.g. the project
 * seen at /work and at its host path inside a capsule (src/runtime/capsule.ts).
 */
function sameDir(a: string, b: string): boolean {
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

/**
 * Check that storage subdir `real` (the target of `.vagga/.lnk` = `lnk`) belongs to this
 * project: its back-link `<real>/.lnk` is missing (`_init_storage_dir --allow-multiple`) or
 * points at `layout.projectRoot` (or the same directory by another path). A back-link naming another project whose own `.vagga/.lnk`
 * still leads to `real` means this project is a copy (`cp -a` copies `.vagga/.lnk`) that
 * would silently share, and overwrite, the original's containers: VaggaError (121) telling
 * to delete `.vagga/.lnk`. A back-link naming a project that no longer links there (the
 * project was moved or its link removed) is re-pointed at this project.
 */
export function checkBackLink(layout: ProjectLayout, lnk: string, real: string): void {
  const back = readLink(join(real, '.lnk'));
  if (back === undefined) return;
  const owner = resolve(real, back);
  if (owner === layout.projectRoot || sameDir(owner, layout.projectRoot)) return;
  const ownerLink = readLink(join(owner, '.vagga', '.lnk'));
  if (ownerLink !== undefined && resolve(owner, '.vagga', ownerLink) === real) {
    throw new VaggaError(`The storage dir ${real} (linked by ${lnk}) belongs to the project ${owner}, not to ${layout.projectRoot}`, {
      code: 'storage.link-foreign',
      hint: `This project was probably copied from ${owner} together with its .vagga/.lnk. `
        + `Delete ${lnk} (\`rm ${lnk}\`) to give this project its own storage subdirectory (its containers are rebuilt there).`,
    });
  }
  try {
    putSymlink(layout.projectRoot, join(real, '.lnk'));
  } catch (err) {
    throw storageDirError(err, real);
  }
}

/**
 * Create storage subdir `dir` (with `.roots`), its back-link to the project unless
 * `backLink` is false, and `.vagga/.lnk -> dir`. Throws storageDirError's VaggaError (121).
 */
export function linkStorage(layout: ProjectLayout, dir: string, backLink: boolean): void {
  makeStorageDir(join(dir, '.roots'));
  makeStorageDir(layout.vaggaDir);
  try {
    if (backLink && readLink(join(dir, '.lnk')) !== layout.projectRoot) putSymlink(layout.projectRoot, join(dir, '.lnk'));
    putSymlink(dir, join(layout.vaggaDir, '.lnk'));
  } catch (err) {
    throw storageDirError(err, dir);
  }
}

/**
 * `vagga _init_storage_dir NAME [--allow-multiple]` (§1.8, deprecated in Vagga, kept for CI
 * scripts): link the project to `<storage-dir>/NAME` (created if missing), writing the
 * back-link unless `allowMultiple`. Returns the storage subdir. Throws VaggaError 2 without
 * storage-dir, 1 for a bad NAME or a `.vagga/.lnk` already pointing elsewhere (it is not
 * replaced: the containers there would be lost to this project).
 */
export function initStorageDir(layout: ProjectLayout, settings: Settings, name: string, allowMultiple: boolean): string {
  if (!settings.storageDir) {
    throw new VaggaError('The storage-dir setting is not set: nothing to initialise', {
      code: 'init-storage-dir.no-storage-dir', hint: 'Set `storage-dir: ~/.vagga-storage` (any absolute path) in ~/.vagga.yaml first.',
    });
  }
  if (name === '' || name === '.' || name === '..' || name.includes('/')) {
    throw new VaggaError(`Invalid storage subdirectory name ${JSON.stringify(name)}`, { code: 'init-storage-dir.bad-args', hint: 'Give a plain name, e.g. the project name.' });
  }
  const dir = join(settings.storageDir, name);
  const lnk = join(layout.vaggaDir, '.lnk');
  const current = readLink(lnk);
  if (current !== undefined && resolve(layout.vaggaDir, current) !== dir) {
    throw new VaggaError(`${lnk} already points to ${resolve(layout.vaggaDir, current)}`, {
      code: 'init-storage-dir.link-exists', hint: `Delete ${lnk} first if the project should use ${dir} instead.`,
    });
  }
  makeStorageDir(settings.storageDir);
  mkdirSync(dir, { recursive: true });
  linkStorage(layout, dir, !allowMultiple);
  return dir;
}
