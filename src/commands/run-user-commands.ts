/**
 * Running commands from vagga.yaml (`vagga NAME ARGS...`, `vagga -m A B ...`) in Vagga's
 * three phases (launcher/user.rs): resolve every command, its arguments and its
 * prerequisites; build every container they need; then run them in order, stopping at the
 * first non-zero status (inventory §1.6, §1.7, §2.7, §2.10).
 */
import type { CliContext, Project } from '../cli/context.js';
import type { CommandConfig } from '../config/model.js';
import { ExitCode, VaggaError } from '../errors/vagga-error.js';
import { checkArguments, commandArgv } from './command-argv.js';
import { commandEnvironment, DEFAULT_PATH, vaggaenvVariables } from './environment.js';
import { prepareContainer, type ReadyContainer } from './prepare-container.js';
import { orderWithPrerequisites } from './prerequisites.js';
import { prerequisitesOf, resolveCommand } from './resolve.js';
import { readEnvironFile, runInContainer } from './run-in-container.js';
import { containerWorkDir } from './work-dir.js';

/** One planned run: a `!Command` and its extra arguments. */
export interface PlannedRun {
  command: CommandConfig;
  args: string[];
}

/**
 * Phase 1 (pure apart from the config): the runs in order. `names` are what the user
 * typed (aliases allowed); `args` go to the last named command (none with `-m`).
 * Prerequisites are skipped with `noPrerequisites`. Returns a help text instead when the
 * user asked a command for `--help`. Throws VaggaError: 121 unknown command, 122 unexpected
 * argument, 121 for command kinds or fields not supported yet.
 */
export function planRuns(project: Project, names: readonly string[], args: readonly string[], noPrerequisites: boolean): PlannedRun[] | { help: string } {
  const { config } = project;
  const top = names.map((n) => resolveCommand(config, n).name);
  const order = noPrerequisites ? top : orderWithPrerequisites(top, (n) => prerequisitesOf(config, n));
  const runs: PlannedRun[] = [];
  for (const [i, name] of order.entries()) {
    const cmd = resolveCommand(config, name);
    if (cmd.kind !== 'Command') {
      throw new VaggaError(`Command ${JSON.stringify(cmd.name)} is a !${cmd.kind}, which this version cannot run yet`, {
        exitCode: ExitCode.launcher,
        hint: 'Only !Command commands are supported for now; run the children as separate !Command entries meanwhile.',
      });
    }
    // Only the last command is one the user typed arguments for (none with -m).
    const verdict = checkArguments(cmd, i === order.length - 1 ? args : []);
    if (verdict.kind === 'help') return { help: verdict.text };
    unsupportedFields(cmd);
    runs.push({ command: cmd, args: verdict.args });
  }
  return runs;
}

/** Fields parsed from vagga.yaml that this version cannot honour yet: fail clearly. */
function unsupportedFields(cmd: CommandConfig): void {
  const problems: string[] = [];
  if (cmd.options !== undefined) problems.push('`options` (docopt argument parsing)');
  if (cmd.writeMode !== 'read-only') problems.push(`\`write-mode: ${cmd.writeMode}\``);
  if (cmd.externalUserId !== undefined) problems.push('`external-user-id`');
  if (cmd.userId !== 0 || cmd.groupId !== 0 || cmd.supplementaryGids.length > 0) problems.push('`user-id`/`group-id`/`supplementary-gids`');
  if (cmd.passTcpSocket !== undefined) problems.push('`pass-tcp-socket`');
  if (problems.length > 0) {
    throw new VaggaError(`Command ${JSON.stringify(cmd.name)} uses ${problems.join(', ')}, not supported by this version yet`, {
      exitCode: ExitCode.launcher,
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
  const plan = planRuns(project, names, args, globals.noPrerequisites);
  if (!Array.isArray(plan)) {
    ctx.out(plan.help);
    return 0;
  }

  const ready = new Map<string, ReadyContainer>();
  for (const { command } of plan) {
    if (ready.has(command.container)) continue;
    ready.set(command.container, await prepareContainer(project, command.container, {
      buildMode: globals.buildMode,
      verbosity: globals.verbosity,
    }));
  }
  if (globals.containersOnly) return 0;

  for (const run of plan) {
    const status = await runCommand(ctx, project, run, ready.get(run.command.container)!, vaggaenv);
    if (status !== 0) return status;
  }
  return 0;
}

/** Phase 3 for one command: environment, argv, cwd, sandbox; prints `epilog` on success. */
async function runCommand(ctx: CliContext, project: Project, run: PlannedRun, ready: ReadyContainer, vaggaenv: Record<string, string>): Promise<number> {
  const { command } = run;
  const container = project.config.containers[command.container];
  const env = commandEnvironment({
    host: ctx.env,
    proxyEnvVars: project.settings.proxyEnvVars,
    environFile: readEnvironFile(container, ready.rootfs),
    containerEnviron: container.environ,
    commandEnviron: command.environ,
    settingsEnviron: project.settings.environ,
    vaggaenv,
  });
  const status = await runInContainer(project, {
    container,
    rootfs: ready.rootfs,
    argv: commandArgv(command.run, run.args, container.defaultShell),
    searchPath: env.PATH ?? DEFAULT_PATH,
    env,
    cwd: containerWorkDir(project.config.projectRoot, ctx.cwd, command.workDir),
    commandVolumes: command.volumes,
    commandVolumePositions: command.volumePositions,
    commandName: command.name,
    isolateNetwork: command.isolateNetwork || ctx.globals.isolateNetwork,
  }, ctx.sandboxDeps);
  if (status === 0 && command.epilog) ctx.out(command.epilog);
  return status;
}
