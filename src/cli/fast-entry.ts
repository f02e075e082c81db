/**
 * Entry of dist/vagga.cjs (scripts/bundle.mjs), the fast way to start vagga: a CommonJS
 * script (node starts CommonJS entries without initialising its ES module loader, about
 * 15 ms less per run on node 20). First the warm path (./warm-entry.ts): an invocation whose
 * launch was cached starts its sandbox from this small bundle alone. Otherwise it loads the
 * whole CLI, bundled as CommonJS in dist/vagga-main.cjs next to it, through the V8 code
 * cache (./code-cache.ts), and lets it record the launch for next time. Behaviour is that of
 * dist/vagga.mjs (same src/cli/main.ts); only start-up differs.
 */
import { dirname, join } from 'node:path';
import { runBundle } from './code-cache.js';
import { warmLaunch } from './warm-entry.js';
import { LAUNCH_CAPTURE } from '../runtime/launch-cache.js';
import { enterCapsuleHostCwd } from '../runtime/capsule-cwd.js';

/** File name of the CommonJS bundle of src/cli/main.ts, next to this entry. */
export const MAIN_BUNDLE = 'vagga-main.cjs';

// `__filename` exists because this file is only ever run as CommonJS (the bundle).
const self = typeof __filename === 'string' ? __filename : process.argv[1] ?? '.';
const main = join(dirname(self), MAIN_BUNDLE);
enterCapsuleHostCwd();
const warm = warmLaunch(process.argv.slice(2));
if (warm) {
  warm.then((status) => {
    process.exitCode = status;
  });
} else {
  // The full path may record this launch (main.ts enables it): vagga's own files are in its key.
  (globalThis as Record<symbol, unknown>)[LAUNCH_CAPTURE] = [self, main];
  runBundle(main);
}
