/**
 * Running a process in a bubblewrap sandbox (bwrap(1), bubblewrap 0.8) with a multi-id
 * user namespace (newuidmap(1)/newgidmap(1)). Measured protocol: runtime-facts.md §2.
 *
 * Two launchers; both guarantee that when vagga dies at any moment (even SIGKILL) nothing of
 * the sandbox keeps running and the command never starts late.
 *
 * Direct (the common, fast case; see unshare-maps.ts for when it applies):
 *
 *   node ─ setpriv --pdeathsig KILL unshare --user --map-root-user [--map-users=...] --pid --fork --kill-child
 *            └─ bwrap (pid 1 of a fresh pid namespace, root of a fresh user namespace whose
 *               maps unshare installed before forking it)
 *                 └─ sandbox (own pid namespace): catatonit as pid 1 ─ command
 *
 * If node dies before unshare has forked, setpriv's parent-death signal kills unshare and
 * nothing was started. If it dies after, unshare dies likewise and --kill-child kills bwrap,
 * the init of unshare's pid namespace, so the kernel kills every process in it. The one
 * window --kill-child does not cover (unshare killed between its fork and the child's
 * prctl) is closed by the --json-status-fd pipe: its only reader is node, and bwrap writes
 * `{"child-pid": N}` to it *before* it lets the sandbox child go on; with node gone the write
 * fails (EPIPE) and bwrap exits, so the command is never executed (measured).
 *
 * Gated (root, other map shapes, unknown unshare behaviour, the PAUSE_ENV test hook; why the
 * gate: runtime-facts §2c "setup-phase hazard" — when the launcher dies while bwrap waits on
 * --userns-block-fd, EOF releases bwrap and the command runs orphaned):
 *
 *   node ─ setpriv --pdeathsig KILL unshare --user --pid --fork --kill-child
 *            └─ /bin/sh (pid 1 of a fresh pid namespace, in a fresh user namespace)
 *                 waits for a "go" line on a control socket, then execs
 *                 bwrap (no --unshare-user: it already is root in that user namespace)
 *                    └─ sandbox (own pid namespace): catatonit as pid 1 ─ command
 *
 * node waits for the holder to report that the namespaces exist, writes the uid/gid maps
 * (newuidmap and newgidmap concurrently, or directly when single-id or root), then sends
 * "go". If node dies at any point (even SIGKILL): before "go" the holder reads EOF and exits
 * without starting bwrap; after it, setpriv's parent-death signal kills `unshare`, whose
 * --kill-child kills bwrap, which is pid 1 of the holder's pid namespace, so the kernel kills
 * every process of the sandbox (its pid namespace is nested in the holder's).
 *
 * Joined (spec.joinNetwork: an isolated network shared by several sandboxes,
 * src/network/holder.ts, or a child of a networked !Supervise, src/network/bridge-hub.ts,
 * which joins its holder's UTS namespace too):
 *
 *   node ─ setpriv --pdeathsig KILL nsenter --preserve-credentials --user=H --net=H [--uts=H]
 *            unshare --pid --fork --kill-child
 *            └─ bwrap (no --unshare-user, no --unshare-net: root of the holder's user namespace)
 *                 └─ sandbox (own pid namespace): catatonit as pid 1 ─ command
 *
 * nsenter and unshare exec in place, so the chain is one process until unshare forks, with
 * the same guarantees as the direct launcher; the user namespace's maps are already written.
 */
