import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findProjectRoot, loadConfig } from '../../../src/config/load.js';
import { requireCommandContainer } from '../../../src/config/references.js';
import { project, thrown } from './helpers.js';
import { STEP_DEFS } from '../../../src/steps/registry.js';

const FIXTURES = resolve(fileURLToPath(import.meta.url), '../../../fixtures/config');
const CMD = (container: string, run: string) => `!Command\n    container: ${container}\n    run: ${run}\n`;

test('findProjectRoot walks up; .vagga/vagga.yaml beats vagga.yaml', () => {
  const root = project({ 'vagga.yaml': 'containers: {}\n', '.vagga/vagga.yaml': 'containers: {}\n', 'a/b/keep': '' });
  assert.deepEqual(findProjectRoot(join(root, 'a/b')), { root, mainFile: join(root, '.vagga/vagga.yaml'), warnings: [] });
  const plainRoot = project({ 'vagga.yaml': '', 'sub/x': '' });
  assert.equal(findProjectRoot(join(plainRoot, 'sub')).mainFile, join(plainRoot, 'vagga.yaml'));
});

test('a directory with only an implicit local mixin is a project with no main file', () => {
  const root = project({ 'vagga.local.yaml': `containers: {c: {}}\ncommands:\n  hi: ${CMD('c', 'echo hi')}` });
  assert.deepEqual(findProjectRoot(root), { root, mainFile: undefined, warnings: [] });
  const cfg = loadConfig(STEP_DEFS, root);
  assert.deepEqual(Object.keys(cfg.commands), ['hi']);
  assert.equal(cfg.mainFile, join(root, 'vagga.yaml'));
  assert.deepEqual(cfg.files, [join(root, 'vagga.local.yaml')]);
});

test('config not found: exit 126 with the cwd named; vagga.yml typo is reported', () => {
  const root = project({ 'vagga.yml': '' });
  mkdirSync(join(root, 'deeper'));
  const err = thrown(() => findProjectRoot(join(root, 'deeper')));
  assert.equal(err.exitCode, 126);
  assert.equal(err.message, `Config not found in path ${JSON.stringify(join(root, 'deeper'))}`);
  assert.match((err as { hint?: string }).hint ?? '', /vagga\.yml.*typo/);
});

test('mixin precedence: main > later mixins > earlier; a mixin\'s own mixins right after it', () => {
  const cfg = loadConfig(STEP_DEFS, join(FIXTURES, 'mixins'));
  const run = (name: string) => {
    const c = cfg.commands[name];
    assert.ok(c && c.kind === 'Command', name);
    return c.run;
  };
  assert.deepEqual(Object.keys(cfg.commands).sort(), ['deep', 'm1', 'm1x', 'm2', 'nested', 'overrides', 'top']);
  assert.equal(run('top'), 'echo top');
  assert.equal(run('overrides'), 'echo overrides-from-main');
  assert.equal(run('m1x'), 'echo m1x-from-mixins2');
  assert.equal(run('m1'), 'echo m1');
  assert.equal(run('m2'), 'echo m2');
  assert.equal(run('nested'), 'echo nested-from-mixins1');
  assert.equal(run('deep'), 'echo deep');
  assert.deepEqual(Object.keys(cfg.containers).sort(), ['cont1', 'cont2', 'main-cont']);
  assert.ok(cfg.warnings.some((w) => /Skipping mixin "missing\.yaml" .*does not exist/.test(w)), cfg.warnings.join('\n'));
  const dir = join(FIXTURES, 'mixins');
  assert.deepEqual(cfg.files, ['vagga.yaml', 'mixins2.yaml', 'mixins1.yaml', 'sub/nested.yaml'].map((f) => join(dir, f)));
});

test('implicit local mixins beat explicit mixins; .vagga/local.yaml beats vagga.local.yaml', () => {
  const root = project({
    'vagga.yaml': `mixins: [m.yaml]\ncontainers: {c: {}}\ncommands:\n  main: ${CMD('c', 'main')}`,
    'm.yaml': `commands:\n  a: ${CMD('c', 'from-mixin')}  b: ${CMD('c', 'from-mixin')}  main: ${CMD('c', 'from-mixin')}`,
    'vagga.local.yaml': `commands:\n  a: ${CMD('c', 'from-vagga.local')}  l: ${CMD('c', 'from-vagga.local')}`,
    '.vagga/local.yaml': `commands:\n  l: ${CMD('c', 'from-.vagga/local')}`,
  });
  const cfg = loadConfig(STEP_DEFS, root);
  const run = (n: string) => (cfg.commands[n] as { run: string }).run;
  assert.equal(run('main'), 'main');
  assert.equal(run('a'), 'from-vagga.local');
  assert.equal(run('b'), 'from-mixin');
  assert.equal(run('l'), 'from-.vagga/local');
});

test('invalid mixins are skipped with a warning; too-new mixins with the Minimum Vagga message only', () => {
  const root = project({
    'vagga.yaml': `mixins: [bad.yaml, new.yaml]\ncontainers: {c: {}}\ncommands:\n  x: ${CMD('c', 'x')}`,
    'bad.yaml': 'commands: {y: !Command {run: x}}\n',
    'new.yaml': 'minimum-vagga: 9999.0.0\ncontainers:\n  n:\n    setup: [!UnknownBuildStep x]\n',
  });
  const cfg = loadConfig(STEP_DEFS, root);
  assert.deepEqual(Object.keys(cfg.commands), ['x']);
  const minimum = cfg.warnings.filter((w) => w.includes('Please upgrade vagga'));
  assert.equal(minimum.length, 1);
  assert.match(minimum[0]!, /Minimum Vagga Error: Please upgrade vagga to at least "9999\.0\.0"/);
  assert.ok(!cfg.warnings.some((w) => w.includes('UnknownBuildStep')));
  assert.ok(cfg.warnings.some((w) => /^Skipping mixin because of error\. Error: .*bad\.yaml:1:.*Field container is expected/.test(w)), cfg.warnings.join('\n'));
});

