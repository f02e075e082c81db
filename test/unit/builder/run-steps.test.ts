import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Settings, StepConfig } from '../../../src/config/model.js';
import { createBuildContext } from '../../../src/builder/build-context.js';
import type { BuilderSpec } from '../../../src/builder/builder-spec.js';
import { decodeSpecJson, encodeSpecJson } from '../../../src/builder/builder-spec.js';
import { runSteps } from '../../../src/builder/run-steps.js';
import { createBuildProgress } from '../../../src/builder/progress.js';
import { StepFailedError } from '../../../src/builder/errors.js';
import { stepSummary, stepLocation } from '../../../src/builder/step-text.js';
import type { StepDef } from '../../../src/steps/step.js';
import type { NestedSpec } from '../../../src/sandbox/nested.js';
import { tempDir } from '../temp-dir.js';

const settings: Settings = { buildLockWait: false, proxyEnvVars: true, propagateEnviron: [], environ: {}, externalVolumes: {} };

function spec(steps: StepConfig[]): BuilderSpec {
  const dir = tempDir('vagga-rs-');
  mkdirSync(join(dir, 'root'));
  mkdirSync(join(dir, 'cache'));
  return {
    containerName: 'app', steps, containers: { base: [] }, settings, env: { PATH: '/bin', HOME: '/tmp', TERM: 'dumb' }, verbosity: 1,
    hostProjectRoot: '/proj', root: join(dir, 'root'), work: join(dir, 'work'), cacheDir: join(dir, 'cache'),
    containerRoots: { base: '/vagga/containers/base' }, scratchDir: dir,
  };
}

const st = (tag: string, params: unknown, line = 4): StepConfig => ({ tag, params, pos: { file: '/proj/vagga.yaml', line, col: 5 } });

function harness(s: BuilderSpec, defs: Record<string, StepDef<any>>) {
  const out = { text: '', timings: [] as string[] };
  let t = 0;
  let shown = 0;
  const ctx = createBuildContext(s, { info() {}, warn() {}, debug() {} }, async () => ({ status: 0 }));
  // Plain lines (no terminal); the progress has its own clock, 1 s per reading.
  const progress = createBuildProgress({ verbosity: s.verbosity, tty: false, colour: false, write: (x) => { out.text += x; }, now: () => (shown += 1000) });
  const run = () => runSteps(s, ctx, {
    stepDef: (tag) => defs[tag], progress, timing: (l) => out.timings.push(l), now: () => (t += 250),
  });
  return { ctx, out, run };
}

const write: StepDef<{ path: string; text: string }> = {
  tag: 'Write', schema: undefined as never, hash() {},
  async build(p, ctx) { mkdirSync(join(ctx.root, p.path, '..'), { recursive: true }); writeFileSync(join(ctx.root, p.path), p.text); },
};

test('steps run in order with a finished line each, times and a timings log; the root is finished', async () => {
  const s = spec([st('Write', { path: 'etc/a', text: '1' }), st('Write', { path: 'tmp/junk', text: 'x' })]);
  const { out, run, ctx } = harness(s, { Write: write });
  ctx.finish.ensureDirs.push('/var/lib/x');
  const result = await run();
  assert.deepEqual(result, { ok: true });
  assert.equal(out.text, 'Step 1/2 !Write path=etc/a, text=1 1.0s\nStep 2/2 !Write path=tmp/junk, text=x 1.0s\n');
  assert.deepEqual(out.timings.map((l) => l.replace(/ +/g, ' ').trim()), [
    // The fake clock advances 0.25 s per reading (one reading per step).
    '0.25s 0.25s Start', '0.50s 0.25s Step: !Write path=etc/a, text=1', '0.75s 0.25s Step: !Write path=tmp/junk, text=x', '1.00s 0.25s Finish',
  ]);
  const root = s.root;
  assert.deepEqual(readdirSync(root).sort(), ['dev', 'etc', 'proc', 'run', 'sys', 'tmp', 'var', 'work']);
  assert.equal(statSync(join(root, 'tmp')).mode & 0o7777, 0o1777);
  assert.equal(statSync(join(root, 'dev')).mode & 0o7777, 0o755);
  assert.deepEqual(readdirSync(join(root, 'tmp')), []);
  assert.equal(readFileSync(join(root, 'etc/resolv.conf'), 'utf8'), '');
  assert.equal(readFileSync(join(root, 'etc/hosts'), 'utf8'), '');
  assert.equal(readFileSync(join(root, 'etc/a'), 'utf8'), '1');
  assert.ok(statSync(join(root, 'var/lib/x')).isDirectory());
});

