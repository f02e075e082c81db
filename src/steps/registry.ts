/**
 * Every setup step tag the config accepts, looked up by tag. Each module under src/steps/
 * exports `steps: StepDef[]` (or, for steps that run other steps, a function of the
 * registry giving them); adding a step is one file plus one line here.
 */
import type { StepDef, StepRegistry } from './step.js';
import { steps as text } from './text.js';
import { steps as env } from './env.js';
import { steps as dirs } from './dirs.js';
import { steps as depends } from './depends.js';
import { steps as copy } from './copy.js';
import { steps as cacheDirs } from './cache-dirs.js';
import { containerStepDefs } from './container.js';
import { steps as tar } from './tar.js';
import { steps as download } from './download.js';
import { steps as commands } from './commands.js';
import { steps as debian } from './debian.js';
import { steps as packages } from './packages.js';
import { steps as tarInstall } from './tar-install.js';
import { steps as unzip } from './unzip.js';
import { steps as git } from './git.js';
import { steps as runAs } from './run-as.js';
import { steps as buildCopy } from './build-copy.js';
import { subConfigStepDefs } from './subconfig.js';
import { steps as ubuntu } from './ubuntu/steps.js';
import { steps as alpine } from './alpine/steps.js';
import { steps as repo } from './repo.js';
import { steps as npm } from './npm/steps.js';
import { steps as pip } from './pip/steps.js';
import { steps as gem } from './gem/steps.js';
import { steps as composer } from './composer/steps.js';
import { steps as ociImage } from './oci-image.js';

/**
 * A new registry of every step type. `!Container` and `!SubConfig` receive the registry
 * itself (filled before any step runs) to hash, build and replay the steps they include.
 */
export function createStepRegistry(): StepRegistry {
  const registry = new Map<string, StepDef<any>>();
  const all: StepDef<any>[] = [
    ...text, ...env, ...dirs, ...depends, ...copy, ...cacheDirs, ...containerStepDefs(registry),
    ...tar, ...download, ...commands, ...debian, ...packages,
    ...tarInstall, ...unzip, ...git, ...runAs, ...buildCopy, ...subConfigStepDefs(registry), ...ubuntu, ...alpine, ...repo, ...npm, ...pip, ...gem, ...composer, ...ociImage,
  ];
  for (const s of all) registry.set(s.tag, s);
  return registry;
}

/** The step registry: step definitions by tag (without `!`). */
export const STEP_DEFS: StepRegistry = createStepRegistry();

/** The step definition for a tag, or undefined when the tag is unknown. */
export function stepDef(tag: string): StepDef<any> | undefined {
  return STEP_DEFS.get(tag);
}
