/**
 * A version's `last_use` file (vagga-inventory.md §2.2: touched on every use of the
 * version; `_clean --unused --at-least` and auto-clean pick versions by its mtime).
 */
import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VERSION_FILES } from './layout.js';

/**
 * Set `<dir>/last_use` to now, creating it (empty) when missing; `dir` is a version dir
 * (`.roots/<name>.<8hex>`). Best effort: errors (read-only storage, a dir gone meanwhile)
 * are ignored, a run is never failed for its use mark.
 */
export function touchLastUse(dir: string): void {
  const file = join(dir, VERSION_FILES.lastUse);
  const now = new Date();
  try {
    utimesSync(file, now, now);
  } catch {
    try {
      writeFileSync(file, '');
    } catch {
      // best effort (see above)
    }
  }
}
