/**
 * End-to-end: the per-step build cache (issue 9), on busybox containers, as the test user.
 *
 * - Editing the last step rebuilds only that step (the others print `(cached)`), says why
 *   (`rebuilding from step 4/4 ...`), and gives the same root as `_build --no-cache`
 *   (index.txt: every path's type, mode, owner, size and SHA-256).
 * - A failed step leaves the steps before it cached: the fixed build resumes at it.
 * - A container with the same steps under another name is made from the cache alone.
 * - Two builds sharing a slow prefix step at the same time run it once.
 * - `_build --explain` names the changed step and file without building.
 * - kill -9 at random moments of cached builds (VAGGA_E2E_KILL_ROUNDS, default 3, 20 with
 *   VAGGA_E2E_STRESS=1): every next build succeeds and its root equals a from-scratch build.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cleanupStage, e2eEnv, linkHash, makeProject, show, spawnVagga, vagga, versionBuildLog, writeProjectFile } from './harness.js';
import { lockHeld } from '../../src/storage/lock.js';

after(cleanupStage);

const ROUNDS = Number(process.env.VAGGA_E2E_KILL_ROUNDS ?? (process.env.VAGGA_E2E_STRESS === '1' ? 20 : 3));

/** A vagga.yaml with container `bb`: busybox, then `steps` (YAML lines at 4-space indent). */
function yaml(steps: string[], more = ''): string {
  return ['containers:', '  bb:', '    setup:', '    - !Tar { url: ./busybox.tar }', ...steps, more, 'commands:',
    '  show: !Command { container: bb, run: "cat /etc/app /a" }', ''].join('\n');
}

/** The index of the version `.vagga/bb` points to (the lines after the header). */
function index(dir: string, name = 'bb'): string {
  const hash = linkHash(dir, name);
  assert.ok(hash, `.vagga/${name} is linked`);
  return readFileSync(join(dir, '.vagga', '.roots', `${name}.${hash}`, 'index.txt'), 'utf8');
}

const STEPS = [
  '    - !Sh "echo a > /a; mkdir -p /var/lib/x; chmod 0700 /var/lib/x; echo s > /var/lib/x/s; ln -s /a /link"',
  '    - !EnsureDir /data',
  '    - !Text { /etc/app: v1 }',
];

