/**
 * Running a build step's program inside the root being built, from within the builder
 * sandbox (already root in the container's user namespace, with all capabilities), as a
 * nested bwrap without --unshare-user (runtime-facts.md §2; bwrap(1)). Output goes to the
 * build log (NestedSpec.output) or the builder's stderr, so the build's stdout stays clean
 * (vagga-inventory.md §2.6).
 */
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { MountPlan } from '../mounts/types.js';
import { bwrapArgs, mountArgs } from './bwrap-args.js';
import { createBindSources, parseJsonStatus, signalName } from './bwrap.js';
import { SandboxError } from './sandbox-error.js';
import { findTool } from './tools.js';
import type { SandboxResult } from './types.js';

export interface NestedSpec {
  mounts: MountPlan;
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  /** stdin text, or undefined for /dev/null. Output goes to stderr. */
  input?: string;
  /** False: a new network namespace with only `lo` up (bwrap --unshare-net). Default true. */
  shareNet?: boolean;
  /** Where the program's stdout and stderr go (the build log), chunk by chunk; default: our stderr. */
  output?: (chunk: Buffer, source: 'stdout' | 'stderr') => void;
}

/** Keep the last `limit` characters written to a stream while relaying them to `out`. */
function relayTail(stream: Readable, out: (chunk: Buffer) => void, limit = 8192): () => string {
  let tail = '';
  stream.on('data', (d: Buffer) => {
    out(d);
    tail = (tail + d.toString('utf8')).slice(-limit);
  });
  return () => tail;
}

/**
 * Run a nested bwrap (no --unshare-user, --cap-add ALL, --die-with-parent, new pid and ipc
 * namespaces, host network) with `spec.mounts`, a cleared environment plus `spec.env`, cwd
 * `spec.cwd`; stdin is `spec.input` or /dev/null; stdout and stderr are relayed to
 * `spec.output` (default our stderr). Resolves with the status (code, or 128+N for signal N). Throws SandboxError (124)
 * carrying bwrap's `bwrap: ...` message when the sandbox could not be set up or the program
 * could not be executed (no `exit-code` on --json-status-fd), MissingToolError without bwrap.
 */
export async function runNested(spec: NestedSpec): Promise<SandboxResult> {
  const bwrap = findTool('bwrap');
  createBindSources(spec.mounts);
  const jsonFd = 3;
  const mounts = mountArgs(spec.mounts, jsonFd + 1);
  const args = bwrapArgs(
    { unshareUser: false, shareNet: spec.shareNet ?? true, allCaps: true, env: spec.env, cwd: spec.cwd, jsonStatusFd: jsonFd, argv: spec.argv },
    mounts.args,
  );
  const child = spawn(bwrap, args, {
    stdio: [spec.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe', 'pipe', ...mounts.files.map(() => 'pipe' as const)],
  });
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve([code, signal]));
  });
  if (spec.input !== undefined) {
    child.stdin!.on('error', () => {});
    child.stdin!.end(spec.input);
  }
  mounts.files.forEach((content, i) => {
    const w = child.stdio[jsonFd + 1 + i] as Writable;
    w.on('error', () => {});
    w.end(content);
  });
  const out = spec.output ?? ((d: Buffer) => { process.stderr.write(d); });
  relayTail(child.stdout!, (d) => out(d, 'stdout'));
  const errTail = relayTail(child.stderr!, (d) => out(d, 'stderr'));
  let json = '';
  (child.stdio[jsonFd] as Readable).on('data', (d: Buffer) => {
    json += d.toString('utf8');
  });
  const [code, signal] = await exited;
  const { exitCode } = parseJsonStatus(json);
  if (exitCode !== undefined) {
    const sig = exitCode > 128 ? signalName(exitCode - 128) : undefined;
    return sig ? { status: exitCode, signal: sig } : { status: exitCode };
  }
  if (signal) return { status: 128 + (signalNumber(signal) ?? 0), signal };
  const detail = errTail().split('\n').filter((l) => l.startsWith('bwrap:')).join('\n') || undefined;
  throw new SandboxError('sandbox.setup-failed', `Could not run ${JSON.stringify(spec.argv[0])} in the container being built (bwrap exited with status ${code})`, detail);
}

function signalNumber(name: string): number | undefined {
  for (let n = 1; n < 65; n++) if (signalName(n) === name) return n;
  return undefined;
}
