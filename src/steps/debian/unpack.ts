/**
 * Unpacking the bootstrap tarball into the root being built, inside the builder (namespace
 * root with all capabilities, so owners are kept). Device nodes are skipped: mknod is not
 * allowed in a user namespace and the sandboxes mount /dev anyway (runtime-facts.md §4).
 */
import { spawn } from 'node:child_process';
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode, VaggaError } from '../../errors/vagga-error.js';
import { findTool } from '../../sandbox/tools.js';

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
 * Unpack the bootstrap tarball into `root` with GNU tar. Throws MissingToolError when tar is
 * absent, VaggaError (121) with tar's last messages when it fails (typically ids the user
 * namespace cannot map).
 */
export function unpackBootstrap(tarball: string, root: string): Promise<void> {
  const tar = findTool('tar');
  return new Promise((resolve, reject) => {
    const child = spawn(tar, tarUnpackArgv(tarball, root), { stdio: ['ignore', 'ignore', 'pipe'] });
    let errText = '';
    child.stderr.on('data', (c: Buffer) => {
      errText = (errText + c.toString('utf8')).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code, sig) => {
      if (code === 0) return resolve();
      const lines = errText.trim().split('\n').slice(-10);
      reject(
        new VaggaError(`Unpacking the Debian base ${tarball} failed (${sig ? `killed by ${sig}` : `tar exit status ${code}`})`, {
          exitCode: ExitCode.launcher,
          hint: lines.map((l) => `    ${l}`).join('\n') || undefined,
        }),
      );
    });
  });
}
