/**
 * Late-bound access to the step registry for steps that walk other steps (`!Container`
 * replay, `!SubConfig` hashing). Step modules cannot import registry.ts directly (the
 * registry imports them), so registry.ts registers its lookup here when it loads.
 */
import type { StepDef } from './step.js';

let lookup: ((tag: string) => StepDef<any> | undefined) | undefined;

/** Called once by registry.ts with its `stepDef`. */
export function setStepLookup(fn: (tag: string) => StepDef<any> | undefined): void {
  lookup = fn;
}

/** The step definition for a tag. Throws if the registry has not been loaded. */
export function lookupStep(tag: string): StepDef<any> | undefined {
  if (!lookup) throw new Error('step registry not loaded (import src/steps/registry.ts first)');
  return lookup(tag);
}
