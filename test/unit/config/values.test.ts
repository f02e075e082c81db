import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQuireInt, validate } from '../../../src/config/schema.js';
import { idRange } from '../../../src/config/containers.js';
import { volumes } from '../../../src/config/volumes.js';
import { commandSchema } from '../../../src/config/commands.js';
import { q, thrown } from './helpers.js';

test('integer forms: prefixes, separators, unit suffixes', () => {
  assert.equal(parseQuireInt('0o1777'), 0o1777);
  assert.equal(parseQuireInt('0x10'), 16);
  assert.equal(parseQuireInt('0b101'), 5);
  assert.equal(parseQuireInt('1_024'), 1024);
  assert.equal(parseQuireInt('100Mi'), 100 * 1024 * 1024);
  assert.equal(parseQuireInt('2k'), 2000);
  assert.equal(parseQuireInt('2ki'), 2048);
  assert.equal(parseQuireInt('1G'), 1e9);
  assert.equal(parseQuireInt('-5'), -5);
  assert.equal(parseQuireInt('3.10'), undefined);
  assert.equal(parseQuireInt('ten'), undefined);
});

test('id ranges: "a-b" inclusive or a single id', () => {
  assert.deepEqual(validate(idRange, q('0-65535')), { start: 0, end: 65535 });
  assert.deepEqual(validate(idRange, q('5')), { start: 5, end: 5 });
  assert.match(thrown(() => validate(idRange, q('10-1'))).message, /starts after it ends/);
  assert.match(thrown(() => validate(idRange, q('a-b'))).message, /Expected an id range/);
});

test('volumes: all nine tags with their defaults', () => {
  const v = validate(volumes, q([
    '/tmp: !Tmpfs',
    '/t2: !Tmpfs {size: 1Gi, mode: 0o755, subdirs: {a: {}}, files: {x.txt: hello, empty: }}',
    '/rw: !BindRW /work/data',
    '/ro: !BindRO /volumes/ext',
    '/e: !Empty',
    '/vb: !VaggaBin',
    '/c: !CacheDir pip',
    '/s: !Snapshot',
    '/ct: !Container base',
    '/p: !Persistent db',
    '/p2: !Persistent {name: db2, owner-uid: 100, init-command: _init}',
  ].join('\n') + '\n'));
  assert.deepEqual(v, {
    '/tmp': { kind: 'Tmpfs', size: 100 * 1024 * 1024, mode: 0o1777, subdirs: {}, files: {} },
    '/t2': { kind: 'Tmpfs', size: 1024 ** 3, mode: 0o755, subdirs: { a: { mode: 0o755 } }, files: { 'x.txt': 'hello', empty: null } },
    '/rw': { kind: 'BindRW', path: '/work/data' },
    '/ro': { kind: 'BindRO', path: '/volumes/ext' },
    '/e': { kind: 'Empty' },
    '/vb': { kind: 'VaggaBin' },
    '/c': { kind: 'CacheDir', name: 'pip' },
    '/s': { kind: 'Snapshot', size: 100 * 1024 * 1024 },
    '/ct': { kind: 'Container', name: 'base' },
    '/p': { kind: 'Persistent', name: 'db', ownerUid: 0, ownerGid: 0 },
    '/p2': { kind: 'Persistent', name: 'db2', ownerUid: 100, ownerGid: 0, initCommand: '_init' },
  });
  assert.match(thrown(() => validate(volumes, q('/x: !Bogus\n'))).message, /The tag Bogus is not expected/);
  assert.match(thrown(() => validate(volumes, q('rel: !Empty\n'))).message, /Volume path must be absolute/);
  assert.match(thrown(() => validate(volumes, q('/x: !Empty yes\n'))).message, /!Empty takes no value/);
});

test('commands: run forms and accepts-arguments default', () => {
  const str = validate(commandSchema('a'), q('!Command\ncontainer: c\nrun: echo hi\n'));
  const argv = validate(commandSchema('b'), q('!Command\ncontainer: c\nrun: [echo, hi]\n'));
  assert.ok(str.kind === 'Command' && argv.kind === 'Command');
  assert.equal(str.acceptsArguments, false);
  assert.equal(argv.acceptsArguments, true);
  assert.equal(str.pid1mode, 'wait');
  assert.equal(str.writeMode, 'read-only');
  assert.equal(str.userId, 0);
  assert.deepEqual(argv.run, ['echo', 'hi']);
  const explicit = validate(commandSchema('c'), q('!Command\ncontainer: c\nrun: x\naccepts_arguments: true\n'));
  assert.ok(explicit.kind === 'Command' && explicit.acceptsArguments === true);
});

test('command errors: Vagga wording, exact positions', () => {
  const noRun = thrown(() => validate(commandSchema('bad-cmd'), q('!Command\ncontainer: c\n')));
  assert.equal(noRun.exitCode, 126);
  assert.match(noRun.message, /^\/virtual\/test\.yaml:1:1: Validation Error: Field run is expected/);
  const empty = thrown(() => validate(commandSchema('x'), q('!Command\ncontainer: c\nrun: []\n')));
  assert.match(empty.message, /test\.yaml:3:6: .*run must contain at least a command to run/);
  const tag = thrown(() => validate(commandSchema('x'), q('!UnknownCommand\nrun: x\n')));
  assert.match(tag.message, /test\.yaml:1:1: Validation Error: The tag UnknownCommand is not expected/);
  const net = thrown(() => validate(commandSchema('x'), q('!Command\ncontainer: c\nrun: x\nnetwork: {ip: 1.2.3.4}\n')));
  assert.match(net.message, /test\.yaml:4:1: Validation Error: Keys \{"network"\} are not expected/);
});

test('!Supervise: children, network only on children, defaults', () => {
  const sup = validate(commandSchema('s'), q([
    '!Supervise',
    'children:',
    '  web: !Command',
    '    container: c',
    '    run: [web]',
    '    network: {ip: 172.23.0.2, ports: {8080: 80}}',
    '  bridge: !BridgeCommand',
    '    container: c',
    '    run: sh',
  ].join('\n') + '\n'));
  assert.ok(sup.kind === 'Supervise');
  assert.equal(sup.mode, 'stop-on-failure');
  assert.equal(sup.killUnresponsiveAfter, 2);
  assert.deepEqual(sup.children.web!.network, { ip: '172.23.0.2', ports: { '8080': 80 } });
  assert.equal(sup.children.web!.name, 'web');
  assert.equal(sup.children.bridge!.bridge, true);
  assert.match(thrown(() => validate(commandSchema('s'), q('!Supervise\nmode: wait-all\n'))).message, /Expected one of stop-on-failure, wait-all-successful/);
  const childOptions = thrown(() => validate(commandSchema('s'), q('!Supervise\nchildren:\n  a: !Command {container: c, run: x, options: y}\n')));
  assert.match(childOptions.message, /Keys \{"options"\} are not expected/);
});

test('!CapsuleCommand parses with default id ranges', () => {
  const cap = validate(commandSchema('cap'), q('!CapsuleCommand\nrun: [vagga, _capsule]\n'));
  assert.ok(cap.kind === 'CapsuleCommand');
  assert.deepEqual(cap.uids, [{ start: 0, end: 65535 }]);
  assert.equal(cap.acceptsArguments, true);
});
