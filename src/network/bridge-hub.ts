/**
 * The rootless network of a `!Supervise` run with `network:` children (bridge-plan.ts):
 * a "hub" process that owns a new user namespace (the run's uid/gid maps, like a sandbox's)
 * and network namespace holding a bridge (`vagga`, 172.23.0.254/16), and one network
 * namespace per node, joined to the bridge by a veth pair (`vgN` on the bridge, `eth0` in
 * the node) and holding the node's fixed address. Host tools do the work inside the
 * namespaces (iproute2 `ip`, util-linux `unshare`/`nsenter`/`setpriv`); vagga writes no
 * C and needs no privilege: the user owns every namespace (user_namespaces(7)).
 *
 *   node ─ setpriv --pdeathsig KILL unshare --user <maps> --net --fork --kill-child
 *            └─ sh -s (the hub: root of the user namespace, reads its commands from vagga)
 *                 └─ setpriv --pdeathsig KILL sh -c 'check parent; exec unshare --net --uts sleep infinity'
 *                      (one per node)
 *
 * Each node's namespace gets a default route via the bridge and, as in Vagga, its own UTS
 * namespace with the node's hostname.
 * A child joins with `nsenter --user --net --uts` of /proc/PID/ns (bwrap.ts, SandboxSpec
 * joinNetwork): a node the namespaces of its holder, a `!BridgeCommand` the hub's. Its
 * bwrap then runs in the hub's user namespace (no user namespace of its own: it keeps the
 * run's maps, measured: uid_map `0 UID 1 / 1 SUBUID 65535` inside).
 *
 * Partitions (partition.ts) are prohibit routes in routing table 100 of each node, looked up
 * before the main table: a cut peer's address is unreachable at once (connect: EACCES).
 * The children's commands cannot undo them: bwrap drops their capabilities.
 *
 * No leaks: if vagga dies (even SIGKILL), setpriv's parent-death signal kills unshare,
 * whose --kill-child kills the hub shell, whose death kills each holder (their parent-death
 * signal, armed before each holder checks that its parent is still the hub); the hub shell
 * also exits when its stdin (vagga's pipe) reaches EOF, so a vagga that dies before
 * setpriv armed the hub's own parent-death signal still takes it along. The namespaces
 * go with their last process. close() does the same at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { VaggaError } from '../errors/vagga-error.js';
import { findTool } from '../sandbox/tools.js';
import { unshareMapsFor } from '../sandbox/unshare-maps.js';
import type { IdMapping } from '../sandbox/types.js';
import { BRIDGE_IP, PREFIX_LENGTH, type BridgePlan } from './bridge-plan.js';
import type { CutLinks } from './partition.js';

/** The routing table the partition routes live in. */
export const PARTITION_TABLE = 100;

/** A running hub. */
export interface BridgeHub {
  /** The host pid of the hub shell (its user and network namespaces hold the bridge). */
  hubPid: number;
  /** The host pid whose user and network namespaces child `name` joins (a node's holder; the hub for bridge children). */
  joinPid(name: string): number;
  /** Let the hub's namespace forward packets (net.ipv4.ip_forward there): the children's way out through pasta. */
  enableForwarding(): Promise<void>;
  /** Replace the partition: each node's cut peers become unreachable, every other link works. */
  applyCuts(cut: CutLinks): Promise<void>;
  /** Stop the hub (its holders and namespaces go with it). Idempotent. */
  close(): void;
}

