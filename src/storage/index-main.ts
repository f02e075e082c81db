/**
 * `vagga __index__ ...`: the internal helper that `_verify` and `_hardlink` start inside a
 * user namespace (src/storage/index-sandbox.ts), where it is root and can read and link
 * files owned by subordinate uids. Not for users. Forms:
 *
 *   __index__ walk ROOT OUT           write the index of ROOT (./index-format.ts) to OUT
 *   __index__ hardlink OUT DIR...     link identical files across version dirs DIR...
 *                                     (./index-hardlink.ts), write the result as JSON to OUT
 *   __index__ link-new OUT NEW DIR... link the files of new version dir NEW with identical
 *                                     ones of DIR... (linkNewVersion), result as JSON to OUT
 *
 * Exit status: 0 done, 1 failed (message on stderr), 122 bad usage.
 */
import { writeFileSync } from 'node:fs';
import { formatIndex } from './index-format.js';
import { hardlinkVersions, linkNewVersion } from './index-hardlink.js';
import { indexTree } from './index-walk.js';

/** Run with the arguments after `__index__`; resolves with the exit status. */
export async function indexMain(args: string[]): Promise<number> {
  const [mode, ...rest] = args;
  try {
    if (mode === 'walk' && rest.length === 2) {
      writeFileSync(rest[1]!, formatIndex(await indexTree(rest[0]!)));
      return 0;
    }
    if (mode === 'hardlink' && rest.length >= 1) {
      writeFileSync(rest[0]!, JSON.stringify(await hardlinkVersions(rest.slice(1))));
      return 0;
    }
    if (mode === 'link-new' && rest.length >= 2) {
      writeFileSync(rest[0]!, JSON.stringify(await linkNewVersion(rest[1]!, rest.slice(2))));
      return 0;
    }
  } catch (err) {
    process.stderr.write(`vagga __index__: ${(err as Error).message}\n`);
    return 1;
  }
  process.stderr.write('Usage: vagga __index__ walk ROOT OUT | hardlink OUT DIR... | link-new OUT NEW DIR...  (internal: started by vagga itself)\n');
  return 122;
}
