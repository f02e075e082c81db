import { test } from 'node:test';
import assert from 'node:assert/strict';
import { orderWithPrerequisites } from '../../../src/user-commands/prerequisites.js';

const scan = (pre: Record<string, string[]>, src: string[]): string[] => orderWithPrerequisites(src, (n) => pre[n] ?? []);

// tests/prerequisites/vagga.yaml: two->[one], three->[one], four->[two, three]
const PRE = { two: ['one'], three: ['one'], four: ['two', 'three'] };

test('tests/prerequisites oracle cases', () => {
  assert.deepEqual(scan(PRE, ['two']), ['one', 'two']);
  assert.deepEqual(scan(PRE, ['four']), ['one', 'two', 'three', 'four'], 'collapsing prerequisites');
  assert.deepEqual(scan(PRE, ['three', 'two', 'four']), ['one', 'three', 'two', 'four'], 'force order with -m');
});

test('no prerequisites keep the user order; each prerequisite once', () => {
  assert.deepEqual(scan({}, ['a', 'b']), ['a', 'b']);
  assert.deepEqual(scan({ a: ['pa1', 'pa2'], b: ['pb1', 'pb2'] }, ['a', 'b']), ['pa1', 'pa2', 'a', 'pb1', 'pb2', 'b']);
  assert.deepEqual(scan({ a: [], b: ['a'], c: ['a'], d: ['b', 'c'] }, ['d', 'd', 'd']), ['a', 'b', 'c', 'd', 'd', 'd']);
  assert.deepEqual(scan({ d: ['b', 'a', 'a', 'b'] }, ['d']), ['b', 'a', 'd']);
});

test('cycles are cut', () => {
  const cyc = { a: ['b'], b: ['a'] };
  assert.deepEqual(scan(cyc, ['a', 'b']), ['a', 'b']);
  assert.deepEqual(scan(cyc, ['b', 'a']), ['b', 'a']);
  assert.deepEqual(scan(cyc, ['a']), ['b', 'a']);
  assert.deepEqual(scan(cyc, ['b']), ['a', 'b']);
  assert.deepEqual(scan({ a: ['b'], b: ['a'], c: ['b'] }, ['c']), ['a', 'b', 'c']);
});
