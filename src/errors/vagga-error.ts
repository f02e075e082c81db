/**
 * Errors that end a vagga run, each carrying a stable error code; the code's row in
 * ERROR_CODES (./codes.ts) gives the exit status Vagga uses for it (Vagga's EXIT_CODES.rst,
 * summarised in shared/reference/vagga-inventory.md §2.10).
 * Only the CLI entry point (src/cli/main.ts) turns them into output and an exit status.
 */
import { ERROR_CODES, type ErrorCode } from './codes.js';

export { ExitCode } from './codes.js';
export type { ErrorCode } from './codes.js';

export interface VaggaErrorOptions {
  /** What failed, as a stable code; its ERROR_CODES row gives the exit status. */
  code: ErrorCode;
  /** One or more lines telling the user what to do about it. */
  hint?: string;
  cause?: unknown;
}

/**
 * Base class of every expected failure. `message` says what happened and where;
 * `hint` says what to do; `code` says what kind of failure it is (decide on it, never on
 * the message), and `exitCode` is the status from ERROR_CODES the run ends with.
 * Anything that is not a VaggaError is treated as a bug.
 */
export class VaggaError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  readonly hint?: string;
  constructor(message: string, opts: VaggaErrorOptions) {
    super(message, { cause: opts.cause });
    this.name = 'VaggaError';
    this.code = opts.code;
    this.exitCode = ERROR_CODES[opts.code].exit;
    this.hint = opts.hint;
  }
}

/** Position of a node in a YAML file: 1-based line and column. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

/**
 * A configuration problem (a `config.*` code, exit 126). Rendered as
 * `<file>:<line>:<col>: Validation Error: <message>` (Vagga's rust-quire format),
 * followed by `Decode error at <keyPath>: ...` when a key path is known.
 */
export class ConfigError extends VaggaError {
  readonly pos?: SourcePos;
  readonly keyPath?: string;
  readonly detail: string;
  /**
   * @param code which `config.*` error it is (src/errors/codes.ts)
   * @param decodeDetail wording for the `Decode error at` line when it differs from
   *   `detail` (Vagga prints ``missing field `run` `` there).
   */
  constructor(code: ErrorCode & `config.${string}`, detail: string, pos?: SourcePos, keyPath?: string, hint?: string, decodeDetail?: string) {
    const where = pos ? `${pos.file}:${pos.line}:${pos.col}: ` : '';
    const at = keyPath ? `\nDecode error at ${keyPath}: ${decodeDetail ?? detail}` : '';
    super(`${where}Validation Error: ${detail}${at}`, { code, hint });
    this.name = 'ConfigError';
    this.pos = pos;
    this.keyPath = keyPath;
    this.detail = detail;
  }
}

/** A missing host program; names the Debian package that provides it. */
export class MissingToolError extends VaggaError {
  constructor(tool: string, debianPackage: string, why: string) {
    super(`Required program \`${tool}\` was not found in PATH (${why}).`, {
      code: 'env.missing-tool',
      hint: `Install it with: sudo apt-get install ${debianPackage}`,
    });
    this.name = 'MissingToolError';
  }
}