import { spawn, execFile, type StdioOptions, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { dirname } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { VaggaError } from '../errors/vagga-error.js';
import { callerFds } from './caller-fds.js';
import { bwrapArgs, mountArgs } from './bwrap-args.js';
import { maxIdMapping } from './idmap.js';
import { explainIdMapFailure } from './idmap-diagnose.js';
import { SandboxError } from './sandbox-error.js';
import { FORWARDED_SIGNALS } from './signals.js';
import { findIdMapHelper, findTool } from './tools.js';
import { toolSandboxSpec } from './tool-sandbox.js';
import { unshareMapsFor } from './unshare-maps.js';
import type { IdMapEntry, IdMapping, SandboxResult, SandboxSpec } from './types.js';
import type { MountPlan } from '../mounts/types.js';

/** Where the host's catatonit is bound inside the sandbox (on bwrap's fresh /dev tmpfs, so it works on a read-only root). */
export const INIT_PATH = '/dev/.vagga-init';

/**
 * Test hook: when set to a number of milliseconds, the launcher waits that long after the
 * namespaces exist and before writing the uid/gid maps (to prove a killed launcher leaves
 * nothing running).
 */
export const PAUSE_ENV = 'VAGGA_DEBUG_PAUSE_BEFORE_IDMAP';


/** Shell code run by the holder: report readiness, wait for "go" (EOF: give up), exec bwrap. */
function holderScript(ctlFd: number): string {
  return `echo ready >&${ctlFd}; read _ <&${ctlFd} || exit 125; exec ${ctlFd}>&-; exec "$@"`;
}

/** `inside outside count` triples as newuidmap/newgidmap arguments. */
export function mapArgs(pid: number, entries: IdMapEntry[]): string[] {
  return [String(pid), ...entries.flatMap((e) => [String(e.inside), String(e.outside), String(e.count)])];
}

/** The contents of /proc/PID/uid_map for `entries`. */
export function mapFileContent(entries: IdMapEntry[]): string {
  return entries.map((e) => `${e.inside} ${e.outside} ${e.count}\n`).join('');
}

/**
 * The error for a failed `newuidmap`/`newgidmap` (its message line, e.g. `newuidmap: write
 * to uid_map failed: Operation not permitted`): explained by idmap-diagnose.ts (kernel
 * settings, setuid bit, /etc/subuid ranges), exit 121.
 */
function idMapError(line: string, mapping: IdMapping): VaggaError {
  const helper = line.startsWith('newgidmap') ? 'newgidmap' : 'newuidmap';
  let path: string = helper;
  try {
    path = findIdMapHelper(helper);
  } catch {
    // Not found any more: explain with the bare name.
  }
  return explainIdMapFailure(helper, path, line, mapping);
}

function execHelper(tool: string, args: string[], mapping: IdMapping): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(tool, args, (err, _stdout, stderr) => {
      if (!err) return resolve();
      const said = String(stderr).trim() || err.message;
      const helper = tool.endsWith('newgidmap') ? 'newgidmap' : 'newuidmap';
      reject(explainIdMapFailure(helper, tool, said.startsWith(helper) ? said : `${helper}: ${said}`, mapping));
    });
  });
}

/**
 * Install the maps of `mapping` on the user namespace of `pid` (root or a single id: written
 * directly; else newuidmap and newgidmap concurrently). Rejects with the explained
 * VaggaError (idmap-diagnose.ts) when a helper fails.
 */
export async function writeMaps(pid: number, mapping: IdMapping): Promise<void> {
  const uid = process.getuid!();
  if (uid === 0 || mapping.singleId) {
    // Root may write any map; an ordinary user may map just its own ids (user_namespaces(7)),
    // after denying setgroups for the gid map.
    writeFileSync(`/proc/${pid}/uid_map`, mapFileContent(mapping.uids));
    if (uid !== 0) writeFileSync(`/proc/${pid}/setgroups`, 'deny');
    writeFileSync(`/proc/${pid}/gid_map`, mapFileContent(mapping.gids));
    return;
  }
  await Promise.all([
    execHelper(findIdMapHelper('newuidmap'), mapArgs(pid, mapping.uids), mapping),
    execHelper(findIdMapHelper('newgidmap'), mapArgs(pid, mapping.gids), mapping),
  ]);
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function commOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * Host pid of the process that should receive forwarded signals: the sandbox's pid 1 when
 * it is our init (catatonit forwards to the command), else the command itself (bwrap's own
 * pid 1 ignores signals). Walks /proc/PID/task/PID/children from the launcher.
 */
function signalTarget(launcherPid: number, withInit: boolean): number | undefined {
  // bwrap, pid 1 of the holder namespace (not yet while the holder shell waits, nor unshare's
  // short-lived map helper).
  const holder = childrenOf(launcherPid).find((pid) => commOf(pid) === 'bwrap');
  if (holder === undefined) return undefined;
  const [sandboxInit] = childrenOf(holder);
  if (sandboxInit === undefined || withInit) return sandboxInit;
  return childrenOf(sandboxInit)[0];
}

/** Signal name for a number, e.g. 15 -> SIGTERM. */
export function signalName(n: number): string | undefined {
  return Object.entries(osConstants.signals).find(([, v]) => v === n)?.[0];
}

/** Parsed --json-status-fd stream: bwrap writes one JSON object per line. */
export function parseJsonStatus(text: string): { childPid?: number; exitCode?: number } {
  const out: { childPid?: number; exitCode?: number } = {};
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const obj = JSON.parse(line) as Record<string, unknown>;
      if (typeof obj['child-pid'] === 'number') out.childPid = obj['child-pid'];
      if (typeof obj['exit-code'] === 'number') out.exitCode = obj['exit-code'];
    } catch {
      // Ignore partial lines.
    }
  }
  return out;
}

