/**
 * `vagga _verify CONTAINER` (inventory §1.8, §4): compare the container's current root with
 * the index written when it was built (`.roots/<name>.<8hex>/index.txt`,
 * src/storage/index-format.ts). The root is re-walked inside a user namespace with the
 * container's own uid map (so owners read the same as at build time) by `vagga __index__`.
 * Prints `Checking container: "<root>"`, then `Ok` (exit 0) or `Container is corrupted` with
 * `Missing paths:`, `Extra paths:`, `Corrupted paths:` sections (exit 1).
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { VaggaError } from '../../errors/vagga-error.js';
import type { BuiltinCall } from '../builtin-spec.js';
import { projectFor, type CliContext } from '../context.js';
import type { Config, Settings } from '../../config/model.js';
import type { IndexSandboxRunner } from '../../storage/index-sandbox.js';
import { containerNotFound } from '../../version/errors.js';

/** Exit 0 Ok, 1 corrupted, 121 unknown/unbuilt container or no index. `runner` replaces the sandbox (tests). */
export async function run(ctx: CliContext, parsed: BuiltinCall, runner?: IndexSandboxRunner): Promise<number> {
  const name = parsed.positionals[0]!;
  const { config, settings } = await projectFor(ctx, name);
  const container = config.containers[name];
  if (!container || !Object.hasOwn(config.containers, name)) {
    throw containerNotFound(name, Object.keys(config.containers));
  }
  const dir = await currentVersionDir(config, settings, name);
  const { INDEX_FILE, parseIndex, compareIndexes, formatVerifyReport, diffIsEmpty } = await import('../../storage/index-format.js');
  const indexPath = join(dir, INDEX_FILE);
  if (!existsSync(indexPath)) {
    throw new VaggaError(`Container ${JSON.stringify(name)} has no index (${indexPath})`, {
      code: 'container.no-index',
      hint: `It was built by a vagga that did not write indexes; rebuild it with \`vagga _build --force ${name}\`.`,
    });
  }
  const expected = parseIndex(readFileSync(indexPath, 'utf8'));
  const root = join(dir, 'root');
  ctx.out(`Checking container: ${JSON.stringify(root)}\n`);
  const [{ runIndexHelper }, { idMappingFor }] = await Promise.all([
    import('../../storage/index-sandbox.js'),
    import('../../sandbox/idmap.js'),
  ]);
  const inside = '/vagga/root';
  const actual = await runIndexHelper(
    (out) => ['walk', inside, `${out}/index.txt`],
    [{ source: realpathSync(root), dest: inside, readOnly: true }],
    idMappingFor(container.uids, container.gids),
    (out) => parseIndex(readFileSync(join(out, 'index.txt'), 'utf8')),
    runner,
    ctx.env,
  );
  const diff = compareIndexes(expected, actual);
  ctx.out(formatVerifyReport(diff));
  return diffIsEmpty(diff) ? 0 : 1;
}

/**
 * The version dir to check: the one the current config hashes to when it is built, else
 * the one `.vagga/<name>` points to. Throws VaggaError (121) when neither exists.
 */
async function currentVersionDir(config: Config, settings: Settings, name: string): Promise<string> {
  const { cacheDirPath, projectLayout, versionDir } = await import('../../storage/layout.js');
  const { linkedVersionDir } = await import('../../storage/publish.js');
  const layout = projectLayout(config.projectRoot, settings);
  try {
    const [{ containerVersion }, { STEP_DEFS }] = await Promise.all([import('../../version/container-version.js'), import('../../steps/registry.js')]);
    const dir = versionDir(layout, name, containerVersion(STEP_DEFS, config, name, { rootsDir: layout.rootsDir, cacheDir: cacheDirPath(settings) }).hash);
    if (existsSync(join(dir, 'root'))) return dir;
  } catch {
    // Version unknown before building (e.g. a missing !Depends path): use the link below.
  }
  const linked = await linkedVersionDir(layout, name);
  if (linked && existsSync(join(linked, 'root'))) return linked;
  throw new VaggaError(`Container ${JSON.stringify(name)} is not built`, {
    code: 'container.not-built',
    hint: `Build it with \`vagga _build ${name}\`.`,
  });
}
