/**
 * What a build prints about its steps (issue 9, "readable build output"). One BuildProgress
 * per process that builds: the builder (src/builder/builder-main.ts, setup steps through
 * run-steps.ts) and the host (src/builder/ensure-built.ts, the steps' `prepare`, e.g. the
 * Debian bootstrap). By verbosity and terminal:
 *  - 1 on a terminal: one live line per step, redrawn every TICK_MS with `\r` and ECMA-48
 *    "erase line" (`ESC[2K`): `Step 3/6 !Install [python3] 4.2s [=====>    ] 12/40 packages
 *    unpacking libc6`, clipped to the terminal's width; then one finished line
 *    `Step 3/6 !Install [python3] 12.3s`. Colours only when the caller says so
 *    (src/cli/colour.ts: a terminal and no NO_COLOR).
 *  - 1 without a terminal: only the finished lines (no carriage returns, no escapes).
 *  - 0 (`-q`): nothing but warnings and a failed step.
 *  - 2 (`-v`): `Step N/M: summary` and `  done in Xs` lines as before; the steps' output is
 *    streamed by the caller (src/builder/build-log.ts), not here.
 * A failed step shows the last TAIL_LINES lines of its output and where the build log is
 * (from the ProgressLog). Our own small module: see README "Dependencies" for why no library.
 */
import { ERASE_LINE, paint, type Style } from '../cli/colour.js';
import type { ProgressUpdate } from '../steps/step.js';

/** Lines of a failed step's output shown under its failure line. */
export const TAIL_LINES = 30;

/** Redraw period of the live line (elapsed time in tenths of a second). */
export const TICK_MS = 100;

/** Width used when the terminal's is unknown. */
const DEFAULT_COLUMNS = 80;

/** Inner width of the progress bar `[====>    ]`. */
const BAR_WIDTH = 20;

/** The build log as the progress output sees it (src/builder/build-log.ts BuildLogFile). */
export interface ProgressLog {
  /** Start a section (a header line in the log); the failure tail counts from here. */
  section(title: string): void;
  /** The last `lines` lines (cleaned) written since the section started. */
  tail(lines: number): string[];
  /** Where the user finds the log afterwards (a display path), if it is kept. */
  readonly path?: string;
}

/**
 * Progress of a build's steps. `index` is 1-based, `summary` is step-text.ts stepSummary.
 * Methods never throw; `close` must be called when the process stops rendering.
 */
export interface BuildProgress {
  /** A setup step starts running. */
  stepStarted(index: number, total: number, summary: string): void;
  /** What the running step (or prepare) is doing; fields named replace the previous ones. */
  stepProgress(update: ProgressUpdate): void;
  /** The running step ended successfully: its finished line with the time it took. */
  stepFinished(index: number, total: number, summary: string): void;
  /** A step whose result was reused from the step cache (not run): one line, `... (cached)`. */
  stepCached(index: number, total: number, summary: string): void;
  /** The running step failed: its failure line, the tail of its output and the log's path. */
  stepFailed(index: number, total: number, summary: string): void;
  /** A step's host-side `prepare` (download, bootstrap) starts doing work. */
  prepareStarted(index: number, total: number, summary: string): void;
  /** The prepare started last ended successfully. */
  prepareFinished(index: number, total: number, summary: string): void;
  /** The prepare started last failed (like stepFailed). */
  prepareFailed(index: number, total: number, summary: string): void;
  /**
   * Status text (a step's `log.info`): the live line's activity while a step runs, a line of
   * its own otherwise (quiet: nothing; non-terminal during a step: only in the log).
   */
  note(text: string): void;
  /** A line always shown (warnings), above the live line. */
  message(text: string): void;
  /** Stop rendering: an unfinished step is shown as stopped; the redraw timer ends. */
  close(): void;
}

/** How to render; everything the renderer touches comes from here (tests pass fakes). */
export interface ProgressOptions {
  /** 0 quiet, 1 normal, 2 verbose. */
  verbosity: number;
  /** The output is a terminal: live lines. */
  tty: boolean;
  /** Use colours (only honoured on a terminal). */
  colour: boolean;
  write(text: string): void;
  /** Milliseconds clock. */
  now(): number;
  /** The terminal's width, when known. */
  columns?(): number | undefined;
  /** Call `fn` every `ms` until the returned function is called (default: an unref'd setInterval). */
  every?(ms: number, fn: () => void): () => void;
  /** The build log, for section headers and a failed step's tail. */
  log?: ProgressLog;
}

