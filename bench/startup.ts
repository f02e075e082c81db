/**
 * Start-up benchmark (issue 12): how much does vagga add on top of the two things it cannot
 * avoid, starting the JavaScript runtime and starting a sandbox, and how does it compare with
 * the tool most users would pick instead?
 *
 * Measured side by side in one hyperfine run per environment (hyperfine -N: no shell;
 * --warmup, --runs), as an ordinary user (as root: the e2e harness's user, via setpriv), on a
 * built busybox container `bb` in a throw-away project (warm: each vagga command ran before,
 * so its launch description is cached, src/runtime/launch-cache.ts):
 *   vagga _run bb true        `node dist/vagga.cjs _run bb true` (package.json `bin`)
 *   vagga t                   the same through a `!Command` (`t: !Command {container: bb, run: [true]}`)
 *   node -e 0                 runtime start-up (and `bun -e 0` when bun is found: --bun PATH or PATH)
 *   chain without vagga       vagga's own launcher (setpriv, unshare with the subuid map,
 *                             bwrap, catatonit, env --default-signal) replayed with /bin/true, read from /proc while
 *                             vagga runs a command (without the --json-status-fd, whose reader is vagga)
 *   bare bwrap true           single-uid bwrap on the same root (see bareBwrap())
 *   podman                    `podman --runtime runc run --rm --network host --rootfs ROOT /bin/true`
 *                             (the peer; host network like vagga's default; unless --no-podman
 *                             or podman is missing)
 * Printed: the medians and the three targets' ratios:
 *   vagga / (node -e 0 + bare bwrap) <= 1.25; vagga / bare bwrap <= 3 (moonshot);
 *   podman / vagga >= 10.
 *
 * Environments (`--env clean|caller|both`, default clean):
 * - clean: only HOME, PATH, USER, LOGNAME, LANG and VAGGA_SETTINGS (the e2e harness's cleanEnv);
 * - caller: the environment the benchmark was started with (minus test-runner variables),
 *   with the same six variables overridden (e.g. a NODE_EXTRA_CA_CERTS there makes every node
 *   start read and parse that CA bundle, which costs node -e 0 and vagga alike).
 *
 * `--breakdown` (with `--bun-exe PATH`: also a `bun build --compile` of src/cli/fast-entry.ts,
 * warm path only) adds the full path (VAGGA_NO_LAUNCH_CACHE=1, started through env(1)), cheaper
 * vagga invocations (--version, _version_hash), the ESM entry, bun running the same entry
 * (when found), and the launcher chain stage by stage:
 *   setpriv --pdeathsig KILL true
 *   + unshare --user --map-root-user --pid --fork --kill-child (single-id map, written by unshare)
 *   + the --map-users/--map-groups ranges (unshare forks newuidmap and newgidmap)
 *   + bwrap (mount, pid, ipc namespaces and all mounts)
 *   + catatonit as pid 1
 *   + the host's `env --default-signal` before the command (= the whole chain vagga runs)
 *
 * Bare bwrap differs from what vagga runs in ways bare bwrap cannot express: it maps a
 * single uid (`--unshare-user --uid 0 --gid 0`) where vagga maps the subuid range with
 * newuidmap/newgidmap (two setuid helpers), and it has no catatonit as pid 1. Mounts are those
 * of vagga's run plan: root read-only, /proc, /dev, /work, tmpfs /tmp and /run, host
 * resolv.conf and hosts.
 *
 * Usage: node bench/run-startup.mjs [--runs N per round] [--warmup N] [--rounds N]
 *        [--env clean|caller|both] [--breakdown] [--no-podman] [--bun PATH] [--bun-exe PATH]
 */
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import {
  cleanEnv, cleanupStage, e2eEnv, makeProject, processesMatching, show, spawnVagga, token, vagga, HOST_PATH,
  type E2EEnv,
} from '../test/e2e/harness.js';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1]! : dflt);
const runs = Number(opt('--runs', '10'));
const warmup = Number(opt('--warmup', '3'));
/**
 * `--rounds N` (default 3): hyperfine is run N times over all the commands, each round in a
 * rotated order, and the medians are taken over every round's runs. hyperfine times one
 * command's runs back to back, so on a shared machine a burst of load would otherwise land on
 * whichever command ran then; rounds spread it.
 */
