/**
 * `!Snapshot` (vagga-inventory.md §1.5): a tmpfs filled with a copy of a directory before the
 * command starts, by the host's static busybox (mounts/volumes-snapshot.ts) run as a prelude
 * to the command's argv.
 */
import { planSnapshotCopies } from '../../mounts/run-plan.js';
import { isStaticElf, snapshotArgv } from '../../mounts/volumes-snapshot.js';
import type { VolumeRuntime } from './kind.js';

/**
 * The host's statically linked busybox (Debian busybox-static), or undefined when there is
 * none: a dynamically linked one cannot run inside arbitrary container roots.
 */
export async function findStaticBusybox(): Promise<string | undefined> {
  const { findInDirs, searchDirs } = await import('../../sandbox/tools.js');
  const path = findInDirs('busybox', searchDirs(process.env.PATH));
  return path && isStaticElf(path) ? path : undefined;
}

/** Locates the snapshot shell and wraps the argv in the copy prelude. */
export const snapshotVolumes: VolumeRuntime = {
  kinds: ['Snapshot'],
  async prepare({ deps }) {
    return {
      planInput: { snapshotShell: deps.snapshotShell ?? await findStaticBusybox() },
      wrapArgv: (argv, input, env) => snapshotArgv(argv, planSnapshotCopies(input), env),
    };
  },
};
