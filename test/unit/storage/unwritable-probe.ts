/**
 * What makeStorageDir says for a project dir and an existing `.vagga` the caller cannot
 * write (storage-dirs.test.ts). Run in the test process as an ordinary user, or as the test
 * user (test/test-user.ts) through runuser when the tests run as root, who may write anywhere:
 * `node --import tsx unwritable-probe.ts PROJECT OTHER` prints the JSON result.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import { makeStorageDir } from '../../../src/storage/storage-dirs.js';

/** One makeStorageDir failure: exit code, message, hint; `bug` when it was not a VaggaError. */
export interface ProbeError { exitCode?: number; message: string; hint?: string; bug?: boolean }

function attempt(dir: string): ProbeError | undefined {
  try {
    makeStorageDir(dir);
    return undefined;
  } catch (e) {
    if (e instanceof VaggaError) return { exitCode: e.exitCode, message: e.message, hint: e.hint };
    return { message: String(e), bug: true };
  }
}

/** makeStorageDir of `<project>/.vagga/.roots` and of `<other>/.vagga`. */
export function probe(project: string, other: string): { project?: ProbeError; other?: ProbeError } {
  return { project: attempt(join(project, '.vagga/.roots')), other: attempt(join(other, '.vagga')) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(JSON.stringify(probe(process.argv[2]!, process.argv[3]!)));
}