interface LaunchOptions {
  spec: SandboxSpec;
  /** Capture the sandbox's stderr (diagnostic run) instead of inheriting it. */
  captureStderr?: boolean;
  /** Replace the command (diagnostic run). */
  argv?: string[];
  init?: boolean;
  /** Forward the signals vagga receives to this sandbox (default true). */
  forwardSignals?: boolean;
  /** Start the launcher in a session of its own (StartOptions.ownSession). */
  ownSession?: boolean;
}

/**
 * The uid/gid map helpers' directory first, so that unshare (which runs `newuidmap` and
 * `newgidmap` through PATH) uses the same binaries vagga checked.
 */
function launcherPath(mapping: IdMapping): string {
  const dirs = ['/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  if (!mapping.singleId && !mapping.inPlace) dirs.unshift(dirname(findIdMapHelper('newuidmap')), dirname(findIdMapHelper('newgidmap')));
  return [...new Set(dirs)].join(':');
}

interface LaunchResult {
  exitCode?: number;
  launcherCode: number | null;
  launcherSignal: NodeJS.Signals | null;
  stderr: string;
}

/** A launch in progress: the launcher's pid, a way to signal the sandbox, the outcome. */
interface Launched {
  pid: number;
  signal(sig: NodeJS.Signals): void;
  signalGroup(sig: NodeJS.Signals): void;
  result: Promise<LaunchResult>;
  /** The command's stdout when the spec asked for 'pipe'. */
  stdout?: Readable;
  /** The command's stdin when the spec asked for 'pipe'. */
  stdin?: Writable;
}

function collect(stream: Readable | null | undefined): () => string {
  let text = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (d: string) => {
    text += d;
  });
  return () => text;
}

/** Create the source directories of binds marked `createSource` (mkdir -p). */
export function createBindSources(plan: MountPlan): void {
  for (const op of plan) if (op.kind === 'bind' && op.createSource) mkdirSync(op.source, { recursive: true });
}

/**
 * The one-line error for a launcher that execve(2) refused with E2BIG (an argument or
 * variable above MAX_ARG_STRLEN, 128 KiB, or all of them above the ARG_MAX limit): names
 * the command and its biggest environment variable. Undefined for other errors.
 */
export function tooBigError(err: unknown, spec: Pick<SandboxSpec, 'argv' | 'env'>): VaggaError | undefined {
  if ((err as NodeJS.ErrnoException).code !== 'E2BIG') return undefined;
  const [name, value] = Object.entries(spec.env).sort((a, b) => b[1].length - a[1].length)[0] ?? ['', ''];
  const biggest = name ? `; its biggest variable, ${name}, has ${value.length} bytes` : '';
  return new VaggaError(`The environment and arguments of ${spec.argv[0] ?? 'the command'} are too big to start it (E2BIG)${biggest}: one variable may have at most 128 KiB, all together about 2 MiB`, {
    code: 'env.args-too-big',
  });
}

