import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import {
  codenameFromRelease, findUbuntuKeyring, planUbuntuBootstrap, resolveUbuntuMirror, ubuntuConfigFiles, ubuntuSource, ubuntuSourcesListText,
} from '../../../src/steps/ubuntu/plan.js';
import { ppaUrl } from '../../../src/steps/ubuntu/steps.js';
import { aptRepoSource } from '../../../src/steps/repo.js';
import {
  parseAptRepoName, repoLine, repoListFileName, requestAptUpdate, universeListText,
} from '../../../src/steps/debian/repos.js';
import { aptTrustKeyringPath, aptTrustScript, isKeyId } from '../../../src/steps/debian/apt-trust.js';
import { stepDef } from '../../../src/steps/registry.js';
import { activateDistro } from '../../../src/steps/debian/distro.js';
import { fakeContext, type FakeContext } from '../steps/fake-context.js';

const MIRROR = 'http://mirror.example/ubuntu';

function vaggaError(fn: () => unknown): VaggaError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof VaggaError, String(e));
    return e;
  }
  assert.fail('expected a VaggaError');
}

test('ubuntu-mirror: required, named in the error with where to set it; normalized when given', () => {
  const e = vaggaError(() => resolveUbuntuMirror(undefined));
  assert.equal(e.exitCode, 121);
  assert.match(e.message, /`ubuntu-mirror` setting is not set/);
  assert.match(e.hint ?? '', /settings\.yaml/);
  assert.match(vaggaError(() => resolveUbuntuMirror('ftp://x/')).message, /must be an http/);
  assert.equal(resolveUbuntuMirror(' http://mirror.example/ubuntu/ '), MIRROR);
});

test('!UbuntuRelease source: url > codename > version (YY.MM, also with point release)', () => {
  assert.deepEqual(ubuntuSource({ codename: 'jammy' }), { kind: 'bootstrap', codename: 'jammy' });
  assert.deepEqual(ubuntuSource({ version: '14.04' }), { kind: 'bootstrap', codename: 'trusty' });
  assert.deepEqual(ubuntuSource({ version: '16.04.7' }), { kind: 'bootstrap', codename: 'xenial' });
  assert.deepEqual(ubuntuSource({ url: 'http://x.example/r.tar.gz', codename: 'xenial' }), { kind: 'tarball', url: 'http://x.example/r.tar.gz', codename: 'xenial' });
  assert.match(vaggaError(() => ubuntuSource({ version: '13.13' })).message, /Unknown Ubuntu version "13.13"/);
  assert.match(vaggaError(() => ubuntuSource({})).message, /needs one of `codename`, `version` or `url`/);
});

test('mmdebstrap plan for Ubuntu: unshare mode, minbase, arch, main+restricted, keyring, https adds ca-certificates', () => {
  assert.deepEqual(planUbuntuBootstrap({ codename: 'jammy', arch: 'amd64', mirror: MIRROR, keyring: '/k.gpg', output: '/c/o.tar', asRoot: false }), [
    '--mode=unshare', '--variant=minbase', '--format=tar', '--architectures=amd64', '--components=main,restricted', '--keyring=/k.gpg',
    'jammy', '/c/o.tar', MIRROR,
  ]);
  const https = planUbuntuBootstrap({ codename: 'xenial', arch: 'i386', mirror: 'https://mirror.example/ubuntu', keyring: '/k', output: '/o.tar', asRoot: true });
  assert.equal(https[0], '--mode=root');
  assert.ok(https.includes('--architectures=i386'));
  assert.ok(https.includes('--include=ca-certificates'));
});

test('Ubuntu keyring: first existing candidate, else an error naming the files and the package', () => {
  assert.equal(findUbuntuKeyring((p) => p.endsWith('2018-archive.gpg')), '/etc/apt/trusted.gpg.d/ubuntu-keyring-2018-archive.gpg');
  const e = vaggaError(() => findUbuntuKeyring(() => false));
  assert.match(e.hint ?? '', /ubuntu-keyring/);
  assert.match(e.hint ?? '', /\/usr\/share\/keyrings\/ubuntu-archive-keyring\.gpg/);
});