test('finish: hooks run before the cleanup; Remove/EmptyDir are re-applied; resolv.conf truncated; symlinks kept', async () => {
  const s = spec([st('Write', { path: 'etc/resolv.conf', text: 'nameserver 1.1.1.1' })]);
  const { run, ctx } = harness(s, { Write: write });
  mkdirSync(join(s.root, 'opt/gone'), { recursive: true });
  mkdirSync(join(s.root, 'var/cache/e/sub'), { recursive: true });
  mkdirSync(join(s.root, 'var/tmp'), { recursive: true });
  writeFileSync(join(s.root, 'var/tmp/t'), '');
  symlinkSync('../run/hosts', join(s.root, 'etc-hosts-link'));
  ctx.finish.removePaths.push('/opt/gone');
  ctx.finish.emptyDirs.push('/var/cache/e');
  let hookSawGone = false;
  ctx.finish.hooks.push(async () => { hookSawGone = existsSync(join(s.root, 'opt/gone')); writeFileSync(join(s.root, 'tmp/by-hook'), ''); });
  assert.equal((await run()).ok, true);
  assert.equal(hookSawGone, true);
  assert.equal(existsSync(join(s.root, 'opt/gone')), false);
  assert.deepEqual(readdirSync(join(s.root, 'var/cache/e')), []);
  assert.deepEqual(readdirSync(join(s.root, 'var/tmp')), []);
  assert.deepEqual(readdirSync(join(s.root, 'tmp')), []);
  assert.equal(readFileSync(join(s.root, 'etc/resolv.conf'), 'utf8'), '');

  const s2 = spec([]);
  mkdirSync(join(s2.root, 'etc'));
  symlinkSync('../run/systemd/resolve/stub-resolv.conf', join(s2.root, 'etc/resolv.conf'));
  assert.equal((await harness(s2, {}).run()).ok, true);
  assert.ok(lstatSync(join(s2.root, 'etc/resolv.conf')).isSymbolicLink());
});

test('a step without build fails with "Step !X is not supported yet" and its position', async () => {
  const s = spec([st('Write', { path: 'a', text: '' }), st('Alpine', 'v3.15', 9)]);
  const result = await harness(s, { Write: write, Alpine: { tag: 'Alpine', schema: undefined as never, hash() {} } }).run();
  assert.equal(result.ok, false);
  assert.equal(result.message, 'Step !Alpine is not supported yet');
  assert.deepEqual(result.step, { index: 2, total: 2, tag: 'Alpine', pos: { file: '/proj/vagga.yaml', line: 9, col: 5 } });
});

test('a failing step is reported with its index; later steps do not run', async () => {
  const failing: StepDef<string> = { tag: 'Fail', schema: undefined as never, hash() {}, async build() { throw new StepFailedError(['/bin/sh', '-exc', 'exit 3'], 3); } };
  const s = spec([st('Fail', 'x'), st('Write', { path: 'never', text: '' })]);
  const result = await harness(s, { Fail: failing, Write: write }).run();
  assert.equal(result.ok, false);
  assert.equal(result.step?.index, 1);
  assert.equal(result.message, 'Command `/bin/sh -exc "exit 3"` exited with code 3');
  assert.equal(existsSync(join(s.root, 'never')), false);
});

