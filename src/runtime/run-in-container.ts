/**
 * Starting one process in a built container: the part shared by `vagga _run` and
 * `!Command` (inventory §2.7 run sandbox, §2.10 exit codes). Plans the mounts, finds the
 * program inside the rootfs, and runs it through bubblewrap with the container's uid map.
 */
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import type { ContainerConfig } from '../config/model.js';
import type { Project } from '../config/project.js';
import type { ContainerProcess } from './container-process.js';
// Static imports: this is the start-up hot path, one module graph load beats chained import()s.
import { planRunMounts } from '../mounts/run-plan.js';
import { resolveInView, rootOnlyPlan } from '../mounts/host-view.js';
import type { MountPlan } from '../mounts/types.js';
import { runSandbox } from '../sandbox/bwrap.js';
import { idMappingFor } from '../sandbox/idmap.js';
import { cacheDirFor, projectLayout } from '../storage/layout.js';
import { withInUseMark } from '../storage/in-use.js';
import { VaggaError } from '../errors/vagga-error.js';
import { parseEnvironFile } from './environment.js';
import { checkMountPoints } from './check-mounts.js';
import { findProgram } from './find-program.js';
import { createTransientRoot, writableRoot } from './transient-root.js';
import { idSwitch } from './user-ids.js';
import { signalReset } from './signal-reset.js';
import { activationEnv, listenPidWrapper, socketActivation } from './socket-activation.js';
import { prepareRunVolumes, type RunVolumes, type VolumeDeps } from './volumes/prepare.js';
import type { RunPlanInput } from '../mounts/run-plan.js';
import type { IdMapping, SandboxSpec } from '../sandbox/types.js';
import { bindPassedSocket } from '../sandbox/tcp-socket.js';
import { disarmLaunch, offerLaunch } from './launch-cache.js';

/**
 * Capabilities a command's root lacks (bwrap --cap-drop after --cap-add ALL): CAP_SYS_ADMIN,
 * as in Docker's and Podman's default set. Without it no mount, umount or remount is possible,
 * and a user namespace the command makes itself gets the mounts locked read-only.
 */
export const COMMAND_DROPPED_CAPS: readonly string[] = ['CAP_SYS_ADMIN'];

/** The sandbox collaborators; tests replace them, normally the real modules are loaded. */
export interface SandboxDeps {
  planRunMounts: typeof planRunMounts;
  runSandbox: typeof runSandbox;
  idMappingFor: typeof idMappingFor;
  /** Host cache dir for `!CacheDir` volumes (default: the storage layout's cacheDirFor). */
  cacheDir?: string;
  /** Volume collaborators (volumes-run.ts); tests replace them. */
  volumes?: VolumeDeps;
  /** The command's signal-state reset (signal-reset.ts); absent in tests that fake the sandbox. */
  signalReset?: typeof signalReset;
}

function realDeps(project: Project): SandboxDeps & { cacheDir: string } {
  return { planRunMounts, runSandbox, idMappingFor, cacheDir: cacheDirFor(project.settings), signalReset };
}

/**
 * Read the container's `environ-file`, a path inside the container (a relative one is
 * relative to its `/`). Vagga opens it in the wrapper after the pivot into the container, so
 * the path means what the command would see there: `/work/...` is the project
 * (`projectRoot`), anything else the built root. Every symlink is followed inside that view
 * (host-view.ts resolveInView): a link in the project or the image never reaches another
 * host file. Without `projectRoot` (an exported image, which has no project) only the root
 * is looked at. Volumes are not looked at. Returns undefined when the container has none;
 * throws VaggaError 124 (`sandbox.environ-file-unreadable`) when it cannot be read.
 */
export function readEnvironFile(container: ContainerConfig, rootfs: string, projectRoot?: string): Record<string, string> | undefined {
  if (!container.environFile) return undefined;
  try {
    const view: MountPlan = rootOnlyPlan(rootfs);
    if (projectRoot !== undefined) view.push({ kind: 'bind', source: projectRoot, dest: '/work', readOnly: false });
    const found = resolveInView(view, posix.resolve('/', container.environFile));
    if (found.kind === 'missing') throw new Error(`${found.at}: no such file or directory`);
    if (found.kind === 'unreadable') throw new Error(`${found.at}: permission denied`);
    if (found.kind === 'virtual') throw new Error(`${found.at} is on a mount that exists only while a command runs`);
    let text;
    try {
      text = readFileSync(found.host, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${found.at}: no such file or directory`);
      throw err;
    }
    return parseEnvironFile(text);
  } catch (err) {
    throw new VaggaError(`Can't read environ-file ${JSON.stringify(container.environFile)} of container "${container.name}": ${(err as Error).message}`, {
      code: 'sandbox.environ-file-unreadable',
      cause: err,
    });
  }
}

/**
 * Run the process and resolve with its exit status (the code, or 128+N when killed by
 * signal N). Before starting anything: plans the mounts, checks that every mount point
 * exists (check-mounts.ts) and that the program exists and is executable in the
 * container's view (find-program.ts). Throws VaggaError 124 for those problems or when the
 * sandbox cannot be set up; 121 for uid-map problems.
 */
