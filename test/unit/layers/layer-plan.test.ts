import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StepConfig } from '../../../src/config/model.js';
import { layerName, MAX_STACK_DEPTH, planLayers, type LayerPlanInput } from '../../../src/builder/layer-plan.js';
import { overlayOptions } from '../../../src/builder/overlay.js';
import { STEP_DEFS } from '../../../src/steps/registry.js';

const st = (tag: string, params: unknown): StepConfig => ({ tag, params, pos: { file: '/p/vagga.yaml', line: 1, col: 1 } });

function input(steps: StepConfig[], hashes: string[], over: Partial<LayerPlanInput> = {}): LayerPlanInput {
  return {
    steps, stepHashes: hashes, stepDef: (t) => STEP_DEFS.get(t), uidMap: '0 1000 1\n1 100000 65535\n', gidMap: '0 1000 1\n1 100000 65535\n',
    ranges: '0-65535/0-65535', dataDirs: [], projectRoot: '/home/me/app', arch: 'x64', buildSettings: '[null,null,null,null]', ...over,
  };
}

const debian = st('Debian', { codename: 'bookworm' });
const install = st('Install', { packages: ['python3'] });
const sh = st('Sh', 'make');
const text = st('Text', { '/etc/x': 'y' });

function keys(i: LayerPlanInput): string[] {
  const plan = planLayers(i);
  assert.ok(plan.cached);
  return [...plan.keys, plan.finishKey];
}

test('a key changes with its step and every step before it, never with a later one', () => {
  const base = keys(input([debian, install, sh, text], ['a', 'b', 'c', 'd']));
  const third = keys(input([debian, install, sh, text], ['a', 'b', 'C', 'd']));
  assert.deepEqual(third.slice(0, 2), base.slice(0, 2));
  for (let i = 2; i < 5; i++) assert.notEqual(third[i], base[i], `key ${i} changes after the edit`);
  assert.equal(new Set(base).size, 5, 'every key differs');
  assert.match(base[0]!, /^[0-9a-f]{128}$/);
  assert.equal(layerName(base[0]!), base[0]!.slice(0, 32));
});

test('the uid map, the ranges, the architecture and data-dirs are in the keys', () => {
  const base = keys(input([debian], ['a']));
  assert.notEqual(keys(input([debian], ['a'], { uidMap: '0 1001 1\n' }))[0], base[0]);
  assert.notEqual(keys(input([debian], ['a'], { ranges: '0-999/0-999' }))[0], base[0]);
  assert.notEqual(keys(input([debian], ['a'], { arch: 'arm64' }))[0], base[0]);
  assert.notEqual(keys(input([debian], ['a'], { buildSettings: '["http://127.0.0.1:9/debian",null,null,null]' }))[0], base[0],
    'a project naming its own mirror never shares layers with projects using another');
  const dd = keys(input([debian], ['a'], { dataDirs: ['/var/lib'] }));
  assert.equal(dd[0], base[0]);
  assert.notEqual(dd[1], base[1], 'data-dirs change only the finish key');
});

test('project-free steps are shared between projects until the first step that sees /work', () => {
  const a = keys(input([debian, install, sh, text], ['a', 'b', 'c', 'd'], { projectRoot: '/p1' }));
  const b = keys(input([debian, install, sh, text], ['a', 'b', 'c', 'd'], { projectRoot: '/p2' }));
  assert.deepEqual(a.slice(0, 2), b.slice(0, 2), '!Debian and !Install by name are shared');
  assert.notEqual(a[2], b[2], '!Sh sees /work: its layer is the project\'s own');
  assert.notEqual(a[3], b[3], 'and so is every layer after it');
  const local = keys(input([debian, st('Install', { packages: ['./pkg.deb'] })], ['a', 'b'], { projectRoot: '/p1' }));
  const local2 = keys(input([debian, st('Install', { packages: ['./pkg.deb'] })], ['a', 'b'], { projectRoot: '/p2' }));
  assert.notEqual(local[1], local2[1], 'a package given as a path is read from the project');
});

test('containers the cache cannot build in layers say why', () => {
  const mount = planLayers(input([debian, st('Build', { container: 'x', source: '/', temporaryMount: '/mnt', rules: [], contentHash: false })], ['a', 'b']));
  assert.deepEqual(mount, { cached: false, reason: '!Build with temporary-mount keeps a mount between steps' });
  const many = Array.from({ length: MAX_STACK_DEPTH }, () => text);
  const deep = planLayers(input(many, many.map((_, i) => String(i))));
  assert.equal(deep.cached, false);
});

test('overlay options list the top layer first, with userxattr', () => {
  assert.equal(overlayOptions({ lowers: ['../empty', 'a/diff', 'b/diff'], target: '/m', cwd: '/s' }), 'userxattr,lowerdir=b/diff:a/diff:../empty');
  assert.equal(overlayOptions({ lowers: ['a/diff'], upper: '/t/diff', work: '/t/work', target: '/m', cwd: '/s' }),
    'userxattr,lowerdir=a/diff,upperdir=/t/diff,workdir=/t/work');
});
