/**
 * What vagga shows about disk use (`_list --containers`, `_clean -n`): the pure part —
 * grouping measured storage items, formatting sizes and lines, and when to suggest
 * `vagga _hardlink`. Sizes are formatted like Vagga's `_hardlink` line (index-format.ts).
 */
import { formatSize } from './index-format.js';
import type { Measurement, TreeSize } from './disk-usage.js';

/** What kind of thing a stored directory is. */
export type StorageKind = 'version' | 'transient' | 'tmp' | 'volume' | 'cache';

/** One directory of a project's storage (or the shared cache). */
export interface StorageItem {
  kind: StorageKind;
  /** Absolute host path (real path, no symlinks). */
  path: string;
  /** For a version: its container's name. */
  container?: string;
}

const ZERO: TreeSize = { disk: 0, apparent: 0 };

function add(a: TreeSize, b: TreeSize): TreeSize {
  return { disk: a.disk + b.disk, apparent: a.apparent + b.apparent };
}

/** `12MB (apparent 14MB)`. */
export function sizeText(size: TreeSize): string {
  return `${formatSize(size.disk)} (apparent ${formatSize(size.apparent)})`;
}

/**
 * When to suggest `vagga _hardlink` (a heuristic: what linking would save is only known by
 * hashing every file, which is what `_hardlink` itself does). `sum` is the versions'
 * sizes on disk measured one by one, `deduplicated` the same versions with files
 * hard-linked between them counted once; `sum - deduplicated` is what is shared already.
 * Suggested when there are at least two versions, they take at least HARDLINK_MIN_BYTES
 * after deduplication, and less than a quarter of `sum` is shared: then `_hardlink` most
 * likely has not run since several builds, and containers built from a common base
 * usually share most of their files (one project went from 1.5 GB to 274 MB).
 */
export function suggestHardlink(versions: number, sum: number, deduplicated: number): boolean {
  return versions >= 2 && deduplicated >= HARDLINK_MIN_BYTES && sum - deduplicated < sum / 4;
}

/** Smallest total (bytes on disk) of versions for which `_hardlink` is suggested. */
export const HARDLINK_MIN_BYTES = 256 * 1000 * 1000;

/** Sizes grouped for display. */
export interface UsageSummary {
  /** Per container name: number of versions and their sizes, each version measured alone. */
  containers: Map<string, { versions: number; size: TreeSize }>;
  /** Per kind: count and size, hard links shared with an earlier kind counted there. */
  kinds: Map<StorageKind, { count: number; size: TreeSize }>;
  /** Everything, hard links counted once. */
  total: TreeSize;
  /** Sum of the versions measured one by one (on disk). */
  versionsSum: number;
  /** Versions together, hard links counted once (on disk). */
  versionsDeduplicated: number;
}

/**
 * Group `items` with their `measurement` (same order; versions must come first so that
 * hard links between versions are counted with the versions). Pure.
 */
export function summarizeUsage(items: readonly StorageItem[], measurement: Measurement): UsageSummary {
  const containers = new Map<string, { versions: number; size: TreeSize }>();
  const kinds = new Map<StorageKind, { count: number; size: TreeSize }>();
  let versionsSum = 0;
  let versionsDeduplicated = 0;
  items.forEach((item, i) => {
    const each = measurement.each[i] ?? ZERO;
    const added = measurement.added[i] ?? ZERO;
    const k = kinds.get(item.kind) ?? { count: 0, size: ZERO };
    kinds.set(item.kind, { count: k.count + 1, size: add(k.size, added) });
    if (item.kind === 'version' && item.container !== undefined) {
      const c = containers.get(item.container) ?? { versions: 0, size: ZERO };
      containers.set(item.container, { versions: c.versions + 1, size: add(c.size, each) });
      versionsSum += each.disk;
      versionsDeduplicated += added.disk;
    }
  });
  return { containers, kinds, total: measurement.total, versionsSum, versionsDeduplicated };
}

