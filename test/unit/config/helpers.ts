/** Test helpers: write a throwaway project tree and parse YAML text in Vagga's dialect. */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseQuireText } from '../../../src/config/yaml-dialect.js';
import type { QNode } from '../../../src/config/qnode.js';

const created: string[] = [];
process.on('exit', () => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

/** Create a temp dir (removed when the test process exits) holding `files` (relative path -> content); returns its real absolute path. */
export function project(files: Record<string, string>): string {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'vagga-config-test-')));
  created.push(root);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}

/** Parse YAML text (file name `test.yaml`). */
export function q(text: string): QNode {
  return parseQuireText(text, '/virtual/test.yaml').root;
}

/** Plain JS view of a QNode (tags as `{'!Tag': value}`), for deepEqual. */
export function plain(node: QNode): unknown {
  let v: unknown;
  if (node.kind === 'scalar') v = node.text;
  else if (node.kind === 'seq') v = node.items.map(plain);
  else v = Object.fromEntries(node.entries.map((e) => [e.key, plain(e.value)]));
  return node.tag === undefined ? v : { [`!${node.tag}`]: v };
}

/** Run `fn`, expecting it to throw; returns the error. */
export function thrown(fn: () => unknown): Error & { exitCode?: number; pos?: { line: number; col: number; file: string }; keyPath?: string } {
  try {
    fn();
  } catch (e) {
    return e as Error & { exitCode?: number };
  }
  throw new Error('expected an error, nothing was thrown');
}