describe('per-step build cache (busybox)', { timeout: 600_000 }, () => {
  test('editing the last step runs only it, says why, and gives the root a full build gives', async () => {
    const dir = await makeProject({ 'vagga.yaml': yaml(STEPS) }, { name: 'layers-edit' });
    let r = await vagga(dir, ['_build', 'bb']);
    assert.equal(r.status, 0, show(r));
    assert.doesNotMatch(r.stderr, /\(cached\)/, 'a first build runs every step');

    await writeProjectFile(dir, 'vagga.yaml', yaml([...STEPS.slice(0, 2), '    - !Text { /etc/app: v2 }']));
    r = await vagga(dir, ['_build', '--explain', 'bb']);
    assert.equal(r.status, 0, show(r));
    assert.match(r.stdout, /4\/4 !Text \/etc\/app=v2 {2}\[changed: data: "v1" -> "v2"\]/, show(r));
    assert.match(r.stdout, /2\/4 !Sh .*\[unchanged; cached\]/, show(r));

    r = await vagga(dir, ['_build', 'bb']);
    assert.equal(r.status, 0, show(r));
    assert.match(r.stderr, /bb: rebuilding from step 4\/4 !Text \/etc\/app=v2: data: "v1" -> "v2"; steps 1-3 unchanged/, show(r));
    for (const i of [1, 2, 3]) assert.match(r.stderr, new RegExp(`Step ${i}/4:? .*\\(cached\\)`), show(r));
    assert.doesNotMatch(versionBuildLog(dir, 'bb') ?? '', /\+ echo a/, 'the !Sh step did not run again');
    assert.match(versionBuildLog(dir, 'bb') ?? '', /Step 2\/4 !Sh .*\(cached\)/, 'the build log says which steps were cached');
    const run = await vagga(dir, ['show']);
    assert.equal(run.stdout, 'v2a\n', show(run));
    const cached = index(dir);
    const timings = readFileSync(join(dir, '.vagga', '.roots', `bb.${linkHash(dir, 'bb')}`, 'timings.log'), 'utf8');
    // The archive goes from tar to tar (tree-copy.ts); the index is a walk of the copy.
    assert.match(timings, /Copy layers into the root\n.*Index$/m, show(r));
    assert.match(cached, /^d \/var\/lib\/x 0700 0 0$/m);
    assert.match(cached, /^l \/link 0777 0 0 \/a$/m);

    r = await vagga(dir, ['_build', '--no-cache', 'bb']);
    assert.equal(r.status, 0, show(r));
    assert.doesNotMatch(r.stderr, /\(cached\)/, '--no-cache runs every step');
    assert.equal(index(dir), cached, 'the root from cached layers equals the root of a full build');
    const env = await e2eEnv();
    r = await vagga(dir, ['_build', '--force', 'bb'], { settings: `cache-dir: ${env.cacheDir}\nbuild-cache: false\n` });
    assert.equal(r.status, 0, show(r));
    assert.equal(index(dir), cached, 'and the root (and index, walked and read file by file) of a build without the cache');
  });

  test('a changed file read by a step is named in the rebuild line', async () => {
    const steps = ['    - !Depends input.txt', '    - !Sh "cp /work/input.txt /copied"'];
    const dir = await makeProject({ 'vagga.yaml': yaml(steps), 'input.txt': 'one\n' }, { name: 'layers-file' });
    let r = await vagga(dir, ['_build', 'bb']);
    assert.equal(r.status, 0, show(r));
    await writeProjectFile(dir, 'input.txt', 'two\n');
    r = await vagga(dir, ['_build', '--explain', 'bb']);
    assert.match(r.stdout, /2\/3 !Depends path=input\.txt {2}\[changed: file \/work\/input\.txt changed\]/, show(r));
    r = await vagga(dir, ['_build', 'bb']);
    assert.equal(r.status, 0, show(r));
    assert.match(r.stderr, /bb: rebuilding from step 2\/3 !Depends path=input\.txt: file \/work\/input\.txt changed; step 1 unchanged/, show(r));
    const run = await vagga(dir, ['_run', 'bb', 'cat', '/copied']);
    assert.equal(run.stdout, 'two\n', show(run));
  });

  test('a failed step leaves the steps before it cached; the fixed build resumes there', async () => {
    const tok = `t${process.pid}${Date.now()}`;
    const dir = await makeProject({ 'vagga.yaml': yaml([STEPS[0]!, `    - !Sh "echo ${tok} > /b; exit 3"`]) }, { name: 'layers-fail' });
    let r = await vagga(dir, ['_build', 'bb']);
    assert.equal(r.status, 121, show(r));
    const partial = join(dir, '.vagga', '.roots', '.tmp.bb', 'root');
    assert.equal(readFileSync(join(partial, 'b'), 'utf8'), `${tok}\n`, 'the partial build (with the failed step\'s files) stays for inspection');
    assert.equal(readFileSync(join(partial, 'a'), 'utf8'), 'a\n');
    await writeProjectFile(dir, 'vagga.yaml', yaml([STEPS[0]!, `    - !Sh "echo ${tok} > /b"`, '    - !Text { /etc/app: fixed }']));
    r = await vagga(dir, ['_build', 'bb']);
    assert.equal(r.status, 0, show(r));
    assert.match(r.stderr, /Step 2\/4:? !Sh echo a > \/a.*\(cached\)/, show(r));
    assert.match(r.stderr, new RegExp(`Step 3/4:? !Sh echo ${tok} > /b [0-9.]+s\\n`), show(r));
    const run = await vagga(dir, ['_run', 'bb', 'cat', '/b']);
    assert.equal(run.stdout, `${tok}\n`, show(run));
  });

  test('a container with the same steps under another name is made from the cache', async () => {
    const other = ['  copy:', '    setup:', '    - !Tar { url: ./busybox.tar }', ...STEPS].join('\n');
    const dir = await makeProject({ 'vagga.yaml': yaml(STEPS, other) }, { name: 'layers-same' });
    let r = await vagga(dir, ['_build', 'bb']);
    assert.equal(r.status, 0, show(r));
    r = await vagga(dir, ['_build', 'copy']);
    assert.equal(r.status, 0, show(r));
    for (const i of [1, 2, 3, 4]) assert.match(r.stderr, new RegExp(`Step ${i}/4:? .*\\(cached\\)`), show(r));
    const stepLines = r.stderr.split('\n').filter((l) => /^Step \d/.test(l));
    assert.equal(stepLines.length, 4, show(r));
    for (const line of stepLines) assert.match(line, /\(cached\)$/, 'no step ran');
    assert.equal(index(dir, 'copy'), index(dir, 'bb'));
  });

  test('!Container X first stacks on X\'s layers; the root equals a build without the cache', async () => {
    const child = ['  child:', '    setup:', '    - !Container bb', '    - !Sh "cat /etc/app > /from-parent"'].join('\n');
    const dir = await makeProject({ 'vagga.yaml': yaml(STEPS, child) }, { name: 'layers-container' });
    let r = await vagga(dir, ['_build', 'child']);
    assert.equal(r.status, 0, show(r));
    assert.match(r.stderr, /Step 1\/2:? !Container bb \(on its layers\)/, show(r));
    const run = await vagga(dir, ['_run', 'child', 'cat', '/from-parent', '/a']);
    assert.equal(run.stdout, 'v1a\n', show(run));
    const layered = index(dir, 'child');
    const env = await e2eEnv();
    r = await vagga(dir, ['_build', '--force', 'child'], { settings: `cache-dir: ${env.cacheDir}\nbuild-cache: false\n` });
    assert.equal(r.status, 0, show(r));
    assert.doesNotMatch(r.stderr, /on its layers|\(cached\)/, show(r));
    assert.equal(index(dir, 'child'), layered, 'stacking on the parent\'s layers gives the root copying the parent gives');
  });

  test('two builds sharing a slow step at the same time run it once', async () => {
    const slow = '    - !Sh "echo ran >> /work/runs; sleep 2; echo slow > /slow"';
    const second = ['  two:', '    setup:', '    - !Tar { url: ./busybox.tar }', slow, '    - !Text { /etc/app: two }'].join('\n');
    const dir = await makeProject({ 'vagga.yaml': yaml([slow], second) }, { name: 'layers-concurrent' });
    const a = await spawnVagga(dir, ['_build', 'bb']);
    const b = await spawnVagga(dir, ['_build', 'two']);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    assert.equal(ra.status, 0, show(ra));
    assert.equal(rb.status, 0, show(rb));
    assert.equal(readFileSync(join(dir, 'runs'), 'utf8'), 'ran\n', 'the shared step ran once');
    const run = await vagga(dir, ['_run', 'two', 'cat', '/slow', '/etc/app']);
    assert.equal(run.stdout, 'slow\ntwo', show(run));
  });

  test(`kill -9 during cached builds (${ROUNDS} rounds): the next build succeeds with the same root`, async () => {
    const steps = (n: number) => [
      ...STEPS.slice(0, 2),
      `    - !Sh "i=0; while [ $i -lt 30 ]; do echo $i > /f$i; i=$((i+1)); done; sleep 0.3"`,
      `    - !Text { /etc/app: round${n} }`,
    ];
    const dir = await makeProject({ 'vagga.yaml': yaml(steps(0)) }, { name: 'layers-kill' });
    for (let round = 1; round <= ROUNDS; round++) {
      await writeProjectFile(dir, 'vagga.yaml', yaml(steps(round)));
      const v = await spawnVagga(dir, ['_build', '--no-cache', 'bb']);
      await new Promise((res) => setTimeout(res, 150 + Math.floor(Math.random() * 1200)));
      v.kill('SIGKILL');
      await v.done;
      const r = await vagga(dir, ['_build', 'bb']);
      assert.equal(r.status, 0, `round ${round}: ${show(r)}`);
      const afterKill = index(dir);
      const full = await vagga(dir, ['_build', '--no-cache', 'bb']);
      assert.equal(full.status, 0, show(full));
      assert.equal(index(dir), afterKill, `round ${round}: the build after the kill equals a full build`);
    }
    // The killed builds' unfinished layers were swept by the builds after them: what is left
    // in the store's tmp/ belongs to builds running now (other test files), whose lock is held.
    const store = join((await e2eEnv()).cacheDir, '.layers');
    const stale = readdirSync(join(store, 'tmp')).filter((e) => {
      const name = /^[0-9a-f]{32}/.exec(e)?.[0];
      return name !== undefined && !lockHeld(join(store, 'locks', `${name}.lock`)) && existsSync(join(store, 'tmp', e));
    });
    assert.deepEqual(stale, [], 'no tmp dir of a killed build is left');
  });
});
