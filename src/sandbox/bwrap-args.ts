/**
 * The one place turning a MountPlan and a sandbox description into bubblewrap arguments
 * (bwrap(1) of bubblewrap 0.8). Pure: no I/O. Notes from the man page that shape this code:
 * `--perms` and `--size` modify only the next operation; `--file FD DEST` copies the content
 * of an inherited fd; `--dir` keeps the mode of an existing directory.
 */
import type { MountOp, MountPlan } from '../mounts/types.js';

/** bwrap arguments of a mount plan plus the contents to feed to `--file` fds. */
export interface MountArgs {
  args: string[];
  /** `files[i]` must be readable on fd `firstFileFd + i` of the bwrap process. */
  files: string[];
}

/** Octal mode as bwrap parses it (`--perms 1777`, `--perms 0755`). */
export function octal(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}

function perms(mode: number | undefined): string[] {
  return mode === undefined ? [] : ['--perms', octal(mode)];
}

function opArgs(op: MountOp, fileFd: () => number, files: string[]): string[] {
  switch (op.kind) {
    case 'bind': {
      const flag = (op.readOnly ? '--ro-bind' : '--bind') + (op.optional ? '-try' : '');
      return [flag, op.source, op.dest];
    }
    case 'dev':
      return ['--dev', op.dest];
    case 'proc':
      return ['--proc', op.dest];
    case 'tmpfs':
      return [...(op.size === undefined ? [] : ['--size', String(op.size)]), ...perms(op.mode), '--tmpfs', op.dest];
    case 'dir':
      return [...perms(op.mode), '--dir', op.dest];
    case 'symlink':
      return ['--symlink', op.target, op.dest];
    case 'file': {
      const fd = fileFd();
      files.push(op.content);
      return [...perms(op.mode), '--file', String(fd), op.dest];
    }
    case 'remount-ro':
      return ['--remount-ro', op.dest];
  }
}

/**
 * bwrap arguments for `plan`, in plan order. `--file` operations are numbered from
 * `firstFileFd` upwards; the caller must pass their contents (returned in `files`) on
 * those fds, e.g. as pipes.
 */
export function mountArgs(plan: MountPlan, firstFileFd: number): MountArgs {
  const files: string[] = [];
  const args = plan.flatMap((op) => opArgs(op, () => firstFileFd + files.length, files));
  return { args, files };
}

/** Process-level options of one bwrap invocation (everything except the mounts). */
export interface BwrapOptions {
  /** Create a user namespace in bwrap (only when not entering a prepared one). */
  unshareUser: boolean;
  shareNet: boolean;
  allCaps: boolean;
  /** Dropped after `--cap-add ALL` (SandboxSpec.dropCaps). */
  dropCaps?: readonly string[];
  env: Record<string, string>;
  cwd: string;
  /** Fd on which bwrap writes `{"child-pid": N}` and `{"exit-code": N}` lines. */
  jsonStatusFd: number;
  /** Path of the init inside the sandbox (catatonit), or undefined to let bwrap reap. */
  initPath?: string;
  argv: string[];
}

/**
 * The bwrap argv (without the program name): namespaces (pid, ipc, net unless shared),
 * `--die-with-parent`, capabilities (`--cap-add ALL` then `--cap-drop` each of dropCaps, or
 * `--cap-drop ALL`), `--json-status-fd`,
 * a cleared environment plus `--setenv` for each variable (sorted), the mounts, `--chdir`,
 * then `--as-pid-1 INIT -- argv...` when an init is given, else `-- argv...`.
 */
export function bwrapArgs(opts: BwrapOptions, mounts: string[]): string[] {
  const args: string[] = [];
  if (opts.unshareUser) args.push('--unshare-user');
  args.push('--unshare-pid', '--unshare-ipc');
  if (!opts.shareNet) args.push('--unshare-net');
  args.push('--die-with-parent', '--json-status-fd', String(opts.jsonStatusFd));
  args.push(opts.allCaps ? '--cap-add' : '--cap-drop', 'ALL');
  if (opts.allCaps) for (const cap of opts.dropCaps ?? []) args.push('--cap-drop', cap);
  args.push('--clearenv');
  for (const key of Object.keys(opts.env).sort()) args.push('--setenv', key, opts.env[key]);
  args.push(...mounts);
  args.push('--chdir', opts.cwd);
  if (opts.initPath) args.push('--as-pid-1', '--', opts.initPath, '--', ...opts.argv);
  else args.push('--', ...opts.argv);
  return args;
}
