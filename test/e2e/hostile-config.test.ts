/**
 * End-to-end: a hostile vagga.yaml (issue 8, "no vagga.yaml reaches outside its project").
 * As the ordinary e2e user, canary files are written in that user's home and in the cache
 * dir the harness gives vagga (including its trusted `debian/` and `downloads/` entries);
 * then vagga runs on many hostile projects: every step kind with `..` paths, project
 * symlinks to the home used as bind sources, archives, `!Depends`, `!Copy`, includes and
 * mixins through symlinks, symlinks planted in the root by `!Sh` and then written, emptied
 * or removed through by later steps and the finish phase, `environ-file` and `!Snapshot`
 * through root symlinks. Asserted for each: no canary content in the output, no stack
 * trace, and every refusal names vagga.yaml, the line and the key; at the end, no canary
 * was written, touched or deleted, and no file the configs tried to create exists outside
 * their projects. Debian-free: every container starts from the harness's busybox.tar.
 */
import { strict as assert } from 'node:assert';
import { chownSync, existsSync, lchownSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileSnapshot } from './fixtures.js';
import { cleanupStage, e2eEnv, makeProject, show, token, vagga, type E2EEnv, type RunResult } from './harness.js';

after(cleanupStage);

const TOK = token('hostile');
/** Text of every canary: none of it may ever appear in vagga's output. */
const CANARY = `CANARY-${TOK}`;
/** Name part of every file a hostile config tries to create outside its project. */
const PWNED = `pwned-${TOK}`;

let env: E2EEnv;
/** Canary path -> content and mtime when written. */
const canaries = new Map<string, { content: string; mtimeMs: number }>();

function own(path: string, link = false): void {
  if (!env.asRoot) return;
  if (link) lchownSync(path, env.uid, env.gid);
  else chownSync(path, env.uid, env.gid);
}

function writeCanary(path: string, content: string, mode = 0o600): void {
  mkdirSync(join(path, '..'), { recursive: true });
  own(join(path, '..'));
  writeFileSync(path, content, { mode });
  own(path);
  canaries.set(path, { content, mtimeMs: statSync(path).mtimeMs });
}

before(async () => {
  env = await e2eEnv();
  writeCanary(join(env.home, 'canary-secret'), `CANARY_VAR=${CANARY}-home\n`);
  writeCanary(join(env.home, '.ssh', `id_${TOK}`), `${CANARY}-ssh\n`);
  writeCanary(join(env.home, `canary-${TOK}.yaml`), `commands:\n  canary-cmd: !Command\n    container: c\n    run: echo ${CANARY}-yaml\n`);
  writeCanary(join(env.cacheDir, `canary-${TOK}.txt`), `${CANARY}-cache\n`, 0o644);
  writeCanary(join(env.cacheDir, 'debian', `canary-${TOK}-base.tar`), `${CANARY}-bootstrap\n`, 0o644);
  writeCanary(join(env.cacheDir, 'downloads', `canary-${TOK}-dl`), `${CANARY}-download\n`, 0o644);
});

after(() => {
  for (const path of canaries.keys()) rmSync(path, { force: true });
  for (const entry of readdirSync(env.home)) if (entry.startsWith(`other-${TOK}-`)) rmSync(join(env.home, entry), { recursive: true, force: true });
});

/** A project: files, then symlinks (name -> target), owned by the test user. */
async function hostileProject(name: string, yaml: string, links: Record<string, string> = {}, files: Record<string, string | Buffer> = {}): Promise<string> {
  const dir = await makeProject({ 'vagga.yaml': yaml, 'data/f': 'data\n', ...files }, { name });
  for (const [link, target] of Object.entries(links)) {
    symlinkSync(target, join(dir, link));
    own(join(dir, link), true);
  }
  return dir;
}

/** Output checks every run must pass: no canary content, no stack trace. */
function assertClean(r: RunResult): void {
  const out = r.stdout + r.stderr;
  assert.ok(!out.includes(CANARY), `canary content in the output\n${show(r)}`);
  assert.ok(!/internal error/i.test(out), `internal error\n${show(r)}`);
  assert.ok(!/^ {4}at /m.test(out), `stack trace\n${show(r)}`);
  assert.ok(!r.timedOut, show(r));
}

