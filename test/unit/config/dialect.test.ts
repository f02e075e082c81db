import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readQuireFile } from '../../../src/config/yaml-dialect.js';
import type { QScalar } from '../../../src/config/qnode.js';
import { plain, project, q, thrown } from './helpers.js';

test('compact tagged mapping in a sequence belongs to the mapping', () => {
  const root = q('- !Env HOME: /x\n- !Env\n  A: b\n- !PipConfig dependencies: true\n');
  assert.deepEqual(plain(root), [{ '!Env': { HOME: '/x' } }, { '!Env': { A: 'b' } }, { '!PipConfig': { dependencies: 'true' } }]);
});

test('a tag on an alias tags the aliased node', () => {
  const root = q('_d: &deps [gcc, make]\nsetup:\n- !BuildDeps *deps\n- !Install *deps\n');
  assert.deepEqual(plain(root), { _d: ['gcc', 'make'], setup: [{ '!BuildDeps': ['gcc', 'make'] }, { '!Install': ['gcc', 'make'] }] });
});

test('re-defined anchors: an alias refers to the latest definition before it', () => {
  const root = q('a: &x one\nb: *x\nc: &x two\nd: *x\n');
  assert.deepEqual(plain(root), { a: 'one', b: 'one', c: 'two', d: 'two' });
});

test('merge keys: mapping or list of mappings, explicit keys win, earlier merged maps win', () => {
  const root = q('_a: &a {x: a, y: a}\n_b: &b {y: b, z: b}\nm:\n  <<: [*a, *b]\n  x: explicit\nn:\n  <<: *b\n');
  assert.deepEqual(plain(root), {
    _a: { x: 'a', y: 'a' }, _b: { y: 'b', z: 'b' },
    m: { x: 'explicit', y: 'a', z: 'b' },
    n: { y: 'b', z: 'b' },
  });
  // Explicit keys win even when written after `<<`.
  assert.deepEqual(plain(q('_a: &a {k: merged}\nm: {k: mine, <<: *a}\n')), { _a: { k: 'merged' }, m: { k: 'mine' } });
});

test('a merged mapping keeps its own merges resolved', () => {
  const root = q('_a: &a {x: 1}\n_b: &b {<<: *a, y: 2}\nm: {<<: *b}\n');
  assert.deepEqual((plain(root) as Record<string, unknown>).m, { y: '2', x: '1' });
});

test('!*Unpack splices sequences, as an item and as a value', () => {
  const root = q('_w: &w [tiger, lion]\nanimals:\n- cat\n- !*Unpack [*w, [dog]]\n- cow\nall: !*Unpack [[a], [b, c]]\n');
  assert.deepEqual(plain(root), { _w: ['tiger', 'lion'], animals: ['cat', 'tiger', 'lion', 'dog', 'cow'], all: ['a', 'b', 'c'] });
  const err = thrown(() => q('x: !*Unpack [a]\n'));
  assert.match(err.message, /Every item of !\*Unpack must be a sequence/);
});

test('scalars stay text; plain flag distinguishes quoted values', () => {
  const root = q('v: 3.10\nm: 0o1777\nq: "yes"\nn:\nt: ~\nb: |\n  line\n');
  assert.equal(root.kind, 'map');
  const get = (k: string): QScalar => {
    const node = root.kind === 'map' ? root.entries.find((e) => e.key === k)?.value : undefined;
    assert.ok(node && node.kind === 'scalar', k);
    return node;
  };
  assert.deepEqual([get('v').text, get('m').text], ['3.10', '0o1777']);
  assert.equal(get('v').plain, true);
  assert.equal(get('q').plain, false);
  assert.deepEqual([get('n').plain, get('n').text], [true, '']);
  assert.equal(get('t').text, '~');
  assert.deepEqual([get('b').text, get('b').plain], ['line\n', false]);
});

test('positions are 1-based line and column', () => {
  const root = q('a:\n  b: [1, 22]\n');
  assert.equal(root.kind, 'map');
  const b = root.kind === 'map' && root.entries[0]!.value;
  assert.ok(b && b.kind === 'map');
  assert.deepEqual({ line: b.entries[0]!.keyPos.line, col: b.entries[0]!.keyPos.col }, { line: 2, col: 3 });
  const seq = b.entries[0]!.value;
  assert.ok(seq.kind === 'seq');
  assert.deepEqual([seq.items[1]!.pos.line, seq.items[1]!.pos.col], [2, 10]);
});

test('duplicate keys keep the first value and warn', () => {
  const root = q('a: 1\na: 2\n');
  assert.deepEqual(plain(root), { a: '1' });
});

test('`key: !Tag` followed by untagged sibling keys reads them as its content (Vagga parser quirk)', () => {
  const root = q('volumes:\n  /var/log: !Tmpfs\n  mode: 0o766\n  /a: !Empty\n  /b: !Empty\n');
  assert.deepEqual(plain(root), { volumes: { '/var/log': { '!Tmpfs': { mode: '0o766' } }, '/a': { '!Empty': '' }, '/b': { '!Empty': '' } } });
});

test('YAML syntax errors name file:line:col', () => {
  const err = thrown(() => q('a: [1, 2\nb: c\n'));
  assert.equal(err.exitCode, 126);
  assert.match(err.message, /^\/virtual\/test\.yaml:\d+:\d+: Validation Error: YAML syntax error: /);
  const err2 = thrown(() => q('a: *nope\n'));
  assert.match(err2.message, /^\/virtual\/test\.yaml:1:4: .*Unknown anchor \*nope/);
});

test('!*Include reads a file relative to the including file; anchors are per file', () => {
  const root = project({
    'main.yaml': 'items: !*Include parts/items.yaml\nmore:\n- !*Unpack [!*Include parts/items.yaml, [z]]\n',
    'parts/items.yaml': '- &a apple\n- *a\n',
  });
  const doc = readQuireFile(join(root, 'main.yaml'));
  assert.deepEqual(plain(doc.root), { items: ['apple', 'apple'], more: ['apple', 'apple', 'z'] });
  assert.deepEqual(doc.files, [join(root, 'main.yaml'), join(root, 'parts/items.yaml')]);
  const items = doc.root.kind === 'map' ? doc.root.entries[0]!.value : undefined;
  assert.ok(items && items.kind === 'seq');
  assert.equal(items.items[0]!.pos.file, join(root, 'parts/items.yaml'));
});

test('!*Include rejects `..`, reports missing files and include cycles with positions', () => {
  const root = project({
    'up.yaml': 'x: !*Include ../etc/passwd\n',
    'missing.yaml': 'a: 1\nx: !*Include nope.yaml\n',
    'loop.yaml': 'x: !*Include loop2.yaml\n',
    'loop2.yaml': 'y: !*Include loop.yaml\n',
  });
  assert.match(thrown(() => readQuireFile(join(root, 'up.yaml'))).message, /up\.yaml:1:4: .*parent directory references/);
  const missing = thrown(() => readQuireFile(join(root, 'missing.yaml')));
  assert.match(missing.message, /missing\.yaml:2:4: .*Can't read ".*nope\.yaml": no such file/);
  assert.match(thrown(() => readQuireFile(join(root, 'loop.yaml'))).message, /Include cycle/);
});
