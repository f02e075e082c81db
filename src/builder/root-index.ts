/**
 * The index of a finished root (src/storage/index-format.ts), written by the builder to its
 * scratch dir; the host side moves it next to the root (`.roots/<name>.<8hex>/index.txt`)
 * for `_verify` and `_hardlink`. Written inside the builder because only the namespace's
 * root can read every file. A failure only costs the index (warning), not the build.
 */
import { writeFileSync } from 'node:fs';
import { formatIndex } from '../storage/index-format.js';
import { join } from 'node:path';
import type { BuildLog } from '../steps/step.js';
import type { KnownHash } from '../storage/index-walk.js';
import { SCRATCH_FILES, type BuilderSpec } from './builder-spec.js';

/** Index `spec.root` into the scratch dir; `known` spares hashing files whose SHA-256 is known. */
export async function writeRootIndex(spec: BuilderSpec, log: BuildLog, known?: KnownHash): Promise<void> {
  try {
    const { indexTree } = await import('../storage/index-walk.js');
    writeFileSync(join(spec.scratchDir, SCRATCH_FILES.index), formatIndex(await indexTree(spec.root, known)));
  } catch (err) {
    log.warn(`Could not index the container's files (vagga _verify will not work for it): ${(err as Error).message}`);
  }
}

