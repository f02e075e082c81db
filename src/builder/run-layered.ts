/**
 * A build in cached layers (issue 9; design: layers-and-images.md Part A §2.4, §5). Each
 * setup step, and the finish phase, runs on an overlay mounted at the root being built:
 * the lowers are the layers of the steps before it, the upper a fresh tmp dir, committed
 * afterwards as the step's layer under its chain key (layer-plan.ts), with the builder state
 * (builder-state.ts). A build starts after the longest chain of keys the store holds,
 * restoring the state saved with it, so it runs only the steps after the first change.
 * The runnable root is then made once: the whole stack mounted read-only and copied with
 * GNU tar (tree-copy.ts; inside the namespace: owners, modes, hard links, xattrs, file
 * capabilities) into the plain root dir, so commands never run on an overlay.
 *
 * Two builds reaching the same key take its lock in turn; the second finds the layer
 * committed and uses it. A failed step's tmp dir is dropped; the layers before it stay.
 */
import { mkdirSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildContext } from '../steps/step.js';
import type { BuilderResult, BuilderSpec, LayerSpec } from './builder-spec.js';
import { restoreBuilderState, saveBuilderState } from './builder-state.js';
import { makeSystemDirs } from './finish.js';
import { layerName } from './layer-plan.js';
import { LayerStore, stackTableHashes, type LayerMeta } from './layer-store.js';
import { writeRootIndex } from './root-index.js';
import { mountOverlay, unmount } from './overlay.js';
import { copyTree } from './tree-copy.js';
import {
  buildClock, failure, reportCachedStep, runFinish, runStep, type BuildClock, type RunStepsDeps,
} from './run-steps.js';
import { stepSummary } from './step-text.js';

/** Where the finished stack is mounted read-only for the copy into the root. */
const FLAT_MOUNT = '/tmp/vagga-layers';

/**
 * Whether this kernel lets the builder mount an overlay (unprivileged overlayfs with
 * `userxattr`, Linux >= 5.11): mounts and unmounts one over the store's empty layer.
 */
export async function overlayWorks(store: LayerStore): Promise<boolean> {
  let probe: string | undefined;
  try {
    probe = await mkdtemp(join(store.dir, 'tmp', 'probe.'));
    for (const d of ['upper', 'work', 'merged']) mkdirSync(join(probe, d));
    await mountOverlay({ lowers: [store.emptyLower], upper: join(probe, 'upper'), work: join(probe, 'work'), target: join(probe, 'merged'), cwd: store.layersDir });
    await unmount(join(probe, 'merged'));
    return true;
  } catch {
    return false;
  } finally {
    if (probe) store.discard(probe);
  }
}

/** RunStepsDeps plus what a resumed build needs. */
export interface LayeredDeps extends RunStepsDeps {
  /** Re-register the step families' finish hooks after a restore (src/steps/resume.ts). */
  resume(ctx: BuildContext): void;
  /** Build without the cache (run-steps.ts runSteps) when overlays cannot be mounted here. */
  uncached(): Promise<BuilderResult>;
}

/**
 * Build `spec.steps` into `ctx.root` through the layer store `layers` (see the file
 * comment). Never throws: the outcome names the failed step or phase.
 */
export async function runLayered(spec: BuilderSpec, layers: LayerSpec, ctx: BuildContext, deps: LayeredDeps): Promise<BuilderResult> {
  const clock = buildClock(deps);
  const store = new LayerStore(layers.storeDir);
  let lease;
  try {
    store.init();
    if (!(await overlayWorks(store))) {
      deps.progress.message('Warning: this kernel does not let vagga mount overlays in a user namespace (Linux >= 5.11 does); building without the build cache (the user setting `build-cache: false` skips this check)');
      return await deps.uncached();
    }
    lease = await store.lease();
    store.sweepStaleTmp();
  } catch (err) {
    return { ok: false, phase: 'setup', ...failure(err, spec.verbosity) };
  }
  try {
    clock.mark('Start');
    const keys = [...layers.keys, layers.finishKey];
    let stack: string[] = [];
    let next = 0;
    if (!layers.noCache) {
      for (let i = keys.length - 1; i >= 0; i--) {
        const meta = store.lookup(keys[i]!);
        if (meta === undefined) continue;
        stack = adopt(ctx, deps, meta);
        next = i + 1;
        break;
      }
      for (let i = 0; i < Math.min(next, spec.steps.length); i++) reportCachedStep(spec, deps, clock, i);
    }
    for (let i = next; i < keys.length; i++) {
      const made = await makeLayer(spec, layers, store, ctx, deps, clock, i, stack);
      if ('ok' in made) return made;
      stack = made.stack;
    }
    store.touch(stack);
    // The archive goes from tar to tar without passing through vagga (tree-copy.ts); the root's
    // index is then a walk of the copy that reads no file the layers' hash tables know.
    const copyFailed = await copyOut(store, stack.map((n) => store.lower(n)), ctx.root, spec.verbosity, clock, 'Copy layers into the root');
    if (copyFailed) return copyFailed;
    await writeRootIndex(spec, ctx.log, stackTableHashes(store, stack));
    clock.mark('Index');
    return { ok: true, indexed: true, layerStack: stack };
  } finally {
    await lease.release();
  }
}

/** Use a cached layer: restore the builder state saved with it; returns its stack. */
function adopt(ctx: BuildContext, deps: LayeredDeps, meta: LayerMeta): string[] {
  restoreBuilderState(ctx, meta.state, deps.resume);
  return meta.stack;
}

