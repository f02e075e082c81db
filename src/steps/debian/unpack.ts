/**
 * Starting a root from a cached base (the first step of `!Debian` and `!Ubuntu*` containers):
 * unpacking the bootstrap tarball into the root being built, inside the builder (namespace
 * root with all capabilities, so owners are kept), then writing vagga's configuration files
 * and the mount-point directories. Device nodes are skipped: mknod is not allowed in a user
 * namespace and the sandboxes mount /dev anyway (runtime-facts.md §4).
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { VaggaError } from '../../errors/vagga-error.js';
import { findTool } from '../../sandbox/tools.js';
import type { RootFile } from './apt.js';
import { inContainerRoot } from '../root-path.js';
import { spawnHost } from '../../sandbox/host-spawn.js';

/** Empty files the build machinery may create before any step (mount points of the host's files). */
const ALLOWED_EMPTY_FILES = new Set(['etc/resolv.conf', 'etc/hosts']);

/**
 * The first entry (relative path) that makes `root` unfit for a bootstrap, or undefined.
 * Allowed: directories holding only allowed entries (vagga's mount-point dirs such as
 * `dev proc run sys tmp work`, `!CacheDirs`/`!EnsureDir` mount points) and empty
 * `etc/resolv.conf`/`etc/hosts`.
 */
export function unexpectedRootEntry(root: string, rel = ''): string | undefined {
  for (const name of readdirSync(join(root, rel)).sort()) {
    const path = rel === '' ? name : `${rel}/${name}`;
    const st = lstatSync(join(root, path));
    if (st.isDirectory()) {
      const inner = unexpectedRootEntry(root, path);
      if (inner !== undefined) return inner;
    } else if (!(st.isFile() && st.size === 0 && ALLOWED_EMPTY_FILES.has(path))) {
      return path;
    }
  }
  return undefined;
}

/** GNU tar argv (without the program) that unpacks `tarball` into `root` keeping numeric owners and modes, skipping ./dev/*. */
export function tarUnpackArgv(tarball: string, root: string): string[] {
  return ['-C', root, '--numeric-owner', '--same-owner', '--exclude=./dev/*', '-xpf', tarball];
}

/**
 * Unpack the bootstrap tarball into `root` with GNU tar; `name` (`Debian`, `Ubuntu`) is for
 * the message. Throws MissingToolError when tar is absent, VaggaError (121) with tar's last
 * messages when it fails (typically ids the user namespace cannot map).
 */
export function unpackBootstrap(tarball: string, root: string, name = 'Debian'): Promise<void> {
  const tar = findTool('tar');
  return new Promise((resolve, reject) => {
    const child = spawnHost(tar, tarUnpackArgv(tarball, root), { stdio: ['ignore', 'ignore', 'pipe'] });
    let errText = '';
    child.stderr!.on('data', (c: Buffer) => {
      errText = (errText + c.toString('utf8')).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code, sig) => {
      if (code === 0) return resolve();
      const lines = errText.trim().split('\n').slice(-10);
      reject(
        new VaggaError(`Unpacking the ${name} base ${tarball} failed (${sig ? `killed by ${sig}` : `tar exit status ${code}`})`, {
          code: 'build.unpack-failed',
          hint: lines.map((l) => `    ${l}`).join('\n') || undefined,
        }),
      );
    });
  });
}

/**
 * Start the root being built from the cached base `tarball` (made in the step's `prepare`):
 * checks that the tarball is there and that nothing was put into `root` yet
 * (unexpectedRootEntry), then unpacks it (unpackBootstrap). `name` is the distribution
 * (`Debian`), `tag` the step (`!Debian`), both for messages. Throws VaggaError (121).
 */
export async function unpackBase(tarball: string, root: string, name: string, tag: string): Promise<void> {
  if (!existsSync(tarball)) {
    throw new VaggaError(`The ${name} base ${tarball} is missing from the cache`, {
      code: 'build.base-missing',
      hint: 'It is made before the build starts; was the cache directory cleaned during the build? Run the build again.',
    });
  }
  const extra = unexpectedRootEntry(root);
  if (extra !== undefined) {
    throw new VaggaError(`${tag} must be the first step that puts files into the container, but "/${extra}" already exists`, {
      code: 'build.not-first-step',
      hint: `Move \`${tag}\` to the top of the \`setup\` list.`,
    });
  }
  await unpackBootstrap(tarball, root, name);
}

/** Directories a root needs before commands run in it: the sandboxes mount over them. */
export const MOUNT_POINT_DIRS: readonly string[] = ['dev', 'proc', 'run', 'sys', 'tmp', 'work'];

/** Create the missing MOUNT_POINT_DIRS in `root` (mode 0755). */
export function ensureMountPointDirs(root: string): void {
  for (const d of MOUNT_POINT_DIRS) {
    if (!existsSync(join(root, d))) mkdirSync(join(root, d), { mode: 0o755 });
  }
}

/**
 * Configure a freshly unpacked root: remove the base's `replaced` files (relative paths, e.g.
 * deb822 sources), write `files` with their modes (parents created), ensureMountPointDirs.
 */
export function writeRootConfig(root: string, files: readonly RootFile[], replaced: readonly string[]): void {
  for (const rel of replaced) rmSync(inContainerRoot(root, `/${rel}`, { followLast: false }), { force: true });
  for (const f of files) {
    const path = inContainerRoot(root, `/${f.path}`);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, f.content);
    chmodSync(path, f.mode);
  }
  ensureMountPointDirs(root);
}

/**
 * Replace the root's `/usr/bin/chfn` with a symlink to `/bin/true` (made when absent), as
 * Vagga does on Ubuntu unless `keep-chfn-command` (vagga-inventory.md §2.6): in a user
 * namespace chfn cannot lock /etc/passwd (`chfn: cannot lock /etc/passwd`), and package
 * scripts (adduser) call it. Used by `!Ubuntu*` and `!Debian`. Symlinks on the way are
 * followed inside `root`; a symlink at chfn itself is replaced, not followed.
 */
export function replaceChfn(root: string): void {
  const chfn = inContainerRoot(root, '/usr/bin/chfn', { followLast: false });
  rmSync(chfn, { force: true });
  mkdirSync(dirname(chfn), { recursive: true });
  symlinkSync('/bin/true', chfn);
}
