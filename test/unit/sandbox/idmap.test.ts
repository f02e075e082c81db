import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  freeRange, idMappingFor, layRanges, maxEntries, parseProcIdMap, parseSubIdFile, parseSubIdLines, requireSubIds, type IdHost,
} from '../../../src/sandbox/idmap.js';
import { VaggaError } from '../../../src/errors/vagga-error.js';

const me = { name: 'vtest', id: 1001 };
const full = [{ start: 0, end: 65535 }];

function host(over: Partial<IdHost>): IdHost {
  return { uid: 1001, gid: 1001, userName: 'vtest', subuid: null, subgid: null, procUidMap: '', procGidMap: '', warn: () => {}, ...over };
}

test('subid file: matches name and numeric id, skips comments, keeps order', () => {
  const text = '# comment\nother:200000:65536\nvtest:100000:65536\n\n1001:300000:10\n';
  assert.deepEqual(parseSubIdFile(text, '/etc/subuid', me), [
    { start: 100000, count: 65536 },
    { start: 300000, count: 10 },
  ]);
});

test('subid file: bad syntax names file and line', () => {
  assert.throws(() => parseSubIdLines('vtest:100000:65536\nvtest:abc:5\n', '/etc/subuid'), (e: unknown) => {
    assert.ok(e instanceof VaggaError);
    assert.equal(e.exitCode, 121);
    assert.equal(e.message, '/etc/subuid:2: Bad syntax: "vtest:abc:5"');
    return true;
  });
  assert.throws(() => parseSubIdLines('vtest:1:0\n', '/etc/subgid'), /\/etc\/subgid:1: Bad syntax/);
  assert.throws(() => parseSubIdLines('vtest:1\n', '/etc/subgid'), /Bad syntax/);
});

test('subid file: a range containing the own id is refused', () => {
  assert.throws(() => parseSubIdFile('vtest:1000:10\n', '/etc/subuid', me), /\/etc\/subuid:1: range 1000\.\.1009 includes original id/);
});

test('layRanges: Vagga default 0-65535 onto one 65536 range', () => {
  assert.deepEqual(layRanges('uid', 1001, full, [{ start: 100000, count: 65536 }]), [
    { inside: 0, outside: 1001, count: 1 },
    { inside: 1, outside: 100000, count: 65535 },
  ]);
});

test('layRanges: splits across several allowed ranges and requested ranges', () => {
  const out = layRanges('gid', 50, [{ start: 0, end: 10 }, { start: 100, end: 104 }], [{ start: 200000, count: 4 }, { start: 300000, count: 100 }]);
  assert.deepEqual(out, [
    { inside: 0, outside: 50, count: 1 },
    { inside: 1, outside: 200000, count: 4 },
    { inside: 5, outside: 300000, count: 6 },
    { inside: 100, outside: 300006, count: 5 },
  ]);
});

test('layRanges: too small -> 121 with Vagga wording', () => {
  assert.throws(() => layRanges('uid', 1001, full, [{ start: 100000, count: 1000 }]), (e: unknown) => {
    assert.ok(e instanceof VaggaError);
    assert.equal(e.exitCode, 121);
    assert.match(e.message, /^Number of allowed subuids is too small\. Required \[0-65535\], allowed \[100000-100999\]\. You either need to increase allowed numbers in \/etc\/subuid/);
    assert.match(e.message, /adding `uids` key to container config$/);
    return true;
  });
});

test('root without subid entries uses the inside ranges of /proc/self/uid_map', () => {
  const m = idMappingFor(full, full, host({ uid: 0, gid: 0, userName: 'root', procUidMap: '         0          0 4294967295\n', procGidMap: '0 0 4294967295\n' }));
  assert.deepEqual(m.uids, [{ inside: 0, outside: 0, count: 1 }, { inside: 1, outside: 1, count: 65535 }]);
  assert.deepEqual(parseProcIdMap('0 1001 1\n1 100000 65535\n'), [{ start: 0, count: 1 }, { start: 1, count: 65535 }]);
});

test('no range at all: single-id mapping with the usermod fix picking a free range', () => {
  let warned = '';
  const m = idMappingFor(full, full, host({ subuid: 'alice:100000:65536\nbob:165536:65536\n', subgid: 'alice:100000:65536\n', warn: (w) => (warned = w) }));
  assert.equal(m.singleId, true);
  assert.deepEqual(m.uids, [{ inside: 0, outside: 1001, count: 1 }]);
  assert.equal(m.subIdFix, 'sudo usermod --add-subuids 231072-296607 --add-subgids 231072-296607 vtest');
  assert.match(warned, /Could not find the user "vtest" in \/etc\/subuid or \/etc\/subgid/);
  assert.throws(() => requireSubIds(m, '!Debian'), (e: unknown) => {
    assert.ok(e instanceof VaggaError);
    assert.equal(e.exitCode, 121);
    assert.match(e.hint ?? '', /sudo usermod --add-subuids 231072-296607 --add-subgids 231072-296607 vtest/);
    return true;
  });
  assert.deepEqual(freeRange([]), { start: 100000, end: 165535 });
});

test('subgid missing while subuid exists gets its own message (Vagga #248)', () => {
  assert.throws(() => idMappingFor(full, full, host({ subuid: 'vtest:100000:65536\n', subgid: '' })), (e: unknown) => {
    assert.ok(e instanceof VaggaError);
    assert.match(e.message, /has a range in \/etc\/subuid but none in \/etc\/subgid/);
    assert.match(e.hint ?? '', /sudo usermod --add-subgids 100000-165535 vtest/);
    return true;
  });
});

test('full mapping with ranges is not single-id; requireSubIds passes', () => {
  const m = idMappingFor(full, full, host({ subuid: 'vtest:100000:65536\n', subgid: 'vtest:100000:65536\n' }));
  assert.equal(m.singleId, undefined);
  assert.deepEqual(m.gids[1], { inside: 1, outside: 100000, count: 65535 });
  requireSubIds(m, '!Debian');
});

test('max mapping: own id -> 0 plus identity ranges, skipping 0 and the own id', () => {
  assert.deepEqual(maxEntries(1001, [{ start: 100000, count: 65536 }]), [
    { inside: 0, outside: 1001, count: 1 },
    { inside: 100000, outside: 100000, count: 65536 },
  ]);
  assert.deepEqual(maxEntries(0, [{ start: 0, count: 10 }]), [
    { inside: 0, outside: 0, count: 1 },
    { inside: 1, outside: 1, count: 9 },
  ]);
});
