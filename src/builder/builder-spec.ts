/**
 * What the host side hands to the builder process (`vagga __builder__ <spec.json>`), and
 * what the builder hands back. The builder runs inside the builder sandbox (see
 * src/mounts/build-plan.ts) and must not re-read vagga.yaml: everything it needs is here.
 * Both files live in a per-build scratch dir under the cache dir
 * (`<cache>/.builds/<name>.<pid>.<random>/`), which the builder sees at /vagga/cache/...
 */
import type { Pos } from '../config/qnode.js';
import type { ContainerConfig, Settings, StepConfig } from '../config/model.js';

/**
 * BuilderSpec.networkFiles of `container`: its `resolv-conf-path` and `hosts-file-path`
 * unless null or the default `/etc/resolv.conf`/`/etc/hosts` (Vagga's finish truncates
 * those custom paths too, §2.6). Pure.
 */
export function customNetworkFiles(container: Pick<ContainerConfig, 'resolvConfPath' | 'hostsFilePath'>): string[] {
  const out: string[] = [];
  if (container.resolvConfPath !== null && container.resolvConfPath !== '/etc/resolv.conf') out.push(container.resolvConfPath);
  if (container.hostsFilePath !== null && container.hostsFilePath !== '/etc/hosts') out.push(container.hostsFilePath);
  return out;
}

/** Input of one builder run. Paths are as the builder sees them unless named `host*`. */
export interface BuilderSpec {
  containerName: string;
  /** The container's setup steps, in order. */
  steps: StepConfig[];
  /** Setup steps of every container this build depends on (transitively), for `replay`. */
  containers: Record<string, StepConfig[]>;
  settings: Settings;
  /** Initial env for step commands (src/builder/build-env.ts). */
  env: Record<string, string>;
  /** 0 quiet, 1 normal, 2 verbose. */
  verbosity: number;
  /** The project root on the host: only to show step positions relative to it. */
  hostProjectRoot: string;
  /** The root being built (normally /vagga/root). */
  root: string;
  /** The project dir (normally /work). */
  work: string;
  /** The shared cache dir (normally /vagga/cache). */
  cacheDir: string;
  /** Built containers used by this build: name -> root as the builder sees it. */
  containerRoots: Record<string, string>;
  /** The scratch dir of this run (holds spec.json, result.json, timings.log, build.log). */
  scratchDir: string;
  /** The container's `data-dirs` (applied after the finish phase, src/builder/data-dirs.ts). */
  dataDirs?: string[];
  /**
   * The container's `resolv-conf-path`/`hosts-file-path` when set elsewhere than
   * `/etc/resolv.conf`/`/etc/hosts`: emptied by the finish phase like those (finish.ts).
   */
  networkFiles?: string[];
  /** Mount points of the container's `volumes` (for the `!EnsureDir` warning, src/steps/dirs.ts). */
  volumePaths?: string[];
  /** Build in cached layers (src/builder/run-layered.ts); absent: every step runs on the root. */
  layers?: LayerSpec;
  /**
   * How the host's stderr (which the builder writes to) renders progress
   * (src/builder/progress.ts): a terminal, and whether to colour. Absent: plain lines.
   */
  terminal?: { tty: boolean; colour: boolean };
  /** Where the user finds this build's log once the builder ended (display path, host side). */
  hostLogPath?: string;
}

/** The per-step build cache of one build (keys from src/builder/layer-plan.ts). */
export interface LayerSpec {
  /** The layer store as the builder sees it (`/vagga/cache/.layers`). */
  storeDir: string;
  /** Chain key of each setup step, in order. */
  keys: string[];
  /** Chain key of the finish phase. */
  finishKey: string;
  /** `_build --no-cache`: run every step; the new layers replace the cached ones. */
  noCache: boolean;
  /**
   * When the first step is `!Container X` and X is built in layers with the same uid map:
   * X's finish key. The first step then stacks on X's layers (replaying X's steps) instead
   * of copying X's root, so the two containers share X's layers.
   */
  parentFinishKey?: string;
}

/** Outcome written by the builder to `<scratch>/result.json`. */
export interface BuilderResult {
  ok: boolean;
  /** Set when a setup step failed (1-based index). */
  step?: { index: number; total: number; tag: string; pos: Pos };
  /** Set when the finish phase or the builder's own setup failed. */
  phase?: 'setup' | 'step' | 'finish';
  /** What failed (one line or a short paragraph). */
  message?: string;
  /** What to do about it. */
  hint?: string;
  /** True when the build was stopped by a signal (Ctrl-C, SIGTERM). */
  interrupted?: boolean;
  /** The builder wrote the root's index already (a layered build; not sent to the host). */
  indexed?: boolean;
  /**
   * A successful build in cached layers: the layer names (32 hex) of the stack the root was
   * copied from, bottom first (the finish layer last). The size budget after the build never
   * removes these (src/storage/layer-clean.ts trimBuildCache).
   */
  layerStack?: string[];
}

/** File names inside the scratch dir. */
export const SCRATCH_FILES = {
  spec: 'spec.json', result: 'result.json', timings: 'timings.log', index: 'index.txt', buildLog: 'build.log',
} as const;

/**
 * Serialise a spec (or result) to JSON, keeping RegExp, Map and Set values that validated
 * step parameters may contain (e.g. compiled `ignore-regex`). Inverse: decodeSpecJson.
 */
export function encodeSpecJson(value: unknown): string {
  return JSON.stringify(value, function (this: unknown, _key, v: unknown) {
    if (v instanceof RegExp) return { $vaggaType: 'RegExp', source: v.source, flags: v.flags };
    if (v instanceof Map) return { $vaggaType: 'Map', entries: [...v.entries()] };
    if (v instanceof Set) return { $vaggaType: 'Set', values: [...v.values()] };
    return v;
  });
}

/** Parse JSON written by encodeSpecJson. Throws SyntaxError on malformed input. */
export function decodeSpecJson<T>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v && typeof v === 'object' && '$vaggaType' in v) {
      const o = v as { $vaggaType: string; source?: string; flags?: string; entries?: [unknown, unknown][]; values?: unknown[] };
      if (o.$vaggaType === 'RegExp') return new RegExp(o.source ?? '', o.flags ?? '');
      if (o.$vaggaType === 'Map') return new Map(o.entries ?? []);
      if (o.$vaggaType === 'Set') return new Set(o.values ?? []);
    }
    return v;
  }) as T;
}
