import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CACHE_FILE, configOnlyContainers, loadProjectCached, quickProjectRoot } from '../../../src/cli/project-cache.js';
import { findProjectRoot } from '../../../src/config/load.js';
import { fakeProject } from './fake-project.js';
import { STEP_DEFS } from '../../../src/steps/registry.js';

const YAML = `containers:
  base:
    setup:
    - !Text { /etc/a: "x" }
  child:
    setup:
    - !Container base
    - !Sh echo hi
  deps:
    setup:
    - !Depends file.txt
  derived:
    setup:
    - !Container deps
commands:
  hi: !Command
    container: base
    run: [echo, hi]
`;

function project(yaml = YAML): string {
  const dir = mkdtempSync(join(tmpdir(), 'vagga-cache-'));
  mkdirSync(join(dir, '.vagga'));
  writeFileSync(join(dir, 'vagga.yaml'), yaml);
  writeFileSync(join(dir, 'file.txt'), 'data');
  const past = new Date(Date.now() - 60_000);
  utimesSync(join(dir, 'vagga.yaml'), past, past);
  return dir;
}

const env = { HOME: '/nonexistent-home' };

test('second load comes from the cache; editing vagga.yaml invalidates it', async () => {
  const dir = project();
  try {
    const first = await loadProjectCached(dir, env);
    assert.ok(existsSync(join(dir, CACHE_FILE)), 'cache written');
    assert.deepEqual(Object.keys(first.config.commands), ['hi']);
    // Mark the cache so we can tell where the next load came from.
    const file = join(dir, CACHE_FILE);
    const data = JSON.parse(readFileSync(file, 'utf8'));
    data.config.warnings = ['from-cache'];
    writeFileSync(file, JSON.stringify(data));
    const second = await loadProjectCached(join(dir), env);
    assert.deepEqual(second.config.warnings, ['from-cache']);
    assert.deepEqual(second.config, { ...JSON.parse(JSON.stringify(first.config)), warnings: ['from-cache'] });
    assert.deepEqual(second.settings, first.settings);
    // Versions are recorded only for config-only containers.
    second.recordVersion!('base', 'a'.repeat(128));
    second.recordVersion!('deps', 'b'.repeat(128));
    const third = await loadProjectCached(dir, env);
    assert.deepEqual(third.versions, { base: 'a'.repeat(128) });
    // Change the config: a fresh load, without the marker, and the versions are forgotten.
    writeFileSync(join(dir, 'vagga.yaml'), YAML.replace('[echo, hi]', '[echo, hello]'));
    const past = new Date(Date.now() - 30_000);
    utimesSync(join(dir, 'vagga.yaml'), past, past);
    const fourth = await loadProjectCached(dir, env);
    assert.deepEqual(fourth.config.warnings, []);
    assert.deepEqual(fourth.versions, {});
    // Different settings from the environment: not the cached ones.
    const withSettings = await loadProjectCached(dir, { ...env, VAGGA_SETTINGS: 'build-lock-wait: true' });
    assert.equal(withSettings.settings.buildLockWait, true);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('a config edited just now is not cached (racy timestamps)', async () => {
  const dir = project();
  try {
    writeFileSync(join(dir, 'vagga.yaml'), YAML);
    await loadProjectCached(dir, env);
    assert.equal(existsSync(join(dir, CACHE_FILE)), false);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('creating a local mixin invalidates the cache', async () => {
  const dir = project();
  try {
    await loadProjectCached(dir, env);
    writeFileSync(join(dir, 'vagga.local.yaml'), 'commands:\n  local: !Command\n    container: base\n    run: [true]\n');
    const past = new Date(Date.now() - 30_000);
    utimesSync(join(dir, 'vagga.local.yaml'), past, past);
    const p = await loadProjectCached(dir, env);
    assert.deepEqual(Object.keys(p.config.commands).sort(), ['hi', 'local']);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('only containers without project-file inputs have cacheable versions', () => {
  const p = fakeProject({}, ['base', 'child', 'deps', 'derived', 'loop']);
  const c = p.config.containers;
  const pos = { file: 'f', line: 1, col: 1 };
  c.base.setup = [{ tag: 'Text', params: {}, pos }];
  c.child.setup = [{ tag: 'Container', params: 'base', pos }, { tag: 'Sh', params: 'x', pos }];
  c.deps.setup = [{ tag: 'Depends', params: { path: 'f' }, pos }];
  c.derived.setup = [{ tag: 'Container', params: 'deps', pos }];
  c.loop.setup = [{ tag: 'Container', params: 'loop', pos }];
  assert.deepEqual(configOnlyContainers(p.config, STEP_DEFS), ['base', 'child']);
});

test('quickProjectRoot agrees with findProjectRoot', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vagga-root-'));
  try {
    mkdirSync(join(dir, 'a/b/c'), { recursive: true });
    mkdirSync(join(dir, 'a/.vagga'), { recursive: true });
    writeFileSync(join(dir, 'vagga.yaml'), '');
    writeFileSync(join(dir, 'a/b/.vagga.local.yaml'), '');
    for (const cwd of [dir, join(dir, 'a'), join(dir, 'a/b'), join(dir, 'a/b/c')]) {
      assert.equal(quickProjectRoot(cwd), findProjectRoot(cwd).root, cwd);
    }
    writeFileSync(join(dir, 'a/.vagga/vagga.yaml'), '');
    assert.equal(quickProjectRoot(join(dir, 'a')), findProjectRoot(join(dir, 'a')).root);
  } finally {
    rmSync(dir, { recursive: true });
  }
});
