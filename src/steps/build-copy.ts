/**
 * `!Build {container, source: /, path | temporary-mount, rules: [], content-hash: false}`
 * (vagga-inventory.md §1.4 "Other containers"): take a file or directory from another,
 * already built container (the builder sees its root read-only, BuildContext.containerRoot).
 *  - `path`: copy `source` to `path`, keeping owners, modes, times and symlinks (GNU
 *    `cp -a` inside the builder's user namespace); with `rules` (glob rules like `!Copy`'s,
 *    without the default exclude rules) only the admitted entries and their parent dirs
 *    are copied, each preserving owner, mode and times.
 *  - `temporary-mount`: bind `source` read-only at that path for the rest of the build
 *    (mount(8) in the builder's mount namespace; step sandboxes bind the root recursively,
 *    so they see it); it is unmounted at the start of the finish phase, and the mount point
 *    is removed if the step created it.
 * Exactly one of `path` and `temporary-mount` is required.
 * Hash: Vagga hashes only the source container's steps (its own parameters are not hashed);
 * with `content-hash` the version is unknown before building (documented gap).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bool, def, list, opt, str, struct, type Out } from '../config/schema.js';
import { containerPath } from '../config/container-path.js';
import { VaggaError } from '../errors/vagga-error.js';
import { createPathFilter } from '../version/filters.js';
import { admittedWithParents } from './copy.js';
import { inContainerRoot, refuseLinksOut } from './root-path.js';
import type { BuildContext, StepDef } from './step.js';
import { spawnHost } from '../sandbox/host-spawn.js';

const buildSchema = struct({
  container: str(),
  source: def(containerPath(), '/'),
  path: opt(containerPath()),
  'temporary-mount': opt(containerPath()),
  rules: def(list(str()), [] as string[]),
  'content-hash': def(bool(), false),
});

/** Validated `!Build` parameters. */
export type BuildParams = Out<typeof buildSchema>;

function failure(message: string, hint?: string): VaggaError {
  return new VaggaError(`!Build: ${message}`, { code: 'build.copy-from-container', hint });
}

/** Run a program (stderr passed through); rejects with `what` and the exit status on failure. */
function runProgram(argv: string[], what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawnHost(argv[0]!, argv.slice(1), { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', (e) => reject(failure(`can't run ${argv[0]}: ${e.message}`)));
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(failure(`${what} failed (${signal ?? `exit code ${code}`})`));
    });
  });
}

/** Copy one entry without recursing, preserving owner, mode and times (symlinks verbatim). */
function copyEntry(src: string, dest: string): void {
  const st = fs.lstatSync(src);
  if (st.isDirectory()) {
    let exists = false;
    try { exists = fs.lstatSync(dest).isDirectory(); } catch { /* absent */ }
    if (!exists) fs.mkdirSync(dest, { mode: 0o700 });
  } else if (st.isSymbolicLink()) {
    fs.rmSync(dest, { force: true });
    fs.symlinkSync(fs.readlinkSync(src), dest);
  } else if (st.isFile()) {
    fs.rmSync(dest, { force: true });
    fs.copyFileSync(src, dest);
  } else {
    return;
  }
  fs.lchownSync(dest, st.uid, st.gid);
  if (!st.isSymbolicLink()) fs.chmodSync(dest, st.mode & 0o7777);
  fs.lutimesSync(dest, st.atime, st.mtime);
}

/**
 * Copy the entries of directory `src` admitted by glob `rules` (no default rules) to `dest`,
 * each with its parent directories. Warns through `warn` when no rule includes anything.
 */
export function copyWithRules(src: string, dest: string, rules: string[], warn: (m: string) => void): void {
  const filter = createPathFilter({ rules }, { warn, defaultRules: false });
  fs.mkdirSync(dest, { recursive: true, mode: 0o755 });
  for (const rel of admittedWithParents(src, filter)) copyEntry(path.join(src, rel), path.join(dest, rel));
}

async function copyPath(p: BuildParams, src: string, dest: string, ctx: BuildContext): Promise<void> {
  refuseLinksOut(ctx.root, dest, [ctx.cacheDir]);
  const st = fs.lstatSync(src);
  fs.mkdirSync(path.dirname(dest), { recursive: true, mode: 0o755 });
  if (!st.isDirectory()) {
    await runProgram(['cp', '-a', '--', src, dest], `copying ${p.source} of container "${p.container}"`);
    return;
  }
  if (p.rules.length > 0) {
    copyWithRules(src, dest, p.rules, (m) => ctx.log.warn(m));
    return;
  }
  fs.mkdirSync(dest, { recursive: true, mode: 0o755 });
  await runProgram(['cp', '-a', '--', `${src}/.`, dest], `copying ${p.source} of container "${p.container}"`);
}

async function temporaryMount(p: BuildParams, src: string, mountPoint: string, ctx: BuildContext): Promise<void> {
  const isDir = fs.lstatSync(src).isDirectory();
  let created = false;
  if (!fs.existsSync(mountPoint)) {
    fs.mkdirSync(path.dirname(mountPoint), { recursive: true, mode: 0o755 });
    if (isDir) fs.mkdirSync(mountPoint, { mode: 0o755 });
    else fs.writeFileSync(mountPoint, '', { mode: 0o644 });
    created = true;
  }
  await runProgram(['mount', '--bind', src, mountPoint], `mounting ${p.source} of container "${p.container}"`);
  await runProgram(['mount', '-o', 'remount,bind,ro', mountPoint], `making ${p.temporaryMount} read-only`);
  ctx.finish.hooks.unshift(async () => {
    await runProgram(['umount', mountPoint], `unmounting ${p.temporaryMount}`);
    if (!created) return;
    try {
      if (isDir) fs.rmdirSync(mountPoint);
      else fs.rmSync(mountPoint, { force: true });
    } catch (e) {
      ctx.log.warn(`!Build: can't remove the mount point ${p.temporaryMount}: ${(e as Error).message}`);
    }
  });
}

const build: StepDef<BuildParams> = {
  tag: 'Build',
  schema: buildSchema,
  hash(p, d, ctx) {
    if (p.contentHash) ctx.unknown('!Build with content-hash needs the source container built first');
    // Vagga hashes only the source container's steps here: its own parameters are not hashed.
    ctx.inlineSteps(p.container, d);
  },
  dependsOn: (p) => [p.container],
  async build(p, ctx) {
    if ((p.path === undefined) === (p.temporaryMount === undefined)) {
      throw failure('exactly one of `path` and `temporary-mount` must be given', 'Use `path` to copy, or `temporary-mount` to mount read-only for the rest of the build.');
    }
    const src = inContainerRoot(ctx.containerRoot(p.container), p.source);
    if (!fs.existsSync(src) && !isSymlink(src)) {
      throw failure(`${JSON.stringify(p.source)} does not exist in container "${p.container}"`, 'Check `source` of the step.');
    }
    if (p.path !== undefined) await copyPath(p, src, inContainerRoot(ctx.root, p.path), ctx);
    else await temporaryMount(p, src, inContainerRoot(ctx.root, p.temporaryMount!), ctx);
  },
};

function isSymlink(p: string): boolean {
  try { return fs.lstatSync(p).isSymbolicLink(); } catch { return false; }
}

/** The `!Build` step. */
export const steps: StepDef<any>[] = [build];
