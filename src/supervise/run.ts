/**
 * Running a `!Supervise` command (inventory §2.9): every selected child in its own sandbox,
 * started in name order, watched together. The decisions (who ended the run, what to print,
 * the exit status) are made by the pure SupervisorState (supervise-state.ts); this module
 * starts the children, turns their ends, vagga's signals, the kill-unresponsive-after timer
 * and restart delays into events, and carries out the actions (print, signal, SIGKILL,
 * start again after a child's `restart` delay, finish).
 *
 * Signals: while children run, SIGINT/SIGTERM/SIGQUIT/SIGHUP/SIGUSR1/SIGUSR2 sent to vagga
 * are handled here (each child's sandbox is started with its own forwarding off, so a child
 * gets a signal once); SIGTSTP (Ctrl-Z) stops the children (SIGSTOP to each command's process
 * group), then vagga, and SIGCONT is passed on to the same groups.
 * The terminal stays vagga's: each child's sandbox is started in a session of its own
 * (StartOptions.ownSession), so no child's init can make its command the terminal's
 * foreground process group and Ctrl-C/Ctrl-\/Ctrl-Z reach vagga, which passes them on to
 * every child (with a shared terminal the last child started would take it and get Ctrl-C
 * alone). If vagga is SIGKILLed, every child's launcher dies by its
 * parent-death signal and takes its whole sandbox along (bwrap.ts module comment).
 * Isolated network (`isolate-network` on the command, `--isolate-network`, `--publish`,
 * `--network-outbound`): one network namespace with only loopback, created before the first
 * child and joined by every child and readiness probe (src/network/isolated.ts), closed
 * after the run; the children reach each other on 127.0.0.1 and nothing else shares it.
 * Readiness (beyond Vagga): a child's `ready-when` probe is polled here (ready.ts: a tcp probe
 * looks at the listening sockets of the child's own processes; a command probe runs in a
 * short-lived sandbox of the child's container, see probeCommand) and children with
 * `wait-for` are started once the state machine says so.
 */
import type { Project } from '../config/project.js';
import type { CommandConfig, ReadyCheck, SuperviseConfig } from '../config/model.js';
import { VaggaError } from '../errors/vagga-error.js';
import { planRunMounts } from '../mounts/run-plan.js';
import { startSandbox, type SandboxHandle, type StartOptions } from '../sandbox/bwrap.js';
import { idMappingFor } from '../sandbox/idmap.js';
import { FORWARDED_SIGNALS } from '../sandbox/signals.js';
import type { SandboxResult, SandboxSpec } from '../sandbox/types.js';
import { cacheDirFor } from '../storage/layout.js';
import type { SandboxDeps } from '../runtime/run-in-container.js';
import { signalReset } from '../runtime/signal-reset.js';
import { NO_CHILDREN_MESSAGE, parseSuperviseArgs, selectChildren, type SuperviseBuildMode } from './args.js';
import { parseCommandOptions, SUPERVISE_OPTIONS } from '../user-commands/docopt.js';
import { sandboxListens, waitReady } from './ready.js';
import { SupervisorState, type SuperviseAction, type SuperviseEvent } from './state.js';
import { needsPasta, openIsolatedNetwork, sharedMapping, type IsolatedNetwork, type NetworkRequest } from '../network/isolated.js';
import type { IdMapping } from '../sandbox/types.js';
import { planBridgeNetwork, type BridgePlan } from '../network/bridge-plan.js';
import { startBridgeRun, type BridgeRun, type BridgeRunOptions } from '../network/bridge-run.js';

/** A planned `!Supervise` run: the command and the names of the selected children (sorted). */
export interface SuperviseRun {
  command: SuperviseConfig;
  /** Always empty (a supervise command takes no free arguments); kept for PlannedRun's shape. */
  args: string[];
  children: string[];
  /** `VAGGAOPT_*`/`VAGGACLI_*` from the command's `options` (docopt.ts), given to every child; absent without `options`. */
  optionEnv?: Record<string, string>;
  /** A build-mode flag given after the command's name (args.ts): overrides the global ones for the children's containers. */
  buildMode?: SuperviseBuildMode;
  /** The children's own network (`network:` and `!BridgeCommand` children, src/network/); absent: the host's. */
  network?: BridgePlan;
}

