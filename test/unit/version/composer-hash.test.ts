/**
 * `!ComposerDependencies` version hash (Vagga master, src/builder/commands/composer.rs, with
 * serde_json 1.0.72's compact text). The expected JSON texts below are written by hand from
 * that algorithm: keys sorted bytewise, last duplicate wins, `\/` unescaped, non-ASCII raw,
 * control characters as `\u00xx`, numbers as serde_json/ryu print them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import { stepDef } from '../../../src/steps/registry.js';
import type { VersionContext } from '../../../src/steps/step.js';
import { Digest } from '../../../src/version/digest.js';
import { runCli } from '../../../src/cli/cli.js';
import { containerVersion } from '../../../src/version/container-version.js';
import { STEP_DEFS } from '../../../src/steps/registry.js';
import { parseSerdeJson, ryuFormat, serdeDisplay } from '../../../src/version/serde-json.js';
import { removeTempTree, tempDir } from '../temp-dir.js';
import { config, container, step } from './helpers.js';

const show = (text: string) => serdeDisplay(parseSerdeJson(Buffer.from(text, 'utf8')));

test('serde_json compact text: sorted keys, last duplicate, escapes, unicode', () => {
  assert.equal(show(' { "b" : 1 , "a" : { "y" : null , "x" : [ true , false ] } } '), '{"a":{"x":[true,false],"y":null},"b":1}');
  assert.equal(show('{"k":1,"k":2}'), '{"k":2}');
  // Bytewise UTF-8 order: "Z" < "a" < "é" (C3 A9) < "\uFF01" (EF BC 81) < "😀" (F0 9F 98 80).
  assert.equal(show('{"😀":1,"\\uff01":2,"é":3,"a":4,"Z":5}'), '{"Z":5,"a":4,"é":3,"！":2,"😀":1}');
  assert.equal(show('"http:\\/\\/x\\/y"'), '"http://x/y"');
  assert.equal(show('"caf\\u00e9 \\ud83d\\ude00 \\u00E9"'), '"café 😀 é"');
  assert.equal(show('"\\u0001\\u001f\\b\\f\\n\\r\\t\\"\\\\\\u007f"'), '"\\u0001\\u001f\\b\\f\\n\\r\\t\\"\\\\\u007f"');
});

test('serde_json numbers: integers as written, the rest as ryu prints f64', () => {
  const cases: [string, string][] = [
    ['0', '0'], ['42', '42'], ['-7', '-7'], ['-0', '-0.0'], ['1.0', '1.0'], ['1.50', '1.5'], ['1e2', '100.0'], ['1E+2', '100.0'],
    ['0.1', '0.1'], ['123.456e5', '12345600.0'], ['1e15', '1000000000000000.0'], ['1e16', '1e16'], ['12e15', '1.2e16'],
    ['0.0001', '0.0001'], ['0.00001', '0.00001'], ['0.000001', '1e-6'], ['1.5e-7', '1.5e-7'], ['-2.5e300', '-2.5e300'],
    ['18446744073709551615', '18446744073709551615'], ['18446744073709551616', '1.8446744073709552e19'],
    ['-9223372036854775808', '-9223372036854775808'], ['-9223372036854775809', '-9.223372036854776e18'],
    ['1e-400', '0.0'], ['0e999999999999', '0.0'],
  ];
  for (const [text, want] of cases) assert.equal(show(text), want, text);
  assert.equal(ryuFormat(5e-324), '5e-324');
});

test('serde_json errors: what Vagga refuses is refused', () => {
  for (const bad of ['', '[1,]', '{"a":1,}', '01', '1.', '-', '1e400', '"\\udc00"', '"\\ud800x"', '"a\tb"', '{1:2}', '[1] x', '\uFEFF{}', 'nul']) {
    assert.throws(() => parseSerdeJson(Buffer.from(bad, 'utf8')), /at line \d+ column \d+$/, JSON.stringify(bad));
  }
  assert.throws(() => parseSerdeJson(Buffer.from([0x22, 0xff, 0x22])), /invalid unicode code point/);
  assert.doesNotThrow(() => parseSerdeJson(Buffer.from('['.repeat(127) + ']'.repeat(127))));
  assert.throws(() => parseSerdeJson(Buffer.from('['.repeat(128) + ']'.repeat(128))), /recursion limit exceeded/);
});

const COMPOSER_JSON = `{
  "name": "acme/app",
  "require": {"php": ">=7.4", "monolog/monolog": "^2.0", "acme/caf\\u00e9": "1.*"},
  "autoload": {"psr-4": {"Acme\\\\": "src\\/"}, "files": ["lib/é.php"]},
  "autoload-dev": {"psr-4": {"Tests\\\\": "tests/"}},
  "require-dev": {"phpunit/phpunit": "^9"},
  "repositories": [{"type": "vcs", "url": "https:\\/\\/example.org\\/r.git", "options": {"depth": 1, "ratio": 0.50, "big": 1e20}}],
  "minimum-stability": "dev",
  "prefer-stable": true,
  "extra": {"ignored": 1}
}
`;

const COMPOSER_LOCK = `{
  "_readme": ["ignored"],
  "content-hash": "abc",
  "packages": [
    {"name": "monolog/monolog", "version": "2.3.5", "require": {"php": ">=7.2", "psr/log": "^1.0.1 || ^2.0 || ^3.0"},
     "source": {"type": "git", "url": "https://github.com/Seldaek/monolog.git", "reference": "fd4380d"},
     "dist": {"type": "zip", "url": "https:\\/\\/api.github.com\\/x", "shasum": ""},
     "type": "library", "autoload": {"psr-4": {"Monolog\\\\": "src/Monolog"}}, "time": "2021-10-01"},
    {"name": "psr/log", "version": "1.1.4", "extra": {"branch-alias": {"dev-master": "1.1.x-dev"}}, "require-dev": {"x/y": "*"}}
  ],
  "packages-dev": [{"name": "phpunit/phpunit"}]
}
`;

/** The byte stream Vagga feeds for the fixture, written out by hand. */
const EXPECTED_FIELDS: [string, string][] = [
  ['name', '"monolog/monolog"'],
  ['version', '"2.3.5"'],
  ['source', '{"reference":"fd4380d","type":"git","url":"https://github.com/Seldaek/monolog.git"}'],
  ['dist', '{"shasum":"","type":"zip","url":"https://api.github.com/x"}'],
  ['extra', 'null'],
  ['autoload', '{"psr-4":{"Monolog\\\\":"src/Monolog"}}'],
  ['require', '{"php":">=7.2","psr/log":"^1.0.1 || ^2.0 || ^3.0"}'],
  ['require-dev', 'null'],
  ['name', '"psr/log"'],
  ['version', '"1.1.4"'],
  ['source', 'null'],
  ['dist', 'null'],
  ['extra', '{"branch-alias":{"dev-master":"1.1.x-dev"}}'],
  ['autoload', 'null'],
  ['require', 'null'],
  ['require-dev', '{"x/y":"*"}'],
  ['require', '{"acme/café":"1.*","monolog/monolog":"^2.0","php":">=7.4"}'],
  ['conflict', 'null'],
  ['replace', 'null'],
  ['provide', 'null'],
  ['autoload', '{"files":["lib/é.php"],"psr-4":{"Acme\\\\":"src/"}}'],
  ['repositories', '[{"options":{"big":1e20,"depth":1,"ratio":0.5},"type":"vcs","url":"https://example.org/r.git"}]'],
  ['minimum-stability', '"dev"'],
  ['prefer-stable', 'true'],
  // Vagga hashes autoload-dev under the name require-dev.
  ['require-dev', '{"psr-4":{"Tests\\\\":"tests/"}}'],
];