interface Active {
  label: string;
  verboseLabel: string;
  started: number;
  update: ProgressUpdate;
}

type Mode = 'live' | 'lines' | 'verbose' | 'quiet';

/** `12.3s` (tenths). */
export function formatSeconds(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(1)}s`;
}

/** `[=========>          ]` for a share 0..1 (clamped). */
export function formatBar(fraction: number, width = BAR_WIDTH): string {
  const n = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'='.repeat(n)}${n < width ? `>${' '.repeat(width - n - 1)}` : ''}]`;
}

function megabytes(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

/** `12/40 packages`, `7 packages`, `1.2/3.4 MB`, `1.2 MB`. */
export function formatCount(count: NonNullable<ProgressUpdate['count']>): string {
  if (count.unit === 'bytes') {
    return count.total !== undefined ? `${megabytes(count.done)}/${megabytes(count.total)} MB` : `${megabytes(count.done)} MB`;
  }
  return count.total !== undefined ? `${count.done}/${count.total} packages` : `${count.done} packages`;
}

/** `text` cut to `width` characters (`...` marks the cut); '' for width <= 0. */
function clip(text: string, width: number): string {
  if (text.length <= width) return text;
  if (width <= 3) return text.slice(0, Math.max(0, width));
  return `${text.slice(0, width - 3)}...`;
}

class Renderer implements BuildProgress {
  private readonly mode: Mode;
  private readonly colour: boolean;
  private active: Active | undefined;
  private stopTicker: (() => void) | undefined;

  constructor(private readonly opts: ProgressOptions) {
    if (opts.verbosity <= 0) this.mode = 'quiet';
    else if (opts.verbosity >= 2) this.mode = 'verbose';
    else this.mode = opts.tty ? 'live' : 'lines';
    this.colour = opts.colour && opts.tty;
  }

  private paint(style: Style, text: string): string {
    return paint(this.colour, style, text);
  }

  private begin(label: string, verboseLabel: string): void {
    this.opts.log?.section(label);
    this.active = { label, verboseLabel, started: this.opts.now(), update: {} };
    if (this.mode === 'verbose') this.opts.write(`${verboseLabel}\n`);
    if (this.mode === 'live') {
      this.draw();
      this.stopTicker ??= (this.opts.every ?? defaultEvery)(TICK_MS, () => this.draw());
    }
  }

  /** Elapsed ms of the active step (0 without one). */
  private elapsed(): number {
    return this.active ? this.opts.now() - this.active.started : 0;
  }

  /** Write `line` as a finished line, replacing the live line on a terminal. */
  private finishLine(line: string): void {
    this.opts.write(this.mode === 'live' ? `${ERASE_LINE}${line}\n` : `${line}\n`);
  }

  private end(): void {
    this.active = undefined;
    this.stopTicker?.();
    this.stopTicker = undefined;
  }

  /** The live line of the active step, clipped to the terminal's width. */
  frame(): string {
    const a = this.active;
    if (!a) return '';
    const width = Math.max(20, (this.opts.columns?.() ?? DEFAULT_COLUMNS) || DEFAULT_COLUMNS) - 1;
    const time = formatSeconds(this.elapsed());
    const label = clip(a.label, width - time.length - 1);
    let room = width - label.length - 1 - time.length;
    const parts: string[] = [this.paint('bold', label), this.paint('dim', time)];
    const extra: string[] = [];
    if (a.update.fraction !== undefined) extra.push(formatBar(a.update.fraction));
    if (a.update.count) extra.push(formatCount(a.update.count));
    if (a.update.text) extra.push(a.update.text);
    for (const e of extra) {
      if (room < 2) break;
      const shown = clip(e, room - 1);
      if (shown.length === 0) break;
      parts.push(shown);
      room -= shown.length + 1;
    }
    return parts.join(' ');
  }

  private draw(): void {
    if (this.mode === 'live' && this.active) this.opts.write(`${ERASE_LINE}${this.frame()}`);
  }

  private finished(index: number, total: number, summary: string, word: 'Step' | 'Prepare'): void {
    const ms = this.elapsed();
    this.end();
    if (this.mode === 'live' || this.mode === 'lines') {
      this.finishLine(`${this.paint('bold', `${word} ${index}/${total} ${summary}`)} ${this.paint('dim', formatSeconds(ms))}`);
    } else if (this.mode === 'verbose') {
      this.opts.write(`  done in ${(ms / 1000).toFixed(2)}s\n`);
    }
  }

  private failed(index: number, total: number, summary: string, word: 'Step' | 'Prepare'): void {
    const ms = this.elapsed();
    this.end();
    const log = this.opts.log;
    const head = `${this.paint('bold', `${word} ${index}/${total} ${summary}`)} ${this.paint('error', `failed after ${formatSeconds(ms)}`)}`;
    if (this.mode === 'verbose') {
      this.opts.write(`  failed after ${(ms / 1000).toFixed(2)}s\n`);
      if (log?.path) this.opts.write(`The build log is kept in ${log.path}\n`);
      return;
    }
    const tail = log?.tail(TAIL_LINES) ?? [];
    this.finishLine(tail.length > 0 ? `${head}; the last lines of its output:` : head);
    for (const line of tail) this.opts.write(`${this.paint('dim', '  |')} ${line}\n`);
    if (log?.path) this.opts.write(`Build log: ${log.path}\n`);
  }

  stepStarted(index: number, total: number, summary: string): void {
    this.begin(`Step ${index}/${total} ${summary}`, `Step ${index}/${total}: ${summary}`);
  }

  stepProgress(update: ProgressUpdate): void {
    if (!this.active) return;
    for (const key of Object.keys(update) as (keyof ProgressUpdate)[]) {
      (this.active.update as Record<string, unknown>)[key] = update[key];
    }
  }

  stepFinished(index: number, total: number, summary: string): void {
    this.finished(index, total, summary, 'Step');
  }

  stepCached(index: number, total: number, summary: string): void {
    this.opts.log?.section(`Step ${index}/${total} ${summary} (cached)`);
    if (this.mode === 'quiet') return;
    const line = this.mode === 'verbose'
      ? `Step ${index}/${total}: ${summary} (cached)`
      : `${this.paint('bold', `Step ${index}/${total} ${summary}`)} ${this.paint('dim', '(cached)')}`;
    this.finishLine(line);
  }

  stepFailed(index: number, total: number, summary: string): void {
    this.failed(index, total, summary, 'Step');
  }

  prepareStarted(index: number, total: number, summary: string): void {
    this.begin(`Prepare ${index}/${total} ${summary}`, `Prepare ${index}/${total}: ${summary}`);
  }

  prepareFinished(index: number, total: number, summary: string): void {
    this.finished(index, total, summary, 'Prepare');
  }

  prepareFailed(index: number, total: number, summary: string): void {
    this.failed(index, total, summary, 'Prepare');
  }

  note(text: string): void {
    if (this.mode === 'verbose') this.opts.write(`${text}\n`);
    else if (this.active) this.stepProgress({ text });
    else if (this.mode !== 'quiet') this.finishLine(text);
  }

  message(text: string): void {
    if (this.mode === 'live' && this.active) {
      this.opts.write(`${ERASE_LINE}${text}\n`);
      this.draw();
    } else {
      this.opts.write(`${text}\n`);
    }
  }

  close(): void {
    const a = this.active;
    if (a && (this.mode === 'live' || this.mode === 'lines')) {
      const ms = this.elapsed();
      this.finishLine(`${this.paint('bold', a.label)} ${this.paint('dim', `stopped after ${formatSeconds(ms)}`)}`);
    }
    this.end();
  }
}

function defaultEvery(ms: number, fn: () => void): () => void {
  const timer = setInterval(fn, ms);
  timer.unref();
  return () => clearInterval(timer);
}

/** The renderer for `opts` (see the file comment for what each verbosity prints). */
export function createBuildProgress(opts: ProgressOptions): BuildProgress {
  return new Renderer(opts);
}
