/**
 * A BuildContext over a temp root for step build tests (no sandbox: runs as this process), and
 * helpers that run a step's prepare and build phases against it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StepConfig } from '../../../src/config/model.js';
import { stepDef } from '../../../src/steps/registry.js';
import type { BuildContext, PrepareContext } from '../../../src/steps/step.js';
import { step, type Plain } from '../version/helpers.js';
import { removeTempTree, tempDir } from '../temp-dir.js';

export interface FakeContext extends BuildContext {
  warnings: string[];
  cleanup(): void;
}

/** A fresh context: `root` and `projectRoot` are new temp dirs. */
export function fakeContext(opts: { containers?: Record<string, StepConfig[]>; roots?: Record<string, string>; volumes?: string[] } = {}): FakeContext {
  const base = tempDir('vstep-');
  const root = path.join(base, 'root');
  const project = path.join(base, 'work');
  fs.mkdirSync(root);
  fs.mkdirSync(project);
  const warnings: string[] = [];
  return {
    containerName: 'test',
    root,
    projectRoot: project,
    cacheDir: path.join(base, 'cache'),
    settings: { buildLockWait: false, proxyEnvVars: false, propagateEnviron: [], environ: {}, externalVolumes: {} },
    log: { info() {}, debug() {}, warn: (m) => warnings.push(m) },
    env: {},
    state: new Map(),
    cacheMounts: new Map(),
    finish: { ensureDirs: [], emptyDirs: [], removePaths: [], hooks: [] },
    containerRoot: (name) => {
      const r = opts.roots?.[name];
      if (!r) throw new Error(`no root for ${name}`);
      return r;
    },
    containerSteps: (name) => {
      const s = opts.containers?.[name];
      if (!s) throw new Error(`no steps for ${name}`);
      return s;
    },
    volumePaths: opts.volumes,
    run: async () => { throw new Error('run is not available in this test'); },
    warnings,
    cleanup: () => removeTempTree(base),
  };
}

/** The PrepareContext matching `ctx` (its project root, cache dir, settings and log; a signal never aborted). */
export function prepareContext(ctx: FakeContext): PrepareContext {
  return { projectRoot: ctx.projectRoot, cacheDir: ctx.cacheDir, settings: ctx.settings, log: ctx.log, signal: new AbortController().signal };
}

/**
 * Run step `tag` (a registered step, e.g. 'Git') with YAML value `value` as vagga does: its
 * prepare phase (if any) with prepareContext(ctx), then its build phase with `ctx`.
 * Rejects with whatever the step throws (validation errors from `step()` included).
 */
export async function buildStep(ctx: FakeContext, tag: string, value: Plain): Promise<void> {
  const def = stepDef(tag)!;
  const s = step(tag, value);
  await def.prepare?.(s.params, prepareContext(ctx));
  await def.build!(s.params, ctx);
}
