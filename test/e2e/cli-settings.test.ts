/**
 * End-to-end: the global command line and settings (inventory §1.6-§1.10,
 * §2.7 env precedence, §2.13 listings, §4 exact strings): `-m`, `--no-prerequisites`,
 * `-E/--environ`, `-e/--use-env`, `VAGGAENV_*`, `--no-build`, `--no-version-check`, `_list`
 * flags and format, `--help` of built-ins, command fields `aliases`, `group`, `epilog`,
 * `banner` (ignored), `description`; settings files in HOME, `.vagga.settings.yaml`,
 * `VAGGA_SETTINGS`, `site-settings`, settings `environ`, `propagate-environ`, `proxy-env-vars`,
 * `external-volumes`. Runs vagga as an ordinary user on the busybox base (harness.ts).
 *
 * Settings files in HOME are written for a dedicated user (`vagga-e2e-settings`, root only)
 * so that the suite user's HOME, shared by concurrently running test files, stays clean.
 */
import { strict as assert } from 'node:assert';
import { chownSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  cleanupStage, e2eEnv, ensureUser, makeProject, show, vagga, writeProjectFile, type E2EEnv,
} from './harness.js';
import { BUSYBOX_CONTAINERS_HEAD, makeBuiltProject } from './fixtures.js';

after(cleanupStage);

const YAML = `${BUSYBOX_CONTAINERS_HEAD}    - !EnsureDir /mnt
    environ:
      EDITOR: vi
      SHELL: /bin/bash
commands:
  hello: !Command
    container: bb
    run: echo -n hello
  world: !Command
    container: bb
    run: echo world!
  fail: !Command
    container: bb
    run: exit 3
  one: !Command
    container: bb
    prerequisites: [three, two]
    run: echo one
  two: !Command
    container: bb
    prerequisites: [four]
    run: echo two
  three: !Command
    container: bb
    run: echo three
  four: !Command
    container: bb
    run: echo four
  editor: !Command
    container: bb
    environ:
      EDITOR: vim
    run: echo "$EDITOR $SHELL"
  show-env: !Command
    container: bb
    run: [env]
  ok-epilog: !Command
    container: bb
    banner: BANNER-TEXT
    banner-delay: 0
    epilog: "EPILOG-TEXT\\n"
    run: echo body
  bad-epilog: !Command
    container: bb
    epilog: "EPILOG-TEXT\\n"
    run: echo body; exit 1
  aliased: !Command
    container: bb
    description: Has aliases
    aliases: [al-one, al-two, hello]
    run: echo aliased
  grouped: !Command
    container: bb
    group: Extra stuff
    description: In a group
    run: echo grouped
  a-very-long-command-name: !Command
    container: bb
    description: Long name
    run: echo long
  _hidden: !Command
    container: bb
    description: Secret
    run: echo hidden
  ext: !Command
    container: bb
    volumes:
      /mnt: !BindRO /volumes/shared
    run: cat /mnt/file
`;

