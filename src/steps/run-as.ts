/**
 * `!RunAs {script, user-id: 0, group-id: 0, supplementary-gids: [], external-user-id,
 * work-dir: /work, isolate-network: false}` (vagga-inventory.md §1.4, §2.5, §2.12): run
 * `/bin/sh -exc <script>` in the container being built as another user.
 *
 * How: the step sandbox (nested bwrap, namespace root with all capabilities) starts the
 * host's util-linux `setpriv --reuid U --regid G --groups ...|--clear-groups` (setpriv(1)),
 * which drops to the ids and execs the container's /bin/sh; setpriv is run through the
 * host's loader (src/steps/run-as/host-exec.ts) so any container works, even one without
 * a C library. The ids are ids of the container's user namespace, so files the script
 * creates belong to them (and to the matching subuid on the host).
 * `external-user-id: E`: like Vagga, a nested user namespace maps `user-id` inside to E
 * outside, gids identity: setpriv switches to E, then util-linux
 * `unshare --user --map-user U --map-group G` (unshare(1)) makes the namespace.
 * `work-dir` is relative to /work unless absolute. `isolate-network`: the sandbox gets its own network namespace with only `lo` up
 * (bwrap --unshare-net), so `ip link` shows one interface, as in Vagga's test.
 * Hash (unchanged from Vagga): `user_id`, `group_id`, opt `external_user_id`,
 * `supplementary_gids`, `work_dir`, `isolate_network`, `script`.
 */
import { bool, def, int, list, opt, str, struct, type Out } from '../config/schema.js';
import { workDir } from '../config/container-path.js';
import { rustJoin } from '../version/paths.js';
import { hostExec, type HostExec } from './run-as/host-exec.js';
import type { StepDef } from './step.js';

const runAsSchema = struct({
  'user-id': def(int({ min: 0 }), 0),
  'group-id': def(int({ min: 0 }), 0),
  'supplementary-gids': def(list(int({ min: 0 })), [] as number[]),
  'external-user-id': opt(int({ min: 0 })),
  'work-dir': def(workDir(), '/work'),
  'isolate-network': def(bool(), false),
  script: str(),
});

/** Validated `!RunAs` parameters. */
export type RunAsParams = Out<typeof runAsSchema>;

/**
 * The argv run in the step sandbox for `p` (pure given `exec`): setpriv to the ids (or to
 * `external-user-id`), optionally unshare for the nested user namespace, then
 * `/bin/sh -exc script`.
 */
export function runAsArgv(p: RunAsParams, exec: HostExec): string[] {
  const outerUid = p.externalUserId ?? p.userId;
  const groups = p.supplementaryGids.length > 0 ? [`--groups=${p.supplementaryGids.join(',')}`] : ['--clear-groups'];
  const argv = [...exec.argv('/usr/bin/setpriv'), `--reuid=${outerUid}`, `--regid=${p.groupId}`, ...groups, '--'];
  if (p.externalUserId !== undefined) {
    argv.push(...exec.argv('/usr/bin/unshare'), '--user', `--map-user=${p.userId}`, `--map-group=${p.groupId}`, '--');
  }
  argv.push('/bin/sh', '-exc', p.script);
  return argv;
}

const runAs: StepDef<RunAsParams> = {
  tag: 'RunAs',
  schema: runAsSchema,
  hash(p, d) {
    d.field('user_id', p.userId);
    d.field('group_id', p.groupId);
    d.optField('external_user_id', p.externalUserId);
    d.list('supplementary_gids', p.supplementaryGids);
    d.field('work_dir', p.workDir);
    d.field('isolate_network', p.isolateNetwork);
    d.field('script', p.script);
  },
  async build(p, ctx) {
    const exec = hostExec();
    await ctx.run(runAsArgv(p, exec), { cwd: rustJoin('/work', p.workDir), extraMounts: exec.mounts, isolateNetwork: p.isolateNetwork });
  },
};

/** The `!RunAs` step. */
export const steps: StepDef<any>[] = [runAs];