export async function runInContainer(project: Project, proc: ContainerProcess, deps?: SandboxDeps): Promise<number> {
  if (proc.writable) {
    disarmLaunch();
    const copy = await createTransientRoot(projectLayout(project.config.projectRoot, project.settings).transientDir, proc.rootfs);
    try {
      return await runInContainer(project, { ...proc, rootfs: copy.path, writable: false, writableRoot: true }, deps);
    } finally {
      await copy.remove();
    }
  }
  const d = deps ?? realDeps(project);
  const idMapping = d.idMappingFor(proc.container.uids, proc.container.gids);
  // Volumes needing work before the mounts (volumes-run.ts): other containers, persistent dirs, snapshots.
  const vols = await prepareRunVolumes(project, proc, idMapping, d.volumes);
  let status = 1;
  try {
    // The warm path (launch-cache.ts) replays only launches that need no host work around them.
    if (deps !== undefined || !vols.trivial) disarmLaunch();
    status = await runPrepared(project, proc, d, idMapping, vols);
  } finally {
    await vols.finish(status);
  }
  return status;
}

async function runPrepared(project: Project, proc: ContainerProcess, d: SandboxDeps, idMapping: IdMapping, vols: RunVolumes): Promise<number> {
  const planInput: RunPlanInput = {
    container: proc.container,
    rootfs: proc.rootfs,
    projectRoot: project.config.projectRoot,
    commandVolumes: proc.commandVolumes,
    ...(proc.commandVolumePositions ? { commandVolumePositions: proc.commandVolumePositions } : {}),
    ...(proc.commandName !== undefined ? { commandName: proc.commandName } : {}),
    settings: project.settings,
    cacheDir: d.cacheDir ?? '',
    ...vols.planInput,
    idMapping,
    ...(proc.writableRoot ? { writableRoot: true } : {}),
  };
  const ids = idSwitch({ userId: proc.userId ?? 0, groupId: proc.groupId ?? 0, supplementaryGids: proc.supplementaryGids ?? [], externalUserId: proc.externalUserId });
  let mounts = d.planRunMounts(planInput);
  if (proc.writableRoot) mounts = writableRoot(mounts, proc.rootfs);
  checkMountPoints(mounts, {
    container: proc.container,
    commandName: proc.commandName,
    commandVolumes: proc.commandVolumes,
    commandVolumePositions: proc.commandVolumePositions,
  });
  const program = findProgram(proc.rootfs, proc.argv[0], proc.searchPath, { mounts, cwd: proc.cwd, container: proc.container.name });
  // pass-tcp-socket: bound now, listening only while the launcher is spawned (tcp-socket.ts).
  const socket = proc.passTcpSocket ? bindPassedSocket(proc.passTcpSocket) : undefined;
  // Marks the version in use while it runs, so `_clean` leaves it alone (storage/in-use.ts).
  // A shell's signal state for the command: nothing blocked or ignored (signal-reset.ts).
  const reset = d.signalReset?.() ?? { mounts: [], prefix: [] };
  // Socket activation of vagga: the sockets pass as the caller's fds; the command gets the
  // variables, LISTEN_PID its own pid (socket-activation.ts).
  const activation = socketActivation(process.env, process.pid);
  const listen = activation ? listenPidWrapper() : { mounts: [], prefix: [] };
  const env = activation ? { ...proc.env, ...activationEnv(activation) } : proc.env;
  const hostMounts = [...reset.mounts, ...listen.mounts, ...(ids?.mounts ?? [])].filter((m, i, all) => all.findIndex((o) => o.dest === m.dest) === i);
  const spec: SandboxSpec = {
    mounts: [...mounts, ...hostMounts],
    argv: vols.wrapArgv([...listen.prefix, ...reset.prefix, ...(ids?.prefix ?? []), program, ...proc.argv.slice(1)], planInput, env),
    env,
    cwd: proc.cwd,
    idMapping,
    // Vagga runs commands as root of the container's user namespace with its capabilities,
    // but for CAP_SYS_ADMIN (as Docker and Podman): with it root could remount the read-only
    // root and binds (the container's root, !Container, !BindRO, !VaggaBin) writable, since
    // they are made in the command's own user namespace, where the kernel does not lock them.
    allCaps: true,
    dropCaps: COMMAND_DROPPED_CAPS,
    shareNet: !proc.isolateNetwork,
    ...(proc.joinNetwork ? { joinNetwork: proc.joinNetwork } : {}),
    init: true,
    ...(socket ? { extraFds: [socket.fd], aroundSpawn: { before: socket.listen, after: socket.close } } : {}),
  };
  if (activation) disarmLaunch();
  const record = offerLaunch(spec, proc.rootfs);
  const result = await withInUseMark(proc.rootfs, () => d.runSandbox(spec)).finally(() => socket?.close());
  // The sandbox was set up and ran: its description is worth replaying.
  record?.();
  return result.status;
}
