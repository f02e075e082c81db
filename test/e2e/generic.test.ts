/**
 * End-to-end: a container built from generic steps on a tiny offline busybox base
 * (`!Tar` of busybox.tar, `!Text`, `!Sh`, `!EnsureDir`, `!Env`), commands run in it, and the
 * CLI contract around it (vagga-inventory.md §2.2 layout, §2.7 run sandbox, §2.10 exit codes,
 * §2.13/§4 strings). Runs vagga as an ordinary user (see harness.ts).
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  cleanupStage, e2eEnv, linkHash, makeProject, show, spawnVagga, token, vagga, versionBuildLog, waitNoProcesses,
  writeProjectFile, type E2EEnv,
} from './harness.js';

after(cleanupStage);

const containerYaml = (text: string) => `
containers:
  bb:
    setup:
    - !Tar { url: ./busybox.tar }
    - !EnsureDir /var/lib/demo
    - !Text
      /etc/greeting.txt: "${text}\\n"
    - !Env { BUILD_VAR: from-env-step }
    - !Sh |
        echo build-stdout-marker
        echo "built with $BUILD_VAR" > /etc/built.txt
        echo build-stderr-marker >&2
    environ:
      CONT_VAR: cont
      SHARED: from-container
`;

/** A sleep duration unique to this run, so leftover processes can be found by cmdline. */
const SLEEP = 1000 + Math.floor(Math.random() * 8000);

const commandsYaml = `
commands:
  greet: !Command
    description: Print the greeting
    container: bb
    run: cat /etc/greeting.txt /etc/built.txt
  exit42: !Command
    container: bb
    run: exit 42
  selfkill: !Command
    container: bb
    run: kill -KILL $$
  split: !Command
    container: bb
    run: echo to-out; echo to-err >&2
  list-args: !Command
    container: bb
    run: [echo, "args:"]
  sh-args: !Command
    container: bb
    accepts-arguments: true
    run: echo "n=$# 1=$1 2=$2"
  no-args: !Command
    container: bb
    run: echo no-args
  trap: !Command
    container: bb
    run: |
      trap 'echo trapped-TERM; exit 7' TERM
      trap 'echo trapped-INT; exit 8' INT
      echo ready
      sleep ${SLEEP} & wait
  write-work: !Command
    container: bb
    run: echo data > /work/out.txt
  tmp-mode: !Command
    container: bb
    run: stat -c %a /tmp
  write-root: !Command
    container: bb
    run: touch /etc/should-fail
  env: !Command
    container: bb
    environ:
      CMD_VAR: cmd
      SHARED: from-command
    run: env
  pwd: !Command
    container: bb
    run: pwd
`;

