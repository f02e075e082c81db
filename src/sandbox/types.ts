/**
 * What a sandbox run needs: the mount plan, the process to start and the namespaces.
 * Implemented by src/sandbox/bwrap.ts on top of bubblewrap (bwrap(1)) with uid/gid maps
 * written by newuidmap(1)/newgidmap(1).
 */
import type { MountPlan } from '../mounts/types.js';

/** One line of /proc/PID/uid_map: `inside outside count`. */
export interface IdMapEntry {
  inside: number;
  outside: number;
  count: number;
}

/** The uid and gid maps of a user namespace. */
export interface IdMapping {
  uids: IdMapEntry[];
  gids: IdMapEntry[];
  /**
   * True when the user has no /etc/subuid and /etc/subgid range, so only inside id 0 is
   * mapped (to the user). Steps that need more ids (apt, dpkg) call `requireSubIds`
   * (src/sandbox/idmap.ts), which fails with the exact `usermod` command to run.
   */
  singleId?: boolean;
  /** With `singleId`: the command that adds a free range for this user. */
  subIdFix?: string;
  /**
   * True inside a `!CapsuleCommand` (src/runtime/capsule.ts): vagga already is root of a user
   * namespace holding these ids, each mapped to itself, so sandboxes are made in that
   * namespace (no new user namespace, no map to write; src/sandbox/bwrap.ts).
   */
  inPlace?: boolean;
}

/**
 * The namespaces a sandbox joins instead of creating its own user namespace: paths of a
 * holder's /proc/PID/ns/user and ns/net (an isolated network, src/network/holder.ts; a child
 * of a networked !Supervise, src/network/bridge-hub.ts, which also has its own UTS namespace
 * for its hostname).
 */
export interface NetworkJoin {
  userns: string;
  netns: string;
  /** The holder's ns/uts, when the sandbox's hostname is the holder's. */
  utsns?: string;
}

export interface SandboxSpec {
  mounts: MountPlan;
  /** Program and arguments; argv[0] is resolved inside the sandbox. */
  argv: string[];
  /** The complete environment of the process (nothing is inherited). */
  env: Record<string, string>;
  /** Working directory inside the sandbox. */
  cwd: string;
  idMapping: IdMapping;
  /** Keep all capabilities for root inside (builds): bwrap --cap-add ALL. */
  allCaps: boolean;
  /**
   * With `allCaps`: capabilities dropped again (bwrap --cap-drop, e.g. `CAP_SYS_ADMIN` for
   * commands, so that root inside cannot remount a read-only bind writable: the mounts are
   * made in the command's own user namespace, so the kernel does not lock them).
   */
  dropCaps?: readonly string[];
  /** Share the host network (default true); false gives loopback only. */
  shareNet: boolean;
  /**
   * Join these namespaces (nsenter) instead of creating a user namespace: the sandbox shares
   * the network of every other sandbox joining them, and the holder's uid/gid maps
   * (`idMapping` must be the same). `shareNet` is then ignored.
   */
  joinNetwork?: NetworkJoin;
  /** Run a minimal init as pid 1 that forwards signals and hands over the tty (catatonit). */
  init: boolean;
  /** Extra file descriptors to pass (index 3 upwards in the child), e.g. a listening socket. */
  extraFds?: number[];
  /**
   * Called synchronously right before and right after the launcher is spawned (after also
   * when the spawn throws); `before` may throw to abort the start. Used by pass-tcp-socket
   * (tcp-socket.ts) to listen only in that tick, so vagga's event loop never accepts.
   */
  aroundSpawn?: { before(): void; after(): void };
  /**
   * Where the child's stdout goes: 'inherit' (default), 'stderr' (builds keep stdout clean),
   * 'null' (readiness probes) or 'pipe' (a stream vagga reads: startSandbox's `stdout`, e.g.
   * the tar of a container root for an image export, src/image/).
   */
  stdout?: 'inherit' | 'stderr' | 'null' | 'pipe';
  /** Where the child's stderr goes: 'inherit' (default) or 'null' (readiness probes). */
  stderr?: 'inherit' | 'null';
  /** stdin: 'inherit' (default), 'null' (builds) or 'pipe' (a stream vagga writes: startSandbox's `stdin`, e.g. an image layer for tar). */
  stdin?: 'inherit' | 'null' | 'pipe';
}

/** How a sandboxed process ended. */
export interface SandboxResult {
  /** Exit status in shell convention: the code, or 128+N when killed by signal N. */
  status: number;
  /** Signal name when the process was killed by a signal. */
  signal?: string;
}
