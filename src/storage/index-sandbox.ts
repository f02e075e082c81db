/**
 * Host side of `vagga __index__` (./index-main.ts): run our own bundle inside a user
 * namespace (bwrap(1) via src/sandbox/bwrap.ts) so it can read, hash and link files owned
 * by subordinate uids. The sandbox sees the host's /usr and /etc read-only, /dev, /proc, a
 * /tmp tmpfs, the bundle's directory at /vagga/bin (like the builder, src/builder/run-builder.ts),
 * a host scratch dir at /vagga/out (read-write, for the helper's output files) and the binds
 * the caller asks for.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { BUILDER_PATHS } from '../mounts/build-plan.js';
import { hostSystemMounts } from '../mounts/host-system.js';
import { isWithin } from '../mounts/run-plan.js';
import type { MountPlan } from '../mounts/types.js';
import { TOOL_PATH, TOOL_SANDBOX_OPTIONS } from '../sandbox/tool-sandbox.js';
import type { IdMapping, SandboxResult, SandboxSpec } from '../sandbox/types.js';
import { VaggaError } from '../errors/vagga-error.js';
import { bundleLocation, type BundleLocation } from '../builder/bundle-path.js';

/** Where the helper's scratch dir is mounted inside the sandbox. */
export const INDEX_OUT = '/vagga/out';

/** A bind the helper needs (host path -> sandbox path). */
export interface IndexBind {
  source: string;
  dest: string;
  readOnly: boolean;
}

/** Starts the sandbox; replaceable in tests. */
export type IndexSandboxRunner = (spec: SandboxSpec) => Promise<SandboxResult>;

/** The sandbox spec running `__index__ <args>` (pure). `outDir` is the host scratch dir. */
export function indexSandboxSpec(bundle: BundleLocation, args: string[], binds: readonly IndexBind[], outDir: string, idMapping: IdMapping): SandboxSpec {
  const mounts: MountPlan = [
    ...hostSystemMounts(),
    { kind: 'bind', source: '/etc', dest: '/etc', readOnly: true },
    { kind: 'dev', dest: '/dev' },
    { kind: 'proc', dest: '/proc' },
    { kind: 'tmpfs', dest: '/tmp', mode: 0o1777 },
    ...binds.map((b) => ({ kind: 'bind' as const, source: b.source, dest: b.dest, readOnly: b.readOnly })),
    { kind: 'bind', source: outDir, dest: INDEX_OUT, readOnly: false },
    { kind: 'bind', source: bundle.dir, dest: BUILDER_PATHS.bin, readOnly: true },
  ];
  const runtimeDir = posix.dirname(bundle.runtime);
  if (!isWithin(runtimeDir, '/usr')) mounts.push({ kind: 'bind', source: runtimeDir, dest: runtimeDir, readOnly: true });
  return {
    mounts,
    argv: [bundle.runtime, `${BUILDER_PATHS.bin}/${bundle.file}`, '__index__', ...args],
    // HOME on the tmpfs and no code cache: nothing is written outside /vagga/out.
    env: { PATH: TOOL_PATH, HOME: '/tmp', VAGGA_NO_CODE_CACHE: '1' },
    idMapping,
    ...TOOL_SANDBOX_OPTIONS,
  };
}

/**
 * Run `__index__ <args>` with `binds` and `idMapping`; `collect` reads the helper's output
 * files from the host scratch dir (removed afterwards) once it exited 0. Throws VaggaError
 * (121) when the helper fails, plus whatever the sandbox throws (MissingToolError...).
 */
export async function runIndexHelper<T>(
  args: (out: string) => string[], binds: readonly IndexBind[], idMapping: IdMapping,
  collect: (outDir: string) => T, runner?: IndexSandboxRunner, env: NodeJS.ProcessEnv = process.env,
): Promise<T> {
  const bundle = bundleLocation(env);
  const run = runner ?? (await import('../sandbox/bwrap.js')).runSandbox;
  const outDir = await mkdtemp(join(tmpdir(), 'vagga-index-'));
  try {
    const result = await run(indexSandboxSpec(bundle, args(INDEX_OUT), binds, outDir, idMapping));
    if (result.status !== 0) {
      throw new VaggaError(`The index helper failed (exit status ${result.status})`, {
        code: 'storage.index-failed',
        hint: 'See the messages above.',
      });
    }
    return collect(outDir);
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}
