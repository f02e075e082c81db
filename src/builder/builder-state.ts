/**
 * The builder state after a setup step, kept with each cached layer (layers-and-images.md
 * Part A §3 "Each entry also stores the builder state after the step") so that a build
 * resuming after a cached prefix continues exactly where the steps left it: the
 * environment (`!Env`, the distribution's build env), each step family's state (the active
 * distribution, apt/apk bookkeeping, build dependencies to remove, language settings), the
 * cache binds, and the finish lists (`!EnsureDir`, `!EmptyDir`, `!Remove`). Finish hooks
 * are functions: the step families re-register theirs from their restored state
 * (src/steps/resume.ts).
 */
import type { BuildContext } from '../steps/step.js';
import { decodeSpecJson, encodeSpecJson } from './builder-spec.js';

/** The serialisable part of a BuildContext (JSON via encodeSpecJson: Map and Set kept). */
export interface SavedBuilderState {
  env: Record<string, string>;
  state: Map<string, unknown>;
  cacheMounts: Map<string, string>;
  finish: { ensureDirs: string[]; emptyDirs: string[]; removePaths: string[] };
}

/** The state of `ctx` as text (JSON). Pure. */
export function saveBuilderState(ctx: BuildContext): string {
  const saved: SavedBuilderState = {
    env: ctx.env,
    state: ctx.state,
    cacheMounts: ctx.cacheMounts,
    finish: { ensureDirs: ctx.finish.ensureDirs, emptyDirs: ctx.finish.emptyDirs, removePaths: ctx.finish.removePaths },
  };
  return encodeSpecJson(saved);
}

/**
 * Replace the state of `ctx` with `text` (from saveBuilderState), then let the step
 * families re-register their finish hooks and forget what holds only within one build
 * (`resume`). Throws SyntaxError for malformed text.
 */
export function restoreBuilderState(ctx: BuildContext, text: string, resume: (ctx: BuildContext) => void): void {
  const saved = decodeSpecJson<SavedBuilderState>(text);
  for (const k of Object.keys(ctx.env)) delete ctx.env[k];
  Object.assign(ctx.env, saved.env);
  ctx.state.clear();
  for (const [k, v] of saved.state) ctx.state.set(k, v);
  ctx.cacheMounts.clear();
  for (const [k, v] of saved.cacheMounts) ctx.cacheMounts.set(k, v);
  ctx.finish.ensureDirs = [...saved.finish.ensureDirs];
  ctx.finish.emptyDirs = [...saved.finish.emptyDirs];
  ctx.finish.removePaths = [...saved.finish.removePaths];
  ctx.finish.hooks = [];
  resume(ctx);
}
