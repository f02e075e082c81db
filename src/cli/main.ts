/**
 * The `vagga` executable's entry point (bundled by scripts/bundle.mjs into dist/vagga.mjs).
 * Its only side effect: run the CLI with this process's arguments and set the exit status
 * (process.exitCode, so pending output is flushed before exit). Everything else is
 * imported lazily from ./cli.ts to keep start-up fast.
 */
import { runCli } from './cli.js';

runCli(process.argv.slice(2)).then((status) => {
  process.exitCode = status;
});
