import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import { parsePublish, parsePublishList } from '../../../src/network/ports.js';
import { checkTun, tunMessage } from '../../../src/network/tun.js';
import { pastaArgs, pastaSaid, removeStalePidDirs } from '../../../src/network/pasta.js';
import { holderScript } from '../../../src/network/holder.js';
import { needsPasta, pastaFeatures } from '../../../src/network/isolated.js';

const bad = (e: unknown) => e instanceof VaggaError && e.code === 'network.bad-publish' && e.exitCode === 122;

test('parsePublish: HOST:CONTAINER and PORT; anything else is refused with 122', () => {
  assert.deepEqual(parsePublish('8080:80'), { hostPort: 8080, containerPort: 80 });
  assert.deepEqual(parsePublish('5432'), { hostPort: 5432, containerPort: 5432 });
  for (const s of ['', ':80', '80:', '0:80', '65536:1', 'a:b', '1:2:3', '127.0.0.1:80:80', '-1', '8080/udp']) assert.throws(() => parsePublish(s), bad, s);
  assert.deepEqual(parsePublishList(['1:2', '3']), [{ hostPort: 1, containerPort: 2 }, { hostPort: 3, containerPort: 3 }]);
  assert.throws(() => parsePublishList(['8080:80', '8080:81']), (e) => bad(e) && /8080 is published twice/.test((e as Error).message));
});

test('pastaArgs: loopback-only host listeners, no UDP or reverse forwarding, --config-net only for outbound', () => {
  const ns = { userns: '/proc/9/ns/user', netns: '/proc/9/ns/net' };
  assert.deepEqual(pastaArgs(ns, [{ hostPort: 18080, containerPort: 80 }, { hostPort: 2, containerPort: 3 }], false, '/t/pid'), [
    '-f', '-q', '-P', '/t/pid', '-t', '127.0.0.1/18080:80', '-t', '127.0.0.1/2:3', '-u', 'none', '-T', 'none', '-U', 'none',
    '--userns', '/proc/9/ns/user', '--netns', '/proc/9/ns/net',
  ]);
  assert.deepEqual(pastaArgs(ns, [], true, '/p').slice(4, 7), ['--config-net', '-t', 'none']);
  // The bridge hub's own address (not the host's), only with outbound access.
  assert.deepEqual(pastaArgs(ns, [], true, '/p', { address: '10.0.2.15', prefixLength: 24, gateway: '10.0.2.2' }).slice(4, 11), ['--config-net', '-a', '10.0.2.15', '-n', '24', '-g', '10.0.2.2']);
  assert.equal(pastaArgs(ns, [], false, '/p', { address: '10.0.2.15', prefixLength: 24, gateway: '10.0.2.2' }).includes('-a'), false);
  assert.equal(pastaSaid("Failed to send 67 bytes to syslog\nFailed to bind any port for '-t 127.0.0.1/18081:81', exiting\n"),
    "Failed to bind any port for '-t 127.0.0.1/18081:81', exiting");
});

test('needsPasta / pastaFeatures; the holder script brings lo up between "go" and "up"', () => {
  assert.equal(needsPasta({ publish: [], outbound: false }), false);
  assert.equal(needsPasta({ publish: [], outbound: true }), true);
  assert.equal(pastaFeatures({ publish: [{ hostPort: 1, containerPort: 1 }], outbound: true }), '--publish and --network-outbound');
  const script = holderScript('/usr/sbin/ip');
  assert.ok(script.indexOf('read _ <&3 || exit 125') < script.indexOf('/usr/sbin/ip link set lo up'));
  assert.ok(script.indexOf('link set lo up') < script.indexOf('echo up >&3'));
});

test('tun check: one line naming the mode and the chmod to run; a missing node says so', () => {
  assert.equal(tunMessage('/dev/net/tun', 0o20600, '--publish'),
    '/dev/net/tun is mode 0600, not readable and writable by you, and pasta needs it for --publish: as root, run `chmod 0666 /dev/net/tun` (the mode Debian\'s udev gives it; it is reset at boot on hosts without udev)');
  assert.match(tunMessage('/dev/net/tun', undefined, '--publish'), /does not exist.*modprobe tun/);
  const dir = mkdtempSync(join(tmpdir(), 'vagga-tun-'));
  try {
    const f = join(dir, 'tun');
    writeFileSync(f, '');
    chmodSync(f, 0o666);
    checkTun('--publish', f);
    assert.throws(() => checkTun('--publish', join(dir, 'missing')), (e) => e instanceof VaggaError && e.code === 'network.tun-unusable' && !e.message.includes('\n'));
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('removeStalePidDirs: removes pasta pid-file dirs of vagga processes that are gone, nothing else', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vagga-stale-'));
  try {
    const dead = spawnSync('true').pid!;
    for (const name of [`vagga-pasta-${dead}-a`, `vagga-pasta-${process.pid}-b`, 'vagga-pasta-1-c', 'other-123-d']) {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, 'pid'), '42\n');
    }
    removeStalePidDirs(dir);
    assert.deepEqual(readdirSync(dir).sort(), ['other-123-d', `vagga-pasta-${process.pid}-b`, 'vagga-pasta-1-c'].sort());
  } finally {
    rmSync(dir, { recursive: true });
  }
});
