/**
 * The host side's build output for one container build (src/builder/ensure-built.ts): the
 * build log `.tmp.<name>/build.log` (src/builder/build-log.ts), which the prepare phase
 * writes and the builder's log is appended to (run-builder.ts), and the progress renderer
 * for the prepare phase (src/builder/progress.ts) on stderr.
 */
import { isAbsolute, join, relative } from 'node:path';
import { useColor } from '../cli/colour.js';
import type { BuildLog } from '../steps/step.js';
import { VERSION_FILES } from '../storage/layout.js';
import { BuildLogFile, createStepLog } from './build-log.js';
import { createBuildProgress, type BuildProgress } from './progress.js';

/** What the terminal can show (BuildDeps.terminal); absent means plain lines. */
export interface TerminalInfo {
  /** stderr is a terminal that understands `\r` and erase-line (not TERM=dumb). */
  tty: boolean;
  /** Colours allowed (src/cli/colour.ts useColor). */
  colour: boolean;
  /** The terminal's width, when known. */
  columns?(): number | undefined;
}

/** The terminal facts of our stderr under `env` (for BuildDeps.terminal). */
export function stderrTerminal(env: NodeJS.ProcessEnv = process.env): TerminalInfo {
  return {
    tty: Boolean(process.stderr.isTTY) && env.TERM !== 'dumb',
    colour: useColor(process.stderr, env),
    columns: () => process.stderr.columns,
  };
}

/** `path` relative to `projectRoot` when inside it (as messages show paths), else as is. */
export function displayPath(path: string, projectRoot: string): string {
  const rel = relative(projectRoot, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** The host's output of one build (see openHostOutput). */
export interface HostOutput {
  /** BuildLog for the prepare phase (PrepareContext.log). */
  log: BuildLog;
  progress: BuildProgress;
  /** The build log as shown to the user (for the builder's failure message). */
  logPath: string;
  /** Stop rendering and close the log file (before the builder appends to it). */
  close(): void;
}

/**
 * Open `<buildDir>/build.log` (appending) and the prepare phase's progress for a build at
 * `verbosity`, writing to `write` (stderr); `terminal` absent means plain lines.
 */
export function openHostOutput(input: {
  buildDir: string; projectRoot: string; verbosity: number; terminal?: TerminalInfo;
  write(text: string): void; now(): number;
}): HostOutput {
  const file = join(input.buildDir, VERSION_FILES.buildLog);
  const logPath = displayPath(file, input.projectRoot);
  const logFile = new BuildLogFile(file, logPath);
  const progress = createBuildProgress({
    verbosity: input.verbosity,
    tty: input.terminal?.tty ?? false,
    colour: input.terminal?.colour ?? false,
    write: input.write,
    now: input.now,
    ...(input.terminal?.columns ? { columns: input.terminal.columns } : {}),
    log: logFile,
  });
  const decoder = new TextDecoder();
  const echo = (chunk: string | Uint8Array) => input.write(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
  return {
    log: createStepLog({ verbosity: input.verbosity, progress, log: logFile, echo }),
    progress,
    logPath,
    close() {
      progress.close();
      logFile.close();
    },
  };
}
