/**
 * End-to-end: `!SubConfig` with `source: !Container` and `source: !Git` on the offline
 * busybox base, through the bundled CLI as an ordinary user (harness.ts), in the manner of
 * Vagga's subconfig.bats: a container generates a vagga.yaml into its root with `!Text`,
 * another runs the steps of a container defined there. Its version is Vagga's (the marker
 * and the other file's steps: equal to the same file read from the project), unknown (29)
 * until the generating container is built. Hostile: a generated file that is a symlink to
 * a host file, and a `path` with `..`, never make vagga read the host's file. Git: a
 * repository inside the project; a file:// URL outside the project is refused.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanupStage, e2eEnv, linkHash, makeProject, show, vagga, type E2EEnv } from './harness.js';

after(cleanupStage);

const hasGit = spawnSync('git', ['--version']).status === 0;

/** The other file: container `sub` writes /etc/sub.txt with a shell command (busybox). */
const SUB_YAML = `containers:
  sub:
    setup:
    - !Sh "echo from-sub > /etc/sub.txt"
`;

/** `SUB_YAML` as a YAML block scalar under a `!Text` key, indented by `n` spaces. */
const block = (n: number) => SUB_YAML.split('\n').filter(Boolean).map((l) => `${' '.repeat(n)}${l}`).join('\n');

const yaml = (hostFile: string) => `
containers:
  gen:
    setup:
    - !Tar { url: ./busybox.tar }
    - !EnsureDir /generated
    - !Text
      /generated/vagga.yaml: |
${block(8)}
    - !Sh "ln -s ${hostFile} /generated/link.yaml && ln -s /etc/passwd /generated/passwd.yaml"
  from-gen:
    setup:
    - !Tar { url: ./busybox.tar }
    - !SubConfig
      source: !Container gen
      path: generated/vagga.yaml
      container: sub
  child:
    setup:
    - !Container from-gen
    - !Sh "cp /etc/sub.txt /etc/child.txt"
  from-file:
    setup:
    - !Tar { url: ./busybox.tar }
    - !SubConfig
      path: sub.yaml
      container: sub
  via-link:
    setup:
    - !Tar { url: ./busybox.tar }
    - !SubConfig { source: !Container gen, path: generated/link.yaml, container: sub }
  via-passwd:
    setup:
    - !Tar { url: ./busybox.tar }
    - !SubConfig { source: !Container gen, path: generated/passwd.yaml, container: sub }
  via-dotdot:
    setup:
    - !Tar { url: ./busybox.tar }
    - !SubConfig { source: !Container gen, path: "generated/../../../../../..${hostFile}", container: sub }
  from-git:
    setup:
    - !Tar { url: ./busybox.tar }
    - !SubConfig
      source: !Git { url: ./subrepo, branch: main }
      container: sub
  git-outside:
    setup:
    - !Tar { url: ./busybox.tar }
    - !SubConfig { source: !Git { url: "file:///etc" }, container: sub }
commands:
  show-gen: !Command { container: from-gen, run: cat /etc/sub.txt }
  show-child: !Command { container: child, run: cat /etc/child.txt }
  show-git: !Command { container: from-git, run: cat /etc/sub.txt }
`;

