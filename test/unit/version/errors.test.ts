/**
 * Versioning errors name the real step tag, the vagga.yaml position of the step, the path as
 * the user wrote it (not the host path) and what to do (src/version/errors.ts, hashSteps).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/load.js';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import { containerVersion } from '../../../src/version/container-version.js';
import { humanizeFsDetail, versionError, VersionInputError } from '../../../src/version/errors.js';
import { tempDir } from '../temp-dir.js';
import { STEP_DEFS } from '../../../src/steps/registry.js';

test('Node fs error text becomes words; the host path is dropped', () => {
  assert.deepEqual(humanizeFsDetail("/work/req.txt: ENOENT: no such file or directory, lstat '/home/u/p/req.txt'"),
    { text: '/work/req.txt does not exist', code: 'ENOENT' });
  assert.deepEqual(humanizeFsDetail("/work/x: EACCES: permission denied, open '/h/x'"),
    { text: '/work/x cannot be read (permission denied)', code: 'EACCES' });
  assert.deepEqual(humanizeFsDetail('bad json in "/work/package.json": Unexpected token'), { text: 'bad json in "/work/package.json": Unexpected token' });
});

test('a located error names the real tag for a family placeholder, else both', () => {
  const e = versionError('!Py*Requirements', "/work/r.txt: ENOENT: no such file or directory, realpath '/h/r.txt'");
  assert.ok(e instanceof VersionInputError);
  const at = { tag: 'Py3Requirements', file: '/p/vagga.yaml', line: 4, col: 7, container: 'app' };
  const located = e.locate(at);
  assert.equal(located.message, 'Error versioning !Py3Requirements at /p/vagga.yaml:4:7 (container "app"): /work/r.txt does not exist');
  assert.equal(located.exitCode, 121);
  assert.match(located.hint!, /Create it, or fix the path/);
  assert.equal(located.locate({ ...at, tag: 'Other' }), located, 'located once, at the innermost step');
  const inner = (versionError('!Copy', 'x') as VersionInputError).locate({ ...at, tag: 'SubConfig' });
  assert.match(inner.message, /^Error versioning !Copy \(in !SubConfig\) at /);
});

test('through the loader: a missing requirements file is reported at the step, in the container it belongs to', () => {
  const dir = tempDir('vagga-verr-');
  writeFileSync(join(dir, 'vagga.yaml'), [
    'containers:',
    '  base:',
    '    setup:',
    '    - !Py3Requirements requirements.txt',
    '  app:',
    '    setup:',
    '    - !Container base',
    '',
  ].join('\n'));
  const config = loadConfig(STEP_DEFS, dir);
  for (const name of ['base', 'app']) {
    assert.throws(() => containerVersion(STEP_DEFS, config, name), (e) => {
      assert.ok(e instanceof VaggaError);
      assert.equal(e.exitCode, 121);
      assert.equal(e.message, `Error versioning !Py3Requirements at ${join(dir, 'vagga.yaml')}:4:7 (container "base"): /work/requirements.txt does not exist`);
      assert.doesNotMatch(e.message, /ENOENT|lstat|realpath/);
      assert.ok(e.hint);
      return true;
    }, name);
  }
});
