/**
 * Paths a vagga.yaml names may not reach outside the project (issue 8): container paths
 * are normalised and a `..` above `/` is a located ConfigError in every field that takes
 * one; host paths are resolved with symlinks followed and must stay in the project.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfigFile } from '../../../src/config/document.js';
import { normalizeContainerPath, containerPathProblem } from '../../../src/config/container-path.js';
import { cacheEntryPath, cacheNameProblem } from '../../../src/config/cache-name.js';
import { resolveProjectPath } from '../../../src/config/project-path.js';
import { resolveLinksUnder } from '../../../src/config/resolve-links.js';
import { loadConfig } from '../../../src/config/load.js';
import { loadSettings } from '../../../src/config/settings.js';
import { readQuireFile } from '../../../src/config/yaml-dialect.js';
import { bindSource } from '../../../src/mounts/run-plan.js';
import { project, q, thrown } from './helpers.js';
import { STEP_DEFS } from '../../../src/steps/registry.js';

test('container paths: normalised; a .. above / is refused, one inside is fine', () => {
  assert.equal(normalizeContainerPath('/a/./b/../c//'), '/a/c');
  assert.equal(normalizeContainerPath('/a/..'), '/');
  assert.equal(normalizeContainerPath('/..'), undefined);
  assert.equal(normalizeContainerPath('/a/../../b'), undefined);
  assert.equal(normalizeContainerPath('rel'), undefined);
  assert.equal(containerPathProblem('/x/../y'), undefined);
  assert.match(containerPathProblem('/../cache/x')!, /leaves the container's root/);
  assert.match(containerPathProblem('x')!, /must be absolute/);
});

/** Each field that names a container path, written with `/../..`: [yaml of one container, line, col, key path]. */
const HOSTILE: Array<[string, string, number, number, string]> = [
  ['!Text key', 'setup:\n- !Text\n  /../cache/x: evil\n', 3, 3, '.containers.c.setup[0]./../cache/x'],
  ['!EnsureDir', 'setup:\n- !EnsureDir /a/../../x\n', 2, 3, '.containers.c.setup[0]'],
  ['!Remove', 'setup:\n- !Remove /../home\n', 2, 3, '.containers.c.setup[0]'],
  ['!EmptyDir', 'setup:\n- !EmptyDir /..\n', 2, 3, '.containers.c.setup[0]'],
  ['!CacheDirs key', 'setup:\n- !CacheDirs\n  /../x: name\n', 3, 3, '.containers.c.setup[0]./../x'],
  ['!CacheDirs name', 'setup:\n- !CacheDirs\n  /var/x: ../../..\n', 3, 11, '.containers.c.setup[0]./var/x'],
  ['!CacheDirs reserved', 'setup:\n- !CacheDirs\n  /var/x: debian\n', 3, 11, '.containers.c.setup[0]./var/x'],
  ['!Copy path', 'setup:\n- !Copy\n  source: /work/x\n  path: /../x\n', 4, 9, '.containers.c.setup[0].path'],
  ['!Tar path', 'setup:\n- !Tar\n  url: ./x.tar\n  path: /../../x\n', 4, 9, '.containers.c.setup[0].path'],
  ['!Download path', 'setup:\n- !Download\n  url: ./x\n  path: /../x\n', 4, 9, '.containers.c.setup[0].path'],
  ['!Git path', 'setup:\n- !Git\n  url: ./r\n  path: /../x\n', 4, 9, '.containers.c.setup[0].path'],
  ['!Build temporary-mount', 'setup:\n- !Build\n  container: b\n  source: /\n  temporary-mount: /../x\n', 5, 20, '.containers.c.setup[0].temporary-mount'],
  ['!Tar subdir', 'setup:\n- !Tar\n  url: ./x.tar\n  subdir: a/../../..\n', 4, 11, '.containers.c.setup[0].subdir'],
  ['!TarInstall subdir', 'setup:\n- !TarInstall\n  url: ./x.tar\n  subdir: ../x\n', 4, 11, '.containers.c.setup[0].subdir'],
  ['!GitInstall subdir', 'setup:\n- !GitInstall\n  url: ./r\n  subdir: ..\n', 4, 11, '.containers.c.setup[0].subdir'],
  ['!GitDescribe output-file', 'setup:\n- !GitDescribe\n  output-file: /../x\n', 3, 16, '.containers.c.setup[0].output-file'],
  ['resolv-conf-path', 'resolv-conf-path: /etc/../../x\n', 1, 19, '.containers.c.resolv-conf-path'],
  ['volume key', 'volumes:\n  /../x: !Tmpfs\n', 2, 3, '.containers.c.volumes./../x'],
  ['!BindRW source', 'volumes:\n  /mnt: !BindRW /work/../../home\n', 2, 9, '.containers.c.volumes./mnt'],
  ['!CacheDir name', 'volumes:\n  /mnt: !CacheDir ../..\n', 2, 9, '.containers.c.volumes./mnt'],
  ['data-dirs', 'data-dirs: [/../x]\n', 1, 13, '.containers.c.data-dirs[0]'],
  ['environ-file', 'environ-file: ../../etc/passwd\n', 1, 15, '.containers.c.environ-file'],
];

