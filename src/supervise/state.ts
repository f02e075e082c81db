/**
 * The decisions of a `!Supervise` run as a pure state machine (inventory §2.9): which child
 * ended the run, what to print, whom to signal, when to kill the unresponsive, and the exit
 * status. No I/O and no timers here: supervise.ts feeds events in and carries the actions out.
 *
 * Rules (Vagga's `stop-on-failure` / `wait-all-successful` modes):
 * - stop-on-failure: the first child to end, for any reason, starts the shutdown; the exit
 *   status is that child's (128+N for signal N).
 * - wait-all-successful: a child ending with 0 is simply removed and the run ends with 0 when
 *   the last one has; any other end starts the shutdown like stop-on-failure.
 * - A child that cannot be started starts the shutdown with status 127.
 * - SIGINT/SIGQUIT/SIGTERM to vagga: a `Received ...` line on stderr, the signal passed to
 *   every running child, status 128+N once they have ended. Repeated signals are passed on
 *   again; a later signal does not change the status already decided.
 * - Other forwarded signals (SIGHUP, SIGUSR1, SIGUSR2) are passed on and change nothing else.
 * - Shutdown: SIGTERM to every running child, then after `kill-unresponsive-after` seconds
 *   the still running ones are named on stdout and SIGKILLed.
 * - The run finishes when shutting down (or all children succeeded) and no child is running
 *   or waiting to be started.
 * - Beyond Vagga, a child's `restart` policy (model.ts RestartPolicy): when a child ends
 *   before any shutdown and its policy wants it (`always`, or `on-failure` with a non-zero
 *   status) and fewer than `limit` restarts were made, a `Restarting` separator is printed
 *   and a restart scheduled after `delay` seconds, doubled for each further restart (60 s at
 *   most) instead of the rules above; a shutdown cancels scheduled restarts.
 * - Beyond Vagga, readiness (model.ts ReadyCheck, `wait-for`): a child without a check is
 *   ready once started; one with a check gets a `watch-ready` action at each start until it is
 *   ready. A child whose `wait-for` names a selected child not ready yet is `deferred` and
 *   started (a `start` action) once all of them are ready, in name order. A child not ready
 *   within its timeout (`ready-timeout` event) starts the shutdown with status 1 and a
 *   `did not become ready` separator; so does a child with a check that ends with 0 before it
 *   was ready (wait-all-successful) while others wait for it. A shutdown drops deferred
 *   children. Unselected children (`--only`/`--exclude`) are not waited for.
 */
import { constants as osConstants } from 'node:os';
import type { RestartPolicy } from '../config/model.js';

/** How a child ended: the SandboxResult shape (status in shell convention, signal name if killed). */
export interface ChildEnd {
  status: number;
  signal?: string;
}

/** Something that happened to the supervisor. */
export type SuperviseEvent =
  | { kind: 'started'; name: string; pid: number }
  | { kind: 'exited'; name: string; end: ChildEnd }
  | { kind: 'start-failed'; name: string; message: string }
  /** A child that was never started because the run was already shutting down. */
  | { kind: 'skipped'; name: string }
  | { kind: 'signal'; signal: NodeJS.Signals }
  /** The kill-unresponsive-after timer fired. */
  | { kind: 'grace-expired' }
  /** The delay of a `schedule-restart` has passed. */
  | { kind: 'restart-due'; name: string }
  /** The loop reached a child whose `wait-for` children are not ready yet (see blockedBy). */
  | { kind: 'deferred'; name: string }
  /** A child's readiness check succeeded. */
  | { kind: 'ready'; name: string }
  /** A child's readiness check did not succeed within its timeout. */
  | { kind: 'ready-timeout'; name: string };