/** The 1-based line of `yaml` holding `marker` (the first one). */
function lineOf(yaml: string, marker: string): number {
  const i = yaml.split('\n').findIndex((l) => l.includes(marker));
  assert.ok(i >= 0, `marker ${marker} not in the yaml`);
  return i + 1;
}

/** A refusal: non-zero exit naming vagga.yaml at the marker's line, and the key. */
function assertRefused(r: RunResult, yaml: string, marker: string, key: string | RegExp, status?: number): void {
  assertClean(r);
  assert.notEqual(r.status, 0, show(r));
  if (status !== undefined) assert.equal(r.status, status, show(r));
  const out = r.stdout + r.stderr;
  assert.ok(out.includes(`vagga.yaml:${lineOf(yaml, marker)}`), `no vagga.yaml:${lineOf(yaml, marker)} in\n${show(r)}`);
  if (typeof key === 'string') assert.ok(out.includes(key), `key ${key} not named in\n${show(r)}`);
  else assert.match(out, key, show(r));
}

/** A container `c` on busybox with `steps` (YAML list items, 4-space indent) and extra container keys. */
function oneContainer(steps: string, extra = '', commands = ''): string {
  return `containers:\n  c:\n    setup:\n    - !Tar { url: ./busybox.tar }\n${steps}${extra}${commands ? `commands:\n${commands}` : ''}`;
}

const RUN_CAT = '  run: !Command\n    container: c\n    run: cat /etc/passwd\n';

/** `..` in container paths: a located config error (126) before anything runs. */
const DOTDOT: Array<[string, string, string, string]> = [
  ['!Text key', `    - !Text\n        /../cache/${PWNED}-text: evil\n`, `/../cache/${PWNED}-text`, `.containers.c.setup[1]./../cache/${PWNED}-text`],
  ['!EnsureDir', `    - !EnsureDir /../cache/${PWNED}-dir\n`, 'EnsureDir', '.containers.c.setup[1]'],
  ['!Remove', `    - !Remove /../cache/canary-${TOK}.txt\n`, 'Remove', '.containers.c.setup[1]'],
  ['!EmptyDir', '    - !EmptyDir /tmp/../../cache/debian\n', 'EmptyDir', '.containers.c.setup[1]'],
  ['!CacheDirs name with ..', '    - !CacheDirs { /var/x: ../../.. }\n', 'CacheDirs', '.containers.c.setup[1]./var/x'],
  ['!CacheDirs trusted name', '    - !CacheDirs { /var/x: debian }\n', 'CacheDirs', '.containers.c.setup[1]./var/x'],
  ['!Copy path', `    - !Copy\n      source: /work/data\n      path: /../cache/${PWNED}-copy\n`, 'path: /..', '.containers.c.setup[1].path'],
  ['!Tar path', `    - !Tar\n      url: ./busybox.tar\n      path: /../cache/${PWNED}-tar\n`, 'path: /..', '.containers.c.setup[1].path'],
  ['!Download path', `    - !Download\n      url: ./data/f\n      path: /../../cache/downloads/canary-${TOK}-dl\n`, 'path: /..', '.containers.c.setup[1].path'],
  ['!Git path', '    - !Git\n      url: ./repo\n      path: /../cache/git\n', 'path: /..', '.containers.c.setup[1].path'],
];

