/**
 * `vagga _hardlink [--global]` (inventory §1.8, §4): hard-link identical files across the
 * built versions of this project's containers (every `.roots/<name>.<8hex>` with an index,
 * src/storage/index-format.ts), inside a user namespace with the "max" uid map (§2.5) so
 * files owned by subordinate ids can be linked (src/storage/index-hardlink.ts). Prints
 * `Found and linked <count> (<size>) identical files`. `--global` (all projects of the
 * storage dir) is not supported yet.
 */
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { VaggaError } from '../../errors/vagga-error.js';
import type { BuiltinCall } from '../builtin-spec.js';
import type { CliContext } from '../context.js';
import type { IndexSandboxRunner } from '../../storage/index-sandbox.js';
import type { HardlinkResult } from '../../storage/index-hardlink.js';

/** Exit 0 done; 121 the helper failed or --global. `runner` replaces the sandbox (tests). */
export async function run(ctx: CliContext, parsed: BuiltinCall, runner?: IndexSandboxRunner): Promise<number> {
  if (parsed.values.global) {
    throw new VaggaError('vagga _hardlink --global is not supported yet', {
      code: 'storage.not-supported',
      hint: 'Run `vagga _hardlink` in each project instead.',
    });
  }
  const { config, settings } = await ctx.project();
  const [{ projectLayout, parseVersionDirName }, { INDEX_FILE, formatSize }] = await Promise.all([
    import('../../storage/layout.js'),
    import('../../storage/index-format.js'),
  ]);
  const layout = projectLayout(config.projectRoot, settings);
  let rootsDir: string | undefined;
  let dirs: string[] = [];
  if (existsSync(layout.rootsDir)) {
    rootsDir = realpathSync(layout.rootsDir);
    dirs = readdirSync(rootsDir)
      .filter((e) => parseVersionDirName(e) && existsSync(join(rootsDir!, e, 'root')) && existsSync(join(rootsDir!, e, INDEX_FILE)))
      .sort()
      .map((e) => join(rootsDir!, e));
  }
  let result: HardlinkResult = { count: 0, bytes: 0, failures: [] };
  if (rootsDir && dirs.length > 0) {
    const [{ runIndexHelper }, { maxIdMapping }] = await Promise.all([
      import('../../storage/index-sandbox.js'),
      import('../../sandbox/idmap.js'),
    ]);
    result = await runIndexHelper(
      (out) => ['hardlink', `${out}/result.json`, ...dirs],
      [{ source: rootsDir, dest: rootsDir, readOnly: false }],
      maxIdMapping(),
      (out) => JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as HardlinkResult,
      runner,
      ctx.env,
    );
  }
  for (const f of result.failures) ctx.warn(`Warning: could not link ${f}\n`);
  ctx.out(`Found and linked ${result.count} (${formatSize(result.bytes)}) identical files\n`);
  return 0;
}