for (const [what, body, line, col, key] of HOSTILE) {
  test(`container path field refuses a .. above /: ${what}`, () => {
    const yaml = `containers:\n  c:\n${body.replace(/^/gm, '    ').replace(/ +$/, '')}`;
    const err = thrown(() => validateConfigFile(STEP_DEFS, q(yaml), []));
    assert.equal(err.exitCode, 126, err.message);
    assert.equal(err.keyPath, key, err.message);
    assert.deepEqual([err.pos?.line, err.pos?.col], [line + 2, col + 4], err.message);
    assert.match(err.message, /^\/virtual\/test\.yaml:\d+:\d+: Validation Error: /);
  });
}

test('command work-dir may not climb above /', () => {
  const err = thrown(() => validateConfigFile(STEP_DEFS, q('commands:\n  x: !Command\n    container: c\n    run: ls\n    work-dir: ../../..\n'), []));
  assert.equal(err.keyPath, '.commands.x.work-dir');
  assert.equal(err.pos?.line, 5);
  validateConfigFile(STEP_DEFS, q('commands:\n  x: !Command\n    container: c\n    run: ls\n    work-dir: sub/../other\n'), []);
});

test('cache names: relative, no .., none of vagga\'s own entries', () => {
  assert.equal(cacheNameProblem('npm'), undefined);
  assert.equal(cacheNameProblem('my/sub'), undefined);
  assert.equal(cacheNameProblem('debian-extra'), undefined);
  assert.match(cacheNameProblem('a/../..')!, /\.\./);
  for (const reserved of ['debian', 'downloads/x', 'git', 'ubuntu', 'alpine', '.builds', './unshare-maps.json']) {
    assert.match(cacheNameProblem(reserved)!, /reserved/, reserved);
  }
  // Regression (QA): "." and "./" mounted the whole cache dir read-write.
  for (const whole of ['.', './', './.']) assert.match(cacheNameProblem(whole)!, /whole cache dir/, whole);
  for (const own of ['code-cache-abc.bin', 'apt-archives-debian.lock']) assert.match(cacheNameProblem(own)!, /reserved/, own);
});

test('cache entries: links a build planted in the cache are followed inside it, never out or into trusted entries', () => {
  const cache = project({ 'debian/base.tar': 'trusted', 'mine/f': 'x' });
  const home = project({ 'secret.txt': 'secret' });
  symlinkSync(home, join(cache, 'mine/out'));
  symlinkSync('../debian', join(cache, 'mine/deb'));
  symlinkSync('..', join(cache, 'mine/up'));
  assert.deepEqual(cacheEntryPath(cache, 'mine'), { path: join(cache, 'mine') });
  const out = cacheEntryPath(cache, 'mine/out');
  assert.ok('path' in out && out.path.startsWith(`${cache}/`), JSON.stringify(out));
  assert.match((cacheEntryPath(cache, 'mine/deb') as { problem: string }).problem, /reserved.*leads there through a symlink/);
  assert.match((cacheEntryPath(cache, 'mine/up') as { problem: string }).problem, /whole cache dir/);
  assert.match((cacheEntryPath(cache, '') as { problem: string }).problem, /relative path/);
});

test('resolveLinksUnder: symlinks inside the root stay inside it (absolute, relative, .., loops)', () => {
  const root = project({ 'etc/real/f': 'x' });
  symlinkSync('/', join(root, 'etc/toroot'));
  symlinkSync('/../../../vagga/cache', join(root, 'etc/up'));
  symlinkSync('../../../../..', join(root, 'etc/rel'));
  symlinkSync('/etc/real', join(root, 'etc/abs'));
  symlinkSync('loop2', join(root, 'etc/loop1'));
  symlinkSync('loop1', join(root, 'etc/loop2'));
  assert.equal(resolveLinksUnder(root, '/etc/up/x'), join(root, 'vagga/cache/x'));
  assert.equal(resolveLinksUnder(root, '/etc/rel/home'), join(root, 'home'));
  assert.equal(resolveLinksUnder(root, '/etc/toroot/../..'), root);
  assert.equal(resolveLinksUnder(root, '/etc/abs/f'), join(root, 'etc/real/f'));
  assert.equal(resolveLinksUnder(root, '/etc/abs', { followLast: false }), join(root, 'etc/abs'));
  assert.equal(resolveLinksUnder(root, '/missing/../../x'), join(root, 'x'));
  assert.equal(resolveLinksUnder(root, '/etc/loop1/x'), undefined);
});

