import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stepSummary, yamlKey } from '../../../src/builder/step-text.js';
import { stepDef } from '../../../src/steps/registry.js';

test('step summaries use vagga.yaml keys (kebab-case) and octal modes', () => {
  assert.equal(yamlKey('userId'), 'user-id');
  assert.equal(yamlKey('preservePermissions'), 'preserve-permissions');
  assert.equal(yamlKey('path'), 'path');
  assert.equal(yamlKey('/etc/myFile'), '/etc/myFile');
  assert.equal(stepSummary({ tag: 'RunAs', params: { userId: 1, groupId: 1, workDir: '/work', script: 'id' } }),
    '!RunAs user-id=1, group-id=1, work-dir=/work, script=id');
  assert.equal(stepSummary({ tag: 'Copy', params: { source: '/x', path: '/x', umask: 2, preservePermissions: true } }),
    '!Copy source=/x, path=/x, umask=0o002, preserve-permissions=true');
  assert.equal(stepSummary({ tag: 'Download', params: { url: 'http://h/f', path: '/f', mode: 0o644 } }),
    '!Download url=http://h/f, path=/f, mode=0o644');
  // The user's own keys stay as written.
  assert.equal(stepSummary({ tag: 'Env', params: { myVar: '1' } }, stepDef('Env')), '!Env myVar=1');
});
