import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import { activateDistro, currentDistro, requireDistro } from '../../../src/steps/debian/distro.js';
import { usermodSuggestion } from '../../../src/sandbox/idmap.js';
import { debianIdMapProblem, parseIdMapText, unmappedIds, userNameFor } from '../../../src/steps/debian/userns.js';

test('distribution state: require, activate, second distribution', () => {
  const ctx = { state: new Map<string, unknown>() };
  assert.throws(() => requireDistro(ctx), (e: unknown) => e instanceof VaggaError && e.exitCode === 121 && e.message === 'this step requires some linux distribution to be active');
  activateDistro(ctx, { name: 'debian', suite: 'bookworm', mirror: 'http://mirror.example/debian' });
  assert.deepEqual(currentDistro(ctx), { name: 'debian', suite: 'bookworm', mirror: 'http://mirror.example/debian' });
  assert.equal(requireDistro(ctx).suite, 'bookworm');
  assert.throws(
    () => activateDistro(ctx, { name: 'ubuntu' }),
    (e: unknown) => e instanceof VaggaError && e.message === 'step initializes distribution "ubuntu" but the "debian" is already initialized',
  );
});

const PASSWD = 'root:x:0:0:root:/root:/bin/bash\nvtest:x:1001:1001::/home/vtest:/bin/sh\n';

test('id maps: full multi-id map is fine', () => {
  const full = '         0       1001          1\n         1     100000      65535\n';
  assert.deepEqual(parseIdMapText(full), [{ inside: 0, outside: 1001, count: 1 }, { inside: 1, outside: 100000, count: 65535 }]);
  assert.equal(debianIdMapProblem(full, full, PASSWD), undefined);
  assert.equal(debianIdMapProblem('0 0 4294967295\n', '0 0 4294967295\n', PASSWD), undefined);
});

test('id maps: single id gives the usermod command with the user name', () => {
  const single = '0 1001 1\n';
  const full = '0 1001 1\n1 100000 65535\n';
  const err = debianIdMapProblem(single, full, PASSWD);
  assert.ok(err instanceof VaggaError);
  assert.equal(err.exitCode, 121);
  assert.match(err.message, /single-id user namespace/);
  assert.match(err.hint!, /sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 vtest$/);
  assert.match(debianIdMapProblem(single, single, '')!.hint!, / <your-user>$/);
});

test('id maps: a narrow container map names the missing ids', () => {
  const narrow = '0 1001 1\n1 100000 10\n';
  const full = '0 1001 1\n1 100000 65535\n';
  assert.deepEqual(unmappedIds(parseIdMapText(narrow), [0, 10, 11, 42, 65534]), [11, 42, 65534]);
  const err = debianIdMapProblem(narrow, full, PASSWD)!;
  assert.match(err.message, /does not cover uids 11, 12, 13, \.\.\. \(990 ids\)/);
  assert.doesNotMatch(err.message, /gids/);
  assert.match(err.hint!, /uids`\/`gids`/);
});

test('userNameFor', () => {
  assert.equal(userNameFor(1001, PASSWD), 'vtest');
  assert.equal(userNameFor(4242, PASSWD), undefined);
});

test('the usermod suggestion picks a range no entry of either file overlaps; bad lines are skipped', () => {
  const cmd = (a: number, b: number, user: string) => `sudo usermod --add-subuids ${a}-${b} --add-subgids ${a}-${b} ${user}`;
  assert.equal(usermodSuggestion('alice', null, null), cmd(100000, 165535, 'alice'));
  assert.equal(usermodSuggestion('bob', 'vtest:100000:65536\n', ''), cmd(165536, 231071, 'bob'));
  assert.equal(usermodSuggestion('bob', 'a:100000:65536\nb:170000:10\n', 'c:231072:65536\n'), cmd(296608, 362143, 'bob'));
  assert.equal(usermodSuggestion('bob', '# x:100000:65536\nbig:1000000:65536\n', null), cmd(100000, 165535, 'bob'));
  assert.equal(usermodSuggestion('bob', 'garbage line\nvtest:100000:65536\n', 'x:y:z\n'), cmd(165536, 231071, 'bob'));
  const err = debianIdMapProblem('0 1001 1\n', '0 1001 1\n', PASSWD, ['vtest:100000:65536\n', 'vtest:100000:65536\n'])!;
  assert.match(err.hint!, /--add-subuids 165536-231071 --add-subgids 165536-231071 vtest$/);
});
