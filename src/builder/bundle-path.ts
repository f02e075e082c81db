/**
 * Where the running vagga bundle is, so the builder sandbox can run it again as
 * `<runtime> /vagga/bin/<file> __builder__ ...` (the bundle's directory is bound at
 * /vagga/bin; lazy chunks next to it resolve from there).
 */
import { realpathSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { VaggaError } from '../errors/vagga-error.js';

export interface BundleLocation {
  /** Host directory holding the bundle (bound at /vagga/bin). */
  dir: string;
  /** File name of the entry script inside `dir`, e.g. `vagga.mjs`. */
  file: string;
  /** Absolute path of the JavaScript runtime (node or bun) running vagga. */
  runtime: string;
}

/**
 * Locate the bundle: `$VAGGA_BUNDLE` (path of vagga.mjs) when set, else the script this
 * process runs (process.argv[1], symlinks resolved). Throws VaggaError (121) when vagga runs
 * from TypeScript sources (e.g. through tsx): the builder needs the bundle.
 */
export function bundleLocation(env: NodeJS.ProcessEnv = process.env, script: string | undefined = process.argv[1]): BundleLocation {
  const candidate = env.VAGGA_BUNDLE || script;
  if (!candidate || /\.[cm]?ts$/.test(candidate)) {
    throw new VaggaError('Building containers needs the bundled vagga (dist/vagga.mjs), but vagga runs from sources', {
      code: 'env.no-bundle',
      hint: 'Run `npm run build` and use dist/vagga.mjs, or set VAGGA_BUNDLE=/path/to/dist/vagga.mjs.',
    });
  }
  const real = realpathSync(candidate);
  return { dir: dirname(real), file: basename(real), runtime: realpathSync(process.execPath) };
}
