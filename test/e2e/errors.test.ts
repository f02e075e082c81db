/**
 * End-to-end: host set-up problems give clear errors naming the fix. Provoked honestly, which
 * needs root (the suite then runs vagga as an ordinary user): a missing program is removed from
 * vagga's view of /usr/bin with an overlay in a private mount namespace (harness
 * `hidePrograms`); a user without /etc/subuid and /etc/subgid ranges is created for the
 * missing-range case. Skipped when not run as root.
 */
import { strict as assert } from 'node:assert';
import { chownSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanupStage, ensureUser, makeProject, show, vagga } from './harness.js';

after(cleanupStage);

const skip = process.getuid?.() === 0 ? false : 'needs root (creates users, hides host programs)';

const project = `
containers:
  bb:
    setup:
    - !Tar { url: ./busybox.tar }
  deb:
    setup:
    - !Debian bookworm
    - !Install [hello]
commands:
  hi: !Command
    container: bb
    run: echo hi
`;

describe('host set-up errors', { skip, timeout: 600_000 }, () => {
  let dir: string;

  before(async () => {
    dir = await makeProject({ 'vagga.yaml': project }, { name: 'errors' });
  });

  for (const [programs, pkg] of [
    [['bwrap'], 'bubblewrap'],
    [['newuidmap', 'newgidmap'], 'uidmap'],
    [['catatonit'], 'catatonit'],
  ] as const) {
    test(`${programs.join('/')} missing: exit 121 and the message names the package ${pkg}`, async () => {
      const r = await vagga(dir, ['hi'], { hidePrograms: [...programs] });
      assert.equal(r.status, 121, show(r));
      assert.match(r.stderr, new RegExp(programs[0]), show(r));
      assert.match(r.stderr, new RegExp(`apt-get install ${pkg}\\b`), show(r));
    });
  }

  /** The user without ranges, and a project owned by it. */
  async function noSubIdUser() {
    const name = 'vagga-e2e-nosub';
    const who = { user: name, ...(await ensureUser(name, { subIds: false })) };
    const own = await makeProject({ 'vagga.yaml': project }, { name: 'errors-nosub' });
    chownSync(own, who.uid, who.gid);
    for (const e of readdirSync(own)) chownSync(join(own, e), who.uid, who.gid);
    return { who, own };
  }

  test('a user without subuid/subgid ranges: !Install fails naming the usermod command', async () => {
    const { who, own } = await noSubIdUser();
    const r = await vagga(own, ['_build', 'deb'], { asUser: who, timeoutMs: 300_000 });
    assert.equal(r.status, 121, show(r));
    assert.match(r.stderr, /usermod --add-subuids \d+-\d+ --add-subgids \d+-\d+ vagga-e2e-nosub/, show(r));
  });

  test('the same user can still build and run a single-uid busybox container', async () => {
    const { who, own } = await noSubIdUser();
    const r = await vagga(own, ['hi'], { asUser: who, timeoutMs: 300_000 });
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, 'hi\n');
  });
});