/**
 * Plan a supervise run from the user's `args`: without `options`, `--only`, `--exclude`,
 * `-h` (args.ts); with `options`, the docopt text followed by Vagga's supervise options
 * block (`-h`, repeatable `--only <tag>`/`--exclude <tag>`, kept when the usage says
 * `[options]`), every parsed value exported to the children as `VAGGAOPT_*`/`VAGGACLI_*`
 * (Vagga's supervisor, inventory §1.6). Returns the help text for `-h`. Throws
 * VaggaError: 127 with NO_CHILDREN_MESSAGE when nothing is selected; 122 for bad
 * arguments without `options`, 121 with them (docopt); 121 for what this version cannot
 * run yet; what planBridgeNetwork throws for `network:` children (src/network/bridge-plan.ts).
 */
export function planSupervise(cmd: SuperviseConfig, args: readonly string[]): SuperviseRun | { help: string } {
  let only: string[];
  let exclude: string[];
  let optionEnv: Record<string, string> | undefined;
  let buildMode: SuperviseBuildMode | undefined;
  if (cmd.options !== undefined) {
    const parsed = parseCommandOptions(cmd.name, cmd.description, cmd.options, args, SUPERVISE_OPTIONS);
    if (parsed.kind === 'help') return { help: parsed.text };
    const list = (key: string): string[] => {
      const v = parsed.values.get(key);
      return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
    };
    only = list('--only');
    exclude = list('--exclude');
    optionEnv = parsed.env;
  } else {
    const parsed = parseSuperviseArgs(cmd, args);
    if (parsed.kind === 'help') return { help: parsed.text };
    ({ only, exclude, buildMode } = parsed);
  }
  const notYet = (what: string) => new VaggaError(`Command ${JSON.stringify(cmd.name)} uses ${what}, not supported by this version yet`, {
    code: 'command.not-supported',
  });
  const children = selectChildren(cmd.children, only, exclude);
  if (children.length === 0) throw new VaggaError(NO_CHILDREN_MESSAGE, { code: 'command.no-children' });
  const network = planBridgeNetwork(cmd.children, children, cmd.isolateNetwork);
  const run: SuperviseRun = { command: cmd, args: [], children };
  if (network) run.network = network;
  if (optionEnv) run.optionEnv = optionEnv;
  if (buildMode) run.buildMode = buildMode;
  return run;
}

/**
 * The child as run: `VAGGA_COMMAND` (the supervise command's name) and `VAGGA_SUBCOMMAND`
 * (the child's) added to its environ, its own epilog dropped (only the supervise command's
 * is printed).
 */
export function childCommand(run: SuperviseRun, name: string): CommandConfig {
  const child = run.command.children[name];
  return {
    ...child,
    epilog: undefined,
    environ: { ...child.environ, VAGGA_COMMAND: run.command.name, VAGGA_SUBCOMMAND: name },
  };
}

/**
 * Runs one child's command (run-user-commands.ts runCommand) with `deps` as its sandbox
 * collaborators; `deps.runSandbox` must be what starts its sandbox. Resolves with the
 * command's status; rejects when it could not be started.
 */
export type ChildStarter = (child: CommandConfig, deps: SandboxDeps) => Promise<number>;

/**
 * What a supervise run needs from its caller (the CLI passes an adapter of its context):
 * where to write, and the few run-wide values it reads.
 */
export interface SuperviseOutput {
  /** Write `text` (as is, no newline added) to vagga's stdout: the children's end reports, the epilog. */
  stdout(text: string): void;
  /** Write `text` (as is) to vagga's stderr: start failures and errors. */
  stderr(text: string): void;
  /** `--isolate-network` was given: the children share one isolated network. */
  isolateNetwork: boolean;
  /** `--publish`/`--network-outbound` (either one isolates the network too); absent: neither. */
  network?: NetworkRequest;
  /** Sandbox collaborators replacing the real ones (tests); their runSandbox fakes every child's sandbox. */
  sandboxDeps?: SandboxDeps;
}

