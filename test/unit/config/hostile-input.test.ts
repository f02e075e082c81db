/**
 * Config input that used to hang, crash with the YAML library's wording or pass silently
 * (issue 8 parts 5 and 6): each gives a located ConfigError (exit 126) about the user's file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/load.js';
import { CONFIG_SIZE_LIMIT, firstInvalidUtf8 } from '../../../src/config/read-text.js';
import { project, thrown } from './helpers.js';
import { STEP_DEFS } from '../../../src/steps/registry.js';

const BOX = 'containers:\n  box: {setup: []}\n';

/** The error of loading a project with `files`; asserts exit 126 and a position in `file` at `line`. */
function loadError(files: Record<string, string>, file: string, line: number): string {
  const root = project(files);
  const err = thrown(() => loadConfig(STEP_DEFS, root));
  assert.equal(err.exitCode, 126, err.message);
  assert.equal(err.pos?.file, join(root, file), err.message);
  assert.equal(err.pos?.line, line, err.message);
  return err.message;
}

test('includes and mixins read regular files only: /dev/zero, a symlink to it, a FIFO', { timeout: 10000 }, () => {
  const root = project({ 'vagga.yaml': `${BOX}commands:\n  c: !*Include zero.yaml\n` });
  symlinkSync('/dev/zero', join(root, 'zero.yaml'));
  const err = thrown(() => loadConfig(STEP_DEFS, root));
  // Refused before it is opened: the link leads out of the project (config/project-path.ts).
  assert.match(err.message, /vagga\.yaml:4:6: Validation Error: ".*zero\.yaml" resolves to "\/dev\/zero", outside the project/);
  const pipeRoot = project({ 'vagga.yaml': `${BOX}commands:\n  c: !*Include pipe.yaml\n` });
  execFileSync('mkfifo', [join(pipeRoot, 'pipe.yaml')]);
  assert.match(thrown(() => loadConfig(STEP_DEFS, pipeRoot)).message,
    /vagga\.yaml:4:6: Validation Error: Can't read ".*pipe\.yaml": it is a named pipe \(FIFO\), a config file must be a regular file/);
  const fifoRoot = project({ 'vagga.yaml': `mixins: [fifo.yaml]\n${BOX}` });
  execFileSync('mkfifo', [join(fifoRoot, 'fifo.yaml')]);
  // A bad mixin is skipped with a warning, as Vagga does; it must not block on the FIFO.
  const cfg = loadConfig(STEP_DEFS, fifoRoot);
  assert.ok(cfg.warnings.some((w) => /Skipping mixin because of error.*fifo\.yaml": it is a named pipe \(FIFO\)/.test(w)), cfg.warnings.join('\n'));
});

test('a config file above the size limit is refused with its size', () => {
  const root = project({ 'vagga.yaml': `${BOX}commands:\n  c: !*Include big.yaml\n` });
  writeFileSync(join(root, 'big.yaml'), `# ${'x'.repeat(CONFIG_SIZE_LIMIT)}\n`);
  const err = thrown(() => loadConfig(STEP_DEFS, root));
  assert.match(err.message, /vagga\.yaml:4:6: .*big\.yaml": it has \d+ bytes, more than the 4 MiB a config file may have/);
});

test('bytes that are not UTF-8 are an error at their line and column', () => {
  const root = project({ 'vagga.yaml': BOX });
  writeFileSync(join(root, 'vagga.yaml'), Buffer.concat([Buffer.from(`${BOX}# caf`), Buffer.from([0xe9]), Buffer.from('\n')]));
  const err = thrown(() => loadConfig(STEP_DEFS, root));
  assert.match(err.message, /vagga\.yaml:3:6: Validation Error: The file is not valid UTF-8: byte 0xe9/);
  assert.equal(firstInvalidUtf8(Buffer.from('héllo ✓ 😀')), -1);
  assert.equal(firstInvalidUtf8(Buffer.from([0x61, 0xc0, 0x80])), 1, 'overlong');
  assert.equal(firstInvalidUtf8(Buffer.from([0xed, 0xa0, 0x80])), 0, 'surrogate');
  assert.equal(firstInvalidUtf8(Buffer.from([0x61, 0xe2, 0x82])), 1, 'truncated');
});

test('a container without a value, an empty command name, duplicate top-level keys and names are errors', () => {
  assert.match(loadError({ 'vagga.yaml': 'containers:\n  box:\n' }, 'vagga.yaml', 2), /Container "box" has no value/);
  assert.match(loadError({ 'vagga.yaml': `${BOX}commands:\n  "": !Command {container: box, run: "true"}\n` }, 'vagga.yaml', 4),
    /Invalid name "": a command name must not be empty/);
  assert.match(loadError({ 'vagga.yaml': `${BOX}containers:\n  other: {setup: []}\n` }, 'vagga.yaml', 3), /Duplicate key "containers" \(first at line 1\)/);
  assert.match(loadError({ 'vagga.yaml': `${BOX}  box: {setup: []}\n` }, 'vagga.yaml', 3), /Duplicate key "box" \(first at line 2\)/);
});

test('container names that would break the storage are refused where they are written', () => {
  for (const name of ['a/b', '..', '.', '.roots', '.hidden']) {
    const msg = loadError({ 'vagga.yaml': `containers:\n  ok: {setup: []}\n  "${name}": {setup: []}\n` }, 'vagga.yaml', 3);
    assert.match(msg, new RegExp(`Invalid name ${JSON.stringify(JSON.stringify(name)).slice(1, -1).replace(/[.]/g, '\\.')}: a container name must not`), msg);
  }
  // Ordinary names pass, `_`-prefixed commands too.
  const root = project({ 'vagga.yaml': 'containers:\n  py3-test_1.2: {setup: []}\ncommands:\n  _hidden: !Command {container: py3-test_1.2, run: "true"}\n' });
  assert.deepEqual(Object.keys(loadConfig(STEP_DEFS, root).containers), ['py3-test_1.2']);
});

test('the YAML library\'s wording becomes sentences about the file: documents, nesting, alias bombs', { timeout: 20000 }, () => {
  assert.match(loadError({ 'vagga.yaml': `${BOX}---\ncommands: {}\n` }, 'vagga.yaml', 3), /more than one YAML document \(a `---` line starts another one\)/);
  const deep = loadError({ 'vagga.yaml': `${BOX}_deep: ${'['.repeat(3000)}${']'.repeat(3000)}\n` }, 'vagga.yaml', 3);
  assert.match(deep, /the nesting is too deep here \(at most \d+ levels\)/i);
  assert.doesNotMatch(deep, /call stack|parseAllDocuments/);
  const levels = 'abcdefghi'.split('');
  const bomb = levels.map((k, i) => `_${k}: &${k} [${i === 0 ? Array(9).fill('"x"').join(',') : Array(9).fill(`*${levels[i - 1]}`).join(',')}]`).join('\n');
  const msg = loadError({ 'vagga.yaml': `${BOX}${bomb}\n` }, 'vagga.yaml', 9);
  assert.match(msg, /Aliases expand to more than \d+ values here/);
});