const rounds = Number(opt('--rounds', '3'));
const envChoice = opt('--env', 'clean');
const withPodman = !argv.includes('--no-podman');
/** bun: `--bun PATH`, else `bun` in PATH (undefined when neither runs). */
function findBun(): string | undefined {
  const given = argv.includes('--bun') ? argv[argv.indexOf('--bun') + 1] : undefined;
  for (const c of given ? [given] : ['bun']) {
    const r = spawnSync(c, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return given ? realpathSync(c) : spawnSync('sh', ['-c', 'command -v bun'], { encoding: 'utf8' }).stdout.trim();
  }
  return undefined;
}
/** `--breakdown`: also time cheaper vagga invocations and the sandbox chain stage by stage. */
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

/**
 * The launcher command line vagga runs for `_run bb ...`, read from /proc while vagga runs a
 * long command (setpriv execs unshare, so the process found is unshare; setpriv's own
 * arguments are vagga's fixed `--pdeathsig KILL`). Undefined when vagga used the gated
 * launcher (a /bin/sh holder instead of bwrap right after unshare's `--`).
 */
async function capturedChain(dir: string): Promise<string[] | undefined> {
  const tok = token('benchsleep');
  const bg = await spawnVagga(dir, ['_run', 'bb', 'sh', '-c', 'sleep 10', tok]);
  let found: string[] | undefined;
  for (let i = 0; i < 100 && !found; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const p = processesMatching(tok).find((x) => /\bunshare\b/.test(x.cmdline.split(' ')[0] ?? ''));
    if (p) {
      try {
        found = readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').split('\0').filter((x, j, all) => j < all.length - 1 || x !== '');
      } catch {
        // Gone already.
      }
    }
  }
  bg.kill('SIGTERM');
  await bg.done;
  if (!found) return undefined;
  const dd = found.indexOf('--');
  if (dd < 0 || !/bwrap$/.test(found[dd + 1] ?? '')) return undefined;
  return found;
}

/** Replays of the captured chain, stage by stage (see the module comment). */
function chainStages(chain: string[]): [string, string[]][] {
  const setpriv = ['setpriv', '--pdeathsig', 'KILL'];
  const dd = chain.indexOf('--');
  const unshare = chain.slice(0, dd);
  const single = unshare.filter((a) => !a.startsWith('--map-users=') && !a.startsWith('--map-groups='));
  let bwrap = chain.slice(dd + 1);
  const js = bwrap.indexOf('--json-status-fd');
  if (js >= 0) bwrap.splice(js, 2);
  const pid1 = bwrap.indexOf('--as-pid-1');
  const withInit = pid1 >= 0 ? [...bwrap.slice(0, pid1 + 4), '/bin/true'] : undefined;
  // The command's signal-state reset (src/runtime/signal-reset.ts: the host's env through its loader).
  const ds = bwrap.indexOf('--default-signal');
  const withReset = ds >= 0 && bwrap[ds + 1] === '--' ? [...bwrap.slice(0, ds + 2), '/bin/true'] : undefined;
  if (pid1 >= 0) {
    const init = bwrap[pid1 + 2]!;
    bwrap = bwrap.slice(0, pid1);
    const bind = bwrap.findIndex((a, i) => a === '--ro-bind' && bwrap[i + 2] === init);
    if (bind >= 0) bwrap.splice(bind, 3);
  } else {
    bwrap = bwrap.slice(0, bwrap.lastIndexOf('--'));
  }
  const stages: [string, string[]][] = [
    ['chain: setpriv true', [...setpriv, '/bin/true']],
    ['chain: + unshare, single-id map', [...setpriv, ...single, '--', '/bin/true']],
    ['chain: + subuid ranges (newuidmap/newgidmap)', [...setpriv, ...unshare, '--', '/bin/true']],
    ['chain: + bwrap (mounts, pid/ipc ns)', [...setpriv, ...unshare, '--', ...bwrap, '--', '/bin/true']],
  ];
  if (withInit) stages.push([withReset ? 'chain: + catatonit' : 'chain: + catatonit (= vagga\'s chain)', [...setpriv, ...unshare, '--', ...withInit]]);
  if (withReset) stages.push(['chain: + env --default-signal (= vagga\'s chain)', [...setpriv, ...unshare, '--', ...withReset]]);
  return stages;
}

/** Variables of the caller's environment that belong to the benchmark's own runner. */
const RUNNER_VARS = /^(NODE_OPTIONS|NODE_TEST_CONTEXT|NODE_CHANNEL_FD|TSX_.*|npm_.*|INIT_CWD)$/;

function callerEnv(env: E2EEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !RUNNER_VARS.test(k)) out[k] = v;
  return { ...out, ...cleanEnv(env) };
}

