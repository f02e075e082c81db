/**
 * End-to-end: isolated networks without root (issue 11 parts 1, 3, 5; src/network/) on the
 * busybox base, as an ordinary user:
 * - `isolate-network: true` on a `!Supervise`: its children share one loopback-only network;
 *   two copies of one project serve on the same port at the same time, while a host program
 *   listens on that port too, and each client reaches its own server;
 * - readiness probes look inside that network: a host listener on the port makes neither a
 *   `tcp` nor a `command` probe pass;
 * - `--publish HOST:CONTAINER` answers an HTTP request on the host's 127.0.0.1 (pasta), for a
 *   single command and for a supervise run, and the port is free again after the run;
 * - an unusable /dev/net/tun fails before anything starts, with one line saying what to change;
 * - killing vagga (SIGKILL included) during an isolated supervise run with a published port
 *   leaves no process of the test user, no pasta, and the port free (one round always; 50
 *   rounds with VAGGA_E2E_STRESS=1, like the supervise kill test in supervise.test.ts).
 * pasta needs /dev/net/tun readable and writable: as root the suite makes it 0666 (the Debian
 * default) when it is not; as an ordinary user the pasta tests are skipped when it is not.
 */
import { strict as assert } from 'node:assert';
import { accessSync, chmodSync, constants, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanupStage, e2eEnv, show, spawnVagga, vagga } from './harness.js';
import { freePort, makeBusyboxProject } from './fixtures.js';

after(cleanupStage);

const STRESS = process.env.VAGGA_E2E_STRESS === '1';
const TUN = '/dev/net/tun';

/** Make /dev/net/tun usable when we can (root); say why the pasta tests are skipped otherwise. */
function tunUsable(): string | false {
  try {
    if (process.getuid?.() === 0 && (statSync(TUN).mode & 0o006) !== 0o006) chmodSync(TUN, 0o666);
    if (process.getuid?.() === 0) return (statSync(TUN).mode & 0o006) === 0o006 ? false : `${TUN} is not 0666`;
    accessSync(TUN, constants.R_OK | constants.W_OK);
    return false;
  } catch (err) {
    return `${TUN} is not readable and writable by this user and cannot be changed (${(err as Error).message}); as root: chmod 0666 ${TUN}`;
  }
}
const noTun = tunUsable();

/** Live (non-zombie) processes of `uid`, and every pasta process, from /proc. */
function leftovers(uid: number): string[] {
  const out: string[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const status = readFileSync(`/proc/${e}/status`, 'utf8');
      const state = /^State:\s+(\S)/m.exec(status)?.[1];
      const owner = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
      const comm = readFileSync(`/proc/${e}/comm`, 'utf8').trim();
      if (state === 'Z') continue;
      if (owner === uid || /^(pasta|passt)/.test(comm)) out.push(`${e} uid=${owner} ${comm}`);
    } catch {
      // Gone while we looked.
    }
  }
  return out;
}

async function waitNoLeftovers(uid: number, timeoutMs = 5000): Promise<string[]> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const left = leftovers(uid);
    if (left.length === 0 || Date.now() > end) return left;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Whether 127.0.0.1:`port` can be listened on (nothing holds it). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** One HTTP/1.0 GET of `path` on 127.0.0.1:`port` with a raw socket: the whole answer, or the error's code. */