for (const [what, step, marker, key] of DOTDOT) {
  test(`.. above / in a step: ${what}`, async () => {
    const yaml = oneContainer(step);
    const r = await vagga(await hostileProject('dotdot', yaml), ['_build', 'c']);
    assertRefused(r, yaml, marker, key, 126);
    assert.match(r.stderr, /leaves the container's root|may not contain "\.\."|is reserved/, show(r));
  });
}

/** `..` in volumes, data-dirs, work-dir, environ-file: located config errors too. */
const DOTDOT_OTHER: Array<[string, string, string, string]> = [
  ['volume mount point', oneContainer('', '    volumes:\n      /../cache: !Tmpfs\n', RUN_CAT), '/../cache: !Tmpfs', '.containers.c.volumes./../cache'],
  ['!BindRW source', oneContainer('', '    volumes:\n      /mnt: !BindRW /work/../../..\n', RUN_CAT), '!BindRW', '.containers.c.volumes./mnt'],
  ['!CacheDir trusted name', oneContainer('', '    volumes:\n      /mnt: !CacheDir downloads\n', RUN_CAT), '!CacheDir', '.containers.c.volumes./mnt'],
  ['data-dirs', oneContainer('', '    data-dirs: [/etc, /../cache]\n', RUN_CAT), 'data-dirs', '.containers.c.data-dirs[1]'],
  ['environ-file', oneContainer('', '    environ-file: ../../etc/shadow\n', RUN_CAT), 'environ-file', '.containers.c.environ-file'],
  ['command work-dir', oneContainer('', '', `${RUN_CAT}    work-dir: ../../..\n`), 'work-dir', '.commands.run.work-dir'],
];

for (const [what, yaml, marker, key] of DOTDOT_OTHER) {
  test(`.. above / elsewhere: ${what}`, async () => {
    const r = await vagga(await hostileProject('dotdot', yaml), ['run']);
    assertRefused(r, yaml, marker, key, 126);
  });
}

/** Host paths through project symlinks to the user's home: refused, naming file, line and key. */
test('symlinks in the project: bind sources to the home (rw and ro) are refused', async () => {
  const rw = oneContainer('', '    volumes:\n      /mnt: !BindRW /work/homelink\n',
    `  run: !Command\n    container: c\n    run: echo x > /mnt/${PWNED}-bind; cat /mnt/canary-secret\n`);
  const r1 = await vagga(await hostileProject('bindrw', rw, { homelink: env.home }), ['run']);
  assertRefused(r1, rw, '/mnt: !BindRW', '.containers.c.volumes./mnt', 126);
  const ro = oneContainer('', '',
    `  run: !Command\n    container: c\n    volumes:\n      /s: !BindRO /work/secret\n    run: cat /s\n`);
  const r2 = await vagga(await hostileProject('bindro', ro, { secret: join(env.home, 'canary-secret') }), ['run']);
  assertRefused(r2, ro, '/s: !BindRO', '.commands.run.volumes./s', 126);
});

const SOURCE_LINKS: Array<[string, string, Record<string, string>, string, string | RegExp]> = [
  ['!Tar of a symlinked archive', '    - !Tar { url: ./evil.tar, path: /x }\n', { 'evil.tar': 'HOME/canary-secret' }, 'evil.tar', /url: "\.\/evil\.tar" resolves to .*outside the project/],
  ['!Download of a symlinked file', '    - !Download { url: ./dl, path: /x }\n', { dl: `HOME/.ssh/id_${TOK}` }, 'url: ./dl', /url: "\.\/dl" resolves to .*outside the project/],
  ['!Unzip of a symlinked archive', '    - !Unzip { url: ./z.zip, path: /x }\n', { 'z.zip': 'HOME/canary-secret' }, 'Unzip', /url: "\.\/z\.zip" resolves to .*outside the project/],
  ['!Depends on a symlinked dir', '    - !Depends homelink\n', { homelink: 'HOME' }, 'Depends', /path: "[^"]*homelink" resolves to .*outside the project/],
  ['!Copy from a symlinked dir', '    - !Copy { source: /work/homelink, path: /stolen }\n', { homelink: 'HOME' }, 'Copy', /source: "[^"]*homelink" resolves to .*outside the project/],
];

for (const [what, step, links, marker, key] of SOURCE_LINKS) {
  test(`symlinks in the project: ${what} is refused`, async () => {
    const yaml = oneContainer(step);
    const resolved = Object.fromEntries(Object.entries(links).map(([k, v]) => [k, v.replace('HOME', env.home)]));
    const dir = await hostileProject('source', yaml, resolved);
    const r = await vagga(dir, ['_build', 'c']);
    assertRefused(r, yaml, marker, key);
    assert.ok(!existsSync(join(dir, '.vagga', 'c')), 'nothing was built');
  });
}

test('symlinks in the project: an include of a file in the home is refused before it is read', async () => {
  const yaml = `containers:\n  c:\n    setup:\n    - !Tar { url: ./busybox.tar }\ncommands: !*Include inc.yaml\n`;
  const r = await vagga(await hostileProject('include', yaml, { 'inc.yaml': join(env.home, `canary-${TOK}.yaml`) }), ['_list']);
  assertRefused(r, yaml, '!*Include', '!*Include', 126);
});

test('symlinks in the project: a mixin in the home is skipped with a warning naming vagga.yaml, the line and mixins', async () => {
  const yaml = `mixins: [mix.yaml]\n${oneContainer('', '', RUN_CAT)}`;
  const r = await vagga(await hostileProject('mixin', yaml, { 'mix.yaml': join(env.home, `canary-${TOK}.yaml`) }), ['_list']);
  assertClean(r);
  assert.equal(r.status, 0, show(r));
  assert.match(r.stderr, /Skipping mixin "mix\.yaml" listed in .*vagga\.yaml:1:10: mixins\[0\]: .*outside the project/, show(r));
  assert.ok(!r.stdout.includes('canary-cmd'), show(r));
});

/** Symlinks planted in the root by `!Sh`, then used by later steps, the finish phase or the runtime. */
test('a symlink made by !Sh to the builder\'s cache view, then !EnsureDir and !Text through it: written inside the root', async () => {
  const yaml = oneContainer(
    '    - !Sh ln -s /vagga/cache /etc/cachelink\n' +
    '    - !EnsureDir /etc/cachelink\n' +
    `    - !Text\n        /etc/cachelink/${PWNED}-text: evil\n`);
  const dir = await hostileProject('plant-text', yaml);
  const r = await vagga(dir, ['_build', 'c']);
  assertClean(r);
  assert.equal(r.status, 0, show(r));
  assert.equal(readFileSync(join(dir, '.vagga', 'c', 'vagga', 'cache', `${PWNED}-text`), 'utf8'), 'evil');
});

test('!Remove and !EmptyDir through a symlink to the cache\'s bootstrap dir act inside the root', async () => {
  const yaml = oneContainer(
    '    - !Sh ln -s /vagga/cache/debian /etc/deb && ln -s ../../../vagga/cache /etc/rel\n' +
    `    - !Remove /etc/deb/canary-${TOK}-base.tar\n` +
    '    - !EmptyDir /etc/rel/downloads\n' +
    '    - !Remove /etc/deb\n');
  const r = await vagga(await hostileProject('plant-rm', yaml), ['_build', 'c']);
  assertClean(r);
  assert.equal(r.status, 0, show(r));
});

test('/tmp and /var/tmp replaced by symlinks to the cache are not emptied through at finish', async () => {
  const yaml = oneContainer('    - !Sh mkdir -p /var && rm -rf /tmp /var/tmp && ln -s /vagga/cache /tmp && ln -s /vagga/cache/debian /var/tmp\n');
  const r = await vagga(await hostileProject('plant-tmp', yaml), ['_build', 'c']);
  assertClean(r);
  assert.equal(r.status, 0, show(r));
});

test('!Tar and !Copy of a tree over a planted symlink into the cache are refused, naming the link', async () => {
  const tarTree = await hostileProject('plant-tar-tree', 'x: 1\n', {}, { [`tree/cachelink/${PWNED}-tar`]: 'evil\n' });
  const made = spawnSync('tar', ['-C', join(tarTree, 'tree'), '-cf', join(tarTree, 'evil.tar'), '.']);
  assert.equal(made.status, 0, String(made.stderr));
  const yaml = oneContainer(
    '    - !Sh mkdir -p /opt && ln -s /vagga/cache /opt/cachelink\n' +
    '    - !Tar { url: ./evil.tar, path: /opt }\n');
  const dir = await hostileProject('plant-tar', yaml, {}, { 'evil.tar': readFileSync(join(tarTree, 'evil.tar')) });
  const r = await vagga(dir, ['_build', 'c']);
  assertRefused(r, yaml, '!Tar { url: ./evil.tar', /"\/opt\/cachelink" is a symlink to "\/vagga\/cache"/);
  const copy = oneContainer(
    '    - !Sh mkdir -p /opt && ln -s /vagga/cache /opt/cachelink\n' +
    '    - !Copy { source: /work/tree, path: /opt }\n');
  const r2 = await vagga(await hostileProject('plant-copy', copy, {}, { [`tree/cachelink/${PWNED}-copy`]: 'evil\n' }), ['_build', 'c']);
  assertRefused(r2, copy, '!Copy', /"\/opt\/cachelink" is a symlink/);
});

test('!Download and !TarInstall through symlinks to the cache planted by !Sh stay inside the root', async () => {
  const yaml = oneContainer(
    '    - !Sh mkdir -p /opt && ln -s /vagga/cache/downloads /opt/dl && rm -rf /tmp && ln -s /vagga/cache /tmp\n' +
    `    - !Download { url: ./data/f, path: /opt/dl/canary-${TOK}-dl }\n` +
    '    - !TarInstall { url: ./busybox.tar, script: "true" }\n');
  const dir = await hostileProject('plant-dl', yaml);
  const r = await vagga(dir, ['_build', 'c']);
  assertClean(r);
  assert.equal(r.status, 0, show(r));
  assert.equal(readFileSync(join(dir, '.vagga', 'c', 'vagga', 'cache', 'downloads', `canary-${TOK}-dl`), 'utf8'), 'data\n');
});

test('an archive subdir climbing out of the archive is a located config error', async () => {
  const yaml = oneContainer('    - !Tar\n      url: ./busybox.tar\n      subdir: ../../../vagga/cache\n');
  const r = await vagga(await hostileProject('subdir', yaml), ['_build', 'c']);
  assertRefused(r, yaml, 'subdir:', '.containers.c.setup[1].subdir', 126);
});

test('environ-file through a symlink in the root to a home file is read inside the root only', async () => {
  const yaml = oneContainer(`    - !Sh ln -s ${join(env.home, 'canary-secret')} /etc/envfile\n`,
    '    environ-file: /etc/envfile\n', '  env: !Command\n    container: c\n    run: [env]\n');
  const r = await vagga(await hostileProject('environ', yaml), ['env']);
  assertClean(r);
  assert.notEqual(r.status, 0, show(r));
  assert.match(r.stderr, /environ-file "\/etc\/envfile"/, show(r));
});

test('a !Snapshot of a root path that is a symlink to the home snapshots nothing of the host', async () => {
  const yaml = oneContainer(`    - !Sh ln -s ${env.home} /snap\n`, '    volumes:\n      /snap: !Snapshot\n',
    '  run: !Command\n    container: c\n    run: cat /snap/canary-secret; ls -a /snap\n');
  const r = await vagga(await hostileProject('snapshot', yaml), ['run']);
  assertClean(r);
  assert.notEqual(r.status, 0, show(r));
});

/** A directory of the test user outside every project, holding a canary (another project's files). */
function otherDir(name: string): string {
  const dir = join(env.home, `other-${TOK}-${name}`);
  writeCanary(join(dir, 'important.txt'), `${CANARY}-other-${name}\n`);
  return dir;
}

/** One line refusing a path of .vagga the project planted, naming it, without following it. */
function assertPlanted(r: RunResult, path: RegExp): void {
  assertClean(r);
  assert.equal(r.status, 121, show(r));
  assert.match(r.stderr, path, show(r));
  assert.match(r.stderr, /not a directory vagga made; vagga does not follow or write through it/, show(r));
}

const PLANTED: Array<[string, Record<string, string>, string[], RegExp]> = [
  ['.vagga itself, then _clean --everything', { '.vagga': 'OTHER' }, ['_clean', '--everything'], /\.vagga is a symbolic link/],
  ['.vagga itself, then _build', { '.vagga': 'OTHER' }, ['_build', 'c'], /\.vagga is a symbolic link/],
  ['.vagga/.roots', { '.vagga/.roots': 'OTHER' }, ['_build', 'c'], /\.vagga\/\.roots is a symbolic link/],
  ['.vagga/.cache', { '.vagga/.cache': 'OTHER' }, ['_list'], /\.vagga\/\.cache is a symbolic link/],
  ['.vagga/.transient', { '.vagga/.transient': 'OTHER' }, ['_clean', '--transient'], /\.vagga\/\.transient is a symbolic link/],
  ['a !Persistent volume dir', { '.vagga/.volumes/pv': 'HOME' }, ['_run', 'p', 'cat', '/p/canary-secret'], /\.vagga\/\.volumes\/pv is a symbolic link/],
];

for (const [what, links, args, named] of PLANTED) {
  test(`a project that ships .vagga links: ${what} is refused, nothing followed`, async () => {
    const other = otherDir(what.replace(/\W+/g, '-'));
    const dir = await hostileProject(`planted-${what.replace(/\W+/g, '-')}`, oneContainer('').replace('containers:\n', 'containers:\n  p:\n    setup:\n    - !Tar { url: ./busybox.tar }\n    - !EnsureDir /p\n    volumes:\n      /p: !Persistent pv\n'));
    for (const [link, target] of Object.entries(links)) {
      mkdirSync(join(dir, link, '..'), { recursive: true });
      for (let d = join(dir, link, '..'); d.length > dir.length; d = join(d, '..')) own(d);
      symlinkSync(target === 'HOME' ? env.home : other, join(dir, link));
      own(join(dir, link), true);
    }
    assertPlanted(await vagga(dir, args), named);
    assert.deepEqual(readdirSync(other), ['important.txt'], 'nothing built, cached or removed in the other directory');
  });
}

test('a project that ships a version root linked to / is refused, not run', async () => {
  const dir = await hostileProject('planted-root', oneContainer(''));
  const hash = (await vagga(dir, ['_version_hash', '-s', 'c'])).stdout.trim();
  assert.match(hash, /^[0-9a-f]{8}$/);
  mkdirSync(join(dir, `.vagga/.roots/c.${hash}`), { recursive: true });
  own(join(dir, '.vagga')); own(join(dir, '.vagga/.roots')); own(join(dir, `.vagga/.roots/c.${hash}`));
  symlinkSync('/', join(dir, `.vagga/.roots/c.${hash}/root`));
  own(join(dir, `.vagga/.roots/c.${hash}/root`), true);
  const r = await vagga(dir, ['_run', 'c', 'cat', join(env.home, 'canary-secret')]);
  assertPlanted(r, new RegExp(`\\.roots/c\\.${hash}/root is a symbolic link`));
});

test('cache links planted by a build: !CacheDir volumes follow them inside the cache only; "." is refused', async () => {
  const yaml = oneContainer(`    - !CacheDirs { /x: mine }\n    - !Sh "ln -sfn ${env.home} /x/out; ln -sfn .. /x/up"\n`, '',
    '  look: !Command\n    container: e\n    run: ls /z\n');
  const full = yaml.replace('containers:\n', 'containers:\n  e:\n    setup:\n    - !Tar { url: ./busybox.tar }\n    - !EnsureDir /z\n    volumes:\n      /z: !CacheDir mine/out\n');
  const dir = await hostileProject('cache-links', full);
  const b = await vagga(dir, ['_build', 'c']);
  assertClean(b);
  assert.equal(b.status, 0, show(b));
  const r = await vagga(dir, ['look']);
  assertClean(r);
  assert.ok(!r.stdout.includes('canary-secret'), `the home was mounted\n${show(r)}`);
  const dot = oneContainer('    - !CacheDirs { /x: "." }\n');
  assertRefused(await vagga(await hostileProject('cache-dot', dot), ['_build', 'c']), dot, '!CacheDirs', /whole cache dir/);
});

test('canaries: none read, written, touched or deleted; nothing created outside the projects', () => {
  for (const [path, before] of canaries) {
    assert.ok(existsSync(path), `${path} was deleted`);
    assert.equal(readFileSync(path, 'utf8'), before.content, `${path} was changed`);
    assert.equal(statSync(path).mtimeMs, before.mtimeMs, `${path} was touched`);
  }
  // Every file under the home and the cache: none may carry the name a config tried to write.
  // The build cache's layers hold what steps wrote inside containers (e.g. a `${PWNED}-text`
  // a step made inside its root): container contents, not the host's files.
  const layers = join(env.cacheDir, '.layers') + '/';
  const stray = [...fileSnapshot(env.home).keys(), ...fileSnapshot(env.cacheDir).keys()]
    .filter((p) => p.includes(PWNED) && !p.startsWith(layers));
  for (const dir of [join(env.cacheDir, `${PWNED}-dir`), join(env.home, `${PWNED}-bind`)]) if (existsSync(dir)) stray.push(dir);
  assert.deepEqual(stray, []);
});
