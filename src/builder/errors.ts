/**
 * Build failures. Every failed build ends the run with exit code 121 (vagga-inventory.md
 * §2.10: "build failed (any builder error, hash mismatch, ...)").
 */
import { VaggaError } from '../errors/vagga-error.js';

function showArgv(argv: readonly string[]): string {
  const shown = argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
  return shown.length > 200 ? `${shown.slice(0, 197)}...` : shown;
}

/**
 * A command run by a setup step (BuildContext.run) ended unsuccessfully: `status` is the
 * exit code, or 128+N when killed by signal N.
 */
export class StepFailedError extends VaggaError {
  readonly argv: readonly string[];
  readonly status: number;
  constructor(argv: readonly string[], status: number, signal?: string) {
    const how = signal ? `was killed by ${signal} (status ${status})` : `exited with code ${status}`;
    super(`Command \`${showArgv(argv)}\` ${how}`, {
      code: 'build.step-failed',
      hint: 'See the command output above.',
    });
    this.name = 'StepFailedError';
    this.argv = argv;
    this.status = status;
  }
}

/** A container build failed; `message` names the container, the step and what happened. */
export class BuildFailedError extends VaggaError {
  constructor(message: string, hint: string) {
    super(message, { code: 'build.failed', hint });
    this.name = 'BuildFailedError';
  }
}
