/**
 * "Why did it rebuild" (issue 9 part 5). Each built version keeps its version data: for
 * every setup step the digest it feeds into the version hash and the trace of what it fed
 * (`steps.json` next to the root, VersionRecord). Comparing the current inputs with the
 * newest built version's names the first step that changed and how: which field changed
 * from what to what, which file's contents changed. Pure: reading and writing the records is
 * the callers' (ensure-built.ts, the `_build --explain` built-in).
 */
import type { StepDigest } from '../version/container-version.js';

/** One step of a version record. */
export interface RecordedStep extends StepDigest {
  /** How the build output shows the step (`!Text /t=v1`). */
  summary: string;
}

/** The version data kept with a built version (`steps.json`). */
export interface VersionRecord {
  container: string;
  /** The full version hash. */
  version: string;
  steps: RecordedStep[];
}

/** How the current steps compare with a recorded version. */
export interface StepComparison {
  /** Steps 1..unchanged are the same in both (count). */
  unchanged: number;
  /** The first differing step (0-based), when any. */
  first?: number;
  /** What differs at `first`: short phrases (`packages: ["a"] -> ["a","b"]`, `file /work/x changed`). */
  changes: string[];
  /** Steps now / then. */
  total: number;
  previousTotal: number;
}

const MAX_VALUE = 60;

function clip(text: string): string {
  // Control characters (a hostile steps.json, a value with escapes) never reach the terminal.
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return clean.length > MAX_VALUE ? `${clean.slice(0, MAX_VALUE - 3)}...` : clean;
}

function jsonList(text: string): string[] | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * How a traced value changed: for lists the items added and removed (`+express, -left-pad`),
 * otherwise both values, cut to a window around the first difference when long.
 */
export function valueChange(before: string, after: string): string {
  const a = jsonList(before);
  const b = jsonList(after);
  if (a && b) {
    const added = b.filter((x) => !a.includes(x)).map((x) => `+${x}`);
    const removed = a.filter((x) => !b.includes(x)).map((x) => `-${x}`);
    if (added.length + removed.length > 0) return clip([...added, ...removed].join(', '));
    return 'order changed';
  }
  if (before.length <= MAX_VALUE && after.length <= MAX_VALUE) return `${clip(before)} -> ${clip(after)}`;
  let p = 0;
  while (p < before.length && p < after.length && before[p] === after[p]) p++;
  const from = Math.max(0, p - 12);
  const window = (t: string) => `${from > 0 ? '...' : ''}${t.slice(from, from + 30)}${t.length > from + 30 ? '...' : ''}`;
  return `${clip(window(before))} -> ${clip(window(after))}`;
}

/** A trace line's key and value: `  key: value` or `  <file /x: 12 bytes, abc>`. */
function keyed(line: string): { key: string; value: string } {
  const t = line.trim();
  const file = /^<(.+): (\d+ bytes(?:, [0-9a-f]+)?)>$/.exec(t);
  if (file) return { key: file[1]!, value: file[2]! };
  const i = t.indexOf(': ');
  return i > 0 ? { key: t.slice(0, i), value: t.slice(i + 2) } : { key: t, value: '' };
}

/**
 * The differences between two traces of one step, as short phrases: a changed value
 * (`key: old -> new`), a file whose contents changed (`file /work/x changed`), an added or
 * removed entry (`key added` / `key removed`). Lines are paired by key in order.
 */
export function traceChanges(before: readonly string[], after: readonly string[]): string[] {
  const old = before.map(keyed);
  const now = after.map(keyed);
  const used = new Set<number>();
  const out: string[] = [];
  for (const n of now) {
    const j = old.findIndex((o, k) => !used.has(k) && o.key === n.key);
    if (j < 0) {
      out.push(`${clip(n.key)} added`);
      continue;
    }
    used.add(j);
    const o = old[j]!;
    if (o.value === n.value) continue;
    if (/^\d+ bytes/.test(n.value)) out.push(`${clip(n.key)} changed`);
    else out.push(`${clip(n.key)}: ${valueChange(o.value, n.value)}`);
  }
  old.forEach((o, k) => { if (!used.has(k)) out.push(`${clip(o.key)} removed`); });
  return out;
}

/** Compare the current steps with a recorded version's (see StepComparison). */
export function compareSteps(previous: readonly RecordedStep[], current: readonly RecordedStep[]): StepComparison {
  let i = 0;
  while (i < previous.length && i < current.length && previous[i]!.hash === current[i]!.hash) i++;
  const result: StepComparison = { unchanged: i, changes: [], total: current.length, previousTotal: previous.length };
  if (i === previous.length && i === current.length) return result;
  result.first = i;
  const before = previous[i];
  const after = current[i];
  if (after === undefined) result.changes.push(`${previous.length - i} step(s) removed at the end`);
  else if (before === undefined) result.changes.push('new step');
  else if (before.tag !== after.tag) result.changes.push(`was !${before.tag}`);
  else {
    const changes = traceChanges(before.trace.slice(1), after.trace.slice(1));
    result.changes.push(...(changes.length > 0 ? changes : ['its inputs changed']));
  }
  return result;
}

/**
 * The one or two lines a rebuild prints, e.g. `app: rebuilding from step 5/6
 * !NpmDependencies: /work/package.json changed; steps 1-4 unchanged`. Undefined when
 * nothing differs (a rebuild for another reason: a changed uid map, `--force`).
 */
export function rebuildLine(container: string, cmp: StepComparison, current: readonly RecordedStep[]): string | undefined {
  if (cmp.first === undefined) return undefined;
  const kept = cmp.unchanged === 0 ? 'no step unchanged' : cmp.unchanged === 1 ? 'step 1 unchanged' : `steps 1-${cmp.unchanged} unchanged`;
  const what = cmp.changes.slice(0, 3).join(', ') + (cmp.changes.length > 3 ? `, and ${cmp.changes.length - 3} more` : '');
  if (cmp.first >= current.length) return `${container}: rebuilding: ${what}; ${kept}`;
  const step = current[cmp.first]!;
  return `${container}: rebuilding from step ${cmp.first + 1}/${current.length} ${clip(step.summary)}: ${what}; ${kept}`;
}
