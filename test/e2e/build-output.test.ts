/**
 * End-to-end: what a build prints (issue 9, "readable build output"). By default one line
 * per step without a terminal (no carriage returns), the programs' output in the version's
 * build.log; a failed step shows the end of its output and the log's path; `-v` streams
 * everything; `-q` prints only the failure; on a terminal (script(1)) a live line, coloured
 * unless NO_COLOR. The Debian part reuses the harness's cached bootstrap and .debs (the
 * first Debian e2e on a machine bootstraps once); VAGGA_E2E_SKIP_DEBIAN=1 skips it.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanEnv, cleanupStage, e2eEnv, linkHash, makeProject, show, vagga, versionBuildLog } from './harness.js';
import { BUSYBOX_CONTAINERS_HEAD } from './fixtures.js';

after(cleanupStage);

const skipDebian = process.env.VAGGA_E2E_SKIP_DEBIAN === '1' ? 'VAGGA_E2E_SKIP_DEBIAN=1' : false;

/** Non-empty lines of `text`. */
const lines = (text: string): string[] => text.split('\n').filter((l) => l.trim() !== '');

/** Lines a default build may print: finished step and prepare lines, and the final one. */
const ALLOWED = [
  /^(Step|Prepare) \d+\/\d+ !\S+.* \d+\.\ds$/,
  /^Container [\w-]+ \([0-9a-f]{8}\) built in [\d.]+ seconds\.$/,
];

describe('build output of a Debian container', { skip: skipDebian, timeout: 1_800_000 }, () => {
  let dir = '';
  before(async () => {
    dir = await makeProject({
      'vagga.yaml': `
containers:
  app:
    setup:
    - !Debian bookworm
    - !Install [hello]
    - !Sh echo app-built-marker
  app-verbose:
    setup:
    - !Debian bookworm
    - !Install [hello]
    - !Sh echo verbose-built-marker
`,
    }, { busybox: false, name: 'build-output-debian' });
  });

  test('default: one line per step, no carriage returns, under 40 lines; apt\'s output is in the version\'s build.log', async () => {
    const r = await vagga(dir, ['_build', 'app'], { timeoutMs: 1_500_000, noBuildCache: true });
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, '', show(r));
    assert.ok(!r.stderr.includes('\r'), `no carriage return without a terminal\n${show(r)}`);
    assert.ok(!r.stderr.includes('\x1b'), `no escape sequence without a terminal\n${show(r)}`);
    const shown = lines(r.stderr);
    assert.ok(shown.length < 40, `${shown.length} lines\n${show(r)}`);
    for (const line of shown) assert.ok(ALLOWED.some((re) => re.test(line)), `unexpected line ${JSON.stringify(line)}\n${show(r)}`);
    assert.match(r.stderr, /^Step 1\/3 !Debian suite=bookworm \d+\.\ds$/m, show(r));
    assert.match(r.stderr, /^Step 2\/3 !Install packages: hello \d+\.\ds$/m, show(r));
    assert.match(r.stderr, /^Step 3\/3 !Sh echo app-built-marker \d+\.\ds$/m, show(r));
    assert.ok(linkHash(dir, 'app'));
    const log = versionBuildLog(dir, 'app') ?? '';
    assert.match(log, /^==> Step 2\/3 !Install packages: hello$/m, log);
    assert.match(log, /^0 upgraded, \d+ newly installed/m, `apt-get's output is in build.log\n${log}`);
    assert.match(log, /^Setting up hello /m, `dpkg's output is in build.log\n${log}`);
    assert.match(log, /^app-built-marker$/m, log);
    assert.ok(!log.includes('\r'), 'the log holds lines as a terminal shows them');
    assert.ok(existsSync(join(dir, '.vagga/.roots', `app.${linkHash(dir, 'app')}`, 'timings.log')));
  });

  test('-v: the steps\' output is streamed as before', async () => {
    const r = await vagga(dir, ['-v', '_build', 'app-verbose'], { timeoutMs: 1_500_000, noBuildCache: true });
    assert.equal(r.status, 0, show(r));
    assert.match(r.stderr, /^Step 2\/3: !Install packages: hello$/m, show(r));
    assert.match(r.stderr, /^Setting up hello /m, show(r));
    assert.match(r.stderr, /^verbose-built-marker$/m, show(r));
    assert.match(r.stderr, /^ {2}done in \d+\.\d\ds$/m, show(r));
    assert.match(versionBuildLog(dir, 'app-verbose') ?? '', /^Setting up hello /m, 'the log is kept with -v too');
  });
});

// All on stderr after the first line, so the order of the lines is the script's.
const BROKEN = `${BUSYBOX_CONTAINERS_HEAD}    - !Sh |
        echo to-stdout
        exec >&2
        for i in $(seq 1 40); do echo out-line-$i; done
        exit 3
  live:
    setup:
    - !Tar { url: ./busybox.tar }
    - !Sh sleep 1; echo live-marker
`;