/** What the supervisor must do, in order. */
export type SuperviseAction =
  | { kind: 'stdout'; text: string }
  | { kind: 'stderr'; text: string }
  | { kind: 'signal'; names: string[]; signal: NodeJS.Signals }
  /** Start the one-shot kill-unresponsive-after timer (seconds). */
  | { kind: 'start-grace-timer'; seconds: number }
  /** Everything has ended: exit with this status (print the epilog when 0). */
  | { kind: 'finish'; status: number }
  /** Feed `restart-due` for this child after `seconds`. */
  | { kind: 'schedule-restart'; name: string; seconds: number }
  /** Start this child again (it reports `started` or `start-failed` like at first). */
  | { kind: 'start'; name: string }
  /** Run this child's readiness check for up to `seconds`; feed `ready` or `ready-timeout`. */
  | { kind: 'watch-ready'; name: string; seconds: number };

export interface SupervisorOptions {
  mode: 'stop-on-failure' | 'wait-all-successful';
  /** Seconds between the SIGTERM of a shutdown and the SIGKILL of what still runs. */
  killUnresponsiveAfter: number;
  /** Selected children, in start order (sorted by name). */
  children: readonly string[];
  /** Restart policies by child name (children without one are never restarted). */
  restart?: Readonly<Record<string, RestartPolicy | undefined>>;
  /** Readiness timeouts (seconds) of the children with a readiness check, by name. */
  readyTimeout?: Readonly<Record<string, number | undefined>>;
  /** `wait-for` lists by child name. */
  waitFor?: Readonly<Record<string, readonly string[] | undefined>>;
}

/** Status of a run ended by a child that did not become ready. */
export const NOT_READY_STATUS = 1;

/** Longest wait before a restart, seconds (the doubling delay stops there). */
export const MAX_RESTART_DELAY = 60;

/** Seconds to wait before restart number `n` (1-based): `delay`, doubled each time, at most MAX_RESTART_DELAY. */
export function restartDelay(policy: RestartPolicy, n: number): number {
  return Math.min(policy.delay * 2 ** (n - 1), MAX_RESTART_DELAY);
}

/** The separator line Vagga prints around supervisor messages: `---------- <text> -----------`. */
export function separator(text: string): string {
  return `---------- ${text} -----------\n`;
}

/** Status text of a child's end: `exited with code N` or `killed by signal SIGxxx[N]`. */
export function endText(end: ChildEnd): string {
  if (end.signal !== undefined) {
    const n = (osConstants.signals as Record<string, number>)[end.signal] ?? end.status - 128;
    return `killed by signal ${end.signal}[${n}]`;
  }
  return `exited with code ${end.status}`;
}

/** The line naming the children still alive after the grace period (Rust's `{:?}` of a name list). */
export function stillAliveText(names: readonly string[]): string {
  return separator(`Processes [${names.map((n) => JSON.stringify(n)).join(', ')}] are still alive. Killing ...`);
}

/** The hint printed after stillAliveText. */
export function stillAliveHint(seconds: number): string {
  return `Hint: they did not stop within ${seconds} s after being asked to; `
    + 'raise `kill-unresponsive-after` in the command if they need longer to shut down\n';
}

/** Signals that start a shutdown when vagga receives them, with the stderr line for each. */
const STOPPING_SIGNALS: Partial<Record<NodeJS.Signals, string>> = {
  SIGINT: 'Received SIGINT signal. Waiting the processes to stop...\n',
  SIGQUIT: 'Received SIGQUIT signal. Waiting the processes to stop...\n',
  // Two spaces, as Vagga prints it.
  SIGTERM: 'Received SIGTERM signal.  Waiting the processes to stop...\n',
};

/** The state of one `!Supervise` run; feed events with `handle`, carry out the returned actions. */
export class SupervisorState {
  readonly opts: SupervisorOptions;
  /** Children not started yet (neither `started` nor `start-failed`/`skipped`). */
  private readonly pending: Set<string>;
  /** Running children: name -> launcher pid. */
  private readonly running = new Map<string, number>();
  /** Children waiting for a scheduled restart. */
  private readonly waitingRestart = new Set<string>();
  /** Restarts made so far, by child name. */
  private readonly restarts = new Map<string, number>();
  /** Children whose readiness is established (kept across restarts). */
  private readonly ready = new Set<string>();
  /** Children held back by `wait-for` (also in `pending`). */
  private readonly deferred = new Set<string>();
  private stopping = false;
  private timerStarted = false;
  private finished = false;
  private status = 0;

