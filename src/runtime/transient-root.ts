/**
 * Throwaway writable roots for `write-mode: transient-hard-link-copy` and `vagga _run -W`
 * (inventory §1.6, §2.2, §2.4, §2.7): the built root `.roots/<name>.<hash8>/root` is copied
 * with hard links (`cp -al`, coreutils cp(1)) to `<base>/.transient/<name>.<hash8>.<pid>`,
 * the command runs on the copy mounted read-write, and the copy is removed afterwards.
 * `vagga _clean --transient` removes copies whose `<pid>` is no longer alive.
 *
 * The copy is made inside a sandbox with the "max" id mapping (§2.5), as namespace root:
 * the root holds files owned by subordinate ids, which the host user can neither read nor
 * link to from outside. Like Vagga's, the copy shares file contents with the container:
 * programs that rewrite a file in place (rather than replace it) change the container too.
 */
import { mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { VaggaError } from '../errors/vagga-error.js';
import type { MountPlan } from '../mounts/types.js';
import { runSandbox } from '../sandbox/bwrap.js';
import { maxIdMapping } from '../sandbox/idmap.js';
import { toolSandboxSpec } from '../sandbox/tool-sandbox.js';
import type { SandboxSpec } from '../sandbox/types.js';
import { removeTree } from '../storage/remove.js';

/**
 * Host path of the transient copy of `rootfs` (`.../.roots/<ver>/root`) for process `pid`:
 * `<transientDir>/<ver>.<pid>`. Pure.
 */
export function transientPath(transientDir: string, rootfs: string, pid: number): string {
  return join(transientDir, `${basename(dirname(rootfs))}.${pid}`);
}

/** The deepest directory containing both absolute paths `a` and `b`. Pure. */
export function commonAncestor(a: string, b: string): string {
  const pa = a.split('/').filter(Boolean);
  const pb = b.split('/').filter(Boolean);
  let i = 0;
  while (i < pa.length && i < pb.length && pa[i] === pb[i]) i++;
  return '/' + pa.slice(0, i).join('/');
}

/** The sandbox that hard-link-copies `rootfs` to `dest` (pure apart from the id mapping lookup). */
export function copySpec(rootfs: string, dest: string, idMapping = maxIdMapping()): SandboxSpec {
  // One bind holding both: link(2) across two mounts fails with EXDEV even on one file system.
  return toolSandboxSpec(['/usr/bin/cp', '-al', '--', rootfs, dest], commonAncestor(rootfs, dest), idMapping);
}

/** A transient root in use; `remove()` deletes it (never throws: a leftover is only reported). */
export interface TransientRoot {
  path: string;
  remove(): Promise<void>;
}

/** Collaborators, replaceable in tests. */
export interface TransientDeps {
  runSandbox: typeof runSandbox;
  removeTree: typeof removeTree;
  idMapping?: SandboxSpec['idMapping'];
  warn?: (message: string) => void;
}

/**
 * Make the hard-link copy of `rootfs` under `transientDir` for this process. Throws
 * VaggaError 124 when the copy fails (the partial copy is removed first).
 */
export async function createTransientRoot(transientDir: string, rootfs: string, deps: TransientDeps = { runSandbox, removeTree }, pid = process.pid): Promise<TransientRoot> {
  const path = transientPath(transientDir, rootfs, pid);
  mkdirSync(transientDir, { recursive: true });
  await deps.removeTree(path);
  const result = await deps.runSandbox(copySpec(rootfs, path, deps.idMapping ?? maxIdMapping()));
  const remove = async (): Promise<void> => {
    try {
      await deps.removeTree(path);
    } catch (err) {
      (deps.warn ?? ((m: string) => process.stderr.write(`${m}\n`)))(`Warning: could not remove the transient copy ${path}: ${(err as Error).message} (\`vagga _clean --transient\` removes it later)`);
    }
  };
  if (result.status !== 0) {
    await remove();
    throw new VaggaError(`Could not make a writable copy of the container at ${path}: cp exited with status ${result.status}`, { code: 'sandbox.transient-copy-failed' });
  }
  return { path, remove };
}

/** `plan` with the root bind (`/` from `root`) made writable. Pure. */
export function writableRoot(plan: MountPlan, root: string): MountPlan {
  return plan.map((op) => (op.kind === 'bind' && op.dest === '/' && op.source === root ? { ...op, readOnly: false } : op));
}
