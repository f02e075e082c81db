/**
 * Running GNU tar over a container root inside a user namespace with the container's own
 * uid/gid map (bwrap sandbox, src/sandbox/bwrap.ts), its archive streamed to vagga through a
 * pipe. From the host side, tar could neither read the subuid-owned 0700 directories nor
 * write in-container owners (layers-and-images.md Part B §2a, runtime-facts §12). The
 * sandbox sees the host's /usr read-only (for tar itself), /proc, /dev and the root
 * read-only at ROOT_INSIDE; its stderr (tar's warnings) goes to vagga's stderr.
 */
import { realpathSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { VaggaError } from '../errors/vagga-error.js';
import { hostSystemMounts } from '../mounts/host-system.js';
import { TOOL_PATH } from '../sandbox/tool-sandbox.js';
import type { IdMapping, SandboxResult, SandboxSpec } from '../sandbox/types.js';
import { rootTarArgs, type RootTarOptions } from './tar-args.js';

/** Where the root is bound (read-only) inside the tar sandbox. */
export const ROOT_INSIDE = '/vagga/root';

/** A host path bound read-only into a tool sandbox. */
export interface ReadOnlyBind {
  source: string;
  dest: string;
}

/**
 * A sandbox running `argv` (a host program from /usr) with `binds` (read-only), /proc, /dev
 * and the host's system dirs, as namespace root with `idMapping` and all capabilities (so it
 * reads every file of a root whatever its owner and mode), stdout piped to vagga (or, with
 * `stdout` 'inherit', written to vagga's own stdout). Pure.
 */
export function toolSpec(argv: string[], binds: readonly ReadOnlyBind[], idMapping: IdMapping, stdout: 'pipe' | 'inherit' = 'pipe'): SandboxSpec {
  return {
    mounts: [
      ...hostSystemMounts(),
      { kind: 'proc', dest: '/proc' },
      { kind: 'dev', dest: '/dev' },
      ...binds.map((b) => ({ kind: 'bind' as const, source: b.source, dest: b.dest, readOnly: true })),
    ],
    argv,
    env: { PATH: TOOL_PATH, LC_ALL: 'C' },
    cwd: '/',
    idMapping,
    allCaps: true,
    shareNet: true,
    init: false,
    stdin: 'null',
    stdout,
  };
}

/**
 * The sandbox running `tar <rootTarArgs(ROOT_INSIDE)>` over the host directory `rootfs`
 * (bound read-only; give a real path) with `idMapping` (toolSpec). Pure.
 */
export function rootTarSpec(rootfs: string, idMapping: IdMapping, opts: RootTarOptions = {}, stdout: 'pipe' | 'inherit' = 'pipe'): SandboxSpec {
  return toolSpec(['/usr/bin/tar', ...rootTarArgs(ROOT_INSIDE, opts)], [{ source: rootfs, dest: ROOT_INSIDE }], idMapping, stdout);
}

/** A running tar of a root: read `stream` to the end, then await `done`. */
export interface RootTarStream {
  /** The uncompressed tar archive. */
  stream: Readable;
  /** Resolves when tar exited 0; rejects with VaggaError (121) otherwise. */
  done: Promise<void>;
}

/** Starts a sandbox (bwrap.ts startSandbox); replaceable in tests. */
export type TarSandboxStarter = (spec: SandboxSpec) => { stdout?: Readable; done: Promise<SandboxResult> };

/**
 * Start GNU tar over `rootfs` (a host path; symlinks resolved) inside a user namespace with
 * `idMapping` (the container's: idMappingFor(container.uids, container.gids)). Throws
 * MissingToolError (121) for missing bwrap/unshare/newuidmap; `done` rejects with
 * VaggaError (121) when tar fails (its messages are on stderr), SandboxError (124) when the
 * sandbox cannot be set up.
 */
export async function startRootTar(rootfs: string, idMapping: IdMapping, opts: RootTarOptions = {}, start?: TarSandboxStarter): Promise<RootTarStream> {
  const starter = start ?? (await import('../sandbox/bwrap.js')).startSandbox;
  const handle = starter(rootTarSpec(realpathSync(rootfs), idMapping, opts));
  if (!handle.stdout) throw new Error('Internal error: the tar sandbox has no stdout pipe');
  const done = handle.done.then((r) => {
    // tar exits 1 for "file changed as we read it": still a failure for a reproducible image.
    if (r.status !== 0) {
      throw new VaggaError(`Could not pack the container root ${rootfs}: tar exited with status ${r.status}`, { code: 'image.tar-failed' });
    }
  });
  return { stream: handle.stdout, done };
}
