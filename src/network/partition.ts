/**
 * `vagga _network KIND NODE...` (Vagga's partition helpers, its src/network/: `fullmesh`,
 * `isolate`, `disjoint`, `split`): from the arguments and the run's nodes to the set of cut
 * links. Pure, so it is unit-tested; bridge-hub.ts applies the result.
 *
 * As in Vagga every kind is idempotent and total: the result replaces whatever partition was
 * in place (it describes the whole network, not a change), and the bridge node
 * (`!BridgeCommand` children, 172.23.0.254) is never cut off.
 * - `fullmesh`: every link up.
 * - `isolate A B`: A and B are cut from every other node and from each other.
 * - `disjoint A B -- C D`: clusters separated by `--`; each node must be named exactly once;
 *   links between clusters are cut.
 * - `split A B -- B C`: clusters that may share nodes; two named nodes keep their link when
 *   some cluster holds both; nodes not named are isolated.
 * A cut link is cut both ways (Vagga drops the packets at both ends, here a prohibit route
 * at each end makes a connection attempt fail at once with EACCES instead of hanging).
 */
import { VaggaError } from '../errors/vagga-error.js';

/** The partition kinds Vagga has (`run` is answered separately, bridge-exec.ts). */
export const PARTITION_KINDS = ['fullmesh', 'isolate', 'disjoint', 'split'] as const;

/** The usage text of `vagga _network` (printed for -h and for a missing kind). */
export const NETWORK_USAGE = `Usage:
    vagga _network fullmesh
    vagga _network isolate NODE...
    vagga _network disjoint NODE... [-- NODE...]...
    vagga _network split NODE... [-- NODE...]...
    vagga _network run NODE COMMAND [ARGS...]

Split the network of a running !Supervise command into partitions (run it
from one of its children). Every kind replaces the previous partition; the
!BridgeCommand children are never cut off.
    fullmesh   restore full connectivity
    isolate    cut the nodes off from all others and from each other
    disjoint   clusters separated by "--", each node named exactly once
    split      clusters separated by "--" that may share nodes; nodes not
               named are isolated
    run        run COMMAND in NODE's network namespace, in the file system
               of the child that asks (its output is shown when it ends)
`;

function fail(message: string): never {
  throw new VaggaError(message, { code: 'network.partition' });
}

/** Every node's cut peers (both directions listed), by node name; a node with none is absent. */
export type CutLinks = Map<string, Set<string>>;

/**
 * The cut links after `vagga _network KIND ...args` for `nodes` (the run's node names).
 * Throws VaggaError `network.partition` (exit 1) with Vagga's messages: `Unknown command
 * KIND`, `Node X does not exists` (isolate), `Node X does not exists or has no IP`,
 * `Duplicate node X (or it's IP)`, `Node X is missing. You may use 'split' command if you
 * want to skip some nodes` (disjoint), and for arguments to `fullmesh`.
 */
export function planPartition(kind: string, args: readonly string[], nodes: readonly string[]): CutLinks {
  const cut: CutLinks = new Map();
  const link = (a: string, b: string): void => {
    if (a === b) return;
    for (const [x, y] of [[a, b], [b, a]]) {
      if (!cut.has(x)) cut.set(x, new Set());
      cut.get(x)!.add(y);
    }
  };
  const isolate = (x: string): void => {
    for (const y of nodes) link(x, y);
  };
  switch (kind) {
    case 'fullmesh':
      if (args.length > 0) fail(`Unexpected argument ${JSON.stringify(args[0])}: fullmesh takes none`);
      return cut;
    case 'isolate':
      for (const n of args) {
        if (!nodes.includes(n)) fail(`Node ${n} does not exists`);
        isolate(n);
      }
      return cut;
    case 'disjoint':
    case 'split': {
      const clusters: string[][] = [[]];
      const named = new Set<string>();
      for (const a of args) {
        if (a === '--') {
          if (clusters[clusters.length - 1].length > 0) clusters.push([]);
          continue;
        }
        if (!nodes.includes(a)) fail(`Node ${a} does not exists or has no IP`);
        if (named.has(a) && kind === 'disjoint') fail(`Duplicate node ${a} (or it's IP)`);
        named.add(a);
        clusters[clusters.length - 1].push(a);
      }
      if (kind === 'disjoint') {
        const missing = [...nodes].sort().find((n) => !named.has(n));
        if (missing !== undefined) fail(`Node ${missing} is missing. You may use 'split' command if you want to skip some nodes`);
      }
      for (const n of nodes) if (!named.has(n)) isolate(n);
      const together = (a: string, b: string) => clusters.some((c) => c.includes(a) && c.includes(b));
      for (const a of named) for (const b of named) if (a !== b && !together(a, b)) link(a, b);
      return cut;
    }
    default:
      return fail(`Unknown command ${kind}`);
  }
}
