/**
 * `!Container name` (vagga-inventory.md §1.4, §2.1): start from a copy of another built
 * container. Build: copy the parent's root into the root being built preserving owners,
 * modes, links, times and xattrs (GNU `cp -a`, run inside the builder sandbox where the
 * user namespace makes every owner representable), then replay every setup step of the
 * parent (recursively through its own `!Container`) so context such as `!Env` values,
 * cache dirs, finish paths and the active distribution carries over.
 * Hash: the marker, then the parent's setup steps inlined, each with its own marker.
 */
import { str } from '../config/schema.js';
import type { BuildContext, StepDef, StepRegistry } from './step.js';
import { spawnHost } from '../sandbox/host-spawn.js';

/**
 * Replay the setup steps of container `name` into `ctx` (context only, nothing is built),
 * each by its definition in `registry`. Throws when the build context cannot list that
 * container's steps.
 */
export function replayContainer(registry: StepRegistry, name: string, ctx: BuildContext, seen: string[] = []): void {
  if (seen.includes(name)) throw new Error(`Container ${JSON.stringify(name)} has cyclic dependency`);
  if (!ctx.containerSteps) throw new Error(`!Container: the steps of container ${JSON.stringify(name)} are not available to this build`);
  for (const step of ctx.containerSteps(name)) {
    if (step.tag === 'Container') replayContainer(registry, step.params as string, ctx, [...seen, name]);
    else registry.get(step.tag)?.replay?.(step.params, ctx);
  }
}

/** Run GNU `cp -a <from>/. <to>` (stderr passed through). Rejects on failure. */
function copyTree(from: string, to: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawnHost('cp', ['-a', '--', `${from}/.`, to], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', (e) => reject(new Error(`!Container: can't run cp: ${e.message}`)));
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`!Container: copying ${JSON.stringify(from)} failed (${signal ?? `exit code ${code}`})`));
    });
  });
}

/** The `!Container` step, replaying the parent's steps through `registry`. */
export const containerStepDefs = (registry: StepRegistry): StepDef<any>[] => [{
  tag: 'Container',
  schema: str(),
  hashReadsOnlyParams: true,
  hash(name, digest, ctx) {
    ctx.inlineSteps(name, digest);
  },
  dependsOn: (name) => [name],
  async build(name, ctx) {
    await copyTree(ctx.containerRoot(name), ctx.root);
    replayContainer(registry, name, ctx);
  },
  replay(name, ctx) {
    replayContainer(registry, name, ctx);
  },
} satisfies StepDef<string>];
