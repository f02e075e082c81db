/**
 * `vagga _run [-W] CONTAINER CMD ARGS...` (inventory §1.8, §2.7): run an arbitrary
 * program in a container, building it (and the containers its volumes mount) first, unless
 * --no-build/--no-version-check; running never builds. CMD
 * without `/` is looked up only in the default PATH inside the container.
 */
import { commandEnvironment, DEFAULT_PATH, vaggaenvVariables } from '../../runtime/environment.js';
import { prepareContainers } from '../../builder/prepare-containers.js';
import { volumeContainerNames } from '../../runtime/volumes/containers.js';
import { readEnvironFile, runInContainer } from '../../runtime/run-in-container.js';
import { containerWorkDir } from '../../runtime/work-dir.js';
import type { BuiltinCall } from '../builtin-spec.js';
import { projectFor, type CliContext } from '../context.js';
import { checkNetworkRequest, needsPasta, sharedMapping, withIsolatedNetwork } from '../../network/isolated.js';
import { parsePublishList } from '../../network/ports.js';
import type { ContainerProcess } from '../../runtime/container-process.js';
import { armIfPlain } from '../../user-commands/launch-arm.js';

/**
 * Resolves with the command's exit status; 124 when CMD is not found. With `--publish` or
 * `--network-outbound` the program runs in an isolated network with pasta (src/network/),
 * checked before anything is built.
 */
export async function run(ctx: CliContext, parsed: BuiltinCall): Promise<number> {
  const [containerName, program, ...rest] = parsed.positionals as [string, string, ...string[]];
  const project = await projectFor(ctx, containerName);
  const { globals } = ctx;
  const vaggaenv = vaggaenvVariables({ host: ctx.env, useEnv: globals.useEnv, setEnv: globals.setEnv, propagate: project.settings.propagateEnviron });
  const network = { publish: parsePublishList(globals.publish), outbound: globals.networkOutbound };
  if (needsPasta(network)) checkNetworkRequest(network);
  const container = Object.hasOwn(project.config.containers, containerName) ? project.config.containers[containerName] : undefined;
  // The container, then the containers its volumes mount: all made ready before anything runs.
  const names = [containerName, ...(container ? volumeContainerNames(container, {}) : [])];
  const roots = await prepareContainers(project, [...new Set(names)], { buildMode: globals.buildMode, verbosity: globals.verbosity, noImageDownload: globals.noImageDownload });
  if (globals.containersOnly || !container) return 0;
  const ready = { rootfs: roots[containerName]! };
  // A network with pasta is never replayed by the warm path (it records plain launches only).
  await armIfPlain({ project, containers: [...new Set(names)], buildMode: globals.buildMode, env: ctx.env, excluded: Boolean(parsed.values.writeable) || needsPasta(network) });
  const proc: ContainerProcess = {
    container,
    rootfs: ready.rootfs,
    argv: [program, ...rest],
    searchPath: DEFAULT_PATH,
    env: commandEnvironment({
      host: ctx.env,
      proxyEnvVars: project.settings.proxyEnvVars,
      environFile: readEnvironFile(container, ready.rootfs, project.config.projectRoot),
      containerEnviron: container.environ,
      settingsEnviron: project.settings.environ,
      vaggaenv,
    }),
    cwd: containerWorkDir(project.config.projectRoot, ctx.cwd),
    commandVolumes: {},
    isolateNetwork: globals.isolateNetwork,
    writable: Boolean(parsed.values.writeable),
    containerRoots: roots,
  };
  if (!needsPasta(network)) return runInContainer(project, proc, ctx.sandboxDeps);
  return withIsolatedNetwork(sharedMapping([container]), network, (joinNetwork) => runInContainer(project, { ...proc, joinNetwork }, ctx.sandboxDeps));
}
