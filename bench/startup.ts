/**
 * Start-up benchmark: how much does vagga add on top of the two things it cannot avoid,
 * starting the JavaScript runtime and starting a sandbox?
 *
 * Measured side by side in one hyperfine run (hyperfine -N: no shell; --warmup, --runs),
 * as an ordinary user (as root: the e2e harness's user, via setpriv), on a built busybox
 * container `bb` in a throw-away project:
 *   A  `node dist/vagga.mjs _run bb true`          (parse config, compute version, find the
 *                                                   built container, run `true` in it)
 *   B  `node -e 0`                                 (runtime start-up)
 *   C  bare `bwrap ... /bin/true` on the same root  (sandbox start-up; see bareBwrap())
 * Printed: the median of each, baseline = median(B) + median(C) ("node -e 0 followed by
 * bwrap"; summing medians avoids a shell between them), and ratio = median(A) / baseline.
 * Target: ratio <= 1.25. `--breakdown` adds cheaper vagga invocations (--version,
 * _version_hash, --no-version-check _run) to show where the time goes.
 *
 * Bare bwrap differs from what vagga runs in ways bare bwrap cannot express: it maps a single
 * uid (`--unshare-user --uid 0 --gid 0`) where vagga maps the subuid range with
 * newuidmap/newgidmap (two setuid helpers, ~7 ms each), and it has no catatonit as pid 1.
 * Mounts are the same as vagga's run plan: root read-only, /proc, /dev, /work, tmpfs
 * /tmp and /run, host resolv.conf and hosts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { cleanEnv, cleanupStage, e2eEnv, makeProject, show, vagga, HOST_PATH } from '../test/e2e/harness.js';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: number) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : dflt);
const runs = opt('--runs', 30);
const warmup = opt('--warmup', 5);
/** `--breakdown`: also time cheaper vagga invocations, to see where start-up time goes. */
const breakdown = argv.includes('--breakdown');

/** The bare bwrap command line equivalent to vagga's run of `true` in `root`. */
function bareBwrap(root: string, project: string): string[] {
  const a = [
    'bwrap', '--unshare-user', '--uid', '0', '--gid', '0', '--unshare-pid', '--unshare-ipc',
    '--die-with-parent', '--ro-bind', root, '/', '--proc', '/proc', '--dev', '/dev',
    '--tmpfs', '/tmp', '--tmpfs', '/run', '--bind', project, '/work',
  ];
  for (const f of ['/etc/resolv.conf', '/etc/hosts']) if (existsSync(join(root, f))) a.push('--ro-bind', f, f);
  a.push('--chdir', '/work', '--clearenv', '--setenv', 'PATH', HOST_PATH, '--setenv', 'TERM', 'dumb', '--', '/bin/true');
  return a;
}

async function main(): Promise<number> {
  if (spawnSync('hyperfine', ['--version']).status !== 0) {
    console.error('hyperfine is needed: sudo apt-get install hyperfine');
    return 1;
  }
  const env = await e2eEnv();
  const dir = await makeProject({
    'vagga.yaml': 'containers:\n  bb:\n    setup:\n    - !Tar { url: ./busybox.tar }\n',
  }, { name: 'bench' });
  const built = await vagga(dir, ['_build', 'bb'], { timeoutMs: 300_000 });
  if (built.status !== 0) {
    console.error(`building the benchmark container failed:\n${show(built)}`);
    return 1;
  }
  const check = await vagga(dir, ['_run', 'bb', 'true']);
  if (check.status !== 0) {
    console.error(`vagga _run bb true failed:\n${show(check)}`);
    return 1;
  }
  const root = realpathSync(join(dir, '.vagga/bb'));
  const commands: [string, string][] = [
    ['vagga _run bb true', `${env.runtime} ${env.vaggaScript} _run bb true`],
    ['node -e 0', `${env.runtime} -e 0`],
    ['bare bwrap true', bareBwrap(root, dir).join(' ')],
  ];
  if (breakdown) {
    commands.push(
      ['vagga --version', `${env.runtime} ${env.vaggaScript} --version`],
      ['vagga _version_hash bb', `${env.runtime} ${env.vaggaScript} _version_hash bb`],
      ['vagga --no-version-check _run bb true', `${env.runtime} ${env.vaggaScript} --no-version-check _run bb true`],
    );
  }
  const json = join(dir, 'hyperfine.json');
  const hf = ['hyperfine', '-N', '--warmup', String(warmup), '--runs', String(runs), '--export-json', json, '--style', 'basic'];
  for (const [name, cmd] of commands) hf.push('--command-name', name, cmd);
  const argvRun = env.asRoot
    ? ['setpriv', '--reuid', String(env.uid), '--regid', String(env.gid), '--init-groups', '--', ...hf]
    : hf;
  const r = spawnSync(argvRun[0]!, argvRun.slice(1), { cwd: dir, env: cleanEnv(env), stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) return 1;
  const results = JSON.parse(readFileSync(json, 'utf8')).results as { command: string; median: number; min: number; mean: number }[];
  const ms = (name: string) => results.find((x) => x.command === name)!;
  const a = ms('vagga _run bb true');
  const b = ms('node -e 0');
  const c = ms('bare bwrap true');
  const baseline = b.median + c.median;
  const row = (label: string, v: number) => `  ${label.padEnd(40)} ${(v * 1000).toFixed(1).padStart(7)} ms`;
  console.log('\nMedians (hyperfine -N, %d runs, %d warm-up):', runs, warmup);
  console.log(row('vagga _run bb true', a.median));
  console.log(row('node -e 0', b.median));
  console.log(row('bare bwrap (single uid) /bin/true', c.median));
  console.log(row('baseline: node -e 0 + bare bwrap', baseline));
  for (const x of results.slice(3)) console.log(row(x.command, x.median));
  console.log(`  ratio vagga / baseline                   ${(a.median / baseline).toFixed(2).padStart(7)}   (target <= 1.25)`);
  return 0;
}

try {
  process.exitCode = await main();
} finally {
  await cleanupStage();
}
