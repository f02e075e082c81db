import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../src/cli/cli.js';
import type { Project } from '../../../src/config/project.js';
import type { SandboxSpec } from '../../../src/sandbox/types.js';
import { DEFAULT_PATH } from '../../../src/runtime/environment.js';
import { command, fakeProject, fakeSandboxDeps } from '../cli/fake-project.js';

const HASH = '0123abcd'.repeat(16);

/** A project dir with container `c` "built" at HASH (bin/echo, bin/sh in its root) and linked. */
function builtProject(): { dir: string; project: Project } {
  const dir = mkdtempSync(join(tmpdir(), 'vagga-run-'));
  const root = join(dir, '.vagga/.roots/c.0123abcd/root');
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  symlinkSync('usr/bin', join(root, 'bin'));
  writeFileSync(join(root, 'usr/bin/echo'), '', { mode: 0o755 });
  writeFileSync(join(root, 'usr/bin/sh'), '', { mode: 0o755 });
  mkdirSync(join(dir, 'sub'));
  symlinkSync('.roots/c.0123abcd/root', join(dir, '.vagga/c'));
  const project = fakeProject({
    hello: command({ name: 'hello', run: ['echo', 'hello'], environ: { FROM: 'command' }, epilog: 'bye\n' }),
    shell: command({ name: 'shell', run: 'echo "$@"', acceptsArguments: true, workDir: 'sub' }),
    fails: command({ name: 'fails', run: ['echo'], isolateNetwork: true }),
    after: command({ name: 'after', run: ['echo'], prerequisites: ['fails'] }),
  });
  project.config.projectRoot = dir;
  project.config.containers.c.environ = { FROM: 'container', ONLY_CONTAINER: '1' };
  project.versions = { c: HASH };
  return { dir, project };
}

async function vagga(argv: string[], project: Project, cwd: string, statuses: number[] = []) {
  const specs: SandboxSpec[] = [];
  let stdout = '';
  let stderr = '';
  const status = await runCli(argv, {
    cwd,
    env: { TERM: 'vt100', HOME: '/home/u', SECRET: 'no', http_proxy: 'http://proxy' },
    out: (t) => { stdout += t; },
    err: (t) => { stderr += t; },
    loadProject: async () => project,
    sandboxDeps: fakeSandboxDeps(async (spec) => {
      specs.push(spec);
      return { status: statuses.shift() ?? 0 };
    }),
  });
  return { status, stdout, stderr, specs };
}

