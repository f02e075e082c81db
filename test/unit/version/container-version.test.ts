/** containerVersion behaviour beyond the literal vectors: inputs, errors, trace. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import { containerVersion } from '../../../src/version/container-version.js';
import { VersionUnknownError } from '../../../src/version/errors.js';
import { config, container, step } from './helpers.js';
import { STEP_DEFS } from '../../../src/steps/registry.js';
import type { StepConfig } from '../../../src/config/model.js';

const alpine = () => [step('Alpine', 'v3.4')];

test('uids/gids and data-dirs are hashed; environ and volumes are not', () => {
  const h = (extra: Parameters<typeof container>[2]) => containerVersion(STEP_DEFS, config([container('x', alpine(), extra)]), 'x').hash;
  const plain = h({});
  assert.equal(plain.slice(0, 8), 'd304a005');
  assert.notEqual(h({ uids: [{ start: 0, end: 1000 }] }), plain);
  assert.notEqual(h({ gids: [{ start: 0, end: 0 }, { start: 5, end: 5 }] }), plain);
  assert.notEqual(h({ dataDirs: ['/var/lib'] }), plain);
  assert.equal(h({ environ: { A: 'b' }, volumes: { '/tmp': { kind: 'Empty' } } }), plain);
});

test('nested !Container chains inline every level', () => {
  const chain = [container('c0', alpine())];
  for (let i = 1; i <= 9; i++) chain.push(container(`c${i}`, [step('Container', `c${i - 1}`)]));
  const deep = containerVersion(STEP_DEFS, config(chain), 'c9').hash;
  assert.notEqual(deep, containerVersion(STEP_DEFS, config(chain), 'c0').hash);
  // The parent's own uids do not matter, only its steps.
  chain[0] = container('c0', alpine(), { uids: [{ start: 0, end: 10 }] });
  assert.equal(containerVersion(STEP_DEFS, config(chain), 'c9').hash, deep);
});

test('unknown containers: 121; cycles: 126', () => {
  assert.throws(() => containerVersion(STEP_DEFS, config([]), 'nope'), (e: unknown) => e instanceof VaggaError && e.exitCode === 121 && e.message === 'Container "nope" not found');
  assert.throws(() => containerVersion(STEP_DEFS, config([container('x', [step('Container', 'gone')])]), 'x'), /Container "gone" not found/);
  assert.throws(() => containerVersion(STEP_DEFS, config([container('x', [step('Container', 'x')])]), 'x'),
    (e: unknown) => e instanceof VaggaError && e.exitCode === 126 && /cyclic dependency/.test(e.message));
});

test('!Build without content-hash hashes only the source container steps', () => {
  const src = container('src', alpine());
  const a = containerVersion(STEP_DEFS, config([src, container('x', [step('Build', { container: 'src', source: '/a', path: '/x' })])]), 'x').hash;
  const b = containerVersion(STEP_DEFS, config([src, container('x', [step('Build', { container: 'src', source: '/b', path: '/y' })])]), 'x').hash;
  assert.equal(a, b);
  assert.throws(() => containerVersion(STEP_DEFS, config([src, container('x', [step('Build', { container: 'src', 'content-hash': true, path: '/x' })])]), 'x'), VersionUnknownError);
});

test('trace lists markers and fields', () => {
  const v = containerVersion(STEP_DEFS, config([container('x', [step('Text', { '/a': 'b' })])]), 'x', { trace: true });
  assert.ok(v.trace?.includes('COMMAND Text'));
  assert.ok(v.trace?.some((l) => l.includes('uids') && l.includes('0-65536')));
  assert.equal(containerVersion(STEP_DEFS, config([container('x', [step('Text', { '/a': 'b' })])]), 'x').hash, v.hash);
});

test('requirements: -r includes hashed in place, comments ignored, cycles rejected', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vreq-'));
  try {
    fs.mkdirSync(path.join(dir, 'req'));
    fs.writeFileSync(path.join(dir, 'req/a.txt'), '# c\nflask\n-r b.txt\n');
    fs.writeFileSync(path.join(dir, 'req/b.txt'), '  six==1.0  \n\n');
    fs.writeFileSync(path.join(dir, 'flat.txt'), 'flask\nsix==1.0\n');
    const h = (f: string) => containerVersion(STEP_DEFS, config([container('x', [step('Py3Requirements', f)])], dir), 'x').hash;
    assert.equal(h('req/a.txt'), h('flat.txt'));
    fs.writeFileSync(path.join(dir, 'req/b.txt'), 'six==1.1\n');
    assert.notEqual(h('req/a.txt'), h('flat.txt'));
    fs.writeFileSync(path.join(dir, 'req/b.txt'), '-r a.txt\n');
    assert.throws(() => h('req/a.txt'), /Cyclic requirement/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('yarn: unknown until yarn.lock covers package.json', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vyarn-'));
  try {
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ dependencies: { classnames: '^2.2.5' } }));
    const h = () => containerVersion(STEP_DEFS, config([container('x', [step('YarnDependencies', {})])], dir), 'x').hash;
    assert.throws(h, VersionUnknownError);
    fs.writeFileSync(path.join(dir, 'yarn.lock'), '# yarn\n\n"left-pad@^1.0.0":\n  version "1.0.0"\n');
    assert.throws(h, VersionUnknownError);
    fs.writeFileSync(path.join(dir, 'yarn.lock'), 'classnames@^2.2.5, classnames@^2.2.6:\n  version "2.2.6"\n');
    const first = h();
    fs.appendFileSync(path.join(dir, 'yarn.lock'), '\n');
    assert.notEqual(h(), first);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('!SubConfig: unknown while the file is missing, then the other file\'s steps are inlined', () => {
  assert.throws(() => containerVersion(STEP_DEFS, config([container('x', [step('SubConfig', { container: 'y' })])]), 'x'), VersionUnknownError);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsub-'));
  try {
    const cfg = config([container('x', [step('SubConfig', { path: 'sub.yaml', container: 'y' })])], dir);
    assert.throws(() => containerVersion(STEP_DEFS, cfg, 'x'), VersionUnknownError);
    fs.writeFileSync(path.join(dir, 'sub.yaml'), 'containers:\n  y:\n    setup:\n    - !Alpine v3.4\n');
    const viaFile = containerVersion(STEP_DEFS, cfg, 'x').hash;
    const viaReader = containerVersion(STEP_DEFS, cfg, 'x', { readConfigFile: () => config([container('y', alpine())]) }).hash;
    assert.equal(viaFile, viaReader);
    assert.notEqual(viaFile, containerVersion(STEP_DEFS, config([container('x', alpine())]), 'x').hash);
    assert.throws(() => containerVersion(STEP_DEFS, config([container('x', [step('SubConfig', { path: 'sub.yaml', container: 'z' })])], dir), 'x'), /Container "z" not found/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** `!SubConfig {source: !Container name, path, container: y}` (tagged values are not expressible through `step`). */
