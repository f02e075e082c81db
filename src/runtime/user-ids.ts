/**
 * A command's `user-id`, `group-id`, `supplementary-gids` and `external-user-id`
 * (inventory §1.6, §2.5, §2.7). The run sandbox starts as root of the container's user
 * namespace; to run as other ids the command is prefixed with the host's util-linux
 * `setpriv --reuid U --regid G --groups ...|--clear-groups --` (setpriv(1)), started through
 * the host's dynamic loader (src/steps/run-as/host-exec.ts, the same mechanism as `!RunAs`)
 * so it works in any container, even one without a C library.
 *
 * `external-user-id: E`: like Vagga, a nested user namespace maps `user-id` (inside) to E
 * (an id of the container's namespace; 0 is the invoking host user), gids identity:
 * setpriv switches to E, then util-linux `unshare --user --map-user U --map-group G`
 * (unshare(1)) creates the namespace and execs the command. Files the command creates
 * belong to E outside.
 */
import type { MountOp } from '../mounts/types.js';
import { hostExec, type HostExec } from '../steps/run-as/host-exec.js';

/** The id fields of a command. */
export interface CommandIds {
  userId: number;
  groupId: number;
  supplementaryGids: readonly number[];
  externalUserId?: number;
}

/** Where the host's /usr is bound in the run sandbox: on bwrap's fresh /dev tmpfs, so nothing lands in volumes. */
export const RUN_HOST_USR_MOUNT = '/dev/.vagga-host-usr';

/** True when the ids differ from the default (root of the container, no extra groups). */
export function needsIdSwitch(ids: CommandIds): boolean {
  return ids.userId !== 0 || ids.groupId !== 0 || ids.supplementaryGids.length > 0 || ids.externalUserId !== undefined;
}

/**
 * The argv prefix that switches to `ids` before exec'ing the command (pure given `exec`):
 * setpriv to the ids (or to `external-user-id`), then, with `external-user-id`, unshare
 * for the nested user namespace. The command's argv follows the returned prefix.
 */
export function idSwitchPrefix(ids: CommandIds, exec: HostExec): string[] {
  const outerUid = ids.externalUserId ?? ids.userId;
  const groups = ids.supplementaryGids.length > 0 ? [`--groups=${ids.supplementaryGids.join(',')}`] : ['--clear-groups'];
  const argv = [...exec.argv('/usr/bin/setpriv'), `--reuid=${outerUid}`, `--regid=${ids.groupId}`, ...groups, '--'];
  if (ids.externalUserId !== undefined) {
    argv.push(...exec.argv('/usr/bin/unshare'), '--user', `--map-user=${ids.userId}`, `--map-group=${ids.groupId}`, '--');
  }
  return argv;
}

/**
 * The extra mounts and argv prefix to run a command as `ids` in the run sandbox, or
 * undefined when no switch is needed. Throws VaggaError (121) when the host's setpriv or
 * unshare is not under /usr (host-exec.ts).
 */
export function idSwitch(ids: CommandIds, exec: HostExec = hostExec(undefined, undefined, RUN_HOST_USR_MOUNT)): { mounts: MountOp[]; prefix: string[] } | undefined {
  if (!needsIdSwitch(ids)) return undefined;
  return { mounts: exec.mounts, prefix: idSwitchPrefix(ids, exec) };
}
