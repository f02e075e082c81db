/**
 * Every test vector of vagga-inventory.md §2.1 (hashes real Vagga's tests assert), built
 * through the real step schemas. Pure hashing: nothing is downloaded or built.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import type { StepConfig } from '../../../src/config/model.js';
import { containerVersion } from '../../../src/version/container-version.js';
import { config, container, step } from './helpers.js';
import { STEP_DEFS } from '../../../src/steps/registry.js';

function short(setup: StepConfig[], others: ReturnType<typeof container>[] = [], projectRoot?: string): string {
  return containerVersion(STEP_DEFS, config([container('x', setup), ...others], projectRoot), 'x').hash.slice(0, 8);
}

const SHAKESPEARE = 'Sir, in my heart there was a kind of fighting\nThat would not let me sleep.\n';

test('distribution bootstraps', () => {
  assert.equal(short([step('Alpine', 'v3.4')]), 'd304a005');
  assert.equal(short([step('Alpine', 'v3.15')]), '86210ade');
  assert.equal(containerVersion(STEP_DEFS, config([container('x', [step('Alpine', 'v3.3')])]), 'x').hash,
    '4eaca212aa896f46307828745d58180d103f129545038b554912ee735cce20c9a710d3966bb5f9cabae28c8370effd13bf81e6b4af48d300dd3a2ee0c54bfbd7');
});

test('Alpine + !Install [bc] for each version', () => {
  const expected: Record<string, string> = {
    'v3.2': 'a90f78f7', 'v3.3': '6d1f54ef', 'v3.4': '519f0af9', 'v3.5': 'd6315e30', 'v3.7': 'ad28fb34', 'v3.15': '9826f0b8',
  };
  for (const [ver, hash] of Object.entries(expected)) {
    assert.equal(short([step('Alpine', ver), step('Install', ['bc'])]), hash, ver);
  }
});

test('!Text, with and without a distribution', () => {
  assert.equal(short([step('Alpine', 'v3.4'), step('Text', { '/etc/shakespeare': SHAKESPEARE })]), 'efc9a869');
  assert.equal(short([step('Text', { '/etc/hello.txt': 'Hello world!' })]), '0ae0aab6');
  // Keys are hashed in path order, whatever the order written.
  assert.equal(short([step('Text', { '/etc/hello.txt': 'Hello world!', '/etc/bye.txt': 'Good bye!' })]), '84b3175b');
  assert.equal(short([step('Text', { '/etc/bye.txt': 'Good bye!', '/etc/hello.txt': 'Hello world!' })]), '84b3175b');
  assert.equal(short([step('Text', { '/etc/hello.txt': 'Hi world!' })]), '079e4655');
  assert.equal(short([step('EnsureDir', '/var/lib'), step('Text', { '/var/lib/question.txt': 'To be or not to be?' })]), 'fb9b6868');
});

test('!Tar and !Download', () => {
  assert.equal(short([step('Tar', { url: './tmp.tar.gz' })]), 'e66f72fd');
  assert.equal(short([
    step('Download', { url: 'http://files.zerogw.com/vagga/vagga-0.4.0.tar.xz', path: '/work/vagga-0.4.0.tar.xz' }),
    step('Tar', { url: './vagga-0.4.0.tar.xz', subdir: 'vagga', path: '/usr/lib/vagga' }),
  ]), '03319fd2');
});

test('!CacheDirs and !EnsureDir', () => {
  assert.equal(short([step('Alpine', 'v3.4'), step('CacheDirs', { '/var/cache': 'var-cache' })]), '2090f8c2');
  assert.equal(short([step('Alpine', 'v3.4'), step('EnsureDir', '/var/lib/mount_point'), step('EnsureDir', '/var/lib/mount_point/subdir')]), '998c9d5b');
});

test('!Container inlines the parent steps', () => {
  assert.equal(short([step('Container', 'base'), step('Install', ['bc'])], [container('base', [step('Alpine', 'v3.4')])]), '5af5e7a3');
});

test('Ubuntu vectors', () => {
  assert.equal(short([step('Ubuntu', 'trusty'), step('Install', ['bc'])]), '010798c2');
  assert.equal(short([step('UbuntuRelease', { codename: 'xenial', arch: 'i386' }), step('Install', ['bc'])]), '30fb2ea2');
  assert.equal(short([step('UbuntuRelease', { version: '14.04' }), step('Install', ['bc'])]), '22dbaca2');
  // eatmydata is not hashed.
  assert.equal(short([step('UbuntuRelease', { version: '14.04', eatmydata: false }), step('Install', ['bc'])]), '22dbaca2');
});

test('!NpmInstall and !NpmDependencies', () => {
  assert.equal(short([step('NpmInstall', ['resolve-cli'])]), 'e76ae0ec');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vnpm-'));
  try {
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({
      dependencies: { classnames: '2.2' }, devDependencies: { resolve: '1.1.7' },
    }));
    assert.equal(short([step('Alpine', 'v3.9'), step('NpmDependencies', { dev: false })], [], dir), 'f9fadad7');
    assert.notEqual(short([step('Alpine', 'v3.9'), step('NpmDependencies', {})], [], dir), 'f9fadad7');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('!GitDescribe hashes the describe output', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vgit-'));
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@e', '-c', 'init.defaultBranch=main', ...args], { cwd: dir, stdio: 'pipe' });
  try {
    git('init', '-q');
    fs.writeFileSync(path.join(dir, 'f'), 'x');
    git('add', 'f');
    git('commit', '-q', '-m', 'one');
    git('tag', '-a', '-m', 'v', 'v0.0.1');
    assert.equal(short([step('GitDescribe', '/version.txt')], [], dir), '022317fb');
    fs.writeFileSync(path.join(dir, 'f'), 'y');
    git('commit', '-q', '-am', 'two');
    assert.notEqual(short([step('GitDescribe', '/version.txt')], [], dir), '022317fb');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
