import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext, type CliContext } from '../../../src/cli/context.js';
import type { Project } from '../../../src/config/project.js';
import { parseCommandLine } from '../../../src/cli/global-options.js';
import { run as verifyRun } from '../../../src/cli/builtins/verify.js';
import { run as hardlinkRun } from '../../../src/cli/builtins/hardlink.js';
import { builtinCall } from '../../../src/cli/builtin-args.js';
import type { BuiltinCall } from '../../../src/cli/builtin-spec.js';
import { BUILTINS, findBuiltin } from '../../../src/cli/builtins.js';
import type { IndexSandboxRunner } from '../../../src/storage/index-sandbox.js';
import { formatIndex, INDEX_FILE } from '../../../src/storage/index-format.js';
import { indexTree } from '../../../src/storage/index-walk.js';
import { indexMain } from '../../../src/storage/index-main.js';
import type { SandboxSpec } from '../../../src/sandbox/types.js';
import { DEFAULT_SETTINGS, fakeProject } from './fake-project.js';
import { tempDir } from '../temp-dir.js';

type RunWithRunner = (ctx: CliContext, call: BuiltinCall, runner?: IndexSandboxRunner) => Promise<number>;
/** Built-in `name` with its arguments parsed as the CLI parses them, run with `runner` as its sandbox. */
const viaCli = (name: string, run: RunWithRunner) => async (ctx: CliContext, args: string[], runner: IndexSandboxRunner): Promise<number> => {
  const call = builtinCall(ctx, findBuiltin(name)!, args, BUILTINS);
  return call ? run(ctx, call, runner) : 0;
};
const verify = viaCli('_verify', verifyRun);
const hardlink = viaCli('_hardlink', hardlinkRun);

/** Runs `__index__` in this process instead of a sandbox, mapping the sandbox's bind paths back to the host. */
function inProcessRunner(seen: SandboxSpec[]) {
  return async (spec: SandboxSpec) => {
    seen.push(spec);
    const binds = spec.mounts.flatMap((m) => (m.kind === 'bind' && m.dest.startsWith('/vagga/') ? [m] : []));
    const toHost = (p: string) => {
      for (const b of binds) if (p === b.dest || p.startsWith(`${b.dest}/`)) return b.source + p.slice(b.dest.length);
      return p;
    };
    return { status: await indexMain(spec.argv.slice(3).map(toHost)) };
  };
}

async function setup() {
  const projectRoot = tempDir('vagga-verify-');
  const bundle = join(projectRoot, 'vagga.mjs');
  writeFileSync(bundle, '');
  const p = fakeProject({}, ['c']);
  p.config.projectRoot = projectRoot;
  const hash = 'ab'.repeat(64);
  const dir = join(projectRoot, '.vagga/.roots/c.abababab');
  mkdirSync(join(dir, 'root/etc'), { recursive: true });
  writeFileSync(join(dir, 'root/etc/hello'), 'hello\n');
  writeFileSync(join(dir, 'root/etc/gone'), 'x');
  writeFileSync(join(dir, INDEX_FILE), formatIndex(await indexTree(join(dir, 'root'))));
  symlinkSync('.roots/c.abababab/root', join(projectRoot, '.vagga/c'));
  let out = '';
  let err = '';
  const ctx = createContext({
    globals: parseCommandLine([]).globals, cwd: projectRoot, env: { VAGGA_BUNDLE: bundle },
    out: (t) => { out += t; }, err: (t) => { err += t; },
    loadProject: async (): Promise<Project> => p, ownerCheck: () => undefined,
  });
  return { ctx, dir, hash, projectRoot, output: () => ({ out, err }) };
}

test('_verify prints Ok for an unchanged root and runs the walk with the container map', async () => {
  const s = await setup();
  const seen: SandboxSpec[] = [];
  assert.equal(await verify(s.ctx, ['c'], inProcessRunner(seen)), 0);
  assert.equal(s.output().out, `Checking container: "${join(s.dir, 'root')}"\nOk\n`);
  assert.deepEqual(seen[0]!.argv.slice(2, 4), ['__index__', 'walk']);
  assert.ok(seen[0]!.mounts.some((m) => m.kind === 'bind' && m.dest === '/vagga/root' && m.readOnly));
});

test('_verify reports missing, extra and corrupted paths and exits 1', async () => {
  const s = await setup();
  writeFileSync(join(s.dir, 'root/etc/hello'), 'HELLO\n');
  rmSync(join(s.dir, 'root/etc/gone'));
  writeFileSync(join(s.dir, 'root/etc/new file'), '');
  assert.equal(await verify(s.ctx, ['c'], inProcessRunner([])), 1);
  assert.equal(s.output().out, `Checking container: "${join(s.dir, 'root')}"\nContainer is corrupted\n` +
    'Missing paths:\n\t/etc/gone\nExtra paths:\n\t/etc/new\\x20file\nCorrupted paths:\n\t/etc/hello\n');
});

test('_verify errors: unknown container, no index, bad arguments', async () => {
  const s = await setup();
  await assert.rejects(verify(s.ctx, ['nope'], inProcessRunner([])), (e: any) => e.exitCode === 121 && /not found/.test(e.message));
  await assert.rejects(verify(s.ctx, [], inProcessRunner([])), (e: any) => e.exitCode === 122);
  rmSync(join(s.dir, INDEX_FILE));
  await assert.rejects(verify(s.ctx, ['c'], inProcessRunner([])), (e: any) => e.exitCode === 121 && /has no index/.test(e.message));
});

test('_hardlink links identical files of indexed versions and prints the count and size', async () => {
  const s = await setup();
  const other = join(s.projectRoot, '.vagga/.roots/d.cdcdcdcd');
  mkdirSync(join(other, 'root/etc'), { recursive: true });
  writeFileSync(join(other, 'root/etc/hello'), 'hello\n');
  writeFileSync(join(other, INDEX_FILE), formatIndex(await indexTree(join(other, 'root'))));
  const seen: SandboxSpec[] = [];
  assert.equal(await hardlink(s.ctx, [], inProcessRunner(seen)), 0);
  assert.equal(s.output().out, 'Found and linked 1 (6B) identical files\n');
  assert.equal(statSync(join(other, 'root/etc/hello')).ino, statSync(join(s.dir, 'root/etc/hello')).ino);
  assert.deepEqual(seen[0]!.argv.slice(2, 4), ['__index__', 'hardlink']);
  await assert.rejects(hardlink(s.ctx, ['--global'], inProcessRunner([])), /not supported yet/);
});

test('_hardlink with nothing built links nothing; both built-ins are registered', async () => {
  const projectRoot = tempDir('vagga-hl-empty-');
  let out = '';
  const ctx = createContext({
    globals: parseCommandLine([]).globals, cwd: projectRoot, env: {}, out: (t) => { out += t; },
    loadProject: async () => ({ ...fakeProject({}), config: { ...fakeProject({}).config, projectRoot }, settings: DEFAULT_SETTINGS }),
    ownerCheck: () => undefined,
  });
  assert.equal(await hardlink(ctx, [], async () => { throw new Error('no sandbox expected'); }), 0);
  assert.equal(out, 'Found and linked 0 (0B) identical files\n');
  assert.ok(findBuiltin('_verify') && findBuiltin('_hardlink'));
});
