/**
 * Removing layers of the build cache from the host (`vagga _clean --cache` and the
 * `build-cache-max-size` budget after a build). Which layers go is layer-select.ts's choice.
 *
 * Builds hold the store's `gc.lock` shared for their whole run (LayerStore.lease); removal
 * happens only with it held exclusive, so no build is reading a layer or making one:
 * `_clean --cache` waits for it (one message), the budget after a build only tries it
 * (another build running: the budget is applied after a later build).
 * A layer is first renamed into `trash/` (atomic: a build never sees half a layer; a layer
 * renamed before its lower is, when interrupted, is only left broken and removed by the
 * next cleaning), then the trash is deleted (src/storage/remove.ts: the layer files belong
 * to subordinate ids, so deletion falls back to `rm` inside a user namespace). `tmp/` (layers
 * being made when a build was killed) is emptied too: with the lock held no build owns it.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { VaggaError } from '../errors/vagga-error.js';
import { acquireLock, tryLock, type HeldLock } from './lock.js';
import { readLayers, totalBytes, type LayerInfo } from './layer-inventory.js';
import { formatBudgetLine, formatDryTotal, formatLayerLine, formatRemovedTotal } from './layer-report.js';
import { lruOrder, selectAll, selectOverBudget, selectUnusedSince, type LayerSelection } from './layer-select.js';
import { removeTree } from './remove.js';

/** Collaborators of layer removal, replaceable in tests. */
export interface LayerCleanDeps {
  /** Delete a tree (default removeTree). */
  remove(path: string): Promise<void>;
  /** Take `path` exclusive, waiting; `onWait` once when it is busy (default acquireLock). */
  lock(path: string, onWait: () => void): Promise<HeldLock>;
  /** Take `path` exclusive without waiting; undefined when busy (default tryLock). */
  tryLock(path: string): Promise<HeldLock | undefined>;
  write(text: string): void;
  now(): number;
}

/** The real collaborators, writing to `write`. */
export function defaultLayerCleanDeps(write: (text: string) => void): LayerCleanDeps {
  return {
    remove: removeTree,
    lock: (path, onWait) => acquireLock(path, { onWait }),
    tryLock: (path) => tryLock(path),
    write,
    now: () => Date.now(),
  };
}

/** Options of `vagga _clean --cache`. */
export interface CacheCleanOptions {
  /** `--at-least`: keep layers used within this many ms. */
  atLeast?: number;
  /** `-n`: print what would go, remove nothing. */
  dryRun?: boolean;
  /** 0 quiet, 1 normal (a line per layer and the total), 2 verbose. Default 1. */
  verbosity?: number;
}

/** The message while `_clean --cache` waits for running builds. */
export const WAIT_MESSAGE = 'A build is using the build cache; waiting...\n';

function select(layers: readonly LayerInfo[], options: CacheCleanOptions, now: number): LayerSelection {
  return options.atLeast === undefined ? selectAll(layers) : selectUnusedSince(layers, now - options.atLeast);
}

/**
 * `vagga _clean --cache` on the store at `storeDir` (see the file comment): remove every
 * layer, or with `atLeast` those unused for that long, each with its descendants, and empty
 * `trash/` and `tmp/`. A dry run takes no lock and lists the layers (LRU order) and the
 * total. Returns the layers removed (or that would be). Throws VaggaError `clean.failed`
 * (exit 3) when a removal fails, lock errors (storage.lock-failed) as acquireLock does.
 */
