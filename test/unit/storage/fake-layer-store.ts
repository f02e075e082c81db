/** Test helper: layers of a fake build-cache store (src/builder/layer-store.ts layout) on disk. */
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAYER_FORMAT } from '../../../src/builder/layer-plan.js';

/**
 * Add layer `name` (32 hex) on top of `below` to the store at `store`: `diff/file`,
 * `meta.json` recording `bytes` and `made`, and `last_use` dated `lastUse` (ms).
 */
export function addLayer(store: string, name: string, below: string[], bytes: number, lastUse: number, made = `bb step ${name}`): void {
  const dir = join(store, 'layers', name);
  mkdirSync(join(dir, 'diff'), { recursive: true });
  writeFileSync(join(dir, 'diff', 'file'), name);
  const meta = { format: LAYER_FORMAT, key: `${name}${'0'.repeat(96)}`, stack: [...below, name], state: '{}', bytes, created: new Date(lastUse).toISOString(), made };
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
  writeFileSync(join(dir, 'last_use'), '');
  utimesSync(join(dir, 'last_use'), new Date(lastUse), new Date(lastUse));
}
