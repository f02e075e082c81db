/**
 * Running a language package manager (npm, pip, gem, bundle, composer, yarn) inside the root
 * being built, with a failure message that says what to configure. The package indexes these
 * tools use (the npm registry, PyPI, RubyGems, Packagist) may be unreachable from the
 * build machine; the tool's own output above explains the details, and the hint names the
 * vagga setting or step option that points the tool elsewhere.
 */
import { VaggaError } from '../../errors/vagga-error.js';
import { StepFailedError } from '../../builder/errors.js';
import type { MountPlan } from '../../mounts/types.js';
import type { BuildContext } from '../step.js';

/** One package-manager invocation: argv plus what to say when it fails. */
export interface ToolRun {
  argv: string[];
  /** Extra environment for this command only (on top of the build env). */
  env?: Record<string, string>;
  /** Working directory inside the container (default /work). */
  cwd?: string;
  /** Mounts added for this command (BuildContext.run `extraMounts`). */
  extraMounts?: MountPlan;
  /** The step, e.g. `!Py3Install`, for the error message. */
  what: string;
  /** What to check or configure when the command fails (VaggaError hint). */
  advice: string;
}

/**
 * Run `run.argv` through BuildContext.run. A non-zero exit becomes VaggaError (121):
 * `<what>: <command> exited with code N` with `run.advice` as the hint; other errors pass.
 */
export async function runTool(ctx: Pick<BuildContext, 'run'>, run: ToolRun): Promise<void> {
  try {
    await ctx.run(run.argv, {
      ...(run.env ? { env: run.env } : {}),
      ...(run.cwd ? { cwd: run.cwd } : {}),
      ...(run.extraMounts ? { extraMounts: run.extraMounts } : {}),
    });
  } catch (err) {
    if (err instanceof StepFailedError) {
      throw new VaggaError(`${run.what}: ${err.message}`, { code: 'build.step-failed', hint: run.advice, cause: err });
    }
    throw err;
  }
}