test('main file too new: 126, Minimum Vagga Error first, then the validation error', () => {
  const root = project({ 'vagga.yaml': 'minimum-vagga: 9999.0.0\ncommands:\n  x: !UnknownCommand\n    run: x\n' });
  const err = thrown(() => loadConfig(STEP_DEFS, root));
  assert.equal(err.exitCode, 126);
  const lines = err.message.split('\n');
  assert.equal(lines[0], 'Minimum Vagga Error: Please upgrade vagga to at least "9999.0.0"');
  assert.match(lines[1]!, /vagga\.yaml:3:6: Validation Error: The tag UnknownCommand is not expected$/);
  const ok = project({ 'vagga.yaml': 'minimum-vagga: v0.8.0\n' });
  assert.equal(loadConfig(STEP_DEFS, ok).minimumVagga, 'v0.8.0');
});

test('validation errors carry file:line:col and the key path', () => {
  const root = project({ 'vagga.yaml': 'containers:\n  app:\n    setup:\n    - !Text {/a: b}\n    - !NoSuchStep x\n' });
  const err = thrown(() => loadConfig(STEP_DEFS, root));
  assert.equal(err.exitCode, 126);
  assert.equal(err.message, `${join(root, 'vagga.yaml')}:5:7: Validation Error: The tag NoSuchStep is not expected\nDecode error at .containers.app.setup[1]: The tag NoSuchStep is not expected`);
  const keys = project({ 'vagga.yaml': 'containers:\n  app:\n    setup: []\n    bogus: 1\n' });
  assert.match(thrown(() => loadConfig(STEP_DEFS, keys)).message, /vagga\.yaml:4:5: Validation Error: Keys \{"bogus"\} are not expected/);
});

test('container defaults (§1.3)', () => {
  const root = project({ 'vagga.yaml': 'containers:\n  c:\n    setup:\n    - !EnsureDir /x\n  d:\n    uids: ["0-100", 1000]\n    resolv-conf-path: ~\n' });
  const cfg = loadConfig(STEP_DEFS, root);
  const c = cfg.containers.c!;
  assert.deepEqual(c.uids, [{ start: 0, end: 65535 }]);
  assert.deepEqual(c.gids, [{ start: 0, end: 65535 }]);
  assert.equal(c.resolvConfPath, '/etc/resolv.conf');
  assert.equal(c.hostsFilePath, '/etc/hosts');
  assert.equal(c.autoClean, false);
  assert.deepEqual([c.dataDirs, c.defaultShell, c.volumes, c.environ], [[], [], {}, {}]);
  assert.equal(c.setup.length, 1);
  assert.equal(c.setup[0]!.tag, 'EnsureDir');
  assert.deepEqual([c.setup[0]!.pos.line, c.setup[0]!.pos.col], [4, 7]);
  const d = cfg.containers.d!;
  assert.deepEqual(d.uids, [{ start: 0, end: 100 }, { start: 1000, end: 1000 }]);
  assert.equal(d.resolvConfPath, null);
});

test('includes, merge keys and aliases in a full config', () => {
  const cfg = loadConfig(STEP_DEFS, join(FIXTURES, 'include'));
  const base = cfg.containers.base!;
  assert.deepEqual(base.setup.map((s) => s.tag), ['EnsureDir', 'Text']);
  assert.deepEqual(base.environ, { A: 'explicit', B: 'from-include', C: 'from-include' });
  const run = cfg.commands.run!;
  assert.ok(run.kind === 'Command');
  assert.equal(run.container, 'base');
  assert.equal(run.workDir, 'sub');
  assert.equal(cfg.files.length, 3);
});

test('container references: missing and cyclic', () => {
  const cyc = project({ 'vagga.yaml': 'containers:\n  crash:\n    setup:\n    - !Container crash\n' });
  const err = thrown(() => loadConfig(STEP_DEFS, cyc));
  assert.equal(err.exitCode, 126);
  assert.equal(err.message.split('\n').at(-1), 'Container "crash" has cyclic dependency');
  const longer = project({ 'vagga.yaml': 'containers:\n  a: {setup: [!Container b]}\n  b: {setup: [!Container a]}\n' });
  assert.match(thrown(() => loadConfig(STEP_DEFS, longer)).message, /Container "a" has cyclic dependency$/);
  const missing = project({ 'vagga.yaml': 'containers:\n  y:\n    setup:\n    - !Container x\n' });
  const m = thrown(() => loadConfig(STEP_DEFS, missing));
  assert.equal(m.exitCode, 126);
  assert.match(m.message, /vagga\.yaml:4:7: Validation Error: Container "x" referenced from "y" is not found/);
});

test('a command naming an undefined container: warning at load, error when required', () => {
  const root = project({ 'vagga.yaml': `containers: {a: {}}\ncommands:\n  run: ${CMD('nope', 'x')}` });
  const cfg = loadConfig(STEP_DEFS, root);
  assert.ok(cfg.warnings.some((w) => /vagga\.yaml:3:8: Command "run" uses container "nope" which is not defined/.test(w)), cfg.warnings.join('\n'));
  const cmd = cfg.commands.run!;
  assert.ok(cmd.kind === 'Command');
  const err = thrown(() => requireCommandContainer(cfg, cmd));
  assert.equal(err.exitCode, 126);
  assert.match(err.message, /vagga\.yaml:3:8: Validation Error: Container "nope" used by command "run" is not defined/);
});
