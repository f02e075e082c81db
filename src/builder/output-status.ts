/**
 * Reading the raw output of the programs a build runs: `cleanLine` turns what a terminal
 * would show into one plain line (carriage-return progress and escape sequences removed:
 * dpkg's `(Reading database ... 5%\r(Reading database ... 10%` becomes its last state), and
 * `OutputStatus` derives the live progress line's status from those lines: package counts
 * from apt-get and dpkg (`N newly installed`, `Get:`, `Unpacking`, `Setting up`), the
 * phases of an mmdebstrap bootstrap as a bar, and otherwise the last line as the activity.
 * The line formats are apt-get(8)'s and dpkg(1)'s usual English output (builds run with
 * LANG C.UTF-8, see src/steps/debian/apt.ts DEBIAN_BUILD_ENV) and mmdebstrap(1)'s `I:` lines.
 */
import { stripEscapes } from '../cli/colour.js';
import type { ProgressUpdate } from '../steps/step.js';

/**
 * One raw output line (no `\n`) as a terminal would leave it, as plain text: the last
 * non-empty part after a carriage return, without escape sequences and control
 * characters, trailing blanks trimmed. Pure.
 */
export function cleanLine(raw: string): string {
  const parts = raw.split('\r').map((p) => stripEscapes(p).trimEnd());
  for (let i = parts.length - 1; i >= 0; i--) if (parts[i] !== '') return parts[i]!;
  return '';
}

/** mmdebstrap's phases (its `I:` lines), in the order it runs them; the bar moves by phase. */
const BOOTSTRAP_PHASES = [
  /^I: running apt-get update/,
  /^I: downloading packages/,
  /^I: extracting archives/,
  /^I: installing essential packages/,
  /^I: installing remaining packages/,
  /^I: cleaning package lists/,
  /^I: creating tarball/,
];

/** Longest activity text kept (the renderer clips it to the terminal anyway). */
const MAX_TEXT = 200;

/**
 * The status of a stream of output lines (fed one cleaned line at a time): `line` returns
 * the update the line causes, or undefined for blank lines. An update names `count` and
 * `fraction` (possibly as undefined, which clears them) when it changes them; a plain line
 * names only `text`. State: the packages apt is
 * about to install (`total`), how many were fetched, unpacked and set up, and the
 * mmdebstrap phase. A new apt run (`Reading package lists...`) or phase starts the counts
 * again.
 */
export class OutputStatus {
  private total: number | undefined;
  private fetched = 0;
  private unpacked = 0;
  private configured = 0;
  private phase: number | undefined;

  /** Feed one line (already cleaned); returns the new status, if the line changes it. */
  line(text: string): ProgressUpdate | undefined {
    if (text.trim() === '') return undefined;
    const shown = text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 3)}...` : text;
    const phase = BOOTSTRAP_PHASES.findIndex((re) => re.test(text));
    if (phase >= 0) {
      this.phase = phase;
      this.resetCounts();
      return { text: shown.replace(/^I: /, ''), count: undefined, ...this.bar(undefined) };
    }
    if (/^Reading package lists/.test(text)) {
      this.resetCounts();
      return { text: shown, count: undefined, ...this.bar(undefined) };
    }
    let m: RegExpExecArray | null;
    if ((m = /^(\d+) upgraded, (\d+) newly installed/.exec(text))) {
      this.total = Number(m[1]) + Number(m[2]);
      return { text: shown, count: { done: 0, total: this.total, unit: 'packages' }, ...this.bar(undefined) };
    }
    if (/^Get:\d+ /.test(text) && this.total !== undefined) {
      this.fetched++;
      return { text: 'downloading', count: { done: this.fetched, total: this.total, unit: 'packages' }, ...this.bar(undefined) };
    }
    if ((m = /^Unpacking (\S+)/.exec(text))) {
      this.unpacked++;
      return this.dpkg(this.unpacked, `unpacking ${m[1]}`);
    }
    if ((m = /^Setting up (\S+)/.exec(text))) {
      this.configured++;
      return this.dpkg(this.configured, `setting up ${m[1]}`);
    }
    return { text: shown };
  }

  private resetCounts(): void {
    this.total = undefined;
    this.fetched = 0;
    this.unpacked = 0;
    this.configured = 0;
  }

  /**
   * dpkg's progress: `done` packages unpacked (or set up) of those apt installs, if known
   * (else of those seen so far). dpkg unpacks each package, then sets it up: the bar counts
   * both halves.
   */
  private dpkg(done: number, text: string): ProgressUpdate {
    const total = this.total !== undefined ? Math.max(this.total, this.unpacked, this.configured) : undefined;
    const share = total ? Math.min(1, (this.unpacked + this.configured) / (2 * total)) : undefined;
    return { text, count: { done, total, unit: 'packages' }, ...this.bar(share) };
  }

  /**
   * `{ fraction }` for a share of the current apt run: the share itself, or inside an
   * mmdebstrap bootstrap the current phase's slice of the whole bar; `fraction: undefined`
   * (no bar) when unknown.
   */
  private bar(share: number | undefined): { fraction: number | undefined } {
    if (this.phase !== undefined) {
      const slice = 1 / BOOTSTRAP_PHASES.length;
      return { fraction: this.phase * slice + (share ?? 0) * slice };
    }
    return { fraction: share };
  }
}
