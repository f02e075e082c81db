/**
 * End-to-end: `!Command` fields beyond `run` (inventory §1.6, §1.10, §2.5, §2.7):
 * `user-id`/`group-id`/`supplementary-gids`/`external-user-id`, `options` (docopt ->
 * VAGGAOPT_/VAGGACLI_), `write-mode: transient-hard-link-copy` and `_run -W`,
 * `isolate-network`. Runs vagga as an ordinary user on the busybox base (harness.ts).
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanupStage, e2eEnv, show, vagga, type E2EEnv } from './harness.js';
import { BUSYBOX_CONTAINERS_HEAD, makeBuiltProject } from './fixtures.js';

after(cleanupStage);

const YAML = `${BUSYBOX_CONTAINERS_HEAD}    - !EnsureDir /data
commands:
  fake-user: !Command
    container: bb
    user-id: 1
    external-user-id: 0
    run: id; touch /work/made-by-fake-user
  other-user: !Command
    container: bb
    user-id: 7
    group-id: 8
    supplementary-gids: [20, 21]
    run: [id]
  args: !Command
    description: Print args
    container: bb
    options: |
      Usage: vagga args [options] [<rest>...]

      Options:
        -F, --first <value>   First arg
        -S, --second <value>  Second arg [default: two]
        -v, --verbose         Verbose
    run: |
      echo "first=$VAGGAOPT_FIRST second=$VAGGAOPT_SECOND rest=$VAGGAOPT_REST"
      echo "cli=$VAGGACLI_FIRST|$VAGGACLI_REST|$VAGGACLI_VERBOSE"
      echo "argc=$#"
  counted: !Command
    container: bb
    options: |
      Usage: vagga counted [-v...] [options]

      Options:
        -v, --verbose   Verbosity
    run: 'echo "Verbosity: $VAGGAOPT_VERBOSE"'
  cmdargs: !Command
    description: Test of arg parsing
    container: bb
    options: |
      Usage: vagga cmdargs [options]

      Options:
        -v, --verbose ...  Increase pseudo-verbosity
    run: |
      echo Args: "$@"
      echo Verbosity: "$VAGGAOPT_VERBOSE"
  scribble: !Command
    container: bb
    write-mode: transient-hard-link-copy
    run: echo scribbled > /data/note && cat /data/note && ls /.vagga-nothing 2>/dev/null; echo done
  no-net: !Command
    container: bb
    isolate-network: true
    pid1mode: exec
    run: sed -n '3,$p' /proc/net/dev | cut -d':' -f1 | tr -d ' '
`;

describe('command fields', () => {
  let env: E2EEnv;
  let dir: string;
  before(async () => {
    env = await e2eEnv();
    dir = await makeBuiltProject(YAML, 'fields');
  });

  test('user-id 1 with external-user-id 0: id shows uid=1 gid=0, files belong to the host user', async () => {
    const r = await vagga(dir, ['fake-user']);
    assert.equal(r.status, 0, show(r));
    assert.match(r.stdout, /^uid=1 gid=0/m);
    assert.equal(statSync(join(dir, 'made-by-fake-user')).uid, env.uid);
  });

  test('user-id, group-id and supplementary-gids', async () => {
    const r = await vagga(dir, ['other-user']);
    assert.equal(r.status, 0, show(r));
    assert.match(r.stdout, /^uid=7 gid=8 groups=20,21/m);
  });

  test('options: values in VAGGAOPT_/VAGGACLI_, arguments not passed positionally', async () => {
    const r = await vagga(dir, ['args', '-Fhello', 'a', "b c", '-v']);
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, "first=hello second=two rest=a b c\ncli=--first hello|a 'b c'|--verbose\nargc=0\n");
    const c = await vagga(dir, ['counted', '-vvvv', '--verbose']);
    assert.equal(c.stdout, 'Verbosity: 5\n', show(c));
    // Vagga's generic.bats "Argument parsing for normal command": ` ...` in the description counts.
    const v = await vagga(dir, ['cmdargs', '-vvvv', '--verbose']);
    assert.equal(v.status, 0, show(v));
    assert.equal(v.stdout, 'Args:\nVerbosity: 5\n');
    const bad = await vagga(dir, ['cmdargs', '--bad-arg']);
    assert.equal(bad.status, 121, show(bad));
    assert.deepEqual(bad.stderr.split('\n').filter(Boolean).slice(-2), ["Unknown flag: '--bad-arg'", 'Usage: vagga cmdargs [options]']);
  });

  test('options: --help prints the usage (exit 0); bad flags exit 121 with the usage', async () => {
    const h = await vagga(dir, ['args', '--help']);
    assert.equal(h.status, 0, show(h));
    assert.match(h.stdout, /^Print args\n\nUsage: vagga args \[options\] \[<rest>\.\.\.\]/);
    assert.match(h.stdout, /-h, --help +This help/);
    const b = await vagga(dir, ['args', '--bad-arg']);
    assert.equal(b.status, 121, show(b));
    const lines = b.stderr.split('\n').filter(Boolean);
    assert.equal(lines.at(-2), "Unknown flag: '--bad-arg'");
    assert.equal(lines.at(-1), 'Usage: vagga args [options] [<rest>...]');
    const x = await vagga(dir, ['counted', 'extra-arg']);
    assert.equal(x.status, 121, show(x));
    assert.equal(x.stderr.split('\n').filter(Boolean).at(-1), 'Usage: vagga counted [-v...] [options]');
  });

  test('write-mode: transient-hard-link-copy writes to a throwaway copy, removed afterwards', async () => {
    const r = await vagga(dir, ['scribble']);
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, 'scribbled\ndone\n');
    const transient = join(dir, '.vagga', '.transient');
    assert.deepEqual(existsSync(transient) ? readdirSync(transient) : [], []);
    // The container itself is unchanged.
    const again = await vagga(dir, ['_run', 'bb', 'ls', '/data']);
    assert.equal(again.stdout, '', show(again));
  });

  test('_run -W runs on a writable copy; without it the root is read-only', async () => {
    const w = await vagga(dir, ['_run', '-W', 'bb', 'sh', '-c', 'echo x > /data/f && cat /data/f']);
    assert.equal(w.status, 0, show(w));
    assert.equal(w.stdout, 'x\n');
    const ro = await vagga(dir, ['_run', 'bb', 'sh', '-c', 'echo x > /data/f']);
    assert.notEqual(ro.status, 0, show(ro));
    assert.match(ro.stderr, /Read-only file system/);
  });

  test('isolate-network: only the loopback interface; pid1mode accepted', async () => {
    const r = await vagga(dir, ['no-net']);
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, 'lo\n');
  });
});