function handHash(fields: [string, string][]): string {
  const h = createHash('blake2b512');
  for (const [k, v] of fields) h.update(`${k}\0${v}\0`);
  return h.digest('hex');
}

function stepHash(root: string, params: Record<string, string> = {}): string {
  const d = new Digest();
  const ctx = { projectRoot: root } as VersionContext;
  stepDef('ComposerDependencies')!.hash(step('ComposerDependencies', params).params, d, ctx);
  return d.hex();
}

test('!ComposerDependencies hashes composer.lock packages then composer.json keys', () => {
  const root = tempDir('composer-hash-');
  try {
    writeFileSync(join(root, 'composer.json'), COMPOSER_JSON);
    writeFileSync(join(root, 'composer.lock'), COMPOSER_LOCK);
    const want = handHash(EXPECTED_FIELDS);
    assert.equal(want, 'bb3b48dd19c275631f21a4a7bd5441bfdc7397cef46741fe4a3a970fccb48fb719f2be33434ca05899d5152a21f38e1dfaeb47b6ea87b5af94a765728db8f8da');
    assert.equal(stepHash(root), want);
    // Without a lock only composer.json counts; the step's options are not hashed.
    mkdirSync(join(root, 'sub'));
    writeFileSync(join(root, 'sub/composer.json'), COMPOSER_JSON);
    assert.equal(stepHash(root, { 'working-dir': 'sub' }), handHash(EXPECTED_FIELDS.slice(16)));
    assert.equal(stepHash(root, { 'working-dir': 'sub', prefer: 'dist' }), handHash(EXPECTED_FIELDS.slice(16)));
  } finally { removeTempTree(root); }
});

