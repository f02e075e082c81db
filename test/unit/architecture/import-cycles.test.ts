/**
 * No import circles in src/ (developers' guide, "Layout"): every relative `import ... from`,
 * `export ... from`, side-effect `import '...'` and dynamic `import('...')` of src/**\/*.ts,
 * type-only imports included, is an edge; each strongly connected component (Tarjan) with
 * more than one file, or a file importing itself, is a cycle and fails the test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const SRC = join(ROOT, 'src');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Relative module specifiers of one source file (comments stripped first). */
export function importSpecifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  const out: string[] = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) if (m[1]!.startsWith('.')) out.push(m[1]!);
  return out;
}

/** The file a relative specifier names (`./x.js` -> `x.ts`, `./dir` -> `dir/index.ts`). */
function resolveSpecifier(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec);
  for (const c of [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts'), base]) {
    if (c.endsWith('.ts') && existsSync(c)) return c;
  }
  return undefined;
}

/** Strongly connected components of `graph` (Tarjan) that form a cycle. */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

test('the import parser sees static, re-export, side-effect, dynamic and type-only imports', () => {
  const src = [
    "import { a } from './a.js';",
    "import type { B } from '../b.js';",
    "export { c } from './c.js';",
    "export * from './d.js';",
    "import './e.js';",
    "const f = await import('./f.js');",
    "import {\n  g,\n  type G,\n} from './g.js';",
    "import x from 'node:fs';",
    "// import { no } from './commented.js';",
  ].join('\n');
  assert.deepEqual(importSpecifiers(src).sort(), ['../b.js', './a.js', './c.js', './d.js', './e.js', './f.js', './g.js']);
});

test('cycle detection finds every loop and nothing else', () => {
  const g = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['d']], ['e', ['a']]]);
  assert.deepEqual(cycles(g).map((c) => c.join(',')).sort(), ['a,b,c', 'd']);
});

/** src/ file -> the src/ files it imports (paths relative to the repository root). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of tsFiles(SRC)) {
    const deps = importSpecifiers(readFileSync(file, 'utf8'))
      .map((s) => resolveSpecifier(file, s))
      .filter((f): f is string => f !== undefined)
      .map((f) => relative(ROOT, f));
    graph.set(relative(ROOT, file), [...new Set(deps)]);
  }
  return graph;
}

test('src/config/ imports neither src/steps/ nor src/version/ (later stages receive, never provide, config)', () => {
  const bad = [...importGraph()].filter(([f]) => f.startsWith('src/config/'))
    .flatMap(([f, deps]) => deps.filter((d) => /^src\/(steps|version)\//.test(d)).map((d) => `${f} -> ${d}`));
  assert.deepEqual(bad, []);
});

test('src/ has no import cycles', () => {
  const graph = importGraph();
  const found = cycles(graph);
  assert.deepEqual(found, [], `import cycles:\n${found.map((c) => `  ${c.join(' <-> ')}`).join('\n')}`);
});
