/**
 * What `vagga _run` and `!Command` ask run-in-container.ts to start (inventory §2.7): the
 * container, the program and its environment, volumes and user ids.
 */
import type { ContainerConfig, Volume } from '../config/model.js';
import type { Pos } from '../config/qnode.js';
import type { TcpAddress } from '../sandbox/tcp-socket.js';
import type { NetworkJoin } from '../sandbox/types.js';

/** Everything needed to start the process. */
export interface ContainerProcess {
  container: ContainerConfig;
  /** Host path of the built root filesystem. */
  rootfs: string;
  /** argv before lookup: argv[0] without `/` is searched in `searchPath` inside the rootfs. */
  argv: string[];
  /** Where argv[0] is looked up (the default PATH for `_run`, the env PATH for `!Command`). */
  searchPath: string;
  /** Complete environment of the process. */
  env: Record<string, string>;
  /** Working directory inside the container. */
  cwd: string;
  /** Command volumes (override the container's at the same path). */
  commandVolumes: Record<string, Volume>;
  /** Where the command volumes are declared, and the command's name (for messages). */
  commandVolumePositions?: Record<string, Pos>;
  commandName?: string;
  /** Loopback-only network (`isolate-network`, `--isolate-network`). */
  isolateNetwork: boolean;
  /** Join this isolated network (src/network/: `--publish`, `--network-outbound`) instead. */
  joinNetwork?: NetworkJoin;
  /** uid/gid inside the container (`user-id`/`group-id`); 0 = the invoking user. */
  userId?: number;
  groupId?: number;
  /** `supplementary-gids` and `external-user-id` (user-ids.ts). */
  supplementaryGids?: number[];
  externalUserId?: number;
  /** Run on a throwaway hard-linked writable copy of the root (`write-mode`, `_run -W`; transient-root.ts). */
  writable?: boolean;
  /** Internal: `rootfs` is such a copy already, mount it read-write. */
  writableRoot?: boolean;
  /** Roots of the containers used by `!Container`/`!Snapshot` volumes, built before the run (running never builds). */
  containerRoots?: Record<string, string>;
  /** `pass-tcp-socket`: bind this address and hand the listening socket to the command as fd 3 (sandbox/tcp-socket.ts). */
  passTcpSocket?: TcpAddress;
}
