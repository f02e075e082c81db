import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareSteps, rebuildLine, traceChanges, valueChange, type RecordedStep } from '../../../src/builder/explain.js';

const step = (tag: string, hash: string, trace: string[], summary = `!${tag}`): RecordedStep => ({ tag, hash, trace: [`COMMAND ${tag}`, ...trace], summary });

test('trace changes name changed values, changed files, added and removed entries', () => {
  assert.deepEqual(traceChanges(['  script: "a"'], ['  script: "b"']), ['script: "a" -> "b"']);
  assert.deepEqual(traceChanges(['  <file /work/package.json: 10 bytes, aaaaaaaaaaaa>'], ['  <file /work/package.json: 10 bytes, bbbbbbbbbbbb>']),
    ['file /work/package.json changed']);
  assert.deepEqual(traceChanges(['  a: 1'], ['  a: 1', '  b: 2']), ['b added']);
  assert.deepEqual(traceChanges(['  a: 1', '  b: 2'], ['  a: 1']), ['b removed']);
  assert.deepEqual(traceChanges(['  x: 1'], ['  x: 1']), []);
});

test('list values show the items added and removed; long values a window around the change', () => {
  assert.equal(valueChange('["express"]', '["express","left-pad"]'), '+left-pad');
  assert.equal(valueChange('["a","b"]', '["b","a"]'), 'order changed');
  const long = 'x'.repeat(80);
  const change = valueChange(`"${long}1${long}"`, `"${long}2${long}"`);
  assert.match(change, /^\.\.\.x+1x+\.\.\. -> \.\.\.x+2x+\.\.\.$/);
  assert.equal(valueChange('"a\u001b[31m"', '"b"'), '"a?[31m" -> "b"', 'control characters never reach the terminal');
});

test('compareSteps finds the first changed step and the rebuild line names it', () => {
  const before = [step('Debian', 'h1', ['  codename: "bookworm"']), step('Install', 'h2', ['  packages: ["python3"]'], '!Install [python3]'), step('Text', 'h3', [])];
  const after = [before[0]!, step('Install', 'h2b', ['  packages: ["python3","curl"]'], '!Install [python3, curl]'), step('Text', 'h3', [])];
  const cmp = compareSteps(before, after);
  assert.equal(cmp.first, 1);
  assert.equal(cmp.unchanged, 1);
  assert.deepEqual(cmp.changes, ['packages: +curl']);
  assert.equal(rebuildLine('app', cmp, after), 'app: rebuilding from step 2/3 !Install [python3, curl]: packages: +curl; step 1 unchanged');
  assert.equal(rebuildLine('app', compareSteps(before, before), before), undefined, 'nothing to say when the steps are the same');
  const shorter = compareSteps(before, before.slice(0, 2));
  assert.equal(rebuildLine('app', shorter, before.slice(0, 2)), 'app: rebuilding: 1 step(s) removed at the end; steps 1-2 unchanged');
  const retagged = compareSteps(before, [before[0]!, step('BuildDeps', 'x', ['  packages: ["python3"]'])]);
  assert.deepEqual(retagged.changes, ['was !Install']);
});
