/**
 * Which layers of the build cache go (pure; the layers come from layer-inventory.ts).
 * Rules shared by `vagga _clean --cache` and the `build-cache-max-size` budget:
 *  - a layer goes together with its descendants (every layer whose stack contains it), so no
 *    layer that stays has a missing lower;
 *  - least recently used first (`last_use` oldest first; ties: deeper stacks first, then name);
 *  - broken layers (layer-inventory.ts: unusable by any build) always go.
 * The result is in removal order: a layer's descendants before it.
 */
import type { LayerInfo } from './layer-inventory.js';

/** Layers chosen for removal, in removal order, and what stays. */
export interface LayerSelection {
  remove: LayerInfo[];
  /** Recorded bytes of the layers removed. */
  removedBytes: number;
  /** Recorded bytes of every layer before removal. */
  totalBytes: number;
}

/** Layers in least recently used order (see the file comment). Pure. */
export function lruOrder(layers: readonly LayerInfo[]): LayerInfo[] {
  return [...layers].sort((a, b) => a.lastUse - b.lastUse || b.stack.length - a.stack.length || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** For each layer name: the layers whose stack holds it above their own position (its descendants). Pure. */
export function descendantsMap(layers: readonly LayerInfo[]): Map<string, LayerInfo[]> {
  const out = new Map<string, LayerInfo[]>();
  for (const layer of layers) {
    for (const name of layer.stack) {
      if (name === layer.name) continue;
      const list = out.get(name) ?? [];
      list.push(layer);
      out.set(name, list);
    }
  }
  return out;
}

/**
 * Pick layers: walk `layers` in LRU order and take each layer `want` accepts, with its
 * descendants, while `more()` says so (checked before each pick; broken layers are taken
 * regardless). A group holding a layer of `protect` is skipped whole.
 */
function pick(
  layers: readonly LayerInfo[], want: (l: LayerInfo) => boolean, more: (removedBytes: number) => boolean,
  protect: ReadonlySet<string> = new Set(),
): LayerSelection {
  const below = descendantsMap(layers);
  const taken = new Set<string>();
  const remove: LayerInfo[] = [];
  let removedBytes = 0;
  const take = (layer: LayerInfo): void => {
    // Descendants first, deepest first: no remaining layer ever lacks a lower.
    const group = [layer, ...(below.get(layer.name) ?? [])].filter((l) => !taken.has(l.name));
    if (group.some((l) => protect.has(l.name))) return;
    group.sort((a, b) => b.stack.length - a.stack.length);
    for (const l of group) {
      taken.add(l.name);
      remove.push(l);
      removedBytes += l.bytes;
    }
  };
  const order = lruOrder(layers);
  for (const layer of order) if (layer.broken && !taken.has(layer.name)) take(layer);
  for (const layer of order) {
    if (taken.has(layer.name) || !want(layer)) continue;
    if (!more(removedBytes)) break;
    take(layer);
  }
  return { remove, removedBytes, totalBytes: layers.reduce((s, l) => s + l.bytes, 0) };
}

/** Every layer (`vagga _clean --cache`). Pure. */
export function selectAll(layers: readonly LayerInfo[]): LayerSelection {
  return pick(layers, () => true, () => true);
}

/**
 * Layers last used before `cutoff` (ms since the epoch; `_clean --cache --at-least D`:
 * `now - D`), with their descendants. Pure.
 */
export function selectUnusedSince(layers: readonly LayerInfo[], cutoff: number): LayerSelection {
  return pick(layers, (l) => l.lastUse < cutoff, () => true);
}

/**
 * The `build-cache-max-size` budget: least recently used layers (with their descendants)
 * until the recorded total is at most `budget` bytes, never a layer of `protect` (the stack
 * the build just used) nor an ancestor of one. Nothing but broken layers when the total
 * fits already. Pure.
 */
export function selectOverBudget(layers: readonly LayerInfo[], budget: number, protect: readonly string[]): LayerSelection {
  const total = layers.reduce((s, l) => s + l.bytes, 0);
  return pick(layers, () => true, (removed) => total - removed > budget, new Set(protect));
}
