import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import { activateDistro, currentDistro, requireDistro } from '../../../src/steps/debian/distro.js';
import { freeSubIdStart, hasSubIdRange, usermodCommand } from '../../../src/steps/debian/host-checks.js';
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

test('userNameFor and subid ranges', () => {
  assert.equal(userNameFor(1001, PASSWD), 'vtest');
  assert.equal(userNameFor(4242, PASSWD), undefined);
  const subuid = '# comment\nother:200000:65536\nvtest:100000:65536\n1002:300000:100\n';
  assert.equal(hasSubIdRange(subuid, 'vtest', 1001, 65536), true);
  assert.equal(hasSubIdRange(subuid, 'nobody', 1002, 1), true);
  assert.equal(hasSubIdRange(subuid, 'nobody', 1002, 65536), false);
  assert.equal(hasSubIdRange(subuid, 'alice', 1003), false);
  assert.equal(usermodCommand('alice'), 'sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 alice');
});

test('requireSubIds names the missing files and gives the usermod command', async () => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const { requireSubIds } = await import('../../../src/steps/debian/host-checks.js');
  const dir = mkdtempSync(join(tmpdir(), 'vagga-subid-'));
  const files = { subuid: join(dir, 'subuid'), subgid: join(dir, 'subgid') };
  writeFileSync(files.subuid, 'alice:100000:65536\n');
  writeFileSync(files.subgid, 'bob:100000:65536\n');
  assert.doesNotThrow(() => requireSubIds('alice', 1001, { subuid: files.subuid, subgid: files.subuid }));
  assert.throws(
    () => requireSubIds('alice', 1001, files),
    (e: unknown) =>
      e instanceof VaggaError &&
      e.exitCode === 121 &&
      e.message.includes(`for user "alice" in ${files.subgid}:`) &&
      !e.message.includes(files.subuid) &&
      e.hint!.endsWith('sudo usermod --add-subuids 165536-231071 --add-subgids 165536-231071 alice'),
  );
  assert.throws(() => requireSubIds('carol', 1003, { subuid: join(dir, 'missing'), subgid: files.subgid }), /in .*missing and .*subgid/);
});

test('usermod command picks a range no other user has', () => {
  assert.equal(freeSubIdStart([]), 100000);
  assert.equal(freeSubIdStart(['vtest:100000:65536\n', '']), 165536);
  assert.equal(freeSubIdStart(['a:100000:65536\nb:170000:10\n', 'c:231072:65536\n']), 296608);
  assert.equal(freeSubIdStart(['# x:100000:65536\nbig:1000000:65536\n']), 100000);
  assert.equal(usermodCommand('bob', ['vtest:100000:65536\n']), 'sudo usermod --add-subuids 165536-231071 --add-subgids 165536-231071 bob');
  const err = debianIdMapProblem('0 1001 1\n', '0 1001 1\n', PASSWD, ['vtest:100000:65536\n', 'vtest:100000:65536\n'])!;
  assert.match(err.hint!, /--add-subuids 165536-231071 --add-subgids 165536-231071 vtest$/);
});