describe('generic busybox container', { timeout: 600_000 }, () => {
  let env: E2EEnv;
  let dir: string;
  let firstHash: string | undefined;

  before(async () => {
    env = await e2eEnv();
    dir = await makeProject({ 'vagga.yaml': containerYaml('hello from text') + commandsYaml, 'sub/dir/.keep': '' }, { name: 'generic' });
  });
  test('first run builds the container; the steps\' output goes to the build log, not stdout', async () => {
    const r = await vagga(dir, ['greet'], { timeoutMs: 300_000 });
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, 'hello from text\nbuilt with from-env-step\n', show(r));
    assert.doesNotMatch(r.stderr, /^(build-stdout-marker|build-stderr-marker)$/m, show(r));
    const log = versionBuildLog(dir, 'bb') ?? '';
    assert.match(log, /^build-stdout-marker$/m, `the version's build.log holds the steps' output:\n${log}`);
    assert.match(log, /^build-stderr-marker$/m);
  });

  test('.vagga/<name> is a relative link .roots/<name>.<8hex>/root', () => {
    firstHash = linkHash(dir, 'bb');
    assert.ok(firstHash, `unexpected link target for .vagga/bb`);
    const root = join(dir, '.vagga/.roots', `bb.${firstHash}`, 'root');
    assert.equal(readFileSync(join(root, 'etc/greeting.txt'), 'utf8'), 'hello from text\n');
    assert.ok(statSync(join(root, 'var/lib/demo')).isDirectory(), '!EnsureDir made /var/lib/demo');
  });

  test('_version_hash prints the 128-hex version matching the link; -s prints 8', async () => {
    const r = await vagga(dir, ['_version_hash', 'bb']);
    assert.equal(r.status, 0, show(r));
    assert.match(r.stdout, /^[0-9a-f]{128}\n$/, show(r));
    assert.equal(r.stdout.slice(0, 8), firstHash);
    const s = await vagga(dir, ['_version_hash', '-s', 'bb']);
    assert.equal(s.stdout, `${firstHash}\n`, show(s));
    const after = await vagga(dir, ['_version_hash', 'bb', '--short']);
    assert.equal(after.stdout, `${firstHash}\n`, `option after the name: ${show(after)}`);
  });

  test('a second _build reuses the version and prints nothing on stdout', async () => {
    const r = await vagga(dir, ['_build', 'bb']);
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, '');
    assert.doesNotMatch(r.stderr, /build-stdout-marker/, 'no steps ran again');
    assert.equal(linkHash(dir, 'bb'), firstHash);
  });

  test('exit code of the command is passed through', async () => {
    const r = await vagga(dir, ['exit42']);
    assert.equal(r.status, 42, show(r));
  });

  test('death by signal gives 128+N', async () => {
    const r = await vagga(dir, ['selfkill']);
    assert.equal(r.status, 137, show(r));
  });

  test('stdout and stderr stay separate', async () => {
    const r = await vagga(dir, ['split']);
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, 'to-out\n');
    assert.match(r.stderr, /to-err/);
    assert.doesNotMatch(r.stdout, /to-err/);
  });

  for (const [signal, code, word] of [['SIGTERM', 7, 'trapped-TERM'], ['SIGINT', 8, 'trapped-INT']] as const) {
    test(`${signal} sent to vagga is forwarded to the command (its trap runs)`, async () => {
      const run = await spawnVagga(dir, ['trap']);
      await run.waitFor('ready', 30_000);
      run.kill(signal);
      const r = await run.done;
      assert.equal(r.status, code, show(r));
      assert.match(r.stdout, new RegExp(word));
      const left = await waitNoProcesses(`sleep ${SLEEP}`, 5000);
      assert.deepEqual(left, [], 'the sandbox is gone afterwards');
    });
  }

  test('files written to /work belong to the user on the host', async () => {
    const r = await vagga(dir, ['write-work']);
    assert.equal(r.status, 0, show(r));
    const st = statSync(join(dir, 'out.txt'));
    assert.equal(readFileSync(join(dir, 'out.txt'), 'utf8'), 'data\n');
    assert.equal(st.uid, env.uid);
    assert.equal(st.gid, env.gid);
  });

  test('/tmp is a fresh tmpfs with mode 1777', async () => {
    const r = await vagga(dir, ['tmp-mode']);
    assert.equal(r.stdout, '1777\n', show(r));
  });

  test('the container root is read-only at run time', async () => {
    const r = await vagga(dir, ['write-root']);
    assert.notEqual(r.status, 0, show(r));
    assert.match(r.stderr, /Read-only file system/, show(r));
  });

  test('environment: container and command environ, !Env is build-only, host env does not leak', async () => {
    const r = await vagga(dir, ['env'], { env: { LEAKY_HOST_VAR: 'x' } });
    assert.equal(r.status, 0, show(r));
    const vars = new Map(r.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    assert.equal(vars.get('CONT_VAR'), 'cont');
    assert.equal(vars.get('CMD_VAR'), 'cmd');
    assert.equal(vars.get('SHARED'), 'from-command', 'command environ beats container environ');
    assert.equal(vars.has('BUILD_VAR'), false, '!Env applies to build steps only');
    assert.equal(vars.has('LEAKY_HOST_VAR'), false, 'the host environment is not inherited');
    assert.match(vars.get('PATH') ?? '', /\/bin/);
  });

  test('uid map inside: root in the container is the invoking user', async () => {
    const r = await vagga(dir, ['_run', 'bb', 'cat', '/proc/self/uid_map']);
    assert.equal(r.status, 0, show(r));
    const first = r.stdout.trim().split('\n')[0]!.trim().split(/\s+/);
    assert.deepEqual(first, ['0', String(env.uid), '1'], show(r));
  });

  test('the working directory follows the user\'s cwd under /work', async () => {
    const r = await vagga(dir, ['pwd'], { cwd: 'sub/dir' });
    assert.equal(r.stdout, '/work/sub/dir\n', show(r));
  });

  test('accepts-arguments: list run takes arguments, shell run with the flag gets $1..', async () => {
    const a = await vagga(dir, ['list-args', 'x', 'y z']);
    assert.equal(a.stdout, 'args: x y z\n', show(a));
    const b = await vagga(dir, ['sh-args', 'one', 'two words']);
    assert.equal(b.stdout, 'n=2 1=one 2=two words\n', show(b));
  });

  test('a shell command without accepts-arguments refuses arguments (122)', async () => {
    const r = await vagga(dir, ['no-args', 'extra']);
    assert.equal(r.status, 122, show(r));
    assert.match(r.stderr, /Unexpected argument/);
  });

  test('_run runs an arbitrary program in the container', async () => {
    const r = await vagga(dir, ['_run', 'bb', 'echo', 'hi there']);
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, 'hi there\n');
    const code = await vagga(dir, ['_run', 'bb', 'sh', '-c', 'exit 3']);
    assert.equal(code.status, 3, show(code));
    const missing = await vagga(dir, ['_run', 'bb', 'no-such-program']);
    assert.equal(missing.status, 124, show(missing));
    assert.match(missing.stderr, /Command "no-such-program" not found in/);
  });

  test('bare vagga lists the commands on stderr and exits 127', async () => {
    const r = await vagga(dir, []);
    assert.equal(r.status, 127, show(r));
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^Available commands:\n/m);
    assert.match(r.stderr, /^ {4}greet {15}Print the greeting$/m);
    assert.match(r.stderr, /^ {4}exit42$/m);
  });

  test('an unknown command exits 121 with Vagga\'s message', async () => {
    const r = await vagga(dir, ['nope']);
    assert.equal(r.status, 121, show(r));
    assert.match(r.stderr, /Command "nope" not found and is not an alias/);
  });

  test('a config change rebuilds with a new hash; the old version stays until _clean --old', async () => {
    await writeProjectFile(dir, 'vagga.yaml', containerYaml('changed text') + commandsYaml);
    const r = await vagga(dir, ['greet'], { timeoutMs: 300_000 });
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, 'changed text\nbuilt with from-env-step\n');
    const newHash = linkHash(dir, 'bb');
    assert.ok(newHash && newHash !== firstHash, `new hash ${newHash} vs ${firstHash}`);
    const oldDir = join(dir, '.vagga/.roots', `bb.${firstHash}`);
    assert.ok(existsSync(oldDir), 'the old version is kept');
    const c = await vagga(dir, ['_clean', '--old']);
    assert.equal(c.status, 0, show(c));
    assert.equal(existsSync(oldDir), false, `_clean --old removed ${oldDir}`);
    assert.ok(existsSync(join(dir, '.vagga/.roots', `bb.${newHash}`, 'root/etc/greeting.txt')), 'the current version stays');
    const again = await vagga(dir, ['greet']);
    assert.equal(again.stdout, 'changed text\nbuilt with from-env-step\n', show(again));
  });
});

