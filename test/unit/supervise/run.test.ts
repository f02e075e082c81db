import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../src/cli/cli.js';
import type { Project } from '../../../src/config/project.js';
import type { CommandConfig, SuperviseConfig } from '../../../src/config/model.js';
import { planRuns } from '../../../src/user-commands/run.js';
import { runSupervise, type SuperviseOutput, type SuperviseRun } from '../../../src/supervise/run.js';
import { NO_CHILDREN_MESSAGE } from '../../../src/supervise/args.js';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import type { SandboxHandle, StartOptions } from '../../../src/sandbox/bwrap.js';
import type { SandboxResult, SandboxSpec } from '../../../src/sandbox/types.js';
import { command, fakeProject, fakeSandboxDeps } from '../cli/fake-project.js';

const HASH = '0123abcd'.repeat(16);
const pos = { file: '/p/vagga.yaml', line: 1, col: 1 };

function supervise(over: Partial<SuperviseConfig> & { name: string; children: Record<string, CommandConfig> }): SuperviseConfig {
  return {
    kind: 'Supervise', mode: 'stop-on-failure', killUnresponsiveAfter: 2, aliases: [], prerequisites: [], isolateNetwork: false, tags: [], pos, ...over,
  };
}

const children = () => ({
  web: command({ name: 'web', run: ['echo', 'web'], tags: ['front'], epilog: 'child epilog\n' }),
  db: command({ name: 'db', run: ['echo', 'db'], environ: { ROLE: 'db' } }),
});

/** A project dir with container `c` "built" at HASH and the supervise commands `sv` (stop-on-failure) and `all` (wait-all-successful). */
function builtProject(): { dir: string; project: Project } {
  const dir = mkdtempSync(join(tmpdir(), 'vagga-sv-'));
  const root = join(dir, '.vagga/.roots/c.0123abcd/root');
  mkdirSync(join(root, 'bin'), { recursive: true });
  writeFileSync(join(root, 'bin/echo'), '', { mode: 0o755 });
  symlinkSync('.roots/c.0123abcd/root', join(dir, '.vagga/c'));
  const project = fakeProject({
    sv: supervise({ name: 'sv', children: children(), epilog: 'sv done\n' }) as unknown as CommandConfig,
    all: supervise({ name: 'all', mode: 'wait-all-successful', children: children(), epilog: 'all done\n' }) as unknown as CommandConfig,
  });
  project.config.projectRoot = dir;
  project.versions = { c: HASH };
  return { dir, project };
}

/** A promise with its resolver. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond(), 'condition reached');
}

/** Run vagga with a fake sandbox whose children end when the test says so (`ends[argv[1]]`). */
function start(argv: string[], project: Project, dir: string) {
  const specs: SandboxSpec[] = [];
  const ends = new Map<string, ReturnType<typeof deferred<SandboxResult>>>();
  let stdout = '';
  let stderr = '';
  const done = runCli(argv, {
    cwd: dir,
    env: { TERM: 'dumb' },
    out: (t) => { stdout += t; },
    err: (t) => { stderr += t; },
    loadProject: async () => project,
    sandboxDeps: fakeSandboxDeps((spec) => {
      specs.push(spec);
      const d = deferred<SandboxResult>();
      ends.set(spec.argv[1]!, d);
      return d.promise;
    }),
  });
  return { done, specs, ends, out: () => stdout, err: () => stderr };
}

