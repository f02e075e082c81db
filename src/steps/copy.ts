import type { StepDef } from './step.js';

/** Placeholder until this step family is implemented. */
export const steps: StepDef<any>[] = [];
