/**
 * `vagga _build NAME [--force]` (inventory §1.8): build a container (and the containers it
 * depends on). Build progress goes to stderr; nothing is printed on stdout.
 */
import { ExitCode, VaggaError } from '../../errors/vagga-error.js';
import { prepareContainers } from '../../builder/prepare-containers.js';
import { parseBuiltinArgs } from '../builtin-args.js';
import { projectFor, type CliContext } from '../context.js';

const USAGE = `Usage: vagga _build [options] CONTAINER

Build a container (and the containers it is built from).

Options:
  --force     Rebuild even if the current version is already built
  -h, --help  This help`;

/** Exit 0 when built; 121 when the build fails or the container is unknown; 122 bad args. */
export async function run(ctx: CliContext, args: string[]): Promise<number> {
  const parsed = parseBuiltinArgs(ctx, USAGE, args, [{ names: ['--force'], key: 'force', kind: 'flag' }], { stopAtPositional: false });
  if (!parsed) return 0;
  if (parsed.positionals.length !== 1) {
    throw new VaggaError(parsed.positionals.length === 0 ? 'Container name expected' : `Unexpected argument ${JSON.stringify(parsed.positionals[1])}`, {
      exitCode: ExitCode.args,
      hint: USAGE.split('\n')[0],
    });
  }
  const project = await projectFor(ctx, parsed.positionals[0]);
  await prepareContainers(project, [parsed.positionals[0]], {
    buildMode: 'normal',
    verbosity: ctx.globals.verbosity,
    force: Boolean(parsed.values.force),
  });
  return 0;
}
