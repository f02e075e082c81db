/**
 * An isolated network shared by the sandboxes of one run (issue 11 parts 1 and 3): a new
 * network namespace with only `lo` (holder.ts), joined by every sandbox of the run (a
 * `!Supervise` with `isolate-network`, its readiness probes included), plus pasta (pasta.ts)
 * when ports are published (`--publish`) or outbound access is asked for
 * (`--network-outbound`). Everything goes with the run: close() ends pasta and the holder,
 * and vagga's death (SIGKILL included) ends them through their parent-death signals and the
 * holder's control socket.
 */
import type { ContainerConfig } from '../config/model.js';
import { VaggaError } from '../errors/vagga-error.js';
import { idMappingFor } from '../sandbox/idmap.js';
import { findTool } from '../sandbox/tools.js';
import type { IdMapping, NetworkJoin } from '../sandbox/types.js';
import { startNetworkHolder } from './holder.js';
import { startPasta, type Pasta } from './pasta.js';
import type { PublishedPort } from './ports.js';
import { checkTun } from './tun.js';

/** What a run asks of its isolated network beyond loopback. */
export interface NetworkRequest {
  /** `--publish` ports (host loopback to the namespace). */
  publish: PublishedPort[];
  /** `--network-outbound`: connections from the namespace to the outside (pasta's NAT). */
  outbound: boolean;
}

/** True when `request` needs pasta (a published port or outbound access). Pure. */
export function needsPasta(request: NetworkRequest): boolean {
  return request.publish.length > 0 || request.outbound;
}

/** The options that asked for pasta, for messages (`--publish`, `--network-outbound`). Pure. */
export function pastaFeatures(request: NetworkRequest): string {
  return [request.publish.length > 0 ? '--publish' : '', request.outbound ? '--network-outbound' : ''].filter(Boolean).join(' and ');
}

/**
 * The checks made before anything is built or started: nsenter and ip exist, and when pasta
 * is needed, pasta exists and /dev/net/tun is usable (tun.ts). Throws MissingToolError or
 * VaggaError `network.tun-unusable`.
 */
export function checkNetworkRequest(request: NetworkRequest): void {
  findTool('nsenter');
  findTool('ip');
  if (!needsPasta(request)) return;
  findTool('pasta');
  checkTun(pastaFeatures(request));
}

/**
 * The one uid/gid mapping the sandboxes of an isolated network share (they all join the
 * holder's user namespace): that of `containers`' `uids`/`gids`. Throws VaggaError
 * `command.not-supported` when they differ.
 */
export function sharedMapping(containers: readonly ContainerConfig[]): IdMapping {
  const [first, ...rest] = containers;
  const mapping = idMappingFor(first!.uids, first!.gids);
  for (const c of rest) {
    const other = idMappingFor(c.uids, c.gids);
    if (JSON.stringify(other) !== JSON.stringify(mapping)) {
      throw new VaggaError(`Containers ${JSON.stringify(first!.name)} and ${JSON.stringify(c.name)} map different uids/gids, so their commands cannot share an isolated network (not supported by this version yet)`, {
        code: 'command.not-supported',
      });
    }
  }
  return mapping;
}

/** A running isolated network. */
export interface IsolatedNetwork {
  /** What each sandbox of the run joins (SandboxSpec.joinNetwork). */
  join: NetworkJoin;
  /** End pasta and the holder (idempotent). */
  close(): Promise<void>;
}

/**
 * Create the namespaces (user namespace with `mapping`, network namespace with `lo` up) and,
 * when `request` needs it, attach pasta. Rejects like startNetworkHolder and startPasta;
 * nothing is left running on failure.
 */
export async function openIsolatedNetwork(mapping: IdMapping, request: NetworkRequest): Promise<IsolatedNetwork> {
  const holder = await startNetworkHolder(mapping);
  let pasta: Pasta | undefined;
  if (needsPasta(request)) {
    try {
      pasta = await startPasta(holder.join, request.publish, request.outbound);
    } catch (err) {
      await holder.close();
      throw err;
    }
  }
  let closing: Promise<void> | undefined;
  return {
    join: holder.join,
    close: () => (closing ??= (async () => {
      await pasta?.close();
      await holder.close();
    })()),
  };
}

/** Run `fn` with an isolated network open (openIsolatedNetwork), closing it however `fn` ends. */
export async function withIsolatedNetwork<T>(mapping: IdMapping, request: NetworkRequest, fn: (join: NetworkJoin) => Promise<T>): Promise<T> {
  const net = await openIsolatedNetwork(mapping, request);
  try {
    return await fn(net.join);
  } finally {
    await net.close();
  }
}
