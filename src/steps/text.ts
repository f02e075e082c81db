/**
 * `!Text {/abs/path: body}`: write files into the root, mode 0644 (vagga-inventory.md §1.4).
 * Hash: `path`, `data` per entry, keys in component-wise path order (§2.1).
 */
import * as fs from 'node:fs/promises';
import { map, str, type Out } from '../config/schema.js';
import { containerPathProblem } from '../config/container-path.js';
import { comparePaths } from '../version/paths.js';
import type { StepDef } from './step.js';
import { inContainerRoot } from './root-path.js';


/** Entries of a path-keyed mapping in Vagga's `BTreeMap<PathBuf, _>` order. */
export function sortedPathEntries<V>(m: Record<string, V>): [string, V][] {
  return Object.entries(m).sort(([a], [b]) => comparePaths(a, b));
}


const textSchema = map(str(), containerPathProblem);

/** `!Text` parameters: absolute container path -> file content. */
export type TextParams = Out<typeof textSchema>;

const text: StepDef<TextParams> = {
  tag: 'Text',
  hashReadsOnlyParams: true,
  projectFree: () => true,
  userKeyed: true,
  schema: textSchema,
  hash(params, digest) {
    for (const [p, data] of sortedPathEntries(params)) {
      digest.field('path', p);
      digest.field('data', data);
    }
  },
  async build(params, ctx) {
    for (const [p, data] of sortedPathEntries(params)) {
      const real = inContainerRoot(ctx.root, p);
      try {
        await fs.writeFile(real, data);
        await fs.chmod(real, 0o644);
      } catch (e) {
        throw new Error(`Can't create file ${JSON.stringify(p)}: ${(e as Error).message}`);
      }
    }
  },
};

/** The `!Text` step. */
export const steps: StepDef<any>[] = [text];