test('sources.list is Vagga\'s: codename, -updates, -security with main restricted; other apt config kept', () => {
  assert.equal(ubuntuSourcesListText(MIRROR, 'focal').split('\n').filter((l) => l.startsWith('deb')).join('\n'), [
    `deb ${MIRROR} focal main restricted`,
    `deb ${MIRROR} focal-updates main restricted`,
    `deb ${MIRROR} focal-security main restricted`,
  ].join('\n'));
  const files = ubuntuConfigFiles(MIRROR, 'focal');
  assert.match(files.find((f) => f.path === 'etc/apt/sources.list')!.content, /focal-security main restricted/);
  assert.equal(files.find((f) => f.path === 'usr/sbin/policy-rc.d')!.content, '#!/bin/sh\nexit 101\n');
  assert.equal(universeListText(MIRROR, 'focal'), `deb ${MIRROR} focal universe\ndeb ${MIRROR} focal-updates universe\ndeb ${MIRROR} focal-security universe\n`);
});

test('codename from os-release / lsb-release', () => {
  assert.equal(codenameFromRelease('NAME="Ubuntu"\nVERSION_CODENAME=jammy\n'), 'jammy');
  assert.equal(codenameFromRelease('DISTRIB_ID=Ubuntu\nDISTRIB_CODENAME=trusty\n'), 'trusty');
  assert.equal(codenameFromRelease('NAME=x\n'), undefined);
});

test('!UbuntuRepo list file names match Vagga\'s (inventory §2.1 vector) and lines carry [trusted=yes]', () => {
  assert.equal(repoListFileName(undefined, 'xenial', ['universe']), '8afb3430-xenial.list');
  assert.notEqual(repoListFileName(MIRROR, 'xenial', ['universe']), '8afb3430-xenial.list'); // url is hashed when written
  assert.equal(repoLine({ url: MIRROR, suite: 'vagga', components: ['main'], trusted: true }), `deb [trusted=yes] ${MIRROR} vagga main`);
  assert.equal(repoLine({ url: MIRROR, suite: 'xenial', components: ['main', 'universe'] }), `deb ${MIRROR} xenial main universe`);
  assert.equal(ppaUrl('hansjorg/rust', 'http://ppa.example/'), 'http://ppa.example/hansjorg/rust/ubuntu');
  assert.throws(() => ppaUrl('hansjorg/rust', undefined), /ubuntu-ppa-mirror/);
});

test('!Repo names on apt distributions', () => {
  assert.deepEqual(parseAptRepoName('contrib', 'bookworm'), { suite: 'bookworm', component: 'contrib' });
  assert.deepEqual(parseAptRepoName('bookworm-updates/main', 'bookworm'), { suite: 'bookworm-updates', component: 'main' });
  assert.deepEqual(parseAptRepoName('-backports/main', 'bookworm'), { suite: 'bookworm-backports', component: 'main' });
  assert.throws(() => parseAptRepoName('a/b/c', 'bookworm'), /Cannot parse repository name "a\/b\/c"/);
  assert.throws(() => parseAptRepoName('x y', 'bookworm'), /Cannot parse/);
  // Ubuntu: a bare component gets the three suites, like !UbuntuUniverse; Debian only the suite.
  assert.equal(aptRepoSource('universe', 'ubuntu', 'focal', MIRROR).text.split('\n').filter(Boolean).length, 3);
  assert.deepEqual(aptRepoSource('contrib', 'debian', 'bookworm', MIRROR), {
    file: 'vagga-repo-bookworm-contrib.list', text: `deb ${MIRROR} bookworm contrib\n`,
  });
  assert.deepEqual(aptRepoSource('bookworm-updates/main', 'debian', 'bookworm', MIRROR), {
    file: 'vagga-repo-bookworm-updates-main.list', text: `deb ${MIRROR} bookworm-updates main\n`,
  });
});

