/**
 * What vagga prints about the build cache's layers (`_clean --cache`, `_clean -n`,
 * `_list --containers`, the size budget after a build). Pure: returns text. Sizes are the
 * ones recorded at each layer's commit (du of its diff), formatted like the other sizes
 * (index-format.ts formatSize).
 */
import { formatSize } from './index-format.js';
import type { LayerInfo } from './layer-inventory.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** `just now`, `5 minutes ago`, `3 hours ago`, `2 days ago` for an age in ms. Pure. */
export function formatAge(ms: number): string {
  if (ms < MINUTE) return 'just now';
  if (ms < HOUR) return `${plural(Math.floor(ms / MINUTE), 'minute')} ago`;
  if (ms < DAY) return `${plural(Math.floor(ms / HOUR), 'hour')} ago`;
  return `${plural(Math.floor(ms / DAY), 'day')} ago`;
}

/** `3 layers` / `1 layer`. */
export function layerCount(n: number): string {
  return plural(n, 'layer');
}

/**
 * One line per layer: `<verb> layer <made> (<size>, last used <age>)`, `verb` being
 * `Would remove` or `Removing`; a broken layer says so instead of its age.
 */
export function formatLayerLine(verb: string, layer: LayerInfo, now: number): string {
  const age = layer.broken ? 'unusable: a lower layer or its metadata is missing' : `last used ${formatAge(Math.max(0, now - layer.lastUse))}`;
  return `${verb} layer ${layer.made} (${formatSize(layer.bytes)}, ${age})\n`;
}

/** `_clean --cache -n`'s last line: what would be freed of how much, and where the store is. */
export function formatDryTotal(count: number, bytes: number, all: number, allBytes: number, storeDir: string): string {
  return `Would free ${formatSize(bytes)} of the build cache's ${formatSize(allBytes)} (${count} of ${layerCount(all)}; ${storeDir})\n`;
}

/** `_clean --cache`'s last line: what was removed and what is left. */
export function formatRemovedTotal(count: number, bytes: number, left: number, leftBytes: number): string {
  return `Removed ${layerCount(count)} (${formatSize(bytes)}) from the build cache; ${layerCount(left)} (${formatSize(leftBytes)}) left\n`;
}

/** The line after a build that went over the `build-cache-max-size` budget. */
export function formatBudgetLine(total: number, budget: number, count: number, bytes: number): string {
  return `Build cache over its budget (${formatSize(total)} of ${formatSize(budget)}): removed ${layerCount(count)} (${formatSize(bytes)})\n`;
}

/**
 * The build cache's size in one line (`_clean -n`, `_list --containers`): layer count and
 * recorded total, the store's path, and how to clean it; undefined when it holds no layer.
 */
export function formatStoreSummary(count: number, bytes: number, storeDir: string): string | undefined {
  if (count === 0) return undefined;
  return `Build cache: ${layerCount(count)}, ${formatSize(bytes)} in ${storeDir} (shared by your projects; \`vagga _clean --cache\` removes it)\n`;
}
