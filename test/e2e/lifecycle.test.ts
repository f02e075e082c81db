/**
 * End-to-end: the build lifecycle (vagga-inventory.md §2.3): a failed or interrupted build
 * never damages the published version, leaves no processes behind, and concurrent builds of
 * one container serialise on the build lock instead of corrupting it.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  cleanupStage, linkHash, makeProject, processesMatching, show, spawnVagga, token, vagga,
  waitNoProcesses, writeProjectFile,
} from './harness.js';

after(cleanupStage);

/** A busybox container whose last steps are `extraSteps` (YAML list items, 4-space indent). */
const yaml = (version: string, extraSteps = '') => `
containers:
  bb:
    setup:
    - !Tar { url: ./busybox.tar }
    - !Text
      /etc/v.txt: "${version}"
${extraSteps}
commands:
  show: !Command
    container: bb
    run: cat /etc/v.txt
`;

const sleepUnique = () => 2000 + Math.floor(Math.random() * 7000);

describe('build lifecycle', { timeout: 900_000 }, () => {
  let dir: string;
  let goodHash: string;

  before(async () => {
    dir = await makeProject({ 'vagga.yaml': yaml('v1') }, { name: 'lifecycle' });
    const r = await vagga(dir, ['show'], { timeoutMs: 300_000 });
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, 'v1');
    goodHash = linkHash(dir, 'bb')!;
    assert.ok(goodHash, 'first build published');
  });

  /** The published version is still the first one and still readable. */
  function assertGoodVersionIntact(): void {
    assert.equal(linkHash(dir, 'bb'), goodHash, '.vagga/bb still points at the good version');
    assert.equal(readFileSync(join(dir, '.vagga/bb/etc/v.txt'), 'utf8'), 'v1');
  }

  test('a failing step exits 121 and leaves the previous version linked and usable', async () => {
    const mark = token('fail');
    await writeProjectFile(dir, 'vagga.yaml', yaml('v2', `    - !Sh "echo ${mark}; exit 1"`));
    const r = await vagga(dir, ['_build', 'bb']);
    assert.equal(r.status, 121, show(r));
    assert.match(r.stderr, new RegExp(mark), 'the step ran');
    assert.match(r.stderr, /Sh/, 'the error names the step');
    assertGoodVersionIntact();
    const h = await vagga(dir, ['_version_hash', '-s', 'bb']);
    assert.equal(h.status, 0, show(h));
    assert.equal(existsSync(join(dir, '.vagga/.roots', `bb.${h.stdout.trim()}`)), false, 'no half-built version is published');
    const old = await vagga(dir, ['--no-version-check', 'show']);
    assert.equal(old.status, 0, show(old));
    assert.equal(old.stdout, 'v1', 'the old version still runs');
  });

  for (const signal of ['SIGINT', 'SIGKILL'] as const) {
    test(`${signal} to vagga during a build step keeps the previous version and leaves no processes`, async () => {
      const mark = token('sleeping');
      const secs = sleepUnique();
      await writeProjectFile(dir, 'vagga.yaml', yaml('v3', `    - !Sh "echo ${mark}; sleep ${secs}"`));
      const run = await spawnVagga(dir, ['_build', 'bb'], { timeoutMs: 120_000 });
      // The step's output goes to the build log, not the terminal: wait for its process.
      for (let i = 0; i < 600 && processesMatching(`sleep ${secs}`).length === 0 && run.child.exitCode === null; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 300));
      assert.ok(processesMatching(`sleep ${secs}`).length > 0, `the step is running in the builder\n${run.stderr()}`);
      run.kill(signal);
      const r = await run.done;
      assert.equal(r.timedOut, false, show(r));
      assert.notEqual(r.status, 0, show(r));
      const left = await waitNoProcesses(`sleep ${secs}`, 10_000);
      assert.deepEqual(left, [], 'the build step was killed with vagga');
      assert.deepEqual(await waitNoProcesses(mark, 2000), [], 'no builder process is left');
      assertGoodVersionIntact();
    });
  }

  test('after a killed build, the next build succeeds (stale lock and .tmp dir are handled)', async () => {
    await writeProjectFile(dir, 'vagga.yaml', yaml('v4'));
    const r = await vagga(dir, ['show'], { timeoutMs: 120_000 });
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, 'v4');
    assert.notEqual(linkHash(dir, 'bb'), goodHash);
  });

  test('two concurrent builds of one container: one builds, the other waits and reuses it', async () => {
    const mark = token('concurrent');
    await writeProjectFile(dir, 'vagga.yaml', yaml('v5', `    - !Sh "sleep 3; echo ${mark} >> /work/builds.log"`));
    const a = await spawnVagga(dir, ['_build', 'bb'], { timeoutMs: 120_000 });
    await new Promise((r) => setTimeout(r, 200));
    const b = await spawnVagga(dir, ['_build', 'bb'], { timeoutMs: 120_000 });
    const [ra, rb] = await Promise.all([a.done, b.done]);
    assert.equal(ra.status, 0, show(ra));
    assert.equal(rb.status, 0, show(rb));
    const log = readFileSync(join(dir, 'builds.log'), 'utf8');
    assert.equal(log, `${mark}\n`, 'the step ran exactly once');
    const s = await vagga(dir, ['show']);
    assert.equal(s.stdout, 'v5', show(s));
  });
});