/** Spawn the launcher (synchronously; throws for missing tools) and drive its setup in the background. */
function launch(opts: LaunchOptions): Launched {
  const { spec } = opts;
  createBindSources(spec.mounts);
  const withInit = opts.init ?? spec.init;
  const bwrap = findTool('bwrap');
  const initHost = withInit ? findTool('catatonit') : undefined;
  const setpriv = findTool('setpriv');
  const unshare = findTool('unshare');
  const extra = spec.extraFds ?? [];
  if (extra.length > 6) throw new VaggaError(`At most 6 extra file descriptors can be passed to a sandbox, got ${extra.length}`, { code: 'sandbox.too-many-fds' });
  const pause = Number(process.env[PAUSE_ENV] ?? 0);
  const join = spec.joinNetwork;
  // Direct launch: unshare writes the maps (see the module comment); else the gated one.
  // Joining namespaces (an isolated network's, or a networked supervise child's) needs no
  // maps: that user namespace has them already.
  // In a capsule the user namespace is the capsule's own (IdMapping.inPlace): like a join, no maps.
  const inPlace = spec.idMapping.inPlace === true && !join;
  const direct = join || inPlace ? [] : pause > 0 ? undefined : unshareMapsFor(unshare, spec.idMapping);
  // The caller's descriptors (caller-fds.ts) reach the command at their numbers, so vagga's
  // own pipes go above them (bwrap closes its --json-status-fd and --file descriptors, the
  // launcher's holder script its ctl fd); `extraFds` come first, at 3.
  const caller = callerFds().filter((fd) => fd >= 3 + extra.length);
  const base = Math.max(2 + extra.length, ...caller) + 1;
  // The holder script's shell (dash) redirects single-digit fds only: its ctl fd takes the
  // lowest free one below 10 (bash, which takes any, when the caller holds them all).
  const lowFree = [3, 4, 5, 6, 7, 8, 9].find((fd) => fd >= 3 + extra.length && !caller.includes(fd));
  const ctlFd = direct ? undefined : lowFree ?? base;
  const jsonFd = ctlFd === base ? base + 1 : base;
  const mounts = mountArgs(spec.mounts, jsonFd + 1);
  const initMount = initHost ? ['--ro-bind', initHost, INIT_PATH] : [];
  const args = bwrapArgs(
    {
      unshareUser: false,
      shareNet: spec.shareNet || join !== undefined,
      allCaps: spec.allCaps,
      ...(spec.dropCaps ? { dropCaps: spec.dropCaps } : {}),
      env: spec.env,
      cwd: spec.cwd,
      jsonStatusFd: jsonFd,
      initPath: initHost ? INIT_PATH : undefined,
      argv: opts.argv ?? spec.argv,
    },
    [...mounts.args, ...initMount],
  );
  const stdio: StdioOptions = [
    spec.stdin === 'null' ? 'ignore' : spec.stdin === 'pipe' ? 'pipe' : 'inherit',
    spec.stdout === 'stderr' ? 2 : spec.stdout === 'null' ? 'ignore' : spec.stdout === 'pipe' ? 'pipe' : 'inherit',
    opts.captureStderr ? 'pipe' : spec.stderr === 'null' ? 'ignore' : 'inherit',
    ...extra,
    // Up to jsonFd: the caller's fds at their numbers, the ctl pipe, the rest left as it is.
    ...Array.from({ length: jsonFd - 3 - extra.length }, (_, i): 'pipe' | 'ignore' | number => {
      const fd = 3 + extra.length + i;
      return fd === ctlFd ? 'pipe' : caller.includes(fd) ? fd : 'ignore';
    }),
    'pipe',
    ...mounts.files.map(() => 'pipe' as const),
  ];
  const chain = join
    ? [findTool('nsenter'), '--preserve-credentials', `--user=${join.userns}`, `--net=${join.netns}`, ...(join.utsns ? [`--uts=${join.utsns}`] : []),
      '--', unshare, '--pid', '--fork', '--kill-child', '--', bwrap, ...args]
    : inPlace
    ? [unshare, '--pid', '--fork', '--kill-child', '--', bwrap, ...args]
    : direct
    ? [unshare, '--user', ...direct, '--pid', '--fork', '--kill-child', '--', bwrap, ...args]
    : [unshare, '--user', '--pid', '--fork', '--kill-child', '--', ctlFd! <= 9 ? '/bin/sh' : '/bin/bash', '-c', holderScript(ctlFd!), 'sh', bwrap, ...args];
  spec.aroundSpawn?.before();
  let child: ChildProcess;
  try {
    child = spawn(setpriv, ['--pdeathsig', 'KILL', ...chain], {
      stdio,
      // setsid(2): no controlling terminal for the launcher and the sandbox (StartOptions.ownSession).
      detached: opts.ownSession === true,
      env: { PATH: direct && !join ? launcherPath(spec.idMapping) : '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
  } catch (err) {
    throw tooBigError(err, spec) ?? err;
  } finally {
    spec.aroundSpawn?.after();
  }
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve([code, signal]));
  });
  const stderr = collect(opts.captureStderr ? child.stdio[2] as Readable : undefined);
  const ctl = ctlFd === undefined ? undefined : child.stdio[ctlFd] as Readable & Writable;
  const json = collect(child.stdio[jsonFd] as Readable);
  const jsonDone = new Promise<void>((resolve) => (child.stdio[jsonFd] as Readable).on('close', () => resolve()));
  mounts.files.forEach((content, i) => {
    const w = child.stdio[jsonFd + 1 + i] as Writable;
    w.on('error', () => {});
    w.end(content);
  });
  ctl?.on('error', () => {});

  const signaller = sandboxSignaller(child, withInit);
  const stopForwarding = opts.forwardSignals === false ? () => {} : forwardSignals(signaller.signal);
  const result = (async (): Promise<LaunchResult> => {
    try {
      const ready = ctl !== undefined && await Promise.race([
        new Promise<boolean>((resolve) => ctl.once('data', () => resolve(true))),
        exited.then(() => false),
      ]);
      if (ready) {
        if (pause > 0) await new Promise((r) => setTimeout(r, pause));
        try {
          await writeMaps(child.pid!, spec.idMapping);
        } catch (err) {
          child.kill('SIGKILL');
          await exited.catch(() => undefined);
          throw err;
        }
        ctl!.end('go\n');
      }
      const [launcherCode, launcherSignal] = await exited;
      await jsonDone;
      return { exitCode: parseJsonStatus(json()).exitCode, launcherCode, launcherSignal, stderr: stderr() };
    } finally {
      stopForwarding();
      signaller.stop();
      ctl?.destroy();
    }
  })();
  const stdout = spec.stdout === 'pipe' ? (child.stdout ?? undefined) : undefined;
  const stdin = spec.stdin === 'pipe' ? (child.stdin ?? undefined) : undefined;
  return { pid: child.pid ?? 0, signal: signaller.signal, signalGroup: signaller.signalGroup, result, stdout, stdin };
}

