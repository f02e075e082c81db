/**
 * What the step families do when a build resumes after cached layers (the per-step build
 * cache, src/builder/run-layered.ts): their state was restored from the layer's saved
 * builder state; each family re-registers its finish hook and forgets what held only
 * within the build that made the layer.
 */
import { resumeAlpineContext } from './alpine/apk-run.js';
import { resumeDebianContext } from './debian/apt-run.js';
import type { BuildContext } from './step.js';

/** Resume every step family's context on `ctx` (in a fixed order: Debian, then Alpine). */
export function resumeStepContexts(ctx: BuildContext): void {
  resumeDebianContext(ctx);
  resumeAlpineContext(ctx);
}