const fromContainer = (name: string, p: string): StepConfig => ({
  tag: 'SubConfig', params: { source: { kind: 'Container', name }, path: p, container: 'y' }, pos: { file: 'vagga.yaml', line: 1, col: 1 },
});

test('!SubConfig from a container: unknown until that version is built, then equal to the same steps from a file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsubc-'));
  try {
    const rootsDir = path.join(dir, '.vagga/.roots');
    const cfg = config([
      container('gen', alpine()),
      container('x', [fromContainer('gen', 'etc/sub.yaml')]),
      container('ref', [step('SubConfig', { path: 'sub.yaml', container: 'y' })]),
    ], dir);
    assert.throws(() => containerVersion(STEP_DEFS, cfg, 'x'), VersionUnknownError, 'no storage known');
    assert.throws(() => containerVersion(STEP_DEFS, cfg, 'x', { rootsDir }), VersionUnknownError, 'gen not built');
    const genRoot = path.join(rootsDir, `gen.${containerVersion(STEP_DEFS, cfg, 'gen').hash.slice(0, 8)}`, 'root');
    fs.mkdirSync(path.join(genRoot, 'etc'), { recursive: true });
    assert.throws(() => containerVersion(STEP_DEFS, cfg, 'x', { rootsDir }), VersionUnknownError, 'file missing in the root');
    const yaml = 'containers:\n  y:\n    setup:\n    - !Sh echo hi\n';
    fs.writeFileSync(path.join(genRoot, 'etc/sub.yaml'), yaml);
    fs.writeFileSync(path.join(dir, 'sub.yaml'), yaml);
    // Vagga's rule: the marker and the other file's steps; the source is not hashed.
    assert.equal(containerVersion(STEP_DEFS, cfg, 'x', { rootsDir }).hash, containerVersion(STEP_DEFS, cfg, 'ref').hash);
    const dotdot = config([container('gen', alpine()),
      container('x', [fromContainer('gen', '../sub.yaml')])], dir);
    assert.throws(() => containerVersion(STEP_DEFS, dotdot, 'x', { rootsDir }), /may not contain "\.\."/);
    const loop = config([container('a', [fromContainer('a', 'v.yaml')])], dir);
    assert.throws(() => containerVersion(STEP_DEFS, loop, 'a', { rootsDir }), /cyclic dependency/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