describe('!SubConfig from a container and from git', () => {
  let env: E2EEnv;
  let dir: string;
  let hostFile: string;

  before(async () => {
    env = await e2eEnv();
    dir = await makeProject({ 'sub.yaml': SUB_YAML, 'subrepo/vagga.yaml': SUB_YAML }, { name: 'subconfig' });
    // A valid config on the host (in the project): a hostile link to it must not be followed.
    hostFile = join(dir, 'sub.yaml');
    const { writeProjectFile } = await import('./harness.js');
    await writeProjectFile(dir, 'vagga.yaml', yaml(hostFile));
  });

  test('unknown version (29) until the source container is built; then built and hashed as Vagga', async () => {
    const unknown = await vagga(dir, ['_version_hash', 'from-gen']);
    assert.equal(unknown.status, 29, show(unknown));
    const r = await vagga(dir, ['show-gen'], { timeoutMs: 300_000 });
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, 'from-sub\n');
    const hash = await vagga(dir, ['_version_hash', 'from-gen']);
    assert.equal(hash.status, 0, show(hash));
    // Vagga hashes the marker and the other file's steps, not the source: same as from a project file.
    const ref = await vagga(dir, ['_version_hash', 'from-file']);
    assert.equal(ref.status, 0, show(ref));
    assert.equal(hash.stdout, ref.stdout);
    assert.equal(linkHash(dir, 'from-gen'), hash.stdout.slice(0, 8));
    // A child of the reused container replays its steps (read again from gen's root).
    const child = await vagga(dir, ['show-child'], { timeoutMs: 300_000 });
    assert.equal(child.status, 0, show(child));
    assert.equal(child.stdout, 'from-sub\n');
  });

  test('a generated symlink to a host file is followed inside the root only', async () => {
    const link = await vagga(dir, ['_build', 'via-link'], { timeoutMs: 300_000 });
    assert.notEqual(link.status, 0, show(link));
    assert.match(link.stderr, /"generated\/link.yaml" in container "gen" does not exist/, show(link));
    // /etc/passwd of the container (busybox has none), never the host's.
    const passwd = await vagga(dir, ['_build', 'via-passwd'], { timeoutMs: 300_000 });
    assert.notEqual(passwd.status, 0, show(passwd));
    assert.match(passwd.stderr, /"generated\/passwd.yaml" in container "gen" does not exist/, show(passwd));
    assert.doesNotMatch(passwd.stdout + passwd.stderr, new RegExp(`\\b${env.user}\\b|root:x:0`), show(passwd));
  });

  test('a path with .. is refused', async () => {
    const r = await vagga(dir, ['_build', 'via-dotdot'], { timeoutMs: 300_000 });
    assert.notEqual(r.status, 0, show(r));
    assert.match(r.stderr, /may not contain "\.\."/, show(r));
  });

  test('from a git repository of the project: built from the branch, the commit in the version', { skip: hasGit ? false : 'git is not installed' }, async () => {
    const git = (...args: string[]) => {
      const argv = ['git', '-c', 'user.name=T', '-c', 'user.email=t@example.invalid', '-C', join(dir, 'subrepo'), ...args];
      const [cmd, cmdArgs] = env.asRoot
        ? ['setpriv', ['--reuid', String(env.uid), '--regid', String(env.gid), '--init-groups', '--', ...argv]]
        : [argv[0]!, argv.slice(1)];
      const r = spawnSync(cmd, cmdArgs, { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: env.home } });
      assert.equal(r.status, 0, `git ${args.join(' ')}: ${r.stderr}`);
    };
    git('init', '-q', '-b', 'main');
    git('add', '.');
    git('commit', '-q', '-m', 'one');
    const unknown = await vagga(dir, ['_version_hash', 'from-git']);
    assert.equal(unknown.status, 29, show(unknown));
    const r = await vagga(dir, ['show-git'], { timeoutMs: 300_000 });
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, 'from-sub\n');
    const v1 = await vagga(dir, ['_version_hash', 'from-git']);
    assert.equal(v1.status, 0, show(v1));
    assert.equal(linkHash(dir, 'from-git'), v1.stdout.slice(0, 8));
    // A new commit on the branch is a new version (known after it is checked out).
    git('commit', '-q', '--allow-empty', '-m', 'two');
    const again = await vagga(dir, ['show-git'], { timeoutMs: 300_000 });
    assert.equal(again.status, 0, show(again));
    assert.notEqual(linkHash(dir, 'from-git'), v1.stdout.slice(0, 8));
  });

  test('a file:// url outside the project is refused with a clear error', async () => {
    const r = await vagga(dir, ['_build', 'git-outside'], { timeoutMs: 300_000 });
    assert.notEqual(r.status, 0, show(r));
    assert.match(r.stderr, /"\/etc".*outside the project|outside the project/, show(r));
  });
});
