/**
 * Failures of the sandbox itself (as opposed to the command run in it), exit code 124 like
 * Vagga's wrapper-level errors (Vagga's EXIT_CODES.rst, vagga-inventory.md §2.10).
 */
import { VaggaError, type ErrorCode } from '../errors/vagga-error.js';

/**
 * bwrap (or the launcher around it) failed before the command started: a mount could not
 * be made, a mount point is missing on a read-only root, the init could not be executed...
 * `code` is a `sandbox.*` error code (src/errors/codes.ts); `detail` holds bwrap's own message
 * (lines starting with `bwrap:`) when it is known.
 */
export class SandboxError extends VaggaError {
  readonly detail?: string;
  constructor(code: ErrorCode & `sandbox.${string}`, message: string, detail?: string, hint?: string) {
    super(detail ? `${message}: ${detail}` : message, { code, hint });
    this.name = 'SandboxError';
    this.detail = detail;
  }
}
