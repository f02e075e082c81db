/**
 * Live checks of the direct launcher (unshare writes the maps, src/sandbox/unshare-maps.ts)
 * against the gated one, as an ordinary user with a subuid range (as root: the test user of
 * live-user.ts, via runuser). Skips with a message when the tools or the user are missing.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { LAUNCH_ENV } from '../../../src/sandbox/unshare-maps.js';
import { isRoot, liveSkipReason, makeBusyboxTree, runGid, runUid, subStart, user } from './live-user.js';

const unshareHelp = spawnSync('unshare', ['--help'], { encoding: 'utf8' }).stdout ?? '';

const skip = liveSkipReason(() => (unshareHelp.includes('--map-users') ? undefined : 'unshare has no --map-users (util-linux < 2.38)'));
if (skip) process.stderr.write(`direct launcher tests skipped: ${skip}\n`);

let base = '';
let root = '';
let work = '';

before(() => {
  if (skip) return;
  ({ base, root, work } = makeBusyboxTree('vagga-direct-', ['bin', 'proc', 'dev', 'tmp', 'work', 'run', 'etc'], ['sh', 'cat', 'touch', 'id']));
});

after(() => {
  if (base) rmSync(base, { recursive: true, force: true });
});

/** Run `cmd` through runSandbox (live-helper.ts) as the test user with `env`. */
function launch(cmd: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const job = JSON.stringify({ mode: 'run', root, work, cmd });
  const node = [process.execPath, '--import', 'tsx', 'test/unit/sandbox/live-helper.ts', job];
  const all = { ...env, XDG_CACHE_HOME: join(base, 'cache') };
  const argv = isRoot ? ['runuser', '-u', user, '--', 'env', ...Object.entries(all).map(([k, v]) => `${k}=${v}`), ...node] : node;
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...all } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const probeCmd = 'cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; id -u; exit 7';

test('direct and gated launchers give the same maps, setgroups and exit status', { skip }, async () => {
  const gated = await launch(probeCmd, { [LAUNCH_ENV]: 'gated' });
  const direct = await launch(probeCmd, { [LAUNCH_ENV]: 'unshare' });
  const auto = await launch(probeCmd, {});
  const norm = (s: string) => s.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
  const expected = [`0 ${runUid} 1`, `1 ${subStart} 65535`, `0 ${runGid} 1`, `1 ${subStart} 65535`, 'allow', '0'];
  for (const r of [gated, direct, auto]) {
    assert.equal(r.code, 7, r.stderr);
    assert.deepEqual(norm(r.stdout), expected, r.stderr);
  }
  // The automatic choice probed this unshare once and remembered the verdict.
  const verdicts = JSON.parse(readFileSync(join(base, 'cache', 'vagga', 'unshare-maps.json'), 'utf8')).verdicts;
  assert.deepEqual(Object.values(verdicts), [true]);
});

test('the direct launcher\'s safety net: with its json-status reader gone, bwrap never starts the command', { skip }, () => {
  // What happens when vagga dies in the one window --kill-child does not cover (module
  // comment of bwrap.ts): the chain runs, but fd 3 is a pipe whose reader has exited.
  const marker = join(work, 'must-not-exist');
  const chain = [
    'setpriv', '--pdeathsig', 'KILL', 'unshare', '--user', '--map-root-user',
    `--map-users=${subStart},1,65535`, `--map-groups=${subStart},1,65535`, '--pid', '--fork', '--kill-child', '--',
    'bwrap', '--unshare-pid', '--die-with-parent', '--json-status-fd', '3', '--ro-bind', root, '/',
    '--bind', work, '/work', '--dev', '/dev', '--proc', '/proc', '--', '/bin/touch', '/work/must-not-exist',
  ].map((a) => `'${a}'`).join(' ');
  const script = `(sleep 0.3; exec ${chain}) 3>&1 >/dev/null 2>&1 | true; sleep 0.5`;
  const argv = isRoot ? ['runuser', '-u', user, '--', 'sh', '-c', script] : ['sh', '-c', script];
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(existsSync(marker), false);
  // Control: the same chain with a live reader does run the command.
  const ok = spawnSync(argv[0]!, [...argv.slice(1, -1), `(exec ${chain}) 3>&1 >/dev/null | cat >/dev/null`], { encoding: 'utf8', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(existsSync(marker), true);
});
