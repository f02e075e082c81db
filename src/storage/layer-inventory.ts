/**
 * The per-step build cache's layer store (src/builder/layer-store.ts) as the host user sees
 * it: `<cache-dir>/.layers`, shared by every project of the user. The layers' files are owned
 * by the containers' subordinate ids and cannot be read or measured here; what the host
 * reads is each layer's `meta.json` (its `bytes` recorded by du at commit, its stack, what
 * made it) and the mtime of its `last_use` stamp. Reads only; never throws for a missing or
 * damaged store.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LAYER_STORE_ENTRY } from '../config/cache-name.js';
import type { LayerMeta } from '../builder/layer-store.js';
import { LAYER_FORMAT } from '../builder/layer-plan.js';

/** One layer of the store, as cleaning needs it. */
export interface LayerInfo {
  /** The 32-hex directory name under `layers/`. */
  name: string;
  /** Layer names of its stack, bottom first, ending with its own (from meta.json; `[name]` when unreadable). */
  stack: string[];
  /** Bytes recorded at commit (0 when unknown). */
  bytes: number;
  /** What made it (`<container> step i/n !Tag ...`), or a placeholder for a damaged layer. */
  made: string;
  /** Last use, ms since the epoch: `last_use`'s mtime, else meta's `created`, else the dir's mtime. */
  lastUse: number;
  /**
   * True when a build can no longer use it: meta.json missing, unreadable or of another
   * format, or a layer of its stack missing. Every cleaning removes such layers.
   */
  broken: boolean;
}

/** `<cacheDir>/.layers`: where the layer store lives on the host. Pure. */
export function layerStoreDir(cacheDir: string): string {
  return join(cacheDir, LAYER_STORE_ENTRY);
}

function mtime(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

function readMeta(dir: string): LayerMeta | undefined {
  try {
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as LayerMeta;
    return meta && typeof meta === 'object' ? meta : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Every entry of `<storeDir>/layers`, sorted by name (empty when the store does not exist).
 * A layer is `broken` as LayerInfo says.
 */
export function readLayers(storeDir: string): LayerInfo[] {
  const layersDir = join(storeDir, 'layers');
  let names: string[];
  try {
    names = readdirSync(layersDir).sort();
  } catch {
    return [];
  }
  const present = new Set(names);
  return names.map((name) => {
    const dir = join(layersDir, name);
    const meta = readMeta(dir);
    const valid = meta !== undefined && meta.format === LAYER_FORMAT && Array.isArray(meta.stack)
      && meta.stack[meta.stack.length - 1] === name && typeof meta.key === 'string' && meta.key.startsWith(name);
    const stack = valid ? meta.stack.map(String) : [name];
    const created = meta && typeof meta.created === 'string' ? Date.parse(meta.created) : NaN;
    return {
      name,
      stack,
      bytes: valid && Number.isFinite(meta.bytes) ? Math.max(0, meta.bytes) : 0,
      made: valid && typeof meta.made === 'string' ? meta.made : `damaged layer ${name}`,
      lastUse: mtime(join(dir, 'last_use')) ?? (Number.isFinite(created) ? created : mtime(dir) ?? 0),
      broken: !valid || stack.some((n) => !present.has(n)),
    };
  });
}

/** Sum of the layers' recorded bytes. Pure. */
export function totalBytes(layers: readonly Pick<LayerInfo, 'bytes'>[]): number {
  return layers.reduce((sum, l) => sum + l.bytes, 0);
}

/** One layer of a stack as an export needs it. */
export interface StackLayer {
  /** The 32-hex layer name. */
  name: string;
  /** Host path of its upper dir (`layers/<name>/diff`). */
  diff: string;
  /** What made it (meta.json `made`). */
  made: string;
}

/**
 * The stack of the layer with full chain key `key` in the store `storeDir`, bottom first,
 * ending with that layer: undefined unless that layer and every layer of its stack are in
 * the store with a valid meta.json of this format (readLayers' `broken` rule) and the
 * layer's recorded key is `key`. Reads only.
 */
export function readLayerStack(storeDir: string, key: string): StackLayer[] | undefined {
  const layersDir = join(storeDir, 'layers');
  const top = readMeta(join(layersDir, key.slice(0, 32)));
  if (!top || top.format !== LAYER_FORMAT || top.key !== key || !Array.isArray(top.stack)) return undefined;
  const stack: StackLayer[] = [];
  for (const name of top.stack) {
    if (typeof name !== 'string' || !/^[0-9a-f]{32}$/.test(name)) return undefined;
    const meta = readMeta(join(layersDir, name));
    if (!meta || meta.format !== LAYER_FORMAT || typeof meta.key !== 'string' || !meta.key.startsWith(name)) return undefined;
    stack.push({ name, diff: join(layersDir, name, 'diff'), made: typeof meta.made === 'string' ? meta.made : name });
  }
  return stack.length > 0 && stack[stack.length - 1]!.name === key.slice(0, 32) ? stack : undefined;
}
