/**
 * `!CacheDirs {/container/path: cache-name}` (vagga-inventory.md §1.4): bind
 * `<cache-dir>/<name>` at the path for every later command of the build (and, replayed,
 * of containers built on top through `!Container`). The mount-point directory is created
 * in the root now. Hash: `source`, `name` per entry, keys in path order.
 */
import * as fs from 'node:fs';
import { map, type Out } from '../config/schema.js';
import { cacheName, containerPathProblem } from '../config/container-path.js';
import type { BuildContext, StepDef } from './step.js';
import { inContainerRoot } from './root-path.js';
import { sortedPathEntries } from './text.js';

const cacheDirsSchema = map(cacheName(), containerPathProblem);

/** `!CacheDirs` parameters: absolute container path -> cache name. */
export type CacheDirsParams = Out<typeof cacheDirsSchema>;

function register(params: CacheDirsParams, ctx: BuildContext): void {
  for (const [p, name] of sortedPathEntries(params)) ctx.cacheMounts.set(p, name);
}

const cacheDirs: StepDef<CacheDirsParams> = {
  tag: 'CacheDirs',
  hashReadsOnlyParams: true,
  projectFree: () => true,
  userKeyed: true,
  schema: cacheDirsSchema,
  hash(params, digest) {
    for (const [p, name] of sortedPathEntries(params)) {
      digest.field('source', p);
      digest.field('name', name);
    }
  },
  async build(params, ctx) {
    for (const p of Object.keys(params)) fs.mkdirSync(inContainerRoot(ctx.root, p), { recursive: true, mode: 0o755 });
    register(params, ctx);
  },
  replay: register,
};

/** The `!CacheDirs` step. */
export const steps: StepDef<any>[] = [cacheDirs];
