import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanLine, OutputStatus } from '../../../src/builder/output-status.js';

test('cleanLine: what a terminal would leave of carriage-return progress and escapes', () => {
  assert.equal(
    cleanLine('(Reading database ... 5%\r(Reading database ... 10%\r(Reading database ... 6789 files and directories currently installed.)'),
    '(Reading database ... 6789 files and directories currently installed.)',
  );
  // A trailing carriage return (progress redrawn, then the line ended) keeps the last text.
  assert.equal(cleanLine('Progress: [ 50%]\r'), 'Progress: [ 50%]');
  assert.equal(cleanLine('\x1b[32mI: downloading packages with apt...\x1b[0m'), 'I: downloading packages with apt...');
  assert.equal(cleanLine('\x1b[2Kdone   \x07'), 'done');
  assert.equal(cleanLine('a\tb'), 'a\tb');
  assert.equal(cleanLine('\r\r'), '');
});

/** Feed `lines` and return the updates. */
function feed(lines: string[]) {
  const status = new OutputStatus();
  return lines.map((l) => status.line(l));
}

test('apt-get install: package counts for downloads, unpacking and setting up, with a bar for dpkg', () => {
  const updates = feed([
    'Reading package lists...',
    'The following NEW packages will be installed:',
    '  libfoo1 foo',
    '0 upgraded, 2 newly installed, 0 to remove and 0 not upgraded.',
    'Get:1 http://deb.example/debian bookworm/main amd64 libfoo1 amd64 1.0 [10 kB]',
    'Get:2 http://deb.example/debian bookworm/main amd64 foo amd64 1.0 [5 kB]',
    'Selecting previously unselected package libfoo1:amd64.',
    'Unpacking libfoo1:amd64 (1.0) ...',
    'Unpacking foo (1.0) ...',
    'Setting up libfoo1:amd64 (1.0) ...',
    'Setting up foo (1.0) ...',
    '',
  ]);
  assert.deepEqual(updates[0], { text: 'Reading package lists...', count: undefined, fraction: undefined });
  assert.deepEqual(updates[1], { text: 'The following NEW packages will be installed:' });
  assert.deepEqual(updates[3], {
    text: '0 upgraded, 2 newly installed, 0 to remove and 0 not upgraded.', count: { done: 0, total: 2, unit: 'packages' }, fraction: undefined,
  });
  assert.deepEqual(updates[4], { text: 'downloading', count: { done: 1, total: 2, unit: 'packages' }, fraction: undefined });
  assert.deepEqual(updates[5]!.count, { done: 2, total: 2, unit: 'packages' });
  assert.deepEqual(updates[7], { text: 'unpacking libfoo1:amd64', count: { done: 1, total: 2, unit: 'packages' }, fraction: 0.25 });
  assert.deepEqual(updates[9], { text: 'setting up libfoo1:amd64', count: { done: 1, total: 2, unit: 'packages' }, fraction: 0.75 });
  assert.deepEqual(updates[10], { text: 'setting up foo', count: { done: 2, total: 2, unit: 'packages' }, fraction: 1 });
  assert.equal(updates[11], undefined, 'blank lines change nothing');
});

test('a new apt run starts the counts again; dpkg without a known total counts without a bar', () => {
  const status = new OutputStatus();
  status.line('0 upgraded, 5 newly installed, 0 to remove and 0 not upgraded.');
  status.line('Unpacking a (1) ...');
  status.line('Reading package lists...');
  assert.deepEqual(status.line('Unpacking b (1) ...'), { text: 'unpacking b', count: { done: 1, total: undefined, unit: 'packages' }, fraction: undefined });
  // `Get:` lines of `apt-get update` (no install total) are plain activity.
  assert.deepEqual(status.line('Get:1 http://deb.example/debian bookworm InRelease [151 kB]'), { text: 'Get:1 http://deb.example/debian bookworm InRelease [151 kB]' });
});

test('mmdebstrap: its phases move the bar; package counts fill the current phase', () => {
  const status = new OutputStatus();
  assert.deepEqual(status.line('I: chroot architecture amd64 is equal to the host\'s architecture'), { text: 'I: chroot architecture amd64 is equal to the host\'s architecture' });
  assert.deepEqual(status.line('I: running apt-get update...'), { text: 'running apt-get update...', count: undefined, fraction: 0 });
  assert.deepEqual(status.line('I: downloading packages with apt...'), { text: 'downloading packages with apt...', count: undefined, fraction: 1 / 7 });
  status.line('0 upgraded, 4 newly installed, 0 to remove and 0 not upgraded.');
  assert.equal(status.line('Get:1 http://deb.example/debian bookworm/main amd64 a amd64 1 [1 kB]')!.fraction, 1 / 7);
  assert.equal(status.line('I: installing essential packages...')!.fraction, 3 / 7);
  status.line('Unpacking a (1) ...');
  // No total in this phase: the bar stays at the phase's start.
  assert.equal(status.line('Setting up a (1) ...')!.fraction, 3 / 7);
  assert.equal(status.line('I: creating tarball...')!.fraction, 6 / 7);
});

test('long lines are shortened', () => {
  const update = new OutputStatus().line('x'.repeat(500))!;
  assert.equal(update.text!.length, 200);
  assert.ok(update.text!.endsWith('...'));
});
