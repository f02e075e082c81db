/**
 * Copy a directory tree with everything a root holds (owners, modes, hard links, symlinks,
 * xattrs including file capabilities, ACLs, nanosecond mtimes, atimes) as two GNU tar processes, one
 * reading and one writing, joined by a pipe: on two cores about twice as fast as `cp -a`
 * (495 MB Debian + nodejs root: 1.5 s against 3.4 s). Run as root of the user namespace that
 * owns the files (the builder), so owners are kept as numbers (`--numeric-owner`).
 */
import { spawnHost } from '../sandbox/host-spawn.js';
import { VaggaError } from '../errors/vagga-error.js';

/** tar options shared by both ends: every xattr namespace, ACLs, numeric owners. */
const TAR_COMMON = ['--xattrs', '--xattrs-include=*', '--acls', '--numeric-owner'];

/**
 * The reading end: pax (which records each member's atime as well as its mtime), and the
 * files and directories opened with O_NOATIME (`--atime-preserve=system`; root of the
 * namespace owns them), so reading a layer never moves the atimes the steps left in it.
 */
export const TAR_READ = [...TAR_COMMON, '--atime-preserve=system', '--format=pax'];

/**
 * The writing end: owners and modes as archived, and `--incremental`, with which GNU tar sets
 * each member's atime from the archive too (plain extraction leaves it at the extraction
 * time, so a `!Copy`'s atime of 1 or a `preserve-times` source atime would be lost). The
 * archive has no incremental dump-dir records, so nothing is deleted (GNU tar's manual,
 * "Incremental Dumps").
 */
export const TAR_WRITE = [...TAR_COMMON, '--same-owner', '--same-permissions', '--incremental'];

function exited(child: ReturnType<typeof spawnHost>, what: string, stderr: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.on('error', (e) => reject(new VaggaError(`${what}: can't run tar: ${e.message}`, { code: 'build.overlay' })));
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new VaggaError(`${what} failed (${signal ?? `exit code ${code}`}): ${stderr().trim().split('\n').slice(-3).join(' ')}`, { code: 'build.overlay' }));
    });
  });
}

/**
 * Copy the contents of directory `from` into the existing directory `to`. The writer reads
 * the reader's pipe itself: the archive (pax) never passes through node, whose copying of it
 * cost about as much as both tars together (224 MB root: 1.3 s with it, 0.75 s without).
 * Rejects with VaggaError (`build.overlay`) naming `what` when either tar fails.
 */
export async function copyTree(from: string, to: string, what: string): Promise<void> {
  const reader = spawnHost('tar', ['-C', from, ...TAR_READ, '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
  // node's own end of the pipe is closed at once, so either tar dying ends the other (EOF, EPIPE).
  const writer = spawnHost('tar', ['-C', to, ...TAR_WRITE, '-xf', '-'], { stdio: [reader.stdout!, 'ignore', 'pipe'] });
  let errors = '';
  reader.stderr!.setEncoding('utf8').on('data', (d: string) => { errors += d; });
  writer.stderr!.setEncoding('utf8').on('data', (d: string) => { errors += d; });
  reader.stdout!.destroy();
  await Promise.all([exited(reader, what, () => errors), exited(writer, what, () => errors)]);
}