test('BuildContext.run: nested sandbox over the root with cache binds, env and cwd; non-zero rejects', async () => {
  const s = spec([]);
  const calls: NestedSpec[] = [];
  let status = 0;
  const ctx = createBuildContext(s, { info() {}, warn() {}, debug() {} }, async (n) => { calls.push(n); return { status }; });
  ctx.cacheMounts.set('/var/cache/apt/archives', 'apt-archives-debian');
  ctx.env.LANG = 'C.UTF-8';
  await ctx.run(['apt-get', 'update'], { env: { EXTRA: '1' } });
  assert.equal(calls.length, 1);
  const call = calls[0]!;
  assert.deepEqual(call.argv, ['apt-get', 'update']);
  assert.equal(call.cwd, '/work');
  assert.deepEqual(call.env, { PATH: '/bin', HOME: '/tmp', TERM: 'dumb', LANG: 'C.UTF-8', EXTRA: '1' });
  assert.ok(statSync(join(s.cacheDir, 'apt-archives-debian')).isDirectory());
  assert.ok(statSync(join(s.root, 'var/cache/apt/archives')).isDirectory());
  assert.equal(readFileSync(join(s.root, 'etc/resolv.conf'), 'utf8'), '');
  const binds = JSON.stringify(call.mounts);
  assert.ok(binds.includes(join(s.cacheDir, 'apt-archives-debian')), binds);
  status = 2;
  await assert.rejects(ctx.run(['false'], { cwd: '/tmp' }), (err: unknown) => err instanceof StepFailedError && err.status === 2 && err.exitCode === 121);
  assert.equal(calls[1]!.cwd, '/tmp');
  assert.deepEqual(ctx.containerSteps!('base'), []);
  assert.equal(ctx.containerRoot('base'), '/vagga/containers/base');
  assert.throws(() => ctx.containerRoot('other'), /not available/);
});

test('spec JSON keeps RegExp, Map and Set values', () => {
  const v = decodeSpecJson<{ r: RegExp; m: Map<string, number>; s: Set<string>; n: null }>(encodeSpecJson({ r: /^a\.b$/i, m: new Map([['x', 1]]), s: new Set(['y']), n: null }));
  assert.ok(v.r instanceof RegExp && v.r.source === '^a\\.b$' && v.r.flags === 'i');
  assert.equal(v.m.get('x'), 1);
  assert.ok(v.s.has('y'));
  assert.equal(v.n, null);
});

test('step text: one-line summaries and project-relative positions', () => {
  assert.equal(stepSummary({ tag: 'Sh', params: 'apt-get update\napt-get install -y x' }), '!Sh apt-get update ...');
  assert.equal(stepSummary({ tag: 'Install', params: ['a', 'b'] }), '!Install a b');
  assert.equal(stepSummary({ tag: 'UbuntuUniverse', params: null }), '!UbuntuUniverse');
  // Tagged values as written in vagga.yaml (was `source: kind=Container, name=gen`).
  assert.equal(stepSummary({ tag: 'SubConfig', params: { source: { kind: 'Container', name: 'gen' }, path: 'sub.yaml', container: 'x' } }),
    '!SubConfig source=!Container gen, path=sub.yaml, container=x');
  assert.equal(stepSummary({ tag: 'SubConfig', params: { source: { kind: 'Directory' }, path: 'a.yaml' } }), '!SubConfig source=!Directory, path=a.yaml');
  assert.equal(stepSummary({ tag: 'Sh', params: 'x'.repeat(100) }).length, 66);
  for (const tag of ['Sh', 'PipConfig', 'UbuntuUniverse']) {
    const line = `Step 12/15: ${stepSummary({ tag, params: 'word '.repeat(30) })}`;
    assert.ok(line.length <= 80, `fits 80 columns: ${line}`);
  }
  assert.equal(stepLocation({ file: '/proj/sub/vagga.yaml', line: 3, col: 1 }, '/proj'), 'sub/vagga.yaml:3');
  assert.equal(stepLocation({ file: '/other/m.yaml', line: 3, col: 1 }, '/proj'), '/other/m.yaml:3');
});
