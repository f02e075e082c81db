import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderError, useColor, INTERNAL_ERROR_EXIT } from '../../../src/cli/report-error.js';
import { ConfigError, VaggaError } from '../../../src/errors/vagga-error.js';

test('VaggaError: message, hint lines, its exit code', () => {
  const r = renderError(new VaggaError('Something broke', { code: 'sandbox.setup-failed', hint: 'do this\nor that' }), false);
  assert.equal(r.text, 'Something broke\nhint: do this\nhint: or that\n');
  assert.equal(r.exitCode, 124);
  assert.equal(renderError(new ConfigError('config.missing-field', 'Field run is expected', { file: 'v.yaml', line: 3, col: 5 }), false).exitCode, 126);
});

test('other errors are reported as bugs with a stack, exit 121', () => {
  const r = renderError(new TypeError('x is undefined'), false);
  assert.equal(r.exitCode, INTERNAL_ERROR_EXIT);
  assert.match(r.text, /^internal error \(a bug\): TypeError: x is undefined\n\s+at /);
});

test('colour only on a TTY without NO_COLOR (a non-empty value disables, no-color.org) or TERM=dumb', () => {
  assert.equal(useColor({ isTTY: true }, {}), true);
  assert.equal(useColor({ isTTY: true }, { NO_COLOR: '' }), true);
  assert.equal(useColor({ isTTY: true }, { NO_COLOR: '1' }), false);
  assert.equal(useColor({ isTTY: true }, { TERM: 'dumb' }), false);
  assert.equal(useColor({ isTTY: false }, {}), false);
  assert.match(renderError(new VaggaError('m', { code: 'clean.bad-args' }), true).text, /\x1b\[/);
});

test('environment faults from node:fs and spawn are one line naming what ran out and where, exit 121', async () => {
  const { spawn } = await import('node:child_process');
  // A real ENOENT is not a fault of the environment: still a bug report.
  assert.match(renderError(Object.assign(new Error('x'), { code: 'ENOENT' }), false).text, /^internal error/);
  const enospc = Object.assign(new Error("ENOSPC: no space left on device, copyfile '/s/timings.log' -> '/b/timings.log'"), {
    code: 'ENOSPC', syscall: 'copyfile', path: '/s/timings.log', dest: '/b/timings.log', errno: -28,
  });
  const r = renderError(enospc, false);
  assert.equal(r.text, 'No space left on the device (copyfile /s/timings.log -> /b/timings.log) [ENOSPC]\n');
  assert.equal(r.exitCode, INTERNAL_ERROR_EXIT);
  // Wrapped in a plain error's cause.
  assert.equal(renderError(new Error('outer', { cause: enospc }), false).text.split('\n').length, 2);
  const eacces = Object.assign(new Error("EACCES: permission denied, mkdir '/p/.vagga'"), { code: 'EACCES', syscall: 'mkdir', path: '/p/.vagga' });
  assert.equal(renderError(eacces, false).text, 'Permission denied (mkdir /p/.vagga) [EACCES]\n');
  // A real E2BIG from spawn: one argument above MAX_ARG_STRLEN (128 KiB).
  // spawn throws it synchronously (node emits only ENOENT-like errors as events).
  let e2big: unknown;
  try {
    spawn('/bin/true', ['x'.repeat(200_000)]).once('error', (err) => { e2big = err; });
  } catch (err) {
    e2big = err;
  }
  assert.equal(renderError(e2big, false).text, 'The arguments and environment (e.g. `environ` in vagga.yaml) are too big to start a program [E2BIG]\n');
});
