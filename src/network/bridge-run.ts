/**
 * One networked `!Supervise` run (bridge-plan.ts): starts the hub (bridge-hub.ts) and the
 * `vagga _network` control (bridge-control.ts) in a private temporary directory, publishes
 * the children's `ports` on the host's loopback (bridge-ports.ts), and turns
 * each child's sandbox spec into one that runs in the child's namespaces with the run's
 * /etc/hosts and the `vagga` client on its PATH. src/supervise/run.ts uses it.
 *
 * Outbound access (`--network-outbound`, as Vagga's gateway NAT did): pasta is attached to
 * the hub's namespaces with its own address (HUB_OUTSIDE: 10.0.2.15/24 via 10.0.2.2, not the
 * host's, which the children could then not reach) and the hub forwards (ip_forward in its
 * namespace). The nodes already route via the bridge (172.23.0.254), so their packets go
 * hub → pasta → a socket of the host; pasta takes them whatever their source address
 * (measured: no NAT rule, nft or iptables, is needed). `!BridgeCommand` children are in the
 * hub's namespace and use pasta directly.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { maxIdMapping } from '../sandbox/idmap.js';
import type { SandboxSpec } from '../sandbox/types.js';
import { DEFAULT_PATH } from '../runtime/environment.js';
import { hostsFile, type BridgePlan } from './bridge-plan.js';
import { CONTROL_DIR, serveControl, type ControlAnswer } from './bridge-control.js';
import { startBridgeHub, type BridgeHub } from './bridge-hub.js';
import { publishPorts, type PortPublisher } from './bridge-ports.js';
import { startPasta, type Pasta, type PastaAddress } from './pasta.js';
import { NETWORK_USAGE, planPartition } from './partition.js';
import { RUN_USAGE, runInNode } from './bridge-exec.js';
import { removeDeadRunDirs } from './stale-dirs.js';

/** A started network for one supervise run. */
export interface BridgeRun {
  /** `spec` of child `name`, changed to run in its namespaces (see the module comment). */
  adjust(name: string, spec: SandboxSpec): SandboxSpec;
  /** Stop the hub and the control, remove the temporary directory. Idempotent. */
  close(): void;
}

/**
 * Answer one `vagga _network ARGS` request for the run's `nodes` by applying the partition
 * through `apply`: usage for `-h`/`--help` (stdout, 0) and without a kind (stderr, 122);
 * `run ARGS` is answered by `runCommand` (bridge-exec.ts; 121 without one); errors of
 * partition.ts exit 1 with their message.
 */
export async function answerNetworkRequest(args: readonly string[], nodes: readonly string[], apply: (cut: ReturnType<typeof planPartition>) => Promise<void>, runCommand?: (args: string[]) => Promise<ControlAnswer>): Promise<ControlAnswer> {
  const [kind, ...rest] = args;
  if (kind === 'run' && runCommand) {
    // The command's own options (-h included) are its own; only `run -h` asks for the usage.
    if (rest[0] === '-h' || rest[0] === '--help') return { stdout: RUN_USAGE, status: 0 };
    return runCommand(rest);
  }
  if (kind === '-h' || kind === '--help' || rest.includes('-h') || rest.includes('--help')) return { stdout: NETWORK_USAGE, status: 0 };
  if (kind === undefined) return { stderr: NETWORK_USAGE, status: 122 };
  if (kind === 'run') return { stderr: '`vagga _network run` cannot be answered here\n', status: 121 };
  try {
    await apply(planPartition(kind, rest, nodes));
    return { status: 0 };
  } catch (err) {
    return { stderr: `${(err as Error).message}\n`, status: 1 };
  }
}

/** The hub's side of pasta's link with --network-outbound (slirp4netns' customary addresses). */
export const HUB_OUTSIDE: PastaAddress = { address: '10.0.2.15', prefixLength: 24, gateway: '10.0.2.2' };

/** What a networked run asks for beyond its own network. */
export interface BridgeRunOptions {
  /** `--network-outbound`: the children may connect out (pasta on the hub). */
  outbound?: boolean;
}

/** The prefix of a run's temporary directory: `vagga-net-<vagga's pid>-`. */
const DIR_PREFIX = 'vagga-net-';

/**
 * Remove the temporary directories (in `base`, owned by this user) of networked runs whose
 * vagga is gone (killed with SIGKILL: it could not clean up). Errors are ignored.
 */
export function removeStaleRunDirs(base: string = tmpdir(), alive?: (pid: number) => boolean): void {
  removeDeadRunDirs(base, DIR_PREFIX, alive);
}

/**
 * Start the network of `plan` (the uid/gid maps are the user's widest, maxIdMapping, which
 * the children's sandboxes then share), with pasta for outbound access when `options.outbound`
 * (the caller checked /dev/net/tun first, tun.ts). Throws what startBridgeHub and startPasta
 * throw; nothing is left running or on disk when it does.
 */
export async function startBridgeRun(plan: BridgePlan, options: BridgeRunOptions = {}): Promise<BridgeRun> {
  removeStaleRunDirs();
  const dir = mkdtempSync(join(tmpdir(), `${DIR_PREFIX}${process.pid}-`));
  const hosts = join(dir, 'hosts');
  writeFileSync(hosts, hostsFile(plan), { mode: 0o644 });
  const names = plan.nodes.map((n) => n.name);
  let hub: BridgeHub | undefined;
  let control: ReturnType<typeof serveControl> | undefined;
  let ports: PortPublisher | undefined;
  let pasta: Pasta | undefined;
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    ports?.close();
    void pasta?.close();
    control?.close();
    hub?.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    hub = await startBridgeHub(plan, maxIdMapping());
    const h = hub;
    ports = await publishPorts(plan, h.hubPid);
    if (options.outbound) {
      await h.enableForwarding();
      pasta = await startPasta({ userns: `/proc/${h.hubPid}/ns/user`, netns: `/proc/${h.hubPid}/ns/net` }, [], true, HUB_OUTSIDE);
    }
    const targets = {
      holderOf: (name: string) => (names.includes(name) ? h.joinPid(name) : undefined),
      isChild: (name: string) => plan.bridges.includes(name),
    };
    control = serveControl(join(dir, 'ctl'), (args, request) => answerNetworkRequest(args, names, (cut) => h.applyCuts(cut), (rest) => runInNode(rest, request.replyPath, targets)));
  } catch (err) {
    close();
    throw err;
  }
  const joined = hub;
  return {
    adjust(name, spec) {
      const pid = joined.joinPid(name);
      const mounts = spec.mounts.map((op) => (op.kind === 'bind' && op.source === '/etc/hosts' ? { ...op, source: hosts } : op));
      mounts.push({ kind: 'bind', source: join(dir, 'ctl'), dest: CONTROL_DIR, readOnly: false });
      return {
        ...spec,
        mounts,
        shareNet: true,
        joinNetwork: { userns: `/proc/${pid}/ns/user`, netns: `/proc/${pid}/ns/net`, utsns: `/proc/${pid}/ns/uts` },
        idMapping: maxIdMapping(),
        env: { ...spec.env, PATH: `${spec.env.PATH ?? DEFAULT_PATH}:${CONTROL_DIR}` },
      };
    },
    close,
  };
}