export async function cleanBuildCache(storeDir: string, options: CacheCleanOptions, deps: LayerCleanDeps): Promise<LayerInfo[]> {
  const verbosity = options.verbosity ?? 1;
  if (!existsSync(storeDir)) {
    if (verbosity >= 1) deps.write(`The build cache is empty (${storeDir})\n`);
    return [];
  }
  if (options.dryRun) {
    const layers = readLayers(storeDir);
    const now = deps.now();
    const sel = select(layers, options, now);
    if (verbosity >= 1) {
      for (const layer of lruOrder(sel.remove)) deps.write(formatLayerLine('Would remove', layer, now));
      deps.write(formatDryTotal(sel.remove.length, sel.removedBytes, layers.length, sel.totalBytes, storeDir));
    }
    return sel.remove;
  }
  const lock = await deps.lock(join(storeDir, 'gc.lock'), () => deps.write(WAIT_MESSAGE));
  try {
    const layers = readLayers(storeDir);
    const now = deps.now();
    const sel = select(layers, options, now);
    await removeLayers(storeDir, sel.remove, deps, (layer) => {
      if (verbosity >= 1) deps.write(formatLayerLine('Removing', layer, now));
    });
    if (verbosity >= 1) {
      deps.write(formatRemovedTotal(sel.remove.length, sel.removedBytes, layers.length - sel.remove.length, sel.totalBytes - sel.removedBytes));
    }
    return sel.remove;
  } finally {
    await lock.release();
  }
}

/**
 * The `build-cache-max-size` budget (`budget` bytes) after a successful build whose stack
 * was `protect`: when the recorded total is over it (or broken layers lie around), remove
 * least recently used layers with their descendants, never `protect`'s, only when the
 * store's lock is free (else nothing: another build runs). Writes one line at verbosity
 * >= 1 when layers went. Returns the selection applied, or undefined when nothing was done.
 * Throws like cleanBuildCache (callers report it without failing the build).
 */
export async function trimBuildCache(
  storeDir: string, budget: number, protect: readonly string[], verbosity: number, deps: LayerCleanDeps,
): Promise<LayerSelection | undefined> {
  const first = readLayers(storeDir);
  if (totalBytes(first) <= budget && !first.some((l) => l.broken)) return undefined;
  const lock = await deps.tryLock(join(storeDir, 'gc.lock'));
  if (!lock) return undefined;
  try {
    const sel = selectOverBudget(readLayers(storeDir), budget, protect);
    if (sel.remove.length === 0) return undefined;
    await removeLayers(storeDir, sel.remove, deps);
    if (verbosity >= 1) deps.write(formatBudgetLine(sel.totalBytes, budget, sel.remove.length, sel.removedBytes));
    return sel;
  } finally {
    await lock.release();
  }
}

/**
 * With the store's lock held exclusive: rename each of `layers` (in the order given) into
 * `trash/` and drop its lock file, then delete `trash/` and `tmp/` and make them again.
 * Throws VaggaError `clean.failed`.
 */
async function removeLayers(storeDir: string, layers: readonly LayerInfo[], deps: LayerCleanDeps, each?: (l: LayerInfo) => void): Promise<void> {
  const trash = join(storeDir, 'trash');
  try {
    mkdirSync(trash, { recursive: true, mode: 0o755 });
    for (const [i, layer] of layers.entries()) {
      each?.(layer);
      renameSync(join(storeDir, 'layers', layer.name), join(trash, `${layer.name}.gc.${process.pid}.${i}`));
      // No build waits on it: builds take a layer's lock only while holding the store's lease.
      rmSync(join(storeDir, 'locks', `${layer.name}.lock`), { force: true });
    }
  } catch (err) {
    throw failed(`moving a layer into ${trash}`, err);
  }
  for (const dir of [trash, join(storeDir, 'tmp')]) {
    if (!existsSync(dir)) continue;
    try {
      await deps.remove(dir);
      mkdirSync(dir, { mode: 0o755 });
    } catch (err) {
      throw failed(`removing ${dir}`, err);
    }
  }
}

function failed(what: string, err: unknown): VaggaError {
  return new VaggaError(`Cleaning the build cache failed ${what}: ${(err as Error).message ?? String(err)}`, {
    code: 'clean.failed', cause: err, hint: 'Run `vagga _clean --cache` again; what was removed stays removed.',
  });
}
