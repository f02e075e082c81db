/**
 * `vagga _build NAME [--force] [--no-cache] [--explain]` (inventory §1.8): build a container
 * (and the containers it depends on). Build progress goes to stderr; nothing is printed on
 * stdout. `--no-cache` rebuilds the container running every step (issue 9); `--explain`
 * builds nothing and prints on stdout how the current steps compare with the built version.
 */
import { prepareContainers } from '../../builder/prepare-containers.js';
import type { BuiltinCall } from '../builtin-spec.js';
import { projectFor, type CliContext } from '../context.js';

/** Exit 0 when built; 121 when the build fails or the container is unknown. */
export async function run(ctx: CliContext, parsed: BuiltinCall): Promise<number> {
  const name = parsed.positionals[0]!;
  const project = await projectFor(ctx, name);
  if (parsed.values.explain) {
    const { explainBuild } = await import('../../builder/explain-build.js');
    ctx.out(await explainBuild(project.config, project.settings, name));
    return 0;
  }
  const noCache = Boolean(parsed.values.noCache);
  await prepareContainers(project, [name], {
    buildMode: 'normal',
    verbosity: ctx.globals.verbosity,
    force: Boolean(parsed.values.force) || noCache,
    noCache,
    noImageDownload: ctx.globals.noImageDownload,
  });
  return 0;
}