function httpGet(port: number, path: string): Promise<string> {
  return new Promise((resolve) => {
    const c = connect(port, '127.0.0.1');
    let text = '';
    c.setTimeout(5000, () => c.destroy(new Error('timeout')));
    c.on('connect', () => c.write(`GET ${path} HTTP/1.0\r\nHost: x\r\n\r\n`));
    c.on('data', (d) => (text += d));
    c.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code ?? e.message}`));
    c.on('close', () => resolve(text));
  });
}

async function until(what: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await what()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

const projectYaml = (port: number, name: string, published: number) => `
  pair: !Supervise
    isolate-network: true
    children:
      a-client: !Command
        container: bb
        wait-for: [b-server]
        run: "echo client-start; busybox nc 127.0.0.1 ${port}"
      b-server: !Command
        container: bb
        ready-when: { tcp: ${port} }
        ready-timeout: 20
        run: "sleep 1; exec busybox nc -ll -p ${port} -e echo hello-from-${name}"
  plain-pair: !Supervise
    children:
      a-client: !Command
        container: bb
        wait-for: [b-server]
        run: "echo client-start; busybox nc 127.0.0.1 ${port}"
      b-server: !Command
        container: bb
        ready-when: { tcp: ${port} }
        ready-timeout: 20
        run: "sleep 1; exec busybox nc -ll -p ${port} -e echo plain-${name}"
  host-port: !Supervise
    isolate-network: true
    children:
      b-server: !Command
        container: bb
        ready-when: { tcp: ${port} }
        ready-timeout: 2
        run: "exec sleep 60"
  probe-inside: !Supervise
    isolate-network: true
    children:
      a-client: !Command
        container: bb
        wait-for: [b-server]
        run: "echo client-start"
      b-server: !Command
        container: bb
        ready-when: { command: [sh, -c, "echo | busybox nc 127.0.0.1 ${port}"], interval: 0.2, timeout: 2 }
        ready-timeout: 3
        run: "exec sleep 60"
  probe-ready: !Supervise
    isolate-network: true
    children:
      a-client: !Command
        container: bb
        wait-for: [b-server]
        run: "echo client-start; busybox nc 127.0.0.1 ${port}"
      b-server: !Command
        container: bb
        ready-when: { command: [sh, -c, "echo | busybox nc 127.0.0.1 ${port}"], interval: 0.2, timeout: 2 }
        ready-timeout: 20
        run: "sleep 1; exec busybox nc -ll -p ${port} -e echo probed-${name}"
  serve: !Command
    container: bb
    run: "echo serving; exec busybox httpd -f -p ${published} -h /work/www"
  outbound: !Command
    container: bb
    run: "gw=$(busybox ip route | busybox awk '/^default/ {print $3}'); echo gw=$gw; busybox timeout 5 busybox nc $gw ${port} </dev/null; echo nc-done"
  web: !Supervise
    isolate-network: true
    children:
      httpd: !Command
        container: bb
        run: "exec busybox httpd -f -p ${published} -h /work/www"
      other: !Command
        container: bb
        run: "while :; do sleep 0.2; done"
`;

describe('isolated networks', { timeout: 900_000 }, () => {
  let one: string;
  let two: string;
  let port: number;
  const published = 8000;
  let host: Server;
  const hostSockets = new Set<Socket>();
  let uid: number;

  before(async () => {
    uid = (await e2eEnv()).uid;
    port = await freePort();
    one = await makeBusyboxProject(projectYaml(port, 'one', published), 'net-one');
    two = await makeBusyboxProject(projectYaml(port, 'two', published), 'net-two');
    for (const dir of [one, two]) {
      mkdirSync(join(dir, 'www'), { recursive: true });
      writeFileSync(join(dir, 'www/index.html'), `page of ${dir === one ? 'one' : 'two'}\n`);
    }
    // A host program on the very port the children use: it must not collide with them, and no
    // child may reach it or take it for its own server.
    host = createServer((c) => {
      hostSockets.add(c);
      c.on('close', () => hostSockets.delete(c));
      c.on('error', () => {});
      c.end('hello-from-host\n');
    });
    await new Promise<void>((r) => host.listen(port, '127.0.0.1', r));
  });

  after(() => new Promise<void>((r) => {
    for (const c of hostSockets) c.destroy();
    host.close(() => r());
  }));

  test('two copies of one project serve on the same port at the same time (and the host too); each client reaches its own server', async () => {
    const [a, b] = await Promise.all([vagga(one, ['pair'], { timeoutMs: 60_000 }), vagga(two, ['pair'], { timeoutMs: 60_000 })]);
    assert.equal(a.status, 0, show(a));
    assert.equal(b.status, 0, show(b));
    assert.match(a.stdout, /^hello-from-one$/m, show(a));
    assert.match(b.stdout, /^hello-from-two$/m, show(b));
    assert.doesNotMatch(a.stdout + b.stdout, /hello-from-host/);
    assert.deepEqual(await waitNoLeftovers(uid), []);
  });

  test('vagga --isolate-network SUPERVISE_CMD does the same for a command without the key', async () => {
    const r = await vagga(one, ['--isolate-network', 'plain-pair'], { timeoutMs: 60_000 });
    assert.equal(r.status, 0, show(r));
    assert.match(r.stdout, /^plain-one$/m, show(r));
    assert.doesNotMatch(r.stdout, /hello-from-host/);
    // Without it the children share the host's network, where the host program holds the port.
    const shared = await vagga(one, ['plain-pair'], { timeoutMs: 60_000 });
    assert.notEqual(shared.status, 0, show(shared));
    assert.deepEqual(await waitNoLeftovers(uid), []);
  });

  test('readiness looks inside the network: a host listener on the port makes neither a tcp nor a command probe pass', async () => {
    const tcp = await vagga(one, ['host-port'], { timeoutMs: 60_000 });
    assert.equal(tcp.status, 1, show(tcp));
    assert.match(tcp.stdout, /^---------- Process b-server:\d+ did not become ready within 2 s\. Shutting down -----------$/m, show(tcp));
    const cmd = await vagga(one, ['probe-inside'], { timeoutMs: 60_000 });
    assert.equal(cmd.status, 1, show(cmd));
    assert.match(cmd.stdout, /^---------- Process b-server:\d+ did not become ready within 3 s\. Shutting down -----------$/m, show(cmd));
    assert.doesNotMatch(cmd.stdout, /client-start/, show(cmd));
    // The same probe passes once a child listens inside.
    const ok = await vagga(one, ['probe-ready'], { timeoutMs: 60_000 });
    assert.equal(ok.status, 0, show(ok));
    assert.match(ok.stdout, /^client-start$/m, show(ok));
    assert.match(ok.stdout, /^probed-one$/m, show(ok));
  });

  test('an unusable /dev/net/tun fails before anything starts, with one line saying what to change', { skip: process.getuid?.() === 0 ? false : 'needs root to make a file the test user cannot open' }, async () => {
    const fake = join(one, 'tun-0600');
    writeFileSync(fake, '');
    chmodSync(fake, 0o600);
    const r = await vagga(one, ['--publish', `${await freePort()}:${published}`, 'serve'], { env: { VAGGA_DEBUG_TUN_PATH: fake }, timeoutMs: 60_000 });
    assert.equal(r.status, 121, show(r));
    assert.doesNotMatch(r.stdout, /serving/);
    const lines = r.stderr.split('\n').filter(Boolean);
    assert.equal(lines.length, 1, show(r));
    assert.match(lines[0]!, new RegExp(`${fake} is mode 0600, not readable and writable by you, and pasta needs it for --publish: as root, run \`chmod 0666 ${fake}\``), show(r));
  });

  test('--publish: a single command answers HTTP on the host\'s 127.0.0.1, and the port is free after the run', { skip: noTun }, async () => {
    const hp = await freePort();
    const run = await spawnVagga(one, ['--publish', `${hp}:${published}`, 'serve'], { timeoutMs: 60_000 });
    const answered = await until(async () => /page of one/.test(await httpGet(hp, '/')), 20_000);
    run.kill('SIGTERM');
    const r = await run.done;
    assert.ok(answered, `no answer on 127.0.0.1:${hp}\n${show(r)}`);
    assert.equal(r.status, 143, show(r));
    assert.ok(await until(() => portFree(hp), 5000), `127.0.0.1:${hp} still taken`);
    assert.deepEqual(await waitNoLeftovers(uid), []);
  });

  test('--publish with _run', { skip: noTun }, async () => {
    const hp = await freePort();
    const run = await spawnVagga(one, ['-p', `${hp}:${published}`, '_run', 'bb', 'busybox', 'httpd', '-f', '-p', String(published), '-h', '/work/www'], { timeoutMs: 60_000 });
    const answered = await until(async () => /page of one/.test(await httpGet(hp, '/')), 20_000);
    run.kill('SIGTERM');
    const r = await run.done;
    assert.ok(answered, `no answer on 127.0.0.1:${hp}\n${show(r)}`);
    assert.ok(await until(() => portFree(hp), 5000), `127.0.0.1:${hp} still taken`);
    assert.deepEqual(await waitNoLeftovers(uid), []);
  });

  test('--publish on an isolated !Supervise: both projects publish the same container port on different host ports at once', { skip: noTun }, async () => {
    const [h1, h2] = [await freePort(), await freePort()];
    const r1 = await spawnVagga(one, ['-p', `${h1}:${published}`, 'web'], { timeoutMs: 60_000 });
    const r2 = await spawnVagga(two, ['-p', `${h2}:${published}`, 'web'], { timeoutMs: 60_000 });
    const ok1 = await until(async () => /page of one/.test(await httpGet(h1, '/')), 20_000);
    const ok2 = await until(async () => /page of two/.test(await httpGet(h2, '/')), 20_000);
    r1.kill('SIGINT');
    r2.kill('SIGINT');
    const [a, b] = [await r1.done, await r2.done];
    assert.ok(ok1 && ok2, `answers: ${ok1} ${ok2}\n${show(a)}\n${show(b)}`);
    assert.equal(a.status, 130, show(a));
    assert.ok(await until(async () => (await portFree(h1)) && (await portFree(h2)), 5000));
    assert.deepEqual(await waitNoLeftovers(uid), []);
  });

  test('--network-outbound: the network gets a route out (pasta maps its gateway to the host); without it there is none', { skip: noTun }, async () => {
    const out = await vagga(one, ['--network-outbound', 'outbound'], { timeoutMs: 60_000 });
    assert.equal(out.status, 0, show(out));
    assert.match(out.stdout, /^gw=\S+$/m, show(out));
    // (pasta 0.0~git20230309 sometimes leaves the client waiting after the host closed: the
    // client gets 5 s, and it may have seen the greeting more than once.)
    assert.match(out.stdout, /^hello-from-host$/m, show(out));
    const closed = await vagga(one, ['--publish', `${await freePort()}:${published}`, 'outbound'], { timeoutMs: 60_000 });
    assert.equal(closed.status, 0, show(closed));
    assert.match(closed.stdout, /^gw=$/m, show(closed));
    assert.doesNotMatch(closed.stdout, /hello-from-host/, show(closed));
    assert.deepEqual(await waitNoLeftovers(uid), []);
  });

  test('a host port already in use: pasta\'s reason, nothing started', { skip: noTun }, async () => {
    const r = await vagga(one, ['--publish', `${port}:${published}`, 'serve'], { timeoutMs: 60_000 });
    assert.equal(r.status, 121, show(r));
    assert.match(r.stderr, new RegExp(`pasta could not publish 127\\.0\\.0\\.1:${port}: .*Failed to bind`), show(r));
    assert.doesNotMatch(r.stdout, /serving/);
    assert.deepEqual(await waitNoLeftovers(uid), []);
  });

  test(`killing vagga during an isolated supervise run with a published port leaves no process, no pasta, the port free (${STRESS ? 50 : 1} round(s))`, { skip: noTun }, async () => {
    const signals = ['SIGKILL', 'SIGINT', 'SIGTERM'] as const;
    const rounds = STRESS ? 50 : 1;
    for (let round = 0; round < rounds; round++) {
      const signal = signals[round % 3]!;
      const hp = await freePort();
      const delay = round === 0 ? -1 : Math.floor(Math.random() * 1500);
      const run = await spawnVagga(one, ['--publish', `${hp}:${published}`, 'web'], { timeoutMs: 60_000 });
      // Round 0: killed while serving (the published port answered); later rounds at a random moment.
      if (delay < 0) assert.ok(await until(async () => /page of one/.test(await httpGet(hp, '/')), 20_000), 'served before the kill');
      else await new Promise((r) => setTimeout(r, delay));
      run.kill(signal);
      const r = await run.done;
      const where = `round ${round}: ${signal} after ${delay} ms\n${show(r)}`;
      assert.equal(r.timedOut, false, where);
      assert.deepEqual(await waitNoLeftovers(uid), [], where);
      assert.ok(await portFree(hp), `127.0.0.1:${hp} still taken; ${where}`);
    }
    // pasta's pid-file directories: removed once pasta is ready, and a run killed before that
    // leaves one that the next start removes.
    const next = await vagga(one, ['--publish', `${await freePort()}:${published}`, 'outbound'], { timeoutMs: 60_000 });
    assert.equal(next.status, 0, show(next));
    const dirs = readdirSync('/tmp').filter((n) => n.startsWith('vagga-pasta-') && statSync(join('/tmp', n)).uid === uid);
    assert.deepEqual(dirs, []);
  });
});
