/**
 * Setup steps the validator accepts but that have no `build` yet (vagga-inventory.md §1.4):
 * parsed with their full schema and hashed exactly like Vagga, while the builder reports
 * `Step !X is not supported yet`. Currently empty: every step of §1.4 lives in its family
 * file (the language package steps moved to src/steps/{npm,pip,gem,composer}/).
 */
import type { StepDef } from './step.js';

/** Steps parsed and hashed but not buildable yet (none at the moment). */
export const steps: StepDef<any>[] = [];
