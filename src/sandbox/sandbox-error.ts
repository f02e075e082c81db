/**
 * Failures of the sandbox itself (as opposed to the command run in it), exit code 124 like
 * Vagga's wrapper-level errors (Vagga's EXIT_CODES.rst, vagga-inventory.md §2.10).
 */
import { ExitCode, VaggaError } from '../errors/vagga-error.js';

/**
 * bwrap (or the launcher around it) failed before the command started: a mount could not
 * be made, a mount point is missing on a read-only root, the init could not be executed...
 * `detail` holds bwrap's own message (lines starting with `bwrap:`) when it is known.
 */
export class SandboxError extends VaggaError {
  readonly detail?: string;
  constructor(message: string, detail?: string, hint?: string) {
    super(detail ? `${message}: ${detail}` : message, { exitCode: ExitCode.sandbox, hint });
    this.name = 'SandboxError';
    this.detail = detail;
  }
}