/** Replaceable effects, for tests (without them: startSandbox, or output.sandboxDeps.runSandbox when set). */
export interface SuperviseEffects {
  startSandbox?: (spec: SandboxSpec, opts: StartOptions) => SandboxHandle;
  /** Where vagga's signals come from (default: `process`). */
  signals?: Pick<NodeJS.EventEmitter, 'on' | 'off'>;
  /** Milliseconds per second of kill-unresponsive-after (tests shorten it). */
  msPerSecond?: number;
  /** Stop vagga itself after SIGTSTP was passed to the children (default: SIGSTOP to its own pid). */
  stopSelf?: () => void;
  /** Create the isolated network (default: openIsolatedNetwork; none when output.sandboxDeps fakes the sandboxes). */
  openNetwork?: (mapping: IdMapping, request: NetworkRequest) => Promise<IsolatedNetwork>;
  /** Start the children's network (default: startBridgeRun, src/network/bridge-run.ts). */
  startNetwork?: (plan: BridgePlan, options: BridgeRunOptions) => Promise<BridgeRun>;
}

/**
 * Run the children of `run` and resolve with the exit status (§2.9): the first ending
 * child's status (stop-on-failure), 0 when all succeeded (wait-all-successful), 127 when a
 * child could not be started, 128+N after signal N to vagga; children with a `restart`
 * policy are started again as it says (supervise-state.ts). Prints the supervise command's
 * epilog on 0. With an isolated network (see the file comment) rejects like
 * openIsolatedNetwork before any child starts, and with VaggaError 121 when the children's
 * containers map different ids; `--isolate-network` with `network:` children is Vagga's
 * `network.isolated-conflict`; rejects with what the children's network throws (src/network/).
 */
export async function runSupervise(output: SuperviseOutput, project: Project, run: SuperviseRun, startChild: ChildStarter, effects: SuperviseEffects = {}): Promise<number> {
  if (output.isolateNetwork && run.network) {
    throw new VaggaError('Isolated network is forbidden in conjunction with network options inside supervised commands', { code: 'network.isolated-conflict' });
  }
  // Tests that replace the sandbox (output.sandboxDeps) get handles that cannot be signalled.
  const fake = output.sandboxDeps?.runSandbox;
  const request: NetworkRequest = output.network ?? { publish: [], outbound: false };
  const openNetwork = effects.openNetwork ?? (fake ? undefined : openIsolatedNetwork);
  if (run.network && request.publish.length > 0) {
    throw new VaggaError(`--publish cannot be used with the !Supervise command ${JSON.stringify(run.command.name)}: its children have \`network:\``, {
      code: 'network.bad-publish',
      hint: 'Publish a child\'s ports with `ports: {HOST_PORT: CONTAINER_PORT}` under its `network:`.',
    });
  }
  // With `network:` children --network-outbound goes to their hub (bridge-run.ts), not to an isolated network.
  const isolated = run.command.isolateNetwork || output.isolateNetwork || (!run.network && needsPasta(request));
  const net = isolated && openNetwork
    ? await openNetwork(sharedMapping(run.children.map((n) => project.config.containers[run.command.children[n].container]!)), request)
    : undefined;
  try {
    return await superviseIn(net, output, project, run, startChild, effects);
  } finally {
    await net?.close();
  }
}

