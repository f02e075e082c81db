import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commandEnvironment, DEFAULT_PATH, parseEnvironFile, vaggaenvVariables } from '../../../src/runtime/environment.js';
import { VaggaError } from '../../../src/errors/vagga-error.js';

const none = { host: {}, useEnv: [], setEnv: [], propagate: [] };

test('EDITOR precedence sequence from the environ test (inventory §4)', () => {
  // Each layer overrides the previous one: container vi < command vim < settings (merged:
  // nvi < elvis < vile, done by loadSettings) < VAGGAENV_ pico < --use-env nano < -E emacs.
  const layers: Record<'containerEnviron' | 'commandEnviron' | 'settingsEnviron', Record<string, string>> = {
    containerEnviron: { EDITOR: 'vi', SHELL: '/bin/bash' },
    commandEnviron: { EDITOR: 'vim' },
    settingsEnviron: { EDITOR: 'vile' },
  };
  const env = (vaggaenv: Record<string, string>, over: Partial<typeof layers> = {}) => commandEnvironment({
    host: {}, proxyEnvVars: false, environFile: { SHELL: '/bin/sh', EDITOR: 'ed' }, ...layers, ...over, vaggaenv,
  });
  assert.equal(env({}, { commandEnviron: {}, settingsEnviron: {} }).EDITOR, 'vi');
  assert.equal(env({}, { settingsEnviron: {} }).EDITOR, 'vim');
  assert.equal(env({}).EDITOR, 'vile');
  assert.equal(env({}).SHELL, '/bin/bash', 'container environ beats environ-file');
  const host = { VAGGAENV_EDITOR: 'pico', EDITOR: 'nano' };
  assert.equal(env(vaggaenvVariables({ ...none, host })).EDITOR, 'pico');
  assert.equal(env(vaggaenvVariables({ ...none, host, useEnv: ['EDITOR'] })).EDITOR, 'nano');
  assert.equal(env(vaggaenvVariables({ ...none, host, useEnv: ['EDITOR'], setEnv: ['EDITOR=emacs'] })).EDITOR, 'emacs');
  assert.equal(env(vaggaenvVariables({ ...none, host, setEnv: ['EDITOR=emacs'], useEnv: ['EDITOR'] })).EDITOR, 'emacs', '-E beats -e whatever the order');
});

test('defaults: PATH, TERM from the host or dumb; nothing else inherited', () => {
  assert.deepEqual(commandEnvironment({ host: { HOME: '/root', TERM: 'xterm' }, proxyEnvVars: true, containerEnviron: {}, settingsEnviron: {}, vaggaenv: {} }),
    { PATH: DEFAULT_PATH, TERM: 'xterm' });
  assert.equal(commandEnvironment({ host: {}, proxyEnvVars: true, containerEnviron: {}, settingsEnviron: {}, vaggaenv: {} }).TERM, 'dumb');
  const withPath = commandEnvironment({ host: {}, proxyEnvVars: false, containerEnviron: { PATH: '/opt/bin:/bin' }, settingsEnviron: {}, vaggaenv: {} });
  assert.equal(withPath.PATH, '/opt/bin:/bin');
});

test('proxy variables only with proxy-env-vars, below container environ', () => {
  const host = { http_proxy: 'http://p:3128', HTTPS_PROXY: 'http://q', ftp_proxy: 'ftp://f' };
  const on = commandEnvironment({ host, proxyEnvVars: true, containerEnviron: { ftp_proxy: '' }, settingsEnviron: {}, vaggaenv: {} });
  assert.equal(on.http_proxy, 'http://p:3128');
  assert.equal(on.HTTPS_PROXY, 'http://q');
  assert.equal(on.ftp_proxy, '');
  const off = commandEnvironment({ host, proxyEnvVars: false, containerEnviron: {}, settingsEnviron: {}, vaggaenv: {} });
  assert.equal(off.http_proxy, undefined);
});

test('-e with = is rejected with Vagga\'s exact text, exit 126', () => {
  assert.throws(() => vaggaenvVariables({ ...none, useEnv: ['key=value'] }), (e) => e instanceof VaggaError && e.exitCode === 126
    && e.message === "Error propagating environment: Environment variable name (for option `-e`/`--use-env`) can't contain equals `=` character. To set key-value pair use `-E`/`--environ` option");
});

test('-e forwards an unset variable as empty; bare -E drops a forwarded one; propagate-environ fills gaps', () => {
  const host = { VAGGAENV_DROP: 'x', CI_JOB: '7', CI_NAME: 'host', VAGGAENV_CI_NAME: 'explicit', OTHER: 'o' };
  const v = vaggaenvVariables({ host, useEnv: ['MISSING'], setEnv: ['DROP', 'SET=a=b'], propagate: ['CI_*'] });
  assert.deepEqual(v, { MISSING: '', SET: 'a=b', CI_NAME: 'explicit', CI_JOB: '7' });
});

test('environ-file parsing', () => {
  assert.deepEqual(parseEnvironFile('A=1\n\nB="two words"\n# no equals\nC=x=y\r\nD="\n'), { A: '1', B: 'two words', C: 'x=y', D: '"' });
});
