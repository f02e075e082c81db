/** planBuild: pure planning from facts (no sandbox, no file system). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Config, ContainerConfig, StepConfig, Volume } from '../../../src/config/model.js';
import { dependencyOrder, planBuild, type BuildRequest, type ContainerFacts } from '../../../src/builder/build-plan.js';
import { volumeContainerNames } from '../../../src/runtime/volumes/containers.js';

const H = (c: string) => c.repeat(128);
const MAP = '         0       1000          1\n';

function step(tag: string, params: unknown, line = 3): StepConfig {
  return { tag, params, pos: { file: '/p/vagga.yaml', line, col: 7 } };
}

function container(name: string, setup: StepConfig[] = [], volumes: Record<string, Volume> = {}): ContainerConfig {
  return {
    name, setup, environ: {}, volumes, uids: [{ start: 0, end: 65535 }], gids: [{ start: 0, end: 65535 }],
    autoClean: false, dataDirs: [], resolvConfPath: '/etc/resolv.conf', hostsFilePath: '/etc/hosts',
    defaultShell: [], pos: { file: '/p/vagga.yaml', line: 2, col: 3 },
  };
}

function request(containers: ContainerConfig[], targets: string[], over: Partial<BuildRequest> = {}): BuildRequest {
  const config: Config = {
    projectRoot: '/p', mainFile: '/p/vagga.yaml', files: [], warnings: [], commands: {},
    containers: Object.fromEntries(containers.map((c) => [c.name, c])),
  };
  return {
    config, targets, mode: 'normal',
    // `!Container NAME` and `!Build { container }` reference another container.
    dependencies: (name) => config.containers[name]!.setup.flatMap((s) => s.tag === 'Container' ? [{ name: s.params as string, step: s }]
      : s.tag === 'Build' ? [{ name: (s.params as { container: string }).container, step: s }] : []),
    ...over,
  };
}

const built = (version: string, uidMap?: string): ContainerFacts => ({ version, store: { versionExists: true, uidMap, linkPath: '/p/.vagga/x' } });
const missing = (version: string | undefined): ContainerFacts => ({ version, store: { versionExists: false, linkPath: '/p/.vagga/x' } });
const summary = (plan: ReturnType<typeof planBuild>) => plan.containers.map((c) => `${c.name}:${c.action}:${c.reason.kind}`);

test('dependencies come first, each once; a reused container needs no facts about its dependencies', () => {
  const cs = [container('base'), container('mid', [step('Container', 'base')]),
    container('app', [step('Container', 'mid'), step('Build', { container: 'base' })])];
  const req = request(cs, ['app']);
  // Only the target's facts: the plan asks for the dependencies of a container it builds.
  const first = planBuild(req, { app: missing(H('a')) });
  assert.deepEqual(first.needFacts, ['mid', 'base']);
  assert.deepEqual(first.containers, []);
  const plan = planBuild(req, { app: missing(H('a')), mid: missing(H('b')), base: built(H('c')) });
  assert.deepEqual(plan.needFacts, []);
  assert.deepEqual(summary(plan), ['base:reuse:reused', 'mid:build:missing', 'app:build:missing']);
  assert.deepEqual(plan.containers.map((c) => c.dependencies), [[], ['base'], ['mid', 'base']]);
  assert.equal(plan.containers[1]!.version, H('b'));
  // Reused: its dependencies are not walked (nor asked for).
  const reused = planBuild(req, { app: built(H('a')) });
  assert.deepEqual(summary(reused), ['app:reuse:reused']);
  assert.deepEqual(dependencyOrder('app', req.dependencies), ['base', 'mid']);
});

test('--force rebuilds the target only; its dependencies are reused', () => {
  const req = request([container('base'), container('app', [step('Container', 'base')])], ['app'], { force: true });
  const plan = planBuild(req, { app: built(H('a')), base: built(H('b')) });
  assert.deepEqual(summary(plan), ['base:reuse:reused', 'app:build:forced']);
});

test('a changed uid map rebuilds with both maps in the reason; a matching one (other spacing) is reused', () => {
  const req = request([container('app')], ['app']);
  const changed = planBuild(req, { app: { ...built(H('a'), MAP), wantedUidMap: '         0     100000      65536\n' } });
  assert.deepEqual(changed.containers[0]!.reason, { kind: 'uid-map-changed', stored: MAP, wanted: '         0     100000      65536\n' });
  assert.equal(changed.containers[0]!.action, 'build');
  const same = planBuild(req, { app: { ...built(H('a'), MAP), wantedUidMap: '0 1000 1' } });
  assert.deepEqual(summary(same), ['app:reuse:reused']);
});

test('a version unknown before the build (e.g. !YarnDependencies before yarn.lock) is built, its version left undefined', () => {
  const plan = planBuild(request([container('app')], ['app']), { app: missing(undefined) });
  assert.deepEqual(summary(plan), ['app:build:version-unknown']);
  assert.equal(plan.containers[0]!.version, undefined);
});

test('a dependency loop is 126 "Container "a" has cyclic dependency", located at the closing step', () => {
  const req = request([container('a', [step('Container', 'b', 4)]), container('b', [step('Container', 'a', 9)])], ['a']);
  assert.throws(() => planBuild(req, { a: missing(H('a')), b: missing(H('b')) }), (err: any) => {
    assert.equal(err.exitCode, 126);
    assert.equal(err.message, 'Container "a" has cyclic dependency');
    assert.equal(err.hint, '!Container a in container "b" (/p/vagga.yaml:9:7) closes the loop a -> b -> a');
    return true;
  });
  assert.throws(() => dependencyOrder('a', req.dependencies), /Container "a" has cyclic dependency/);
});

test('containers mounted by a command\'s volumes are planned after the command\'s container', () => {
  const cs = [container('app', [], { '/data': { kind: 'Container', name: 'data' } }), container('data'), container('snap')];
  const names = ['app', ...volumeContainerNames(cs[0]!, { '/s': { kind: 'Snapshot', container: 'snap' } as Volume })];
  assert.deepEqual(names, ['app', 'data', 'snap']);
  const plan = planBuild(request(cs, names), { app: built(H('a')), data: missing(H('d')), snap: built(H('s')) });
  assert.deepEqual(summary(plan), ['app:reuse:reused', 'data:build:missing', 'snap:reuse:reused']);
});

test('--no-build: a missing version is today\'s 121 error; an existing one is used as is', () => {
  const req = request([container('app', [step('Container', 'base')]), container('base')], ['app'], { mode: 'no-build' });
  assert.throws(() => planBuild(req, { app: missing(H('a')) }), (err: any) => {
    assert.equal(err.exitCode, 121);
    assert.equal(err.message, 'Container "app" version aaaaaaaa is not built (--no-build given)');
    assert.equal(err.hint, 'Run without --no-build (or `vagga _build app`) to build it.');
    return true;
  });
  // Used even with another uid map; dependencies are not looked at.
  const plan = planBuild(req, { app: { ...built(H('a'), MAP), wantedUidMap: '0 5 1' } });
  assert.deepEqual(summary(plan), ['app:reuse:reused']);
});

test('--no-version-check uses the link, unhashed; without a link it is 121', () => {
  const req = request([container('app')], ['app'], { mode: 'no-version-check' });
  const plan = planBuild(req, { app: { version: undefined, store: { versionExists: false, linkPath: '/p/.vagga/app', linkedRoot: '/p/.vagga/.roots/app.x/root' } } });
  assert.deepEqual(summary(plan), ['app:reuse:linked']);
  assert.equal(plan.containers[0]!.rootfs, '/p/.vagga/.roots/app.x/root');
  assert.throws(() => planBuild(req, { app: { version: undefined, store: { versionExists: false, linkPath: '/p/.vagga/app' } } }),
    /^VaggaError: Container "app" is not built yet \(no \/p\/\.vagga\/app\)$/);
});

test('an unknown target is 121 listing the defined containers', () => {
  assert.throws(() => planBuild(request([container('b'), container('a')], ['nope']), {}), (err: any) => {
    assert.equal(err.exitCode, 121);
    assert.equal(err.message, 'Container "nope" not found');
    assert.equal(err.hint, 'Containers defined: a, b');
    return true;
  });
});
