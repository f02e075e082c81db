/**
 * `_build_shell`'s sandbox (src/runtime/build-shell.ts) and built-in
 * (src/cli/builtins/build-shell.ts): Vagga's wrapper view (/work, /vagga/base, /vagga/cache,
 * /vagga/storage, /volumes/<name>) with the host's /bin/sh on a terminal, the "max" map,
 * starting in the user's directory under /work.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readlinkSync, realpathSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { BUILD_SHELL, buildShellSpec, type BuildShellInput } from '../../../src/runtime/build-shell.js';
import { run } from '../../../src/cli/builtins/build-shell.js';
import { findBuiltin } from '../../../src/cli/builtins.js';
import { builtinHelp, type BuiltinCall } from '../../../src/cli/builtin-spec.js';
import type { CliContext } from '../../../src/cli/context.js';
import type { SandboxSpec } from '../../../src/sandbox/types.js';
import { DEFAULT_SETTINGS } from '../cli/fake-project.js';
import { removeTempTree, tempDir } from '../temp-dir.js';

const MAP = { uids: [{ inside: 0, outside: 1001, count: 1 }, { inside: 100000, outside: 100000, count: 65536 }], gids: [{ inside: 0, outside: 1001, count: 1 }] };

const input = (over: Partial<BuildShellInput> = {}): BuildShellInput => ({
  projectRoot: '/home/u/p', storageBase: '/home/u/p/.vagga', cacheDir: '/home/u/.cache/vagga',
  externalVolumes: {}, cwd: '/work/sub', idMapping: MAP, ...over,
});

test('the shell: /bin/sh on the terminal as root with all capabilities, PATH of the host tools', () => {
  const spec = buildShellSpec(input({ term: 'xterm' }));
  assert.deepEqual(spec.argv, [BUILD_SHELL]);
  assert.equal(BUILD_SHELL, '/bin/sh');
  assert.deepEqual(spec.env, { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/tmp', TERM: 'xterm' });
  assert.equal(spec.cwd, '/work/sub');
  assert.equal(spec.idMapping, MAP);
  assert.equal(spec.init, true);
  assert.equal(spec.allCaps, true);
  assert.equal(spec.stdin ?? 'inherit', 'inherit');
  assert.equal(spec.stdout ?? 'inherit', 'inherit');
  assert.equal(buildShellSpec(input()).env.TERM, undefined);
});

test("the view: Vagga's wrapper paths, storage read-write, host /usr read-only", () => {
  const binds = (s: SandboxSpec) => s.mounts.flatMap((m) => (m.kind === 'bind' ? [`${m.dest}<-${m.source}${m.readOnly ? ' ro' : ''}${m.optional ? ' ?' : ''}`] : []));
  assert.deepEqual(binds(buildShellSpec(input())), [
    '/usr<-/usr ro', '/sys<-/sys ro', '/etc/hosts<-/etc/hosts ro ?', '/etc/resolv.conf<-/etc/resolv.conf ro ?',
    '/work<-/home/u/p', '/vagga/base<-/home/u/p/.vagga', '/vagga/cache<-/home/u/.cache/vagga ?',
  ]);
  const withStorage = buildShellSpec(input({
    storageBase: '/srv/st/p-1', storageDir: '/srv/st', storageLinkTarget: '/srv/st/p-1',
    externalVolumes: { data: '/mnt/data', '../etc': '/x', 'a/b': '/y' },
  }));
  assert.deepEqual(binds(withStorage).slice(5), [
    '/vagga/base<-/srv/st/p-1', '/vagga/cache<-/home/u/.cache/vagga ?', '/vagga/storage<-/srv/st',
    '/srv/st/p-1<-/srv/st/p-1', '/volumes/data<-/mnt/data ?',
  ]);
  // A link target inside the view's own top-level paths is not bound over them.
  assert.ok(!binds(buildShellSpec(input({ storageLinkTarget: '/usr/x' }))).some((b) => b.startsWith('/usr/x')));
  const kinds = buildShellSpec(input()).mounts.map((m) => `${m.kind}:${m.dest}`);
  for (const k of ['proc:/proc', 'dev:/dev', 'tmpfs:/tmp', 'symlink:/bin']) assert.ok(kinds.includes(k), k);
});

test('_build_shell: the max map, the project storage made, the user\'s directory; the exit status is the shell\'s', async () => {
  const dir = realpathSync(tempDir('build-shell-'));
  try {
    mkdirSync(join(dir, 'sub'));
    const specs: SandboxSpec[] = [];
    const ctx = {
      cwd: join(dir, 'sub'), env: { HOME: dir, TERM: 'vt100', XDG_CACHE_HOME: join(dir, 'cache') },
      project: async () => ({ config: { projectRoot: dir }, settings: DEFAULT_SETTINGS }),
    } as unknown as CliContext;
    const status = await run(ctx, {} as BuiltinCall, async (spec) => { specs.push(spec); return { status: 7 }; });
    assert.equal(status, 7);
    assert.ok(existsSync(join(dir, '.vagga/.roots')) && existsSync(join(dir, '.vagga/.transient')));
    const spec = specs[0]!;
    assert.equal(spec.cwd, '/work/sub');
    assert.equal(spec.env.TERM, 'vt100');
    assert.deepEqual(spec.idMapping.uids[0], { inside: 0, outside: process.getuid!(), count: 1 });
    assert.ok(spec.mounts.some((m) => m.kind === 'bind' && m.dest === '/vagga/base' && m.source === join(dir, '.vagga')));
    assert.ok(spec.mounts.some((m) => m.kind === 'bind' && m.dest === '/work' && m.source === dir));
    // With storage-dir: the base is the storage subdir, and .vagga/.lnk resolves inside too.
    const storage = join(dir, 'storage');
    mkdirSync(join(storage, 'p'), { recursive: true });
    mkdirSync(join(dir, 'q'));
    const ctx2 = { ...ctx, cwd: join(dir, 'q'), project: async () => ({ config: { projectRoot: join(dir, 'q') }, settings: { ...DEFAULT_SETTINGS, storageDir: storage } }) } as unknown as CliContext;
    specs.length = 0;
    await run(ctx2, {} as BuiltinCall, async (spec) => { specs.push(spec); return { status: 0 }; });
    const base = specs[0]!.mounts.find((m) => m.kind === 'bind' && m.dest === '/vagga/base');
    assert.ok(base && base.kind === 'bind' && base.source.startsWith(`${storage}/`), JSON.stringify(base));
    assert.ok(specs[0]!.mounts.some((m) => m.kind === 'bind' && m.dest === '/vagga/storage' && m.source === storage));
    const link = readlinkSync(join(dir, 'q', '.vagga', '.lnk'));
    assert.ok(specs[0]!.mounts.some((m) => m.kind === 'bind' && m.dest === (isAbsolute(link) ? link : '') && m.source === base.source), link);
  } finally { removeTempTree(dir); }
});

test('_build_shell is a listed built-in with its help', () => {
  const b = findBuiltin('_build_shell');
  assert.ok(b && b.listed);
  assert.match(builtinHelp(b), /^Usage: vagga _build_shell\n\nRun an interactive shell \(the host's \/bin\/sh\)/);
});
