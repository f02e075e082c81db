import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compareIndexes, escapeBytes, formatIndex, formatSize, formatVerifyReport, parseIndex, unescapeBytes,
  INDEX_HEADER, type IndexEntry,
} from '../../../src/storage/index-format.js';

const sha = (c: string) => c.repeat(64);
const entries: IndexEntry[] = [
  { type: 'f', path: '/etc/hosts', mode: 0o644, uid: 0, gid: 0, size: 12, sha256: sha('a') },
  { type: 'd', path: '/', mode: 0o755, uid: 0, gid: 0 },
  { type: 'l', path: '/bin/sh', mode: 0o777, uid: 0, gid: 0, target: 'busybox' },
  { type: 'd', path: '/tmp', mode: 0o1777, uid: 0, gid: 0 },
  { type: 'c', path: '/dev/null', mode: 0o666, uid: 0, gid: 0, device: '1,3' },
  { type: 'f', path: '/a\\x20b', mode: 0o4755, uid: 1, gid: 2, size: 0, sha256: sha('b') },
];

test('formatIndex: header, sorted by path bytes, one documented line per entry', () => {
  const text = formatIndex(entries);
  assert.equal(text, [
    INDEX_HEADER,
    'd / 0755 0 0',
    'f /a\\x20b 4755 1 2 0 ' + sha('b'),
    'l /bin/sh 0777 0 0 busybox',
    'c /dev/null 0666 0 0 1,3',
    'f /etc/hosts 0644 0 0 12 ' + sha('a'),
    'd /tmp 1777 0 0',
    '',
  ].join('\n'));
});

test('parseIndex round-trips formatIndex and rejects malformed lines', () => {
  const parsed = parseIndex(formatIndex(entries));
  assert.equal(formatIndex(parsed), formatIndex(entries));
  assert.deepEqual(parsed.find((e) => e.path === '/etc/hosts'), entries[0]);
  assert.throws(() => parseIndex('f / 0644 0 0\n'), /not a vagga index/);
  assert.throws(() => parseIndex(`${INDEX_HEADER}\nx / 0755 0 0\n`), /line 2: unknown type/);
  assert.throws(() => parseIndex(`${INDEX_HEADER}\nf /x 0644 0 0 12\n`), /expected 7 fields/);
  assert.throws(() => parseIndex(`${INDEX_HEADER}\nf /x 0644 0 0 12 abc\n`), /bad size or sha256/);
  assert.throws(() => parseIndex(`${INDEX_HEADER}\nd x 0755 0 0\n`), /path must start with/);
});

test('escapeBytes keeps printable ASCII, escapes space, backslash, control and non-ASCII bytes', () => {
  const raw = Buffer.concat([Buffer.from('/a b\\c\n\t'), Buffer.from([0xff]), Buffer.from('é')]);
  const esc = escapeBytes(raw);
  assert.equal(esc, '/a\\x20b\\x5cc\\x0a\\x09\\xff\\xc3\\xa9');
  assert.ok(!/[\s]/.test(esc));
  assert.deepEqual(unescapeBytes(esc), raw);
  assert.throws(() => unescapeBytes('/a\\y00'), /bad escape/);
});

test('compareIndexes: missing, extra and corrupted paths (content, mode, owner, target)', () => {
  const actual: IndexEntry[] = [
    { type: 'd', path: '/', mode: 0o755, uid: 0, gid: 0 },
    { type: 'f', path: '/etc/hosts', mode: 0o644, uid: 0, gid: 0, size: 12, sha256: sha('c') }, // content
    { type: 'l', path: '/bin/sh', mode: 0o777, uid: 0, gid: 0, target: 'dash' }, // target
    { type: 'd', path: '/tmp', mode: 0o755, uid: 0, gid: 0 }, // mode
    { type: 'c', path: '/dev/null', mode: 0o666, uid: 5, gid: 0, device: '1,3' }, // owner
    { type: 'f', path: '/new', mode: 0o644, uid: 0, gid: 0, size: 1, sha256: sha('d') },
  ];
  const diff = compareIndexes(entries, actual);
  assert.deepEqual(diff, {
    missing: ['/a\\x20b'],
    extra: ['/new'],
    corrupted: ['/bin/sh', '/dev/null', '/etc/hosts', '/tmp'],
  });
  assert.deepEqual(compareIndexes(entries, [...entries].reverse()), { missing: [], extra: [], corrupted: [] });
});

test('formatVerifyReport: Ok, or the corrupted report with tab-indented sections', () => {
  assert.equal(formatVerifyReport({ missing: [], extra: [], corrupted: [] }), 'Ok\n');
  assert.equal(
    formatVerifyReport({ missing: ['/a'], extra: ['/b', '/c'], corrupted: ['/d'] }),
    'Container is corrupted\nMissing paths:\n\t/a\nExtra paths:\n\t/b\n\t/c\nCorrupted paths:\n\t/d\n',
  );
  assert.equal(formatVerifyReport({ missing: [], extra: [], corrupted: ['/d'] }), 'Container is corrupted\nCorrupted paths:\n\t/d\n');
});

test('formatSize: Vagga-style decimal sizes', () => {
  assert.equal(formatSize(0), '0B');
  assert.equal(formatSize(12), '12B');
  assert.equal(formatSize(999), '999B');
  assert.equal(formatSize(1000), '1.0KB');
  assert.equal(formatSize(1500), '1.5KB');
  assert.equal(formatSize(9960), '10KB');
  assert.equal(formatSize(12_345), '12KB');
  assert.equal(formatSize(999_600), '1.0MB');
  assert.equal(formatSize(12_000_000), '12MB');
  assert.equal(formatSize(3_400_000_000), '3.4GB');
});
