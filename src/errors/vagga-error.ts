/**
 * Errors that end a vagga run, each carrying the exit code Vagga uses for it
 * (Vagga's EXIT_CODES.rst, summarised in shared/reference/vagga-inventory.md §2.10).
 * Only the CLI entry point (src/cli/main.ts) turns them into output and an exit status.
 */

/** Exit codes that are part of Vagga's command-line contract. */
export const ExitCode = {
  ok: 0,
  /** `_version_hash`: the version cannot be computed before building. */
  versionUnknown: 29,
  /** Launcher-level failure: unknown command, build failed, uid map too small. */
  launcher: 121,
  /** Command-line argument error. */
  args: 122,
  /** Failure while preparing or running the sandbox (mounts, command not found). */
  sandbox: 124,
  /** Configuration not found, unparsable or invalid. */
  config: 126,
  /** No command given (the list is printed), or no such symlinked command. */
  noCommand: 127,
} as const;

export interface VaggaErrorOptions {
  /** Process exit status to use when this error ends the run. */
  exitCode: number;
  /** One or more lines telling the user what to do about it. */
  hint?: string;
  cause?: unknown;
}

/**
 * Base class of every expected failure. `message` says what happened and where;
 * `hint` says what to do. Anything that is not a VaggaError is treated as a bug.
 */
export class VaggaError extends Error {
  readonly exitCode: number;
  readonly hint?: string;
  constructor(message: string, opts: VaggaErrorOptions) {
    super(message, { cause: opts.cause });
    this.name = 'VaggaError';
    this.exitCode = opts.exitCode;
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
 * A configuration problem (exit 126). Rendered as
 * `<file>:<line>:<col>: Validation Error: <message>` (Vagga's rust-quire format),
 * followed by `Decode error at <keyPath>: ...` when a key path is known.
 */
export class ConfigError extends VaggaError {
  readonly pos?: SourcePos;
  readonly keyPath?: string;
  readonly detail: string;
  /**
   * @param decodeDetail wording for the `Decode error at` line when it differs from
   *   `detail` (Vagga prints ``missing field `run` `` there).
   */
  constructor(detail: string, pos?: SourcePos, keyPath?: string, hint?: string, decodeDetail?: string) {
    const where = pos ? `${pos.file}:${pos.line}:${pos.col}: ` : '';
    const at = keyPath ? `\nDecode error at ${keyPath}: ${decodeDetail ?? detail}` : '';
    super(`${where}Validation Error: ${detail}${at}`, { exitCode: ExitCode.config, hint });
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
      exitCode: ExitCode.launcher,
      hint: `Install it with: sudo apt-get install ${debianPackage}`,
    });
    this.name = 'MissingToolError';
  }
}