/**
 * Delivery of signals to one sandbox: to its init (or command, see signalTarget). While the
 * sandbox is still being set up, retries every 20 ms for 1 s, then kills the launcher.
 * SIGKILL always goes to the launcher: unshare's --kill-child then kills bwrap, the init of
 * the outer pid namespace, so the kernel kills every process of the sandbox. Nothing is sent
 * once the launcher has exited (its pid may be reused).
 */
function sandboxSignaller(child: ChildProcess, withInit: boolean): { signal(sig: NodeJS.Signals): void; signalGroup(sig: NodeJS.Signals): void; stop(): void } {
  let done = false;
  child.once('exit', () => {
    done = true;
  });
  function deliver(sig: NodeJS.Signals, attempt: number): void {
    if (done || child.pid === undefined) return;
    if (sig === 'SIGKILL') {
      child.kill('SIGKILL');
      return;
    }
    const target = signalTarget(child.pid, withInit);
    if (target !== undefined) {
      try {
        process.kill(target, sig);
      } catch {
        // Already gone.
      }
      return;
    }
    // Not started yet (setup in progress): retry for a while, then stop the launcher.
    if (attempt < 50) setTimeout(() => deliver(sig, attempt + 1), 20).unref();
    else child.kill('SIGKILL');
  }
  function deliverToGroup(sig: NodeJS.Signals): void {
    if (done || child.pid === undefined) return;
    // The command (the init's child; bwrap's own pid 1 is never a target here).
    const command = signalTarget(child.pid, false);
    if (command === undefined) return;
    try {
      process.kill(-command, sig);
    } catch {
      try {
        // Not a process group leader (no init put it in a group of its own).
        process.kill(command, sig);
      } catch {
        // Already gone.
      }
    }
  }
  return {
    signal: (sig) => deliver(sig, 0),
    signalGroup: deliverToGroup,
    stop: () => {
      done = true;
    },
  };
}

/** Forward SIGINT/SIGTERM/SIGHUP/SIGQUIT/SIGUSR1/SIGUSR2 received by vagga to the sandbox while it runs (signals.ts). */
function forwardSignals(signal: (sig: NodeJS.Signals) => void): () => void {
  const handlers = FORWARDED_SIGNALS.map((sig) => {
    const handler = () => signal(sig);
    process.on(sig, handler);
    return [sig, handler] as const;
  });
  return () => {
    for (const [sig, handler] of handlers) process.off(sig, handler);
  };
}