describe('build output of a failed step and on a terminal', { timeout: 600_000 }, () => {
  let dir = '';
  before(async () => {
    dir = await makeProject({ 'vagga.yaml': BROKEN }, { name: 'build-output' });
  });

  test('a failing !Sh shows the last 30 lines of its output and the log\'s path; the log is kept in .tmp.NAME', async () => {
    const r = await vagga(dir, ['_build', 'bb'], { timeoutMs: 300_000, noBuildCache: true });
    assert.equal(r.status, 121, show(r));
    assert.ok(!r.stderr.includes('\r'), show(r));
    assert.match(r.stderr, /^Step 1\/2 !Tar url=\.\/busybox\.tar.* \d+\.\ds$/m, show(r));
    assert.match(r.stderr, /^Step 2\/2 !Sh echo to-stdout \.\.\. failed after \d+\.\ds; the last lines of its output:$/m, show(r));
    const tail = r.stderr.split('\n').filter((l) => l.startsWith('  | '));
    assert.equal(tail.length, 30, show(r));
    assert.deepEqual(tail.slice(-3), ['  | + echo out-line-40', '  | out-line-40', '  | + exit 3'], show(r));
    assert.ok(!tail.includes('  | out-line-1'), `only the end of the output\n${show(r)}`);
    assert.match(r.stderr, /^Build log: \.vagga\/\.roots\/\.tmp\.bb\/build\.log$/m, show(r));
    assert.match(r.stderr, /Build of container "bb" failed at step 2\/2 !Sh \(vagga\.yaml:\d+\): Command .* exited with code 3/, show(r));
    const log = readFileSync(join(dir, '.vagga/.roots/.tmp.bb/build.log'), 'utf8');
    assert.match(log, /^==> Step 2\/2 !Sh echo to-stdout/m, log);
    assert.match(log, /^out-line-1$/m, `the whole output is in the log\n${log}`);
    assert.match(log, /^to-stdout$/m, `stdout too\n${log}`);
  });

  test('-q: only the failure', async () => {
    const r = await vagga(dir, ['-q', '_build', 'bb'], { timeoutMs: 300_000, noBuildCache: true });
    assert.equal(r.status, 121, show(r));
    assert.doesNotMatch(r.stderr, /^Step 1\/2/m, show(r));
    assert.match(r.stderr, /^Step 2\/2 !Sh .* failed after/m, show(r));
    assert.match(r.stderr, /^ {2}\| out-line-40$/m, show(r));
    assert.match(r.stderr, /Build of container "bb" failed/, show(r));
  });

  /** Run `vagga args` on a pseudo-terminal (script(1)); resolves with its exit status and what the terminal got. */
  async function onTerminal(args: string[], extraEnv: Record<string, string>): Promise<{ status: number | null; out: string }> {
    const env = await e2eEnv();
    const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
    const user = env.asRoot ? ['setpriv', '--reuid', String(env.uid), '--regid', String(env.gid), '--init-groups', '--'] : [];
    const term = spawn('script', ['-qfec', [...user, env.runtime, env.vaggaScript, ...args].map(q).join(' '), '/dev/null'], {
      cwd: dir, env: { ...cleanEnv(env, {}, `cache-dir: ${env.cacheDir}\nbuild-cache: false\n`), TERM: 'xterm', ...extraEnv }, stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    term.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    term.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const killer = setTimeout(() => term.kill('SIGKILL'), 240_000);
    const status = await new Promise<number | null>((resolve) => term.on('close', (code) => resolve(code)));
    clearTimeout(killer);
    term.stdin.end();
    return { status, out };
  }

  test('on a terminal: a live line redrawn in place, then the finished line; colours unless NO_COLOR', async () => {
    const coloured = await onTerminal(['_build', 'live'], {});
    assert.equal(coloured.status, 0, coloured.out);
    assert.ok(coloured.out.includes('\r\x1b[2K\x1b[1mStep 2/2 !Sh sleep 1; echo live-marker\x1b[0m'), JSON.stringify(coloured.out));
    assert.match(coloured.out, /\r\x1b\[2K\x1b\[1mStep 2\/2 !Sh sleep 1; echo live-marker\x1b\[0m \x1b\[2m\d+\.\ds\x1b\[0m\r?\n/, JSON.stringify(coloured.out));
    assert.doesNotMatch(coloured.out, /^live-marker/m, 'the step\'s output is not on the terminal');

    const plain = await onTerminal(['_build', '--force', 'live'], { NO_COLOR: '1' });
    assert.equal(plain.status, 0, plain.out);
    assert.doesNotMatch(plain.out, /\x1b\[[0-9;]*m/, `no colour with NO_COLOR\n${JSON.stringify(plain.out)}`);
    assert.match(plain.out, /\r\x1b\[2KStep 2\/2 !Sh sleep 1; echo live-marker \d+\.\ds\r?\n/, JSON.stringify(plain.out));
  });
});
