/** A BuildContext over a temp root for step build tests (no sandbox: runs as this process). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StepConfig } from '../../../src/config/model.js';
import type { BuildContext } from '../../../src/steps/step.js';
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
