/**
 * `!VaggaBin` volumes (vagga-inventory.md §1.5): a vagga that runs in any container, whatever
 * its libc, with or without Node. Pure: the host files come from runtime/volumes/vagga-bin.ts.
 *
 * The mount point gets a small read-only tmpfs holding
 *   - each entry of the vagga bundle's directory (vagga.cjs, vagga-main.cjs, vagga.mjs,
 *     chunks/), bound read-only under its own name;
 *   - `.runtime/node`: the host's JavaScript runtime binary (the real file of process.execPath);
 *   - `.runtime/lib/<name>`: the runtime's shared libraries under the names it asks for (their
 *     sonames) and the host's dynamic loader under its basename (e.g. ld-linux-x86-64.so.2);
 *   - `vagga`: a `#!/bin/sh` script that runs
 *     `<loader> --library-path <dest>/.runtime/lib <dest>/.runtime/node <dest>/vagga.cjs "$@"`.
 * Starting the runtime through the host's own loader with the host's own libraries makes it
 * independent of the container's libc and libstdc++ (a busybox or Alpine root works too). The
 * script needs a `/bin/sh` in the container; without one, exec fails with ENOENT naming the
 * script (`<dest>/vagga`). A statically linked runtime (no loader) is started directly.
 *
 * Inside the container process.execPath is the loader, not node: this vagga can read the
 * config and answer `--version`, `_version_hash`, `_list` and the like, but cannot build or
 * run containers (the builder re-runs the runtime as process.execPath, and the container has
 * no sandbox tools either).
 */
import { posix } from 'node:path';
import type { MountOp } from './types.js';

/** The bundle's entry script the wrapper runs (package.json `bin`). */
export const VAGGA_BIN_ENTRY = 'vagga.cjs';

/** One host file bound under `name` in `<dest>/.runtime/lib`. */
export interface VaggaBinLib {
  /** The name the runtime asks for (soname, or the loader's basename). */
  name: string;
  /** Real host path (symlinks resolved). */
  source: string;
}

/** The host files of a self-contained vagga (found by runtime/volumes/vagga-bin.ts). */
export interface VaggaBinFiles {
  /** Host directory of the vagga bundle. */
  bundleDir: string;
  /** Names of its entries (files and directories) to show at the mount point. */
  bundleEntries: string[];
  /** Real host path of the JavaScript runtime binary. */
  runtime: string;
  /** The host's dynamic loader (the runtime's ELF interpreter); absent for a static runtime. */
  loader?: VaggaBinLib;
  /** The runtime's shared libraries, the loader's own name excluded. */
  libs: VaggaBinLib[];
}

/** What the planner gets for `!VaggaBin`: the files, or what is missing on this host. */
export type VaggaBinInput = VaggaBinFiles | { missing: string };

/** Single-quoted for sh: `'` becomes `'\''`. */
function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Text of the `<dest>/vagga` script for `files` mounted at `dest` (absolute paths, quoted):
 * `exec LOADER --library-path DEST/.runtime/lib DEST/.runtime/node DEST/vagga.cjs "$@"`,
 * or `exec DEST/.runtime/node DEST/vagga.cjs "$@"` without a loader.
 */
export function vaggaBinScript(dest: string, files: Pick<VaggaBinFiles, 'loader'>): string {
  const lib = posix.join(dest, '.runtime/lib');
  const node = posix.join(dest, '.runtime/node');
  const entry = posix.join(dest, VAGGA_BIN_ENTRY);
  const prefix = files.loader ? `${shQuote(posix.join(lib, files.loader.name))} --library-path ${shQuote(lib)} ` : '';
  return [
    '#!/bin/sh',
    '# vagga (!VaggaBin): the host\'s JavaScript runtime, started by the host\'s dynamic loader',
    '# with the host\'s libraries, so it needs nothing from this container but /bin/sh.',
    `exec ${prefix}${shQuote(node)} ${shQuote(entry)} "$@"`,
    '',
  ].join('\n');
}

/** Names at the mount point that the bundle's entries must not take. */
const RESERVED = new Set(['vagga', '.runtime']);

/**
 * Mount operations of a `!VaggaBin` volume at `dest` (see the module comment): a 1 MiB tmpfs
 * (0755), the bundle's entries in name order, `.runtime/node`, `.runtime/lib/*` (loader
 * first, then libraries in name order), the `vagga` script (0755), then the tmpfs made
 * read-only. Bundle entries named `vagga` or `.runtime` are left out. Pure.
 */
export function vaggaBinOps(dest: string, files: VaggaBinFiles): MountOp[] {
  const lib = posix.join(dest, '.runtime/lib');
  const ops: MountOp[] = [{ kind: 'tmpfs', dest, size: 1024 * 1024, mode: 0o755 }];
  for (const name of [...files.bundleEntries].sort()) {
    if (RESERVED.has(name)) continue;
    ops.push({ kind: 'bind', source: posix.join(files.bundleDir, name), dest: posix.join(dest, name), readOnly: true });
  }
  ops.push(
    { kind: 'dir', dest: posix.join(dest, '.runtime'), mode: 0o755 },
    { kind: 'dir', dest: lib, mode: 0o755 },
    { kind: 'bind', source: files.runtime, dest: posix.join(dest, '.runtime/node'), readOnly: true },
  );
  const libs = [...(files.loader ? [files.loader] : []), ...[...files.libs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))];
  for (const l of libs) ops.push({ kind: 'bind', source: l.source, dest: posix.join(lib, l.name), readOnly: true });
  ops.push(
    { kind: 'file', dest: posix.join(dest, 'vagga'), content: vaggaBinScript(dest, files), mode: 0o755 },
    { kind: 'remount-ro', dest },
  );
  return ops;
}
