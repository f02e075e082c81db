import { test } from 'node:test';
import assert from 'node:assert/strict';
import { didYouMean, editDistance, nearest } from '../../../src/errors/did-you-mean.js';
import { loadConfig } from '../../../src/config/load.js';
import { STEP_DEFS } from '../../../src/steps/registry.js';
import { runCli } from '../../../src/cli/cli.js';
import { command, fakeProject } from '../cli/fake-project.js';
import { project, thrown } from '../config/helpers.js';

test('edit distance counts insertions, deletions, substitutions and adjacent swaps as one', () => {
  assert.equal(editDistance('test', 'test'), 0);
  assert.equal(editDistance('tets', 'test'), 1);
  assert.equal(editDistance('Instal', 'Install'), 1);
  assert.equal(editDistance('runn', 'run'), 1);
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(editDistance('INSTALL', 'install'), 0);
});

test('nearest: a cutoff that grows with the length; ties go to the first candidate', () => {
  assert.equal(nearest('tets', ['run', 'test', 'tests']), 'test');
  assert.equal(nearest('ab', ['xy', 'cd']), undefined);
  assert.equal(nearest('rn', ['run', 'rm']), 'run');
  assert.equal(nearest('completely-different', ['run', 'test']), undefined);
  assert.equal(nearest('run', ['run']), undefined);
  assert.equal(didYouMean('Instal', ['Ubuntu', 'Install'], (t) => `!${t}`), 'Did you mean !Install?');
  assert.equal(didYouMean('zzz', ['Install']), undefined);
});

test('config errors keep Vagga\'s first line and suggest the nearest tag, key or container', () => {
  const tag = thrown(() => loadConfig(STEP_DEFS, project({ 'vagga.yaml': 'containers:\n  app:\n    setup:\n    - !Instal [a]\n' })));
  assert.match(tag.message, /Validation Error: The tag Instal is not expected$/m);
  assert.equal((tag as { hint?: string }).hint, 'Did you mean !Install?');
  const key = thrown(() => loadConfig(STEP_DEFS, project({ 'vagga.yaml': 'containers:\n  app:\n    setup: []\ncommands:\n  x: !Command\n    container: app\n    runn: true\n' })));
  assert.match(key.message, /Keys \{"runn"\} are not expected/);
  assert.equal((key as { hint?: string }).hint, 'Did you mean run?');
  const vol = thrown(() => loadConfig(STEP_DEFS, project({ 'vagga.yaml': 'containers:\n  app:\n    setup: []\n    volumes:\n      /tmp: !Tmpf {}\n' })));
  assert.equal((vol as { hint?: string }).hint, 'Did you mean !Tmpfs?');
  const cmd = thrown(() => loadConfig(STEP_DEFS, project({ 'vagga.yaml': 'commands:\n  x: !Comand\n    container: app\n    run: true\n' })));
  assert.equal((cmd as { hint?: string }).hint, 'Did you mean !Command?');
  const ref = thrown(() => loadConfig(STEP_DEFS, project({ 'vagga.yaml': 'containers:\n  base:\n    setup: []\n  app:\n    setup:\n    - !Container bsae\n' })));
  assert.match(ref.message, /Container "bsae" referenced from "app" is not found/);
  assert.equal((ref as { hint?: string }).hint, 'Did you mean "base"?');
});

test('YAML indentation errors carry a plain-language hint and the line', () => {
  const err = thrown(() => loadConfig(STEP_DEFS, project({ 'vagga.yaml': 'commands:\n  run: !Command\n    container: x\n    run: y\n   description: z\n' })));
  assert.match(err.message, /vagga\.yaml:5:\d+: Validation Error: YAML syntax error: /);
  assert.match((err as { hint?: string }).hint ?? '', /indentation/);
  const compact = thrown(() => loadConfig(STEP_DEFS, project({ 'vagga.yaml': 'a: b: c\n' })));
  assert.match((compact as { hint?: string }).hint ?? '', /same line/);
});

async function vagga(argv: string[]) {
  let stderr = '';
  const p = fakeProject({ test: command({ name: 'test', run: ['true'] }), _hidden: command({ name: '_hidden', run: ['true'] }) }, ['app']);
  const status = await runCli(argv, { cwd: '/p', env: {}, out: () => {}, err: (t) => { stderr += t; }, loadProject: async () => p });
  return { status, stderr };
}

test('unknown commands and built-ins: Vagga\'s line, then the nearest name', async () => {
  const cmd = await vagga(['tets']);
  assert.equal(cmd.status, 121);
  assert.match(cmd.stderr, /^Command "tets" not found and is not an alias\nhint: Did you mean `vagga test`\?\n/);
  const builtin = await vagga(['_buidl', 'app']);
  assert.equal(builtin.status, 121);
  assert.match(builtin.stderr, /^Command "_buidl" not found and is not an alias\nhint: Did you mean `vagga _build`\?\n/);
  const hidden = await vagga(['_hiden']);
  assert.match(hidden.stderr, /Did you mean `vagga _hidden`\?/);
  const none = await vagga(['zzzzzzzz']);
  assert.doesNotMatch(none.stderr, /Did you mean/);
  const container = await vagga(['_version_hash', 'ap']);
  assert.match(container.stderr, /^Container "ap" not found\nhint: Did you mean "app"\?\n/);
});

test('unknown long flags of built-ins suggest the nearest spelling', async () => {
  const r = await vagga(['_list', '--contaners']);
  assert.equal(r.status, 122);
  assert.match(r.stderr, /^Unknown flag: '--contaners'\nhint: Did you mean --containers\?\n/);
});