/** Lines `KEY=VALUE` of `env` output as a map. */
function envMap(stdout: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

describe('command line and settings', { timeout: 600_000 }, () => {
  let env: E2EEnv;
  let dir: string;
  before(async () => {
    env = await e2eEnv();
    dir = await makeBuiltProject(YAML, 'cli');
  });

  test('-m runs commands in a row with outputs concatenated; stops at the first failure', async () => {
    const r = await vagga(dir, ['-m', 'hello', 'world']);
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, 'helloworld!\n');
    const f = await vagga(dir, ['--run-multi', 'hello', 'fail', 'world']);
    assert.equal(f.status, 3, show(f));
    assert.equal(f.stdout, 'hello');
  });

  test('prerequisites run depth-first once each; -m order kept; --no-prerequisites skips them', async () => {
    const r = await vagga(dir, ['one']);
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, 'three\nfour\ntwo\none\n');
    const m = await vagga(dir, ['-m', 'two', 'one']);
    assert.equal(m.status, 0, show(m));
    assert.equal(m.stdout, 'four\ntwo\nthree\none\n');
    const n = await vagga(dir, ['--no-prerequisites', 'one']);
    assert.equal(n.status, 0, show(n));
    assert.equal(n.stdout, 'one\n');
  });

  test('-E/--environ, -e/--use-env and VAGGAENV_* set variables, in that precedence', async () => {
    const host = { VAGGAENV_EDITOR: 'pico', EDITOR: 'nano', FROM_HOST: 'h', VAGGAENV_PLAIN: 'p' };
    const base = await vagga(dir, ['editor'], { env: host });
    assert.equal(base.stdout, 'pico /bin/bash\n', show(base));
    const useEnv = await vagga(dir, ['-e', 'EDITOR', 'editor'], { env: host });
    assert.equal(useEnv.stdout, 'nano /bin/bash\n', show(useEnv));
    const e = await vagga(dir, ['-e', 'EDITOR', '-E', 'EDITOR=emacs', 'editor'], { env: host });
    assert.equal(e.stdout, 'emacs /bin/bash\n', show(e));
    const all = await vagga(dir, ['--use-env', 'FROM_HOST', '--use-env', 'UNSET_VAR', '--environ', 'X=1', '--env', 'Y=2', 'show-env'], { env: host });
    assert.equal(all.status, 0, show(all));
    const vars = envMap(all.stdout);
    assert.equal(vars.get('FROM_HOST'), 'h');
    assert.equal(vars.get('UNSET_VAR'), '', '-e of an unset variable forwards it empty');
    assert.equal(vars.get('X'), '1');
    assert.equal(vars.get('Y'), '2');
    assert.equal(vars.get('PLAIN'), 'p', 'VAGGAENV_PLAIN is forwarded without the prefix');
    assert.equal(vars.has('VAGGAENV_PLAIN'), false);
    const dropped = await vagga(dir, ['-E', 'PLAIN', 'show-env'], { env: host });
    assert.equal(envMap(dropped.stdout).has('PLAIN'), false, `a bare -E NAME drops VAGGAENV_NAME\n${show(dropped)}`);
  });

  test('-e NAME=VALUE is refused with Vagga\'s message (126)', async () => {
    const r = await vagga(dir, ['-e', 'key=value', 'hello']);
    assert.equal(r.status, 126, show(r));
    assert.match(r.stderr, /Error propagating environment: Environment variable name \(for option `-e`\/`--use-env`\) can't contain equals `=` character\. To set key-value pair use `-E`\/`--environ` option/);
  });

  test('epilog is printed after exit 0 only; banner is ignored', async () => {
    const ok = await vagga(dir, ['ok-epilog']);
    assert.equal(ok.status, 0, show(ok));
    assert.equal(ok.stdout, 'body\nEPILOG-TEXT\n');
    assert.doesNotMatch(ok.stdout + ok.stderr, /BANNER-TEXT/);
    const bad = await vagga(dir, ['bad-epilog']);
    assert.equal(bad.status, 1, show(bad));
    assert.equal(bad.stdout, 'body\n');
  });

  test('aliases run the command; a real command with the alias name wins', async () => {
    const a = await vagga(dir, ['al-two']);
    assert.equal(a.status, 0, show(a));
    assert.equal(a.stdout, 'aliased\n');
    const h = await vagga(dir, ['hello']);
    assert.equal(h.stdout, 'hello', show(h));
  });

  test('bare vagga: sections by group, descriptions, aliases, _-names hidden, exit 127', async () => {
    const r = await vagga(dir, []);
    assert.equal(r.status, 127, show(r));
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, [
      'Available commands:',
      '    a-very-long-command-name',
      '                        Long name',
      '    aliased             Has aliases',
      '                        (aliases: al-one, al-two)',
      '    bad-epilog',
      '    editor',
      '    ext',
      '    fail',
      '    four',
      '    hello',
      '    ok-epilog',
      '    one',
      '    show-env',
      '    three',
      '    two',
      '    world',
      '',
      'Extra stuff:',
      '    grouped             In a group',
      '',
    ].join('\n'));
  });

  test('_list: 20-column names, aliases as lines, --no-aliases, --hidden, --zsh, --containers', async () => {
    const r = await vagga(dir, ['_list']);
    assert.equal(r.status, 0, show(r));
    const lines = r.stdout.split('\n');
    assert.equal(lines[0], 'a-very-long-command-name');
    assert.equal(lines[1], `${' '.repeat(20)}Long name`);
    assert.equal(lines[2], 'aliased             Has aliases');
    assert.equal(lines[3], 'al-one              Has aliases');
    assert.equal(lines[4], 'al-two              Has aliases');
    assert.ok(lines.includes('hello               '), `padded name without description\n${r.stdout}`);
    assert.ok(!r.stdout.includes('_hidden'));
    const na = await vagga(dir, ['_list', '--no-aliases']);
    assert.ok(!na.stdout.includes('al-one'), na.stdout);
    const hid = await vagga(dir, ['_list', '--hidden']);
    assert.match(hid.stdout, /^_hidden {13}Secret$/m);
    const all = await vagga(dir, ['_list', '-A']);
    assert.match(all.stdout, /^_hidden {13}Secret$/m);
    assert.match(all.stdout, /^_build /m, 'built-ins listed with --all');
    const zsh = await vagga(dir, ['_list', '--zsh']);
    assert.match(zsh.stdout, /^aliased:Has aliases$/m);
    assert.match(zsh.stdout, /^four:$/m);
    const c = await vagga(dir, ['_list', '--containers']);
    assert.equal(c.status, 0, show(c));
    // The name is the first word; a built container also shows its versions, size and linked version.
    assert.deepEqual(c.stdout.trim().split('\n').map((l) => l.split(' ')[0]), ['bb']);
    assert.match(c.stdout, /^bb +1 version +\S+ \(apparent \S+\)  linked [0-9a-f]{8}, current$/m);
  });

  test('--help of vagga and of built-ins prints usage on stdout, exit 0', async () => {
    const g = await vagga(dir, ['--help']);
    assert.equal(g.status, 0, show(g));
    assert.match(g.stdout, /^Usage: vagga /);
    for (const b of ['_list', '_build', '_run', '_version_hash', '_clean']) {
      const r = await vagga(dir, [b, '--help']);
      assert.equal(r.status, 0, `${b}: ${show(r)}`);
      assert.match(r.stdout, new RegExp(`Usage: vagga ${b}`), `${b}: ${show(r)}`);
      assert.match(r.stdout, /-h, --help/, `${b}: ${show(r)}`);
    }
  });

  test('--no-build uses the hashed version without building; --no-version-check uses the link', async () => {
    const p = await makeProject({ 'vagga.yaml': YAML }, { name: 'cli-nobuild' });
    const never = await vagga(p, ['--no-build', 'hello']);
    assert.equal(never.status, 121, `--no-build must not build\n${show(never)}`);
    assert.match(never.stderr, /Container "bb" version [0-9a-f]{8} is not built \(--no-build given\)/);
    assert.equal(existsSync(join(p, '.vagga', 'bb')), false, 'no container was built');
    const built = await vagga(p, ['hello']);
    assert.equal(built.status, 0, show(built));
    const nb = await vagga(p, ['--no-build', 'hello']);
    assert.equal(nb.status, 0, show(nb));
    assert.equal(nb.stdout, 'hello');
    // Change the container: --no-build refuses (version not built), --no-version-check runs the old one.
    await writeProjectFile(p, 'vagga.yaml', YAML.replace('    - !EnsureDir /mnt\n', '    - !EnsureDir /mnt\n    - !EnsureDir /new\n'));
    const changed = await vagga(p, ['--no-build', '_run', 'bb', 'ls', '/new']);
    assert.equal(changed.status, 121, show(changed));
    assert.match(changed.stderr, /is not built \(--no-build given\)/);
    const old = await vagga(p, ['--no-version-check', '_run', 'bb', 'sh', '-c', 'test -d /new && echo new || echo old']);
    assert.equal(old.status, 0, show(old));
    assert.equal(old.stdout, 'old\n');
  });

  test('VAGGA_SETTINGS: environ, propagate-environ, proxy-env-vars, external-volumes', async () => {
    const shared = join(env.stageDir, 'projects', `shared-${process.pid}`);
    mkdirSync(shared, { recursive: true });
    writeFileSync(join(shared, 'file'), 'external\n');
    if (env.asRoot) chownSync(shared, env.uid, env.gid);
    const settings = (extra: string) =>
      `cache-dir: ${env.cacheDir}\nexternal-volumes:\n  shared: ${shared}\n${extra}`;
    const host = { http_proxy: 'http://proxy.invalid:3128', no_proxy: 'localhost', PROP_A: 'a', PROP_B: 'b', OTHER: 'o' };
    const r = await vagga(dir, ['show-env'], {
      env: { ...host, VAGGAENV_PROP_B: 'explicit' },
      settings: settings('environ:\n  FROM_SETTINGS: s\n  EDITOR: nvi\npropagate-environ: ["PROP_*"]\n'),
    });
    assert.equal(r.status, 0, show(r));
    const vars = envMap(r.stdout);
    assert.equal(vars.get('FROM_SETTINGS'), 's');
    assert.equal(vars.get('EDITOR'), 'nvi', 'settings environ beats container environ');
    assert.equal(vars.get('PROP_A'), 'a');
    assert.equal(vars.get('PROP_B'), 'explicit', 'propagate-environ only fills gaps');
    assert.equal(vars.has('OTHER'), false);
    assert.equal(vars.get('http_proxy'), 'http://proxy.invalid:3128', 'proxy vars forwarded by default');
    assert.equal(vars.get('no_proxy'), 'localhost');
    const off = await vagga(dir, ['show-env'], { env: host, settings: settings('proxy-env-vars: false\n') });
    assert.equal(off.status, 0, show(off));
    assert.equal(envMap(off.stdout).has('http_proxy'), false, off.stdout);
    const ext = await vagga(dir, ['ext'], { settings: settings('') });
    assert.equal(ext.status, 0, show(ext));
    assert.equal(ext.stdout, 'external\n');
  });
});

