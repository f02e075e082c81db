/**
 * End-to-end: disk use in sight (issue 13 item 4) on the offline busybox base, as an
 * ordinary user (harness.ts). A container holding a 0700 directory owned by a subordinate
 * uid cannot be measured by the host user's du (`Permission denied`); `_list --containers`
 * and `_clean --old -n` measure inside the user namespace and show sizes and a total.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { cleanupStage, e2eEnv, makeProject, show, vagga, writeProjectFile, type E2EEnv } from './harness.js';

after(cleanupStage);

const SIZE = String.raw`\d+(?:\.\d)?[KMGT]?B`;

/** `612KB` -> 612000 (decimal units, as formatSize prints). */
function bytes(size: string): number {
  const m = /^([\d.]+)([KMGT]?)B$/.exec(size)!;
  return Number(m[1]) * 1000 ** ' KMGT'.indexOf(m[2] || ' ');
}

function yaml(marker: string): string {
  return `
containers:
  small:
    setup:
    - !Tar { url: ./busybox.tar }
  big:
    setup:
    - !Tar { url: ./busybox.tar }
    - !Sh |
        mkdir -p /secret
        head -c 300000 /dev/zero > /secret/blob
        chown -R 1000:1000 /secret
        chmod 700 /secret
        echo ${marker} > /etc/marker
`;
}

describe('disk use: sizes measured inside the user namespace', () => {
  let env: E2EEnv;
  let dir: string;
  before(async () => {
    env = await e2eEnv();
    dir = await makeProject({ 'vagga.yaml': yaml('one') }, { name: 'disk-use' });
    for (const c of ['small', 'big']) {
      const r = await vagga(dir, ['_build', c]);
      assert.equal(r.status, 0, show(r));
    }
    // A second version of `big`: the first one becomes old (no longer linked).
    await writeProjectFile(dir, 'vagga.yaml', yaml('two'));
    const r = await vagga(dir, ['_build', 'big']);
    assert.equal(r.status, 0, show(r));
  });

  test('the host user cannot measure the subuid-owned tree with du', () => {
    const r = spawnSync('runuser', ['-u', env.user, '--', 'du', '-s', `${dir}/.vagga/.roots`], { encoding: 'utf8' });
    if (!env.asRoot) return; // runuser needs root; the point is documented either way
    assert.notEqual(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stderr, /Permission denied/);
  });

  test('_list --containers: each container with versions, size and linked version; a summary with the total on stderr', async () => {
    const r = await vagga(dir, ['_list', '--containers']);
    assert.equal(r.status, 0, show(r));
    const big = new RegExp(`^big +2 versions +(${SIZE}) \\(apparent (${SIZE})\\)  linked [0-9a-f]{8}, current$`, 'm').exec(r.stdout);
    assert.ok(big, show(r));
    assert.match(r.stdout, new RegExp(`^small +1 version +${SIZE} \\(apparent ${SIZE}\\)  linked [0-9a-f]{8}, current$`, 'm'), show(r));
    assert.match(r.stderr, /^Disk use \(hard links counted once\):$/m, show(r));
    assert.match(r.stderr, new RegExp(`^  3 container versions +${SIZE} \\(apparent ${SIZE}\\)$`, 'm'), show(r));
    assert.match(r.stderr, new RegExp(`^  total +${SIZE} \\(apparent ${SIZE}\\)$`, 'm'), show(r));
    assert.doesNotMatch(r.stderr, /Permission denied|Sizes not shown/, show(r));
    // Two versions with a 300 kB blob each (in the 0700 subuid-owned dir): both counted.
    assert.ok(bytes(big[2]!) >= 600_000, `apparent size of big covers both blobs: ${big[2]}`);
  });

  test('_clean --old -n: the old version with its size, and what would be freed', async () => {
    const r = await vagga(dir, ['_clean', '--old', '-n']);
    assert.equal(r.status, 0, show(r));
    assert.match(r.stderr, new RegExp(`^Would remove \\.vagga/\\.roots/big\\.[0-9a-f]{8} \\(${SIZE}\\)$`, 'm'), show(r));
    assert.match(r.stderr, new RegExp(`^Would free up to ${SIZE} \\(apparent ${SIZE}\\), hard links counted once$`, 'm'), show(r));
    const list = await vagga(dir, ['_list', '--containers']);
    assert.match(list.stdout, /^big +2 versions/m, 'a dry run removes nothing');
  });
});
