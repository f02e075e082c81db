/**
 * Path filter semantics (vagga-inventory.md §2.1 "Filters"), checked case by case against
 * the behaviour Vagga's own path-filter tests specify, plus the error/warning strings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPathFilter, type PathFilter } from '../../../src/version/filters.js';

const glob = (...rules: string[]) => createPathFilter({ rules, noDefaultRules: true });
const kind = (f: PathFilter, p: string, dir: boolean) => f.matched(p, dir).kind;

test('relative rule without wildcards matches at any depth, and everything inside', () => {
  const f = createPathFilter({ rules: ['!x', '/y'], noDefaultRules: true });
  assert.equal(kind(f, 'x', false), 'ignore');
  assert.equal(kind(f, 'dir/x', false), 'ignore');
  assert.equal(kind(f, 'x/test', false), 'ignore');
  assert.equal(kind(f, 'xx', false), 'none');
});

test('absolute rule matches only at the top', () => {
  const f = glob('/foo');
  assert.equal(kind(f, 'foo', false), 'include');
  assert.equal(kind(f, 'foo', true), 'include');
  assert.equal(kind(f, 'foo/test', false), 'include');
  assert.equal(kind(f, 'dir/foo', false), 'none');
  assert.equal(kind(f, 'test', false), 'none');
});

test('absolute wildcard does not cross directories', () => {
  const f = glob('/*.rs');
  assert.equal(kind(f, 'test.rs', false), 'include');
  assert.equal(kind(f, 'test.py', false), 'none');
  assert.equal(kind(f, 'dir/test.rs', false), 'none');
});

test('directory rule (trailing /) matches directories and their contents only', () => {
  const f = glob('/dir/');
  assert.equal(kind(f, 'dir', true), 'include');
  assert.equal(kind(f, 'dir', false), 'none');
  assert.equal(kind(f, 'dir/test.rs', false), 'include');
  assert.equal(kind(f, 'dir/subdir', true), 'include');
  assert.equal(kind(f, 'otherdir/dir', true), 'none');
});

test('exclude beats include; later exact rules win', () => {
  const f = glob('!*.py', '/dir');
  assert.equal(kind(f, 'dir', true), 'include');
  assert.equal(kind(f, 'dir/test.rs', false), 'include');
  assert.equal(kind(f, 'dir/test.py', false), 'ignore');
  const g = glob('!.git/', '/.git/');
  assert.equal(kind(g, '.git', true), 'include');
  assert.equal(kind(g, '.git', false), 'none');
});

test('** forms: leading, intermediate, trailing', () => {
  const lead = glob('/**/foo');
  assert.equal(kind(lead, 'foo', false), 'include');
  assert.equal(kind(lead, 'a/b/foo', false), 'include');
  assert.equal(kind(lead, 'foo/x', false), 'include');
  const mid = glob('/dir/**/foo');
  assert.equal(kind(mid, 'dir/foo', false), 'include');
  assert.equal(kind(mid, 'dir/a/b/foo', true), 'include');
  assert.equal(kind(mid, 'dir/test.rs', false), 'none');
  // The intermediate rule lets the walk enter "dir" without including it.
  assert.equal(kind(mid, 'dir', true), 'include');
  const m = mid.matched('dir', true);
  assert.equal(m.kind === 'include' && m.rule?.isIntermediate, true);
  const trail = glob('/dir/**');
  assert.equal(kind(trail, 'dir', false), 'include');
  assert.equal(kind(trail, 'dir/sub/x', false), 'include');
});

test('default exclude rules apply unless no-default-rules', () => {
  const f = createPathFilter({ rules: ['/'] });
  assert.equal(kind(f, '.git', true), 'ignore');
  assert.equal(kind(f, 'x.bak', false), 'ignore');
  assert.equal(kind(f, 'a/#x#', false), 'ignore');
  assert.equal(kind(f, 'src/main.rs', false), 'include');
  const g = createPathFilter({ rules: ['/'], noDefaultRules: true });
  assert.equal(kind(g, '.git', true), 'include');
});

test('regex filter: default ignore, optional include', () => {
  const f = createPathFilter({ rules: [] });
  assert.equal(kind(f, '.git/config', false), 'ignore');
  assert.equal(kind(f, 'a/b.orig', false), 'ignore');
  assert.equal(kind(f, 'a/b', false), 'none');
  const g = createPathFilter({ rules: [], includeRegex: String.raw`(^|/).*\.rs$` });
  assert.equal(kind(g, 'dir/test.rs', false), 'include');
  assert.equal(kind(g, 'dir/test.py', false), 'none');
  assert.equal(g.hasInclude, true);
});

test('errors and the missing-include warning', () => {
  assert.throws(() => createPathFilter({ rules: ['/x'], includeRegex: 'x' }), /You must specify either rules or regular expressions but not both/);
  assert.throws(() => createPathFilter({ rules: [], noDefaultRules: true, ignoreRegex: 'x' }), /but not both/);
  assert.throws(() => createPathFilter({ rules: ['x'] }), /Relative paths are allowed only for excluding rules/);
  const warnings: string[] = [];
  createPathFilter({ rules: ['!file'] }, { warn: (m) => warnings.push(m) });
  assert.match(warnings[0] ?? '', /You didn't add any include rules/);
});
