/**
 * The launch cache's file handling (src/runtime/launch-cache.ts): where a description lives,
 * what makes it valid (arguments, cwd, environment, key inputs), and that one not owned by the
 * user or writable by others is never used. The e2e side (a real warm run and invalidation by
 * each kind of input) is test/e2e/warm-launch.test.ts.
 */
import { strict as assert } from 'node:assert';
import { chmodSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  envHash, hash53, inputState, launchFile, LAUNCH_FORMAT, readLaunch, staleInputs, writeLaunch, type LaunchDescription,
} from '../../../src/runtime/launch-cache.js';
import { tempDir } from '../temp-dir.js';

test('hash53 is deterministic, seeded, 14 hex digits; envHash ignores variable order and the ignored names', () => {
  assert.equal(envHash({ A: '1', _: '/x' }, ['_']), envHash({ A: '1', _: '/y' }, ['_']));
  assert.equal(envHash({ A: '1', _: '/x' }, ['_']), envHash({ A: '1' }, ['_']));
  assert.equal(hash53('abc'), hash53('abc'));
  assert.notEqual(hash53('abc'), hash53('abd'));
  assert.notEqual(hash53('abc', 1), hash53('abc', 2));
  assert.match(hash53(''), /^[0-9a-f]{14}$/);
  assert.equal(envHash({ A: '1', B: '2' }), envHash({ B: '2', A: '1' }));
  assert.notEqual(envHash({ A: '1' }), envHash({ A: '1', B: '' }));
  assert.notEqual(envHash({ A: '1' }), envHash({ A: '2' }));
});

test('launchFile: under XDG_CACHE_HOME when absolute, else HOME/.cache; one file per uid, cwd and argv', () => {
  assert.match(launchFile(['x'], '/p', 1, { XDG_CACHE_HOME: '/c', HOME: '/h' }), /^\/c\/vagga\/launch\/[0-9a-f]{28}\.json$/);
  assert.match(launchFile(['x'], '/p', 1, { XDG_CACHE_HOME: 'rel', HOME: '/h' }), /^\/h\/\.cache\/vagga\/launch\//);
  const a = launchFile(['x'], '/p', 1, { HOME: '/h' });
  assert.notEqual(a, launchFile(['y'], '/p', 1, { HOME: '/h' }));
  assert.notEqual(a, launchFile(['x'], '/q', 1, { HOME: '/h' }));
  assert.notEqual(a, launchFile(['x'], '/p', 2, { HOME: '/h' }));
});

test('inputState: stat, inode and link kinds; null when missing; staleInputs lists what changed', () => {
  const dir = tempDir('launch-key-');
  const f = join(dir, 'f');
  writeFileSync(f, 'one');
  symlinkSync('target-a', join(dir, 'l'));
  const key = { [`s:${f}`]: inputState(`s:${f}`), [`i:${dir}`]: inputState(`i:${dir}`), [`l:${join(dir, 'l')}`]: inputState(`l:${join(dir, 'l')}`), [`s:${join(dir, 'missing')}`]: null };
  assert.match(key[`s:${f}`]!, /^3:\d+:\d+$/);
  assert.equal(key[`i:${dir}`], String(statSync(dir).ino));
  assert.match(key[`l:${join(dir, 'l')}`]!, /^\d+:target-a$/);
  assert.deepEqual(staleInputs(key), []);
  writeFileSync(f, 'three');
  symlinkSync('target-b', join(dir, 'l2'));
  renameSync(join(dir, 'l2'), join(dir, 'l'));
  writeFileSync(join(dir, 'missing'), '');
  assert.deepEqual(staleInputs(key).sort(), [`l:${join(dir, 'l')}`, `s:${f}`, `s:${join(dir, 'missing')}`].sort());
});

test('readLaunch: valid only for the same argv, cwd, environment and key; never one writable by others', () => {
  const dir = tempDir('launch-read-');
  const input = join(dir, 'vagga.yaml');
  writeFileSync(input, 'x');
  const env = { HOME: dir, XDG_CACHE_HOME: join(dir, 'cache'), PATH: '/bin' };
  const uid = process.getuid!();
  const d: LaunchDescription = {
    format: LAUNCH_FORMAT, uid, cwd: dir, argv: ['_run', 'c', 'true'], env: envHash(env), envIgnored: [],
    key: { [`s:${input}`]: inputState(`s:${input}`) },
    spec: { mounts: [], argv: ['true'], env: {}, cwd: '/work', idMapping: { uids: [], gids: [] }, allCaps: true, shareNet: true, init: true },
    rootfs: '/nowhere/root',
  };
  writeLaunch(d, env);
  const file = launchFile(d.argv, dir, uid, env);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(readLaunch(d.argv, dir, env), d);
  assert.equal(readLaunch(['_run', 'c', 'false'], dir, env), undefined, 'other arguments');
  assert.equal(readLaunch(d.argv, '/', env), undefined, 'other cwd');
  assert.equal(readLaunch(d.argv, dir, { ...env, X: '1' }), undefined, 'another variable');
  assert.equal(readLaunch(d.argv, dir, { ...env, SHLVL: '2' }), undefined, 'a volatile variable absent when it was written');
  const withShlvl = { ...env, SHLVL: '1' };
  writeLaunch({ ...d, env: envHash(withShlvl, ['SHLVL']), envIgnored: ['SHLVL'] }, withShlvl);
  assert.notEqual(readLaunch(d.argv, dir, { ...env, SHLVL: '5' }), undefined, 'an ignored volatile variable may change');
  assert.equal(readLaunch(d.argv, dir, { ...env, SHLVL: '5', X: '1' }), undefined, 'the others still count');
  writeLaunch(d, env);
  assert.equal(readLaunch(d.argv, dir, { ...env, VAGGA_NO_LAUNCH_CACHE: '1' }), undefined, 'disabled');
  assert.equal(readLaunch(d.argv, dir, { ...env, LISTEN_FDS: '1' }), undefined, 'socket activation');
  chmodSync(file, 0o620);
  assert.equal(readLaunch(d.argv, dir, env), undefined, 'group-writable file');
  chmodSync(file, 0o600);
  writeFileSync(input, 'changed');
  assert.equal(readLaunch(d.argv, dir, env), undefined, 'an input changed');
});