function statusOf(code: number): SandboxResult {
  return code > 128 && signalName(code - 128) ? { status: code, signal: signalName(code - 128) } : { status: code };
}

/** A sandbox started by startSandbox. */
export interface SandboxHandle {
  /**
   * Host pid of the launcher (`setpriv` exec'ing `unshare`), known at once and stable for
   * the sandbox's whole life; 0 if the launcher could not even be spawned (`done` rejects).
   */
  pid: number;
  /**
   * Send `sig` to the sandbox: to its init (catatonit forwards it to the command), or to the
   * command without an init; while the sandbox is still being set up, retried for 1 s, then
   * the launcher is killed. SIGKILL kills the launcher and so every process of the sandbox.
   * Does nothing once the sandbox has ended.
   */
  signal(sig: NodeJS.Signals): void;
  /**
   * Send `sig` to the command's process group, bypassing the init (for job control: SIGSTOP,
   * SIGCONT; catatonit does not pass SIGTSTP on and starts its command with it blocked). Host-side kill(2) of the negated
   * pid of the command, which catatonit makes a process group leader (without an init: the
   * command alone). Does nothing before the command exists or once the sandbox has ended.
   * Optional so that test doubles may leave it out (callers then use `signal`).
   */
  signalGroup?(sig: NodeJS.Signals): void;
  /** Settles exactly like runSandbox's promise. */
  done: Promise<SandboxResult>;
  /**
   * The command's stdout, only when the spec's `stdout` is 'pipe': read it to the end (the
   * command blocks while the pipe is full) before or while awaiting `done`.
   */
  stdout?: Readable;
  /**
   * The command's stdin, only when the spec's `stdin` is 'pipe': write the data and end it
   * (e.g. an image layer streamed into tar, src/image/cache/).
   */
  stdin?: Writable;
}

/** Options of startSandbox. */
export interface StartOptions {
  /**
   * Forward SIGINT/SIGTERM/SIGHUP/SIGQUIT/SIGUSR1/SIGUSR2 received by vagga to this sandbox
   * (default true). A supervisor of several sandboxes turns it off and signals each itself.
   */
  forwardSignals?: boolean;
  /**
   * Start the launcher in a new session (setsid(2), Node's `detached` spawn), so the sandbox
   * has no controlling terminal: its init (catatonit) cannot make the command the terminal's
   * foreground process group, and the keys Ctrl-C/Ctrl-\/Ctrl-Z (SIGINT/SIGQUIT/SIGTSTP from
   * the tty driver) reach vagga's process group only. The sandbox still reads and writes the
   * terminal through its inherited fds. Vagga's death still ends the sandbox: the parent-death
   * signal and --die-with-parent do not depend on sessions or process groups. Default false:
   * a single command gets the terminal (REPLs need Ctrl-C); a supervisor of several sandboxes
   * sets it and passes the signals on itself (inventory §2.9).
   */
  ownSession?: boolean;
}

/**
 * Start `spec` like runSandbox without waiting for it: returns a handle to signal the
 * sandbox and await its result. Throws synchronously (VaggaError 124) for an init without a
 * `/dev` mount or too many extra fds, MissingToolError (121) for missing programs; setup
 * failures reject `done` as in runSandbox.
 */
export function startSandbox(spec: SandboxSpec, opts: StartOptions = {}): SandboxHandle {
  if (spec.init && !spec.mounts.some((op) => op.kind === 'dev' && op.dest === '/dev')) {
    throw new VaggaError('A sandbox with an init needs a `dev` mount at /dev (the init is bound there)', { code: 'sandbox.init-needs-dev' });
  }
  const launched = launch({ spec, forwardSignals: opts.forwardSignals, ownSession: opts.ownSession });
  const done = launched.result.then(async (r): Promise<SandboxResult> => {
    if (r.exitCode !== undefined) return statusOf(r.exitCode);
    if (r.launcherSignal) {
      const n = osConstants.signals[r.launcherSignal];
      return { status: 128 + n, signal: r.launcherSignal };
    }
    throw await setupError(spec, r.launcherCode);
  });
  return { pid: launched.pid, signal: launched.signal, signalGroup: launched.signalGroup, done, stdout: launched.stdout, stdin: launched.stdin };
}

