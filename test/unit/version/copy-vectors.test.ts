/**
 * `!Copy`/`!Depends` hash literals from Vagga's copy.bats (vagga-inventory.md §3.3), over a
 * copy of shared/vagga-fixtures/copy (read-only, so copied to a temp dir). The files belong
 * to the invoking user, so they hash as uid/gid 0 — as in Vagga's test run.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import type { StepConfig } from '../../../src/config/model.js';
import { containerVersion } from '../../../src/version/container-version.js';
import { VersionUnknownError } from '../../../src/version/errors.js';
import { config, container, step } from './helpers.js';
import { SHARED_DIR } from '../shared-dir.js';
import { STEP_DEFS } from '../../../src/steps/registry.js';

let dir = '';
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vcopy-'));
  execFileSync('cp', ['-r', path.join(SHARED_DIR, 'vagga-fixtures/copy') + '/.', dir]);
  execFileSync('chmod', ['-R', 'u+w', dir]);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const short = (setup: StepConfig[]) => containerVersion(STEP_DEFS, config([container('x', setup)], dir), 'x').hash.slice(0, 8);
const base = { source: '/work/dir', path: '/dir' };
const sh = 'chmod 700 /dir\nchmod 600 /dir/file\n';

test('copy: file / with umask / set owner / preserve times', () => {
  assert.equal(short([step('Alpine', 'v3.4'), step('Copy', { source: '/work/file', path: '/var/file' })]), '7ad83313');
  assert.equal(short([step('Copy', { ...base, umask: '0o077' })]), '98755219');
  assert.equal(short([step('Copy', { ...base, 'owner-uid': 1, 'owner-gid': 2 })]), 'e4b743de');
  assert.equal(short([step('Copy', { ...base, 'preserve-times': true })]), '6ca4b065');
});

test('copy: non work (parameters only)', () => {
  const prefix = [step('Alpine', 'v3.4'), step('EnsureDir', '/dir'), step('Text', { '/dir/file': 'Hello' }), step('Sh', sh)];
  assert.equal(short([...prefix, step('Copy', { source: '/dir', path: '/dir.bak' })]), '5d99d983');
  assert.equal(short([...prefix, step('Copy', { source: '/dir', path: '/dir.bak', 'preserve-permissions': true })]), '0a69e70c');
});

test('copy: include regex and glob rules select the same files', () => {
  assert.equal(short([step('Copy', { ...base, 'include-regex': '(^|/)(hello|subdir/file)$' })]), 'c7333188');
  assert.equal(short([step('Copy', { ...base, rules: ['/hello', '/**/file'] })]), 'c7333188');
  assert.equal(short([step('Copy', { ...base, rules: ['/hello', '/**/file', '!file'] })]), '981e78a1');
  assert.equal(short([step('Copy', { ...base, rules: ['!file'] })]), 'ee039a4f');
});

test('depends: include regex / glob rules; directory permissions are not hashed', () => {
  const regex = [step('Depends', { path: 'dir', 'include-regex': '(^|/)(hello|subdir/file)$' })];
  const rules = [step('Depends', { path: 'dir', rules: ['/hello', '/**/file'] })];
  assert.equal(short(regex), '375d1004');
  assert.equal(short(rules), '375d1004');
  fs.chmodSync(path.join(dir, 'dir/subdir'), 0o700);
  assert.equal(short(regex), '375d1004');
  fs.chmodSync(path.join(dir, 'dir/subdir'), 0o755);
  // File content is hashed.
  fs.writeFileSync(path.join(dir, 'dir/hello'), 'changed\n');
  assert.notEqual(short(regex), '375d1004');
  fs.writeFileSync(path.join(dir, 'dir/hello'), 'world\n');
  assert.equal(short(regex), '375d1004');
});

test('copy: preserve permissions (after chmod -R ug+rwX,o-rwx)', () => {
  execFileSync('chmod', ['-R', 'ug+rwX,o-rwx', path.join(dir, 'dir')]);
  assert.equal(short([step('Copy', { ...base, 'preserve-permissions': true })]), 'ce6b370a');
});

test('a missing !Copy or !Depends source makes the version unknown (exit 29)', () => {
  assert.throws(() => short([step('Copy', { source: '/work/nope', path: '/x' })]),
    (e: unknown) => e instanceof VersionUnknownError && e.exitCode === 29);
  assert.throws(() => short([step('Depends', 'nope')]), VersionUnknownError);
});
