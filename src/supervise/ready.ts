/**
 * The readiness check of a `!Supervise` child (beyond Vagga, model.ts ReadyCheck): poll a TCP
 * connect to 127.0.0.1:PORT from vagga itself (children share the host network, inventory
 * §2.9) until it succeeds, the timeout passes, or the supervisor no longer wants it.
 */
import { connect } from 'node:net';

/** Try one TCP connection to `host:port`; resolves true when it is accepted (closed at once), false on error or after `timeoutMs`. */
export function tcpAccepts(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ port, host });
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** Options of waitTcpReady. */
export interface WaitReadyOptions {
  port: number;
  /** Give up after this many milliseconds. */
  timeoutMs: number;
  /** Pause between attempts, milliseconds (default 100). */
  intervalMs?: number;
  /** Checked before each attempt; false stops the wait with `cancelled` (the child ended, a shutdown began). */
  wanted: () => boolean;
  /** The probe (default tcpAccepts on 127.0.0.1). */
  probe?: (port: number) => Promise<boolean>;
}

/** Poll until the port accepts a connection: `ready`, `timeout` (after timeoutMs) or `cancelled`. Never rejects. */
export async function waitTcpReady(opts: WaitReadyOptions): Promise<'ready' | 'timeout' | 'cancelled'> {
  const deadline = Date.now() + opts.timeoutMs;
  const probe = opts.probe ?? ((port: number) => tcpAccepts(port));
  const interval = opts.intervalMs ?? 100;
  for (;;) {
    if (!opts.wanted()) return 'cancelled';
    if (await probe(opts.port)) return opts.wanted() ? 'ready' : 'cancelled';
    if (Date.now() >= deadline) return 'timeout';
    await new Promise((r) => setTimeout(r, Math.min(interval, Math.max(0, deadline - Date.now()))));
  }
}
