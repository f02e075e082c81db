/**
 * The host-side `prepare` phase of a build: each step's `prepare` (downloads into the
 * cache, base bootstraps) runs before the builder sandbox starts, in step order, outside
 * any namespace (so it can use the network, setuid helpers and the host's tools).
 */
import type { StepConfig } from '../config/model.js';
import { VaggaError } from '../errors/vagga-error.js';
import type { PrepareContext, StepDef } from '../steps/step.js';
import type { BuilderResult } from './builder-spec.js';

/**
 * Run `prepare` of every step that has one. Resolves with a failed BuilderResult naming
 * the step when one throws (VaggaError message and hint kept), else `{ ok: true }`.
 */
export async function prepareSteps(
  steps: StepConfig[], ctx: PrepareContext, stepDef: (tag: string) => StepDef<any> | undefined,
): Promise<BuilderResult> {
  for (const [i, step] of steps.entries()) {
    const def = stepDef(step.tag);
    if (!def?.prepare) continue;
    try {
      await def.prepare(step.params, { ...ctx, precedingSteps: steps.slice(0, i) });
    } catch (err) {
      const where = { index: i + 1, total: steps.length, tag: step.tag, pos: step.pos };
      if (ctx.signal.aborted) {
        return { ok: false, phase: 'step', step: where, interrupted: true, message: 'The build was interrupted while preparing' };
      }
      if (err instanceof VaggaError) return { ok: false, phase: 'step', step: where, message: err.message, hint: err.hint };
      return { ok: false, phase: 'step', step: where, message: (err as Error)?.message ?? String(err) };
    }
  }
  return { ok: true };
}
