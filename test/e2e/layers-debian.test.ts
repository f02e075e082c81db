/**
 * End-to-end (slow, needs the host's Debian mirror): the per-step build cache on a Debian
 * container. A build resumed after cached `!Debian`/`!Install`/`!BuildDeps` layers gets the
 * builder state those steps left: the build dependency is still there for the new step and
 * is removed at the finish, apt works for a new `!Install`, the installed packages stay.
 * Set VAGGA_E2E_SKIP_DEBIAN=1 to skip.
 */
import { strict as assert } from 'node:assert';
import { after, describe, test } from 'node:test';
import { cleanupStage, makeProject, show, vagga, writeProjectFile } from './harness.js';

after(cleanupStage);

const skip = process.env.VAGGA_E2E_SKIP_DEBIAN === '1' ? 'VAGGA_E2E_SKIP_DEBIAN=1' : false;

const yaml = (more: string[]): string => [
  'containers:', '  app:', '    setup:',
  '    - !Debian bookworm', '    - !Install [hello]', '    - !BuildDeps [bc]', ...more, '',
].join('\n');

describe('per-step build cache (Debian)', { skip, timeout: 1_800_000 }, () => {
  test('a resumed build keeps the build deps for its steps, removes them at the finish, and can install more', async () => {
    const dir = await makeProject({ 'vagga.yaml': yaml(['    - !Text { /etc/v: v1 }']) }, { busybox: false, name: 'layers-debian' });
    let r = await vagga(dir, ['_build', 'app'], { timeoutMs: 1_200_000 });
    assert.equal(r.status, 0, show(r));

    await writeProjectFile(dir, 'vagga.yaml', yaml(['    - !Sh "echo 20+22 | bc > /answer"', '    - !Install [sl]', '    - !Text { /etc/v: v2 }']));
    r = await vagga(dir, ['_build', 'app'], { timeoutMs: 1_200_000 });
    assert.equal(r.status, 0, show(r));
    for (const i of [1, 2, 3]) assert.match(r.stderr, new RegExp(`Step ${i}/6:? .*\\(cached\\)`), show(r));
    assert.match(r.stderr, /app: rebuilding from step 4\/6 !Sh echo 20\+22 \| bc > \/answer/, show(r));

    const check = await vagga(dir, ['_run', 'app', 'sh', '-c',
      'cat /answer /etc/v; hello; test -x /usr/games/sl && echo sl; if command -v bc; then echo bc-still-here; else echo bc-removed; fi']);
    assert.equal(check.status, 0, show(check));
    assert.equal(check.stdout, '42\nv2Hello, world!\nsl\nbc-removed\n', show(check));
  });
});
