import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCommandGroups, formatCommandList, type ListedCommand } from '../../../src/cli/listing.js';

const cmd = (over: Partial<ListedCommand> = {}): ListedCommand => ({ aliases: [], ...over });

test('bare vagga listing matches the tests/alpine oracle byte for byte (inventory §4)', () => {
  const commands: Record<string, ListedCommand> = {
    'echo-cmd': cmd(),
    'v3.15-calc': cmd(),
    'v37-calc': cmd({ aliases: ['new-calc', 'just-calc'] }),
    'vagga-alpine': cmd(),
    'v32-calc': cmd({ group: 'Old alpine commands' }),
    'v33-calc': cmd({ group: 'Old alpine commands' }),
    'v33-tar': cmd({ group: 'Old alpine commands' }),
    'v34-calc': cmd({ group: 'Old alpine commands' }),
    '_hidden': cmd(),
  };
  const expected = [
    'Available commands:',
    '    echo-cmd',
    '    v3.15-calc',
    '    v37-calc',
    '                        (aliases: new-calc, just-calc)',
    '    vagga-alpine',
    '',
    'Old alpine commands:',
    '    v32-calc',
    '    v33-calc',
    '    v33-tar',
    '    v34-calc',
    '',
  ].join('\n');
  assert.equal(formatCommandGroups(commands), expected);
});

test('bare listing pads descriptions to column 24, wraps long names and multi-line text', () => {
  const out = formatCommandGroups({
    run: cmd({ description: 'Run it' }),
    'a-very-long-command-name': cmd({ description: 'Long' }),
    multi: cmd({ description: 'one\ntwo\n' }),
    shadow: cmd({ aliases: ['run', 'sh'] }),
  });
  assert.equal(out, [
    'Available commands:',
    '    a-very-long-command-name',
    '                        Long',
    '    multi               one',
    '                        two',
    '    run                 Run it',
    '    shadow',
    '                        (aliases: sh)',
    '',
  ].join('\n'));
});

test('_list pads names to 20 columns even without a description (mixins oracle)', () => {
  const out = formatCommandList({ m1: cmd(), m1x: cmd(), m2: cmd(), overrides: cmd(), top: cmd() }, [], { hidden: false, aliases: true, zsh: false });
  assert.deepEqual(out.split('\n'), ['m1' + ' '.repeat(18), 'm1x' + ' '.repeat(17), 'm2' + ' '.repeat(18), 'overrides' + ' '.repeat(11), 'top' + ' '.repeat(17), '']);
});

test('_list prints aliases as their own lines and hides _-names unless asked', () => {
  const commands = { calc: cmd({ description: 'Calculator', aliases: ['c', '_x'] }), _secret: cmd({ description: 'S' }) };
  const builtins = [{ name: '_build', summary: 'Build a container' }];
  assert.equal(formatCommandList(commands, builtins, { hidden: false, aliases: true, zsh: false }),
    'calc                Calculator\nc                   Calculator\n');
  assert.equal(formatCommandList(commands, builtins, { hidden: true, aliases: false, zsh: false }),
    '_secret             S\ncalc                Calculator\n_build              Build a container\n');
  assert.equal(formatCommandList(commands, [], { hidden: false, aliases: true, zsh: true }), 'calc:Calculator\nc:Calculator\n');
});

test('_list puts a long name on its own line and indents by 20', () => {
  assert.equal(formatCommandList({ 'twenty-chars-long-nm': cmd({ description: 'D' }) }, [], { hidden: false, aliases: true, zsh: false }),
    'twenty-chars-long-nm\n                    D\n');
});

test('multi-line descriptions: no whitespace-only line before the aliases or the next entry', () => {
  const commands = { calc: cmd({ description: 'Calc\nmultiline\n', aliases: ['c'] }), next: cmd({ description: 'N' }) };
  assert.equal(formatCommandGroups(commands), [
    'Available commands:',
    '    calc                Calc',
    '                        multiline',
    '                        (aliases: c)',
    '    next                N',
    '',
  ].join('\n'));
  assert.equal(formatCommandList(commands, [], { hidden: false, aliases: true, zsh: false }), [
    'calc                Calc',
    '                    multiline',
    'c                   Calc',
    '                    multiline',
    'next                N',
    '',
  ].join('\n'));
});
