import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerWorkDir, relativeWorkDir } from '../../../src/runtime/work-dir.js';

test('the user cwd is translated under /work', () => {
  assert.equal(containerWorkDir('/home/u/proj', '/home/u/proj'), '/work');
  assert.equal(containerWorkDir('/home/u/proj', '/home/u/proj/src/lib'), '/work/src/lib');
  assert.equal(containerWorkDir('/home/u/proj', '/home/u/other'), '/work', 'outside the project: /work');
  assert.equal(containerWorkDir('/home/u/proj', '/home/u/proj-2'), '/work');
});

test('work-dir wins over the cwd', () => {
  assert.equal(containerWorkDir('/p', '/p/a/b', 'docs'), '/work/docs');
  assert.equal(containerWorkDir('/p', '/p', 'docs/'), '/work/docs');
  assert.equal(containerWorkDir('/p', '/p', './x/../y'), '/work/y');
  assert.equal(containerWorkDir('/p', '/p', '/srv'), '/srv');
  assert.equal(containerWorkDir('/p', '/p', ''), '/work');
});

test('_relative_work_dir is empty at the root', () => {
  assert.equal(relativeWorkDir('/p', '/p'), '');
  assert.equal(relativeWorkDir('/p', '/p/a/b'), 'a/b');
});
