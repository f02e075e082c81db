/**
 * Running commands from vagga.yaml (`vagga NAME ARGS...`, `vagga -m A B ...`) in Vagga's
 * three phases (launcher/user.rs): resolve every command, its arguments and its
 * prerequisites; build every container they need; then run them in order, stopping at the
 * first non-zero status (inventory §1.6, §1.7, §2.7, §2.10).
 */
import { inotifyWarning, readInotifyLimit } from './inotify-limit.js';
import type { CliContext } from '../cli/context.js';
import type { Project } from '../config/project.js';
import type { CommandConfig } from '../config/model.js';
import { VaggaError } from '../errors/vagga-error.js';
import { checkArguments, commandArgv } from './argv.js';
import { parseCommandOptions } from './docopt.js';
import { commandEnvironment, DEFAULT_PATH, vaggaenvVariables } from '../runtime/environment.js';
import { prepareContainers } from '../builder/prepare-containers.js';
import { orderWithPrerequisites } from './prerequisites.js';
import { prerequisitesOf, resolveCommand } from './resolve.js';
import { readEnvironFile, runInContainer } from '../runtime/run-in-container.js';
import { containerWorkDir } from '../runtime/work-dir.js';
import { isSuperviseRun, planSupervise, plannedCommands, runSupervise, type SuperviseOutput, type SuperviseRun } from '../supervise/run.js';
import { volumeContainerNames } from '../runtime/volumes/containers.js';
import { checkPassedSockets } from './tcp-sockets.js';
import type { TcpAddress } from '../sandbox/tcp-socket.js';
import { missingVolumeInits, volumesDirFor } from '../runtime/volumes/persistent.js';
import { checkNetworkRequest, needsPasta, sharedMapping, withIsolatedNetwork, type NetworkRequest } from '../network/isolated.js';
import { parsePublishList } from '../network/ports.js';
import type { NetworkJoin } from '../sandbox/types.js';
import { armIfPlain } from './launch-arm.js';
import { isCapsuleRun, runCapsule, type CapsuleRun } from './capsule.js';

/** One planned run: a `!Command` and its extra arguments. */
export interface PlannedRun {
  command: CommandConfig;
  args: string[];
  /** `VAGGAOPT_*`/`VAGGACLI_*` from the command's `options` (docopt.ts); absent without `options`. */
  optionEnv?: Record<string, string>;
}

/**
 * Phase 1 (pure apart from the config): the runs in order. `names` are what the user
 * typed (aliases allowed); `args` go to the last named command (none with `-m`).
 * Prerequisites are skipped with `noPrerequisites`. Returns a help text instead when the
 * user asked a command for `--help`. Throws VaggaError: 121 unknown command, 122 unexpected
 * argument, 121 for command kinds or fields not supported yet.
 */
export function planRuns(project: Project, names: readonly string[], args: readonly string[], noPrerequisites: boolean): (PlannedRun | SuperviseRun | CapsuleRun)[] | { help: string } {
  const { config } = project;
  const top = names.map((n) => resolveCommand(config, n).name);
  // A missing !Persistent volume with an init-command gets that command as a prerequisite (§2.7).
  const volumesDir = volumesDirFor(config.projectRoot, project.settings);
  const order = noPrerequisites ? top : orderWithPrerequisites(top, (n) => [...prerequisitesOf(config, n), ...missingVolumeInits(config, n, volumesDir)]);
  const runs: (PlannedRun | SuperviseRun | CapsuleRun)[] = [];
  for (const [i, name] of order.entries()) {
    const cmd = resolveCommand(config, name);
    if (cmd.kind === 'Supervise') {
      // supervise.ts: --only/--exclude select the children; each child is checked like a command.
      const sv = planSupervise(cmd, i === order.length - 1 ? args : []);
      if (!('children' in sv)) return sv;
      for (const child of sv.children) unsupportedFields(cmd.children[child]);
      runs.push(sv);
      continue;
    }
    // Only the last command is one the user typed arguments for (none with -m).
    const given = i === order.length - 1 ? args : [];
    // A !Command or a !CapsuleCommand: the same argument rules.
    if (cmd.options !== undefined) {
      // With `options` the arguments are parsed by docopt and never passed positionally.
      const parsed = parseCommandOptions(cmd.name, cmd.description, cmd.options, given);
      if (parsed.kind === 'help') return { help: parsed.text };
      if (cmd.kind === 'Command') unsupportedFields(cmd);
      runs.push({ command: cmd, args: [], optionEnv: parsed.env } as PlannedRun | CapsuleRun);
      continue;
    }
    const verdict = checkArguments(cmd, given);
    if (verdict.kind === 'help') return { help: verdict.text };
    if (cmd.kind === 'Command') unsupportedFields(cmd);
    runs.push({ command: cmd, args: verdict.args } as PlannedRun | CapsuleRun);
  }
  return runs;
}

