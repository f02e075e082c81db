/**
 * Running a `!CapsuleCommand` (vagga-inventory.md §1.6): its `run` in a capsule, the sandbox
 * of src/runtime/capsule.ts, with vagga inside it (`vagga _capsule build NAME`, `vagga
 * _capsule run NAME CMD...`, or plain `vagga CMD`). No container is built first: the
 * command decides what to build. Its environment is its `environ` with the `-E`/`-e`
 * variables on top (as a `!Command`'s, without a container's).
 */
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type { CliContext } from '../cli/context.js';
import type { CapsuleCommandConfig } from '../config/model.js';
import type { Project } from '../config/project.js';
import { commandArgv } from './argv.js';

/** One planned capsule run: the command and the user's extra arguments. */
export interface CapsuleRun {
  command: CapsuleCommandConfig;
  args: string[];
  /** `VAGGAOPT_*`/`VAGGACLI_*` from the command's `options` (docopt.ts); absent without `options`. */
  optionEnv?: Record<string, string>;
}

/** True for a planned capsule run. */
export function isCapsuleRun(run: { command: { kind: string } }): run is CapsuleRun {
  return run.command.kind === 'CapsuleCommand';
}

/**
 * The vagga bundle and JavaScript runtime a capsule runs: copies in the capsule's own cache
 * dir (`vagga/<key>/`, made once per bundle; the runtime also, unless it and its directory
 * belong to root), never the user's own files: root in the capsule has CAP_SYS_ADMIN (the vagga
 * inside needs it) and could remount a read-only bind of them writable and change the vagga
 * the user runs on the host. A tampered copy only ever runs in this project's capsules.
 */
function capsuleTools(cacheDir: string, bundleDir: string, runtime: string): { bundleDir: string; runtimePath: string } {
  const stamp = (p: string) => {
    const st = statSync(p);
    return `${p}:${st.size}:${st.mtimeMs}`;
  };
  const files = readdirSync(bundleDir).sort();
  const key = createHash('sha256').update([stamp(runtime), ...files.map((f) => stamp(join(bundleDir, f)))].join('\n')).digest('hex').slice(0, 16);
  const dir = join(cacheDir, 'vagga', key);
  const runtimeSafe = statSync(runtime).uid === 0 && statSync(dirname(runtime)).uid === 0;
  if (!existsSync(dir)) {
    const tmp = `${dir}.tmp.${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(join(tmp, 'runtime'), { recursive: true });
    cpSync(bundleDir, join(tmp, 'bundle'), { recursive: true });
    if (!runtimeSafe) copyFileSync(runtime, join(tmp, 'runtime', basename(runtime)));
    renameSync(tmp, dir);
  }
  return { bundleDir: join(dir, 'bundle'), runtimePath: runtimeSafe ? runtime : join(dir, 'runtime', basename(runtime)) };
}

/**
 * Run `run` in a capsule; resolves with its exit status (128+N when killed by signal N).
 * Throws VaggaError for a bad uid/gid range (121), a missing bundle (vagga runs from
 * sources: 121) or a sandbox that cannot start (124).
 */
export async function runCapsule(ctx: CliContext, project: Project, run: CapsuleRun, vaggaenv: Record<string, string>): Promise<number> {
  const { command } = run;
  const { config, settings } = project;
  const [{ idMappingFor }, { cacheDirPath, projectLayout }, { ensureStorageBase }, { bundleLocation }, { capsuleCacheDir, capsuleSettings, capsuleSpec }, { containerWorkDir }, { runSandbox }] = await Promise.all([
    import('../sandbox/idmap.js'),
    import('../storage/layout.js'),
    import('../storage/storage-link.js'),
    import('../builder/bundle-path.js'),
    import('../runtime/capsule.js'),
    import('../runtime/work-dir.js'),
    import('../sandbox/bwrap.js'),
  ]);
  const bundle = bundleLocation();
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return p;
    }
  };
  // The capsule's own cache (per project, in the user's cache dir): a capsule's code runs as the
  // vagga inside, so it must not reach the cache other projects build from.
  const cacheDir = capsuleCacheDir(real(cacheDirPath(settings, ctx.env)), real(config.projectRoot));
  mkdirSync(cacheDir, { recursive: true });
  // With storage-dir: only this project's storage subdir (made now if new), not the others'.
  const layout = projectLayout(config.projectRoot, settings);
  const storageBase = settings.storageDir ? real(ensureStorageBase(layout, settings, ctx.env)) : undefined;
  const tools = capsuleTools(cacheDir, bundle.dir, bundle.runtime);
  const env: Record<string, string> = { ...command.environ, ...vaggaenv, ...run.optionEnv };
  if (ctx.env.TERM) env.TERM = ctx.env.TERM;
  const spec = capsuleSpec({
    projectRoot: real(config.projectRoot),
    cacheDir,
    ...(storageBase ? { storageBase } : {}),
    externalVolumes: Object.fromEntries(Object.entries(settings.externalVolumes).map(([k, v]) => [k, real(v)])),
    bundleDir: tools.bundleDir,
    bundleFile: bundle.file,
    runtimePath: tools.runtimePath,
    argv: commandArgv(command.run, run.args),
    env,
    cwd: containerWorkDir(config.projectRoot, ctx.cwd, command.workDir),
    settingsJson: capsuleSettings(settings, cacheDir),
    idMapping: idMappingFor(command.uids, command.gids),
  });
  const status = (await (ctx.sandboxDeps?.runSandbox ?? runSandbox)(spec)).status;
  if (status === 0 && command.epilog) ctx.out(command.epilog);
  return status;
}