const HOME_USER = 'vagga-e2e-settings';

describe('settings files: HOME, site-settings, project; the EDITOR precedence of §4', {
  skip: process.getuid?.() === 0 ? false : 'needs root (a dedicated user with its own HOME)',
  timeout: 600_000,
}, () => {
  let who: { user: string; uid: number; gid: number; home: string };
  let dir: string;
  before(async () => {
    who = { user: HOME_USER, ...(await ensureUser(HOME_USER)) };
    dir = await makeProject({ 'vagga.yaml': YAML }, { name: 'cli-home' });
    const own = (p: string) => {
      chownSync(p, who.uid, who.gid);
      for (const e of readdirSync(p, { withFileTypes: true })) {
        if (e.isDirectory()) own(join(p, e.name));
        else chownSync(join(p, e.name), who.uid, who.gid);
      }
    };
    own(dir);
    const write = (rel: string, text: string) => {
      const path = join(who.home, rel);
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, text);
      chownSync(path, who.uid, who.gid);
    };
    // The lowest secure file sets nvi; ~/.vagga.yaml's site-settings for this project sets elvis.
    write('.config/vagga/settings.yaml', 'environ:\n  EDITOR: nvi\n  FROM_CONFIG: c\n');
    chownSync(join(who.home, '.config'), who.uid, who.gid);
    chownSync(join(who.home, '.config/vagga'), who.uid, who.gid);
    write('.vagga.yaml', `environ:\n  FROM_HOME: h\nsite-settings:\n  ${dir}:\n    environ:\n      EDITOR: elvis\n`);
  });
  after(() => {
    for (const rel of ['.config/vagga/settings.yaml', '.vagga.yaml']) {
      try { writeFileSync(join(who.home, rel), ''); } catch { /* gone */ }
    }
  });

  const run = (args: string[], opts: { env?: Record<string, string> } = {}) =>
    vagga(dir, args, { asUser: who, timeoutMs: 300_000, ...opts });

  test('vi < vim < nvi < elvis < vile < pico < nano < emacs', async () => {
    let r = await run(['_run', 'bb', 'sh', '-c', 'echo $EDITOR']);
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, 'elvis\n', `settings environ applies to _run too\n${show(r)}`);
    r = await run(['editor']);
    assert.equal(r.stdout, 'elvis /bin/bash\n', `home file nvi < site-settings elvis\n${show(r)}`);
    const vars = envMap((await run(['show-env'])).stdout);
    assert.equal(vars.get('FROM_CONFIG'), 'c');
    assert.equal(vars.get('FROM_HOME'), 'h');
    await writeProjectFile(dir, '.vagga.settings.yaml', 'environ:\n  EDITOR: vile\n');
    chownSync(join(dir, '.vagga.settings.yaml'), who.uid, who.gid);
    r = await run(['editor']);
    assert.equal(r.stdout, 'vile /bin/bash\n', show(r));
    const host = { VAGGAENV_EDITOR: 'pico', EDITOR: 'nano' };
    r = await run(['editor'], { env: host });
    assert.equal(r.stdout, 'pico /bin/bash\n', show(r));
    r = await run(['-e', 'EDITOR', 'editor'], { env: host });
    assert.equal(r.stdout, 'nano /bin/bash\n', show(r));
    r = await run(['-e', 'EDITOR', '-E', 'EDITOR=emacs', 'editor'], { env: host });
    assert.equal(r.stdout, 'emacs /bin/bash\n', show(r));
  });

  test('a secure-only key in .vagga.settings.yaml is a config error (126)', async () => {
    await writeProjectFile(dir, '.vagga.settings.yaml', 'external-volumes:\n  x: /tmp\n');
    chownSync(join(dir, '.vagga.settings.yaml'), who.uid, who.gid);
    try {
      const r = await run(['hello']);
      assert.equal(r.status, 126, show(r));
      assert.match(r.stderr, /external-volumes/);
    } finally {
      await writeProjectFile(dir, '.vagga.settings.yaml', '');
      chownSync(join(dir, '.vagga.settings.yaml'), who.uid, who.gid);
    }
  });
});
