/** Rust path semantics the hashes rely on (component-wise order, verbatim joins). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { comparePaths, pathStartsWith, rustJoin, workToHost } from '../../../src/version/paths.js';

test('component-wise order: a/b sorts before a-c (plain string order would not)', () => {
  assert.deepEqual(['a-c', 'a/b', 'a'].sort(comparePaths), ['a', 'a/b', 'a-c']);
  assert.deepEqual(['/etc/hello.txt', '/etc/bye.txt'].sort(comparePaths), ['/etc/bye.txt', '/etc/hello.txt']);
  assert.equal(comparePaths('/a/b', '/a/b/'), 0);
});

test('join keeps the base as written', () => {
  assert.equal(rustJoin('/work', 'dir/'), '/work/dir/');
  assert.equal(rustJoin('/work/dir/', 'hello'), '/work/dir/hello');
  assert.equal(rustJoin('/work', './x'), '/work/./x');
  assert.equal(rustJoin('/work', '/abs'), '/abs');
});

test('/work prefix is component-wise', () => {
  assert.equal(pathStartsWith('/work/x', '/work'), true);
  assert.equal(pathStartsWith('/workspace', '/work'), false);
  assert.equal(workToHost('/work/./a//b', '/p'), '/p/a/b');
  assert.equal(workToHost('/work', '/p'), '/p');
  assert.equal(workToHost('/etc', '/p'), undefined);
});