interface HfResult { command: string; median: number; min: number; mean: number; times: number[]; user: number; system: number }

/** Median of `xs` (not empty). Pure. */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** `rounds` hyperfine runs over `commands` (rotated each round), merged: median of all times, mean CPU time. */
function hyperfineRounds(env: E2EEnv, dir: string, commands: [string, string][], runEnv: Record<string, string>, tag: string): HfResult[] | undefined {
  const all = new Map<string, HfResult[]>();
  for (let i = 0; i < rounds; i++) {
    const k = i % commands.length;
    const r = hyperfine(env, dir, [...commands.slice(k), ...commands.slice(0, k)], runEnv, `${tag}-${i}`);
    if (!r) return undefined;
    for (const x of r) all.set(x.command, [...(all.get(x.command) ?? []), x]);
  }
  return commands.map(([name]) => {
    const rs = all.get(name)!;
    const times = rs.flatMap((x) => x.times);
    const avg = (f: (x: HfResult) => number) => rs.reduce((n, x) => n + f(x), 0) / rs.length;
    return { command: name, median: median(times), min: Math.min(...times), mean: avg((x) => x.mean), times, user: avg((x) => x.user), system: avg((x) => x.system) };
  });
}

function hyperfine(env: E2EEnv, dir: string, commands: [string, string][], runEnv: Record<string, string>, tag: string): HfResult[] | undefined {
  const json = join(dir, `hyperfine-${tag}.json`);
  const hf = ['hyperfine', '-N', '--warmup', String(warmup), '--runs', String(runs), '--export-json', json, '--style', 'basic'];
  for (const [name, cmd] of commands) hf.push('--command-name', name, cmd);
  const argvRun = env.asRoot
    ? ['setpriv', '--reuid', String(env.uid), '--regid', String(env.gid), '--init-groups', '--', ...hf]
    : hf;
  const r = spawnSync(argvRun[0]!, argvRun.slice(1), { cwd: dir, env: runEnv, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) return undefined;
  return JSON.parse(readFileSync(json, 'utf8')).results as HfResult[];
}

async function main(): Promise<number> {
  if (spawnSync('hyperfine', ['--version']).status !== 0) {
    console.error('hyperfine is needed: sudo apt-get install hyperfine');
    return 1;
  }
  const env = await e2eEnv();
  const dir = await makeProject({
    'vagga.yaml': 'containers:\n  bb:\n    setup:\n    - !Tar { url: ./busybox.tar }\ncommands:\n  t: !Command\n    container: bb\n    run: [true]\n',
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
  const v = `${env.runtime} ${env.vaggaScript}`;
  const bun = findBun();
  const chain = await capturedChain(dir);
  if (!chain) console.error('(vagga used the gated launcher or the chain could not be read: no chain replay)');
  else console.error(`vagga's launcher: setpriv --pdeathsig KILL ${chain.join(' ')}`);
  const stages = chain ? chainStages(chain) : [];
  const podmanOk = withPodman && spawnSync('podman', ['--version']).status === 0;
  const runtimeDir = join(env.stageDir, 'podman-run');
  podmanRuntimeDir = runtimeDir;
  const commands: [string, string][] = [
    ['vagga _run bb true', `${v} _run bb true`],
    ['vagga t (!Command)', `${v} t`],
    ['node -e 0', `${env.runtime} -e 0`],
    ['bare bwrap true', bareBwrap(root, dir).join(' ')],
  ];
  if (stages.length > 0) commands.push(['chain without vagga', stages[stages.length - 1]![1].join(' ')]);
  if (bun) commands.push(['bun -e 0', `${bun} -e 0`]);
  if (podmanOk) commands.push(['podman run --rm (runc, --rootfs)', `env XDG_RUNTIME_DIR=${runtimeDir} podman --runtime runc run --rm --network host --rootfs ${root} /bin/true`]);
  if (breakdown) {
    commands.push(
      ['vagga _run bb true, full path (env VAGGA_NO_LAUNCH_CACHE=1)', `env VAGGA_NO_LAUNCH_CACHE=1 ${v} _run bb true`],
      ['vagga --version', `${v} --version`],
      ['vagga _version_hash bb', `${v} _version_hash bb`],
      ['vagga.mjs (ESM entry) _run bb true', `${env.runtime} ${join(env.distDir, 'vagga.mjs')} _run bb true`],
    );
    if (bun) commands.push(['bun vagga.cjs _run bb true', `${bun} ${env.vaggaScript} _run bb true`]);
    // `--bun-exe PATH`: src/cli/fast-entry.ts made a single executable by `bun build --compile`
    // (warm path only: on a miss it cannot load dist/vagga-main.cjs; the descriptions the node
    // runs wrote are valid for it, their key names dist/ files, not the running program).
    const exe = argv.includes('--bun-exe') ? argv[argv.indexOf('--bun-exe') + 1] : undefined;
    if (exe) commands.push(['bun --compile warm entry _run bb true', `${exe} _run bb true`]);
    for (const [name, a] of stages.slice(0, -1)) commands.push([name, a.join(' ')]);
  }
  if (podmanOk) {
    mkdirSync(runtimeDir, { recursive: true, mode: 0o700 });
    if (env.asRoot) chownSync(runtimeDir, env.uid, env.gid);
  }
  const envs: [string, Record<string, string>][] = [];
  if (envChoice === 'clean' || envChoice === 'both') envs.push(['clean', cleanEnv(env)]);
  if (envChoice === 'caller' || envChoice === 'both') envs.push(['caller', callerEnv(env)]);
  const nodeVars = Object.keys(process.env).filter((k) => /^NODE_/.test(k) && !RUNNER_VARS.test(k));
  const row = (label: string, s: number, cpu?: number) => `  ${label.padEnd(58)} ${(s * 1000).toFixed(1).padStart(7)} ms${cpu === undefined ? '' : `   cpu ${(cpu * 1000).toFixed(1).padStart(6)} ms`}`;
  for (const [tag, runEnv] of envs) {
    const results = hyperfineRounds(env, dir, commands, runEnv, tag);
    if (!results) return 1;
    const ms = (name: string) => results.find((x) => x.command === name);
    const a = ms('vagga _run bb true')!;
    const cmd = ms('vagga t (!Command)')!;
    const b = ms('node -e 0')!;
    const c = ms('bare bwrap true')!;
    const pod = ms('podman run --rm (runc, --rootfs)');
    const baseline = b.median + c.median;
    const extra = tag === 'caller' ? ` (caller's NODE_* variables: ${nodeVars.join(', ') || 'none'})` : '';
    console.log(`\n[${tag} environment${extra}] medians of wall time (hyperfine -N, ${rounds} rounds of ${runs} runs, ${warmup} warm-up each), mean user+system CPU time:`);
    for (const x of results) console.log(row(x.command === 'vagga _run bb true' ? `vagga _run bb true (${env.vaggaScript.split('/').pop()}, warm)` : x.command, x.median, x.user + x.system));
    console.log(row('baseline: node -e 0 + bare bwrap', baseline));
    const ratio = (label: string, value: number, target: string) => console.log(`  ${label.padEnd(58)} ${value.toFixed(2).padStart(7)}   (target ${target})`);
    ratio('ratio vagga _run / (node -e 0 + bare bwrap)', a.median / baseline, '<= 1.25');
    ratio('ratio vagga t / (node -e 0 + bare bwrap)', cmd.median / baseline, '<= 1.25');
    ratio('ratio vagga _run / bare bwrap', a.median / c.median, '<= 3, moonshot');
    if (pod) ratio('podman / vagga _run', pod.median / a.median, '>= 10');
  }
  return 0;
}

/**
 * Stop rootless podman's pause process (`catatonit -P`, which podman starts once per user and
 * leaves running to hold its user namespace), so the benchmark leaves no process of the test
 * user behind: the e2e tests count that user's processes. Its pid is in
 * `$XDG_RUNTIME_DIR/libpod/tmp/pause.pid` (podman's rootless runtime dir).
 */
function stopPodmanPause(runtimeDir: string): void {
  try {
    const pid = Number(readFileSync(join(runtimeDir, 'libpod', 'tmp', 'pause.pid'), 'utf8').trim());
    if (Number.isInteger(pid) && pid > 1) process.kill(pid, 'SIGKILL');
  } catch {
    // podman did not run, or its pause process is gone already.
  }
}

let podmanRuntimeDir: string | undefined;
try {
  process.exitCode = await main();
} finally {
  if (podmanRuntimeDir) stopPodmanPause(podmanRuntimeDir);
  await cleanupStage();
}