test('!AptTrust plan: key ids validated, stable keyring path, gpg script with a throw-away home', () => {
  assert.ok(isKeyId('0x1655A0AB68576280'));
  assert.ok(isKeyId('9DA31620334BD75D9DCB49F368818C72E52529D4'));
  assert.ok(!isKeyId('abc; rm -rf /'));
  const path = aptTrustKeyringPath('hkps://keys.example:443', ['68576280']);
  assert.match(path, /^\/etc\/apt\/trusted\.gpg\.d\/vagga-[0-9a-f]{8}\.gpg$/);
  assert.equal(path, aptTrustKeyringPath('hkps://keys.example:443', ['68576280']));
  assert.notEqual(path, aptTrustKeyringPath('hkps://keys.example:443', ['68576281']));
  const script = aptTrustScript("hkp://it's", ['68576280'], path);
  assert.match(script, /--keyserver 'hkp:\/\/it'\\''s' --recv-keys 68576280/);
  assert.match(script, new RegExp(`--export 68576280 > '${path.replace(/\./g, '\\.')}'`));
  assert.match(script, /GNUPGHOME="\$\(mktemp -d\)"/);
});

function withDistro(name: string, suite = 'bookworm', mirror = MIRROR): FakeContext {
  const ctx = fakeContext();
  activateDistro(ctx, { name, suite, mirror });
  return ctx;
}

test('!UbuntuUniverse and !UbuntuPPA write their list files on Ubuntu, and are refused on Debian', async () => {
  const ctx = withDistro('ubuntu', 'focal');
  try {
    ctx.state.set('debian.apt', { updated: true });
    await stepDef('UbuntuUniverse')!.build!(null, ctx);
    assert.equal(readFileSync(join(ctx.root, 'etc/apt/sources.list.d/universe.list'), 'utf8'), universeListText(MIRROR, 'focal'));
    assert.equal((ctx.state.get('debian.apt') as { updated: boolean }).updated, false, 'the next install runs apt-get update');
    ctx.settings = { ...ctx.settings, ubuntuPpaMirror: 'http://ppa.example' };
    await stepDef('UbuntuPPA')!.build!('user/ppa', ctx);
    const name = repoListFileName(ppaUrl('user/ppa', 'http://ppa.example'), 'focal', ['main']);
    assert.equal(readFileSync(join(ctx.root, 'etc/apt/sources.list.d', name), 'utf8'), `deb ${ppaUrl('user/ppa', 'http://ppa.example')} focal main\n`);
    await assert.rejects(stepDef('UbuntuPPA')!.build!('no-slash', ctx), /expects "user\/ppa-name"/);
  } finally { ctx.cleanup(); }
  const deb = withDistro('debian');
  try {
    await assert.rejects(stepDef('UbuntuUniverse')!.build!(null, deb), /step must be used on "ubuntu" but used on "debian" distribution instead/);
  } finally { deb.cleanup(); }
});

test('!UbuntuRepo and !Repo also work on Debian; on Alpine the apt steps are refused; no distro -> the usual error', async () => {
  const ctx = withDistro('debian');
  try {
    await stepDef('UbuntuRepo')!.build!({ suite: 'bookworm-backports', components: ['main'], trusted: false }, ctx);
    const name = repoListFileName(undefined, 'bookworm-backports', ['main']);
    assert.equal(readFileSync(join(ctx.root, 'etc/apt/sources.list.d', name), 'utf8'), `deb ${MIRROR} bookworm-backports main\n`);
    await stepDef('Repo')!.build!('contrib', ctx);
    assert.equal(readFileSync(join(ctx.root, 'etc/apt/sources.list.d/vagga-repo-bookworm-contrib.list'), 'utf8'), `deb ${MIRROR} bookworm contrib\n`);
  } finally { ctx.cleanup(); }
  const alp = withDistro('alpine', 'v3.18', 'http://mirror.example/alpine/');
  try {
    await assert.rejects(stepDef('UbuntuRepo')!.build!({ components: ['main'], trusted: false }, alp), /step must be used on "ubuntu" but used on "alpine"/);
    await assert.rejects(stepDef('AptTrust')!.build!({ keys: ['68576280'] }, alp), /step must be used on "ubuntu" but used on "alpine"/);
  } finally { alp.cleanup(); }
  const none = fakeContext();
  try {
    await assert.rejects(stepDef('Repo')!.build!('contrib', none), /requires some linux distribution to be active/);
  } finally { none.cleanup(); }
});

test('!AptTrust: bad key ids are refused before anything runs; a failing keyserver gives a clear error', async () => {
  const ctx = withDistro('debian');
  try {
    await assert.rejects(stepDef('AptTrust')!.build!({ keys: ['nothex'] }, ctx), /"nothex" is not a key id/);
    const runs: string[][] = [];
    ctx.state.set('debian.apt', { updated: true, mapsChecked: true, installed: new Set(), buildDeps: [], finishRegistered: true });
    ctx.run = async (argv) => {
      runs.push(argv);
      if (argv[0] === '/bin/sh') throw new Error('command exited with status 2');
    };
    // aptInstall takes the shared cache lock under ctx.cacheDir.
    mkdirSync(ctx.cacheDir, { recursive: true });
    await assert.rejects(stepDef('AptTrust')!.build!({ server: 'hkp://127.0.0.1:9', keys: ['68576280'] }, ctx), (e: VaggaError) => {
      assert.equal(e.exitCode, 121);
      assert.match(e.message, /could not receive keys 68576280 from the keyserver hkp:\/\/127\.0\.0\.1:9/);
      assert.match(e.hint ?? '', /server:/);
      return true;
    });
    assert.deepEqual(runs[0]!.slice(0, 3), ['apt-get', 'install', '-y']);
    assert.ok(runs[0]!.includes('gnupg') && runs[0]!.includes('dirmngr'));
    assert.equal(runs[1]![0], '/bin/sh');
  } finally { ctx.cleanup(); }
});

test('requestAptUpdate is a no-op before apt ran', () => {
  const ctx = fakeContext();
  try {
    requestAptUpdate(ctx);
    assert.equal(ctx.state.get('debian.apt'), undefined);
  } finally { ctx.cleanup(); }
});

test('Ubuntu build: missing ubuntu-mirror fails first, naming the setting', async () => {
  const ctx = fakeContext();
  try {
    await assert.rejects(stepDef('Ubuntu')!.build!('jammy', ctx), /`ubuntu-mirror` setting is not set/);
    await assert.rejects(stepDef('Ubuntu')!.prepare!('jammy', { projectRoot: ctx.projectRoot, cacheDir: ctx.cacheDir, settings: ctx.settings, log: ctx.log, signal: new AbortController().signal }), /`ubuntu-mirror`/);
  } finally { ctx.cleanup(); }
});

test('Ubuntu prepare without the keyring fails clearly (this host has no ubuntu-keyring)', async (t) => {
  if (['/usr/share/keyrings/ubuntu-archive-keyring.gpg', '/etc/apt/trusted.gpg.d/ubuntu-keyring-2018-archive.gpg'].some(existsSync)) return t.skip('host has an Ubuntu keyring');
  const ctx = fakeContext();
  try {
    const settings = { ...ctx.settings, ubuntuMirror: MIRROR };
    await assert.rejects(stepDef('Ubuntu')!.prepare!('jammy', { projectRoot: ctx.projectRoot, cacheDir: ctx.cacheDir, settings, log: ctx.log, signal: new AbortController().signal }),
      /archive signing keys were not found/);
  } finally { ctx.cleanup(); }
});

test('Ubuntu build from a cached base: configures apt, chfn, distro state (tarball made with tar)', async (t) => {
  const ctx = fakeContext();
  try {
    ctx.settings = { ...ctx.settings, ubuntuMirror: `${MIRROR}/` };
    // A tiny "base": os-release and a chfn binary.
    const src = join(ctx.projectRoot, 'base');
    mkdirSync(join(src, 'etc'), { recursive: true });
    mkdirSync(join(src, 'usr/bin'), { recursive: true });
    writeFileSync(join(src, 'etc/os-release'), 'VERSION_CODENAME=jammy\n');
    writeFileSync(join(src, 'usr/bin/chfn'), 'binary');
    const { ubuntuTarballPath } = await import('../../../src/steps/ubuntu/bootstrap.js');
    const tarball = ubuntuTarballPath(ctx.cacheDir, 'jammy', 'amd64', MIRROR);
    mkdirSync(join(tarball, '..'), { recursive: true });
    const { spawnSync } = await import('node:child_process');
    assert.equal(spawnSync('tar', ['-C', src, '-cf', tarball, '.']).status, 0);
    // The build checks that this process's id map can hold a Debian-style root (true for real root).
    const userns = await import('../../../src/steps/debian/userns.js');
    if (userns.debianIdMapProblem(readFileSync('/proc/self/uid_map', 'utf8'), readFileSync('/proc/self/gid_map', 'utf8'), '') !== undefined) return t.skip('needs a full id map (run as root)');
    await stepDef('Ubuntu')!.build!('jammy', ctx);
    assert.match(readFileSync(join(ctx.root, 'etc/apt/sources.list'), 'utf8'), new RegExp(`deb ${MIRROR} jammy-updates main restricted`));
    assert.equal(readlinkSync(join(ctx.root, 'usr/bin/chfn')), '/bin/true');
    assert.deepEqual(ctx.state.get('distro'), { name: 'ubuntu', suite: 'jammy', mirror: MIRROR });
    assert.equal(ctx.state.get('apt.eatmydata'), true);
    assert.equal(ctx.env.DEBIAN_FRONTEND, 'noninteractive');
  } finally { ctx.cleanup(); }
});
