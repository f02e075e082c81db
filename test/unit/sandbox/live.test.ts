/**
 * Live checks of the sandbox as an ordinary user with a subuid range (runs the launcher in
 * live-helper.ts; as root it switches to the test user of live-user.ts via runuser).
 * Skips with a message when bwrap, busybox or such a user is not available.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { isRoot, liveSkipReason, makeBusyboxTree, runUid, subStart, user } from './live-user.js';

const skip = liveSkipReason();
if (skip) process.stderr.write(`live sandbox tests skipped: ${skip}\n`);

let base = '';
let root = '';
let work = '';

before(() => {
  if (skip) return;
  ({ base, root, work } = makeBusyboxTree('vagga-live-', ['bin', 'proc', 'dev', 'tmp', 'work', 'run', 'etc', 'vagga/root'], ['sh', 'cat', 'sleep', 'touch', 'stat', 'kill', 'echo', 'id', 'ls']));
});

after(() => {
  if (base) rmSync(base, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  result?: Record<string, unknown>;
}

function launch(job: Record<string, unknown>, opts: { input?: string; env?: Record<string, string>; onPid?: (pid: number) => void } = {}): Promise<Run> {
  const node = [process.execPath, '--import', 'tsx', 'test/unit/sandbox/live-helper.ts', JSON.stringify({ root, work, ...job })];
  const argv = isRoot ? ['runuser', '-u', user, '--', 'env', ...Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`), ...node] : node;
  const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => {
    stderr += d;
    const m = /^PID (\d+)$/m.exec(stderr);
    if (m && opts.onPid) {
      const cb = opts.onPid;
      opts.onPid = undefined;
      cb(Number(m[1]));
    }
  });
  child.stdin.end(opts.input ?? '');
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      const m = /^RESULT (.*)$/m.exec(stderr);
      resolve({ code, signal, stdout, stderr, result: m ? JSON.parse(m[1]) : undefined });
    }),
  );
}

/** Live (non-zombie) processes whose command line contains `token`. */
function processesWith(token: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(token)) found.push(`${pid} ${cmd}`);
    } catch {
      // Gone.
    }
  }
  return found;
}

const sleepMs = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('exit code, uid map, read-only root, /tmp 1777, separate stdio', { skip }, async () => {
  const r = await launch(
    { mode: 'run', cmd: 'cat /proc/self/uid_map; cat > /work/stdin.txt; echo to-stderr >&2; touch /x 2>/dev/null || echo ro-root; stat -c %a /tmp; exit 42' },
    { input: 'typed input\n' },
  );
  assert.equal(r.code, 42, r.stderr);
  assert.deepEqual(r.result, { status: 42 });
  const lines = r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
  assert.deepEqual(lines, [`0 ${runUid} 1`, `1 ${subStart} 65535`, 'ro-root', '1777']);
  assert.match(r.stderr, /^to-stderr$/m);
  assert.ok(!r.stdout.includes('to-stderr'));
  assert.equal(readFileSync(join(work, 'stdin.txt'), 'utf8'), 'typed input\n');
});

test('death by signal gives 128+N', { skip }, async () => {
  assert.deepEqual((await launch({ mode: 'run', cmd: 'kill -KILL $$' })).result, { status: 137, signal: 'SIGKILL' });
  assert.deepEqual((await launch({ mode: 'run', cmd: 'kill -TERM $$; sleep 5' })).result, { status: 143, signal: 'SIGTERM' });
});

const TRAPS = 'trap "echo trapped-TERM; exit 5" TERM; trap "echo trapped-INT; exit 6" INT; trap "echo trapped-USR1; exit 7" USR1; trap "echo trapped-USR2; exit 8" USR2';
for (const [sig, code] of [['SIGTERM', 5], ['SIGINT', 6], ['SIGUSR1', 7], ['SIGUSR2', 8]] as const) {
  for (const init of [true, false]) {
    test(`${sig} to vagga is forwarded to the command (init: ${init})`, { skip }, async () => {
      const r = await launch(
        { mode: 'run', init, cmd: `${TRAPS}; touch /work/ready-${sig}-${init}; sleep 30 & wait` },
        {
          onPid: async (pid) => {
            for (let i = 0; i < 100 && !existsSync(join(work, `ready-${sig}-${init}`)); i++) await sleepMs(20);
            process.kill(pid, sig);
          },
        },
      );
      assert.deepEqual(r.result, { status: code }, r.stderr);
      assert.match(r.stdout, new RegExp(`trapped-${sig.slice(3)}`));
      assert.doesNotMatch(r.stderr, /Debugger listening/, 'SIGUSR1 never opens the Node inspector');
    });
  }
}

