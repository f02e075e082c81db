/**
 * End-to-end: the remaining generic steps on the offline busybox base, built through the
 * bundled CLI as an ordinary user (see harness.ts): `!TarInstall`, `!Git` (through the
 * mirror cache and from a repository inside the project), `!GitDescribe`, `!Build` (copy
 * and temporary-mount), `!RunAs` (ids, supplementary groups, external-user-id, isolated
 * network) and the `data-dirs` container setting. Needs the host's git (Debian package
 * git); skipped without it.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { lstatSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { mirrorPath } from '../../src/steps/git/mirror.js';
import { cleanupStage, e2eEnv, makeProject, show, vagga, versionBuildLog, writeProjectFile, type E2EEnv } from './harness.js';

after(cleanupStage);

const hasGit = spawnSync('git', ['--version']).status === 0;

/** Run git in `dir` as the test user (it owns the project), failing the test on error. */
function git(env: E2EEnv, dir: string, ...args: string[]): string {
  const argv = ['git', '-c', 'user.name=T', '-c', 'user.email=t@example.invalid', '-c', 'init.defaultBranch=main', '-C', dir, ...args];
  const [cmd, cmdArgs] = env.asRoot
    ? ['setpriv', ['--reuid', String(env.uid), '--regid', String(env.gid), '--init-groups', '--', ...argv]]
    : [argv[0]!, argv.slice(1)];
  const r = spawnSync(cmd, cmdArgs, { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: env.home } });
  assert.equal(r.status, 0, `git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** A source tarball `hello-1.0/` with a fake configure and a Makefile, made with GNU tar. */
function helloTarball(env: E2EEnv): Buffer {
  const dir = join(env.stageDir, `hello-src-${process.pid}`);
  const script = `set -e; mkdir -p ${dir}/hello-1.0; cd ${dir}
printf '#!/bin/sh\\necho "configured $*" > /configured.txt\\n' > hello-1.0/configure
chmod 755 hello-1.0/configure
printf 'all:\\n' > hello-1.0/Makefile
tar -czf hello.tar.gz hello-1.0`;
  const r = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return readFileSync(join(dir, 'hello.tar.gz'));
}

const yaml = (upstream: string) => `
containers:
  data:
    setup:
    - !Tar { url: ./busybox.tar }
    - !Sh "mkdir -p /var/lib/keep /var/cache/drop && echo kept > /var/lib/keep/f"
    data-dirs: [/var/lib]
  more:
    setup:
    - !Tar { url: ./busybox.tar }
    - !Sh "mkdir -m 1777 /out"
    - !TarInstall
      url: ./hello.tar.gz
      script: ./configure --prefix=/usr && ls > /out/installed-from.txt
    - !Git { url: ${upstream}, path: /src/mirrored }
    - !Git { url: ./upstream, revision: v1, path: /src/pinned }
    - !GitDescribe /version.txt
    - !Build { container: data, source: /var/lib/keep, path: /copied }
    - !Build { container: data, source: /var/lib/keep, temporary-mount: /mnt/keep }
    - !Sh "cat /mnt/keep/f > /out/from-mount.txt"
    - !RunAs
      user-id: 1
      group-id: 2
      supplementary-gids: [501, 502]
      script: id > /out/ids-1; touch /out/owned-by-1
    - !RunAs
      user-id: 1
      external-user-id: 0
      script: id > /out/ids-ext; touch /out/owned-ext
    - !RunAs
      isolate-network: true
      work-dir: /out
      script: busybox ip link | grep -c '^[0-9]*:' > net-count
commands:
  show: !Command
    container: more
    run: |
      cat /configured.txt /out/installed-from.txt /src/mirrored/file.txt /src/pinned/file.txt
      echo "version=$(cat /version.txt)"
      cat /copied/f /out/from-mount.txt /out/ids-1 /out/ids-ext /out/net-count
      ls /mnt/keep | wc -l
`;

describe('generic steps: TarInstall, Git, GitDescribe, Build, RunAs, data-dirs', { skip: hasGit ? false : 'git is not installed' }, () => {
  let env: E2EEnv;
  let dir: string;

  before(async () => {
    env = await e2eEnv();
    const upstreamDir = 'upstream-remote';
    dir = await makeProject({
      'hello.tar.gz': helloTarball(env),
      [`${upstreamDir}/file.txt`]: 'remote one\n',
      'upstream/file.txt': 'local v1\n',
      '.gitignore': '.vagga/\n',
    }, { name: 'git-build-runas' });
    for (const repo of [upstreamDir, 'upstream']) {
      git(env, join(dir, repo), 'init', '-q');
      git(env, join(dir, repo), 'add', '.');
      git(env, join(dir, repo), 'commit', '-q', '-m', 'one');
    }
    git(env, join(dir, 'upstream'), 'tag', '-a', 'v1', '-m', 'v1');
    // The pinned tag must win over later commits.
    await writeProjectFile(dir, 'upstream/file.txt', 'local v2\n');
    git(env, join(dir, 'upstream'), 'commit', '-q', '-am', 'two');
    // The project itself is a repository with tag v0.0.1 (for !GitDescribe). Vagga's absolute
    // URL form goes through the mirror cache: the path is absolute on the host.
    await writeProjectFile(dir, 'vagga.yaml', yaml(join(dir, upstreamDir)));
    git(env, dir, 'init', '-q');
    git(env, dir, 'add', 'vagga.yaml', 'hello.tar.gz', '.gitignore');
    git(env, dir, 'commit', '-q', '-m', 'init');
    git(env, dir, 'tag', '-a', 'v0.0.1', '-m', 'v0.0.1');
  });

  // Each run stages a new project path, so its mirror would pile up in the shared cache.
  after(() => {
    if (env && dir) rmSync(mirrorPath(env.cacheDir, join(dir, 'upstream-remote')), { recursive: true, force: true });
  });

  test('the container builds and its command sees every step\'s result', async () => {
    const r = await vagga(dir, ['show'], { timeoutMs: 300_000 });
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, [
      'configured --prefix=/usr',
      'Makefile', 'configure',
      'remote one',
      'local v1',
      'version=v0.0.1',
      'kept', 'kept',
      'uid=1 gid=2 groups=501,502',
      'uid=1 gid=0',
      '1',
      '0',
      '',
    ].join('\n'), show(r));
    // The prepare phase's status (the mirror clone) is in the version's build log.
    assert.match(versionBuildLog(dir, 'more') ?? '', /Cloning .*upstream-remote/);
  });

  test('RunAs files belong to the ids (host: a subuid) or, with external-user-id 0, to the user', () => {
    const out = join(dir, '.vagga/more/out');
    assert.notEqual(lstatSync(join(out, 'owned-by-1')).uid, env.uid);
    assert.equal(lstatSync(join(out, 'owned-ext')).uid, env.uid);
  });

  test('data-dirs leaves only the data paths and their parents', () => {
    const root = join(dir, '.vagga/data');
    assert.deepEqual(readdirSync(root), ['var']);
    assert.deepEqual(readdirSync(join(root, 'var')), ['lib']);
    assert.equal(readFileSync(join(root, 'var/lib/keep/f'), 'utf8'), 'kept\n');
  });

  test('a new commit changes the !GitDescribe version', async () => {
    const before = await vagga(dir, ['_version_hash', 'more']);
    assert.equal(before.status, 0, show(before));
    git(env, dir, 'commit', '-q', '--allow-empty', '-m', 'next');
    const after = await vagga(dir, ['_version_hash', 'more']);
    assert.equal(after.status, 0, show(after));
    assert.notEqual(after.stdout, before.stdout);
  });
});
