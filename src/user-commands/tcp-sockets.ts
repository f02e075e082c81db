/**
 * `pass-tcp-socket` of the commands about to run (inventory §1.6): every address is resolved
 * and checked (bound, listened on, closed) before any container is built or command started,
 * so a taken port fails the run early, as Vagga's binding before the start does. The socket
 * each start really gets is bound by run-in-container.ts (sandbox/tcp-socket.ts).
 */
import type { CommandConfig } from '../config/model.js';
import { checkCanListen, resolveTcpSocket, type TcpAddress } from '../sandbox/tcp-socket.js';

/**
 * Resolve and check the `pass-tcp-socket` values of `commands` (duplicates once). Resolves
 * with the address of each value (keyed by the value as written in vagga.yaml). Throws
 * VaggaError 121 for a malformed value, a name that does not resolve, or an address that
 * cannot be listened on (e.g. in use).
 */
export async function checkPassedSockets(commands: readonly CommandConfig[]): Promise<Map<string, TcpAddress>> {
  const out = new Map<string, TcpAddress>();
  for (const cmd of commands) {
    const text = cmd.passTcpSocket;
    if (text === undefined || out.has(text)) continue;
    const addr = await resolveTcpSocket(text);
    checkCanListen(addr);
    out.set(text, addr);
  }
  return out;
}
