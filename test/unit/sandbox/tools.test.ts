import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkSetuidHelper, findInDirs, searchDirs } from '../../../src/sandbox/tools.js';
import { VaggaError } from '../../../src/errors/vagga-error.js';

test('searchDirs: PATH first, then sbin/bin dirs, no duplicates or relative entries', () => {
  assert.deepEqual(searchDirs('/opt/x:.:/usr/bin:'), ['/opt/x', '/usr/bin', '/usr/sbin', '/sbin', '/bin']);
  assert.deepEqual(searchDirs(undefined), ['/usr/sbin', '/usr/bin', '/sbin', '/bin']);
});

test('findInDirs returns the first executable match', () => {
  const exists = new Set(['/usr/sbin/newuidmap', '/bin/newuidmap']);
  assert.equal(findInDirs('newuidmap', ['/opt', '/usr/sbin', '/bin'], (p) => exists.has(p)), '/usr/sbin/newuidmap');
  assert.equal(findInDirs('bwrap', ['/opt'], (p) => exists.has(p)), undefined);
});

test('setuid check: root-owned 4755 passes, otherwise a clear error with the fix', () => {
  checkSetuidHelper('/usr/bin/newuidmap', { mode: 0o104755, uid: 0 });
  assert.throws(() => checkSetuidHelper('/usr/bin/newuidmap', { mode: 0o100755, uid: 0 }), (e: unknown) => {
    assert.ok(e instanceof VaggaError);
    assert.equal(e.exitCode, 121);
    assert.match(e.hint ?? '', /sudo chown root:root \/usr\/bin\/newuidmap && sudo chmod u\+s \/usr\/bin\/newuidmap/);
    assert.match(e.hint ?? '', /apt-get install --reinstall uidmap/);
    return true;
  });
});
