/**
 * The `build-cache-max-size` setting, applied after each successful build in cached layers
 * (ensure-built.ts): the layer store (`<cache-dir>/.layers`) is trimmed to the budget, least
 * recently used layers first, never the layers the build just used
 * (src/storage/layer-clean.ts trimBuildCache). A failure to trim never fails the build: it
 * is one warning line.
 */
import { layerStoreDir } from '../storage/layer-inventory.js';
import { defaultLayerCleanDeps, trimBuildCache } from '../storage/layer-clean.js';

/**
 * Trim the layer store under `cacheDir` to `budget` bytes keeping `stack` (layer names);
 * one line to `write` at verbosity >= 1 when layers went, a warning when trimming failed.
 * Never throws.
 */
export async function applyCacheBudget(cacheDir: string, budget: number, stack: readonly string[], verbosity: number, write: (text: string) => void): Promise<void> {
  try {
    await trimBuildCache(layerStoreDir(cacheDir), budget, stack, verbosity, defaultLayerCleanDeps(write));
  } catch (err) {
    write(`Warning: the build cache was not trimmed to build-cache-max-size: ${(err as Error).message ?? String(err)}\n`);
  }
}