async function superviseIn(net: IsolatedNetwork | undefined, output: SuperviseOutput, project: Project, run: SuperviseRun, startChild: ChildStarter, effects: SuperviseEffects): Promise<number> {
  const fake = output.sandboxDeps?.runSandbox;
  const plainStart = effects.startSandbox ?? (fake ? (spec: SandboxSpec): SandboxHandle => ({ pid: 0, signal: () => {}, done: fake(spec) }) : startSandbox);
  // Children with `network:`: each one's sandbox joins its namespaces (src/network/bridge-*.ts).
  const network = run.network ? await (effects.startNetwork ?? startBridgeRun)(run.network, { outbound: output.network?.outbound ?? false }) : undefined;
  // Every sandbox of the run (children and probes) joins the isolated network, if any.
  const start = (name: string, spec: SandboxSpec, opts: StartOptions): SandboxHandle =>
    plainStart(network ? network.adjust(name, spec) : net ? { ...spec, joinNetwork: net.join } : spec, opts);
  const signals = effects.signals ?? process;
  const msPerSecond = effects.msPerSecond ?? 1000;
  const restart = Object.fromEntries(run.children.map((n) => [n, run.command.children[n].restart]));
  const readyTimeout = Object.fromEntries(run.children.map((n) => [n, run.command.children[n].ready?.timeout]));
  const waitFor = Object.fromEntries(run.children.map((n) => [n, run.command.children[n].waitFor]));
  const state = new SupervisorState({
    mode: run.command.mode, killUnresponsiveAfter: run.command.killUnresponsiveAfter, children: run.children, restart, readyTimeout, waitFor,
  });
  const restartTimers = new Set<NodeJS.Timeout>();
  const handles = new Map<string, SandboxHandle>();
  const baseDeps: SandboxDeps = { planRunMounts, idMappingFor, cacheDir: cacheDirFor(project.settings), ...(fake ? {} : { signalReset }), ...output.sandboxDeps, runSandbox: () => Promise.reject(new Error('replaced per child')) };

  let timer: NodeJS.Timeout | undefined;
  let finish!: (status: number) => void;
  const finished = new Promise<number>((resolve) => (finish = resolve));

  const perform = (actions: SuperviseAction[]): void => {
    for (const a of actions) {
      switch (a.kind) {
        case 'stdout':
          output.stdout(a.text);
          break;
        case 'stderr':
          output.stderr(a.text);
          break;
        case 'signal':
          for (const name of a.names) handles.get(name)?.signal(a.signal);
          break;
        case 'start-grace-timer':
          timer = setTimeout(() => dispatch({ kind: 'grace-expired' }), a.seconds * msPerSecond);
          break;
        case 'finish':
          if (timer) clearTimeout(timer);
          for (const t of restartTimers) clearTimeout(t);
          finish(a.status);
          break;
        case 'schedule-restart': {
          const t = setTimeout(() => {
            restartTimers.delete(t);
            dispatch({ kind: 'restart-due', name: a.name });
          }, a.seconds * msPerSecond);
          restartTimers.add(t);
          break;
        }
        case 'start':
          void startOne(a.name);
          break;
        case 'watch-ready': {
          const check = run.command.children[a.name].ready;
          if (check === undefined) break;
          const name = a.name;
          const probe = check.tcpPort !== undefined
            ? async () => sandboxListens(handles.get(name)?.pid ?? 0, check.tcpPort!)
            : () => probeCommand(name, check);
          void waitReady({
            probe, intervalMs: check.interval * 1000, timeoutMs: a.seconds * msPerSecond, wanted: () => state.awaitingReady(name),
          }).then((r) => {
            if (r !== 'cancelled') dispatch({ kind: r === 'ready' ? 'ready' : 'ready-timeout', name: a.name });
          });
          break;
        }
      }
    }
  };
  const dispatch = (event: SuperviseEvent): void => perform(state.handle(event));

  const listeners = FORWARDED_SIGNALS.map((sig) => {
    const listener = () => dispatch({ kind: 'signal', signal: sig });
    signals.on(sig, listener);
    return [sig, listener] as const;
  });
  // Job control (§2.9): Ctrl-Z stops the children, then vagga; `fg`/`bg` continues vagga,
  // which continues them. (SIGTTIN/SIGTTOU are left to their default action: a handler would
  // make the kernel retry a blocked terminal write forever.)
  const stopSelf = effects.stopSelf ?? (() => process.kill(process.pid, 'SIGSTOP'));
  // To each command's process group, bypassing catatonit, which neither passes SIGTSTP on
  // nor lets its command receive it (it starts the command with SIGTSTP/SIGTTIN/SIGTTOU
  // blocked: measured, /proc/PID/status SigBlk), so the children are stopped with SIGSTOP.
  const toGroups = (sig: NodeJS.Signals): void => {
    for (const h of handles.values()) (h.signalGroup ?? h.signal)(sig);
  };
  const onStop = (): void => {
    toGroups('SIGSTOP');
    stopSelf();
  };
  const onContinue = (): void => toGroups('SIGCONT');
  const jobControl = [['SIGTSTP', onStop], ['SIGCONT', onContinue]] as const;
  for (const [sig, listener] of jobControl) signals.on(sig, listener);
  try {
    for (const name of run.children) {
      if (state.shuttingDown) {
        dispatch({ kind: 'skipped', name });
        continue;
      }
      if (state.blockedBy(name).length > 0) {
        // Started by a `start` action once its `wait-for` children are ready.
        dispatch({ kind: 'deferred', name });
        continue;
      }
      await startOne(name);
    }
    const status = await finished;
    if (status === 0 && run.command.epilog) output.stdout(run.command.epilog);
    return status;
  } finally {
    for (const [sig, listener] of listeners) signals.off(sig, listener);
    for (const [sig, listener] of jobControl) signals.off(sig, listener);
    if (timer) clearTimeout(timer);
    for (const t of restartTimers) clearTimeout(t);
    network?.close();
  }

  /**
   * One run of `check.command` for child `name`: the child's command (container, volumes,
   * environment, user, network) with `run` replaced, read-only (a transient copy per probe
   * would be costly: the probe sees the container and its volumes, not the child's writes to
   * its own copy of the root), without `pass-tcp-socket`; stdin and output discarded, killed
   * after `check.probeTimeout` seconds. Resolves true on exit status 0, false otherwise or when
   * the sandbox could not be started.
   */
  function probeCommand(name: string, check: ReadyCheck): Promise<boolean> {
    const command: CommandConfig = { ...childCommand(run, name), run: check.command!, writeMode: 'read-only', passTcpSocket: undefined };
    const runProbe = (spec: SandboxSpec): Promise<SandboxResult> => {
      const handle = start(name, { ...spec, stdin: 'null', stdout: 'null', stderr: 'null' }, { forwardSignals: false, ownSession: true });
      const killer = setTimeout(() => handle.signal('SIGKILL'), check.probeTimeout * 1000);
      return handle.done.finally(() => clearTimeout(killer));
    };
    return startChild(command, { ...baseDeps, runSandbox: runProbe }).then((status) => status === 0, () => false);
  }

  /** Start child `name`; resolves once its sandbox is launched or its start has failed. */
  function startOne(name: string): Promise<void> {
    // A restart: forget the previous run's handle.
    handles.delete(name);
    return new Promise<void>((launched) => {
      let end: SandboxResult | undefined;
      const runSandbox = (spec: SandboxSpec): Promise<SandboxResult> => {
        const handle = start(name, spec, { forwardSignals: false, ownSession: true });
        handles.set(name, handle);
        dispatch({ kind: 'started', name, pid: handle.pid });
        launched();
        return handle.done.then((r) => (end = r));
      };
      startChild(childCommand(run, name), { ...baseDeps, runSandbox }).then(
        (status) => {
          // A starter that never launched a sandbox still reports its status.
          if (!handles.has(name)) dispatch({ kind: 'started', name, pid: 0 });
          dispatch({ kind: 'exited', name, end: end ?? { status } });
          launched();
        },
        (err: unknown) => {
          if (handles.has(name)) {
            // Launched, then failed (the sandbox could not be set up, or cleaning up after it
            // failed): it has ended all the same.
            output.stderr(`${errorText(err)}\n`);
            dispatch({ kind: 'exited', name, end: end ?? { status: err instanceof VaggaError ? err.exitCode : 1 } });
          } else {
            dispatch({ kind: 'start-failed', name, message: errorText(err) });
          }
          launched();
        },
      );
    });
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** True for a planned supervise run (as opposed to a plain `!Command` run). */
export function isSuperviseRun<T extends { command: { kind: string } }>(run: T | SuperviseRun): run is SuperviseRun {
  return run.command.kind === 'Supervise';
}

/** The `!Command`s a planned run starts: the command itself, or the selected children (for building their containers first). */
export function plannedCommands<T extends { command: CommandConfig }>(run: T | SuperviseRun): CommandConfig[] {
  return isSuperviseRun(run) ? run.children.map((n) => run.command.children[n]) : [run.command];
}
