/**
 * The builder's main loop: run each setup step of the container in order, then the finish
 * phase; and the pieces of it the build cache's loop (run-layered.ts) shares. Progress
 * (`Step N/M !Tag <summary>` and the time each step took) goes to the injected
 * BuildProgress (src/builder/progress.ts), per-step times also to timings.log (Vagga keeps
 * the same file per version; it is what makes slow steps diagnosable, user-pain.md #11).
 */
import type { StepConfig } from '../config/model.js';
import { VaggaError } from '../errors/vagga-error.js';
import type { BuildContext, StepDef } from '../steps/step.js';
import type { BuilderResult, BuilderSpec } from './builder-spec.js';
import { applyDataDirs } from './data-dirs.js';
import { finishRoot, makeSystemDirs } from './finish.js';
import type { BuildProgress } from './progress.js';
import { stepLocation, stepSummary } from './step-text.js';

export interface RunStepsDeps {
  /** Step definition by tag (the registry). */
  stepDef(tag: string): StepDef<any> | undefined;
  /** What the build prints about its steps (src/builder/progress.ts). */
  progress: BuildProgress;
  /** Append one line to timings.log. */
  timing(line: string): void;
  /** Milliseconds clock. */
  now(): number;
  /** Told which step starts (e.g. to report it when the build is interrupted). */
  onStep?(step: NonNullable<BuilderResult['step']>): void;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(2);
}

/** A step's or phase's error as a result message (the stack only when verbose). */
export function failure(err: unknown, verbosity: number): { message: string; hint?: string } {
  if (err instanceof VaggaError) return { message: err.message, hint: err.hint };
  const e = err as Error;
  const message = e?.message ?? String(err);
  return { message: verbosity >= 2 && e?.stack ? e.stack : message };
}

/** The error for a step whose tag has no `build` (parsed, hashed, but not buildable yet). */
export function notSupportedMessage(step: StepConfig, projectRoot: string): string {
  return `${stepLocation(step.pos, projectRoot)}: Step !${step.tag} is not supported yet`;
}

/** Times of a build, written to timings.log (`<since start>s <since last>s  <label>`). */
export interface BuildClock {
  mark(label: string): void;
}

/** A clock writing marks through `deps.timing`. */
export function buildClock(deps: RunStepsDeps): BuildClock {
  const start = deps.now();
  let last = start;
  return {
    mark(label) {
      const t = deps.now();
      deps.timing(`${seconds(t - start).padStart(8)}s ${seconds(t - last).padStart(8)}s  ${label}`);
      last = t;
    },
  };
}

/**
 * Run setup step `i` (0-based) of `spec.steps` on `ctx.root`, printing its progress line.
 * Never throws: a failed result names the step, undefined means done.
 */
export async function runStep(spec: BuilderSpec, ctx: BuildContext, deps: RunStepsDeps, clock: BuildClock, i: number): Promise<BuilderResult | undefined> {
  const step = spec.steps[i]!;
  const total = spec.steps.length;
  const def = deps.stepDef(step.tag);
  const summary = stepSummary(step, def);
  const where = { index: i + 1, total, tag: step.tag, pos: step.pos };
  deps.progress.stepStarted(i + 1, total, summary);
  deps.onStep?.(where);
  if (!def?.build) {
    deps.progress.stepFailed(i + 1, total, summary);
    return {
      ok: false, phase: 'step', step: where,
      message: `Step !${step.tag} is not supported yet`,
      hint: `This version of vagga parses and hashes !${step.tag} but cannot build it. ` +
        'Replace the step (e.g. with !Sh commands doing the same) or remove it.',
    };
  }
  try {
    await def.build(step.params, ctx);
  } catch (err) {
    deps.progress.stepFailed(i + 1, total, summary);
    clock.mark(`Step: ${summary} (failed)`);
    return { ok: false, phase: 'step', step: where, ...failure(err, spec.verbosity) };
  }
  deps.progress.stepFinished(i + 1, total, summary);
  clock.mark(`Step: ${summary}`);
  return undefined;
}

/** Report setup step `i` (0-based) as taken from the build cache. */
export function reportCachedStep(spec: BuilderSpec, deps: RunStepsDeps, clock: BuildClock, i: number): void {
  const step = spec.steps[i]!;
  const summary = stepSummary(step, deps.stepDef(step.tag));
  deps.progress.stepCached(i + 1, spec.steps.length, summary);
  clock.mark(`Step: ${summary} (cached)`);
}

/** The finish phase and `data-dirs` on `ctx.root`. Never throws: undefined when done. */
export async function runFinish(spec: BuilderSpec, ctx: BuildContext, clock: BuildClock): Promise<BuilderResult | undefined> {
  try {
    await finishRoot(ctx, spec.networkFiles);
    if (spec.dataDirs?.length) await applyDataDirs(ctx.root, spec.dataDirs);
  } catch (err) {
    return { ok: false, phase: 'finish', ...failure(err, spec.verbosity) };
  }
  clock.mark('Finish');
  return undefined;
}

/**
 * Build `spec.steps` into `ctx.root` and finish the root, without the build cache. Never
 * throws: the outcome is a BuilderResult naming the failed step (1-based) or phase, with
 * message and hint.
 */
export async function runSteps(spec: BuilderSpec, ctx: BuildContext, deps: RunStepsDeps): Promise<BuilderResult> {
  const clock = buildClock(deps);
  try {
    await makeSystemDirs(ctx.root);
  } catch (err) {
    return { ok: false, phase: 'setup', ...failure(err, spec.verbosity) };
  }
  clock.mark('Start');
  for (let i = 0; i < spec.steps.length; i++) {
    const failed = await runStep(spec, ctx, deps, clock, i);
    if (failed) return failed;
  }
  return (await runFinish(spec, ctx, clock)) ?? { ok: true };
}
