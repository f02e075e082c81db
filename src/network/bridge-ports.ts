/**
 * `network: {ports: {HOST_PORT: CONTAINER_PORT}}` of the children of a networked
 * `!Supervise` (bridge-plan.ts): vagga listens on 127.0.0.1:HOST_PORT of the host and hands
 * each accepted connection (its file descriptor, over Node's IPC channel) to a small
 * forwarder, a node process in the hub's network namespace (nsenter --user --net), which
 * connects to CHILD_IP:CONTAINER_PORT on the bridge and copies both ways. No tun device,
 * pasta or iptables is needed: the accepted socket stays in the host's namespace and the
 * forwarder's connection is made in the hub's. The forwarder dies with vagga (parent-death
 * signal, and it exits when its IPC channel closes). Vagga published the ports on its
 * gateway address with iptables (sudo); here they are on the host's loopback only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { VaggaError } from '../errors/vagga-error.js';
import { findTool } from '../sandbox/tools.js';
import type { BridgePlan } from './bridge-plan.js';

/** The forwarder's code (node -e): connect to each handed-over socket's target and pipe. */
export const FORWARDER_CODE = `const net = require('net');
process.on('message', (m, s) => {
  if (!s) return;
  const u = net.connect(m.port, m.ip);
  const end = () => { s.destroy(); u.destroy(); };
  for (const x of [s, u]) { x.on('error', end); x.on('close', end); }
  s.pipe(u).pipe(s);
});
process.on('disconnect', () => process.exit(0));`;

/** One published port: host port → a node's address and port. */
export interface PortForward {
  hostPort: number;
  ip: string;
  port: number;
  child: string;
}

/** Every port of `plan`'s nodes, in node then host-port order. */
export function portForwards(plan: BridgePlan): PortForward[] {
  return plan.nodes.flatMap((n) => Object.entries(n.ports)
    .map(([h, port]) => ({ hostPort: Number(h), ip: n.ip, port, child: n.name }))
    .sort((a, b) => a.hostPort - b.hostPort));
}

/** Published ports of a run. */
export interface PortPublisher {
  close(): void;
}

/**
 * Listen on 127.0.0.1 at every host port of `plan` and forward the connections into the
 * hub's namespaces (`hubPid`). Resolves when every port listens (nothing when there are
 * none). Throws VaggaError `network.setup-failed` naming the port and child when a port
 * cannot be bound (in use, or privileged); nothing is left listening then.
 */
export async function publishPorts(plan: BridgePlan, hubPid: number): Promise<PortPublisher> {
  const forwards = portForwards(plan);
  if (forwards.length === 0) return { close() {} };
  const seen = new Map<number, string>();
  for (const f of forwards) {
    const other = seen.get(f.hostPort);
    if (other !== undefined) throw new VaggaError(`Host port ${f.hostPort} is published by both child ${JSON.stringify(other)} and child ${JSON.stringify(f.child)}`, { code: 'network.setup-failed' });
    seen.set(f.hostPort, f.child);
  }
  const forwarder: ChildProcess = spawn(findTool('setpriv'), ['--pdeathsig', 'KILL', findTool('nsenter'), '--user', '--net', '--target', String(hubPid), '--', process.execPath, '-e', FORWARDER_CODE], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
  });
  forwarder.on('error', () => {});
  const servers: Server[] = [];
  const close = (): void => {
    for (const s of servers) s.close();
    if (forwarder.connected) forwarder.disconnect();
    if (forwarder.exitCode === null && forwarder.signalCode === null) forwarder.kill('SIGKILL');
  };
  try {
    for (const f of forwards) {
      const server = createServer({ pauseOnConnect: true }, (socket) => {
        if (!forwarder.connected) return socket.destroy();
        forwarder.send({ ip: f.ip, port: f.port }, socket);
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', (err: NodeJS.ErrnoException) => reject(new VaggaError(`Port ${f.hostPort} of child ${JSON.stringify(f.child)} cannot be published on 127.0.0.1: ${err.code ?? err.message}`, {
          code: 'network.setup-failed',
          hint: err.code === 'EADDRINUSE' ? 'Another program listens on that port; stop it or change the port in vagga.yaml.' : undefined,
        })));
        server.listen(f.hostPort, '127.0.0.1', () => resolve());
      });
      servers.push(server);
    }
  } catch (err) {
    close();
    throw err;
  }
  return { close };
}
