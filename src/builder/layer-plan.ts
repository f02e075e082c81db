/**
 * The per-step build cache's plan (issue 9; design: shared/reference/layers-and-images.md
 * Part A §3): one chain key per setup step, and one for the finish phase. Pure.
 *
 *   K0   = BLAKE2b-512(LAYER_FORMAT, arch, uid map, gid map, container uids, gids, mirrors)
 *   Ki   = BLAKE2b-512(K(i-1), [project path,] digest of step i)
 *   Kfin = BLAKE2b-512(Kn, "finish", data-dirs)
 *
 * The step digest is exactly what the step feeds into the Vagga version hash (its fields and
 * the contents of the files it reads: version/container-version.ts containerStepDigests), so
 * a key changes when and only when the step's version input or anything before it changes.
 * The project's path joins the chain at the first step that is not `projectFree` (a step
 * that runs a program seeing `/work`): from there on layers are this project's own, while a
 * prefix of bootstrap and package steps is shared by every project of the user.
 *
 * The package mirror settings are in K0: a project's own settings file may name a mirror,
 * and a layer made from another mirror must never reach another project.
 *
 * The Vagga version hash and `.roots/NAME.HASH` are unchanged: keys decide only how a root
 * is made (which layers are reused), never what it is or where it lives.
 */
import { createHash } from 'node:crypto';
import type { Settings, StepConfig } from '../config/model.js';
import type { StepDef } from '../steps/step.js';

/** The settings that go into K0 (what package steps download from), as one string. Pure. */
export function buildSettingsKey(settings: Settings): string {
  return JSON.stringify([settings.debianMirror ?? null, settings.ubuntuMirror ?? null, settings.ubuntuPpaMirror ?? null, settings.alpineMirror ?? null]);
}

/** Format of layers and of their metadata; bump to orphan every layer made before. */
export const LAYER_FORMAT = 'vagga-layer/2';

/** Most layers one overlay mount may stack (kernel limit 500; the mount options must fit a 4 KiB page). */
export const MAX_STACK_DEPTH = 80;

/** Inputs of planLayers. */
export interface LayerPlanInput {
  steps: readonly StepConfig[];
  /** Per-step version digests (128 hex), in step order (containerStepDigests). */
  stepHashes: readonly string[];
  stepDef(tag: string): StepDef<any> | undefined;
  /** The uid and gid maps the build runs with (kernel `uid_map` text format). */
  uidMap: string;
  gidMap: string;
  /** The container's `uids`/`gids` ranges as written (e.g. `0-65535`). */
  ranges: string;
  dataDirs: readonly string[];
  /** The custom resolv/hosts paths the finish phase empties (builder-spec.ts customNetworkFiles); default none. */
  networkFiles?: readonly string[];
  /** Absolute host path of the project root. */
  projectRoot: string;
  /** Machine architecture (`process.arch`). */
  arch: string;
  /** The settings that decide what package steps download (the mirrors), as one string. */
  buildSettings: string;
}

/** Keys of a layered build, or why the container is built without the cache. */
export type LayerPlan =
  | { cached: true; keys: string[]; finishKey: string }
  | { cached: false; reason: string };

function blake(...parts: string[]): string {
  const h = createHash('blake2b512');
  for (const p of parts) h.update(`${p}\0`);
  return h.digest('hex');
}

/**
 * Why the steps cannot be built in cached layers, or undefined. A `!Build` with
 * `temporary-mount` keeps a mount across steps, which a layer cannot hold; a stack deeper
 * than MAX_STACK_DEPTH does not fit one overlay mount.
 */
export function uncachedReason(steps: readonly StepConfig[]): string | undefined {
  if (steps.length + 1 > MAX_STACK_DEPTH) return `more than ${MAX_STACK_DEPTH - 1} setup steps`;
  const mount = steps.find((s) => s.tag === 'Build' && (s.params as { temporaryMount?: string }).temporaryMount !== undefined);
  if (mount) return '!Build with temporary-mount keeps a mount between steps';
  return undefined;
}

/** Plan the chain keys (see the file comment). Pure. */
export function planLayers(input: LayerPlanInput): LayerPlan {
  const reason = uncachedReason(input.steps);
  if (reason !== undefined) return { cached: false, reason };
  let key = blake(LAYER_FORMAT, input.arch, input.uidMap, input.gidMap, input.ranges, input.buildSettings);
  let projectBound = false;
  const keys = input.steps.map((step, i) => {
    const def = input.stepDef(step.tag);
    if (!projectBound && !(def?.projectFree?.(step.params) ?? false)) projectBound = true;
    key = projectBound ? blake(key, 'project', input.projectRoot, input.stepHashes[i]!) : blake(key, input.stepHashes[i]!);
    return key;
  });
  // The finish layer depends on the paths it empties; without custom ones the key is as before.
  const network = input.networkFiles?.length ? ['network-files', ...input.networkFiles] : [];
  const finishKey = blake(key, 'finish', ...input.dataDirs, ...network);
  return { cached: true, keys, finishKey };
}

/** The 32-hex name of a key's layer directory. */
export function layerName(key: string): string {
  return key.slice(0, 32);
}
