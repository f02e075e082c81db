/** SIGUSR1/SIGUSR2 never reach Node's own handling (src/sandbox/signals.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FORWARDED_SIGNALS, USER_SIGNALS } from '../../../src/sandbox/signals.js';

test('the user signals are forwarded with INT/TERM/HUP/QUIT', () => {
  assert.deepEqual([...FORWARDED_SIGNALS].sort(), ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGUSR1', 'SIGUSR2']);
  assert.deepEqual(USER_SIGNALS, ['SIGUSR1', 'SIGUSR2']);
});

/** Run a node child that (optionally) ignores the user signals, send it `signals`, return its outcome. */
function child(install: boolean, signals: NodeJS.Signals[]): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  const mod = fileURLToPath(new URL('../../../src/sandbox/signals.ts', import.meta.url));
  const code = `${install ? `const { ignoreUserSignals } = await import(${JSON.stringify(mod)}); ignoreUserSignals();` : ''}
    process.stdout.write('ready\\n'); setTimeout(() => process.stdout.write('done\\n'), 800);`;
  const c = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  c.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  c.stdout.setEncoding('utf8').once('data', () => { for (const s of signals) c.kill(s); });
  return new Promise((resolve) => c.on('close', (code, signal) => resolve({ code, signal, stderr })));
}

test('with ignoreUserSignals, SIGUSR1 opens no inspector and SIGUSR2 does not end the process', async () => {
  const r = await child(true, ['SIGUSR1', 'SIGUSR2']);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /Debugger listening/);
});

test('control: without it, SIGUSR2 ends a node process', async () => {
  const r = await child(false, ['SIGUSR2']);
  assert.equal(r.signal, 'SIGUSR2');
});
