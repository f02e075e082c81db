/**
 * Every setup step tag the config accepts, looked up by tag. Each module under
 * src/steps/ exports `steps: StepDef[]`; adding a step is one file plus one line here.
 */
import type { StepDef } from './step.js';
import { steps as text } from './text.js';
import { steps as env } from './env.js';
import { steps as dirs } from './dirs.js';
import { steps as depends } from './depends.js';
import { steps as copy } from './copy.js';
import { steps as cacheDirs } from './cache-dirs.js';
import { steps as container } from './container.js';
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
import { steps as subConfig } from './subconfig.js';
import { steps as ubuntu } from './ubuntu/steps.js';
import { steps as alpine } from './alpine/steps.js';
import { steps as repo } from './repo.js';
import { steps as npm } from './npm/steps.js';
import { steps as pip } from './pip/steps.js';
import { steps as gem } from './gem/steps.js';
import { steps as composer } from './composer/steps.js';
import { setStepLookup } from './lookup.js';

const ALL: StepDef<any>[] = [
  ...text, ...env, ...dirs, ...depends, ...copy, ...cacheDirs, ...container,
  ...tar, ...download, ...commands, ...debian, ...packages,
  ...tarInstall, ...unzip, ...git, ...runAs, ...buildCopy, ...subConfig, ...ubuntu, ...alpine, ...repo, ...npm, ...pip, ...gem, ...composer,
];

/** Step definitions by tag (without `!`). */
export const STEP_DEFS: ReadonlyMap<string, StepDef<any>> = new Map(ALL.map((s) => [s.tag, s]));

/** The step definition for a tag, or undefined when the tag is unknown. */
export function stepDef(tag: string): StepDef<any> | undefined {
  return STEP_DEFS.get(tag);
}

setStepLookup(stepDef);