/** Column width of names, as `_list` uses for commands (20). */
const NAME_WIDTH = 20;

/** The version `.vagga/<name>` links to, and whether it is the one the config hashes to now. */
export interface LinkedVersion {
  /** 8-hex short hash of the linked version. */
  short: string;
  /** True: the current version; false: an older one (the next run rebuilds); undefined: unknown before building. */
  current?: boolean;
}

/**
 * `_list --containers` lines (stdout): every container of the config, sorted; a built one
 * followed by its version count and size (each version measured alone) and, when
 * `.vagga/<name>` links a version (`linked`), its hash and whether it is current. The name
 * stays the first word of each line, so `awk '{print $1}'` still gives the names.
 */
export function formatContainerSizes(names: readonly string[], summary: UsageSummary | undefined, linked?: ReadonlyMap<string, LinkedVersion>): string {
  return [...names].sort().map((name) => {
    const c = summary?.containers.get(name);
    const l = linked?.get(name);
    const link = l ? `linked ${l.short}${l.current === true ? ', current' : l.current === false ? ', outdated' : ''}` : '';
    if (!c) return l ? `${name.padEnd(NAME_WIDTH - 1)} ${link}\n` : `${name}\n`;
    const versions = `${c.versions} version${c.versions === 1 ? '' : 's'}`;
    return `${name.padEnd(NAME_WIDTH - 1)} ${versions.padEnd(11)} ${sizeText(c.size)}${link ? `  ${link}` : ''}\n`;
  }).join('');
}

const KIND_LABELS: Record<StorageKind, [string, string]> = {
  version: ['container version', 'container versions'],
  transient: ['transient copy', 'transient copies'],
  tmp: ['unfinished build', 'unfinished builds'],
  volume: ['persistent volume', 'persistent volumes'],
  cache: ['shared cache dir', 'shared cache dirs'],
};

/**
 * The storage summary (stderr): one line per kind present, the total (hard links counted
 * once), versions of containers no longer in vagga.yaml, and the `_hardlink` suggestion.
 * Every line fits 80 columns for sizes below 1000 TB.
 */
export function formatUsageSummary(summary: UsageSummary, configured: ReadonlySet<string>): string {
  const lines: string[] = [];
  for (const kind of ['version', 'transient', 'tmp', 'volume', 'cache'] as const) {
    const k = summary.kinds.get(kind);
    if (!k) continue;
    const label = `${k.count} ${KIND_LABELS[kind][k.count === 1 ? 0 : 1]}`;
    lines.push(`  ${label.padEnd(26)} ${sizeText(k.size)}`);
  }
  lines.push(`  ${'total'.padEnd(26)} ${sizeText(summary.total)}`);
  const stale = [...summary.containers.keys()].filter((n) => !configured.has(n)).sort();
  if (stale.length) lines.push(`Versions of containers not in vagga.yaml: ${stale.join(', ')} (vagga _clean --unused)`);
  const versions = summary.kinds.get('version')?.count ?? 0;
  if (suggestHardlink(versions, summary.versionsSum, summary.versionsDeduplicated)) {
    lines.push(`The ${versions} versions share few files (${formatSize(summary.versionsSum - summary.versionsDeduplicated)} of ${formatSize(summary.versionsSum)}):`,
      '  `vagga _hardlink` links identical files and may save much of it.');
  }
  return `Disk use (hard links counted once):\n${lines.join('\n')}\n`;
}

/** `Would remove <path> (<size>)` for `_clean -n`, and the total line. Pure. */
export function formatRemovalSizes(shown: readonly string[], sizes: readonly (TreeSize | undefined)[], total: TreeSize): string {
  const lines = shown.map((p, i) => {
    const size = sizes[i];
    return size ? `Would remove ${p} (${formatSize(size.disk)})\n` : `Would remove ${p}\n`;
  });
  return `${lines.join('')}Would free up to ${sizeText(total)}, hard links counted once\n`;
}
