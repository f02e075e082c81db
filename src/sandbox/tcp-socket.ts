/**
 * `pass-tcp-socket` (inventory §1.6, Vagga's `pass-tcp-socket` command setting): vagga binds
 * a listening TCP socket (SO_REUSEADDR, backlog 128) and hands it to the command as fd 3.
 *
 * Why not net.Server: libuv starts accepting as soon as a socket listens, so vagga itself
 * would steal connections meant for the command. Instead a bare libuv TCP handle is bound
 * early (bind(2) only: connections are refused, nothing is accepted) and made to listen
 * synchronously right before the sandbox launcher is spawned; vagga's copy is closed right
 * after the spawn, in the same tick, so vagga's event loop never polls it (SandboxSpec
 * `aroundSpawn`). libuv creates sockets with O_NONBLOCK, a flag of the open file description
 * shared with the command; it is cleared (as Vagga passes a blocking socket) by a throwaway
 * `spawnSync` child that gets the socket as its stdin: libuv's child setup makes fds 0-2
 * blocking (uv__process_child_init).
 */
import { spawnSync } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { VaggaError } from '../errors/vagga-error.js';

/** A resolved listen address: a literal IPv4/IPv6 address and a port. */
export interface TcpAddress {
  ip: string;
  family: 4 | 6;
  port: number;
}

/** A `pass-tcp-socket` value split into host (name or literal, unresolved) and port. */
export interface TcpSpec {
  host: string;
  port: number;
}

function badAddress(text: string, why: string): VaggaError {
  return new VaggaError(`Invalid pass-tcp-socket ${JSON.stringify(text)}: ${why}`, {
    code: 'command.tcp-socket-invalid',
    hint: 'Use PORT (127.0.0.1), *:PORT (all interfaces), IP:PORT, [IPv6]:PORT or HOST:PORT.',
  });
}

/**
 * Split a `pass-tcp-socket` value: `8080` -> 127.0.0.1, `*:8080` -> 0.0.0.0, `ip:port`,
 * `[v6]:port`, `host:port` (Vagga's forms). Throws VaggaError 121 for anything else or a
 * port outside 0-65535.
 */
export function parseTcpSpec(text: string): TcpSpec {
  const t = text.trim();
  let host: string;
  let portText: string;
  if (/^\d+$/.test(t)) {
    host = '127.0.0.1';
    portText = t;
  } else if (t.startsWith('[')) {
    const m = /^\[([^\]]+)\]:(\d+)$/.exec(t);
    if (!m || isIP(m[1]) !== 6) throw badAddress(text, 'expected [IPv6]:PORT');
    [host, portText] = [m[1], m[2]];
  } else {
    const i = t.lastIndexOf(':');
    if (i <= 0 || t.indexOf(':') !== i) throw badAddress(text, 'expected HOST:PORT');
    host = t.slice(0, i);
    portText = t.slice(i + 1);
    if (host === '*') host = '0.0.0.0';
  }
  if (!/^\d+$/.test(portText) || Number(portText) > 65535) throw badAddress(text, `bad port ${JSON.stringify(portText)}`);
  return { host, port: Number(portText) };
}

/**
 * Resolve a `pass-tcp-socket` value to one address (a host name: its first address from the
 * system resolver, getaddrinfo(3)). Throws VaggaError 121 when it is malformed or the name
 * does not resolve.
 */
export async function resolveTcpSocket(text: string): Promise<TcpAddress> {
  const { host, port } = parseTcpSpec(text);
  const family = isIP(host);
  if (family === 4 || family === 6) return { ip: host, family, port };
  try {
    const found = await lookup(host);
    return { ip: found.address, family: found.family === 6 ? 6 : 4, port };
  } catch (err) {
    throw new VaggaError(`Can't resolve ${JSON.stringify(host)} of pass-tcp-socket ${JSON.stringify(text)}: ${(err as Error).message}`, {
      code: 'command.tcp-socket-unresolved',
      cause: err,
    });
  }
}

/** The parts of libuv's TCP handle (node's tcp_wrap binding) used here; methods return 0 or -errno. */
interface TcpHandle {
  fd: number;
  bind(ip: string, port: number): number;
  bind6(ip: string, port: number, flags: number): number;
  listen(backlog: number): number;
  close(): void;
}

interface TcpWrapBinding {
  TCP: new (type: number) => TcpHandle;
  constants: { SERVER: number };
}

function tcpWrap(): TcpWrapBinding {
  return (process as unknown as { binding(name: string): TcpWrapBinding }).binding('tcp_wrap');
}

function errnoText(code: number): string {
  const names: Record<number, string> = { [-98]: 'EADDRINUSE (address already in use)', [-99]: 'EADDRNOTAVAIL (address not available)', [-13]: 'EACCES (permission denied)' };
  return names[code] ?? `error ${code}`;
}

function where(addr: TcpAddress): string {
  return addr.family === 6 ? `[${addr.ip}]:${addr.port}` : `${addr.ip}:${addr.port}`;
}

function socketError(addr: TcpAddress, what: string, code: number): VaggaError {
  return new VaggaError(`Can't ${what} the pass-tcp-socket ${where(addr)}: ${errnoText(code)}`, { code: 'command.tcp-socket-failed' });
}

/** Listening backlog, as Vagga's. */
export const BACKLOG = 128;

/** A socket bound for one command start; see the module comment for the protocol. */
export interface PassedSocket {
  /** vagga's fd of the socket: pass it as SandboxSpec extraFds[0] (fd 3 in the command). */
  fd: number;
  /** listen(2) with backlog 128 and clear O_NONBLOCK; call synchronously right before spawning. Throws VaggaError 121. */
  listen(): void;
  /** Close vagga's copy (idempotent); call synchronously right after spawning. */
  close(): void;
}

/**
 * Bind (SO_REUSEADDR, set by libuv; not yet listening) a TCP socket on `addr`. Throws
 * VaggaError 121 when it cannot be bound.
 */
export function bindPassedSocket(addr: TcpAddress): PassedSocket {
  const { TCP, constants } = tcpWrap();
  const handle = new TCP(constants.SERVER);
  const err = addr.family === 6 ? handle.bind6(addr.ip, addr.port, 0) : handle.bind(addr.ip, addr.port);
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    handle.close();
  };
  if (err !== 0) {
    close();
    throw socketError(addr, 'bind', err);
  }
  return {
    fd: handle.fd,
    listen(): void {
      const e = handle.listen(BACKLOG);
      if (e !== 0) {
        close();
        throw socketError(addr, 'listen on', e);
      }
      // The throwaway child's stdin setup clears O_NONBLOCK on the shared description.
      spawnSync('/bin/sh', ['-c', ':'], { stdio: [handle.fd, 'ignore', 'ignore'] });
    },
    close,
  };
}

/**
 * Check early (before building or starting anything) that `addr` can be listened on:
 * binds, listens and closes at once (in one tick, so nothing is accepted). Throws
 * VaggaError 121, e.g. for an address already in use.
 */
export function checkCanListen(addr: TcpAddress): void {
  const { TCP, constants } = tcpWrap();
  const handle = new TCP(constants.SERVER);
  try {
    const err = addr.family === 6 ? handle.bind6(addr.ip, addr.port, 0) : handle.bind(addr.ip, addr.port);
    if (err !== 0) throw socketError(addr, 'bind', err);
    const e = handle.listen(BACKLOG);
    if (e !== 0) throw socketError(addr, 'listen on', e);
  } finally {
    handle.close();
  }
}
