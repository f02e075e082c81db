/**
 * `!Env {K: V}`: environment for the following setup steps only (not the runtime env),
 * also replayed through `!Container` (vagga-inventory.md §1.4). Hash: `key`, `value` per
 * entry, keys in byte order (§2.1).
 */
import { map, str, type Out } from '../config/schema.js';
import { compareBytes } from '../version/paths.js';
import type { BuildContext, StepDef } from './step.js';

const envSchema = map(str());

/** `!Env` parameters: variable name -> value. */
export type EnvParams = Out<typeof envSchema>;

function apply(params: EnvParams, ctx: BuildContext): void {
  for (const [k, v] of Object.entries(params)) ctx.env[k] = v;
}

const env: StepDef<EnvParams> = {
  tag: 'Env',
  hashReadsOnlyParams: true,
  projectFree: () => true,
  userKeyed: true,
  schema: envSchema,
  hash(params, digest) {
    for (const [k, v] of Object.entries(params).sort(([a], [b]) => compareBytes(a, b))) {
      digest.field('key', k);
      digest.field('value', v);
    }
  },
  async build(params, ctx) {
    apply(params, ctx);
  },
  replay: apply,
};

/** The `!Env` step. */
export const steps: StepDef<any>[] = [env];
