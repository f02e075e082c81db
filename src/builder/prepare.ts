/**
 * The host-side `prepare` phase of a build: each step's `prepare` (downloads into the
 * cache, base bootstraps) runs before the builder sandbox starts, in step order, outside
 * any namespace (so it can use the network, setuid helpers and the host's tools). A prepare
 * that does work (logs status, reports progress or runs a program: a download, the Debian
 * bootstrap) gets a progress line `Prepare N/M !Tag ...` (src/builder/progress.ts); one
 * that finds everything cached prints nothing.
 */
import type { StepConfig } from '../config/model.js';
import { VaggaError } from '../errors/vagga-error.js';
import type { BuildLog, PrepareContext, StepDef } from '../steps/step.js';
import type { BuilderResult } from './builder-spec.js';
import type { BuildProgress } from './progress.js';
import { stepSummary } from './step-text.js';

/** `log`, calling `begin` before the first status, progress or output it passes on. */
function startingOnUse(log: BuildLog, begin: () => void): BuildLog {
  const out: BuildLog = {
    info: (m) => { begin(); log.info(m); },
    warn: (m) => log.warn(m),
    debug: (m) => log.debug(m),
  };
  if (log.output) out.output = (chunk, source) => { begin(); log.output!(chunk, source); };
  if (log.progress) out.progress = (update) => { begin(); log.progress!(update); };
  return out;
}

/**
 * Run `prepare` of every step that has one, showing on `progress` (if given) those that do
 * work. Resolves with a failed BuilderResult naming the step when one throws (VaggaError
 * message and hint kept), else `{ ok: true }`.
 */
export async function prepareSteps(
  steps: StepConfig[], ctx: PrepareContext, stepDef: (tag: string) => StepDef<any> | undefined, progress?: BuildProgress,
): Promise<BuilderResult> {
  for (const [i, step] of steps.entries()) {
    const def = stepDef(step.tag);
    if (!def?.prepare) continue;
    const summary = stepSummary(step, def);
    let started = false;
    const begin = () => {
      if (started || !progress) return;
      started = true;
      progress.prepareStarted(i + 1, steps.length, summary);
    };
    try {
      await def.prepare(step.params, { ...ctx, log: startingOnUse(ctx.log, begin), precedingSteps: steps.slice(0, i) });
    } catch (err) {
      const where = { index: i + 1, total: steps.length, tag: step.tag, pos: step.pos };
      if (ctx.signal.aborted) {
        progress?.close();
        return { ok: false, phase: 'step', step: where, interrupted: true, message: 'The build was interrupted while preparing' };
      }
      if (started) progress!.prepareFailed(i + 1, steps.length, summary);
      if (err instanceof VaggaError) return { ok: false, phase: 'step', step: where, message: err.message, hint: err.hint };
      return { ok: false, phase: 'step', step: where, message: (err as Error)?.message ?? String(err) };
    }
    if (started) progress!.prepareFinished(i + 1, steps.length, summary);
  }
  return { ok: true };
}
