/**
 * The build log: the raw output of the programs a build runs (apt, dpkg, mmdebstrap, `!Sh`
 * scripts, npm, pip...) and the build's messages, kept in a file instead of the terminal
 * (issue 9, "readable build output"). Each process that builds writes its own: the host's
 * prepare phase into `.tmp.<name>/build.log`, the builder into `<scratch>/build.log`, which
 * the host appends to the former (run-builder.ts); the file is published with the version
 * (`.roots/<name>.<8hex>/build.log`, storage/layout.ts VERSION_FILES) and stays in a failed
 * `.tmp.<name>`. Lines are stored as a terminal would show them (output-status.ts
 * cleanLine: no carriage-return progress, no escape sequences); each step starts a section
 * `==> Step 3/6 !Install [python3]`.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { BuildLog, OutputSource } from '../steps/step.js';
import { cleanLine, OutputStatus } from './output-status.js';
import type { BuildProgress, ProgressLog } from './progress.js';

/** How many recent lines a log keeps in memory for a failed step's tail. */
const KEEP_LINES = 200;

/**
 * An append-only build log file. Writes are synchronous (the file is written in the order
 * output arrives and is complete when the process exits); a write error (e.g. a full disk)
 * stops logging to the file but never fails the build. `path` is the display path shown
 * to the user (ProgressLog), `file` the path written.
 */
export class BuildLogFile implements ProgressLog {
  private fd: number | undefined;
  /** The incomplete last line of each stream, and its UTF-8 decoder (a character may span chunks). */
  private readonly streams = new Map<OutputSource, { partial: string; decoder: TextDecoder }>();
  private recent: string[] = [];
  /** Called with each complete output line (cleaned), e.g. to derive the progress status. */
  onLine?: (line: string) => void;

  constructor(readonly file: string, readonly path?: string) {
    try {
      this.fd = openSync(file, 'a', 0o644);
    } catch {
      this.fd = undefined;
    }
  }

  private append(text: string): void {
    if (this.fd === undefined) return;
    try {
      writeSync(this.fd, text);
    } catch {
      this.fd = undefined;
    }
  }

  private keep(line: string): void {
    this.recent.push(line);
    if (this.recent.length > KEEP_LINES) this.recent.splice(0, this.recent.length - KEEP_LINES);
  }

  /**
   * Raw program output from stream `source`: split into lines, cleaned, stored; the last
   * incomplete line waits for its end (per stream: stdout and stderr arrive separately, and
   * a line of one is never cut by the other).
   */
  output(chunk: string | Uint8Array, source: OutputSource = 'stdout'): void {
    let stream = this.streams.get(source);
    if (!stream) this.streams.set(source, stream = { partial: '', decoder: new TextDecoder() });
    const text = stream.partial + (typeof chunk === 'string' ? chunk : stream.decoder.decode(chunk, { stream: true }));
    const lines = text.split('\n');
    stream.partial = lines.pop()!;
    for (const raw of lines) this.addLine(cleanLine(raw));
  }

  private addLine(line: string): void {
    this.append(`${line}\n`);
    this.keep(line);
    this.onLine?.(line);
  }

  /** Write out the pending incomplete output lines. */
  flush(): void {
    for (const stream of this.streams.values()) {
      if (stream.partial === '') continue;
      const line = cleanLine(stream.partial);
      stream.partial = '';
      this.addLine(line);
    }
  }

  /** A message of the build itself (one or more lines), stored as it is. */
  line(text: string): void {
    this.flush();
    for (const l of text.split('\n')) {
      this.append(`${l}\n`);
      this.keep(l);
    }
  }

  section(title: string): void {
    this.flush();
    this.append(`==> ${title}\n`);
    this.recent = [];
  }

  tail(lines: number): string[] {
    this.flush();
    return this.recent.slice(-lines);
  }

  /** Flush and close the file (later writes are dropped). */
  close(): void {
    this.flush();
    if (this.fd !== undefined) {
      try { closeSync(this.fd); } catch { /* already gone */ }
      this.fd = undefined;
    }
  }
}

/** What createStepLog ties together. */
export interface StepLogInput {
  /** 0 quiet, 1 normal, 2 verbose. */
  verbosity: number;
  progress: BuildProgress;
  log: BuildLogFile;
  /** Verbose only: where raw output is streamed as well (stderr). */
  echo(chunk: string | Uint8Array): void;
}

/**
 * The BuildLog handed to steps (and prepares): `info` goes to the log and the progress
 * (status text), `warn` to the log and always on screen, `debug` to the log and on screen
 * when verbose; `output` (programs' raw output) to the log, each line feeding the live
 * line's status (OutputStatus), and when verbose streamed to `echo` as it comes; `progress`
 * straight to the progress.
 */
export function createStepLog(input: StepLogInput): BuildLog {
  const { verbosity, progress, log } = input;
  const status = new OutputStatus();
  log.onLine = (line) => {
    const update = status.line(line);
    if (update) progress.stepProgress(update);
  };
  return {
    info: (m) => { log.line(m); progress.note(m); },
    warn: (m) => { log.line(`Warning: ${m}`); progress.message(`Warning: ${m}`); },
    debug: (m) => { log.line(m); if (verbosity >= 2) progress.message(m); },
    output: (chunk, source) => {
      log.output(chunk, source);
      if (verbosity >= 2) input.echo(chunk);
    },
    progress: (update) => progress.stepProgress(update),
  };
}
