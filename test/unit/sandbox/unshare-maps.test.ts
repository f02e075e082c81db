import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  LAUNCH_ENV, parseIdMap, probeCachePath, probeMatches, sameIdMap, unshareMapFlags, unshareMapsFor, type UnshareMapsHost,
} from '../../../src/sandbox/unshare-maps.js';
import type { IdMapping } from '../../../src/sandbox/types.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The default container mapping for uid/gid 1001 with subids from 100000. */
const standard: IdMapping = {
  uids: [{ inside: 0, outside: 1001, count: 1 }, { inside: 1, outside: 100000, count: 65535 }],
  gids: [{ inside: 0, outside: 1001, count: 1 }, { inside: 1, outside: 100000, count: 65535 }],
};

test('unshareMapFlags: the standard map becomes --map-root-user plus one --map-users/--map-groups each', () => {
  assert.deepEqual(unshareMapFlags(standard, 1001, 1001), [
    '--map-root-user', '--map-users=100000,1,65535', '--map-groups=100000,1,65535',
  ]);
});

test('unshareMapFlags: single id is plain --map-root-user', () => {
  const single: IdMapping = { uids: [{ inside: 0, outside: 1001, count: 1 }], gids: [{ inside: 0, outside: 1002, count: 1 }], singleId: true };
  assert.deepEqual(unshareMapFlags(single, 1001, 1002), ['--map-root-user']);
});

test('unshareMapFlags: other shapes are left to the gated launcher', () => {
  // Inside 0 is not the caller.
  assert.equal(unshareMapFlags(standard, 1000, 1001), undefined);
  assert.equal(unshareMapFlags(standard, 1001, 1000), undefined);
  // A range covering inside 0 again, or containing the caller's own id outside.
  const overlap = { ...standard, uids: [standard.uids[0]!, { inside: 0, outside: 100000, count: 10 }] };
  assert.equal(unshareMapFlags(overlap, 1001, 1001), undefined);
  const ownInside = { ...standard, uids: [standard.uids[0]!, { inside: 1, outside: 1000, count: 10 }] };
  assert.equal(unshareMapFlags(ownInside, 1001, 1001), undefined);
  // Multi-id without extra gid ranges.
  assert.equal(unshareMapFlags({ uids: standard.uids, gids: [standard.gids[0]!] }, 1001, 1001), undefined);
  // Several ranges are expressed (the probe decides whether this unshare honours them).
  const split: IdMapping = {
    uids: [standard.uids[0]!, { inside: 1, outside: 100000, count: 1000 }, { inside: 65534, outside: 101000, count: 1 }],
    gids: standard.gids,
  };
  assert.deepEqual(unshareMapFlags(split, 1001, 1001), [
    '--map-root-user', '--map-users=100000,1,1000', '--map-users=101000,65534,1', '--map-groups=100000,1,65535',
  ]);
});

test('parseIdMap / sameIdMap / probeMatches read /proc/PID/uid_map text', () => {
  const text = '         0       1001          1\n         1     100000      65535\n';
  assert.deepEqual(parseIdMap(text), standard.uids);
  assert.ok(sameIdMap([...standard.uids].reverse(), standard.uids));
  assert.ok(probeMatches(text + text, standard));
  // util-linux >= 2.39 maps one more id from the same range: not the same map.
  const wider = '0 1001 1\n1 100000 65536\n';
  assert.ok(!probeMatches(wider + wider, standard));
  assert.ok(!probeMatches(text, standard));
  assert.ok(!probeMatches('', standard));
});

test('probeCachePath: absolute XDG_CACHE_HOME, else HOME/.cache', () => {
  assert.equal(probeCachePath({ XDG_CACHE_HOME: '/x/cache', HOME: '/h' }), '/x/cache/vagga/unshare-maps.json');
  assert.equal(probeCachePath({ XDG_CACHE_HOME: 'rel', HOME: '/h' }), '/h/.cache/vagga/unshare-maps.json');
});

