import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { acquireLock, lockHeld } from '../../../src/storage/lock.js';
import { tempDir } from '../temp-dir.js';

const LOCK_TS = resolve(import.meta.dirname, '../../../src/storage/lock.ts');

function dir() {
  return tempDir('vagga-lock-');
}

/** A separate process that takes the lock, prints "locked", then holds it for holdMs (or forever). */
function holder(lockPath: string, holdMs: number): Promise<{ child: ChildProcess; exited: Promise<unknown> }> {
  const code = `import { acquireLock } from ${JSON.stringify(LOCK_TS)};
    const l = await acquireLock(${JSON.stringify(lockPath)}, {});
    process.stdout.write('locked\\n');
    ${holdMs >= 0 ? `setTimeout(async () => { await l.release(); process.exit(0); }, ${holdMs});` : 'setInterval(() => {}, 1000);'}`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((r) => child.once('exit', r));
  return new Promise((res, rej) => {
    child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('locked')) res({ child, exited }); });
    child.once('exit', (c) => rej(new Error(`holder exited ${c}`)));
  });
}

test('two takers in one process serialise; onWait is called once', async () => {
  const path = join(dir(), 'x.lock');
  const first = await acquireLock(path);
  const order: string[] = [];
  let waits = 0;
  const second = acquireLock(path, { onWait: () => { waits++; } }).then((l) => { order.push('second'); return l; });
  await new Promise((r) => setTimeout(r, 150));
  order.push('first-release');
  await first.release();
  const l2 = await second;
  assert.deepEqual(order, ['first-release', 'second']);
  assert.equal(waits, 1);
  await l2.release();
  await l2.release(); // idempotent
});

test('a lock held by another process makes us wait until it is released', async () => {
  const path = join(dir(), 'y.lock');
  const { exited } = await holder(path, 700);
  const t0 = Date.now();
  let waited = false;
  const l = await acquireLock(path, { onWait: () => { waited = true; } });
  const elapsed = Date.now() - t0;
  assert.ok(waited, 'onWait was called');
  assert.ok(elapsed >= 400, `waited ${elapsed} ms`);
  await l.release();
  await exited;
});

test('a lock whose holder was killed with SIGKILL is free at once, with one line saying so', { timeout: 20000 }, async () => {
  const path = join(dir(), 'z.lock');
  const { child, exited } = await holder(path, -1);
  const holderPid = child.pid!;
  child.kill('SIGKILL');
  await exited;
  const lines: string[] = [];
  let waited = false;
  const t0 = Date.now();
  const l = await acquireLock(path, { onWait: () => { waited = true; }, onStale: (line) => lines.push(line) });
  const elapsed = Date.now() - t0;
  assert.ok(elapsed < 1000, `took ${elapsed} ms`);
  assert.equal(waited, false);
  assert.deepEqual(lines, [`Took over the lock ${path} left by vagga process ${holderPid}, which is gone`]);
  await l.release();
  // A clean release leaves nothing to report.
  const again = await acquireLock(path, { onStale: (line) => lines.push(line) });
  assert.equal(lines.length, 1);
  await again.release();
});

test('a lock directory of older versions (proper-lockfile) is replaced and taken at once', async () => {
  const path = join(dir(), 's.lock');
  mkdirSync(path);
  const t0 = Date.now();
  const l = await acquireLock(path);
  assert.ok(Date.now() - t0 < 1000);
  assert.ok(statSync(path).isFile());
  assert.equal(lockHeld(path), true);
  await l.release();
  assert.equal(lockHeld(path), false);
});

test('a missing parent directory is an fs error with code and path', async () => {
  const path = join(dir(), 'missing', 'm.lock');
  await assert.rejects(acquireLock(path), (err: NodeJS.ErrnoException) => err.code === 'ENOENT' && err.path === path);
});

test('waiting stops when the signal aborts', async () => {
  const path = join(dir(), 'a.lock');
  const held = await acquireLock(path);
  const ac = new AbortController();
  const p = acquireLock(path, { signal: ac.signal });
  setTimeout(() => ac.abort(new Error('stop')), 60);
  await assert.rejects(p, /stop/);
  await held.release();
});