test('!ComposerDependencies: a missing composer.json or a bad lock is a versioning error', () => {
  const root = tempDir('composer-hash-');
  try {
    const err = (re: RegExp) => (e: unknown) => e instanceof VaggaError && e.exitCode === 121 && re.test(e.message);
    assert.throws(() => stepHash(root), err(/composer\.json/));
    writeFileSync(join(root, 'composer.json'), '{"require": {}');
    assert.throws(() => stepHash(root), err(/bad json in "\/work\/composer.json": EOF while parsing an object/));
    writeFileSync(join(root, 'composer.json'), '{}');
    writeFileSync(join(root, 'composer.lock'), '{}');
    assert.throws(() => stepHash(root), err(/Missing 'packages' property from composer.lock/));
    writeFileSync(join(root, 'composer.lock'), '{"packages": {}}');
    assert.throws(() => stepHash(root), err(/'packages' property is not an array/));
    writeFileSync(join(root, 'composer.lock'), '{"packages": []}');
    assert.equal(stepHash(root), handHash(EXPECTED_FIELDS.slice(16).map(([k]): [string, string] => [k, 'null'])));
  } finally { removeTempTree(root); }
});

test('!ComposerDependencies: a composer.json or composer.lock linking out of the project is refused, never read (hostile vagga.yaml)', () => {
  const root = tempDir('composer-hash-');
  const outside = tempDir('composer-outside-');
  try {
    writeFileSync(join(outside, 'secret.json'), '{"require": {"stolen/secret": "1"}}');
    symlinkSync(join(outside, 'secret.json'), join(root, 'composer.json'));
    const outsideProject = (e: unknown) => e instanceof VaggaError && e.code === 'config.path-outside-project' && /composer\.json/.test(e.message);
    assert.throws(() => stepHash(root), outsideProject);
    rmSync(join(root, 'composer.json'));
    writeFileSync(join(root, 'composer.json'), '{}');
    symlinkSync(join(outside, 'secret.json'), join(root, 'composer.lock'));
    assert.throws(() => stepHash(root), (e) => e instanceof VaggaError && e.code === 'config.path-outside-project' && /composer\.lock/.test(e.message));
    // A link that stays inside the project is followed.
    rmSync(join(root, 'composer.lock'));
    rmSync(join(root, 'composer.json'));
    writeFileSync(join(root, 'real.json'), '{}');
    symlinkSync('real.json', join(root, 'composer.json'));
    assert.equal(stepHash(root), handHash(EXPECTED_FIELDS.slice(16).map(([k]): [string, string] => [k, 'null'])));
  } finally { removeTempTree(root); removeTempTree(outside); }
});

test("Vagga's own composer test hashes (tests/composer.bats: the project's composer.json, no lock)", () => {
  const root = tempDir('composer-hash-');
  try {
    writeFileSync(join(root, 'composer.json'), JSON.stringify({
      name: 'mycompany/myproject',
      require: { 'task/task': '^0.6.0', 'laravel/installer': '1.3.0' },
      'require-dev': { 'task/cli': '^0.3.0' },
    }, null, 2));
    const short = (base: ReturnType<typeof step>, params: Record<string, string | boolean> = {}) =>
      containerVersion(STEP_DEFS, config([container('x', [base, step('ComposerDependencies', params)])], root), 'x').hash.slice(0, 8);
    assert.equal(short(step('Alpine', 'v3.5'), { dev: false }), '6c42be15');
    assert.equal(short(step('Alpine', 'v3.4'), { dev: false }), '1fb5bd2b');
    assert.equal(short(step('Alpine', 'v3.4')), '1fb5bd2b');
    assert.equal(short(step('Alpine', 'v3.4'), { prefer: 'dist' }), '1fb5bd2b');
    assert.equal(short(step('Ubuntu', 'xenial'), { dev: false }), 'cb7ffde8');
    assert.equal(short(step('Ubuntu', 'trusty')), '48543817');
  } finally { removeTempTree(root); }
});

test('`vagga _version_hash` of a !ComposerDependencies container from vagga.yaml (was exit 29)', async () => {
  const root = tempDir('composer-hash-');
  try {
    writeFileSync(join(root, 'vagga.yaml'), 'containers:\n  deps:\n    setup:\n    - !Alpine v3.4\n    - !ComposerDependencies { dev: false }\n');
    writeFileSync(join(root, 'composer.json'), '{"name":"mycompany/myproject","require":{"task/task":"^0.6.0","laravel/installer":"1.3.0"}}');
    let out = '';
    let err = '';
    const status = await runCli(['_version_hash', '--short', 'deps'], {
      cwd: root, env: { HOME: root, VAGGA_NO_CONFIG_CACHE: '1' }, out: (t) => { out += t; }, err: (t) => { err += t; },
    });
    assert.equal(status, 0, err);
    assert.equal(out, '1fb5bd2b\n');
  } finally { removeTempTree(root); }
});
