import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect, createServer, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import { bindPassedSocket, checkCanListen, parseTcpSpec, resolveTcpSocket } from '../../../src/sandbox/tcp-socket.js';

test('parseTcpSpec: the forms of pass-tcp-socket', () => {
  assert.deepEqual(parseTcpSpec('8080'), { host: '127.0.0.1', port: 8080 });
  assert.deepEqual(parseTcpSpec('*:8080'), { host: '0.0.0.0', port: 8080 });
  assert.deepEqual(parseTcpSpec('0.0.0.0:80'), { host: '0.0.0.0', port: 80 });
  assert.deepEqual(parseTcpSpec('10.1.2.3:31444'), { host: '10.1.2.3', port: 31444 });
  assert.deepEqual(parseTcpSpec('[::1]:8080'), { host: '::1', port: 8080 });
  assert.deepEqual(parseTcpSpec('localhost:9000'), { host: 'localhost', port: 9000 });
  const is121 = (e: unknown) => e instanceof VaggaError && e.exitCode === 121 && /Invalid pass-tcp-socket/.test(e.message);
  for (const bad of ['', 'x', '::1:80', '[nothost]:80', 'h:99999', 'h:', ':80', 'h:8a']) assert.throws(() => parseTcpSpec(bad), is121, bad);
});

test('resolveTcpSocket: literals kept, names resolved, unknown names fail with 121', async () => {
  assert.deepEqual(await resolveTcpSocket('[::1]:81'), { ip: '::1', family: 6, port: 81 });
  assert.deepEqual(await resolveTcpSocket('82'), { ip: '127.0.0.1', family: 4, port: 82 });
  const lo = await resolveTcpSocket('localhost:83');
  assert.ok(lo.ip === '127.0.0.1' || lo.ip === '::1', lo.ip);
  await assert.rejects(resolveTcpSocket('no-such-host.invalid:80'), (e: unknown) => e instanceof VaggaError && e.exitCode === 121 && /Can't resolve/.test(e.message));
});

/** A port nobody listens on right now. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

test('checkCanListen: a port in use fails early with 121, a free one passes', async () => {
  const taken = createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
  const { port } = taken.address() as AddressInfo;
  try {
    assert.throws(() => checkCanListen({ ip: '127.0.0.1', family: 4, port }), (e: unknown) => e instanceof VaggaError && e.exitCode === 121 && /EADDRINUSE/.test(e.message));
  } finally {
    await new Promise((r) => taken.close(r));
  }
  checkCanListen({ ip: '127.0.0.1', family: 4, port });
  // The probe released it: it can be checked again.
  checkCanListen({ ip: '127.0.0.1', family: 4, port });
});

test('bindPassedSocket: the child gets a blocking listening socket on fd 3 and vagga accepts nothing', async () => {
  const port = await freePort();
  const sock = bindPassedSocket({ ip: '127.0.0.1', family: 4, port });
  // Bound but not listening: connections are refused.
  await assert.rejects(new Promise((resolve, reject) => connect(port, '127.0.0.1').on('connect', resolve).on('error', reject)), /ECONNREFUSED/);
  // The child reports fd 3's flags, then accepts one connection on it and answers.
  const script = `
    const flags = parseInt(require('fs').readFileSync('/proc/self/fdinfo/3', 'utf8').match(/flags:\\s*(\\d+)/)[1], 8);
    process.stdout.write('nonblock=' + ((flags & 0o4000) !== 0) + '\\n');
    const srv = require('net').createServer((c) => { c.end('hello from fd 3'); srv.close(); }).listen({ fd: 3 });`;
  sock.listen();
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit', sock.fd] });
  sock.close();
  sock.close(); // idempotent
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  // The connection waits in the backlog until the child accepts it.
  const reply = await new Promise<string>((resolve, reject) => {
    let got = '';
    connect(port, '127.0.0.1').on('data', (d) => (got += d)).on('end', () => resolve(got)).on('error', reject);
  });
  const code = await new Promise((r) => child.on('exit', r));
  assert.equal(reply, 'hello from fd 3');
  assert.equal(out, 'nonblock=false\n');
  assert.equal(code, 0);
});

test('bindPassedSocket: listen fails with 121 when the port was taken meanwhile', async () => {
  const port = await freePort();
  const sock = bindPassedSocket({ ip: '127.0.0.1', family: 4, port });
  const taken = createServer();
  await new Promise<void>((r) => taken.listen(port, '127.0.0.1', r));
  try {
    assert.throws(() => sock.listen(), (e: unknown) => e instanceof VaggaError && e.exitCode === 121 && /listen on the pass-tcp-socket 127\.0\.0\.1:\d+: EADDRINUSE/.test(e.message));
  } finally {
    sock.close();
    await new Promise((r) => taken.close(r));
  }
});
