/**
 * `!EnsureDir /p`, `!EmptyDir /p`, `!Remove /p` (vagga-inventory.md §1.4): act now and
 * register the path so the build's finish phase applies it again (§2.6 "Finish"); the
 * registration is also replayed through `!Container`. Hash: `path` as written.
 */
import * as fs from 'node:fs';
import { containerPath } from '../config/container-path.js';
import { pathStartsWith } from '../version/paths.js';
import type { BuildContext, StepDef } from './step.js';
import { inContainerRoot } from './root-path.js';

function ensureDir(p: string, ctx: BuildContext): void {
  const real = inContainerRoot(ctx.root, p);
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(real);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`Cannot stat ${JSON.stringify(p)}: ${(e as Error).message}`);
  }
  if (st && !st.isDirectory()) throw new Error(`Path ${JSON.stringify(p)} exists but not a directory`);
  if (!st) {
    try {
      fs.mkdirSync(real, { recursive: true, mode: 0o755 });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' || code === 'ENOTDIR') throw new Error(`Some intermediate path for ${JSON.stringify(p)} exists but not a directory`);
      throw new Error(`Error creating dir: ${(e as Error).message}`);
    }
  }
}

/** Remove every entry inside `dir` (not the dir itself); a missing dir is fine. */
function emptyDirContents(dir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  for (const n of names) fs.rmSync(`${dir}/${n}`, { recursive: true, force: true });
}

const ensure: StepDef<string> = {
  tag: 'EnsureDir',
  hashReadsOnlyParams: true,
  projectFree: () => true,
  schema: containerPath(),
  hash(p, digest) {
    digest.field('path', p);
  },
  async build(p, ctx) {
    ensureDir(p, ctx);
    for (const mp of ctx.volumePaths ?? []) {
      if (p !== mp && pathStartsWith(p, mp)) {
        ctx.log.warn(`${JSON.stringify(p)} directory is in the volume: ${JSON.stringify(mp)}.\n\t` +
          `${JSON.stringify(p)} will be unaccessible inside the container.`);
      }
    }
    ctx.finish.ensureDirs.push(p);
  },
  replay(p, ctx) {
    ctx.finish.ensureDirs.push(p);
  },
};

const empty: StepDef<string> = {
  tag: 'EmptyDir',
  hashReadsOnlyParams: true,
  projectFree: () => true,
  schema: containerPath(),
  hash(p, digest) {
    digest.field('path', p);
  },
  async build(p, ctx) {
    emptyDirContents(inContainerRoot(ctx.root, p));
    ctx.finish.emptyDirs.push(p);
  },
  replay(p, ctx) {
    ctx.finish.emptyDirs.push(p);
  },
};

const remove: StepDef<string> = {
  tag: 'Remove',
  hashReadsOnlyParams: true,
  projectFree: () => true,
  schema: containerPath(),
  hash(p, digest) {
    digest.field('path', p);
  },
  async build(p, ctx) {
    fs.rmSync(inContainerRoot(ctx.root, p, { followLast: false }), { recursive: true, force: true });
    ctx.finish.removePaths.push(p);
  },
  replay(p, ctx) {
    ctx.finish.removePaths.push(p);
  },
};

/** The `!EnsureDir`, `!EmptyDir` and `!Remove` steps. */
export const steps: StepDef<any>[] = [ensure, empty, remove];