/**
 * Start `spec.argv` in new user, mount, pid and ipc namespaces (and network unless
 * `shareNet`) through bwrap, with `spec.idMapping` installed by newuidmap/newgidmap
 * (concurrently) before bwrap starts, catatonit as pid 1 when `spec.init`, SIGINT/SIGTERM/
 * SIGHUP/SIGQUIT/SIGUSR1/SIGUSR2 forwarded, and resolve with the exit status (the command's code, 128+N
 * for signal N). Throws SandboxError (124) when the sandbox could not be set up (no
 * `exit-code` on --json-status-fd; the message carries bwrap's own `bwrap: ...` lines),
 * MissingToolError (121) when bwrap, catatonit, newuidmap... are absent. Built on startSandbox
 * (use that to signal the sandbox yourself, e.g. several sandboxes under one supervisor).
 */
export async function runSandbox(spec: SandboxSpec): Promise<SandboxResult> {
  return startSandbox(spec).done;
}

/**
 * Explain a setup failure: run the same sandbox again with stderr captured and a command
 * that cannot exist, and keep bwrap's own `bwrap: ...` lines (the first run printed them to
 * the user's stderr already). A probe that gets as far as exec means the mounts are fine and
 * the command itself could not be executed. A `newuidmap:`/`newgidmap:` line (the direct
 * launcher's unshare runs them) is explained by explainIdMapFailure (exit 121).
 */
async function setupError(spec: SandboxSpec, code: number | null): Promise<VaggaError> {
  let stderr = '';
  try {
    const r = await launch({ spec: { ...spec, stdin: 'null', stdout: 'stderr', extraFds: undefined, aroundSpawn: undefined }, captureStderr: true, argv: [SETUP_PROBE], init: false }).result;
    stderr = r.stderr;
  } catch (err) {
    // The gated launcher's own map helpers failed again: that error explains it already.
    if (err instanceof VaggaError) return err;
  }
  return explainSetupOutput(stderr, spec, code);
}

/** The command the diagnostic run of setupError asks bwrap to execute (it cannot exist). */
export const SETUP_PROBE = '/.vagga-setup-probe';

/**
 * The error for a sandbox that failed before its command started, from the stderr of the
 * diagnostic run (`bwrap:`, `unshare:`, `newuidmap:`, `newgidmap:` lines are kept):
 * - bwrap got as far as executing SETUP_PROBE: the mounts are fine, the command (or init)
 *   could not be executed — SandboxError (124);
 * - a `newuidmap:`/`newgidmap:` line: the uid/gid map could not be installed — explained by
 *   explainIdMapFailure (kernel settings, setuid bit, /etc/subuid ranges), exit 121;
 * - otherwise SandboxError (124) carrying the kept lines. `code` is bwrap's exit status.
 */
export function explainSetupOutput(stderr: string, spec: Pick<SandboxSpec, 'init' | 'argv' | 'idMapping'>, code: number | null): VaggaError {
  const lines = stderr.split('\n').filter((l) => /^(bwrap|unshare|newuidmap|newgidmap):/.test(l));
  if (lines.some((l) => l.includes(SETUP_PROBE))) {
    return new SandboxError('sandbox.exec-failed', `Could not execute ${JSON.stringify(spec.init ? INIT_PATH : spec.argv[0])} in the container`);
  }
  const mapLine = lines.find((l) => /^new[ug]idmap:/.test(l));
  if (mapLine) return idMapError(mapLine, spec.idMapping);
  return new SandboxError('sandbox.setup-failed', `Could not set up the container sandbox (bwrap exited with status ${code})`, lines.join('\n') || undefined);
}

/**
 * Delete `path` (a tree that may hold files owned by subordinate ids, e.g. a container
 * root) with `rm -rf` inside a sandbox using the "max" mapping (§2.5): host /usr read-only,
 * the parent directory bound read-write. Deleting such trees from the host side fails.
 * Resolves when the path is gone; throws VaggaError (121) when rm fails.
 */
export async function removeTreeInNamespace(path: string): Promise<void> {
  const parent = dirname(path);
  const result = await runSandbox(toolSandboxSpec(['/usr/bin/rm', '-rf', '--', path], parent, maxIdMapping()));
  if (result.status !== 0) {
    throw new VaggaError(`Could not remove ${path}: rm exited with status ${result.status}`, { code: 'storage.remove-failed' });
  }
}
