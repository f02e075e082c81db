/**
 * The builder's main loop: run each setup step of the container in order, then the finish
 * phase. Progress (`Step N/M !Tag <summary>` and the time each step took) goes to the
 * injected BuildProgress (src/builder/progress.ts), per-step times also to timings.log
 * (Vagga keeps the same file per version; it is what makes slow steps diagnosable,
 * user-pain.md #11).
 */
import type { StepConfig } from '../config/model.js';
import { VaggaError } from '../errors/vagga-error.js';
import type { BuildContext, StepDef } from '../steps/step.js';
import type { BuilderResult, BuilderSpec } from './builder-spec.js';
import { applyDataDirs } from './data-dirs.js';
import type { BuildProgress } from './progress.js';
import { finishRoot, makeSystemDirs } from './finish.js';
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

function failure(err: unknown, verbosity: number): { message: string; hint?: string } {
  if (err instanceof VaggaError) return { message: err.message, hint: err.hint };
  const e = err as Error;
  const message = e?.message ?? String(err);
  return { message: verbosity >= 2 && e?.stack ? e.stack : message };
}

/** The error for a step whose tag has no `build` (parsed, hashed, but not buildable yet). */
export function notSupportedMessage(step: StepConfig, projectRoot: string): string {
  return `${stepLocation(step.pos, projectRoot)}: Step !${step.tag} is not supported yet`;
}

/**
 * Build `spec.steps` into `ctx.root` and finish the root. Never throws: the outcome is a
 * BuilderResult naming the failed step (1-based) or phase, with message and hint.
 */
export async function runSteps(spec: BuilderSpec, ctx: BuildContext, deps: RunStepsDeps): Promise<BuilderResult> {
  const total = spec.steps.length;
  const start = deps.now();
  let last = start;
  const mark = (label: string) => {
    const t = deps.now();
    deps.timing(`${seconds(t - start).padStart(8)}s ${seconds(t - last).padStart(8)}s  ${label}`);
    last = t;
  };
  try {
    await makeSystemDirs(ctx.root);
  } catch (err) {
    return { ok: false, phase: 'setup', ...failure(err, spec.verbosity) };
  }
  mark('Start');
  for (const [i, step] of spec.steps.entries()) {
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
      mark(`Step: ${summary} (failed)`);
      return { ok: false, phase: 'step', step: where, ...failure(err, spec.verbosity) };
    }
    deps.progress.stepFinished(i + 1, total, summary);
    mark(`Step: ${summary}`);
  }
  try {
    await finishRoot(ctx);
    if (spec.dataDirs?.length) await applyDataDirs(ctx.root, spec.dataDirs);
  } catch (err) {
    return { ok: false, phase: 'finish', ...failure(err, spec.verbosity) };
  }
  mark('Finish');
  return { ok: true };
}