test('stop-on-failure: children start in name order with VAGGA_COMMAND/SUBCOMMAND; the first exit decides', async () => {
  const { dir, project } = builtProject();
  try {
    const r = start(['sv'], project, dir);
    await until(() => r.specs.length === 2);
    assert.deepEqual(r.specs.map((s) => s.argv), [['/bin/echo', 'db'], ['/bin/echo', 'web']]);
    assert.equal(r.specs[0].env.VAGGA_COMMAND, 'sv');
    assert.equal(r.specs[0].env.VAGGA_SUBCOMMAND, 'db');
    assert.equal(r.specs[0].env.ROLE, 'db');
    assert.equal(r.specs[1].env.VAGGA_SUBCOMMAND, 'web');
    r.ends.get('web')!.resolve({ status: 1 });
    await until(() => r.out().length > 0);
    assert.equal(r.out(), '---------- Process web:0 exited with code 1. Shutting down -----------\n');
    r.ends.get('db')!.resolve({ status: 143, signal: 'SIGTERM' });
    assert.equal(await r.done, 1);
    assert.equal(r.out(), '---------- Process web:0 exited with code 1. Shutting down -----------\n', 'no epilog, no child epilog');
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('wait-all-successful: 0 when every child succeeds, then the epilog; --only by tag; --exclude', async () => {
  const { dir, project } = builtProject();
  try {
    const r = start(['all'], project, dir);
    await until(() => r.specs.length === 2);
    r.ends.get('db')!.resolve({ status: 0 });
    r.ends.get('web')!.resolve({ status: 0 });
    assert.equal(await r.done, 0);
    assert.equal(r.out(), 'all done\n');

    const only = start(['sv', '--only', 'front'], project, dir);
    await until(() => only.specs.length === 1);
    assert.deepEqual(only.specs[0].argv, ['/bin/echo', 'web']);
    only.ends.get('web')!.resolve({ status: 0 });
    assert.equal(await only.done, 0);
    assert.equal(only.out(), '---------- Process web:0 exited with code 0. Shutting down -----------\nsv done\n');

    const excl = start(['sv', '--exclude', 'web'], project, dir);
    await until(() => excl.specs.length === 1);
    assert.deepEqual(excl.specs[0].argv, ['/bin/echo', 'db']);
    excl.ends.get('db')!.resolve({ status: 7 });
    assert.equal(await excl.done, 7);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('issue 14: `options` on a !Supervise (Vagga\'s `args`, `one-kills-another`): docopt values reach every child; --only/--exclude kept by [options]', async () => {
  const { dir, project } = builtProject();
  try {
    project.config.commands.args = supervise({
      name: 'args', mode: 'wait-all-successful', description: 'Test of arg parsing', children: children(),
      options: "Usage: vagga args [options]\n\nOptions:\n  -F, --first <txt>  First process' text\n  --second <txt>     Second process' text\n",
    }) as unknown as CommandConfig;
    project.config.commands.fail = supervise({
      name: 'fail', children: children(), options: 'Usage: vagga fail [options]\n\nOptions:\n  --exit-code <code>  First process exit code\n',
    }) as unknown as CommandConfig;
    // generic.bats "Argument parsing for supervise": -Fhello --second world; --first=xxx --second=yyy.
    const r = start(['args', '-Fhello', '--second', 'world'], project, dir);
    await until(() => r.specs.length === 2);
    for (const spec of r.specs) {
      assert.equal(spec.env.VAGGAOPT_FIRST, 'hello');
      assert.equal(spec.env.VAGGAOPT_SECOND, 'world');
      assert.equal(spec.env.VAGGACLI_FIRST, '--first hello');
      assert.equal(spec.env.VAGGAOPT_ONLY, '');
    }
    r.ends.get('db')!.resolve({ status: 0 });
    r.ends.get('web')!.resolve({ status: 0 });
    assert.equal(await r.done, 0);
    const plan = planRuns(project, ['args'], ['--first=xxx', '--second=yyy', '--only', 'front', '--only', 'db'], false);
    assert.ok(Array.isArray(plan));
    const sv = plan[0] as SuperviseRun;
    assert.deepEqual(sv.children, ['db', 'web']);
    assert.equal(sv.optionEnv?.VAGGAOPT_FIRST, 'xxx');
    assert.equal(sv.optionEnv?.VAGGAOPT_SECOND, 'yyy');
    assert.equal(sv.optionEnv?.VAGGAOPT_ONLY, 'front db');
    assert.deepEqual((planRuns(project, ['args'], ['--exclude', 'front'], false) as SuperviseRun[])[0].children, ['db']);
    // --exit-code reaches the children (fail-fast "with exit code").
    const f = planRuns(project, ['fail'], ['--exit-code', '1'], false);
    assert.ok(Array.isArray(f) && (f[0] as SuperviseRun).optionEnv?.VAGGAOPT_EXIT_CODE === '1');
    // Bad arguments: docopt's 121 with the usage; --help: the whole text with the supervise block.
    const is121 = (e: unknown) => e instanceof VaggaError && e.exitCode === 121 && /^Unknown flag: '--bad-arg'\n\nUsage: vagga args \[options\]$/.test(e.message);
    assert.throws(() => planRuns(project, ['args'], ['--bad-arg'], false), is121);
    assert.throws(() => planRuns(project, ['args'], ['extra-arg'], false), (e) => e instanceof VaggaError && e.exitCode === 121 && e.message.startsWith('Invalid arguments.'));
    const help = planRuns(project, ['args'], ['--help'], false);
    assert.ok(!Array.isArray(help));
    assert.ok(help.help.startsWith('Test of arg parsing\n\nUsage: vagga args [options]'));
    assert.match(help.help, /Supervise options:\n {2}-h, --help {11}This help\n {2}--only <tag> \.\.\./);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('a build-mode flag after a supervise command\'s name: its children run from .vagga/<container> with --no-version-check', async () => {
  const { dir, project } = builtProject();
  try {
    project.versions = {};
    const plan = planRuns(project, ['sv'], ['--no-version-check', '--only', 'db'], false);
    assert.ok(Array.isArray(plan) && (plan[0] as SuperviseRun).buildMode === 'no-version-check');
    const r = start(['sv', '--no-version-check', '--only', 'db'], project, dir);
    await until(() => r.specs.length === 1);
    assert.deepEqual(r.specs[0].argv, ['/bin/echo', 'db']);
    r.ends.get('db')!.resolve({ status: 0 });
    assert.equal(await r.done, 0, r.err());
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('nothing selected: the exact message, 127; a child that cannot start: its line and 127', async () => {
  const { dir, project } = builtProject();
  try {
    const none = start(['sv', '--only', 'nothing'], project, dir);
    assert.equal(await none.done, 127);
    assert.equal(none.err(), `${NO_CHILDREN_MESSAGE}\n`);
    assert.equal(none.specs.length, 0);

    (project.config.commands.sv as unknown as SuperviseConfig).children.web.run = ['missing-program'];
    const bad = start(['sv'], project, dir);
    await until(() => bad.out().length > 0);
    assert.match(bad.out(), /^---------- Process web could not be run: Command "missing-program" not found.*\. Shutting down -----------\n$/);
    bad.ends.get('db')!.resolve({ status: 143, signal: 'SIGTERM' });
    assert.equal(await bad.done, 127);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('planRuns: supervise runs carry their children; unsupported pieces fail with 121', () => {
  const project = fakeProject({
    sv: supervise({ name: 'sv', children: children(), prerequisites: ['pre'] }) as unknown as CommandConfig,
    pre: command({ name: 'pre', run: ['echo'] }),
    iso: supervise({ name: 'iso', isolateNetwork: true, children: children() }) as unknown as CommandConfig,
    net: supervise({ name: 'net', children: { n: command({ name: 'n', run: ['x'], network: { ports: {} } }) } }) as unknown as CommandConfig,
    uid: supervise({ name: 'uid', children: { u: command({ name: 'u', run: ['x'], passTcpSocket: '8080' }) } }) as unknown as CommandConfig,
  });
  const plan = planRuns(project, ['sv'], ['--exclude', 'db'], false);
  assert.ok(Array.isArray(plan));
  assert.deepEqual(plan.map((r) => r.command.name), ['pre', 'sv']);
  assert.deepEqual((plan[1] as SuperviseRun).children, ['web']);
  const help = planRuns(project, ['sv'], ['-h'], false);
  assert.ok(!Array.isArray(help) && help.help.startsWith('Usage:\n    vagga sv [--only NAME_OR_TAG...]'));
  const is121 = (re: RegExp) => (e: unknown) => e instanceof VaggaError && e.exitCode === 121 && re.test(e.message);
  // isolate-network on a supervise command is supported (src/network/): planned like any other.
  const iso = planRuns(project, ['iso'], [], false);
  assert.ok(Array.isArray(iso) && (iso[0] as SuperviseRun).command.isolateNetwork === true);
  // A `network:` child is planned with the children's own network (src/network/); without `ip` it is refused.
  assert.throws(() => planRuns(project, ['net'], [], false), (e) => e instanceof VaggaError && e.code === 'network.bad-address' && /Child "n": `network` needs an `ip`/.test(e.message));
  // pass-tcp-socket is supported on children (fd 3, tcp-socket.ts): planned like any child.
  const tcp = planRuns(project, ['uid'], [], false);
  assert.ok(Array.isArray(tcp) && (tcp[0] as SuperviseRun).children[0] === 'u');
  assert.throws(() => planRuns(project, ['sv'], ['web'], false), (e) => e instanceof VaggaError && e.exitCode === 122);
});

/** Fake sandboxes that record the signals they get and end when told to (SIGKILL ends them at once). */
function fakeSandboxes() {
  const got: string[] = [];
  const ends = new Map<string, (r: SandboxResult) => void>();
  let pid = 100;
  const options: StartOptions[] = [];
  const startSandbox = (spec: SandboxSpec, opts: StartOptions): SandboxHandle => {
    const name = spec.argv[0];
    const d = deferred<SandboxResult>();
    ends.set(name, d.resolve);
    options.push(opts);
    return {
      pid: ++pid,
      signal: (sig) => {
        got.push(`${name}:${sig}`);
        if (sig === 'SIGKILL') d.resolve({ status: 137, signal: 'SIGKILL' });
      },
      signalGroup: (sig) => {
        got.push(`${name}:group:${sig}`);
      },
      done: d.promise,
    };
  };
  return { got, ends, startSandbox, options };
}

function directRun(mode: SuperviseConfig['mode'], killUnresponsiveAfter = 2, stopSelf?: () => void) {
  let stdout = '';
  let stderr = '';
  const output: SuperviseOutput = { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; }, isolateNetwork: false };
  const cmd = supervise({ name: 'sv', mode, killUnresponsiveAfter, children: { a: command({ name: 'a', run: ['a'] }), b: command({ name: 'b', run: ['b'] }) } });
  const run: SuperviseRun = { command: cmd, args: [], children: ['a', 'b'] };
  const fakes = fakeSandboxes();
  const signals = new EventEmitter();
  const started: string[] = [];
  const done = runSupervise(output, fakeProject({}), run, (child, deps) => {
    started.push(child.name);
    return deps.runSandbox({ argv: [child.name] } as SandboxSpec).then((r) => r.status);
  }, { startSandbox: fakes.startSandbox, signals, msPerSecond: 10, stopSelf });
  return { done, fakes, signals, started, out: () => stdout, err: () => stderr };
}

test('children start in sessions of their own (the terminal stays vagga\'s) without their own signal forwarding', async () => {
  const r = directRun('stop-on-failure');
  await until(() => r.started.length === 2);
  assert.deepEqual(r.fakes.options, [{ forwardSignals: false, ownSession: true }, { forwardSignals: false, ownSession: true }]);
  r.fakes.ends.get('a')!({ status: 0 });
  r.fakes.ends.get('b')!({ status: 0 });
  assert.equal(await r.done, 0);
});

test('SIGTSTP stops every child\'s process group, then vagga; SIGCONT continues them; no shutdown; listeners are removed', async () => {
  const r = directRun('stop-on-failure', 2, () => r.fakes.got.push('self:SIGSTOP'));
  await until(() => r.started.length === 2);
  r.signals.emit('SIGTSTP');
  assert.deepEqual(r.fakes.got.splice(0), ['a:group:SIGSTOP', 'b:group:SIGSTOP', 'self:SIGSTOP']);
  r.signals.emit('SIGCONT');
  assert.deepEqual(r.fakes.got, ['a:group:SIGCONT', 'b:group:SIGCONT']);
  assert.equal(r.err(), '');
  assert.equal(r.out(), '');
  r.fakes.ends.get('a')!({ status: 0 });
  r.fakes.ends.get('b')!({ status: 0 });
  assert.equal(await r.done, 0);
  assert.equal(r.signals.listenerCount('SIGTSTP'), 0);
  assert.equal(r.signals.listenerCount('SIGCONT'), 0);
});

test('SIGINT to vagga goes to every child once; the result is 130 after they end; listeners are removed', async () => {
  const r = directRun('stop-on-failure');
  await until(() => r.started.length === 2);
  assert.equal(r.signals.listenerCount('SIGINT'), 1);
  r.signals.emit('SIGINT');
  assert.deepEqual(r.fakes.got, ['a:SIGINT', 'b:SIGINT']);
  assert.equal(r.err(), 'Received SIGINT signal. Waiting the processes to stop...\n');
  r.fakes.ends.get('a')!({ status: 130, signal: 'SIGINT' });
  r.fakes.ends.get('b')!({ status: 0 });
  assert.equal(await r.done, 130);
  assert.equal(r.out(), '');
  assert.equal(r.signals.listenerCount('SIGINT'), 0);
});

test('unresponsive children are named and SIGKILLed after kill-unresponsive-after', async () => {
  const r = directRun('stop-on-failure', 3);
  await until(() => r.started.length === 2);
  r.fakes.ends.get('a')!({ status: 2 });
  assert.equal(await r.done, 2);
  assert.deepEqual(r.fakes.got, ['b:SIGTERM', 'b:SIGKILL']);
  const lines = r.out().split('\n');
  assert.equal(lines[0], '---------- Process a:101 exited with code 2. Shutting down -----------');
  assert.equal(lines[1], '---------- Processes ["b"] are still alive. Killing ... -----------');
  assert.match(lines[2], /kill-unresponsive-after.*3 s|3 s.*kill-unresponsive-after/);
});

test('a command probe runs the child\'s command with `run` replaced, quietly and read-only; the waiter starts once it passes', async () => {
  const output: SuperviseOutput = { stdout: () => {}, stderr: () => {}, isolateNetwork: false };
  const db = command({ name: 'db', run: ['postgres'], writeMode: 'transient-hard-link-copy', environ: { PGDATA: '/x' } });
  db.ready = { command: ['pg_isready'], interval: 0.01, probeTimeout: 5, timeout: 30 };
  const web = command({ name: 'web', run: ['web'] });
  web.waitFor = ['db'];
  const run: SuperviseRun = { command: supervise({ name: 'sv', children: { db, web } }), args: [], children: ['db', 'web'] };
  const started: CommandConfig[] = [];
  const specs: SandboxSpec[] = [];
  const ends = new Map<string, (r: SandboxResult) => void>();
  let probes = 0;
  const startSandbox = (spec: SandboxSpec): SandboxHandle => {
    specs.push(spec);
    if (spec.argv[0] === 'pg_isready') return { pid: 0, signal: () => {}, done: Promise.resolve({ status: ++probes >= 3 ? 0 : 2 }) };
    const d = deferred<SandboxResult>();
    ends.set(spec.argv[0]!, d.resolve);
    return { pid: 0, signal: (sig) => d.resolve({ status: sig === 'SIGKILL' ? 137 : 143 }), done: d.promise };
  };
  const done = runSupervise(output, fakeProject({}), run, (child, deps) => {
    started.push(child);
    const argv = Array.isArray(child.run) ? child.run : [child.run];
    return deps.runSandbox({ argv, stdout: 'inherit' } as SandboxSpec).then((r) => r.status);
  }, { startSandbox, signals: new EventEmitter(), msPerSecond: 1000 });
  await until(() => started.some((c) => c.name === 'web'));
  assert.equal(probes, 3, 'web started after the third probe, the first that passed');
  const probe = started.find((c) => c.run[0] === 'pg_isready')!;
  assert.equal(probe.writeMode, 'read-only');
  assert.equal(probe.environ.PGDATA, '/x', 'the child\'s environment');
  assert.equal(probe.environ.VAGGA_SUBCOMMAND, 'db');
  const probeSpec = specs.find((s) => s.argv[0] === 'pg_isready')!;
  assert.deepEqual([probeSpec.stdin, probeSpec.stdout, probeSpec.stderr], ['null', 'null', 'null']);
  ends.get('web')!({ status: 0 });
  assert.equal(await done, 0);
});

test('isolate-network: one network is opened before the children, every child and probe joins it, it is closed after', async () => {
  const output: SuperviseOutput = { stdout: () => {}, stderr: () => {}, isolateNetwork: false };
  const db = command({ name: 'db', run: ['db'] });
  db.ready = { command: ['probe'], interval: 0.01, probeTimeout: 5, timeout: 30 };
  const web = command({ name: 'web', run: ['web'] });
  web.waitFor = ['db'];
  const run: SuperviseRun = { command: supervise({ name: 'sv', isolateNetwork: true, children: { db, web } }), args: [], children: ['db', 'web'] };
  const events: string[] = [];
  const ends = new Map<string, (r: SandboxResult) => void>();
  const join = { userns: '/proc/7/ns/user', netns: '/proc/7/ns/net' };
  const startSandbox = (spec: SandboxSpec): SandboxHandle => {
    events.push(`start ${spec.argv[0]} ${spec.joinNetwork?.netns}`);
    if (spec.argv[0] === 'probe') return { pid: 0, signal: () => {}, done: Promise.resolve({ status: 0 }) };
    const d = deferred<SandboxResult>();
    ends.set(spec.argv[0]!, d.resolve);
    return { pid: 0, signal: () => {}, done: d.promise };
  };
  const done = runSupervise(output, fakeProject({}), run, (child, deps) => deps.runSandbox({ argv: child.run } as SandboxSpec).then((r) => r.status), {
    startSandbox,
    openNetwork: async (_mapping, request) => {
      events.push(`open ${JSON.stringify(request)}`);
      return { join, close: async () => void events.push('close') };
    },
  });
  await until(() => ends.has('web'));
  ends.get('db')!({ status: 0 });
  ends.get('web')!({ status: 0 });
  assert.equal(await done, 0);
  assert.deepEqual(events, [
    'open {"publish":[],"outbound":false}', 'start db /proc/7/ns/net', 'start probe /proc/7/ns/net', 'start web /proc/7/ns/net', 'close',
  ]);
});

test('without isolate-network (and no --publish/--network-outbound) no network is opened', async () => {
  const output: SuperviseOutput = { stdout: () => {}, stderr: () => {}, isolateNetwork: false };
  const run: SuperviseRun = { command: supervise({ name: 'sv', children: { a: command({ name: 'a', run: ['a'] }) } }), args: [], children: ['a'] };
  let opened = false;
  const status = await runSupervise(output, fakeProject({}), run, (child, deps) => deps.runSandbox({ argv: child.run } as SandboxSpec).then((r) => r.status), {
    startSandbox: (spec) => ({ pid: 0, signal: () => {}, done: Promise.resolve({ status: spec.joinNetwork ? 9 : 0 }) }),
    openNetwork: async () => {
      opened = true;
      throw new Error('not expected');
    },
  });
  assert.equal(status, 0);
  assert.equal(opened, false);
});

test('network children: the network starts before the children, each child\'s spec goes through it, it is closed at the end', async () => {
  const output: SuperviseOutput = { stdout: () => {}, stderr: () => {}, isolateNetwork: false };
  const cmd = supervise({
    name: 'sv',
    children: {
      a: command({ name: 'a', run: ['a'], network: { ip: '172.23.0.1', ports: {} } }),
      b: command({ name: 'b', run: ['b'], bridge: true }),
    },
  });
  const planned = planRuns(fakeProject({ sv: cmd as unknown as CommandConfig }), ['sv'], [], false);
  assert.ok(Array.isArray(planned));
  const run = planned[0] as SuperviseRun;
  assert.deepEqual(run.network, { nodes: [{ name: 'a', ip: '172.23.0.1', hostname: 'a', ports: {} }], bridges: ['b'] });
  const events: string[] = [];
  const fakes = fakeSandboxes();
  const done = runSupervise(output, fakeProject({}), run, (child, deps) => deps.runSandbox({ argv: [child.name] } as SandboxSpec).then((r) => r.status), {
    startSandbox: (spec, opts) => {
      events.push(`start ${spec.argv.join(' ')}`);
      return fakes.startSandbox(spec, opts);
    },
    signals: new EventEmitter(),
    startNetwork: async (plan) => {
      events.push(`network ${plan.nodes.map((n) => n.name).join(',')}`);
      return {
        adjust: (name, spec) => ({ ...spec, argv: [spec.argv[0], `joined-${name}`] }),
        close: () => events.push('close'),
      };
    },
  });
  await until(() => fakes.ends.size === 2);
  fakes.ends.get('a')!({ status: 0 });
  fakes.ends.get('b')!({ status: 0 });
  assert.equal(await done, 0);
  assert.deepEqual(events, ['network a', 'start a joined-a', 'start b joined-b', 'close']);
});

test('network children: --network-outbound goes to their network (no isolated network); --publish is refused with a hint', async () => {
  const cmd = supervise({ name: 'sv', children: { a: command({ name: 'a', run: ['a'], network: { ip: '172.23.0.1', ports: {} } }) } });
  const planned = planRuns(fakeProject({ sv: cmd as unknown as CommandConfig }), ['sv'], [], false);
  assert.ok(Array.isArray(planned));
  const run = planned[0] as SuperviseRun;
  const asked: unknown[] = [];
  const effects = {
    startSandbox: (): SandboxHandle => ({ pid: 0, signal: () => {}, done: Promise.resolve({ status: 0 }) }),
    signals: new EventEmitter(),
    openNetwork: async () => {
      throw new Error('no isolated network expected');
    },
    startNetwork: async (_plan: unknown, options: unknown) => {
      asked.push(options);
      return { adjust: (_name: string, spec: SandboxSpec) => spec, close: () => {} };
    },
  };
  const outbound: SuperviseOutput = { stdout: () => {}, stderr: () => {}, isolateNetwork: false, network: { publish: [], outbound: true } };
  assert.equal(await runSupervise(outbound, fakeProject({}), run, (child, deps) => deps.runSandbox({ argv: child.run } as SandboxSpec).then((r) => r.status), effects), 0);
  assert.deepEqual(asked, [{ outbound: true }]);
  const publish: SuperviseOutput = { ...outbound, network: { publish: [{ hostPort: 8080, containerPort: 80 }], outbound: false } };
  await assert.rejects(
    runSupervise(publish, fakeProject({}), run, () => Promise.resolve(0), effects),
    (e: unknown) => e instanceof VaggaError && e.code === 'network.bad-publish' && /--publish cannot be used/.test(e.message) && /ports: \{HOST_PORT: CONTAINER_PORT\}/.test(e.hint ?? ''),
  );
  assert.equal(asked.length, 1, 'nothing started for the refused run');
});