describe('configuration errors', () => {
  test('a command without `run` is a config error (126) with file:line:col', async () => {
    const yaml = [
      'containers:',
      '  bb:',
      '    setup: []',
      'commands:',
      '  bad-cmd: !Command',
      '    container: bb',
      '',
    ].join('\n');
    const dir = await makeProject({ 'vagga.yaml': yaml }, { busybox: false, name: 'badcfg' });
    const r = await vagga(dir, ['bad-cmd']);
    assert.equal(r.status, 126, show(r));
    assert.match(r.stderr, /vagga\.yaml:\d+:\d+: Validation Error: Field run is expected/, show(r));
    const m = /vagga\.yaml:(\d+):\d+:/.exec(r.stderr)!;
    assert.ok(Number(m[1]) >= 5 && Number(m[1]) <= 6, `line ${m[1]} points at the command`);
  });

  test('a YAML syntax error is a config error (126) with a position', async () => {
    const dir = await makeProject({ 'vagga.yaml': 'containers:\n  bb: [\n' }, { busybox: false, name: 'badyaml' });
    const r = await vagga(dir, ['_list']);
    assert.equal(r.status, 126, show(r));
    assert.match(r.stderr, /vagga\.yaml:\d+:\d+/, show(r));
  });

  test('no vagga.yaml anywhere up the tree: 126', async () => {
    const dir = await makeProject({}, { busybox: false, name: 'noconfig' });
    const r = await vagga(dir, ['_list']);
    assert.equal(r.status, 126, show(r));
    assert.match(r.stderr, /Config not found/, show(r));
  });

  test('an unknown tag names the tag and its position', async () => {
    const uniq = token('t');
    const yaml = `containers:\n  bb:\n    setup:\n    - !NoSuchStep${uniq} x\n`;
    const dir = await makeProject({ 'vagga.yaml': yaml }, { busybox: false, name: 'badtag' });
    const r = await vagga(dir, ['_build', 'bb']);
    assert.equal(r.status, 126, show(r));
    assert.match(r.stderr, new RegExp(`vagga\\.yaml:4:\\d+: .*NoSuchStep${uniq}`), show(r));
  });
});