test('a setup failure is a SandboxError (124) with bwrap\'s message', { skip }, async () => {
  const r = await launch({ mode: 'run', cmd: 'echo never', extraMounts: [{ kind: 'bind', source: '/nonexistent/vagga-src', dest: '/mnt', readOnly: true }] });
  assert.equal(r.code, 124);
  assert.equal(r.result?.error, 'SandboxError');
  assert.match(String(r.result?.message), /bwrap: Can't find source path \/nonexistent\/vagga-src/);
  assert.ok(!r.stdout.includes('never'));
});

test('kill -9 of the launcher while the maps are pending leaves nothing running', { skip }, async () => {
  const token = `vagga-live-pending-${process.pid}`;
  const r = await launch(
    { mode: 'run', cmd: `touch /work/${token}; sleep 30; : ${token}` },
    { env: { VAGGA_DEBUG_PAUSE_BEFORE_IDMAP: '1500' }, onPid: async (pid) => { await sleepMs(700); process.kill(pid, 'SIGKILL'); } },
  );
  assert.ok(r.code === 137 || r.signal === 'SIGKILL' || r.code === null, `launcher ended: ${r.code} ${r.signal}`);
  await sleepMs(2000);
  assert.equal(existsSync(join(work, token)), false, 'the command must never start');
  assert.deepEqual(processesWith(token), []);
  assert.deepEqual(processesWith(root), []);
});

test('kill -9 of the launcher while the command runs kills the whole sandbox', { skip }, async () => {
  const token = `vagga-live-running-${process.pid}`;
  const r = await launch(
    { mode: 'run', cmd: `sleep 300 & touch /work/${token}; wait; : ${token}` },
    {
      onPid: async (pid) => {
        for (let i = 0; i < 200 && !existsSync(join(work, token)); i++) await sleepMs(20);
        process.kill(pid, 'SIGKILL');
      },
    },
  );
  assert.ok(r.code !== 0);
  await sleepMs(500);
  assert.equal(existsSync(join(work, token)), true);
  assert.deepEqual(processesWith(token), []);
  assert.deepEqual(processesWith(root), []);
});

test('a command starts with no signal blocked or ignored, as from a shell (catatonit blocks TSTP/TTIN/TTOU)', { skip }, async () => {
  const status = { cmd: '', argv: ['/bin/cat', '/proc/self/status'] };
  const fields = (text: string) => Object.fromEntries([...text.matchAll(/^(SigBlk|SigIgn):\s*([0-9a-f]+)$/gm)].map((m) => [m[1], m[2]]));
  // The init alone: what catatonit 0.1.7 hands its command (the bug this guards against).
  const bare = await launch({ mode: 'run', ...status, init: true });
  const got = fields(bare.stdout);
  assert.ok(got.SigBlk !== undefined, bare.stderr);
  if (got.SigBlk === '0000000000000000') process.stderr.write('note: this catatonit no longer blocks signals in its child\n');
  const reset = await launch({ mode: 'run', ...status, init: true, signalReset: true });
  assert.deepEqual(fields(reset.stdout), { SigBlk: '0000000000000000', SigIgn: '0000000000000000' }, `${reset.stderr}\nwithout the reset: ${JSON.stringify(got)}`);
});

test('builder sandbox runs node, which runs a nested step sandbox in the root', { skip }, async () => {
  const r = await launch({ mode: 'builder', cmd: 'id -u; cat; touch /built-here; echo out; echo err >&2; ls /sys/kernel >/dev/null && echo has-sys; touch /sys/x 2>/dev/null || echo sys-ro; exit 3' });
  assert.deepEqual(r.result, { status: 3 }, r.stderr);
  // The nested step's stdout goes to stderr; stdin came from the `input` text.
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^0$/m);
  assert.match(r.stderr, /^from-stdin$/m);
  assert.match(r.stderr, /^out$/m);
  // Vagga's builder has /sys (issue 14): the host's, read-only, through both sandboxes.
  assert.match(r.stderr, /^has-sys$/m);
  assert.match(r.stderr, /^sys-ro$/m);
  assert.ok(existsSync(join(root, 'built-here')));
});

test('removeTreeInNamespace deletes a tree owned by subordinate ids', { skip }, async () => {
  const r = await launch({ mode: 'rmtree', cmd: '' });
  assert.deepEqual(r.result, { status: 0, createdBy: Number(subStart) + 999, removed: true }, r.stderr);
});
