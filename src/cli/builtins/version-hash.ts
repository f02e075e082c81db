/**
 * `vagga _version_hash [-s|--short] [--debug-versioning] NAME` (inventory §1.8, §4):
 * print the container's version hash (128 hex, or 8 with --short) on stdout. Options may
 * follow the name. Exit 29 when the version cannot be known before building.
 */
import { VaggaError } from '../../errors/vagga-error.js';
import { parseBuiltinArgs } from '../builtin-args.js';
import { projectFor, type CliContext } from '../context.js';

const USAGE = `Usage: vagga _version_hash [options] CONTAINER

Print the version hash of a container (what its root directory name is derived from).

Options:
  -s, --short           Print only the first 8 hex digits
  --debug-versioning    Print what was hashed (stderr)
  --dump-version-data   Same as --debug-versioning
  -h, --help            This help`;

/** Exit 0; 29 version unknown before building; 121 unknown container; 122 bad args. */
export async function run(ctx: CliContext, args: string[]): Promise<number> {
  const parsed = parseBuiltinArgs(ctx, USAGE, args, [
    { names: ['-s', '--short'], key: 'short', kind: 'flag' },
    { names: ['--debug-versioning'], key: 'debug', kind: 'flag' },
    { names: ['--dump-version-data'], key: 'dump', kind: 'flag' },
  ], { stopAtPositional: false });
  if (!parsed) return 0;
  if (parsed.positionals.length !== 1) {
    throw new VaggaError(parsed.positionals.length === 0 ? 'Container name expected' : `Unexpected argument ${JSON.stringify(parsed.positionals[1])}`, {
      code: 'args.bad-positional',
      hint: USAGE.split('\n')[0],
    });
  }
  const name = parsed.positionals[0];
  const { config } = await projectFor(ctx, name);
  if (!Object.hasOwn(config.containers, name)) {
    throw new VaggaError(`Container ${JSON.stringify(name)} not found`, { code: 'container.not-found' });
  }
  const trace = Boolean(parsed.values.debug || parsed.values.dump);
  const [{ containerVersion }, { STEP_DEFS }] = await Promise.all([import('../../version/container-version.js'), import('../../steps/registry.js')]);
  const version = containerVersion(STEP_DEFS, config, name, { trace });
  if (trace && version.trace) ctx.err(version.trace.map((l) => `${l}\n`).join(''));
  ctx.out(`${parsed.values.short ? version.hash.slice(0, 8) : version.hash}\n`);
  return 0;
}
