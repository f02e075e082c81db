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

  test('bwrap missing: exit 121 and the message names the package bubblewrap', async () => {
    const r = await vagga(dir, ['hi'], { hidePrograms: ['bwrap'] });
    assert.equal(r.status, 121, show(r));
    assert.match(r.stderr, /bwrap/, show(r));
    assert.match(r.stderr, /apt-get install bubblewrap/, show(r));
  });

  test('newuidmap missing: the message names the package uidmap', async () => {
    const r = await vagga(dir, ['hi'], { hidePrograms: ['newuidmap', 'newgidmap'] });
    assert.notEqual(r.status, 0, show(r));
    assert.match(r.stderr, /newuidmap|newgidmap/, show(r));
    assert.match(r.stderr, /uidmap/, show(r));
  });

  test('a user without subuid/subgid ranges: !Install fails naming the usermod command', async () => {
    const name = 'vagga-e2e-nosub';
    const who = { user: name, ...(await ensureUser(name, { subIds: false })) };
    const r = await vagga(dir, ['_build', 'deb'], { asUser: who, timeoutMs: 300_000 });
    assert.equal(r.status, 121, show(r));
    assert.match(r.stderr, /usermod --add-subuids \d+-\d+ --add-subgids \d+-\d+ vagga-e2e-nosub/, show(r));
  });

  test('the same user can still build and run a single-uid busybox container', async () => {
    const name = 'vagga-e2e-nosub';
    const who = { user: name, ...(await ensureUser(name, { subIds: false })) };
    const own = await makeProject({ 'vagga.yaml': project }, { name: 'errors-nosub' });
    chownSync(own, who.uid, who.gid);
    for (const e of readdirSync(own)) chownSync(join(own, e), who.uid, who.gid);
    const r = await vagga(own, ['hi'], { asUser: who, timeoutMs: 300_000 });
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, 'hi\n');
  });
});
