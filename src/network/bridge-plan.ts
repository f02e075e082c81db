/**
 * The address plan of a `!Supervise` run whose children have `network:` (Vagga's network
 * testing, vagga-inventory.md §1.6 command fields, §2.9, §2.12): pure, so it is unit-tested.
 *
 * Vagga's layout, kept: every `network:` child ("node") has its own network namespace with
 * the fixed IPv4 address from vagga.yaml, all nodes sit on one bridge whose own address is
 * 172.23.0.254 (Vagga's bridge-node address, src/network/iptables.rs), and `!BridgeCommand`
 * children run in the bridge's namespace, so they reach every node whatever the partition.
 * Unlike Vagga the bridge lives in a user + network namespace the user creates for the run
 * (bridge-hub.ts), so no `vagga _create_netns` (sudo) step exists.
 */
import type { CommandConfig } from '../config/model.js';
import { VaggaError } from '../errors/vagga-error.js';

/** The bridge's own address: Vagga's bridge node, reachable from every child. */
export const BRIDGE_IP = '172.23.0.254';
/** The prefix length of the children's network (Vagga's 172.23.0.0/16). */
export const PREFIX_LENGTH = 16;
/** The network every child address must be in. */
export const SUBNET = '172.23.0.0/16';
/** The name the bridge node has in the children's /etc/hosts. */
export const BRIDGE_HOSTNAME = 'vagga-bridge';

/** One `network:` child. */
export interface NetworkNode {
  name: string;
  ip: string;
  /** `network.hostname`, default the child's name (Vagga). */
  hostname: string;
  /** `network.ports` (host port → container port), as written. */
  ports: Record<string, number>;
}

/** The plan of one networked supervise run. */
export interface BridgePlan {
  /** The selected `network:` children, by name. */
  nodes: NetworkNode[];
  /** The selected `!BridgeCommand` children, by name. */
  bridges: string[];
}

/** Parse dotted-quad IPv4 text into its four octets; undefined when it is not one. */
export function parseIpv4(text: string): number[] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  return octets.every((o, i) => o <= 255 && String(o) === m[i + 1]) ? octets : undefined;
}

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

function bad(child: string, what: string, hint?: string): VaggaError {
  return new VaggaError(`Child ${JSON.stringify(child)}: ${what}`, { code: 'network.bad-address', hint });
}

/**
 * The plan for the `selected` children of a supervise command, or undefined when none of
 * them has `network:` or is a `!BridgeCommand` (the run shares the host's network, as
 * before). `isolateNetwork`: the supervise command's own `isolate-network` or
 * `--isolate-network`. Throws VaggaError: `network.isolated-conflict` (Vagga's message
 * `Isolated network is forbidden in conjunction with network options inside supervised
 * commands`) when isolation meets network children or a child asks for `isolate-network`
 * itself; `network.bad-address` (126) for a missing or malformed `ip`, an address outside
 * 172.23.0.0/16, the bridge's own, the network's or broadcast address, an address or
 * hostname used twice, or a hostname that is not a DNS name.
 */
export function planBridgeNetwork(children: Record<string, CommandConfig>, selected: readonly string[], isolateNetwork: boolean): BridgePlan | undefined {
  const nodes: NetworkNode[] = [];
  const bridges: string[] = [];
  for (const name of [...selected].sort()) {
    const child = children[name];
    if (child.bridge) bridges.push(name);
    else if (child.network !== undefined) {
      const { ip, hostname = name, ports } = child.network;
      if (ip === undefined) throw bad(name, '`network` needs an `ip` (e.g. `ip: 172.23.0.1`)');
      const octets = parseIpv4(ip);
      if (!octets) throw bad(name, `${JSON.stringify(ip)} is not an IPv4 address`);
      if (octets[0] !== 172 || octets[1] !== 23) throw bad(name, `${ip} is not in ${SUBNET}`, `The children's addresses are in ${SUBNET}, as in Vagga.`);
      if (ip === BRIDGE_IP) throw bad(name, `${ip} is the bridge's own address`, `Use another address in ${SUBNET}.`);
      if ((octets[2] === 0 && octets[3] === 0) || (octets[2] === 255 && octets[3] === 255)) throw bad(name, `${ip} is the network's or its broadcast address`);
      if (!HOSTNAME.test(hostname)) throw bad(name, `hostname ${JSON.stringify(hostname)} is not a valid host name`);
      nodes.push({ name, ip, hostname, ports: { ...ports } });
    }
  }
  if (nodes.length === 0 && bridges.length === 0) return undefined;
  const conflict = isolateNetwork || [...nodes.map((n) => n.name), ...bridges].some((n) => children[n].isolateNetwork);
  if (conflict) {
    throw new VaggaError('Isolated network is forbidden in conjunction with network options inside supervised commands', { code: 'network.isolated-conflict' });
  }
  const seen = new Map<string, string>();
  for (const n of nodes) {
    for (const key of [n.ip, n.hostname.toLowerCase()]) {
      const other = seen.get(key);
      if (other !== undefined && other !== n.name) throw bad(n.name, `${key} is also used by child ${JSON.stringify(other)}`);
      seen.set(key, n.name);
    }
  }
  if (seen.has(BRIDGE_HOSTNAME)) throw bad(seen.get(BRIDGE_HOSTNAME)!, `hostname ${BRIDGE_HOSTNAME} is the bridge's`);
  return { nodes, bridges };
}

/**
 * The /etc/hosts every child of the run sees: localhost, the bridge node
 * (`vagga-bridge`) and each node's hostname (and its child name when that differs).
 */
export function hostsFile(plan: BridgePlan): string {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', `${BRIDGE_IP}\t${BRIDGE_HOSTNAME}`];
  for (const n of plan.nodes) {
    const names = n.hostname === n.name ? [n.hostname] : [n.hostname, n.name];
    const free = names.filter((x) => x === n.hostname || !plan.nodes.some((o) => o !== n && o.hostname === x));
    lines.push(`${n.ip}\t${free.join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}
