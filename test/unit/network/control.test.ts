import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clientScript, decodeWord, serveControl } from '../../../src/network/bridge-control.js';
import { findAskingPid } from '../../../src/network/bridge-exec.js';
import { removeStaleRunDirs } from '../../../src/network/bridge-run.js';
import { tempDir } from '../temp-dir.js';

/**
 * Run the client (as a child would) against the control dir `dir`; resolves with its status
 * and output. The script is written once per dir (rewriting it while another client's shell
 * still reads it would cut that one short).
 */
function client(dir: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const script = join(dir, 'client.sh');
  if (!existsSync(script)) writeFileSync(script, clientScript(dir), { mode: 0o755 });
  return new Promise((resolve) => {
    const c = spawn('/bin/sh', [script, ...args]);
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    c.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

test('the sh client sends its arguments through the FIFO and prints the answer with its status', async () => {
  const dir = join(tempDir('vagga-ctl-'), 'ctl');
  const seen: string[][] = [];
  const server = serveControl(dir, async (args) => {
    seen.push(args);
    if (args[0] === 'fullmesh') return { stdout: 'one\ntwo\n', status: 0 };
    return { stderr: `Unknown command ${args[0]}\n`, status: 1 };
  });
  try {
    assert.ok(existsSync(join(dir, 'vagga')), 'the client is in the control dir');
    const ok = await client(dir, ['_network', 'fullmesh']);
    assert.deepEqual(ok, { status: 0, stdout: 'one\ntwo\n', stderr: '' });
    const bad = await client(dir, ['_network', 'mesh', 'a', '--', 'b']);
    assert.deepEqual(bad, { status: 1, stdout: '', stderr: 'Unknown command mesh\n' });
    // Two at once are answered one by one, each to its own client.
    const [x, y] = await Promise.all([client(dir, ['_network', 'fullmesh']), client(dir, ['_network', 'other'])]);
    assert.equal(x.status, 0);
    assert.equal(y.status, 1);
    assert.deepEqual(seen.slice(0, 2), [['fullmesh'], ['mesh', 'a', '--', 'b']]);
    assert.deepEqual(seen.slice(2).map((a) => a[0]).sort(), ['fullmesh', 'other']);
    // Not `_network`: refused by the client itself.
    assert.equal((await client(dir, ['_run', 'x'])).status, 121);
    assert.equal(seen.length, 4);
    // Any argument survives the request line (hex-encoded): spaces, quotes, slashes, empty, UTF-8.
    const odd = ['run', 'a', '/bin/sh', '-c', 'echo "a  b" \'c\'; exit 3', '', 'é→'];
    await client(dir, ['_network', ...odd]);
    assert.deepEqual(seen[4], odd);
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('reply.')), [], 'reply FIFOs are removed');
  } finally {
    server.close();
  }
});

test('request words: only "x" and whole hex bytes decode', () => {
  assert.equal(decodeWord('x'), '');
  assert.equal(decodeWord('x6162'), 'ab');
  assert.equal(decodeWord('x616'), undefined);
  assert.equal(decodeWord('ab'), undefined);
});

test('_network run finds the asking process by the reply FIFO it holds open', async () => {
  const dir = tempDir('vagga-ask-');
  const fifo = join(dir, 'reply.test');
  const sh = spawn('/bin/sh', ['-c', `mkfifo "$1" && exec 3<>"$1" && echo ready && read x`, 'sh', fifo], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    await new Promise((resolve) => sh.stdout.once('data', resolve));
    assert.equal(findAskingPid(fifo), sh.pid);
    assert.equal(findAskingPid(join(dir, 'reply.other')), undefined);
  } finally {
    sh.stdin.end();
    sh.kill();
  }
});

test('stale run dirs: only those of dead vaggas are removed', () => {
  const base = tempDir('vagga-stale-');
  for (const name of ['vagga-net-111-aaaa', 'vagga-net-222-bbbb', 'other-333-cccc']) mkdirSync(join(base, name));
  removeStaleRunDirs(base, (pid) => pid === 222);
  assert.deepEqual(readdirSync(base).sort(), ['other-333-cccc', 'vagga-net-222-bbbb']);
});
