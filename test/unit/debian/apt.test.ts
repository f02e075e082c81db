import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  aptAutoremoveArgv,
  aptMarkManualArgv,
  autoInstalledPackages,
  installedPackages,
  aptInstallArgv,
  aptListsCacheName,
  aptMarkAutoArgv,
  aptUpdateArgv,
  buildDepsToRemove,
  debianConfigFiles,
  packageName,
  sourcesListText,
} from '../../../src/steps/debian/apt.js';
import { mirrorKey } from '../../../src/steps/debian/mirror.js';

test('apt argv', () => {
  assert.deepEqual(aptUpdateArgv(), ['apt-get', 'update', '-q']);
  assert.deepEqual(aptInstallArgv(['hello', 'bc=1.07.1-3+b1']), [
    'apt-get', 'install', '-y', '-q', '--no-install-recommends', '-o', 'APT::Keep-Downloaded-Packages=true', 'hello', 'bc=1.07.1-3+b1',
  ]);
  assert.deepEqual(aptMarkAutoArgv(['gcc', 'make']), ['apt-mark', 'auto', 'gcc', 'make']);
  assert.deepEqual(aptAutoremoveArgv(), [
    'apt-get', 'autoremove', '--purge', '-y', '-q',
    '-o', 'APT::AutoRemove::SuggestsImportant=false', '-o', 'APT::AutoRemove::RecommendsImportant=false',
  ]);
  assert.deepEqual(aptMarkManualArgv(['libssl3']), ['apt-mark', 'manual', 'libssl3']);
  const status = 'Package: a\nStatus: install ok installed\n\nPackage: b\nStatus: deinstall ok config-files\n\nPackage: c\nVersion: 1\nStatus: hold ok installed\n';
  assert.deepEqual([...installedPackages(status)], ['a', 'c']);
  assert.deepEqual([...installedPackages('')], []);
  const ext = 'Package: x\nArchitecture: amd64\nAuto-Installed: 1\n\nPackage: y\nArchitecture: amd64\nAuto-Installed: 0\n';
  assert.deepEqual([...autoInstalledPackages(ext)], ['x']);
});

test('packageName strips version and release suffixes', () => {
  assert.equal(packageName('bc'), 'bc');
  assert.equal(packageName('bc=1.06.95-9build1'), 'bc');
  assert.equal(packageName('bc>=1.06'), 'bc');
  assert.equal(packageName('hello/bookworm'), 'hello');
  assert.equal(packageName('libc6:amd64=2.36-9'), 'libc6:amd64');
  assert.equal(packageName('libstdc++-12-dev'), 'libstdc++-12-dev');
});

test('buildDepsToRemove keeps packages that were !Install-ed', () => {
  assert.deepEqual(buildDepsToRemove(['gcc', 'make=4.3-4.1', 'bc', 'gcc'], new Set(['bc'])), ['gcc', 'make']);
  assert.deepEqual(buildDepsToRemove([], new Set()), []);
  assert.deepEqual(buildDepsToRemove(['bc>=1'], new Set(['bc'])), []);
});

test('sources.list and config files', () => {
  assert.equal(sourcesListText('http://mirror.example/debian', 'bookworm'), "# Written by vagga's !Debian step\ndeb http://mirror.example/debian bookworm main\n");
  const files = new Map(debianConfigFiles('http://mirror.example/debian', 'trixie').map((f) => [f.path, f]));
  assert.match(files.get('etc/apt/sources.list')!.content, /^deb http:\/\/mirror\.example\/debian trixie main$/m);
  assert.match(files.get('etc/apt/apt.conf.d/00vagga')!.content, /APT::Install-Recommends "false";\nAPT::Install-Suggests "false";/);
  assert.match(files.get('etc/dpkg/dpkg.cfg.d/00vagga-unsafe-io')!.content, /^force-unsafe-io$/m);
  const policy = files.get('usr/sbin/policy-rc.d')!;
  assert.equal(policy.content, '#!/bin/sh\nexit 101\n');
  assert.equal(policy.mode, 0o755);
});

test('lists cache is per suite and mirror', () => {
  assert.equal(aptListsCacheName('bookworm', 'http://mirror.example/debian'), `apt-lists-debian-bookworm-${mirrorKey('http://mirror.example/debian')}`);
  assert.notEqual(aptListsCacheName('bookworm', 'http://a.example/debian'), aptListsCacheName('bookworm', 'http://b.example/debian'));
  assert.notEqual(aptListsCacheName('bookworm', 'http://a.example/debian'), aptListsCacheName('trixie', 'http://a.example/debian'));
});