  constructor(opts: SupervisorOptions) {
    this.opts = opts;
    this.pending = new Set(opts.children);
  }

  /** True once the run is shutting down: children not started yet must be `skipped`. */
  get shuttingDown(): boolean {
    return this.stopping;
  }

  /** Names of the running children, in start order. */
  runningChildren(): string[] {
    return this.opts.children.filter((n) => this.running.has(n));
  }

  /** Selected children in `name`'s `wait-for` that are not ready yet (empty: it may start). */
  blockedBy(name: string): string[] {
    const selected = new Set(this.opts.children);
    return (this.opts.waitFor?.[name] ?? []).filter((d) => selected.has(d) && !this.ready.has(d));
  }

  /** True while `name` runs with its readiness check still to succeed (and no shutdown began). */
  awaitingReady(name: string): boolean {
    return !this.stopping && this.running.has(name) && !this.ready.has(name);
  }

  /** Apply `event`; returns the actions to carry out, in order. */
  handle(event: SuperviseEvent): SuperviseAction[] {
    if (this.finished) return [];
    const out: SuperviseAction[] = [];
    switch (event.kind) {
      case 'started':
        this.pending.delete(event.name);
        this.running.set(event.name, event.pid);
        // Started while a shutdown began (e.g. a signal during its setup): stop it too.
        if (this.stopping) {
          out.push({ kind: 'signal', names: [event.name], signal: 'SIGTERM' });
          this.startTimer(out);
        } else if (this.ready.has(event.name)) {
          // Restarted after it was ready once: its waiters have started already.
        } else {
          const seconds = this.opts.readyTimeout?.[event.name];
          if (seconds === undefined) this.markReady(event.name, out);
          else out.push({ kind: 'watch-ready', name: event.name, seconds });
        }
        break;
      case 'exited': {
        const pid = this.running.get(event.name) ?? 0;
        this.running.delete(event.name);
        this.pending.delete(event.name);
        if (!this.stopping && this.scheduleRestart(event.name, pid, event.end, out)) break;
        if (!this.stopping && this.opts.mode === 'wait-all-successful' && event.end.status === 0 && !this.ready.has(event.name) && this.hasWaiters(event.name)) {
          out.push({ kind: 'stdout', text: separator(`Process ${event.name}:${pid} ${endText(event.end)} before it was ready. Shutting down`) });
          this.beginShutdown(NOT_READY_STATUS, out);
          break;
        }
        const success = this.opts.mode === 'wait-all-successful' && event.end.status === 0;
        if (!this.stopping && !success) {
          out.push({ kind: 'stdout', text: separator(`Process ${event.name}:${pid} ${endText(event.end)}. Shutting down`) });
          this.beginShutdown(event.end.status, out);
        }
        break;
      }
      case 'start-failed':
        this.pending.delete(event.name);
        if (!this.stopping) {
          out.push({ kind: 'stdout', text: separator(`Process ${event.name} could not be run: ${event.message}. Shutting down`) });
          this.beginShutdown(127, out);
        }
        break;
      case 'skipped':
        this.pending.delete(event.name);
        break;
      case 'deferred':
        if (this.stopping) this.pending.delete(event.name);
        else if (this.blockedBy(event.name).length === 0) out.push({ kind: 'start', name: event.name });
        else this.deferred.add(event.name);
        break;
      case 'ready':
        if (this.awaitingReady(event.name)) this.markReady(event.name, out);
        break;
      case 'ready-timeout':
        if (this.awaitingReady(event.name)) {
          const pid = this.running.get(event.name) ?? 0;
          const seconds = this.opts.readyTimeout?.[event.name] ?? 0;
          out.push({ kind: 'stdout', text: separator(`Process ${event.name}:${pid} did not become ready within ${seconds} s. Shutting down`) });
          this.beginShutdown(NOT_READY_STATUS, out);
        }
        break;
      case 'signal': {
        const line = STOPPING_SIGNALS[event.signal];
        if (line !== undefined) out.push({ kind: 'stderr', text: line });
        const names = this.runningChildren();
        if (names.length > 0) out.push({ kind: 'signal', names, signal: event.signal });
        if (line !== undefined && !this.stopping) {
          this.stopping = true;
          this.waitingRestart.clear();
          this.dropDeferred();
          this.status = 128 + ((osConstants.signals as Record<string, number>)[event.signal] ?? 0);
          this.startTimer(out);
        }
        break;
      }
      case 'restart-due':
        // Dropped when a shutdown began meanwhile (scheduled restarts were cancelled).
        if (this.waitingRestart.delete(event.name) && !this.stopping) {
          this.pending.add(event.name);
          out.push({ kind: 'start', name: event.name });
        }
        break;
      case 'grace-expired': {
        const names = this.runningChildren();
        if (names.length > 0) {
          out.push({ kind: 'stdout', text: stillAliveText(names) });
          out.push({ kind: 'stdout', text: stillAliveHint(this.opts.killUnresponsiveAfter) });
          out.push({ kind: 'signal', names, signal: 'SIGKILL' });
        } else {
          // Nobody to kill yet (a child still being set up): its start arms a fresh timer.
          this.timerStarted = false;
        }
        break;
      }
    }
    this.maybeFinish(out);
    return out;
  }

