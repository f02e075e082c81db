/**
 * Entry of dist/vagga.cjs (scripts/bundle.mjs), the fast way to start vagga: a CommonJS
 * script (node starts CommonJS entries without initialising its ES module loader, about
 * 15 ms less per run on node 20) that loads the whole CLI, bundled as CommonJS in
 * dist/vagga-main.cjs next to it, through the V8 code cache (./code-cache.ts). Behaviour is
 * that of dist/vagga.mjs (same src/cli/main.ts); only start-up differs.
 */
import { dirname, join } from 'node:path';
import { runBundle } from './code-cache.js';

/** File name of the CommonJS bundle of src/cli/main.ts, next to this entry. */
export const MAIN_BUNDLE = 'vagga-main.cjs';

// `__filename` exists because this file is only ever run as CommonJS (the bundle).
const here = typeof __filename === 'string' ? dirname(__filename) : dirname(process.argv[1] ?? '.');
runBundle(join(here, MAIN_BUNDLE));
