/**
 * Arming the launch cache (src/runtime/launch-cache.ts) for a run that qualifies: one plain
 * launch in one container whose decision depends only on the cache's key inputs. Shared by
 * `vagga CMD` (run.ts) and `vagga _run` (src/cli/builtins/run.ts); the sandbox side
 * (run-in-container.ts) disarms it again for host work around the launch.
 */
import { join } from 'node:path';
import type { BuildMode } from '../cli/global-options.js';
import type { Project } from '../config/project.js';
import { PROJECT_FILES, USER_SETTINGS_FILES } from '../config/project-files.js';
import { armLaunch, launchCaptureEnabled } from '../runtime/launch-cache.js';

/** What the run is: its container(s), its build mode, and what only a !Command has. */
export interface ArmInput {
  project: Project;
  /** Every container the run needs (the command's, then those its volumes mount). */
  containers: readonly string[];
  buildMode: BuildMode;
  env: NodeJS.ProcessEnv;
  epilog?: string;
  /** Command fields that rule the cache out (environ-file is read from the container). */
  excluded?: boolean;
}

/**
 * Arm the launch cache when capture is enabled and the run qualifies: a single container
 * without `environ-file`, no config warnings, and a version that is decided by the config
 * alone (cli/project-cache.ts configOnlyContainers) unless `--no-version-check`.
 */
export async function armIfPlain(a: ArmInput): Promise<void> {
  if (!launchCaptureEnabled() || a.excluded || a.containers.length !== 1) return;
  const { config } = a.project;
  const name = a.containers[0]!;
  const container = config.containers[name];
  if (!container || container.environFile || config.warnings.length > 0) return;
  if (a.buildMode !== 'no-version-check') {
    const [{ configOnlyContainers }, { STEP_DEFS }] = await Promise.all([import('../cli/project-cache.js'), import('../steps/registry.js')]);
    if (!configOnlyContainers(config, STEP_DEFS).includes(name)) return;
  }
  const root = config.projectRoot;
  armLaunch({
    root,
    configFiles: config.files,
    settingsFiles: [...PROJECT_FILES.map((f) => join(root, f)), ...(a.env.HOME ? USER_SETTINGS_FILES.map((f) => join(a.env.HOME!, f)) : [])],
    containers: [name],
    ...(a.epilog ? { epilog: a.epilog } : {}),
  });
}
