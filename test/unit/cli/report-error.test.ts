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
