import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { layerTarList, parseFindOutput, parseOpaqueDirs } from '../../../src/image/layer-list.js';

const find = (...recs: string[]) => Buffer.from(recs.map((r) => `${r}\0`).join(''), 'utf8');

test('find records: type letter and path, NUL-terminated; newlines in names survive', () => {
  assert.deepEqual(parseFindOutput(find('e./a', 'w./a/gone', 'e./a/new\nline')), [
    { path: './a', whiteout: false }, { path: './a/gone', whiteout: true }, { path: './a/new\nline', whiteout: false },
  ]);
  assert.deepEqual(parseFindOutput(Buffer.alloc(0)), []);
  assert.throws(() => parseFindOutput(find('x./a')), /unexpected find output/);
});

test('getfattr text: only user.overlay.opaque="y", octal escapes decoded as UTF-8 bytes', () => {
  const text = '# file: ./op q\nuser.overlay.opaque="y"\n\n# file: ./\\303\\251\nuser.overlay.opaque="y"\n\n# file: ./new\\012dir\nuser.overlay.opaque="y"\n\n# file: ./x\nuser.overlay.opaque="x"\n\n';
  assert.deepEqual([...parseOpaqueDirs(text)], ['./op q', './é', './new\ndir']);
});

test('the member list: depth first in byte order, markers first in their dir from the marker tree, excluded contents left out, names escaped', () => {
  const entries = parseFindOutput(find(
    'e./b', 'e./b/z', 'w./b/gone', 'e./b/-dash', 'e./a', 'w./old', 'e./d', 'e./tmp', 'e./tmp/junk', 'w./tmp/wh', 'e./c\\d\ne',
  ));
  const list = layerTarList(entries, new Set(['./b', './d']), ['tmp']);
  assert.equal(list.text, [
    '--directory=/vagga/layer', '.',
    '--directory=/vagga/markers', './.wh.old',
    '--directory=/vagga/layer', './a', './b',
    '--directory=/vagga/markers', './b/.wh..wh..opq', './b/.wh.gone',
    '--directory=/vagga/layer', './b/-dash', './b/z', './c\\\\d\\ne', './d',
    '--directory=/vagga/markers', './d/.wh..wh..opq',
    '--directory=/vagga/layer', './tmp', '',
  ].join('\n'));
  assert.deepEqual(list.markers, ['./.wh.old', './b/.wh..wh..opq', './b/.wh.gone', './d/.wh..wh..opq']);
  assert.equal(list.count, 12);
});
