/**
 * The table of error codes (src/errors/codes.ts) is the single source: every code src/ uses
 * is in it, every entry is used, exit statuses are Vagga's (vagga-inventory.md §2.10), and
 * README.md lists it (scripts/error-codes-table.mjs --check).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES, type ErrorCode } from '../../../src/errors/codes.js';
import { ConfigError, VaggaError } from '../../../src/errors/vagga-error.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const TABLE_FILE = join(root, 'src', 'errors', 'codes.ts');
const codes = Object.keys(ERROR_CODES) as ErrorCode[];

/** Every .ts file under src/ but the table itself, with its text. */
function sources(): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && p !== TABLE_FILE) out.push({ file: relative(root, p), text: readFileSync(p, 'utf8') });
    }
  };
  walk(join(root, 'src'));
  return out;
}

/**
 * Literals in the places a code is given or compared: `code: '…'`, `errorCode: '…'`,
 * `code === '…'` (lower case: errno names like 'ENOENT' are not codes), `?? '…'`, and the
 * first argument of `new …Error('…'` / `fail('…'` when it has a code's shape.
 */
const CODE_SITES = /\b(?:code|errorCode)\s*(?::|===|!==)\s*'([a-z][^']*)'|(?:\bnew \w*Error|\bfail)\(\s*'([a-z-]+\.[a-z0-9-]+)'|\?\?\s*'([a-z-]+\.[a-z0-9-]+)'/g;

test('every code given or compared in src/ is in the table', () => {
  const found: string[] = [];
  for (const { file, text } of sources()) {
    for (const m of text.matchAll(CODE_SITES)) {
      const code = m[1] ?? m[2] ?? m[3]!;
      found.push(code);
      assert.ok(Object.hasOwn(ERROR_CODES, code), `${file}: error code ${JSON.stringify(code)} is not in src/errors/codes.ts`);
    }
  }
  assert.ok(found.length > 150, `only ${found.length} code sites found: is the pattern still right?`);
});

test('every table entry is used somewhere in src/', () => {
  const all = sources().map((s) => s.text).join('\n');
  const unused = codes.filter((c) => !all.includes(`'${c}'`));
  assert.deepEqual(unused, [], 'codes in src/errors/codes.ts that no source file uses');
});

test('codes are dotted kebab-case with a one-line meaning', () => {
  for (const code of codes) {
    assert.match(code, /^[a-z]+(?:-[a-z]+)*\.[a-z0-9]+(?:-[a-z0-9]+)*$/, code);
    const { meaning } = ERROR_CODES[code];
    assert.ok(meaning.length > 0 && !meaning.includes('\n'), `${code}: meaning must be one line`);
  }
});

/** Vagga's exit statuses (vagga-inventory.md §2.10) by family, and the codes that differ. */
const FAMILY_EXIT: Record<string, number> = {
  config: 126, // config not found/unparsable/invalid, cyclic containers, minimum-vagga, bad -e name
  args: 122, // argument parse errors, refusing to run as root
  sandbox: 124, // wrapper-level errors while preparing/running
  command: 121, // unknown command, docopt errors
  container: 121,
  version: 121,
  build: 121, // any builder error, hash mismatch...
  userns: 121, // uid map too small, bad subuid file
  env: 121,
  storage: 121,
  image: 121, // _pack_image: packing or writing failed (Vagga: 121 for its tar/compressor errors)
  registry: 121, // image-cache-url / _push_image talking to a registry (a build falls back instead)
  network: 121, // isolated networks (holder, pasta, /dev/net/tun) and networked !Supervise set-up (Vagga: 121 for its netns errors)
};
const CODE_EXIT: Record<string, number> = {
  'version.unknown': 29, // _version_hash before building
  'command.no-children': 127, // supervise with no children
  'clean.bad-args': 1, // _clean argument error
  'clean.no-storage-dir': 2, // _clean --global without storage-dir
  'clean.failed': 3, // cleanup error
  'init-storage-dir.bad-args': 1,
  'init-storage-dir.no-storage-dir': 2,
  'init-storage-dir.link-exists': 1,
  'completion.bad-args': 1,
  'network.bad-address': 126, // Vagga: an `ip` that is no IPv4 address fails at config load
  'network.partition': 1, // Vagga's `_network` errors exit 1
  'image.bad-args': 122, // _pack_image option errors are argument errors
  'image.bad-name': 122,
  'registry.bad-reference': 122, // a malformed docker:// reference is an argument/config value error
  'network.bad-publish': 122, // a malformed --publish value is a command-line error
};

test("exit statuses are Vagga's for each family", () => {
  for (const code of codes) {
    const family = code.slice(0, code.indexOf('.'));
    const expected = CODE_EXIT[code] ?? FAMILY_EXIT[family];
    assert.notEqual(expected, undefined, `${code}: family ${family} has no exit status from Vagga in this test`);
    assert.equal(ERROR_CODES[code].exit, expected, code);
  }
  for (const code of Object.keys(CODE_EXIT)) assert.ok(Object.hasOwn(ERROR_CODES, code), `${code} is not in the table`);
});

test('a VaggaError carries its code and the exit status of the code', () => {
  const e = new VaggaError('Container "x" not found', { code: 'container.not-found' });
  assert.equal(e.code, 'container.not-found');
  assert.equal(e.exitCode, 121);
  const c = new ConfigError('config.unknown-key', 'Keys {"x"} are not expected');
  assert.equal(c.code, 'config.unknown-key');
  assert.equal(c.exitCode, 126);
});

test('no source decides on exit numbers or message text', () => {
  const bad = /\.exitCode\s*[!=]==?\s*(?:\d|ExitCode\b)|\bmessage\.(?:startsWith|endsWith|includes|match)\(|\.test\(\s*[\w.]*\bmessage\s*\)/;
  for (const { file, text } of sources()) {
    text.split('\n').forEach((line, i) => {
      assert.doesNotMatch(line, bad, `${file}:${i + 1}: decide on err.code instead`);
    });
  }
});

test("README.md's error-code table is generated from the table", () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'error-codes-table.mjs'), '--check'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});
