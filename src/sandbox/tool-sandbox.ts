/**
 * The sandbox vagga uses to run one host tool (cp, rm, chown, our own bundle) as root of a
 * user namespace, so that it can read, link, delete or chown files owned by subordinate ids
 * (vagga-inventory.md §2.5 "max" mapping; runtime-facts.md: bwrap --unshare-user with the
 * map written by newuidmap/newgidmap). The tool's output goes to stderr, stdin is /dev/null,
 * there is no init and the network is shared.
 */
import { hostSystemMounts } from '../mounts/host-system.js';
import type { MountPlan } from '../mounts/types.js';
import type { IdMapping, SandboxSpec } from './types.js';

/** PATH inside tool sandboxes (the host's /usr, merged-usr links). */
export const TOOL_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The fields every tool sandbox shares: cwd `/`, all capabilities in the namespace, the
 * host's network, no init (the tool is pid 1), stdin /dev/null, stdout sent to stderr.
 */
export const TOOL_SANDBOX_OPTIONS = {
  cwd: '/',
  allCaps: true,
  shareNet: true,
  init: false,
  stdin: 'null',
  stdout: 'stderr',
} as const satisfies Partial<SandboxSpec>;

/**
 * The spec running `argv` (absolute program path first) with `idMapping`, seeing the host's
 * /usr read-only (hostSystemMounts), /proc, /dev and the host directory `rwDir` bound
 * read-write at the same path; env is only PATH (TOOL_PATH). Pure.
 */
export function toolSandboxSpec(argv: string[], rwDir: string, idMapping: IdMapping): SandboxSpec {
  const mounts: MountPlan = [
    ...hostSystemMounts(),
    { kind: 'proc', dest: '/proc' },
    { kind: 'dev', dest: '/dev' },
    { kind: 'bind', source: rwDir, dest: rwDir, readOnly: false },
  ];
  return { mounts, argv, env: { PATH: TOOL_PATH }, idMapping, ...TOOL_SANDBOX_OPTIONS };
}
