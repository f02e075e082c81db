/**
 * `vagga _build NAME [--force]` (inventory §1.8): build a container (and the containers it
 * depends on). Build progress goes to stderr; nothing is printed on stdout.
 */
import { prepareContainers } from '../../builder/prepare-containers.js';
import type { BuiltinCall } from '../builtin-spec.js';
import { projectFor, type CliContext } from '../context.js';

/** Exit 0 when built; 121 when the build fails or the container is unknown. */
export async function run(ctx: CliContext, parsed: BuiltinCall): Promise<number> {
  const name = parsed.positionals[0]!;
  const project = await projectFor(ctx, name);
  await prepareContainers(project, [name], {
    buildMode: 'normal',
    verbosity: ctx.globals.verbosity,
    force: Boolean(parsed.values.force),
  });
  return 0;
}