/**
 * Make (or, when another build made it meanwhile, take) the layer of key `i` (the last index
 * is the finish phase) on top of `stack`. Returns its metadata, or the failed result.
 */
async function makeLayer(
  spec: BuilderSpec, layers: LayerSpec, store: LayerStore, ctx: BuildContext, deps: LayeredDeps,
  clock: BuildClock, i: number, stack: string[],
): Promise<LayerMeta | BuilderResult> {
  const key = i < layers.keys.length ? layers.keys[i]! : layers.finishKey;
  const isFinish = i === layers.keys.length;
  let lock;
  try {
    lock = await store.lock(key, () => {
      deps.progress.note('Another build is making the same step; waiting for it...');
    });
  } catch (err) {
    return { ok: false, phase: isFinish ? 'finish' : 'step', ...failure(err, spec.verbosity) };
  }
  try {
    if (!layers.noCache) {
      const meta = store.lookup(key);
      if (meta !== undefined) {
        adopt(ctx, deps, meta);
        if (!isFinish) reportCachedStep(spec, deps, clock, i);
        return meta;
      }
    }
    // `!Container X` first, X built in layers: stack on X's layers and replay X's steps.
    const parent = i === 0 && layers.parentFinishKey !== undefined ? store.lookup(layers.parentFinishKey) : undefined;
    const lowerStack = parent ? parent.stack : stack;
    let tmp;
    try {
      tmp = await store.begin(key);
      await mountOverlay({
        lowers: lowerStack.length > 0 ? lowerStack.map((n) => store.lower(n)) : [store.emptyLower],
        upper: tmp.diff, work: tmp.work, target: ctx.root, cwd: store.layersDir,
      });
    } catch (err) {
      if (tmp) store.discard(tmp.dir);
      return { ok: false, phase: 'setup', ...failure(err, spec.verbosity) };
    }
    let failed: BuilderResult | undefined;
    try {
      if (parent) failed = replayParent(spec, ctx, deps, clock);
      else {
        if (i === 0) await makeSystemDirs(ctx.root);
        failed = isFinish ? await runFinish(spec, ctx, clock) : await runStep(spec, ctx, deps, clock, i);
      }
    } catch (err) {
      failed = { ok: false, phase: 'setup', ...failure(err, spec.verbosity) };
    } finally {
      try {
        await unmount(ctx.root);
      } catch (err) {
        failed ??= { ok: false, phase: 'setup', ...failure(err, spec.verbosity) };
      }
    }
    if (failed) {
      // The partial build stays inspectable in `.tmp.NAME/root` (as without the cache): the
      // layers below plus what the failed step wrote.
      await copyOut(store, [...lowerStack.map((n) => store.lower(n)), store.tmpLower(tmp.dir)], ctx.root, spec.verbosity, clock, 'Copy the partial build into the root');
      store.discard(tmp.dir);
      return failed;
    }
    const made = isFinish ? `${spec.containerName} finish` : `${spec.containerName} step ${i + 1}/${spec.steps.length} ${stepSummary(spec.steps[i]!, deps.stepDef(spec.steps[i]!.tag))}`;
    try {
      return await store.commit(tmp.dir, { key, stack: [...lowerStack, layerName(key)], state: saveBuilderState(ctx), made });
    } catch (err) {
      store.discard(tmp.dir);
      return { ok: false, phase: isFinish ? 'finish' : 'step', ...failure(err, spec.verbosity) };
    }
  } finally {
    await lock.release();
  }
}

/**
 * Step 1 `!Container X` on X's own layers: the files are there already, so only X's steps
 * are replayed (the step's `replay`: env, distribution, finish lists carry over).
 */
function replayParent(spec: BuilderSpec, ctx: BuildContext, deps: LayeredDeps, clock: BuildClock): BuilderResult | undefined {
  const step = spec.steps[0]!;
  const summary = stepSummary(step, deps.stepDef(step.tag));
  const shown = `${summary} (on its layers)`;
  deps.progress.stepStarted(1, spec.steps.length, shown);
  try {
    deps.stepDef(step.tag)?.replay?.(step.params, ctx);
  } catch (err) {
    deps.progress.stepFailed(1, spec.steps.length, shown);
    return { ok: false, phase: 'step', step: { index: 1, total: spec.steps.length, tag: step.tag, pos: step.pos }, ...failure(err, spec.verbosity) };
  }
  deps.progress.stepFinished(1, spec.steps.length, shown);
  clock.mark(`Step: ${shown}`);
  return undefined;
}

/**
 * Mount `lowers` (names relative to the store's layer dir, bottom first) read-only and copy
 * the view into the plain root dir `root`; `label` goes to timings.log.
 */
async function copyOut(
  store: LayerStore, lowers: string[], root: string, verbosity: number, clock: BuildClock, label: string,
): Promise<BuilderResult | undefined> {
  try {
    mkdirSync(FLAT_MOUNT, { recursive: true });
    // A read-only overlay needs two lowers at least.
    lowers = [store.emptyLower, ...lowers];
    await mountOverlay({ lowers, target: FLAT_MOUNT, cwd: store.layersDir });
    try {
      await copyTree(FLAT_MOUNT, root, 'Copying the build layers into the root');
    } finally {
      await unmount(FLAT_MOUNT);
    }
  } catch (err) {
    return { ok: false, phase: 'finish', ...failure(err, verbosity) };
  }
  clock.mark(label);
  return undefined;
}
