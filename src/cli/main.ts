/**
 * The `vagga` executable's entry point (bundled by scripts/bundle.mjs into dist/vagga.mjs).
 * Its side effects: note the descriptors the caller passed, run the CLI with this process's
 * arguments and set the exit status (process.exitCode, so pending output is flushed before
 * exit). Everything else is
 * imported lazily from ./cli.ts to keep start-up fast.
 */
import { snapshotCallerFds } from '../sandbox/caller-fds.js';
import { runCli } from './cli.js';

// Before vagga opens anything: which descriptors its caller passed (sandbox/caller-fds.ts).
snapshotCallerFds();
runCli(process.argv.slice(2)).then((status) => {
  process.exitCode = status;
});
