/** Test helpers: a validated-looking Project built in memory (no YAML involved). */
import type { CommandConfig, ContainerConfig, Settings } from '../../../src/config/model.js';
import type { Project } from '../../../src/config/project.js';
import type { SandboxDeps } from '../../../src/runtime/run-in-container.js';

const pos = { file: '/p/vagga.yaml', line: 1, col: 1 };

/** A `!Command` with Vagga's defaults; override any field. */
export function command(over: Partial<CommandConfig> & { name: string; run: string | string[] }): CommandConfig {
  return {
    kind: 'Command', container: 'c', acceptsArguments: Array.isArray(over.run), environ: {}, volumes: {},
    pid1mode: 'wait', writeMode: 'read-only', userId: 0, groupId: 0, supplementaryGids: [],
    aliases: [], prerequisites: [], isolateNetwork: false, tags: [], pos, ...over,
  };
}

/** A container with Vagga's defaults. */
export function container(name: string): ContainerConfig {
  return {
    name, setup: [], environ: {}, volumes: {}, uids: [{ start: 0, end: 65535 }], gids: [{ start: 0, end: 65535 }],
    autoClean: false, dataDirs: [], resolvConfPath: '/etc/resolv.conf', hostsFilePath: '/etc/hosts', defaultShell: [], pos,
  };
}

/** Settings as loadSettings returns them without any settings file. */
export const DEFAULT_SETTINGS: Settings = {
  buildLockWait: false, proxyEnvVars: true, propagateEnviron: [], environ: {}, externalVolumes: {},
};

/** A project rooted at `/p` with the given commands and one container `c` (plus `containers`). */
export function fakeProject(commands: Record<string, CommandConfig>, containers: string[] = ['c']): Project {
  return {
    config: {
      projectRoot: '/p', mainFile: '/p/vagga.yaml', files: ['/p/vagga.yaml'], warnings: [],
      containers: Object.fromEntries(containers.map((n) => [n, container(n)])),
      commands,
    },
    settings: DEFAULT_SETTINGS,
  };
}

/**
 * Sandbox collaborators that start nothing: the root bound read-only at `/`, a single-id map
 * (host uid 1001 -> 0), and `runSandbox` as given (records specs, decides the result).
 */
export function fakeSandboxDeps(runSandbox: SandboxDeps['runSandbox']): SandboxDeps {
  return {
    planRunMounts: (input) => [{ kind: 'bind', source: input.rootfs, dest: '/', readOnly: true }],
    idMappingFor: () => ({ uids: [{ inside: 0, outside: 1001, count: 1 }], gids: [{ inside: 0, outside: 1001, count: 1 }] }),
    runSandbox,
  };
}