/** Single-quote `s` for sh. */
function q(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The hub's setup script (sh): bridge, then per node a holder, a veth pair and its address. Prints `@hub PID` and `@node NAME PID`. */
export function hubSetupScript(plan: BridgePlan): string {
  const lines = [
    'exec 2>&1',
    'set -e',
    'self=$(readlink /proc/self/ns/net)',
    'ip link set lo up',
    'ip link add vagga type bridge',
    `ip addr add ${BRIDGE_IP}/${PREFIX_LENGTH} dev vagga`,
    'ip link set vagga up',
    'echo "@hub $$"',
  ];
  plan.nodes.forEach((n, i) => {
    lines.push(
      // The parent check after the parent-death signal is armed closes the window in which
      // the hub could die first (the holder would then have been reparented).
      `setpriv --pdeathsig KILL sh -c '[ "$PPID" = "$1" ] || exit 1; exec unshare --net --uts sleep infinity' sh $$ </dev/null >/dev/null &`,
      'p=$!',
      // Wait (bounded) until the holder has its own network namespace.
      'n=0; while [ "$(readlink /proc/$p/ns/net 2>/dev/null || true)" = "$self" ]; do n=$((n+1)); if [ $n -gt 2000 ]; then echo "the network namespace of a child was not created"; exit 1; fi; sleep 0.005; done',
      `ip link add vg${i} type veth peer name eth0 netns $p`,
      `ip link set vg${i} master vagga up`,
      `printf '%s\\n' 'link set lo up' ${q(`addr add ${n.ip}/${PREFIX_LENGTH} dev eth0`)} 'link set eth0 up' 'route add default via ${BRIDGE_IP}' 'rule add pref 100 lookup ${PARTITION_TABLE}' | nsenter --net --target $p ip -batch -`,
      `nsenter --uts --target $p hostname ${q(n.hostname)}`,
      `echo "@node ${n.name} $p"`,
    );
  });
  lines.push('set +e', 'echo "@ready"');
  return `${lines.join('\n')}\n`;
}

/** The `ip -batch` lines that make a node's partition table hold exactly `peers` (addresses) as prohibit routes. */
export function cutBatch(peers: readonly string[]): string[] {
  return [`route flush table ${PARTITION_TABLE}`, ...[...peers].sort().map((ip) => `route add prohibit ${ip}/32 table ${PARTITION_TABLE}`)];
}

/**
 * Start the hub for `plan` with the run's id `mapping` (the same maps a sandbox would get;
 * src/sandbox/idmap.ts). Resolves once the bridge and every node's namespace are ready.
 * Throws VaggaError `network.setup-failed` (121) when the namespaces cannot be set up (the
 * output of the failing tool in the message), MissingToolError when a host tool is missing.
 */
export async function startBridgeHub(plan: BridgePlan, mapping: IdMapping): Promise<BridgeHub> {
  const unshare = findTool('unshare');
  const setpriv = findTool('setpriv');
  findTool('ip');
  findTool('nsenter');
  const maps = unshareMapsFor(unshare, mapping);
  if (!maps) {
    throw new VaggaError('The network of the children cannot be set up: util-linux unshare cannot install the uid/gid maps of this user', {
      code: 'network.setup-failed',
      hint: 'Children with `network:` need an ordinary user (not root) with a range in /etc/subuid and /etc/subgid, and util-linux 2.38 or newer.',
    });
  }
  const child: ChildProcess = spawn(setpriv, ['--pdeathsig', 'KILL', unshare, '--user', ...maps, '--net', '--uts', '--fork', '--kill-child', '--', '/bin/sh', '-s'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
  });
  child.stdin!.on('error', () => {});
  const output: string[] = [];
  const waiters: { prefix: string; resolve: (line: string) => void; reject: (e: Error) => void }[] = [];
  let ended: Error | undefined;
  const failure = (what: string): VaggaError => new VaggaError(`${what}${output.length ? `: ${output.join('; ')}` : ''}`, { code: 'network.setup-failed' });
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    const w = waiters[0];
    if (w && line.startsWith(w.prefix)) {
      waiters.shift();
      w.resolve(line);
    } else if (!line.startsWith('@')) output.push(line);
  });
  createInterface({ input: child.stderr! }).on('line', (line) => output.push(line));
  child.on('error', (err) => {
    ended = err;
  });
  child.on('exit', () => {
    ended ??= failure('The network namespaces of the children were lost');
    for (const w of waiters.splice(0)) w.reject(ended);
  });
  const expect = (prefix: string): Promise<string> => ended ? Promise.reject(ended) : new Promise((resolve, reject) => waiters.push({ prefix, resolve, reject }));

  const holders = new Map<string, number>();
  let hubPid = 0;
  const close = (): void => {
    child.stdin!.end();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  try {
    const hub = expect('@hub ');
    const nodes = plan.nodes.map((n) => expect(`@node ${n.name} `));
    const ready = expect('@ready');
    child.stdin!.write(hubSetupScript(plan));
    hubPid = Number((await hub).split(' ')[1]);
    for (const line of await Promise.all(nodes)) {
      const [, name, pid] = line.split(' ');
      holders.set(name, Number(pid));
    }
    await ready;
  } catch (err) {
    close();
    if (err instanceof VaggaError) throw err;
    throw failure(`The network namespaces of the children could not be set up (${(err as Error).message})`);
  }
  output.length = 0;
  const ipOf = new Map(plan.nodes.map((n) => [n.name, n.ip]));

  let queue: Promise<unknown> = Promise.resolve();
  return {
    hubPid,
    joinPid(name) {
      return holders.get(name) ?? hubPid;
    },
    enableForwarding() {
      const run = async (): Promise<void> => {
        output.length = 0;
        const done = expect('@fwd ');
        // The hub is root of its user namespace, which owns its network namespace, so this
        // per-namespace sysctl is writable (measured as an ordinary user).
        child.stdin!.write('if echo 1 >/proc/sys/net/ipv4/ip_forward; then echo "@fwd ok"; else echo "@fwd failed"; fi\n');
        if ((await done) !== '@fwd ok') throw new VaggaError(`Forwarding the children's packets could not be enabled${output.length ? `: ${output.join('; ')}` : ''}`, { code: 'network.setup-failed' });
      };
      const next = queue.then(run, run);
      queue = next.catch(() => {});
      return next;
    },
    applyCuts(cut) {
      const run = async (): Promise<void> => {
        const steps = plan.nodes.map((n) => {
          const peers = [...(cut.get(n.name) ?? [])].map((p) => ipOf.get(p)!).filter(Boolean);
          return `printf '%s\\n' ${cutBatch(peers).map(q).join(' ')} | nsenter --net --target ${holders.get(n.name)} ip -force -batch -`;
        });
        output.length = 0;
        const done = expect('@cut ');
        child.stdin!.write(`if ${steps.join(' && ') || 'true'}; then echo "@cut ok"; else echo "@cut failed"; fi\n`);
        const line = await done;
        if (line !== '@cut ok') throw new VaggaError(`Changing the network partition failed${output.length ? `: ${output.join('; ')}` : ''}`, { code: 'network.setup-failed' });
      };
      const next = queue.then(run, run);
      queue = next.catch(() => {});
      return next;
    },
    close,
  };
}
