import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Settings } from '../../../src/config/model.js';
import { linkAfterBuild } from '../../../src/storage/link-identical.js';
import { projectLayout } from '../../../src/storage/layout.js';
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
  await assert.rejects(hardlink(s.ctx, ['--global'], inProcessRunner([])), (e: any) =>
    e.exitCode === 121 && /The --global flag is only meaningful if you configure storage-dir/.test(e.message));
});

/** A version dir `<roots>/<name>` with `files` under root/ and its index. */
async function indexedVersion(roots: string, name: string, files: Record<string, string>): Promise<string> {
  const dir = join(roots, name);
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, 'root', p)), { recursive: true });
    writeFileSync(join(dir, 'root', p), text);
  }
  writeFileSync(join(dir, INDEX_FILE), formatIndex(await indexTree(join(dir, 'root'))));
  return dir;
}

const hello = { 'etc/hello.txt': 'Hello world!', 'etc/hosts': '', 'etc/resolv.conf': '' };
const helloAndBye = { ...hello, 'etc/bye.txt': 'Good bye!' };

test('_hardlink --global links across the projects of storage-dir and binds only the storage dir (Vagga: 2 (0B), then 3 (12B))', async () => {
  const storage = tempDir('vagga-hl-storage-');
  const bundle = join(storage, '.vagga.mjs');
  writeFileSync(bundle, '');
  await indexedVersion(join(storage, 'project-1/.roots'), 'hello.0ae0aab6', hello);
  await indexedVersion(join(storage, 'project-1/.roots'), 'hi.079e4655', { 'etc/hi.txt': 'Hi!', 'etc/hosts': '', 'etc/resolv.conf': '' });
  const p = fakeProject({}, ['c']);
  p.config.projectRoot = tempDir('vagga-hl-p2-');
  p.settings = { ...DEFAULT_SETTINGS, storageDir: storage };
  let out = '';
  const ctx = createContext({
    globals: parseCommandLine([]).globals, cwd: p.config.projectRoot, env: { VAGGA_BUNDLE: bundle },
    out: (t) => { out += t; }, loadProject: async () => p, ownerCheck: () => undefined,
  });
  const seen: SandboxSpec[] = [];
  assert.equal(await hardlink(ctx, ['--global'], inProcessRunner(seen)), 0);
  assert.equal(out, 'Found and linked 2 (0B) identical files\n');
  const binds = seen[0]!.mounts.filter((m) => m.kind === 'bind' && !m.readOnly).map((m) => (m as { dest: string }).dest);
  assert.deepEqual(binds, [storage, '/vagga/out']);
  await indexedVersion(join(storage, 'project-2/.roots'), 'hello-and-bye.84b3175b', helloAndBye);
  out = '';
  assert.equal(await hardlink(ctx, ['--global'], inProcessRunner([])), 0);
  assert.equal(out, 'Found and linked 3 (12B) identical files\n');
  const ino = (p: string) => statSync(join(storage, p)).ino;
  assert.equal(ino('project-2/.roots/hello-and-bye.84b3175b/root/etc/hello.txt'), ino('project-1/.roots/hello.0ae0aab6/root/etc/hello.txt'));
  assert.notEqual(ino('project-1/.roots/hello.0ae0aab6/root/etc/hosts'), ino('project-1/.roots/hello.0ae0aab6/root/etc/resolv.conf'));
});

test('hard-link-identical-files: a new build is linked with the other containers (Vagga: 3 (12B) ... from other containers), only with index-all-images too', async () => {
  const root = tempDir('vagga-hl-build-');
  const bundle = join(root, '.vagga.mjs');
  writeFileSync(bundle, '');
  const layout = projectLayout(root, DEFAULT_SETTINGS);
  const old = await indexedVersion(layout.rootsDir, 'hello.0ae0aab6', hello);
  const buildDir = await indexedVersion(layout.rootsDir, '.tmp.hello-and-bye', helloAndBye);
  const run = async (settings: Partial<Settings>) => {
    let text = '';
    const seen: SandboxSpec[] = [];
    await linkAfterBuild({
      settings: { ...DEFAULT_SETTINGS, ...settings }, layout, name: 'hello-and-bye', buildDir,
      finalDir: join(layout.rootsDir, 'hello-and-bye.84b3175b'), write: (t) => { text += t; },
      runner: inProcessRunner(seen), env: { VAGGA_BUNDLE: bundle },
    });
    return { text, seen };
  };
  assert.deepEqual(await run({ hardLinkIdenticalFiles: true }), { text: '', seen: [] });
  const r = await run({ hardLinkIdenticalFiles: true, indexAllImages: true });
  assert.equal(r.text, 'Found and linked 3 (12B) identical files from other containers\n');
  assert.deepEqual(r.seen[0]!.argv.slice(3, 4), ['link-new']);
  assert.equal(statSync(join(buildDir, 'root/etc/hello.txt')).ino, statSync(join(old, 'root/etc/hello.txt')).ino);
  assert.equal(statSync(join(buildDir, 'root/etc/bye.txt')).nlink, 1);
  // An edited copy in the old version (a new file, like sed -i) is not linked: only the two empty files are linked again.
  const buildDir2 = await indexedVersion(layout.rootsDir, '.tmp.hello-and-bye2', helloAndBye);
  rmSync(join(old, 'root/etc/hello.txt'));
  writeFileSync(join(old, 'root/etc/hello.txt'), 'Hello world?');
  let text = '';
  await linkAfterBuild({
    settings: { ...DEFAULT_SETTINGS, hardLinkIdenticalFiles: true, indexAllImages: true }, layout, name: 'hello-and-bye', buildDir: buildDir2,
    finalDir: join(layout.rootsDir, 'hello-and-bye.84b3175b'), write: (t) => { text += t; }, runner: inProcessRunner([]), env: { VAGGA_BUNDLE: bundle },
  });
  // Linked against .tmp.hello-and-bye? No: only published versions (<name>.<8hex>) take part.
  assert.equal(text, 'Found and linked 2 (0B) identical files from other containers\n');
  assert.equal(readFileSync(join(buildDir2, 'root/etc/hello.txt'), 'utf8'), 'Hello world!');
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