  /** Schedule a restart of `name` if its policy wants one and allows another; true when scheduled. */
  private scheduleRestart(name: string, pid: number, end: ChildEnd, out: SuperviseAction[]): boolean {
    const policy = this.opts.restart?.[name];
    if (policy === undefined || (policy.when === 'on-failure' && end.status === 0)) return false;
    const n = (this.restarts.get(name) ?? 0) + 1;
    if (n > policy.limit) return false;
    this.restarts.set(name, n);
    this.waitingRestart.add(name);
    const seconds = restartDelay(policy, n);
    out.push({ kind: 'stdout', text: separator(`Process ${name}:${pid} ${endText(end)}. Restarting (${n} of ${policy.limit}) in ${seconds} s`) });
    out.push({ kind: 'schedule-restart', name, seconds });
    return true;
  }

  /** Mark `name` ready and start the deferred children no longer blocked, in name order. */
  private markReady(name: string, out: SuperviseAction[]): void {
    this.ready.add(name);
    for (const n of this.opts.children) {
      if (this.deferred.has(n) && this.blockedBy(n).length === 0) {
        this.deferred.delete(n);
        out.push({ kind: 'start', name: n });
      }
    }
  }

  /** True when a deferred child waits for `name`. */
  private hasWaiters(name: string): boolean {
    return [...this.deferred].some((n) => this.opts.waitFor?.[n]?.includes(name));
  }

  /** A shutdown began: children held back by `wait-for` will never start. */
  private dropDeferred(): void {
    for (const n of this.deferred) this.pending.delete(n);
    this.deferred.clear();
  }

  private beginShutdown(status: number, out: SuperviseAction[]): void {
    this.stopping = true;
    this.waitingRestart.clear();
    this.dropDeferred();
    this.status = status;
    const names = this.runningChildren();
    if (names.length > 0) out.push({ kind: 'signal', names, signal: 'SIGTERM' });
    this.startTimer(out);
  }

  private startTimer(out: SuperviseAction[]): void {
    if (this.timerStarted || this.running.size === 0) return;
    this.timerStarted = true;
    out.push({ kind: 'start-grace-timer', seconds: this.opts.killUnresponsiveAfter });
  }

  private maybeFinish(out: SuperviseAction[]): void {
    if (this.running.size > 0 || this.pending.size > 0 || this.waitingRestart.size > 0) return;
    // Nothing left: either a shutdown completed or (wait-all-successful) everyone succeeded.
    this.finished = true;
    out.push({ kind: 'finish', status: this.stopping ? this.status : 0 });
  }
}
