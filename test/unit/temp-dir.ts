/**
 * Temp dirs for unit tests. `tempDir(prefix)` makes `<os tmpdir>/<prefix>XXXXXX` and removes
 * it when the test file's process exits (node --test runs each file in its own process), also
 * after a failed assertion. Removal first gives the owner write access to every directory, so
 * trees with read-only dirs (copies of the read-only fixtures, `chmod 0500` leftovers) go away
 * when the tests run as an ordinary user too.
 */
import { chmodSync, lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const created: string[] = [];
let hooked = false;

/** Make directories under `path` writable by their owner (best effort; symlinks not followed). */
function makeWritable(path: string): void {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (!st.isDirectory()) return;
  try {
    chmodSync(path, (st.mode & 0o7777) | 0o700);
  } catch { /* not ours: rmSync reports it */ }
  for (const name of readdirSync(path)) makeWritable(join(path, name));
}

/**
 * Remove `path` recursively, read-only directories included. Errors other than a missing
 * path are swallowed: cleanup must not hide a test's own failure.
 */
export function removeTempTree(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
    return;
  } catch { /* read-only dirs: retry below */ }
  try {
    makeWritable(path);
    rmSync(path, { recursive: true, force: true });
  } catch (err) {
    process.stderr.write(`warning: could not remove test dir ${path}: ${(err as Error).message}\n`);
  }
}

/** A new empty dir `<tmpdir>/<prefix>XXXXXX`, removed at process exit. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const d of created.splice(0)) removeTempTree(d);
    });
  }
  return dir;
}
