import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { spawnHost, spawnHostSync } from '../../../src/sandbox/host-spawn.js';

const HOST_SPAWN_TS = resolve(import.meta.dirname, '../../../src/sandbox/host-spawn.ts');

/** Pids of processes whose command line contains `marker`. */
function withMarker(marker: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').includes(marker)) out.push(Number(name));
    } catch { /* gone */ }
  }
  return out;
}

async function waitFor(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a program and the processes it forks die when vagga is killed with SIGKILL', { timeout: 20000 }, async () => {
  const marker = `${900000 + (process.pid % 90000)}`;
  // The program forks a background child in a new namespace-less subshell and waits: the
  // grandchild is what a parent-death signal alone would leave behind.
  const code = `import { spawnHost } from ${JSON.stringify(HOST_SPAWN_TS)};
    spawnHost('/bin/sh', ['-c', 'sleep ${marker} & sleep ${marker}; wait'], { stdio: 'ignore' });
    process.stdout.write('started\\n');
    setInterval(() => {}, 1000);`;
  const vagga = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((res) => vagga.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('started')) res(); }));
  await waitFor('both sleeps', () => withMarker(marker).length === 2);
  vagga.kill('SIGKILL');
  await waitFor('no sleep left', () => withMarker(marker).length === 0);
});

test('a normal exit leaves nothing of the program\'s group behind; exit status and output pass through', { timeout: 20000 }, async () => {
  const marker = `${800000 + (process.pid % 90000)}`;
  const child = spawnHost('/bin/sh', ['-c', `sleep ${marker} & echo hi; exit 3`], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  const code = await new Promise((r) => child.once('exit', r));
  assert.equal(code, 3);
  await waitFor('the background sleep killed', () => withMarker(marker).length === 0);
  assert.equal(out, 'hi\n');
});

test('a missing program fails as with spawn: an ENOENT error event', async () => {
  const child = spawnHost('no-such-program-vagga', [], { stdio: 'ignore' });
  const err = await new Promise<NodeJS.ErrnoException>((r) => child.once('error', r));
  assert.equal(err.code, 'ENOENT');
  assert.equal(spawnHostSync('no-such-program-vagga', [], { encoding: 'utf8' }).error?.message.includes('ENOENT'), true);
  assert.equal(spawnHostSync('/bin/sh', ['-c', 'echo $0'], { encoding: 'utf8' }).stdout, '/bin/sh\n');
});
