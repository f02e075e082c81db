import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration } from '../../../src/storage/duration.js';

const H = 3600_000;
const D = 24 * H;

test('humantime durations: single units and spellings', () => {
  assert.equal(parseDuration('10days'), 10 * D);
  assert.equal(parseDuration('1day'), D);
  assert.equal(parseDuration('2h'), 2 * H);
  assert.equal(parseDuration('30min'), 30 * 60_000);
  assert.equal(parseDuration('45s'), 45_000);
  assert.equal(parseDuration('3w'), 21 * D);
  assert.equal(parseDuration('1M'), 30.44 * D);
  assert.equal(parseDuration('1m'), 60_000);
  assert.equal(parseDuration('1y'), 365.25 * D);
});

test('humantime durations: parts are summed, spaces allowed', () => {
  assert.equal(parseDuration('1h 30min'), 1.5 * H);
  assert.equal(parseDuration('1h30min'), 1.5 * H);
  assert.equal(parseDuration(' 2 days 4h '), 2 * D + 4 * H);
});

test('humantime durations: errors', () => {
  assert.throws(() => parseDuration(''), /empty duration/);
  assert.throws(() => parseDuration('10'), /time unit needed/);
  assert.throws(() => parseDuration('10parsecs'), /unknown time unit "parsecs"/);
  assert.throws(() => parseDuration('-1d'), /invalid duration/);
  assert.throws(() => parseDuration('1d x'), /invalid duration/);
});
