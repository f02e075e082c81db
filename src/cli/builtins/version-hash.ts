/**
 * `vagga _version_hash [-s|--short] [--debug-versioning] NAME` (inventory §1.8, §4):
 * print the container's version hash (128 hex, or 8 with --short) on stdout. Options may
 * follow the name. Exit 29 when the version cannot be known before building.
 */
import { VaggaError } from '../../errors/vagga-error.js';
import type { BuiltinCall } from '../builtin-spec.js';
import { projectFor, type CliContext } from '../context.js';
import { containerNotFound } from '../../version/errors.js';

/** Exit 0; 29 version unknown before building; 121 unknown container. */
export async function run(ctx: CliContext, parsed: BuiltinCall): Promise<number> {
  const name = parsed.positionals[0]!;
  const { config, settings } = await projectFor(ctx, name);
  if (!Object.hasOwn(config.containers, name)) {
    throw containerNotFound(name, Object.keys(config.containers));
  }
  const trace = Boolean(parsed.values.debug || parsed.values.dump);
  const [{ containerVersion }, { STEP_DEFS }, { versionStorage }] = await Promise.all([
    import('../../version/container-version.js'), import('../../steps/registry.js'), import('../../storage/layout.js'),
  ]);
  const version = containerVersion(STEP_DEFS, config, name, { trace, ...versionStorage(config.projectRoot, settings, ctx.env) });
  if (trace && version.trace) ctx.err(version.trace.map((l) => `${l}\n`).join(''));
  ctx.out(`${parsed.values.short ? version.hash.slice(0, 8) : version.hash}\n`);
  return 0;
}
