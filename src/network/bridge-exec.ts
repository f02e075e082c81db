/**
 * `vagga _network run NODE COMMAND [ARGS...]` (Vagga's src/network/run.rs): run a command in
 * the network namespace of node NODE, in the file system (mount namespace) of the child that
 * asked. The child cannot enter namespaces itself (bwrap drops its capabilities, and it has
 * no nsenter), so the supervising vagga does it from the host: it finds the asking process
 * by the reply FIFO it holds open (bridge-control.ts), then runs
 *   nsenter --target ASKER --user --mount --root --wd --net=/proc/HOLDER/ns/net COMMAND...
 * with the asker's environment (so its PATH finds COMMAND in the container). As in Vagga the
 * command runs as root of the run's user namespace; its output is handed back when it ends
 * (not streamed), its standard input is empty.
 * As in Vagga: exit 0 when the command succeeds, otherwise `Error running COMMAND: ...` and
 * exit 1; `Node X is missing` for a name that is no child, `Node X does not have IP` for a
 * child without `network:`.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { findTool } from '../sandbox/tools.js';
import type { ControlAnswer } from './bridge-control.js';

/** The usage of `vagga _network run`. */
export const RUN_USAGE = 'Usage: vagga _network run NODE COMMAND [ARGS...]\n';

/**
 * The host pid of a process (of this user) that holds `replyPath` open (the path as the
 * process sees it, e.g. /dev/.vagga-net/reply.XXXX); undefined when there is none.
 * `proc` is the /proc to scan (tests).
 */
export function findAskingPid(replyPath: string, proc = '/proc'): number | undefined {
  let pids: string[];
  try {
    pids = readdirSync(proc).filter((n) => /^\d+$/.test(n));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`${proc}/${pid}/fd`);
    } catch {
      continue; // Not ours, or gone.
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`${proc}/${pid}/fd/${fd}`) === replyPath) return Number(pid);
      } catch {
        // Closed meanwhile.
      }
    }
  }
  return undefined;
}

/** The environment of host process `pid` (empty when it cannot be read). */
function environOf(pid: number): Record<string, string> {
  const env: Record<string, string> = {};
  try {
    for (const entry of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
      const eq = entry.indexOf('=');
      if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
  } catch {
    // Gone: the command then finds nothing, which it reports.
  }
  return env;
}

/** What `_network run` needs to know about the run. */
export interface RunTargets {
  /** The host pid holding node `name`'s network namespace; undefined when it is no node. */
  holderOf(name: string): number | undefined;
  /** Whether `name` is a child of the run (a child without `network:` has no IP). */
  isChild(name: string): boolean;
}

/**
 * Answer `vagga _network run ARGS` (`args` after `run`) asked through `replyPath`, for the
 * run described by `targets`. Never throws: every failure is an answer with status 1 (2 for
 * missing arguments, as Vagga's argument parser).
 */
export async function runInNode(args: readonly string[], replyPath: string, targets: RunTargets): Promise<ControlAnswer> {
  const [node, command, ...rest] = args;
  if (node === undefined || command === undefined) return { stderr: RUN_USAGE, status: 2 };
  const holder = targets.holderOf(node);
  if (holder === undefined) {
    return { stderr: `${targets.isChild(node) ? `Node ${node} does not have IP` : `Node ${node} is missing`}\n`, status: 1 };
  }
  const asker = findAskingPid(replyPath);
  if (asker === undefined) return { stderr: 'Error running the command: the asking process was not found\n', status: 1 };
  const nsenter = findTool('nsenter');
  return new Promise((resolve) => {
    const child = spawn(nsenter, ['--target', String(asker), '--user', '--mount', '--root', '--wd', `--net=/proc/${holder}/ns/net`, '--', command, ...rest], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: environOf(asker),
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => resolve({ stdout, stderr: `${stderr}Error running ${command}: ${err.message}\n`, status: 1 }));
    child.on('close', (code, signal) => {
      if (code === 0) resolve({ stdout, stderr, status: 0 });
      else resolve({ stdout, stderr: `${stderr}Error running ${command}: ${signal ? `killed by ${signal}` : `exit status ${code}`}\n`, status: 1 });
    });
  });
}
