/**
 * Deleting container trees. A built root holds files owned by subordinate uids (e.g. apt's
 * `_apt` dirs, mode 0700); the host user cannot list or unlink inside those, only a process
 * in a user namespace mapping those ids can (runtime-facts.md §12). So: try a plain
 * recursive delete first (cheap, enough for single-uid trees), and fall back to `rm -rf`
 * inside a namespace with the "max" mapping, provided by the sandbox module.
 */
import { rm } from 'node:fs/promises';

type RemoveInNs = (path: string) => Promise<void>;

async function namespaceRemover(): Promise<RemoveInNs | undefined> {
  try {
    const mod = (await import('../sandbox/bwrap.js')) as Record<string, unknown>;
    return mod.removeTreeInNamespace as RemoveInNs | undefined;
  } catch {
    return undefined;
  }
}

/**
 * Remove `path` and everything below it; a missing path is fine. Throws the last error
 * when neither the plain delete nor the in-namespace delete succeeds.
 */
export async function removeTree(path: string): Promise<void> {
  try {
    await rm(path, { recursive: true, force: true, maxRetries: 2 });
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM' && code !== 'ENOTEMPTY') throw err;
    const inNs = await namespaceRemover();
    if (!inNs) throw err;
    await inNs(path);
  }
}
