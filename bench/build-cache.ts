/**
 * Build-cache benchmark (issue 9; not a test): how much of a rebuild the per-step cache
 * saves, measured side by side in one run, as an ordinary user (as root: the e2e harness's
 * user), with the harness's shared cache dir (bootstrap tarball and .debs downloaded once,
 * before the timed runs, so no run pays for the network).
 *
 *   A  edit the last step of a Debian + `!Install [python3]` + 3 more steps container:
 *      `vagga _build py` with the cache, against `vagga _build --no-cache py` (every step runs,
 *      which is what a rebuild cost before the cache, and what Vagga does). Target <= 0.2.
 *   B  a second container sharing its first three steps (`!Debian`, `!Install [nodejs, npm]`,
 *      `!BuildDeps [make]`) with a built one: its build time against the first container's
 *      `--no-cache` build time. Target <= 0.1.
 *   C  the number of lines a default (non-verbose, no tty) build of the nodejs container prints
 *      on stderr. Target < 40.
 *
 * Every timed build starts after sync(1) has written out what the builds before it left in the
 * page cache, so no build pays for the write-back of another (a `--no-cache` build leaves
 * hundreds of MB dirty, which the next build's copy into its root otherwise competes with);
 * `--no-sync` measures without it.
 *
 * Usage: node --import tsx bench/build-cache.ts [--runs N] [--no-sync]   (needs dist/: npm run build)
 */
import { spawnSync } from 'node:child_process';
import { cleanupStage, makeProject, show, vagga, writeProjectFile } from '../test/e2e/harness.js';

const argv = process.argv.slice(2);
const runs = Number(argv.includes('--runs') ? argv[argv.indexOf('--runs') + 1] : '3');
const settle = !argv.includes('--no-sync');

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const pyYaml = (n: number): string => `
containers:
  py:
    setup:
    - !Debian bookworm
    - !Install [python3]
    - !Sh "python3 -c 'import json; print(json.dumps([1]))' > /one.json"
    - !EnsureDir /data
    - !Text { /etc/app-version: "v${n}" }
  node1:
    setup:
    - !Debian bookworm
    - !Install [nodejs, npm]
    - !BuildDeps [make]
    - !Text { /etc/which: one }
  node2:
    setup:
    - !Debian bookworm
    - !Install [nodejs, npm]
    - !BuildDeps [make]
    - !Text { /etc/which: two }
`;

async function build(dir: string, args: string[]): Promise<{ ms: number; stderr: string }> {
  if (settle) spawnSync('sync', { stdio: 'ignore' });
  const r = await vagga(dir, ['_build', ...args], { timeoutMs: 3_600_000 });
  if (r.status !== 0) throw new Error(`vagga _build ${args.join(' ')} failed: ${show(r)}`);
  return { ms: r.ms, stderr: r.stderr };
}

async function main(): Promise<void> {
  const dir = await makeProject({ 'vagga.yaml': pyYaml(0) }, { busybox: false, name: 'bench-cache' });
  process.stderr.write('warming up: bootstrap tarball, .debs and first layers (not timed)\n');
  await build(dir, ['py']);
  await build(dir, ['node1']);

  const cached: number[] = [];
  const full: number[] = [];
  for (let i = 1; i <= runs; i++) {
    await writeProjectFile(dir, 'vagga.yaml', pyYaml(i));
    cached.push((await build(dir, ['py'])).ms);
    full.push((await build(dir, ['--no-cache', 'py'])).ms);
    process.stderr.write(`A run ${i}: cached ${(cached.at(-1)! / 1000).toFixed(1)} s, full ${(full.at(-1)! / 1000).toFixed(1)} s\n`);
  }

  const first: number[] = [];
  const second: number[] = [];
  let lines = 0;
  for (let i = 1; i <= runs; i++) {
    const one = await build(dir, ['--no-cache', 'node1']);
    first.push(one.ms);
    lines = one.stderr.split('\n').filter((l) => l !== '').length;
    // node2's own layers from the previous round go, so it really builds on node1's prefix.
    await writeProjectFile(dir, 'vagga.yaml', pyYaml(runs).replace('/etc/which: two', `/etc/which: two-${i}`));
    second.push((await build(dir, ['node2'])).ms);
    process.stderr.write(`B run ${i}: first ${(first.at(-1)! / 1000).toFixed(1)} s, second ${(second.at(-1)! / 1000).toFixed(1)} s\n`);
  }

  const a = median(cached) / median(full);
  const b = median(second) / median(first);
  const out = [
    `A  edit the last step (Debian + python3 + 3 steps), medians of ${runs}: cached ${(median(cached) / 1000).toFixed(2)} s, ` +
      `full ${(median(full) / 1000).toFixed(2)} s, ratio ${a.toFixed(3)} (target <= 0.2)`,
    `B  second container sharing 3 steps (nodejs, npm), medians of ${runs}: second ${(median(second) / 1000).toFixed(2)} s, ` +
      `first ${(median(first) / 1000).toFixed(2)} s, ratio ${b.toFixed(3)} (target <= 0.1)`,
    `C  lines printed by a default build of the nodejs container: ${lines} (target < 40)`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

main().then(cleanupStage, async (err: unknown) => {
  process.stderr.write(`${(err as Error).message}\n`);
  await cleanupStage();
  process.exitCode = 1;
});