function host(over: Partial<UnshareMapsHost> = {}): UnshareMapsHost & { probes: string[][] } {
  const dir = mkdtempSync(join(tmpdir(), 'vagga-unshare-maps-'));
  dirs.push(dir);
  const probes: string[][] = [];
  return {
    uid: 1001,
    gid: 1001,
    env: {},
    binaryKey: () => '7:100:5',
    probe: (_u, flags) => {
      probes.push(flags);
      return true;
    },
    cacheFile: join(dir, 'sub', 'unshare-maps.json'),
    probes,
    ...over,
  };
}

test('unshareMapsFor probes once, remembers the verdict per binary and flags', () => {
  const h = host();
  const flags = ['--map-root-user', '--map-users=100000,1,65535', '--map-groups=100000,1,65535'];
  assert.deepEqual(unshareMapsFor('/usr/bin/unshare', standard, h), flags);
  assert.deepEqual(unshareMapsFor('/usr/bin/unshare', standard, h), flags);
  assert.equal(h.probes.length, 1);
  const stored = JSON.parse(readFileSync(h.cacheFile, 'utf8'));
  assert.deepEqual(stored.verdicts, { [`/usr/bin/unshare|7:100:5|${flags.join(' ')}`]: true });
  // A replaced unshare binary is probed again.
  assert.deepEqual(unshareMapsFor('/usr/bin/unshare', standard, { ...h, binaryKey: () => '8:100:6' }), flags);
  assert.equal(h.probes.length, 2);
});

test('unshareMapsFor: a failed probe means the gated launcher, also on later runs', () => {
  const h = host({ probe: () => false });
  assert.equal(unshareMapsFor('/usr/bin/unshare', standard, h), undefined);
  let probed = false;
  assert.equal(unshareMapsFor('/usr/bin/unshare', standard, { ...h, probe: () => (probed = true) }), undefined);
  assert.equal(probed, false);
});

test('unshareMapsFor: root, LAUNCH_ENV=gated, unknown binary and an unwritable cache use the gated launcher', () => {
  assert.equal(unshareMapsFor('/u', standard, host({ uid: 0, gid: 0 })), undefined);
  assert.equal(unshareMapsFor('/u', standard, host({ env: { [LAUNCH_ENV]: 'gated' } })), undefined);
  assert.equal(unshareMapsFor('/u', standard, host({ binaryKey: () => undefined })), undefined);
  const blocked = host();
  writeFileSync(join(blocked.cacheFile, '..', '..', 'sub'), 'a file where the directory should be');
  assert.equal(unshareMapsFor('/u', standard, blocked), undefined);
  assert.equal(blocked.probes.length, 1);
});

test('unshareMapsFor: single id needs no probe; LAUNCH_ENV=unshare skips the probe', () => {
  const h = host();
  const single: IdMapping = { uids: [{ inside: 0, outside: 1001, count: 1 }], gids: [{ inside: 0, outside: 1001, count: 1 }], singleId: true };
  assert.deepEqual(unshareMapsFor('/u', single, h), ['--map-root-user']);
  const forced = host({ env: { [LAUNCH_ENV]: 'unshare' } });
  assert.equal(unshareMapsFor('/u', standard, forced)?.[0], '--map-root-user');
  assert.equal(h.probes.length + forced.probes.length, 0);
  assert.equal(existsSync(h.cacheFile), false);
});

test('unshareMapsFor keeps at most 32 verdicts, dropping the oldest', () => {
  const h = host();
  for (let i = 0; i < 40; i++) unshareMapsFor('/u', standard, { ...h, binaryKey: () => `k${i}` });
  const keys = Object.keys(JSON.parse(readFileSync(h.cacheFile, 'utf8')).verdicts);
  assert.equal(keys.length, 32);
  assert.ok(keys[0]!.includes('|k8|'));
  assert.ok(keys[31]!.includes('|k39|'));
});
