/**
 * The id switch of `user-id`/`group-id`/`supplementary-gids`/`external-user-id`
 * (src/runtime/user-ids.ts) and the transient-copy helpers (src/runtime/transient-root.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { idSwitch, idSwitchPrefix, needsIdSwitch } from '../../../src/runtime/user-ids.js';
import { commonAncestor, copySpec, createTransientRoot, transientPath, writableRoot } from '../../../src/runtime/transient-root.js';
import type { HostExec } from '../../../src/steps/run-as/host-exec.js';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import { tempDir } from '../temp-dir.js';

const exec: HostExec = { mounts: [{ kind: 'bind', source: '/usr', dest: '/dev/h', readOnly: true }], argv: (p) => ['LD', p] };

test('default ids need no switch; others get setpriv (and unshare for external-user-id)', () => {
  assert.equal(needsIdSwitch({ userId: 0, groupId: 0, supplementaryGids: [] }), false);
  assert.equal(idSwitch({ userId: 0, groupId: 0, supplementaryGids: [] }, exec), undefined);
  assert.deepEqual(idSwitchPrefix({ userId: 7, groupId: 8, supplementaryGids: [20, 21] }, exec),
    ['LD', '/usr/bin/setpriv', '--reuid=7', '--regid=8', '--groups=20,21', '--']);
  assert.deepEqual(idSwitchPrefix({ userId: 1, groupId: 0, supplementaryGids: [], externalUserId: 0 }, exec),
    ['LD', '/usr/bin/setpriv', '--reuid=0', '--regid=0', '--clear-groups', '--', 'LD', '/usr/bin/unshare', '--user', '--map-user=1', '--map-group=0', '--']);
  assert.deepEqual(idSwitch({ userId: 0, groupId: 3, supplementaryGids: [] }, exec)?.mounts, exec.mounts);
});

test('transient paths, the single common bind and the writable root', () => {
  const root = '/p/.vagga/.roots/app.12345678/root';
  assert.equal(transientPath('/p/.vagga/.transient', root, 42), '/p/.vagga/.transient/app.12345678.42');
  assert.equal(commonAncestor(root, '/p/.vagga/.transient/app.12345678.42'), '/p/.vagga');
  assert.equal(commonAncestor('/a/b', '/c'), '/');
  const spec = copySpec(root, '/p/.vagga/.transient/app.12345678.42', { uids: [], gids: [] });
  assert.deepEqual(spec.argv, ['/usr/bin/cp', '-al', '--', root, '/p/.vagga/.transient/app.12345678.42']);
  assert.ok(spec.mounts.some((m) => m.kind === 'bind' && m.source === '/p/.vagga' && !m.readOnly));
  const plan = writableRoot([{ kind: 'bind', source: '/t', dest: '/', readOnly: true }, { kind: 'bind', source: '/x', dest: '/y', readOnly: true }], '/t');
  assert.deepEqual(plan.map((m) => m.kind === 'bind' && m.readOnly), [false, true]);
});

test('createTransientRoot: failed copy is removed and reported as 124; success removes on demand', async () => {
  const dir = tempDir('transient');
  const removed: string[] = [];
  const deps = { runSandbox: async () => ({ status: 1 }), removeTree: async (p: string) => { removed.push(p); }, idMapping: { uids: [], gids: [] } };
  await assert.rejects(createTransientRoot(dir, '/r/.roots/a.1/root', deps, 9), (e) => e instanceof VaggaError && e.exitCode === 124);
  assert.deepEqual(removed, [`${dir}/a.1.9`, `${dir}/a.1.9`]);
  removed.length = 0;
  const ok = await createTransientRoot(dir, '/r/.roots/a.1/root', { ...deps, runSandbox: async () => ({ status: 0 }) }, 9);
  assert.equal(ok.path, `${dir}/a.1.9`);
  await ok.remove();
  assert.deepEqual(removed, [`${dir}/a.1.9`, `${dir}/a.1.9`]);
});
