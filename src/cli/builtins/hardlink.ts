/**
 * `vagga _hardlink [--global]` (inventory §1.8, §4): hard-link identical files at the same
 * path of different built versions (never two files of one container) of this project's
 * containers, or with `--global` of every project in the storage dir (the `storage-dir`
 * setting is required then, as in Vagga). Versions need an index
 * (src/storage/index-format.ts). The linking runs inside a user namespace with the "max" uid
 * map (§2.5) so files owned by subordinate ids can be linked (src/storage/index-hardlink.ts);
 * the helper sees only the real `.roots` dir (or storage dir) it works on
 * (src/storage/link-identical.ts). Prints `Found and linked <count> (<size>) identical files`.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { VaggaError } from '../../errors/vagga-error.js';
import type { BuiltinCall } from '../builtin-spec.js';
import type { CliContext } from '../context.js';
import type { IndexBind, IndexSandboxRunner } from '../../storage/index-sandbox.js';
import type { HardlinkResult } from '../../storage/index-hardlink.js';

/** Exit 0 done; 121 the helper failed or `--global` without storage-dir. `runner` replaces the sandbox (tests). */
export async function run(ctx: CliContext, parsed: BuiltinCall, runner?: IndexSandboxRunner): Promise<number> {
  const { config, settings } = await ctx.project();
  const [{ projectLayout }, { formatSize }, link] = await Promise.all([
    import('../../storage/layout.js'),
    import('../../storage/index-format.js'),
    import('../../storage/link-identical.js'),
  ]);
  let dirs: string[];
  let binds: IndexBind[];
  if (parsed.values.global) {
    if (!settings.storageDir) {
      throw new VaggaError('The --global flag is only meaningful if you configure storage-dir in settings', {
        code: 'storage.no-storage-dir',
        hint: 'Set storage-dir in ~/.vagga.yaml (or VAGGA_SETTINGS), or run `vagga _hardlink` in each project.',
      });
    }
    let storageReal: string | undefined;
    try { storageReal = realpathSync(settings.storageDir); } catch { /* no storage dir yet: nothing to link */ }
    dirs = storageReal ? link.hardlinkOrder(link.storageVersions(storageReal)) : [];
    binds = storageReal ? [{ source: storageReal, dest: storageReal, readOnly: false }] : [];
  } else {
    const layout = projectLayout(config.projectRoot, settings);
    const versions = link.indexedVersions(layout.rootsDir);
    dirs = link.hardlinkOrder(versions);
    binds = versions.length > 0 ? link.linkBinds(versions[0]!.project + '/.roots', undefined) : [];
  }
  let result: HardlinkResult = { count: 0, bytes: 0, failures: [] };
  if (dirs.length > 0) {
    const [{ runIndexHelper }, { maxIdMapping }] = await Promise.all([
      import('../../storage/index-sandbox.js'),
      import('../../sandbox/idmap.js'),
    ]);
    result = await runIndexHelper(
      (out) => ['hardlink', `${out}/result.json`, ...dirs],
      binds,
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