test('resolveProjectPath: symlinks out of the project are refused, with position and key when given', () => {
  const outside = project({ 'secret': 'canary' });
  const root = project({ 'in/file': 'ok' });
  symlinkSync(outside, join(root, 'homelink'));
  symlinkSync('in', join(root, 'inlink'));
  symlinkSync('../..', join(root, 'in/up'));
  assert.equal(resolveProjectPath(root, 'inlink/file', { key: 'url' }), join(root, 'in/file'));
  assert.equal(resolveProjectPath(root, 'missing/x', { key: 'url' }), join(root, 'missing/x'));
  const plain = thrown(() => resolveProjectPath(root, 'homelink/secret', { key: 'url' }));
  assert.equal(plain.exitCode, 126);
  assert.match(plain.message, /^url: "homelink\/secret" resolves to ".*", outside the project/);
  assert.doesNotMatch(plain.message, /canary/);
  const located = thrown(() => resolveProjectPath(root, 'in/up/x', { key: '.containers.c.volumes./m', pos: { file: 'vagga.yaml', line: 3, col: 5 } }));
  assert.match(located.message, /^vagga\.yaml:3:5: Validation Error: .*outside the project[^]*Decode error at \.containers\.c\.volumes\.\/m/);
  assert.throws(() => resolveProjectPath(root, `${root}/../x`, { key: 'k' }), /outside the project/);
  // An allowed directory (external volume) is accepted, symlinks to it included.
  assert.equal(resolveProjectPath(root, 'homelink/secret', { key: 'k' }, [outside]), join(outside, 'secret'));
});

test('includes and mixins may not follow a symlink out of the project', () => {
  const outside = project({ 'evil.yaml': 'containers: {}\n' });
  const root = project({
    'vagga.yaml': 'mixins: [linked.yaml]\ncontainers:\n  c: !*Include inc.yaml\n',
  });
  symlinkSync(join(outside, 'evil.yaml'), join(root, 'inc.yaml'));
  symlinkSync(join(outside, 'evil.yaml'), join(root, 'linked.yaml'));
  const err = thrown(() => readQuireFile(join(root, 'vagga.yaml')));
  assert.match(err.message, /vagga\.yaml:3:6: Validation Error: "[^"]*inc\.yaml" resolves to .* outside the project[^]*Decode error at !\*Include/);
  writeFileSync(join(root, 'vagga.yaml'), 'mixins: [linked.yaml]\ncontainers:\n  c: {setup: []}\n');
  mkdirSync(join(root, 'sub'));
  const cfg = loadConfig(STEP_DEFS, root);
  assert.ok(cfg.warnings.some((w) => /Skipping mixin "linked\.yaml" listed in .*vagga\.yaml:1:10: mixins\[0\]: .* outside the project/.test(w)), cfg.warnings.join('\n'));
  assert.ok(!cfg.files.some((f) => f.startsWith(outside)));
});

test('bind sources: a project symlink to home is refused at the volume, an external volume is allowed', () => {
  const home = project({ '.ssh/id': 'canary' });
  const root = project({ 'data/x': '' });
  symlinkSync(home, join(root, 'homelink'));
  const settings = { buildLockWait: false, proxyEnvVars: false, propagateEnviron: [], environ: {}, externalVolumes: { ext: home } };
  const site = { key: '.containers.c.volumes./mnt', pos: { file: join(root, 'vagga.yaml'), line: 7, col: 7 } };
  assert.equal(bindSource('/work/data', root, settings, site), join(root, 'data'));
  const err = thrown(() => bindSource('/work/homelink', root, settings, site));
  assert.match(err.message, /vagga\.yaml:7:7: Validation Error: .*outside the project[^]*Decode error at \.containers\.c\.volumes\.\/mnt/);
  assert.throws(() => bindSource('/work/homelink/.ssh/id', root, settings, site), /outside the project/);
  assert.equal(bindSource('/volumes/ext/.ssh', root, settings, site), join(home, '.ssh'));
});

test('vagga.yaml and project settings files linked out of the project are refused unread (QA: a key of ~/.secret was printed)', () => {
  const home = project({ 'secret.yaml': 'aws_secret_XYZ: hunter2\n' });
  const a = project({});
  symlinkSync(join(home, 'secret.yaml'), join(a, 'vagga.yaml'));
  const e1 = thrown(() => loadConfig(STEP_DEFS, a));
  assert.equal(e1.exitCode, 126);
  assert.match(e1.message, /vagga\.yaml: .* resolves to .*outside the project/);
  assert.doesNotMatch(e1.message, /aws_secret/);
  const b = project({ 'vagga.yaml': 'containers:\n  c: {setup: []}\n' });
  symlinkSync(join(home, 'secret.yaml'), join(b, '.vagga.settings.yaml'));
  const e2 = thrown(() => loadSettings(b, { HOME: home }));
  assert.match(e2.message, /\.vagga\.settings\.yaml: .* resolves to .*outside the project/);
  assert.doesNotMatch(e2.message, /aws_secret/);
});

test('a !Persistent volume name that is not a plain directory name is a located config error', () => {
  const err = thrown(() => validateConfigFile(STEP_DEFS, q('containers:\n  c:\n    setup: []\n    volumes:\n      /p: !Persistent ../../other\n'), []));
  assert.equal(err.exitCode, 126);
  assert.equal(err.pos?.line, 5);
  assert.match(err.message, /must be a plain directory name/);
});