/** Fields parsed from vagga.yaml that this version cannot honour yet: fail clearly. */
function unsupportedFields(cmd: CommandConfig): void {
  const problems: string[] = [];
  if (problems.length > 0) {
    throw new VaggaError(`Command ${JSON.stringify(cmd.name)} uses ${problems.join(', ')}, not supported by this version yet`, {
      code: 'command.not-supported',
    });
  }
}

/**
 * Run user commands: `names` (one, or several with `-m`) and the extra `args` of a single
 * command. Resolves with the exit status to use (first non-zero, else 0).
 */
export async function runUserCommands(ctx: CliContext, names: readonly string[], args: readonly string[]): Promise<number> {
  const project = await ctx.project();
  const { globals } = ctx;
  const vaggaenv = vaggaenvVariables({
    host: ctx.env,
    useEnv: globals.useEnv,
    setEnv: globals.setEnv,
    propagate: project.settings.propagateEnviron,
  });
  const planned = planRuns(project, names, args, globals.noPrerequisites);
  if (!Array.isArray(planned)) {
    ctx.out(planned.help);
    return 0;
  }
  // Capsule commands build nothing up front (the command decides, src/user-commands/capsule.ts).
  const plan = planned.filter((run): run is PlannedRun | SuperviseRun => !isCapsuleRun(run));

  // Isolated networks (src/network/): bad --publish values, missing helpers and an unusable
  // /dev/net/tun fail here, before anything is built or started.
  const network: NetworkRequest = { publish: parsePublishList(globals.publish), outbound: globals.networkOutbound };
  const sharedNetwork = (run: (typeof plan)[number]) => isSuperviseRun(run) && (run.command.isolateNetwork || globals.isolateNetwork);
  if (needsPasta(network) || plan.some(sharedNetwork)) checkNetworkRequest(network);
  // pass-tcp-socket: fail early when an address cannot be listened on (tcp-sockets.ts).
  const sockets = await checkPassedSockets(plan.flatMap(plannedCommands));
  // Phase 2: every container the runs need (each command's, supervise children's, and the
  // containers their volumes mount: !Container, !Snapshot), planned and built before any runs.
  // A supervise command given a build-mode flag after its name (`vagga sv --no-build`)
  // prepares its children's containers in that mode; everything else in the global one.
  const neededBy = (runs: typeof plan): string[] => {
    const needed = new Set<string>();
    for (const command of runs.flatMap(plannedCommands)) {
      const container = project.config.containers[command.container];
      needed.add(command.container);
      for (const name of container ? volumeContainerNames(container, command.volumes) : []) needed.add(name);
    }
    return [...needed];
  };
  const globalMode = { buildMode: globals.buildMode, verbosity: globals.verbosity, noImageDownload: globals.noImageDownload };
  const ownMode = (run: (typeof plan)[number]) => (isSuperviseRun(run) ? run.buildMode : undefined);
  const globalRuns = plan.filter((run) => !ownMode(run));
  const containerRoots = globalRuns.length > 0 || plan.length === 0 ? await prepareContainers(project, neededBy(globalRuns), globalMode) : {};
  const rootsOf = new Map<(typeof plan)[number], Record<string, string>>();
  for (const run of plan) {
    const mode = ownMode(run);
    if (!mode) continue;
    const roots = await prepareContainers(project, neededBy([run]), {
      verbosity: globals.verbosity,
      buildMode: mode === 'no-image-download' ? 'normal' : mode,
      noImageDownload: mode === 'no-image-download',
    });
    rootsOf.set(run, { ...containerRoots, ...roots });
  }
  if (globals.containersOnly) return 0;
  const [only] = plan;
  if (planned.length === 1 && only && !isSuperviseRun(only)) {
    const c = only.command;
    await armIfPlain({
      project, containers: neededBy(plan), buildMode: globals.buildMode, env: ctx.env, epilog: c.epilog,
      excluded: c.expectInotifyLimit !== undefined || c.passTcpSocket !== undefined || c.writeMode === 'transient-hard-link-copy' || names.length !== 1
        || needsPasta(network), // pasta is host work the warm path does not replay
    });
  }

  const expectsInotify = plan.filter((run) => run.command.expectInotifyLimit !== undefined);
  if (expectsInotify.length > 0) {
    const current = readInotifyLimit();
    for (const run of expectsInotify) {
      const warning = inotifyWarning(run.command.name, run.command.expectInotifyLimit, current);
      if (warning) ctx.warn(warning);
    }
  }

  for (const run of planned) {
    if (isCapsuleRun(run)) {
      const status = await runCapsule(ctx, project, run, vaggaenv);
      if (status !== 0) return status;
      continue;
    }
    const roots = rootsOf.get(run) ?? containerRoots;
    const status = isSuperviseRun(run)
      ? await runSupervise(superviseOutput(ctx, network), project, run, (child, sandboxDeps) => runCommand(
        { ...ctx, sandboxDeps }, project, { command: child, args: [], optionEnv: run.optionEnv }, roots[child.container]!, vaggaenv, roots, sockets))
      : needsPasta(network)
      ? await withIsolatedNetwork(sharedMapping([project.config.containers[run.command.container]!]), network, (join) => runCommand(
        ctx, project, run, containerRoots[run.command.container]!, vaggaenv, containerRoots, sockets, join))
      : await runCommand(ctx, project, run, containerRoots[run.command.container]!, vaggaenv, containerRoots, sockets);
    if (status !== 0) return status;
  }
  return 0;
}

