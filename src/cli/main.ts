/**
 * The `vagga` executable's entry point (bundled by scripts/bundle.mjs into dist/vagga.mjs).
 * Its side effects: note the descriptors the caller passed, run the CLI with this process's
 * arguments and set the exit status (process.exitCode, so pending output is flushed before
 * exit). Everything else is
 * imported lazily from ./cli.ts to keep start-up fast.
 */
import { snapshotCallerFds } from '../sandbox/caller-fds.js';
import { runCli } from './cli.js';
import { enableLaunchCapture, LAUNCH_CAPTURE } from '../runtime/launch-cache.js';
import { enterCapsuleHostCwd } from '../runtime/capsule-cwd.js';

// Before vagga opens anything: which descriptors its caller passed (sandbox/caller-fds.ts).
snapshotCallerFds();
// Inside a capsule: work from the project's host path (runtime/capsule-cwd.ts); idempotent.
enterCapsuleHostCwd();
// Started through dist/vagga.cjs, whose warm path missed: record this launch (launch-cache.ts).
const tools = (globalThis as Record<symbol, unknown>)[LAUNCH_CAPTURE];
if (Array.isArray(tools)) enableLaunchCapture(process.argv.slice(2), process.env, tools as string[]);
runCli(process.argv.slice(2)).then((status) => {
  process.exitCode = status;
});
