/**
 * The warm path of `vagga CMD` and `vagga _run C ...` (issue 12): when the launch cache
 * (src/runtime/launch-cache.ts) holds a valid description for exactly this invocation, start
 * its sandbox right away — no YAML parser, schemas, step registry or CLI are loaded; this
 * module and the sandbox launcher (src/sandbox/bwrap.ts) are all of it. Behaviour is the full
 * path's: caller's fds passed at their numbers (caller-fds.ts), signals forwarded, SIGUSR1/2
 * never reaching node, the version marked in use, the command's exit status (128+N for
 * signal N) as vagga's, the `epilog` after a zero exit, and every guarantee of bwrap.ts
 * (no orphans when vagga is SIGKILLed, catatonit as pid 1).
 *
 * A failure before the sandbox exists (a tool gone, a spawn error) forgets the description
 * and falls back to the full path, which decides and explains everything again; a setup
 * failure reported by bwrap (no exit code) is explained like the full path does.
 */
import { startSandbox } from '../sandbox/bwrap.js';
import { snapshotCallerFds } from '../sandbox/caller-fds.js';
import { ignoreUserSignals } from '../sandbox/signals.js';
import { markInUse } from '../storage/in-use.js';
import { forgetLaunch, readLaunch } from '../runtime/launch-cache.js';
import { renderError, useColor } from './report-error.js';

/**
 * Start the cached launch for `argv` (vagga's arguments) when there is a valid one: resolves
 * with the exit status to use. Undefined when there is none (the caller runs the full path).
 * Call first thing, before anything opens a file (the caller's fds are noted here).
 */
export function warmLaunch(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> | undefined {
  if (argv.length === 0 || argv[0]!.startsWith('__')) return undefined;
  snapshotCallerFds();
  const cwd = process.cwd();
  const d = readLaunch(argv, cwd, env);
  if (!d) return undefined;
  ignoreUserSignals();
  const unmark = markInUse(d.rootfs);
  let done: Promise<{ status: number }>;
  try {
    done = startSandbox(d.spec).done;
  } catch {
    unmark();
    forgetLaunch(argv, cwd, env);
    return undefined;
  }
  return done.then(
    (r) => {
      unmark();
      if (r.status === 0 && d.epilog) process.stdout.write(d.epilog);
      return r.status;
    },
    (error: unknown) => {
      unmark();
      forgetLaunch(argv, cwd, env);
      const { text, exitCode } = renderError(error, useColor(process.stderr, env));
      process.stderr.write(text);
      return exitCode;
    },
  );
}