/**
 * Phase 3 for one command (its container's root `rootfs`): environment, argv, cwd, sandbox
 * (joining the isolated network `joinNetwork` when given); prints `epilog` on success.
 */
async function runCommand(
  ctx: CliContext, project: Project, run: PlannedRun, rootfs: string, vaggaenv: Record<string, string>, containerRoots?: Record<string, string>,
  sockets?: Map<string, TcpAddress>, joinNetwork?: NetworkJoin,
): Promise<number> {
  const { command } = run;
  const container = project.config.containers[command.container];
  const env = commandEnvironment({
    host: ctx.env,
    proxyEnvVars: project.settings.proxyEnvVars,
    environFile: readEnvironFile(container, rootfs, project.config.projectRoot),
    containerEnviron: container.environ,
    commandEnviron: command.environ,
    settingsEnviron: project.settings.environ,
    vaggaenv,
  });
  Object.assign(env, run.optionEnv);
  const status = await runInContainer(project, {
    container,
    rootfs,
    argv: commandArgv(command.run, run.args, container.defaultShell),
    searchPath: env.PATH ?? DEFAULT_PATH,
    env,
    cwd: containerWorkDir(project.config.projectRoot, ctx.cwd, command.workDir),
    commandVolumes: command.volumes,
    commandVolumePositions: command.volumePositions,
    commandName: command.name,
    isolateNetwork: command.isolateNetwork || ctx.globals.isolateNetwork,
    ...(joinNetwork ? { joinNetwork } : {}),
    userId: command.userId,
    groupId: command.groupId,
    supplementaryGids: command.supplementaryGids,
    externalUserId: command.externalUserId,
    writable: command.writeMode === 'transient-hard-link-copy',
    containerRoots,
    passTcpSocket: command.passTcpSocket === undefined ? undefined : sockets?.get(command.passTcpSocket),
  }, ctx.sandboxDeps);
  if (status === 0 && command.epilog) ctx.out(command.epilog);
  return status;
}

/** The CLI context as a supervise run's output (supervise/run.ts SuperviseOutput), with the run's `network` request. */
function superviseOutput(ctx: CliContext, network: NetworkRequest): SuperviseOutput {
  return { stdout: ctx.out, stderr: ctx.err, isolateNetwork: ctx.globals.isolateNetwork, network, sandboxDeps: ctx.sandboxDeps };
}
