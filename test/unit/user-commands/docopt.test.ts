/**
 * The docopt subset for a command's `options` (src/user-commands/docopt.ts): patterns, option
 * descriptions, matching, and the VAGGAOPT_/VAGGACLI_ translation (inventory §1.10).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type DocoptValue, docoptEnvironment, matchDocopt, parseCommandOptions, parseDocopt, shellEscape } from '../../../src/user-commands/docopt.js';
import { VaggaError } from '../../../src/errors/vagga-error.js';

const ARGS = `Usage: vagga args [options]

Options:
  -F, --first <value>   First arg
  -S, --second <value>  Second arg
`;

const CMDARGS = `Usage: vagga cmdargs [-v...] [options] [<files>...]

Options:
  -v, --verbose   Verbosity
  --level=<n>     Level [default: 3]
`;

function run(name: string, text: string, args: string[]): Record<string, string> {
  const r = parseCommandOptions(name, undefined, text, args);
  assert.equal(r.kind, 'run');
  return r.kind === 'run' ? r.env : {};
}

test('values of options with arguments in every spelling', () => {
  assert.deepEqual(
    Object.entries(run('args', ARGS, ['-Fhello', '--second', 'world'])).filter(([k]) => k.startsWith('VAGGAOPT')).sort(),
    [['VAGGAOPT_FIRST', 'hello'], ['VAGGAOPT_HELP', ''], ['VAGGAOPT_SECOND', 'world']],
  );
  const env = run('args', ARGS, ['--first=x y', '-S', "it's"]);
  assert.equal(env.VAGGAOPT_FIRST, 'x y');
  assert.equal(env.VAGGACLI_FIRST, "--first 'x y'");
  assert.equal(env.VAGGACLI_SECOND, `--second 'it'"'"'s'`);
  assert.equal(env.VAGGACLI_HELP, '');
  // docopt.rs (Vagga) does not abbreviate long options: a prefix is an unknown flag.
  assert.throws(() => run('args', ARGS, ['--fir', 'p']), /Unknown flag: '--fir'\. Did you mean '--first'\?\n\nUsage: vagga args \[options\]$/);
});

test('counted flags, defaults and positional lists', () => {
  const env = run('cmdargs', CMDARGS, ['-vvvv', 'a', '--verbose', 'b c']);
  assert.equal(env.VAGGAOPT_VERBOSE, '5');
  assert.equal(env.VAGGACLI_VERBOSE, '--verbose --verbose --verbose --verbose --verbose');
  assert.equal(env.VAGGAOPT_LEVEL, '3');
  assert.equal(env.VAGGACLI_LEVEL, '--level 3');
  assert.equal(env.VAGGAOPT_FILES, 'a b c');
  assert.equal(env.VAGGACLI_FILES, "a 'b c'");
  const none = run('cmdargs', CMDARGS, []);
  assert.equal(none.VAGGAOPT_VERBOSE, '');
  assert.equal(none.VAGGAOPT_FILES, '');
});

const VAGGA_CMDARGS = `Usage: vagga cmdargs [options]

Options:
  -v, --verbose ...  Increase pseudo-verbosity
`;

test('issue 14: Vagga cmdargs, a description with " ..." makes [options] count it', () => {
  // Vagga's generic.bats "Argument parsing for normal command": -vvvv --verbose = 5.
  const env = run('cmdargs', VAGGA_CMDARGS, ['-vvvv', '--verbose']);
  assert.equal(env.VAGGAOPT_VERBOSE, '5');
  assert.equal(env.VAGGACLI_VERBOSE, '--verbose --verbose --verbose --verbose --verbose');
  assert.equal(run('cmdargs', VAGGA_CMDARGS, []).VAGGAOPT_VERBOSE, '');
  // "Bad arguments for command with 'options'": unknown flag, extra positional.
  for (const args of [['--bad-arg'], ['extra-arg']]) {
    assert.throws(() => run('cmdargs', VAGGA_CMDARGS, args), (err: unknown) => {
      assert.ok(err instanceof VaggaError);
      assert.equal(err.exitCode, 121);
      assert.equal(err.message.split('\n').pop(), 'Usage: vagga cmdargs [options]');
      return true;
    });
  }
  assert.throws(() => run('cmdargs', VAGGA_CMDARGS, ['--bad-arg']), /: Unknown flag: '--bad-arg'\n\nUsage/);
});

test('repeatable options from descriptions: value lists, explicit patterns, defaults', () => {
  const text = 'Usage: vagga s [options]\n\nOptions:\n  --only <tag> ...  Only\n  -q ...  Quiet\n  --x=<v> ...  X [default: a b]\n  --plain\n      continued description\n';
  const env = run('s', text, ['--only', 'a', '--only=b c', '-qq']);
  assert.equal(env.VAGGAOPT_ONLY, 'a b c');
  assert.equal(env.VAGGACLI_ONLY, "--only a 'b c'");
  assert.equal(env.VAGGAOPT_Q, '2');
  assert.equal(env.VAGGAOPT_X, 'a b');
  assert.equal(env.VAGGAOPT_PLAIN, '');
  // A continuation line is not the value name of a flag described alone on its line.
  assert.equal(run('s', text, ['--plain']).VAGGAOPT_PLAIN, 'true');
  // Explicit in the pattern, with or without its own `...`.
  const explicit = 'Usage: vagga e [-v] [--x=<v>...]\n\nOptions:\n  -v ...  V\n  --x=<v> ...  X\n';
  assert.equal(run('e', explicit, ['-vvv']).VAGGAOPT_V, '3');
  assert.equal(run('e', explicit, ['--x', '1', '--x', '2']).VAGGAOPT_X, '1 2');
  // Described, never in the pattern: still exported empty (docopt.rs fills every description).
  assert.equal(run('n', 'Usage: vagga n\n\nOptions:\n  --unused  U\n', []).VAGGAOPT_UNUSED, '');
});

test('short-only counted flag repeats the letter', () => {
  const env = run('c', 'Usage: vagga c [-q...]\n', ['-qq']);
  assert.equal(env.VAGGAOPT_Q, '2');
  assert.equal(env.VAGGACLI_Q, '-qq');
});

test('alternatives, required groups and commands', () => {
  const text = 'Usage:\n  vagga db (up | down) [--force]\n  vagga db status <NAME>\n';
  const up = run('db', text, ['up', '--force']);
  assert.equal(up.VAGGAOPT_UP, 'true');
  assert.equal(up.VAGGAOPT_DOWN, '');
  assert.equal(up.VAGGAOPT_FORCE, 'true');
  assert.equal(up.VAGGACLI_FORCE, '--force');
  const st = run('db', text, ['status', 'x']);
  assert.equal(st.VAGGAOPT_NAME, 'x');
  assert.equal(st.VAGGAOPT_STATUS, 'true');
  assert.throws(() => run('db', text, ['status']), /Invalid arguments/);
});

test('bad arguments: message then the usage section, exit 121', () => {
  for (const [args, first] of [[['--bad-arg'], "Unknown flag: '--bad-arg'"], [['extra-arg'], 'Invalid arguments.'], [['-x'], "Unknown flag: '-x'"], [['--first'], "Expected argument for flag '--first' but reached end of arguments."], [['-F'], "Expected argument for flag '--first' but reached end of arguments."], [['--help=x'], "Flag '--help' cannot have an argument, but found 'x'."]] as const) {
    assert.throws(() => parseCommandOptions('args', undefined, ARGS, args), (err: unknown) => {
      assert.ok(err instanceof VaggaError);
      assert.equal(err.exitCode, 121);
      const lines = err.message.split('\n').filter(Boolean);
      assert.equal(lines[0], first);
      assert.equal(lines[lines.length - 1], 'Usage: vagga args [options]');
      return true;
    });
  }
});

test('--help and -h give the whole text: description, options, common options', () => {
  const r = parseCommandOptions('args', 'Prints args', ARGS, ['--help']);
  assert.equal(r.kind, 'help');
  if (r.kind !== 'help') return;
  assert.ok(r.text.startsWith('Prints args\n\nUsage: vagga args [options]'));
  assert.match(r.text, /Common options:\n {2}-h, --help {11}This help\n$/);
  assert.ok(r.text.endsWith("This help\n") && !r.text.endsWith("\n\n"), "exactly one trailing newline");
  assert.equal(parseCommandOptions('args', undefined, ARGS, ['-h']).kind, 'help');
});

test('malformed options text is a 121 naming the command', () => {
  assert.throws(() => parseCommandOptions('x', undefined, 'Options:\n  -a  A\n', []), /Error parsing `options` in command "x": "usage:"/);
  assert.throws(() => parseCommandOptions('x', undefined, 'Usage: vagga x [a\n', []), /missing "\]"/);
});

test('parseDocopt reads descriptions spread over sections', () => {
  const d = parseDocopt('Usage: p x [options]\n\nOptions:\n  -a, --all  All\n  -o FILE    Output [default: out.txt]\n\nOther options:\n  --zz  Z\n');
  assert.deepEqual(d.options.map((o) => [o.key, o.takesValue, o.default]), [['--all', false, undefined], ['-o', true, 'out.txt'], ['--zz', false, undefined]]);
  const r = matchDocopt(d, 'x', ['-a']);
  assert.equal(r.kind, 'values');
});

test('shellEscape and environment names', () => {
  assert.equal(shellEscape(''), "''");
  assert.equal(shellEscape('a/b.c:d,e=f+g@h%i-j'), 'a/b.c:d,e=f+g@h%i-j');
  assert.equal(shellEscape('a b'), "'a b'");
  assert.deepEqual(docoptEnvironment(new Map<string, DocoptValue>([['--redis-port', '6379'], ['<tests>', ['a']]])), {
    VAGGAOPT_REDIS_PORT: '6379',
    VAGGACLI_REDIS_PORT: '--redis-port 6379',
    VAGGAOPT_TESTS: 'a',
    VAGGACLI_TESTS: 'a',
  });
});