test('a list command: argv looked up in the rootfs, env precedence, cwd, sandbox flags, epilog', async () => {
  const { dir, project } = builtProject();
  try {
    const r = await vagga(['-E', 'EXTRA=1', 'hello', 'world'], project, join(dir, 'sub'));
    assert.equal(r.status, 0);
    assert.equal(r.stdout, 'bye\n');
    assert.equal(r.specs.length, 1);
    const spec = r.specs[0];
    assert.deepEqual(spec.argv, ['/usr/bin/echo', 'hello', 'world']);
    assert.deepEqual(spec.env, { PATH: DEFAULT_PATH, TERM: 'vt100', http_proxy: 'http://proxy', FROM: 'command', ONLY_CONTAINER: '1', EXTRA: '1' });
    assert.equal(spec.cwd, '/work/sub');
    assert.deepEqual(spec.mounts, [{ kind: 'bind', source: join(dir, '.vagga/.roots/c.0123abcd/root'), dest: '/', readOnly: true }]);
    assert.equal(spec.shareNet, true);
    assert.equal(spec.init, true);
    assert.equal(spec.allCaps, true);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('a shell command gets /bin/sh -c and its work-dir; exit status passes through, no epilog', async () => {
  const { dir, project } = builtProject();
  try {
    const r = await vagga(['shell', 'a', 'b'], project, dir, [137]);
    assert.equal(r.status, 137);
    assert.deepEqual(r.specs[0].argv, ['/bin/sh', '-c', 'echo "$@"', '--', 'a', 'b']);
    assert.equal(r.specs[0].cwd, '/work/sub');
    const h = await vagga(['hello'], project, dir, [3]);
    assert.equal(h.status, 3);
    assert.equal(h.stdout, '', 'epilog only on success');
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('prerequisites run first and a failure stops the chain; isolate-network; -m order', async () => {
  const { dir, project } = builtProject();
  try {
    const r = await vagga(['after'], project, dir, [5]);
    assert.equal(r.status, 5);
    assert.equal(r.specs.length, 1, 'after is not run once fails fails');
    assert.equal(r.specs[0].shareNet, false);
    const m = await vagga(['-m', 'hello', 'shell'], project, dir);
    assert.equal(m.status, 0);
    assert.deepEqual(m.specs.map((s) => s.argv[0]), ['/usr/bin/echo', '/bin/sh']);
    const np = await vagga(['--no-prerequisites', 'after'], project, dir);
    assert.equal(np.specs.length, 1);
    const co = await vagga(['--containers-only', 'after'], project, dir);
    assert.equal(co.status, 0);
    assert.equal(co.specs.length, 0);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('_run: default PATH lookup, 124 when missing, container env only', async () => {
  const { dir, project } = builtProject();
  try {
    const r = await vagga(['_run', 'c', 'echo', '-n', 'x'], project, dir);
    assert.equal(r.status, 0);
    assert.deepEqual(r.specs[0].argv, ['/usr/bin/echo', '-n', 'x']);
    assert.equal(r.specs[0].env.FROM, 'container');
    assert.equal(r.specs[0].cwd, '/work');
    const missing = await vagga(['_run', 'c', 'bc'], project, dir);
    assert.equal(missing.status, 124);
    assert.equal(missing.stderr, `Command "bc" not found in "${DEFAULT_PATH}"\n`
      + 'hint: No program `bc` on the PATH in container "c": install it in the container\'s setup (e.g. `!Install [package]`), '
      + 'or set PATH in the command\'s `environ` if it lives elsewhere.\n');
    assert.equal(missing.specs.length, 0);
    const unknown = await vagga(['_run', 'nope', 'echo'], project, dir);
    assert.equal(unknown.status, 121);
    assert.match(unknown.stderr, /^Container "nope" not found/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('_run and list commands: absolute programs are checked in the container before the sandbox starts (124)', async () => {
  const { dir, project } = builtProject();
  try {
    const root = join(dir, '.vagga/.roots/c.0123abcd/root');
    writeFileSync(join(root, 'usr/bin/readme'), '', { mode: 0o644 });
    const cases: Array<[string[], RegExp]> = [
      [['_run', 'c', '/bin/nonexist'], /^Command "\/bin\/nonexist" not found in container "c"\n/],
      [['_run', 'c', '/usr'], /^Command "\/usr" is a directory in container "c", not a program\n/],
      [['_run', 'c', '/bin/readme'], /^Command "\/bin\/readme" is not executable in container "c" \(mode 0644\)\n/],
    ];
    for (const [argv, re] of cases) {
      const r = await vagga(argv, project, dir);
      assert.equal(r.status, 124, argv.join(' '));
      assert.match(r.stderr, re);
      assert.equal(r.specs.length, 0, 'the sandbox is not started');
    }
    project.config.commands.abs = command({ name: 'abs', run: ['/bin/nonexist'] });
    const listCmd = await vagga(['abs'], project, dir);
    assert.equal(listCmd.status, 124);
    assert.match(listCmd.stderr, /^Command "\/bin\/nonexist" not found in container "c"/);
    const ok = await vagga(['_run', 'c', '/bin/echo', 'x'], project, dir);
    assert.equal(ok.status, 0);
    assert.deepEqual(ok.specs[0].argv, ['/bin/echo', 'x']);
  } finally {
    rmSync(dir, { recursive: true });
  }
});
